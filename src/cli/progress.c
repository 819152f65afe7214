/* progress.c - drawing and erasing the export progress bar on a terminal. */
#include <stdio.h>
#include <unistd.h>
#include "cli/progress.h"

#define BAR_WIDTH 30

void
progress_start(struct progress *p, size_t total)
{
	p->on = isatty(STDERR_FILENO);
	p->total = total;
	p->done = 0;
	p->bytes = 0;
	p->drawn = 0;
}

void
progress_step(struct progress *p, uint64_t n)
{
	char bar[BAR_WIDTH + 1];
	size_t i, fill;

	p->done++;
	p->bytes += n;
	if (!p->on)
		return;
	fill = p->total ? p->done * BAR_WIDTH / p->total : BAR_WIDTH;
	if (fill > BAR_WIDTH)
		fill = BAR_WIDTH;
	for (i = 0; i < BAR_WIDTH; i++)
		bar[i] = i < fill ? '#' : '.';
	bar[BAR_WIDTH] = '\0';
	fprintf(stderr, "\r[%s] %zu/%zu links %.1f MiB", bar, p->done, p->total,
	    (double)p->bytes / (1024.0 * 1024.0));
	fflush(stderr);
	p->drawn = 1;
}

void
progress_clear(struct progress *p)
{
	if (!p->on || !p->drawn)
		return;
	fprintf(stderr, "\r\033[K");
	fflush(stderr);
	p->drawn = 0;
}
