/* cmd_provision.c - `vigil provision`: the command line around provision_run. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include "cli/cli.h"
#include "cli/provision.h"
#include "common/util.h"

static const char USAGE[] =
    "usage: vigil provision --data DIR --cameras N --rtsp-base rtsp://127.0.0.1:P\n"
    "                       --server URL --admin-token-file F --gateway-key F --spool DIR\n"
    "                       [--main-only]\n"
    "\n"
    "Acting as the org admin's client (interim, until accounts and enrollment land):\n"
    "makes cam1..camN (random 16-byte id, epoch-1 X25519 keypair) in DIR/keys.json\n"
    "(mode 0600, the viewer's keys; existing cameras are kept), writes DIR/gateway.json\n"
    "(public keys only) and registers the gateway key with the server.\n"
    "--main-only: configure stream 0 only (camsim replay mode without substreams).\n";

enum { O_DATA = 256, O_CAMERAS, O_RTSP, O_SERVER, O_TOKEN, O_GWKEY, O_SPOOL, O_MAIN, O_HELP };

int
cmd_provision(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "data", required_argument, NULL, O_DATA },
		{ "cameras", required_argument, NULL, O_CAMERAS },
		{ "rtsp-base", required_argument, NULL, O_RTSP },
		{ "server", required_argument, NULL, O_SERVER },
		{ "admin-token-file", required_argument, NULL, O_TOKEN },
		{ "gateway-key", required_argument, NULL, O_GWKEY },
		{ "spool", required_argument, NULL, O_SPOOL },
		{ "main-only", no_argument, NULL, O_MAIN },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 },
	};
	struct provision_opts o;
	char err[512];
	int64_t n;
	int c;

	memset(&o, 0, sizeof(o));
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", lo, NULL)) != -1) {
		switch (c) {
		case O_DATA: o.data_dir = optarg; break;
		case O_CAMERAS:
			if (parse_i64(optarg, 1, PROVISION_MAX_CAMERAS, &n) != 0) {
				fprintf(stderr, "vigil provision: --cameras: want 1..%d\n",
				    PROVISION_MAX_CAMERAS);
				return EXIT_USAGE;
			}
			o.ncameras = (unsigned)n;
			break;
		case O_RTSP: o.rtsp_base = optarg; break;
		case O_SERVER: o.server = optarg; break;
		case O_TOKEN: o.admin_token_file = optarg; break;
		case O_GWKEY: o.gateway_key = optarg; break;
		case O_SPOOL: o.spool_dir = optarg; break;
		case O_MAIN: o.main_only = 1; break;
		case 'h':
		case O_HELP:
			fputs(USAGE, stdout);
			return 0;
		case ':':
			fprintf(stderr, "vigil provision: %s needs a value (try --help)\n",
			    argv[optind - 1]);
			return EXIT_USAGE;
		default:
			fprintf(stderr, "vigil provision: unknown option '%s' (try --help)\n",
			    argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (optind != argc || o.data_dir == NULL || o.ncameras == 0 || o.rtsp_base == NULL ||
	    o.server == NULL || o.admin_token_file == NULL || o.gateway_key == NULL ||
	    o.spool_dir == NULL) {
		fprintf(stderr, "vigil provision: --data, --cameras, --rtsp-base, --server, "
		    "--admin-token-file, --gateway-key and --spool are required (try --help)\n");
		return EXIT_USAGE;
	}
	if (provision_run(&o, err, sizeof(err)) != 0) {
		fprintf(stderr, "error: %s\n", err);
		return EXIT_RUNTIME;
	}
	printf("provisioned cameras=%u keys=%s/keys.json gateway_config=%s/gateway.json\n",
	    o.ncameras, o.data_dir, o.data_dir);
	return 0;
}
