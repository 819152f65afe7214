/* sessions.c - session rows in SQLite keyed by the token's hash, with expiry, revocation and cookie helpers. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "common/util.h"
#include "server/sessions.h"

struct sessions {
	sqlite3 *db;
	pthread_mutex_t mu;      /* check-then-update sequences are atomic per process */
	int64_t idle_us;
	int64_t absolute_us;
};

static const char *const schema[] = {
	"CREATE TABLE IF NOT EXISTS sessions (hash VARCHAR(64) PRIMARY KEY, "
	    "sid VARCHAR(32) NOT NULL UNIQUE, user_id VARCHAR(32) NOT NULL, roles BIGINT NOT NULL, "
	    "created_us BIGINT NOT NULL, last_us BIGINT NOT NULL, step_up_us BIGINT NOT NULL, "
	    "addr VARCHAR(64) NOT NULL)",
	"CREATE INDEX IF NOT EXISTS sessions_user ON sessions (user_id)",
};

static int
prep(struct sessions *s, sqlite3_stmt **st, const char *sql)
{
	if (sqlite3_prepare_v2(s->db, sql, -1, st, NULL) != SQLITE_OK) {
		log_err("sessions", "op=prepare err=\"%s\"", sqlite3_errmsg(s->db));
		*st = NULL;
		return SESSIONS_ERR_IO;
	}
	return 0;
}

/* Step a statement that returns no rows; changed rows (>= 0) or SESSIONS_ERR_IO. */
static int
step_changes(struct sessions *s, sqlite3_stmt *st)
{
	if (sqlite3_step(st) != SQLITE_DONE) {
		log_err("sessions", "op=step err=\"%s\"", sqlite3_errmsg(s->db));
		return SESSIONS_ERR_IO;
	}
	return sqlite3_changes(s->db);
}

/* 1 when s is exactly n lowercase hex characters. */
static int
is_hex(const char *h, size_t n)
{
	size_t i;

	if (h == NULL)
		return 0;
	for (i = 0; i < n; i++)
		if (!((h[i] >= '0' && h[i] <= '9') || (h[i] >= 'a' && h[i] <= 'f')))
			return 0;
	return h[n] == '\0';
}

