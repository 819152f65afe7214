/* segment.h - building, signing, verifying and decrypting chain links (segments and gaps). */
#ifndef VIGIL_SEGMENT_H
#define VIGIL_SEGMENT_H

#include <stddef.h>
#include <stdint.h>
#include <sodium.h>
#include "common/buf.h"
#include "common/record.h"

#define CAMERA_ID_LEN 16
#define GATEWAY_ID_LEN crypto_sign_PUBLICKEYBYTES           /* 32 */
#define GATEWAY_SK_LEN crypto_sign_SECRETKEYBYTES           /* 64 */
#define SIG_LEN crypto_sign_BYTES                           /* 64 */
#define CHAIN_HASH_LEN 32
#define SEG_KEY_LEN crypto_secretstream_xchacha20poly1305_KEYBYTES     /* 32 */
#define SEALED_KEY_LEN (crypto_box_SEALBYTES + SEG_KEY_LEN)             /* 80 */
#define SS_HEADER_LEN crypto_secretstream_xchacha20poly1305_HEADERBYTES /* 24 */
#define EPOCH_PK_LEN crypto_box_PUBLICKEYBYTES              /* 32 */
#define EPOCH_SK_LEN crypto_box_SECRETKEYBYTES              /* 32 */
#define SEG_HEADER_LEN 208
#define SEG_END_LEN 120
#define GAP_LEN 212
#define SEG_VERSION 1
#define CHUNK_PLAIN_HDR 10

enum chunk_kind { CHUNK_INIT = 1, CHUNK_MEDIA = 2, CHUNK_END = 3 };
enum gap_reason { GAP_CAMERA_OFFLINE = 1, GAP_GATEWAY_RESTART = 2, GAP_SPOOL_EVICTED = 3,
	GAP_UPLOAD_REFUSED = 4, GAP_MOTION_IDLE = 5 };
#define SEG_END_TRUNCATED 0x01
/* Recording pauses after this segment: the camera records on motion only and nothing
 * moves (signed, so a live viewer can say so rather than "offline"). */
#define SEG_END_PAUSED 0x02
#define CHUNK_KEYFRAME 0x01
/* Init chunk flag: the plaintext carries, between wall_us and the codec, the gateway's
 * Ed25519 signature over "vigil-seghdr-v1" || the encoded SEG_HEADER (SEG_HDRSIG_LEN bytes).
 * The server holds every public key a SEG_HEADER needs, so it could seal a segment key of
 * its own; this signature lets a live viewer know the key is the gateway's before the first
 * frame, where the SEG_END signature comes only at the segment's end. */
#define CHUNK_INIT_HDRSIG 0x02
#define SEG_HDRSIG_LEN 64
/* SEG_HEADER flags (signed with the rest of the header; other bits are refused).
 * Live only: shown to live viewers while a motion-only camera is paused, never stored.
 * Such a segment forks off the chain: its seq and prev_hash are those the next stored
 * link will carry, so the stored chain stays whole without it, and a verifier of the
 * archive refuses it (SEG_E_LIVE_ONLY). */
#define SEG_HDR_LIVE_ONLY 0x0001

struct seg_header {
	uint8_t version;
	uint8_t stream;
	uint16_t flags;
	uint8_t camera_id[CAMERA_ID_LEN];
	uint64_t seq;
	int64_t start_us;
	uint32_t epoch;
	uint8_t sealed_key[SEALED_KEY_LEN];
	uint8_t ss_header[SS_HEADER_LEN];
	uint8_t prev_hash[CHAIN_HASH_LEN];
	uint8_t gateway_id[GATEWAY_ID_LEN];
};

struct seg_end {
	uint64_t seq;
	int64_t end_us;
	uint32_t nchunks;
	uint8_t flags;
	uint8_t ct_hash[CHAIN_HASH_LEN];
	uint8_t sig[SIG_LEN];
};

struct gap {
	uint8_t version;
	uint8_t stream;
	uint16_t reason;
	uint8_t camera_id[CAMERA_ID_LEN];
	uint64_t seq;
	uint64_t last_seq;
	int64_t from_us;
	int64_t to_us;
	uint8_t prev_hash[CHAIN_HASH_LEN];
	uint8_t last_hash[CHAIN_HASH_LEN];  /* eviction gaps only, else zero */
	uint8_t gateway_id[GATEWAY_ID_LEN];
	uint8_t sig[SIG_LEN];
};

/* Fixed-layout encoders and decoders. Decoders return 0, or -1 on a wrong length or
 * version; they never read past n. */
void seg_header_encode(const struct seg_header *h, uint8_t out[SEG_HEADER_LEN]);
int seg_header_decode(struct seg_header *h, const uint8_t *p, size_t n);
void seg_end_encode(const struct seg_end *e, uint8_t out[SEG_END_LEN]);
int seg_end_decode(struct seg_end *e, const uint8_t *p, size_t n);
void gap_encode(const struct gap *g, uint8_t out[GAP_LEN]);
int gap_decode(struct gap *g, const uint8_t *p, size_t n);

