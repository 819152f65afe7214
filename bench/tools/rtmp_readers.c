/* rtmp_readers.c - benchmark tool: one epoll process holding M RTMP players per stream on nginx-rtmp, measuring how far behind live each one is from the video message timestamps. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "common/util.h"

/*
 * Usage: rtmp_readers --port P --app APP --stream NAME [--stream NAME ...] --viewers M
 *                     [--warmup S] [--duration S]
 *
 * A minimal RTMP player, enough for nginx-rtmp: the plain (version 3, non-digest)
 * handshake, then, pipelined, Set Chunk Size 4096, connect, createStream and play on
 * message stream 1. The chunk stream of the answer is parsed incrementally (all four
 * chunk header formats, extended timestamps, the server's Set Chunk Size); payloads are
 * skipped without copying, except the few bytes of protocol control messages. It
 * acknowledges received bytes (Window Acknowledgement Size) and answers pings, as a
 * player must.
 *
 * Lag: RTMP carries media time, not wall time. For each video message, d = now_ms -
 * timestamp_ms. The publisher (ffmpeg -re) sends at the media clock, so d is a constant
 * plus the delay of that delivery; the constant is taken per stream as the smallest d
 * any player of that stream saw during the run (the freshest delivery counts as live),
 * and lag = d - that minimum. So the figure is the delay added after the fastest
 * delivery of the same frame, not including the publisher's own path.
 * Output as live_readers: "WINDOW start" / "WINDOW end" lines, then one summary line
 *   viewers ok failed lag_p50_ms lag_p99_ms lag_max_ms within_1s mean_kbps min_kbps
 *   samples skips (always 0 here)
 */

#define EXIT_USAGE 2
#define MAX_STREAMS 64
#define READ_BUF (256 * 1024)
#define LAG_OK_MS 1000
#define HS_LEN 1536
#define OUR_CHUNK 4096
#define MAX_CSID 64          /* chunk stream ids we track; nginx-rtmp uses < 10 */
#define MAX_IN_CHUNK 65536   /* the largest peer chunk size we accept */
#define MAX_MSG (16u * 1024u * 1024u)
#define REQ_MAX 1024

enum rtmp_phase { RP_CONNECT, RP_HANDSHAKE, RP_CHUNKS, RP_DONE };

/* Per chunk stream: the header fields later chunks inherit. */
struct rtmp_cs {
	uint32_t ts;         /* absolute timestamp of the current/last message */
	uint32_t delta;      /* last timestamp delta */
	uint32_t len;
	uint8_t type;
	uint32_t got;        /* payload bytes of the current message received so far */
	int ext;             /* the last header carried an extended timestamp */
	int seen;
};

/* The chunk-stream parser of one player: the parser of untrusted bytes. */
struct rtmp_scan {
	uint8_t h[18];       /* the chunk header being collected */
	unsigned hn;
	unsigned csid;
	uint32_t left;       /* payload bytes of the current chunk still to come */
	uint8_t ctl[8];      /* the start of a protocol control message's payload */
	uint32_t chunk_size;
	struct rtmp_cs cs[MAX_CSID];
	int failed;
};

/* What the scanner reports. */
struct rtmp_event {
	uint8_t type;        /* RTMP message type (8 audio, 9 video, 1 set chunk size, ...) */
	uint32_t ts;         /* its absolute timestamp, ms */
	uint32_t value;      /* set chunk size / window size / ping timestamp */
	int complete;        /* 0 at the start of a message, 1 when a control message ends */
};

typedef void (*rtmp_event_fn)(void *ctx, const struct rtmp_event *ev);

