/* totp.c - RFC 6238 TOTP with a small SHA-1 for HMAC, base32 and otpauth:// URIs. */
#include <string.h>
#include <sodium.h>
#include "common/totp.h"

/*
 * libsodium has no SHA-1, and TOTP as authenticator apps implement it needs HMAC-SHA1.
 * Rather than add a library for one hash, this file carries a plain FIPS 180-4 SHA-1 used
 * only inside HMAC (where SHA-1's collision weakness does not matter, RFC 6151), checked
 * against the FIPS and RFC 2202 vectors and RFC 6238 Appendix B in tests/unit/test_totp.c.
 */
struct sha1 {
	uint32_t h[5];
	uint64_t len;
	uint8_t blk[64];
	size_t n;
};

static uint32_t
rol(uint32_t x, int k)
{
	return (x << k) | (x >> (32 - k));
}

static void
sha1_block(struct sha1 *s, const uint8_t *p)
{
	uint32_t w[80], a, b, c, d, e, t;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		    (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (i = 16; i < 80; i++)
		w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
	a = s->h[0], b = s->h[1], c = s->h[2], d = s->h[3], e = s->h[4];
	for (i = 0; i < 80; i++) {
		uint32_t f, k;

		if (i < 20)
			f = (b & c) | (~b & d), k = 0x5a827999;
		else if (i < 40)
			f = b ^ c ^ d, k = 0x6ed9eba1;
		else if (i < 60)
			f = (b & c) | (b & d) | (c & d), k = 0x8f1bbcdc;
		else
			f = b ^ c ^ d, k = 0xca62c1d6;
		t = rol(a, 5) + f + e + k + w[i];
		e = d, d = c, c = rol(b, 30), b = a, a = t;
	}
	s->h[0] += a, s->h[1] += b, s->h[2] += c, s->h[3] += d, s->h[4] += e;
	sodium_memzero(w, sizeof(w));
}

static void
sha1_init(struct sha1 *s)
{
	static const uint32_t iv[5] = { 0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0 };

	memcpy(s->h, iv, sizeof(iv));
	s->len = 0;
	s->n = 0;
}

static void
sha1_update(struct sha1 *s, const uint8_t *p, size_t n)
{
	s->len += n;
	while (n > 0) {
		size_t k = 64 - s->n;

		if (k > n)
			k = n;
		memcpy(s->blk + s->n, p, k);
		s->n += k, p += k, n -= k;
		if (s->n == 64) {
			sha1_block(s, s->blk);
			s->n = 0;
		}
	}
}

static void
sha1_final(struct sha1 *s, uint8_t out[20])
{
	uint64_t bits = s->len * 8;
	uint8_t pad = 0x80, z = 0, l[8];
	int i;

	sha1_update(s, &pad, 1);
	while (s->n != 56)
		sha1_update(s, &z, 1);
	for (i = 0; i < 8; i++)
		l[i] = (uint8_t)(bits >> (56 - 8 * i));
	sha1_update(s, l, 8);
	for (i = 0; i < 20; i++)
		out[i] = (uint8_t)(s->h[i / 4] >> (24 - 8 * (i % 4)));
	sodium_memzero(s, sizeof(*s));
}

/* RFC 2104 HMAC-SHA1. */
static void
hmac_sha1(const uint8_t *key, size_t keylen, const uint8_t *msg, size_t n, uint8_t out[20])
{
	struct sha1 s;
	uint8_t k[64], pad[64], inner[20];
	size_t i;

	memset(k, 0, sizeof(k));
	if (keylen > 64) {
		sha1_init(&s);
		sha1_update(&s, key, keylen);
		sha1_final(&s, k);
	} else if (keylen > 0) {
		memcpy(k, key, keylen);
	}
	for (i = 0; i < 64; i++)
		pad[i] = k[i] ^ 0x36;
	sha1_init(&s);
	sha1_update(&s, pad, 64);
	sha1_update(&s, msg, n);
	sha1_final(&s, inner);
	for (i = 0; i < 64; i++)
		pad[i] = k[i] ^ 0x5c;
	sha1_init(&s);
	sha1_update(&s, pad, 64);
	sha1_update(&s, inner, 20);
	sha1_final(&s, out);
	sodium_memzero(k, sizeof(k));
	sodium_memzero(pad, sizeof(pad));
	sodium_memzero(inner, sizeof(inner));
}

void
totp_secret_new(uint8_t secret[TOTP_SECRET_LEN])
{
	randombytes_buf(secret, TOTP_SECRET_LEN);
}

uint32_t
totp_hotp(const uint8_t *key, size_t keylen, uint64_t counter, int digits)
{
	static const uint32_t mod[9] = { 1, 10, 100, 1000, 10000, 100000, 1000000, 10000000,
		100000000 };
	uint8_t msg[8], mac[20];
	uint32_t v;
	int i, off;

	if (digits < 6 || digits > 8)
		digits = 6;
	for (i = 0; i < 8; i++)
		msg[i] = (uint8_t)(counter >> (56 - 8 * i));
	hmac_sha1(key, keylen, msg, sizeof(msg), mac);
	off = mac[19] & 0x0f;
	v = ((uint32_t)(mac[off] & 0x7f) << 24 | (uint32_t)mac[off + 1] << 16 |
	    (uint32_t)mac[off + 2] << 8 | mac[off + 3]) % mod[digits];
	sodium_memzero(mac, sizeof(mac));
	return v;
}

int64_t
totp_step(int64_t now_us)
{
	return now_us < 0 ? 0 : now_us / TOTP_STEP_US;
}

/* Copy the 6 digits of a typed code into d; 0 or -1. */
static int
code_parse(const char *code, char d[TOTP_DIGITS])
{
	size_t i, n = 0, seps = 0;

	for (i = 0; code[i] != '\0'; i++) {
		char c = code[i];

		if (c >= '0' && c <= '9') {
			if (n >= TOTP_DIGITS)
				return -1;
			d[n++] = c;
		} else if ((c == ' ' || c == '-') && n == TOTP_DIGITS / 2 && seps == 0) {
			seps++;
		} else {
			return -1;
		}
	}
	return n == TOTP_DIGITS ? 0 : -1;
}

int
totp_verify(const uint8_t *key, size_t keylen, const char *code, int64_t now_us,
    int64_t last_step, int64_t *step)
{
	char want[TOTP_DIGITS], got[TOTP_DIGITS];
	int64_t now, s, hit = -1;
	int r = TOTP_ERR_INVAL;

	*step = -1;
	if (key == NULL || keylen == 0 || code == NULL || now_us < 0 ||
	    code_parse(code, got) != 0)
		goto out;
	now = totp_step(now_us);
	/* Every candidate is computed and compared; no early exit on a match. */
	for (s = now - TOTP_WINDOW; s <= now + TOTP_WINDOW; s++) {
		uint32_t v;
		int i, match;

		if (s < 0)
			continue;
		v = totp_hotp(key, keylen, (uint64_t)s, TOTP_DIGITS);
		for (i = TOTP_DIGITS - 1; i >= 0; i--, v /= 10)
			want[i] = (char)('0' + v % 10);
		match = sodium_memcmp(want, got, TOTP_DIGITS) == 0;
		if (match && hit < 0)
			hit = s;
	}
	if (hit < 0) {
		r = TOTP_ERR_BAD;
		goto out;
	}
	if (hit <= last_step) {
		r = TOTP_ERR_REPLAY;
		goto out;
	}
	*step = hit;
	r = 0;
out:
	sodium_memzero(want, sizeof(want));
	sodium_memzero(got, sizeof(got));
	return r;
}

static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

int
totp_b32_encode(const uint8_t *in, size_t n, char *out, size_t outsz)
{
	size_t need = (n * 8 + 4) / 5, i, o = 0;
	uint32_t acc = 0;
	int bits = 0;

	if (out == NULL || outsz < need + 1)
		return TOTP_ERR_INVAL;
	for (i = 0; i < n; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 5) {
			out[o++] = b32[(acc >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits > 0)
		out[o++] = b32[(acc << (5 - bits)) & 31];
	out[o] = '\0';
	return 0;
}

int
totp_b32_decode(const char *in, uint8_t *out, size_t outmax, size_t *outlen)
{
	uint32_t acc = 0;
	size_t i, o = 0, chars = 0;
	int bits = 0, pad = 0;

	*outlen = 0;
	if (in == NULL)
		return TOTP_ERR_INVAL;
	for (i = 0; in[i] != '\0'; i++) {
		char c = in[i];
		int v;

		if (i > TOTP_B32_MAX * 2)
			return TOTP_ERR_INVAL;
		if (c == ' ')
			continue;
		if (c == '=') {
			pad = 1;
			continue;
		}
		if (pad)
			return TOTP_ERR_INVAL;     /* data after padding */
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		if (c >= 'A' && c <= 'Z')
			v = c - 'A';
		else if (c >= '2' && c <= '7')
			v = c - '2' + 26;
		else
			return TOTP_ERR_INVAL;
		if (++chars > TOTP_B32_MAX)
			return TOTP_ERR_INVAL;
		acc = (acc << 5) | (uint32_t)v;
		bits += 5;
		if (bits >= 8) {
			if (o >= outmax)
				return TOTP_ERR_INVAL;
			out[o++] = (uint8_t)(acc >> (bits - 8));
			bits -= 8;
		}
		acc &= (1u << bits) - 1;
	}
	/* Leftover bits must be padding zeros, and fewer than 5 (no lone character). */
	if (bits >= 5 || acc != 0 || o == 0)
		return TOTP_ERR_INVAL;
	*outlen = o;
	return 0;
}

/* Append s percent-encoded (RFC 3986 unreserved kept); 0 or -1 when it does not fit. */
static int
pct_append(char *out, size_t outsz, size_t *o, const char *s)
{
	static const char hx[] = "0123456789ABCDEF";

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		int keep = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';

		if (*o + (keep ? 1 : 3) >= outsz)
			return -1;
		if (keep) {
			out[(*o)++] = (char)c;
		} else {
			out[(*o)++] = '%';
			out[(*o)++] = hx[c >> 4];
			out[(*o)++] = hx[c & 15];
		}
	}
	out[*o] = '\0';
	return 0;
}

static int
raw_append(char *out, size_t outsz, size_t *o, const char *s)
{
	size_t n = strlen(s);

	if (*o + n >= outsz)
		return -1;
	memcpy(out + *o, s, n + 1);
	*o += n;
	return 0;
}

int
totp_uri(const char *issuer, const char *account, const uint8_t *secret, size_t n,
    char *out, size_t outsz)
{
	char sec[TOTP_B32_MAX + 1];
	size_t o = 0;
	int r = TOTP_ERR_INVAL;

	if (issuer == NULL || account == NULL || secret == NULL || out == NULL || outsz == 0 ||
	    strchr(issuer, ':') != NULL || totp_b32_encode(secret, n, sec, sizeof(sec)) != 0)
		goto out;
	out[0] = '\0';
	if (raw_append(out, outsz, &o, "otpauth://totp/") != 0 ||
	    pct_append(out, outsz, &o, issuer) != 0 || raw_append(out, outsz, &o, ":") != 0 ||
	    pct_append(out, outsz, &o, account) != 0 ||
	    raw_append(out, outsz, &o, "?secret=") != 0 || raw_append(out, outsz, &o, sec) != 0 ||
	    raw_append(out, outsz, &o, "&issuer=") != 0 || pct_append(out, outsz, &o, issuer) != 0 ||
	    raw_append(out, outsz, &o, "&algorithm=SHA1&digits=6&period=30") != 0)
		goto out;
	r = 0;
out:
	if (r != 0 && out != NULL && outsz > 0)
		sodium_memzero(out, outsz);
	sodium_memzero(sec, sizeof(sec));
	return r;
}
