/* metrics.c - lock-free counters, gauges and fixed-bucket histograms, and their Prometheus text rendering. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/statvfs.h>
#include "server/metrics.h"

/* Bucket upper bounds in microseconds; the last bucket (+Inf) is implicit. */
static const int64_t bounds_us[] = {
	5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000
};
#define NBOUNDS (sizeof(bounds_us) / sizeof(bounds_us[0]))

struct hist {
	_Atomic uint64_t bucket[NBOUNDS + 1];  /* not cumulative; rendered cumulative */
	_Atomic uint64_t count;
	_Atomic uint64_t sum_us;
};

static _Atomic uint64_t counters[MC_COUNTER_N];
static _Atomic int64_t gauges[MG_GAUGE_N];
static struct hist hists[MH_HIST_N][MR_CLASS_N];

struct desc { const char *name, *help, *label; };

static const struct desc counter_desc[MC_COUNTER_N] = {
	[MC_INGEST_BYTES] = { "vigil_ingest_bytes_total", "Bytes of records accepted from gateways.", NULL },
	[MC_INGEST_SEGMENTS] = { "vigil_ingest_links_total", "Chain links made durable.", "kind=\"segment\"" },
	[MC_INGEST_GAPS] = { "vigil_ingest_links_total", NULL, "kind=\"gap\"" },
	[MC_INGEST_REFUSED] = { "vigil_ingest_refused_total", "Links refused (chain, signature or owner).", NULL },
	[MC_INGEST_SHED] = { "vigil_ingest_shed_total", "Uploads answered 503 while ingest was over capacity.", NULL },
	[MC_INGEST_LIVE_ONLY] = { "vigil_ingest_live_only_total", "Live-only segments received: relayed to viewers, never stored.", NULL },
	[MC_RELAY_RECORDS] = { "vigil_relay_records_total", "Records handed to live viewers.", NULL },
	[MC_RELAY_SKIPS] = { "vigil_relay_skips_total", "Slow viewers skipped ahead to the next segment start.", NULL },
	[MC_RELAY_DROPS] = { "vigil_relay_drops_total", "Viewers disconnected for falling too far behind.", NULL },
	[MC_AUTH_FAIL_LOGIN] = { "vigil_auth_failures_total", "Failed authentications.", "kind=\"login\"" },
	[MC_AUTH_FAIL_GATEWAY] = { "vigil_auth_failures_total", NULL, "kind=\"gateway\"" },
	[MC_AUTH_FAIL_SESSION] = { "vigil_auth_failures_total", NULL, "kind=\"session\"" },
	[MC_SHARE_CREATED] = { "vigil_share_events_total", "Share links created, opened (a view counted) and opens refused.", "kind=\"created\"" },
	[MC_SHARE_OPENED] = { "vigil_share_events_total", NULL, "kind=\"opened\"" },
	[MC_SHARE_REFUSED] = { "vigil_share_events_total", NULL, "kind=\"refused\"" },
};

static const struct desc gauge_desc[MG_GAUGE_N] = {
	[MG_UPLOADS] = { "vigil_ingest_uploads_open", "Gateway uploads open (a connected gateway has one or more).", NULL },
	[MG_CAMERA_STREAMS] = { "vigil_camera_streams_live", "Camera streams that got a record in the last 10 s.", NULL },
	[MG_VIEWERS] = { "vigil_viewers", "Live viewers connected.", NULL },
	[MG_CONNECTIONS] = { "vigil_http_connections", "HTTP connections open.", NULL },
	[MG_PURGE_CAMERAS] = { "vigil_storage_purge_cameras", "Removed cameras whose recordings are still being erased.", NULL },
	[MG_PURGE_BYTES] = { "vigil_storage_purge_bytes", "Bytes of removed cameras' recordings not yet erased (part of storage used).", NULL },
};

static const char *const class_name[MR_CLASS_N] = {
	[MR_INGEST] = "ingest", [MR_LIVE] = "live", [MR_ARCHIVE] = "archive", [MR_AUTH] = "auth",
	[MR_API] = "api", [MR_STATIC] = "static", [MR_OTHER] = "other",
};

void
metrics_inc(enum metrics_counter c, uint64_t n)
{
	if ((unsigned)c < MC_COUNTER_N)
		atomic_fetch_add_explicit(&counters[c], n, memory_order_relaxed);
}

void
metrics_gauge_add(enum metrics_gauge g, int64_t delta)
{
	if ((unsigned)g < MG_GAUGE_N)
		atomic_fetch_add_explicit(&gauges[g], delta, memory_order_relaxed);
}

void
metrics_observe(enum metrics_hist h, enum metrics_class cls, int64_t us)
{
	struct hist *x;
	size_t i;

	if ((unsigned)h >= MH_HIST_N)
		return;
	if (h != MH_REQUEST || (unsigned)cls >= MR_CLASS_N)
		cls = MR_OTHER;
	if (us < 0)
		us = 0;
	x = &hists[h][cls];
	for (i = 0; i < NBOUNDS && us > bounds_us[i]; i++)
		;
	atomic_fetch_add_explicit(&x->bucket[i], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&x->count, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&x->sum_us, (uint64_t)us, memory_order_relaxed);
}

