/* fuzz_rtmp_scan.c - libFuzzer harness for bench/tools/rtmp_readers.c's RTMP chunk-stream parser: whole and piecewise feeding must agree and never overrun. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define RTMP_READERS_NO_MAIN 1
#include "../../bench/tools/rtmp_readers.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What a run saw: a count and a running hash of the events. */
struct seen {
	uint64_t n;
	uint64_t h;
};

static void
fz_event(void *ctx, const struct rtmp_event *ev)
{
	struct seen *s = ctx;

	if (ev->complete && (ev->type < 1 || ev->type > 6))
		abort();
	s->n++;
	s->h = s->h * 1000003u ^ ev->type ^ (uint64_t)ev->ts * 31u ^ (uint64_t)ev->value * 7u ^
	    (uint64_t)ev->complete;
}

/* Feeds data in pieces of sizes drawn from seed (0: all at once); returns the final code. */
static int
fz_run(const uint8_t *data, size_t size, uint32_t seed, struct seen *s)
{
	static struct rtmp_scan sc;
	size_t off = 0;
	int rc = 0;

	rtmp_scan_init(&sc);
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
		rc = rtmp_scan_feed(&sc, data + off, n, fz_event, s);
		if (rc != 0)
			break;
		off += n;
	}
	if (rc < 0 && rtmp_scan_feed(&sc, (const uint8_t *)"\x02", 1, fz_event, s) != -1)
		abort();
	if (sc.chunk_size < 1 || sc.chunk_size > MAX_IN_CHUNK || sc.hn > sizeof(sc.h))
		abort();
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct seen a = { 0, 0 }, b = { 0, 0 };
	int ra, rb;
	uint32_t seed;

	if (size < 1)
		return 0;
	seed = 0x9e3779b9u ^ ((uint32_t)data[0] << 8);
	data += 1;
	size -= 1;
	ra = fz_run(data, size, 0, &a);
	rb = fz_run(data, size, seed, &b);
	if (ra != rb || a.n != b.n || a.h != b.h)
		abort();
	return 0;
}
