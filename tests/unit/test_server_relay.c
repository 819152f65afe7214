/* test_server_relay.c - the live relay window: join at a segment start, slow viewers skipped, bounded memory. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "common/record.h"
#include "server/relay.h"

static const uint8_t cam[16] = { 7 };
static uint64_t cur_seq, cur_ticket;

struct wake {
	int suspended;
	int resumes;
};

static void
notify(void *arg, int op)
{
	struct wake *w = arg;

	if (op == RELAY_SUSPEND) {
		w->suspended = 1;
	} else {
		w->suspended = 0;
		w->resumes++;
	}
}

/* Push one record whose payload is 100 bytes of tag. */
static void
push(struct relay *r, uint8_t type, uint8_t tag)
{
	uint8_t p[100];

	memset(p, tag, sizeof(p));
	if (type == REC_SEG_HEADER)
		assert_int_equal(relay_link_begin(r, cam, 0, ++cur_seq, 0, 0, &cur_ticket), 1);
	assert_int_equal(relay_push(r, cam, 0, cur_ticket, type, p, sizeof(p)), 0);
}

/* Read one whole record; returns its type and tag, or 0 when nothing is ready. */
static int
read_rec(struct relay_viewer *v, uint8_t *tag, int64_t now)
{
	uint8_t buf[RECORD_HDR_LEN + 100];
	ssize_t n, got = 0;

	while (got < (ssize_t)RECORD_HDR_LEN) {
		n = relay_viewer_read(v, buf + got, RECORD_HDR_LEN - (size_t)got, now);
		if (n <= 0)
			return 0;
		got += n;
	}
	if (buf[4] == REC_KEEPALIVE)
		return REC_KEEPALIVE;
	while (got < (ssize_t)sizeof(buf)) {
		n = relay_viewer_read(v, buf + got, sizeof(buf) - (size_t)got, now);
		assert_true(n > 0);
		got += n;
	}
	*tag = buf[RECORD_HDR_LEN];
	return buf[4];
}

static void
test_join_and_follow(void **state)
{
	struct relay *r = relay_new(1 << 20);
	struct relay_viewer *v;
	struct wake w = { 0, 0 };
	uint8_t tag;

	cur_seq = 4;
	push(r, REC_SEG_HEADER, 1);   /* link 5 */
	push(r, REC_CHUNK, 2);
	v = relay_viewer_add(r, cam, 0, notify, &w, 0);
	assert_non_null(v);
	/* Starts at the current SEG_HEADER. */
	assert_int_equal(read_rec(v, &tag, 0), REC_SEG_HEADER);
	assert_int_equal(tag, 1);
	assert_int_equal(read_rec(v, &tag, 0), REC_CHUNK);
	assert_int_equal(tag, 2);
	assert_int_equal(read_rec(v, &tag, 0), 0);
	assert_int_equal(w.suspended, 1);
	push(r, REC_CHUNK, 3);
	assert_int_equal(w.suspended, 0);
	assert_int_equal(w.resumes, 1);
	assert_int_equal(read_rec(v, &tag, 0), REC_CHUNK);
	assert_int_equal(tag, 3);
	/* Backfill of an older seq does not go live; a newer one does. */
	{
		uint64_t t5 = cur_ticket, t = 0;
		uint8_t p[4] = { 0 };

		assert_int_equal(relay_link_begin(r, cam, 0, 3, 0, 0, &t), 0);
		assert_int_equal(relay_link_begin(r, cam, 0, 5, 0, 0, &t), 0);
		/* A live-only link at the newest seq is older than the stored one. */
		assert_int_equal(relay_link_begin(r, cam, 0, 5, 1, 99, &t), 0);
		assert_int_equal(t, 0);
		assert_int_equal(relay_link_begin(r, cam, 0, 6, 0, 0, &t), 1);
		assert_true(t != t5);
		/* Link 5 was overtaken by 6: its late records are dropped, not interleaved. */
		assert_int_equal(relay_push(r, cam, 0, t5, REC_CHUNK, p, sizeof(p)), 1);
	}
	/* Idle for the keepalive period: the tick resumes and a KEEPALIVE goes out. */
	assert_int_equal(read_rec(v, &tag, 0), 0);
	relay_tick(r, RELAY_KEEPALIVE_US - 1);
	assert_int_equal(w.suspended, 1);
	relay_tick(r, RELAY_KEEPALIVE_US);
	assert_int_equal(w.suspended, 0);
	assert_int_equal(read_rec(v, &tag, RELAY_KEEPALIVE_US), REC_KEEPALIVE);
	/* Shutdown ends the stream. */
	relay_shutdown(r);
	{
		uint8_t b[8];
		assert_int_equal(relay_viewer_read(v, b, sizeof(b), 0), -1);
	}
	relay_viewer_remove(v);
	relay_free(r);
}

