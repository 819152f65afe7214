/* test_cli_clip.c - unit tests of export's verify-then-write pipeline on links built in memory, with tampering. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <sodium.h>
#include "cli/clip.h"
#include "cli/keysfile.h"
#include "cli/mp4out.h"
#include "common/segment.h"
#include "common/util.h"

#define T0 INT64_C(1795823400000000)
#define FRAME_US 40000
#define NFRAMES 5
#define SEG_US (NFRAMES * FRAME_US)
#define NLINKS 6

struct fx {
	struct keysfile *keys;
	uint8_t cam[CAMERA_ID_LEN], cam2[CAMERA_ID_LEN];
	uint8_t epk[EPOCH_PK_LEN], esk[EPOCH_SK_LEN];
	uint8_t gpk[GATEWAY_ID_LEN], gsk[GATEWAY_SK_LEN];
	uint8_t opk[GATEWAY_ID_LEN], osk[GATEWAY_SK_LEN];   /* an unpinned gateway */
	char dir[64];
	char out[128], out2[128];
	struct buf links[NLINKS];   /* a good chain: seqs 0..5, seq 3 is a gap */
	const struct keys_camera *kc;
};

/* The flags build_seg signs into a segment's end (SEG_END_PAUSED). */
static uint8_t g_end_flags;

/* Build segment seq of camera cam, stream st, signed with sk: an init chunk with body
 * "INIT-<tag>" and NFRAMES media chunks "F<seq>.<i>" a frame apart from start. */
static void
build_seg(const struct fx *f, const uint8_t *cam, uint8_t st, const uint8_t *sk, uint64_t seq,
    const uint8_t prev[CHAIN_HASH_LEN], int64_t start, char tag, uint32_t epoch,
    struct buf *out, uint8_t next[CHAIN_HASH_LEN])
{
	struct seg_writer *w = NULL;
	struct buf p;
	char body[32];
	int i;

	buf_init(&p, 1024);
	assert_int_equal(seg_writer_begin(&w, sk, cam, st, seq, start, epoch, f->epk, prev, out), 0);
	snprintf(body, sizeof(body), "INIT-%c", tag);
	assert_int_equal(chunk_plain_put(&p, CHUNK_INIT, 0, start, NULL, 0), 0);
	/* The init body is codec_len | codec | ftyp+moov. */
	assert_int_equal(buf_put_u8(&p, 11), 0);
	assert_int_equal(buf_put(&p, "avc1.64001f", 11), 0);
	assert_int_equal(buf_put(&p, body, strlen(body)), 0);
	assert_int_equal(seg_writer_chunk(w, p.data, p.len, out), 0);
	for (i = 0; i < NFRAMES; i++) {
		buf_reset(&p);
		snprintf(body, sizeof(body), "F%llu.%d;", (unsigned long long)seq, i);
		assert_int_equal(chunk_plain_put(&p, CHUNK_MEDIA, i == 0 ? CHUNK_KEYFRAME : 0,
		    start + (int64_t)i * FRAME_US, body, strlen(body)), 0);
		assert_int_equal(seg_writer_chunk(w, p.data, p.len, out), 0);
	}
	seg_writer_set_end_flags(w, g_end_flags);
	assert_int_equal(seg_writer_end(w, start + SEG_US, out, next), 0);
	seg_writer_free(w);
	buf_free(&p);
}

static uint16_t g_gap_reason = GAP_CAMERA_OFFLINE;

static void
build_gap(const uint8_t *cam, const uint8_t *sk, uint64_t seq, const uint8_t prev[CHAIN_HASH_LEN],
    int64_t from, int64_t to, struct buf *out, uint8_t next[CHAIN_HASH_LEN])
{
	struct gap g;

	memset(&g, 0, sizeof(g));
	memcpy(g.camera_id, cam, CAMERA_ID_LEN);
	g.reason = g_gap_reason;
	g.seq = g.last_seq = seq;
	g.from_us = from;
	g.to_us = to;
	memcpy(g.prev_hash, prev, CHAIN_HASH_LEN);
	assert_int_equal(gap_build(sk, &g, out, next), 0);
}

