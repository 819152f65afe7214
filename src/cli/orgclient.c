/* orgclient.c - signs in with a session file, unwraps the user's keys and loads an org's verified trust, epochs and grants. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <sodium.h>
#include "cli/orgclient.h"
#include "cli/orgverify.h"
#include "common/util.h"

#define PW_MAX 1024
#define KDF_OPS_MAX 16LL
#define KDF_MEM_MAX ((int64_t)1 << 30)
#define STMTS_MAX 100000
#define PATH_BUF 512

uint64_t
orgc_seq(void)
{
	static uint64_t last;
	uint64_t t = (uint64_t)now_us();

	if (t <= last)
		t = last + 1;
	last = t;
	return t;
}

int
orgc_refuse(const char *what, int err)
{
	fprintf(stderr, "refused: %s: %s\n", what, orgverify_strerror(err));
	return -1;
}

int
orgc_hex_field(const json_t *o, const char *key, uint8_t *out, size_t n)
{
	const char *s = json_string_value(json_object_get(o, key));

	if (s == NULL || strlen(s) != 2 * n || hex_decode(s, out, n) != 0)
		return -1;
	return 0;
}

int
orgc_hex_alloc(const json_t *s, size_t max, uint8_t **out, size_t *len)
{
	const char *h = json_string_value(s);
	size_t n;

	*out = NULL;
	*len = 0;
	if (h == NULL || (n = strlen(h)) % 2 != 0 || n == 0 || n / 2 > max)
		return -1;
	if ((*out = malloc(n / 2)) == NULL)
		return -1;
	if (hex_decode(h, *out, n / 2) != 0) {
		free(*out);
		*out = NULL;
		return -1;
	}
	*len = n / 2;
	return 0;
}

json_t *
orgc_hex_json(const uint8_t *p, size_t n)
{
	char *h = malloc(2 * n + 1);
	json_t *j;

	if (h == NULL)
		return NULL;
	hex_encode(p, n, h);
	j = json_string(h);
	free(h);
	return j;
}

int
orgc_id_parse(const char *hex, uint8_t id[STMT_ID_LEN])
{
	if (hex == NULL || strlen(hex) != 2 * STMT_ID_LEN || hex_decode(hex, id, STMT_ID_LEN) != 0)
		return -1;
	return 0;
}

/* $VIGIL_PASSWORD, else typed on the terminal without echo. 0 or -1. */
static int
read_password(char *pw, size_t pwsz, size_t *len)
{
	const char *env = getenv("VIGIL_PASSWORD");
	struct termios old, quiet;
	FILE *tty = NULL;
	int r = -1, restored = 1;

	*len = 0;
	if (env != NULL) {
		if (strlen(env) >= pwsz)
			goto out;
		*len = strlen(env);
		memcpy(pw, env, *len + 1);
		r = 0;
		goto out;
	}
	if ((tty = fopen("/dev/tty", "r+")) == NULL || tcgetattr(fileno(tty), &old) != 0) {
		fprintf(stderr, "vigil: no terminal to ask for the password: set VIGIL_PASSWORD\n");
		goto out;
	}
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	if (tcsetattr(fileno(tty), TCSAFLUSH, &quiet) != 0)
		goto out;
	restored = 0;
	fputs("Password: ", tty);
	fflush(tty);
	if (fgets(pw, (int)pwsz, tty) == NULL)
		goto out;
	fputs("\n", tty);
	*len = strcspn(pw, "\r\n");
	pw[*len] = '\0';
	r = 0;
out:
	if (!restored)
		tcsetattr(fileno(tty), TCSAFLUSH, &old);
	if (tty != NULL)
		fclose(tty);
	if (r != 0)
		sodium_memzero(pw, pwsz);
	return r;
}

/* Prove the password again so the session counts as fresh. 0 or -1. */
static int
step_up(struct orgc *oc)
{
	char hex[2 * USERKEY_KEY_LEN + 1];
	json_t *body = NULL, *a = NULL;
	long status = 0;
	int r = -1;

	hex_encode(oc->auth_key, USERKEY_KEY_LEN, hex);
	if ((body = json_pack("{s:s}", "auth_key", hex)) != NULL &&
	    apic_json(oc->api, "POST", "/api/v1/auth/step-up", body, &a, &status) == 0 &&
	    status == 200)
		r = 0;
	sodium_memzero(hex, sizeof(hex));
	json_decref(body);
	json_decref(a);
	return r;
}

