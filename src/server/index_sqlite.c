/* index_sqlite.c - the metadata index on SQLite (WAL, synchronous=FULL) with portable SQL. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include "common/util.h"
#include "server/index.h"
#include "server/index_int.h"

/*
 * Links are most of the index (43,200 a camera-day at 2 s segments), so a link row holds
 * only integers: the camera is a small key from camera_keys (the 32-hex id is stored once),
 * and the table is clustered on its primary key (WITHOUT ROWID here; a primary key, which
 * PostgreSQL clusters on with CLUSTER, there). links_time finds a time in a stream,
 * links_blob serves retention's orphan check and the blobs foreign key, links_end the
 * quota's oldest-first walk. docs/design/storage.md has the sizes.
 */
static const char *const schema[] = {
	"CREATE TABLE IF NOT EXISTS gateways (id VARCHAR(64) PRIMARY KEY, created_us BIGINT NOT NULL)",
	"CREATE TABLE IF NOT EXISTS cameras (id VARCHAR(32) PRIMARY KEY, "
	    "gateway VARCHAR(64) NOT NULL REFERENCES gateways(id), max_age_s BIGINT)",
	"CREATE TABLE IF NOT EXISTS camera_keys (key INTEGER PRIMARY KEY, id VARCHAR(32) NOT NULL UNIQUE)",
	"CREATE TABLE IF NOT EXISTS blobs (id INTEGER PRIMARY KEY, camera VARCHAR(32) NOT NULL, "
	    "stream INTEGER NOT NULL, created_us BIGINT NOT NULL, sealed INTEGER NOT NULL DEFAULT 0, "
	    "size BIGINT NOT NULL DEFAULT 0)",
	"CREATE TABLE IF NOT EXISTS links (cam INTEGER NOT NULL, stream INTEGER NOT NULL, "
	    "seq BIGINT NOT NULL, last_seq BIGINT NOT NULL, kind INTEGER NOT NULL, "
	    "start_us BIGINT NOT NULL, end_us BIGINT NOT NULL, blob BIGINT NOT NULL REFERENCES blobs(id), "
	    "off BIGINT NOT NULL, length BIGINT NOT NULL, PRIMARY KEY (cam, stream, seq)) WITHOUT ROWID",
	"CREATE INDEX IF NOT EXISTS links_time ON links (cam, stream, end_us)",
	"CREATE INDEX IF NOT EXISTS links_blob ON links (blob)",
	"CREATE INDEX IF NOT EXISTS links_end ON links (end_us)",
	/* Removed cameras whose links are still being deleted, a batch at a time (index_quota.c). */
	"CREATE TABLE IF NOT EXISTS camera_purge (key INTEGER PRIMARY KEY)",
};

/* The first schema's links (hex camera in every row) moved to camera keys in one transaction:
 * a crash before COMMIT leaves the old tables as they were, and the next open starts over. */
static const char *const migrate_links[] = {
	"CREATE TABLE IF NOT EXISTS camera_keys (key INTEGER PRIMARY KEY, id VARCHAR(32) NOT NULL UNIQUE)",
	"INSERT INTO camera_keys (id) SELECT DISTINCT camera FROM links WHERE camera NOT IN "
	    "(SELECT id FROM camera_keys) ORDER BY camera",
	"CREATE TABLE links_v2 (cam INTEGER NOT NULL, stream INTEGER NOT NULL, "
	    "seq BIGINT NOT NULL, last_seq BIGINT NOT NULL, kind INTEGER NOT NULL, "
	    "start_us BIGINT NOT NULL, end_us BIGINT NOT NULL, blob BIGINT NOT NULL REFERENCES blobs(id), "
	    "off BIGINT NOT NULL, length BIGINT NOT NULL, PRIMARY KEY (cam, stream, seq)) WITHOUT ROWID",
	"INSERT INTO links_v2 (cam, stream, seq, last_seq, kind, start_us, end_us, blob, off, length) "
	    "SELECT k.key, l.stream, l.seq, l.last_seq, l.kind, l.start_us, l.end_us, l.blob, l.off, "
	    "l.length FROM links l JOIN camera_keys k ON k.id = l.camera ORDER BY k.key, l.stream, l.seq",
	"DROP TABLE links",
	"ALTER TABLE links_v2 RENAME TO links",
};

