/* motion_cam.h - one camera's detection: decodes packets (every frame of a substream, or only a main stream's keyframes), runs the detector, keeps the peak frame as a JPEG thumbnail. */
#ifndef VIGIL_GATEWAY_MOTION_CAM_H
#define VIGIL_GATEWAY_MOTION_CAM_H

#include <stddef.h>
#include <stdint.h>
#include <libavcodec/avcodec.h>
#include "gateway/motion.h"

/* Thumbnails are at most this wide (height keeps the aspect) and this many bytes. */
#define MOTION_THUMB_W 320
#define MOTION_THUMB_MAX (24u * 1024u)

/* What the camera reports: an event that opened (thumbnail of its first frame) or ended
 * (thumbnail of its most active frame). An event split at MOTION_EVENT_MAX_MS is reported
 * as the end of one event and the start of the next, in that order, on the same frame. jpeg may be NULL (no thumbnail could be made);
 * it stays valid only during the callback. */
struct motion_report {
	enum motion_change change;
	struct motion_event ev;
	const uint8_t *jpeg;
	size_t jpeg_len;
};
typedef void (*motion_report_fn)(void *ctx, const struct motion_report *r);

struct motion_cam;

/* A camera detector with a copy of p; fn(ctx, report) is called from
 * motion_cam_packet's thread. 0 or -1. */
int motion_cam_new(struct motion_cam **out, const char *label, const struct motion_params *p,
    motion_report_fn fn, void *ctx);
/* Feed one packet of the stream described by par, received at t_us. keyframes_only: only
 * keyframe packets are decoded (main stream without a substream). Decoding errors are
 * counted and logged, never fatal. 0 or -1 (no memory). */
int motion_cam_packet(struct motion_cam *mc, const AVCodecParameters *par, const AVPacket *pkt,
    int64_t t_us, int keyframes_only);
/* Feed a decoded picture directly (tests, tools). 0 or -1. */
int motion_cam_frame(struct motion_cam *mc, const AVFrame *f, int64_t t_us);
/* The stream stopped (disconnect, outage, new session): end an open event at the last
 * packet seen at the latest, reported as MOTION_END; the next packet opens a new decoder
 * and starts a new run of motion (motion_det_flush). NULL-safe. */
void motion_cam_flush(struct motion_cam *mc);
/* Zone name of bit i, or NULL. */
const char *motion_cam_zone_name(const struct motion_cam *mc, unsigned i);
/* Frames decoded and fed to the detector so far. */
uint64_t motion_cam_frames(const struct motion_cam *mc);
void motion_cam_free(struct motion_cam *mc);   /* NULL-safe; does not flush */

#endif
