/* motion.h - motion detection on a small grey grid: background model, zones and masks, events with a start and an end. */
#ifndef VIGIL_GATEWAY_MOTION_H
#define VIGIL_GATEWAY_MOTION_H

#include <stddef.h>
#include <stdint.h>

/* The grid every frame is reduced to (cells are block averages of the luma plane). */
#define MOTION_GRID_W 64
#define MOTION_GRID_H 36
#define MOTION_MAX_ZONES 8
#define MOTION_MAX_MASKS 16
#define MOTION_ZONE_NAME_MAX 32
/* Parameter bounds (docs/design/motion.md). */
#define MOTION_SENS_DEFAULT 50
#define MOTION_MIN_DURATION_DEFAULT_MS 300
#define MOTION_MIN_DURATION_MAX_MS 60000
#define MOTION_END_HOLD_DEFAULT_MS 2000
#define MOTION_END_HOLD_MAX_MS 60000
/* The longest an event lasts: an event still active this long after its start ends at the
 * frame that reaches it, and a new event starts on that frame when it is moving, so
 * continuous motion is a series of closed events rather than one that never ends
 * (docs/design/motion.md, "Events"). */
#define MOTION_EVENT_MAX_MS (5 * 60 * 1000)

/* A rectangle in per-mille of the frame's width and height (0..1000). */
struct motion_rect {
	uint16_t x, y, w, h;
};

struct motion_zone {
	char name[MOTION_ZONE_NAME_MAX + 1];
	struct motion_rect r;
};

struct motion_params {
	int enabled;
	uint32_t sensitivity;      /* 1..100: higher finds smaller and fainter changes */
	uint32_t min_duration_ms;  /* motion must last this long to open an event */
	uint32_t end_hold_ms;      /* an event ends after this long without motion */
	size_t nzones;             /* 0: the whole frame is one zone named "all" */
	struct motion_zone zones[MOTION_MAX_ZONES];
	size_t nmasks;             /* cells under a mask are never looked at */
	struct motion_rect masks[MOTION_MAX_MASKS];
};

/* An event as the detector knows it. end_us is 0 while it is open. */
struct motion_event {
	int64_t start_us;
	int64_t end_us;
	int64_t peak_us;
	uint32_t peak_score;       /* per-mille of the watched cells that changed, at the peak */
	uint32_t zones;            /* bit i: zone i (or bit 0: "all") was touched */
};

enum motion_change {
	MOTION_NONE = 0,
	MOTION_START,              /* an event opened on this frame */
	MOTION_END,                /* the event ended (before this frame) */
	MOTION_SPLIT,              /* the event reached MOTION_EVENT_MAX_MS and ended at this
	                            * frame (ended); a new one opened on this frame (ev) */
};

/* What one frame did. */
struct motion_step {
	uint32_t score;            /* per-mille of watched cells changed on this frame */
	int moving;                /* this frame counts as motion */
	int new_peak;              /* the open event's peak is this frame */
	enum motion_change change;
	struct motion_event ev;    /* the current (or just ended) event when change or new_peak */
	struct motion_event ended; /* MOTION_SPLIT: the event that ended at this frame */
};

struct motion_det;

/* Defaults: enabled, sensitivity 50, 300 ms, 2 s, whole frame, no masks. */
void motion_params_default(struct motion_params *p);
/* 0 when p is within bounds (rects inside the frame, names non-empty), else -1. */
int motion_params_check(const struct motion_params *p);
/* A detector with a copy of p. 0 or -1 (bad params, no memory). */
int motion_det_new(struct motion_det **out, const struct motion_params *p);
/* Feed one luma plane of w x h (w, h >= MOTION_GRID_W/H is not required: any size >= 16x9)
 * taken at t_us (increasing). A frame of another size than the last one (the stream
 * restarted with a new resolution) ends an open event (MOTION_END, at the last frame at
 * the latest) and learns the background again. 0 or -1 (bad arguments). */
int motion_det_feed(struct motion_det *d, const uint8_t *y, int w, int h, int stride,
    int64_t t_us, struct motion_step *st);
/* The stream stopped (disconnect, outage, new session, detector replaced): end an open
 * event now. Its end is the last moving frame plus one interval, but never later than
 * last_seen_us, the time of the last frame the stream delivered (decoded or not; 0: the
 * last frame fed), so it never reaches into the gap that follows. The next frame starts
 * afresh: no run of motion continues across the stop, and its interval does not count as
 * the frame rate. 1 and *ev when an event was open, else 0. */
int motion_det_flush(struct motion_det *d, int64_t last_seen_us, struct motion_event *ev);
/* The name of zone bit i ("all" when there are no zones), or NULL. */
const char *motion_det_zone_name(const struct motion_det *d, unsigned i);
void motion_det_free(struct motion_det *d);   /* NULL-safe */

#endif
