/* test_orgkeys.c - unit tests of the org key hierarchy: epochs, grants, injected keys refused, rotation locks out a removed viewer. */
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
#include "common/segment.h"
#include "common/statement.h"

#define NOW INT64_C(1700000000000000)

struct user {
	uint8_t id[STMT_ID_LEN];
	uint8_t box_pk[32], box_sk[32];
};

struct fx {
	struct stmt_signer root, admin;
	struct stmt_trust trust;
	struct buf org_root, admin_cert;
	struct user alice, bob;
	uint8_t cam[STMT_ID_LEN];
};

static void user_make(struct user *u)
{
	randombytes_buf(u->id, sizeof(u->id));
	crypto_box_keypair(u->box_pk, u->box_sk);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct stmt_admin_cert ac;

	assert_int_equal(sodium_init() >= 0, 1);
	buf_init(&f->org_root, STMT_MAX_LEN);
	buf_init(&f->admin_cert, STMT_MAX_LEN);
	assert_int_equal(orgkeys_org_create("Acme", NOW, &f->root, &f->org_root), 0);
	statement_trust_init(&f->trust, f->root.pk);
	{
		uint8_t sk[STMT_SK_LEN], pk[STMT_KEY_LEN];
		crypto_sign_keypair(pk, sk);
		orgkeys_signer_init(&f->admin, sk, f->root.org_id);
		assert_memory_equal(f->admin.pk, pk, STMT_KEY_LEN);
		sodium_memzero(sk, sizeof(sk));
	}
	memset(&ac, 0, sizeof(ac));
	memcpy(ac.sign_pk, f->admin.pk, STMT_KEY_LEN);
	ac.active = 1;
	assert_int_equal(orgkeys_admin_certify(&f->root, &ac, 1, NOW, &f->admin_cert), 0);
	assert_int_equal(statement_trust_add(&f->trust, f->admin_cert.data, f->admin_cert.len,
	    NOW), 0);
	user_make(&f->alice);
	user_make(&f->bob);
	randombytes_buf(f->cam, sizeof(f->cam));
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
	free(f);
	return 0;
}

static void grantee_of(const struct user *u, uint64_t seq, struct orgkeys_grantee *g)
{
	memcpy(g->user_id, u->id, STMT_ID_LEN);
	memcpy(g->box_pk, u->box_pk, 32);
	g->seq = seq;
}

static void test_epoch_grant_open(void **state)
{
	struct fx *f = *state;
	struct orgkeys_grantee ga;
	struct orgkeys_epoch_key k;
	struct stmt_camera_epoch e;
	uint8_t sk[32];
	struct buf es, gs;

	buf_init(&es, STMT_MAX_LEN);
	buf_init(&gs, STMT_MAX_LEN);
	memcpy(e.camera_id, f->cam, STMT_ID_LEN);
	e.epoch = 1;
	assert_int_equal(orgkeys_epoch_create(&f->admin, f->cam, 1, 1, NOW, e.epoch_pk, sk, &es), 0);
	grantee_of(&f->alice, 1, &ga);
	assert_int_equal(orgkeys_grant(&f->admin, &e, sk, &ga, NOW, &gs), 0);
	assert_int_equal(orgkeys_grant_open(&f->trust, es.data, es.len, gs.data, gs.len,
	    f->alice.id, f->alice.box_pk, f->alice.box_sk, NOW, &k), 0);
	assert_memory_equal(k.sk, sk, 32);
	assert_memory_equal(k.pk, e.epoch_pk, 32);
	assert_memory_equal(k.camera_id, f->cam, STMT_ID_LEN);
	assert_int_equal(k.epoch, 1);

	/* Bob cannot open Alice's grant (not his; and with his id forced, the seal fails). */
	assert_int_equal(orgkeys_grant_open(&f->trust, es.data, es.len, gs.data, gs.len,
	    f->bob.id, f->bob.box_pk, f->bob.box_sk, NOW, &k), STMT_E_TARGET);
	assert_int_equal(orgkeys_grant_open(&f->trust, es.data, es.len, gs.data, gs.len,
	    f->alice.id, f->alice.box_pk, f->bob.box_sk, NOW, &k), STMT_E_SEALED);

	/* The grant refuses a secret key that is not the epoch's. */
	{
		uint8_t wrong[32];
		randombytes_buf(wrong, sizeof(wrong));
		buf_reset(&gs);
		assert_int_equal(orgkeys_grant(&f->admin, &e, wrong, &ga, NOW, &gs), STMT_E_ARG);
		assert_int_equal(gs.len, 0);
	}
	sodium_memzero(sk, sizeof(sk));
	sodium_memzero(&k, sizeof(k));
	buf_free(&es);
	buf_free(&gs);
}

