/* userkey.h - the client's user keys: password to auth and wrap keys, key bundle wrapping, recovery key. */
#ifndef VIGIL_USERKEY_H
#define VIGIL_USERKEY_H

#include <stddef.h>
#include <stdint.h>

/*
 * Fixed, documented parameters (docs/design/accounts.md); the browser mirrors them with
 * libsodium.js, so none of them may change without a new version byte.
 *   master  = crypto_pwhash(32, password bytes as given (no normalisation), salt[16],
 *                           ops, mem, ALG_ARGON2ID13)   ops/mem: INTERACTIVE by default
 *   auth    = crypto_kdf_derive_from_key(32, 1, "vglauth\0", master)
 *   wrap    = crypto_kdf_derive_from_key(32, 2, "vglauth\0", master)
 *   recovery: 32 random bytes R; rauth = kdf(32, 1, "vglrecov", R), rwrap = kdf(32, 2, "vglrecov", R)
 *   wrapped bundle = nonce[24] || crypto_aead_xchacha20poly1305_ietf_encrypt(
 *                    version(1) || box_sk[32] || sign_sk[64], AD = "vigil-keys-v1" || user id)
 */
#define USERKEY_SALT_LEN 16
#define USERKEY_KEY_LEN 32
#define USERKEY_ID_LEN 32          /* user id: 16 random bytes as lowercase hex */
#define USERKEY_ID_BUF 33
#define USERKEY_VERSION 1
#define USERKEY_PLAIN_LEN (1 + 32 + 64)
#define USERKEY_WRAPPED_LEN (24 + USERKEY_PLAIN_LEN + 16)
#define USERKEY_RECOVERY_LEN 32
/* 32 key bytes + 3 checksum bytes = 280 bits = 56 Crockford base32 characters, in 14 groups
 * of 4 separated by '-': 69 characters and a NUL. */
#define USERKEY_RECOVERY_STR_LEN 69
#define USERKEY_RECOVERY_STR_BUF 70

#define USERKEY_ERR_INVAL (-2)     /* bad argument or malformed input */
#define USERKEY_ERR_CRYPTO (-3)    /* out of memory in Argon2id, or authentication failed */
#define USERKEY_ERR_CHECKSUM (-4)  /* recovery string mistyped */

/* Argon2id cost; tests may pass crypto_pwhash_OPSLIMIT_MIN / MEMLIMIT_MIN. */
struct userkey_limits {
	unsigned long long ops;
	size_t mem;
};

/* A user's two keypairs. Wipe with userkey_bundle_wipe. */
struct userkey_bundle {
	uint8_t box_pk[32];
	uint8_t box_sk[32];
	uint8_t sign_pk[32];
	uint8_t sign_sk[64];
};

/* OPSLIMIT_INTERACTIVE / MEMLIMIT_INTERACTIVE. */
void userkey_limits_default(struct userkey_limits *l);

/* A fresh user id (16 random bytes as 32 lowercase hex characters and a NUL). */
void userkey_id_new(char id[USERKEY_ID_BUF]);
/* A fresh random salt. */
void userkey_salt_new(uint8_t salt[USERKEY_SALT_LEN]);

/* Derive auth and wrap keys from a password (pwlen bytes of UTF-8, at most 1024) and salt.
 * l NULL means the defaults. 0, USERKEY_ERR_INVAL or USERKEY_ERR_CRYPTO; on error both
 * outputs are zeroed. The master key is wiped before return. */
int userkey_derive(const char *pw, size_t pwlen, const uint8_t salt[USERKEY_SALT_LEN],
    const struct userkey_limits *l, uint8_t auth[USERKEY_KEY_LEN], uint8_t wrap[USERKEY_KEY_LEN])
    __attribute__((warn_unused_result));

/* Generate both keypairs. 0 or USERKEY_ERR_CRYPTO. */
int userkey_generate(struct userkey_bundle *b) __attribute__((warn_unused_result));
void userkey_bundle_wipe(struct userkey_bundle *b);

/* Encrypt the bundle's private keys under wrap, bound to user_id (a NUL-terminated id).
 * Writes exactly USERKEY_WRAPPED_LEN bytes. 0 or USERKEY_ERR_INVAL. */
int userkey_wrap(const uint8_t wrap[USERKEY_KEY_LEN], const char *user_id,
    const struct userkey_bundle *b, uint8_t out[USERKEY_WRAPPED_LEN]);
/* Decrypt and check a wrapped bundle (untrusted bytes from the server); the public keys are
 * recomputed from the private ones. 0, USERKEY_ERR_INVAL (wrong length or version) or
 * USERKEY_ERR_CRYPTO (wrong key, other user, tampered); *b is wiped on error. */
int userkey_unwrap(const uint8_t wrap[USERKEY_KEY_LEN], const char *user_id,
    const uint8_t *in, size_t inlen, struct userkey_bundle *b)
    __attribute__((warn_unused_result));

/* A fresh recovery key and its display string (shown once, never stored by Vigil). */
void userkey_recovery_new(uint8_t rk[USERKEY_RECOVERY_LEN], char str[USERKEY_RECOVERY_STR_BUF]);
/* Format rk as the display string. */
void userkey_recovery_format(const uint8_t rk[USERKEY_RECOVERY_LEN], char str[USERKEY_RECOVERY_STR_BUF]);
/* Parse a typed recovery string: case-insensitive, '-' and spaces ignored, I/L read as 1
 * and O as 0. 0, USERKEY_ERR_INVAL or USERKEY_ERR_CHECKSUM; rk zeroed on error. */
int userkey_recovery_parse(const char *s, uint8_t rk[USERKEY_RECOVERY_LEN])
    __attribute__((warn_unused_result));
/* The recovery key's auth key (the server stores crypto_pwhash_str of it) and wrap key. */
void userkey_recovery_keys(const uint8_t rk[USERKEY_RECOVERY_LEN], uint8_t auth[USERKEY_KEY_LEN],
    uint8_t wrap[USERKEY_KEY_LEN]);

#endif
