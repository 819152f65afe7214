/* test_server_throttle.c - login throttling: 101st failure locked, backoff, per-address caps, unknown users alike. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <cmocka.h>
#include <sodium.h>
#include "server/throttle.h"

#define SEC INT64_C(1000000)
#define MIN (60 * SEC)
#define T0 (INT64_C(1800000000) * SEC)

struct fx {
	sqlite3 *db;
	struct throttle *t;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (f == NULL || sodium_init() < 0 || sqlite3_open(":memory:", &f->db) != SQLITE_OK ||
	    throttle_open(f->db, NULL, &f->t) != 0)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	throttle_close(f->t);
	sqlite3_close(f->db);
	free(f);
	return 0;
}

/* IPv4 address 10.x.y.z numbered by i, so per-address limits stay out of the way. */
static const struct sockaddr *
v4(struct sockaddr_in *s, unsigned i)
{
	memset(s, 0, sizeof(*s));
	s->sin_family = AF_INET;
	s->sin_addr.s_addr = htonl(0x0a000000u | i);
	return (const struct sockaddr *)s;
}

static const struct sockaddr *
v6(struct sockaddr_in6 *s, const char *txt)
{
	memset(s, 0, sizeof(*s));
	s->sin6_family = AF_INET6;
	inet_pton(AF_INET6, txt, &s->sin6_addr);
	return (const struct sockaddr *)s;
}

/*
 * An attacker who honours every Retry-After: each attempt waits until check allows it,
 * then fails. Returns the number of failures recorded before the account locked, and the
 * time reached in *now.
 */
static int
guess_until_locked(struct throttle *t, const char *user, int64_t *now, int limit, int *codes)
{
	struct sockaddr_in sa;
	int64_t retry;
	int n = 0, r;

	for (;;) {
		r = throttle_check(t, user, v4(&sa, (unsigned)n), *now, &retry);
		if (r == THROTTLE_BACKOFF) {
			assert_true(retry >= 1 && retry <= 30);
			*now += retry * SEC;
			continue;
		}
		if (codes != NULL)
			codes[n < limit ? n : limit - 1] = r;
		if (r != 0 || n >= limit)
			return r == THROTTLE_LOCKED ? n : -1 - n;
		assert_int_equal(throttle_fail(t, user, v4(&sa, (unsigned)n), *now), 0);
		n++;
	}
}

static void
test_101st_failure_locked(void **state)
{
	struct fx *f = *state;
	struct sockaddr_in sa;
	int64_t now = T0, retry;
	int n;

	n = guess_until_locked(f->t, "alice", &now, 200, NULL);
	assert_int_equal(n, THROTTLE_ACCOUNT_MAX);
	/* All 100 fitted in the hour despite the backoff (the cap is what stops them). */
	print_message("100 failures honouring the backoff took %lld s\n", (long long)((now - T0) / SEC));
	assert_true(now - T0 < 60 * MIN);
	/* Locked, with a Retry-After, for every address, and success does not unlock it. */
	assert_int_equal(throttle_check(f->t, "alice", v4(&sa, 999), now, &retry), THROTTLE_LOCKED);
	assert_true(retry >= 1 && retry <= 65 * 60);
	assert_int_equal(throttle_success(f->t, "alice", now), 0);
	assert_int_equal(throttle_check(f->t, "ALICE", v4(&sa, 998), now, &retry), THROTTLE_LOCKED);
	/* Another account is unaffected. */
	assert_int_equal(throttle_check(f->t, "bob", v4(&sa, 997), now, &retry), 0);
	/* Failures age out: after the hour (and a bucket) the account is open again. */
	assert_int_equal(throttle_check(f->t, "alice", v4(&sa, 996), T0 + 66 * MIN, &retry), 0);
}

static void
test_unknown_users_throttled_alike(void **state)
{
	struct fx *f = *state;
	int codes_known[120], codes_unknown[120];
	int64_t t1 = T0, t2 = T0;

	/* The throttle never learns whether an account exists: a real user's name and a made-up
	 * one go through the same sequence of answers at the same times. */
	assert_int_equal(guess_until_locked(f->t, "alice", &t1, 120, codes_known), 100);
	assert_int_equal(guess_until_locked(f->t, "no-such-user", &t2, 120, codes_unknown), 100);
	assert_int_equal(t1, t2);
	assert_memory_equal(codes_known, codes_unknown, sizeof(int) * 101);
}

