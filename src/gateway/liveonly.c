/* liveonly.c - the newest live-only link of one camera stream, handed from the recorder to the uploader, one link at a time. */
#include "gateway/liveonly.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/buf.h"

struct liveonly {
	pthread_mutex_t mu;
	pthread_cond_t cv;       /* a link begun, bytes appended, a link ended or dropped, stop */
	struct buf b;            /* the current link's bytes */
	uint64_t gen;            /* the current link, 0 before the first */
	int open;                /* the current link may still grow */
	int dropped;             /* the current link is gone (dropped, or outgrew the bound) */
	int stopping;
	atomic_int on_demand;    /* send only while watched */
	atomic_int watched;
};

struct liveonly *liveonly_new(void)
{
	struct liveonly *q = calloc(1, sizeof(*q));
	pthread_condattr_t ca;

	if (q == NULL)
		return NULL;
	pthread_mutex_init(&q->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&q->cv, &ca);
	pthread_condattr_destroy(&ca);
	buf_init(&q->b, LIVEONLY_LINK_MAX);
	atomic_init(&q->on_demand, 0);
	atomic_init(&q->watched, 0);
	return q;
}

void liveonly_set_on_demand(struct liveonly *q, int on)
{
	atomic_store(&q->on_demand, on != 0);
}

void liveonly_set_watched(struct liveonly *q, int watched)
{
	atomic_store(&q->watched, watched != 0);
}

int liveonly_wanted(struct liveonly *q)
{
	return !atomic_load(&q->on_demand) || atomic_load(&q->watched);
}

void liveonly_free(struct liveonly *q)
{
	if (q == NULL)
		return;
	buf_free(&q->b);
	pthread_cond_destroy(&q->cv);
	pthread_mutex_destroy(&q->mu);
	free(q);
}

int liveonly_begin(struct liveonly *q)
{
	pthread_mutex_lock(&q->mu);
	buf_reset(&q->b);
	q->gen++;
	q->open = 1;
	q->dropped = 0;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
	return 0;
}

int liveonly_append(struct liveonly *q, const uint8_t *p, size_t n)
{
	int ret = -1;

	pthread_mutex_lock(&q->mu);
	if (q->gen == 0 || !q->open || q->dropped)
		goto out;
	if (n > LIVEONLY_LINK_MAX - q->b.len || buf_put(&q->b, p, n) != 0) {
		q->dropped = 1;
		q->open = 0;
		buf_reset(&q->b);
		goto out;
	}
	ret = 0;
out:
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
	return ret;
}

void liveonly_end(struct liveonly *q)
{
	pthread_mutex_lock(&q->mu);
	q->open = 0;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
}

void liveonly_drop(struct liveonly *q)
{
	pthread_mutex_lock(&q->mu);
	if (q->gen != 0 && (q->open || !q->dropped)) {
		q->dropped = 1;
		q->open = 0;
		buf_reset(&q->b);
		pthread_cond_broadcast(&q->cv);
	}
	pthread_mutex_unlock(&q->mu);
}

/* Wait on the condvar until the monotonic deadline; the mutex is held. 0, or ETIMEDOUT. */
static int wait_until(struct liveonly *q, const struct timespec *deadline)
{
	return pthread_cond_timedwait(&q->cv, &q->mu, deadline);
}

static void deadline_in(struct timespec *ts, int ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

int liveonly_wait(struct liveonly *q, uint64_t after, uint64_t *gen, int timeout_ms)
{
	struct timespec ts;
	int ret = 0;

	deadline_in(&ts, timeout_ms);
	pthread_mutex_lock(&q->mu);
	for (;;) {
		if (q->stopping) {
			ret = LIVEONLY_STOPPED;
			break;
		}
		/* A dropped link is not worth starting: wait for the next one. */
		if (q->gen > after && !q->dropped) {
			*gen = q->gen;
			ret = 1;
			break;
		}
		if (wait_until(q, &ts) == ETIMEDOUT)
			break;
	}
	pthread_mutex_unlock(&q->mu);
	return ret;
}

ssize_t liveonly_read(struct liveonly *q, uint64_t gen, uint64_t off, void *p, size_t max,
    int timeout_ms)
{
	struct timespec ts;
	ssize_t ret = LIVEONLY_AGAIN;
	size_t n;

	deadline_in(&ts, timeout_ms);
	pthread_mutex_lock(&q->mu);
	for (;;) {
		if (q->stopping) {
			ret = LIVEONLY_STOPPED;
			break;
		}
		if (q->gen != gen || q->dropped) {
			ret = LIVEONLY_GONE;
			break;
		}
		if (off < q->b.len) {
			n = q->b.len - (size_t)off;
			if (n > max)
				n = max;
			memcpy(p, q->b.data + off, n);
			ret = (ssize_t)n;
			break;
		}
		if (!q->open) {
			ret = LIVEONLY_END;
			break;
		}
		if (wait_until(q, &ts) == ETIMEDOUT)
			break;
	}
	pthread_mutex_unlock(&q->mu);
	return ret;
}

void liveonly_stop(struct liveonly *q)
{
	pthread_mutex_lock(&q->mu);
	q->stopping = 1;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
}
