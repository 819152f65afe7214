/* test_statement.c - unit tests of signed statements: layout, fingerprints, trust set and every verification error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/buf.h"
#include "common/orgkeys.h"
#include "common/statement.h"

#define NOW INT64_C(1700000000000000)

struct fx {
	struct stmt_signer root;
	struct buf org_root;
	struct stmt_trust trust;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_int_equal(sodium_init() >= 0, 1);
	buf_init(&f->org_root, STMT_MAX_LEN);
	assert_int_equal(orgkeys_org_create("Acme Factory", NOW, &f->root, &f->org_root), 0);
	statement_trust_init(&f->trust, f->root.pk);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	statement_signer_wipe(&f->root);
	buf_free(&f->org_root);
	free(f);
	return 0;
}

/* A signed camera.epoch by signer with the given seq and expiry. */
static void make_epoch(const struct stmt_signer *signer, uint8_t fill, uint64_t seq,
    int64_t expires, struct buf *out)
{
	struct stmt_camera_epoch e;
	uint8_t target[STMT_TARGET_LEN];
	struct buf body;

	memset(&e, 0, sizeof(e));
	memset(e.camera_id, fill, STMT_ID_LEN);
	e.epoch = 7;
	memset(e.epoch_pk, 0x42, STMT_KEY_LEN);
	buf_init(&body, 1024);
	assert_int_equal(statement_body_camera_epoch(&body, &e), 0);
	statement_target_id(e.camera_id, target);
	assert_int_equal(statement_sign(signer, STMT_CAMERA_EPOCH, target, seq, NOW, expires,
	    body.data, body.len, out), 0);
	buf_free(&body);
}

/* An admin keypair certified by the root; the admin's signer goes to *admin. */
static void make_admin(struct fx *f, struct stmt_signer *admin, uint64_t seq, uint8_t active,
    struct buf *cert)
{
	struct stmt_admin_cert ac;
	uint8_t box_sk[32];

	memset(&ac, 0, sizeof(ac));
	crypto_sign_keypair(admin->pk, admin->sk);
	memcpy(admin->org_id, f->root.org_id, STMT_ORG_ID_LEN);
	randombytes_buf(ac.user_id, STMT_ID_LEN);
	memcpy(ac.sign_pk, admin->pk, STMT_KEY_LEN);
	crypto_box_keypair(ac.box_pk, box_sk);
	ac.active = active;
	assert_int_equal(orgkeys_admin_certify(&f->root, &ac, seq, NOW, cert), 0);
}

static void test_org_root_roundtrip(void **state)
{
	struct fx *f = *state;
	struct stmt *s = NULL;
	uint8_t id[STMT_ORG_ID_LEN];

	assert_int_equal(statement_verify(f->org_root.data, f->org_root.len, &f->trust,
	    STMT_ORG_ROOT, NOW, &s), 0);
	assert_string_equal(s->u.org_root.name, "Acme Factory");
	assert_int_equal(s->type, STMT_ORG_ROOT);
	assert_int_equal(s->seq, 0);
	assert_true(s->issued_at == NOW);
	statement_org_id(f->root.pk, id);
	assert_memory_equal(s->org_id, id, STMT_ORG_ID_LEN);
	assert_memory_equal(s->issuer, f->root.pk, STMT_KEY_LEN);
	assert_int_equal(f->org_root.len, STMT_HEADER_LEN + 1 + 12 + STMT_SIG_LEN);
	statement_free(s);
	statement_free(NULL);
}

static void test_fingerprint(void **state)
{
	struct fx *f = *state;
	char fp[STMT_FINGERPRINT_LEN], norm[STMT_FINGERPRINT_LEN], typed[80];
	size_t i, o = 0;

	statement_fingerprint(f->root.pk, fp);
	assert_int_equal(strlen(fp), 47);
	for (i = 0; i < 47; i++)
		assert_true((i % 6 == 5) ? fp[i] == '-' : (fp[i] >= '0' && fp[i] <= '9'));
	/* Typed with spaces instead of dashes normalizes back. */
	for (i = 0; fp[i] != '\0'; i++)
		typed[o++] = fp[i] == '-' ? ' ' : fp[i];
	typed[o] = '\0';
	assert_int_equal(statement_fingerprint_normalize(typed, norm), 0);
	assert_string_equal(norm, fp);
	assert_int_equal(statement_fingerprint_normalize("1234", norm), STMT_E_FORMAT);
	typed[3] = 'x';
	assert_int_equal(statement_fingerprint_normalize(typed, norm), STMT_E_FORMAT);
	assert_int_equal(statement_fingerprint_normalize(NULL, norm), STMT_E_FORMAT);
	memset(typed, '1', 41);
	typed[41] = '\0';
	assert_int_equal(statement_fingerprint_normalize(typed, norm), STMT_E_FORMAT);
	typed[40] = '\0';
	assert_int_equal(statement_fingerprint_normalize(typed, norm), 0);
}