int
orgc_call(struct orgc *oc, const char *method, const char *path, const json_t *body,
    long expect, json_t **ans, const char *what)
{
	json_t *a = NULL;
	char why[160];
	long status = 0;
	int e, r = -1;

	if (ans != NULL)
		*ans = NULL;
	if ((e = apic_json(oc->api, method, path, body, &a, &status)) != 0) {
		fprintf(stderr, "vigil: %s: %s\n", what, apic_strerror(e));
		goto out;
	}
	if (status == 403 && oc->auth_key != NULL &&
	    strstr(apic_answer_error(a, why, sizeof(why)), "step-up") != NULL && step_up(oc) == 0) {
		json_decref(a);
		a = NULL;
		if ((e = apic_json(oc->api, method, path, body, &a, &status)) != 0) {
			fprintf(stderr, "vigil: %s: %s\n", what, apic_strerror(e));
			goto out;
		}
	}
	if (status != expect) {
		fprintf(stderr, "vigil: %s: refused by the server (HTTP %ld: %s)\n", what, status,
		    apic_answer_error(a, why, sizeof(why)));
		goto out;
	}
	if (a == NULL && ans != NULL) {
		fprintf(stderr, "vigil: %s: malformed answer from the server\n", what);
		goto out;
	}
	if (ans != NULL) {
		*ans = a;
		a = NULL;
	}
	r = 0;
out:
	json_decref(a);
	return r;
}

