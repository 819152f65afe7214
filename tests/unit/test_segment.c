/* test_segment.c - unit tests of record framing, link building, verification and the chain. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "common/segment.h"

struct keys {
	uint8_t cam[CAMERA_ID_LEN];
	uint8_t epk[EPOCH_PK_LEN], esk[EPOCH_SK_LEN];
	uint8_t gpk[GATEWAY_ID_LEN], gsk[GATEWAY_SK_LEN];
};

struct got {
	int chunks;
	size_t bytes;
	char last[64];
};

static int
key_fn(void *ctx, const uint8_t cam[CAMERA_ID_LEN], uint32_t epoch, uint8_t pk[EPOCH_PK_LEN],
    uint8_t sk[EPOCH_SK_LEN])
{
	struct keys *k = ctx;

	if (memcmp(cam, k->cam, CAMERA_ID_LEN) != 0 || epoch != 1)
		return -1;
	memcpy(pk, k->epk, EPOCH_PK_LEN);
	memcpy(sk, k->esk, EPOCH_SK_LEN);
	return 0;
}

static int
chunk_fn(void *ctx, const struct chunk_plain *c)
{
	struct got *g = ctx;

	g->chunks++;
	g->bytes += c->body_len;
	if (c->body_len < sizeof(g->last)) {
		memcpy(g->last, c->body, c->body_len);
		g->last[c->body_len] = '\0';
	}
	return 0;
}

static void
keys_make(struct keys *k)
{
	randombytes_buf(k->cam, sizeof(k->cam));
	crypto_box_keypair(k->epk, k->esk);
	crypto_sign_keypair(k->gpk, k->gsk);
}

/* The flags build_segment asks the writer to sign into the segment's end. */
static uint8_t g_end_flags;
/* build_segment writes a live-only segment (seg_writer_begin_live). */
static int g_live_only;

/* Build segment seq with nframes media chunks into out. */
static void
build_segment(const struct keys *k, uint64_t seq, const uint8_t prev[CHAIN_HASH_LEN],
    int nframes, struct buf *out, uint8_t next[CHAIN_HASH_LEN])
{
	struct seg_writer *w = NULL;
	struct buf plain;
	char body[32];
	int i;

	buf_init(&plain, 1 << 20);
	assert_int_equal((g_live_only ? seg_writer_begin_live : seg_writer_begin)(&w, k->gsk,
	    k->cam, 0, seq, 1000 * (int64_t)seq, 1, k->epk, prev, out), 0);
	buf_put_u8(&plain, CHUNK_INIT);
	buf_put_u8(&plain, 0);
	buf_put_u64(&plain, 1);
	buf_put_u8(&plain, 11);
	buf_put(&plain, "avc1.64001f", 11);
	buf_put(&plain, "ftypmoov", 8);
	assert_int_equal(seg_writer_chunk(w, plain.data, plain.len, out), 0);
	for (i = 0; i < nframes; i++) {
		buf_reset(&plain);
		snprintf(body, sizeof(body), "frame-%d", i);
		chunk_plain_put(&plain, CHUNK_MEDIA, i == 0, 2 + i, body, strlen(body));
		assert_int_equal(seg_writer_chunk(w, plain.data, plain.len, out), 0);
	}
	seg_writer_set_end_flags(w, g_end_flags);
	assert_int_equal(seg_writer_end(w, 1000 * (int64_t)seq + 999, out, next), 0);
	seg_writer_free(w);
	buf_free(&plain);
}

static void
test_roundtrip(void **state)
{
	struct keys k;
	struct buf b;
	struct got g = { 0 };
	struct link_info li;
	uint8_t zero[CHAIN_HASH_LEN] = { 0 }, next[CHAIN_HASH_LEN];

	keys_make(&k);
	buf_init(&b, 1 << 20);
	build_segment(&k, 0, zero, 5, &b, next);
	assert_int_equal(seg_open_link(b.data, b.len, k.gpk, key_fn, &k, chunk_fn, &g, &li), SEG_OK);
	assert_int_equal(g.chunks, 6); /* init + 5 frames */
	assert_string_equal(g.last, "frame-4");
	assert_int_equal(li.seq, 0);
	assert_int_equal(li.nchunks, 7);
	assert_memory_equal(li.hash, next, CHAIN_HASH_LEN);
	assert_false(li.truncated);
	buf_free(&b);
}

