/* motion_tap.h - the recorder's hook into motion detection: picks which stream of a camera is analysed, reports events sealed to the server. */
#ifndef VIGIL_GATEWAY_MOTION_TAP_H
#define VIGIL_GATEWAY_MOTION_TAP_H

#include <stdint.h>
#include <libavcodec/avcodec.h>
#include "common/segment.h"
#include "gateway/motion.h"
#include "gateway/recgate.h"

/*
 * Each recording stream opens a tap. Per camera, the lowest-numbered substream (index
 * >= 1) that has a tap is analysed frame by frame; when a camera has only its main
 * stream (index 0), only the main stream's keyframes are decoded. Events are sealed to
 * the camera's epoch key and handed to events_default() (logged only when none runs).
 */
struct motion_tap;

/* A tap for one stream; label is copied; events are signed with the gateway's key sk
 * (borrowed: it must outlive the tap, as the recorder's does). NULL when out of memory
 * (recording goes on without detection). */
struct motion_tap *motion_tap_open(const uint8_t camera_id[CAMERA_ID_LEN], uint8_t stream,
    const char *label, const uint8_t sk[GATEWAY_SK_LEN]);
/* One packet of this stream as received at wall time t_us; events are sealed to the
 * camera's current epoch key (epoch, epoch_pk): the key of the recorder's open segment,
 * or with none open the newest configured one. NULL-safe, never fails. */
void motion_tap_packet(struct motion_tap *t, const AVCodecParameters *par, const AVPacket *pkt,
    int64_t t_us, uint32_t epoch, const uint8_t epoch_pk[EPOCH_PK_LEN]);
/* The camera's motion, as reported by whichever of its taps is analysed, for recording on
 * motion only (recgate.h). NULL-safe (zeros: blind). */
void motion_tap_activity(const struct motion_tap *t, struct recgate_motion *a);
/* The stream's session ended (disconnect, outage, new address, new codec or size): an
 * open event ends at the last packet seen and is sent, sealed to (epoch, epoch_pk) as in
 * motion_tap_packet, so no event spans the gap that follows; detection starts afresh
 * with the next session's packets. NULL-safe. */
void motion_tap_stream_ended(struct motion_tap *t, uint32_t epoch,
    const uint8_t epoch_pk[EPOCH_PK_LEN]);
/* Ends an open event, detaches and frees; NULL-safe. */
void motion_tap_close(struct motion_tap *t);
/* Detection parameters of a camera (from the signed configuration); cameras without get
 * motion_params_default(). Applies to taps analysing that camera from their next
 * packet. 0 or -1 (bad parameters). */
int motion_tap_configure(const uint8_t camera_id[CAMERA_ID_LEN], const struct motion_params *p);

#endif