int
orgc_open(const struct orgc_opts *o, struct orgc **ocp)
{
	struct orgc *oc = NULL;
	struct userkey_limits lim;
	char cookie[APIC_COOKIE_MAX], *pw = NULL;
	uint8_t salt[USERKEY_SALT_LEN], auth[USERKEY_KEY_LEN], wrap[USERKEY_KEY_LEN];
	uint8_t box[STMT_KEY_LEN], sign[STMT_KEY_LEN], *wrapped = NULL;
	json_t *ans = NULL;
	const char *uid;
	int64_t ops, mem;
	size_t pwlen, wlen;
	int e, r = -1;

	*ocp = NULL;
	cookie[0] = '\0';
	if (o->server == NULL || o->session == NULL) {
		fprintf(stderr, "vigil: --server URL and --session FILE are required\n");
		goto out;
	}
	if (apic_read_session(o->session, cookie) != 0) {
		fprintf(stderr, "vigil: cannot read a session from %s (run vigil account login)\n",
		    o->session);
		goto out;
	}
	if ((oc = calloc(1, sizeof(*oc))) == NULL ||
	    (oc->me = sodium_malloc(sizeof(*oc->me))) == NULL ||
	    (oc->signer = sodium_malloc(sizeof(*oc->signer))) == NULL ||
	    (oc->root_sk = sodium_malloc(STMT_SK_LEN)) == NULL ||
	    (oc->auth_key = sodium_malloc(USERKEY_KEY_LEN)) == NULL ||
	    (oc->pin = calloc(1, sizeof(*oc->pin))) == NULL ||
	    (pw = sodium_malloc(PW_MAX)) == NULL)
		goto out;
	memset(oc->me, 0, sizeof(*oc->me));
	memset(oc->signer, 0, sizeof(*oc->signer));
	oc->fingerprint = o->fingerprint;
	if (orgpin_dir(o->pin_dir, oc->pin_dir, sizeof(oc->pin_dir)) != 0) {
		fprintf(stderr, "vigil: no --pin-dir and no $HOME\n");
		goto out;
	}
	if ((e = apic_new(&oc->api, o->server, cookie, NULL)) != 0) {
		fprintf(stderr, "vigil: %s: %s\n", o->server, apic_strerror(e));
		goto out;
	}
	if (orgc_call(oc, "GET", "/api/v1/auth/keys", NULL, 200, &ans, "my keys") != 0)
		goto out;
	uid = json_string_value(json_object_get(ans, "user_id"));
	if (orgc_id_parse(uid, oc->user_id) != 0 ||
	    orgc_hex_field(ans, "salt", salt, sizeof(salt)) != 0 ||
	    orgc_hex_field(ans, "box_pk", box, sizeof(box)) != 0 ||
	    orgc_hex_field(ans, "sign_pk", sign, sizeof(sign)) != 0 ||
	    orgc_hex_alloc(json_object_get(ans, "wrapped"), 512, &wrapped, &wlen) != 0 ||
	    !json_is_integer(json_object_get(ans, "kdf_ops")) ||
	    !json_is_integer(json_object_get(ans, "kdf_mem"))) {
		fprintf(stderr, "vigil: malformed answer to GET /api/v1/auth/keys\n");
		goto out;
	}
	memcpy(oc->user_hex, uid, USERKEY_ID_LEN + 1);
	ops = json_integer_value(json_object_get(ans, "kdf_ops"));
	mem = json_integer_value(json_object_get(ans, "kdf_mem"));
	userkey_limits_default(&lim);
	if (o->kdf_fast) {
		lim.ops = crypto_pwhash_OPSLIMIT_MIN;
		lim.mem = crypto_pwhash_MEMLIMIT_MIN;
	}
	if (ops < (int64_t)lim.ops || mem < (int64_t)lim.mem || ops > KDF_OPS_MAX || mem > KDF_MEM_MAX) {
		fprintf(stderr, "vigil: the server asks for an Argon2id cost this client does not "
		    "accept; refusing\n");
		goto out;
	}
	lim.ops = (unsigned long long)ops;
	lim.mem = (size_t)mem;
	if (read_password(pw, PW_MAX, &pwlen) != 0)
		goto out;
	if (userkey_derive(pw, pwlen, salt, &lim, auth, wrap) != 0) {
		fprintf(stderr, "vigil: key derivation failed\n");
		goto out;
	}
	if (userkey_unwrap(wrap, oc->user_hex, wrapped, wlen, oc->me) != 0 ||
	    sodium_memcmp(oc->me->box_pk, box, sizeof(box)) != 0 ||
	    sodium_memcmp(oc->me->sign_pk, sign, sizeof(sign)) != 0) {
		fprintf(stderr, "refused: my keys: the wrapped key bundle does not open with this "
		    "password or does not match my public keys\n");
		goto out;
	}
	memcpy(oc->auth_key, auth, USERKEY_KEY_LEN);
	*ocp = oc;
	oc = NULL;
	r = 0;
out:
	sodium_memzero(cookie, sizeof(cookie));
	sodium_memzero(auth, sizeof(auth));
	sodium_memzero(wrap, sizeof(wrap));
	sodium_free(pw);
	free(wrapped);
	json_decref(ans);
	orgc_close(oc);
	return r;
}

void
orgc_close(struct orgc *oc)
{
	size_t i;

	if (oc == NULL)
		return;
	if (oc->have_org && oc->pin != NULL && oc->pin->dirty &&
	    orgpin_save(oc->pin_dir, oc->pin) != 0)
		fprintf(stderr, "vigil: warning: cannot save the pin of org %s\n", oc->org_hex);
	apic_free(oc->api);
	if (oc->me != NULL)
		userkey_bundle_wipe(oc->me);
	sodium_free(oc->me);
	if (oc->signer != NULL)
		statement_signer_wipe(oc->signer);
	sodium_free(oc->signer);
	sodium_free(oc->root_sk);
	sodium_free(oc->auth_key);
	free(oc->pin);
	for (i = 0; i < oc->nepochs; i++)
		free(oc->epochs[i].raw);
	free(oc->epochs);
	sodium_free(oc->keys);
	free(oc->gateways);
	free(oc->gateway_sites);
	free(oc);
}

