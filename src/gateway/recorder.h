/* recorder.h - one thread per camera stream: camera -> CMAF -> signed segments and gaps -> spool. */
#ifndef VIGIL_GATEWAY_RECORDER_H
#define VIGIL_GATEWAY_RECORDER_H

#include <stdint.h>
#include "common/segment.h"
#include "gateway/recgate.h"
#include "gateway/spool.h"

/* A camera unreachable for longer than this gets a signed camera-offline gap. */
#define RECORDER_GAP_MIN_US 2000000
#define RECORDER_BACKOFF_MIN_MS 500
#define RECORDER_BACKOFF_MAX_MS 8000
/* A session that stayed up this long resets the reconnect backoff. */
#define RECORDER_GOOD_SESSION_US 60000000

struct recorder_params {
	const char *label;               /* camera name, for logs (copied) */
	const char *url;                 /* copied; never logged */
	const uint8_t *sk;               /* gateway Ed25519 key; must outlive the recorder */
	uint8_t camera_id[CAMERA_ID_LEN];
	uint8_t stream;
	uint32_t epoch;
	uint8_t epoch_pk[EPOCH_PK_LEN];
	uint32_t segment_target_ms;
	struct recgate_mode mode;        /* continuous, or on motion only (recgate.h) */
	struct recgate_budget *hold_budget; /* the gateway's pre-roll budget (NULL: none);
	                                     * must outlive the recorder */
	struct liveonly *live;           /* where a paused stream's live-only segments go (NULL:
	                                  * none); must outlive the recorder */
};

struct recorder;

/* Open the stream's spool queue (recovering it) and start the recording thread. The
 * first thing the thread stores is a gateway-restart gap when the spool's last link
 * ended before now. 0 or -1. */
int recorder_start(struct recorder **out, struct spool *sp, const struct recorder_params *p);
/* Live reconfiguration, from a new signed configuration. url (copied; NULL = stop
 * recording and idle until a url is given again) replaces the camera's address: the
 * open segment is closed, signed, and the recorder reconnects. epoch and epoch_pk apply
 * from the next segment on (the open one keeps the key it was sealed to, so nothing
 * recorded is lost or sealed twice); with url NULL they are ignored (a removed camera
 * keeps its key until a configuration brings it back). segment_target_ms 0 keeps the
 * current value.
 * Thread-safe; the change is picked up by the recording thread. 0 or -1. */
int recorder_update(struct recorder *r, const char *url, uint32_t epoch,
    const uint8_t epoch_pk[EPOCH_PK_LEN], uint32_t segment_target_ms);
/* A new recording mode (continuous or on motion only), applied from the next frame:
 * recording pauses at the next keyframe without motion, and resumes with the pre-roll
 * held since. Thread-safe. */
void recorder_set_mode(struct recorder *r, const struct recgate_mode *m);
/* The stream's spool queue, for the uploader. Owned by the spool. */
struct spool_stream *recorder_spool_stream(const struct recorder *r);
/* Ask the thread to finish (non-blocking): it closes its open segment, signed. */
void recorder_signal(struct recorder *r);
/* Signal, wait for the thread and free; NULL-safe. */
void recorder_stop(struct recorder *r);

#endif
