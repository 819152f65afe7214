/* syncer.c - group commit off the HTTP thread: one fdatasync per blob and one transaction per batch. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "common/util.h"
#include "server/blobpool.h"
#include "server/metrics.h"
#include "server/store.h"
#include "server/syncer.h"

/* A batch slower than this is logged (sync and commit times). */
#define SYNCER_SLOW_US 100000
/* Load shedding with hysteresis: start when the oldest queued link has waited this long or
 * the queue is half full; stop once the oldest waits less than the low mark and the queue
 * is nearly empty. */
#define SYNCER_SHED_AGE_US 1500000
#define SYNCER_SHED_LOW_US 500000

/* One link waiting to become durable. */
struct pending {
	struct sync_group *g;
	struct store_blob *b;
	struct index_link l;
	int64_t queued_us;      /* monotonic time it was submitted */
};

struct sync_group {
	struct syncer *s;
	unsigned pending;       /* submitted and not yet settled */
	int failed;
	const char *reason;     /* static text, first failure */
	int released;           /* the owner let go: the syncer frees it when pending hits 0 */
	sync_wake_fn wake;      /* armed when not NULL */
	void *arg;
};

struct syncer {
	pthread_mutex_t mu;
	pthread_cond_t work;    /* queue not empty, or stopping */
	pthread_cond_t space;   /* queue not full, or stopping */
	struct index *ix;
	struct blobpool *bp;
	struct pending *q;      /* ring of SYNCER_QUEUE_MAX */
	size_t head, len;
	int stopping;
	int shedding;           /* over capacity: new uploads are refused (syncer_overloaded) */
	int64_t batch_start_us; /* the running batch's oldest submission, 0 when idle */
	uint64_t fault_bytes_per_s; /* fault injection: a disk this slow (0: off) */
	int running;            /* the thread was started and not yet joined */
	pthread_t th;
	struct syncer_stats st;
	/* Batch scratch, used only by syncer_run_once (one caller at a time). */
	struct pending *batch;
	struct index_link *rows;
	int *res;
	int *ok;                /* per batch entry: its blob synced */
	size_t *bi;             /* per batch entry: index of its blob in ub */
	/* The distinct blobs of a batch, synced in parallel by the sync workers and the
	 * syncer thread itself (fdatasyncs of different files overlap on the device; one
	 * after another they cost a flush each). Under jmu. */
	pthread_mutex_t jmu;
	pthread_cond_t jgo;     /* work posted, or quitting */
	pthread_cond_t jdone;   /* the last blob of the round is synced */
	struct store_blob **ub;
	int *uok;
	size_t jn, jnext, jleft;
	int jquit;
	pthread_t workers[SYNCER_SYNC_THREADS];
	int nworkers;
};

struct syncer *
syncer_new(struct index *ix, struct blobpool *bp)
{
	struct syncer *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->work, NULL);
	pthread_cond_init(&s->space, NULL);
	s->ix = ix;
	s->bp = bp;
	s->q = calloc(SYNCER_QUEUE_MAX, sizeof(*s->q));
	s->batch = calloc(SYNCER_BATCH_MAX, sizeof(*s->batch));
	s->rows = calloc(SYNCER_BATCH_MAX, sizeof(*s->rows));
	s->res = calloc(SYNCER_BATCH_MAX, sizeof(*s->res));
	s->ok = calloc(SYNCER_BATCH_MAX, sizeof(*s->ok));
	s->bi = calloc(SYNCER_BATCH_MAX, sizeof(*s->bi));
	s->ub = calloc(SYNCER_BATCH_MAX, sizeof(*s->ub));
	s->uok = calloc(SYNCER_BATCH_MAX, sizeof(*s->uok));
	pthread_mutex_init(&s->jmu, NULL);
	pthread_cond_init(&s->jgo, NULL);
	pthread_cond_init(&s->jdone, NULL);
	if (s->q == NULL || s->batch == NULL || s->rows == NULL || s->res == NULL || s->ok == NULL ||
	    s->bi == NULL || s->ub == NULL || s->uok == NULL) {
		syncer_free(s);
		return NULL;
	}
	return s;
}

