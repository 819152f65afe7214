/* test_gw_recorder.c - unit tests of the recording loop (recorder.c): continuous and motion-only recording, pre- and post-roll, blind detection, outages, stops, mode changes and epoch key rotations, each checked on the signed chain it spools. */
/*
 * recorder.c is compiled into this test with the camera, both clocks, sleeping and the
 * motion tap replaced by the scripted fakes below, so its real thread runs over real
 * H.264 packets (remuxed, sealed, signed and spooled as in the gateway) on a clock that
 * only moves with the script: 40 ms per packet, nothing waits. The pre-roll's byte bound
 * is a variable, so that a test can make a GOP larger than it.
 */
#define now_us fake_now_us
#define mono_us fake_mono_us
#define nanosleep fake_nanosleep
#define camera_open fake_camera_open
#define camera_read fake_camera_read
#define camera_set_idle fake_camera_set_idle
#define camera_codecpar fake_camera_codecpar
#define camera_time_base fake_camera_time_base
#define camera_frame_rate fake_camera_frame_rate
#define camera_same_codec fake_camera_same_codec
#define camera_close fake_camera_close
#define motion_tap_open fake_motion_tap_open
#define motion_tap_packet fake_motion_tap_packet
#define motion_tap_activity fake_motion_tap_activity
#define motion_tap_stream_ended fake_motion_tap_stream_ended
#define motion_tap_close fake_motion_tap_close
#include "gateway/recgate.h"
static const size_t hold_max_default = RECGATE_HOLD_MAX_BYTES;
static size_t g_hold_max = RECGATE_HOLD_MAX_BYTES;
#undef RECGATE_HOLD_MAX_BYTES
#define RECGATE_HOLD_MAX_BYTES g_hold_max
/* The recorder's side of the live-only hand-over goes through the wrappers below (lo_*):
 * they call the real liveonly.c, note what the recorder was doing, and step in lockstep
 * with the test's consumer thread so that no link is replaced before it was read. */
#include "gateway/liveonly.h"
static int lo_begin(struct liveonly *q);
static int lo_append(struct liveonly *q, const uint8_t *p, size_t n);
static void lo_end(struct liveonly *q);
static void lo_drop(struct liveonly *q);
#define liveonly_begin lo_begin
#define liveonly_append lo_append
#define liveonly_end lo_end
#define liveonly_drop lo_drop
#include "gateway/recorder.c"
#undef liveonly_begin
#undef liveonly_append
#undef liveonly_end
#undef liveonly_drop

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <ftw.h>
#include <sys/stat.h>
#include <cmocka.h>
#include <libavutil/opt.h>

/* Scripted wall time: T0 + ms. */
#define T0 INT64_C(1800000000000000)
#define AT(ms) (T0 + (int64_t)(ms) * 1000)
#define NEVER INT64_MAX
#define FRAME_US 40000          /* 25 fps */
#define FRAME_DTS 3600          /* the same on the 90 kHz clock */
#define SRC_P 24                /* distinct non-key frames, repeated through longer GOPs */
#define PREROLL_MS 2000
#define POSTROLL_MS 2000
#define MAX_SENT 4096
#define MAX_LINKS 256
#define MAX_LIVE 256            /* live-only links collected by one run */

/* One camera session: packets at base + i * 40 ms. */
struct session {
	int64_t base;
	int nframes;
	int first;      /* position in the GOP of the first packet (0: a keyframe) */
	int stop;       /* after the last packet the gateway is stopped; else the camera drops */
};

/* A motion event as the detector reports it, and when the recorder can know of it. */
struct event {
	int64_t start, seen;      /* its start, and from when motion_tap_activity reports it open */
	int64_t end, end_seen;    /* its end, and from when it is reported ended */
};

/* The detector analyses pictures during [from, to): the last one analysed is min(now, to). */
struct window {
	int64_t from, to;
};

struct mode_change {
	int64_t at;     /* applied to the first packet at or after */
	int motion;
};

/* The org rotates the camera's epoch key (recorder_update, same address): applied to the
 * first packet at or after at; epoch 2 is the fixture's second key pair. */
struct rotation {
	int64_t at;
	uint32_t epoch;
};

struct script {
	const struct session *sess;
	int nsess;
	int gop;                        /* packets per GOP */
	int motion;                     /* recording on motion only from the start */
	const struct event *ev;
	int nev;
	const struct window *an;        /* when the detector analyses pictures; none: blind */
	int nan;
	int64_t delay_us;               /* the detector's minimum duration */
	const struct mode_change *mc;
	int nmc;
	const struct rotation *rot;
	int nrot;
	int live;                       /* a live-only consumer (recorder_params.live) */
	int live_off;                   /* ... with "live_while_paused": false */
	int unwatched;                  /* ... on demand (an enrolled gateway) and not watched */
};

/* The encoded source: one keyframe (with SPS/PPS in band) and the frames of its GOP. */
static struct {
	AVCodecParameters *par;
	AVPacket *key;
	AVPacket *p[SRC_P];
} g_src;

struct camera {
	int sessions;           /* sessions opened */
};

struct motion_tap {
	int ended;              /* motion_tap_stream_ended calls */
	int closed;
};

#define CAM_URL "rtsp://camera.invalid/stream"

/* What the fakes play and what they saw; reset by run(). */
static struct {
	const struct script *s;
	int64_t now;            /* the packet being delivered (the recorder's clock) */
	int cur;                /* session playing */
	int fi;                 /* its next packet */
	int nmc;                /* mode changes applied */
	int nrot;               /* key rotations applied */
	const uint8_t *epk2;    /* the epoch-2 public key the rotations hand over */
	struct recorder *rec;   /* as rec_session hands it to camera_set_idle */
	struct camera cam;
	struct motion_tap tap;
	int64_t sent[MAX_SENT]; /* wall time of every packet delivered */
	uint8_t sent_key[MAX_SENT];
	int nsent;
	/* The key motion_tap_packet was given with each packet delivered (an event the
	 * detector reports on that packet is sealed to it), and with the session's end. */
	uint32_t tap_epoch[MAX_SENT];
	uint8_t tap_pk[MAX_SENT][EPOCH_PK_LEN];
	uint32_t ended_epoch;
	uint8_t ended_pk[EPOCH_PK_LEN];
} play;

int64_t fake_now_us(void)
{
	return play.now;
}

int64_t fake_mono_us(void)
{
	return play.now;
}

int fake_nanosleep(const struct timespec *req, struct timespec *rem)
{
	return 0;
}

int fake_camera_open(struct camera **out, const char *url, const char *label, atomic_int *stop)
{
	if (play.cur + 1 >= play.s->nsess) {
		/* The script is over: stop the gateway, as recorder_signal does. */
		atomic_store(stop, 1);
		return CAMERA_E_STOPPED;
	}
	play.cur++;
	play.fi = 0;
	play.now = play.s->sess[play.cur].base;
	play.cam.sessions++;
	*out = &play.cam;
	return 0;
}

int fake_camera_read(struct camera *c, AVPacket *pkt)
{
	const struct session *se = &play.s->sess[play.cur];
	int k;

	if (play.fi == se->nframes) {
		if (!se->stop)
			return CAMERA_E_EOF;
		recorder_signal(play.rec);
		return CAMERA_E_STOPPED;
	}
	play.now = se->base + (int64_t)play.fi * FRAME_US;
	while (play.nmc < play.s->nmc && play.now >= play.s->mc[play.nmc].at) {
		struct recgate_mode m;

		recgate_mode_default(&m);
		m.motion_only = play.s->mc[play.nmc].motion;
		m.preroll_ms = PREROLL_MS;
		m.postroll_ms = POSTROLL_MS;
		m.live_while_paused = !play.s->live_off;
		recorder_set_mode(play.rec, &m);
		play.nmc++;
	}
	while (play.nrot < play.s->nrot && play.now >= play.s->rot[play.nrot].at) {
		/* As main.c does for a kept camera: the same address, a new key. A failure
		 * shows as a packet handed to the tap with the old key. */
		recorder_update(play.rec, CAM_URL, play.s->rot[play.nrot].epoch, play.epk2, 0);
		play.nrot++;
	}
	k = (se->first + play.fi) % play.s->gop;
	if (play.nsent == MAX_SENT ||
	    av_packet_ref(pkt, k == 0 ? g_src.key : g_src.p[(k - 1) % SRC_P]) < 0)
		return CAMERA_E_NOMEM;
	pkt->dts = pkt->pts = 900000 + (int64_t)play.fi * FRAME_DTS;
	pkt->duration = FRAME_DTS;
	if (k == 0)
		pkt->flags |= AV_PKT_FLAG_KEY;
	else
		pkt->flags &= ~AV_PKT_FLAG_KEY;
	play.sent[play.nsent] = play.now;
	play.sent_key[play.nsent] = k == 0;
	play.nsent++;
	play.fi++;
	return 0;
}

void fake_camera_set_idle(struct camera *c, void (*fn)(void *arg, int64_t now), void *arg)
{
	play.rec = arg;
}

const AVCodecParameters *fake_camera_codecpar(const struct camera *c)
{
	return g_src.par;
}

AVRational fake_camera_time_base(const struct camera *c)
{
	return (AVRational){ 1, 90000 };
}

AVRational fake_camera_frame_rate(const struct camera *c)
{
	return (AVRational){ 25, 1 };
}

int fake_camera_same_codec(const AVCodecParameters *a, const AVCodecParameters *b)
{
	return 1;
}

void fake_camera_close(struct camera *c)
{
}

struct motion_tap *fake_motion_tap_open(const uint8_t camera_id[CAMERA_ID_LEN], uint8_t stream,
    const char *label, const uint8_t sk[GATEWAY_SK_LEN])
{
	return &play.tap;
}

