/* test_gw_cfgfetch.c - unit tests of the gateway's signed-configuration fetcher: server answers with replayed, older, foreign, forged and misaddressed statements are refused and the last good configuration is kept, across restarts too. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/buf.h"
#include "common/orgkeys.h"
#include "common/statement.h"
#include "common/util.h"
#include "gateway/cfgfetch.h"
#include "gateway/config.h"

#define NOW INT64_C(1700000000000000)
#define ID1 "00112233445566778899aabbccddeeff"
#define ID2 "ffeeddccbbaa99887766554433221100"

struct fx {
	struct stmt_signer root, admin;
	struct buf org_root, admin_cert;
	uint8_t gpk[32], gsk[64];
	char dir[64], state[128], last[128];
	struct config local;
	char server[32], key_file[32], spool[32];
	struct cfgfetch *cf;
};

static void fx_open(struct fx *f)
{
	struct cfgfetch_params p;
	char err[256];

	memset(&p, 0, sizeof(p));
	p.server_url = f->server;
	p.sk = f->gsk;
	p.root_pk = f->root.pk;
	p.state_path = f->state;
	p.last_path = f->last;
	p.local = &f->local;
	assert_int_equal(cfgfetch_open(&f->cf, &p, err, sizeof(err)), 0);
}

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
	crypto_sign_keypair(f->gpk, f->gsk);
	memcpy(f->dir, "/tmp/vigil-cfgfetch.XXXXXX", 27);
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->state, sizeof(f->state), "%s/sigconfig.state", f->dir);
	snprintf(f->last, sizeof(f->last), "%s/sigconfig.last", f->dir);
	memcpy(f->server, "http://127.0.0.1:8080", 22);
	memcpy(f->key_file, "/var/lib/vigil/gw.key", 22);
	memcpy(f->spool, "/var/lib/vigil/spool", 21);
	f->local.server = f->server;
	f->local.key_file = f->key_file;
	f->local.spool_dir = f->spool;
	f->local.spool_max_bytes = 1u << 30;
	f->local.segment_target_ms = 2000;
	fx_open(f);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char p[160];

	cfgfetch_close(f->cf);
	unlink(f->state);
	unlink(f->last);
	snprintf(p, sizeof(p), "%s.boot", f->state);
	unlink(p);
	rmdir(f->dir);
	statement_signer_wipe(&f->root);
	statement_signer_wipe(&f->admin);
	buf_free(&f->org_root);
	buf_free(&f->admin_cert);
	free(f);
	return 0;
}

/* A config body for one camera with the given id and epoch (epoch pk = epoch byte). */
static void body_for(char *out, size_t n, const char *id, uint32_t epoch)
{
	char pk[65];
	uint8_t b[32];

	memset(b, (int)epoch, sizeof(b));
	hex_encode(b, 32, pk);
	snprintf(out, n, "{\"cameras\":[{\"name\":\"cam-%u\",\"id\":\"%s\",\"epoch\":%u,"
	    "\"epoch_public_key\":\"%s\",\"streams\":[{\"index\":0,"
	    "\"url\":\"rtsp://u:pw@10.0.0.5/main\"}]}]}", epoch, id, epoch, pk);
}

static void sealed(const struct stmt_signer *s, uint8_t type, const uint8_t *gw, uint64_t seq,
    const char *plain, struct buf *out)
{
	buf_reset(out);
	assert_int_equal(orgkeys_gateway_sealed(s, type, gw, seq, NOW, 0, plain, strlen(plain),
	    out), 0);
}

static char *hexdup(const struct buf *b)
{
	char *h = malloc(2 * b->len + 1);

	assert_non_null(h);
	hex_encode(b->data, b->len, h);
	return h;
}

/* The server's answer: org_root, admin_certs (the admin's when with_admin), config (may
 * be NULL) and commands. */
