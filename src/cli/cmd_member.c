/* cmd_member.c - `vigil member invite|accept|remove|list`, `vigil join` and `vigil grant`: user enrollment, scoped key grants, removal with key rotation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sodium.h>
#include "cli/cli.h"
#include "cli/cmd_org.h"
#include "cli/orgargs.h"
#include "cli/orgops.h"
#include "cli/orgverify.h"
#include "common/enroll.h"
#include "common/util.h"

#define PATH_BUF 512
#define GRANTS_MAX 8192

static const char USAGE[] =
    "usage: vigil member invite --org ORG [--role viewer|admin|auditor] [--scope ID,ID...]  COMMON\n"
    "       vigil member accept --org ORG --invitation ID [--wait S]   COMMON\n"
    "       vigil member remove --org ORG --user NAME|ID               COMMON\n"
    "       vigil member list --org ORG                                COMMON\n"
    "       vigil grant --org ORG --user NAME|ID (--camera ID | --site ID)  COMMON\n"
    "       vigil join --code CODE --org-fingerprint F [--wait S]      COMMON\n"
    "COMMON: --server URL --session FILE [--pin-dir DIR] [--kdf-fast]\n"
    "invite prints `vigil join ...` for the newcomer (who needs an account and a session);\n"
    "accept checks their request against the one-time secret, signs member.add with the\n"
    "role and scope and grants every epoch key of the cameras in scope. remove signs\n"
    "member.remove and rotates every camera the user could see: the new epoch key goes to\n"
    "everyone who keeps access, and each gateway whose signed config records one of them\n"
    "(the server's camera list is not trusted for that) gets a new signed config; it prints\n"
    "`rotated camera=ID gateway=GW config_seq=N epoch=E` for each.\n";

static int
usage(int help)
{
	fputs(USAGE, help ? stdout : stderr);
	return help ? 0 : EXIT_USAGE;
}

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
role_parse(const char *s, uint8_t *role)
{
	if (s == NULL || strcmp(s, "viewer") == 0)
		*role = STMT_ROLE_VIEWER;
	else if (strcmp(s, "admin") == 0)
		*role = STMT_ROLE_ADMIN;
	else if (strcmp(s, "auditor") == 0)
		*role = STMT_ROLE_AUDITOR;
	else
		return -1;
	return 0;
}

static const char *
role_name(uint8_t r)
{
	static const char *const names[] = { "none", "owner", "admin", "viewer", "auditor", "support" };

	return r <= STMT_ROLE_SUPPORT ? names[r] : "?";
}

/* "id,id,..." (32-hex each) into a JSON array of strings. NULL on a bad list. */
static json_t *
scope_parse(const char *s)
{
	json_t *arr = json_array();
	uint8_t id[STMT_ID_LEN];
	char one[2 * STMT_ID_LEN + 1];
	const char *p = s;

	while (arr != NULL && p != NULL && *p != '\0') {
		const char *c = strchr(p, ',');
		size_t n = c != NULL ? (size_t)(c - p) : strlen(p);

		if (n != 2 * STMT_ID_LEN || json_array_size(arr) >= STMT_SCOPE_MAX)
			goto bad;
		memcpy(one, p, n);
		one[n] = '\0';
		if (orgc_id_parse(one, id) != 0 || json_array_append_new(arr, json_string(one)) != 0)
			goto bad;
		p = c != NULL ? c + 1 : NULL;
	}
	return arr;
bad:
	json_decref(arr);
	return NULL;
}

static int
member_invite(struct orgc *oc, const struct orgargs *a)
{
	json_t *extra = NULL, *scope = NULL;
	uint8_t role;
	int rc = EXIT_USAGE;

	if (role_parse(orgargs_get(a, "role"), &role) != 0 ||
	    (scope = scope_parse(orgargs_get(a, "scope") ? orgargs_get(a, "scope") : "")) == NULL) {
		fprintf(stderr, "vigil: --role viewer|admin|auditor, --scope 32-hex ids separated by ','\n");
		goto out;
	}
	rc = EXIT_RUNTIME;
	if ((extra = json_pack("{s:i,s:O}", "role", (int)role, "scope", scope)) == NULL)
		goto out;
	rc = orgops_invite(oc, ENROLL_USER, NULL, extra) == 0 ? 0 : EXIT_RUNTIME;
out:
	json_decref(scope);
	json_decref(extra);
	return rc;
}

