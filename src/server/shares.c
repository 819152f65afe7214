/* shares.c - share links in SQLite: creation under the contract's limits, listing, revocation, opens checked against the stored hash of an open proof and counted, and hashed segment tokens. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include <sodium.h>
#include "common/util.h"
#include "server/shares.h"

struct shares {
	sqlite3 *db;
	pthread_mutex_t mu;
};

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS shares(id TEXT PRIMARY KEY, org TEXT NOT NULL,"
    " camera TEXT NOT NULL, stream INTEGER NOT NULL, from_us INTEGER NOT NULL,"
    " to_us INTEGER NOT NULL, expires_us INTEGER NOT NULL, max_views INTEGER NOT NULL,"
    " views INTEGER NOT NULL DEFAULT 0, created_by TEXT NOT NULL, created_us INTEGER NOT NULL,"
    " revoked INTEGER NOT NULL DEFAULT 0, manifest BLOB NOT NULL, open_proof_hash BLOB);"
    "CREATE INDEX IF NOT EXISTS shares_by_org ON shares(org, created_us);"
    /* Only hashes of tokens: a copy of this table opens nothing. */
    "CREATE TABLE IF NOT EXISTS share_tokens(share TEXT NOT NULL, hash BLOB NOT NULL,"
    " expires_us INTEGER NOT NULL, PRIMARY KEY(share, hash));"
    "CREATE INDEX IF NOT EXISTS share_tokens_exp ON share_tokens(expires_us);";

#define INFO_COLS "id, org, camera, stream, from_us, to_us, expires_us, max_views, views," \
    " created_by, created_us, revoked, open_proof_hash"

static int
prep(struct shares *s, const char *sql, sqlite3_stmt **st)
{
	if (sqlite3_prepare_v2(s->db, sql, -1, st, NULL) != SQLITE_OK) {
		log_err("shares", "op=prepare err=\"%s\"", sqlite3_errmsg(s->db));
		*st = NULL;
		return SHARES_E_IO;
	}
	return 0;
}

static int
exec_sql(struct shares *s, const char *sql)
{
	if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		log_err("shares", "op=exec err=\"%s\"", sqlite3_errmsg(s->db));
		return SHARES_E_IO;
	}
	return 0;
}

/* 1 when str is exactly n lowercase hex characters. */
static int
hex_id_ok(const char *str, size_t n)
{
	size_t i;

	if (str == NULL || strnlen(str, n + 1) != n)
		return 0;
	for (i = 0; i < n; i++)
		if (!((str[i] >= '0' && str[i] <= '9') || (str[i] >= 'a' && str[i] <= 'f')))
			return 0;
	return 1;
}

static void
col_text(sqlite3_stmt *st, int i, char *out, size_t cap)
{
	const char *v = (const char *)sqlite3_column_text(st, i);
	size_t n = v != NULL ? strlen(v) : 0;

	out[0] = '\0';
	if (v != NULL && n < cap)
		memcpy(out, v, n + 1);
}

/* The row under st's cursor (columns INFO_COLS from 0) into out. */
static void
row_info(sqlite3_stmt *st, struct shares_info *out)
{
	memset(out, 0, sizeof(*out));
	col_text(st, 0, out->id, sizeof(out->id));
	col_text(st, 1, out->org, sizeof(out->org));
	col_text(st, 2, out->camera, sizeof(out->camera));
	out->stream = (uint8_t)sqlite3_column_int(st, 3);
	out->from_us = sqlite3_column_int64(st, 4);
	out->to_us = sqlite3_column_int64(st, 5);
	out->expires_us = sqlite3_column_int64(st, 6);
	out->max_views = sqlite3_column_int64(st, 7);
	out->views = sqlite3_column_int64(st, 8);
	col_text(st, 9, out->created_by, sizeof(out->created_by));
	out->created_us = sqlite3_column_int64(st, 10);
	out->revoked = sqlite3_column_int(st, 11) != 0;
	/* NULL in rows made before open proofs (legacy); any other length is no hash either
	 * way, and such a row could only come from outside this module. */
	if (sqlite3_column_type(st, 12) == SQLITE_BLOB &&
	    sqlite3_column_bytes(st, 12) == SHARES_PROOF_LEN) {
		memcpy(out->open_proof_hash, sqlite3_column_blob(st, 12), SHARES_PROOF_LEN);
		out->has_proof = 1;
	}
}