static int apply(struct fx *f, int with_admin, const struct buf *cfg, const struct buf *cmds,
    size_t ncmds)
{
	struct buf a;
	char *h;
	size_t i;
	int rc;

	buf_init(&a, 4u << 20);
	h = hexdup(&f->org_root);
	assert_int_equal(buf_put(&a, "{\"org_root\":\"", 13), 0);
	assert_int_equal(buf_put(&a, h, strlen(h)), 0);
	free(h);
	assert_int_equal(buf_put(&a, "\",\"admin_certs\":[", 17), 0);
	if (with_admin) {
		h = hexdup(&f->admin_cert);
		assert_int_equal(buf_put(&a, "\"", 1), 0);
		assert_int_equal(buf_put(&a, h, strlen(h)), 0);
		assert_int_equal(buf_put(&a, "\"", 1), 0);
		free(h);
	}
	assert_int_equal(buf_put(&a, "],\"config\":", 11), 0);
	if (cfg == NULL) {
		assert_int_equal(buf_put(&a, "null", 4), 0);
	} else {
		h = hexdup(cfg);
		assert_int_equal(buf_put(&a, "\"", 1), 0);
		assert_int_equal(buf_put(&a, h, strlen(h)), 0);
		assert_int_equal(buf_put(&a, "\"", 1), 0);
		free(h);
	}
	assert_int_equal(buf_put(&a, ",\"commands\":[", 13), 0);
	for (i = 0; i < ncmds; i++) {
		h = hexdup(&cmds[i]);
		if (i > 0)
			assert_int_equal(buf_put(&a, ",", 1), 0);
		assert_int_equal(buf_put(&a, "\"", 1), 0);
		assert_int_equal(buf_put(&a, h, strlen(h)), 0);
		assert_int_equal(buf_put(&a, "\"", 1), 0);
		free(h);
	}
	assert_int_equal(buf_put(&a, "]}", 2), 0);
	rc = cfgfetch_apply(f->cf, a.data, a.len, NOW);
	buf_free(&a);
	return rc;
}

/* Take the pending config and check its one camera's epoch; -1 when none. */
static int take_epoch(struct fx *f)
{
	struct config *c = NULL;
	struct sigconfig_settings st;
	int e;

	if (cfgfetch_take(f->cf, &c, &st) != 1)
		return -1;
	assert_int_equal(c->ncameras, 1);
	assert_string_equal(c->server, f->server);
	e = (int)c->cameras[0].epoch;
	assert_int_equal(c->cameras[0].epoch_pk[0], (uint8_t)e);
	config_free(c);
	return e;
}

static void test_apply_and_repeat(void **state)
{
	struct fx *f = *state;
	struct cfgfetch_stats st;
	struct buf s;
	char body[512];

	buf_init(&s, STMT_MAX_LEN);
	assert_int_equal(take_epoch(f), -1);            /* nothing before a signed config */
	body_for(body, sizeof(body), ID1, 1);
	sealed(&f->root, STMT_GATEWAY_CONFIG, f->gpk, 1, body, &s);
	assert_int_equal(apply(f, 0, &s, NULL, 0), 1);
	assert_int_equal(cfgfetch_seq(f->cf), 1);
	assert_int_equal(take_epoch(f), 1);
	assert_int_equal(take_epoch(f), -1);            /* handed out once */
	/* The same answer on the next poll: nothing new, nothing refused. */
	assert_int_equal(apply(f, 0, &s, NULL, 0), 0);
	assert_int_equal(apply(f, 0, NULL, NULL, 0), 0);
	cfgfetch_get_stats(f->cf, &st);
	assert_int_equal(st.configs_applied, 1);
	assert_int_equal(st.configs_refused, 0);
	/* A rotated epoch key, signed by a certified admin (its cert in the answer). */
	body_for(body, sizeof(body), ID1, 2);
	sealed(&f->admin, STMT_GATEWAY_CONFIG, f->gpk, 2, body, &s);
	assert_int_equal(apply(f, 0, &s, NULL, 0), 0);  /* admin not certified: refused */
	assert_int_equal(take_epoch(f), -1);
	sealed(&f->admin, STMT_GATEWAY_CONFIG, f->gpk, 3, body, &s);
	assert_int_equal(apply(f, 1, &s, NULL, 0), 1);
	assert_int_equal(take_epoch(f), 2);
	assert_int_equal(cfgfetch_seq(f->cf), 3);
	buf_free(&s);
}

