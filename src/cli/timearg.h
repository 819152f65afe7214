/* timearg.h - parsing and printing the command line's times (ISO 8601 UTC/offset, or relative to now). */
#ifndef VIGIL_CLI_TIMEARG_H
#define VIGIL_CLI_TIMEARG_H

#include <stddef.h>
#include <stdint.h>

/* Longest accepted time argument; anything longer is rejected before parsing. */
#define TIMEARG_MAX_LEN 64
/* Buffer size that always holds timearg_format's output. */
#define TIMEARG_FMT_LEN 40

/* Parse s into microseconds since the Unix epoch (UTC). Accepts
 *   "now";
 *   "-N<unit>" with unit s, m, h or d (N a decimal integer, at most 10 years back);
 *   "YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM|+HHMM|-HHMM)", years 1970..9999,
 *   'T' or a space between date and time, fractions of up to 9 digits (truncated to us).
 * A time without a zone is rejected: it would silently depend on the local clock setting.
 * now is the current time in us. Returns 0, or -1 with a short reason in *why (static). */
int timearg_parse(const char *s, int64_t now, int64_t *out, const char **why);

/* Print us as "YYYY-MM-DDTHH:MM:SS[.ffffff]Z" into out (TIMEARG_FMT_LEN bytes). */
void timearg_format(int64_t us, char *out, size_t n);

#endif
