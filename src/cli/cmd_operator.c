/* cmd_operator.c - `vigil operator orgs|quota`: the instance operator's view of organizations (opaque ids, counts, storage) and their storage quotas, with the admin token or an operator account's session. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <getopt.h>
#include <sodium.h>
#include "cli/apic.h"
#include "cli/cli.h"
#include "common/buf.h"
#include "common/util.h"

#define TOKEN_MAX 256
#define PATH_BUF 256

static const char USAGE[] =
    "usage: vigil operator orgs  --server URL (--token-file F | --session FILE)\n"
    "       vigil operator quota --org ORG --bytes N --server URL (--token-file F | --session FILE)\n"
    "orgs lists every organization by id with its members, sites, cameras, gateways, bytes\n"
    "stored and storage quota (operators never see names, keys or audit contents).\n"
    "quota sets an organization's storage quota in bytes (0 removes it); the server then\n"
    "deletes its oldest footage while it holds more. A quota below what it holds applies\n"
    "only after the server's grace period (a day by default), which the organization sees.\n"
    "--token-file: the instance admin token; --session: an operator account's session file.\n";

/* UTC "YYYY-MM-DDTHH:MM:SSZ" of a time in microseconds. */
static void
iso(int64_t us, char out[32])
{
	time_t t = (time_t)(us / 1000000);
	struct tm tm;

	if (us <= 0 || gmtime_r(&t, &tm) == NULL || strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, 32, "-");
}

/* A client with the admin token from token_file or the cookie of session; 0 or -1. */
static int
client(const char *server, const char *token_file, const char *session, struct apic **a)
{
	char cookie[APIC_COOKIE_MAX], tok[TOKEN_MAX + 1];
	struct buf b;
	size_t n;
	int r = -1;

	*a = NULL;
	memset(cookie, 0, sizeof(cookie));
	memset(tok, 0, sizeof(tok));
	buf_init(&b, TOKEN_MAX + 2);
	if (token_file != NULL) {
		if (file_read(token_file, &b, TOKEN_MAX + 1) != 0 || b.len == 0 || b.len > TOKEN_MAX) {
			fprintf(stderr, "vigil: cannot read the admin token from %s\n", token_file);
			goto out;
		}
		n = b.len;
		while (n > 0 && (b.data[n - 1] == '\n' || b.data[n - 1] == '\r' || b.data[n - 1] == ' '))
			n--;
		memcpy(tok, b.data, n);
	} else if (apic_read_session(session, cookie) != 0) {
		fprintf(stderr, "vigil: cannot read the session file %s\n", session);
		goto out;
	}
	if (apic_new(a, server, cookie[0] ? cookie : NULL, tok[0] ? tok : NULL) != 0) {
		fprintf(stderr, "vigil: bad --server URL\n");
		goto out;
	}
	r = 0;
out:
	sodium_memzero(tok, sizeof(tok));
	sodium_memzero(cookie, sizeof(cookie));
	if (b.data != NULL)
		sodium_memzero(b.data, b.cap);
	buf_free(&b);
	return r;
}

/* Call and check the status; prints the server's reason otherwise. 0 or -1. */
static int
call(struct apic *a, const char *method, const char *path, const json_t *body, long want,
    json_t **ans)
{
	char why[256];
	long status = 0;
	int e;

	if ((e = apic_json(a, method, path, body, ans, &status)) != 0) {
		fprintf(stderr, "vigil: %s %s: %s\n", method, path, apic_strerror(e));
		return -1;
	}
	if (status != want) {
		fprintf(stderr, "vigil: refused by the server (HTTP %ld): %s\n", status,
		    apic_answer_error(*ans, why, sizeof(why)));
		return -1;
	}
	return 0;
}

