/* h_operator.c - instance-operator routes (admin token): signup codes, the session kill switch, the instance audit log. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "common/buf.h"
#include "common/util.h"
#include "server/audit.h"
#include "server/authbody.h"
#include "server/authhttp.h"
#include "server/http.h"
#include "server/orgs.h"
#include "server/identity.h"
#include "server/jsonbody.h"
#include "server/orgaudit.h"
#include "server/roles.h"
#include "server/server.h"
#include "server/sessions.h"
#include "server/signup.h"

/* The largest audit download answered in one response; ?from=SEQ pages past it. */
#define AUDIT_DOWNLOAD_MAX (64u * 1024u * 1024u)
/* The admin token names no person: its actor in the audit log. */
#define ADMIN_ACTOR "operator:admin-token"

int
h_signup_code(struct req *rq)
{
	struct reqinfo ri;
	char code[SIGNUP_CODE_BUF];
	int64_t expires = 0;
	int r;

	authhttp_info(rq, &ri);
	if (signup_create(rq->srv->idn->su, now_us(), code, &expires) != 0)
		return http_error(rq, 500, "internal error", 0);
	log_info("accounts", "op=signup_code_create expires_us=%lld rid=%s", (long long)expires,
	    ri.rid);
	authhttp_audit(rq, &ri, "signup_code.create", AUDITLOG_ACTOR_OPERATOR, ADMIN_ACTOR, NULL);
	r = http_json(rq, 201, json_pack("{s:s,s:I}", "code", code, "expires_us",
	    (json_int_t)expires));
	sodium_memzero(code, sizeof(code));
	return r;
}

/* Most grants the kill switch names in org logs in one call (a server holds far fewer). */
#define KILL_GRANTS_MAX 100000

struct kill_grant {
	char org[ORGS_ID_BUF];
	char user[ORGS_ID_BUF];
};

struct kill_ctx {
	struct sessions *sess;
	int revoked;
	struct kill_grant *g;      /* the grants ended, for their orgs' logs */
	size_t n, cap;
	size_t unnamed;            /* grants that could not be kept (memory, the cap) */
};

/* Under the orgs lock: revoke the holder's sessions, keep (org, user) for the audit entry
 * written once the lock is released. */
static void
kill_user(void *ctx, const char *org, const char *user_id)
{
	struct kill_ctx *k = ctx;
	struct kill_grant *g;
	size_t cap;
	int n = sessions_revoke_user(k->sess, user_id);

	if (n > 0)
		k->revoked += n;
	if (k->n == k->cap) {
		cap = k->cap == 0 ? 16 : 2 * k->cap;
		g = cap <= KILL_GRANTS_MAX ? realloc(k->g, cap * sizeof(*g)) : NULL;
		if (g == NULL) {
			k->unnamed++;
			return;
		}
		k->g = g;
		k->cap = cap;
	}
	snprintf(k->g[k->n].org, sizeof(k->g[k->n].org), "%s", org);
	snprintf(k->g[k->n].user, sizeof(k->g[k->n].user), "%s", user_id);
	k->n++;
}

/* "support": every support grant of every organization ends and its holders' sessions go,
 * the answer to a leaked support credential. Each affected org's own log gets a
 * support.revoke entry per grant (actor the operator, detail reason "kill_switch"), so the
 * customer sees that its grant was ended and by whom. The grants end even when an entry
 * cannot be written: stopping a leaked credential comes first; a failure is logged. */
static int
kill_support(struct req *rq)
{
	struct kill_ctx k;
	json_t *d = json_pack("{s:s}", "reason", "kill_switch");
	size_t i, failed = 0;
	int r = -1;

	memset(&k, 0, sizeof(k));
	k.sess = rq->srv->idn->sess;
	if (rq->srv->idn->orgs != NULL &&
	    orgs_support_end_all(rq->srv->idn->orgs, now_us(), kill_user, &k) >= 0)
		r = k.revoked;
	for (i = 0; i < k.n; i++)
		if (d == NULL || orgaudit_event_detail(rq, k.g[i].org, "support.revoke", k.g[i].user,
		    d) != 0)
			failed++;
	if (failed > 0 || k.unnamed > 0)
		log_err("audit", "op=kill_switch_entries grants=%zu unwritten=%zu", k.n + k.unnamed,
		    failed + k.unnamed);
	json_decref(d);
	free(k.g);
	return r;
}

int
h_kill_switch(struct req *rq)
{
	struct reqinfo ri;
	char role[32];
	json_t *j = NULL;
	uint32_t mask = 0;
	int n, r;

	authhttp_info(rq, &ri);
	if (jsonbody_parse(rq->body.data, rq->body.len, &j) != 0 ||
	    authbody_str(j, "role", role, sizeof(role) - 1) != 0 ||
	    ((mask = roles_from_name(role)) == 0 && strcmp(role, "support") != 0)) {
		r = http_error(rq, 400,
		    "body must be {\"role\":\"user\"|\"operator\"|\"support\"|\"all\"}", 0);
		goto out;
	}
	n = mask != 0 ? sessions_revoke_role(rq->srv->idn->sess, mask) : kill_support(rq);
	if (n < 0) {
		r = http_error(rq, 500, "internal error", 0);
		goto out;
	}
	log_warn("accounts", "op=kill_switch role=%s revoked=%d rid=%s", role, n, ri.rid);
	authhttp_audit(rq, &ri, "session.kill_switch", AUDITLOG_ACTOR_OPERATOR, ADMIN_ACTOR, role);
	r = http_json(rq, 200, json_pack("{s:i}", "revoked", n));
out:
	json_decref(j);
	return r;
}

int
h_audit_key(struct req *rq)
{
	uint8_t pk[32];
	char hex[65];

	audit_public_key(rq->srv->idn->aud, pk);
	hex_encode(pk, sizeof(pk), hex);
	return http_json(rq, 200, json_pack("{s:s}", "key", hex));
}

static int
collect_line(void *arg, const char *line, size_t len)
{
	struct buf *b = arg;

	return buf_put(b, line, len) != 0 || buf_put_u8(b, '\n') != 0 ? -1 : 0;
}

int
h_audit_instance(struct req *rq)
{
	struct MHD_Response *resp;
	struct buf b;
	const char *from_s = http_query(rq, "from");
	int64_t from = 1;
	int e, r;

	buf_init(&b, AUDIT_DOWNLOAD_MAX);
	if (from_s != NULL && parse_i64(from_s, 1, AUDITLOG_SEQ_MAX, &from) != 0) {
		r = http_error(rq, 400, "from must be a seq >= 1", 0);
		goto out;
	}
	e = audit_export(rq->srv->idn->aud, IDENTITY_AUDIT_ORG, (uint64_t)from, collect_line, &b);
	if (e == AUDIT_E_ABORTED) {
		r = http_error(rq, 507, "audit log too large for one download: use ?from=SEQ", 0);
		goto out;
	}
	if (e != 0) {
		r = http_error(rq, 500, "internal error", 0);
		goto out;
	}
	resp = MHD_create_response_from_buffer(b.len, b.data, MHD_RESPMEM_MUST_COPY);
	if (resp == NULL) {
		r = MHD_NO;
		goto out;
	}
	MHD_add_response_header(resp, "Content-Type", "application/x-ndjson");
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	r = MHD_queue_response(rq->conn, 200, resp);
	MHD_destroy_response(resp);
	rq->responded = 1;
	log_info("audit", "op=download org=%s from=%lld bytes=%zu", IDENTITY_AUDIT_ORG,
	    (long long)from, b.len);
out:
	buf_free(&b);
	return r;
}
