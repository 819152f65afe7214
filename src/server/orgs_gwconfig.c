/* orgs_gwconfig.c - signed gateway configurations stored per gateway, and what an enrolled gateway fetches: its org's root, admin certs, config and commands. */
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "common/util.h"
#include "server/orgs.h"
#include "server/orgs_int.h"

int
orgs_gwconfig_put(struct orgs *o, const char *org, const char *gw, const uint8_t *stmt,
    size_t stmt_len, const uint8_t *copy, size_t copy_len, int64_t now, int *serr,
    uint64_t *seq)
{
	struct stmt_trust *t = malloc(sizeof(*t));
	struct stmt *s = NULL;
	sqlite3_stmt *st = NULL;
	uint8_t gwid[STMT_TARGET_LEN];
	int r, e;

	*serr = STMT_OK;
	*seq = 0;
	if (t == NULL)
		return ORGS_E_IO;
	if (copy_len == 0 || copy_len > ORGS_ADMIN_COPY_MAX || hex_decode(gw, gwid, sizeof(gwid)) != 0) {
		free(t);
		return ORGS_E_INVAL;
	}
	pthread_mutex_lock(&o->mu);
	if ((r = orgs_begin(o)) != 0) {
		pthread_mutex_unlock(&o->mu);
		free(t);
		return r;
	}
	if ((r = orgs_exists2(o, "SELECT 1 FROM org_gateways WHERE org=? AND id=?", org, gw)) != 1) {
		r = r == 0 ? ORGS_E_NOTFOUND : ORGS_E_IO;
		goto out;
	}
	if ((r = orgs_trust_load(o, org, now, t)) != 0)
		goto out;
	if ((e = statement_verify(stmt, stmt_len, t, STMT_GATEWAY_CONFIG, now, &s)) != STMT_OK ||
	    (e = sodium_memcmp(s->target, gwid, sizeof(gwid)) == 0 ? STMT_OK : STMT_E_TARGET) != STMT_OK) {
		*serr = e;
		r = ORGS_E_STMT;
		goto out;
	}
	if ((r = orgs_prep(o, "SELECT seq FROM org_gwconfig WHERE gateway=?", &st)) != 0)
		goto out;
	orgs_bind_text(st, 1, gw);
	if (sqlite3_step(st) == SQLITE_ROW && (uint64_t)sqlite3_column_int64(st, 0) >= s->seq) {
		*seq = (uint64_t)sqlite3_column_int64(st, 0);
		r = ORGS_E_STALE;
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	if ((r = orgs_prep(o, "INSERT OR REPLACE INTO org_gwconfig(gateway, org, seq, stmt,"
	    " admin_copy) VALUES(?,?,?,?,?)", &st)) != 0)
		goto out;
	orgs_bind_text(st, 1, gw);
	orgs_bind_text(st, 2, org);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)s->seq);
	sqlite3_bind_blob(st, 4, stmt, (int)stmt_len, SQLITE_TRANSIENT);
	sqlite3_bind_blob(st, 5, copy, (int)copy_len, SQLITE_TRANSIENT);
	r = orgs_step_write(st);
	st = NULL;
	if (r == 0 && (r = orgs_commit(o)) == 0)
		*seq = s->seq;
out:
	sqlite3_finalize(st);
	if (r != 0)
		orgs_rollback(o);
	pthread_mutex_unlock(&o->mu);
	statement_free(s);
	free(t);
	return r;
}

json_t *
orgs_gwconfig_json(struct orgs *o, const char *org, const char *gw)
{
	sqlite3_stmt *st = NULL;
	json_t *j = NULL;
	int rc;

	pthread_mutex_lock(&o->mu);
	if (orgs_prep(o, "SELECT stmt, admin_copy, seq FROM org_gwconfig WHERE gateway=? AND org=?",
	    &st) != 0)
		goto out;
	orgs_bind_text(st, 1, gw);
	orgs_bind_text(st, 2, org);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		j = json_pack("{s:o,s:o,s:I}", "statement", orgs_col_hex(st, 0), "admin_copy",
		    orgs_col_hex(st, 1), "seq", (json_int_t)sqlite3_column_int64(st, 2));
	else if (rc == SQLITE_DONE)
		j = json_pack("{s:n,s:n,s:i}", "statement", "admin_copy", "seq", 0);
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&o->mu);
	return j;
}

json_t *
orgs_gateway_feed_json(struct orgs *o, const char *gw, uint64_t after)
{
	sqlite3_stmt *st = NULL;
	json_t *root = NULL, *cfg = NULL, *certs = json_array(), *cmds = json_array(), *h, *j = NULL;
	char org[ORGS_ID_BUF];

	pthread_mutex_lock(&o->mu);
	if (certs == NULL || cmds == NULL ||
	    orgs_prep(o, "SELECT g.org, o.root_stmt FROM org_gateways g JOIN orgs o ON o.id=g.org"
	    " WHERE g.id=?", &st) != 0)
		goto out;
	orgs_bind_text(st, 1, gw);
	if (sqlite3_step(st) != SQLITE_ROW || (root = orgs_col_hex(st, 1)) == NULL)
		goto out;
	orgs_col_text(st, 0, org, sizeof(org));
	sqlite3_finalize(st);
	if (orgs_prep(o, "SELECT raw FROM org_stmts WHERE org=? AND type=? ORDER BY n", &st) != 0)
		goto out;
	orgs_bind_text(st, 1, org);
	sqlite3_bind_int(st, 2, STMT_ADMIN_CERT);
	while (sqlite3_step(st) == SQLITE_ROW)
		if ((h = orgs_col_hex(st, 0)) == NULL || json_array_append_new(certs, h) != 0)
			goto out;
	sqlite3_finalize(st);
	if (orgs_prep(o, "SELECT raw FROM org_stmts WHERE org=? AND type=? AND subject=? AND seq>?"
	    " ORDER BY seq", &st) != 0)
		goto out;
	orgs_bind_text(st, 1, org);
	sqlite3_bind_int(st, 2, STMT_GATEWAY_COMMAND);
	orgs_bind_text(st, 3, gw);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)(after > INT64_MAX ? INT64_MAX : after));
	while (sqlite3_step(st) == SQLITE_ROW)
		if ((h = orgs_col_hex(st, 0)) == NULL || json_array_append_new(cmds, h) != 0)
			goto out;
	sqlite3_finalize(st);
	if (orgs_prep(o, "SELECT stmt FROM org_gwconfig WHERE gateway=?", &st) != 0)
		goto out;
	orgs_bind_text(st, 1, gw);
	cfg = sqlite3_step(st) == SQLITE_ROW ? orgs_col_hex(st, 0) : json_null();
	if (cfg != NULL)
		j = json_pack("{s:O,s:O,s:O,s:O}", "org_root", root, "admin_certs", certs, "config",
		    cfg, "commands", cmds);
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&o->mu);
	json_decref(root);
	json_decref(cfg);
	json_decref(certs);
	json_decref(cmds);
	return j;
}

