/* uploader.c - per stream, a live thread streaming the link being written and a backfill thread sending the backlog. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <curl/curl.h>
#include <jansson.h>
#include <sodium.h>

#include "common/util.h"
#include "gateway/auth.h"
#include "gateway/liveonly.h"
#include "gateway/uploader.h"

#define UP_URL_MAX 1024
#define UP_RESP_MAX (64 * 1024)
/* Several whole links per backfill POST, up to this many bytes (one link may exceed it). */
#define UP_BATCH_MAX ((size_t)8 * 1024 * 1024)
#define UP_BATCH_LINKS 256
#define UP_LINK_MAX ((size_t)64 * 1024 * 1024)
#define UP_BACKOFF_MIN_MS 500
#define UP_BACKOFF_MAX_MS 10000
/* How long the live read callback waits for the producer before checking stop again. */
#define UP_LIVE_POLL_MS 200
/* curl's upload buffer for the live body (its default is 64 KiB). */
#define UP_LIVE_BUFSIZE (256L * 1024)
/* After a body is sent, how long the server may take to answer. */
#define UP_ANSWER_TIMEOUT_US (60 * 1000000LL)
#define SEQ_NONE UINT64_MAX

struct uploader {
	char url[UP_URL_MAX];
	char camhex[2 * CAMERA_ID_LEN + 1];
	uint8_t stream;
	struct auth *auth;
	struct spool_stream *ss;
	pthread_t live_t, back_t, lo_t;
	int live_started, back_started, lo_started;
	struct liveonly *lo;             /* live-only segments (uploader_live_only), or NULL */
	atomic_int stop;
	atomic_int retired;              /* the org's signed config no longer has the camera */
	atomic_uint_fast64_t live_seq;   /* the link the live thread is sending, or SEQ_NONE */
	pthread_mutex_t mu;
	pthread_cond_t cv;
};

/* What a POST came to. */
enum up_result {
	UP_OK = 0,         /* 200 and the answer parsed */
	UP_RETRY = -1,     /* connection failure, 5xx, 429, bad answer: back off */
	UP_REFUSED = -2,   /* another 4xx: back off, keep the links */
	UP_UNREGISTERED = -6, /* 410: the camera is not registered to this gateway */
	UP_UNAUTH = -3,    /* 401: fetch a new token */
	UP_GONE = -4,      /* the live link vanished from the spool (evicted) mid-body */
	UP_STOPPED = -5,
};

/* The links of one POST, for matching the server's acks to spool incarnations. */
struct up_batch {
	uint64_t seq[UP_BATCH_LINKS];
	uint64_t id[UP_BATCH_LINKS];
	int acked[UP_BATCH_LINKS];
	size_t n;
};

/* State of one streamed body pulled by curl as it is written: the live link from the
 * spool (seq, id, rd), or a live-only link from the liveonly hand-over (seq: its
 * generation). */
struct up_live_body {
	struct uploader *u;
	struct spool_reader *rd;
	uint64_t seq, id, off;
	int gone, ended;
	int64_t ended_at;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static int curl_ok;

static void
curl_init_once(void)
{
	curl_ok = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
}

static int
up_stopping(struct uploader *u)
{
	return atomic_load(&u->stop);
}

static int
up_cancel(void *ctx)
{
	return up_stopping(ctx);
}

/* Free request headers, wiping them first: one carries the session token. */
static void
up_headers_free(struct curl_slist *h)
{
	struct curl_slist *i;

	for (i = h; i != NULL; i = i->next)
		sodium_memzero(i->data, strlen(i->data));
	curl_slist_free_all(h);
}

/* Sleep ms unless stopped first. */
static void
up_sleep(struct uploader *u, long ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&u->mu);
	while (!up_stopping(u))
		if (pthread_cond_timedwait(&u->cv, &u->mu, &ts) != 0)
			break;
	pthread_mutex_unlock(&u->mu);
}

