/* cmaf.c - CMAF remuxing on libavformat's mp4 muxer: custom AVIO into a bounded buffer, one fragment per frame. */
#include "gateway/cmaf.h"

#include <stdlib.h>
#include <string.h>
#include <libavformat/avformat.h>
#include <libavutil/opt.h>
#include <sodium.h>

#include "common/buf.h"
#include "common/record.h"
#include "common/util.h"

/* A fragment must fit in one CHUNK record with its plaintext header and AEAD tag. */
#define CMAF_FRAG_MAX (RECORD_MAX_PAYLOAD - 64u)
#define CMAF_INIT_MAX (1024u * 1024u)
#define CMAF_IOBUF 65536
#define CMAF_DEFAULT_DUR 3600 /* 25 fps in 90 kHz ticks, when nothing better is known */

struct cmaf {
	AVCodecParameters *par;
	AVRational tb;
	AVFormatContext *oc;
	AVStream *st;
	AVPacket *pkt;        /* reused for every frame */
	struct buf out;       /* the muxer's output since the last flush */
	struct buf init;      /* ftyp+moov */
	int started;
	int failed;
	int64_t base;         /* 90 kHz dts given to the first frame */
	int64_t first_in;     /* first input dts, in 90 kHz, AV_NOPTS_VALUE until known */
	int64_t last_dts;     /* last output dts, 90 kHz */
	int64_t last_dur;     /* last frame duration, 90 kHz */
	int64_t next_dts;
	int64_t rate_dur;     /* duration from the stream's frame rate, 0 if unknown */
	char codec[64];
};

#if LIBAVFORMAT_VERSION_MAJOR >= 61
static int cmaf_write(void *opaque, const uint8_t *p, int n)
#else
static int cmaf_write(void *opaque, uint8_t *p, int n)
#endif
{
	struct cmaf *c = opaque;

	if (n < 0 || buf_put(&c->out, p, (size_t)n) != 0) {
		c->failed = 1;
		return AVERROR(ENOSPC);
	}
	return n;
}

/* Find the next start code at or after p; returns its position (end when none) and the
 * start code's length in *sc. */
static const uint8_t *annexb_next(const uint8_t *p, const uint8_t *end, size_t *sc)
{
	while (end - p >= 3) {
		if (p[0] == 0 && p[1] == 0 && p[2] == 1) {
			*sc = 3;
			return p;
		}
		if (end - p >= 4 && p[0] == 0 && p[1] == 0 && p[2] == 0 && p[3] == 1) {
			*sc = 4;
			return p;
		}
		p++;
	}
	*sc = 0;
	return end;
}

/* Call fn for each NAL unit of an Annex-B buffer (without start code, trailing zeros kept
 * out). Stops and returns fn's nonzero result. */
typedef int (*nal_fn)(void *ctx, const uint8_t *nal, size_t n);
static int annexb_each(const uint8_t *p, size_t len, nal_fn fn, void *ctx)
{
	const uint8_t *end = p + len, *s, *e;
	size_t sc, sc2;
	int r;

	s = annexb_next(p, end, &sc);
	while (s < end) {
		s += sc;
		e = annexb_next(s, end, &sc2);
		const uint8_t *t = e;
		while (t > s && t[-1] == 0)
			t--;
		if (t > s && (r = fn(ctx, s, (size_t)(t - s))) != 0)
			return r;
		s = e;
		sc = sc2;
	}
	return 0;
}

static int nal_type(enum AVCodecID id, const uint8_t *nal)
{
	return id == AV_CODEC_ID_HEVC ? (nal[0] >> 1) & 0x3f : nal[0] & 0x1f;
}

static int is_param_set(enum AVCodecID id, int t)
{
	if (id == AV_CODEC_ID_HEVC)
		return t == 32 || t == 33 || t == 34; /* VPS, SPS, PPS */
	return t == 7 || t == 8;                      /* SPS, PPS */
}

struct ps_ctx {
	enum AVCodecID id;
	struct buf *b;
	int nsps;
	int failed;
};

