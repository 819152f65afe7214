/* h_timeline.c - the handler for a stream's timeline: recorded spans in a time window, for the console's zoomable timeline. */
#include <stdint.h>
#include <string.h>
#include "common/util.h"
#include "server/archive.h"
#include "server/http.h"
#include "server/index.h"
#include "server/server.h"

/* At most this many spans per answer: a month of a camera that drops out every hour. */
#define TIMELINE_MAX_SPANS 1000

struct tl_ctx {
	json_t *arr;
	int64_t from, to;
};

/* Spans are clipped to the window so the client never sees beyond what it asked for. */
static int
add_span(void *ctx, int64_t start, int64_t end)
{
	struct tl_ctx *c = ctx;

	if (start < c->from)
		start = c->from;
	if (end > c->to)
		end = c->to;
	return json_array_append_new(c->arr, json_pack("[I,I]", (json_int_t)start,
	    (json_int_t)end)) != 0;
}

int
h_timeline(struct req *rq)
{
	uint8_t cam[CAMERA_ID_LEN], stream;
	struct tl_ctx c;
	const char *fs = http_query(rq, "from"), *ts = http_query(rq, "to");
	int n;

	memset(&c, 0, sizeof(c));
	if (archive_params(rq, cam, &stream) != 0)
		return http_error(rq, 400, "bad camera id or stream", 0);
	if (fs == NULL || ts == NULL || parse_i64(fs, 0, INT64_MAX, &c.from) != 0 ||
	    parse_i64(ts, 0, INT64_MAX, &c.to) != 0 || c.to <= c.from)
		return http_error(rq, 400, "from and to are required, from < to", 0);
	if ((c.arr = json_array()) == NULL)
		return http_error(rq, 500, "out of memory", 0);
	n = index_spans_range(rq->srv->ix, cam, stream, c.from, c.to, TIMELINE_MAX_SPANS + 1,
	    add_span, &c);
	if (n < 0) {
		json_decref(c.arr);
		return http_error(rq, 500, "index error", 0);
	}
	if (n > TIMELINE_MAX_SPANS)
		json_array_remove(c.arr, TIMELINE_MAX_SPANS);
	return http_json(rq, 200, json_pack("{s:I,s:I,s:o,s:b}", "from", (json_int_t)c.from,
	    "to", (json_int_t)c.to, "spans", c.arr, "truncated", n > TIMELINE_MAX_SPANS));
}