/* Sleep for the current backoff (or the server's Retry-After, if longer), then double it. */
static void
up_backoff(struct uploader *u, long *backoff_ms, long retry_after_ms)
{
	long ms = *backoff_ms;

	if (retry_after_ms > ms)
		ms = retry_after_ms;
	up_sleep(u, ms);
	*backoff_ms *= 2;
	if (*backoff_ms > UP_BACKOFF_MAX_MS)
		*backoff_ms = UP_BACKOFF_MAX_MS;
}

static size_t
up_sink(char *p, size_t size, size_t nmemb, void *ctx)
{
	struct buf *b = ctx;

	if (buf_put(b, p, size * nmemb) != 0)
		return 0;
	return size * nmemb;
}

static int
up_progress(void *ctx, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
    curl_off_t ulnow)
{
	struct uploader *u = ctx;

	return up_stopping(u) ? 1 : 0;
}

static int
up_live_progress(void *ctx, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
    curl_off_t ulnow)
{
	struct up_live_body *lb = ctx;

	if (up_stopping(lb->u))
		return 1;
	/* The body has no overall timeout (it lasts as long as the segment); bound the wait
	 * for the answer instead. */
	if (lb->ended && mono_us() - lb->ended_at > UP_ANSWER_TIMEOUT_US)
		return 1;
	return 0;
}

/* Pull the live link from the spool as the producer appends to it. */
static size_t
up_live_read(char *p, size_t size, size_t nmemb, void *ctx)
{
	struct up_live_body *lb = ctx;
	ssize_t r;

	if (lb->ended)
		return 0;
	for (;;) {
		if (up_stopping(lb->u))
			return CURL_READFUNC_ABORT;
		r = spool_reader_read(lb->rd, lb->seq, lb->id, lb->off, p, size * nmemb,
		    UP_LIVE_POLL_MS);
		if (r > 0) {
			lb->off += (uint64_t)r;
			return (size_t)r;
		}
		if (r == 0) {
			lb->ended = 1;
			lb->ended_at = mono_us();
			return 0;
		}
		if (r == -3)
			continue;
		if (r == -2)
			lb->gone = 1;
		return CURL_READFUNC_ABORT;
	}
}

/* The "error" field of an error answer, sanitised for a log line; never the body. */
static void
up_log_refusal(struct uploader *u, long code, const struct buf *resp, const char *what,
    uint64_t seq)
{
	json_t *j = json_loadb((const char *)resp->data, resp->len, 0, NULL);
	const char *e = j != NULL ? json_string_value(json_object_get(j, "error")) : NULL;
	char safe[128];
	size_t i = 0;

	if (e != NULL)
		for (; e[i] != '\0' && i < sizeof(safe) - 1; i++)
			safe[i] = (e[i] >= 0x20 && e[i] < 0x7f && e[i] != '"') ? e[i] : '?';
	safe[i] = '\0';
	log_warn("uploader", "event=%s_refused camera=%s stream=%u seq=%llu status=%ld error=\"%s\"",
	    what, u->camhex, (unsigned)u->stream, (unsigned long long)seq, code, safe);
	json_decref(j);
}

/* Apply a 200 answer: delete every link of the batch that the server lists. Returns the
 * number deleted, or -1 when the answer is malformed. */
static int
up_apply_acks(struct uploader *u, const struct buf *resp, struct up_batch *b)
{
	json_t *j, *acked, *it;
	size_t i, k;
	int n = 0;

	j = json_loadb((const char *)resp->data, resp->len, 0, NULL);
	acked = j != NULL ? json_object_get(j, "acked") : NULL;
	if (!json_is_array(acked)) {
		log_warn("uploader", "event=answer_malformed camera=%s stream=%u", u->camhex,
		    (unsigned)u->stream);
		json_decref(j);
		return -1;
	}
	json_array_foreach(acked, i, it) {
		const char *cam = json_string_value(json_object_get(it, "camera"));
		json_t *js = json_object_get(it, "stream"), *jq = json_object_get(it, "seq");
		json_int_t seq;

		if (cam == NULL || strcmp(cam, u->camhex) != 0 || !json_is_integer(js) ||
		    json_integer_value(js) != u->stream || !json_is_integer(jq))
			continue;
		seq = json_integer_value(jq);
		if (seq < 0)
			continue;
		/* Only links this body carried, in the incarnation it carried. */
		for (k = 0; k < b->n; k++) {
			if (b->seq[k] != (uint64_t)seq || b->acked[k])
				continue;
			b->acked[k] = 1;
			if (spool_ack_id(u->ss, b->seq[k], b->id[k]) == 0)
				n++;
			else
				log_warn("uploader", "event=ack_failed camera=%s stream=%u seq=%llu",
				    u->camhex, (unsigned)u->stream, (unsigned long long)b->seq[k]);
		}
	}
	json_decref(j);
	return n;
}

