/* test_gw_liveonly.c - unit tests of the live-only hand-over (liveonly.c): one link at a time from the recorder to the uploader, a new link replacing the old, the byte bound, drops, and waiters woken by appends, ends, drops and stop. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include "gateway/liveonly.h"

/* Waits that are expected to time out are this short; waits that are expected to be
 * woken get a long timeout that only a missing wake-up would reach. */
#define SHORT_MS 20
#define WAKE_MS 2000

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int setup(void **state)
{
	struct liveonly *q = liveonly_new();

	if (q == NULL)
		return -1;
	*state = q;
	return 0;
}

static int teardown(void **state)
{
	liveonly_free(*state);
	return 0;
}

/* Read link gen from off to its end (LIVEONLY_END) or another result, appending the bytes
 * to out (cap bytes); returns the last result and sets *len. */
static ssize_t read_all(struct liveonly *q, uint64_t gen, uint8_t *out, size_t cap, size_t *len,
    size_t chunk, int timeout_ms)
{
	ssize_t n;

	for (;;) {
		assert_true(*len <= cap);
		n = liveonly_read(q, gen, *len, out + *len, chunk < cap - *len ? chunk : cap - *len,
		    timeout_ms);
		if (n <= 0)
			return n;
		*len += (size_t)n;
	}
}

/* 1. begin, two appends, end: a reader gets exactly the bytes, in any read size, then
 * LIVEONLY_END, at once and again; nothing more can be appended to an ended link. */
static void test_link_whole(void **state)
{
	struct liveonly *q = *state;
	static const uint8_t a[] = "header+init|", b[] = "frame-1|frame-2";
	uint8_t got[64];
	size_t len = 0;
	uint64_t gen = 0;
	int64_t t0;

	/* Nothing begun yet: no link to wait for or to append to. */
	assert_int_equal(liveonly_wait(q, 0, &gen, SHORT_MS), 0);
	assert_int_equal(liveonly_append(q, a, sizeof(a) - 1), -1);
	assert_int_equal(liveonly_begin(q), 0);
	assert_int_equal(liveonly_append(q, a, sizeof(a) - 1), 0);
	assert_int_equal(liveonly_append(q, b, sizeof(b) - 1), 0);
	liveonly_end(q);
	assert_int_equal(liveonly_append(q, b, 1), -1);
	assert_int_equal(liveonly_wait(q, 0, &gen, SHORT_MS), 1);
	assert_true(gen > 0);
	/* Three bytes at a time: partial reads follow on. */
	t0 = mono_ms();
	assert_int_equal(read_all(q, gen, got, sizeof(got), &len, 3, WAKE_MS), LIVEONLY_END);
	assert_true(mono_ms() - t0 < 1000);   /* the end is said at once, not after a timeout */
	assert_int_equal(len, sizeof(a) - 1 + sizeof(b) - 1);
	assert_memory_equal(got, a, sizeof(a) - 1);
	assert_memory_equal(got + sizeof(a) - 1, b, sizeof(b) - 1);
	assert_int_equal(liveonly_read(q, gen, len, got, sizeof(got), SHORT_MS), LIVEONLY_END);
	/* A read from the middle gets the rest. */
	assert_int_equal(liveonly_read(q, gen, 4, got, sizeof(got), SHORT_MS),
	    (ssize_t)(len - 4));
	assert_memory_equal(got, a + 4, sizeof(a) - 1 - 4);
	/* Nothing newer than it. */
	assert_int_equal(liveonly_wait(q, gen, &gen, SHORT_MS), 0);
}

/* 2. A link still open: a read at its end times out (LIVEONLY_AGAIN), a wait for a newer
 * link times out (0), and both take about their timeout, not much longer. */
