/* index_blobs.c - a blob's life in the index after creation: sealing, and finding the sealed blobs no link references any more without reading every blob. */
#include <pthread.h>
#include <sqlite3.h>
#include "common/util.h"
#include "server/index.h"
#include "server/index_int.h"

/*
 * Retention asks for orphan blobs on every pass (every 5 s). Asking every sealed blob
 * whether a link still references it read the whole blobs table under the index's lock:
 * one row per camera-minute, 32 ms with 30 days of one camera, seconds for a site's year.
 * A blob can only become an orphan when it is sealed (it may have no links: an unused
 * successor, a failed upload) or when links are deleted (retention), so those two moments
 * list it in blob_candidates, in the same transaction; the orphan check reads only the
 * candidates and forgets those that still have links (they are listed again when their
 * links go). An index opened without the table lists every sealed blob once.
 */
const char *const index_blobs_schema =
	"CREATE TABLE IF NOT EXISTS blob_candidates (id INTEGER PRIMARY KEY)";

int
index_blobs_exist(struct index *ix)
{
	sqlite3_stmt *st = NULL;
	int ok = sqlite3_prepare_v2(ix->db, "SELECT 1 FROM blob_candidates", -1, &st, NULL) == SQLITE_OK;

	sqlite3_finalize(st);
	return ok;
}

int
index_blobs_fill(struct index *ix)
{
	return index_exec(ix, "INSERT OR IGNORE INTO blob_candidates (id) SELECT id FROM blobs "
	    "WHERE sealed = 1");
}

int
index_blob_seal(struct index *ix, int64_t id, uint64_t size)
{
	sqlite3_stmt *st = NULL, *cand = NULL;
	int r;

	pthread_mutex_lock(&ix->mu);
	if ((r = index_exec(ix, "BEGIN")) != 0)
		goto out;
	if ((r = index_prep(ix, &st, "UPDATE blobs SET sealed = 1, size = ? WHERE id = ?")) != 0 ||
	    (r = index_prep(ix, &cand, "INSERT OR IGNORE INTO blob_candidates (id) VALUES (?)")) != 0)
		goto rollback;
	sqlite3_bind_int64(st, 1, (int64_t)size);
	sqlite3_bind_int64(st, 2, id);
	sqlite3_bind_int64(cand, 1, id);
	if ((r = index_step_done(ix, st)) != 0 || (r = index_step_done(ix, cand)) != 0)
		goto rollback;
	if ((r = index_exec(ix, "COMMIT")) == 0)
		goto out;
rollback:
	index_exec(ix, "ROLLBACK");
out:
	sqlite3_finalize(st);
	sqlite3_finalize(cand);
	pthread_mutex_unlock(&ix->mu);
	return r;
}

int
index_blob_seal_all(struct index *ix)
{
	int r;

	pthread_mutex_lock(&ix->mu);
	if ((r = index_exec(ix, "BEGIN")) != 0)
		goto out;
	if ((r = index_exec(ix, "INSERT OR IGNORE INTO blob_candidates (id) SELECT id FROM blobs "
	    "WHERE sealed = 0")) != 0 ||
	    (r = index_exec(ix, "UPDATE blobs SET sealed = 1 WHERE sealed = 0")) != 0) {
		index_exec(ix, "ROLLBACK");
		goto out;
	}
	r = index_exec(ix, "COMMIT");
out:
	pthread_mutex_unlock(&ix->mu);
	return r;
}

int
index_blobs_candidates_locked(struct index *ix, const char *select_ids, int64_t key, int stream,
    int64_t bound)
{
	char sql[256];
	sqlite3_stmt *st = NULL;
	int r;

	if ((size_t)snprintf(sql, sizeof(sql), "INSERT OR IGNORE INTO blob_candidates (id) %s",
	    select_ids) >= sizeof(sql))
		return INDEX_E_IO;
	if ((r = index_prep(ix, &st, sql)) != 0)
		return r;
	sqlite3_bind_int64(st, 1, key);
	sqlite3_bind_int(st, 2, stream);
	sqlite3_bind_int64(st, 3, bound);
	r = index_step_done(ix, st);
	sqlite3_finalize(st);
	return r;
}

int
index_blob_orphans(struct index *ix, struct index_blob *out, int max)
{
	sqlite3_stmt *st = NULL;
	int r, n = 0, rc;

	pthread_mutex_lock(&ix->mu);
	/* Nothing listed (the usual pass): no write transaction, whose commit would sync. */
	if ((r = index_prep(ix, &st, "SELECT 1 FROM blob_candidates LIMIT 1")) != 0)
		goto out;
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	st = NULL;
	if (rc != SQLITE_ROW) {
		r = rc == SQLITE_DONE ? 0 : INDEX_E_IO;
		goto out;
	}
	/* Candidates whose blob is gone, or that links still reference: not orphans (yet). */
	if ((r = index_exec(ix, "DELETE FROM blob_candidates WHERE NOT EXISTS (SELECT 1 FROM blobs b "
	    "WHERE b.id = blob_candidates.id) OR EXISTS (SELECT 1 FROM links l "
	    "WHERE l.blob = blob_candidates.id)")) != 0)
		goto out;
	if ((r = index_prep(ix, &st, "SELECT b.id, b.camera, b.stream FROM blob_candidates c "
	    "JOIN blobs b ON b.id = c.id WHERE b.sealed = 1 ORDER BY b.id LIMIT ?")) != 0)
		goto out;
	sqlite3_bind_int(st, 1, max);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < max) {
		out[n].id = sqlite3_column_int64(st, 0);
		if (index_col_hex(st, 1, out[n].camera_id, CAMERA_ID_LEN) != 0)
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
	sqlite3_stmt *st = NULL, *cand = NULL;
	int r;

	pthread_mutex_lock(&ix->mu);
	if ((r = index_exec(ix, "BEGIN")) != 0)
		goto out;
	if ((r = index_prep(ix, &st, "DELETE FROM blobs WHERE id = ? AND NOT EXISTS "
	    "(SELECT 1 FROM links l WHERE l.blob = blobs.id)")) != 0 ||
	    (r = index_prep(ix, &cand, "DELETE FROM blob_candidates WHERE id = ?")) != 0)
		goto rollback;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(cand, 1, id);
	if ((r = index_step_done(ix, st)) != 0 || (r = index_step_done(ix, cand)) != 0)
		goto rollback;
	if ((r = index_exec(ix, "COMMIT")) == 0)
		goto out;
rollback:
	index_exec(ix, "ROLLBACK");
out:
	sqlite3_finalize(st);
	sqlite3_finalize(cand);
	pthread_mutex_unlock(&ix->mu);
	return r;
}
