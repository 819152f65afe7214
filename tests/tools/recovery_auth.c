/* recovery_auth.c - test helper: prints the auth key (hex) a printed recovery key gives, as the console and the CLI derive it. */
#include <stdio.h>
#include <sodium.h>
#include "common/userkey.h"
#include "common/util.h"

/* usage: recovery_auth RECOVERY_KEY */
int
main(int argc, char **argv)
{
	uint8_t rk[USERKEY_RECOVERY_LEN], auth[USERKEY_KEY_LEN], wrap[USERKEY_KEY_LEN];
	char hex[2 * USERKEY_KEY_LEN + 1];
	int r = 2;

	if (sodium_init() < 0 || argc != 2 || userkey_recovery_parse(argv[1], rk) != 0) {
		fprintf(stderr, "usage: recovery_auth RECOVERY_KEY (56 Crockford base32 characters)\n");
		goto out;
	}
	userkey_recovery_keys(rk, auth, wrap);
	hex_encode(auth, sizeof(auth), hex);
	printf("%s\n", hex);
	r = 0;
out:
	sodium_memzero(rk, sizeof(rk));
	sodium_memzero(wrap, sizeof(wrap));
	return r;
}
