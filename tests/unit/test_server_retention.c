/* test_server_retention.c - retention passes over a real index and store: expiry, orphan blobs, crash recovery. */
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
#include "server/retention.h"
#include "server/server.h"
#include "server/store.h"

static const uint8_t cam[16] = { 0x11 };
static const uint8_t gw[32] = { 0x22 };

struct fx {
	char dir[64];
	struct server srv;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char p[128];

	snprintf(f->dir, sizeof(f->dir), "/tmp/vigil-ret-XXXXXX");
	if (f == NULL || mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(p, sizeof(p), "%s/index.db", f->dir);
	if (index_open(&f->srv.ix, p) != 0 || store_open(&f->srv.st, f->dir) != 0 ||
	    (f->srv.bp = blobpool_new(f->srv.ix, f->srv.st)) == NULL)
		return -1;
	if (index_gateway_add(f->srv.ix, gw) != 1 || index_camera_claim(f->srv.ix, cam, gw) != 0)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	blobpool_free(f->srv.bp);
	store_close(f->srv.st);
	index_close(f->srv.ix);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

/* Write one fake link of n bytes ending at end_us into an acquired blob and index it. */
static int64_t
put_link(struct fx *f, uint64_t seq, int64_t end_us, int64_t now, size_t n)
{
	struct store_blob *b;
	struct index_link l;
	uint8_t data[256];

	memset(data, (int)seq, sizeof(data));
	assert_int_equal(blobpool_acquire(f->srv.bp, cam, 0, now, &b), 0);
	memset(&l, 0, sizeof(l));
	memcpy(l.camera_id, cam, 16);
	l.seq = l.last_seq = seq;
	l.start_us = end_us - 1;
	l.end_us = end_us;
	l.offset = store_blob_size(b);
	assert_int_equal(store_blob_append(b, data, n), 0);
	assert_int_equal(store_blob_sync(b), 0);
	l.length = n;
	l.blob_id = store_blob_id(b);
	assert_int_equal(index_link_add(f->srv.ix, &l), 0);
	blobpool_release(f->srv.bp, b, 0, now);
	return l.blob_id;
}

static int
blob_exists(struct fx *f, int64_t id)
{
	int fd;

	if (store_blob_open_read(f->srv.st, cam, 0, id, &fd) != 0)
		return 0;
	close(fd);
	return 1;
}

static void
test_expire_and_remove(void **state)
{
	struct fx *f = *state;
	int64_t b1, b2, t = 1000LL * 1000000;

	f->srv.retention_s = 100;
	/* Two links in blob 1 (opened at t), then blob 1 is sealed by age; one link in blob 2. */
	b1 = put_link(f, 0, t - 500LL * 1000000, 0, 100);
	assert_int_equal(put_link(f, 1, t - 10LL * 1000000, 1, 100), b1);
	blobpool_tick(f->srv.bp, BLOB_MAX_AGE_US);
	b2 = put_link(f, 2, t, BLOB_MAX_AGE_US + 1, 100);
	assert_true(b2 != b1);
	/* Seq 0 is too old but blob 1 still holds seq 1: the file stays. */
	assert_int_equal(retention_pass(&f->srv, t), 0);
	assert_int_equal(index_link_exists(f->srv.ix, cam, 0, 0), 0);
	assert_int_equal(index_link_exists(f->srv.ix, cam, 0, 1), 1);
	assert_true(blob_exists(f, b1));
	/* 200 s later seqs 1 and 2 are old; blob 1 goes, blob 2 is still open and stays. */
	assert_int_equal(retention_pass(&f->srv, t + 200LL * 1000000), 0);
	assert_int_equal(index_link_exists(f->srv.ix, cam, 0, 2), 0);
	assert_false(blob_exists(f, b1));
	assert_true(blob_exists(f, b2));
	blobpool_tick(f->srv.bp, 3 * BLOB_MAX_AGE_US);
	assert_int_equal(retention_pass(&f->srv, t + 200LL * 1000000), 0);
	assert_false(blob_exists(f, b2));
}

static void
test_quota(void **state)
{
	struct fx *f = *state;
	int64_t t = 1000LL * 1000000;
	uint64_t total;
	int i;

	f->srv.quota_bytes = 250;
	for (i = 0; i < 5; i++)
		put_link(f, (uint64_t)i, t + i, 0, 100);
	assert_int_equal(retention_pass(&f->srv, t), 0);
	assert_int_equal(index_total_bytes(f->srv.ix, &total), 0);
	assert_int_equal(total, 200);
	/* Oldest first. */
	assert_int_equal(index_link_exists(f->srv.ix, cam, 0, 2), 0);
	assert_int_equal(index_link_exists(f->srv.ix, cam, 0, 3), 1);
}

static void
test_crash_between_steps(void **state)
{
	struct fx *f = *state;
	struct store_blob *b;
	int64_t id1, id2;

	/* A crash after the index transaction: sealed blob rows with no links, one with its
	 * file still there and one whose file was already unlinked. */
	assert_int_equal(index_blob_new(f->srv.ix, cam, 0, 0, &id1), 0);
	assert_int_equal(store_blob_create(f->srv.st, cam, 0, id1, &b), 0);
	assert_int_equal(store_blob_append(b, "x", 1), 0);
	store_blob_close(b);
	assert_int_equal(index_blob_new(f->srv.ix, cam, 0, 0, &id2), 0);
	assert_int_equal(index_blob_seal_all(f->srv.ix), 0);
	assert_true(blob_exists(f, id1));
	assert_int_equal(retention_pass(&f->srv, 0), 0);
	assert_false(blob_exists(f, id1));
	{
		struct index_blob ob[4];
		assert_int_equal(index_blob_orphans(f->srv.ix, ob, 4), 0);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_expire_and_remove, setup, teardown),
		cmocka_unit_test_setup_teardown(test_quota, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crash_between_steps, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
