/* orgverify.c - verification of served org statements against the pinned root, and the admin copy of gateway configs. */
#include <string.h>
#include <sodium.h>
#include "cli/orgverify.h"

#define COPY_DOMAIN "vigil-admin-copy-v1"
#define COPY_HDR (STMT_KEY_LEN + crypto_sign_BYTES)
#define COPY_MAX (256u * 1024u)

const char *
orgverify_strerror(int err)
{
	switch (err) {
	case ORGV_E_LISTED: return "the server's listing differs from the signed statement";
	case ORGV_E_ROLLBACK: return "older than a statement already seen (replay or withheld update)";
	case ORGV_E_PIN: return "org root differs from the pinned root";
	case ORGV_E_COPY: return "admin copy of the gateway config does not open or is not signed by the org";
	default: return statement_strerror(err);
	}
}

int
orgverify_root(const uint8_t *raw, size_t n, const uint8_t org_id[STMT_ORG_ID_LEN],
    int64_t now, uint8_t root_pk[STMT_KEY_LEN])
{
	struct stmt_trust t;
	struct stmt *s = NULL, *v = NULL;
	uint8_t oid[STMT_ORG_ID_LEN];
	int ret;

	if ((ret = statement_parse(raw, n, &s)) != STMT_OK)
		goto out;
	ret = STMT_E_TYPE;
	if (s->type != STMT_ORG_ROOT)
		goto out;
	statement_org_id(s->issuer, oid);
	ret = STMT_E_ORG;
	if (sodium_memcmp(oid, org_id, sizeof(oid)) != 0)
		goto out;
	statement_trust_init(&t, s->issuer);
	if ((ret = statement_verify(raw, n, &t, STMT_ORG_ROOT, now, &v)) != STMT_OK)
		goto out;
	memcpy(root_pk, s->issuer, STMT_KEY_LEN);
out:
	statement_free(s);
	statement_free(v);
	return ret;
}

int
orgverify_member(const struct stmt_trust *t, const uint8_t *raw, size_t n,
    const uint8_t user_id[STMT_ID_LEN], const uint8_t *listed_sign, const uint8_t *listed_box,
    int64_t now, struct stmt_member *m, uint64_t *seq)
{
	struct stmt *s = NULL;
	int ret;

	if ((ret = statement_verify(raw, n, t, STMT_ANY, now, &s)) != STMT_OK)
		goto out;
	ret = STMT_E_TYPE;
	if (s->type != STMT_MEMBER_ADD && s->type != STMT_MEMBER_ROLE)
		goto out;
	ret = STMT_E_TARGET;
	if (sodium_memcmp(s->u.member.user_id, user_id, STMT_ID_LEN) != 0)
		goto out;
	ret = ORGV_E_LISTED;
	if ((listed_sign != NULL && sodium_memcmp(s->u.member.sign_pk, listed_sign, STMT_KEY_LEN) != 0) ||
	    (listed_box != NULL && sodium_memcmp(s->u.member.box_pk, listed_box, STMT_KEY_LEN) != 0))
		goto out;
	*m = s->u.member;
	*seq = s->seq;
	ret = STMT_OK;
out:
	statement_free(s);
	return ret;
}

int
orgverify_scope_covers(const struct stmt_member *m, const uint8_t camera_id[STMT_ID_LEN],
    const uint8_t site_id[STMT_ID_LEN])
{
	size_t i;

	if (m->role == STMT_ROLE_OWNER || m->role == STMT_ROLE_ADMIN)
		return 1;
	if (m->role != STMT_ROLE_VIEWER)
		return 0;
	if (m->nscope == 0)
		return 1;
	for (i = 0; i < m->nscope && i < STMT_SCOPE_MAX; i++)
		if (memcmp(m->scope[i], camera_id, STMT_ID_LEN) == 0 ||
		    (site_id != NULL && memcmp(m->scope[i], site_id, STMT_ID_LEN) == 0))
			return 1;
	return 0;
}

