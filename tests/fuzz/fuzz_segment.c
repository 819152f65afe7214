/* fuzz_segment.c - libFuzzer harness for the segment/gap decoders, chunk plaintext parser and link reader. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "common/buf.h"
#include "common/record.h"
#include "common/segment.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define TEST_EPOCH 7u
#define MAX_CHUNKS 8
#define MAX_MUTATIONS 4

/* Fixed test keys, derived from constant seeds at start-up. */
static uint8_t gw_pk[GATEWAY_ID_LEN], gw_sk[GATEWAY_SK_LEN];
static uint8_t ep_pk[EPOCH_PK_LEN], ep_sk[EPOCH_SK_LEN];
static const uint8_t test_camera[CAMERA_ID_LEN] = { 0xca, 0xfe, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14 };

/*
 * Deterministic randomness: the writer draws segment keys and box_seal ephemeral keys
 * from randombytes, so a crash would not reproduce with the system generator. The
 * stream is reset before each input.
 */
static uint64_t rng_state;

static uint32_t
det_random(void)
{
	rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(rng_state >> 32);
}

static void
det_buf(void *const p, const size_t n)
{
	uint8_t *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		b[i] = (uint8_t)det_random();
}

static const char *
det_name(void)
{
	return "fuzz-deterministic";
}

static randombytes_implementation det_impl = {
	.implementation_name = det_name,
	.random = det_random,
	.buf = det_buf,
};

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	uint8_t seed[32];

	(void)argc;
	(void)argv;
	randombytes_set_implementation(&det_impl);
	if (sodium_init() < 0)
		abort();
	memset(seed, 0x11, sizeof(seed));
	crypto_sign_seed_keypair(gw_pk, gw_sk, seed);
	memset(seed, 0x22, sizeof(seed));
	crypto_box_seed_keypair(ep_pk, ep_sk, seed);
	return 0;
}

/* The viewer's key lookup: only TEST_EPOCH of the test camera has a key. */
static int
key_lookup(void *ctx, const uint8_t camera_id[CAMERA_ID_LEN], uint32_t epoch,
    uint8_t pk[EPOCH_PK_LEN], uint8_t sk[EPOCH_SK_LEN])
{
	(void)ctx;
	if (epoch != TEST_EPOCH || memcmp(camera_id, test_camera, CAMERA_ID_LEN) != 0)
		return -1;
	memcpy(pk, ep_pk, EPOCH_PK_LEN);
	memcpy(sk, ep_sk, EPOCH_SK_LEN);
	return 0;
}

/* Receives decrypted chunks; ctx points at a countdown after which it aborts the read. */
static int
on_chunk(void *ctx, const struct chunk_plain *c)
{
	int *left = ctx;
	uint32_t sum = 0;
	size_t i;

	if (c->body_len > 0 && c->body == NULL)
		abort();
	for (i = 0; i < c->body_len; i++)
		sum += c->body[i];
	(void)sum;
	if (memchr(c->codec, '\0', sizeof(c->codec)) == NULL)
		abort();
	if (*left > 0 && --*left == 0)
		return 1;
	return 0;
}

/* The fixed-layout decoders on raw input; a decode that succeeds must re-encode exactly. */
static void
fuzz_decoders(const uint8_t *data, size_t size)
{
	struct seg_header h;
	struct seg_end e;
	struct gap g;
	struct chunk_plain c;
	uint8_t enc[GAP_LEN];
	size_t i;
	uint32_t sum = 0;

	if (seg_header_decode(&h, data, size) == 0) {
		if (size != SEG_HEADER_LEN)
			abort();
		seg_header_encode(&h, enc);
		if (memcmp(enc, data, SEG_HEADER_LEN) != 0)
			abort();
	}
	if (seg_end_decode(&e, data, size) == 0) {
		if (size != SEG_END_LEN)
			abort();
		seg_end_encode(&e, enc);
		/* Bytes 21..23 are reserved: written as zero, ignored when read. */
		if (memcmp(enc, data, 21) != 0 || memcmp(enc + 24, data + 24, SEG_END_LEN - 24) != 0)
			abort();
	}
	if (gap_decode(&g, data, size) == 0) {
		if (size != GAP_LEN)
			abort();
		gap_encode(&g, enc);
		if (memcmp(enc, data, GAP_LEN) != 0)
			abort();
	}
	if (chunk_plain_parse(&c, data, size) == 0) {
		if (c.body_len > size || (c.body_len > 0 &&
		    (c.body < data || c.body + c.body_len > data + size)))
			abort();
		for (i = 0; i < c.body_len; i++)
			sum += c.body[i];
		(void)sum;
		if (memchr(c.codec, '\0', sizeof(c.codec)) == NULL)
			abort();
	}
}

/* Opens a link and checks that a reported success describes the test camera. */
static void
open_link(const uint8_t *link, size_t len, int stop_after)
{
	struct link_info info;
	int left = stop_after, r;

	memset(&info, 0, sizeof(info));
	r = seg_open_link(link, len, gw_pk, key_lookup, NULL, on_chunk, &left, &info);
	if (seg_strerror(r) == NULL)
		abort();
	if (r >= 0 && r != SEG_OK && r != 1)
		abort();
}

