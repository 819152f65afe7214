/* orgops.c - camera listing, re-granting epoch keys from my own grants, camera key rotation, signed gateway config edits and invitations. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sodium.h>
#include "cli/orgops.h"
#include "cli/orgverify.h"
#include "common/util.h"

#define PATH_BUF 512
#define CONFIG_JSON_MAX (192u * 1024u)
#define INVITE_TTL_US (7LL * 86400 * 1000000)
#define INVITE_FILE_MAX (64u * 1024u)

/* Free a json_dumps() result with jansson's allocator. */
static void
text_free(char *s)
{
	json_malloc_t m;
	json_free_t f;

	if (s == NULL)
		return;
	json_get_alloc_funcs(&m, &f);
	f(s);
}

int
orgops_cameras(struct orgc *oc, struct orgops_camera **out, size_t *n)
{
	char path[PATH_BUF];
	struct orgops_camera *cs = NULL;
	json_t *ans = NULL, *arr, *c;
	char signed_name[STMT_NAME_MAX + 1];
	const char *name;
	size_t i, cnt;
	int r = -1;

	*out = NULL;
	*n = 0;
	snprintf(path, sizeof(path), "/api/v1/orgs/%s/cameras", oc->org_hex);
	if (orgc_call(oc, "GET", path, NULL, 200, &ans, "cameras") != 0)
		goto out;
	arr = json_object_get(ans, "cameras");
	if (!json_is_array(arr) || (cnt = json_array_size(arr)) > 100000)
		goto bad;
	if (cnt > 0 && (cs = calloc(cnt, sizeof(*cs))) == NULL)
		goto out;
	for (i = 0; i < cnt; i++) {
		c = json_array_get(arr, i);
		name = json_string_value(json_object_get(c, "name"));
		if (orgc_id_parse(json_string_value(json_object_get(c, "id")), cs[i].id) != 0 ||
		    orgc_hex_field(c, "site", cs[i].server_site, STMT_ID_LEN) != 0 ||
		    orgc_hex_field(c, "gateway", cs[i].gateway, STMT_KEY_LEN) != 0 ||
		    name == NULL || strlen(name) > ORGOPS_NAME_MAX)
			goto bad;
		memcpy(cs[i].name, name, strlen(name) + 1);
		/* The server's name is replaced by the signed one when there is one. */
		if (orgc_camera_name(oc, cs[i].id, signed_name)) {
			memcpy(cs[i].name, signed_name, sizeof(signed_name));
			cs[i].name_signed = 1;
		}
		/* The server's site is replaced by the signed one, or by none. */
		cs[i].site_known = orgc_camera_site(oc, cs[i].id, cs[i].site);
		if (!cs[i].site_known)
			memset(cs[i].site, 0, STMT_ID_LEN);
	}
	*out = cs;
	*n = cnt;
	cs = NULL;
	r = 0;
	goto out;
bad:
	fprintf(stderr, "vigil: malformed cameras list from the server\n");
out:
	free(cs);
	json_decref(ans);
	return r;
}

int
orgops_signed_names(const struct orgc *oc, json_t *cams)
{
	char name[STMT_NAME_MAX + 1];
	uint8_t id[STMT_ID_LEN];
	json_t *c;
	size_t i;
	int sig;

	json_array_foreach(cams, i, c) {
		if (!json_is_object(c))
			continue;
		sig = orgc_id_parse(json_string_value(json_object_get(c, "id")), id) == 0 &&
		    orgc_camera_name(oc, id, name);
		if ((sig && json_object_set_new(c, "name", json_string(name)) != 0) ||
		    json_object_set_new(c, "name_signed", json_string(sig ? "yes" : "no")) != 0)
			return -1;
	}
	return 0;
}

int
orgops_grant_all(struct orgc *oc, const struct stmt_member *m,
    const struct orgops_camera *cams, size_t ncams, const uint8_t *only_cam,
    struct buf *out, size_t cap, size_t *nout)
{
	struct orgkeys_grantee to;
	struct stmt_camera_epoch ce;
	const struct orgkeys_epoch_key *k;
	char cam[2 * STMT_ID_LEN + 1];
	size_t c, e;
	int64_t now = now_us();