void fake_motion_tap_packet(struct motion_tap *t, const AVCodecParameters *par,
    const AVPacket *pkt, int64_t t_us, uint32_t epoch, const uint8_t epoch_pk[EPOCH_PK_LEN])
{
	/* Called once per packet, right after fake_camera_read delivered it. */
	if (play.nsent > 0) {
		play.tap_epoch[play.nsent - 1] = epoch;
		memcpy(play.tap_pk[play.nsent - 1], epoch_pk, EPOCH_PK_LEN);
	}
}

/* The script's motion at the current time: an event reported open, the last one reported
 * ended, the last picture analysed. */
void fake_motion_tap_activity(const struct motion_tap *t, struct recgate_motion *a)
{
	int i;

	memset(a, 0, sizeof(*a));
	a->delay_us = play.s->delay_us;
	for (i = 0; i < play.s->nev; i++) {
		const struct event *e = &play.s->ev[i];

		if (e->seen <= play.now && play.now < e->end_seen)
			a->open_start = e->start;
		if (e->end_seen <= play.now && e->end > a->last_end) {
			a->last_start = e->start;
			a->last_end = e->end;
		}
	}
	for (i = 0; i < play.s->nan; i++)
		if (play.s->an[i].from <= play.now)
			a->analysed_us = play.now < play.s->an[i].to ? play.now : play.s->an[i].to;
}

void fake_motion_tap_stream_ended(struct motion_tap *t, uint32_t epoch,
    const uint8_t epoch_pk[EPOCH_PK_LEN])
{
	t->ended++;
	play.ended_epoch = epoch;
	memcpy(play.ended_pk, epoch_pk, EPOCH_PK_LEN);
}

void fake_motion_tap_close(struct motion_tap *t)
{
	t->closed++;
}

/* ---- The live-only consumer, and the recorder's side of the hand-over ---- */

/*
 * With a script's live set, run() gives the recorder a struct liveonly and starts a consumer
 * thread that does what the uploader's live-only thread does: liveonly_wait for a link
 * newer than the last, then liveonly_read until LIVEONLY_END, keeping a copy of every link
 * it read whole; links that go LIVEONLY_GONE are counted apart. The recorder's calls go
 * through lo_*, which let the recorder thread go on only once the consumer has read every
 * byte appended (and seen the end of a link that ended, or the GONE of one dropped after
 * it started reading it): the scripted clock runs far faster than any reader, and a link
 * replaced unread would make the test depend on thread timing (replacement itself is
 * tested in test_gw_liveonly.c). The wrappers also note what the recorder was doing.
 */
struct live_copy {
	uint8_t *data;
	size_t len;
};

static struct {
	struct liveonly *q;
	pthread_t t;
	int started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	/* The producer (recorder thread, in lo_*). */
	uint64_t p_gen;         /* links begun */
	size_t p_len;           /* bytes appended to the current one */
	uint64_t p_seq;         /* the chain's next seq (r->seq) when it began */
	int begins, ends, drops, append_failed;
	int moved;              /* appends or ends while the chain had moved on since the begin */
	int while_recording;    /* begins, appends or ends while a stored segment was open */
	int64_t begin_at[MAX_LIVE];   /* play.now at each begin */
	int64_t append_at[MAX_SENT];  /* play.now at each append */
	int nappend;
	int stalled;            /* the consumer did not catch up within STALL_S */
	/* The consumer. */
	uint64_t c_gen;         /* the link being read */
	size_t c_off;           /* bytes of it read */
	uint64_t c_done;        /* the last link read to its END or GONE */
	struct live_copy links[MAX_LIVE];
	int nlinks;
	int gone;               /* links that went GONE while being read */
	int overflow;           /* more than MAX_LIVE links, or out of memory */
} lv;

#define STALL_S 10

/* Wait (lv.mu held) until cond holds, at most STALL_S; lv.stalled counts a timeout. */
#define LV_WAIT_UNTIL(cond) do { \
	struct timespec ts_; \
	clock_gettime(CLOCK_REALTIME, &ts_); \
	ts_.tv_sec += STALL_S; \
	while (!(cond)) \
		if (pthread_cond_timedwait(&lv.cv, &lv.mu, &ts_) != 0) { \
			lv.stalled++; \
			break; \
		} \
} while (0)

/* What the recorder was doing when it handed over live-only bytes. */
static void lo_note(void)
{
	if (play.rec != NULL && play.rec->w != NULL)
		lv.while_recording++;
	if (play.rec != NULL && play.rec->seq != lv.p_seq)
		lv.moved++;
}

static int lo_begin(struct liveonly *q)
{
	int rc = liveonly_begin(q);

	pthread_mutex_lock(&lv.mu);
	if (lv.begins < MAX_LIVE)
		lv.begin_at[lv.begins] = play.now;
	lv.begins++;
	lv.p_gen++;
	lv.p_len = 0;
	lv.p_seq = play.rec != NULL ? play.rec->seq : 0;
	lo_note();
	pthread_mutex_unlock(&lv.mu);
	return rc;
}

static int lo_append(struct liveonly *q, const uint8_t *p, size_t n)
{
	int rc = liveonly_append(q, p, n);
	uint64_t gen;

	pthread_mutex_lock(&lv.mu);
	gen = lv.p_gen;
	if (lv.nappend < MAX_SENT)
		lv.append_at[lv.nappend] = play.now;
	lv.nappend++;
	lo_note();
	if (rc == 0) {
		lv.p_len += n;
		LV_WAIT_UNTIL((lv.c_gen == gen && lv.c_off == lv.p_len) || lv.c_done == gen);
	} else {
		lv.append_failed++;
	}
	pthread_mutex_unlock(&lv.mu);
	return rc;
}

static void lo_end(struct liveonly *q)
{
	uint64_t gen;

	liveonly_end(q);
	pthread_mutex_lock(&lv.mu);
	gen = lv.p_gen;
	lv.ends++;
	lo_note();
	LV_WAIT_UNTIL(lv.c_done == gen);
	pthread_mutex_unlock(&lv.mu);
}

static void lo_drop(struct liveonly *q)
{
	uint64_t gen;

	liveonly_drop(q);
	pthread_mutex_lock(&lv.mu);
	gen = lv.p_gen;
	lv.drops++;
	/* A reader of it gets GONE; one that had not started on it is not offered it. */
	if (lv.c_gen == gen)
		LV_WAIT_UNTIL(lv.c_done == gen);
	pthread_mutex_unlock(&lv.mu);
}

static void *live_main(void *arg)
{
	static uint8_t tmp[65536];
	struct buf b;
	uint64_t last = 0, gen = 0;
	ssize_t n;
	int w;

	buf_init(&b, LIVEONLY_LINK_MAX);
	for (;;) {
		w = liveonly_wait(lv.q, last, &gen, 50);
		if (w == LIVEONLY_STOPPED)
			break;
		if (w != 1)
			continue;
		last = gen;
		buf_reset(&b);
		pthread_mutex_lock(&lv.mu);
		lv.c_gen = gen;
		lv.c_off = 0;
		pthread_mutex_unlock(&lv.mu);
		for (;;) {
			n = liveonly_read(lv.q, gen, b.len, tmp, sizeof(tmp), 50);
			if (n == LIVEONLY_AGAIN)
				continue;
			pthread_mutex_lock(&lv.mu);
			if (n > 0) {
				if (buf_put(&b, tmp, (size_t)n) != 0)
					lv.overflow++;
				lv.c_off = b.len;
			} else if (n == LIVEONLY_END) {
				struct live_copy *c = &lv.links[lv.nlinks];

				if (lv.nlinks == MAX_LIVE || (c->data = malloc(b.len)) == NULL) {
					lv.overflow++;
				} else {
					memcpy(c->data, b.data, b.len);
					c->len = b.len;
					lv.nlinks++;
				}
				lv.c_done = gen;
			} else {
				if (n == LIVEONLY_GONE)
					lv.gone++;
				lv.c_done = gen;
			}
			pthread_cond_broadcast(&lv.cv);
			pthread_mutex_unlock(&lv.mu);
			if (n <= 0)
				break;
		}
		if (n == LIVEONLY_STOPPED)
			break;
	}
	buf_free(&b);
	return NULL;
}

/* Before a run: a fresh hand-over and its consumer, when the script has one. */
static struct liveonly *live_start(const struct script *s)
{
	memset(&lv, 0, sizeof(lv));
	if (!s->live)
		return NULL;
	pthread_mutex_init(&lv.mu, NULL);
	pthread_cond_init(&lv.cv, NULL);
	lv.q = liveonly_new();
	assert_non_null(lv.q);
	liveonly_set_on_demand(lv.q, s->unwatched);
	assert_int_equal(pthread_create(&lv.t, NULL, live_main, NULL), 0);
	lv.started = 1;
	return lv.q;
}

/* After the recorder's thread ended (every hand-over done): stop the consumer. */
static void live_stop(void)
{
	if (!lv.started)
		return;
	liveonly_stop(lv.q);
	pthread_join(lv.t, NULL);
	lv.started = 0;
}

/* After the recorder is freed (p.live must outlive it). */
static void live_free(void)
{
	int i;

	live_stop();
	for (i = 0; i < lv.nlinks; i++)
		free(lv.links[i].data);
	if (lv.q != NULL) {
		liveonly_free(lv.q);
		pthread_cond_destroy(&lv.cv);
		pthread_mutex_destroy(&lv.mu);
	}
	memset(&lv, 0, sizeof(lv));
}

/* ---- The source: a 160x120 GOP from libx264, Annex-B, SPS/PPS before the IDR. ---- */