/* A malicious server injects keys: each attempt is refused with its own error. */
static void test_injected_keys_refused(void **state)
{
	struct fx *f = *state;
	struct stmt_signer server;
	struct orgkeys_grantee ga;
	struct orgkeys_epoch_key k;
	struct stmt_camera_epoch e, se;
	uint8_t sk[32], ssk[32], cam2[STMT_ID_LEN];
	struct buf es, gs, fake_es, fake_gs, es2;

	buf_init(&es, STMT_MAX_LEN);
	buf_init(&gs, STMT_MAX_LEN);
	buf_init(&fake_es, STMT_MAX_LEN);
	buf_init(&fake_gs, STMT_MAX_LEN);
	buf_init(&es2, STMT_MAX_LEN);
	memcpy(e.camera_id, f->cam, STMT_ID_LEN);
	e.epoch = 1;
	assert_int_equal(orgkeys_epoch_create(&f->admin, f->cam, 1, 1, NOW, e.epoch_pk, sk, &es), 0);
	grantee_of(&f->alice, 1, &ga);
	assert_int_equal(orgkeys_grant(&f->admin, &e, sk, &ga, NOW, &gs), 0);

	/* The server makes its own camera key and grant, signed with its own key but
	 * claiming the org: unknown issuer. */
	crypto_sign_keypair(server.pk, server.sk);
	memcpy(server.org_id, f->root.org_id, STMT_ORG_ID_LEN);
	memcpy(se.camera_id, f->cam, STMT_ID_LEN);
	se.epoch = 1;
	assert_int_equal(orgkeys_epoch_create(&server, f->cam, 1, 1, NOW, se.epoch_pk, ssk,
	    &fake_es), 0);
	assert_int_equal(orgkeys_grant(&server, &se, ssk, &ga, NOW, &fake_gs), 0);
	assert_int_equal(orgkeys_grant_open(&f->trust, fake_es.data, fake_es.len, fake_gs.data,
	    fake_gs.len, f->alice.id, f->alice.box_pk, f->alice.box_sk, NOW, &k), STMT_E_ISSUER);
	/* Its grant paired with the real camera key. */
	assert_int_equal(orgkeys_grant_open(&f->trust, es.data, es.len, fake_gs.data,
	    fake_gs.len, f->alice.id, f->alice.box_pk, f->alice.box_sk, NOW, &k), STMT_E_ISSUER);
	/* The real grant with its camera key (the one the gateway would seal to) swapped. */
	assert_int_equal(orgkeys_grant_open(&f->trust, fake_es.data, fake_es.len, gs.data,
	    gs.len, f->alice.id, f->alice.box_pk, f->alice.box_sk, NOW, &k), STMT_E_ISSUER);
	/* The sealed key of a real grant replaced: the signature breaks. */
	{
		struct buf t;
		buf_init(&t, STMT_MAX_LEN);
		buf_put(&t, gs.data, gs.len);
		crypto_box_seal(t.data + t.len - STMT_SIG_LEN - STMT_SEALED_SK_LEN, ssk, 32,
		    f->alice.box_pk);
		assert_int_equal(orgkeys_grant_open(&f->trust, es.data, es.len, t.data, t.len,
		    f->alice.id, f->alice.box_pk, f->alice.box_sk, NOW, &k), STMT_E_SIGNATURE);
		buf_free(&t);
	}
	/* Another camera's (genuine) camera.epoch served with this grant: mismatch. */
	randombytes_buf(cam2, sizeof(cam2));
	{
		uint8_t pk2[32], sk2[32];
		assert_int_equal(orgkeys_epoch_create(&f->admin, cam2, 1, 1, NOW, pk2, sk2, &es2), 0);
		sodium_memzero(sk2, sizeof(sk2));
	}
	assert_int_equal(orgkeys_grant_open(&f->trust, es2.data, es2.len, gs.data, gs.len,
	    f->alice.id, f->alice.box_pk, f->alice.box_sk, NOW, &k), STMT_E_MISMATCH);
	/* Passed the wrong way round: the type check names it. */
	assert_int_equal(orgkeys_grant_open(&f->trust, gs.data, gs.len, es.data, es.len,
	    f->alice.id, f->alice.box_pk, f->alice.box_sk, NOW, &k), STMT_E_TYPE);
	/* A grant signed by a certified admin whose sealed key is not the epoch's secret
	 * (a buggy or lying client): the opened key does not match the public key. */
	{
		struct stmt_grant g;
		uint8_t target[STMT_TARGET_LEN];
		struct buf body, t;
		memset(&g, 0, sizeof(g));
		memcpy(g.camera_id, f->cam, STMT_ID_LEN);
		g.epoch = 1;
		memcpy(g.epoch_pk, e.epoch_pk, 32);
		memcpy(g.grantee_id, f->alice.id, STMT_ID_LEN);
		memcpy(g.grantee_box_pk, f->alice.box_pk, 32);
		crypto_box_seal(g.sealed_sk, ssk, 32, f->alice.box_pk);
		buf_init(&body, 1024);
		buf_init(&t, STMT_MAX_LEN);
		assert_int_equal(statement_body_grant(&body, &g), 0);
		statement_target_id(f->alice.id, target);
		assert_int_equal(statement_sign(&f->admin, STMT_GRANT, target, 9, NOW, 0, body.data,
		    body.len, &t), 0);
		assert_int_equal(orgkeys_grant_open(&f->trust, es.data, es.len, t.data, t.len,
		    f->alice.id, f->alice.box_pk, f->alice.box_sk, NOW, &k), STMT_E_SEALED);
		buf_free(&body);
		buf_free(&t);
	}
	/* A grant from another organization's admin. */
	{
		struct stmt_signer other;
		struct buf ob, oes, ogs;
		struct stmt_camera_epoch oe;
		uint8_t osk[32];
		buf_init(&ob, STMT_MAX_LEN);
		buf_init(&oes, STMT_MAX_LEN);
		buf_init(&ogs, STMT_MAX_LEN);
		assert_int_equal(orgkeys_org_create("Evil", NOW, &other, &ob), 0);
		memcpy(oe.camera_id, f->cam, STMT_ID_LEN);
		oe.epoch = 1;
		assert_int_equal(orgkeys_epoch_create(&other, f->cam, 1, 1, NOW, oe.epoch_pk, osk,
		    &oes), 0);
		assert_int_equal(orgkeys_grant(&other, &oe, osk, &ga, NOW, &ogs), 0);
		assert_int_equal(orgkeys_grant_open(&f->trust, oes.data, oes.len, ogs.data, ogs.len,
		    f->alice.id, f->alice.box_pk, f->alice.box_sk, NOW, &k), STMT_E_ORG);
		statement_signer_wipe(&other);
		buf_free(&ob);
		buf_free(&oes);
		buf_free(&ogs);
	}
	statement_signer_wipe(&server);
	buf_free(&es);
	buf_free(&gs);
	buf_free(&fake_es);
	buf_free(&fake_gs);
	buf_free(&es2);
}

