/* segment.c - chain links: fixed layouts, signing and verification, segment encryption and decryption. */
#include <stdlib.h>
#include <string.h>
#include "common/segment.h"

static const char SEG_DOMAIN[16] = "vigil-segment-v1";
static const char SEG_HDR_DOMAIN[15] = "vigil-seghdr-v1";
static const char GAP_DOMAIN[16] = "vigil-gap-v1\0\0\0";
#define SEG_END_SIGNED 56
#define GAP_SIGNED 148

/* ---- Fixed layouts ---- */

void
seg_header_encode(const struct seg_header *h, uint8_t out[SEG_HEADER_LEN])
{
	uint8_t *p = out;

	*p++ = h->version;
	*p++ = h->stream;
	*p++ = (uint8_t)(h->flags >> 8);
	*p++ = (uint8_t)h->flags;
	memcpy(p, h->camera_id, CAMERA_ID_LEN); p += CAMERA_ID_LEN;
	be_put64(p, h->seq); p += 8;
	be_put64(p, (uint64_t)h->start_us); p += 8;
	be_put32(p, h->epoch); p += 4;
	memcpy(p, h->sealed_key, SEALED_KEY_LEN); p += SEALED_KEY_LEN;
	memcpy(p, h->ss_header, SS_HEADER_LEN); p += SS_HEADER_LEN;
	memcpy(p, h->prev_hash, CHAIN_HASH_LEN); p += CHAIN_HASH_LEN;
	memcpy(p, h->gateway_id, GATEWAY_ID_LEN);
}

int
seg_header_decode(struct seg_header *h, const uint8_t *p, size_t n)
{
	struct cur c;
	uint64_t t;

	if (n != SEG_HEADER_LEN)
		return -1;
	cur_init(&c, p, n);
	cur_get_u8(&c, &h->version);
	cur_get_u8(&c, &h->stream);
	cur_get_u16(&c, &h->flags);
	cur_get(&c, h->camera_id, CAMERA_ID_LEN);
	cur_get_u64(&c, &h->seq);
	cur_get_u64(&c, &t);
	h->start_us = (int64_t)t;
	cur_get_u32(&c, &h->epoch);
	cur_get(&c, h->sealed_key, SEALED_KEY_LEN);
	cur_get(&c, h->ss_header, SS_HEADER_LEN);
	cur_get(&c, h->prev_hash, CHAIN_HASH_LEN);
	cur_get(&c, h->gateway_id, GATEWAY_ID_LEN);
	if (cur_ok(&c) != 0 || h->version != SEG_VERSION || (h->flags & ~SEG_HDR_LIVE_ONLY) != 0)
		return -1;
	return 0;
}

void
seg_end_encode(const struct seg_end *e, uint8_t out[SEG_END_LEN])
{
	uint8_t *p = out;

	be_put64(p, e->seq); p += 8;
	be_put64(p, (uint64_t)e->end_us); p += 8;
	be_put32(p, e->nchunks); p += 4;
	*p++ = e->flags;
	*p++ = 0; *p++ = 0; *p++ = 0;
	memcpy(p, e->ct_hash, CHAIN_HASH_LEN); p += CHAIN_HASH_LEN;
	memcpy(p, e->sig, SIG_LEN);
}

int
seg_end_decode(struct seg_end *e, const uint8_t *p, size_t n)
{
	struct cur c;
	uint64_t t;
	uint8_t rsv[3];

	if (n != SEG_END_LEN)
		return -1;
	cur_init(&c, p, n);
	cur_get_u64(&c, &e->seq);
	cur_get_u64(&c, &t);
	e->end_us = (int64_t)t;
	cur_get_u32(&c, &e->nchunks);
	cur_get_u8(&c, &e->flags);
	cur_get(&c, rsv, sizeof(rsv));
	cur_get(&c, e->ct_hash, CHAIN_HASH_LEN);
	cur_get(&c, e->sig, SIG_LEN);
	/* Reserved bytes are not signed, so they must be zero. */
	if (cur_ok(&c) != 0 || rsv[0] != 0 || rsv[1] != 0 || rsv[2] != 0)
		return -1;
	return 0;
}

