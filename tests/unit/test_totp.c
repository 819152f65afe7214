/* test_totp.c - TOTP against RFC 4226/6238 vectors, the ±1 window, replay refusal, base32 and otpauth URIs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>
#include "common/totp.h"

static const uint8_t rfc_key[] = "12345678901234567890";
#define S(t) (INT64_C(t) * 1000000)

static int
setup(void **state)
{
	return sodium_init() < 0 ? -1 : 0;
}

/* RFC 4226 Appendix D: HOTP, 6 digits, counters 0..9. */
static void
test_rfc4226_vectors(void **state)
{
	static const uint32_t want[10] = { 755224, 287082, 359152, 969429, 338314, 254676,
		287922, 162583, 399871, 520489 };
	uint64_t c;

	for (c = 0; c < 10; c++)
		assert_int_equal(totp_hotp(rfc_key, 20, c, 6), want[c]);
}

/* RFC 6238 Appendix B, the SHA1 rows (8 digits); 6 digits are their last six. */
static void
test_rfc6238_vectors(void **state)
{
	static const struct { int64_t t; uint32_t code; } v[] = {
		{ 59, 94287082 }, { 1111111109, 7081804 }, { 1111111111, 14050471 },
		{ 1234567890, 89005924 }, { 2000000000, 69279037 }, { INT64_C(20000000000), 65353130 },
	};
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		int64_t step = totp_step(v[i].t * 1000000);

		assert_int_equal(totp_hotp(rfc_key, 20, (uint64_t)step, 8), v[i].code);
		assert_int_equal(totp_hotp(rfc_key, 20, (uint64_t)step, 6), v[i].code % 1000000);
	}
}

/* HMAC key paths: longer than a block (hashed first), empty, exactly one block (Python hmac). */
static void
test_hmac_key_lengths(void **state)
{
	uint8_t k80[80], k64[64];
	size_t i;

	for (i = 0; i < sizeof(k80); i++)
		k80[i] = (uint8_t)i;
	memset(k64, 'x', sizeof(k64));
	assert_int_equal(totp_hotp(k80, sizeof(k80), 1, 8), 84514996);
	assert_int_equal(totp_hotp(NULL, 0, 0, 6), 328482);
	assert_int_equal(totp_hotp(k64, sizeof(k64), 12345, 6), 169949);
}

static void
fmt6(uint32_t v, char out[8])
{
	snprintf(out, 8, "%06u", (unsigned)v);
}

static void
test_verify_window_and_replay(void **state)
{
	int64_t now = S(1111111111), step, last = -1;
	int64_t cur = totp_step(now);
	char c[8], spaced[9];

	/* The current code verifies and returns its step. */
	fmt6(totp_hotp(rfc_key, 20, (uint64_t)cur, 6), c);
	assert_int_equal(totp_verify(rfc_key, 20, c, now, last, &step), 0);
	assert_int_equal(step, cur);
	last = step;
	/* The same code again: replay. */
	assert_int_equal(totp_verify(rfc_key, 20, c, now, last, &step), TOTP_ERR_REPLAY);
	assert_int_equal(step, -1);
	/* The next step's code (clock skew +1) is accepted once; the previous step's is a replay. */
	fmt6(totp_hotp(rfc_key, 20, (uint64_t)cur + 1, 6), c);
	assert_int_equal(totp_verify(rfc_key, 20, c, now, last, &step), 0);
	assert_int_equal(step, cur + 1);
	last = step;
	fmt6(totp_hotp(rfc_key, 20, (uint64_t)cur - 1, 6), c);
	assert_int_equal(totp_verify(rfc_key, 20, c, now, last, &step), TOTP_ERR_REPLAY);
	/* With no earlier use, the previous step is inside the window. */
	assert_int_equal(totp_verify(rfc_key, 20, c, now, -1, &step), 0);
	assert_int_equal(step, cur - 1);
	/* Two steps away is outside the window. */
	fmt6(totp_hotp(rfc_key, 20, (uint64_t)cur + 2, 6), c);
	assert_int_equal(totp_verify(rfc_key, 20, c, now, -1, &step), TOTP_ERR_BAD);
	fmt6(totp_hotp(rfc_key, 20, (uint64_t)cur - 2, 6), c);
	assert_int_equal(totp_verify(rfc_key, 20, c, now, -1, &step), TOTP_ERR_BAD);
	/* "123 456" and "123-456" are accepted forms. */
	fmt6(totp_hotp(rfc_key, 20, (uint64_t)cur, 6), c);
	snprintf(spaced, sizeof(spaced), "%.3s %.3s", c, c + 3);
	assert_int_equal(totp_verify(rfc_key, 20, spaced, now, -1, &step), 0);
	spaced[3] = '-';
	assert_int_equal(totp_verify(rfc_key, 20, spaced, now, -1, &step), 0);
}

