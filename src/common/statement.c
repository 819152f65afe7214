/* statement.c - encodes, signs, parses and verifies signed org statements (fixed binary layout). */
#include "common/statement.h"

#include <stdlib.h>
#include <string.h>

#define STMT_CONTEXT "vigil-stmt-v1"
#define STMT_CONTEXT_LEN (sizeof(STMT_CONTEXT) - 1)

/* Body sizes of the fixed-size types. */
#define ADMIN_CERT_BODY (STMT_ID_LEN + 2 * STMT_KEY_LEN + 1)
#define MEMBER_BODY_MIN (STMT_ID_LEN + 2 * STMT_KEY_LEN + 1 + 2)
#define CAMERA_EPOCH_BODY (STMT_ID_LEN + 4 + STMT_KEY_LEN)
#define CAMERA_EPOCH_SITE_BODY (CAMERA_EPOCH_BODY + STMT_ID_LEN)
#define GRANT_BODY (STMT_ID_LEN + 4 + STMT_KEY_LEN + STMT_ID_LEN + STMT_KEY_LEN + \
	STMT_SEALED_SK_LEN)
#define GATEWAY_CERT_BODY (STMT_KEY_LEN + STMT_ID_LEN)

const char *statement_strerror(int err)
{
	switch (err) {
	case STMT_OK: return "ok";
	case STMT_E_FORMAT: return "malformed statement";
	case STMT_E_VERSION: return "unknown statement version";
	case STMT_E_SIGNATURE: return "bad signature";
	case STMT_E_ISSUER: return "unknown issuer: not the org root or a certified admin";
	case STMT_E_UNCERTIFIED: return "issuer not certified by the pinned org root";
	case STMT_E_ORG: return "statement of another organization";
	case STMT_E_TYPE: return "wrong statement type";
	case STMT_E_EXPIRED: return "statement expired";
	case STMT_E_NOMEM: return "out of memory";
	case STMT_E_TARGET: return "statement addressed to someone else";
	case STMT_E_REPLAY: return "replayed or out-of-order statement";
	case STMT_E_SEALED: return "sealed content does not open or does not match its key";
	case STMT_E_MISMATCH: return "grant does not match the signed camera key";
	case STMT_E_FINGERPRINT: return "org root does not match the pinned fingerprint";
	case STMT_E_MAC: return "enrollment code check failed: keys were changed in transit";
	case STMT_E_CONFIG: return "invalid configuration in statement";
	case STMT_E_IO: return "state file unreadable or unwritable";
	case STMT_E_FULL: return "too many admins in trust set";
	case STMT_E_ARG: return "invalid argument";
	default: return "unknown error";
	}
}

void statement_signer_wipe(struct stmt_signer *s)
{
	if (s != NULL)
		sodium_memzero(s, sizeof(*s));
}

void statement_org_id(const uint8_t root_pk[STMT_KEY_LEN], uint8_t org_id[STMT_ORG_ID_LEN])
{
	crypto_generichash(org_id, STMT_ORG_ID_LEN, root_pk, STMT_KEY_LEN, NULL, 0);
}

void statement_fingerprint(const uint8_t root_pk[STMT_KEY_LEN], char out[STMT_FINGERPRINT_LEN])
{
	uint8_t id[STMT_ORG_ID_LEN];
	size_t g, k, o = 0;

	statement_org_id(root_pk, id);
	/* Each group: 4 bytes of the org id mod 100000 (bias below 2^-15 per group). */
	for (g = 0; g < 8; g++) {
		uint32_t v = be_get32(id + 4 * g) % 100000u;
		char d[5];
		for (k = 0; k < 5; k++) {
			d[4 - k] = (char)('0' + v % 10);
			v /= 10;
		}
		if (g > 0)
			out[o++] = '-';
		memcpy(out + o, d, 5);
		o += 5;
	}
	out[o] = '\0';
}

