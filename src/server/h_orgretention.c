/* h_orgretention.c - an organization's retention: the per-camera list (storage used, oldest recording) and the owner/admin setting of one camera's maximum age, audited. */
#include <string.h>
#include <jansson.h>
#include "common/segment.h"
#include "common/util.h"
#include "server/h_orgretention.h"
#include "server/http.h"
#include "server/identity.h"
#include "server/index.h"
#include "server/jsonbody.h"
#include "server/orgaudit.h"
#include "server/orgs.h"
#include "server/server.h"

/* At most this many camera streams are summed (as GET /api/v1/orgs/{org}/cameras). */
#define ORGRETENTION_STREAMS_MAX 100000
/* One body for a missing camera and a camera of another organization. */
#define ORGRETENTION_NOT_FOUND "not found"

int
orgretention_body_parse(const uint8_t *p, size_t n, int64_t *max_age_s)
{
	json_t *j = NULL;
	int64_t v;
	int r = -1;

	*max_age_s = 0;
	if (jsonbody_parse(p, n, &j) != 0)
		goto out;
	if (json_object_size(j) != 1 ||
	    jsonbody_int(j, "max_age_s", 0, ORGRETENTION_MAX_S, &v) != 0)
		goto out;
	if (v != 0 && v < ORGRETENTION_MIN_S)
		goto out;
	*max_age_s = v;
	r = 0;
out:
	json_decref(j);
	return r;
}

/* The camera's effective maximum age: its own, else the server's default (*own = 0).
 * 0, INDEX_E_NOTFOUND or INDEX_E_IO. */
static int
effective_age(struct server *srv, const uint8_t cam[CAMERA_ID_LEN], int64_t *age, int *own)
{
	int r = index_camera_retention(srv->ix, cam, age);

	if (r < 0)
		return r;
	*own = r;
	if (r == 0)
		*age = srv->retention_s;
	return 0;
}

/* Add one stream summary to the row of the same camera id. */
static int
add_stream(void *ctx, const struct index_stream_summary *s)
{
	json_t *rows = ctx, *c, *v;
	char hex[2 * CAMERA_ID_LEN + 1];
	size_t i;

	hex_encode(s->camera_id, CAMERA_ID_LEN, hex);
	json_array_foreach(rows, i, c) {
		if (strcmp(json_string_value(json_object_get(c, "id")), hex) != 0)
			continue;
		json_object_set_new(c, "bytes", json_integer(json_integer_value(json_object_get(c,
		    "bytes")) + s->bytes));
		json_object_set_new(c, "segments", json_integer(json_integer_value(json_object_get(c,
		    "segments")) + s->segments));
		v = json_object_get(c, "oldest_us");
		if (s->segments > 0 && (json_is_null(v) || s->first_us < json_integer_value(v)))
			json_object_set_new(c, "oldest_us", json_integer(s->first_us));
		v = json_object_get(c, "newest_us");
		if (s->segments > 0 && (json_is_null(v) || s->last_us > json_integer_value(v)))
			json_object_set_new(c, "newest_us", json_integer(s->last_us));
		return 0;
	}
	return 0;
}

