/* camera.h - one RTSP session with a camera (libavformat, TCP interleaved): open, read access units, close. */
#ifndef VIGIL_GATEWAY_CAMERA_H
#define VIGIL_GATEWAY_CAMERA_H

#include <stdatomic.h>
#include <stdint.h>
#include <libavcodec/avcodec.h>

#define CAMERA_OPEN_TIMEOUT_MS 5000
#define CAMERA_READ_TIMEOUT_MS 5000

enum {
	CAMERA_E_OPEN = -1,     /* could not connect, or no usable video stream */
	CAMERA_E_CODEC = -2,    /* the video is neither H.264 nor H.265 */
	CAMERA_E_NOMEM = -3,
	CAMERA_E_EOF = -4,      /* the session ended or stalled past the read timeout */
	CAMERA_E_STOPPED = -5,  /* *stop was set */
};

struct camera;

/* Connect to url (rtsp:// or rtsps://) and pick its video stream; gives up after
 * CAMERA_OPEN_TIMEOUT_MS or as soon as *stop becomes nonzero. label names the camera in
 * logs (the URL may carry credentials and is never logged). 0 or a CAMERA_E_*. */
int camera_open(struct camera **out, const char *url, const char *label, atomic_int *stop);
/* Read the next video access unit (Annex-B, as received) into pkt, which the caller
 * unreferences. A read that makes no progress for CAMERA_READ_TIMEOUT_MS fails with
 * CAMERA_E_EOF. 0 or a CAMERA_E_*. */
int camera_read(struct camera *c, AVPacket *pkt);
/* Have fn(arg, now), now the monotonic time in µs, called whenever libavformat checks
 * for an interrupt during camera_read: on each socket read and at least every 100 ms
 * while it waits for the camera. fn must not call into the camera; NULL removes it. */
void camera_set_idle(struct camera *c, void (*fn)(void *arg, int64_t now), void *arg);
/* The video stream's parameters, time base and frame rate ({0,1} when unknown). */
const AVCodecParameters *camera_codecpar(const struct camera *c);
AVRational camera_time_base(const struct camera *c);
AVRational camera_frame_rate(const struct camera *c);
/* 1 when two parameter sets describe the same encoding (codec, size, extradata). */
int camera_same_codec(const AVCodecParameters *a, const AVCodecParameters *b);
void camera_close(struct camera *c);

#endif
