/* main.c - the vigil command: dispatches to one subcommand per file. */
#include <stdio.h>
#include <string.h>
#include <sodium.h>
#include "cli/cli.h"
#include "cli/cmd_account.h"
#include "cli/cmd_audit.h"
#include "cli/cmd_org.h"
#include "cli/jsonv.h"

static const char USAGE[] =
    "usage: vigil COMMAND [options]   (vigil COMMAND --help for each)\n"
    "\n"
    "  demo       run server, camera simulator and gateway on 127.0.0.1 until Ctrl-C\n"
    "  export     verify and decrypt a time range of a camera into an .mp4\n"
    "  verify     verify a camera's signed chain over a time range, writing nothing\n"
    "  provision  make camera keys, keys.json and gateway.json; register the gateway\n"
    "  camsim     run the RTSP camera simulator (vigil-camsim) with the given options\n"
    "  audit      verify a downloaded audit log: audit verify FILE --server-key HEX\n"
    "  account    register (with a signup code) or log in: account register|login --help\n"
    "  org        create|show|list an organization (the admin's client)\n"
    "  site       add|list sites of an org\n"
    "  gateway    invite|accept|list gateways of an org\n"
    "  camera     add|list cameras (signed epoch keys and gateway configs)\n"
    "  member     invite|accept|remove|list members\n"
    "  join       accept an invitation as the invited user\n"
    "  grant      extend a viewer's scope and grant the keys\n"
    "  support    grant|revoke|list time-boxed support access\n"
    "  operator   orgs|quota: the instance operator's organizations and storage quotas\n";

struct command {
	const char *name;
	int (*fn)(int, char **);
};

static const struct command commands[] = {
	{ "demo", cmd_demo },
	{ "export", cmd_export },
	{ "verify", cmd_verify },
	{ "provision", cmd_provision },
	{ "camsim", cmd_camsim },
	{ "audit", cmd_audit },
	{ "account", cmd_account },
	{ "org", cmd_org },
	{ "site", cmd_site },
	{ "gateway", cmd_gateway },
	{ "camera", cmd_camera },
	{ "member", cmd_member },
	{ "join", cmd_join },
	{ "grant", cmd_grant },
	{ "support", cmd_support },
	{ "operator", cmd_operator },
};

int
main(int argc, char **argv)
{
	size_t i;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		fputs(USAGE, argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : 0;
	}
	/* keys.json holds secret keys: jansson must wipe what it frees. */
	jsonv_wipe_on_free();
	if (sodium_init() < 0) {
		fprintf(stderr, "vigil: libsodium failed to initialise\n");
		return EXIT_RUNTIME;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "vigil: unknown command '%s'\n\n%s", argv[1], USAGE);
	return EXIT_USAGE;
}
