/* test_server_webhook.c - webhooks against an in-process receiver: signed, metadata only, each event once, retried after the receiver was down, kept across a restart, never to internal addresses unless allowed. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <sodium.h>
#include "server/webhook.h"

#define ORG "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define CAM "00112233445566778899aabbccddeeff"
#define MAXGOT 64

/* What the receiver saw. */
struct got {
	char body[WEBHOOK_BODY_MAX];
	char sig[80], ts[24], id[24];
};

struct rx {
	struct MHD_Daemon *d;
	uint16_t port;
	pthread_mutex_t mu;
	int fail_next;          /* answer 503 to this many requests first */
	int n;
	struct got got[MAXGOT];
};

struct upload { char buf[WEBHOOK_BODY_MAX]; size_t len; };

static enum MHD_Result
on_req(void *cls, struct MHD_Connection *c, const char *url, const char *method,
    const char *ver, const char *data, size_t *size, void **ctx)
{
	struct rx *rx = cls;
	struct upload *u = *ctx;
	struct MHD_Response *resp;
	enum MHD_Result r;
	unsigned status = 200;
	const char *h;

	if (u == NULL) {
		*ctx = calloc(1, sizeof(struct upload));
		return *ctx != NULL ? MHD_YES : MHD_NO;
	}
	if (*size > 0) {
		if (u->len + *size < sizeof(u->buf)) {
			memcpy(u->buf + u->len, data, *size);
			u->len += *size;
		}
		*size = 0;
		return MHD_YES;
	}
	pthread_mutex_lock(&rx->mu);
	if (rx->fail_next > 0) {
		rx->fail_next--;
		status = 503;
	} else if (rx->n < MAXGOT) {
		struct got *g = &rx->got[rx->n++];

		memcpy(g->body, u->buf, u->len);
		g->body[u->len] = '\0';
		if ((h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Vigil-Signature")) != NULL)
			snprintf(g->sig, sizeof(g->sig), "%s", h);
		if ((h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Vigil-Timestamp")) != NULL)
			snprintf(g->ts, sizeof(g->ts), "%s", h);
		if ((h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Vigil-Delivery")) != NULL)
			snprintf(g->id, sizeof(g->id), "%s", h);
	}
	pthread_mutex_unlock(&rx->mu);
	resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
	r = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return r;
}

static void
on_done(void *cls, struct MHD_Connection *c, void **ctx, enum MHD_RequestTerminationCode toe)
{
	free(*ctx);
	*ctx = NULL;
}

static void
rx_start(struct rx *rx, uint16_t port)
{
	const union MHD_DaemonInfo *di;

	rx->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, port, NULL,
	    NULL, on_req, rx, MHD_OPTION_NOTIFY_COMPLETED, on_done, NULL,
	    MHD_OPTION_LISTENING_ADDRESS_REUSE, 1U, MHD_OPTION_END);
	assert_non_null(rx->d);
	di = MHD_get_daemon_info(rx->d, MHD_DAEMON_INFO_BIND_PORT);
	rx->port = di->port;
}

static int
rx_count(struct rx *rx)
{
	int n;

	pthread_mutex_lock(&rx->mu);
	n = rx->n;
	pthread_mutex_unlock(&rx->mu);
	return n;
}

/* Wait up to ms for the receiver to have n deliveries. */
static int
rx_wait(struct rx *rx, int n, int ms)
{
	for (; ms > 0 && rx_count(rx) < n; ms -= 20)
		usleep(20000);
	return rx_count(rx) >= n;
}

static void
check_delivery(const struct got *g, const uint8_t secret[WEBHOOK_SECRET_LEN], const char *event)
{
	char want[68];
	json_t *j;
	const char *k;
	json_t *v;
	int64_t ts;

	/* The signature is HMAC-SHA256(secret, timestamp "." body). */
	ts = strtoll(g->ts, NULL, 10);
	assert_true(ts > 1600000000);
	webhook_sign(secret, ts, g->body, strlen(g->body), want);
	assert_string_equal(g->sig, want);
	assert_true(strtoll(g->id, NULL, 10) > 0);
	/* Metadata only: exactly these keys. */
	j = json_loads(g->body, 0, NULL);
	assert_non_null(j);
	json_object_foreach(j, k, v) {
		assert_true(strcmp(k, "type") == 0 || strcmp(k, "org") == 0 || strcmp(k, "camera") == 0 ||
		    strcmp(k, "event") == 0 || strcmp(k, "start_us") == 0 || strcmp(k, "end_us") == 0);
	}
	assert_int_equal(json_object_size(j), 6);
	assert_string_equal(json_string_value(json_object_get(j, "org")), ORG);
	assert_string_equal(json_string_value(json_object_get(j, "camera")), CAM);
	assert_string_equal(json_string_value(json_object_get(j, "event")), event);
	json_decref(j);
}

static void
open_wh(struct webhook **w, const char *db, int allow_private)
{
	struct webhook_cfg cfg = { db, allow_private, 30, 200 };

	assert_int_equal(webhook_open(w, &cfg), 0);
	assert_int_equal(webhook_start(*w), 0);
}

static void
test_webhooks(void **state)
{
	struct rx rx;
	struct webhook *w = NULL;
	uint8_t secret[WEBHOOK_SECRET_LEN], old[WEBHOOK_SECRET_LEN];
	char dir[] = "/tmp/vigil-wh-XXXXXX", db[64], url[128], got_url[WEBHOOK_URL_MAX + 1];
	char ev[8][33];
	uint64_t delivered, dropped;
	int64_t queued;
	uint16_t port;
	int i;

	(void)state;
	memset(&rx, 0, sizeof(rx));
	pthread_mutex_init(&rx.mu, NULL);
	assert_non_null(mkdtemp(dir));
	snprintf(db, sizeof(db), "%s/webhooks.db", dir);
	for (i = 0; i < 8; i++)
		snprintf(ev[i], sizeof(ev[i]), "%032x", 0xe0 + i);
	rx_start(&rx, 0);
	port = rx.port;
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/hook", (unsigned)port);
	open_wh(&w, db, 1);

	/* Bad URLs and ids are refused; an org without a webhook is a no-op. */
	assert_int_equal(webhook_set(w, ORG, "ftp://x/y", secret), WEBHOOK_E_URL);
	assert_int_equal(webhook_set(w, ORG, "http://a b/", secret), WEBHOOK_E_URL);
	assert_int_equal(webhook_set(w, "NOT-HEX", url, secret), WEBHOOK_E_URL);
	assert_int_equal(webhook_get(w, ORG, got_url), WEBHOOK_E_NONE);
	assert_int_equal(webhook_notify_event(w, ORG, CAM, ev[0], 1, 2), 0);
	assert_int_equal(webhook_notify_event(w, ORG, "\"}", ev[0], 1, 2), WEBHOOK_E_IO);

	/* Three events, each delivered once, signed with the secret shown at set time. */
	assert_int_equal(webhook_set(w, ORG, url, old), 0);
	assert_int_equal(webhook_set(w, ORG, url, secret), 0);     /* a new secret replaces it */
	assert_memory_not_equal(old, secret, sizeof(secret));
	assert_int_equal(webhook_get(w, ORG, got_url), 0);
	assert_string_equal(got_url, url);
	for (i = 0; i < 3; i++)
		assert_int_equal(webhook_notify_event(w, ORG, CAM, ev[i], 1000 + i, i == 2 ? 0 : 2000), 0);
	assert_true(rx_wait(&rx, 3, 5000));
	usleep(300000);
	assert_int_equal(rx_count(&rx), 3);
	for (i = 0; i < 3; i++)
		check_delivery(&rx.got[i], secret, ev[i]);
	assert_non_null(strstr(rx.got[2].body, "\"end_us\":null"));

	/* The receiver fails twice: retried with backoff, then delivered once. */
	rx.fail_next = 2;
	assert_int_equal(webhook_notify_event(w, ORG, CAM, ev[3], 5, 6), 0);
	assert_true(rx_wait(&rx, 4, 5000));
	check_delivery(&rx.got[3], secret, ev[3]);

	/* The receiver is down (connection refused); it comes back on the same port. */
	MHD_stop_daemon(rx.d);
	assert_int_equal(webhook_notify_event(w, ORG, CAM, ev[4], 7, 8), 0);
	usleep(400000);
	webhook_stats(w, &delivered, &dropped, &queued);
	assert_int_equal(queued, 1);
	/* ...and the server restarts meanwhile: the outbox is on disk. */
	webhook_close(w);
	open_wh(&w, db, 1);
	rx_start(&rx, port);
	assert_true(rx_wait(&rx, 5, 5000));
	check_delivery(&rx.got[4], secret, ev[4]);
	/* Delivery ids are never reused, even after the outbox emptied (receivers drop
	 * duplicates by them). */
	for (i = 0; i < 4; i++)
		assert_string_not_equal(rx.got[4].id, rx.got[i].id);
	usleep(300000);
	assert_int_equal(rx_count(&rx), 5);
	webhook_stats(w, &delivered, &dropped, &queued);
	assert_int_equal(queued, 0);
	webhook_close(w);

	/* Without allow_private, a receiver on loopback is never contacted. */
	open_wh(&w, db, 0);
	assert_int_equal(webhook_notify_event(w, ORG, CAM, ev[5], 9, 10), 0);
	usleep(500000);
	assert_int_equal(rx_count(&rx), 5);
	webhook_stats(w, &delivered, &dropped, &queued);
	assert_int_equal(delivered, 0);
	assert_int_equal(queued, 1);
	/* Removing the webhook drops what it still had queued. */
	assert_int_equal(webhook_delete(w, ORG), 0);
	webhook_stats(w, &delivered, &dropped, &queued);
	assert_int_equal(queued, 0);
	webhook_close(w);

	MHD_stop_daemon(rx.d);
	unlink(db);
	snprintf(db, sizeof(db), "%s/webhooks.db-wal", dir);
	unlink(db);
	snprintf(db, sizeof(db), "%s/webhooks.db-shm", dir);
	unlink(db);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_webhooks),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
