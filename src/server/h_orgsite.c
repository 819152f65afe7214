/* h_orgsite.c - an org's sites, cameras (bound to their gateway in the index), gateways and support grants. */
#include <stdlib.h>
#include <string.h>
#include "common/statement.h"
#include "common/util.h"
#include "server/accounts.h"
#include "server/blobpool.h"
#include "server/authbody.h"
#include "server/hexfield.h"
#include "server/http.h"
#include "server/identity.h"
#include "server/index.h"
#include "server/jsonbody.h"
#include "server/orgaudit.h"
#include "server/orgs.h"
#include "server/routes.h"
#include "server/server.h"
#include "server/shares.h"

#define ORG_NAME_MAX 64
#define CAMERA_LIST_MAX 100000

/* A display name: 1..64 bytes of printable text without control characters. */
static int
name_get(const json_t *j, char out[ORG_NAME_MAX + 1])
{
	const json_t *v = json_object_get(j, "name");
	const char *s;
	size_t n, i;

	if (!json_is_string(v) || (n = json_string_length(v)) == 0 || n > ORG_NAME_MAX)
		return -1;
	s = json_string_value(v);
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return -1;
	memcpy(out, s, n + 1);
	return 0;
}

int
h_site_add(struct req *rq)
{
	char id[ORGS_SID_BUF], name[ORG_NAME_MAX + 1];
	json_t *j = NULL;
	int r, e;

	if (jsonbody_parse(rq->body.data, rq->body.len, &j) != 0 ||
	    hexfield_id(j, "id", STMT_ID_LEN, id) != 0 || name_get(j, name) != 0) {
		r = http_error(rq, 400, "body must be {\"id\":hex32,\"name\":str}", 0);
		goto out;
	}
	e = orgs_site_add(rq->srv->idn->orgs, rq->who.org, id, name);
	if (e != 0) {
		r = e == ORGS_E_EXISTS ? http_error(rq, 409, "site exists", 0) :
		    http_error(rq, 500, "internal error", 0);
		goto out;
	}
	orgaudit_event(rq, rq->who.org, "site.add", id);
	r = http_json(rq, 201, json_object());
out:
	json_decref(j);
	return r;
}

int
h_sites_list(struct req *rq)
{
	json_t *j;

	if (orgaudit_support_read(rq, "sites", rq->who.org) != 0)
		return http_error(rq, 503, ORGAUDIT_UNAVAILABLE, 0);
	j = orgs_sites_json(rq->srv->idn->orgs, rq->who.org);
	return j != NULL ? http_json(rq, 200, j) : http_error(rq, 500, "internal error", 0);
}

int
h_org_camera_add(struct req *rq)
{
	struct server *srv = rq->srv;
	char id[ORGS_SID_BUF], site[ORGS_SID_BUF], gw[ORGS_ID_BUF], name[ORG_NAME_MAX + 1];
	uint8_t cam[CAMERA_ID_LEN], gwb[GATEWAY_ID_LEN];
	json_t *j = NULL;
	int r, e;

	if (jsonbody_parse(rq->body.data, rq->body.len, &j) != 0 ||
	    hexfield_id(j, "id", STMT_ID_LEN, id) != 0 || name_get(j, name) != 0 ||
	    hexfield_id(j, "site", STMT_ID_LEN, site) != 0 ||
	    hexfield_id(j, "gateway", GATEWAY_ID_LEN, gw) != 0) {
		r = http_error(rq, 400, "body must be {id:hex32,name,site:hex32,gateway:hex64}", 0);
		goto out;
	}
	(void)hex_decode(id, cam, sizeof(cam));
	(void)hex_decode(gw, gwb, sizeof(gwb));
	e = orgs_camera_add(srv->idn->orgs, rq->who.org, id, name, site, gw);
	if (e == ORGS_E_NOTFOUND) {
		r = http_error(rq, 400, "site or gateway is not in this organization", 0);
		goto out;
	}
	if (e != 0) {
		r = e == ORGS_E_EXISTS ? http_error(rq, 409, "camera exists", 0) :
		    http_error(rq, 500, "internal error", 0);
		goto out;
	}
	/* Bind the camera to its gateway in the index: ingest from any other gateway is 403. */
	if ((e = index_camera_claim(srv->ix, cam, gwb)) != 0) {
		struct orgs_camera_row saved;

		log_warn("orgs", "op=camera_add org=%s camera=%s err=%s", rq->who.org, id,
		    e == INDEX_E_OWNER ? "bound_to_other_gateway" : "index");
		/* Refused: the row must not stay, or the camera (recorded by another gateway,
		 * perhaps of another organization) would resolve to this org for viewing. */
		if (orgs_camera_remove(srv->idn->orgs, rq->who.org, id, &saved) != 0)
			log_err("orgs", "op=camera_add_undo org=%s camera=%s err=failed", rq->who.org,
			    id);
		r = e == INDEX_E_OWNER ? http_error(rq, 409, "camera recorded by another gateway", 0) :
		    http_error(rq, 500, "internal error", 0);
		goto out;
	}
	orgaudit_event(rq, rq->who.org, "camera.add", id);
	r = http_json(rq, 201, json_object());
out:
	json_decref(j);
	return r;
}

