/* cmd_demo.c - `vigil demo`: server, camera simulator and gateway on loopback, provisioned, until Ctrl-C. */
#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>
#include <sodium.h>
#include "cli/child.h"
#include "cli/cli.h"
#include "cli/provision.h"
#include "cli/demoorg.h"
#include "common/util.h"

#define READY_TIMEOUT_MS 30000
#define STOP_GRACE_MS 5000
#define MEDIA_TIMEOUT_MS 300000
#define RECORDING_WAIT_MS 20000  /* for every camera's first segment before the banner */
#define ADMIN_TOKEN_BYTES 32

static const char USAGE[] =
    "usage: vigil demo [--data DIR] [--cameras N] [--synthetic | --substreams] [--interim-keys]\n"
    "\n"
    "Runs a whole Vigil on 127.0.0.1: vigil-server (data in DIR/server, the console at\n"
    "its URL), vigil-camsim with N simulated cameras (default 4; replaying\n"
    "DIR/media/main-720p.h264, made on first run, or --synthetic for a live test pattern\n"
    "with substreams) and vigil-gateway, set up through the real flows: an owner account\n"
    "with a generated password and TOTP, an organization, a site, the gateway enrolled\n"
    "with a one-time code, cameras with signed epoch keys granted to the owner and a\n"
    "signed gateway configuration. The password and TOTP secret are printed once and\n"
    "written to DIR/demo.json (0600). Each run starts a fresh organization (the previous\n"
    "run's DIR/org and DIR/server are removed). Runs until Ctrl-C. DIR: ./vigil-data.\n"
    "--substreams: replay mode with a 640x360 substream per camera too\n"
    "(DIR/media/sub-360p.h264; cheap, unlike --synthetic's live encoding).\n"
    "--interim-keys uses the interim `vigil provision` keys (DIR/keys.json) instead.\n";

static volatile sig_atomic_t stop_sig;

static void
on_signal(int sig)
{
	stop_sig = sig;
}

struct demo {
	char dir[PATH_MAX];
	unsigned ncameras;
	int synthetic;
	int substreams;		/* replay mode with a replayed substream too */
	int org;
	struct demoorg og;
	char server_url[256];
	char rtsp_port[16];
	char token_hex[2 * ADMIN_TOKEN_BYTES + 1];
	struct child server, camsim, gateway;
};

static int
path_join(char *out, size_t n, const char *dir, const char *name)
{
	if (snprintf(out, n, "%s/%s", dir, name) >= (int)n) {
		fprintf(stderr, "error: path too long: %s/%s\n", dir, name);
		return -1;
	}
	return 0;
}

/* DIR/logs/NAME.log, where a child's stderr goes so the terminal stays readable. */
static const char *
demo_log(struct demo *d, const char *name)
{
	static char path[PATH_MAX];
	char dir[PATH_MAX];

	if (path_join(dir, sizeof(dir), d->dir, "logs") != 0 || mkdir_p(dir, 0700) != 0 ||
	    snprintf(path, sizeof(path), "%s/%s.log", dir, name) >= (int)sizeof(path))
		return NULL;
	return path;
}

static int
file_exists(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && st.st_size > 0;
}

/* DIR/media/main-720p.h264: from the source tree's script when we run from build/bin,
 * else straight from ffmpeg with the script's settings. */
