/* test_server_accounts.c - accounts: zero-knowledge registration and login, equal answers for unknown users, password change, recovery, TOTP. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>
#include <sodium.h>
#include "common/totp.h"
#include "common/userkey.h"
#include "server/accounts.h"
#include "server/sessions.h"

#define T0 (INT64_C(1800000000) * 1000000)

static const struct userkey_limits client = { crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN };
static const struct accounts_limits server = { 1, 4u << 20 };
static uint8_t secret[ACCOUNTS_SECRET_LEN];

struct fx {
	sqlite3 *db;
	struct sessions *s;
	struct accounts *a;
	char id[USERKEY_ID_BUF];
	uint8_t salt[16], auth[32], wrap[32], rk[32];
	struct userkey_bundle b;
};

/* What the user's client does to register "Alice" with password pw. */
static int
client_register(struct fx *f, const char *username, const char *pw)
{
	uint8_t blob[USERKEY_WRAPPED_LEN], rblob[USERKEY_WRAPPED_LEN], ra[32], rw[32];
	char rs[USERKEY_RECOVERY_STR_BUF];
	struct accounts_reg g;

	userkey_id_new(f->id);
	userkey_salt_new(f->salt);
	if (userkey_derive(pw, strlen(pw), f->salt, &client, f->auth, f->wrap) != 0 ||
	    userkey_generate(&f->b) != 0 || userkey_wrap(f->wrap, f->id, &f->b, blob) != 0)
		return -100;
	userkey_recovery_new(f->rk, rs);
	userkey_recovery_keys(f->rk, ra, rw);
	if (userkey_wrap(rw, f->id, &f->b, rblob) != 0)
		return -100;
	memset(&g, 0, sizeof(g));
	g.id = f->id;
	g.username = username;
	g.salt = f->salt;
	g.auth_key = f->auth;
	g.recovery_auth = ra;
	g.box_pk = f->b.box_pk;
	g.sign_pk = f->b.sign_pk;
	g.wrapped = blob;
	g.wrapped_len = sizeof(blob);
	g.recovery_wrapped = rblob;
	g.recovery_wrapped_len = sizeof(rblob);
	return accounts_register(f->a, &g);
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (f == NULL || sodium_init() < 0 || sqlite3_open(":memory:", &f->db) != SQLITE_OK ||
	    sessions_open(f->db, NULL, &f->s) != 0)
		return -1;
	randombytes_buf(secret, sizeof(secret));
	if (accounts_open(f->db, secret, &server, f->s, &f->a) != 0 ||
	    client_register(f, "Alice@Example.com", "tulip orbit granite 42") != 0)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	accounts_close(f->a);
	sessions_close(f->s);
	sqlite3_close(f->db);
	free(f);
	return 0;
}

