/* h_archive.c - handlers for the camera list, link listing, link download (Range) and retention. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "common/util.h"
#include "server/http.h"
#include "server/identity.h"
#include "server/index.h"
#include "server/orgaudit.h"
#include "server/orgs.h"
#include "server/jsonbody.h"
#include "server/range.h"
#include "server/server.h"
#include "server/store.h"
#include "server/archive.h"

/* Most rows one listing returns. */
#define ARCHIVE_MAX_ROWS 10000
/* Longest retention accepted: 100 years. */
#define RETENTION_MAX_S (100LL * 366 * 24 * 3600)

int
archive_params(struct req *rq, uint8_t cam[CAMERA_ID_LEN], uint8_t *stream)
{
	int64_t s;

	if (rq->m.nparams < 1 || strlen(rq->m.params[0]) != 2 * CAMERA_ID_LEN ||
	    hex_decode(rq->m.params[0], cam, CAMERA_ID_LEN) != 0)
		return -1;
	if (stream == NULL)
		return 0;
	if (rq->m.nparams < 2 || parse_i64(rq->m.params[1], 0, 255, &s) != 0)
		return -1;
	*stream = (uint8_t)s;
	return 0;
}

static int
add_stream(void *ctx, const struct index_stream_summary *s)
{
	char hex[2 * CAMERA_ID_LEN + 1];

	hex_encode(s->camera_id, CAMERA_ID_LEN, hex);
	return json_array_append_new(ctx, json_pack("{s:s,s:i,s:I,s:I,s:I,s:I}", "id", hex,
	    "stream", (int)s->stream, "first_us", (json_int_t)s->first_us, "last_us",
	    (json_int_t)s->last_us, "segments", (json_int_t)s->segments, "bytes",
	    (json_int_t)s->bytes)) != 0;
}

/* The streams of all that are not of a camera an organization registered, into *out: the
 * admin token lists only the interim keys.json cameras, never a customer's (their times and
 * volumes tell when a site is busy). 0, or -1 when the organizations could not be asked
 * (nothing is listed then). */
static int
drop_org_cameras(struct server *srv, json_t *all, json_t **out)
{
	char org[ORGS_ID_BUF];
	json_t *keep = json_array(), *s;
	const char *id;
	size_t i;
	int r = keep != NULL ? 0 : -1, e;

	json_array_foreach(all, i, s) {
		if (r != 0)
			break;
		id = json_string_value(json_object_get(s, "id"));
		e = srv->idn == NULL || srv->idn->orgs == NULL ? ORGS_E_NOTFOUND :
		    id == NULL ? ORGS_E_IO : orgs_camera_org(srv->idn->orgs, id, org);
		if (e == ORGS_E_NOTFOUND)
			r = json_array_append(keep, s);
		else if (e != 0)
			r = -1;
	}
	if (r == 0) {
		*out = keep;
		keep = NULL;
	}
	json_decref(keep);
	return r;
}

int
h_cameras_list(struct req *rq)
{
	json_t *arr = json_array(), *keep = NULL;
	int r;

	/* The callback runs under the index's lock: the org lookups come after, outside it. */
	if (arr == NULL || index_streams_list(rq->srv->ix, ARCHIVE_MAX_ROWS, add_stream, arr) < 0 ||
	    drop_org_cameras(rq->srv, arr, &keep) != 0)
		r = http_error(rq, 500, "index error", 0);
	else
		r = http_json(rq, 200, json_pack("{s:o}", "cameras", keep));
	json_decref(arr);
	return r;
}

static int
add_link(void *ctx, const struct index_link *l)
{
	return json_array_append_new(ctx, json_pack("{s:I,s:s,s:I,s:I,s:I}", "seq",
	    (json_int_t)l->seq, "kind", l->kind == LINK_GAP ? "gap" : "segment", "start_us",
	    (json_int_t)l->start_us, "end_us", (json_int_t)l->end_us, "length",
	    (json_int_t)l->length)) != 0;
}

/* Optional integer query argument; 0 (default kept when absent) or -1. */
static int
query_i64(struct req *rq, const char *name, int64_t *v)
{
	const char *s = http_query(rq, name);

	if (s == NULL || *s == '\0')
		return 0;
	return parse_i64(s, INT64_MIN, INT64_MAX, v);
}

int
h_segments_list(struct req *rq)
{
	uint8_t cam[CAMERA_ID_LEN], stream;
	int64_t from = INT64_MIN, to = INT64_MAX;
	json_t *arr;

	if (archive_params(rq, cam, &stream) != 0)
		return http_error(rq, 400, "bad camera id or stream", 0);
	if (query_i64(rq, "from", &from) != 0 || query_i64(rq, "to", &to) != 0)
		return http_error(rq, 400, "bad from or to", 0);
	if ((arr = json_array()) == NULL)
		return http_error(rq, 500, "out of memory", 0);
	if (index_links_range(rq->srv->ix, cam, stream, from, to, ARCHIVE_MAX_ROWS, add_link, arr) < 0) {
		json_decref(arr);
		return http_error(rq, 500, "index error", 0);
	}
	return http_json(rq, 200, json_pack("{s:o}", "segments", arr));
}

