/* test_server_orgretention.c - the organization retention body parser (bounds, types, extra keys) and the index's per-camera retention read-back. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "server/h_orgretention.h"
#include "server/index.h"

static int
parse(const char *s, int64_t *v)
{
	return orgretention_body_parse((const uint8_t *)s, strlen(s), v);
}

static void
test_accept(void **state)
{
	int64_t v = -1;

	assert_int_equal(parse("{\"max_age_s\":0}", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(parse("{\"max_age_s\":3600}", &v), 0);
	assert_int_equal(v, 3600);
	assert_int_equal(parse(" { \"max_age_s\" : 2592000 } ", &v), 0);
	assert_int_equal(v, 2592000);
	assert_int_equal(parse("{\"max_age_s\":315619200}", &v), 0);
	assert_int_equal(v, ORGRETENTION_MAX_S);
}

static void
test_reject(void **state)
{
	static const char *const bad[] = {
		"", "{}", "[]", "null", "{\"max_age_s\":1}", "{\"max_age_s\":3599}",
		"{\"max_age_s\":-1}", "{\"max_age_s\":315619201}", "{\"max_age_s\":3600.0}",
		"{\"max_age_s\":\"3600\"}", "{\"max_age_s\":true}", "{\"max_age_s\":null}",
		"{\"max_age_s\":3600,\"x\":1}", "{\"max_age_s\":3600,\"max_age_s\":7200}",
		"{\"max_age\":3600}", "{\"max_age_s\":99999999999999999999999}",
		"{\"max_age_s\":3600", "{\"max_age_s\":{\"n\":3600}}",
	};
	int64_t v;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = 77;
		if (parse(bad[i], &v) != -1)
			fail_msg("accepted %s", bad[i]);
		assert_int_equal(v, 0);
	}
	/* Not NUL-terminated, and a NUL inside. */
	assert_int_equal(orgretention_body_parse((const uint8_t *)"{\"max_age_s\":3600}", 10, &v), -1);
	assert_int_equal(orgretention_body_parse((const uint8_t *)"{\"max_age_s\":36\0000}", 18, &v), -1);
}

/* The index reads back what was set: unset (NULL) first, then a value, then 0. */
static void
test_index_readback(void **state)
{
	char dir[] = "/tmp/vigil-orgret-XXXXXX", path[64];
	uint8_t cam[CAMERA_ID_LEN], other[CAMERA_ID_LEN], gw[GATEWAY_ID_LEN];
	struct index *ix = NULL;
	int64_t v;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/index.db", dir);
	assert_int_equal(index_open(&ix, path), 0);
	memset(cam, 0x11, sizeof(cam));
	memset(other, 0x22, sizeof(other));
	memset(gw, 0x33, sizeof(gw));
	assert_int_equal(index_gateway_add(ix, gw), 1);
	assert_int_equal(index_camera_claim(ix, cam, gw), 0);
	assert_int_equal(index_camera_retention(ix, cam, &v), 0);
	assert_int_equal(index_camera_retention(ix, other, &v), INDEX_E_NOTFOUND);
	assert_int_equal(index_camera_set_retention(ix, cam, 7200), 0);
	assert_int_equal(index_camera_retention(ix, cam, &v), 1);
	assert_int_equal(v, 7200);
	assert_int_equal(index_camera_set_retention(ix, cam, 0), 0);
	assert_int_equal(index_camera_retention(ix, cam, &v), 1);
	assert_int_equal(v, 0);
	index_close(ix);
	unlink(path);
	snprintf(path, sizeof(path), "%s/index.db-wal", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/index.db-shm", dir);
	unlink(path);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accept),
		cmocka_unit_test(test_reject),
		cmocka_unit_test(test_index_readback),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
