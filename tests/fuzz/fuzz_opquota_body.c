/* fuzz_opquota_body.c - libFuzzer target: the operator's organization quota PUT bodies through opquota_body_parse. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include "server/h_opquota.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t v;

	if (opquota_body_parse(data, size, &v) == 0) {
		/* What parsed must hold what the parser promises. */
		if (v > (uint64_t)INT64_MAX)
			abort();
	} else if (v != 0) {
		abort();
	}
	return 0;
}
