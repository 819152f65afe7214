/* archive.h - helpers shared by the archive and live handlers. */
#ifndef VIGIL_SERVER_ARCHIVE_H
#define VIGIL_SERVER_ARCHIVE_H

#include <stdint.h>
#include "common/segment.h"

struct req;
struct index_link;

/* Decode {id} (and {s} when stream is not NULL) from the matched path. 0 or -1. */
int archive_params(struct req *rq, uint8_t cam[CAMERA_ID_LEN], uint8_t *stream);

/* Answer rq with the stored records of link l of (cam, stream): the whole link, or one
 * byte range of it (Range:, 206; 416 when unsatisfiable), application/octet-stream, sent
 * from the blob file; 404 when its blob is gone. audit_org non-NULL: the archive.read entry
 * of rq's session is written to that org's log once the blob is open and before any byte is
 * queued, and a failed write answers 503 ORGAUDIT_UNAVAILABLE instead. *sent is 1 when bytes
 * were queued, 0 after an error answer. Returns an MHD_Result. */
int archive_serve_link(struct req *rq, const uint8_t cam[CAMERA_ID_LEN], uint8_t stream,
    const struct index_link *l, const char *audit_org, int *sent);

#endif
