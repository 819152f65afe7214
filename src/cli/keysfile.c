/* keysfile.c - loading, validating and writing the viewer's keys.json. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <sodium.h>
#include "cli/jsonv.h"
#include "cli/keysfile.h"
#include "common/statement.h"
#include "common/util.h"

struct keysfile *
keysfile_new(void)
{
	return calloc(1, sizeof(struct keysfile));
}

void
keysfile_free(struct keysfile *k)
{
	size_t i;

	if (k == NULL)
		return;
	for (i = 0; i < k->ncameras; i++) {
		if (k->cameras[i].epochs != NULL) {
			sodium_memzero(k->cameras[i].epochs,
			    k->cameras[i].nepochs * sizeof(struct keys_epoch));
			free(k->cameras[i].epochs);
		}
		free(k->cameras[i].gateways);
	}
	free(k->cameras);
	free(k->gateways);
	sodium_memzero(k, sizeof(*k));
	free(k);
}

/* A camera name of keys.json (vigil provision): 1..63 of [A-Za-z0-9._-]. */
static int
name_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > KEYS_FILE_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

int
keysfile_add_gateway(struct keysfile *k, const uint8_t id[GATEWAY_ID_LEN])
{
	uint8_t (*g)[GATEWAY_ID_LEN];

	if (keysfile_has_gateway(k, id))
		return 0;
	if (k->ngateways >= KEYS_MAX_GATEWAYS)
		return -1;
	g = realloc(k->gateways, (k->ngateways + 1) * sizeof(*g));
	if (g == NULL)
		return -1;
	k->gateways = g;
	memcpy(k->gateways[k->ngateways++], id, GATEWAY_ID_LEN);
	return 0;
}

int
keysfile_add_camera(struct keysfile *k, const char *name, const uint8_t id[CAMERA_ID_LEN],
    uint32_t epoch, const uint8_t pk[EPOCH_PK_LEN], const uint8_t sk[EPOCH_SK_LEN])
{
	struct keys_camera *c;
	struct keys_epoch *e = NULL;

	/* An organization's camera names follow the signed statements' rule (1..64 bytes of
	 * UTF-8 without control bytes, "Front door"); they are only matched and printed. */
	if (!statement_camera_name_ok(name) || k->ncameras >= KEYS_MAX_CAMERAS ||
	    keysfile_camera_by_name(k, name) != NULL || keysfile_camera_by_id(k, id) != NULL)
		return -1;
	e = calloc(1, sizeof(*e));
	if (e == NULL)
		return -1;
	c = realloc(k->cameras, (k->ncameras + 1) * sizeof(*c));
	if (c == NULL) {
		free(e);
		return -1;
	}
	k->cameras = c;
	c = &k->cameras[k->ncameras++];
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", name);
	memcpy(c->id, id, CAMERA_ID_LEN);
	e->epoch = epoch;
	memcpy(e->pk, pk, EPOCH_PK_LEN);
	memcpy(e->sk, sk, EPOCH_SK_LEN);
	c->epochs = e;
	c->nepochs = 1;
	return 0;
}

const struct keys_camera *
keysfile_camera_by_name(const struct keysfile *k, const char *name)
{
	size_t i;

	for (i = 0; i < k->ncameras; i++)
		if (strcmp(k->cameras[i].name, name) == 0)
			return &k->cameras[i];
	return NULL;
}

const struct keys_camera *
keysfile_camera_by_id(const struct keysfile *k, const uint8_t id[CAMERA_ID_LEN])
{
	size_t i;

	for (i = 0; i < k->ncameras; i++)
		if (memcmp(k->cameras[i].id, id, CAMERA_ID_LEN) == 0)
			return &k->cameras[i];
	return NULL;
}

int
keysfile_has_gateway(const struct keysfile *k, const uint8_t id[GATEWAY_ID_LEN])
{
	size_t i;

	for (i = 0; i < k->ngateways; i++)
		if (sodium_memcmp(k->gateways[i], id, GATEWAY_ID_LEN) == 0)
			return 1;
	return 0;
}

int
keysfile_camera_allow(struct keys_camera *c, const uint8_t id[GATEWAY_ID_LEN])
{
	uint8_t (*g)[GATEWAY_ID_LEN];

	c->restricted = 1;
	if (c->ngateways >= KEYS_MAX_GATEWAYS)
		return -1;
	g = realloc(c->gateways, (c->ngateways + 1) * sizeof(*g));
	if (g == NULL)
		return -1;
	c->gateways = g;
	memcpy(c->gateways[c->ngateways++], id, GATEWAY_ID_LEN);
	return 0;
}

