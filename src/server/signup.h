/* signup.h - one-time signup codes made by the instance operator; only their BLAKE2b hashes are stored. */
#ifndef VIGIL_SERVER_SIGNUP_H
#define VIGIL_SERVER_SIGNUP_H

#include <stdint.h>
#include <sqlite3.h>

/*
 * An interim bootstrap until organization invitations (src/common/enroll) are wired: the
 * operator makes a code with the admin token and hands it to a person, who registers with
 * it once. The table holds hex BLAKE2b-256 of the code's 32 random bytes, so a database
 * copy yields no usable code.
 */
#define SIGNUP_CODE_LEN 32                /* random bytes */
#define SIGNUP_CODE_HEX (2 * SIGNUP_CODE_LEN)
#define SIGNUP_CODE_BUF (SIGNUP_CODE_HEX + 1)
#define SIGNUP_TTL_US (INT64_C(7) * 24 * 3600 * 1000000)

#define SIGNUP_ERR_IO (-1)
#define SIGNUP_ERR_INVALID (-2)           /* unknown, used, expired or malformed code */

struct signup;

/* Create the table in db (owned by the caller). 0 or SIGNUP_ERR_IO. */
int signup_open(sqlite3 *db, struct signup **out);
void signup_close(struct signup *s);

/* Make a code valid until now + SIGNUP_TTL_US: code gets 64 hex characters and a NUL,
 * shown once. 0 or SIGNUP_ERR_IO. */
int signup_create(struct signup *s, int64_t now_us, char code[SIGNUP_CODE_BUF],
    int64_t *expires_us);
/* Spend a code (untrusted text): 0 and its expiry when it was live (it is gone now),
 * SIGNUP_ERR_INVALID otherwise. Two racing callers cannot both spend one code. */
int signup_consume(struct signup *s, const char *code, int64_t now_us, int64_t *expires_us);
/* Put back a code spent by a registration that then failed. 0 or SIGNUP_ERR_IO. */
int signup_restore(struct signup *s, const char *code, int64_t expires_us);
/* Delete expired codes. Count or an error. */
int signup_expire(struct signup *s, int64_t now_us);

#endif
