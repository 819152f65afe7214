/* live_readers.c - benchmark tool: one epoll process holding M live-stream viewers per camera on vigil-server, measuring how far behind live each one is from the segment times. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "common/record.h"
#include "common/segment.h"
#include "common/util.h"

/*
 * Usage: live_readers --port P --camera HEX32 [--camera HEX32 ...] --viewers M
 *                     [--stream S] [--warmup S] [--duration S] [--header-file FILE]
 *
 * Opens M connections per camera to 127.0.0.1:P, each a GET of
 * /api/v1/cameras/{id}/streams/{s}/live (HTTP/1.1; chunked or not), and follows the
 * record framing of the body without copying chunk payloads: only SEG_HEADER (start_us)
 * and SEG_END (end_us) are read. When one of them arrives, lag = now - that time, both in
 * the gateway's wall clock (same machine). Samples are kept only inside the measurement
 * window, which opens WARMUP s after start (so that a viewer's first, already old
 * segment does not count) and lasts DURATION s. It prints "WINDOW start" and "WINDOW end"
 * lines on stdout as the window opens and closes (a script samples CPU at those lines),
 * then one summary line of key=value pairs:
 *   viewers ok failed lag_p50_ms lag_p99_ms lag_max_ms within_1s (viewers still connected
 *   whose every sample was <= 1000 ms and that had samples) mean_kbps min_kbps (bytes
 *   received in the window, per viewer) samples skips (seq discontinuities: the relay
 *   skipped a viewer ahead) gaps (GAP records seen, summed over viewers)
 * --header-file holds extra request header lines (e.g. "Authorization: Bearer ..."), so
 * that a token never appears in the process's arguments.
 */

#define EXIT_USAGE 2
#define MAX_CAMERAS 64
#define HDR_MAX 8192        /* response header bytes we accept */
#define REQ_MAX 4096
#define EXTRA_HDR_MAX 2048
#define READ_BUF (256 * 1024)
#define LAG_OK_US 1000000
#define CHUNK_SIZE_DIGITS 8 /* at most 4 GiB - 1 per HTTP chunk */

enum conn_phase { PH_CONNECT, PH_HEADERS, PH_BODY, PH_DONE };
enum chunk_state { CH_SIZE, CH_EXT, CH_DATA, CH_CR, CH_LF, CH_END };

/* The de-chunker and record scanner of one viewer: the parser of untrusted bytes. */
struct live_scan {
	int chunked;
	enum chunk_state cst;
	uint64_t csize;      /* bytes left in the current HTTP chunk (or the size being read) */
	unsigned cdigits;
	uint8_t rhdr[RECORD_HDR_LEN];
	unsigned rhdr_n;
	uint8_t rtype;
	uint32_t rleft;      /* payload bytes of the current record still to come */
	uint8_t small[GAP_LEN]; /* SEG_HEADER / SEG_END / GAP payload being collected */
	uint32_t small_n;
	int failed;
};

/* What the scanner reports for one record whose time we read. */
struct live_event {
	uint8_t type;        /* REC_SEG_HEADER, REC_SEG_END or REC_GAP */
	uint64_t seq;        /* for a gap: its last seq */
	int64_t wall_us;     /* for a gap: its to_us */
};

typedef void (*live_event_fn)(void *ctx, const struct live_event *ev);

struct viewer {
	int fd;
	int cam;
	enum conn_phase ph;
	size_t req_off;
	char hdr[HDR_MAX];
	size_t hdr_n;
	struct live_scan sc;
	uint64_t bytes;
	uint64_t wbytes;     /* bytes received inside the measurement window */
	int64_t max_lag_us;
	uint64_t samples;
	uint64_t last_seq;
	int have_seq;
	uint64_t skips;
	uint64_t gaps;
	int failed;
};

static int64_t *g_lags;
static size_t g_nlags, g_caplags;
static int g_in_window;

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t
be64(const uint8_t *p)
{
	return (uint64_t)be32(p) << 32 | be32(p + 4);
}

/* Starts a scanner for a body that is chunked (HTTP/1.1) or raw. */
static void
live_scan_init(struct live_scan *s, int chunked)
{
	memset(s, 0, sizeof(*s));
	s->chunked = chunked;
	s->cst = CH_SIZE;
}

