/* jsonbody.c - JSON request bodies through jansson, with size, depth and type limits. */
#include <string.h>
#include "common/util.h"
#include "server/jsonbody.h"

/* Reject deep nesting before jansson recurses into it. */
static int
depth_ok(const uint8_t *p, size_t n)
{
	int depth = 0, in_str = 0, esc = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		uint8_t c = p[i];
		if (in_str) {
			if (esc)
				esc = 0;
			else if (c == '\\')
				esc = 1;
			else if (c == '"')
				in_str = 0;
			continue;
		}
		if (c == '"')
			in_str = 1;
		else if (c == '{' || c == '[') {
			if (++depth > JSONBODY_MAX_DEPTH)
				return 0;
		} else if (c == '}' || c == ']')
			depth--;
	}
	return 1;
}

int
jsonbody_parse(const uint8_t *p, size_t n, json_t **out)
{
	json_error_t err;
	json_t *j;

	*out = NULL;
	if (n == 0 || n > JSONBODY_MAX || !depth_ok(p, n))
		return -1;
	j = json_loadb((const char *)p, n, JSON_REJECT_DUPLICATES, &err);
	if (j == NULL)
		return -1;
	if (!json_is_object(j)) {
		json_decref(j);
		return -1;
	}
	*out = j;
	return 0;
}

int
jsonbody_hex(const json_t *obj, const char *key, uint8_t *out, size_t n)
{
	const json_t *v = json_object_get(obj, key);
	const char *s;

	if (!json_is_string(v))
		return -1;
	s = json_string_value(v);
	if (json_string_length(v) != 2 * n || strlen(s) != 2 * n)
		return -1;
	return hex_decode(s, out, n);
}

int
jsonbody_int(const json_t *obj, const char *key, int64_t min, int64_t max, int64_t *out)
{
	const json_t *v = json_object_get(obj, key);
	json_int_t x;

	if (!json_is_integer(v))
		return -1;
	x = json_integer_value(v);
	if (x < min || x > max)
		return -1;
	*out = (int64_t)x;
	return 0;
}
