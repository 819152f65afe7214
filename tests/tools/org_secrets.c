/* org_secrets.c - test helper: prints every secret that opens footage as the site and an owner's client hold it (wrap key, user keys, org root, epoch keys, gateway keys), one "name hex" line each, for test_compromise.sh to look for in the cloud. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "common/statement.h"
#include "common/userkey.h"
#include "common/util.h"

#define LINE_MAX_HEX (2 * 4096)
#define MAX_EPOCH_KEYS 256

/* One "name hex" line; the first 32 bytes only, so that a seed matches wherever its
 * expanded secret key would (an Ed25519 secret key is seed || public key). */
static void
print_key(const char *name, const uint8_t *k)
{
	char hex[2 * 32 + 1];

	hex_encode(k, 32, hex);
	hex[2 * 32] = '\0';
	printf("%s %s\n", name, hex);
	sodium_memzero(hex, sizeof(hex));
}

/* The gateway's key file: 128 hex characters (seed || public key) and an optional newline.
 * Prints its seed and the X25519 key it opens sealed configurations with. */
static int
print_gateway(const char *path)
{
	uint8_t sk[crypto_sign_SECRETKEYBYTES], box_sk[crypto_box_SECRETKEYBYTES];
	char hex[2 * crypto_sign_SECRETKEYBYTES + 2];
	FILE *f = fopen(path, "r");
	size_t n;
	int r = -1;

	if (f == NULL)
		goto out;
	n = fread(hex, 1, sizeof(hex) - 1, f);
	hex[n] = '\0';
	hex[strcspn(hex, "\r\n")] = '\0';
	if (strlen(hex) != 2 * crypto_sign_SECRETKEYBYTES || hex_decode(hex, sk, sizeof(sk)) != 0 ||
	    crypto_sign_ed25519_sk_to_curve25519(box_sk, sk) != 0)
		goto out;
	print_key("gateway_seed", sk);
	print_key("gateway_box_sk", box_sk);
	r = 0;
out:
	if (f != NULL)
		fclose(f);
	sodium_memzero(sk, sizeof(sk));
	sodium_memzero(box_sk, sizeof(box_sk));
	sodium_memzero(hex, sizeof(hex));
	return r;
}

int
main(int argc, char **argv)
{
	struct userkey_bundle kb;
	struct userkey_limits lim;
	uint8_t salt[USERKEY_SALT_LEN], wrapped[USERKEY_WRAPPED_LEN], auth[32], wrap[32];
	uint8_t raw[LINE_MAX_HEX / 2], sk[crypto_box_SECRETKEYBYTES], root[STMT_SK_LEN];
	uint8_t sealed[crypto_box_SEALBYTES + STMT_SK_LEN];
	static uint8_t seen[MAX_EPOCH_KEYS][crypto_box_SECRETKEYBYTES];
	static char line[LINE_MAX_HEX + 4];
	const char *pw = getenv("VIGIL_PASSWORD");
	int64_t ops, mem;
	size_t nseen = 0, i;
	int rc = 1;

	memset(&kb, 0, sizeof(kb));
	if (argc != 8 || pw == NULL || strlen(argv[1]) != USERKEY_ID_LEN ||
	    hex_decode(argv[2], salt, sizeof(salt)) != 0 ||
	    hex_decode(argv[3], wrapped, sizeof(wrapped)) != 0 ||
	    parse_i64(argv[4], 1, 100, &ops) != 0 || parse_i64(argv[5], 1, (int64_t)1 << 31, &mem) != 0 ||
	    (strcmp(argv[6], "-") != 0 && hex_decode(argv[6], sealed, sizeof(sealed)) != 0)) {
		fprintf(stderr, "usage: VIGIL_PASSWORD=... org_secrets USER_ID SALT WRAPPED OPS MEM "
		    "SEALED_ROOT|- GATEWAY_KEY_FILE|- < grants.hex\n");
		return 2;
	}
	if (sodium_init() < 0)
		return 1;
	lim.ops = (unsigned long long)ops;
	lim.mem = (size_t)mem;
	if (userkey_derive(pw, strlen(pw), salt, &lim, auth, wrap) != 0 ||
	    userkey_unwrap(wrap, argv[1], wrapped, sizeof(wrapped), &kb) != 0) {
		fprintf(stderr, "org_secrets: keys do not unwrap\n");
		goto out;
	}
	print_key("wrap_key", wrap);
	print_key("user_box_sk", kb.box_sk);
	print_key("user_sign_seed", kb.sign_sk);
	if (strcmp(argv[6], "-") != 0) {
		if (crypto_box_seal_open(root, sealed, sizeof(sealed), kb.box_pk, kb.box_sk) != 0) {
			fprintf(stderr, "org_secrets: the sealed org root does not open\n");
			goto out;
		}
		print_key("org_root_seed", root);
	}
	while (fgets(line, sizeof(line), stdin) != NULL) {
		struct stmt *s = NULL;
		size_t n = strcspn(line, "\r\n");

		line[n] = '\0';
		if (n == 0 || n % 2 != 0 || hex_decode(line, raw, n / 2) != 0 ||
		    statement_parse(raw, n / 2, &s) != 0)
			continue;
		if (s->type == STMT_GRANT && crypto_box_seal_open(sk, s->u.grant.sealed_sk,
		    STMT_SEALED_SK_LEN, kb.box_pk, kb.box_sk) == 0) {
			for (i = 0; i < nseen && sodium_memcmp(seen[i], sk, sizeof(sk)) != 0; i++)
				;
			if (i == nseen && nseen < MAX_EPOCH_KEYS) {
				memcpy(seen[nseen++], sk, sizeof(sk));
				print_key("epoch_sk", sk);
			}
		}
		statement_free(s);
	}
	if (strcmp(argv[7], "-") != 0 && print_gateway(argv[7]) != 0) {
		fprintf(stderr, "org_secrets: %s is not a gateway key file\n", argv[7]);
		goto out;
	}
	rc = 0;
out:
	sodium_memzero(sk, sizeof(sk));
	sodium_memzero(root, sizeof(root));
	sodium_memzero(auth, sizeof(auth));
	sodium_memzero(wrap, sizeof(wrap));
	sodium_memzero(seen, sizeof(seen));
	userkey_bundle_wipe(&kb);
	return rc;
}