void
gap_encode(const struct gap *g, uint8_t out[GAP_LEN])
{
	uint8_t *p = out;

	*p++ = g->version;
	*p++ = g->stream;
	*p++ = (uint8_t)(g->reason >> 8);
	*p++ = (uint8_t)g->reason;
	memcpy(p, g->camera_id, CAMERA_ID_LEN); p += CAMERA_ID_LEN;
	be_put64(p, g->seq); p += 8;
	be_put64(p, g->last_seq); p += 8;
	be_put64(p, (uint64_t)g->from_us); p += 8;
	be_put64(p, (uint64_t)g->to_us); p += 8;
	memcpy(p, g->prev_hash, CHAIN_HASH_LEN); p += CHAIN_HASH_LEN;
	memcpy(p, g->last_hash, CHAIN_HASH_LEN); p += CHAIN_HASH_LEN;
	memcpy(p, g->gateway_id, GATEWAY_ID_LEN); p += GATEWAY_ID_LEN;
	memcpy(p, g->sig, SIG_LEN);
}

int
gap_decode(struct gap *g, const uint8_t *p, size_t n)
{
	struct cur c;
	uint64_t a, b;

	if (n != GAP_LEN)
		return -1;
	cur_init(&c, p, n);
	cur_get_u8(&c, &g->version);
	cur_get_u8(&c, &g->stream);
	cur_get_u16(&c, &g->reason);
	cur_get(&c, g->camera_id, CAMERA_ID_LEN);
	cur_get_u64(&c, &g->seq);
	cur_get_u64(&c, &g->last_seq);
	cur_get_u64(&c, &a);
	cur_get_u64(&c, &b);
	g->from_us = (int64_t)a;
	g->to_us = (int64_t)b;
	cur_get(&c, g->prev_hash, CHAIN_HASH_LEN);
	cur_get(&c, g->last_hash, CHAIN_HASH_LEN);
	cur_get(&c, g->gateway_id, GATEWAY_ID_LEN);
	cur_get(&c, g->sig, SIG_LEN);
	if (cur_ok(&c) != 0 || g->version != SEG_VERSION || g->last_seq < g->seq)
		return -1;
	return 0;
}

/* ---- Hashes and signatures ---- */

void
chain_hash(const uint8_t sig[SIG_LEN], uint8_t out[CHAIN_HASH_LEN])
{
	crypto_generichash(out, CHAIN_HASH_LEN, sig, SIG_LEN, NULL, 0);
}

void
seg_hash_init(struct seg_hash *h)
{
	crypto_generichash_init(&h->st, NULL, 0, CHAIN_HASH_LEN);
}

void
seg_hash_chunk(struct seg_hash *h, const uint8_t *ct, uint32_t len)
{
	uint8_t l[4];

	be_put32(l, len);
	crypto_generichash_update(&h->st, l, sizeof(l));
	crypto_generichash_update(&h->st, ct, len);
}

void
seg_hash_final(struct seg_hash *h, uint8_t out[CHAIN_HASH_LEN])
{
	crypto_generichash_final(&h->st, out, CHAIN_HASH_LEN);
}

/* The bytes a segment signature covers: domain || header || end[0..56). */
static void
seg_signed_msg(const struct seg_header *h, const struct seg_end *e,
    uint8_t msg[16 + SEG_HEADER_LEN + SEG_END_SIGNED])
{
	uint8_t end[SEG_END_LEN];

	memcpy(msg, SEG_DOMAIN, 16);
	seg_header_encode(h, msg + 16);
	seg_end_encode(e, end);
	memcpy(msg + 16 + SEG_HEADER_LEN, end, SEG_END_SIGNED);
}

void
seg_end_sign(const uint8_t sk[GATEWAY_SK_LEN], const struct seg_header *h, struct seg_end *e)
{
	uint8_t msg[16 + SEG_HEADER_LEN + SEG_END_SIGNED];

	seg_signed_msg(h, e, msg);
	crypto_sign_detached(e->sig, NULL, msg, sizeof(msg), sk);
}

int
seg_end_verify(const uint8_t pk[GATEWAY_ID_LEN], const struct seg_header *h, const struct seg_end *e)
{
	uint8_t msg[16 + SEG_HEADER_LEN + SEG_END_SIGNED];

	seg_signed_msg(h, e, msg);
	return crypto_sign_verify_detached(e->sig, msg, sizeof(msg), pk) == 0 ? 0 : -1;
}

static void
seg_header_signed_msg(const struct seg_header *h, uint8_t msg[sizeof(SEG_HDR_DOMAIN) + SEG_HEADER_LEN])
{
	memcpy(msg, SEG_HDR_DOMAIN, sizeof(SEG_HDR_DOMAIN));
	seg_header_encode(h, msg + sizeof(SEG_HDR_DOMAIN));
}