int statement_fingerprint_normalize(const char *in, char out[STMT_FINGERPRINT_LEN])
{
	size_t i, nd = 0, o = 0;

	out[0] = '\0';
	if (in == NULL)
		return STMT_E_FORMAT;
	for (i = 0; in[i] != '\0' && i < 256; i++) {
		if (in[i] == ' ' || in[i] == '-')
			continue;
		if (in[i] < '0' || in[i] > '9' || nd == STMT_FINGERPRINT_DIGITS)
			return STMT_E_FORMAT;
		if (nd > 0 && nd % 5 == 0)
			out[o++] = '-';
		out[o++] = in[i];
		nd++;
	}
	if (in[i] != '\0' || nd != STMT_FINGERPRINT_DIGITS) {
		out[0] = '\0';
		return STMT_E_FORMAT;
	}
	out[o] = '\0';
	return 0;
}

void statement_target_id(const uint8_t id[STMT_ID_LEN], uint8_t target[STMT_TARGET_LEN])
{
	memset(target, 0, STMT_TARGET_LEN);
	memcpy(target, id, STMT_ID_LEN);
}

static int put_ret(int r)
{
	return r == 0 ? 0 : STMT_E_NOMEM;
}

static int name_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > STMT_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

/* 1 when p[0..n) is well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing
 * above U+10FFFF), exactly what a browser's fatal TextDecoder accepts (web/statements.js). */
static int utf8_ok(const uint8_t *p, size_t n)
{
	size_t i = 0, k, len;
	uint8_t lo, hi;

	while (i < n) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		lo = 0x80;
		hi = 0xbf;
		if (p[i] >= 0xc2 && p[i] <= 0xdf)
			len = 2;
		else if (p[i] >= 0xe0 && p[i] <= 0xef)
			len = 3;
		else if (p[i] >= 0xf0 && p[i] <= 0xf4)
			len = 4;
		else
			return 0;
		if (p[i] == 0xe0)
			lo = 0xa0;
		else if (p[i] == 0xed)
			hi = 0x9f;
		else if (p[i] == 0xf0)
			lo = 0x90;
		else if (p[i] == 0xf4)
			hi = 0x8f;
		if (n - i < len || p[i + 1] < lo || p[i + 1] > hi)
			return 0;
		for (k = 2; k < len; k++)
			if (p[i + k] < 0x80 || p[i + k] > 0xbf)
				return 0;
		i += len;
	}
	return 1;
}

/* A camera's signed name: the org name's rule, and well-formed UTF-8. */
static int camera_name_ok(const char *s, size_t n)
{
	return name_ok(s, n) && utf8_ok((const uint8_t *)s, n);
}

int statement_camera_name_ok(const char *name)
{
	return name != NULL && camera_name_ok(name, strnlen(name, STMT_NAME_MAX + 1));
}

int statement_body_org_root(struct buf *b, const char *name)
{
	size_t n = name != NULL ? strlen(name) : 0;

	if (!name_ok(name, n))
		return STMT_E_FORMAT;
	if (buf_put_u8(b, (uint8_t)n) != 0)
		return STMT_E_NOMEM;
	return put_ret(buf_put(b, name, n));
}

int statement_body_admin_cert(struct buf *b, const struct stmt_admin_cert *c)
{
	if (c->active > 1)
		return STMT_E_FORMAT;
	return put_ret(buf_put(b, c->user_id, STMT_ID_LEN) | buf_put(b, c->sign_pk, STMT_KEY_LEN) |
	    buf_put(b, c->box_pk, STMT_KEY_LEN) | buf_put_u8(b, c->active));
}

int statement_body_member(struct buf *b, const struct stmt_member *m)
{
	uint16_t i;
	int r;

	if (m->nscope > STMT_SCOPE_MAX || m->role > STMT_ROLE_SUPPORT)
		return STMT_E_FORMAT;
	r = buf_put(b, m->user_id, STMT_ID_LEN) | buf_put(b, m->sign_pk, STMT_KEY_LEN) |
	    buf_put(b, m->box_pk, STMT_KEY_LEN) | buf_put_u8(b, m->role) |
	    buf_put_u16(b, m->nscope);
	for (i = 0; i < m->nscope; i++)
		r |= buf_put(b, m->scope[i], STMT_ID_LEN);
	return put_ret(r);
}

