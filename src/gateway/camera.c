/* camera.c - RTSP input over libavformat with interrupt-driven open and read timeouts. */
#include "gateway/camera.h"

#include <stdlib.h>
#include <string.h>
#include <libavformat/avformat.h>

#include "common/util.h"
#include "gateway/rtspread.h"

struct camera {
	AVFormatContext *ic;
	int vidx;
	atomic_int *stop;
	int64_t deadline;   /* mono_us after which blocking I/O is interrupted */
	int timed_out;      /* the interrupt fired because of the deadline */
	char label[80];
	struct rtspread *rr;   /* read-ahead of the session socket (see rtspread.h) */
	void (*idle)(void *, int64_t);  /* camera_set_idle's hook, called while reading */
	void *idle_arg;
	int reading;           /* inside camera_read: the hook may run */
};

/* libavformat polls this during blocking I/O: nonzero aborts the call. */
static int camera_interrupt(void *opaque)
{
	struct camera *c = opaque;
	int64_t now;

	if (c->stop != NULL && atomic_load(c->stop))
		return 1;
	now = mono_us();
	if (c->reading && c->idle != NULL)
		c->idle(c->idle_arg, now);
	if (now > c->deadline) {
		c->timed_out = 1;
		return 1;
	}
	return 0;
}

int camera_open(struct camera **out, const char *url, const char *label, atomic_int *stop)
{
	struct camera *c = NULL;
	AVDictionary *opts = NULL;
	unsigned i;
	int r, ret = CAMERA_E_NOMEM;

	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		goto out;
	c->stop = stop;
	c->vidx = -1;
	snprintf(c->label, sizeof(c->label), "%s", label != NULL ? label : "camera");
	if ((c->rr = rtspread_new()) == NULL || (c->ic = avformat_alloc_context()) == NULL)
		goto out;
	c->ic->interrupt_callback.callback = camera_interrupt;
	c->ic->interrupt_callback.opaque = c;
	/* Keep stream info probing short: one second or 1 MB is plenty for video. */
	c->ic->probesize = 1024 * 1024;
	c->ic->max_analyze_duration = AV_TIME_BASE;
	c->ic->flags |= AVFMT_FLAG_NOBUFFER;
	av_dict_set(&opts, "rtsp_transport", "tcp", 0);
	/* Socket-level I/O timeout in microseconds ("stimeout" before FFmpeg 5). */
	av_dict_set(&opts, "timeout", "5000000", 0);
	av_dict_set(&opts, "allowed_media_types", "video", 0);
	c->deadline = mono_us() + (int64_t)CAMERA_OPEN_TIMEOUT_MS * 1000;
	rtspread_enter(c->rr);
	r = avformat_open_input(&c->ic, url, NULL, &opts);
	rtspread_leave();
	av_dict_free(&opts);
	if (r < 0) {
		/* avformat_open_input frees the context on failure. */
		c->ic = NULL;
		ret = (stop != NULL && atomic_load(stop)) ? CAMERA_E_STOPPED : CAMERA_E_OPEN;
		char e[128];
		av_strerror(r, e, sizeof(e));
		log_warn("camera", "camera=%s event=open_failed err=\"%s\"", c->label, e);
		goto out;
	}
	c->deadline = mono_us() + (int64_t)CAMERA_OPEN_TIMEOUT_MS * 1000;
	c->timed_out = 0;
	rtspread_enter(c->rr);
	r = avformat_find_stream_info(c->ic, NULL);
	rtspread_leave();
	if (r < 0) {
		ret = (stop != NULL && atomic_load(stop)) ? CAMERA_E_STOPPED : CAMERA_E_OPEN;
		log_warn("camera", "camera=%s event=no_stream_info", c->label);
		goto out;
	}
	for (i = 0; i < c->ic->nb_streams; i++) {
		AVStream *st = c->ic->streams[i];
		if (st->codecpar->codec_type == AVMEDIA_TYPE_VIDEO && c->vidx < 0)
			c->vidx = (int)i;
		else
			st->discard = AVDISCARD_ALL;
	}
	if (c->vidx < 0) {
		ret = CAMERA_E_OPEN;
		log_warn("camera", "camera=%s event=no_video", c->label);
		goto out;
	}
	enum AVCodecID id = c->ic->streams[c->vidx]->codecpar->codec_id;
	if (id != AV_CODEC_ID_H264 && id != AV_CODEC_ID_HEVC) {
		ret = CAMERA_E_CODEC;
		log_warn("camera", "camera=%s event=unsupported_codec codec=%s", c->label,
		    avcodec_get_name(id));
		goto out;
	}
	c->timed_out = 0;
	log_info("camera", "camera=%s event=connected codec=%s width=%d height=%d", c->label,
	    avcodec_get_name(id), c->ic->streams[c->vidx]->codecpar->width,
	    c->ic->streams[c->vidx]->codecpar->height);
	*out = c;
	c = NULL;
	ret = 0;
out:
	camera_close(c);
	return ret;
}

