/* orgs_enroll.c - invitations and the server's part of kubeadm-join style enrollment: token check, relay of requests, acceptance of signed certificates. */
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "common/enroll.h"
#include "common/util.h"
#include "server/accounts.h"
#include "server/orgs.h"
#include "server/orgs_int.h"

enum { INV_PENDING = 0, INV_REQUESTED = 1, INV_ACCEPTED = 2 };

static const char *
state_name(int s)
{
	return s == INV_REQUESTED ? "requested" : s == INV_ACCEPTED ? "accepted" : "pending";
}

int
orgs_invite_add(struct orgs *o, const char *org, const char *id, uint8_t kind,
    const uint8_t verifier[32], const char *site, int64_t expires_us, int64_t now)
{
	sqlite3_stmt *st = NULL;
	int r = ORGS_E_IO, rc;

	if ((kind != ENROLL_GATEWAY && kind != ENROLL_USER) || expires_us <= now ||
	    expires_us > now + ORGS_INVITE_MAX_US || (kind == ENROLL_GATEWAY) != (site != NULL))
		return ORGS_E_INVAL;
	pthread_mutex_lock(&o->mu);
	if (site != NULL) {
		if (orgs_prep(o, "SELECT 1 FROM org_sites WHERE org=? AND id=?", &st) != 0)
			goto out;
		orgs_bind_text(st, 1, org);
		orgs_bind_text(st, 2, site);
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
		st = NULL;
		if (rc != SQLITE_ROW) {
			r = rc == SQLITE_DONE ? ORGS_E_NOTFOUND : ORGS_E_IO;
			goto out;
		}
	}
	if (orgs_prep(o, "INSERT INTO org_invites(id, org, kind, verifier, site, expires_us, state)"
	    " VALUES(?,?,?,?,?,?,0)", &st) != 0)
		goto out;
	orgs_bind_text(st, 1, id);
	orgs_bind_text(st, 2, org);
	sqlite3_bind_int(st, 3, kind);
	sqlite3_bind_blob(st, 4, verifier, 32, SQLITE_TRANSIENT);
	orgs_bind_text(st, 5, site);
	sqlite3_bind_int64(st, 6, expires_us);
	rc = sqlite3_step(st);
	r = rc == SQLITE_DONE ? 0 : rc == SQLITE_CONSTRAINT ? ORGS_E_EXISTS : ORGS_E_IO;
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&o->mu);
	return r;
}

json_t *
orgs_invite_json(struct orgs *o, const char *org, const char *id)
{
	sqlite3_stmt *st = NULL;
	json_t *j = NULL;
	int kind;

	pthread_mutex_lock(&o->mu);
	if (orgs_prep(o, "SELECT kind, state, request, user_id FROM org_invites WHERE id=? AND org=?",
	    &st) != 0)
		goto out;
	orgs_bind_text(st, 1, id);
	orgs_bind_text(st, 2, org);
	if (sqlite3_step(st) != SQLITE_ROW)
		goto out;
	kind = sqlite3_column_int(st, 0);
	j = json_pack("{s:s,s:s,s:o}", "kind", kind == ENROLL_USER ? "user" : "gateway", "state",
	    state_name(sqlite3_column_int(st, 1)), "request", orgs_col_hex(st, 2));
	if (j != NULL && kind == ENROLL_USER && sqlite3_column_type(st, 3) != SQLITE_NULL)
		json_object_set_new(j, "user_id", json_string((const char *)sqlite3_column_text(st, 3)));
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&o->mu);
	return j;
}

/* The account's registered keys equal the request's? 1 or 0. */
static int
account_keys_are(struct orgs *o, const char *user_id, const struct enroll_request *rq)
{
	struct accounts_user *u = malloc(sizeof(*u));
	int ok = 0;

	if (u != NULL && accounts_get(o->acc, user_id, u) == 0 && !u->disabled &&
	    sodium_memcmp(u->sign_pk, rq->sign_pk, 32) == 0 &&
	    sodium_memcmp(u->box_pk, rq->box_pk, 32) == 0)
		ok = 1;
	free(u);
	return ok;
}