/* A segment after which recording pauses (motion-only cameras) says so in its signed end:
 * the reader reports it, and the flag cannot be changed or the truncated flag claimed. */
static void
test_paused_end(void **state)
{
	struct keys k;
	struct buf b;
	struct link_info li;
	uint8_t zero[CHAIN_HASH_LEN] = { 0 }, next[CHAIN_HASH_LEN];
	size_t flags_at;

	(void)state;
	keys_make(&k);
	buf_init(&b, 1 << 20);
	g_end_flags = SEG_END_PAUSED | SEG_END_TRUNCATED;
	build_segment(&k, 0, zero, 2, &b, next);
	g_end_flags = 0;
	assert_int_equal(seg_open_link(b.data, b.len, k.gpk, key_fn, &k, NULL, NULL, &li), SEG_OK);
	assert_true(li.paused);
	assert_false(li.truncated);
	/* The SEG_END payload is last; its flags byte follows seq, end_us and nchunks. */
	flags_at = b.len - SEG_END_LEN + 20;
	assert_int_equal(b.data[flags_at], SEG_END_PAUSED);
	b.data[flags_at] = 0;
	assert_int_equal(seg_open_link(b.data, b.len, k.gpk, key_fn, &k, NULL, NULL, &li),
	    SEG_E_SIGNATURE);
	buf_reset(&b);
	build_segment(&k, 1, zero, 2, &b, next);
	assert_int_equal(seg_open_link(b.data, b.len, k.gpk, key_fn, &k, NULL, NULL, &li), SEG_OK);
	assert_false(li.paused);
	buf_free(&b);
}

/* A live-only segment (shown live while a motion-only camera is paused, never stored) says
 * so in its signed header; it verifies and decrypts like any segment, the flag cannot be
 * removed or added, unknown header flags are refused, and a chain of stored links refuses
 * it whether it comes first or where the next stored link belongs (it forks off there). */
static void
test_live_only(void **state)
{
	struct keys k;
	struct buf b, s0;
	struct got g = { 0 };
	struct link_info li;
	struct chain ch;
	uint8_t zero[CHAIN_HASH_LEN] = { 0 }, next[CHAIN_HASH_LEN], lnext[CHAIN_HASH_LEN];
	const size_t flags_at = RECORD_HDR_LEN + 3;  /* low byte of the header's flags */

	(void)state;
	keys_make(&k);
	buf_init(&b, 1 << 20);
	buf_init(&s0, 1 << 20);
	build_segment(&k, 0, zero, 2, &s0, next);
	g_live_only = 1;
	build_segment(&k, 1, next, 3, &b, lnext);
	g_live_only = 0;
	assert_int_equal(b.data[flags_at], SEG_HDR_LIVE_ONLY);
	assert_int_equal(seg_open_link(b.data, b.len, k.gpk, key_fn, &k, chunk_fn, &g, &li), SEG_OK);
	assert_true(li.live_only);
	assert_int_equal(g.chunks, 4);
	assert_int_equal(li.seq, 1);
	assert_memory_equal(li.prev_hash, next, CHAIN_HASH_LEN);
	/* Stored links never carry the flag. */
	{
		struct link_info l0;

		assert_int_equal(seg_open_link(s0.data, s0.len, k.gpk, key_fn, &k, NULL, NULL, &l0),
		    SEG_OK);
		assert_false(l0.live_only);
		/* A chain refuses it where the next stored link belongs... */
		chain_init(&ch, k.cam, 0);
		assert_int_equal(chain_check(&ch, &l0), SEG_OK);
		assert_int_equal(chain_check(&ch, &li), SEG_E_LIVE_ONLY);
		/* ... and as its first link. */
		chain_init(&ch, k.cam, 0);
		assert_int_equal(chain_check(&ch, &li), SEG_E_LIVE_ONLY);
		/* Adding the flag to a stored segment breaks its signature. */
		s0.data[flags_at] = SEG_HDR_LIVE_ONLY;
		assert_int_equal(seg_open_link(s0.data, s0.len, k.gpk, key_fn, &k, NULL, NULL, &l0),
		    SEG_E_SIGNATURE);
	}
	/* Removing it breaks the signature too; an unknown flag is refused as malformed. */
	b.data[flags_at] = 0;
	assert_int_equal(seg_open_link(b.data, b.len, k.gpk, key_fn, &k, NULL, NULL, &li),
	    SEG_E_SIGNATURE);
	b.data[flags_at] = SEG_HDR_LIVE_ONLY | 0x02;
	assert_int_equal(seg_open_link(b.data, b.len, k.gpk, key_fn, &k, NULL, NULL, &li),
	    SEG_E_FORMAT);
	b.data[flags_at] = SEG_HDR_LIVE_ONLY;
	b.data[flags_at - 1] = 0x80;
	assert_int_equal(seg_open_link(b.data, b.len, k.gpk, key_fn, &k, NULL, NULL, &li),
	    SEG_E_FORMAT);
	buf_free(&b);
	buf_free(&s0);
}