/* Databases made before open proofs: add the column (NULL in their rows, which stay
 * legacy links). */
static int
add_proof_column(struct shares *s)
{
	sqlite3_stmt *st = NULL;
	int has;

	has = sqlite3_prepare_v2(s->db, "SELECT open_proof_hash FROM shares", -1, &st, NULL) ==
	    SQLITE_OK;
	sqlite3_finalize(st);
	if (has)
		return 0;
	log_info("shares", "op=migrate to=open_proof_hash");
	return exec_sql(s, "ALTER TABLE shares ADD COLUMN open_proof_hash BLOB");
}

int
shares_open(struct shares **out, const char *db_path)
{
	struct shares *s = NULL;
	int r = SHARES_E_IO;

	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return SHARES_E_IO;
	pthread_mutex_init(&s->mu, NULL);
	if (sqlite3_open_v2(db_path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	    SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK) {
		log_err("shares", "op=open err=\"%s\"", s->db != NULL ? sqlite3_errmsg(s->db) : "nomem");
		goto out;
	}
	sqlite3_busy_timeout(s->db, 5000);
	if (exec_sql(s, "PRAGMA journal_mode=WAL") != 0 ||
	    exec_sql(s, "PRAGMA synchronous=FULL") != 0 ||
	    /* Freed pages (a wiped manifest, deleted token hashes) are overwritten. */
	    exec_sql(s, "PRAGMA secure_delete=ON") != 0 || exec_sql(s, schema) != 0 ||
	    add_proof_column(s) != 0)
		goto out;
	*out = s;
	s = NULL;
	r = 0;
out:
	shares_close(s);
	return r;
}

void
shares_close(struct shares *s)
{
	if (s == NULL)
		return;
	sqlite3_close(s->db);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

int
shares_stream_parse(const char *name)
{
	if (name == NULL)
		return -1;
	if (strcmp(name, "main") == 0)
		return 0;
	if (strcmp(name, "sub") == 0)
		return 1;
	return -1;
}

const char *
shares_stream_name(uint8_t stream)
{
	return stream == 0 ? "main" : stream == 1 ? "sub" : NULL;
}

int
shares_check_new(const struct shares_new *n, int64_t now)
{
	if (n == NULL || !hex_id_ok(n->org, 64) || !hex_id_ok(n->camera, 32) ||
	    !hex_id_ok(n->created_by, 32) || shares_stream_name(n->stream) == NULL)
		return SHARES_E_INVAL;
	/* Written so that no subtraction can overflow on hostile values. */
	if (n->from_us < 0 || n->to_us <= n->from_us || n->to_us - n->from_us > SHARES_RANGE_MAX_US)
		return SHARES_E_INVAL;
	if (now < 0 || n->expires_us <= now || n->expires_us - now > SHARES_EXPIRY_MAX_US)
		return SHARES_E_INVAL;
	if (n->max_views < 1 || n->max_views > SHARES_VIEWS_MAX)
		return SHARES_E_INVAL;
	if (n->manifest == NULL || n->manifest_len == 0 || n->manifest_len > SHARES_MANIFEST_MAX)
		return SHARES_E_INVAL;
	if (n->open_proof_hash == NULL)
		return SHARES_E_INVAL;
	return 0;
}

/* Delete the sealed manifests of org's shares that ended by now (revoked, expired, used
 * up): nothing can open them any more. Lock held, inside a transaction. */
static int
wipe_ended(struct shares *s, const char *org, int64_t now)
{
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = prep(s, "UPDATE shares SET manifest = X'' WHERE org = ? AND length(manifest) > 0"
	    " AND (revoked != 0 OR expires_us <= ? OR views >= max_views)", &st)) != 0)
		return r;
	sqlite3_bind_text(st, 1, org, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, now);
	if (sqlite3_step(st) != SQLITE_DONE) {
		log_err("shares", "op=wipe err=\"%s\"", sqlite3_errmsg(s->db));
		r = SHARES_E_IO;
	}
	sqlite3_finalize(st);
	return r;
}