static int src_encode(void)
{
	const AVCodec *enc = avcodec_find_encoder_by_name("libx264");
	AVCodecContext *cc = NULL;
	AVFrame *f = NULL;
	AVPacket *p = NULL;
	int i, x, y, n = 0, ret = -1;

	if (enc == NULL)
		return -1;
	if ((cc = avcodec_alloc_context3(enc)) == NULL || (f = av_frame_alloc()) == NULL ||
	    (p = av_packet_alloc()) == NULL)
		goto out;
	cc->width = 160;
	cc->height = 120;
	cc->pix_fmt = AV_PIX_FMT_YUV420P;
	cc->time_base = (AVRational){ 1, 25 };
	cc->framerate = (AVRational){ 25, 1 };
	cc->gop_size = SRC_P + 1;
	cc->max_b_frames = 0;
	cc->thread_count = 1;
	av_opt_set(cc->priv_data, "preset", "veryfast", 0);
	av_opt_set(cc->priv_data, "x264-params", "keyint=25:min-keyint=25:scenecut=0:repeat-headers=1", 0);
	if (avcodec_open2(cc, enc, NULL) < 0 || (g_src.par = avcodec_parameters_alloc()) == NULL ||
	    avcodec_parameters_from_context(g_src.par, cc) < 0)
		goto out;
	f->format = cc->pix_fmt;
	f->width = cc->width;
	f->height = cc->height;
	if (av_frame_get_buffer(f, 0) < 0)
		goto out;
	for (i = 0; i <= SRC_P + 1; i++) {
		AVFrame *in = NULL;

		if (i <= SRC_P) {
			if (av_frame_make_writable(f) < 0)
				goto out;
			for (y = 0; y < cc->height; y++)
				for (x = 0; x < cc->width; x++)
					f->data[0][y * f->linesize[0] + x] = (uint8_t)(x + y + i * 3);
			memset(f->data[1], 128, (size_t)f->linesize[1] * (size_t)cc->height / 2);
			memset(f->data[2], 128, (size_t)f->linesize[2] * (size_t)cc->height / 2);
			f->pts = i;
			in = f;
		}
		if (avcodec_send_frame(cc, in) < 0)
			goto out;
		while (avcodec_receive_packet(cc, p) == 0) {
			/* The first packet is the keyframe, the next SRC_P its GOP. */
			if ((n == 0) != ((p->flags & AV_PKT_FLAG_KEY) != 0))
				goto out;
			if (n == 0)
				g_src.key = av_packet_clone(p);
			else if (n <= SRC_P)
				g_src.p[n - 1] = av_packet_clone(p);
			n++;
			av_packet_unref(p);
		}
	}
	ret = n == SRC_P + 1 ? 0 : -1;
out:
	av_packet_free(&p);
	av_frame_free(&f);
	avcodec_free_context(&cc);
	return ret;
}

static int group_setup(void **state)
{
	if (sodium_init() < 0)
		return -1;
	av_log_set_level(AV_LOG_ERROR);
	return src_encode();
}

static int group_teardown(void **state)
{
	int i;

	av_packet_free(&g_src.key);
	for (i = 0; i < SRC_P; i++)
		av_packet_free(&g_src.p[i]);
	avcodec_parameters_free(&g_src.par);
	return 0;
}

/* ---- One run and its chain ---- */

enum { SPAN_REC, SPAN_IDLE, SPAN_OFFLINE };

/* A stretch of the timeline: consecutive segments (REC), consecutive "no motion" gaps
 * (IDLE) or a camera-offline gap; paused: the REC stretch ends with SEG_END_PAUSED. */
struct span {
	int kind;
	int64_t from, to;
	int paused;
};

struct link {
	int gap;
	uint16_t reason;
	int64_t from, to;
	int paused;
	uint32_t epoch;         /* a segment: the epoch whose key opened it; a gap: 0 */
	uint64_t seq;
	uint8_t prev[CHAIN_HASH_LEN];
};

/* A live-only link the consumer read whole, verified and decrypted (verify_live). */
struct live {
	uint64_t seq;
	uint8_t prev[CHAIN_HASH_LEN];
	int64_t from, to;
	uint32_t epoch;         /* the epoch whose key opened it */
	int first, n;           /* its frames: lmedia[first .. first + n) */
};