int statement_body_camera_epoch(struct buf *b, const struct stmt_camera_epoch *e)
{
	size_t n = 0;

	/* A name only follows a site: the third layout extends the second. */
	if (e->has_name) {
		n = strnlen(e->name, sizeof(e->name));
		if (!e->has_site || !camera_name_ok(e->name, n))
			return STMT_E_FORMAT;
	}
	return put_ret(buf_put(b, e->camera_id, STMT_ID_LEN) | buf_put_u32(b, e->epoch) |
	    buf_put(b, e->epoch_pk, STMT_KEY_LEN) |
	    (e->has_site ? buf_put(b, e->site_id, STMT_ID_LEN) : 0) |
	    (e->has_name ? buf_put_u8(b, (uint8_t)n) | buf_put(b, e->name, n) : 0));
}

int statement_body_grant(struct buf *b, const struct stmt_grant *g)
{
	return put_ret(buf_put(b, g->camera_id, STMT_ID_LEN) | buf_put_u32(b, g->epoch) |
	    buf_put(b, g->epoch_pk, STMT_KEY_LEN) | buf_put(b, g->grantee_id, STMT_ID_LEN) |
	    buf_put(b, g->grantee_box_pk, STMT_KEY_LEN) |
	    buf_put(b, g->sealed_sk, STMT_SEALED_SK_LEN));
}

int statement_body_gateway_cert(struct buf *b, const struct stmt_gateway_cert *c)
{
	return put_ret(buf_put(b, c->gateway_pk, STMT_KEY_LEN) | buf_put(b, c->site_id, STMT_ID_LEN));
}

/* Decode the body of s by its type, and check that the target is the one the body
 * implies. STMT_OK or STMT_E_FORMAT. */