static void test_refusals_keep_last_good(void **state)
{
	struct fx *f = *state;
	struct stmt_signer other, stranger;
	struct buf s, old, other_root;
	struct cfgfetch_stats st;
	uint8_t opk[32], osk[64], sk[64], pk[32];
	char body[512];

	buf_init(&s, STMT_MAX_LEN);
	buf_init(&old, STMT_MAX_LEN);
	buf_init(&other_root, STMT_MAX_LEN);
	body_for(body, sizeof(body), ID1, 3);
	sealed(&f->root, STMT_GATEWAY_CONFIG, f->gpk, 4, &body[0], &old);
	body_for(body, sizeof(body), ID1, 5);
	sealed(&f->root, STMT_GATEWAY_CONFIG, f->gpk, 5, body, &s);
	assert_int_equal(apply(f, 0, &s, NULL, 0), 1);
	assert_int_equal(take_epoch(f), 5);

	/* Older (seq 4 after 5), though genuinely signed. */
	assert_int_equal(apply(f, 0, &old, NULL, 0), 0);
	/* Another org's config, for this very gateway, validly signed by that org. */
	assert_int_equal(orgkeys_org_create("Other", NOW, &other, &other_root), 0);
	body_for(body, sizeof(body), ID2, 7);
	sealed(&other, STMT_GATEWAY_CONFIG, f->gpk, 9, body, &s);
	assert_int_equal(apply(f, 0, &s, NULL, 0), 0);
	/* Our org's config for another gateway. */
	crypto_sign_keypair(opk, osk);
	sealed(&f->root, STMT_GATEWAY_CONFIG, opk, 10, body, &s);
	assert_int_equal(apply(f, 0, &s, NULL, 0), 0);
	/* Signed by a key the org never certified, labelled with our org id. */
	crypto_sign_keypair(pk, sk);
	orgkeys_signer_init(&stranger, sk, f->root.org_id);
	sealed(&stranger, STMT_GATEWAY_CONFIG, f->gpk, 11, body, &s);
	assert_int_equal(apply(f, 0, &s, NULL, 0), 0);
	/* Unsigned: a genuine statement with its signature zeroed. */
	sealed(&f->root, STMT_GATEWAY_CONFIG, f->gpk, 12, body, &s);
	memset(s.data + s.len - STMT_SIG_LEN, 0, STMT_SIG_LEN);
	assert_int_equal(apply(f, 0, &s, NULL, 0), 0);
	/* A command where a config is expected. */
	sealed(&f->root, STMT_GATEWAY_COMMAND, f->gpk, 13, "{\"command\":\"x\"}", &s);
	assert_int_equal(apply(f, 0, &s, NULL, 0), 0);

	cfgfetch_get_stats(f->cf, &st);
	assert_int_equal(st.configs_applied, 1);
	assert_int_equal(st.configs_refused, 6);
	assert_int_equal(take_epoch(f), -1);            /* nothing replaced the good one */
	assert_int_equal(cfgfetch_seq(f->cf), 5);       /* no refusal moved the counter */

	/* The same refused answer again is not re-counted (logged once). */
	assert_int_equal(apply(f, 0, &s, NULL, 0), 0);
	cfgfetch_get_stats(f->cf, &st);
	assert_int_equal(st.configs_refused, 6);

	/* Restart: the last good configuration comes back, re-verified, before any answer;
	 * the server then replaying it is not a refusal. */
	cfgfetch_close(f->cf);
	f->cf = NULL;
	fx_open(f);
	assert_int_equal(take_epoch(f), 5);
	body_for(body, sizeof(body), ID1, 5);
	sealed(&f->root, STMT_GATEWAY_CONFIG, f->gpk, 5, body, &s);
	assert_int_equal(apply(f, 0, &s, NULL, 0), 0);  /* same seq, other bytes: refused */
	cfgfetch_get_stats(f->cf, &st);
	assert_int_equal(st.configs_refused, 1);
	assert_int_equal(apply(f, 0, &old, NULL, 0), 0); /* still older after restart */
	assert_int_equal(cfgfetch_seq(f->cf), 5);

	statement_signer_wipe(&other);
	statement_signer_wipe(&stranger);
	sodium_memzero(sk, sizeof(sk));
	buf_free(&s);
	buf_free(&old);
	buf_free(&other_root);
}

static void test_restore_refuses_tampered_file(void **state)
{
	struct fx *f = *state;
	struct buf s;
	char body[512];
	FILE *fp;

	buf_init(&s, STMT_MAX_LEN);
	body_for(body, sizeof(body), ID1, 1);
	sealed(&f->root, STMT_GATEWAY_CONFIG, f->gpk, 1, body, &s);
	assert_int_equal(apply(f, 0, &s, NULL, 0), 1);
	cfgfetch_close(f->cf);
	f->cf = NULL;
	/* A saved file holding someone else's statement is not run at start. */
	sealed(&f->admin, STMT_GATEWAY_CONFIG, f->gpk, 1, body, &s);
	{
		char *h = hexdup(&s);
		fp = fopen(f->last, "w");
		assert_non_null(fp);
		fprintf(fp, "{\"admin_certs\":[],\"config\":\"%s\"}", h);
		fclose(fp);
		free(h);
	}
	fx_open(f);
	assert_int_equal(take_epoch(f), -1);
	buf_free(&s);
}

