/* index_retention.c - retention in the SQLite index: a camera's own setting (the organization's retention view, h_orgretention.c) and the pass that deletes links past their age or over the quota (retention.c). */
#include <pthread.h>
#include <stdlib.h>
#include <sqlite3.h>
#include "common/util.h"
#include "server/index.h"
#include "server/index_int.h"

int
index_camera_retention(struct index *ix, const uint8_t cam[CAMERA_ID_LEN], int64_t *max_age_s)
{
	char hex[2 * CAMERA_ID_LEN + 1];
	sqlite3_stmt *st = NULL;
	int r, rc;

	*max_age_s = 0;
	hex_encode(cam, CAMERA_ID_LEN, hex);
	pthread_mutex_lock(&ix->mu);
	if (sqlite3_prepare_v2(ix->db, "SELECT max_age_s FROM cameras WHERE id = ?", -1, &st,
	    NULL) != SQLITE_OK) {
		log_err("index", "op=prepare err=\"%s\"", sqlite3_errmsg(ix->db));
		r = INDEX_E_IO;
		goto out;
	}
	sqlite3_bind_text(st, 1, hex, 2 * CAMERA_ID_LEN, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		r = INDEX_E_NOTFOUND;
	} else if (rc != SQLITE_ROW) {
		log_err("index", "op=camera_retention err=\"%s\"", sqlite3_errmsg(ix->db));
		r = INDEX_E_IO;
	} else if (sqlite3_column_type(st, 0) == SQLITE_NULL) {
		r = 0;
	} else {
		*max_age_s = sqlite3_column_int64(st, 0);
		r = 1;
	}
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&ix->mu);
	return r;
}

/* One recorded stream of a registered camera and the age its links may reach. */
struct aged { int64_t key; int stream; int64_t max_age_s; };

/* Every recorded stream of a registered camera with its max age (the default where the
 * camera has none), read before anything is deleted. Count in *n; 0 or INDEX_E_IO. */
static int
aged_streams(struct index *ix, int64_t default_max_age_s, struct aged **out, size_t *n)
{
	sqlite3_stmt *st = NULL;
	struct aged *a = NULL, *grown;
	size_t cap = 0;
	int r, rc;

	*n = 0;
	if ((r = index_prep(ix, &st, "SELECT t.cam, t.stream, COALESCE(c.max_age_s, ?) FROM "
	    "stream_totals t JOIN camera_keys k ON k.key = t.cam JOIN cameras c ON c.id = k.id "
	    "ORDER BY t.cam, t.stream")) != 0)
		goto out;
	sqlite3_bind_int64(st, 1, default_max_age_s);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap == 0 ? 64 : 2 * cap;
			if ((grown = realloc(a, cap * sizeof(*a))) == NULL) {
				r = INDEX_E_IO;
				goto out;
			}
			a = grown;
		}
		a[*n] = (struct aged){ sqlite3_column_int64(st, 0), sqlite3_column_int(st, 1),
		    sqlite3_column_int64(st, 2) };
		(*n)++;
	}
	r = rc == SQLITE_DONE ? 0 : INDEX_E_IO;
out:
	sqlite3_finalize(st);
	if (r != 0) {
		free(a);
		a = NULL;
		*n = 0;
	}
	*out = a;
	return r;
}

/* Count and bytes of a stream's links ending before `before`. The caller holds the lock. */
static int
count_before(sqlite3_stmt *cnt, int64_t key, int stream, int64_t before, int64_t *links,
    int64_t *bytes)
{
	int rc;

	sqlite3_reset(cnt);
	sqlite3_bind_int64(cnt, 1, key);
	sqlite3_bind_int(cnt, 2, stream);
	sqlite3_bind_int64(cnt, 3, before);
	if ((rc = sqlite3_step(cnt)) == SQLITE_ROW) {
		*links = sqlite3_column_int64(cnt, 0);
		*bytes = sqlite3_column_int64(cnt, 1);
	}
	sqlite3_reset(cnt);
	return rc == SQLITE_ROW ? 0 : INDEX_E_IO;
}

/* Delete each stream's links that ended before now minus its max age: a range of the
 * time index (cam, stream, end_us) per stream, so the pass reads what it deletes and not
 * the whole history. At most one batch in all: a stream with more is cut at the end of
 * its batch's last link (links ending at the same instant go together). The caller holds
 * the lock and an open transaction. */