static uint32_t
rd_be24(const uint8_t *p)
{
	return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

static uint32_t
rd_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void
rtmp_scan_init(struct rtmp_scan *s)
{
	memset(s, 0, sizeof(*s));
	s->chunk_size = 128;
}

/* Bytes of chunk header still needed given what is collected; 0 when complete. */
static unsigned
rtmp_hdr_need(const struct rtmp_scan *s)
{
	unsigned bh, fmt, mh, need;

	if (s->hn == 0)
		return 1;
	bh = (s->h[0] & 0x3f) == 0 ? 2 : (s->h[0] & 0x3f) == 1 ? 3 : 1;
	fmt = s->h[0] >> 6;
	mh = fmt == 0 ? 11 : fmt == 1 ? 7 : fmt == 2 ? 3 : 0;
	need = bh + mh;
	if (s->hn < need)
		return need - s->hn;
	if (fmt < 3) {
		if (rd_be24(s->h + bh) == 0xffffff)
			need += 4;
	} else {
		unsigned csid = bh == 1 ? (s->h[0] & 0x3fu) : bh == 2 ? 64u + s->h[1]
		    : 64u + s->h[1] + 256u * s->h[2];

		if (csid < MAX_CSID && s->cs[csid].ext)
			need += 4;
	}
	return s->hn < need ? need - s->hn : 0;
}

/* A complete chunk header in s->h: update the chunk stream, set s->left. 0 or -1. */
static int
rtmp_hdr_done(struct rtmp_scan *s, rtmp_event_fn fn, void *ctx)
{
	unsigned bh = (s->h[0] & 0x3f) == 0 ? 2 : (s->h[0] & 0x3f) == 1 ? 3 : 1;
	unsigned fmt = s->h[0] >> 6;
	unsigned csid = bh == 1 ? (s->h[0] & 0x3fu) : bh == 2 ? 64u + s->h[1]
	    : 64u + s->h[1] + 256u * s->h[2];
	const uint8_t *m = s->h + bh;
	struct rtmp_cs *c;
	uint32_t t = 0;
	int starts;

	if (csid < 2 || csid >= MAX_CSID)
		return -1;
	c = &s->cs[csid];
	if (fmt < 3) {
		t = rd_be24(m);
		c->ext = t == 0xffffff;
		if (c->ext)
			t = rd_be32(m + (fmt == 0 ? 11 : fmt == 1 ? 7 : 3));
	}
	if (fmt != 0 && !c->seen)
		return -1;
	starts = c->got == 0 || c->got >= c->len;
	if (!starts && fmt != 3)
		return -1;   /* a new header in the middle of a message */
	switch (fmt) {
	case 0:
		c->ts = t;
		c->delta = 0;
		c->len = rd_be24(m + 3);
		c->type = m[6];
		break;
	case 1:
		c->delta = t;
		c->ts += t;
		c->len = rd_be24(m + 3);
		c->type = m[6];
		break;
	case 2:
		c->delta = t;
		c->ts += t;
		break;
	default:
		if (starts)
			c->ts += c->delta;
		break;
	}
	if (c->len > MAX_MSG)
		return -1;
	c->seen = 1;
	s->csid = csid;
	if (starts) {
		struct rtmp_event ev = { .type = c->type, .ts = c->ts };

		c->got = 0;
		fn(ctx, &ev);
	}
	s->left = c->len - c->got;
	if (s->left > s->chunk_size)
		s->left = s->chunk_size;
	s->hn = 0;
	if (s->left == 0)
		c->got = c->len;  /* an empty message */
	return 0;
}

/* Feed bytes of the chunk stream (after the handshake). 0, or -1 on malformed input. */
static int
rtmp_scan_feed(struct rtmp_scan *s, const uint8_t *p, size_t n, rtmp_event_fn fn, void *ctx)
{
	if (s->failed)
		return -1;
	while (n > 0) {
		if (s->left == 0) {
			unsigned need = rtmp_hdr_need(s);

			if (need == 0)
				goto bad;
			if (s->hn >= sizeof(s->h))
				goto bad;
			s->h[s->hn++] = *p++;
			n--;
			if (rtmp_hdr_need(s) == 0 && rtmp_hdr_done(s, fn, ctx) < 0)
				goto bad;
			continue;
		}
		{
			struct rtmp_cs *c = &s->cs[s->csid];
			size_t k = s->left < n ? s->left : n;

			/* Protocol control messages: keep their first 8 bytes. */
			if (c->type >= 1 && c->type <= 6 && c->got < sizeof(s->ctl)) {
				size_t q = sizeof(s->ctl) - c->got;

				if (q > k)
					q = k;
				memcpy(s->ctl + c->got, p, q);
			}
			c->got += (uint32_t)k;
			s->left -= (uint32_t)k;
			p += k;
			n -= k;
			if (c->got == c->len && c->type >= 1 && c->type <= 6) {
				struct rtmp_event ev = { .type = c->type, .ts = c->ts, .complete = 1 };

				if (c->type == 1 && c->len >= 4) {
					uint32_t cs = rd_be32(s->ctl) & 0x7fffffff;

					if (cs < 1 || cs > MAX_IN_CHUNK)
						goto bad;
					s->chunk_size = cs;
					ev.value = cs;
				} else if (c->type == 5 && c->len >= 4) {
					ev.value = rd_be32(s->ctl);
				} else if (c->type == 4 && c->len >= 6 && s->ctl[0] == 0 && s->ctl[1] == 6) {
					ev.value = rd_be32(s->ctl + 2);
				} else {
					continue;
				}
				fn(ctx, &ev);
			}
		}
	}
	return 0;
bad:
	s->failed = 1;
	return -1;
}

#ifndef RTMP_READERS_NO_MAIN

struct player {
	int fd;
	int st;
	enum rtmp_phase ph;
	uint8_t out[HS_LEN + 1 + REQ_MAX];  /* pending bytes to send */
	size_t out_n, out_off;
	uint8_t hs[1 + 2 * HS_LEN];         /* S0 S1 S2 */
	size_t hs_n;
	struct rtmp_scan sc;
	uint64_t total;                      /* bytes of the chunk stream received */
	uint64_t last_ack;
	uint32_t window;
	uint64_t wbytes;
	int64_t max_d;                       /* largest now - ts in the window, ms */
	uint64_t samples;
	int pending_pong;
	uint32_t pong_ts;
	int failed;
	int got_video;
};

static int g_in_window;
static int64_t g_min_d[MAX_STREAMS];
static int64_t *g_d;
static uint8_t *g_dst;
static size_t g_nd, g_capd;

static int64_t
now_real_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t
now_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void
put_be16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put_be24(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 16);
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)v;
}