/* The cached statements of index_sqlite.c (ix->link_st). */
enum { LS_KEY, LS_KEY_ADD, LS_INSERT, LS_EXISTS, LS_GET, LS_FIRST_END, LS_RANGE, LS_MAX_SEQ,
	LS_CLAIMED };
#define LINK_COLS "seq, last_seq, kind, start_us, end_us, blob, off, length"
static const char *const link_sql[INDEX_LINK_STMTS] = {
	[LS_KEY] = "SELECT key FROM camera_keys WHERE id = ?",
	[LS_KEY_ADD] = "INSERT INTO camera_keys (id) VALUES (?) RETURNING key",
	/* ON CONFLICT DO NOTHING (SQLite 3.24+, PostgreSQL 9.5+) keeps a duplicate from
	 * aborting the other rows of the transaction. */
	[LS_INSERT] = "INSERT INTO links (cam, stream, seq, last_seq, kind, start_us, end_us, blob, "
	    "off, length) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (cam, stream, seq) DO NOTHING",
	[LS_EXISTS] = "SELECT 1 FROM links WHERE cam = ? AND stream = ? AND seq = ?",
	[LS_GET] = "SELECT " LINK_COLS " FROM links WHERE cam = ? AND stream = ? AND seq = ?",
	[LS_FIRST_END] = "SELECT seq FROM links WHERE cam = ? AND stream = ? AND end_us >= ? "
	    "ORDER BY end_us, seq LIMIT 1",
	/* A listing reads no storage location (blob, off): two columns fewer on every row of
	 * a day's 43,200, about a quarter of the listing's time (docs/benchmarks.md). */
	[LS_RANGE] = "SELECT seq, last_seq, kind, start_us, end_us, length FROM links WHERE cam = ? "
	    "AND stream = ? AND seq >= ? AND seq <= ? ORDER BY seq",
	/* The head of the stream by primary key, one seek: links never overlap, so the link
	 * with the highest seq has the highest last_seq (MAX(last_seq) read the whole stream). */
	[LS_MAX_SEQ] = "SELECT last_seq FROM links WHERE cam = ? AND stream = ? ORDER BY seq DESC "
	    "LIMIT 1",
	/* Still bound to a gateway: a removed camera's rows are gone (index_camera_remove). */
	[LS_CLAIMED] = "SELECT 1 FROM cameras WHERE id = ?",
};

static int
exec_sql(sqlite3 *db, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
		log_err("index", "op=exec err=\"%s\"", err != NULL ? err : "?");
		sqlite3_free(err);
		return INDEX_E_IO;
	}
	return 0;
}

int
index_prep(struct index *ix, sqlite3_stmt **st, const char *sql)
{
	if (sqlite3_prepare_v2(ix->db, sql, -1, st, NULL) != SQLITE_OK) {
		log_err("index", "op=prepare err=\"%s\"", sqlite3_errmsg(ix->db));
		*st = NULL;
		return INDEX_E_IO;
	}
	return 0;
}

static void
bind_hex(sqlite3_stmt *st, int i, const uint8_t *p, size_t n)
{
	char hex[2 * GATEWAY_ID_LEN + 1];

	hex_encode(p, n, hex);
	sqlite3_bind_text(st, i, hex, (int)(2 * n), SQLITE_TRANSIENT);
}

int
index_col_hex(sqlite3_stmt *st, int i, uint8_t *out, size_t n)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	if (t == NULL || (size_t)sqlite3_column_bytes(st, i) != 2 * n)
		return -1;
	return hex_decode((const char *)t, out, n);
}

int
index_exec(struct index *ix, const char *sql)
{
	return exec_sql(ix->db, sql);
}

/* 1 when sql prepares (the tables and columns it names exist), 0 when not. */
static int
sql_valid(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int ok = sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK;

	sqlite3_finalize(st);
	return ok;
}

