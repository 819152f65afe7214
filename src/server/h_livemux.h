/* h_livemux.h - the multiplexed live route (many cameras over one response) and its framing helpers. */
#ifndef VIGIL_SERVER_H_LIVEMUX_H
#define VIGIL_SERVER_H_LIVEMUX_H

#include <stddef.h>
#include <stdint.h>
#include "common/segment.h"

/* At most this many cameras per request. */
#define LIVEMUX_MAX_CAMERAS 64
/* Longest accepted `cameras` query value: 64 × "hex32:255," */
#define LIVEMUX_QUERY_MAX (LIVEMUX_MAX_CAMERAS * (2 * CAMERA_ID_LEN + 5))

/* Mux message types (`u32 len | u8 type | payload`, len counts the payload). Distinct from
 * the record types 1..5 so a stream read with the wrong parser fails at once. */
#define LIVEMUX_DATA 16      /* u8 index | the next bytes of that camera's record stream */
#define LIVEMUX_STATE 17     /* u8 index | u8 state (LIVEMUX_ST_*) */
#define LIVEMUX_HDR_LEN 6u   /* u32 len | u8 type | u8 index */

#define LIVEMUX_ST_OK 1      /* authorized: records follow */
#define LIVEMUX_ST_DENIED 2  /* not viewable (no permission, unknown or foreign): no more records */

/* A re-check of every camera's authorization at least this often (and at each SEG_HEADER). */
#define LIVEMUX_RECHECK_US 2000000

struct req;

struct livemux_cam {
	uint8_t cam[CAMERA_ID_LEN];
	uint8_t stream;
};

/* Parse the `cameras` query value "ID:S,ID:S,..." (ID 32 hex, S 0..255, 1..max pairs, no
 * empty items, no duplicates) into out. 0 and *n, or -1. */
int livemux_parse_cameras(const char *s, struct livemux_cam *out, size_t max, size_t *n);

/* Write a mux message header for a payload of plen bytes (index included) into hdr. */
void livemux_hdr(uint8_t hdr[LIVEMUX_HDR_LEN], uint8_t type, uint8_t index, uint32_t plen);

/* Follows record boundaries in one camera's byte stream as it is sent in arbitrary pieces. */
struct livemux_scan {
	uint8_t hdr[5];
	size_t have;          /* header bytes seen of the record being started */
	uint64_t left;        /* payload bytes of the current record still to come */
};

/* Feed the next n bytes of a record stream: the number of SEG_HEADER records whose header
 * completed within them. Never reads past n. */
size_t livemux_scan_feed(struct livemux_scan *s, const uint8_t *p, size_t n);

/* GET /api/v1/live?cameras=ID:S,...: the handler (docs/api/http.md). */
int h_livemux(struct req *rq);

#endif