static void test_verify_errors(void **state)
{
	struct fx *f = *state;
	struct stmt_signer other, stranger, admin;
	struct buf b, c, cert;
	struct stmt *s = NULL;

	buf_init(&b, STMT_MAX_LEN);
	buf_init(&c, STMT_MAX_LEN);
	buf_init(&cert, STMT_MAX_LEN);
	make_epoch(&f->root, 1, 1, 0, &b);
	assert_int_equal(statement_verify(b.data, b.len, &f->trust, STMT_CAMERA_EPOCH, NOW, &s), 0);
	assert_int_equal(s->u.camera_epoch.epoch, 7);
	statement_free(s);

	/* Bad signature, tampered body, tampered header. */
	b.data[b.len - 1] ^= 1;
	assert_int_equal(statement_verify(b.data, b.len, &f->trust, STMT_ANY, NOW, &s),
	    STMT_E_SIGNATURE);
	assert_null(s);
	b.data[b.len - 1] ^= 1;
	b.data[STMT_HEADER_LEN + 20] ^= 1;
	assert_int_equal(statement_verify(b.data, b.len, &f->trust, STMT_ANY, NOW, &s),
	    STMT_E_SIGNATURE);
	b.data[STMT_HEADER_LEN + 20] ^= 1;
	b.data[100 + 7] ^= 1; /* seq */
	assert_int_equal(statement_verify(b.data, b.len, &f->trust, STMT_ANY, NOW, &s),
	    STMT_E_SIGNATURE);
	b.data[100 + 7] ^= 1;
	/* Unsigned: zero signature, or none at all. */
	memset(b.data + b.len - STMT_SIG_LEN, 0, STMT_SIG_LEN);
	assert_int_equal(statement_verify(b.data, b.len, &f->trust, STMT_ANY, NOW, &s),
	    STMT_E_SIGNATURE);
	assert_int_equal(statement_verify(b.data, b.len - STMT_SIG_LEN, &f->trust, STMT_ANY, NOW,
	    &s), STMT_E_FORMAT);
	buf_reset(&b);
	make_epoch(&f->root, 1, 1, 0, &b);

	/* Wrong type. */
	assert_int_equal(statement_verify(b.data, b.len, &f->trust, STMT_GRANT, NOW, &s),
	    STMT_E_TYPE);
	/* Truncated, trailing byte, bad version, nonzero flags, unknown type. */
	assert_int_equal(statement_verify(b.data, b.len - 1, &f->trust, STMT_ANY, NOW, &s),
	    STMT_E_FORMAT);
	assert_int_equal(buf_put_u8(&b, 0), 0);
	assert_int_equal(statement_verify(b.data, b.len, &f->trust, STMT_ANY, NOW, &s),
	    STMT_E_FORMAT);
	b.len--;
	b.data[0] = 2;
	assert_int_equal(statement_verify(b.data, b.len, &f->trust, STMT_ANY, NOW, &s),
	    STMT_E_VERSION);
	b.data[0] = 1;
	b.data[3] = 1;
	assert_int_equal(statement_parse(b.data, b.len, &s), STMT_E_FORMAT);
	b.data[3] = 0;
	b.data[1] = 99;
	assert_int_equal(statement_parse(b.data, b.len, &s), STMT_E_FORMAT);
	b.data[1] = STMT_CAMERA_EPOCH;
	assert_int_equal(statement_parse(NULL, 0, &s), STMT_E_FORMAT);

	/* Expired: valid before expires_at, refused at and after it. */
	buf_reset(&b);
	make_epoch(&f->root, 1, 2, NOW + 1000, &b);
	assert_int_equal(statement_verify(b.data, b.len, &f->trust, STMT_ANY, NOW + 999, &s), 0);
	statement_free(s);
	assert_int_equal(statement_verify(b.data, b.len, &f->trust, STMT_ANY, NOW + 1000, &s),
	    STMT_E_EXPIRED);

	/* Another org: its own root signs a statement of its own org. */
	buf_reset(&c);
	assert_int_equal(orgkeys_org_create("Other", NOW, &other, &c), 0);
	buf_reset(&b);
	make_epoch(&other, 1, 1, 0, &b);
	assert_int_equal(statement_verify(b.data, b.len, &f->trust, STMT_ANY, NOW, &s), STMT_E_ORG);
	assert_int_equal(statement_verify(c.data, c.len, &f->trust, STMT_ANY, NOW, &s), STMT_E_ORG);

	/* A stranger signing as if of this org: unknown issuer. */
	crypto_sign_keypair(stranger.pk, stranger.sk);
	memcpy(stranger.org_id, f->root.org_id, STMT_ORG_ID_LEN);
	buf_reset(&b);
	make_epoch(&stranger, 1, 1, 0, &b);
	assert_int_equal(statement_verify(b.data, b.len, &f->trust, STMT_ANY, NOW, &s),
	    STMT_E_ISSUER);

	/* A certified admin may sign a camera.epoch, not an admin.cert. */
	make_admin(f, &admin, 1, 1, &cert);
	assert_int_equal(statement_trust_add(&f->trust, cert.data, cert.len, NOW), 0);
	buf_reset(&b);
	make_epoch(&admin, 1, 3, 0, &b);
	assert_int_equal(statement_verify(b.data, b.len, &f->trust, STMT_ANY, NOW, &s), 0);
	statement_free(s);
	buf_reset(&c);
	{
		struct stmt_signer admin2;
		make_admin(f, &admin2, 1, 1, &c);
		/* Re-sign the same cert body with the admin's key instead of the root's. */
		struct stmt *parsed = NULL;
		struct buf forged;
		assert_int_equal(statement_parse(c.data, c.len, &parsed), 0);
		buf_init(&forged, STMT_MAX_LEN);
		assert_int_equal(statement_sign(&admin, STMT_ADMIN_CERT, parsed->target, 1, NOW, 0,
		    parsed->body, parsed->body_len, &forged), 0);
		assert_int_equal(statement_verify(forged.data, forged.len, &f->trust, STMT_ANY, NOW,
		    &s), STMT_E_UNCERTIFIED);
		assert_int_equal(statement_trust_add(&f->trust, forged.data, forged.len, NOW),
		    STMT_E_UNCERTIFIED);
		/* And a stranger's admin.cert is "not certified" too. */
		buf_reset(&forged);
		assert_int_equal(statement_sign(&stranger, STMT_ADMIN_CERT, parsed->target, 1, NOW, 0,
		    parsed->body, parsed->body_len, &forged), 0);
		assert_int_equal(statement_trust_add(&f->trust, forged.data, forged.len, NOW),
		    STMT_E_UNCERTIFIED);
		statement_free(parsed);
		buf_free(&forged);
		statement_signer_wipe(&admin2);
	}

	/* Revoking the admin (higher seq) removes it; replaying the old cert does not restore it. */
	{
		struct stmt *cs = NULL;
		struct stmt_admin_cert ac;
		struct buf rev;
		assert_int_equal(statement_parse(cert.data, cert.len, &cs), 0);
		ac = cs->u.admin_cert;
		ac.active = 0;
		buf_init(&rev, STMT_MAX_LEN);
		assert_int_equal(orgkeys_admin_certify(&f->root, &ac, 2, NOW, &rev), 0);
		assert_int_equal(statement_trust_add(&f->trust, rev.data, rev.len, NOW), 0);
		assert_int_equal(statement_verify(b.data, b.len, &f->trust, STMT_ANY, NOW, &s),
		    STMT_E_ISSUER);
		assert_int_equal(statement_trust_add(&f->trust, cert.data, cert.len, NOW),
		    STMT_E_REPLAY);
		assert_int_equal(statement_trust_has(&f->trust, admin.pk), 0);
		assert_int_equal(statement_trust_has(&f->trust, f->root.pk), 1);
		statement_free(cs);
		buf_free(&rev);
	}
	statement_signer_wipe(&other);
	statement_signer_wipe(&admin);
	buf_free(&b);
	buf_free(&c);
	buf_free(&cert);
}

