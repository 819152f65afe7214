/* index.h - the metadata index: gateways, cameras, blobs and chain links (SQLite now, PostgreSQL next). */
#ifndef VIGIL_SERVER_INDEX_H
#define VIGIL_SERVER_INDEX_H

#include <stddef.h>
#include <stdint.h>
#include "common/segment.h"

struct index;

enum link_kind { LINK_SEGMENT = 0, LINK_GAP = 1 };

/* One chain link as indexed: where its records live and what time it covers. */
struct index_link {
	uint8_t camera_id[CAMERA_ID_LEN];
	uint8_t stream;
	uint64_t seq;
	uint64_t last_seq;
	int kind;
	int64_t start_us;
	int64_t end_us;
	int64_t blob_id;
	uint64_t offset;
	uint64_t length;
	/* A gap's signed reason (enum gap_reason), 0 for a segment. Not stored with the link:
	 * it decides which spans a gap extends (index_spans_range). */
	int gap_reason;
};

/* One camera stream as summarised for the camera list. */
struct index_stream_summary {
	uint8_t camera_id[CAMERA_ID_LEN];
	uint8_t stream;
	int64_t first_us;
	int64_t last_us;
	int64_t segments;
	int64_t bytes;
};

/* A blob the index knows about (for retention). */
struct index_blob {
	int64_t id;
	uint8_t camera_id[CAMERA_ID_LEN];
	uint8_t stream;
};

#define INDEX_E_IO (-1)       /* the database failed */
#define INDEX_E_OWNER (-2)    /* camera owned by another gateway */
#define INDEX_E_NOTFOUND (-3)
#define INDEX_E_DUP (-4)      /* link already indexed */

/* Open or create the database at path (WAL, synchronous=FULL). *ixp owns it. 0 or INDEX_E_IO. */
int index_open(struct index **ixp, const char *path);
/* Close; NULL-safe. */
void index_close(struct index *ix);

/* Register a gateway key: 1 when added, 0 when it was already there, or INDEX_E_IO. */
int index_gateway_add(struct index *ix, const uint8_t gw[GATEWAY_ID_LEN]);
/* 1 when the gateway is registered, 0 when not, or INDEX_E_IO. */
int index_gateway_exists(struct index *ix, const uint8_t gw[GATEWAY_ID_LEN]);

/* Make gw the owner of the camera if it has none: 0 when gw owns it (now or before),
 * INDEX_E_OWNER when another gateway does, INDEX_E_IO. */
int index_camera_claim(struct index *ix, const uint8_t cam[CAMERA_ID_LEN],
    const uint8_t gw[GATEWAY_ID_LEN]);
/* Set a camera's maximum age in seconds: 0, INDEX_E_NOTFOUND, INDEX_E_IO. */
int index_camera_set_retention(struct index *ix, const uint8_t cam[CAMERA_ID_LEN], int64_t max_age_s);
/* A camera's own maximum age (index_retention.c): 1 and *max_age_s when set, 0 when unset
 * (the server's default applies), INDEX_E_NOTFOUND, INDEX_E_IO. */
int index_camera_retention(struct index *ix, const uint8_t cam[CAMERA_ID_LEN], int64_t *max_age_s);

/* Create a blob row for a new open blob; *id receives its id. 0 or INDEX_E_IO. */
int index_blob_new(struct index *ix, const uint8_t cam[CAMERA_ID_LEN], uint8_t stream,
    int64_t created_us, int64_t *id);
/* Mark a blob sealed (no more appends). 0 or INDEX_E_IO. */
int index_blob_seal(struct index *ix, int64_t id, uint64_t size);
/* Seal every blob left open by an earlier run. 0 or INDEX_E_IO. */
int index_blob_seal_all(struct index *ix);
/* Sealed blobs that no link references any more, at most max of them. Count or INDEX_E_IO. */
int index_blob_orphans(struct index *ix, struct index_blob *out, int max);
/* Forget a blob row (after its file was removed). 0 or INDEX_E_IO. */
int index_blob_delete(struct index *ix, int64_t id);

/* Add a link in its own transaction: 0, INDEX_E_DUP, INDEX_E_NOTFOUND or INDEX_E_IO. */
int index_link_add(struct index *ix, const struct index_link *l);
/* Add n links in one transaction (one commit, one WAL sync: group commit). res[i] gets 0,
 * INDEX_E_DUP (already indexed; the other rows still go in) or INDEX_E_NOTFOUND (its camera
 * is not claimed by a gateway, or was removed: not added). Returns 0 when committed, or
 * INDEX_E_IO with nothing committed. */
int index_links_add(struct index *ix, const struct index_link *l, size_t n, int *res);
/* 1 when (cam, stream, seq) is indexed, 0 when not, or INDEX_E_IO. */
int index_link_exists(struct index *ix, const uint8_t cam[CAMERA_ID_LEN], uint8_t stream, uint64_t seq);
/* Highest indexed last_seq of a stream: 1 (found, *seq set), 0 (none), INDEX_E_IO. */
int index_link_max_seq(struct index *ix, const uint8_t cam[CAMERA_ID_LEN], uint8_t stream, uint64_t *seq);
/* One link: 0, INDEX_E_NOTFOUND, INDEX_E_IO. */
int index_link_get(struct index *ix, const uint8_t cam[CAMERA_ID_LEN], uint8_t stream, uint64_t seq,
    struct index_link *out);

