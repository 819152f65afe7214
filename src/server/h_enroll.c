/* h_enroll.c - invitation and enrollment routes: the admin's invitation, the newcomer's request and result poll, the admin's acceptance. */
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "common/enroll.h"
#include "common/util.h"
#include "server/authhttp.h"
#include "server/hexfield.h"
#include "server/http.h"
#include "server/identity.h"
#include "server/index.h"
#include "server/jsonbody.h"
#include "server/orgaudit.h"
#include "server/orgs.h"
#include "server/server.h"
#include "server/throttle.h"

/* The throttle counts failed enrollment attempts per address under this pseudo-name. */
#define ENROLL_THROTTLE_NAME "~enroll"
#define ENROLL_DENIED "invalid or used code"

int
h_invite_add(struct req *rq)
{
	uint8_t verifier[ENROLL_VERIFIER_LEN];
	char id[ORGS_SID_BUF], site[ORGS_SID_BUF];
	const char *kind_s;
	int64_t expires, now = now_us();
	uint8_t kind;
	json_t *j = NULL;
	int r, e, has_site;

	if (jsonbody_parse(rq->body.data, rq->body.len, &j) != 0 ||
	    hexfield_id(j, "id", ENROLL_ID_LEN, id) != 0 ||
	    jsonbody_hex(j, "verifier", verifier, sizeof(verifier)) != 0 ||
	    (kind_s = json_string_value(json_object_get(j, "kind"))) == NULL ||
	    jsonbody_int(j, "expires_us", now + 1, now + ORGS_INVITE_MAX_US, &expires) != 0) {
		r = http_error(rq, 400, "body must be {id,kind,verifier,site?,expires_us (within 7 days)}", 0);
		goto out;
	}
	kind = strcmp(kind_s, "gateway") == 0 ? ENROLL_GATEWAY : strcmp(kind_s, "user") == 0 ?
	    ENROLL_USER : 0;
	has_site = json_object_get(j, "site") != NULL && !json_is_null(json_object_get(j, "site"));
	if (kind == 0 || (has_site && hexfield_id(j, "site", STMT_ID_LEN, site) != 0) ||
	    (kind == ENROLL_GATEWAY) != has_site) {
		r = http_error(rq, 400, "kind must be gateway (with site) or user (without)", 0);
		goto out;
	}
	e = orgs_invite_add(rq->srv->idn->orgs, rq->who.org, id, kind, verifier,
	    has_site ? site : NULL, expires, now);
	if (e != 0) {
		r = e == ORGS_E_EXISTS ? http_error(rq, 409, "invitation exists", 0) :
		    e == ORGS_E_NOTFOUND ? http_error(rq, 400, "site is not in this organization", 0) :
		    e == ORGS_E_INVAL ? http_error(rq, 400, "invalid invitation", 0) :
		    http_error(rq, 500, "internal error", 0);
		goto out;
	}
	log_info("orgs", "op=invite org=%s id=%s kind=%s by=%s", rq->who.org, id, kind_s,
	    rq->who.user_id);
	orgaudit_event(rq, rq->who.org, "invite.create", id);
	r = http_json(rq, 201, json_object());
out:
	json_decref(j);
	return r;
}

/* The invitation id of the path, canonical, or -1. */
static int
path_id(struct req *rq, size_t i, char id[ORGS_SID_BUF])
{
	uint8_t b[ENROLL_ID_LEN];

	if ((size_t)rq->m.nparams <= i || hex_decode(rq->m.params[i], b, sizeof(b)) != 0)
		return -1;
	hex_encode(b, sizeof(b), id);
	return 0;
}

int
h_invite_get(struct req *rq)
{
	char id[ORGS_SID_BUF];
	json_t *j;

	if (path_id(rq, 1, id) != 0 || (j = orgs_invite_json(rq->srv->idn->orgs, rq->who.org, id)) == NULL)
		return http_error(rq, 404, "not found", 0);
	return http_json(rq, 200, j);
}

