/* webhook.c - the webhook outbox on SQLite and its delivery thread (libcurl), with HMAC-SHA256 signatures and exponential backoff. */
#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <curl/curl.h>
#include <sodium.h>
#include <sqlite3.h>
#include "common/util.h"
#include "server/webhook.h"

#define DELIVERY_TIMEOUT_S 10L
#define IDLE_WAIT_MS 1000

struct webhook {
	sqlite3 *db;
	pthread_mutex_t mu;        /* the connection and the fields below */
	pthread_cond_t cv;         /* new work or stopping */
	pthread_t th;
	int running, stopping;
	int allow_private;
	int64_t backoff_min_ms, backoff_max_ms;
	uint64_t delivered, dropped;
};

static const char *const schema[] = {
	"PRAGMA journal_mode=WAL",
	"PRAGMA synchronous=FULL",
	"CREATE TABLE IF NOT EXISTS webhooks (org VARCHAR(64) PRIMARY KEY, url TEXT NOT NULL, "
	    "secret BLOB NOT NULL, created_us BIGINT NOT NULL)",
	"CREATE TABLE IF NOT EXISTS outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, "
	    "org VARCHAR(64) NOT NULL, "
	    "body TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_us BIGINT NOT NULL)",
	"CREATE INDEX IF NOT EXISTS outbox_due ON outbox (next_us)",
};

/* Run one statement with up to two text binds and an integer third; the caller holds mu.
 * 0 or -1. */
static int
exec1(struct webhook *w, const char *sql, const char *t1, const char *t2, int64_t i3)
{
	sqlite3_stmt *st = NULL;
	int r = -1;

	if (sqlite3_prepare_v2(w->db, sql, -1, &st, NULL) != SQLITE_OK)
		goto out;
	if (t1 != NULL)
		sqlite3_bind_text(st, 1, t1, -1, SQLITE_TRANSIENT);
	if (t2 != NULL)
		sqlite3_bind_text(st, 2, t2, -1, SQLITE_TRANSIENT);
	if (sqlite3_bind_parameter_count(st) >= 3)
		sqlite3_bind_int64(st, 3, i3);
	r = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
out:
	if (r != 0)
		log_err("webhook", "op=sql err=\"%s\"", sqlite3_errmsg(w->db));
	sqlite3_finalize(st);
	return r;
}

/* Run one statement with one or two integer binds; the caller holds mu. 0 or -1. */
static int
exec_ids(struct webhook *w, const char *sql, int64_t a, int64_t b)
{
	sqlite3_stmt *st = NULL;
	int r = -1;

	if (sqlite3_prepare_v2(w->db, sql, -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, a);
		if (sqlite3_bind_parameter_count(st) >= 2)
			sqlite3_bind_int64(st, 2, b);
		r = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
	}
	if (r != 0)
		log_err("webhook", "op=sql err=\"%s\"", sqlite3_errmsg(w->db));
	sqlite3_finalize(st);
	return r;
}

int
webhook_open(struct webhook **out, const struct webhook_cfg *cfg)
{
	struct webhook *w;
	size_t i;

	*out = NULL;
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return WEBHOOK_E_IO;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	w->allow_private = cfg->allow_private;
	w->backoff_min_ms = cfg->backoff_min_ms > 0 ? cfg->backoff_min_ms : 1000;
	w->backoff_max_ms = cfg->backoff_max_ms > 0 ? cfg->backoff_max_ms : 300000;
	if (sqlite3_open_v2(cfg->db_path, &w->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	    SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_busy_timeout(w->db, 5000);
	for (i = 0; i < sizeof(schema) / sizeof(schema[0]); i++)
		if (sqlite3_exec(w->db, schema[i], NULL, NULL, NULL) != SQLITE_OK)
			goto fail;
	*out = w;
	return 0;
fail:
	log_err("webhook", "op=open err=\"%s\"", w->db != NULL ? sqlite3_errmsg(w->db) : "nomem");
	webhook_close(w);
	return WEBHOOK_E_IO;
}

/* An http:// or https:// URL without spaces or control characters. */
static int
url_ok(const char *url)
{
	size_t n, i;

	if (url == NULL || (n = strnlen(url, WEBHOOK_URL_MAX + 1)) > WEBHOOK_URL_MAX)
		return 0;
	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)url[i] <= ' ' || url[i] == 0x7f)
			return 0;
	return n > 8;
}

