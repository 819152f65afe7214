/* test_gw_recgate.c - unit tests of recording on motion only: the "recording" object, the keep decision, and the held pre-roll (whole GOPs, trimmed by time, bounded in bytes). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>
#include "gateway/recgate.h"

static int parse(const char *text, struct recgate_mode *m, char *err, size_t errlen)
{
	json_error_t je;
	json_t *j = json_loads(text, JSON_DECODE_ANY, &je);
	int r;

	assert_non_null(j);
	r = recgate_mode_from_json(j, m, err, errlen);
	json_decref(j);
	return r;
}

static void test_mode_parse(void **state)
{
	static const struct { const char *text, *field; } bad[] = {
		{ "{\"mode\":\"sometimes\"}", "recording.mode" },
		{ "{\"mode\":1}", "recording.mode" },
		{ "{\"preroll_s\":31}", "recording.preroll_s" },
		{ "{\"preroll_s\":-1}", "recording.preroll_s" },
		{ "{\"postroll_s\":601}", "recording.postroll_s" },
		{ "{\"postroll_s\":\"10\"}", "recording.postroll_s" },
		{ "{\"pre_roll\":3}", "unknown field" },
		{ "{\"live_while_paused\":1}", "recording.live_while_paused" },
		{ "[]", "must be an object" },
	};
	struct recgate_mode m;
	char err[200];
	size_t i;

	(void)state;
	assert_int_equal(parse("{}", &m, err, sizeof(err)), 0);
	assert_int_equal(m.motion_only, 0);
	assert_int_equal(m.preroll_ms, RECGATE_PREROLL_DEFAULT_S * 1000);
	assert_int_equal(m.postroll_ms, RECGATE_POSTROLL_DEFAULT_S * 1000);
	assert_int_equal(m.live_while_paused, 1);
	assert_int_equal(parse("{\"mode\":\"motion\",\"preroll_s\":0,\"postroll_s\":600,"
	    "\"live_while_paused\":false}", &m, err, sizeof(err)), 0);
	assert_int_equal(m.motion_only, 1);
	assert_int_equal(m.live_while_paused, 0);
	assert_int_equal(m.preroll_ms, 0);
	assert_int_equal(m.postroll_ms, 600000);
	assert_int_equal(parse("{\"mode\":\"continuous\"}", &m, err, sizeof(err)), 0);
	assert_int_equal(m.motion_only, 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		m.motion_only = 7;
		err[0] = '\0';
		assert_int_equal(parse(bad[i].text, &m, err, sizeof(err)), -1);
		assert_non_null(strstr(err, bad[i].field));
		assert_int_equal(m.motion_only, 7); /* untouched on error */
	}
}

static void test_want(void **state)
{
	struct recgate_mode m;
	struct recgate_motion a = { 0 };

	(void)state;
	recgate_mode_default(&m);
	assert_int_equal(recgate_want(&m, &a, 1000), 1);
	m.motion_only = 1;
	m.postroll_ms = 10000;
	/* Nothing analysed yet, or not for RECGATE_BLIND_US: blind, so it records. */
	assert_int_equal(recgate_want(&m, &a, 1000), 1);
	assert_int_equal(recgate_blind(&a, 1000), 1);
	assert_int_equal(recgate_resume_from(&a, 1000), 1000);
	a.analysed_us = 900;
	assert_int_equal(recgate_want(&m, &a, 1000), 0);               /* nothing moved yet */
	assert_int_equal(recgate_want(&m, &a, 900 + RECGATE_BLIND_US), 0);
	assert_int_equal(recgate_want(&m, &a, 901 + RECGATE_BLIND_US), 1);
	a.open_start = 500;
	assert_int_equal(recgate_want(&m, &a, 1000), 1);               /* an event is open */
	assert_int_equal(recgate_resume_from(&a, 1000), 500);
	a.open_start = 0;
	a.last_start = 1500000;
	a.last_end = 2000000;
	a.analysed_us = 11000000;
	assert_int_equal(recgate_want(&m, &a, 11999999), 1);           /* within the post-roll */
	assert_int_equal(recgate_resume_from(&a, 11999999), 1500000);  /* from that event */
	assert_int_equal(recgate_want(&m, &a, 12000000), 0);           /* after it */
	a.open_start = 13000000;
	assert_int_equal(recgate_want(&m, &a, 14000000), 1);
	assert_int_equal(recgate_resume_from(&a, 14000000), 13000000);
}

