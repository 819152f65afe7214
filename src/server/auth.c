/* auth.c - admin token check, bounded challenge table and hashed gateway session tokens. */
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "common/util.h"
#include "server/auth.h"

#define AUTH_HASH_LEN 32
/* Both tables are hashed by their (uniformly random) key: a lookup compares at most
 * AUTH_PROBE slots, each in constant time, instead of walking all of them; when a window
 * is full the slot closest to expiry in it is reused. */
#define AUTH_PROBE 32

struct challenge {
	int used;
	int64_t expires;
	uint8_t nonce[AUTH_NONCE_LEN];
};

struct session {
	int used;
	int64_t expires;
	uint8_t token_hash[AUTH_HASH_LEN];
	uint8_t gw[GATEWAY_ID_LEN];
};

struct auth {
	uint8_t admin_hash[AUTH_HASH_LEN];
	struct challenge ch[AUTH_MAX_CHALLENGES];
	struct session ss[AUTH_MAX_SESSIONS];
};

static void
hash32(const uint8_t *p, size_t n, uint8_t out[AUTH_HASH_LEN])
{
	crypto_generichash(out, AUTH_HASH_LEN, p, n, NULL, 0);
}

/* The first slot of a key's probe window: uniformly random keys (nonces, hashes of random
 * tokens) need no further mixing. n is a power of two. */
static size_t
bucket(const uint8_t *key, size_t n)
{
	return ((size_t)key[0] | (size_t)key[1] << 8 | (size_t)key[2] << 16) & (n - 1);
}

struct auth *
auth_new(const uint8_t *admin_token, size_t len)
{
	struct auth *a;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		return NULL;
	hash32(admin_token, len, a->admin_hash);
	return a;
}

void
auth_free(struct auth *a)
{
	if (a == NULL)
		return;
	sodium_memzero(a, sizeof(*a));
	free(a);
}

int
auth_admin_check(const struct auth *a, const char *token)
{
	uint8_t h[AUTH_HASH_LEN];
	int r;

	if (token == NULL || token[0] == '\0')
		return -1;
	hash32((const uint8_t *)token, strlen(token), h);
	r = sodium_memcmp(h, a->admin_hash, AUTH_HASH_LEN) == 0 ? 0 : -1;
	sodium_memzero(h, sizeof(h));
	return r;
}

int
auth_challenge_new(struct auth *a, int64_t now, uint8_t nonce[AUTH_NONCE_LEN])
{
	struct challenge *slot = NULL;
	uint8_t n[AUTH_NONCE_LEN];
	size_t i, b;

	randombytes_buf(n, sizeof(n));
	b = bucket(n, AUTH_MAX_CHALLENGES);
	/* A free or expired slot in the window, else the one closest to expiry. */
	for (i = 0; i < AUTH_PROBE; i++) {
		struct challenge *c = &a->ch[(b + i) % AUTH_MAX_CHALLENGES];
		if (!c->used || c->expires <= now) {
			slot = c;
			break;
		}
		if (slot == NULL || c->expires < slot->expires)
			slot = c;
	}
	memcpy(slot->nonce, n, AUTH_NONCE_LEN);
	slot->used = 1;
	slot->expires = now + AUTH_CHALLENGE_TTL_US;
	memcpy(nonce, slot->nonce, AUTH_NONCE_LEN);
	return 0;
}

/* Spend a nonce: 0 when it was outstanding and unexpired. */
static int
challenge_take(struct auth *a, int64_t now, const uint8_t nonce[AUTH_NONCE_LEN])
{
	size_t i, b = bucket(nonce, AUTH_MAX_CHALLENGES);

	for (i = 0; i < AUTH_PROBE; i++) {
		struct challenge *c = &a->ch[(b + i) % AUTH_MAX_CHALLENGES];
		if (c->used && sodium_memcmp(c->nonce, nonce, AUTH_NONCE_LEN) == 0) {
			c->used = 0;
			return c->expires > now ? 0 : -1;
		}
	}
	return -1;
}

/* At most AUTH_GW_SESSIONS_MAX - 1 live sessions of gw before it gets a new one: its
 * oldest go. One pass over the table; sessions are opened about once an hour per uploader. */
