/* passpolicy.h - the password rule: 12+ code points of valid UTF-8, at most 1024 bytes, not a common password. */
#ifndef VIGIL_PASSPOLICY_H
#define VIGIL_PASSPOLICY_H

#include <stddef.h>

#define PASSPOLICY_MIN_CHARS 12
#define PASSPOLICY_MAX_BYTES 1024
#define PASSPOLICY_LIST_MAX (8u << 20)   /* largest list file loaded */

#define PASSPOLICY_ERR_IO (-1)       /* list could not be read */
#define PASSPOLICY_ERR_UTF8 (-2)     /* not valid UTF-8, or contains NUL */
#define PASSPOLICY_ERR_SHORT (-3)    /* fewer than 12 code points */
#define PASSPOLICY_ERR_LONG (-4)     /* more than 1024 bytes */
#define PASSPOLICY_ERR_COMMON (-5)   /* on the list of common passwords */

struct passpolicy;

/* Load the common-password list (one a line; '#' lines and blank lines skipped; CR
 * stripped; ASCII letters folded to lower case) from path. 0 or PASSPOLICY_ERR_IO;
 * *out is owned by the caller (passpolicy_close). */
int passpolicy_open(const char *path, struct passpolicy **out);
void passpolicy_close(struct passpolicy *p);
/* Number of distinct entries loaded. */
size_t passpolicy_count(const struct passpolicy *p);

/* Check a candidate password of len bytes: 0 or one PASSPOLICY_ERR_*. p may be NULL (only
 * the length and encoding rules apply). The list comparison folds ASCII letters only. */
int passpolicy_check(const struct passpolicy *p, const char *pw, size_t len);

/* Code points in s (len bytes) if it is valid UTF-8 (no overlongs, surrogates, values past
 * U+10FFFF, or NUL); -1 otherwise. */
long passpolicy_utf8_count(const char *s, size_t len);

/* A short English sentence for an error, safe to show the user. */
const char *passpolicy_strerror(int err);

#endif
