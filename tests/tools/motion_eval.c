/* motion_eval.c - measures the gateway's motion detection on scripted scenes faster than real time: render, H.264 encode, decode, detect, score against ground truth. */
/*
 * usage: motion_eval [--seed N] [--minutes M] [--quiet-minutes Q] [--fps F] [--size WxH]
 *                    [--keyframes-only] [--check]
 *        motion_eval --open PAYLOAD_HEX_FILE --pk HEX --sk HEX [--jpeg OUT]
 *        motion_eval --seal JPEG_FILE --pk HEX --id HEX32 --camera HEX32 --start US
 *        motion_eval --keypair   (prints "PK SK" in hex: an epoch keypair for tests)
 *        motion_eval --write FILE.h264 --seconds S [--seed N] [--fps F] [--size WxH]
 * Runs a scene with scripted entries for M minutes (default 25) and a distractor-only
 * scene for Q minutes (default 60), each rendered at F fps (15) and WxH (640x360),
 * encoded with libx264 (GOP 2 s, ~600 kbit/s), decoded and detected by the gateway's
 * own code with the default parameters and a mask over the flickering region. The two
 * scenes run at the same time: the distractor scene in a child process that sends its
 * counts back through a pipe (each process measures its own detection CPU time). Prints
 * key=value results; with --check exits 1 unless recall >= 0.95 over >= 40 entries and
 * false events <= 1 per camera-hour. Exits 2 on a usage error or a scene that failed.
 *
 * --open unseals one event payload (as the server lists it) with a camera's epoch keypair,
 * prints its metadata JSON and writes the thumbnail: the viewer's side, for tests.
 *
 * --seal prints (hex) an event payload with that thumbnail, sealed to the epoch key pk.
 * --write encodes S seconds of the scripted scene (with its flicker) to an H.264 Annex-B
 * file (High profile, GOP 2 s, in-band headers) for camsim --replay: the benchmark's input.
 *
 * Tools link only libcommon, so the gateway and camsim modules under test are compiled
 * into this program from their sources.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <libavcodec/avcodec.h>
#include <libavutil/log.h>
#include <libavutil/opt.h>

#include "gateway/motion.c"
#include "gateway/motion_cam.c"
#include "camsim/scene.c"
#include "gateway/auth.c"
#include "gateway/events.c"
#include "common/util.h"

#define MAX_EVENTS 100000

struct eval_ev {
	int64_t start_us, end_us;
	size_t thumb;
};

struct collect {
	struct eval_ev ev[MAX_EVENTS];
	size_t n;
	size_t thumbs;
};

static void on_report(void *ctx, const struct motion_report *r)
{
	struct collect *c = ctx;

	if (r->change == MOTION_START && c->n < MAX_EVENTS) {
		c->ev[c->n].start_us = r->ev.start_us;
		c->ev[c->n].end_us = 0;
		c->ev[c->n].thumb = r->jpeg_len;
		c->n++;
	} else if (r->change == MOTION_END && c->n > 0) {
		c->ev[c->n - 1].end_us = r->ev.end_us;
		if (r->jpeg != NULL && r->jpeg_len > 4 && r->jpeg[0] == 0xff && r->jpeg[1] == 0xd8)
			c->thumbs++;
	}
}

struct opts {
	uint64_t seed;
	int64_t minutes, quiet_minutes, fps;
	int w, h, keyonly, check;
};

static int parse_size(const char *s, int *w, int *h)
{
	char a[16];
	const char *x = strchr(s, 'x');
	int64_t vw, vh;
	size_t n;

	if (x == NULL || (n = (size_t)(x - s)) == 0 || n >= sizeof(a))
		return -1;
	memcpy(a, s, n);
	a[n] = '\0';
	if (parse_i64(a, 64, 4096, &vw) != 0 || parse_i64(x + 1, 36, 4096, &vh) != 0 ||
	    (vw & 1) || (vh & 1))
		return -1;
	*w = (int)vw;
	*h = (int)vh;
	return 0;
}

/* Run one scene through encode -> decode -> detect. Events go to col; cpu_s gets the
 * detection (decode + detect) CPU time. 0 or -1. */