static void
test_viewer_waits_for_header(void **state)
{
	struct relay *r = relay_new(1 << 20);
	struct relay_viewer *v;
	struct wake w = { 0, 0 };
	uint8_t tag;

	v = relay_viewer_add(r, cam, 0, notify, &w, 0);
	assert_int_equal(read_rec(v, &tag, 0), 0);
	cur_seq = 100;
	assert_int_equal(relay_link_begin(r, cam, 0, cur_seq, 0, 0, &cur_ticket), 1);
	push(r, REC_CHUNK, 9);   /* a chunk of a segment the viewer never saw start */
	assert_int_equal(read_rec(v, &tag, 0), 0);
	push(r, REC_SEG_HEADER, 10);
	assert_int_equal(read_rec(v, &tag, 0), REC_SEG_HEADER);
	assert_int_equal(tag, 10);
	relay_viewer_remove(v);
	relay_free(r);
}

static void
test_slow_viewer_skipped_memory_bounded(void **state)
{
	/* Window of 10 records of 105 bytes. */
	size_t win = 10 * (RECORD_HDR_LEN + 100);
	struct relay *r = relay_new(win);
	struct relay_viewer *slow;
	struct wake w = { 0, 0 };
	uint8_t tag;
	int seg, i;

	push(r, REC_SEG_HEADER, 0);
	slow = relay_viewer_add(r, cam, 0, notify, &w, 0);
	assert_int_equal(read_rec(slow, &tag, 0), REC_SEG_HEADER);
	/* Ingest never blocks on the slow viewer: push 5 segments of 8 records. */
	for (seg = 1; seg <= 5; seg++) {
		push(r, REC_SEG_HEADER, (uint8_t)(seg * 10));
		for (i = 1; i < 8; i++)
			push(r, REC_CHUNK, (uint8_t)(seg * 10 + i));
		assert_true(relay_window_size(r, cam, 0) <= win);
	}
	/* The viewer fell behind: it resumes at the newest segment start, whole records only. */
	assert_int_equal(read_rec(slow, &tag, 0), REC_SEG_HEADER);
	assert_int_equal(tag, 50);
	assert_int_equal(relay_viewer_skips(slow), 1);
	for (i = 1; i < 8; i++) {
		assert_int_equal(read_rec(slow, &tag, 0), REC_CHUNK);
		assert_int_equal(tag, 50 + i);
	}
	assert_int_equal(read_rec(slow, &tag, 0), 0);
	relay_viewer_remove(slow);
	relay_free(r);
}

static void
test_partial_record_survives_drop(void **state)
{
	struct relay *r = relay_new(2 * (RECORD_HDR_LEN + 100));
	struct relay_viewer *v;
	struct wake w = { 0, 0 };
	uint8_t buf[RECORD_HDR_LEN + 100];
	int i;

	push(r, REC_SEG_HEADER, 1);
	v = relay_viewer_add(r, cam, 0, notify, &w, 0);
	assert_int_equal(relay_viewer_read(v, buf, 3, 0), 3);
	for (i = 0; i < 10; i++)
		push(r, REC_CHUNK, 2);
	/* The record in flight completes from the viewer's own reference. */
	assert_int_equal(relay_viewer_read(v, buf + 3, sizeof(buf) - 3, 0), (ssize_t)sizeof(buf) - 3);
	assert_int_equal(buf[4], REC_SEG_HEADER);
	assert_int_equal(buf[RECORD_HDR_LEN + 99], 1);
	relay_viewer_remove(v);
	relay_free(r);
}

/* Begin a link (seq, live_only, start) and push its SEG_HEADER and one CHUNK, tagged tag and
 * tag + 1; returns what relay_link_begin said, the records pushed only when 1. */
static int
link2(struct relay *r, uint64_t seq, int live_only, int64_t start, uint8_t tag, uint64_t *t)
{
	uint8_t p[100];
	int live = relay_link_begin(r, cam, 0, seq, live_only, start, t);

	if (live == 1) {
		memset(p, tag, sizeof(p));
		assert_int_equal(relay_push(r, cam, 0, *t, REC_SEG_HEADER, p, sizeof(p)), 0);
		memset(p, tag + 1, sizeof(p));
		assert_int_equal(relay_push(r, cam, 0, *t, REC_CHUNK, p, sizeof(p)), 0);
	}
	return live;
}

/* The viewer's next two records are the header and chunk tagged tag, then nothing. */
static void
got2(struct relay_viewer *v, uint8_t tag)
{
	uint8_t t;

	assert_int_equal(read_rec(v, &t, 0), REC_SEG_HEADER);
	assert_int_equal(t, tag);
	assert_int_equal(read_rec(v, &t, 0), REC_CHUNK);
	assert_int_equal(t, tag + 1);
	assert_int_equal(read_rec(v, &t, 0), 0);
}

/* A motion-only camera seen while paused: live-only segments fork off the chain at the seq
 * the next stored link takes, so several come at one seq; each newer one goes live, the
 * stored link at that seq overtakes them (its records never interleave with theirs), and a
 * live-only link at an older seq, or an older live-only one, does not. A live-only link
 * does not overtake a stored link whose end has not come yet (the paused segment before
 * it, on another connection): that one ends whole, the live-only link waits for the next. */