/* Set up easy for a POST to /api/v1/ingest with the session token. */
static struct curl_slist *
up_prepare(struct uploader *u, CURL *easy, const char *tok, int chunked, struct buf *resp)
{
	char url[UP_URL_MAX + 32], auth[AUTH_TOKEN_MAX + 32];
	struct curl_slist *h = NULL, *t;

	curl_easy_reset(easy);
	snprintf(url, sizeof(url), "%s/api/v1/ingest", u->url);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", tok);
	h = curl_slist_append(h, auth);
	sodium_memzero(auth, sizeof(auth));
	if (h == NULL)
		return NULL;
	t = curl_slist_append(h, "Content-Type: application/octet-stream");
	if (t != NULL)
		t = curl_slist_append(t, "Expect:");
	if (t != NULL && chunked)
		t = curl_slist_append(t, "Transfer-Encoding: chunked");
	if (t == NULL) {
		up_headers_free(h);
		return NULL;
	}
	curl_easy_setopt(easy, CURLOPT_URL, url);
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(easy, CURLOPT_POST, 1L);
	curl_easy_setopt(easy, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
	curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, up_sink);
	curl_easy_setopt(easy, CURLOPT_WRITEDATA, resp);
	curl_easy_setopt(easy, CURLOPT_NOPROGRESS, 0L);
	return h;
}

/* Classify a finished transfer; on 200 apply the acks. */
static enum up_result
up_finish(struct uploader *u, CURL *easy, CURLcode rc, const struct buf *resp,
    struct up_batch *b, const char *what, long *retry_after_ms)
{
	curl_off_t ra = 0;
	long code = 0;

	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);
	if (curl_easy_getinfo(easy, CURLINFO_RETRY_AFTER, &ra) == CURLE_OK && ra > 0 && ra < 3600)
		*retry_after_ms = (long)ra * 1000;
	if (up_stopping(u))
		return UP_STOPPED;
	/* A server may refuse (401) before reading the body; the code is known even when the
	 * upload then failed. */
	if (code == 401)
		return UP_UNAUTH;
	if (rc != CURLE_OK) {
		log_warn("uploader", "event=%s_failed camera=%s stream=%u seq=%llu reason=\"%s\"",
		    what, u->camhex, (unsigned)u->stream,
		    (unsigned long long)(b->n ? b->seq[0] : 0), curl_easy_strerror(rc));
		return UP_RETRY;
	}
	if (code == 200)
		return up_apply_acks(u, resp, b) < 0 ? UP_RETRY : UP_OK;
	up_log_refusal(u, code, resp, what, b->n ? b->seq[0] : 0);
	if (code == 429 || code >= 500 || code < 200)
		return UP_RETRY;
	return code == 410 ? UP_UNREGISTERED : UP_REFUSED;
}

/* One chunked POST whose body read pulls from lb as it is written (the live link's, a
 * live-only link's); b lists the links it carries, for the acks. UP_GONE when the body
 * vanished from under it. */
