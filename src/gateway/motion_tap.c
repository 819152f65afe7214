/* motion_tap.c - per-camera registry of recording streams, the choice of the analysed stream, and event reporting. */
#include "gateway/motion_tap.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "common/buf.h"
#include "common/util.h"
#include "gateway/events.h"
#include "gateway/motion_cam.h"

#define TAP_LABEL_MAX 80

struct cam_entry {
	struct cam_entry *next;
	uint8_t id[CAMERA_ID_LEN];
	unsigned refs;                /* taps attached */
	int configured;               /* has parameters of its own: kept without taps */
	atomic_uint sub_mask;         /* bit s: substream s (1..31) has a tap */
	atomic_uint gen;              /* bumped when the parameters change */
	atomic_llong open_start;      /* start of the event open now, 0 = none */
	atomic_llong last_start;      /* start of the last event ended, 0 = none yet */
	atomic_llong last_end;        /* its end */
	atomic_llong analysed_us;     /* the last picture analysed, 0 = none yet */
	atomic_llong delay_us;        /* the minimum duration of the parameters in use */
	struct motion_params params;  /* under g_mu */
};

struct motion_tap {
	struct cam_entry *cam;
	uint8_t stream;
	char label[TAP_LABEL_MAX];
	uint32_t epoch;
	uint8_t epoch_pk[EPOCH_PK_LEN];
	struct motion_cam *mc;
	unsigned mc_gen;
	struct events_meta meta;      /* the open event */
	struct buf sealed;
	const uint8_t *sk;            /* the gateway's signing key (borrowed) */
};

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static struct cam_entry *g_cams;

/* Find or add a camera entry, with a reference. Call with g_mu held. */
static struct cam_entry *cam_get(const uint8_t id[CAMERA_ID_LEN])
{
	struct cam_entry *c;

	for (c = g_cams; c != NULL; c = c->next)
		if (memcmp(c->id, id, CAMERA_ID_LEN) == 0)
			break;
	if (c == NULL) {
		if ((c = calloc(1, sizeof(*c))) == NULL)
			return NULL;
		memcpy(c->id, id, CAMERA_ID_LEN);
		atomic_init(&c->sub_mask, 0);
		atomic_init(&c->gen, 0);
		atomic_init(&c->open_start, 0);
		atomic_init(&c->last_start, 0);
		atomic_init(&c->last_end, 0);
		atomic_init(&c->analysed_us, 0);
		motion_params_default(&c->params);
		atomic_init(&c->delay_us, (long long)c->params.min_duration_ms * 1000);
		c->next = g_cams;
		g_cams = c;
	}
	c->refs++;
	return c;
}

