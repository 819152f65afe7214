/* h_account.c - routes for a signed-in account: who am I, sessions, sign out everywhere, TOTP, password change, user lookup for org admins. */
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "common/totp.h"
#include "common/util.h"
#include "server/accounts.h"
#include "server/authbody.h"
#include "server/authhttp.h"
#include "server/http.h"
#include "server/identity.h"
#include "server/jsonbody.h"
#include "server/orgs.h"
#include "server/server.h"
#include "server/sessions.h"
#include "server/throttle.h"
#include "server/userkdf.h"

#define ACCOUNT_SESSIONS_MAX 64
#define TOTP_ISSUER "Vigil"

int
h_me(struct req *rq)
{
	struct accounts_user *u;
	int r;

	if ((u = sodium_malloc(sizeof(*u))) == NULL)
		return http_error(rq, 500, "internal error", 0);
	if (accounts_get(rq->srv->idn->acc, rq->who.user_id, u) != 0) {
		r = http_error(rq, 401, "unauthorized", 0);
		goto out;
	}
	r = http_json(rq, 200, json_pack("{s:s,s:s,s:b,s:b,s:s,s:b}", "user_id", u->id,
	    "username", u->username, "totp_enabled", u->totp_enabled, "operator",
	    (u->flags & ACCOUNTS_FLAG_OPERATOR) != 0, "sid", rq->who.sid, "step_up_fresh",
	    rq->who.step_up_fresh));
out:
	sodium_free(u);
	return r;
}

int
h_sessions_list(struct req *rq)
{
	struct sessions_info *list;
	json_t *arr = NULL, *o;
	size_t n = 0, i;
	int r;

	if ((list = calloc(ACCOUNT_SESSIONS_MAX, sizeof(*list))) == NULL)
		return http_error(rq, 500, "internal error", 0);
	if (sessions_list(rq->srv->idn->sess, rq->who.user_id, now_us(), list, ACCOUNT_SESSIONS_MAX,
	    &n) != 0 || (arr = json_array()) == NULL) {
		r = http_error(rq, 500, "internal error", 0);
		goto out;
	}
	for (i = 0; i < n; i++) {
		o = json_pack("{s:s,s:I,s:I,s:s,s:b}", "sid", list[i].sid, "created_us",
		    (json_int_t)list[i].created_us, "last_us", (json_int_t)list[i].last_us,
		    "address", list[i].addr, "current", strcmp(list[i].sid, rq->who.sid) == 0);
		if (o == NULL || json_array_append_new(arr, o) != 0) {
			r = http_error(rq, 500, "internal error", 0);
			goto out;
		}
	}
	r = http_json(rq, 200, json_pack("{s:O}", "sessions", arr));
out:
	json_decref(arr);
	free(list);
	return r;
}

int
h_sessions_revoke_all(struct req *rq)
{
	struct identity *idn = rq->srv->idn;
	struct reqinfo ri;
	char clear[SESSIONS_COOKIE_BUF];
	int n;

	authhttp_info(rq, &ri);
	if ((n = sessions_revoke_user(idn->sess, rq->who.user_id)) < 0)
		return http_error(rq, 500, "internal error", 0);
	log_info("accounts", "op=sign_out_everywhere user=%s revoked=%d rid=%s", rq->who.user_id, n,
	    ri.rid);
	authhttp_audit(rq, &ri, "session.revoke_all", AUDITLOG_ACTOR_USER, rq->who.user_id, NULL);
	if (sessions_cookie_clear(idn->cookie_secure, clear, sizeof(clear)) != 0)
		clear[0] = '\0';
	return authhttp_json(rq, 200, json_pack("{s:i}", "revoked", n),
	    clear[0] != '\0' ? "Set-Cookie" : NULL, clear, NULL, NULL);
}

