/* enroll.c - one-time enrollment codes, MAC-bound join requests, certificate signing and root pinning. */
#include "common/enroll.h"

#include <stdio.h>
#include <string.h>

#define KDF_CTX "vgenroll"
#define KDF_MAC 1
#define KDF_TOKEN 2
#define MAC_CONTEXT "vigil-enroll-v1"
#define SMALL_BODY_MAX 2048

/* Subkey id of the one-time secret (MAC key or server token). */
static void derive(const uint8_t secret[ENROLL_SECRET_LEN], uint64_t id, uint8_t out[32])
{
	crypto_kdf_derive_from_key(out, 32, id, KDF_CTX, secret);
}

static void verifier_of(const uint8_t token[ENROLL_TOKEN_LEN], uint8_t v[ENROLL_VERIFIER_LEN])
{
	crypto_generichash(v, ENROLL_VERIFIER_LEN, token, ENROLL_TOKEN_LEN, NULL, 0);
}

/* MAC over context || kind || id || fingerprint || sign_pk || box_pk. */
static void mac_of(const uint8_t secret[ENROLL_SECRET_LEN], uint8_t kind,
    const uint8_t id[ENROLL_ID_LEN], const char *fingerprint, const uint8_t sign_pk[STMT_KEY_LEN],
    const uint8_t box_pk[STMT_KEY_LEN], uint8_t mac[ENROLL_MAC_LEN])
{
	crypto_generichash_state st;
	uint8_t key[32];

	derive(secret, KDF_MAC, key);
	crypto_generichash_init(&st, key, sizeof(key), ENROLL_MAC_LEN);
	crypto_generichash_update(&st, (const uint8_t *)MAC_CONTEXT, sizeof(MAC_CONTEXT) - 1);
	crypto_generichash_update(&st, &kind, 1);
	crypto_generichash_update(&st, id, ENROLL_ID_LEN);
	crypto_generichash_update(&st, (const uint8_t *)fingerprint, strlen(fingerprint));
	crypto_generichash_update(&st, sign_pk, STMT_KEY_LEN);
	crypto_generichash_update(&st, box_pk, STMT_KEY_LEN);
	crypto_generichash_final(&st, mac, ENROLL_MAC_LEN);
	sodium_memzero(key, sizeof(key));
	sodium_memzero(&st, sizeof(st));
}

