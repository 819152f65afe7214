/* store_disk.c - the blob store on a local file system: DIR/blobs/<camera>/<stream>/<id>.blob. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>
#include "common/util.h"
#include "server/blobfd.h"
#include "server/store.h"

#define STORE_PATH_MAX 4096
/* Read descriptors kept open for downloads (blobfd.h): a blob serves many links. */
#define STORE_READ_FDS 64

struct store {
	char root[STORE_PATH_MAX];
	struct blobfd *fds;   /* read descriptors of recently served blobs */
};

/* The writer (one link at a time) appends and reads size; the syncer thread may sync the
 * same blob concurrently, so the only field both touch, failed, is atomic. */
struct store_blob {
	int fd;
	int64_t id;
	uint64_t size;
	atomic_int failed;
	char *dir;            /* until its entry is fsync'd: the directory holding the blob */
};

int
store_open(struct store **sp, const char *dir)
{
	struct store *s;
	int n;

	*sp = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return STORE_E_IO;
	if ((s->fds = blobfd_new(STORE_READ_FDS)) == NULL) {
		free(s);
		return STORE_E_IO;
	}
	n = snprintf(s->root, sizeof(s->root), "%s/blobs", dir);
	if (n < 0 || (size_t)n >= sizeof(s->root) - 128 || mkdir_p(s->root, 0700) != 0) {
		log_err("store", "op=open dir=%s err=\"%s\"", dir, strerror(errno));
		blobfd_free(s->fds);
		free(s);
		return STORE_E_IO;
	}
	*sp = s;
	return 0;
}

void
store_close(struct store *s)
{
	if (s == NULL)
		return;
	blobfd_free(s->fds);
	free(s);
}

/* dir gets DIR/blobs/<camera>/<stream>; path (if not NULL) the blob file. */
static int
blob_paths(const struct store *s, const uint8_t cam[CAMERA_ID_LEN], uint8_t stream, int64_t id,
    char *dir, size_t dirlen, char *path, size_t pathlen)
{
	char hex[2 * CAMERA_ID_LEN + 1];
	int n;

	if (id < 0)
		return STORE_E_IO;
	hex_encode(cam, CAMERA_ID_LEN, hex);
	n = snprintf(dir, dirlen, "%s/%s/%u", s->root, hex, (unsigned)stream);
	if (n < 0 || (size_t)n >= dirlen)
		return STORE_E_IO;
	if (path != NULL) {
		n = snprintf(path, pathlen, "%s/%lld.blob", dir, (long long)id);
		if (n < 0 || (size_t)n >= pathlen)
			return STORE_E_IO;
	}
	return 0;
}

int
store_blob_create(struct store *s, const uint8_t cam[CAMERA_ID_LEN], uint8_t stream, int64_t id,
    struct store_blob **bp)
{
	char dir[STORE_PATH_MAX], path[STORE_PATH_MAX];
	struct store_blob *b = NULL;
	int r = STORE_E_IO;

	*bp = NULL;
	if (blob_paths(s, cam, stream, id, dir, sizeof(dir), path, sizeof(path)) != 0)
		goto out;
	if (mkdir_p(dir, 0700) != 0)
		goto out;
	if ((b = calloc(1, sizeof(*b))) == NULL)
		goto out;
	b->id = id;
	/* O_EXCL: blob ids come from the index and are never reused. */
	if ((b->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600)) < 0) {
		log_err("store", "op=create path=%s err=\"%s\"", path, strerror(errno));
		goto out;
	}
	/* The new directory entry must survive a crash before any link in the blob is indexed;
	 * the first store_blob_sync fsyncs the directory (on the syncer, off the HTTP thread). */
	if ((b->dir = strdup(dir)) == NULL) {
		close(b->fd);
		goto out;
	}
	*bp = b;
	b = NULL;
	r = 0;
out:
	free(b);
	return r;
}

int
store_blob_append(struct store_blob *b, const void *p, size_t n)
{
	return store_blob_append2(b, p, n, NULL, 0);
}

