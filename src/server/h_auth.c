/* h_auth.c - the account routes around login: prelogin, register (with a signup code), login, logout, step-up and the signed-in key bundle. */
#include <string.h>
#include <sodium.h>
#include "common/util.h"
#include "server/accounts.h"
#include "server/authbody.h"
#include "server/authhttp.h"
#include "server/http.h"
#include "server/identity.h"
#include "server/jsonbody.h"
#include "server/roles.h"
#include "server/server.h"
#include "server/sessions.h"
#include "server/signup.h"
#include "server/throttle.h"
#include "server/userkdf.h"

/* Every failed login, whatever the reason, gets exactly this answer. */
#define LOGIN_FAILED "login failed"
#define LOGIN_THROTTLED "too many attempts, retry later"

/* The KDF cost to report for a typed name: the user's own, else the instance default. */
static void
kdf_for(struct identity *idn, const char *username, struct userkdf_params *p)
{
	char id[ACCOUNTS_ID_BUF];

	*p = idn->kdf_default;
	if (accounts_find(idn->acc, username, id) == 0 && userkdf_get(idn->kdf, id, p) != 0)
		*p = idn->kdf_default;
}

int
h_prelogin(struct req *rq)
{
	struct identity *idn = rq->srv->idn;
	struct userkdf_params kdf;
	uint8_t salt[ACCOUNTS_SALT_LEN];
	char name[AUTHBODY_TYPED_NAME_MAX + 1], hex[2 * ACCOUNTS_SALT_LEN + 1];
	json_t *j = NULL;
	int r;

	if (jsonbody_parse(rq->body.data, rq->body.len, &j) != 0 ||
	    authbody_str(j, "username", name, AUTHBODY_TYPED_NAME_MAX) != 0) {
		r = http_error(rq, 400, "body must be {\"username\":string}", 0);
		goto out;
	}
	/* A malformed or unknown name gets a fake salt and the default cost: no enumeration. */
	if (accounts_prelogin(idn->acc, name, salt) != 0) {
		r = http_error(rq, 500, "internal error", 0);
		goto out;
	}
	kdf_for(idn, name, &kdf);
	hex_encode(salt, sizeof(salt), hex);
	r = http_json(rq, 200, json_pack("{s:s,s:s,s:I,s:I}", "salt", hex, "kdf", "argon2id13",
	    "kdf_ops", (json_int_t)kdf.ops, "kdf_mem", (json_int_t)kdf.mem));
out:
	json_decref(j);
	return r;
}

int
h_register(struct req *rq)
{
	struct identity *idn = rq->srv->idn;
	struct authbody_register *b = NULL;
	struct accounts_reg reg;
	struct reqinfo ri;
	json_t *j = NULL;
	int64_t code_expires = 0;
	int r, e;

	authhttp_info(rq, &ri);
	if ((b = sodium_malloc(sizeof(*b))) == NULL) {
		r = http_error(rq, 500, "internal error", 0);
		goto out;
	}
	if (jsonbody_parse(rq->body.data, rq->body.len, &j) != 0 || authbody_register(j, b) != 0) {
		r = http_error(rq, 400, "body must be {code,id,username,salt,auth_key,box_pk,sign_pk,"
		    "wrapped,kdf_ops,kdf_mem[,recovery_auth,recovery_wrapped]}", 0);
		goto out;
	}
	if (!userkdf_acceptable(&b->kdf, &idn->kdf_floor)) {
		r = http_error(rq, 400, "kdf cost out of range", 0);
		goto out;
	}
	if (signup_consume(idn->su, b->code, now_us(), &code_expires) != 0) {
		log_warn("accounts", "op=register rid=%s err=bad_signup_code", ri.rid);
		r = http_error(rq, 403, "signup code invalid, used or expired", 0);
		goto out;
	}
	memset(&reg, 0, sizeof(reg));
	reg.id = b->id;
	reg.username = b->username;
	reg.salt = b->salt;
	reg.auth_key = b->auth_key;
	reg.recovery_auth = b->has_recovery ? b->recovery_auth : NULL;
	reg.box_pk = b->box_pk;
	reg.sign_pk = b->sign_pk;
	reg.wrapped = b->wrapped;
	reg.wrapped_len = b->wrapped_len;
	reg.recovery_wrapped = b->has_recovery ? b->recovery_wrapped : NULL;
	reg.recovery_wrapped_len = b->has_recovery ? b->recovery_wrapped_len : 0;
	e = accounts_register(idn->acc, &reg);
	if (e == 0 && userkdf_set(idn->kdf, b->id, &b->kdf) != 0)
		e = ACCOUNTS_ERR_IO;
	if (e != 0) {
		/* The code was not used up by a registration that did not happen. */
		if (signup_restore(idn->su, b->code, code_expires) != 0)
			log_err("accounts", "op=register rid=%s err=code_restore_failed", ri.rid);
		if (e == ACCOUNTS_ERR_EXISTS)
			r = http_error(rq, 409, "username or id already taken", 0);
		else if (e == ACCOUNTS_ERR_INVAL)
			r = http_error(rq, 400, "invalid username or key", 0);
		else
			r = http_error(rq, 500, "internal error", 0);
		goto out;
	}
	log_info("accounts", "op=register user=%s rid=%s", b->id, ri.rid);
	authhttp_audit(rq, &ri, "account.register", AUDITLOG_ACTOR_USER, b->id, NULL);
	r = http_json(rq, 201, json_pack("{s:s}", "user_id", b->id));
out:
	json_decref(j);
	sodium_free(b);
	return r;
}

