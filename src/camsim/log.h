/* Key=value logging to stderr for the camera simulator. */
#ifndef VIGIL_CAMSIM_LOG_H
#define VIGIL_CAMSIM_LOG_H

/*
 * camsim_log writes one line "ts=<unix-ms> prog=camsim level=<level> <fmt...>" to
 * stderr. The caller's format must itself be key=value pairs. Thread-safe (one
 * fprintf per line under the stdio lock).
 */
void camsim_log(const char *level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define log_info(...) camsim_log("info", __VA_ARGS__)
#define log_warn(...) camsim_log("warn", __VA_ARGS__)
#define log_error(...) camsim_log("error", __VA_ARGS__)

#endif
