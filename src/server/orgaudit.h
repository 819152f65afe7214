/* orgaudit.h - appends to an organization's own audit log from request handlers: membership, grant, enrollment, config and support events, live views and aggregated archive reads. */
#ifndef VIGIL_SERVER_ORGAUDIT_H
#define VIGIL_SERVER_ORGAUDIT_H

#include <stdint.h>
#include <jansson.h>

struct req;

/* Seconds during which further archive reads of one camera by one session, of footage in
 * one band, are folded into the entry already written. */
#define ORGAUDIT_READ_WINDOW_S 600
/* The footage an archive.read entry names: the band of recorded time, this many seconds
 * long (aligned to the epoch), that holds the segments read. */
#define ORGAUDIT_FOOTAGE_BAND_S 600

/* Append action (target may be NULL) to org's log, the actor being rq's principal (user,
 * support or gateway). Failures are logged, never answered. */
void orgaudit_event(struct req *rq, const char *org, const char *action, const char *target);
/* The same with detail (NULL, or a flat object of string and integer values; borrowed). */
void orgaudit_event_detail(struct req *rq, const char *org, const char *action, const char *target,
    const json_t *detail);
/* An archive read of camera cam's stream by rq's session, of a segment recorded over
 * [from_us, to_us): one entry per session, camera, stream and footage band it touches per
 * ORGAUDIT_READ_WINDOW_S, whose detail names the stream and the band ("footage_from_us",
 * "footage_to_us"), so the log says which recordings were seen. */
void orgaudit_archive_read(struct req *rq, const char *org, const char *cam, int stream,
    int64_t from_us, int64_t to_us);

#endif