static void test_commands_in_seq_order(void **state)
{
	struct fx *f = *state;
	struct buf cfg, cmds[2];
	struct cfgfetch_stats st;
	char body[512];

	buf_init(&cfg, STMT_MAX_LEN);
	buf_init(&cmds[0], STMT_MAX_LEN);
	buf_init(&cmds[1], STMT_MAX_LEN);
	/* seq 1 command, seq 2 config, seq 3 command, served config first. */
	sealed(&f->root, STMT_GATEWAY_COMMAND, f->gpk, 3,
	    "{\"command\":\"reconnect\",\"camera\":\"" ID1 "\"}", &cmds[0]);
	sealed(&f->root, STMT_GATEWAY_COMMAND, f->gpk, 1, "{\"command\":\"noop\"}", &cmds[1]);
	body_for(body, sizeof(body), ID1, 4);
	sealed(&f->root, STMT_GATEWAY_CONFIG, f->gpk, 2, body, &cfg);
	assert_int_equal(apply(f, 0, &cfg, cmds, 2), 1);
	cfgfetch_get_stats(f->cf, &st);
	assert_int_equal(st.configs_applied, 1);
	assert_int_equal(st.commands_applied, 2);
	assert_int_equal(st.commands_refused, 0);
	assert_int_equal(cfgfetch_seq(f->cf), 3);
	assert_int_equal(take_epoch(f), 4);
	/* A replayed command (seq 1) in a later answer is refused. */
	assert_int_equal(apply(f, 0, NULL, &cmds[1], 1), 0);
	cfgfetch_get_stats(f->cf, &st);
	assert_int_equal(st.commands_refused, 1);
	buf_free(&cfg);
	buf_free(&cmds[0]);
	buf_free(&cmds[1]);
}

static void test_malformed_answers(void **state)
{
	struct fx *f = *state;
	static const char *bad[] = {
		"", "[]", "{\"config\":7}", "{\"config\":\"abc\"}", "{\"config\":\"zz\"}",
		"{\"admin_certs\":{}}", "{\"commands\":\"00\"}", "{\"commands\":[1]}",
		"{\"config\":null,\"config\":null}", NULL };
	struct cfgfetch_stats st;
	size_t i;

	for (i = 0; bad[i] != NULL; i++)
		assert_int_equal(cfgfetch_apply(f->cf, (const uint8_t *)bad[i], strlen(bad[i]), NOW), -1);
	/* Harmless garbage statements: refused one by one, not fatal. */
	assert_int_equal(cfgfetch_apply(f->cf, (const uint8_t *)"{\"config\":\"0011\"}", 17, NOW), 0);
	assert_int_equal(cfgfetch_apply(f->cf, (const uint8_t *)"{}", 2, NOW), 0);
	/* Many small values (a tree many times the body's size in memory): refused before
	 * parsing, also under a member the gateway does not read; commas inside a string do
	 * not count. */
	{
		struct buf big;

		buf_init(&big, 1 << 20);
		assert_int_equal(buf_put(&big, "{\"x\":[", 6), 0);
		for (i = 0; i < 20000; i++)
			assert_int_equal(buf_put(&big, "[],", 3), 0);
		assert_int_equal(buf_put(&big, "[]]}", 4), 0);
		assert_int_equal(cfgfetch_apply(f->cf, big.data, big.len, NOW), -1);
		buf_reset(&big);
		assert_int_equal(buf_put(&big, "{\"x\":\"", 6), 0);
		for (i = 0; i < 20000; i++)
			assert_int_equal(buf_put(&big, ",[{", 3), 0);
		assert_int_equal(buf_put(&big, "\"}", 2), 0);
		assert_int_equal(cfgfetch_apply(f->cf, big.data, big.len, NOW), 0);
		buf_free(&big);
	}
	cfgfetch_get_stats(f->cf, &st);
	assert_int_equal(st.answers_malformed, 10);
	assert_int_equal(st.configs_refused, 1);
	assert_int_equal(take_epoch(f), -1);
}

/* The streams the server says someone watches live: named ones count for
 * CFGFETCH_WATCH_HOLD_US after the answer, malformed entries are skipped, a list that is
 * not one is a malformed answer, and the names carry over answers that omit the list. */
