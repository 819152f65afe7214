/* Synthetic mode: RTSP media factories that encode a moving test pattern live. */
#include "camsim/synth.h"

#include "camsim/log.h"

/* have_element says whether a GStreamer element factory is installed. */
static gboolean
have_element(const char *name)
{
	GstElementFactory *f = gst_element_factory_find(name);

	if (f == NULL)
		return FALSE;
	gst_object_unref(f);
	return TRUE;
}

GstRTSPMediaFactory *
synth_factory_new(unsigned width, unsigned height, unsigned fps,
    const char *label)
{
	static int overlay = -1;
	GstRTSPMediaFactory *factory;
	gchar *overlay_str = NULL, *launch = NULL;

	if (overlay < 0) {
		overlay = have_element("clockoverlay");
		log_info("event=synth_overlay clockoverlay=%s",
		    overlay ? "yes" : "missing_skipped");
	}
	/* label comes from our own "cam<i>" names: no quoting needed. */
	overlay_str = overlay ? g_strdup_printf(" ! clockoverlay text=%s"
	    " halignment=left valignment=top"
	    " shaded-background=true", label) : g_strdup("");
	launch = g_strdup_printf("( videotestsrc is-live=true pattern=ball"
	    " ! video/x-raw,format=I420,width=%u,height=%u,framerate=%u/1%s"
	    " ! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=%u"
	    " dct8x8=true cabac=true aud=false"
	    " ! video/x-h264,profile=high"
	    " ! rtph264pay name=pay0 pt=96 )",
	    width, height, fps, overlay_str, fps * 2);
	factory = gst_rtsp_media_factory_new();
	gst_rtsp_media_factory_set_launch(factory, launch);
	gst_rtsp_media_factory_set_shared(factory, TRUE);
	g_free(launch);
	g_free(overlay_str);
	return factory;
}