struct viewer_keys {
	uint8_t cam[CAMERA_ID_LEN];
	size_t n;
	struct orgkeys_epoch_key k[4];
};

static int key_fn(void *ctx, const uint8_t cam[CAMERA_ID_LEN], uint32_t epoch,
    uint8_t pk[EPOCH_PK_LEN], uint8_t sk[EPOCH_SK_LEN])
{
	struct viewer_keys *v = ctx;
	size_t i;

	for (i = 0; i < v->n; i++)
		if (memcmp(cam, v->k[i].camera_id, CAMERA_ID_LEN) == 0 && v->k[i].epoch == epoch) {
			memcpy(pk, v->k[i].pk, EPOCH_PK_LEN);
			memcpy(sk, v->k[i].sk, EPOCH_SK_LEN);
			return 0;
		}
	return -1;
}

/* One recorded segment of camera cam under (epoch, epoch_pk), as the gateway writes it. */
static void record_segment(const uint8_t gsk[GATEWAY_SK_LEN], const uint8_t cam[CAMERA_ID_LEN],
    uint64_t seq, uint32_t epoch, const uint8_t epoch_pk[EPOCH_PK_LEN], struct buf *out)
{
	struct seg_writer *w = NULL;
	uint8_t prev[CHAIN_HASH_LEN] = { 0 }, next[CHAIN_HASH_LEN];
	struct buf plain;

	buf_init(&plain, 4096);
	assert_int_equal(seg_writer_begin(&w, gsk, cam, 0, seq, 1000 * (int64_t)seq, epoch,
	    epoch_pk, prev, out), 0);
	/* Init chunk: kind, flags, wall time, codec length and codec, then ftyp+moov. */
	buf_put_u8(&plain, CHUNK_INIT);
	buf_put_u8(&plain, 0);
	buf_put_u64(&plain, 1);
	buf_put_u8(&plain, 11);
	buf_put(&plain, "avc1.64001f", 11);
	buf_put(&plain, "ftypmoov", 8);
	assert_int_equal(seg_writer_chunk(w, plain.data, plain.len, out), 0);
	buf_reset(&plain);
	assert_int_equal(chunk_plain_put(&plain, CHUNK_MEDIA, CHUNK_KEYFRAME, 5, "frame", 5), 0);
	assert_int_equal(seg_writer_chunk(w, plain.data, plain.len, out), 0);
	assert_int_equal(seg_writer_end(w, 1000 * (int64_t)seq + 999, out, next), 0);
	seg_writer_free(w);
	buf_free(&plain);
}

