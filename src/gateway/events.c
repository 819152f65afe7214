/* events.c - sealing motion events to the camera's epoch key and posting them to the server from a bounded, retrying queue. */
#include "gateway/events.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <curl/curl.h>
#include <jansson.h>
#include <sodium.h>

#include "common/util.h"
#include "gateway/auth.h"

/* Free request headers, wiping them first: one carries the bearer token. (As uploader.c's
 * up_headers_free; libcurl's own copies of the request are outside our control.) */
static void ev_headers_free(struct curl_slist *h)
{
	struct curl_slist *i;

	for (i = h; i != NULL; i = i->next)
		sodium_memzero(i->data, strlen(i->data));
	curl_slist_free_all(h);
}

/* The signed message: EVENTS_SIG_DOMAIN | body, in msg (reset first). 0 or -1. */
static int sig_message(const uint8_t *body, size_t n, struct buf *msg)
{
	buf_reset(msg);
	return buf_put(msg, EVENTS_SIG_DOMAIN, strlen(EVENTS_SIG_DOMAIN)) != 0 ||
	    buf_put(msg, body, n) != 0 ? -1 : 0;
}

int events_seal(const struct events_meta *m, const char *const *zones, size_t nzones,
    const uint8_t *jpeg, size_t jpeg_len, const uint8_t epoch_pk[EPOCH_PK_LEN],
    const uint8_t sk[GATEWAY_SK_LEN], struct buf *out)
{
	char idh[2 * EVENT_ID_BYTES + 1], camh[2 * CAMERA_ID_LEN + 1];
	uint8_t pk[GATEWAY_ID_LEN], sig[SIG_LEN];
	json_t *j = NULL, *zs = NULL;
	char *meta = NULL;
	struct buf plain, msg;
	size_t mlen, i;
	int ret = -1;

	buf_init(&plain, EVENTS_PLAIN_MAX);
	buf_init(&msg, EVENTS_PLAIN_MAX + sizeof(EVENTS_SIG_DOMAIN));
	buf_reset(out);
	hex_encode(m->id, EVENT_ID_BYTES, idh);
	hex_encode(m->camera_id, CAMERA_ID_LEN, camh);
	if ((zs = json_array()) == NULL)
		goto out;
	for (i = 0; i < nzones; i++)
		if (json_array_append_new(zs, json_string(zones[i])) != 0)
			goto out;
	j = json_pack("{s:i,s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:O}", "v", 2, "id", idh, "camera", camh,
	    "start_us", (json_int_t)m->start_us, "end_us", (json_int_t)m->end_us,
	    "peak_us", (json_int_t)m->peak_us, "peak_score", (json_int_t)m->peak_score,
	    "epoch", (json_int_t)m->epoch, "zones", zs);
	if (j == NULL || (meta = json_dumps(j, JSON_COMPACT)) == NULL)
		goto out;
	mlen = strlen(meta);
	crypto_sign_ed25519_sk_to_pk(pk, sk);
	/* The head first, its signature filled in once the body is there. */
	if (mlen > EVENTS_META_MAX || buf_put(&plain, EVENTS_MAGIC, 4) != 0 ||
	    buf_put(&plain, pk, sizeof(pk)) != 0 || buf_put(&plain, sig, sizeof(sig)) != 0 ||
	    buf_put_u32(&plain, (uint32_t)mlen) != 0 || buf_put(&plain, meta, mlen) != 0 ||
	    (jpeg_len > 0 && buf_put(&plain, jpeg, jpeg_len) != 0))
		goto out;
	if (sig_message(plain.data + EVENTS_HEAD_LEN, plain.len - EVENTS_HEAD_LEN, &msg) != 0 ||
	    crypto_sign_detached(plain.data + 4 + GATEWAY_ID_LEN, NULL, msg.data, msg.len, sk) != 0)
		goto out;
	if (buf_reserve(out, plain.len + crypto_box_SEALBYTES) != 0 ||
	    crypto_box_seal(out->data, plain.data, plain.len, epoch_pk) != 0)
		goto out;
	out->len = plain.len + crypto_box_SEALBYTES;
	ret = 0;
out:
	if (plain.data != NULL)
		sodium_memzero(plain.data, plain.len);
	if (msg.data != NULL)
		sodium_memzero(msg.data, msg.len);
	buf_free(&plain);
	buf_free(&msg);
	/* The event's plaintext metadata (times, score, zones). jansson's own objects are
	 * freed unwiped: they hold the same values, outside our control. */
	if (meta != NULL)
		sodium_memzero(meta, strlen(meta));
	free(meta);
	json_decref(j);
	json_decref(zs);
	return ret;
}

