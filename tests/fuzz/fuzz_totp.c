/* fuzz_totp.c - libFuzzer target for TOTP's untrusted inputs: base32 secrets and typed codes. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "common/totp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t key[] = "12345678901234567890";
	char s[2 * TOTP_B32_MAX + 8], enc[2 * TOTP_B32_MAX + 8];
	uint8_t bin[TOTP_B32_MAX], back[TOTP_B32_MAX];
	size_t n, m;
	int64_t step;
	int r;

	if (size >= sizeof(s))
		size = sizeof(s) - 1;
	memcpy(s, data, size);
	s[size] = '\0';
	if (totp_b32_decode(s, bin, sizeof(bin), &n) == 0) {
		/* Whatever decodes re-encodes canonically and decodes to the same bytes. */
		if (n == 0 || totp_b32_encode(bin, n, enc, sizeof(enc)) != 0 ||
		    totp_b32_decode(enc, back, sizeof(back), &m) != 0 || m != n ||
		    memcmp(bin, back, n) != 0)
			__builtin_trap();
	}
	r = totp_verify(key, 20, s, INT64_C(1111111111000000), -1, &step);
	if (r == 0 && (step < 37037036 || step > 37037038))
		__builtin_trap();
	if (r != 0 && step != -1)
		__builtin_trap();
	return 0;
}
