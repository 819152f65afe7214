/* index_sqlite.c - the metadata index on SQLite (WAL, synchronous=FULL) with portable SQL. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include "common/util.h"
#include "server/index.h"
#include "server/index_int.h"

static const char *const schema[] = {
	"CREATE TABLE IF NOT EXISTS gateways (id VARCHAR(64) PRIMARY KEY, created_us BIGINT NOT NULL)",
	"CREATE TABLE IF NOT EXISTS cameras (id VARCHAR(32) PRIMARY KEY, "
	    "gateway VARCHAR(64) NOT NULL REFERENCES gateways(id), max_age_s BIGINT)",
	"CREATE TABLE IF NOT EXISTS blobs (id INTEGER PRIMARY KEY, camera VARCHAR(32) NOT NULL, "
	    "stream INTEGER NOT NULL, created_us BIGINT NOT NULL, sealed INTEGER NOT NULL DEFAULT 0, "
	    "size BIGINT NOT NULL DEFAULT 0)",
	"CREATE TABLE IF NOT EXISTS links (camera VARCHAR(32) NOT NULL, stream INTEGER NOT NULL, "
	    "seq BIGINT NOT NULL, last_seq BIGINT NOT NULL, kind INTEGER NOT NULL, "
	    "start_us BIGINT NOT NULL, end_us BIGINT NOT NULL, blob BIGINT NOT NULL REFERENCES blobs(id), "
	    "off BIGINT NOT NULL, length BIGINT NOT NULL, PRIMARY KEY (camera, stream, seq))",
	"CREATE INDEX IF NOT EXISTS links_time ON links (camera, stream, end_us)",
	"CREATE INDEX IF NOT EXISTS links_blob ON links (blob)",
	"CREATE INDEX IF NOT EXISTS links_end ON links (end_us)",
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

static int
prep(struct index *ix, sqlite3_stmt **st, const char *sql)
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

static int
col_hex(sqlite3_stmt *st, int i, uint8_t *out, size_t n)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	if (t == NULL || (size_t)sqlite3_column_bytes(st, i) != 2 * n)
		return -1;
	return hex_decode((const char *)t, out, n);
}

int
index_open(struct index **ixp, const char *path)
{
	struct index *ix = NULL;
	size_t i;
	int r = INDEX_E_IO;

	*ixp = NULL;
	if ((ix = calloc(1, sizeof(*ix))) == NULL)
		return INDEX_E_IO;
	pthread_mutex_init(&ix->mu, NULL);
	if (sqlite3_open_v2(path, &ix->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	    SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK) {
		log_err("index", "op=open path=%s err=\"%s\"", path,
		    ix->db != NULL ? sqlite3_errmsg(ix->db) : "nomem");
		goto out;
	}
	sqlite3_busy_timeout(ix->db, 5000);
	if (exec_sql(ix->db, "PRAGMA journal_mode=WAL") != 0 ||
	    exec_sql(ix->db, "PRAGMA synchronous=FULL") != 0 ||
	    exec_sql(ix->db, "PRAGMA foreign_keys=ON") != 0)
		goto out;
	for (i = 0; i < sizeof(schema) / sizeof(schema[0]); i++)
		if (exec_sql(ix->db, schema[i]) != 0)
			goto out;
	for (i = 0; i < index_spans_schema_len; i++)
		if (exec_sql(ix->db, index_spans_schema[i]) != 0)
			goto out;
	if (index_spans_rebuild_locked(ix) != 0)
		goto out;
	*ixp = ix;
	ix = NULL;
	r = 0;
out:
	index_close(ix);
	return r;
}

void
index_close(struct index *ix)
{
	if (ix == NULL)
		return;
	index_spans_close(ix);
	sqlite3_close(ix->db);
	pthread_mutex_destroy(&ix->mu);
	free(ix);
}

/* Run a statement that returns no rows; the caller holds the lock. */
static int
step_done(struct index *ix, sqlite3_stmt *st)
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
	if ((r = prep(ix, &st, "INSERT INTO gateways (id, created_us) VALUES (?, ?)")) != 0)
		goto out;
	bind_hex(st, 1, gw, GATEWAY_ID_LEN);
	sqlite3_bind_int64(st, 2, now_us());
	r = step_done(ix, st);
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
	if ((r = prep(ix, &st, "SELECT 1 FROM gateways WHERE id = ?")) != 0)
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
	if ((r = prep(ix, &st, "SELECT gateway FROM cameras WHERE id = ?")) != 0)
		goto out;
	bind_hex(st, 1, cam, CAMERA_ID_LEN);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if (col_hex(st, 0, owner, GATEWAY_ID_LEN) != 0)
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
	if ((r = prep(ix, &st, "INSERT INTO cameras (id, gateway) VALUES (?, ?)")) != 0)
		goto out;
	bind_hex(st, 1, cam, CAMERA_ID_LEN);
	bind_hex(st, 2, gw, GATEWAY_ID_LEN);
	r = step_done(ix, st);
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
	if ((r = prep(ix, &st, "UPDATE cameras SET max_age_s = ? WHERE id = ?")) != 0)
		goto out;
	sqlite3_bind_int64(st, 1, max_age_s);
	bind_hex(st, 2, cam, CAMERA_ID_LEN);
	if ((r = step_done(ix, st)) != 0)
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
	if ((r = prep(ix, &st, "INSERT INTO blobs (camera, stream, created_us, sealed, size) "
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

int
index_blob_seal(struct index *ix, int64_t id, uint64_t size)
{
	sqlite3_stmt *st = NULL;
	int r;

	pthread_mutex_lock(&ix->mu);
	if ((r = prep(ix, &st, "UPDATE blobs SET sealed = 1, size = ? WHERE id = ?")) != 0)
		goto out;
	sqlite3_bind_int64(st, 1, (int64_t)size);
	sqlite3_bind_int64(st, 2, id);
	r = step_done(ix, st);
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&ix->mu);
	return r;
}

int
index_blob_seal_all(struct index *ix)
{
	int r;

	pthread_mutex_lock(&ix->mu);
	r = exec_sql(ix->db, "UPDATE blobs SET sealed = 1 WHERE sealed = 0");
	pthread_mutex_unlock(&ix->mu);
	return r;
}

int
index_blob_orphans(struct index *ix, struct index_blob *out, int max)
{
	sqlite3_stmt *st = NULL;
	int r, n = 0, rc;

	pthread_mutex_lock(&ix->mu);
	if ((r = prep(ix, &st, "SELECT b.id, b.camera, b.stream FROM blobs b WHERE b.sealed = 1 AND "
	    "NOT EXISTS (SELECT 1 FROM links l WHERE l.blob = b.id) ORDER BY b.id LIMIT ?")) != 0)
		goto out;
	sqlite3_bind_int(st, 1, max);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < max) {
		out[n].id = sqlite3_column_int64(st, 0);
		if (col_hex(st, 1, out[n].camera_id, CAMERA_ID_LEN) != 0)
			continue;
		out[n].stream = (uint8_t)sqlite3_column_int(st, 2);
		n++;
	}
	r = (rc == SQLITE_ROW || rc == SQLITE_DONE) ? n : INDEX_E_IO;
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&ix->mu);
	return r;
}