/* How many of org's shares are live at now into *n. Lock held. */
/* Live (unrevoked, unexpired, not used up) shares of org at now, and of those the ones
 * creator made. */
static int
live_count(struct shares *s, const char *org, const char *creator, int64_t now, int64_t *n,
    int64_t *mine)
{
	sqlite3_stmt *st = NULL;
	int r;

	*n = *mine = 0;
	if ((r = prep(s, "SELECT count(*), COALESCE(SUM(CASE WHEN created_by = ? THEN 1 ELSE 0"
	    " END), 0) FROM shares WHERE org = ? AND revoked = 0 AND expires_us > ?"
	    " AND views < max_views", &st)) != 0)
		return r;
	sqlite3_bind_text(st, 1, creator, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, org, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, now);
	if (sqlite3_step(st) == SQLITE_ROW) {
		*n = sqlite3_column_int64(st, 0);
		*mine = sqlite3_column_int64(st, 1);
	} else {
		r = SHARES_E_IO;
	}
	sqlite3_finalize(st);
	return r;
}

int
shares_create(struct shares *s, const struct shares_new *n, int64_t now,
    char id_out[SHARES_ID_BUF])
{
	static const char sql[] = "INSERT INTO shares(id, org, camera, stream, from_us, to_us,"
	    " expires_us, max_views, created_by, created_us, manifest, open_proof_hash)"
	    " VALUES(?,?,?,?,?,?,?,?,?,?,?,?)";
	uint8_t raw[SHARES_ID_LEN];
	char id[SHARES_ID_BUF];
	sqlite3_stmt *st = NULL;
	int64_t live = 0, mine = 0;
	int r, in_tx = 0;

	id_out[0] = '\0';
	if ((r = shares_check_new(n, now)) != 0)
		return r;
	randombytes_buf(raw, sizeof(raw));
	hex_encode(raw, sizeof(raw), id);
	pthread_mutex_lock(&s->mu);
	if ((r = exec_sql(s, "BEGIN IMMEDIATE")) != 0)
		goto out;
	in_tx = 1;
	if ((r = wipe_ended(s, n->org, now)) != 0 ||
	    (r = live_count(s, n->org, n->created_by, now, &live, &mine)) != 0)
		goto out;
	if (live >= SHARES_LIVE_MAX || mine >= SHARES_LIVE_PER_MEMBER) {
		r = live >= SHARES_LIVE_MAX ? SHARES_E_LIMIT : SHARES_E_MEMBER_LIMIT;
		goto out;
	}
	if ((r = prep(s, sql, &st)) != 0)
		goto out;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, n->org, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, n->camera, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 4, n->stream);
	sqlite3_bind_int64(st, 5, n->from_us);
	sqlite3_bind_int64(st, 6, n->to_us);
	sqlite3_bind_int64(st, 7, n->expires_us);
	sqlite3_bind_int64(st, 8, n->max_views);
	sqlite3_bind_text(st, 9, n->created_by, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 10, now);
	sqlite3_bind_blob(st, 11, n->manifest, (int)n->manifest_len, SQLITE_TRANSIENT);
	sqlite3_bind_blob(st, 12, n->open_proof_hash, SHARES_PROOF_LEN, SQLITE_TRANSIENT);
	if (sqlite3_step(st) != SQLITE_DONE) {
		log_err("shares", "op=create err=\"%s\"", sqlite3_errmsg(s->db));
		r = SHARES_E_IO;
		goto out;
	}
	if ((r = exec_sql(s, "COMMIT")) != 0)
		goto out;
	memcpy(id_out, id, sizeof(id));
