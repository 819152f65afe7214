/* index_year.c - benchmark tool: fills a fresh index with DAYS of 2-second segments for one camera (with outages), times timeline queries and the index's other work, then removes the camera. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "common/util.h"
#include "server/index.h"

#define SEG_US 2000000LL
#define DAY_US (86400LL * 1000000LL)
#define BATCH 4096
#define LINKS_PER_BLOB 30          /* one blob per camera-minute, as the server cuts them */
#define QUERIES 21
#define EXIT_USAGE 2

struct counter { int64_t rows; };

static int
link_cb(void *ctx, const struct index_link *l)
{
	((struct counter *)ctx)->rows++;
	(void)l;
	return 0;
}

static int
span_cb(void *ctx, int64_t s, int64_t e)
{
	((struct counter *)ctx)->rows++;
	(void)s;
	(void)e;
	return 0;
}

static double
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* xorshift: the outages are the same in every run. */
static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint64_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Time QUERIES queries of width us at random offsets; prints "name median min max rows". */
static int
time_queries(struct index *ix, const uint8_t cam[CAMERA_ID_LEN], int64_t t0, int64_t span_us,
    int64_t width, int spans, const char *name)
{
	double ms[QUERIES];
	struct counter c = { 0 };
	int i, r;

	for (i = 0; i < QUERIES; i++) {
		int64_t from = t0 + (int64_t)(rnd() % (uint64_t)(span_us - width));
		double a = mono_ms();

		c.rows = 0;
		r = spans ? index_spans_range(ix, cam, 0, SPAN_RECORDED, from, from + width, 1 << 30, span_cb, &c) :
		    index_links_range(ix, cam, 0, from, from + width, 1 << 30, link_cb, &c);
		ms[i] = mono_ms() - a;
		if (r < 0)
			return -1;
	}
	qsort(ms, QUERIES, sizeof(ms[0]), cmp_double);
	printf("query name=%s median_ms=%.3f min_ms=%.3f max_ms=%.3f rows=%" PRId64 "\n", name,
	    ms[QUERIES / 2], ms[0], ms[QUERIES - 1], c.rows);
	return 0;
}

static int
stream_cb(void *ctx, const struct index_stream_summary *s)
{
	((struct counter *)ctx)->rows++;
	(void)s;
	return 0;
}

/* The index work that is not a timeline query but runs against the same history: what
 * ingest asks for every link (is it a resend, is it past the stream's head), the camera
 * list, the retention pass (nothing due: the history is younger than its limit; a quota
 * above what is stored) and the storage figure /metrics reads. Each has to stay fast
 * however long the history is; prints one "query" line per operation. */
enum { OP_INGEST_LOOKUP, OP_CAMERA_LIST, OP_RETENTION_PASS, OP_QUOTA_PASS, OP_TOTAL_BYTES,
	OP_ORPHANS, OP_N };
static const char *const op_name[OP_N] = {
	"ingest_lookup", "camera_list", "retention_pass", "quota_pass", "total_bytes", "orphan_blobs",
};

static int
time_ops(struct index *ix, const uint8_t cam[CAMERA_ID_LEN], int64_t end, int64_t days, int64_t nlinks)
{
	double ms[QUERIES];
	struct counter c = { 0 };
	uint64_t u;
	int64_t deleted;
	int i, op, r = 0;

	if (index_blob_seal_all(ix) != 0)
		return -1;
	for (op = 0; op < OP_N; op++) {
		for (i = 0; i < QUERIES && r >= 0; i++) {
			double a = mono_ms();

			c.rows = 0;
			switch (op) {
			case OP_INGEST_LOOKUP:
				if ((r = index_link_exists(ix, cam, 0, (uint64_t)nlinks + (uint64_t)i)) == 0)
					r = index_link_max_seq(ix, cam, 0, &u);
				c.rows = 1;
				break;
			case OP_CAMERA_LIST:
				r = index_streams_list(ix, 1000, stream_cb, &c);
				break;
			case OP_RETENTION_PASS:
				r = index_expire(ix, end, 2 * days * 86400, 0, &deleted);
				c.rows = deleted;
				break;
			case OP_QUOTA_PASS:
				r = index_expire(ix, end, 2 * days * 86400, UINT64_MAX / 2, &deleted);
				c.rows = deleted;
				break;
			case OP_TOTAL_BYTES:
				r = index_total_bytes(ix, &u);
				c.rows = 1;
				break;
			default: {
				/* Every blob of the history is sealed (as on a running server) and
				 * none is an orphan: retention asks this on every pass. */
				struct index_blob ob[64];

				r = index_blob_orphans(ix, ob, 64);
				c.rows = r > 0 ? r : 0;
				break;
			}
			}
			ms[i] = mono_ms() - a;
		}
		if (r < 0)
			return -1;
		qsort(ms, QUERIES, sizeof(ms[0]), cmp_double);
		printf("query name=%s median_ms=%.3f min_ms=%.3f max_ms=%.3f rows=%" PRId64 "\n",
		    op_name[op], ms[QUERIES / 2], ms[0], ms[QUERIES - 1], c.rows);
	}
	return 0;
}

