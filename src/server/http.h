/* http.h - the HTTP layer on libmicrohttpd: daemon, per-request state and response helpers. */
#ifndef VIGIL_SERVER_HTTP_H
#define VIGIL_SERVER_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <microhttpd.h>
#include <jansson.h>
#include "common/buf.h"
#include "server/routes.h"

/* Limits (documented in docs/design/server.md). */
#define HTTP_MAX_CONNECTIONS 16384  /* the process raises RLIMIT_NOFILE to fit (main.c) */
#define HTTP_CONNECTION_TIMEOUT_S 30
#define HTTP_CONN_MEMORY (64u * 1024u)   /* per-connection buffer: bounds the request header */
#define HTTP_STREAM_BLOCK (64u * 1024u)  /* live response block size */
/* After a request failed mid-body, at most this much more body is read (and dropped) so the
 * error can be answered; beyond it the connection is closed without an answer. */
/* Retry-After of every 503 and 429 (seconds, as the header's text). */
#define HTTP_RETRY_AFTER_S "2"
#define HTTP_DISCARD_MAX (1024u * 1024u)

struct server;

struct req {
	struct server *srv;
	struct MHD_Connection *conn;
	struct route_match m;
	struct principal who;
	struct buf body;              /* BODY_JSON routes */
	int body_too_large;
	const uint8_t *upload;        /* BODY_STREAM routes: this call's bytes */
	size_t upload_len;
	int final;                    /* the whole body has arrived */
	int responded;                /* a response is queued; discard what follows */
	unsigned fail_status;         /* failed mid-body: answered once the body is in */
	const char *fail_reason;      /* static text */
	size_t discarded;
	int64_t t0_us;                /* monotonic time the request arrived (metrics) */
	int mclass;                   /* enum metrics_class of the route */
	void *hstate;                 /* handler state, freed with hstate_free */
	void (*hstate_free)(void *);
};

struct http;

/* Listen on addr:port (port 0 picks one; *bound_port gets it). tls_cert/tls_key may be
 * NULL. 0, or -1 with the reason logged. */
int http_start(struct http **hp, struct server *srv, const char *addr, uint16_t port,
    const char *tls_cert, const char *tls_key, uint16_t *bound_port);
/* Stop the daemon (the relay must have been shut down first); NULL-safe. */
void http_stop(struct http *h);

/* Queue a JSON response (takes j's reference). Returns an MHD_Result. */
int http_json(struct req *rq, unsigned status, json_t *j);
/* Queue {"error":reason}; reason is a static string, never input. close_conn closes after. */
int http_error(struct req *rq, unsigned status, const char *reason, int close_conn);
/* Fail a request whose body is still arriving (MHD cannot answer mid-body): the rest of
 * the body is dropped (up to HTTP_DISCARD_MAX) and the error sent with Connection: close.
 * Returns MHD_YES. */
int http_fail(struct req *rq, unsigned status, const char *reason);
/* A request header or query argument, or NULL. */
const char *http_header(struct req *rq, const char *name);
const char *http_query(struct req *rq, const char *name);

#endif
