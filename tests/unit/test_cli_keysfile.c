/* test_cli_keysfile.c - unit tests of keys.json loading and saving, demo.json and the segment list parsing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <sodium.h>
#include "cli/fetch.h"
#include "cli/keysfile.h"
#include "cli/viewcfg.h"
#include "common/util.h"

#define GW "8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c"
#define CAM "00112233445566778899aabbccddeeff"

/* A valid keys.json with one camera whose secret and public keys agree. */
static char good[2048];

static void
make_good(void)
{
	uint8_t pk[32], sk[32];
	char pkh[65], skh[65];

	memset(sk, 7, sizeof(sk));
	crypto_scalarmult_base(pk, sk);
	hex_encode(pk, 32, pkh);
	hex_encode(sk, 32, skh);
	snprintf(good, sizeof(good), "{\"gateways\":[\"" GW "\"],\"cameras\":[{\"name\":\"cam1\","
	    "\"id\":\"" CAM "\",\"epochs\":[{\"epoch\":1,\"public_key\":\"%s\","
	    "\"secret_key\":\"%s\"}]}]}", pkh, skh);
}

static int
setup(void **state)
{
	(void)state;
	if (sodium_init() < 0)
		return -1;
	make_good();
	return 0;
}

/* Parse text expecting failure with an error mentioning needle. */
static void
parse_bad(const char *text, const char *needle)
{
	struct keysfile *k = (struct keysfile *)1;
	char err[512] = "";

	assert_int_equal(keysfile_parse(text, strlen(text), "keys.json", &k, err, sizeof(err)), -1);
	assert_null(k);
	if (strstr(err, needle) == NULL)
		fail_msg("error '%s' does not mention '%s'", err, needle);
}

/* good with the first occurrence of from replaced by to. */
static void
parse_bad_edit(const char *from, const char *to, const char *needle)
{
	char t[2048];
	const char *p = strstr(good, from);
	size_t a;

	assert_non_null(p);
	a = (size_t)(p - good);
	snprintf(t, sizeof(t), "%.*s%s%s", (int)a, good, to, p + strlen(from));
	parse_bad(t, needle);
}

static void
test_good(void **state)
{
	struct keysfile *k = NULL;
	const struct keys_camera *c;
	uint8_t id[16], pk[32], sk[32], gw[32];
	char err[256];

	(void)state;
	assert_int_equal(keysfile_parse(good, strlen(good), "keys.json", &k, err, sizeof(err)), 0);
	assert_int_equal(k->ngateways, 1);
	assert_int_equal(hex_decode(GW, gw, 32), 0);
	assert_true(keysfile_has_gateway(k, gw));
	c = keysfile_camera_by_name(k, "cam1");
	assert_non_null(c);
	assert_int_equal(hex_decode(CAM, id, 16), 0);
	assert_ptr_equal(keysfile_camera_by_id(k, id), c);
	assert_null(keysfile_camera_by_name(k, "cam2"));
	assert_int_equal(keysfile_seg_key(k, id, 1, pk, sk), 0);
	assert_int_equal(keysfile_seg_key(k, id, 2, pk, sk), -1);
	id[0] ^= 1;
	assert_int_equal(keysfile_seg_key(k, id, 1, pk, sk), -1);
	keysfile_free(k);
}

