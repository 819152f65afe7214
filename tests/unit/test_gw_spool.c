/* test_gw_spool.c - unit tests of the gateway spool: commit and read, waking readers, acks, crash recovery and eviction. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>
#include <ftw.h>
#include <cmocka.h>
#include "common/segment.h"
#include "common/util.h"
#include "gateway/spool.h"

struct keys {
	uint8_t cam[CAMERA_ID_LEN];
	uint8_t epk[EPOCH_PK_LEN], esk[EPOCH_SK_LEN];
	uint8_t gpk[GATEWAY_ID_LEN], gsk[GATEWAY_SK_LEN];
};

struct fixture {
	char dir[64];
	struct keys k;
};

static int
key_fn(void *ctx, const uint8_t cam[CAMERA_ID_LEN], uint32_t epoch, uint8_t pk[EPOCH_PK_LEN],
    uint8_t sk[EPOCH_SK_LEN])
{
	const struct keys *k = ctx;

	if (memcmp(cam, k->cam, CAMERA_ID_LEN) != 0 || epoch != 1)
		return -1;
	memcpy(pk, k->epk, EPOCH_PK_LEN);
	memcpy(sk, k->esk, EPOCH_SK_LEN);
	return 0;
}

/* Build segment seq with nframes media chunks of fsize bytes into out (whole link). */
static void
build_segment(const struct keys *k, uint64_t seq, const uint8_t prev[CHAIN_HASH_LEN],
    int nframes, size_t fsize, struct buf *out, uint8_t next[CHAIN_HASH_LEN])
{
	struct seg_writer *w = NULL;
	struct buf plain;
	uint8_t *body = calloc(1, fsize);
	int i;

	assert_non_null(body);
	buf_init(&plain, 1 << 20);
	assert_int_equal(seg_writer_begin(&w, k->gsk, k->cam, 0, seq, 1000 * (int64_t)seq, 1,
	    k->epk, prev, out), 0);
	assert_int_equal(chunk_plain_put(&plain, CHUNK_INIT, 0, 1000 * (int64_t)seq, "\x0b" "avc1.64001fftypmoov", 20), 0);
	/* chunk_plain_put takes the body verbatim: codec_len | codec | ftyp+moov. */
	assert_int_equal(seg_writer_chunk(w, plain.data, plain.len, out), 0);
	for (i = 0; i < nframes; i++) {
		buf_reset(&plain);
		memset(body, 'a' + i % 26, fsize);
		assert_int_equal(chunk_plain_put(&plain, CHUNK_MEDIA, i == 0,
		    1000 * (int64_t)seq + i, body, fsize), 0);
		assert_int_equal(seg_writer_chunk(w, plain.data, plain.len, out), 0);
	}
	assert_int_equal(seg_writer_end(w, 1000 * (int64_t)seq + 999, out, next), 0);
	seg_writer_free(w);
	buf_free(&plain);
	free(body);
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/vigil-spool-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	randombytes_buf(f->k.cam, sizeof(f->k.cam));
	crypto_box_keypair(f->k.epk, f->k.esk);
	crypto_sign_keypair(f->k.gpk, f->k.gsk);
	*state = f;
	return 0;
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	/* The directory is ours, made by mkdtemp under /tmp. */
	if (nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
		return -1;
	free(f);
	return 0;
}

/* Read a whole link from the spool. */
static void
read_link(struct spool_stream *ss, uint64_t seq, struct buf *out)
{
	uint8_t tmp[4096];
	ssize_t r;

	buf_reset(out);
	while ((r = spool_read(ss, seq, out->len, tmp, sizeof(tmp), 0)) > 0)
		assert_int_equal(buf_put(out, tmp, (size_t)r), 0);
	assert_int_equal(r, 0);
}

static struct spool_stream *
stream_open(struct fixture *f, struct spool *s, uint64_t *next_seq, uint8_t prev[CHAIN_HASH_LEN],
    int64_t *end)
{
	struct spool_stream *ss = NULL;

	assert_int_equal(spool_stream_open(s, f->k.cam, 0, f->k.gsk, &ss, next_seq, prev, end), 0);
	assert_non_null(ss);
	return ss;
}

/* Spool one whole segment through begin/append (record by record)/commit. */
static void
spool_segment(struct spool_stream *ss, const struct buf *seg, uint64_t seq,
    const uint8_t next[CHAIN_HASH_LEN], int64_t end)
{
	size_t off = 0, n;

	assert_int_equal(spool_link_begin(ss, seq), 0);
	while (off < seg->len) {
		n = RECORD_HDR_LEN + be_get32(seg->data + off);
		assert_int_equal(spool_link_append(ss, seg->data + off, n), 0);
		off += n;
	}
	assert_int_equal(spool_link_commit(ss, seq + 1, next, end), 0);
}

static void
test_commit_read(void **state)
{
	struct fixture *f = *state;
	struct spool *s = spool_open(f->dir, 1 << 30);
	struct spool_stream *ss;
	uint8_t prev[CHAIN_HASH_LEN], zero[CHAIN_HASH_LEN] = { 0 }, next[CHAIN_HASH_LEN];
	struct link_info li;
	struct buf seg, got;
	uint64_t nseq, seq;
	int64_t end;
	int open;

	assert_non_null(s);
	ss = stream_open(f, s, &nseq, prev, &end);
	assert_int_equal(nseq, 0);
	assert_memory_equal(prev, zero, CHAIN_HASH_LEN);
	assert_int_equal(end, 0);
	assert_int_equal(spool_next(ss, 0, &seq, &open), 1);
	buf_init(&seg, 1 << 20);
	buf_init(&got, 1 << 20);
	build_segment(&f->k, 0, zero, 5, 100, &seg, next);
	spool_segment(ss, &seg, 0, next, 999);
	assert_int_equal(spool_bytes(s), seg.len);
	assert_int_equal(spool_next(ss, 0, &seq, &open), 0);
	assert_int_equal(seq, 0);
	assert_false(open);
	assert_int_equal(spool_newest(ss, &seq, &open), 0);
	read_link(ss, 0, &got);
	assert_int_equal(got.len, seg.len);
	assert_memory_equal(got.data, seg.data, seg.len);
	assert_int_equal(seg_open_link(got.data, got.len, f->k.gpk, key_fn, &f->k, NULL, NULL, &li),
	    SEG_OK);
	assert_int_equal(spool_read(ss, 7, 0, got.data, 16, 0), -2);
	/* The state survives a restart. */
	spool_close(s);
	s = spool_open(f->dir, 1 << 30);
	ss = stream_open(f, s, &nseq, prev, &end);
	assert_int_equal(nseq, 1);
	assert_memory_equal(prev, next, CHAIN_HASH_LEN);
	assert_int_equal(end, 999);
	assert_int_equal(spool_bytes(s), seg.len);
	/* A stream is opened once per spool. */
	{
		struct spool_stream *again = NULL;

		assert_int_equal(spool_stream_open(s, f->k.cam, 0, f->k.gsk, &again, &nseq, prev, &end), -1);
		assert_null(again);
	}
	/* A begin for an old seq is refused. */
	assert_int_equal(spool_link_begin(ss, 0), -1);
	spool_close(s);
	buf_free(&seg);
	buf_free(&got);
}

struct waiter {
	struct spool_stream *ss;
	uint64_t off;
	ssize_t r;
	int64_t waited_us;
};

static void *
waiter_main(void *arg)
{
	struct waiter *w = arg;
	uint8_t tmp[256];
	int64_t t0 = mono_us();

	w->r = spool_read(w->ss, 0, w->off, tmp, sizeof(tmp), 5000);
	w->waited_us = mono_us() - t0;
	return NULL;
}

static void
test_reader_woken(void **state)
{
	struct fixture *f = *state;
	struct spool *s = spool_open(f->dir, 1 << 30);
	struct spool_stream *ss;
	uint8_t prev[CHAIN_HASH_LEN], tmp[64];
	struct waiter w;
	pthread_t t;
	uint64_t nseq, seq;
	int64_t end;
	int open;

	assert_non_null(s);
	ss = stream_open(f, s, &nseq, prev, &end);
	assert_int_equal(spool_link_begin(ss, 0), 0);
	assert_int_equal(spool_link_append(ss, "abcd", 4), 0);
	assert_int_equal(spool_newest(ss, &seq, &open), 0);
	assert_true(open);
	assert_int_equal(spool_read(ss, 0, 0, tmp, sizeof(tmp), 0), 4);
	/* Nothing new: a short wait times out. */
	assert_int_equal(spool_read(ss, 0, 4, tmp, sizeof(tmp), 30), -3);
	w.ss = ss;
	w.off = 4;
	w.r = 0;
	assert_int_equal(pthread_create(&t, NULL, waiter_main, &w), 0);
	usleep(100 * 1000);
	assert_int_equal(spool_link_append(ss, "efg", 3), 0);
	pthread_join(t, NULL);
	assert_int_equal(w.r, 3);
	assert_true(w.waited_us < 2000000);
	/* Once closed, reading at the end says so at once. */
	assert_int_equal(spool_link_commit(ss, 1, prev, 5), 0);
	assert_int_equal(spool_read(ss, 0, 7, tmp, sizeof(tmp), 5000), 0);
	spool_close(s);
}

/* A reader keeps its descriptor from the open link through the commit's rename; appends
 * do not count as link changes; an acked link reads as gone even with the descriptor
 * held. */
static void
test_reader_across_commit(void **state)
{
	struct fixture *f = *state;
	struct spool *s = spool_open(f->dir, 1 << 30);
	struct spool_stream *ss;
	struct spool_reader *rd;
	uint8_t prev[CHAIN_HASH_LEN], tmp[64];
	uint64_t nseq, c0;
	int64_t end;

	assert_non_null(s);
	ss = stream_open(f, s, &nseq, prev, &end);
	rd = spool_reader_new(ss);
	assert_non_null(rd);
	assert_int_equal(spool_link_begin(ss, 0), 0);
	c0 = spool_changes(ss);
	assert_int_equal(spool_link_append(ss, "abcd", 4), 0);
	assert_int_equal(spool_changes(ss), c0);
	assert_int_equal(spool_reader_read(rd, 0, 0, 0, tmp, 2, 0), 2);
	assert_memory_equal(tmp, "ab", 2);
	assert_int_equal(spool_reader_read(rd, 0, 0, 2, tmp, sizeof(tmp), 0), 2);
	assert_memory_equal(tmp, "cd", 2);
	assert_int_equal(spool_reader_read(rd, 0, 0, 4, tmp, sizeof(tmp), 0), -3);
	assert_int_equal(spool_link_append(ss, "efg", 3), 0);
	assert_int_equal(spool_link_commit(ss, 1, prev, 5), 0);
	assert_true(spool_changes(ss) != c0);
	assert_int_equal(spool_reader_read(rd, 0, 0, 4, tmp, sizeof(tmp), 0), 3);
	assert_memory_equal(tmp, "efg", 3);
	assert_int_equal(spool_reader_read(rd, 0, 0, 7, tmp, sizeof(tmp), 0), 0);
	assert_int_equal(spool_ack(ss, 0), 0);
	assert_int_equal(spool_reader_read(rd, 0, 0, 0, tmp, sizeof(tmp), 0), -2);
	spool_reader_free(rd);
	spool_close(s);
}

static void
test_ack_deletes(void **state)
{
	struct fixture *f = *state;
	struct spool *s = spool_open(f->dir, 1 << 30);
	struct spool_stream *ss;
	uint8_t prev[CHAIN_HASH_LEN], next[CHAIN_HASH_LEN], tmp[16];
	char path[256], hex[2 * CAMERA_ID_LEN + 1];
	struct buf seg;
	struct stat st;
	uint64_t nseq, seq;
	int64_t end;
	int open;

	assert_non_null(s);
	ss = stream_open(f, s, &nseq, prev, &end);
	buf_init(&seg, 1 << 20);
	build_segment(&f->k, 0, prev, 2, 50, &seg, next);
	spool_segment(ss, &seg, 0, next, 999);
	hex_encode(f->k.cam, CAMERA_ID_LEN, hex);
	snprintf(path, sizeof(path), "%s/%s-0/%020d.link", f->dir, hex, 0);
	assert_int_equal(stat(path, &st), 0);
	/* An open link cannot be acked. */
	assert_int_equal(spool_link_begin(ss, 1), 0);
	assert_int_equal(spool_ack(ss, 1), -1);
	assert_int_equal(spool_ack(ss, 0), 0);
	assert_int_not_equal(stat(path, &st), 0);
	assert_int_equal(spool_read(ss, 0, 0, tmp, sizeof(tmp), 0), -2);
	assert_int_equal(spool_next(ss, 0, &seq, &open), 0);
	assert_int_equal(seq, 1);
	assert_true(open);
	assert_int_equal(spool_bytes(s), 0);
	/* Acks are idempotent. */
	assert_int_equal(spool_ack(ss, 0), 0);
	spool_close(s);
	buf_free(&seg);
}

static void
test_recover_torn(void **state)
{
	struct fixture *f = *state;
	struct spool *s = spool_open(f->dir, 1 << 30);
	struct spool_stream *ss;
	uint8_t prev[CHAIN_HASH_LEN], next[CHAIN_HASH_LEN], zero[CHAIN_HASH_LEN] = { 0 };
	uint8_t state1[256];
	char path[256], hex[2 * CAMERA_ID_LEN + 1];
	struct link_info li;
	struct buf seg, got, st1;
	size_t off = 0, n, cut;
	uint64_t nseq;
	int64_t end;
	int records = 0;

	assert_non_null(s);
	ss = stream_open(f, s, &nseq, prev, &end);
	buf_init(&seg, 1 << 20);
	buf_init(&got, 1 << 20);
	buf_init(&st1, 4096);
	build_segment(&f->k, 0, zero, 6, 200, &seg, next);
	/* Write the header, the init chunk, 3 media chunks and half of the 4th. */
	assert_int_equal(spool_link_begin(ss, 0), 0);
	while (records < 5) {
		n = RECORD_HDR_LEN + be_get32(seg.data + off);
		assert_int_equal(spool_link_append(ss, seg.data + off, n), 0);
		off += n;
		records++;
	}
	cut = (RECORD_HDR_LEN + be_get32(seg.data + off)) / 2;
	assert_int_equal(spool_link_append(ss, seg.data + off, cut), 0);
	/* Crash: the process goes away with the link open. */
	spool_close(s);

	s = spool_open(f->dir, 1 << 30);
	ss = stream_open(f, s, &nseq, prev, &end);
	assert_int_equal(nseq, 1);
	assert_true(end >= 0);
	read_link(ss, 0, &got);
	assert_int_equal(seg_open_link(got.data, got.len, f->k.gpk, key_fn, &f->k, NULL, NULL, &li),
	    SEG_OK);
	assert_true(li.truncated);
	assert_int_equal(li.nchunks, 4);
	assert_memory_equal(li.hash, prev, CHAIN_HASH_LEN);
	/* The torn bytes are gone, the kept bytes are the original ones. */
	assert_memory_equal(got.data, seg.data, off);
	assert_int_equal(got.len, off + RECORD_HDR_LEN + SEG_END_LEN);

	/* A link that never got its header is dropped, and seq 1 is still next. */
	assert_int_equal(spool_link_begin(ss, 1), 0);
	assert_int_equal(spool_link_append(ss, seg.data, 10), 0);
	spool_close(s);
	s = spool_open(f->dir, 1 << 30);
	ss = stream_open(f, s, &nseq, next, &end);
	assert_int_equal(nseq, 1);
	assert_memory_equal(next, prev, CHAIN_HASH_LEN);
	hex_encode(f->k.cam, CAMERA_ID_LEN, hex);
	snprintf(path, sizeof(path), "%s/%s-0/%020d.open", f->dir, hex, 1);
	assert_int_not_equal(access(path, F_OK), 0);

	/* A state file older than the newest link (crash between rename and state write):
	 * the link wins. */
	snprintf(path, sizeof(path), "%s/%s-0/state", f->dir, hex);
	assert_int_equal(file_read(path, &st1, sizeof(state1)), 0);
	buf_reset(&seg);
	build_segment(&f->k, 1, prev, 2, 100, &seg, next);
	spool_segment(ss, &seg, 1, next, 1999);
	spool_close(s);
	assert_int_equal(file_write_atomic(path, st1.data, st1.len, 0600), 0);
	s = spool_open(f->dir, 1 << 30);
	ss = stream_open(f, s, &nseq, prev, &end);
	assert_int_equal(nseq, 2);
	assert_memory_equal(prev, next, CHAIN_HASH_LEN);
	assert_int_equal(end, 1999);
	spool_close(s);
	buf_free(&seg);
	buf_free(&got);
	buf_free(&st1);
}

/* Verify link seq from the spool and feed it to the chain. */
static void
chain_link(struct fixture *f, struct chain *c, const struct buf *b, struct link_info *li)
{
	assert_int_equal(seg_open_link(b->data, b->len, f->k.gpk, key_fn, &f->k, NULL, NULL, li),
	    SEG_OK);
	assert_int_equal(chain_check(c, li), SEG_OK);
}

static void
test_eviction_gap(void **state)
{
	struct fixture *f = *state;
	struct spool *s;
	struct spool_stream *ss;
	uint8_t prev[CHAIN_HASH_LEN], next[CHAIN_HASH_LEN];
	struct buf seg, seg0, got;
	struct link_info li;
	struct chain c;
	uint64_t nseq, seq, from, max;
	int64_t end;
	int open, gaps = 0, links = 0;

	buf_init(&seg, 1 << 20);
	buf_init(&seg0, 1 << 20);
	buf_init(&got, 1 << 20);
	memset(prev, 0, sizeof(prev));
	build_segment(&f->k, 0, prev, 4, 1000, &seg0, next);
	/* Room for about three segments of this size. */
	max = 3 * seg0.len + seg0.len / 2;
	s = spool_open(f->dir, max);
	assert_non_null(s);
	ss = stream_open(f, s, &nseq, prev, &end);
	/* Seq 0 reaches the server (sent and acked); 1..9 pile up with the server away. */
	spool_segment(ss, &seg0, 0, next, 999);
	assert_int_equal(spool_ack(ss, 0), 0);
	memcpy(prev, next, CHAIN_HASH_LEN);
	for (seq = 1; seq < 10; seq++) {
		buf_reset(&seg);
		build_segment(&f->k, seq, prev, 4, 1000, &seg, next);
		spool_segment(ss, &seg, seq, next, 1000 * (int64_t)seq + 999);
		memcpy(prev, next, CHAIN_HASH_LEN);
		assert_true(spool_bytes(s) <= max + seg.len);
	}
	assert_true(spool_bytes(s) <= max);
	/* The server's view: seq 0, then whatever the spool still holds, in order. */
	chain_init(&c, f->k.cam, 0);
	chain_link(f, &c, &seg0, &li);
	from = 0;
	while (spool_next(ss, from, &seq, &open) == 0) {
		read_link(ss, seq, &got);
		chain_link(f, &c, &got, &li);
		if (li.is_gap) {
			gaps++;
			assert_int_equal(li.gap_reason, GAP_SPOOL_EVICTED);
			assert_int_equal(li.seq, 1);
			assert_true(li.last_seq > li.seq);
			assert_int_equal(li.start_us, 1000);
		}
		links++;
		from = seq + 1;
	}
	assert_int_equal(gaps, 1);
	assert_true(links >= 2);
	assert_int_equal(c.next_seq, 10);
	assert_memory_equal(c.next_prev, prev, CHAIN_HASH_LEN);
	/* The eviction survives a restart. */
	spool_close(s);
	s = spool_open(f->dir, max);
	ss = stream_open(f, s, &nseq, next, &end);
	assert_int_equal(nseq, 10);
	assert_memory_equal(next, prev, CHAIN_HASH_LEN);
	assert_int_equal(spool_next(ss, 0, &seq, &open), 0);
	assert_int_equal(seq, 1);
	spool_close(s);
	buf_free(&seg);
	buf_free(&seg0);
	buf_free(&got);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_commit_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reader_woken, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reader_across_commit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ack_deletes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recover_torn, setup, teardown),
		cmocka_unit_test_setup_teardown(test_eviction_gap, setup, teardown),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
