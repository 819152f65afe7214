/* test_enroll.c - unit tests of one-time-secret enrollment, with a simulated malicious server swapping keys in each direction. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/buf.h"
#include "common/enroll.h"
#include "common/orgkeys.h"
#include "common/statement.h"

#define NOW INT64_C(1700000000000000)

struct fx {
	struct stmt_signer root, admin;
	struct buf org_root, admin_cert;
	uint8_t site[STMT_ID_LEN];
	/* The gateway being enrolled. */
	uint8_t gpk[32], gsk[64], gxpk[32];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct stmt_admin_cert ac;
	uint8_t sk[64], pk[32];

	assert_int_equal(sodium_init() >= 0, 1);
	buf_init(&f->org_root, STMT_MAX_LEN);
	buf_init(&f->admin_cert, STMT_MAX_LEN);
	assert_int_equal(orgkeys_org_create("Acme", NOW, &f->root, &f->org_root), 0);
	crypto_sign_keypair(pk, sk);
	orgkeys_signer_init(&f->admin, sk, f->root.org_id);
	sodium_memzero(sk, sizeof(sk));
	memset(&ac, 0, sizeof(ac));
	memcpy(ac.sign_pk, f->admin.pk, 32);
	ac.active = 1;
	assert_int_equal(orgkeys_admin_certify(&f->root, &ac, 1, NOW, &f->admin_cert), 0);
	randombytes_buf(f->site, sizeof(f->site));
	crypto_sign_keypair(f->gpk, f->gsk);
	assert_int_equal(crypto_sign_ed25519_pk_to_curve25519(f->gxpk, f->gpk), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	statement_signer_wipe(&f->root);
	statement_signer_wipe(&f->admin);
	buf_free(&f->org_root);
	buf_free(&f->admin_cert);
	sodium_memzero(f->gsk, sizeof(f->gsk));
	free(f);
	return 0;
}

/* Pull "--flag VALUE" out of the shown command line. */
static void arg_of(const char *cmd, const char *flag, char *out, size_t outlen)
{
	const char *p = strstr(cmd, flag);
	size_t n;

	assert_non_null(p);
	p += strlen(flag) + 1;
	n = strcspn(p, " ");
	assert_true(n < outlen);
	memcpy(out, p, n);
	out[n] = '\0';
}

static void test_gateway_happy_path(void **state)
{
	struct fx *f = *state;
	struct enroll_invite inv;
	struct enroll_code code;
	struct enroll_request r;
	uint8_t req[ENROLL_REQUEST_LEN], root_pk[32];
	char cmd[512], c[128], fp[128];
	struct buf cert;

	buf_init(&cert, STMT_MAX_LEN);
	/* Admin's client: the invitation and the one line to show. */
	assert_int_equal(enroll_invite_new(ENROLL_GATEWAY, f->root.pk, &inv), 0);
	assert_int_equal(enroll_command(&inv, "https://vigil.example", cmd, sizeof(cmd)), 0);
	assert_non_null(strstr(cmd, "vigil-gateway enroll --server https://vigil.example --code "));
	arg_of(cmd, "--code", c, sizeof(c));
	arg_of(cmd, "--org", fp, sizeof(fp));
	assert_int_equal(strlen(c), 64);
	assert_int_equal(enroll_command(&inv, "http://a b", cmd, sizeof(cmd)), STMT_E_ARG);
	assert_int_equal(enroll_command(&inv, "https://vigil.example", cmd, 20), STMT_E_ARG);

	/* Gateway: parse, build the request. */
	assert_int_equal(enroll_code_parse(c, fp, &code), 0);
	assert_memory_equal(code.id, inv.id, ENROLL_ID_LEN);
	assert_int_equal(enroll_request_build(&code, ENROLL_GATEWAY, f->gpk, f->gxpk, req), 0);
	/* Nothing in the request or the verifier is the secret. */
	assert_null(memmem(req, sizeof(req), inv.secret, 8));
	assert_null(memmem(inv.verifier, sizeof(inv.verifier), inv.secret, 8));

	/* Server: only id and verifier; the token checks, a guess does not. */
	assert_int_equal(enroll_request_parse(req, sizeof(req), &r), 0);
	assert_int_equal(enroll_server_check(inv.verifier, r.token), 0);
	{
		uint8_t guess[ENROLL_TOKEN_LEN];
		randombytes_buf(guess, sizeof(guess));
		assert_int_equal(enroll_server_check(inv.verifier, guess), STMT_E_MAC);
	}

	/* Admin's client: MAC, then the gateway.cert signed by the admin. */
	assert_int_equal(enroll_accept_gateway(&inv, req, sizeof(req), &f->admin, f->site, 1, NOW,
	    &r, &cert), 0);
	assert_memory_equal(r.sign_pk, f->gpk, 32);

	/* Gateway: pin the root against the fingerprint, check the cert names its key. */
	assert_int_equal(enroll_finish(&code, f->org_root.data, f->org_root.len,
	    f->admin_cert.data, f->admin_cert.len, cert.data, cert.len, ENROLL_GATEWAY, f->gpk,
	    f->gxpk, NOW, root_pk), 0);
	assert_memory_equal(root_pk, f->root.pk, 32);
	enroll_invite_wipe(&inv);
	enroll_code_wipe(&code);
	buf_free(&cert);
}