static int
sign_member(struct orgc *oc, uint8_t type, const struct stmt_member *m, struct buf *out)
{
	uint8_t target[STMT_TARGET_LEN];
	struct buf body;
	int r;

	buf_init(&body, STMT_BODY_MAX);
	statement_target_id(m->user_id, target);
	r = statement_body_member(&body, m);
	if (r == 0)
		r = statement_sign(oc->signer, type, target, orgc_seq(), now_us(), 0, body.data,
		    body.len, out);
	buf_free(&body);
	return r;
}

static int
member_accept(struct orgc *oc, const struct orgargs *a)
{
	struct enroll_invite inv;
	struct enroll_request rq;
	struct stmt_member m;
	struct stmt_admin_cert ac;
	struct orgops_camera *cams = NULL;
	struct buf cert, *st = NULL;
	uint8_t req[ENROLL_REQUEST_LEN], uid[STMT_ID_LEN];
	char path[PATH_BUF], uh[2 * STMT_ID_LEN + 1];
	const char *id = orgargs_get(a, "invitation");
	json_t *saved = NULL, *body = NULL, *scope;
	json_int_t role;
	int64_t w = 0;
	size_t i, nc = 0, ns = 0;
	int e, rc = EXIT_RUNTIME;

	memset(&inv, 0, sizeof(inv));
	buf_init(&cert, STMT_MAX_LEN);
	if (id == NULL || (orgargs_get(a, "wait") != NULL &&
	    parse_i64(orgargs_get(a, "wait"), 0, 86400, &w) != 0)) {
		rc = usage(0);
		goto out;
	}
	if (!oc->can_sign) {
		fprintf(stderr, "vigil: only the org's owners and certified admins can accept\n");
		goto out;
	}
	if (orgops_invite_wait(oc, id, (int)w, &inv, &saved, req, uid) != 0)
		goto out;
	role = json_integer_value(json_object_get(saved, "role"));
	scope = json_object_get(saved, "scope");
	if (inv.kind != ENROLL_USER || role < STMT_ROLE_OWNER || role > STMT_ROLE_AUDITOR ||
	    !json_is_array(scope) || json_array_size(scope) > STMT_SCOPE_MAX) {
		fprintf(stderr, "vigil: invitation %s is not a user invitation\n", id);
		goto out;
	}
	if ((e = enroll_accept_user(&inv, req, sizeof(req), oc->signer, uid, (uint8_t)role,
	    orgc_seq(), now_us(), &rq, &cert)) != 0) {
		orgc_refuse("user enrollment request (keys swapped on the way, or not made with "
		    "this invitation's code)", e);
		goto out;
	}
	/* The library signs member.add without scope; with one, sign it again for the same
	 * keys the MAC just vouched for. */
	memset(&m, 0, sizeof(m));
	memcpy(m.user_id, uid, STMT_ID_LEN);
	memcpy(m.sign_pk, rq.sign_pk, STMT_KEY_LEN);
	memcpy(m.box_pk, rq.box_pk, STMT_KEY_LEN);
	m.role = (uint8_t)role;
	m.nscope = (uint16_t)json_array_size(scope);
	for (i = 0; i < m.nscope; i++)
		if (orgc_id_parse(json_string_value(json_array_get(scope, i)), m.scope[i]) != 0)
			goto out;
	if (m.nscope > 0) {
		buf_reset(&cert);
		if (sign_member(oc, STMT_MEMBER_ADD, &m, &cert) != 0)
			goto out;
	}
	if ((st = calloc(GRANTS_MAX + 1, sizeof(*st))) == NULL)
		goto out;
	for (i = 0; i < GRANTS_MAX + 1; i++)
		buf_init(&st[i], STMT_MAX_LEN);
	if (role == STMT_ROLE_ADMIN) {
		if (!oc->have_root) {
			fprintf(stderr, "vigil: certifying an admin needs the org root\n");
			goto out;
		}
		memset(&ac, 0, sizeof(ac));
		memcpy(ac.user_id, uid, STMT_ID_LEN);
		memcpy(ac.sign_pk, rq.sign_pk, STMT_KEY_LEN);
		memcpy(ac.box_pk, rq.box_pk, STMT_KEY_LEN);
		ac.active = 1;
		if (orgkeys_admin_certify(oc->signer, &ac, orgc_seq(), now_us(), &st[0]) != 0 ||
		    orgc_post_statements(oc, st, 1) != 0)
			goto out;
		/* The grants below start again at st[0]: a grant appended to the cert's bytes
		 * was one malformed statement, and the server refused the whole batch. */
		buf_reset(&st[0]);
	}
	body = json_pack("{s:o}", "cert", orgc_hex_json(cert.data, cert.len));
	snprintf(path, sizeof(path), "/api/v1/orgs/%s/invitations/%s/accept", oc->org_hex, id);
	if (body == NULL || orgc_call(oc, "POST", path, body, 200, NULL, "accept") != 0)
		goto out;
	(void)orgpin_invite_wipe(oc->pin_dir, id);
	if (orgops_cameras(oc, &cams, &nc) != 0 ||
	    orgops_grant_all(oc, &m, cams, nc, NULL, st, GRANTS_MAX, &ns) != 0 ||
	    (ns > 0 && orgc_post_statements(oc, st, ns) != 0))
		goto out;
	hex_encode(uid, sizeof(uid), uh);
	printf("member=%s role=%s scope=%u grants=%zu\n", uh, role_name(m.role), m.nscope, ns);
	rc = 0;
out:
	enroll_invite_wipe(&inv);
	if (st != NULL)
		for (i = 0; i < GRANTS_MAX + 1; i++)
			buf_free(&st[i]);
	free(st);
	free(cams);
	json_decref(saved);
	json_decref(body);
	buf_free(&cert);
	return rc;
}