static int64_t
link_start(uint64_t seq)
{
	return T0 + (int64_t)seq * SEG_US;
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	uint8_t prev[CHAIN_HASH_LEN] = { 0 }, next[CHAIN_HASH_LEN], epk2[32], esk2[32];
	uint64_t s;

	if (f == NULL || sodium_init() < 0)
		return -1;
	randombytes_buf(f->cam, sizeof(f->cam));
	randombytes_buf(f->cam2, sizeof(f->cam2));
	crypto_box_keypair(f->epk, f->esk);
	crypto_box_keypair(epk2, esk2);
	crypto_sign_keypair(f->gpk, f->gsk);
	crypto_sign_keypair(f->opk, f->osk);
	f->keys = keysfile_new();
	if (f->keys == NULL || keysfile_add_gateway(f->keys, f->gpk) != 0 ||
	    keysfile_add_camera(f->keys, "cam1", f->cam, 1, f->epk, f->esk) != 0 ||
	    keysfile_add_camera(f->keys, "cam2", f->cam2, 1, f->epk, f->esk) != 0)
		return -1;
	f->kc = keysfile_camera_by_name(f->keys, "cam1");
	snprintf(f->dir, sizeof(f->dir), "/tmp/vigil-test-clipXXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->out, sizeof(f->out), "%s/clip.mp4", f->dir);
	snprintf(f->out2, sizeof(f->out2), "%s/clip-2.mp4", f->dir);
	for (s = 0; s < NLINKS; s++) {
		buf_init(&f->links[s], 1u << 20);
		if (s == 3)
			build_gap(f->cam, f->gsk, s, prev, link_start(s), link_start(s + 1),
			    &f->links[s], next);
		else
			build_seg(f, f->cam, 0, f->gsk, s, prev, link_start(s), 'A', 1, &f->links[s],
			    next);
		memcpy(prev, next, sizeof(prev));
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	int i;

	for (i = 0; i < NLINKS; i++)
		buf_free(&f->links[i]);
	keysfile_free(f->keys);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* Read a whole file into a NUL-terminated string (empty when missing). */
static void
slurp(const char *path, char *out, size_t n)
{
	struct buf b;

	buf_init(&b, n - 1);
	out[0] = '\0';
	if (file_read(path, &b, n - 1) == 0) {
		memcpy(out, b.data, b.len);
		out[b.len] = '\0';
	}
	buf_free(&b);
}

static int
exists(const char *path)
{
	return access(path, F_OK) == 0;
}

struct run {
	int err;
	uint64_t err_seq;
	struct clip_stats st;
};

/* Export links (by pointer and length) over [from, to) into f->out. */
static struct run
run_clip(struct fx *f, const struct buf *const *links, size_t n, int64_t from, int64_t to,
    int write)
{
	struct clip_opts o = { f->keys, f->kc, 0, from, to, NULL, NULL };
	struct mp4out *m = write ? mp4out_new(f->out) : NULL;
	struct clip *c;
	struct run r = { 0 };
	size_t i;

	o.out = m;
	c = clip_new(&o);
	assert_non_null(c);
	for (i = 0; i < n && r.err == 0; i++)
		r.err = clip_link(c, links[i]->data, links[i]->len);
	if (r.err == 0)
		r.err = clip_finish(c);
	r.err_seq = clip_err_seq(c);
	r.st = *clip_stats(c);
	clip_free(c);
	mp4out_free(m);
	return r;
}

static struct run
run_all(struct fx *f, int64_t from, int64_t to)
{
	const struct buf *l[NLINKS];
	int i;

	for (i = 0; i < NLINKS; i++)
		l[i] = &f->links[i];
	return run_clip(f, l, NLINKS, from, to, 1);
}

static void
cleanup_out(struct fx *f)
{
	unlink(f->out);
	unlink(f->out2);
}

static void
test_export_all(void **state)
{
	struct fx *f = *state;
	struct run r = run_all(f, T0, T0 + 100 * SEG_US);
	char got[4096];

	assert_int_equal(r.err, SEG_OK);
	assert_int_equal(r.st.links, NLINKS);
	assert_int_equal(r.st.gaps, 1);
	assert_int_equal(r.st.segments, NLINKS - 1);
	assert_int_equal(r.st.frames, (NLINKS - 1) * NFRAMES);
	assert_int_equal(r.st.first_us, T0);
	assert_int_equal(r.st.last_us, link_start(NLINKS - 1) + (NFRAMES - 1) * FRAME_US);
	slurp(f->out, got, sizeof(got));
	assert_string_equal(got, "INIT-AF0.0;F0.1;F0.2;F0.3;F0.4;F1.0;F1.1;F1.2;F1.3;F1.4;"
	    "F2.0;F2.1;F2.2;F2.3;F2.4;F4.0;F4.1;F4.2;F4.3;F4.4;F5.0;F5.1;F5.2;F5.3;F5.4;");
	assert_false(exists(f->out2));
	cleanup_out(f);
}

/* The clip starts at the segment holding from and ends before to. */
static void
test_export_range(void **state)
{
	struct fx *f = *state;
	const struct buf *l[3] = { &f->links[0], &f->links[1], &f->links[2] };
	struct run r;
	char got[4096];

	/* from inside segment 1, to inside segment 2 (after its frame 2). */
	r = run_clip(f, l, 3, link_start(1) + 2 * FRAME_US + 1, link_start(2) + 2 * FRAME_US + 1, 1);
	assert_int_equal(r.err, SEG_OK);
	assert_int_equal(r.st.segments, 2);
	assert_int_equal(r.st.frames, NFRAMES + 3);
	slurp(f->out, got, sizeof(got));
	assert_string_equal(got, "INIT-AF1.0;F1.1;F1.2;F1.3;F1.4;F2.0;F2.1;F2.2;");
	cleanup_out(f);
}

/* A later segment with another init continues in clip-2.mp4. */
static void
test_init_change(void **state)
{
	struct fx *f = *state;
	uint8_t prev[CHAIN_HASH_LEN] = { 0 }, next[CHAIN_HASH_LEN];
	struct buf a, b;
	const struct buf *l[2] = { &a, &b };
	struct run r;
	char got[4096];

	buf_init(&a, 1u << 20);
	buf_init(&b, 1u << 20);
	build_seg(f, f->cam, 0, f->gsk, 7, prev, T0, 'A', 1, &a, next);
	build_seg(f, f->cam, 0, f->gsk, 8, next, T0 + SEG_US, 'B', 1, &b, prev);
	r = run_clip(f, l, 2, T0, T0 + 10 * SEG_US, 1);
	assert_int_equal(r.err, SEG_OK);
	slurp(f->out, got, sizeof(got));
	assert_string_equal(got, "INIT-AF7.0;F7.1;F7.2;F7.3;F7.4;");
	slurp(f->out2, got, sizeof(got));
	assert_string_equal(got, "INIT-BF8.0;F8.1;F8.2;F8.3;F8.4;");
	cleanup_out(f);
	buf_free(&a);
	buf_free(&b);
}

/* A segment closed as truncated by a restarted gateway is accepted and counted. */
static void
test_truncated_segment(void **state)
{
	struct fx *f = *state;
	uint8_t prev[CHAIN_HASH_LEN] = { 0 }, next[CHAIN_HASH_LEN];
	struct seg_writer *w = NULL;
	struct buf link, chunks, p;
	const struct buf *l[1] = { &link };
	struct run r;
	char got[256];

	buf_init(&link, 1u << 20);
	buf_init(&chunks, 1u << 20);
	buf_init(&p, 1024);
	assert_int_equal(seg_writer_begin(&w, f->gsk, f->cam, 0, 0, T0, 1, f->epk, prev, &link), 0);
	assert_int_equal(chunk_plain_put(&p, CHUNK_INIT, 0, T0, "\x04" "avc1" "INIT-T", 11), 0);
	assert_int_equal(seg_writer_chunk(w, p.data, p.len, &chunks), 0);
	buf_reset(&p);
	assert_int_equal(chunk_plain_put(&p, CHUNK_MEDIA, CHUNK_KEYFRAME, T0, "K;", 2), 0);
	assert_int_equal(seg_writer_chunk(w, p.data, p.len, &chunks), 0);
	assert_int_equal(buf_put(&link, chunks.data, chunks.len), 0);
	assert_int_equal(seg_close_truncated(f->gsk, seg_writer_header(w), chunks.data, chunks.len,
	    T0 + FRAME_US, &link, next), 0);
	r = run_clip(f, l, 1, T0, T0 + SEG_US, 1);
	assert_int_equal(r.err, SEG_OK);
	assert_int_equal(r.st.truncated, 1);
	assert_int_equal(r.st.frames, 1);
	slurp(f->out, got, sizeof(got));
	assert_string_equal(got, "INIT-TK;");
	cleanup_out(f);
	seg_writer_free(w);
	buf_free(&link);
	buf_free(&chunks);
	buf_free(&p);
}

/* Run the chain with link idx replaced by a tampered copy; expect err at seq, no file. */
static void
expect_tamper(struct fx *f, size_t idx, const struct buf *bad, int err, uint64_t seq)
{
	const struct buf *l[NLINKS];
	struct run r;
	size_t i;

	for (i = 0; i < NLINKS; i++)
		l[i] = i == idx ? bad : &f->links[i];
	r = run_clip(f, l, NLINKS, T0, T0 + 100 * SEG_US, 1);
	if (r.err != err)
		fail_msg("link %zu: got %d (%s), want %d (%s)", idx, r.err, clip_strerror(r.err), err,
		    clip_strerror(err));
	assert_int_equal(r.err_seq, seq);
	/* Link 0 was already written when the bad link came: the file must be gone. */
	assert_false(exists(f->out));
	assert_false(exists(f->out2));
}

/* A copy of link idx with byte off (from the end when negative) flipped. */
static void
flipped(const struct fx *f, size_t idx, long off, struct buf *out)
{
	const struct buf *src = &f->links[idx];
	size_t at = off < 0 ? src->len - (size_t)(-off) : (size_t)off;

	buf_init(out, src->len);
	assert_int_equal(buf_put(out, src->data, src->len), 0);
	out->data[at] ^= 0x20;
}

static void
test_tamper_bytes(void **state)
{
	struct fx *f = *state;
	struct buf b;
	/* Link 1's layout: SEG_HEADER record (5+208), init CHUNK record, ... SEG_END (5+120). */
	size_t first_chunk = RECORD_HDR_LEN + SEG_HEADER_LEN + RECORD_HDR_LEN;

	flipped(f, 1, (long)first_chunk + 20, &b);         /* init chunk ciphertext */
	expect_tamper(f, 1, &b, SEG_E_DECRYPT, 1);
	buf_free(&b);
	flipped(f, 1, -10, &b);                             /* the signature */
	expect_tamper(f, 1, &b, SEG_E_SIGNATURE, 1);
	buf_free(&b);
	flipped(f, 1, -(long)(SIG_LEN + 5), &b);               /* ct_hash in SEG_END */
	expect_tamper(f, 1, &b, SEG_E_SIGNATURE, 1);
	buf_free(&b);
	flipped(f, 1, RECORD_HDR_LEN + 30, &b);             /* start_us in the header */
	expect_tamper(f, 1, &b, SEG_E_SIGNATURE, 1);
	buf_free(&b);
	flipped(f, 1, RECORD_HDR_LEN + 50, &b);             /* the sealed key */
	expect_tamper(f, 1, &b, SEG_E_KEY, 1);
	buf_free(&b);
	flipped(f, 3, -10, &b);                             /* the gap's signature */
	expect_tamper(f, 3, &b, SEG_E_SIGNATURE, 3);
	buf_free(&b);
	flipped(f, 3, RECORD_HDR_LEN + 40, &b);             /* the gap's from_us */
	expect_tamper(f, 3, &b, SEG_E_SIGNATURE, 3);
	buf_free(&b);
}

static void
test_tamper_truncated_download(void **state)
{
	struct fx *f = *state;
	struct buf b;

	buf_init(&b, f->links[2].len);
	assert_int_equal(buf_put(&b, f->links[2].data, f->links[2].len - 7), 0);
	expect_tamper(f, 2, &b, SEG_E_INCOMPLETE, 2);
	buf_reset(&b);
	/* Cut at a record boundary: the SEG_END is missing. */
	assert_int_equal(buf_put(&b, f->links[2].data, f->links[2].len - RECORD_HDR_LEN - SEG_END_LEN), 0);
	expect_tamper(f, 2, &b, SEG_E_INCOMPLETE, 2);
	buf_reset(&b);
	expect_tamper(f, 2, &b, SEG_E_INCOMPLETE, 2);       /* empty body */
	buf_free(&b);
}

static void
test_tamper_chain(void **state)
{
	struct fx *f = *state;
	const struct buf *l[NLINKS];
	uint8_t zero[CHAIN_HASH_LEN] = { 0 }, next[CHAIN_HASH_LEN];
	struct buf b;
	struct run r;

	/* Missing seq: 0 1 2 4 5 (the gap link 3 deleted). */
	l[0] = &f->links[0]; l[1] = &f->links[1]; l[2] = &f->links[2];
	l[3] = &f->links[4]; l[4] = &f->links[5];
	r = run_clip(f, l, 5, T0, T0 + 100 * SEG_US, 1);
	assert_int_equal(r.err, SEG_E_CHAIN_GAP);
	assert_int_equal(r.err_seq, 4);
	assert_false(exists(f->out));
	/* Swapped: 0 2 1. */
	l[0] = &f->links[0]; l[1] = &f->links[2]; l[2] = &f->links[1];
	r = run_clip(f, l, 3, T0, T0 + 100 * SEG_US, 1);
	assert_int_equal(r.err, SEG_E_CHAIN_GAP);
	assert_int_equal(r.err_seq, 2);
	assert_false(exists(f->out));
	/* Repeated: 0 1 1, and backwards: 1 0. */
	l[0] = &f->links[0]; l[1] = &f->links[1]; l[2] = &f->links[1];
	r = run_clip(f, l, 3, T0, T0 + 100 * SEG_US, 1);
	assert_int_equal(r.err, SEG_E_CHAIN_ORDER);
	l[0] = &f->links[1]; l[1] = &f->links[0];
	r = run_clip(f, l, 2, T0, T0 + 100 * SEG_US, 1);
	assert_int_equal(r.err, SEG_E_CHAIN_ORDER);
	assert_false(exists(f->out));
	/* A substituted link with the right seq that does not chain. */
	buf_init(&b, 1u << 20);
	build_seg(f, f->cam, 0, f->gsk, 2, zero, link_start(2), 'A', 1, &b, next);
	expect_tamper(f, 2, &b, SEG_E_CHAIN_HASH, 2);
	buf_free(&b);
}

static void
test_tamper_foreign(void **state)
{
	struct fx *f = *state;
	uint8_t prev[CHAIN_HASH_LEN], next[CHAIN_HASH_LEN];
	struct link_info li;
	struct buf b;

	/* The right predecessor hash, so only the foreign property is wrong. */
	assert_int_equal(seg_open_link(f->links[1].data, f->links[1].len, f->gpk, keysfile_seg_key,
	    f->keys, NULL, NULL, &li), SEG_OK);
	memcpy(prev, li.hash, sizeof(prev));
	buf_init(&b, 1u << 20);
	/* Another camera's link (whose key we hold). */
	build_seg(f, f->cam2, 0, f->gsk, 2, prev, link_start(2), 'A', 1, &b, next);
	expect_tamper(f, 2, &b, SEG_E_CAMERA, 2);
	buf_reset(&b);
	/* The same camera's other stream. */
	build_seg(f, f->cam, 1, f->gsk, 2, prev, link_start(2), 'A', 1, &b, next);
	expect_tamper(f, 2, &b, SEG_E_CAMERA, 2);
	buf_reset(&b);
	/* Signed by a gateway key that is not pinned. */
	build_seg(f, f->cam, 0, f->osk, 2, prev, link_start(2), 'A', 1, &b, next);
	expect_tamper(f, 2, &b, SEG_E_GATEWAY, 2);
	buf_reset(&b);
	/* An epoch we hold no key for. */
	build_seg(f, f->cam, 0, f->gsk, 2, prev, link_start(2), 'A', 9, &b, next);
	expect_tamper(f, 2, &b, SEG_E_KEY, 2);
	buf_reset(&b);
	/* Two links in one body. */
	assert_int_equal(buf_put(&b, f->links[2].data, f->links[2].len), 0);
	assert_int_equal(buf_put(&b, f->links[3].data, f->links[3].len), 0);
	expect_tamper(f, 2, &b, SEG_E_FORMAT, 2);
	buf_free(&b);
}

/* A camera restricted to the gateways of its site (orgkeysrc.c) refuses a link signed by
 * another pinned gateway, one certified for another site, and still reads its own. */
static void
test_other_site_gateway(void **state)
{
	struct fx *f = *state;
	struct keys_camera *kc = &f->keys->cameras[0];
	uint8_t prev[CHAIN_HASH_LEN], next[CHAIN_HASH_LEN];
	struct link_info li;
	struct buf b;
	const struct buf *l[NLINKS];
	struct run r;
	size_t i;

	assert_ptr_equal(kc, f->kc);
	assert_int_equal(keysfile_add_gateway(f->keys, f->opk), 0);
	assert_int_equal(keysfile_camera_allow(kc, f->gpk), 0);
	assert_int_equal(seg_open_link(f->links[1].data, f->links[1].len, f->gpk, keysfile_seg_key,
	    f->keys, NULL, NULL, &li), SEG_OK);
	memcpy(prev, li.hash, sizeof(prev));
	buf_init(&b, 1u << 20);
	/* Pinned for the organization, not for this camera's site. */
	build_seg(f, f->cam, 0, f->osk, 2, prev, link_start(2), 'A', 1, &b, next);
	expect_tamper(f, 2, &b, SEG_E_GATEWAY, 2);
	for (i = 0; i < NLINKS; i++)
		l[i] = &f->links[i];
	r = run_clip(f, l, NLINKS, T0, T0 + 100 * SEG_US, 0);
	assert_int_equal(r.err, SEG_OK);
	buf_free(&b);
	/* Undo for the other tests: the fixture is shared. */
	free(kc->gateways);
	kc->gateways = NULL;
	kc->ngateways = 0;
	kc->restricted = 0;
	f->keys->ngateways--;
}

/* Verify-only runs write nothing and count the same. */
/* Export links of the fixture's camera into the report rep; returns the gaps counted. */
static uint64_t
report_of(struct fx *f, const struct buf *l, size_t n, char *rep, size_t cap)
{
	struct clip_opts o = { f->keys, f->kc, 0, link_start(0), link_start(n), NULL, NULL };
	struct clip *c;
	FILE *fp = tmpfile();
	uint64_t gaps;
	size_t i, got;

	assert_non_null(fp);
	o.report = fp;
	c = clip_new(&o);
	assert_non_null(c);
	for (i = 0; i < n; i++)
		assert_int_equal(clip_link(c, l[i].data, l[i].len), SEG_OK);
	assert_int_equal(clip_finish(c), SEG_OK);
	gaps = clip_stats(c)->gaps;
	clip_free(c);
	rewind(fp);
	got = fread(rep, 1, cap - 1, fp);
	rep[got] = '\0';
	fclose(fp);
	return gaps;
}

/* A segment flagged paused and followed at once by the next segment (a pause shorter than
 * the held pre-roll) has no pause note: nothing is missing. */
static void
test_pause_without_gap_not_noted(void **state)
{
	struct fx *f = *state;
	struct buf l[2];
	uint8_t prev[CHAIN_HASH_LEN] = { 0 }, next[CHAIN_HASH_LEN];
	char rep[1024];
	uint64_t s;

	for (s = 0; s < 2; s++) {
		buf_init(&l[s], 1u << 20);
		g_end_flags = s == 0 ? SEG_END_PAUSED : 0;
		build_seg(f, f->cam, 0, f->gsk, s, prev, link_start(s), 'A', 1, &l[s], next);
		memcpy(prev, next, sizeof(prev));
	}
	g_end_flags = 0;
	report_of(f, l, 2, rep, sizeof(rep));
	assert_null(strstr(rep, "recording paused"));
	/* Ending the export on it notes it (what follows is outside the range). */
	report_of(f, l, 1, rep, sizeof(rep));
	assert_non_null(strstr(rep, "note: recording paused after segment seq 0"));
	for (s = 0; s < 2; s++)
		buf_free(&l[s]);
}

/* A motion-only camera's pause is a run of "no motion" gaps (one per 30 s): the report
 * gives it one line naming the run; a run broken by a segment gives two. Each paused
 * segment before a gap is noted. */
static void
test_idle_gaps_one_line(void **state)
{
	struct fx *f = *state;
	enum { N = 7 };
	struct buf l[N];
	uint8_t prev[CHAIN_HASH_LEN] = { 0 }, next[CHAIN_HASH_LEN];
	char rep[2048];
	uint64_t s;

	/* seg 0 (paused), idle gaps 1-3 end to end, seg 4 (paused), idle gap 5, seg 6 */
	g_gap_reason = GAP_MOTION_IDLE;
	for (s = 0; s < N; s++) {
		buf_init(&l[s], 1u << 20);
		if (s == 1 || s == 2 || s == 3 || s == 5) {
			build_gap(f->cam, f->gsk, s, prev, link_start(s), link_start(s + 1), &l[s], next);
		} else {
			g_end_flags = s == 0 || s == 4 ? SEG_END_PAUSED : 0;
			build_seg(f, f->cam, 0, f->gsk, s, prev, link_start(s), 'A', 1, &l[s], next);
			g_end_flags = 0;
		}
		memcpy(prev, next, sizeof(prev));
	}
	g_gap_reason = GAP_CAMERA_OFFLINE;
	assert_int_equal(report_of(f, l, N, rep, sizeof(rep)), 4);
	assert_non_null(strstr(rep, "gap: seq 1-3 "));
	assert_non_null(strstr(rep, "reason=no motion (camera records on motion only) (3 signed gaps)"));
	assert_non_null(strstr(rep, "gap: seq 5 "));
	assert_null(strstr(rep, "gap: seq 2"));
	assert_non_null(strstr(rep, "note: recording paused after segment seq 0"));
	assert_non_null(strstr(rep, "note: recording paused after segment seq 4"));
	assert_true(strstr(rep, "segment seq 0") < strstr(rep, "gap: seq 1-3"));
	for (s = 0; s < N; s++)
		buf_free(&l[s]);
}

static void
test_verify_only(void **state)
{
	struct fx *f = *state;
	const struct buf *l[NLINKS];
	struct run r;
	int i;

	for (i = 0; i < NLINKS; i++)
		l[i] = &f->links[i];
	r = run_clip(f, l, NLINKS, 0, INT64_MAX, 0);
	assert_int_equal(r.err, SEG_OK);
	assert_int_equal(r.st.links, NLINKS);
	assert_int_equal(r.st.gaps, 1);
	assert_false(exists(f->out));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_export_all),
		cmocka_unit_test(test_export_range),
		cmocka_unit_test(test_init_change),
		cmocka_unit_test(test_truncated_segment),
		cmocka_unit_test(test_tamper_bytes),
		cmocka_unit_test(test_tamper_truncated_download),
		cmocka_unit_test(test_tamper_chain),
		cmocka_unit_test(test_tamper_foreign),
		cmocka_unit_test(test_other_site_gateway),
		cmocka_unit_test(test_verify_only),
		cmocka_unit_test(test_idle_gaps_one_line),
		cmocka_unit_test(test_pause_without_gap_not_noted),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
