/* test_cli_org.c - unit tests of the CLI's org trust: pin store, root/member verification, the signed admin copy, scope, option parsing, epoch key sets. */
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
#include <sodium.h>

#include "cli/keysfile.h"
#include "cli/orgargs.h"
#include "cli/orgkeysrc.h"
#include "cli/orgops.h"
#include "cli/orgpin.h"
#include "cli/orgverify.h"
#include "common/orgkeys.h"
#include "common/statement.h"
#include "common/util.h"

#define NOW INT64_C(1700000000000000)

struct fx {
	struct stmt_signer root, other;
	struct buf root_st, other_st;
	struct stmt_trust trust;
	char dir[64];
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(sodium_init() >= 0, 1);
	buf_init(&f->root_st, STMT_MAX_LEN);
	buf_init(&f->other_st, STMT_MAX_LEN);
	assert_int_equal(orgkeys_org_create("Acme", NOW, &f->root, &f->root_st), 0);
	assert_int_equal(orgkeys_org_create("Other", NOW, &f->other, &f->other_st), 0);
	statement_trust_init(&f->trust, f->root.pk);
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_cli_org.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	statement_signer_wipe(&f->root);
	statement_signer_wipe(&f->other);
	buf_free(&f->root_st);
	buf_free(&f->other_st);
	free(f);
	return 0;
}

static void
test_pin_roundtrip(void **state)
{
	struct fx *f = *state;
	struct orgpin *p = calloc(1, sizeof(*p)), *q = calloc(1, sizeof(*q));
	char path[256], hex[65];
	struct stat sb;

	assert_non_null(p);
	assert_non_null(q);
	assert_int_equal(orgpin_load(f->dir, f->root.org_id, q), 1);     /* no pin yet */
	orgpin_init(p, f->root.pk);
	assert_int_equal(orgpin_see(p, "m:aa", 5), 0);
	assert_int_equal(orgpin_see(p, "m:aa", 3), 0);                   /* never lowered */
	assert_int_equal(orgpin_seen(p, "m:aa"), 5);
	assert_int_equal(orgpin_seen(p, "e:bb"), 0);
	assert_int_equal(orgpin_save(f->dir, p), 0);
	hex_encode(f->root.org_id, 32, hex);
	snprintf(path, sizeof(path), "%s/orgs/%s.pin", f->dir, hex);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(orgpin_load(f->dir, f->root.org_id, q), 0);
	assert_memory_equal(q->root_pk, f->root.pk, 32);
	assert_int_equal(orgpin_seen(q, "m:aa"), 5);
	/* The pin of org A read as org B's: refused, never re-pinned. */
	assert_int_equal(orgpin_parse("{\"root_pk\":\"00\"}", 15, f->root.org_id, q), -1);
	hex_encode(f->other.pk, 32, hex);
	{
		char js[200];
		int n = snprintf(js, sizeof(js), "{\"root_pk\":\"%s\",\"seen\":{}}", hex);

		assert_int_equal(orgpin_parse(js, (size_t)n, f->root.org_id, q), -1);
		assert_int_equal(orgpin_parse(js, (size_t)n, f->other.org_id, q), 0);
		n = snprintf(js, sizeof(js), "{\"root_pk\":\"%s\",\"seen\":{\"x\":-1}}", hex);
		assert_int_equal(orgpin_parse(js, (size_t)n, f->other.org_id, q), -1);
	}
	/* A damaged file is an error (-1), not "no pin" (1). */
	assert_int_equal(file_write_atomic(path, "{garbage", 8, 0600), 0);
	assert_int_equal(orgpin_load(f->dir, f->root.org_id, q), -1);
	free(p);
	free(q);
}

static void
test_invite_files(void **state)
{
	struct fx *f = *state;
	struct buf b;
	const char *id = "00112233445566778899aabbccddeeff";

	buf_init(&b, 1 << 16);
	assert_int_equal(orgpin_invite_save(f->dir, "../../etc/passwd", "{}"), -1);
	assert_int_equal(orgpin_invite_save(f->dir, id, "{\"secret\":\"x\"}"), 0);
	assert_int_equal(orgpin_invite_load(f->dir, id, &b), 0);
	assert_int_equal(b.len, 14);
	assert_int_equal(orgpin_invite_wipe(f->dir, id), 0);
	buf_reset(&b);
	assert_int_equal(orgpin_invite_load(f->dir, id, &b), -1);
	buf_free(&b);
}

