/* scripted.c - appsrc-fed RTSP factories rendering the scripted scene at wall-clock scene time. */
#include "camsim/scripted.h"

#include <string.h>
#include <gst/app/gstappsrc.h>

#include "camsim/log.h"
#include "camsim/scene.h"

struct scripted {
	GMutex mu;              /* scene_render keeps a cache: one render at a time */
	struct scene *scene;
	int64_t t0_us;
};

/* One factory's stream parameters; media_configure gives each media its own feed. */
struct sfactory {
	struct scripted *sc;
	unsigned w, h, fps;
};

struct feed {
	struct sfactory *f;
	guint64 n;
};

struct scripted *scripted_new(struct scene *s, int64_t t0_us)
{
	struct scripted *sc = g_new0(struct scripted, 1);

	g_mutex_init(&sc->mu);
	sc->scene = s;
	sc->t0_us = t0_us;
	return sc;
}

void scripted_free(struct scripted *sc)
{
	if (sc == NULL)
		return;
	scene_free(sc->scene);
	g_mutex_clear(&sc->mu);
	g_free(sc);
}

static void need_data(GstElement *src, guint unused, gpointer user)
{
	struct feed *fd = user;
	struct sfactory *f = fd->f;
	size_t ysz = (size_t)f->w * f->h, csz = ysz / 4;
	GstBuffer *buf = gst_buffer_new_allocate(NULL, ysz + 2 * csz, NULL);
	GstMapInfo map;
	GstFlowReturn ret;
	int64_t t;

	if (buf == NULL)
		return;
	if (gst_buffer_map(buf, &map, GST_MAP_WRITE)) {
		t = g_get_real_time() - f->sc->t0_us;
		g_mutex_lock(&f->sc->mu);
		if (scene_render(f->sc->scene, t < 0 ? 0 : t, map.data, (int)f->w, (int)f->h,
		    (int)f->w) != 0)
			memset(map.data, 0, ysz);
		g_mutex_unlock(&f->sc->mu);
		memset(map.data + ysz, 128, 2 * csz);
		gst_buffer_unmap(buf, &map);
	}
	GST_BUFFER_PTS(buf) = gst_util_uint64_scale(fd->n, GST_SECOND, f->fps);
	GST_BUFFER_DURATION(buf) = gst_util_uint64_scale(1, GST_SECOND, f->fps);
	fd->n++;
	g_signal_emit_by_name(src, "push-buffer", buf, &ret);
	gst_buffer_unref(buf);
}

static void media_configure(GstRTSPMediaFactory *factory, GstRTSPMedia *media, gpointer user)
{
	GstElement *el = gst_rtsp_media_get_element(media), *src;
	struct feed *fd = g_new0(struct feed, 1);

	fd->f = user;
	src = gst_bin_get_by_name_recurse_up(GST_BIN(el), "src");
	if (src == NULL) {
		log_error("event=scripted_configure error=no_appsrc");
		g_free(fd);
		gst_object_unref(el);
		return;
	}
	gst_util_set_object_arg(G_OBJECT(src), "format", "time");
	g_object_set_data_full(G_OBJECT(media), "vigil-feed", fd, g_free);
	g_signal_connect(src, "need-data", G_CALLBACK(need_data), fd);
	gst_object_unref(src);
	gst_object_unref(el);
}

GstRTSPMediaFactory *scripted_factory_new(struct scripted *sc, unsigned width, unsigned height,
    unsigned fps)
{
	GstRTSPMediaFactory *factory;
	struct sfactory *f = g_new0(struct sfactory, 1);
	gchar *launch;

	f->sc = sc;
	f->w = width;
	f->h = height;
	f->fps = fps;
	launch = g_strdup_printf("( appsrc name=src"
	    " caps=video/x-raw,format=I420,width=%u,height=%u,framerate=%u/1"
	    " ! videoconvert ! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=%u"
	    " ! video/x-h264,profile=high ! rtph264pay name=pay0 pt=96 )",
	    width, height, fps, fps * 2);
	factory = gst_rtsp_media_factory_new();
	gst_rtsp_media_factory_set_launch(factory, launch);
	gst_rtsp_media_factory_set_shared(factory, TRUE);
	g_signal_connect_data(factory, "media-configure", G_CALLBACK(media_configure), f,
	    (GClosureNotify)(void (*)(void))g_free, 0);
	g_free(launch);
	return factory;
}
