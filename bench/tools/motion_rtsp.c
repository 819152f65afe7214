/* motion_rtsp.c - the gateway's motion detection alone on one RTSP stream, for bench/motion.sh: read, decode (all frames or keyframes only), detect. */
/*
 * usage: motion_rtsp URL SECONDS [--keyframes-only | --deblock]
 * --deblock decodes with the deblocking filter and exact rounding (libavcodec's defaults,
 * as Motion decodes), for reference: the gateway skips both.
 * Prints "READY" once connected, then at the end (or on SIGTERM) "frames=N events=N
 * packets=N detect_cpu_s=X grid_cpu_s=G stream_s=Y": X is the CPU time spent in the
 * detector (decode, grid, model, thumbnails) — what detection adds to a gateway that reads
 * the stream anyway to record it —, G the part of X spent in motion_det_feed (grid, model,
 * events: X - G is libavcodec's decode plus the rare thumbnails) and Y the seconds of
 * stream it covered.
 * Tools link only libcommon, so the gateway's detector is compiled in from its sources.
 */
#include <signal.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/log.h>

#include "gateway/motion.c"

static double thread_cpu_s(void);
static double grid_cpu;
static int deblock;

/* avcodec_open2 as motion_cam.c calls it, undoing its decode shortcuts with --deblock. */
static int bench_open2(AVCodecContext *c, const AVCodec *codec, AVDictionary **opts)
{
	if (deblock && c->codec_type == AVMEDIA_TYPE_VIDEO && codec != NULL && av_codec_is_decoder(codec)) {
		c->skip_loop_filter = AVDISCARD_DEFAULT;
		c->flags2 &= ~AV_CODEC_FLAG2_FAST;
	}
	return avcodec_open2(c, codec, opts);
}

/* motion_det_feed timed: motion_cam.c below calls this instead (a stage timer for the
 * benchmark only; the gateway has no timers on this path). */
static int bench_det_feed(struct motion_det *d, const uint8_t *y, int w, int h, int stride,
    int64_t t_us, struct motion_step *st)
{
	double c0 = thread_cpu_s();
	int rc = motion_det_feed(d, y, w, h, stride, t_us, st);

	grid_cpu += thread_cpu_s() - c0;
	return rc;
}

#define motion_det_feed bench_det_feed
#define avcodec_open2 bench_open2
#include "gateway/motion_cam.c"
#undef avcodec_open2
#undef motion_det_feed
#include "common/util.h"

static unsigned long events;
static volatile sig_atomic_t stopping;

static void on_term(int sig)
{
	stopping = 1;
}

static double thread_cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void on_report(void *ctx, const struct motion_report *r)
{
	if (r->change == MOTION_START)
		events++;
}

int main(int argc, char **argv)
{
	AVFormatContext *fc = NULL;
	AVDictionary *opt = NULL;
	AVPacket *pkt = NULL;
	struct motion_cam *mc = NULL;
	struct motion_params p;
	unsigned long packets = 0;
	int64_t secs, end, first = 0, last = 0;
	double cpu = 0, c0;
	int vs, keyonly = argc == 4 && strcmp(argv[3], "--keyframes-only") == 0, ret = 1;

	deblock = argc == 4 && strcmp(argv[3], "--deblock") == 0;
	if ((argc != 3 && !keyonly && !deblock) || parse_i64(argv[2], 1, 86400, &secs) != 0) {
		fprintf(stderr, "usage: motion_rtsp URL SECONDS [--keyframes-only | --deblock]\n");
		return 2;
	}
	av_log_set_level(AV_LOG_ERROR);
	signal(SIGTERM, on_term);
	avformat_network_init();
	av_dict_set(&opt, "rtsp_transport", "tcp", 0);
	if (avformat_open_input(&fc, argv[1], NULL, &opt) < 0 ||
	    avformat_find_stream_info(fc, NULL) < 0 ||
	    (vs = av_find_best_stream(fc, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0)) < 0) {
		fprintf(stderr, "motion_rtsp: cannot open the stream\n");
		goto out;
	}
	motion_params_default(&p);
	if (motion_cam_new(&mc, "bench", &p, on_report, NULL) != 0 || (pkt = av_packet_alloc()) == NULL)
		goto out;
	printf("READY\n");
	fflush(stdout);
	end = mono_us() + secs * 1000000;
	while (!stopping && mono_us() < end && av_read_frame(fc, pkt) >= 0) {
		if (pkt->stream_index == vs) {
			c0 = thread_cpu_s();
			motion_cam_packet(mc, fc->streams[vs]->codecpar, pkt, now_us(), keyonly);
			cpu += thread_cpu_s() - c0;
			last = mono_us();
			if (first == 0)
				first = last;
			packets++;
		}
		av_packet_unref(pkt);
	}
	printf("frames=%llu events=%lu packets=%lu detect_cpu_s=%.4f grid_cpu_s=%.4f stream_s=%.3f\n",
	    (unsigned long long)motion_cam_frames(mc), events, packets, cpu, grid_cpu,
	    (double)(last - first) / 1e6);
	fflush(stdout);
	ret = 0;
out:
	av_dict_free(&opt);
	av_packet_free(&pkt);
	motion_cam_free(mc);
	avformat_close_input(&fc);
	avformat_network_deinit();
	return ret;
}
