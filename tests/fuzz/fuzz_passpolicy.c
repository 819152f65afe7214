/* fuzz_passpolicy.c - libFuzzer target for the password rule's UTF-8 decoder and length checks. */
#include <stddef.h>
#include <stdint.h>
#include "common/passpolicy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	long n = passpolicy_utf8_count((const char *)data, size);
	int r = passpolicy_check(NULL, (const char *)data, size);

	/* Code points never exceed bytes, and the verdict agrees with the count. */
	if (n > (long)size)
		__builtin_trap();
	if (size <= PASSPOLICY_MAX_BYTES) {
		if ((n < 0) != (r == PASSPOLICY_ERR_UTF8))
			__builtin_trap();
		if (n >= 0 && (n < PASSPOLICY_MIN_CHARS) != (r == PASSPOLICY_ERR_SHORT))
			__builtin_trap();
	} else if (r != PASSPOLICY_ERR_LONG) {
		__builtin_trap();
	}
	return 0;
}
