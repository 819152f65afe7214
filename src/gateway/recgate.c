/* recgate.c - recording on motion only: the "recording" object, the keep-or-hold decision, and the bounded pre-roll of whole GOPs. */
#include "gateway/recgate.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sodium.h>

#include "common/buf.h"
#include "common/util.h"

/* A held frame: wall i64 | dts i64 | key u8 | len u32 | data. */
#define HOLD_HDR 21

struct recgate_hold {
	struct buf b;
	size_t frames;
	size_t max;
	struct recgate_budget *bud;  /* shared with the gateway's other holds, or NULL */
	size_t charged;              /* bytes counted in bud->used: b.len after each change */
};

/* The bytes every hold of a gateway holds together: each hold gets an equal share, so no
 * stream can starve another (a first-come pool would leave a stream that just resumed
 * without room while the others kept theirs). */
struct recgate_budget {
	_Atomic size_t used;   /* what the holds hold (reported; bounded through the shares) */
	_Atomic size_t holds;  /* holds sharing it */
	size_t max;
};

struct recgate_budget *recgate_budget_new(size_t max_bytes)
{
	struct recgate_budget *b = calloc(1, sizeof(*b));

	if (b == NULL)
		return NULL;
	atomic_init(&b->used, 0);
	atomic_init(&b->holds, 0);
	b->max = max_bytes;
	return b;
}

void recgate_budget_free(struct recgate_budget *b)
{
	free(b);
}

size_t recgate_budget_used(struct recgate_budget *b)
{
	return atomic_load(&b->used);
}

size_t recgate_budget_default_bytes(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
	size_t n = RECGATE_BUDGET_MAX_BYTES;

	if (pages > 0 && psz > 0 && (size_t)pages / 8 < SIZE_MAX / (size_t)psz &&
	    (size_t)pages / 8 * (size_t)psz < n)
		n = (size_t)pages / 8 * (size_t)psz;
	return n < RECGATE_BUDGET_MIN_BYTES ? RECGATE_BUDGET_MIN_BYTES : n;
}

/* What this hold may hold: its own bound, or its share of the budget when smaller. The
 * share shrinks as holds join; a hold above its new share comes down at its next frame. */
static size_t bound(const struct recgate_hold *h)
{
	size_t n, share;

	if (h->bud == NULL)
		return h->max;
	n = atomic_load(&h->bud->holds);
	share = h->bud->max / (n > 0 ? n : 1);
	return share < h->max ? share : h->max;
}

/* Keep the budget's count of this hold's bytes equal to them. */
static void charge_sync(struct recgate_hold *h)
{
	if (h->bud == NULL || h->charged == h->b.len)
		return;
	if (h->charged > h->b.len)
		atomic_fetch_sub(&h->bud->used, h->charged - h->b.len);
	else
		atomic_fetch_add(&h->bud->used, h->b.len - h->charged);
	h->charged = h->b.len;
}

void recgate_mode_default(struct recgate_mode *m)
{
	m->motion_only = 0;
	m->preroll_ms = RECGATE_PREROLL_DEFAULT_S * 1000u;
	m->postroll_ms = RECGATE_POSTROLL_DEFAULT_S * 1000u;
	m->live_while_paused = 1;
}

static int get_secs(const json_t *obj, const char *key, json_int_t hi, uint32_t *ms,
    char *err, size_t errlen)
{
	const json_t *v = json_object_get(obj, key);
	json_int_t i;

	if (v == NULL)
		return 0;
	if (!json_is_integer(v) || (i = json_integer_value(v)) < 0 || i > hi) {
		errf(err, errlen, "recording.%s must be an integer in 0..%lld", key, (long long)hi);
		return -1;
	}
	*ms = (uint32_t)i * 1000u;
	return 0;
}

int recgate_mode_from_json(const json_t *obj, struct recgate_mode *out, char *err,
    size_t errlen)
{
	struct recgate_mode m;
	const json_t *v;
	const char *key, *mode;

	recgate_mode_default(&m);
	if (!json_is_object(obj)) {
		errf(err, errlen, "recording must be an object");
		return -1;
	}
	json_object_foreach((json_t *)obj, key, v) {
		if (strcmp(key, "mode") != 0 && strcmp(key, "preroll_s") != 0 &&
		    strcmp(key, "postroll_s") != 0 && strcmp(key, "live_while_paused") != 0) {
			errf(err, errlen, "recording: unknown field (mode, preroll_s, postroll_s, "
			    "live_while_paused)");
			return -1;
		}
	}
	if ((v = json_object_get(obj, "live_while_paused")) != NULL) {
		if (!json_is_boolean(v)) {
			errf(err, errlen, "recording.live_while_paused must be true or false");
			return -1;
		}
		m.live_while_paused = json_is_true(v);
	}
	if ((v = json_object_get(obj, "mode")) != NULL) {
		mode = json_is_string(v) ? json_string_value(v) : "";
		if (strcmp(mode, "motion") == 0) {
			m.motion_only = 1;
		} else if (strcmp(mode, "continuous") != 0) {
			errf(err, errlen, "recording.mode must be \"continuous\" or \"motion\"");
			return -1;
		}
	}
	if (get_secs(obj, "preroll_s", RECGATE_PREROLL_MAX_S, &m.preroll_ms, err, errlen) != 0 ||
	    get_secs(obj, "postroll_s", RECGATE_POSTROLL_MAX_S, &m.postroll_ms, err, errlen) != 0)
		return -1;
	*out = m;
	return 0;
}

int recgate_blind(const struct recgate_motion *a, int64_t w)
{
	return a->analysed_us == 0 || w - a->analysed_us > RECGATE_BLIND_US;
}