int
h_totp_begin(struct req *rq)
{
	struct identity *idn = rq->srv->idn;
	struct accounts_user *u = NULL;
	struct reqinfo ri;
	uint8_t secret[ACCOUNTS_TOTP_SECRET_LEN];
	char b32[TOTP_B32_MAX + 1], uri[TOTP_URI_MAX];
	int r;

	authhttp_info(rq, &ri);
	/* Adding a second factor changes how the account is protected: a fresh proof first. */
	if (!rq->who.step_up_fresh) {
		r = http_error(rq, 403, "step-up required: log in again", 0);
		goto out;
	}
	if ((u = sodium_malloc(sizeof(*u))) == NULL ||
	    accounts_get(idn->acc, rq->who.user_id, u) != 0 ||
	    accounts_totp_begin(idn->acc, rq->who.user_id, secret) != 0 ||
	    totp_b32_encode(secret, sizeof(secret), b32, sizeof(b32)) != 0 ||
	    totp_uri(TOTP_ISSUER, u->username, secret, sizeof(secret), uri, sizeof(uri)) != 0) {
		r = http_error(rq, 500, "internal error", 0);
		goto out;
	}
	log_info("accounts", "op=totp_begin user=%s rid=%s", rq->who.user_id, ri.rid);
	authhttp_audit(rq, &ri, "totp.begin", AUDITLOG_ACTOR_USER, rq->who.user_id, NULL);
	r = http_json(rq, 200, json_pack("{s:s,s:s}", "secret", b32, "uri", uri));
out:
	sodium_memzero(secret, sizeof(secret));
	sodium_memzero(b32, sizeof(b32));
	sodium_memzero(uri, sizeof(uri));
	sodium_free(u);
	return r;
}

int
h_totp_confirm(struct req *rq)
{
	struct identity *idn = rq->srv->idn;
	struct reqinfo ri;
	char code[AUTHBODY_TOTP_MAX + 1];
	json_t *j = NULL;
	int r;

	authhttp_info(rq, &ri);
	if (jsonbody_parse(rq->body.data, rq->body.len, &j) != 0 ||
	    authbody_str(j, "code", code, AUTHBODY_TOTP_MAX) != 0) {
		r = http_error(rq, 400, "body must be {\"code\":string}", 0);
		goto out;
	}
	if (accounts_totp_confirm(idn->acc, rq->who.user_id, code, now_us()) != 0) {
		r = http_error(rq, 400, "wrong code or no pending secret", 0);
		goto out;
	}
	log_info("accounts", "op=totp_enable user=%s rid=%s", rq->who.user_id, ri.rid);
	authhttp_audit(rq, &ri, "totp.enable", AUDITLOG_ACTOR_USER, rq->who.user_id, NULL);
	r = http_json(rq, 200, json_object());
out:
	json_decref(j);
	return r;
}

int
h_password(struct req *rq)
{
	struct identity *idn = rq->srv->idn;
	struct authbody_password *b = NULL;
	struct accounts_user *u = NULL;
	struct reqinfo ri;
	char clear[SESSIONS_COOKIE_BUF];
	json_t *j = NULL;
	int64_t retry = 0;
	int r, e;

	authhttp_info(rq, &ri);
	b = sodium_malloc(sizeof(*b));
	u = sodium_malloc(sizeof(*u));
	if (b == NULL || u == NULL || accounts_get(idn->acc, rq->who.user_id, u) != 0) {
		r = http_error(rq, 500, "internal error", 0);
		goto out;
	}
	if (jsonbody_parse(rq->body.data, rq->body.len, &j) != 0 || authbody_password(j, b) != 0) {
		r = http_error(rq, 400, "body must be {old_auth_key,salt,auth_key,wrapped,kdf_ops,kdf_mem}", 0);
		goto out;
	}
	if (!userkdf_acceptable(&b->kdf, &idn->kdf_floor)) {
		r = http_error(rq, 400, "kdf cost out of range", 0);
		goto out;
	}
	/* A stolen session must not become a way to guess the password faster than login. */
	if ((e = throttle_check(idn->thr, u->username, ri.sa, now_us(), &retry)) != 0) {
		r = e == THROTTLE_ERR_IO ? http_error(rq, 500, "internal error", 0) :
		    http_error(rq, 429, "too many attempts, retry later", 0);
		goto out;
	}
	/* Revokes every session of the user, this one included. */
	e = accounts_change_password(idn->acc, rq->who.user_id, b->old_auth_key, b->salt,
	    b->auth_key, b->wrapped, b->wrapped_len);
	if (e == ACCOUNTS_ERR_DENIED) {
		if (throttle_fail(idn->thr, u->username, ri.sa, now_us()) != 0)
			log_err("accounts", "op=password rid=%s err=throttle_write_failed", ri.rid);
		r = http_error(rq, 403, "wrong password", 0);
		goto out;
	}
	if (e != 0 || userkdf_set(idn->kdf, rq->who.user_id, &b->kdf) != 0) {
		r = http_error(rq, e == ACCOUNTS_ERR_INVAL ? 400 : 500,
		    e == ACCOUNTS_ERR_INVAL ? "invalid key" : "internal error", 0);
		goto out;
	}
	log_info("accounts", "op=password_change user=%s rid=%s", rq->who.user_id, ri.rid);
	authhttp_audit(rq, &ri, "password.change", AUDITLOG_ACTOR_USER, rq->who.user_id, NULL);
	if (sessions_cookie_clear(idn->cookie_secure, clear, sizeof(clear)) != 0)
		clear[0] = '\0';
	r = authhttp_json(rq, 200, json_object(), clear[0] != '\0' ? "Set-Cookie" : NULL, clear,
	    NULL, NULL);
out:
	json_decref(j);
	sodium_free(b);
	sodium_free(u);
	return r;
}