int
seg_header_sig_verify(const uint8_t pk[GATEWAY_ID_LEN], const struct seg_header *h,
    const uint8_t sig[SEG_HDRSIG_LEN])
{
	uint8_t msg[sizeof(SEG_HDR_DOMAIN) + SEG_HEADER_LEN];

	seg_header_signed_msg(h, msg);
	return crypto_sign_verify_detached(sig, msg, sizeof(msg), pk) == 0 ? 0 : -1;
}

static void
gap_signed_msg(const struct gap *g, uint8_t msg[16 + GAP_SIGNED])
{
	uint8_t enc[GAP_LEN];

	gap_encode(g, enc);
	memcpy(msg, GAP_DOMAIN, 16);
	memcpy(msg + 16, enc, GAP_SIGNED);
}

void
gap_sign(const uint8_t sk[GATEWAY_SK_LEN], struct gap *g)
{
	uint8_t msg[16 + GAP_SIGNED];

	gap_signed_msg(g, msg);
	crypto_sign_detached(g->sig, NULL, msg, sizeof(msg), sk);
}

int
gap_verify(const uint8_t pk[GATEWAY_ID_LEN], const struct gap *g)
{
	uint8_t msg[16 + GAP_SIGNED];

	gap_signed_msg(g, msg);
	return crypto_sign_verify_detached(g->sig, msg, sizeof(msg), pk) == 0 ? 0 : -1;
}

/* The hash the link after a gap must carry. */
static void
gap_next_hash(const struct gap *g, uint8_t out[CHAIN_HASH_LEN])
{
	static const uint8_t zero[CHAIN_HASH_LEN];

	if (g->last_seq != g->seq || sodium_memcmp(g->last_hash, zero, CHAIN_HASH_LEN) != 0)
		memcpy(out, g->last_hash, CHAIN_HASH_LEN);
	else
		chain_hash(g->sig, out);
}

/* ---- Chunk plaintext ---- */

int
chunk_plain_put(struct buf *b, uint8_t kind, uint8_t flags, int64_t wall_us,
    const void *body, size_t len)
{
	if (buf_put_u8(b, kind) != 0 || buf_put_u8(b, flags) != 0 ||
	    buf_put_u64(b, (uint64_t)wall_us) != 0 || buf_put(b, body, len) != 0)
		return -1;
	return 0;
}

int
chunk_plain_parse(struct chunk_plain *c, const uint8_t *p, size_t n)
{
	struct cur cu;
	uint64_t t;
	uint8_t clen;
	const uint8_t *codec;

	memset(c, 0, sizeof(*c));
	cur_init(&cu, p, n);
	cur_get_u8(&cu, &c->kind);
	cur_get_u8(&cu, &c->flags);
	cur_get_u64(&cu, &t);
	c->wall_us = (int64_t)t;
	if (cur_ok(&cu) != 0)
		return -1;
	if (c->kind == CHUNK_INIT) {
		if ((c->flags & ~CHUNK_INIT_HDRSIG) != 0)
			return -1;
		if ((c->flags & CHUNK_INIT_HDRSIG) != 0 &&
		    cur_ref(&cu, &c->hdr_sig, SEG_HDRSIG_LEN) != 0)
			return -1;
		if (cur_get_u8(&cu, &clen) != 0 || clen >= sizeof(c->codec) ||
		    cur_ref(&cu, &codec, clen) != 0)
			return -1;
		memcpy(c->codec, codec, clen);
		c->codec[clen] = '\0';
	} else if (c->kind != CHUNK_MEDIA && c->kind != CHUNK_END) {
		return -1;
	}
	c->body = cu.p;
	c->body_len = cu.left;
	if (c->kind == CHUNK_END && c->body_len != 0)
		return -1;
	return 0;
}

/* ---- Writer ---- */

struct seg_writer {
	uint8_t sk[GATEWAY_SK_LEN];
	struct seg_header h;
	crypto_secretstream_xchacha20poly1305_state st;
	struct seg_hash hash;
	uint32_t nchunks;
	uint8_t end_flags;
	struct buf ct;   /* scratch for one chunk's ciphertext */
};

