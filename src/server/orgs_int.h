/* orgs_int.h - what the orgs_*.c files share inside the organizations module: the handle, SQL helpers and the statement trust loader. */
#ifndef VIGIL_SERVER_ORGS_INT_H
#define VIGIL_SERVER_ORGS_INT_H

#include <pthread.h>
#include <sqlite3.h>
#include "common/statement.h"
#include "server/orgs.h"

struct orgs {
	sqlite3 *db;
	pthread_mutex_t mu;          /* one caller at a time; writes are transactions */
	struct accounts *acc;
};

/* Prepare sql on o->db: 0 or ORGS_E_IO (logged). */
int orgs_prep(struct orgs *o, const char *sql, sqlite3_stmt **st);
/* Run one statement without results. 0 or ORGS_E_IO. */
int orgs_exec(struct orgs *o, const char *sql);
/* BEGIN IMMEDIATE / COMMIT / ROLLBACK. */
int orgs_begin(struct orgs *o);
int orgs_commit(struct orgs *o);
void orgs_rollback(struct orgs *o);
/* Run a prepared write and finalize it: 0, ORGS_E_EXISTS (constraint) or ORGS_E_IO. */
int orgs_step_write(sqlite3_stmt *st);
/* 1 when sql (two text binds a, b) finds a row, 0 when not, ORGS_E_IO. Lock held. */
int orgs_exists2(struct orgs *o, const char *sql, const char *a, const char *b);
/* Bind text (NULL binds NULL). */
void orgs_bind_text(sqlite3_stmt *st, int i, const char *s);
/* Column i as hex of its blob (NULL -> json null), a new reference. */
json_t *orgs_col_hex(sqlite3_stmt *st, int i);
/* Copy column i's text into out (cap bytes); "" when NULL or too long. */
void orgs_col_text(sqlite3_stmt *st, int i, char *out, size_t cap);

/* The org's trust set: root and every stored admin.cert in order. 0, ORGS_E_NOTFOUND, ORGS_E_IO. */
int orgs_trust_load(struct orgs *o, const char *org, int64_t now, struct stmt_trust *t);
/* Verify one statement against t and apply it inside the caller's transaction (types
 * allowed: admin.cert, member.*, camera.epoch, grant, gateway.command). 0 or a stmt_err
 * (STMT_E_IO for a database failure). t is updated by admin certs. */
int orgs_apply_one(struct orgs *o, const char *org, struct stmt_trust *t, const uint8_t *p,
    size_t n, int64_t now, struct stmt **out);
/* Append a verified statement to org_stmts. 0 or ORGS_E_IO. */
int orgs_stmt_store(struct orgs *o, const char *org, const struct stmt *s, const char *subject);

#endif