/* Answer a throttled attempt: the same for every name, known or not. */
static int
throttled(struct req *rq, int64_t retry_after)
{
	char ra[24];

	snprintf(ra, sizeof(ra), "%lld", (long long)retry_after);
	return authhttp_json(rq, 429, json_pack("{s:s}", "error", LOGIN_THROTTLED),
	    "Retry-After", ra, NULL, NULL);
}

/* A failed attempt: count it, audit it (never with the typed name) and answer 401. */
static int
login_failed(struct req *rq, const struct reqinfo *ri, const char *typed, const char *why)
{
	struct identity *idn = rq->srv->idn;
	char id[ACCOUNTS_ID_BUF];

	if (throttle_fail(idn->thr, typed, ri->sa, now_us()) != 0)
		log_err("accounts", "op=login rid=%s err=throttle_write_failed", ri->rid);
	if (accounts_find(idn->acc, typed, id) == 0) {
		authhttp_audit(rq, ri, AUDITLOG_LOGIN_FAILURE, AUDITLOG_ACTOR_USER, id, NULL);
		log_info("accounts", "op=login result=failure user=%s reason=%s addr=%s rid=%s", id,
		    why, ri->addr, ri->rid);
	} else {
		authhttp_audit(rq, ri, AUDITLOG_LOGIN_FAILURE, AUDITLOG_ACTOR_ANONYMOUS, NULL, NULL);
		log_info("accounts", "op=login result=failure user=- addr=%s rid=%s", ri->addr,
		    ri->rid);
	}
	return http_error(rq, 401, LOGIN_FAILED, 0);
}

