/* throttle.c - failure counts in time buckets in SQLite, keyed by hashed username and address prefix. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "common/util.h"
#include "server/throttle.h"

#define KIND_ACCOUNT 1
#define KIND_ADDR 2

struct throttle {
	sqlite3 *db;
	pthread_mutex_t mu;
	struct throttle_cfg cfg;
};

static const char *const schema[] = {
	/* Failures per (kind, key) in fixed time buckets; rows older than the window are dead. */
	"CREATE TABLE IF NOT EXISTS throttle_fail (kind INTEGER NOT NULL, key VARCHAR(64) NOT NULL, "
	    "bucket BIGINT NOT NULL, fails BIGINT NOT NULL, PRIMARY KEY (kind, key, bucket))",
	/* Consecutive failures of an account since its last success, for the backoff. */
	"CREATE TABLE IF NOT EXISTS throttle_streak (key VARCHAR(64) PRIMARY KEY, "
	    "streak BIGINT NOT NULL, last_us BIGINT NOT NULL)",
};

static int
prep(struct throttle *t, sqlite3_stmt **st, const char *sql)
{
	if (sqlite3_prepare_v2(t->db, sql, -1, st, NULL) != SQLITE_OK) {
		log_err("throttle", "op=prepare err=\"%s\"", sqlite3_errmsg(t->db));
		*st = NULL;
		return THROTTLE_ERR_IO;
	}
	return 0;
}

int
throttle_open(sqlite3 *db, const struct throttle_cfg *cfg, struct throttle **out)
{
	struct throttle *t;
	size_t i;

	*out = NULL;
	if (db == NULL || (t = calloc(1, sizeof(*t))) == NULL)
		return THROTTLE_ERR_IO;
	t->db = db;
	pthread_mutex_init(&t->mu, NULL);
	if (cfg != NULL)
		t->cfg = *cfg;
	if (t->cfg.account_max <= 0)
		t->cfg.account_max = THROTTLE_ACCOUNT_MAX;
	if (t->cfg.addr_max <= 0)
		t->cfg.addr_max = THROTTLE_ADDR_MAX;
	if (t->cfg.backoff_after <= 0)
		t->cfg.backoff_after = THROTTLE_BACKOFF_AFTER;
	if (t->cfg.backoff_max_us <= 0)
		t->cfg.backoff_max_us = THROTTLE_BACKOFF_MAX_US;
	for (i = 0; i < sizeof(schema) / sizeof(schema[0]); i++) {
		if (sqlite3_exec(db, schema[i], NULL, NULL, NULL) != SQLITE_OK) {
			log_err("throttle", "op=schema err=\"%s\"", sqlite3_errmsg(db));
			throttle_close(t);
			return THROTTLE_ERR_IO;
		}
	}
	*out = t;
	return 0;
}

void
throttle_close(struct throttle *t)
{
	if (t == NULL)
		return;
	pthread_mutex_destroy(&t->mu);
	free(t);
}

/* Hex BLAKE2b-128 of the folded username: the table never holds typed names. */
static void
account_key(const char *username, char out[33])
{
	crypto_generichash_state st;
	char low[256];
	uint8_t h[16];
	size_t i;

	if (username == NULL)
		username = "";
	for (i = 0; i < sizeof(low) && username[i] != '\0'; i++)
		low[i] = username[i] >= 'A' && username[i] <= 'Z' ?
		    (char)(username[i] - 'A' + 'a') : username[i];
	crypto_generichash_init(&st, NULL, 0, sizeof(h));
	crypto_generichash_update(&st, (const uint8_t *)"vigil-throttle-v1", 17);
	crypto_generichash_update(&st, (const uint8_t *)low, i);
	crypto_generichash_final(&st, h, sizeof(h));
	sodium_bin2hex(out, 33, h, sizeof(h));
}

void
throttle_addr_key(const struct sockaddr *addr, char out[48])
{
	if (addr != NULL && addr->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)(const void *)addr;
		char a[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &s4->sin_addr, a, sizeof(a));
		snprintf(out, 48, "4:%s", a);
	} else if (addr != NULL && addr->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)addr;
		const uint8_t *b = s6->sin6_addr.s6_addr;

		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			snprintf(out, 48, "4:%u.%u.%u.%u", b[12], b[13], b[14], b[15]);
		} else {
			memcpy(out, "6:", 2);
			sodium_bin2hex(out + 2, 46, b, 8);
		}
	} else {
		memcpy(out, "-", 2);
	}
}

