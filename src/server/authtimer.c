/* authtimer.c - a one-second timer thread for the account modules' periodic work. */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include "common/util.h"
#include "server/audit.h"
#include "server/authtimer.h"
#include "server/identity.h"
#include "server/sessions.h"
#include "server/signup.h"
#include "server/throttle.h"

struct authtimer {
	struct identity *id;
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stop;
};

int
authtimer_checkpoint_due(struct identity *id, int64_t mono_now, int64_t *last_ckpt_mono)
{
	struct audit_head h;
	uint64_t pending;
	int r = -1;

	if (audit_head(id->aud, IDENTITY_AUDIT_ORG, &h) != 0)
		goto out;
	pending = h.seq > h.ckpt_seq ? h.seq - h.ckpt_seq : 0;
	if (pending >= AUTHTIMER_CKPT_ENTRIES ||
	    (pending > 0 && mono_now - *last_ckpt_mono >= AUTHTIMER_CKPT_US)) {
		if (audit_checkpoint(id->aud, IDENTITY_AUDIT_ORG) != 0)
			goto out;
		*last_ckpt_mono = mono_now;
		log_info("audit", "op=checkpoint org=%s seq=%llu", IDENTITY_AUDIT_ORG,
		    (unsigned long long)h.seq);
	}
	r = 0;
out:
	return r;
}

static void
sweep(struct identity *id)
{
	int64_t now = now_us();

	if (sessions_expire(id->sess, now) < 0 || throttle_prune(id->thr, now) < 0 ||
	    signup_expire(id->su, now) < 0)
		log_warn("authtimer", "op=sweep err=failed");
}

static void *
authtimer_main(void *arg)
{
	struct authtimer *t = arg;
	struct timespec ts;
	int64_t last_ckpt = mono_us(), last_sweep = mono_us();

	pthread_mutex_lock(&t->mu);
	while (!t->stop) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 1;
		pthread_cond_timedwait(&t->cv, &t->mu, &ts);
		if (t->stop)
			break;
		pthread_mutex_unlock(&t->mu);
		if (authtimer_checkpoint_due(t->id, mono_us(), &last_ckpt) != 0)
			log_warn("authtimer", "op=checkpoint err=failed");
		if (mono_us() - last_sweep >= AUTHTIMER_SWEEP_US) {
			sweep(t->id);
			last_sweep = mono_us();
		}
		pthread_mutex_lock(&t->mu);
	}
	pthread_mutex_unlock(&t->mu);
	return NULL;
}

int
authtimer_start(struct authtimer **tp, struct identity *id)
{
	struct authtimer *t;

	*tp = NULL;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return -1;
	t->id = id;
	pthread_mutex_init(&t->mu, NULL);
	pthread_cond_init(&t->cv, NULL);
	if (pthread_create(&t->th, NULL, authtimer_main, t) != 0) {
		pthread_mutex_destroy(&t->mu);
		pthread_cond_destroy(&t->cv);
		free(t);
		return -1;
	}
	*tp = t;
	return 0;
}

void
authtimer_stop(struct authtimer *t)
{
	if (t == NULL)
		return;
	pthread_mutex_lock(&t->mu);
	t->stop = 1;
	pthread_cond_signal(&t->cv);
	pthread_mutex_unlock(&t->mu);
	pthread_join(t->th, NULL);
	pthread_mutex_destroy(&t->mu);
	pthread_cond_destroy(&t->cv);
	free(t);
}
