/* h_gwconfig.c - signed gateway configuration: admins store it for a gateway, the gateway fetches it with its org's root, admin certs and commands. */
#include <stdlib.h>
#include <string.h>
#include "common/statement.h"
#include "common/util.h"
#include "server/hexfield.h"
#include "server/http.h"
#include "server/identity.h"
#include "server/jsonbody.h"
#include "server/orgaudit.h"
#include "server/orgs.h"
#include "server/relay.h"
#include "server/server.h"

/* The gateway id of the path (second parameter), canonical, or -1. */
static int
path_gw(struct req *rq, char gw[ORGS_ID_BUF])
{
	uint8_t b[GATEWAY_ID_LEN];

	if (rq->m.nparams < 2 || hex_decode(rq->m.params[1], b, sizeof(b)) != 0)
		return -1;
	hex_encode(b, sizeof(b), gw);
	return 0;
}

int
h_gwconfig_put(struct req *rq)
{
	char gw[ORGS_ID_BUF];
	uint8_t *st = NULL, *copy = NULL;
	size_t sl = 0, cl = 0;
	uint64_t seq = 0;
	json_t *j = NULL;
	int r, e, serr;

	if (path_gw(rq, gw) != 0) {
		r = http_error(rq, 404, "not found", 0);
		goto out;
	}
	if (jsonbody_parse(rq->body.data, rq->body.len, &j) != 0 ||
	    hexfield_get(j, "statement", STMT_MAX_LEN, &st, &sl) != 0 ||
	    hexfield_get(j, "admin_copy", ORGS_ADMIN_COPY_MAX, &copy, &cl) != 0) {
		r = http_error(rq, 400, "body must be {\"statement\":hex,\"admin_copy\":hex}", 0);
		goto out;
	}
	e = orgs_gwconfig_put(rq->srv->idn->orgs, rq->who.org, gw, st, sl, copy, cl, now_us(), &serr,
	    &seq);
	if (e == ORGS_E_STALE) {
		r = http_json(rq, 409, json_pack("{s:s,s:I}", "error", "stale seq", "seq",
		    (json_int_t)seq));
		goto out;
	}
	if (e != 0) {
		r = e == ORGS_E_NOTFOUND ? http_error(rq, 404, "not found", 0) :
		    e == ORGS_E_STMT ? http_error(rq, 400, statement_strerror(serr), 0) :
		    e == ORGS_E_INVAL ? http_error(rq, 400, "bad admin_copy", 0) :
		    http_error(rq, 500, "internal error", 0);
		goto out;
	}
	log_info("orgs", "op=gateway_config org=%s gateway=%s seq=%llu by=%s", rq->who.org, gw,
	    (unsigned long long)seq, rq->who.user_id);
	orgaudit_event(rq, rq->who.org, "gateway.config", gw);
	r = http_json(rq, 200, json_pack("{s:I}", "seq", (json_int_t)seq));
out:
	json_decref(j);
	free(st);
	free(copy);
	return r;
}

int
h_gwconfig_get(struct req *rq)
{
	char gw[ORGS_ID_BUF], org[ORGS_ID_BUF];
	json_t *j;

	/* A gateway of another org answers like a missing one. */
	if (path_gw(rq, gw) != 0 || orgs_gateway_org(rq->srv->idn->orgs, gw, 0, org) != 0 ||
	    strcmp(org, rq->who.org) != 0)
		return http_error(rq, 404, "not found", 0);
	if (orgaudit_support_read(rq, "gateway_config", gw) != 0)
		return http_error(rq, 503, ORGAUDIT_UNAVAILABLE, 0);
	if ((j = orgs_gwconfig_json(rq->srv->idn->orgs, rq->who.org, gw)) == NULL)
		return http_error(rq, 500, "internal error", 0);
	return http_json(rq, 200, j);
}

/* Streams watched live at most this many per answer (the gateway's own bound), and the
 * cameras of a gateway looked at. */
#define GW_WATCHED_MAX 512
#define GW_CAMERAS_MAX 1024

/* The streams of gateway gw's cameras that someone watches live, as ["CAMERAHEX:STREAM"]:
 * a motion-only camera that pauses sends live video only for those. Only this gateway's
 * cameras are looked up (its list first, then their relay channels): no other
 * organization's or gateway's viewing is named, and the answer does not depend on how many
 * streams the whole server relays. */
static json_t *
watched_json(struct req *rq, const char *gw)
{
	uint8_t (*cams)[16] = calloc(GW_CAMERAS_MAX, sizeof(*cams));
	struct relay_watch *w = calloc(GW_WATCHED_MAX, sizeof(*w));
	char camh[2 * CAMERA_ID_LEN + 1], item[2 * CAMERA_ID_LEN + 8];
	json_t *a = json_array();
	size_t i, n;
	int nc;

	if (cams == NULL || w == NULL || a == NULL ||
	    (nc = orgs_gateway_cameras(rq->srv->idn->orgs, gw, cams, GW_CAMERAS_MAX)) <= 0)
		goto out;
	n = relay_watched(rq->srv->rl, (const uint8_t (*)[CAMERA_ID_LEN])cams, (size_t)nc, w,
	    GW_WATCHED_MAX);
	for (i = 0; i < n; i++) {
		hex_encode(w[i].cam, CAMERA_ID_LEN, camh);
		snprintf(item, sizeof(item), "%s:%u", camh, (unsigned)w[i].stream);
		json_array_append_new(a, json_string(item));
	}
out:
	free(cams);
	free(w);
	return a;
}

int
h_gateway_config(struct req *rq)
{
	const char *after_s = http_query(rq, "after");
	char gw[ORGS_ID_BUF], org[ORGS_ID_BUF];
	int64_t after = 0;
	json_t *j;

	if (after_s != NULL && parse_i64(after_s, 0, INT64_MAX, &after) != 0)
		return http_error(rq, 400, "after must be a seq >= 0", 0);
	hex_encode(rq->who.gateway_id, GATEWAY_ID_LEN, gw);
	if (orgs_gateway_org(rq->srv->idn->orgs, gw, now_us(), org) != 0)
		return http_error(rq, 404, "gateway is not enrolled in an organization", 0);
	if ((j = orgs_gateway_feed_json(rq->srv->idn->orgs, gw, (uint64_t)after)) == NULL)
		return http_error(rq, 500, "internal error", 0);
	if (json_object_set_new(j, "watched", watched_json(rq, gw)) != 0) {
		json_decref(j);
		return http_error(rq, 500, "internal error", 0);
	}
	return http_json(rq, 200, j);
}
