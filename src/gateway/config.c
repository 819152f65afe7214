/* config.c - parses and validates the gateway configuration (jansson), each error naming its field. */
#include "gateway/config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <sodium.h>

#include "common/buf.h"
#include "common/statement.h"
#include "common/util.h"
#include "gateway/motion_config.h"

#define SPOOL_MIN_BYTES (1024u * 1024u)
#define SPOOL_MAX_BYTES (UINT64_C(1) << 52)
#define TARGET_MIN_MS 500
#define TARGET_MAX_MS 30000

/* A field name is echoed in an error only if it is short and plain. */
static const char *safe_key(const char *k)
{
	size_t i, n = strlen(k);

	if (n == 0 || n > 32)
		return "(unprintable)";
	for (i = 0; i < n; i++)
		if (!((k[i] >= 'a' && k[i] <= 'z') || (k[i] >= 'A' && k[i] <= 'Z') ||
		    (k[i] >= '0' && k[i] <= '9') || k[i] == '_'))
			return "(unprintable)";
	return k;
}

/* Reject fields outside the allowed set: a typo must not silently fall back. */
static int only_keys(json_t *obj, const char *const *allowed, const char *where, char *err,
    size_t errlen)
{
	const char *k;
	json_t *v;
	size_t i;

	json_object_foreach(obj, k, v) {
		int ok = 0;
		for (i = 0; allowed[i] != NULL; i++)
			if (strcmp(k, allowed[i]) == 0)
				ok = 1;
		if (!ok) {
			errf(err, errlen, "%s%sunknown field \"%s\"", where, where[0] ? ": " : "",
			    safe_key(k));
			return -1;
		}
	}
	return 0;
}

/* A printable string of 1..max bytes without NULs or control characters. */
static int get_str(json_t *obj, const char *key, const char *where, size_t max, const char **out,
    char *err, size_t errlen)
{
	json_t *v = json_object_get(obj, key);
	const char *s;
	size_t i, n;

	if (v == NULL) {
		errf(err, errlen, "%s%s: missing", where, key);
		return -1;
	}
	if (!json_is_string(v)) {
		errf(err, errlen, "%s%s: must be a string", where, key);
		return -1;
	}
	s = json_string_value(v);
	n = json_string_length(v);
	if (n == 0 || n > max || strlen(s) != n) {
		errf(err, errlen, "%s%s: must be 1 to %zu characters", where, key, max);
		return -1;
	}
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x21 || s[i] == 0x7f) {
			errf(err, errlen, "%s%s: must not contain spaces or control characters",
			    where, key);
			return -1;
		}
	*out = s;
	return 0;
}

static int get_int(json_t *obj, const char *key, const char *where, json_int_t min,
    json_int_t max, json_int_t *out, char *err, size_t errlen)
{
	json_t *v = json_object_get(obj, key);

	if (v == NULL) {
		errf(err, errlen, "%s%s: missing", where, key);
		return -1;
	}
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max) {
		errf(err, errlen, "%s%s: must be an integer from %lld to %lld", where, key,
		    (long long)min, (long long)max);
		return -1;
	}
	*out = json_integer_value(v);
	return 0;
}