int enroll_invite_new(uint8_t kind, const uint8_t root_pk[STMT_KEY_LEN], struct enroll_invite *inv)
{
	uint8_t raw[ENROLL_ID_LEN + ENROLL_SECRET_LEN], token[ENROLL_TOKEN_LEN];

	memset(inv, 0, sizeof(*inv));
	if (kind != ENROLL_GATEWAY && kind != ENROLL_USER)
		return STMT_E_ARG;
	inv->kind = kind;
	randombytes_buf(inv->id, ENROLL_ID_LEN);
	randombytes_buf(inv->secret, ENROLL_SECRET_LEN);
	statement_fingerprint(root_pk, inv->fingerprint);
	memcpy(raw, inv->id, ENROLL_ID_LEN);
	memcpy(raw + ENROLL_ID_LEN, inv->secret, ENROLL_SECRET_LEN);
	sodium_bin2base64(inv->code, sizeof(inv->code), raw, sizeof(raw),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	derive(inv->secret, KDF_TOKEN, token);
	verifier_of(token, inv->verifier);
	sodium_memzero(raw, sizeof(raw));
	sodium_memzero(token, sizeof(token));
	return STMT_OK;
}

void enroll_invite_wipe(struct enroll_invite *inv)
{
	if (inv != NULL)
		sodium_memzero(inv, sizeof(*inv));
}

int enroll_command(const struct enroll_invite *inv, const char *server_url, char *out,
    size_t outlen)
{
	size_t i;
	int n;

	for (i = 0; server_url[i] != '\0'; i++)
		if ((unsigned char)server_url[i] <= 0x20 || server_url[i] == 0x7f ||
		    server_url[i] == '\'' || server_url[i] == '"')
			return STMT_E_ARG;
	if (i == 0)
		return STMT_E_ARG;
	n = snprintf(out, outlen, "%s --server %s --code %s --org %s",
	    inv->kind == ENROLL_GATEWAY ? "vigil-gateway enroll" : "vigil join", server_url,
	    inv->code, inv->fingerprint);
	if (n < 0 || (size_t)n >= outlen) {
		if (outlen > 0)
			out[0] = '\0';
		return STMT_E_ARG;
	}
	return STMT_OK;
}

int enroll_code_parse(const char *code, const char *fingerprint, struct enroll_code *out)
{
	uint8_t raw[ENROLL_ID_LEN + ENROLL_SECRET_LEN];
	const char *end = NULL;
	size_t len = 0, n;
	int ret = STMT_E_FORMAT;

	memset(out, 0, sizeof(*out));
	if (code == NULL || (n = strnlen(code, ENROLL_CODE_LEN)) != ENROLL_CODE_LEN - 1)
		goto out;
	if (sodium_base642bin(raw, sizeof(raw), code, n, NULL, &len, &end,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 || len != sizeof(raw) || end != code + n)
		goto out;
	if (statement_fingerprint_normalize(fingerprint, out->fingerprint) != 0)
		goto out;
	memcpy(out->id, raw, ENROLL_ID_LEN);
	memcpy(out->secret, raw + ENROLL_ID_LEN, ENROLL_SECRET_LEN);
	ret = STMT_OK;
out:
	sodium_memzero(raw, sizeof(raw));
	if (ret != STMT_OK)
		enroll_code_wipe(out);
	return ret;
}

void enroll_code_wipe(struct enroll_code *c)
{
	if (c != NULL)
		sodium_memzero(c, sizeof(*c));
}

int enroll_server_check(const uint8_t verifier[ENROLL_VERIFIER_LEN],
    const uint8_t token[ENROLL_TOKEN_LEN])
{
	uint8_t v[ENROLL_VERIFIER_LEN];

	verifier_of(token, v);
	return sodium_memcmp(v, verifier, ENROLL_VERIFIER_LEN) == 0 ? STMT_OK : STMT_E_MAC;
}

int enroll_request_build(const struct enroll_code *c, uint8_t kind,
    const uint8_t sign_pk[STMT_KEY_LEN], const uint8_t box_pk[STMT_KEY_LEN],
    uint8_t out[ENROLL_REQUEST_LEN])
{
	uint8_t token[ENROLL_TOKEN_LEN], mac[ENROLL_MAC_LEN];
	size_t o = 0;

	if (kind != ENROLL_GATEWAY && kind != ENROLL_USER)
		return STMT_E_ARG;
	derive(c->secret, KDF_TOKEN, token);
	mac_of(c->secret, kind, c->id, c->fingerprint, sign_pk, box_pk, mac);
	out[o++] = ENROLL_REQUEST_VERSION;
	out[o++] = kind;
	memcpy(out + o, c->id, ENROLL_ID_LEN);
	o += ENROLL_ID_LEN;
	memcpy(out + o, sign_pk, STMT_KEY_LEN);
	o += STMT_KEY_LEN;
	memcpy(out + o, box_pk, STMT_KEY_LEN);
	o += STMT_KEY_LEN;
	memcpy(out + o, token, ENROLL_TOKEN_LEN);
	o += ENROLL_TOKEN_LEN;
	memcpy(out + o, mac, ENROLL_MAC_LEN);
	sodium_memzero(token, sizeof(token));
	return STMT_OK;
}

int enroll_request_parse(const uint8_t *p, size_t n, struct enroll_request *r)
{
	struct cur c;
	uint8_t version;

	memset(r, 0, sizeof(*r));
	if (n != ENROLL_REQUEST_LEN)
		return STMT_E_FORMAT;
	cur_init(&c, p, n);
	cur_get_u8(&c, &version);
	cur_get_u8(&c, &r->kind);
	cur_get(&c, r->id, ENROLL_ID_LEN);
	cur_get(&c, r->sign_pk, STMT_KEY_LEN);
	cur_get(&c, r->box_pk, STMT_KEY_LEN);
	cur_get(&c, r->token, ENROLL_TOKEN_LEN);
	cur_get(&c, r->mac, ENROLL_MAC_LEN);
	if (cur_ok(&c) != 0 || c.left != 0 || version != ENROLL_REQUEST_VERSION ||
	    (r->kind != ENROLL_GATEWAY && r->kind != ENROLL_USER)) {
		memset(r, 0, sizeof(*r));
		return STMT_E_FORMAT;
	}
	return STMT_OK;
}

/* Parse and check a request against the invitation. */
static int request_check(const struct enroll_invite *inv, const uint8_t *p, size_t n,
    struct enroll_request *r)
{
	uint8_t mac[ENROLL_MAC_LEN], xpk[STMT_KEY_LEN];
	int ret;

	if ((ret = enroll_request_parse(p, n, r)) != STMT_OK)
		return ret;
	if (r->kind != inv->kind || sodium_memcmp(r->id, inv->id, ENROLL_ID_LEN) != 0)
		return STMT_E_MAC;
	mac_of(inv->secret, r->kind, r->id, inv->fingerprint, r->sign_pk, r->box_pk, mac);
	if (sodium_memcmp(mac, r->mac, ENROLL_MAC_LEN) != 0)
		return STMT_E_MAC;
	/* A gateway has one identity: its box key must be the one derived from its id. */
	if (r->kind == ENROLL_GATEWAY &&
	    (crypto_sign_ed25519_pk_to_curve25519(xpk, r->sign_pk) != 0 ||
	    sodium_memcmp(xpk, r->box_pk, STMT_KEY_LEN) != 0))
		return STMT_E_FORMAT;
	return STMT_OK;
}

int enroll_accept_gateway(const struct enroll_invite *inv, const uint8_t *req, size_t n,
    const struct stmt_signer *signer, const uint8_t site_id[STMT_ID_LEN], uint64_t seq,
    int64_t now_us, struct enroll_request *r, struct buf *cert_out)
{
	struct stmt_gateway_cert gc;
	struct buf body;
	int ret;

	buf_init(&body, SMALL_BODY_MAX);
	if ((ret = request_check(inv, req, n, r)) != STMT_OK)
		goto out;
	ret = STMT_E_ARG;
	if (r->kind != ENROLL_GATEWAY)
		goto out;
	memcpy(gc.gateway_pk, r->sign_pk, STMT_KEY_LEN);
	memcpy(gc.site_id, site_id, STMT_ID_LEN);
	if ((ret = statement_body_gateway_cert(&body, &gc)) == STMT_OK)
		ret = statement_sign(signer, STMT_GATEWAY_CERT, gc.gateway_pk, seq, now_us, 0,
		    body.data, body.len, cert_out);
out:
	buf_free(&body);
	return ret;
}

int enroll_accept_user(const struct enroll_invite *inv, const uint8_t *req, size_t n,
    const struct stmt_signer *signer, const uint8_t user_id[STMT_ID_LEN], uint8_t role,
    uint64_t seq, int64_t now_us, struct enroll_request *r, struct buf *cert_out)
{
	struct stmt_member m;
	uint8_t target[STMT_TARGET_LEN];
	struct buf body;
	int ret;

	buf_init(&body, SMALL_BODY_MAX);
	memset(&m, 0, sizeof(m));
	if ((ret = request_check(inv, req, n, r)) != STMT_OK)
		goto out;
	ret = STMT_E_ARG;
	if (r->kind != ENROLL_USER || role == STMT_ROLE_NONE)
		goto out;
	memcpy(m.user_id, user_id, STMT_ID_LEN);
	memcpy(m.sign_pk, r->sign_pk, STMT_KEY_LEN);
	memcpy(m.box_pk, r->box_pk, STMT_KEY_LEN);
	m.role = role;
	statement_target_id(user_id, target);
	if ((ret = statement_body_member(&body, &m)) == STMT_OK)
		ret = statement_sign(signer, STMT_MEMBER_ADD, target, seq, now_us, 0, body.data,
		    body.len, cert_out);
out:
	buf_free(&body);
	return ret;
}

int enroll_finish(const struct enroll_code *c, const uint8_t *org_root, size_t org_root_len,
    const uint8_t *admin_cert, size_t admin_cert_len, const uint8_t *cert, size_t cert_len,
    uint8_t kind, const uint8_t my_sign_pk[STMT_KEY_LEN], const uint8_t my_box_pk[STMT_KEY_LEN],
    int64_t now_us, uint8_t root_pk[STMT_KEY_LEN])
{
	struct stmt_trust *t = NULL;
	struct stmt *rs = NULL, *cs = NULL;
	char fp[STMT_FINGERPRINT_LEN];
	int ret;

	/* The served root is untrusted until its fingerprint matches the code's. */
	if ((ret = statement_parse(org_root, org_root_len, &rs)) != STMT_OK)
		goto out;
	ret = STMT_E_TYPE;
	if (rs->type != STMT_ORG_ROOT)
		goto out;
	statement_fingerprint(rs->issuer, fp);
	ret = STMT_E_FINGERPRINT;
	if (sodium_memcmp(fp, c->fingerprint, STMT_FINGERPRINT_LEN) != 0)
		goto out;
	ret = STMT_E_NOMEM;
	if ((t = sodium_malloc(sizeof(*t))) == NULL)
		goto out;
	statement_trust_init(t, rs->issuer);
	statement_free(rs);
	rs = NULL;
	/* Its self-signature, now against the pinned key. */
	if ((ret = statement_verify(org_root, org_root_len, t, STMT_ORG_ROOT, now_us, &rs)) != 0)
		goto out;
	if (admin_cert != NULL &&
	    (ret = statement_trust_add(t, admin_cert, admin_cert_len, now_us)) != STMT_OK)
		goto out;
	if ((ret = statement_verify(cert, cert_len, t,
	    kind == ENROLL_GATEWAY ? STMT_GATEWAY_CERT : STMT_MEMBER_ADD, now_us, &cs)) != 0)
		goto out;
	ret = STMT_E_TARGET;
	if (kind == ENROLL_GATEWAY &&
	    sodium_memcmp(cs->u.gateway_cert.gateway_pk, my_sign_pk, STMT_KEY_LEN) != 0)
		goto out;
	if (kind == ENROLL_USER &&
	    (sodium_memcmp(cs->u.member.sign_pk, my_sign_pk, STMT_KEY_LEN) != 0 ||
	    sodium_memcmp(cs->u.member.box_pk, my_box_pk, STMT_KEY_LEN) != 0))
		goto out;
	memcpy(root_pk, t->root_pk, STMT_KEY_LEN);
	ret = STMT_OK;
out:
	sodium_free(t);
	statement_free(rs);
	statement_free(cs);
	return ret;
}
