/* org_keycheck.c - test helper: unwraps a user's keys from server-side account fields and counts the grants (hex lines on stdin) whose sealed epoch key that user can open. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "common/statement.h"
#include "common/userkey.h"
#include "common/util.h"

#define LINE_MAX_HEX (2 * 4096)

int
main(int argc, char **argv)
{
	struct userkey_bundle kb;
	struct userkey_limits lim;
	uint8_t salt[USERKEY_SALT_LEN], wrapped[USERKEY_WRAPPED_LEN], auth[32], wrap[32];
	uint8_t raw[LINE_MAX_HEX / 2], sk[crypto_box_SECRETKEYBYTES];
	static char line[LINE_MAX_HEX + 4];
	const char *pw = getenv("VIGIL_PASSWORD");
	int64_t ops, mem, epoch;
	unsigned total = 0, opened = 0;
	int rc = 1;

	memset(&kb, 0, sizeof(kb));
	if (argc != 7 || pw == NULL || strlen(argv[1]) != USERKEY_ID_LEN ||
	    hex_decode(argv[2], salt, sizeof(salt)) != 0 ||
	    hex_decode(argv[3], wrapped, sizeof(wrapped)) != 0 ||
	    parse_i64(argv[4], 1, 100, &ops) != 0 || parse_i64(argv[5], 1, (int64_t)1 << 31, &mem) != 0 ||
	    parse_i64(argv[6], 0, UINT32_MAX, &epoch) != 0) {
		fprintf(stderr, "usage: VIGIL_PASSWORD=... org_keycheck USER_ID SALT WRAPPED OPS MEM "
		    "EPOCH < grants.hex\n");
		return 2;
	}
	if (sodium_init() < 0)
		return 1;
	lim.ops = (unsigned long long)ops;
	lim.mem = (size_t)mem;
	if (userkey_derive(pw, strlen(pw), salt, &lim, auth, wrap) != 0 ||
	    userkey_unwrap(wrap, argv[1], wrapped, sizeof(wrapped), &kb) != 0) {
		fprintf(stderr, "org_keycheck: keys do not unwrap\n");
		goto out;
	}
	while (fgets(line, sizeof(line), stdin) != NULL) {
		struct stmt *s = NULL;
		size_t n = strcspn(line, "\r\n");

		line[n] = '\0';
		if (n == 0 || n % 2 != 0 || hex_decode(line, raw, n / 2) != 0 ||
		    statement_parse(raw, n / 2, &s) != 0)
			continue;
		if (s->type == STMT_GRANT && s->u.grant.epoch == (uint32_t)epoch) {
			total++;
			if (crypto_box_seal_open(sk, s->u.grant.sealed_sk, STMT_SEALED_SK_LEN, kb.box_pk,
			    kb.box_sk) == 0)
				opened++;
		}
		statement_free(s);
	}
	printf("epoch=%lld grants=%u opened=%u\n", (long long)epoch, total, opened);
	rc = 0;
out:
	sodium_memzero(sk, sizeof(sk));
	sodium_memzero(auth, sizeof(auth));
	sodium_memzero(wrap, sizeof(wrap));
	userkey_bundle_wipe(&kb);
	return rc;
}