out:
	sqlite3_finalize(st);
	if (r != 0 && in_tx)
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	pthread_mutex_unlock(&s->mu);
	return r;
}

/* shares_get with s->mu held. */
static int
get_locked(struct shares *s, const char *id, struct shares_info *out)
{
	sqlite3_stmt *st = NULL;
	int r, rc;

	memset(out, 0, sizeof(*out));
	if (!hex_id_ok(id, 2 * SHARES_ID_LEN))
		return SHARES_E_NOTFOUND;
	if ((r = prep(s, "SELECT " INFO_COLS " FROM shares WHERE id = ?", &st)) != 0)
		return r;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		row_info(st, out);
		r = 0;
	} else {
		r = rc == SQLITE_DONE ? SHARES_E_NOTFOUND : SHARES_E_IO;
	}
	sqlite3_finalize(st);
	return r;
}

int
shares_get(struct shares *s, const char *id, struct shares_info *out)
{
	int r;

	pthread_mutex_lock(&s->mu);
	r = get_locked(s, id, out);
	pthread_mutex_unlock(&s->mu);
	return r;
}

json_t *
shares_list_json(struct shares *s, const char *org, int64_t now)
{
	struct shares_info i;
	sqlite3_stmt *st = NULL;
	json_t *arr = NULL, *res = NULL;
	int rc;

	if (!hex_id_ok(org, 64) || (arr = json_array()) == NULL)
		return NULL;
	pthread_mutex_lock(&s->mu);
	if (prep(s, "SELECT " INFO_COLS " FROM shares WHERE org = ?"
	    " ORDER BY (revoked = 0 AND expires_us > ? AND views < max_views) DESC,"
	    " created_us DESC, rowid DESC LIMIT ?", &st) != 0)
		goto out;
	sqlite3_bind_text(st, 1, org, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_int(st, 3, SHARES_LIST_MAX);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		row_info(st, &i);
		if (json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:s,s:I,s:b}",
		    "id", i.id, "camera", i.camera, "stream", shares_stream_name(i.stream) != NULL ?
		    shares_stream_name(i.stream) : "main", "from_us", (json_int_t)i.from_us,
		    "to_us", (json_int_t)i.to_us, "expires_us", (json_int_t)i.expires_us,
		    "max_views", (json_int_t)i.max_views, "views", (json_int_t)i.views,
		    "created_by", i.created_by, "created_us", (json_int_t)i.created_us,
		    "revoked", i.revoked)) != 0)
			goto out;
	}
	if (rc != SQLITE_DONE)
		goto out;
	res = arr;
	arr = NULL;
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->mu);
	json_decref(arr);
	return res;
}

int
shares_revoke(struct shares *s, const char *org, const char *id, const char *creator,
    int64_t now)
{
	struct shares_info i;
	sqlite3_stmt *st = NULL;
	int r, in_tx = 0;

	(void)now;
	pthread_mutex_lock(&s->mu);
	if ((r = exec_sql(s, "BEGIN IMMEDIATE")) != 0)
		goto out;
	in_tx = 1;
	if ((r = get_locked(s, id, &i)) != 0)
		goto out;
	if (org == NULL || strcmp(i.org, org) != 0 ||
	    (creator != NULL && strcmp(i.created_by, creator) != 0)) {
		r = SHARES_E_NOTFOUND;   /* foreign, or another member's share: like a missing one */
		goto out;
	}
	if ((r = prep(s, "UPDATE shares SET revoked = 1, manifest = X'' WHERE id = ?", &st)) != 0)
		goto out;
	sqlite3_bind_text(st, 1, i.id, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) != SQLITE_DONE) {
		r = SHARES_E_IO;
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	if ((r = prep(s, "DELETE FROM share_tokens WHERE share = ?", &st)) != 0)
		goto out;
	sqlite3_bind_text(st, 1, i.id, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) != SQLITE_DONE) {
		r = SHARES_E_IO;
		goto out;
	}
	r = exec_sql(s, "COMMIT");
