/* main.c - vigil-gateway's command line: enroll, keygen, id, and run (recorders and uploaders, from a local or an org-signed configuration, until a signal). */
#include <libgen.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>
#include <libavformat/avformat.h>
#include <libavutil/log.h>
#include <sodium.h>

#include "common/segment.h"
#include "common/util.h"
#include "gateway/cfgfetch.h"
#include "gateway/config.h"
#include "gateway/enrollc.h"
#include "gateway/events.h"
#include "gateway/liveonly.h"
#include "gateway/motion_tap.h"
#include "gateway/recorder.h"
#include "gateway/spool.h"
#include "gateway/uploader.h"

#define PATH_BUF 4200

static void usage(void)
{
	fprintf(stderr,
	    "usage: vigil-gateway enroll --server URL --code CODE --org FINGERPRINT --dir DIR\n"
	    "           [--wait SECONDS]\n"
	    "       vigil-gateway keygen --key PATH\n"
	    "       vigil-gateway id --key PATH\n"
	    "       vigil-gateway run --config PATH\n");
}

/* libav's own messages, as key=value lines; a line holding a URL is withheld because a
 * camera URL may carry credentials. */
static void av_log_cb(void *avcl, int level, const char *fmt, va_list vl)
{
	char line[512];
	int prefix = 1;
	size_t n;

	if (level > AV_LOG_WARNING)
		return;
	av_log_format_line2(avcl, level, fmt, vl, line, sizeof(line), &prefix);
	n = strlen(line);
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	if (strstr(line, "://") != NULL)
		log_msg(level <= AV_LOG_ERROR ? "error" : "warn", "libav", "msg=\"(withheld: names a URL)\"");
	else
		log_msg(level <= AV_LOG_ERROR ? "error" : "warn", "libav", "msg=\"%s\"", line);
}

static void print_id(const uint8_t *sk)
{
	char hex[2 * GATEWAY_ID_LEN + 1];

	/* The public key is the second half of the secret key. */
	hex_encode(sk + 32, GATEWAY_ID_LEN, hex);
	printf("gateway_id=%s\n", hex);
}

static int cmd_keygen(const char *path)
{
	uint8_t *sk = sodium_malloc(GATEWAY_SK_LEN);
	int ret = 1;

	if (sk == NULL)
		return 1;
	if (enrollc_key_create(path, sk) == 0) {
		print_id(sk);
		ret = 0;
	}
	sodium_free(sk);
	return ret;
}

static int cmd_id(const char *path)
{
	uint8_t *sk = sodium_malloc(GATEWAY_SK_LEN);
	int ret = 1;

	if (sk == NULL)
		return 1;
	if (enrollc_key_load(path, sk) == 0) {
		print_id(sk);
		ret = 0;
	}
	sodium_free(sk);
	return ret;
}

static int cmd_enroll(const struct enrollc_params *p)
{
	char id[2 * GATEWAY_ID_LEN + 1], msg[512];
	int rc;

	rc = enrollc_run(p, id, msg, sizeof(msg));
	if (rc != 0) {
		fprintf(stderr, "vigil-gateway: enrollment failed: %s\n", msg);
		return 1;
	}
	printf("gateway_id=%s\n", id);
	fprintf(stderr, "vigil-gateway: %s; run: vigil-gateway run --config %s/%s\n", msg, p->dir,
	    ENROLLC_CONFIG_FILE);
	return 0;
}

/* One recorded camera stream and its uploader. A stream dropped by a new configuration
 * keeps both: its recorder idles (its spool queue cannot be reopened) and its uploader
 * drains what is left. */
struct stream_run {
	uint8_t camera_id[CAMERA_ID_LEN];
	uint8_t stream;
	int active;
	struct recorder *rec;
	struct uploader *up;
	struct liveonly *live;        /* the stream's live-only segments, recorder to uploader */
	int det_set;                  /* det was handed to motion_tap for this camera */
	struct motion_params det;
};

