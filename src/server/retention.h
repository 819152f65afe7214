/* retention.h - the background thread that expires links, removes unreferenced blobs and ticks timers. */
#ifndef VIGIL_SERVER_RETENTION_H
#define VIGIL_SERVER_RETENTION_H

#include <stdint.h>

/* Seconds between retention passes. */
#define RETENTION_INTERVAL_S 5

struct server;
struct retention;

/* One pass: expire links by age and quota in one index transaction, then delete the blobs
 * no link references any more (also finishing a pass a crash interrupted). 0 or -1. */
int retention_pass(struct server *srv, int64_t now);
/* Start the thread: a retention pass every RETENTION_INTERVAL_S, and every second the
 * relay keepalive tick and the sealing of old idle blobs. 0 or -1. */
int retention_start(struct retention **rp, struct server *srv);
/* Stop and join; NULL-safe. */
void retention_stop(struct retention *r);

#endif