static void
put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* A small append buffer for building messages. */
struct wb {
	uint8_t *p;
	size_t n, cap;
	int err;
};

static void
wb_put(struct wb *w, const void *d, size_t n)
{
	if (w->err || n > w->cap - w->n) {
		w->err = 1;
		return;
	}
	memcpy(w->p + w->n, d, n);
	w->n += n;
}

static void
amf_str(struct wb *w, const char *s)
{
	uint8_t h[3] = { 0x02 };

	put_be16(h + 1, (unsigned)strlen(s));
	wb_put(w, h, 3);
	wb_put(w, s, strlen(s));
}

static void
amf_key(struct wb *w, const char *s)
{
	uint8_t h[2];

	put_be16(h, (unsigned)strlen(s));
	wb_put(w, h, 2);
	wb_put(w, s, strlen(s));
}

static void
amf_num(struct wb *w, double d)
{
	uint8_t h[9] = { 0x00 };
	uint64_t u;
	int i;

	memcpy(&u, &d, 8);
	for (i = 0; i < 8; i++)
		h[1 + i] = (uint8_t)(u >> (56 - 8 * i));
	wb_put(w, h, 9);
}

/* One message as a single fmt-0 chunk (our chunk size is OUR_CHUNK, messages are small). */
static void
rtmp_msg(struct wb *w, unsigned csid, uint8_t type, uint32_t msid, const uint8_t *pl, size_t n)
{
	uint8_t h[12];

	if (n > OUR_CHUNK) {
		w->err = 1;
		return;
	}
	h[0] = (uint8_t)csid;
	put_be24(h + 1, 0);
	put_be24(h + 4, (uint32_t)n);
	h[7] = type;
	h[8] = (uint8_t)msid;   /* little-endian message stream id */
	h[9] = (uint8_t)(msid >> 8);
	h[10] = (uint8_t)(msid >> 16);
	h[11] = (uint8_t)(msid >> 24);
	wb_put(w, h, 12);
	wb_put(w, pl, n);
}