static void
test_verify_malformed(void **state)
{
	int64_t step;
	static const char *bad[] = { "", "12345", "1234567", "12345a", " 123456", "123456 ",
		"12 3456", "123  456", "１２３４５６", "-123456", "+12345" };
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(totp_verify(rfc_key, 20, bad[i], S(59), -1, &step), TOTP_ERR_INVAL);
	assert_int_equal(totp_verify(rfc_key, 20, NULL, S(59), -1, &step), TOTP_ERR_INVAL);
	assert_int_equal(totp_verify(rfc_key, 0, "123456", S(59), -1, &step), TOTP_ERR_INVAL);
	/* A wrong but well-formed code. */
	assert_int_equal(totp_verify(rfc_key, 20, "000000", S(59), -1, &step), TOTP_ERR_BAD);
}

static void
test_base32(void **state)
{
	char out[64];
	uint8_t bin[64];
	size_t n;

	assert_int_equal(totp_b32_encode(rfc_key, 20, out, sizeof(out)), 0);
	assert_string_equal(out, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
	assert_int_equal(totp_b32_encode((const uint8_t *)"foob", 4, out, sizeof(out)), 0);
	assert_string_equal(out, "MZXW6YQ");
	assert_int_equal(totp_b32_encode(rfc_key, 20, out, 32), TOTP_ERR_INVAL);
	/* Decoding: padding, lower case and spaces (as apps show secrets) are accepted. */
	assert_int_equal(totp_b32_decode("gezd gnbv gy3t qojq gezd gnbv gy3t qojq", bin,
	    sizeof(bin), &n), 0);
	assert_int_equal(n, 20);
	assert_memory_equal(bin, rfc_key, 20);
	assert_int_equal(totp_b32_decode("MZXW6YQ=", bin, sizeof(bin), &n), 0);
	assert_int_equal(n, 4);
	assert_memory_equal(bin, "foob", 4);
	assert_int_equal(totp_b32_decode("MY======", bin, sizeof(bin), &n), 0);
	assert_int_equal(n, 1);
	/* Refusals: bad characters, data after padding, non-zero leftover bits, lone char,
	 * output too small, empty. */
	assert_int_equal(totp_b32_decode("MZXW1YQ", bin, sizeof(bin), &n), TOTP_ERR_INVAL);
	assert_int_equal(totp_b32_decode("MY==MY", bin, sizeof(bin), &n), TOTP_ERR_INVAL);
	assert_int_equal(totp_b32_decode("MZ", bin, sizeof(bin), &n), TOTP_ERR_INVAL);
	assert_int_equal(totp_b32_decode("MZXWB", bin, sizeof(bin), &n), TOTP_ERR_INVAL);
	assert_int_equal(totp_b32_decode("GEZDGNBVGY3TQOJQ", bin, 9, &n), TOTP_ERR_INVAL);
	assert_int_equal(totp_b32_decode("", bin, sizeof(bin), &n), TOTP_ERR_INVAL);
}

static void
test_roundtrip_random(void **state)
{
	uint8_t s[TOTP_SECRET_LEN], back[TOTP_SECRET_LEN];
	char b32[64];
	size_t n;
	int i;

	for (i = 0; i < 100; i++) {
		totp_secret_new(s);
		assert_int_equal(totp_b32_encode(s, sizeof(s), b32, sizeof(b32)), 0);
		assert_int_equal(strlen(b32), 32);
		assert_int_equal(totp_b32_decode(b32, back, sizeof(back), &n), 0);
		assert_int_equal(n, sizeof(s));
		assert_memory_equal(s, back, sizeof(s));
	}
}

static void
test_uri(void **state)
{
	char u[TOTP_URI_MAX];

	assert_int_equal(totp_uri("Vigil", "alice@example.com", rfc_key, 20, u, sizeof(u)), 0);
	assert_string_equal(u, "otpauth://totp/Vigil:alice%40example.com?"
	    "secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Vigil&algorithm=SHA1&digits=6&period=30");
	assert_int_equal(totp_uri("Vigil HQ", "bob&x=1", rfc_key, 20, u, sizeof(u)), 0);
	assert_string_equal(u, "otpauth://totp/Vigil%20HQ:bob%26x%3D1?"
	    "secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Vigil%20HQ&algorithm=SHA1&digits=6&period=30");
	/* A colon in the issuer would split the label; too small a buffer fails cleanly. */
	assert_int_equal(totp_uri("a:b", "c", rfc_key, 20, u, sizeof(u)), TOTP_ERR_INVAL);
	assert_int_equal(totp_uri("Vigil", "alice", rfc_key, 20, u, 40), TOTP_ERR_INVAL);
	assert_string_equal(u, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc4226_vectors),
		cmocka_unit_test(test_rfc6238_vectors),
		cmocka_unit_test(test_hmac_key_lengths),
		cmocka_unit_test(test_verify_window_and_replay),
		cmocka_unit_test(test_verify_malformed),
		cmocka_unit_test(test_base32),
		cmocka_unit_test(test_roundtrip_random),
		cmocka_unit_test(test_uri),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
