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

/* The reason of the 503 (with Retry-After) that answers a request whose audit entry could
 * not be written: nothing it asked for is served. */
#define ORGAUDIT_UNAVAILABLE "audit log unavailable: try again"

/* Append action (target may be NULL) to org's log, the actor being rq's principal (user,
 * support, operator or gateway). 0, or -1 with the failure logged (no org, the database
 * busy past its timeout, full, unwritable). Footage and support reads must not proceed on -1
 * (docs/design/audit.md, "Fail closed"); events written after an act only log it. */
int orgaudit_event(struct req *rq, const char *org, const char *action, const char *target);
/* The same with detail (NULL, or a flat object of string and integer values; borrowed). */
int orgaudit_event_detail(struct req *rq, const char *org, const char *action, const char *target,
    const json_t *detail);
/* An archive read of camera cam's stream by rq's session, of a segment recorded over
 * [from_us, to_us), called before any of its bytes are queued: one entry per session,
 * camera, stream and footage band it touches per ORGAUDIT_READ_WINDOW_S, whose detail names
 * the stream and the band ("footage_from_us", "footage_to_us"), so the log says which
 * recordings were seen. A band is marked as logged only once its entry is written. 0, or -1
 * when an entry could not be written: the caller serves nothing. */
int orgaudit_archive_read(struct req *rq, const char *org, const char *cam, int stream,
    int64_t from_us, int64_t to_us);
/* A read by a support grant holder of org data (route: a short class name such as
 * "cameras", target: the org or gateway id read), called before the answer is queued:
 * "support.read" with detail {"route"}, one entry per session, route and target per
 * ORGAUDIT_READ_WINDOW_S. 0 at once for any other caller; -1 when the entry could not be
 * written: the caller answers ORGAUDIT_UNAVAILABLE. */
int orgaudit_support_read(struct req *rq, const char *route, const char *target);

#endif