static int run_scene(const struct opts *o, struct scene *sc, int64_t dur_us, struct collect *col,
    double *det_cpu_s, uint64_t *frames_out)
{
	const AVCodec *enc_c = avcodec_find_encoder_by_name("libx264");
	AVCodecContext *enc = NULL;
	AVCodecParameters *par = NULL;
	AVFrame *fr = NULL;
	AVPacket *pkt = NULL;
	struct motion_cam *mc = NULL;
	struct motion_params mp;
	uint16_t fl[4];
	int64_t i, nframes = dur_us * o->fps / 1000000;
	struct timespec a, b;
	int ret = -1, rc;

	*det_cpu_s = 0;
	motion_params_default(&mp);
	scene_flicker_rect(sc, fl);
	/* the mask covers the flicker with a margin of 2% */
	mp.nmasks = 1;
	mp.masks[0].x = (uint16_t)(fl[0] - 20);
	mp.masks[0].y = (uint16_t)(fl[1] - 20);
	mp.masks[0].w = (uint16_t)(fl[2] + 40 > 1000 - mp.masks[0].x ? 1000 - mp.masks[0].x : fl[2] + 40);
	mp.masks[0].h = (uint16_t)(fl[3] + 40);
	if (motion_cam_new(&mc, "eval", &mp, on_report, col) != 0)
		goto out;
	if (enc_c == NULL || (enc = avcodec_alloc_context3(enc_c)) == NULL)
		goto out;
	enc->width = o->w;
	enc->height = o->h;
	enc->pix_fmt = AV_PIX_FMT_YUV420P;
	enc->time_base = (AVRational){ 1, (int)o->fps };
	enc->framerate = (AVRational){ (int)o->fps, 1 };
	enc->gop_size = (int)o->fps * 2;
	enc->max_b_frames = 0;
	enc->bit_rate = (int64_t)o->w * o->h * o->fps / 6; /* ~575 kbit/s at 360p15 */
	enc->thread_count = 1;
	enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
	av_opt_set(enc->priv_data, "preset", "ultrafast", 0);
	av_opt_set(enc->priv_data, "tune", "zerolatency", 0);
	if (avcodec_open2(enc, enc_c, NULL) < 0)
		goto out;
	if ((par = avcodec_parameters_alloc()) == NULL ||
	    avcodec_parameters_from_context(par, enc) < 0)
		goto out;
	if ((fr = av_frame_alloc()) == NULL || (pkt = av_packet_alloc()) == NULL)
		goto out;
	fr->format = AV_PIX_FMT_YUV420P;
	fr->width = o->w;
	fr->height = o->h;
	if (av_frame_get_buffer(fr, 0) < 0)
		goto out;
	memset(fr->data[1], 128, (size_t)fr->linesize[1] * (size_t)(o->h / 2));
	memset(fr->data[2], 128, (size_t)fr->linesize[2] * (size_t)(o->h / 2));
	for (i = 0; i < nframes; i++) {
		int64_t t = i * 1000000 / o->fps;
		if (av_frame_make_writable(fr) < 0 ||
		    scene_render(sc, t, fr->data[0], o->w, o->h, fr->linesize[0]) != 0)
			goto out;
		fr->pts = i;
		if (avcodec_send_frame(enc, fr) < 0)
			goto out;
		while ((rc = avcodec_receive_packet(enc, pkt)) == 0) {
			int64_t pt = pkt->pts * 1000000 / o->fps;
			clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
			motion_cam_packet(mc, par, pkt, pt, o->keyonly);
			clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
			*det_cpu_s += (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
			av_packet_unref(pkt);
		}
		if (rc != AVERROR(EAGAIN))
			goto out;
	}
	motion_cam_flush(mc);
	*frames_out = motion_cam_frames(mc);
	ret = 0;
out:
	motion_cam_free(mc);
	avcodec_free_context(&enc);
	avcodec_parameters_free(&par);
	av_frame_free(&fr);
	av_packet_free(&pkt);
	return ret;
}

/* What the distractor scene's process sends back to its parent. */
struct quiet_result {
	uint64_t events, frames;
	double cpu_s;
};

/* The child's side: runs the distractor scene, writes a struct quiet_result to fd and
 * ends the process (status 0 sent, 1 not) without flushing the parent's stdio. */
static _Noreturn void quiet_child(const struct opts *o, int fd)
{
	struct quiet_result r = { 0, 0, 0 };
	struct collect *col = calloc(1, sizeof(*col));
	struct scene *sc = NULL;
	const unsigned char *p = (const unsigned char *)&r;
	size_t off = 0;
	ssize_t n;
	int ret = 1;

	/* a failed scene is reported by the parent, which sees no result */
	if (col == NULL || scene_new(&sc, o->seed + 1, o->quiet_minutes * 60000000, 0) != 0 ||
	    run_scene(o, sc, o->quiet_minutes * 60000000, col, &r.cpu_s, &r.frames) != 0)
		goto out;
	r.events = col->n;
	while (off < sizeof(r)) {
		n = write(fd, p + off, sizeof(r) - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "motion_eval: writing the distractor results: %s\n", strerror(errno));
			goto out;
		}
		off += (size_t)n;
	}
	ret = 0;
out:
	scene_free(sc);
	free(col);
	if (close(fd) != 0)
		ret = 1;
	_exit(ret);
}