static void
test_root(void **state)
{
	struct fx *f = *state;
	uint8_t root[32];
	struct buf t;

	assert_int_equal(orgverify_root(f->root_st.data, f->root_st.len, f->root.org_id, NOW, root), 0);
	assert_memory_equal(root, f->root.pk, 32);
	/* Another org's (validly signed) root served for this org. */
	assert_int_equal(orgverify_root(f->other_st.data, f->other_st.len, f->root.org_id, NOW, root),
	    STMT_E_ORG);
	buf_init(&t, STMT_MAX_LEN);
	assert_int_equal(buf_put(&t, f->root_st.data, f->root_st.len), 0);
	t.data[t.len - 1] ^= 1;
	assert_int_equal(orgverify_root(t.data, t.len, f->root.org_id, NOW, root), STMT_E_SIGNATURE);
	assert_int_equal(orgverify_root(t.data, 10, f->root.org_id, NOW, root), STMT_E_FORMAT);
	buf_free(&t);
}

static void
sign_member(const struct stmt_signer *s, uint8_t type, const struct stmt_member *m, uint64_t seq,
    struct buf *out)
{
	uint8_t target[STMT_TARGET_LEN];
	struct buf body;

	buf_init(&body, STMT_BODY_MAX);
	statement_target_id(m->user_id, target);
	assert_int_equal(statement_body_member(&body, m), 0);
	assert_int_equal(statement_sign(s, type, target, seq, NOW, 0, body.data, body.len, out), 0);
	buf_free(&body);
}

static void
test_member(void **state)
{
	struct fx *f = *state;
	struct stmt_member m, got;
	struct stmt_signer stranger;
	struct buf st, bad, other;
	uint8_t evil[32], wrong_id[16];
	uint64_t seq = 0;

	memset(&m, 0, sizeof(m));
	randombytes_buf(m.user_id, 16);
	randombytes_buf(m.sign_pk, 32);
	randombytes_buf(m.box_pk, 32);
	m.role = STMT_ROLE_VIEWER;
	m.nscope = 1;
	randombytes_buf(m.scope[0], 16);
	buf_init(&st, STMT_MAX_LEN);
	buf_init(&bad, STMT_MAX_LEN);
	buf_init(&other, STMT_MAX_LEN);
	sign_member(&f->root, STMT_MEMBER_ADD, &m, 7, &st);
	assert_int_equal(orgverify_member(&f->trust, st.data, st.len, m.user_id, m.sign_pk, m.box_pk,
	    NOW, &got, &seq), 0);
	assert_int_equal(seq, 7);
	assert_memory_equal(got.box_pk, m.box_pk, 32);
	/* The server lists another box key for this user: refused. */
	randombytes_buf(evil, 32);
	assert_int_equal(orgverify_member(&f->trust, st.data, st.len, m.user_id, m.sign_pk, evil,
	    NOW, &got, &seq), ORGV_E_LISTED);
	/* The statement is another user's. */
	randombytes_buf(wrong_id, 16);
	assert_int_equal(orgverify_member(&f->trust, st.data, st.len, wrong_id, NULL, NULL, NOW, &got,
	    &seq), STMT_E_TARGET);
	/* Signed by a key the org never certified (the server's own). */
	orgkeys_signer_init(&stranger, f->other.sk, f->root.org_id);
	sign_member(&stranger, STMT_MEMBER_ADD, &m, 8, &bad);
	assert_int_equal(orgverify_member(&f->trust, bad.data, bad.len, m.user_id, NULL, NULL, NOW,
	    &got, &seq), STMT_E_ISSUER);
	/* Another org's genuine member statement. */
	sign_member(&f->other, STMT_MEMBER_ADD, &m, 9, &other);
	assert_int_equal(orgverify_member(&f->trust, other.data, other.len, m.user_id, NULL, NULL, NOW,
	    &got, &seq), STMT_E_ORG);
	statement_signer_wipe(&stranger);
	buf_free(&st);
	buf_free(&bad);
	buf_free(&other);
}