static int
member_list(struct orgc *oc)
{
	struct orgc_member *ms = NULL;
	char uh[2 * STMT_ID_LEN + 1];
	size_t n = 0, i;

	if (orgc_members(oc, &ms, &n) != 0)
		return EXIT_RUNTIME;
	for (i = 0; i < n; i++) {
		hex_encode(ms[i].m.user_id, STMT_ID_LEN, uh);
		printf("user=%s username=%s role=%s scope=%u verified=yes\n", uh, ms[i].username,
		    role_name(ms[i].m.role), ms[i].m.nscope);
	}
	free(ms);
	return 0;
}

static int
member_remove(struct orgc *oc, const struct orgargs *a)
{
	struct orgc_member *ms = NULL;
	const struct orgc_member *gone;
	struct orgops_camera *cams = NULL;
	struct stmt_member rm;
	struct orgops_rotation rot = { NULL, 0, 0 };
	struct orgops_gwmap gm = { NULL, 0 };
	struct buf *st = NULL;
	size_t rec[ORGOPS_RECORDERS_MAX];
	char camh[2 * STMT_ID_LEN + 1], gwh[2 * STMT_KEY_LEN + 1];
	size_t nm = 0, nc = 0, ns = 0, nst = 0, nrec, i;
	const char *who = orgargs_get(a, "user");
	const uint8_t *site;
	int rc = EXIT_RUNTIME;

	if (who == NULL) {
		rc = usage(0);
		goto out;
	}
	if (!oc->have_root) {
		fprintf(stderr, "vigil: removal rotates camera keys and gateway configs: it needs "
		    "the org root (owners hold it)\n");
		goto out;
	}
	if (orgc_members(oc, &ms, &nm) != 0 || orgops_cameras(oc, &cams, &nc) != 0)
		goto out;
	if ((gone = orgc_member_find(ms, nm, who)) == NULL) {
		fprintf(stderr, "vigil: %s is not a member\n", who);
		goto out;
	}
	if (memcmp(gone->m.user_id, oc->user_id, STMT_ID_LEN) == 0) {
		fprintf(stderr, "vigil: refusing to remove yourself\n");
		goto out;
	}
	nst = 2 + nc * (nm + 1);
	if ((st = calloc(nst, sizeof(*st))) == NULL ||
	    (nc > 0 && (rot.c = calloc(nc, sizeof(*rot.c))) == NULL))
		goto out;
	rot.cap = nc;
	for (i = 0; i < nst; i++)
		buf_init(&st[i], STMT_MAX_LEN);
	memset(&rm, 0, sizeof(rm));
	memcpy(rm.user_id, gone->m.user_id, STMT_ID_LEN);
	memcpy(rm.sign_pk, gone->m.sign_pk, STMT_KEY_LEN);
	memcpy(rm.box_pk, gone->m.box_pk, STMT_KEY_LEN);
	rm.role = STMT_ROLE_NONE;
	if (sign_member(oc, STMT_MEMBER_REMOVE, &rm, &st[ns++]) != 0)
		goto out;
	/* A removed admin also loses the certificate that let their key sign for the org. */
	if (gone->m.role == STMT_ROLE_ADMIN || gone->m.role == STMT_ROLE_OWNER) {
		struct stmt_admin_cert ac;

		memset(&ac, 0, sizeof(ac));
		memcpy(ac.user_id, gone->m.user_id, STMT_ID_LEN);
		memcpy(ac.sign_pk, gone->m.sign_pk, STMT_KEY_LEN);
		memcpy(ac.box_pk, gone->m.box_pk, STMT_KEY_LEN);
		ac.active = 0;
		if (orgkeys_admin_certify(oc->signer, &ac, orgc_seq(), now_us(), &st[ns++]) != 0)
			goto out;
	}
	for (i = 0; i < nc; i++) {
		/* Rotated away from the removed member when either site covers it (the server's
		 * may be why they hold it); the new key goes only where the signed site says. */
		site = cams[i].site_known ? cams[i].site : NULL;
		if (orgc_epoch_latest(oc, cams[i].id) == NULL ||
		    (!orgverify_scope_covers(&gone->m, cams[i].id, site) &&
		    !orgverify_scope_covers(&gone->m, cams[i].id, cams[i].server_site)))
			continue;
		/* Which gateways record it is read from the signed configurations of the gateways
		 * the root certified (loaded once, before anything is signed): the server's camera
		 * list could name another gateway, and the real one would go on recording under the
		 * removed member's key. */
		if ((gm.g == NULL && oc->ngateways > 0 && orgops_gwmap_load(oc, &gm) != 0) ||
		    orgops_recorders(&gm, cams[i].id, cams[i].gateway, rec, ORGOPS_RECORDERS_MAX,
		    &nrec) != 0)
			goto out;
		hex_encode(cams[i].id, STMT_ID_LEN, camh);
		hex_encode(cams[i].gateway, STMT_KEY_LEN, gwh);
		if (nrec == 0)
			fprintf(stderr, "vigil: warning: camera %s is recorded by no gateway under a "
			    "configuration the org signed (the server names gateway %s): its new epoch "
			    "goes to no gateway, and none records under the old one\n", camh, gwh);
		else if (memcmp(gm.g[rec[0]].gateway, cams[i].gateway, STMT_KEY_LEN) != 0)
			fprintf(stderr, "vigil: warning: the server names gateway %s for camera %s, "
			    "whose signed configuration does not record it: the new epoch goes to the "
			    "gateway%s whose signed configuration does\n", gwh, camh, nrec > 1 ? "s" : "");
		/* The signed name goes forward with the signed site (never the server's name). */
		if (orgops_rotate(oc, cams[i].id, &gm, rec, nrec, site,
		    site != NULL && cams[i].name_signed ? cams[i].name : NULL, ms, nm, gone, st, nst,
		    &ns, &rot) != 0)
			goto out;
	}
	if (orgc_post_statements(oc, st, ns) != 0)
		goto out;
	/* Each gateway of a rotated camera records under the new epoch from its next config; a
	 * camera one of them no longer records fails the command (named on stderr). */
	if (orgops_rotation_push(oc, &rot) != 0) {
		fprintf(stderr, "vigil: %s was removed and the keys rotated, but a gateway above did "
		    "not take its camera's new epoch\n", gone->username);
		goto out;
	}
	printf("removed=%s rotated_cameras=%zu\n", gone->username, rot.n);
	rc = 0;
out:
	orgops_gwmap_free(&gm);
	if (st != NULL)
		for (i = 0; i < nst; i++)
			buf_free(&st[i]);
	free(st);
	free(rot.c);
	free(ms);
	free(cams);
	return rc;
}