/* What the admin copy's signature covers. */
static void
copy_digest_input(crypto_sign_state *st, const uint8_t gateway[STMT_KEY_LEN], uint64_t seq,
    const uint8_t *json, size_t len)
{
	uint8_t s8[8];

	be_put64(s8, seq);
	crypto_sign_update(st, (const uint8_t *)COPY_DOMAIN, sizeof(COPY_DOMAIN) - 1);
	crypto_sign_update(st, gateway, STMT_KEY_LEN);
	crypto_sign_update(st, s8, sizeof(s8));
	crypto_sign_update(st, json, len);
}

int
orgverify_copy_seal(const struct stmt_signer *signer, const uint8_t root_pk[STMT_KEY_LEN],
    const uint8_t gateway[STMT_KEY_LEN], uint64_t seq, const char *json, struct buf *out)
{
	crypto_sign_state st;
	uint8_t xpk[crypto_box_PUBLICKEYBYTES];
	uint8_t *plain = NULL, *sealed = NULL;
	size_t len = strlen(json), plen = COPY_HDR + len;
	int ret = STMT_E_ARG;

	if (len > COPY_MAX || crypto_sign_ed25519_pk_to_curve25519(xpk, root_pk) != 0)
		goto out;
	ret = STMT_E_NOMEM;
	if ((plain = sodium_malloc(plen)) == NULL ||
	    (sealed = sodium_malloc(plen + crypto_box_SEALBYTES)) == NULL)
		goto out;
	memcpy(plain, signer->pk, STMT_KEY_LEN);
	memcpy(plain + COPY_HDR, json, len);
	crypto_sign_init(&st);
	copy_digest_input(&st, gateway, seq, (const uint8_t *)json, len);
	crypto_sign_final_create(&st, plain + STMT_KEY_LEN, NULL, signer->sk);
	ret = STMT_E_SEALED;
	if (crypto_box_seal(sealed, plain, plen, xpk) != 0)
		goto out;
	ret = buf_put(out, sealed, plen + crypto_box_SEALBYTES) == 0 ? STMT_OK : STMT_E_NOMEM;
out:
	sodium_free(plain);
	sodium_free(sealed);
	return ret;
}

int
orgverify_copy_open(const struct stmt_trust *t, const uint8_t root_sk[STMT_SK_LEN],
    const uint8_t gateway[STMT_KEY_LEN], uint64_t seq, const uint8_t *sealed, size_t n,
    struct buf *json)
{
	crypto_sign_state st;
	uint8_t xpk[crypto_box_PUBLICKEYBYTES], xsk[crypto_box_SECRETKEYBYTES];
	uint8_t *plain = NULL;
	size_t plen, i;
	int ret = ORGV_E_COPY;

	if (n < crypto_box_SEALBYTES + COPY_HDR || n > COPY_MAX + COPY_HDR + crypto_box_SEALBYTES)
		goto out;
	plen = n - crypto_box_SEALBYTES;
	if (crypto_sign_ed25519_sk_to_curve25519(xsk, root_sk) != 0 ||
	    crypto_sign_ed25519_pk_to_curve25519(xpk, root_sk + 32) != 0)
		goto out;
	if ((plain = sodium_malloc(plen)) == NULL) {
		ret = STMT_E_NOMEM;
		goto out;
	}
	if (crypto_box_seal_open(plain, sealed, n, xpk, xsk) != 0)
		goto out;
	if (!statement_trust_has(t, plain))
		goto out;
	for (i = COPY_HDR; i < plen; i++)
		if (plain[i] == 0)
			goto out;
	crypto_sign_init(&st);
	copy_digest_input(&st, gateway, seq, plain + COPY_HDR, plen - COPY_HDR);
	if (crypto_sign_final_verify(&st, plain + STMT_KEY_LEN, plain) != 0)
		goto out;
	if (buf_put(json, plain + COPY_HDR, plen - COPY_HDR) != 0 || buf_put_u8(json, 0) != 0) {
		ret = STMT_E_NOMEM;
		goto out;
	}
	ret = STMT_OK;
out:
	sodium_memzero(xsk, sizeof(xsk));
	sodium_free(plain);
	return ret;
}
