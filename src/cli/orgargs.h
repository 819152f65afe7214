/* orgargs.h - option parsing shared by the org admin commands: --name VALUE pairs checked against an allowed list. */
#ifndef VIGIL_CLI_ORGARGS_H
#define VIGIL_CLI_ORGARGS_H

#include "cli/orgclient.h"

#define ORGARGS_MAX 24

struct orgargs {
	int n;
	const char *name[ORGARGS_MAX];
	const char *val[ORGARGS_MAX];
	int kdf_fast, help, yes;   /* flags; --yes only where allowed lists "yes" */
};

/* Parse argv[start..]: every option must be "--NAME VALUE" with NAME in allowed (a
 * space-separated list; the common ones server, session, pin-dir, org, org-fingerprint
 * and the flag --kdf-fast are always allowed) or --help. 0, or -1 after printing the
 * problem. */
int orgargs_parse(int argc, char **argv, int start, const char *allowed, struct orgargs *a);
/* The value of --name, or NULL. */
const char *orgargs_get(const struct orgargs *a, const char *name);
/* The orgc_opts from the common options. */
void orgargs_opts(const struct orgargs *a, struct orgc_opts *o);

#endif
