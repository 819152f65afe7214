/* blobpool.c - open blob bookkeeping: creation through the index, sealing with fsync. */
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

/* Broken, full or old: to be sealed, never handed out again. A blob still pinned when it
 * gets there is sealed by its last unpin (or the periodic pass), and the next link of its
 * stream gets a new blob meanwhile. */
static int
due(const struct openblob *ob, int64_t now)
{
	return ob->broken || store_blob_size(ob->b) >= BLOB_MAX_BYTES ||
	    now - ob->created >= BLOB_MAX_AGE_US;
}

/* Seal *pp's blob when nobody writes or awaits it and it is broken, full or old; the
 * caller holds the mutex. A pinned blob is sealed later, by the unpin that frees it, so its
 * descriptor stays open until the syncer has synced every link in it. */
static void
seal_if_due(struct blobpool *bp, struct openblob **pp, int64_t now)
{
	struct openblob *ob = *pp;

	if (ob->busy || ob->pins > 0)
		return;
	if (due(ob, now)) {
		*pp = ob->next;
		seal(bp, ob);
	}
}

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
		seal_if_due(bp, pp, now);
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
		seal_if_due(bp, pp, now);
		break;
	}
	pthread_mutex_unlock(&bp->mu);
}

void
blobpool_seal_old(struct blobpool *bp, int64_t now)
{
	struct openblob **pp, *ob;

	pthread_mutex_lock(&bp->mu);
	pp = &bp->open;
	while ((ob = *pp) != NULL) {
		if (!ob->busy && ob->pins == 0 && now - ob->created >= BLOB_MAX_AGE_US) {
			*pp = ob->next;
			seal(bp, ob);
		} else {
			pp = &ob->next;
		}
	}
	pthread_mutex_unlock(&bp->mu);
}