	memset(&ce, 0, sizeof(ce));
	memcpy(to.user_id, m->user_id, STMT_ID_LEN);
	memcpy(to.box_pk, m->box_pk, STMT_KEY_LEN);
	for (c = 0; c < ncams; c++) {
		if (only_cam != NULL && memcmp(only_cam, cams[c].id, STMT_ID_LEN) != 0)
			continue;
		if (!orgverify_scope_covers(m, cams[c].id, cams[c].site_known ? cams[c].site : NULL))
			continue;
		hex_encode(cams[c].id, STMT_ID_LEN, cam);
		for (e = 0; e < oc->nepochs; e++) {
			if (memcmp(oc->epochs[e].camera_id, cams[c].id, STMT_ID_LEN) != 0)
				continue;
			if ((k = orgc_key(oc, cams[c].id, oc->epochs[e].epoch)) == NULL) {
				fprintf(stderr, "vigil: warning: I hold no key for camera %s epoch %u; "
				    "not granted\n", cam, oc->epochs[e].epoch);
				continue;
			}
			if (*nout >= cap) {
				fprintf(stderr, "vigil: too many grants in one batch\n");
				return -1;
			}
			memcpy(ce.camera_id, k->camera_id, STMT_ID_LEN);
			ce.epoch = k->epoch;
			memcpy(ce.epoch_pk, k->pk, STMT_KEY_LEN);
			to.seq = orgc_seq();
			if (orgkeys_grant(oc->signer, &ce, k->sk, &to, now, &out[*nout]) != 0) {
				fprintf(stderr, "vigil: signing a grant failed\n");
				return -1;
			}
			(*nout)++;
		}
	}
	return 0;
}

int
orgops_gwconfig_read(struct orgc *oc, const uint8_t gateway[STMT_KEY_LEN], json_t **doc,
    uint64_t *seq)
{
	char path[PATH_BUF], gwh[2 * STMT_KEY_LEN + 1], key[80], what[160];
	struct buf plain;
	json_t *ans = NULL, *d = NULL;
	uint8_t *sealed = NULL;
	size_t slen;
	int64_t sq;
	int r = -1;

	*doc = NULL;
	*seq = 0;
	buf_init(&plain, CONFIG_JSON_MAX + 1);
	if (!oc->have_root) {
		fprintf(stderr, "vigil: reading or editing a gateway config needs the org root "
		    "(sealed to owners); this account does not hold it\n");
		goto out;
	}
	hex_encode(gateway, STMT_KEY_LEN, gwh);
	snprintf(path, sizeof(path), "/api/v1/orgs/%s/gateways/%s/config", oc->org_hex, gwh);
	if (orgc_call(oc, "GET", path, NULL, 200, &ans, "gateway config") != 0)
		goto out;
	if (!json_is_integer(json_object_get(ans, "seq")) ||
	    (sq = json_integer_value(json_object_get(ans, "seq"))) < 0 || sq >= INT64_MAX) {
		fprintf(stderr, "vigil: malformed gateway config answer\n");
		goto out;
	}
	/* Anti-rollback: a server that withheld the newest config (or served an older one)
	 * would have this client edit, or look for a camera in, what the gateway left behind. */
	snprintf(key, sizeof(key), "g:%s", gwh);
	if ((uint64_t)sq < orgpin_seen(oc->pin, key)) {
		snprintf(what, sizeof(what), "gateway %s config seq %lld", gwh, (long long)sq);
		orgc_refuse(what, ORGV_E_ROLLBACK);
		goto out;
	}
	if (json_is_string(json_object_get(ans, "admin_copy"))) {
		if (orgc_hex_alloc(json_object_get(ans, "admin_copy"), 2 * CONFIG_JSON_MAX, &sealed,
		    &slen) != 0 ||
		    orgverify_copy_open(&oc->trust, oc->root_sk, gateway, (uint64_t)sq, sealed, slen,
		    &plain) != 0) {
			orgc_refuse("stored gateway config (admin copy)", ORGV_E_COPY);
			goto out;
		}
		d = json_loads((const char *)plain.data, 0, NULL);
		if (!json_is_object(d)) {
			orgc_refuse("stored gateway config (admin copy)", STMT_E_CONFIG);
			goto out;
		}
	} else if (sq != 0) {
		/* A config exists but its copy was withheld: starting from empty would drop cameras. */
		orgc_refuse("stored gateway config (admin copy missing)", ORGV_E_COPY);
		goto out;
	} else if ((d = json_pack("{s:[]}", "cameras")) == NULL) {
		goto out;
	}
	if (orgpin_see(oc->pin, key, (uint64_t)sq) != 0)
		goto out;
	*doc = d;
	d = NULL;
	*seq = (uint64_t)sq;
	r = 0;
out:
	free(sealed);
	json_decref(ans);
	json_decref(d);
	buf_free(&plain);
	return r;
}

