/* progress.h - a one-line progress bar on stderr, drawn only when stderr is a terminal. */
#ifndef VIGIL_CLI_PROGRESS_H
#define VIGIL_CLI_PROGRESS_H

#include <stddef.h>
#include <stdint.h>

struct progress {
	int on;
	size_t total;
	size_t done;
	uint64_t bytes;
	int drawn;
};

/* Start a bar for total steps; it is drawn only if stderr is a tty. */
void progress_start(struct progress *p, size_t total);
/* Record one more step of n bytes and redraw. */
void progress_step(struct progress *p, uint64_t n);
/* Erase the bar (before printing another line to stderr); the next step redraws it. */
void progress_clear(struct progress *p);

#endif