/* BLAKE2b-256 of a link's signature: the next link's prev_hash. */
void chain_hash(const uint8_t sig[SIG_LEN], uint8_t out[CHAIN_HASH_LEN]);

/* Running hash of a segment's chunk ciphertexts (ct_hash). */
struct seg_hash { crypto_generichash_state st; };
void seg_hash_init(struct seg_hash *h);
void seg_hash_chunk(struct seg_hash *h, const uint8_t *ct, uint32_t len);
void seg_hash_final(struct seg_hash *h, uint8_t out[CHAIN_HASH_LEN]);

/* Sign a segment end (fills e->sig from h and e's other fields), or a gap (g->sig). */
void seg_end_sign(const uint8_t sk[GATEWAY_SK_LEN], const struct seg_header *h, struct seg_end *e);
int seg_end_verify(const uint8_t pk[GATEWAY_ID_LEN], const struct seg_header *h, const struct seg_end *e);
void gap_sign(const uint8_t sk[GATEWAY_SK_LEN], struct gap *g);
int gap_verify(const uint8_t pk[GATEWAY_ID_LEN], const struct gap *g);

/* Chunk plaintext: kind | flags | wall_us | body. */
int chunk_plain_put(struct buf *b, uint8_t kind, uint8_t flags, int64_t wall_us,
    const void *body, size_t len);
struct chunk_plain {
	uint8_t kind;
	uint8_t flags;
	int64_t wall_us;
	const uint8_t *body;   /* media: moof+mdat; init: ftyp+moov */
	size_t body_len;
	char codec[64];        /* init only: NUL-terminated codec string */
	const uint8_t *hdr_sig; /* init with CHUNK_INIT_HDRSIG: SEG_HDRSIG_LEN bytes, else NULL */
};
int chunk_plain_parse(struct chunk_plain *c, const uint8_t *p, size_t n);

/* ---- Writing (gateway). One writer per open segment. ---- */
struct seg_writer;

/* Start segment seq: draws a segment key, seals it to epoch_pk, appends the SEG_HEADER
 * record to out. *wp receives the writer (caller frees with seg_writer_free). 0 or -1. */
int seg_writer_begin(struct seg_writer **wp, const uint8_t sk[GATEWAY_SK_LEN],
    const uint8_t camera_id[CAMERA_ID_LEN], uint8_t stream, uint64_t seq, int64_t start_us,
    uint32_t epoch, const uint8_t epoch_pk[EPOCH_PK_LEN],
    const uint8_t prev_hash[CHAIN_HASH_LEN], struct buf *out);
/* The same for a live-only segment (SEG_HDR_LIVE_ONLY in its signed header): seq and
 * prev_hash are the ones the next stored link will carry. */
int seg_writer_begin_live(struct seg_writer **wp, const uint8_t sk[GATEWAY_SK_LEN],
    const uint8_t camera_id[CAMERA_ID_LEN], uint8_t stream, uint64_t seq, int64_t start_us,
    uint32_t epoch, const uint8_t epoch_pk[EPOCH_PK_LEN],
    const uint8_t prev_hash[CHAIN_HASH_LEN], struct buf *out);
/* Append the segment's init chunk (codec string, ftyp+moov) at wall_us, carrying the header
 * signature (CHUNK_INIT_HDRSIG). plain is scratch for the plaintext. 0 or -1. */
int seg_writer_init_chunk(struct seg_writer *w, int64_t wall_us, const char *codec,
    const uint8_t *init, size_t ilen, struct buf *plain, struct buf *out);
/* Check a header signature (an init chunk's hdr_sig) against gateway key pk. 0 or -1. */
int seg_header_sig_verify(const uint8_t pk[GATEWAY_ID_LEN], const struct seg_header *h,
    const uint8_t sig[SEG_HDRSIG_LEN]);
/* Encrypt one chunk plaintext (built with chunk_plain_put) and append a CHUNK record. */
int seg_writer_chunk(struct seg_writer *w, const uint8_t *plain, size_t len, struct buf *out);
/* Append the final (CHUNK_END, TAG_FINAL) chunk and the signed SEG_END; next_prev gets the
 * hash the next link must carry. The writer stays allocated; free it after. */
int seg_writer_end(struct seg_writer *w, int64_t end_us, struct buf *out,
    uint8_t next_prev[CHAIN_HASH_LEN]);
/* Flags the signed SEG_END of seg_writer_end will carry (SEG_END_PAUSED); 0 by default. */
void seg_writer_set_end_flags(struct seg_writer *w, uint8_t flags);
/* Chunks appended so far, and the header (for spool recovery). */
uint32_t seg_writer_nchunks(const struct seg_writer *w);
const struct seg_header *seg_writer_header(const struct seg_writer *w);
void seg_writer_free(struct seg_writer *w);

/* Build a signed gap link record into out (fills g->gateway_id and g->sig from sk; the
 * caller sets the other fields, last_seq = seq and last_hash zero for an ordinary gap).
 * next_prev gets the hash the link after the gap must carry. */
