/* demoorg.c - the demo's provisioning through the org admin commands of this same binary, as an admin would run them. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>
#include "cli/apic.h"
#include "cli/child.h"
#include "cli/demoorg.h"
#include "common/totp.h"
#include "common/util.h"

#define RUN_TIMEOUT_MS 120000
#define OUT_MAX 4096

/* The value after "key=" on a line of out (up to the end of line or a space). 0 or -1. */
static int
field(const char *out, const char *key, char *val, size_t n)
{
	size_t kl = strlen(key), vl;
	const char *p = out;

	while (p != NULL && *p != '\0') {
		if (strncmp(p, key, kl) == 0 && p[kl] == '=') {
			p += kl + 1;
			vl = strcspn(p, " \n");
			if (vl == 0 || vl >= n)
				return -1;
			memcpy(val, p, vl);
			val[vl] = '\0';
			return 0;
		}
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	return -1;
}

/* Run "self ARGS... --server URL --session F --pin-dir D" capturing stdout. 0 or -1. */
static int
run_org(const struct demoorg *o, const char *self, const char *url, const char *const *args,
    char *out)
{
	char *argv[32];
	size_t i, k = 0;

	argv[k++] = (char *)self;
	for (i = 0; args[i] != NULL && k < 24; i++)
		argv[k++] = (char *)args[i];
	argv[k++] = "--server";
	argv[k++] = (char *)url;
	argv[k++] = "--session";
	argv[k++] = (char *)o->session;
	argv[k++] = "--pin-dir";
	argv[k++] = (char *)o->pins;
	argv[k] = NULL;
	if (child_run(argv, out, OUT_MAX, RUN_TIMEOUT_MS) != 0) {
		fprintf(stderr, "error: vigil %s %s failed\n", args[0], args[1] ? args[1] : "");
		return -1;
	}
	return 0;
}

/* Enable TOTP on the owner's session (owner/admin routes require a second factor). */
static int
enable_totp(struct demoorg *o, const char *url)
{
	char cookie[APIC_COOKIE_MAX], code[16];
	uint8_t key[64];
	struct apic *a = NULL;
	json_t *ans = NULL, *body = NULL;
	const char *secret;
	size_t klen = 0;
	long status = 0;
	int r = -1;

	if (apic_read_session(o->session, cookie) != 0 || apic_new(&a, url, cookie, NULL) != 0 ||
	    apic_json(a, "POST", "/api/v1/auth/totp/begin", NULL, &ans, &status) != 0 ||
	    status != 200 || (secret = json_string_value(json_object_get(ans, "secret"))) == NULL ||
	    totp_b32_decode(secret, key, sizeof(key), &klen) != 0 || klen == 0)
		goto out;
	snprintf(o->totp, sizeof(o->totp), "%s", secret);
	/* Confirm with the previous step's code (accepted: one step of skew) so that the code
	 * a person reads off an authenticator right after the demo starts is not a replay. */
	snprintf(code, sizeof(code), "%06u",
	    (unsigned)totp_hotp(key, klen, (uint64_t)totp_step(now_us()) - 1, 6));
	json_decref(ans);
	ans = NULL;
	if ((body = json_pack("{s:s}", "code", code)) == NULL ||
	    apic_json(a, "POST", "/api/v1/auth/totp/confirm", body, &ans, &status) != 0 ||
	    status != 200)
		goto out;
	r = 0;
out:
	if (r != 0)
		fprintf(stderr, "error: enabling TOTP for the demo owner failed\n");
	sodium_memzero(cookie, sizeof(cookie));
	sodium_memzero(key, sizeof(key));
	json_decref(ans);
	json_decref(body);
	apic_free(a);
	return r;
}

static int
signup_code(const char *url, const char *token, char *code, size_t n)
{
	struct apic *a = NULL;
	json_t *ans = NULL;
	const char *c;
	long status = 0;
	int r = -1;

	if (apic_new(&a, url, NULL, token) == 0 &&
	    apic_json(a, "POST", "/api/v1/signup-codes", NULL, &ans, &status) == 0 &&
	    status == 201 && (c = json_string_value(json_object_get(ans, "code"))) != NULL &&
	    strlen(c) < n) {
		memcpy(code, c, strlen(c) + 1);
		r = 0;
	}
	json_decref(ans);
	apic_free(a);
	return r;
}

int
demoorg_setup(struct demoorg *o, const char *self, const char *bin_dir, const char *base,
    const char *url, const char *admin_token, const char *rtsp_port, unsigned ncam,
    int with_sub)
{
	char out[OUT_MAX], pw[64], code[128], site[64], inv[64], gwcode[128], gwbin[PATH_MAX];
	char log[PATH_MAX], name[16], u0[256], u1[256];
	uint8_t rnd[16];
	struct child enr;
	struct stat sb;
	unsigned i;
	int k, r = -1;

	memset(o, 0, sizeof(*o));
	memset(&enr, 0, sizeof(enr));
	enr.out_fd = -1;
	if (snprintf(o->dir, sizeof(o->dir), "%s/org", base) >= (int)sizeof(o->dir) ||
	    snprintf(o->session, sizeof(o->session), "%s/owner.session", o->dir) >= (int)sizeof(o->session) ||
	    snprintf(o->pins, sizeof(o->pins), "%s/pins", o->dir) >= (int)sizeof(o->pins) ||
	    snprintf(o->pwfile, sizeof(o->pwfile), "%s/owner.password", o->dir) >= (int)sizeof(o->pwfile) ||
	    snprintf(o->gwdir, sizeof(o->gwdir), "%s/gateway", o->dir) >= (int)sizeof(o->gwdir) ||
	    snprintf(gwbin, sizeof(gwbin), "%s/vigil-gateway", bin_dir) >= (int)sizeof(gwbin) ||
	    snprintf(log, sizeof(log), "%s/logs/enroll.log", base) >= (int)sizeof(log))
		return -1;
	if (stat(o->dir, &sb) == 0) {
		fprintf(stderr, "error: %s exists from an earlier org demo: remove it (and %s/server) "
		    "or use another --data DIR\n", o->dir, base);
		return -1;
	}
	if (mkdir_p(o->gwdir, 0700) != 0)
		return -1;
	/* The owner's password: random, kept 0600 for the export command, given to children. */
	randombytes_buf(rnd, sizeof(rnd));
	memcpy(pw, "Demo-", 5);
	hex_encode(rnd, sizeof(rnd), pw + 5);
	snprintf(o->password, sizeof(o->password), "%s", pw);
	if (file_write_atomic(o->pwfile, pw, strlen(pw), 0600) != 0 ||
	    setenv("VIGIL_PASSWORD", pw, 1) != 0)
		goto out;
	fprintf(stderr, "vigil demo: owner account, org, site, gateway enrollment, cameras\n");
	if (signup_code(url, admin_token, code, sizeof(code)) != 0) {
		fprintf(stderr, "error: no signup code from the server\n");
		goto out;
	}
	{
		char *reg[] = { (char *)self, "account", "register", "--server", (char *)url, "--code",
		    code, "--username", "owner", NULL };
		char *login[] = { (char *)self, "account", "login", "--server", (char *)url,
		    "--username", "owner", "--session", o->session, NULL };

		if (child_run(reg, out, sizeof(out), RUN_TIMEOUT_MS) != 0 ||
		    child_run(login, out, sizeof(out), RUN_TIMEOUT_MS) != 0) {
			fprintf(stderr, "error: demo owner account: register or login failed\n");
			goto out;
		}
	}
	if (enable_totp(o, url) != 0)
		goto out;
	{
		const char *a[] = { "org", "create", "--name", "Demo", NULL };

		if (run_org(o, self, url, a, out) != 0 || field(out, "org", o->org, sizeof(o->org)) != 0 ||
		    field(out, "safety_number", o->safety, sizeof(o->safety)) != 0)
			goto out;
	}
	{
		const char *a[] = { "site", "add", "--org", o->org, "--name", "site1", NULL };

		if (run_org(o, self, url, a, out) != 0 || field(out, "site", site, sizeof(site)) != 0)
			goto out;
	}
	{
		const char *a[] = { "gateway", "invite", "--org", o->org, "--site", site, NULL };
		const char *c;

		if (run_org(o, self, url, a, out) != 0 ||
		    field(out, "invitation", inv, sizeof(inv)) != 0 ||
		    (c = strstr(out, "--code ")) == NULL || strcspn(c + 7, " \n") >= sizeof(gwcode))
			goto out;
		memcpy(gwcode, c + 7, strcspn(c + 7, " \n"));
		gwcode[strcspn(c + 7, " \n")] = '\0';
	}
	{
		char *argv[] = { gwbin, "enroll", "--server", (char *)url, "--code", gwcode, "--org",
		    o->safety, "--dir", o->gwdir, NULL };
		const char *a[] = { "gateway", "accept", "--org", o->org, "--invitation", inv,
		    "--wait", "60", NULL };

		if (child_start(&enr, "vigil-gateway-enroll", argv, log) != 0)
			goto out;
		if (run_org(o, self, url, a, out) != 0 ||
		    field(out, "gateway", o->gateway, sizeof(o->gateway)) != 0)
			goto out;
		for (k = 0; k < 100 && !child_exited(&enr); k++) {
			struct timespec ts = { 0, 100 * 1000 * 1000 };

			child_drain(&enr);
			nanosleep(&ts, NULL);
		}
		if (!child_exited(&enr) || !WIFEXITED(enr.status) || WEXITSTATUS(enr.status) != 0) {
			fprintf(stderr, "error: vigil-gateway enroll did not finish (see %s)\n", log);
			goto out;
		}
	}
	for (i = 1; i <= ncam; i++) {
		const char *a[] = { "camera", "add", "--org", o->org, "--name", name, "--gateway",
		    o->gateway, "--url", u0, with_sub ? "--url1" : NULL, u1, NULL };

		snprintf(name, sizeof(name), "cam%u", i);
		snprintf(u0, sizeof(u0), "rtsp://127.0.0.1:%s/cam%u/main", rtsp_port, i);
		snprintf(u1, sizeof(u1), "rtsp://127.0.0.1:%s/cam%u/sub", rtsp_port, i);
		if (run_org(o, self, url, a, out) != 0)
			goto out;
	}
	r = 0;
out:
	child_stop(&enr, 2000);
	sodium_memzero(pw, sizeof(pw));
	sodium_memzero(code, sizeof(code));
	sodium_memzero(gwcode, sizeof(gwcode));
	return r;
}

/* How many of the cameras in ans (GET /orgs/{org}/cameras) list stream as recorded. */
static unsigned
cameras_with_stream(const json_t *ans, int stream)
{
	const json_t *cams = json_object_get(ans, "cameras"), *c, *s;
	unsigned n = 0;
	size_t i, k;

	json_array_foreach(cams, i, c) {
		json_array_foreach(json_object_get(c, "streams"), k, s) {
			if (json_integer_value(json_object_get(s, "stream")) == stream) {
				n++;
				break;
			}
		}
	}
	return n;
}

int
demoorg_wait_recording(const struct demoorg *o, const char *url, unsigned ncam, int stream,
    int timeout_ms)
{
	char cookie[APIC_COOKIE_MAX], path[128];
	struct timespec ts = { 0, 250 * 1000 * 1000 };
	struct apic *a = NULL;
	json_t *ans = NULL;
	long status = 0;
	int waited = 0, r = -1;

	snprintf(path, sizeof(path), "/api/v1/orgs/%s/cameras", o->org);
	if (apic_read_session(o->session, cookie) != 0 || apic_new(&a, url, cookie, NULL) != 0)
		goto out;
	for (;;) {
		if (apic_json(a, "GET", path, NULL, &ans, &status) == 0 && status == 200 &&
		    cameras_with_stream(ans, stream) >= ncam) {
			r = 0;
			break;
		}
		json_decref(ans);
		ans = NULL;
		if (waited >= timeout_ms)
			break;
		nanosleep(&ts, NULL);
		waited += 250;
	}
out:
	sodium_memzero(cookie, sizeof(cookie));
	json_decref(ans);
	apic_free(a);
	return r;
}
