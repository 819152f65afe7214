/* hexfield.c - decoding of variable-length hex fields from JSON bodies. */
#include <stdlib.h>
#include <string.h>
#include "common/util.h"
#include "server/hexfield.h"

int
hexfield_value(const json_t *v, size_t max, uint8_t **out, size_t *n)
{
	const char *s;
	size_t len;
	uint8_t *b;

	*out = NULL;
	*n = 0;
	if (!json_is_string(v))
		return -1;
	s = json_string_value(v);
	len = json_string_length(v);
	if (len == 0 || len % 2 != 0 || len / 2 > max || strlen(s) != len)
		return -1;
	if ((b = malloc(len / 2)) == NULL)
		return -1;
	if (hex_decode(s, b, len / 2) != 0) {
		free(b);
		return -1;
	}
	*out = b;
	*n = len / 2;
	return 0;
}

int
hexfield_get(const json_t *j, const char *key, size_t max, uint8_t **out, size_t *n)
{
	return hexfield_value(json_object_get(j, key), max, out, n);
}

int
hexfield_id(const json_t *j, const char *key, size_t n, char *out)
{
	uint8_t *b = NULL;
	size_t got = 0;

	if (hexfield_get(j, key, n, &b, &got) != 0 || got != n) {
		free(b);
		return -1;
	}
	hex_encode(b, n, out);
	free(b);
	return 0;
}
