/* httpc.h - a small libcurl HTTP client for the Vigil API with bounded response sizes. */
#ifndef VIGIL_CLI_HTTPC_H
#define VIGIL_CLI_HTTPC_H

#include <stddef.h>
#include "common/buf.h"

/* Response caps named per use. */
#define HTTPC_MAX_JSON (16u * 1024u * 1024u)
#define HTTPC_MAX_LINK (512u * 1024u * 1024u)

enum httpc_err {
	HTTPC_OK = 0,
	HTTPC_E_ARG = -1,      /* bad URL or argument */
	HTTPC_E_NET = -2,      /* could not connect, timeout, protocol error */
	HTTPC_E_TOOBIG = -3,   /* the response passed its cap */
	HTTPC_E_PARTIAL = -4,  /* the body ended before its announced length */
	HTTPC_E_NOMEM = -5,
};
const char *httpc_strerror(int err);

struct httpc;

/* A client for base (e.g. "http://127.0.0.1:8080", no trailing path) sending
 * "Authorization: Bearer token" when token is not NULL (the token is copied and wiped
 * on free, never logged). *hp receives it. 0 or a negative httpc_err. */
int httpc_new(struct httpc **hp, const char *base, const char *token);
void httpc_free(struct httpc *h);

/* GET base+path; the body is appended to out (at most max bytes, out's own max also
 * applies); *status gets the HTTP status. 0 (whatever the status) or a negative error. */
int httpc_get(struct httpc *h, const char *path, size_t max, struct buf *out, long *status);
/* POST a JSON body to base+path; like httpc_get for the answer. */
int httpc_post_json(struct httpc *h, const char *path, const char *json, size_t max,
    struct buf *out, long *status);

/* The session cookie ("name=value") from the last response's Set-Cookie headers, or ""
 * when it set none. Wiped by the next request and by httpc_free. */
const char *httpc_session_cookie(const struct httpc *h);

#endif
