/* h_metrics.c - GET /metrics: the Prometheus text exposition of metrics.c, for operators and one configured scraper address. */
#include <string.h>
#include <microhttpd.h>
#include "common/buf.h"
#include "server/http.h"
#include "server/index.h"
#include "server/metrics.h"
#include "server/server.h"

/* Sixteen series and two histograms with twelve buckets each per class: well under this. */
#define METRICS_TEXT_MAX (256u * 1024u)

int
h_metrics(struct req *rq)
{
	struct MHD_Response *resp;
	struct buf b;
	uint64_t used = 0;
	int r;

	buf_init(&b, METRICS_TEXT_MAX);
	if (index_total_bytes(rq->srv->ix, &used) != 0 ||
	    metrics_render(&b, used, rq->srv->data_dir) != 0) {
		buf_free(&b);
		return http_error(rq, 500, "metrics unavailable", 0);
	}
	resp = MHD_create_response_from_buffer(b.len, b.data, MHD_RESPMEM_MUST_COPY);
	buf_free(&b);
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	r = MHD_queue_response(rq->conn, 200, resp);
	MHD_destroy_response(resp);
	rq->responded = 1;
	return r;
}