/* Call one batched deletion until it reports nothing more; prints a "query" line with the
 * batches' median, min and max (rows = the most links one batch deleted) and a "batches"
 * line with their count, the links deleted and the total time. -1 on error, else the links. */
static int64_t
time_batches(struct index *ix, const char *name, int (*step)(struct index *, void *, int64_t *),
    void *ctx)
{
	double a, *ms = NULL, total = 0;
	int64_t deleted, most = 0, sum = -1;
	size_t n = 0, cap = 0;
	int r;

	do {
		if (n == cap) {
			double *grown = realloc(ms, (cap = cap ? 2 * cap : 1024) * sizeof(*ms));

			if (grown == NULL)
				goto out;
			ms = grown;
		}
		a = mono_ms();
		if ((r = step(ix, ctx, &deleted)) < 0)
			goto out;
		ms[n] = mono_ms() - a;
		total += ms[n++];
		sum = (sum < 0 ? 0 : sum) + deleted;
		if (deleted > most)
			most = deleted;
	} while (r == 1);
	qsort(ms, n, sizeof(ms[0]), cmp_double);
	printf("query name=%s median_ms=%.3f min_ms=%.3f max_ms=%.3f rows=%" PRId64 "\n", name,
	    ms[n / 2], ms[0], ms[n - 1], most);
	printf("deleted name=%s batches=%zu links=%" PRId64 " seconds=%.1f\n", name, n, sum,
	    total / 1e3);
out:
	free(ms);
	return sum;
}

struct cut { int64_t end, max_age_s; };

static int
expire_step(struct index *ix, void *ctx, int64_t *deleted)
{
	const struct cut *c = ctx;

	return index_expire(ix, c->end, c->max_age_s, 0, deleted);
}

static int
purge_step(struct index *ix, void *ctx, int64_t *deleted)
{
	(void)ctx;
	return index_purge_removed(ix, deleted);
}

/* What retention and removal delete, a batch at a time, each batch holding the index's
 * lock (and so every camera's ingest) while it runs: a retention cut to the newer half of
 * the history, then removing the camera with the rest, as DELETE .../cameras/{id} does
 * (the removal itself is what the request waits for). */
static int
time_deletions(struct index *ix, const uint8_t cam[CAMERA_ID_LEN], int64_t end, int64_t days)
{
	struct cut c = { end, days * 86400 / 2 };
	int64_t links = 0, bytes = 0, purged;
	double a;

	if (time_batches(ix, "expire_batch", expire_step, &c) < 0)
		return -1;
	a = mono_ms();
	if (index_camera_remove(ix, cam, &links, &bytes) != 0)
		return -1;
	a = mono_ms() - a;
	printf("query name=camera_remove median_ms=%.3f min_ms=%.3f max_ms=%.3f rows=%" PRId64 "\n",
	    a, a, a, links);
	purged = time_batches(ix, "purge_batch", purge_step, NULL);
	return purged == links ? 0 : -1;
}