static void test_user_happy_path_root_signed(void **state)
{
	struct fx *f = *state;
	struct enroll_invite inv;
	struct enroll_code code;
	struct enroll_request r;
	uint8_t req[ENROLL_REQUEST_LEN], root_pk[32], upk[32], usk[64], bpk[32], bsk[32], uid[16];
	char cmd[512], c[128], fp[128];
	struct buf cert;
	struct stmt_trust t;
	struct stmt *s = NULL;

	buf_init(&cert, STMT_MAX_LEN);
	crypto_sign_keypair(upk, usk);
	crypto_box_keypair(bpk, bsk);
	randombytes_buf(uid, sizeof(uid));
	assert_int_equal(enroll_invite_new(ENROLL_USER, f->root.pk, &inv), 0);
	assert_int_equal(enroll_command(&inv, "https://v.example", cmd, sizeof(cmd)), 0);
	assert_non_null(strstr(cmd, "vigil join --server https://v.example"));
	arg_of(cmd, "--code", c, sizeof(c));
	arg_of(cmd, "--org", fp, sizeof(fp));
	assert_int_equal(enroll_code_parse(c, fp, &code), 0);
	assert_int_equal(enroll_request_build(&code, ENROLL_USER, upk, bpk, req), 0);
	assert_int_equal(enroll_accept_user(&inv, req, sizeof(req), &f->root, uid,
	    STMT_ROLE_VIEWER, 1, NOW, &r, &cert), 0);
	assert_int_equal(enroll_finish(&code, f->org_root.data, f->org_root.len, NULL, 0, cert.data,
	    cert.len, ENROLL_USER, upk, bpk, NOW, root_pk), 0);
	statement_trust_init(&t, root_pk);
	assert_int_equal(statement_verify(cert.data, cert.len, &t, STMT_MEMBER_ADD, NOW, &s), 0);
	assert_memory_equal(s->u.member.box_pk, bpk, 32);
	assert_int_equal(s->u.member.role, STMT_ROLE_VIEWER);
	statement_free(s);
	/* A gateway invitation cannot be used to join as a user, nor the reverse. */
	assert_int_equal(enroll_accept_gateway(&inv, req, sizeof(req), &f->root, f->site, 2, NOW,
	    &r, &cert), STMT_E_ARG);
	enroll_invite_wipe(&inv);
	enroll_code_wipe(&code);
	sodium_memzero(usk, sizeof(usk));
	sodium_memzero(bsk, sizeof(bsk));
	buf_free(&cert);
}

