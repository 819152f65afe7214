/* vigil-camsim: command line, start-up and main loop of the RTSP camera simulator. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib-unix.h>
#include <gst/gst.h>
#include <gst/rtsp-server/rtsp-server.h>

#include "camsim/annexb.h"
#include "camsim/cameras.h"
#include "camsim/control.h"
#include "camsim/log.h"
#include "camsim/replay.h"
#include "camsim/scene.h"
#include "camsim/scripted.h"
#include "camsim/synth.h"

#define EXIT_USAGE 2

struct opts {
	long port;
	long cameras;
	int synthetic;
	const char *replay;
	const char *replay_sub;
	long width, height;
	long fps;		/* 0 = the mode's default */
	const char *control;
	long scripted;		/* --scripted SEED, -1 when not given */
	const char *truth;	/* --truth FILE: the scripted scene's ground truth */
	int no_flicker;		/* --no-flicker: scripted scene without its flicker */
};

/* The scripted scene shared by every scripted camera, or NULL. */
static struct scripted *g_scripted;

/* The state the main loop's callbacks share. */
struct app {
	GMainLoop *loop;
	struct cameras *cams;
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: vigil-camsim (--replay FILE | --synthetic) [options]\n"
	    "\n"
	    "A real RTSP server on 127.0.0.1 serving simulated cameras at\n"
	    "rtsp://127.0.0.1:PORT/cam<i>/main (and /cam<i>/sub).\n"
	    "\n"
	    "  --replay FILE      loop an H.264/H.265 Annex-B file (.h264/.h265/.hevc\n"
	    "                     or detected), access units sent unchanged (default fps 25)\n"
	    "  --replay-sub FILE  replay mode: also serve FILE as /cam<i>/sub\n"
	    "  --synthetic        encode a moving test pattern live with x264 (default fps 15);\n"
	    "                     /sub is the same at 640x360\n"
	    "  --scripted SEED    like --synthetic, but the picture is a scripted scene:\n"
	    "                     objects entering and leaving at known times, sensor\n"
	    "                     noise, a slow brightness ramp and a flickering region\n"
	    "  --truth FILE       with --scripted: write the ground truth (entries, mask)\n"
	    "  --no-flicker       with --scripted: leave out the flickering region\n"
	    "  --size WxH         synthetic main stream size (default 1280x720)\n"
	    "  --fps N            frames per second, 1..120\n"
	    "  --cameras N        number of cameras, 1..%d (default 4)\n"
	    "  --port N           RTSP port, 0 picks a free one (default 8554)\n"
	    "  --control PATH     create a FIFO at PATH reading lines\n"
	    "                     'stop camN', 'start camN', 'stop all', 'start all'\n"
	    "  --help             this text\n"
	    "\n"
	    "stdout: 'READY port=<port>' once listening, then one line per camera:\n"
	    "'camera name=cam<i> main=<url> [sub=<url>]'. Logs: key=value on stderr.\n",
	    CAMERAS_MAX);
}

/* parse_long parses all of s as a decimal integer in [lo, hi]. */
static int
parse_long(const char *s, long lo, long hi, long *out)
{
	char *end = NULL;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

/* parse_size parses "WxH" with even dimensions between 16x16 and 3840x2160. */
static int
parse_size(const char *s, long *w, long *h)
{
	char *end = NULL;
	long a, b;

	errno = 0;
	a = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != 'x')
		return -1;
	if (parse_long(end + 1, 16, 2160, &b) != 0 || a < 16 || a > 3840 ||
	    a % 2 != 0 || b % 2 != 0)
		return -1;
	*w = a;
	*h = b;
	return 0;
}

static void
bad_arg(const char *what, const char *value)
{
	fprintf(stderr, "vigil-camsim: invalid %s '%s' (try --help)\n", what, value);
	exit(EXIT_USAGE);
}