static void
test_live_only_order(void **state)
{
	struct relay *r = relay_new(1 << 20);
	struct relay_viewer *v;
	struct wake w = { 0, 0 };
	uint64_t t1 = 0, t2 = 0, t3 = 0, t = 0;
	uint8_t p[4] = { 0 };

	(void)state;
	assert_int_equal(link2(r, 7, 0, 1000, 10, &t), 1);        /* stored 7 */
	v = relay_viewer_add(r, cam, 0, notify, &w, 0);
	got2(v, 10);
	assert_int_equal(link2(r, 8, 1, 2500, 15, &t1), 0);       /* 7 still arriving: held */
	{
		uint8_t end[100], tag = 0;

		memset(end, 11, sizeof(end));
		assert_int_equal(relay_push(r, cam, 0, t, REC_SEG_END, end, sizeof(end)), 0);
		assert_int_equal(read_rec(v, &tag, 0), REC_SEG_END);
		assert_int_equal(tag, 11);
	}
	assert_int_equal(link2(r, 8, 1, 3000, 20, &t1), 1);       /* live-only, forks at 8 */
	got2(v, 20);
	assert_int_equal(link2(r, 8, 1, 5000, 30, &t2), 1);       /* the next one, same seq */
	assert_true(t2 != t1);
	got2(v, 30);
	/* The first one's late records are dropped: it was overtaken. */
	assert_int_equal(relay_push(r, cam, 0, t1, REC_CHUNK, p, sizeof(p)), 1);
	assert_int_equal(link2(r, 8, 1, 4000, 40, &t), 0);        /* older live-only: no */
	assert_int_equal(link2(r, 7, 1, 9000, 50, &t), 0);        /* older seq: no */
	assert_int_equal(link2(r, 8, 0, 2000, 60, &t3), 1);       /* stored 8 overtakes */
	got2(v, 60);
	assert_int_equal(relay_push(r, cam, 0, t2, REC_CHUNK, p, sizeof(p)), 1);
	assert_int_equal(link2(r, 8, 1, 7000, 70, &t), 0);        /* nothing forks at 8 now */
	assert_int_equal(link2(r, 8, 0, 2000, 80, &t), 0);        /* a resend of 8 */
	assert_int_equal(link2(r, 9, 1, 7500, 85, &t), 0);        /* 8 still arriving: held */
	{
		uint8_t end[100], tag = 0;

		memset(end, 12, sizeof(end));
		assert_int_equal(relay_push(r, cam, 0, t3, REC_SEG_END, end, sizeof(end)), 0);
		assert_int_equal(read_rec(v, &tag, 0), REC_SEG_END);
	}
	assert_int_equal(link2(r, 9, 1, 8000, 90, &t), 1);        /* forks at 9 */
	got2(v, 90);
	relay_viewer_remove(v);
	relay_free(r);
}

/* The streams of given cameras that someone watches: only those cameras are looked at, so
 * hundreds of other watched streams on the server change nothing; a stream without a
 * viewer is not named. */
static void
test_watched(void **state)
{
	struct relay *r = relay_new(1 << 20);
	struct relay_viewer *va, *vo[600];
	struct wake w = { 0, 0 };
	struct relay_watch out[8];
	uint8_t mine[2][CAMERA_ID_LEN], other[CAMERA_ID_LEN];
	uint64_t t;
	int i;

	(void)state;
	memset(mine, 0, sizeof(mine));
	mine[0][0] = 0xa0;
	mine[1][0] = 0xb0;
	/* 600 streams of other cameras, each with a viewer. */
	for (i = 0; i < 600; i++) {
		memset(other, 0, sizeof(other));
		other[0] = 0xc0;
		other[1] = (uint8_t)(i >> 8);
		other[2] = (uint8_t)i;
		vo[i] = relay_viewer_add(r, other, 0, notify, &w, 0);
		assert_non_null(vo[i]);
	}
	/* Mine: camera a stream 1 watched; camera b has a channel (a link went live) but no
	 * viewer. */
	va = relay_viewer_add(r, mine[0], 1, notify, &w, 0);
	assert_non_null(va);
	assert_int_equal(relay_link_begin(r, mine[1], 0, 1, 0, 0, &t), 1);
	assert_int_equal(relay_watched(r, (const uint8_t (*)[CAMERA_ID_LEN])mine, 2, out, 8), 1);
	assert_memory_equal(out[0].cam, mine[0], CAMERA_ID_LEN);
	assert_int_equal(out[0].stream, 1);
	relay_viewer_remove(va);
	assert_int_equal(relay_watched(r, (const uint8_t (*)[CAMERA_ID_LEN])mine, 2, out, 8), 0);
	for (i = 0; i < 600; i++)
		relay_viewer_remove(vo[i]);
	relay_free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_join_and_follow),
		cmocka_unit_test(test_viewer_waits_for_header),
		cmocka_unit_test(test_slow_viewer_skipped_memory_bounded),
		cmocka_unit_test(test_partial_record_survives_drop),
		cmocka_unit_test(test_live_only_order),
		cmocka_unit_test(test_watched),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
