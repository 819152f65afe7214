/* authbody.h - typed, validated fields of the account routes' JSON bodies (untrusted input). */
#ifndef VIGIL_SERVER_AUTHBODY_H
#define VIGIL_SERVER_AUTHBODY_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "server/accounts.h"
#include "server/signup.h"
#include "server/userkdf.h"

/* The longest username accepted as typed at login (the throttle hashes at most 256). */
#define AUTHBODY_TYPED_NAME_MAX 256
#define AUTHBODY_TOTP_MAX 16

/* POST /api/v1/auth/login */
struct authbody_login {
	char username[AUTHBODY_TYPED_NAME_MAX + 1];   /* as typed; may name no account */
	uint8_t auth_key[ACCOUNTS_KEY_LEN];
	char totp[AUTHBODY_TOTP_MAX + 1];             /* "" when absent */
};

/* POST /api/v1/auth/register */
struct authbody_register {
	char code[SIGNUP_CODE_BUF];
	char id[ACCOUNTS_ID_BUF];
	char username[ACCOUNTS_NAME_BUF];
	uint8_t salt[ACCOUNTS_SALT_LEN];
	uint8_t auth_key[ACCOUNTS_KEY_LEN];
	uint8_t recovery_auth[ACCOUNTS_KEY_LEN];
	int has_recovery;
	uint8_t box_pk[32];
	uint8_t sign_pk[32];
	uint8_t wrapped[ACCOUNTS_WRAPPED_MAX];
	size_t wrapped_len;
	uint8_t recovery_wrapped[ACCOUNTS_WRAPPED_MAX];
	size_t recovery_wrapped_len;
	struct userkdf_params kdf;
};

/* POST /api/v1/auth/password */
struct authbody_password {
	uint8_t old_auth_key[ACCOUNTS_KEY_LEN];
	uint8_t salt[ACCOUNTS_SALT_LEN];
	uint8_t auth_key[ACCOUNTS_KEY_LEN];
	uint8_t wrapped[ACCOUNTS_WRAPPED_MAX];
	size_t wrapped_len;
	struct userkdf_params kdf;
};

/* POST /api/v1/auth/recover/keys ({username, recovery_auth}) and POST /api/v1/auth/recover
 * (the same, [totp], and the new password's salt, auth_key, wrapped, kdf_ops, kdf_mem). */
struct authbody_recover {
	char username[AUTHBODY_TYPED_NAME_MAX + 1];   /* as typed; may name no account */
	uint8_t recovery_auth[ACCOUNTS_KEY_LEN];
	char totp[AUTHBODY_TOTP_MAX + 1];             /* "" when absent */
	uint8_t salt[ACCOUNTS_SALT_LEN];
	uint8_t auth_key[ACCOUNTS_KEY_LEN];
	uint8_t wrapped[ACCOUNTS_WRAPPED_MAX];
	size_t wrapped_len;
	struct userkdf_params kdf;
};

/* Each fills *out from a parsed body object: 0, or -1 when a field is missing, of the
 * wrong type, too long or malformed. Secrets in *out are the caller's to wipe. */
int authbody_login(const json_t *j, struct authbody_login *out);
int authbody_register(const json_t *j, struct authbody_register *out);
int authbody_password(const json_t *j, struct authbody_password *out);
/* with_new: the new password's fields are required (POST /recover), else ignored. */
int authbody_recover(const json_t *j, int with_new, struct authbody_recover *out);
/* A string field of 1..max bytes without NUL into out (max + 1 bytes). 0 or -1. */
int authbody_str(const json_t *j, const char *key, char *out, size_t max);
/* A hex field of an even length decoding to 1..max bytes. 0 and *n, or -1. */
int authbody_hexv(const json_t *j, const char *key, uint8_t *out, size_t max, size_t *n);

#endif