static int
list_orgs(struct apic *a)
{
	json_t *ans = NULL, *o;
	char c[32], q[32];
	size_t i;
	int rc = EXIT_RUNTIME;

	if (call(a, "GET", "/api/v1/operator/orgs", NULL, 200, &ans) != 0)
		goto out;
	json_array_foreach(json_object_get(ans, "orgs"), i, o) {
		int64_t eff = json_integer_value(json_object_get(o, "quota_effective_us"));

		iso(json_integer_value(json_object_get(o, "created_us")), c);
		iso(eff, q);
		printf("org=%s created=%s members=%lld sites=%lld cameras=%lld gateways=%lld "
		    "bytes_used=%lld quota_bytes=%lld%s%s\n",
		    json_string_value(json_object_get(o, "id")), c,
		    (long long)json_integer_value(json_object_get(o, "members")),
		    (long long)json_integer_value(json_object_get(o, "sites")),
		    (long long)json_integer_value(json_object_get(o, "cameras")),
		    (long long)json_integer_value(json_object_get(o, "gateways")),
		    (long long)json_integer_value(json_object_get(o, "bytes_used")),
		    (long long)json_integer_value(json_object_get(o, "quota_bytes")),
		    eff > now_us() ? " quota_from=" : "", eff > now_us() ? q : "");
	}
	printf("instance bytes_used=%lld quota_bytes=%lld\n",
	    (long long)json_integer_value(json_object_get(ans, "bytes_used")),
	    (long long)json_integer_value(json_object_get(ans, "instance_quota_bytes")));
	rc = 0;
out:
	json_decref(ans);
	return rc;
}

static int
set_quota(struct apic *a, const char *org, const char *bytes_s)
{
	char path[PATH_BUF], e[32];
	json_t *body = NULL, *ans = NULL;
	int64_t bytes, eff;
	int rc = EXIT_RUNTIME;

	if (org == NULL || strlen(org) != 64 || strspn(org, "0123456789abcdef") != 64 ||
	    bytes_s == NULL || parse_i64(bytes_s, 0, INT64_MAX, &bytes) != 0) {
		fprintf(stderr, "vigil: quota needs --org (64 hex) and --bytes (0 or more)\n");
		return EXIT_USAGE;
	}
	snprintf(path, sizeof(path), "/api/v1/operator/orgs/%s/quota", org);
	if ((body = json_pack("{s:I}", "quota_bytes", (json_int_t)bytes)) == NULL ||
	    call(a, "PUT", path, body, 200, &ans) != 0)
		goto out;
	eff = json_integer_value(json_object_get(ans, "effective_us"));
	iso(eff, e);
	printf("org=%s quota_bytes=%lld previous_quota_bytes=%lld bytes_used=%lld effective=%s\n",
	    org, (long long)json_integer_value(json_object_get(ans, "quota_bytes")),
	    (long long)json_integer_value(json_object_get(ans, "previous_quota_bytes")),
	    (long long)json_integer_value(json_object_get(ans, "bytes_used")), e);
	if (eff > now_us())
		printf("note: below what the organization holds: applies at %s (the organization "
		    "sees it in its audit log and retention view)\n", e);
	rc = 0;
out:
	json_decref(body);
	json_decref(ans);
	return rc;
}

int
cmd_operator(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "server", required_argument, NULL, 's' },
		{ "token-file", required_argument, NULL, 't' },
		{ "session", required_argument, NULL, 'S' },
		{ "org", required_argument, NULL, 'o' },
		{ "bytes", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *server = NULL, *token_file = NULL, *session = NULL, *org = NULL, *bytes = NULL;
	struct apic *a = NULL;
	int c, rc;

	if (argc < 2 || strcmp(argv[1], "--help") == 0) {
		fputs(USAGE, argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : 0;
	}
	optind = 2;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 's': server = optarg; break;
		case 't': token_file = optarg; break;
		case 'S': session = optarg; break;
		case 'o': org = optarg; break;
		case 'b': bytes = optarg; break;
		case 'h': fputs(USAGE, stdout); return 0;
		default: fputs(USAGE, stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc || server == NULL || (token_file == NULL) == (session == NULL) ||
	    (strcmp(argv[1], "orgs") != 0 && strcmp(argv[1], "quota") != 0)) {
		fputs(USAGE, stderr);
		return EXIT_USAGE;
	}
	if (client(server, token_file, session, &a) != 0)
		return EXIT_RUNTIME;
	rc = strcmp(argv[1], "orgs") == 0 ? list_orgs(a) : set_quota(a, org, bytes);
	apic_free(a);
	return rc;
}
