/* uploader.h - sends one camera stream's spooled chain links to the server: live as written, backlog oldest-first. */
#ifndef VIGIL_GATEWAY_UPLOADER_H
#define VIGIL_GATEWAY_UPLOADER_H

#include <stdint.h>
#include "gateway/spool.h"

struct liveonly;

struct uploader;

/* Start the two upload threads of one stream (live and backfill). server_url is e.g.
 * "http://127.0.0.1:8080"; sk is the gateway key used to authenticate (copied, wiped on
 * stop); ss stays owned by the caller and must outlive the uploader. A link is deleted
 * from the spool only after the server's 200 lists it as acked. NULL on error. */
struct uploader *uploader_start(const char *server_url, const uint8_t sk[64], struct spool_stream *ss, const uint8_t camera_id[16], uint8_t stream);
void uploader_stop(struct uploader *u);   /* NULL-safe; joins threads */
/* Start a third thread that sends the stream's live-only segments from lo (liveonly.h) as
 * they are written, one POST each, best effort: nothing is acked or retried, a segment that
 * cannot go now is worth nothing later. lo must outlive the uploader; uploader_stop stops
 * it (liveonly_stop). 0 or -1. */
int uploader_live_only(struct uploader *u, struct liveonly *lo);
/* The camera left (retired 1) or came back into (0) the org's signed configuration. While
 * retired, links the server answers 410 (the camera is no longer registered: removed) are
 * deleted from the spool instead of retried; links it accepts are still sent; any other
 * refusal keeps them.
 * NULL-safe. */
void uploader_retire(struct uploader *u, int retired);

#endif