int
keysfile_camera_gateway_ok(const struct keysfile *k, const struct keys_camera *c,
    const uint8_t id[GATEWAY_ID_LEN])
{
	size_t i;
	int ok = !c->restricted;

	for (i = 0; i < c->ngateways && !ok; i++)
		ok = sodium_memcmp(c->gateways[i], id, GATEWAY_ID_LEN) == 0;
	return ok && keysfile_has_gateway(k, id);
}

int
keysfile_seg_key(void *ctx, const uint8_t camera_id[CAMERA_ID_LEN], uint32_t epoch,
    uint8_t pk[EPOCH_PK_LEN], uint8_t sk[EPOCH_SK_LEN])
{
	const struct keysfile *k = ctx;
	const struct keys_camera *c = keysfile_camera_by_id(k, camera_id);
	size_t i;

	if (c == NULL)
		return -1;
	for (i = 0; i < c->nepochs; i++) {
		if (c->epochs[i].epoch == epoch) {
			memcpy(pk, c->epochs[i].pk, EPOCH_PK_LEN);
			memcpy(sk, c->epochs[i].sk, EPOCH_SK_LEN);
			return 0;
		}
	}
	return -1;
}

static int
parse_epochs(json_t *arr, struct keys_camera *c, const char *what, char *err, size_t errlen)
{
	char w[192];
	uint8_t check[EPOCH_PK_LEN];
	size_t i, j, n = json_array_size(arr);
	int64_t ep;

	if (n == 0 || n > KEYS_MAX_EPOCHS) {
		snprintf(err, errlen, "%s.epochs: want 1..%d entries", what, KEYS_MAX_EPOCHS);
		return -1;
	}
	c->epochs = calloc(n, sizeof(*c->epochs));
	if (c->epochs == NULL) {
		snprintf(err, errlen, "%s: out of memory", what);
		return -1;
	}
	c->nepochs = n;
	for (i = 0; i < n; i++) {
		json_t *e = json_array_get(arr, i);
		struct keys_epoch *ke = &c->epochs[i];

		snprintf(w, sizeof(w), "%s.epochs[%zu]", what, i);
		if (jsonv_int(e, "epoch", 1, UINT32_MAX, &ep, w, err, errlen) != 0 ||
		    jsonv_hex(e, "public_key", ke->pk, EPOCH_PK_LEN, w, err, errlen) != 0 ||
		    jsonv_hex(e, "secret_key", ke->sk, EPOCH_SK_LEN, w, err, errlen) != 0)
			return -1;
		ke->epoch = (uint32_t)ep;
		if (crypto_scalarmult_base(check, ke->sk) != 0 ||
		    sodium_memcmp(check, ke->pk, EPOCH_PK_LEN) != 0) {
			snprintf(err, errlen, "%s: secret_key does not match public_key", w);
			return -1;
		}
		for (j = 0; j < i; j++) {
			if (c->epochs[j].epoch == ke->epoch) {
				snprintf(err, errlen, "%s.epoch: duplicate epoch", w);
				return -1;
			}
		}
	}
	return 0;
}

static int
parse_cameras(json_t *arr, struct keysfile *k, const char *what, char *err, size_t errlen)
{
	char w[160];
	size_t i, j, n = json_array_size(arr);
	const char *name;

	if (n > KEYS_MAX_CAMERAS) {
		snprintf(err, errlen, "%s.cameras: too many cameras", what);
		return -1;
	}
	k->cameras = calloc(n ? n : 1, sizeof(*k->cameras));
	if (k->cameras == NULL) {
		snprintf(err, errlen, "%s: out of memory", what);
		return -1;
	}
	for (i = 0; i < n; i++) {
		json_t *c = json_array_get(arr, i), *eps;
		struct keys_camera *kc = &k->cameras[i];

		k->ncameras = i + 1;
		snprintf(w, sizeof(w), "%s: cameras[%zu]", what, i);
		if (jsonv_str(c, "name", KEYS_FILE_NAME_MAX, &name, w, err, errlen) != 0)
			return -1;
		if (!name_ok(name)) {
			snprintf(err, errlen, "%s.name: want 1..%d of A-Z a-z 0-9 . _ -", w,
			    KEYS_FILE_NAME_MAX);
			return -1;
		}
		snprintf(kc->name, sizeof(kc->name), "%s", name);
		if (jsonv_hex(c, "id", kc->id, CAMERA_ID_LEN, w, err, errlen) != 0 ||
		    jsonv_array(c, "epochs", &eps, w, err, errlen) != 0 ||
		    parse_epochs(eps, kc, w, err, errlen) != 0)
			return -1;
		for (j = 0; j < i; j++) {
			if (strcmp(k->cameras[j].name, kc->name) == 0 ||
			    memcmp(k->cameras[j].id, kc->id, CAMERA_ID_LEN) == 0) {
				snprintf(err, errlen, "%s: duplicate camera name or id", w);
				return -1;
			}
		}
	}
	return 0;
}

