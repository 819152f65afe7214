/* relay.c - per camera stream record windows and the viewers reading them, never blocking ingest. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "common/record.h"
#include "common/util.h"
#include "server/metrics.h"
#include "server/relay.h"

/* One framed record, shared by the window and viewers in the middle of sending it. */
struct rrec {
	unsigned refs;
	size_t len;
	uint8_t data[];
};

struct chan {
	struct chan *hnext;        /* next in its hash bucket */
	struct chan *next;
	uint8_t cam[CAMERA_ID_LEN];
	uint8_t stream;
	int has_seq;
	uint64_t last_seq;
	int last_live_only;        /* the newest link is live-only (forked off at last_seq) */
	int64_t last_start_us;     /* and started then */
	uint64_t ticket;           /* names the newest link for relay_push; 0: none yet */
	int open;                  /* the newest link's end (SEG_END or GAP) is not in yet */
	/* Window: recs[start..count) hold record indexes first_idx.. next_idx-1. */
	struct rrec **recs;
	size_t start, count, cap;
	uint64_t first_idx, next_idx;
	size_t bytes;
	int has_hdr;
	uint64_t hdr_idx;     /* newest SEG_HEADER in the window */
	int has_prev;
	uint64_t prev_idx;    /* the SEG_HEADER before it */
	struct relay_viewer *viewers;
	int64_t last_push_us;   /* monotonic time of the last record pushed (metrics) */
};

struct relay_viewer {
	struct relay_viewer *next, *prev;
	struct relay *r;
	struct chan *ch;
	relay_notify_fn notify;
	void *arg;
	uint64_t next_idx;
	int wait_header;
	struct rrec *partial;
	size_t partial_off;
	int suspended;
	int keepalive_due;
	int64_t last_send;
	uint64_t skips;
};

/* Channels are found by hash on every record, so a server relaying hundreds of streams
 * does not walk a list per record (it showed in profiles at 256 cameras). */
#define RELAY_BUCKETS 1024

struct relay {
	pthread_mutex_t mu;
	size_t window_bytes;
	int closing;
	struct chan *chans;                  /* all channels, for ticks and shutdown */
	struct chan *bucket[RELAY_BUCKETS];
};

/* Camera ids are random, so their first bytes spread well. */
static size_t
chan_hash(const uint8_t cam[CAMERA_ID_LEN], uint8_t stream)
{
	return (((size_t)cam[0] << 8 | cam[1]) ^ ((size_t)stream * 31)) % RELAY_BUCKETS;
}

static void
rrec_unref(struct rrec *rr)
{
	if (rr != NULL && --rr->refs == 0)
		free(rr);
}

struct relay *
relay_new(size_t window_bytes)
{
	struct relay *r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	pthread_mutex_init(&r->mu, NULL);
	r->window_bytes = window_bytes;
	return r;
}

void
relay_free(struct relay *r)
{
	struct chan *ch, *nx;
	size_t i;

	if (r == NULL)
		return;
	for (ch = r->chans; ch != NULL; ch = nx) {
		nx = ch->next;
		for (i = ch->start; i < ch->count; i++)
			rrec_unref(ch->recs[i]);
		free(ch->recs);
		free(ch);
	}
	pthread_mutex_destroy(&r->mu);
	free(r);
}

/* Find or create a stream's channel; the lock is held. */
static struct chan *
chan_get(struct relay *r, const uint8_t cam[CAMERA_ID_LEN], uint8_t stream, int create)
{
	struct chan *ch;
	size_t h = chan_hash(cam, stream);

	for (ch = r->bucket[h]; ch != NULL; ch = ch->hnext)
		if (ch->stream == stream && memcmp(ch->cam, cam, CAMERA_ID_LEN) == 0)
			return ch;
	if (!create || (ch = calloc(1, sizeof(*ch))) == NULL)
		return NULL;
	memcpy(ch->cam, cam, CAMERA_ID_LEN);
	ch->stream = stream;
	ch->next = r->chans;
	r->chans = ch;
	ch->hnext = r->bucket[h];
	r->bucket[h] = ch;
	return ch;
}

