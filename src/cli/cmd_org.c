/* cmd_org.c - `vigil org create|show|list` and `vigil site add|list`: creating an org's root on this machine and reading what the server holds. */
#include <stdio.h>
#include <string.h>
#include <sodium.h>
#include "cli/cli.h"
#include "cli/cmd_org.h"
#include "cli/orgargs.h"
#include "common/util.h"

#define PATH_BUF 512

static const char USAGE[] =
    "usage: vigil org create --name NAME   COMMON\n"
    "       vigil org show --org ORG       COMMON\n"
    "       vigil org list                 COMMON\n"
    "       vigil site add --org ORG --name NAME   COMMON\n"
    "       vigil site list --org ORG      COMMON\n"
    "COMMON: --server URL --session FILE [--pin-dir DIR] [--org-fingerprint F] [--kdf-fast]\n"
    "\n"
    "The password ($VIGIL_PASSWORD or a prompt) unwraps your keys; the server never sees\n"
    "them. org create makes the org root here, certifies you as admin and owner, seals the\n"
    "root to your key, and prints the org id and its safety number. Every other command\n"
    "checks the org's statements against the root pinned in DIR/orgs/<org>.pin.\n";

static int
usage(int help)
{
	fputs(USAGE, help ? stdout : stderr);
	return help ? 0 : EXIT_USAGE;
}

static int
org_create(const struct orgargs *a)
{
	struct orgc_opts o;
	struct orgc *oc = NULL;
	struct stmt_signer root;
	struct stmt_admin_cert ac;
	struct stmt_member m;
	struct buf rootst, cert, member, body;
	uint8_t target[STMT_TARGET_LEN], sealed[crypto_box_SEALBYTES + STMT_SK_LEN];
	json_t *req = NULL, *ans = NULL;
	const char *name = orgargs_get(a, "name"), *org;
	int64_t now = now_us();
	int rc = EXIT_RUNTIME;

	memset(&root, 0, sizeof(root));
	buf_init(&rootst, STMT_MAX_LEN);
	buf_init(&cert, STMT_MAX_LEN);
	buf_init(&member, STMT_MAX_LEN);
	buf_init(&body, STMT_MAX_LEN);
	if (name == NULL) {
		rc = usage(0);
		goto out;
	}
	orgargs_opts(a, &o);
	if (orgc_open(&o, &oc) != 0)
		goto out;
	if (orgkeys_org_create(name, now, &root, &rootst) != 0) {
		fprintf(stderr, "vigil: org name must be 1 to 64 printable characters\n");
		rc = EXIT_USAGE;
		goto out;
	}
	memset(&ac, 0, sizeof(ac));
	memcpy(ac.user_id, oc->user_id, STMT_ID_LEN);
	memcpy(ac.sign_pk, oc->me->sign_pk, STMT_KEY_LEN);
	memcpy(ac.box_pk, oc->me->box_pk, STMT_KEY_LEN);
	ac.active = 1;
	memset(&m, 0, sizeof(m));
	memcpy(m.user_id, oc->user_id, STMT_ID_LEN);
	memcpy(m.sign_pk, oc->me->sign_pk, STMT_KEY_LEN);
	memcpy(m.box_pk, oc->me->box_pk, STMT_KEY_LEN);
	m.role = STMT_ROLE_OWNER;
	statement_target_id(oc->user_id, target);
	if (orgkeys_admin_certify(&root, &ac, 1, now, &cert) != 0 ||
	    statement_body_member(&body, &m) != 0 ||
	    statement_sign(&root, STMT_MEMBER_ADD, target, orgc_seq(), now, 0, body.data, body.len,
	    &member) != 0 ||
	    crypto_box_seal(sealed, root.sk, STMT_SK_LEN, oc->me->box_pk) != 0) {
		fprintf(stderr, "vigil: signing the org's first statements failed\n");
		goto out;
	}
	req = json_pack("{s:o,s:o,s:o,s:o}",
	    "org_root", orgc_hex_json(rootst.data, rootst.len),
	    "admin_cert", orgc_hex_json(cert.data, cert.len),
	    "member", orgc_hex_json(member.data, member.len),
	    "sealed_root", orgc_hex_json(sealed, sizeof(sealed)));
	if (req == NULL || orgc_call(oc, "POST", "/api/v1/orgs", req, 201, &ans, "org create") != 0)
		goto out;
	org = json_string_value(json_object_get(ans, "org"));
	if (orgc_pin_root(oc, root.pk) != 0)
		goto out;
	if (org == NULL || strcmp(org, oc->org_hex) != 0) {
		fprintf(stderr, "refused: the server answered another org id than this root's\n");
		goto out;
	}
	printf("org=%s\nsafety_number=%s\n", oc->org_hex, oc->safety);
	rc = 0;
out:
	statement_signer_wipe(&root);
	sodium_memzero(sealed, sizeof(sealed));
	buf_free(&rootst);
	buf_free(&cert);
	buf_free(&member);
	buf_free(&body);
	json_decref(req);
	json_decref(ans);
	orgc_close(oc);
	return rc;
}