/* Links overlapping [from, to) in seq order; cb returns nonzero to stop. At most max rows.
 * A listing: the links carry no storage location (blob_id -1, offset 0); index_link_get
 * has it. Count of rows passed, or INDEX_E_IO. */
typedef int (*index_link_fn)(void *ctx, const struct index_link *l);
int index_links_range(struct index *ix, const uint8_t cam[CAMERA_ID_LEN], uint8_t stream,
    int64_t from, int64_t to, int max, index_link_fn cb, void *ctx);

/* A stream's time as spans of one kind: runs of segments (or of "no motion" gaps) with no
 * hole over a second. Spans overlapping [from, to) in time order, at most max; cb returns
 * nonzero to stop. Count of spans passed, or INDEX_E_IO. Reads a handful of rows for a
 * month of continuous footage. */
typedef int (*index_span_fn)(void *ctx, int64_t start_us, int64_t end_us);
/* What a span stands for: recorded footage, or time the gateway signed as "no motion"
 * (GAP_MOTION_IDLE gaps of a camera that records on motion only, runs of them merged the
 * same way). */
enum span_kind { SPAN_RECORDED = 0, SPAN_PAUSED = 1 };
int index_spans_range(struct index *ix, const uint8_t cam[CAMERA_ID_LEN], uint8_t stream,
    int kind, int64_t from, int64_t to, int max, index_span_fn cb, void *ctx);

/* Every camera stream with stored links. Count or INDEX_E_IO. */
typedef int (*index_stream_fn)(void *ctx, const struct index_stream_summary *s);
int index_streams_list(struct index *ix, int max, index_stream_fn cb, void *ctx);
/* The same from the first camera whose id is above after (NULL: from the first), in id
 * order: a caller pages through the cameras, releasing the index between pages. Returns
 * the rows read (max: there may be more), which may exceed the streams passed to cb. */
int index_streams_list_after(struct index *ix, const uint8_t after[CAMERA_ID_LEN], int max,
    index_stream_fn cb, void *ctx);

/*
 * Deletion is bounded: one call of index_expire, index_expire_cameras or index_purge_removed
 * deletes at most INDEX_DELETE_BATCH links (index_set_delete_batch) in one transaction and
 * releases the lock, so ingest and viewers wait for one batch, never for a whole history;
 * the caller (retention.c) calls again while a call reports more. Each batch is a
 * transaction of its own: a crash between batches leaves a consistent index, and the next
 * pass goes on where it stopped.
 */
#define INDEX_DELETE_BATCH 2048
void index_set_delete_batch(struct index *ix, int n);
/* Retention: delete, in one transaction, links whose end is older than now minus the
 * camera's max age (default_max_age_s when the camera has none; <= 0 disables), then the
 * oldest links while total bytes exceed quota (0 disables), at most one batch. *deleted
 * gets the count. 1 when the batch was full (call again), 0 when nothing more is due, or
 * INDEX_E_IO. */
int index_expire(struct index *ix, int64_t now, int64_t default_max_age_s, uint64_t quota,
    int64_t *deleted);
/* A set of cameras (an organization's, index_quota.c): the bytes of their links, and the
 * deletion of their oldest links, one batch in one transaction, until those bytes are at
 * most quota; *deleted gets the count. Cameras the index does not know count as empty.
 * index_cameras_bytes: 0 or INDEX_E_IO; index_expire_cameras: 1 when the batch was full
 * (call again), 0, or INDEX_E_IO. */
int index_cameras_bytes(struct index *ix, const uint8_t (*cams)[CAMERA_ID_LEN], size_t n,
    uint64_t *bytes);
int index_expire_cameras(struct index *ix, const uint8_t (*cams)[CAMERA_ID_LEN], size_t n,
    uint64_t quota, int64_t *deleted);
/* A removed camera, in one small transaction: its gateway binding and retention go (so
 * ingest must claim it anew), its spans go (nothing of it is listed), and its links are
 * handed to index_purge_removed under a key no camera id maps to any more (a camera added
 * again with the same id starts clean). *links and *bytes get what it held. 0 or
 * INDEX_E_IO. */
int index_camera_remove(struct index *ix, const uint8_t cam[CAMERA_ID_LEN], int64_t *links,
    int64_t *bytes);
/* Delete one batch of removed cameras' links (their blobs become orphan candidates, which
 * retention unlinks), and forget a removed camera once it has none. *deleted gets the
 * count. 1 when more remain, 0 when none, or INDEX_E_IO. */
int index_purge_removed(struct index *ix, int64_t *deleted);
/* Removed cameras still being purged and the bytes of their remaining links. 0 or
 * INDEX_E_IO. */
int index_purge_pending(struct index *ix, int64_t *cameras, int64_t *bytes);
/* Total bytes of indexed links. 0 or INDEX_E_IO. */
int index_total_bytes(struct index *ix, uint64_t *out);

#endif
