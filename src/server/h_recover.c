/* h_recover.c - a forgotten password reset with the recovery key: the recovery-wrapped key bundle for its holder, then a new password over the same keys. */
#include <string.h>
#include <sodium.h>
#include "common/auditlog.h"
#include "common/util.h"
#include "server/accounts.h"
#include "server/authbody.h"
#include "server/authhttp.h"
#include "server/http.h"
#include "server/identity.h"
#include "server/jsonbody.h"
#include "server/routes.h"
#include "server/server.h"
#include "server/sessions.h"
#include "server/throttle.h"
#include "server/userkdf.h"

/*
 * The recovery key R (32 random bytes, shown once at registration) gives rauth, which the
 * server checks like a password's auth key, and rwrap, which opens the recovery-wrapped
 * bundle in the client. The server never sees R, rwrap or the keys. Both routes count
 * against the login throttle under the typed name and address, and every failure gets the
 * login's one answer. The recovery key stands in for the password, not for the second
 * factor: an account with TOTP needs its code to set the new password (a stolen recovery
 * sheet alone is not enough; losing both is for an owner to re-invite).
 */
#define RECOVER_FAILED "login failed"
#define RECOVER_THROTTLED "too many attempts, retry later"

/* The common first half of both routes: the body (with_new: also the new password's fields,
 * whose cost must reach the instance floor), the throttle, then the recovery key's auth
 * half. 0 with *bp, *up (the caller frees both with sodium_free) and id when it verifies;
 * else the answer already queued in *r. */
static int
recover_begin(struct req *rq, const struct reqinfo *ri, int with_new,
    struct authbody_recover **bp, struct accounts_user **up, char id[ACCOUNTS_ID_BUF], int *r)
{
	struct identity *idn = rq->srv->idn;
	json_t *j = NULL;
	int64_t retry = 0, now = now_us();
	char ra[24];
	int t, ret = -1;

	*bp = sodium_malloc(sizeof(**bp));
	*up = sodium_malloc(sizeof(**up));
	if (*bp == NULL || *up == NULL) {
		*r = http_error(rq, 500, "internal error", 0);
		goto out;
	}
	if (jsonbody_parse(rq->body.data, rq->body.len, &j) != 0 ||
	    authbody_recover(j, with_new, *bp) != 0) {
		*r = http_error(rq, 400, with_new ? "body must be {username,recovery_auth[,totp],"
		    "salt,auth_key,wrapped,kdf_ops,kdf_mem}" : "body must be {username,recovery_auth}", 0);
		goto out;
	}
	if (with_new && !userkdf_acceptable(&(*bp)->kdf, &idn->kdf_floor)) {
		*r = http_error(rq, 400, "kdf cost out of range", 0);
		goto out;
	}
	t = throttle_check(idn->thr, (*bp)->username, ri->sa, now, &retry);
	if (t == THROTTLE_ERR_IO) {
		*r = http_error(rq, 500, "internal error", 0);
	} else if (t != 0) {
		snprintf(ra, sizeof(ra), "%lld", (long long)retry);
		*r = authhttp_json(rq, 429, json_pack("{s:s}", "error", RECOVER_THROTTLED),
		    "Retry-After", ra, NULL, NULL);
	} else if (accounts_login_recovery(idn->acc, (*bp)->username, (*bp)->recovery_auth, id) != 0) {
		if (throttle_fail(idn->thr, (*bp)->username, ri->sa, now) != 0)
			log_err("accounts", "op=recover rid=%s err=throttle_write_failed", ri->rid);
		authhttp_audit(rq, ri, AUDITLOG_LOGIN_FAILURE, AUDITLOG_ACTOR_ANONYMOUS, NULL, NULL);
		log_info("accounts", "op=recover result=failure addr=%s rid=%s", ri->addr, ri->rid);
		*r = http_error(rq, 401, RECOVER_FAILED, 0);
	} else if (accounts_get(idn->acc, id, *up) != 0) {
		*r = http_error(rq, 500, "internal error", 0);
	} else {
		ret = 0;
	}
out:
	json_decref(j);
	return ret;
}

int
h_recover_keys(struct req *rq)
{
	struct authbody_recover *b = NULL;
	struct accounts_user *u = NULL;
	struct reqinfo ri;
	char id[ACCOUNTS_ID_BUF], wrapped[2 * ACCOUNTS_WRAPPED_MAX + 1], box[65], sign[65];
	int r = 0;

	authhttp_info(rq, &ri);
	if (recover_begin(rq, &ri, 0, &b, &u, id, &r) != 0)
		goto out;
	/* Only the holder of the recovery key can open this bundle; it holds the same keys. */
	hex_encode(u->recovery_wrapped, u->recovery_wrapped_len, wrapped);
	hex_encode(u->box_pk, sizeof(u->box_pk), box);
	hex_encode(u->sign_pk, sizeof(u->sign_pk), sign);
	log_info("accounts", "op=recover_keys user=%s addr=%s rid=%s", id, ri.addr, ri.rid);
	r = http_json(rq, 200, json_pack("{s:s,s:s,s:s,s:s,s:b}", "user_id", id,
	    "recovery_wrapped", wrapped, "box_pk", box, "sign_pk", sign, "totp_required",
	    u->totp_enabled));
out:
	sodium_free(b);
	sodium_free(u);
	return r;
}

int
h_recover(struct req *rq)
{
	struct identity *idn = rq->srv->idn;
	struct authbody_recover *b = NULL;
	struct accounts_user *u = NULL;
	struct reqinfo ri;
	char id[ACCOUNTS_ID_BUF];
	int r = 0, e;

	authhttp_info(rq, &ri);
	if (recover_begin(rq, &ri, 1, &b, &u, id, &r) != 0)
		goto out;
	if (u->totp_enabled && b->totp[0] == '\0') {
		r = http_json(rq, 401, json_pack("{s:s,s:b}", "error", "second factor required",
		    "totp_required", 1));
		goto out;
	}
	if (u->totp_enabled && accounts_totp_verify(idn->acc, id, b->totp, now_us()) != 0) {
		if (throttle_fail(idn->thr, b->username, ri.sa, now_us()) != 0)
			log_err("accounts", "op=recover rid=%s err=throttle_write_failed", ri.rid);
		authhttp_audit(rq, &ri, AUDITLOG_LOGIN_FAILURE, AUDITLOG_ACTOR_USER, id, NULL);
		r = http_error(rq, 401, RECOVER_FAILED, 0);
		goto out;
	}
	/* The same keys under a new password; every session of the user ends. */
	e = accounts_set_password(idn->acc, id, b->salt, b->auth_key, b->wrapped, b->wrapped_len);
	if (e != 0 || userkdf_set(idn->kdf, id, &b->kdf) != 0) {
		r = http_error(rq, e == ACCOUNTS_ERR_INVAL ? 400 : 500,
		    e == ACCOUNTS_ERR_INVAL ? "invalid key" : "internal error", 0);
		goto out;
	}
	if (throttle_success(idn->thr, b->username, now_us()) != 0)
		log_warn("accounts", "op=recover rid=%s err=throttle_write_failed", ri.rid);
	log_info("accounts", "op=password_recover user=%s addr=%s rid=%s", id, ri.addr, ri.rid);
	authhttp_audit(rq, &ri, "password.recover", AUDITLOG_ACTOR_USER, id, NULL);
	r = http_json(rq, 200, json_object());
out:
	sodium_free(b);
	sodium_free(u);
	return r;
}
