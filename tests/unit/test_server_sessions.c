/* test_server_sessions.c - sessions: hashed tokens, idle/absolute expiry, revocation, kill switch, cookies. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>
#include "server/sessions.h"

#define MIN (INT64_C(60) * 1000000)
#define T0 (INT64_C(1800000000) * 1000000)
#define ROLE_OWNER 1u
#define ROLE_VIEWER 4u
#define ROLE_SUPPORT 16u

static const char alice[] = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
static const char bob[] = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

struct fx {
	sqlite3 *db;
	struct sessions *s;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (f == NULL || sodium_init() < 0 || sqlite3_open(":memory:", &f->db) != SQLITE_OK ||
	    sessions_open(f->db, NULL, &f->s) != 0)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	sessions_close(f->s);
	sqlite3_close(f->db);
	free(f);
	return 0;
}

static void
test_create_check_and_storage(void **state)
{
	struct fx *f = *state;
	struct sessions_info i;
	char tok[SESSIONS_TOKEN_BUF], sid[SESSIONS_SID_BUF], tok2[SESSIONS_TOKEN_BUF];
	sqlite3_stmt *st;
	int found = 0;

	assert_int_equal(sessions_create(f->s, alice, ROLE_OWNER, "192.0.2.1", T0, tok, sid), 0);
	assert_int_equal(strlen(tok), SESSIONS_TOKEN_LEN);
	assert_int_equal(strlen(sid), 32);
	assert_int_equal(sessions_check(f->s, tok, T0 + MIN, &i), 0);
	assert_string_equal(i.user_id, alice);
	assert_string_equal(i.sid, sid);
	assert_string_equal(i.addr, "192.0.2.1");
	assert_int_equal(i.roles, ROLE_OWNER);
	/* The token itself is nowhere in the table: only its hash. */
	assert_int_equal(sqlite3_prepare_v2(f->db, "SELECT * FROM sessions", -1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		int c;

		for (c = 0; c < sqlite3_column_count(st); c++) {
			const unsigned char *t = sqlite3_column_text(st, c);

			assert_true(t == NULL || strstr((const char *)t, tok) == NULL);
		}
		found++;
	}
	sqlite3_finalize(st);
	assert_int_equal(found, 1);
	/* Two sessions get different tokens; a changed or malformed token is refused. */
	assert_int_equal(sessions_create(f->s, alice, ROLE_OWNER, NULL, T0, tok2, sid), 0);
	assert_string_not_equal(tok, tok2);
	tok2[5] = tok2[5] == 'A' ? 'B' : 'A';
	assert_int_equal(sessions_check(f->s, tok2, T0, &i), SESSIONS_ERR_INVALID);
	assert_int_equal(sessions_check(f->s, "short", T0, &i), SESSIONS_ERR_INVALID);
	assert_int_equal(sessions_check(f->s, NULL, T0, &i), SESSIONS_ERR_INVALID);
	assert_int_equal(sessions_create(f->s, "not-an-id", 0, NULL, T0, tok2, sid), SESSIONS_ERR_INVAL);
}

static void
test_idle_timeout(void **state)
{
	struct fx *f = *state;
	struct sessions_info i;
	char tok[SESSIONS_TOKEN_BUF], sid[SESSIONS_SID_BUF];
	int64_t t = T0;
	int k;

	assert_int_equal(sessions_create(f->s, alice, 0, NULL, t, tok, sid), 0);
	/* Activity every 29 minutes keeps it alive for hours... */
	for (k = 0; k < 10; k++) {
		t += 29 * MIN;
		assert_int_equal(sessions_check(f->s, tok, t, &i), 0);
	}
	/* ...30 idle minutes end it, and it stays ended. */
	t += 30 * MIN;
	assert_int_equal(sessions_check(f->s, tok, t, &i), SESSIONS_ERR_INVALID);
	assert_int_equal(sessions_check(f->s, tok, t - 31 * MIN, &i), SESSIONS_ERR_INVALID);
}

static void
test_absolute_timeout(void **state)
{
	struct fx *f = *state;
	struct sessions_info i;
	char tok[SESSIONS_TOKEN_BUF], sid[SESSIONS_SID_BUF];
	int64_t t = T0;

	assert_int_equal(sessions_create(f->s, alice, 0, NULL, t, tok, sid), 0);
	while (t + 20 * MIN < T0 + 12 * 60 * MIN) {
		t += 20 * MIN;
		assert_int_equal(sessions_check(f->s, tok, t, &i), 0);
	}
	/* Active all along, still over at 12 h. */
	assert_int_equal(sessions_check(f->s, tok, T0 + 12 * 60 * MIN, &i), SESSIONS_ERR_INVALID);
}

