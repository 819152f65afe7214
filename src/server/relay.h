/* relay.h - the live relay: a bounded window of recent records per camera stream, and its viewers. */
#ifndef VIGIL_SERVER_RELAY_H
#define VIGIL_SERVER_RELAY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "common/segment.h"

/* Default bytes of records kept per camera stream (current and previous segment). */
#define RELAY_WINDOW_BYTES (8u * 1024u * 1024u)
/* A viewer that got nothing for this long receives a KEEPALIVE record. */
#define RELAY_KEEPALIVE_US 5000000
/* A stream that got a record this recently counts as live (metrics). */
#define RELAY_LIVE_US 10000000

struct relay;
struct relay_viewer;

enum relay_op { RELAY_SUSPEND = 1, RELAY_RESUME = 2 };
/* Asks the HTTP layer to suspend or resume the viewer's connection. Called with the relay
 * lock held: it must not call back into the relay. */
typedef void (*relay_notify_fn)(void *arg, int op);

/* A relay keeping at most window_bytes of records per stream (plus one record in flight per
 * viewer). NULL when memory is short. */
struct relay *relay_new(size_t window_bytes);
/* Free everything; all viewers must have been removed. NULL-safe. */
void relay_free(struct relay *r);

/* A link of (cam, stream) starts arriving: 1 when it is newer than every link relayed so
 * far and must go live (*ticket names it for relay_push), 0 when it is a backfill, -1 when
 * memory is short. Newer: a higher seq; at the same seq, a stored link is newer than a
 * live-only one (which forks off the chain at the seq the next stored link takes), and a
 * live-only one is newer than a live-only one that started earlier. */
int relay_link_begin(struct relay *r, const uint8_t cam[CAMERA_ID_LEN], uint8_t stream,
    uint64_t seq, int live_only, int64_t start_us, uint64_t *ticket);
/* Append one record of the live link named by ticket to the window and wake the stream's
 * viewers. Records of a link that a newer one has overtaken are dropped (1), so two uploads
 * of one stream never interleave on the wire. 0, 1 or -1. */
int relay_push(struct relay *r, const uint8_t cam[CAMERA_ID_LEN], uint8_t stream,
    uint64_t ticket, uint8_t type, const uint8_t *payload, uint32_t len);

/* Add a viewer of (cam, stream); it starts at the current segment's SEG_HEADER (or waits for
 * the next one). NULL when memory is short. */
struct relay_viewer *relay_viewer_add(struct relay *r, const uint8_t cam[CAMERA_ID_LEN],
    uint8_t stream, relay_notify_fn notify, void *arg, int64_t now);
/* Copy up to max bytes of whole-record stream into buf: > 0 bytes, 0 when there is nothing
 * (the viewer was suspended through notify), -1 when the relay is shutting down. */
ssize_t relay_viewer_read(struct relay_viewer *v, uint8_t *buf, size_t max, int64_t now);
/* Times this viewer was skipped ahead for falling behind. */
uint64_t relay_viewer_skips(const struct relay_viewer *v);
/* Remove and free a viewer; NULL-safe. */
void relay_viewer_remove(struct relay_viewer *v);

/* Resume viewers idle for RELAY_KEEPALIVE_US so they send a KEEPALIVE. */
void relay_tick(struct relay *r, int64_t now);
/* Make every viewer's next read return -1 and resume the suspended ones. */
void relay_shutdown(struct relay *r);
/* A camera stream someone watches live. */
struct relay_watch {
	uint8_t cam[CAMERA_ID_LEN];
	uint8_t stream;
};
/* Stream indexes relay_watched looks at (a camera with a stream above them is never named
 * watched: its gateway sends no live-only video of it on demand). */
#define RELAY_WATCH_STREAMS 8
/* The streams (index below RELAY_WATCH_STREAMS) of the ncams cameras cams that have at
 * least one viewer, at most max of them into out; the count. Looks up only those cameras'
 * channels, never walks the server's. */
size_t relay_watched(struct relay *r, const uint8_t (*cams)[CAMERA_ID_LEN], size_t ncams,
    struct relay_watch *out, size_t max);
/* Bytes currently held in a stream's window (tests, metrics). */
size_t relay_window_size(struct relay *r, const uint8_t cam[CAMERA_ID_LEN], uint8_t stream);

#endif
