/* index_totals.c - each camera stream's link count and bytes, kept as links come and go, so the camera list, the storage figure and the quota never count the links themselves. */
#include <string.h>
#include "common/util.h"
#include "server/index_int.h"

/*
 * A year of 2-second segments is 15.8 million links per stream: anything that summed or
 * counted them (the camera list, /metrics' storage used, the retention pass with a quota)
 * read every row under the index lock, seconds with a year of history. One row per stream
 * here, updated in the transaction that adds or deletes links, answers the same questions
 * from a handful of rows; a stream's first and last times come from two seeks on links_time.
 * An index opened without the table gets it filled once from the links (index_totals_fill).
 */
const char *const index_totals_schema =
	"CREATE TABLE IF NOT EXISTS stream_totals (cam INTEGER NOT NULL, stream INTEGER NOT NULL, "
	"links BIGINT NOT NULL, bytes BIGINT NOT NULL, PRIMARY KEY (cam, stream))";

/* ON CONFLICT ... DO UPDATE with excluded: SQLite 3.24+ and PostgreSQL 9.5+ alike. */
static const char *const add_sql =
	"INSERT INTO stream_totals (cam, stream, links, bytes) VALUES (?, ?, ?, ?) "
	"ON CONFLICT (cam, stream) DO UPDATE SET links = stream_totals.links + excluded.links, "
	"bytes = stream_totals.bytes + excluded.bytes";

int
index_totals_exist(struct index *ix)
{
	sqlite3_stmt *st = NULL;
	int ok = sqlite3_prepare_v2(ix->db, "SELECT 1 FROM stream_totals", -1, &st, NULL) == SQLITE_OK;

	sqlite3_finalize(st);
	return ok;
}

int
index_totals_fill(struct index *ix)
{
	int r;

	if ((r = index_exec(ix, "BEGIN")) != 0)
		return r;
	if ((r = index_exec(ix, "DELETE FROM stream_totals")) == 0 &&
	    (r = index_exec(ix, "INSERT INTO stream_totals (cam, stream, links, bytes) "
	    "SELECT cam, stream, COUNT(*), SUM(length) FROM links GROUP BY cam, stream")) == 0 &&
	    (r = index_exec(ix, "COMMIT")) == 0)
		return 0;
	index_exec(ix, "ROLLBACK");
	return r;
}

int
index_totals_add_locked(struct index *ix, int64_t key, uint8_t stream, int64_t links, int64_t bytes)
{
	sqlite3_stmt *st = ix->totals_add;

	if (st == NULL) {
		if (sqlite3_prepare_v3(ix->db, add_sql, -1, SQLITE_PREPARE_PERSISTENT, &st,
		    NULL) != SQLITE_OK) {
			log_err("index", "op=prepare err=\"%s\"", sqlite3_errmsg(ix->db));
			return INDEX_E_IO;
		}
		ix->totals_add = st;
	}
	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, key);
	sqlite3_bind_int(st, 2, stream);
	sqlite3_bind_int64(st, 3, links);
	sqlite3_bind_int64(st, 4, bytes);
	return index_step_done(ix, st);
}

int
index_totals_drop_empty_locked(struct index *ix)
{
	return index_exec(ix, "DELETE FROM stream_totals WHERE links <= 0");
}

int
index_totals_bytes_locked(struct index *ix, uint64_t *out)
{
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = index_prep(ix, &st, "SELECT COALESCE(SUM(bytes), 0) FROM stream_totals")) != 0)
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
	r = index_totals_bytes_locked(ix, out);
	pthread_mutex_unlock(&ix->mu);
	return r;
}

/* A stream's first start and last end by the time index (links_time): one seek each. */
static int
stream_times(sqlite3_stmt *first, sqlite3_stmt *last, sqlite3_value *cam, int stream,
    struct index_stream_summary *s)
{
	int r = 0;

	sqlite3_reset(first);
	sqlite3_reset(last);
	sqlite3_bind_value(first, 1, cam);
	sqlite3_bind_int(first, 2, stream);
	sqlite3_bind_value(last, 1, cam);
	sqlite3_bind_int(last, 2, stream);
	if (sqlite3_step(first) != SQLITE_ROW || sqlite3_step(last) != SQLITE_ROW)
		r = -1;
	else {
		s->first_us = sqlite3_column_int64(first, 0);
		s->last_us = sqlite3_column_int64(last, 0);
	}
	sqlite3_reset(first);
	sqlite3_reset(last);
	return r;
}

/* The listing from the first camera above after (NULL: all); *stepped counts the rows
 * read, those skipped as unreadable too. Count passed to cb, or INDEX_E_IO. */
static int
streams_list(struct index *ix, const uint8_t after[CAMERA_ID_LEN], int max,
    index_stream_fn cb, void *ctx, int *stepped)
{
	sqlite3_stmt *st = NULL, *first = NULL, *last = NULL;
	struct index_stream_summary s;
	char hex[2 * CAMERA_ID_LEN + 1] = "";
	int r, rc, n = 0;

	if (after != NULL)
		hex_encode(after, CAMERA_ID_LEN, hex);
	pthread_mutex_lock(&ix->mu);
	if ((r = index_prep(ix, &st, "SELECT k.id, t.stream, t.links, t.bytes, t.cam FROM "
	    "stream_totals t JOIN camera_keys k ON k.key = t.cam WHERE t.links > 0 AND k.id > ? AND "
	    "t.cam NOT IN (SELECT key FROM camera_purge) ORDER BY k.id, t.stream LIMIT ?")) != 0 ||
	    (r = index_prep(ix, &first, "SELECT start_us FROM links WHERE cam = ? AND stream = ? "
	    "ORDER BY end_us, seq LIMIT 1")) != 0 ||
	    (r = index_prep(ix, &last, "SELECT end_us FROM links WHERE cam = ? AND stream = ? "
	    "ORDER BY end_us DESC, seq DESC LIMIT 1")) != 0)
		goto out;
	sqlite3_bind_text(st, 1, hex, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, max);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		(*stepped)++;
		memset(&s, 0, sizeof(s));
		if (index_col_hex(st, 0, s.camera_id, CAMERA_ID_LEN) != 0)
			continue;
		s.stream = (uint8_t)sqlite3_column_int(st, 1);
		s.segments = sqlite3_column_int64(st, 2);
		s.bytes = sqlite3_column_int64(st, 3);
		if (stream_times(first, last, sqlite3_column_value(st, 4), s.stream, &s) != 0)
			continue;	/* totals ahead of links: cannot be, but never list a ghost */
		n++;
		if (cb(ctx, &s) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	r = rc == SQLITE_DONE ? n : INDEX_E_IO;
out:
	sqlite3_finalize(st);
	sqlite3_finalize(first);
	sqlite3_finalize(last);
	pthread_mutex_unlock(&ix->mu);
	return r;
}

int
index_streams_list(struct index *ix, int max, index_stream_fn cb, void *ctx)
{
	int stepped = 0;

	return streams_list(ix, NULL, max, cb, ctx, &stepped);
}

int
index_streams_list_after(struct index *ix, const uint8_t after[CAMERA_ID_LEN], int max,
    index_stream_fn cb, void *ctx)
{
	int stepped = 0, r = streams_list(ix, after, max, cb, ctx, &stepped);

	return r < 0 ? r : stepped;
}
