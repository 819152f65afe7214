/* scene.c - scripted scene generator: a textured background, moving objects at known times, noise, light ramp, flicker. */
#include "camsim/scene.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOISE_LEN 65536                 /* power of two */
#define RAMP_PERIOD_US (600LL * 1000000) /* 10 minutes */
#define RAMP_AMPL 25
#define FLICKER_STEP_US 250000
#define FLICKER_AMPL 45
#define CACHE_SLOTS 2

struct bg_cache {
	int w, h;
	uint8_t *px;
};

struct scene {
	uint64_t seed;
	int64_t duration_us;
	size_t nentries;
	struct scene_entry *entries;
	int8_t noise[NOISE_LEN];
	uint16_t flicker[4];
	int no_flicker;
	struct bg_cache cache[CACHE_SLOTS];
	unsigned next_slot;
};

static uint64_t splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [lo, hi]. */
static int64_t uni(uint64_t *x, int64_t lo, int64_t hi)
{
	return lo + (int64_t)(splitmix(x) % (uint64_t)(hi - lo + 1));
}

/* Integer sine of a phase in [0, 1<<16) scaled to +-1024 (parabolic approximation: the
 * ramp only has to be smooth and slow). */
static int isin(uint32_t ph)
{
	int64_t x = (int64_t)(ph & 0x7fff);     /* half period */
	int64_t v = 4 * x * (32768 - x) / 1048576; /* 0..1024 */

	return (ph & 0x8000) ? -(int)v : (int)v;
}

int scene_new(struct scene **out, uint64_t seed, int64_t duration_us, unsigned flags)
{
	struct scene *s;
	uint64_t x = seed;
	int64_t t;
	size_t i, cap = 0;

	*out = NULL;
	if (duration_us <= 0 || duration_us > SCENE_MAX_DURATION_US)
		return -1;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return -1;
	s->seed = seed;
	s->duration_us = duration_us;
	/* Sensor noise: the sum of four uniforms in [-3, 3], sigma about 3.7 grey levels. */
	for (i = 0; i < NOISE_LEN; i++)
		s->noise[i] = (int8_t)(uni(&x, -3, 3) + uni(&x, -3, 3) + uni(&x, -3, 3) + uni(&x, -3, 3));
	s->flicker[0] = 720;
	s->flicker[1] = 40;
	s->flicker[2] = 220;
	s->flicker[3] = 220;
	s->no_flicker = (flags & SCENE_NO_FLICKER) != 0;
	if (flags & SCENE_OBJECTS) {
		cap = (size_t)(duration_us / 20000000) + 1;
		if (cap > SCENE_MAX_ENTRIES)
			cap = SCENE_MAX_ENTRIES;
		if ((s->entries = calloc(cap, sizeof(*s->entries))) == NULL) {
			free(s);
			return -1;
		}
		/* First entry after 8 s (the detector learns the background), then one every
		 * 20 to 40 s, each visible 6 to 12 s: entries never overlap. */
		t = 8000000;
		while (s->nentries < cap) {
			struct scene_entry *e = &s->entries[s->nentries];
			int64_t len = uni(&x, 6000, 12000) * 1000;
			if (t + len > duration_us)
				break;
			e->start_us = t;
			e->end_us = t + len;
			e->from_left = (int)uni(&x, 0, 1);
			e->size_pm = (int)uni(&x, 100, 180);
			e->y_pm = (int)uni(&x, 300, 1000 - 20 - e->size_pm);
			e->luma = uni(&x, 0, 1) ? (int)uni(&x, 215, 240) : (int)uni(&x, 10, 35);
			s->nentries++;
			t = e->end_us + uni(&x, 14000, 28000) * 1000;
		}
	}
	*out = s;
	return 0;
}

size_t scene_entries(const struct scene *s, const struct scene_entry **e)
{
	*e = s->entries;
	return s->nentries;
}

void scene_flicker_rect(const struct scene *s, uint16_t r[4])
{
	memcpy(r, s->flicker, sizeof(s->flicker));
}

/* The static background at w x h: smooth gradients, a few large tiles and fine texture,
 * in the mid-grey range so the ramp and objects never clip. */
static const uint8_t *bg_get(struct scene *s, int w, int h)
{
	struct bg_cache *c;
	unsigned i;
	int xx, yy;

	for (i = 0; i < CACHE_SLOTS; i++)
		if (s->cache[i].px != NULL && s->cache[i].w == w && s->cache[i].h == h)
			return s->cache[i].px;
	c = &s->cache[s->next_slot];
	s->next_slot = (s->next_slot + 1) % CACHE_SLOTS;
	free(c->px);
	c->px = malloc((size_t)w * (size_t)h);
	if (c->px == NULL)
		return NULL;
	c->w = w;
	c->h = h;
	for (yy = 0; yy < h; yy++) {
		for (xx = 0; xx < w; xx++) {
			int u = xx * 1000 / w, v = yy * 1000 / h;
			int tile = ((u / 125) + (v / 166)) & 1;
			int fine = ((u / 20) ^ (v / 20)) & 3;
			int val = 60 + u / 16 + v / 25 + tile * 20 + fine * 3;
			c->px[(size_t)yy * (size_t)w + (size_t)xx] = (uint8_t)val;
		}
	}
	return c->px;
}