/* Frames of 1 KiB every 100 ms, a keyframe every 10 (1 s GOPs), from t = 0. */
static void feed(struct recgate_hold *h, int from, int to)
{
	uint8_t data[1024];
	int i;

	for (i = from; i < to; i++) {
		memset(data, i & 0xff, sizeof(data));
		assert_int_equal(recgate_hold_add(h, (int64_t)i * 100000, (int64_t)i * 9000,
		    i % 10 == 0, data, sizeof(data)), 0);
	}
}

static void test_hold_trim(void **state)
{
	struct recgate_hold *h = recgate_hold_new(RECGATE_HOLD_MAX_BYTES, NULL);
	struct recgate_frame f;
	uint8_t x = 1;
	size_t pos = 0;
	int n = 0;

	(void)state;
	assert_non_null(h);
	/* What is held starts with a keyframe. */
	assert_int_equal(recgate_hold_add(h, 0, 0, 0, &x, 1), -1);
	assert_int_equal(recgate_hold_frames(h), 0);
	feed(h, 10, 60);
	assert_int_equal(recgate_hold_frames(h), 50);
	/* Keep from the last keyframe at or before 3.45 s: 3.0 s. */
	recgate_hold_trim(h, 3450000);
	assert_int_equal(recgate_hold_frames(h), 30);
	assert_int_equal(recgate_hold_next(h, &pos, &f), 1);
	assert_int_equal(f.wall, 3000000);
	assert_int_equal(f.dts, 30 * 9000);
	assert_int_equal(f.key, 1);
	assert_int_equal(f.len, 1024);
	assert_int_equal(f.data[0], 30);
	n = 1;
	while (recgate_hold_next(h, &pos, &f)) {
		assert_int_equal(f.wall, (int64_t)(30 + n) * 100000);
		assert_int_equal(f.key, (30 + n) % 10 == 0);
		assert_int_equal(f.data[1023], (30 + n) & 0xff);
		n++;
	}
	assert_int_equal(n, 30);
	/* Exactly on a keyframe keeps it; before the first keeps all. */
	recgate_hold_trim(h, 4000000);
	assert_int_equal(recgate_hold_frames(h), 20);
	recgate_hold_trim(h, 0);
	assert_int_equal(recgate_hold_frames(h), 20);
	/* Past the last keyframe keeps the last GOP, never nothing. */
	recgate_hold_trim(h, 99000000);
	assert_int_equal(recgate_hold_frames(h), 10);
	recgate_hold_clear(h);
	assert_int_equal(recgate_hold_frames(h), 0);
	assert_int_equal(recgate_hold_bytes(h), 0);
	recgate_hold_free(h);
}

static void test_hold_bound(void **state)
{
	/* Room for a bit more than three 1 s GOPs of 1 KiB frames with their headers. */
	struct recgate_hold *h = recgate_hold_new(33 * 1024 + 30 * 21, NULL);
	struct recgate_frame f;
	static uint8_t big[40 * 1024];
	size_t pos = 0;

	(void)state;
	assert_non_null(h);
	feed(h, 0, 50);
	/* The oldest GOPs went, whole: what is left starts at a keyframe and ends at 4.9 s. */
	assert_true(recgate_hold_bytes(h) <= 33 * 1024 + 30 * 21);
	assert_int_equal(recgate_hold_frames(h), 30);
	assert_int_equal(recgate_hold_next(h, &pos, &f), 1);
	assert_int_equal(f.key, 1);
	assert_int_equal(f.wall, 2000000);
	/* A frame larger than the bound is refused and empties the hold (its GOP is broken). */
	assert_int_equal(recgate_hold_add(h, 5000000, 0, 0, big, sizeof(big)), -1);
	assert_int_equal(recgate_hold_frames(h), 0);
	recgate_hold_free(h);

	/* A single GOP that outgrows the bound is dropped whole; frames up to the next
	 * keyframe are refused (they start no GOP), which starts afresh. */
	h = recgate_hold_new(5 * 1024 + 21, NULL);
	assert_non_null(h);
	memset(big, 0, sizeof(big));
	assert_int_equal(recgate_hold_add(h, 0, 0, 1, big, 1024), 0);
	assert_int_equal(recgate_hold_add(h, 1, 0, 0, big, 1024), 0);
	assert_int_equal(recgate_hold_add(h, 2, 0, 0, big, 1024), 0);
	assert_int_equal(recgate_hold_add(h, 3, 0, 0, big, 1024), 0);
	assert_int_equal(recgate_hold_add(h, 4, 0, 0, big, 1024), -1);
	assert_int_equal(recgate_hold_frames(h), 0);
	assert_int_equal(recgate_hold_add(h, 5, 0, 0, big, 1024), -1);
	assert_int_equal(recgate_hold_add(h, 6, 0, 1, big, 1024), 0);
	pos = 0;
	assert_int_equal(recgate_hold_next(h, &pos, &f), 1);
	assert_int_equal(f.wall, 6);
	assert_int_equal(recgate_hold_next(h, &pos, &f), 0);
	recgate_hold_free(h);
}

