/* jsonv.c - validated getters for jansson objects and jansson's wiping allocator. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "cli/jsonv.h"
#include "common/util.h"

/* Each block carries its size in front so that free can wipe it. */
#define HDR 16

static void *
wipe_malloc(size_t n)
{
	uint8_t *p;

	if (n > SIZE_MAX - HDR)
		return NULL;
	p = malloc(n + HDR);
	if (p == NULL)
		return NULL;
	memcpy(p, &n, sizeof(n));
	return p + HDR;
}

static void
wipe_free(void *q)
{
	uint8_t *p;
	size_t n;

	if (q == NULL)
		return;
	p = (uint8_t *)q - HDR;
	memcpy(&n, p, sizeof(n));
	sodium_memzero(p, n + HDR);
	free(p);
}

void
jsonv_wipe_on_free(void)
{
	json_set_alloc_funcs(wipe_malloc, wipe_free);
}

static json_t *
field(const json_t *obj, const char *key, const char *what, char *err, size_t errlen)
{
	json_t *v;

	if (!json_is_object(obj)) {
		snprintf(err, errlen, "%s: not a JSON object", what);
		return NULL;
	}
	v = json_object_get(obj, key);
	if (v == NULL || json_is_null(v)) {
		snprintf(err, errlen, "%s.%s: missing", what, key);
		return NULL;
	}
	return v;
}

int
jsonv_str(const json_t *obj, const char *key, size_t maxlen, const char **out,
    const char *what, char *err, size_t errlen)
{
	json_t *v = field(obj, key, what, err, errlen);
	size_t n;

	if (v == NULL)
		return -1;
	if (!json_is_string(v)) {
		snprintf(err, errlen, "%s.%s: not a string", what, key);
		return -1;
	}
	n = json_string_length(v);
	if (n == 0 || n > maxlen || strlen(json_string_value(v)) != n) {
		snprintf(err, errlen, "%s.%s: empty, too long or contains NUL", what, key);
		return -1;
	}
	*out = json_string_value(v);
	return 0;
}

int
jsonv_hex(const json_t *obj, const char *key, uint8_t *out, size_t n,
    const char *what, char *err, size_t errlen)
{
	json_t *v = field(obj, key, what, err, errlen);

	if (v == NULL)
		return -1;
	if (!json_is_string(v) || json_string_length(v) != 2 * n ||
	    hex_decode(json_string_value(v), out, n) != 0) {
		snprintf(err, errlen, "%s.%s: want %zu hex characters", what, key, 2 * n);
		return -1;
	}
	return 0;
}

int
jsonv_int(const json_t *obj, const char *key, int64_t min, int64_t max, int64_t *out,
    const char *what, char *err, size_t errlen)
{
	json_t *v = field(obj, key, what, err, errlen);
	json_int_t i;

	if (v == NULL)
		return -1;
	if (!json_is_integer(v)) {
		snprintf(err, errlen, "%s.%s: not an integer", what, key);
		return -1;
	}
	i = json_integer_value(v);
	if (i < min || i > max) {
		snprintf(err, errlen, "%s.%s: out of range", what, key);
		return -1;
	}
	*out = (int64_t)i;
	return 0;
}

int
jsonv_array(const json_t *obj, const char *key, json_t **out,
    const char *what, char *err, size_t errlen)
{
	json_t *v = field(obj, key, what, err, errlen);

	if (v == NULL)
		return -1;
	if (!json_is_array(v)) {
		snprintf(err, errlen, "%s.%s: not an array", what, key);
		return -1;
	}
	*out = v;
	return 0;
}

int
jsonv_object(const json_t *obj, const char *key, json_t **out,
    const char *what, char *err, size_t errlen)
{
	json_t *v = field(obj, key, what, err, errlen);

	if (v == NULL)
		return -1;
	if (!json_is_object(v)) {
		snprintf(err, errlen, "%s.%s: not an object", what, key);
		return -1;
	}
	*out = v;
	return 0;
}
