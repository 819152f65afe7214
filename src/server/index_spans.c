/* index_spans.c - a stream's recorded (and "no motion") time as contiguous spans, kept beside the links so a timeline of a day or a month reads a few rows instead of every segment. */
#include <string.h>
#include "common/segment.h"
#include "common/util.h"
#include "server/index_int.h"

/*
 * One row per run of segments with no hole longer than SPAN_SLACK_US between them.
 * A year of 2-second segments is 15.8 million links per stream but, for a camera that
 * drops out now and then, only hundreds of spans: the console's timeline reads spans, and
 * only the minutes it plays read links. Gap links do not extend a recorded span; holes
 * between spans are what the timeline shows as gaps. The one exception is a camera that
 * records on motion only: its "no motion" gaps (GAP_MOTION_IDLE) make spans of their own
 * kind (SPAN_PAUSED), merged by the same rule, so the timeline can tell a still scene
 * from an outage. Each row carries its kind; spans of different kinds never merge.
 */
#define SPAN_SLACK_US 1000000LL

const char *const index_spans_schema[] = {
	("CREATE TABLE IF NOT EXISTS spans (id INTEGER PRIMARY KEY, cam INTEGER NOT NULL, "
	    "stream INTEGER NOT NULL, start_us BIGINT NOT NULL, end_us BIGINT NOT NULL, "
	    "kind INTEGER NOT NULL DEFAULT 0)"),
	"CREATE INDEX IF NOT EXISTS spans_start ON spans (cam, stream, start_us)",
	"CREATE INDEX IF NOT EXISTS spans_end ON spans (cam, stream, end_us)",
};
const size_t index_spans_schema_len = sizeof(index_spans_schema) / sizeof(index_spans_schema[0]);

/* The statements of the ingest path, cached in ix->spans_st. */
enum { ST_PREV, ST_INSERT, ST_FOLLOW, ST_DELETE, ST_SET_END };
static const char *const cached_sql[INDEX_SPANS_STMTS] = {
	[ST_PREV] = "SELECT id, start_us, end_us FROM spans WHERE cam = ? AND stream = ? AND "
	    "kind = ? AND start_us <= ? ORDER BY start_us DESC LIMIT 1",
	[ST_INSERT] = "INSERT INTO spans (cam, stream, kind, start_us, end_us) VALUES (?, ?, ?, ?, ?)",
	[ST_FOLLOW] = "SELECT id, end_us FROM spans WHERE cam = ? AND stream = ? AND kind = ? AND "
	    "start_us >= ? AND start_us <= ? AND id <> ? ORDER BY start_us",
	[ST_DELETE] = "DELETE FROM spans WHERE id = ?",
	[ST_SET_END] = "UPDATE spans SET end_us = ? WHERE id = ?",
};

