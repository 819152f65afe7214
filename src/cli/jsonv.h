/* jsonv.h - validated field access on jansson objects, and a wiping allocator for jansson. */
#ifndef VIGIL_CLI_JSONV_H
#define VIGIL_CLI_JSONV_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

/* Make jansson wipe every block it frees (keys.json carries secret keys as hex strings).
 * Call once at start-up, before any other jansson call. */
void jsonv_wipe_on_free(void);

/* Each getter returns 0, or -1 after writing "<what>.<key>: <reason>" into err (errlen). */

/* A string of 1..maxlen bytes. *out points into obj. */
int jsonv_str(const json_t *obj, const char *key, size_t maxlen, const char **out,
    const char *what, char *err, size_t errlen);
/* Exactly n bytes as 2n hex characters. */
int jsonv_hex(const json_t *obj, const char *key, uint8_t *out, size_t n,
    const char *what, char *err, size_t errlen);
/* An integer in [min, max]. */
int jsonv_int(const json_t *obj, const char *key, int64_t min, int64_t max, int64_t *out,
    const char *what, char *err, size_t errlen);
/* An array (possibly empty); *out borrowed. */
int jsonv_array(const json_t *obj, const char *key, json_t **out,
    const char *what, char *err, size_t errlen);
/* An object; *out borrowed. */
int jsonv_object(const json_t *obj, const char *key, json_t **out,
    const char *what, char *err, size_t errlen);

#endif
