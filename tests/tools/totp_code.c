/* totp_code.c - test helper: prints the current RFC 6238 code of a base32 secret, optionally N steps ahead. */
#include <stdio.h>
#include <string.h>
#include "common/totp.h"
#include "common/util.h"

/* usage: totp_code SECRET_BASE32 [STEPS_AHEAD] */
int
main(int argc, char **argv)
{
	uint8_t key[TOTP_B32_MAX];
	size_t n = 0;
	int64_t ahead = 0, step;

	if (argc < 2 || argc > 3 || totp_b32_decode(argv[1], key, sizeof(key), &n) != 0 || n == 0 ||
	    (argc == 3 && parse_i64(argv[2], -10, 10, &ahead) != 0)) {
		fprintf(stderr, "usage: totp_code SECRET_BASE32 [STEPS_AHEAD]\n");
		return 2;
	}
	step = totp_step(now_us()) + ahead;
	printf("%06u\n", (unsigned)totp_hotp(key, n, (uint64_t)step, TOTP_DIGITS));
	return 0;
}