/* C2 (echo of S1), Set Chunk Size, connect, createStream, play: one write. */
static int
build_session(struct player *pl, int port, const char *app, const char *stream)
{
	uint8_t body[REQ_MAX];
	struct wb w = { pl->out, 0, sizeof(pl->out), 0 };
	struct wb b;
	uint8_t csz[4];
	char tc[256];
	static const uint8_t null_v = 0x05;
	static const uint8_t obj_end[3] = { 0, 0, 9 };
	static const uint8_t obj_start = 0x03;

	wb_put(&w, pl->hs + 1, HS_LEN);
	put_be32(csz, OUR_CHUNK);
	rtmp_msg(&w, 2, 1, 0, csz, 4);

	snprintf(tc, sizeof(tc), "rtmp://127.0.0.1:%d/%s", port, app);
	b = (struct wb){ body, 0, sizeof(body), 0 };
	amf_str(&b, "connect");
	amf_num(&b, 1);
	wb_put(&b, &obj_start, 1);
	amf_key(&b, "app");
	amf_str(&b, app);
	amf_key(&b, "flashVer");
	amf_str(&b, "LNX 9,0,124,2");
	amf_key(&b, "tcUrl");
	amf_str(&b, tc);
	amf_key(&b, "fpad");
	wb_put(&b, "\x01\x00", 2);
	amf_key(&b, "capabilities");
	amf_num(&b, 15);
	amf_key(&b, "audioCodecs");
	amf_num(&b, 4071);
	amf_key(&b, "videoCodecs");
	amf_num(&b, 252);
	amf_key(&b, "videoFunction");
	amf_num(&b, 1);
	wb_put(&b, obj_end, 3);
	if (b.err)
		return -1;
	rtmp_msg(&w, 3, 20, 0, body, b.n);

	b = (struct wb){ body, 0, sizeof(body), 0 };
	amf_str(&b, "createStream");
	amf_num(&b, 2);
	wb_put(&b, &null_v, 1);
	rtmp_msg(&w, 3, 20, 0, body, b.n);

	b = (struct wb){ body, 0, sizeof(body), 0 };
	amf_str(&b, "play");
	amf_num(&b, 0);
	wb_put(&b, &null_v, 1);
	amf_str(&b, stream);
	amf_num(&b, -1000);
	if (b.err)
		return -1;
	rtmp_msg(&w, 8, 20, 1, body, b.n);
	if (w.err)
		return -1;
	pl->out_n = w.n;
	pl->out_off = 0;
	return 0;
}

static void
on_event(void *ctx, const struct rtmp_event *ev)
{
	struct player *pl = ctx;

	if (ev->complete) {
		if (ev->type == 5)
			pl->window = ev->value;
		else if (ev->type == 4) {
			pl->pending_pong = 1;
			pl->pong_ts = ev->value;
		}
		return;
	}
	if (ev->type != 9)
		return;
	{
		int64_t d = now_real_ms() - (int64_t)ev->ts;

		pl->got_video = 1;
		if (d < g_min_d[pl->st])
			g_min_d[pl->st] = d;
		if (!g_in_window)
			return;
		if (pl->samples == 0 || d > pl->max_d)
			pl->max_d = d;
		pl->samples++;
		if (g_nd == g_capd) {
			size_t cap = g_capd ? g_capd * 2 : 65536;
			int64_t *nd = realloc(g_d, cap * sizeof(*nd));
			uint8_t *ns;

			if (nd == NULL)
				return;
			g_d = nd;
			ns = realloc(g_dst, cap);
			if (ns == NULL)
				return;
			g_dst = ns;
			g_capd = cap;
		}
		g_d[g_nd] = d;
		g_dst[g_nd++] = (uint8_t)pl->st;
	}
}