static int get_hex(json_t *obj, const char *key, const char *where, uint8_t *out, size_t n,
    char *err, size_t errlen)
{
	const char *s;
	size_t i;

	if (get_str(obj, key, where, 2 * n, &s, err, errlen) != 0)
		return -1;
	for (i = 0; s[i] != '\0'; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			break;
	if (strlen(s) != 2 * n || s[i] != '\0' || hex_decode(s, out, n) != 0) {
		errf(err, errlen, "%s%s: must be %zu lowercase hex characters", where, key, 2 * n);
		return -1;
	}
	return 0;
}

static int dup_str(const char *s, char **out, const char *key, char *err, size_t errlen)
{
	if ((*out = strdup(s)) == NULL) {
		errf(err, errlen, "%s: out of memory", key);
		return -1;
	}
	return 0;
}

static int has_prefix(const char *s, const char *pre)
{
	return strncmp(s, pre, strlen(pre)) == 0;
}

static int parse_stream(json_t *js, const char *where, struct config_stream *st, char *err,
    size_t errlen)
{
	static const char *const keys[] = { "index", "url", NULL };
	const char *url;
	json_int_t idx;

	if (!json_is_object(js)) {
		errf(err, errlen, "%s: must be an object", where);
		return -1;
	}
	char w[160];
	snprintf(w, sizeof(w), "%s.", where);
	if (get_int(js, "index", w, 0, 255, &idx, err, errlen) != 0 ||
	    get_str(js, "url", w, CONFIG_URL_MAX, &url, err, errlen) != 0 ||
	    only_keys(js, keys, where, err, errlen) != 0)
		return -1;
	if (!has_prefix(url, "rtsp://") && !has_prefix(url, "rtsps://")) {
		errf(err, errlen, "%surl: must start with rtsp:// or rtsps://", w);
		return -1;
	}
	if (strlen(url) <= strlen("rtsps://")) {
		errf(err, errlen, "%surl: has no host", w);
		return -1;
	}
	st->index = (uint8_t)idx;
	return dup_str(url, &st->url, "url", err, errlen);
}

_Static_assert(CONFIG_NAME_MAX == STMT_NAME_MAX, "a configuration holds any signed camera name");

static int parse_camera(json_t *jc, size_t ci, struct config_camera *cam, char *err, size_t errlen)
{
	static const char *const keys[] = { "name", "id", "epoch", "epoch_public_key", "streams",
		"detection", "recording", NULL };
	char where[64], w[96];
	const char *name;
	json_int_t epoch;
	json_t *jn, *jss, *jd, *jr;
	size_t i, j;

	snprintf(where, sizeof(where), "cameras[%zu]", ci);
	if (!json_is_object(jc)) {
		errf(err, errlen, "%s: must be an object", where);
		return -1;
	}
	snprintf(w, sizeof(w), "%s.", where);
	/* The rule of the signed camera.epoch name ("Front door" is one): the owner's client
	 * signs the same name into this configuration. */
	jn = json_object_get(jc, "name");
	if (jn == NULL || !json_is_string(jn)) {
		errf(err, errlen, "%sname: %s", w, jn == NULL ? "missing" : "must be a string");
		return -1;
	}
	name = json_string_value(jn);
	if (strlen(name) != json_string_length(jn) || !statement_camera_name_ok(name)) {
		errf(err, errlen, "%sname: 1 to %d bytes of UTF-8 text without control characters",
		    w, CONFIG_NAME_MAX);
		return -1;
	}
	memcpy(cam->name, name, strlen(name) + 1);
	/* Logs are key=value: the label keeps letters, digits, '-', '_' and '.', and turns
	 * every other byte into '_'. */
	for (i = 0; name[i] != '\0'; i++)
		cam->label[i] = (name[i] >= 'a' && name[i] <= 'z') || (name[i] >= 'A' && name[i] <= 'Z') ||
		    (name[i] >= '0' && name[i] <= '9') || name[i] == '-' || name[i] == '_' ||
		    name[i] == '.' ? name[i] : '_';
	cam->label[i] = '\0';
	if (get_hex(jc, "id", w, cam->id, CAMERA_ID_LEN, err, errlen) != 0 ||
	    get_int(jc, "epoch", w, 0, UINT32_MAX, &epoch, err, errlen) != 0 ||
	    get_hex(jc, "epoch_public_key", w, cam->epoch_pk, EPOCH_PK_LEN, err, errlen) != 0)
		return -1;
	cam->epoch = (uint32_t)epoch;
	jss = json_object_get(jc, "streams");
	if (jss == NULL || !json_is_array(jss) || json_array_size(jss) == 0 ||
	    json_array_size(jss) > CONFIG_MAX_STREAMS) {
		errf(err, errlen, "%sstreams: must be an array of 1 to %d streams", w,
		    CONFIG_MAX_STREAMS);
		return -1;
	}
	for (i = 0; i < json_array_size(jss); i++) {
		char sw[128];
		snprintf(sw, sizeof(sw), "%sstreams[%zu]", w, i);
		if (parse_stream(json_array_get(jss, i), sw, &cam->streams[i], err, errlen) != 0)
			return -1;
		cam->nstreams = i + 1;
		for (j = 0; j < i; j++)
			if (cam->streams[j].index == cam->streams[i].index) {
				errf(err, errlen, "%s.index: repeats streams[%zu].index", sw, j);
				return -1;
			}
	}
	/* Zones, masks, sensitivity and durations: refused with the whole configuration when
	 * invalid, so that a broken mask never silently watches what it should hide. */
	motion_params_default(&cam->detection);
	if ((jd = json_object_get(jc, "detection")) != NULL) {
		char derr[200];
		if (motion_config_from_json(jd, &cam->detection, derr, sizeof(derr)) != 0) {
			errf(err, errlen, "%s%s", w, derr);
			return -1;
		}
		cam->has_detection = 1;
	}
	recgate_mode_default(&cam->recording);
	if ((jr = json_object_get(jc, "recording")) != NULL) {
		char rerr[200];
		if (recgate_mode_from_json(jr, &cam->recording, rerr, sizeof(rerr)) != 0) {
			errf(err, errlen, "%s%s", w, rerr);
			return -1;
		}
	}
	/* Unknown fields last, so that a missing or wrong known field is named first. */
	return only_keys(jc, keys, where, err, errlen);
}

int config_parse(const void *p, size_t n, struct config **out, char *err, size_t errlen)
{
	return config_parse_opts(p, n, 0, out, err, errlen);
}

int config_parse_opts(const void *p, size_t n, unsigned opts, struct config **out, char *err,
    size_t errlen)
{
	static const char *const keys[] = { "server", "key_file", "spool_dir", "spool_max_bytes",
		"segment_target_ms", "cameras", NULL };
	struct config *c = NULL;
	json_error_t je;
	json_t *root = NULL, *jcams;
	const char *s;
	json_int_t v;
	size_t i, j;
	int ret = -1;

	*out = NULL;
	errf(err, errlen, "invalid configuration");
	if (n > CONFIG_MAX_BYTES) {
		errf(err, errlen, "config: larger than %u bytes", CONFIG_MAX_BYTES);
		goto out;
	}
	root = json_loadb(p, n, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL) {
		errf(err, errlen, "config: not valid JSON (line %d column %d)", je.line, je.column);
		goto out;
	}
	if (!json_is_object(root)) {
		errf(err, errlen, "config: must be a JSON object");
		goto out;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		errf(err, errlen, "config: out of memory");
		goto out;
	}
	if (get_str(root, "server", "", CONFIG_URL_MAX, &s, err, errlen) != 0)
		goto out;
	if ((!has_prefix(s, "http://") && !has_prefix(s, "https://")) ||
	    strlen(s) <= strlen("https://")) {
		errf(err, errlen, "server: must be an http:// or https:// URL with a host");
		goto out;
	}
	if (dup_str(s, &c->server, "server", err, errlen) != 0)
		goto out;
	if (get_str(root, "key_file", "", CONFIG_PATH_MAX, &s, err, errlen) != 0)
		goto out;
	if (s[0] != '/') {
		errf(err, errlen, "key_file: must be an absolute path");
		goto out;
	}
	if (dup_str(s, &c->key_file, "key_file", err, errlen) != 0)
		goto out;
	if (get_str(root, "spool_dir", "", CONFIG_PATH_MAX, &s, err, errlen) != 0)
		goto out;
	if (s[0] != '/') {
		errf(err, errlen, "spool_dir: must be an absolute path");
		goto out;
	}
	if (dup_str(s, &c->spool_dir, "spool_dir", err, errlen) != 0)
		goto out;
	if (get_int(root, "spool_max_bytes", "", SPOOL_MIN_BYTES, (json_int_t)SPOOL_MAX_BYTES, &v,
	    err, errlen) != 0)
		goto out;
	c->spool_max_bytes = (uint64_t)v;
	if (get_int(root, "segment_target_ms", "", TARGET_MIN_MS, TARGET_MAX_MS, &v, err,
	    errlen) != 0)
		goto out;
	c->segment_target_ms = (uint32_t)v;

	jcams = json_object_get(root, "cameras");
	if ((opts & CONFIG_ALLOW_NO_CAMERAS) != 0 &&
	    (jcams == NULL || (json_is_array(jcams) && json_array_size(jcams) == 0))) {
		if (only_keys(root, keys, "", err, errlen) != 0)
			goto out;
		*out = c;
		c = NULL;
		errf(err, errlen, "ok");
		ret = 0;
		goto out;
	}
	if (jcams == NULL || !json_is_array(jcams) || json_array_size(jcams) == 0 ||
	    json_array_size(jcams) > CONFIG_MAX_CAMERAS) {
		errf(err, errlen, "cameras: must be an array of 1 to %d cameras", CONFIG_MAX_CAMERAS);
		goto out;
	}
	c->cameras = calloc(json_array_size(jcams), sizeof(*c->cameras));
	if (c->cameras == NULL) {
		errf(err, errlen, "cameras: out of memory");
		goto out;
	}
	for (i = 0; i < json_array_size(jcams); i++) {
		c->ncameras = i + 1;
		if (parse_camera(json_array_get(jcams, i), i, &c->cameras[i], err, errlen) != 0)
			goto out;
		for (j = 0; j < i; j++) {
			if (memcmp(c->cameras[j].id, c->cameras[i].id, CAMERA_ID_LEN) == 0) {
				errf(err, errlen, "cameras[%zu].id: repeats cameras[%zu].id", i, j);
				goto out;
			}
			if (strcmp(c->cameras[j].name, c->cameras[i].name) == 0) {
				errf(err, errlen, "cameras[%zu].name: repeats cameras[%zu].name", i, j);
				goto out;
			}
		}
	}
	if (only_keys(root, keys, "", err, errlen) != 0 || config_check_recording(c, err, errlen) != 0)
		goto out;
	*out = c;
	c = NULL;
	errf(err, errlen, "ok");
	ret = 0;
out:
	config_free(c);
	json_decref(root);
	return ret;
}

int config_check_recording(const struct config *c, char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < c->ncameras; i++) {
		if (c->cameras[i].recording.motion_only && !c->cameras[i].detection.enabled) {
			errf(err, errlen, "cameras[%zu].recording.mode: \"motion\" needs detection enabled", i);
			return -1;
		}
	}
	return 0;
}