/* Hex of BLAKE2b-256(token bytes); 0, or SESSIONS_ERR_INVALID for a malformed token. */
static int
token_hash(const char *token, char hex[65])
{
	uint8_t raw[32], h[32];
	size_t n;
	int r = SESSIONS_ERR_INVALID;

	if (token == NULL || strnlen(token, SESSIONS_TOKEN_BUF) != SESSIONS_TOKEN_LEN)
		goto out;
	if (sodium_base642bin(raw, sizeof(raw), token, SESSIONS_TOKEN_LEN, NULL, &n, NULL,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 || n != sizeof(raw))
		goto out;
	crypto_generichash(h, sizeof(h), raw, sizeof(raw), NULL, 0);
	sodium_bin2hex(hex, 65, h, sizeof(h));
	r = 0;
out:
	sodium_memzero(raw, sizeof(raw));
	return r;
}

int
sessions_open(sqlite3 *db, const struct sessions_cfg *cfg, struct sessions **out)
{
	struct sessions *s;
	size_t i;

	*out = NULL;
	if (db == NULL || (s = calloc(1, sizeof(*s))) == NULL)
		return SESSIONS_ERR_IO;
	s->db = db;
	pthread_mutex_init(&s->mu, NULL);
	s->idle_us = cfg != NULL && cfg->idle_us > 0 ? cfg->idle_us : SESSIONS_IDLE_US;
	s->absolute_us = cfg != NULL && cfg->absolute_us > 0 ? cfg->absolute_us :
	    SESSIONS_ABSOLUTE_US;
	for (i = 0; i < sizeof(schema) / sizeof(schema[0]); i++) {
		if (sqlite3_exec(db, schema[i], NULL, NULL, NULL) != SQLITE_OK) {
			log_err("sessions", "op=schema err=\"%s\"", sqlite3_errmsg(db));
			sessions_close(s);
			return SESSIONS_ERR_IO;
		}
	}
	*out = s;
	return 0;
}

void
sessions_close(struct sessions *s)
{
	if (s == NULL)
		return;
	pthread_mutex_destroy(&s->mu);
	free(s);
}

int
sessions_create(struct sessions *s, const char *user_id, uint32_t roles, const char *addr,
    int64_t now_us, char token[SESSIONS_TOKEN_BUF], char sid[SESSIONS_SID_BUF])
{
	sqlite3_stmt *st = NULL;
	uint8_t raw[32], sraw[16];
	char hash[65];
	int r = SESSIONS_ERR_INVAL;

	token[0] = '\0';
	sid[0] = '\0';
	if (!is_hex(user_id, 32))
		return r;
	if (addr == NULL || strlen(addr) >= SESSIONS_ADDR_BUF)
		addr = "";
	randombytes_buf(raw, sizeof(raw));
	randombytes_buf(sraw, sizeof(sraw));
	sodium_bin2base64(token, SESSIONS_TOKEN_BUF, raw, sizeof(raw),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_bin2hex(sid, SESSIONS_SID_BUF, sraw, sizeof(sraw));
	if ((r = token_hash(token, hash)) != 0) {
		r = SESSIONS_ERR_IO;
		goto out;
	}
	pthread_mutex_lock(&s->mu);
	if ((r = prep(s, &st, "INSERT INTO sessions (hash, sid, user_id, roles, created_us, "
	    "last_us, step_up_us, addr) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) == 0) {
		sqlite3_bind_text(st, 1, hash, 64, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 2, sid, 32, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 3, user_id, 32, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 4, roles);
		sqlite3_bind_int64(st, 5, now_us);
		sqlite3_bind_int64(st, 6, now_us);
		sqlite3_bind_int64(st, 7, now_us);
		sqlite3_bind_text(st, 8, addr, -1, SQLITE_TRANSIENT);
		r = step_changes(s, st) == 1 ? 0 : SESSIONS_ERR_IO;
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->mu);
out:
	if (r != 0) {
		sodium_memzero(token, SESSIONS_TOKEN_BUF);
		sid[0] = '\0';
	}
	sodium_memzero(raw, sizeof(raw));
	return r;
}

/* Copy a text column into a bounded string. */
static void
col_str(sqlite3_stmt *st, int i, char *out, size_t outsz)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	size_t n = t == NULL ? 0 : (size_t)sqlite3_column_bytes(st, i);

	if (n >= outsz)
		n = outsz - 1;
	if (n > 0)
		memcpy(out, t, n);
	out[n] = '\0';
}

/* Fill info from a row of SELECT sid, user_id, roles, created_us, last_us, step_up_us, addr. */
static void
row_info(sqlite3_stmt *st, struct sessions_info *info)
{
	memset(info, 0, sizeof(*info));
	col_str(st, 0, info->sid, sizeof(info->sid));
	col_str(st, 1, info->user_id, sizeof(info->user_id));
	info->roles = (uint32_t)sqlite3_column_int64(st, 2);
	info->created_us = sqlite3_column_int64(st, 3);
	info->last_us = sqlite3_column_int64(st, 4);
	info->step_up_us = sqlite3_column_int64(st, 5);
	col_str(st, 6, info->addr, sizeof(info->addr));
}

static int
live(const struct sessions *s, const struct sessions_info *i, int64_t now_us)
{
	return now_us - i->last_us < s->idle_us && now_us - i->created_us < s->absolute_us;
}

#define COLS "sid, user_id, roles, created_us, last_us, step_up_us, addr"

int
sessions_check(struct sessions *s, const char *token, int64_t now_us, struct sessions_info *info)
{
	sqlite3_stmt *st = NULL;
	struct sessions_info i;
	char hash[65];
	int r;

	memset(info, 0, sizeof(*info));
	if ((r = token_hash(token, hash)) != 0)
		return r;
	pthread_mutex_lock(&s->mu);
	if ((r = prep(s, &st, "SELECT " COLS " FROM sessions WHERE hash = ?")) != 0)
		goto out;
	sqlite3_bind_text(st, 1, hash, 64, SQLITE_TRANSIENT);
	if (sqlite3_step(st) != SQLITE_ROW) {
		r = SESSIONS_ERR_INVALID;
		goto out;
	}
	row_info(st, &i);
	sqlite3_finalize(st);
	st = NULL;
	if (!live(s, &i, now_us)) {
		if (prep(s, &st, "DELETE FROM sessions WHERE hash = ?") == 0) {
			sqlite3_bind_text(st, 1, hash, 64, SQLITE_TRANSIENT);
			(void)step_changes(s, st);
		}
		r = SESSIONS_ERR_INVALID;
		goto out;
	}
	if (now_us - i.last_us >= SESSIONS_TOUCH_US) {
		if ((r = prep(s, &st, "UPDATE sessions SET last_us = ? WHERE hash = ?")) != 0)
			goto out;
		sqlite3_bind_int64(st, 1, now_us);
		sqlite3_bind_text(st, 2, hash, 64, SQLITE_TRANSIENT);
		if ((r = step_changes(s, st)) < 0)
			goto out;
		i.last_us = now_us;
	}
	*info = i;
	r = 0;
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->mu);
	return r;
}

int
sessions_step_up(struct sessions *s, const char *sid, int64_t now_us)
{
	sqlite3_stmt *st = NULL;
	int r;

	if (!is_hex(sid, 32))
		return SESSIONS_ERR_INVALID;
	pthread_mutex_lock(&s->mu);
	if ((r = prep(s, &st, "UPDATE sessions SET step_up_us = ? WHERE sid = ?")) == 0) {
		sqlite3_bind_int64(st, 1, now_us);
		sqlite3_bind_text(st, 2, sid, 32, SQLITE_TRANSIENT);
		r = step_changes(s, st);
		r = r == 1 ? 0 : r < 0 ? r : SESSIONS_ERR_INVALID;
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->mu);
	return r;
}

int
sessions_step_up_fresh(const struct sessions_info *info, int64_t now_us)
{
	return info->step_up_us > 0 && now_us >= info->step_up_us &&
	    now_us - info->step_up_us <= SESSIONS_STEP_UP_US;
}

/* Run a one-parameter-set DELETE/UPDATE under the lock; changed rows or an error. */
static int
exec_changes(struct sessions *s, const char *sql, const char *t1, const char *t2, int64_t v,
    int bind_v)
{
	sqlite3_stmt *st = NULL;
	int r, k = 1;

	pthread_mutex_lock(&s->mu);
	if ((r = prep(s, &st, sql)) == 0) {
		if (bind_v)
			sqlite3_bind_int64(st, k++, v);
		if (t1 != NULL)
			sqlite3_bind_text(st, k++, t1, -1, SQLITE_TRANSIENT);
		if (t2 != NULL)
			sqlite3_bind_text(st, k++, t2, -1, SQLITE_TRANSIENT);
		r = step_changes(s, st);
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->mu);
	return r;
}

int
sessions_revoke_token(struct sessions *s, const char *token)
{
	char hash[65];
	int r;

	if ((r = token_hash(token, hash)) != 0)
		return r;
	r = exec_changes(s, "DELETE FROM sessions WHERE hash = ?", hash, NULL, 0, 0);
	return r == 1 ? 0 : r < 0 ? r : SESSIONS_ERR_INVALID;
}

int
sessions_revoke(struct sessions *s, const char *user_id, const char *sid)
{
	int r;

	if (!is_hex(user_id, 32) || !is_hex(sid, 32))
		return SESSIONS_ERR_INVALID;
	r = exec_changes(s, "DELETE FROM sessions WHERE user_id = ? AND sid = ?", user_id, sid,
	    0, 0);
	return r == 1 ? 0 : r < 0 ? r : SESSIONS_ERR_INVALID;
}

int
sessions_revoke_user(struct sessions *s, const char *user_id)
{
	if (!is_hex(user_id, 32))
		return SESSIONS_ERR_INVAL;
	return exec_changes(s, "DELETE FROM sessions WHERE user_id = ?", user_id, NULL, 0, 0);
}

int
sessions_revoke_role(struct sessions *s, uint32_t mask)
{
	if (mask == 0)
		return SESSIONS_ERR_INVAL;
	return exec_changes(s, "DELETE FROM sessions WHERE (roles & ?) <> 0", NULL, NULL, mask, 1);
}

int
sessions_set_roles(struct sessions *s, const char *user_id, uint32_t roles)
{
	if (!is_hex(user_id, 32))
		return SESSIONS_ERR_INVAL;
	return exec_changes(s, "UPDATE sessions SET roles = ? WHERE user_id = ?", user_id, NULL,
	    roles, 1);
}

int
sessions_expire(struct sessions *s, int64_t now_us)
{
	sqlite3_stmt *st = NULL;
	int r;

	pthread_mutex_lock(&s->mu);
	if ((r = prep(s, &st, "DELETE FROM sessions WHERE last_us <= ? OR created_us <= ?")) == 0) {
		sqlite3_bind_int64(st, 1, now_us - s->idle_us);
		sqlite3_bind_int64(st, 2, now_us - s->absolute_us);
		r = step_changes(s, st);
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->mu);
	return r;
}

int
sessions_list(struct sessions *s, const char *user_id, int64_t now_us,
    struct sessions_info *out, size_t max, size_t *n)
{
	sqlite3_stmt *st = NULL;
	int r, rc;

	*n = 0;
	if (!is_hex(user_id, 32))
		return SESSIONS_ERR_INVAL;
	pthread_mutex_lock(&s->mu);
	if ((r = prep(s, &st, "SELECT " COLS " FROM sessions WHERE user_id = ? "
	    "ORDER BY created_us DESC, sid")) != 0)
		goto out;
	sqlite3_bind_text(st, 1, user_id, 32, SQLITE_TRANSIENT);
	while (*n < max && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		row_info(st, &out[*n]);
		if (live(s, &out[*n], now_us))
			(*n)++;
	}
	r = 0;
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->mu);
	return r;
}

int
sessions_cookie(const char *token, int secure, char *out, size_t outsz)
{
	int n;

	if (token == NULL || strnlen(token, SESSIONS_TOKEN_BUF) != SESSIONS_TOKEN_LEN ||
	    out == NULL)
		return SESSIONS_ERR_INVAL;
	n = snprintf(out, outsz, "%s=%s; Path=/; HttpOnly; SameSite=Strict%s",
	    secure ? SESSIONS_COOKIE_NAME : SESSIONS_COOKIE_NAME_PLAIN, token,
	    secure ? "; Secure" : "");
	return n > 0 && (size_t)n < outsz ? 0 : SESSIONS_ERR_INVAL;
}

int
sessions_cookie_clear(int secure, char *out, size_t outsz)
{
	int n = snprintf(out, outsz, "%s=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict%s",
	    secure ? SESSIONS_COOKIE_NAME : SESSIONS_COOKIE_NAME_PLAIN, secure ? "; Secure" : "");

	return n > 0 && (size_t)n < outsz ? 0 : SESSIONS_ERR_INVAL;
}

static int
b64url_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	    c == '-' || c == '_';
}

