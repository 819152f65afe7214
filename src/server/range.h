/* range.h - parsing of a single-range HTTP Range header against a known length. */
#ifndef VIGIL_SERVER_RANGE_H
#define VIGIL_SERVER_RANGE_H

#include <stdint.h>

enum { RANGE_NONE = 0, RANGE_PARTIAL = 1, RANGE_UNSATISFIABLE = -1 };

/* Parse hdr ("bytes=a-b", "bytes=a-", "bytes=-n") for a body of total bytes. RANGE_PARTIAL
 * with [*start, *start + *len) set, RANGE_UNSATISFIABLE (answer 416), or RANGE_NONE (no
 * header, a malformed one or several ranges: send the whole body, RFC 9110 allows it). */
int range_parse(const char *hdr, uint64_t total, uint64_t *start, uint64_t *len);

#endif
