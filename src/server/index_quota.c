/* index_quota.c - deleting footage by camera rather than by age: a set of cameras' bytes and the oldest-first deletion that keeps them under an organization's quota (retention.c), and a removed camera's history, a batch at a time. */
#include <stdlib.h>
#include <string.h>
#include "common/util.h"
#include "server/index_int.h"

/*
 * The index knows cameras, not organizations (those live in accounts.db): the caller names
 * the set. The walk is a merge over the set's streams: each round seeks every stream's
 * oldest link (links_time, one seek each), then deletes from the oldest stream up to the
 * next stream's head, so a round costs S seeks and deletes at least one link. Reading a
 * batch before deleting keeps no cursor open on a table being changed.
 */

#define QUOTA_BATCH 256

struct qstream {
	int64_t key;
	int stream;
	int64_t links;
	int64_t head_end;   /* end_us of its oldest link; INT64_MAX when it has none */
};

struct qlink {
	int64_t seq, len, blob, end;
};

/* The streams of the set's cameras with their totals; cameras unknown to the index have
 * none. The caller holds the lock. */
static int
set_streams(struct index *ix, const uint8_t (*cams)[CAMERA_ID_LEN], size_t n,
    struct qstream **out, size_t *nout, uint64_t *total)
{
	sqlite3_stmt *st = NULL;
	struct qstream *s = NULL, *t;
	size_t ns = 0, cap = 0, i;
	int64_t key;
	int r, rc;

	*total = 0;
	if ((r = index_prep(ix, &st, "SELECT stream, bytes, links FROM stream_totals WHERE cam = ? "
	    "AND links > 0")) != 0)
		goto out;
	for (i = 0; i < n; i++) {
		if ((r = index_camera_key_locked(ix, cams[i], 0, &key)) < 0)
			goto out;
		if (r == 0)
			continue;
		r = 0;
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, key);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			if (ns == cap) {
				cap = cap ? 2 * cap : 16;
				if ((t = realloc(s, cap * sizeof(*s))) == NULL) {
					r = INDEX_E_IO;
					goto out;
				}
				s = t;
			}
			s[ns].key = key;
			s[ns].stream = sqlite3_column_int(st, 0);
			s[ns].head_end = INT64_MAX;
			s[ns].links = sqlite3_column_int64(st, 2);
			*total += (uint64_t)sqlite3_column_int64(st, 1);
			ns++;
		}
		if (rc != SQLITE_DONE) {
			r = INDEX_E_IO;
			goto out;
		}
	}
out:
	sqlite3_finalize(st);
	if (r != 0) {
		free(s);
		s = NULL;
		ns = 0;
	}
	*out = s;
	*nout = ns;
	return r;
}

int
index_cameras_bytes(struct index *ix, const uint8_t (*cams)[CAMERA_ID_LEN], size_t n,
    uint64_t *bytes)
{
	struct qstream *s = NULL;
	size_t ns = 0;
	int r;

	pthread_mutex_lock(&ix->mu);
	r = set_streams(ix, cams, n, &s, &ns, bytes);
	pthread_mutex_unlock(&ix->mu);
	free(s);
	return r;
}

/* Refresh every stream's head; *oldest and *next get the indexes of the oldest and the
 * second oldest (next = SIZE_MAX when only one stream has links). */
static int
heads(sqlite3_stmt *head, struct qstream *s, size_t ns, size_t *oldest,
    size_t *next)
{
	size_t i;
	int rc;

	*oldest = *next = SIZE_MAX;
	for (i = 0; i < ns; i++) {
		sqlite3_reset(head);
		sqlite3_bind_int64(head, 1, s[i].key);
		sqlite3_bind_int(head, 2, s[i].stream);
		rc = sqlite3_step(head);
		if (rc == SQLITE_ROW)
			s[i].head_end = sqlite3_column_int64(head, 0);
		else if (rc == SQLITE_DONE)
			s[i].head_end = INT64_MAX;
		else
			return INDEX_E_IO;
		if (s[i].head_end == INT64_MAX)
			continue;
		if (*oldest == SIZE_MAX || s[i].head_end < s[*oldest].head_end) {
			*next = *oldest;
			*oldest = i;
		} else if (*next == SIZE_MAX || s[i].head_end < s[*next].head_end) {
			*next = i;
		}
	}
	sqlite3_reset(head);
	return 0;
}

