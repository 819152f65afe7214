/* test_gw_cmaf.c - unit tests of the gateway's CMAF remuxer: box layout, payload identity, timing, codec strings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/opt.h>

#include "common/buf.h"
#include "gateway/cmaf.h"

#define MAXPKT 400

/* The clip every test uses: Annex-B access units as an RTSP session would deliver them. */
struct clip {
	AVCodecParameters *par;   /* with extradata, as after avformat_find_stream_info */
	AVRational tb;
	AVRational rate;
	AVPacket *pkt[MAXPKT];
	int n;
	char path[64];
};

static struct clip g_clip;

/* Encode a short H.264 clip (320x240, 25 fps, GOP 25, SPS/PPS before each IDR) into an
 * Annex-B file, the format of scripts/make-test-media.sh. 0 or -1 (no libx264). */
static int clip_encode(const char *path)
{
	const AVCodec *enc = avcodec_find_encoder_by_name("libx264");
	AVCodecContext *cc = NULL;
	AVFrame *f = NULL;
	AVPacket *p = NULL;
	FILE *fp = NULL;
	int i, x, y, ret = -1;

	if (enc == NULL)
		return -1;
	if ((cc = avcodec_alloc_context3(enc)) == NULL || (f = av_frame_alloc()) == NULL ||
	    (p = av_packet_alloc()) == NULL)
		goto out;
	cc->width = 320;
	cc->height = 240;
	cc->pix_fmt = AV_PIX_FMT_YUV420P;
	cc->time_base = (AVRational){ 1, 25 };
	cc->framerate = (AVRational){ 25, 1 };
	cc->gop_size = 25;
	cc->max_b_frames = 0;
	cc->thread_count = 1;
	av_opt_set(cc->priv_data, "preset", "veryfast", 0);
	av_opt_set(cc->priv_data, "profile", "high", 0);
	av_opt_set(cc->priv_data, "x264-params", "keyint=25:min-keyint=25:scenecut=0:repeat-headers=1", 0);
	if (avcodec_open2(cc, enc, NULL) < 0)
		goto out;
	f->format = cc->pix_fmt;
	f->width = cc->width;
	f->height = cc->height;
	if (av_frame_get_buffer(f, 0) < 0 || (fp = fopen(path, "wb")) == NULL)
		goto out;
	for (i = 0; i <= 75; i++) {
		AVFrame *in = NULL;
		if (i < 75) {
			if (av_frame_make_writable(f) < 0)
				goto out;
			for (y = 0; y < cc->height; y++)
				for (x = 0; x < cc->width; x++)
					f->data[0][y * f->linesize[0] + x] = (uint8_t)(x + y + i * 3);
			for (y = 0; y < cc->height / 2; y++)
				for (x = 0; x < cc->width / 2; x++) {
					f->data[1][y * f->linesize[1] + x] = (uint8_t)(128 + y + i * 2);
					f->data[2][y * f->linesize[2] + x] = (uint8_t)(64 + x + i * 5);
				}
			f->pts = i;
			in = f;
		}
		if (avcodec_send_frame(cc, in) < 0)
			goto out;
		while (avcodec_receive_packet(cc, p) == 0) {
			if (fwrite(p->data, 1, (size_t)p->size, fp) != (size_t)p->size)
				goto out;
			av_packet_unref(p);
		}
	}
	ret = 0;
out:
	if (fp != NULL && fclose(fp) != 0)
		ret = -1;
	av_packet_free(&p);
	av_frame_free(&f);
	avcodec_free_context(&cc);
	return ret;
}

static int clip_load(struct clip *c, const char *path)
{
	AVFormatContext *ic = NULL;
	AVPacket *p = av_packet_alloc();
	int ret = -1;

	if (p == NULL || avformat_open_input(&ic, path, NULL, NULL) < 0)
		goto out;
	if (avformat_find_stream_info(ic, NULL) < 0 || ic->nb_streams != 1)
		goto out;
	c->par = avcodec_parameters_alloc();
	if (c->par == NULL || avcodec_parameters_copy(c->par, ic->streams[0]->codecpar) < 0)
		goto out;
	/* Timestamps as RTSP gives them: a 90 kHz clock that does not start at zero (the raw
	 * demuxer leaves them unset). No B-frames, so pts == dts. */
	c->tb = (AVRational){ 1, 90000 };
	c->rate = ic->streams[0]->avg_frame_rate;
	while (c->n < MAXPKT && av_read_frame(ic, p) >= 0) {
		p->dts = p->pts = 123456 + (int64_t)c->n * 3600;
		p->duration = 0;
		c->pkt[c->n++] = av_packet_clone(p);
		av_packet_unref(p);
	}
	ret = c->n > 0 ? 0 : -1;
out:
	av_packet_free(&p);
	avformat_close_input(&ic);
	return ret;
}