int
index_blob_delete(struct index *ix, int64_t id)
{
	sqlite3_stmt *st = NULL;
	int r;

	pthread_mutex_lock(&ix->mu);
	if ((r = prep(ix, &st, "DELETE FROM blobs WHERE id = ? AND NOT EXISTS "
	    "(SELECT 1 FROM links l WHERE l.blob = blobs.id)")) != 0)
		goto out;
	sqlite3_bind_int64(st, 1, id);
	r = step_done(ix, st);
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&ix->mu);
	return r;
}

int
index_links_add(struct index *ix, const struct index_link *l, size_t n, int *res)
{
	sqlite3_stmt *st = NULL;
	size_t i;
	int r = INDEX_E_IO;

	for (i = 0; i < n; i++)
		if (l[i].seq > INT64_MAX || l[i].last_seq > INT64_MAX || l[i].offset > INT64_MAX ||
		    l[i].length > INT64_MAX)
			return INDEX_E_IO;
	pthread_mutex_lock(&ix->mu);
	if ((r = exec_sql(ix->db, "BEGIN")) != 0)
		goto out;
	/* ON CONFLICT DO NOTHING (SQLite 3.24+, PostgreSQL 9.5+) keeps a duplicate from
	 * aborting the other rows of the transaction. */
	if ((r = prep(ix, &st, "INSERT INTO links (camera, stream, seq, last_seq, kind, start_us, "
	    "end_us, blob, off, length) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
	    "ON CONFLICT (camera, stream, seq) DO NOTHING")) != 0)
		goto rollback;
	for (i = 0; i < n; i++) {
		sqlite3_reset(st);
		bind_hex(st, 1, l[i].camera_id, CAMERA_ID_LEN);
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
			r = INDEX_E_IO;
			goto rollback;
		}
		res[i] = sqlite3_changes(ix->db) == 1 ? 0 : INDEX_E_DUP;
		if (res[i] == 0 && (r = index_spans_add_locked(ix, &l[i])) != 0)
			goto rollback;
	}
	r = exec_sql(ix->db, "COMMIT");
	if (r == 0)
		goto out;