static void
test_scope(void **state)
{
	struct stmt_member m;
	uint8_t cam[16], site[16], other[16];

	(void)state;
	memset(&m, 0, sizeof(m));
	randombytes_buf(cam, 16);
	randombytes_buf(site, 16);
	randombytes_buf(other, 16);
	m.role = STMT_ROLE_VIEWER;
	assert_int_equal(orgverify_scope_covers(&m, cam, site), 1);      /* whole org */
	m.nscope = 1;
	memcpy(m.scope[0], other, 16);
	assert_int_equal(orgverify_scope_covers(&m, cam, site), 0);
	memcpy(m.scope[0], site, 16);
	assert_int_equal(orgverify_scope_covers(&m, cam, site), 1);
	memcpy(m.scope[0], cam, 16);
	assert_int_equal(orgverify_scope_covers(&m, cam, other), 1);
	m.role = STMT_ROLE_AUDITOR;
	assert_int_equal(orgverify_scope_covers(&m, cam, site), 0);
	m.role = STMT_ROLE_ADMIN;
	assert_int_equal(orgverify_scope_covers(&m, other, other), 1);
}

static void
test_admin_copy(void **state)
{
	struct fx *f = *state;
	struct stmt_signer forger;
	struct buf sealed, json;
	uint8_t gw[32], gw2[32];
	const char *doc = "{\"cameras\":[]}";

	randombytes_buf(gw, 32);
	randombytes_buf(gw2, 32);
	buf_init(&sealed, 1 << 20);
	buf_init(&json, 1 << 20);
	assert_int_equal(orgverify_copy_seal(&f->root, f->root.pk, gw, 4, doc, &sealed), 0);
	assert_null(memmem(sealed.data, sealed.len, "cameras", 7));
	assert_int_equal(orgverify_copy_open(&f->trust, f->root.sk, gw, 4, sealed.data, sealed.len,
	    &json), 0);
	assert_string_equal((const char *)json.data, doc);
	/* Bound to its gateway and seq: an older copy replayed with a newer config fails. */
	buf_reset(&json);
	assert_int_equal(orgverify_copy_open(&f->trust, f->root.sk, gw, 5, sealed.data, sealed.len,
	    &json), ORGV_E_COPY);
	assert_int_equal(orgverify_copy_open(&f->trust, f->root.sk, gw2, 4, sealed.data, sealed.len,
	    &json), ORGV_E_COPY);
	/* Anyone can seal to the root's public key: a copy the server made itself is refused. */
	buf_reset(&sealed);
	orgkeys_signer_init(&forger, f->other.sk, f->root.org_id);
	assert_int_equal(orgverify_copy_seal(&forger, f->root.pk, gw, 4, doc, &sealed), 0);
	assert_int_equal(orgverify_copy_open(&f->trust, f->root.sk, gw, 4, sealed.data, sealed.len,
	    &json), ORGV_E_COPY);
	assert_int_equal(orgverify_copy_open(&f->trust, f->root.sk, gw, 4, sealed.data, 20, &json),
	    ORGV_E_COPY);
	statement_signer_wipe(&forger);
	buf_free(&sealed);
	buf_free(&json);
}

static void
test_args(void **state)
{
	struct orgargs a;
	char *ok[] = { "x", "--org", "O", "-o", "clip.mp4", "--kdf-fast", "--camera", "c" };
	char *unknown[] = { "x", "--token", "T" };
	char *dup[] = { "x", "--org", "A", "--org", "B" };
	char *novalue[] = { "x", "--camera" };

	(void)state;
	assert_int_equal(orgargs_parse(8, ok, 1, "camera output", &a), 0);
	assert_string_equal(orgargs_get(&a, "output"), "clip.mp4");
	assert_string_equal(orgargs_get(&a, "org"), "O");
	assert_int_equal(a.kdf_fast, 1);
	assert_null(orgargs_get(&a, "from"));
	assert_int_equal(orgargs_parse(3, unknown, 1, "camera", &a), -1);
	assert_int_equal(orgargs_parse(5, dup, 1, "camera", &a), -1);
	assert_int_equal(orgargs_parse(2, novalue, 1, "camera", &a), -1);
	/* "cam" is not "camera": names match whole words only. */
	assert_int_equal(orgargs_parse(2, (char *[]){ "x", "--cam" }, 1, "camera", &a), -1);
}