static void
parse_args(int argc, char **argv, struct opts *o)
{
	enum { O_PORT = 1, O_CAMERAS, O_SYNTH, O_REPLAY, O_REPLAY_SUB, O_SIZE,
	    O_FPS, O_CONTROL, O_HELP, O_SCRIPTED, O_TRUTH,
	    O_NO_FLICKER };
	static const struct option longopts[] = {
		{ "port", required_argument, NULL, O_PORT },
		{ "cameras", required_argument, NULL, O_CAMERAS },
		{ "synthetic", no_argument, NULL, O_SYNTH },
		{ "replay", required_argument, NULL, O_REPLAY },
		{ "replay-sub", required_argument, NULL, O_REPLAY_SUB },
		{ "size", required_argument, NULL, O_SIZE },
		{ "fps", required_argument, NULL, O_FPS },
		{ "control", required_argument, NULL, O_CONTROL },
		{ "scripted", required_argument, NULL, O_SCRIPTED },
		{ "truth", required_argument, NULL, O_TRUTH },
		{ "no-flicker", no_argument, NULL, O_NO_FLICKER },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (c) {
		case O_PORT:
			if (parse_long(optarg, 0, 65535, &o->port) != 0)
				bad_arg("--port", optarg);
			break;
		case O_CAMERAS:
			if (parse_long(optarg, 1, CAMERAS_MAX, &o->cameras) != 0)
				bad_arg("--cameras", optarg);
			break;
		case O_SYNTH:
			o->synthetic = 1;
			break;
		case O_REPLAY:
			o->replay = optarg;
			break;
		case O_REPLAY_SUB:
			o->replay_sub = optarg;
			break;
		case O_SIZE:
			if (parse_size(optarg, &o->width, &o->height) != 0)
				bad_arg("--size (want even WxH, 16x16..3840x2160)",
				    optarg);
			break;
		case O_FPS:
			if (parse_long(optarg, 1, 120, &o->fps) != 0)
				bad_arg("--fps", optarg);
			break;
		case O_CONTROL:
			o->control = optarg;
			break;
		case O_SCRIPTED:
			if (parse_long(optarg, 0, 2147483647L, &o->scripted) != 0)
				bad_arg("--scripted", optarg);
			break;
		case O_TRUTH:
			o->truth = optarg;
			break;
		case O_NO_FLICKER:
			o->no_flicker = 1;
			break;
		case O_HELP:
			usage(stdout);
			exit(0);
		case ':':
			fprintf(stderr, "vigil-camsim: %s needs a value (try --help)\n",
			    argv[optind - 1]);
			exit(EXIT_USAGE);
		default:
			fprintf(stderr, "vigil-camsim: unknown option '%s' (try --help)\n",
			    argv[optind - 1]);
			exit(EXIT_USAGE);
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vigil-camsim: unexpected argument '%s' (try --help)\n",
		    argv[optind]);
		exit(EXIT_USAGE);
	}
	if (o->synthetic + (o->replay != NULL) + (o->scripted >= 0) != 1) {
		fprintf(stderr, "vigil-camsim: give exactly one of --replay FILE, "
		    "--synthetic or --scripted SEED (try --help)\n");
		exit(EXIT_USAGE);
	}
	if (o->replay_sub != NULL && o->synthetic) {
		fprintf(stderr, "vigil-camsim: --replay-sub needs --replay\n");
		exit(EXIT_USAGE);
	}
	if (o->fps == 0)
		o->fps = o->synthetic || o->scripted >= 0 ? 15 : 25;
	if (o->truth != NULL && o->scripted < 0) {
		fprintf(stderr, "vigil-camsim: --truth needs --scripted\n");
		exit(EXIT_USAGE);
	}
}

