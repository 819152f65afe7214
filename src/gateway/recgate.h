/* recgate.h - recording on motion only: a camera's recording mode, whether a frame is kept, and the pre-roll held in memory until motion starts. */
#ifndef VIGIL_GATEWAY_RECGATE_H
#define VIGIL_GATEWAY_RECGATE_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#define RECGATE_PREROLL_DEFAULT_S 5
#define RECGATE_POSTROLL_DEFAULT_S 10
#define RECGATE_PREROLL_MAX_S 30
#define RECGATE_POSTROLL_MAX_S 600
/* Frames held for the pre-roll, per stream: 30 s of a 8 Mbit/s main stream. */
#define RECGATE_HOLD_MAX_BYTES ((size_t)32 * 1024 * 1024)
/* Held beyond the pre-roll: the time from an event's first moving frame to the moment the
 * recorder hears of it (minimum duration, decoding, the substream's own latency). */
#define RECGATE_DETECT_SLACK_US 3000000

/* A camera's "recording" object:
 *   {"mode":"continuous"}                                  (the default)
 *   {"mode":"motion","preroll_s":5,"postroll_s":10}
 * In motion mode a stream records from the keyframe at or before (event start - preroll)
 * to the first keyframe at or after (event end + postroll); the stretch in between two
 * such recordings is a signed GAP_MOTION_IDLE gap. */
struct recgate_mode {
	int motion_only;
	uint32_t preroll_ms;
	uint32_t postroll_ms;
	/* While paused, frames still go to live viewers in live-only segments (never stored):
	 * "live_while_paused", default on; off saves the upload while nothing moves. */
	int live_while_paused;
};

void recgate_mode_default(struct recgate_mode *m);
/* Parse the object; every key optional ("mode" defaults to continuous), unknown keys and
 * out-of-range values refused with a message naming the field in err. 0 or -1. */
int recgate_mode_from_json(const json_t *obj, struct recgate_mode *m, char *err,
    size_t errlen);

/* While paused, a signed "no motion" gap closes every time this much more of the pause is
 * over (up to the oldest frame held): relayed live, it tells viewers the pause goes on. */
#define RECGATE_IDLE_TICK_US 30000000

/* Without a picture analysed for this long, a motion-only camera records: detection that
 * is not running (substream down or removed, no decoder) is not "no motion". */
#define RECGATE_BLIND_US 10000000

/* A camera's motion as its detector reports it (motion_tap_activity), wall times in µs,
 * 0 = none. */
struct recgate_motion {
	int64_t open_start;   /* start of the event open now */
	int64_t last_start;   /* start of the last event that ended */
	int64_t last_end;     /* its end */
	int64_t analysed_us;  /* the last picture the detector analysed */
	int64_t delay_us;     /* the detector's minimum duration: how late a start is known */
};

/* Whether a frame received at wall time w is recorded: always in continuous mode; in
 * motion mode while an event is open, within the post-roll after the last one, or while
 * detection is blind (nothing analysed for RECGATE_BLIND_US, or ever). */
int recgate_want(const struct recgate_mode *m, const struct recgate_motion *a, int64_t w);
/* 1 when detection is blind at w (see above). */
int recgate_blind(const struct recgate_motion *a, int64_t w);
/* Where recording that resumes at w starts, before the pre-roll: the open event's start,
 * else the last event's (a post-roll resume), else w (blind). */
int64_t recgate_resume_from(const struct recgate_motion *a, int64_t w);

/* Frames held while recording pauses: whole GOPs, oldest first, bounded in bytes per
 * stream and, across all the streams of a gateway, by a shared budget: 48 cameras on
 * motion only must not hold 2 x 32 MiB each. Each hold gets an equal share of the budget
 * (budget / holds), and its bound is the smaller of that and its own: a stream that needs
 * room drops its own oldest GOPs (its pre-roll gets shorter), and a GOP larger than the
 * share is dropped whole. A hold exists while its stream is paused. */
struct recgate_hold;
struct recgate_budget;

/* The default budget: an eighth of the machine's memory, within these bounds. */
#define RECGATE_BUDGET_MAX_BYTES ((size_t)512 * 1024 * 1024)
#define RECGATE_BUDGET_MIN_BYTES ((size_t)64 * 1024 * 1024)
size_t recgate_budget_default_bytes(void);
/* A budget of max_bytes for holds to share; NULL when out of memory. Free it after every
 * hold that uses it. */
struct recgate_budget *recgate_budget_new(size_t max_bytes);
void recgate_budget_free(struct recgate_budget *b);   /* NULL-safe */
size_t recgate_budget_used(struct recgate_budget *b);

/* recgate_hold_add's refusals: the frame was not kept. */
#define RECGATE_HOLD_DROPPED (-1)  /* no keyframe yet, too large, or its GOP outgrew the bound */
#define RECGATE_HOLD_BUDGET (-2)   /* its GOP outgrew the hold's share of the budget (and
                                    * would have fitted its own bound) */
struct recgate_frame {
	int64_t wall;
	int64_t dts;       /* 90 kHz media time */
	int key;
	const uint8_t *data;
	size_t len;
};

/* NULL when out of memory. max_bytes bounds the frames held (RECGATE_HOLD_MAX_BYTES);
 * bud (NULL: none) is the budget shared with the gateway's other holds. */
struct recgate_hold *recgate_hold_new(size_t max_bytes, struct recgate_budget *bud);
void recgate_hold_free(struct recgate_hold *h);
void recgate_hold_clear(struct recgate_hold *h);
/* Hold a frame (copied). Frames before the first keyframe are dropped, so what is held
 * always starts with one. When the bytes would pass the bound or the budget, the oldest
 * GOPs go; a single GOP that would pass either is dropped whole. 0, or
 * RECGATE_HOLD_DROPPED / RECGATE_HOLD_BUDGET when the frame was not kept. */
int recgate_hold_add(struct recgate_hold *h, int64_t wall, int64_t dts, int key,
    const uint8_t *data, size_t len);
/* Drop the oldest GOPs while the next one starts at or before t: what stays starts at the
 * last keyframe at or before t (or the first held, if none is). */
void recgate_hold_trim(struct recgate_hold *h, int64_t t);
/* Walk the held frames: *pos starts at 0; 1 with *f filled (valid until the next change
 * of h), 0 at the end. */
int recgate_hold_next(const struct recgate_hold *h, size_t *pos, struct recgate_frame *f);
size_t recgate_hold_frames(const struct recgate_hold *h);
size_t recgate_hold_bytes(const struct recgate_hold *h);
/* What the hold may hold now: its bound, or its share of the budget when smaller. */
size_t recgate_hold_limit(const struct recgate_hold *h);

#endif