/* One body for a malformed id, a missing camera and another organization's camera. */
#define CAMERA_NOT_FOUND "not found"

int
h_org_camera_remove(struct req *rq)
{
	struct server *srv = rq->srv;
	uint8_t cam[CAMERA_ID_LEN];
	char hex[2 * CAMERA_ID_LEN + 1], org[ORGS_ID_BUF];
	struct orgs_camera_row saved;
	int64_t links = 0, bytes = 0;
	int ev, sh;
	json_t *detail;

	if (rq->m.nparams < 2 || strlen(rq->m.params[1]) != 2 * CAMERA_ID_LEN ||
	    hex_decode(rq->m.params[1], cam, sizeof(cam)) != 0)
		return http_error(rq, 404, CAMERA_NOT_FOUND, 0);
	hex_encode(cam, sizeof(cam), hex);
	if (orgs_camera_org(srv->idn->orgs, hex, org) != 0 || strcmp(org, rq->who.org) != 0)
		return http_error(rq, 404, CAMERA_NOT_FOUND, 0);
	/* Unregistered first: from here its gateway's uploads are refused (ingest checks the
	 * registration) and nobody may view it, so nothing new lands behind the deletion. */
	if (orgs_camera_remove(srv->idn->orgs, org, hex, &saved) != 0)
		return http_error(rq, 500, "internal error", 0);
	/* Nothing changed in the index (one small transaction; the links themselves go later, a
	 * batch at a time, index_purge_removed): registered again, so that the removal can be
	 * retried rather than leave footage no organization owns. */
	if (index_camera_remove(srv->ix, cam, &links, &bytes) != 0) {
		log_err("orgs", "op=camera_remove org=%s camera=%s err=index restored=%d", org, hex,
		    orgs_camera_restore(srv->idn->orgs, org, hex, &saved) == 0);
		return http_error(rq, 500, "index error: nothing was removed, try again", 0);
	}
	if (srv->bp != NULL)
		blobpool_retire_camera(srv->bp, cam);
	ev = h_events_forget_camera(srv, cam);
	sh = srv->sh != NULL ? shares_revoke_camera(srv->sh, org, hex) : 0;
	if (ev < 0 || sh < 0)
		log_err("orgs", "op=camera_remove org=%s camera=%s err=%s", org, hex,
		    ev < 0 ? "events_not_deleted" : "shares_not_revoked");
	log_info("orgs", "op=camera_remove org=%s camera=%s by=%s links=%lld bytes=%lld events=%d "
	    "shares_revoked=%d", org, hex, rq->who.user_id, (long long)links, (long long)bytes, ev, sh);
	detail = json_pack("{s:I,s:I,s:i,s:i}", "segments", (json_int_t)links, "bytes",
	    (json_int_t)bytes, "events", ev < 0 ? 0 : ev, "shares_revoked", sh < 0 ? 0 : sh);
	orgaudit_event_detail(rq, org, "camera.remove", hex, detail);
	json_decref(detail);
	return http_json(rq, 200, json_pack("{s:s,s:I,s:I,s:i,s:i}", "id", hex, "segments",
	    (json_int_t)links, "bytes", (json_int_t)bytes, "events", ev < 0 ? 0 : ev,
	    "shares_revoked", sh < 0 ? 0 : sh));
}

/* Attach one stream summary to the camera of the same id in the list. */
static int
add_stream(void *ctx, const struct index_stream_summary *s)
{
	json_t *cams = ctx, *c, *arr;
	char hex[2 * CAMERA_ID_LEN + 1];
	size_t i;

	hex_encode(s->camera_id, CAMERA_ID_LEN, hex);
	json_array_foreach(cams, i, c) {
		if (strcmp(json_string_value(json_object_get(c, "id")), hex) != 0)
			continue;
		if ((arr = json_object_get(c, "streams")) == NULL)
			return 0;
		return json_array_append_new(arr, json_pack("{s:i,s:I,s:I,s:I,s:I}", "stream",
		    (int)s->stream, "first_us", (json_int_t)s->first_us, "last_us",
		    (json_int_t)s->last_us, "segments", (json_int_t)s->segments, "bytes",
		    (json_int_t)s->bytes)) != 0;
	}
	return 0;
}

