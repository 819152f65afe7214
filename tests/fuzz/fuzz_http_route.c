/* fuzz_http_route.c - libFuzzer target: request paths through route_match and Range headers through range_parse. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "server/range.h"
#include "server/routes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const methods[] = { "GET", "POST", "PUT", "DELETE" };
	struct route_match m;
	uint64_t start, len, total;
	char *s;
	int r;

	if (size < 9)
		return 0;
	memcpy(&total, data, 8);
	if ((s = malloc(size - 8)) == NULL)
		return 0;
	/* NUL-terminated as MHD hands them over. */
	memcpy(s, data + 9, size - 9);
	s[size - 9] = '\0';
	r = route_match(methods[data[8] & 3], s, &m);
	if (r == 0 && (m.route == NULL || m.nparams > ROUTE_MAX_PARAMS))
		abort();
	if (range_parse(s, total, &start, &len) == RANGE_PARTIAL &&
	    (len == 0 || start >= total || len > total - start))
		abort();
	free(s);
	return 0;
}