static void test_watched(void **state)
{
	struct fixture_watch { uint8_t cam[16]; } a, b;
	struct fx *f = *state;
	char body[512], ha[33], hb[33];

	memset(a.cam, 0xa1, sizeof(a.cam));
	memset(b.cam, 0xb2, sizeof(b.cam));
	hex_encode(a.cam, 16, ha);
	hex_encode(b.cam, 16, hb);
	assert_int_equal(cfgfetch_watched(f->cf, a.cam, 1, NOW), 0);
	snprintf(body, sizeof(body), "{\"watched\":[\"%s:1\",\"%s:300\",\"zz:1\",\"%s\",7]}",
	    ha, hb, hb);
	assert_int_equal(cfgfetch_apply(f->cf, (const uint8_t *)body, strlen(body), NOW), 0);
	assert_int_equal(cfgfetch_watched(f->cf, a.cam, 1, NOW + 1000000), 1);
	assert_int_equal(cfgfetch_watched(f->cf, a.cam, 0, NOW + 1000000), 0);
	assert_int_equal(cfgfetch_watched(f->cf, b.cam, 44, NOW + 1000000), 0);
	assert_int_equal(cfgfetch_watched(f->cf, a.cam, 1, NOW + CFGFETCH_WATCH_HOLD_US - 1), 1);
	assert_int_equal(cfgfetch_watched(f->cf, a.cam, 1, NOW + CFGFETCH_WATCH_HOLD_US), 0);
	/* Named again later: watched again from then. */
	snprintf(body, sizeof(body), "{\"watched\":[\"%s:0\",\"%s:1\"]}", hb, ha);
	assert_int_equal(cfgfetch_apply(f->cf, (const uint8_t *)body, strlen(body),
	    NOW + 20000000), 0);
	assert_int_equal(cfgfetch_watched(f->cf, a.cam, 1, NOW + 21000000), 1);
	assert_int_equal(cfgfetch_watched(f->cf, b.cam, 0, NOW + 21000000), 1);
	assert_int_equal(cfgfetch_apply(f->cf, (const uint8_t *)"{\"watched\":{}}", 14,
	    NOW + 22000000), -1);
}

/* A revocation outlives a restart. Admin A is revoked (its cert seq 2, inactive); the
 * gateway restarts; the server serves A's first, active cert again with a configuration A
 * signed (its own epoch key): refused. Before the admins were saved beside the replay
 * counter, the restarted gateway trusted A again and applied it. */
static void test_revocation_survives_restart(void **state)
{
	struct fx *f = *state;
	struct stmt_admin_cert ac;
	struct buf s, active, revoked;
	char body[512];

	buf_init(&s, STMT_MAX_LEN);
	buf_init(&active, STMT_MAX_LEN);
	buf_init(&revoked, STMT_MAX_LEN);
	assert_int_equal(buf_put(&active, f->admin_cert.data, f->admin_cert.len), 0);
	memset(&ac, 0, sizeof(ac));
	memcpy(ac.sign_pk, f->admin.pk, 32);
	ac.active = 0;
	assert_int_equal(orgkeys_admin_certify(&f->root, &ac, 2, NOW, &revoked), 0);
	/* A root-signed configuration, and A trusted through its first cert. */
	body_for(body, sizeof(body), ID1, 1);
	sealed(&f->root, STMT_GATEWAY_CONFIG, f->gpk, 1, body, &s);
	assert_int_equal(apply(f, 1, &s, NULL, 0), 1);
	assert_int_equal(take_epoch(f), 1);
	/* The revocation is delivered. */
	buf_reset(&f->admin_cert);
	assert_int_equal(buf_put(&f->admin_cert, revoked.data, revoked.len), 0);
	assert_int_equal(apply(f, 1, NULL, NULL, 0), 0);
	/* The old cert with A's configuration: refused, before a restart... */
	buf_reset(&f->admin_cert);
	assert_int_equal(buf_put(&f->admin_cert, active.data, active.len), 0);
	body_for(body, sizeof(body), ID1, 66);
	sealed(&f->admin, STMT_GATEWAY_CONFIG, f->gpk, 5, body, &s);
	assert_int_equal(apply(f, 1, &s, NULL, 0), 0);
	assert_int_equal(take_epoch(f), -1);
	/* ... and after one. */
	cfgfetch_close(f->cf);
	fx_open(f);
	assert_int_equal(take_epoch(f), 1);   /* the restored root-signed configuration */
	sealed(&f->admin, STMT_GATEWAY_CONFIG, f->gpk, 6, body, &s);
	assert_int_equal(apply(f, 1, &s, NULL, 0), 0);
	assert_int_equal(take_epoch(f), -1);
	buf_free(&s);
	buf_free(&active);
	buf_free(&revoked);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_apply_and_repeat, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals_keep_last_good, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restore_refuses_tampered_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_commands_in_seq_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_answers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_revocation_survives_restart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_watched, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