static void
test_tamper_each_byte_class(void **state)
{
	struct keys k, other;
	struct buf b;
	struct link_info li;
	uint8_t zero[CHAIN_HASH_LEN] = { 0 }, next[CHAIN_HASH_LEN];
	size_t i;
	int r, accepted = 0;

	keys_make(&k);
	keys_make(&other);
	buf_init(&b, 1 << 20);
	build_segment(&k, 3, zero, 3, &b, next);
	/* Flip every byte in turn: no single flip may verify. */
	for (i = 0; i < b.len; i++) {
		b.data[i] ^= 0x40;
		r = seg_open_link(b.data, b.len, k.gpk, key_fn, &k, NULL, NULL, &li);
		if (r == SEG_OK)
			accepted++;
		b.data[i] ^= 0x40;
	}
	assert_int_equal(accepted, 0);
	/* Wrong pinned gateway key, wrong camera key. */
	assert_int_equal(seg_open_link(b.data, b.len, other.gpk, key_fn, &k, NULL, NULL, &li),
	    SEG_E_GATEWAY);
	assert_int_equal(seg_open_link(b.data, b.len, k.gpk, key_fn, &other, NULL, NULL, &li),
	    SEG_E_KEY);
	/* Truncated download. */
	assert_int_equal(seg_open_link(b.data, b.len - 1, k.gpk, key_fn, &k, NULL, NULL, &li),
	    SEG_E_INCOMPLETE);
	buf_free(&b);
}