int events_unseal(const uint8_t *sealed, size_t n, const uint8_t epoch_pk[EPOCH_PK_LEN],
    const uint8_t epoch_sk[EPOCH_PK_LEN], uint8_t gateway_pk[GATEWAY_ID_LEN], struct buf *json,
    struct buf *jpeg)
{
	uint8_t *plain = NULL;
	struct buf msg;
	size_t plen = 0, body;
	uint32_t mlen;
	int ret = -1;

	buf_reset(json);
	buf_reset(jpeg);
	buf_init(&msg, EVENTS_PLAIN_MAX + sizeof(EVENTS_SIG_DOMAIN));
	if (n < crypto_box_SEALBYTES + EVENTS_HEAD_LEN + 4 || n > EVENTS_PLAIN_MAX + crypto_box_SEALBYTES)
		goto out;
	plen = n - crypto_box_SEALBYTES;
	if ((plain = malloc(plen)) == NULL)
		goto out;
	if (crypto_box_seal_open(plain, sealed, n, epoch_pk, epoch_sk) != 0 ||
	    memcmp(plain, EVENTS_MAGIC, 4) != 0)
		goto out;
	body = plen - EVENTS_HEAD_LEN;
	if (sig_message(plain + EVENTS_HEAD_LEN, body, &msg) != 0 ||
	    crypto_sign_verify_detached(plain + 4 + GATEWAY_ID_LEN, msg.data, msg.len, plain + 4) != 0)
		goto out;
	mlen = be_get32(plain + EVENTS_HEAD_LEN);
	if (mlen == 0 || mlen > EVENTS_META_MAX || mlen > body - 4)
		goto out;
	if (buf_put(json, plain + EVENTS_HEAD_LEN + 4, mlen) != 0 || buf_put_u8(json, 0) != 0)
		goto out;
	json->len--;
	if (body - 4 - mlen > 0 && buf_put(jpeg, plain + EVENTS_HEAD_LEN + 4 + mlen, body - 4 - mlen) != 0)
		goto out;
	memcpy(gateway_pk, plain + 4, GATEWAY_ID_LEN);
	ret = 0;
out:
	if (plain != NULL)
		sodium_memzero(plain, plen);
	free(plain);
	buf_free(&msg);
	if (ret != 0) {
		buf_reset(json);
		buf_reset(jpeg);
	}
	return ret;
}

struct ev_item {
	struct events_meta m;
	uint8_t *sealed;
	size_t n;
};

struct events_sender {
	pthread_t thread;
	int started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	atomic_int stop;
	char *url;
	struct auth *auth;
	struct ev_item q[EVENTS_QUEUE_MAX];   /* FIFO: head .. head+len */
	size_t head, len;
	uint64_t dropped;
};

static struct events_sender *g_default;
static pthread_mutex_t g_default_mu = PTHREAD_MUTEX_INITIALIZER;

struct events_sender *events_default(void)
{
	struct events_sender *s;

	pthread_mutex_lock(&g_default_mu);
	s = g_default;
	pthread_mutex_unlock(&g_default_mu);
	return s;
}

static struct ev_item *q_at(struct events_sender *s, size_t i)
{
	return &s->q[(s->head + i) % EVENTS_QUEUE_MAX];
}