static int
writer_begin(struct seg_writer **wp, const uint8_t sk[GATEWAY_SK_LEN],
    const uint8_t camera_id[CAMERA_ID_LEN], uint8_t stream, uint16_t flags, uint64_t seq,
    int64_t start_us, uint32_t epoch, const uint8_t epoch_pk[EPOCH_PK_LEN],
    const uint8_t prev_hash[CHAIN_HASH_LEN], struct buf *out)
{
	struct seg_writer *w = NULL;
	uint8_t key[SEG_KEY_LEN];
	uint8_t enc[SEG_HEADER_LEN];
	int ret = -1;

	*wp = NULL;
	w = calloc(1, sizeof(*w));
	if (w == NULL)
		goto out;
	buf_init(&w->ct, RECORD_MAX_PAYLOAD);
	memcpy(w->sk, sk, GATEWAY_SK_LEN);
	w->h.version = SEG_VERSION;
	w->h.stream = stream;
	w->h.flags = flags;
	memcpy(w->h.camera_id, camera_id, CAMERA_ID_LEN);
	w->h.seq = seq;
	w->h.start_us = start_us;
	w->h.epoch = epoch;
	memcpy(w->h.prev_hash, prev_hash, CHAIN_HASH_LEN);
	crypto_sign_ed25519_sk_to_pk(w->h.gateway_id, sk);
	crypto_secretstream_xchacha20poly1305_keygen(key);
	if (crypto_box_seal(w->h.sealed_key, key, SEG_KEY_LEN, epoch_pk) != 0)
		goto out;
	if (crypto_secretstream_xchacha20poly1305_init_push(&w->st, w->h.ss_header, key) != 0)
		goto out;
	seg_hash_init(&w->hash);
	seg_header_encode(&w->h, enc);
	if (record_put(out, REC_SEG_HEADER, enc, sizeof(enc)) != 0)
		goto out;
	*wp = w;
	w = NULL;
	ret = 0;
out:
	sodium_memzero(key, sizeof(key));
	seg_writer_free(w);
	return ret;
}

int
seg_writer_begin(struct seg_writer **wp, const uint8_t sk[GATEWAY_SK_LEN],
    const uint8_t camera_id[CAMERA_ID_LEN], uint8_t stream, uint64_t seq, int64_t start_us,
    uint32_t epoch, const uint8_t epoch_pk[EPOCH_PK_LEN],
    const uint8_t prev_hash[CHAIN_HASH_LEN], struct buf *out)
{
	return writer_begin(wp, sk, camera_id, stream, 0, seq, start_us, epoch, epoch_pk,
	    prev_hash, out);
}

int
seg_writer_begin_live(struct seg_writer **wp, const uint8_t sk[GATEWAY_SK_LEN],
    const uint8_t camera_id[CAMERA_ID_LEN], uint8_t stream, uint64_t seq, int64_t start_us,
    uint32_t epoch, const uint8_t epoch_pk[EPOCH_PK_LEN],
    const uint8_t prev_hash[CHAIN_HASH_LEN], struct buf *out)
{
	return writer_begin(wp, sk, camera_id, stream, SEG_HDR_LIVE_ONLY, seq, start_us, epoch,
	    epoch_pk, prev_hash, out);
}

static int
seg_writer_push(struct seg_writer *w, const uint8_t *plain, size_t len, uint8_t tag, struct buf *out)
{
	unsigned long long clen;
	size_t need = len + crypto_secretstream_xchacha20poly1305_ABYTES;

	if (need > RECORD_MAX_PAYLOAD)
		return -1;
	buf_reset(&w->ct);
	if (buf_reserve(&w->ct, need) != 0)
		return -1;
	if (crypto_secretstream_xchacha20poly1305_push(&w->st, w->ct.data, &clen, plain, len,
	    NULL, 0, tag) != 0)
		return -1;
	if (record_put(out, REC_CHUNK, w->ct.data, (size_t)clen) != 0)
		return -1;
	seg_hash_chunk(&w->hash, w->ct.data, (uint32_t)clen);
	w->nchunks++;
	return 0;
}

int
seg_writer_chunk(struct seg_writer *w, const uint8_t *plain, size_t len, struct buf *out)
{
	return seg_writer_push(w, plain, len, crypto_secretstream_xchacha20poly1305_TAG_MESSAGE, out);
}