/* Lowercase hex of at most max characters, and not empty. */
static int
hex_ok(const char *s, size_t max)
{
	size_t i, n = strnlen(s, max + 1);

	if (n == 0 || n > max)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

int
webhook_set(struct webhook *w, const char *org, const char *url,
    uint8_t secret[WEBHOOK_SECRET_LEN])
{
	sqlite3_stmt *st = NULL;
	int r = WEBHOOK_E_IO;

	if (!url_ok(url) || !hex_ok(org, WEBHOOK_ORG_MAX))
		return WEBHOOK_E_URL;
	randombytes_buf(secret, WEBHOOK_SECRET_LEN);
	pthread_mutex_lock(&w->mu);
	if (sqlite3_prepare_v2(w->db, "INSERT INTO webhooks (org, url, secret, created_us) "
	    "VALUES (?, ?, ?, ?) ON CONFLICT (org) DO UPDATE SET url = excluded.url, "
	    "secret = excluded.secret, created_us = excluded.created_us", -1, &st, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_text(st, 1, org, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, url, -1, SQLITE_TRANSIENT);
	sqlite3_bind_blob(st, 3, secret, WEBHOOK_SECRET_LEN, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 4, now_us());
	if (sqlite3_step(st) == SQLITE_DONE)
		r = 0;
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&w->mu);
	return r;
}

/* org's URL and secret; the caller holds mu. 0, WEBHOOK_E_NONE or WEBHOOK_E_IO. */
static int
lookup_locked(struct webhook *w, const char *org, char *url, uint8_t *secret)
{
	sqlite3_stmt *st = NULL;
	int r = WEBHOOK_E_IO, rc;

	if (sqlite3_prepare_v2(w->db, "SELECT url, secret FROM webhooks WHERE org = ?", -1, &st,
	    NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_text(st, 1, org, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		r = WEBHOOK_E_NONE;
	} else if (rc == SQLITE_ROW && sqlite3_column_bytes(st, 0) <= WEBHOOK_URL_MAX &&
	    sqlite3_column_bytes(st, 1) == WEBHOOK_SECRET_LEN) {
		memcpy(url, sqlite3_column_text(st, 0), (size_t)sqlite3_column_bytes(st, 0));
		url[sqlite3_column_bytes(st, 0)] = '\0';
		if (secret != NULL)
			memcpy(secret, sqlite3_column_blob(st, 1), WEBHOOK_SECRET_LEN);
		r = 0;
	}
out:
	sqlite3_finalize(st);
	return r;
}

int
webhook_get(struct webhook *w, const char *org, char *url)
{
	int r;

	pthread_mutex_lock(&w->mu);
	r = lookup_locked(w, org, url, NULL);
	pthread_mutex_unlock(&w->mu);
	return r;
}

int
webhook_delete(struct webhook *w, const char *org)
{
	int r;

	pthread_mutex_lock(&w->mu);
	r = exec1(w, "DELETE FROM webhooks WHERE org = ?", org, NULL, 0) == 0 &&
	    exec1(w, "DELETE FROM outbox WHERE org = ?", org, NULL, 0) == 0 ? 0 : WEBHOOK_E_IO;
	pthread_mutex_unlock(&w->mu);
	return r;
}

int
webhook_notify_event(struct webhook *w, const char *org, const char *camera_hex,
    const char *event_hex, int64_t start_us, int64_t end_us)
{
	char body[WEBHOOK_BODY_MAX], url[WEBHOOK_URL_MAX + 1], endv[24];
	int n, r;

	/* Only hex ids reach the body, so it needs no escaping and carries nothing else. */
	if (w == NULL || !hex_ok(org, WEBHOOK_ORG_MAX) || !hex_ok(camera_hex, 64) ||
	    !hex_ok(event_hex, 64))
		return WEBHOOK_E_IO;
	if (end_us > 0)
		snprintf(endv, sizeof(endv), "%" PRId64, end_us);
	else
		snprintf(endv, sizeof(endv), "null");
	n = snprintf(body, sizeof(body), "{\"type\":\"motion\",\"org\":\"%s\",\"camera\":\"%s\","
	    "\"event\":\"%s\",\"start_us\":%" PRId64 ",\"end_us\":%s}", org, camera_hex, event_hex,
	    start_us, endv);
	if (n < 0 || (size_t)n >= sizeof(body))
		return WEBHOOK_E_IO;
	pthread_mutex_lock(&w->mu);
	r = lookup_locked(w, org, url, NULL);
	if (r == 0)
		r = exec1(w, "INSERT INTO outbox (org, body, next_us) VALUES (?, ?, ?)", org, body,
		    now_us()) == 0 ? 0 : WEBHOOK_E_IO;
	else if (r == WEBHOOK_E_NONE)
		r = 0;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	return r;
}

void
webhook_sign(const uint8_t secret[WEBHOOK_SECRET_LEN], int64_t ts, const char *body, size_t len,
    char out[68])
{
	crypto_auth_hmacsha256_state st;
	uint8_t mac[crypto_auth_hmacsha256_BYTES];
	char t[24];
	int n = snprintf(t, sizeof(t), "%" PRId64 ".", ts);

	crypto_auth_hmacsha256_init(&st, secret, WEBHOOK_SECRET_LEN);
	crypto_auth_hmacsha256_update(&st, (const uint8_t *)t, (size_t)n);
	crypto_auth_hmacsha256_update(&st, (const uint8_t *)body, len);
	crypto_auth_hmacsha256_final(&st, mac);
	memcpy(out, "v1=", 3);
	hex_encode(mac, sizeof(mac), out + 3);
	sodium_memzero(&st, sizeof(st));
}

/* 1 when a v4 or v6 address is loopback, private, link-local or otherwise internal. */
static int
addr_internal(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		uint32_t a = ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr);

		return (a >> 24) == 127 || (a >> 24) == 10 || (a >> 24) == 0 ||
		    (a >> 20) == 0xac1 || (a >> 16) == 0xc0a8 || (a >> 16) == 0xa9fe ||
		    (a >> 22) == (0x64400000u >> 22) || a == 0xffffffffu;
	}
	if (sa->sa_family == AF_INET6) {
		const uint8_t *b = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
		static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
		struct sockaddr_in v4;

		if (memcmp(b, mapped, sizeof(mapped)) == 0) {
			memset(&v4, 0, sizeof(v4));
			v4.sin_family = AF_INET;
			memcpy(&v4.sin_addr, b + 12, 4);
			return addr_internal((const struct sockaddr *)&v4);
		}
		return IN6_IS_ADDR_LOOPBACK((const struct in6_addr *)b) ||
		    IN6_IS_ADDR_UNSPECIFIED((const struct in6_addr *)b) ||
		    (b[0] & 0xfe) == 0xfc || (b[0] == 0xfe && (b[1] & 0xc0) == 0x80);
	}
	return 1;
}

/* Refuse to connect to internal addresses, after DNS, whatever the URL said. */
static curl_socket_t
open_socket(void *ctx, curlsocktype purpose, struct curl_sockaddr *a)
{
	struct webhook *w = ctx;

	if (!w->allow_private && addr_internal(&a->addr)) {
		log_warn("webhook", "op=deliver err=\"receiver resolves to an internal address\"");
		return CURL_SOCKET_BAD;
	}
	return socket(a->family, a->socktype, a->protocol);
}

static size_t
discard(char *p, size_t size, size_t n, void *ctx)
{
	return size * n;
}

/* POST body to url, signed. 1 when the receiver answered 2xx. */
static int
deliver(struct webhook *w, const char *url, const uint8_t *secret, int64_t id, const char *body)
{
	struct curl_slist *h = NULL, *h2;
	char sig[68], line[128];
	int64_t ts = now_us() / 1000000;
	long code = 0;
	CURL *c;
	int ok = 0;

	if ((c = curl_easy_init()) == NULL)
		return 0;
	webhook_sign(secret, ts, body, strlen(body), sig);
	h = curl_slist_append(h, "Content-Type: application/json");
	snprintf(line, sizeof(line), "X-Vigil-Timestamp: %" PRId64, ts);
	h = (h2 = curl_slist_append(h, line)) != NULL ? h2 : h;
	snprintf(line, sizeof(line), "X-Vigil-Signature: %s", sig);
	h = (h2 = curl_slist_append(h, line)) != NULL ? h2 : h;
	snprintf(line, sizeof(line), "X-Vigil-Delivery: %" PRId64, id);
	h = (h2 = curl_slist_append(h, line)) != NULL ? h2 : h;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, DELIVERY_TIMEOUT_S);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, open_socket);
	curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, w);
	if (curl_easy_perform(c) == CURLE_OK &&
	    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code) == CURLE_OK)
		ok = code >= 200 && code < 300;
	/* The URL is the customer's: log the status, not the URL. */
	log_info("webhook", "op=deliver id=%" PRId64 " status=%ld ok=%d", id, code, ok);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	sodium_memzero(sig, sizeof(sig));
	return ok;
}

