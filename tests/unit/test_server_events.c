/* test_server_events.c - unit tests of the server's motion event store: insert, update by id, refusals, time ranges. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <sqlite3.h>
#include "server/events.h"

struct seen {
	int n;
	struct events_row rows[8];
	uint8_t payload0[64];
	size_t plen0;
};

static int collect(void *ctx, const struct events_row *r)
{
	struct seen *s = ctx;

	if (s->n == 0 && r->payload_len <= sizeof(s->payload0)) {
		memcpy(s->payload0, r->payload, r->payload_len);
		s->plen0 = r->payload_len;
	}
	if (s->n < 8)
		s->rows[s->n] = *r;
	s->n++;
	return 0;
}

static void row(struct events_row *r, uint8_t id, uint8_t cam, int64_t start, int64_t end,
    const char *payload)
{
	memset(r, 0, sizeof(*r));
	memset(r->id, id, sizeof(r->id));
	memset(r->camera_id, cam, sizeof(r->camera_id));
	r->start_us = start;
	r->end_us = end;
	r->epoch = 3;
	r->payload = (const uint8_t *)payload;
	r->payload_len = strlen(payload);
}

/* Close the store and remove its files and directory. */
static void close_and_remove(struct events *ev, const char *dir)
{
	static const char *const names[] = { "events.db", "events.db-wal", "events.db-shm" };
	char path[128];
	size_t i;

	events_close(ev);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		unlink(path);
	}
	rmdir(dir);
}

static void test_events(void **state)
{
	char dir[] = "/tmp/vigil-test-events.XXXXXX", path[128];
	uint8_t gw[GATEWAY_ID_LEN], gw2[GATEWAY_ID_LEN], cam[CAMERA_ID_LEN];
	struct events *ev = NULL;
	struct events_row r;
	struct seen s;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/events.db", dir);
	assert_int_equal(events_open(&ev, path), 0);
	memset(gw, 1, sizeof(gw));
	memset(gw2, 2, sizeof(gw2));
	memset(cam, 7, sizeof(cam));

	row(&r, 0xa1, 7, 1000, 0, "sealed-open");           /* open event */
	assert_int_equal(events_put(ev, gw, &r, 5), 1);
	row(&r, 0xa2, 7, 5000, 6000, "sealed-2");
	assert_int_equal(events_put(ev, gw, &r, 5), 1);
	row(&r, 0xa3, 8, 1000, 2000, "other-camera");
	assert_int_equal(events_put(ev, gw, &r, 5), 1);

	/* the open one reaches forward without limit; the other camera is not listed */
	memset(&s, 0, sizeof(s));
	assert_int_equal(events_range(ev, cam, 7000, 9000, 100, collect, &s), 1);
	assert_int_equal(s.rows[0].start_us, 1000);
	assert_int_equal(s.rows[0].end_us, 0);
	memset(&s, 0, sizeof(s));
	assert_int_equal(events_range(ev, cam, 0, 100000, 100, collect, &s), 2);
	assert_int_equal(s.rows[1].start_us, 5000);
	assert_int_equal(s.rows[1].epoch, 3);
	/* [from, to) */
	memset(&s, 0, sizeof(s));
	assert_int_equal(events_range(ev, cam, 6000, 100000, 100, collect, &s), 1);
	memset(&s, 0, sizeof(s));
	assert_int_equal(events_range(ev, cam, 0, 1000, 100, collect, &s), 0);
	/* max */
	memset(&s, 0, sizeof(s));
	assert_int_equal(events_range(ev, cam, 0, 100000, 1, collect, &s), 1);

	/* the open event ends: same id, same gateway -> updated, new payload */
	row(&r, 0xa1, 7, 1000, 3000, "sealed-closed");
	assert_int_equal(events_put(ev, gw, &r, 6), 0);
	memset(&s, 0, sizeof(s));
	assert_int_equal(events_range(ev, cam, 3000, 4000, 100, collect, &s), 0);
	memset(&s, 0, sizeof(s));
	assert_int_equal(events_range(ev, cam, 2000, 3000, 100, collect, &s), 1);
	assert_int_equal(s.plen0, strlen("sealed-closed"));
	assert_memory_equal(s.payload0, "sealed-closed", s.plen0);

	/* another gateway, or another camera, cannot take over the id */
	row(&r, 0xa1, 7, 1000, 3000, "evil");
	assert_int_equal(events_put(ev, gw2, &r, 7), EVENTS_E_CONFLICT);
	row(&r, 0xa1, 8, 1000, 3000, "evil");
	assert_int_equal(events_put(ev, gw, &r, 7), EVENTS_E_CONFLICT);
	/* empty and oversized payloads are refused */
	row(&r, 0xa4, 7, 1000, 3000, "");
	assert_int_equal(events_put(ev, gw, &r, 7), EVENTS_E_IO);
	{
		uint8_t *big = calloc(1, EVENTS_PAYLOAD_MAX + 1);
		assert_non_null(big);
		row(&r, 0xa5, 7, 1000, 3000, "x");
		r.payload = big;
		r.payload_len = EVENTS_PAYLOAD_MAX + 1;
		assert_int_equal(events_put(ev, gw, &r, 7), EVENTS_E_IO);
		free(big);
	}
	events_close(ev);

	/* durable across a reopen */
	assert_int_equal(events_open(&ev, path), 0);
	memset(&s, 0, sizeof(s));
	assert_int_equal(events_range(ev, cam, 0, 100000, 100, collect, &s), 2);
	close_and_remove(ev, dir);
}