/* Record bytes (de-chunked): find record boundaries, collect SEG_HEADER/SEG_END payloads. */
static int
live_scan_records(struct live_scan *s, const uint8_t *p, size_t n, live_event_fn fn, void *ctx)
{
	while (n > 0) {
		if (s->rhdr_n < RECORD_HDR_LEN) {
			size_t k = RECORD_HDR_LEN - s->rhdr_n;

			if (k > n)
				k = n;
			memcpy(s->rhdr + s->rhdr_n, p, k);
			s->rhdr_n += (unsigned)k;
			p += k;
			n -= k;
			if (s->rhdr_n < RECORD_HDR_LEN)
				return 0;
			s->rleft = be32(s->rhdr);
			s->rtype = s->rhdr[4];
			s->small_n = 0;
			if (s->rtype < REC_SEG_HEADER || s->rtype > REC_KEEPALIVE ||
			    s->rleft > RECORD_MAX_PAYLOAD)
				return -1;
			if ((s->rtype == REC_SEG_HEADER && s->rleft != SEG_HEADER_LEN) ||
			    (s->rtype == REC_SEG_END && s->rleft != SEG_END_LEN) ||
			    (s->rtype == REC_GAP && s->rleft != GAP_LEN))
				return -1;
		} else {
			size_t k = s->rleft;

			if (k > n)
				k = n;
			if (s->rtype == REC_SEG_HEADER || s->rtype == REC_SEG_END ||
			    s->rtype == REC_GAP) {
				memcpy(s->small + s->small_n, p, k);
				s->small_n += (uint32_t)k;
			}
			s->rleft -= (uint32_t)k;
			p += k;
			n -= k;
		}
		if (s->rhdr_n == RECORD_HDR_LEN && s->rleft == 0) {
			struct live_event ev = { .type = s->rtype };

			if (s->rtype == REC_SEG_HEADER) {
				/* version u8 | stream u8 | flags u16 | camera_id[16] | seq u64 | start_us i64 */
				ev.seq = be64(s->small + 20);
				ev.wall_us = (int64_t)be64(s->small + 28);
				fn(ctx, &ev);
			} else if (s->rtype == REC_SEG_END) {
				/* seq u64 | end_us i64 */
				ev.seq = be64(s->small);
				ev.wall_us = (int64_t)be64(s->small + 8);
				fn(ctx, &ev);
			} else if (s->rtype == REC_GAP) {
				/* version | stream | reason u16 | camera_id[16] | seq | last_seq | from_us | to_us */
				ev.seq = be64(s->small + 28);
				ev.wall_us = (int64_t)be64(s->small + 44);
				fn(ctx, &ev);
			}
			s->rhdr_n = 0;
		}
	}
	return 0;
}

/* Body bytes as they arrive: HTTP chunked framing removed, records scanned. 0, 1 at the
 * end of a chunked body, -1 on malformed input (the scanner stays failed). */
static int
live_scan_feed(struct live_scan *s, const uint8_t *p, size_t n, live_event_fn fn, void *ctx)
{
	if (s->failed)
		return -1;
	if (!s->chunked) {
		if (live_scan_records(s, p, n, fn, ctx) < 0)
			s->failed = 1;
		return s->failed ? -1 : 0;
	}
	while (n > 0) {
		uint8_t c = *p;

		switch (s->cst) {
		case CH_SIZE:
			if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) {
				unsigned d = c <= '9' ? (unsigned)(c - '0') : (unsigned)((c | 0x20) - 'a' + 10);

				if (++s->cdigits > CHUNK_SIZE_DIGITS)
					goto bad;
				s->csize = s->csize * 16 + d;
			} else if (c == ';' || c == '\r' || c == ' ' || c == '\t') {
				if (s->cdigits == 0)
					goto bad;
				s->cst = CH_EXT;
			} else if (c == '\n') {
				if (s->cdigits == 0)
					goto bad;
				s->cdigits = 0;
				s->cst = s->csize ? CH_DATA : CH_END;
				if (s->cst == CH_END)
					return 1;
			} else {
				goto bad;
			}
			p++;
			n--;
			break;
		case CH_EXT:
			if (c == '\n') {
				s->cdigits = 0;
				s->cst = s->csize ? CH_DATA : CH_END;
				if (s->cst == CH_END)
					return 1;
			}
			p++;
			n--;
			break;
		case CH_DATA: {
			size_t k = s->csize < n ? (size_t)s->csize : n;

			if (live_scan_records(s, p, k, fn, ctx) < 0)
				goto bad;
			s->csize -= k;
			p += k;
			n -= k;
			if (s->csize == 0)
				s->cst = CH_CR;
			break;
		}
		case CH_CR:
			if (c != '\r')
				goto bad;
			s->cst = CH_LF;
			p++;
			n--;
			break;
		case CH_LF:
			if (c != '\n')
				goto bad;
			s->cst = CH_SIZE;
			p++;
			n--;
			break;
		case CH_END:
			return 1;
		}
	}
	return 0;