static int parse_body(struct stmt *s)
{
	uint8_t want[STMT_TARGET_LEN];
	struct cur c;
	uint8_t n8;
	uint16_t i;

	cur_init(&c, s->body, s->body_len);
	memset(want, 0, sizeof(want));
	switch (s->type) {
	case STMT_ORG_ROOT:
		if (cur_get_u8(&c, &n8) != 0 || n8 == 0 || n8 > STMT_NAME_MAX || c.left != n8 ||
		    cur_get(&c, s->u.org_root.name, n8) != 0 ||
		    !name_ok(s->u.org_root.name, n8))
			return STMT_E_FORMAT;
		s->u.org_root.name[n8] = '\0';
		/* Self-signed: the issuer is the root whose hash is the org id. */
		statement_org_id(s->issuer, want);
		if (sodium_memcmp(want, s->org_id, STMT_ORG_ID_LEN) != 0)
			return STMT_E_FORMAT;
		memcpy(want, s->org_id, STMT_TARGET_LEN);
		break;
	case STMT_ADMIN_CERT:
		if (s->body_len != ADMIN_CERT_BODY)
			return STMT_E_FORMAT;
		cur_get(&c, s->u.admin_cert.user_id, STMT_ID_LEN);
		cur_get(&c, s->u.admin_cert.sign_pk, STMT_KEY_LEN);
		cur_get(&c, s->u.admin_cert.box_pk, STMT_KEY_LEN);
		cur_get_u8(&c, &s->u.admin_cert.active);
		if (s->u.admin_cert.active > 1)
			return STMT_E_FORMAT;
		memcpy(want, s->u.admin_cert.sign_pk, STMT_KEY_LEN);
		break;
	case STMT_MEMBER_ADD:
	case STMT_MEMBER_REMOVE:
	case STMT_MEMBER_ROLE:
		if (s->body_len < MEMBER_BODY_MIN)
			return STMT_E_FORMAT;
		cur_get(&c, s->u.member.user_id, STMT_ID_LEN);
		cur_get(&c, s->u.member.sign_pk, STMT_KEY_LEN);
		cur_get(&c, s->u.member.box_pk, STMT_KEY_LEN);
		cur_get_u8(&c, &s->u.member.role);
		cur_get_u16(&c, &s->u.member.nscope);
		if (s->u.member.role > STMT_ROLE_SUPPORT || s->u.member.nscope > STMT_SCOPE_MAX ||
		    c.left != (size_t)s->u.member.nscope * STMT_ID_LEN)
			return STMT_E_FORMAT;
		if ((s->type == STMT_MEMBER_REMOVE) != (s->u.member.role == STMT_ROLE_NONE))
			return STMT_E_FORMAT;
		for (i = 0; i < s->u.member.nscope; i++)
			cur_get(&c, s->u.member.scope[i], STMT_ID_LEN);
		statement_target_id(s->u.member.user_id, want);
		break;
	case STMT_CAMERA_EPOCH:
		/* 52 bytes; 68 with the site; or 68 + name_len u8 + name (1..64) with the name. */
		if (s->body_len != CAMERA_EPOCH_BODY && s->body_len < CAMERA_EPOCH_SITE_BODY)
			return STMT_E_FORMAT;
		cur_get(&c, s->u.camera_epoch.camera_id, STMT_ID_LEN);
		cur_get_u32(&c, &s->u.camera_epoch.epoch);
		cur_get(&c, s->u.camera_epoch.epoch_pk, STMT_KEY_LEN);
		s->u.camera_epoch.has_site = s->body_len >= CAMERA_EPOCH_SITE_BODY;
		if (s->u.camera_epoch.has_site)
			cur_get(&c, s->u.camera_epoch.site_id, STMT_ID_LEN);
		if (s->body_len > CAMERA_EPOCH_SITE_BODY) {
			if (cur_get_u8(&c, &n8) != 0 || n8 == 0 || n8 > STMT_NAME_MAX || c.left != n8 ||
			    cur_get(&c, s->u.camera_epoch.name, n8) != 0 ||
			    !camera_name_ok(s->u.camera_epoch.name, n8))
				return STMT_E_FORMAT;
			s->u.camera_epoch.name[n8] = '\0';
			s->u.camera_epoch.has_name = 1;
		}
		statement_target_id(s->u.camera_epoch.camera_id, want);
		break;
	case STMT_GRANT:
		if (s->body_len != GRANT_BODY)
			return STMT_E_FORMAT;
		cur_get(&c, s->u.grant.camera_id, STMT_ID_LEN);
		cur_get_u32(&c, &s->u.grant.epoch);
		cur_get(&c, s->u.grant.epoch_pk, STMT_KEY_LEN);
		cur_get(&c, s->u.grant.grantee_id, STMT_ID_LEN);
		cur_get(&c, s->u.grant.grantee_box_pk, STMT_KEY_LEN);
		cur_get(&c, s->u.grant.sealed_sk, STMT_SEALED_SK_LEN);
		statement_target_id(s->u.grant.grantee_id, want);
		break;
	case STMT_GATEWAY_CERT:
		if (s->body_len != GATEWAY_CERT_BODY)
			return STMT_E_FORMAT;
		cur_get(&c, s->u.gateway_cert.gateway_pk, STMT_KEY_LEN);
		cur_get(&c, s->u.gateway_cert.site_id, STMT_ID_LEN);
		memcpy(want, s->u.gateway_cert.gateway_pk, STMT_KEY_LEN);
		break;
	case STMT_GATEWAY_CONFIG:
	case STMT_GATEWAY_COMMAND:
		/* Sealed blob for the gateway named by target: at least the seal overhead. */
		if (s->body_len <= crypto_box_SEALBYTES)
			return STMT_E_FORMAT;
		return STMT_OK;
	default:
		return STMT_E_FORMAT;
	}
	if (cur_ok(&c) != 0 || sodium_memcmp(want, s->target, STMT_TARGET_LEN) != 0)
		return STMT_E_FORMAT;
	return STMT_OK;
}

