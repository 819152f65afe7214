/* retention.c - crash-safe expiry: index rows go first in a transaction, then whole unreferenced blobs. */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "common/util.h"
#include "server/blobpool.h"
#include "server/events.h"
#include "server/identity.h"
#include "server/index.h"
#include "server/metrics.h"
#include "server/orgs.h"
#include "server/relay.h"
#include "server/retention.h"
#include "server/routes.h"
#include "server/server.h"
#include "server/store.h"

#define RETENTION_BLOB_BATCH 64
/* A pass deletes index batches (INDEX_DELETE_BATCH links each, one transaction each) for at
 * most this long; what is left waits for the next pass, so a large deletion (a removed
 * camera's year, a retention cut from a year to a week) never holds the index for long and
 * the thread still sees a stop within a pass. Between batches it pauses so that the
 * ingest and request threads waiting for the index's lock get it first. */
#define RETENTION_PASS_BUDGET_US 2000000
#define RETENTION_BATCH_PAUSE_US 2000

struct retention {
	struct server *srv;
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stop;
};

/* Between two batches of one pass: 1 after a pause when the pass has time left, else 0. */
static int
batch_again(int64_t t0)
{
	struct timespec ts = { 0, RETENTION_BATCH_PAUSE_US * 1000 };

	if (mono_us() - t0 >= RETENTION_PASS_BUDGET_US)
		return 0;
	nanosleep(&ts, NULL);
	return 1;
}

/* Each organization with a storage quota: its oldest footage goes while its cameras hold more
 * than the quota (index_quota.c). Links deleted, or -1. */
static int64_t
org_quotas_pass(struct server *srv, int64_t now, int64_t t0)
{
	struct orgs_quota *q = NULL;
	uint8_t (*cams)[STMT_ID_LEN] = NULL;
	size_t nq = 0, nc, i;
	int64_t total = 0, deleted, org_deleted;
	int rc = 0;

	if (srv->idn == NULL || srv->idn->orgs == NULL)
		return 0;
	if (orgs_quota_list(srv->idn->orgs, now, &q, &nq) != 0)
		return -1;
	/* Every organization gets at least one batch a pass, even when an earlier one (or the
	 * purge) used the pass's time: one organization's backlog must not hold back the
	 * others' quotas. */
	for (i = 0; i < nq && rc >= 0; i++) {
		if (orgs_camera_ids(srv->idn->orgs, q[i].org, &cams, &nc) != 0) {
			total = -1;
			break;
		}
		org_deleted = 0;
		do {
			if ((rc = index_expire_cameras(srv->ix, cams, nc, q[i].bytes, &deleted)) < 0)
				break;
			org_deleted += deleted;
		} while (rc == 1 && batch_again(t0));
		free(cams);
		cams = NULL;
		if (org_deleted > 0) {
			log_info("retention", "op=org_quota org=%s quota_bytes=%llu links=%lld%s",
			    q[i].org, (unsigned long long)q[i].bytes, (long long)org_deleted,
			    rc == 1 ? " more=next_pass" : "");
			total += org_deleted;
		}
		if (rc < 0)
			total = -1;
	}
	free(cams);
	free(q);
	return total;
}

/* Motion events go with the footage they point at (events_pass): a cycle starts at most
 * this often. */
#define RETENTION_EVENTS_EVERY_US (60 * 1000000LL)

struct events_cut {
	uint8_t cam[CAMERA_ID_LEN];
	int64_t first_us;     /* the camera's oldest footage, over its streams */
};

struct events_cuts {
	struct events_cut *v;
	size_t n, cap;
	int oom;
};

/* index_streams_list callback (under the index's lock: it only collects; streams come
 * grouped by camera). */