static void
test_backoff(void **state)
{
	struct fx *f = *state;
	struct sockaddr_in sa;
	int64_t now = T0, retry;
	int i;

	for (i = 0; i < 4; i++) {
		assert_int_equal(throttle_check(f->t, "carol", v4(&sa, 1), now, &retry), 0);
		assert_int_equal(throttle_fail(f->t, "carol", v4(&sa, 1), now), 0);
	}
	/* The 5th consecutive failure starts the delays: 1 s, 2 s, 4 s... capped at 30 s. */
	assert_int_equal(throttle_fail(f->t, "carol", v4(&sa, 1), now), 0);
	assert_int_equal(throttle_check(f->t, "carol", v4(&sa, 2), now, &retry), THROTTLE_BACKOFF);
	assert_int_equal(retry, 1);
	assert_int_equal(throttle_check(f->t, "carol", v4(&sa, 2), now + SEC, &retry), 0);
	now += SEC;
	assert_int_equal(throttle_fail(f->t, "carol", v4(&sa, 3), now), 0);
	assert_int_equal(throttle_check(f->t, "carol", v4(&sa, 2), now, &retry), THROTTLE_BACKOFF);
	assert_int_equal(retry, 2);
	for (i = 0; i < 10; i++)
		assert_int_equal(throttle_fail(f->t, "carol", v4(&sa, 4 + (unsigned)i), now), 0);
	assert_int_equal(throttle_check(f->t, "carol", v4(&sa, 2), now, &retry), THROTTLE_BACKOFF);
	assert_int_equal(retry, 30);
	/* A success clears the backoff. */
	assert_int_equal(throttle_success(f->t, "carol", now), 0);
	assert_int_equal(throttle_check(f->t, "carol", v4(&sa, 2), now, &retry), 0);
}

static void
test_per_address_limit(void **state)
{
	struct fx *f = *state;
	struct sockaddr_in sa;
	struct sockaddr_in6 s6;
	int64_t now = T0, retry;
	char user[32];
	int i;

	/* 20 failures from one address, each against a different account, then refused. */
	for (i = 0; i < THROTTLE_ADDR_MAX; i++) {
		snprintf(user, sizeof(user), "user%d", i);
		assert_int_equal(throttle_check(f->t, user, v4(&sa, 7), now, &retry), 0);
		assert_int_equal(throttle_fail(f->t, user, v4(&sa, 7), now), 0);
		now += SEC;
	}
	assert_int_equal(throttle_check(f->t, "fresh", v4(&sa, 7), now, &retry), THROTTLE_ADDR);
	assert_true(retry >= 1 && retry <= 11 * 60);
	assert_int_equal(throttle_check(f->t, "fresh", v4(&sa, 8), now, &retry), 0);
	/* Ten minutes (and a bucket) later it is open again. */
	assert_int_equal(throttle_check(f->t, "fresh", v4(&sa, 7), T0 + 11 * MIN + 20 * SEC, &retry), 0);
	/* IPv6: the whole /64 shares one budget; another /64 does not. */
	for (i = 0; i < THROTTLE_ADDR_MAX; i++) {
		char a[64];

		snprintf(a, sizeof(a), "2001:db8:1:2::%x", i + 1);
		assert_int_equal(throttle_fail(f->t, "v6user", v6(&s6, a), now), 0);
		assert_int_equal(throttle_success(f->t, "v6user", now), 0);
	}
	assert_int_equal(throttle_check(f->t, "x", v6(&s6, "2001:db8:1:2:ffff::1"), now, &retry), THROTTLE_ADDR);
	assert_int_equal(throttle_check(f->t, "x", v6(&s6, "2001:db8:1:3::1"), now, &retry), 0);
}

static void
test_addr_keys(void **state)
{
	struct sockaddr_in sa;
	struct sockaddr_in6 s6;
	char k[48];

	throttle_addr_key(v4(&sa, 0x010203), k);
	assert_string_equal(k, "4:10.1.2.3");
	throttle_addr_key(v6(&s6, "::ffff:10.1.2.3"), k);
	assert_string_equal(k, "4:10.1.2.3");
	throttle_addr_key(v6(&s6, "2001:db8:aa:bb:cc:dd:ee:ff"), k);
	assert_string_equal(k, "6:20010db800aa00bb");
	throttle_addr_key(NULL, k);
	assert_string_equal(k, "-");
}

static void
test_prune_and_persistence(void **state)
{
	struct fx *f = *state;
	struct throttle *t2;
	struct sockaddr_in sa;
	int64_t retry, now = T0;
	struct throttle_cfg cfg = { 3, 0, 0, 0 };

	/* State lives in the database: a restarted server keeps the lock. */
	assert_int_equal(throttle_open(f->db, &cfg, &t2), 0);
	assert_int_equal(throttle_fail(t2, "dave", v4(&sa, 1), now), 0);
	assert_int_equal(throttle_fail(t2, "dave", v4(&sa, 2), now), 0);
	assert_int_equal(throttle_fail(t2, "dave", v4(&sa, 3), now), 0);
	throttle_close(t2);
	assert_int_equal(throttle_open(f->db, &cfg, &t2), 0);
	assert_int_equal(throttle_check(t2, "dave", v4(&sa, 4), now, &retry), THROTTLE_LOCKED);
	assert_int_equal(throttle_prune(t2, now), 0);
	assert_true(throttle_prune(t2, now + 2 * 60 * MIN) > 0);
	assert_int_equal(throttle_check(t2, "dave", v4(&sa, 4), now, &retry), 0);
	throttle_close(t2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_101st_failure_locked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_users_throttled_alike, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backoff, setup, teardown),
		cmocka_unit_test_setup_teardown(test_per_address_limit, setup, teardown),
		cmocka_unit_test(test_addr_keys),
		cmocka_unit_test_setup_teardown(test_prune_and_persistence, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
