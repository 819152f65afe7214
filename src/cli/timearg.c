/* timearg.c - parsing ISO 8601 and relative times from the command line, and printing them back. */
#include <stdio.h>
#include <string.h>
#include "cli/timearg.h"

#define US_PER_S INT64_C(1000000)
#define MAX_BACK_S (INT64_C(10) * 366 * 86400)

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (H. Hinnant). */
static int64_t
days_from_civil(int64_t y, int64_t m, int64_t d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void
civil_from_days(int64_t z, int64_t *y, int64_t *m, int64_t *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp + (mp < 10 ? 3 : -9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int
is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int64_t
month_days(int64_t y, int64_t m)
{
	static const int64_t days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* Read exactly n decimal digits at *p, advancing it. 0 or -1. */
static int
digits(const char **p, int n, int64_t *out)
{
	int64_t v = 0;
	int i;

	for (i = 0; i < n; i++) {
		char c = (*p)[i];

		if (c < '0' || c > '9')
			return -1;
		v = v * 10 + (c - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

static int
expect(const char **p, char c)
{
	if (**p != c)
		return -1;
	(*p)++;
	return 0;
}

static int
parse_relative(const char *s, int64_t now, int64_t *out, const char **why)
{
	const char *p = s + 1;
	int64_t n = 0, unit;
	size_t nd = 0;

	while (*p >= '0' && *p <= '9') {
		if (nd++ >= 12) {
			*why = "relative time too large";
			return -1;
		}
		n = n * 10 + (*p - '0');
		p++;
	}
	if (nd == 0) {
		*why = "relative time needs a number, e.g. -30s";
		return -1;
	}
	switch (*p) {
	case 's': unit = 1; break;
	case 'm': unit = 60; break;
	case 'h': unit = 3600; break;
	case 'd': unit = 86400; break;
	default:
		*why = "relative time needs a unit s, m, h or d, e.g. -5m";
		return -1;
	}
	if (p[1] != '\0') {
		*why = "trailing characters after relative time";
		return -1;
	}
	if (n > MAX_BACK_S / unit) {
		*why = "relative time too large (at most 10 years)";
		return -1;
	}
	*out = now - n * unit * US_PER_S;
	return 0;
}

static int
parse_iso(const char *s, int64_t *out, const char **why)
{
	const char *p = s;
	int64_t y, mo, d, h, mi, sec, frac = 0, off = 0, oh, om, t;
	int nfrac = 0;

	if (digits(&p, 4, &y) != 0 || expect(&p, '-') != 0 || digits(&p, 2, &mo) != 0 ||
	    expect(&p, '-') != 0 || digits(&p, 2, &d) != 0) {
		*why = "expected a date YYYY-MM-DD";
		return -1;
	}
	if (*p != 'T' && *p != 't' && *p != ' ') {
		*why = "expected 'T' and a time after the date";
		return -1;
	}
	p++;
	if (digits(&p, 2, &h) != 0 || expect(&p, ':') != 0 || digits(&p, 2, &mi) != 0 ||
	    expect(&p, ':') != 0 || digits(&p, 2, &sec) != 0) {
		*why = "expected a time HH:MM:SS";
		return -1;
	}
	if (*p == '.' || *p == ',') {
		p++;
		while (*p >= '0' && *p <= '9') {
			if (nfrac >= 9) {
				*why = "fraction of a second longer than 9 digits";
				return -1;
			}
			if (nfrac < 6)
				frac = frac * 10 + (*p - '0');
			nfrac++;
			p++;
		}
		if (nfrac == 0) {
			*why = "expected digits after the decimal point";
			return -1;
		}
		for (; nfrac < 6; nfrac++)
			frac *= 10;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int neg = *p == '-';

		p++;
		if (digits(&p, 2, &oh) != 0) {
			*why = "expected a zone offset +HH:MM";
			return -1;
		}
		if (*p == ':')
			p++;
		if (digits(&p, 2, &om) != 0 || oh > 23 || om > 59) {
			*why = "expected a zone offset +HH:MM";
			return -1;
		}
		off = (oh * 3600 + om * 60) * (neg ? -1 : 1);
	} else if (*p == '\0') {
		*why = "time has no zone: add Z (UTC) or an offset such as +01:00";
		return -1;
	} else {
		*why = "unexpected character in time";
		return -1;
	}
	if (*p != '\0') {
		*why = "trailing characters after time";
		return -1;
	}
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > month_days(y, mo) || h > 23 ||
	    mi > 59 || sec > 59) {
		*why = "date or time out of range";
		return -1;
	}
	t = ((days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec) - off) * US_PER_S + frac;
	if (t < 0) {
		*why = "time before 1970";
		return -1;
	}
	*out = t;
	return 0;
}

int
timearg_parse(const char *s, int64_t now, int64_t *out, const char **why)
{
	const char *dummy;

	if (why == NULL)
		why = &dummy;
	*why = "";
	if (s == NULL || *s == '\0') {
		*why = "empty time";
		return -1;
	}
	if (strnlen(s, TIMEARG_MAX_LEN + 1) > TIMEARG_MAX_LEN) {
		*why = "time argument too long";
		return -1;
	}
	if (strcmp(s, "now") == 0) {
		*out = now;
		return 0;
	}
	if (s[0] == '-')
		return parse_relative(s, now, out, why);
	return parse_iso(s, out, why);
}

void
timearg_format(int64_t us, char *out, size_t n)
{
	int64_t secs, rem, days, y, m, d;

	secs = us / US_PER_S;
	rem = us % US_PER_S;
	if (rem < 0) {
		rem += US_PER_S;
		secs--;
	}
	days = secs / 86400;
	if (secs % 86400 < 0)
		days--;
	secs -= days * 86400;
	civil_from_days(days, &y, &m, &d);
	if (rem != 0)
		snprintf(out, n, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lld.%06lldZ", (long long)y,
		    (long long)m, (long long)d, (long long)(secs / 3600),
		    (long long)(secs / 60 % 60), (long long)(secs % 60), (long long)rem);
	else
		snprintf(out, n, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lldZ", (long long)y,
		    (long long)m, (long long)d, (long long)(secs / 3600),
		    (long long)(secs / 60 % 60), (long long)(secs % 60));
}
