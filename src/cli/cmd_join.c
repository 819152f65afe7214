/* cmd_join.c - `vigil join`: the invited user's side of enrollment (request with my keys, wait for the admin, check and pin the org root). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sodium.h>
#include "cli/cli.h"
#include "cli/cmd_org.h"
#include "cli/orgargs.h"
#include "common/enroll.h"
#include "common/util.h"

#define PATH_BUF 512

static const char USAGE[] =
    "usage: vigil join --server URL --session FILE --code CODE --org-fingerprint F\n"
    "                  [--wait SECONDS] [--pin-dir DIR] [--kdf-fast]\n"
    "Sends an enrollment request for your account's keys, bound to the code and the org's\n"
    "safety number; once an admin accepts, checks the org root against the safety number\n"
    "and pins it. Run it again to keep waiting.\n";

static int
do_join(struct orgc *oc, const char *code, const char *fp, int64_t wait_s)
{
	struct enroll_code c;
	struct enroll_request rq;
	uint8_t req[ENROLL_REQUEST_LEN], root[STMT_KEY_LEN];
	uint8_t *org_root = NULL, *admin_cert = NULL, *cert = NULL;
	size_t lr = 0, la = 0, lc = 0;
	char path[PATH_BUF], idh[2 * ENROLL_ID_LEN + 1];
	json_t *body = NULL, *ans = NULL, *tb = NULL;
	long status = 0;
	int64_t deadline = mono_us() + wait_s * 1000000;
	int e, rc = EXIT_RUNTIME;

	memset(&c, 0, sizeof(c));
	if (enroll_code_parse(code, fp, &c) != 0) {
		fprintf(stderr, "vigil: malformed --code or --org-fingerprint\n");
		rc = EXIT_USAGE;
		goto out;
	}
	if (enroll_request_build(&c, ENROLL_USER, oc->me->sign_pk, oc->me->box_pk, req) != 0 ||
	    enroll_request_parse(req, sizeof(req), &rq) != 0)
		goto out;
	hex_encode(c.id, sizeof(c.id), idh);
	body = json_pack("{s:o}", "request", orgc_hex_json(req, sizeof(req)));
	if (body == NULL || (e = apic_json(oc->api, "POST", "/api/v1/enroll", body, &ans,
	    &status)) != 0) {
		fprintf(stderr, "vigil: enroll: network error\n");
		goto out;
	}
	/* 409 / 403: already requested (or accepted) by an earlier run: the result call below
	 * tells, since only the holder of the code knows the token. */
	if (status != 202 && status != 409 && status != 403) {
		char why[160];

		fprintf(stderr, "vigil: enroll: refused by the server (HTTP %ld: %s)\n", status,
		    apic_answer_error(ans, why, sizeof(why)));
		goto out;
	}
	json_decref(ans);
	ans = NULL;
	tb = json_pack("{s:o}", "token", orgc_hex_json(rq.token, sizeof(rq.token)));
	snprintf(path, sizeof(path), "/api/v1/enroll/%s/result", idh);
	for (;;) {
		json_decref(ans);
		ans = NULL;
		if (tb == NULL || apic_json(oc->api, "POST", path, tb, &ans, &status) != 0) {
			fprintf(stderr, "vigil: enroll result: network error\n");
			goto out;
		}
		if (status == 200)
			break;
		if (status != 202) {
			char why[160];

			fprintf(stderr, "vigil: enroll result: refused by the server (HTTP %ld: %s)\n",
			    status, apic_answer_error(ans, why, sizeof(why)));
			goto out;
		}
		if (mono_us() >= deadline) {
			printf("requested invitation=%s: waiting for an admin to accept "
			    "(run the same command again)\n", idh);
			rc = 0;
			goto out;
		}
		{
			struct timespec ts = { 0, 300 * 1000 * 1000 };

			nanosleep(&ts, NULL);
		}
	}
	if (orgc_hex_alloc(json_object_get(ans, "org_root"), STMT_MAX_LEN, &org_root, &lr) != 0 ||
	    orgc_hex_alloc(json_object_get(ans, "cert"), STMT_MAX_LEN, &cert, &lc) != 0 ||
	    (json_is_string(json_object_get(ans, "admin_cert")) &&
	    orgc_hex_alloc(json_object_get(ans, "admin_cert"), STMT_MAX_LEN, &admin_cert, &la) != 0)) {
		fprintf(stderr, "vigil: malformed enrollment result\n");
		goto out;
	}
	if ((e = enroll_finish(&c, org_root, lr, admin_cert, la, cert, lc, ENROLL_USER,
	    oc->me->sign_pk, oc->me->box_pk, now_us(), root)) != 0) {
		orgc_refuse("enrollment result (org root or certificate not the invited org's)", e);
		goto out;
	}
	oc->fingerprint = fp;
	if (orgc_pin_root(oc, root) != 0)
		goto out;
	printf("joined org=%s safety_number=%s\n", oc->org_hex, oc->safety);
	rc = 0;
out:
	enroll_code_wipe(&c);
	free(org_root);
	free(admin_cert);
	free(cert);
	json_decref(body);
	json_decref(tb);
	json_decref(ans);
	return rc;
}

int
cmd_join(int argc, char **argv)
{
	struct orgargs a;
	struct orgc_opts o;
	struct orgc *oc = NULL;
	int64_t w = 0;
	int rc;

	if (orgargs_parse(argc, argv, 1, "code wait", &a) != 0)
		return EXIT_USAGE;
	if (a.help) {
		fputs(USAGE, stdout);
		return 0;
	}
	if (orgargs_get(&a, "code") == NULL || orgargs_get(&a, "org-fingerprint") == NULL ||
	    (orgargs_get(&a, "wait") != NULL && parse_i64(orgargs_get(&a, "wait"), 0, 86400, &w) != 0)) {
		fputs(USAGE, stderr);
		return EXIT_USAGE;
	}
	orgargs_opts(&a, &o);
	o.fingerprint = NULL;
	if (orgc_open(&o, &oc) != 0)
		return EXIT_RUNTIME;
	rc = do_join(oc, orgargs_get(&a, "code"), orgargs_get(&a, "org-fingerprint"), w);
	orgc_close(oc);
	return rc;
}
