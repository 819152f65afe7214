/* setcookie.h - picks the session cookie out of a server's Set-Cookie header (untrusted text). */
#ifndef VIGIL_CLI_SETCOOKIE_H
#define VIGIL_CLI_SETCOOKIE_H

#include <stddef.h>

#define SETCOOKIE_MAX 256   /* longest "name=value" kept */

/* From one Set-Cookie header value (len bytes, not NUL-terminated), the "name=value" pair
 * of the session cookie ("__Host-vigil_session" or "vigil_session") when its value is 1..128
 * base64url characters, NUL-terminated into out (outsz >= SETCOOKIE_MAX). 0, or -1 when the
 * header sets another cookie or is malformed; an empty value (a deletion) is -1 too. */
int setcookie_session(const char *hdr, size_t len, char *out, size_t outsz);

#endif