static int setup_clip(void **state)
{
	const char *env = getenv("VIGIL_TEST_H264");
	int fd;

	if (env != NULL && env[0] != '\0')
		return clip_load(&g_clip, env);
	snprintf(g_clip.path, sizeof(g_clip.path), "/tmp/vigil-cmaf-XXXXXX");
	if ((fd = mkstemp(g_clip.path)) < 0)
		return -1;
	close(fd);
	if (clip_encode(g_clip.path) != 0 || clip_load(&g_clip, g_clip.path) != 0)
		return -1;
	return 0;
}

static int teardown_clip(void **state)
{
	int i;

	for (i = 0; i < g_clip.n; i++)
		av_packet_free(&g_clip.pkt[i]);
	avcodec_parameters_free(&g_clip.par);
	if (g_clip.path[0] != '\0')
		unlink(g_clip.path);
	return 0;
}

static uint32_t rd32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* Check that p holds exactly the boxes named in types, in order; returns the count. */
static int boxes(const uint8_t *p, size_t n, const char *types[], int ntypes)
{
	size_t off = 0;
	int i = 0;

	while (off < n) {
		assert_true(n - off >= 8);
		uint32_t sz = rd32(p + off);
		assert_true(sz >= 8 && sz <= n - off);
		assert_true(i < ntypes);
		assert_memory_equal(p + off + 4, types[i], 4);
		off += sz;
		i++;
	}
	assert_int_equal(i, ntypes);
	return i;
}

/* Find the tfdt baseMediaDecodeTime inside a moof+mdat fragment. */
static int64_t frag_tfdt(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 4; i + 16 <= n; i++)
		if (memcmp(p + i, "tfdt", 4) == 0) {
			if (p[i + 4] == 1)
				return (int64_t)(((uint64_t)rd32(p + i + 8) << 32) | rd32(p + i + 12));
			return rd32(p + i + 8);
		}
	return -1;
}

struct memin {
	const uint8_t *p;
	size_t n, off;
};

static int mem_read(void *opaque, uint8_t *b, int n)
{
	struct memin *m = opaque;
	size_t k = m->n - m->off;

	if (k == 0)
		return AVERROR_EOF;
	if (k > (size_t)n)
		k = (size_t)n;
	memcpy(b, m->p + m->off, k);
	m->off += k;
	return (int)k;
}

static int64_t mem_seek(void *opaque, int64_t off, int whence)
{
	struct memin *m = opaque;

	whence &= ~AVSEEK_FORCE;
	if (whence == AVSEEK_SIZE)
		return (int64_t)m->n;
	if (whence == SEEK_CUR)
		off += (int64_t)m->off;
	else if (whence == SEEK_END)
		off += (int64_t)m->n;
	if (off < 0 || (size_t)off > m->n)
		return -1;
	m->off = (size_t)off;
	return off;
}

/* Demux an in-memory fMP4 into packets (cloned into out), returning the count. */
static int demux_mem(const uint8_t *p, size_t n, AVPacket **out, int max, AVRational *tb)
{
	struct memin m = { p, n, 0 };
	AVFormatContext *ic = avformat_alloc_context();
	uint8_t *iob = av_malloc(4096);
	AVIOContext *pb = avio_alloc_context(iob, 4096, 0, &m, mem_read, NULL, mem_seek);
	AVPacket *pk = av_packet_alloc();
	int cnt = 0;

	assert_non_null(ic);
	assert_non_null(pb);
	ic->pb = pb;
	assert_int_equal(avformat_open_input(&ic, NULL, av_find_input_format("mp4"), NULL), 0);
	assert_int_equal(ic->nb_streams, 1);
	*tb = ic->streams[0]->time_base;
	while (av_read_frame(ic, pk) >= 0) {
		assert_true(cnt < max);
		out[cnt++] = av_packet_clone(pk);
		av_packet_unref(pk);
	}
	av_packet_free(&pk);
	avformat_close_input(&ic);
	av_freep(&pb->buffer);
	avio_context_free(&pb);
	return cnt;
}

/* NAL units of an Annex-B buffer, trailing zero bytes dropped. */
static int nals_annexb(const uint8_t *p, size_t n, const uint8_t **nal, size_t *len, int max)
{
	size_t i = 0, s;
	int k = 0;

	while (i + 3 <= n && !(p[i] == 0 && p[i + 1] == 0 && p[i + 2] == 1))
		i++;
	while (i + 3 <= n) {
		s = i + 3;
		i = s;
		while (i + 3 <= n && !(p[i] == 0 && p[i + 1] == 0 && p[i + 2] == 1))
			i++;
		size_t e = (i + 3 <= n) ? i : n;
		while (e > s && p[e - 1] == 0)
			e--;
		assert_true(k < max);
		nal[k] = p + s;
		len[k++] = e - s;
	}
	return k;
}