/* Read up to QUOTA_BATCH of a stream's oldest links ending at or before bound. */
static int
read_batch(sqlite3_stmt *sel, const struct qstream *q, int64_t bound, struct qlink *b, size_t *nb)
{
	int rc;

	*nb = 0;
	sqlite3_reset(sel);
	sqlite3_bind_int64(sel, 1, q->key);
	sqlite3_bind_int(sel, 2, q->stream);
	sqlite3_bind_int64(sel, 3, bound);
	sqlite3_bind_int(sel, 4, QUOTA_BATCH);
	while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
		b[*nb].seq = sqlite3_column_int64(sel, 0);
		b[*nb].len = sqlite3_column_int64(sel, 1);
		b[*nb].blob = sqlite3_column_int64(sel, 2);
		b[*nb].end = sqlite3_column_int64(sel, 3);
		(*nb)++;
	}
	sqlite3_reset(sel);
	return rc == SQLITE_DONE ? 0 : INDEX_E_IO;
}

/* Delete the set's oldest links while its total exceeds quota, at most one batch. Lock and
 * transaction held. */
static int
expire_set_locked(struct index *ix, struct qstream *s, size_t ns, uint64_t total, uint64_t quota,
    int64_t *deleted)
{
	sqlite3_stmt *head = NULL, *sel = NULL, *del = NULL, *cand = NULL;
	struct qlink *b = NULL;
	size_t oldest, next, nb, i;
	int64_t bound;
	int r;

	if ((b = malloc(QUOTA_BATCH * sizeof(*b))) == NULL)
		return INDEX_E_IO;
	if ((r = index_prep(ix, &head, "SELECT end_us FROM links WHERE cam = ? AND stream = ? "
	    "ORDER BY end_us, seq LIMIT 1")) != 0 ||
	    (r = index_prep(ix, &sel, "SELECT seq, length, blob, end_us FROM links WHERE cam = ? AND "
	    "stream = ? AND end_us <= ? ORDER BY end_us, seq LIMIT ?")) != 0 ||
	    (r = index_prep(ix, &del, "DELETE FROM links WHERE cam = ? AND stream = ? AND seq = ?")) != 0 ||
	    (r = index_prep(ix, &cand, "INSERT OR IGNORE INTO blob_candidates (id) VALUES (?)")) != 0)
		goto out;
	while (total > quota && *deleted < ix->delete_batch) {
		if ((r = heads(head, s, ns, &oldest, &next)) != 0)
			goto out;
		if (oldest == SIZE_MAX)
			break;
		bound = next == SIZE_MAX ? INT64_MAX : s[next].head_end;
		if ((r = read_batch(sel, &s[oldest], bound, b, &nb)) != 0)
			goto out;
		if (nb == 0)
			break;
		for (i = 0; i < nb && total > quota && *deleted < ix->delete_batch; i++) {
			sqlite3_reset(del);
			sqlite3_bind_int64(del, 1, s[oldest].key);
			sqlite3_bind_int(del, 2, s[oldest].stream);
			sqlite3_bind_int64(del, 3, b[i].seq);
			sqlite3_reset(cand);
			sqlite3_bind_int64(cand, 1, b[i].blob);
			if ((r = index_step_done(ix, del)) != 0 || (r = index_step_done(ix, cand)) != 0 ||
			    (r = index_totals_add_locked(ix, s[oldest].key, (uint8_t)s[oldest].stream, -1,
			    -b[i].len)) != 0)
				goto out;
			total = (uint64_t)b[i].len > total ? 0 : total - (uint64_t)b[i].len;
			(*deleted)++;
		}
	}
out:
	sqlite3_finalize(head);
	sqlite3_finalize(sel);
	sqlite3_finalize(del);
	sqlite3_finalize(cand);
	free(b);
	return r;
}

int
index_expire_cameras(struct index *ix, const uint8_t (*cams)[CAMERA_ID_LEN], size_t n,
    uint64_t quota, int64_t *deleted)
{
	struct qstream *s = NULL;
	size_t ns = 0;
	uint64_t total = 0;
	int r;

	*deleted = 0;
	pthread_mutex_lock(&ix->mu);
	if ((r = index_exec(ix, "BEGIN")) != 0)
		goto out;
	if ((r = set_streams(ix, cams, n, &s, &ns, &total)) != 0)
		goto rollback;
	if (total > quota && (r = expire_set_locked(ix, s, ns, total, quota, deleted)) != 0)
		goto rollback;
	if (*deleted > 0 && ((r = index_totals_drop_empty_locked(ix)) != 0 ||
	    (r = index_spans_trim_locked(ix)) != 0))
		goto rollback;
	if ((r = index_exec(ix, "COMMIT")) == 0) {
		r = *deleted >= ix->delete_batch;
		goto out;
	}
rollback:
	index_exec(ix, "ROLLBACK");
	*deleted = 0;
out:
	pthread_mutex_unlock(&ix->mu);
	free(s);
	return r;
}

