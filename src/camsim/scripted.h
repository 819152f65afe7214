/* scripted.h - RTSP media factories that encode a scripted scene (scene.h) live, main and sub from one scene clock. */
#ifndef VIGIL_CAMSIM_SCRIPTED_H
#define VIGIL_CAMSIM_SCRIPTED_H

#include <stdint.h>
#include <gst/rtsp-server/rtsp-server.h>

struct scene;
struct scripted;

/* Shared state of all scripted cameras: the scene (owned from here on) and its start
 * time t0_us (wall clock, µs). Scene time = wall time - t0_us. NULL on error. */
struct scripted *scripted_new(struct scene *s, int64_t t0_us);
/* A factory encoding the scene at width x height, fps (x264, GOP 2 s, High profile). */
GstRTSPMediaFactory *scripted_factory_new(struct scripted *sc, unsigned width, unsigned height,
    unsigned fps);
void scripted_free(struct scripted *sc);   /* NULL-safe; after the server is gone */

#endif