static int ps_collect(void *ctx, const uint8_t *nal, size_t n)
{
	static const uint8_t sc[4] = { 0, 0, 0, 1 };
	struct ps_ctx *x = ctx;
	int t = nal_type(x->id, nal);

	if (n < 2 || !is_param_set(x->id, t))
		return 0;
	if ((x->id == AV_CODEC_ID_HEVC && t == 33) || (x->id != AV_CODEC_ID_HEVC && t == 7))
		x->nsps++;
	if (buf_put(x->b, sc, sizeof(sc)) != 0 || buf_put(x->b, nal, n) != 0)
		x->failed = 1;
	return 0;
}

/* Replace missing extradata with the parameter sets carried in-band by a keyframe. */
static int cmaf_extradata_from(struct cmaf *c, const AVPacket *pkt)
{
	struct buf b;
	struct ps_ctx x = { .id = c->par->codec_id, .b = &b };
	int ret = CMAF_E_NOINIT;

	buf_init(&b, 64 * 1024);
	annexb_each(pkt->data, (size_t)pkt->size, ps_collect, &x);
	if (x.failed) {
		ret = CMAF_E_TOOBIG;
		goto out;
	}
	if (x.nsps == 0)
		goto out;
	uint8_t *ed = av_mallocz(b.len + AV_INPUT_BUFFER_PADDING_SIZE);
	if (ed == NULL) {
		ret = CMAF_E_NOMEM;
		goto out;
	}
	memcpy(ed, b.data, b.len);
	av_freep(&c->par->extradata);
	c->par->extradata = ed;
	c->par->extradata_size = (int)b.len;
	ret = 0;
out:
	buf_free(&b);
	return ret;
}

/* Remove emulation prevention bytes from the first n bytes of a NAL into out. */
static size_t nal_unescape(const uint8_t *p, size_t n, uint8_t *out, size_t outlen)
{
	size_t i, o = 0;
	int zeros = 0;

	for (i = 0; i < n && o < outlen; i++) {
		if (zeros >= 2 && p[i] == 3) {
			zeros = 0;
			continue;
		}
		zeros = p[i] == 0 ? zeros + 1 : 0;
		out[o++] = p[i];
	}
	return o;
}

struct sps_find {
	enum AVCodecID id;
	const uint8_t *nal;
	size_t n;
};

static int sps_match(void *ctx, const uint8_t *nal, size_t n)
{
	struct sps_find *f = ctx;
	int t = nal_type(f->id, nal);

	if ((f->id == AV_CODEC_ID_HEVC && t == 33) || (f->id != AV_CODEC_ID_HEVC && t == 7)) {
		f->nal = nal;
		f->n = n;
		return 1;
	}
	return 0;
}

static uint32_t reverse_bits32(uint32_t v)
{
	uint32_t r = 0;
	int i;

	for (i = 0; i < 32; i++) {
		r = (r << 1) | (v & 1);
		v >>= 1;
	}
	return r;
}

/* ptl points at general_profile_space..general_level_idc (12 bytes). */
static int hevc_codec_string(const uint8_t ptl[12], char *out, size_t outlen)
{
	static const char *space[4] = { "", "A", "B", "C" };
	uint32_t compat = ((uint32_t)ptl[1] << 24) | ((uint32_t)ptl[2] << 16) |
	    ((uint32_t)ptl[3] << 8) | ptl[4];
	int last = 5, i, w;
	size_t o;

	for (i = 10; i >= 5; i--)
		if (ptl[i] != 0) {
			last = i + 1;
			break;
		}
	w = snprintf(out, outlen, "hvc1.%s%u.%X.%c%u", space[ptl[0] >> 6], ptl[0] & 0x1f,
	    reverse_bits32(compat), (ptl[0] & 0x20) ? 'H' : 'L', ptl[11]);
	if (w < 0 || (size_t)w >= outlen)
		return -1;
	o = (size_t)w;
	for (i = 5; i < last; i++) {
		w = snprintf(out + o, outlen - o, ".%02X", ptl[i]);
		if (w < 0 || (size_t)w >= outlen - o)
			return -1;
		o += (size_t)w;
	}
	return 0;
}

