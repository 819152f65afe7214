/* test_server_shares.c - share links: creation rules, listing, counted opens and the view limit, the open proof (checked before anything is counted; legacy rows without one), expiry, revocation, hashed tokens, persistence, the live-link bound with live links listed first, no manifest kept for an ended link, and the create and open bodies' parsers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <sodium.h>
#include <sqlite3.h>
#include "common/util.h"
#include "server/h_share.h"
#include "server/shares.h"

#define SEC INT64_C(1000000)
#define T0 (INT64_C(1800000000) * SEC)
#define ORG_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define ORG_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define CAM "0123456789abcdef0123456789abcdef"
#define ALICE "11111111111111111111111111111111"
#define BOB "22222222222222222222222222222222"

struct fx {
	char dir[64], path[128];
	struct shares *s;
	uint8_t manifest[300];
	uint8_t proof[SHARES_PROOF_LEN], proof_hash[SHARES_PROOF_LEN];   /* as web/share.js */
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (f == NULL || sodium_init() < 0)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/vigil-shares.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/accounts.db", f->dir);
	if (shares_open(&f->s, f->path) != 0)
		return -1;
	randombytes_buf(f->manifest, sizeof(f->manifest));
	randombytes_buf(f->proof, sizeof(f->proof));
	crypto_generichash(f->proof_hash, sizeof(f->proof_hash), f->proof, sizeof(f->proof), NULL, 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char p[160];

	shares_close(f->s);
	snprintf(p, sizeof(p), "%s-wal", f->path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", f->path);
	unlink(p);
	unlink(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* A valid new share of org ORG_A made by ALICE, expiring in a day, views max. */
static struct shares_new
good(struct fx *f, int64_t max)
{
	struct shares_new n;

	memset(&n, 0, sizeof(n));
	n.org = ORG_A;
	n.camera = CAM;
	n.stream = 0;
	n.from_us = T0 - 60 * SEC;
	n.to_us = T0;
	n.expires_us = T0 + 86400 * SEC;
	n.max_views = max;
	n.created_by = ALICE;
	n.manifest = f->manifest;
	n.manifest_len = sizeof(f->manifest);
	n.open_proof_hash = f->proof_hash;
	return n;
}

static void
make(struct fx *f, const struct shares_new *n, char id[SHARES_ID_BUF])
{
	assert_int_equal(shares_create(f->s, n, T0, id), 0);
	assert_int_equal(strlen(id), 32);
}

/* Open at now with the right proof, expecting success; the token into tok. */
static void
open_ok(struct fx *f, const char *id, int64_t now, uint8_t tok[SHARES_TOKEN_LEN],
    struct shares_info *i)
{
	uint8_t *m = NULL;
	size_t n = 0;
	int64_t texp = 0;

	assert_int_equal(shares_open_view(f->s, id, f->proof, now, i, tok, &texp, &m, &n), 0);
	assert_int_equal(n, sizeof(f->manifest));
	assert_memory_equal(m, f->manifest, n);
	assert_true(texp > now);
	free(m);
}

/* Open at now with proof (NULL: none), expecting a refusal: its code. */
static int
open_err_proof(struct fx *f, const char *id, const uint8_t *proof, int64_t now)
{
	struct shares_info i;
	uint8_t tok[SHARES_TOKEN_LEN], zero[SHARES_TOKEN_LEN] = { 0 };
	uint8_t *m = NULL;
	size_t n = 1;
	int64_t texp = 1;
	int r;

	r = shares_open_view(f->s, id, proof, now, &i, tok, &texp, &m, &n);
	assert_null(m);
	assert_int_equal(n, 0);
	/* No token survives a refusal. */
	assert_memory_equal(tok, zero, sizeof(zero));
	/* Without the proof, nothing of the share is handed back. */
	if (r == SHARES_E_PROOF) {
		assert_int_equal(i.id[0], '\0');
		assert_int_equal(i.views, 0);
	}
	return r;
}

static int
open_err(struct fx *f, const char *id, int64_t now)
{
	return open_err_proof(f, id, f->proof, now);
}

static void
test_create_get_list(void **state)
{
	struct fx *f = *state;
	struct shares_new n = good(f, 3);
	struct shares_info i;
	char id1[SHARES_ID_BUF], id2[SHARES_ID_BUF], *s;
	json_t *arr;

	make(f, &n, id1);
	n.stream = 1;
	make(f, &n, id2);
	assert_string_not_equal(id1, id2);
	assert_int_equal(shares_get(f->s, id1, &i), 0);
	assert_string_equal(i.org, ORG_A);
	assert_string_equal(i.camera, CAM);
	assert_string_equal(i.created_by, ALICE);
	assert_int_equal(i.stream, 0);
	assert_int_equal(i.max_views, 3);
	assert_int_equal(i.views, 0);
	assert_int_equal(i.revoked, 0);
	assert_true(i.from_us == n.from_us && i.to_us == n.to_us && i.expires_us == n.expires_us);
	assert_int_equal(shares_get(f->s, "00000000000000000000000000000000", &i), SHARES_E_NOTFOUND);
	assert_int_equal(shares_get(f->s, "not-an-id", &i), SHARES_E_NOTFOUND);

	arr = shares_list_json(f->s, ORG_A, T0);
	assert_non_null(arr);
	assert_int_equal(json_array_size(arr), 2);
	s = json_dumps(arr, JSON_COMPACT);
	assert_non_null(s);
	assert_non_null(strstr(s, id1));
	assert_non_null(strstr(s, "\"stream\":\"sub\""));
	assert_null(strstr(s, "manifest"));
	free(s);
	json_decref(arr);
	arr = shares_list_json(f->s, ORG_B, T0);
	assert_int_equal(json_array_size(arr), 0);
	json_decref(arr);
}

static void
test_rules(void **state)
{
	struct fx *f = *state;
	struct shares_new n;
	char id[SHARES_ID_BUF];
	uint8_t *big;

	/* The edges are accepted. */
	n = good(f, SHARES_VIEWS_MAX);
	n.to_us = n.from_us + SHARES_RANGE_MAX_US;
	n.expires_us = T0 + SHARES_EXPIRY_MAX_US;
	assert_int_equal(shares_check_new(&n, T0), 0);
	/* Each rule, broken once. */
	n = good(f, 1); n.to_us = n.from_us;
	assert_int_equal(shares_check_new(&n, T0), SHARES_E_INVAL);
	n = good(f, 1); n.to_us = n.from_us + SHARES_RANGE_MAX_US + 1;
	assert_int_equal(shares_check_new(&n, T0), SHARES_E_INVAL);
	n = good(f, 1); n.from_us = -5; n.to_us = 5;
	assert_int_equal(shares_check_new(&n, T0), SHARES_E_INVAL);
	n = good(f, 1); n.from_us = INT64_MIN; n.to_us = INT64_MAX;
	assert_int_equal(shares_check_new(&n, T0), SHARES_E_INVAL);
	n = good(f, 1); n.expires_us = T0;
	assert_int_equal(shares_check_new(&n, T0), SHARES_E_INVAL);
	n = good(f, 1); n.expires_us = T0 + SHARES_EXPIRY_MAX_US + 1;
	assert_int_equal(shares_check_new(&n, T0), SHARES_E_INVAL);
	n = good(f, 1); n.expires_us = INT64_MIN;
	assert_int_equal(shares_check_new(&n, T0), SHARES_E_INVAL);
	n = good(f, 0);
	assert_int_equal(shares_check_new(&n, T0), SHARES_E_INVAL);
	n = good(f, SHARES_VIEWS_MAX + 1);
	assert_int_equal(shares_check_new(&n, T0), SHARES_E_INVAL);
	n = good(f, 1); n.manifest_len = 0;
	assert_int_equal(shares_check_new(&n, T0), SHARES_E_INVAL);
	n = good(f, 1); n.stream = 2;
	assert_int_equal(shares_check_new(&n, T0), SHARES_E_INVAL);
	n = good(f, 1); n.camera = "0123456789ABCDEF0123456789ABCDEF";
	assert_int_equal(shares_check_new(&n, T0), SHARES_E_INVAL);
	n = good(f, 1); n.org = "x";
	assert_int_equal(shares_check_new(&n, T0), SHARES_E_INVAL);
	n = good(f, 1); n.created_by = NULL;
	assert_int_equal(shares_check_new(&n, T0), SHARES_E_INVAL);
	/* A new link without the hash of an open proof: its id alone would spend its views. */
	n = good(f, 1); n.open_proof_hash = NULL;
	assert_int_equal(shares_check_new(&n, T0), SHARES_E_INVAL);
	assert_int_equal(shares_create(f->s, &n, T0, id), SHARES_E_INVAL);
	/* Manifest size: the maximum goes in, one byte more does not. */
	big = calloc(1, SHARES_MANIFEST_MAX + 1);
	assert_non_null(big);
	n = good(f, 1);
	n.manifest = big;
	n.manifest_len = SHARES_MANIFEST_MAX;
	assert_int_equal(shares_create(f->s, &n, T0, id), 0);
	n.manifest_len = SHARES_MANIFEST_MAX + 1;
	assert_int_equal(shares_create(f->s, &n, T0, id), SHARES_E_INVAL);
	assert_string_equal(id, "");
	free(big);
}

static void
test_views_and_tokens(void **state)
{
	struct fx *f = *state;
	struct shares_new n = good(f, 2);
	struct shares_info i;
	uint8_t t1[SHARES_TOKEN_LEN], t2[SHARES_TOKEN_LEN], bad[SHARES_TOKEN_LEN];
	char id[SHARES_ID_BUF], other[SHARES_ID_BUF];

	make(f, &n, id);
	make(f, &n, other);
	open_ok(f, id, T0 + SEC, t1, &i);
	assert_int_equal(i.views, 1);
	open_ok(f, id, T0 + 2 * SEC, t2, &i);
	assert_int_equal(i.views, 2);
	assert_memory_not_equal(t1, t2, sizeof(t1));
	/* The limit: a third open is refused and counts nothing. */
	assert_int_equal(open_err(f, id, T0 + 3 * SEC), SHARES_E_EXHAUSTED);
	assert_int_equal(shares_get(f->s, id, &i), 0);
	assert_int_equal(i.views, 2);
	/* Tokens issued before the limit keep fetching. */
	assert_int_equal(shares_token_check(f->s, id, t1, T0 + 4 * SEC, &i), 0);
	assert_string_equal(i.camera, CAM);
	assert_int_equal(shares_token_check(f->s, id, t2, T0 + 4 * SEC, &i), 0);
	/* A token opens only its own share; a wrong one nothing. */
	assert_int_equal(shares_token_check(f->s, other, t1, T0 + 4 * SEC, &i), SHARES_E_NOTFOUND);
	memcpy(bad, t1, sizeof(bad));
	bad[0] ^= 1;
	assert_int_equal(shares_token_check(f->s, id, bad, T0 + 4 * SEC, &i), SHARES_E_NOTFOUND);
	assert_int_equal(shares_token_check(f->s, "zz", t1, T0 + 4 * SEC, &i), SHARES_E_NOTFOUND);
	assert_int_equal(open_err(f, "00000000000000000000000000000000", T0), SHARES_E_NOTFOUND);
	assert_int_equal(open_err(f, "", T0), SHARES_E_NOTFOUND);
}

static void
test_expiry(void **state)
{
	struct fx *f = *state;
	struct shares_new n = good(f, 10);
	struct shares_info i;
	uint8_t t[SHARES_TOKEN_LEN], ts[SHARES_TOKEN_LEN];
	char id[SHARES_ID_BUF], sid[SHARES_ID_BUF];
	uint8_t *m = NULL;
	size_t ml = 0;
	int64_t texp = 0;

	make(f, &n, id);        /* expires T0 + 1 day: tokens last one hour */
	open_ok(f, id, T0, t, &i);
	assert_int_equal(shares_token_check(f->s, id, t, T0 + SHARES_TOKEN_TTL_US - 1, &i), 0);
	assert_int_equal(shares_token_check(f->s, id, t, T0 + SHARES_TOKEN_TTL_US, &i),
	    SHARES_E_NOTFOUND);
	/* A share ending sooner than an hour: the token ends with it. */
	n.expires_us = T0 + 10 * SEC;
	make(f, &n, sid);
	assert_int_equal(shares_open_view(f->s, sid, f->proof, T0, &i, ts, &texp, &m, &ml), 0);
	free(m);
	assert_true(texp == T0 + 10 * SEC);
	assert_int_equal(shares_token_check(f->s, sid, ts, T0 + 10 * SEC - 1, &i), 0);
	assert_int_equal(shares_token_check(f->s, sid, ts, T0 + 10 * SEC, &i), SHARES_E_NOTFOUND);
	assert_int_equal(open_err(f, sid, T0 + 10 * SEC), SHARES_E_EXPIRED);
	assert_int_equal(open_err(f, sid, T0 + 11 * SEC), SHARES_E_EXPIRED);
}

static void
test_revoke(void **state)
{
	struct fx *f = *state;
	struct shares_new n = good(f, 10);
	struct shares_info i;
	uint8_t t[SHARES_TOKEN_LEN];
	char id[SHARES_ID_BUF];
	json_t *arr;

	make(f, &n, id);
	open_ok(f, id, T0, t, &i);
	/* Another org, and another member of this one, see no such share. */
	assert_int_equal(shares_revoke(f->s, ORG_B, id, NULL, T0), SHARES_E_NOTFOUND);
	assert_int_equal(shares_revoke(f->s, ORG_A, id, BOB, T0), SHARES_E_NOTFOUND);
	assert_int_equal(shares_revoke(f->s, ORG_A, "00000000000000000000000000000000", NULL, T0),
	    SHARES_E_NOTFOUND);
	assert_int_equal(shares_token_check(f->s, id, t, T0 + SEC, &i), 0);
	/* The creator may. */
	assert_int_equal(shares_revoke(f->s, ORG_A, id, ALICE, T0), 0);
	assert_int_equal(shares_token_check(f->s, id, t, T0 + SEC, &i), SHARES_E_NOTFOUND);
	assert_int_equal(open_err(f, id, T0 + SEC), SHARES_E_REVOKED);
	/* Revocation is the reason given even once the link has also expired. */
	assert_int_equal(open_err(f, id, n.expires_us + SEC), SHARES_E_REVOKED);
	/* Twice is fine; an owner (creator NULL) may too. */
	assert_int_equal(shares_revoke(f->s, ORG_A, id, NULL, T0), 0);
	arr = shares_list_json(f->s, ORG_A, T0);
	assert_non_null(arr);
	assert_true(json_is_true(json_object_get(json_array_get(arr, 0), "revoked")));
	json_decref(arr);
}

static void
test_persistence(void **state)
{
	struct fx *f = *state;
	struct shares_new n = good(f, 5);
	struct shares_info i;
	uint8_t t[SHARES_TOKEN_LEN];
	char id[SHARES_ID_BUF];

	make(f, &n, id);
	open_ok(f, id, T0, t, &i);
	shares_close(f->s);
	f->s = NULL;
	assert_int_equal(shares_open(&f->s, f->path), 0);
	assert_int_equal(shares_get(f->s, id, &i), 0);
	assert_int_equal(i.views, 1);
	assert_int_equal(shares_token_check(f->s, id, t, T0 + SEC, &i), 0);
}


/* Bytes of share id's stored manifest, read with a connection of the test's own. */
static int64_t
stored_manifest_len(struct fx *f, const char *id)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int64_t n = -1;

	assert_int_equal(sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT length(manifest) FROM shares WHERE id = ?",
	    -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

/* A member cannot hide a live link from the owners' list behind newer ones, nor store
 * manifests without bound: live links are listed first, and an org holds at most
 * SHARES_LIVE_MAX of them. */
static void
test_live_limit_and_list(void **state)
{
	struct fx *f = *state;
	struct shares_new n = good(f, 10);
	char a[SHARES_ID_BUF], id[SHARES_ID_BUF], last[SHARES_ID_BUF], who[33];
	json_t *arr;
	int k;

	make(f, &n, a);
	/* SHARES_LIST_MAX newer links, each revoked at once. */
	for (k = 0; k < SHARES_LIST_MAX; k++) {
		assert_int_equal(shares_create(f->s, &n, T0 + 1 + k, id), 0);
		assert_int_equal(shares_revoke(f->s, ORG_A, id, NULL, T0 + 1 + k), 0);
	}
	arr = shares_list_json(f->s, ORG_A, T0 + SHARES_LIST_MAX + 1);
	assert_non_null(arr);
	assert_int_equal(json_array_size(arr), SHARES_LIST_MAX);
	assert_string_equal(json_string_value(json_object_get(json_array_get(arr, 0), "id")), a);
	assert_false(json_is_true(json_object_get(json_array_get(arr, 0), "revoked")));
	json_decref(arr);
	/* Up to SHARES_LIVE_MAX live links (made by several members, each under their own
	 * limit); revoked, expired and used-up ones do not count. */
	for (k = 1; k < SHARES_LIVE_MAX; k++) {
		snprintf(who, sizeof(who), "%032x", 0xa0 + k % 6);
		n.created_by = who;
		assert_int_equal(shares_create(f->s, &n, T0 + 1000 + k, last), 0);
	}
	n.created_by = ALICE;
	assert_int_equal(shares_create(f->s, &n, T0 + 2000, id), SHARES_E_LIMIT);
	assert_int_equal(id[0], '\0');
	assert_int_equal(shares_revoke(f->s, ORG_A, last, NULL, T0 + 2000), 0);
	assert_int_equal(shares_create(f->s, &n, T0 + 2001, id), 0);
	assert_int_equal(shares_create(f->s, &n, T0 + 2002, id), SHARES_E_LIMIT);
	/* Another org is not affected. */
	n.org = ORG_B;
	assert_int_equal(shares_create(f->s, &n, T0 + 2003, id), 0);
	/* Once they expired, there is room again. */
	n.org = ORG_A;
	n.expires_us = n.expires_us + 86400 * SEC;
	assert_int_equal(shares_create(f->s, &n, T0 + 86400 * SEC, id), 0);
}

/* One member holds at most SHARES_LIVE_PER_MEMBER live links, so one account cannot use
 * up what the organization may hold; the others can still share, and a revoked or ended
 * link frees a place. */
static void
test_member_limit(void **state)
{
	struct fx *f = *state;
	struct shares_new n = good(f, 10);
	char id[SHARES_ID_BUF], last[SHARES_ID_BUF];
	int k;

	for (k = 0; k < SHARES_LIVE_PER_MEMBER; k++)
		assert_int_equal(shares_create(f->s, &n, T0 + k, last), 0);
	assert_int_equal(shares_create(f->s, &n, T0 + 200, id), SHARES_E_MEMBER_LIMIT);
	assert_int_equal(id[0], '\0');
	n.created_by = BOB;
	assert_int_equal(shares_create(f->s, &n, T0 + 201, id), 0);
	n.created_by = ALICE;
	assert_int_equal(shares_revoke(f->s, ORG_A, last, NULL, T0 + 202), 0);
	assert_int_equal(shares_create(f->s, &n, T0 + 203, id), 0);
	assert_int_equal(shares_create(f->s, &n, T0 + 204, id), SHARES_E_MEMBER_LIMIT);
}

/* A link that ended keeps no sealed manifest: revoked at once, expired or used up at the
 * org's next creation. */
static void
test_ended_manifest_wiped(void **state)
{
	struct fx *f = *state;
	struct shares_new n = good(f, 1), m;
	struct shares_info i;
	uint8_t t[SHARES_TOKEN_LEN], tup[SHARES_TOKEN_LEN];
	char rv[SHARES_ID_BUF], ex[SHARES_ID_BUF], up[SHARES_ID_BUF], live[SHARES_ID_BUF],
	    id[SHARES_ID_BUF];

	make(f, &n, rv);
	make(f, &n, up);
	make(f, &n, live);
	m = n;
	m.expires_us = T0 + 10 * SEC;
	make(f, &m, ex);
	assert_int_equal(stored_manifest_len(f, rv), (int64_t)sizeof(f->manifest));
	assert_int_equal(shares_revoke(f->s, ORG_A, rv, NULL, T0), 0);
	assert_int_equal(stored_manifest_len(f, rv), 0);
	open_ok(f, up, T0 + SEC, tup, &i);    /* max_views 1: used up */
	assert_int_equal(stored_manifest_len(f, up), (int64_t)sizeof(f->manifest));
	assert_int_equal(shares_create(f->s, &n, T0 + 20 * SEC, id), 0);
	assert_int_equal(stored_manifest_len(f, ex), 0);
	assert_int_equal(stored_manifest_len(f, up), 0);
	/* The live one is untouched and still opens. */
	assert_int_equal(stored_manifest_len(f, live), (int64_t)sizeof(f->manifest));
	open_ok(f, live, T0 + 21 * SEC, t, &i);
	/* The used-up link's token still fetches segments until its hour ends. */
	assert_int_equal(shares_token_check(f->s, up, tup, T0 + 22 * SEC, &i), 0);
}
/* 1 when the n bytes needle are in the database file or its WAL (the module closed). */
static int
in_db_files(struct fx *f, const uint8_t *needle, size_t n)
{
	struct buf b;
	size_t k;
	int found = 0;

	buf_init(&b, 64u << 20);
	for (int w = 0; w < 2; w++) {
		char p[160];

		snprintf(p, sizeof(p), w ? "%s-wal" : "%s", f->path);
		buf_reset(&b);
		if (file_read(p, &b, 64u << 20) != 0)
			continue;
		for (k = 0; k + n <= b.len; k++)
			found |= memcmp(b.data + k, needle, n) == 0;
	}
	buf_free(&b);
	return found;
}

/* The stored token column holds hashes only: no row equals a token handed out. */
static void
test_tokens_stored_hashed(void **state)
{
	struct fx *f = *state;
	struct shares_new n = good(f, 5);
	struct shares_info i;
	uint8_t t[SHARES_TOKEN_LEN], h[crypto_generichash_BYTES];
	char id[SHARES_ID_BUF];

	make(f, &n, id);
	open_ok(f, id, T0, t, &i);
	shares_close(f->s);
	f->s = NULL;
	crypto_generichash(h, sizeof(h), t, sizeof(t), NULL, 0);
	/* The database file and its WAL hold the token's hash, never the token. */
	assert_false(in_db_files(f, t, sizeof(t)));
	assert_true(in_db_files(f, h, sizeof(h)));
	assert_int_equal(shares_open(&f->s, f->path), 0);
}

/* The id alone opens nothing: an open needs the proof whose hash the link stores, and is
 * refused before a view is counted, a token drawn, or the link's state told. */
static void
test_open_proof(void **state)
{
	struct fx *f = *state;
	struct shares_new n = good(f, 2), o;
	struct shares_info i;
	uint8_t t[SHARES_TOKEN_LEN], wrong[SHARES_PROOF_LEN], other[SHARES_PROOF_LEN],
	    other_hash[SHARES_PROOF_LEN];
	char id[SHARES_ID_BUF], rv[SHARES_ID_BUF], oid[SHARES_ID_BUF];

	make(f, &n, id);
	assert_int_equal(shares_get(f->s, id, &i), 0);
	assert_true(i.has_proof);
	assert_memory_equal(i.open_proof_hash, f->proof_hash, SHARES_PROOF_LEN);
	/* No proof, one bit off, the stored hash itself: refused, nothing counted. */
	memcpy(wrong, f->proof, sizeof(wrong));
	wrong[31] ^= 0x80;
	assert_int_equal(open_err_proof(f, id, NULL, T0 + SEC), SHARES_E_PROOF);
	assert_int_equal(open_err_proof(f, id, wrong, T0 + SEC), SHARES_E_PROOF);
	assert_int_equal(open_err_proof(f, id, f->proof_hash, T0 + SEC), SHARES_E_PROOF);
	assert_int_equal(shares_get(f->s, id, &i), 0);
	assert_int_equal(i.views, 0);
	assert_int_equal(shares_proof_check(&i, NULL), SHARES_E_PROOF);
	assert_int_equal(shares_proof_check(&i, wrong), SHARES_E_PROOF);
	assert_int_equal(shares_proof_check(&i, f->proof), 0);
	/* The proof opens and counts, up to the limit. */
	open_ok(f, id, T0 + 2 * SEC, t, &i);
	assert_int_equal(i.views, 1);
	open_ok(f, id, T0 + 3 * SEC, t, &i);
	assert_int_equal(i.views, 2);
	/* Used up, revoked, expired: without the proof each is refused as a live link is, so
	 * the id alone learns nothing of its state; with it, the reason. */
	assert_int_equal(open_err_proof(f, id, NULL, T0 + 4 * SEC), SHARES_E_PROOF);
	assert_int_equal(open_err(f, id, T0 + 4 * SEC), SHARES_E_EXHAUSTED);
	make(f, &n, rv);
	assert_int_equal(shares_revoke(f->s, ORG_A, rv, NULL, T0), 0);
	assert_int_equal(open_err_proof(f, rv, wrong, T0 + SEC), SHARES_E_PROOF);
	assert_int_equal(open_err(f, rv, T0 + SEC), SHARES_E_REVOKED);
	assert_int_equal(open_err_proof(f, rv, NULL, n.expires_us + SEC), SHARES_E_PROOF);
	assert_int_equal(open_err(f, rv, n.expires_us + SEC), SHARES_E_REVOKED);
	/* Each link has its own proof: another link's opens nothing here. */
	randombytes_buf(other, sizeof(other));
	crypto_generichash(other_hash, sizeof(other_hash), other, sizeof(other), NULL, 0);
	o = good(f, 5);
	o.open_proof_hash = other_hash;
	make(f, &o, oid);
	assert_int_equal(open_err(f, oid, T0 + SEC), SHARES_E_PROOF);
	{
		uint8_t *m = NULL;
		size_t ml = 0;
		int64_t texp = 0;

		assert_int_equal(shares_open_view(f->s, oid, other, T0 + SEC, &i, t, &texp, &m, &ml), 0);
		assert_int_equal(i.views, 1);
		free(m);
	}
	/* Unknown ids stay unknown, with a proof or without. */
	assert_int_equal(open_err_proof(f, "00000000000000000000000000000000", f->proof, T0),
	    SHARES_E_NOTFOUND);
	assert_int_equal(open_err_proof(f, "00000000000000000000000000000000", NULL, T0),
	    SHARES_E_NOTFOUND);
	/* The server keeps the proof's hash only: the proof an open presented is stored nowhere. */
	shares_close(f->s);
	f->s = NULL;
	assert_false(in_db_files(f, f->proof, sizeof(f->proof)));
	assert_true(in_db_files(f, f->proof_hash, sizeof(f->proof_hash)));
	assert_int_equal(shares_open(&f->s, f->path), 0);
}

/* A database made before open proofs: the column is added, its links open without a proof
 * as before (legacy), and new links in it need theirs. */
static void
test_legacy_row(void **state)
{
	static const char old_schema[] =
	    "CREATE TABLE shares(id TEXT PRIMARY KEY, org TEXT NOT NULL,"
	    " camera TEXT NOT NULL, stream INTEGER NOT NULL, from_us INTEGER NOT NULL,"
	    " to_us INTEGER NOT NULL, expires_us INTEGER NOT NULL, max_views INTEGER NOT NULL,"
	    " views INTEGER NOT NULL DEFAULT 0, created_by TEXT NOT NULL, created_us INTEGER NOT NULL,"
	    " revoked INTEGER NOT NULL DEFAULT 0, manifest BLOB NOT NULL);"
	    "CREATE TABLE share_tokens(share TEXT NOT NULL, hash BLOB NOT NULL,"
	    " expires_us INTEGER NOT NULL, PRIMARY KEY(share, hash));";
	static const char legacy[] = "0123456789abcdef0123456789abcdef";
	struct fx *f = *state;
	struct shares_new n;
	struct shares_info i;
	uint8_t t[SHARES_TOKEN_LEN], *m = NULL;
	char id[SHARES_ID_BUF], p[160];
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	size_t ml = 0;
	int64_t texp = 0;

	shares_close(f->s);
	f->s = NULL;
	snprintf(p, sizeof(p), "%s-wal", f->path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", f->path);
	unlink(p);
	unlink(f->path);
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, old_schema, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO shares(id, org, camera, stream, from_us,"
	    " to_us, expires_us, max_views, created_by, created_us, manifest)"
	    " VALUES(?, ?, ?, 0, ?, ?, ?, 3, ?, ?, ?)", -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_text(st, 1, legacy, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, ORG_A, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, CAM, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, T0 - 60 * SEC);
	sqlite3_bind_int64(st, 5, T0);
	sqlite3_bind_int64(st, 6, T0 + 86400 * SEC);
	sqlite3_bind_text(st, 7, ALICE, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 8, T0 - SEC);
	sqlite3_bind_blob(st, 9, f->manifest, (int)sizeof(f->manifest), SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	sqlite3_close(db);

	assert_int_equal(shares_open(&f->s, f->path), 0);
	assert_int_equal(shares_get(f->s, legacy, &i), 0);
	assert_false(i.has_proof);
	assert_int_equal(shares_proof_check(&i, NULL), 0);
	/* Opens as before: with no proof, or with any (there is nothing to check it against). */
	assert_int_equal(shares_open_view(f->s, legacy, NULL, T0, &i, t, &texp, &m, &ml), 0);
	assert_int_equal(ml, sizeof(f->manifest));
	free(m);
	assert_int_equal(i.views, 1);
	open_ok(f, legacy, T0 + SEC, t, &i);
	assert_int_equal(i.views, 2);
	assert_int_equal(shares_token_check(f->s, legacy, t, T0 + 2 * SEC, &i), 0);
	/* New links in the migrated database need their proof. */
	n = good(f, 2);
	make(f, &n, id);
	assert_int_equal(open_err_proof(f, id, NULL, T0 + SEC), SHARES_E_PROOF);
	open_ok(f, id, T0 + SEC, t, &i);
	/* Opening the migrated database again changes nothing. */
	shares_close(f->s);
	f->s = NULL;
	assert_int_equal(shares_open(&f->s, f->path), 0);
	assert_int_equal(shares_get(f->s, legacy, &i), 0);
	assert_false(i.has_proof);
	assert_int_equal(shares_get(f->s, id, &i), 0);
	assert_true(i.has_proof);
}

static void
test_open_body_parse(void **state)
{
	static const char *const bad[] = {
		"{}", "[]", "null", " ", "\"proof\"",
		"{\"proof\":\"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e\"}",
		"{\"proof\":\"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f00\"}",
		"{\"proof\":\"zz0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\"}",
		"{\"proof\":1}",
		"{\"proof\":[\"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\"]}",
		"{\"proof\":{\"p\":\"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\"}}",
		"{\"proof\":\"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\",\"x\":1}",
		/* duplicate keys (one literal, in parentheses for clang's -Wstring-concatenation) */
		("{\"proof\":\"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\","
		    "\"proof\":\"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\"}"),
		"{\"Proof\":\"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\"}",
		"{\"proof\":\"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\"",
	};
	static const char good_body[] =
	    "{\"proof\":\"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\"}";
	uint8_t proof[SHARES_PROOF_LEN], zero[SHARES_PROOF_LEN] = { 0 };
	char spaced[SHARE_OPEN_BODY_MAX + 2];
	size_t k;
	int has = -1;

	(void)state;
	/* No body: no proof. */
	assert_int_equal(share_open_body_parse(NULL, 0, proof, &has), 0);
	assert_int_equal(has, 0);
	assert_memory_equal(proof, zero, sizeof(zero));
	assert_int_equal(share_open_body_parse((const uint8_t *)good_body, strlen(good_body), proof,
	    &has), 0);
	assert_int_equal(has, 1);
	assert_int_equal(proof[0], 0);
	assert_int_equal(proof[31], 0x1f);
	for (k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		assert_int_equal(share_open_body_parse((const uint8_t *)bad[k], strlen(bad[k]), proof,
		    &has), -1);
		assert_int_equal(has, 0);
		assert_memory_equal(proof, zero, sizeof(zero));
	}
	/* The budget: SHARE_OPEN_BODY_MAX bytes parse, one more does not. */
	memset(spaced, ' ', sizeof(spaced));
	memcpy(spaced, good_body, strlen(good_body));
	assert_int_equal(share_open_body_parse((const uint8_t *)spaced, SHARE_OPEN_BODY_MAX, proof,
	    &has), 0);
	assert_int_equal(has, 1);
	assert_int_equal(share_open_body_parse((const uint8_t *)spaced, SHARE_OPEN_BODY_MAX + 1,
	    proof, &has), -1);
	assert_int_equal(has, 0);
}

static void
test_body_parse(void **state)
{
	struct share_body b;
	uint8_t tok[SHARES_TOKEN_LEN];
	char good_body[512], *s;
	static const char *const bad[] = {
		"", "[]", "{}", "not json",
		"{\"camera\":\"0123456789abcdef0123456789abcdef\",\"stream\":\"main\",\"from_us\":1,"
		    "\"to_us\":2,\"expires_us\":3,\"max_views\":1}",
		"{\"camera\":\"0123456789abcdef0123456789abcdef\",\"stream\":\"side\",\"from_us\":1,"
		    "\"to_us\":2,\"expires_us\":3,\"max_views\":1,\"manifest\":\"00\"}",
		"{\"camera\":\"0123456789abcdef0123456789abcdef\",\"stream\":0,\"from_us\":1,"
		    "\"to_us\":2,\"expires_us\":3,\"max_views\":1,\"manifest\":\"00\"}",
		"{\"camera\":\"0123456789abcdef0123456789abcde\",\"stream\":\"main\",\"from_us\":1,"
		    "\"to_us\":2,\"expires_us\":3,\"max_views\":1,\"manifest\":\"00\"}",
		"{\"camera\":\"0123456789abcdef0123456789abcdef\",\"stream\":\"main\",\"from_us\":1.5,"
		    "\"to_us\":2,\"expires_us\":3,\"max_views\":1,\"manifest\":\"00\"}",
		"{\"camera\":\"0123456789abcdef0123456789abcdef\",\"stream\":\"main\",\"from_us\":1,"
		    "\"to_us\":2,\"expires_us\":3,\"max_views\":1,\"manifest\":\"0\"}",
		"{\"camera\":\"0123456789abcdef0123456789abcdef\",\"stream\":\"main\",\"from_us\":1,"
		    "\"to_us\":2,\"expires_us\":3,\"max_views\":1,\"manifest\":\"\"}",
		"{\"camera\":\"0123456789abcdef0123456789abcdef\",\"stream\":\"main\",\"from_us\":1,"
		    "\"to_us\":2,\"expires_us\":3,\"max_views\":1,\"manifest\":\"00\",\"x\":{}}",
		"{\"camera\":\"0123456789abcdef0123456789abcdef\",\"stream\":\"main\",\"from_us\":1,"
		    "\"to_us\":2,\"expires_us\":3,\"max_views\":1,\"manifest\":\"00\",\"max_views\":2}",
		"{\"camera\":\"0123456789abcdef0123456789abcdef\",\"stream\":\"main\\u0000\",\"from_us\":1,"
		    "\"to_us\":2,\"expires_us\":3,\"max_views\":1,\"manifest\":\"00\"}",
		"{\"camera\":\"0123456789abcdef0123456789abcdef\",\"stream\":\"main\",\"from_us\":1,"
		    "\"to_us\":2,\"expires_us\":3,\"max_views\":1,\"manifest\":\"00\",\"open_proof_hash\":\"00\"}",
		"{\"camera\":\"0123456789abcdef0123456789abcdef\",\"stream\":\"main\",\"from_us\":1,"
		    "\"to_us\":2,\"expires_us\":3,\"max_views\":1,\"manifest\":\"00\",\"open_proof_hash\":7}",
		"{\"camera\":\"0123456789abcdef0123456789abcdef\",\"stream\":\"main\",\"from_us\":1,"
		    "\"to_us\":2,\"expires_us\":3,\"max_views\":1,\"manifest\":\"00\",\"open_proof_hash\":"
		    "\"zz0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\"}",
	};
	size_t k, big_n;

	(void)state;
	snprintf(good_body, sizeof(good_body), "{\"camera\":\"0123456789ABCDEF0123456789abcdef\","
	    "\"stream\":\"sub\",\"from_us\":10,\"to_us\":20,\"expires_us\":30,\"max_views\":4,"
	    "\"manifest\":\"00ff\"}");
	assert_int_equal(share_body_parse((const uint8_t *)good_body, strlen(good_body), &b), 0);
	assert_string_equal(b.camera, "0123456789abcdef0123456789abcdef");
	assert_int_equal(b.stream, 1);
	assert_true(b.from_us == 10 && b.to_us == 20 && b.expires_us == 30 && b.max_views == 4);
	assert_int_equal(b.manifest_len, 2);
	assert_int_equal(b.manifest[0], 0);
	assert_int_equal(b.manifest[1], 0xff);
	assert_int_equal(b.has_proof_hash, 0);    /* the shape allows it; create_final refuses */
	share_body_free(&b);
	/* With the hash of an open proof. */
	snprintf(good_body, sizeof(good_body), "{\"camera\":\"0123456789abcdef0123456789abcdef\","
	    "\"stream\":\"main\",\"from_us\":10,\"to_us\":20,\"expires_us\":30,\"max_views\":4,"
	    "\"manifest\":\"00ff\",\"open_proof_hash\":\"000102030405060708090a0b0c0d0e0f"
	    "101112131415161718191a1b1c1d1e1f\"}");
	assert_int_equal(share_body_parse((const uint8_t *)good_body, strlen(good_body), &b), 0);
	assert_int_equal(b.has_proof_hash, 1);
	assert_int_equal(b.open_proof_hash[31], 0x1f);
	share_body_free(&b);
	for (k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		assert_int_equal(share_body_parse((const uint8_t *)bad[k], strlen(bad[k]), &b), -1);
		assert_null(b.manifest);
	}
	/* A manifest of exactly the maximum parses; one byte more does not. */
	big_n = 2 * SHARES_MANIFEST_MAX + 300;
	s = malloc(big_n);
	assert_non_null(s);
	for (int extra = 0; extra < 2; extra++) {
		size_t hexn = 2 * (SHARES_MANIFEST_MAX + (size_t)extra), off;

		off = (size_t)snprintf(s, big_n, "{\"camera\":\"0123456789abcdef0123456789abcdef\","
		    "\"stream\":\"main\",\"from_us\":1,\"to_us\":2,\"expires_us\":3,\"max_views\":1,"
		    "\"manifest\":\"");
		if (off + hexn + 3 > big_n)
			break;
		memset(s + off, 'a', hexn);
		memcpy(s + off + hexn, "\"}", 2);
		assert_int_equal(share_body_parse((const uint8_t *)s, off + hexn + 2, &b), extra ? -1 : 0);
		if (!extra)
			assert_int_equal(b.manifest_len, SHARES_MANIFEST_MAX);
		share_body_free(&b);
	}
	free(s);
	/* The Authorization header. */
	assert_int_equal(share_auth_token("Share 000102030405060708090a0b0c0d0e0f"
	    "101112131415161718191a1b1c1d1e1f", tok), 0);
	assert_int_equal(tok[31], 0x1f);
	assert_int_equal(share_auth_token(NULL, tok), -1);
	assert_int_equal(share_auth_token("Bearer 000102030405060708090a0b0c0d0e0f"
	    "101112131415161718191a1b1c1d1e1f", tok), -1);
	assert_int_equal(share_auth_token("Share 00", tok), -1);
	assert_int_equal(share_auth_token("Share 000102030405060708090a0b0c0d0e0f"
	    "101112131415161718191a1b1c1d1e1f00", tok), -1);
	assert_int_equal(share_auth_token("Share zz0102030405060708090a0b0c0d0e0f"
	    "101112131415161718191a1b1c1d1e1f", tok), -1);
	assert_int_equal(shares_stream_parse("main"), 0);
	assert_int_equal(shares_stream_parse("sub"), 1);
	assert_int_equal(shares_stream_parse("Main"), -1);
	assert_null(shares_stream_name(7));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_get_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_views_and_tokens, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expiry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_revoke, setup, teardown),
		cmocka_unit_test_setup_teardown(test_persistence, setup, teardown),
		cmocka_unit_test_setup_teardown(test_live_limit_and_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_member_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ended_manifest_wiped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tokens_stored_hashed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_proof, setup, teardown),
		cmocka_unit_test_setup_teardown(test_legacy_row, setup, teardown),
		cmocka_unit_test(test_body_parse),
		cmocka_unit_test(test_open_body_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
