/* fuzz_enrollc.c - libFuzzer harness for the gateway's check of the server's enrollment result answer. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "common/enroll.h"
#include "gateway/enrollc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct enroll_code code;
	static uint8_t pk[32], xpk[32];
	static int ready;
	uint8_t root[32];
	char msg[512];
	int rc;

	if (!ready) {
		uint8_t seed[32], sk[64];
		if (sodium_init() < 0)
			abort();
		memset(seed, 3, sizeof(seed));
		crypto_sign_seed_keypair(pk, sk, seed);
		if (crypto_sign_ed25519_pk_to_curve25519(xpk, pk) != 0)
			abort();
		memset(code.id, 4, sizeof(code.id));
		memset(code.secret, 5, sizeof(code.secret));
		memcpy(code.fingerprint, "11111-22222-33333-44444-55555-66666-77777-88888", 48);
		ready = 1;
	}
	memset(root, 0, sizeof(root));
	rc = enrollc_check_result(&code, data, size, pk, xpk, 1700000000000000LL, root, msg,
	    sizeof(msg));
	/* Nobody can match this fingerprint: success would mean a broken check. */
	if (rc == 0 || memchr(msg, '\0', sizeof(msg)) == NULL || !sodium_is_zero(root, 32))
		__builtin_trap();
	return 0;
}
