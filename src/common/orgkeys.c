/* orgkeys.c - creates and opens the org's keys: root, admin certs, camera epochs, sealed grants, rotation and sealed gateway statements. */
#include "common/orgkeys.h"

#include <stdlib.h>
#include <string.h>

/* A body is at most this big except for sealed gateway statements. */
#define SMALL_BODY_MAX 2048

int orgkeys_org_create(const char *name, int64_t now_us, struct stmt_signer *root,
    struct buf *out)
{
	struct buf body;
	int ret;

	memset(root, 0, sizeof(*root));
	buf_init(&body, SMALL_BODY_MAX);
	if ((ret = statement_body_org_root(&body, name)) != STMT_OK)
		goto out;
	crypto_sign_keypair(root->pk, root->sk);
	statement_org_id(root->pk, root->org_id);
	ret = statement_sign(root, STMT_ORG_ROOT, root->org_id, 0, now_us, 0, body.data, body.len,
	    out);
out:
	if (ret != STMT_OK)
		statement_signer_wipe(root);
	buf_free(&body);
	return ret;
}

void orgkeys_signer_init(struct stmt_signer *s, const uint8_t sk[STMT_SK_LEN],
    const uint8_t org_id[STMT_ORG_ID_LEN])
{
	memcpy(s->sk, sk, STMT_SK_LEN);
	crypto_sign_ed25519_sk_to_pk(s->pk, sk);
	memcpy(s->org_id, org_id, STMT_ORG_ID_LEN);
}

int orgkeys_admin_certify(const struct stmt_signer *root, const struct stmt_admin_cert *cert,
    uint64_t seq, int64_t now_us, struct buf *out)
{
	struct buf body;
	int ret;

	buf_init(&body, SMALL_BODY_MAX);
	if ((ret = statement_body_admin_cert(&body, cert)) == STMT_OK)
		ret = statement_sign(root, STMT_ADMIN_CERT, cert->sign_pk, seq, now_us, 0, body.data,
		    body.len, out);
	buf_free(&body);
	return ret;
}

int orgkeys_epoch_create(const struct stmt_signer *signer,
    const uint8_t camera_id[STMT_ID_LEN], uint32_t epoch, uint64_t seq, int64_t now_us,
    uint8_t epoch_pk[STMT_KEY_LEN], uint8_t epoch_sk[ORGKEYS_EPOCH_SK_LEN], struct buf *out)
{
	return orgkeys_epoch_create_site(signer, camera_id, NULL, epoch, seq, now_us, epoch_pk,
	    epoch_sk, out);
}

int orgkeys_epoch_create_site(const struct stmt_signer *signer,
    const uint8_t camera_id[STMT_ID_LEN], const uint8_t *site_id, uint32_t epoch, uint64_t seq,
    int64_t now_us, uint8_t epoch_pk[STMT_KEY_LEN], uint8_t epoch_sk[ORGKEYS_EPOCH_SK_LEN],
    struct buf *out)
{
	return orgkeys_epoch_create_named(signer, camera_id, site_id, NULL, epoch, seq, now_us,
	    epoch_pk, epoch_sk, out);
}

