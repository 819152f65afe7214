/* Key=value logging to stderr for the camera simulator. */
#include "camsim/log.h"

#include <stdarg.h>
#include <stdio.h>

#include <glib.h>

void
camsim_log(const char *level, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "ts=%" G_GINT64_FORMAT " prog=camsim level=%s %s\n",
	    g_get_real_time() / 1000, level, msg);
	fflush(stderr);
}
