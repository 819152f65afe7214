/* metrics.h - the figures the server is judged by, counted lock-free on the hot paths and rendered in Prometheus text format for GET /metrics. */
#ifndef VIGIL_SERVER_METRICS_H
#define VIGIL_SERVER_METRICS_H

#include <stdint.h>
#include "common/buf.h"

/*
 * One process-wide set of counters (the server has one of everything this counts).
 * Every label value is a fixed word from this header: no organization, camera, user or
 * address ever becomes a label, so /metrics tells an operator how the machine is doing
 * and nothing about whose video it carries. docs/design/metrics.md lists each metric.
 */
enum metrics_counter {
	MC_INGEST_BYTES,          /* bytes of records accepted from gateways */
	MC_INGEST_SEGMENTS,       /* segment links made durable */
	MC_INGEST_GAPS,           /* gap links made durable */
	MC_INGEST_REFUSED,        /* links refused (bad chain, signature, owner) */
	MC_INGEST_SHED,           /* uploads answered 503 because ingest was over capacity */
	MC_INGEST_LIVE_ONLY,      /* live-only segments received (relayed, never stored) */
	MC_RELAY_RECORDS,         /* records handed to live viewers */
	MC_RELAY_SKIPS,           /* a slow viewer skipped to the next segment start */
	MC_RELAY_DROPS,           /* a viewer disconnected for falling too far behind */
	MC_AUTH_FAIL_LOGIN,       /* failed account logins (wrong key, TOTP, throttled) */
	MC_AUTH_FAIL_GATEWAY,     /* failed gateway challenge answers */
	MC_AUTH_FAIL_SESSION,     /* requests with a missing, expired or revoked session */
	MC_SHARE_CREATED,         /* share links created */
	MC_SHARE_OPENED,          /* share links opened (a view counted) */
	MC_SHARE_REFUSED,         /* opens refused: unknown, expired, revoked or used up */
	MC_COUNTER_N
};

enum metrics_gauge {
	MG_UPLOADS,               /* gateway uploads open now (a connected gateway has one or more) */
	MG_CAMERA_STREAMS,        /* camera streams that got a record in the last 10 s */
	MG_VIEWERS,               /* live viewers connected now */
	MG_CONNECTIONS,           /* HTTP connections open now */
	MG_PURGE_CAMERAS,         /* removed cameras whose recordings are still being erased */
	MG_PURGE_BYTES,           /* their bytes (part of storage used until erased) */
	MG_GAUGE_N
};

/* Request classes for the latency histogram: the route's kind, never its path. */
enum metrics_class {
	MR_INGEST, MR_LIVE, MR_ARCHIVE, MR_AUTH, MR_API, MR_STATIC, MR_OTHER, MR_CLASS_N
};

/* Histograms: durations in microseconds into fixed buckets (5 ms .. 10 s). */
enum metrics_hist { MH_ACK_LATENCY, MH_REQUEST, MH_HIST_N };

void metrics_inc(enum metrics_counter c, uint64_t n);
void metrics_gauge_add(enum metrics_gauge g, int64_t delta);
void metrics_gauge_set(enum metrics_gauge g, int64_t v);
/* Record one observation; cls matters only for MH_REQUEST (MR_OTHER otherwise). */
void metrics_observe(enum metrics_hist h, enum metrics_class cls, int64_t us);
/* The current value of a counter or gauge (tests). */
uint64_t metrics_counter_get(enum metrics_counter c);
int64_t metrics_gauge_get(enum metrics_gauge g);
/* Zero everything (tests). */
void metrics_reset(void);

/* Append the Prometheus text exposition (version 0.0.4) of every metric to out, with
 * storage used (bytes the index holds) and free (statvfs of data_dir, skipped when NULL).
 * 0 or -1 (out full). */
int metrics_render(struct buf *out, uint64_t storage_used, const char *data_dir);

#endif