int
seg_writer_init_chunk(struct seg_writer *w, int64_t wall_us, const char *codec,
    const uint8_t *init, size_t ilen, struct buf *plain, struct buf *out)
{
	uint8_t msg[sizeof(SEG_HDR_DOMAIN) + SEG_HEADER_LEN];
	uint8_t sig[SEG_HDRSIG_LEN];
	size_t clen = strlen(codec);

	if (clen == 0 || clen > 63)
		return -1;
	seg_header_signed_msg(&w->h, msg);
	crypto_sign_detached(sig, NULL, msg, sizeof(msg), w->sk);
	buf_reset(plain);
	if (chunk_plain_put(plain, CHUNK_INIT, CHUNK_INIT_HDRSIG, wall_us, sig, sizeof(sig)) != 0 ||
	    buf_put_u8(plain, (uint8_t)clen) != 0 || buf_put(plain, codec, clen) != 0 ||
	    buf_put(plain, init, ilen) != 0)
		return -1;
	return seg_writer_chunk(w, plain->data, plain->len, out);
}

int
seg_writer_end(struct seg_writer *w, int64_t end_us, struct buf *out,
    uint8_t next_prev[CHAIN_HASH_LEN])
{
	struct seg_end e;
	uint8_t enc[SEG_END_LEN];
	uint8_t plain[CHUNK_PLAIN_HDR];
	struct buf pb;

	buf_init(&pb, sizeof(plain));
	pb.data = plain;
	pb.cap = sizeof(plain);
	if (chunk_plain_put(&pb, CHUNK_END, 0, end_us, NULL, 0) != 0)
		return -1;
	if (seg_writer_push(w, plain, pb.len, crypto_secretstream_xchacha20poly1305_TAG_FINAL, out) != 0)
		return -1;
	memset(&e, 0, sizeof(e));
	e.seq = w->h.seq;
	e.end_us = end_us;
	e.nchunks = w->nchunks;
	e.flags = w->end_flags;
	seg_hash_final(&w->hash, e.ct_hash);
	seg_end_sign(w->sk, &w->h, &e);
	seg_end_encode(&e, enc);
	if (record_put(out, REC_SEG_END, enc, sizeof(enc)) != 0)
		return -1;
	chain_hash(e.sig, next_prev);
	return 0;
}

void
seg_writer_set_end_flags(struct seg_writer *w, uint8_t flags)
{
	w->end_flags = flags & SEG_END_PAUSED;
}

uint32_t
seg_writer_nchunks(const struct seg_writer *w)
{
	return w->nchunks;
}

const struct seg_header *
seg_writer_header(const struct seg_writer *w)
{
	return &w->h;
}

void
seg_writer_free(struct seg_writer *w)
{
	if (w == NULL)
		return;
	buf_free(&w->ct);
	sodium_memzero(w, sizeof(*w));
	free(w);
}

int
gap_build(const uint8_t sk[GATEWAY_SK_LEN], struct gap *g, struct buf *out,
    uint8_t next_prev[CHAIN_HASH_LEN])
{
	uint8_t enc[GAP_LEN];

	g->version = SEG_VERSION;
	if (g->last_seq < g->seq)
		return -1;
	crypto_sign_ed25519_sk_to_pk(g->gateway_id, sk);
	gap_sign(sk, g);
	gap_encode(g, enc);
	if (record_put(out, REC_GAP, enc, sizeof(enc)) != 0)
		return -1;
	gap_next_hash(g, next_prev);
	return 0;
}

int
seg_close_truncated(const uint8_t sk[GATEWAY_SK_LEN], const struct seg_header *h,
    const uint8_t *records, size_t len, int64_t end_us, struct buf *out,
    uint8_t next_prev[CHAIN_HASH_LEN])
{
	struct seg_end e;
	struct seg_hash hash;
	struct cur c;
	uint8_t enc[SEG_END_LEN];
	uint32_t rlen;
	uint8_t type;
	const uint8_t *p;

	memset(&e, 0, sizeof(e));
	seg_hash_init(&hash);
	cur_init(&c, records, len);
	/* Hash every whole CHUNK record; stop at the first torn or foreign one. */
	while (c.left >= RECORD_HDR_LEN) {
		struct cur save = c;

		cur_get_u32(&c, &rlen);
		cur_get_u8(&c, &type);
		if (type != REC_CHUNK || rlen == 0 || rlen > RECORD_MAX_PAYLOAD ||
		    cur_ref(&c, &p, rlen) != 0) {
			c = save;
			break;
		}
		seg_hash_chunk(&hash, p, rlen);
		e.nchunks++;
	}
	e.seq = h->seq;
	e.end_us = end_us;
	e.flags = SEG_END_TRUNCATED;
	seg_hash_final(&hash, e.ct_hash);
	seg_end_sign(sk, h, &e);
	seg_end_encode(&e, enc);
	if (record_put(out, REC_SEG_END, enc, sizeof(enc)) != 0)
		return -1;
	chain_hash(e.sig, next_prev);
	return 0;
}