int camera_read(struct camera *c, AVPacket *pkt)
{
	int r;

	if (c->timed_out)
		return CAMERA_E_EOF;
	for (;;) {
		c->deadline = mono_us() + (int64_t)CAMERA_READ_TIMEOUT_MS * 1000;
		rtspread_enter(c->rr);
		c->reading = 1;
		r = av_read_frame(c->ic, pkt);
		c->reading = 0;
		rtspread_leave();
		if (r >= 0 && c->timed_out) {
			/* An interrupted read makes libavformat flush its parser, which hands
			 * out the partial access unit it held: drop it, the session is over. */
			av_packet_unref(pkt);
			log_warn("camera", "camera=%s event=read_stalled ms=%d", c->label,
			    CAMERA_READ_TIMEOUT_MS);
			return CAMERA_E_EOF;
		}
		if (r < 0) {
			if (c->stop != NULL && atomic_load(c->stop))
				return CAMERA_E_STOPPED;
			if (r == AVERROR(ENOMEM))
				return CAMERA_E_NOMEM;
			char e[128];
			av_strerror(r, e, sizeof(e));
			log_warn("camera", "camera=%s event=read_ended err=\"%s\"", c->label, e);
			return CAMERA_E_EOF;
		}
		if (pkt->stream_index == c->vidx && pkt->size > 0)
			return 0;
		av_packet_unref(pkt);
	}
}

void camera_set_idle(struct camera *c, void (*fn)(void *arg, int64_t now), void *arg)
{
	c->idle = fn;
	c->idle_arg = arg;
}

const AVCodecParameters *camera_codecpar(const struct camera *c)
{
	return c->ic->streams[c->vidx]->codecpar;
}

AVRational camera_time_base(const struct camera *c)
{
	return c->ic->streams[c->vidx]->time_base;
}

AVRational camera_frame_rate(const struct camera *c)
{
	AVStream *st = c->ic->streams[c->vidx];

	if (st->avg_frame_rate.num > 0 && st->avg_frame_rate.den > 0)
		return st->avg_frame_rate;
	if (st->r_frame_rate.num > 0 && st->r_frame_rate.den > 0)
		return st->r_frame_rate;
	return (AVRational){ 0, 1 };
}

int camera_same_codec(const AVCodecParameters *a, const AVCodecParameters *b)
{
	if (a == NULL || b == NULL)
		return 0;
	if (a->codec_id != b->codec_id || a->width != b->width || a->height != b->height ||
	    a->extradata_size != b->extradata_size)
		return 0;
	return a->extradata_size == 0 ||
	    memcmp(a->extradata, b->extradata, (size_t)a->extradata_size) == 0;
}

void camera_close(struct camera *c)
{
	if (c == NULL)
		return;
	if (c->ic != NULL) {
		/* Closing sends TEARDOWN: bound it like any other I/O. */
		c->deadline = mono_us() + 1000000;
		rtspread_enter(c->rr);
		avformat_close_input(&c->ic);
		rtspread_leave();
	}
	rtspread_free(c->rr);
	free(c);
}
