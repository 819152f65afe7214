/* test_userkey.c - user key derivation, bundle wrapping and recovery strings: round trips and every refusal. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>
#include "common/userkey.h"

static const struct userkey_limits low = { crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN };
static const char uid[] = "00112233445566778899aabbccddeeff";

static int
setup(void **state)
{
	return sodium_init() < 0 ? -1 : 0;
}

static void
test_derive_deterministic(void **state)
{
	uint8_t salt[16], a1[32], w1[32], a2[32], w2[32], a3[32], w3[32];
	const char *pw = "correct horse battery staple ☃";

	memset(salt, 0x5a, sizeof(salt));
	assert_int_equal(userkey_derive(pw, strlen(pw), salt, &low, a1, w1), 0);
	assert_int_equal(userkey_derive(pw, strlen(pw), salt, &low, a2, w2), 0);
	assert_memory_equal(a1, a2, 32);
	assert_memory_equal(w1, w2, 32);
	/* Auth and wrap keys are independent subkeys. */
	assert_memory_not_equal(a1, w1, 32);
	/* Another salt, another password: other keys. */
	salt[0] ^= 1;
	assert_int_equal(userkey_derive(pw, strlen(pw), salt, &low, a3, w3), 0);
	assert_memory_not_equal(a1, a3, 32);
	salt[0] ^= 1;
	assert_int_equal(userkey_derive("correct horse battery stapl", 27, salt, &low, a3, w3), 0);
	assert_memory_not_equal(a1, a3, 32);
	/* Too long a password is refused and the outputs zeroed. */
	{
		static char big[1100];

		memset(big, 'x', sizeof(big));
		assert_int_equal(userkey_derive(big, sizeof(big), salt, &low, a3, w3), USERKEY_ERR_INVAL);
		memset(a2, 0, 32);
		assert_memory_equal(a3, a2, 32);
	}
}

/* The documented construction, recomputed with raw libsodium calls (what the browser does). */
static void
test_derive_matches_documented_construction(void **state)
{
	uint8_t salt[16], a[32], w[32], master[32], ea[32], ew[32];
	const char *pw = "a documented pass phrase";

	randombytes_buf(salt, sizeof(salt));
	assert_int_equal(userkey_derive(pw, strlen(pw), salt, &low, a, w), 0);
	assert_int_equal(crypto_pwhash(master, 32, pw, strlen(pw), salt, low.ops, low.mem,
	    crypto_pwhash_ALG_ARGON2ID13), 0);
	crypto_kdf_derive_from_key(ea, 32, 1, "vglauth", master);
	crypto_kdf_derive_from_key(ew, 32, 2, "vglauth", master);
	assert_memory_equal(a, ea, 32);
	assert_memory_equal(w, ew, 32);
}

static void
test_wrap_roundtrip_and_refusals(void **state)
{
	struct userkey_bundle b, got;
	uint8_t wrap[32], other[32], blob[USERKEY_WRAPPED_LEN];
	char uid2[] = "00112233445566778899aabbccddeef0";

	assert_int_equal(userkey_generate(&b), 0);
	randombytes_buf(wrap, sizeof(wrap));
	randombytes_buf(other, sizeof(other));
	assert_int_equal(userkey_wrap(wrap, uid, &b, blob), 0);
	assert_int_equal(userkey_unwrap(wrap, uid, blob, sizeof(blob), &got), 0);
	assert_memory_equal(&b, &got, sizeof(b));
	/* Wrong key, other user id (AD), flipped byte, short input: refused, output wiped. */
	assert_int_equal(userkey_unwrap(other, uid, blob, sizeof(blob), &got), USERKEY_ERR_CRYPTO);
	assert_true(sodium_is_zero((const unsigned char *)&got, sizeof(got)));
	assert_int_equal(userkey_unwrap(wrap, uid2, blob, sizeof(blob), &got), USERKEY_ERR_CRYPTO);
	blob[40] ^= 1;
	assert_int_equal(userkey_unwrap(wrap, uid, blob, sizeof(blob), &got), USERKEY_ERR_CRYPTO);
	blob[40] ^= 1;
	assert_int_equal(userkey_unwrap(wrap, uid, blob, sizeof(blob) - 1, &got), USERKEY_ERR_INVAL);
	assert_int_equal(userkey_unwrap(wrap, "not-an-id", blob, sizeof(blob), &got), USERKEY_ERR_INVAL);
	assert_int_equal(userkey_wrap(wrap, "UPPERCASE0112233445566778899AABB", &b, blob), USERKEY_ERR_INVAL);
	userkey_bundle_wipe(&b);
	assert_true(sodium_is_zero((const unsigned char *)&b, sizeof(b)));
}

/* A bundle whose Ed25519 secret key carries a foreign public half is refused. */
static void
test_unwrap_refuses_inconsistent_sign_key(void **state)
{
	struct userkey_bundle b, got;
	uint8_t wrap[32], blob[USERKEY_WRAPPED_LEN], pk[32];

	assert_int_equal(userkey_generate(&b), 0);
	randombytes_buf(pk, sizeof(pk));
	memcpy(b.sign_sk + 32, pk, 32);
	randombytes_buf(wrap, sizeof(wrap));
	assert_int_equal(userkey_wrap(wrap, uid, &b, blob), 0);
	assert_int_equal(userkey_unwrap(wrap, uid, blob, sizeof(blob), &got), USERKEY_ERR_CRYPTO);
}

