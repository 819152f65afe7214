/* fuzz_record.c - libFuzzer harness feeding arbitrary bytes to the record parser in random-sized pieces. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "common/buf.h"
#include "common/record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Payload limits to try: the real one and small ones that make "too big" reachable. */
static const uint32_t max_payloads[4] = { RECORD_MAX_PAYLOAD, 4096, 208, 0 };

/* A small deterministic generator for piece sizes, seeded from the input. */
static uint32_t
rng_next(uint32_t *s)
{
	uint32_t x = *s;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*s = x;
	return x;
}

/* Checks one parsed record against the bytes it came from; aborts on a mismatch. */
static void
check_record(const struct record *rec, uint32_t max_payload, const uint8_t *orig,
    size_t orig_left, struct buf *re)
{
	uint32_t sum = 0;
	size_t i;

	if (rec->type < REC_SEG_HEADER || rec->type > REC_KEEPALIVE)
		abort();
	if (rec->len > max_payload || (rec->len > 0 && rec->payload == NULL))
		abort();
	if ((size_t)rec->len + RECORD_HDR_LEN > orig_left)
		abort();
	/* Touch every payload byte so ASan sees an out-of-bounds payload pointer. */
	for (i = 0; i < rec->len; i++)
		sum += rec->payload[i];
	(void)sum;
	/* Writing the record again must give back exactly the bytes that were parsed. */
	buf_reset(re);
	if (record_put(re, rec->type, rec->payload, rec->len) != 0)
		abort();
	if (re->len != (size_t)rec->len + RECORD_HDR_LEN || memcmp(re->data, orig, re->len) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct record_parser *p = NULL;
	struct record rec;
	struct buf re;
	uint32_t seed, max_payload, piece;
	size_t fed = 0, consumed = 0, n;
	int r, failed = 0;

	if (size < 2)
		return 0;
	seed = 0x9e3779b9u ^ ((uint32_t)data[0] << 8) ^ data[1];
	max_payload = max_payloads[data[0] & 3];
	data += 2;
	size -= 2;

	buf_init(&re, RECORD_MAX_PAYLOAD + RECORD_HDR_LEN);
	p = record_parser_new(max_payload);
	if (p == NULL)
		goto out;
	while (fed < size && !failed) {
		/* Mostly tiny pieces (splitting headers), sometimes large ones. */
		piece = rng_next(&seed);
		n = (piece & 0x80) ? (piece >> 8) % 4096 + 1 : (piece >> 8) % 8 + 1;
		if (n > size - fed)
			n = size - fed;
		if (record_parser_feed(p, data + fed, n) != 0)
			break;
		fed += n;
		for (;;) {
			r = record_parser_next(p, &rec);
			if (r == RECP_NEED_MORE)
				break;
			if (r < 0) {
				if (record_strerror(r) == NULL)
					abort();
				/* A failed parser stays failed. */
				if (record_parser_next(p, &rec) >= 0)
					abort();
				failed = 1;
				break;
			}
			if (r != RECP_RECORD)
				abort();
			check_record(&rec, max_payload, data + consumed, fed - consumed, &re);
			consumed += RECORD_HDR_LEN + (size_t)rec.len;
		}
		/* Everything fed is either returned as records or still pending. */
		if (!failed && consumed + record_parser_pending(p) != fed)
			abort();
	}
out:
	record_parser_free(p);
	buf_free(&re);
	return 0;
}
