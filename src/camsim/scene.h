/* scene.h - scripted test scenes: objects entering and leaving at known times, plus distractors, rendered to luma planes. */
#ifndef VIGIL_CAMSIM_SCENE_H
#define VIGIL_CAMSIM_SCENE_H

#include <stddef.h>
#include <stdint.h>

/* Longest scene (a simulated day is plenty) and most scripted entries. */
#define SCENE_MAX_DURATION_US (24LL * 3600 * 1000000)
#define SCENE_MAX_ENTRIES 8192

/* One scripted object: visible in the frame from start_us to end_us (scene time). */
struct scene_entry {
	int64_t start_us;
	int64_t end_us;
	int from_left;        /* crosses left to right, else right to left */
	int size_pm;          /* side, per-mille of the frame height */
	int y_pm;             /* top edge, per-mille of the frame height */
	int luma;             /* object grey level */
};

struct scene;

enum {
	SCENE_OBJECTS = 1,      /* scripted entries every 20-40 s, else distractors only */
	SCENE_NO_FLICKER = 2,   /* leave out the flickering rectangle (no mask configured) */
};
/* A scene of duration_us from seed and flags (SCENE_*). Distractors: per-pixel sensor
 * noise, a slow global brightness ramp (a 10-minute sine of +-25 grey levels) and,
 * unless SCENE_NO_FLICKER, a flickering rectangle (scene_flicker_rect) that a mask is
 * meant to cover. 0 or -1. */
int scene_new(struct scene **out, uint64_t seed, int64_t duration_us, unsigned flags);
/* The scripted entries, in time order. */
size_t scene_entries(const struct scene *s, const struct scene_entry **e);
/* The flickering rectangle in per-mille of the frame: x, y, w, h. */
void scene_flicker_rect(const struct scene *s, uint16_t r[4]);
/* Render the luma plane at scene time t_us into y (w x h, stride >= w; w, h >= 16).
 * Deterministic in (seed, t_us, w, h) except for the noise, which is seeded per frame
 * from t_us. Not thread-safe per scene (keeps a background cache). 0 or -1. */
int scene_render(struct scene *s, int64_t t_us, uint8_t *y, int w, int h, int stride);
/* Write the ground truth: a line "scene seed=N duration_us=N t0_us=N", a line
 * "mask X Y W H" (the flicker rectangle, per-mille), then lines "entry START_US END_US"
 * (absolute: t0_us plus scene time). 0 or -1. */
int scene_write_truth(const struct scene *s, const char *path, int64_t t0_us);
void scene_free(struct scene *s);   /* NULL-safe */

#endif
