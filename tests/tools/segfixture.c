/* segfixture.c - writes a small signed, encrypted chain (a segment after which recording pauses, a "no motion" gap, a segment) with its viewer keys and expected plaintexts, for the console's decryption tests. */
#include <stdio.h>
#include <string.h>
#include <sodium.h>
#include "common/buf.h"
#include "common/record.h"
#include "common/segment.h"
#include "common/util.h"

#define OUT_MAX (4u * 1024u * 1024u)
#define NMEDIA 5
#define T0 1700000000000000LL

/* Appends one segment of NMEDIA media chunks to out and its expected plaintexts to exp. */
static int
put_segment(const uint8_t sk[GATEWAY_SK_LEN], const uint8_t cam[CAMERA_ID_LEN], uint64_t seq,
    int64_t start, const uint8_t epk[EPOCH_PK_LEN], uint8_t prev[CHAIN_HASH_LEN], struct buf *out,
    struct buf *exp, uint8_t end_flags)
{
	struct seg_writer *w = NULL;
	struct buf pl;
	char body[64], line[256], hex[2 * sizeof(body) + 1];
	int i, n, ret = -1;

	buf_init(&pl, 4096);
	if (seg_writer_begin(&w, sk, cam, 0, seq, start, 1, epk, prev, out) != 0)
		goto out;
	n = snprintf(body, sizeof(body), "init-%llu", (unsigned long long)seq);
	{
		/* init: the gateway's header signature, the codec, a "ftyp+moov" stand-in */
		const char *codec = "avc1.64001F";

		if (seg_writer_init_chunk(w, start, codec, (const uint8_t *)body, (size_t)n, &pl, out) != 0)
			goto out;
		hex_encode((const uint8_t *)body, (size_t)n, hex);
		n = snprintf(line, sizeof(line), "%s{\"seq\":%llu,\"kind\":1,\"codec\":\"%s\",\"body\":\"%s\"}",
		    exp->len > 1 ? "," : "", (unsigned long long)seq, codec, hex);
		if (buf_put(exp, line, (size_t)n) != 0)
			goto out;
	}
	for (i = 0; i < NMEDIA; i++) {
		buf_reset(&pl);
		n = snprintf(body, sizeof(body), "frame-%llu-%d", (unsigned long long)seq, i);
		if (chunk_plain_put(&pl, CHUNK_MEDIA, i == 0 ? CHUNK_KEYFRAME : 0,
		    start + 40000LL * i, body, (size_t)n) != 0 || seg_writer_chunk(w, pl.data, pl.len, out) != 0)
			goto out;
		hex_encode((const uint8_t *)body, (size_t)n, hex);
		n = snprintf(line, sizeof(line), ",{\"seq\":%llu,\"kind\":2,\"flags\":%d,\"wall_us\":%lld,\"body\":\"%s\"}",
		    (unsigned long long)seq, i == 0 ? CHUNK_KEYFRAME : 0, (long long)(start + 40000LL * i), hex);
		if (buf_put(exp, line, (size_t)n) != 0)
			goto out;
	}
	seg_writer_set_end_flags(w, end_flags);
	if (seg_writer_end(w, start + 40000LL * NMEDIA, out, prev) != 0)
		goto out;
	ret = 0;
out:
	seg_writer_free(w);
	buf_free(&pl);
	return ret;
}

static int
write_text(const char *dir, const char *name, const void *p, size_t n)
{
	char path[4096];

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return -1;
	return file_write_atomic(path, p, n, 0600);
}

int
main(int argc, char **argv)
{
	uint8_t gpk[GATEWAY_ID_LEN], gsk[GATEWAY_SK_LEN], epk[EPOCH_PK_LEN], esk[EPOCH_SK_LEN];
	uint8_t cam[CAMERA_ID_LEN], prev[CHAIN_HASH_LEN];
	char gh[2 * GATEWAY_ID_LEN + 1], ch[2 * CAMERA_ID_LEN + 1], pkh[65], skh[65], keys[512];
	struct buf out, exp;
	struct gap g;
	int n, rc = 1;

	buf_init(&out, OUT_MAX);
	buf_init(&exp, OUT_MAX);
	if (argc != 2) {
		fprintf(stderr, "usage: segfixture DIR   (writes DIR/chain.bin, DIR/keys.json, DIR/expect.json)\n");
		return 2;
	}
	if (sodium_init() < 0)
		return 1;
	crypto_sign_keypair(gpk, gsk);
	crypto_box_keypair(epk, esk);
	randombytes_buf(cam, sizeof(cam));
	memset(prev, 0, sizeof(prev));
	if (buf_put(&exp, "[", 1) != 0 || put_segment(gsk, cam, 0, T0, epk, prev, &out, &exp, SEG_END_PAUSED) != 0)
		goto out;
	memset(&g, 0, sizeof(g));
	g.version = SEG_VERSION;
	g.reason = GAP_MOTION_IDLE;
	memcpy(g.camera_id, cam, sizeof(cam));
	g.seq = g.last_seq = 1;
	g.from_us = T0 + 200000;
	g.to_us = T0 + 1000000;
	memcpy(g.prev_hash, prev, sizeof(prev));
	if (gap_build(gsk, &g, &out, prev) != 0 ||
	    put_segment(gsk, cam, 2, T0 + 1000000, epk, prev, &out, &exp, 0) != 0 || buf_put(&exp, "]\n", 2) != 0)
		goto out;
	hex_encode(gpk, sizeof(gpk), gh);
	hex_encode(cam, sizeof(cam), ch);
	hex_encode(epk, sizeof(epk), pkh);
	hex_encode(esk, sizeof(esk), skh);
	n = snprintf(keys, sizeof(keys), "{\"gateways\":[\"%s\"],\"cameras\":[{\"name\":\"fixture\","
	    "\"id\":\"%s\",\"epochs\":[{\"epoch\":1,\"public_key\":\"%s\",\"secret_key\":\"%s\"}]}]}\n",
	    gh, ch, pkh, skh);
	if (n < 0 || n >= (int)sizeof(keys))
		goto out;
	if (write_text(argv[1], "chain.bin", out.data, out.len) != 0 ||
	    write_text(argv[1], "keys.json", keys, (size_t)n) != 0 ||
	    write_text(argv[1], "expect.json", exp.data, exp.len) != 0)
		goto out;
	rc = 0;
out:
	sodium_memzero(gsk, sizeof(gsk));
	sodium_memzero(esk, sizeof(esk));
	sodium_memzero(keys, sizeof(keys));
	buf_free(&out);
	buf_free(&exp);
	if (rc != 0)
		fprintf(stderr, "segfixture: failed\n");
	return rc;
}
