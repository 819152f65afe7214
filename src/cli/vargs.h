/* vargs.h - the command-line options shared by the viewer commands (export, verify). */
#ifndef VIGIL_CLI_VARGS_H
#define VIGIL_CLI_VARGS_H

#include <stdint.h>
#include "cli/viewcfg.h"

struct vargs {
	const char *demo, *server, *token_file, *keys;
	const char *camera, *from, *to, *output;
	uint8_t stream;
};

/* Parse argv (argv[0] = subcommand name). with_output: accept -o/--output FILE. Prints
 * the problem and returns -1 on a usage error, 1 after printing help, else 0. */
int vargs_parse(int argc, char **argv, int with_output, const char *usage, struct vargs *a);

/* Load the server, token and keys, find the camera (by name or 32-hex id) and parse the
 * times (defaults when absent: from_def, to_def). 0, or -1 after printing an error. */
int vargs_resolve(const struct vargs *a, struct viewcfg *v, const struct keys_camera **cam,
    int64_t from_def, int64_t to_def, int64_t *from, int64_t *to);

#endif
