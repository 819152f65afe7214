/* fuzz_recovery_key.c - libFuzzer target for parsing a typed recovery key. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "common/userkey.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[512], f[USERKEY_RECOVERY_STR_BUF];
	uint8_t rk[USERKEY_RECOVERY_LEN], back[USERKEY_RECOVERY_LEN];

	if (size >= sizeof(s))
		size = sizeof(s) - 1;
	memcpy(s, data, size);
	s[size] = '\0';
	if (userkey_recovery_parse(s, rk) == 0) {
		/* A parsed key formats canonically and parses back to itself. */
		userkey_recovery_format(rk, f);
		if (userkey_recovery_parse(f, back) != 0 || memcmp(rk, back, sizeof(rk)) != 0)
			__builtin_trap();
	}
	return 0;
}
