/* Replay mode: an appsrc-fed RTSP media factory that loops a pre-encoded clip. */
#ifndef VIGIL_CAMSIM_REPLAY_H
#define VIGIL_CAMSIM_REPLAY_H

#include <gst/rtsp-server/rtsp-server.h>

#include "camsim/annexb.h"

/*
 * replay_factory_new returns a shared media factory (one reference, owned by the
 * caller) whose media push clip's access units unchanged, in an endless loop, at
 * fps frames per second of pipeline time. The factory keeps its own reference on
 * clip. camera names the camera in logs.
 */
GstRTSPMediaFactory *replay_factory_new(struct annexb_clip *clip, unsigned fps,
    const char *camera);

#endif