static void
player_close(int ep, struct player *pl, int failed)
{
	if (pl->fd >= 0) {
		epoll_ctl(ep, EPOLL_CTL_DEL, pl->fd, NULL);
		close(pl->fd);
	}
	pl->fd = -1;
	pl->ph = RP_DONE;
	if (failed)
		pl->failed = 1;
}

/* Sends what is pending; 0 when all is out, 1 when the socket is full, -1 on error. */
static int
player_flush(struct player *pl)
{
	while (pl->out_off < pl->out_n) {
		ssize_t w = send(pl->fd, pl->out + pl->out_off, pl->out_n - pl->out_off, MSG_NOSIGNAL);

		if (w < 0 && errno == EAGAIN)
			return 1;
		if (w <= 0)
			return -1;
		pl->out_off += (size_t)w;
	}
	pl->out_n = pl->out_off = 0;
	return 0;
}

/* Queues an acknowledgement and a pong when due and nothing else is pending. */
static void
player_control(struct player *pl)
{
	struct wb w = { pl->out, 0, sizeof(pl->out), 0 };
	uint8_t pl6[6];

	if (pl->out_n != 0)
		return;
	if (pl->window > 0 && pl->total - pl->last_ack >= pl->window / 2) {
		uint8_t a[4];

		put_be32(a, (uint32_t)pl->total);
		rtmp_msg(&w, 2, 3, 0, a, 4);
		pl->last_ack = pl->total;
	}
	if (pl->pending_pong) {
		put_be16(pl6, 7);
		put_be32(pl6 + 2, pl->pong_ts);
		rtmp_msg(&w, 2, 4, 0, pl6, 6);
		pl->pending_pong = 0;
	}
	if (!w.err) {
		pl->out_n = w.n;
		pl->out_off = 0;
	}
}

