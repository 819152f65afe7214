/* h_timeline.c - the handler for a stream's timeline: recorded and "no motion" spans in a time window, for the console's zoomable timeline. */
#include <stdint.h>
#include <string.h>
#include "common/util.h"
#include "server/archive.h"
#include "server/http.h"
#include "server/index.h"
#include "server/server.h"

/* At most this many spans of each kind per answer: a month of a camera that drops out
 * every hour. A client drawing a wide window asks for res (below) and stays far under it. */
#define TIMELINE_MAX_SPANS 1000
/* Index rows read per kind and answer (under the index's lock): a week of a camera
 * recording on motion only, with an event every two minutes, is about 5,000 spans of each
 * kind; beyond this the answer is truncated. */
#define TIMELINE_MAX_ROWS 20000
/* The coarsest resolution a client may ask for: a day per pixel is more than a week's
 * timeline needs. */
#define TIMELINE_MAX_RES_US 86400000000LL

struct tl_ctx {
	json_t *arr;
	int64_t from, to, res;
	int64_t s, e; /* the span being merged, when have */
	int have;
	int n;        /* spans appended */
	int rows;     /* index rows read */
	int full;     /* more than TIMELINE_MAX_SPANS spans, or TIMELINE_MAX_ROWS rows */
};

/* Append the pending span, clipped to the window so the client never sees beyond what it
 * asked for. 0, or 1 when the answer is full. */
static int
flush_span(struct tl_ctx *c)
{
	int64_t start = c->s < c->from ? c->from : c->s, end = c->e > c->to ? c->to : c->e;

	if (!c->have)
		return 0;
	c->have = 0;
	if (c->n == TIMELINE_MAX_SPANS) {
		c->full = 1;
		return 1;
	}
	c->n++;
	return json_array_append_new(c->arr, json_pack("[I,I]", (json_int_t)start,
	    (json_int_t)end)) != 0;
}

/* Spans closer together than the resolution asked for are one on the client's screen:
 * send them as one. */
static int
add_span(void *ctx, int64_t start, int64_t end)
{
	struct tl_ctx *c = ctx;

	if (++c->rows > TIMELINE_MAX_ROWS) {
		c->full = 1;
		return 1;
	}
	/* Spans lie within [0, INT64_MAX - 1 s] (index_spans.c), so this cannot overflow. */
	if (c->have && start - c->e <= c->res) {
		if (end > c->e)
			c->e = end;
		return 0;
	}
	if (flush_span(c) != 0)
		return 1;
	c->s = start;
	c->e = end;
	c->have = 1;
	return 0;
}

/* The spans of one kind in the window as a JSON array; *truncated set when some did not
 * fit. NULL on an index error. */
static json_t *
spans_of(struct req *rq, const uint8_t cam[CAMERA_ID_LEN], uint8_t stream, int kind,
    int64_t from, int64_t to, int64_t res, int *truncated)
{
	struct tl_ctx c;
	int n;

	memset(&c, 0, sizeof(c));
	c.from = from;
	c.to = to;
	c.res = res;
	if ((c.arr = json_array()) == NULL)
		return NULL;
	n = index_spans_range(rq->srv->ix, cam, stream, kind, from, to, TIMELINE_MAX_ROWS + 1,
	    add_span, &c);
	if (n < 0) {
		json_decref(c.arr);
		return NULL;
	}
	if (c.full) {
		/* The spans sent so far stand; the one being merged may be incomplete. */
		*truncated = 1;
	} else {
		flush_span(&c);
		*truncated |= c.full;
	}
	return c.arr;
}

int
h_timeline(struct req *rq)
{
	uint8_t cam[CAMERA_ID_LEN], stream;
	const char *fs = http_query(rq, "from"), *ts = http_query(rq, "to");
	const char *rs = http_query(rq, "res");
	int64_t from, to, res = 0;
	json_t *rec = NULL, *paused = NULL;
	int truncated = 0;

	if (archive_params(rq, cam, &stream) != 0)
		return http_error(rq, 400, "bad camera id or stream", 0);
	if (fs == NULL || ts == NULL || parse_i64(fs, 0, INT64_MAX, &from) != 0 ||
	    parse_i64(ts, 0, INT64_MAX, &to) != 0 || to <= from)
		return http_error(rq, 400, "from and to are required, from < to", 0);
	if (rs != NULL && parse_i64(rs, 0, TIMELINE_MAX_RES_US, &res) != 0)
		return http_error(rq, 400, "res must be 0 to 86400000000 microseconds", 0);
	if ((rec = spans_of(rq, cam, stream, SPAN_RECORDED, from, to, res, &truncated)) == NULL ||
	    (paused = spans_of(rq, cam, stream, SPAN_PAUSED, from, to, res, &truncated)) == NULL) {
		json_decref(rec);
		return http_error(rq, 500, "index error", 0);
	}
	return http_json(rq, 200, json_pack("{s:I,s:I,s:o,s:o,s:b}", "from", (json_int_t)from,
	    "to", (json_int_t)to, "spans", rec, "paused", paused, "truncated", truncated));
}