/* Move an index of the first schema (links keyed by hex camera ids) to camera keys, in one
 * transaction. 0 (migrated, or nothing to do) or INDEX_E_IO with the old tables untouched. */
static int
migrate_locked(struct index *ix, const char *path)
{
	size_t i;
	int r;

	if (!sql_valid(ix->db, "SELECT camera FROM links"))
		return 0;
	log_info("index", "op=migrate path=%s from=hex_links to=camera_keys", path);
	if ((r = exec_sql(ix->db, "BEGIN IMMEDIATE")) != 0)
		return r;
	for (i = 0; i < sizeof(migrate_links) / sizeof(migrate_links[0]); i++)
		if ((r = exec_sql(ix->db, migrate_links[i])) != 0)
			goto rollback;
	if ((r = index_spans_migrate_locked(ix)) != 0)
		goto rollback;
	if ((r = exec_sql(ix->db, "COMMIT")) == 0) {
		log_info("index", "op=migrate path=%s result=done", path);
		return 0;
	}
rollback:
	exec_sql(ix->db, "ROLLBACK");
	log_err("index", "op=migrate path=%s result=failed hint=\"the index is unchanged; free disk "
	    "space or restore the data directory's index.db, then start again\"", path);
	return INDEX_E_IO;
}

int
index_open(struct index **ixp, const char *path)
{
	struct index *ix = NULL;
	size_t i;
	int r = INDEX_E_IO, had_totals, had_blobs;

	*ixp = NULL;
	if ((ix = calloc(1, sizeof(*ix))) == NULL)
		return INDEX_E_IO;
	pthread_mutex_init(&ix->mu, NULL);
	ix->delete_batch = INDEX_DELETE_BATCH;
	/* No SQLite mutex: every use of the connection after index_open holds ix->mu, and
	 * SQLite's own lock on every sqlite3_column_* call was a fifth of a day's listing. */
	if (sqlite3_open_v2(path, &ix->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		log_err("index", "op=open path=%s err=\"%s\"", path,
		    ix->db != NULL ? sqlite3_errmsg(ix->db) : "nomem");
		goto out;
	}
	sqlite3_busy_timeout(ix->db, 5000);
	if (exec_sql(ix->db, "PRAGMA journal_mode=WAL") != 0 ||
	    exec_sql(ix->db, "PRAGMA synchronous=FULL") != 0 ||
	    exec_sql(ix->db, "PRAGMA cache_size=-32768") != 0 ||
	    exec_sql(ix->db, "PRAGMA mmap_size=4294967296") != 0)
		goto out;
	/* Before foreign keys are enforced: the copy keeps rows exactly as they were. */
	if (migrate_locked(ix, path) != 0)
		goto out;
	if (exec_sql(ix->db, "PRAGMA foreign_keys=ON") != 0)
		goto out;
	had_totals = index_totals_exist(ix);
	had_blobs = index_blobs_exist(ix);
	for (i = 0; i < sizeof(schema) / sizeof(schema[0]); i++)
		if (exec_sql(ix->db, schema[i]) != 0)
			goto out;
	if (exec_sql(ix->db, index_totals_schema) != 0 || (!had_totals && index_totals_fill(ix) != 0))
		goto out;
	if (exec_sql(ix->db, index_blobs_schema) != 0 || (!had_blobs && index_blobs_fill(ix) != 0))
		goto out;
	for (i = 0; i < index_spans_schema_len; i++)
		if (exec_sql(ix->db, index_spans_schema[i]) != 0)
			goto out;
	if (index_spans_add_kind_locked(ix) != 0 || index_spans_rebuild_locked(ix) != 0)
		goto out;
	*ixp = ix;
	ix = NULL;
	r = 0;
out:
	index_close(ix);
	return r;
}

void
index_set_delete_batch(struct index *ix, int n)
{
	pthread_mutex_lock(&ix->mu);
	ix->delete_batch = n > 0 ? n : INDEX_DELETE_BATCH;
	pthread_mutex_unlock(&ix->mu);
}

void
index_close(struct index *ix)
{
	int i;

	if (ix == NULL)
		return;
	index_spans_close(ix);
	for (i = 0; i < INDEX_LINK_STMTS; i++)
		sqlite3_finalize(ix->link_st[i]);
	sqlite3_finalize(ix->totals_add);
	sqlite3_close(ix->db);
	pthread_mutex_destroy(&ix->mu);
	free(ix);
}

/* A cached statement, reset and unbound; NULL when it cannot be prepared. The caller holds
 * the lock and resets it when done stepping. */
static sqlite3_stmt *
lstmt(struct index *ix, int which)
{
	sqlite3_stmt *st = ix->link_st[which];

	if (st == NULL) {
		if (sqlite3_prepare_v3(ix->db, link_sql[which], -1, SQLITE_PREPARE_PERSISTENT, &st,
		    NULL) != SQLITE_OK) {
			log_err("index", "op=prepare err=\"%s\"", sqlite3_errmsg(ix->db));
			return NULL;
		}
		ix->link_st[which] = st;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return st;
}

static void
key_remember(struct index *ix, const uint8_t cam[CAMERA_ID_LEN], int64_t key)
{
	unsigned i = ix->keys_next++ % INDEX_KEY_CACHE;

	memcpy(ix->keys[i].id, cam, CAMERA_ID_LEN);
	ix->keys[i].key = key;
	ix->keys[i].used = 1;
}

void
index_key_forget_locked(struct index *ix, const uint8_t cam[CAMERA_ID_LEN])
{
	int i;

	for (i = 0; i < INDEX_KEY_CACHE; i++)
		if (ix->keys[i].used && memcmp(ix->keys[i].id, cam, CAMERA_ID_LEN) == 0)
			ix->keys[i].used = 0;
}

int
index_camera_key_locked(struct index *ix, const uint8_t cam[CAMERA_ID_LEN], int create, int64_t *key)
{
	sqlite3_stmt *st;
	int i, rc, r;

	for (i = 0; i < INDEX_KEY_CACHE; i++)
		if (ix->keys[i].used && memcmp(ix->keys[i].id, cam, CAMERA_ID_LEN) == 0) {
			*key = ix->keys[i].key;
			return 1;
		}
	if ((st = lstmt(ix, LS_KEY)) == NULL)
		return INDEX_E_IO;
	bind_hex(st, 1, cam, CAMERA_ID_LEN);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*key = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW) {
		/* Remember only outside a transaction that might still roll the row back. */
		if (sqlite3_get_autocommit(ix->db))
			key_remember(ix, cam, *key);
		return 1;
	}
	if (rc != SQLITE_DONE)
		return INDEX_E_IO;
	if (!create)
		return 0;
	if ((st = lstmt(ix, LS_KEY_ADD)) == NULL)
		return INDEX_E_IO;
	bind_hex(st, 1, cam, CAMERA_ID_LEN);
	rc = sqlite3_step(st);
	r = rc == SQLITE_ROW ? 1 : INDEX_E_IO;
	if (rc == SQLITE_ROW)
		*key = sqlite3_column_int64(st, 0);
	else
		log_err("index", "op=camera_key err=\"%s\"", sqlite3_errmsg(ix->db));
	sqlite3_reset(st);
	if (r == 1 && sqlite3_get_autocommit(ix->db))
		key_remember(ix, cam, *key);
	return r;
}

int
index_step_done(struct index *ix, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_DONE)
		return 0;
	if (rc == SQLITE_CONSTRAINT)
		return INDEX_E_DUP;
	log_err("index", "op=step err=\"%s\"", sqlite3_errmsg(ix->db));
	return INDEX_E_IO;
}