/* One due delivery, if any: 1 when one was tried, 0 when none is due, -1 on error. */
static int
run_one(struct webhook *w)
{
	sqlite3_stmt *st = NULL;
	char org[WEBHOOK_ORG_MAX + 1], url[WEBHOOK_URL_MAX + 1], *body = NULL;
	uint8_t secret[WEBHOOK_SECRET_LEN];
	int64_t id, attempts, delay;
	int r = -1, rc, ok;

	pthread_mutex_lock(&w->mu);
	if (sqlite3_prepare_v2(w->db, "SELECT id, org, body, attempts FROM outbox WHERE "
	    "next_us <= ? ORDER BY next_us LIMIT 1", -1, &st, NULL) != SQLITE_OK)
		goto unlock;
	sqlite3_bind_int64(st, 1, now_us());
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		r = 0;
		goto unlock;
	}
	if (rc != SQLITE_ROW || sqlite3_column_bytes(st, 1) > WEBHOOK_ORG_MAX)
		goto unlock;
	id = sqlite3_column_int64(st, 0);
	memcpy(org, sqlite3_column_text(st, 1), (size_t)sqlite3_column_bytes(st, 1));
	org[sqlite3_column_bytes(st, 1)] = '\0';
	body = strdup((const char *)sqlite3_column_text(st, 2));
	attempts = sqlite3_column_int64(st, 3);
	sqlite3_finalize(st);
	st = NULL;
	if (body == NULL)
		goto unlock;
	if (lookup_locked(w, org, url, secret) != 0) {
		/* The webhook was removed after this was queued. */
		r = exec_ids(w, "DELETE FROM outbox WHERE id = ?", id, 0) == 0 ? 1 : -1;
		goto unlock;
	}
	pthread_mutex_unlock(&w->mu);

	ok = deliver(w, url, secret, id, body);

	pthread_mutex_lock(&w->mu);
	if (ok || attempts + 1 >= WEBHOOK_MAX_ATTEMPTS) {
		if (ok)
			w->delivered++;
		else {
			w->dropped++;
			log_warn("webhook", "op=drop id=%" PRId64 " attempts=%" PRId64, id, attempts + 1);
		}
		r = exec_ids(w, "DELETE FROM outbox WHERE id = ?", id, 0) == 0 ? 1 : -1;
	} else {
		delay = w->backoff_min_ms << (attempts < 20 ? attempts : 20);
		if (delay > w->backoff_max_ms || delay <= 0)
			delay = w->backoff_max_ms;
		r = exec_ids(w, "UPDATE outbox SET attempts = attempts + 1, next_us = ? WHERE id = ?",
		    now_us() + delay * 1000, id) == 0 ? 1 : -1;
	}