int
store_blob_append2(struct store_blob *b, const void *p1, size_t n1, const void *p2, size_t n2)
{
	struct iovec iov[2] = { { (void *)(uintptr_t)p1, n1 }, { (void *)(uintptr_t)p2, n2 } };
	struct iovec *v = iov;
	int cnt = n2 > 0 ? 2 : 1;
	ssize_t w;

	if (atomic_load(&b->failed))
		return STORE_E_IO;
	/* One writev for a record's header and payload: half the syscalls of two writes. */
	while (cnt > 0) {
		if (v->iov_len == 0) {
			v++;
			cnt--;
			continue;
		}
		w = writev(b->fd, v, cnt);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			log_err("store", "op=append blob=%lld err=\"%s\"", (long long)b->id,
			    strerror(errno));
			atomic_store(&b->failed, 1);
			return STORE_E_IO;
		}
		b->size += (uint64_t)w;
		/* A short write: skip what went out and go on with the rest. */
		while (cnt > 0 && (size_t)w >= v->iov_len) {
			w -= (ssize_t)v->iov_len;
			v++;
			cnt--;
		}
		if (cnt > 0) {
			v->iov_base = (uint8_t *)v->iov_base + w;
			v->iov_len -= (size_t)w;
		}
	}
	return 0;
}

int
store_blob_sync(struct store_blob *b)
{
	/* After a failed fdatasync the kernel may have dropped the dirty pages and a later
	 * fdatasync can succeed without them: the blob stays failed for good. */
	if (atomic_load(&b->failed))
		return STORE_E_IO;
	if (b->dir != NULL) {
		if (fsync_dir(b->dir) != 0) {
			log_err("store", "op=sync_dir blob=%lld err=\"%s\"", (long long)b->id,
			    strerror(errno));
			atomic_store(&b->failed, 1);
			return STORE_E_IO;
		}
		free(b->dir);
		b->dir = NULL;
	}
	if (fdatasync(b->fd) != 0) {
		log_err("store", "op=sync blob=%lld err=\"%s\"", (long long)b->id, strerror(errno));
		atomic_store(&b->failed, 1);
		return STORE_E_IO;
	}
	return 0;
}

uint64_t
store_blob_size(const struct store_blob *b)
{
	return b->size;
}

int64_t
store_blob_id(const struct store_blob *b)
{
	return b->id;
}

void
store_blob_close(struct store_blob *b)
{
	if (b == NULL)
		return;
	close(b->fd);
	free(b->dir);
	free(b);
}

int
store_blob_open_read(struct store *s, const uint8_t cam[CAMERA_ID_LEN], uint8_t stream, int64_t id,
    int *fd)
{
	char dir[STORE_PATH_MAX], path[STORE_PATH_MAX];
	int r;

	*fd = -1;
	if (blob_paths(s, cam, stream, id, dir, sizeof(dir), path, sizeof(path)) != 0)
		return STORE_E_IO;
	/* A cached descriptor saves the path walk of an open per download. */
	r = blobfd_get(s->fds, cam, stream, id, path, fd);
	return r == BLOBFD_E_NOTFOUND ? STORE_E_NOTFOUND : r != 0 ? STORE_E_IO : 0;
}

int
store_blob_remove(struct store *s, const uint8_t cam[CAMERA_ID_LEN], uint8_t stream, int64_t id)
{
	char dir[STORE_PATH_MAX], path[STORE_PATH_MAX];

	if (blob_paths(s, cam, stream, id, dir, sizeof(dir), path, sizeof(path)) != 0)
		return STORE_E_IO;
	/* The cached read descriptor goes with the file, or its space would stay in use. */
	if (blobfd_unlink(s->fds, cam, stream, id, path) != 0) {
		log_err("store", "op=remove path=%s err=\"%s\"", path, strerror(errno));
		return STORE_E_IO;
	}
	return 0;
}
