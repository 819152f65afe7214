/* test_server_routes.c - the route table: every route has a policy, matching, authorize(), Range. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>
#include "server/auth.h"
#include "server/range.h"
#include "server/routes.h"
#include "server/server.h"

static void
test_every_route_has_policy(void **state)
{
	size_t n, i;
	const struct route *t = routes_table(&n);

	assert_true(n >= 10);
	for (i = 0; i < n; i++) {
		assert_non_null(t[i].method);
		assert_non_null(t[i].pattern);
		assert_non_null(t[i].handler);
		/* A route without a policy (POLICY_NONE) or with an unknown one fails here. */
		assert_true(t[i].policy == POLICY_PUBLIC || t[i].policy == POLICY_ADMIN ||
		    t[i].policy == POLICY_GATEWAY || t[i].policy == POLICY_SESSION ||
		    t[i].policy == POLICY_OPERATOR || t[i].policy == POLICY_ORG ||
		    t[i].policy == POLICY_CAMERA_VIEW || t[i].policy == POLICY_ENROLL ||
		    t[i].policy == POLICY_METRICS);
		/* An org route names the roles it admits. */
		if (t[i].policy == POLICY_ORG)
			assert_true(t[i].roles != 0);
		/* Only the console's files, health, the gateway and account login (and password
		 * recovery) routes, the audit key, the console hashes and a share link's two recipient routes are public. */
		if (t[i].policy == POLICY_PUBLIC)
			assert_true(strncmp(t[i].pattern, "/api/", 5) != 0 ||
			    strcmp(t[i].pattern, "/api/v1/console/hashes") == 0 ||
			    strncmp(t[i].pattern, "/api/v1/gateway/", 16) == 0 ||
			    strcmp(t[i].pattern, "/api/v1/auth/prelogin") == 0 ||
			    strcmp(t[i].pattern, "/api/v1/auth/register") == 0 ||
			    strcmp(t[i].pattern, "/api/v1/auth/login") == 0 ||
			    strcmp(t[i].pattern, "/api/v1/auth/recover/keys") == 0 ||
			    strcmp(t[i].pattern, "/api/v1/auth/recover") == 0 ||
			    strcmp(t[i].pattern, "/api/v1/audit/key") == 0 ||
			    /* A share link's recipient: the id and token are the credential. */
			    strcmp(t[i].pattern, "/api/v1/shares/{id}/open") == 0 ||
			    strcmp(t[i].pattern, "/api/v1/shares/{id}/segments/{seq}") == 0);
		/* Operator routes and audit downloads never answer a mere session: the admin
		 * token, or (operator routes) an operator account's session. */
		if (strncmp(t[i].pattern, "/api/v1/operator/", 17) == 0)
			assert_true(t[i].policy == POLICY_ADMIN || t[i].policy == POLICY_OPERATOR);
		if (strcmp(t[i].pattern, "/api/v1/signup-codes") == 0 ||
		    strcmp(t[i].pattern, "/api/v1/audit/instance") == 0)
			assert_int_equal(t[i].policy, POLICY_ADMIN);
	}
}

static void
test_match(void **state)
{
	struct route_match m;

	assert_int_equal(route_match("GET", "/healthz", &m), 0);
	assert_int_equal(m.route->policy, POLICY_PUBLIC);
	assert_int_equal(route_match("GET", "/api/v1/cameras/abc/streams/0/segments/7", &m), 0);
	assert_int_equal(m.nparams, 3);
	assert_string_equal(m.params[0], "abc");
	assert_string_equal(m.params[1], "0");
	assert_string_equal(m.params[2], "7");
	assert_int_equal(m.route->policy, POLICY_CAMERA_VIEW);
	assert_int_equal(route_match("POST", "/api/v1/ingest", &m), 0);
	assert_int_equal(m.route->policy, POLICY_GATEWAY);
	assert_int_equal(route_match("DELETE", "/healthz", &m), -405);
	assert_int_equal(route_match("GET", "/healthz/", &m), -404);
	assert_int_equal(route_match("GET", "", &m), -404);
	assert_int_equal(route_match("GET", "/api/v1/cameras//streams/0/live", &m), -404);
	assert_int_equal(route_match("GET", "/api/v1/cameras/a.b/streams/0/live", &m), -404);
	assert_int_equal(route_match("GET", "/api/v1/cameras/../streams/0/live", &m), -404);
	assert_int_equal(route_match("GET", "/api/v1/cameras/a/streams/0/live/x", &m), -404);
	/* The account routes and their policies. */
	assert_int_equal(route_match("POST", "/api/v1/auth/login", &m), 0);
	assert_int_equal(m.route->policy, POLICY_PUBLIC);
	assert_int_equal(route_match("GET", "/api/v1/auth/me", &m), 0);
	assert_int_equal(m.route->policy, POLICY_SESSION);
	assert_int_equal(route_match("DELETE", "/api/v1/auth/sessions", &m), 0);
	assert_int_equal(m.route->policy, POLICY_SESSION);
	assert_int_equal(route_match("POST", "/api/v1/operator/sessions/revoke", &m), 0);
	assert_int_equal(m.route->policy, POLICY_ADMIN);
	assert_int_equal(route_match("GET", "/api/v1/auth/login", &m), -405);
}

