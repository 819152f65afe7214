/* cmd_gwadmin.c - `vigil gateway invite|accept|list|config` and `vigil camera add|set|list|remove|sign`: enrolling gateways, and cameras with their epoch keys and signed gateway config. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "cli/cli.h"
#include "cli/cmd_org.h"
#include "cli/orgargs.h"
#include "cli/orgops.h"
#include "cli/orgverify.h"
#include "common/util.h"
#include "gateway/recgate.h"

#define PATH_BUF 512
#define WAIT_DEFAULT 0
/* A camera's detection object (the gateway's motion_config.h allows 16 KiB). */
#define DETECTION_MAX (16u * 1024u)
#define GRANTS_MAX 4096

static const char USAGE_GW[] =
    "usage: vigil gateway invite --org ORG --site SITE            COMMON\n"
    "       vigil gateway accept --org ORG --invitation ID [--wait S]  COMMON\n"
    "       vigil gateway list --org ORG                         COMMON\n"
    "       vigil gateway config --org ORG --gateway GW          COMMON\n"
    "COMMON: --server URL --session FILE [--pin-dir DIR] [--org-fingerprint F] [--kdf-fast]\n"
    "invite prints the one-line `vigil-gateway enroll ...` command to run on site; accept\n"
    "checks the gateway's request against the one-time secret and signs its certificate.\n"
    "config shows the gateway's signed configuration (camera credentials masked).\n";

static const char USAGE_CAM[] =
    "usage: vigil camera add --org ORG --name NAME --gateway GW --url RTSP_URL\n"
    "                        [--url1 SUBSTREAM_URL] [--detection FILE]\n"
    "                        [--record continuous|motion [--preroll S] [--postroll S]\n"
    "                         [--live yes|no]]  COMMON\n"
    "       vigil camera set --org ORG --camera ID_OR_NAME [--detection FILE]\n"
    "                        [--record continuous|motion [--preroll S] [--postroll S]\n"
    "                         [--live yes|no]]  COMMON\n"
    "       vigil camera list --org ORG                           COMMON\n"
    "       vigil camera remove --org ORG --camera ID_OR_NAME --yes    COMMON\n"
    "       vigil camera sign --org ORG --camera ID_OR_NAME [--name NAME]  COMMON\n"
    "add registers the camera, signs its epoch 1 key with its site and NAME, grants it to\n"
    "every owner and admin (and viewer in scope) whose signed member statement verifies, and\n"
    "sends the gateway a new signed config sealed to it (camera URLs never reach the server\n"
    "in the clear). list, set, remove and export use the signed names; list marks a name the\n"
    "org never signed (a camera added before names were signed) name_signed=no.\n"
    "--detection FILE: the camera's motion settings, a JSON object such as\n"
    "{\"sensitivity\":50,\"min_duration_ms\":300,\"zones\":[{\"name\":\"door\",\"rect\":[x,y,w,h]}],\n"
    "\"masks\":[[x,y,w,h]]} (per-mille of the frame); the gateway refuses the whole\n"
    "configuration when it is invalid, keeping its last good one.\n"
    "--record motion: record only around motion, from --preroll seconds before an event\n"
    "(default 5, at most 30) to --postroll seconds after it (default 10, at most 600); the\n"
    "gateway signs a \"no motion\" gap between recordings. Default: continuously.\n"
    "--live no: while nothing moves, send no live video (default yes: viewers still see\n"
    "live video, sent only while someone watches and never recorded).\n"
    "set changes a camera's motion settings and recording mode in its gateway's signed\n"
    "configuration (what is not given stays as it is).\n"
    "remove sends the gateway a new signed config without the camera (it stops recording\n"
    "it), then unregisters it: the server deletes ALL its recordings, motion events and\n"
    "share links at once (asks for a fresh step-up). --yes says you mean it.\n"
    "sign gives a camera added before names were signed (or without a signed site) its next\n"
    "epoch key, signed with its site (that of the gateway whose signed config records it,\n"
    "from the certificate the org root signed; not the server's) and NAME (default: the\n"
    "name its gateway's signed config gives it, else the server's; check the printed\n"
    "name). The key goes to every member in scope; viewers the\n"
    "site brings in also get its earlier keys. The camera keeps its id and recordings. With\n"
    "--name it also renames a camera whose name is signed already. Owners only (it signs\n"
    "the gateway's new config).\n";