int
h_org_cameras(struct req *rq)
{
	struct orgs_member *m = malloc(sizeof(*m));
	json_t *j = NULL, *cams, *c;
	size_t i;
	int r;

	if (orgaudit_support_read(rq, "cameras", rq->who.org) != 0) {
		r = http_error(rq, 503, ORGAUDIT_UNAVAILABLE, 0);
		goto out;
	}
	if (m == NULL || orgs_membership(rq->srv->idn->orgs, rq->who.org, rq->who.user_id, now_us(),
	    m) != 0 || (j = orgs_cameras_json(rq->srv->idn->orgs, rq->who.org, m)) == NULL) {
		r = http_error(rq, 500, "internal error", 0);
		goto out;
	}
	cams = json_object_get(j, "cameras");
	json_array_foreach(cams, i, c)
		json_object_set_new(c, "streams", json_array());
	if (json_array_size(cams) > 0 &&
	    index_streams_list(rq->srv->ix, CAMERA_LIST_MAX, add_stream, cams) < 0) {
		r = http_error(rq, 500, "internal error", 0);
		goto out;
	}
	r = http_json(rq, 200, j);
	j = NULL;
out:
	json_decref(j);
	free(m);
	return r;
}

int
h_org_gateways(struct req *rq)
{
	json_t *j;

	if (orgaudit_support_read(rq, "gateways", rq->who.org) != 0)
		return http_error(rq, 503, ORGAUDIT_UNAVAILABLE, 0);
	j = orgs_gateways_json(rq->srv->idn->orgs, rq->who.org);
	return j != NULL ? http_json(rq, 200, j) : http_error(rq, 500, "internal error", 0);
}

int
h_support_grant(struct req *rq)
{
	struct identity *idn = rq->srv->idn;
	char name[AUTHBODY_TYPED_NAME_MAX + 1], uid[ACCOUNTS_ID_BUF];
	int64_t dur = 3600, expires;
	json_t *j = NULL, *detail = NULL;
	int r, e;

	if (jsonbody_parse(rq->body.data, rq->body.len, &j) != 0 ||
	    authbody_str(j, "username", name, AUTHBODY_TYPED_NAME_MAX) != 0 ||
	    (json_object_get(j, "duration_s") != NULL &&
	    jsonbody_int(j, "duration_s", 1, ORGS_SUPPORT_MAX_S, &dur) != 0)) {
		r = http_error(rq, 400, "body must be {\"username\":str,\"duration_s\":1..86400}", 0);
		goto out;
	}
	if (accounts_find(idn->acc, name, uid) != 0) {
		r = http_error(rq, 404, "not found", 0);
		goto out;
	}
	expires = now_us() + dur * 1000000;
	if ((e = orgs_support_grant(idn->orgs, rq->who.org, uid, expires, rq->who.user_id)) != 0) {
		r = e == ORGS_E_EXISTS ? http_error(rq, 409, "already a member", 0) :
		    http_error(rq, 500, "internal error", 0);
		goto out;
	}
	log_info("orgs", "op=support_grant org=%s user=%s by=%s expires_us=%lld", rq->who.org, uid,
	    rq->who.user_id, (long long)expires);
	/* The entry says until when the grant holds, as the answer does. */
	detail = json_pack("{s:I}", "expires_us", (json_int_t)expires);
	orgaudit_event_detail(rq, rq->who.org, "support.grant", uid, detail);
	r = http_json(rq, 201, json_pack("{s:s,s:I}", "user_id", uid, "expires_us",
	    (json_int_t)expires));
out:
	json_decref(detail);
	json_decref(j);
	return r;
}

int
h_support_list(struct req *rq)
{
	json_t *j;

	if (orgaudit_support_read(rq, "support_grants", rq->who.org) != 0)
		return http_error(rq, 503, ORGAUDIT_UNAVAILABLE, 0);
	j = orgs_support_json(rq->srv->idn->orgs, rq->who.org, now_us());
	return j != NULL ? http_json(rq, 200, j) : http_error(rq, 500, "internal error", 0);
}

int
h_support_revoke(struct req *rq)
{
	uint8_t id[STMT_ID_LEN];
	char uid[ORGS_SID_BUF];
	int e;

	if (rq->m.nparams < 2 || hex_decode(rq->m.params[1], id, sizeof(id)) != 0)
		return http_error(rq, 404, "not found", 0);
	hex_encode(id, sizeof(id), uid);
	if ((e = orgs_support_revoke(rq->srv->idn->orgs, rq->who.org, uid)) != 0)
		return e == ORGS_E_NOTFOUND ? http_error(rq, 404, "not found", 0) :
		    http_error(rq, 500, "internal error", 0);
	log_info("orgs", "op=support_revoke org=%s user=%s by=%s", rq->who.org, uid, rq->who.user_id);
	orgaudit_event(rq, rq->who.org, "support.revoke", uid);
	return http_json(rq, 200, json_object());
}