static void
test_chain(void **state)
{
	struct keys k;
	struct buf s[4];
	struct link_info li[4];
	struct chain c;
	struct gap g;
	uint8_t prev[CHAIN_HASH_LEN] = { 0 };
	int i;

	keys_make(&k);
	for (i = 0; i < 4; i++) {
		buf_init(&s[i], 1 << 20);
		if (i == 2) {
			memset(&g, 0, sizeof(g));
			memcpy(g.camera_id, k.cam, CAMERA_ID_LEN);
			g.seq = g.last_seq = 2;
			g.from_us = 2000;
			g.to_us = 2999;
			g.reason = GAP_CAMERA_OFFLINE;
			memcpy(g.prev_hash, prev, CHAIN_HASH_LEN);
			assert_int_equal(gap_build(k.gsk, &g, &s[i], prev), 0);
		} else {
			build_segment(&k, (uint64_t)i, prev, 2, &s[i], prev);
		}
		assert_int_equal(seg_open_link(s[i].data, s[i].len, k.gpk, key_fn, &k, NULL, NULL,
		    &li[i]), SEG_OK);
	}
	assert_true(li[2].is_gap);
	chain_init(&c, k.cam, 0);
	for (i = 0; i < 4; i++)
		assert_int_equal(chain_check(&c, &li[i]), SEG_OK);
	/* Deleted link. */
	chain_init(&c, k.cam, 0);
	assert_int_equal(chain_check(&c, &li[0]), SEG_OK);
	assert_int_equal(chain_check(&c, &li[2]), SEG_E_CHAIN_GAP);
	/* Swapped links. */
	chain_init(&c, k.cam, 0);
	assert_int_equal(chain_check(&c, &li[0]), SEG_OK);
	assert_int_equal(chain_check(&c, &li[1]), SEG_OK);
	assert_int_equal(chain_check(&c, &li[3]), SEG_E_CHAIN_GAP);
	chain_init(&c, k.cam, 0);
	assert_int_equal(chain_check(&c, &li[1]), SEG_OK);
	assert_int_equal(chain_check(&c, &li[0]), SEG_E_CHAIN_ORDER);
	/* Another camera's link. */
	li[1].camera_id[0] ^= 1;
	chain_init(&c, k.cam, 0);
	assert_int_equal(chain_check(&c, &li[0]), SEG_OK);
	assert_int_equal(chain_check(&c, &li[1]), SEG_E_CAMERA);
	for (i = 0; i < 4; i++)
		buf_free(&s[i]);
}

static void
test_truncated_and_eviction(void **state)
{
	struct keys k;
	struct buf a, b, trunc, gapb;
	struct link_info la, lt, lg, lb;
	struct seg_header h;
	struct chain c;
	struct gap g;
	uint8_t zero[CHAIN_HASH_LEN] = { 0 }, p1[CHAIN_HASH_LEN], p2[CHAIN_HASH_LEN], p3[CHAIN_HASH_LEN];
	uint8_t evicted_next[CHAIN_HASH_LEN], tmp[CHAIN_HASH_LEN];
	size_t body, span;

	keys_make(&k);
	buf_init(&a, 1 << 20); buf_init(&b, 1 << 20); buf_init(&trunc, 1 << 20); buf_init(&gapb, 4096);
	build_segment(&k, 0, zero, 2, &a, p1);
	/* Segment 1: pretend the gateway died after 3 chunks and a torn fourth. */
	build_segment(&k, 1, p1, 4, &trunc, tmp);
	assert_int_equal(seg_header_decode(&h, trunc.data + RECORD_HDR_LEN, SEG_HEADER_LEN), 0);
	body = RECORD_HDR_LEN + SEG_HEADER_LEN;
	span = seg_chunks_span(trunc.data + body, trunc.len - body);
	assert_true(span > 0);
	/* Keep three whole chunks plus 7 bytes of the fourth. */
	{
		size_t off = body, n;
		int i;

		for (i = 0; i < 3; i++)
			off += RECORD_HDR_LEN + be_get32(trunc.data + off);
		n = off + 7;
		trunc.len = n;
		span = seg_chunks_span(trunc.data + body, trunc.len - body);
		assert_int_equal(body + span, off);
		trunc.len = off;
	}
	assert_int_equal(seg_close_truncated(k.gsk, &h, trunc.data + body, trunc.len - body, 5555,
	    &trunc, p2), 0);
	assert_int_equal(seg_open_link(trunc.data, trunc.len, k.gpk, key_fn, &k, NULL, NULL, &lt),
	    SEG_OK);
	assert_true(lt.truncated);
	assert_int_equal(lt.nchunks, 3);
	/* Links 2..3 evicted from the spool: a gap stands for them, link 4 follows. */
	build_segment(&k, 2, p2, 1, &b, p3);
	buf_reset(&b);
	build_segment(&k, 3, p3, 1, &b, evicted_next);
	buf_reset(&b);
	memset(&g, 0, sizeof(g));
	memcpy(g.camera_id, k.cam, CAMERA_ID_LEN);
	g.seq = 2;
	g.last_seq = 3;
	g.reason = GAP_SPOOL_EVICTED;
	memcpy(g.prev_hash, p2, CHAIN_HASH_LEN);
	memcpy(g.last_hash, evicted_next, CHAIN_HASH_LEN);
	assert_int_equal(gap_build(k.gsk, &g, &gapb, tmp), 0);
	assert_memory_equal(tmp, evicted_next, CHAIN_HASH_LEN);
	build_segment(&k, 4, evicted_next, 1, &b, tmp);
	assert_int_equal(seg_open_link(a.data, a.len, k.gpk, key_fn, &k, NULL, NULL, &la), SEG_OK);
	assert_int_equal(seg_open_link(gapb.data, gapb.len, k.gpk, key_fn, &k, NULL, NULL, &lg), SEG_OK);
	assert_int_equal(seg_open_link(b.data, b.len, k.gpk, key_fn, &k, NULL, NULL, &lb), SEG_OK);
	chain_init(&c, k.cam, 0);
	assert_int_equal(chain_check(&c, &la), SEG_OK);
	assert_int_equal(chain_check(&c, &lt), SEG_OK);
	assert_int_equal(chain_check(&c, &lg), SEG_OK);
	assert_int_equal(chain_check(&c, &lb), SEG_OK);
	buf_free(&a); buf_free(&b); buf_free(&trunc); buf_free(&gapb);
}