/* A cached statement, reset and unbound; NULL when it cannot be prepared. */
static sqlite3_stmt *
cached(struct index *ix, int which)
{
	sqlite3_stmt *st = ix->spans_st[which];

	if (st == NULL) {
		if (sqlite3_prepare_v3(ix->db, cached_sql[which], -1, SQLITE_PREPARE_PERSISTENT,
		    &st, NULL) != SQLITE_OK) {
			log_err("index", "op=spans_prepare err=\"%s\"", sqlite3_errmsg(ix->db));
			return NULL;
		}
		ix->spans_st[which] = st;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return st;
}

void
index_spans_close(struct index *ix)
{
	int i;

	for (i = 0; i < INDEX_SPANS_STMTS; i++) {
		sqlite3_finalize(ix->spans_st[i]);
		ix->spans_st[i] = NULL;
	}
}

static int
sprep(struct index *ix, sqlite3_stmt **st, const char *sql)
{
	if (sqlite3_prepare_v2(ix->db, sql, -1, st, NULL) != SQLITE_OK) {
		log_err("index", "op=spans_prepare err=\"%s\"", sqlite3_errmsg(ix->db));
		*st = NULL;
		return INDEX_E_IO;
	}
	return 0;
}

/* Bind the camera key (as in links) and stream to parameters 1 and 2. */
static void
bind_stream(sqlite3_stmt *st, int64_t key, uint8_t stream)
{
	sqlite3_bind_int64(st, 1, key);
	sqlite3_bind_int(st, 2, stream);
}

static int
sdone(struct index *ix, sqlite3_stmt *st)
{
	if (sqlite3_step(st) == SQLITE_DONE)
		return 0;
	log_err("index", "op=spans_step err=\"%s\"", sqlite3_errmsg(ix->db));
	return INDEX_E_IO;
}

/* Absorb every span that starts inside [start, *end + slack] other than keep: extend *end
 * and delete them; then store *end on keep. Statements are cached: reset, never finalized. */
static int
merge_following(struct index *ix, int64_t key, const struct index_link *l, int kind,
    int64_t keep, int64_t start, int64_t *end)
{
	sqlite3_stmt *sel, *del, *upd;
	int64_t ids[16];
	size_t n, i;
	int rc = SQLITE_DONE;

	/* Collect a few ids, then delete them: a statement is not stepped while it runs. */
	do {
		if ((sel = cached(ix, ST_FOLLOW)) == NULL)
			return INDEX_E_IO;
		bind_stream(sel, key, l->stream);
		sqlite3_bind_int(sel, 3, kind);
		sqlite3_bind_int64(sel, 4, start);
		sqlite3_bind_int64(sel, 5, *end + SPAN_SLACK_US);
		sqlite3_bind_int64(sel, 6, keep);
		n = 0;
		while (n < sizeof(ids) / sizeof(ids[0]) && (rc = sqlite3_step(sel)) == SQLITE_ROW) {
			int64_t e = sqlite3_column_int64(sel, 1);

			if (e > *end)
				*end = e;
			ids[n++] = sqlite3_column_int64(sel, 0);
		}
		if (n < sizeof(ids) / sizeof(ids[0]) && rc != SQLITE_DONE)
			return INDEX_E_IO;
		sqlite3_reset(sel);
		for (i = 0; i < n; i++) {
			if ((del = cached(ix, ST_DELETE)) == NULL)
				return INDEX_E_IO;
			sqlite3_bind_int64(del, 1, ids[i]);
			if (sdone(ix, del) != 0)
				return INDEX_E_IO;
		}
	} while (n == sizeof(ids) / sizeof(ids[0]));
	if ((upd = cached(ix, ST_SET_END)) == NULL)
		return INDEX_E_IO;
	sqlite3_bind_int64(upd, 1, *end);
	sqlite3_bind_int64(upd, 2, keep);
	return sdone(ix, upd);
}

int
index_spans_add_locked(struct index *ix, int64_t key, const struct index_link *l)
{
	sqlite3_stmt *st;
	int64_t id = 0, start = l->start_us, end = l->end_us;
	int rc, kind;

	if (l->kind == LINK_SEGMENT)
		kind = SPAN_RECORDED;
	else if (l->kind == LINK_GAP && l->gap_reason == GAP_MOTION_IDLE)
		kind = SPAN_PAUSED;
	else
		return 0;
	/* Times the merge arithmetic (end + slack) and the timeline can add up safely; a
	 * signed link outside them is stored but drawn as a hole. */
	if (l->start_us < 0 || l->end_us < l->start_us || l->end_us > INT64_MAX - SPAN_SLACK_US)
		return 0;
	/* The span of this kind starting last at or before this link: extend it when the link
	 * touches it. */
	if ((st = cached(ix, ST_PREV)) == NULL)
		return INDEX_E_IO;
	bind_stream(st, key, l->stream);
	sqlite3_bind_int(st, 3, kind);
	sqlite3_bind_int64(st, 4, l->start_us);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_int64(st, 2) + SPAN_SLACK_US >= l->start_us) {
		id = sqlite3_column_int64(st, 0);
		start = sqlite3_column_int64(st, 1);
		if (sqlite3_column_int64(st, 2) > end)
			end = sqlite3_column_int64(st, 2);
	} else if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		return INDEX_E_IO;
	}
	sqlite3_reset(st);
	if (id == 0) {
		if ((st = cached(ix, ST_INSERT)) == NULL)
			return INDEX_E_IO;
		bind_stream(st, key, l->stream);
		sqlite3_bind_int(st, 3, kind);
		sqlite3_bind_int64(st, 4, start);
		sqlite3_bind_int64(st, 5, end);
		if (sdone(ix, st) != 0)
			return INDEX_E_IO;
		id = sqlite3_last_insert_rowid(ix->db);
	}
	return merge_following(ix, key, l, kind, id, start, &end);
}

/* Trim one stream's spans of one kind to its oldest link that still counts for them (m;
 * none: every span of the kind goes). oldest is stepped here. */
