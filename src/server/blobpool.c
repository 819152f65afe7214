/* blobpool.c - open blob bookkeeping: creation through the index, sealing with fsync, both kept off the ingest thread once a stream is running. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "common/util.h"
#include "server/blobpool.h"
#include "server/index.h"
#include "server/store.h"

struct openblob {
	struct openblob *next;
	uint8_t cam[CAMERA_ID_LEN];
	uint8_t stream;
	int busy;                   /* a writer holds it */
	int broken;                 /* a write failed: seal as soon as nobody uses it */
	unsigned pins;              /* links the syncer has yet to make durable */
	int64_t created;
	int64_t used;               /* last handed back by a writer (0: never) */
	struct store_blob *b;
};

struct blobpool {
	pthread_mutex_t mu;
	struct index *ix;
	struct store *st;
	struct openblob *open;
};

struct blobpool *
blobpool_new(struct index *ix, struct store *st)
{
	struct blobpool *bp;

	if ((bp = calloc(1, sizeof(*bp))) == NULL)
		return NULL;
	pthread_mutex_init(&bp->mu, NULL);
	bp->ix = ix;
	bp->st = st;
	return bp;
}

/* Sync, mark sealed in the index, close and free. */
static void
seal(struct blobpool *bp, struct openblob *ob)
{
	uint64_t size = store_blob_size(ob->b);
	int64_t id = store_blob_id(ob->b);

	store_blob_sync(ob->b);
	if (index_blob_seal(bp->ix, id, size) != 0)
		log_err("blob", "op=seal blob=%lld err=index", (long long)id);
	else
		log_info("blob", "op=seal blob=%lld bytes=%llu", (long long)id,
		    (unsigned long long)size);
	store_blob_close(ob->b);
	free(ob);
}

/* Broken, full or old: to be sealed, never handed out again. The tick seals it once no
 * writer holds it and no link pins it; the next link of its stream gets another blob
 * meanwhile. */
static int
due(const struct openblob *ob, int64_t now)
{
	return ob->broken || store_blob_size(ob->b) >= BLOB_MAX_BYTES ||
	    now - ob->created >= BLOB_MAX_AGE_US;
}

/*
 * Sealing (an fsync and an index commit) and creating (an index commit) each wait for the
 * disk. On the ingest thread they stalled every camera: cameras that start together rotate
 * together, and 320 of them at once held ingest up for about a second every minute
 * (docs/design/storage.md). So the periodic tick (blobpool_tick, on the retention thread)
 * seals what is due, outside the pool's lock, and opens each running stream's next blob
 * ROTATE_LEAD_US before the current one is due; a writer picks the newest idle blob of its
 * stream, so it moves to the successor by itself. Only a stream's first link after the
 * server starts (or one with no successor ready) creates a blob on the ingest thread.
 */
#define ROTATE_LEAD_US (10LL * 1000000)
#define TICK_MAX 1024              /* blobs sealed or opened by one tick; the rest next tick */

void
blobpool_free(struct blobpool *bp)
{
	struct openblob *ob, *nx;

	if (bp == NULL)
		return;
	for (ob = bp->open; ob != NULL; ob = nx) {
		nx = ob->next;
		seal(bp, ob);
	}
	pthread_mutex_destroy(&bp->mu);
	free(bp);
}

int
blobpool_acquire(struct blobpool *bp, const uint8_t cam[CAMERA_ID_LEN], uint8_t stream, int64_t now,
    struct store_blob **out)
{
	struct openblob *ob = NULL;
	int64_t id;
	int r = -1;

	*out = NULL;
	pthread_mutex_lock(&bp->mu);
	for (ob = bp->open; ob != NULL; ob = ob->next)
		if (!ob->busy && !due(ob, now) && ob->stream == stream &&
		    memcmp(ob->cam, cam, CAMERA_ID_LEN) == 0)
			break;
	if (ob == NULL) {
		if ((ob = calloc(1, sizeof(*ob))) == NULL)
			goto out;
		if (index_blob_new(bp->ix, cam, stream, now_us(), &id) != 0 ||
		    store_blob_create(bp->st, cam, stream, id, &ob->b) != 0) {
			free(ob);
			ob = NULL;
			goto out;
		}
		memcpy(ob->cam, cam, CAMERA_ID_LEN);
		ob->stream = stream;
		ob->created = now;
		ob->next = bp->open;
		bp->open = ob;
	}
	ob->busy = 1;
	*out = ob->b;
	r = 0;
out:
	pthread_mutex_unlock(&bp->mu);
	return r;
}