static enum up_result
up_post_stream(struct uploader *u, CURL *easy, const char *tok, struct up_live_body *lb,
    curl_read_callback read, struct up_batch *b, const char *what, long *retry_after_ms)
{
	struct curl_slist *h;
	struct buf resp;
	enum up_result res = UP_RETRY;
	CURLcode rc;

	buf_init(&resp, UP_RESP_MAX);
	h = up_prepare(u, easy, tok, 1, &resp);
	if (h == NULL)
		goto out;
	/* A read callback may return a whole batch of frames (recorder.c writes two frames
	 * at a time at 20-30 fps), keyframes included: one send instead of several of 64 KiB. */
	curl_easy_setopt(easy, CURLOPT_UPLOAD_BUFFERSIZE, UP_LIVE_BUFSIZE);
	curl_easy_setopt(easy, CURLOPT_READFUNCTION, read);
	curl_easy_setopt(easy, CURLOPT_READDATA, lb);
	curl_easy_setopt(easy, CURLOPT_XFERINFOFUNCTION, up_live_progress);
	curl_easy_setopt(easy, CURLOPT_XFERINFODATA, lb);
	rc = curl_easy_perform(easy);
	if (lb->gone && !up_stopping(u)) {
		res = UP_GONE;
		goto out;
	}
	res = up_finish(u, easy, rc, &resp, b, what, retry_after_ms);
out:
	up_headers_free(h);
	buf_free(&resp);
	return res;
}

/* Stream link seq (incarnation id) from offset 0 while it is written; one POST. */
static enum up_result
up_post_live(struct uploader *u, CURL *easy, struct spool_reader *rd, const char *tok,
    uint64_t seq, uint64_t id, long *retry_after_ms)
{
	struct up_live_body lb;
	struct up_batch b;
	enum up_result res;

	memset(&lb, 0, sizeof(lb));
	lb.u = u;
	lb.rd = rd;
	lb.seq = seq;
	lb.id = id;
	memset(&b, 0, sizeof(b));
	b.seq[0] = seq;
	b.id[0] = id;
	b.n = 1;
	res = up_post_stream(u, easy, tok, &lb, up_live_read, &b, "live", retry_after_ms);
	if (res == UP_GONE)
		log_info("uploader", "event=live_link_gone camera=%s stream=%u seq=%llu", u->camhex,
		    (unsigned)u->stream, (unsigned long long)seq);
	else if (res == UP_OK)
		log_info("uploader", "event=live_sent camera=%s stream=%u seq=%llu bytes=%llu acked=%d",
		    u->camhex, (unsigned)u->stream, (unsigned long long)seq,
		    (unsigned long long)lb.off, b.acked[0]);
	return res;
}

static void *
up_live_main(void *arg)
{
	struct uploader *u = arg;
	char tok[AUTH_TOKEN_MAX];
	uint64_t seq, id, done = SEQ_NONE, seen;
	long backoff = UP_BACKOFF_MIN_MS, ra;
	int open, unauth = 0;
	enum up_result res;
	CURL *easy = curl_easy_init();
	struct spool_reader *rd = spool_reader_new(u->ss);

	if (easy == NULL || rd == NULL) {
		log_err("uploader", "event=live_init_failed camera=%s", u->camhex);
		goto out;
	}
	while (!up_stopping(u)) {
		seen = spool_changes(u->ss);
		/* Only a link still being written is live; closed ones are the backfill's. */
		if (spool_newest(u->ss, &seq, &open) != 0 || !open ||
		    (done != SEQ_NONE && seq <= done) ||
		    spool_link_id(u->ss, seq, &id, NULL) != 0) {
			spool_wait_change(u->ss, seen, 1000);
			continue;
		}
		ra = 0;
		res = auth_token(u->auth, easy, tok, sizeof(tok), &ra, up_cancel, u);
		if (res != 0) {
			up_backoff(u, &backoff, ra);
			continue;
		}
		atomic_store(&u->live_seq, seq);
		res = up_post_live(u, easy, rd, tok, seq, id, &ra);
		atomic_store(&u->live_seq, SEQ_NONE);
		if (res == UP_UNAUTH) {
			auth_invalidate(u->auth, tok);
			/* One immediate retry with a fresh token; a second 401 in a row backs off. */
			if (unauth++ > 0)
				up_backoff(u, &backoff, ra);
		} else if (res == UP_OK || res == UP_GONE) {
			/* Not acked means the server did not keep it: the backfill retries it. */
			done = seq;
			backoff = UP_BACKOFF_MIN_MS;
			unauth = 0;
		} else if (res != UP_STOPPED) {
			/* The next attempt restarts the then-newest link from offset 0. */
			unauth = 0;
			up_backoff(u, &backoff, ra);
		}
	}
out:
	sodium_memzero(tok, sizeof(tok));
	spool_reader_free(rd);
	curl_easy_cleanup(easy);
	return NULL;
}