int statement_parse(const uint8_t *p, size_t n, struct stmt **out)
{
	struct stmt *s = NULL;
	struct cur c;
	uint16_t flags;
	uint32_t blen;
	uint64_t u;
	int ret = STMT_E_FORMAT;

	*out = NULL;
	if (p == NULL || n < STMT_HEADER_LEN + STMT_SIG_LEN || n > STMT_MAX_LEN)
		return STMT_E_FORMAT;
	if (p[0] != STMT_VERSION)
		return STMT_E_VERSION;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return STMT_E_NOMEM;
	if ((s->raw = malloc(n)) == NULL) {
		ret = STMT_E_NOMEM;
		goto out;
	}
	memcpy(s->raw, p, n);
	s->raw_len = n;
	cur_init(&c, s->raw, n);
	cur_get_u8(&c, &s->version);
	cur_get_u8(&c, &s->type);
	cur_get_u16(&c, &flags);
	cur_get(&c, s->org_id, STMT_ORG_ID_LEN);
	cur_get(&c, s->issuer, STMT_KEY_LEN);
	cur_get(&c, s->target, STMT_TARGET_LEN);
	cur_get_u64(&c, &s->seq);
	cur_get_u64(&c, &u);
	s->issued_at = (int64_t)u;
	cur_get_u64(&c, &u);
	s->expires_at = (int64_t)u;
	cur_get_u32(&c, &blen);
	if (cur_ok(&c) != 0 || flags != 0 || s->type == STMT_ANY || s->type > STMT_TYPE_MAX ||
	    blen > STMT_BODY_MAX || c.left != (size_t)blen + STMT_SIG_LEN ||
	    s->issued_at < 0 || s->expires_at < 0 ||
	    (s->expires_at != 0 && s->expires_at < s->issued_at))
		goto out;
	if (cur_ref(&c, &s->body, blen) != 0 || cur_get(&c, s->sig, STMT_SIG_LEN) != 0 ||
	    c.left != 0)
		goto out;
	s->body_len = blen;
	if ((ret = parse_body(s)) != STMT_OK)
		goto out;
	*out = s;
	s = NULL;
	ret = STMT_OK;
out:
	statement_free(s);
	return ret;
}

void statement_free(struct stmt *s)
{
	if (s == NULL)
		return;
	if (s->raw != NULL) {
		sodium_memzero(s->raw, s->raw_len);
		free(s->raw);
	}
	sodium_memzero(s, sizeof(*s));
	free(s);
}

/* Ed25519 over context || msg, without copying msg. */
static void sig_state(crypto_sign_state *st, const uint8_t *msg, size_t n)
{
	crypto_sign_init(st);
	crypto_sign_update(st, (const uint8_t *)STMT_CONTEXT, STMT_CONTEXT_LEN);
	crypto_sign_update(st, msg, n);
}

int statement_sign(const struct stmt_signer *signer, uint8_t type,
    const uint8_t target[STMT_TARGET_LEN], uint64_t seq, int64_t issued_at,
    int64_t expires_at, const void *body, size_t body_len, struct buf *out)
{
	crypto_sign_state st;
	struct stmt *check = NULL;
	size_t start = out->len;
	uint8_t sig[STMT_SIG_LEN];
	int r;

	if (type == STMT_ANY || type > STMT_TYPE_MAX || body_len > STMT_BODY_MAX ||
	    issued_at < 0 || expires_at < 0 || (expires_at != 0 && expires_at < issued_at))
		return STMT_E_ARG;
	r = buf_put_u8(out, STMT_VERSION) | buf_put_u8(out, type) | buf_put_u16(out, 0) |
	    buf_put(out, signer->org_id, STMT_ORG_ID_LEN) | buf_put(out, signer->pk, STMT_KEY_LEN) |
	    buf_put(out, target, STMT_TARGET_LEN) | buf_put_u64(out, seq) |
	    buf_put_u64(out, (uint64_t)issued_at) | buf_put_u64(out, (uint64_t)expires_at) |
	    buf_put_u32(out, (uint32_t)body_len) | buf_put(out, body, body_len);
	if (r != 0) {
		r = STMT_E_NOMEM;
		goto out;
	}
	sig_state(&st, out->data + start, out->len - start);
	crypto_sign_final_create(&st, sig, NULL, signer->sk);
	if (buf_put(out, sig, sizeof(sig)) != 0) {
		r = STMT_E_NOMEM;
		goto out;
	}
	r = statement_parse(out->data + start, out->len - start, &check);
out:
	statement_free(check);
	if (r != STMT_OK)
		out->len = start;
	return r;
}

