/* test_server_syncer.c - group commit over a real index and store: batches, wake-ups, failures, shutdown. */
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
#include "server/syncer.h"

static const uint8_t cam1[16] = { 0x11 };
static const uint8_t cam2[16] = { 0x12 };
static const uint8_t gw[32] = { 0x22 };

struct fx {
	char dir[64];
	struct index *ix;
	struct store *st;
	struct blobpool *bp;
	struct syncer *sy;   /* never started: the test runs each batch itself */
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char p[128];

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/vigil-sync-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(p, sizeof(p), "%s/index.db", f->dir);
	if (index_open(&f->ix, p) != 0 || store_open(&f->st, f->dir) != 0 ||
	    (f->bp = blobpool_new(f->ix, f->st)) == NULL ||
	    (f->sy = syncer_new(f->ix, f->bp)) == NULL)
		return -1;
	if (index_gateway_add(f->ix, gw) != 1 || index_camera_claim(f->ix, cam1, gw) != 0 ||
	    index_camera_claim(f->ix, cam2, gw) != 0)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	syncer_free(f->sy);
	blobpool_free(f->bp);
	store_close(f->st);
	index_close(f->ix);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static void
wake_count(void *arg)
{
	(*(int *)arg)++;
}

/* Write one link of 100 bytes as a writer would and hand it to g; returns its blob id. */
static int64_t
submit_link(struct fx *f, struct sync_group *g, const uint8_t *cam, uint8_t stream, uint64_t seq)
{
	struct store_blob *b;
	struct index_link l;
	uint8_t data[100];
	int64_t id;

	memset(data, (int)seq, sizeof(data));
	assert_int_equal(blobpool_acquire(f->bp, cam, stream, mono_us(), &b), 0);
	memset(&l, 0, sizeof(l));
	memcpy(l.camera_id, cam, 16);
	l.stream = stream;
	l.seq = l.last_seq = seq;
	l.start_us = 1000 * (int64_t)seq;
	l.end_us = l.start_us + 999;
	l.offset = store_blob_size(b);
	assert_int_equal(store_blob_append(b, data, sizeof(data)), 0);
	l.length = sizeof(data);
	l.blob_id = id = store_blob_id(b);
	assert_int_equal(sync_group_submit(g, b, &l), 0);
	blobpool_release(f->bp, b, 0, mono_us());
	return id;
}

static void
test_one_batch(void **state)
{
	struct fx *f = *state;
	struct sync_group *g1, *g2;
	struct syncer_stats st;
	struct index_blob ob[4];
	int woken = 0;
	int64_t a1, a2;

	g1 = sync_group_new(f->sy);
	g2 = sync_group_new(f->sy);
	assert_non_null(g1);
	assert_non_null(g2);
	/* Four links in three blobs from two uploads; the second link of cam1 stream 0 reuses
	 * the blob its first link left pending (pinned, not busy). */
	a1 = submit_link(f, g1, cam1, 0, 1);
	submit_link(f, g1, cam2, 0, 1);
	submit_link(f, g2, cam1, 1, 1);
	a2 = submit_link(f, g2, cam1, 0, 2);
	assert_int_equal(a1, a2);

	/* Nothing is done before the batch has synced and committed. */
	assert_int_equal(sync_group_poll(g1, NULL), SYNC_PENDING);
	assert_int_equal(sync_group_arm(g1, wake_count, &woken), SYNC_PENDING);
	assert_int_equal(sync_group_arm(g2, wake_count, &woken), SYNC_PENDING);
	assert_int_equal(index_link_exists(f->ix, cam1, 0, 1), 0);
	assert_int_equal(index_link_exists(f->ix, cam2, 0, 1), 0);
	assert_int_equal(woken, 0);
	/* Pinned blobs are not sealed however old: a sealed blob without links would be an
	 * orphan here. */
	blobpool_tick(f->bp, mono_us() + 2 * BLOB_MAX_AGE_US);
	assert_int_equal(index_blob_orphans(f->ix, ob, 4), 0);

	assert_int_equal(syncer_run_once(f->sy), 4);
	syncer_stats(f->sy, &st);
	assert_int_equal(st.batches, 1);
	assert_int_equal(st.links, 4);
	assert_int_equal(st.blob_syncs, 3);
	assert_int_equal(st.failed, 0);
	assert_int_equal(woken, 2);
	assert_int_equal(sync_group_poll(g1, NULL), SYNC_DONE);
	assert_int_equal(sync_group_poll(g2, NULL), SYNC_DONE);
	assert_int_equal(index_link_exists(f->ix, cam1, 0, 1), 1);
	assert_int_equal(index_link_exists(f->ix, cam1, 0, 2), 1);
	assert_int_equal(index_link_exists(f->ix, cam1, 1, 1), 1);
	assert_int_equal(index_link_exists(f->ix, cam2, 0, 1), 1);
	assert_int_equal(syncer_run_once(f->sy), 0);
	sync_group_release(g1);
	sync_group_release(g2);
}

static void
test_commit_failure_acks_nothing(void **state)
{
	struct fx *f = *state;
	struct sync_group *g1, *g2;
	struct store_blob *b;
	struct index_link l;
	const char *why = NULL;
	int woken = 0;

	g1 = sync_group_new(f->sy);
	g2 = sync_group_new(f->sy);
	submit_link(f, g1, cam1, 0, 7);
	/* A row naming a blob the index does not know fails the foreign key: the whole
	 * transaction rolls back, so the good link in the same batch is not done either. */
	assert_int_equal(blobpool_acquire(f->bp, cam2, 0, mono_us(), &b), 0);
	memset(&l, 0, sizeof(l));
	memcpy(l.camera_id, cam2, 16);
	l.seq = l.last_seq = 7;
	l.blob_id = 9999;
	assert_int_equal(store_blob_append(b, "x", 1), 0);
	l.length = 1;
	assert_int_equal(sync_group_submit(g2, b, &l), 0);
	blobpool_release(f->bp, b, 0, mono_us());
	assert_int_equal(sync_group_arm(g1, wake_count, &woken), SYNC_PENDING);

	assert_int_equal(syncer_run_once(f->sy), 2);
	assert_int_equal(woken, 1);
	assert_int_equal(sync_group_poll(g1, &why), SYNC_FAILED);
	assert_string_equal(why, "index error");
	assert_int_equal(sync_group_poll(g2, NULL), SYNC_FAILED);
	assert_int_equal(index_link_exists(f->ix, cam1, 0, 7), 0);
	sync_group_release(g1);
	sync_group_release(g2);
}

static void
test_duplicate_is_done(void **state)
{
	struct fx *f = *state;
	struct sync_group *g1, *g2;

	g1 = sync_group_new(f->sy);
	g2 = sync_group_new(f->sy);
	submit_link(f, g1, cam1, 0, 3);
	submit_link(f, g2, cam1, 0, 3);
	assert_int_equal(syncer_run_once(f->sy), 2);
	assert_int_equal(sync_group_poll(g1, NULL), SYNC_DONE);
	assert_int_equal(sync_group_poll(g2, NULL), SYNC_DONE);
	assert_int_equal(index_link_exists(f->ix, cam1, 0, 3), 1);
	sync_group_release(g1);
	sync_group_release(g2);
}

static void
test_release_while_pending(void **state)
{
	struct fx *f = *state;
	struct sync_group *g;
	int woken = 0;

	/* The upload's connection went away: its group outlives it until the batch is done,
	 * and nobody is woken. */
	g = sync_group_new(f->sy);
	submit_link(f, g, cam2, 0, 5);
	assert_int_equal(sync_group_arm(g, wake_count, &woken), SYNC_PENDING);
	sync_group_release(g);
	assert_int_equal(syncer_run_once(f->sy), 1);
	assert_int_equal(woken, 0);
	assert_int_equal(index_link_exists(f->ix, cam2, 0, 5), 1);
}

static void
test_stop_drains(void **state)
{
	struct fx *f = *state;
	struct sync_group *g;
	struct store_blob *b;
	struct index_link l;

	g = sync_group_new(f->sy);
	submit_link(f, g, cam1, 0, 9);
	syncer_stop(f->sy);
	assert_int_equal(sync_group_poll(g, NULL), SYNC_DONE);
	assert_int_equal(index_link_exists(f->ix, cam1, 0, 9), 1);
	/* After stop, new links are refused (and their blob unpinned). */
	assert_int_equal(blobpool_acquire(f->bp, cam1, 0, mono_us(), &b), 0);
	memset(&l, 0, sizeof(l));
	memcpy(l.camera_id, cam1, 16);
	l.seq = l.last_seq = 10;
	l.blob_id = store_blob_id(b);
	assert_int_equal(sync_group_submit(g, b, &l), -1);
	blobpool_release(f->bp, b, 0, mono_us());
	assert_int_equal(sync_group_poll(g, NULL), SYNC_DONE);
	sync_group_release(g);
}

static void
test_thread(void **state)
{
	struct fx *f = *state;
	struct sync_group *g;
	int i;

	assert_int_equal(syncer_start(f->sy), 0);
	g = sync_group_new(f->sy);
	for (i = 0; i < 50; i++)
		submit_link(f, g, i % 2 ? cam1 : cam2, 0, (uint64_t)i + 100);
	for (i = 0; i < 5000 && sync_group_poll(g, NULL) == SYNC_PENDING; i++)
		usleep(1000);
	assert_int_equal(sync_group_poll(g, NULL), SYNC_DONE);
	assert_int_equal(index_link_exists(f->ix, cam1, 0, 149), 1);
	syncer_stop(f->sy);
	sync_group_release(g);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_one_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_commit_failure_acks_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicate_is_done, setup, teardown),
		cmocka_unit_test_setup_teardown(test_release_while_pending, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_drains, setup, teardown),
		cmocka_unit_test_setup_teardown(test_thread, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