int
h_org_retention_list(struct req *rq)
{
	struct server *srv = rq->srv;
	json_t *cams = NULL, *rows = NULL, *c, *row;
	uint8_t cam[CAMERA_ID_LEN];
	int64_t age, org_used = 0;
	struct orgs_quota oq;
	size_t i;
	int r, own;

	if ((cams = orgs_cameras_json(srv->idn->orgs, rq->who.org, NULL)) == NULL ||
	    (rows = json_array()) == NULL)
		goto fail;
	json_array_foreach(json_object_get(cams, "cameras"), i, c) {
		const char *id = json_string_value(json_object_get(c, "id"));

		if (id == NULL || hex_decode(id, cam, sizeof(cam)) != 0)
			continue;
		r = effective_age(srv, cam, &age, &own);
		if (r == INDEX_E_NOTFOUND) {
			/* Registered in the org but unknown to the index: nothing stored, default age. */
			age = srv->retention_s;
			own = 0;
		} else if (r != 0) {
			goto fail;
		}
		row = json_pack("{s:O,s:O,s:O,s:I,s:b,s:I,s:I,s:n,s:n}", "id", json_object_get(c, "id"),
		    "name", json_object_get(c, "name"), "site", json_object_get(c, "site"),
		    "max_age_s", (json_int_t)age, "default", !own, "bytes", (json_int_t)0,
		    "segments", (json_int_t)0, "oldest_us", "newest_us");
		if (row == NULL || json_array_append_new(rows, row) != 0)
			goto fail;
	}
	if (json_array_size(rows) > 0 &&
	    index_streams_list(srv->ix, ORGRETENTION_STREAMS_MAX, add_stream, rows) < 0)
		goto fail;
	if (orgs_quota_get(srv->idn->orgs, rq->who.org, &oq) != 0)
		goto fail;
	json_array_foreach(rows, i, row)
		org_used += json_integer_value(json_object_get(row, "bytes"));
	json_decref(cams);
	/* quota: footage may go before its age (the instance's or the org's quota is set). */
	return http_json(rq, 200, json_pack("{s:I,s:I,s:I,s:b,s:I,s:I,s:I,s:o}",
	    "default_max_age_s", (json_int_t)srv->retention_s, "min_max_age_s",
	    (json_int_t)ORGRETENTION_MIN_S, "max_max_age_s", (json_int_t)ORGRETENTION_MAX_S, "quota",
	    srv->quota_bytes > 0 || oq.bytes > 0, "org_quota_bytes", (json_int_t)oq.bytes,
	    "org_quota_effective_us", (json_int_t)oq.effective_us, "org_bytes",
	    (json_int_t)org_used, "cameras", rows));
fail:
	json_decref(cams);
	json_decref(rows);
	return http_error(rq, 500, "internal error", 0);
}

int
h_org_retention_put(struct req *rq)
{
	struct server *srv = rq->srv;
	uint8_t cam[CAMERA_ID_LEN];
	char hex[2 * CAMERA_ID_LEN + 1], org[ORGS_ID_BUF];
	int64_t age, old;
	json_t *detail;
	int r, own, shortened;

	if (orgretention_body_parse(rq->body.data, rq->body.len, &age) != 0)
		return http_error(rq, 400, "body must be {\"max_age_s\":n}, n 0 (keep until the "
		    "storage quota) or 3600 (1 hour) to 315619200 (10 years)", 0);
	/* A malformed id, a missing camera and another organization's camera: one answer. */
	if (rq->m.nparams < 2 || hex_decode(rq->m.params[1], cam, sizeof(cam)) != 0)
		return http_error(rq, 404, ORGRETENTION_NOT_FOUND, 0);
	hex_encode(cam, sizeof(cam), hex);
	if (orgs_camera_org(srv->idn->orgs, hex, org) != 0 || strcmp(org, rq->who.org) != 0)
		return http_error(rq, 404, ORGRETENTION_NOT_FOUND, 0);
	r = effective_age(srv, cam, &old, &own);
	if (r == INDEX_E_NOTFOUND)
		return http_error(rq, 404, ORGRETENTION_NOT_FOUND, 0);
	if (r != 0 || index_camera_set_retention(srv->ix, cam, age) != 0)
		return http_error(rq, 500, "index error", 0);
	/* Shorter: footage older than the new age goes at the next retention pass. */
	shortened = age != 0 && (old <= 0 || age < old);
	log_info("retention", "op=org_set org=%s camera=%s by=%s old_max_age_s=%lld "
	    "old_source=%s max_age_s=%lld shortened=%d", rq->who.org, hex, rq->who.user_id,
	    (long long)old, own ? "camera" : "default", (long long)age, shortened);
	detail = json_pack("{s:I,s:s,s:I}", "old_max_age_s", (json_int_t)old, "old_source",
	    own ? "camera" : "default", "new_max_age_s", (json_int_t)age);
	orgaudit_event_detail(rq, rq->who.org, "settings.retention", hex, detail);
	json_decref(detail);
	return http_json(rq, 200, json_pack("{s:s,s:I,s:I,s:b}", "id", hex, "max_age_s",
	    (json_int_t)age, "previous_max_age_s", (json_int_t)old, "shortened", shortened));
}
