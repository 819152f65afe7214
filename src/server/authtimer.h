/* authtimer.h - the account housekeeping thread: audit checkpoints, session, throttle and signup-code expiry. */
#ifndef VIGIL_SERVER_AUTHTIMER_H
#define VIGIL_SERVER_AUTHTIMER_H

#include <stdint.h>

/* A checkpoint is signed once this many entries are uncovered, or once any entry has
 * stayed uncovered this long; the rule is checked every second. */
#define AUTHTIMER_CKPT_ENTRIES 100
#define AUTHTIMER_CKPT_US (INT64_C(60) * 1000000)
/* Expired sessions, old throttle buckets and expired signup codes are swept this often. */
#define AUTHTIMER_SWEEP_US (INT64_C(60) * 1000000)

struct identity;
struct authtimer;

/* Start the thread over id (which must outlive it). 0 or -1. */
int authtimer_start(struct authtimer **tp, struct identity *id);
/* One pass of the checkpoint rule, for the thread and for tests. 0 or -1. */
int authtimer_checkpoint_due(struct identity *id, int64_t mono_now, int64_t *last_ckpt_mono);
/* Stop and join; NULL-safe. */
void authtimer_stop(struct authtimer *t);

#endif
