/* auth.h - the gateway's session with the server: a signed challenge exchanged for a bearer token. */
#ifndef VIGIL_GATEWAY_AUTH_H
#define VIGIL_GATEWAY_AUTH_H

#include <stddef.h>
#include <stdint.h>
#include <curl/curl.h>
#include "common/segment.h"

#define AUTH_TOKEN_MAX 512

enum {
	AUTH_E_NET = -1,      /* connection failure, 5xx, 429 or a malformed answer: retry later */
	AUTH_E_REFUSED = -2,  /* the server refused us (other 4xx): retry much later */
};

struct auth;

/* A session for server_url (copied) signing with sk (copied, wiped on free). NULL on error. */
struct auth *auth_new(const char *server_url, const uint8_t sk[GATEWAY_SK_LEN]);
/* NULL-safe; wipes the key and the token. */
void auth_free(struct auth *a);
/* Returns nonzero when the caller wants a request in flight abandoned (shutting down). */
typedef int (*auth_cancel_fn)(void *ctx);

/* Copy a current token (NUL-terminated) into tok, fetching a new one over easy when there
 * is none or it is about to expire. easy is the caller's handle; its options are reset.
 * cancel (may be NULL) is polled during the requests. Thread-safe. 0, AUTH_E_NET or
 * AUTH_E_REFUSED; *retry_after_ms receives the server's Retry-After (0 when none). */
int auth_token(struct auth *a, CURL *easy, char *tok, size_t n, long *retry_after_ms,
    auth_cancel_fn cancel, void *cancel_ctx);
/* The server answered 401 to tok: drop it (if it is still the current one). */
void auth_invalidate(struct auth *a, const char *tok);

#endif
