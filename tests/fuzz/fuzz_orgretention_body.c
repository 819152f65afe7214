/* fuzz_orgretention_body.c - libFuzzer target: organization retention PUT bodies through orgretention_body_parse. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include "server/h_orgretention.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int64_t v;

	if (orgretention_body_parse(data, size, &v) == 0) {
		/* What parsed must hold what the parser promises. */
		if (v != 0 && (v < ORGRETENTION_MIN_S || v > ORGRETENTION_MAX_S))
			abort();
	} else if (v != 0) {
		abort();
	}
	return 0;
}