/* orgops_gwconfig_edit, telling the seq it signed (*seq_out). */
static int
gwconfig_edit(struct orgc *oc, const uint8_t gateway[STMT_KEY_LEN],
    int (*edit)(json_t *doc, void *ctx), void *ctx, uint64_t *seq_out)
{
	char path[PATH_BUF], gwh[2 * STMT_KEY_LEN + 1], key[80];
	struct buf st, copy;
	json_t *ans = NULL, *doc = NULL, *req = NULL;
	char *text = NULL;
	uint64_t seq;
	int r = -1;

	buf_init(&st, STMT_MAX_LEN);
	buf_init(&copy, 2 * CONFIG_JSON_MAX);
	if (orgops_gwconfig_read(oc, gateway, &doc, &seq) != 0)
		goto out;
	if (edit(doc, ctx) != 0)
		goto out;
	if ((text = json_dumps(doc, JSON_COMPACT)) == NULL || strlen(text) > CONFIG_JSON_MAX)
		goto out;
	if (orgkeys_gateway_sealed(oc->signer, STMT_GATEWAY_CONFIG, gateway, seq + 1,
	    now_us(), 0, text, strlen(text), &st) != 0 ||
	    orgverify_copy_seal(oc->signer, oc->trust.root_pk, gateway, seq + 1, text,
	    &copy) != 0) {
		fprintf(stderr, "vigil: signing the gateway config failed\n");
		goto out;
	}
	hex_encode(gateway, STMT_KEY_LEN, gwh);
	snprintf(path, sizeof(path), "/api/v1/orgs/%s/gateways/%s/config", oc->org_hex, gwh);
	req = json_pack("{s:o,s:o}", "statement", orgc_hex_json(st.data, st.len),
	    "admin_copy", orgc_hex_json(copy.data, copy.len));
	if (req == NULL || orgc_call(oc, "PUT", path, req, 200, &ans, "gateway config") != 0)
		goto out;
	printf("gateway=%s config_seq=%llu\n", gwh, (unsigned long long)seq + 1);
	snprintf(key, sizeof(key), "g:%s", gwh);
	(void)orgpin_see(oc->pin, key, seq + 1);   /* full: the next read checks the old mark */
	*seq_out = seq + 1;
	r = 0;
out:
	if (text != NULL)
		sodium_memzero(text, strlen(text));
	text_free(text);
	json_decref(ans);
	json_decref(doc);
	json_decref(req);
	buf_free(&st);
	buf_free(&copy);
	return r;
}

int
orgops_gwconfig_edit(struct orgc *oc, const uint8_t gateway[STMT_KEY_LEN],
    int (*edit)(json_t *doc, void *ctx), void *ctx)
{
	uint64_t seq;

	return gwconfig_edit(oc, gateway, edit, ctx, &seq);
}

/* 1 when a config JSON records camera cam (an entry of "cameras" with its id), else 0. */
static int
config_records(const json_t *doc, const uint8_t cam[STMT_ID_LEN])
{
	const json_t *cams = json_object_get(doc, "cameras");
	uint8_t id[STMT_ID_LEN];
	size_t i;
	int found = 0;

	for (i = 0; !found && i < json_array_size(cams); i++)
		found = orgc_id_parse(json_string_value(json_object_get(json_array_get(cams, i),
		    "id")), id) == 0 && memcmp(id, cam, STMT_ID_LEN) == 0;
	return found;
}