/* on_control applies one FIFO command and acknowledges it in the log. */
static void
on_control(const char *verb, const char *target, void *user)
{
	struct app *app = user;
	unsigned i, first = 0, last = cameras_count(app->cams);
	int idx, stop = strcmp(verb, "stop") == 0, r;

	if (strcmp(target, "all") != 0) {
		idx = cameras_find(app->cams, target);
		if (idx < 0) {
			log_warn("event=control cmd=%s result=unknown_camera", verb);
			return;
		}
		first = (unsigned)idx;
		last = first + 1;
	}
	for (i = first; i < last; i++) {
		const char *name = cameras_name(app->cams, i);

		if (stop) {
			r = cameras_stop(app->cams, i);
			if (r < 0)
				log_info("event=control cmd=stop camera=%s "
				    "result=already_stopped", name);
			else
				log_info("event=control cmd=stop camera=%s result=ok "
				    "clients_closed=%d", name, r);
		} else {
			r = cameras_start(app->cams, i);
			log_info("event=control cmd=start camera=%s result=%s", name,
			    r ? "ok" : "already_started");
		}
	}
}

static gboolean
on_signal(gpointer user)
{
	struct app *app = user;

	log_info("event=shutdown reason=signal");
	g_main_loop_quit(app->loop);
	return G_SOURCE_CONTINUE;
}

/* Expire sessions of clients that vanished without TEARDOWN (UDP clients). */
static gboolean
on_session_cleanup(gpointer user)
{
	GstRTSPServer *server = user;
	GstRTSPSessionPool *pool = gst_rtsp_server_get_session_pool(server);

	if (pool != NULL) {
		(void)gst_rtsp_session_pool_cleanup(pool);
		g_object_unref(pool);
	}
	return G_SOURCE_CONTINUE;
}

/* make_factories gives each camera its main (and sub) stream. */
static int
make_factories(const struct opts *o, struct cameras *cams)
{
	struct annexb_clip *main_clip = NULL, *sub_clip = NULL;
	char *err = NULL;
	unsigned i;
	int rc = -1;

	if (!o->synthetic && g_scripted == NULL) {
		main_clip = annexb_load(o->replay, &err);
		if (main_clip == NULL)
			goto out;
		log_info("event=clip_loaded stream=main codec=%s aus=%zu "
		    "keyframes=%zu bytes=%zu", annexb_codec_name(main_clip->codec),
		    main_clip->n_aus, main_clip->n_keyframes,
		    g_bytes_get_size(main_clip->data));
		if (o->replay_sub != NULL) {
			sub_clip = annexb_load(o->replay_sub, &err);
			if (sub_clip == NULL)
				goto out;
			log_info("event=clip_loaded stream=sub codec=%s aus=%zu",
			    annexb_codec_name(sub_clip->codec), sub_clip->n_aus);
		}
	}
	for (i = 0; i < cameras_count(cams); i++) {
		const char *name = cameras_name(cams, i);

		if (g_scripted != NULL) {
			cameras_set_factory(cams, i, "main", scripted_factory_new(g_scripted,
			    (unsigned)o->width, (unsigned)o->height, (unsigned)o->fps));
			cameras_set_factory(cams, i, "sub", scripted_factory_new(g_scripted,
			    640, 360, (unsigned)o->fps));
			continue;
		}
		if (o->synthetic) {
			cameras_set_factory(cams, i, "main", synth_factory_new(
			    (unsigned)o->width, (unsigned)o->height,
			    (unsigned)o->fps, name));
			cameras_set_factory(cams, i, "sub", synth_factory_new(
			    640, 360, (unsigned)o->fps, name));
			continue;
		}
		cameras_set_factory(cams, i, "main",
		    replay_factory_new(main_clip, (unsigned)o->fps, name));
		if (sub_clip != NULL)
			cameras_set_factory(cams, i, "sub",
			    replay_factory_new(sub_clip, (unsigned)o->fps, name));
	}
	rc = 0;
out:
	if (err != NULL) {
		log_error("event=clip_load error=\"%s\"", err);
		fprintf(stderr, "vigil-camsim: %s\n", err);
		g_free(err);
	}
	annexb_clip_unref(main_clip);
	annexb_clip_unref(sub_clip);
	return rc;
}