/* Sum of failures of (kind, key) in buckets at or after from; sets *oldest to the oldest
 * such bucket (or -1). Caller holds the lock. */
static int
sum_fails(struct throttle *t, int kind, const char *key, int64_t from, int64_t *sum,
    int64_t *oldest)
{
	sqlite3_stmt *st = NULL;
	int r;

	*sum = 0;
	*oldest = -1;
	if ((r = prep(t, &st, "SELECT COALESCE(SUM(fails), 0), COALESCE(MIN(bucket), -1) "
	    "FROM throttle_fail WHERE kind = ? AND key = ? AND bucket >= ?")) != 0)
		return r;
	sqlite3_bind_int(st, 1, kind);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, from);
	if (sqlite3_step(st) == SQLITE_ROW) {
		*sum = sqlite3_column_int64(st, 0);
		*oldest = sqlite3_column_int64(st, 1);
	} else {
		r = THROTTLE_ERR_IO;
	}
	sqlite3_finalize(st);
	return r;
}

/*
 * A window of W split in buckets of B counts every bucket whose start is within W of now's
 * bucket, so a failure counts for at least W and at most W + B: the cap holds over any
 * rolling window of W (conservative), and failures age out by bucket.
 */
static int
window_check(struct throttle *t, int kind, const char *key, int64_t max, int64_t win,
    int64_t bkt, int64_t now_us, int64_t *retry_us)
{
	int64_t cur = now_us / bkt, first = cur - win / bkt, sum, oldest;
	int r;

	*retry_us = 0;
	if ((r = sum_fails(t, kind, key, first, &sum, &oldest)) != 0)
		return r;
	if (sum < max)
		return 0;
	/* Refused until the oldest counted bucket leaves the window (a safe upper bound). */
	*retry_us = (oldest + win / bkt + 1) * bkt - now_us;
	return 1;
}

static int64_t
secs_up(int64_t us)
{
	int64_t s = (us + 999999) / 1000000;

	return s < 1 ? 1 : s;
}

int
throttle_check(struct throttle *t, const char *username, const struct sockaddr *addr,
    int64_t now_us, int64_t *retry_after_s)
{
	sqlite3_stmt *st = NULL;
	char ak[33], nk[48];
	int64_t retry;
	int r, hit;

	*retry_after_s = 0;
	account_key(username, ak);
	throttle_addr_key(addr, nk);
	pthread_mutex_lock(&t->mu);
	if ((hit = window_check(t, KIND_ADDR, nk, t->cfg.addr_max, THROTTLE_ADDR_WINDOW_US,
	    THROTTLE_ADDR_BUCKET_US, now_us, &retry)) != 0) {
		r = hit < 0 ? hit : THROTTLE_ADDR;
		goto out;
	}
	if ((hit = window_check(t, KIND_ACCOUNT, ak, t->cfg.account_max,
	    THROTTLE_ACCOUNT_WINDOW_US, THROTTLE_ACCOUNT_BUCKET_US, now_us, &retry)) != 0) {
		r = hit < 0 ? hit : THROTTLE_LOCKED;
		goto out;
	}
	if ((r = prep(t, &st, "SELECT streak, last_us FROM throttle_streak WHERE key = ?")) != 0)
		goto out;
	sqlite3_bind_text(st, 1, ak, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) == SQLITE_ROW) {
		int64_t streak = sqlite3_column_int64(st, 0), last = sqlite3_column_int64(st, 1);

		if (streak >= t->cfg.backoff_after) {
			/* 1 s after the 5th consecutive failure, doubling, capped. */
			int64_t sh = streak - t->cfg.backoff_after, delay = 1000000;

			delay = sh >= 30 ? t->cfg.backoff_max_us : delay << sh;
			if (delay > t->cfg.backoff_max_us)
				delay = t->cfg.backoff_max_us;
			if (now_us < last + delay) {
				retry = last + delay - now_us;
				r = THROTTLE_BACKOFF;
			}
		}
	}
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&t->mu);
	if (r == THROTTLE_ADDR || r == THROTTLE_LOCKED || r == THROTTLE_BACKOFF)
		*retry_after_s = secs_up(retry);
	return r;
}

