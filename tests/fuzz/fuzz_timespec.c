/* fuzz_timespec.c - libFuzzer target for the CLI's time argument parser (timearg_parse). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "cli/timearg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[TIMEARG_MAX_LEN + 8];
	char out[TIMEARG_FMT_LEN];
	const char *why;
	int64_t v, w;

	if (size >= sizeof(s))
		size = sizeof(s) - 1;
	memcpy(s, data, size);
	s[size] = '\0';
	if (timearg_parse(s, INT64_C(1795823400000000), &v, &why) == 0) {
		/* Whatever parses must print and parse back to the same instant. */
		timearg_format(v, out, sizeof(out));
		if (timearg_parse(out, 0, &w, &why) != 0 || w != v)
			__builtin_trap();
	}
	return 0;
}
