/* fuzz_cli_org.c - libFuzzer target: what the CLI parses from the server or the pin-dir about an org: pin files, served roots, member statements, sealed admin copies. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sodium.h>
#include "cli/orgpin.h"
#include "cli/orgverify.h"
#include "common/orgkeys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct stmt_signer root;
static struct stmt_trust trust;
static int ready;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct orgpin pin;
	struct stmt_member m;
	struct buf b;
	uint8_t rk[STMT_KEY_LEN], uid[STMT_ID_LEN] = { 0 };
	uint64_t seq = 0;

	if (!ready) {
		uint8_t seed[32] = { 1 };
		uint8_t pk[32], sk[64];

		if (sodium_init() < 0)
			return 0;
		crypto_sign_seed_keypair(pk, sk, seed);
		statement_org_id(pk, root.org_id);
		orgkeys_signer_init(&root, sk, root.org_id);
		statement_trust_init(&trust, root.pk);
		ready = 1;
	}
	(void)orgpin_parse((const char *)data, size, root.org_id, &pin);
	(void)orgverify_root(data, size, root.org_id, 0, rk);
	if (orgverify_member(&trust, data, size, uid, NULL, NULL, 0, &m, &seq) == 0 &&
	    m.nscope > STMT_SCOPE_MAX)
		__builtin_trap();
	buf_init(&b, 1 << 20);
	if (orgverify_copy_open(&trust, root.sk, root.pk, 1, data, size, &b) == 0 &&
	    (b.len == 0 || b.data[b.len - 1] != 0))
		__builtin_trap();
	buf_free(&b);
	return 0;
}