/* Drop a reference. Call with g_mu held. */
static void cam_put(struct cam_entry *c)
{
	struct cam_entry **pp;

	if (c->refs > 0)
		c->refs--;
	if (c->refs > 0 || c->configured)
		return;
	for (pp = &g_cams; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	free(c);
}

int motion_tap_configure(const uint8_t camera_id[CAMERA_ID_LEN], const struct motion_params *p)
{
	struct cam_entry *c;

	if (motion_params_check(p) != 0)
		return -1;
	pthread_mutex_lock(&g_mu);
	if ((c = cam_get(camera_id)) != NULL) {
		c->configured = 1;
		c->params = *p;
		atomic_store(&c->delay_us, (long long)p->min_duration_ms * 1000);
		atomic_fetch_add(&c->gen, 1);
		cam_put(c);
	}
	pthread_mutex_unlock(&g_mu);
	return c != NULL ? 0 : -1;
}

struct motion_tap *motion_tap_open(const uint8_t camera_id[CAMERA_ID_LEN], uint8_t stream,
    const char *label, const uint8_t sk[GATEWAY_SK_LEN])
{
	struct motion_tap *t;

	if (sk == NULL || (t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	t->sk = sk;
	t->stream = stream;
	snprintf(t->label, sizeof(t->label), "%s", label != NULL ? label : "camera");
	buf_init(&t->sealed, EVENTS_PLAIN_MAX + 64);
	pthread_mutex_lock(&g_mu);
	t->cam = cam_get(camera_id);
	if (t->cam != NULL && stream >= 1 && stream < 32)
		atomic_fetch_or(&t->cam->sub_mask, 1u << stream);
	pthread_mutex_unlock(&g_mu);
	if (t->cam == NULL) {
		buf_free(&t->sealed);
		free(t);
		return NULL;
	}
	return t;
}

static void tap_report(void *ctx, const struct motion_report *r)
{
	struct motion_tap *t = ctx;
	const char *zones[MOTION_MAX_ZONES];
	char camh[2 * CAMERA_ID_LEN + 1], idh[2 * EVENT_ID_BYTES + 1];
	struct events_sender *s = events_default();
	size_t nz = 0;
	unsigned i;

	if (r->change == MOTION_START) {
		memset(&t->meta, 0, sizeof(t->meta));
		randombytes_buf(t->meta.id, sizeof(t->meta.id));
		memcpy(t->meta.camera_id, t->cam->id, CAMERA_ID_LEN);
	}
	/* Each version is sealed to the current epoch key (below), so it names that epoch: an
	 * event whose end comes after a rotation opens with the new key. */
	t->meta.epoch = t->epoch;
	t->meta.start_us = r->ev.start_us;
	t->meta.end_us = r->change == MOTION_END ? r->ev.end_us : 0;
	t->meta.peak_us = r->ev.peak_us;
	t->meta.peak_score = r->ev.peak_score;
	for (i = 0; i < MOTION_MAX_ZONES; i++)
		if ((r->ev.zones & (1u << i)) && (zones[nz] = motion_cam_zone_name(t->mc, i)) != NULL)
			nz++;
	/* For the recorders of this camera that record on motion only (recgate.h). */
	if (r->change == MOTION_START) {
		atomic_store(&t->cam->open_start, r->ev.start_us);
	} else {
		long long mine = r->ev.start_us;

		atomic_store(&t->cam->last_start, r->ev.start_us);
		atomic_store(&t->cam->last_end, r->ev.end_us);
		/* Only this event's start: while the analysed stream changes, the tap that
		 * takes over may already have opened one of its own. */
		atomic_compare_exchange_strong(&t->cam->open_start, &mine, 0);
	}
	hex_encode(t->cam->id, CAMERA_ID_LEN, camh);
	hex_encode(t->meta.id, EVENT_ID_BYTES, idh);
	log_info("motion", "camera=%s camera_id=%s stream=%u event=%s id=%s start_us=%lld end_us=%lld"
	    " peak_score=%u zones=%zu thumb_bytes=%zu", t->label, camh, t->stream,
	    r->change == MOTION_START ? "motion_start" : "motion_end", idh,
	    (long long)t->meta.start_us, (long long)t->meta.end_us, t->meta.peak_score, nz,
	    r->jpeg_len);
	if (s == NULL)
		return;
	/* A thumbnail that does not fit leaves the event without one rather than unsent. */
	if (events_seal(&t->meta, zones, nz, r->jpeg, r->jpeg_len, t->epoch_pk, t->sk, &t->sealed) != 0 &&
	    events_seal(&t->meta, zones, nz, NULL, 0, t->epoch_pk, t->sk, &t->sealed) != 0) {
		log_warn("motion", "camera=%s event=seal_failed id=%s", t->label, idh);
		return;
	}
	if (events_submit(s, &t->meta, t->sealed.data, t->sealed.len) != 0)
		log_warn("motion", "camera=%s event=submit_failed id=%s", t->label, idh);
}

/* 1 when this tap's stream is the one analysed for its camera. */
static int tap_active(const struct motion_tap *t, int *keyonly)
{
	unsigned mask = atomic_load(&t->cam->sub_mask);

	*keyonly = 0;
	if (t->stream == 0) {
		*keyonly = 1;
		return mask == 0;
	}
	if (t->stream >= 32)
		return 0;
	/* the lowest substream with a tap */
	return (mask & ((1u << t->stream) - 1u) & ~1u) == 0;
}

void motion_tap_packet(struct motion_tap *t, const AVCodecParameters *par, const AVPacket *pkt,
    int64_t t_us, uint32_t epoch, const uint8_t epoch_pk[EPOCH_PK_LEN])
{
	struct motion_params p;
	unsigned gen;
	int keyonly;

	if (t == NULL || par == NULL || pkt == NULL || epoch_pk == NULL)
		return;
	t->epoch = epoch;
	memcpy(t->epoch_pk, epoch_pk, EPOCH_PK_LEN);
	if (!tap_active(t, &keyonly)) {
		if (t->mc != NULL) {
			motion_cam_flush(t->mc);
			motion_cam_free(t->mc);
			t->mc = NULL;
		}
		return;
	}
	gen = atomic_load(&t->cam->gen);
	if (t->mc != NULL && gen != t->mc_gen) {
		motion_cam_flush(t->mc);
		motion_cam_free(t->mc);
		t->mc = NULL;
	}
	if (t->mc == NULL) {
		pthread_mutex_lock(&g_mu);
		p = t->cam->params;
		pthread_mutex_unlock(&g_mu);
		if (!p.enabled)
			return;
		if (motion_cam_new(&t->mc, t->label, &p, tap_report, t) != 0) {
			t->mc = NULL;
			return;
		}
		t->mc_gen = gen;
		log_info("motion", "camera=%s stream=%u event=detecting keyframes_only=%d sensitivity=%u",
		    t->label, t->stream, keyonly, p.sensitivity);
	}
	{
		uint64_t before = motion_cam_frames(t->mc);
		motion_cam_packet(t->mc, par, pkt, t_us, keyonly);
		if (motion_cam_frames(t->mc) != before)
			atomic_store(&t->cam->analysed_us, t_us);
	}
}

void motion_tap_activity(const struct motion_tap *t, struct recgate_motion *a)
{
	memset(a, 0, sizeof(*a));
	if (t == NULL)
		return;
	a->open_start = atomic_load(&t->cam->open_start);
	a->last_start = atomic_load(&t->cam->last_start);
	a->last_end = atomic_load(&t->cam->last_end);
	a->analysed_us = atomic_load(&t->cam->analysed_us);
	a->delay_us = atomic_load(&t->cam->delay_us);
}

void motion_tap_stream_ended(struct motion_tap *t, uint32_t epoch,
    const uint8_t epoch_pk[EPOCH_PK_LEN])
{
	if (t == NULL)
		return;
	/* A rotation that came after the last packet (with no segment open) applies to the
	 * event's last version too. */
	if (epoch_pk != NULL) {
		t->epoch = epoch;
		memcpy(t->epoch_pk, epoch_pk, EPOCH_PK_LEN);
	}
	if (t->mc != NULL)
		motion_cam_flush(t->mc);
}

void motion_tap_close(struct motion_tap *t)
{
	if (t == NULL)
		return;
	if (t->mc != NULL) {
		motion_cam_flush(t->mc);
		motion_cam_free(t->mc);
	}
	pthread_mutex_lock(&g_mu);
	if (t->stream >= 1 && t->stream < 32)
		atomic_fetch_and(&t->cam->sub_mask, ~(1u << t->stream));
	cam_put(t->cam);
	pthread_mutex_unlock(&g_mu);
	buf_free(&t->sealed);
	free(t);
}