static int
bump(struct throttle *t, int kind, const char *key, int64_t bucket)
{
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = prep(t, &st, "INSERT INTO throttle_fail (kind, key, bucket, fails) "
	    "VALUES (?, ?, ?, 1) ON CONFLICT (kind, key, bucket) DO UPDATE SET fails = fails + 1")) != 0)
		return r;
	sqlite3_bind_int(st, 1, kind);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, bucket);
	r = sqlite3_step(st) == SQLITE_DONE ? 0 : THROTTLE_ERR_IO;
	sqlite3_finalize(st);
	return r;
}

int
throttle_fail(struct throttle *t, const char *username, const struct sockaddr *addr,
    int64_t now_us)
{
	sqlite3_stmt *st = NULL;
	char ak[33], nk[48];
	int r;

	account_key(username, ak);
	throttle_addr_key(addr, nk);
	pthread_mutex_lock(&t->mu);
	if ((r = bump(t, KIND_ACCOUNT, ak, now_us / THROTTLE_ACCOUNT_BUCKET_US)) != 0 ||
	    (r = bump(t, KIND_ADDR, nk, now_us / THROTTLE_ADDR_BUCKET_US)) != 0)
		goto out;
	if ((r = prep(t, &st, "INSERT INTO throttle_streak (key, streak, last_us) VALUES (?, 1, ?) "
	    "ON CONFLICT (key) DO UPDATE SET streak = streak + 1, last_us = excluded.last_us")) != 0)
		goto out;
	sqlite3_bind_text(st, 1, ak, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, now_us);
	r = sqlite3_step(st) == SQLITE_DONE ? 0 : THROTTLE_ERR_IO;
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&t->mu);
	return r;
}

int
throttle_success(struct throttle *t, const char *username, int64_t now_us)
{
	sqlite3_stmt *st = NULL;
	char ak[33];
	int r;

	account_key(username, ak);
	pthread_mutex_lock(&t->mu);
	if ((r = prep(t, &st, "DELETE FROM throttle_streak WHERE key = ?")) == 0) {
		sqlite3_bind_text(st, 1, ak, -1, SQLITE_TRANSIENT);
		r = sqlite3_step(st) == SQLITE_DONE ? 0 : THROTTLE_ERR_IO;
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&t->mu);
	return r;
}

int
throttle_prune(struct throttle *t, int64_t now_us)
{
	sqlite3_stmt *st = NULL;
	int r, n = 0, k;
	static const struct { int kind; int64_t win, bkt; } w[2] = {
		{ KIND_ACCOUNT, THROTTLE_ACCOUNT_WINDOW_US, THROTTLE_ACCOUNT_BUCKET_US },
		{ KIND_ADDR, THROTTLE_ADDR_WINDOW_US, THROTTLE_ADDR_BUCKET_US },
	};

	pthread_mutex_lock(&t->mu);
	for (k = 0; k < 2; k++) {
		if ((r = prep(t, &st, "DELETE FROM throttle_fail WHERE kind = ? AND bucket < ?")) != 0)
			goto out;
		sqlite3_bind_int(st, 1, w[k].kind);
		sqlite3_bind_int64(st, 2, now_us / w[k].bkt - w[k].win / w[k].bkt);
		if (sqlite3_step(st) != SQLITE_DONE) {
			r = THROTTLE_ERR_IO;
			goto out;
		}
		n += sqlite3_changes(t->db);
		sqlite3_finalize(st);
		st = NULL;
	}
	/* A streak whose last failure is older than the account window no longer matters. */
	if ((r = prep(t, &st, "DELETE FROM throttle_streak WHERE last_us < ?")) != 0)
		goto out;
	sqlite3_bind_int64(st, 1, now_us - THROTTLE_ACCOUNT_WINDOW_US);
	if (sqlite3_step(st) != SQLITE_DONE) {
		r = THROTTLE_ERR_IO;
		goto out;
	}
	n += sqlite3_changes(t->db);
	r = n;
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&t->mu);
	return r;
}