int
h_login(struct req *rq)
{
	struct identity *idn = rq->srv->idn;
	struct authbody_login *b = NULL;
	struct accounts_user *u = NULL;
	struct reqinfo ri;
	char id[ACCOUNTS_ID_BUF], token[SESSIONS_TOKEN_BUF], sid[SESSIONS_SID_BUF];
	char cookie[SESSIONS_COOKIE_BUF], wrapped[2 * ACCOUNTS_WRAPPED_MAX + 1];
	char box[65], sign[65];
	json_t *j = NULL;
	int64_t retry = 0, now = now_us();
	uint32_t roles;
	int r, t;

	memset(token, 0, sizeof(token));
	memset(cookie, 0, sizeof(cookie));
	authhttp_info(rq, &ri);
	b = sodium_malloc(sizeof(*b));
	u = sodium_malloc(sizeof(*u));
	if (b == NULL || u == NULL) {
		r = http_error(rq, 500, "internal error", 0);
		goto out;
	}
	if (jsonbody_parse(rq->body.data, rq->body.len, &j) != 0 || authbody_login(j, b) != 0) {
		r = http_error(rq, 400, "body must be {username,auth_key[,totp]}", 0);
		goto out;
	}
	/* The throttle decides before any Argon2id work, on the name as typed. */
	t = throttle_check(idn->thr, b->username, ri.sa, now, &retry);
	if (t == THROTTLE_ERR_IO) {
		r = http_error(rq, 500, "internal error", 0);
		goto out;
	}
	if (t != 0) {
		log_info("accounts", "op=login result=throttled addr=%s retry_after=%lld rid=%s",
		    ri.addr, (long long)retry, ri.rid);
		r = throttled(rq, retry);
		goto out;
	}
	if (accounts_login(idn->acc, b->username, b->auth_key, id) != 0) {
		r = login_failed(rq, &ri, b->username, "password");
		goto out;
	}
	if (accounts_get(idn->acc, id, u) != 0) {
		r = http_error(rq, 500, "internal error", 0);
		goto out;
	}
	if (u->totp_enabled && b->totp[0] == '\0') {
		/* The password was right: the client must ask for the second factor. */
		r = http_json(rq, 401, json_pack("{s:s,s:b}", "error", "second factor required",
		    "totp_required", 1));
		goto out;
	}
	if (u->totp_enabled && accounts_totp_verify(idn->acc, id, b->totp, now) != 0) {
		r = login_failed(rq, &ri, b->username, "totp");
		goto out;
	}
	if (throttle_success(idn->thr, b->username, now) != 0)
		log_warn("accounts", "op=login rid=%s err=throttle_write_failed", ri.rid);
	roles = ROLE_USER | ((u->flags & ACCOUNTS_FLAG_OPERATOR) ? ROLE_OPERATOR : 0);
	if (sessions_create(idn->sess, id, roles, ri.addr, now, token, sid) != 0 ||
	    sessions_cookie(token, idn->cookie_secure, cookie, sizeof(cookie)) != 0) {
		r = http_error(rq, 500, "internal error", 0);
		goto out;
	}
	hex_encode(u->wrapped, u->wrapped_len, wrapped);
	hex_encode(u->box_pk, sizeof(u->box_pk), box);
	hex_encode(u->sign_pk, sizeof(u->sign_pk), sign);
	log_info("accounts", "op=login result=success user=%s sid=%s addr=%s rid=%s", id, sid,
	    ri.addr, ri.rid);
	authhttp_audit(rq, &ri, AUDITLOG_LOGIN_SUCCESS, AUDITLOG_ACTOR_USER, id, NULL);
	r = authhttp_json(rq, 200, json_pack("{s:s,s:s,s:s,s:s,s:b}", "user_id", id, "wrapped",
	    wrapped, "box_pk", box, "sign_pk", sign, "totp_required", u->totp_enabled),
	    "Set-Cookie", cookie, NULL, NULL);
out:
	sodium_memzero(token, sizeof(token));
	sodium_memzero(cookie, sizeof(cookie));
	json_decref(j);
	sodium_free(b);
	sodium_free(u);
	return r;
}

int
h_logout(struct req *rq)
{
	struct identity *idn = rq->srv->idn;
	struct reqinfo ri;
	char clear[SESSIONS_COOKIE_BUF];

	authhttp_info(rq, &ri);
	if (sessions_revoke(idn->sess, rq->who.user_id, rq->who.sid) != 0)
		log_warn("accounts", "op=logout sid=%s err=not_found", rq->who.sid);
	log_info("accounts", "op=logout user=%s sid=%s rid=%s", rq->who.user_id, rq->who.sid, ri.rid);
	authhttp_audit(rq, &ri, "logout", AUDITLOG_ACTOR_USER, rq->who.user_id, NULL);
	if (sessions_cookie_clear(idn->cookie_secure, clear, sizeof(clear)) != 0)
		return http_json(rq, 200, json_object());
	return authhttp_json(rq, 200, json_object(), "Set-Cookie", clear, NULL, NULL);
}