static int nals_avcc(const uint8_t *p, size_t n, const uint8_t **nal, size_t *len, int max)
{
	size_t i = 0;
	int k = 0;

	while (i < n) {
		assert_true(n - i >= 4);
		uint32_t l = rd32(p + i);
		assert_true(l <= n - i - 4);
		assert_true(k < max);
		nal[k] = p + i + 4;
		len[k++] = l;
		i += 4 + l;
	}
	return k;
}

struct muxed {
	struct buf all;        /* init + every fragment */
	size_t frag_off[MAXPKT];
	size_t frag_len[MAXPKT];
	int64_t tfdt[MAXPKT];
	const uint8_t *init;
	size_t init_len;
};

static void mux_clip(struct cmaf *c, struct muxed *m, int64_t base)
{
	const char *frag_types[] = { "moof", "mdat" };
	const char *init_types[] = { "ftyp", "moov" };
	const uint8_t *f, *ini;
	size_t fl, il;
	int i;

	buf_init(&m->all, 64u * 1024 * 1024);
	for (i = 0; i < g_clip.n; i++) {
		assert_int_equal(cmaf_frame(c, g_clip.pkt[i], &f, &fl), 0);
		if (i == 0) {
			assert_int_equal(cmaf_init(c, &ini, &il), 0);
			boxes(ini, il, init_types, 2);
			assert_int_equal(buf_put(&m->all, ini, il), 0);
			m->init = ini;
			m->init_len = il;
		}
		boxes(f, fl, frag_types, 2);
		m->tfdt[i] = frag_tfdt(f, fl);
		m->frag_off[i] = m->all.len;
		m->frag_len[i] = fl;
		assert_int_equal(buf_put(&m->all, f, fl), 0);
	}
	assert_int_equal(m->tfdt[0], base);
	for (i = 1; i < g_clip.n; i++)
		assert_true(m->tfdt[i] > m->tfdt[i - 1]);
}

/* Each demuxed AVCC sample holds the same NAL units, byte for byte, as the input. */
static void compare_payloads(AVPacket **out, int nout, int first)
{
	const uint8_t *a[64], *b[64];
	size_t al[64], bl[64];
	int i, j, na, nb;

	assert_int_equal(nout, g_clip.n - first);
	for (i = 0; i < nout; i++) {
		const AVPacket *in = g_clip.pkt[first + i];
		na = nals_annexb(in->data, (size_t)in->size, a, al, 64);
		nb = nals_avcc(out[i]->data, (size_t)out[i]->size, b, bl, 64);
		assert_int_equal(na, nb);
		for (j = 0; j < na; j++) {
			assert_int_equal(al[j], bl[j]);
			assert_memory_equal(a[j], b[j], al[j]);
		}
		assert_int_equal(!!(in->flags & AV_PKT_FLAG_KEY), !!(out[i]->flags & AV_PKT_FLAG_KEY));
	}
}

static void test_roundtrip(void **state)
{
	struct cmaf *c = NULL;
	struct muxed m;
	AVPacket *out[MAXPKT];
	AVRational tb;
	int i, n;

	assert_int_equal(cmaf_new(&c, g_clip.par, g_clip.tb, g_clip.rate, 0), 0);
	mux_clip(c, &m, 0);
	assert_int_equal(strncmp(cmaf_codec(c), "avc1.64", 7), 0);
	assert_int_equal(strlen(cmaf_codec(c)), 11);
	n = demux_mem(m.all.data, m.all.len, out, MAXPKT, &tb);
	compare_payloads(out, n, 0);
	/* Media time: the input's dts, on the 90 kHz clock, starting at 0. */
	for (i = 0; i < n; i++) {
		int64_t want = av_rescale_q(g_clip.pkt[i]->dts - g_clip.pkt[0]->dts, g_clip.tb,
		    (AVRational){ 1, 90000 });
		assert_int_equal(av_rescale_q(out[i]->dts, tb, (AVRational){ 1, 90000 }), want);
		assert_int_equal(m.tfdt[i], want);
		av_packet_free(&out[i]);
	}
	buf_free(&m.all);
	cmaf_free(c);
}

/* A segment made of the (shared) init chunk and fragments from a later keyframe demuxes
 * and decodes on its own, and keeps the session's media time. */
