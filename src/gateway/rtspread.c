/* rtspread.c - read-ahead under libavformat's RTSP socket reads: poll() and recv() served from one large recv(). */
#include "gateway/rtspread.h"

#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sodium.h>

/* Enough for dozens of RTP packets; a 720p frame at 3 Mbit/s is ~15 KB. */
#define RTSPREAD_CAP ((size_t)64 * 1024)

struct rtspread {
	int fd;          /* the socket whose bytes buf holds, -1 before the first read */
	size_t off, len; /* unread bytes are buf[off..len) */
	uint8_t buf[RTSPREAD_CAP];
};

/* The read-ahead of the calling thread, NULL when it has entered none. */
static _Thread_local struct rtspread *rr_cur;

/* These definitions take the place of the C library's for every caller in the process
 * (libavformat calls them through its PLT), so they must behave exactly like them when
 * no read-ahead applies. They reach the C library through recvfrom() and ppoll(), which
 * are not redefined here. */
ssize_t recv(int fd, void *p, size_t n, int flags);
int poll(struct pollfd *fds, nfds_t nfds, int timeout);

struct rtspread *
rtspread_new(void)
{
	struct rtspread *r = malloc(sizeof(*r));

	if (r != NULL) {
		r->fd = -1;
		r->off = 0;
		r->len = 0;
	}
	return r;
}

void
rtspread_free(struct rtspread *r)
{
	/* The buffer has held raw RTP, i.e. plaintext video: wiped whole, since len says
	 * only how much the last read filled. */
	if (r != NULL)
		sodium_memzero(r->buf, sizeof(r->buf));
	free(r);
}

void
rtspread_enter(struct rtspread *r)
{
	rr_cur = r;
}

void
rtspread_leave(void)
{
	rr_cur = NULL;
}

ssize_t
recv(int fd, void *p, size_t n, int flags)
{
	struct rtspread *r = rr_cur;
	ssize_t got;
	size_t k;

	/* Only plain reads of the adopted socket (or of any socket while nothing is held)
	 * go through the buffer; anything else is the C library's recv. */
	if (r == NULL || flags != 0 || n == 0 || (r->off < r->len && r->fd != fd))
		return recvfrom(fd, p, n, flags, NULL, NULL);
	if (r->off == r->len) {
		r->fd = fd;
		r->off = 0;
		r->len = 0;
		if (n >= RTSPREAD_CAP)
			return recvfrom(fd, p, n, 0, NULL, NULL);
		/* The socket is non-blocking (libavformat polls first), so asking for more
		 * than was requested returns what is there without waiting for the rest. */
		got = recvfrom(fd, r->buf, RTSPREAD_CAP, 0, NULL, NULL);
		if (got <= 0)
			return got;
		r->len = (size_t)got;
	}
	k = r->len - r->off;
	if (k > n)
		k = n;
	memcpy(p, r->buf + r->off, k);
	r->off += k;
	return (ssize_t)k;
}

/* glibc declares poll's array write-only (access attribute), but poll reads it: without
 * this, GCC takes reading fds[0] for a read of uninitialised memory. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
int
poll(struct pollfd *fds, nfds_t nfds, int timeout)
{
	struct rtspread *r = rr_cur;
	struct timespec ts, *tp = NULL;

	/* A wait to read the adopted socket while bytes are held is answered at once. */
	if (r != NULL && nfds == 1 && fds[0].fd == r->fd && r->off < r->len &&
	    (fds[0].events & POLLIN) != 0) {
		fds[0].revents = POLLIN;
		return 1;
	}
	if (timeout >= 0) {
		ts.tv_sec = timeout / 1000;
		ts.tv_nsec = (long)(timeout % 1000) * 1000000L;
		tp = &ts;
	}
	return ppoll(fds, nfds, tp, NULL);
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
