/* fuzz_live_scan.c - libFuzzer harness for bench/tools/live_readers.c's de-chunker and record scanner: whole and piecewise feeding must agree and never overrun. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define LIVE_READERS_NO_MAIN 1
#include "../../bench/tools/live_readers.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What a run saw: a count and a running hash of the events. */
struct seen {
	uint64_t n;
	uint64_t h;
};

static void
fz_event(void *ctx, const struct live_event *ev)
{
	struct seen *s = ctx;

	if (ev->type != REC_SEG_HEADER && ev->type != REC_SEG_END && ev->type != REC_GAP)
		abort();
	s->n++;
	s->h = s->h * 1000003u ^ ev->type ^ ev->seq * 31u ^ (uint64_t)ev->wall_us;
}

/* Feeds data in pieces of sizes drawn from seed (0: all at once); returns the final code. */
static int
fz_run(const uint8_t *data, size_t size, int chunked, uint32_t seed, struct seen *s)
{
	struct live_scan sc;
	size_t off = 0;
	int rc = 0;

	live_scan_init(&sc, chunked);
	while (off < size) {
		size_t n = size - off;

		if (seed != 0) {
			seed ^= seed << 13;
			seed ^= seed >> 17;
			seed ^= seed << 5;
			n = (seed & 0x80) ? (seed >> 8) % 2048 + 1 : (seed >> 8) % 7 + 1;
			if (n > size - off)
				n = size - off;
		}
		rc = live_scan_feed(&sc, data + off, n, fz_event, s);
		if (rc != 0)
			break;
		off += n;
	}
	/* A failed scanner stays failed. */
	if (rc < 0 && live_scan_feed(&sc, (const uint8_t *)"0", 1, fz_event, s) != -1)
		abort();
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct seen a = { 0, 0 }, b = { 0, 0 };
	int chunked, ra, rb;
	uint32_t seed;

	if (size < 2)
		return 0;
	chunked = data[0] & 1;
	seed = 0x9e3779b9u ^ ((uint32_t)data[1] << 8) ^ data[0];
	data += 2;
	size -= 2;
	ra = fz_run(data, size, chunked, 0, &a);
	rb = fz_run(data, size, chunked, seed, &b);
	if (ra != rb || a.n != b.n || a.h != b.h)
		abort();
	return 0;
}