size_t
seg_chunks_span(const uint8_t *records, size_t len)
{
	size_t off = 0;
	uint32_t rlen;

	while (len - off >= RECORD_HDR_LEN) {
		rlen = be_get32(records + off);
		if (records[off + 4] != REC_CHUNK || rlen == 0 || rlen > RECORD_MAX_PAYLOAD ||
		    len - off - RECORD_HDR_LEN < rlen)
			break;
		off += RECORD_HDR_LEN + rlen;
	}
	return off;
}

/* ---- Reader ---- */

enum rd_state { RD_IDLE, RD_CHUNKS, RD_FAILED };

struct seg_reader {
	uint8_t pk[GATEWAY_ID_LEN];
	seg_key_fn key;
	void *key_ctx;
	seg_chunk_fn chunk;
	void *chunk_ctx;
	enum rd_state state;
	struct seg_header h;
	crypto_secretstream_xchacha20poly1305_state st;
	struct seg_hash hash;
	uint32_t nchunks;
	int final_seen;
	int key_ok;
	struct buf plain;
	int err;
};

struct seg_reader *
seg_reader_new(const uint8_t gateway_pk[GATEWAY_ID_LEN], seg_key_fn key, void *key_ctx,
    seg_chunk_fn chunk, void *chunk_ctx)
{
	struct seg_reader *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	memcpy(r->pk, gateway_pk, GATEWAY_ID_LEN);
	r->key = key;
	r->key_ctx = key_ctx;
	r->chunk = chunk;
	r->chunk_ctx = chunk_ctx;
	buf_init(&r->plain, RECORD_MAX_PAYLOAD);
	return r;
}

void
seg_reader_free(struct seg_reader *r)
{
	if (r == NULL)
		return;
	buf_free(&r->plain);
	sodium_memzero(r, sizeof(*r));
	free(r);
}

static int
rd_fail(struct seg_reader *r, int err)
{
	r->state = RD_FAILED;
	r->err = err;
	return err;
}

static int
rd_header(struct seg_reader *r, const struct record *rec)
{
	uint8_t pk[EPOCH_PK_LEN], sk[EPOCH_SK_LEN], key[SEG_KEY_LEN];
	int ret = SEG_OK;

	if (seg_header_decode(&r->h, rec->payload, rec->len) != 0)
		return rd_fail(r, SEG_E_FORMAT);
	if (sodium_memcmp(r->h.gateway_id, r->pk, GATEWAY_ID_LEN) != 0)
		return rd_fail(r, SEG_E_GATEWAY);
	r->key_ok = 0;
	if (r->key(r->key_ctx, r->h.camera_id, r->h.epoch, pk, sk) != 0) {
		ret = rd_fail(r, SEG_E_KEY);
		goto out;
	}
	if (crypto_box_seal_open(key, r->h.sealed_key, SEALED_KEY_LEN, pk, sk) != 0 ||
	    crypto_secretstream_xchacha20poly1305_init_pull(&r->st, r->h.ss_header, key) != 0) {
		ret = rd_fail(r, SEG_E_KEY);
		goto out;
	}
	r->key_ok = 1;
	seg_hash_init(&r->hash);
	r->nchunks = 0;
	r->final_seen = 0;
	r->state = RD_CHUNKS;
out:
	sodium_memzero(sk, sizeof(sk));
	sodium_memzero(key, sizeof(key));
	return ret;
}

