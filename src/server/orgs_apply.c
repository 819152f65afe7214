/* orgs_apply.c - verification and application of an org's signed statements: admin certs, memberships, camera epochs, grants and gateway commands. */
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "common/util.h"
#include "server/accounts.h"
#include "server/orgs.h"
#include "server/orgs_int.h"

/* The user's registered keys equal these? STMT_OK, STMT_E_TARGET or STMT_E_IO. */
static int
user_keys_match(struct orgs *o, const uint8_t id[STMT_ID_LEN], const uint8_t sign_pk[32],
    const uint8_t box_pk[32])
{
	struct accounts_user *u;
	char hex[ORGS_SID_BUF];
	int r = STMT_E_TARGET;

	if ((u = malloc(sizeof(*u))) == NULL)
		return STMT_E_NOMEM;
	hex_encode(id, STMT_ID_LEN, hex);
	if (accounts_get(o->acc, hex, u) == 0 && !u->disabled &&
	    sodium_memcmp(u->sign_pk, sign_pk, 32) == 0 && sodium_memcmp(u->box_pk, box_pk, 32) == 0)
		r = STMT_OK;
	free(u);
	return r;
}

/* Stored seq of a member row (-1 when none). */
static int64_t
member_seq(struct orgs *o, const char *org, const char *uid)
{
	sqlite3_stmt *st = NULL;
	int64_t seq = -1;

	if (orgs_prep(o, "SELECT seq FROM org_members WHERE org=? AND user_id=?", &st) != 0)
		return -2;
	orgs_bind_text(st, 1, org);
	orgs_bind_text(st, 2, uid);
	if (sqlite3_step(st) == SQLITE_ROW)
		seq = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return seq;
}

static int
apply_member(struct orgs *o, const char *org, const struct stmt_trust *t, const struct stmt *s)
{
	const struct stmt_member *m = &s->u.member;
	sqlite3_stmt *st = NULL;
	char uid[ORGS_SID_BUF];
	int64_t cur;
	size_t i;
	int r;

	hex_encode(m->user_id, STMT_ID_LEN, uid);
	if ((r = user_keys_match(o, m->user_id, m->sign_pk, m->box_pk)) != STMT_OK)
		return r;
	if ((cur = member_seq(o, org, uid)) < -1)
		return STMT_E_IO;
	if (cur >= 0 && s->seq <= (uint64_t)cur)
		return STMT_E_REPLAY;
	if (s->type == STMT_MEMBER_ROLE && cur < 0)
		return STMT_E_TARGET;
	/* An owner or admin must hold an active admin certificate for the same keys. */
	if (m->role == STMT_ROLE_OWNER || m->role == STMT_ROLE_ADMIN) {
		for (i = 0; i < t->nadmins; i++)
			if (t->admins[i].active &&
			    sodium_memcmp(t->admins[i].user_id, m->user_id, STMT_ID_LEN) == 0 &&
			    sodium_memcmp(t->admins[i].pk, m->sign_pk, STMT_KEY_LEN) == 0)
				break;
		if (i == t->nadmins)
			return STMT_E_UNCERTIFIED;
	}
	if (orgs_prep(o, "INSERT OR REPLACE INTO org_members(org, user_id, role, scope, seq,"
	    " sign_pk, box_pk, stmt) VALUES(?,?,?,?,?,?,?,?)", &st) != 0)
		return STMT_E_IO;
	orgs_bind_text(st, 1, org);
	orgs_bind_text(st, 2, uid);
	sqlite3_bind_int(st, 3, s->type == STMT_MEMBER_REMOVE ? STMT_ROLE_NONE : m->role);
	sqlite3_bind_blob(st, 4, m->scope, (int)m->nscope * STMT_ID_LEN, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)s->seq);
	sqlite3_bind_blob(st, 6, m->sign_pk, 32, SQLITE_TRANSIENT);
	sqlite3_bind_blob(st, 7, m->box_pk, 32, SQLITE_TRANSIENT);
	sqlite3_bind_blob(st, 8, s->raw, (int)s->raw_len, SQLITE_TRANSIENT);
	r = sqlite3_step(st) == SQLITE_DONE ? STMT_OK : STMT_E_IO;
	sqlite3_finalize(st);
	if (r == STMT_OK && s->type == STMT_MEMBER_REMOVE) {
		if (orgs_prep(o, "DELETE FROM org_sealed WHERE org=? AND user_id=?", &st) != 0)
			return STMT_E_IO;
		orgs_bind_text(st, 1, org);
		orgs_bind_text(st, 2, uid);
		r = sqlite3_step(st) == SQLITE_DONE ? STMT_OK : STMT_E_IO;
		sqlite3_finalize(st);
	}
	return r == STMT_OK ? (orgs_stmt_store(o, org, s, uid) == 0 ? STMT_OK : STMT_E_IO) : r;
}

/* The camera's current epoch in org: >= 0, -1 when the camera is not the org's, -2 on IO. */
static int64_t
camera_epoch(struct orgs *o, const char *org, const char *cam)
{
	sqlite3_stmt *st = NULL;
	int64_t e = -1;
	int rc;

	if (orgs_prep(o, "SELECT epoch FROM org_cameras WHERE id=? AND org=?", &st) != 0)
		return -2;
	orgs_bind_text(st, 1, cam);
	orgs_bind_text(st, 2, org);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		e = sqlite3_column_int64(st, 0);
	else if (rc != SQLITE_DONE)
		e = -2;
	sqlite3_finalize(st);
	return e;
}

