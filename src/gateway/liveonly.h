/* liveonly.h - the newest live-only link of one camera stream, handed from the recorder to the uploader: shown to live viewers while the camera's recording pauses, never spooled. */
#ifndef VIGIL_GATEWAY_LIVEONLY_H
#define VIGIL_GATEWAY_LIVEONLY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Most bytes of one live-only link (the server's own bound on a link is larger): a link
 * that grows past it is dropped, and the next keyframe starts another. */
#define LIVEONLY_LINK_MAX (16u * 1024u * 1024u)

/* Results of liveonly_read besides a byte count. */
#define LIVEONLY_END 0         /* the link is complete and every byte was read */
#define LIVEONLY_GONE (-2)     /* a newer link replaced it, or it outgrew the bound */
#define LIVEONLY_AGAIN (-3)    /* nothing new within the timeout */
#define LIVEONLY_STOPPED (-4)  /* liveonly_stop was called */

struct liveonly;

/* NULL when out of memory. */
struct liveonly *liveonly_new(void);
/* Free after the producer and the consumer are done with it; NULL-safe. */
void liveonly_free(struct liveonly *q);

/*
 * Producer (the recorder thread). Holds one link at a time: a link begun replaces the one
 * before it, whether or not it was sent, so a consumer that cannot keep up (server away)
 * costs at most one link of memory and skips to the newest. The bytes are records of a
 * signed, encrypted live-only segment: no plaintext passes here.
 */
/* Start a new link (the previous one is gone for its reader). 0 or -1 (out of memory). */
int liveonly_begin(struct liveonly *q);
/* Append records to the current link. 0, or -1 when there is no current link or it would
 * pass LIVEONLY_LINK_MAX (it is dropped: gone for its reader). */
int liveonly_append(struct liveonly *q, const uint8_t *p, size_t n);
/* The current link is complete (its SEG_END was appended). */
void liveonly_end(struct liveonly *q);
/* Drop the current link unfinished (resume, session end): gone for its reader. */
void liveonly_drop(struct liveonly *q);

/*
 * Demand. A gateway enrolled in an organization learns from each configuration answer
 * which of its streams someone watches (cfgfetch.h); it sends live-only video only for
 * those. Without that feed (the interim, unsigned mode) it sends it always.
 */
/* on 1: send only while watched (liveonly_set_watched); 0 (the default): always. */
void liveonly_set_on_demand(struct liveonly *q, int on);
void liveonly_set_watched(struct liveonly *q, int watched);
/* 1 when a live-only link should be made now. Thread-safe. */
int liveonly_wanted(struct liveonly *q);

/*
 * Consumer (the uploader's live-only thread).
 */
/* Wait up to timeout_ms for a link newer than after (0: any): 1 and *gen set, 0 on
 * timeout, LIVEONLY_STOPPED. */
int liveonly_wait(struct liveonly *q, uint64_t after, uint64_t *gen, int timeout_ms);
/* Copy bytes of link gen from offset off into p, waiting up to timeout_ms for them: a
 * count > 0, LIVEONLY_END, LIVEONLY_GONE, LIVEONLY_AGAIN or LIVEONLY_STOPPED. */
ssize_t liveonly_read(struct liveonly *q, uint64_t gen, uint64_t off, void *p, size_t max,
    int timeout_ms);
/* Wake every waiter for good (the uploader stops). */
void liveonly_stop(struct liveonly *q);

#endif