struct fixture {
	char dir[64];
	uint8_t cam[CAMERA_ID_LEN];
	uint8_t gpk[GATEWAY_ID_LEN], gsk[GATEWAY_SK_LEN];
	uint8_t epk[EPOCH_PK_LEN], esk[EPOCH_SK_LEN];     /* epoch 1 */
	uint8_t epk2[EPOCH_PK_LEN], esk2[EPOCH_SK_LEN];   /* epoch 2 (struct rotation) */
	uint32_t key_epoch;             /* the epoch key_fn was last asked for */
	struct link links[MAX_LINKS];
	int nlinks;
	int64_t media[MAX_SENT];        /* every frame recorded, in chain order */
	uint8_t media_key[MAX_SENT];
	int nmedia;
	int inits;                      /* init chunks of the link being read */
	struct span spans[MAX_LINKS];
	int nspans;
	struct live lives[MAX_LIVE];    /* a script with live: the links collected, in order */
	int nlives;
	int64_t lmedia[MAX_SENT];       /* every frame of those, in order */
	uint8_t lmedia_key[MAX_SENT];
	int nlmedia;
	int lchunks;                    /* chunks of the live-only link being read */
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/vigil-recorder-XXXXXX");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	randombytes_buf(f->cam, sizeof(f->cam));
	crypto_sign_keypair(f->gpk, f->gsk);
	crypto_box_keypair(f->epk, f->esk);
	crypto_box_keypair(f->epk2, f->esk2);
	g_hold_max = hold_max_default;
	*state = f;
	return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	g_hold_max = hold_max_default;
	live_free();
	/* The directory is ours, made by mkdtemp under /tmp. */
	if (nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
		return -1;
	free(f);
	return 0;
}

static int key_fn(void *ctx, const uint8_t cam[CAMERA_ID_LEN], uint32_t epoch,
    uint8_t pk[EPOCH_PK_LEN], uint8_t sk[EPOCH_SK_LEN])
{
	struct fixture *f = ctx;

	if (memcmp(cam, f->cam, CAMERA_ID_LEN) != 0 || (epoch != 1 && epoch != 2))
		return -1;
	memcpy(pk, epoch == 1 ? f->epk : f->epk2, EPOCH_PK_LEN);
	memcpy(sk, epoch == 1 ? f->esk : f->esk2, EPOCH_SK_LEN);
	f->key_epoch = epoch;
	return 0;
}

/* Each decrypted chunk: one init chunk, then frames, never back in time. */
static int chunk_fn(void *ctx, const struct chunk_plain *c)
{
	struct fixture *f = ctx;

	if (c->kind == CHUNK_INIT) {
		assert_int_equal(f->inits, 0);
		assert_memory_equal(c->codec, "avc1.", 5);
		f->inits++;
		return 0;
	}
	assert_int_equal(c->kind, CHUNK_MEDIA);
	assert_int_equal(f->inits, 1);
	assert_true(f->nmedia < MAX_SENT);
	if (f->nmedia > 0)
		assert_true(c->wall_us > f->media[f->nmedia - 1]);
	f->media[f->nmedia] = c->wall_us;
	f->media_key[f->nmedia] = (c->flags & CHUNK_KEYFRAME) != 0;
	f->nmedia++;
	return 0;
}

static void read_link(struct spool_stream *ss, uint64_t seq, struct buf *out)
{
	uint8_t tmp[16384];
	ssize_t n;

	buf_reset(out);
	while ((n = spool_read(ss, seq, out->len, tmp, sizeof(tmp), 0)) > 0)
		assert_int_equal(buf_put(out, tmp, (size_t)n), 0);
	assert_int_equal(n, 0);
}

/* Verify every link of the stream in order: it opens with the gateway's key and decrypts,
 * the chain's seq and hashes follow on, nothing is left open or truncated, each link
 * starts where the one before ended, gaps have from < to, a segment starts with a keyframe
 * at its start time and its frames follow on without a hole. */
static void verify_chain(struct fixture *f, struct spool_stream *ss)
{
	struct chain ch;
	struct buf b;
	uint64_t from = 0, seq;
	int open;

	buf_init(&b, (size_t)64 * 1024 * 1024);
	chain_init(&ch, f->cam, 0);
	while (spool_next(ss, from, &seq, &open) == 0) {
		struct link_info li;
		struct link *l;
		int first = f->nmedia, i;

		assert_true(f->nlinks < MAX_LINKS);
		assert_int_equal(seq, (uint64_t)f->nlinks);
		assert_false(open);
		read_link(ss, seq, &b);
		memset(&li, 0, sizeof(li));
		f->inits = 0;
		f->key_epoch = 0;
		assert_int_equal(seg_open_link(b.data, b.len, f->gpk, key_fn, f, chunk_fn, f, &li),
		    SEG_OK);
		assert_int_equal(chain_check(&ch, &li), SEG_OK);
		assert_int_equal(li.seq, seq);
		assert_int_equal(li.last_seq, seq);
		assert_int_equal(li.stream, 0);
		assert_memory_equal(li.camera_id, f->cam, CAMERA_ID_LEN);
		assert_false(li.truncated);
		/* Live-only segments are never spooled (chain_check refuses them too). */
		assert_false(li.live_only);
		l = &f->links[f->nlinks];
		l->gap = li.is_gap;
		l->reason = li.gap_reason;
		l->from = li.start_us;
		l->to = li.end_us;
		l->paused = li.paused;
		l->epoch = f->key_epoch;
		l->seq = li.seq;
		memcpy(l->prev, li.prev_hash, CHAIN_HASH_LEN);
		assert_true(l->from < l->to);
		if (f->nlinks > 0)
			assert_int_equal(l->from, f->links[f->nlinks - 1].to);
		if (l->gap) {
			assert_true(l->reason == GAP_MOTION_IDLE || l->reason == GAP_CAMERA_OFFLINE);
			assert_int_equal(f->nmedia, first);
		} else {
			assert_true(f->nmedia > first);
			assert_int_equal(f->media[first], l->from);
			assert_true(f->media_key[first]);
			for (i = first + 1; i < f->nmedia; i++)
				assert_int_equal(f->media[i] - f->media[i - 1], FRAME_US);
			assert_true(f->media[f->nmedia - 1] < l->to);
		}
		f->nlinks++;
		from = seq + 1;
	}
	buf_free(&b);
	assert_true(f->nlinks > 0);
}

/* The chain state the spool recovers on the next start: the last link, committed. */
static void verify_reopen(struct fixture *f)
{
	struct spool *sp = spool_open(f->dir, (uint64_t)1 << 30);
	struct spool_stream *ss = NULL;
	uint8_t prev[CHAIN_HASH_LEN];
	uint64_t next = 0;
	int64_t last_end = 0;

	assert_non_null(sp);
	assert_int_equal(spool_stream_open(sp, f->cam, 0, f->gsk, &ss, &next, prev, &last_end), 0);
	assert_int_equal(next, (uint64_t)f->nlinks);
	assert_int_equal(last_end, f->links[f->nlinks - 1].to);
	spool_close(sp);
}

/* Fold the links into spans; a paused segment is followed by a gap (or nothing), and a
 * "no motion" gap follows a pause, an outage, another such gap, or opens the chain. */
static void make_spans(struct fixture *f)
{
	int i;

	f->nspans = 0;
	for (i = 0; i < f->nlinks; i++) {
		const struct link *l = &f->links[i];
		int kind = !l->gap ? SPAN_REC : l->reason == GAP_MOTION_IDLE ? SPAN_IDLE : SPAN_OFFLINE;
		struct span *last = f->nspans > 0 ? &f->spans[f->nspans - 1] : NULL;

		if (kind == SPAN_REC && last != NULL && last->kind == SPAN_REC)
			assert_false(last->paused);
		if (kind == SPAN_IDLE && last != NULL && last->kind == SPAN_REC)
			assert_true(last->paused);
		if (last != NULL && last->kind == kind && kind != SPAN_OFFLINE) {
			last->to = l->to;
			last->paused = l->paused;
			continue;
		}
		f->spans[f->nspans].kind = kind;
		f->spans[f->nspans].from = l->from;
		f->spans[f->nspans].to = l->to;
		f->spans[f->nspans].paused = l->paused;
		f->nspans++;
	}
}

static void print_spans(const struct fixture *f)
{
	static const char *names[] = { "REC", "IDLE", "OFFLINE" };
	int i;

	for (i = 0; i < f->nspans; i++)
		print_message("  %s %lld..%lld ms%s\n", names[f->spans[i].kind],
		    (long long)(f->spans[i].from - T0) / 1000, (long long)(f->spans[i].to - T0) / 1000,
		    f->spans[i].paused ? " paused" : "");
}

/* The timeline is exactly want, and the frames recorded are exactly the packets received
 * inside its REC spans, keyframes where the camera sent them. */
static void expect_spans(const struct fixture *f, const struct span *want, int n)
{
	int i, j = 0, s;

	if (f->nspans != n)
		print_spans(f);
	assert_int_equal(f->nspans, n);
	for (i = 0; i < n; i++) {
		if (f->spans[i].kind != want[i].kind || f->spans[i].from != want[i].from ||
		    f->spans[i].to != want[i].to || f->spans[i].paused != want[i].paused)
			print_spans(f);
		assert_int_equal(f->spans[i].kind, want[i].kind);
		assert_int_equal(f->spans[i].from, want[i].from);
		assert_int_equal(f->spans[i].to, want[i].to);
		assert_int_equal(f->spans[i].paused, want[i].paused);
	}
	for (i = 0; i < play.nsent; i++) {
		for (s = 0; s < n; s++)
			if (want[s].kind == SPAN_REC && want[s].from <= play.sent[i] && play.sent[i] < want[s].to)
				break;
		if (s == n)
			continue;
		assert_true(j < f->nmedia);
		assert_int_equal(f->media[j], play.sent[i]);
		assert_int_equal(f->media_key[j], play.sent_key[i]);
		j++;
	}
	assert_int_equal(j, f->nmedia);
}

/* The packet delivered at wall time t, or -1 (play.sent is increasing). */
static int sent_index(int64_t t)
{
	int lo = 0, hi = play.nsent - 1, mid;

	while (lo <= hi) {
		mid = (lo + hi) / 2;
		if (play.sent[mid] == t)
			return mid;
		if (play.sent[mid] < t)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}

/* Each decrypted chunk of a live-only link: the init chunk (codec, ftyp+moov) first, then
 * frames. */
static int live_chunk_fn(void *ctx, const struct chunk_plain *c)
{
	struct fixture *f = ctx;

	if (f->lchunks++ == 0) {
		assert_int_equal(c->kind, CHUNK_INIT);
		assert_memory_equal(c->codec, "avc1.", 5);
		assert_true(c->body_len > 8);
		assert_memory_equal(c->body + 4, "ftyp", 4);
		return 0;
	}
	assert_int_equal(c->kind, CHUNK_MEDIA);
	assert_true(f->nlmedia < MAX_SENT);
	f->lmedia[f->nlmedia] = c->wall_us;
	f->lmedia_key[f->nlmedia] = (c->flags & CHUNK_KEYFRAME) != 0;
	f->nlmedia++;
	return 0;
}

/*
 * The live-only links the consumer read whole, and how the recorder handed them over.
 * Every one: the hand-over never stalled, failed or overflowed; nothing was handed over
 * while a stored segment was open, and the chain did not move while a live-only link was
 * open (no link was stored between its begin and its end); it opens with the gateway's
 * key and an epoch key (seg_open_link), is a segment flagged live-only (not truncated,
 * not paused), starts with the init chunk then a keyframe at its start time, then the
 * rest of that GOP without a hole, and ends one frame after its last; every frame is a
 * packet as the camera sent it; links follow each other without overlap; it forks off
 * the chain where a stored link continues it: some stored link S has S.seq == L.seq and
 * S.prev_hash == L.prev_hash (and starts no later than L), and a verifier of the stored
 * chain refuses L in S's place (SEG_E_LIVE_ONLY).
 */
static void verify_live(struct fixture *f)
{
	int i, j, k;

	assert_int_equal(lv.stalled, 0);
	assert_int_equal(lv.overflow, 0);
	assert_int_equal(lv.append_failed, 0);
	assert_int_equal(lv.while_recording, 0);
	assert_int_equal(lv.moved, 0);
	f->nlives = 0;
	f->nlmedia = 0;
	for (i = 0; i < lv.nlinks; i++) {
		struct live *L = &f->lives[i];
		struct link_info li;
		struct chain ch;

		memset(&li, 0, sizeof(li));
		f->lchunks = 0;
		f->key_epoch = 0;
		L->first = f->nlmedia;
		assert_int_equal(seg_open_link(lv.links[i].data, lv.links[i].len, f->gpk, key_fn, f,
		    live_chunk_fn, f, &li), SEG_OK);
		assert_true(li.live_only);
		assert_false(li.is_gap);
		assert_false(li.truncated);
		assert_false(li.paused);
		assert_int_equal(li.stream, 0);
		assert_memory_equal(li.camera_id, f->cam, CAMERA_ID_LEN);
		assert_int_equal(li.last_seq, li.seq);
		L->seq = li.seq;
		memcpy(L->prev, li.prev_hash, CHAIN_HASH_LEN);
		L->from = li.start_us;
		L->to = li.end_us;
		L->epoch = f->key_epoch;
		L->n = f->nlmedia - L->first;
		assert_true(L->n > 0);
		assert_int_equal(f->lmedia[L->first], L->from);
		assert_true(f->lmedia_key[L->first]);
		for (k = L->first + 1; k < f->nlmedia; k++) {
			assert_int_equal(f->lmedia[k] - f->lmedia[k - 1], FRAME_US);
			assert_false(f->lmedia_key[k]);
		}
		assert_int_equal(L->to, f->lmedia[f->nlmedia - 1] + FRAME_US);
		for (k = L->first; k < f->nlmedia; k++) {
			int si = sent_index(f->lmedia[k]);
			assert_true(si >= 0);
			assert_int_equal(f->lmedia_key[k], play.sent_key[si]);
		}
		if (i > 0)
			assert_true(f->lives[i - 1].to <= L->from);
		for (j = 0; j < f->nlinks; j++)
			if (f->links[j].seq == L->seq)
				break;
		if (j == f->nlinks)
			fail_msg("live-only link %d (%lld ms) has seq %llu: no stored link has it", i,
			    (long long)(L->from - T0) / 1000, (unsigned long long)L->seq);
		assert_memory_equal(f->links[j].prev, L->prev, CHAIN_HASH_LEN);
		assert_true(f->links[j].from <= L->from);
		memset(&ch, 0, sizeof(ch));
		chain_init(&ch, f->cam, 0);
		ch.started = 1;
		ch.next_seq = L->seq;
		memcpy(ch.next_prev, L->prev, CHAIN_HASH_LEN);
		assert_int_equal(chain_check(&ch, &li), SEG_E_LIVE_ONLY);
		f->nlives++;
	}
}

/* The live-only links' frames are exactly the packets received in the n ranges [from, to)
 * (in order, each once): the paused time is shown live without a hole, and nothing else. */
static void expect_live_cover(const struct fixture *f, const struct window *want, int n)
{
	int i, s, j = 0;

	for (i = 0; i < play.nsent; i++) {
		for (s = 0; s < n; s++)
			if (want[s].from <= play.sent[i] && play.sent[i] < want[s].to)
				break;
		if (s == n)
			continue;
		if (j >= f->nlmedia || f->lmedia[j] != play.sent[i])
			fail_msg("live-only: packet at %lld ms missing (live frame %d of %d at %lld ms)",
			    (long long)(play.sent[i] - T0) / 1000, j, f->nlmedia,
			    j < f->nlmedia ? (long long)(f->lmedia[j] - T0) / 1000 : -1LL);
		j++;
	}
	if (j != f->nlmedia)
		fail_msg("live-only: frame at %lld ms outside the paused time",
		    (long long)(f->lmedia[j] - T0) / 1000);
}

/* No live-only link was begun, nor bytes handed over, while the recorder's clock was in
 * [from, to) (recording took over); an end handed over exactly at from is allowed. */
static void expect_no_live_during(int64_t from, int64_t to)
{
	int i;

	for (i = 0; i < lv.begins && i < MAX_LIVE; i++)
		if (lv.begin_at[i] >= from && lv.begin_at[i] < to)
			fail_msg("live-only link begun at %lld ms", (long long)(lv.begin_at[i] - T0) / 1000);
	for (i = 0; i < lv.nappend && i < MAX_SENT; i++)
		if (lv.append_at[i] > from && lv.append_at[i] < to)
			fail_msg("live-only bytes at %lld ms", (long long)(lv.append_at[i] - T0) / 1000);
}

/* Play the script through a recorder on a fresh spool, then verify what it spooled. */
static void run(struct fixture *f, const struct script *s)
{
	struct recorder_params p;
	struct recorder *r = NULL;
	struct recgate_budget *bud = recgate_budget_new(RECGATE_BUDGET_MAX_BYTES);
	struct spool *sp;
	struct spool_stream *ss;

	assert_non_null(bud);
	memset(&play, 0, sizeof(play));
	play.s = s;
	play.cur = -1;
	play.now = s->sess[0].base - 100000;
	play.epk2 = f->epk2;
	sp = spool_open(f->dir, (uint64_t)1 << 30);
	assert_non_null(sp);
	memset(&p, 0, sizeof(p));
	p.label = "cam";
	p.url = CAM_URL;
	p.sk = f->gsk;
	memcpy(p.camera_id, f->cam, CAMERA_ID_LEN);
	p.stream = 0;
	p.epoch = 1;
	memcpy(p.epoch_pk, f->epk, EPOCH_PK_LEN);
	p.segment_target_ms = 4000;
	recgate_mode_default(&p.mode);
	p.mode.motion_only = s->motion;
	p.mode.preroll_ms = PREROLL_MS;
	p.mode.postroll_ms = POSTROLL_MS;
	p.hold_budget = bud;
	/* Only the scenarios of live-only segments have somewhere to send them. */
	p.live = live_start(s);
	p.mode.live_while_paused = !s->live_off;
	assert_int_equal(recorder_start(&r, sp, &p), 0);
	ss = recorder_spool_stream(r);
	/* The thread ends by itself when the script stops it; recorder_stop would stop it at
	 * once, so wait for the thread first. */
	assert_int_equal(pthread_join(r->thread, NULL), 0);
	r->started = 0;
	live_stop();
	assert_false(r->failed);
	/* A hold lives only while its stream pauses: the session's end gave it back, with
	 * its share of the budget and every byte it held. */
	assert_null(r->hold);
	assert_int_equal(recgate_budget_used(bud), 0);
	recorder_stop(r);
	recgate_budget_free(bud);
	assert_int_equal(play.cam.sessions, s->nsess);
	assert_int_equal(play.tap.ended, s->nsess);
	assert_int_equal(play.tap.closed, 1);
	verify_chain(f, ss);
	spool_close(sp);
	verify_reopen(f);
	make_spans(f);
	if (s->live)
		verify_live(f);
}

static const struct window detector_up[] = { { 0, NEVER } };

/* 1. Continuous: every packet is recorded whatever the detector says (nothing moves);
 * the only gap is the outage, nothing is paused. */
static void test_continuous(void **state)
{
	static const struct session sess[] = {
		{ AT(0), 250, 0, 0 }, { AT(15000), 250, 0, 1 },
	};
	static const struct script s = {
		.sess = sess, .nsess = 2, .gop = 25, .motion = 0,
		.an = detector_up, .nan = 1, .delay_us = 300000,
	};
	static const struct span want[] = {
		{ SPAN_REC, AT(0), AT(10000), 0 },
		{ SPAN_OFFLINE, AT(10000), AT(15000), 0 },
		{ SPAN_REC, AT(15000), AT(25000), 0 },
	};
	struct fixture *f = *state;
	int i;

	run(f, &s);
	for (i = 0; i < f->nlinks; i++) {
		assert_false(f->links[i].gap && f->links[i].reason == GAP_MOTION_IDLE);
		assert_false(f->links[i].paused);
	}
	assert_int_equal(f->nmedia, play.nsent);
	expect_spans(f, want, 3);
}

/* 2. One event at 12.3-15.3 s, known 0.5 s late: recording starts at the keyframe at or
 * before 12.3 - 2 (pre-roll) = 10.3 s, i.e. 10 s, after a "no motion" gap from the first
 * packet, and pauses at the first keyframe at or after 15.3 + 2 (post-roll) = 17.3 s, i.e.
 * 18 s, the segment before it flagged. */
static void test_motion_event(void **state)
{
	static const struct session sess[] = { { AT(0), 750, 0, 1 } };
	static const struct event ev[] = { { AT(12300), AT(12800), AT(15300), AT(15800) } };
	static const struct script s = {
		.sess = sess, .nsess = 1, .gop = 25, .motion = 1, .ev = ev, .nev = 1,
		.an = detector_up, .nan = 1, .delay_us = 500000,
	};
	static const struct span want[] = {
		{ SPAN_IDLE, AT(0), AT(10000), 0 },
		{ SPAN_REC, AT(10000), AT(18000), 1 },
		{ SPAN_IDLE, AT(18000), AT(29960), 0 },
	};
	struct fixture *f = *state;
	int i, paused = 0;

	run(f, &s);
	expect_spans(f, want, 3);
	/* Exactly one segment is flagged: the one that ends at 18 s. */
	for (i = 0; i < f->nlinks; i++)
		if (f->links[i].paused) {
			assert_false(f->links[i].gap);
			assert_int_equal(f->links[i].to, AT(18000));
			assert_true(f->links[i + 1].gap);
			assert_int_equal(f->links[i + 1].reason, GAP_MOTION_IDLE);
			paused++;
		}
	assert_int_equal(paused, 1);
}

/* 2b. A detector with a 10 s minimum duration reports the event of 10 s at 20.3 s: the
 * pre-roll held covers it, recording starts at 10 - 2 = 8 s. */
static void test_motion_late_start(void **state)
{
	static const struct session sess[] = { { AT(0), 750, 0, 1 } };
	static const struct event ev[] = { { AT(10000), AT(20300), AT(22000), AT(22300) } };
	static const struct script s = {
		.sess = sess, .nsess = 1, .gop = 25, .motion = 1, .ev = ev, .nev = 1,
		.an = detector_up, .nan = 1, .delay_us = 10000000,
	};
	static const struct span want[] = {
		{ SPAN_IDLE, AT(0), AT(8000), 0 },
		{ SPAN_REC, AT(8000), AT(24000), 1 },
		{ SPAN_IDLE, AT(24000), AT(29960), 0 },
	};

	run(*state, &s);
	expect_spans(*state, want, 3);
}

/* 2c. An event that starts and ends between two packets (14.97-14.98 s, packets at 14.96
 * and 15 s): the packet at 15 s resumes from the event's start minus the pre-roll, the
 * keyframe at 12 s (not 13 s, the packet's time minus the pre-roll), and records the
 * post-roll, to the keyframe at 17 s. */
static void test_motion_between_packets(void **state)
{
	static const struct session sess[] = { { AT(0), 750, 0, 1 } };
	static const struct event ev[] = { { AT(14970), AT(14975), AT(14980), AT(14990) } };
	static const struct script s = {
		.sess = sess, .nsess = 1, .gop = 25, .motion = 1, .ev = ev, .nev = 1,
		.an = detector_up, .nan = 1, .delay_us = 5000,
	};
	static const struct span want[] = {
		{ SPAN_IDLE, AT(0), AT(12000), 0 },
		{ SPAN_REC, AT(12000), AT(17000), 1 },
		{ SPAN_IDLE, AT(17000), AT(29960), 0 },
	};

	run(*state, &s);
	expect_spans(*state, want, 3);
}

/* 2d. A pause of about a minute before the event: the "no motion" stretch is signed as it
 * goes on, in gaps of RECGATE_IDLE_TICK_US that follow on, and the event records as usual. */
static void test_motion_long_pause(void **state)
{
	static const struct session sess[] = { { AT(0), 1875, 0, 1 } };
	static const struct event ev[] = { { AT(60300), AT(60800), AT(61300), AT(61800) } };
	static const struct script s = {
		.sess = sess, .nsess = 1, .gop = 25, .motion = 1, .ev = ev, .nev = 1,
		.an = detector_up, .nan = 1, .delay_us = 500000,
	};
	static const struct span want[] = {
		{ SPAN_IDLE, AT(0), AT(58000), 0 },
		{ SPAN_REC, AT(58000), AT(64000), 1 },
		{ SPAN_IDLE, AT(64000), AT(74960), 0 },
	};

	const struct fixture *f = *state;
	int i, ticks = 0;

	run(*state, &s);
	expect_spans(*state, want, 3);
	/* The pause before the event was signed as it went on: a "no motion" gap each time it
	 * had advanced RECGATE_IDLE_TICK_US (up to the oldest frame held), then the rest. */
	for (i = 0; i < f->nlinks; i++) {
		const struct link *l = &f->links[i];
		if (!l->gap || l->reason != GAP_MOTION_IDLE || l->to > AT(58000))
			continue;
		if (l->to < AT(58000))
			assert_true(l->to - l->from >= RECGATE_IDLE_TICK_US);
		ticks++;
	}
	assert_int_equal(ticks, 2);
}

/* 3a. A motion-only camera whose detector never analysed a picture records everything:
 * no pause, no "no motion" gap. */
static void test_blind_never(void **state)
{
	static const struct session sess[] = { { AT(0), 500, 0, 1 } };
	static const struct script s = {
		.sess = sess, .nsess = 1, .gop = 25, .motion = 1, .delay_us = 300000,
	};
	static const struct span want[] = { { SPAN_REC, AT(0), AT(20000), 0 } };

	run(*state, &s);
	expect_spans(*state, want, 1);
}

/* 3b. The detector stops at 10 s and is back at 30 s, nothing moves: blind from 20.04 s
 * (nothing analysed for more than RECGATE_BLIND_US), recording resumes there with the
 * pre-roll (the keyframe at 18 s) and goes on without a pause until detection is back,
 * then pauses at once (30 s is a keyframe). */
static void test_blind_stale(void **state)
{
	static const struct session sess[] = { { AT(0), 1000, 0, 1 } };
	static const struct window an[] = { { 0, AT(10000) }, { AT(30000), NEVER } };
	static const struct script s = {
		.sess = sess, .nsess = 1, .gop = 25, .motion = 1,
		.an = an, .nan = 2, .delay_us = 300000,
	};
	static const struct span want[] = {
		{ SPAN_IDLE, AT(0), AT(18000), 0 },
		{ SPAN_REC, AT(18000), AT(30000), 1 },
		{ SPAN_IDLE, AT(30000), AT(39960), 0 },
	};
	struct fixture *f = *state;
	int i;

	assert_int_equal(RECGATE_BLIND_US, 10000000);
	run(f, &s);
	expect_spans(f, want, 3);
	for (i = 0; i < f->nlinks; i++)
		if (f->links[i].gap)
			assert_true(f->links[i].to <= AT(18000) || f->links[i].from >= AT(30000));
}

/* 4. The camera drops while paused (last packet 19.96 s) and comes back at 30 s, its first
 * keyframe at 30.6 s, while nothing moves: the pause ends at the last packet, the outage
 * runs to that keyframe, a new pause starts there, and the next event records from the
 * keyframe at or before 40 - 2 s (37.6 s) to the first at or after 41 + 2 s (43.6 s). */
static void test_offline_while_paused(void **state)
{
	static const struct session sess[] = {
		{ AT(0), 500, 0, 0 }, { AT(30000), 500, 10, 0 },
	};
	static const struct event ev[] = {
		{ AT(5000), AT(5300), AT(6000), AT(6300) },
		{ AT(40000), AT(40300), AT(41000), AT(41300) },
	};
	static const struct script s = {
		.sess = sess, .nsess = 2, .gop = 25, .motion = 1, .ev = ev, .nev = 2,
		.an = detector_up, .nan = 1, .delay_us = 300000,
	};
	static const struct span want[] = {
		{ SPAN_IDLE, AT(0), AT(3000), 0 },
		{ SPAN_REC, AT(3000), AT(8000), 1 },
		{ SPAN_IDLE, AT(8000), AT(19960), 0 },
		{ SPAN_OFFLINE, AT(19960), AT(30600), 0 },
		{ SPAN_IDLE, AT(30600), AT(37600), 0 },
		{ SPAN_REC, AT(37600), AT(43600), 1 },
		{ SPAN_IDLE, AT(43600), AT(49960), 0 },
	};

	run(*state, &s);
	expect_spans(*state, want, 7);
}

/* 5a. Stopped while paused: the pause is signed up to the last packet, no outage. */
static void test_stop_while_paused(void **state)
{
	static const struct session sess[] = { { AT(0), 300, 0, 1 } };
	static const struct event ev[] = { { AT(3000), AT(3300), AT(4000), AT(4300) } };
	static const struct script s = {
		.sess = sess, .nsess = 1, .gop = 25, .motion = 1, .ev = ev, .nev = 1,
		.an = detector_up, .nan = 1, .delay_us = 300000,
	};
	static const struct span want[] = {
		{ SPAN_IDLE, AT(0), AT(1000), 0 },
		{ SPAN_REC, AT(1000), AT(6000), 1 },
		{ SPAN_IDLE, AT(6000), AT(11960), 0 },
	};

	run(*state, &s);
	expect_spans(*state, want, 3);
}

/* 5b. Stopped while an event is open: the last segment ends one frame after the last
 * packet, signed, not paused, and no outage follows. */
static void test_stop_while_recording(void **state)
{
	static const struct session sess[] = { { AT(0), 300, 0, 1 } };
	static const struct event ev[] = { { AT(5000), AT(5300), NEVER, NEVER } };
	static const struct script s = {
		.sess = sess, .nsess = 1, .gop = 25, .motion = 1, .ev = ev, .nev = 1,
		.an = detector_up, .nan = 1, .delay_us = 300000,
	};
	static const struct span want[] = {
		{ SPAN_IDLE, AT(0), AT(3000), 0 },
		{ SPAN_REC, AT(3000), AT(12000), 0 },
	};
	struct fixture *f = *state;

	run(f, &s);
	expect_spans(f, want, 2);
	assert_false(f->links[f->nlinks - 1].gap);
}

/* 6. Continuous -> motion at 5.5 s pauses at the next keyframe (6 s); motion -> continuous
 * at 15.5 s resumes with the held pre-roll (from the keyframe at or before 13.5 s);
 * -> motion at 25.5 s pauses at 26 s. */
static void test_mode_change(void **state)
{
	static const struct session sess[] = { { AT(0), 750, 0, 1 } };
	static const struct mode_change mc[] = {
		{ AT(5500), 1 }, { AT(15500), 0 }, { AT(25500), 1 },
	};
	static const struct script s = {
		.sess = sess, .nsess = 1, .gop = 25, .motion = 0,
		.an = detector_up, .nan = 1, .delay_us = 300000, .mc = mc, .nmc = 3,
	};
	static const struct span want[] = {
		{ SPAN_REC, AT(0), AT(6000), 1 },
		{ SPAN_IDLE, AT(6000), AT(13000), 0 },
		{ SPAN_REC, AT(13000), AT(26000), 1 },
		{ SPAN_IDLE, AT(26000), AT(29960), 0 },
	};

	run(*state, &s);
	expect_spans(*state, want, 4);
}

/* 7. 4 s GOPs larger than the pre-roll's bound: a GOP is dropped whole once it outgrows
 * the bound, so the event of 13 s, heard at 14.5 s when the GOP of 12 s is already gone,
 * records from the next keyframe, 16 s, in whole GOPs without a hole; stopped at 27 s with
 * nothing held since early in the GOP of 24 s, the pause runs to the last packet (26.96 s)
 * and no camera-offline gap is invented. */
static void test_gop_over_hold_bound(void **state)
{
	static const struct session sess[] = { { AT(0), 675, 0, 1 } };
	static const struct event ev[] = { { AT(13000), AT(14500), AT(15000), AT(15500) } };
	static const struct script s = {
		.sess = sess, .nsess = 1, .gop = 100, .motion = 1, .ev = ev, .nev = 1,
		.an = detector_up, .nan = 1, .delay_us = 1500000,
	};
	static const struct span want[] = {
		{ SPAN_IDLE, AT(0), AT(16000), 0 },
		{ SPAN_REC, AT(16000), AT(20000), 1 },
		{ SPAN_IDLE, AT(20000), AT(26960), 0 },
	};
	struct fixture *f = *state;
	int i;

	/* A keyframe fits, a whole GOP does not (its frames' fragments pass 1 KiB within a
	 * few packets, long before 14.5 s). */
	g_hold_max = (size_t)g_src.key->size + 1024;
	run(f, &s);
	expect_spans(f, want, 3);
	for (i = 0; i < f->nlinks; i++)
		assert_false(f->links[i].gap && f->links[i].reason == GAP_CAMERA_OFFLINE);
}

/* 7b. A pause of 75 s with no motion on a stream whose keyframes are larger than the
 * pre-roll's bound: nothing can be held, yet the pause is signed as it goes on (a "no
 * motion" gap every RECGATE_IDLE_TICK_US, up to the frame received), so live viewers
 * never take the still scene for an outage. */
static void test_gop_over_hold_bound_long_pause(void **state)
{
	static const struct session sess[] = { { AT(0), 1875, 0, 1 } };
	static const struct script s = {
		.sess = sess, .nsess = 1, .gop = 100, .motion = 1,
		.an = detector_up, .nan = 1, .delay_us = 500000,
	};
	static const struct span want[] = {
		{ SPAN_IDLE, AT(0), AT(74960), 0 },
	};
	struct fixture *f = *state;
	int i, ticks = 0;

	g_hold_max = (size_t)g_src.key->size - 1;
	run(f, &s);
	expect_spans(f, want, 1);
	for (i = 0; i < f->nlinks; i++) {
		const struct link *l = &f->links[i];
		if (!l->gap || l->reason != GAP_MOTION_IDLE || l->to >= AT(74960))
			continue;
		assert_true(l->to - l->from >= RECGATE_IDLE_TICK_US);
		ticks++;
	}
	assert_int_equal(ticks, 2);
}

/* 9d. The long pause of a stream whose keyframes are over its pre-roll bound (it holds
 * nothing), seen live: every frame of every GOP still goes out live-only. Before, a stream
 * holding nothing passed only keyframes on, and live viewers got one frame per GOP. */
static void test_live_gop_over_hold_bound(void **state)
{
	static const struct session sess[] = { { AT(0), 1875, 0, 1 } };
	static const struct script s = {
		.sess = sess, .nsess = 1, .gop = 100, .motion = 1,
		.an = detector_up, .nan = 1, .delay_us = 500000, .live = 1,
	};
	static const struct span want[] = {
		{ SPAN_IDLE, AT(0), AT(74960), 0 },
	};
	/* 4 s GOPs: the one begun at 72 s is dropped unfinished at the session's end. */
	static const struct window paused[] = { { AT(0), AT(72000) } };
	struct fixture *f = *state;

	g_hold_max = (size_t)g_src.key->size - 1;
	run(f, &s);
	expect_spans(f, want, 1);
	expect_live_cover(f, paused, 1);
	assert_int_equal(f->nlives, 18);
	assert_int_equal(lv.drops, 1);
}

/* The key the tap was given with the packet received at wall time t. */
static int tap_packet_at(int64_t t)
{
	int i;

	for (i = 0; i < play.nsent; i++)
		if (play.sent[i] == t)
			return i;
	fail_msg("no packet at %lld ms", (long long)(t - T0) / 1000);
	return -1;
}

static void expect_tap_key(const struct fixture *f, int i, uint32_t epoch)
{
	if (play.tap_epoch[i] != epoch)
		print_message("  packet at %lld ms: tap given epoch %u, want %u\n",
		    (long long)(play.sent[i] - T0) / 1000, play.tap_epoch[i], epoch);
	assert_int_equal(play.tap_epoch[i], epoch);
	assert_memory_equal(play.tap_pk[i], epoch == 1 ? f->epk : f->epk2, EPOCH_PK_LEN);
}

/* 8a. The org rotates the key to epoch 2 at 6 s while recording is paused, and something
 * moves at 12.3 s (reported at 12.8 s): the event is sealed to epoch 2 from its first
 * version, since no segment holds the old key; so is every packet's from the rotation on,
 * the end of the session's, and the footage. (Before the fix the tap kept the epoch-1 key
 * until the event's own resume took the new one: a viewer removed by the rotation could
 * open the event's first version and thumbnail.) */
static void test_rotation_while_paused(void **state)
{
	static const struct session sess[] = { { AT(0), 750, 0, 1 } };
	static const struct event ev[] = { { AT(12300), AT(12800), AT(15300), AT(15800) } };
	static const struct rotation rot[] = { { AT(6000), 2 } };
	static const struct script s = {
		.sess = sess, .nsess = 1, .gop = 25, .motion = 1, .ev = ev, .nev = 1,
		.an = detector_up, .nan = 1, .delay_us = 500000, .rot = rot, .nrot = 1,
	};
	static const struct span want[] = {
		{ SPAN_IDLE, AT(0), AT(10000), 0 },
		{ SPAN_REC, AT(10000), AT(18000), 1 },
		{ SPAN_IDLE, AT(18000), AT(29960), 0 },
	};
	struct fixture *f = *state;
	int i, segs = 0;

	run(f, &s);
	expect_spans(f, want, 3);
	/* The packet on which the detector reports the event's start. */
	expect_tap_key(f, tap_packet_at(ev[0].seen), 2);
	for (i = 0; i < play.nsent; i++)
		expect_tap_key(f, i, play.sent[i] < rot[0].at ? 1 : 2);
	assert_int_equal(play.ended_epoch, 2);
	assert_memory_equal(play.ended_pk, f->epk2, EPOCH_PK_LEN);
	for (i = 0; i < f->nlinks; i++)
		if (!f->links[i].gap) {
			assert_int_equal(f->links[i].epoch, 2);
			segs++;
		}
	assert_true(segs > 0);
}

/* 8b. Rotated at 5 s while recording continuously: the open segment (4-8 s) keeps the
 * epoch-1 key it was sealed to, and so do the events reported during it; from the next
 * segment (8 s) on, both take epoch 2. The keyframe at 8 s itself is analysed before it
 * cuts the segment, under the key of the segment it ends, so it is not checked. */
static void test_rotation_while_recording(void **state)
{
	static const struct session sess[] = { { AT(0), 500, 0, 1 } };
	static const struct rotation rot[] = { { AT(5000), 2 } };
	static const struct script s = {
		.sess = sess, .nsess = 1, .gop = 25, .motion = 0,
		.an = detector_up, .nan = 1, .delay_us = 300000, .rot = rot, .nrot = 1,
	};
	static const struct span want[] = { { SPAN_REC, AT(0), AT(20000), 0 } };
	struct fixture *f = *state;
	int i;

	run(f, &s);
	expect_spans(f, want, 1);
	for (i = 0; i < play.nsent; i++)
		if (play.sent[i] != AT(8000))
			expect_tap_key(f, i, play.sent[i] < AT(8000) ? 1 : 2);
	assert_int_equal(play.ended_epoch, 2);
	for (i = 0; i < f->nlinks; i++) {
		assert_false(f->links[i].gap);
		assert_int_equal(f->links[i].epoch, f->links[i].from < AT(8000) ? 1 : 2);
	}
}

/* ---- Live-only segments while paused ---- */

/* The "no motion" gaps of a run, in order. */
static int idle_gaps(const struct fixture *f, struct window *out, int max)
{
	int i, n = 0;

	for (i = 0; i < f->nlinks; i++)
		if (f->links[i].gap && f->links[i].reason == GAP_MOTION_IDLE) {
			assert_true(n < max);
			out[n].from = f->links[i].from;
			out[n].to = f->links[i].to;
			n++;
		}
	return n;
}

static void print_gaps(const struct window *g, int n)
{
	int i;

	for (i = 0; i < n; i++)
		print_message("  idle gap %lld..%lld ms\n", (long long)(g[i].from - T0) / 1000,
		    (long long)(g[i].to - T0) / 1000);
}

/* A fresh spool directory for a second run in the same test (same keys). */
static void fixture_fresh(struct fixture *f)
{
	assert_int_equal(nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS), 0);
	snprintf(f->dir, sizeof(f->dir), "/tmp/vigil-recorder-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->nlinks = 0;
	f->nmedia = 0;
	f->nspans = 0;
	f->nlives = 0;
	f->nlmedia = 0;
}

/* The stored chains of two runs are the same link by link (seq, kind, gap reason, start,
 * end, paused flag) and hold the same frames (times, keyframes); the keys and bytes
 * differ. */
static void expect_same_chain(const struct fixture *base, const struct fixture *f)
{
	int i;

	assert_int_equal(f->nlinks, base->nlinks);
	for (i = 0; i < f->nlinks; i++) {
		assert_int_equal(f->links[i].seq, base->links[i].seq);
		assert_int_equal(f->links[i].gap, base->links[i].gap);
		assert_int_equal(f->links[i].reason, base->links[i].reason);
		assert_int_equal(f->links[i].from, base->links[i].from);
		assert_int_equal(f->links[i].to, base->links[i].to);
		assert_int_equal(f->links[i].paused, base->links[i].paused);
	}
	assert_int_equal(f->nmedia, base->nmedia);
	assert_memory_equal(f->media, base->media, sizeof(f->media[0]) * (size_t)f->nmedia);
	assert_memory_equal(f->media_key, base->media_key, (size_t)f->nmedia);
}

/* Run s with nowhere to send live-only segments (p.live NULL, as every scenario above;
 * the same script otherwise),
 * keep what it stored, and give the fixture a fresh spool for the run under test. */
static struct fixture *run_baseline(struct fixture *f, const struct script *s)
{
	struct script b = *s;
	struct fixture *copy = malloc(sizeof(*copy));

	assert_non_null(copy);
	b.live = 0;
	b.live_off = 0;
	run(f, &b);
	memcpy(copy, f, sizeof(*copy));
	fixture_fresh(f);
	return copy;
}

/* A pause of 73 s before an event: nothing moves from 0 to 75.8 s (the event of 75.3 s is
 * reported there), recording runs 73 - 79 s (pre-roll from the keyframe at or before
 * 73.3 s, post-roll to the first at or after 78.3 s) and pauses again from 79 s to the stop
 * at 99.96 s. The pause before the event is signed in three "no motion" gaps, two every
 * RECGATE_IDLE_TICK_US up to the oldest frame held (a keyframe: the hold keeps whole GOPs)
 * and the rest when recording resumes; the pause after it in one, at the stop. */
static const struct session long_sess[] = { { AT(0), 2500, 0, 1 } };
static const struct event long_ev[] = { { AT(75300), AT(75800), AT(76300), AT(76800) } };
static const struct span long_want[] = {
	{ SPAN_IDLE, AT(0), AT(73000), 0 },
	{ SPAN_REC, AT(73000), AT(79000), 1 },
	{ SPAN_IDLE, AT(79000), AT(99960), 0 },
};
static const struct window long_gaps[] = {
	{ AT(0), AT(30000) }, { AT(30000), AT(60000) }, { AT(60000), AT(73000) },
	{ AT(79000), AT(99960) },
};

/* The stored chain of that script: the timeline and the "no motion" gaps above, and
 * link by link what the recorder stores with no live-only hand-over at all. */
static void expect_long_chain(const struct fixture *base, const struct fixture *f)
{
	struct window g[MAX_LINKS];
	int i, n = idle_gaps(f, g, MAX_LINKS);
	int nwant = (int)(sizeof(long_gaps) / sizeof(long_gaps[0]));

	expect_spans(f, long_want, 3);
	if (n != nwant)
		print_gaps(g, n);
	assert_int_equal(n, nwant);
	for (i = 0; i < n; i++) {
		if (g[i].from != long_gaps[i].from || g[i].to != long_gaps[i].to)
			print_gaps(g, n);
		assert_int_equal(g[i].from, long_gaps[i].from);
		assert_int_equal(g[i].to, long_gaps[i].to);
	}
	expect_same_chain(base, f);
}

/* 9a. Live-only segments during that pause (the key rotated to epoch 2 at 40.5 s, mid-GOP).
 * - The stored chain is exactly what the recorder stores without live-only segments:
 *   the same links (seq, kind, times, flags) and frames as a run with p.live NULL, so the
 *   "no motion" gaps signed during the pause keep their ends (0-30, 30-60 s: the oldest
 *   frame held, a keyframe, either way); only the moment each is signed moves to the
 *   keyframe after its tick, once the live-only link of the GOP before it has ended
 *   (verify_live: the chain never moves while one is open). Rules out an end moved to a
 *   keyframe, which could happen only with nothing held. No live-only link is in the spool
 *   (verify_chain), and the chain verifies link by link with chain_check.
 * - Live-only: one link per GOP while paused, each verified by verify_live, whose frames
 *   are exactly the packets from the pause to the resume (0 - 75.76 s) and from the second
 *   pause to the last keyframe before the stop (79 - 98.96 s): no hole at all; the link of
 *   the GOP at 75 s ends at the resume (75.8 s); none is begun and no byte handed over
 *   while recording (after 75.8 s, before 79 s); the link open at the stop (99 s) is
 *   dropped, and its reader gets GONE.
 * - Each is forked off the chain at the "no motion" gap stored after it (same seq and
 *   prev_hash: the gap that followed it in the chain), and is sealed to the key current
 *   at its keyframe: epoch 1 before 40.5 s, 2 from 41 s.
 */
static void test_live_while_paused(void **state)
{
	static const struct rotation rot[] = { { AT(40500), 2 } };
	static const struct script s = {
		.sess = long_sess, .nsess = 1, .gop = 25, .motion = 1, .ev = long_ev, .nev = 1,
		.an = detector_up, .nan = 1, .delay_us = 500000, .rot = rot, .nrot = 1,
		.live = 1,
	};
	static const struct window paused[] = { { AT(0), AT(75800) }, { AT(79000), AT(99000) } };
	struct fixture *f = *state;
	struct fixture *base = run_baseline(f, &s);
	int i, j;

	run(f, &s);
	expect_long_chain(base, f);
	free(base);
	expect_live_cover(f, paused, 2);
	/* One link per GOP: 0, 1 .. 75 s and 79 .. 98 s whole, 99 s dropped at the stop. */
	assert_int_equal(f->nlives, 76 + 20);
	assert_int_equal(lv.begins, 76 + 21);
	assert_int_equal(lv.ends, 76 + 20);
	assert_int_equal(lv.drops, 1);
	assert_int_equal(lv.gone, 1);
	assert_int_equal(f->lives[75].from, AT(75000));
	assert_int_equal(f->lives[75].to, AT(75800));
	assert_int_equal(f->lives[76].from, AT(79000));
	expect_no_live_during(AT(75800), AT(79000));
	for (i = 0; i < f->nlives; i++) {
		const struct live *L = &f->lives[i];

		assert_int_equal(L->epoch, L->from < rot[0].at ? 1 : 2);
		for (j = 0; j < f->nlinks; j++)
			if (f->links[j].seq == L->seq)
				break;
		assert_true(f->links[j].gap);
		assert_int_equal(f->links[j].reason, GAP_MOTION_IDLE);
		assert_true(f->links[j].from <= L->from);
	}
	/* The stored links were all sealed to the key of their time (the segments come after
	 * the rotation). */
	for (i = 0; i < f->nlinks; i++)
		if (!f->links[i].gap)
			assert_int_equal(f->links[i].epoch, 2);
}

/* 9b. The same pause with "live_while_paused": false, and somewhere to send live-only
 * segments: none is begun, nothing handed over or dropped, and the stored chain is exactly
 * what the recorder stores with nowhere to send them (p.live NULL). */
static void test_live_off_while_paused(void **state)
{
	static const struct script s = {
		.sess = long_sess, .nsess = 1, .gop = 25, .motion = 1, .ev = long_ev, .nev = 1,
		.an = detector_up, .nan = 1, .delay_us = 500000, .live = 1, .live_off = 1,
	};
	struct fixture *f = *state;
	struct fixture *base = run_baseline(f, &s);

	run(f, &s);
	expect_long_chain(base, f);
	free(base);
	assert_int_equal(lv.begins, 0);
	assert_int_equal(lv.nappend, 0);
	assert_int_equal(lv.ends, 0);
	assert_int_equal(lv.drops, 0);
	assert_int_equal(lv.gone, 0);
	assert_int_equal(f->nlives, 0);
}

/* 9b'. The same pause on an enrolled gateway (live-only video on demand) whose server says
 * nobody watches: none is begun, and the stored chain is exactly what it is without. */
static void test_live_unwatched_while_paused(void **state)
{
	static const struct script s = {
		.sess = long_sess, .nsess = 1, .gop = 25, .motion = 1, .ev = long_ev, .nev = 1,
		.an = detector_up, .nan = 1, .delay_us = 500000, .live = 1, .unwatched = 1,
	};
	struct fixture *f = *state;
	struct fixture *base = run_baseline(f, &s);

	run(f, &s);
	expect_long_chain(base, f);
	free(base);
	assert_int_equal(lv.begins, 0);
	assert_int_equal(lv.nappend, 0);
	assert_int_equal(f->nlives, 0);
}

/* 9c. test_offline_while_paused with live-only segments: the camera drops while paused
 * (last packet 19.96 s) and the stream ends (49.96 s) while paused. The stored timeline is
 * test_offline_while_paused's. Each session end drops the live-only link it had open
 * (19 s, 49.6 s): its reader gets GONE, and no link spans the outage. The live-only frames
 * are exactly the packets of the pauses up to the last keyframe of a session that ends
 * paused: 0 - 5.28 s (resumed on the packet at 5.32 s, the first to hear of the event),
 * 8 - 18.96 s, 30.6 s (the first keyframe back) - 40.28 s (resumed at 40.32 s),
 * 43.6 - 49.56 s; none while recording. */
static void test_live_offline_while_paused(void **state)
{
	static const struct session sess[] = {
		{ AT(0), 500, 0, 0 }, { AT(30000), 500, 10, 0 },
	};
	static const struct event ev[] = {
		{ AT(5000), AT(5300), AT(6000), AT(6300) },
		{ AT(40000), AT(40300), AT(41000), AT(41300) },
	};
	static const struct script s = {
		.sess = sess, .nsess = 2, .gop = 25, .motion = 1, .ev = ev, .nev = 2,
		.an = detector_up, .nan = 1, .delay_us = 300000, .live = 1,
	};
	static const struct span want[] = {
		{ SPAN_IDLE, AT(0), AT(3000), 0 },
		{ SPAN_REC, AT(3000), AT(8000), 1 },
		{ SPAN_IDLE, AT(8000), AT(19960), 0 },
		{ SPAN_OFFLINE, AT(19960), AT(30600), 0 },
		{ SPAN_IDLE, AT(30600), AT(37600), 0 },
		{ SPAN_REC, AT(37600), AT(43600), 1 },
		{ SPAN_IDLE, AT(43600), AT(49960), 0 },
	};
	static const struct window paused[] = {
		{ AT(0), AT(5320) }, { AT(8000), AT(19000) }, { AT(30600), AT(40320) },
		{ AT(43600), AT(49600) },
	};
	struct fixture *f = *state;
	int i;

	run(f, &s);
	expect_spans(f, want, 7);
	expect_live_cover(f, paused, 4);
	assert_int_equal(lv.drops, 2);
	assert_int_equal(lv.gone, 2);
	assert_int_equal(lv.begins, f->nlives + 2);
	expect_no_live_during(AT(5320), AT(8000));
	expect_no_live_during(AT(40320), AT(43600));
	for (i = 0; i < f->nlives; i++)
		assert_true(f->lives[i].to <= AT(19960) || f->lives[i].from >= AT(30600));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_continuous, setup, teardown),
		cmocka_unit_test_setup_teardown(test_motion_event, setup, teardown),
		cmocka_unit_test_setup_teardown(test_motion_late_start, setup, teardown),
		cmocka_unit_test_setup_teardown(test_motion_between_packets, setup, teardown),
		cmocka_unit_test_setup_teardown(test_motion_long_pause, setup, teardown),
		cmocka_unit_test_setup_teardown(test_blind_never, setup, teardown),
		cmocka_unit_test_setup_teardown(test_blind_stale, setup, teardown),
		cmocka_unit_test_setup_teardown(test_offline_while_paused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_while_paused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_while_recording, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mode_change, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gop_over_hold_bound, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gop_over_hold_bound_long_pause, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rotation_while_paused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rotation_while_recording, setup, teardown),
		cmocka_unit_test_setup_teardown(test_live_while_paused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_live_off_while_paused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_live_unwatched_while_paused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_live_offline_while_paused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_live_gop_over_hold_bound, setup, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