/* Open a session and load the org named by --org. */
static int
open_org(const struct orgargs *a, struct orgc **ocp)
{
	struct orgc_opts o;

	*ocp = NULL;
	if (orgargs_get(a, "org") == NULL) {
		fprintf(stderr, "vigil: --org ORG is required\n");
		return -1;
	}
	orgargs_opts(a, &o);
	if (orgc_open(&o, ocp) != 0 || orgc_org_load(*ocp, orgargs_get(a, "org")) != 0) {
		orgc_close(*ocp);
		*ocp = NULL;
		return -1;
	}
	return 0;
}

static int
org_show(const struct orgargs *a)
{
	struct orgc *oc = NULL;
	char path[PATH_BUF];
	json_t *ans = NULL;
	const char *name, *role;
	int rc = EXIT_RUNTIME;

	if (open_org(a, &oc) != 0)
		goto out;
	snprintf(path, sizeof(path), "/api/v1/orgs/%s", oc->org_hex);
	if (orgc_call(oc, "GET", path, NULL, 200, &ans, "org") != 0)
		goto out;
	name = json_string_value(json_object_get(ans, "name"));
	role = json_string_value(json_object_get(ans, "role"));
	printf("org=%s name=%s role=%s\nsafety_number=%s\nadmins=%zu epochs=%zu keys_opened=%zu "
	    "can_sign=%s\n", oc->org_hex, name ? name : "?", role ? role : "?", oc->safety,
	    oc->trust.nadmins, oc->nepochs, oc->nkeys,
	    oc->have_root ? "root" : oc->can_sign ? "admin" : "no");
	rc = 0;
out:
	json_decref(ans);
	orgc_close(oc);
	return rc;
}

/* Print one line per entry of a listing: the fields named, from a JSON array. */
static void
print_list(const json_t *arr, const char *const *fields)
{
	size_t i, k;
	json_t *e, *v;

	for (i = 0; i < json_array_size(arr); i++) {
		e = json_array_get(arr, i);
		for (k = 0; fields[k] != NULL; k++) {
			v = json_object_get(e, fields[k]);
			if (json_is_string(v))
				printf("%s%s=%s", k ? " " : "", fields[k], json_string_value(v));
			else if (json_is_integer(v))
				printf("%s%s=%lld", k ? " " : "", fields[k],
				    (long long)json_integer_value(v));
		}
		printf("\n");
	}
}

static int
org_list(const struct orgargs *a)
{
	static const char *const f[] = { "org", "name", "role", "expires_us", NULL };
	struct orgc_opts o;
	struct orgc *oc = NULL;
	json_t *ans = NULL;
	int rc = EXIT_RUNTIME;

	orgargs_opts(a, &o);
	if (orgc_open(&o, &oc) != 0 ||
	    orgc_call(oc, "GET", "/api/v1/orgs", NULL, 200, &ans, "orgs") != 0)
		goto out;
	print_list(json_object_get(ans, "orgs"), f);
	rc = 0;
out:
	json_decref(ans);
	orgc_close(oc);
	return rc;
}

int
cmd_org(int argc, char **argv)
{
	struct orgargs a;

	if (argc < 2)
		return usage(0);
	if (orgargs_parse(argc, argv, 2, "name", &a) != 0)
		return EXIT_USAGE;
	if (a.help || strcmp(argv[1], "--help") == 0)
		return usage(1);
	if (strcmp(argv[1], "create") == 0)
		return org_create(&a);
	if (strcmp(argv[1], "show") == 0)
		return org_show(&a);
	if (strcmp(argv[1], "list") == 0)
		return org_list(&a);
	return usage(0);
}

int
cmd_site(int argc, char **argv)
{
	static const char *const f[] = { "id", "name", NULL };
	struct orgargs a;
	struct orgc *oc = NULL;
	char path[PATH_BUF], idh[2 * STMT_ID_LEN + 1];
	uint8_t id[STMT_ID_LEN];
	json_t *req = NULL, *ans = NULL;
	int rc = EXIT_RUNTIME;

	if (argc < 2)
		return usage(0);
	if (orgargs_parse(argc, argv, 2, "name", &a) != 0)
		return EXIT_USAGE;
	if (a.help)
		return usage(1);
	if (strcmp(argv[1], "add") != 0 && strcmp(argv[1], "list") != 0)
		return usage(0);
	if (strcmp(argv[1], "add") == 0 && orgargs_get(&a, "name") == NULL)
		return usage(0);
	if (open_org(&a, &oc) != 0)
		goto out;
	snprintf(path, sizeof(path), "/api/v1/orgs/%s/sites", oc->org_hex);
	if (strcmp(argv[1], "list") == 0) {
		if (orgc_call(oc, "GET", path, NULL, 200, &ans, "sites") != 0)
			goto out;
		print_list(json_object_get(ans, "sites"), f);
		rc = 0;
		goto out;
	}
	randombytes_buf(id, sizeof(id));
	hex_encode(id, sizeof(id), idh);
	if ((req = json_pack("{s:s,s:s}", "id", idh, "name", orgargs_get(&a, "name"))) == NULL ||
	    orgc_call(oc, "POST", path, req, 201, NULL, "site add") != 0)
		goto out;
	printf("site=%s\n", idh);
	rc = 0;
out:
	json_decref(req);
	json_decref(ans);
	orgc_close(oc);
	return rc;
}