int
h_users_lookup(struct req *rq)
{
	struct identity *idn = rq->srv->idn;
	struct accounts_user *u = NULL;
	const char *name = http_query(rq, "username");
	char id[ACCOUNTS_ID_BUF], box[65], sign[65], tname[64 + ACCOUNTS_ID_BUF], ra[24];
	struct reqinfo ri;
	int64_t retry = 0;
	int r, e;

	/* Only owners and admins of some org add people, and like every owner or admin
	 * action it needs their second factor; others learn nothing here. */
	if (!orgs_is_admin_somewhere(idn->orgs, rq->who.user_id))
		return http_error(rq, 403, "only organization owners and admins may look users up", 0);
	if ((u = sodium_malloc(sizeof(*u))) == NULL)
		return http_error(rq, 503, "out of memory", 0);
	if (accounts_get(idn->acc, rq->who.user_id, u) != 0 || !u->totp_enabled) {
		r = http_error(rq, 403, "enable a second factor (TOTP) for this role", 0);
		goto out;
	}
	if (name == NULL) {
		r = http_error(rq, 400, "username required", 0);
		goto out;
	}
	/* Any account can found an org of its own and so reach this: misses are counted per
	 * account (and address) like failed logins, so that names cannot be tried in bulk. */
	authhttp_info(rq, &ri);
	snprintf(tname, sizeof(tname), "lookup:%s", rq->who.user_id);
	if ((e = throttle_check(idn->thr, tname, ri.sa, now_us(), &retry)) != 0) {
		if (e == THROTTLE_ERR_IO) {
			r = http_error(rq, 500, "internal error", 0);
		} else {
			snprintf(ra, sizeof(ra), "%lld", (long long)(retry > 0 ? retry : 1));
			r = authhttp_json(rq, 429, json_pack("{s:s}", "error",
			    "too many lookups of unknown names, retry later"), "Retry-After", ra, NULL,
			    NULL);
		}
		goto out;
	}
	if (accounts_find(idn->acc, name, id) != 0 || accounts_get(idn->acc, id, u) != 0 ||
	    u->disabled) {
		if (throttle_fail(idn->thr, tname, ri.sa, now_us()) != 0)
			log_err("accounts", "op=lookup_throttle rid=%s err=write_failed", ri.rid);
		r = http_error(rq, 404, "not found", 0);
		goto out;
	}
	(void)throttle_success(idn->thr, tname, now_us());
	hex_encode(u->box_pk, sizeof(u->box_pk), box);
	hex_encode(u->sign_pk, sizeof(u->sign_pk), sign);
	r = http_json(rq, 200, json_pack("{s:s,s:s,s:s}", "user_id", id, "box_pk", box, "sign_pk",
	    sign));
out:
	sodium_free(u);
	return r;
}
