/* orgs.c - organizations: schema, SQL helpers, the trust set, org creation, memberships (statements are applied in orgs_apply.c, JSON views in orgs_view.c). */
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "common/util.h"
#include "server/accounts.h"
#include "server/orgs.h"
#include "server/orgs_int.h"

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS orgs(id TEXT PRIMARY KEY, name TEXT NOT NULL,"
    " root_pk BLOB NOT NULL, root_stmt BLOB NOT NULL, created_us INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS org_stmts(n INTEGER PRIMARY KEY AUTOINCREMENT,"
    " org TEXT NOT NULL, type INTEGER NOT NULL, subject TEXT NOT NULL, seq INTEGER NOT NULL,"
    " raw BLOB NOT NULL);"
    "CREATE INDEX IF NOT EXISTS org_stmts_by ON org_stmts(org, type, subject);"
    /* role 0: removed (the row stays so that an old member.add cannot be replayed). */
    "CREATE TABLE IF NOT EXISTS org_members(org TEXT NOT NULL, user_id TEXT NOT NULL,"
    " role INTEGER NOT NULL, scope BLOB, seq INTEGER NOT NULL, sign_pk BLOB NOT NULL,"
    " box_pk BLOB NOT NULL, stmt BLOB NOT NULL, PRIMARY KEY(org, user_id));"
    "CREATE INDEX IF NOT EXISTS org_members_user ON org_members(user_id);"
    "CREATE TABLE IF NOT EXISTS org_sealed(org TEXT NOT NULL, user_id TEXT NOT NULL,"
    " sealed BLOB NOT NULL, PRIMARY KEY(org, user_id));"
    "CREATE TABLE IF NOT EXISTS org_sites(org TEXT NOT NULL, id TEXT NOT NULL,"
    " name TEXT NOT NULL, PRIMARY KEY(org, id));"
    "CREATE TABLE IF NOT EXISTS org_cameras(id TEXT PRIMARY KEY, org TEXT NOT NULL,"
    " name TEXT NOT NULL, site TEXT NOT NULL, gateway TEXT NOT NULL, epoch INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS org_gateways(id TEXT PRIMARY KEY, org TEXT NOT NULL,"
    " site TEXT, enrolled_us INTEGER NOT NULL, last_seen_us INTEGER NOT NULL, cert BLOB NOT NULL);"
    "CREATE TABLE IF NOT EXISTS org_invites(id TEXT PRIMARY KEY, org TEXT NOT NULL,"
    " kind INTEGER NOT NULL, verifier BLOB NOT NULL, site TEXT, expires_us INTEGER NOT NULL,"
    " state INTEGER NOT NULL, request BLOB, user_id TEXT, cert BLOB, admin_cert BLOB);"
    "CREATE TABLE IF NOT EXISTS org_gwconfig(gateway TEXT PRIMARY KEY, org TEXT NOT NULL,"
    " seq INTEGER NOT NULL, stmt BLOB NOT NULL, admin_copy BLOB NOT NULL);"
    "CREATE TABLE IF NOT EXISTS org_support(org TEXT NOT NULL, user_id TEXT NOT NULL,"
    " expires_us INTEGER NOT NULL, granted_by TEXT NOT NULL, PRIMARY KEY(org, user_id));"
    "CREATE INDEX IF NOT EXISTS org_cameras_org ON org_cameras(org);"
    /* The storage quota the instance operator set (orgs_quota.c); no row: none. Retention
     * applies bytes from effective_us on and old_bytes (the quota in force when it was set,
     * 0 none) before: a quota below the org's usage waits a grace period. */
    "CREATE TABLE IF NOT EXISTS org_quotas(org TEXT PRIMARY KEY, bytes INTEGER NOT NULL,"
    " effective_us INTEGER NOT NULL DEFAULT 0, old_bytes INTEGER NOT NULL DEFAULT 0);";

int
orgs_prep(struct orgs *o, const char *sql, sqlite3_stmt **st)
{
	if (sqlite3_prepare_v2(o->db, sql, -1, st, NULL) != SQLITE_OK) {
		log_err("orgs", "op=prepare err=\"%s\"", sqlite3_errmsg(o->db));
		*st = NULL;
		return ORGS_E_IO;
	}
	return 0;
}

int
orgs_exec(struct orgs *o, const char *sql)
{
	if (sqlite3_exec(o->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		log_err("orgs", "op=exec err=\"%s\"", sqlite3_errmsg(o->db));
		return ORGS_E_IO;
	}
	return 0;
}

int
orgs_begin(struct orgs *o)
{
	return orgs_exec(o, "BEGIN IMMEDIATE");
}

int
orgs_commit(struct orgs *o)
{
	return orgs_exec(o, "COMMIT");
}

void
orgs_rollback(struct orgs *o)
{
	sqlite3_exec(o->db, "ROLLBACK", NULL, NULL, NULL);
}

void
orgs_bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
}

json_t *
orgs_col_hex(sqlite3_stmt *st, int i)
{
	const uint8_t *p = sqlite3_column_blob(st, i);
	size_t n = (size_t)sqlite3_column_bytes(st, i);
	json_t *j;
	char *h;

	if (p == NULL || sqlite3_column_type(st, i) == SQLITE_NULL)
		return json_null();
	if ((h = malloc(2 * n + 1)) == NULL)
		return NULL;
	hex_encode(p, n, h);
	j = json_string(h);
	free(h);
	return j;
}

void
orgs_col_text(sqlite3_stmt *st, int i, char *out, size_t cap)
{
	const char *s = (const char *)sqlite3_column_text(st, i);
	size_t n = s != NULL ? strlen(s) : 0;

	out[0] = '\0';
	if (s != NULL && n < cap)
		memcpy(out, s, n + 1);
}

const char *
orgs_role_name(uint8_t role)
{
	switch (role) {
	case STMT_ROLE_OWNER: return "owner";
	case STMT_ROLE_ADMIN: return "admin";
	case STMT_ROLE_VIEWER: return "viewer";
	case STMT_ROLE_AUDITOR: return "auditor";
	case STMT_ROLE_SUPPORT: return "support";
	default: return "none";
	}
}

int
orgs_open(struct orgs **out, const char *db_path, struct accounts *acc)
{
	struct orgs *o = NULL;
	int r = ORGS_E_IO;

	*out = NULL;
	if ((o = calloc(1, sizeof(*o))) == NULL)
		return ORGS_E_IO;
	pthread_mutex_init(&o->mu, NULL);
	o->acc = acc;
	if (sqlite3_open_v2(db_path, &o->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	    SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK) {
		log_err("orgs", "op=open err=\"cannot open database\"");
		goto out;
	}
	sqlite3_busy_timeout(o->db, 5000);
	if (orgs_exec(o, "PRAGMA journal_mode=WAL") != 0 ||
	    orgs_exec(o, "PRAGMA synchronous=FULL") != 0 || orgs_exec(o, schema) != 0)
		goto out;
	*out = o;
	o = NULL;
	r = 0;
out:
	orgs_close(o);
	return r;
}

void
orgs_close(struct orgs *o)
{
	if (o == NULL)
		return;
	sqlite3_close(o->db);
	pthread_mutex_destroy(&o->mu);
	free(o);
}

int
orgs_stmt_store(struct orgs *o, const char *org, const struct stmt *s, const char *subject)
{
	sqlite3_stmt *st = NULL;
	int r = ORGS_E_IO;

	if (orgs_prep(o, "INSERT INTO org_stmts(org, type, subject, seq, raw) VALUES(?,?,?,?,?)",
	    &st) != 0)
		goto out;
	orgs_bind_text(st, 1, org);
	sqlite3_bind_int(st, 2, s->type);
	orgs_bind_text(st, 3, subject);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)s->seq);
	sqlite3_bind_blob(st, 5, s->raw, (int)s->raw_len, SQLITE_TRANSIENT);
	if (sqlite3_step(st) == SQLITE_DONE)
		r = 0;
out:
	sqlite3_finalize(st);
	return r;
}

