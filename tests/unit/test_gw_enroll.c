/* test_gw_enroll.c - unit tests of the gateway's enrollment client: the server's answer checked against the typed fingerprint (substituted root, foreign or forged cert refused), and the files it leaves. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/buf.h"
#include "common/enroll.h"
#include "common/orgkeys.h"
#include "common/statement.h"
#include "common/util.h"
#include "gateway/config.h"
#include "gateway/enrollc.h"
#include "gateway/sigconfig.h"

#define NOW INT64_C(1700000000000000)

struct fx {
	struct stmt_signer root, admin;
	struct buf org_root, admin_cert;
	uint8_t site[STMT_ID_LEN];
	uint8_t gpk[32], gsk[64], gxpk[32];
	struct enroll_invite inv;
	struct enroll_code code;
	uint8_t req[ENROLL_REQUEST_LEN];
	char dir[64];
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
	assert_int_equal(enroll_invite_new(ENROLL_GATEWAY, f->root.pk, &f->inv), 0);
	assert_int_equal(enroll_code_parse(f->inv.code, f->inv.fingerprint, &f->code), 0);
	assert_int_equal(enroll_request_build(&f->code, ENROLL_GATEWAY, f->gpk, f->gxpk, f->req), 0);
	memcpy(f->dir, "/tmp/vigil-gwenroll.XXXXXX", 27);
	assert_non_null(mkdtemp(f->dir));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	const char *names[] = { ENROLLC_PIN_FILE, ENROLLC_STATE_FILE, ENROLLC_CONFIG_FILE,
		ENROLLC_KEY_FILE, NULL };
	char p[128];
	size_t i;

	for (i = 0; names[i] != NULL; i++) {
		snprintf(p, sizeof(p), "%s/%s", f->dir, names[i]);
		unlink(p);
	}
	rmdir(f->dir);
	statement_signer_wipe(&f->root);
	statement_signer_wipe(&f->admin);
	enroll_invite_wipe(&f->inv);
	enroll_code_wipe(&f->code);
	buf_free(&f->org_root);
	buf_free(&f->admin_cert);
	free(f);
	return 0;
}

/* The server's result answer as JSON; admin_cert NULL gives "admin_cert":null. */
static char *answer(const struct buf *root, const struct buf *admin, const struct buf *cert)
{
	size_t n = 2 * (root->len + (admin != NULL ? admin->len : 0) + cert->len) + 128;
	char *s = malloc(n), *hr = malloc(2 * root->len + 1), *hc = malloc(2 * cert->len + 1);
	char *ha = admin != NULL ? malloc(2 * admin->len + 1) : NULL;

	assert_non_null(s);
	hex_encode(root->data, root->len, hr);
	hex_encode(cert->data, cert->len, hc);
	if (ha != NULL)
		hex_encode(admin->data, admin->len, ha);
	if (ha != NULL)
		snprintf(s, n, "{\"org_root\":\"%s\",\"admin_cert\":\"%s\",\"cert\":\"%s\"}", hr, ha, hc);
	else
		snprintf(s, n, "{\"org_root\":\"%s\",\"admin_cert\":null,\"cert\":\"%s\"}", hr, hc);
	free(hr);
	free(hc);
	free(ha);
	return s;
}

static int check(struct fx *f, const char *ans, uint8_t root_pk[32], char *msg, size_t msglen)
{
	return enrollc_check_result(&f->code, (const uint8_t *)ans, strlen(ans), f->gpk, f->gxpk,
	    NOW, root_pk, msg, msglen);
}

static void test_good_answers(void **state)
{
	struct fx *f = *state;
	struct enroll_request r;
	struct buf cert;
	uint8_t root_pk[32];
	char msg[256], *a;

	buf_init(&cert, STMT_MAX_LEN);
	/* Signed by the root itself, admin_cert null. */
	assert_int_equal(enroll_accept_gateway(&f->inv, f->req, sizeof(f->req), &f->root, f->site, 1,
	    NOW, &r, &cert), 0);
	a = answer(&f->org_root, NULL, &cert);
	memset(root_pk, 0, sizeof(root_pk));
	assert_int_equal(check(f, a, root_pk, msg, sizeof(msg)), 0);
	assert_memory_equal(root_pk, f->root.pk, 32);
	free(a);
	/* Signed by a certified admin. */
	buf_reset(&cert);
	assert_int_equal(enroll_accept_gateway(&f->inv, f->req, sizeof(f->req), &f->admin, f->site,
	    2, NOW, &r, &cert), 0);
	a = answer(&f->org_root, &f->admin_cert, &cert);
	assert_int_equal(check(f, a, root_pk, msg, sizeof(msg)), 0);
	free(a);
	/* The same admin's cert without its admin.cert does not verify. */
	a = answer(&f->org_root, NULL, &cert);
	assert_int_equal(check(f, a, root_pk, msg, sizeof(msg)), STMT_E_ISSUER);
	assert_non_null(strstr(msg, "do not continue"));
	free(a);
	buf_free(&cert);
}