void
metrics_gauge_set(enum metrics_gauge g, int64_t v)
{
	if ((unsigned)g < MG_GAUGE_N)
		atomic_store_explicit(&gauges[g], v, memory_order_relaxed);
}

uint64_t
metrics_counter_get(enum metrics_counter c)
{
	return (unsigned)c < MC_COUNTER_N ? atomic_load(&counters[c]) : 0;
}

int64_t
metrics_gauge_get(enum metrics_gauge g)
{
	return (unsigned)g < MG_GAUGE_N ? atomic_load(&gauges[g]) : 0;
}

void
metrics_reset(void)
{
	size_t i, j, k;

	for (i = 0; i < MC_COUNTER_N; i++)
		atomic_store(&counters[i], 0);
	for (i = 0; i < MG_GAUGE_N; i++)
		atomic_store(&gauges[i], 0);
	for (i = 0; i < MH_HIST_N; i++)
		for (j = 0; j < MR_CLASS_N; j++) {
			for (k = 0; k <= NBOUNDS; k++)
				atomic_store(&hists[i][j].bucket[k], 0);
			atomic_store(&hists[i][j].count, 0);
			atomic_store(&hists[i][j].sum_us, 0);
		}
}

/* Append formatted text; -1 when it does not fit. */
static int __attribute__((format(printf, 2, 3)))
put(struct buf *out, const char *fmt, ...)
{
	char line[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line))
		return -1;
	return buf_put(out, line, (size_t)n);
}

static int
render_one(struct buf *out, const struct desc *d, const char *type, const char *value)
{
	if (d->help != NULL && (put(out, "# HELP %s %s\n", d->name, d->help) != 0 ||
	    put(out, "# TYPE %s %s\n", d->name, type) != 0))
		return -1;
	if (d->label != NULL)
		return put(out, "%s{%s} %s\n", d->name, d->label, value);
	return put(out, "%s %s\n", d->name, value);
}

static int
render_hist(struct buf *out, const char *name, const char *label, const struct hist *x)
{
	char lb[64];
	uint64_t cum = 0;
	size_t i;

	for (i = 0; i <= NBOUNDS; i++) {
		cum += atomic_load(&x->bucket[i]);
		if (i < NBOUNDS)
			snprintf(lb, sizeof(lb), "%.3f", (double)bounds_us[i] / 1e6);
		else
			snprintf(lb, sizeof(lb), "+Inf");
		if (put(out, "%s_bucket{%s%sle=\"%s\"} %" PRIu64 "\n", name, label,
		    *label != '\0' ? "," : "", lb, cum) != 0)
			return -1;
	}
	if (*label != '\0')
		return put(out, "%s_sum{%s} %.6f\n%s_count{%s} %" PRIu64 "\n", name, label,
		    (double)atomic_load(&x->sum_us) / 1e6, name, label, atomic_load(&x->count));
	return put(out, "%s_sum %.6f\n%s_count %" PRIu64 "\n", name,
	    (double)atomic_load(&x->sum_us) / 1e6, name, atomic_load(&x->count));
}

int
metrics_render(struct buf *out, uint64_t storage_used, const char *data_dir)
{
	struct statvfs vfs;
	char v[32], label[48];
	size_t i;

	for (i = 0; i < MC_COUNTER_N; i++) {
		snprintf(v, sizeof(v), "%" PRIu64, atomic_load(&counters[i]));
		if (render_one(out, &counter_desc[i], "counter", v) != 0)
			return -1;
	}
	for (i = 0; i < MG_GAUGE_N; i++) {
		snprintf(v, sizeof(v), "%" PRId64, atomic_load(&gauges[i]));
		if (render_one(out, &gauge_desc[i], "gauge", v) != 0)
			return -1;
	}
	if (put(out, "# HELP vigil_ingest_ack_seconds From a link's last byte to its durable "
	    "acknowledgement.\n# TYPE vigil_ingest_ack_seconds histogram\n") != 0 ||
	    render_hist(out, "vigil_ingest_ack_seconds", "", &hists[MH_ACK_LATENCY][MR_OTHER]) != 0)
		return -1;
	if (put(out, "# HELP vigil_http_request_seconds Request handling time by route class "
	    "(streams: until the response is queued).\n"
	    "# TYPE vigil_http_request_seconds histogram\n") != 0)
		return -1;
	for (i = 0; i < MR_CLASS_N; i++) {
		snprintf(label, sizeof(label), "class=\"%s\"", class_name[i]);
		if (render_hist(out, "vigil_http_request_seconds", label, &hists[MH_REQUEST][i]) != 0)
			return -1;
	}
	if (put(out, "# HELP vigil_storage_used_bytes Bytes of stored links.\n"
	    "# TYPE vigil_storage_used_bytes gauge\nvigil_storage_used_bytes %" PRIu64 "\n",
	    storage_used) != 0)
		return -1;
	if (data_dir != NULL && statvfs(data_dir, &vfs) == 0 &&
	    put(out, "# HELP vigil_storage_free_bytes Bytes free for the data directory.\n"
	    "# TYPE vigil_storage_free_bytes gauge\nvigil_storage_free_bytes %" PRIu64 "\n",
	    (uint64_t)vfs.f_bavail * (uint64_t)vfs.f_frsize) != 0)
		return -1;
	return 0;
}