int
orgs_trust_load(struct orgs *o, const char *org, int64_t now, struct stmt_trust *t)
{
	sqlite3_stmt *st = NULL;
	int r = ORGS_E_IO, e;

	if (orgs_prep(o, "SELECT root_pk FROM orgs WHERE id=?", &st) != 0)
		goto out;
	orgs_bind_text(st, 1, org);
	if ((e = sqlite3_step(st)) != SQLITE_ROW || sqlite3_column_bytes(st, 0) != STMT_KEY_LEN) {
		r = e == SQLITE_DONE ? ORGS_E_NOTFOUND : ORGS_E_IO;
		goto out;
	}
	statement_trust_init(t, sqlite3_column_blob(st, 0));
	sqlite3_finalize(st);
	if (orgs_prep(o, "SELECT raw FROM org_stmts WHERE org=? AND type=? ORDER BY n", &st) != 0)
		goto out;
	orgs_bind_text(st, 1, org);
	sqlite3_bind_int(st, 2, STMT_ADMIN_CERT);
	while ((e = sqlite3_step(st)) == SQLITE_ROW) {
		/* An expired or superseded certificate simply does not count. */
		(void)statement_trust_add(t, sqlite3_column_blob(st, 0),
		    (size_t)sqlite3_column_bytes(st, 0), now);
	}
	r = e == SQLITE_DONE ? 0 : ORGS_E_IO;
out:
	sqlite3_finalize(st);
	return r;
}

