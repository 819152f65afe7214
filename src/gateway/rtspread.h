/* rtspread.h - read-ahead under libavformat's RTSP socket reads, so that one recv() serves many small reads. */
#ifndef VIGIL_GATEWAY_RTSPREAD_H
#define VIGIL_GATEWAY_RTSPREAD_H

/* libavformat reads an RTSP TCP-interleaved stream in pieces of 1, 3 and ~1400 bytes
 * (the '$', the channel and length, the RTP packet), each after its own poll(): about
 * 33 poll+recv pairs per 720p frame. This module defines poll() and recv() for the
 * gateway's executable; on a thread that has entered a read-ahead they are served from
 * a buffer filled by one large recv() of the same socket, and on every other thread (or
 * socket) they are the C library's. The bytes and their order are unchanged. */
struct rtspread;

/* A read-ahead for one RTSP session (one socket at a time). NULL when out of memory. */
struct rtspread *rtspread_new(void);
/* NULL-safe. The read-ahead must not be entered by any thread. */
void rtspread_free(struct rtspread *r);
/* Route the calling thread's recv()/poll() of one socket through r until rtspread_leave:
 * call around every libavformat call that may read the session's socket. r adopts the
 * first socket read while its buffer is empty. */
void rtspread_enter(struct rtspread *r);
void rtspread_leave(void);

#endif