int events_submit(struct events_sender *s, const struct events_meta *m, const uint8_t *sealed,
    size_t n)
{
	struct ev_item *it = NULL;
	uint8_t *copy;
	size_t i;

	if (s == NULL || m == NULL || sealed == NULL || n == 0 || (copy = malloc(n)) == NULL)
		return -1;
	memcpy(copy, sealed, n);
	pthread_mutex_lock(&s->mu);
	for (i = 0; i < s->len; i++) {
		if (memcmp(q_at(s, i)->m.id, m->id, EVENT_ID_BYTES) == 0) {
			it = q_at(s, i);
			free(it->sealed);
			break;
		}
	}
	if (it == NULL) {
		if (s->len == EVENTS_QUEUE_MAX) {
			/* Bounded: the oldest waiting event goes. */
			free(q_at(s, 0)->sealed);
			s->head = (s->head + 1) % EVENTS_QUEUE_MAX;
			s->len--;
			s->dropped++;
			if (s->dropped % 100 == 1)
				log_warn("events", "event=queue_full dropped=%llu",
				    (unsigned long long)s->dropped);
		}
		it = q_at(s, s->len);
		s->len++;
	}
	it->m = *m;
	it->sealed = copy;
	it->n = n;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
	return 0;
}

size_t events_pending(struct events_sender *s)
{
	size_t n;

	if (s == NULL)
		return 0;
	pthread_mutex_lock(&s->mu);
	n = s->len;
	pthread_mutex_unlock(&s->mu);
	return n;
}

static size_t ev_sink(char *p, size_t sz, size_t nm, void *ctx)
{
	(void)p;
	(void)ctx;
	return sz * nm;
}

static int ev_cancel(void *ctx)
{
	struct events_sender *s = ctx;

	return atomic_load(&s->stop) > 1;
}

static int ev_progress(void *ctx, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
	return ev_cancel(ctx);
}

/* POST one event. 0 (stored, or refused for good: drop it), 1 (retry later). */
static int ev_post(struct events_sender *s, CURL *easy, const struct ev_item *it)
{
	char url[1200], authh[AUTH_TOKEN_MAX + 32], tok[AUTH_TOKEN_MAX], idh[2 * EVENT_ID_BYTES + 1],
	    camh[2 * CAMERA_ID_LEN + 1];
	struct curl_slist *h = NULL, *t;
	char *hex = NULL, *body = NULL;
	json_t *j = NULL;
	long code = 0, ra = 0;
	CURLcode rc;
	int ret = 1;

	if (auth_token(s->auth, easy, tok, sizeof(tok), &ra, ev_cancel, s) != 0)
		goto out;
	if ((hex = malloc(2 * it->n + 1)) == NULL)
		goto out;
	hex_encode(it->sealed, it->n, hex);
	hex_encode(it->m.id, EVENT_ID_BYTES, idh);
	hex_encode(it->m.camera_id, CAMERA_ID_LEN, camh);
	j = json_pack("{s:s,s:s,s:I,s:I,s:I,s:s}", "id", idh, "camera", camh, "start_us",
	    (json_int_t)it->m.start_us, "end_us", (json_int_t)it->m.end_us, "epoch",
	    (json_int_t)it->m.epoch, "payload", hex);
	if (j == NULL || (body = json_dumps(j, JSON_COMPACT)) == NULL)
		goto out;
	curl_easy_reset(easy);
	snprintf(url, sizeof(url), "%s/api/v1/events", s->url);
	snprintf(authh, sizeof(authh), "Authorization: Bearer %s", tok);
	h = curl_slist_append(NULL, authh);
	sodium_memzero(authh, sizeof(authh));
	if (h == NULL || (t = curl_slist_append(h, "Content-Type: application/json")) == NULL ||
	    (t = curl_slist_append(t, "Expect:")) == NULL)
		goto out;
	curl_easy_setopt(easy, CURLOPT_URL, url);
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(easy, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(easy, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
	curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
	curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, 15000L);
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, ev_sink);
	curl_easy_setopt(easy, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(easy, CURLOPT_XFERINFOFUNCTION, ev_progress);
	curl_easy_setopt(easy, CURLOPT_XFERINFODATA, s);
	rc = curl_easy_perform(easy);
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);
	if (rc != CURLE_OK) {
		log_warn("events", "event=post_failed camera=%s id=%s reason=\"%s\"", camh, idh,
		    curl_easy_strerror(rc));
		goto out;
	}
	if (code == 401) {
		auth_invalidate(s->auth, tok);
		goto out;
	}
	if (code == 200 || code == 201) {
		log_info("events", "event=posted camera=%s id=%s start_us=%lld end_us=%lld", camh, idh,
		    (long long)it->m.start_us, (long long)it->m.end_us);
		ret = 0;
	} else if (code >= 400 && code < 500 && code != 429 && code != 408) {
		log_warn("events", "event=refused camera=%s id=%s status=%ld", camh, idh, code);
		ret = 0;
	} else {
		log_warn("events", "event=post_failed camera=%s id=%s status=%ld", camh, idh, code);
	}
out:
	sodium_memzero(tok, sizeof(tok));
	ev_headers_free(h);
	free(hex);
	free(body);
	json_decref(j);
	return ret;
}

