/* cmd_support.c - `vigil support grant|revoke|list`: time-boxed support access an org grants to a named account. */
#include <stdio.h>
#include <string.h>
#include "cli/cli.h"
#include "cli/cmd_org.h"
#include "cli/orgargs.h"
#include "common/util.h"

#define PATH_BUF 512

static const char USAGE[] =
    "usage: vigil support grant --org ORG --username NAME [--duration SECONDS]  COMMON\n"
    "       vigil support revoke --org ORG --user USER_ID                     COMMON\n"
    "       vigil support list --org ORG                                      COMMON\n"
    "COMMON: --server URL --session FILE [--pin-dir DIR] [--kdf-fast]\n"
    "Support sees names and state, never keys, footage or audit; default 3600 s, max 86400.\n";

static int
usage(int help)
{
	fputs(USAGE, help ? stdout : stderr);
	return help ? 0 : EXIT_USAGE;
}

int
cmd_support(int argc, char **argv)
{
	struct orgargs a;
	struct orgc_opts o;
	struct orgc *oc = NULL;
	char path[PATH_BUF];
	uint8_t uid[STMT_ID_LEN];
	json_t *req = NULL, *ans = NULL, *arr;
	const char *sub;
	int64_t dur = 3600;
	size_t i;
	int rc = EXIT_RUNTIME;

	if (argc < 2)
		return usage(0);
	sub = argv[1];
	if (orgargs_parse(argc, argv, 2, "username user duration", &a) != 0)
		return EXIT_USAGE;
	if (a.help)
		return usage(1);
	if ((strcmp(sub, "grant") == 0 && (orgargs_get(&a, "username") == NULL ||
	    (orgargs_get(&a, "duration") != NULL &&
	    parse_i64(orgargs_get(&a, "duration"), 1, 86400, &dur) != 0))) ||
	    (strcmp(sub, "revoke") == 0 && orgc_id_parse(orgargs_get(&a, "user"), uid) != 0) ||
	    (strcmp(sub, "grant") != 0 && strcmp(sub, "revoke") != 0 && strcmp(sub, "list") != 0) ||
	    orgargs_get(&a, "org") == NULL)
		return usage(0);
	orgargs_opts(&a, &o);
	if (orgc_open(&o, &oc) != 0 || orgc_org_load(oc, orgargs_get(&a, "org")) != 0)
		goto out;
	if (strcmp(sub, "grant") == 0) {
		snprintf(path, sizeof(path), "/api/v1/orgs/%s/support", oc->org_hex);
		req = json_pack("{s:s,s:I}", "username", orgargs_get(&a, "username"), "duration_s",
		    (json_int_t)dur);
		if (req == NULL || orgc_call(oc, "POST", path, req, 201, &ans, "support grant") != 0)
			goto out;
		printf("support user=%s expires_us=%lld\n",
		    json_string_value(json_object_get(ans, "user_id")) ?
		    json_string_value(json_object_get(ans, "user_id")) : "?",
		    (long long)json_integer_value(json_object_get(ans, "expires_us")));
	} else if (strcmp(sub, "revoke") == 0) {
		snprintf(path, sizeof(path), "/api/v1/orgs/%s/support/%s", oc->org_hex,
		    orgargs_get(&a, "user"));
		if (orgc_call(oc, "DELETE", path, NULL, 200, NULL, "support revoke") != 0)
			goto out;
		printf("support revoked user=%s\n", orgargs_get(&a, "user"));
	} else {
		snprintf(path, sizeof(path), "/api/v1/orgs/%s/support", oc->org_hex);
		if (orgc_call(oc, "GET", path, NULL, 200, &ans, "support list") != 0)
			goto out;
		arr = json_object_get(ans, "grants");
		for (i = 0; i < json_array_size(arr); i++) {
			json_t *g = json_array_get(arr, i);
			const char *u = json_string_value(json_object_get(g, "user_id"));
			const char *n = json_string_value(json_object_get(g, "username"));

			printf("user=%s username=%s expires_us=%lld\n", u ? u : "?", n ? n : "?",
			    (long long)json_integer_value(json_object_get(g, "expires_us")));
		}
	}
	rc = 0;
out:
	json_decref(req);
	json_decref(ans);
	orgc_close(oc);
	return rc;
}
