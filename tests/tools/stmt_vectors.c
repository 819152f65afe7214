/* stmt_vectors.c - prints, as JSON, statements, an enrollment request and an audit log that the C library made from fixed keys, so that the console's adminops.js can be checked byte for byte (tests/browser/adminops.test.mjs). */
#include <stdio.h>
#include <string.h>
#include <sodium.h>
#include <jansson.h>
#include "common/auditlog.h"
#include "common/buf.h"
#include "common/enroll.h"
#include "common/orgkeys.h"
#include "common/statement.h"
#include "common/util.h"

#define NOW 1700000000000000LL
#define OUT_MAX (1024u * 1024u)

static int
put(struct buf *j, const char *s)
{
	return buf_put(j, s, strlen(s));
}

static int
put_hex(struct buf *j, const char *key, const uint8_t *p, size_t n)
{
	char h[2 * 2048 + 1];

	if (n > 2048)
		return -1;
	hex_encode(p, n, h);
	return put(j, "\"") | put(j, key) | put(j, "\":\"") | buf_put(j, h, 2 * n) | put(j, "\",");
}

static void
fill(uint8_t *p, size_t n, uint8_t v)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(v + i);
}

/* One signed statement: its inputs and its bytes. */
static int
vector(struct buf *j, const struct stmt_signer *s, const char *name, uint8_t type,
    const uint8_t target[STMT_TARGET_LEN], uint64_t seq, const struct buf *body)
{
	struct buf out;
	char num[64];
	int r;

	buf_init(&out, STMT_MAX_LEN);
	r = statement_sign(s, type, target, seq, NOW, 0, body->data, body->len, &out);
	if (r == 0) {
		snprintf(num, sizeof(num), "\"seq\":%llu,\"type\":%u,", (unsigned long long)seq, type);
		r = put(j, "\"") | put(j, name) | put(j, "\":{") | put(j, num) |
		    put_hex(j, "target", target, STMT_TARGET_LEN) | put_hex(j, "body", body->data, body->len) |
		    put_hex(j, "bytes", out.data, out.len) | put(j, "\"end\":0},");
	}
	buf_free(&out);
	return r;
}

/* An audit log with awkward strings (quotes, backslashes, non-ASCII, a neutralized control
 * character, detail keys out of order) and a checkpoint, by a fixed server key. */
static int
audit_vector(struct buf *j)
{
	uint8_t seed[32], pk[32], sk[64], prev[AUDITLOG_HASH_LEN] = { 0 }, hash[AUDITLOG_HASH_LEN];
	struct buf line, log;
	json_t *detail = json_pack("{s:s,s:I,s:s}", "zeta", "a \"quoted\" \\ value", "count", (json_int_t)3,
	    "alpha", "caf\xc3\xa9 \x01 bell");
	struct auditlog_event ev = { 0 };
	int r = -1, i;

	fill(seed, sizeof(seed), 0x40);
	crypto_sign_seed_keypair(pk, sk, seed);
	buf_init(&line, 2 * AUDITLOG_LINE_MAX);
	buf_init(&log, OUT_MAX);
	if (detail == NULL)
		goto out;
	for (i = 1; i <= 3; i++) {
		ev.actor = "0123456789abcdef0123456789abcdef";
		ev.actor_kind = i == 2 ? AUDITLOG_ACTOR_SUPPORT : AUDITLOG_ACTOR_USER;
		ev.action = i == 1 ? AUDITLOG_SUPPORT_GRANT : AUDITLOG_LIVE_START;
		ev.target = i == 3 ? "target with \xe2\x80\xae bidi" : "cam";
		ev.address = "127.0.0.1";
		ev.request_id = "req-1";
		ev.detail = i == 1 ? detail : NULL;
		if (auditlog_entry_format("org-1", (uint64_t)i, NOW + i, &ev, prev, &line, hash) != 0 ||
		    buf_put(&log, line.data, line.len) != 0 || buf_put_u8(&log, '\n') != 0)
			goto out;
		memcpy(prev, hash, sizeof(prev));
	}
	if (auditlog_checkpoint_format("org-1", 3, prev, NOW + 10, sk, &line) != 0 ||
	    buf_put(&log, line.data, line.len) != 0 || buf_put_u8(&log, '\n') != 0)
		goto out;
	r = put_hex(j, "audit_key", pk, sizeof(pk)) | put_hex(j, "audit_log", log.data, log.len);
out:
	json_decref(detail);
	buf_free(&line);
	buf_free(&log);
	sodium_memzero(sk, sizeof(sk));
	return r;
}

