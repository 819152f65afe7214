/* orgargs.c - a small checked "--name value" parser for the org admin commands. */
#include <stdio.h>
#include <string.h>
#include "cli/orgargs.h"

static const char COMMON[] = "server session pin-dir org org-fingerprint";

/* 1 when word is one of the space-separated names in list. */
static int
in_list(const char *list, const char *word)
{
	size_t n = strlen(word);
	const char *p = list;

	while (p != NULL && *p != '\0') {
		if (strncmp(p, word, n) == 0 && (p[n] == ' ' || p[n] == '\0'))
			return 1;
		p = strchr(p, ' ');
		if (p != NULL)
			p++;
	}
	return 0;
}

int
orgargs_parse(int argc, char **argv, int start, const char *allowed, struct orgargs *a)
{
	int i;

	memset(a, 0, sizeof(*a));
	for (i = start; i < argc; i++) {
		const char *o = argv[i], *nm;

		if (strcmp(o, "--help") == 0 || strcmp(o, "-h") == 0) {
			a->help = 1;
			continue;
		}
		if (strcmp(o, "--kdf-fast") == 0) {
			a->kdf_fast = 1;
			continue;
		}
		/* A confirmation flag, meaningful only where "yes" is allowed. */
		if (strcmp(o, "--yes") == 0 && in_list(allowed, "yes")) {
			a->yes = 1;
			continue;
		}
		/* -o is --output, as in the other viewer commands. */
		nm = strcmp(o, "-o") == 0 ? "output" : o + 2;
		if ((strncmp(o, "--", 2) != 0 && strcmp(o, "-o") != 0) ||
		    (!in_list(COMMON, nm) && !in_list(allowed, nm))) {
			fprintf(stderr, "vigil: unknown option '%s' (see --help)\n", o);
			return -1;
		}
		if (i + 1 >= argc || a->n >= ORGARGS_MAX || orgargs_get(a, nm) != NULL) {
			fprintf(stderr, "vigil: option '%s' needs one value, given once\n", o);
			return -1;
		}
		a->name[a->n] = nm;
		a->val[a->n] = argv[++i];
		a->n++;
	}
	return 0;
}

const char *
orgargs_get(const struct orgargs *a, const char *name)
{
	int i;

	for (i = 0; i < a->n; i++)
		if (strcmp(a->name[i], name) == 0)
			return a->val[i];
	return NULL;
}

void
orgargs_opts(const struct orgargs *a, struct orgc_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->server = orgargs_get(a, "server");
	o->session = orgargs_get(a, "session");
	o->pin_dir = orgargs_get(a, "pin-dir");
	o->fingerprint = orgargs_get(a, "org-fingerprint");
	o->kdf_fast = a->kdf_fast;
}
