/* spool.h - the gateway's bounded on-disk queue of chain links, one directory per camera stream. */
#ifndef VIGIL_GATEWAY_SPOOL_H
#define VIGIL_GATEWAY_SPOOL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "common/segment.h"

/* Layout: DIR/<camera hex>-<stream>/<seq, 20 digits>.open while a segment is written,
 * renamed to .link once closed (fsync'd first); DIR/<...>/state holds the chain state
 * (next seq, next prev hash, last end time) written atomically after each link. */
struct spool;
struct spool_stream;

/* Open the spool rooted at dir with a budget of max_bytes over all streams. NULL on error. */
struct spool *spool_open(const char *dir, uint64_t max_bytes);
void spool_close(struct spool *s);

/* Open (creating) one stream's queue and recover it after a crash: a link left .open is
 * closed as truncated (signed with sk), and the chain state is restored. Outputs the next
 * seq, the prev hash the next link must carry and the end time of the last link (0 when
 * the stream has none). The spool keeps a copy of sk for eviction gaps. 0 or -1. */
int spool_stream_open(struct spool *s, const uint8_t camera_id[CAMERA_ID_LEN], uint8_t stream,
    const uint8_t sk[GATEWAY_SK_LEN], struct spool_stream **out, uint64_t *next_seq,
    uint8_t next_prev[CHAIN_HASH_LEN], int64_t *last_end_us);

/* Producer side (one thread per stream). */
int spool_link_begin(struct spool_stream *ss, uint64_t seq);
int spool_link_append(struct spool_stream *ss, const void *p, size_t n);
/* Close the open link: fsync, rename to .link, record the chain state; evicts the oldest
 * closed links (replacing them with a signed eviction gap) when over budget. */
int spool_link_commit(struct spool_stream *ss, uint64_t next_seq,
    const uint8_t next_prev[CHAIN_HASH_LEN], int64_t end_us);
/* Store a whole link at once (a gap), same durability and state rules as commit. */
int spool_put_link(struct spool_stream *ss, uint64_t seq, const void *p, size_t n,
    uint64_t next_seq, const uint8_t next_prev[CHAIN_HASH_LEN], int64_t end_us);

/* Consumer side (uploader). */
/* The oldest link not yet acknowledged whose seq is >= from: 0 and *seq set (*open says
 * whether it is still being written), 1 when there is none, -1 on error. */
int spool_next(struct spool_stream *ss, uint64_t from, uint64_t *seq, int *open);
/* The newest link (open or closed): as spool_next. */
int spool_newest(struct spool_stream *ss, uint64_t *seq, int *open);
/* Read up to n bytes of link seq at offset off. For an open link with no new bytes it
 * waits up to timeout_ms for the producer. Returns bytes read (> 0); 0 when the link is
 * closed and off is its end; -2 when the link no longer exists (acked or evicted); -1 on
 * error; -3 on timeout with nothing new. */
ssize_t spool_read(struct spool_stream *ss, uint64_t seq, uint64_t off, void *p, size_t n,
    int timeout_ms);
/* The server acknowledged link seq as durable: delete it. 0 or -1. */
int spool_ack(struct spool_stream *ss, uint64_t seq);
/* Bytes held by the whole spool. */
uint64_t spool_bytes(const struct spool *s);

/* Additions for the uploader. A link's incarnation id changes when an eviction gap takes
 * over its seq (the gap is stored under the first evicted seq), so a reader never mixes
 * bytes of the evicted segment with the gap's. */
/* The current incarnation of link seq and its size so far (either output may be NULL):
 * 0, or -1 when there is no such link. */
int spool_link_id(struct spool_stream *ss, uint64_t seq, uint64_t *id, uint64_t *size);
/* spool_read, and -2 also when seq is no longer incarnation id (0 = any). */
ssize_t spool_read_id(struct spool_stream *ss, uint64_t seq, uint64_t id, uint64_t off,
    void *p, size_t n, int timeout_ms);
/* spool_ack, deleting only incarnation id (0 = any); 0 also when the link is already gone,
 * -1 when it is still open, another incarnation, or cannot be deleted. */
int spool_ack_id(struct spool_stream *ss, uint64_t seq, uint64_t id);
/* A counter bumped by every begin, commit, ack and eviction (not by appends: a reader
 * waiting for bytes uses spool_read's timeout). */
uint64_t spool_changes(struct spool_stream *ss);
/* Wait until the counter differs from seen: 0, or -3 after timeout_ms. */
int spool_wait_change(struct spool_stream *ss, uint64_t seen, int timeout_ms);
/* A reader for one consumer thread: like spool_read_id, but it keeps the link it read
 * last open, so reading a link piece by piece costs one pread per piece. NULL on error. */
struct spool_reader;
struct spool_reader *spool_reader_new(struct spool_stream *ss);
ssize_t spool_reader_read(struct spool_reader *r, uint64_t seq, uint64_t id, uint64_t off,
    void *p, size_t n, int timeout_ms);
/* NULL-safe; closes the descriptor it holds. */
void spool_reader_free(struct spool_reader *r);
/* Wake every waiter of this stream (used to stop consumers promptly). */
void spool_stream_wake(struct spool_stream *ss);

#endif