int
main(void)
{
	struct stmt_signer s;
	struct stmt_member m;
	struct stmt_camera_epoch ce;
	struct stmt_gateway_cert gc;
	struct enroll_invite inv;
	struct enroll_code code;
	struct buf j, body;
	uint8_t seed[32], sk[64], pk[32], org[32], target[32], gw_pk[32], gw_sk[64], gw_x[32];
	uint8_t req[ENROLL_REQUEST_LEN], token[32];
	int r = 0;

	if (sodium_init() < 0)
		return 1;
	buf_init(&j, OUT_MAX);
	buf_init(&body, 4096);
	fill(seed, sizeof(seed), 0x10);
	crypto_sign_seed_keypair(pk, sk, seed);
	statement_org_id(pk, org);
	orgkeys_signer_init(&s, sk, org);
	r |= put(&j, "{") | put_hex(&j, "root_seed", seed, sizeof(seed));

	/* member.add of a viewer with two scope ids, member.role, member.remove. */
	memset(&m, 0, sizeof(m));
	fill(m.user_id, sizeof(m.user_id), 0xa0);
	fill(m.sign_pk, sizeof(m.sign_pk), 0xb0);
	fill(m.box_pk, sizeof(m.box_pk), 0xc0);
	m.role = STMT_ROLE_VIEWER;
	m.nscope = 2;
	fill(m.scope[0], STMT_ID_LEN, 0x01);
	fill(m.scope[1], STMT_ID_LEN, 0x31);
	statement_target_id(m.user_id, target);
	r |= statement_body_member(&body, &m) | vector(&j, &s, "member_add", STMT_MEMBER_ADD, target, 7, &body);
	buf_reset(&body);
	m.role = STMT_ROLE_ADMIN;
	m.nscope = 0;
	r |= statement_body_member(&body, &m) | vector(&j, &s, "member_role", STMT_MEMBER_ROLE, target, 8, &body);
	buf_reset(&body);
	m.role = STMT_ROLE_NONE;
	r |= statement_body_member(&body, &m) | vector(&j, &s, "member_remove", STMT_MEMBER_REMOVE, target, 9, &body);

	/* camera.epoch with a fixed epoch key, without and with the camera's site and name. */
	buf_reset(&body);
	memset(&ce, 0, sizeof(ce));
	fill(ce.camera_id, sizeof(ce.camera_id), 0x50);
	ce.epoch = 3;
	fill(ce.epoch_pk, sizeof(ce.epoch_pk), 0x60);
	statement_target_id(ce.camera_id, target);
	r |= statement_body_camera_epoch(&body, &ce) | vector(&j, &s, "camera_epoch", STMT_CAMERA_EPOCH, target, 11, &body);
	buf_reset(&body);
	ce.has_site = 1;
	fill(ce.site_id, sizeof(ce.site_id), 0x58);
	r |= statement_body_camera_epoch(&body, &ce) |
	    vector(&j, &s, "camera_epoch_site", STMT_CAMERA_EPOCH, target, 12, &body);
	/* ... and with the camera's signed name (UTF-8 beyond ASCII). */
	buf_reset(&body);
	ce.has_name = 1;
	snprintf(ce.name, sizeof(ce.name), "%s", "Front door \xe2\x80\x94 caf\xc3\xa9");
	r |= statement_body_camera_epoch(&body, &ce) |
	    vector(&j, &s, "camera_epoch_name", STMT_CAMERA_EPOCH, target, 13, &body);

	/* gateway.cert for a fixed gateway key. */
	buf_reset(&body);
	fill(seed, sizeof(seed), 0x70);
	crypto_sign_seed_keypair(gw_pk, gw_sk, seed);
	memcpy(gc.gateway_pk, gw_pk, sizeof(gw_pk));
	fill(gc.site_id, sizeof(gc.site_id), 0x80);
	r |= statement_body_gateway_cert(&body, &gc) | vector(&j, &s, "gateway_cert", STMT_GATEWAY_CERT, gw_pk, 12, &body);

	/* An enrollment: a fixed invitation (id, secret), the gateway's request for it. */
	memset(&inv, 0, sizeof(inv));
	inv.kind = ENROLL_GATEWAY;
	fill(inv.id, sizeof(inv.id), 0x90);
	fill(inv.secret, sizeof(inv.secret), 0xd0);
	statement_fingerprint(pk, inv.fingerprint);
	memset(&code, 0, sizeof(code));
	memcpy(code.id, inv.id, sizeof(code.id));
	memcpy(code.secret, inv.secret, sizeof(code.secret));
	memcpy(code.fingerprint, inv.fingerprint, sizeof(code.fingerprint));
	if (crypto_sign_ed25519_pk_to_curve25519(gw_x, gw_pk) != 0)
		r = -1;
	r |= enroll_request_build(&code, ENROLL_GATEWAY, gw_pk, gw_x, req);
	crypto_kdf_derive_from_key(token, sizeof(token), 2, "vgenroll", inv.secret);
	crypto_generichash(inv.verifier, sizeof(inv.verifier), token, sizeof(token), NULL, 0);
	r |= put_hex(&j, "invite_id", inv.id, sizeof(inv.id)) | put_hex(&j, "invite_secret", inv.secret, sizeof(inv.secret)) |
	    put_hex(&j, "invite_verifier", inv.verifier, sizeof(inv.verifier)) |
	    put_hex(&j, "enroll_request", req, sizeof(req)) | put(&j, "\"fingerprint\":\"") |
	    put(&j, inv.fingerprint) | put(&j, "\",");

	r |= audit_vector(&j);
	r |= put(&j, "\"end\":0}\n");
	if (r == 0)
		fwrite(j.data, 1, j.len, stdout);
	else
		fprintf(stderr, "stmt_vectors: failed\n");
	statement_signer_wipe(&s);
	sodium_memzero(sk, sizeof(sk));
	sodium_memzero(gw_sk, sizeof(gw_sk));
	enroll_invite_wipe(&inv);
	enroll_code_wipe(&code);
	buf_free(&j);
	buf_free(&body);
	return r == 0 ? 0 : 1;
}
