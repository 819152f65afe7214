/* accounts.h - user accounts on the server: zero-knowledge login, wrapped keys, password change, TOTP. */
#ifndef VIGIL_ACCOUNTS_H
#define VIGIL_ACCOUNTS_H

#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>
#include "server/sessions.h"

#define ACCOUNTS_ID_LEN 32             /* user id: 32 lowercase hex characters */
#define ACCOUNTS_ID_BUF 33
#define ACCOUNTS_NAME_MIN 3
#define ACCOUNTS_NAME_MAX 64
#define ACCOUNTS_NAME_BUF 65
#define ACCOUNTS_SALT_LEN 16
#define ACCOUNTS_KEY_LEN 32
#define ACCOUNTS_WRAPPED_MAX 512       /* a wrapped key bundle, opaque to the server */
#define ACCOUNTS_SECRET_LEN 32         /* server secret for fake salts and TOTP encryption */
#define ACCOUNTS_TOTP_SECRET_LEN 20

#define ACCOUNTS_FLAG_OPERATOR 1u      /* instance operator: member of no organisation */

#define ACCOUNTS_ERR_IO (-1)
#define ACCOUNTS_ERR_DENIED (-2)       /* wrong credentials, unknown user, disabled: one answer */
#define ACCOUNTS_ERR_EXISTS (-3)       /* username or id already taken */
#define ACCOUNTS_ERR_INVAL (-4)        /* malformed argument */
#define ACCOUNTS_ERR_NOTFOUND (-5)     /* no such user id (authenticated callers only) */

struct accounts;

/* Cost of crypto_pwhash_str over the (already Argon2id-derived) auth keys. */
struct accounts_limits {
	unsigned long long ops;
	size_t mem;
};

/* A registration, built by the user's client (all keys made there). */
struct accounts_reg {
	const char *id;                 /* userkey_id_new(): the id the bundle's AD is bound to */
	const char *username;
	const uint8_t *salt;            /* ACCOUNTS_SALT_LEN */
	const uint8_t *auth_key;        /* ACCOUNTS_KEY_LEN */
	const uint8_t *recovery_auth;   /* ACCOUNTS_KEY_LEN, or NULL for no recovery key */
	const uint8_t *box_pk;          /* 32 */
	const uint8_t *sign_pk;         /* 32 */
	const uint8_t *wrapped;         /* bundle under the wrap key */
	size_t wrapped_len;
	const uint8_t *recovery_wrapped; /* bundle under the recovery wrap key, or NULL */
	size_t recovery_wrapped_len;
	uint32_t flags;                 /* ACCOUNTS_FLAG_* */
};

/* What the server knows about a user (no secrets but opaque wrapped bundles). */
struct accounts_user {
	char id[ACCOUNTS_ID_BUF];
	char username[ACCOUNTS_NAME_BUF];
	uint8_t salt[ACCOUNTS_SALT_LEN];
	uint8_t box_pk[32];
	uint8_t sign_pk[32];
	uint8_t wrapped[ACCOUNTS_WRAPPED_MAX];
	size_t wrapped_len;
	uint8_t recovery_wrapped[ACCOUNTS_WRAPPED_MAX];
	size_t recovery_wrapped_len;
	uint32_t flags;
	int totp_enabled;
	int disabled;
	int64_t created_us;
};

/* INTERACTIVE limits (64 MiB, 2 passes). */
void accounts_limits_default(struct accounts_limits *l);

/* Create the users table in db (owned by the caller; close it after accounts_close).
 * secret: the server's 32-byte secret (fake salts, TOTP secret encryption). lim NULL means
 * the defaults. sess (may be NULL) is revoked from on password change and disabling.
 * 0 or ACCOUNTS_ERR_IO; *out owned by the caller. */
int accounts_open(sqlite3 *db, const uint8_t secret[ACCOUNTS_SECRET_LEN],
    const struct accounts_limits *lim, struct sessions *sess, struct accounts **out);
void accounts_close(struct accounts *a);

/* Canonical form of a username: 3..64 of [A-Za-z0-9._@+-], ASCII letters folded to lower
 * case. 0 or ACCOUNTS_ERR_INVAL. */