static void
test_username_norm(void **state)
{
	char out[ACCOUNTS_NAME_BUF];

	assert_int_equal(accounts_username_norm("Alice@Example.COM", out), 0);
	assert_string_equal(out, "alice@example.com");
	assert_int_equal(accounts_username_norm("a.b_c+d-e", out), 0);
	assert_int_equal(accounts_username_norm("ab", out), ACCOUNTS_ERR_INVAL);
	assert_int_equal(accounts_username_norm("al ice", out), ACCOUNTS_ERR_INVAL);
	assert_int_equal(accounts_username_norm("alïce", out), ACCOUNTS_ERR_INVAL);
	assert_int_equal(accounts_username_norm("a\"; DROP TABLE users", out), ACCOUNTS_ERR_INVAL);
	assert_int_equal(accounts_username_norm(
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", out), ACCOUNTS_ERR_INVAL);
	assert_string_equal(out, "");
}

static void
test_prelogin_salts(void **state)
{
	struct fx *f = *state;
	struct accounts *a2;
	uint8_t s1[16], s2[16], s3[16], other[32];

	/* A known user gets the stored salt, whatever the case of the name typed. */
	assert_int_equal(accounts_prelogin(f->a, "ALICE@example.com", s1), 0);
	assert_memory_equal(s1, f->salt, 16);
	/* An unknown user gets a stable fake salt, different per name... */
	assert_int_equal(accounts_prelogin(f->a, "mallory", s1), 0);
	assert_int_equal(accounts_prelogin(f->a, "Mallory", s2), 0);
	assert_memory_equal(s1, s2, 16);
	assert_int_equal(accounts_prelogin(f->a, "trudy", s3), 0);
	assert_memory_not_equal(s1, s3, 16);
	/* ...also across restarts with the same server secret, and for malformed names. */
	assert_int_equal(accounts_open(f->db, secret, &server, NULL, &a2), 0);
	assert_int_equal(accounts_prelogin(a2, "mallory", s2), 0);
	assert_memory_equal(s1, s2, 16);
	accounts_close(a2);
	assert_int_equal(accounts_prelogin(f->a, "bad name!", s2), 0);
	assert_int_equal(accounts_prelogin(f->a, NULL, s2), 0);
	/* Another server secret gives other fake salts (they are not guessable offline). */
	randombytes_buf(other, sizeof(other));
	assert_int_equal(accounts_open(f->db, other, &server, NULL, &a2), 0);
	assert_int_equal(accounts_prelogin(a2, "mallory", s2), 0);
	assert_memory_not_equal(s1, s2, 16);
	accounts_close(a2);
}

static void
test_login_and_identical_failures(void **state)
{
	struct fx *f = *state;
	char id[ACCOUNTS_ID_BUF];
	uint8_t wrong[32], salt[16], a2[32], w2[32];
	int r_wrong, r_unknown, r_malformed, r_disabled;

	/* The full client flow: prelogin salt, derive, login. */
	assert_int_equal(accounts_prelogin(f->a, "alice@example.com", salt), 0);
	assert_int_equal(userkey_derive("tulip orbit granite 42", 22, salt, &client, a2, w2), 0);
	assert_int_equal(accounts_login(f->a, "Alice@example.com", a2, id), 0);
	assert_string_equal(id, f->id);
	/* Wrong password, unknown user, malformed name: one answer, no id. */
	assert_int_equal(userkey_derive("tulip orbit granite 43", 22, salt, &client, wrong, w2), 0);
	r_wrong = accounts_login(f->a, "alice@example.com", wrong, id);
	assert_string_equal(id, "");
	r_unknown = accounts_login(f->a, "mallory", wrong, id);
	assert_string_equal(id, "");
	r_malformed = accounts_login(f->a, "no such user!", wrong, id);
	assert_int_equal(accounts_set_disabled(f->a, f->id, 1), 0);
	r_disabled = accounts_login(f->a, "alice@example.com", f->auth, id);
	assert_string_equal(id, "");
	assert_int_equal(r_wrong, ACCOUNTS_ERR_DENIED);
	assert_int_equal(r_unknown, r_wrong);
	assert_int_equal(r_malformed, r_wrong);
	assert_int_equal(r_disabled, r_wrong);
	assert_int_equal(accounts_set_disabled(f->a, f->id, 0), 0);
	assert_int_equal(accounts_login(f->a, "alice@example.com", f->auth, id), 0);
}

static double
secs(void)
{
	struct timespec ts;

	/* The thread's CPU time, not wall time: what is compared is work done, which other
	 * load on a shared machine does not change by the orders of magnitude checked here. */
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Unknown users cost one Argon2id verification too (a dummy hash): their failures take as
 * long as a wrong password's, not the microseconds of a missing row. */
static void
test_equal_work_for_unknown_users(void **state)
{
	struct fx *f = *state;
	char id[ACCOUNTS_ID_BUF];
	uint8_t wrong[32];
	double t, known = 0, unknown = 0;
	int i;

	randombytes_buf(wrong, sizeof(wrong));
	for (i = 0; i < 6; i++) {
		t = secs();
		assert_int_equal(accounts_login(f->a, "alice@example.com", wrong, id), ACCOUNTS_ERR_DENIED);
		known += secs() - t;
		t = secs();
		assert_int_equal(accounts_login(f->a, "nobody-here", wrong, id), ACCOUNTS_ERR_DENIED);
		unknown += secs() - t;
	}
	print_message("known %.1f ms, unknown %.1f ms per failure\n", known * 1000 / 6, unknown * 1000 / 6);
	/* A missing row without the dummy hash costs ~1000x less; allow 10x for noise. */
	assert_true(unknown > known / 10 && unknown < known * 10);
}

static void
test_register_conflicts_and_validation(void **state)
{
	struct fx *f = *state;
	struct fx g;
	char keep[USERKEY_ID_BUF];
	struct accounts_reg r;
	struct accounts_user u;

	memset(&g, 0, sizeof(g));
	g.a = f->a;
	/* Same name in another case: taken. */
	assert_int_equal(client_register(&g, "ALICE@example.com", "another good password"), ACCOUNTS_ERR_EXISTS);
	assert_int_equal(client_register(&g, "bob", "another good password"), 0);
	memcpy(keep, g.id, sizeof(keep));
	assert_int_equal(accounts_get(f->a, keep, &u), 0);
	assert_string_equal(u.username, "bob");
	assert_memory_equal(u.box_pk, g.b.box_pk, 32);
	assert_memory_equal(u.sign_pk, g.b.sign_pk, 32);
	assert_int_equal(u.wrapped_len, USERKEY_WRAPPED_LEN);
	assert_int_equal(u.recovery_wrapped_len, USERKEY_WRAPPED_LEN);
	assert_false(u.totp_enabled);
	assert_int_equal(u.flags, 0);
	/* Malformed registrations. */
	memset(&r, 0, sizeof(r));
	r.id = "xyz";
	r.username = "carol";
	assert_int_equal(accounts_register(f->a, &r), ACCOUNTS_ERR_INVAL);
	r.id = keep;
	r.salt = g.salt;
	r.auth_key = g.auth;
	r.box_pk = r.sign_pk = g.b.box_pk;
	r.wrapped = g.salt;
	r.wrapped_len = ACCOUNTS_WRAPPED_MAX + 1;
	assert_int_equal(accounts_register(f->a, &r), ACCOUNTS_ERR_INVAL);
	r.wrapped_len = 16;
	r.flags = 0x80;
	assert_int_equal(accounts_register(f->a, &r), ACCOUNTS_ERR_INVAL);
	r.flags = 0;
	/* Same id again: taken. */
	assert_int_equal(accounts_register(f->a, &r), ACCOUNTS_ERR_EXISTS);
	assert_int_equal(accounts_get(f->a, "00000000000000000000000000000000", &u), ACCOUNTS_ERR_NOTFOUND);
	assert_int_equal(accounts_find(f->a, "BOB", keep), 0);
	assert_int_equal(accounts_find(f->a, "carol", keep), ACCOUNTS_ERR_NOTFOUND);
}

static void
test_change_password_revokes_sessions(void **state)
{
	struct fx *f = *state;
	struct sessions_info si;
	struct accounts_user u;
	struct userkey_bundle got;
	char tok[SESSIONS_TOKEN_BUF], sid[SESSIONS_SID_BUF], id[ACCOUNTS_ID_BUF];
	uint8_t nsalt[16], na[32], nw[32], blob[USERKEY_WRAPPED_LEN], salt[16];

	assert_int_equal(sessions_create(f->s, f->id, 1, NULL, T0, tok, sid), 0);
	userkey_salt_new(nsalt);
	assert_int_equal(userkey_derive("new lilac meadow 7", 18, nsalt, &client, na, nw), 0);
	assert_int_equal(userkey_wrap(nw, f->id, &f->b, blob), 0);
	/* Wrong old key: refused, session intact. */
	assert_int_equal(accounts_change_password(f->a, f->id, na, nsalt, na, blob, sizeof(blob)),
	    ACCOUNTS_ERR_DENIED);
	assert_int_equal(sessions_check(f->s, tok, T0, &si), 0);
	assert_int_equal(accounts_change_password(f->a, f->id, f->auth, nsalt, na, blob, sizeof(blob)), 0);
	assert_int_equal(sessions_check(f->s, tok, T0, &si), SESSIONS_ERR_INVALID);
	/* Old password out, new one in; the new salt is served and the bundle opens with it. */
	assert_int_equal(accounts_login(f->a, "alice@example.com", f->auth, id), ACCOUNTS_ERR_DENIED);
	assert_int_equal(accounts_prelogin(f->a, "alice@example.com", salt), 0);
	assert_memory_equal(salt, nsalt, 16);
	assert_int_equal(userkey_derive("new lilac meadow 7", 18, salt, &client, na, nw), 0);
	assert_int_equal(accounts_login(f->a, "alice@example.com", na, id), 0);
	assert_int_equal(accounts_get(f->a, id, &u), 0);
	assert_int_equal(userkey_unwrap(nw, id, u.wrapped, u.wrapped_len, &got), 0);
	assert_memory_equal(&got, &f->b, sizeof(got));
}

static void
test_recovery_login(void **state)
{
	struct fx *f = *state;
	struct accounts_user u;
	struct userkey_bundle got;
	char id[ACCOUNTS_ID_BUF], tok[SESSIONS_TOKEN_BUF], sid[SESSIONS_SID_BUF];
	struct sessions_info si;
	uint8_t ra[32], rw[32], nsalt[16], na[32], nw[32], blob[USERKEY_WRAPPED_LEN];

	assert_int_equal(sessions_create(f->s, f->id, 1, NULL, T0, tok, sid), 0);
	userkey_recovery_keys(f->rk, ra, rw);
	/* The recovery key is not the password and vice versa. */
	assert_int_equal(accounts_login(f->a, "alice@example.com", ra, id), ACCOUNTS_ERR_DENIED);
	assert_int_equal(accounts_login_recovery(f->a, "alice@example.com", f->auth, id), ACCOUNTS_ERR_DENIED);
	assert_int_equal(accounts_login_recovery(f->a, "mallory", ra, id), ACCOUNTS_ERR_DENIED);
	assert_int_equal(accounts_login_recovery(f->a, "alice@example.com", ra, id), 0);
	assert_int_equal(accounts_get(f->a, id, &u), 0);
	assert_int_equal(userkey_unwrap(rw, id, u.recovery_wrapped, u.recovery_wrapped_len, &got), 0);
	userkey_salt_new(nsalt);
	assert_int_equal(userkey_derive("fresh start password", 20, nsalt, &client, na, nw), 0);
	assert_int_equal(userkey_wrap(nw, id, &got, blob), 0);
	assert_int_equal(accounts_set_password(f->a, id, nsalt, na, blob, sizeof(blob)), 0);
	assert_int_equal(sessions_check(f->s, tok, T0, &si), SESSIONS_ERR_INVALID);
	assert_int_equal(accounts_login(f->a, "alice@example.com", na, id), 0);
}

static void
test_disable_revokes_sessions(void **state)
{
	struct fx *f = *state;
	char tok[SESSIONS_TOKEN_BUF], sid[SESSIONS_SID_BUF];
	struct sessions_info si;

	assert_int_equal(sessions_create(f->s, f->id, 1, NULL, T0, tok, sid), 0);
	assert_int_equal(accounts_set_disabled(f->a, f->id, 1), 0);
	assert_int_equal(sessions_check(f->s, tok, T0, &si), SESSIONS_ERR_INVALID);
	assert_int_equal(accounts_set_disabled(f->a, "ffffffffffffffffffffffffffffffff", 1), ACCOUNTS_ERR_NOTFOUND);
}

static void
code_at(const uint8_t *s, int64_t now, char out[8])
{
	snprintf(out, 8, "%06u", (unsigned)totp_hotp(s, ACCOUNTS_TOTP_SECRET_LEN,
	    (uint64_t)totp_step(now), 6));
}

static void
test_totp_enroll_verify_replay(void **state)
{
	struct fx *f = *state;
	struct accounts_user u;
	uint8_t s[ACCOUNTS_TOTP_SECRET_LEN], s2[ACCOUNTS_TOTP_SECRET_LEN];
	char c[8], b32[64], hex[64];
	sqlite3_stmt *st;

	/* No TOTP yet: nothing verifies. */
	memset(s, 0, sizeof(s));
	code_at(s, T0, c);
	assert_int_equal(accounts_totp_verify(f->a, f->id, c, T0), ACCOUNTS_ERR_DENIED);
	assert_int_equal(accounts_totp_begin(f->a, f->id, s), 0);
	/* Pending is not active; a wrong code does not confirm. */
	code_at(s, T0, c);
	assert_int_equal(accounts_totp_verify(f->a, f->id, c, T0), ACCOUNTS_ERR_DENIED);
	assert_int_equal(accounts_totp_confirm(f->a, f->id, "000000", T0), ACCOUNTS_ERR_DENIED);
	assert_int_equal(accounts_totp_confirm(f->a, f->id, c, T0), 0);
	assert_int_equal(accounts_get(f->a, f->id, &u), 0);
	assert_true(u.totp_enabled);
	/* The confirming code was used; the next step's code works once. */
	assert_int_equal(accounts_totp_verify(f->a, f->id, c, T0), ACCOUNTS_ERR_DENIED);
	code_at(s, T0 + TOTP_STEP_US, c);
	assert_int_equal(accounts_totp_verify(f->a, f->id, c, T0 + TOTP_STEP_US), 0);
	assert_int_equal(accounts_totp_verify(f->a, f->id, c, T0 + TOTP_STEP_US), ACCOUNTS_ERR_DENIED);
	code_at(s, T0 + 2 * TOTP_STEP_US, c);
	assert_int_equal(accounts_totp_verify(f->a, f->id, c, T0 + 2 * TOTP_STEP_US), 0);
	/* Another user's id does not verify this user's code. */
	assert_int_equal(accounts_totp_verify(f->a, "ffffffffffffffffffffffffffffffff", c,
	    T0 + 3 * TOTP_STEP_US), ACCOUNTS_ERR_DENIED);
	/* The secret is not in the database in the clear (neither raw hex nor base32). */
	assert_int_equal(totp_b32_encode(s, sizeof(s), b32, sizeof(b32)), 0);
	sodium_bin2hex(hex, sizeof(hex), s, sizeof(s));
	assert_int_equal(sqlite3_prepare_v2(f->db, "SELECT totp_secret, totp_pending FROM users",
	    -1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(st, 0);

		assert_null(strstr(t, hex));
		assert_null(strcasestr(t, b32));
	}
	sqlite3_finalize(st);
	/* Re-enrolling keeps the old secret until the new one is confirmed. */
	assert_int_equal(accounts_totp_begin(f->a, f->id, s2), 0);
	code_at(s, T0 + 10 * TOTP_STEP_US, c);
	assert_int_equal(accounts_totp_verify(f->a, f->id, c, T0 + 10 * TOTP_STEP_US), 0);
	assert_int_equal(accounts_totp_disable(f->a, f->id), 0);
	code_at(s, T0 + 20 * TOTP_STEP_US, c);
	assert_int_equal(accounts_totp_verify(f->a, f->id, c, T0 + 20 * TOTP_STEP_US), ACCOUNTS_ERR_DENIED);
}

static void
test_verify_password_step_up(void **state)
{
	struct fx *f = *state;
	uint8_t wrong[32];

	randombytes_buf(wrong, sizeof(wrong));
	assert_int_equal(accounts_verify_password(f->a, f->id, f->auth), 0);
	assert_int_equal(accounts_verify_password(f->a, f->id, wrong), ACCOUNTS_ERR_DENIED);
	assert_int_equal(accounts_verify_password(f->a, "zz", f->auth), ACCOUNTS_ERR_DENIED);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_username_norm),
		cmocka_unit_test_setup_teardown(test_prelogin_salts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_login_and_identical_failures, setup, teardown),
		cmocka_unit_test_setup_teardown(test_equal_work_for_unknown_users, setup, teardown),
		cmocka_unit_test_setup_teardown(test_register_conflicts_and_validation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_change_password_revokes_sessions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recovery_login, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disable_revokes_sessions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_totp_enroll_verify_replay, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verify_password_step_up, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