out:
	sqlite3_finalize(st);
	if (r != 0 && in_tx)
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	pthread_mutex_unlock(&s->mu);
	return r;
}

int
shares_revoke_camera(struct shares *s, const char *org, const char *camera)
{
	static const char *const sql[] = {
		"DELETE FROM share_tokens WHERE share IN (SELECT id FROM shares WHERE org = ?1 AND "
		    "camera = ?2)",
		"UPDATE shares SET revoked = 1, manifest = X'' WHERE org = ?1 AND camera = ?2 AND "
		    "revoked = 0",
	};
	sqlite3_stmt *st = NULL;
	size_t i;
	int r, n = 0;

	pthread_mutex_lock(&s->mu);
	if ((r = exec_sql(s, "BEGIN IMMEDIATE")) != 0)
		goto out;
	for (i = 0; i < sizeof(sql) / sizeof(sql[0]); i++) {
		if ((r = prep(s, sql[i], &st)) != 0)
			goto rollback;
		sqlite3_bind_text(st, 1, org, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 2, camera, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(st) != SQLITE_DONE) {
			r = SHARES_E_IO;
			goto rollback;
		}
		n = sqlite3_changes(s->db);
		sqlite3_finalize(st);
		st = NULL;
	}
	if ((r = exec_sql(s, "COMMIT")) == 0)
		goto out;
rollback:
	sqlite3_finalize(st);
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
out:
	pthread_mutex_unlock(&s->mu);
	return r == 0 ? n : r;
}

int
shares_state(const struct shares_info *i, int64_t now)
{
	if (i->revoked)
		return SHARES_E_REVOKED;
	if (now >= i->expires_us)
		return SHARES_E_EXPIRED;
	if (i->views >= i->max_views)
		return SHARES_E_EXHAUSTED;
	return 0;
}

int
shares_proof_check(const struct shares_info *i, const uint8_t *proof)
{
	uint8_t h[SHARES_PROOF_LEN];
	int r;

	if (!i->has_proof)
		return 0;
	if (proof == NULL)
		return SHARES_E_PROOF;
	crypto_generichash(h, sizeof(h), proof, SHARES_PROOF_LEN, NULL, 0);
	r = sodium_memcmp(h, i->open_proof_hash, sizeof(h)) == 0 ? 0 : SHARES_E_PROOF;
	sodium_memzero(h, sizeof(h));
	return r;
}

static int
step_done(struct shares *s, sqlite3_stmt *st)
{
	if (sqlite3_step(st) != SQLITE_DONE) {
		log_err("shares", "op=step err=\"%s\"", sqlite3_errmsg(s->db));
		return SHARES_E_IO;
	}
	return 0;
}