static void test_substituted_root(void **state)
{
	struct fx *f = *state;
	struct stmt_signer evil;
	struct enroll_invite inv2;
	struct enroll_request r;
	struct buf evil_root, cert;
	uint8_t root_pk[32];
	char msg[256], *a;

	buf_init(&evil_root, STMT_MAX_LEN);
	buf_init(&cert, STMT_MAX_LEN);
	/* The server's own org, with a valid cert for exactly this gateway's keys: only the
	 * fingerprint the installer typed catches it. The evil org needs our MAC key to sign
	 * a cert through enroll_accept_gateway, so it reuses our secret as the attacker who
	 * knows everything but the fingerprint would. */
	assert_int_equal(orgkeys_org_create("Acme", NOW, &evil, &evil_root), 0);
	memcpy(&inv2, &f->inv, sizeof(inv2));
	assert_int_equal(enroll_accept_gateway(&inv2, f->req, sizeof(f->req), &evil, f->site, 1,
	    NOW, &r, &cert), 0);
	a = answer(&evil_root, NULL, &cert);
	memset(root_pk, 0, sizeof(root_pk));
	assert_int_equal(check(f, a, root_pk, msg, sizeof(msg)), STMT_E_FINGERPRINT);
	assert_non_null(strstr(msg, "does not match the fingerprint you typed"));
	assert_non_null(strstr(msg, "do not continue"));
	assert_int_equal(sodium_is_zero(root_pk, sizeof(root_pk)), 1);
	free(a);
	/* The real root, with a cert the server signed with its own key. */
	a = answer(&f->org_root, NULL, &cert);
	assert_int_equal(check(f, a, root_pk, msg, sizeof(msg)), STMT_E_ORG);
	assert_non_null(strstr(msg, "not signed by the organization"));
	free(a);
	/* The real root and a self-made admin.cert vouching for the server's key. */
	{
		struct stmt_admin_cert ac;
		struct buf fake_ac;
		struct stmt_signer evil_admin;

		buf_init(&fake_ac, STMT_MAX_LEN);
		memset(&ac, 0, sizeof(ac));
		memcpy(ac.sign_pk, evil.pk, 32);
		ac.active = 1;
		orgkeys_signer_init(&evil_admin, evil.sk, f->root.org_id);
		assert_int_equal(orgkeys_admin_certify(&evil_admin, &ac, 1, NOW, &fake_ac), 0);
		buf_reset(&cert);
		assert_int_equal(enroll_accept_gateway(&inv2, f->req, sizeof(f->req), &evil_admin,
		    f->site, 1, NOW, &r, &cert), 0);
		a = answer(&f->org_root, &fake_ac, &cert);
		assert_int_not_equal(check(f, a, root_pk, msg, sizeof(msg)), 0);
		assert_non_null(strstr(msg, "do not continue"));
		free(a);
		statement_signer_wipe(&evil_admin);
		buf_free(&fake_ac);
	}
	statement_signer_wipe(&evil);
	buf_free(&evil_root);
	buf_free(&cert);
}

static void test_other_gateways_cert(void **state)
{
	struct fx *f = *state;
	struct enroll_invite inv2;
	struct enroll_code code2;
	struct enroll_request r;
	uint8_t opk[32], osk[64], oxpk[32], req2[ENROLL_REQUEST_LEN], root_pk[32];
	struct buf cert;
	char msg[256], *a;

	buf_init(&cert, STMT_MAX_LEN);
	/* A genuine cert of another gateway of the same org, served to us. */
	crypto_sign_keypair(opk, osk);
	assert_int_equal(crypto_sign_ed25519_pk_to_curve25519(oxpk, opk), 0);
	assert_int_equal(enroll_invite_new(ENROLL_GATEWAY, f->root.pk, &inv2), 0);
	assert_int_equal(enroll_code_parse(inv2.code, inv2.fingerprint, &code2), 0);
	assert_int_equal(enroll_request_build(&code2, ENROLL_GATEWAY, opk, oxpk, req2), 0);
	assert_int_equal(enroll_accept_gateway(&inv2, req2, sizeof(req2), &f->root, f->site, 1, NOW,
	    &r, &cert), 0);
	a = answer(&f->org_root, NULL, &cert);
	assert_int_equal(check(f, a, root_pk, msg, sizeof(msg)), STMT_E_TARGET);
	assert_non_null(strstr(msg, "not for this gateway's key"));
	free(a);
	enroll_invite_wipe(&inv2);
	enroll_code_wipe(&code2);
	buf_free(&cert);
}