static int
events_cut_stream(void *ctx, const struct index_stream_summary *s)
{
	struct events_cuts *c = ctx;
	struct events_cut *nv;

	if (s->segments <= 0)
		return 0;
	if (c->n > 0 && memcmp(c->v[c->n - 1].cam, s->camera_id, CAMERA_ID_LEN) == 0) {
		if (s->first_us < c->v[c->n - 1].first_us)
			c->v[c->n - 1].first_us = s->first_us;
		return 0;
	}
	if (c->n == c->cap) {
		if ((nv = realloc(c->v, (c->cap ? 2 * c->cap : 64) * sizeof(*nv))) == NULL) {
			c->oom = 1;
			return 1;
		}
		c->v = nv;
		c->cap = c->cap ? 2 * c->cap : 64;
	}
	memcpy(c->v[c->n].cam, s->camera_id, CAMERA_ID_LEN);
	c->v[c->n++].first_us = s->first_us;
	return 0;
}

/*
 * Two phases a cycle, each resumable. First the footage: pages of RETENTION_EVENTS_PAGE
 * streams, each read under the index's lock and released before that page's deletions on
 * the event store; a camera's events that ended before its oldest recording go. Then the
 * age: every camera with events, one index seek each, loses those older than its maximum
 * age (its own, else the server's default; none when it keeps footage until the quota), so
 * a camera whose footage has all expired, offline or out of service, does not keep its
 * thumbnails. The pass stops when its time is spent (the budget shared with the deletions
 * above) and the next pass resumes where it stopped. A cycle starts at most once a minute.
 */
#define RETENTION_EVENTS_PAGE 1024

/* Phase 1, one page. Deleted count, or -1. */
static int64_t
events_footage_page(struct server *srv, struct events *ev, struct events_cycle *y,
    struct events_cuts *c)
{
	int64_t deleted = 0;
	size_t i, keep;
	int r, n;

	c->n = 0;
	r = index_streams_list_after(srv->ix, y->resuming ? y->resume : NULL, RETENTION_EVENTS_PAGE,
	    events_cut_stream, c);
	if (r < 0 || c->oom)
		return -1;
	/* A full page may end inside a camera's streams: that camera is the next page's. */
	keep = r == RETENTION_EVENTS_PAGE && c->n > 1 ? c->n - 1 : c->n;
	for (i = 0; i < keep; i++)
		if ((n = events_expire_before(ev, c->v[i].cam, c->v[i].first_us)) > 0)
			deleted += n;
	y->resuming = r == RETENTION_EVENTS_PAGE && keep > 0;
	if (y->resuming)
		memcpy(y->resume, c->v[keep - 1].cam, CAMERA_ID_LEN);
	else
		y->phase = 2;
	return deleted;
}

/* Phase 2, one camera. Deleted count, or -1. */
static int64_t
events_age_step(struct server *srv, struct events *ev, struct events_cycle *y, int64_t now)
{
	uint8_t cam[CAMERA_ID_LEN];
	int64_t age = srv->retention_s;
	int r, n;

	r = events_camera_next(ev, y->resuming ? y->resume : NULL, cam);
	if (r <= 0) {
		y->phase = 0;
		y->resuming = 0;
		return r < 0 ? -1 : 0;
	}
	memcpy(y->resume, cam, CAMERA_ID_LEN);
	y->resuming = 1;
	/* One camera's error skips that camera, not the rest of the cycle. */
	r = index_camera_retention(srv->ix, cam, &age);
	if (r == 0 || r == INDEX_E_NOTFOUND)
		age = srv->retention_s;
	else if (r < 0)
		return 0;
	if (age <= 0)
		return 0;
	n = events_expire_before(ev, cam, now - age * 1000000);
	return n > 0 ? n : 0;
}

static void
events_pass(struct server *srv, int64_t t0, int64_t now)
{
	struct events_cycle *y = &srv->ev_cycle;
	struct events_cuts c = { 0 };
	struct events *ev = h_events_store(srv);
	int64_t deleted = 0, d = 0;

	if (ev == NULL)
		return;
	if (y->phase == 0) {
		if (y->started_at != 0 && mono_us() - y->started_at < RETENTION_EVENTS_EVERY_US)
			return;
		y->started_at = mono_us();
		y->phase = 1;
		y->resuming = 0;
	}
	do {
		if (y->phase == 1)
			d = events_footage_page(srv, ev, y, &c);
		else
			d = events_age_step(srv, ev, y, now);
		if (d < 0) {
			y->phase = 0;
			break;
		}
		deleted += d;
	} while (y->phase != 0 && mono_us() - t0 < RETENTION_PASS_BUDGET_US);
	free(c.v);
	if (deleted > 0)
		log_info("retention", "op=expire_events events=%lld%s", (long long)deleted,
		    y->phase != 0 ? " more=next_pass" : "");
}

