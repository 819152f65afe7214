/* test_server_index.c - the SQLite index in a temp dir: gateways, ownership, links, ranges, retention. */
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
#include "common/segment.h"
#include "server/index.h"

struct fx {
	char dir[64];
	char path[128];
	struct index *ix;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/vigil-ix-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/index.db", f->dir);
	if (index_open(&f->ix, f->path) != 0)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char p[160];

	index_close(f->ix);
	snprintf(p, sizeof(p), "%s-wal", f->path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", f->path);
	unlink(p);
	unlink(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

static const uint8_t cam[16] = { 1, 2, 3 };
static const uint8_t gw1[32] = { 9 };
static const uint8_t gw2[32] = { 8 };

static void
mklink(struct index_link *l, uint64_t seq, int64_t start, int64_t end, int64_t blob, uint64_t len)
{
	memset(l, 0, sizeof(*l));
	memcpy(l->camera_id, cam, 16);
	l->seq = l->last_seq = seq;
	l->start_us = start;
	l->end_us = end;
	l->blob_id = blob;
	l->offset = seq * 1000;
	l->length = len;
}

static int
count_cb(void *ctx, const struct index_link *l)
{
	uint64_t *seqs = ctx;

	seqs[++seqs[0]] = l->seq;
	return 0;
}

static void
test_gateways_cameras(void **state)
{
	struct fx *f = *state;

	assert_int_equal(index_gateway_exists(f->ix, gw1), 0);
	assert_int_equal(index_gateway_add(f->ix, gw1), 1);
	assert_int_equal(index_gateway_add(f->ix, gw1), 0);
	assert_int_equal(index_gateway_exists(f->ix, gw1), 1);
	assert_int_equal(index_gateway_add(f->ix, gw2), 1);
	assert_int_equal(index_camera_claim(f->ix, cam, gw1), 0);
	assert_int_equal(index_camera_claim(f->ix, cam, gw1), 0);
	assert_int_equal(index_camera_claim(f->ix, cam, gw2), INDEX_E_OWNER);
	assert_int_equal(index_camera_set_retention(f->ix, cam, 60), 0);
	assert_int_equal(index_camera_set_retention(f->ix, gw2, 60), INDEX_E_NOTFOUND);
}

static void
test_links(void **state)
{
	struct fx *f = *state;
	struct index_link l, got;
	uint64_t seqs[16] = { 0 }, max;
	int64_t blob;
	int i;

	assert_int_equal(index_gateway_add(f->ix, gw1), 1);
	assert_int_equal(index_camera_claim(f->ix, cam, gw1), 0);
	assert_int_equal(index_blob_new(f->ix, cam, 0, 1, &blob), 0);
	assert_int_equal(index_link_max_seq(f->ix, cam, 0, &max), 0);
	for (i = 0; i < 5; i++) {
		mklink(&l, (uint64_t)i, i * 100, i * 100 + 99, blob, 10);
		assert_int_equal(index_link_add(f->ix, &l), 0);
	}
	assert_int_equal(index_link_add(f->ix, &l), INDEX_E_DUP);
	assert_int_equal(index_link_exists(f->ix, cam, 0, 3), 1);
	assert_int_equal(index_link_exists(f->ix, cam, 1, 3), 0);
	assert_int_equal(index_link_max_seq(f->ix, cam, 0, &max), 1);
	assert_int_equal(max, 4);
	assert_int_equal(index_link_get(f->ix, cam, 0, 2, &got), 0);
	assert_int_equal(got.start_us, 200);
	assert_int_equal(got.offset, 2000);
	assert_int_equal(got.blob_id, blob);
	assert_int_equal(index_link_get(f->ix, cam, 0, 9, &got), INDEX_E_NOTFOUND);
	/* Links overlapping [150, 320): 1, 2, 3. */
	assert_int_equal(index_links_range(f->ix, cam, 0, 150, 320, 100, count_cb, seqs), 3);
	assert_int_equal(seqs[0], 3);
	assert_int_equal(seqs[1], 1);
	assert_int_equal(seqs[3], 3);
}

/* Rows of a table, read from the file directly. */
static int64_t
count_rows(const char *path, const char *table)
{
	char sql[96];
	sqlite3 *db;
	sqlite3_stmt *st;
	int64_t n = -1;

	snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM %s", table);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

static void
test_retention(void **state)
{
	struct fx *f = *state;
	struct index_link l;
	struct index_blob ob[8];
	int64_t b1, b2, del;
	uint64_t total;
	int i;

	assert_int_equal(index_gateway_add(f->ix, gw1), 1);
	assert_int_equal(index_camera_claim(f->ix, cam, gw1), 0);
	assert_int_equal(index_blob_new(f->ix, cam, 0, 1, &b1), 0);
	assert_int_equal(index_blob_new(f->ix, cam, 0, 2, &b2), 0);
	/* Blob 1 holds seqs 0-1 (ending at 1 s and 2 s), blob 2 seqs 2-3 (100 s, 200 s). */
	for (i = 0; i < 4; i++) {
		mklink(&l, (uint64_t)i, 0, i < 2 ? (i + 1) * 1000000LL : (i - 1) * 100000000LL,
		    i < 2 ? b1 : b2, 100);
		assert_int_equal(index_link_add(f->ix, &l), 0);
	}
	/* Open blobs are never orphans. */
	assert_int_equal(index_blob_orphans(f->ix, ob, 8), 0);
	assert_int_equal(index_blob_seal(f->ix, b1, 200), 0);
	assert_int_equal(index_blob_seal_all(f->ix), 0);
	/* Sealed, with links: no orphan, and no candidate left to ask again. */
	assert_int_equal(index_blob_orphans(f->ix, ob, 8), 0);
	/* Max age 50 s at t = 60 s: links ending before 10 s go (seqs 0 and 1). */
	assert_int_equal(index_expire(f->ix, 60000000LL, 50, 0, &del), 0);
	assert_int_equal(del, 2);
	assert_int_equal(index_blob_orphans(f->ix, ob, 8), 1);
	assert_int_equal(ob[0].id, b1);
	assert_int_equal(index_blob_delete(f->ix, b1), 0);
	assert_int_equal(index_blob_orphans(f->ix, ob, 8), 0);
	/* A per-camera max age overrides the default. */
	assert_int_equal(index_camera_set_retention(f->ix, cam, 1000), 0);
	assert_int_equal(index_expire(f->ix, 250000000LL, 50, 0, &del), 0);
	assert_int_equal(del, 0);
	/* Quota 150 bytes: the oldest of the two remaining 100-byte links goes. */
	assert_int_equal(index_expire(f->ix, 250000000LL, 0, 150, &del), 0);
	assert_int_equal(del, 1);
	assert_int_equal(index_total_bytes(f->ix, &total), 0);
	assert_int_equal(total, 100);
	assert_int_equal(index_link_exists(f->ix, cam, 0, 3), 1);
	/* b2 still holds seq 3: not an orphan. */
	assert_int_equal(index_blob_orphans(f->ix, ob, 8), 0);
	/* The check keeps no candidate that links still reference: it does not ask again. */
	assert_int_equal(count_rows(f->path, "blob_candidates"), 0);
	/* Quota takes the last link: b2 is an orphan now, found by the next check. */
	assert_int_equal(index_expire(f->ix, 250000000LL, 0, 50, &del), 0);
	assert_int_equal(del, 1);
	assert_int_equal(index_blob_orphans(f->ix, ob, 8), 1);
	assert_int_equal(ob[0].id, b2);
}

/* A sealed blob nothing was ever written to (an unused successor) is an orphan, and an
 * index from before the candidate list finds its orphans too. */
static void
test_orphans_sealed_empty_and_refill(void **state)
{
	struct fx *f = *state;
	struct index_blob ob[8];
	int64_t b1, b2;
	sqlite3 *db;

	assert_int_equal(index_gateway_add(f->ix, gw1), 1);
	assert_int_equal(index_camera_claim(f->ix, cam, gw1), 0);
	assert_int_equal(index_blob_new(f->ix, cam, 0, 1, &b1), 0);
	assert_int_equal(index_blob_new(f->ix, cam, 0, 2, &b2), 0);
	assert_int_equal(index_blob_orphans(f->ix, ob, 8), 0);
	assert_int_equal(index_blob_seal(f->ix, b1, 0), 0);
	assert_int_equal(index_blob_orphans(f->ix, ob, 8), 1);
	assert_int_equal(ob[0].id, b1);
	assert_int_equal(index_blob_delete(f->ix, b1), 0);
	assert_int_equal(count_rows(f->path, "blob_candidates"), 0);
	/* Left open by a crash, sealed at the next start: a candidate as well. */
	assert_int_equal(index_blob_seal_all(f->ix), 0);
	index_close(f->ix);
	f->ix = NULL;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "DROP TABLE blob_candidates", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(index_open(&f->ix, f->path), 0);
	assert_int_equal(index_blob_orphans(f->ix, ob, 8), 1);
	assert_int_equal(ob[0].id, b2);
}

static void
test_reopen(void **state)
{
	struct fx *f = *state;
	uint64_t max;

	assert_int_equal(index_gateway_add(f->ix, gw1), 1);
	index_close(f->ix);
	assert_int_equal(index_open(&f->ix, f->path), 0);
	assert_int_equal(index_gateway_exists(f->ix, gw1), 1);
	assert_int_equal(index_link_max_seq(f->ix, cam, 0, &max), 0);
}

/* The sums the index keeps per stream, checked against the links themselves (a direct
 * SQL count over the file) after every kind of change. */
struct sums { int n; int64_t links[4]; int64_t bytes[4]; int64_t first[4]; int64_t last[4]; };

static int
sum_cb(void *ctx, const struct index_stream_summary *s)
{
	struct sums *m = ctx;

	if (m->n < 4) {
		m->links[m->n] = s->segments;
		m->bytes[m->n] = s->bytes;
		m->first[m->n] = s->first_us;
		m->last[m->n] = s->last_us;
	}
	m->n++;
	return 0;
}

static void
assert_sums_true(const char *path, struct index *ix)
{
	struct sums m = { 0 };
	sqlite3 *db;
	sqlite3_stmt *st;
	uint64_t total;
	int64_t all = 0;
	int i = 0;

	assert_int_equal(index_streams_list(ix, 100, sum_cb, &m) >= 0, 1);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT COUNT(*), SUM(length), MIN(start_us), "
	    "MAX(end_us) FROM links GROUP BY cam, stream ORDER BY cam, stream", -1, &st, NULL),
	    SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		assert_true(i < m.n);
		assert_int_equal(m.links[i], sqlite3_column_int64(st, 0));
		assert_int_equal(m.bytes[i], sqlite3_column_int64(st, 1));
		assert_int_equal(m.first[i], sqlite3_column_int64(st, 2));
		assert_int_equal(m.last[i], sqlite3_column_int64(st, 3));
		all += sqlite3_column_int64(st, 1);
		i++;
	}
	assert_int_equal(i, m.n);
	sqlite3_finalize(st);
	sqlite3_close(db);
	assert_int_equal(index_total_bytes(ix, &total), 0);
	assert_int_equal((int64_t)total, all);
}

static void
test_stream_totals(void **state)
{
	struct fx *f = *state;
	static const uint8_t cam2[16] = { 7, 7 };
	struct index_link l[6];
	int res[6];
	int64_t blob, del;
	sqlite3 *db;
	int i, s;

	assert_int_equal(index_gateway_add(f->ix, gw1), 1);
	assert_int_equal(index_camera_claim(f->ix, cam, gw1), 0);
	assert_int_equal(index_camera_claim(f->ix, cam2, gw1), 0);
	assert_int_equal(index_blob_new(f->ix, cam, 0, 1, &blob), 0);
	/* Two streams of one camera and one of another, 10 s links of 100..600 bytes. */
	for (s = 0; s < 3; s++) {
		for (i = 0; i < 6; i++) {
			mklink(&l[i], (uint64_t)i, (int64_t)i * 10000000, (int64_t)(i + 1) * 10000000,
			    blob, (uint64_t)(100 * (i + 1)));
			l[i].stream = (uint8_t)(s == 1);
			if (s == 2)
				memcpy(l[i].camera_id, cam2, 16);
		}
		assert_int_equal(index_links_add(f->ix, l, 6, res), 0);
	}
	assert_sums_true(f->path, f->ix);
	/* Resends change nothing. */
	assert_int_equal(index_links_add(f->ix, l, 3, res), 0);
	assert_int_equal(res[0], INDEX_E_DUP);
	assert_sums_true(f->path, f->ix);
	/* One camera keeps 25 s, the other the default 45 s, at t = 60 s. */
	assert_int_equal(index_camera_set_retention(f->ix, cam2, 25), 0);
	assert_int_equal(index_expire(f->ix, 60000000LL, 45, 0, &del), 0);
	assert_int_equal(del, 2 * 1 + 3);
	assert_sums_true(f->path, f->ix);
	/* A quota of 2000 bytes deletes oldest first across the streams. */
	assert_int_equal(index_expire(f->ix, 60000000LL, 0, 2000, &del), 0);
	assert_true(del > 0);
	assert_sums_true(f->path, f->ix);
	/* Everything past its age: no stream is listed any more. */
	assert_int_equal(index_expire(f->ix, 600000000LL, 1, 0, &del), 0);
	assert_int_equal(index_camera_set_retention(f->ix, cam2, 1), 0);
	assert_int_equal(index_expire(f->ix, 600000000LL, 1, 0, &del), 0);
	assert_sums_true(f->path, f->ix);
	/* An index from before the totals gets them filled from its links when opened. */
	for (i = 0; i < 6; i++)
		mklink(&l[i], (uint64_t)(10 + i), 600000000LL + i, 600000001LL + i, blob, 7);
	assert_int_equal(index_links_add(f->ix, l, 6, res), 0);
	index_close(f->ix);
	f->ix = NULL;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "DROP TABLE stream_totals", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(index_open(&f->ix, f->path), 0);
	assert_sums_true(f->path, f->ix);
}

struct spans { int n; int64_t s[8][2]; };

static int
span_cb(void *ctx, int64_t start, int64_t end)
{
	struct spans *sp = ctx;

	if (sp->n < 8) {
		sp->s[sp->n][0] = start;
		sp->s[sp->n][1] = end;
	}
	sp->n++;
	return 0;
}

static struct spans
spans_kind(struct index *ix, int kind)
{
	struct spans sp;

	memset(&sp, 0, sizeof(sp));
	assert_true(index_spans_range(ix, cam, 0, kind, 0, INT64_MAX, 100, span_cb, &sp) >= 0);
	return sp;
}

#define spans_all(ix) spans_kind((ix), SPAN_RECORDED)

#define S 1000000LL

/* Spans: contiguous segments make one, a hole of more than a second splits, backfill that
 * closes the hole merges, a gap link extends nothing, retention trims the first span, and
 * an index from before spans existed gets them rebuilt at open. */
static void
test_spans(void **state)
{
	struct fx *f = *state;
	struct index_link l;
	struct spans sp;
	sqlite3 *db;
	int64_t b, del;
	int i;

	assert_int_equal(index_gateway_add(f->ix, gw1), 1);
	assert_int_equal(index_camera_claim(f->ix, cam, gw1), 0);
	assert_int_equal(index_blob_new(f->ix, cam, 0, 1, &b), 0);
	/* seqs 0-4: [0,10) s in 2 s segments (the 3rd starts 0.5 s late: within the slack). */
	for (i = 0; i < 5; i++) {
		mklink(&l, (uint64_t)i, i * 2 * S + (i == 2 ? S / 2 : 0), (i + 1) * 2 * S, b, 10);
		assert_int_equal(index_link_add(f->ix, &l), 0);
	}
	sp = spans_all(f->ix);
	assert_int_equal(sp.n, 1);
	assert_int_equal(sp.s[0][0], 0);
	assert_int_equal(sp.s[0][1], 10 * S);
	/* A signed gap link [10,20) s extends nothing; seqs 6-7 [20,24) s start a second span. */
	mklink(&l, 5, 10 * S, 20 * S, b, 10);
	l.kind = LINK_GAP;
	assert_int_equal(index_link_add(f->ix, &l), 0);
	mklink(&l, 7, 22 * S, 24 * S, b, 10);
	assert_int_equal(index_link_add(f->ix, &l), 0);
	mklink(&l, 6, 20 * S, 22 * S, b, 10);
	assert_int_equal(index_link_add(f->ix, &l), 0);
	sp = spans_all(f->ix);
	assert_int_equal(sp.n, 2);
	assert_int_equal(sp.s[1][0], 20 * S);
	assert_int_equal(sp.s[1][1], 24 * S);
	/* Only the span overlapping [21,30) s. */
	memset(&sp, 0, sizeof(sp));
	assert_int_equal(index_spans_range(f->ix, cam, 0, SPAN_RECORDED, 21 * S, 30 * S, 10, span_cb, &sp), 1);
	assert_int_equal(sp.s[0][0], 20 * S);
	/* Backfill [10,20) s as segments (a hole recorded later): one span [0,24) s. */
	for (i = 0; i < 5; i++) {
		mklink(&l, 100 + (uint64_t)i, (10 + 2 * i) * S, (12 + 2 * i) * S, b, 10);
		assert_int_equal(index_link_add(f->ix, &l), 0);
	}
	sp = spans_all(f->ix);
	assert_int_equal(sp.n, 1);
	assert_int_equal(sp.s[0][0], 0);
	assert_int_equal(sp.s[0][1], 24 * S);
	/* A duplicate changes nothing. */
	mklink(&l, 0, 0, 2 * S, b, 10);
	assert_int_equal(index_link_add(f->ix, &l), INDEX_E_DUP);
	assert_int_equal(spans_all(f->ix).n, 1);
	/* Max age 20 s at t = 35 s: links ending before 15 s go; the span starts at the oldest
	 * remaining segment (seq 102, [14,16) s). */
	assert_int_equal(index_expire(f->ix, 35 * S, 20, 0, &del), 0);
	assert_true(del > 0);
	sp = spans_all(f->ix);
	assert_int_equal(sp.n, 1);
	assert_int_equal(sp.s[0][0], 14 * S);
	assert_int_equal(sp.s[0][1], 24 * S);
	/* An index written before spans existed: drop them, reopen, rebuilt. */
	index_close(f->ix);
	f->ix = NULL;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "DROP TABLE spans", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(index_open(&f->ix, f->path), 0);
	sp = spans_all(f->ix);
	assert_int_equal(sp.n, 1);
	assert_int_equal(sp.s[0][0], 14 * S);
	assert_int_equal(sp.s[0][1], 24 * S);
	/* Everything expired: no span left. */
	assert_int_equal(index_expire(f->ix, 1000 * S, 20, 0, &del), 0);
	assert_int_equal(spans_all(f->ix).n, 0);
}

/* "No motion" spans: a camera recording on motion only signs GAP_MOTION_IDLE gaps while it
 * pauses; runs of them are spans of their own kind, which never merge with recorded ones;
 * other gaps (camera offline) make none; retention trims them to the oldest remaining link;
 * an index whose spans table predates kinds gains the column, its rows recorded. */
static void
test_paused_spans(void **state)
{
	struct fx *f = *state;
	struct index_link l;
	struct spans sp;
	sqlite3 *db;
	int64_t b, del;
	int i;

	assert_int_equal(index_gateway_add(f->ix, gw1), 1);
	assert_int_equal(index_camera_claim(f->ix, cam, gw1), 0);
	assert_int_equal(index_blob_new(f->ix, cam, 0, 1, &b), 0);
	/* seqs 0-4: segments [0,10) s; 5-6: "no motion" [10,40) and [40,70) s; 7: camera
	 * offline [70,80) s; 8-12: segments [80,90) s. */
	for (i = 0; i < 5; i++) {
		mklink(&l, (uint64_t)i, i * 2 * S, (i + 1) * 2 * S, b, 10);
		assert_int_equal(index_link_add(f->ix, &l), 0);
	}
	mklink(&l, 5, 10 * S, 40 * S, b, 0);
	l.kind = LINK_GAP;
	l.gap_reason = GAP_MOTION_IDLE;
	assert_int_equal(index_link_add(f->ix, &l), 0);
	mklink(&l, 6, 40 * S, 70 * S, b, 0);
	l.kind = LINK_GAP;
	l.gap_reason = GAP_MOTION_IDLE;
	assert_int_equal(index_link_add(f->ix, &l), 0);
	mklink(&l, 7, 70 * S, 80 * S, b, 0);
	l.kind = LINK_GAP;
	l.gap_reason = GAP_CAMERA_OFFLINE;
	assert_int_equal(index_link_add(f->ix, &l), 0);
	for (i = 0; i < 5; i++) {
		mklink(&l, 8 + (uint64_t)i, (80 + i * 2) * S, (82 + i * 2) * S, b, 10);
		assert_int_equal(index_link_add(f->ix, &l), 0);
	}
	sp = spans_kind(f->ix, SPAN_RECORDED);
	assert_int_equal(sp.n, 2);
	assert_int_equal(sp.s[0][1], 10 * S);
	assert_int_equal(sp.s[1][0], 80 * S);
	assert_int_equal(sp.s[1][1], 90 * S);
	sp = spans_kind(f->ix, SPAN_PAUSED);
	assert_int_equal(sp.n, 1);
	assert_int_equal(sp.s[0][0], 10 * S);
	assert_int_equal(sp.s[0][1], 70 * S);
	/* Only the paused span overlapping [50,60) s, none in [72,78) s (the outage). */
	memset(&sp, 0, sizeof(sp));
	assert_int_equal(index_spans_range(f->ix, cam, 0, SPAN_PAUSED, 50 * S, 60 * S, 10, span_cb,
	    &sp), 1);
	assert_int_equal(index_spans_range(f->ix, cam, 0, SPAN_PAUSED, 72 * S, 78 * S, 10, span_cb,
	    &sp), 0);
	assert_int_equal(index_spans_range(f->ix, cam, 0, SPAN_RECORDED, 72 * S, 78 * S, 10,
	    span_cb, &sp), 0);
	/* Max age 50 s at t = 95 s: links ending before 45 s go (the first segments and the
	 * first pause); the pause now starts at the oldest remaining link, [40,70) s. */
	assert_int_equal(index_expire(f->ix, 95 * S, 50, 0, &del), 0);
	assert_true(del > 0);
	sp = spans_kind(f->ix, SPAN_RECORDED);
	assert_int_equal(sp.n, 1);
	assert_int_equal(sp.s[0][0], 80 * S);
	sp = spans_kind(f->ix, SPAN_PAUSED);
	assert_int_equal(sp.n, 1);
	assert_int_equal(sp.s[0][0], 40 * S);
	assert_int_equal(sp.s[0][1], 70 * S);
	/* A spans table from before kinds: rows without the column, reopened. */
	index_close(f->ix);
	f->ix = NULL;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "DELETE FROM spans WHERE kind = 1; "
	    "CREATE TABLE spans_old AS SELECT id, cam, stream, start_us, end_us FROM spans; "
	    "DROP TABLE spans; ALTER TABLE spans_old RENAME TO spans", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(index_open(&f->ix, f->path), 0);
	sp = spans_kind(f->ix, SPAN_RECORDED);
	assert_int_equal(sp.n, 1);
	assert_int_equal(sp.s[0][0], 80 * S);
	assert_int_equal(spans_kind(f->ix, SPAN_PAUSED).n, 0);
	/* New pauses are recorded again after the migration. */
	mklink(&l, 13, 90 * S, 120 * S, b, 0);
	l.kind = LINK_GAP;
	l.gap_reason = GAP_MOTION_IDLE;
	assert_int_equal(index_link_add(f->ix, &l), 0);
	sp = spans_kind(f->ix, SPAN_PAUSED);
	assert_int_equal(sp.n, 1);
	assert_int_equal(sp.s[0][0], 90 * S);
	/* Everything expired: no span of either kind left. */
	assert_int_equal(index_expire(f->ix, 1000 * S, 20, 0, &del), 0);
	assert_int_equal(spans_kind(f->ix, SPAN_RECORDED).n, 0);
	assert_int_equal(spans_kind(f->ix, SPAN_PAUSED).n, 0);
}

/* An organization's quota over its cameras only: three cameras, two in the set (one with two
 * streams), one outside it; links of 10 bytes at interleaved times. The walk deletes the
 * set's oldest links across cameras and streams, in time order, until the set holds at most
 * the quota, and never touches the camera outside it. */
static void
test_cameras_quota(void **state)
{
	struct fx *f = *state;
	static const uint8_t set[2][16] = { { 0xa1 }, { 0xa2 } };
	static const uint8_t other[16] = { 0xb1 };
	struct index_link l;
	uint64_t bytes;
	int64_t b, del;
	int i;

	assert_int_equal(index_gateway_add(f->ix, gw1), 1);
	assert_int_equal(index_camera_claim(f->ix, set[0], gw1), 0);
	assert_int_equal(index_camera_claim(f->ix, set[1], gw1), 0);
	assert_int_equal(index_camera_claim(f->ix, other, gw1), 0);
	assert_int_equal(index_blob_new(f->ix, set[0], 0, 1, &b), 0);
	/* Link i of set[0] stream 0 ends at (3i+1) s, set[1] stream 0 at (3i+2) s, set[1]
	 * stream 1 at (3i+3) s, the other camera at (3i) s: 5 each, 150 bytes in the set. */
	for (i = 0; i < 5; i++) {
		mklink(&l, (uint64_t)i, 3 * i * S, (3 * i + 1) * S, b, 10);
		memcpy(l.camera_id, set[0], 16);
		assert_int_equal(index_link_add(f->ix, &l), 0);
		mklink(&l, (uint64_t)i, 3 * i * S, (3 * i + 2) * S, b, 10);
		memcpy(l.camera_id, set[1], 16);
		assert_int_equal(index_link_add(f->ix, &l), 0);
		l.stream = 1;
		l.end_us = (3 * i + 3) * S;
		assert_int_equal(index_link_add(f->ix, &l), 0);
		mklink(&l, (uint64_t)i, 3 * i * S - 1, 3 * i * S, b, 10);
		memcpy(l.camera_id, other, 16);
		assert_int_equal(index_link_add(f->ix, &l), 0);
	}
	assert_int_equal(index_cameras_bytes(f->ix, set, 2, &bytes), 0);
	assert_int_equal(bytes, 150);
	assert_int_equal(index_cameras_bytes(f->ix, &other, 1, &bytes), 0);
	assert_int_equal(bytes, 50);
	/* Under the quota: nothing goes. */
	assert_int_equal(index_expire_cameras(f->ix, set, 2, 150, &del), 0);
	assert_int_equal(del, 0);
	/* 75 bytes: the 8 oldest of the set go (ends 1..8 s: set[0] seqs 0-2, set[1] stream 0
	 * seqs 0-2, set[1] stream 1 seqs 0-1), leaving 70 bytes. */
	assert_int_equal(index_expire_cameras(f->ix, set, 2, 75, &del), 0);
	assert_int_equal(del, 8);
	assert_int_equal(index_cameras_bytes(f->ix, set, 2, &bytes), 0);
	assert_int_equal(bytes, 70);
	for (i = 0; i < 5; i++) {
		assert_int_equal(index_link_exists(f->ix, set[0], 0, (uint64_t)i), i >= 3);
		assert_int_equal(index_link_exists(f->ix, set[1], 0, (uint64_t)i), i >= 3);
		assert_int_equal(index_link_exists(f->ix, set[1], 1, (uint64_t)i), i >= 2);
		assert_int_equal(index_link_exists(f->ix, other, 0, (uint64_t)i), 1);
	}
	assert_int_equal(index_cameras_bytes(f->ix, &other, 1, &bytes), 0);
	assert_int_equal(bytes, 50);
	assert_int_equal(index_total_bytes(f->ix, &bytes), 0);
	assert_int_equal(bytes, 120);
	/* A camera the index does not know counts as empty; quota 0 empties the set. */
	{
		static const uint8_t none[1][16] = { { 0xcc } };

		assert_int_equal(index_cameras_bytes(f->ix, none, 1, &bytes), 0);
		assert_int_equal(bytes, 0);
	}
	assert_int_equal(index_expire_cameras(f->ix, set, 2, 0, &del), 0);
	assert_int_equal(del, 7);
	assert_int_equal(index_cameras_bytes(f->ix, set, 2, &bytes), 0);
	assert_int_equal(bytes, 0);
	assert_int_equal(index_total_bytes(f->ix, &bytes), 0);
	assert_int_equal(bytes, 50);
}

/* Count the streams listed (index_streams_list) of one camera. */
struct cam_count { const uint8_t *cam; int n; };

static int
cam_streams_cb(void *ctx, const struct index_stream_summary *s)
{
	struct cam_count *c = ctx;

	if (memcmp(s->camera_id, c->cam, 16) == 0)
		c->n++;
	return 0;
}

static int
cam_streams(struct index *ix, const uint8_t *id)
{
	struct cam_count c = { id, 0 };

	assert_true(index_streams_list(ix, 100, cam_streams_cb, &c) >= 0);
	return c.n;
}

/* A removed camera: at once nothing of it is listed or reachable by its id and a link still
 * in flight is refused (INDEX_E_NOTFOUND); its links then go a batch at a time
 * (index_purge_removed) while storage used still counts them, the other camera keeps
 * everything, and the camera can be claimed again from scratch, even before the purge ends. */
static void
test_camera_remove(void **state)
{
	struct fx *f = *state;
	static const uint8_t gone[16] = { 0xd1 }, kept[16] = { 0xd2 };
	struct index_link l;
	uint64_t bytes, seqs[16];
	int64_t b, links, rbytes, age, del;
	int i;

	assert_int_equal(index_gateway_add(f->ix, gw1), 1);
	assert_int_equal(index_camera_claim(f->ix, gone, gw1), 0);
	assert_int_equal(index_camera_claim(f->ix, kept, gw1), 0);
	assert_int_equal(index_camera_set_retention(f->ix, gone, 7200), 0);
	assert_int_equal(index_blob_new(f->ix, gone, 0, 1, &b), 0);
	for (i = 0; i < 4; i++) {
		mklink(&l, (uint64_t)i, i * 2 * S, (i + 1) * 2 * S, b, 10);
		memcpy(l.camera_id, gone, 16);
		assert_int_equal(index_link_add(f->ix, &l), 0);
		l.stream = 1;
		assert_int_equal(index_link_add(f->ix, &l), 0);
		memcpy(l.camera_id, kept, 16);
		assert_int_equal(index_link_add(f->ix, &l), 0);
	}
	assert_int_equal(cam_streams(f->ix, gone), 2);
	/* Paging by camera id (retention's events pass): after `gone`, only `kept` is listed. */
	{
		struct cam_count cg = { gone, 0 }, ck = { kept, 0 };

		assert_true(index_streams_list_after(f->ix, gone, 100, cam_streams_cb, &cg) >= 0);
		assert_true(index_streams_list_after(f->ix, gone, 100, cam_streams_cb, &ck) >= 0);
		assert_int_equal(cg.n, 0);
		assert_true(ck.n >= 1);
		ck.n = 0;
		assert_true(index_streams_list_after(f->ix, kept, 100, cam_streams_cb, &ck) >= 0);
		assert_int_equal(ck.n, 0);
	}
	assert_int_equal(index_camera_remove(f->ix, gone, &links, &rbytes), 0);
	assert_int_equal(links, 8);
	assert_int_equal(rbytes, 80);
	assert_int_equal(index_cameras_bytes(f->ix, &gone, 1, &bytes), 0);
	assert_int_equal(bytes, 0);
	assert_int_equal(index_link_exists(f->ix, gone, 0, 0), 0);
	assert_int_equal(index_link_exists(f->ix, gone, 1, 3), 0);
	assert_int_equal(index_link_exists(f->ix, kept, 1, 3), 1);
	seqs[0] = 0;
	assert_int_equal(index_links_range(f->ix, gone, 0, 0, 100 * S, 10, count_cb, seqs), 0);
	assert_int_equal(cam_streams(f->ix, gone), 0);
	assert_int_equal(cam_streams(f->ix, kept), 1);
	assert_int_equal(index_camera_retention(f->ix, gone, &age), INDEX_E_NOTFOUND);
	/* Still on disk until purged: storage used counts it. */
	assert_int_equal(index_total_bytes(f->ix, &bytes), 0);
	assert_int_equal(bytes, 120);
	/* In flight when it was removed: not added. */
	mklink(&l, 9, 20 * S, 22 * S, b, 10);
	memcpy(l.camera_id, gone, 16);
	assert_int_equal(index_link_add(f->ix, &l), INDEX_E_NOTFOUND);
	assert_int_equal(index_link_exists(f->ix, gone, 0, 9), 0);
	/* Removing again finds nothing; claimed anew before the purge, it records again under a
	 * new key and none of the old links shows. */
	assert_int_equal(index_camera_remove(f->ix, gone, &links, &rbytes), 0);
	assert_int_equal(links, 0);
	assert_int_equal(index_camera_claim(f->ix, gone, gw1), 0);
	assert_int_equal(index_link_add(f->ix, &l), 0);
	assert_int_equal(index_cameras_bytes(f->ix, &gone, 1, &bytes), 0);
	assert_int_equal(bytes, 10);
	assert_int_equal(index_link_exists(f->ix, gone, 0, 0), 0);
	/* The purge: 8 links in batches of at most 3 within a stream (a primary-key range), each
	 * its own transaction, totals kept true; then the key goes; then nothing is left. */
	index_set_delete_batch(f->ix, 3);
	assert_int_equal(index_purge_removed(f->ix, &del), 1);
	assert_int_equal(del, 3);
	assert_int_equal(index_total_bytes(f->ix, &bytes), 0);
	assert_int_equal(bytes, 130 - 30);
	{
		static const int64_t want[] = { 1, 3, 1, 0 };

		for (i = 0; i < 4; i++) {
			assert_int_equal(index_purge_removed(f->ix, &del), 1);
			assert_int_equal(del, want[i]);
		}
	}
	assert_int_equal(index_purge_removed(f->ix, &del), 0);
	assert_int_equal(del, 0);
	assert_int_equal(index_total_bytes(f->ix, &bytes), 0);
	assert_int_equal(bytes, 50);
	/* The camera added again and the other one are untouched. */
	assert_int_equal(index_cameras_bytes(f->ix, &gone, 1, &bytes), 0);
	assert_int_equal(bytes, 10);
	assert_int_equal(index_link_exists(f->ix, gone, 0, 9), 1);
	assert_int_equal(index_link_exists(f->ix, kept, 1, 0), 1);
	assert_int_equal(cam_streams(f->ix, gone), 1);
	/* A purge interrupted between batches goes on after a reopen. */
	assert_int_equal(index_camera_remove(f->ix, kept, &links, &rbytes), 0);
	assert_int_equal(links, 4);
	assert_int_equal(index_purge_removed(f->ix, &del), 1);
	assert_int_equal(del, 3);
	index_close(f->ix);
	assert_int_equal(index_open(&f->ix, f->path), 0);
	assert_int_equal(index_total_bytes(f->ix, &bytes), 0);
	assert_int_equal(bytes, 20);
	assert_int_equal(cam_streams(f->ix, kept), 0);
	assert_int_equal(index_purge_removed(f->ix, &del), 1);
	assert_int_equal(del, 1);
	assert_int_equal(index_purge_removed(f->ix, &del), 1);
	assert_int_equal(del, 0);
	assert_int_equal(index_purge_removed(f->ix, &del), 0);
	assert_int_equal(index_total_bytes(f->ix, &bytes), 0);
	assert_int_equal(bytes, 10);
}

/* Retention and quota deletions stop at a batch and report that more is due; the next calls
 * finish the work, each batch a transaction that leaves totals and spans true. */
static void
test_batched_expiry(void **state)
{
	struct fx *f = *state;
	static const uint8_t set[1][16] = { { 1, 2, 3 } };
	struct index_link l;
	uint64_t bytes;
	int64_t b, del;
	int i, r, calls;

	assert_int_equal(index_gateway_add(f->ix, gw1), 1);
	assert_int_equal(index_camera_claim(f->ix, cam, gw1), 0);
	assert_int_equal(index_blob_new(f->ix, cam, 0, 1, &b), 0);
	for (i = 0; i < 20; i++) {
		mklink(&l, (uint64_t)i, i * S, (i + 1) * S, b, 10);
		assert_int_equal(index_link_add(f->ix, &l), 0);
	}
	index_set_delete_batch(f->ix, 6);
	/* Age: links ending before 15 s (14 of them) go as 6, 6, 2. */
	assert_int_equal(index_expire(f->ix, 65 * S, 50, 0, &del), 1);
	assert_int_equal(del, 6);
	assert_int_equal(index_link_exists(f->ix, cam, 0, 5), 0);
	assert_int_equal(index_link_exists(f->ix, cam, 0, 6), 1);
	assert_int_equal(index_total_bytes(f->ix, &bytes), 0);
	assert_int_equal(bytes, 140);
	assert_int_equal(index_expire(f->ix, 65 * S, 50, 0, &del), 1);
	assert_int_equal(del, 6);
	assert_int_equal(index_expire(f->ix, 65 * S, 50, 0, &del), 0);
	assert_int_equal(del, 2);
	assert_int_equal(index_link_exists(f->ix, cam, 0, 13), 0);
	assert_int_equal(index_link_exists(f->ix, cam, 0, 14), 1);
	/* An organization's quota of 10 bytes: 5 of the 6 left go in one full batch... */
	assert_int_equal(index_expire_cameras(f->ix, set, 1, 20, &del), 0);
	assert_int_equal(del, 4);
	index_set_delete_batch(f->ix, 1);
	calls = 0;
	do {
		r = index_expire_cameras(f->ix, set, 1, 0, &del);
		assert_true(r >= 0);
		assert_true(del <= 1);
		calls++;
	} while (r == 1 && calls < 10);
	assert_int_equal(r, 0);
	assert_int_equal(index_cameras_bytes(f->ix, set, 1, &bytes), 0);
	assert_int_equal(bytes, 0);
	assert_int_equal(index_total_bytes(f->ix, &bytes), 0);
	assert_int_equal(bytes, 0);
}

/* The instance quota neither counts nor picks a removed camera's links: the purge frees
 * them, so no other camera's footage goes for those bytes. */
static void
test_quota_skips_purge(void **state)
{
	struct fx *f = *state;
	static const uint8_t gone[16] = { 0xe1 };
	struct index_link l;
	uint64_t bytes;
	int64_t b, del, links, rbytes;
	int i;

	assert_int_equal(index_gateway_add(f->ix, gw1), 1);
	assert_int_equal(index_camera_claim(f->ix, cam, gw1), 0);
	assert_int_equal(index_camera_claim(f->ix, gone, gw1), 0);
	assert_int_equal(index_blob_new(f->ix, cam, 0, 1, &b), 0);
	for (i = 0; i < 5; i++) {
		/* the removed camera's links are the oldest */
		mklink(&l, (uint64_t)i, i * S, (i + 1) * S, b, 10);
		memcpy(l.camera_id, gone, 16);
		assert_int_equal(index_link_add(f->ix, &l), 0);
		mklink(&l, (uint64_t)i, (10 + i) * S, (11 + i) * S, b, 10);
		assert_int_equal(index_link_add(f->ix, &l), 0);
	}
	assert_int_equal(index_purge_pending(f->ix, &links, &rbytes), 0);
	assert_int_equal(links, 0);
	assert_int_equal(index_camera_remove(f->ix, gone, &links, &rbytes), 0);
	assert_int_equal(links, 5);
	assert_int_equal(index_purge_pending(f->ix, &links, &rbytes), 0);
	assert_int_equal(links, 1);
	assert_int_equal(rbytes, 50);
	assert_int_equal(index_expire(f->ix, 100 * S, 0, 60, &del), 0);
	assert_int_equal(del, 0);
	for (i = 0; i < 5; i++)
		assert_int_equal(index_link_exists(f->ix, cam, 0, (uint64_t)i), 1);
	/* Under 30 bytes for the live camera: its two oldest go, none of the purge's. */
	assert_int_equal(index_expire(f->ix, 100 * S, 0, 30, &del), 0);
	assert_int_equal(del, 2);
	assert_int_equal(index_link_exists(f->ix, cam, 0, 1), 0);
	assert_int_equal(index_link_exists(f->ix, cam, 0, 2), 1);
	assert_int_equal(index_total_bytes(f->ix, &bytes), 0);
	assert_int_equal(bytes, 80);
	assert_int_equal(index_purge_removed(f->ix, &del), 1);
	assert_int_equal(del, 5);
	assert_int_equal(index_purge_pending(f->ix, &links, &rbytes), 0);
	assert_int_equal(links, 1);
	assert_int_equal(rbytes, 0);
	assert_int_equal(index_purge_removed(f->ix, &del), 1);
	assert_int_equal(index_purge_pending(f->ix, &links, &rbytes), 0);
	assert_int_equal(links, 0);
	assert_int_equal(index_purge_removed(f->ix, &del), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_gateways_cameras, setup, teardown),
		cmocka_unit_test_setup_teardown(test_links, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retention, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_spans, setup, teardown),
		cmocka_unit_test_setup_teardown(test_paused_spans, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stream_totals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_orphans_sealed_empty_and_refill, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cameras_quota, setup, teardown),
		cmocka_unit_test_setup_teardown(test_camera_remove, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batched_expiry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_quota_skips_purge, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