static int
rd_chunk(struct seg_reader *r, const struct record *rec)
{
	unsigned long long plen;
	unsigned char tag;
	struct chunk_plain cp;

	if (r->final_seen || rec->len < crypto_secretstream_xchacha20poly1305_ABYTES)
		return rd_fail(r, SEG_E_FORMAT);
	seg_hash_chunk(&r->hash, rec->payload, rec->len);
	r->nchunks++;
	buf_reset(&r->plain);
	if (buf_reserve(&r->plain, rec->len) != 0)
		return rd_fail(r, SEG_E_NOMEM);
	if (crypto_secretstream_xchacha20poly1305_pull(&r->st, r->plain.data, &plen, &tag,
	    rec->payload, rec->len, NULL, 0) != 0)
		return rd_fail(r, SEG_E_DECRYPT);
	if (chunk_plain_parse(&cp, r->plain.data, (size_t)plen) != 0)
		return rd_fail(r, SEG_E_FORMAT);
	/* The init chunk comes first and only first; the end chunk is the final one. */
	if ((r->nchunks == 1) != (cp.kind == CHUNK_INIT))
		return rd_fail(r, SEG_E_FORMAT);
	/* A header signature, when the init chunk carries one, must be the gateway's. */
	if (cp.hdr_sig != NULL && seg_header_sig_verify(r->h.gateway_id, &r->h, cp.hdr_sig) != 0)
		return rd_fail(r, SEG_E_SIGNATURE);
	if ((cp.kind == CHUNK_END) != (tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL))
		return rd_fail(r, SEG_E_FORMAT);
	if (cp.kind == CHUNK_END) {
		r->final_seen = 1;
		return SEG_OK;
	}
	if (r->chunk != NULL && r->chunk(r->chunk_ctx, &cp) != 0)
		return rd_fail(r, SEG_E_CALLBACK);
	return SEG_OK;
}

static int
rd_end(struct seg_reader *r, const struct record *rec, struct link_info *info)
{
	struct seg_end e;
	uint8_t h[CHAIN_HASH_LEN];

	if (seg_end_decode(&e, rec->payload, rec->len) != 0 || e.seq != r->h.seq)
		return rd_fail(r, SEG_E_FORMAT);
	if (seg_end_verify(r->pk, &r->h, &e) != 0)
		return rd_fail(r, SEG_E_SIGNATURE);
	seg_hash_final(&r->hash, h);
	if (e.nchunks != r->nchunks || sodium_memcmp(h, e.ct_hash, CHAIN_HASH_LEN) != 0)
		return rd_fail(r, SEG_E_HASH);
	if (!r->final_seen && !(e.flags & SEG_END_TRUNCATED))
		return rd_fail(r, SEG_E_INCOMPLETE);
	memset(info, 0, sizeof(*info));
	memcpy(info->camera_id, r->h.camera_id, CAMERA_ID_LEN);
	info->stream = r->h.stream;
	info->seq = info->last_seq = r->h.seq;
	info->start_us = r->h.start_us;
	info->end_us = e.end_us;
	info->truncated = (e.flags & SEG_END_TRUNCATED) != 0;
	info->paused = (e.flags & SEG_END_PAUSED) != 0;
	info->live_only = (r->h.flags & SEG_HDR_LIVE_ONLY) != 0;
	info->nchunks = e.nchunks;
	memcpy(info->prev_hash, r->h.prev_hash, CHAIN_HASH_LEN);
	chain_hash(e.sig, info->hash);
	r->state = RD_IDLE;
	return 1;
}

static int
rd_gap(struct seg_reader *r, const struct record *rec, struct link_info *info)
{
	struct gap g;

	if (gap_decode(&g, rec->payload, rec->len) != 0)
		return rd_fail(r, SEG_E_FORMAT);
	if (sodium_memcmp(g.gateway_id, r->pk, GATEWAY_ID_LEN) != 0)
		return rd_fail(r, SEG_E_GATEWAY);
	if (gap_verify(r->pk, &g) != 0)
		return rd_fail(r, SEG_E_SIGNATURE);
	memset(info, 0, sizeof(*info));
	info->is_gap = 1;
	memcpy(info->camera_id, g.camera_id, CAMERA_ID_LEN);
	info->stream = g.stream;
	info->seq = g.seq;
	info->last_seq = g.last_seq;
	info->start_us = g.from_us;
	info->end_us = g.to_us;
	info->gap_reason = g.reason;
	memcpy(info->prev_hash, g.prev_hash, CHAIN_HASH_LEN);
	gap_next_hash(&g, info->hash);
	return 1;
}