static void
test_epoch_keys(void **state)
{
	struct keysfile *k = keysfile_new();
	const struct keys_camera *c;
	uint8_t id[16], pk[32], sk[32], pk2[32], sk2[32];

	(void)state;
	assert_non_null(k);
	randombytes_buf(id, 16);
	crypto_box_keypair(pk, sk);
	crypto_box_keypair(pk2, sk2);
	assert_int_equal(orgkeysrc_add_epoch(k, id, 2, pk2, sk2), -1);   /* no such camera */
	assert_int_equal(keysfile_add_camera(k, "door", id, 1, pk, sk), 0);
	assert_int_equal(orgkeysrc_add_epoch(k, id, 2, pk2, sk2), 0);
	assert_int_equal(orgkeysrc_add_epoch(k, id, 2, pk2, sk2), -1);   /* same epoch twice */
	c = keysfile_camera_by_id(k, id);
	assert_non_null(c);
	assert_int_equal(c->nepochs, 2);
	{
		uint8_t opk[32], osk[32];

		assert_int_equal(keysfile_seg_key(k, id, 2, opk, osk), 0);
		assert_memory_equal(osk, sk2, 32);
	}
	keysfile_free(k);
}

/* Which gateways record a camera comes from their signed configs: the server-named one
 * first only when its config records the camera, then every other that does; none is 0. */
static void
test_recorders(void **state)
{
	struct orgops_gwconf g[3];
	struct orgops_gwmap gm = { g, 3 };
	uint8_t cam[16], other[16], stranger[32];
	char camh[33], otherh[33];
	size_t rec[ORGOPS_RECORDERS_MAX], n = 99;

	(void)state;
	memset(g, 0, sizeof(g));
	randombytes_buf(cam, sizeof(cam));
	randombytes_buf(other, sizeof(other));
	randombytes_buf(stranger, sizeof(stranger));
	hex_encode(cam, sizeof(cam), camh);
	hex_encode(other, sizeof(other), otherh);
	randombytes_buf(g[0].gateway, 32);
	randombytes_buf(g[1].gateway, 32);
	randombytes_buf(g[2].gateway, 32);
	g[0].doc = json_pack("{s:[{s:s}]}", "cameras", "id", otherh);
	g[1].doc = json_pack("{s:[{s:s},{s:s}]}", "cameras", "id", otherh, "id", camh);
	g[2].doc = json_pack("{s:[]}", "cameras");
	assert_non_null(g[0].doc);
	assert_non_null(g[1].doc);
	assert_non_null(g[2].doc);
	/* The server names gateway 0, whose config lacks the camera: gateway 1 records it. */
	assert_int_equal(orgops_recorders(&gm, cam, g[0].gateway, rec, ORGOPS_RECORDERS_MAX, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(rec[0], 1);
	/* A gateway the root never certified, or none: the same answer. */
	assert_int_equal(orgops_recorders(&gm, cam, stranger, rec, ORGOPS_RECORDERS_MAX, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(rec[0], 1);
	assert_int_equal(orgops_recorders(&gm, cam, NULL, rec, ORGOPS_RECORDERS_MAX, &n), 0);
	assert_int_equal(n, 1);
	/* Two record the other camera: both, the named one first. */
	assert_int_equal(orgops_recorders(&gm, other, g[1].gateway, rec, ORGOPS_RECORDERS_MAX, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(rec[0], 1);
	assert_int_equal(rec[1], 0);
	assert_int_equal(orgops_recorders(&gm, other, stranger, rec, ORGOPS_RECORDERS_MAX, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(rec[0], 0);
	assert_int_equal(rec[1], 1);
	/* More than the caller's room: refused, not cut short. */
	assert_int_equal(orgops_recorders(&gm, other, NULL, rec, 1, &n), -1);
	/* Recorded by none. */
	randombytes_buf(cam, sizeof(cam));
	assert_int_equal(orgops_recorders(&gm, cam, g[1].gateway, rec, ORGOPS_RECORDERS_MAX, &n), 0);
	assert_int_equal(n, 0);
	json_decref(g[0].doc);
	json_decref(g[1].doc);
	json_decref(g[2].doc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pin_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invite_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_root, setup, teardown),
		cmocka_unit_test_setup_teardown(test_member, setup, teardown),
		cmocka_unit_test(test_scope),
		cmocka_unit_test_setup_teardown(test_admin_copy, setup, teardown),
		cmocka_unit_test(test_args),
		cmocka_unit_test(test_epoch_keys),
		cmocka_unit_test(test_recorders),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