int
sessions_cookie_token(const char *header, int secure, char token[SESSIONS_TOKEN_BUF])
{
	const char *name = secure ? SESSIONS_COOKIE_NAME : SESSIONS_COOKIE_NAME_PLAIN;
	size_t nlen = strlen(name), i = 0;

	token[0] = '\0';
	if (header == NULL)
		return SESSIONS_ERR_INVALID;
	/* cookie-string = cookie-pair *( ";" SP cookie-pair ), tolerating extra blanks. */
	while (header[i] != '\0') {
		size_t start, vlen = 0;

		while (header[i] == ' ' || header[i] == '\t' || header[i] == ';')
			i++;
		start = i;
		while (header[i] != '\0' && header[i] != ';')
			i++;
		if (i - start == nlen + 1 + SESSIONS_TOKEN_LEN &&
		    memcmp(header + start, name, nlen) == 0 && header[start + nlen] == '=') {
			const char *v = header + start + nlen + 1;

			while (vlen < SESSIONS_TOKEN_LEN && b64url_char(v[vlen]))
				vlen++;
			if (vlen == SESSIONS_TOKEN_LEN) {
				memcpy(token, v, SESSIONS_TOKEN_LEN);
				token[SESSIONS_TOKEN_LEN] = '\0';
				return 0;
			}
		}
	}
	return SESSIONS_ERR_INVALID;
}