static void test_timeouts(void **state)
{
	struct liveonly *q = *state;
	uint8_t got[8];
	uint64_t gen = 0, g2 = 0;
	int64_t t0, dt;

	assert_int_equal(liveonly_begin(q), 0);
	assert_int_equal(liveonly_append(q, (const uint8_t *)"abc", 3), 0);
	assert_int_equal(liveonly_wait(q, 0, &gen, SHORT_MS), 1);
	assert_int_equal(liveonly_read(q, gen, 0, got, sizeof(got), SHORT_MS), 3);
	t0 = mono_ms();
	assert_int_equal(liveonly_read(q, gen, 3, got, sizeof(got), SHORT_MS), LIVEONLY_AGAIN);
	dt = mono_ms() - t0;
	assert_true(dt >= SHORT_MS - 1 && dt < 1000);
	t0 = mono_ms();
	assert_int_equal(liveonly_wait(q, gen, &g2, SHORT_MS), 0);
	dt = mono_ms() - t0;
	assert_true(dt >= SHORT_MS - 1 && dt < 1000);
	/* A zero timeout answers at once. */
	assert_int_equal(liveonly_read(q, gen, 3, got, sizeof(got), 0), LIVEONLY_AGAIN);
	assert_int_equal(liveonly_wait(q, gen, &g2, 0), 0);
}

/* 3. A second begin replaces the first, read or not: a reader of the first gets
 * LIVEONLY_GONE (at any offset), a wait after the first returns the second, and the second
 * holds only its own bytes. */
static void test_second_replaces_first(void **state)
{
	struct liveonly *q = *state;
	uint8_t got[64];
	uint64_t g1 = 0, g2 = 0, g = 0;
	size_t len = 0;

	assert_int_equal(liveonly_begin(q), 0);
	assert_int_equal(liveonly_append(q, (const uint8_t *)"first-link", 10), 0);
	assert_int_equal(liveonly_wait(q, 0, &g1, SHORT_MS), 1);
	assert_int_equal(liveonly_read(q, g1, 0, got, 5, SHORT_MS), 5);
	liveonly_end(q);
	assert_int_equal(liveonly_begin(q), 0);
	assert_int_equal(liveonly_append(q, (const uint8_t *)"second", 6), 0);
	/* The first is gone for its reader, wherever it was. */
	assert_int_equal(liveonly_read(q, g1, 5, got, sizeof(got), SHORT_MS), LIVEONLY_GONE);
	assert_int_equal(liveonly_read(q, g1, 0, got, sizeof(got), SHORT_MS), LIVEONLY_GONE);
	/* The next link after the first is the second; there is none after the second. */
	assert_int_equal(liveonly_wait(q, g1, &g2, SHORT_MS), 1);
	assert_true(g2 > g1);
	assert_int_equal(liveonly_wait(q, 0, &g, SHORT_MS), 1);
	assert_int_equal(g, g2);
	assert_int_equal(liveonly_wait(q, g2, &g, SHORT_MS), 0);
	liveonly_end(q);
	assert_int_equal(read_all(q, g2, got, sizeof(got), &len, sizeof(got), SHORT_MS),
	    LIVEONLY_END);
	assert_int_equal(len, 6);
	assert_memory_equal(got, "second", 6);
	/* A link begun while the last is still open replaces it just the same. */
	assert_int_equal(liveonly_begin(q), 0);
	assert_int_equal(liveonly_append(q, (const uint8_t *)"third", 5), 0);
	assert_int_equal(liveonly_wait(q, g2, &g, SHORT_MS), 1);
	assert_true(g > g2);
	assert_int_equal(liveonly_begin(q), 0);
	assert_int_equal(liveonly_read(q, g, 0, got, sizeof(got), SHORT_MS), LIVEONLY_GONE);
	/* The fourth has nothing yet: open and empty, a read waits (AGAIN). */
	assert_int_equal(liveonly_wait(q, g, &g2, SHORT_MS), 1);
	assert_int_equal(g2, g + 1);
	assert_int_equal(liveonly_read(q, g2, 0, got, sizeof(got), SHORT_MS), LIVEONLY_AGAIN);
}

/* 4. LIVEONLY_LINK_MAX: a link may reach the bound exactly; a byte more drops it (gone for
 * its reader, not offered to a new one, no more appends), and the next begin works. The
 * same when a single append is too large. */