static void test_sign_refuses_bad_layout(void **state)
{
	struct fx *f = *state;
	struct stmt_camera_epoch e;
	uint8_t target[STMT_TARGET_LEN];
	struct buf body, out;

	buf_init(&body, 1024);
	buf_init(&out, STMT_MAX_LEN);
	memset(&e, 3, sizeof(e));
	e.has_site = 0;   /* the first, 52-byte layout */
	e.has_name = 0;
	assert_int_equal(statement_body_camera_epoch(&body, &e), 0);
	/* A target that does not match the body's camera id is never produced. */
	memset(target, 9, sizeof(target));
	assert_int_equal(statement_sign(&f->root, STMT_CAMERA_EPOCH, target, 1, NOW, 0, body.data,
	    body.len, &out), STMT_E_FORMAT);
	assert_int_equal(out.len, 0);
	/* Wrong body length; unknown type; expiry before issue. */
	statement_target_id(e.camera_id, target);
	assert_int_equal(statement_sign(&f->root, STMT_CAMERA_EPOCH, target, 1, NOW, 0, body.data,
	    body.len - 1, &out), STMT_E_FORMAT);
	assert_int_equal(statement_sign(&f->root, 42, target, 1, NOW, 0, body.data, body.len, &out),
	    STMT_E_ARG);
	assert_int_equal(statement_sign(&f->root, STMT_CAMERA_EPOCH, target, 1, NOW, NOW - 1,
	    body.data, body.len, &out), STMT_E_ARG);
	assert_int_equal(out.len, 0);
	assert_int_equal(statement_body_org_root(&body, ""), STMT_E_FORMAT);
	assert_int_equal(statement_body_org_root(&body, "bad\nname"), STMT_E_FORMAT);
	buf_free(&body);
	buf_free(&out);
}