int
main(int argc, char **argv)
{
	struct opts o = { .port = 8554, .cameras = 4, .width = 1280, .height = 720,
	    .scripted = -1 };
	struct app app = { NULL, NULL };
	GstRTSPServer *server = NULL;
	struct control *ctl = NULL;
	char *err = NULL, service[16];
	guint attach_id = 0, cleanup_id = 0, sigint_id = 0, sigterm_id = 0;
	unsigned i;
	int port, rc = 1;

	parse_args(argc, argv, &o);
	signal(SIGPIPE, SIG_IGN);
	gst_init(NULL, NULL);

	server = gst_rtsp_server_new();
	gst_rtsp_server_set_address(server, "127.0.0.1");
	snprintf(service, sizeof(service), "%ld", o.port);
	gst_rtsp_server_set_service(server, service);
	app.cams = cameras_new(server, (unsigned)o.cameras);
	if (o.scripted >= 0) {
		struct scene *sc = NULL;
		int64_t t0 = g_get_real_time();

		if (scene_new(&sc, (uint64_t)o.scripted, SCENE_MAX_DURATION_US,
		    SCENE_OBJECTS | (o.no_flicker ? SCENE_NO_FLICKER : 0)) != 0 ||
		    (o.truth != NULL && scene_write_truth(sc, o.truth, t0) != 0)) {
			scene_free(sc);
			fprintf(stderr, "vigil-camsim: cannot make the scripted scene\n");
			goto out;
		}
		g_scripted = scripted_new(sc, t0);
		log_info("event=scripted seed=%ld t0_us=%lld", o.scripted, (long long)t0);
	}
	if (make_factories(&o, app.cams) != 0)
		goto out;
	for (i = 0; i < cameras_count(app.cams); i++)
		(void)cameras_start(app.cams, i);

	attach_id = gst_rtsp_server_attach(server, NULL);
	if (attach_id == 0) {
		log_error("event=listen port=%ld error=cannot_bind", o.port);
		fprintf(stderr, "vigil-camsim: cannot listen on 127.0.0.1:%ld\n",
		    o.port);
		goto out;
	}
	port = gst_rtsp_server_get_bound_port(server);
	if (o.control != NULL) {
		ctl = control_open(o.control, on_control, &app, &err);
		if (ctl == NULL) {
			log_error("event=control_open error=\"%s\"", err);
			fprintf(stderr, "vigil-camsim: %s\n", err);
			goto out;
		}
	}
	app.loop = g_main_loop_new(NULL, FALSE);
	sigint_id = g_unix_signal_add(SIGINT, on_signal, &app);
	sigterm_id = g_unix_signal_add(SIGTERM, on_signal, &app);
	cleanup_id = g_timeout_add_seconds(2, on_session_cleanup, server);

	log_info("event=listening addr=127.0.0.1 port=%d mode=%s cameras=%ld fps=%ld",
	    port, o.scripted >= 0 ? "scripted" : o.synthetic ? "synthetic" : "replay",
	    o.cameras, o.fps);
	printf("READY port=%d\n", port);
	for (i = 0; i < cameras_count(app.cams); i++) {
		const char *name = cameras_name(app.cams, i);

		printf("camera name=%s main=rtsp://127.0.0.1:%d/%s/main", name, port,
		    name);
		if (cameras_has_sub(app.cams, i))
			printf(" sub=rtsp://127.0.0.1:%d/%s/sub", port, name);
		printf("\n");
	}
	fflush(stdout);

	g_main_loop_run(app.loop);
	rc = 0;
out:
	g_free(err);
	control_close(ctl);
	if (sigint_id != 0)
		g_source_remove(sigint_id);
	if (sigterm_id != 0)
		g_source_remove(sigterm_id);
	if (cleanup_id != 0)
		g_source_remove(cleanup_id);
	if (attach_id != 0)
		g_source_remove(attach_id);
	cameras_free(app.cams);
	if (server != NULL)
		g_object_unref(server);
	if (app.loop != NULL)
		g_main_loop_unref(app.loop);
	scripted_free(g_scripted);
	log_info("event=exit code=%d", rc);
	return rc;
}