struct runs {
	struct stream_run *v;
	size_t n, cap;
	struct recgate_budget *bud;  /* the pre-roll every motion-only stream shares */
	int on_demand;               /* live-only video only for streams someone watches */
};

/* Which streams someone watches live, from the configuration answers: a paused stream sends
 * live-only video only for those. */
static void runs_watched(struct runs *rs, struct cfgfetch *cf)
{
	int64_t now = now_us();
	size_t i;

	for (i = 0; i < rs->n; i++)
		if (rs->v[i].live != NULL)
			liveonly_set_watched(rs->v[i].live,
			    cfgfetch_watched(cf, rs->v[i].camera_id, rs->v[i].stream, now));
}

static struct stream_run *runs_find(struct runs *rs, const uint8_t *camera_id, uint8_t stream)
{
	size_t i;

	for (i = 0; i < rs->n; i++)
		if (rs->v[i].stream == stream &&
		    memcmp(rs->v[i].camera_id, camera_id, CAMERA_ID_LEN) == 0)
			return &rs->v[i];
	return NULL;
}

static int runs_start(struct runs *rs, struct spool *sp, const struct config *cfg,
    const struct config_camera *cam, size_t si, const uint8_t *sk)
{
	struct recorder_params p;
	struct stream_run *run;

	if (rs->n == rs->cap) {
		size_t cap = rs->cap == 0 ? 8 : rs->cap * 2;
		struct stream_run *v = realloc(rs->v, cap * sizeof(*v));
		if (v == NULL)
			return -1;
		rs->v = v;
		rs->cap = cap;
	}
	if (rs->bud == NULL) {
		size_t max = recgate_budget_default_bytes();

		/* Out of memory here: each stream keeps its own bound only. */
		if ((rs->bud = recgate_budget_new(max)) != NULL)
			log_info("gateway", "event=preroll_budget bytes=%zu", max);
	}
	run = &rs->v[rs->n];
	memset(run, 0, sizeof(*run));
	memset(&p, 0, sizeof(p));
	p.label = cam->label;
	p.url = cam->streams[si].url;
	p.sk = sk;
	memcpy(p.camera_id, cam->id, CAMERA_ID_LEN);
	p.stream = cam->streams[si].index;
	p.epoch = cam->epoch;
	memcpy(p.epoch_pk, cam->epoch_pk, EPOCH_PK_LEN);
	p.segment_target_ms = cfg->segment_target_ms;
	p.mode = cam->recording;
	p.hold_budget = rs->bud;
	/* Out of memory here: the stream shows nothing live while it pauses. */
	run->live = liveonly_new();
	if (run->live != NULL)
		liveonly_set_on_demand(run->live, rs->on_demand);
	p.live = run->live;
	if (recorder_start(&run->rec, sp, &p) != 0) {
		log_err("gateway", "event=recorder_start_failed camera=%s stream=%u", cam->label,
		    p.stream);
		liveonly_free(run->live);
		run->live = NULL;
		return -1;
	}
	memcpy(run->camera_id, cam->id, CAMERA_ID_LEN);
	run->stream = p.stream;
	run->active = 1;
	rs->n++;
	run->up = uploader_start(cfg->server, sk, recorder_spool_stream(run->rec), cam->id,
	    p.stream);
	if (run->up == NULL)
		log_warn("gateway", "event=uploader_start_failed camera=%s stream=%u", cam->label,
		    p.stream);
	else if (run->live != NULL && uploader_live_only(run->up, run->live) != 0)
		log_warn("gateway", "event=live_only_start_failed camera=%s stream=%u", cam->label,
		    p.stream);
	return 0;
}

static int rect_same(const struct motion_rect *a, const struct motion_rect *b)
{
	return a->x == b->x && a->y == b->y && a->w == b->w && a->h == b->h;
}