/* Holds of one gateway share a budget in equal parts: each drops its own oldest GOPs at
 * its share, none is starved by another, the budget counts exactly what they hold, and a
 * share grows back when a hold goes. */
static void test_hold_budget(void **state)
{
	/* Frames of 1 KiB + 21 bytes of header, 1 s GOPs of 10: 10,450 bytes a GOP. */
	const size_t frame = 1024 + 21, gop = 10 * frame;
	struct recgate_budget *bud = recgate_budget_new(5 * gop);
	struct recgate_hold *a, *b, *c;
	uint8_t data[1024];
	int i, refused = 0;

	(void)state;
	assert_non_null(bud);
	a = recgate_hold_new(RECGATE_HOLD_MAX_BYTES, bud);
	b = recgate_hold_new(RECGATE_HOLD_MAX_BYTES, bud);
	assert_non_null(a);
	assert_non_null(b);
	memset(data, 7, sizeof(data));
	/* Two holds: 2.5 GOPs each. Both fill, neither passes its share, the budget counts
	 * both, and each keeps whole GOPs (two, plus the one growing). */
	for (i = 0; i < 60; i++) {
		assert_int_equal(recgate_hold_add(a, i, i, i % 10 == 0, data, sizeof(data)), 0);
		assert_int_equal(recgate_hold_add(b, i, i, i % 10 == 0, data, sizeof(data)), 0);
		assert_true(recgate_hold_bytes(a) <= 5 * gop / 2);
		assert_true(recgate_hold_bytes(b) <= 5 * gop / 2);
		assert_int_equal(recgate_budget_used(bud), recgate_hold_bytes(a) + recgate_hold_bytes(b));
	}
	assert_true(recgate_hold_bytes(a) >= 2 * gop);
	assert_true(recgate_hold_bytes(b) >= 2 * gop);
	/* A third hold: shares of 5/3 GOPs. The newcomer holds its GOP from its first
	 * keyframe on; the others come down at their next frames. Nothing is over the budget
	 * once each has added one. */
	c = recgate_hold_new(RECGATE_HOLD_MAX_BYTES, bud);
	assert_non_null(c);
	for (i = 60; i < 90; i++) {
		assert_int_equal(recgate_hold_add(a, i, i, i % 10 == 0, data, sizeof(data)), 0);
		assert_int_equal(recgate_hold_add(b, i, i, i % 10 == 0, data, sizeof(data)), 0);
		assert_int_equal(recgate_hold_add(c, i, i, i % 10 == 0, data, sizeof(data)), 0);
		assert_true(recgate_budget_used(bud) <= 5 * gop);
		assert_int_equal(recgate_budget_used(bud), recgate_hold_bytes(a) + recgate_hold_bytes(b) +
		    recgate_hold_bytes(c));
	}
	assert_true(recgate_hold_frames(c) > 0);
	/* A share smaller than a GOP: the GOP is dropped whole when it outgrows it, and that
	 * refusal names the budget. */
	recgate_hold_free(c);
	recgate_hold_free(b);
	assert_int_equal(recgate_budget_used(bud), recgate_hold_bytes(a));
	recgate_hold_free(a);
	assert_int_equal(recgate_budget_used(bud), 0);
	recgate_budget_free(bud);
	bud = recgate_budget_new(gop / 2);
	a = recgate_hold_new(RECGATE_HOLD_MAX_BYTES, bud);
	for (i = 0; i < 20; i++)
		if (recgate_hold_add(a, i, i, i % 10 == 0, data, sizeof(data)) == RECGATE_HOLD_BUDGET)
			refused++;
	assert_true(refused >= 2);
	assert_true(recgate_hold_bytes(a) <= gop / 2);
	recgate_hold_free(a);
	assert_int_equal(recgate_budget_used(bud), 0);
	recgate_budget_free(bud);
	/* The default: an eighth of memory, within its bounds. */
	assert_true(recgate_budget_default_bytes() >= RECGATE_BUDGET_MIN_BYTES);
	assert_true(recgate_budget_default_bytes() <= RECGATE_BUDGET_MAX_BYTES);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mode_parse),
		cmocka_unit_test(test_want),
		cmocka_unit_test(test_hold_trim),
		cmocka_unit_test(test_hold_bound),
		cmocka_unit_test(test_hold_budget),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