/* Run a statement taking one integer (a camera key) to its end. The caller holds the lock. */
static int
key_exec(struct index *ix, const char *sql, int64_t key)
{
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = index_prep(ix, &st, sql)) != 0)
		return r;
	sqlite3_bind_int64(st, 1, key);
	r = index_step_done(ix, st);
	sqlite3_finalize(st);
	return r;
}

/*
 * Removal is two steps. index_camera_remove takes the camera out of everything a request or
 * an upload can reach, in one small transaction: its binding, its retention, its spans, and
 * its id, which camera_keys renames to 'removed:KEY' (no 32-hex id looks like that; the row
 * stays so that its key cannot be handed out again while links still carry it). Its links
 * then wait in camera_purge for index_purge_removed, which retention calls a batch at a
 * time: deleting a year of one camera (15.7 million links) in the removal's transaction held
 * the index's lock, and so every camera's ingest, for as long as the deletion took. The
 * purge keeps stream_totals true at each batch, so storage used counts what is still on disk.
 */
int
index_camera_remove(struct index *ix, const uint8_t cam[CAMERA_ID_LEN], int64_t *links,
    int64_t *bytes)
{
	sqlite3_stmt *del = NULL;
	struct qstream *s = NULL;
	size_t ns = 0, i;
	uint64_t total = 0;
	char hex[2 * CAMERA_ID_LEN + 1];
	int64_t key = 0;
	int r, known;

	*links = *bytes = 0;
	pthread_mutex_lock(&ix->mu);
	if ((r = index_exec(ix, "BEGIN")) != 0)
		goto out;
	if ((known = index_camera_key_locked(ix, cam, 0, &key)) < 0) {
		r = known;
		goto rollback;
	}
	if (known) {
		if ((r = set_streams(ix, (const uint8_t (*)[CAMERA_ID_LEN])cam, 1, &s, &ns,
		    &total)) != 0)
			goto rollback;
		for (i = 0; i < ns; i++)
			*links += s[i].links;
		if (ns == 0) {
			/* No links carry the key: it goes now. */
			if ((r = key_exec(ix, "DELETE FROM stream_totals WHERE cam = ?", key)) != 0 ||
			    (r = key_exec(ix, "DELETE FROM camera_keys WHERE key = ?", key)) != 0)
				goto rollback;
		} else if ((r = key_exec(ix, "INSERT INTO camera_purge (key) VALUES (?) ON CONFLICT "
		    "(key) DO NOTHING", key)) != 0 ||
		    (r = key_exec(ix, "UPDATE camera_keys SET id = 'removed:' || key WHERE key = ?",
		    key)) != 0 ||
		    (r = key_exec(ix, "DELETE FROM spans WHERE cam = ?", key)) != 0) {
			goto rollback;
		}
	}
	/* The gateway binding and the camera's own retention: a camera added again starts clean. */
	if ((r = index_prep(ix, &del, "DELETE FROM cameras WHERE id = ?")) != 0)
		goto rollback;
	hex_encode(cam, CAMERA_ID_LEN, hex);
	sqlite3_bind_text(del, 1, hex, -1, SQLITE_TRANSIENT);
	if ((r = index_step_done(ix, del)) != 0)
		goto rollback;
	if ((r = index_exec(ix, "COMMIT")) == 0) {
		index_key_forget_locked(ix, cam);
		*bytes = (int64_t)total;
		goto out;
	}
rollback:
	index_exec(ix, "ROLLBACK");
	*links = 0;
out:
	sqlite3_finalize(del);
	pthread_mutex_unlock(&ix->mu);
	free(s);
	return r;
}

/* The links of one batch: a removed camera's key, one stream, up to a seq: a primary-key range
 * (a batch spanning streams, "stream < ? OR ...", made SQLite scan every link of the camera
 * on each batch). */
#define PURGE_WHERE "cam = ?1 AND stream = ?2 AND seq <= ?3"

/* Take one batch's links off its stream's totals. The caller holds the lock and the
 * transaction. */
static int
purge_totals_locked(struct index *ix, int64_t key, int stream, int64_t seq, int64_t *deleted)
{
	sqlite3_stmt *st = NULL;
	int64_t n = 0, b = 0;
	int r, rc;

	if ((r = index_prep(ix, &st, "SELECT COUNT(*), COALESCE(SUM(length), 0) FROM links WHERE "
	    PURGE_WHERE)) != 0)
		return r;
	sqlite3_bind_int64(st, 1, key);
	sqlite3_bind_int(st, 2, stream);
	sqlite3_bind_int64(st, 3, seq);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		n = sqlite3_column_int64(st, 0);
		b = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return INDEX_E_IO;
	*deleted += n;
	return n > 0 ? index_totals_add_locked(ix, key, (uint8_t)stream, -n, -b) : 0;
}