int
orgs_create(struct orgs *o, const char *user_id, const uint8_t *root, size_t root_len,
    const uint8_t *cert, size_t cert_len, const uint8_t *member, size_t member_len,
    const uint8_t *sealed, size_t sealed_len, int64_t now, int *serr, char org_out[ORGS_ID_BUF])
{
	struct stmt_trust *t = NULL;
	struct stmt *rs = NULL, *cs = NULL, *ms = NULL;
	sqlite3_stmt *st = NULL;
	uint8_t uid[STMT_ID_LEN];
	char org[ORGS_ID_BUF];
	int r = ORGS_E_INVAL, e, intx = 0;

	*serr = STMT_OK;
	org_out[0] = '\0';
	if (sealed_len != ORGS_SEALED_ROOT_LEN || hex_decode(user_id, uid, sizeof(uid)) != 0)
		return ORGS_E_INVAL;
	if ((t = malloc(sizeof(*t))) == NULL)
		return ORGS_E_IO;
	pthread_mutex_lock(&o->mu);
	if ((e = statement_parse(root, root_len, &rs)) != STMT_OK || rs->type != STMT_ORG_ROOT) {
		*serr = e != STMT_OK ? e : STMT_E_TYPE;
		r = ORGS_E_STMT;
		goto out;
	}
	statement_trust_init(t, rs->issuer);
	statement_free(rs);
	rs = NULL;
	if ((e = statement_verify(root, root_len, t, STMT_ORG_ROOT, now, &rs)) != STMT_OK) {
		*serr = e;
		r = ORGS_E_STMT;
		goto out;
	}
	hex_encode(rs->org_id, STMT_ORG_ID_LEN, org);
	if (orgs_begin(o) != 0) {
		r = ORGS_E_IO;
		goto out;
	}
	intx = 1;
	if (orgs_prep(o, "INSERT OR IGNORE INTO orgs(id, name, root_pk, root_stmt, created_us)"
	    " VALUES(?,?,?,?,?)", &st) != 0) {
		r = ORGS_E_IO;
		goto out;
	}
	orgs_bind_text(st, 1, org);
	orgs_bind_text(st, 2, rs->u.org_root.name);
	sqlite3_bind_blob(st, 3, rs->issuer, STMT_KEY_LEN, SQLITE_TRANSIENT);
	sqlite3_bind_blob(st, 4, root, (int)root_len, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 5, now);
	if (sqlite3_step(st) != SQLITE_DONE) {
		r = ORGS_E_IO;
		goto out;
	}
	if (sqlite3_changes(o->db) == 0) {
		r = ORGS_E_EXISTS;
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	/* The founder's certificate and owner membership, both for the caller's own keys. */
	e = orgs_apply_one(o, org, t, cert, cert_len, now, &cs);
	if (e == STMT_OK && (cs->type != STMT_ADMIN_CERT || !cs->u.admin_cert.active ||
	    sodium_memcmp(cs->u.admin_cert.user_id, uid, STMT_ID_LEN) != 0))
		e = cs->type != STMT_ADMIN_CERT ? STMT_E_TYPE : STMT_E_TARGET;
	if (e == STMT_OK) {
		e = orgs_apply_one(o, org, t, member, member_len, now, &ms);
		if (e == STMT_OK && (ms->type != STMT_MEMBER_ADD || ms->u.member.role != STMT_ROLE_OWNER ||
		    sodium_memcmp(ms->u.member.user_id, uid, STMT_ID_LEN) != 0))
			e = ms->type != STMT_MEMBER_ADD ? STMT_E_TYPE : STMT_E_TARGET;
	}
	if (e != STMT_OK) {
		*serr = e;
		r = e == STMT_E_IO ? ORGS_E_IO : ORGS_E_STMT;
		goto out;
	}
	if (orgs_prep(o, "INSERT INTO org_sealed(org, user_id, sealed) VALUES(?,?,?)", &st) != 0) {
		r = ORGS_E_IO;
		goto out;
	}
	orgs_bind_text(st, 1, org);
	orgs_bind_text(st, 2, user_id);
	sqlite3_bind_blob(st, 3, sealed, (int)sealed_len, SQLITE_TRANSIENT);
	if (sqlite3_step(st) != SQLITE_DONE || orgs_commit(o) != 0) {
		r = ORGS_E_IO;
		goto out;
	}
	intx = 0;
	memcpy(org_out, org, ORGS_ID_BUF);
	r = 0;
out:
	sqlite3_finalize(st);
	if (intx)
		orgs_rollback(o);
	pthread_mutex_unlock(&o->mu);
	statement_free(rs);
	statement_free(cs);
	statement_free(ms);
	free(t);
	return r;
}

int
orgs_membership(struct orgs *o, const char *org, const char *user_id, int64_t now,
    struct orgs_member *m)
{
	sqlite3_stmt *st = NULL;
	int r = ORGS_E_NOTFOUND, n;

	memset(m, 0, sizeof(*m));
	if (org == NULL || user_id == NULL || user_id[0] == '\0')
		return ORGS_E_NOTFOUND;
	pthread_mutex_lock(&o->mu);
	if (orgs_prep(o, "SELECT role, scope FROM org_members WHERE org=? AND user_id=? AND role!=0",
	    &st) != 0)
		goto out;
	orgs_bind_text(st, 1, org);
	orgs_bind_text(st, 2, user_id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		m->role = (uint8_t)sqlite3_column_int(st, 0);
		n = sqlite3_column_bytes(st, 1);
		if (n > 0 && n % STMT_ID_LEN == 0 && n / STMT_ID_LEN <= STMT_SCOPE_MAX) {
			m->nscope = (uint16_t)(n / STMT_ID_LEN);
			memcpy(m->scope, sqlite3_column_blob(st, 1), (size_t)n);
		}
		r = 0;
		goto out;
	}
	sqlite3_finalize(st);
	/* Support is server policy: valid only until its expiry, checked on every request. */
	if (orgs_prep(o, "SELECT expires_us FROM org_support WHERE org=? AND user_id=?"
	    " AND expires_us>?", &st) != 0)
		goto out;
	orgs_bind_text(st, 1, org);
	orgs_bind_text(st, 2, user_id);
	sqlite3_bind_int64(st, 3, now);
	if (sqlite3_step(st) == SQLITE_ROW) {
		m->role = STMT_ROLE_SUPPORT;
		m->expires_us = sqlite3_column_int64(st, 0);
		r = 0;
	}
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&o->mu);
	return r;
}

