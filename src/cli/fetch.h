/* fetch.h - the viewer's calls to the segment API: the link list of a range and one link's bytes. */
#ifndef VIGIL_CLI_FETCH_H
#define VIGIL_CLI_FETCH_H

#include <stddef.h>
#include <stdint.h>
#include "cli/apic.h"
#include "cli/httpc.h"
#include "common/segment.h"

#define FETCH_MAX_LINKS 4000000

enum {
	FETCH_E_STATUS = -20,   /* the server answered with an error status */
	FETCH_E_BODY = -21,     /* the answer is not the documented JSON */
};

/* Where the segment API is reached: a bearer-token client (h) or, when a is set, a
 * session-cookie client (org viewers). Error codes of either are the httpc_err values. */
struct fetch_conn {
	struct httpc *h;
	struct apic *a;
};

/* One entry of GET .../segments?from=&to= (server metadata, not trusted: every link is
 * verified after download). */
struct linkent {
	uint64_t seq;
	int is_gap;
	int64_t start_us, end_us;
	uint64_t length;
};

/* Parse the list body; every field validated. *out (caller frees) and *n. 0 or -1. */
int fetch_list_parse(const char *json, size_t len, struct linkent **out, size_t *n,
    char *err, size_t errlen);
/* List the links of (camera, stream) overlapping [from, to). 0, a negative httpc_err, or
 * FETCH_E_*, with a reason in err. */
int fetch_list(struct fetch_conn *c, const uint8_t cam[CAMERA_ID_LEN], uint8_t stream,
    int64_t from, int64_t to, struct linkent **out, size_t *n, char *err, size_t errlen);
/* Download link seq into out (at most HTTPC_MAX_LINK bytes). 0, a negative httpc_err
 * (HTTPC_E_PARTIAL for a truncated download) or FETCH_E_STATUS, with a reason in err. */
int fetch_link(struct fetch_conn *c, const uint8_t cam[CAMERA_ID_LEN], uint8_t stream,
    uint64_t seq, struct buf *out, char *err, size_t errlen);

#endif