int
orgc_pin_root(struct orgc *oc, const uint8_t root_pk[STMT_KEY_LEN])
{
	char fp[STMT_FINGERPRINT_LEN], want[STMT_FINGERPRINT_LEN];
	uint8_t org_id[STMT_ORG_ID_LEN];
	int r;

	statement_org_id(root_pk, org_id);
	statement_fingerprint(root_pk, fp);
	if (oc->fingerprint != NULL) {
		if (statement_fingerprint_normalize(oc->fingerprint, want) != 0)
			return orgc_refuse("--org-fingerprint", STMT_E_FORMAT);
		if (strcmp(want, fp) != 0)
			return orgc_refuse("org root", STMT_E_FINGERPRINT);
	}
	r = orgpin_load(oc->pin_dir, org_id, oc->pin);
	if (r < 0) {
		fprintf(stderr, "refused: the pin file of this org is unreadable or damaged; "
		    "not re-pinning (remove it only after checking the safety number)\n");
		return -1;
	}
	if (r == 0 && sodium_memcmp(oc->pin->root_pk, root_pk, STMT_KEY_LEN) != 0)
		return orgc_refuse("org root", ORGV_E_PIN);
	if (r == 1) {
		orgpin_init(oc->pin, root_pk);
		if (orgpin_save(oc->pin_dir, oc->pin) != 0) {
			fprintf(stderr, "vigil: cannot write the pin under %s\n", oc->pin_dir);
			return -1;
		}
		oc->pin->dirty = 0;
		fprintf(stderr, "pinned org root (first contact): safety number %s%s\n", fp,
		    oc->fingerprint != NULL ? " (matches --org-fingerprint)" :
		    " -- compare it with your org admin");
	}
	memcpy(oc->org_id, org_id, sizeof(org_id));
	hex_encode(org_id, sizeof(org_id), oc->org_hex);
	memcpy(oc->safety, fp, sizeof(fp));
	statement_trust_init(&oc->trust, root_pk);
	oc->have_org = 1;
	return 0;
}

/* Verify every served camera.epoch; refuse a camera whose newest epoch is below one seen. */
static int
load_epochs(struct orgc *oc, const json_t *arr, int64_t now)
{
	struct stmt *s = NULL;
	char what[96], key[80], cam[2 * STMT_ID_LEN + 1];
	uint8_t *raw = NULL;
	size_t i, j, n, len;
	int e, r = -1;

	if (!json_is_array(arr) || (n = json_array_size(arr)) > STMTS_MAX) {
		fprintf(stderr, "refused: malformed epochs list\n");
		goto out;
	}
	if (n > 0 && (oc->epochs = calloc(n, sizeof(*oc->epochs))) == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		if (orgc_hex_alloc(json_array_get(arr, i), STMT_MAX_LEN, &raw, &len) != 0) {
			fprintf(stderr, "refused: malformed camera.epoch #%zu\n", i);
			goto out;
		}
		if ((e = statement_verify(raw, len, &oc->trust, STMT_CAMERA_EPOCH, now, &s)) != 0) {
			snprintf(what, sizeof(what), "camera.epoch #%zu (possible key injection by the "
			    "server)", i);
			orgc_refuse(what, e);
			goto out;
		}
		memcpy(oc->epochs[i].camera_id, s->u.camera_epoch.camera_id, STMT_ID_LEN);
		oc->epochs[i].epoch = s->u.camera_epoch.epoch;
		memcpy(oc->epochs[i].pk, s->u.camera_epoch.epoch_pk, STMT_KEY_LEN);
		oc->epochs[i].has_site = s->u.camera_epoch.has_site;
		memcpy(oc->epochs[i].site_id, s->u.camera_epoch.site_id, STMT_ID_LEN);
		oc->epochs[i].has_name = s->u.camera_epoch.has_name;
		memcpy(oc->epochs[i].name, s->u.camera_epoch.name, sizeof(oc->epochs[i].name));
		oc->epochs[i].raw = raw;
		oc->epochs[i].len = len;
		raw = NULL;
		oc->nepochs = i + 1;
		statement_free(s);
		s = NULL;
		for (j = 0; j < i; j++)
			if (memcmp(oc->epochs[j].camera_id, oc->epochs[i].camera_id, STMT_ID_LEN) == 0 &&
			    oc->epochs[j].epoch == oc->epochs[i].epoch &&
			    sodium_memcmp(oc->epochs[j].pk, oc->epochs[i].pk, STMT_KEY_LEN) != 0) {
				hex_encode(oc->epochs[i].camera_id, STMT_ID_LEN, cam);
				fprintf(stderr, "refused: camera %s epoch %u: two different signed keys "
				    "for one epoch\n", cam, oc->epochs[i].epoch);
				goto out;
			}
		/* A camera is at one site: signed epochs that disagree are not to be chosen from. */
		for (j = 0; j < i; j++)
			if (memcmp(oc->epochs[j].camera_id, oc->epochs[i].camera_id, STMT_ID_LEN) == 0 &&
			    oc->epochs[j].has_site && oc->epochs[i].has_site &&
			    memcmp(oc->epochs[j].site_id, oc->epochs[i].site_id, STMT_ID_LEN) != 0) {
				hex_encode(oc->epochs[i].camera_id, STMT_ID_LEN, cam);
				fprintf(stderr, "refused: camera %s: two signed epochs name different "
				    "sites\n", cam);
				goto out;
			}
	}
	/* Anti-rollback: the newest epoch served per camera may not be below one seen. */
	for (i = 0; i < oc->nepochs; i++) {
		const struct orgc_epoch *l = orgc_epoch_latest(oc, oc->epochs[i].camera_id);

		hex_encode(l->camera_id, STMT_ID_LEN, cam);
		snprintf(key, sizeof(key), "e:%s", cam);
		if (l->epoch < orgpin_seen(oc->pin, key)) {
			snprintf(what, sizeof(what), "camera %s epoch %u", cam, l->epoch);
			orgc_refuse(what, ORGV_E_ROLLBACK);
			goto out;
		}
		if (orgpin_see(oc->pin, key, l->epoch) != 0)
			goto out;
	}
	r = 0;
out:
	statement_free(s);
	free(raw);
	return r;
}

