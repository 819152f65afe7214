/* jsonbody.h - bounded parsing of JSON request bodies and typed field extraction. */
#ifndef VIGIL_SERVER_JSONBODY_H
#define VIGIL_SERVER_JSONBODY_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

/* Largest JSON request body (docs/api/http.md). */
#define JSONBODY_MAX (64u * 1024u)
/* Deepest nesting accepted: every body we take is one flat object. */
#define JSONBODY_MAX_DEPTH 4

/* Parse n bytes as one JSON object: 0 and *out (caller json_decref's), or -1 (too large,
 * not UTF-8 JSON, duplicate keys, not an object, nested too deep). */
int jsonbody_parse(const uint8_t *p, size_t n, json_t **out);
/* Field key as exactly 2*n lowercase-or-uppercase hex characters decoded into out. 0 or -1. */
int jsonbody_hex(const json_t *obj, const char *key, uint8_t *out, size_t n);
/* Field key as an integer in [min, max]. 0 or -1. */
int jsonbody_int(const json_t *obj, const char *key, int64_t min, int64_t max, int64_t *out);

#endif
