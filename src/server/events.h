/* events.h - the server's motion event index: sealed payloads it cannot open, found by camera and time. */
#ifndef VIGIL_SERVER_EVENTS_H
#define VIGIL_SERVER_EVENTS_H

#include <stddef.h>
#include <stdint.h>
#include "common/segment.h"

#define EVENT_ID_LEN 16
/* Largest sealed payload the server keeps (metadata and a thumbnail, sealed). */
#define EVENTS_PAYLOAD_MAX (30u * 1024u)
/* Most events one listing returns. */
#define EVENTS_LIST_MAX 1000

#define EVENTS_E_IO (-1)
#define EVENTS_E_CONFLICT (-2)  /* the id belongs to another camera or gateway */

/* One event as stored. end_us is 0 while the event is open. payload is borrowed. */
struct events_row {
	uint8_t id[EVENT_ID_LEN];
	uint8_t camera_id[CAMERA_ID_LEN];
	int64_t start_us;
	int64_t end_us;
	uint32_t epoch;
	const uint8_t *payload;
	size_t payload_len;
	int64_t updated_us;
};

struct events;

/* Open or create the database at path (WAL). 0 or EVENTS_E_IO. */
int events_open(struct events **out, const char *path);
void events_close(struct events *ev);   /* NULL-safe */
/* Store an event from gateway gw, or update it (same id: same camera and gateway only).
 * 1 created, 0 updated, EVENTS_E_CONFLICT, EVENTS_E_IO. */
int events_put(struct events *ev, const uint8_t gw[GATEWAY_ID_LEN], const struct events_row *r,
    int64_t now);
/* Events of camera cam overlapping [from, to) (open ones reach to infinity), by start
 * time, at most max; cb returns nonzero to stop, and must not call back into the store
 * (it runs under the store's lock). Count passed, or EVENTS_E_IO. */
typedef int (*events_fn)(void *ctx, const struct events_row *r);
int events_range(struct events *ev, const uint8_t cam[CAMERA_ID_LEN], int64_t from, int64_t to,
    int max, events_fn cb, void *ctx);

/* Delete every event of camera cam (a removed camera). Count deleted, or EVENTS_E_IO. */
int events_delete_camera(struct events *ev, const uint8_t cam[CAMERA_ID_LEN]);
/* Delete camera cam's events that ended before before_us, and the open ones that started
 * before it (a gateway that stopped mid-event never closes it): the footage they point
 * at is gone. Count deleted, or EVENTS_E_IO. */
int events_expire_before(struct events *ev, const uint8_t cam[CAMERA_ID_LEN], int64_t before_us);
/* The first camera with events whose id is above after (NULL: the first of all), into
 * next: 1 found, 0 none left, EVENTS_E_IO. One index seek: callers page through cameras. */
int events_camera_next(struct events *ev, const uint8_t after[CAMERA_ID_LEN],
    uint8_t next[CAMERA_ID_LEN]);

#endif
