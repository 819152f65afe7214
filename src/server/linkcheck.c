/* linkcheck.c - the ingest state machine: SEG_HEADER CHUNK* SEG_END, or one GAP, per link. */
#include <string.h>
#include <sodium.h>
#include "server/linkcheck.h"

void
linkcheck_init(struct linkcheck *lc, const uint8_t gw[GATEWAY_ID_LEN])
{
	memset(lc, 0, sizeof(*lc));
	memcpy(lc->gateway_id, gw, GATEWAY_ID_LEN);
}

int
linkcheck_open(const struct linkcheck *lc)
{
	return lc->in_segment;
}

static int
check_begin(struct linkcheck *lc, const struct record *rec, struct link_event *ev)
{
	if (seg_header_decode(&lc->hdr, rec->payload, rec->len) != 0)
		return LC_E_FORMAT;
	if (sodium_memcmp(lc->hdr.gateway_id, lc->gateway_id, GATEWAY_ID_LEN) != 0)
		return LC_E_GATEWAY;
	if (lc->hdr.seq > (uint64_t)INT64_MAX)
		return LC_E_SEQ;
	memset(ev, 0, sizeof(*ev));
	memcpy(ev->camera_id, lc->hdr.camera_id, CAMERA_ID_LEN);
	ev->stream = lc->hdr.stream;
	ev->seq = ev->last_seq = lc->hdr.seq;
	ev->start_us = lc->hdr.start_us;
	ev->live_only = (lc->hdr.flags & SEG_HDR_LIVE_ONLY) != 0;
	lc->in_segment = 1;
	lc->nchunks = 0;
	lc->bytes = RECORD_HDR_LEN + rec->len;
	return LC_BEGIN;
}

static int
check_gap(struct linkcheck *lc, const struct record *rec, struct link_event *ev)
{
	struct gap g;

	if (gap_decode(&g, rec->payload, rec->len) != 0)
		return LC_E_FORMAT;
	if (sodium_memcmp(g.gateway_id, lc->gateway_id, GATEWAY_ID_LEN) != 0)
		return LC_E_GATEWAY;
	if (g.last_seq < g.seq || g.last_seq > (uint64_t)INT64_MAX || g.to_us < g.from_us)
		return LC_E_SEQ;
	memset(ev, 0, sizeof(*ev));
	memcpy(ev->camera_id, g.camera_id, CAMERA_ID_LEN);
	ev->stream = g.stream;
	ev->seq = g.seq;
	ev->last_seq = g.last_seq;
	ev->start_us = g.from_us;
	ev->end_us = g.to_us;
	ev->is_gap = 1;
	ev->gap_reason = g.reason;
	return LC_GAP;
}

static int
check_end(struct linkcheck *lc, const struct record *rec, struct link_event *ev)
{
	struct seg_end e;

	if (seg_end_decode(&e, rec->payload, rec->len) != 0)
		return LC_E_FORMAT;
	if (e.seq != lc->hdr.seq || e.end_us < lc->hdr.start_us)
		return LC_E_SEQ;
	if (e.nchunks != lc->nchunks)
		return LC_E_FORMAT;
	memset(ev, 0, sizeof(*ev));
	memcpy(ev->camera_id, lc->hdr.camera_id, CAMERA_ID_LEN);
	ev->stream = lc->hdr.stream;
	ev->seq = ev->last_seq = lc->hdr.seq;
	ev->start_us = lc->hdr.start_us;
	ev->end_us = e.end_us;
	ev->live_only = (lc->hdr.flags & SEG_HDR_LIVE_ONLY) != 0;
	lc->in_segment = 0;
	return LC_END;
}

int
linkcheck_record(struct linkcheck *lc, const struct record *rec, struct link_event *ev)
{
	if (rec->type == REC_KEEPALIVE)
		return rec->len == 0 ? LC_SKIP : LC_E_FORMAT;
	if (!lc->in_segment) {
		switch (rec->type) {
		case REC_SEG_HEADER:
			return check_begin(lc, rec, ev);
		case REC_GAP:
			return check_gap(lc, rec, ev);
		default:
			return LC_E_ORDER;
		}
	}
	lc->bytes += RECORD_HDR_LEN + (uint64_t)rec->len;
	if (lc->bytes > LINK_MAX_BYTES)
		return LC_E_LIMIT;
	switch (rec->type) {
	case REC_CHUNK:
		if (++lc->nchunks > LINK_MAX_CHUNKS)
			return LC_E_LIMIT;
		return LC_CHUNK;
	case REC_SEG_END:
		return check_end(lc, rec, ev);
	default:
		return LC_E_ORDER;
	}
}

const char *
linkcheck_strerror(int err)
{
	switch (err) {
	case LC_E_ORDER:
		return "records out of order";
	case LC_E_FORMAT:
		return "malformed record";
	case LC_E_GATEWAY:
		return "link of another gateway";
	case LC_E_SEQ:
		return "bad sequence or time";
	case LC_E_LIMIT:
		return "link too large";
	default:
		return "bad record";
	}
}