/* Wait up to ms for a submission or a stop. Called and returns with mu held. */
static void ev_wait(struct events_sender *s, long ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_cond_timedwait(&s->cv, &s->mu, &ts);
}

static void *ev_main(void *arg)
{
	struct events_sender *s = arg;
	CURL *easy = curl_easy_init();
	long backoff = EVENTS_RETRY_MIN_MS;
	int64_t deadline = 0;

	if (easy == NULL) {
		log_err("events", "event=curl_init_failed");
		return NULL;
	}
	for (;;) {
		struct ev_item it;
		int r;

		pthread_mutex_lock(&s->mu);
		while (s->len == 0 && !atomic_load(&s->stop))
			ev_wait(s, 1000);
		if (atomic_load(&s->stop)) {
			if (deadline == 0)
				deadline = mono_us() + 2000000;
			if (s->len == 0 || mono_us() > deadline) {
				pthread_mutex_unlock(&s->mu);
				break;
			}
		}
		/* Post a copy: the queue may replace the item meanwhile. */
		it = *q_at(s, 0);
		if ((it.sealed = malloc(it.n)) != NULL)
			memcpy(it.sealed, q_at(s, 0)->sealed, it.n);
		pthread_mutex_unlock(&s->mu);
		if (it.sealed == NULL)
			break;
		r = ev_post(s, easy, &it);
		pthread_mutex_lock(&s->mu);
		if (r == 0 && s->len > 0) {
			struct ev_item *h = q_at(s, 0);
			/* Remove it unless a newer version (same id) arrived meanwhile. */
			if (memcmp(h->m.id, it.m.id, EVENT_ID_BYTES) == 0 && h->n == it.n &&
			    memcmp(h->sealed, it.sealed, it.n) == 0) {
				free(h->sealed);
				s->head = (s->head + 1) % EVENTS_QUEUE_MAX;
				s->len--;
			}
			backoff = EVENTS_RETRY_MIN_MS;
		} else if (r != 0 && !atomic_load(&s->stop)) {
			ev_wait(s, backoff);
			backoff = backoff * 2 > EVENTS_RETRY_MAX_MS ? EVENTS_RETRY_MAX_MS : backoff * 2;
		}
		pthread_mutex_unlock(&s->mu);
		free(it.sealed);
		/* Stopping: one more try per event, no retries. */
		if (r != 0 && atomic_load(&s->stop))
			break;
	}
	curl_easy_cleanup(easy);
	return NULL;
}

struct events_sender *events_start(const char *server_url, const uint8_t sk[GATEWAY_SK_LEN])
{
	struct events_sender *s;

	if (server_url == NULL || sk == NULL || (s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	atomic_init(&s->stop, 0);
	if ((s->url = strdup(server_url)) == NULL || (s->auth = auth_new(server_url, sk)) == NULL ||
	    pthread_create(&s->thread, NULL, ev_main, s) != 0) {
		events_stop(s);
		return NULL;
	}
	s->started = 1;
	pthread_mutex_lock(&g_default_mu);
	if (g_default == NULL)
		g_default = s;
	pthread_mutex_unlock(&g_default_mu);
	return s;
}

void events_stop(struct events_sender *s)
{
	size_t i;

	if (s == NULL)
		return;
	pthread_mutex_lock(&g_default_mu);
	if (g_default == s)
		g_default = NULL;
	pthread_mutex_unlock(&g_default_mu);
	pthread_mutex_lock(&s->mu);
	atomic_store(&s->stop, 1);
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	if (s->started)
		pthread_join(s->thread, NULL);
	for (i = 0; i < s->len; i++)
		free(q_at(s, i)->sealed);
	if (s->len > 0)
		log_warn("events", "event=stopped_with_pending count=%zu", s->len);
	auth_free(s->auth);
	free(s->url);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	free(s);
}