int recgate_want(const struct recgate_mode *m, const struct recgate_motion *a, int64_t w)
{
	if (!m->motion_only || a->open_start != 0 || recgate_blind(a, w))
		return 1;
	return a->last_end != 0 && w < a->last_end + (int64_t)m->postroll_ms * 1000;
}

int64_t recgate_resume_from(const struct recgate_motion *a, int64_t w)
{
	if (recgate_blind(a, w))
		return w;
	if (a->open_start != 0)
		return a->open_start;
	return a->last_start != 0 && a->last_start < w ? a->last_start : w;
}

struct recgate_hold *recgate_hold_new(size_t max_bytes, struct recgate_budget *bud)
{
	struct recgate_hold *h = calloc(1, sizeof(*h));

	if (h == NULL)
		return NULL;
	h->max = max_bytes;
	h->bud = bud;
	if (bud != NULL)
		atomic_fetch_add(&bud->holds, 1);
	/* The buffer may hold the bound plus one frame's header while a GOP is dropped. */
	buf_init(&h->b, max_bytes + HOLD_HDR);
	return h;
}

void recgate_hold_free(struct recgate_hold *h)
{
	if (h == NULL)
		return;
	recgate_hold_clear(h);
	if (h->bud != NULL)
		atomic_fetch_sub(&h->bud->holds, 1);
	buf_free(&h->b);
	free(h);
}

/* Held frames are plaintext video: wiped when they go, not only when the hold is freed. */
void recgate_hold_clear(struct recgate_hold *h)
{
	if (h->b.len > 0)
		sodium_memzero(h->b.data, h->b.len);
	buf_reset(&h->b);
	h->frames = 0;
	charge_sync(h);
}

static void frame_at(const struct recgate_hold *h, size_t off, struct recgate_frame *f)
{
	const uint8_t *p = h->b.data + off;

	f->wall = (int64_t)be_get64(p);
	f->dts = (int64_t)be_get64(p + 8);
	f->key = p[16] != 0;
	f->len = be_get32(p + 17);
	f->data = p + HOLD_HDR;
}

/* Offset of the second GOP (the first keyframe after offset 0), or len when there is
 * only one; *nframes gets the frames before it. */
static size_t second_gop(const struct recgate_hold *h, size_t *nframes)
{
	struct recgate_frame f;
	size_t off = 0, n = 0;

	while (off < h->b.len) {
		frame_at(h, off, &f);
		if (off > 0 && f.key)
			break;
		off += HOLD_HDR + f.len;
		n++;
	}
	*nframes = n;
	return off;
}

static void drop_first_gop(struct recgate_hold *h)
{
	size_t n, off = second_gop(h, &n);

	buf_consume(&h->b, off);
	/* What the move left behind the new end is the tail of the held frames. */
	sodium_memzero(h->b.data + h->b.len, off);
	h->frames -= n;
	charge_sync(h);
}

int recgate_hold_add(struct recgate_hold *h, int64_t wall, int64_t dts, int key,
    const uint8_t *data, size_t len)
{
	uint8_t hdr[HOLD_HDR];
	size_t lim = bound(h);

	if (h->b.len == 0 && !key)
		return RECGATE_HOLD_DROPPED;
	if (HOLD_HDR + len > lim || len > lim) {
		recgate_hold_clear(h);
		return HOLD_HDR + len > h->max || len > h->max ? RECGATE_HOLD_DROPPED :
		    RECGATE_HOLD_BUDGET;
	}
	while (h->b.len > 0 && h->b.len + HOLD_HDR + len > lim) {
		size_t n;
		if (second_gop(h, &n) == h->b.len && !key) {
			/* One GOP, and this frame would take it past the bound (or the share of
			 * the budget): drop it whole, and this frame with it (it does not start
			 * a GOP). The share is the reason only if the bound alone would do. */
			int share = h->b.len + HOLD_HDR + len <= h->max;

			recgate_hold_clear(h);
			return share ? RECGATE_HOLD_BUDGET : RECGATE_HOLD_DROPPED;
		}
		drop_first_gop(h);
	}
	be_put64(hdr, (uint64_t)wall);
	be_put64(hdr + 8, (uint64_t)dts);
	hdr[16] = key ? 1 : 0;
	be_put32(hdr + 17, (uint32_t)len);
	/* buf grows by copy and wipe: no stale copy of the plaintext is left behind. */
	if (buf_put(&h->b, hdr, sizeof(hdr)) != 0 || buf_put(&h->b, data, len) != 0) {
		/* What of this frame went in is not a frame: wipe it with the rest. */
		recgate_hold_clear(h);
		return RECGATE_HOLD_DROPPED;
	}
	h->frames++;
	charge_sync(h);
	return 0;
}

void recgate_hold_trim(struct recgate_hold *h, int64_t t)
{
	struct recgate_frame f;
	size_t n, off;

	while ((off = second_gop(h, &n)) < h->b.len) {
		frame_at(h, off, &f);
		if (f.wall > t)
			break;
		drop_first_gop(h);
	}
}

int recgate_hold_next(const struct recgate_hold *h, size_t *pos, struct recgate_frame *f)
{
	if (*pos >= h->b.len)
		return 0;
	frame_at(h, *pos, f);
	*pos += HOLD_HDR + f->len;
	return 1;
}

size_t recgate_hold_frames(const struct recgate_hold *h)
{
	return h->frames;
}

size_t recgate_hold_bytes(const struct recgate_hold *h)
{
	return h->b.len;
}

size_t recgate_hold_limit(const struct recgate_hold *h)
{
	return bound(h);
}