static void test_bound(void **state)
{
	struct liveonly *q = *state;
	uint8_t *big = malloc(LIVEONLY_LINK_MAX + 1);
	uint8_t got[16];
	uint64_t g1 = 0, g2 = 0, g3 = 0, g = 0;
	size_t len = 0;

	assert_non_null(big);
	memset(big, 0xa5, LIVEONLY_LINK_MAX + 1);
	assert_int_equal(liveonly_begin(q), 0);
	assert_int_equal(liveonly_append(q, big, LIVEONLY_LINK_MAX - 1), 0);
	assert_int_equal(liveonly_wait(q, 0, &g1, SHORT_MS), 1);
	assert_int_equal(liveonly_read(q, g1, LIVEONLY_LINK_MAX - 5, got, sizeof(got), SHORT_MS),
	    4);
	assert_int_equal(liveonly_append(q, big, 1), 0);       /* exactly at the bound */
	assert_int_equal(liveonly_read(q, g1, LIVEONLY_LINK_MAX - 1, got, sizeof(got), SHORT_MS),
	    1);
	assert_int_equal(liveonly_append(q, big, 1), -1);      /* past it: dropped */
	assert_int_equal(liveonly_read(q, g1, 0, got, sizeof(got), SHORT_MS), LIVEONLY_GONE);
	assert_int_equal(liveonly_read(q, g1, LIVEONLY_LINK_MAX, got, sizeof(got), SHORT_MS),
	    LIVEONLY_GONE);
	assert_int_equal(liveonly_append(q, (const uint8_t *)"x", 1), -1);
	/* A dropped link is not offered to a new reader. */
	assert_int_equal(liveonly_wait(q, 0, &g, SHORT_MS), 0);
	liveonly_end(q);   /* harmless on a dropped link */
	assert_int_equal(liveonly_read(q, g1, 0, got, sizeof(got), SHORT_MS), LIVEONLY_GONE);
	/* The next begin works as if nothing happened. */
	assert_int_equal(liveonly_begin(q), 0);
	assert_int_equal(liveonly_append(q, (const uint8_t *)"next", 4), 0);
	liveonly_end(q);
	assert_int_equal(liveonly_wait(q, g1, &g2, SHORT_MS), 1);
	assert_true(g2 > g1);
	assert_int_equal(read_all(q, g2, got, sizeof(got), &len, sizeof(got), SHORT_MS),
	    LIVEONLY_END);
	assert_int_equal(len, 4);
	assert_memory_equal(got, "next", 4);
	/* One append larger than the bound on an empty link. */
	assert_int_equal(liveonly_begin(q), 0);
	assert_int_equal(liveonly_wait(q, g2, &g3, SHORT_MS), 1);
	assert_int_equal(liveonly_append(q, big, LIVEONLY_LINK_MAX + 1), -1);
	assert_int_equal(liveonly_read(q, g3, 0, got, sizeof(got), SHORT_MS), LIVEONLY_GONE);
	assert_int_equal(liveonly_wait(q, g2, &g, SHORT_MS), 0);
	assert_int_equal(liveonly_begin(q), 0);
	assert_int_equal(liveonly_append(q, big, LIVEONLY_LINK_MAX), 0);
	free(big);
}

/* 5. liveonly_drop: the reader of the link being written gets LIVEONLY_GONE, a new reader
 * is not offered it, appends fail; dropping twice or with no link is harmless; the next
 * begin works. */