static void
test_missing_fields(void **state)
{
	(void)state;
	parse_bad("", "not valid JSON");
	parse_bad("[]", "not a JSON object");
	parse_bad("{\"cameras\":[]}", "gateways: missing");
	parse_bad("{\"gateways\":[\"" GW "\"]}", "cameras: missing");
	parse_bad("{\"gateways\":[],\"cameras\":[]}", "gateways");
	parse_bad("{\"gateways\":\"" GW "\",\"cameras\":[]}", "not an array");
	parse_bad("{\"gateways\":[\"abc\"],\"cameras\":[]}", "gateways[0]");
	parse_bad("{\"gateways\":[\"" GW "\"],\"cameras\":[{}]}", "cameras[0].name: missing");
	parse_bad("{\"gateways\":[\"" GW "\"],\"cameras\":[{\"name\":\"c\"}]}", "cameras[0].id: missing");
	parse_bad("{\"gateways\":[\"" GW "\"],\"cameras\":[{\"name\":\"c\",\"id\":\"" CAM "\"}]}",
	    "cameras[0].epochs: missing");
	parse_bad("{\"gateways\":[\"" GW "\"],\"cameras\":[{\"name\":\"c\",\"id\":\"" CAM "\","
	    "\"epochs\":[]}]}", "epochs");
	parse_bad("{\"gateways\":[\"" GW "\"],\"cameras\":[{\"name\":\"c\",\"id\":\"" CAM "\","
	    "\"epochs\":[{\"epoch\":1}]}]}", "epochs[0].public_key: missing");
	parse_bad_edit("\"secret_key\"", "\"secret\"", "epochs[0].secret_key: missing");
	parse_bad_edit("\"epoch\":1", "\"epoch\":0", "epoch: out of range");
	parse_bad_edit("\"epoch\":1", "\"epoch\":\"1\"", "epoch: not an integer");
	parse_bad_edit("\"name\":\"cam1\"", "\"name\":\"cam/1\"", "name");
	parse_bad_edit("\"name\":\"cam1\"", "\"name\":\"\"", "name");
	parse_bad_edit("\"id\":\"" CAM "\"", "\"id\":\"" CAM "00\"", "id: want 32 hex");
	parse_bad_edit("\"id\":\"" CAM "\"", "\"id\":\"zz112233445566778899aabbccddeeff\"", "id");
	parse_bad_edit("\"public_key\":\"", "\"public_key\":\"00", "public_key");
	parse_bad_edit("\"gateways\"", "\"gateways\":[],\"gateways\"", "JSON");
}

static void
test_mismatched_key(void **state)
{
	char t[2048];
	char *p;

	(void)state;
	snprintf(t, sizeof(t), "%s", good);
	p = strstr(t, "\"secret_key\":\"");
	assert_non_null(p);
	p += strlen("\"secret_key\":\"");
	*p = *p == '0' ? '1' : '0';
	parse_bad(t, "does not match");
}

static void
test_duplicate_camera(void **state)
{
	char t[4096];
	const char *cams = strstr(good, "[{\"name\"");
	size_t len;

	(void)state;
	assert_non_null(cams);
	/* "cameras":[X] -> "cameras":[X,X] */
	len = strlen(cams);
	snprintf(t, sizeof(t), "%.*s,%.*s]}", (int)(cams - good) + (int)len - 2, good,
	    (int)len - 3, cams + 1);
	parse_bad(t, "duplicate");
}

/* An organization's camera names follow the signed statements' rule: "Front door" and
 * UTF-8 are names (an org with one used to fail every export); control bytes, 65 bytes and
 * a repeated name are not. */
static void
test_org_camera_names(void **state)
{
	struct keysfile *k;
	uint8_t id[16], pk[32], sk[32];
	char long_name[66];

	(void)state;
	k = keysfile_new();
	assert_non_null(k);
	crypto_box_keypair(pk, sk);
	randombytes_buf(id, sizeof(id));
	assert_int_equal(keysfile_add_camera(k, "Front door", id, 1, pk, sk), 0);
	assert_non_null(keysfile_camera_by_name(k, "Front door"));
	randombytes_buf(id, sizeof(id));
	assert_int_equal(keysfile_add_camera(k, "Caf\xc3\xa9 \xe2\x80\x94 terrasse", id, 1, pk, sk), 0);
	randombytes_buf(id, sizeof(id));
	assert_int_equal(keysfile_add_camera(k, "Front door", id, 1, pk, sk), -1);
	assert_int_equal(keysfile_add_camera(k, "bell\x07", id, 1, pk, sk), -1);
	assert_int_equal(keysfile_add_camera(k, "esc\x1b[2J", id, 1, pk, sk), -1);
	memset(long_name, 'a', 65);
	long_name[65] = '\0';
	assert_int_equal(keysfile_add_camera(k, long_name, id, 1, pk, sk), -1);
	long_name[64] = '\0';
	assert_int_equal(keysfile_add_camera(k, long_name, id, 1, pk, sk), 0);
	assert_int_equal(k->ncameras, 3);
	keysfile_free(k);
}