int cmaf_codec_string(enum AVCodecID id, const uint8_t *ed, size_t n, char *out, size_t outlen)
{
	struct sps_find f = { .id = id };
	uint8_t raw[16];
	size_t rn;
	int w;

	if (outlen == 0)
		return -1;
	out[0] = '\0';
	if (ed == NULL || n == 0)
		return -1;
	if (id == AV_CODEC_ID_H264) {
		if (ed[0] == 1) {
			if (n < 4)
				return -1;
			w = snprintf(out, outlen, "avc1.%02x%02x%02x", ed[1], ed[2], ed[3]);
		} else {
			annexb_each(ed, n, sps_match, &f);
			if (f.nal == NULL || f.n < 4)
				return -1;
			rn = nal_unescape(f.nal + 1, f.n - 1, raw, 3);
			if (rn < 3)
				return -1;
			w = snprintf(out, outlen, "avc1.%02x%02x%02x", raw[0], raw[1], raw[2]);
		}
		return (w < 0 || (size_t)w >= outlen) ? -1 : 0;
	}
	if (id == AV_CODEC_ID_HEVC) {
		if (ed[0] == 1) {
			if (n < 13)
				return -1;
			return hevc_codec_string(ed + 1, out, outlen);
		}
		annexb_each(ed, n, sps_match, &f);
		if (f.nal == NULL || f.n < 3)
			return -1;
		/* After the 2-byte NAL header: one byte of sps_video_parameter_set_id,
		 * max_sub_layers_minus1 and temporal_id_nesting, then profile_tier_level. */
		rn = nal_unescape(f.nal + 2, f.n - 2, raw, 13);
		if (rn < 13)
			return -1;
		return hevc_codec_string(raw + 1, out, outlen);
	}
	return -1;
}

int cmaf_new(struct cmaf **out, const AVCodecParameters *par, AVRational tb, AVRational rate,
    int64_t base)
{
	struct cmaf *c = NULL;
	int ret = CMAF_E_NOMEM;

	*out = NULL;
	if (par == NULL || par->codec_type != AVMEDIA_TYPE_VIDEO || tb.num <= 0 || tb.den <= 0 ||
	    base < 0 || (par->codec_id != AV_CODEC_ID_H264 && par->codec_id != AV_CODEC_ID_HEVC))
		return CMAF_E_INVAL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		goto out;
	buf_init(&c->out, CMAF_FRAG_MAX);
	buf_init(&c->init, CMAF_INIT_MAX);
	if ((c->par = avcodec_parameters_alloc()) == NULL || (c->pkt = av_packet_alloc()) == NULL)
		goto out;
	if (avcodec_parameters_copy(c->par, par) < 0)
		goto out;
	/* Pre-size the output buffer so that typical frames never reallocate it. */
	if (buf_reserve(&c->out, 256 * 1024) != 0)
		goto out;
	c->tb = tb;
	if (rate.num > 0 && rate.den > 0 && av_q2d(rate) >= 1.0 && av_q2d(rate) <= 240.0)
		c->rate_dur = av_rescale_q(1, av_inv_q(rate), (AVRational){ 1, CMAF_TIMESCALE });
	c->base = base;
	c->next_dts = base;
	c->first_in = AV_NOPTS_VALUE;
	c->last_dts = AV_NOPTS_VALUE;
	c->last_dur = 0;
	*out = c;
	c = NULL;
	ret = 0;
out:
	cmaf_free(c);
	return ret;
}

/* Free the muxer's AVIO context and its write buffer, wiped first: every plaintext
 * fragment passes through that buffer. (The muxer's own buffers are libav's and are freed
 * unwiped, docs/design/gateway.md.) NULL-safe, also for a context never allocated. */
static void cmaf_pb_free(AVIOContext **pb)
{
	if (*pb == NULL)
		return;
	/* buffer and buffer_size, not the block first handed over: libav may have replaced
	 * it with one of another size. */
	if ((*pb)->buffer != NULL && (*pb)->buffer_size > 0)
		sodium_memzero((*pb)->buffer, (size_t)(*pb)->buffer_size);
	av_freep(&(*pb)->buffer);
	avio_context_free(pb);
}