static void test_drop(void **state)
{
	struct liveonly *q = *state;
	uint8_t got[16];
	uint64_t g1 = 0, g2 = 0, g = 0;

	liveonly_drop(q);   /* nothing begun */
	assert_int_equal(liveonly_wait(q, 0, &g, SHORT_MS), 0);
	assert_int_equal(liveonly_begin(q), 0);
	assert_int_equal(liveonly_append(q, (const uint8_t *)"partial", 7), 0);
	assert_int_equal(liveonly_wait(q, 0, &g1, SHORT_MS), 1);
	assert_int_equal(liveonly_read(q, g1, 0, got, sizeof(got), SHORT_MS), 7);
	liveonly_drop(q);
	assert_int_equal(liveonly_read(q, g1, 7, got, sizeof(got), SHORT_MS), LIVEONLY_GONE);
	assert_int_equal(liveonly_read(q, g1, 0, got, sizeof(got), SHORT_MS), LIVEONLY_GONE);
	assert_int_equal(liveonly_append(q, (const uint8_t *)"more", 4), -1);
	assert_int_equal(liveonly_wait(q, 0, &g, SHORT_MS), 0);
	liveonly_drop(q);
	assert_int_equal(liveonly_read(q, g1, 0, got, sizeof(got), SHORT_MS), LIVEONLY_GONE);
	assert_int_equal(liveonly_begin(q), 0);
	assert_int_equal(liveonly_append(q, (const uint8_t *)"ok", 2), 0);
	assert_int_equal(liveonly_wait(q, g1, &g2, SHORT_MS), 1);
	assert_true(g2 > g1);
	assert_int_equal(liveonly_read(q, g2, 0, got, sizeof(got), SHORT_MS), 2);
}

/* A reader in another thread: a wait for a link newer than after, then a read of it from
 * off; what each returned and how long it took. */
struct waiter {
	struct liveonly *q;
	int do_wait;            /* liveonly_wait(after) first, else read gen at once */
	uint64_t after, gen;
	uint64_t off;
	int wait_rc;
	ssize_t read_rc;
	uint8_t got[64];
	int64_t waited_ms;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int started;
};

static void *waiter_main(void *arg)
{
	struct waiter *w = arg;
	int64_t t0;

	pthread_mutex_lock(&w->mu);
	w->started = 1;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	t0 = mono_ms();
	w->wait_rc = 1;
	if (w->do_wait)
		w->wait_rc = liveonly_wait(w->q, w->after, &w->gen, WAKE_MS);
	w->read_rc = 0;
	if (w->wait_rc == 1)
		w->read_rc = liveonly_read(w->q, w->gen, w->off, w->got, sizeof(w->got), WAKE_MS);
	w->waited_ms = mono_ms() - t0;
	return NULL;
}

/* Start w in a thread and give it time to block (a wake-up that came before it blocks
 * would still be seen: the state is checked under the lock before waiting). */
static void waiter_start(struct waiter *w, pthread_t *t)
{
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	w->started = 0;
	assert_int_equal(pthread_create(t, NULL, waiter_main, w), 0);
	pthread_mutex_lock(&w->mu);
	while (!w->started)
		pthread_cond_wait(&w->cv, &w->mu);
	pthread_mutex_unlock(&w->mu);
	usleep(SHORT_MS * 1000);
}

static void waiter_join(struct waiter *w, pthread_t t)
{
	pthread_join(t, NULL);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	/* Woken, not timed out. */
	assert_true(w->waited_ms < WAKE_MS / 2);
}

/* 6. A reader blocked at the end of an open link is woken by an append (the new bytes),
 * by the end (LIVEONLY_END), by a drop and by a newer link (LIVEONLY_GONE); a reader
 * waiting for a link is woken by a begin. */
