/* record.c - record framing: writing records and parsing them incrementally from a byte stream. */
#include <stdlib.h>
#include <string.h>
#include "common/record.h"

struct record_parser {
	struct buf in;       /* bytes received, not yet returned */
	size_t off;          /* start of the next unparsed record within in */
	uint32_t max_payload;
	int err;
};

void
record_hdr(uint8_t hdr[RECORD_HDR_LEN], uint8_t type, uint32_t len)
{
	be_put32(hdr, len);
	hdr[4] = type;
}

int
record_put(struct buf *b, uint8_t type, const void *payload, size_t len)
{
	uint8_t hdr[RECORD_HDR_LEN];

	if (len > RECORD_MAX_PAYLOAD)
		return -1;
	if (buf_reserve(b, RECORD_HDR_LEN + len) != 0)
		return -1;
	record_hdr(hdr, type, (uint32_t)len);
	buf_put(b, hdr, sizeof(hdr));
	return buf_put(b, payload, len);
}

struct record_parser *
record_parser_new(uint32_t max_payload)
{
	struct record_parser *p;

	if (max_payload > RECORD_MAX_PAYLOAD)
		max_payload = RECORD_MAX_PAYLOAD;
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return NULL;
	/* Room for one whole record plus a partial read of the next. */
	buf_init(&p->in, 2 * ((size_t)max_payload + RECORD_HDR_LEN) + 65536);
	p->max_payload = max_payload;
	return p;
}

void
record_parser_free(struct record_parser *p)
{
	if (p == NULL)
		return;
	buf_free(&p->in);
	free(p);
}

int
record_parser_feed(struct record_parser *p, const void *data, size_t n)
{
	if (p->off > 0) {
		/* Drop what earlier records used; their payload pointers are now invalid. */
		buf_consume(&p->in, p->off);
		p->off = 0;
	}
	if (buf_put(&p->in, data, n) != 0)
		return RECP_ERR_NOMEM;
	return 0;
}

/* Payload sizes each type must have (0 = variable). */
static int
record_size_ok(uint8_t type, uint32_t len)
{
	switch (type) {
	case REC_SEG_HEADER: return len == 208;
	case REC_SEG_END: return len == 120;
	case REC_GAP: return len == 212;
	case REC_KEEPALIVE: return len == 0;
	case REC_CHUNK: return len > 0;
	default: return 0;
	}
}

int
record_parser_next(struct record_parser *p, struct record *out)
{
	const uint8_t *h;
	uint32_t len;
	size_t avail;

	if (p->err != 0)
		return p->err;
	avail = p->in.len - p->off;
	if (avail < RECORD_HDR_LEN)
		return RECP_NEED_MORE;
	h = p->in.data + p->off;
	len = be_get32(h);
	if (h[4] < REC_SEG_HEADER || h[4] > REC_KEEPALIVE) {
		p->err = RECP_ERR_TYPE;
		return p->err;
	}
	if (len > p->max_payload || !record_size_ok(h[4], len)) {
		p->err = RECP_ERR_SIZE;
		return p->err;
	}
	if (avail - RECORD_HDR_LEN < len)
		return RECP_NEED_MORE;
	out->type = h[4];
	out->len = len;
	out->payload = h + RECORD_HDR_LEN;
	p->off += RECORD_HDR_LEN + len;
	return RECP_RECORD;
}

size_t
record_parser_pending(const struct record_parser *p)
{
	return p->in.len - p->off;
}

const char *
record_strerror(int err)
{
	switch (err) {
	case RECP_ERR_TYPE: return "unknown record type";
	case RECP_ERR_SIZE: return "record length out of range for its type";
	case RECP_ERR_NOMEM: return "record buffer full";
	default: return "no error";
	}
}
