/* test_server_auth.c - gateway challenges and session tokens: single use, expiry, wrong keys, and ten thousand live sessions at once. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>
#include "server/auth.h"

#define NOW 1000000000000LL

struct gw {
	uint8_t pk[crypto_sign_PUBLICKEYBYTES];
	uint8_t sk[crypto_sign_SECRETKEYBYTES];
};

static void
sign_nonce(const struct gw *g, const uint8_t nonce[AUTH_NONCE_LEN], uint8_t sig[SIG_LEN])
{
	uint8_t msg[sizeof(AUTH_DOMAIN) - 1 + AUTH_NONCE_LEN];

	memcpy(msg, AUTH_DOMAIN, sizeof(AUTH_DOMAIN) - 1);
	memcpy(msg + sizeof(AUTH_DOMAIN) - 1, nonce, AUTH_NONCE_LEN);
	crypto_sign_detached(sig, NULL, msg, sizeof(msg), g->sk);
}

static int
open_session(struct auth *a, const struct gw *g, int64_t now, char tok[AUTH_TOKEN_HEX])
{
	uint8_t nonce[AUTH_NONCE_LEN], sig[SIG_LEN];

	assert_int_equal(auth_challenge_new(a, now, nonce), 0);
	sign_nonce(g, nonce, sig);
	return auth_session_open(a, now, g->pk, nonce, sig, tok);
}

static void
test_challenge_and_session(void **state)
{
	struct auth *a = auth_new((const uint8_t *)"admin", 5);
	struct gw g, other;
	uint8_t nonce[AUTH_NONCE_LEN], sig[SIG_LEN], who[GATEWAY_ID_LEN];
	char tok[AUTH_TOKEN_HEX];

	(void)state;
	assert_non_null(a);
	crypto_sign_keypair(g.pk, g.sk);
	crypto_sign_keypair(other.pk, other.sk);
	/* A good answer opens a session naming the gateway. */
	assert_int_equal(auth_challenge_new(a, NOW, nonce), 0);
	sign_nonce(&g, nonce, sig);
	assert_int_equal(auth_session_open(a, NOW, g.pk, nonce, sig, tok), 0);
	assert_int_equal(auth_session_check(a, NOW + 1, tok, who), 0);
	assert_memory_equal(who, g.pk, GATEWAY_ID_LEN);
	/* The nonce is spent. */
	assert_int_equal(auth_session_open(a, NOW, g.pk, nonce, sig, tok), -1);
	/* Another key's signature, or a claimed id that did not sign, opens nothing. */
	assert_int_equal(auth_challenge_new(a, NOW, nonce), 0);
	sign_nonce(&other, nonce, sig);
	assert_int_equal(auth_session_open(a, NOW, g.pk, nonce, sig, tok), -1);
	/* ...and that nonce is spent too. */
	sign_nonce(&g, nonce, sig);
	assert_int_equal(auth_session_open(a, NOW, g.pk, nonce, sig, tok), -1);
	/* An expired challenge. */
	assert_int_equal(auth_challenge_new(a, NOW, nonce), 0);
	sign_nonce(&g, nonce, sig);
	assert_int_equal(auth_session_open(a, NOW + AUTH_CHALLENGE_TTL_US + 1, g.pk, nonce, sig,
	    tok), -1);
	/* Sessions expire; a wrong or malformed token is refused. */
	assert_int_equal(open_session(a, &g, NOW, tok), 0);
	assert_int_equal(auth_session_check(a, NOW + AUTH_SESSION_TTL_US + 1, tok, who), -1);
	assert_int_equal(auth_session_check(a, NOW, tok, who), -1);   /* forgotten once expired */
	assert_int_equal(open_session(a, &g, NOW, tok), 0);
	tok[0] = tok[0] == 'a' ? 'b' : 'a';
	assert_int_equal(auth_session_check(a, NOW, tok, who), -1);
	assert_int_equal(auth_session_check(a, NOW, "short", who), -1);
	assert_int_equal(auth_session_check(a, NOW, NULL, who), -1);
	/* The admin token. */
	assert_int_equal(auth_admin_check(a, "admin"), 0);
	assert_int_equal(auth_admin_check(a, "admiN"), -1);
	assert_int_equal(auth_admin_check(a, ""), -1);
	auth_free(a);
}

/* Ten thousand gateways connected at once all keep their sessions. */
static void
test_many_sessions(void **state)
{
	enum { N = 10000 };
	struct auth *a = auth_new((const uint8_t *)"admin", 5);
	char (*toks)[AUTH_TOKEN_HEX] = calloc(N, AUTH_TOKEN_HEX);
	struct gw *g = calloc(N, sizeof(*g));
	uint8_t who[GATEWAY_ID_LEN];
	int i, ok = 0;

	(void)state;
	assert_non_null(a);
	assert_non_null(toks);
	assert_non_null(g);
	for (i = 0; i < N; i++) {
		crypto_sign_keypair(g[i].pk, g[i].sk);
		assert_int_equal(open_session(a, &g[i], NOW + i, toks[i]), 0);
	}
	for (i = 0; i < N; i++)
		ok += auth_session_check(a, NOW + N, toks[i], who) == 0 &&
		    memcmp(who, g[i].pk, GATEWAY_ID_LEN) == 0;
	assert_int_equal(ok, N);
	free(g);
	free(toks);
	auth_free(a);
}

/* One gateway logging in over and over ends only its own oldest sessions: it holds at most
 * AUTH_GW_SESSIONS_MAX, the newest, and another gateway's session stays live (before, every
 * login past a full hash window reused whichever session was closest to expiry, another
 * organization's gateway's included). */
static void
test_gateway_session_cap(void **state)
{
	enum { N = AUTH_GW_SESSIONS_MAX + 40 };
	struct auth *a = auth_new((const uint8_t *)"admin", 5);
	char (*toks)[AUTH_TOKEN_HEX] = calloc(N, AUTH_TOKEN_HEX);
	char other[AUTH_TOKEN_HEX];
	uint8_t who[GATEWAY_ID_LEN];
	struct gw g, h;
	int i, ok = 0;

	(void)state;
	assert_non_null(a);
	assert_non_null(toks);
	crypto_sign_keypair(g.pk, g.sk);
	crypto_sign_keypair(h.pk, h.sk);
	assert_int_equal(open_session(a, &h, NOW, other), 0);
	for (i = 0; i < N; i++)
		assert_int_equal(open_session(a, &g, NOW + 1 + i, toks[i]), 0);
	for (i = 0; i < N; i++) {
		int live = auth_session_check(a, NOW + N + 1, toks[i], who) == 0;

		assert_int_equal(live, i >= N - AUTH_GW_SESSIONS_MAX);
		ok += live;
	}
	assert_int_equal(ok, AUTH_GW_SESSIONS_MAX);
	assert_int_equal(auth_session_check(a, NOW + N + 1, other, who), 0);
	assert_memory_equal(who, h.pk, GATEWAY_ID_LEN);
	free(toks);
	auth_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_challenge_and_session),
		cmocka_unit_test(test_many_sessions),
		cmocka_unit_test(test_gateway_session_cap),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
