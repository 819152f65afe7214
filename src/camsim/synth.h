/* Synthetic mode: RTSP media factories that encode a moving test pattern live. */
#ifndef VIGIL_CAMSIM_SYNTH_H
#define VIGIL_CAMSIM_SYNTH_H

#include <gst/rtsp-server/rtsp-server.h>

/*
 * synth_factory_new returns a shared media factory (one reference, owned by the
 * caller): videotestsrc with a moving ball, a clock overlay when the pango plugin
 * is installed, x264enc (High profile, zerolatency, keyframe every 2 s) and
 * rtph264pay. label is drawn next to the clock.
 */
GstRTSPMediaFactory *synth_factory_new(unsigned width, unsigned height,
    unsigned fps, const char *label);

#endif
