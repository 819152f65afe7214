/* clip.c - the export pipeline after download: verify a link, check the chain, then write its frames. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "cli/clip.h"
#include "cli/timearg.h"
#include "common/buf.h"

/* One pending media chunk in struct pend's data: wall_us i64 | len u32 | body. */
#define PEND_HDR 12

/* Plaintext of the link being verified, held back until the link verifies. */
struct pend {
	struct buf init;        /* init body (ftyp+moov) */
	char codec[64];
	int have_init;
	struct buf media;       /* PEND_HDR-framed media bodies */
	size_t total;
};

struct clip {
	struct clip_opts o;
	struct chain chain;
	struct clip_stats st;
	struct pend p;
	/* "No motion" gaps not yet reported: a motion-only camera signs one every 30 s of a
	 * pause, reported as one line per pause. */
	struct {
		unsigned n;
		uint64_t seq, last_seq;
		int64_t from, to;
	} idle;
	/* A segment whose signed end says recording paused: noted when a gap follows (or the
	 * export ends), not when a segment follows at once (the pause was shorter than what
	 * the gateway held for the pre-roll: nothing is missing). */
	struct {
		int on;
		uint64_t seq;
		int64_t at;
	} paused;
	int err;
	int finished;
	uint64_t err_seq;
};

const char *
clip_strerror(int err)
{
	if (err == CLIP_E_IO)
		return "cannot write the output file";
	return seg_strerror(err);
}

struct clip *
clip_new(const struct clip_opts *o)
{
	struct clip *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->o = *o;
	chain_init(&c->chain, o->cam->id, o->stream);
	buf_init(&c->p.init, RECORD_MAX_PAYLOAD);
	buf_init(&c->p.media, CLIP_MAX_PENDING);
	return c;
}

void
clip_free(struct clip *c)
{
	if (c == NULL)
		return;
	if (c->o.out != NULL && (c->err != 0 || !c->finished))
		mp4out_abort(c->o.out);
	buf_free(&c->p.init);
	buf_free(&c->p.media);
	free(c);
}

static int
on_chunk(void *ctx, const struct chunk_plain *cp)
{
	struct pend *p = ctx;
	uint8_t hdr[PEND_HDR];

	if (cp->kind == CHUNK_INIT) {
		buf_reset(&p->init);
		if (buf_put(&p->init, cp->body, cp->body_len) != 0)
			return -1;
		snprintf(p->codec, sizeof(p->codec), "%s", cp->codec);
		p->have_init = 1;
		return 0;
	}
	if (cp->kind != CHUNK_MEDIA)
		return 0;
	if (cp->body_len > UINT32_MAX)
		return -1;
	be_put64(hdr, (uint64_t)cp->wall_us);
	be_put32(hdr + 8, (uint32_t)cp->body_len);
	if (buf_put(&p->media, hdr, sizeof(hdr)) != 0 ||
	    buf_put(&p->media, cp->body, cp->body_len) != 0)
		return -1;
	return 0;
}

/* Read the camera, stream, seq and gateway of a link from its first record, so that a
 * link of another camera is named as such rather than failing on its key. */
static int
peek_link(const uint8_t *data, size_t len, uint8_t cam[CAMERA_ID_LEN], uint8_t *stream,
    uint64_t *seq, uint8_t gw[GATEWAY_ID_LEN])
{
	struct seg_header h;
	struct gap g;
	uint32_t rlen;

	if (len < RECORD_HDR_LEN)
		return SEG_E_INCOMPLETE;
	rlen = be_get32(data);
	if (rlen > len - RECORD_HDR_LEN)
		return SEG_E_INCOMPLETE;
	if (data[4] == REC_SEG_HEADER) {
		if (seg_header_decode(&h, data + RECORD_HDR_LEN, rlen) != 0)
			return SEG_E_FORMAT;
		memcpy(cam, h.camera_id, CAMERA_ID_LEN);
		*stream = h.stream;
		*seq = h.seq;
		memcpy(gw, h.gateway_id, GATEWAY_ID_LEN);
		return SEG_OK;
	}
	if (data[4] == REC_GAP) {
		if (gap_decode(&g, data + RECORD_HDR_LEN, rlen) != 0)
			return SEG_E_FORMAT;
		memcpy(cam, g.camera_id, CAMERA_ID_LEN);
		*stream = g.stream;
		*seq = g.seq;
		memcpy(gw, g.gateway_id, GATEWAY_ID_LEN);
		return SEG_OK;
	}
	return SEG_E_FORMAT;
}