static int
expire_age_locked(struct index *ix, int64_t now, int64_t default_max_age_s, int64_t *deleted)
{
	sqlite3_stmt *cnt = NULL, *del = NULL, *cut = NULL;
	struct aged *a = NULL;
	size_t i, n = 0;
	int r, rc;

	if ((r = aged_streams(ix, default_max_age_s, &a, &n)) != 0 ||
	    (r = index_prep(ix, &cnt, "SELECT COUNT(*), COALESCE(SUM(length), 0) FROM links "
	    "WHERE cam = ? AND stream = ? AND end_us < ?")) != 0 ||
	    (r = index_prep(ix, &del, "DELETE FROM links WHERE cam = ? AND stream = ? AND "
	    "end_us < ?")) != 0 ||
	    (r = index_prep(ix, &cut, "SELECT end_us FROM links WHERE cam = ? AND stream = ? "
	    "AND end_us < ? ORDER BY end_us LIMIT 1 OFFSET ?")) != 0)
		goto out;
	for (i = 0; i < n && *deleted < ix->delete_batch; i++) {
		int64_t before, links, bytes;

		if (a[i].max_age_s <= 0 || a[i].max_age_s > now / 1000000)
			continue;
		before = now - 1000000 * a[i].max_age_s;
		/* Bounded first, so that the count reads at most a batch of rows: the end of the
		 * batch's last link, when the stream has that many due (a stream with none due
		 * costs one seek). */
		sqlite3_reset(cut);
		sqlite3_bind_int64(cut, 1, a[i].key);
		sqlite3_bind_int(cut, 2, a[i].stream);
		sqlite3_bind_int64(cut, 3, before);
		sqlite3_bind_int64(cut, 4, ix->delete_batch - *deleted - 1);
		rc = sqlite3_step(cut);
		if (rc == SQLITE_ROW)
			before = sqlite3_column_int64(cut, 0) + 1;
		sqlite3_reset(cut);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
			r = INDEX_E_IO;
			goto out;
		}
		if ((r = count_before(cnt, a[i].key, a[i].stream, before, &links, &bytes)) != 0)
			goto out;
		if (links == 0)
			continue;
		/* The blobs these links lie in may be orphans once they are gone. */
		if ((r = index_blobs_candidates_locked(ix, "SELECT DISTINCT blob FROM links WHERE "
		    "cam = ?1 AND stream = ?2 AND end_us < ?3", a[i].key, a[i].stream, before)) != 0)
			goto out;
		sqlite3_reset(del);
		sqlite3_bind_int64(del, 1, a[i].key);
		sqlite3_bind_int(del, 2, a[i].stream);
		sqlite3_bind_int64(del, 3, before);
		if ((r = index_step_done(ix, del)) != 0 ||
		    (r = index_totals_add_locked(ix, a[i].key, (uint8_t)a[i].stream, -links, -bytes)) != 0)
			goto out;
		*deleted += links;
	}
out:
	sqlite3_finalize(cnt);
	sqlite3_finalize(del);
	sqlite3_finalize(cut);
	free(a);
	return r;
}

/* Delete the oldest links until the total is at most quota, within the batch; the caller
 * holds the lock and an open transaction. */
static int
expire_quota_locked(struct index *ix, uint64_t quota, int64_t *deleted)
{
	sqlite3_stmt *sel = NULL, *del = NULL, *cand = NULL;
	uint64_t total;
	int64_t pcams, pbytes;
	int r, rc, progress;

	/* Removed cameras' links are being purged (index_purge_removed): neither counted nor
	 * chosen here, or other cameras' footage would go for bytes the purge frees anyway. */
	if ((r = index_totals_bytes_locked(ix, &total)) != 0 ||
	    (r = index_purge_pending_locked(ix, &pcams, &pbytes)) != 0)
		goto out;
	total -= (uint64_t)pbytes > total ? total : (uint64_t)pbytes;
	if (total <= quota)
		goto out;
	if ((r = index_prep(ix, &sel, "SELECT cam, stream, seq, length, blob FROM links WHERE "
	    "cam NOT IN (SELECT key FROM camera_purge) ORDER BY end_us, seq LIMIT 256")) != 0)
		goto out;
	if ((r = index_prep(ix, &del, "DELETE FROM links WHERE cam = ? AND stream = ? AND seq = ?")) != 0 ||
	    (r = index_prep(ix, &cand, "INSERT OR IGNORE INTO blob_candidates (id) VALUES (?)")) != 0)
		goto out;
	while (total > quota && *deleted < ix->delete_batch) {
		progress = 0;
		sqlite3_reset(sel);
		while (total > quota && *deleted < ix->delete_batch &&
		    (rc = sqlite3_step(sel)) == SQLITE_ROW) {
			int64_t key = sqlite3_column_int64(sel, 0), len = sqlite3_column_int64(sel, 3);
			int stream = sqlite3_column_int(sel, 1);

			sqlite3_reset(del);
			sqlite3_bind_int64(del, 1, key);
			sqlite3_bind_int(del, 2, stream);
			sqlite3_bind_int64(del, 3, sqlite3_column_int64(sel, 2));
			sqlite3_reset(cand);
			sqlite3_bind_int64(cand, 1, sqlite3_column_int64(sel, 4));
			if ((r = index_step_done(ix, del)) != 0 || (r = index_step_done(ix, cand)) != 0 ||
			    (r = index_totals_add_locked(ix, key, (uint8_t)stream, -1, -len)) != 0)
				goto out;
			total -= (uint64_t)len;
			(*deleted)++;
			progress = 1;
		}
		if (!progress)
			break;
	}
out:
	sqlite3_finalize(sel);
	sqlite3_finalize(del);
	sqlite3_finalize(cand);
	return r;
}

int
index_expire(struct index *ix, int64_t now, int64_t default_max_age_s, uint64_t quota, int64_t *deleted)
{
	int r;

	*deleted = 0;
	pthread_mutex_lock(&ix->mu);
	if ((r = index_exec(ix, "BEGIN")) != 0)
		goto out;
	if ((r = expire_age_locked(ix, now, default_max_age_s, deleted)) != 0)
		goto rollback;
	if (quota > 0 && (r = expire_quota_locked(ix, quota, deleted)) != 0)
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
	return r;
}