/* A stored link still arriving is not overtaken by a live-only one for this long after
 * its last record: the gateway sends the two on different connections, and the live-only
 * segment that follows a pause begins while the paused segment's last records are still on
 * their way. An upload that stopped mid-link does not hold live-only video back longer. */
#define RELAY_OPEN_HOLD_US 3000000

/* Whether link (seq, live_only, start_us) is newer than the channel's newest. */
static int
chan_newer(const struct chan *ch, uint64_t seq, int live_only, int64_t start_us)
{
	if (live_only && ch->has_seq && !ch->last_live_only && ch->open &&
	    mono_us() - ch->last_push_us < RELAY_OPEN_HOLD_US)
		return 0;
	if (!ch->has_seq || seq > ch->last_seq)
		return 1;
	if (seq < ch->last_seq || !ch->last_live_only)
		return 0;
	return !live_only || start_us > ch->last_start_us;
}

int
relay_link_begin(struct relay *r, const uint8_t cam[CAMERA_ID_LEN], uint8_t stream,
    uint64_t seq, int live_only, int64_t start_us, uint64_t *ticket)
{
	struct chan *ch;
	int live = -1;

	pthread_mutex_lock(&r->mu);
	if ((ch = chan_get(r, cam, stream, 1)) == NULL)
		goto out;
	live = 0;
	if (!chan_newer(ch, seq, live_only, start_us))
		goto out;
	ch->has_seq = 1;
	ch->last_seq = seq;
	ch->last_live_only = live_only != 0;
	ch->last_start_us = start_us;
	ch->open = 1;
	ch->last_push_us = mono_us();
	*ticket = ++ch->ticket;
	live = 1;
out:
	pthread_mutex_unlock(&r->mu);
	return live;
}

/* Drop the oldest record of the window. */
static void
chan_drop_front(struct chan *ch)
{
	struct rrec *rr = ch->recs[ch->start];

	ch->bytes -= rr->len;
	rrec_unref(rr);
	ch->recs[ch->start] = NULL;
	ch->start++;
	ch->first_idx++;
	if (ch->has_hdr && ch->hdr_idx < ch->first_idx)
		ch->has_hdr = 0;
	if (ch->has_prev && ch->prev_idx < ch->first_idx)
		ch->has_prev = 0;
}

static int
chan_append(struct chan *ch, struct rrec *rr)
{
	struct rrec **n;
	size_t live = ch->count - ch->start, ncap;

	if (ch->start > 0 && ch->count == ch->cap) {
		memmove(ch->recs, ch->recs + ch->start, live * sizeof(*ch->recs));
		ch->start = 0;
		ch->count = live;
	}
	if (ch->count == ch->cap) {
		ncap = ch->cap ? ch->cap * 2 : 64;
		if ((n = realloc(ch->recs, ncap * sizeof(*n))) == NULL)
			return -1;
		ch->recs = n;
		ch->cap = ncap;
	}
	ch->recs[ch->count++] = rr;
	ch->next_idx++;
	ch->bytes += rr->len;
	return 0;
}

static void
wake_viewers(struct chan *ch)
{
	struct relay_viewer *v;

	for (v = ch->viewers; v != NULL; v = v->next) {
		if (v->suspended) {
			v->suspended = 0;
			v->notify(v->arg, RELAY_RESUME);
		}
	}
}