int accounts_username_norm(const char *in, char out[ACCOUNTS_NAME_BUF]);

/* The salt to run Argon2id with for username: the stored one, or for an unknown (or
 * malformed) name a fake one = BLAKE2b-128 keyed by a subkey of the server secret over the
 * name, the same on every call. Always 0 unless the database fails (ACCOUNTS_ERR_IO). */
int accounts_prelogin(struct accounts *a, const char *username, uint8_t salt[ACCOUNTS_SALT_LEN]);

/* Register a user. 0, ACCOUNTS_ERR_EXISTS, ACCOUNTS_ERR_INVAL or ACCOUNTS_ERR_IO. */
int accounts_register(struct accounts *a, const struct accounts_reg *r);

/* Log in with the client's auth key: 0 and the user id, or ACCOUNTS_ERR_DENIED for an
 * unknown user, a wrong key or a disabled account alike, after the same Argon2id work (an
 * unknown user is verified against a dummy hash). Throttling is the caller's (throttle.h). */
int accounts_login(struct accounts *a, const char *username, const uint8_t auth_key[ACCOUNTS_KEY_LEN],
    char id[ACCOUNTS_ID_BUF]);
/* The same with the recovery key's auth key. */
int accounts_login_recovery(struct accounts *a, const char *username,
    const uint8_t recovery_auth[ACCOUNTS_KEY_LEN], char id[ACCOUNTS_ID_BUF]);
/* Step-up check of a logged-in user's password: 0 or ACCOUNTS_ERR_DENIED. */
int accounts_verify_password(struct accounts *a, const char *id,
    const uint8_t auth_key[ACCOUNTS_KEY_LEN]);

/* Load a user by id. 0, ACCOUNTS_ERR_NOTFOUND or an error. */
int accounts_get(struct accounts *a, const char *id, struct accounts_user *u);
/* The id of username (for administrators' flows, not for login). 0 or ACCOUNTS_ERR_NOTFOUND. */
int accounts_find(struct accounts *a, const char *username, char id[ACCOUNTS_ID_BUF]);

/* Change the password: old_auth must verify; then the new salt, auth hash and re-wrapped
 * bundle replace the old ones and every session of the user is revoked. 0,
 * ACCOUNTS_ERR_DENIED, ACCOUNTS_ERR_INVAL or an error. */
int accounts_change_password(struct accounts *a, const char *id,
    const uint8_t old_auth[ACCOUNTS_KEY_LEN], const uint8_t new_salt[ACCOUNTS_SALT_LEN],
    const uint8_t new_auth[ACCOUNTS_KEY_LEN], const uint8_t *wrapped, size_t wrapped_len);
/* The same without the old key, for a caller that authenticated the user another way
 * (accounts_login_recovery). Revokes every session of the user. */
int accounts_set_password(struct accounts *a, const char *id,
    const uint8_t new_salt[ACCOUNTS_SALT_LEN], const uint8_t new_auth[ACCOUNTS_KEY_LEN],
    const uint8_t *wrapped, size_t wrapped_len);
/* Disable (removal) or re-enable a user; disabling revokes every session. 0 or an error. */
int accounts_set_disabled(struct accounts *a, const char *id, int disabled);

/* TOTP enrollment, step 1: make a new pending secret (stored encrypted) and return it so
 * the caller can show totp_uri(). The active secret, if any, stays until confirmation. */
int accounts_totp_begin(struct accounts *a, const char *id,
    uint8_t secret[ACCOUNTS_TOTP_SECRET_LEN]);
/* Step 2: a code from the pending secret activates it. 0 or ACCOUNTS_ERR_DENIED. */
int accounts_totp_confirm(struct accounts *a, const char *id, const char *code, int64_t now_us);
/* Verify a code against the active secret; each time step is accepted once (the step is
 * stored atomically before returning 0). 0 or ACCOUNTS_ERR_DENIED (no TOTP, wrong code,
 * replayed code). */
int accounts_totp_verify(struct accounts *a, const char *id, const char *code, int64_t now_us);
/* Remove TOTP (caller requires step-up). 0 or an error. */
int accounts_totp_disable(struct accounts *a, const char *id);

#endif
