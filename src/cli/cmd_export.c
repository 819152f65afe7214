/* cmd_export.c - `vigil export`: download, verify and decrypt a time range into fragmented MP4. */
#include <stdio.h>
#include <string.h>
#include <sodium.h>
#include "cli/cli.h"
#include "cli/orgargs.h"
#include "cli/orgkeysrc.h"
#include "cli/mp4out.h"
#include "cli/pull.h"
#include "cli/timearg.h"
#include "cli/vargs.h"
#include "common/util.h"

static const char USAGE[] =
    "usage: vigil export (--demo DIR/demo.json | --server URL --token-file F --keys F)\n"
    "                    --camera NAME --from TIME [--to TIME] [--stream 0|1] -o clip.mp4\n"
    "       vigil export --server URL --session FILE --org ORG [--pin-dir DIR] [--kdf-fast]\n"
    "                    --camera NAME|ID --from TIME [--to TIME] [--stream 0|1] -o clip.mp4\n"
    "With --org the keys are the epoch keys of your grants in that org (every epoch),\n"
    "each checked against the org root pinned in DIR (password from $VIGIL_PASSWORD).\n"
    "\n"
    "Downloads the links of [from, to), verifies each against the gateway key pinned in\n"
    "keys.json and the chain, decrypts with the camera's epoch key and writes a\n"
    "fragmented MP4. The clip starts at the keyframe of the segment holding --from and\n"
    "ends with the last frame before --to. If the stream's init changes (resolution or\n"
    "codec), the clip continues in clip-2.mp4, clip-3.mp4...\n"
    "TIME: 2026-11-27T23:50:00Z, 2026-11-28T00:50:00.5+01:00, now, -30s, -5m, -2h, -1d.\n"
    "Exit: 0 ok, 1 error, 2 usage, 3 verification failed (no file is left behind).\n";

/* Print what was written, shared by both key sources. */
static int
report(const struct mp4out *out, const struct clip_stats *st, const char *camname, int64_t from,
    int64_t to)
{
	char f[TIMEARG_FMT_LEN], t[TIMEARG_FMT_LEN];
	size_t i;

	if (st->frames == 0) {
		timearg_format(from, f, sizeof(f));
		timearg_format(to, t, sizeof(t));
		fprintf(stderr, "error: no footage of %s in [%s, %s): no file written\n", camname, f, t);
		return EXIT_RUNTIME;
	}
	for (i = 0; i < mp4out_nparts(out); i++)
		printf("wrote %s\n", mp4out_part(out, i));
	timearg_format(st->first_us, f, sizeof(f));
	timearg_format(st->last_us, t, sizeof(t));
	printf("exported segments=%llu frames=%llu gaps=%llu from=%s to=%s%s\n",
	    (unsigned long long)st->segments, (unsigned long long)st->frames,
	    (unsigned long long)st->gaps, f, t,
	    st->truncated ? " (some segments truncated by a gateway restart)" : "");
	return 0;
}

/* `vigil export --org ORG --session FILE ...`: keys from my grants, session-cookie reads. */
static int
export_org(int argc, char **argv)
{
	struct orgargs a;
	struct orgc_opts o;
	struct orgc *oc = NULL;
	struct viewcfg v;
	struct clip_stats st = { 0 };
	struct mp4out *out = NULL;
	const struct keys_camera *cam = NULL;
	char cookie[APIC_COOKIE_MAX];
	uint8_t id[CAMERA_ID_LEN];
	const char *why, *s;
	int64_t from = 0, to = now_us(), stream = 0, now = now_us();
	int rc = EXIT_USAGE;

	memset(&v, 0, sizeof(v));
	cookie[0] = '\0';
	if (orgargs_parse(argc, argv, 1, "camera from to output stream", &a) != 0)
		goto out;
	if (a.help) {
		fputs(USAGE, stdout);
		rc = 0;
		goto out;
	}
	if (orgargs_get(&a, "camera") == NULL || orgargs_get(&a, "from") == NULL ||
	    orgargs_get(&a, "output") == NULL) {
		fprintf(stderr, "vigil export: --camera, --from and -o are required (try --help)\n");
		goto out;
	}
	if (timearg_parse(orgargs_get(&a, "from"), now, &from, &why) != 0 ||
	    ((s = orgargs_get(&a, "to")) != NULL && timearg_parse(s, now, &to, &why) != 0)) {
		fprintf(stderr, "error: --from/--to: %s\n", why);
		goto out;
	}
	if (((s = orgargs_get(&a, "stream")) != NULL && parse_i64(s, 0, 1, &stream) != 0) ||
	    from >= to) {
		fprintf(stderr, "error: --stream 0|1, and --from before --to\n");
		goto out;
	}
	rc = EXIT_RUNTIME;
	orgargs_opts(&a, &o);
	if (orgc_open(&o, &oc) != 0 || orgc_org_load(oc, orgargs_get(&a, "org")) != 0 ||
	    orgkeysrc_build(oc, &v.keys) != 0 || apic_read_session(o.session, cookie) != 0)
		goto out;
	snprintf(v.server, sizeof(v.server), "%s", apic_base(oc->api));
	cam = keysfile_camera_by_name(v.keys, orgargs_get(&a, "camera"));
	if (cam == NULL && hex_decode(orgargs_get(&a, "camera"), id, sizeof(id)) == 0)
		cam = keysfile_camera_by_id(v.keys, id);
	if (cam == NULL) {
		fprintf(stderr, "error: no key for camera '%s' in this org (no grant, no footage)\n",
		    orgargs_get(&a, "camera"));
		goto out;
	}
	if ((out = mp4out_new(orgargs_get(&a, "output"))) == NULL) {
		fprintf(stderr, "error: -o: bad path\n");
		goto out;
	}
	{
		struct pull_opts po = { &v, cam, (uint8_t)stream, from, to, out };

		rc = pull_run_session(&po, cookie, &st);
	}
	if (rc == 0)
		rc = report(out, &st, cam->name, from, to);
out:
	sodium_memzero(cookie, sizeof(cookie));
	mp4out_free(out);
	viewcfg_clear(&v);
	orgc_close(oc);
	return rc;
}

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
	int rc, k;

	for (k = 1; k < argc; k++)
		if (strcmp(argv[k], "--org") == 0 || strcmp(argv[k], "--session") == 0)
			return export_org(argc, argv);
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