/* Server -> admin direction: the server swaps the newcomer's keys, or forges a request. */
static void test_malicious_server_swaps_newcomer_key(void **state)
{
	struct fx *f = *state;
	struct enroll_invite inv;
	struct enroll_code code;
	struct enroll_request r;
	uint8_t req[ENROLL_REQUEST_LEN], evil[ENROLL_REQUEST_LEN], spk[32], ssk[64], sxpk[32];
	struct buf cert;

	buf_init(&cert, STMT_MAX_LEN);
	crypto_sign_keypair(spk, ssk);
	assert_int_equal(crypto_sign_ed25519_pk_to_curve25519(sxpk, spk), 0);
	assert_int_equal(enroll_invite_new(ENROLL_GATEWAY, f->root.pk, &inv), 0);
	assert_int_equal(enroll_code_parse(inv.code, inv.fingerprint, &code), 0);
	assert_int_equal(enroll_request_build(&code, ENROLL_GATEWAY, f->gpk, f->gxpk, req), 0);

	/* 1. Replace the sign and box keys in the genuine request. */
	memcpy(evil, req, sizeof(req));
	memcpy(evil + 2 + ENROLL_ID_LEN, spk, 32);
	memcpy(evil + 2 + ENROLL_ID_LEN + 32, sxpk, 32);
	assert_int_equal(enroll_accept_gateway(&inv, evil, sizeof(evil), &f->admin, f->site, 1, NOW,
	    &r, &cert), STMT_E_MAC);
	assert_int_equal(cert.len, 0);
	/* 2. Its own request from what it knows (id, verifier, token): the token is not the
	 * MAC key, so a request MAC'd with it fails. */
	{
		struct enroll_code fake;
		enroll_request_parse(req, sizeof(req), &r);
		memset(&fake, 0, sizeof(fake));
		memcpy(fake.id, inv.id, ENROLL_ID_LEN);
		memcpy(fake.secret, r.token, 32);
		memcpy(fake.fingerprint, inv.fingerprint, STMT_FINGERPRINT_LEN);
		assert_int_equal(enroll_request_build(&fake, ENROLL_GATEWAY, spk, sxpk, evil), 0);
		assert_int_equal(enroll_accept_gateway(&inv, evil, sizeof(evil), &f->admin, f->site, 1,
		    NOW, &r, &cert), STMT_E_MAC);
		memcpy(fake.secret, inv.verifier, 32);
		assert_int_equal(enroll_request_build(&fake, ENROLL_GATEWAY, spk, sxpk, evil), 0);
		assert_int_equal(enroll_accept_gateway(&inv, evil, sizeof(evil), &f->admin, f->site, 1,
		    NOW, &r, &cert), STMT_E_MAC);
	}
	/* 3. Told the newcomer a different org fingerprint (its own org): the MAC covers it. */
	{
		struct stmt_signer evil_root;
		struct buf er;
		struct enroll_code c2;
		char efp[STMT_FINGERPRINT_LEN];
		buf_init(&er, STMT_MAX_LEN);
		assert_int_equal(orgkeys_org_create("Evil", NOW, &evil_root, &er), 0);
		statement_fingerprint(evil_root.pk, efp);
		assert_int_equal(enroll_code_parse(inv.code, efp, &c2), 0);
		assert_int_equal(enroll_request_build(&c2, ENROLL_GATEWAY, f->gpk, f->gxpk, evil), 0);
		assert_int_equal(enroll_accept_gateway(&inv, evil, sizeof(evil), &f->admin, f->site, 1,
		    NOW, &r, &cert), STMT_E_MAC);
		statement_signer_wipe(&evil_root);
		buf_free(&er);
	}
	/* 4. Routes the request to another invitation (other id). */
	{
		struct enroll_invite inv2;
		assert_int_equal(enroll_invite_new(ENROLL_GATEWAY, f->root.pk, &inv2), 0);
		assert_int_equal(enroll_accept_gateway(&inv2, req, sizeof(req), &f->admin, f->site, 1,
		    NOW, &r, &cert), STMT_E_MAC);
		enroll_invite_wipe(&inv2);
	}
	/* 5. Garbage and truncation. */
	assert_int_equal(enroll_accept_gateway(&inv, req, sizeof(req) - 1, &f->admin, f->site, 1,
	    NOW, &r, &cert), STMT_E_FORMAT);
	/* The genuine request still goes through. */
	assert_int_equal(enroll_accept_gateway(&inv, req, sizeof(req), &f->admin, f->site, 1, NOW,
	    &r, &cert), 0);
	enroll_invite_wipe(&inv);
	enroll_code_wipe(&code);
	sodium_memzero(ssk, sizeof(ssk));
	buf_free(&cert);
}