int
relay_push(struct relay *r, const uint8_t cam[CAMERA_ID_LEN], uint8_t stream,
    uint64_t ticket, uint8_t type, const uint8_t *payload, uint32_t len)
{
	struct chan *ch;
	struct rrec *rr = NULL;
	uint64_t idx;
	int ret = -1;

	pthread_mutex_lock(&r->mu);
	if ((ch = chan_get(r, cam, stream, 1)) == NULL)
		goto out;
	ch->last_push_us = mono_us();
	if (!ch->has_seq || ch->ticket != ticket) {
		ret = 1;
		goto out;
	}
	if ((rr = malloc(sizeof(*rr) + RECORD_HDR_LEN + (size_t)len)) == NULL)
		goto out;
	rr->refs = 1;
	rr->len = RECORD_HDR_LEN + (size_t)len;
	record_hdr(rr->data, type, len);
	if (len > 0)
		memcpy(rr->data + RECORD_HDR_LEN, payload, len);
	idx = ch->next_idx;
	if (chan_append(ch, rr) != 0)
		goto out;
	rr = NULL;
	if (type == REC_SEG_END || type == REC_GAP)
		ch->open = 0;
	if (type == REC_SEG_HEADER) {
		/* Keep the previous segment and the new one: drop what came before. */
		if (ch->has_hdr) {
			while (ch->first_idx < ch->hdr_idx)
				chan_drop_front(ch);
			ch->prev_idx = ch->hdr_idx;
			ch->has_prev = 1;
		} else {
			while (ch->first_idx < idx)
				chan_drop_front(ch);
		}
		ch->hdr_idx = idx;
		ch->has_hdr = 1;
	}
	while (ch->bytes > r->window_bytes && ch->count - ch->start > 1)
		chan_drop_front(ch);
	wake_viewers(ch);
	ret = 0;
out:
	free(rr);
	pthread_mutex_unlock(&r->mu);
	return ret;
}

size_t
relay_watched(struct relay *r, const uint8_t (*cams)[CAMERA_ID_LEN], size_t ncams,
    struct relay_watch *out, size_t max)
{
	struct chan *ch;
	size_t n = 0, c;

	pthread_mutex_lock(&r->mu);
	/* Channels hash by camera and stream: a lookup per stream index a camera may use
	 * (the console and CLI use 0 and 1), not a walk of every channel on the server. */
	for (c = 0; c < ncams && n < max; c++) {
		unsigned s;

		for (s = 0; s < RELAY_WATCH_STREAMS && n < max; s++) {
			ch = chan_get(r, cams[c], (uint8_t)s, 0);
			if (ch == NULL || ch->viewers == NULL)
				continue;
			memcpy(out[n].cam, ch->cam, CAMERA_ID_LEN);
			out[n].stream = ch->stream;
			n++;
		}
	}
	pthread_mutex_unlock(&r->mu);
	return n;
}

struct relay_viewer *
relay_viewer_add(struct relay *r, const uint8_t cam[CAMERA_ID_LEN], uint8_t stream,
    relay_notify_fn notify, void *arg, int64_t now)
{
	struct relay_viewer *v = NULL;
	struct chan *ch;

	pthread_mutex_lock(&r->mu);
	if ((ch = chan_get(r, cam, stream, 1)) == NULL)
		goto out;
	if ((v = calloc(1, sizeof(*v))) == NULL)
		goto out;
	v->r = r;
	v->ch = ch;
	v->notify = notify;
	v->arg = arg;
	v->last_send = now;
	if (ch->has_hdr)
		v->next_idx = ch->hdr_idx;
	else
		v->wait_header = 1;
	v->next = ch->viewers;
	if (ch->viewers != NULL)
		ch->viewers->prev = v;
	ch->viewers = v;
	metrics_gauge_add(MG_VIEWERS, 1);
out:
	pthread_mutex_unlock(&r->mu);
	return v;
}

/* Move a viewer to the next record to send; 1 when one is ready in v->partial. */
static int
viewer_advance(struct relay_viewer *v)
{
	struct chan *ch = v->ch;

	if (v->wait_header) {
		if (!ch->has_hdr || ch->hdr_idx < v->next_idx)
			return 0;
		v->next_idx = ch->hdr_idx;
		v->wait_header = 0;
	}
	if (v->next_idx < ch->first_idx) {
		/* Fell behind the window: skip to the newest segment start. */
		v->skips++;
		metrics_inc(MC_RELAY_SKIPS, 1);
		if (ch->has_hdr) {
			v->next_idx = ch->hdr_idx;
		} else {
			v->next_idx = ch->next_idx;
			v->wait_header = 1;
			return 0;
		}
	}
	if (v->next_idx >= ch->next_idx)
		return 0;
	v->partial = ch->recs[ch->start + (size_t)(v->next_idx - ch->first_idx)];
	v->partial->refs++;
	v->partial_off = 0;
	v->next_idx++;
	return 1;
}

