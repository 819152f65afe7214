/* auth.h - credentials: the admin token's hash, gateway challenges and gateway session tokens. */
#ifndef VIGIL_SERVER_AUTH_H
#define VIGIL_SERVER_AUTH_H

#include <stddef.h>
#include <stdint.h>
#include "common/segment.h"

#define AUTH_NONCE_LEN 32
#define AUTH_TOKEN_LEN 32                      /* random bytes; sent as 64 hex characters */
#define AUTH_TOKEN_HEX (2 * AUTH_TOKEN_LEN + 1)
#define AUTH_CHALLENGE_TTL_US (60LL * 1000000)
#define AUTH_SESSION_TTL_US (3600LL * 1000000)
#define AUTH_MAX_CHALLENGES 16384              /* outstanding nonces (power of two) */
#define AUTH_MAX_SESSIONS 32768                /* live sessions (power of two) */
#define AUTH_GW_SESSIONS_MAX 256               /* live sessions of one gateway: a new one
                                                * past this ends that gateway's oldest */
#define AUTH_E_FULL (-2)                       /* no room without ending another gateway's
                                                * live session */
#define AUTH_DOMAIN "vigil-gw-auth-v1"

struct auth;

/* Keep only a BLAKE2b hash of the admin token (len bytes). NULL when memory is short. */
struct auth *auth_new(const uint8_t *admin_token, size_t len);
/* Wipe and free; NULL-safe. */
void auth_free(struct auth *a);

/* 0 when token (NUL-terminated) is the admin token, -1 otherwise. Constant time. */
int auth_admin_check(const struct auth *a, const char *token);

/* Issue a one-time nonce valid for AUTH_CHALLENGE_TTL_US. 0. */
int auth_challenge_new(struct auth *a, int64_t now, uint8_t nonce[AUTH_NONCE_LEN]);
/* Consume nonce and check sig (Ed25519 by gw over AUTH_DOMAIN || nonce). On success a
 * session token is written (hex, NUL-terminated) to token and 0 returned; -1 otherwise, or
 * AUTH_E_FULL when the token's hash window holds only other gateways' live sessions: one
 * gateway never ends another's session (a tenant's gateway logging in in a loop would
 * otherwise push other organizations' gateways out). A gateway past AUTH_GW_SESSIONS_MAX
 * ends its own oldest. The nonce is spent either way. The caller checks that gw is
 * registered. */
int auth_session_open(struct auth *a, int64_t now, const uint8_t gw[GATEWAY_ID_LEN],
    const uint8_t nonce[AUTH_NONCE_LEN], const uint8_t sig[SIG_LEN], char token[AUTH_TOKEN_HEX]);
/* 0 and *gw set when token names a live session, -1 otherwise. */
int auth_session_check(struct auth *a, int64_t now, const char *token, uint8_t gw[GATEWAY_ID_LEN]);

#endif