/* camera.epoch names the camera's site (68-byte body) or not (52, the first layout); both
 * verify and parse back, any other length is refused. */
static void test_camera_epoch_site(void **state)
{
	struct fx *f = *state;
	struct stmt_camera_epoch e;
	uint8_t target[STMT_TARGET_LEN];
	struct buf body, out;
	struct stmt *s = NULL;
	int with;

	for (with = 0; with <= 1; with++) {
		buf_init(&body, 1024);
		buf_init(&out, STMT_MAX_LEN);
		memset(&e, 0, sizeof(e));
		memset(e.camera_id, 0x11, STMT_ID_LEN);
		e.epoch = 7;
		memset(e.epoch_pk, 0x22, STMT_KEY_LEN);
		e.has_site = (uint8_t)with;
		memset(e.site_id, 0x33, STMT_ID_LEN);
		assert_int_equal(statement_body_camera_epoch(&body, &e), 0);
		assert_int_equal(body.len, with ? 68 : 52);
		statement_target_id(e.camera_id, target);
		assert_int_equal(statement_sign(&f->root, STMT_CAMERA_EPOCH, target, 1, NOW, 0,
		    body.data, body.len, &out), 0);
		assert_int_equal(statement_verify(out.data, out.len, &f->trust, STMT_CAMERA_EPOCH, NOW,
		    &s), 0);
		assert_int_equal(s->u.camera_epoch.has_site, with);
		assert_int_equal(s->u.camera_epoch.epoch, 7);
		if (with)
			assert_memory_equal(s->u.camera_epoch.site_id, e.site_id, STMT_ID_LEN);
		statement_free(s);
		s = NULL;
		/* A body with part of a site is malformed. */
		out.len = 0;
		assert_int_equal(statement_sign(&f->root, STMT_CAMERA_EPOCH, target, 1, NOW, 0,
		    body.data, with ? 60 : 51, &out), STMT_E_FORMAT);
		buf_free(&body);
		buf_free(&out);
	}
}

/* Sign a camera.epoch body given as bytes (sited, then name_len and name as given) and
 * return statement_sign's result; out receives the statement. */
static int sign_named_raw(struct fx *f, const uint8_t *name, size_t n, uint8_t len_byte,
    struct buf *out)
{
	uint8_t body[68 + 1 + 80], target[STMT_TARGET_LEN];

	assert_true(n <= 80);
	memset(body, 0x11, 16);                 /* camera id */
	memset(body + 16, 0, 4);
	body[19] = 7;                           /* epoch */
	memset(body + 20, 0x22, 32);            /* epoch pk */
	memset(body + 52, 0x33, 16);            /* site */
	body[68] = len_byte;
	memcpy(body + 69, name, n);
	memset(target, 0, sizeof(target));
	memset(target, 0x11, 16);
	buf_reset(out);
	return statement_sign(&f->root, STMT_CAMERA_EPOCH, target, 1, NOW, 0, body, 69 + n, out);
}