/* Server -> newcomer direction: the server substitutes the org root, the admin or the cert. */
static void test_malicious_server_swaps_org_root(void **state)
{
	struct fx *f = *state;
	struct enroll_invite inv;
	struct enroll_code code;
	struct enroll_request r;
	struct stmt_signer evil_root;
	uint8_t req[ENROLL_REQUEST_LEN], root_pk[32];
	struct buf cert, er, ecert, other_cert;

	buf_init(&cert, STMT_MAX_LEN);
	buf_init(&er, STMT_MAX_LEN);
	buf_init(&ecert, STMT_MAX_LEN);
	buf_init(&other_cert, STMT_MAX_LEN);
	assert_int_equal(enroll_invite_new(ENROLL_GATEWAY, f->root.pk, &inv), 0);
	assert_int_equal(enroll_code_parse(inv.code, inv.fingerprint, &code), 0);
	assert_int_equal(enroll_request_build(&code, ENROLL_GATEWAY, f->gpk, f->gxpk, req), 0);
	assert_int_equal(enroll_accept_gateway(&inv, req, sizeof(req), &f->admin, f->site, 1, NOW,
	    &r, &cert), 0);

	/* The server's own org root and a cert it signed for the gateway. */
	assert_int_equal(orgkeys_org_create("Acme", NOW, &evil_root, &er), 0);
	{
		struct stmt_gateway_cert gc;
		struct buf body;
		buf_init(&body, 1024);
		memcpy(gc.gateway_pk, f->gpk, 32);
		memcpy(gc.site_id, f->site, STMT_ID_LEN);
		assert_int_equal(statement_body_gateway_cert(&body, &gc), 0);
		assert_int_equal(statement_sign(&evil_root, STMT_GATEWAY_CERT, f->gpk, 1, NOW, 0,
		    body.data, body.len, &ecert), 0);
		buf_free(&body);
	}
	assert_int_equal(enroll_finish(&code, er.data, er.len, NULL, 0, ecert.data, ecert.len,
	    ENROLL_GATEWAY, f->gpk, f->gxpk, NOW, root_pk), STMT_E_FINGERPRINT);
	/* The real root with the server's cert: not signed by the org. */
	assert_int_equal(enroll_finish(&code, f->org_root.data, f->org_root.len, NULL, 0,
	    ecert.data, ecert.len, ENROLL_GATEWAY, f->gpk, f->gxpk, NOW, root_pk), STMT_E_ORG);
	{
		/* A cert claiming the real org but signed by a server key. */
		struct stmt_signer fake = evil_root;
		struct buf fc, body;
		struct stmt_gateway_cert gc;
		memcpy(fake.org_id, f->root.org_id, STMT_ORG_ID_LEN);
		buf_init(&fc, STMT_MAX_LEN);
		buf_init(&body, 1024);
		memcpy(gc.gateway_pk, f->gpk, 32);
		memcpy(gc.site_id, f->site, STMT_ID_LEN);
		assert_int_equal(statement_body_gateway_cert(&body, &gc), 0);
		assert_int_equal(statement_sign(&fake, STMT_GATEWAY_CERT, f->gpk, 1, NOW, 0, body.data,
		    body.len, &fc), 0);
		assert_int_equal(enroll_finish(&code, f->org_root.data, f->org_root.len, NULL, 0,
		    fc.data, fc.len, ENROLL_GATEWAY, f->gpk, f->gxpk, NOW, root_pk), STMT_E_ISSUER);
		/* And passed off as an admin with a self-made admin.cert. */
		{
			struct stmt_admin_cert ac;
			struct buf eac;
			memset(&ac, 0, sizeof(ac));
			memcpy(ac.sign_pk, fake.pk, 32);
			ac.active = 1;
			buf_init(&eac, STMT_MAX_LEN);
			assert_int_equal(orgkeys_admin_certify(&fake, &ac, 1, NOW, &eac), 0);
			assert_int_equal(enroll_finish(&code, f->org_root.data, f->org_root.len,
			    eac.data, eac.len, fc.data, fc.len, ENROLL_GATEWAY, f->gpk, f->gxpk, NOW,
			    root_pk), STMT_E_UNCERTIFIED);
			buf_free(&eac);
		}
		statement_signer_wipe(&fake);
		buf_free(&fc);
		buf_free(&body);
	}
	/* The admin's cert withheld: the admin's signature is not trusted. */
	assert_int_equal(enroll_finish(&code, f->org_root.data, f->org_root.len, NULL, 0, cert.data,
	    cert.len, ENROLL_GATEWAY, f->gpk, f->gxpk, NOW, root_pk), STMT_E_ISSUER);
	/* A genuine cert for another gateway (another enrollment) served to this one. */
	{
		uint8_t opk[32], osk[64], oxpk[32], oreq[ENROLL_REQUEST_LEN];
		struct enroll_invite inv2;
		struct enroll_code code2;
		crypto_sign_keypair(opk, osk);
		assert_int_equal(crypto_sign_ed25519_pk_to_curve25519(oxpk, opk), 0);
		assert_int_equal(enroll_invite_new(ENROLL_GATEWAY, f->root.pk, &inv2), 0);
		assert_int_equal(enroll_code_parse(inv2.code, inv2.fingerprint, &code2), 0);
		assert_int_equal(enroll_request_build(&code2, ENROLL_GATEWAY, opk, oxpk, oreq), 0);
		assert_int_equal(enroll_accept_gateway(&inv2, oreq, sizeof(oreq), &f->admin, f->site, 2,
		    NOW, &r, &other_cert), 0);
		assert_int_equal(enroll_finish(&code, f->org_root.data, f->org_root.len,
		    f->admin_cert.data, f->admin_cert.len, other_cert.data, other_cert.len,
		    ENROLL_GATEWAY, f->gpk, f->gxpk, NOW, root_pk), STMT_E_TARGET);
		enroll_invite_wipe(&inv2);
		enroll_code_wipe(&code2);
		sodium_memzero(osk, sizeof(osk));
	}
	/* A non-root statement served as the org root. */
	assert_int_equal(enroll_finish(&code, cert.data, cert.len, NULL, 0, cert.data, cert.len,
	    ENROLL_GATEWAY, f->gpk, f->gxpk, NOW, root_pk), STMT_E_TYPE);
	/* The genuine set passes. */
	assert_int_equal(enroll_finish(&code, f->org_root.data, f->org_root.len, f->admin_cert.data,
	    f->admin_cert.len, cert.data, cert.len, ENROLL_GATEWAY, f->gpk, f->gxpk, NOW, root_pk), 0);
	statement_signer_wipe(&evil_root);
	enroll_invite_wipe(&inv);
	enroll_code_wipe(&code);
	buf_free(&cert);
	buf_free(&er);
	buf_free(&ecert);
	buf_free(&other_cert);
}

