/* index_int.h - the SQLite index's private state, shared by its engine files (index_sqlite.c, index_spans.c) and nothing else. */
#ifndef VIGIL_SERVER_INDEX_INT_H
#define VIGIL_SERVER_INDEX_INT_H

#include <pthread.h>
#include <sqlite3.h>
#include "server/index.h"

#define INDEX_SPANS_STMTS 5
#define INDEX_LINK_STMTS 9
#define INDEX_KEY_CACHE 8

struct index {
	sqlite3 *db;
	pthread_mutex_t mu;	/* one connection shared by the HTTP and retention threads */
	/* index_spans.c's statements for the ingest path, prepared once (under mu). */
	sqlite3_stmt *spans_st[INDEX_SPANS_STMTS];
	/* index_sqlite.c's statements for the per-request and ingest paths, prepared once. */
	sqlite3_stmt *link_st[INDEX_LINK_STMTS];
	/* index_totals.c's upsert, run once per link added. */
	sqlite3_stmt *totals_add;
	/* Committed camera_keys rows seen lately; a removed camera's entry is forgotten when its
	 * row is renamed (index_key_forget_locked), so an entry is never stale. */
	struct { uint8_t id[CAMERA_ID_LEN]; int64_t key; int used; } keys[INDEX_KEY_CACHE];
	unsigned keys_next;
	/* Most links one retention, quota or purge call deletes (index_set_delete_batch). */
	int delete_batch;
};

/* The spans table and its indexes (index_spans.c), created with the rest of the schema. */
extern const char *const index_spans_schema[];
extern const size_t index_spans_schema_len;
/* Extend or create the span that covers one newly added segment link, merging it with the
 * next span when it closes the gap between them. The caller holds the lock and an open
 * transaction. 0 or INDEX_E_IO. */
int index_spans_add_locked(struct index *ix, int64_t key, const struct index_link *l);
/* After links were deleted: cut every stream's spans so that none starts before its oldest
 * remaining segment link, and drop spans of streams left without links. The caller holds
 * the lock and an open transaction. 0 or INDEX_E_IO. */
int index_spans_trim_locked(struct index *ix);
/* Finalize the cached statements (index_close). */
void index_spans_close(struct index *ix);
/* Build the spans of an index created before spans existed (no-op when spans are present or
 * there are no links). The caller holds the lock. 0 or INDEX_E_IO. */
int index_spans_rebuild_locked(struct index *ix);
/* Convert a spans table of the first schema (hex camera ids) to camera keys; the caller holds
 * the lock and the migration's transaction, and camera_keys is filled. 0 or INDEX_E_IO. */
int index_spans_migrate_locked(struct index *ix);
/* Give a spans table from before span kinds its kind column (every row recorded); no-op
 * when it has one. The caller holds the lock. 0 or INDEX_E_IO. */
int index_spans_add_kind_locked(struct index *ix);
/* index_sqlite.c's helpers for the other engine files; the caller holds the lock. Run SQL
 * that returns no rows (0 or INDEX_E_IO, logged); prepare (0 or INDEX_E_IO, *st NULL);
 * step a statement to its end (0, INDEX_E_DUP on a constraint, INDEX_E_IO); decode a hex
 * text column into n bytes (0 or -1). */
int index_exec(struct index *ix, const char *sql);
int index_prep(struct index *ix, sqlite3_stmt **st, const char *sql);
int index_step_done(struct index *ix, sqlite3_stmt *st);
int index_col_hex(sqlite3_stmt *st, int i, uint8_t *out, size_t n);

/* Per-stream link counts and bytes (index_totals.c). The table; whether it exists yet (an
 * index written before it did not have it); fill it from the links in one transaction;
 * add a delta to a stream's row, creating it (the caller holds an open transaction);
 * delete rows left with no links; the bytes of all streams. 0 or INDEX_E_IO. */
extern const char *const index_totals_schema;
int index_totals_exist(struct index *ix);
int index_totals_fill(struct index *ix);
int index_totals_add_locked(struct index *ix, int64_t key, uint8_t stream, int64_t links,
    int64_t bytes);
int index_totals_drop_empty_locked(struct index *ix);
int index_totals_bytes_locked(struct index *ix, uint64_t *out);

/* Orphan candidates (index_blobs.c): the table; whether it exists yet; list every sealed
 * blob (an index written before the table); list the blobs named by select_ids, a SELECT of
 * blob ids taking ?1 camera key, ?2 stream, ?3 a bound (the caller holds an open
 * transaction). 0 or INDEX_E_IO. */
extern const char *const index_blobs_schema;
int index_blobs_exist(struct index *ix);
int index_blobs_fill(struct index *ix);
int index_blobs_candidates_locked(struct index *ix, const char *select_ids, int64_t key, int stream,
    int64_t bound);

/* The integer key of a camera id (table camera_keys): 1 and *key when known, 0 when the
 * camera has no key (create == 0), or INDEX_E_IO. With create, a missing key is added in its
 * own statement; the caller must not be inside a transaction it may roll back. */
int index_camera_key_locked(struct index *ix, const uint8_t cam[CAMERA_ID_LEN], int create,
    int64_t *key);
/* Removed cameras still being purged and their links' bytes (index_quota.c). 0 or
 * INDEX_E_IO. */
int index_purge_pending_locked(struct index *ix, int64_t *cameras, int64_t *bytes);
/* Drop a camera id from the key cache (its camera_keys row was renamed). */
void index_key_forget_locked(struct index *ix, const uint8_t cam[CAMERA_ID_LEN]);

#endif