static void
player_io(int ep, struct player *pl, uint32_t evs, int port, const char *app,
    const char *stream, uint8_t *buf)
{
	if (evs & EPOLLOUT) {
		int f = player_flush(pl);

		if (f < 0) {
			player_close(ep, pl, 1);
			return;
		}
		if (f == 0) {
			struct epoll_event e = { .events = EPOLLIN, .data.ptr = pl };

			epoll_ctl(ep, EPOLL_CTL_MOD, pl->fd, &e);
			if (pl->ph == RP_CONNECT)
				pl->ph = RP_HANDSHAKE;
		}
	}
	if (!(evs & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return;
	for (;;) {
		ssize_t r = recv(pl->fd, buf, READ_BUF, 0);
		size_t off = 0;

		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		if (r <= 0) {
			player_close(ep, pl, 1);
			return;
		}
		if (pl->ph == RP_CONNECT)
			pl->ph = RP_HANDSHAKE;
		if (pl->ph == RP_HANDSHAKE) {
			size_t k = sizeof(pl->hs) - pl->hs_n;

			if (k > (size_t)r)
				k = (size_t)r;
			memcpy(pl->hs + pl->hs_n, buf, k);
			pl->hs_n += k;
			off = k;
			if (pl->hs_n < sizeof(pl->hs))
				continue;
			if (pl->hs[0] != 3 || build_session(pl, port, app, stream) < 0) {
				player_close(ep, pl, 1);
				return;
			}
			rtmp_scan_init(&pl->sc);
			pl->ph = RP_CHUNKS;
		}
		if (off < (size_t)r) {
			pl->total += (uint64_t)r - off;
			if (g_in_window)
				pl->wbytes += (uint64_t)r - off;
			if (rtmp_scan_feed(&pl->sc, buf + off, (size_t)r - off, on_event, pl) < 0) {
				fprintf(stderr, "rtmp_readers: malformed chunk stream on stream %d\n", pl->st);
				player_close(ep, pl, 1);
				return;
			}
		}
	}
	if (pl->ph == RP_CHUNKS) {
		int f;

		player_control(pl);
		f = player_flush(pl);
		if (f < 0) {
			player_close(ep, pl, 1);
		} else if (f == 1) {
			struct epoll_event e = { .events = EPOLLIN | EPOLLOUT, .data.ptr = pl };

			epoll_ctl(ep, EPOLL_CTL_MOD, pl->fd, &e);
		}
	}
}

static int
player_open(int ep, struct player *pl, const struct sockaddr_in *sa)
{
	struct epoll_event e = { .events = EPOLLIN | EPOLLOUT };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	size_t i;

	if (fd < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0 && errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	/* C0 = version 3, C1 = time 0, zero 0, then filler (not checked by the plain handshake). */
	pl->out[0] = 3;
	memset(pl->out + 1, 0, 8);
	for (i = 9; i < 1 + HS_LEN; i++)
		pl->out[i] = (uint8_t)(i * 31u);
	pl->out_n = 1 + HS_LEN;
	pl->out_off = 0;
	pl->fd = fd;
	pl->ph = RP_CONNECT;
	e.data.ptr = pl;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e) < 0) {
		close(fd);
		pl->fd = -1;
		return -1;
	}
	return 0;
}

/* CPU seconds this process has used (user + system). */
static double
self_cpu_s(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) < 0)
		return 0;
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static void
usage(void)
{
	fprintf(stderr, "usage: rtmp_readers --port P --app APP --stream NAME [--stream NAME ...]\n"
	    "       --viewers M [--warmup S] [--duration S]\n");
	exit(EXIT_USAGE);
}