/* Forks the distractor scene into a child, before this process has started any thread;
 * *pid and *fd (the pipe's read end) are the parent's to pass to quiet_finish, also when
 * this returns -1 with *pid > 0. 0 or -1. */
static int quiet_start(const struct opts *o, pid_t *pid, int *fd)
{
	int p[2];

	if (pipe(p) != 0) {
		fprintf(stderr, "motion_eval: pipe: %s\n", strerror(errno));
		return -1;
	}
	*pid = fork();
	if (*pid < 0) {
		fprintf(stderr, "motion_eval: fork: %s\n", strerror(errno));
		(void)close(p[0]);
		(void)close(p[1]);
		return -1;
	}
	if (*pid == 0) {
		if (close(p[0]) != 0)
			_exit(1);
		quiet_child(o, p[1]);
	}
	*fd = p[0];
	/* the child must hold the only write end, or the parent would never see EOF */
	if (close(p[1]) != 0) {
		fprintf(stderr, "motion_eval: close: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

/* Reads the child's results, closes *fd and reaps the child (*pid and *fd become -1). 0
 * when it sent a whole result and exited with status 0, else -1. */
static int quiet_finish(pid_t *pid, int *fd, struct quiet_result *r)
{
	unsigned char *p = (unsigned char *)r;
	size_t off = 0;
	ssize_t n;
	int st = 0, ret = 0;

	while (off < sizeof(*r)) {
		n = read(*fd, p + off, sizeof(*r) - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ret = -1;
			break;
		}
		off += (size_t)n;
	}
	if (close(*fd) != 0)
		ret = -1;
	*fd = -1;
	while (waitpid(*pid, &st, 0) < 0) {
		if (errno != EINTR) {
			ret = -1;
			break;
		}
	}
	*pid = -1;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		ret = -1;
	return ret;
}

static int overlaps(const struct eval_ev *e, int64_t a, int64_t b)
{
	int64_t end = e->end_us != 0 ? e->end_us : INT64_MAX;

	return e->start_us < b && end > a;
}

/* --open: 0 opened, 1 not. */
static int open_event(int argc, char **argv)
{
	const char *in = NULL, *pkh = NULL, *skh = NULL, *out = NULL, *gwh = NULL;
	uint8_t pk[EPOCH_PK_LEN], sk[EPOCH_PK_LEN], gw[GATEWAY_ID_LEN], want[GATEWAY_ID_LEN];
	uint8_t *sealed = NULL;
	char gwhex[2 * GATEWAY_ID_LEN + 1];
	struct buf hex, json, jpeg;
	int i, ret = 1;

	buf_init(&hex, 2 * (EVENTS_PLAIN_MAX + 64) + 2);
	buf_init(&json, EVENTS_META_MAX + 1);
	buf_init(&jpeg, EVENTS_PLAIN_MAX);
	for (i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--open") == 0)
			in = argv[i + 1];
		else if (strcmp(argv[i], "--pk") == 0)
			pkh = argv[i + 1];
		else if (strcmp(argv[i], "--sk") == 0)
			skh = argv[i + 1];
		else if (strcmp(argv[i], "--jpeg") == 0)
			out = argv[i + 1];
		else if (strcmp(argv[i], "--gateway") == 0)
			gwh = argv[i + 1];
	}
	if (sodium_init() < 0)
		goto out;
	if (in == NULL || pkh == NULL || skh == NULL || strlen(pkh) != 64 || strlen(skh) != 64 ||
	    hex_decode(pkh, pk, sizeof(pk)) != 0 || hex_decode(skh, sk, sizeof(sk)) != 0 ||
	    (gwh != NULL && (strlen(gwh) != 64 || hex_decode(gwh, want, sizeof(want)) != 0))) {
		fprintf(stderr, "usage: motion_eval --open FILE --pk HEX64 --sk HEX64 [--gateway HEX64] "
		    "[--jpeg OUT]\n");
		goto out;
	}
	if (file_read(in, &hex, hex.max - 1) != 0)
		goto out;
	while (hex.len > 0 && (hex.data[hex.len - 1] == '\n' || hex.data[hex.len - 1] == '\r'))
		hex.len--;
	if (hex.len % 2 != 0 || buf_put_u8(&hex, 0) != 0 || (sealed = malloc(hex.len / 2)) == NULL ||
	    hex_decode((const char *)hex.data, sealed, (hex.len - 1) / 2) != 0)
		goto out;
	if (events_unseal(sealed, (hex.len - 1) / 2, pk, sk, gw, &json, &jpeg) != 0) {
		fprintf(stderr, "motion_eval: cannot open the payload with this key, or it is not "
		    "signed\n");
		goto out;
	}
	hex_encode(gw, sizeof(gw), gwhex);
	fprintf(stderr, "motion_eval: signed by gateway %s\n", gwhex);
	if (gwh != NULL && sodium_memcmp(gw, want, sizeof(gw)) != 0) {
		fprintf(stderr, "motion_eval: signed by another gateway than --gateway\n");
		goto out;
	}
	printf("%s\n", (const char *)json.data);
	if (out != NULL && file_write_atomic(out, jpeg.data, jpeg.len, 0600) != 0)
		goto out;
	ret = 0;
out:
	sodium_memzero(sk, sizeof(sk));
	free(sealed);
	buf_free(&hex);
	buf_free(&json);
	buf_free(&jpeg);
	return ret;
}

/* --write: 0 written, 1 not. */
static int write_scene(const struct opts *o, const char *path, int64_t seconds)
{
	const AVCodec *enc_c = avcodec_find_encoder_by_name("libx264");
	AVCodecContext *enc = NULL;
	AVFrame *fr = NULL;
	AVPacket *pkt = NULL;
	struct scene *sc = NULL;
	FILE *f = NULL;
	int64_t i, n = seconds * o->fps;
	int ret = 1, rc;

	if (scene_new(&sc, o->seed, seconds * 1000000, SCENE_OBJECTS) != 0 || enc_c == NULL ||
	    (enc = avcodec_alloc_context3(enc_c)) == NULL || (fr = av_frame_alloc()) == NULL ||
	    (pkt = av_packet_alloc()) == NULL)
		goto out;
	enc->width = o->w;
	enc->height = o->h;
	enc->pix_fmt = AV_PIX_FMT_YUV420P;
	enc->time_base = (AVRational){ 1, (int)o->fps };
	enc->framerate = (AVRational){ (int)o->fps, 1 };
	enc->gop_size = (int)o->fps * 2;
	enc->max_b_frames = 0;
	/* about 3 Mbit/s at 1080p30, 0.6 at 360p15 */
	enc->bit_rate = (int64_t)o->w * o->h * o->fps / 20 + 300000;
	av_opt_set(enc->priv_data, "preset", "veryfast", 0);
	av_opt_set(enc->priv_data, "profile", "high", 0);
	av_opt_set(enc->priv_data, "x264-params", "repeat-headers=1:scenecut=0", 0);
	if (avcodec_open2(enc, enc_c, NULL) < 0)
		goto out;
	fr->format = AV_PIX_FMT_YUV420P;
	fr->width = o->w;
	fr->height = o->h;
	if (av_frame_get_buffer(fr, 0) < 0 || (f = fopen(path, "wb")) == NULL)
		goto out;
	for (i = 0; i <= n; i++) {
		if (i < n) {
			if (av_frame_make_writable(fr) < 0 ||
			    scene_render(sc, i * 1000000 / o->fps, fr->data[0], o->w, o->h, fr->linesize[0]) != 0)
				goto out;
			memset(fr->data[1], 128, (size_t)fr->linesize[1] * (size_t)(o->h / 2));
			memset(fr->data[2], 128, (size_t)fr->linesize[2] * (size_t)(o->h / 2));
			fr->pts = i;
		}
		if (avcodec_send_frame(enc, i < n ? fr : NULL) < 0)
			goto out;
		while ((rc = avcodec_receive_packet(enc, pkt)) == 0) {
			if (fwrite(pkt->data, 1, (size_t)pkt->size, f) != (size_t)pkt->size)
				goto out;
			av_packet_unref(pkt);
		}
		if (rc != AVERROR(EAGAIN) && rc != AVERROR_EOF)
			goto out;
	}
	ret = 0;
out:
	if (f != NULL && fclose(f) != 0)
		ret = 1;
	scene_free(sc);
	avcodec_free_context(&enc);
	av_frame_free(&fr);
	av_packet_free(&pkt);
	return ret;
}

/* --seal: 0 printed, 1 not. */
static int seal_event(int argc, char **argv)
{
	const char *in = NULL, *pkh = NULL, *idh = NULL, *camh = NULL, *st = NULL;
	uint8_t pk[EPOCH_PK_LEN], gpk[GATEWAY_ID_LEN], gsk[GATEWAY_SK_LEN];
	struct events_meta m;
	struct buf jpeg, sealed;
	char *hex = NULL;
	int64_t start;
	int i, ret = 1;

	buf_init(&jpeg, EVENTS_PLAIN_MAX);
	buf_init(&sealed, EVENTS_PLAIN_MAX + 64);
	memset(&m, 0, sizeof(m));
	for (i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--seal") == 0)
			in = argv[i + 1];
		else if (strcmp(argv[i], "--pk") == 0)
			pkh = argv[i + 1];
		else if (strcmp(argv[i], "--id") == 0)
			idh = argv[i + 1];
		else if (strcmp(argv[i], "--camera") == 0)
			camh = argv[i + 1];
		else if (strcmp(argv[i], "--start") == 0)
			st = argv[i + 1];
	}
	if (sodium_init() < 0 || in == NULL || pkh == NULL || idh == NULL || camh == NULL ||
	    st == NULL || strlen(pkh) != 64 || strlen(idh) != 32 || strlen(camh) != 32 ||
	    hex_decode(pkh, pk, sizeof(pk)) != 0 || hex_decode(idh, m.id, sizeof(m.id)) != 0 ||
	    hex_decode(camh, m.camera_id, sizeof(m.camera_id)) != 0 ||
	    parse_i64(st, 1, INT64_MAX, &start) != 0) {
		fprintf(stderr, "usage: motion_eval --seal JPEG --pk HEX64 --id HEX32 --camera HEX32 --start US\n");
		goto out;
	}
	m.start_us = start;
	/* Signed by a gateway key made for the occasion: the tests that use --seal post the
	 * payload as a gateway the server cannot check it against (it cannot open it). */
	crypto_sign_keypair(gpk, gsk);
	if (file_read(in, &jpeg, jpeg.max) != 0 ||
	    events_seal(&m, NULL, 0, jpeg.data, jpeg.len, pk, gsk, &sealed) != 0 ||
	    (hex = malloc(2 * sealed.len + 1)) == NULL)
		goto out;
	hex_encode(sealed.data, sealed.len, hex);
	printf("%s\n", hex);
	ret = 0;
out:
	sodium_memzero(gsk, sizeof(gsk));
	free(hex);
	buf_free(&jpeg);
	buf_free(&sealed);
	return ret;
}

int main(int argc, char **argv)
{
	struct opts o = { 1, 25, 60, 15, 640, 360, 0, 0 };
	struct collect *c1 = calloc(1, sizeof(*c1));
	struct scene *s1 = NULL;
	struct quiet_result q = { 0, 0, 0 };
	const struct scene_entry *ent;
	size_t nent, i, j, found = 0, false1 = 0, late = 0;
	double cpu1 = 0, recall, fph, hours, max_delay = 0, sum_delay = 0;
	uint64_t fr1 = 0;
	pid_t quiet_pid = -1;
	int quiet_fd = -1;
	int64_t v;
	const char *write_path = NULL;
	int64_t write_s = 60;
	int ok, ret = 2;

	av_log_set_level(AV_LOG_ERROR);
	if (argc == 2 && strcmp(argv[1], "--keypair") == 0) {
		uint8_t pk[32], sk[32];
		char ph[65], sh[65];
		free(c1);
		if (sodium_init() < 0)
			return 1;
		crypto_box_keypair(pk, sk);
		hex_encode(pk, 32, ph);
		hex_encode(sk, 32, sh);
		printf("%s %s\n", ph, sh);
		sodium_memzero(sk, sizeof(sk));
		sodium_memzero(sh, sizeof(sh));
		return 0;
	}
	if (argc > 1 && strcmp(argv[1], "--seal") == 0) {
		free(c1);
		return seal_event(argc, argv);
	}
	if (argc > 1 && strcmp(argv[1], "--open") == 0) {
		free(c1);
		return open_event(argc, argv);
	}
	if (c1 == NULL)
		goto out;
	for (i = 1; i < (size_t)argc; i++) {
		const char *a = argv[i], *n = i + 1 < (size_t)argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--keyframes-only") == 0) {
			o.keyonly = 1;
		} else if (strcmp(a, "--check") == 0) {
			o.check = 1;
		} else if (n != NULL && strcmp(a, "--seed") == 0 && parse_i64(n, 0, INT64_MAX, &v) == 0) {
			o.seed = (uint64_t)v;
			i++;
		} else if (n != NULL && strcmp(a, "--minutes") == 0 && parse_i64(n, 0, 1440, &v) == 0) {
			o.minutes = v;
			i++;
		} else if (n != NULL && strcmp(a, "--quiet-minutes") == 0 && parse_i64(n, 0, 1440, &v) == 0) {
			o.quiet_minutes = v;
			i++;
		} else if (n != NULL && strcmp(a, "--fps") == 0 && parse_i64(n, 1, 60, &v) == 0) {
			o.fps = v;
			i++;
		} else if (n != NULL && strcmp(a, "--size") == 0 && parse_size(n, &o.w, &o.h) == 0) {
			i++;
		} else if (n != NULL && strcmp(a, "--write") == 0) {
			write_path = n;
			i++;
		} else if (n != NULL && strcmp(a, "--seconds") == 0 && parse_i64(n, 1, 3600, &write_s) == 0) {
			i++;
		} else {
			fprintf(stderr, "usage: motion_eval [--seed N] [--minutes M] [--quiet-minutes Q]"
			    " [--fps F] [--size WxH] [--keyframes-only] [--check]\n");
			goto out;
		}
	}
	if (write_path != NULL) {
		ret = write_scene(&o, write_path, write_s);
		goto out;
	}
	/* The distractor scene runs beside the scripted one, in a child process. */
	if (o.quiet_minutes > 0 && quiet_start(&o, &quiet_pid, &quiet_fd) != 0)
		goto out;
	if (o.minutes > 0) {
		if (scene_new(&s1, o.seed, o.minutes * 60000000, SCENE_OBJECTS) != 0 ||
		    run_scene(&o, s1, o.minutes * 60000000, c1, &cpu1, &fr1) != 0) {
			fprintf(stderr, "motion_eval: the scripted scene failed\n");
			goto out;
		}
		nent = scene_entries(s1, &ent);
		for (i = 0; i < nent; i++) {
			int hit = 0;
			for (j = 0; j < c1->n && !hit; j++) {
				int64_t d = c1->ev[j].start_us - ent[i].start_us;
				if (d >= -1000000 && d <= 1000000) {
					hit = 1;
					sum_delay += (double)d / 1e6;
					if ((double)d / 1e6 > max_delay)
						max_delay = (double)d / 1e6;
				}
			}
			if (hit)
				found++;
			else if (o.check)
				fprintf(stderr, "missed entry=%zu start_us=%lld\n", i, (long long)ent[i].start_us);
		}
		/* An event is false when it overlaps no entry (widened by the end hold). */
		for (j = 0; j < c1->n; j++) {
			int real = 0;
			for (i = 0; i < nent && !real; i++)
				real = overlaps(&c1->ev[j], ent[i].start_us - 1000000,
				    ent[i].end_us + 3000000);
			if (!real)
				false1++;
		}
		(void)late;
		recall = nent > 0 ? (double)found / (double)nent : 0;
		printf("scripted minutes=%lld entries=%zu found=%zu recall=%.3f mean_delay_s=%.3f"
		    " max_delay_s=%.3f events=%zu false_events=%zu thumbnails=%zu frames=%llu"
		    " detect_cpu_s=%.2f cpu_per_stream_s=%.4f\n",
		    (long long)o.minutes, nent, found, recall, found ? sum_delay / (double)found : 0,
		    max_delay, c1->n, false1, c1->thumbs, (unsigned long long)fr1, cpu1,
		    cpu1 / (double)(o.minutes * 60));
	} else {
		nent = 0;
		recall = 1;
	}
	if (quiet_pid > 0 && quiet_finish(&quiet_pid, &quiet_fd, &q) != 0) {
		fprintf(stderr, "motion_eval: the distractor scene failed\n");
		goto out;
	}
	hours = (double)(o.minutes + o.quiet_minutes) / 60.0;
	fph = hours > 0 ? (double)(false1 + (size_t)q.events) / hours : 0;
	printf("distractors minutes=%lld false_events=%zu frames=%llu detect_cpu_s=%.2f"
	    " cpu_per_stream_s=%.4f\n", (long long)o.quiet_minutes, (size_t)q.events,
	    (unsigned long long)q.frames, q.cpu_s,
	    o.quiet_minutes > 0 ? q.cpu_s / (double)(o.quiet_minutes * 60) : 0);
	printf("result recall=%.3f entries=%zu false_per_camera_hour=%.2f\n", recall, nent, fph);
	ok = recall >= 0.95 && (o.minutes == 0 || nent >= 40) && fph <= 1.0;
	ret = o.check && !ok ? 1 : 0;
	if (o.check)
		printf("check %s\n", ok ? "pass" : "FAIL");
out:
	/* Left early (the scripted scene failed): stop the distractor scene and reap it. */
	if (quiet_pid > 0) {
		if (kill(quiet_pid, SIGTERM) != 0)
			fprintf(stderr, "motion_eval: kill: %s\n", strerror(errno));
		(void)quiet_finish(&quiet_pid, &quiet_fd, &q);
	}
	scene_free(s1);
	free(c1);
	return ret;
}
