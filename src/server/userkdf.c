/* userkdf.c - the user_kdf table: one Argon2id cost per user id. */
#include <stdlib.h>
#include "common/util.h"
#include "server/userkdf.h"

struct userkdf {
	sqlite3 *db;
};

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS user_kdf (id VARCHAR(32) PRIMARY KEY, "
    "ops BIGINT NOT NULL, mem BIGINT NOT NULL)";

int
userkdf_open(sqlite3 *db, struct userkdf **out)
{
	struct userkdf *k = NULL;
	int r = USERKDF_ERR_IO;

	*out = NULL;
	if (db == NULL || (k = calloc(1, sizeof(*k))) == NULL)
		goto out;
	k->db = db;
	if (sqlite3_exec(db, schema, NULL, NULL, NULL) != SQLITE_OK) {
		log_err("userkdf", "op=schema err=\"%s\"", sqlite3_errmsg(db));
		goto out;
	}
	*out = k;
	k = NULL;
	r = 0;
out:
	userkdf_close(k);
	return r;
}

void
userkdf_close(struct userkdf *k)
{
	free(k);
}

int
userkdf_acceptable(const struct userkdf_params *p, const struct userkdf_params *floor)
{
	return p->ops >= floor->ops && p->ops <= USERKDF_OPS_MAX && p->mem >= floor->mem &&
	    p->mem <= USERKDF_MEM_MAX;
}

int
userkdf_set(struct userkdf *k, const char *id, const struct userkdf_params *p)
{
	sqlite3_stmt *st = NULL;
	int r = USERKDF_ERR_IO;

	if (sqlite3_prepare_v2(k->db, "INSERT OR REPLACE INTO user_kdf (id, ops, mem) "
	    "VALUES (?, ?, ?)", -1, &st, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)p->ops);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)p->mem);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto out;
	r = 0;
out:
	if (r != 0)
		log_err("userkdf", "op=set err=\"%s\"", sqlite3_errmsg(k->db));
	sqlite3_finalize(st);
	return r;
}

int
userkdf_get(struct userkdf *k, const char *id, struct userkdf_params *p)
{
	sqlite3_stmt *st = NULL;
	sqlite3_int64 ops, mem;
	int rc, r = USERKDF_ERR_IO;

	if (sqlite3_prepare_v2(k->db, "SELECT ops, mem FROM user_kdf WHERE id = ?", -1, &st,
	    NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		r = USERKDF_ERR_NOTFOUND;
		goto out;
	}
	if (rc != SQLITE_ROW)
		goto out;
	ops = sqlite3_column_int64(st, 0);
	mem = sqlite3_column_int64(st, 1);
	if (ops <= 0 || mem <= 0) {
		r = USERKDF_ERR_NOTFOUND;
		goto out;
	}
	p->ops = (unsigned long long)ops;
	p->mem = (size_t)mem;
	r = 0;
out:
	if (r == USERKDF_ERR_IO)
		log_err("userkdf", "op=get err=\"%s\"", sqlite3_errmsg(k->db));
	sqlite3_finalize(st);
	return r;
}
