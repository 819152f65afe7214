/* linkcheck.h - structural validation of an ingest record stream into whole chain links. */
#ifndef VIGIL_SERVER_LINKCHECK_H
#define VIGIL_SERVER_LINKCHECK_H

#include <stddef.h>
#include <stdint.h>
#include "common/record.h"
#include "common/segment.h"

/* Largest link the server accepts (all its records, framing included). */
#define LINK_MAX_BYTES (256u * 1024u * 1024u)
/* Most chunks in one segment (one per frame: 30 fps for over half an hour). */
#define LINK_MAX_CHUNKS 65536u

struct linkcheck {
	int in_segment;
	uint8_t gateway_id[GATEWAY_ID_LEN];
	struct seg_header hdr;
	uint32_t nchunks;
	uint64_t bytes;
};

/* What a record meant. */
enum {
	LC_SKIP = 0,      /* KEEPALIVE: nothing to store */
	LC_BEGIN = 1,     /* a SEG_HEADER opened a segment: ev filled (end fields zero) */
	LC_CHUNK = 2,     /* a CHUNK inside the open segment */
	LC_END = 3,       /* a SEG_END closed the segment: ev filled */
	LC_GAP = 4,       /* a whole GAP link: ev filled */
	LC_E_ORDER = -1,  /* record outside a link, or a link not closed */
	LC_E_FORMAT = -2, /* wrong size or version */
	LC_E_GATEWAY = -3, /* the link names another gateway */
	LC_E_SEQ = -4,    /* SEG_END seq differs, seq too large, times backwards */
	LC_E_LIMIT = -5,  /* link larger than the limits */
};

struct link_event {
	uint8_t camera_id[CAMERA_ID_LEN];
	uint8_t stream;
	uint64_t seq;
	uint64_t last_seq;
	int64_t start_us;
	int64_t end_us;
	int is_gap;
	uint16_t gap_reason; /* a gap's signed reason (enum gap_reason) */
	int live_only;       /* SEG_HDR_LIVE_ONLY: relay it, never store it */
};

/* Start checking records uploaded by the gateway gw. */
void linkcheck_init(struct linkcheck *lc, const uint8_t gw[GATEWAY_ID_LEN]);
/* Check one record; returns an LC_* meaning or a negative LC_E_* error (fill ev where said). */
int linkcheck_record(struct linkcheck *lc, const struct record *rec, struct link_event *ev);
/* 1 while a segment is open (a body that ends now ends mid-link). */
int linkcheck_open(const struct linkcheck *lc);
/* Short static text for an LC_E_* code. */
const char *linkcheck_strerror(int err);

#endif