static int
trim_kind(struct index *ix, sqlite3_stmt *oldest, sqlite3_stmt *drop_all, sqlite3_stmt *drop,
    sqlite3_stmt *cut, sqlite3_value *cam, int stream, int kind)
{
	int64_t m;
	int rc;

	sqlite3_reset(oldest);
	sqlite3_bind_value(oldest, 1, cam);
	sqlite3_bind_int(oldest, 2, stream);
	rc = sqlite3_step(oldest);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(drop_all);
		sqlite3_bind_value(drop_all, 1, cam);
		sqlite3_bind_int(drop_all, 2, stream);
		sqlite3_bind_int(drop_all, 3, kind);
		return sdone(ix, drop_all);
	}
	if (rc != SQLITE_ROW)
		return INDEX_E_IO;
	m = sqlite3_column_int64(oldest, 0);
	sqlite3_reset(drop);
	sqlite3_bind_value(drop, 1, cam);
	sqlite3_bind_int(drop, 2, stream);
	sqlite3_bind_int(drop, 3, kind);
	sqlite3_bind_int64(drop, 4, m);
	sqlite3_reset(cut);
	sqlite3_bind_int64(cut, 1, m);
	sqlite3_bind_value(cut, 2, cam);
	sqlite3_bind_int(cut, 3, stream);
	sqlite3_bind_int(cut, 4, kind);
	sqlite3_bind_int64(cut, 5, m);
	if (sdone(ix, drop) != 0 || sdone(ix, cut) != 0)
		return INDEX_E_IO;
	return 0;
}

int
index_spans_trim_locked(struct index *ix)
{
	sqlite3_stmt *streams = NULL, *oldest_seg = NULL, *oldest_link = NULL, *drop_all = NULL,
	    *drop = NULL, *cut = NULL;
	int r, rc;

	/* Recorded spans follow the oldest segment; "no motion" spans the oldest link of any
	 * kind (their own gap links carry no reason in the index, and a gap older than every
	 * remaining link is gone). */
	if ((r = sprep(ix, &streams, "SELECT DISTINCT cam, stream FROM spans")) != 0 ||
	    (r = sprep(ix, &oldest_seg, "SELECT start_us FROM links WHERE cam = ? AND stream = ? "
	    "AND kind = 0 ORDER BY end_us LIMIT 1")) != 0 ||
	    (r = sprep(ix, &oldest_link, "SELECT start_us FROM links WHERE cam = ? AND stream = ? "
	    "ORDER BY end_us LIMIT 1")) != 0 ||
	    (r = sprep(ix, &drop_all, "DELETE FROM spans WHERE cam = ? AND stream = ? AND "
	    "kind = ?")) != 0 ||
	    (r = sprep(ix, &drop, "DELETE FROM spans WHERE cam = ? AND stream = ? AND kind = ? AND "
	    "end_us <= ?")) != 0 ||
	    (r = sprep(ix, &cut, "UPDATE spans SET start_us = ? WHERE cam = ? AND stream = ? "
	    "AND kind = ? AND start_us < ?")) != 0)
		goto out;
	while ((rc = sqlite3_step(streams)) == SQLITE_ROW) {
		sqlite3_value *cam = sqlite3_column_value(streams, 0);
		int stream = sqlite3_column_int(streams, 1);

		if ((r = trim_kind(ix, oldest_seg, drop_all, drop, cut, cam, stream,
		    SPAN_RECORDED)) != 0 ||
		    (r = trim_kind(ix, oldest_link, drop_all, drop, cut, cam, stream,
		    SPAN_PAUSED)) != 0)
			goto out;
	}
	r = rc == SQLITE_DONE ? 0 : INDEX_E_IO;
out:
	sqlite3_finalize(streams);
	sqlite3_finalize(oldest_seg);
	sqlite3_finalize(oldest_link);
	sqlite3_finalize(drop_all);
	sqlite3_finalize(drop);
	sqlite3_finalize(cut);
	return r;
}

