/* test_cli_timearg.c - unit tests of the CLI's time arguments: ISO 8601, relative, invalid. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "cli/timearg.h"

#define NOW INT64_C(1795823400000000)   /* 2026-11-27T23:50:00Z */

static int64_t
ok(const char *s)
{
	int64_t v = -1;
	const char *why = NULL;

	assert_int_equal(timearg_parse(s, NOW, &v, &why), 0);
	return v;
}

static void
bad(const char *s)
{
	int64_t v = 12345;
	const char *why = NULL;

	assert_int_equal(timearg_parse(s, NOW, &v, &why), -1);
	assert_non_null(why);
	assert_true(strlen(why) > 0);
	assert_int_equal(v, 12345);
}

static void
test_iso(void **state)
{
	(void)state;
	assert_int_equal(ok("2026-11-27T23:50:00Z"), NOW);
	assert_int_equal(ok("2026-11-27t23:50:00z"), NOW);
	assert_int_equal(ok("2026-11-27 23:50:00Z"), NOW);
	assert_int_equal(ok("2026-11-28T00:50:00+01:00"), NOW);
	assert_int_equal(ok("2026-11-28T00:50:00+0100"), NOW);
	assert_int_equal(ok("2026-11-27T18:20:00-05:30"), NOW);
	assert_int_equal(ok("2026-11-27T23:50:00.5Z"), NOW + 500000);
	assert_int_equal(ok("2026-11-27T23:50:00.123456Z"), NOW + 123456);
	assert_int_equal(ok("2026-11-27T23:50:00.123456789Z"), NOW + 123456);
	assert_int_equal(ok("1970-01-01T00:00:00Z"), 0);
	assert_int_equal(ok("2024-02-29T00:00:00Z"), INT64_C(1709164800000000));
	assert_int_equal(ok("2000-03-01T00:00:00Z"), INT64_C(951868800000000));
}

static void
test_relative(void **state)
{
	(void)state;
	assert_int_equal(ok("now"), NOW);
	assert_int_equal(ok("-30s"), NOW - 30 * INT64_C(1000000));
	assert_int_equal(ok("-5m"), NOW - 300 * INT64_C(1000000));
	assert_int_equal(ok("-2h"), NOW - 7200 * INT64_C(1000000));
	assert_int_equal(ok("-1d"), NOW - 86400 * INT64_C(1000000));
	assert_int_equal(ok("-0s"), NOW);
}

static void
test_invalid(void **state)
{
	(void)state;
	bad(NULL);
	bad("");
	bad("yesterday");
	bad("NOW");
	bad("-");
	bad("-s");
	bad("-5");
	bad("-5x");
	bad("-5mm");
	bad("+5m");
	bad("-99999999999999999999s");
	bad("-9999999999d");
	bad("2026-11-27T23:50:00");         /* no zone */
	bad("2026-11-27");
	bad("2026-11-27T23:50Z");
	bad("2026-13-01T00:00:00Z");
	bad("2026-02-29T00:00:00Z");        /* not a leap year */
	bad("2026-11-31T00:00:00Z");
	bad("2026-11-27T24:00:00Z");
	bad("2026-11-27T23:60:00Z");
	bad("2026-11-27T23:59:60Z");
	bad("2026-11-27T23:50:00.Z");
	bad("2026-11-27T23:50:00.1234567890Z");
	bad("2026-11-27T23:50:00+1:00");
	bad("2026-11-27T23:50:00+24:00");
	bad("2026-11-27T23:50:00Zjunk");
	bad("1969-12-31T23:59:59Z");
	bad("1970-01-01T00:00:00+01:00");  /* before the epoch */
	bad("２026-11-27T23:50:00Z");
	bad("2026-11-27T23:50:00Z                                                              ");
}

static void
test_format(void **state)
{
	char b[TIMEARG_FMT_LEN];
	int64_t v;

	(void)state;
	timearg_format(NOW, b, sizeof(b));
	assert_string_equal(b, "2026-11-27T23:50:00Z");
	timearg_format(NOW + 1500, b, sizeof(b));
	assert_string_equal(b, "2026-11-27T23:50:00.001500Z");
	assert_int_equal(timearg_parse(b, 0, &v, NULL), 0);
	assert_int_equal(v, NOW + 1500);
	timearg_format(0, b, sizeof(b));
	assert_string_equal(b, "1970-01-01T00:00:00Z");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_iso),
		cmocka_unit_test(test_relative),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