static void test_segment_alone(void **state)
{
	struct cmaf *c = NULL;
	struct muxed m;
	struct buf seg;
	AVPacket *out[MAXPKT];
	AVRational tb;
	const AVCodec *dec = avcodec_find_decoder(AV_CODEC_ID_H264);
	AVCodecContext *dc;
	AVFrame *fr = av_frame_alloc();
	int i, n, k = -1, got = 0;

	for (i = 1; i < g_clip.n; i++)
		if (g_clip.pkt[i]->flags & AV_PKT_FLAG_KEY) {
			k = i;
			break;
		}
	assert_true(k > 0);
	assert_int_equal(cmaf_new(&c, g_clip.par, g_clip.tb, g_clip.rate, 900000), 0);
	mux_clip(c, &m, 900000);
	buf_init(&seg, 64u * 1024 * 1024);
	assert_int_equal(buf_put(&seg, m.init, m.init_len), 0);
	assert_int_equal(buf_put(&seg, m.all.data + m.frag_off[k], m.all.len - m.frag_off[k]), 0);
	n = demux_mem(seg.data, seg.len, out, MAXPKT, &tb);
	compare_payloads(out, n, k);
	assert_int_equal(av_rescale_q(out[0]->dts, tb, (AVRational){ 1, 90000 }), m.tfdt[k]);
	dc = avcodec_alloc_context3(dec);
	assert_non_null(dc);
	dc->thread_count = 1;
	/* The decoder gets only what the segment holds: avcC from its init chunk. */
	AVFormatContext *ic = NULL;
	(void)ic;
	assert_int_equal(avcodec_open2(dc, dec, NULL), 0);
	for (i = 0; i < n && got == 0; i++) {
		/* Samples are AVCC; convert back to Annex-B for a decoder without avcC. */
		const uint8_t *nl[64];
		size_t ll[64];
		int nn = nals_avcc(out[i]->data, (size_t)out[i]->size, nl, ll, 64), j;
		AVPacket *ab = av_packet_alloc();
		size_t tot = 0;
		for (j = 0; j < nn; j++)
			tot += 4 + ll[j];
		assert_int_equal(av_new_packet(ab, (int)tot), 0);
		tot = 0;
		for (j = 0; j < nn; j++) {
			memcpy(ab->data + tot, "\0\0\0\1", 4);
			memcpy(ab->data + tot + 4, nl[j], ll[j]);
			tot += 4 + ll[j];
		}
		assert_int_equal(avcodec_send_packet(dc, ab), 0);
		if (avcodec_receive_frame(dc, fr) == 0)
			got = 1;
		av_packet_free(&ab);
	}
	avcodec_send_packet(dc, NULL);
	if (!got && avcodec_receive_frame(dc, fr) == 0)
		got = 1;
	assert_true(got);
	assert_int_equal(fr->width, g_clip.par->width);
	for (i = 0; i < n; i++)
		av_packet_free(&out[i]);
	av_frame_free(&fr);
	avcodec_free_context(&dc);
	buf_free(&seg);
	buf_free(&m.all);
	cmaf_free(c);
}

/* A camera that sends no parameter sets out of band: taken from the first keyframe;
 * a stream that starts on a non-keyframe without them is refused until one comes. */
static void test_inband_params(void **state)
{
	AVCodecParameters *par = avcodec_parameters_alloc();
	struct cmaf *c = NULL;
	const uint8_t *f;
	size_t fl;
	int i, k = -1;

	assert_int_equal(avcodec_parameters_copy(par, g_clip.par), 0);
	av_freep(&par->extradata);
	par->extradata_size = 0;
	assert_int_equal(cmaf_new(&c, par, g_clip.tb, g_clip.rate, 0), 0);
	for (i = 0; i < g_clip.n; i++)
		if (!(g_clip.pkt[i]->flags & AV_PKT_FLAG_KEY)) {
			k = i;
			break;
		}
	assert_true(k >= 0);
	assert_int_equal(cmaf_frame(c, g_clip.pkt[k], &f, &fl), CMAF_E_NOINIT);
	assert_int_equal(cmaf_init(c, &f, &fl), CMAF_E_NOINIT);
	assert_int_equal(cmaf_frame(c, g_clip.pkt[0], &f, &fl), 0);
	assert_int_equal(strncmp(cmaf_codec(c), "avc1.64", 7), 0);
	assert_int_equal(strlen(cmaf_codec(c)), 11);
	cmaf_free(c);
	avcodec_parameters_free(&par);
}