int
archive_serve_link(struct req *rq, const uint8_t cam[CAMERA_ID_LEN], uint8_t stream,
    const struct index_link *lp, const char *audit_org, int *sent)
{
	struct index_link l = *lp;
	struct MHD_Response *resp = NULL;
	uint64_t start = 0, len;
	char cr[96], hex[2 * CAMERA_ID_LEN + 1];
	int fd = -1, rr, r, status = 200;

	*sent = 0;
	len = l.length;
	rr = range_parse(http_header(rq, MHD_HTTP_HEADER_RANGE), l.length, &start, &len);
	if (rr == RANGE_UNSATISFIABLE) {
		snprintf(cr, sizeof(cr), "bytes */%" PRIu64, l.length);
		resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
		if (resp == NULL)
			return MHD_NO;
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_RANGE, cr);
		r = MHD_queue_response(rq->conn, 416, resp);
		MHD_destroy_response(resp);
		rq->responded = 1;
		return r;
	}
	r = store_blob_open_read(rq->srv->st, cam, stream, l.blob_id, &fd);
	if (r == STORE_E_NOTFOUND)
		return http_error(rq, 404, "segment expired", 0);
	if (r != 0)
		return http_error(rq, 500, "store error", 0);
	/* Fail closed: the read is on the org's record before a byte of it is queued. */
	hex_encode(cam, CAMERA_ID_LEN, hex);
	if (audit_org != NULL &&
	    orgaudit_archive_read(rq, audit_org, hex, stream, l.start_us, l.end_us) != 0) {
		close(fd);
		return http_error(rq, 503, ORGAUDIT_UNAVAILABLE, 0);
	}
	if (rr == RANGE_NONE) {
		start = 0;
		len = l.length;
	} else {
		status = 206;
		snprintf(cr, sizeof(cr), "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64, start,
		    start + len - 1, l.length);
	}
	/* sendfile from the blob; MHD owns fd from here. */
	resp = MHD_create_response_from_fd_at_offset64(len, fd, (uint64_t)(l.offset + start));
	if (resp == NULL) {
		close(fd);
		return http_error(rq, 500, "response error", 0);
	}
	MHD_add_response_header(resp, "Content-Type", "application/octet-stream");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_ACCEPT_RANGES, "bytes");
	if (status == 206)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_RANGE, cr);
	r = MHD_queue_response(rq->conn, (unsigned)status, resp);
	MHD_destroy_response(resp);
	rq->responded = 1;
	*sent = 1;
	return r;
}

int
h_segment_get(struct req *rq)
{
	uint8_t cam[CAMERA_ID_LEN], stream;
	struct index_link l;
	int64_t v;
	int r, sent;

	if (archive_params(rq, cam, &stream) != 0 || rq->m.nparams < 3 ||
	    parse_i64(rq->m.params[2], 0, INT64_MAX, &v) != 0)
		return http_error(rq, 400, "bad camera id, stream or seq", 0);
	r = index_link_get(rq->srv->ix, cam, stream, (uint64_t)v, &l);
	if (r == INDEX_E_NOTFOUND)
		return http_error(rq, 404, "no such segment", 0);
	if (r != 0)
		return http_error(rq, 500, "index error", 0);
	/* A viewer's read goes to the camera's org log first; the admin token reads only with
	 * --test-operator-footage, a loopback test mode with no TLS front (main.c). */
	return archive_serve_link(rq, cam, stream, &l,
	    rq->who.kind == POLICY_CAMERA_VIEW ? rq->who.org : NULL, &sent);
}

int
h_retention_put(struct req *rq)
{
	uint8_t cam[CAMERA_ID_LEN];
	char hex[2 * CAMERA_ID_LEN + 1], org[ORGS_ID_BUF];
	int64_t age;
	json_t *j = NULL;
	int r;

	if (archive_params(rq, cam, NULL) != 0)
		return http_error(rq, 400, "bad camera id", 0);
	if (jsonbody_parse(rq->body.data, rq->body.len, &j) != 0 ||
	    jsonbody_int(j, "max_age_s", 1, RETENTION_MAX_S, &age) != 0) {
		json_decref(j);
		return http_error(rq, 400, "body must be {\"max_age_s\":n}, n >= 1", 0);
	}
	json_decref(j);
	/* The admin token never shortens an organization's footage: that is the org's own
	 * setting (h_orgretention.c, step-up, audited), and an operator's only lever is the
	 * quota with its grace period. This route is for the interim keys.json cameras. */
	hex_encode(cam, sizeof(cam), hex);
	if (rq->srv->idn != NULL && rq->srv->idn->orgs != NULL &&
	    orgs_camera_org(rq->srv->idn->orgs, hex, org) == 0)
		return http_error(rq, 403, "an organization's camera: its retention is set by the "
		    "organization", 0);
	r = index_camera_set_retention(rq->srv->ix, cam, age);
	if (r == INDEX_E_NOTFOUND)
		return http_error(rq, 404, "no such camera", 0);
	if (r != 0)
		return http_error(rq, 500, "index error", 0);
	log_info("retention", "op=set camera=%s max_age_s=%lld", hex, (long long)age);
	return http_json(rq, 200, json_object());
}
