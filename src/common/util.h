/* util.h - small helpers: clocks, hex, whole-file I/O, bounded integer parsing, logging. */
#ifndef VIGIL_UTIL_H
#define VIGIL_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include "common/buf.h"

/* Wall clock and monotonic clock in microseconds. */
int64_t now_us(void);
int64_t mono_us(void);

/* Lowercase hex. hex_encode writes 2n+1 bytes (NUL-terminated) into out.
 * hex_decode accepts exactly 2n hex characters; 0 or -1. */
void hex_encode(const uint8_t *in, size_t n, char *out);
int hex_decode(const char *in, uint8_t *out, size_t n);

/* Parse a decimal integer in [min,max], whole string; 0 or -1 (like OpenBSD strtonum). */
int parse_i64(const char *s, int64_t min, int64_t max, int64_t *out);

/* Read a whole file of at most max bytes into b (appends). 0 or -1 (errno set). */
int file_read(const char *path, struct buf *b, size_t max);
/* Write atomically: temp file in the same directory, fsync, rename, fsync dir. mode e.g. 0600. */
int file_write_atomic(const char *path, const void *p, size_t n, int mode);
/* mkdir -p with mode; 0 or -1. */
int mkdir_p(const char *path, int mode);
/* fsync a directory by path. */
int fsync_dir(const char *path);

/* Format an error message into err (errlen bytes, may be 0 or err NULL: then nothing). */
void errf(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* key=value logging to stderr: log_msg("info", "component", "fmt", ...). Never pass secrets. */
void log_msg(const char *level, const char *comp, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
#define log_info(comp, ...) log_msg("info", comp, __VA_ARGS__)
#define log_warn(comp, ...) log_msg("warn", comp, __VA_ARGS__)
#define log_err(comp, ...) log_msg("error", comp, __VA_ARGS__)

#endif