static size_t
up_lo_read(char *p, size_t size, size_t nmemb, void *ctx)
{
	struct up_live_body *lb = ctx;
	ssize_t r;

	if (lb->ended)
		return 0;
	for (;;) {
		if (up_stopping(lb->u))
			return CURL_READFUNC_ABORT;
		r = liveonly_read(lb->u->lo, lb->seq, lb->off, p, size * nmemb, UP_LIVE_POLL_MS);
		if (r > 0) {
			lb->off += (uint64_t)r;
			return (size_t)r;
		}
		if (r == LIVEONLY_END) {
			lb->ended = 1;
			lb->ended_at = mono_us();
			return 0;
		}
		if (r == LIVEONLY_AGAIN)
			continue;
		/* A newer one replaced it (or it was dropped): the server gets a body that ends
		 * inside a link and refuses it; the next POST starts the newest. */
		lb->gone = 1;
		return CURL_READFUNC_ABORT;
	}
}

/* Send live-only link gen as it is written; one POST. The server relays it and acks
 * nothing. */
static enum up_result
up_post_lo(struct uploader *u, CURL *easy, const char *tok, uint64_t gen, long *retry_after_ms)
{
	struct up_live_body lb;
	struct up_batch b;

	memset(&lb, 0, sizeof(lb));
	lb.u = u;
	lb.seq = gen;
	memset(&b, 0, sizeof(b));
	return up_post_stream(u, easy, tok, &lb, up_lo_read, &b, "live_only", retry_after_ms);
}

static void *
up_lo_main(void *arg)
{
	struct uploader *u = arg;
	char tok[AUTH_TOKEN_MAX];
	uint64_t gen, done = 0;
	long backoff = UP_BACKOFF_MIN_MS, ra;
	int unauth = 0, w;
	enum up_result res;
	CURL *easy = curl_easy_init();

	if (easy == NULL) {
		log_err("uploader", "event=live_only_init_failed camera=%s", u->camhex);
		goto out;
	}
	while (!up_stopping(u)) {
		if ((w = liveonly_wait(u->lo, done, &gen, 1000)) == LIVEONLY_STOPPED)
			break;
		if (w == 0)
			continue;
		ra = 0;
		if (auth_token(u->auth, easy, tok, sizeof(tok), &ra, up_cancel, u) != 0) {
			up_backoff(u, &backoff, ra);
			continue;
		}
		res = up_post_lo(u, easy, tok, gen, &ra);
		done = gen;
		if (res == UP_UNAUTH) {
			auth_invalidate(u->auth, tok);
			if (unauth++ > 0)
				up_backoff(u, &backoff, ra);
		} else if (res == UP_OK || res == UP_GONE) {
			backoff = UP_BACKOFF_MIN_MS;
			unauth = 0;
		} else if (res != UP_STOPPED) {
			/* Nothing to retry: the next live-only segment is the one to send. */
			unauth = 0;
			up_backoff(u, &backoff, ra);
		}
	}
out:
	sodium_memzero(tok, sizeof(tok));
	curl_easy_cleanup(easy);
	return NULL;
}

/* Read closed link seq whole into out; 0, -2 when it vanished, -1 on error. */
static int
up_read_link(struct spool_reader *rd, uint64_t seq, uint64_t id, struct buf *out)
{
	size_t start = out->len;
	ssize_t r;

	for (;;) {
		if (buf_reserve(out, 65536) != 0)
			goto fail;
		r = spool_reader_read(rd, seq, id, out->len - start, out->data + out->len,
		    out->cap - out->len, 0);
		if (r == 0)
			return 0;
		if (r < 0) {
			out->len = start;
			return r == -2 ? -2 : -1;
		}
		out->len += (size_t)r;
	}
fail:
	out->len = start;
	return -1;
}