int
cmd_member(int argc, char **argv)
{
	struct orgargs a;
	struct orgc *oc = NULL;
	int rc = EXIT_RUNTIME;

	if (argc < 2)
		return usage(0);
	if (orgargs_parse(argc, argv, 2, "role scope invitation wait user", &a) != 0)
		return EXIT_USAGE;
	if (a.help)
		return usage(1);
	if (strcmp(argv[1], "invite") != 0 && strcmp(argv[1], "accept") != 0 &&
	    strcmp(argv[1], "remove") != 0 && strcmp(argv[1], "list") != 0)
		return usage(0);
	if (open_org(&a, &oc) != 0)
		goto out;
	if (strcmp(argv[1], "invite") == 0)
		rc = member_invite(oc, &a);
	else if (strcmp(argv[1], "accept") == 0)
		rc = member_accept(oc, &a);
	else if (strcmp(argv[1], "remove") == 0)
		rc = member_remove(oc, &a);
	else
		rc = member_list(oc);
out:
	orgc_close(oc);
	return rc;
}

int
cmd_grant(int argc, char **argv)
{
	struct orgargs a;
	struct orgc *oc = NULL;
	struct orgc_member *ms = NULL;
	const struct orgc_member *who;
	struct orgops_camera *cams = NULL;
	struct stmt_member m;
	struct buf *st = NULL;
	uint8_t id[STMT_ID_LEN];
	const char *cam, *site;
	size_t nm = 0, nc = 0, ns = 1, i;
	int rc = EXIT_RUNTIME;

	if (orgargs_parse(argc, argv, 1, "user camera site", &a) != 0)
		return EXIT_USAGE;
	if (a.help)
		return usage(1);
	cam = orgargs_get(&a, "camera");
	site = orgargs_get(&a, "site");
	if (orgargs_get(&a, "user") == NULL || (cam == NULL) == (site == NULL) ||
	    orgc_id_parse(cam != NULL ? cam : site, id) != 0)
		return usage(0);
	if (open_org(&a, &oc) != 0)
		goto out;
	if (!oc->can_sign) {
		fprintf(stderr, "vigil: only owners and certified admins can grant\n");
		goto out;
	}
	if (orgc_members(oc, &ms, &nm) != 0 || orgops_cameras(oc, &cams, &nc) != 0)
		goto out;
	if ((who = orgc_member_find(ms, nm, orgargs_get(&a, "user"))) == NULL) {
		fprintf(stderr, "vigil: %s is not a member\n", orgargs_get(&a, "user"));
		goto out;
	}
	m = who->m;
	if (m.role != STMT_ROLE_VIEWER || m.nscope == 0) {
		fprintf(stderr, "vigil: %s already sees every camera (role %s, whole org)\n",
		    who->username, m.role == STMT_ROLE_VIEWER ? "viewer" : "admin/owner/other");
		goto out;
	}
	if (m.nscope >= STMT_SCOPE_MAX) {
		fprintf(stderr, "vigil: scope full (%d entries)\n", STMT_SCOPE_MAX);
		goto out;
	}
	memcpy(m.scope[m.nscope++], id, STMT_ID_LEN);
	if ((st = calloc(GRANTS_MAX + 1, sizeof(*st))) == NULL)
		goto out;
	for (i = 0; i < GRANTS_MAX + 1; i++)
		buf_init(&st[i], STMT_MAX_LEN);
	if (sign_member(oc, STMT_MEMBER_ROLE, &m, &st[0]) != 0 ||
	    orgops_grant_all(oc, &m, cams, nc, cam != NULL ? id : NULL, st, GRANTS_MAX + 1, &ns) != 0)
		goto out;
	if (orgc_post_statements(oc, st, ns) != 0)
		goto out;
	printf("granted user=%s %s=%s grants=%zu\n", who->username, cam ? "camera" : "site",
	    cam ? cam : site, ns - 1);
	rc = 0;
out:
	if (st != NULL)
		for (i = 0; i < GRANTS_MAX + 1; i++)
			buf_free(&st[i]);
	free(st);
	free(ms);
	free(cams);
	orgc_close(oc);
	return rc;
}