int
orgs_is_admin_somewhere(struct orgs *o, const char *user_id)
{
	sqlite3_stmt *st = NULL;
	int r = 0;

	pthread_mutex_lock(&o->mu);
	if (orgs_prep(o, "SELECT 1 FROM org_members WHERE user_id=? AND role IN (1,2)", &st) == 0) {
		orgs_bind_text(st, 1, user_id);
		r = sqlite3_step(st) == SQLITE_ROW;
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&o->mu);
	return r;
}

int
orgs_camera_view(struct orgs *o, const char *cam, const char *user_id, int64_t now,
    char org_out[ORGS_ID_BUF])
{
	struct orgs_member m;
	sqlite3_stmt *st = NULL;
	char org[ORGS_ID_BUF], site[ORGS_SID_BUF], h[ORGS_SID_BUF];
	uint8_t cid[STMT_ID_LEN], sid[STMT_ID_LEN];
	int found = 0;
	size_t i;

	(void)now;
	org_out[0] = '\0';
	if (cam == NULL || hex_decode(cam, cid, sizeof(cid)) != 0)
		return ORGS_E_NOTFOUND;
	hex_encode(cid, sizeof(cid), h);
	pthread_mutex_lock(&o->mu);
	if (orgs_prep(o, "SELECT org, site FROM org_cameras WHERE id=?", &st) == 0) {
		orgs_bind_text(st, 1, h);
		if (sqlite3_step(st) == SQLITE_ROW) {
			orgs_col_text(st, 0, org, sizeof(org));
			orgs_col_text(st, 1, site, sizeof(site));
			found = 1;
		}
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&o->mu);
	if (!found || orgs_membership(o, org, user_id, now, &m) != 0)
		return ORGS_E_NOTFOUND;
	if (m.role == STMT_ROLE_OWNER || m.role == STMT_ROLE_ADMIN)
		goto ok;
	if (m.role != STMT_ROLE_VIEWER)
		return ORGS_E_NOTFOUND;
	if (m.nscope == 0)
		goto ok;
	if (hex_decode(site, sid, sizeof(sid)) != 0)
		memset(sid, 0, sizeof(sid));
	for (i = 0; i < m.nscope; i++)
		if (memcmp(m.scope[i], cid, STMT_ID_LEN) == 0 || memcmp(m.scope[i], sid, STMT_ID_LEN) == 0)
			goto ok;
	return ORGS_E_NOTFOUND;
ok:
	memcpy(org_out, org, ORGS_ID_BUF);
	return 0;
}

/* Run a prepared write; 0, ORGS_E_EXISTS (constraint) or ORGS_E_IO. Finalizes st. */
int
orgs_step_write(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return 0;
	return rc == SQLITE_CONSTRAINT ? ORGS_E_EXISTS : ORGS_E_IO;
}

/* 1 when a row matches sql with two text binds, 0 when not, ORGS_E_IO. Lock held. */
int
orgs_exists2(struct orgs *o, const char *sql, const char *a, const char *b)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (orgs_prep(o, sql, &st) != 0)
		return ORGS_E_IO;
	orgs_bind_text(st, 1, a);
	orgs_bind_text(st, 2, b);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : ORGS_E_IO;
}