/* The first stream of a key that still has links, and the seq that ends a batch in it
 * (INT64_MAX: the batch takes the rest of the stream). 1, 0 (no links) or INDEX_E_IO. The
 * caller holds the lock. */
static int
purge_next_batch(struct index *ix, int64_t key, int *stream, int64_t *seq)
{
	sqlite3_stmt *st = NULL;
	int r, rc;

	*seq = INT64_MAX;
	if ((r = index_prep(ix, &st, "SELECT stream FROM links WHERE cam = ? ORDER BY stream, seq "
	    "LIMIT 1")) != 0)
		return r;
	sqlite3_bind_int64(st, 1, key);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*stream = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return rc == SQLITE_DONE ? 0 : INDEX_E_IO;
	if ((r = index_prep(ix, &st, "SELECT seq FROM links WHERE cam = ? AND stream = ? ORDER BY "
	    "seq LIMIT 1 OFFSET ?")) != 0)
		return r;
	sqlite3_bind_int64(st, 1, key);
	sqlite3_bind_int(st, 2, *stream);
	sqlite3_bind_int(st, 3, ix->delete_batch - 1);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*seq = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 1 : INDEX_E_IO;
}

int
index_purge_removed(struct index *ix, int64_t *deleted)
{
	sqlite3_stmt *st = NULL;
	int64_t key = 0, seq = INT64_MAX;
	int stream = 0, r, rc, left;

	*deleted = 0;
	pthread_mutex_lock(&ix->mu);
	if ((r = index_exec(ix, "BEGIN")) != 0)
		goto out;
	if ((r = index_prep(ix, &st, "SELECT key FROM camera_purge ORDER BY key LIMIT 1")) != 0)
		goto rollback;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		key = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	st = NULL;
	if (rc != SQLITE_ROW) {
		if (rc != SQLITE_DONE)
			r = INDEX_E_IO;
		goto rollback;	/* DONE: nothing to do, no write transaction to commit */
	}
	if ((left = purge_next_batch(ix, key, &stream, &seq)) < 0) {
		r = left;
		goto rollback;
	}
	if (left) {
		if ((r = index_blobs_candidates_locked(ix, "SELECT DISTINCT blob FROM links WHERE "
		    PURGE_WHERE, key, stream, seq)) != 0 ||
		    (r = purge_totals_locked(ix, key, stream, seq, deleted)) != 0 ||
		    (r = index_prep(ix, &st, "DELETE FROM links WHERE " PURGE_WHERE)) != 0)
			goto rollback;
		sqlite3_bind_int64(st, 1, key);
		sqlite3_bind_int(st, 2, stream);
		sqlite3_bind_int64(st, 3, seq);
		r = index_step_done(ix, st);
		sqlite3_finalize(st);
		if (r != 0)
			goto rollback;
	} else if ((r = key_exec(ix, "DELETE FROM stream_totals WHERE cam = ?", key)) != 0 ||
	    (r = key_exec(ix, "DELETE FROM camera_purge WHERE key = ?", key)) != 0 ||
	    (r = key_exec(ix, "DELETE FROM camera_keys WHERE key = ?", key)) != 0) {
		/* No link carries the key any more: it may go (and be handed out again). */
		goto rollback;
	}
	if ((r = index_exec(ix, "COMMIT")) == 0) {
		r = 1;
		goto out;
	}
rollback:
	index_exec(ix, "ROLLBACK");
	if (r != 0)
		*deleted = 0;
out:
	pthread_mutex_unlock(&ix->mu);
	return r;
}

int
index_purge_pending_locked(struct index *ix, int64_t *cameras, int64_t *bytes)
{
	sqlite3_stmt *st = NULL;
	int r;

	*cameras = *bytes = 0;
	if ((r = index_prep(ix, &st, "SELECT (SELECT COUNT(*) FROM camera_purge), (SELECT "
	    "COALESCE(SUM(bytes), 0) FROM stream_totals WHERE cam IN (SELECT key FROM "
	    "camera_purge))")) != 0)
		return r;
	if (sqlite3_step(st) == SQLITE_ROW) {
		*cameras = sqlite3_column_int64(st, 0);
		*bytes = sqlite3_column_int64(st, 1);
	} else {
		r = INDEX_E_IO;
	}
	sqlite3_finalize(st);
	return r;
}

int
index_purge_pending(struct index *ix, int64_t *cameras, int64_t *bytes)
{
	int r;

	pthread_mutex_lock(&ix->mu);
	r = index_purge_pending_locked(ix, cameras, bytes);
	pthread_mutex_unlock(&ix->mu);
	return r;
}
