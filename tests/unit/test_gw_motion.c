/* test_gw_motion.c - unit tests of gateway motion detection: distractors ignored, objects found in time, zones, masks, minimum duration, thumbnails, sealed payloads. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>
#include <libavutil/frame.h>

#include "common/buf.h"
#include "gateway/events.h"
#include "gateway/motion.h"
#include "gateway/motion_cam.h"
#include "gateway/motion_config.h"

#define W 320
#define H 180
#define FPS 15
#define FRAME_US (1000000 / FPS)

static uint8_t img[W * H];
static uint64_t rng = 12345;

static int noise(void)
{
	rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
	return (int)((rng >> 33) % 9) - 4;   /* uniform -4..4 */
}

static uint8_t clamp8(int v)
{
	return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

/* A textured background plus offset and noise, and optionally a square of luma obj at
 * (ox, oy) of side s (s = 0: none), and a flickering box (flick != 0) at the top right. */
static void draw(int offset, int ox, int oy, int s, int obj, int flick)
{
	int x, y;

	for (y = 0; y < H; y++)
		for (x = 0; x < W; x++) {
			int v = 80 + ((x / 20 + y / 20) & 1) * 30 + x / 8 + offset + noise();
			if (s > 0 && x >= ox && x < ox + s && y >= oy && y < oy + s)
				v = obj + offset + noise();
			if (flick && x >= 240 && y < 60)
				v += flick;
			img[y * W + x] = clamp8(v);
		}
}

struct run {
	int starts, ends;
	int64_t first_start;
	struct motion_event last_end;
};

static void feed(struct motion_det *d, int64_t t, struct run *r)
{
	struct motion_step st;

	assert_int_equal(motion_det_feed(d, img, W, H, W, t, &st), 0);
	if (st.change == MOTION_START) {
		if (r->starts == 0)
			r->first_start = st.ev.start_us;
		r->starts++;
	}
	if (st.change == MOTION_END) {
		r->ends++;
		r->last_end = st.ev;
	}
}

static void test_params(void **state)
{
	struct motion_params p;
	struct motion_det *d = NULL;

	motion_params_default(&p);
	assert_int_equal(motion_params_check(&p), 0);
	p.sensitivity = 0;
	assert_int_equal(motion_params_check(&p), -1);
	assert_int_equal(motion_det_new(&d, &p), -1);
	assert_null(d);
	motion_params_default(&p);
	p.nmasks = 1;
	p.masks[0] = (struct motion_rect){ 900, 0, 200, 100 };   /* past the right edge */
	assert_int_equal(motion_params_check(&p), -1);
	motion_params_default(&p);
	p.nzones = 1;
	p.zones[0].r = (struct motion_rect){ 0, 0, 500, 500 };   /* no name */
	assert_int_equal(motion_params_check(&p), -1);
	p.nzones = MOTION_MAX_ZONES + 1;
	assert_int_equal(motion_params_check(&p), -1);
}

/* Noise, a slow ramp of +60 grey levels over 40 s, then a sudden +25 step (a cloud):
 * no event. */
static void test_distractors_ignored(void **state)
{
	struct motion_params p;
	struct motion_det *d = NULL;
	struct run r = { 0 };
	int64_t t = 1000000;
	int i;

	motion_params_default(&p);
	assert_int_equal(motion_det_new(&d, &p), 0);
	for (i = 0; i < 60 * FPS; i++, t += FRAME_US) {
		int off = i < 40 * FPS ? i * 60 / (40 * FPS) : 60;
		if (i >= 50 * FPS)
			off = 85;
		draw(off - 40, 0, 0, 0, 0, 0);
		feed(d, t, &r);
	}
	assert_int_equal(r.starts, 0);
	motion_det_free(d);
}

/* A dark square crossing the frame is found within 1 s; the event ends after it left and
 * names the right zone only. */
static void test_object_found_zones(void **state)
{
	struct motion_params p;
	struct motion_det *d = NULL;
	struct run r = { 0 };
	int64_t t = 1000000, enter = 0;
	int i;

	motion_params_default(&p);
	p.nzones = 2;
	snprintf(p.zones[0].name, sizeof(p.zones[0].name), "left");
	p.zones[0].r = (struct motion_rect){ 0, 0, 500, 1000 };
	snprintf(p.zones[1].name, sizeof(p.zones[1].name), "right");
	p.zones[1].r = (struct motion_rect){ 500, 0, 500, 1000 };
	assert_int_equal(motion_det_new(&d, &p), 0);
	assert_string_equal(motion_det_zone_name(d, 1), "right");
	assert_null(motion_det_zone_name(d, 2));
	for (i = 0; i < 30 * FPS; i++, t += FRAME_US) {
		int in = i >= 10 * FPS && i < 15 * FPS;
		if (in && enter == 0)
			enter = t;
		/* moves within the right half: x 180..260 */
		draw(0, 180 + (i % 80), 60, in ? 36 : 0, 20, 0);
		feed(d, t, &r);
	}
	assert_int_equal(r.starts, 1);
	assert_int_equal(r.ends, 1);
	assert_true(r.first_start >= enter && r.first_start - enter <= 1000000);
	assert_int_equal(r.last_end.zones, 2u);
	assert_true(r.last_end.end_us >= enter + 5 * 1000000 - FRAME_US);
	assert_true(r.last_end.end_us <= enter + 5 * 1000000 + 2 * FRAME_US);
	assert_true(r.last_end.peak_score > 0);
	motion_det_free(d);
}

/* A flickering box triggers events without a mask and none with one over it. */
static void test_mask(void **state)
{
	struct motion_params p;
	struct motion_det *d = NULL;
	struct run a = { 0 }, b = { 0 };
	int64_t t;
	int i;

	motion_params_default(&p);
	assert_int_equal(motion_det_new(&d, &p), 0);
	for (i = 0, t = 1000000; i < 30 * FPS; i++, t += FRAME_US) {
		draw(0, 0, 0, 0, 0, i > 5 * FPS && (i / 4) % 2 ? 50 : 0);
		feed(d, t, &a);
	}
	motion_det_free(d);
	assert_true(a.starts >= 1);

	p.nmasks = 1;
	p.masks[0] = (struct motion_rect){ 720, 0, 280, 360 };
	assert_int_equal(motion_det_new(&d, &p), 0);
	for (i = 0, t = 1000000; i < 30 * FPS; i++, t += FRAME_US) {
		draw(0, 0, 0, 0, 0, i > 5 * FPS && (i / 4) % 2 ? 50 : 0);
		feed(d, t, &b);
	}
	motion_det_free(d);
	assert_int_equal(b.starts, 0);
}

/* Motion shorter than min_duration opens no event; longer does. */
static void test_min_duration(void **state)
{
	struct motion_params p;
	struct motion_det *d = NULL;
	struct run r = { 0 };
	int64_t t = 1000000;
	int i;

	motion_params_default(&p);
	p.min_duration_ms = 1000;
	assert_int_equal(motion_det_new(&d, &p), 0);
	for (i = 0; i < 20 * FPS; i++, t += FRAME_US) {
		int in = (i >= 8 * FPS && i < 8 * FPS + 5) || (i >= 14 * FPS && i < 17 * FPS);
		draw(0, 100, 60, in ? 40 : 0, 230, 0);
		feed(d, t, &r);
	}
	assert_int_equal(r.starts, 1);
	assert_true(r.first_start >= 1000000 + 14LL * 1000000 - FRAME_US);
	motion_det_free(d);
}

/* One frame every 2 s (keyframes of a main stream) still finds an object. */
static void test_keyframe_rate(void **state)
{
	struct motion_params p;
	struct motion_det *d = NULL;
	struct run r = { 0 };
	int64_t t = 1000000;
	int i;

	motion_params_default(&p);
	assert_int_equal(motion_det_new(&d, &p), 0);
	for (i = 0; i < 40; i++, t += 2000000) {
		draw(i * 2, 100, 60, i == 20 || i == 21 ? 40 : 0, 230, 0);
		feed(d, t, &r);
	}
	assert_int_equal(r.starts, 1);
	assert_int_equal(r.first_start, 1000000 + 20LL * 2000000);
	assert_int_equal(r.ends, 1);
	motion_det_free(d);
}

/* Every event of a run, as the detector reported it (MOTION_SPLIT: the end of one and the
 * start of the next on the same frame). */
#define LOG_MAX 16
struct evlog {
	int n;                        /* events started */
	int ends;
	int open;                     /* the last one has not ended */
	struct motion_event ev[LOG_MAX];
};

static void log_step(struct evlog *l, const struct motion_step *st)
{
	if (st->change == MOTION_END || st->change == MOTION_SPLIT) {
		const struct motion_event *e = st->change == MOTION_SPLIT ? &st->ended : &st->ev;
		assert_true(l->open);
		assert_true(l->n >= 1);
		assert_int_equal(e->start_us, l->ev[l->n - 1].start_us);
		l->ev[l->n - 1] = *e;
		l->ends++;
		l->open = 0;
	}
	if (st->change == MOTION_START || st->change == MOTION_SPLIT) {
		assert_false(l->open);
		assert_true(l->n < LOG_MAX);
		l->ev[l->n++] = st->ev;
		l->open = 1;
	} else if (l->open && (st->new_peak || st->change == MOTION_NONE) && st->moving) {
		l->ev[l->n - 1].peak_us = st->ev.peak_us;
		l->ev[l->n - 1].peak_score = st->ev.peak_score;
	}
}

/* A dark square that keeps moving: (i) is its position on frame i. */
static void draw_moving(int i)
{
	draw(0, 20 + (i * 4) % 240, 40 + (i / 60) % 3 * 30, 36, 20, 0);
}

static void step(struct motion_det *d, int64_t t, struct evlog *l)
{
	struct motion_step st;

	assert_int_equal(motion_det_feed(d, img, W, H, W, t, &st), 0);
	log_step(l, &st);
}

/* Motion that never stops for 11 minutes is three closed events of at most
 * MOTION_EVENT_MAX_MS (plus one frame), each starting where the previous ended; quiet
 * afterwards, nothing is left open. */
static void test_max_length_split(void **state)
{
	const int fps = 5, frame_us = 1000000 / fps;
	const int64_t maxlen = (int64_t)MOTION_EVENT_MAX_MS * 1000;
	struct motion_params p;
	struct motion_det *d = NULL;
	struct evlog l = { 0 };
	int64_t t = 1000000, enter = 0, leave = 0;
	int i;

	motion_params_default(&p);
	assert_int_equal(motion_det_new(&d, &p), 0);
	for (i = 0; i < 700 * fps; i++, t += frame_us) {
		int in = i >= 5 * fps && i < 665 * fps;
		if (in && enter == 0)
			enter = t;
		if (!in && enter != 0 && leave == 0)
			leave = t;
		if (in)
			draw_moving(i);
		else
			draw(0, 0, 0, 0, 0, 0);
		step(d, t, &l);
	}
	assert_int_equal(l.n, 3);
	assert_int_equal(l.ends, 3);
	assert_false(l.open);
	assert_true(l.ev[0].start_us >= enter && l.ev[0].start_us - enter <= 1000000);
	for (i = 0; i < l.n; i++) {
		int64_t len = l.ev[i].end_us - l.ev[i].start_us;
		assert_true(len > 0 && len <= maxlen + frame_us);
		if (i + 1 < l.n) {
			/* split: no gap and no overlap between consecutive events */
			assert_true(len >= maxlen);
			assert_int_equal(l.ev[i + 1].start_us, l.ev[i].end_us);
		}
		assert_true(l.ev[i].peak_us >= l.ev[i].start_us && l.ev[i].peak_us <= l.ev[i].end_us);
		assert_true(l.ev[i].peak_score > 0);
		assert_int_equal(l.ev[i].zones, 1u);
	}
	/* the last one ends as usual, one interval after the last moving frame */
	assert_true(l.ev[2].end_us >= leave - frame_us && l.ev[2].end_us <= leave + frame_us);
	motion_det_free(d);
}

/* The stream drops while an object moves (15 fps): the open event ends at the last frame
 * seen, not later; after a 34 s outage the object is still moving and a new event starts
 * after the outage, which ends one interval after the object left (the interval across
 * the outage is not taken for the frame rate). Without motion before the drop, flushing
 * ends nothing. */
static void test_flush_on_drop(void **state)
{
	struct motion_params p;
	struct motion_det *d = NULL;
	struct motion_event ev;
	struct evlog l = { 0 };
	int64_t t = 1000000, last = 0, back, leave = 0;
	int i;

	motion_params_default(&p);
	assert_int_equal(motion_det_new(&d, &p), 0);
	for (i = 0; i < 12 * FPS; i++, t += FRAME_US) {
		if (i >= 5 * FPS)
			draw_moving(i);
		else
			draw(0, 0, 0, 0, 0, 0);
		step(d, t, &l);
		last = t;
	}
	assert_int_equal(l.n, 1);
	assert_true(l.open);
	/* the camera disconnects: end = the last frame's time (motion ran up to it) */
	assert_int_equal(motion_det_flush(d, last, &ev), 1);
	assert_int_equal(ev.start_us, l.ev[0].start_us);
	assert_int_equal(ev.end_us, last);
	assert_int_equal(motion_det_flush(d, last, &ev), 0);    /* nothing open any more */
	l.open = 0;
	/* 34 s later it is back, the object still moving, and leaves 6 s after */
	back = last + 34 * 1000000LL;
	for (i = 12 * FPS, t = back; i < 30 * FPS; i++, t += FRAME_US) {
		int in = t < back + 6 * 1000000LL;
		if (!in && leave == 0)
			leave = t;
		if (in)
			draw_moving(i);
		else
			draw(0, 0, 0, 0, 0, 0);
		step(d, t, &l);
	}
	assert_int_equal(l.n, 2);
	assert_false(l.open);
	assert_true(l.ev[1].start_us >= back && l.ev[1].start_us <= back + 1000000);
	assert_true(l.ev[1].end_us >= leave - FRAME_US && l.ev[1].end_us <= leave + 2 * FRAME_US);
	motion_det_free(d);
}

/* Keyframes only (one frame per 2 s): a flush after packets that were seen but not decoded
 * ends at the last packet, not one frame interval after the last keyframe; motion that
 * stopped before the drop ends one interval after its last frame, as usual. */
static void test_flush_keyframes(void **state)
{
	struct motion_params p;
	struct motion_det *d = NULL;
	struct motion_event ev;
	struct evlog l = { 0 };
	int64_t t = 1000000, last = 0;
	int i;

	motion_params_default(&p);
	assert_int_equal(motion_det_new(&d, &p), 0);
	for (i = 0; i < 12; i++, t += 2000000) {
		if (i >= 6)
			draw_moving(i * 30);
		else
			draw(0, 0, 0, 0, 0, 0);
		step(d, t, &l);
		last = t;
	}
	assert_true(l.open);
	assert_int_equal(motion_det_flush(d, last + 1500000, &ev), 1);
	assert_int_equal(ev.end_us, last + 1500000);
	motion_det_free(d);

	/* 15 fps, the object left 1 s before the drop (within end_hold) */
	memset(&l, 0, sizeof(l));
	assert_int_equal(motion_det_new(&d, &p), 0);
	for (i = 0, t = 1000000; i < 10 * FPS; i++, t += FRAME_US) {
		if (i >= 4 * FPS && i < 9 * FPS) {
			draw_moving(i);
			last = t;
		} else {
			draw(0, 0, 0, 0, 0, 0);
		}
		step(d, t, &l);
	}
	assert_true(l.open);
	assert_int_equal(motion_det_flush(d, t - FRAME_US, &ev), 1);
	assert_true(ev.end_us >= last && ev.end_us <= last + 2 * FRAME_US);
	motion_det_free(d);
}

/* A new resolution ends the open event at the last frame of the old size and learns the
 * background again (no event from the change itself). */
static void test_size_change(void **state)
{
	static uint8_t small[W / 2 * (H / 2)];
	struct motion_params p;
	struct motion_det *d = NULL;
	struct motion_step st;
	struct evlog l = { 0 };
	int64_t t = 1000000, last = 0;
	int i, x, y;

	motion_params_default(&p);
	assert_int_equal(motion_det_new(&d, &p), 0);
	for (i = 0; i < 10 * FPS; i++, t += FRAME_US) {
		if (i >= 4 * FPS)
			draw_moving(i);
		else
			draw(0, 0, 0, 0, 0, 0);
		step(d, t, &l);
		last = t;
	}
	assert_true(l.open);
	draw(0, 0, 0, 0, 0, 0);
	for (y = 0; y < H / 2; y++)
		for (x = 0; x < W / 2; x++)
			small[y * (W / 2) + x] = img[2 * y * W + 2 * x];
	assert_int_equal(motion_det_feed(d, small, W / 2, H / 2, W / 2, t, &st), 0);
	assert_int_equal(st.change, MOTION_END);
	assert_true(st.ev.end_us <= last && st.ev.end_us >= l.ev[0].start_us);
	for (i = 0; i < 5 * FPS; i++) {
		t += FRAME_US;
		assert_int_equal(motion_det_feed(d, small, W / 2, H / 2, W / 2, t, &st), 0);
		assert_int_equal(st.change, MOTION_NONE);
	}
	motion_det_free(d);
}

/* After a short outage the learned background is kept: an object in view when the stream
 * returns leaves no "ghost" behind (an event that outlasts it). After an outage longer than
 * a minute the background is learned again: a car parked meanwhile opens no event. */
static void test_outage_background(void **state)
{
	struct motion_params p;
	struct motion_det *d = NULL;
	struct motion_event ev;
	struct evlog l = { 0 };
	int64_t t = 1000000, back, leave = 0;
	int i;

	motion_params_default(&p);
	assert_int_equal(motion_det_new(&d, &p), 0);
	for (i = 0; i < 10 * FPS; i++, t += FRAME_US) {
		draw(0, 0, 0, 0, 0, 0);
		step(d, t, &l);
	}
	motion_det_flush(d, t - FRAME_US, &ev);
	back = t + 5 * 1000000LL;
	for (i = 0, t = back; i < 15 * FPS; i++, t += FRAME_US) {
		int in = i < 3 * FPS;
		if (!in && leave == 0)
			leave = t;
		if (in)
			draw(0, 100, 60, 40, 230, 0);   /* still, there when the stream returns */
		else
			draw(0, 0, 0, 0, 0, 0);
		step(d, t, &l);
	}
	assert_int_equal(l.n, 1);
	assert_false(l.open);
	assert_true(l.ev[0].end_us <= leave + FRAME_US);

	/* 90 s away, and a car parked meanwhile */
	memset(&l, 0, sizeof(l));
	motion_det_flush(d, t - FRAME_US, &ev);
	for (i = 0, t += 90 * 1000000LL; i < 20 * FPS; i++, t += FRAME_US) {
		draw(0, 100, 60, 40, 230, 0);
		step(d, t, &l);
	}
	assert_int_equal(l.n, 0);
	motion_det_free(d);
}

/* A detector that starts with an object in view learns it into its background; when the
 * object leaves, the spot it left differs from that background without changing from frame
 * to frame (a "ghost"). Such cells learn as still ones after STILL_ABSORB_US (8 s), so the
 * event ends within about 20 s of the object leaving; with the changed cells' 60 s time
 * constant it stayed open for minutes (148 s once in a browser test after a gateway
 * restart). An object that moves the whole time is still followed to its end. */
static void test_ghost_absorbed(void **state)
{
	struct motion_params p;
	struct motion_det *d = NULL;
	struct run r = { 0 };
	int64_t t = 1000000, leave;
	int i;

	(void)state;
	motion_params_default(&p);
	assert_int_equal(motion_det_new(&d, &p), 0);
	/* The first second: a bright square, still, in view from the first frame. */
	for (i = 0; i < FPS; i++, t += FRAME_US) {
		draw(0, 100, 60, 40, 230, 0);
		feed(d, t, &r);
	}
	leave = t;
	for (i = 0; i < 60 * FPS; i++, t += FRAME_US) {
		draw(0, 0, 0, 0, 0, 0);
		feed(d, t, &r);
	}
	assert_int_equal(r.starts, 1);
	assert_int_equal(r.ends, 1);
	assert_true(r.last_end.end_us - leave < 25000000);
	/* Then an object crossing for 30 s: one event, open until it leaves. */
	memset(&r, 0, sizeof(r));
	for (i = 0; i < 30 * FPS; i++, t += FRAME_US) {
		draw(0, 10 + i * 250 / (30 * FPS), 60, 30, 230, 0);
		feed(d, t, &r);
	}
	leave = t;
	for (i = 0; i < 10 * FPS; i++, t += FRAME_US) {
		draw(0, 0, 0, 0, 0, 0);
		feed(d, t, &r);
	}
	assert_int_equal(r.starts, 1);
	assert_int_equal(r.ends, 1);
	assert_true(r.last_end.end_us >= leave - 2 * FRAME_US && r.last_end.end_us <= leave + FRAME_US);
	motion_det_free(d);
}

struct cam_reports {
	int start, end;
	size_t jpeg_len;
	int jfif;
};

static void on_report(void *ctx, const struct motion_report *r)
{
	struct cam_reports *c = ctx;

	if (r->change == MOTION_START)
		c->start++;
	if (r->change == MOTION_END)
		c->end++;
	if (r->jpeg != NULL) {
		c->jpeg_len = r->jpeg_len;
		c->jfif = r->jpeg_len > 10 && r->jpeg[0] == 0xff && r->jpeg[1] == 0xd8 &&
		    memcmp(r->jpeg + 6, "JFIF", 4) == 0;
	}
}

/* motion_cam on decoded pictures: reports a start and an end, each with a JPEG. */
static void test_cam_thumbnail(void **state)
{
	struct motion_params p;
	struct motion_cam *mc = NULL;
	struct cam_reports c = { 0 };
	AVFrame *f = av_frame_alloc();
	int64_t t = 1000000;
	int i, y;

	assert_non_null(f);
	f->format = AV_PIX_FMT_YUV420P;
	f->width = W;
	f->height = H;
	assert_true(av_frame_get_buffer(f, 0) >= 0);
	motion_params_default(&p);
	assert_int_equal(motion_cam_new(&mc, "unit", &p, on_report, &c), 0);
	for (i = 0; i < 20 * FPS; i++, t += FRAME_US) {
		draw(0, 100, 60, i >= 5 * FPS && i < 8 * FPS ? 40 : 0, 230, 0);
		for (y = 0; y < H; y++)
			memcpy(f->data[0] + y * f->linesize[0], img + y * W, W);
		memset(f->data[1], 128, (size_t)f->linesize[1] * H / 2);
		memset(f->data[2], 128, (size_t)f->linesize[2] * H / 2);
		assert_int_equal(motion_cam_frame(mc, f, t), 0);
	}
	assert_int_equal(c.start, 1);
	assert_int_equal(c.end, 1);
	assert_true(c.jfif);
	assert_true(c.jpeg_len > 100 && c.jpeg_len <= MOTION_THUMB_MAX);
	assert_int_equal(motion_cam_frames(mc), 20 * FPS);
	motion_cam_free(mc);
	av_frame_free(&f);
}

struct cam_seq {
	int n;
	enum motion_change change[8];
	struct motion_event ev[8];
	int jpeg[8];
};

static void on_seq(void *ctx, const struct motion_report *r)
{
	struct cam_seq *c = ctx;

	assert_true(c->n < 8);
	c->change[c->n] = r->change;
	c->ev[c->n] = r->ev;
	c->jpeg[c->n] = r->jpeg != NULL && r->jpeg_len > 100;
	c->n++;
}

/* motion_cam, as the gateway's tap sees it: an event split at the longest length is
 * reported as an end then a start on the same frame, each with a thumbnail; the stream
 * stopping (motion_cam_flush) ends the open one at the last frame seen. */
static void test_cam_split_flush(void **state)
{
	const int fps = 5, frame_us = 1000000 / fps;
	struct motion_params p;
	struct motion_cam *mc = NULL;
	struct cam_seq c = { 0 };
	AVFrame *f = av_frame_alloc();
	int64_t t = 1000000, last = 0;
	int i, y;

	assert_non_null(f);
	f->format = AV_PIX_FMT_YUV420P;
	f->width = W;
	f->height = H;
	assert_true(av_frame_get_buffer(f, 0) >= 0);
	motion_params_default(&p);
	assert_int_equal(motion_cam_new(&mc, "unit", &p, on_seq, &c), 0);
	for (i = 0; i < (MOTION_EVENT_MAX_MS / 1000 + 20) * fps; i++, t += frame_us) {
		if (i >= 5 * fps)
			draw_moving(i);
		else
			draw(0, 0, 0, 0, 0, 0);
		for (y = 0; y < H; y++)
			memcpy(f->data[0] + y * f->linesize[0], img + y * W, W);
		memset(f->data[1], 128, (size_t)f->linesize[1] * H / 2);
		memset(f->data[2], 128, (size_t)f->linesize[2] * H / 2);
		assert_int_equal(motion_cam_frame(mc, f, t), 0);
		last = t;
	}
	motion_cam_flush(mc);
	motion_cam_flush(mc);          /* nothing left to end */
	assert_int_equal(c.n, 4);
	assert_int_equal(c.change[0], MOTION_START);
	assert_int_equal(c.change[1], MOTION_END);
	assert_int_equal(c.change[2], MOTION_START);
	assert_int_equal(c.change[3], MOTION_END);
	assert_int_equal(c.ev[1].start_us, c.ev[0].start_us);
	assert_int_equal(c.ev[1].end_us - c.ev[1].start_us, (int64_t)MOTION_EVENT_MAX_MS * 1000);
	assert_int_equal(c.ev[2].start_us, c.ev[1].end_us);
	assert_int_equal(c.ev[3].start_us, c.ev[2].start_us);
	assert_int_equal(c.ev[3].end_us, last);
	for (i = 0; i < 4; i++)
		assert_true(c.jpeg[i]);
	motion_cam_free(mc);
	av_frame_free(&f);
}

/* A sealed payload opens with the epoch key only, names the gateway that signed it and
 * shows no JPEG marker; one sealed to the epoch key by anyone else (the server holds the
 * public key) is refused unless a gateway signed it, and then it names that signer. */
static void test_seal(void **state)
{
	uint8_t pk[32], sk[32], pk2[32], sk2[32], jpeg[200];
	uint8_t gpk[GATEWAY_ID_LEN], gsk[GATEWAY_SK_LEN], xpk[GATEWAY_ID_LEN], xsk[GATEWAY_SK_LEN];
	uint8_t got[GATEWAY_ID_LEN], forged[4096];
	struct events_meta m;
	struct buf sealed, json, pic, plain;
	const char *zones[] = { "door" };
	size_t i;
	int found = 0;

	assert_true(sodium_init() >= 0);
	crypto_box_keypair(pk, sk);
	crypto_box_keypair(pk2, sk2);
	crypto_sign_keypair(gpk, gsk);
	crypto_sign_keypair(xpk, xsk);
	memset(&m, 0, sizeof(m));
	randombytes_buf(m.id, sizeof(m.id));
	m.start_us = 1700000000000000LL;
	m.peak_score = 42;
	memset(jpeg, 0x55, sizeof(jpeg));
	memcpy(jpeg, "\xff\xd8\xff\xe0\x00\x10JFIF", 10);
	buf_init(&sealed, 65536);
	buf_init(&json, 4096);
	buf_init(&pic, 65536);
	assert_int_equal(events_seal(&m, zones, 1, jpeg, sizeof(jpeg), pk, gsk, &sealed), 0);
	for (i = 0; i + 4 <= sealed.len; i++)
		if (memcmp(sealed.data + i, "JFIF", 4) == 0 || memcmp(sealed.data + i, "door", 4) == 0)
			found = 1;
	assert_false(found);
	assert_int_equal(events_unseal(sealed.data, sealed.len, pk2, sk2, got, &json, &pic), -1);
	assert_int_equal(events_unseal(sealed.data, sealed.len, pk, sk, got, &json, &pic), 0);
	assert_memory_equal(got, gpk, sizeof(gpk));
	assert_int_equal(pic.len, sizeof(jpeg));
	assert_memory_equal(pic.data, jpeg, sizeof(jpeg));
	assert_non_null(strstr((const char *)json.data, "\"zones\":[\"door\"]"));
	assert_non_null(strstr((const char *)json.data, "\"peak_score\":42"));
	assert_non_null(strstr((const char *)json.data, "\"v\":2"));
	/* The server's forgeries: it can open nothing, but it holds the epoch public key. */
	buf_init(&plain, sizeof(forged));
	{
		/* an unsigned payload (the first format: length | JSON | JPEG) */
		const char *meta = "{\"v\":1,\"zones\":[\"door\"]}";
		assert_int_equal(buf_put_u32(&plain, (uint32_t)strlen(meta)), 0);
		assert_int_equal(buf_put(&plain, meta, strlen(meta)), 0);
		assert_int_equal(buf_put(&plain, jpeg, sizeof(jpeg)), 0);
		assert_int_equal(crypto_box_seal(forged, plain.data, plain.len, pk), 0);
		assert_int_equal(events_unseal(forged, plain.len + crypto_box_SEALBYTES, pk, sk, got,
		    &json, &pic), -1);
		assert_int_equal(json.len, 0);
		/* a signed one whose named key is swapped for the gateway's */
		assert_int_equal(events_seal(&m, zones, 1, jpeg, sizeof(jpeg), pk, xsk, &sealed), 0);
		assert_int_equal(events_unseal(sealed.data, sealed.len, pk, sk, got, &json, &pic), 0);
		assert_memory_equal(got, xpk, sizeof(xpk));  /* names its signer: not a pinned gateway */
		{
			size_t n = sealed.len - crypto_box_SEALBYTES;
			uint8_t *p = malloc(n);

			assert_non_null(p);
			assert_int_equal(crypto_box_seal_open(p, sealed.data, sealed.len, pk, sk), 0);
			memcpy(p + 4, gpk, sizeof(gpk));
			assert_int_equal(crypto_box_seal(forged, p, n, pk), 0);
			assert_int_equal(events_unseal(forged, sealed.len, pk, sk, got, &json, &pic), -1);
			/* and a body changed under a kept signature */
			memcpy(p + 4, xpk, sizeof(xpk));
			p[n - 1] ^= 1;
			assert_int_equal(crypto_box_seal(forged, p, n, pk), 0);
			assert_int_equal(events_unseal(forged, sealed.len, pk, sk, got, &json, &pic), -1);
			free(p);
		}
	}
	buf_free(&plain);
	/* a flipped byte does not open */
	assert_int_equal(events_seal(&m, zones, 1, jpeg, sizeof(jpeg), pk, gsk, &sealed), 0);
	sealed.data[sealed.len / 2] ^= 1;
	assert_int_equal(events_unseal(sealed.data, sealed.len, pk, sk, got, &json, &pic), -1);
	/* an oversized thumbnail is refused */
	{
		uint8_t *big = calloc(1, EVENTS_PLAIN_MAX);
		assert_non_null(big);
		assert_int_equal(events_seal(&m, zones, 1, big, EVENTS_PLAIN_MAX, pk, gsk, &sealed), -1);
		free(big);
	}
	buf_free(&sealed);
	buf_free(&json);
	buf_free(&pic);
}

/* The sender keeps at most EVENTS_QUEUE_MAX events and replaces a queued one by id
 * (the server is unreachable here: nothing leaves the queue). */
static void test_queue_bounded(void **state)
{
	uint8_t sk[64], pk[32], blob[16] = { 1 };
	struct events_sender *s;
	struct events_meta m;
	unsigned i;

	crypto_sign_keypair(pk, sk);
	s = events_start("http://127.0.0.1:1", sk);
	assert_non_null(s);
	assert_ptr_equal(events_default(), s);
	memset(&m, 0, sizeof(m));
	for (i = 0; i < EVENTS_QUEUE_MAX + 10; i++) {
		memcpy(m.id, &i, sizeof(i));
		assert_int_equal(events_submit(s, &m, blob, sizeof(blob)), 0);
	}
	assert_true(events_pending(s) <= EVENTS_QUEUE_MAX);
	assert_true(events_pending(s) >= EVENTS_QUEUE_MAX - 1);
	i = EVENTS_QUEUE_MAX + 9;
	memcpy(m.id, &i, sizeof(i));
	assert_int_equal(events_submit(s, &m, blob, sizeof(blob)), 0);
	assert_true(events_pending(s) <= EVENTS_QUEUE_MAX);
	events_stop(s);
	assert_null(events_default());
}

static int parse(const char *js, struct motion_params *p)
{
	char err[200];

	return motion_config_parse(js, strlen(js), p, err, sizeof(err));
}

static void test_config(void **state)
{
	struct motion_params p;
	char err[200];

	assert_int_equal(parse("{}", &p), 0);
	assert_int_equal(p.sensitivity, MOTION_SENS_DEFAULT);
	assert_int_equal(parse("{\"enabled\":false,\"sensitivity\":80,\"min_duration_ms\":0,"
	    "\"end_hold_ms\":5000,\"zones\":[{\"name\":\"door\",\"rect\":[0,0,500,1000]},"
	    "{\"name\":\"yard\",\"rect\":[500,0,500,1000]}],\"masks\":[[720,40,220,220]]}", &p), 0);
	assert_false(p.enabled);
	assert_int_equal(p.sensitivity, 80);
	assert_int_equal(p.min_duration_ms, 0);
	assert_int_equal(p.end_hold_ms, 5000);
	assert_int_equal(p.nzones, 2);
	assert_string_equal(p.zones[1].name, "yard");
	assert_int_equal(p.nmasks, 1);
	assert_int_equal(p.masks[0].w, 220);
	assert_int_equal(parse("{\"mask\":[[0,0,10,10]]}", &p), -1);          /* typo */
	assert_int_equal(parse("{\"sensitivity\":0}", &p), -1);
	assert_int_equal(parse("{\"sensitivity\":\"50\"}", &p), -1);
	assert_int_equal(parse("{\"masks\":[[900,0,200,10]]}", &p), -1);     /* outside */
	assert_int_equal(parse("{\"masks\":[[0,0,0,10]]}", &p), -1);         /* empty */
	assert_int_equal(parse("{\"zones\":[{\"name\":\"a\",\"rect\":[0,0,1,1]},"
	    "{\"name\":\"a\",\"rect\":[0,0,1,1]}]}", &p), -1);               /* repeated */
	assert_int_equal(parse("{\"zones\":[{\"name\":\"<b>\",\"rect\":[0,0,1,1]}]}", &p), -1);
	assert_int_equal(parse("[1]", &p), -1);
	assert_int_equal(parse("{\"sensitivity\":1,\"sensitivity\":2}", &p), -1);
	assert_int_equal(motion_config_parse("{", 1, &p, err, sizeof(err)), -1);
	assert_true(strlen(err) > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_params),
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_distractors_ignored),
		cmocka_unit_test(test_object_found_zones),
		cmocka_unit_test(test_mask),
		cmocka_unit_test(test_min_duration),
		cmocka_unit_test(test_keyframe_rate),
		cmocka_unit_test(test_max_length_split),
		cmocka_unit_test(test_flush_on_drop),
		cmocka_unit_test(test_flush_keyframes),
		cmocka_unit_test(test_size_change),
		cmocka_unit_test(test_outage_background),
		cmocka_unit_test(test_ghost_absorbed),
		cmocka_unit_test(test_cam_thumbnail),
		cmocka_unit_test(test_cam_split_flush),
		cmocka_unit_test(test_seal),
		cmocka_unit_test(test_queue_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
