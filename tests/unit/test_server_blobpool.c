/* test_server_blobpool.c - open blobs over a real index and store: the tick seals what is due and opens a running stream's next blob before the ingest thread would have to. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "common/util.h"
#include "server/blobpool.h"
#include "server/index.h"
#include "server/store.h"

#define S 1000000LL

static const uint8_t cam[16] = { 0x31 };
static const uint8_t gw[32] = { 0x32 };

struct fx {
	char dir[64];
	struct index *ix;
	struct store *st;
	struct blobpool *bp;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char p[128];

	snprintf(f->dir, sizeof(f->dir), "/tmp/vigil-bp-XXXXXX");
	if (f == NULL || mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(p, sizeof(p), "%s/index.db", f->dir);
	if (index_open(&f->ix, p) != 0 || store_open(&f->st, f->dir) != 0 ||
	    (f->bp = blobpool_new(f->ix, f->st)) == NULL)
		return -1;
	if (index_gateway_add(f->ix, gw) != 1 || index_camera_claim(f->ix, cam, gw) != 0)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	blobpool_free(f->bp);
	store_close(f->st);
	index_close(f->ix);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

/* Write one link's worth into a blob of the stream at time t; its blob id. */
static int64_t
write_at(struct fx *f, int64_t t)
{
	struct store_blob *b;
	static const uint8_t data[64] = { 1 };
	int64_t id;

	assert_int_equal(blobpool_acquire(f->bp, cam, 0, t, &b), 0);
	assert_int_equal(store_blob_append(b, data, sizeof(data)), 0);
	id = store_blob_id(b);
	blobpool_release(f->bp, b, 0, t);
	return id;
}

/* Sealed blobs with no links are what retention lists as orphans: the sealed ones here. */
static int
sealed(struct fx *f, int64_t id)
{
	struct index_blob ob[16];
	int i, n = index_blob_orphans(f->ix, ob, 16);

	for (i = 0; i < n; i++)
		if (ob[i].id == id)
			return 1;
	return 0;
}

static void
test_successor_before_due(void **state)
{
	struct fx *f = *state;
	int64_t t0 = 1000 * S, first, next;

	first = write_at(f, t0);
	/* Written at 51 s, the tick at 52 s opens the next blob; the writer moves to it. */
	assert_int_equal(write_at(f, t0 + 51 * S), first);
	blobpool_tick(f->bp, t0 + 52 * S);
	next = write_at(f, t0 + 53 * S);
	assert_true(next != first);
	assert_int_equal(write_at(f, t0 + 55 * S), next);
	/* Not sealed on release, even once due: the tick seals it, and only it. */
	blobpool_tick(f->bp, t0 + 59 * S);
	assert_false(sealed(f, first));
	blobpool_tick(f->bp, t0 + 61 * S);
	assert_true(sealed(f, first));
	assert_false(sealed(f, next));
	/* One successor per stream: later ticks before the next one nears its age add none. */
	blobpool_tick(f->bp, t0 + 62 * S);
	assert_int_equal(write_at(f, t0 + 63 * S), next);
}

static void
test_idle_stream_gets_no_successor(void **state)
{
	struct fx *f = *state;
	int64_t t0 = 1000 * S, first, later;

	first = write_at(f, t0);
	/* Last written 55 s ago: a camera gone quiet gets no chain of empty blobs. */
	blobpool_tick(f->bp, t0 + 55 * S);
	assert_int_equal(write_at(f, t0 + 56 * S), first);
	/* Due at 60 s and idle: sealed by the tick; the next link opens a blob itself. */
	blobpool_tick(f->bp, t0 + 120 * S);
	assert_true(sealed(f, first));
	later = write_at(f, t0 + 121 * S);
	assert_true(later != first);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_successor_before_due, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idle_stream_gets_no_successor, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