static void test_malformed_answers(void **state)
{
	struct fx *f = *state;
	static const char *bad[] = {
		"", "null", "[]", "{}", "{\"org_root\":\"zz\",\"cert\":\"00\"}",
		"{\"org_root\":\"0\",\"admin_cert\":null,\"cert\":\"00\"}",
		"{\"org_root\":\"00\",\"admin_cert\":7,\"cert\":\"00\"}",
		"{\"org_root\":\"00\",\"admin_cert\":null,\"cert\":\"00\"}",
		"{\"org_root\":\"00\",\"org_root\":\"00\",\"cert\":\"00\"}",
		NULL };
	uint8_t root_pk[32];
	char msg[256];
	size_t i;

	for (i = 0; bad[i] != NULL; i++) {
		assert_int_not_equal(check(f, bad[i], root_pk, msg, sizeof(msg)), 0);
		assert_non_null(strstr(msg, "do not continue"));
	}
}

static void test_files(void **state)
{
	struct fx *f = *state;
	struct stmt_signer other;
	struct buf other_root;
	struct sigconfig *sc = NULL;
	struct config *c = NULL;
	uint8_t pin[32];
	char p[128], err[256], msg[256];
	struct stat st;

	assert_int_equal(enrollc_write_files("relative/dir", "http://127.0.0.1:1", f->root.pk, msg,
	    sizeof(msg)), -1);
	assert_int_equal(enrollc_write_files(f->dir, "http://127.0.0.1:1", f->root.pk, msg,
	    sizeof(msg)), 0);
	snprintf(p, sizeof(p), "%s/%s", f->dir, ENROLLC_PIN_FILE);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 077, 0);
	assert_int_equal(enrollc_pin_load(p, pin), 0);
	assert_memory_equal(pin, f->root.pk, 32);
	snprintf(p, sizeof(p), "%s/none.pin", f->dir);
	assert_int_equal(enrollc_pin_load(p, pin), 1);
	/* The local configuration has no cameras: valid only with the enrolled option. */
	snprintf(p, sizeof(p), "%s/%s", f->dir, ENROLLC_CONFIG_FILE);
	assert_int_equal(config_load(p, &c, err, sizeof(err)), -1);
	assert_int_equal(config_load_opts(p, CONFIG_ALLOW_NO_CAMERAS, &c, err, sizeof(err)), 0);
	assert_int_equal(c->ncameras, 0);
	assert_string_equal(c->server, "http://127.0.0.1:1");
	assert_int_equal(c->key_file[0], '/');
	config_free(c);
	/* The replay counter is bound to this org: open with its root, refused with another. */
	snprintf(p, sizeof(p), "%s/%s", f->dir, ENROLLC_STATE_FILE);
	assert_int_equal(sigconfig_open(&sc, f->root.pk, f->gsk, p), 0);
	{
		int has = 0;
		assert_int_equal(sigconfig_last_seq(sc, &has), 0);
		assert_int_equal(has, 1);
	}
	sigconfig_close(sc);
	buf_init(&other_root, STMT_MAX_LEN);
	assert_int_equal(orgkeys_org_create("Other", NOW, &other, &other_root), 0);
	assert_int_equal(sigconfig_open(&sc, other.pk, f->gsk, p), STMT_E_IO);
	statement_signer_wipe(&other);
	buf_free(&other_root);
}

static void test_key_files(void **state)
{
	struct fx *f = *state;
	uint8_t sk[64], sk2[64];
	char p[128];

	snprintf(p, sizeof(p), "%s/%s", f->dir, ENROLLC_KEY_FILE);
	assert_int_equal(enrollc_key_create(p, sk), 0);
	assert_int_equal(enrollc_key_create(p, sk2), -1);   /* never overwrites */
	assert_int_equal(enrollc_key_load(p, sk2), 0);
	assert_memory_equal(sk, sk2, 64);
	assert_int_equal(chmod(p, 0644), 0);
	assert_int_equal(enrollc_key_load(p, sk2), -1);      /* readable by others: refused */
	sodium_memzero(sk, sizeof(sk));
	sodium_memzero(sk2, sizeof(sk2));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_good_answers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_substituted_root, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_gateways_cert, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_answers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_files, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
