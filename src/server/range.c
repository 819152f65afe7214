/* range.c - a strict parser for single byte ranges, without sscanf. */
#include <string.h>
#include "server/range.h"

/* Digits at *s into *v (no sign, no overflow); advances *s. 0 or -1 when none or too big. */
static int
digits(const char **s, uint64_t *v)
{
	const char *p = *s;
	uint64_t x = 0;

	if (*p < '0' || *p > '9')
		return -1;
	while (*p >= '0' && *p <= '9') {
		if (x > (UINT64_MAX - 9) / 10)
			return -1;
		x = x * 10 + (uint64_t)(*p - '0');
		p++;
	}
	*s = p;
	*v = x;
	return 0;
}

int
range_parse(const char *hdr, uint64_t total, uint64_t *start, uint64_t *len)
{
	const char *p;
	uint64_t a, b;

	if (hdr == NULL || strncmp(hdr, "bytes=", 6) != 0)
		return RANGE_NONE;
	p = hdr + 6;
	if (*p == '-') {
		p++;
		if (digits(&p, &b) != 0 || *p != '\0')
			return RANGE_NONE;
		if (b == 0 || total == 0)
			return RANGE_UNSATISFIABLE;
		if (b > total)
			b = total;
		*start = total - b;
		*len = b;
		return RANGE_PARTIAL;
	}
	if (digits(&p, &a) != 0 || *p != '-')
		return RANGE_NONE;
	p++;
	if (*p == '\0') {
		b = total > 0 ? total - 1 : 0;
	} else {
		if (digits(&p, &b) != 0 || *p != '\0' || b < a)
			return RANGE_NONE;
		if (b >= total)
			b = total - 1;
	}
	if (a >= total)
		return RANGE_UNSATISFIABLE;
	*start = a;
	*len = b - a + 1;
	return RANGE_PARTIAL;
}
