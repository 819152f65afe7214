/* motion.c - the detector: block-average grid, per-cell background and noise model with global light compensation, events. */
#include "gateway/motion.h"

#include <stdlib.h>
#include <string.h>

#define NCELLS (MOTION_GRID_W * MOTION_GRID_H)
/* Background time constants: cells without motion follow the scene in a few seconds; a
 * cell that stays "moving" (an object that stopped) is absorbed within a minute. */
#define TAU_BG_S 4.0
#define TAU_BG_FG_S 60.0
/* A changed cell that has not changed from frame to frame for this long is a ghost (what a
 * detector started with an object in view learned, once the object left) or something
 * that stopped (a parked car): it learns as a still cell from then on. */
#define STILL_ABSORB_US 8000000
#define TAU_VAR_S 10.0
/* Residual noise floor and ceiling (grey levels, after block averaging). */
#define NOISE_FLOOR 1.5f
#define NOISE_CEIL 20.0f
/* Motion that pauses for less than this still counts as one run before an event opens. */
#define CANDIDATE_GAP_US 500000
/* After a stop longer than this the background is stale (light, parked cars): the first
 * frame after it is learned afresh. Shorter stops keep the model, which is a better
 * background than one frame that may show a moving object (see "Stream stops"). */
#define RELEARN_GAP_US 60000000

struct motion_det {
	struct motion_params p;
	uint8_t watched[NCELLS];      /* 1: inside a zone and outside every mask */
	uint32_t zonebits[NCELLS];
	unsigned nwatched;
	unsigned min_cells;
	float k;                      /* threshold in noise standard deviations */
	float abs_min;                /* and never below this many grey levels */
	float bg[NCELLS];
	float var[NCELLS];
	float cur[NCELLS];
	float prev[NCELLS];           /* the last frame's cells */
	int64_t still_us[NCELLS];     /* changed, and no different from frame to frame, since */
	uint8_t fg[NCELLS];
	int have_bg;
	int64_t last_t;
	int64_t frame_dt;             /* smoothed frame interval */
	int last_w, last_h;           /* size of the last frame */
	int resync;                   /* the stream stopped: the next frame starts afresh */
	/* event state */
	int64_t cand_start, last_motion;
	int open;
	struct motion_event ev;
};

void motion_params_default(struct motion_params *p)
{
	memset(p, 0, sizeof(*p));
	p->enabled = 1;
	p->sensitivity = MOTION_SENS_DEFAULT;
	p->min_duration_ms = MOTION_MIN_DURATION_DEFAULT_MS;
	p->end_hold_ms = MOTION_END_HOLD_DEFAULT_MS;
}

static int rect_ok(const struct motion_rect *r)
{
	return r->w > 0 && r->h > 0 && r->x <= 1000 && r->y <= 1000 && r->w <= 1000 - r->x &&
	    r->h <= 1000 - r->y;
}

int motion_params_check(const struct motion_params *p)
{
	size_t i;

	if (p == NULL || p->sensitivity < 1 || p->sensitivity > 100 ||
	    p->min_duration_ms > MOTION_MIN_DURATION_MAX_MS ||
	    p->end_hold_ms > MOTION_END_HOLD_MAX_MS || p->nzones > MOTION_MAX_ZONES ||
	    p->nmasks > MOTION_MAX_MASKS)
		return -1;
	for (i = 0; i < p->nzones; i++) {
		size_t n = strnlen(p->zones[i].name, sizeof(p->zones[i].name));
		if (n == 0 || n > MOTION_ZONE_NAME_MAX || !rect_ok(&p->zones[i].r))
			return -1;
	}
	for (i = 0; i < p->nmasks; i++)
		if (!rect_ok(&p->masks[i]))
			return -1;
	return 0;
}

/* 1 when the centre of cell (cx, cy) lies inside r. */
static int cell_in(const struct motion_rect *r, int cx, int cy)
{
	/* centre in per-mille, times 2 to stay in integers */
	int px = (2 * cx + 1) * 1000 / (2 * MOTION_GRID_W);
	int py = (2 * cy + 1) * 1000 / (2 * MOTION_GRID_H);

	return px >= r->x && px < r->x + r->w && py >= r->y && py < r->y + r->h;
}