static void
test_record_parser(void **state)
{
	struct record_parser *p = record_parser_new(1024);
	struct record r;
	struct buf b;
	uint8_t payload[300];
	size_t i;
	int n = 0, ret;

	buf_init(&b, 1 << 16);
	memset(payload, 7, sizeof(payload));
	record_put(&b, REC_CHUNK, payload, sizeof(payload));
	record_put(&b, REC_KEEPALIVE, NULL, 0);
	record_put(&b, REC_CHUNK, payload, 10);
	/* Byte at a time. */
	for (i = 0; i < b.len; i++) {
		assert_int_equal(record_parser_feed(p, b.data + i, 1), 0);
		while ((ret = record_parser_next(p, &r)) == RECP_RECORD)
			n++;
		assert_int_equal(ret, RECP_NEED_MORE);
	}
	assert_int_equal(n, 3);
	record_parser_free(p);
	/* Oversized and wrongly sized records are refused. */
	p = record_parser_new(100);
	buf_reset(&b);
	record_put(&b, REC_CHUNK, payload, 200);
	record_parser_feed(p, b.data, b.len);
	assert_int_equal(record_parser_next(p, &r), RECP_ERR_SIZE);
	record_parser_free(p);
	p = record_parser_new(1000);
	buf_reset(&b);
	record_put(&b, REC_SEG_END, payload, 10);
	record_parser_feed(p, b.data, b.len);
	assert_int_equal(record_parser_next(p, &r), RECP_ERR_SIZE);
	record_parser_free(p);
	p = record_parser_new(1000);
	buf_reset(&b);
	record_put(&b, 9, payload, 10);
	record_parser_feed(p, b.data, b.len);
	assert_int_equal(record_parser_next(p, &r), RECP_ERR_TYPE);
	record_parser_free(p);
	buf_free(&b);
}

/* Captures an init chunk's header signature (chunk_fn's twin). */
static int
sig_fn(void *ctx, const struct chunk_plain *c)
{
	uint8_t *sig = ctx;

	if (c->kind == CHUNK_INIT && c->hdr_sig != NULL)
		memcpy(sig, c->hdr_sig, SEG_HDRSIG_LEN);
	return 0;
}

/* One signed segment whose init chunk is seg_writer_init_chunk's, or (bad_sig) a hand-made
 * init chunk carrying a header signature by another key. */
