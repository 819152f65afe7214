/* The simulated cameras: their mount points and taking them down and up on command. */
#ifndef VIGIL_CAMSIM_CAMERAS_H
#define VIGIL_CAMSIM_CAMERAS_H

#include <gst/rtsp-server/rtsp-server.h>

struct cameras;

/* Upper bound of --cameras. */
#define CAMERAS_MAX 1024

/*
 * cameras_new makes n cameras named cam1..cam<n>, served (once started) by server
 * at /cam<i>/main and /cam<i>/sub. Holds its own reference on server.
 */
struct cameras *cameras_new(GstRTSPServer *server, unsigned n);

/*
 * cameras_set_factory gives camera idx (0-based) the factory for stream "main"
 * or "sub"; takes ownership of factory. Call before cameras_start.
 */
void cameras_set_factory(struct cameras *cams, unsigned idx, const char *stream,
    GstRTSPMediaFactory *factory);

unsigned cameras_count(const struct cameras *cams);
const char *cameras_name(const struct cameras *cams, unsigned idx);
int cameras_has_sub(const struct cameras *cams, unsigned idx);

/*
 * cameras_find returns the 0-based index of the camera called name ("cam3"), or
 * -1 if there is none.
 */
int cameras_find(const struct cameras *cams, const char *name);

/* cameras_start mounts camera idx's streams. Returns 1 if it was down, else 0. */
int cameras_start(struct cameras *cams, unsigned idx);

/*
 * cameras_stop unmounts camera idx's streams, so that DESCRIBE gets 404, then
 * tears down every RTSP session playing them and closes those sessions' client
 * connections. Returns the number of connections closed, or -1 if the camera
 * was already down.
 */
int cameras_stop(struct cameras *cams, unsigned idx);

void cameras_free(struct cameras *cams);	/* NULL-safe */

#endif