static int detection_same(const struct motion_params *a, const struct motion_params *b)
{
	size_t i;

	if (a->enabled != b->enabled || a->sensitivity != b->sensitivity ||
	    a->min_duration_ms != b->min_duration_ms || a->end_hold_ms != b->end_hold_ms ||
	    a->nzones != b->nzones || a->nmasks != b->nmasks)
		return 0;
	for (i = 0; i < a->nzones; i++)
		if (strcmp(a->zones[i].name, b->zones[i].name) != 0 ||
		    !rect_same(&a->zones[i].r, &b->zones[i].r))
			return 0;
	for (i = 0; i < a->nmasks; i++)
		if (!rect_same(&a->masks[i], &b->masks[i]))
			return 0;
	return 1;
}

/* Hand a camera's detection settings to its motion taps, only when they changed: a new
 * setting restarts the camera's detector (and ends an open event). */
static void runs_detection(struct runs *rs, const struct config_camera *cam)
{
	size_t i;
	int same = 0;

	for (i = 0; i < rs->n; i++)
		if (memcmp(rs->v[i].camera_id, cam->id, CAMERA_ID_LEN) == 0 && rs->v[i].det_set &&
		    detection_same(&rs->v[i].det, &cam->detection))
			same = 1;
	if (same)
		return;
	if (motion_tap_configure(cam->id, &cam->detection) != 0) {
		log_warn("gateway", "event=detection_not_applied camera=%s", cam->label);
		return;
	}
	log_info("gateway", "event=detection_configured camera=%s own=%d enabled=%d "
	    "sensitivity=%u min_duration_ms=%u zones=%zu masks=%zu", cam->label, cam->has_detection,
	    cam->detection.enabled, cam->detection.sensitivity, cam->detection.min_duration_ms,
	    cam->detection.nzones, cam->detection.nmasks);
	for (i = 0; i < rs->n; i++)
		if (memcmp(rs->v[i].camera_id, cam->id, CAMERA_ID_LEN) == 0) {
			rs->v[i].det = cam->detection;
			rs->v[i].det_set = 1;
		}
}

/* Make the running streams those of cfg: new ones start, kept ones take the new address,
 * epoch key (from their next segment), segment length and detection settings, dropped
 * ones idle. 0 or -1
 * (a stream that could not start; the others run). */
static int runs_apply(struct runs *rs, struct spool *sp, const struct config *cfg,
    const uint8_t *sk)
{
	static const uint8_t zero_pk[EPOCH_PK_LEN];
	char hex[2 * CAMERA_ID_LEN + 1];
	size_t i, j, n0 = rs->n;
	int ret = 0, *seen = NULL;

	if (n0 > 0 && (seen = calloc(n0, sizeof(*seen))) == NULL)
		return -1;
	for (i = 0; i < cfg->ncameras; i++) {
		const struct config_camera *cam = &cfg->cameras[i];
		for (j = 0; j < cam->nstreams; j++) {
			struct stream_run *run = runs_find(rs, cam->id, cam->streams[j].index);
			if (run == NULL) {
				if (runs_start(rs, sp, cfg, cam, j, sk) != 0)
					ret = -1;
				continue;
			}
			if ((size_t)(run - rs->v) < n0)
				seen[run - rs->v] = 1;
			if (recorder_update(run->rec, cam->streams[j].url, cam->epoch, cam->epoch_pk,
			    cfg->segment_target_ms) != 0) {
				ret = -1;
				continue;
			}
			recorder_set_mode(run->rec, &cam->recording);
			if (!run->active)
				log_info("gateway", "event=camera_resumed camera=%s stream=%u", cam->label,
				    run->stream);
			run->active = 1;
			uploader_retire(run->up, 0);
		}
		runs_detection(rs, cam);
	}
	/* Streams past n0 were started just now: all in cfg. */
	for (i = 0; i < n0; i++) {
		if (seen[i] || !rs->v[i].active)
			continue;
		hex_encode(rs->v[i].camera_id, CAMERA_ID_LEN, hex);
		recorder_update(rs->v[i].rec, NULL, 0, zero_pk, 0);
		uploader_retire(rs->v[i].up, 1);
		rs->v[i].active = 0;
		log_info("gateway", "event=camera_removed camera_id=%s stream=%u", hex,
		    rs->v[i].stream);
	}
	free(seen);
	return ret;
}