static const char *
gap_reason_str(uint16_t r)
{
	switch (r) {
	case GAP_CAMERA_OFFLINE: return "camera offline";
	case GAP_GATEWAY_RESTART: return "gateway restart";
	case GAP_SPOOL_EVICTED: return "spool eviction (footage deleted on site before upload)";
	case GAP_UPLOAD_REFUSED: return "upload refused";
	case GAP_MOTION_IDLE: return "no motion (camera records on motion only)";
	default: return "unknown reason";
	}
}

/* Report the "no motion" gaps gathered so far, as one line. */
static void
idle_flush(struct clip *c)
{
	char a[TIMEARG_FMT_LEN], b[TIMEARG_FMT_LEN];

	if (c->idle.n == 0)
		return;
	if (c->o.report != NULL) {
		timearg_format(c->idle.from, a, sizeof(a));
		timearg_format(c->idle.to, b, sizeof(b));
		if (c->idle.last_seq != c->idle.seq)
			fprintf(c->o.report, "gap: seq %llu-%llu from=%s to=%s reason=%s (%u signed gaps)\n",
			    (unsigned long long)c->idle.seq, (unsigned long long)c->idle.last_seq, a, b,
			    gap_reason_str(GAP_MOTION_IDLE), c->idle.n);
		else
			fprintf(c->o.report, "gap: seq %llu from=%s to=%s reason=%s\n",
			    (unsigned long long)c->idle.seq, a, b, gap_reason_str(GAP_MOTION_IDLE));
	}
	c->idle.n = 0;
}

/* Note a pending pause, if any. */
static void
paused_flush(struct clip *c)
{
	char a[TIMEARG_FMT_LEN];

	if (!c->paused.on)
		return;
	c->paused.on = 0;
	if (c->o.report == NULL)
		return;
	timearg_format(c->paused.at, a, sizeof(a));
	fprintf(c->o.report, "note: recording paused after segment seq %llu at %s "
	    "(camera records on motion only, nothing moved)\n", (unsigned long long)c->paused.seq, a);
}

/* Write the verified link's frames that fall in range. */
static int
emit(struct clip *c, const struct link_info *li)
{
	struct cur cu;
	uint64_t w;
	uint32_t n;
	const uint8_t *body;
	int64_t wall;
	uint64_t frames = 0;
	int started = 0, newp;

	if (!c->p.have_init)
		return SEG_OK;
	if (li->end_us <= c->o.from_us && li->end_us > li->start_us)
		return SEG_OK;	/* ends before the range */
	cur_init(&cu, c->p.media.data, c->p.media.len);
	while (cu.left > 0) {
		cur_get_u64(&cu, &w);
		cur_get_u32(&cu, &n);
		if (cur_ref(&cu, &body, n) != 0)
			return SEG_E_FORMAT;
		wall = (int64_t)w;
		/* The clip starts at the keyframe of the segment that holds from (so it
		 * decodes), and ends with the last frame before to. */
		if (wall >= c->o.to_us)
			break;
		if (c->o.out != NULL) {
			if (!started) {
				if (mp4out_init(c->o.out, c->p.codec, c->p.init.data, c->p.init.len,
				    &newp) != 0)
					return CLIP_E_IO;
				if (newp && mp4out_nparts(c->o.out) > 1 && c->o.report != NULL)
					fprintf(c->o.report, "note: the stream changed (codec %s) at "
					    "seq %llu: continuing in %s\n", c->p.codec,
					    (unsigned long long)li->seq,
					    mp4out_part(c->o.out, mp4out_nparts(c->o.out) - 1));
			}
			if (mp4out_media(c->o.out, body, n) != 0)
				return CLIP_E_IO;
		}
		started = 1;
		frames++;
		if (c->st.first_us == 0)
			c->st.first_us = wall;
		c->st.last_us = wall;
	}
	if (frames > 0)
		c->st.segments++;
	c->st.frames += frames;
	return SEG_OK;
}

