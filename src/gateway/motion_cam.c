/* motion_cam.c - per-camera detection glue: libavcodec decoding, the detector, the peak thumbnail and its JPEG encoding. */
#include "gateway/motion_cam.h"

#include <stdlib.h>
#include <string.h>
#include <libavutil/frame.h>
#include <libavutil/imgutils.h>
#include <sodium.h>

#include "common/util.h"

#define LABEL_MAX 80

struct motion_cam {
	char label[LABEL_MAX];
	struct motion_det *det;
	motion_report_fn fn;
	void *ctx;
	AVCodecContext *dec;
	enum AVCodecID dec_id;
	int dec_w, dec_h, dec_extra;
	AVFrame *frame;
	AVFrame *thumb;            /* the open event's peak picture, scaled down */
	AVCodecContext *jpg;
	AVPacket *jpkt;
	int64_t jpts;              /* pts of the next thumbnail: one per encoding */
	uint64_t frames, errors;
	int64_t last_seen;         /* receipt time of the last packet or frame, decoded or not */
};

int motion_cam_new(struct motion_cam **out, const char *label, const struct motion_params *p,
    motion_report_fn fn, void *ctx)
{
	struct motion_cam *mc;

	*out = NULL;
	if ((mc = calloc(1, sizeof(*mc))) == NULL)
		return -1;
	snprintf(mc->label, sizeof(mc->label), "%s", label != NULL ? label : "camera");
	mc->fn = fn;
	mc->ctx = ctx;
	if (motion_det_new(&mc->det, p) != 0 || (mc->frame = av_frame_alloc()) == NULL ||
	    (mc->thumb = av_frame_alloc()) == NULL || (mc->jpkt = av_packet_alloc()) == NULL) {
		motion_cam_free(mc);
		return -1;
	}
	*out = mc;
	return 0;
}

/*
 * Pictures of the scene are plaintext video, which the gateway wipes before freeing
 * (docs/design/gateway.md). Wiped here: what this file owns, the thumbnail picture it
 * allocates and the JPEG packet handed to it. Not wiped, because libav owns them and gives
 * no hook: the decoder's frame pool (mc->frame's buffers go back to it on unref and are
 * freed by avcodec_free_context), and the encoders' and decoders' internal buffers.
 */

/* Wipe a buffer before its reference is dropped, if that reference is its only one: a
 * buffer another holder still reads (or one marked read-only) is left alone. */
static void wipe_buf(AVBufferRef *b)
{
	if (b != NULL && av_buffer_is_writable(b))
		sodium_memzero(b->data, b->size);
}

/* Drop the kept thumbnail picture, wiped. */
static void thumb_drop(struct motion_cam *mc)
{
	int i;

	if (mc->thumb == NULL)
		return;
	for (i = 0; i < AV_NUM_DATA_POINTERS; i++)
		wipe_buf(mc->thumb->buf[i]);
	av_frame_unref(mc->thumb);
}

/* Drop the thumbnail's JPEG, wiped. */
static void jpeg_drop(struct motion_cam *mc)
{
	if (mc->jpkt == NULL)
		return;
	wipe_buf(mc->jpkt->buf);
	av_packet_unref(mc->jpkt);
}

static void dec_close(struct motion_cam *mc)
{
	avcodec_free_context(&mc->dec);
	mc->dec_id = AV_CODEC_ID_NONE;
}

/* (Re)open the decoder when the stream's codec or size changed. 0 or -1. */
static int dec_ensure(struct motion_cam *mc, const AVCodecParameters *par)
{
	const AVCodec *codec;

	if (mc->dec != NULL && mc->dec_id == par->codec_id && mc->dec_w == par->width &&
	    mc->dec_h == par->height && mc->dec_extra == par->extradata_size)
		return 0;
	dec_close(mc);
	if ((codec = avcodec_find_decoder(par->codec_id)) == NULL)
		return -1;
	if ((mc->dec = avcodec_alloc_context3(codec)) == NULL)
		return -1;
	if (avcodec_parameters_to_context(mc->dec, par) < 0)
		goto fail;
	/* One thread and no reordering delay: the picture of a packet comes out with it, so
	 * its receipt time is the packet's. */
	mc->dec->thread_count = 1;
	mc->dec->flags |= AV_CODEC_FLAG_LOW_DELAY;
	/* Detection looks at 10x10-pixel block averages: the deblocking filter and exact
	 * rounding change nothing it sees, and skipping them saves a good part of decoding. */
	mc->dec->skip_loop_filter = AVDISCARD_ALL;
	mc->dec->flags2 |= AV_CODEC_FLAG2_FAST;
	if (avcodec_open2(mc->dec, codec, NULL) < 0)
		goto fail;
	mc->dec_id = par->codec_id;
	mc->dec_w = par->width;
	mc->dec_h = par->height;
	mc->dec_extra = par->extradata_size;
	return 0;
fail:
	avcodec_free_context(&mc->dec);
	return -1;
}

