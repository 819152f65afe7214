/* recgate.c - recording on motion only: the "recording" object, the keep-or-hold decision, and the bounded pre-roll of whole GOPs. */
#include "gateway/recgate.h"

#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "common/buf.h"
#include "common/util.h"

/* A held frame: wall i64 | dts i64 | key u8 | len u32 | data. */
#define HOLD_HDR 21

struct recgate_hold {
	struct buf b;
	size_t frames;
	size_t max;
};

void recgate_mode_default(struct recgate_mode *m)
{
	m->motion_only = 0;
	m->preroll_ms = RECGATE_PREROLL_DEFAULT_S * 1000u;
	m->postroll_ms = RECGATE_POSTROLL_DEFAULT_S * 1000u;
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
		    strcmp(key, "postroll_s") != 0) {
			errf(err, errlen, "recording: unknown field (mode, preroll_s, postroll_s)");
			return -1;
		}
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

struct recgate_hold *recgate_hold_new(size_t max_bytes)
{
	struct recgate_hold *h = calloc(1, sizeof(*h));

	if (h == NULL)
		return NULL;
	h->max = max_bytes;
	/* The buffer may hold the bound plus one frame's header while a GOP is dropped. */
	buf_init(&h->b, max_bytes + HOLD_HDR);
	return h;
}

void recgate_hold_free(struct recgate_hold *h)
{
	if (h == NULL)
		return;
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
}

int recgate_hold_add(struct recgate_hold *h, int64_t wall, int64_t dts, int key,
    const uint8_t *data, size_t len)
{
	uint8_t hdr[HOLD_HDR];

	if (h->b.len == 0 && !key)
		return -1;
	if (len > h->max) {
		recgate_hold_clear(h);
		return -1;
	}
	while (h->b.len > 0 && h->b.len + HOLD_HDR + len > h->max) {
		size_t n;
		if (second_gop(h, &n) == h->b.len && !key) {
			/* One GOP, and this frame would take it past the bound: drop it whole,
			 * and this frame with it (it does not start a GOP). */
			recgate_hold_clear(h);
			return -1;
		}
		drop_first_gop(h);
	}
	be_put64(hdr, (uint64_t)wall);
	be_put64(hdr + 8, (uint64_t)dts);
	hdr[16] = key ? 1 : 0;
	be_put32(hdr + 17, (uint32_t)len);
	if (buf_put(&h->b, hdr, sizeof(hdr)) != 0)
		return -1;
	if (buf_put(&h->b, data, len) != 0) {
		h->b.len -= HOLD_HDR;
		return -1;
	}
	h->frames++;
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