/* Bob is removed: the rotation grants the new epoch to Alice only, and Bob's keys do
 * not open footage recorded after the removal, while both still open the old footage. */
static void test_rotate_locks_out_removed_viewer(void **state)
{
	struct fx *f = *state;
	struct orgkeys_grantee g[2];
	struct stmt_camera_epoch e;
	struct viewer_keys alice = { .n = 0 }, bob = { .n = 0 };
	uint8_t sk[32], pk2[32], gpk[32], gsk[64];
	struct buf es1, ga1, gb1, es2, grants[1], seg1, seg2;
	struct link_info li;

	buf_init(&es1, STMT_MAX_LEN);
	buf_init(&ga1, STMT_MAX_LEN);
	buf_init(&gb1, STMT_MAX_LEN);
	buf_init(&es2, STMT_MAX_LEN);
	buf_init(&grants[0], STMT_MAX_LEN);
	buf_init(&seg1, 1 << 16);
	buf_init(&seg2, 1 << 16);
	crypto_sign_keypair(gpk, gsk);

	memcpy(e.camera_id, f->cam, STMT_ID_LEN);
	e.epoch = 1;
	assert_int_equal(orgkeys_epoch_create(&f->admin, f->cam, 1, 1, NOW, e.epoch_pk, sk, &es1), 0);
	grantee_of(&f->alice, 1, &g[0]);
	grantee_of(&f->bob, 1, &g[1]);
	assert_int_equal(orgkeys_grant(&f->admin, &e, sk, &g[0], NOW, &ga1), 0);
	assert_int_equal(orgkeys_grant(&f->admin, &e, sk, &g[1], NOW, &gb1), 0);
	sodium_memzero(sk, sizeof(sk));
	assert_int_equal(orgkeys_grant_open(&f->trust, es1.data, es1.len, ga1.data, ga1.len,
	    f->alice.id, f->alice.box_pk, f->alice.box_sk, NOW, &alice.k[alice.n++]), 0);
	assert_int_equal(orgkeys_grant_open(&f->trust, es1.data, es1.len, gb1.data, gb1.len,
	    f->bob.id, f->bob.box_pk, f->bob.box_sk, NOW, &bob.k[bob.n++]), 0);
	record_segment(gsk, f->cam, 1, 1, e.epoch_pk, &seg1);

	/* Remove Bob: epoch 2, granted to Alice only. */
	g[0].seq = 2;
	assert_int_equal(orgkeys_rotate(&f->admin, f->cam, NULL, NULL, 2, 2, g, 1, NOW + 1, &es2, grants,
	    pk2), 0);
	assert_memory_not_equal(pk2, e.epoch_pk, 32);
	assert_int_equal(orgkeys_grant_open(&f->trust, es2.data, es2.len, grants[0].data,
	    grants[0].len, f->alice.id, f->alice.box_pk, f->alice.box_sk, NOW,
	    &alice.k[alice.n++]), 0);
	assert_int_equal(alice.k[1].epoch, 2);
	/* Bob cannot turn Alice's new grant into a key. */
	assert_int_equal(orgkeys_grant_open(&f->trust, es2.data, es2.len, grants[0].data,
	    grants[0].len, f->bob.id, f->bob.box_pk, f->bob.box_sk, NOW, &bob.k[bob.n]),
	    STMT_E_TARGET);
	record_segment(gsk, f->cam, 2, 2, pk2, &seg2);

	assert_int_equal(seg_open_link(seg1.data, seg1.len, gpk, key_fn, &alice, NULL, NULL, &li),
	    SEG_OK);
	assert_int_equal(seg_open_link(seg1.data, seg1.len, gpk, key_fn, &bob, NULL, NULL, &li),
	    SEG_OK);
	assert_int_equal(seg_open_link(seg2.data, seg2.len, gpk, key_fn, &alice, NULL, NULL, &li),
	    SEG_OK);
	assert_int_equal(seg_open_link(seg2.data, seg2.len, gpk, key_fn, &bob, NULL, NULL, &li),
	    SEG_E_KEY);
	/* Even claiming his old key is the new epoch's, Bob cannot open the new footage. */
	bob.k[0].epoch = 2;
	assert_int_equal(seg_open_link(seg2.data, seg2.len, gpk, key_fn, &bob, NULL, NULL, &li),
	    SEG_E_KEY);

	sodium_memzero(&alice, sizeof(alice));
	sodium_memzero(&bob, sizeof(bob));
	sodium_memzero(gsk, sizeof(gsk));
	buf_free(&es1);
	buf_free(&ga1);
	buf_free(&gb1);
	buf_free(&es2);
	buf_free(&grants[0]);
	buf_free(&seg1);
	buf_free(&seg2);
}

