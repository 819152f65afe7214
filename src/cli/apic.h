/* apic.h - the CLI's HTTP client for the org API: session cookie or bearer auth, GET/POST/PUT/DELETE, capped JSON answers. */
#ifndef VIGIL_CLI_APIC_H
#define VIGIL_CLI_APIC_H

#include <stddef.h>
#include <jansson.h>
#include "common/buf.h"

#define APIC_MAX_JSON (16u * 1024u * 1024u)
#define APIC_COOKIE_MAX 256

enum apic_err {
	APIC_OK = 0,
	APIC_E_ARG = -1,      /* bad URL, path or argument */
	APIC_E_NET = -2,      /* could not connect, timeout, protocol error */
	APIC_E_TOOBIG = -3,   /* the answer passed its cap */
	APIC_E_PARTIAL = -4,  /* the body ended before its announced length */
	APIC_E_NOMEM = -5,
	APIC_E_BODY = -6,     /* the answer is not a JSON object */
};
const char *apic_strerror(int err);

struct apic;

/* A client for base ("http://127.0.0.1:8080"). cookie ("name=value", from a session file)
 * and token (bearer) are optional and copied; both are wiped on free and never logged.
 * 0 or a negative apic_err. */
int apic_new(struct apic **ap, const char *base, const char *cookie, const char *token);
void apic_free(struct apic *a);
/* The base URL as given (without trailing '/'). */
const char *apic_base(const struct apic *a);

/* method "GET"/"POST"/"PUT"/"DELETE" on base+path with an optional JSON body; the answer
 * is appended to out (at most max bytes). *status gets the HTTP status. 0 (whatever the
 * status) or a negative apic_err. */
int apic_do(struct apic *a, const char *method, const char *path, const char *json,
    size_t max, struct buf *out, long *status);

/* apic_do with a jansson body (NULL: none) and a parsed JSON object answer in *ans
 * (NULL when the answer is empty or not an object; caller decrefs). */
int apic_json(struct apic *a, const char *method, const char *path, const json_t *body,
    json_t **ans, long *status);

/* The "error" text of an answer, or "no reason given", into out. */
const char *apic_answer_error(const json_t *ans, char *out, size_t outsz);

/* Read a session file written by `vigil account login`: one "name=value" line. 0 or -1. */
int apic_read_session(const char *path, char cookie[APIC_COOKIE_MAX]);

#endif