int
h_invite_accept(struct req *rq)
{
	char id[ORGS_SID_BUF], subject[ORGS_ID_BUF];
	uint8_t *cert = NULL, kind = 0, gw[GATEWAY_ID_LEN];
	size_t cl = 0;
	json_t *j = NULL;
	int r, e, serr;

	if (path_id(rq, 1, id) != 0) {
		r = http_error(rq, 404, "not found", 0);
		goto out;
	}
	if (jsonbody_parse(rq->body.data, rq->body.len, &j) != 0 ||
	    hexfield_get(j, "cert", STMT_MAX_LEN, &cert, &cl) != 0) {
		r = http_error(rq, 400, "body must be {\"cert\":hex}", 0);
		goto out;
	}
	e = orgs_invite_accept(rq->srv->idn->orgs, rq->who.org, id, cert, cl, now_us(), &serr, &kind,
	    subject);
	if (e != 0) {
		r = e == ORGS_E_NOTFOUND ? http_error(rq, 404, "not found", 0) :
		    e == ORGS_E_INVAL ? http_error(rq, 409, "invitation has no pending request", 0) :
		    e == ORGS_E_STMT ? http_error(rq, 400, statement_strerror(serr), 0) :
		    http_error(rq, 500, "internal error", 0);
		goto out;
	}
	/* An enrolled gateway may open challenge sessions: it goes into the index's table. */
	if (kind == ENROLL_GATEWAY && (hex_decode(subject, gw, sizeof(gw)) != 0 ||
	    index_gateway_add(rq->srv->ix, gw) < 0)) {
		r = http_error(rq, 500, "internal error", 0);
		goto out;
	}
	log_info("orgs", "op=enroll_accept org=%s id=%s kind=%s subject=%s by=%s", rq->who.org, id,
	    kind == ENROLL_GATEWAY ? "gateway" : "user", subject, rq->who.user_id);
	orgaudit_event(rq, rq->who.org, kind == ENROLL_GATEWAY ? "gateway.enroll" : "member.enroll",
	    subject);
	r = http_json(rq, 200, json_object());
out:
	json_decref(j);
	free(cert);
	return r;
}

/* The caller's account when the request carries a valid session cookie, else "". */
static void
optional_session(struct req *rq, char user[PRINCIPAL_ID_BUF])
{
	struct principal p;

	user[0] = '\0';
	if (authorize_req(rq->srv, POLICY_SESSION, NULL, http_header(rq, MHD_HTTP_HEADER_COOKIE),
	    now_us(), &p) == 0)
		memcpy(user, p.user_id, PRINCIPAL_ID_BUF);
}

int
h_enroll(struct req *rq)
{
	struct identity *idn = rq->srv->idn;
	struct reqinfo ri;
	char user[PRINCIPAL_ID_BUF], org[ORGS_ID_BUF];
	uint8_t *req = NULL;
	size_t n = 0;
	int64_t retry = 0;
	json_t *j = NULL;
	int r, e;

	authhttp_info(rq, &ri);
	if ((e = throttle_check(idn->thr, ENROLL_THROTTLE_NAME, ri.sa, now_us(), &retry)) != 0) {
		r = e == THROTTLE_ERR_IO ? http_error(rq, 500, "internal error", 0) :
		    http_error(rq, 429, "too many attempts, retry later", 0);
		goto out;
	}
	if (jsonbody_parse(rq->body.data, rq->body.len, &j) != 0 ||
	    hexfield_get(j, "request", ENROLL_REQUEST_LEN, &req, &n) != 0 || n != ENROLL_REQUEST_LEN) {
		r = http_error(rq, 400, "body must be {\"request\":hex}", 0);
		goto out;
	}
	optional_session(rq, user);
	e = orgs_enroll_request(idn->orgs, req, n, user[0] != '\0' ? user : NULL, now_us(), org);
	if (e == ORGS_E_EXISTS) {
		r = http_error(rq, 409, "already requested", 0);
		goto out;
	}
	if (e != 0) {
		if (e == ORGS_E_DENIED && throttle_fail(idn->thr, ENROLL_THROTTLE_NAME, ri.sa,
		    now_us()) != 0)
			log_err("orgs", "op=enroll rid=%s err=throttle_write_failed", ri.rid);
		r = e == ORGS_E_DENIED ? http_error(rq, 403, ENROLL_DENIED, 0) :
		    http_error(rq, 500, "internal error", 0);
		goto out;
	}
	log_info("orgs", "op=enroll_request org=%s addr=%s rid=%s", org, ri.addr, ri.rid);
	orgaudit_event(rq, org, "enroll.request", user[0] != '\0' ? user : NULL);
	r = http_json(rq, 202, json_object());
out:
	json_decref(j);
	free(req);
	return r;
}

int
h_enroll_result(struct req *rq)
{
	uint8_t token[ENROLL_TOKEN_LEN];
	char id[ORGS_SID_BUF];
	json_t *j = NULL, *out = NULL;
	int r, e;

	if (path_id(rq, 0, id) != 0 || jsonbody_parse(rq->body.data, rq->body.len, &j) != 0 ||
	    jsonbody_hex(j, "token", token, sizeof(token)) != 0) {
		r = http_error(rq, 400, "body must be {\"token\":hex64}", 0);
		goto out;
	}
	e = orgs_enroll_result(rq->srv->idn->orgs, id, token, &out);
	if (e == ORGS_E_PENDING)
		r = http_json(rq, 202, json_pack("{s:s}", "state", "requested"));
	else if (e == 0) {
		r = http_json(rq, 200, out);
		out = NULL;
	} else
		r = e == ORGS_E_DENIED ? http_error(rq, 403, ENROLL_DENIED, 0) :
		    http_error(rq, 500, "internal error", 0);
out:
	sodium_memzero(token, sizeof(token));
	json_decref(out);
	json_decref(j);
	return r;
}