/* Keep the key of every served gateway.cert the org root signed: only footage signed by
 * one of them verifies (a server cannot pass off footage under a gateway key of its own).
 * A cert that does not verify is left out with a warning; its footage is then refused. */
static int
load_gateways(struct orgc *oc, const json_t *arr, int64_t now)
{
	struct stmt *s = NULL;
	uint8_t *raw = NULL;
	size_t i, n, len;
	int r = -1;

	if (arr == NULL)
		return 0;
	if (!json_is_array(arr) || (n = json_array_size(arr)) > STMTS_MAX) {
		fprintf(stderr, "refused: malformed gateway certificate list\n");
		goto out;
	}
	if (n > 0 && ((oc->gateways = calloc(n, sizeof(*oc->gateways))) == NULL ||
	    (oc->gateway_sites = calloc(n, sizeof(*oc->gateway_sites))) == NULL))
		goto out;
	for (i = 0; i < n; i++) {
		free(raw);
		raw = NULL;
		if (orgc_hex_alloc(json_array_get(arr, i), STMT_MAX_LEN, &raw, &len) != 0 ||
		    statement_verify(raw, len, &oc->trust, STMT_GATEWAY_CERT, now, &s) != 0) {
			fprintf(stderr, "vigil: warning: ignored gateway.cert #%zu (not signed by the "
			    "org root)\n", i);
			continue;
		}
		memcpy(oc->gateway_sites[oc->ngateways], s->u.gateway_cert.site_id, STMT_ID_LEN);
		memcpy(oc->gateways[oc->ngateways++], s->u.gateway_cert.gateway_pk, STMT_KEY_LEN);
		statement_free(s);
		s = NULL;
	}
	r = 0;
out:
	statement_free(s);
	free(raw);
	return r;
}