/* camera.epoch may end with the camera's name (68-byte sited body | name_len u8 | name):
 * it round-trips, a name of 0 or 65 bytes, with a control byte, or not UTF-8 is refused by
 * the encoder and by the parser, a name needs a site, and the signature covers it. */
static void test_camera_epoch_name(void **state)
{
	struct fx *f = *state;
	struct stmt_camera_epoch e;
	uint8_t target[STMT_TARGET_LEN], n65[65];
	struct buf body, out;
	struct stmt *s = NULL;
	static const char *const bad[] = { "Front\001door", "Front\x7f", "\x1b[31mred",
	    "caf\xc3", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xff" };
	size_t i;

	buf_init(&body, 1024);
	buf_init(&out, STMT_MAX_LEN);
	memset(&e, 0, sizeof(e));
	memset(e.camera_id, 0x11, STMT_ID_LEN);
	e.epoch = 7;
	memset(e.epoch_pk, 0x22, STMT_KEY_LEN);
	e.has_site = 1;
	memset(e.site_id, 0x33, STMT_ID_LEN);
	e.has_name = 1;
	snprintf(e.name, sizeof(e.name), "%s", "Front door \xe2\x80\x94 caf\xc3\xa9");
	assert_int_equal(statement_body_camera_epoch(&body, &e), 0);
	assert_int_equal(body.len, 68 + 1 + strlen(e.name));
	statement_target_id(e.camera_id, target);
	assert_int_equal(statement_sign(&f->root, STMT_CAMERA_EPOCH, target, 1, NOW, 0, body.data,
	    body.len, &out), 0);
	assert_int_equal(statement_verify(out.data, out.len, &f->trust, STMT_CAMERA_EPOCH, NOW,
	    &s), 0);
	assert_int_equal(s->u.camera_epoch.has_site, 1);
	assert_int_equal(s->u.camera_epoch.has_name, 1);
	assert_string_equal(s->u.camera_epoch.name, e.name);
	assert_memory_equal(s->u.camera_epoch.site_id, e.site_id, STMT_ID_LEN);
	statement_free(s);
	s = NULL;
	/* The signature covers the name: 'F' -> 'G' (still a valid name) fails it. */
	out.data[STMT_HEADER_LEN + 69] ^= 1;
	assert_int_equal(statement_verify(out.data, out.len, &f->trust, STMT_CAMERA_EPOCH, NOW,
	    &s), STMT_E_SIGNATURE);
	assert_null(s);
	/* 64 bytes is the most; 0 and 65 are refused, by the encoder and the parser. */
	memset(e.name, 'a', STMT_NAME_MAX);
	e.name[STMT_NAME_MAX] = '\0';
	buf_reset(&body);
	assert_int_equal(statement_body_camera_epoch(&body, &e), 0);
	assert_int_equal(body.len, 68 + 1 + 64);
	memset(n65, 'a', sizeof(n65));
	assert_int_equal(sign_named_raw(f, n65, 64, 64, &out), 0);
	assert_int_equal(sign_named_raw(f, n65, 65, 65, &out), STMT_E_FORMAT);
	assert_int_equal(sign_named_raw(f, n65, 0, 0, &out), STMT_E_FORMAT);
	assert_int_equal(sign_named_raw(f, n65, 5, 4, &out), STMT_E_FORMAT);   /* trailing byte */
	assert_int_equal(sign_named_raw(f, n65, 3, 4, &out), STMT_E_FORMAT);   /* truncated */
	memcpy(e.name, n65, sizeof(e.name));   /* 65 bytes, no NUL */
	buf_reset(&body);
	assert_int_equal(statement_body_camera_epoch(&body, &e), STMT_E_FORMAT);
	e.name[0] = '\0';
	assert_int_equal(statement_body_camera_epoch(&body, &e), STMT_E_FORMAT);
	assert_int_equal(statement_camera_name_ok(""), 0);
	/* Control bytes and malformed UTF-8. */
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(e.name, sizeof(e.name), "%s", bad[i]);
		buf_reset(&body);
		assert_int_equal(statement_body_camera_epoch(&body, &e), STMT_E_FORMAT);
		assert_int_equal(statement_camera_name_ok(bad[i]), 0);
		assert_int_equal(sign_named_raw(f, (const uint8_t *)bad[i], strlen(bad[i]),
		    (uint8_t)strlen(bad[i]), &out), STMT_E_FORMAT);
	}
	assert_int_equal(statement_camera_name_ok("Gate \xf0\x9f\x9a\xaa"), 1);
	/* A name needs a site (the third layout extends the second). */
	snprintf(e.name, sizeof(e.name), "%s", "Gate");
	e.has_site = 0;
	buf_reset(&body);
	assert_int_equal(statement_body_camera_epoch(&body, &e), STMT_E_FORMAT);
	/* orgkeys_epoch_create_named: the same rules; what it signs verifies with the name. */
	{
		uint8_t pk[STMT_KEY_LEN], sk[ORGKEYS_EPOCH_SK_LEN];

		buf_reset(&out);
		assert_int_equal(orgkeys_epoch_create_named(&f->root, e.camera_id, NULL, "Gate", 1, 1,
		    NOW, pk, sk, &out), STMT_E_ARG);
		assert_int_equal(orgkeys_epoch_create_named(&f->root, e.camera_id, e.site_id,
		    "Ga\nte", 1, 1, NOW, pk, sk, &out), STMT_E_FORMAT);
		assert_int_equal(out.len, 0);
		assert_int_equal(orgkeys_epoch_create_named(&f->root, e.camera_id, e.site_id, "Gate",
		    1, 1, NOW, pk, sk, &out), 0);
		assert_int_equal(statement_verify(out.data, out.len, &f->trust, STMT_CAMERA_EPOCH,
		    NOW, &s), 0);
		assert_int_equal(s->u.camera_epoch.has_name, 1);
		assert_string_equal(s->u.camera_epoch.name, "Gate");
		assert_memory_equal(s->u.camera_epoch.epoch_pk, pk, STMT_KEY_LEN);
		statement_free(s);
		sodium_memzero(sk, sizeof(sk));
	}
	buf_free(&body);
	buf_free(&out);
}