int
main(int argc, char **argv)
{
	const char *names[MAX_STREAMS];
	const char *app = "live";
	int nst = 0, ep = -1, rc = 1, i;
	int64_t port = 0, m = 0, warmup = 5, duration = 20, t0, t_open, t_close;
	struct player *ps = NULL;
	uint8_t *buf = NULL;
	struct sockaddr_in sa;
	struct rlimit rl;
	struct epoll_event evs[256];
	size_t np, k;
	double cpu0 = 0, cpu1;

	/* Options come in pairs: NAME VALUE. */
	for (i = 1; i < argc; i += 2) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (v == NULL)
			usage();
		if (strcmp(a, "--port") == 0) {
			if (parse_i64(v, 1, 65535, &port) < 0)
				usage();
		} else if (strcmp(a, "--app") == 0) {
			if (strlen(v) == 0 || strlen(v) > 64 || strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789_-") != strlen(v))
				usage();
			app = v;
		} else if (strcmp(a, "--stream") == 0) {
			if (nst == MAX_STREAMS || strlen(v) == 0 || strlen(v) > 64 ||
			    strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != strlen(v))
				usage();
			names[nst++] = v;
		} else if (strcmp(a, "--viewers") == 0) {
			if (parse_i64(v, 1, 100000, &m) < 0)
				usage();
		} else if (strcmp(a, "--warmup") == 0) {
			if (parse_i64(v, 0, 3600, &warmup) < 0)
				usage();
		} else if (strcmp(a, "--duration") == 0) {
			if (parse_i64(v, 1, 3600, &duration) < 0)
				usage();
		} else {
			usage();
		}
	}
	if (port == 0 || nst == 0 || m == 0)
		usage();
	np = (size_t)nst * (size_t)m;
	for (i = 0; i < MAX_STREAMS; i++)
		g_min_d[i] = INT64_MAX;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < np + 64) {
		rl.rlim_cur = rl.rlim_max < np + 64 ? rl.rlim_max : np + 64;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	ps = calloc(np, sizeof(*ps));
	buf = malloc(READ_BUF);
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ps == NULL || buf == NULL || ep < 0) {
		fprintf(stderr, "rtmp_readers: out of memory\n");
		goto out;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

	t0 = now_mono_us();
	for (k = 0; k < np; k++) {
		ps[k].fd = -1;
		ps[k].st = (int)(k % (size_t)nst);
		if (player_open(ep, &ps[k], &sa) < 0) {
			ps[k].failed = 1;
			ps[k].ph = RP_DONE;
		}
	}
	t_open = t0 + warmup * 1000000;
	t_close = t_open + duration * 1000000;
	for (;;) {
		int64_t now = now_mono_us(), wait_ms;
		int n, j;

		if (!g_in_window && now >= t_open) {
			g_in_window = 1;
			cpu0 = self_cpu_s();
			printf("WINDOW start\n");
			fflush(stdout);
		}
		if (now >= t_close)
			break;
		wait_ms = ((g_in_window ? t_close : t_open) - now) / 1000 + 1;
		n = epoll_wait(ep, evs, 256, (int)(wait_ms > 1000 ? 1000 : wait_ms));
		if (n < 0 && errno != EINTR)
			break;
		for (j = 0; j < n; j++) {
			struct player *pl = evs[j].data.ptr;

			player_io(ep, pl, evs[j].events, (int)port, app, names[pl->st], buf);
		}
	}
	cpu1 = self_cpu_s();
	printf("WINDOW end\n");
	{
		size_t ok = 0, failed = 0, within = 0;
		uint64_t sum = 0, minb = UINT64_MAX;
		int64_t *lags = NULL;
		double p50 = -1, p99 = -1, pmax = -1;

		for (k = 0; k < np; k++) {
			struct player *pl = &ps[k];

			if (pl->failed || pl->ph != RP_CHUNKS || !pl->got_video) {
				failed++;
			} else {
				ok++;
				if (pl->samples > 0 && pl->max_d - g_min_d[pl->st] <= LAG_OK_MS)
					within++;
			}
			sum += pl->wbytes;
			if (pl->wbytes < minb)
				minb = pl->wbytes;
		}
		if (g_nd > 0)
			lags = malloc(g_nd * sizeof(*lags));
		if (lags != NULL) {
			for (k = 0; k < g_nd; k++)
				lags[k] = g_d[k] - g_min_d[g_dst[k]];
			qsort(lags, g_nd, sizeof(*lags), cmp_i64);
			p50 = (double)lags[(size_t)(0.5 * (double)(g_nd - 1) + 0.5)];
			p99 = (double)lags[(size_t)(0.99 * (double)(g_nd - 1) + 0.5)];
			pmax = (double)lags[g_nd - 1];
		}
		free(lags);
		printf("viewers=%zu ok=%zu failed=%zu lag_p50_ms=%.1f lag_p99_ms=%.1f lag_max_ms=%.1f "
		    "within_1s=%zu mean_kbps=%.0f min_kbps=%.0f samples=%zu skips=0 self_cpu_s=%.2f\n",
		    np, ok, failed, p50, p99, pmax, within,
		    (double)sum * 8.0 / 1000.0 / (double)np / (double)duration,
		    (double)minb * 8.0 / 1000.0 / (double)duration, g_nd, cpu1 - cpu0);
		fflush(stdout);
	}
	rc = 0;
out:
	if (ps != NULL)
		for (k = 0; k < np; k++)
			if (ps[k].fd >= 0)
				close(ps[k].fd);
	if (ep >= 0)
		close(ep);
	free(ps);
	free(buf);
	free(g_d);
	free(g_dst);
	return rc;
}

#endif /* RTMP_READERS_NO_MAIN */