static void
test_save_load(void **state)
{
	char dir[] = "/tmp/vigil-test-keysXXXXXX", path[256], err[256];
	struct keysfile *k, *k2 = NULL;
	uint8_t gw[32], id[16], pk[32], sk[32], pk2[32], sk2[32];
	struct stat st;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/keys.json", dir);
	k = keysfile_new();
	assert_non_null(k);
	randombytes_buf(gw, sizeof(gw));
	randombytes_buf(id, sizeof(id));
	crypto_box_keypair(pk, sk);
	assert_int_equal(keysfile_add_gateway(k, gw), 0);
	assert_int_equal(keysfile_add_gateway(k, gw), 0);
	assert_int_equal(k->ngateways, 1);
	assert_int_equal(keysfile_add_camera(k, "cam1", id, 1, pk, sk), 0);
	assert_int_equal(keysfile_add_camera(k, "cam1", id, 1, pk, sk), -1);
	assert_int_equal(keysfile_save(k, path), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(keysfile_load(path, &k2, err, sizeof(err)), 0);
	assert_int_equal(keysfile_seg_key(k2, id, 1, pk2, sk2), 0);
	assert_memory_equal(pk, pk2, 32);
	assert_memory_equal(sk, sk2, 32);
	assert_true(keysfile_has_gateway(k2, gw));
	keysfile_free(k);
	keysfile_free(k2);
	unlink(path);
	k2 = (struct keysfile *)1;
	assert_int_equal(keysfile_load(path, &k2, err, sizeof(err)), -1);
	assert_null(k2);
	assert_non_null(strstr(err, "cannot read"));
	rmdir(dir);
}

static void
test_demo_json(void **state)
{
	char s[64], t[64], k[64], err[256];
	const char *ok = "{\"server\":\"http://127.0.0.1:1\",\"admin_token\":\"abcd\","
	    "\"keys_file\":\"/x/keys.json\",\"cameras\":[\"cam1\"]}";

	(void)state;
	assert_int_equal(viewcfg_parse_demo(ok, strlen(ok), "demo.json", s, sizeof(s), t,
	    sizeof(t), k, sizeof(k), err, sizeof(err)), 0);
	assert_string_equal(s, "http://127.0.0.1:1");
	assert_string_equal(t, "abcd");
	assert_string_equal(k, "/x/keys.json");
	assert_int_equal(viewcfg_parse_demo("{\"server\":\"ftp://x\",\"admin_token\":\"a\","
	    "\"keys_file\":\"k\"}", 46, "demo.json", s, sizeof(s), t, sizeof(t), k, sizeof(k),
	    err, sizeof(err)), -1);
	assert_int_equal(viewcfg_parse_demo("{\"server\":\"http://x\",\"keys_file\":\"k\"}", 37,
	    "demo.json", s, sizeof(s), t, sizeof(t), k, sizeof(k), err, sizeof(err)), -1);
	assert_non_null(strstr(err, "admin_token: missing"));
	assert_int_equal(viewcfg_parse_demo("{\"server\":\"http://x\",\"admin_token\":\"a b\","
	    "\"keys_file\":\"k\"}", 55, "demo.json", s, sizeof(s), t, sizeof(t), k, sizeof(k),
	    err, sizeof(err)), -1);
}

static void
test_segment_list(void **state)
{
	struct linkent *v = NULL;
	size_t n = 0;
	char err[256];
	const char *ok = "{\"segments\":[{\"seq\":4,\"kind\":\"segment\",\"start_us\":10,"
	    "\"end_us\":20,\"length\":999},{\"seq\":5,\"kind\":\"gap\",\"start_us\":20,"
	    "\"end_us\":30,\"length\":217}]}";
	const char *bad[] = {
		"{}",
		"{\"segments\":{}}",
		"{\"segments\":[{\"seq\":-1,\"kind\":\"gap\",\"start_us\":0,\"end_us\":0,\"length\":1}]}",
		"{\"segments\":[{\"seq\":1,\"kind\":\"x\",\"start_us\":0,\"end_us\":0,\"length\":1}]}",
		"{\"segments\":[{\"seq\":1,\"kind\":\"gap\",\"end_us\":0,\"length\":1}]}",
		"{\"segments\":[{\"seq\":1,\"kind\":\"gap\",\"start_us\":0,\"end_us\":0,\"length\":1e3}]}",
		"{\"segments\":[1]}",
		"nope",
	};
	size_t i;

	(void)state;
	assert_int_equal(fetch_list_parse(ok, strlen(ok), &v, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 2);
	assert_int_equal(v[0].seq, 4);
	assert_false(v[0].is_gap);
	assert_true(v[1].is_gap);
	assert_int_equal(v[1].end_us, 30);
	free(v);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = (struct linkent *)1;
		assert_int_equal(fetch_list_parse(bad[i], strlen(bad[i]), &v, &n, err, sizeof(err)), -1);
		assert_null(v);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_missing_fields),
		cmocka_unit_test(test_mismatched_key),
		cmocka_unit_test(test_duplicate_camera),
		cmocka_unit_test(test_save_load),
		cmocka_unit_test(test_org_camera_names),
		cmocka_unit_test(test_demo_json),
		cmocka_unit_test(test_segment_list),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
