/* webhook.h - per-organization webhooks: a durable outbox of metadata-only notifications, signed with the organization's secret and retried with backoff. */
#ifndef VIGIL_SERVER_WEBHOOK_H
#define VIGIL_SERVER_WEBHOOK_H

#include <stddef.h>
#include <stdint.h>

/*
 * A notification carries metadata only (organization, camera and event ids, times): never
 * an image, a name or anything sealed. The outbox is a SQLite table, so a delivery that
 * was enqueued survives a restart; it is deleted once the receiver answers 2xx. Each
 * delivery is signed: X-Vigil-Signature: v1=hex(HMAC-SHA256(secret, T "." body)) with
 * T = X-Vigil-Timestamp (Unix seconds), and carries X-Vigil-Delivery (its id, for the
 * receiver to drop a duplicate after a lost answer).
 *
 * Receivers on loopback or private addresses are refused at connect time (a customer's
 * URL must not reach the operator's own network) unless allow_private was set (tests).
 */
#define WEBHOOK_SECRET_LEN 32
#define WEBHOOK_URL_MAX 512
#define WEBHOOK_BODY_MAX 2048
#define WEBHOOK_ORG_MAX 64
/* Deliveries not answered 2xx after this many attempts are dropped (and logged). */
#define WEBHOOK_MAX_ATTEMPTS 20

#define WEBHOOK_E_IO (-1)
#define WEBHOOK_E_URL (-2)     /* not an http(s) URL of at most WEBHOOK_URL_MAX bytes */
#define WEBHOOK_E_NONE (-3)    /* the organization has no webhook */

struct webhook;

struct webhook_cfg {
	const char *db_path;
	int allow_private;         /* deliver to loopback and private addresses (tests) */
	int64_t backoff_min_ms;    /* first retry delay (default 1000), doubled per attempt */
	int64_t backoff_max_ms;    /* cap (default 300000) */
};

/* Open the outbox database; *out is freed with webhook_close. 0 or WEBHOOK_E_IO. */
int webhook_open(struct webhook **out, const struct webhook_cfg *cfg);
/* Start the delivery thread. 0 or WEBHOOK_E_IO. */
int webhook_start(struct webhook *w);
/* Stop the thread (a delivery in flight finishes or times out) and free; NULL-safe. */
void webhook_close(struct webhook *w);

/* Set org's receiver URL and draw a new secret, written to secret (shown once to the
 * owner; the server keeps it to sign). 0, WEBHOOK_E_URL or WEBHOOK_E_IO. */
int webhook_set(struct webhook *w, const char *org, const char *url,
    uint8_t secret[WEBHOOK_SECRET_LEN]);
/* org's URL into url (WEBHOOK_URL_MAX + 1 bytes). 0, WEBHOOK_E_NONE or WEBHOOK_E_IO. */
int webhook_get(struct webhook *w, const char *org, char *url);
/* Remove org's webhook and its pending deliveries. 0 or WEBHOOK_E_IO. */
int webhook_delete(struct webhook *w, const char *org);

/* Queue a motion-event notification for org (a no-op, 0, when org has no webhook):
 * {"type":"motion","org","camera","event","start_us","end_us"|null}. Ids are hex.
 * 0 or WEBHOOK_E_IO. */
int webhook_notify_event(struct webhook *w, const char *org, const char *camera_hex,
    const char *event_hex, int64_t start_us, int64_t end_us);

/* Counters for tests: delivered and dropped since open, and deliveries still queued. */
void webhook_stats(struct webhook *w, uint64_t *delivered, uint64_t *dropped, int64_t *queued);

/* The signature header value for body at timestamp ts ("v1=" and 64 hex). out must hold
 * 68 bytes. Exposed so receivers in tests and docs compute it the same way. */
void webhook_sign(const uint8_t secret[WEBHOOK_SECRET_LEN], int64_t ts, const char *body,
    size_t len, char out[68]);

#endif
