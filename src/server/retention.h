/* retention.h - the background thread that expires links, removes unreferenced blobs and ticks timers. */
#ifndef VIGIL_SERVER_RETENTION_H
#define VIGIL_SERVER_RETENTION_H

#include <stdint.h>
#include "common/segment.h"

/* Seconds between retention passes. */
#define RETENTION_INTERVAL_S 5

struct server;
struct retention;

/* Where the events' expiry cycle stands between passes (it spreads over several), kept in
 * the server it works for (struct server's ev_cycle). */
struct events_cycle {
	int64_t started_at;     /* mono_us() of the running or last cycle */
	int phase;              /* 0 idle, 1 footage pages, 2 camera ages */
	int resuming;           /* the phase has a camera to resume after */
	uint8_t resume[CAMERA_ID_LEN];
};

/* One pass: expire links by age and quota in one index transaction, then delete the blobs
 * no link references any more (also finishing a pass a crash interrupted). 0 or -1. */
int retention_pass(struct server *srv, int64_t now);
/* Start the thread: a retention pass every RETENTION_INTERVAL_S, and every second the
 * relay keepalive tick and the sealing of old idle blobs. 0 or -1. */
int retention_start(struct retention **rp, struct server *srv);
/* Stop and join; NULL-safe. */
void retention_stop(struct retention *r);

#endif
