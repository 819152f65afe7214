/* syncer.h - group commit: a thread makes pending links durable in batches and wakes their uploads. */
#ifndef VIGIL_SERVER_SYNCER_H
#define VIGIL_SERVER_SYNCER_H

#include <stdint.h>
#include "server/index.h"

/* Links handed over and not yet taken by the syncer; a full queue blocks the submitter
 * (back-pressure on the HTTP thread) so memory stays bounded. */
#define SYNCER_QUEUE_MAX 4096
/* Links per batch: one fdatasync per distinct blob, then one index transaction. */
#define SYNCER_BATCH_MAX 1024
/* Threads that fdatasync a batch's blobs in parallel, besides the syncer thread. */
#define SYNCER_SYNC_THREADS 15

/* What a group of links has come to. */
enum sync_state { SYNC_PENDING = 0, SYNC_DONE = 1, SYNC_FAILED = 2 };

struct blobpool;
struct store_blob;
struct syncer;
struct sync_group;

/* Counters since syncer_new (for tests and logs). */
struct syncer_stats {
	uint64_t batches;     /* index transactions attempted */
	uint64_t links;       /* links taken from the queue */
	uint64_t blob_syncs;  /* fdatasync calls */
	uint64_t failed;      /* links that did not become durable */
};

/* Called once, from the syncer thread with the syncer's mutex held, when an armed group's
 * last link is finished; it must not call back into the syncer. */
typedef void (*sync_wake_fn)(void *arg);

/* A syncer without a thread (syncer_run_once drives it); NULL when out of memory. */
struct syncer *syncer_new(struct index *ix, struct blobpool *bp);
/* Start the thread that runs batches while links are pending, and its sync workers. 0 or
 * -1. */
int syncer_start(struct syncer *s);
/* Take up to SYNCER_BATCH_MAX queued links, fdatasync each distinct blob once, index the
 * synced links in one transaction, then settle their groups (waking armed ones) and unpin
 * their blobs. Returns the number of links taken. The thread's loop body; tests call it
 * directly on a syncer that was never started. Not reentrant. */
int syncer_run_once(struct syncer *s);
/* Refuse new links, finish every queued one (no link is dropped: each either becomes
 * durable or fails its group), join the thread. Groups stay usable for poll and release.
 * NULL-safe; idempotent. */
void syncer_stop(struct syncer *s);
/* Free after syncer_stop and after every group was released; NULL-safe. */
void syncer_free(struct syncer *s);
void syncer_stats(struct syncer *s, struct syncer_stats *out);
/* 1 while ingest is over capacity: the oldest link waiting to become durable has waited
 * more than 1.5 s, or the queue is half full; it stays 1 until the oldest waits less than
 * 0.5 s and the queue is nearly empty (hysteresis). Uploads are refused with 503 and
 * Retry-After meanwhile, so gateways spool instead of the HTTP thread blocking. */
int syncer_overloaded(struct syncer *s, int64_t now_us);
/* Fault injection for tests: batches take as long as a disk of bytes_per_s (0: off). */
void syncer_fault_slow_disk(struct syncer *s, uint64_t bytes_per_s);

/* A group gathers one upload's links; NULL when out of memory. */
struct sync_group *sync_group_new(struct syncer *s);
/* Hand over a link whose bytes are all written to b (the caller still holds b from
 * blobpool_acquire; the syncer pins it until the link is settled). Blocks while the queue
 * is full. 0, or -1 when the syncer is stopping (nothing was queued). */
int sync_group_submit(struct sync_group *g, struct store_blob *b, const struct index_link *l);
/* SYNC_PENDING while links are queued or in a batch; SYNC_DONE when every link submitted
 * so far is fsync'd and committed (duplicates count as committed); SYNC_FAILED when any
 * failed (*reason, if not NULL, gets a static text). */
int sync_group_poll(struct sync_group *g, const char **reason);
/* Like poll; when pending, also arm: wake(arg) is called once the group settles. The caller
 * must be ready to be woken before arming (e.g. its connection already suspended). */
int sync_group_arm(struct sync_group *g, sync_wake_fn wake, void *arg);
/* The owner is done with g: it is disarmed and freed now, or by the syncer once its last
 * queued link is settled. NULL-safe. */
void sync_group_release(struct sync_group *g);

#endif