/* Expected ids (first byte) of a window, in start order, from both the store and a plain
 * overlap check of every row put: the windows that read only part of the start index
 * (from minus the longest closed event; open events apart) must miss nothing. */
static void expect(struct events *ev, uint8_t camb, int64_t from, int64_t to, int max,
    const uint8_t *ids, int n)
{
	uint8_t cam[CAMERA_ID_LEN];
	struct seen s;
	int i;

	memset(cam, camb, sizeof(cam));
	memset(&s, 0, sizeof(s));
	assert_int_equal(events_range(ev, cam, from, to, max, collect, &s), n);
	assert_int_equal(s.n, n);
	for (i = 0; i < n && i < 8; i++)
		assert_int_equal(s.rows[i].id[0], ids[i]);
}

static void test_windows(void **state)
{
	char dir[] = "/tmp/vigil-test-events.XXXXXX", path[128];
	uint8_t gw[GATEWAY_ID_LEN];
	struct events *ev = NULL;
	struct events_row r;
	sqlite3 *db;
	int k;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/events.db", dir);
	assert_int_equal(events_open(&ev, path), 0);
	memset(gw, 1, sizeof(gw));
	/* Camera 7: an event still open since t=100; a long closed one 1000..9000; short ones
	 * at 20000, 30000, 40000 (each 500 long); one that ends where a window starts. */
	row(&r, 0x01, 7, 100, 0, "open-old");
	assert_int_equal(events_put(ev, gw, &r, 1), 1);
	row(&r, 0x02, 7, 1000, 9000, "long");
	assert_int_equal(events_put(ev, gw, &r, 1), 1);
	for (k = 0; k < 3; k++) {
		row(&r, (uint8_t)(0x10 + k), 7, 20000 + 10000 * k, 20500 + 10000 * k, "short");
		assert_int_equal(events_put(ev, gw, &r, 1), 1);
	}
	row(&r, 0x20, 7, 49000, 50000, "edge");
	assert_int_equal(events_put(ev, gw, &r, 1), 1);
	/* Camera 8 has its own history, never mixed in. */
	row(&r, 0x30, 8, 8500, 8600, "other");
	assert_int_equal(events_put(ev, gw, &r, 1), 1);

	expect(ev, 7, 8000, 8800, 100, (const uint8_t[]){ 0x01, 0x02 }, 2);
	expect(ev, 7, 20100, 30100, 100, (const uint8_t[]){ 0x01, 0x10, 0x11 }, 3);
	expect(ev, 7, 50000, 60000, 100, (const uint8_t[]){ 0x01 }, 1);
	expect(ev, 7, 49999, 60000, 100, (const uint8_t[]){ 0x01, 0x20 }, 2);
	expect(ev, 7, 0, 100, 100, (const uint8_t[]){ 0 }, 0);
	expect(ev, 7, 0, 100000, 3, (const uint8_t[]){ 0x01, 0x02, 0x10 }, 3);
	expect(ev, 7, 9500, 19000, 100, (const uint8_t[]){ 0x01 }, 1);
	expect(ev, 8, 0, 100000, 100, (const uint8_t[]){ 0x30 }, 1);
	/* The old open event closes, very long: it still counts where it overlaps. */
	row(&r, 0x01, 7, 100, 45000, "closed-now");
	assert_int_equal(events_put(ev, gw, &r, 2), 0);
	expect(ev, 7, 44000, 46000, 100, (const uint8_t[]){ 0x01 }, 1);
	expect(ev, 7, 45000, 46000, 100, (const uint8_t[]){ 0 }, 0);
	events_close(ev);
	/* A file from before the longest-event table gets it rebuilt when opened. */
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "DROP TABLE event_durations", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(events_open(&ev, path), 0);
	expect(ev, 7, 8000, 8800, 100, (const uint8_t[]){ 0x01, 0x02 }, 2);
	expect(ev, 7, 44000, 46000, 100, (const uint8_t[]){ 0x01 }, 1);
	close_and_remove(ev, dir);
}