int
keysfile_parse(const char *json, size_t len, const char *what, struct keysfile **kp,
    char *err, size_t errlen)
{
	struct keysfile *k = NULL;
	json_t *root = NULL, *gws, *cams;
	json_error_t je;
	char w[192];
	size_t i, n;
	int ret = -1;

	*kp = NULL;
	root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL) {
		snprintf(err, errlen, "%s: not valid JSON (line %d: %s)", what, je.line, je.text);
		goto out;
	}
	k = keysfile_new();
	if (k == NULL) {
		snprintf(err, errlen, "%s: out of memory", what);
		goto out;
	}
	if (jsonv_array(root, "gateways", &gws, what, err, errlen) != 0 ||
	    jsonv_array(root, "cameras", &cams, what, err, errlen) != 0)
		goto out;
	n = json_array_size(gws);
	if (n == 0 || n > KEYS_MAX_GATEWAYS) {
		snprintf(err, errlen, "%s.gateways: want 1..%d pinned gateway keys", what,
		    KEYS_MAX_GATEWAYS);
		goto out;
	}
	for (i = 0; i < n; i++) {
		json_t *g = json_array_get(gws, i);
		uint8_t id[GATEWAY_ID_LEN];

		snprintf(w, sizeof(w), "%s.gateways[%zu]", what, i);
		if (!json_is_string(g) || hex_decode(json_string_value(g), id, sizeof(id)) != 0) {
			snprintf(err, errlen, "%s: want %d hex characters", w, 2 * GATEWAY_ID_LEN);
			goto out;
		}
		if (keysfile_add_gateway(k, id) != 0) {
			snprintf(err, errlen, "%s: out of memory", w);
			goto out;
		}
	}
	if (parse_cameras(cams, k, what, err, errlen) != 0)
		goto out;
	*kp = k;
	k = NULL;
	ret = 0;
out:
	keysfile_free(k);
	json_decref(root);
	return ret;
}

int
keysfile_load(const char *path, struct keysfile **kp, char *err, size_t errlen)
{
	struct buf b;
	int ret;

	*kp = NULL;
	buf_init(&b, KEYS_FILE_MAX);
	if (file_read(path, &b, KEYS_FILE_MAX) != 0) {
		snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
		buf_free(&b);
		return -1;
	}
	ret = keysfile_parse((const char *)b.data, b.len, path, kp, err, errlen);
	buf_free(&b);	/* wipes: the file holds secret keys */
	return ret;
}

/* The JSON of one hex field; NULL when memory is short. */
static json_t *
hexval(const uint8_t *p, size_t n)
{
	char s[2 * 64 + 1];
	json_t *v;

	if (n > 64)
		return NULL;
	hex_encode(p, n, s);
	v = json_string(s);
	sodium_memzero(s, sizeof(s));
	return v;
}

int
keysfile_save(const struct keysfile *k, const char *path)
{
	json_t *root = NULL, *gws, *cams;
	char *text = NULL;
	size_t i, j;
	int ret = -1;

	root = json_object();
	gws = json_array();
	cams = json_array();
	if (root == NULL || gws == NULL || cams == NULL ||
	    json_object_set_new(root, "gateways", gws) != 0) {
		json_decref(cams);
		goto out;
	}
	if (json_object_set_new(root, "cameras", cams) != 0)
		goto out;
	for (i = 0; i < k->ngateways; i++)
		if (json_array_append_new(gws, hexval(k->gateways[i], GATEWAY_ID_LEN)) != 0)
			goto out;
	for (i = 0; i < k->ncameras; i++) {
		const struct keys_camera *c = &k->cameras[i];
		json_t *eps = json_array();

		if (json_array_append_new(cams, json_pack("{s:s, s:o, s:o}", "name", c->name,
		    "id", hexval(c->id, CAMERA_ID_LEN), "epochs", eps)) != 0)
			goto out;
		for (j = 0; j < c->nepochs; j++) {
			const struct keys_epoch *e = &c->epochs[j];

			if (json_array_append_new(eps, json_pack("{s:I, s:o, s:o}", "epoch",
			    (json_int_t)e->epoch, "public_key", hexval(e->pk, EPOCH_PK_LEN),
			    "secret_key", hexval(e->sk, EPOCH_SK_LEN))) != 0)
				goto out;
		}
	}
	text = json_dumps(root, JSON_INDENT(2));
	if (text == NULL)
		goto out;
	ret = file_write_atomic(path, text, strlen(text), 0600);
out:
	if (text != NULL) {
		json_free_t jfree;

		/* json_dumps allocated with jansson's allocator: free it with jansson's. */
		sodium_memzero(text, strlen(text));
		json_get_alloc_funcs(NULL, &jfree);
		jfree(text);
	}
	json_decref(root);
	return ret;
}