void cmaf_free(struct cmaf *c)
{
	if (c == NULL)
		return;
	if (c->oc != NULL) {
		cmaf_pb_free(&c->oc->pb);
		avformat_free_context(c->oc);
	}
	avcodec_parameters_free(&c->par);
	av_packet_free(&c->pkt);
	buf_free(&c->out);
	buf_free(&c->init);
	free(c);
}

static int cmaf_start(struct cmaf *c, const AVPacket *pkt)
{
	const AVOutputFormat *fmt;
	AVDictionary *opts = NULL;
	uint8_t *iobuf = NULL;
	int ret = CMAF_E_MUX, r;

	if (c->par->extradata_size <= 0 && (ret = cmaf_extradata_from(c, pkt)) != 0)
		return ret;
	if (cmaf_codec_string(c->par->codec_id, c->par->extradata,
	    (size_t)c->par->extradata_size, c->codec, sizeof(c->codec)) != 0) {
		/* Extradata without a parseable SPS: try the keyframe itself. */
		if (cmaf_codec_string(c->par->codec_id, pkt->data, (size_t)pkt->size,
		    c->codec, sizeof(c->codec)) != 0)
			return CMAF_E_NOINIT;
	}
	if ((fmt = av_guess_format("mp4", NULL, NULL)) == NULL)
		return CMAF_E_MUX;
	if (avformat_alloc_output_context2(&c->oc, fmt, NULL, NULL) < 0 || c->oc == NULL)
		return CMAF_E_NOMEM;
	if ((iobuf = av_malloc(CMAF_IOBUF)) == NULL)
		return CMAF_E_NOMEM;
	c->oc->pb = avio_alloc_context(iobuf, CMAF_IOBUF, 1, c, NULL, cmaf_write, NULL);
	if (c->oc->pb == NULL) {
		av_free(iobuf);
		return CMAF_E_NOMEM;
	}
	c->oc->flags |= AVFMT_FLAG_CUSTOM_IO;
	/* Our timestamps are already non-negative; never let the muxer shift them. */
	c->oc->avoid_negative_ts = AVFMT_AVOID_NEG_TS_MAKE_NON_NEGATIVE;
	if ((c->st = avformat_new_stream(c->oc, NULL)) == NULL)
		return CMAF_E_NOMEM;
	if (avcodec_parameters_copy(c->st->codecpar, c->par) < 0)
		return CMAF_E_NOMEM;
	c->st->codecpar->codec_tag = c->par->codec_id == AV_CODEC_ID_HEVC ?
	    MKTAG('h', 'v', 'c', '1') : 0;
	c->st->time_base = (AVRational){ 1, CMAF_TIMESCALE };
	/* frag_custom: we decide when a fragment ends (after every frame). empty_moov: the
	 * init chunk holds no samples, so it is identical for every segment. frag_discont
	 * with no edit list: tfdt starts at the first packet's dts instead of 0, so media
	 * time continues across segments and sessions. */
	av_dict_set(&opts, "movflags",
	    "frag_custom+empty_moov+default_base_moof+skip_trailer+frag_discont", 0);
	av_dict_set(&opts, "use_editlist", "0", 0);
	av_dict_set(&opts, "video_track_timescale", "90000", 0);
	buf_reset(&c->out);
	r = avformat_write_header(c->oc, &opts);
	av_dict_free(&opts);
	if (r < 0) {
		log_err("cmaf", "event=write_header_failed err=%d", r);
		return CMAF_E_MUX;
	}
	avio_flush(c->oc->pb);
	if (c->failed || buf_put(&c->init, c->out.data, c->out.len) != 0)
		return CMAF_E_TOOBIG;
	buf_reset(&c->out);
	c->started = 1;
	ret = 0;
	return ret;
}