void
syncer_free(struct syncer *s)
{
	if (s == NULL)
		return;
	syncer_stop(s);
	free(s->q);
	free(s->batch);
	free(s->rows);
	free(s->res);
	free(s->ok);
	free(s->bi);
	free(s->ub);
	free(s->uok);
	pthread_cond_destroy(&s->jgo);
	pthread_cond_destroy(&s->jdone);
	pthread_mutex_destroy(&s->jmu);
	pthread_cond_destroy(&s->work);
	pthread_cond_destroy(&s->space);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

/* Sync posted blobs until none is left to take; the caller holds jmu (released around
 * each fdatasync). */
static void
sync_some(struct syncer *s)
{
	size_t k;
	int r;

	while (s->jnext < s->jn) {
		k = s->jnext++;
		pthread_mutex_unlock(&s->jmu);
		r = store_blob_sync(s->ub[k]);
		pthread_mutex_lock(&s->jmu);
		s->uok[k] = r == 0;
		if (--s->jleft == 0)
			pthread_cond_signal(&s->jdone);
	}
}

static void *
worker_main(void *arg)
{
	struct syncer *s = arg;

	pthread_mutex_lock(&s->jmu);
	while (!s->jquit) {
		if (s->jnext < s->jn)
			sync_some(s);
		else
			pthread_cond_wait(&s->jgo, &s->jmu);
	}
	pthread_mutex_unlock(&s->jmu);
	return NULL;
}

/* fdatasync every distinct blob of the batch once, in parallel; ok[i] tells whether link
 * i's blob made it. Returns the number of blobs synced. */
static size_t
sync_blobs(struct syncer *s, size_t n)
{
	size_t i, j, nb = 0;

	for (i = 0; i < n; i++) {
		for (j = 0; j < nb; j++)
			if (s->ub[j] == s->batch[i].b)
				break;
		if (j == nb)
			s->ub[nb++] = s->batch[i].b;
		s->bi[i] = j;
	}
	pthread_mutex_lock(&s->jmu);
	s->jn = nb;
	s->jnext = 0;
	s->jleft = nb;
	if (s->nworkers > 0 && nb > 1)
		pthread_cond_broadcast(&s->jgo);
	sync_some(s);
	while (s->jleft > 0)
		pthread_cond_wait(&s->jdone, &s->jmu);
	s->jn = s->jnext = 0;
	pthread_mutex_unlock(&s->jmu);
	for (i = 0; i < n; i++)
		s->ok[i] = s->uok[s->bi[i]];
	return nb;
}

/* A link is settled: count it in its group, fail the group if it failed, wake or free the
 * group when it was the last. The caller holds the mutex. */
static void
settle(struct syncer *s, struct sync_group *g, const char *fail)
{
	if (fail != NULL && !g->failed) {
		g->failed = 1;
		g->reason = fail;
	}
	if (--g->pending > 0)
		return;
	if (g->released) {
		free(g);
		return;
	}
	if (g->wake != NULL) {
		g->wake(g->arg);
		g->wake = NULL;
		g->arg = NULL;
	}
}

static void
log_link(const struct index_link *l)
{
	char hex[2 * CAMERA_ID_LEN + 1];

	hex_encode(l->camera_id, CAMERA_ID_LEN, hex);
	log_info("ingest", "op=link camera=%s stream=%u seq=%llu kind=%s bytes=%llu blob=%lld",
	    hex, (unsigned)l->stream, (unsigned long long)l->seq,
	    l->kind == LINK_GAP ? "gap" : "segment", (unsigned long long)l->length,
	    (long long)l->blob_id);
}

/* Fault injection (tests): make the batch take as long as a disk writing
 * fault_bytes_per_s would, so a test can offer twice what the server holds. */
static void
fault_slow_disk(struct syncer *s, size_t n, int64_t t0)
{
	uint64_t bytes = 0;
	int64_t want, left;
	size_t i;

	for (i = 0; i < n; i++)
		bytes += s->batch[i].l.length;
	want = (int64_t)(bytes * 1000000u / s->fault_bytes_per_s);
	left = t0 + want - mono_us();
	if (left > 0) {
		struct timespec ts = { left / 1000000, (left % 1000000) * 1000 };

		while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
			;
	}
}

int
syncer_run_once(struct syncer *s)
{
	size_t n, i, m, nb;
	int64_t t0, t1, t2;
	const char *fail;
	int r;

	pthread_mutex_lock(&s->mu);
	n = s->len < SYNCER_BATCH_MAX ? s->len : SYNCER_BATCH_MAX;
	for (i = 0; i < n; i++)
		s->batch[i] = s->q[(s->head + i) % SYNCER_QUEUE_MAX];
	s->batch_start_us = n > 0 ? s->batch[0].queued_us : 0;
	s->head = (s->head + n) % SYNCER_QUEUE_MAX;
	s->len -= n;
	if (n > 0)
		pthread_cond_broadcast(&s->space);
	pthread_mutex_unlock(&s->mu);
	if (n == 0)
		return 0;

	/* Bytes first: a row may only name bytes that are on stable storage. */
	t0 = mono_us();
	nb = sync_blobs(s, n);
	if (s->fault_bytes_per_s > 0)
		fault_slow_disk(s, n, t0);
	t1 = mono_us();
	for (i = m = 0; i < n; i++)
		if (s->ok[i])
			s->rows[m++] = s->batch[i].l;
	r = m > 0 ? index_links_add(s->ix, s->rows, m, s->res) : 0;
	if (r != 0)
		log_err("syncer", "op=commit links=%zu err=index", m);
	t2 = mono_us();
	if (t2 - t0 >= SYNCER_SLOW_US)
		log_info("syncer", "op=slow_batch links=%zu blobs=%zu sync_ms=%lld commit_ms=%lld", n, nb,
		    (long long)(t1 - t0) / 1000, (long long)(t2 - t1) / 1000);

	pthread_mutex_lock(&s->mu);
	s->batch_start_us = 0;
	s->st.batches += m > 0;
	s->st.links += n;
	s->st.blob_syncs += nb;
	t1 = mono_us();
	for (i = m = 0; i < n; i++) {
		/* res[] has a slot per stored link only (the ok ones, in order). */
		fail = !s->ok[i] ? "store error" : r != 0 ? "index error" :
		    s->res[m] == INDEX_E_NOTFOUND ? "camera removed" : NULL;
		m += s->ok[i];
		s->st.failed += fail != NULL;
		settle(s, s->batch[i].g, fail);
		if (fail == NULL) {
			metrics_inc(s->batch[i].l.kind == LINK_GAP ? MC_INGEST_GAPS : MC_INGEST_SEGMENTS, 1);
			metrics_observe(MH_ACK_LATENCY, MR_OTHER, t1 - s->batch[i].queued_us);
		}
	}
	pthread_mutex_unlock(&s->mu);

	for (i = m = 0; i < n; i++) {
		if (s->ok[i] && r == 0 && s->res[m] == 0)
			log_link(&s->batch[i].l);
		m += s->ok[i];
		blobpool_unpin(s->bp, s->batch[i].b, mono_us());
		s->batch[i].b = NULL;
		s->batch[i].g = NULL;
	}
	return (int)n;
}

static void *
syncer_main(void *arg)
{
	struct syncer *s = arg;

	pthread_mutex_lock(&s->mu);
	for (;;) {
		while (s->len == 0 && !s->stopping)
			pthread_cond_wait(&s->work, &s->mu);
		/* Stopping still drains: every queued link is settled before the thread ends. */
		if (s->len == 0)
			break;
		pthread_mutex_unlock(&s->mu);
		syncer_run_once(s);
		pthread_mutex_lock(&s->mu);
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

int
syncer_start(struct syncer *s)
{
	while (s->nworkers < SYNCER_SYNC_THREADS &&
	    pthread_create(&s->workers[s->nworkers], NULL, worker_main, s) == 0)
		s->nworkers++;
	if (pthread_create(&s->th, NULL, syncer_main, s) != 0)
		return -1;
	s->running = 1;
	return 0;
}

void
syncer_stop(struct syncer *s)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->mu);
	s->stopping = 1;
	pthread_cond_broadcast(&s->work);
	pthread_cond_broadcast(&s->space);
	pthread_mutex_unlock(&s->mu);
	if (s->running) {
		pthread_join(s->th, NULL);
		s->running = 0;
	}
	/* Without a thread (tests) the caller's thread drains. */
	while (syncer_run_once(s) > 0)
		;
	pthread_mutex_lock(&s->jmu);
	s->jquit = 1;
	pthread_cond_broadcast(&s->jgo);
	pthread_mutex_unlock(&s->jmu);
	for (; s->nworkers > 0; s->nworkers--)
		pthread_join(s->workers[s->nworkers - 1], NULL);
}

void
syncer_stats(struct syncer *s, struct syncer_stats *out)
{
	pthread_mutex_lock(&s->mu);
	*out = s->st;
	pthread_mutex_unlock(&s->mu);
}

struct sync_group *
sync_group_new(struct syncer *s)
{
	struct sync_group *g;

	if ((g = calloc(1, sizeof(*g))) == NULL)
		return NULL;
	g->s = s;
	return g;
}

int
sync_group_submit(struct sync_group *g, struct store_blob *b, const struct index_link *l)
{
	struct syncer *s = g->s;
	struct pending *p;
	int r = -1;

	/* Pinned before it is queued: the blob cannot be sealed and closed under the syncer. */
	blobpool_pin(s->bp, b);
	pthread_mutex_lock(&s->mu);
	while (!s->stopping && s->len == SYNCER_QUEUE_MAX)
		pthread_cond_wait(&s->space, &s->mu);
	if (s->stopping)
		goto out;
	p = &s->q[(s->head + s->len) % SYNCER_QUEUE_MAX];
	p->g = g;
	p->b = b;
	p->l = *l;
	p->queued_us = mono_us();
	s->len++;
	g->pending++;
	pthread_cond_signal(&s->work);
	r = 0;
out:
	pthread_mutex_unlock(&s->mu);
	if (r != 0)
		blobpool_unpin(s->bp, b, mono_us());
	return r;
}

int
syncer_overloaded(struct syncer *s, int64_t now_us)
{
	int64_t oldest = 0;
	int r;

	pthread_mutex_lock(&s->mu);
	if (s->batch_start_us > 0)
		oldest = s->batch_start_us;
	else if (s->len > 0)
		oldest = s->q[s->head].queued_us;
	if (!s->shedding && ((oldest > 0 && now_us - oldest > SYNCER_SHED_AGE_US) ||
	    s->len >= SYNCER_QUEUE_MAX / 2)) {
		s->shedding = 1;
		log_warn("syncer", "op=shed_start queued=%zu oldest_ms=%lld", s->len,
		    (long long)(oldest > 0 ? (now_us - oldest) / 1000 : 0));
	} else if (s->shedding && (oldest == 0 || now_us - oldest < SYNCER_SHED_LOW_US) &&
	    s->len < SYNCER_QUEUE_MAX / 8) {
		s->shedding = 0;
		log_info("syncer", "op=shed_stop queued=%zu", s->len);
	}
	r = s->shedding;
	pthread_mutex_unlock(&s->mu);
	return r;
}

void
syncer_fault_slow_disk(struct syncer *s, uint64_t bytes_per_s)
{
	pthread_mutex_lock(&s->mu);
	s->fault_bytes_per_s = bytes_per_s;
	pthread_mutex_unlock(&s->mu);
}

/* The group's state; the caller holds the mutex. */
static int
group_state(const struct sync_group *g, const char **reason)
{
	if (reason != NULL)
		*reason = g->reason;
	if (g->pending > 0)
		return SYNC_PENDING;
	return g->failed ? SYNC_FAILED : SYNC_DONE;
}

int
sync_group_poll(struct sync_group *g, const char **reason)
{
	int r;

	pthread_mutex_lock(&g->s->mu);
	r = group_state(g, reason);
	pthread_mutex_unlock(&g->s->mu);
	return r;
}

int
sync_group_arm(struct sync_group *g, sync_wake_fn wake, void *arg)
{
	int r;

	pthread_mutex_lock(&g->s->mu);
	r = group_state(g, NULL);
	if (r == SYNC_PENDING) {
		g->wake = wake;
		g->arg = arg;
	}
	pthread_mutex_unlock(&g->s->mu);
	return r;
}

void
sync_group_release(struct sync_group *g)
{
	struct syncer *s;

	if (g == NULL)
		return;
	s = g->s;
	pthread_mutex_lock(&s->mu);
	g->wake = NULL;
	g->arg = NULL;
	if (g->pending == 0)
		free(g);
	else
		g->released = 1;
	pthread_mutex_unlock(&s->mu);
}
