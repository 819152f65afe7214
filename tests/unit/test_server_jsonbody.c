/* test_server_jsonbody.c - the JSON body parser: limits, types, duplicates, hex and integer fields. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "server/jsonbody.h"

static int
parse(const char *s, json_t **j)
{
	return jsonbody_parse((const uint8_t *)s, strlen(s), j);
}

static void
test_parse(void **state)
{
	json_t *j;
	uint8_t id[4];
	int64_t v;

	assert_int_equal(parse("{\"gateway_id\":\"0a0b0c0d\",\"n\":5}", &j), 0);
	assert_int_equal(jsonbody_hex(j, "gateway_id", id, 4), 0);
	assert_int_equal(id[0], 0x0a);
	assert_int_equal(id[3], 0x0d);
	assert_int_equal(jsonbody_hex(j, "gateway_id", id, 3), -1);   /* wrong length */
	assert_int_equal(jsonbody_hex(j, "missing", id, 4), -1);
	assert_int_equal(jsonbody_hex(j, "n", id, 4), -1);            /* wrong type */
	assert_int_equal(jsonbody_int(j, "n", 1, 10, &v), 0);
	assert_int_equal(v, 5);
	assert_int_equal(jsonbody_int(j, "n", 6, 10, &v), -1);
	assert_int_equal(jsonbody_int(j, "gateway_id", 0, 10, &v), -1);
	json_decref(j);
}

static void
test_reject(void **state)
{
	json_t *j = NULL;
	char *big;
	size_t i;

	assert_int_equal(parse("", &j), -1);
	assert_int_equal(parse("[1,2]", &j), -1);
	assert_int_equal(parse("\"x\"", &j), -1);
	assert_int_equal(parse("{\"a\":1,\"a\":2}", &j), -1);
	assert_int_equal(parse("{\"a\":", &j), -1);
	assert_int_equal(parse("{\"a\":{\"b\":{\"c\":{\"d\":{}}}}}", &j), -1);
	assert_int_equal(parse("{\"a\":\"\\u0000\"}", &j), -1);
	assert_null(j);
	assert_int_equal(parse("{\"a\":\"{{{{{{{{\"}", &j), 0);   /* braces in strings are text */
	json_decref(j);
	assert_int_equal(jsonbody_parse((const uint8_t *)"{\"a\":\"\xff\"}", 9, &j), -1);
	big = malloc(JSONBODY_MAX + 16);
	assert_non_null(big);
	big[0] = '{';
	big[1] = '"';
	big[2] = 'a';
	big[3] = '"';
	big[4] = ':';
	big[5] = '"';
	for (i = 6; i < JSONBODY_MAX + 8; i++)
		big[i] = 'x';
	big[i++] = '"';
	big[i++] = '}';
	assert_int_equal(jsonbody_parse((uint8_t *)big, i, &j), -1);
	free(big);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_reject),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