static int
usage(const char *u, int help)
{
	fputs(u, help ? stdout : stderr);
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
wait_arg(const struct orgargs *a, int *w)
{
	int64_t v = WAIT_DEFAULT;

	if (orgargs_get(a, "wait") != NULL && parse_i64(orgargs_get(a, "wait"), 0, 86400, &v) != 0) {
		fprintf(stderr, "vigil: --wait takes seconds (0..86400)\n");
		return -1;
	}
	*w = (int)v;
	return 0;
}

static int
gw_accept(struct orgc *oc, const struct orgargs *a)
{
	struct enroll_invite inv;
	struct enroll_request rq;
	struct buf cert;
	uint8_t req[ENROLL_REQUEST_LEN], site[STMT_ID_LEN], uid[STMT_ID_LEN];
	char path[PATH_BUF], gwh[2 * STMT_KEY_LEN + 1];
	const char *id = orgargs_get(a, "invitation");
	json_t *saved = NULL, *body = NULL;
	int w, e, rc = EXIT_RUNTIME;

	memset(&inv, 0, sizeof(inv));
	buf_init(&cert, STMT_MAX_LEN);
	if (id == NULL || wait_arg(a, &w) != 0) {
		rc = usage(USAGE_GW, 0);
		goto out;
	}
	if (!oc->can_sign) {
		fprintf(stderr, "vigil: only the org's owners and certified admins can accept\n");
		goto out;
	}
	if (orgops_invite_wait(oc, id, w, &inv, &saved, req, uid) != 0)
		goto out;
	if (inv.kind != ENROLL_GATEWAY || orgc_hex_field(saved, "site", site, sizeof(site)) != 0) {
		fprintf(stderr, "vigil: invitation %s is not a gateway invitation\n", id);
		goto out;
	}
	if ((e = enroll_accept_gateway(&inv, req, sizeof(req), oc->signer, site, orgc_seq(),
	    now_us(), &rq, &cert)) != 0) {
		orgc_refuse("gateway enrollment request (keys swapped on the way, or not made with "
		    "this invitation's code)", e);
		goto out;
	}
	body = json_pack("{s:o}", "cert", orgc_hex_json(cert.data, cert.len));
	snprintf(path, sizeof(path), "/api/v1/orgs/%s/invitations/%s/accept", oc->org_hex, id);
	if (body == NULL || orgc_call(oc, "POST", path, body, 200, NULL, "accept") != 0)
		goto out;
	(void)orgpin_invite_wipe(oc->pin_dir, id);
	hex_encode(rq.sign_pk, STMT_KEY_LEN, gwh);
	printf("gateway=%s enrolled\n", gwh);
	rc = 0;
out:
	enroll_invite_wipe(&inv);
	json_decref(saved);
	json_decref(body);
	buf_free(&cert);
	return rc;
}

static void
print_fields(const json_t *arr, const char *const *f)
{
	size_t i, k;
	json_t *v;

	for (i = 0; i < json_array_size(arr); i++) {
		for (k = 0; f[k] != NULL; k++) {
			v = json_object_get(json_array_get(arr, i), f[k]);
			if (json_is_string(v))
				printf("%s%s=%s", k ? " " : "", f[k], json_string_value(v));
			else if (json_is_integer(v))
				printf("%s%s=%lld", k ? " " : "", f[k], (long long)json_integer_value(v));
		}
		printf("\n");
	}
}

/* Print a stream URL with any user:password@ replaced by ***@. */
static void
print_url_masked(const char *url)
{
	const char *sch = strstr(url, "://"), *host, *at, *slash;

	if (sch == NULL) {
		printf("?");
		return;
	}
	host = sch + 3;
	slash = strchr(host, '/');
	at = strchr(host, '@');
	if (at != NULL && (slash == NULL || at < slash))
		printf("%.*s***@%s", (int)(host - url), url, at + 1);
	else
		printf("%s", url);
}

static int
gw_config_show(struct orgc *oc, const struct orgargs *a)
{
	uint8_t gw[STMT_KEY_LEN];
	const char *g = orgargs_get(a, "gateway");
	json_t *doc = NULL, *cams, *c, *sts, *st;
	uint64_t seq = 0;
	size_t i, k;
	int rc = EXIT_RUNTIME;

	if (g == NULL || strlen(g) != 2 * STMT_KEY_LEN || hex_decode(g, gw, sizeof(gw)) != 0) {
		rc = usage(USAGE_GW, 0);
		goto out;
	}
	if (orgops_gwconfig_read(oc, gw, &doc, &seq) != 0)
		goto out;
	printf("gateway=%s config_seq=%llu verified=yes\n", g, (unsigned long long)seq);
	cams = json_object_get(doc, "cameras");
	for (i = 0; i < json_array_size(cams); i++) {
		c = json_array_get(cams, i);
		printf("camera name=%s id=%s epoch=%lld",
		    json_string_value(json_object_get(c, "name")) ? json_string_value(json_object_get(c, "name")) : "?",
		    json_string_value(json_object_get(c, "id")) ? json_string_value(json_object_get(c, "id")) : "?",
		    (long long)json_integer_value(json_object_get(c, "epoch")));
		sts = json_object_get(c, "streams");
		for (k = 0; k < json_array_size(sts); k++) {
			st = json_array_get(sts, k);
			printf(" stream%lld=", (long long)json_integer_value(json_object_get(st, "index")));
			print_url_masked(json_string_value(json_object_get(st, "url")) ?
			    json_string_value(json_object_get(st, "url")) : "");
		}
		{
			const json_t *r = json_object_get(c, "recording");
			const char *m = json_string_value(json_object_get(r, "mode"));
			if (m != NULL && strcmp(m, "motion") == 0)
				printf(" record=motion preroll_s=%lld postroll_s=%lld",
				    json_object_get(r, "preroll_s") != NULL ?
				    (long long)json_integer_value(json_object_get(r, "preroll_s")) :
				    (long long)RECGATE_PREROLL_DEFAULT_S,
				    json_object_get(r, "postroll_s") != NULL ?
				    (long long)json_integer_value(json_object_get(r, "postroll_s")) :
				    (long long)RECGATE_POSTROLL_DEFAULT_S);
			else
				printf(" record=continuous");
			if (m != NULL && strcmp(m, "motion") == 0)
				printf(" live_while_paused=%s",
				    json_is_false(json_object_get(r, "live_while_paused")) ? "no" : "yes");
		}
		printf("\n");
	}
	rc = 0;
out:
	json_decref(doc);
	return rc;
}

int
cmd_gateway(int argc, char **argv)
{
	static const char *const f[] = { "id", "site", "enrolled_us", "last_seen_us", NULL };
	struct orgargs a;
	struct orgc *oc = NULL;
	uint8_t site[STMT_ID_LEN];
	char path[PATH_BUF];
	json_t *ans = NULL;
	int rc = EXIT_RUNTIME;

	if (argc < 2)
		return usage(USAGE_GW, 0);
	if (orgargs_parse(argc, argv, 2, "site invitation wait gateway", &a) != 0)
		return EXIT_USAGE;
	if (a.help)
		return usage(USAGE_GW, 1);
	if (strcmp(argv[1], "invite") == 0 && orgc_id_parse(orgargs_get(&a, "site"), site) != 0)
		return usage(USAGE_GW, 0);
	if (strcmp(argv[1], "invite") != 0 && strcmp(argv[1], "accept") != 0 &&
	    strcmp(argv[1], "list") != 0 && strcmp(argv[1], "config") != 0)
		return usage(USAGE_GW, 0);
	if (open_org(&a, &oc) != 0)
		goto out;
	if (strcmp(argv[1], "invite") == 0) {
		rc = orgops_invite(oc, ENROLL_GATEWAY, site, NULL) == 0 ? 0 : EXIT_RUNTIME;
	} else if (strcmp(argv[1], "accept") == 0) {
		rc = gw_accept(oc, &a);
	} else if (strcmp(argv[1], "config") == 0) {
		rc = gw_config_show(oc, &a);
	} else {
		snprintf(path, sizeof(path), "/api/v1/orgs/%s/gateways", oc->org_hex);
		if (orgc_call(oc, "GET", path, NULL, 200, &ans, "gateways") != 0)
			goto out;
		print_fields(json_object_get(ans, "gateways"), f);
		rc = 0;
	}
out:
	json_decref(ans);
	orgc_close(oc);
	return rc;
}

/* What camera add puts into the gateway's config. */
struct cam_edit {
	const char *name, *url0, *url1;
	uint8_t id[STMT_ID_LEN];
	uint32_t epoch;
	uint8_t pk[STMT_KEY_LEN];
	json_t *detection;          /* NULL: the gateway's defaults */
	json_t *recording;          /* NULL: continuous */
};

/* 0 when camera entry cam of config doc may record as it says: recording on motion only
 * needs detection enabled (its own "detection" object, else the config's top-level one),
 * which the gateway would otherwise refuse after the camera is registered. -1 (printed). */
static int
recording_detection_check(const json_t *doc, const json_t *cam)
{
	const json_t *r = json_object_get(cam, "recording");
	const json_t *d = json_object_get(cam, "detection");
	const char *m = json_string_value(json_object_get(r, "mode"));

	if (m == NULL || strcmp(m, "motion") != 0)
		return 0;
	if (d == NULL && doc != NULL)
		d = json_object_get(doc, "detection");
	if (!json_is_false(json_object_get(d, "enabled")))
		return 0;
	fprintf(stderr, "vigil: recording on motion only needs motion detection enabled\n");
	return -1;
}

static int
add_camera_json(json_t *doc, void *ctx)
{
	const struct cam_edit *c = ctx;
	json_t *cams = json_object_get(doc, "cameras"), *streams, *cam;

	if (cams == NULL) {
		if (json_object_set_new(doc, "cameras", json_array()) != 0)
			return -1;
		cams = json_object_get(doc, "cameras");
	}
	if (!json_is_array(cams))
		return -1;
	streams = json_pack("[{s:i,s:s}]", "index", 0, "url", c->url0);
	if (streams == NULL || (c->url1 != NULL &&
	    json_array_append_new(streams, json_pack("{s:i,s:s}", "index", 1, "url", c->url1)) != 0)) {
		json_decref(streams);
		return -1;
	}
	cam = json_pack("{s:s,s:o,s:I,s:o,s:o}", "name", c->name,
	    "id", orgc_hex_json(c->id, STMT_ID_LEN), "epoch", (json_int_t)c->epoch,
	    "epoch_public_key", orgc_hex_json(c->pk, STMT_KEY_LEN), "streams", streams);
	if (cam != NULL && c->detection != NULL &&
	    json_object_set(cam, "detection", c->detection) != 0) {
		json_decref(cam);
		return -1;
	}
	if (cam != NULL && c->recording != NULL &&
	    json_object_set(cam, "recording", c->recording) != 0) {
		json_decref(cam);
		return -1;
	}
	return cam != NULL && json_array_append_new(cams, cam) == 0 ? 0 : -1;
}

/* --record, --preroll, --postroll, --live as the camera's "recording" object (gateway
 * recgate.h); *out stays NULL for continuous recording with no options. 0 or -1 (message
 * printed). */
static int
recording_args(const struct orgargs *a, json_t **out)
{
	const char *mode = orgargs_get(a, "record");
	const char *live = orgargs_get(a, "live");
	const char *names[2] = { "preroll", "postroll" };
	const long max[2] = { RECGATE_PREROLL_MAX_S, RECGATE_POSTROLL_MAX_S };
	long v[2] = { -1, -1 };
	char *end;
	int i;

	*out = NULL;
	for (i = 0; i < 2; i++) {
		const char *s = orgargs_get(a, names[i]);
		if (s == NULL)
			continue;
		v[i] = strtol(s, &end, 10);
		if (*s < '0' || *s > '9' || *end != '\0' || v[i] > max[i]) {
			fprintf(stderr, "vigil: --%s must be a number of seconds from 0 to %ld\n",
			    names[i], max[i]);
			return -1;
		}
	}
	if (live != NULL && strcmp(live, "yes") != 0 && strcmp(live, "no") != 0) {
		fprintf(stderr, "vigil: --live is yes or no\n");
		return -1;
	}
	if (mode == NULL && v[0] < 0 && v[1] < 0 && live == NULL)
		return 0;
	if (mode == NULL || strcmp(mode, "motion") != 0) {
		if (mode != NULL && strcmp(mode, "continuous") == 0 && v[0] < 0 && v[1] < 0 &&
		    live == NULL)
			return 0;
		fprintf(stderr, "vigil: --record is continuous or motion; --preroll, --postroll and "
		    "--live go with --record motion\n");
		return -1;
	}
	*out = live != NULL && strcmp(live, "no") == 0 ?
	    json_pack("{s:s,s:b}", "mode", "motion", "live_while_paused", 0) :
	    json_pack("{s:s}", "mode", "motion");
	for (i = 0; *out != NULL && i < 2; i++)
		if (v[i] >= 0 && json_object_set_new(*out, i == 0 ? "preroll_s" : "postroll_s",
		    json_integer(v[i])) != 0) {
			json_decref(*out);
			*out = NULL;
		}
	if (*out == NULL)
		fprintf(stderr, "vigil: out of memory\n");
	return *out != NULL ? 0 : -1;
}

/* Read a --detection file: a JSON object of at most DETECTION_MAX bytes. The gateway
 * checks its fields (motion_config.c). 0 or -1 (message printed). */
static int
detection_load(const char *path, json_t **out)
{
	struct buf b;
	json_error_t je;
	int ret = -1;

	*out = NULL;
	buf_init(&b, DETECTION_MAX + 1);
	if (file_read(path, &b, DETECTION_MAX + 1) != 0 || b.len > DETECTION_MAX) {
		fprintf(stderr, "vigil: cannot read --detection file (at most %u bytes)\n",
		    DETECTION_MAX);
		goto out;
	}
	*out = json_loadb((const char *)b.data, b.len, JSON_REJECT_DUPLICATES, &je);
	if (*out == NULL || !json_is_object(*out)) {
		fprintf(stderr, "vigil: --detection file is not a JSON object\n");
		json_decref(*out);
		*out = NULL;
		goto out;
	}
	ret = 0;
out:
	buf_free(&b);
	return ret;
}

static int
camera_add(struct orgc *oc, const struct orgargs *a)
{
	struct cam_edit ce;
	struct orgc_member *ms = NULL;
	struct stmt_camera_epoch ep;
	struct orgkeys_grantee to;
	struct buf *st = NULL;
	uint8_t gw[STMT_KEY_LEN], site[STMT_ID_LEN], sk[ORGKEYS_EPOCH_SK_LEN];
	char path[PATH_BUF], idh[2 * STMT_ID_LEN + 1], gwh[2 * STMT_KEY_LEN + 1];
	json_t *req = NULL, *ans = NULL;
	size_t nm = 0, ns = 0, i;
	int64_t now = now_us();
	int rc = EXIT_RUNTIME;

	memset(&ce, 0, sizeof(ce));
	memset(&ep, 0, sizeof(ep));
	ce.name = orgargs_get(a, "name");
	ce.url0 = orgargs_get(a, "url");
	ce.url1 = orgargs_get(a, "url1");
	if (ce.name == NULL || ce.url0 == NULL || orgargs_get(a, "gateway") == NULL ||
	    strlen(orgargs_get(a, "gateway")) != 2 * STMT_KEY_LEN ||
	    hex_decode(orgargs_get(a, "gateway"), gw, sizeof(gw)) != 0) {
		rc = usage(USAGE_CAM, 0);
		goto out;
	}
	if (orgargs_get(a, "detection") != NULL &&
	    detection_load(orgargs_get(a, "detection"), &ce.detection) != 0)
		goto out;
	if (recording_args(a, &ce.recording) != 0)
		goto out;
	/* The name is signed into the camera's epoch statements: checked before anything is
	 * registered. */
	if (!statement_camera_name_ok(ce.name)) {
		fprintf(stderr, "vigil: --name must be 1 to %d bytes of UTF-8 text without control "
		    "characters\n", STMT_NAME_MAX);
		rc = EXIT_USAGE;
		goto out;
	}
	if (!oc->have_root) {
		fprintf(stderr, "vigil: adding a camera needs the org root (owners hold it)\n");
		goto out;
	}
	/* The gateway's site, from the certificate the org root signed at its enrollment (the
	 * server's gateway list is not trusted: the site decides who gets the camera's keys). */
	hex_encode(gw, sizeof(gw), gwh);
	if (orgc_gateway_site(oc, gw, site) != 0) {
		fprintf(stderr, "vigil: gateway %s is not enrolled in this org (no gateway.cert "
		    "signed by the org root)\n", gwh);
		goto out;
	}
	if (orgc_members(oc, &ms, &nm) != 0)
		goto out;
	/* Check the gateway's stored config opens before anything is registered or signed. */
	{
		json_t *probe = NULL;
		uint64_t pseq;

		json_t *entry = json_object();
		int bad;

		if (orgops_gwconfig_read(oc, gw, &probe, &pseq) != 0) {
			json_decref(entry);
			goto out;
		}
		/* And that the gateway will take the camera's settings. */
		bad = entry == NULL ||
		    (ce.detection != NULL && json_object_set(entry, "detection", ce.detection) != 0) ||
		    (ce.recording != NULL && json_object_set(entry, "recording", ce.recording) != 0) ||
		    recording_detection_check(probe, entry) != 0;
		json_decref(entry);
		json_decref(probe);
		if (bad)
			goto out;
	}
	randombytes_buf(ce.id, sizeof(ce.id));
	hex_encode(ce.id, sizeof(ce.id), idh);
	req = json_pack("{s:s,s:s,s:o,s:s}", "id", idh, "name", ce.name,
	    "site", orgc_hex_json(site, sizeof(site)), "gateway", gwh);
	snprintf(path, sizeof(path), "/api/v1/orgs/%s/cameras", oc->org_hex);
	if (req == NULL || orgc_call(oc, "POST", path, req, 201, NULL, "camera add") != 0)
		goto out;
	if ((st = calloc(nm + 1, sizeof(*st))) == NULL)
		goto out;
	for (i = 0; i < nm + 1; i++)
		buf_init(&st[i], STMT_MAX_LEN);
	ce.epoch = 1;
	/* Its site and name signed with its key: viewers take both from here, not the server. */
	if (orgkeys_epoch_create_named(oc->signer, ce.id, site, ce.name, 1, orgc_seq(), now, ce.pk,
	    sk, &st[0]) != 0)
		goto out;
	ns = 1;
	memcpy(ep.camera_id, ce.id, STMT_ID_LEN);
	ep.epoch = 1;
	memcpy(ep.epoch_pk, ce.pk, STMT_KEY_LEN);
	for (i = 0; i < nm; i++) {
		if (!orgverify_scope_covers(&ms[i].m, ce.id, site))
			continue;
		memcpy(to.user_id, ms[i].m.user_id, STMT_ID_LEN);
		memcpy(to.box_pk, ms[i].m.box_pk, STMT_KEY_LEN);
		to.seq = orgc_seq();
		if (orgkeys_grant(oc->signer, &ep, sk, &to, now, &st[ns]) != 0)
			goto out;
		ns++;
	}
	sodium_memzero(sk, sizeof(sk));
	if (orgc_post_statements(oc, st, ns) != 0)
		goto out;
	if (orgops_gwconfig_edit(oc, gw, add_camera_json, &ce) != 0)
		goto out;
	printf("camera=%s name=%s epoch=1 grants=%zu\n", idh, ce.name, ns - 1);
	rc = 0;
out:
	sodium_memzero(sk, sizeof(sk));
	if (st != NULL)
		for (i = 0; i < nm + 1; i++)
			buf_free(&st[i]);
	free(st);
	free(ms);
	json_decref(ce.detection);
	json_decref(ce.recording);
	json_decref(req);
	json_decref(ans);
	return rc;
}

/* Drop the camera from a gateway's signed config; -1 when the config does not hold it (the
 * gateway came from the server's list: the camera would go on recording elsewhere). */
static int
remove_camera_json(json_t *doc, void *ctx)
{
	const char *idh = ctx;
	json_t *cams = json_object_get(doc, "cameras"), *c;
	size_t i;
	int found = 0;

	if (!json_is_array(cams))
		goto none;
	for (i = json_array_size(cams); i-- > 0;) {
		c = json_array_get(cams, i);
		if (json_is_string(json_object_get(c, "id")) &&
		    strcmp(json_string_value(json_object_get(c, "id")), idh) == 0) {
			if (json_array_remove(cams, i) != 0)
				return -1;
			found = 1;
		}
	}
	if (found)
		return 0;
none:
	fprintf(stderr, "vigil: refused: the gateway the server names for camera %s does not "
	    "record it in its signed configuration\n", idh);
	return -1;
}

/* What camera set changes: the camera (hex id), and the objects to put in its entry. */
struct cam_set {
	const char *idh;
	json_t *detection;          /* NULL: unchanged */
	int set_recording;          /* --record given: recording NULL means continuous */
	json_t *recording;
};

/* Change the camera's entry of a gateway's signed config; -1 when the config does not
 * hold it. */
static int
set_camera_json(json_t *doc, void *ctx)
{
	const struct cam_set *cs = ctx;
	json_t *cams = json_object_get(doc, "cameras"), *c;
	size_t i;

	for (i = 0; json_is_array(cams) && i < json_array_size(cams); i++) {
		c = json_array_get(cams, i);
		if (!json_is_string(json_object_get(c, "id")) ||
		    strcmp(json_string_value(json_object_get(c, "id")), cs->idh) != 0)
			continue;
		if (cs->detection != NULL && json_object_set(c, "detection", cs->detection) != 0)
			return -1;
		if (cs->set_recording && cs->recording != NULL &&
		    json_object_set(c, "recording", cs->recording) != 0)
			return -1;
		if (cs->set_recording && cs->recording == NULL)
			json_object_del(c, "recording");
		return recording_detection_check(doc, c);
	}
	fprintf(stderr, "vigil: refused: the gateway the server names for camera %s does not "
	    "record it in its signed configuration\n", cs->idh);
	return -1;
}

/* The org's camera list (*ans: {"cameras":[...]}, decref) with the names the org signed
 * (orgops_signed_names; name_signed=no marks the server's word). 0 or -1 (printed). */
static int
cameras_get(struct orgc *oc, json_t **ans)
{
	char path[PATH_BUF];

	snprintf(path, sizeof(path), "/api/v1/orgs/%s/cameras", oc->org_hex);
	if (orgc_call(oc, "GET", path, NULL, 200, ans, "cameras") != 0)
		return -1;
	return orgops_signed_names(oc, json_object_get(*ans, "cameras"));
}

/* The camera of the org's list whose id or name is want: its id, gateway and (entry, unless
 * NULL) its object in the list. The list's names are the signed ones (orgops_signed_names),
 * so that a server that swapped two cameras' names cannot have the command act on the other
 * camera. 0, or -1 (message printed: none, or a name that two cameras share). */
static int
camera_find(const json_t *cams, const char *want, char idh[2 * STMT_ID_LEN + 1],
    uint8_t gw[STMT_KEY_LEN], const json_t **entry)
{
	const char *id, *name, *g;
	size_t i;
	int n = 0;

	for (i = 0; i < json_array_size(cams); i++) {
		const json_t *c = json_array_get(cams, i);

		id = json_string_value(json_object_get(c, "id"));
		name = json_string_value(json_object_get(c, "name"));
		g = json_string_value(json_object_get(c, "gateway"));
		if (id == NULL || g == NULL || strlen(id) != 2 * STMT_ID_LEN ||
		    (strcmp(id, want) != 0 && (name == NULL || strcmp(name, want) != 0)))
			continue;
		if (strlen(g) != 2 * STMT_KEY_LEN || hex_decode(g, gw, STMT_KEY_LEN) != 0)
			continue;
		memcpy(idh, id, 2 * STMT_ID_LEN + 1);
		if (entry != NULL)
			*entry = c;
		n++;
	}
	if (n == 1)
		return 0;
	fprintf(stderr, n == 0 ? "vigil: no camera %s in this org\n" :
	    "vigil: %s names several cameras: give its id\n", want);
	return -1;
}

static int
camera_remove(struct orgc *oc, const struct orgargs *a)
{
	char path[PATH_BUF], idh[2 * STMT_ID_LEN + 1];
	uint8_t gw[STMT_KEY_LEN];
	const char *want = orgargs_get(a, "camera");
	json_t *ans = NULL, *res = NULL;
	int rc = EXIT_RUNTIME;

	if (want == NULL || !a->yes) {
		fprintf(stderr, "vigil: camera remove needs --camera ID_OR_NAME and --yes (every "
		    "recording of the camera is deleted)\n");
		rc = EXIT_USAGE;
		goto out;
	}
	if (!oc->have_root) {
		fprintf(stderr, "vigil: removing a camera needs the org root (owners hold it) to sign "
		    "the gateway's new config\n");
		goto out;
	}
	if (cameras_get(oc, &ans) != 0 ||
	    camera_find(json_object_get(ans, "cameras"), want, idh, gw, NULL) != 0)
		goto out;
	/* The gateway stops first, so that nothing it records lands after the deletion. */
	if (orgops_gwconfig_edit(oc, gw, remove_camera_json, idh) != 0)
		goto out;
	snprintf(path, sizeof(path), "/api/v1/orgs/%s/cameras/%s", oc->org_hex, idh);
	if (orgc_call(oc, "DELETE", path, NULL, 200, &res, "camera remove") != 0)
		goto out;
	printf("camera=%s removed segments=%lld bytes=%lld events=%lld shares_revoked=%lld\n", idh,
	    (long long)json_integer_value(json_object_get(res, "segments")),
	    (long long)json_integer_value(json_object_get(res, "bytes")),
	    (long long)json_integer_value(json_object_get(res, "events")),
	    (long long)json_integer_value(json_object_get(res, "shares_revoked")));
	rc = 0;
out:
	json_decref(ans);
	json_decref(res);
	return rc;
}

static int
camera_set(struct orgc *oc, const struct orgargs *a)
{
	char idh[2 * STMT_ID_LEN + 1];
	uint8_t gw[STMT_KEY_LEN];
	const char *want = orgargs_get(a, "camera");
	struct cam_set cs;
	json_t *ans = NULL;
	int rc = EXIT_RUNTIME;

	memset(&cs, 0, sizeof(cs));
	cs.idh = idh;
	cs.set_recording = orgargs_get(a, "record") != NULL;
	if (want == NULL || (!cs.set_recording && orgargs_get(a, "detection") == NULL)) {
		fprintf(stderr, "vigil: camera set needs --camera ID_OR_NAME and --record or "
		    "--detection\n");
		rc = EXIT_USAGE;
		goto out;
	}
	if (recording_args(a, &cs.recording) != 0 || (orgargs_get(a, "detection") != NULL &&
	    detection_load(orgargs_get(a, "detection"), &cs.detection) != 0))
		goto out;
	if (cameras_get(oc, &ans) != 0 ||
	    camera_find(json_object_get(ans, "cameras"), want, idh, gw, NULL) != 0)
		goto out;
	if (orgops_gwconfig_edit(oc, gw, set_camera_json, &cs) != 0)
		goto out;
	printf("camera=%s set%s%s\n", idh, cs.detection != NULL ? " detection" : "",
	    !cs.set_recording ? "" : cs.recording != NULL ? " record=motion" : " record=continuous");
	rc = 0;
out:
	json_decref(cs.detection);
	json_decref(cs.recording);
	json_decref(ans);
	return rc;
}

/* The camera's entry (hex id) in a gateway's signed config, or NULL when it records none. */
static const json_t *
config_entry(const json_t *doc, const char *idh)
{
	const json_t *cams = json_object_get(doc, "cameras"), *c, *found = NULL;
	const char *id;
	size_t i;

	for (i = 0; found == NULL && i < json_array_size(cams); i++) {
		c = json_array_get(cams, i);
		id = json_string_value(json_object_get(c, "id"));
		if (id != NULL && strcmp(id, idh) == 0)
			found = c;
	}
	return found;
}

/* The name camera sign signs when --name is not given and no epoch names the camera: the
 * one the gateway's signed config gives it (the org signed that copy at camera add), else
 * the server's; either only if the statement rules take it. NULL when neither does. */
static const char *
unsigned_name(const json_t *cfg_entry, const json_t *list_entry, const char **from)
{
	const char *n = json_string_value(json_object_get(cfg_entry, "name"));

	*from = "gateway_config";
	if (n == NULL || !statement_camera_name_ok(n)) {
		n = json_string_value(json_object_get(list_entry, "name"));
		*from = "server";
	}
	return n != NULL && statement_camera_name_ok(n) ? n : NULL;
}

/* camera sign: the camera's next epoch signs its site, taken from the certificate the org
 * root signed for the gateway that records it (the one whose signed configuration records
 * the camera, whichever gateway the server names; never the server's site), and its name
 * (--name; else its signed name; else, for a camera added before names were signed, the
 * name in its gateway's signed config, else the server's). The rotation is member
 * removal's (orgops_rotate): the new key goes to every member whose scope covers the
 * camera at that site, and the gateway gets its next signed config. Members the signed
 * site brings in (site-scoped viewers) also get the camera's earlier keys, as they would
 * had they joined after. */
static int
camera_sign(struct orgc *oc, const struct orgargs *a)
{
	char idh[2 * STMT_ID_LEN + 1], gwh[2 * STMT_KEY_LEN + 1];
	char sh[2 * STMT_ID_LEN + 1], name[STMT_NAME_MAX + 1];
	uint8_t gw[STMT_KEY_LEN], site[STMT_ID_LEN], signed_site[STMT_ID_LEN];
	const char *want = orgargs_get(a, "camera"), *given = orgargs_get(a, "name");
	const char *n, *from = "option";
	const json_t *entry = NULL, *cfg;
	struct orgops_camera cam;
	struct orgc_member *ms = NULL;
	struct orgops_rotated one;
	struct orgops_rotation rot = { &one, 0, 1 };
	struct orgops_gwmap gm = { NULL, 0 };
	const struct orgops_gwconf *rg;
	struct buf *st = NULL;
	json_t *ans = NULL;
	size_t rec[ORGOPS_RECORDERS_MAX];
	size_t nm = 0, ns = 0, nst = 0, nep = 0, nrec = 0, i;
	int has_site, has_name, rc = EXIT_RUNTIME;

	memset(&cam, 0, sizeof(cam));
	if (want == NULL) {
		fprintf(stderr, "vigil: camera sign needs --camera ID_OR_NAME\n");
		rc = EXIT_USAGE;
		goto out;
	}
	if (given != NULL && !statement_camera_name_ok(given)) {
		fprintf(stderr, "vigil: --name must be 1 to %d bytes of UTF-8 text without control "
		    "characters\n", STMT_NAME_MAX);
		rc = EXIT_USAGE;
		goto out;
	}
	if (!oc->have_root) {
		fprintf(stderr, "vigil: signing a camera's site and name needs the org root (owners "
		    "hold it): it starts the camera's next epoch and signs its gateway's new config\n");
		goto out;
	}
	if (cameras_get(oc, &ans) != 0 ||
	    camera_find(json_object_get(ans, "cameras"), want, idh, gw, &entry) != 0 ||
	    orgc_id_parse(idh, cam.id) != 0)
		goto out;
	hex_encode(cam.id, sizeof(cam.id), idh);
	memcpy(cam.gateway, gw, STMT_KEY_LEN);
	hex_encode(gw, sizeof(gw), gwh);
	has_name = orgc_camera_name(oc, cam.id, name);
	has_site = orgc_camera_site(oc, cam.id, signed_site);
	if (has_site && has_name && (given == NULL || strcmp(given, name) == 0)) {
		printf("camera=%s name=%s site and name signed already: nothing to do\n", idh, name);
		rc = 0;
		goto out;
	}
	/* The gateway that records the camera is the one whose configuration, as the org signed
	 * it, records it (the server's is only tried first): a server naming another gateway
	 * would have the camera signed into that gateway's site. Its site is the one the org
	 * root certified at its enrollment. */
	if (orgops_gwmap_load(oc, &gm) != 0 ||
	    orgops_recorders(&gm, cam.id, gw, rec, ORGOPS_RECORDERS_MAX, &nrec) != 0)
		goto out;
	if (nrec == 0) {
		fprintf(stderr, "vigil: refused: no gateway the org root certified records camera %s "
		    "in its signed configuration (the server names gateway %s): its site is "
		    "unknown\n", idh, gwh);
		goto out;
	}
	rg = &gm.g[rec[0]];
	for (i = 1; i < nrec; i++)
		if (memcmp(gm.g[rec[i]].site, rg->site, STMT_ID_LEN) != 0) {
			fprintf(stderr, "vigil: refused: camera %s is in the signed configurations of "
			    "gateways at different sites: its site is ambiguous\n", idh);
			goto out;
		}
	if (memcmp(rg->gateway, gw, STMT_KEY_LEN) != 0) {
		hex_encode(rg->gateway, STMT_KEY_LEN, gwh);
		fprintf(stderr, "vigil: warning: the server names another gateway for camera %s than "
		    "the one whose signed configuration records it (%s): signed at that one's site\n",
		    idh, gwh);
	}
	memcpy(site, rg->site, STMT_ID_LEN);
	if (has_site && memcmp(signed_site, site, STMT_ID_LEN) != 0) {
		fprintf(stderr, "vigil: refused: camera %s is signed at another site than its gateway's "
		    "certificate names (a camera's epochs must agree on its site)\n", idh);
		goto out;
	}
	cfg = config_entry(rg->doc, idh);
	if (given != NULL) {
		memcpy(name, given, strlen(given) + 1);
	} else if (has_name) {
		from = "signed";
	} else if ((n = unsigned_name(cfg, entry, &from)) != NULL) {
		memcpy(name, n, strlen(n) + 1);
	} else {
		/* Not printed: the server's name may hold anything. */
		fprintf(stderr, "vigil: camera %s has no name the org can sign (1 to %d bytes of "
		    "UTF-8 text without control characters): give --name NAME\n", idh, STMT_NAME_MAX);
		rc = EXIT_USAGE;
		goto out;
	}
	if (orgc_members(oc, &ms, &nm) != 0)
		goto out;
	for (i = 0; i < oc->nepochs; i++)
		nep += memcmp(oc->epochs[i].camera_id, cam.id, STMT_ID_LEN) == 0;
	nst = 1 + nm + nm * nep;
	if ((st = calloc(nst, sizeof(*st))) == NULL)
		goto out;
	for (i = 0; i < nst; i++)
		buf_init(&st[i], STMT_MAX_LEN);
	if (orgops_rotate(oc, cam.id, &gm, rec, nrec, site, name, ms, nm, NULL, st, nst, &ns,
	    &rot) != 0)
		goto out;
	/* Members whom only the newly signed site brings in get the earlier epochs too. */
	memcpy(cam.site, site, STMT_ID_LEN);
	cam.site_known = 1;
	for (i = 0; i < nm; i++)
		if (!orgverify_scope_covers(&ms[i].m, cam.id, has_site ? signed_site : NULL) &&
		    orgops_grant_all(oc, &ms[i].m, &cam, 1, NULL, st, nst, &ns) != 0)
			goto out;
	if (orgc_post_statements(oc, st, ns) != 0 || orgops_rotation_push(oc, &rot) != 0)
		goto out;
	hex_encode(site, sizeof(site), sh);
	printf("camera=%s signed name=%s name_from=%s site=%s epoch=%u grants=%zu\n", idh, name,
	    from, sh, one.epoch, ns - 1);
	rc = 0;
out:
	if (st != NULL)
		for (i = 0; i < nst; i++)
			buf_free(&st[i]);
	free(st);
	free(ms);
	orgops_gwmap_free(&gm);
	json_decref(ans);
	return rc;
}

int
cmd_camera(int argc, char **argv)
{
	static const char *const f[] = { "id", "name", "site", "gateway", "epoch", "name_signed",
	    NULL };
	struct orgargs a;
	struct orgc *oc = NULL;
	json_t *ans = NULL;
	int rc = EXIT_RUNTIME;

	if (argc < 2)
		return usage(USAGE_CAM, 0);
	if (orgargs_parse(argc, argv, 2, "name gateway url url1 detection record preroll postroll live camera yes", &a) != 0)
		return EXIT_USAGE;
	if (a.help)
		return usage(USAGE_CAM, 1);
	if (strcmp(argv[1], "add") != 0 && strcmp(argv[1], "list") != 0 &&
	    strcmp(argv[1], "remove") != 0 && strcmp(argv[1], "set") != 0 &&
	    strcmp(argv[1], "sign") != 0)
		return usage(USAGE_CAM, 0);
	if (open_org(&a, &oc) != 0)
		goto out;
	if (strcmp(argv[1], "add") == 0) {
		rc = camera_add(oc, &a);
		goto out;
	}
	if (strcmp(argv[1], "remove") == 0) {
		rc = camera_remove(oc, &a);
		goto out;
	}
	if (strcmp(argv[1], "set") == 0) {
		rc = camera_set(oc, &a);
		goto out;
	}
	if (strcmp(argv[1], "sign") == 0) {
		rc = camera_sign(oc, &a);
		goto out;
	}
	if (cameras_get(oc, &ans) != 0)
		goto out;
	print_fields(json_object_get(ans, "cameras"), f);
	rc = 0;
out:
	json_decref(ans);
	orgc_close(oc);
	return rc;
}