int
retention_pass(struct server *srv, int64_t now)
{
	struct index_blob ob[RETENTION_BLOB_BATCH];
	int64_t deleted, total = 0, t0 = mono_us(), pending_cams, pending_bytes;
	int n, i, rc, removed = 0;

	/* Removed cameras first: their footage is owned by no one and counts against no quota. */
	do {
		if ((rc = index_purge_removed(srv->ix, &deleted)) < 0)
			return -1;
		total += deleted;
	} while (rc == 1 && batch_again(t0));
	if (total > 0)
		log_info("retention", "op=purge_removed links=%lld%s", (long long)total,
		    rc == 1 ? " more=next_pass" : "");
	if (index_purge_pending(srv->ix, &pending_cams, &pending_bytes) == 0) {
		metrics_gauge_set(MG_PURGE_CAMERAS, pending_cams);
		metrics_gauge_set(MG_PURGE_BYTES, pending_bytes);
	}
	total = 0;
	do {
		if ((rc = index_expire(srv->ix, now, srv->retention_s, srv->quota_bytes, &deleted)) < 0)
			return -1;
		total += deleted;
	} while (rc == 1 && batch_again(t0));
	if (total > 0)
		log_info("retention", "op=expire links=%lld%s", (long long)total,
		    rc == 1 ? " more=next_pass" : "");
	if (org_quotas_pass(srv, now, t0) < 0)
		return -1;
	/* Blob rows outlive their files only between these two steps; the next pass (or the
	 * next start) finishes whatever a crash interrupted, or what the pass's time left. */
	do {
		if ((n = index_blob_orphans(srv->ix, ob, RETENTION_BLOB_BATCH)) < 0)
			return -1;
		for (i = 0; i < n; i++) {
			if (store_blob_remove(srv->st, ob[i].camera_id, ob[i].stream, ob[i].id) != 0 ||
			    index_blob_delete(srv->ix, ob[i].id) != 0)
				return -1;
			removed++;
		}
	} while (n == RETENTION_BLOB_BATCH && mono_us() - t0 < RETENTION_PASS_BUDGET_US);
	if (removed > 0)
		log_info("retention", "op=remove blobs=%d", removed);
	events_pass(srv, t0, now);
	return 0;
}

static void *
retention_main(void *arg)
{
	struct retention *r = arg;
	struct timespec ts;
	int ticks = 0;

	pthread_mutex_lock(&r->mu);
	while (!r->stop) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 1;
		pthread_cond_timedwait(&r->cv, &r->mu, &ts);
		if (r->stop)
			break;
		pthread_mutex_unlock(&r->mu);
		relay_tick(r->srv->rl, mono_us());
		blobpool_tick(r->srv->bp, mono_us());
		if (++ticks >= RETENTION_INTERVAL_S) {
			ticks = 0;
			if (retention_pass(r->srv, now_us()) != 0)
				log_err("retention", "op=pass err=failed");
		}
		pthread_mutex_lock(&r->mu);
	}
	pthread_mutex_unlock(&r->mu);
	return NULL;
}

int
retention_start(struct retention **rp, struct server *srv)
{
	struct retention *r;

	*rp = NULL;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return -1;
	r->srv = srv;
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cv, NULL);
	if (pthread_create(&r->th, NULL, retention_main, r) != 0) {
		pthread_mutex_destroy(&r->mu);
		pthread_cond_destroy(&r->cv);
		free(r);
		return -1;
	}
	*rp = r;
	return 0;
}

void
retention_stop(struct retention *r)
{
	if (r == NULL)
		return;
	pthread_mutex_lock(&r->mu);
	r->stop = 1;
	pthread_cond_signal(&r->cv);
	pthread_mutex_unlock(&r->mu);
	pthread_join(r->th, NULL);
	pthread_mutex_destroy(&r->mu);
	pthread_cond_destroy(&r->cv);
	free(r);
}