static void test_bad_input(void **state)
{
	AVCodecParameters *par = avcodec_parameters_alloc();
	struct cmaf *c = NULL;
	const uint8_t *f;
	size_t fl;
	AVPacket *p = av_packet_alloc();
	char s[64];

	par->codec_type = AVMEDIA_TYPE_AUDIO;
	par->codec_id = AV_CODEC_ID_AAC;
	assert_int_equal(cmaf_new(&c, par, (AVRational){ 1, 90000 }, (AVRational){ 0, 1 }, 0), CMAF_E_INVAL);
	assert_null(c);
	par->codec_type = AVMEDIA_TYPE_VIDEO;
	par->codec_id = AV_CODEC_ID_H264;
	assert_int_equal(cmaf_new(&c, par, (AVRational){ 0, 1 }, (AVRational){ 0, 1 }, 0), CMAF_E_INVAL);
	assert_int_equal(cmaf_new(&c, par, (AVRational){ 1, 90000 }, (AVRational){ 0, 1 }, 0), 0);
	/* Garbage with no start code, an empty packet. */
	assert_int_equal(av_new_packet(p, 16), 0);
	memset(p->data, 0xab, 16);
	p->flags |= AV_PKT_FLAG_KEY;
	assert_int_equal(cmaf_frame(c, p, &f, &fl), CMAF_E_NOINIT);
	p->size = 0;
	assert_int_equal(cmaf_frame(c, p, &f, &fl), CMAF_E_INVAL);
	cmaf_free(c);
	cmaf_free(NULL);
	av_packet_free(&p);
	avcodec_parameters_free(&par);
	/* Codec strings: truncated inputs fail, known ones match. */
	static const uint8_t avcc[] = { 1, 0x4d, 0x40, 0x1f };
	assert_int_equal(cmaf_codec_string(AV_CODEC_ID_H264, avcc, sizeof(avcc), s, sizeof(s)), 0);
	assert_string_equal(s, "avc1.4d401f");
	assert_int_equal(cmaf_codec_string(AV_CODEC_ID_H264, avcc, 3, s, sizeof(s)), -1);
	static const uint8_t sps[] = { 0, 0, 0, 1, 0x67, 0x64, 0x00, 0x28, 0xac };
	assert_int_equal(cmaf_codec_string(AV_CODEC_ID_H264, sps, sizeof(sps), s, sizeof(s)), 0);
	assert_string_equal(s, "avc1.640028");
	/* HEVC Main, level 3.1 (93), progressive source flag only: hvc1.1.6.L93.B0 */
	static const uint8_t hps[] = { 0, 0, 1, 0x42, 0x01, 0x01, 0x01, 0x60, 0x00, 0x00, 0x00,
		0xb0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x5d };
	assert_int_equal(cmaf_codec_string(AV_CODEC_ID_HEVC, hps, sizeof(hps), s, sizeof(s)), 0);
	assert_string_equal(s, "hvc1.1.6.L93.B0");
	assert_int_equal(cmaf_codec_string(AV_CODEC_ID_HEVC, hps, 10, s, sizeof(s)), -1);
	assert_int_equal(cmaf_codec_string(AV_CODEC_ID_VP9, avcc, sizeof(avcc), s, sizeof(s)), -1);
}

/* Per-frame cost of the remux, printed for the design doc (not a pass/fail timing). */
static void test_overhead(void **state)
{
	struct cmaf *c = NULL;
	const uint8_t *f;
	size_t fl, in = 0, outb = 0;
	struct timespec a, b;
	int i, rounds = 0;
	int64_t base = 0;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
	for (rounds = 0; rounds < 4; rounds++) {
		assert_int_equal(cmaf_new(&c, g_clip.par, g_clip.tb, g_clip.rate, base), 0);
		for (i = 0; i < g_clip.n; i++) {
			assert_int_equal(cmaf_frame(c, g_clip.pkt[i], &f, &fl), 0);
			in += (size_t)g_clip.pkt[i]->size;
			outb += fl;
		}
		base = cmaf_next_dts(c);
		cmaf_free(c);
	}
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
	double us = ((double)(b.tv_sec - a.tv_sec) * 1e6 + (double)(b.tv_nsec - a.tv_nsec) / 1e3);
	printf("cmaf_overhead frames=%d cpu_us_per_frame=%.1f bytes_in=%zu bytes_out=%zu overhead_bytes_per_frame=%.1f\n",
	    rounds * g_clip.n, us / (rounds * g_clip.n), in, outb,
	    (double)(outb - in) / (rounds * g_clip.n));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_segment_alone),
		cmocka_unit_test(test_inband_params),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_overhead),
	};

	av_log_set_level(AV_LOG_ERROR);
	return cmocka_run_group_tests(tests, setup_clip, teardown_clip);
}
