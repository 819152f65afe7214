/* motion_config.h - the "detection" object of a camera's configuration parsed into motion parameters. */
#ifndef VIGIL_GATEWAY_MOTION_CONFIG_H
#define VIGIL_GATEWAY_MOTION_CONFIG_H

#include <stddef.h>
#include <jansson.h>
#include "gateway/motion.h"

#define MOTION_CONFIG_MAX_BYTES (16u * 1024u)

/*
 * {"enabled":true, "sensitivity":50, "min_duration_ms":300, "end_hold_ms":2000,
 *  "zones":[{"name":"door","rect":[x,y,w,h]}], "masks":[[x,y,w,h]]}
 * Every key is optional (missing ones keep motion_params_default()); rectangles are
 * per-mille of the frame and must lie inside it; unknown keys are refused so that a typo
 * never silently turns a mask off. On error returns -1 with a message naming the field
 * (never echoing values) in err.
 */
int motion_config_from_json(const json_t *obj, struct motion_params *out, char *err,
    size_t errlen);
/* The same from n bytes of JSON text (at most MOTION_CONFIG_MAX_BYTES). */
int motion_config_parse(const void *p, size_t n, struct motion_params *out, char *err,
    size_t errlen);

#endif