static void
test_authorize(void **state)
{
	static const char admin[] = "0123456789abcdef-admin";
	struct server srv;
	struct principal who;
	uint8_t pk[32], sk[64], nonce[32], sig[64], msg[48];
	char tok[AUTH_TOKEN_HEX], hdr[128];

	assert_true(sodium_init() >= 0);
	memset(&srv, 0, sizeof(srv));
	srv.au = auth_new((const uint8_t *)admin, strlen(admin));
	assert_non_null(srv.au);
	assert_int_equal(authorize(&srv, POLICY_PUBLIC, NULL, 0, &who), 0);
	assert_int_equal(authorize(&srv, POLICY_NONE, "Bearer 0123456789abcdef-admin", 0, &who), -403);
	assert_int_equal(authorize(&srv, (enum policy)77, NULL, 0, &who), -403);
	assert_int_equal(authorize(&srv, POLICY_ADMIN, NULL, 0, &who), -401);
	assert_int_equal(authorize(&srv, POLICY_ADMIN, "Bearer wrong", 0, &who), -401);
	assert_int_equal(authorize(&srv, POLICY_ADMIN, "0123456789abcdef-admin", 0, &who), -401);
	assert_int_equal(authorize(&srv, POLICY_ADMIN, "Bearer 0123456789abcdef-admin", 0, &who), 0);
	assert_int_equal(who.kind, POLICY_ADMIN);
	/* The admin token is not a gateway session. */
	assert_int_equal(authorize(&srv, POLICY_GATEWAY, "Bearer 0123456789abcdef-admin", 0, &who), -401);

	crypto_sign_keypair(pk, sk);
	assert_int_equal(auth_challenge_new(srv.au, 1000, nonce), 0);
	memcpy(msg, AUTH_DOMAIN, 16);
	memcpy(msg + 16, nonce, 32);
	crypto_sign_detached(sig, NULL, msg, sizeof(msg), sk);
	assert_int_equal(auth_session_open(srv.au, 2000, pk, nonce, sig, tok), 0);
	/* One-time nonce. */
	assert_int_equal(auth_session_open(srv.au, 2000, pk, nonce, sig, tok + 0), -1);
	assert_int_equal(auth_challenge_new(srv.au, 1000, nonce), 0);
	assert_int_equal(auth_session_open(srv.au, 2000, pk, nonce, sig, tok), -1);  /* wrong sig */
	assert_int_equal(auth_challenge_new(srv.au, 1000, nonce), 0);
	memcpy(msg + 16, nonce, 32);
	crypto_sign_detached(sig, NULL, msg, sizeof(msg), sk);
	assert_int_equal(auth_session_open(srv.au, 1000 + AUTH_CHALLENGE_TTL_US, pk, nonce, sig, tok), -1);
	assert_int_equal(auth_challenge_new(srv.au, 1000, nonce), 0);
	memcpy(msg + 16, nonce, 32);
	crypto_sign_detached(sig, NULL, msg, sizeof(msg), sk);
	assert_int_equal(auth_session_open(srv.au, 2000, pk, nonce, sig, tok), 0);
	snprintf(hdr, sizeof(hdr), "Bearer %s", tok);
	assert_int_equal(authorize(&srv, POLICY_GATEWAY, hdr, 3000, &who), 0);
	assert_int_equal(who.kind, POLICY_GATEWAY);
	assert_memory_equal(who.gateway_id, pk, 32);
	assert_int_equal(authorize(&srv, POLICY_ADMIN, hdr, 3000, &who), -401);
	assert_int_equal(authorize(&srv, POLICY_GATEWAY, hdr, 2000 + AUTH_SESSION_TTL_US, &who), -401);
	/* A session policy without an account store, without a cookie or with a gateway
	 * token or the admin token denies. */
	assert_int_equal(authorize(&srv, POLICY_SESSION, hdr, 3000, &who), -401);
	assert_int_equal(authorize_req(&srv, POLICY_SESSION, "Bearer 0123456789abcdef-admin",
	    "vigil_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 3000, &who), -401);
	assert_int_equal(who.kind, POLICY_NONE);
	auth_free(srv.au);
}

static void
test_range(void **state)
{
	uint64_t s, l;

	assert_int_equal(range_parse(NULL, 100, &s, &l), RANGE_NONE);
	assert_int_equal(range_parse("bytes=0-9", 100, &s, &l), RANGE_PARTIAL);
	assert_true(s == 0 && l == 10);
	assert_int_equal(range_parse("bytes=90-", 100, &s, &l), RANGE_PARTIAL);
	assert_true(s == 90 && l == 10);
	assert_int_equal(range_parse("bytes=-5", 100, &s, &l), RANGE_PARTIAL);
	assert_true(s == 95 && l == 5);
	assert_int_equal(range_parse("bytes=50-1000", 100, &s, &l), RANGE_PARTIAL);
	assert_true(s == 50 && l == 50);
	assert_int_equal(range_parse("bytes=100-", 100, &s, &l), RANGE_UNSATISFIABLE);
	assert_int_equal(range_parse("bytes=-0", 100, &s, &l), RANGE_UNSATISFIABLE);
	assert_int_equal(range_parse("bytes=5-1", 100, &s, &l), RANGE_NONE);
	assert_int_equal(range_parse("bytes=0-1,3-4", 100, &s, &l), RANGE_NONE);
	assert_int_equal(range_parse("bytes=99999999999999999999999-", 100, &s, &l), RANGE_NONE);
	assert_int_equal(range_parse("items=0-1", 100, &s, &l), RANGE_NONE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_route_has_policy),
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_authorize),
		cmocka_unit_test(test_range),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