static void test_gateway_sealed(void **state)
{
	struct fx *f = *state;
	uint8_t gpk[32], gsk[64], xpk[32], xsk[32], plain[64];
	struct stmt *s = NULL;
	struct buf out;
	static const char msg[] = "{\"command\":\"restart\"}";

	buf_init(&out, STMT_MAX_LEN);
	crypto_sign_keypair(gpk, gsk);
	assert_int_equal(orgkeys_gateway_sealed(&f->admin, STMT_GATEWAY_COMMAND, gpk, 1, NOW, 0,
	    msg, strlen(msg), &out), 0);
	assert_int_equal(statement_verify(out.data, out.len, &f->trust, STMT_GATEWAY_COMMAND, NOW,
	    &s), 0);
	assert_memory_equal(s->target, gpk, 32);
	/* The plaintext is nowhere in the statement; only the gateway's derived key opens it. */
	assert_null(memmem(out.data, out.len, "restart", 7));
	assert_int_equal(crypto_sign_ed25519_pk_to_curve25519(xpk, gpk), 0);
	assert_int_equal(crypto_sign_ed25519_sk_to_curve25519(xsk, gsk), 0);
	assert_int_equal(crypto_box_seal_open(plain, s->body, s->body_len, xpk, xsk), 0);
	assert_memory_equal(plain, msg, strlen(msg));
	statement_free(s);
	/* Wrong types and empty bodies are caller errors. */
	assert_int_equal(orgkeys_gateway_sealed(&f->admin, STMT_GRANT, gpk, 1, NOW, 0, msg,
	    strlen(msg), &out), STMT_E_ARG);
	assert_int_equal(orgkeys_gateway_sealed(&f->admin, STMT_GATEWAY_CONFIG, gpk, 1, NOW, 0, msg,
	    0, &out), STMT_E_ARG);
	sodium_memzero(gsk, sizeof(gsk));
	sodium_memzero(xsk, sizeof(xsk));
	buf_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_epoch_grant_open, setup, teardown),
		cmocka_unit_test_setup_teardown(test_injected_keys_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rotate_locks_out_removed_viewer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gateway_sealed, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