int orgkeys_epoch_create_named(const struct stmt_signer *signer,
    const uint8_t camera_id[STMT_ID_LEN], const uint8_t *site_id, const char *name,
    uint32_t epoch, uint64_t seq, int64_t now_us, uint8_t epoch_pk[STMT_KEY_LEN],
    uint8_t epoch_sk[ORGKEYS_EPOCH_SK_LEN], struct buf *out)
{
	struct stmt_camera_epoch e;
	uint8_t target[STMT_TARGET_LEN];
	struct buf body;
	int ret;

	buf_init(&body, SMALL_BODY_MAX);
	memset(&e, 0, sizeof(e));
	if (name != NULL && site_id == NULL) {
		sodium_memzero(epoch_sk, ORGKEYS_EPOCH_SK_LEN);
		buf_free(&body);
		return STMT_E_ARG;
	}
	if (site_id != NULL) {
		e.has_site = 1;
		memcpy(e.site_id, site_id, STMT_ID_LEN);
	}
	if (name != NULL) {
		if (!statement_camera_name_ok(name)) {
			sodium_memzero(epoch_sk, ORGKEYS_EPOCH_SK_LEN);
			buf_free(&body);
			return STMT_E_FORMAT;
		}
		e.has_name = 1;
		memcpy(e.name, name, strlen(name) + 1);
	}
	memcpy(e.camera_id, camera_id, STMT_ID_LEN);
	e.epoch = epoch;
	crypto_box_keypair(e.epoch_pk, epoch_sk);
	statement_target_id(camera_id, target);
	if ((ret = statement_body_camera_epoch(&body, &e)) == STMT_OK)
		ret = statement_sign(signer, STMT_CAMERA_EPOCH, target, seq, now_us, 0, body.data,
		    body.len, out);
	if (ret == STMT_OK)
		memcpy(epoch_pk, e.epoch_pk, STMT_KEY_LEN);
	else
		sodium_memzero(epoch_sk, ORGKEYS_EPOCH_SK_LEN);
	buf_free(&body);
	return ret;
}

/* 1 when sk is the X25519 secret half of pk. */
static int box_pair_matches(const uint8_t pk[STMT_KEY_LEN], const uint8_t sk[32])
{
	uint8_t derived[STMT_KEY_LEN];
	int ok;

	if (crypto_scalarmult_base(derived, sk) != 0)
		return 0;
	ok = sodium_memcmp(derived, pk, STMT_KEY_LEN) == 0;
	sodium_memzero(derived, sizeof(derived));
	return ok;
}

int orgkeys_grant(const struct stmt_signer *signer, const struct stmt_camera_epoch *e,
    const uint8_t epoch_sk[ORGKEYS_EPOCH_SK_LEN], const struct orgkeys_grantee *to,
    int64_t now_us, struct buf *out)
{
	struct stmt_grant g;
	uint8_t target[STMT_TARGET_LEN];
	struct buf body;
	int ret = STMT_E_ARG;

	buf_init(&body, SMALL_BODY_MAX);
	memset(&g, 0, sizeof(g));
	if (!box_pair_matches(e->epoch_pk, epoch_sk))
		goto out;
	memcpy(g.camera_id, e->camera_id, STMT_ID_LEN);
	g.epoch = e->epoch;
	memcpy(g.epoch_pk, e->epoch_pk, STMT_KEY_LEN);
	memcpy(g.grantee_id, to->user_id, STMT_ID_LEN);
	memcpy(g.grantee_box_pk, to->box_pk, STMT_KEY_LEN);
	if (crypto_box_seal(g.sealed_sk, epoch_sk, ORGKEYS_EPOCH_SK_LEN, to->box_pk) != 0)
		goto out;
	statement_target_id(to->user_id, target);
	if ((ret = statement_body_grant(&body, &g)) == STMT_OK)
		ret = statement_sign(signer, STMT_GRANT, target, to->seq, now_us, 0, body.data,
		    body.len, out);
out:
	buf_free(&body);
	return ret;
}

