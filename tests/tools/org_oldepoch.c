/* org_oldepoch.c - test helper: re-signs a camera.epoch statement with the org root in an older layout (no name, or neither site nor name), as clients made them before epochs named sites and cameras, keeping its camera, epoch, key, seq and times. */
#include <stdio.h>
#include <string.h>
#include <sodium.h>
#include "common/buf.h"
#include "common/orgkeys.h"
#include "common/statement.h"
#include "common/util.h"

int
main(int argc, char **argv)
{
	struct stmt_signer root;
	struct stmt_camera_epoch e;
	struct stmt *s = NULL;
	struct buf raw, body, out;
	uint8_t seed[crypto_sign_SEEDBYTES];
	static char hex[2 * 1024 + 1];
	size_t n;
	int rc = 1;

	memset(&root, 0, sizeof(root));
	buf_init(&raw, STMT_MAX_LEN);
	buf_init(&body, STMT_BODY_MAX);
	buf_init(&out, STMT_MAX_LEN);
	if (argc != 4 || strlen(argv[1]) != 2 * sizeof(seed) ||
	    hex_decode(argv[1], seed, sizeof(seed)) != 0 ||
	    (strcmp(argv[2], "plain") != 0 && strcmp(argv[2], "site") != 0) ||
	    (n = strlen(argv[3])) % 2 != 0 || n / 2 > STMT_MAX_LEN) {
		fprintf(stderr, "usage: org_oldepoch ROOT_SEED_HEX plain|site CAMERA_EPOCH_HEX\n"
		    "  prints the statement re-signed by the root without its name (site) or without\n"
		    "  its site and name (plain)\n");
		rc = 2;
		goto out;
	}
	if (sodium_init() < 0 || buf_reserve(&raw, n / 2) != 0 ||
	    hex_decode(argv[3], raw.data, n / 2) != 0)
		goto out;
	raw.len = n / 2;
	crypto_sign_seed_keypair(root.pk, root.sk, seed);
	statement_org_id(root.pk, root.org_id);
	if (statement_parse(raw.data, raw.len, &s) != 0 || s->type != STMT_CAMERA_EPOCH ||
	    memcmp(s->org_id, root.org_id, STMT_ORG_ID_LEN) != 0) {
		fprintf(stderr, "org_oldepoch: not a camera.epoch of this root's org\n");
		goto out;
	}
	e = s->u.camera_epoch;
	e.has_name = 0;
	memset(e.name, 0, sizeof(e.name));
	if (strcmp(argv[2], "plain") == 0) {
		e.has_site = 0;
		memset(e.site_id, 0, sizeof(e.site_id));
	}
	if (statement_body_camera_epoch(&body, &e) != 0 ||
	    statement_sign(&root, STMT_CAMERA_EPOCH, s->target, s->seq, s->issued_at, s->expires_at,
	    body.data, body.len, &out) != 0 || out.len > 1024)
		goto out;
	hex_encode(out.data, out.len, hex);
	printf("%s\n", hex);
	rc = 0;
out:
	sodium_memzero(seed, sizeof(seed));
	statement_signer_wipe(&root);
	statement_free(s);
	buf_free(&raw);
	buf_free(&body);
	buf_free(&out);
	return rc;
}