void
orgops_gwmap_free(struct orgops_gwmap *gm)
{
	size_t i;

	if (gm == NULL)
		return;
	for (i = 0; i < gm->n; i++)
		json_decref(gm->g[i].doc);
	free(gm->g);
	gm->g = NULL;
	gm->n = 0;
}

int
orgops_gwmap_load(struct orgc *oc, struct orgops_gwmap *gm)
{
	char gwh[2 * STMT_KEY_LEN + 1];
	struct orgops_gwconf *g;
	size_t i, j;
	int dup, r = -1;

	gm->g = NULL;
	gm->n = 0;
	if (oc->ngateways > 0 && (gm->g = calloc(oc->ngateways, sizeof(*gm->g))) == NULL)
		goto out;
	for (i = 0; i < oc->ngateways; i++) {
		for (j = 0, dup = 0; j < gm->n && !dup; j++)
			dup = memcmp(gm->g[j].gateway, oc->gateways[i], STMT_KEY_LEN) == 0;
		if (dup)
			continue;
		g = &gm->g[gm->n];
		memcpy(g->gateway, oc->gateways[i], STMT_KEY_LEN);
		memcpy(g->site, oc->gateway_sites[i], STMT_ID_LEN);
		if (orgops_gwconfig_read(oc, g->gateway, &g->doc, &g->seq) != 0) {
			hex_encode(g->gateway, STMT_KEY_LEN, gwh);
			fprintf(stderr, "vigil: the signed configuration of gateway %s cannot be read: "
			    "which cameras it records is unknown\n", gwh);
			goto out;
		}
		gm->n++;
	}
	r = 0;
out:
	if (r != 0)
		orgops_gwmap_free(gm);
	return r;
}

int
orgops_recorders(const struct orgops_gwmap *gm, const uint8_t cam[STMT_ID_LEN],
    const uint8_t *hint, size_t *out, size_t cap, size_t *n)
{
	char camh[2 * STMT_ID_LEN + 1];
	size_t pass, i;
	int is_hint, r = 0;

	*n = 0;
	/* The server-named gateway first (its order only: it must record the camera too). */
	for (pass = 0; r == 0 && pass < 2; pass++)
		for (i = 0; r == 0 && i < gm->n; i++) {
			is_hint = hint != NULL && memcmp(gm->g[i].gateway, hint, STMT_KEY_LEN) == 0;
			if ((pass == 0) != is_hint || !config_records(gm->g[i].doc, cam))
				continue;
			if (*n >= cap) {
				hex_encode(cam, STMT_ID_LEN, camh);
				fprintf(stderr, "vigil: camera %s is in the signed configurations of more "
				    "than %zu gateways\n", camh, cap);
				r = -1;
			} else {
				out[(*n)++] = i;
			}
		}
	return r;
}

int
orgops_rotate(struct orgc *oc, const uint8_t cam[STMT_ID_LEN],
    const struct orgops_gwmap *gm, const size_t *rec, size_t nrec, const uint8_t *site,
    const char *name, const struct orgc_member *ms, size_t nm, const struct orgc_member *skip,
    struct buf *st, size_t cap, size_t *ns, struct orgops_rotation *rot)
{
	const struct orgc_epoch *cur = orgc_epoch_latest(oc, cam);
	struct orgkeys_grantee *keep = NULL;
	struct orgops_rotated *r;
	char camh[2 * STMT_ID_LEN + 1];
	size_t k, nk = 0;
	int ret = -1;

