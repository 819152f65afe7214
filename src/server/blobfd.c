/* blobfd.c - a small bounded cache of read-only blob descriptors: a linear table under one mutex, least recently used out. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "server/blobfd.h"

struct blobfd_entry {
	uint8_t cam[CAMERA_ID_LEN];
	uint8_t stream;
	int64_t id;
	int fd;               /* -1: free slot */
	uint64_t used;        /* tick of the last get (least recently used goes first) */
};

struct blobfd {
	pthread_mutex_t mu;
	size_t max;
	uint64_t tick;
	struct blobfd_entry e[BLOBFD_MAX];
};

struct blobfd *
blobfd_new(size_t max)
{
	struct blobfd *c;

	if (max == 0 || max > BLOBFD_MAX || (c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	if (pthread_mutex_init(&c->mu, NULL) != 0) {
		free(c);
		return NULL;
	}
	c->max = max;
	for (size_t i = 0; i < BLOBFD_MAX; i++)
		c->e[i].fd = -1;
	return c;
}

void
blobfd_free(struct blobfd *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->max; i++)
		if (c->e[i].fd >= 0)
			close(c->e[i].fd);
	pthread_mutex_destroy(&c->mu);
	free(c);
}

/* The slot holding (cam, stream, id), or NULL. The caller holds the lock. */
static struct blobfd_entry *
find(struct blobfd *c, const uint8_t cam[CAMERA_ID_LEN], uint8_t stream, int64_t id)
{
	for (size_t i = 0; i < c->max; i++) {
		struct blobfd_entry *e = &c->e[i];

		if (e->fd >= 0 && e->id == id && e->stream == stream &&
		    memcmp(e->cam, cam, CAMERA_ID_LEN) == 0)
			return e;
	}
	return NULL;
}

/* A free slot, or the least recently used one emptied. The caller holds the lock. */
static struct blobfd_entry *
victim(struct blobfd *c)
{
	struct blobfd_entry *v = &c->e[0];

	for (size_t i = 0; i < c->max; i++) {
		if (c->e[i].fd < 0)
			return &c->e[i];
		if (c->e[i].used < v->used)
			v = &c->e[i];
	}
	close(v->fd);
	v->fd = -1;
	return v;
}

int
blobfd_get(struct blobfd *c, const uint8_t cam[CAMERA_ID_LEN], uint8_t stream, int64_t id,
    const char *path, int *fd)
{
	struct blobfd_entry *e;
	int r = BLOBFD_E_IO, nfd;

	*fd = -1;
	pthread_mutex_lock(&c->mu);
	if ((e = find(c, cam, stream, id)) == NULL) {
		if ((nfd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
			r = errno == ENOENT ? BLOBFD_E_NOTFOUND : BLOBFD_E_IO;
			goto out;
		}
		e = victim(c);
		memcpy(e->cam, cam, CAMERA_ID_LEN);
		e->stream = stream;
		e->id = id;
		e->fd = nfd;
	}
	e->used = ++c->tick;
	/* The caller's own descriptor (MHD closes it with its response); same open file, and
	 * sendfile/pread take explicit offsets, so sharing the file position is harmless. */
	if ((*fd = fcntl(e->fd, F_DUPFD_CLOEXEC, 0)) < 0)
		goto out;
	r = 0;
out:
	pthread_mutex_unlock(&c->mu);
	return r;
}

int
blobfd_unlink(struct blobfd *c, const uint8_t cam[CAMERA_ID_LEN], uint8_t stream, int64_t id,
    const char *path)
{
	struct blobfd_entry *e;
	int r = 0, err = 0;

	pthread_mutex_lock(&c->mu);
	if ((e = find(c, cam, stream, id)) != NULL) {
		close(e->fd);
		e->fd = -1;
	}
	if (unlink(path) != 0 && errno != ENOENT) {
		err = errno;
		r = BLOBFD_E_IO;
	}
	pthread_mutex_unlock(&c->mu);
	if (r != 0)
		errno = err;
	return r;
}

size_t
blobfd_count(struct blobfd *c)
{
	size_t n = 0;

	pthread_mutex_lock(&c->mu);
	for (size_t i = 0; i < c->max; i++)
		n += c->e[i].fd >= 0;
	pthread_mutex_unlock(&c->mu);
	return n;
}