int
shares_open_view(struct shares *s, const char *id, const uint8_t *proof, int64_t now,
    struct shares_info *info, uint8_t token[SHARES_TOKEN_LEN], int64_t *token_exp,
    uint8_t **manifest, size_t *manifest_len)
{
	uint8_t hash[crypto_generichash_BYTES];
	sqlite3_stmt *st = NULL;
	const void *blob;
	uint8_t *m = NULL;
	int64_t exp;
	int r, n, in_tx = 0;

	*manifest = NULL;
	*manifest_len = 0;
	*token_exp = 0;
	memset(info, 0, sizeof(*info));
	randombytes_buf(token, SHARES_TOKEN_LEN);
	pthread_mutex_lock(&s->mu);
	if ((r = exec_sql(s, "BEGIN IMMEDIATE")) != 0)
		goto out;
	in_tx = 1;
	/* The proof first: without it, a revoked, expired or used-up link answers like a live
	 * one, so the id alone tells nothing of the link's state. */
	if ((r = get_locked(s, id, info)) != 0 || (r = shares_proof_check(info, proof)) != 0 ||
	    (r = shares_state(info, now)) != 0)
		goto out;
	/* Tokens of shares that ended are dead weight: drop them while we hold the lock. */
	if ((r = prep(s, "DELETE FROM share_tokens WHERE expires_us <= ?", &st)) != 0)
		goto out;
	sqlite3_bind_int64(st, 1, now);
	if ((r = step_done(s, st)) != 0)
		goto out;
	sqlite3_finalize(st);
	st = NULL;
	if ((r = prep(s, "UPDATE shares SET views = views + 1 WHERE id = ?", &st)) != 0)
		goto out;
	sqlite3_bind_text(st, 1, info->id, -1, SQLITE_TRANSIENT);
	if ((r = step_done(s, st)) != 0)
		goto out;
	sqlite3_finalize(st);
	st = NULL;
	exp = info->expires_us - now < SHARES_TOKEN_TTL_US ? info->expires_us :
	    now + SHARES_TOKEN_TTL_US;
	crypto_generichash(hash, sizeof(hash), token, SHARES_TOKEN_LEN, NULL, 0);
	if ((r = prep(s, "INSERT INTO share_tokens(share, hash, expires_us) VALUES(?,?,?)",
	    &st)) != 0)
		goto out;
	sqlite3_bind_text(st, 1, info->id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_blob(st, 2, hash, (int)sizeof(hash), SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, exp);
	if ((r = step_done(s, st)) != 0)
		goto out;
	sqlite3_finalize(st);
	st = NULL;
	if ((r = prep(s, "SELECT manifest FROM shares WHERE id = ?", &st)) != 0)
		goto out;
	sqlite3_bind_text(st, 1, info->id, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) != SQLITE_ROW || (blob = sqlite3_column_blob(st, 0)) == NULL ||
	    (n = sqlite3_column_bytes(st, 0)) <= 0 || (m = malloc((size_t)n)) == NULL) {
		r = SHARES_E_IO;
		goto out;
	}
	memcpy(m, blob, (size_t)n);
	sqlite3_finalize(st);
	st = NULL;
	if ((r = exec_sql(s, "COMMIT")) != 0)
		goto out;
	info->views++;
	*manifest = m;
	*manifest_len = (size_t)n;
	*token_exp = exp;
	m = NULL;
out:
	sqlite3_finalize(st);
	if (r != 0 && in_tx)
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	pthread_mutex_unlock(&s->mu);
	free(m);
	sodium_memzero(hash, sizeof(hash));
	if (r != 0)
		sodium_memzero(token, SHARES_TOKEN_LEN);
	if (r == SHARES_E_PROOF)
		memset(info, 0, sizeof(*info));    /* a caller without the proof learns nothing */
	return r;
}

int
shares_token_check(struct shares *s, const char *id, const uint8_t token[SHARES_TOKEN_LEN],
    int64_t now, struct shares_info *info)
{
	uint8_t hash[crypto_generichash_BYTES];
	sqlite3_stmt *st = NULL;
	const void *stored;
	int r, rc;

	crypto_generichash(hash, sizeof(hash), token, SHARES_TOKEN_LEN, NULL, 0);
	pthread_mutex_lock(&s->mu);
	if ((r = get_locked(s, id, info)) != 0)
		goto out;
	/* Expiry and revocation are checked on every request, not only at open. */
	if (info->revoked || now >= info->expires_us) {
		r = SHARES_E_NOTFOUND;
		goto out;
	}
	if ((r = prep(s, "SELECT hash FROM share_tokens WHERE share = ? AND hash = ?"
	    " AND expires_us > ?", &st)) != 0)
		goto out;
	sqlite3_bind_text(st, 1, info->id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_blob(st, 2, hash, (int)sizeof(hash), SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, now);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		stored = sqlite3_column_blob(st, 0);
		r = stored != NULL && sqlite3_column_bytes(st, 0) == (int)sizeof(hash) &&
		    sodium_memcmp(stored, hash, sizeof(hash)) == 0 ? 0 : SHARES_E_NOTFOUND;
	} else {
		r = rc == SQLITE_DONE ? SHARES_E_NOTFOUND : SHARES_E_IO;
	}
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->mu);
	sodium_memzero(hash, sizeof(hash));
	if (r != 0)
		memset(info, 0, sizeof(*info));
	return r;
}
