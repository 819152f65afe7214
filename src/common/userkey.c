/* userkey.c - client-side user key derivation, bundle wrapping and recovery keys (libsodium only). */
#include <string.h>
#include <sodium.h>
#include "common/userkey.h"

#define PW_MAX 1024
#define AD_PREFIX "vigil-keys-v1"
#define RECOVERY_RAW (USERKEY_RECOVERY_LEN + 3)
#define RECOVERY_CHARS 56

static const char crockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

void
userkey_limits_default(struct userkey_limits *l)
{
	l->ops = crypto_pwhash_OPSLIMIT_INTERACTIVE;
	l->mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;
}

void
userkey_id_new(char id[USERKEY_ID_BUF])
{
	uint8_t r[16];

	randombytes_buf(r, sizeof(r));
	sodium_bin2hex(id, USERKEY_ID_BUF, r, sizeof(r));
}

void
userkey_salt_new(uint8_t salt[USERKEY_SALT_LEN])
{
	randombytes_buf(salt, USERKEY_SALT_LEN);
}

int
userkey_derive(const char *pw, size_t pwlen, const uint8_t salt[USERKEY_SALT_LEN],
    const struct userkey_limits *l, uint8_t auth[USERKEY_KEY_LEN], uint8_t wrap[USERKEY_KEY_LEN])
{
	struct userkey_limits def;
	uint8_t master[crypto_kdf_KEYBYTES];
	int r = USERKEY_ERR_INVAL;

	sodium_memzero(auth, USERKEY_KEY_LEN);
	sodium_memzero(wrap, USERKEY_KEY_LEN);
	if (pw == NULL || pwlen > PW_MAX)
		goto out;
	if (l == NULL) {
		userkey_limits_default(&def);
		l = &def;
	}
	r = USERKEY_ERR_CRYPTO;
	if (crypto_pwhash(master, sizeof(master), pw, pwlen, salt, l->ops, l->mem,
	    crypto_pwhash_ALG_ARGON2ID13) != 0)
		goto out;
	crypto_kdf_derive_from_key(auth, USERKEY_KEY_LEN, 1, "vglauth", master);
	crypto_kdf_derive_from_key(wrap, USERKEY_KEY_LEN, 2, "vglauth", master);
	r = 0;
out:
	sodium_memzero(master, sizeof(master));
	return r;
}

int
userkey_generate(struct userkey_bundle *b)
{
	if (crypto_box_keypair(b->box_pk, b->box_sk) != 0 ||
	    crypto_sign_keypair(b->sign_pk, b->sign_sk) != 0) {
		userkey_bundle_wipe(b);
		return USERKEY_ERR_CRYPTO;
	}
	return 0;
}

void
userkey_bundle_wipe(struct userkey_bundle *b)
{
	if (b != NULL)
		sodium_memzero(b, sizeof(*b));
}