int motion_det_new(struct motion_det **out, const struct motion_params *p)
{
	struct motion_det *d;
	int cx, cy;
	size_t i;
	float s;

	*out = NULL;
	if (motion_params_check(p) != 0)
		return -1;
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return -1;
	d->p = *p;
	for (cy = 0; cy < MOTION_GRID_H; cy++) {
		for (cx = 0; cx < MOTION_GRID_W; cx++) {
			int c = cy * MOTION_GRID_W + cx, masked = 0;
			uint32_t bits = 0;
			if (p->nzones == 0)
				bits = 1;
			for (i = 0; i < p->nzones; i++)
				if (cell_in(&p->zones[i].r, cx, cy))
					bits |= 1u << i;
			for (i = 0; i < p->nmasks; i++)
				if (cell_in(&p->masks[i], cx, cy))
					masked = 1;
			d->zonebits[c] = bits;
			d->watched[c] = bits != 0 && !masked;
			d->nwatched += d->watched[c];
		}
	}
	/* Sensitivity 1..100 maps to the per-cell threshold (k noise deviations, at least
	 * abs_min grey levels) and to the smallest changed area (min_cells). */
	s = (float)p->sensitivity;
	d->k = 2.5f + (100.0f - s) * 0.07f;
	d->abs_min = 3.0f + (100.0f - s) * 0.06f;
	d->min_cells = (unsigned)((float)d->nwatched * 0.004f * (101.0f - s) / 51.0f + 0.5f);
	if (d->min_cells < 3)
		d->min_cells = 3;
	*out = d;
	return 0;
}

/* Block averages of the luma plane into d->cur; every second pixel and row of a block
 * when blocks are large (the average of a 5x5 sample is plenty against sensor noise). */
static void grid_reduce(struct motion_det *d, const uint8_t *y, int w, int h, int stride)
{
	int cx, cy, step = (w / MOTION_GRID_W >= 4 && h / MOTION_GRID_H >= 4) ? 2 : 1;

	for (cy = 0; cy < MOTION_GRID_H; cy++) {
		int y0 = cy * h / MOTION_GRID_H, y1 = (cy + 1) * h / MOTION_GRID_H;
		for (cx = 0; cx < MOTION_GRID_W; cx++) {
			int x0 = cx * w / MOTION_GRID_W, x1 = (cx + 1) * w / MOTION_GRID_W;
			uint32_t sum = 0, n = 0;
			int yy, xx;
			for (yy = y0; yy < y1; yy += step) {
				const uint8_t *row = y + (size_t)yy * (size_t)stride;
				for (xx = x0; xx < x1; xx += step)
					sum += row[xx];
				n += (uint32_t)((x1 - x0 + step - 1) / step);
			}
			d->cur[cy * MOTION_GRID_W + cx] = n > 0 ? (float)sum / (float)n : 0.0f;
		}
	}
}

/* The weight of a new sample for a running average with time constant tau after dt:
 * dt / (tau + dt), close to 1 - exp(-dt / tau) and exact in both limits. */
static float rate(int64_t dt, double tau_s)
{
	double t = (double)dt / 1e6;

	return (float)(t / (tau_s + t));
}

/* Round half away from zero. */
static long round_f(float v)
{
	return v >= 0 ? (long)(v + 0.5f) : -(long)(-v + 0.5f);
}

/* Median of the watched cells' differences to the background: the global light change
 * (dawn, clouds, auto-exposure), which as long as motion covers less than half the
 * watched area is decided by the background. Histogram in quarter grey levels. */
static float global_offset(const struct motion_det *d)
{
	enum { BINS = 2048, HALF = 1024 };
	static const float q = 4.0f;
	uint16_t hist[BINS];
	unsigned i, n = 0, acc = 0;

	memset(hist, 0, sizeof(hist));
	for (i = 0; i < NCELLS; i++) {
		long b;
		if (!d->watched[i])
			continue;
		b = round_f((d->cur[i] - d->bg[i]) * q) + HALF;
		if (b < 0)
			b = 0;
		if (b >= BINS)
			b = BINS - 1;
		hist[b]++;
		n++;
	}
	if (n == 0)
		return 0.0f;
	for (i = 0; i < BINS; i++) {
		acc += hist[i];
		if (acc * 2 >= n)
			return ((float)i - HALF) / q;
	}
	return 0.0f;
}

static int fg_at(const struct motion_det *d, int cx, int cy)
{
	if (cx < 0 || cy < 0 || cx >= MOTION_GRID_W || cy >= MOTION_GRID_H)
		return 0;
	return d->fg[cy * MOTION_GRID_W + cx] & 1;
}