rollback:
	exec_sql(ix->db, "ROLLBACK");
out:
	sqlite3_finalize(st);
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

int
index_link_exists(struct index *ix, const uint8_t cam[CAMERA_ID_LEN], uint8_t stream, uint64_t seq)
{
	sqlite3_stmt *st = NULL;
	int r, rc;

	if (seq > INT64_MAX)
		return 0;
	pthread_mutex_lock(&ix->mu);
	if ((r = prep(ix, &st, "SELECT 1 FROM links WHERE camera = ? AND stream = ? AND seq = ?")) != 0)
		goto out;
	bind_hex(st, 1, cam, CAMERA_ID_LEN);
	sqlite3_bind_int(st, 2, stream);
	sqlite3_bind_int64(st, 3, (int64_t)seq);
	rc = sqlite3_step(st);
	r = rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : INDEX_E_IO;
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&ix->mu);
	return r;
}

int
index_link_max_seq(struct index *ix, const uint8_t cam[CAMERA_ID_LEN], uint8_t stream, uint64_t *seq)
{
	sqlite3_stmt *st = NULL;
	int r, rc;

	pthread_mutex_lock(&ix->mu);
	if ((r = prep(ix, &st, "SELECT MAX(last_seq) FROM links WHERE camera = ? AND stream = ?")) != 0)
		goto out;
	bind_hex(st, 1, cam, CAMERA_ID_LEN);
	sqlite3_bind_int(st, 2, stream);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		r = INDEX_E_IO;
		goto out;
	}
	if (sqlite3_column_type(st, 0) == SQLITE_NULL) {
		r = 0;
		goto out;
	}
	*seq = (uint64_t)sqlite3_column_int64(st, 0);
	r = 1;
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&ix->mu);
	return r;
}

#define LINK_COLS "camera, stream, seq, last_seq, kind, start_us, end_us, blob, off, length"

static int
row_link(sqlite3_stmt *st, struct index_link *l)
{
	memset(l, 0, sizeof(*l));
	if (col_hex(st, 0, l->camera_id, CAMERA_ID_LEN) != 0)
		return -1;
	l->stream = (uint8_t)sqlite3_column_int(st, 1);
	l->seq = (uint64_t)sqlite3_column_int64(st, 2);
	l->last_seq = (uint64_t)sqlite3_column_int64(st, 3);
	l->kind = sqlite3_column_int(st, 4);
	l->start_us = sqlite3_column_int64(st, 5);
	l->end_us = sqlite3_column_int64(st, 6);
	l->blob_id = sqlite3_column_int64(st, 7);
	l->offset = (uint64_t)sqlite3_column_int64(st, 8);
	l->length = (uint64_t)sqlite3_column_int64(st, 9);
	return 0;
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
	if ((r = prep(ix, &st, "SELECT " LINK_COLS " FROM links WHERE camera = ? AND stream = ? "
	    "AND seq = ?")) != 0)
		goto out;
	bind_hex(st, 1, cam, CAMERA_ID_LEN);
	sqlite3_bind_int(st, 2, stream);
	sqlite3_bind_int64(st, 3, (int64_t)seq);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		r = INDEX_E_NOTFOUND;
	else if (rc != SQLITE_ROW || row_link(st, out) != 0)
		r = INDEX_E_IO;
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&ix->mu);
	return r;
}