unlock:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&w->mu);
	sodium_memzero(secret, sizeof(secret));
	free(body);
	return r;
}

static void *
webhook_main(void *arg)
{
	struct webhook *w = arg;
	struct timespec ts;

	for (;;) {
		pthread_mutex_lock(&w->mu);
		if (w->stopping) {
			pthread_mutex_unlock(&w->mu);
			break;
		}
		pthread_mutex_unlock(&w->mu);
		if (run_one(w) == 1)
			continue;
		pthread_mutex_lock(&w->mu);
		if (!w->stopping) {
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += (long)IDLE_WAIT_MS % 1000 * 1000000L;
			ts.tv_sec += IDLE_WAIT_MS / 1000 + ts.tv_nsec / 1000000000L;
			ts.tv_nsec %= 1000000000L;
			pthread_cond_timedwait(&w->cv, &w->mu, &ts);
		}
		pthread_mutex_unlock(&w->mu);
	}
	return NULL;
}

int
webhook_start(struct webhook *w)
{
	if (pthread_create(&w->th, NULL, webhook_main, w) != 0)
		return WEBHOOK_E_IO;
	w->running = 1;
	return 0;
}

void
webhook_close(struct webhook *w)
{
	if (w == NULL)
		return;
	if (w->running) {
		pthread_mutex_lock(&w->mu);
		w->stopping = 1;
		pthread_cond_broadcast(&w->cv);
		pthread_mutex_unlock(&w->mu);
		pthread_join(w->th, NULL);
	}
	sqlite3_close(w->db);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	free(w);
}

void
webhook_stats(struct webhook *w, uint64_t *delivered, uint64_t *dropped, int64_t *queued)
{
	sqlite3_stmt *st = NULL;

	pthread_mutex_lock(&w->mu);
	*delivered = w->delivered;
	*dropped = w->dropped;
	*queued = -1;
	if (sqlite3_prepare_v2(w->db, "SELECT COUNT(*) FROM outbox", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		*queued = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	pthread_mutex_unlock(&w->mu);
}