ssize_t
relay_viewer_read(struct relay_viewer *v, uint8_t *buf, size_t max, int64_t now)
{
	struct relay *r = v->r;
	size_t n = 0, k;
	ssize_t ret;

	pthread_mutex_lock(&r->mu);
	if (r->closing) {
		ret = -1;
		goto out;
	}
	while (n < max) {
		if (v->partial == NULL && !viewer_advance(v))
			break;
		k = v->partial->len - v->partial_off;
		if (k > max - n)
			k = max - n;
		memcpy(buf + n, v->partial->data + v->partial_off, k);
		n += k;
		v->partial_off += k;
		if (v->partial_off == v->partial->len) {
			rrec_unref(v->partial);
			v->partial = NULL;
			metrics_inc(MC_RELAY_RECORDS, 1);
		}
	}
	if (n == 0 && v->partial == NULL && max >= RECORD_HDR_LEN &&
	    (v->keepalive_due || now - v->last_send >= RELAY_KEEPALIVE_US)) {
		record_hdr(buf, REC_KEEPALIVE, 0);
		n = RECORD_HDR_LEN;
	}
	v->keepalive_due = 0;
	if (n > 0) {
		v->last_send = now;
		ret = (ssize_t)n;
		goto out;
	}
	v->suspended = 1;
	v->notify(v->arg, RELAY_SUSPEND);
	ret = 0;
out:
	pthread_mutex_unlock(&r->mu);
	return ret;
}

uint64_t
relay_viewer_skips(const struct relay_viewer *v)
{
	return v->skips;
}

void
relay_viewer_remove(struct relay_viewer *v)
{
	struct relay *r;

	if (v == NULL)
		return;
	r = v->r;
	pthread_mutex_lock(&r->mu);
	if (v->prev != NULL)
		v->prev->next = v->next;
	else
		v->ch->viewers = v->next;
	if (v->next != NULL)
		v->next->prev = v->prev;
	rrec_unref(v->partial);
	pthread_mutex_unlock(&r->mu);
	metrics_gauge_add(MG_VIEWERS, -1);
	free(v);
}

void
relay_tick(struct relay *r, int64_t now)
{
	struct chan *ch;
	struct relay_viewer *v;
	int64_t live = 0;

	pthread_mutex_lock(&r->mu);
	for (ch = r->chans; ch != NULL; ch = ch->next) {
		live += ch->last_push_us > 0 && now - ch->last_push_us < RELAY_LIVE_US;
		for (v = ch->viewers; v != NULL; v = v->next) {
			if (v->suspended && now - v->last_send >= RELAY_KEEPALIVE_US) {
				v->keepalive_due = 1;
				v->suspended = 0;
				v->notify(v->arg, RELAY_RESUME);
			}
		}
	}
	pthread_mutex_unlock(&r->mu);
	metrics_gauge_set(MG_CAMERA_STREAMS, live);
}

void
relay_shutdown(struct relay *r)
{
	struct chan *ch;

	pthread_mutex_lock(&r->mu);
	r->closing = 1;
	for (ch = r->chans; ch != NULL; ch = ch->next)
		wake_viewers(ch);
	pthread_mutex_unlock(&r->mu);
}

size_t
relay_window_size(struct relay *r, const uint8_t cam[CAMERA_ID_LEN], uint8_t stream)
{
	struct chan *ch;
	size_t n = 0;

	pthread_mutex_lock(&r->mu);
	if ((ch = chan_get(r, cam, stream, 0)) != NULL)
		n = ch->bytes;
	pthread_mutex_unlock(&r->mu);
	return n;
}