	hex_encode(cam, STMT_ID_LEN, camh);
	if (cur == NULL || cur->epoch == UINT32_MAX) {
		fprintf(stderr, "vigil: camera %s has no signed epoch to follow\n", camh);
		goto out;
	}
	if (rot->n >= rot->cap || nrec > ORGOPS_RECORDERS_MAX ||
	    (nm > 0 && (keep = calloc(nm, sizeof(*keep))) == NULL))
		goto out;
	for (k = 0; k < nm; k++) {
		if (&ms[k] == skip || !orgverify_scope_covers(&ms[k].m, cam, site))
			continue;
		memcpy(keep[nk].user_id, ms[k].m.user_id, STMT_ID_LEN);
		memcpy(keep[nk].box_pk, ms[k].m.box_pk, STMT_KEY_LEN);
		keep[nk].seq = orgc_seq();
		nk++;
	}
	if (*ns > cap || cap - *ns < 1 + nk) {
		fprintf(stderr, "vigil: too many statements in one batch\n");
		goto out;
	}
	r = &rot->c[rot->n];
	memcpy(r->camera, cam, STMT_ID_LEN);
	for (k = 0; k < nrec; k++)
		memcpy(r->gateways[k], gm->g[rec[k]].gateway, STMT_KEY_LEN);
	r->ngateways = nrec;
	r->epoch = cur->epoch + 1;
	if (orgkeys_rotate(oc->signer, cam, site, name, r->epoch, orgc_seq(), keep, nk, now_us(),
	    &st[*ns], &st[*ns + 1], r->pk) != 0) {
		fprintf(stderr, "vigil: key rotation failed\n");
		goto out;
	}
	*ns += 1 + nk;
	rot->n++;
	ret = 0;
out:
	free(keep);
	return ret;
}

/* One gateway's rotation edit: the batch, and which of its cameras the config records. */
struct rotation_edit {
	const struct orgops_rotation *rot;
	uint8_t *found;                     /* rot->n entries: 1 when this config records it */
};

/* In a gateway's config, the rotated cameras (ctx: struct rotation_edit) record under their
 * new epochs; the other cameras stay as they are. */
static int
rotation_json(json_t *doc, void *ctx)
{
	const struct rotation_edit *ed = ctx;
	const struct orgops_rotation *rot = ed->rot;
	json_t *cams = json_object_get(doc, "cameras"), *c;
	uint8_t id[STMT_ID_LEN];
	size_t i, k;
	int r = 0;

	for (i = 0; r == 0 && i < json_array_size(cams); i++) {
		c = json_array_get(cams, i);
		if (orgc_id_parse(json_string_value(json_object_get(c, "id")), id) != 0)
			continue;
		for (k = 0; r == 0 && k < rot->n; k++) {
			if (memcmp(rot->c[k].camera, id, STMT_ID_LEN) != 0)
				continue;
			if (json_object_set_new(c, "epoch", json_integer(rot->c[k].epoch)) != 0 ||
			    json_object_set_new(c, "epoch_public_key",
			    orgc_hex_json(rot->c[k].pk, STMT_KEY_LEN)) != 0)
				r = -1;
			else
				ed->found[k] = 1;
		}
	}
	return r;
}

/* 1 when rotated camera c is to be recorded by gateway gw. */
static int
rotated_by(const struct orgops_rotated *c, const uint8_t gw[STMT_KEY_LEN])
{
	size_t g;
	int by = 0;

	for (g = 0; !by && g < c->ngateways; g++)
		by = memcmp(c->gateways[g], gw, STMT_KEY_LEN) == 0;
	return by;
}

/* 1 when gateway c[i].gateways[g] was already named by an earlier (camera, gateway). */
static int
gateway_seen(const struct orgops_rotation *rot, size_t i, size_t g)
{
	const uint8_t *gw = rot->c[i].gateways[g];
	size_t j;
	int seen = 0;

	for (j = 0; !seen && j < i; j++)
		seen = rotated_by(&rot->c[j], gw);
	for (j = 0; !seen && j < g; j++)
		seen = memcmp(rot->c[i].gateways[j], gw, STMT_KEY_LEN) == 0;
	return seen;
}