int orgkeys_grant_open(const struct stmt_trust *t, const uint8_t *epoch_stmt, size_t epoch_len,
    const uint8_t *grant_stmt, size_t grant_len, const uint8_t my_id[STMT_ID_LEN],
    const uint8_t my_box_pk[STMT_KEY_LEN], const uint8_t my_box_sk[ORGKEYS_EPOCH_SK_LEN],
    int64_t now_us, struct orgkeys_epoch_key *out)
{
	struct stmt *es = NULL, *gs = NULL;
	uint8_t sk[ORGKEYS_EPOCH_SK_LEN];
	const struct stmt_camera_epoch *e;
	const struct stmt_grant *g;
	int ret;

	if ((ret = statement_verify(epoch_stmt, epoch_len, t, STMT_CAMERA_EPOCH, now_us, &es)) != 0 ||
	    (ret = statement_verify(grant_stmt, grant_len, t, STMT_GRANT, now_us, &gs)) != 0)
		goto out;
	e = &es->u.camera_epoch;
	g = &gs->u.grant;
	ret = STMT_E_TARGET;
	if (sodium_memcmp(g->grantee_id, my_id, STMT_ID_LEN) != 0 ||
	    sodium_memcmp(g->grantee_box_pk, my_box_pk, STMT_KEY_LEN) != 0)
		goto out;
	ret = STMT_E_MISMATCH;
	if (sodium_memcmp(g->camera_id, e->camera_id, STMT_ID_LEN) != 0 || g->epoch != e->epoch ||
	    sodium_memcmp(g->epoch_pk, e->epoch_pk, STMT_KEY_LEN) != 0)
		goto out;
	ret = STMT_E_SEALED;
	if (crypto_box_seal_open(sk, g->sealed_sk, STMT_SEALED_SK_LEN, my_box_pk, my_box_sk) != 0 ||
	    !box_pair_matches(e->epoch_pk, sk))
		goto out;
	memcpy(out->camera_id, e->camera_id, STMT_ID_LEN);
	out->epoch = e->epoch;
	memcpy(out->pk, e->epoch_pk, STMT_KEY_LEN);
	memcpy(out->sk, sk, ORGKEYS_EPOCH_SK_LEN);
	ret = STMT_OK;
out:
	sodium_memzero(sk, sizeof(sk));
	statement_free(es);
	statement_free(gs);
	return ret;
}

int orgkeys_rotate(const struct stmt_signer *signer, const uint8_t camera_id[STMT_ID_LEN],
    const uint8_t *site_id, const char *name, uint32_t new_epoch, uint64_t epoch_seq,
    const struct orgkeys_grantee *keep, size_t nkeep, int64_t now_us, struct buf *epoch_out,
    struct buf *grants_out, uint8_t epoch_pk[STMT_KEY_LEN])
{
	struct stmt_camera_epoch e;
	uint8_t sk[ORGKEYS_EPOCH_SK_LEN];
	size_t i, start = epoch_out->len;
	int ret;

	memset(&e, 0, sizeof(e));
	memcpy(e.camera_id, camera_id, STMT_ID_LEN);
	e.epoch = new_epoch;
	ret = orgkeys_epoch_create_named(signer, camera_id, site_id, name, new_epoch, epoch_seq,
	    now_us, e.epoch_pk, sk, epoch_out);
	for (i = 0; ret == STMT_OK && i < nkeep; i++)
		ret = orgkeys_grant(signer, &e, sk, &keep[i], now_us, &grants_out[i]);
	if (ret == STMT_OK)
		memcpy(epoch_pk, e.epoch_pk, STMT_KEY_LEN);
	else
		epoch_out->len = start;
	sodium_memzero(sk, sizeof(sk));
	return ret;
}

int orgkeys_gateway_sealed(const struct stmt_signer *signer, uint8_t type,
    const uint8_t gateway_pk[STMT_KEY_LEN], uint64_t seq, int64_t now_us, int64_t expires_us,
    const void *plain, size_t len, struct buf *out)
{
	uint8_t xpk[crypto_box_PUBLICKEYBYTES];
	uint8_t *sealed = NULL;
	int ret = STMT_E_ARG;

	if ((type != STMT_GATEWAY_CONFIG && type != STMT_GATEWAY_COMMAND) || len == 0 ||
	    len > STMT_BODY_MAX - crypto_box_SEALBYTES)
		goto out;
	if (crypto_sign_ed25519_pk_to_curve25519(xpk, gateway_pk) != 0)
		goto out;
	ret = STMT_E_NOMEM;
	if ((sealed = malloc(len + crypto_box_SEALBYTES)) == NULL)
		goto out;
	ret = STMT_E_ARG;
	if (crypto_box_seal(sealed, plain, len, xpk) != 0)
		goto out;
	ret = statement_sign(signer, type, gateway_pk, seq, now_us, expires_us, sealed,
	    len + crypto_box_SEALBYTES, out);
out:
	free(sealed);
	return ret;
}