int
index_gateway_add(struct index *ix, const uint8_t gw[GATEWAY_ID_LEN])
{
	sqlite3_stmt *st = NULL;
	int r;

	pthread_mutex_lock(&ix->mu);
	if ((r = index_prep(ix, &st, "INSERT INTO gateways (id, created_us) VALUES (?, ?)")) != 0)
		goto out;
	bind_hex(st, 1, gw, GATEWAY_ID_LEN);
	sqlite3_bind_int64(st, 2, now_us());
	r = index_step_done(ix, st);
	if (r == 0)
		r = 1;
	else if (r == INDEX_E_DUP)
		r = 0;
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&ix->mu);
	return r;
}

int
index_gateway_exists(struct index *ix, const uint8_t gw[GATEWAY_ID_LEN])
{
	sqlite3_stmt *st = NULL;
	int r, rc;

	pthread_mutex_lock(&ix->mu);
	if ((r = index_prep(ix, &st, "SELECT 1 FROM gateways WHERE id = ?")) != 0)
		goto out;
	bind_hex(st, 1, gw, GATEWAY_ID_LEN);
	rc = sqlite3_step(st);
	r = rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : INDEX_E_IO;
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&ix->mu);
	return r;
}

int
index_camera_claim(struct index *ix, const uint8_t cam[CAMERA_ID_LEN], const uint8_t gw[GATEWAY_ID_LEN])
{
	sqlite3_stmt *st = NULL;
	uint8_t owner[GATEWAY_ID_LEN];
	int r, rc;

	pthread_mutex_lock(&ix->mu);
	if ((r = index_prep(ix, &st, "SELECT gateway FROM cameras WHERE id = ?")) != 0)
		goto out;
	bind_hex(st, 1, cam, CAMERA_ID_LEN);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if (index_col_hex(st, 0, owner, GATEWAY_ID_LEN) != 0)
			r = INDEX_E_IO;
		else
			r = memcmp(owner, gw, GATEWAY_ID_LEN) == 0 ? 0 : INDEX_E_OWNER;
		goto out;
	}
	if (rc != SQLITE_DONE) {
		r = INDEX_E_IO;
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	if ((r = index_prep(ix, &st, "INSERT INTO cameras (id, gateway) VALUES (?, ?)")) != 0)
		goto out;
	bind_hex(st, 1, cam, CAMERA_ID_LEN);
	bind_hex(st, 2, gw, GATEWAY_ID_LEN);
	r = index_step_done(ix, st);
	if (r == INDEX_E_DUP)
		r = INDEX_E_IO;
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&ix->mu);
	return r;
}

