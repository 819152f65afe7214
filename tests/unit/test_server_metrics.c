/* test_server_metrics.c - counters, gauges and histograms render as valid Prometheus text with no identifying labels. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "common/buf.h"
#include "server/metrics.h"

static char text[65536];

static const char *
render(void)
{
	struct buf b;

	buf_init(&b, sizeof(text) - 1);
	assert_int_equal(metrics_render(&b, 12345, "/tmp"), 0);
	assert_true(b.len < sizeof(text));
	memcpy(text, b.data, b.len);
	text[b.len] = '\0';
	buf_free(&b);
	return text;
}

static void
test_counters_and_gauges(void **state)
{
	const char *t;

	(void)state;
	metrics_reset();
	metrics_inc(MC_INGEST_BYTES, 1000);
	metrics_inc(MC_INGEST_BYTES, 24);
	metrics_inc(MC_INGEST_SEGMENTS, 3);
	metrics_inc(MC_AUTH_FAIL_LOGIN, 2);
	metrics_gauge_add(MG_VIEWERS, 5);
	metrics_gauge_add(MG_VIEWERS, -2);
	metrics_gauge_set(MG_PURGE_BYTES, 777);
	assert_int_equal(metrics_counter_get(MC_INGEST_BYTES), 1024);
	assert_int_equal(metrics_gauge_get(MG_VIEWERS), 3);
	t = render();
	assert_non_null(strstr(t, "\nvigil_ingest_bytes_total 1024\n"));
	assert_non_null(strstr(t, "vigil_ingest_links_total{kind=\"segment\"} 3\n"));
	assert_non_null(strstr(t, "vigil_ingest_links_total{kind=\"gap\"} 0\n"));
	assert_non_null(strstr(t, "vigil_auth_failures_total{kind=\"login\"} 2\n"));
	assert_non_null(strstr(t, "vigil_viewers 3\n"));
	assert_non_null(strstr(t, "vigil_storage_used_bytes 12345\n"));
	assert_non_null(strstr(t, "vigil_storage_free_bytes "));
	assert_non_null(strstr(t, "\nvigil_storage_purge_bytes 777\n"));
	assert_non_null(strstr(t, "\nvigil_storage_purge_cameras 0\n"));
	/* One HELP/TYPE per metric name, even when it has several label sets. */
	assert_null(strstr(strstr(t, "# TYPE vigil_ingest_links_total") + 1,
	    "# TYPE vigil_ingest_links_total"));
	/* Out-of-range identifiers are ignored, not written out of bounds. */
	metrics_inc(MC_COUNTER_N, 1);
	metrics_gauge_add(MG_GAUGE_N, 1);
	metrics_observe(MH_HIST_N, MR_API, 1);
}

static void
test_histograms(void **state)
{
	const char *t;

	(void)state;
	metrics_reset();
	metrics_observe(MH_ACK_LATENCY, MR_OTHER, 3000);      /* <= 5 ms */
	metrics_observe(MH_ACK_LATENCY, MR_OTHER, 7000);      /* <= 10 ms */
	metrics_observe(MH_ACK_LATENCY, MR_OTHER, 60000000);  /* +Inf */
	metrics_observe(MH_REQUEST, MR_ARCHIVE, 20000);
	metrics_observe(MH_REQUEST, (enum metrics_class)99, 20000); /* counted as other */
	t = render();
	/* Buckets are cumulative; the sum is in seconds. */
	assert_non_null(strstr(t, "vigil_ingest_ack_seconds_bucket{le=\"0.005\"} 1\n"));
	assert_non_null(strstr(t, "vigil_ingest_ack_seconds_bucket{le=\"0.010\"} 2\n"));
	assert_non_null(strstr(t, "vigil_ingest_ack_seconds_bucket{le=\"10.000\"} 2\n"));
	assert_non_null(strstr(t, "vigil_ingest_ack_seconds_bucket{le=\"+Inf\"} 3\n"));
	assert_non_null(strstr(t, "vigil_ingest_ack_seconds_count 3\n"));
	assert_non_null(strstr(t, "vigil_ingest_ack_seconds_sum 60.010000\n"));
	assert_non_null(strstr(t, "vigil_http_request_seconds_bucket{class=\"archive\",le=\"0.025\"} 1\n"));
	assert_non_null(strstr(t, "vigil_http_request_seconds_count{class=\"other\"} 1\n"));
}

static void
test_too_small_buffer(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 100);
	assert_int_equal(metrics_render(&b, 0, NULL), -1);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counters_and_gauges),
		cmocka_unit_test(test_histograms),
		cmocka_unit_test(test_too_small_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
