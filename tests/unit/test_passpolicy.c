/* test_passpolicy.c - password rule: code-point length, UTF-8 validity, byte cap and the shipped common list. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "common/passpolicy.h"

#define LIST "data/common-passwords.txt"   /* tests run from the repository root */

static int
setup(void **state)
{
	struct passpolicy *p;

	if (passpolicy_open(LIST, &p) != 0) {
		fprintf(stderr, "cannot load %s (run from the repository root)\n", LIST);
		return -1;
	}
	*state = p;
	return 0;
}

static int
teardown(void **state)
{
	passpolicy_close(*state);
	return 0;
}

static int
chk(const struct passpolicy *p, const char *s)
{
	return passpolicy_check(p, s, strlen(s));
}

static void
test_shipped_list(void **state)
{
	const struct passpolicy *p = *state;

	/* A few thousand entries, and the long ones the length rule alone would let through. */
	assert_true(passpolicy_count(p) >= 2000);
	assert_int_equal(chk(p, "password1234"), PASSPOLICY_ERR_COMMON);
	assert_int_equal(chk(p, "qwertyuiop12"), PASSPOLICY_ERR_COMMON);
	assert_int_equal(chk(p, "123456789012"), PASSPOLICY_ERR_COMMON);
	assert_int_equal(chk(p, "iloveyou1234"), PASSPOLICY_ERR_COMMON);
	assert_int_equal(chk(p, "aaaaaaaaaaaa"), PASSPOLICY_ERR_COMMON);
	/* Case-insensitive. */
	assert_int_equal(chk(p, "PassWord1234"), PASSPOLICY_ERR_COMMON);
	assert_int_equal(chk(p, "QWERTYUIOP12"), PASSPOLICY_ERR_COMMON);
	/* Short common passwords fail the length rule first. */
	assert_int_equal(chk(p, "123456"), PASSPOLICY_ERR_SHORT);
	assert_int_equal(chk(p, "password"), PASSPOLICY_ERR_SHORT);
	/* Uncommon ones pass; no composition rules (all lower case letters and spaces is fine). */
	assert_int_equal(chk(p, "purple tractor sings opera"), 0);
	assert_int_equal(chk(p, "password1234x"), 0);
}

static void
test_length_in_code_points(void **state)
{
	const struct passpolicy *p = *state;
	/* 11 and 12 characters of 2-, 3- and 4-byte UTF-8. */
	const char *e11 = "ééééééééééé", *e12 = "éééééééééééé";
	const char *s12 = "雪雪雪雪雪雪雪雪雪雪雪雪";
	const char *k12 = "🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑";

	assert_int_equal(passpolicy_utf8_count(e12, strlen(e12)), 12);
	assert_int_equal(chk(p, e11), PASSPOLICY_ERR_SHORT);
	assert_int_equal(chk(p, e12), 0);
	assert_int_equal(chk(p, s12), 0);
	assert_int_equal(chk(p, k12), 0);
	assert_int_equal(chk(p, "abcdefghijk"), PASSPOLICY_ERR_SHORT);
	assert_int_equal(chk(p, "zbcdefghijkl"), 0);
	assert_int_equal(chk(p, ""), PASSPOLICY_ERR_SHORT);
}

static void
test_long_passwords(void **state)
{
	const struct passpolicy *p = *state;
	char *big = malloc(PASSPOLICY_MAX_BYTES + 1);

	assert_non_null(big);
	memset(big, 'q', PASSPOLICY_MAX_BYTES + 1);
	big[0] = 'z';
	assert_int_equal(passpolicy_check(p, big, PASSPOLICY_MAX_BYTES), 0);
	assert_int_equal(passpolicy_check(p, big, PASSPOLICY_MAX_BYTES + 1), PASSPOLICY_ERR_LONG);
	free(big);
}

static void
test_invalid_utf8(void **state)
{
	const struct passpolicy *p = *state;
	static const char *bad[] = {
		"abcdefghijkl\xff",            /* invalid byte */
		"abcdefghijkl\xc3",            /* truncated sequence */
		"abcdefghijkl\xc0\xaf",        /* overlong '/' */
		"abcdefghijkl\xe0\x80\xaf",    /* overlong, 3 bytes */
		"abcdefghijkl\xed\xa0\x80",    /* UTF-16 surrogate */
		"abcdefghijkl\xf4\x90\x80\x80",/* past U+10FFFF */
		"abcdefghijkl\x80",            /* stray continuation */
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(chk(p, bad[i]), PASSPOLICY_ERR_UTF8);
	/* An embedded NUL. */
	assert_int_equal(passpolicy_check(p, "abcdefgh\0ijklmn", 15), PASSPOLICY_ERR_UTF8);
	assert_int_equal(passpolicy_check(p, NULL, 0), PASSPOLICY_ERR_UTF8);
	assert_int_equal(passpolicy_utf8_count("\xf4\x8f\xbf\xbf", 4), 1);   /* U+10FFFF */
}

static void
test_list_parsing(void **state)
{
	char path[] = "/tmp/vigil-pp-XXXXXX";
	struct passpolicy *p;
	FILE *f;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs("# a comment line\r\nZebraCrossing12\r\n\nzebracrossing12\nlast-line-no-newline", f);
	fclose(f);
	assert_int_equal(passpolicy_open(path, &p), 0);
	assert_int_equal(passpolicy_count(p), 2);      /* duplicates after folding collapse */
	assert_int_equal(chk(p, "zebraCROSSING12"), PASSPOLICY_ERR_COMMON);
	assert_int_equal(chk(p, "last-line-no-newline"), PASSPOLICY_ERR_COMMON);
	assert_int_equal(chk(p, "# a comment line"), 0);
	passpolicy_close(p);
	unlink(path);
	assert_int_equal(passpolicy_open("/nonexistent/list", &p), PASSPOLICY_ERR_IO);
	assert_null(p);
	/* Without a list only length and encoding apply. */
	assert_int_equal(passpolicy_check(NULL, "password1234", 12), 0);
	assert_string_equal(passpolicy_strerror(PASSPOLICY_ERR_SHORT),
	    "password must be at least 12 characters long");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shipped_list),
		cmocka_unit_test(test_length_in_code_points),
		cmocka_unit_test(test_long_passwords),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_list_parsing),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
