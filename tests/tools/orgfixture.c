/* orgfixture.c - writes an org's signed key material as GET /api/v1/orgs/{org}/keys returns it, with the grantee's keys, the epoch keys it must open and the camera names it signs, for the console's tests. */
#include <stdio.h>
#include <string.h>
#include <sodium.h>
#include "common/buf.h"
#include "common/orgkeys.h"
#include "common/statement.h"
#include "common/util.h"

#define OUT_MAX (1024u * 1024u)
#define NOW 1700000000000000LL

/* Appends "hex of p" (quoted) to j. */
static int
put_hex(struct buf *j, const uint8_t *p, size_t n)
{
	char h[2 * 4096 + 1];

	if (n > 4096)
		return -1;
	hex_encode(p, n, h);
	return buf_put(j, "\"", 1) | buf_put(j, h, 2 * n) | buf_put(j, "\"", 1);
}

static int
put_s(struct buf *j, const char *s)
{
	return buf_put(j, s, strlen(s));
}

int
main(int argc, char **argv)
{
	struct stmt_signer root, admin, rogue;
	struct stmt_admin_cert cert;
	struct orgkeys_grantee me, other;
	uint8_t me_sk[32], other_sk[32], apk[32], ask[64], camA[16], camB[16], site[16];
	uint8_t pkA1[32], skA1[32], pkA2[32], skA2[32], pkB1[32], skB1[32];
	struct buf org, ac, eA1, eA2, eB1, gA1, gA2, gB1, gOther, gRogue, j;
	struct stmt *s = NULL;
	char path[4096];
	int r = 0, rc = 1;

	if (argc != 2 && argc != 4) {
		fprintf(stderr, "usage: orgfixture DIR [USER_ID_HEX BOX_PK_HEX]   (writes DIR/org.json;\n"
		    "       with a user, the grants go to that user's box key and box_sk is zero)\n");
		return 2;
	}
	if (sodium_init() < 0)
		return 1;
	buf_init(&org, OUT_MAX); buf_init(&ac, OUT_MAX); buf_init(&eA1, OUT_MAX);
	buf_init(&eA2, OUT_MAX); buf_init(&eB1, OUT_MAX); buf_init(&gA1, OUT_MAX);
	buf_init(&gA2, OUT_MAX); buf_init(&gB1, OUT_MAX); buf_init(&gOther, OUT_MAX);
	buf_init(&gRogue, OUT_MAX); buf_init(&j, OUT_MAX);
	randombytes_buf(camA, sizeof(camA));
	randombytes_buf(camB, sizeof(camB));
	memset(&me, 0, sizeof(me));
	memset(&other, 0, sizeof(other));
	randombytes_buf(me.user_id, sizeof(me.user_id));
	randombytes_buf(other.user_id, sizeof(other.user_id));
	crypto_box_keypair(me.box_pk, me_sk);
	if (argc == 4) {
		if (strlen(argv[2]) != 32 || hex_decode(argv[2], me.user_id, 16) != 0 ||
		    strlen(argv[3]) != 64 || hex_decode(argv[3], me.box_pk, 32) != 0) {
			fprintf(stderr, "orgfixture: bad user id or box key\n");
			return 2;
		}
		sodium_memzero(me_sk, sizeof(me_sk));
	}
	crypto_box_keypair(other.box_pk, other_sk);
	me.seq = other.seq = 1;
	if (orgkeys_org_create("Acme Warehouses", NOW, &root, &org) != 0)
		goto out;
	/* An admin the root certifies, and a rogue key it never did (same org id). */
	crypto_sign_keypair(apk, ask);
	orgkeys_signer_init(&admin, ask, root.org_id);
	memset(&cert, 0, sizeof(cert));
	randombytes_buf(cert.user_id, sizeof(cert.user_id));
	memcpy(cert.sign_pk, apk, 32);
	randombytes_buf(cert.box_pk, sizeof(cert.box_pk));
	cert.active = 1;
	crypto_sign_keypair(apk, ask);
	orgkeys_signer_init(&rogue, ask, root.org_id);
	sodium_memzero(ask, sizeof(ask));
	r |= orgkeys_admin_certify(&root, &cert, 1, NOW, &ac);
	/* A's first epoch predates signed names and sites; its second and B's name both. */
	randombytes_buf(site, sizeof(site));
	r |= orgkeys_epoch_create(&admin, camA, 1, 1, NOW, pkA1, skA1, &eA1);
	r |= orgkeys_epoch_create_named(&admin, camA, site, "Loading dock", 2, 2, NOW, pkA2, skA2,
	    &eA2);
	r |= orgkeys_epoch_create_named(&root, camB, site, "Gate", 1, 1, NOW, pkB1, skB1, &eB1);
	if (r != 0 || statement_parse(eA1.data, eA1.len, &s) != 0)
		goto out;
	r |= orgkeys_grant(&admin, &s->u.camera_epoch, skA1, &me, NOW, &gA1);
	r |= orgkeys_grant(&rogue, &s->u.camera_epoch, skA1, &me, NOW, &gRogue);
	statement_free(s);
	if (statement_parse(eA2.data, eA2.len, &s) != 0)
		goto out;
	me.seq = 2;
	r |= orgkeys_grant(&admin, &s->u.camera_epoch, skA2, &me, NOW, &gA2);
	statement_free(s);
	if (statement_parse(eB1.data, eB1.len, &s) != 0)
		goto out;
	me.seq = 1;
	r |= orgkeys_grant(&root, &s->u.camera_epoch, skB1, &me, NOW, &gB1);
	r |= orgkeys_grant(&root, &s->u.camera_epoch, skB1, &other, NOW, &gOther);
	statement_free(s);
	s = NULL;
	if (r != 0)
		goto out;
	r |= put_s(&j, "{\"org\":") | put_hex(&j, root.org_id, 32);
	r |= put_s(&j, ",\"root_pk\":") | put_hex(&j, root.pk, 32);
	r |= put_s(&j, ",\"user_id\":") | put_hex(&j, me.user_id, 16);
	r |= put_s(&j, ",\"box_pk\":") | put_hex(&j, me.box_pk, 32);
	r |= put_s(&j, ",\"box_sk\":") | put_hex(&j, me_sk, 32);
	r |= put_s(&j, ",\"keys\":{\"org_root\":") | put_hex(&j, org.data, org.len);
	r |= put_s(&j, ",\"admin_certs\":[") | put_hex(&j, ac.data, ac.len);
	r |= put_s(&j, "],\"epochs\":[") | put_hex(&j, eA1.data, eA1.len) | put_s(&j, ",") |
	    put_hex(&j, eA2.data, eA2.len) | put_s(&j, ",") | put_hex(&j, eB1.data, eB1.len);
	r |= put_s(&j, "],\"grants\":[") | put_hex(&j, gA1.data, gA1.len) | put_s(&j, ",") |
	    put_hex(&j, gA2.data, gA2.len) | put_s(&j, ",") | put_hex(&j, gB1.data, gB1.len);
	r |= put_s(&j, "],\"sealed_root\":null}");
	r |= put_s(&j, ",\"other_grant\":") | put_hex(&j, gOther.data, gOther.len);
	r |= put_s(&j, ",\"rogue_grant\":") | put_hex(&j, gRogue.data, gRogue.len);
	r |= put_s(&j, ",\"expect\":[{\"camera\":") | put_hex(&j, camA, 16) |
	    put_s(&j, ",\"epoch\":1,\"pk\":") | put_hex(&j, pkA1, 32) | put_s(&j, ",\"sk\":") | put_hex(&j, skA1, 32);
	r |= put_s(&j, "},{\"camera\":") | put_hex(&j, camA, 16) |
	    put_s(&j, ",\"epoch\":2,\"pk\":") | put_hex(&j, pkA2, 32) | put_s(&j, ",\"sk\":") | put_hex(&j, skA2, 32);
	r |= put_s(&j, "},{\"camera\":") | put_hex(&j, camB, 16) |
	    put_s(&j, ",\"epoch\":1,\"pk\":") | put_hex(&j, pkB1, 32) | put_s(&j, ",\"sk\":") | put_hex(&j, skB1, 32);
	r |= put_s(&j, "}],\"names\":{") | put_hex(&j, camA, 16) | put_s(&j, ":\"Loading dock\",") |
	    put_hex(&j, camB, 16) | put_s(&j, ":\"Gate\"}}\n");
	if (r != 0 || snprintf(path, sizeof(path), "%s/org.json", argv[1]) >= (int)sizeof(path) ||
	    file_write_atomic(path, j.data, j.len, 0600) != 0)
		goto out;
	rc = 0;
out:
	statement_free(s);
	statement_signer_wipe(&root);
	statement_signer_wipe(&admin);
	statement_signer_wipe(&rogue);
	sodium_memzero(me_sk, sizeof(me_sk));
	sodium_memzero(other_sk, sizeof(other_sk));
	sodium_memzero(skA1, sizeof(skA1));
	sodium_memzero(skA2, sizeof(skA2));
	sodium_memzero(skB1, sizeof(skB1));
	buf_free(&org); buf_free(&ac); buf_free(&eA1); buf_free(&eA2); buf_free(&eB1);
	buf_free(&gA1); buf_free(&gA2); buf_free(&gB1); buf_free(&gOther); buf_free(&gRogue);
	buf_free(&j);
	if (rc != 0)
		fprintf(stderr, "orgfixture: failed\n");
	return rc;
}