int
orgs_enroll_request(struct orgs *o, const uint8_t *req, size_t n, const char *session_user,
    int64_t now, char org_out[ORGS_ID_BUF])
{
	struct enroll_request rq;
	sqlite3_stmt *st = NULL;
	char id[ORGS_SID_BUF], org[ORGS_ID_BUF];
	uint8_t verifier[ENROLL_VERIFIER_LEN];
	int r = ORGS_E_DENIED, kind, state;
	int64_t expires;

	org_out[0] = '\0';
	if (enroll_request_parse(req, n, &rq) != 0)
		return ORGS_E_DENIED;
	hex_encode(rq.id, sizeof(rq.id), id);
	pthread_mutex_lock(&o->mu);
	if (orgs_prep(o, "SELECT org, kind, verifier, expires_us, state FROM org_invites WHERE id=?",
	    &st) != 0) {
		r = ORGS_E_IO;
		goto out;
	}
	orgs_bind_text(st, 1, id);
	if (sqlite3_step(st) != SQLITE_ROW || sqlite3_column_bytes(st, 2) != ENROLL_VERIFIER_LEN)
		goto out;
	orgs_col_text(st, 0, org, sizeof(org));
	kind = sqlite3_column_int(st, 1);
	memcpy(verifier, sqlite3_column_blob(st, 2), sizeof(verifier));
	expires = sqlite3_column_int64(st, 3);
	state = sqlite3_column_int(st, 4);
	sqlite3_finalize(st);
	st = NULL;
	/* One answer for an unknown id, a wrong token, an expired or used invitation. */
	if (enroll_server_check(verifier, rq.token) != 0 || kind != rq.kind || expires <= now ||
	    state == INV_ACCEPTED)
		goto out;
	if (state == INV_REQUESTED) {
		r = ORGS_E_EXISTS;
		goto out;
	}
	if (kind == ENROLL_USER && (session_user == NULL || !account_keys_are(o, session_user, &rq)))
		goto out;
	if (orgs_prep(o, "UPDATE org_invites SET state=1, request=?, user_id=? WHERE id=? AND state=0",
	    &st) != 0) {
		r = ORGS_E_IO;
		goto out;
	}
	sqlite3_bind_blob(st, 1, req, (int)n, SQLITE_TRANSIENT);
	orgs_bind_text(st, 2, kind == ENROLL_USER ? session_user : NULL);
	orgs_bind_text(st, 3, id);
	if (sqlite3_step(st) != SQLITE_DONE) {
		r = ORGS_E_IO;
		goto out;
	}
	r = sqlite3_changes(o->db) == 1 ? 0 : ORGS_E_EXISTS;
	if (r == 0)
		memcpy(org_out, org, ORGS_ID_BUF);
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&o->mu);
	sodium_memzero(&rq, sizeof(rq));
	return r;
}

/* The latest stored admin.cert whose key is pk, as a new reference, or json null. */
static json_t *
issuer_cert(struct orgs *o, const char *org, const uint8_t pk[STMT_KEY_LEN])
{
	sqlite3_stmt *st = NULL;
	struct stmt *s;
	json_t *j = json_null();

	if (orgs_prep(o, "SELECT raw FROM org_stmts WHERE org=? AND type=? ORDER BY n", &st) != 0)
		return j;
	orgs_bind_text(st, 1, org);
	sqlite3_bind_int(st, 2, STMT_ADMIN_CERT);
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (statement_parse(sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0),
		    &s) != STMT_OK)
			continue;
		if (memcmp(s->u.admin_cert.sign_pk, pk, STMT_KEY_LEN) == 0) {
			json_decref(j);
			j = orgs_col_hex(st, 0);
		}
		statement_free(s);
	}
	sqlite3_finalize(st);
	return j;
}