static void test_member_scopes(void **state)
{
	struct fx *f = *state;
	struct stmt_member m;
	uint8_t target[STMT_TARGET_LEN];
	struct buf body, out;
	struct stmt *s = NULL;

	buf_init(&body, 4096);
	buf_init(&out, STMT_MAX_LEN);
	memset(&m, 0, sizeof(m));
	memset(m.user_id, 5, STMT_ID_LEN);
	m.role = STMT_ROLE_VIEWER;
	m.nscope = 2;
	memset(m.scope[0], 0xa, STMT_ID_LEN);
	memset(m.scope[1], 0xb, STMT_ID_LEN);
	statement_target_id(m.user_id, target);
	assert_int_equal(statement_body_member(&body, &m), 0);
	assert_int_equal(statement_sign(&f->root, STMT_MEMBER_ADD, target, 1, NOW, 0, body.data,
	    body.len, &out), 0);
	assert_int_equal(statement_verify(out.data, out.len, &f->trust, STMT_MEMBER_ADD, NOW, &s), 0);
	assert_int_equal(s->u.member.role, STMT_ROLE_VIEWER);
	assert_int_equal(s->u.member.nscope, 2);
	assert_int_equal(s->u.member.scope[1][0], 0xb);
	statement_free(s);
	/* member.remove must carry role none, member.add must not. */
	buf_reset(&out);
	assert_int_equal(statement_sign(&f->root, STMT_MEMBER_REMOVE, target, 2, NOW, 0, body.data,
	    body.len, &out), STMT_E_FORMAT);
	m.role = STMT_ROLE_NONE;
	buf_reset(&body);
	assert_int_equal(statement_body_member(&body, &m), 0);
	assert_int_equal(statement_sign(&f->root, STMT_MEMBER_ADD, target, 2, NOW, 0, body.data,
	    body.len, &out), STMT_E_FORMAT);
	m.nscope = STMT_SCOPE_MAX + 1;
	assert_int_equal(statement_body_member(&body, &m), STMT_E_FORMAT);
	buf_free(&body);
	buf_free(&out);
}

static void test_strerror(void **state)
{
	int e;

	for (e = 0; e >= STMT_E_ARG; e--)
		assert_string_not_equal(statement_strerror(e), "unknown error");
	assert_string_equal(statement_strerror(-1000), "unknown error");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_org_root_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fingerprint, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verify_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sign_refuses_bad_layout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_member_scopes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_camera_epoch_site, setup, teardown),
		cmocka_unit_test_setup_teardown(test_camera_epoch_name, setup, teardown),
		cmocka_unit_test(test_strerror),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