void statement_trust_init(struct stmt_trust *t, const uint8_t root_pk[STMT_KEY_LEN])
{
	memset(t, 0, sizeof(*t));
	memcpy(t->root_pk, root_pk, STMT_KEY_LEN);
	statement_org_id(root_pk, t->org_id);
}

static int is_root(const struct stmt_trust *t, const uint8_t pk[STMT_KEY_LEN])
{
	return sodium_memcmp(t->root_pk, pk, STMT_KEY_LEN) == 0;
}

int statement_trust_has(const struct stmt_trust *t, const uint8_t pk[STMT_KEY_LEN])
{
	size_t i;

	if (is_root(t, pk))
		return 1;
	for (i = 0; i < t->nadmins; i++)
		if (t->admins[i].active && sodium_memcmp(t->admins[i].pk, pk, STMT_KEY_LEN) == 0)
			return 1;
	return 0;
}

int statement_verify(const uint8_t *p, size_t n, const struct stmt_trust *t,
    uint8_t expect_type, int64_t now_us, struct stmt **out)
{
	crypto_sign_state st;
	struct stmt *s = NULL;
	int ret;

	*out = NULL;
	if ((ret = statement_parse(p, n, &s)) != STMT_OK)
		goto out;
	ret = STMT_E_ORG;
	if (sodium_memcmp(s->org_id, t->org_id, STMT_ORG_ID_LEN) != 0)
		goto out;
	ret = STMT_E_TYPE;
	if (expect_type != STMT_ANY && s->type != expect_type)
		goto out;
	ret = STMT_E_ISSUER;
	if (!statement_trust_has(t, s->issuer))
		goto out;
	ret = STMT_E_UNCERTIFIED;
	if ((s->type == STMT_ORG_ROOT || s->type == STMT_ADMIN_CERT) && !is_root(t, s->issuer))
		goto out;
	ret = STMT_E_SIGNATURE;
	sig_state(&st, s->raw, s->raw_len - STMT_SIG_LEN);
	if (crypto_sign_final_verify(&st, s->sig, s->issuer) != 0)
		goto out;
	ret = STMT_E_EXPIRED;
	if (s->expires_at != 0 && now_us >= s->expires_at)
		goto out;
	*out = s;
	s = NULL;
	ret = STMT_OK;
out:
	statement_free(s);
	return ret;
}

int statement_trust_add(struct stmt_trust *t, const uint8_t *p, size_t n, int64_t now_us)
{
	struct stmt *s = NULL;
	size_t i;
	int ret;

	ret = statement_verify(p, n, t, STMT_ADMIN_CERT, now_us, &s);
	/* An admin.cert from anyone but the pinned root is exactly "not certified". */
	if (ret == STMT_E_ISSUER)
		ret = STMT_E_UNCERTIFIED;
	if (ret != STMT_OK)
		goto out;
	ret = STMT_E_ARG;
	if (is_root(t, s->u.admin_cert.sign_pk))
		goto out;
	for (i = 0; i < t->nadmins; i++)
		if (sodium_memcmp(t->admins[i].pk, s->u.admin_cert.sign_pk, STMT_KEY_LEN) == 0)
			break;
	if (i < t->nadmins && s->seq <= t->admins[i].seq) {
		ret = STMT_E_REPLAY;
		goto out;
	}
	if (i == t->nadmins) {
		ret = STMT_E_FULL;
		if (t->nadmins == STMT_TRUST_MAX)
			goto out;
		t->nadmins++;
		memcpy(t->admins[i].pk, s->u.admin_cert.sign_pk, STMT_KEY_LEN);
	}
	memcpy(t->admins[i].user_id, s->u.admin_cert.user_id, STMT_ID_LEN);
	t->admins[i].seq = s->seq;
	t->admins[i].active = s->u.admin_cert.active;
	ret = STMT_OK;
out:
	statement_free(s);
	return ret;
}
