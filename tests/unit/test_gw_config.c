/* test_gw_config.c - unit tests of the gateway configuration parser and its error messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "gateway/config.h"

#define ID1 "00112233445566778899aabbccddeeff"
/* 65 bytes: one more than a signed camera name may hold. */
#define NAME65 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define PK1 "0101010101010101010101010101010101010101010101010101010101010101"

static const char *good =
    "{\"server\":\"http://127.0.0.1:8080\",\"key_file\":\"/var/lib/vigil/gateway.key\","
    "\"spool_dir\":\"/var/lib/vigil/spool\",\"spool_max_bytes\":1073741824,"
    "\"segment_target_ms\":2000,\"cameras\":[{\"name\":\"cam1\",\"id\":\"" ID1 "\","
    "\"epoch\":1,\"epoch_public_key\":\"" PK1 "\",\"streams\":["
    "{\"index\":0,\"url\":\"rtsp://127.0.0.1:8554/cam1/main\"},"
    "{\"index\":1,\"url\":\"rtsp://127.0.0.1:8554/cam1/sub\"}]}]}";

/* Replace the first occurrence of from with to in good, then parse; returns the result
 * and leaves the error message in err. */
static int parse_edit(const char *from, const char *to, char *err, size_t errlen)
{
	char doc[4096];
	const char *at = strstr(good, from);
	struct config *c = NULL;
	size_t pre;
	int r;

	assert_non_null(at);
	pre = (size_t)(at - good);
	assert_true(strlen(good) - strlen(from) + strlen(to) < sizeof(doc));
	memcpy(doc, good, pre);
	memcpy(doc + pre, to, strlen(to));
	memcpy(doc + pre + strlen(to), at + strlen(from), strlen(at + strlen(from)) + 1);
	r = config_parse(doc, strlen(doc), &c, err, errlen);
	if (r == 0)
		assert_non_null(c);
	else
		assert_null(c);
	config_free(c);
	return r;
}

static void test_good(void **state)
{
	struct config *c = NULL;
	char err[256];

	assert_int_equal(config_parse(good, strlen(good), &c, err, sizeof(err)), 0);
	assert_string_equal(c->server, "http://127.0.0.1:8080");
	assert_string_equal(c->key_file, "/var/lib/vigil/gateway.key");
	assert_string_equal(c->spool_dir, "/var/lib/vigil/spool");
	assert_true(c->spool_max_bytes == 1073741824u);
	assert_int_equal(c->segment_target_ms, 2000);
	assert_int_equal(c->ncameras, 1);
	assert_string_equal(c->cameras[0].name, "cam1");
	assert_int_equal(c->cameras[0].id[0], 0x00);
	assert_int_equal(c->cameras[0].id[15], 0xff);
	assert_int_equal(c->cameras[0].epoch, 1);
	assert_int_equal(c->cameras[0].epoch_pk[31], 1);
	assert_int_equal(c->cameras[0].nstreams, 2);
	assert_int_equal(c->cameras[0].streams[1].index, 1);
	assert_string_equal(c->cameras[0].streams[1].url, "rtsp://127.0.0.1:8554/cam1/sub");
	config_free(c);
	config_free(NULL);
}

/* Any name a camera.epoch statement may sign ("Front door", "Entrée") is taken as it is;
 * the logs get a label with the other bytes as '_'. */
static void test_signed_style_name(void **state)
{
	static const struct { const char *json, *name, *label; } cases[] = {
		{ "Front door", "Front door", "Front_door" },
		{ "Entr\\u00e9e 2", "Entr\xc3\xa9" "e 2", "Entr__e_2" },
		{ "a=b \\\"c\\\"", "a=b \"c\"", "a_b__c_" },
		{ "cam-1_x.y", "cam-1_x.y", "cam-1_x.y" },
	};
	char doc[4096], err[256];
	const char *at = strstr(good, "cam1\",");
	struct config *c;
	size_t i, pre;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		pre = (size_t)(at - good);
		snprintf(doc, sizeof(doc), "%.*s%s%s", (int)pre, good, cases[i].json, at + 4);
		c = NULL;
		if (config_parse(doc, strlen(doc), &c, err, sizeof(err)) != 0)
			fail_msg("case %zu: %s", i, err);
		assert_string_equal(c->cameras[0].name, cases[i].name);
		assert_string_equal(c->cameras[0].label, cases[i].label);
		config_free(c);
	}
}

struct bad_case {
	const char *from, *to, *msg;
};

