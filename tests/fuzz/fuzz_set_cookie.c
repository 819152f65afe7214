/* fuzz_set_cookie.c - libFuzzer target: the CLI's scan of a Set-Cookie header for the session cookie. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "cli/setcookie.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[SETCOOKIE_MAX];

	if (setcookie_session((const char *)data, size, out, sizeof(out)) == 0 &&
	    strlen(out) >= sizeof(out))
		__builtin_trap();
	return 0;
}