int
index_camera_set_retention(struct index *ix, const uint8_t cam[CAMERA_ID_LEN], int64_t max_age_s)
{
	sqlite3_stmt *st = NULL;
	int r;

	pthread_mutex_lock(&ix->mu);
	if ((r = index_prep(ix, &st, "UPDATE cameras SET max_age_s = ? WHERE id = ?")) != 0)
		goto out;
	sqlite3_bind_int64(st, 1, max_age_s);
	bind_hex(st, 2, cam, CAMERA_ID_LEN);
	if ((r = index_step_done(ix, st)) != 0)
		goto out;
	if (sqlite3_changes(ix->db) == 0)
		r = INDEX_E_NOTFOUND;
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&ix->mu);
	return r;
}

int
index_blob_new(struct index *ix, const uint8_t cam[CAMERA_ID_LEN], uint8_t stream, int64_t created_us,
    int64_t *id)
{
	sqlite3_stmt *st = NULL;
	int r;

	pthread_mutex_lock(&ix->mu);
	if ((r = index_prep(ix, &st, "INSERT INTO blobs (camera, stream, created_us, sealed, size) "
	    "VALUES (?, ?, ?, 0, 0) RETURNING id")) != 0)
		goto out;
	bind_hex(st, 1, cam, CAMERA_ID_LEN);
	sqlite3_bind_int(st, 2, stream);
	sqlite3_bind_int64(st, 3, created_us);
	if (sqlite3_step(st) != SQLITE_ROW) {
		log_err("index", "op=blob_new err=\"%s\"", sqlite3_errmsg(ix->db));
		r = INDEX_E_IO;
		goto out;
	}
	*id = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	st = NULL;
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&ix->mu);
	return r;
}

