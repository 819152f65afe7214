/* fetch.c - listing a camera stream's links and downloading one link over the HTTP API. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "cli/fetch.h"
#include "cli/jsonv.h"
#include "common/util.h"

int
fetch_list_parse(const char *json, size_t len, struct linkent **out, size_t *n,
    char *err, size_t errlen)
{
	json_t *root, *arr;
	json_error_t je;
	struct linkent *v = NULL;
	char w[64];
	const char *kind;
	size_t i, cnt;
	int64_t x;
	int ret = -1;

	*out = NULL;
	*n = 0;
	root = json_loadb(json, len, 0, &je);
	if (root == NULL) {
		snprintf(err, errlen, "segment list: not valid JSON (line %d)", je.line);
		return -1;
	}
	if (jsonv_array(root, "segments", &arr, "segment list", err, errlen) != 0)
		goto out;
	cnt = json_array_size(arr);
	if (cnt > FETCH_MAX_LINKS) {
		snprintf(err, errlen, "segment list: too many links");
		goto out;
	}
	v = calloc(cnt ? cnt : 1, sizeof(*v));
	if (v == NULL) {
		snprintf(err, errlen, "segment list: out of memory");
		goto out;
	}
	for (i = 0; i < cnt; i++) {
		json_t *e = json_array_get(arr, i);

		snprintf(w, sizeof(w), "segments[%zu]", i);
		if (jsonv_int(e, "seq", 0, INT64_MAX, &x, w, err, errlen) != 0)
			goto out;
		v[i].seq = (uint64_t)x;
		if (jsonv_str(e, "kind", 16, &kind, w, err, errlen) != 0)
			goto out;
		if (strcmp(kind, "gap") == 0) {
			v[i].is_gap = 1;
		} else if (strcmp(kind, "segment") != 0) {
			snprintf(err, errlen, "%s.kind: want \"segment\" or \"gap\"", w);
			goto out;
		}
		if (jsonv_int(e, "start_us", INT64_MIN, INT64_MAX, &v[i].start_us, w, err,
		    errlen) != 0 ||
		    jsonv_int(e, "end_us", INT64_MIN, INT64_MAX, &v[i].end_us, w, err, errlen) != 0 ||
		    jsonv_int(e, "length", 0, HTTPC_MAX_LINK, &x, w, err, errlen) != 0)
			goto out;
		v[i].length = (uint64_t)x;
	}
	*out = v;
	v = NULL;
	*n = cnt;
	ret = 0;
out:
	free(v);
	json_decref(root);
	return ret;
}

static int
status_err(long status, const char *what, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s: server answered HTTP %ld%s", what, status,
	    status == 401 || status == 403 ? " (check the token)" :
	    status == 404 ? " (unknown camera or link)" : "");
	return FETCH_E_STATUS;
}

/* GET through whichever client the connection holds; apic's error codes match httpc's. */
static int
conn_get(struct fetch_conn *c, const char *path, size_t max, struct buf *out, long *status)
{
	if (c->a != NULL)
		return apic_do(c->a, "GET", path, NULL, max, out, status);
	return httpc_get(c->h, path, max, out, status);
}

int
fetch_list(struct fetch_conn *c, const uint8_t cam[CAMERA_ID_LEN], uint8_t stream,
    int64_t from, int64_t to, struct linkent **out, size_t *n, char *err, size_t errlen)
{
	char path[256], id[2 * CAMERA_ID_LEN + 1];
	struct buf b;
	long status;
	int ret;

	*out = NULL;
	*n = 0;
	hex_encode(cam, CAMERA_ID_LEN, id);
	snprintf(path, sizeof(path), "/api/v1/cameras/%s/streams/%u/segments?from=%" PRId64
	    "&to=%" PRId64, id, (unsigned)stream, from, to);
	buf_init(&b, HTTPC_MAX_JSON);
	ret = conn_get(c, path, HTTPC_MAX_JSON, &b, &status);
	if (ret != HTTPC_OK) {
		snprintf(err, errlen, "segment list: %s", httpc_strerror(ret));
		goto out;
	}
	if (status != 200) {
		ret = status_err(status, "segment list", err, errlen);
		goto out;
	}
	ret = fetch_list_parse((const char *)b.data, b.len, out, n, err, errlen) == 0 ? 0 :
	    FETCH_E_BODY;
out:
	buf_free(&b);
	return ret;
}

int
fetch_link(struct fetch_conn *c, const uint8_t cam[CAMERA_ID_LEN], uint8_t stream,
    uint64_t seq, struct buf *out, char *err, size_t errlen)
{
	char path[256], id[2 * CAMERA_ID_LEN + 1], what[64];
	long status;
	int ret;

	hex_encode(cam, CAMERA_ID_LEN, id);
	snprintf(path, sizeof(path), "/api/v1/cameras/%s/streams/%u/segments/%" PRIu64, id,
	    (unsigned)stream, seq);
	snprintf(what, sizeof(what), "link seq %" PRIu64, seq);
	ret = conn_get(c, path, HTTPC_MAX_LINK, out, &status);
	if (ret != HTTPC_OK) {
		snprintf(err, errlen, "%s: %s", what, httpc_strerror(ret));
		return ret;
	}
	if (status != 200)
		return status_err(status, what, err, errlen);
	return 0;
}