static void
gw_sessions_bound(struct auth *a, int64_t now, const uint8_t gw[GATEWAY_ID_LEN])
{
	struct session *oldest;
	size_t i, live;

	do {
		oldest = NULL;
		live = 0;
		for (i = 0; i < AUTH_MAX_SESSIONS; i++) {
			struct session *s = &a->ss[i];
			if (!s->used || s->expires <= now || memcmp(s->gw, gw, GATEWAY_ID_LEN) != 0)
				continue;
			live++;
			if (oldest == NULL || s->expires < oldest->expires)
				oldest = s;
		}
		if (live >= AUTH_GW_SESSIONS_MAX && oldest != NULL) {
			sodium_memzero(oldest, sizeof(*oldest));
			live--;
		}
	} while (live >= AUTH_GW_SESSIONS_MAX);
}

int
auth_session_open(struct auth *a, int64_t now, const uint8_t gw[GATEWAY_ID_LEN],
    const uint8_t nonce[AUTH_NONCE_LEN], const uint8_t sig[SIG_LEN], char token[AUTH_TOKEN_HEX])
{
	uint8_t msg[sizeof(AUTH_DOMAIN) - 1 + AUTH_NONCE_LEN];
	uint8_t tok[AUTH_TOKEN_LEN], h[AUTH_HASH_LEN];
	struct session *slot = NULL;
	size_t i, b;
	int r = -1;

	if (challenge_take(a, now, nonce) != 0)
		goto out;
	memcpy(msg, AUTH_DOMAIN, sizeof(AUTH_DOMAIN) - 1);
	memcpy(msg + sizeof(AUTH_DOMAIN) - 1, nonce, AUTH_NONCE_LEN);
	if (crypto_sign_verify_detached(sig, msg, sizeof(msg), gw) != 0)
		goto out;
	randombytes_buf(tok, sizeof(tok));
	hex_encode(tok, sizeof(tok), token);
	hash32((const uint8_t *)token, 2 * AUTH_TOKEN_LEN, h);
	gw_sessions_bound(a, now, gw);
	b = bucket(h, AUTH_MAX_SESSIONS);
	/* A free or expired slot in the window, else this gateway's own closest to expiry;
	 * never another gateway's live session. */
	for (i = 0; i < AUTH_PROBE; i++) {
		struct session *s = &a->ss[(b + i) % AUTH_MAX_SESSIONS];
		if (!s->used || s->expires <= now) {
			slot = s;
			break;
		}
		if (sodium_memcmp(s->gw, gw, GATEWAY_ID_LEN) == 0 &&
		    (slot == NULL || s->expires < slot->expires))
			slot = s;
	}
	if (slot == NULL) {
		r = AUTH_E_FULL;
		goto out;
	}
	memcpy(slot->token_hash, h, AUTH_HASH_LEN);
	memcpy(slot->gw, gw, GATEWAY_ID_LEN);
	slot->expires = now + AUTH_SESSION_TTL_US;
	slot->used = 1;
	r = 0;
out:
	sodium_memzero(tok, sizeof(tok));
	sodium_memzero(h, sizeof(h));
	return r;
}

int
auth_session_check(struct auth *a, int64_t now, const char *token, uint8_t gw[GATEWAY_ID_LEN])
{
	uint8_t h[AUTH_HASH_LEN];
	size_t i, b;
	int r = -1;

	if (token == NULL || strlen(token) != 2 * AUTH_TOKEN_LEN)
		return -1;
	hash32((const uint8_t *)token, 2 * AUTH_TOKEN_LEN, h);
	b = bucket(h, AUTH_MAX_SESSIONS);
	for (i = 0; i < AUTH_PROBE; i++) {
		struct session *s = &a->ss[(b + i) % AUTH_MAX_SESSIONS];
		if (s->used && sodium_memcmp(s->token_hash, h, AUTH_HASH_LEN) == 0) {
			if (s->expires > now) {
				memcpy(gw, s->gw, GATEWAY_ID_LEN);
				r = 0;
			} else {
				s->used = 0;
			}
			break;
		}
	}
	sodium_memzero(h, sizeof(h));
	return r;
}