static int is_yuv420(int fmt)
{
	return fmt == AV_PIX_FMT_YUV420P || fmt == AV_PIX_FMT_YUVJ420P;
}

/* Keep f, scaled down by point sampling to at most MOTION_THUMB_W wide, as the peak. */
static void thumb_keep(struct motion_cam *mc, const AVFrame *f)
{
	int tw, th, p, x, y;

	if (!is_yuv420(f->format) || f->width < 16 || f->height < 16)
		return;
	tw = f->width < MOTION_THUMB_W ? f->width : MOTION_THUMB_W;
	th = (int)((int64_t)f->height * tw / f->width);
	tw &= ~1;
	th &= ~1;
	if (mc->thumb->width != tw || mc->thumb->height != th) {
		thumb_drop(mc);
		mc->thumb->format = AV_PIX_FMT_YUVJ420P;
		mc->thumb->width = tw;
		mc->thumb->height = th;
		if (av_frame_get_buffer(mc->thumb, 0) < 0) {
			thumb_drop(mc);
			return;
		}
	}
	if (av_frame_make_writable(mc->thumb) < 0)
		return;
	for (p = 0; p < 3; p++) {
		int sw = p ? (f->width + 1) / 2 : f->width, sh = p ? (f->height + 1) / 2 : f->height;
		int dw = p ? tw / 2 : tw, dh = p ? th / 2 : th;
		for (y = 0; y < dh; y++) {
			const uint8_t *src = f->data[p] + (size_t)((int64_t)y * sh / dh) * (size_t)f->linesize[p];
			uint8_t *dst = mc->thumb->data[p] + (size_t)y * (size_t)mc->thumb->linesize[p];
			for (x = 0; x < dw; x++)
				dst[x] = src[(int64_t)x * sw / dw];
		}
	}
}

/* Encode the kept thumbnail as JPEG into mc->jpkt. 0 or -1. */
static int thumb_jpeg(struct motion_cam *mc)
{
	const AVCodec *codec;
	int rc;

	if (mc->thumb->width == 0)
		return -1;
	if (mc->jpg != NULL && (mc->jpg->width != mc->thumb->width ||
	    mc->jpg->height != mc->thumb->height))
		avcodec_free_context(&mc->jpg);
	if (mc->jpg == NULL) {
		if ((codec = avcodec_find_encoder(AV_CODEC_ID_MJPEG)) == NULL ||
		    (mc->jpg = avcodec_alloc_context3(codec)) == NULL)
			return -1;
		mc->jpg->width = mc->thumb->width;
		mc->jpg->height = mc->thumb->height;
		mc->jpg->pix_fmt = AV_PIX_FMT_YUVJ420P;
		mc->jpg->time_base = (AVRational){ 1, 25 };
		mc->jpg->flags |= AV_CODEC_FLAG_QSCALE | AV_CODEC_FLAG_BITEXACT;
		/* A standard JFIF file (square pixels), without the encoder's comment. */
		mc->jpg->sample_aspect_ratio = (AVRational){ 1, 1 };
		mc->jpg->global_quality = 6 * FF_QP2LAMBDA;
		mc->jpg->thread_count = 1;
		if (avcodec_open2(mc->jpg, codec, NULL) < 0) {
			avcodec_free_context(&mc->jpg);
			return -1;
		}
	}
	mc->thumb->quality = mc->jpg->global_quality;
	/* Not the frame count: an event split at its longest length encodes two thumbnails on
	 * one frame, and the encoder refuses a pts it has had (EPERM). */
	mc->thumb->pts = mc->jpts++;
	jpeg_drop(mc);
	if (avcodec_send_frame(mc->jpg, mc->thumb) < 0)
		return -1;
	rc = avcodec_receive_packet(mc->jpg, mc->jpkt);
	if (rc < 0 || mc->jpkt->size <= 0 || (size_t)mc->jpkt->size > MOTION_THUMB_MAX) {
		jpeg_drop(mc);
		return -1;
	}
	return 0;
}

