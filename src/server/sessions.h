/* sessions.h - login sessions: random tokens stored hashed, idle/absolute expiry, revocation, step-up, cookies. */
#ifndef VIGIL_SESSIONS_H
#define VIGIL_SESSIONS_H

#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>

#define SESSIONS_TOKEN_LEN 43          /* 32 random bytes, base64url without padding */
#define SESSIONS_TOKEN_BUF 44
#define SESSIONS_SID_BUF 33            /* public session id: 16 random bytes as hex */
#define SESSIONS_USER_BUF 33           /* user id as in accounts: 32 hex characters */
#define SESSIONS_ADDR_BUF 64
#define SESSIONS_IDLE_US (INT64_C(30) * 60 * 1000000)
#define SESSIONS_ABSOLUTE_US (INT64_C(12) * 3600 * 1000000)
#define SESSIONS_STEP_UP_US (INT64_C(5) * 60 * 1000000)
#define SESSIONS_TOUCH_US (INT64_C(10) * 1000000)   /* last-seen is written at most this often */
/* Browsers refuse a __Host- cookie without Secure, so plain-HTTP loopback uses the bare name. */
#define SESSIONS_COOKIE_NAME "__Host-vigil_session"
#define SESSIONS_COOKIE_NAME_PLAIN "vigil_session"
#define SESSIONS_COOKIE_BUF 128

#define SESSIONS_ERR_IO (-1)
#define SESSIONS_ERR_INVALID (-2)      /* no such session, expired or revoked: answer 401 */
#define SESSIONS_ERR_INVAL (-3)        /* malformed argument */

struct sessions;

/* Timeouts; zero fields mean the defaults above. */
struct sessions_cfg {
	int64_t idle_us;
	int64_t absolute_us;
};

/* What a valid session says about its holder. */
struct sessions_info {
	char sid[SESSIONS_SID_BUF];
	char user_id[SESSIONS_USER_BUF];
	uint32_t roles;                /* the caller's role bits, see sessions_create */
	int64_t created_us;
	int64_t last_us;
	int64_t step_up_us;
	char addr[SESSIONS_ADDR_BUF];
};

/* Create the table in db (owned by the caller, which closes it after sessions_close).
 * cfg may be NULL. 0 or SESSIONS_ERR_IO; *out owned by the caller. */
int sessions_open(sqlite3 *db, const struct sessions_cfg *cfg, struct sessions **out);
void sessions_close(struct sessions *s);

/* Start a session for user_id after a successful login (which counts as a fresh step-up).
 * roles: bit mask of every role the user holds anywhere (organisation roles and the
 * instance-operator flag, bits chosen by the caller) so the kill switch can find it.
 * addr: client address for the session list (may be NULL). Writes the token (given to the
 * client once, stored only as its BLAKE2b-256 hash) and the public sid. 0 or an error. */
int sessions_create(struct sessions *s, const char *user_id, uint32_t roles, const char *addr,
    int64_t now_us, char token[SESSIONS_TOKEN_BUF], char sid[SESSIONS_SID_BUF]);
/* Look up a presented token: 0 and *info when valid (last-seen refreshed), otherwise
 * SESSIONS_ERR_INVALID (unknown, malformed, idle or absolute timeout — all the same). */
int sessions_check(struct sessions *s, const char *token, int64_t now_us,
    struct sessions_info *info);
/* Record a fresh password or TOTP proof for the session sid. 0 or SESSIONS_ERR_INVALID. */
int sessions_step_up(struct sessions *s, const char *sid, int64_t now_us);
/* 1 when info carries a step-up no older than SESSIONS_STEP_UP_US, else 0. */
int sessions_step_up_fresh(const struct sessions_info *info, int64_t now_us);

/* Logout: revoke the session holding token. 0 or SESSIONS_ERR_INVALID. */
int sessions_revoke_token(struct sessions *s, const char *token);
/* Revoke one of user_id's sessions by sid (from sessions_list). 0 or SESSIONS_ERR_INVALID. */
int sessions_revoke(struct sessions *s, const char *user_id, const char *sid);
/* "Sign out everywhere", password change, removal: revoke all of a user's sessions.
 * Returns the number revoked (>= 0) or an error. */
int sessions_revoke_user(struct sessions *s, const char *user_id);
/* Kill switch: revoke every session whose roles intersect mask. Count or an error. */
int sessions_revoke_role(struct sessions *s, uint32_t mask);
/* Replace the role bits of all of a user's sessions (after a role change). Count or error. */
int sessions_set_roles(struct sessions *s, const char *user_id, uint32_t roles);
/* Up to max live sessions of user_id, newest first, into out; *n set. 0 or an error. */
int sessions_list(struct sessions *s, const char *user_id, int64_t now_us,
    struct sessions_info *out, size_t max, size_t *n);
/* Delete expired rows. Count or an error. */
int sessions_expire(struct sessions *s, int64_t now_us);

/* Set-Cookie value for token: "__Host-vigil_session=T; Path=/; HttpOnly; SameSite=Strict;
 * Secure" when secure, else (plain-HTTP loopback only) "vigil_session=T; Path=/; HttpOnly;
 * SameSite=Strict". 0 or SESSIONS_ERR_INVAL. */
int sessions_cookie(const char *token, int secure, char *out, size_t outsz);
/* The Set-Cookie value that deletes the cookie (Max-Age=0). */
int sessions_cookie_clear(int secure, char *out, size_t outsz);
/* Find the session token in a Cookie request header (untrusted): the first cookie named
 * as for secure whose value is 43 base64url characters. 0 or SESSIONS_ERR_INVALID. */
int sessions_cookie_token(const char *header, int secure, char token[SESSIONS_TOKEN_BUF]);

#endif