/* Gather the oldest closed links (not the live one) into body, up to UP_BATCH_MAX. */
static void
up_batch_collect(struct uploader *u, struct spool_reader *rd, struct up_batch *b,
    struct buf *body)
{
	uint64_t from = 0, seq, id, size;
	int open, r;

	b->n = 0;
	buf_reset(body);
	while (b->n < UP_BATCH_LINKS && !up_stopping(u)) {
		if (spool_next(u->ss, from, &seq, &open) != 0 || open)
			break;
		from = seq + 1;
		if (seq == atomic_load(&u->live_seq))
			continue;
		if (spool_link_id(u->ss, seq, &id, &size) != 0)
			continue;
		if (b->n > 0 && body->len + size > UP_BATCH_MAX)
			break;
		r = up_read_link(rd, seq, id, body);
		if (r == -2)
			continue;
		if (r != 0) {
			log_warn("uploader", "event=spool_read_failed camera=%s stream=%u seq=%llu",
			    u->camhex, (unsigned)u->stream, (unsigned long long)seq);
			break;
		}
		b->seq[b->n] = seq;
		b->id[b->n] = id;
		b->acked[b->n] = 0;
		b->n++;
	}
}

static void *
up_back_main(void *arg)
{
	struct uploader *u = arg;
	char tok[AUTH_TOKEN_MAX];
	struct up_batch *b = NULL;
	struct curl_slist *h;
	struct buf body, resp;
	uint64_t seen;
	long backoff = UP_BACKOFF_MIN_MS, ra;
	int unauth = 0, nacked;
	size_t i;
	enum up_result res;
	CURLcode rc;
	CURL *easy = curl_easy_init();
	struct spool_reader *rd = spool_reader_new(u->ss);

	buf_init(&body, UP_BATCH_MAX + UP_LINK_MAX);
	buf_init(&resp, UP_RESP_MAX);
	b = calloc(1, sizeof(*b));
	if (easy == NULL || b == NULL || rd == NULL) {
		log_err("uploader", "event=backfill_init_failed camera=%s", u->camhex);
		goto out;
	}
	while (!up_stopping(u)) {
		seen = spool_changes(u->ss);
		up_batch_collect(u, rd, b, &body);
		if (b->n == 0) {
			spool_wait_change(u->ss, seen, 1000);
			continue;
		}
		ra = 0;
		if (auth_token(u->auth, easy, tok, sizeof(tok), &ra, up_cancel, u) != 0) {
			up_backoff(u, &backoff, ra);
			continue;
		}
		buf_reset(&resp);
		h = up_prepare(u, easy, tok, 0, &resp);
		if (h == NULL) {
			up_backoff(u, &backoff, 0);
			continue;
		}
		curl_easy_setopt(easy, CURLOPT_POSTFIELDS, body.data);
		curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body.len);
		curl_easy_setopt(easy, CURLOPT_XFERINFOFUNCTION, up_progress);
		curl_easy_setopt(easy, CURLOPT_XFERINFODATA, u);
		curl_easy_setopt(easy, CURLOPT_LOW_SPEED_LIMIT, 1L);
		curl_easy_setopt(easy, CURLOPT_LOW_SPEED_TIME, 60L);
		rc = curl_easy_perform(easy);
		up_headers_free(h);
		res = up_finish(u, easy, rc, &resp, b, "backfill", &ra);
		if (res == UP_STOPPED)
			break;
		if (res == UP_UNAUTH) {
			auth_invalidate(u->auth, tok);
			if (unauth++ > 0)
				up_backoff(u, &backoff, ra);
			continue;
		}
		unauth = 0;
		nacked = 0;
		for (i = 0; i < b->n; i++)
			nacked += b->acked[i];
		if (res == UP_OK)
			log_info("uploader", "event=backfill_sent camera=%s stream=%u first=%llu links=%zu "
			    "bytes=%zu acked=%d", u->camhex, (unsigned)u->stream,
			    (unsigned long long)b->seq[0], b->n, body.len, nacked);
		if (res == UP_OK && nacked > 0) {
			backoff = UP_BACKOFF_MIN_MS;
			continue;
		}
		/* A removed camera (signed config) whose links the server answers 410 (no longer
		 * registered): they are footage the owner deleted, not a backlog to retry. Any
		 * other refusal (a proxy's 413, a misrouted 404, a bad link's 400) keeps them. */
		if (res == UP_UNREGISTERED && atomic_load(&u->retired)) {
			for (i = 0; i < b->n; i++)
				(void)spool_ack_id(u->ss, b->seq[i], b->id[i]);
			log_info("uploader", "event=retired_links_dropped camera=%s stream=%u first=%llu "
			    "links=%zu", u->camhex, (unsigned)u->stream, (unsigned long long)b->seq[0], b->n);
			backoff = UP_BACKOFF_MIN_MS;
			continue;
		}
		/* Failure, refusal, or a 200 that kept nothing: the links stay; do not loop hot. */
		up_backoff(u, &backoff, ra);
	}