static void test_woken(void **state)
{
	struct liveonly *q = *state;
	struct waiter w;
	pthread_t t;
	uint64_t g1 = 0;

	assert_int_equal(liveonly_begin(q), 0);
	assert_int_equal(liveonly_append(q, (const uint8_t *)"head", 4), 0);
	assert_int_equal(liveonly_wait(q, 0, &g1, SHORT_MS), 1);

	memset(&w, 0, sizeof(w));
	w.q = q;
	w.gen = g1;
	w.off = 4;
	waiter_start(&w, &t);
	assert_int_equal(liveonly_append(q, (const uint8_t *)"frame", 5), 0);
	waiter_join(&w, t);
	assert_int_equal(w.read_rc, 5);
	assert_memory_equal(w.got, "frame", 5);

	w.off = 9;
	waiter_start(&w, &t);
	liveonly_end(q);
	waiter_join(&w, t);
	assert_int_equal(w.read_rc, LIVEONLY_END);

	/* A reader waiting for a link newer than g1 gets the one begun, and its first bytes. */
	memset(&w, 0, sizeof(w));
	w.q = q;
	w.do_wait = 1;
	w.after = g1;
	waiter_start(&w, &t);
	assert_int_equal(liveonly_begin(q), 0);
	assert_int_equal(liveonly_append(q, (const uint8_t *)"new", 3), 0);
	waiter_join(&w, t);
	assert_int_equal(w.wait_rc, 1);
	assert_true(w.gen > g1);
	assert_true(w.read_rc > 0 && w.read_rc <= 3);
	assert_memory_equal(w.got, "new", (size_t)w.read_rc);

	/* Blocked at the end of the open link: a drop wakes it with GONE. */
	g1 = w.gen;
	memset(&w, 0, sizeof(w));
	w.q = q;
	w.gen = g1;
	w.off = 3;
	waiter_start(&w, &t);
	liveonly_drop(q);
	waiter_join(&w, t);
	assert_int_equal(w.read_rc, LIVEONLY_GONE);

	/* Blocked at the end of the open link: a newer link wakes it with GONE. */
	assert_int_equal(liveonly_begin(q), 0);
	assert_int_equal(liveonly_wait(q, g1, &g1, SHORT_MS), 1);
	memset(&w, 0, sizeof(w));
	w.q = q;
	w.gen = g1;
	w.off = 0;
	waiter_start(&w, &t);
	assert_int_equal(liveonly_begin(q), 0);
	waiter_join(&w, t);
	assert_int_equal(w.read_rc, LIVEONLY_GONE);
}

/* 7. liveonly_stop wakes a reader blocked in a read and one blocked in a wait, with
 * LIVEONLY_STOPPED, and every later call says so at once, even with bytes to read. */
static void test_stop(void **state)
{
	struct liveonly *q = *state;
	struct waiter wr, ww;
	pthread_t tr, tw;
	uint8_t got[8];
	uint64_t g = 0, g2 = 0;

	assert_int_equal(liveonly_begin(q), 0);
	assert_int_equal(liveonly_append(q, (const uint8_t *)"abc", 3), 0);
	assert_int_equal(liveonly_wait(q, 0, &g, SHORT_MS), 1);
	memset(&wr, 0, sizeof(wr));
	wr.q = q;
	wr.gen = g;
	wr.off = 3;
	memset(&ww, 0, sizeof(ww));
	ww.q = q;
	ww.do_wait = 1;
	ww.after = g;
	waiter_start(&wr, &tr);
	waiter_start(&ww, &tw);
	liveonly_stop(q);
	waiter_join(&wr, tr);
	waiter_join(&ww, tw);
	assert_int_equal(wr.read_rc, LIVEONLY_STOPPED);
	assert_int_equal(ww.wait_rc, LIVEONLY_STOPPED);
	assert_int_equal(liveonly_read(q, g, 0, got, sizeof(got), WAKE_MS), LIVEONLY_STOPPED);
	assert_int_equal(liveonly_wait(q, 0, &g2, WAKE_MS), LIVEONLY_STOPPED);
}

/* Demand: wanted always by default (the unsigned mode has no feed of who watches); on
 * demand, only while watched. */
static void test_demand(void **state)
{
	struct liveonly *q = liveonly_new();

	(void)state;
	assert_non_null(q);
	assert_int_equal(liveonly_wanted(q), 1);
	liveonly_set_on_demand(q, 1);
	assert_int_equal(liveonly_wanted(q), 0);
	liveonly_set_watched(q, 1);
	assert_int_equal(liveonly_wanted(q), 1);
	liveonly_set_watched(q, 0);
	assert_int_equal(liveonly_wanted(q), 0);
	liveonly_set_on_demand(q, 0);
	assert_int_equal(liveonly_wanted(q), 1);
	liveonly_free(q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_link_whole, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeouts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_second_replaces_first, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bound, setup, teardown),
		cmocka_unit_test_setup_teardown(test_drop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_woken, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop, setup, teardown),
		cmocka_unit_test(test_demand),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