int
index_spans_rebuild_locked(struct index *ix)
{
	sqlite3_stmt *st = NULL;
	struct index_link l;
	int r, rc, began = 0;

	if ((r = sprep(ix, &st, "SELECT (SELECT COUNT(*) FROM spans) = 0 AND "
	    "EXISTS (SELECT 1 FROM links WHERE kind = 0 AND cam NOT IN (SELECT key FROM camera_purge))")) != 0)
		goto out;
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW || sqlite3_column_int(st, 0) == 0) {
		r = rc == SQLITE_ROW ? 0 : INDEX_E_IO;
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_exec(ix->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
		r = INDEX_E_IO;
		goto out;
	}
	began = 1;
	if ((r = sprep(ix, &st, "SELECT cam, stream, start_us, end_us FROM links WHERE kind = 0 "
	    "AND cam NOT IN (SELECT key FROM camera_purge) ORDER BY cam, stream, start_us")) != 0)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&l, 0, sizeof(l));
		l.stream = (uint8_t)sqlite3_column_int(st, 1);
		l.kind = LINK_SEGMENT;
		l.start_us = sqlite3_column_int64(st, 2);
		l.end_us = sqlite3_column_int64(st, 3);
		if ((r = index_spans_add_locked(ix, sqlite3_column_int64(st, 0), &l)) != 0)
			goto out;
	}
	r = rc == SQLITE_DONE ? 0 : INDEX_E_IO;
	if (r == 0 && sqlite3_exec(ix->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		r = INDEX_E_IO;
	if (r == 0)
		began = 0;
out:
	sqlite3_finalize(st);
	if (began)
		sqlite3_exec(ix->db, "ROLLBACK", NULL, NULL, NULL);
	return r;
}

int
index_spans_range(struct index *ix, const uint8_t cam[CAMERA_ID_LEN], uint8_t stream,
    int kind, int64_t from, int64_t to, int max, index_span_fn cb, void *ctx)
{
	sqlite3_stmt *st = NULL;
	int64_t key;
	int r, rc, n = 0;

	pthread_mutex_lock(&ix->mu);
	if ((r = index_camera_key_locked(ix, cam, 0, &key)) <= 0)
		goto out;
	if ((r = sprep(ix, &st, "SELECT start_us, end_us FROM spans WHERE cam = ? AND "
	    "stream = ? AND kind = ? AND end_us > ? AND start_us < ? ORDER BY start_us LIMIT ?")) != 0)
		goto out;
	bind_stream(st, key, stream);
	sqlite3_bind_int(st, 3, kind);
	sqlite3_bind_int64(st, 4, from);
	sqlite3_bind_int64(st, 5, to);
	sqlite3_bind_int(st, 6, max);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		n++;
		if (cb(ctx, sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1)) != 0) {
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
index_spans_migrate_locked(struct index *ix)
{
	static const char *const steps[] = {
		"CREATE TABLE spans_v2 (id INTEGER PRIMARY KEY, cam INTEGER NOT NULL, "
		    "stream INTEGER NOT NULL, start_us BIGINT NOT NULL, end_us BIGINT NOT NULL)",
		"INSERT INTO spans_v2 (id, cam, stream, start_us, end_us) SELECT s.id, k.key, "
		    "s.stream, s.start_us, s.end_us FROM spans s JOIN camera_keys k ON k.id = s.camera",
		"DROP TABLE spans",
		"ALTER TABLE spans_v2 RENAME TO spans",
	};
	sqlite3_stmt *st = NULL;
	size_t i;
	int old;

	/* Spans of the first schema name cameras by hex id; an index older still has none and
	 * index_spans_rebuild_locked() builds them from the links. */
	old = sqlite3_prepare_v2(ix->db, "SELECT camera FROM spans", -1, &st, NULL) == SQLITE_OK;
	sqlite3_finalize(st);
	if (!old)
		return 0;
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		if (sqlite3_exec(ix->db, steps[i], NULL, NULL, NULL) != SQLITE_OK) {
			log_err("index", "op=spans_migrate err=\"%s\"", sqlite3_errmsg(ix->db));
			return INDEX_E_IO;
		}
	return 0;
}

int
index_spans_add_kind_locked(struct index *ix)
{
	sqlite3_stmt *st = NULL;
	int has;

	has = sqlite3_prepare_v2(ix->db, "SELECT kind FROM spans", -1, &st, NULL) == SQLITE_OK;
	sqlite3_finalize(st);
	if (has)
		return 0;
	log_info("index", "op=migrate to=span_kinds");
	if (sqlite3_exec(ix->db, "ALTER TABLE spans ADD COLUMN kind INTEGER NOT NULL DEFAULT 0",
	    NULL, NULL, NULL) != SQLITE_OK) {
		log_err("index", "op=spans_migrate err=\"%s\"", sqlite3_errmsg(ix->db));
		return INDEX_E_IO;
	}
	return 0;
}
