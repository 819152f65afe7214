/* server_gwtool.c - a test gateway for server tests: keys, challenge signatures and signed links. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sodium.h>
#include "common/buf.h"
#include "common/record.h"
#include "common/segment.h"
#include "common/util.h"

#define OUT_MAX (64u * 1024u * 1024u)

static int
usage(void)
{
	fprintf(stderr, "usage: server_gwtool keygen SKFILE            (prints the gateway id)\n"
	    "       server_gwtool sign SKFILE NONCEHEX        (prints the auth signature)\n"
	    "       server_gwtool link SKFILE CAMHEX STREAM SEQ START_US NCHUNKS  (records to stdout)\n"
	    "       server_gwtool live SKFILE CAMHEX STREAM SEQ START_US NCHUNKS  (a live-only segment)\n"
	    "       server_gwtool gap SKFILE CAMHEX STREAM SEQ FROM_US TO_US      (records to stdout)\n");
	return 2;
}

static int
load_sk(const char *path, uint8_t sk[GATEWAY_SK_LEN])
{
	struct buf b;
	int r = -1;

	buf_init(&b, GATEWAY_SK_LEN);
	if (file_read(path, &b, GATEWAY_SK_LEN) == 0 && b.len == GATEWAY_SK_LEN) {
		memcpy(sk, b.data, GATEWAY_SK_LEN);
		r = 0;
	}
	buf_free(&b);
	if (r != 0)
		fprintf(stderr, "server_gwtool: cannot read the secret key\n");
	return r;
}

static int
write_all(const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(1, p, n);
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
cmd_link(uint8_t sk[GATEWAY_SK_LEN], char **av, int live_only)
{
	uint8_t cam[CAMERA_ID_LEN], prev[CHAIN_HASH_LEN] = { 0 }, next[CHAIN_HASH_LEN];
	uint8_t epk[EPOCH_PK_LEN], esk[EPOCH_SK_LEN], body[64];
	int64_t stream, seq, start, nch, i;
	struct seg_writer *w = NULL;
	struct buf out, plain;
	int r = 1;

	buf_init(&out, OUT_MAX);
	buf_init(&plain, 4096);
	if (hex_decode(av[0], cam, sizeof(cam)) != 0 || parse_i64(av[1], 0, 255, &stream) != 0 ||
	    parse_i64(av[2], 0, INT64_MAX, &seq) != 0 || parse_i64(av[3], 0, INT64_MAX / 2, &start) != 0 ||
	    parse_i64(av[4], 0, 10000, &nch) != 0)
		goto out;
	crypto_box_keypair(epk, esk);
	if ((live_only ? seg_writer_begin_live : seg_writer_begin)(&w, sk, cam, (uint8_t)stream,
	    (uint64_t)seq, start, 1, epk, prev, &out) != 0)
		goto out;
	memset(body, 0xab, sizeof(body));
	for (i = 0; i < nch; i++) {
		buf_reset(&plain);
		if (chunk_plain_put(&plain, i == 0 ? CHUNK_INIT : CHUNK_MEDIA, 0, start + i * 33000,
		    body, sizeof(body)) != 0 || seg_writer_chunk(w, plain.data, plain.len, &out) != 0)
			goto out;
	}
	if (seg_writer_end(w, start + nch * 33000 + 1, &out, next) != 0)
		goto out;
	r = write_all(out.data, out.len) == 0 ? 0 : 1;
out:
	seg_writer_free(w);
	buf_free(&out);
	buf_free(&plain);
	return r;
}

static int
cmd_gap(uint8_t sk[GATEWAY_SK_LEN], char **av)
{
	uint8_t next[CHAIN_HASH_LEN];
	int64_t stream, seq, from, to;
	struct gap g;
	struct buf out;
	int r = 1;

	memset(&g, 0, sizeof(g));
	buf_init(&out, OUT_MAX);
	if (hex_decode(av[0], g.camera_id, CAMERA_ID_LEN) != 0 ||
	    parse_i64(av[1], 0, 255, &stream) != 0 || parse_i64(av[2], 0, INT64_MAX, &seq) != 0 ||
	    parse_i64(av[3], 0, INT64_MAX, &from) != 0 || parse_i64(av[4], 0, INT64_MAX, &to) != 0)
		goto out;
	g.version = SEG_VERSION;
	g.stream = (uint8_t)stream;
	g.reason = GAP_CAMERA_OFFLINE;
	g.seq = g.last_seq = (uint64_t)seq;
	g.from_us = from;
	g.to_us = to;
	if (gap_build(sk, &g, &out, next) != 0)
		goto out;
	r = write_all(out.data, out.len) == 0 ? 0 : 1;
out:
	buf_free(&out);
	return r;
}

int
main(int argc, char **argv)
{
	uint8_t pk[GATEWAY_ID_LEN], sk[GATEWAY_SK_LEN], nonce[32], sig[SIG_LEN];
	uint8_t msg[16 + 32];
	char hex[2 * SIG_LEN + 1];
	int r = 2;

	if (sodium_init() < 0 || argc < 3)
		return usage();
	if (strcmp(argv[1], "keygen") == 0) {
		crypto_sign_keypair(pk, sk);
		if (file_write_atomic(argv[2], sk, sizeof(sk), 0600) != 0)
			return 1;
		hex_encode(pk, sizeof(pk), hex);
		printf("%s\n", hex);
		r = 0;
		goto out;
	}
	if (load_sk(argv[2], sk) != 0)
		return 1;
	if (strcmp(argv[1], "sign") == 0 && argc == 4) {
		if (hex_decode(argv[3], nonce, sizeof(nonce)) != 0)
			return 1;
		memcpy(msg, "vigil-gw-auth-v1", 16);
		memcpy(msg + 16, nonce, 32);
		crypto_sign_detached(sig, NULL, msg, sizeof(msg), sk);
		hex_encode(sig, sizeof(sig), hex);
		printf("%s\n", hex);
		r = 0;
	} else if (strcmp(argv[1], "id") == 0) {
		crypto_sign_ed25519_sk_to_pk(pk, sk);
		hex_encode(pk, sizeof(pk), hex);
		printf("%s\n", hex);
		r = 0;
	} else if (strcmp(argv[1], "link") == 0 && argc == 8) {
		r = cmd_link(sk, argv + 3, 0);
	} else if (strcmp(argv[1], "live") == 0 && argc == 8) {
		r = cmd_link(sk, argv + 3, 1);
	} else if (strcmp(argv[1], "gap") == 0 && argc == 8) {
		r = cmd_gap(sk, argv + 3);
	} else {
		r = usage();
	}
out:
	sodium_memzero(sk, sizeof(sk));
	return r;
}