int
clip_link(struct clip *c, const uint8_t *data, size_t len)
{
	struct link_info li;
	uint8_t cam[CAMERA_ID_LEN], gw[GATEWAY_ID_LEN];
	const uint8_t *pin;
	uint8_t stream;
	uint64_t seq;
	char a[TIMEARG_FMT_LEN], b[TIMEARG_FMT_LEN];
	int err;

	if (c->err != 0)
		return c->err;
	buf_reset(&c->p.init);
	buf_reset(&c->p.media);
	c->p.have_init = 0;
	err = peek_link(data, len, cam, &stream, &seq, gw);
	if (err != SEG_OK)
		return clip_fail(c, err, c->chain.started ? c->chain.next_seq : 0);
	c->err_seq = seq;
	if (memcmp(cam, c->o.cam->id, CAMERA_ID_LEN) != 0 || stream != c->o.stream)
		return clip_fail(c, SEG_E_CAMERA, seq);
	/* Verify against a pinned key only, never one the link names: a link signed by a key
	 * that is not pinned, or not allowed for this camera (a gateway certified for another
	 * site), is refused before anything is opened. */
	if (!keysfile_camera_gateway_ok(c->o.keys, c->o.cam, gw))
		return clip_fail(c, SEG_E_GATEWAY, seq);
	pin = gw;
	err = seg_open_link(data, len, pin, keysfile_seg_key, (void *)c->o.keys, on_chunk, &c->p,
	    &li);
	if (err == SEG_E_CALLBACK)
		err = SEG_E_NOMEM;
	if (err != SEG_OK)
		return clip_fail(c, err, seq);
	err = chain_check(&c->chain, &li);
	if (err != SEG_OK)
		return clip_fail(c, err, li.seq);
	c->st.links++;
	if (li.is_gap)
		paused_flush(c);
	else
		c->paused.on = 0;
	if (li.is_gap && li.gap_reason == GAP_MOTION_IDLE && li.last_seq == li.seq) {
		c->st.gaps++;
		if (c->idle.n > 0 && c->idle.to != li.start_us)
			idle_flush(c);
		if (c->idle.n++ == 0) {
			c->idle.seq = li.seq;
			c->idle.from = li.start_us;
		}
		c->idle.last_seq = li.seq;
		c->idle.to = li.end_us;
		return SEG_OK;
	}
	idle_flush(c);
	if (li.is_gap) {
		c->st.gaps++;
		if (c->o.report != NULL) {
			timearg_format(li.start_us, a, sizeof(a));
			timearg_format(li.end_us, b, sizeof(b));
			if (li.last_seq != li.seq)
				fprintf(c->o.report, "gap: seq %llu-%llu from=%s to=%s reason=%s\n",
				    (unsigned long long)li.seq, (unsigned long long)li.last_seq,
				    a, b, gap_reason_str(li.gap_reason));
			else
				fprintf(c->o.report, "gap: seq %llu from=%s to=%s reason=%s\n",
				    (unsigned long long)li.seq, a, b, gap_reason_str(li.gap_reason));
		}
		return SEG_OK;
	}
	if (li.truncated) {
		c->st.truncated++;
		if (c->o.report != NULL) {
			timearg_format(li.start_us, a, sizeof(a));
			fprintf(c->o.report, "note: segment seq %llu at %s was cut short by a "
			    "gateway restart (%u chunks, signed as truncated)\n",
			    (unsigned long long)li.seq, a, li.nchunks);
		}
	}
	if (li.paused) {
		c->paused.on = 1;
		c->paused.seq = li.seq;
		c->paused.at = li.end_us;
	}
	err = emit(c, &li);
	if (err != SEG_OK)
		return clip_fail(c, err, li.seq);
	return SEG_OK;
}

int
clip_fail(struct clip *c, int err, uint64_t seq)
{
	if (c->err == 0) {
		c->err = err;
		c->err_seq = seq;
	}
	return c->err;
}

int
clip_finish(struct clip *c)
{
	if (c->err != 0)
		return c->err;
	idle_flush(c);
	paused_flush(c);
	if (c->o.out != NULL && mp4out_finish(c->o.out) != 0)
		return clip_fail(c, CLIP_E_IO, c->err_seq);
	c->finished = 1;
	return SEG_OK;
}

uint64_t
clip_err_seq(const struct clip *c)
{
	return c->err_seq;
}

const struct clip_stats *
clip_stats(const struct clip *c)
{
	return &c->st;
}