static void runs_stop(struct runs *rs)
{
	size_t i;

	/* Recorders first (each closes and signs its open segment), then the uploaders. */
	for (i = 0; i < rs->n; i++)
		recorder_signal(rs->v[i].rec);
	for (i = 0; i < rs->n; i++)
		recorder_stop(rs->v[i].rec);
	for (i = 0; i < rs->n; i++)
		uploader_stop(rs->v[i].up);
	for (i = 0; i < rs->n; i++)
		liveonly_free(rs->v[i].live);   /* after its recorder and uploader */
	free(rs->v);
	recgate_budget_free(rs->bud);  /* after every recorder that held from it */
	memset(rs, 0, sizeof(*rs));
}

/* DIR/name for the directory holding the configuration file. 0 or -1. */
static int beside(const char *cfgpath, const char *name, char *out, size_t n)
{
	char *tmp = strdup(cfgpath);
	int r = -1;

	if (tmp != NULL)
		r = snprintf(out, n, "%s/%s", dirname(tmp), name);
	free(tmp);
	return r < 0 || (size_t)r >= n ? -1 : 0;
}

static int cmd_run(const char *cfgpath)
{
	struct config *cfg = NULL, *next = NULL;
	struct spool *sp = NULL;
	struct events_sender *evs = NULL;
	struct runs rs = { NULL, 0, 0, NULL, 0 };
	struct cfgfetch *cf = NULL;
	struct cfgfetch_params fp;
	struct sigconfig_settings st;
	struct timespec tick = { 0, 250 * 1000000L };
	uint8_t *sk = sodium_malloc(GATEWAY_SK_LEN);
	uint8_t root_pk[STMT_KEY_LEN];
	char err[256], pin[PATH_BUF], state[PATH_BUF], last[PATH_BUF];
	sigset_t set;
	int sig = 0, ret = 1, signed_mode;

	if (sk == NULL)
		goto out;
	if (beside(cfgpath, ENROLLC_PIN_FILE, pin, sizeof(pin)) != 0 ||
	    beside(cfgpath, ENROLLC_STATE_FILE, state, sizeof(state)) != 0 ||
	    beside(cfgpath, ENROLLC_LAST_FILE, last, sizeof(last)) != 0) {
		log_err("gateway", "event=config_invalid path=%s msg=\"path too long\"", cfgpath);
		goto out;
	}
	/* An org.pin beside the configuration means enrolled: cameras come only from
	 * configuration signed by that org. */
	if ((signed_mode = enrollc_pin_load(pin, root_pk)) < 0)
		goto out;
	signed_mode = signed_mode == 0;
	if (config_load_opts(cfgpath, signed_mode ? CONFIG_ALLOW_NO_CAMERAS : 0, &cfg, err,
	    sizeof(err)) != 0) {
		log_err("gateway", "event=config_invalid path=%s msg=\"%s\"", cfgpath, err);
		goto out;
	}
	if (signed_mode && cfg->ncameras > 0) {
		log_err("gateway", "event=config_invalid path=%s msg=\"an enrolled gateway takes its "
		    "cameras only from its organization's signed configuration: remove cameras "
		    "from this file\"", cfgpath);
		goto out;
	}
	if (enrollc_key_load(cfg->key_file, sk) != 0)
		goto out;
	/* Motion events go up on their own thread (events.h); without it they are only logged. */
	if ((evs = events_start(cfg->server, sk)) == NULL)
		log_warn("gateway", "event=events_sender_unavailable msg=\"motion events are only logged\"");
	if (mkdir_p(cfg->spool_dir, 0700) != 0 ||
	    (sp = spool_open(cfg->spool_dir, cfg->spool_max_bytes)) == NULL) {
		log_err("gateway", "event=spool_open_failed path=%s", cfg->spool_dir);
		goto out;
	}

	/* Threads inherit this mask: only the main thread takes SIGINT and SIGTERM. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	if (!signed_mode) {
		if (runs_apply(&rs, sp, cfg, sk) != 0)
			goto stop;
		log_info("gateway", "event=running mode=local streams=%zu", rs.n);
		while (sigwait(&set, &sig) != 0)
			;
		log_info("gateway", "event=stopping signal=%d", sig);
		ret = 0;
		goto stop;
	}

	memset(&fp, 0, sizeof(fp));
	fp.server_url = cfg->server;
	fp.sk = sk;
	fp.root_pk = root_pk;
	fp.state_path = state;
	fp.last_path = last;
	fp.local = cfg;
	if (cfgfetch_open(&cf, &fp, err, sizeof(err)) != STMT_OK) {
		log_err("gateway", "event=signed_config_unusable msg=\"%s\"", err);
		goto stop;
	}
	if (cfgfetch_start(cf) != 0)
		goto stop;
	rs.on_demand = 1;
	log_info("gateway", "event=running mode=signed msg=\"cameras start when the "
	    "organization's signed configuration arrives\"");
	for (;;) {
		sig = sigtimedwait(&set, NULL, &tick);
		if (sig > 0)
			break;
		runs_watched(&rs, cf);
		if (cfgfetch_take(cf, &next, &st) != 1)
			continue;
		if (runs_apply(&rs, sp, next, sk) != 0)
			log_err("gateway", "event=config_partly_applied msg=\"a stream could not start\"");
		log_info("gateway", "event=running mode=signed streams=%zu cameras=%zu", rs.n,
		    next->ncameras);
		config_free(next);
		next = NULL;
	}
	log_info("gateway", "event=stopping signal=%d", sig);
	ret = 0;
stop:
	cfgfetch_close(cf);
	runs_stop(&rs);
out:
	events_stop(evs);
	spool_close(sp);
	config_free(cfg);
	sodium_free(sk);
	return ret;
}

int main(int argc, char **argv)
{
	int ret;

	if (sodium_init() < 0) {
		fprintf(stderr, "vigil-gateway: libsodium failed to initialise\n");
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	if (argc >= 2 && strcmp(argv[1], "enroll") == 0) {
		struct enrollc_params ep;
		int64_t v;
		int i;

		memset(&ep, 0, sizeof(ep));
		for (i = 2; i + 1 < argc; i += 2) {
			if (strcmp(argv[i], "--server") == 0)
				ep.server = argv[i + 1];
			else if (strcmp(argv[i], "--code") == 0)
				ep.code = argv[i + 1];
			else if (strcmp(argv[i], "--org") == 0)
				ep.org = argv[i + 1];
			else if (strcmp(argv[i], "--dir") == 0)
				ep.dir = argv[i + 1];
			else if (strcmp(argv[i], "--wait") == 0 &&
			    parse_i64(argv[i + 1], 1, 7 * 24 * 3600, &v) == 0)
				ep.wait_s = (int)v;
			else
				break;
		}
		if (i != argc || ep.server == NULL || ep.code == NULL || ep.org == NULL ||
		    ep.dir == NULL) {
			usage();
			return 2;
		}
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
			fprintf(stderr, "vigil-gateway: libcurl failed to initialise\n");
			return 1;
		}
		ret = cmd_enroll(&ep);
		curl_global_cleanup();
		return ret;
	}
	if (argc != 4) {
		usage();
		return 2;
	}
	if (strcmp(argv[1], "keygen") == 0 && strcmp(argv[2], "--key") == 0)
		return cmd_keygen(argv[3]);
	if (strcmp(argv[1], "id") == 0 && strcmp(argv[2], "--key") == 0)
		return cmd_id(argv[3]);
	if (strcmp(argv[1], "run") != 0 || strcmp(argv[2], "--config") != 0) {
		usage();
		return 2;
	}
	av_log_set_callback(av_log_cb);
	avformat_network_init();
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
		fprintf(stderr, "vigil-gateway: libcurl failed to initialise\n");
		return 1;
	}
	ret = cmd_run(argv[3]);
	curl_global_cleanup();
	avformat_network_deinit();
	return ret;
}
