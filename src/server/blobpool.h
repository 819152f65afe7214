/* blobpool.h - the open blobs per camera stream: one writer at a time each, sealed by age or size. */
#ifndef VIGIL_SERVER_BLOBPOOL_H
#define VIGIL_SERVER_BLOBPOOL_H

#include <stdint.h>
#include "common/segment.h"

/* A blob is sealed once it is this old or this large (checked between links). */
#define BLOB_MAX_AGE_US (60LL * 1000000)
#define BLOB_MAX_BYTES (64ull * 1024 * 1024)

struct index;
struct store;
struct store_blob;
struct blobpool;

struct blobpool *blobpool_new(struct index *ix, struct store *st);
/* Seal every open blob and free; NULL-safe. Nothing may be acquired. */
void blobpool_free(struct blobpool *bp);

/* Take an idle open blob of (cam, stream) for writing one link, opening a new one when
 * none is idle (concurrent uploads never interleave inside a blob). 0 or -1. */
int blobpool_acquire(struct blobpool *bp, const uint8_t cam[CAMERA_ID_LEN], uint8_t stream,
    int64_t now, struct store_blob **out);
/* Hand a blob back; broken when a write failed (never handed out again, sealed by the
 * next tick). Never seals: that is blobpool_tick's, off the ingest thread. */
void blobpool_release(struct blobpool *bp, struct store_blob *b, int broken, int64_t now);
/* Keep an open blob's descriptor open (no sealing) until the matching unpin: taken by the
 * writer, while it still holds the blob, for each link handed to the syncer. Other writers
 * may still acquire it and append. */
void blobpool_pin(struct blobpool *bp, struct store_blob *b);
/* Drop one pin; the next tick seals the blob once it is idle, unpinned and broken, full or
 * old. */
void blobpool_unpin(struct blobpool *bp, struct store_blob *b, int64_t now);
/* A removed camera: its open blobs are sealed at the next tick and never written again. */
void blobpool_retire_camera(struct blobpool *bp, const uint8_t cam[CAMERA_ID_LEN]);
/* Called about every second off the ingest thread: seal idle, unpinned blobs that are
 * broken, full or older than BLOB_MAX_AGE_US (outside the pool's lock), and open the next
 * blob of each stream written lately whose blob is within 10 s of its age. */
void blobpool_tick(struct blobpool *bp, int64_t now);

#endif