int
orgops_rotation_push(struct orgc *oc, struct orgops_rotation *rot)
{
	struct rotation_edit ed = { rot, NULL };
	char camh[2 * STMT_ID_LEN + 1], gwh[2 * STMT_KEY_LEN + 1];
	const uint8_t *gw;
	uint64_t seq = 0;
	size_t i, g, k;
	int sent, bad = 0, r = -1;

	if (rot->n > 0 && (ed.found = calloc(rot->n, 1)) == NULL)
		goto out;
	for (i = 0; i < rot->n; i++) {
		hex_encode(rot->c[i].camera, STMT_ID_LEN, camh);
		if (rot->c[i].ngateways == 0)
			printf("rotated camera=%s gateway=none epoch=%u\n", camh, rot->c[i].epoch);
		/* Each gateway once, with every rotated camera its configuration records. */
		for (g = 0; g < rot->c[i].ngateways; g++) {
			if (gateway_seen(rot, i, g))
				continue;
			gw = rot->c[i].gateways[g];
			hex_encode(gw, STMT_KEY_LEN, gwh);
			memset(ed.found, 0, rot->n);
			sent = gwconfig_edit(oc, gw, rotation_json, &ed, &seq) == 0;
			for (k = 0; k < rot->n; k++) {
				hex_encode(rot->c[k].camera, STMT_ID_LEN, camh);
				if (sent && ed.found[k]) {
					printf("rotated camera=%s gateway=%s config_seq=%llu epoch=%u\n", camh,
					    gwh, (unsigned long long)seq, rot->c[k].epoch);
				} else if (!sent && rotated_by(&rot->c[k], gw)) {
					fprintf(stderr, "vigil: FAILED: camera %s: gateway %s did not get its "
					    "new configuration: it still records under the epoch before %u\n",
					    camh, gwh, rot->c[k].epoch);
					bad = 1;
				} else if (rotated_by(&rot->c[k], gw)) {
					/* Its configuration changed since the camera was found in it. */
					fprintf(stderr, "vigil: FAILED: camera %s is no longer in the signed "
					    "configuration of gateway %s (seq %llu): its epoch %u went to no "
					    "gateway there; check `vigil gateway config` of each gateway\n",
					    camh, gwh, (unsigned long long)seq, rot->c[k].epoch);
					bad = 1;
				}
			}
		}
	}
	r = bad ? -1 : 0;
out:
	free(ed.found);
	return r;
}

int
orgops_invite(struct orgc *oc, uint8_t kind, const uint8_t *site, json_t *extra)
{
	struct enroll_invite inv;
	char path[PATH_BUF], idh[2 * ENROLL_ID_LEN + 1], cmd[1024], secret[2 * ENROLL_SECRET_LEN + 1];
	json_t *req = NULL, *saved = NULL;
	char *text = NULL;
	int r = -1;

	memset(&inv, 0, sizeof(inv));
	if (enroll_invite_new(kind, oc->trust.root_pk, &inv) != 0)
		goto out;
	hex_encode(inv.id, sizeof(inv.id), idh);
	req = json_pack("{s:s,s:s,s:o,s:I}", "id", idh,
	    "kind", kind == ENROLL_GATEWAY ? "gateway" : "user",
	    "verifier", orgc_hex_json(inv.verifier, sizeof(inv.verifier)),
	    "expires_us", (json_int_t)(now_us() + INVITE_TTL_US));
	if (req == NULL || (site != NULL && json_object_set_new(req, "site",
	    orgc_hex_json(site, STMT_ID_LEN)) != 0))
		goto out;
	hex_encode(inv.secret, sizeof(inv.secret), secret);
	saved = json_pack("{s:s,s:i,s:s,s:s}", "org", oc->org_hex, "kind", (int)kind, "id", idh,
	    "secret", secret);
	if (saved == NULL || (extra != NULL && json_object_update(saved, extra) != 0) ||
	    (site != NULL && json_object_set_new(saved, "site", orgc_hex_json(site, STMT_ID_LEN)) != 0) ||
	    (text = json_dumps(saved, JSON_COMPACT)) == NULL)
		goto out;
	if (orgpin_invite_save(oc->pin_dir, idh, text) != 0) {
		fprintf(stderr, "vigil: cannot write the invitation secret under %s\n", oc->pin_dir);
		goto out;
	}
	snprintf(path, sizeof(path), "/api/v1/orgs/%s/invitations", oc->org_hex);
	if (orgc_call(oc, "POST", path, req, 201, NULL, "invitation") != 0) {
		(void)orgpin_invite_wipe(oc->pin_dir, idh);
		goto out;
	}
	if (enroll_command(&inv, apic_base(oc->api), cmd, sizeof(cmd)) != 0)
		goto out;
	printf("invitation=%s\n%s\n", idh, cmd);
	r = 0;
out:
	enroll_invite_wipe(&inv);
	sodium_memzero(secret, sizeof(secret));
	sodium_memzero(cmd, sizeof(cmd));
	if (text != NULL)
		sodium_memzero(text, strlen(text));
	text_free(text);
	json_decref(req);
	json_decref(saved);
	return r;
}