static void test_errors_name_field(void **state)
{
	static const struct bad_case cases[] = {
		{ "\"server\":\"http://127.0.0.1:8080\"", "\"server\":\"ftp://x\"", "server:" },
		{ "\"server\":\"http://127.0.0.1:8080\"", "\"server\":5", "server: must be a string" },
		{ "\"server\":\"http://127.0.0.1:8080\",", "", "server: missing" },
		{ "\"key_file\":\"/var", "\"key_file\":\"var", "key_file: must be an absolute path" },
		{ "\"spool_dir\":\"/var", "\"spool_dir\":\"var", "spool_dir: must be an absolute path" },
		{ "1073741824", "-1", "spool_max_bytes:" },
		{ "1073741824", "1.5", "spool_max_bytes:" },
		{ "2000", "10", "segment_target_ms:" },
		{ "2000", "\"2000\"", "segment_target_ms:" },
		{ "\"name\":\"cam1\"", "\"name\":\"cam\\n1\"", "cameras[0].name:" },
		{ "\"name\":\"cam1\"", "\"name\":\"cam\\u007f1\"", "cameras[0].name:" },
		{ "\"name\":\"cam1\"", "\"name\":\"" NAME65 "\"", "cameras[0].name:" },
		{ "\"name\":\"cam1\"", "\"name\":\"\"", "cameras[0].name:" },
		{ ID1, "00112233445566778899AABBCCDDEEFF", "cameras[0].id: must be 32 lowercase hex" },
		{ ID1, "0011", "cameras[0].id:" },
		{ "\"epoch\":1", "\"epoch\":4294967296", "cameras[0].epoch:" },
		{ "\"epoch\":1", "\"epoch\":-1", "cameras[0].epoch:" },
		{ PK1, "zz", "cameras[0].epoch_public_key:" },
		{ "\"index\":1", "\"index\":0", "cameras[0].streams[1].index: repeats" },
		{ "\"index\":1", "\"index\":256", "cameras[0].streams[1].index:" },
		{ "rtsp://127.0.0.1:8554/cam1/main", "http://x/y", "cameras[0].streams[0].url:" },
		{ "rtsp://127.0.0.1:8554/cam1/main", "rtsp://", "cameras[0].streams[0].url:" },
		{ "rtsp://127.0.0.1:8554/cam1/main", "rtsp://a b", "cameras[0].streams[0].url:" },
		{ "\"streams\":[", "\"streams\":[],\"x\":[", "cameras[0].streams:" },
		{ "\"cameras\":[", "\"cameras\":{}, \"y\":[", "cameras:" },
		{ "\"server\"", "\"sever\":1,\"server\"", "unknown field \"sever\"" },
		{ "\"epoch\":1", "\"epoch\":1,\"epok\":2", "cameras[0]: unknown field \"epok\"" },
		{ "\"index\":0", "\"index\":0,\"user\":\"x\"", "cameras[0].streams[0]: unknown field \"user\"" },
		{ "\"server\"", "\"server\":\"http://a\",\"server\"", "config: not valid JSON" },
		{ "{\"server\"", "[{\"server\"", "config: not valid JSON" },
	};
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(parse_edit(cases[i].from, cases[i].to, err, sizeof(err)), -1);
		if (strstr(err, cases[i].msg) == NULL)
			fail_msg("case %zu: error \"%s\" does not contain \"%s\"", i, err, cases[i].msg);
	}
}

static void test_duplicates_and_garbage(void **state)
{
	char doc[4096], err[256];
	struct config *c = NULL;
	const char *cam = strstr(good, "{\"name\"");
	size_t camlen, pre;

	/* The same camera twice: refused, naming the second. */
	assert_non_null(cam);
	pre = (size_t)(cam - good);
	camlen = strlen(cam) - 2; /* without the closing "]}" */
	memcpy(doc, good, pre + camlen);
	doc[pre + camlen] = ',';
	memcpy(doc + pre + camlen + 1, cam, strlen(cam) + 1);
	assert_int_equal(config_parse(doc, strlen(doc), &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cameras[1].id: repeats cameras[0].id"));

	/* Empty, binary and NUL-carrying inputs never crash and get a message. */
	assert_int_equal(config_parse("", 0, &c, err, sizeof(err)), -1);
	assert_int_equal(config_parse("\0\1\2", 3, &c, err, sizeof(err)), -1);
	assert_int_equal(config_parse("{\"server\":\"http://a\\u0000b\"}", 27, &c, err, sizeof(err)), -1);
	assert_int_equal(config_parse("null", 4, &c, err, sizeof(err)), -1);
	assert_int_equal(config_parse("[]", 2, &c, err, sizeof(err)), -1);
	assert_string_equal(err, "config: must be a JSON object");
	assert_int_equal(config_parse(good, strlen(good), &c, NULL, 0), 0);
	config_free(c);
	assert_int_equal(config_load("/nonexistent/vigil.json", &c, err, sizeof(err)), -1);
	assert_null(c);
	assert_non_null(strstr(err, "cannot read"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_errors_name_field),
		cmocka_unit_test(test_signed_style_name),
		cmocka_unit_test(test_duplicates_and_garbage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