/* The seq of the first link of a stream whose end is at or after t, by the time index; 1
 * (found), 0 (none) or INDEX_E_IO. The caller holds the lock. */
static int
first_ending_at_or_after(struct index *ix, const uint8_t cam[CAMERA_ID_LEN], uint8_t stream,
    int64_t t, int64_t *seq)
{
	sqlite3_stmt *st = NULL;
	int r, rc;

	if ((r = prep(ix, &st, "SELECT seq FROM links WHERE camera = ? AND stream = ? AND "
	    "end_us >= ? ORDER BY end_us, seq LIMIT 1")) != 0)
		return r;
	bind_hex(st, 1, cam, CAMERA_ID_LEN);
	sqlite3_bind_int(st, 2, stream);
	sqlite3_bind_int64(st, 3, t);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*seq = sqlite3_column_int64(st, 0);
	r = rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : INDEX_E_IO;
	sqlite3_finalize(st);
	return r;
}

int
index_links_range(struct index *ix, const uint8_t cam[CAMERA_ID_LEN], uint8_t stream,
    int64_t from, int64_t to, int max, index_link_fn cb, void *ctx)
{
	sqlite3_stmt *st = NULL;
	struct index_link l;
	int64_t lo = 0, hi = INT64_MAX;
	int r, rc, n = 0;

	pthread_mutex_lock(&ix->mu);
	/*
	 * A stream's wall time never goes backwards along its seqs (the gateway keeps it
	 * monotonic), so the window is one run of seqs: from the first link ending at or after
	 * `from` to the first ending at or after `to` (which may still start before `to`).
	 * Two index seeks and a primary-key range read only the rows asked for; filtering
	 * "end >= from AND start < to" alone would walk every later link of the stream.
	 */
	if ((r = first_ending_at_or_after(ix, cam, stream, from, &lo)) <= 0)
		goto out;
	if ((r = first_ending_at_or_after(ix, cam, stream, to, &hi)) < 0)
		goto out;
	if ((r = prep(ix, &st, "SELECT " LINK_COLS " FROM links WHERE camera = ? AND stream = ? "
	    "AND seq >= ? AND seq <= ? AND end_us >= ? AND start_us < ? ORDER BY seq LIMIT ?")) != 0)
		goto out;
	bind_hex(st, 1, cam, CAMERA_ID_LEN);
	sqlite3_bind_int(st, 2, stream);
	sqlite3_bind_int64(st, 3, lo);
	sqlite3_bind_int64(st, 4, hi);
	sqlite3_bind_int64(st, 5, from);
	sqlite3_bind_int64(st, 6, to);
	sqlite3_bind_int(st, 7, max);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (row_link(st, &l) != 0)
			continue;
		n++;
		if (cb(ctx, &l) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	r = rc == SQLITE_DONE ? n : INDEX_E_IO;
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&ix->mu);
	return r;
}

int
index_streams_list(struct index *ix, int max, index_stream_fn cb, void *ctx)
{
	sqlite3_stmt *st = NULL;
	struct index_stream_summary s;
	int r, rc, n = 0;

	pthread_mutex_lock(&ix->mu);
	if ((r = prep(ix, &st, "SELECT camera, stream, MIN(start_us), MAX(end_us), COUNT(*), "
	    "SUM(length) FROM links GROUP BY camera, stream ORDER BY camera, stream LIMIT ?")) != 0)
		goto out;
	sqlite3_bind_int(st, 1, max);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&s, 0, sizeof(s));
		if (col_hex(st, 0, s.camera_id, CAMERA_ID_LEN) != 0)
			continue;
		s.stream = (uint8_t)sqlite3_column_int(st, 1);
		s.first_us = sqlite3_column_int64(st, 2);
		s.last_us = sqlite3_column_int64(st, 3);
		s.segments = sqlite3_column_int64(st, 4);
		s.bytes = sqlite3_column_int64(st, 5);
		n++;
		if (cb(ctx, &s) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	r = rc == SQLITE_DONE ? n : INDEX_E_IO;
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&ix->mu);
	return r;
}

