/* cmd_export.c - `vigil export`: download, verify and decrypt a time range into fragmented MP4. */
#include <stdio.h>
#include "cli/cli.h"
#include "cli/mp4out.h"
#include "cli/pull.h"
#include "cli/timearg.h"
#include "cli/vargs.h"
#include "common/util.h"

static const char USAGE[] =
    "usage: vigil export (--demo DIR/demo.json | --server URL --token-file F --keys F)\n"
    "                    --camera NAME --from TIME [--to TIME] [--stream 0|1] -o clip.mp4\n"
    "\n"
    "Downloads the links of [from, to), verifies each against the gateway key pinned in\n"
    "keys.json and the chain, decrypts with the camera's epoch key and writes a\n"
    "fragmented MP4. The clip starts at the keyframe of the segment holding --from and\n"
    "ends with the last frame before --to. If the stream's init changes (resolution or\n"
    "codec), the clip continues in clip-2.mp4, clip-3.mp4...\n"
    "TIME: 2026-11-27T23:50:00Z, 2026-11-28T00:50:00.5+01:00, now, -30s, -5m, -2h, -1d.\n"
    "Exit: 0 ok, 1 error, 2 usage, 3 verification failed (no file is left behind).\n";

int
cmd_export(int argc, char **argv)
{
	struct vargs a;
	struct viewcfg v;
	const struct keys_camera *cam;
	struct clip_stats st = { 0 };
	struct mp4out *out = NULL;
	char f[TIMEARG_FMT_LEN], t[TIMEARG_FMT_LEN];
	int64_t from, to;
	size_t i;
	int rc;

	rc = vargs_parse(argc, argv, 1, USAGE, &a);
	if (rc != 0)
		return rc > 0 ? 0 : EXIT_USAGE;
	if (a.from == NULL) {
		fprintf(stderr, "vigil export: --from TIME is required (try --help)\n");
		return EXIT_USAGE;
	}
	if (vargs_resolve(&a, &v, &cam, 0, now_us(), &from, &to) != 0)
		return EXIT_RUNTIME;
	out = mp4out_new(a.output);
	if (out == NULL) {
		fprintf(stderr, "error: -o: bad path\n");
		rc = EXIT_RUNTIME;
		goto out;
	}
	{
		struct pull_opts po = { &v, cam, a.stream, from, to, out };

		rc = pull_run(&po, &st);
	}
	if (rc != 0)
		goto out;
	if (st.frames == 0) {
		timearg_format(from, f, sizeof(f));
		timearg_format(to, t, sizeof(t));
		fprintf(stderr, "error: no footage of %s in [%s, %s): no file written\n",
		    cam->name, f, t);
		rc = EXIT_RUNTIME;
		goto out;
	}
	for (i = 0; i < mp4out_nparts(out); i++)
		printf("wrote %s\n", mp4out_part(out, i));
	timearg_format(st.first_us, f, sizeof(f));
	timearg_format(st.last_us, t, sizeof(t));
	printf("exported segments=%llu frames=%llu gaps=%llu from=%s to=%s%s\n",
	    (unsigned long long)st.segments, (unsigned long long)st.frames,
	    (unsigned long long)st.gaps, f, t,
	    st.truncated ? " (some segments truncated by a gateway restart)" : "");
out:
	mp4out_free(out);
	viewcfg_clear(&v);
	return rc;
}