bad:
	s->failed = 1;
	return -1;
}

#ifndef LIVE_READERS_NO_MAIN

static int64_t
now_real_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t
now_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void
on_event(void *ctx, const struct live_event *ev)
{
	struct viewer *v = ctx;
	int64_t lag;

	if (ev->type == REC_SEG_HEADER) {
		if (v->have_seq && ev->seq > v->last_seq + 1)
			v->skips++;
		v->last_seq = ev->seq;
		v->have_seq = 1;
	} else if (ev->type == REC_GAP) {
		/* A gap the gateway signed (camera offline, restart): the chain goes on after it. */
		v->last_seq = ev->seq;
		v->have_seq = 1;
		v->gaps++;
		return;
	}
	if (!g_in_window)
		return;
	lag = now_real_us() - ev->wall_us;
	if (lag < 0)
		lag = 0;
	if (lag > v->max_lag_us)
		v->max_lag_us = lag;
	v->samples++;
	if (g_nlags == g_caplags) {
		size_t cap = g_caplags ? g_caplags * 2 : 4096;
		int64_t *nl = realloc(g_lags, cap * sizeof(*nl));

		if (nl == NULL)
			return;
		g_lags = nl;
		g_caplags = cap;
	}
	g_lags[g_nlags++] = lag;
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

static double
pct_ms(double q)
{
	size_t i;

	if (g_nlags == 0)
		return -1;
	i = (size_t)(q * (double)(g_nlags - 1) + 0.5);
	return (double)g_lags[i] / 1000.0;
}

/* Status 200 and whether the body is chunked, from a complete header block. 0 or -1. */
static int
parse_response_head(const char *h, size_t n, int *chunked)
{
	const char *line = h, *end = h + n;

	*chunked = 0;
	if (n < 12 || memcmp(h, "HTTP/1.", 7) != 0 || memcmp(h + 8, " 200", 4) != 0)
		return -1;
	while (line < end) {
		const char *eol = memchr(line, '\n', (size_t)(end - line));
		size_t len = eol ? (size_t)(eol - line) : (size_t)(end - line);
		static const char te[] = "transfer-encoding:";

		if (len >= sizeof(te) - 1 && strncasecmp(line, te, sizeof(te) - 1) == 0) {
			const char *v = line + sizeof(te) - 1, *ve = line + len;

			for (; v + 7 <= ve; v++)
				if (strncasecmp(v, "chunked", 7) == 0)
					*chunked = 1;
		}
		if (!eol)
			break;
		line = eol + 1;
	}
	return 0;
}

static void
viewer_close(int ep, struct viewer *v, int failed)
{
	if (v->fd >= 0) {
		epoll_ctl(ep, EPOLL_CTL_DEL, v->fd, NULL);
		close(v->fd);
	}
	v->fd = -1;
	v->ph = PH_DONE;
	if (failed)
		v->failed = 1;
}

static int
viewer_open(int ep, struct viewer *v, const struct sockaddr_in *sa)
{
	struct epoll_event e = { .events = EPOLLIN | EPOLLOUT };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0 && errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	v->fd = fd;
	v->ph = PH_CONNECT;
	e.data.ptr = v;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e) < 0) {
		close(fd);
		v->fd = -1;
		return -1;
	}
	return 0;
}