static int
media_make(struct demo *d, char *main_path, size_t n)
{
	char media[PATH_MAX], script[PATH_MAX], self_dir[PATH_MAX], tmp[PATH_MAX + 8];
	char *slash;
	int ret;

	if (path_join(media, sizeof(media), d->dir, "media") != 0 ||
	    path_join(main_path, n, media, "main-720p.h264") != 0)
		return -1;
	if (file_exists(main_path))
		return 0;
	if (mkdir_p(media, 0700) != 0) {
		fprintf(stderr, "error: cannot create %s: %s\n", media, strerror(errno));
		return -1;
	}
	fprintf(stderr, "vigil demo: making test media in %s (once)\n", media);
	if (child_sibling("x", self_dir, sizeof(self_dir)) == 0 &&
	    (slash = strrchr(self_dir, '/')) != NULL) {
		*slash = '\0';
		if (snprintf(script, sizeof(script), "%s/../../scripts/make-test-media.sh",
		    self_dir) < (int)sizeof(script) && access(script, X_OK) == 0) {
			char *argv[] = { script, media, NULL };

			ret = child_run(argv, NULL, 0, MEDIA_TIMEOUT_MS);
			if (ret == 0 && file_exists(main_path))
				return 0;
			fprintf(stderr, "error: %s failed\n", script);
			return -1;
		}
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", main_path);
	{
		char *argv[] = { "/usr/bin/ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error",
		    "-y", "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=25:duration=10",
		    "-c:v", "libx264", "-profile:v", "high", "-pix_fmt", "yuv420p",
		    "-preset", "veryfast", "-tune", "zerolatency", "-g", "50", "-keyint_min", "50",
		    "-sc_threshold", "0", "-bf", "0", "-threads", "1", "-x264-params",
		    "keyint=50:min-keyint=50:scenecut=0:repeat-headers=1", "-f", "h264", tmp,
		    NULL };

		if (child_run(argv, NULL, 0, MEDIA_TIMEOUT_MS) != 0 || rename(tmp, main_path) != 0) {
			fprintf(stderr, "error: ffmpeg could not make %s\n", main_path);
			(void)unlink(tmp);
			return -1;
		}
	}
	return 0;
}

/* DIR/media/sub-360p.h264 for --substreams (scripts/make-test-media.sh may have made it). */
static int
sub_make(struct demo *d, char *sub_path, size_t n)
{
	char tmp[PATH_MAX + 8];

	if (snprintf(sub_path, n, "%s/media/sub-360p.h264", d->dir) >= (int)n)
		return -1;
	if (file_exists(sub_path))
		return 0;
	snprintf(tmp, sizeof(tmp), "%s.tmp", sub_path);
	{
		char *argv[] = { "/usr/bin/ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error",
		    "-y", "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25:duration=10",
		    "-c:v", "libx264", "-profile:v", "high", "-pix_fmt", "yuv420p",
		    "-preset", "veryfast", "-tune", "zerolatency", "-g", "50", "-keyint_min", "50",
		    "-sc_threshold", "0", "-bf", "0", "-threads", "1", "-x264-params",
		    "keyint=50:min-keyint=50:scenecut=0:repeat-headers=1", "-f", "h264", tmp,
		    NULL };

		if (child_run(argv, NULL, 0, MEDIA_TIMEOUT_MS) != 0 || rename(tmp, sub_path) != 0) {
			fprintf(stderr, "error: ffmpeg could not make %s\n", sub_path);
			(void)unlink(tmp);
			return -1;
		}
	}
	return 0;
}

static int
start_server(struct demo *d, const char *bin_dir)
{
	char bin[PATH_MAX], data[PATH_MAX], tok[PATH_MAX], url[256];
	uint8_t raw[ADMIN_TOKEN_BYTES];
	char *argv[] = { bin, "--listen", "127.0.0.1:0", "--data", data, "--admin-token-file",
	    tok, NULL };

	if (path_join(bin, sizeof(bin), bin_dir, "vigil-server") != 0 ||
	    path_join(data, sizeof(data), d->dir, "server") != 0 ||
	    path_join(tok, sizeof(tok), d->dir, "admin.token") != 0)
		return -1;
	randombytes_buf(raw, sizeof(raw));
	hex_encode(raw, sizeof(raw), d->token_hex);
	sodium_memzero(raw, sizeof(raw));
	if (file_write_atomic(tok, d->token_hex, strlen(d->token_hex), 0600) != 0) {
		fprintf(stderr, "error: cannot write %s: %s\n", tok, strerror(errno));
		return -1;
	}
	if (mkdir_p(data, 0700) != 0) {
		fprintf(stderr, "error: cannot create %s: %s\n", data, strerror(errno));
		return -1;
	}
	if (child_start(&d->server, "vigil-server", argv, demo_log(d, "server")) != 0) {
		fprintf(stderr, "error: cannot start %s: %s\n", bin, strerror(errno));
		return -1;
	}
	if (child_wait_line(&d->server, "READY url=", READY_TIMEOUT_MS, url, sizeof(url)) != 0 ||
	    (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)) {
		fprintf(stderr, "error: vigil-server did not report READY url=...\n");
		return -1;
	}
	snprintf(d->server_url, sizeof(d->server_url), "%s", url);
	return 0;
}

static int
start_camsim(struct demo *d, const char *bin_dir, const char *media)
{
	char bin[PATH_MAX], ctl[PATH_MAX], ncam[16], port[32], sub[PATH_MAX];
	char *argv[14];
	int64_t p;
	int i = 0;

	if (path_join(bin, sizeof(bin), bin_dir, "vigil-camsim") != 0 ||
	    path_join(ctl, sizeof(ctl), d->dir, "camctl") != 0)
		return -1;
	snprintf(ncam, sizeof(ncam), "%u", d->ncameras);
	argv[i++] = bin;
	if (d->synthetic) {
		argv[i++] = "--synthetic";
	} else {
		argv[i++] = "--replay";
		argv[i++] = (char *)media;
		if (d->substreams) {
			if (sub_make(d, sub, sizeof(sub)) != 0)
				return -1;
			argv[i++] = "--replay-sub";
			argv[i++] = sub;
		}
	}
	argv[i++] = "--cameras";
	argv[i++] = ncam;
	argv[i++] = "--port";
	argv[i++] = "0";
	argv[i++] = "--control";
	argv[i++] = ctl;
	argv[i] = NULL;
	if (child_start(&d->camsim, "vigil-camsim", argv, demo_log(d, "camsim")) != 0) {
		fprintf(stderr, "error: cannot start %s: %s\n", bin, strerror(errno));
		return -1;
	}
	if (child_wait_line(&d->camsim, "READY port=", READY_TIMEOUT_MS, port, sizeof(port)) != 0 ||
	    parse_i64(port, 1, 65535, &p) != 0) {
		fprintf(stderr, "error: vigil-camsim did not report READY port=N\n");
		return -1;
	}
	snprintf(d->rtsp_port, sizeof(d->rtsp_port), "%lld", (long long)p);
	return 0;
}

static int
provision_demo(struct demo *d, const char *bin_dir)
{
	char bin[PATH_MAX], key[PATH_MAX], tok[PATH_MAX], spool[PATH_MAX], rtsp[64], out[512];
	char err[512];
	char *argv[] = { bin, "keygen", "--key", key, NULL };
	struct provision_opts o;

	if (path_join(bin, sizeof(bin), bin_dir, "vigil-gateway") != 0 ||
	    path_join(key, sizeof(key), d->dir, "gateway.key") != 0 ||
	    path_join(tok, sizeof(tok), d->dir, "admin.token") != 0 ||
	    path_join(spool, sizeof(spool), d->dir, "spool") != 0)
		return -1;
	/* Keep the gateway key across runs: footage already recorded stays verifiable. */
	if (!file_exists(key) && child_run(argv, out, sizeof(out), READY_TIMEOUT_MS) != 0) {
		fprintf(stderr, "error: vigil-gateway keygen failed\n");
		return -1;
	}
	snprintf(rtsp, sizeof(rtsp), "rtsp://127.0.0.1:%s", d->rtsp_port);
	memset(&o, 0, sizeof(o));
	o.data_dir = d->dir;
	o.ncameras = d->ncameras;
	o.rtsp_base = rtsp;
	o.server = d->server_url;
	o.admin_token_file = tok;
	o.gateway_key = key;
	o.spool_dir = spool;
	o.main_only = !d->synthetic && !d->substreams;
	if (provision_run(&o, err, sizeof(err)) != 0) {
		fprintf(stderr, "error: provisioning: %s\n", err);
		return -1;
	}
	return 0;
}

static int
start_gateway(struct demo *d, const char *bin_dir)
{
	char bin[PATH_MAX], cfg[PATH_MAX];
	char *argv[] = { bin, "run", "--config", cfg, NULL };

	if (path_join(bin, sizeof(bin), bin_dir, "vigil-gateway") != 0 ||
	    path_join(cfg, sizeof(cfg), d->org ? d->og.gwdir : d->dir, "gateway.json") != 0)
		return -1;
	if (child_start(&d->gateway, "vigil-gateway", argv, demo_log(d, "gateway")) != 0) {
		fprintf(stderr, "error: cannot start %s: %s\n", bin, strerror(errno));
		return -1;
	}
	return 0;
}

static int
rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(path) == 0 || errno == ENOENT ? 0 : -1;
}

