/* hexfield.h - variable-length hex fields of JSON request bodies (statements, requests, sealed blobs) decoded into owned buffers. */
#ifndef VIGIL_SERVER_HEXFIELD_H
#define VIGIL_SERVER_HEXFIELD_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

/* The hex string v (untrusted) decoded: 1..max bytes into a new buffer *out (free()).
 * 0, or -1 (not a string, odd length, not hex, empty or too long). */
int hexfield_value(const json_t *v, size_t max, uint8_t **out, size_t *n);
/* The same for field key of object j. */
int hexfield_get(const json_t *j, const char *key, size_t max, uint8_t **out, size_t *n);
/* Field key as exactly 2*n hex characters normalised to lowercase into out (2n+1). 0 or -1. */
int hexfield_id(const json_t *j, const char *key, size_t n, char *out);

#endif