/* Open every grant addressed to me against its signed camera.epoch. */
static int
load_grants(struct orgc *oc, const json_t *arr, int64_t now)
{
	struct stmt *g = NULL;
	char what[160], cam[2 * STMT_ID_LEN + 1];
	uint8_t *raw = NULL;
	size_t i, j, n, len;
	int e, r = -1;

	if (arr == NULL || json_is_null(arr))
		return 0;
	if (!json_is_array(arr) || (n = json_array_size(arr)) > STMTS_MAX) {
		fprintf(stderr, "refused: malformed grants list\n");
		goto out;
	}
	if (n > 0 && (oc->keys = sodium_malloc(n * sizeof(*oc->keys))) == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		const struct orgc_epoch *ep = NULL;

		if (orgc_hex_alloc(json_array_get(arr, i), STMT_MAX_LEN, &raw, &len) != 0 ||
		    statement_parse(raw, len, &g) != 0 || g->type != STMT_GRANT) {
			fprintf(stderr, "refused: grant #%zu is malformed\n", i);
			goto out;
		}
		hex_encode(g->u.grant.camera_id, STMT_ID_LEN, cam);
		for (j = 0; j < oc->nepochs; j++)
			if (memcmp(oc->epochs[j].camera_id, g->u.grant.camera_id, STMT_ID_LEN) == 0 &&
			    oc->epochs[j].epoch == g->u.grant.epoch)
				ep = &oc->epochs[j];
		e = ep == NULL ? STMT_E_MISMATCH :
		    orgkeys_grant_open(&oc->trust, ep->raw, ep->len, raw, len, oc->user_id,
		    oc->me->box_pk, oc->me->box_sk, now, &oc->keys[oc->nkeys]);
		if (e != 0) {
			snprintf(what, sizeof(what), "grant for camera %s epoch %u does not match the "
			    "signed camera key (possible key injection by the server)", cam,
			    g->u.grant.epoch);
			orgc_refuse(what, e);
			goto out;
		}
		oc->nkeys++;
		statement_free(g);
		g = NULL;
		free(raw);
		raw = NULL;
	}
	r = 0;
out:
	statement_free(g);
	free(raw);
	return r;
}

/* Open the sealed root (owners/admins), else sign as a certified admin when I am one. */
static int
load_signer(struct orgc *oc, const json_t *sealed)
{
	uint8_t *raw = NULL;
	size_t len;
	int r = -1;

	if (sealed != NULL && !json_is_null(sealed)) {
		if (orgc_hex_alloc(sealed, 256, &raw, &len) != 0 ||
		    len != crypto_box_SEALBYTES + STMT_SK_LEN ||
		    crypto_box_seal_open(oc->root_sk, raw, len, oc->me->box_pk, oc->me->box_sk) != 0 ||
		    sodium_memcmp(oc->root_sk + 32, oc->trust.root_pk, STMT_KEY_LEN) != 0) {
			fprintf(stderr, "refused: the sealed org root does not open to this org's root "
			    "key\n");
			goto out;
		}
		orgkeys_signer_init(oc->signer, oc->root_sk, oc->org_id);
		oc->can_sign = oc->have_root = 1;
	} else if (statement_trust_has(&oc->trust, oc->me->sign_pk)) {
		orgkeys_signer_init(oc->signer, oc->me->sign_sk, oc->org_id);
		oc->can_sign = 1;
	}
	r = 0;
out:
	free(raw);
	return r;
}

int
orgc_org_load(struct orgc *oc, const char *org_hex)
{
	char path[PATH_BUF];
	uint8_t org_id[STMT_ORG_ID_LEN], root[STMT_KEY_LEN], *raw = NULL;
	json_t *ans = NULL, *certs;
	int64_t now = now_us();
	size_t i, len;
	int e, r = -1;

	if (org_hex == NULL || strlen(org_hex) != 2 * STMT_ORG_ID_LEN ||
	    hex_decode(org_hex, org_id, sizeof(org_id)) != 0) {
		fprintf(stderr, "vigil: --org needs the org id (64 hex characters)\n");
		goto out;
	}
	snprintf(path, sizeof(path), "/api/v1/orgs/%s/keys", org_hex);
	if (orgc_call(oc, "GET", path, NULL, 200, &ans, "org keys") != 0)
		goto out;
	if (orgc_hex_alloc(json_object_get(ans, "org_root"), STMT_MAX_LEN, &raw, &len) != 0) {
		fprintf(stderr, "refused: malformed org_root\n");
		goto out;
	}
	if ((e = orgverify_root(raw, len, org_id, now, root)) != 0) {
		orgc_refuse("org root (another org's statement?)", e);
		goto out;
	}
	if (orgc_pin_root(oc, root) != 0)
		goto out;
	certs = json_object_get(ans, "admin_certs");
	if (certs != NULL && !json_is_array(certs))
		goto out;
	for (i = 0; i < json_array_size(certs); i++) {
		free(raw);
		raw = NULL;
		if (orgc_hex_alloc(json_array_get(certs, i), STMT_MAX_LEN, &raw, &len) != 0) {
			fprintf(stderr, "refused: malformed admin cert #%zu\n", i);
			goto out;
		}
		e = statement_trust_add(&oc->trust, raw, len, now);
		/* An older cert after a newer one changes nothing; anything else is refused. */
		if (e != 0 && e != STMT_E_REPLAY) {
			orgc_refuse("admin certificate (not signed by the org root)", e);
			goto out;
		}
	}
	if (load_epochs(oc, json_object_get(ans, "epochs"), now) != 0 ||
	    load_grants(oc, json_object_get(ans, "grants"), now) != 0 ||
	    load_gateways(oc, json_object_get(ans, "gateway_certs"), now) != 0 ||
	    load_signer(oc, json_object_get(ans, "sealed_root")) != 0)
		goto out;
	r = 0;
out:
	free(raw);
	json_decref(ans);
	return r;
}

