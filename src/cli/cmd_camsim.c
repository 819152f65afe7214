/* cmd_camsim.c - `vigil camsim ARGS...`: runs the sibling vigil-camsim binary with ARGS. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "cli/child.h"
#include "cli/cli.h"

int
cmd_camsim(int argc, char **argv)
{
	char bin[PATH_MAX];

	(void)argc;
	if (child_sibling("vigil-camsim", bin, sizeof(bin)) != 0) {
		fprintf(stderr, "error: cannot find vigil-camsim next to this program\n");
		return EXIT_RUNTIME;
	}
	/* argv[0] becomes the camsim's own name; the rest pass through unchanged. */
	argv[0] = bin;
	execv(bin, argv);
	fprintf(stderr, "error: cannot run %s: %s\n", bin, strerror(errno));
	return EXIT_RUNTIME;
}
