/* spool.c - the gateway's bounded on-disk queue of chain links: durable commit, crash recovery, eviction and concurrent reading. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>

#include "common/util.h"
#include "gateway/spool.h"

#define SPOOL_PATH_MAX 4096
#define STATE_MAGIC "VSPST001"
#define STATE_LEN (8 + 8 + CHAIN_HASH_LEN + 8)
/* A leftover .open larger than this is not read back (a segment is a few MiB at most). */
#define SPOOL_RECOVER_MAX ((size_t)512 * 1024 * 1024)
#define SEG_HEADER_REC (RECORD_HDR_LEN + SEG_HEADER_LEN)
#define SEG_END_REC (RECORD_HDR_LEN + SEG_END_LEN)
#define GAP_REC (RECORD_HDR_LEN + GAP_LEN)

/* One link held by a stream's queue. */
struct link_ent {
	uint64_t seq;
	uint64_t id;      /* incarnation: changes when an eviction gap replaces the file */
	uint64_t size;
	int open;
	int is_gap;
};

struct spool_stream {
	struct spool *sp;
	struct spool_stream *next;
	char dir[SPOOL_PATH_MAX];
	uint8_t camera_id[CAMERA_ID_LEN];
	uint8_t stream;
	uint8_t sk[GATEWAY_SK_LEN];
	pthread_mutex_t mu;
	pthread_cond_t cv;        /* link events: begin, commit, ack, eviction, wake */
	pthread_cond_t dcv;       /* new bytes in the open link, and every link event */
	struct link_ent *ents;    /* sorted by seq */
	size_t nents, cap;
	uint64_t next_id;
	uint64_t changes;
	int fd;                   /* the producer's open link, -1 when none */
	uint64_t open_seq;
	uint64_t bytes;
};

struct spool {
	char dir[SPOOL_PATH_MAX];
	uint64_t max_bytes;
	pthread_mutex_t mu;
	struct spool_stream *streams;
	_Atomic uint64_t bytes;
};

/* What the spool needs to know about a closed link to chain around it. */
struct lmeta {
	int is_gap;
	uint64_t seq, last_seq;
	int64_t start_us, end_us;
	uint8_t prev[CHAIN_HASH_LEN];
	uint8_t next[CHAIN_HASH_LEN];
};

static int
path_link(const struct spool_stream *ss, uint64_t seq, int open, char *out, size_t n)
{
	int r = snprintf(out, n, "%s/%020llu.%s", ss->dir, (unsigned long long)seq,
	    open ? "open" : "link");

	return (r < 0 || (size_t)r >= n) ? -1 : 0;
}