/* Whether a gateway claims the camera (a row in cameras): 1, 0 or INDEX_E_IO. The caller
 * holds the lock. */
static int
camera_claimed_locked(struct index *ix, const uint8_t cam[CAMERA_ID_LEN])
{
	sqlite3_stmt *st;
	int rc;

	if ((st = lstmt(ix, LS_CLAIMED)) == NULL)
		return INDEX_E_IO;
	bind_hex(st, 1, cam, CAMERA_ID_LEN);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : INDEX_E_IO;
}

/* A key for a camera that has none yet, only when a gateway claims it (one removed while its
 * links were in flight gets none). A camera with a key, the usual case and cached, costs no
 * query. 0 or INDEX_E_IO. The caller holds the lock, outside a transaction. */
static int
key_for_claimed_locked(struct index *ix, const uint8_t cam[CAMERA_ID_LEN])
{
	int64_t key;
	int r;

	if ((r = index_camera_key_locked(ix, cam, 0, &key)) != 0)
		return r < 0 ? r : 0;
	if ((r = camera_claimed_locked(ix, cam)) <= 0)
		return r;
	return index_camera_key_locked(ix, cam, 1, &key) == 1 ? 0 : INDEX_E_IO;
}

int
index_links_add(struct index *ix, const struct index_link *l, size_t n, int *res)
{
	sqlite3_stmt *st;
	int64_t key = 0;
	size_t i;
	int r = INDEX_E_IO, claimed = 0;

	for (i = 0; i < n; i++)
		if (l[i].seq > INT64_MAX || l[i].last_seq > INT64_MAX || l[i].offset > INT64_MAX ||
		    l[i].length > INT64_MAX)
			return INDEX_E_IO;
	pthread_mutex_lock(&ix->mu);
	/* Camera keys first, each committed on its own: a key is never rolled back. */
	for (i = 0; i < n; i++)
		if ((i == 0 || memcmp(l[i].camera_id, l[i - 1].camera_id, CAMERA_ID_LEN) != 0) &&
		    key_for_claimed_locked(ix, l[i].camera_id) != 0)
			goto out;
	if ((r = exec_sql(ix->db, "BEGIN")) != 0)
		goto out;
	for (i = 0; i < n; i++) {
		if (i == 0 || memcmp(l[i].camera_id, l[i - 1].camera_id, CAMERA_ID_LEN) != 0) {
			/* A link that was in flight while its camera was removed is not kept: the
			 * gateway is not acked and its resend is refused at the door. */
			if ((claimed = camera_claimed_locked(ix, l[i].camera_id)) < 0 ||
			    (claimed && index_camera_key_locked(ix, l[i].camera_id, 0, &key) != 1)) {
				r = INDEX_E_IO;
				goto rollback;
			}
		}
		if (!claimed) {
			res[i] = INDEX_E_NOTFOUND;
			continue;
		}
		if ((st = lstmt(ix, LS_INSERT)) == NULL) {
			r = INDEX_E_IO;
			goto rollback;
		}
		sqlite3_bind_int64(st, 1, key);
		sqlite3_bind_int(st, 2, l[i].stream);
		sqlite3_bind_int64(st, 3, (int64_t)l[i].seq);
		sqlite3_bind_int64(st, 4, (int64_t)l[i].last_seq);
		sqlite3_bind_int(st, 5, l[i].kind);
		sqlite3_bind_int64(st, 6, l[i].start_us);
		sqlite3_bind_int64(st, 7, l[i].end_us);
		sqlite3_bind_int64(st, 8, l[i].blob_id);
		sqlite3_bind_int64(st, 9, (int64_t)l[i].offset);
		sqlite3_bind_int64(st, 10, (int64_t)l[i].length);
		if (sqlite3_step(st) != SQLITE_DONE) {
			log_err("index", "op=links_add err=\"%s\"", sqlite3_errmsg(ix->db));
			sqlite3_reset(st);
			r = INDEX_E_IO;
			goto rollback;
		}
		res[i] = sqlite3_changes(ix->db) == 1 ? 0 : INDEX_E_DUP;
		sqlite3_reset(st);
		if (res[i] == 0 && ((r = index_spans_add_locked(ix, key, &l[i])) != 0 ||
		    (r = index_totals_add_locked(ix, key, l[i].stream, 1, (int64_t)l[i].length)) != 0))
			goto rollback;
	}
	r = exec_sql(ix->db, "COMMIT");
	if (r == 0)
		goto out;
rollback:
	exec_sql(ix->db, "ROLLBACK");
out:
	pthread_mutex_unlock(&ix->mu);
	return r;
}

