/* archive.h - helpers shared by the archive and live handlers. */
#ifndef VIGIL_SERVER_ARCHIVE_H
#define VIGIL_SERVER_ARCHIVE_H

#include <stdint.h>
#include "common/segment.h"

struct req;

/* Decode {id} (and {s} when stream is not NULL) from the matched path. 0 or -1. */
int archive_params(struct req *rq, uint8_t cam[CAMERA_ID_LEN], uint8_t *stream);

#endif
