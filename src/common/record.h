/* record.h - the record framing shared by ingest, storage, live relay and download. */
#ifndef VIGIL_RECORD_H
#define VIGIL_RECORD_H

#include <stddef.h>
#include <stdint.h>
#include "common/buf.h"

#define RECORD_HDR_LEN 5u
#define RECORD_MAX_PAYLOAD (8u * 1024u * 1024u)

enum record_type {
	REC_SEG_HEADER = 1,
	REC_CHUNK = 2,
	REC_SEG_END = 3,
	REC_GAP = 4,
	REC_KEEPALIVE = 5,
};

/* Append one framed record (header + payload) to b. 0 or -1. */
int record_put(struct buf *b, uint8_t type, const void *payload, size_t len);
/* Write a 5-byte record header for a payload of len bytes. */
void record_hdr(uint8_t hdr[RECORD_HDR_LEN], uint8_t type, uint32_t len);

/* An incremental parser: feed it bytes as they arrive, take out whole records.
 * It keeps at most one record (RECORD_MAX_PAYLOAD + header) buffered. */
struct record_parser;

struct record {
	uint8_t type;
	uint32_t len;
	const uint8_t *payload; /* valid until the next record_parser_* call */
};

enum {
	RECP_NEED_MORE = 0,   /* no whole record yet */
	RECP_RECORD = 1,      /* *out holds one record */
	RECP_ERR_TYPE = -1,   /* unknown type */
	RECP_ERR_SIZE = -2,   /* payload length over the maximum, or wrong for its type */
	RECP_ERR_NOMEM = -3,
};

/* max_payload <= RECORD_MAX_PAYLOAD; returns NULL on allocation failure. */
struct record_parser *record_parser_new(uint32_t max_payload);
void record_parser_free(struct record_parser *p);
/* Copy n bytes in. 0, or RECP_ERR_NOMEM. Feeding never parses. */
int record_parser_feed(struct record_parser *p, const void *data, size_t n);
/* Take the next whole record: RECP_RECORD, RECP_NEED_MORE or a negative error; after an
 * error the parser stays failed. */
int record_parser_next(struct record_parser *p, struct record *out);
/* Bytes buffered and not yet returned as records. */
size_t record_parser_pending(const struct record_parser *p);
/* A short, static description of a parser error code. */
const char *record_strerror(int err);

#endif