int
orgops_invite_wait(struct orgc *oc, const char *id_hex, int wait_s,
    struct enroll_invite *inv, json_t **saved, uint8_t req[ENROLL_REQUEST_LEN],
    uint8_t user_id[STMT_ID_LEN])
{
	char path[PATH_BUF];
	struct buf b;
	json_t *s = NULL, *ans = NULL;
	const char *org, *state;
	json_int_t kind;
	int64_t deadline = mono_us() + (int64_t)wait_s * 1000000;
	int r = -1;

	*saved = NULL;
	memset(inv, 0, sizeof(*inv));
	buf_init(&b, INVITE_FILE_MAX);
	if (orgpin_invite_load(oc->pin_dir, id_hex, &b) != 0) {
		fprintf(stderr, "vigil: no pending invitation %s in %s/invites\n", id_hex, oc->pin_dir);
		goto out;
	}
	s = json_loadb((const char *)b.data, b.len, 0, NULL);
	org = json_string_value(json_object_get(s, "org"));
	kind = json_integer_value(json_object_get(s, "kind"));
	if (org == NULL || strcmp(org, oc->org_hex) != 0 || (kind != ENROLL_GATEWAY &&
	    kind != ENROLL_USER) || orgc_hex_field(s, "id", inv->id, ENROLL_ID_LEN) != 0 ||
	    orgc_hex_field(s, "secret", inv->secret, ENROLL_SECRET_LEN) != 0) {
		fprintf(stderr, "vigil: invitation %s is not one of this org's, or damaged\n", id_hex);
		goto out;
	}
	inv->kind = (uint8_t)kind;
	statement_fingerprint(oc->trust.root_pk, inv->fingerprint);
	snprintf(path, sizeof(path), "/api/v1/orgs/%s/invitations/%s", oc->org_hex, id_hex);
	for (;;) {
		json_decref(ans);
		if (orgc_call(oc, "GET", path, NULL, 200, &ans, "invitation") != 0)
			goto out;
		state = json_string_value(json_object_get(ans, "state"));
		if (state != NULL && strcmp(state, "requested") == 0)
			break;
		if (state != NULL && strcmp(state, "accepted") == 0) {
			fprintf(stderr, "vigil: invitation %s was already accepted\n", id_hex);
			goto out;
		}
		if (mono_us() >= deadline) {
			fprintf(stderr, "vigil: no request yet for invitation %s (waited %d s; "
			    "try again later or with --wait SECONDS)\n", id_hex, wait_s);
			goto out;
		}
		{
			struct timespec ts = { 0, 300 * 1000 * 1000 };

			nanosleep(&ts, NULL);
		}
	}
	if (orgc_hex_field(ans, "request", req, ENROLL_REQUEST_LEN) != 0 ||
	    (kind == ENROLL_USER && orgc_id_parse(json_string_value(json_object_get(ans, "user_id")),
	    user_id) != 0)) {
		fprintf(stderr, "vigil: malformed invitation answer\n");
		goto out;
	}
	*saved = s;
	s = NULL;
	r = 0;
out:
	if (b.data != NULL)
		sodium_memzero(b.data, b.len);
	buf_free(&b);
	json_decref(s);
	json_decref(ans);
	if (r != 0)
		enroll_invite_wipe(inv);
	return r;
}