int config_load(const char *path, struct config **out, char *err, size_t errlen)
{
	return config_load_opts(path, 0, out, err, errlen);
}

int config_load_opts(const char *path, unsigned opts, struct config **out, char *err,
    size_t errlen)
{
	struct buf b;
	int ret = -1;

	*out = NULL;
	buf_init(&b, CONFIG_MAX_BYTES);
	if (file_read(path, &b, CONFIG_MAX_BYTES) != 0) {
		errf(err, errlen, "config: cannot read the file (missing, unreadable or over %u bytes)",
		    CONFIG_MAX_BYTES);
		goto out;
	}
	ret = config_parse_opts(b.data, b.len, opts, out, err, errlen);
out:
	buf_free(&b);
	return ret;
}

void config_free(struct config *c)
{
	size_t i, j;

	if (c == NULL)
		return;
	free(c->server);
	free(c->key_file);
	free(c->spool_dir);
	/* Camera addresses may carry the camera's password: wiped before they go. */
	for (i = 0; i < c->ncameras && c->cameras != NULL; i++)
		for (j = 0; j < c->cameras[i].nstreams; j++) {
			char *u = c->cameras[i].streams[j].url;

			if (u != NULL)
				sodium_memzero(u, strlen(u));
			free(u);
		}
	free(c->cameras);
	free(c);
}
