/* h_opquota.c - the instance operator's organization routes: the list of organizations (opaque ids, counts, storage) and each organization's storage quota. */
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "common/auditlog.h"
#include "common/util.h"
#include "server/authhttp.h"
#include "server/h_opquota.h"
#include "server/http.h"
#include "server/identity.h"
#include "server/index.h"
#include "server/jsonbody.h"
#include "server/orgaudit.h"
#include "server/orgs.h"
#include "server/routes.h"
#include "server/server.h"

/* One body for a malformed and a missing organization id. */
#define OPQUOTA_NOT_FOUND "not found"

int
opquota_body_parse(const uint8_t *p, size_t n, uint64_t *bytes)
{
	json_t *j = NULL;
	int64_t v;
	int r = -1;

	*bytes = 0;
	if (jsonbody_parse(p, n, &j) != 0)
		goto out;
	if (json_object_size(j) != 1 || jsonbody_int(j, "quota_bytes", 0, INT64_MAX, &v) != 0)
		goto out;
	*bytes = (uint64_t)v;
	r = 0;
out:
	json_decref(j);
	return r;
}

/* The bytes stored for org's cameras. 0 or -1. */
static int
org_bytes(struct server *srv, const char *org, uint64_t *bytes)
{
	uint8_t (*cams)[STMT_ID_LEN] = NULL;
	size_t n = 0;
	int r = -1;

	*bytes = 0;
	if (orgs_camera_ids(srv->idn->orgs, org, &cams, &n) == 0 &&
	    index_cameras_bytes(srv->ix, cams, n, bytes) == 0)
		r = 0;
	free(cams);
	return r;
}

int
h_operator_orgs(struct req *rq)
{
	struct server *srv = rq->srv;
	json_t *j, *o;
	uint64_t used, total = 0;
	size_t i;

	if ((j = orgs_operator_json(srv->idn->orgs)) == NULL)
		return http_error(rq, 500, "internal error", 0);
	json_array_foreach(json_object_get(j, "orgs"), i, o) {
		if (org_bytes(srv, json_string_value(json_object_get(o, "id")), &used) != 0) {
			json_decref(j);
			return http_error(rq, 500, "index error", 0);
		}
		json_object_set_new(o, "bytes_used", json_integer((json_int_t)used));
	}
	if (index_total_bytes(srv->ix, &total) != 0) {
		json_decref(j);
		return http_error(rq, 500, "index error", 0);
	}
	json_object_set_new(j, "instance_quota_bytes", json_integer((json_int_t)srv->quota_bytes));
	json_object_set_new(j, "bytes_used", json_integer((json_int_t)total));
	return http_json(rq, 200, j);
}

int
h_operator_quota_put(struct req *rq)
{
	struct server *srv = rq->srv;
	struct reqinfo ri;
	struct orgs_quota old;
	char org[ORGS_ID_BUF], target[2 * ORGS_ID_BUF + 64];
	const char *actor;
	uint64_t bytes, used = 0;
	int64_t now = now_us(), effective = now;
	json_t *detail;
	int r;

	if (opquota_body_parse(rq->body.data, rq->body.len, &bytes) != 0)
		return http_error(rq, 400, "body must be {\"quota_bytes\":n}, n 0 (no quota) to "
		    "9223372036854775807", 0);
	if (rq->m.nparams < 1 || strlen(rq->m.params[0]) != ORGS_ID_BUF - 1 ||
	    strspn(rq->m.params[0], "0123456789abcdef") != ORGS_ID_BUF - 1)
		return http_error(rq, 404, OPQUOTA_NOT_FOUND, 0);
	memcpy(org, rq->m.params[0], ORGS_ID_BUF);
	if (org_bytes(srv, org, &used) != 0)
		return http_error(rq, 500, "index error", 0);
	/* A quota that would delete footage now waits the grace period: the organization sees
	 * it coming in its audit log and retention view, and a leaked operator credential cannot
	 * wipe an organization's recordings at once. */
	if (bytes != 0 && bytes < used)
		effective = now + srv->quota_grace_s * 1000000;
	r = orgs_quota_set(srv->idn->orgs, org, bytes, now, effective, &old);
	if (r == ORGS_E_NOTFOUND)
		return http_error(rq, 404, OPQUOTA_NOT_FOUND, 0);
	if (r != 0)
		return http_error(rq, 500, "internal error", 0);
	authhttp_info(rq, &ri);
	actor = rq->who.user_id[0] != '\0' ? rq->who.user_id : "operator:admin-token";
	log_info("retention", "op=org_quota_set org=%s by=%s old_quota_bytes=%llu quota_bytes=%llu "
	    "bytes_used=%llu effective_us=%lld rid=%s", org, actor, (unsigned long long)old.bytes,
	    (unsigned long long)bytes, (unsigned long long)used, (long long)effective, ri.rid);
	snprintf(target, sizeof(target), "%s quota_bytes=%llu effective_us=%lld", org,
	    (unsigned long long)bytes, (long long)effective);
	authhttp_audit(rq, &ri, "org.quota", AUDITLOG_ACTOR_OPERATOR, actor, target);
	detail = json_pack("{s:I,s:I,s:I,s:I}", "old_quota_bytes", (json_int_t)old.bytes,
	    "new_quota_bytes", (json_int_t)bytes, "bytes_used", (json_int_t)used, "effective_us",
	    (json_int_t)effective);
	orgaudit_event_detail(rq, org, "settings.quota", org, detail);
	json_decref(detail);
	return http_json(rq, 200, json_pack("{s:s,s:I,s:I,s:I,s:I}", "id", org, "quota_bytes",
	    (json_int_t)bytes, "previous_quota_bytes", (json_int_t)old.bytes, "bytes_used",
	    (json_int_t)used, "effective_us", (json_int_t)effective));
}
