/* blobfd.h - a small bounded cache of read-only blob descriptors, shared by the HTTP and retention threads. */
#ifndef VIGIL_SERVER_BLOBFD_H
#define VIGIL_SERVER_BLOBFD_H

#include <stddef.h>
#include <stdint.h>
#include "common/segment.h"

#define BLOBFD_E_IO (-1)
#define BLOBFD_E_NOTFOUND (-2)
/* Most descriptors one cache keeps open (the process reserves 256 beyond its connections). */
#define BLOBFD_MAX 64

struct blobfd;

/* A cache of at most max (1..BLOBFD_MAX) descriptors; NULL when out of memory. */
struct blobfd *blobfd_new(size_t max);
/* Close every cached descriptor and free; NULL-safe. */
void blobfd_free(struct blobfd *c);

/* A read-only descriptor of blob (cam, stream, id) at path, which the caller owns and
 * closes: a duplicate of the cached one, or of one opened now (and cached, the least
 * recently used entry closed when full). 0, BLOBFD_E_NOTFOUND (no such file) or
 * BLOBFD_E_IO. */
int blobfd_get(struct blobfd *c, const uint8_t cam[CAMERA_ID_LEN], uint8_t stream, int64_t id,
    const char *path, int *fd);

/* Close the cached descriptor of (cam, stream, id), if any, and unlink path, as one step
 * under the cache's lock, so that no get can cache the file between the two (a deleted
 * blob's space is freed once the descriptors handed out are closed). An absent file is
 * fine. 0 or BLOBFD_E_IO (errno set). */
int blobfd_unlink(struct blobfd *c, const uint8_t cam[CAMERA_ID_LEN], uint8_t stream, int64_t id,
    const char *path);

/* Descriptors cached now (tests). */
size_t blobfd_count(struct blobfd *c);

#endif
