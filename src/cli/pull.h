/* pull.h - fetches a time range of one camera stream and runs it through the clip verifier. */
#ifndef VIGIL_CLI_PULL_H
#define VIGIL_CLI_PULL_H

#include <stdint.h>
#include "cli/clip.h"
#include "cli/viewcfg.h"

/* Exit codes shared by export and verify. */
#define EXIT_VERIFY 3

struct pull_opts {
	const struct viewcfg *v;
	const struct keys_camera *cam;
	uint8_t stream;
	int64_t from_us, to_us;
	struct mp4out *out;   /* NULL: verify only */
};

/* Download every link of [from, to) in seq order and verify (and write) each one.
 * Prints gaps and notices to stderr, and on failure "error: ..." lines. Fills *st.
 * Returns 0, 1 (network, server or file error) or EXIT_VERIFY (a link failed
 * verification); on any failure the output files are removed. */
int pull_run(const struct pull_opts *o, struct clip_stats *st);
/* The same with a session cookie ("name=value", from `vigil account login`) instead of
 * the viewcfg's bearer token: how org viewers reach the footage routes. */
int pull_run_session(const struct pull_opts *o, const char *cookie, struct clip_stats *st);

#endif