out:
	sodium_memzero(tok, sizeof(tok));
	spool_reader_free(rd);
	free(b);
	buf_free(&body);
	buf_free(&resp);
	curl_easy_cleanup(easy);
	return NULL;
}

struct uploader *
uploader_start(const char *server_url, const uint8_t sk[64], struct spool_stream *ss,
    const uint8_t camera_id[16], uint8_t stream)
{
	struct uploader *u;
	pthread_condattr_t ca;
	size_t n = strlen(server_url);

	pthread_once(&curl_once, curl_init_once);
	if (!curl_ok || ss == NULL)
		return NULL;
	while (n > 0 && server_url[n - 1] == '/')
		n--;
	if (n == 0 || n >= UP_URL_MAX - 32) {
		log_err("uploader", "event=start_failed reason=\"bad server url\"");
		return NULL;
	}
	u = calloc(1, sizeof(*u));
	if (u == NULL)
		return NULL;
	memcpy(u->url, server_url, n);
	u->url[n] = '\0';
	hex_encode(camera_id, CAMERA_ID_LEN, u->camhex);
	u->stream = stream;
	u->ss = ss;
	atomic_init(&u->stop, 0);
	atomic_init(&u->live_seq, SEQ_NONE);
	pthread_mutex_init(&u->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&u->cv, &ca);
	pthread_condattr_destroy(&ca);
	u->auth = auth_new(u->url, sk);
	if (u->auth == NULL)
		goto fail;
	if (pthread_create(&u->live_t, NULL, up_live_main, u) != 0)
		goto fail;
	u->live_started = 1;
	if (pthread_create(&u->back_t, NULL, up_back_main, u) != 0)
		goto fail;
	u->back_started = 1;
	log_info("uploader", "event=start camera=%s stream=%u", u->camhex, (unsigned)stream);
	return u;
fail:
	log_err("uploader", "event=start_failed camera=%s stream=%u", u->camhex, (unsigned)stream);
	uploader_stop(u);
	return NULL;
}

void
uploader_stop(struct uploader *u)
{
	if (u == NULL)
		return;
	atomic_store(&u->stop, 1);
	pthread_mutex_lock(&u->mu);
	pthread_cond_broadcast(&u->cv);
	pthread_mutex_unlock(&u->mu);
	spool_stream_wake(u->ss);
	if (u->lo != NULL)
		liveonly_stop(u->lo);
	if (u->lo_started)
		pthread_join(u->lo_t, NULL);
	if (u->live_started)
		pthread_join(u->live_t, NULL);
	if (u->back_started)
		pthread_join(u->back_t, NULL);
	auth_free(u->auth);
	pthread_mutex_destroy(&u->mu);
	pthread_cond_destroy(&u->cv);
	free(u);
}

int
uploader_live_only(struct uploader *u, struct liveonly *lo)
{
	if (u == NULL || lo == NULL || u->lo_started)
		return -1;
	u->lo = lo;
	if (pthread_create(&u->lo_t, NULL, up_lo_main, u) != 0) {
		u->lo = NULL;
		return -1;
	}
	u->lo_started = 1;
	return 0;
}

void
uploader_retire(struct uploader *u, int retired)
{
	if (u != NULL)
		atomic_store(&u->retired, retired != 0);
}