int
orgc_post_statements(struct orgc *oc, const struct buf *stmts, size_t n)
{
	char path[PATH_BUF];
	json_t *arr = json_array(), *body = NULL, *ans = NULL;
	size_t i;
	int r = -1;

	if (arr == NULL)
		goto out;
	for (i = 0; i < n; i++)
		if (json_array_append_new(arr, orgc_hex_json(stmts[i].data, stmts[i].len)) != 0)
			goto out;
	if ((body = json_pack("{s:O}", "statements", arr)) == NULL)
		goto out;
	snprintf(path, sizeof(path), "/api/v1/orgs/%s/statements", oc->org_hex);
	r = orgc_call(oc, "POST", path, body, 200, &ans, "statements");
out:
	json_decref(arr);
	json_decref(body);
	json_decref(ans);
	return r;
}

int
orgc_members(struct orgc *oc, struct orgc_member **out, size_t *n)
{
	char path[PATH_BUF], what[160], key[80], uhex[2 * STMT_ID_LEN + 1];
	struct orgc_member *ms = NULL;
	uint8_t uid[STMT_ID_LEN], sign[STMT_KEY_LEN], box[STMT_KEY_LEN], *raw = NULL;
	json_t *ans = NULL, *arr, *m;
	const char *name, *role;
	size_t i, k = 0, cnt, len;
	int e, r = -1;

	*out = NULL;
	*n = 0;
	snprintf(path, sizeof(path), "/api/v1/orgs/%s/members", oc->org_hex);
	if (orgc_call(oc, "GET", path, NULL, 200, &ans, "members") != 0)
		goto out;
	arr = json_object_get(ans, "members");
	if (!json_is_array(arr) || (cnt = json_array_size(arr)) > STMTS_MAX)
		goto bad;
	if (cnt > 0 && (ms = calloc(cnt, sizeof(*ms))) == NULL)
		goto out;
	for (i = 0; i < cnt; i++) {
		m = json_array_get(arr, i);
		/* A support grantee holds no member key or statement (`vigil support list` shows them). */
		role = json_string_value(json_object_get(m, "role"));
		if (role != NULL && strcmp(role, "support") == 0)
			continue;
		name = json_string_value(json_object_get(m, "username"));
		if (orgc_id_parse(json_string_value(json_object_get(m, "user_id")), uid) != 0 ||
		    orgc_hex_field(m, "sign_pk", sign, sizeof(sign)) != 0 ||
		    orgc_hex_field(m, "box_pk", box, sizeof(box)) != 0 || name == NULL ||
		    strlen(name) >= sizeof(ms[k].username))
			goto bad;
		hex_encode(uid, sizeof(uid), uhex);
		snprintf(what, sizeof(what), "member %s (%s): swapped or unsigned member key, possible "
		    "key injection by the server", name, uhex);
		free(raw);
		raw = NULL;
		if (orgc_hex_alloc(json_object_get(m, "stmt"), STMT_MAX_LEN, &raw, &len) != 0) {
			orgc_refuse(what, STMT_E_FORMAT);
			goto out;
		}
		if ((e = orgverify_member(&oc->trust, raw, len, uid, sign, box, now_us(), &ms[k].m,
		    &ms[k].seq)) != 0) {
			orgc_refuse(what, e);
			goto out;
		}
		snprintf(key, sizeof(key), "m:%s", uhex);
		if (ms[k].seq < orgpin_seen(oc->pin, key)) {
			snprintf(what, sizeof(what), "member %s (%s): statement seq %llu", name, uhex,
			    (unsigned long long)ms[k].seq);
			orgc_refuse(what, ORGV_E_ROLLBACK);
			goto out;
		}
		if (orgpin_see(oc->pin, key, ms[k].seq) != 0)
			goto out;
		memcpy(ms[k].username, name, strlen(name) + 1);
		k++;
	}
	*out = ms;
	*n = k;
	ms = NULL;
	r = 0;
	goto out;
bad:
	fprintf(stderr, "refused: malformed members list\n");
out:
	free(raw);
	free(ms);
	json_decref(ans);
	return r;
}