/* Sum of link lengths; the caller holds the lock. */
static int
total_bytes_locked(struct index *ix, uint64_t *out)
{
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = prep(ix, &st, "SELECT COALESCE(SUM(length), 0) FROM links")) != 0)
		return r;
	if (sqlite3_step(st) != SQLITE_ROW)
		r = INDEX_E_IO;
	else
		*out = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return r;
}

int
index_total_bytes(struct index *ix, uint64_t *out)
{
	int r;

	pthread_mutex_lock(&ix->mu);
	r = total_bytes_locked(ix, out);
	pthread_mutex_unlock(&ix->mu);
	return r;
}

/* Delete the oldest links until the total is at most quota; the caller holds the lock and
 * an open transaction. */
static int
expire_quota_locked(struct index *ix, uint64_t quota, int64_t *deleted)
{
	sqlite3_stmt *sel = NULL, *del = NULL;
	uint64_t total;
	int r, rc, progress;

	if ((r = total_bytes_locked(ix, &total)) != 0)
		return r;
	if ((r = prep(ix, &sel, "SELECT camera, stream, seq, length FROM links "
	    "ORDER BY end_us, seq LIMIT 256")) != 0)
		goto out;
	if ((r = prep(ix, &del, "DELETE FROM links WHERE camera = ? AND stream = ? AND seq = ?")) != 0)
		goto out;
	while (total > quota) {
		progress = 0;
		sqlite3_reset(sel);
		while (total > quota && (rc = sqlite3_step(sel)) == SQLITE_ROW) {
			sqlite3_reset(del);
			sqlite3_bind_value(del, 1, sqlite3_column_value(sel, 0));
			sqlite3_bind_int64(del, 2, sqlite3_column_int64(sel, 1));
			sqlite3_bind_int64(del, 3, sqlite3_column_int64(sel, 2));
			if ((r = step_done(ix, del)) != 0)
				goto out;
			total -= (uint64_t)sqlite3_column_int64(sel, 3);
			(*deleted)++;
			progress = 1;
		}
		if (!progress)
			break;
	}
out:
	sqlite3_finalize(sel);
	sqlite3_finalize(del);
	return r;
}

int
index_expire(struct index *ix, int64_t now, int64_t default_max_age_s, uint64_t quota, int64_t *deleted)
{
	sqlite3_stmt *st = NULL;
	int r;

	*deleted = 0;
	pthread_mutex_lock(&ix->mu);
	if ((r = exec_sql(ix->db, "BEGIN")) != 0)
		goto out;
	if ((r = prep(ix, &st, "DELETE FROM links WHERE EXISTS (SELECT 1 FROM cameras c WHERE "
	    "c.id = links.camera AND COALESCE(c.max_age_s, ?) > 0 AND "
	    "links.end_us < ? - 1000000 * COALESCE(c.max_age_s, ?))")) != 0)
		goto rollback;
	sqlite3_bind_int64(st, 1, default_max_age_s);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_int64(st, 3, default_max_age_s);
	if ((r = step_done(ix, st)) != 0)
		goto rollback;
	*deleted = sqlite3_changes(ix->db);
	if (quota > 0 && (r = expire_quota_locked(ix, quota, deleted)) != 0)
		goto rollback;
	if (*deleted > 0 && (r = index_spans_trim_locked(ix)) != 0)
		goto rollback;
	if ((r = exec_sql(ix->db, "COMMIT")) == 0)
		goto out;
rollback:
	exec_sql(ix->db, "ROLLBACK");
	*deleted = 0;
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&ix->mu);
	return r;
}