static void
build_signed_init(const struct keys *k, int bad_sig, struct buf *out)
{
	struct seg_writer *w = NULL;
	struct buf plain;
	uint8_t zero[CHAIN_HASH_LEN] = { 0 }, next[CHAIN_HASH_LEN], other_pk[32], other_sk[64];
	uint8_t sig[SEG_HDRSIG_LEN];

	buf_init(&plain, 1 << 16);
	assert_int_equal(seg_writer_begin(&w, k->gsk, k->cam, 0, 7, 7000, 1, k->epk, zero, out), 0);
	if (!bad_sig) {
		assert_int_equal(seg_writer_init_chunk(w, 7000, "avc1.64001f",
		    (const uint8_t *)"ftypmoov", 8, &plain, out), 0);
	} else {
		crypto_sign_keypair(other_pk, other_sk);
		crypto_sign_detached(sig, NULL, (const uint8_t *)"anything", 8, other_sk);
		chunk_plain_put(&plain, CHUNK_INIT, CHUNK_INIT_HDRSIG, 7000, sig, sizeof(sig));
		buf_put_u8(&plain, 11);
		buf_put(&plain, "avc1.64001f", 11);
		buf_put(&plain, "ftypmoov", 8);
		assert_int_equal(seg_writer_chunk(w, plain.data, plain.len, out), 0);
	}
	buf_reset(&plain);
	chunk_plain_put(&plain, CHUNK_MEDIA, CHUNK_KEYFRAME, 7001, "frame", 5);
	assert_int_equal(seg_writer_chunk(w, plain.data, plain.len, out), 0);
	assert_int_equal(seg_writer_end(w, 7999, out, next), 0);
	seg_writer_free(w);
	buf_free(&plain);
}

/* The init chunk carries the gateway's signature of the header (a live viewer checks it
 * before the first frame): it verifies against the header, not against a changed one, and a
 * reader refuses an init chunk whose signature is another key's. Chunks without it (older
 * writers, test tools) still read. */
static void
test_header_sig(void **state)
{
	struct keys k;
	struct buf b;
	struct seg_header h;
	struct link_info li;
	struct chunk_plain cp;
	uint8_t sig[SEG_HDRSIG_LEN] = { 0 }, zero_sig[SEG_HDRSIG_LEN] = { 0 };
	uint8_t pl[CHUNK_PLAIN_HDR + SEG_HDRSIG_LEN + 1];

	(void)state;
	keys_make(&k);
	buf_init(&b, 1 << 20);
	build_signed_init(&k, 0, &b);
	assert_int_equal(seg_open_link(b.data, b.len, k.gpk, key_fn, &k, sig_fn, sig, &li), SEG_OK);
	assert_memory_not_equal(sig, zero_sig, SEG_HDRSIG_LEN);
	assert_int_equal(seg_header_decode(&h, b.data + 5, SEG_HEADER_LEN), 0);
	assert_int_equal(seg_header_sig_verify(k.gpk, &h, sig), 0);
	h.seq++;
	assert_int_equal(seg_header_sig_verify(k.gpk, &h, sig), -1);
	buf_reset(&b);
	build_signed_init(&k, 1, &b);
	assert_int_equal(seg_open_link(b.data, b.len, k.gpk, key_fn, &k, chunk_fn, &(struct got){ 0 }, &li),
	    SEG_E_SIGNATURE);
	/* An init chunk flag other than the signature's, or a signature cut short, is malformed. */
	memset(pl, 0, sizeof(pl));
	pl[0] = CHUNK_INIT;
	pl[1] = 0x04;
	assert_int_equal(chunk_plain_parse(&cp, pl, CHUNK_PLAIN_HDR + 1), -1);
	pl[1] = CHUNK_INIT_HDRSIG;
	assert_int_equal(chunk_plain_parse(&cp, pl, CHUNK_PLAIN_HDR + 40), -1);
	assert_int_equal(chunk_plain_parse(&cp, pl, sizeof(pl)), 0);
	assert_non_null(cp.hdr_sig);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_paused_end),
		cmocka_unit_test(test_live_only),
		cmocka_unit_test(test_header_sig),
		cmocka_unit_test(test_tamper_each_byte_class),
		cmocka_unit_test(test_chain),
		cmocka_unit_test(test_truncated_and_eviction),
		cmocka_unit_test(test_record_parser),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
