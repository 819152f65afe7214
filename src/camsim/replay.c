/* Replay mode: an appsrc-fed RTSP media factory that loops a pre-encoded clip. */
#include "camsim/replay.h"

#include <gst/app/gstappsrc.h>

#include "camsim/log.h"

/* appsrc stops asking for data past this many queued bytes (about 2 s of 1080p). */
#define REPLAY_MAX_QUEUED_BYTES (2u * 1024u * 1024u)

/* What one factory needs to configure each media it makes. */
struct replay_cfg {
	struct annexb_clip *clip;
	unsigned fps;
	char camera[32];
};

/* The state of one media's appsrc; touched only from that appsrc's thread. */
struct feeder {
	struct annexb_clip *clip;
	unsigned fps;
	guint64 frame;		/* next frame index, never reset */
	char camera[32];
};

static void
feeder_free(gpointer p)
{
	struct feeder *f = p;

	log_info("event=replay_stop camera=%s frames=%" G_GUINT64_FORMAT,
	    f->camera, f->frame);
	annexb_clip_unref(f->clip);
	g_free(f);
}

/*
 * feeder_need_data pushes the next access unit. Pacing comes from the pipeline:
 * the appsrc is live and the RTSP server's sinks sync on the clock, so this is
 * called again only once downstream has room; timestamps carry real time.
 */
static void
feeder_need_data(GstAppSrc *src, guint length, gpointer user)
{
	struct feeder *f = user;
	const struct annexb_au *au;
	GstBuffer *buf;
	GBytes *bytes;
	GstClockTime pts, next;

	au = &f->clip->aus[f->frame % f->clip->n_aus];
	/* A sub-range of the file: no copy, the bytes go out as they are on disk. */
	bytes = g_bytes_new_from_bytes(f->clip->data, au->off, au->len);
	buf = gst_buffer_new_wrapped_bytes(bytes);
	g_bytes_unref(bytes);
	pts = gst_util_uint64_scale(f->frame, GST_SECOND, f->fps);
	next = gst_util_uint64_scale(f->frame + 1, GST_SECOND, f->fps);
	GST_BUFFER_PTS(buf) = pts;
	GST_BUFFER_DTS(buf) = pts;
	GST_BUFFER_DURATION(buf) = next - pts;
	if (!au->keyframe)
		GST_BUFFER_FLAG_SET(buf, GST_BUFFER_FLAG_DELTA_UNIT);
	if (f->frame % f->clip->n_aus == 0 && f->frame != 0)
		GST_BUFFER_FLAG_SET(buf, GST_BUFFER_FLAG_DISCONT);
	f->frame++;
	(void)gst_app_src_push_buffer(src, buf);	/* takes buf */
}

static void
replay_media_configure(GstRTSPMediaFactory *factory, GstRTSPMedia *media,
    gpointer user)
{
	struct replay_cfg *cfg = user;
	GstAppSrcCallbacks cbs = { .need_data = feeder_need_data };
	GstElement *bin = NULL, *src = NULL;
	GstCaps *caps = NULL;
	struct feeder *f;

	bin = gst_rtsp_media_get_element(media);
	src = gst_bin_get_by_name_recurse_up(GST_BIN(bin), "src");
	if (src == NULL) {
		log_error("event=replay_configure camera=%s error=no_appsrc",
		    cfg->camera);
		goto out;
	}
	caps = gst_caps_new_simple(cfg->clip->codec == ANNEXB_H265 ?
	    "video/x-h265" : "video/x-h264",
	    "stream-format", G_TYPE_STRING, "byte-stream",
	    "alignment", G_TYPE_STRING, "au",
	    "framerate", GST_TYPE_FRACTION, (int)cfg->fps, 1, NULL);
	g_object_set(src, "caps", caps, "format", GST_FORMAT_TIME,
	    "is-live", TRUE, "do-timestamp", FALSE,
	    "max-bytes", (guint64)REPLAY_MAX_QUEUED_BYTES, NULL);
	f = g_new0(struct feeder, 1);
	f->clip = annexb_clip_ref(cfg->clip);
	f->fps = cfg->fps;
	g_strlcpy(f->camera, cfg->camera, sizeof(f->camera));
	gst_app_src_set_callbacks(GST_APP_SRC(src), &cbs, f, feeder_free);
	log_info("event=replay_start camera=%s codec=%s aus=%zu",
	    cfg->camera, annexb_codec_name(cfg->clip->codec), cfg->clip->n_aus);
out:
	if (caps != NULL)
		gst_caps_unref(caps);
	if (src != NULL)
		gst_object_unref(src);
	if (bin != NULL)
		gst_object_unref(bin);
}

static void
replay_cfg_free(gpointer data, GClosure *closure)
{
	struct replay_cfg *cfg = data;

	annexb_clip_unref(cfg->clip);
	g_free(cfg);
}

GstRTSPMediaFactory *
replay_factory_new(struct annexb_clip *clip, unsigned fps, const char *camera)
{
	GstRTSPMediaFactory *factory;
	struct replay_cfg *cfg;
	const char *launch;

	if (clip->codec == ANNEXB_H265)
		launch = "( appsrc name=src ! h265parse config-interval=-1"
		    " ! rtph265pay name=pay0 pt=96 )";
	else
		launch = "( appsrc name=src ! h264parse config-interval=-1"
		    " ! rtph264pay name=pay0 pt=96 )";
	factory = gst_rtsp_media_factory_new();
	gst_rtsp_media_factory_set_launch(factory, launch);
	gst_rtsp_media_factory_set_shared(factory, TRUE);
	cfg = g_new0(struct replay_cfg, 1);
	cfg->clip = annexb_clip_ref(clip);
	cfg->fps = fps;
	g_strlcpy(cfg->camera, camera, sizeof(cfg->camera));
	g_signal_connect_data(factory, "media-configure",
	    G_CALLBACK(replay_media_configure), cfg, replay_cfg_free, 0);
	return factory;
}