/*
 * Builds a valid signed link from the input (chunk sizes and bodies, or a gap), then
 * flips fuzzer-chosen bytes and truncates it, so the reader's paths after the signature
 * and decryption checks are reached too. Layout of the input: ctl[4] | mutations... |
 * chunk bytes.
 */
static void
fuzz_built_link(const uint8_t *data, size_t size)
{
	struct seg_writer *w = NULL;
	struct buf out, plain;
	struct cur cu;
	uint8_t ctl[4], prev[CHAIN_HASH_LEN], next[CHAIN_HASH_LEN], body[256];
	uint8_t mpos[MAX_MUTATIONS * 2], mval[MAX_MUTATIONS];
	const uint8_t *bytes;
	size_t nmut, i, cut;
	uint32_t nchunks, blen;
	uint32_t epoch;

	buf_init(&out, 1u << 20);
	buf_init(&plain, 1u << 20);
	cur_init(&cu, data, size);
	if (cur_get(&cu, ctl, sizeof(ctl)) != 0)
		goto out;
	nmut = ctl[1] % (MAX_MUTATIONS + 1);
	for (i = 0; i < nmut; i++) {
		if (cur_get(&cu, mpos + 2 * i, 2) != 0 || cur_get_u8(&cu, &mval[i]) != 0)
			goto out;
	}
	memset(prev, 0, sizeof(prev));
	epoch = (ctl[0] & 0x40) ? TEST_EPOCH + 1 : TEST_EPOCH;

	if (ctl[0] & 0x80) {
		struct gap g;

		memset(&g, 0, sizeof(g));
		g.version = SEG_VERSION;
		g.stream = ctl[2] & 1;
		g.reason = (uint16_t)(ctl[2] % 5);
		memcpy(g.camera_id, test_camera, CAMERA_ID_LEN);
		g.seq = ctl[3];
		g.last_seq = g.seq + (g.reason == GAP_SPOOL_EVICTED ? 3 : 0);
		g.from_us = 1700000000000000;
		g.to_us = g.from_us + 2000000;
		if (gap_build(gw_sk, &g, &out, next) != 0)
			goto out;
	} else {
		if (seg_writer_begin(&w, gw_sk, test_camera, ctl[2] & 1, ctl[3], 1700000000000000,
		    epoch, ep_pk, prev, &out) != 0)
			goto out;
		nchunks = (uint32_t)(ctl[0] % (MAX_CHUNKS + 1));
		for (i = 0; i < nchunks; i++) {
			uint8_t l;

			if (cur_get_u8(&cu, &l) != 0)
				break;
			blen = l;
			if (cur_ref(&cu, &bytes, blen) != 0)
				break;
			buf_reset(&plain);
			if (i == 0) {
				/* The init chunk: codec_len | codec | ftyp+moov. */
				body[0] = 11;
				memcpy(body + 1, "avc1.64001F", 11);
				if (blen > sizeof(body) - 12)
					blen = sizeof(body) - 12;
				memcpy(body + 12, bytes, blen);
				if (chunk_plain_put(&plain, CHUNK_INIT, 0, 1700000000000000, body, blen + 12) != 0)
					goto out;
			} else if (chunk_plain_put(&plain, CHUNK_MEDIA, (uint8_t)(i == 1), 1700000000000000 + (int64_t)i,
			    bytes, blen) != 0) {
				goto out;
			}
			if (seg_writer_chunk(w, plain.data, plain.len, &out) != 0)
				goto out;
		}
		if ((ctl[0] & 0x20) == 0) {
			if (seg_writer_end(w, 1700000002000000, &out, next) != 0)
				goto out;
		} else {
			/* Writer lost: close as truncated from the chunk records written so far
			 * (copied, since appending to out may move its storage). */
			size_t hdr = RECORD_HDR_LEN + SEG_HEADER_LEN;

			if (out.len < hdr)
				goto out;
			buf_reset(&plain);
			if (buf_put(&plain, out.data + hdr, out.len - hdr) != 0 ||
			    seg_close_truncated(gw_sk, seg_writer_header(w), plain.data, plain.len,
			    1700000002000000, &out, next) != 0)
				goto out;
		}
	}
	for (i = 0; i < nmut && out.len > 0; i++)
		out.data[(((size_t)mpos[2 * i] << 8) | mpos[2 * i + 1]) % out.len] ^= mval[i];
	cut = out.len;
	if (ctl[1] & 0x80)
		cut = out.len - (ctl[3] % (out.len + 1));
	open_link(out.data, cut, (ctl[1] & 0x40) ? 1 + (ctl[2] >> 4) % 4 : 0);
out:
	seg_writer_free(w);
	buf_free(&out);
	buf_free(&plain);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	rng_state = 0x5eed;
	fuzz_decoders(data, size);
	if (size == 0)
		return 0;
	/* First byte even: the raw input as a link; odd: a built link with mutations. */
	if ((data[0] & 1) == 0)
		open_link(data + 1, size - 1, 0);
	else
		fuzz_built_link(data + 1, size - 1);
	return 0;
}