const struct orgc_member *
orgc_member_find(const struct orgc_member *ms, size_t n, const char *who)
{
	uint8_t id[STMT_ID_LEN];
	int byid = orgc_id_parse(who, id) == 0;
	size_t i;

	for (i = 0; i < n; i++)
		if ((byid && memcmp(ms[i].m.user_id, id, STMT_ID_LEN) == 0) ||
		    strcmp(ms[i].username, who) == 0)
			return &ms[i];
	return NULL;
}

const struct orgc_epoch *
orgc_epoch_latest(const struct orgc *oc, const uint8_t cam[STMT_ID_LEN])
{
	const struct orgc_epoch *best = NULL;
	size_t i;

	for (i = 0; i < oc->nepochs; i++)
		if (memcmp(oc->epochs[i].camera_id, cam, STMT_ID_LEN) == 0 &&
		    (best == NULL || oc->epochs[i].epoch > best->epoch))
			best = &oc->epochs[i];
	return best;
}

int
orgc_camera_site(const struct orgc *oc, const uint8_t cam[STMT_ID_LEN],
    uint8_t site_out[STMT_ID_LEN])
{
	size_t i;

	for (i = 0; i < oc->nepochs; i++)
		if (oc->epochs[i].has_site && memcmp(oc->epochs[i].camera_id, cam, STMT_ID_LEN) == 0) {
			memcpy(site_out, oc->epochs[i].site_id, STMT_ID_LEN);
			return 1;
		}
	return 0;
}

int
orgc_camera_name(const struct orgc *oc, const uint8_t cam[STMT_ID_LEN],
    char name_out[STMT_NAME_MAX + 1])
{
	const struct orgc_epoch *best = NULL;
	size_t i;

	for (i = 0; i < oc->nepochs; i++)
		if (oc->epochs[i].has_name && memcmp(oc->epochs[i].camera_id, cam, STMT_ID_LEN) == 0 &&
		    (best == NULL || oc->epochs[i].epoch > best->epoch))
			best = &oc->epochs[i];
	if (best == NULL) {
		name_out[0] = '\0';
		return 0;
	}
	memcpy(name_out, best->name, STMT_NAME_MAX + 1);
	return 1;
}

int
orgc_gateway_site(const struct orgc *oc, const uint8_t gw[STMT_KEY_LEN],
    uint8_t site_out[STMT_ID_LEN])
{
	size_t i;

	for (i = 0; i < oc->ngateways; i++)
		if (memcmp(oc->gateways[i], gw, STMT_KEY_LEN) == 0) {
			memcpy(site_out, oc->gateway_sites[i], STMT_ID_LEN);
			return 0;
		}
	return -1;
}

const struct orgkeys_epoch_key *
orgc_key(const struct orgc *oc, const uint8_t cam[STMT_ID_LEN], uint32_t epoch)
{
	size_t i;

	for (i = 0; i < oc->nkeys; i++)
		if (memcmp(oc->keys[i].camera_id, cam, STMT_ID_LEN) == 0 && oc->keys[i].epoch == epoch)
			return &oc->keys[i];
	return NULL;
}