/* An org demo starts from scratch: the previous run's org (owner, pins, enrolled gateway)
 * and the server data it lived in go; the media cache stays. */
static int
fresh_org_state(struct demo *d)
{
	static const char *const sub[] = { "org", "server" };
	char path[PATH_MAX];
	struct stat sb;
	size_t i;

	for (i = 0; i < sizeof(sub) / sizeof(sub[0]); i++) {
		if (path_join(path, sizeof(path), d->dir, sub[i]) != 0)
			return -1;
		if (stat(path, &sb) != 0)
			continue;
		if (nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS) != 0) {
			fprintf(stderr, "error: cannot remove the previous demo's %s: %s\n", path,
			    strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* demo.json of an org demo: where the console is and how to sign in (0600). */
static int
write_org_demo_json(struct demo *d)
{
	char path[PATH_MAX], *text = NULL;
	json_t *root;
	json_free_t jfree;
	int ret = -1;

	if (path_join(path, sizeof(path), d->dir, "demo.json") != 0)
		return -1;
	root = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:{s:I, s:I, s:I}}",
	    "server", d->server_url, "console", d->server_url, "username", "owner",
	    "password", d->og.password, "totp_secret", d->og.totp, "org", d->og.org,
	    "safety_number", d->og.safety, "session_file", d->og.session, "pin_dir", d->og.pins,
	    "gateway", d->og.gateway, "pids", "server", (json_int_t)d->server.pid,
	    "camsim", (json_int_t)d->camsim.pid, "gateway", (json_int_t)d->gateway.pid);
	if (root == NULL || (text = json_dumps(root, JSON_INDENT(2))) == NULL)
		goto out;
	if (file_write_atomic(path, text, strlen(text), 0600) != 0) {
		fprintf(stderr, "error: cannot write %s: %s\n", path, strerror(errno));
		goto out;
	}
	ret = 0;
out:
	if (text != NULL) {
		sodium_memzero(text, strlen(text));
		json_get_alloc_funcs(NULL, &jfree);
		jfree(text);
	}
	json_decref(root);
	return ret;
}

static int
write_demo_json(struct demo *d)
{
	char path[PATH_MAX], keys[PATH_MAX], ctl[PATH_MAX], name[32];
	json_t *root, *cams;
	char *text = NULL;
	json_free_t jfree;
	unsigned i;
	int ret = -1;

	if (path_join(path, sizeof(path), d->dir, "demo.json") != 0 ||
	    path_join(keys, sizeof(keys), d->dir, "keys.json") != 0 ||
	    path_join(ctl, sizeof(ctl), d->dir, "camctl") != 0)
		return -1;
	root = json_pack("{s:s, s:s, s:s, s:[], s:s, s:{s:I, s:I, s:I}}", "server", d->server_url,
	    "admin_token", d->token_hex, "keys_file", keys, "cameras", "camctl", ctl, "pids",
	    "server", (json_int_t)d->server.pid, "camsim", (json_int_t)d->camsim.pid,
	    "gateway", (json_int_t)d->gateway.pid);
	if (root == NULL)
		goto out;
	cams = json_object_get(root, "cameras");
	for (i = 1; i <= d->ncameras; i++) {
		snprintf(name, sizeof(name), "cam%u", i);
		if (json_array_append_new(cams, json_string(name)) != 0)
			goto out;
	}
	text = json_dumps(root, JSON_INDENT(2));
	if (text == NULL)
		goto out;
	if (file_write_atomic(path, text, strlen(text), 0600) != 0) {
		fprintf(stderr, "error: cannot write %s: %s\n", path, strerror(errno));
		goto out;
	}
	ret = 0;
out:
	if (text != NULL) {
		sodium_memzero(text, strlen(text));
		json_get_alloc_funcs(NULL, &jfree);
		jfree(text);
	}
	json_decref(root);
	return ret;
}

/* Wait for a signal or a child's death. 0 after a signal, 1 when a child died. */
static int
supervise(struct demo *d)
{
	struct child *all[3] = { &d->server, &d->camsim, &d->gateway };
	struct timespec ts = { 0, 200 * 1000 * 1000 };
	char how[64];
	int i;

	while (!stop_sig) {
		for (i = 0; i < 3; i++) {
			child_drain(all[i]);
			if (child_exited(all[i])) {
				child_describe(all[i], how, sizeof(how));
				fprintf(stderr, "error: %s (pid %d) %s; stopping the others "
				    "(its log: %s/logs/)\n", all[i]->name, (int)all[i]->pid, how, d->dir);
				return 1;
			}
		}
		nanosleep(&ts, NULL);
	}
	return 0;
}

int
cmd_demo(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "cameras", required_argument, NULL, 'c' },
		{ "synthetic", no_argument, NULL, 's' },
		{ "substreams", no_argument, NULL, 'u' },
		{ "interim-keys", no_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct demo *d = NULL;
	struct sigaction sa;
	const char *data = "./vigil-data";
	char bin_dir[PATH_MAX], self[PATH_MAX], media[PATH_MAX], *slash;
	int64_t n;
	int c, rc = EXIT_RUNTIME;

	d = calloc(1, sizeof(*d));
	if (d == NULL)
		return EXIT_RUNTIME;
	d->ncameras = 4;
	d->server.out_fd = d->camsim.out_fd = d->gateway.out_fd = -1;
	d->org = 1;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", lo, NULL)) != -1) {
		switch (c) {
		case 'd': data = optarg; break;
		case 'c':
			if (parse_i64(optarg, 1, PROVISION_MAX_CAMERAS, &n) != 0) {
				fprintf(stderr, "vigil demo: --cameras: want 1..%d\n",
				    PROVISION_MAX_CAMERAS);
				rc = EXIT_USAGE;
				goto out;
			}
			d->ncameras = (unsigned)n;
			break;
		case 's': d->synthetic = 1; break;
		case 'u': d->substreams = 1; break;
		case 'o': d->org = 0; break;
		case 'h':
			fputs(USAGE, stdout);
			rc = 0;
			goto out;
		default:
			fprintf(stderr, "vigil demo: bad option '%s' (try --help)\n", argv[optind - 1]);
			rc = EXIT_USAGE;
			goto out;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "vigil demo: unexpected argument '%s' (try --help)\n", argv[optind]);
		rc = EXIT_USAGE;
		goto out;
	}
	if (mkdir_p(data, 0700) != 0 || realpath(data, d->dir) == NULL) {
		fprintf(stderr, "error: cannot create %s: %s\n", data, strerror(errno));
		goto out;
	}
	if (child_sibling("vigil", self, sizeof(self)) != 0) {
		fprintf(stderr, "error: cannot find this program's directory\n");
		goto out;
	}
	snprintf(bin_dir, sizeof(bin_dir), "%s", self);
	if ((slash = strrchr(bin_dir, '/')) != NULL)
		*slash = '\0';

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (!d->synthetic && media_make(d, media, sizeof(media)) != 0)
		goto out;
	if (d->org && fresh_org_state(d) != 0)
		goto out;
	if (stop_sig || start_server(d, bin_dir) != 0)
		goto out;
	if (stop_sig || start_camsim(d, bin_dir, media) != 0)
		goto out;
	if (stop_sig || (d->org ? demoorg_setup(&d->og, self, bin_dir, d->dir, d->server_url,
	    d->token_hex, d->rtsp_port, d->ncameras, d->synthetic || d->substreams) :
	    provision_demo(d, bin_dir)) != 0)
		goto out;
	if (stop_sig || start_gateway(d, bin_dir) != 0)
		goto out;
	if (d->org ? write_org_demo_json(d) != 0 : write_demo_json(d) != 0)
		goto out;
	/* The console's grid plays a camera's substream once the server lists it recorded:
	 * wait for the first segments, so the URL printed next opens on what stays. */
	if (d->org && !stop_sig && demoorg_wait_recording(&d->og, d->server_url, d->ncameras,
	    d->synthetic || d->substreams ? 1 : 0, RECORDING_WAIT_MS) != 0)
		fprintf(stderr, "note: not every camera has recorded yet (the gateway's log: %s/logs/)\n",
		    d->dir);
	printf("\nVigil demo is running (%u cameras, %s).\n", d->ncameras,
	    d->synthetic ? "synthetic" : d->substreams ? "replay with substreams" : "replay");
	printf("  console:  %s/ (open it in a browser; the HTTP API is in docs/api/http.md)\n",
	    d->server_url);
	if (d->org) {
		printf("  sign in:  username owner, password %s\n", d->og.password);
		printf("            second factor: TOTP secret %s (add it to an authenticator app,\n"
		    "            or: build/tools/totp_code %s)\n", d->og.totp, d->og.totp);
		printf("            (shown once; also in %s/demo.json, mode 0600)\n", d->dir);
	}
	printf("  data:     %s (%s, server data in server/)\n", d->dir,
	    d->org ? "owner session, pins and enrolled gateway in org/" : "keys in keys.json");
	printf("  logs:     %s/logs/ (server, camsim, gateway)\n", d->dir);
	if (d->org)
		printf("  org:      %s (safety number %s)\n", d->og.org, d->og.safety);
	printf("  export the last minute of cam1 (wait a minute first):\n");
	if (d->org) {
		printf("    VIGIL_PASSWORD=$(cat %s) %s export --server %s --session %s \\\n"
		    "      --pin-dir %s --org %s --camera cam1 --from -1m -o clip.mp4\n",
		    d->og.pwfile, self, d->server_url, d->og.session, d->og.pins, d->og.org);
	} else {
		printf("    %s export --demo %s/demo.json --camera cam1 --from -1m -o clip.mp4\n",
		    self, d->dir);
	}
	printf("Press Ctrl-C to stop.\n");
	fflush(stdout);
	rc = supervise(d) == 0 ? 0 : EXIT_RUNTIME;
	if (rc == 0)
		fprintf(stderr, "vigil demo: stopping\n");
out:
	if (d != NULL) {
		/* Stop in reverse order of start: the gateway flushes to a live server. */
		child_stop(&d->gateway, STOP_GRACE_MS);
		child_stop(&d->camsim, STOP_GRACE_MS);
		child_stop(&d->server, STOP_GRACE_MS);
		sodium_memzero(d->token_hex, sizeof(d->token_hex));
		free(d);
	}
	return rc;
}
