/* cmd_audit.c - `vigil audit verify`: check a downloaded audit log offline against the server's audit key. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "cli/cli.h"
#include "cli/cmd_audit.h"
#include "common/auditlog.h"
#include "common/util.h"

#define EXIT_TAMPERED 3

static const char USAGE[] =
    "usage: vigil audit verify FILE --server-key HEX\n"
    "\n"
    "Checks an organization's downloaded audit log (JSON Lines; FILE '-' reads stdin):\n"
    "every line's form and hash, the seq numbering and prev links from the file's first\n"
    "entry, each checkpoint's signature by the server's audit key (64 hex characters),\n"
    "and that the file ends with a checkpoint over its last entry. Prints\n"
    "'ok entries=N checkpoints=M org=ID head_seq=S checkpoint_time=T', or the first\n"
    "problem (changed, missing, inserted, reordered entries, a truncated tail, a bad\n"
    "checkpoint signature) and exits 3. Exit 2: usage error, 1: file unreadable.\n";

/* Feed the whole stream to the verifier. 0, or -1 on a read error. */
static int
feed_file(FILE *f, struct auditlog_verifier *v)
{
	uint8_t chunk[65536];
	size_t n;

	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (auditlog_verifier_feed(v, chunk, n) != 0)
			break;	/* the problem is reported by finish */
	return ferror(f) ? -1 : 0;
}

static void
print_ok(const struct auditlog_report *r)
{
	char when[32] = "?";
	time_t secs = (time_t)(r->head_time_us / 1000000);
	struct tm tm;

	if (gmtime_r(&secs, &tm) != NULL)
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	printf("ok entries=%llu checkpoints=%llu org=%s head_seq=%llu checkpoint_time=%s\n",
	    (unsigned long long)r->entries, (unsigned long long)r->checkpoints,
	    r->org[0] != '\0' ? r->org : "-", (unsigned long long)r->head_seq, when);
}

static int
audit_verify(int argc, char **argv)
{
	struct auditlog_verifier *v = NULL;
	struct auditlog_report r;
	const char *file = NULL, *keyhex = NULL;
	uint8_t pk[32];
	FILE *f = NULL;
	int i, rc = EXIT_USAGE;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(USAGE, stdout);
			return 0;
		} else if (strcmp(argv[i], "--server-key") == 0 && i + 1 < argc) {
			keyhex = argv[++i];
		} else if (argv[i][0] == '-' && strcmp(argv[i], "-") != 0) {
			fprintf(stderr, "vigil audit verify: unknown option (see --help)\n");
			return EXIT_USAGE;
		} else if (file == NULL) {
			file = argv[i];
		} else {
			fprintf(stderr, "vigil audit verify: one FILE only\n\n%s", USAGE);
			return EXIT_USAGE;
		}
	}
	if (file == NULL || keyhex == NULL) {
		fprintf(stderr, "%s", USAGE);
		return EXIT_USAGE;
	}
	if (strlen(keyhex) != 64 || hex_decode(keyhex, pk, sizeof(pk)) != 0) {
		fprintf(stderr, "vigil audit verify: --server-key takes 64 hex characters\n");
		return EXIT_USAGE;
	}
	f = strcmp(file, "-") == 0 ? stdin : fopen(file, "rb");
	if (f == NULL) {
		fprintf(stderr, "vigil audit verify: cannot open %s: %s\n", file, strerror(errno));
		rc = EXIT_RUNTIME;
		goto out;
	}
	if (auditlog_verifier_new(&v, pk) != 0) {
		rc = EXIT_RUNTIME;
		goto out;
	}
	if (feed_file(f, v) != 0) {
		fprintf(stderr, "vigil audit verify: reading %s failed\n", file);
		rc = EXIT_RUNTIME;
		goto out;
	}
	switch (auditlog_verifier_finish(v, &r)) {
	case 0:
		print_ok(&r);
		rc = 0;
		break;
	case AUDITLOG_E_TAMPERED:
		fprintf(stderr, "vigil audit verify: %s\n", r.msg);
		rc = EXIT_TAMPERED;
		break;
	default:
		fprintf(stderr, "vigil audit verify: out of memory\n");
		rc = EXIT_RUNTIME;
		break;
	}
out:
	auditlog_verifier_free(v);
	if (f != NULL && f != stdin)
		fclose(f);
	return rc;
}

int
cmd_audit(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "verify") == 0)
		return audit_verify(argc - 1, argv + 1);
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(USAGE, stdout);
		return 0;
	}
	fprintf(stderr, "%s", USAGE);
	return EXIT_USAGE;
}