int cmaf_frame(struct cmaf *c, const AVPacket *pkt, const uint8_t **frag, size_t *len)
{
	const AVRational k90 = { 1, CMAF_TIMESCALE };
	int64_t dts, pts, dur;
	int r, ret = CMAF_E_MUX;

	*frag = NULL;
	*len = 0;
	if (c == NULL || pkt == NULL || pkt->data == NULL || pkt->size <= 0)
		return CMAF_E_INVAL;
	if (c->failed)
		return CMAF_E_MUX;
	if (!c->started && (r = cmaf_start(c, pkt)) != 0) {
		if (c->oc != NULL) {
			/* Leave no half-built muxer behind: a later keyframe may succeed. (pb is
			 * NULL when its allocation failed.) */
			cmaf_pb_free(&c->oc->pb);
			avformat_free_context(c->oc);
			c->oc = NULL;
			buf_reset(&c->init);
		}
		return r;
	}

	/* Media time: the camera's clock, rebased so the session starts at base. */
	dts = pkt->dts != AV_NOPTS_VALUE ? pkt->dts : pkt->pts;
	if (dts != AV_NOPTS_VALUE)
		dts = av_rescale_q(dts, c->tb, k90);
	if (c->first_in == AV_NOPTS_VALUE && dts != AV_NOPTS_VALUE)
		c->first_in = dts;
	if (dts == AV_NOPTS_VALUE)
		dts = c->next_dts;
	else
		dts = dts - c->first_in + c->base;
	pts = pkt->pts != AV_NOPTS_VALUE ?
	    av_rescale_q(pkt->pts, c->tb, k90) - c->first_in + c->base : dts;
	if (c->last_dts != AV_NOPTS_VALUE && dts <= c->last_dts) {
		/* A camera whose clock stepped back: keep decode order strictly increasing. */
		dts = c->last_dts + 1;
	}
	if (pts < dts)
		pts = dts;
	/* The next frame is not known yet: the duration is the previous frame's spacing,
	 * or what the packet or frame rate says. */
	if (pkt->duration > 0)
		dur = av_rescale_q(pkt->duration, c->tb, k90);
	else if (c->last_dts != AV_NOPTS_VALUE && dts - c->last_dts > 0)
		dur = dts - c->last_dts;
	else if (c->rate_dur > 0)
		dur = c->rate_dur;
	else
		dur = CMAF_DEFAULT_DUR;
	if (dur <= 0)
		dur = CMAF_DEFAULT_DUR;

	if (av_packet_ref(c->pkt, pkt) < 0)
		return CMAF_E_NOMEM;
	c->pkt->stream_index = 0;
	c->pkt->dts = av_rescale_q(dts, k90, c->st->time_base);
	c->pkt->pts = av_rescale_q(pts, k90, c->st->time_base);
	c->pkt->duration = av_rescale_q(dur, k90, c->st->time_base);
	c->pkt->pos = -1;
	buf_reset(&c->out);
	r = av_write_frame(c->oc, c->pkt);
	av_packet_unref(c->pkt);
	if (r < 0)
		goto out;
	if (av_write_frame(c->oc, NULL) < 0)
		goto out;
	avio_flush(c->oc->pb);
	if (c->failed) {
		ret = CMAF_E_TOOBIG;
		goto out;
	}
	c->last_dts = dts;
	c->last_dur = dur;
	c->next_dts = dts + dur;
	*frag = c->out.data;
	*len = c->out.len;
	ret = 0;
out:
	return ret;
}

int cmaf_init(const struct cmaf *c, const uint8_t **init, size_t *len)
{
	if (c == NULL || !c->started)
		return CMAF_E_NOINIT;
	*init = c->init.data;
	*len = c->init.len;
	return 0;
}

const char *cmaf_codec(const struct cmaf *c)
{
	return c->codec;
}

int64_t cmaf_next_dts(const struct cmaf *c)
{
	return c->next_dts;
}

int64_t cmaf_last_dts(const struct cmaf *c)
{
	return c->last_dts == AV_NOPTS_VALUE ? c->base : c->last_dts;
}

int64_t cmaf_last_duration_us(const struct cmaf *c)
{
	if (c->last_dur <= 0)
		return 40000;
	return av_rescale(c->last_dur, 1000000, CMAF_TIMESCALE);
}