int
seg_reader_record(struct seg_reader *r, const struct record *rec, struct link_info *info)
{
	if (r->state == RD_FAILED)
		return r->err;
	switch (rec->type) {
	case REC_KEEPALIVE:
		return SEG_OK;
	case REC_SEG_HEADER:
		if (r->state != RD_IDLE)
			return rd_fail(r, SEG_E_INCOMPLETE);
		return rd_header(r, rec);
	case REC_CHUNK:
		if (r->state != RD_CHUNKS)
			return rd_fail(r, SEG_E_FORMAT);
		return rd_chunk(r, rec);
	case REC_SEG_END:
		if (r->state != RD_CHUNKS)
			return rd_fail(r, SEG_E_FORMAT);
		return rd_end(r, rec, info);
	case REC_GAP:
		if (r->state != RD_IDLE)
			return rd_fail(r, SEG_E_INCOMPLETE);
		return rd_gap(r, rec, info);
	default:
		return rd_fail(r, SEG_E_FORMAT);
	}
}

int
seg_open_link(const uint8_t *data, size_t len, const uint8_t gateway_pk[GATEWAY_ID_LEN],
    seg_key_fn key, void *key_ctx, seg_chunk_fn chunk, void *chunk_ctx, struct link_info *info)
{
	struct seg_reader *r = NULL;
	struct record rec;
	size_t off = 0;
	uint32_t rlen;
	int ret = SEG_E_INCOMPLETE, done = 0;

	r = seg_reader_new(gateway_pk, key, key_ctx, chunk, chunk_ctx);
	if (r == NULL)
		return SEG_E_NOMEM;
	while (len - off >= RECORD_HDR_LEN) {
		rlen = be_get32(data + off);
		if (rlen > RECORD_MAX_PAYLOAD || len - off - RECORD_HDR_LEN < rlen) {
			ret = SEG_E_INCOMPLETE;
			goto out;
		}
		if (done) {
			/* Exactly one link per call. */
			ret = SEG_E_FORMAT;
			goto out;
		}
		rec.type = data[off + 4];
		rec.len = rlen;
		rec.payload = data + off + RECORD_HDR_LEN;
		off += RECORD_HDR_LEN + rlen;
		ret = seg_reader_record(r, &rec, info);
		if (ret < 0)
			goto out;
		if (ret == 1)
			done = 1;
	}
	ret = (off == len && done) ? SEG_OK : SEG_E_INCOMPLETE;
out:
	seg_reader_free(r);
	return ret;
}

/* ---- Chain ---- */

void
chain_init(struct chain *c, const uint8_t camera_id[CAMERA_ID_LEN], uint8_t stream)
{
	memset(c, 0, sizeof(*c));
	memcpy(c->camera_id, camera_id, CAMERA_ID_LEN);
	c->stream = stream;
}

int
chain_check(struct chain *c, const struct link_info *li)
{
	if (sodium_memcmp(li->camera_id, c->camera_id, CAMERA_ID_LEN) != 0 || li->stream != c->stream)
		return SEG_E_CAMERA;
	/* Never stored: one in a stored chain is a server serving what it must not keep. */
	if (li->live_only)
		return SEG_E_LIVE_ONLY;
	if (c->started) {
		if (li->seq < c->next_seq)
			return SEG_E_CHAIN_ORDER;
		if (li->seq > c->next_seq)
			return SEG_E_CHAIN_GAP;
		if (sodium_memcmp(li->prev_hash, c->next_prev, CHAIN_HASH_LEN) != 0)
			return SEG_E_CHAIN_HASH;
	}
	c->started = 1;
	c->next_seq = li->last_seq + 1;
	memcpy(c->next_prev, li->hash, CHAIN_HASH_LEN);
	return SEG_OK;
}

const char *
seg_strerror(int err)
{
	switch (err) {
	case SEG_OK: return "ok";
	case SEG_E_FORMAT: return "malformed link";
	case SEG_E_GATEWAY: return "signed by a key other than the pinned gateway key";
	case SEG_E_SIGNATURE: return "signature does not verify";
	case SEG_E_HASH: return "chunk ciphertext does not match the signed hash";
	case SEG_E_DECRYPT: return "chunk failed authentication";
	case SEG_E_KEY: return "no key opens this segment";
	case SEG_E_INCOMPLETE: return "link is incomplete";
	case SEG_E_CAMERA: return "link belongs to another camera or stream";
	case SEG_E_CHAIN_GAP: return "a link is missing from the chain (deleted)";
	case SEG_E_CHAIN_ORDER: return "links out of order or repeated";
	case SEG_E_CHAIN_HASH: return "link does not chain to the previous one";
	case SEG_E_NOMEM: return "out of memory";
	case SEG_E_CALLBACK: return "aborted by the caller";
	case SEG_E_LIVE_ONLY: return "a live-only segment (shown live, never recorded) among stored links";
	default: return "unknown error";
	}
}