int
index_link_add(struct index *ix, const struct index_link *l)
{
	int res = INDEX_E_IO, r;

	r = index_links_add(ix, l, 1, &res);
	return r != 0 ? r : res;
}

/* A cached statement with (camera key, stream) bound to parameters 1 and 2: 1 and *stp, 0
 * when the camera has no key (so no links), INDEX_E_IO. The caller holds the lock. */
static int
stream_stmt(struct index *ix, int which, const uint8_t cam[CAMERA_ID_LEN], uint8_t stream,
    sqlite3_stmt **stp)
{
	int64_t key;
	int r;

	if ((r = index_camera_key_locked(ix, cam, 0, &key)) != 1)
		return r;
	if ((*stp = lstmt(ix, which)) == NULL)
		return INDEX_E_IO;
	sqlite3_bind_int64(*stp, 1, key);
	sqlite3_bind_int(*stp, 2, stream);
	return 1;
}

int
index_link_exists(struct index *ix, const uint8_t cam[CAMERA_ID_LEN], uint8_t stream, uint64_t seq)
{
	sqlite3_stmt *st = NULL;
	int r, rc;

	if (seq > INT64_MAX)
		return 0;
	pthread_mutex_lock(&ix->mu);
	if ((r = stream_stmt(ix, LS_EXISTS, cam, stream, &st)) != 1)
		goto out;
	sqlite3_bind_int64(st, 3, (int64_t)seq);
	rc = sqlite3_step(st);
	r = rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : INDEX_E_IO;
out:
	if (st != NULL)
		sqlite3_reset(st);
	pthread_mutex_unlock(&ix->mu);
	return r;
}

int
index_link_max_seq(struct index *ix, const uint8_t cam[CAMERA_ID_LEN], uint8_t stream, uint64_t *seq)
{
	sqlite3_stmt *st = NULL;
	int r, rc;

	pthread_mutex_lock(&ix->mu);
	if ((r = stream_stmt(ix, LS_MAX_SEQ, cam, stream, &st)) != 1)
		goto out;
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		r = rc == SQLITE_DONE ? 0 : INDEX_E_IO;
		goto out;
	}
	*seq = (uint64_t)sqlite3_column_int64(st, 0);
	r = 1;
out:
	if (st != NULL)
		sqlite3_reset(st);
	pthread_mutex_unlock(&ix->mu);
	return r;
}

/* Decode one row of LINK_COLS; the camera and stream are the ones asked for. */
static void
row_link(sqlite3_stmt *st, const uint8_t cam[CAMERA_ID_LEN], uint8_t stream, struct index_link *l)
{
	memcpy(l->camera_id, cam, CAMERA_ID_LEN);
	l->stream = stream;
	l->seq = (uint64_t)sqlite3_column_int64(st, 0);
	l->last_seq = (uint64_t)sqlite3_column_int64(st, 1);
	l->kind = sqlite3_column_int(st, 2);
	l->start_us = sqlite3_column_int64(st, 3);
	l->end_us = sqlite3_column_int64(st, 4);
	l->blob_id = sqlite3_column_int64(st, 5);
	l->offset = (uint64_t)sqlite3_column_int64(st, 6);
	l->length = (uint64_t)sqlite3_column_int64(st, 7);
}

int
index_link_get(struct index *ix, const uint8_t cam[CAMERA_ID_LEN], uint8_t stream, uint64_t seq,
    struct index_link *out)
{
	sqlite3_stmt *st = NULL;
	int r, rc;