static void
test_custom_timeouts_and_expire(void **state)
{
	struct fx *f = *state;
	struct sessions *s2;
	struct sessions_info i;
	struct sessions_cfg cfg = { 2 * MIN, 5 * MIN };
	char tok[SESSIONS_TOKEN_BUF], sid[SESSIONS_SID_BUF];

	assert_int_equal(sessions_open(f->db, &cfg, &s2), 0);
	assert_int_equal(sessions_create(s2, bob, 0, NULL, T0, tok, sid), 0);
	assert_int_equal(sessions_check(s2, tok, T0 + MIN, &i), 0);
	assert_int_equal(sessions_expire(s2, T0 + MIN), 0);
	assert_int_equal(sessions_expire(s2, T0 + 4 * MIN), 1);
	assert_int_equal(sessions_check(s2, tok, T0 + MIN, &i), SESSIONS_ERR_INVALID);
	sessions_close(s2);
}

static void
test_revocations(void **state)
{
	struct fx *f = *state;
	struct sessions_info i, list[8];
	char a1[SESSIONS_TOKEN_BUF], a2[SESSIONS_TOKEN_BUF], b1[SESSIONS_TOKEN_BUF];
	char s1[SESSIONS_SID_BUF], s2[SESSIONS_SID_BUF], s3[SESSIONS_SID_BUF];
	size_t n;

	assert_int_equal(sessions_create(f->s, alice, 0, "a", T0, a1, s1), 0);
	assert_int_equal(sessions_create(f->s, alice, 0, "b", T0 + 1, a2, s2), 0);
	assert_int_equal(sessions_create(f->s, bob, 0, NULL, T0, b1, s3), 0);
	assert_int_equal(sessions_list(f->s, alice, T0 + 2, list, 8, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(list[0].sid, s2);           /* newest first */
	assert_string_equal(list[1].sid, s1);
	/* Bob cannot revoke Alice's session by its sid; Alice can. */
	assert_int_equal(sessions_revoke(f->s, bob, s1), SESSIONS_ERR_INVALID);
	assert_int_equal(sessions_revoke(f->s, alice, s1), 0);
	assert_int_equal(sessions_check(f->s, a1, T0 + 2, &i), SESSIONS_ERR_INVALID);
	assert_int_equal(sessions_check(f->s, a2, T0 + 2, &i), 0);
	/* Logout by token. */
	assert_int_equal(sessions_revoke_token(f->s, a2), 0);
	assert_int_equal(sessions_revoke_token(f->s, a2), SESSIONS_ERR_INVALID);
	assert_int_equal(sessions_check(f->s, a2, T0 + 2, &i), SESSIONS_ERR_INVALID);
	/* Sign out everywhere touches only that user. */
	assert_int_equal(sessions_create(f->s, alice, 0, NULL, T0, a1, s1), 0);
	assert_int_equal(sessions_create(f->s, alice, 0, NULL, T0, a2, s2), 0);
	assert_int_equal(sessions_revoke_user(f->s, alice), 2);
	assert_int_equal(sessions_check(f->s, a1, T0 + 2, &i), SESSIONS_ERR_INVALID);
	assert_int_equal(sessions_check(f->s, a2, T0 + 2, &i), SESSIONS_ERR_INVALID);
	assert_int_equal(sessions_check(f->s, b1, T0 + 2, &i), 0);
}

static void
test_kill_switch_revokes_only_that_role(void **state)
{
	struct fx *f = *state;
	struct sessions_info i;
	char own[SESSIONS_TOKEN_BUF], sup[SESSIONS_TOKEN_BUF], both[SESSIONS_TOKEN_BUF];
	char view[SESSIONS_TOKEN_BUF], sid[SESSIONS_SID_BUF];

	assert_int_equal(sessions_create(f->s, alice, ROLE_OWNER, NULL, T0, own, sid), 0);
	assert_int_equal(sessions_create(f->s, bob, ROLE_SUPPORT, NULL, T0, sup, sid), 0);
	assert_int_equal(sessions_create(f->s, bob, ROLE_VIEWER | ROLE_SUPPORT, NULL, T0, both, sid), 0);
	assert_int_equal(sessions_create(f->s, bob, ROLE_VIEWER, NULL, T0, view, sid), 0);
	assert_int_equal(sessions_revoke_role(f->s, ROLE_SUPPORT), 2);
	assert_int_equal(sessions_check(f->s, sup, T0, &i), SESSIONS_ERR_INVALID);
	assert_int_equal(sessions_check(f->s, both, T0, &i), SESSIONS_ERR_INVALID);
	assert_int_equal(sessions_check(f->s, own, T0, &i), 0);
	assert_int_equal(sessions_check(f->s, view, T0, &i), 0);
	assert_int_equal(sessions_revoke_role(f->s, 0), SESSIONS_ERR_INVAL);
	/* A role gained after login is seen by the kill switch once set_roles ran. */
	assert_int_equal(sessions_set_roles(f->s, bob, ROLE_VIEWER | ROLE_SUPPORT), 1);
	assert_int_equal(sessions_revoke_role(f->s, ROLE_SUPPORT), 1);
	assert_int_equal(sessions_check(f->s, view, T0, &i), SESSIONS_ERR_INVALID);
	assert_int_equal(sessions_check(f->s, own, T0, &i), 0);
}

static void
test_step_up(void **state)
{
	struct fx *f = *state;
	struct sessions_info i;
	char tok[SESSIONS_TOKEN_BUF], sid[SESSIONS_SID_BUF];

	assert_int_equal(sessions_create(f->s, alice, 0, NULL, T0, tok, sid), 0);
	/* The login itself is a fresh password for five minutes. */
	assert_int_equal(sessions_check(f->s, tok, T0 + 5 * MIN, &i), 0);
	assert_true(sessions_step_up_fresh(&i, T0 + 5 * MIN));
	assert_int_equal(sessions_check(f->s, tok, T0 + 6 * MIN, &i), 0);
	assert_false(sessions_step_up_fresh(&i, T0 + 6 * MIN));
	assert_int_equal(sessions_step_up(f->s, sid, T0 + 6 * MIN), 0);
	assert_int_equal(sessions_check(f->s, tok, T0 + 10 * MIN, &i), 0);
	assert_true(sessions_step_up_fresh(&i, T0 + 10 * MIN));
	assert_false(sessions_step_up_fresh(&i, T0 + 12 * MIN));
	assert_int_equal(sessions_step_up(f->s, "ffffffffffffffffffffffffffffffff", T0), SESSIONS_ERR_INVALID);
}

static void
test_cookies(void **state)
{
	struct fx *f = *state;
	char tok[SESSIONS_TOKEN_BUF], sid[SESSIONS_SID_BUF], c[SESSIONS_COOKIE_BUF], hdr[256];
	char got[SESSIONS_TOKEN_BUF];

	assert_int_equal(sessions_create(f->s, alice, 0, NULL, T0, tok, sid), 0);
	assert_int_equal(sessions_cookie(tok, 1, c, sizeof(c)), 0);
	snprintf(hdr, sizeof(hdr), "__Host-vigil_session=%s; Path=/; HttpOnly; SameSite=Strict; Secure", tok);
	assert_string_equal(c, hdr);
	assert_int_equal(sessions_cookie(tok, 0, c, sizeof(c)), 0);
	snprintf(hdr, sizeof(hdr), "vigil_session=%s; Path=/; HttpOnly; SameSite=Strict", tok);
	assert_string_equal(c, hdr);
	assert_null(strstr(c, "Secure"));
	assert_int_equal(sessions_cookie(tok, 1, c, 40), SESSIONS_ERR_INVAL);
	assert_int_equal(sessions_cookie("x", 1, c, sizeof(c)), SESSIONS_ERR_INVAL);
	assert_int_equal(sessions_cookie_clear(1, c, sizeof(c)), 0);
	assert_string_equal(c, "__Host-vigil_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict; Secure");
	/* Reading the request's Cookie header. */
	snprintf(hdr, sizeof(hdr), "theme=dark; __Host-vigil_session=%s; other=1", tok);
	assert_int_equal(sessions_cookie_token(hdr, 1, got), 0);
	assert_string_equal(got, tok);
	assert_int_equal(sessions_cookie_token(hdr, 0, got), SESSIONS_ERR_INVALID);
	snprintf(hdr, sizeof(hdr), "vigil_session=%s", tok);
	assert_int_equal(sessions_cookie_token(hdr, 0, got), 0);
	assert_string_equal(got, tok);
	snprintf(hdr, sizeof(hdr), "x__Host-vigil_session=%s", tok);
	assert_int_equal(sessions_cookie_token(hdr, 1, got), SESSIONS_ERR_INVALID);
	snprintf(hdr, sizeof(hdr), "__Host-vigil_session=%sA", tok);
	assert_int_equal(sessions_cookie_token(hdr, 1, got), SESSIONS_ERR_INVALID);
	assert_int_equal(sessions_cookie_token("__Host-vigil_session=", 1, got), SESSIONS_ERR_INVALID);
	assert_int_equal(sessions_cookie_token(NULL, 1, got), SESSIONS_ERR_INVALID);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_check_and_storage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idle_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_absolute_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_custom_timeouts_and_expire, setup, teardown),
		cmocka_unit_test_setup_teardown(test_revocations, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kill_switch_revokes_only_that_role, setup, teardown),
		cmocka_unit_test_setup_teardown(test_step_up, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cookies, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