/* Handles readiness of one viewer; buf is scratch space of READ_BUF bytes. */
static void
viewer_io(int ep, struct viewer *v, uint32_t evs, const char *req, size_t reqlen, uint8_t *buf)
{
	if (v->ph == PH_CONNECT && (evs & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
		while (v->req_off < reqlen) {
			ssize_t w = send(v->fd, req + v->req_off, reqlen - v->req_off, MSG_NOSIGNAL);

			if (w < 0 && errno == EAGAIN)
				return;
			if (w <= 0) {
				viewer_close(ep, v, 1);
				return;
			}
			v->req_off += (size_t)w;
		}
		struct epoll_event e = { .events = EPOLLIN, .data.ptr = v };

		epoll_ctl(ep, EPOLL_CTL_MOD, v->fd, &e);
		v->ph = PH_HEADERS;
	}
	if (!(evs & (EPOLLIN | EPOLLHUP | EPOLLERR)) || v->ph == PH_CONNECT)
		return;
	for (;;) {
		ssize_t r = recv(v->fd, buf, READ_BUF, 0);
		size_t off = 0;

		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (r <= 0) {
			viewer_close(ep, v, 1);
			return;
		}
		v->bytes += (uint64_t)r;
		if (g_in_window)
			v->wbytes += (uint64_t)r;
		if (v->ph == PH_HEADERS) {
			size_t k = (size_t)r, i;
			int chunked;

			if (k > HDR_MAX - v->hdr_n)
				k = HDR_MAX - v->hdr_n;
			memcpy(v->hdr + v->hdr_n, buf, k);
			/* Look for the blank line, also across the previous read's end. */
			for (i = v->hdr_n >= 3 ? v->hdr_n - 3 : 0; i + 4 <= v->hdr_n + k; i++)
				if (memcmp(v->hdr + i, "\r\n\r\n", 4) == 0)
					break;
			if (i + 4 > v->hdr_n + k) {
				v->hdr_n += k;
				if (v->hdr_n == HDR_MAX)
					viewer_close(ep, v, 1);
				continue;
			}
			off = i + 4 - v->hdr_n;
			v->hdr_n = i + 4;
			if (parse_response_head(v->hdr, v->hdr_n, &chunked) < 0) {
				fprintf(stderr, "live_readers: not a 200 answer: %.*s\n",
				    (int)(memchr(v->hdr, '\r', v->hdr_n) ? (char *)memchr(v->hdr, '\r', v->hdr_n) - v->hdr : 0),
				    v->hdr);
				viewer_close(ep, v, 1);
				return;
			}
			live_scan_init(&v->sc, chunked);
			v->ph = PH_BODY;
		}
		if (v->ph == PH_BODY && off < (size_t)r) {
			int rc = live_scan_feed(&v->sc, buf + off, (size_t)r - off, on_event, v);

			if (rc != 0) {
				if (rc < 0)
					fprintf(stderr, "live_readers: malformed stream on camera %d\n", v->cam);
				viewer_close(ep, v, 1);
				return;
			}
		}
	}
}

static void
usage(void)
{
	fprintf(stderr, "usage: live_readers --port P --camera HEX32 [--camera HEX32 ...] --viewers M\n"
	    "       [--stream S] [--warmup S] [--duration S] [--header-file FILE]\n");
	exit(EXIT_USAGE);
}

int
main(int argc, char **argv)
{
	const char *cams[MAX_CAMERAS];
	char extra[EXTRA_HDR_MAX] = "";
	char (*reqs)[REQ_MAX] = NULL;
	size_t *reqlens = NULL;
	int ncams = 0, ep = -1, rc = 1, i;
	int64_t port = 0, m = 0, stream = 0, warmup = 5, duration = 20;
	struct viewer *vs = NULL;
	uint8_t *buf = NULL;
	struct sockaddr_in sa;
	struct rlimit rl;
	struct epoll_event evs[256];
	int64_t t0, t_open, t_close;
	size_t nv, k;
	double cpu0 = 0, cpu1;

	/* Options come in pairs: NAME VALUE. */
	for (i = 1; i < argc; i += 2) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (v == NULL)
			usage();
		if (strcmp(a, "--port") == 0) {
			if (parse_i64(v, 1, 65535, &port) < 0)
				usage();
		} else if (strcmp(a, "--camera") == 0) {
			if (ncams == MAX_CAMERAS || strlen(v) != 32 || strspn(v, "0123456789abcdef") != 32)
				usage();
			cams[ncams++] = v;
		} else if (strcmp(a, "--viewers") == 0) {
			if (parse_i64(v, 1, 100000, &m) < 0)
				usage();
		} else if (strcmp(a, "--stream") == 0) {
			if (parse_i64(v, 0, 255, &stream) < 0)
				usage();
		} else if (strcmp(a, "--warmup") == 0) {
			if (parse_i64(v, 0, 3600, &warmup) < 0)
				usage();
		} else if (strcmp(a, "--duration") == 0) {
			if (parse_i64(v, 1, 3600, &duration) < 0)
				usage();
		} else if (strcmp(a, "--header-file") == 0) {
			FILE *f = fopen(v, "r");
			char line[EXTRA_HDR_MAX];
			size_t used = 0;

			if (f == NULL) {
				fprintf(stderr, "live_readers: cannot open the header file\n");
				return EXIT_USAGE;
			}
			while (fgets(line, sizeof(line), f) != NULL) {
				size_t l = strcspn(line, "\r\n");

				if (l == 0)
					continue;
				if (used + l + 3 > sizeof(extra)) {
					fclose(f);
					fprintf(stderr, "live_readers: header file too long\n");
					return EXIT_USAGE;
				}
				memcpy(extra + used, line, l);
				memcpy(extra + used + l, "\r\n", 3);
				used += l + 2;
			}
			fclose(f);
		} else {
			usage();
		}
	}
	if (port == 0 || ncams == 0 || m == 0)
		usage();
	nv = (size_t)ncams * (size_t)m;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < nv + 64) {
		rl.rlim_cur = rl.rlim_max < nv + 64 ? rl.rlim_max : nv + 64;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	vs = calloc(nv, sizeof(*vs));
	reqs = calloc((size_t)ncams, sizeof(*reqs));
	reqlens = calloc((size_t)ncams, sizeof(*reqlens));
	buf = malloc(READ_BUF);
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (vs == NULL || reqs == NULL || reqlens == NULL || buf == NULL || ep < 0) {
		fprintf(stderr, "live_readers: out of memory\n");
		goto out;
	}
	for (i = 0; i < ncams; i++) {
		int n = snprintf(reqs[i], REQ_MAX, "GET /api/v1/cameras/%s/streams/%d/live HTTP/1.1\r\n"
		    "Host: 127.0.0.1:%d\r\n%s\r\n", cams[i], (int)stream, (int)port, extra);

		if (n < 0 || n >= REQ_MAX)
			goto out;
		reqlens[i] = (size_t)n;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

	t0 = now_mono_us();
	for (k = 0; k < nv; k++) {
		vs[k].fd = -1;
		vs[k].cam = (int)(k % (size_t)ncams);
		if (viewer_open(ep, &vs[k], &sa) < 0) {
			vs[k].failed = 1;
			vs[k].ph = PH_DONE;
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
			struct viewer *v = evs[j].data.ptr;

			viewer_io(ep, v, evs[j].events, reqs[v->cam], reqlens[v->cam], buf);
		}
	}
	cpu1 = self_cpu_s();
	printf("WINDOW end\n");
	{
		size_t ok = 0, failed = 0, within = 0;
		uint64_t skips = 0, gaps = 0, sum = 0, minb = UINT64_MAX;

		for (k = 0; k < nv; k++) {
			struct viewer *v = &vs[k];

			if (v->failed || v->ph != PH_BODY) {
				failed++;
			} else {
				ok++;
				if (v->samples > 0 && v->max_lag_us <= LAG_OK_US)
					within++;
			}
			skips += v->skips;
			gaps += v->gaps;
			sum += v->wbytes;
			if (v->wbytes < minb)
				minb = v->wbytes;
		}
		if (g_nlags > 0)
			qsort(g_lags, g_nlags, sizeof(*g_lags), cmp_i64);
		printf("viewers=%zu ok=%zu failed=%zu lag_p50_ms=%.1f lag_p99_ms=%.1f lag_max_ms=%.1f "
		    "within_1s=%zu mean_kbps=%.0f min_kbps=%.0f samples=%zu skips=%llu gaps=%llu self_cpu_s=%.2f\n",
		    nv, ok, failed, pct_ms(0.5), pct_ms(0.99), pct_ms(1.0), within,
		    (double)sum * 8.0 / 1000.0 / (double)nv / (double)duration,
		    (double)minb * 8.0 / 1000.0 / (double)duration, g_nlags,
		    (unsigned long long)skips, (unsigned long long)gaps, cpu1 - cpu0);
		fflush(stdout);
	}
	rc = 0;
out:
	if (vs != NULL)
		for (k = 0; k < nv; k++)
			if (vs[k].fd >= 0)
				close(vs[k].fd);
	if (ep >= 0)
		close(ep);
	free(vs);
	free(reqs);
	free(reqlens);
	free(buf);
	free(g_lags);
	return rc;
}

#endif /* LIVE_READERS_NO_MAIN */