	if (seq > INT64_MAX)
		return INDEX_E_NOTFOUND;
	pthread_mutex_lock(&ix->mu);
	if ((r = stream_stmt(ix, LS_GET, cam, stream, &st)) != 1) {
		if (r == 0)
			r = INDEX_E_NOTFOUND;
		goto out;
	}
	sqlite3_bind_int64(st, 3, (int64_t)seq);
	rc = sqlite3_step(st);
	r = 0;
	if (rc == SQLITE_DONE)
		r = INDEX_E_NOTFOUND;
	else if (rc != SQLITE_ROW)
		r = INDEX_E_IO;
	else
		row_link(st, cam, stream, out);
out:
	if (st != NULL)
		sqlite3_reset(st);
	pthread_mutex_unlock(&ix->mu);
	return r;
}

/* The seq of the first link of a stream whose end is at or after t, by the time index; 1
 * (found), 0 (none) or INDEX_E_IO. The caller holds the lock. */
static int
first_ending_at_or_after(struct index *ix, int64_t key, uint8_t stream, int64_t t, int64_t *seq)
{
	sqlite3_stmt *st;
	int rc;

	if ((st = lstmt(ix, LS_FIRST_END)) == NULL)
		return INDEX_E_IO;
	sqlite3_bind_int64(st, 1, key);
	sqlite3_bind_int(st, 2, stream);
	sqlite3_bind_int64(st, 3, t);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*seq = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : INDEX_E_IO;
}

int
index_links_range(struct index *ix, const uint8_t cam[CAMERA_ID_LEN], uint8_t stream,
    int64_t from, int64_t to, int max, index_link_fn cb, void *ctx)
{
	sqlite3_stmt *st = NULL;
	struct index_link l;
	int64_t key, lo = 0, hi = INT64_MAX;
	int r, rc, n = 0;

	pthread_mutex_lock(&ix->mu);
	if ((r = index_camera_key_locked(ix, cam, 0, &key)) <= 0)
		goto out;
	/*
	 * A stream's wall time never goes backwards along its seqs (the gateway keeps it
	 * monotonic), so the window is one run of seqs: from the first link ending at or after
	 * `from` to the first ending at or after `to` (which may still start before `to`).
	 * Two index seeks and a primary-key range read only the rows asked for; filtering
	 * "end >= from AND start < to" alone would walk every later link of the stream.
	 */
	if ((r = first_ending_at_or_after(ix, key, stream, from, &lo)) <= 0)
		goto out;
	if ((r = first_ending_at_or_after(ix, key, stream, to, &hi)) < 0)
		goto out;
	if ((st = lstmt(ix, LS_RANGE)) == NULL) {
		r = INDEX_E_IO;
		goto out;
	}
	sqlite3_bind_int64(st, 1, key);
	sqlite3_bind_int(st, 2, stream);
	sqlite3_bind_int64(st, 3, lo);
	sqlite3_bind_int64(st, 4, hi);
	memset(&l, 0, sizeof(l));
	memcpy(l.camera_id, cam, CAMERA_ID_LEN);
	l.stream = stream;
	l.blob_id = -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		l.seq = (uint64_t)sqlite3_column_int64(st, 0);
		l.last_seq = (uint64_t)sqlite3_column_int64(st, 1);
		l.kind = sqlite3_column_int(st, 2);
		l.start_us = sqlite3_column_int64(st, 3);
		l.end_us = sqlite3_column_int64(st, 4);
		l.length = (uint64_t)sqlite3_column_int64(st, 5);
		/* The time filter in C: only the run's last link can fail it when time is
		 * monotonic, and SQL's comparisons on every row cost a tenth of the listing. */
		if (l.end_us < from || l.start_us >= to)
			continue;
		if (n == max) {
			rc = SQLITE_DONE;
			break;
		}
		n++;
		if (cb(ctx, &l) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	r = rc == SQLITE_DONE ? n : INDEX_E_IO;
out:
	if (st != NULL)
		sqlite3_reset(st);
	pthread_mutex_unlock(&ix->mu);
	return r;
}