static void
test_recovery_string(void **state)
{
	uint8_t rk[32], got[32], a1[32], w1[32], a2[32], w2[32];
	char s[USERKEY_RECOVERY_STR_BUF], t[USERKEY_RECOVERY_STR_BUF + 8];
	size_t i, o = 0;

	userkey_recovery_new(rk, s);
	assert_int_equal(strlen(s), USERKEY_RECOVERY_STR_LEN);
	for (i = 4; i < USERKEY_RECOVERY_STR_LEN; i += 5)
		assert_int_equal(s[i], '-');
	assert_int_equal(userkey_recovery_parse(s, got), 0);
	assert_memory_equal(rk, got, 32);
	/* Lower case, spaces instead of dashes, and O/I/L for 0/1 are read the same. */
	for (i = 0; s[i] != '\0'; i++) {
		char c = s[i];

		if (c == '-')
			c = ' ';
		else if (c == '0')
			c = 'o';
		else if (c == '1')
			c = 'l';
		else if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		t[o++] = c;
	}
	t[o] = '\0';
	assert_int_equal(userkey_recovery_parse(t, got), 0);
	assert_memory_equal(rk, got, 32);
	/* One mistyped character is caught by the checksum. */
	memcpy(t, s, sizeof(s));
	t[0] = t[0] == 'A' ? 'B' : 'A';
	assert_int_equal(userkey_recovery_parse(t, got), USERKEY_ERR_CHECKSUM);
	/* Missing or extra characters, foreign characters. */
	t[0] = s[0];
	t[USERKEY_RECOVERY_STR_LEN - 1] = '\0';
	assert_int_equal(userkey_recovery_parse(t, got), USERKEY_ERR_INVAL);
	assert_int_equal(userkey_recovery_parse("U", got), USERKEY_ERR_INVAL);
	assert_int_equal(userkey_recovery_parse("", got), USERKEY_ERR_INVAL);
	/* Recovery keys are two independent subkeys, stable for the same key. */
	userkey_recovery_keys(rk, a1, w1);
	userkey_recovery_keys(got, a2, w2);
	userkey_recovery_keys(rk, a2, w2);
	assert_memory_equal(a1, a2, 32);
	assert_memory_not_equal(a1, w1, 32);
}

/* A fixed key formats to a fixed string (the browser must produce the same). */
static void
test_recovery_known_answer(void **state)
{
	uint8_t rk[32], got[32];
	char s[USERKEY_RECOVERY_STR_BUF];

	size_t i;

	/* Values computed independently (Python: hashlib.blake2b and a Crockford encoder). */
	memset(rk, 0, sizeof(rk));
	userkey_recovery_format(rk, s);
	assert_string_equal(s, "0000-0000-0000-0000-0000-0000-0000-0000-0000-0000-0000-0000-0002-J6PT");
	assert_int_equal(userkey_recovery_parse(s, got), 0);
	assert_memory_equal(rk, got, 32);
	for (i = 0; i < sizeof(rk); i++)
		rk[i] = (uint8_t)i;
	userkey_recovery_format(rk, s);
	assert_string_equal(s, "000G-40R4-0M30-E209-185G-R38E-1W81-24GK-2GAH-C5RR-34D1-P70X-3RFV-NSHR");
}

static void
test_recovery_wraps_bundle(void **state)
{
	struct userkey_bundle b, got;
	uint8_t rk[32], ra[32], rw[32], blob[USERKEY_WRAPPED_LEN];
	char s[USERKEY_RECOVERY_STR_BUF];

	assert_int_equal(userkey_generate(&b), 0);
	userkey_recovery_new(rk, s);
	userkey_recovery_keys(rk, ra, rw);
	assert_int_equal(userkey_wrap(rw, uid, &b, blob), 0);
	assert_int_equal(userkey_recovery_parse(s, rk), 0);
	userkey_recovery_keys(rk, ra, rw);
	assert_int_equal(userkey_unwrap(rw, uid, blob, sizeof(blob), &got), 0);
	assert_memory_equal(&b, &got, sizeof(b));
}

static void
test_ids(void **state)
{
	char a[USERKEY_ID_BUF], b[USERKEY_ID_BUF];

	userkey_id_new(a);
	userkey_id_new(b);
	assert_int_equal(strlen(a), USERKEY_ID_LEN);
	assert_string_not_equal(a, b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_derive_deterministic),
		cmocka_unit_test(test_derive_matches_documented_construction),
		cmocka_unit_test(test_wrap_roundtrip_and_refusals),
		cmocka_unit_test(test_unwrap_refuses_inconsistent_sign_key),
		cmocka_unit_test(test_recovery_string),
		cmocka_unit_test(test_recovery_known_answer),
		cmocka_unit_test(test_recovery_wraps_bundle),
		cmocka_unit_test(test_ids),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
