/* mp4out.c - the fragmented MP4 file writer of vigil export (init once per file, then moof+mdat). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli/mp4out.h"

#define MP4OUT_PATH_MAX 4096

struct mp4out {
	char base[MP4OUT_PATH_MAX];   /* path without the extension */
	char ext[32];                 /* ".mp4" or "" */
	FILE *f;
	uint8_t *init;                /* the current file's codec NUL init */
	size_t init_len;
	char **parts;
	size_t nparts;
};

struct mp4out *
mp4out_new(const char *path)
{
	struct mp4out *m;
	const char *dot, *slash;
	size_t n = strlen(path), b;

	if (n == 0 || n >= MP4OUT_PATH_MAX)
		return NULL;
	m = calloc(1, sizeof(*m));
	if (m == NULL)
		return NULL;
	dot = strrchr(path, '.');
	slash = strrchr(path, '/');
	if (dot != NULL && (slash == NULL || dot > slash + 1) && strlen(dot) < sizeof(m->ext))
		b = (size_t)(dot - path);
	else
		b = n;
	memcpy(m->base, path, b);
	m->base[b] = '\0';
	memcpy(m->ext, path + b, n - b);
	m->ext[n - b] = '\0';
	return m;
}

static int
open_part(struct mp4out *m)
{
	char path[MP4OUT_PATH_MAX + 48];
	char **parts;
	int fd;

	if (m->nparts >= MP4OUT_MAX_PARTS) {
		errno = EMLINK;
		return -1;
	}
	if (m->nparts == 0)
		snprintf(path, sizeof(path), "%s%s", m->base, m->ext);
	else
		snprintf(path, sizeof(path), "%s-%zu%s", m->base, m->nparts + 1, m->ext);
	parts = realloc(m->parts, (m->nparts + 1) * sizeof(*parts));
	if (parts == NULL)
		return -1;
	m->parts = parts;
	m->parts[m->nparts] = strdup(path);
	if (m->parts[m->nparts] == NULL)
		return -1;
	/* Decrypted footage: readable by the owner only until they choose otherwise. */
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		free(m->parts[m->nparts]);
		return -1;
	}
	m->nparts++;
	m->f = fdopen(fd, "wb");
	if (m->f == NULL) {
		close(fd);
		return -1;
	}
	return 0;
}

int
mp4out_finish(struct mp4out *m)
{
	int ret = 0;

	if (m->f == NULL)
		return 0;
	if (fflush(m->f) != 0 || fsync(fileno(m->f)) != 0)
		ret = -1;
	if (fclose(m->f) != 0)
		ret = -1;
	m->f = NULL;
	return ret;
}

int
mp4out_init(struct mp4out *m, const char *codec, const uint8_t *init, size_t len,
    int *new_part)
{
	size_t clen = strlen(codec);
	uint8_t *key;

	if (new_part != NULL)
		*new_part = 0;
	if (clen > SIZE_MAX - 1 - len) {
		errno = EOVERFLOW;
		return -1;
	}
	key = malloc(clen + 1 + len + 1);
	if (key == NULL)
		return -1;
	memcpy(key, codec, clen + 1);
	if (len > 0)
		memcpy(key + clen + 1, init, len);
	if (m->f != NULL && m->init_len == clen + 1 + len &&
	    memcmp(m->init, key, m->init_len) == 0) {
		free(key);
		return 0;
	}
	if (mp4out_finish(m) != 0 || open_part(m) != 0) {
		free(key);
		return -1;
	}
	free(m->init);
	m->init = key;
	m->init_len = clen + 1 + len;
	if (new_part != NULL)
		*new_part = 1;
	if (len > 0 && fwrite(init, 1, len, m->f) != len)
		return -1;
	return 0;
}

int
mp4out_media(struct mp4out *m, const uint8_t *body, size_t len)
{
	if (m->f == NULL) {
		errno = EINVAL;
		return -1;
	}
	if (len > 0 && fwrite(body, 1, len, m->f) != len)
		return -1;
	return 0;
}

void
mp4out_abort(struct mp4out *m)
{
	size_t i;

	if (m->f != NULL) {
		fclose(m->f);
		m->f = NULL;
	}
	for (i = 0; i < m->nparts; i++)
		(void)unlink(m->parts[i]);
}

size_t
mp4out_nparts(const struct mp4out *m)
{
	return m->nparts;
}

const char *
mp4out_part(const struct mp4out *m, size_t i)
{
	return i < m->nparts ? m->parts[i] : NULL;
}

void
mp4out_free(struct mp4out *m)
{
	size_t i;

	if (m == NULL)
		return;
	if (m->f != NULL)
		fclose(m->f);
	for (i = 0; i < m->nparts; i++)
		free(m->parts[i]);
	free(m->parts);
	free(m->init);
	free(m);
}