static void report(struct motion_cam *mc, enum motion_change ch, const struct motion_event *ev)
{
	struct motion_report r;

	memset(&r, 0, sizeof(r));
	r.change = ch;
	r.ev = *ev;
	if (thumb_jpeg(mc) == 0) {
		r.jpeg = mc->jpkt->data;
		r.jpeg_len = (size_t)mc->jpkt->size;
	}
	if (mc->fn != NULL)
		mc->fn(mc->ctx, &r);
	jpeg_drop(mc);
}

int motion_cam_frame(struct motion_cam *mc, const AVFrame *f, int64_t t_us)
{
	struct motion_step st;

	if (mc == NULL || f == NULL || f->data[0] == NULL)
		return -1;
	if (t_us > mc->last_seen)
		mc->last_seen = t_us;
	if (motion_det_feed(mc->det, f->data[0], f->width, f->height, f->linesize[0], t_us, &st) != 0)
		return -1;
	mc->frames++;
	if (st.change == MOTION_SPLIT) {
		/* The event reached its longest length: it ends with its own peak's thumbnail,
		 * and the next one starts on this frame with this frame's. */
		report(mc, MOTION_END, &st.ended);
		thumb_drop(mc);
		thumb_keep(mc, f);
		report(mc, MOTION_START, &st.ev);
		return 0;
	}
	if (st.change == MOTION_END) {
		report(mc, MOTION_END, &st.ev);
		thumb_drop(mc);
		return 0;
	}
	if (st.new_peak)
		thumb_keep(mc, f);
	if (st.change == MOTION_START)
		report(mc, MOTION_START, &st.ev);
	return 0;
}

int motion_cam_packet(struct motion_cam *mc, const AVCodecParameters *par, const AVPacket *pkt,
    int64_t t_us, int keyframes_only)
{
	int rc;

	if (mc == NULL || par == NULL || pkt == NULL)
		return -1;
	/* A packet that is not decoded (keyframes only) was still seen: an event flushed
	 * after it may last up to it. */
	if (t_us > mc->last_seen)
		mc->last_seen = t_us;
	if (keyframes_only && !(pkt->flags & AV_PKT_FLAG_KEY))
		return 0;
	if (dec_ensure(mc, par) != 0) {
		if (mc->errors++ == 0)
			log_warn("motion", "camera=%s event=decoder_unavailable codec=%s", mc->label,
			    avcodec_get_name(par->codec_id));
		return 0;
	}
	if (avcodec_send_packet(mc->dec, pkt) < 0) {
		if (mc->errors++ % 1000 == 0)
			log_warn("motion", "camera=%s event=decode_error count=%llu", mc->label,
			    (unsigned long long)mc->errors);
		return 0;
	}
	for (;;) {
		rc = avcodec_receive_frame(mc->dec, mc->frame);
		if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF)
			break;
		if (rc < 0) {
			mc->errors++;
			break;
		}
		motion_cam_frame(mc, mc->frame, t_us);
		/* Back to the decoder's pool, unwiped: libav's (see thumb_drop). */
		av_frame_unref(mc->frame);
	}
	return 0;
}

void motion_cam_flush(struct motion_cam *mc)
{
	struct motion_event ev;

	if (mc == NULL)
		return;
	if (motion_det_flush(mc->det, mc->last_seen, &ev) == 1) {
		report(mc, MOTION_END, &ev);
		thumb_drop(mc);
	}
	/* The next session's packets do not follow this one's reference pictures (and may be
	 * another codec or size): they get a new decoder. */
	dec_close(mc);
}

const char *motion_cam_zone_name(const struct motion_cam *mc, unsigned i)
{
	return motion_det_zone_name(mc->det, i);
}

uint64_t motion_cam_frames(const struct motion_cam *mc)
{
	return mc->frames;
}

void motion_cam_free(struct motion_cam *mc)
{
	if (mc == NULL)
		return;
	dec_close(mc);
	avcodec_free_context(&mc->jpg);
	jpeg_drop(mc);
	av_packet_free(&mc->jpkt);
	av_frame_free(&mc->frame);
	thumb_drop(mc);
	av_frame_free(&mc->thumb);
	motion_det_free(mc->det);
	free(mc);
}
