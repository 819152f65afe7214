/* fuzz_livemux.c - libFuzzer harness for the multiplexed live route's cameras query parser and record-boundary scanner: no overrun, bounded output, piecewise scanning equal to whole. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "server/h_livemux.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct livemux_cam cams[LIVEMUX_MAX_CAMERAS];
	struct livemux_scan a, b;
	size_t n = 0, whole, parts = 0, off, step;
	char *s;

	/* The query value as MHD hands it over: a NUL-terminated string. */
	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (livemux_parse_cameras(s, cams, LIVEMUX_MAX_CAMERAS, &n) == 0 &&
	    (n == 0 || n > LIVEMUX_MAX_CAMERAS))
		abort();
	free(s);
	/* The scanner over the same bytes as a record stream, whole and in pieces. */
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	whole = livemux_scan_feed(&a, data, size);
	step = size > 0 ? (size_t)data[0] % 7 + 1 : 1;
	for (off = 0; off < size; off += step)
		parts += livemux_scan_feed(&b, data + off, size - off < step ? size - off : step);
	if (whole != parts || a.have != b.have || a.left != b.left || a.have >= 5)
		abort();
	return 0;
}