int
main(int argc, char **argv)
{
	struct index *ix = NULL;
	struct index_link *batch = NULL;
	uint8_t cam[CAMERA_ID_LEN] = { 0x5a, 0x17 }, gw[GATEWAY_ID_LEN] = { 0x77 };
	int res[BATCH];
	int64_t days, t0 = 1700000000LL * 1000000LL, t, end, blob = 0, outage_until = 0;
	int64_t nlinks = 0, nout = 0;
	char path[1024];
	struct stat sb, sw;
	size_t n = 0;
	double a, fill_s;
	int rc = 1;

	if (argc != 3 || parse_i64(argv[2], 1, 3650, &days) != 0) {
		fprintf(stderr, "usage: index_year DIR DAYS\n");
		return EXIT_USAGE;
	}
	snprintf(path, sizeof(path), "%s/index.db", argv[1]);
	if (index_open(&ix, path) != 0 || index_gateway_add(ix, gw) < 0 ||
	    index_camera_claim(ix, cam, gw) != 0 || (batch = calloc(BATCH, sizeof(*batch))) == NULL)
		goto out;
	end = t0 + days * DAY_US;
	a = mono_ms();
	for (t = t0; t < end; t += SEG_US) {
		struct index_link *l;

		/* Roughly every third day the camera drops out for 1 to 30 minutes. */
		if (t >= outage_until && rnd() % (3 * 43200) == 0) {
			outage_until = t + (int64_t)(60 + rnd() % 1740) * 1000000LL;
			nout++;
		}
		if (t < outage_until)
			continue;
		if (nlinks % LINKS_PER_BLOB == 0 && index_blob_new(ix, cam, 0, t, &blob) != 0)
			goto out;
		l = &batch[n++];
		memset(l, 0, sizeof(*l));
		memcpy(l->camera_id, cam, CAMERA_ID_LEN);
		l->seq = l->last_seq = (uint64_t)nlinks;
		l->kind = LINK_SEGMENT;
		l->start_us = t;
		l->end_us = t + SEG_US;
		l->blob_id = blob;
		l->offset = (uint64_t)(nlinks % LINKS_PER_BLOB) * 750000u;
		l->length = 750000u;
		nlinks++;
		if (n == BATCH) {
			if (index_links_add(ix, batch, n, res) != 0)
				goto out;
			n = 0;
		}
	}
	if (n > 0 && index_links_add(ix, batch, n, res) != 0)
		goto out;
	fill_s = (mono_ms() - a) / 1e3;
	index_close(ix);     /* checkpoints the WAL into the database file */
	ix = NULL;
	if (stat(path, &sb) != 0)
		goto out;
	snprintf(path, sizeof(path), "%s/index.db-wal", argv[1]);
	if (stat(path, &sw) != 0)
		sw.st_size = 0;
	printf("fill days=%" PRId64 " links=%" PRId64 " outages=%" PRId64 " seconds=%.1f "
	    "links_per_s=%.0f bytes=%lld bytes_per_camera_day=%.0f\n", days, nlinks, nout, fill_s,
	    (double)nlinks / fill_s, (long long)(sb.st_size + sw.st_size),
	    (double)(sb.st_size + sw.st_size) / (double)days);
	snprintf(path, sizeof(path), "%s/index.db", argv[1]);
	if (index_open(&ix, path) != 0)
		goto out;
	if (time_queries(ix, cam, t0, end - t0, DAY_US, 1, "timeline_day") != 0 ||
	    time_queries(ix, cam, t0, end - t0, days >= 31 ? 30 * DAY_US : DAY_US, 1,
	    "timeline_month") != 0 ||
	    time_queries(ix, cam, t0, end - t0, DAY_US, 0, "segments_day") != 0 ||
	    time_queries(ix, cam, t0, end - t0, 3600LL * 1000000LL, 0, "segments_hour") != 0 ||
	    time_ops(ix, cam, end, days, nlinks) != 0 || time_deletions(ix, cam, end, days) != 0)
		goto out;
	rc = 0;
out:
	if (rc != 0)
		fprintf(stderr, "index_year: failed\n");
	free(batch);
	index_close(ix);
	return rc;
}