static uint8_t clamp8(int v)
{
	return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

int scene_render(struct scene *s, int64_t t_us, uint8_t *y, int w, int h, int stride)
{
	const uint8_t *bg;
	uint64_t nx = (uint64_t)t_us * 2654435761ULL ^ s->seed;
	uint32_t noff = (uint32_t)splitmix(&nx);
	uint64_t fx;
	int ramp, flick, xx, yy, fx0, fy0, fx1, fy1;
	size_t i;

	if (w < 16 || h < 9 || stride < w || t_us < 0)
		return -1;
	if ((bg = bg_get(s, w, h)) == NULL)
		return -1;
	ramp = isin((uint32_t)((t_us % RAMP_PERIOD_US) * 65536 / RAMP_PERIOD_US)) * RAMP_AMPL / 1024;
	/* Flicker: on or off per 250 ms step, decided by a hash of the step. */
	fx = s->seed ^ (uint64_t)(t_us / FLICKER_STEP_US) * 0x9e3779b97f4a7c15ULL;
	flick = !s->no_flicker && (splitmix(&fx) & 1) ? FLICKER_AMPL : 0;
	fx0 = s->flicker[0] * w / 1000;
	fy0 = s->flicker[1] * h / 1000;
	fx1 = (s->flicker[0] + s->flicker[2]) * w / 1000;
	fy1 = (s->flicker[1] + s->flicker[3]) * h / 1000;
	for (yy = 0; yy < h; yy++) {
		const uint8_t *src = bg + (size_t)yy * (size_t)w;
		uint8_t *dst = y + (size_t)yy * (size_t)stride;
		uint32_t o = noff + (uint32_t)yy * 7919u;
		int inrow = yy >= fy0 && yy < fy1;
		for (xx = 0; xx < w; xx++) {
			int v = src[xx] + ramp + s->noise[(o + (uint32_t)xx) & (NOISE_LEN - 1)];
			if (inrow && xx >= fx0 && xx < fx1)
				v += flick;
			dst[xx] = clamp8(v);
		}
	}
	/* Objects: a square crossing the frame at constant speed, visible exactly during
	 * [start_us, end_us): it enters with its leading edge at start and leaves with its
	 * trailing edge at end. */
	for (i = 0; i < s->nentries; i++) {
		const struct scene_entry *e = &s->entries[i];
		int side, x0, y0, x1, y1;
		int64_t travel, pos;
		if (t_us < e->start_us || t_us >= e->end_us)
			continue;
		side = e->size_pm * h / 1000;
		if (side < 2)
			side = 2;
		travel = (int64_t)w + side;
		pos = (t_us - e->start_us) * travel / (e->end_us - e->start_us);
		x0 = e->from_left ? (int)(pos - side) : (int)(w - pos);
		x1 = x0 + side;
		y0 = e->y_pm * h / 1000;
		y1 = y0 + side;
		if (x0 < 0)
			x0 = 0;
		if (x1 > w)
			x1 = w;
		if (y1 > h)
			y1 = h;
		for (yy = y0; yy < y1; yy++) {
			uint8_t *dst = y + (size_t)yy * (size_t)stride;
			uint32_t o = noff + (uint32_t)yy * 104729u;
			for (xx = x0; xx < x1; xx++)
				dst[xx] = clamp8(e->luma + ramp +
				    s->noise[(o + (uint32_t)xx) & (NOISE_LEN - 1)]);
		}
	}
	return 0;
}

int scene_write_truth(const struct scene *s, const char *path, int64_t t0_us)
{
	FILE *f;
	size_t i;
	int ret = -1;

	if ((f = fopen(path, "w")) == NULL)
		return -1;
	if (fprintf(f, "scene seed=%llu duration_us=%lld t0_us=%lld\n",
	    (unsigned long long)s->seed, (long long)s->duration_us, (long long)t0_us) < 0)
		goto out;
	if (fprintf(f, "mask %u %u %u %u\n", s->flicker[0], s->flicker[1], s->flicker[2],
	    s->flicker[3]) < 0)
		goto out;
	for (i = 0; i < s->nentries; i++)
		if (fprintf(f, "entry %lld %lld\n", (long long)(t0_us + s->entries[i].start_us),
		    (long long)(t0_us + s->entries[i].end_us)) < 0)
			goto out;
	ret = 0;
out:
	if (fclose(f) != 0)
		ret = -1;
	return ret;
}

void scene_free(struct scene *s)
{
	unsigned i;

	if (s == NULL)
		return;
	for (i = 0; i < CACHE_SLOTS; i++)
		free(s->cache[i].px);
	free(s->entries);
	free(s);
}
