/* store.h - where link bytes live: append-only blobs per camera stream (local disk now, S3 next). */
#ifndef VIGIL_SERVER_STORE_H
#define VIGIL_SERVER_STORE_H

#include <stddef.h>
#include <stdint.h>
#include "common/segment.h"

struct store;
struct store_blob;

#define STORE_E_IO (-1)
#define STORE_E_NOTFOUND (-2)

/* Open the store rooted at dir (blobs under dir/blobs/). 0 or STORE_E_IO. */
int store_open(struct store **sp, const char *dir);
void store_close(struct store *s);

/* Create a new empty blob for a camera stream with the index's blob id. 0 or STORE_E_IO. */
int store_blob_create(struct store *s, const uint8_t cam[CAMERA_ID_LEN], uint8_t stream,
    int64_t id, struct store_blob **bp);
/* Append n bytes at the end. 0 or STORE_E_IO (the blob is then unusable: seal it). */
int store_blob_append(struct store_blob *b, const void *p, size_t n);
/* The same for two buffers one after the other (a record's header and payload) in one
 * system call where the kernel takes them whole. */
int store_blob_append2(struct store_blob *b, const void *p1, size_t n1, const void *p2, size_t n2);
/* Make everything appended so far durable, and on the first call the blob's directory entry
 * too (creation does not wait for it). 0 or STORE_E_IO (the blob then stays failed). The
 * syncer may call it while the writer appends to the same blob, never twice at once. */
int store_blob_sync(struct store_blob *b);
/* Bytes appended so far (the offset the next append lands at). */
uint64_t store_blob_size(const struct store_blob *b);
int64_t store_blob_id(const struct store_blob *b);
/* Close an open blob (after a final sync by the caller); NULL-safe. */
void store_blob_close(struct store_blob *b);

/* Open a blob for reading; *fd receives a descriptor the caller owns. 0, STORE_E_NOTFOUND
 * or STORE_E_IO. */
int store_blob_open_read(struct store *s, const uint8_t cam[CAMERA_ID_LEN], uint8_t stream,
    int64_t id, int *fd);
/* Delete a whole blob; a blob already gone counts as deleted. 0 or STORE_E_IO. */
int store_blob_remove(struct store *s, const uint8_t cam[CAMERA_ID_LEN], uint8_t stream, int64_t id);

#endif