void
blobpool_release(struct blobpool *bp, struct store_blob *b, int broken, int64_t now)
{
	struct openblob **pp, *ob;

	if (b == NULL)
		return;
	pthread_mutex_lock(&bp->mu);
	for (pp = &bp->open; (ob = *pp) != NULL; pp = &ob->next) {
		if (ob->b != b)
			continue;
		ob->busy = 0;
		ob->broken |= broken;
		ob->used = now;
		break;
	}
	pthread_mutex_unlock(&bp->mu);
}

void
blobpool_pin(struct blobpool *bp, struct store_blob *b)
{
	struct openblob *ob;

	pthread_mutex_lock(&bp->mu);
	for (ob = bp->open; ob != NULL; ob = ob->next)
		if (ob->b == b) {
			ob->pins++;
			break;
		}
	pthread_mutex_unlock(&bp->mu);
}

void
blobpool_unpin(struct blobpool *bp, struct store_blob *b, int64_t now)
{
	struct openblob **pp, *ob;

	pthread_mutex_lock(&bp->mu);
	for (pp = &bp->open; (ob = *pp) != NULL; pp = &ob->next) {
		if (ob->b != b)
			continue;
		if (ob->pins > 0)
			ob->pins--;
		break;
	}
	pthread_mutex_unlock(&bp->mu);
}

/* A writer handed ob back lately, it nears its age and no younger blob of its stream is
 * open: the stream needs its next blob now. The caller holds the mutex. */
static int
needs_successor(const struct blobpool *bp, const struct openblob *ob, int64_t now)
{
	const struct openblob *o;

	if (ob->broken || ob->used == 0 || now - ob->used > ROTATE_LEAD_US ||
	    now - ob->created < BLOB_MAX_AGE_US - ROTATE_LEAD_US)
		return 0;
	for (o = bp->open; o != NULL; o = o->next)
		if (o != ob && o->stream == ob->stream && !o->broken &&
		    now - o->created < BLOB_MAX_AGE_US - ROTATE_LEAD_US &&
		    memcmp(o->cam, ob->cam, CAMERA_ID_LEN) == 0)
			return 0;
	return 1;
}

/* Open the next blob of (cam, stream) and put it first, where writers look. */
static void
open_successor(struct blobpool *bp, const uint8_t cam[CAMERA_ID_LEN], uint8_t stream, int64_t now)
{
	struct openblob *ob;
	int64_t id;

	if ((ob = calloc(1, sizeof(*ob))) == NULL)
		return;
	if (index_blob_new(bp->ix, cam, stream, now_us(), &id) != 0 ||
	    store_blob_create(bp->st, cam, stream, id, &ob->b) != 0) {
		log_err("blob", "op=successor err=create");
		free(ob);
		return;
	}
	memcpy(ob->cam, cam, CAMERA_ID_LEN);
	ob->stream = stream;
	ob->created = now;
	pthread_mutex_lock(&bp->mu);
	ob->next = bp->open;
	bp->open = ob;
	pthread_mutex_unlock(&bp->mu);
}

void
blobpool_retire_camera(struct blobpool *bp, const uint8_t cam[CAMERA_ID_LEN])
{
	struct openblob *ob;

	/* Marked like a broken blob: never handed out again, sealed by the next tick once idle,
	 * after which retention unlinks it (its links are gone). */
	pthread_mutex_lock(&bp->mu);
	for (ob = bp->open; ob != NULL; ob = ob->next)
		if (memcmp(ob->cam, cam, CAMERA_ID_LEN) == 0)
			ob->broken = 1;
	pthread_mutex_unlock(&bp->mu);
}

void
blobpool_tick(struct blobpool *bp, int64_t now)
{
	struct openblob **pp, *ob, *sealing = NULL;
	struct { uint8_t cam[CAMERA_ID_LEN]; uint8_t stream; } *next = NULL;
	size_t n = 0, i;

	next = calloc(TICK_MAX, sizeof(*next));
	pthread_mutex_lock(&bp->mu);
	pp = &bp->open;
	while ((ob = *pp) != NULL) {
		if (!ob->busy && ob->pins == 0 && due(ob, now)) {
			*pp = ob->next;
			ob->next = sealing;
			sealing = ob;
			continue;
		}
		if (next != NULL && n < TICK_MAX && needs_successor(bp, ob, now)) {
			memcpy(next[n].cam, ob->cam, CAMERA_ID_LEN);
			next[n++].stream = ob->stream;
		}
		pp = &ob->next;
	}
	pthread_mutex_unlock(&bp->mu);
	while ((ob = sealing) != NULL) {
		sealing = ob->next;
		seal(bp, ob);
	}
	for (i = 0; i < n; i++)
		open_successor(bp, next[i].cam, next[i].stream, now);
	free(next);
}
