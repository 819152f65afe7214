/* vargs.c - parsing and resolving the viewer commands' shared options. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include "cli/timearg.h"
#include "cli/vargs.h"
#include "common/util.h"

enum { O_DEMO = 256, O_SERVER, O_TOKEN, O_KEYS, O_CAMERA, O_FROM, O_TO, O_STREAM, O_HELP };

int
vargs_parse(int argc, char **argv, int with_output, const char *usage, struct vargs *a)
{
	static const struct option lo[] = {
		{ "demo", required_argument, NULL, O_DEMO },
		{ "server", required_argument, NULL, O_SERVER },
		{ "token-file", required_argument, NULL, O_TOKEN },
		{ "keys", required_argument, NULL, O_KEYS },
		{ "camera", required_argument, NULL, O_CAMERA },
		{ "from", required_argument, NULL, O_FROM },
		{ "to", required_argument, NULL, O_TO },
		{ "stream", required_argument, NULL, O_STREAM },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 },
	};
	int64_t s;
	int c;

	memset(a, 0, sizeof(*a));
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, with_output ? ":o:h" : ":h", lo, NULL)) != -1) {
		switch (c) {
		case O_DEMO: a->demo = optarg; break;
		case O_SERVER: a->server = optarg; break;
		case O_TOKEN: a->token_file = optarg; break;
		case O_KEYS: a->keys = optarg; break;
		case O_CAMERA: a->camera = optarg; break;
		case O_FROM: a->from = optarg; break;
		case O_TO: a->to = optarg; break;
		case O_STREAM:
			if (parse_i64(optarg, 0, 1, &s) != 0) {
				fprintf(stderr, "vigil %s: --stream: want 0 (main) or 1 (sub)\n",
				    argv[0]);
				return -1;
			}
			a->stream = (uint8_t)s;
			break;
		case 'o':
			if (!with_output)
				goto bad;
			a->output = optarg;
			break;
		case 'h':
		case O_HELP:
			fputs(usage, stdout);
			return 1;
		case ':':
			fprintf(stderr, "vigil %s: %s needs a value (try --help)\n", argv[0],
			    argv[optind - 1]);
			return -1;
		default:
			goto bad;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "vigil %s: unexpected argument '%s' (try --help)\n", argv[0],
		    argv[optind]);
		return -1;
	}
	if (a->camera == NULL) {
		fprintf(stderr, "vigil %s: --camera NAME is required (try --help)\n", argv[0]);
		return -1;
	}
	if (with_output && a->output == NULL) {
		fprintf(stderr, "vigil %s: -o FILE is required (try --help)\n", argv[0]);
		return -1;
	}
	return 0;
bad:
	fprintf(stderr, "vigil %s: unknown option '%s' (try --help)\n", argv[0],
	    argv[optind - 1]);
	return -1;
}

int
vargs_resolve(const struct vargs *a, struct viewcfg *v, const struct keys_camera **cam,
    int64_t from_def, int64_t to_def, int64_t *from, int64_t *to)
{
	char err[512];
	uint8_t id[CAMERA_ID_LEN];
	const char *why;
	int64_t now = now_us();

	*cam = NULL;
	*from = from_def;
	*to = to_def;
	if (a->from != NULL && timearg_parse(a->from, now, from, &why) != 0) {
		fprintf(stderr, "error: --from: %s\n", why);
		return -1;
	}
	if (a->to != NULL && timearg_parse(a->to, now, to, &why) != 0) {
		fprintf(stderr, "error: --to: %s\n", why);
		return -1;
	}
	if (*from >= *to) {
		fprintf(stderr, "error: --from must be before --to\n");
		return -1;
	}
	if (viewcfg_load(v, a->demo, a->server, a->token_file, a->keys, err, sizeof(err)) != 0) {
		fprintf(stderr, "error: %s\n", err);
		return -1;
	}
	*cam = keysfile_camera_by_name(v->keys, a->camera);
	if (*cam == NULL && hex_decode(a->camera, id, sizeof(id)) == 0)
		*cam = keysfile_camera_by_id(v->keys, id);
	if (*cam == NULL) {
		fprintf(stderr, "error: camera '%s' is not in the keys file (no key, no footage)\n",
		    a->camera);
		viewcfg_clear(v);
		return -1;
	}
	return 0;
}