/* Continuous motion as the gateway posts it (MOTION_EVENT_MAX_MS, 5 min): each event is
 * posted open, then closed where the next one, with a new id, starts. Every id is new
 * once (events_put returns 1; h_events_post notifies webhooks only then), a repeated post
 * is an update, and a window across a split lists each event once. */
static void test_split_chain(void **state)
{
	const int64_t t0 = 1700000000000000LL, len = 300LL * 1000000;
	char dir[] = "/tmp/vigil-test-events.XXXXXX", path[128];
	uint8_t gw[GATEWAY_ID_LEN];
	struct events *ev = NULL;
	struct events_row r;
	int k;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/events.db", dir);
	assert_int_equal(events_open(&ev, path), 0);
	memset(gw, 1, sizeof(gw));
	for (k = 0; k < 3; k++) {
		row(&r, (uint8_t)(0x40 + k), 7, t0 + k * len, 0, "open");
		assert_int_equal(events_put(ev, gw, &r, 1), 1);
		if (k == 2)
			break;
		row(&r, (uint8_t)(0x40 + k), 7, t0 + k * len, t0 + (k + 1) * len, "closed");
		assert_int_equal(events_put(ev, gw, &r, 2), 0);
		assert_int_equal(events_put(ev, gw, &r, 3), 0);   /* a retry: no second notice */
	}
	expect(ev, 7, t0, t0 + 3 * len, 100, (const uint8_t[]){ 0x40, 0x41, 0x42 }, 3);
	expect(ev, 7, t0 + len - 1, t0 + len + 1, 100, (const uint8_t[]){ 0x40, 0x41 }, 2);
	expect(ev, 7, t0 + len, t0 + len + 1, 100, (const uint8_t[]){ 0x41 }, 1);
	expect(ev, 7, t0 + len - 1, t0 + len, 100, (const uint8_t[]){ 0x40 }, 1);
	expect(ev, 7, t0 + 2 * len, t0 + 2 * len + 1, 100, (const uint8_t[]){ 0x42 }, 1);
	close_and_remove(ev, dir);
}

/* Retention: a camera's events that ended before its oldest footage go, and its open ones
 * that started before it (a gateway that died mid-event); later ones and other cameras'
 * stay. */
static void test_expire_before(void **state)
{
	const int64_t t0 = 1700000000000000LL, s = 1000000;
	char dir[] = "/tmp/vigil-test-events.XXXXXX", path[128];
	uint8_t gw[GATEWAY_ID_LEN], cam[CAMERA_ID_LEN];
	struct events *ev = NULL;
	struct events_row r;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/events.db", dir);
	assert_int_equal(events_open(&ev, path), 0);
	memset(gw, 1, sizeof(gw));
	row(&r, 0x51, 7, t0, t0 + 10 * s, "old");             /* ended before the cut */
	assert_int_equal(events_put(ev, gw, &r, 1), 1);
	row(&r, 0x52, 7, t0 + 20 * s, t0 + 40 * s, "across");  /* ends after it */
	assert_int_equal(events_put(ev, gw, &r, 1), 1);
	row(&r, 0x53, 7, t0 + 5 * s, 0, "stale open");         /* open, started before */
	assert_int_equal(events_put(ev, gw, &r, 1), 1);
	row(&r, 0x54, 7, t0 + 60 * s, 0, "open");              /* open, started after */
	assert_int_equal(events_put(ev, gw, &r, 1), 1);
	row(&r, 0x55, 8, t0, t0 + 10 * s, "other camera");
	assert_int_equal(events_put(ev, gw, &r, 1), 1);
	memset(cam, 7, sizeof(cam));
	assert_int_equal(events_expire_before(ev, cam, t0 + 30 * s), 2);
	expect(ev, 7, 0, INT64_MAX, 100, (const uint8_t[]){ 0x52, 0x54 }, 2);
	expect(ev, 8, 0, INT64_MAX, 100, (const uint8_t[]){ 0x55 }, 1);
	assert_int_equal(events_expire_before(ev, cam, t0 + 30 * s), 0);
	/* Paging through the cameras with events, one seek each: 7, then 8, then none. */
	{
		uint8_t next[CAMERA_ID_LEN], want[CAMERA_ID_LEN];

		assert_int_equal(events_camera_next(ev, NULL, next), 1);
		assert_memory_equal(next, cam, CAMERA_ID_LEN);
		assert_int_equal(events_camera_next(ev, next, next), 1);
		memset(want, 8, sizeof(want));
		assert_memory_equal(next, want, CAMERA_ID_LEN);
		assert_int_equal(events_camera_next(ev, next, next), 0);
	}
	close_and_remove(ev, dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_events),
		cmocka_unit_test(test_windows),
		cmocka_unit_test(test_split_chain),
		cmocka_unit_test(test_expire_before),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
