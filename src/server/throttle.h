/* throttle.h - login guessing limits: 100 failures per account per hour, backoff, per-address limits. */
#ifndef VIGIL_THROTTLE_H
#define VIGIL_THROTTLE_H

#include <stdint.h>
#include <sqlite3.h>
#include <sys/socket.h>

#define THROTTLE_ACCOUNT_MAX 100                        /* failures per account per window */
#define THROTTLE_ACCOUNT_WINDOW_US (INT64_C(3600) * 1000000)
#define THROTTLE_ACCOUNT_BUCKET_US (INT64_C(300) * 1000000)   /* 5-minute buckets */
#define THROTTLE_BACKOFF_AFTER 5                        /* consecutive failures before delays */
#define THROTTLE_BACKOFF_MAX_US (INT64_C(30) * 1000000)
#define THROTTLE_ADDR_MAX 20                            /* failures per address prefix per window */
#define THROTTLE_ADDR_WINDOW_US (INT64_C(600) * 1000000)
#define THROTTLE_ADDR_BUCKET_US (INT64_C(60) * 1000000)       /* 1-minute buckets */

#define THROTTLE_ERR_IO (-1)
#define THROTTLE_LOCKED (-2)      /* account reached its hourly cap: 429 until failures age out */
#define THROTTLE_BACKOFF (-3)     /* consecutive failures: 429 with Retry-After */
#define THROTTLE_ADDR (-4)        /* address prefix reached its cap: 429 with Retry-After */

struct throttle;

/* Limits; zero fields mean the defaults above. */
struct throttle_cfg {
	int account_max;
	int addr_max;
	int backoff_after;
	int64_t backoff_max_us;
};

/* Create the tables in db (owned by the caller). cfg may be NULL. 0 or THROTTLE_ERR_IO. */
int throttle_open(sqlite3 *db, const struct throttle_cfg *cfg, struct throttle **out);
void throttle_close(struct throttle *t);

/* May this login attempt proceed? username is used as typed (folded to lower case, at most
 * 256 bytes hashed), whether or not the account exists, so the answers never reveal
 * existence. addr may be NULL. 0 (go ahead), or THROTTLE_LOCKED / THROTTLE_BACKOFF /
 * THROTTLE_ADDR with *retry_after_s (>= 1) for the Retry-After header, or THROTTLE_ERR_IO. */
int throttle_check(struct throttle *t, const char *username, const struct sockaddr *addr,
    int64_t now_us, int64_t *retry_after_s);
/* Record a failed attempt (wrong password, unknown user, wrong TOTP). 0 or an error. */
int throttle_fail(struct throttle *t, const char *username, const struct sockaddr *addr,
    int64_t now_us);
/* Record a success: clears the account's consecutive-failure backoff (not the hourly
 * count, which an attacker's failures must keep). 0 or an error. */
int throttle_success(struct throttle *t, const char *username, int64_t now_us);
/* Delete buckets older than any window. Rows deleted or an error. */
int throttle_prune(struct throttle *t, int64_t now_us);

/* The key an address is limited by: "4:a.b.c.d" for IPv4 (and IPv4-mapped IPv6), "6:" and
 * the first 64 bits in hex for IPv6, "-" for NULL or other families. */
void throttle_addr_key(const struct sockaddr *addr, char out[48]);

#endif
