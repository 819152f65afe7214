/* totp.h - RFC 6238 TOTP (HMAC-SHA1, 30 s, 6 digits), base32 secrets and otpauth:// URIs. */
#ifndef VIGIL_TOTP_H
#define VIGIL_TOTP_H

#include <stddef.h>
#include <stdint.h>

#define TOTP_SECRET_LEN 20        /* 160-bit secret, as RFC 4226 recommends */
#define TOTP_STEP_US INT64_C(30000000)
#define TOTP_DIGITS 6
#define TOTP_WINDOW 1             /* steps accepted either side of now */
#define TOTP_B32_MAX 128          /* longest base32 secret accepted (80 bytes) */
#define TOTP_URI_MAX 512

#define TOTP_ERR_INVAL (-2)       /* malformed code, secret or argument */
#define TOTP_ERR_BAD (-3)         /* wrong code */
#define TOTP_ERR_REPLAY (-4)      /* right code, but its step was already used */

/* A fresh random secret. */
void totp_secret_new(uint8_t secret[TOTP_SECRET_LEN]);

/* RFC 4226 HOTP value of counter with digits (6..8) decimal digits (HMAC-SHA1). */
uint32_t totp_hotp(const uint8_t *key, size_t keylen, uint64_t counter, int digits);

/* The time step of now_us (Unix microseconds, >= 0): floor(now / 30 s). */
int64_t totp_step(int64_t now_us);

/* Verify a typed code: exactly 6 ASCII digits (one space or '-' in the middle allowed),
 * against steps now-1, now, now+1, all compared in constant time. A step <= last_step
 * (the last one accepted for this secret; -1 for none) is refused as a replay. On success
 * returns 0 and sets *step to the step matched, which the caller must store as the new
 * last_step before answering. Otherwise TOTP_ERR_INVAL, TOTP_ERR_BAD or TOTP_ERR_REPLAY. */
int totp_verify(const uint8_t *key, size_t keylen, const char *code, int64_t now_us,
    int64_t last_step, int64_t *step) __attribute__((warn_unused_result));

/* RFC 4648 base32 without padding. Writes a NUL-terminated string; 0 or TOTP_ERR_INVAL
 * when out (outsz bytes) is too small. */
int totp_b32_encode(const uint8_t *in, size_t n, char *out, size_t outsz);
/* Decode untrusted base32: case-insensitive, spaces and trailing '=' ignored, at most
 * TOTP_B32_MAX characters, non-zero leftover bits refused. 0 or TOTP_ERR_INVAL. */
int totp_b32_decode(const char *in, uint8_t *out, size_t outmax, size_t *outlen)
    __attribute__((warn_unused_result));

/* otpauth://totp/ISSUER:ACCOUNT?secret=B32&issuer=ISSUER&algorithm=SHA1&digits=6&period=30
 * with issuer and account percent-encoded (RFC 3986 unreserved kept). 0 or TOTP_ERR_INVAL. */
int totp_uri(const char *issuer, const char *account, const uint8_t *secret, size_t n,
    char *out, size_t outsz);

#endif