static void test_code_parse_errors(void **state)
{
	struct fx *f = *state;
	struct enroll_invite inv;
	struct enroll_code code;
	char c[ENROLL_CODE_LEN + 2];

	assert_int_equal(enroll_invite_new(ENROLL_GATEWAY, f->root.pk, &inv), 0);
	assert_int_equal(enroll_invite_new(9, f->root.pk, &inv), STMT_E_ARG);
	assert_int_equal(enroll_invite_new(ENROLL_GATEWAY, f->root.pk, &inv), 0);
	memcpy(c, inv.code, ENROLL_CODE_LEN);
	assert_int_equal(enroll_code_parse(c, "12345", &code), STMT_E_FORMAT);
	c[10] = '+';
	assert_int_equal(enroll_code_parse(c, inv.fingerprint, &code), STMT_E_FORMAT);
	memcpy(c, inv.code, ENROLL_CODE_LEN);
	c[63] = '\0';
	assert_int_equal(enroll_code_parse(c, inv.fingerprint, &code), STMT_E_FORMAT);
	memcpy(c, inv.code, ENROLL_CODE_LEN);
	c[64] = 'A';
	c[65] = '\0';
	assert_int_equal(enroll_code_parse(c, inv.fingerprint, &code), STMT_E_FORMAT);
	assert_int_equal(enroll_code_parse(NULL, inv.fingerprint, &code), STMT_E_FORMAT);
	assert_int_equal(enroll_code_parse(inv.code, inv.fingerprint, &code), 0);
	enroll_invite_wipe(&inv);
	enroll_code_wipe(&code);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_gateway_happy_path, setup, teardown),
		cmocka_unit_test_setup_teardown(test_user_happy_path_root_signed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malicious_server_swaps_newcomer_key, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_malicious_server_swaps_org_root, setup, teardown),
		cmocka_unit_test_setup_teardown(test_code_parse_errors, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
