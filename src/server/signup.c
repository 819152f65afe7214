/* signup.c - the signup_codes table: hashed one-time codes with an expiry. */
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "common/util.h"
#include "server/signup.h"

struct signup {
	sqlite3 *db;
};

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS signup_codes (hash VARCHAR(64) PRIMARY KEY, "
    "created_us BIGINT NOT NULL, expires_us BIGINT NOT NULL)";

int
signup_open(sqlite3 *db, struct signup **out)
{
	struct signup *s = NULL;
	int r = SIGNUP_ERR_IO;

	*out = NULL;
	if (db == NULL || (s = calloc(1, sizeof(*s))) == NULL)
		goto out;
	s->db = db;
	if (sqlite3_exec(db, schema, NULL, NULL, NULL) != SQLITE_OK) {
		log_err("signup", "op=schema err=\"%s\"", sqlite3_errmsg(db));
		goto out;
	}
	*out = s;
	s = NULL;
	r = 0;
out:
	signup_close(s);
	return r;
}

void
signup_close(struct signup *s)
{
	free(s);
}

/* Hex BLAKE2b-256 of the code's bytes; 0, or SIGNUP_ERR_INVALID for a malformed code. */
static int
code_hash(const char *code, char hex[2 * 32 + 1])
{
	uint8_t raw[SIGNUP_CODE_LEN], h[32];
	int r = SIGNUP_ERR_INVALID;

	if (code == NULL || strnlen(code, SIGNUP_CODE_BUF) != SIGNUP_CODE_HEX ||
	    hex_decode(code, raw, sizeof(raw)) != 0)
		goto out;
	crypto_generichash(h, sizeof(h), raw, sizeof(raw), NULL, 0);
	hex_encode(h, sizeof(h), hex);
	r = 0;
out:
	sodium_memzero(raw, sizeof(raw));
	return r;
}

/* Run one statement binding (text t, int64 a, int64 b) as present; changes or an error. */
static int
run(struct signup *s, const char *sql, const char *t, int64_t a, int64_t b, int nint)
{
	sqlite3_stmt *st = NULL;
	int r = SIGNUP_ERR_IO;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
		log_err("signup", "op=prepare err=\"%s\"", sqlite3_errmsg(s->db));
		goto out;
	}
	if (t != NULL)
		sqlite3_bind_text(st, 1, t, -1, SQLITE_TRANSIENT);
	if (nint >= 1)
		sqlite3_bind_int64(st, t != NULL ? 2 : 1, a);
	if (nint >= 2)
		sqlite3_bind_int64(st, t != NULL ? 3 : 2, b);
	if (sqlite3_step(st) != SQLITE_DONE) {
		log_err("signup", "op=step err=\"%s\"", sqlite3_errmsg(s->db));
		goto out;
	}
	r = sqlite3_changes(s->db);
out:
	sqlite3_finalize(st);
	return r;
}

int
signup_create(struct signup *s, int64_t now_us, char code[SIGNUP_CODE_BUF], int64_t *expires_us)
{
	uint8_t raw[SIGNUP_CODE_LEN];
	char hex[2 * 32 + 1];
	int r = SIGNUP_ERR_IO;

	code[0] = '\0';
	randombytes_buf(raw, sizeof(raw));
	hex_encode(raw, sizeof(raw), code);
	if (code_hash(code, hex) != 0)
		goto out;
	*expires_us = now_us + SIGNUP_TTL_US;
	if (run(s, "INSERT INTO signup_codes (hash, created_us, expires_us) VALUES (?, ?, ?)",
	    hex, now_us, *expires_us, 2) != 1)
		goto out;
	r = 0;
out:
	if (r != 0)
		sodium_memzero(code, SIGNUP_CODE_BUF);
	sodium_memzero(raw, sizeof(raw));
	return r;
}

int
signup_consume(struct signup *s, const char *code, int64_t now_us, int64_t *expires_us)
{
	sqlite3_stmt *st = NULL;
	char hex[2 * 32 + 1];
	int rc, r = SIGNUP_ERR_INVALID;

	*expires_us = 0;
	if (code_hash(code, hex) != 0)
		goto out;
	/* One DELETE both checks and spends: SQLite serializes writers, so two racing
	 * requests cannot both get the row back. */
	if (sqlite3_prepare_v2(s->db, "DELETE FROM signup_codes WHERE hash = ? AND expires_us > ? "
	    "RETURNING expires_us", -1, &st, NULL) != SQLITE_OK) {
		log_err("signup", "op=prepare err=\"%s\"", sqlite3_errmsg(s->db));
		r = SIGNUP_ERR_IO;
		goto out;
	}
	sqlite3_bind_text(st, 1, hex, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, now_us);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*expires_us = sqlite3_column_int64(st, 0);
		rc = sqlite3_step(st);
	}
	if (rc != SQLITE_DONE) {
		log_err("signup", "op=consume err=\"%s\"", sqlite3_errmsg(s->db));
		r = SIGNUP_ERR_IO;
		goto out;
	}
	if (*expires_us != 0)
		r = 0;
out:
	sqlite3_finalize(st);
	return r;
}

int
signup_restore(struct signup *s, const char *code, int64_t expires_us)
{
	char hex[2 * 32 + 1];

	if (code_hash(code, hex) != 0)
		return SIGNUP_ERR_INVALID;
	return run(s, "INSERT OR IGNORE INTO signup_codes (hash, created_us, expires_us) "
	    "VALUES (?, ?, ?)", hex, now_us(), expires_us, 2) < 0 ? SIGNUP_ERR_IO : 0;
}

int
signup_expire(struct signup *s, int64_t now_us)
{
	return run(s, "DELETE FROM signup_codes WHERE expires_us <= ?", NULL, now_us, 0, 1);
}