/* End the open event: its end is the last moving frame plus one interval, never after
 * limit (0: no limit) nor before its start. */
static void event_end(struct motion_det *d, int64_t limit)
{
	int64_t end = d->last_motion + d->frame_dt;

	if (limit != 0 && end > limit)
		end = limit;
	if (end < d->ev.start_us)
		end = d->ev.start_us;
	d->ev.end_us = end;
	d->open = 0;
	d->cand_start = 0;
}

int motion_det_feed(struct motion_det *d, const uint8_t *y, int w, int h, int stride,
    int64_t t_us, struct motion_step *st)
{
	float off, a_bg, a_fg, a_var;
	unsigned i, count = 0;
	uint32_t touched = 0;
	int64_t dt;
	int cx, cy;

	if (d == NULL || y == NULL || st == NULL || w < 16 || h < 9 || stride < w)
		return -1;
	memset(st, 0, sizeof(*st));
	grid_reduce(d, y, w, h, stride);
	if (d->have_bg && (w != d->last_w || h != d->last_h)) {
		/* A new resolution (the stream restarted): the cells no longer show what the
		 * model learned. The event ends at the last frame of the old size. */
		if (d->open) {
			event_end(d, d->last_t);
			st->change = MOTION_END;
			st->ev = d->ev;
		}
		d->cand_start = 0;
		d->have_bg = 0;
	}
	d->last_w = w;
	d->last_h = h;
	if (d->resync && d->have_bg && t_us - d->last_t > RELEARN_GAP_US)
		d->have_bg = 0;
	if (!d->have_bg || t_us <= d->last_t) {
		if (!d->have_bg) {
			memcpy(d->bg, d->cur, sizeof(d->bg));
			memcpy(d->prev, d->cur, sizeof(d->prev));
			memset(d->still_us, 0, sizeof(d->still_us));
			for (i = 0; i < NCELLS; i++)
				d->var[i] = 4.0f;
			d->have_bg = 1;
			d->last_t = t_us;
			d->resync = 0;
		}
		return 0;
	}
	dt = t_us - d->last_t;
	d->last_t = t_us;
	/* The interval across a stop is neither the frame rate nor time the model should
	 * learn over: at a rate for 34 s, an object in view on the first frame after the stop
	 * went a third into the background of its cells and stayed there as a "ghost" (moving
	 * cells learn slowly). The first frame after a stop learns as the next frame would;
	 * a light change meanwhile is absorbed at once by the global offset anyway. */
	if (d->resync && d->frame_dt > 0)
		dt = d->frame_dt;
	else
		d->frame_dt = d->frame_dt == 0 ? dt : (d->frame_dt * 7 + dt) / 8;
	d->resync = 0;
	if (!d->p.enabled)
		return 0;

	off = global_offset(d);
	for (i = 0; i < NCELLS; i++) {
		float r, thr2;
		d->fg[i] = 0;
		if (!d->watched[i])
			continue;
		r = d->cur[i] - d->bg[i] - off;
		/* |r| > max(k * sd, abs_min), squared: no libm on this path */
		thr2 = d->k * d->k * d->var[i];
		if (thr2 < d->abs_min * d->abs_min)
			thr2 = d->abs_min * d->abs_min;
		if (r * r > thr2)
			d->fg[i] = 1;
	}
	/* A changed cell counts only with at least two changed neighbours: isolated cells
	 * are noise or a compression artefact; objects are blobs. */
	for (cy = 0; cy < MOTION_GRID_H; cy++) {
		for (cx = 0; cx < MOTION_GRID_W; cx++) {
			int c = cy * MOTION_GRID_W + cx, nb;
			if (!(d->fg[c] & 1))
				continue;
			nb = fg_at(d, cx - 1, cy - 1) + fg_at(d, cx, cy - 1) + fg_at(d, cx + 1, cy - 1) +
			    fg_at(d, cx - 1, cy) + fg_at(d, cx + 1, cy) + fg_at(d, cx - 1, cy + 1) +
			    fg_at(d, cx, cy + 1) + fg_at(d, cx + 1, cy + 1);
			if (nb >= 2) {
				d->fg[c] |= 2;
				count++;
				touched |= d->zonebits[c];
			}
		}
	}
	/* Update the model. Time-based rates, so keyframe-only input (one frame per GOP)
	 * and 15 fps learn at the same speed in seconds. */
	a_bg = rate(dt, TAU_BG_S);
	a_fg = rate(dt, TAU_BG_FG_S);
	a_var = rate(dt, TAU_VAR_S);
	for (i = 0; i < NCELLS; i++) {
		float r, s, thr2;
		d->bg[i] += off;    /* a global light change is absorbed at once */
		r = d->cur[i] - d->bg[i];
		/* The change since the last frame, the light's removed, against the cell's
		 * threshold: a moving object changes its cells, a ghost or a stopped object not. */
		s = d->cur[i] - d->prev[i] - off;
		thr2 = d->k * d->k * d->var[i];
		if (thr2 < d->abs_min * d->abs_min)
			thr2 = d->abs_min * d->abs_min;
		d->prev[i] = d->cur[i];
		if (d->fg[i]) {
			d->still_us[i] = s * s <= thr2 ? d->still_us[i] + dt : 0;
			d->bg[i] += (d->still_us[i] >= STILL_ABSORB_US ? a_bg : a_fg) * r;
		} else {
			d->still_us[i] = 0;
			d->bg[i] += a_bg * r;
			d->var[i] += a_var * (r * r - d->var[i]);
			if (d->var[i] < NOISE_FLOOR * NOISE_FLOOR)
				d->var[i] = NOISE_FLOOR * NOISE_FLOOR;
			if (d->var[i] > NOISE_CEIL * NOISE_CEIL)
				d->var[i] = NOISE_CEIL * NOISE_CEIL;
		}
	}

	st->score = d->nwatched > 0 ? (uint32_t)((uint64_t)count * 1000 / d->nwatched) : 0;
	st->moving = count >= d->min_cells;

	/* Events. A frame stands for the interval up to the next one, so a run of motion
	 * lasts from its first frame to its last frame plus one interval. */
	{
		int64_t hold = (int64_t)d->p.end_hold_ms * 1000, mind = (int64_t)d->p.min_duration_ms * 1000;
		int64_t maxlen = (int64_t)MOTION_EVENT_MAX_MS * 1000;
		if (hold < d->frame_dt * 5 / 2)
			hold = d->frame_dt * 5 / 2;
		if (d->open && !st->moving && t_us - d->last_motion > hold) {
			event_end(d, t_us);
			st->change = MOTION_END;
			st->ev = d->ev;
			return 0;
		}
		/* An event that reached the longest length ends on this frame. Still moving: the
		 * next event starts where it ended. Quiet (within end_hold): it ends as it would
		 * after the hold, and motion that resumes opens a new event the usual way. */
		if (d->open && t_us - d->ev.start_us >= maxlen) {
			if (!st->moving) {
				event_end(d, t_us);
				st->change = MOTION_END;
				st->ev = d->ev;
				return 0;
			}
			d->ev.end_us = t_us;
			st->ended = d->ev;
			memset(&d->ev, 0, sizeof(d->ev));
			d->ev.start_us = t_us;
			d->cand_start = t_us;
			st->change = MOTION_SPLIT;
		}
		if (!st->moving) {
			if (!d->open && d->cand_start != 0 && t_us - d->last_motion > CANDIDATE_GAP_US)
				d->cand_start = 0;
			return 0;
		}
		if (d->cand_start == 0)
			d->cand_start = t_us;
		d->last_motion = t_us;
		if (!d->open) {
			if (t_us - d->cand_start + d->frame_dt < mind)
				return 0;
			memset(&d->ev, 0, sizeof(d->ev));
			d->ev.start_us = d->cand_start;
			d->open = 1;
			st->change = MOTION_START;
		}
		d->ev.zones |= touched;
		if (st->score > d->ev.peak_score || st->change != MOTION_NONE) {
			d->ev.peak_score = st->score;
			d->ev.peak_us = t_us;
			st->new_peak = 1;
		}
		st->ev = d->ev;
	}
	return 0;
}

int motion_det_flush(struct motion_det *d, int64_t last_seen_us, struct motion_event *ev)
{
	if (d == NULL)
		return 0;
	d->resync = 1;
	d->cand_start = 0;
	if (!d->open)
		return 0;
	event_end(d, last_seen_us > d->last_t ? last_seen_us : d->last_t);
	*ev = d->ev;
	return 1;
}

const char *motion_det_zone_name(const struct motion_det *d, unsigned i)
{
	if (d->p.nzones == 0)
		return i == 0 ? "all" : NULL;
	return i < d->p.nzones ? d->p.zones[i].name : NULL;
}

void motion_det_free(struct motion_det *d)
{
	free(d);
}