static int
write_all(int fd, const void *p, size_t n)
{
	const uint8_t *q = p;
	ssize_t w;

	while (n > 0) {
		w = write(fd, q, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		q += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
pread_all(int fd, void *p, size_t n, off_t off)
{
	uint8_t *q = p;
	ssize_t r;

	while (n > 0) {
		r = pread(fd, q, n, off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		q += r;
		n -= (size_t)r;
		off += r;
	}
	return 0;
}

/* Read the first and last records of a closed link file: its seqs, times and hashes. */
static int
lmeta_read(const char *path, struct lmeta *m)
{
	uint8_t head[GAP_REC > SEG_HEADER_REC ? GAP_REC : SEG_HEADER_REC];
	uint8_t tail[SEG_END_REC];
	struct seg_header h;
	struct seg_end e;
	struct gap g;
	struct stat st;
	int fd, ret = -1;

	memset(m, 0, sizeof(*m));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) != 0 || st.st_size < (off_t)RECORD_HDR_LEN)
		goto out;
	if (st.st_size == (off_t)GAP_REC) {
		if (pread_all(fd, head, GAP_REC, 0) != 0 || head[4] != REC_GAP ||
		    be_get32(head) != GAP_LEN || gap_decode(&g, head + RECORD_HDR_LEN, GAP_LEN) != 0)
			goto out;
		m->is_gap = 1;
		m->seq = g.seq;
		m->last_seq = g.last_seq;
		m->start_us = g.from_us;
		m->end_us = g.to_us;
		memcpy(m->prev, g.prev_hash, CHAIN_HASH_LEN);
		if (g.last_seq != g.seq || !sodium_is_zero(g.last_hash, CHAIN_HASH_LEN))
			memcpy(m->next, g.last_hash, CHAIN_HASH_LEN);
		else
			chain_hash(g.sig, m->next);
		ret = 0;
		goto out;
	}
	if (st.st_size < (off_t)(SEG_HEADER_REC + SEG_END_REC))
		goto out;
	if (pread_all(fd, head, SEG_HEADER_REC, 0) != 0 || head[4] != REC_SEG_HEADER ||
	    be_get32(head) != SEG_HEADER_LEN ||
	    seg_header_decode(&h, head + RECORD_HDR_LEN, SEG_HEADER_LEN) != 0)
		goto out;
	if (pread_all(fd, tail, SEG_END_REC, st.st_size - (off_t)SEG_END_REC) != 0 ||
	    tail[4] != REC_SEG_END || be_get32(tail) != SEG_END_LEN ||
	    seg_end_decode(&e, tail + RECORD_HDR_LEN, SEG_END_LEN) != 0 || e.seq != h.seq)
		goto out;
	m->seq = m->last_seq = h.seq;
	m->start_us = h.start_us;
	m->end_us = e.end_us;
	memcpy(m->prev, h.prev_hash, CHAIN_HASH_LEN);
	chain_hash(e.sig, m->next);
	ret = 0;
out:
	close(fd);
	return ret;
}

/* ---- Chain state file ---- */

static int
state_write(struct spool_stream *ss, uint64_t next_seq, const uint8_t next_prev[CHAIN_HASH_LEN],
    int64_t end_us)
{
	uint8_t b[STATE_LEN];
	char path[SPOOL_PATH_MAX];
	int r;

	r = snprintf(path, sizeof(path), "%s/state", ss->dir);
	if (r < 0 || (size_t)r >= sizeof(path))
		return -1;
	memcpy(b, STATE_MAGIC, 8);
	be_put64(b + 8, next_seq);
	memcpy(b + 16, next_prev, CHAIN_HASH_LEN);
	be_put64(b + 16 + CHAIN_HASH_LEN, (uint64_t)end_us);
	return file_write_atomic(path, b, sizeof(b), 0600);
}

/* 1 when there is no state file, 0 when read, -1 when it is unreadable or malformed. */
static int
state_read(struct spool_stream *ss, uint64_t *next_seq, uint8_t next_prev[CHAIN_HASH_LEN],
    int64_t *end_us)
{
	char path[SPOOL_PATH_MAX];
	struct buf b;
	int r, ret = -1;

	buf_init(&b, 4096);
	r = snprintf(path, sizeof(path), "%s/state", ss->dir);
	if (r < 0 || (size_t)r >= sizeof(path))
		goto out;
	if (file_read(path, &b, 4096) != 0) {
		ret = errno == ENOENT ? 1 : -1;
		goto out;
	}
	if (b.len != STATE_LEN || memcmp(b.data, STATE_MAGIC, 8) != 0)
		goto out;
	*next_seq = be_get64(b.data + 8);
	memcpy(next_prev, b.data + 16, CHAIN_HASH_LEN);
	*end_us = (int64_t)be_get64(b.data + 16 + CHAIN_HASH_LEN);
	ret = 0;
out:
	buf_free(&b);
	return ret;
}

/* ---- The in-memory queue (callers hold ss->mu) ---- */

static struct link_ent *
ent_find(struct spool_stream *ss, uint64_t seq)
{
	size_t lo = 0, hi = ss->nents, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (ss->ents[mid].seq == seq)
			return &ss->ents[mid];
		if (ss->ents[mid].seq < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* The index of the first entry with seq >= from. */
static size_t
ent_lower(struct spool_stream *ss, uint64_t from)
{
	size_t lo = 0, hi = ss->nents, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (ss->ents[mid].seq < from)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static struct link_ent *
ent_insert(struct spool_stream *ss, uint64_t seq)
{
	struct link_ent *n;
	size_t i;

	if (ss->nents == ss->cap) {
		size_t cap = ss->cap ? ss->cap * 2 : 64;

		n = realloc(ss->ents, cap * sizeof(*n));
		if (n == NULL)
			return NULL;
		ss->ents = n;
		ss->cap = cap;
	}
	i = ent_lower(ss, seq);
	memmove(&ss->ents[i + 1], &ss->ents[i], (ss->nents - i) * sizeof(*n));
	ss->nents++;
	n = &ss->ents[i];
	memset(n, 0, sizeof(*n));
	n->seq = seq;
	n->id = ++ss->next_id;
	return n;
}

static void
ent_remove(struct spool_stream *ss, struct link_ent *e)
{
	size_t i = (size_t)(e - ss->ents);

	ss->bytes -= e->size;
	atomic_fetch_sub(&ss->sp->bytes, e->size);
	memmove(&ss->ents[i], &ss->ents[i + 1], (ss->nents - i - 1) * sizeof(*e));
	ss->nents--;
}

static void
ent_grow(struct spool_stream *ss, struct link_ent *e, uint64_t n)
{
	e->size += n;
	ss->bytes += n;
	atomic_fetch_add(&ss->sp->bytes, n);
}

/* A link event: wakes spool_wait_change and spool_read waiters. Called with ss->mu held. */
static void
stream_changed(struct spool_stream *ss)
{
	ss->changes++;
	pthread_cond_broadcast(&ss->cv);
	pthread_cond_broadcast(&ss->dcv);
}

/* ---- Spool ---- */

struct spool *
spool_open(const char *dir, uint64_t max_bytes)
{
	struct spool *s;
	size_t n = strlen(dir);

	if (n == 0 || n >= SPOOL_PATH_MAX - 64) {
		log_err("spool", "event=open_failed reason=\"bad directory length\"");
		return NULL;
	}
	if (mkdir_p(dir, 0700) != 0) {
		log_err("spool", "event=open_failed reason=\"mkdir failed\" errno=%d", errno);
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	memcpy(s->dir, dir, n + 1);
	s->max_bytes = max_bytes;
	pthread_mutex_init(&s->mu, NULL);
	atomic_init(&s->bytes, 0);
	return s;
}

static void
stream_free(struct spool_stream *ss)
{
	if (ss == NULL)
		return;
	if (ss->fd >= 0)
		close(ss->fd);
	sodium_memzero(ss->sk, sizeof(ss->sk));
	pthread_mutex_destroy(&ss->mu);
	pthread_cond_destroy(&ss->cv);
	pthread_cond_destroy(&ss->dcv);
	free(ss->ents);
	free(ss);
}

void
spool_close(struct spool *s)
{
	struct spool_stream *ss, *next;

	if (s == NULL)
		return;
	for (ss = s->streams; ss != NULL; ss = next) {
		next = ss->next;
		stream_free(ss);
	}
	pthread_mutex_destroy(&s->mu);
	free(s);
}

uint64_t
spool_bytes(const struct spool *s)
{
	return atomic_load(&((struct spool *)s)->bytes);
}

/* ---- Recovery ---- */

/* Parse "<20 digits>.open" or ".link": 0 with seq and open kind set, or -1 for any other name. */
static int
name_parse(const char *name, uint64_t *seq, int *open)
{
	char digits[21];
	int64_t v;

	if (strlen(name) != 25 || name[20] != '.')
		return -1;
	if (strcmp(name + 21, "open") == 0)
		*open = 1;
	else if (strcmp(name + 21, "link") == 0)
		*open = 0;
	else
		return -1;
	memcpy(digits, name, 20);
	digits[20] = '\0';
	for (int i = 0; i < 20; i++)
		if (digits[i] < '0' || digits[i] > '9')
			return -1;
	if (parse_i64(digits, 0, INT64_MAX, &v) != 0)
		return -1;
	*seq = (uint64_t)v;
	return 0;
}

/* Close a link left .open by a crash. Outputs 1 when it became a .link (*m describes it),
 * 0 when it held nothing signed and was deleted, -1 on error. */
static int
recover_open(struct spool_stream *ss, uint64_t seq, struct lmeta *m)
{
	char opath[SPOOL_PATH_MAX], lpath[SPOOL_PATH_MAX];
	uint8_t next[CHAIN_HASH_LEN];
	struct seg_header h;
	struct seg_end e;
	struct buf in, out;
	struct stat st;
	size_t span;
	int64_t end_us;
	int ret = -1;

	buf_init(&in, SPOOL_RECOVER_MAX);
	buf_init(&out, SPOOL_RECOVER_MAX);
	if (path_link(ss, seq, 1, opath, sizeof(opath)) != 0 ||
	    path_link(ss, seq, 0, lpath, sizeof(lpath)) != 0)
		goto out;
	if (stat(opath, &st) != 0 || file_read(opath, &in, SPOOL_RECOVER_MAX) != 0) {
		log_err("spool", "event=recover_failed seq=%llu reason=\"cannot read open link\"",
		    (unsigned long long)seq);
		goto out;
	}
	/* A whole gap that was not yet renamed. */
	if (in.len == GAP_REC && in.data[4] == REC_GAP && be_get32(in.data) == GAP_LEN) {
		struct gap g;

		if (gap_decode(&g, in.data + RECORD_HDR_LEN, GAP_LEN) == 0 && g.seq == seq) {
			if (rename(opath, lpath) != 0 || fsync_dir(ss->dir) != 0)
				goto out;
			ret = lmeta_read(lpath, m) == 0 ? 1 : -1;
			goto out;
		}
	}
	if (in.len < SEG_HEADER_REC || in.data[4] != REC_SEG_HEADER ||
	    be_get32(in.data) != SEG_HEADER_LEN ||
	    seg_header_decode(&h, in.data + RECORD_HDR_LEN, SEG_HEADER_LEN) != 0 || h.seq != seq) {
		/* Nothing signed reached the disk: the chain state still says seq comes next. */
		log_warn("spool", "event=recover_drop seq=%llu bytes=%zu reason=\"no segment header\"",
		    (unsigned long long)seq, in.len);
		if (unlink(opath) != 0 || fsync_dir(ss->dir) != 0)
			goto out;
		ret = 0;
		goto out;
	}
	span = seg_chunks_span(in.data + SEG_HEADER_REC, in.len - SEG_HEADER_REC);
	/* A segment whose end was written but not renamed is complete: keep it as is. */
	if (in.len - SEG_HEADER_REC - span == SEG_END_REC &&
	    in.data[SEG_HEADER_REC + span + 4] == REC_SEG_END &&
	    be_get32(in.data + SEG_HEADER_REC + span) == SEG_END_LEN &&
	    seg_end_decode(&e, in.data + SEG_HEADER_REC + span + RECORD_HDR_LEN, SEG_END_LEN) == 0 &&
	    e.seq == seq && seg_end_verify(h.gateway_id, &h, &e) == 0) {
		if (rename(opath, lpath) != 0 || fsync_dir(ss->dir) != 0)
			goto out;
		log_info("spool", "event=recover_complete seq=%llu", (unsigned long long)seq);
		ret = lmeta_read(lpath, m) == 0 ? 1 : -1;
		goto out;
	}
	/* The segment's end time: when the file was last written, never before its start. */
	end_us = (int64_t)st.st_mtim.tv_sec * 1000000 + st.st_mtim.tv_nsec / 1000;
	if (end_us < h.start_us)
		end_us = h.start_us;
	if (buf_put(&out, in.data, SEG_HEADER_REC + span) != 0 ||
	    seg_close_truncated(ss->sk, &h, in.data + SEG_HEADER_REC, span, end_us, &out, next) != 0)
		goto out;
	if (file_write_atomic(lpath, out.data, out.len, 0600) != 0)
		goto out;
	if (unlink(opath) != 0 || fsync_dir(ss->dir) != 0)
		goto out;
	log_warn("spool", "event=recover_truncated seq=%llu kept=%zu dropped=%zu",
	    (unsigned long long)seq, SEG_HEADER_REC + span, in.len - SEG_HEADER_REC - span);
	memset(m, 0, sizeof(*m));
	m->seq = m->last_seq = seq;
	m->start_us = h.start_us;
	m->end_us = end_us;
	memcpy(m->prev, h.prev_hash, CHAIN_HASH_LEN);
	memcpy(m->next, next, CHAIN_HASH_LEN);
	ret = 1;
out:
	buf_free(&in);
	buf_free(&out);
	return ret;
}

/* Load the directory: recover .open files, index .link files, drop links an eviction gap
 * already covers (a crash between writing the gap and deleting them). */
static int
stream_load(struct spool_stream *ss)
{
	char path[SPOOL_PATH_MAX];
	struct dirent *d;
	struct lmeta m;
	struct stat st;
	uint64_t seq, *opens = NULL;
	size_t nopen = 0, capopen = 0, i;
	int open, ret = -1;
	DIR *dp;

	dp = opendir(ss->dir);
	if (dp == NULL)
		return -1;
	while ((d = readdir(dp)) != NULL) {
		if (name_parse(d->d_name, &seq, &open) != 0)
			continue;
		if (open) {
			if (nopen == capopen) {
				uint64_t *n = realloc(opens, (capopen + 4) * 2 * sizeof(*n));

				if (n == NULL)
					goto out;
				opens = n;
				capopen = (capopen + 4) * 2;
			}
			opens[nopen++] = seq;
			continue;
		}
		if (path_link(ss, seq, 0, path, sizeof(path)) != 0 || stat(path, &st) != 0)
			goto out;
		struct link_ent *e = ent_insert(ss, seq);
		if (e == NULL)
			goto out;
		e->size = (uint64_t)st.st_size;
		e->is_gap = st.st_size == (off_t)GAP_REC;
	}
	for (i = 0; i < nopen; i++) {
		int r = recover_open(ss, opens[i], &m);

		if (r < 0)
			goto out;
		if (r == 1) {
			struct link_ent *e = ent_find(ss, opens[i]);

			if (path_link(ss, opens[i], 0, path, sizeof(path)) != 0 || stat(path, &st) != 0)
				goto out;
			if (e == NULL && (e = ent_insert(ss, opens[i])) == NULL)
				goto out;
			e->size = (uint64_t)st.st_size;
			e->is_gap = m.is_gap;
		}
	}
	/* Links inside an eviction gap's range are leftovers of an interrupted eviction. */
	for (i = 0; i < ss->nents; i++) {
		if (!ss->ents[i].is_gap)
			continue;
		if (path_link(ss, ss->ents[i].seq, 0, path, sizeof(path)) != 0 ||
		    lmeta_read(path, &m) != 0)
			continue;
		while (i + 1 < ss->nents && ss->ents[i + 1].seq <= m.last_seq) {
			if (path_link(ss, ss->ents[i + 1].seq, 0, path, sizeof(path)) != 0)
				goto out;
			unlink(path);
			log_info("spool", "event=recover_evicted seq=%llu",
			    (unsigned long long)ss->ents[i + 1].seq);
			memmove(&ss->ents[i + 1], &ss->ents[i + 2],
			    (ss->nents - i - 2) * sizeof(ss->ents[0]));
			ss->nents--;
		}
	}
	for (i = 0; i < ss->nents; i++)
		ss->bytes += ss->ents[i].size;
	ret = 0;
out:
	closedir(dp);
	free(opens);
	return ret;
}

int
spool_stream_open(struct spool *s, const uint8_t camera_id[CAMERA_ID_LEN], uint8_t stream,
    const uint8_t sk[GATEWAY_SK_LEN], struct spool_stream **out, uint64_t *next_seq,
    uint8_t next_prev[CHAIN_HASH_LEN], int64_t *last_end_us)
{
	struct spool_stream *ss = NULL;
	char hex[2 * CAMERA_ID_LEN + 1], path[SPOOL_PATH_MAX];
	pthread_condattr_t ca;
	struct lmeta m;
	uint64_t st_seq = 0;
	uint8_t st_prev[CHAIN_HASH_LEN];
	int64_t st_end = 0;
	int r, have_state, ret = -1;

	*out = NULL;
	memset(st_prev, 0, sizeof(st_prev));
	/* Two queues over one directory would each believe they own it. */
	pthread_mutex_lock(&s->mu);
	for (ss = s->streams; ss != NULL; ss = ss->next)
		if (memcmp(ss->camera_id, camera_id, CAMERA_ID_LEN) == 0 && ss->stream == stream)
			break;
	pthread_mutex_unlock(&s->mu);
	if (ss != NULL) {
		log_err("spool", "event=stream_open_failed stream=%u reason=\"already open\"",
		    (unsigned)stream);
		return -1;
	}
	ss = calloc(1, sizeof(*ss));
	if (ss == NULL)
		return -1;
	ss->fd = -1;
	ss->sp = s;
	pthread_mutex_init(&ss->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&ss->cv, &ca);
	pthread_cond_init(&ss->dcv, &ca);
	pthread_condattr_destroy(&ca);
	memcpy(ss->camera_id, camera_id, CAMERA_ID_LEN);
	ss->stream = stream;
	memcpy(ss->sk, sk, GATEWAY_SK_LEN);
	hex_encode(camera_id, CAMERA_ID_LEN, hex);
	r = snprintf(ss->dir, sizeof(ss->dir), "%s/%s-%u", s->dir, hex, (unsigned)stream);
	if (r < 0 || (size_t)r >= sizeof(ss->dir))
		goto out;
	if (mkdir_p(ss->dir, 0700) != 0) {
		log_err("spool", "event=stream_open_failed camera=%s stream=%u reason=\"mkdir\"",
		    hex, (unsigned)stream);
		goto out;
	}
	have_state = state_read(ss, &st_seq, st_prev, &st_end);
	if (stream_load(ss) != 0) {
		log_err("spool", "event=stream_open_failed camera=%s stream=%u reason=\"recovery\"",
		    hex, (unsigned)stream);
		goto out;
	}
	/* The state file is authoritative unless a newer link is on disk (a crash between the
	 * rename and the state write): then the newest link decides. */
	if (ss->nents > 0) {
		struct link_ent *last = &ss->ents[ss->nents - 1];

		if (path_link(ss, last->seq, 0, path, sizeof(path)) != 0 || lmeta_read(path, &m) != 0) {
			log_err("spool", "event=stream_open_failed camera=%s stream=%u seq=%llu "
			    "reason=\"newest link unreadable\"", hex, (unsigned)stream,
			    (unsigned long long)last->seq);
			goto out;
		}
		if (have_state != 0 || m.last_seq >= st_seq) {
			st_seq = m.last_seq + 1;
			memcpy(st_prev, m.next, CHAIN_HASH_LEN);
			st_end = m.end_us;
			if (state_write(ss, st_seq, st_prev, st_end) != 0)
				goto out;
			have_state = 0;
		}
	}
	if (have_state < 0) {
		log_err("spool", "event=stream_open_failed camera=%s stream=%u "
		    "reason=\"state file malformed and no link to rebuild it from\"", hex,
		    (unsigned)stream);
		goto out;
	}
	atomic_fetch_add(&s->bytes, ss->bytes);
	pthread_mutex_lock(&s->mu);
	ss->next = s->streams;
	s->streams = ss;
	pthread_mutex_unlock(&s->mu);
	log_info("spool", "event=stream_open camera=%s stream=%u links=%zu bytes=%llu next_seq=%llu",
	    hex, (unsigned)stream, ss->nents, (unsigned long long)ss->bytes,
	    (unsigned long long)st_seq);
	*next_seq = st_seq;
	memcpy(next_prev, st_prev, CHAIN_HASH_LEN);
	*last_end_us = st_end;
	*out = ss;
	ss = NULL;
	ret = 0;
out:
	stream_free(ss);
	return ret;
}

/* ---- Producer ---- */

int
spool_link_begin(struct spool_stream *ss, uint64_t seq)
{
	char path[SPOOL_PATH_MAX];
	struct link_ent *e;
	int fd = -1, ret = -1;

	pthread_mutex_lock(&ss->mu);
	if (ss->fd >= 0 || ent_find(ss, seq) != NULL ||
	    (ss->nents > 0 && ss->ents[ss->nents - 1].seq > seq)) {
		log_err("spool", "event=begin_refused seq=%llu reason=\"link open or seq not new\"",
		    (unsigned long long)seq);
		goto out;
	}
	if (path_link(ss, seq, 1, path, sizeof(path)) != 0)
		goto out;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		log_err("spool", "event=begin_failed seq=%llu errno=%d", (unsigned long long)seq, errno);
		goto out;
	}
	e = ent_insert(ss, seq);
	if (e == NULL) {
		unlink(path);
		goto out;
	}
	e->open = 1;
	ss->fd = fd;
	fd = -1;
	ss->open_seq = seq;
	stream_changed(ss);
	ret = 0;
out:
	pthread_mutex_unlock(&ss->mu);
	if (fd >= 0)
		close(fd);
	return ret;
}

int
spool_link_append(struct spool_stream *ss, const void *p, size_t n)
{
	struct link_ent *e;
	int fd;

	/* Only the producer thread writes or closes ss->fd, so the write runs unlocked. */
	fd = ss->fd;
	if (fd < 0)
		return -1;
	if (write_all(fd, p, n) != 0) {
		log_err("spool", "event=append_failed seq=%llu errno=%d",
		    (unsigned long long)ss->open_seq, errno);
		return -1;
	}
	pthread_mutex_lock(&ss->mu);
	e = ent_find(ss, ss->open_seq);
	if (e != NULL)
		ent_grow(ss, e, n);
	pthread_mutex_unlock(&ss->mu);
	/* Only readers of bytes care about an append, and they re-check the size under the
	 * mutex, so the wake-up can follow the unlock (the woken reader then does not block
	 * on a mutex the producer still holds). */
	pthread_cond_broadcast(&ss->dcv);
	return 0;
}

/* Replace the oldest closed links (never the newest one) with one signed eviction gap
 * until the spool fits its budget. Called with ss->mu held. */
static void
stream_evict(struct spool_stream *ss)
{
	struct spool *s = ss->sp;
	char path[SPOOL_PATH_MAX];
	uint8_t next[CHAIN_HASH_LEN];
	struct lmeta first, last;
	struct link_ent *e0;
	struct gap g;
	struct buf b;
	uint64_t total = atomic_load(&s->bytes), freed = 0;
	size_t k = 0, nclosed = 0, i;

	if (total <= s->max_bytes)
		return;
	while (nclosed < ss->nents && !ss->ents[nclosed].open)
		nclosed++;
	/* Keep the newest closed link: the chain state points past it. */
	while (k + 1 < nclosed && total - freed + GAP_REC > s->max_bytes)
		freed += ss->ents[k++].size;
	if (k == 0 || (k == 1 && ss->ents[0].is_gap) || freed <= GAP_REC)
		return;
	if (path_link(ss, ss->ents[0].seq, 0, path, sizeof(path)) != 0 || lmeta_read(path, &first) != 0)
		goto bad;
	if (path_link(ss, ss->ents[k - 1].seq, 0, path, sizeof(path)) != 0 || lmeta_read(path, &last) != 0)
		goto bad;
	memset(&g, 0, sizeof(g));
	g.stream = ss->stream;
	g.reason = GAP_SPOOL_EVICTED;
	memcpy(g.camera_id, ss->camera_id, CAMERA_ID_LEN);
	g.seq = first.seq;
	g.last_seq = last.last_seq;
	g.from_us = first.start_us;
	g.to_us = last.end_us;
	memcpy(g.prev_hash, first.prev, CHAIN_HASH_LEN);
	memcpy(g.last_hash, last.next, CHAIN_HASH_LEN);
	buf_init(&b, GAP_REC);
	if (gap_build(ss->sk, &g, &b, next) != 0 || b.len != GAP_REC ||
	    sodium_memcmp(next, last.next, CHAIN_HASH_LEN) != 0) {
		buf_free(&b);
		goto bad;
	}
	/* The gap replaces the first evicted file atomically; the rest are deleted after it,
	 * so a crash in between leaves links the gap covers, which recovery removes. */
	if (path_link(ss, first.seq, 0, path, sizeof(path)) != 0 ||
	    file_write_atomic(path, b.data, b.len, 0600) != 0) {
		buf_free(&b);
		goto bad;
	}
	buf_free(&b);
	for (i = 1; i < k; i++)
		if (path_link(ss, ss->ents[i].seq, 0, path, sizeof(path)) == 0)
			unlink(path);
	fsync_dir(ss->dir);
	log_warn("spool", "event=evict seq=%llu last_seq=%llu links=%zu freed=%llu",
	    (unsigned long long)g.seq, (unsigned long long)g.last_seq, k,
	    (unsigned long long)freed);
	for (i = 1; i < k; i++)
		ent_remove(ss, &ss->ents[1]);
	/* The first entry now holds the gap: a new incarnation, so a reader of the old
	 * segment at that seq sees it gone instead of reading gap bytes mid-body. */
	e0 = &ss->ents[0];
	ss->bytes -= e0->size;
	atomic_fetch_sub(&s->bytes, e0->size);
	e0->size = 0;
	ent_grow(ss, e0, GAP_REC);
	e0->is_gap = 1;
	e0->id = ++ss->next_id;
	stream_changed(ss);
	return;
bad:
	log_err("spool", "event=evict_failed seq=%llu", (unsigned long long)ss->ents[0].seq);
}

/* Make link seq durable and visible as closed, then record the chain state. Called with
 * ss->mu held; the file at opath is complete and fsync'd. */
static int
stream_close_link(struct spool_stream *ss, uint64_t seq, const char *opath, uint64_t next_seq,
    const uint8_t next_prev[CHAIN_HASH_LEN], int64_t end_us)
{
	char lpath[SPOOL_PATH_MAX];
	struct link_ent *e;

	if (path_link(ss, seq, 0, lpath, sizeof(lpath)) != 0)
		return -1;
	/* No directory fsync here: state_write's (below, same directory) makes this rename
	 * durable too. A power loss before it leaves a complete .open (renamed by recovery)
	 * or an older state (recomputed from the newest link): both are recovered. */
	if (rename(opath, lpath) != 0) {
		log_err("spool", "event=commit_failed seq=%llu errno=%d", (unsigned long long)seq, errno);
		return -1;
	}
	e = ent_find(ss, seq);
	if (e != NULL)
		e->open = 0;
	stream_changed(ss);
	if (state_write(ss, next_seq, next_prev, end_us) != 0) {
		log_err("spool", "event=state_write_failed seq=%llu errno=%d",
		    (unsigned long long)seq, errno);
		return -1;
	}
	stream_evict(ss);
	return 0;
}

int
spool_link_commit(struct spool_stream *ss, uint64_t next_seq,
    const uint8_t next_prev[CHAIN_HASH_LEN], int64_t end_us)
{
	char opath[SPOOL_PATH_MAX];
	int fd = ss->fd, ret = -1;

	if (fd < 0)
		return -1;
	if (fsync(fd) != 0) {
		log_err("spool", "event=fsync_failed seq=%llu errno=%d",
		    (unsigned long long)ss->open_seq, errno);
		return -1;
	}
	pthread_mutex_lock(&ss->mu);
	if (path_link(ss, ss->open_seq, 1, opath, sizeof(opath)) != 0)
		goto out;
	close(fd);
	ss->fd = -1;
	ret = stream_close_link(ss, ss->open_seq, opath, next_seq, next_prev, end_us);
out:
	pthread_mutex_unlock(&ss->mu);
	return ret;
}

int
spool_put_link(struct spool_stream *ss, uint64_t seq, const void *p, size_t n,
    uint64_t next_seq, const uint8_t next_prev[CHAIN_HASH_LEN], int64_t end_us)
{
	char opath[SPOOL_PATH_MAX];
	struct link_ent *e;
	int fd = -1, ret = -1;

	pthread_mutex_lock(&ss->mu);
	if (ss->fd >= 0 || ent_find(ss, seq) != NULL ||
	    (ss->nents > 0 && ss->ents[ss->nents - 1].seq > seq) || n == 0) {
		log_err("spool", "event=put_refused seq=%llu reason=\"link open or seq not new\"",
		    (unsigned long long)seq);
		goto out;
	}
	if (path_link(ss, seq, 1, opath, sizeof(opath)) != 0)
		goto out;
	fd = open(opath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write_all(fd, p, n) != 0 || fsync(fd) != 0) {
		log_err("spool", "event=put_failed seq=%llu errno=%d", (unsigned long long)seq, errno);
		if (fd >= 0)
			unlink(opath);
		goto out;
	}
	e = ent_insert(ss, seq);
	if (e == NULL) {
		unlink(opath);
		goto out;
	}
	e->open = 1;
	e->is_gap = n == GAP_REC;
	ent_grow(ss, e, n);
	ret = stream_close_link(ss, seq, opath, next_seq, next_prev, end_us);
out:
	pthread_mutex_unlock(&ss->mu);
	if (fd >= 0)
		close(fd);
	return ret;
}

/* ---- Consumer ---- */

int
spool_next(struct spool_stream *ss, uint64_t from, uint64_t *seq, int *open)
{
	size_t i;
	int ret = 1;

	pthread_mutex_lock(&ss->mu);
	i = ent_lower(ss, from);
	if (i < ss->nents) {
		*seq = ss->ents[i].seq;
		*open = ss->ents[i].open;
		ret = 0;
	}
	pthread_mutex_unlock(&ss->mu);
	return ret;
}

int
spool_newest(struct spool_stream *ss, uint64_t *seq, int *open)
{
	int ret = 1;

	pthread_mutex_lock(&ss->mu);
	if (ss->nents > 0) {
		*seq = ss->ents[ss->nents - 1].seq;
		*open = ss->ents[ss->nents - 1].open;
		ret = 0;
	}
	pthread_mutex_unlock(&ss->mu);
	return ret;
}

int
spool_link_id(struct spool_stream *ss, uint64_t seq, uint64_t *id, uint64_t *size)
{
	struct link_ent *e;
	int ret = -1;

	pthread_mutex_lock(&ss->mu);
	e = ent_find(ss, seq);
	if (e != NULL) {
		if (id != NULL)
			*id = e->id;
		if (size != NULL)
			*size = e->size;
		ret = 0;
	}
	pthread_mutex_unlock(&ss->mu);
	return ret;
}

static void
deadline_after(struct timespec *ts, int ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* A consumer's cursor: the link it read last stays open, so the next read of the same
 * incarnation is one pread instead of open + pread + close. */
struct spool_reader {
	struct spool_stream *ss;
	int fd;          /* open on link seq, incarnation id; -1 when none */
	uint64_t seq, id;
};

struct spool_reader *
spool_reader_new(struct spool_stream *ss)
{
	struct spool_reader *r = calloc(1, sizeof(*r));

	if (r != NULL) {
		r->ss = ss;
		r->fd = -1;
	}
	return r;
}

static void
reader_drop(struct spool_reader *r)
{
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
}

void
spool_reader_free(struct spool_reader *r)
{
	if (r == NULL)
		return;
	reader_drop(r);
	free(r);
}

ssize_t
spool_reader_read(struct spool_reader *r, uint64_t seq, uint64_t id, uint64_t off, void *p,
    size_t n, int timeout_ms)
{
	struct spool_stream *ss = r->ss;
	char path[SPOOL_PATH_MAX];
	struct timespec ts;
	struct link_ent *e;
	uint64_t avail;
	ssize_t ret = -1;
	int timed = 0;

	if (n == 0)
		return -1;
	pthread_mutex_lock(&ss->mu);
	for (;;) {
		e = ent_find(ss, seq);
		if (e == NULL || (id != 0 && e->id != id)) {
			ret = -2;
			goto out_locked;
		}
		if (off < e->size)
			break;
		if (off > e->size)
			goto out_locked;
		if (!e->open) {
			ret = 0;
			goto out_locked;
		}
		if (timeout_ms <= 0 || timed) {
			ret = -3;
			goto out_locked;
		}
		if (!timed) {
			deadline_after(&ts, timeout_ms);
			timed = 1;
		}
		/* Wait for an append; a timeout ends the loop on the next pass. */
		while (e != NULL && off >= e->size && e->open) {
			if (pthread_cond_timedwait(&ss->dcv, &ss->mu, &ts) == ETIMEDOUT)
				break;
			e = ent_find(ss, seq);
			if (e != NULL && id != 0 && e->id != id)
				e = NULL;
		}
		if (e != NULL && off >= e->size && e->open) {
			ret = -3;
			goto out_locked;
		}
	}
	avail = e->size - off;
	if (n > avail)
		n = (size_t)avail;
	/* The rename of a commit keeps the file (the descriptor stays good from .open to
	 * .link); an eviction gap is a new file and a new incarnation. */
	if (r->fd < 0 || r->seq != seq || r->id != e->id) {
		reader_drop(r);
		if (path_link(ss, seq, e->open, path, sizeof(path)) != 0)
			goto out_locked;
		/* Opened under the lock so that a concurrent commit's rename cannot race the
		 * path; the descriptor stays valid if the link is acked or evicted while we
		 * read it. */
		r->fd = open(path, O_RDONLY | O_CLOEXEC);
		if (r->fd < 0)
			goto out_locked;
		r->seq = seq;
		r->id = e->id;
	}
	pthread_mutex_unlock(&ss->mu);
	if (pread_all(r->fd, p, n, (off_t)off) == 0)
		ret = (ssize_t)n;
	else
		reader_drop(r);
	return ret;
out_locked:
	pthread_mutex_unlock(&ss->mu);
	return ret;
}

ssize_t
spool_read_id(struct spool_stream *ss, uint64_t seq, uint64_t id, uint64_t off, void *p,
    size_t n, int timeout_ms)
{
	struct spool_reader r = { .ss = ss, .fd = -1 };
	ssize_t ret;

	ret = spool_reader_read(&r, seq, id, off, p, n, timeout_ms);
	reader_drop(&r);
	return ret;
}

ssize_t
spool_read(struct spool_stream *ss, uint64_t seq, uint64_t off, void *p, size_t n,
    int timeout_ms)
{
	return spool_read_id(ss, seq, 0, off, p, n, timeout_ms);
}

int
spool_ack_id(struct spool_stream *ss, uint64_t seq, uint64_t id)
{
	char path[SPOOL_PATH_MAX];
	struct link_ent *e;
	int ret = -1;

	pthread_mutex_lock(&ss->mu);
	e = ent_find(ss, seq);
	if (e == NULL) {
		ret = 0;   /* already gone: acks are idempotent */
		goto out;
	}
	if (e->open || (id != 0 && e->id != id))
		goto out;
	if (path_link(ss, seq, 0, path, sizeof(path)) != 0)
		goto out;
	if (unlink(path) != 0 && errno != ENOENT) {
		log_err("spool", "event=ack_unlink_failed seq=%llu errno=%d",
		    (unsigned long long)seq, errno);
		goto out;
	}
	ent_remove(ss, e);
	stream_changed(ss);
	ret = 0;
out:
	pthread_mutex_unlock(&ss->mu);
	return ret;
}

int
spool_ack(struct spool_stream *ss, uint64_t seq)
{
	return spool_ack_id(ss, seq, 0);
}

uint64_t
spool_changes(struct spool_stream *ss)
{
	uint64_t c;

	pthread_mutex_lock(&ss->mu);
	c = ss->changes;
	pthread_mutex_unlock(&ss->mu);
	return c;
}

int
spool_wait_change(struct spool_stream *ss, uint64_t seen, int timeout_ms)
{
	struct timespec ts;
	int ret = 0;

	deadline_after(&ts, timeout_ms);
	pthread_mutex_lock(&ss->mu);
	while (ss->changes == seen) {
		if (pthread_cond_timedwait(&ss->cv, &ss->mu, &ts) == ETIMEDOUT) {
			ret = ss->changes == seen ? -3 : 0;
			break;
		}
	}
	pthread_mutex_unlock(&ss->mu);
	return ret;
}

void
spool_stream_wake(struct spool_stream *ss)
{
	pthread_mutex_lock(&ss->mu);
	stream_changed(ss);
	pthread_mutex_unlock(&ss->mu);
}