static int
apply_epoch(struct orgs *o, const char *org, const struct stmt *s)
{
	sqlite3_stmt *st = NULL;
	char cam[ORGS_SID_BUF];
	int64_t cur;
	int r;

	hex_encode(s->u.camera_epoch.camera_id, STMT_ID_LEN, cam);
	if ((cur = camera_epoch(o, org, cam)) == -2)
		return STMT_E_IO;
	if (cur == -1)
		return STMT_E_TARGET;
	if ((int64_t)s->u.camera_epoch.epoch <= cur)
		return STMT_E_REPLAY;
	if (orgs_prep(o, "UPDATE org_cameras SET epoch=? WHERE id=?", &st) != 0)
		return STMT_E_IO;
	sqlite3_bind_int64(st, 1, s->u.camera_epoch.epoch);
	orgs_bind_text(st, 2, cam);
	r = sqlite3_step(st) == SQLITE_DONE ? STMT_OK : STMT_E_IO;
	sqlite3_finalize(st);
	return r == STMT_OK ? (orgs_stmt_store(o, org, s, cam) == 0 ? STMT_OK : STMT_E_IO) : r;
}

static int
apply_grant(struct orgs *o, const char *org, const struct stmt *s)
{
	const struct stmt_grant *g = &s->u.grant;
	sqlite3_stmt *st = NULL;
	char uid[ORGS_SID_BUF], cam[ORGS_SID_BUF];
	int ok = 0;

	hex_encode(g->grantee_id, STMT_ID_LEN, uid);
	hex_encode(g->camera_id, STMT_ID_LEN, cam);
	if (camera_epoch(o, org, cam) < 0)
		return STMT_E_TARGET;
	if (orgs_prep(o, "SELECT 1 FROM org_members WHERE org=? AND user_id=? AND role!=0"
	    " AND box_pk=?", &st) != 0)
		return STMT_E_IO;
	orgs_bind_text(st, 1, org);
	orgs_bind_text(st, 2, uid);
	sqlite3_bind_blob(st, 3, g->grantee_box_pk, 32, SQLITE_TRANSIENT);
	ok = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	if (!ok)
		return STMT_E_TARGET;
	return orgs_stmt_store(o, org, s, uid) == 0 ? STMT_OK : STMT_E_IO;
}

static int
apply_command(struct orgs *o, const char *org, const struct stmt *s)
{
	sqlite3_stmt *st = NULL;
	char gw[ORGS_ID_BUF];
	int ok;

	hex_encode(s->target, STMT_TARGET_LEN, gw);
	if (orgs_prep(o, "SELECT 1 FROM org_gateways WHERE id=? AND org=?", &st) != 0)
		return STMT_E_IO;
	orgs_bind_text(st, 1, gw);
	orgs_bind_text(st, 2, org);
	ok = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	if (!ok)
		return STMT_E_TARGET;
	return orgs_stmt_store(o, org, s, gw) == 0 ? STMT_OK : STMT_E_IO;
}

int
orgs_apply_one(struct orgs *o, const char *org, struct stmt_trust *t, const uint8_t *p,
    size_t n, int64_t now, struct stmt **out)
{
	struct stmt *s = NULL;
	char uid[ORGS_SID_BUF];
	int r;

	if (out != NULL)
		*out = NULL;
	if ((r = statement_verify(p, n, t, STMT_ANY, now, &s)) != STMT_OK)
		goto out;
	switch (s->type) {
	case STMT_ADMIN_CERT:
		if ((r = user_keys_match(o, s->u.admin_cert.user_id, s->u.admin_cert.sign_pk,
		    s->u.admin_cert.box_pk)) != STMT_OK)
			break;
		if ((r = statement_trust_add(t, p, n, now)) != STMT_OK)
			break;
		hex_encode(s->u.admin_cert.user_id, STMT_ID_LEN, uid);
		r = orgs_stmt_store(o, org, s, uid) == 0 ? STMT_OK : STMT_E_IO;
		break;
	case STMT_MEMBER_ADD:
	case STMT_MEMBER_ROLE:
	case STMT_MEMBER_REMOVE:
		r = apply_member(o, org, t, s);
		break;
	case STMT_CAMERA_EPOCH:
		r = apply_epoch(o, org, s);
		break;
	case STMT_GRANT:
		r = apply_grant(o, org, s);
		break;
	case STMT_GATEWAY_COMMAND:
		r = apply_command(o, org, s);
		break;
	default:
		r = STMT_E_TYPE;
		break;
	}
out:
	if (r == STMT_OK && out != NULL) {
		*out = s;
		s = NULL;
	}
	statement_free(s);
	return r;
}

int
orgs_apply(struct orgs *o, const char *org, const uint8_t *const *stmts, const size_t *lens,
    size_t n, int64_t now, int *serr, size_t *bad)
{
	struct stmt_trust *t;
	size_t i;
	int r, e = STMT_OK;

	*serr = STMT_OK;
	*bad = 0;
	if ((t = malloc(sizeof(*t))) == NULL)
		return ORGS_E_IO;
	pthread_mutex_lock(&o->mu);
	if ((r = orgs_begin(o)) != 0)
		goto out;
	if ((r = orgs_trust_load(o, org, now, t)) != 0) {
		orgs_rollback(o);
		goto out;
	}
	for (i = 0; i < n && e == STMT_OK; i++)
		if ((e = orgs_apply_one(o, org, t, stmts[i], lens[i], now, NULL)) != STMT_OK)
			*bad = i;
	if (e != STMT_OK) {
		orgs_rollback(o);
		*serr = e;
		r = e == STMT_E_IO ? ORGS_E_IO : ORGS_E_STMT;
		goto out;
	}
	if ((r = orgs_commit(o)) != 0)
		orgs_rollback(o);
out:
	pthread_mutex_unlock(&o->mu);
	free(t);
	return r;
}