int
h_step_up(struct req *rq)
{
	struct identity *idn = rq->srv->idn;
	struct accounts_user *u = NULL;
	struct reqinfo ri;
	uint8_t key[ACCOUNTS_KEY_LEN];
	char code[AUTHBODY_TOTP_MAX + 1];
	int64_t retry = 0, now = now_us();
	json_t *j = NULL;
	int r, ok = 0;

	authhttp_info(rq, &ri);
	if ((u = sodium_malloc(sizeof(*u))) == NULL || accounts_get(idn->acc, rq->who.user_id, u) != 0) {
		r = http_error(rq, 500, "internal error", 0);
		goto out;
	}
	if (jsonbody_parse(rq->body.data, rq->body.len, &j) != 0 ||
	    (json_object_get(j, "auth_key") == NULL) == (json_object_get(j, "totp") == NULL)) {
		r = http_error(rq, 400, "body must be {\"auth_key\":hex64} or {\"totp\":str}", 0);
		goto out;
	}
	/* A stolen session must not guess the password faster than login would. */
	if (throttle_check(idn->thr, u->username, ri.sa, now, &retry) != 0) {
		r = throttled(rq, retry > 0 ? retry : 1);
		goto out;
	}
	if (json_object_get(j, "auth_key") != NULL)
		ok = jsonbody_hex(j, "auth_key", key, sizeof(key)) == 0 &&
		    accounts_verify_password(idn->acc, rq->who.user_id, key) == 0;
	else
		ok = authbody_str(j, "totp", code, AUTHBODY_TOTP_MAX) == 0 &&
		    accounts_totp_verify(idn->acc, rq->who.user_id, code, now) == 0;
	if (!ok || sessions_step_up(idn->sess, rq->who.sid, now) != 0) {
		if (throttle_fail(idn->thr, u->username, ri.sa, now) != 0)
			log_err("accounts", "op=step_up rid=%s err=throttle_write_failed", ri.rid);
		log_info("accounts", "op=step_up result=failed user=%s rid=%s", rq->who.user_id, ri.rid);
		r = http_error(rq, 401, "step-up failed", 0);
		goto out;
	}
	log_info("accounts", "op=step_up result=success user=%s rid=%s", rq->who.user_id, ri.rid);
	authhttp_audit(rq, &ri, "session.step_up", AUDITLOG_ACTOR_USER, rq->who.user_id, NULL);
	r = http_json(rq, 200, json_object());
out:
	sodium_memzero(key, sizeof(key));
	sodium_memzero(code, sizeof(code));
	json_decref(j);
	sodium_free(u);
	return r;
}

int
h_auth_keys(struct req *rq)
{
	struct identity *idn = rq->srv->idn;
	struct accounts_user *u = NULL;
	struct userkdf_params kdf;
	char wrapped[2 * ACCOUNTS_WRAPPED_MAX + 1], salt[2 * ACCOUNTS_SALT_LEN + 1];
	char box[65], sign[65];
	int r;

	if ((u = sodium_malloc(sizeof(*u))) == NULL || accounts_get(idn->acc, rq->who.user_id, u) != 0) {
		r = http_error(rq, 500, "internal error", 0);
		goto out;
	}
	if (userkdf_get(idn->kdf, rq->who.user_id, &kdf) != 0)
		kdf = idn->kdf_default;
	hex_encode(u->wrapped, u->wrapped_len, wrapped);
	hex_encode(u->salt, sizeof(u->salt), salt);
	hex_encode(u->box_pk, sizeof(u->box_pk), box);
	hex_encode(u->sign_pk, sizeof(u->sign_pk), sign);
	r = http_json(rq, 200, json_pack("{s:s,s:s,s:I,s:I,s:s,s:s,s:s}", "user_id", u->id, "salt",
	    salt, "kdf_ops", (json_int_t)kdf.ops, "kdf_mem", (json_int_t)kdf.mem, "wrapped", wrapped,
	    "box_pk", box, "sign_pk", sign));
out:
	sodium_free(u);
	return r;
}