/* Register the gateway a verified gateway.cert names; lock and transaction held. */
static int
accept_gateway(struct orgs *o, const char *org, const struct stmt *s,
    const struct enroll_request *rq, const char *site, int64_t now, char gw[ORGS_ID_BUF])
{
	sqlite3_stmt *st = NULL;
	uint8_t sid[STMT_ID_LEN];
	int rc;

	if (sodium_memcmp(s->u.gateway_cert.gateway_pk, rq->sign_pk, STMT_KEY_LEN) != 0 ||
	    site == NULL || hex_decode(site, sid, sizeof(sid)) != 0 ||
	    memcmp(s->u.gateway_cert.site_id, sid, sizeof(sid)) != 0)
		return STMT_E_TARGET;
	hex_encode(rq->sign_pk, STMT_KEY_LEN, gw);
	if (orgs_prep(o, "INSERT INTO org_gateways(id, org, site, enrolled_us, last_seen_us, cert)"
	    " VALUES(?,?,?,?,0,?)", &st) != 0)
		return STMT_E_IO;
	orgs_bind_text(st, 1, gw);
	orgs_bind_text(st, 2, org);
	orgs_bind_text(st, 3, site);
	sqlite3_bind_int64(st, 4, now);
	sqlite3_bind_blob(st, 5, s->raw, (int)s->raw_len, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	/* A gateway enrolled elsewhere already: refused like a wrong target. */
	return rc == SQLITE_DONE ? STMT_OK : rc == SQLITE_CONSTRAINT ? STMT_E_TARGET : STMT_E_IO;
}

int
orgs_invite_accept(struct orgs *o, const char *org, const char *id, const uint8_t *cert,
    size_t cert_len, int64_t now, int *serr, uint8_t *kind_out, char subject_out[ORGS_ID_BUF])
{
	struct stmt_trust *t = malloc(sizeof(*t));
	struct enroll_request rq;
	struct stmt *s = NULL;
	sqlite3_stmt *st = NULL;
	char site[ORGS_SID_BUF], uid[ORGS_SID_BUF];
	json_t *ac = NULL;
	int r = ORGS_E_IO, e = STMT_OK, kind, state, intx = 0, has_site;

	*serr = STMT_OK;
	*kind_out = 0;
	subject_out[0] = '\0';
	if (t == NULL)
		return ORGS_E_IO;
	pthread_mutex_lock(&o->mu);
	if (orgs_begin(o) != 0)
		goto out;
	intx = 1;
	if (orgs_prep(o, "SELECT kind, state, request, site, user_id FROM org_invites"
	    " WHERE id=? AND org=?", &st) != 0)
		goto out;
	orgs_bind_text(st, 1, id);
	orgs_bind_text(st, 2, org);
	if (sqlite3_step(st) != SQLITE_ROW) {
		r = ORGS_E_NOTFOUND;
		goto out;
	}
	kind = sqlite3_column_int(st, 0);
	state = sqlite3_column_int(st, 1);
	if (state != INV_REQUESTED || enroll_request_parse(sqlite3_column_blob(st, 2),
	    (size_t)sqlite3_column_bytes(st, 2), &rq) != 0) {
		r = ORGS_E_INVAL;
		goto out;
	}
	has_site = sqlite3_column_type(st, 3) != SQLITE_NULL;
	orgs_col_text(st, 3, site, sizeof(site));
	orgs_col_text(st, 4, uid, sizeof(uid));
	sqlite3_finalize(st);
	st = NULL;
	if ((r = orgs_trust_load(o, org, now, t)) != 0)
		goto out;
	if (kind == ENROLL_GATEWAY) {
		if ((e = statement_verify(cert, cert_len, t, STMT_GATEWAY_CERT, now, &s)) == STMT_OK)
			e = accept_gateway(o, org, s, &rq, has_site ? site : NULL, now, subject_out);
	} else {
		/* member.add for exactly the account and keys that made the request. */
		if ((e = statement_verify(cert, cert_len, t, STMT_MEMBER_ADD, now, &s)) == STMT_OK) {
			char h[ORGS_SID_BUF];

			hex_encode(s->u.member.user_id, STMT_ID_LEN, h);
			if (strcmp(h, uid) != 0 ||
			    sodium_memcmp(s->u.member.sign_pk, rq.sign_pk, STMT_KEY_LEN) != 0 ||
			    sodium_memcmp(s->u.member.box_pk, rq.box_pk, STMT_KEY_LEN) != 0)
				e = STMT_E_TARGET;
			else
				e = orgs_apply_one(o, org, t, cert, cert_len, now, NULL);
			if (e == STMT_OK)
				memcpy(subject_out, uid, ORGS_SID_BUF);
		}
	}
	if (e != STMT_OK) {
		*serr = e;
		r = e == STMT_E_IO ? ORGS_E_IO : ORGS_E_STMT;
		goto out;
	}
	ac = issuer_cert(o, org, s->issuer);
	if (orgs_prep(o, "UPDATE org_invites SET state=2, cert=?, admin_cert=? WHERE id=?", &st) != 0) {
		r = ORGS_E_IO;
		goto out;
	}
	sqlite3_bind_blob(st, 1, cert, (int)cert_len, SQLITE_TRANSIENT);
	if (json_is_string(ac)) {
		uint8_t *b = malloc(json_string_length(ac) / 2 + 1);

		if (b != NULL && hex_decode(json_string_value(ac), b, json_string_length(ac) / 2) == 0)
			sqlite3_bind_blob(st, 2, b, (int)(json_string_length(ac) / 2), SQLITE_TRANSIENT);
		free(b);
	}
	orgs_bind_text(st, 3, id);
	if (sqlite3_step(st) != SQLITE_DONE || orgs_commit(o) != 0) {
		r = ORGS_E_IO;
		goto out;
	}
	intx = 0;
	*kind_out = (uint8_t)kind;
	r = 0;
out:
	sqlite3_finalize(st);
	if (intx)
		orgs_rollback(o);
	pthread_mutex_unlock(&o->mu);
	if (r != 0)
		subject_out[0] = '\0';
	json_decref(ac);
	statement_free(s);
	sodium_memzero(&rq, sizeof(rq));
	free(t);
	return r;
}

int
orgs_enroll_result(struct orgs *o, const char *id, const uint8_t token[32], json_t **out)
{
	sqlite3_stmt *st = NULL;
	uint8_t verifier[ENROLL_VERIFIER_LEN];
	int r = ORGS_E_DENIED, state;

	*out = NULL;
	pthread_mutex_lock(&o->mu);
	if (orgs_prep(o, "SELECT i.verifier, i.state, o.root_stmt, i.admin_cert, i.cert FROM"
	    " org_invites i JOIN orgs o ON o.id=i.org WHERE i.id=?", &st) != 0) {
		r = ORGS_E_IO;
		goto out;
	}
	orgs_bind_text(st, 1, id);
	if (sqlite3_step(st) != SQLITE_ROW || sqlite3_column_bytes(st, 0) != ENROLL_VERIFIER_LEN)
		goto out;
	memcpy(verifier, sqlite3_column_blob(st, 0), sizeof(verifier));
	state = sqlite3_column_int(st, 1);
	if (enroll_server_check(verifier, token) != 0 || state == INV_PENDING)
		goto out;
	if (state == INV_REQUESTED) {
		r = ORGS_E_PENDING;
		goto out;
	}
	*out = json_pack("{s:o,s:o,s:o}", "org_root", orgs_col_hex(st, 2), "admin_cert",
	    orgs_col_hex(st, 3), "cert", orgs_col_hex(st, 4));
	r = *out != NULL ? 0 : ORGS_E_IO;
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&o->mu);
	return r;
}