/* AD = "vigil-keys-v1" || user id; 0 or -1 when the id is not a 32-character hex id. */
static int
make_ad(const char *user_id, uint8_t *ad, size_t *adlen)
{
	size_t n = strlen(AD_PREFIX), i;

	if (user_id == NULL || strlen(user_id) != USERKEY_ID_LEN)
		return -1;
	for (i = 0; i < USERKEY_ID_LEN; i++) {
		char c = user_id[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return -1;
	}
	memcpy(ad, AD_PREFIX, n);
	memcpy(ad + n, user_id, USERKEY_ID_LEN);
	*adlen = n + USERKEY_ID_LEN;
	return 0;
}

int
userkey_wrap(const uint8_t wrap[USERKEY_KEY_LEN], const char *user_id,
    const struct userkey_bundle *b, uint8_t out[USERKEY_WRAPPED_LEN])
{
	uint8_t plain[USERKEY_PLAIN_LEN], ad[64];
	size_t adlen;
	unsigned long long clen;
	int r = USERKEY_ERR_INVAL;

	if (make_ad(user_id, ad, &adlen) != 0)
		goto out;
	plain[0] = USERKEY_VERSION;
	memcpy(plain + 1, b->box_sk, 32);
	memcpy(plain + 33, b->sign_sk, 64);
	randombytes_buf(out, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
	crypto_aead_xchacha20poly1305_ietf_encrypt(out + 24, &clen, plain, sizeof(plain), ad, adlen,
	    NULL, out, wrap);
	r = 0;
out:
	sodium_memzero(plain, sizeof(plain));
	return r;
}

int
userkey_unwrap(const uint8_t wrap[USERKEY_KEY_LEN], const char *user_id,
    const uint8_t *in, size_t inlen, struct userkey_bundle *b)
{
	uint8_t plain[USERKEY_PLAIN_LEN], ad[64], seed[32], pk[32], sk[64];
	size_t adlen;
	unsigned long long plen;
	int r = USERKEY_ERR_INVAL;

	sodium_memzero(b, sizeof(*b));
	if (in == NULL || inlen != USERKEY_WRAPPED_LEN || make_ad(user_id, ad, &adlen) != 0)
		goto out;
	r = USERKEY_ERR_CRYPTO;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(plain, &plen, NULL, in + 24, inlen - 24,
	    ad, adlen, in, wrap) != 0 || plen != sizeof(plain))
		goto out;
	if (plain[0] != USERKEY_VERSION) {
		r = USERKEY_ERR_INVAL;
		goto out;
	}
	memcpy(b->box_sk, plain + 1, 32);
	memcpy(b->sign_sk, plain + 33, 64);
	if (crypto_scalarmult_base(b->box_pk, b->box_sk) != 0)
		goto out;
	/* The Ed25519 secret key carries its public half; recompute it from the seed and refuse
	 * a bundle whose halves disagree rather than trusting either. */
	crypto_sign_ed25519_sk_to_seed(seed, b->sign_sk);
	if (crypto_sign_seed_keypair(pk, sk, seed) != 0 ||
	    sodium_memcmp(sk, b->sign_sk, sizeof(sk)) != 0)
		goto out;
	memcpy(b->sign_pk, pk, 32);
	r = 0;
out:
	if (r != 0)
		sodium_memzero(b, sizeof(*b));
	sodium_memzero(plain, sizeof(plain));
	sodium_memzero(seed, sizeof(seed));
	sodium_memzero(sk, sizeof(sk));
	return r;
}

/* Checksum: the first 3 bytes of BLAKE2b-128("vigil-recovery-v1" || rk). */
static void
recovery_sum(const uint8_t rk[USERKEY_RECOVERY_LEN], uint8_t sum[3])
{
	crypto_generichash_state st;
	uint8_t h[16];

	crypto_generichash_init(&st, NULL, 0, sizeof(h));
	crypto_generichash_update(&st, (const uint8_t *)"vigil-recovery-v1", 17);
	crypto_generichash_update(&st, rk, USERKEY_RECOVERY_LEN);
	crypto_generichash_final(&st, h, sizeof(h));
	memcpy(sum, h, 3);
	sodium_memzero(&st, sizeof(st));
}

void
userkey_recovery_format(const uint8_t rk[USERKEY_RECOVERY_LEN], char str[USERKEY_RECOVERY_STR_BUF])
{
	uint8_t raw[RECOVERY_RAW];
	size_t i, o = 0;

	memcpy(raw, rk, USERKEY_RECOVERY_LEN);
	recovery_sum(rk, raw + USERKEY_RECOVERY_LEN);
	for (i = 0; i < RECOVERY_CHARS; i++) {
		size_t bit = i * 5, byte = bit / 8, sh = bit % 8;
		unsigned v = (unsigned)raw[byte] << 8;

		if (byte + 1 < RECOVERY_RAW)
			v |= raw[byte + 1];
		v = (v >> (11 - sh)) & 31;
		if (i > 0 && i % 4 == 0)
			str[o++] = '-';
		str[o++] = crockford[v];
	}
	str[o] = '\0';
	sodium_memzero(raw, sizeof(raw));
}

void
userkey_recovery_new(uint8_t rk[USERKEY_RECOVERY_LEN], char str[USERKEY_RECOVERY_STR_BUF])
{
	randombytes_buf(rk, USERKEY_RECOVERY_LEN);
	userkey_recovery_format(rk, str);
}

/* Crockford value of c, or -1 (separators are handled by the caller). */
static int
crockford_value(char c)
{
	const char *p;

	if (c >= 'a' && c <= 'z')
		c = (char)(c - 'a' + 'A');
	if (c == 'I' || c == 'L')
		c = '1';
	else if (c == 'O')
		c = '0';
	if (c == '\0')
		return -1;
	p = strchr(crockford, c);
	return p == NULL ? -1 : (int)(p - crockford);
}

int
userkey_recovery_parse(const char *s, uint8_t rk[USERKEY_RECOVERY_LEN])
{
	uint8_t raw[RECOVERY_RAW], sum[3];
	size_t n = 0, i;
	int r = USERKEY_ERR_INVAL;

	memset(raw, 0, sizeof(raw));
	sodium_memzero(rk, USERKEY_RECOVERY_LEN);
	if (s == NULL)
		goto out;
	for (i = 0; s[i] != '\0' && i < 256; i++) {
		int v;

		if (s[i] == '-' || s[i] == ' ')
			continue;
		if ((v = crockford_value(s[i])) < 0 || n >= RECOVERY_CHARS)
			goto out;
		{
			size_t bit = n * 5, byte = bit / 8, sh = bit % 8;
			unsigned w = (unsigned)v << (11 - sh);

			raw[byte] |= (uint8_t)(w >> 8);
			if (byte + 1 < RECOVERY_RAW)
				raw[byte + 1] |= (uint8_t)w;
		}
		n++;
	}
	if (s[i] != '\0' || n != RECOVERY_CHARS)
		goto out;
	recovery_sum(raw, sum);
	if (sodium_memcmp(sum, raw + USERKEY_RECOVERY_LEN, 3) != 0) {
		r = USERKEY_ERR_CHECKSUM;
		goto out;
	}
	memcpy(rk, raw, USERKEY_RECOVERY_LEN);
	r = 0;
out:
	sodium_memzero(raw, sizeof(raw));
	return r;
}

void
userkey_recovery_keys(const uint8_t rk[USERKEY_RECOVERY_LEN], uint8_t auth[USERKEY_KEY_LEN],
    uint8_t wrap[USERKEY_KEY_LEN])
{
	crypto_kdf_derive_from_key(auth, USERKEY_KEY_LEN, 1, "vglrecov", rk);
	crypto_kdf_derive_from_key(wrap, USERKEY_KEY_LEN, 2, "vglrecov", rk);
}