int gap_build(const uint8_t sk[GATEWAY_SK_LEN], struct gap *g, struct buf *out,
    uint8_t next_prev[CHAIN_HASH_LEN]);

/* Close a segment whose writer was lost (gateway restart): given the header and the
 * chunk records that reached the spool, sign a truncated SEG_END and append it. */
int seg_close_truncated(const uint8_t sk[GATEWAY_SK_LEN], const struct seg_header *h,
    const uint8_t *records, size_t len, int64_t end_us, struct buf *out,
    uint8_t next_prev[CHAIN_HASH_LEN]);

/* Length of the prefix of records that is whole CHUNK records (what seg_close_truncated
 * hashes): the spool truncates a torn open link to this before closing it. */
size_t seg_chunks_span(const uint8_t *records, size_t len);

/* ---- Reading (viewer, CLI). Verifies as it decrypts. ---- */
enum seg_err {
	SEG_OK = 0,
	SEG_E_FORMAT = -1,     /* records out of order, bad sizes, unknown type */
	SEG_E_GATEWAY = -2,    /* signed by a key other than the pinned gateway key */
	SEG_E_SIGNATURE = -3,  /* signature does not verify */
	SEG_E_HASH = -4,       /* chunk ciphertexts do not match the signed hash */
	SEG_E_DECRYPT = -5,    /* a chunk failed authentication */
	SEG_E_KEY = -6,        /* no key for this epoch, or the sealed key does not open */
	SEG_E_INCOMPLETE = -7, /* the link ended early */
	SEG_E_CAMERA = -8,     /* a link of another camera or stream */
	SEG_E_CHAIN_GAP = -9,  /* a seq is missing: a link was deleted */
	SEG_E_CHAIN_ORDER = -10, /* seq went backwards or repeated */
	SEG_E_CHAIN_HASH = -11,  /* prev_hash does not match the previous link */
	SEG_E_NOMEM = -12,
	SEG_E_CALLBACK = -13,
	SEG_E_LIVE_ONLY = -14,   /* a live-only segment where stored links belong */
};
const char *seg_strerror(int err);

/* Looks up the epoch secret key for (camera, epoch); copies it into sk, returns 0 or -1. */
typedef int (*seg_key_fn)(void *ctx, const uint8_t camera_id[CAMERA_ID_LEN], uint32_t epoch,
    uint8_t pk[EPOCH_PK_LEN], uint8_t sk[EPOCH_SK_LEN]);
/* Receives each decrypted chunk; plaintext valid during the call. Nonzero aborts. */
typedef int (*seg_chunk_fn)(void *ctx, const struct chunk_plain *c);

struct link_info {
	int is_gap;
	uint8_t camera_id[CAMERA_ID_LEN];
	uint8_t stream;
	uint64_t seq;
	uint64_t last_seq;  /* == seq except for eviction gaps */
	int64_t start_us, end_us;
	uint16_t gap_reason;
	int truncated;
	int paused;         /* SEG_END_PAUSED: recording pauses after this segment */
	int live_only;      /* SEG_HDR_LIVE_ONLY: shown live, never recorded */
	uint32_t nchunks;
	uint8_t prev_hash[CHAIN_HASH_LEN];
	uint8_t hash[CHAIN_HASH_LEN];   /* what the next link's prev_hash must be */
};

struct seg_reader;
struct seg_reader *seg_reader_new(const uint8_t gateway_pk[GATEWAY_ID_LEN], seg_key_fn key,
    void *key_ctx, seg_chunk_fn chunk, void *chunk_ctx);
void seg_reader_free(struct seg_reader *r);
/* Feed one record. Returns SEG_OK while the link is open, 1 when a link completed and
 * verified (*info filled), or a negative seg_err. Chunks are passed to the callback as
 * they decrypt: a caller that must not use unverified data waits for the 1. */
int seg_reader_record(struct seg_reader *r, const struct record *rec, struct link_info *info);

/* Verify and decrypt one whole link held in memory (all its records). */
int seg_open_link(const uint8_t *data, size_t len, const uint8_t gateway_pk[GATEWAY_ID_LEN],
    seg_key_fn key, void *key_ctx, seg_chunk_fn chunk, void *chunk_ctx, struct link_info *info);

/* Chain continuity across links of one (camera, stream). */
struct chain {
	int started;
	uint8_t camera_id[CAMERA_ID_LEN];
	uint8_t stream;
	uint64_t next_seq;
	uint8_t next_prev[CHAIN_HASH_LEN];
};
void chain_init(struct chain *c, const uint8_t camera_id[CAMERA_ID_LEN], uint8_t stream);
/* SEG_OK, or SEG_E_CAMERA / SEG_E_CHAIN_GAP / SEG_E_CHAIN_ORDER / SEG_E_CHAIN_HASH. The first
 * link checked only fixes the starting point (its predecessor is outside the range). */
int chain_check(struct chain *c, const struct link_info *li);

#endif
