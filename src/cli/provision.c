/* provision.c - the admin-side provisioning of cameras and one gateway until accounts and enrollment land. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <jansson.h>
#include <sodium.h>
#include "cli/httpc.h"
#include "cli/keysfile.h"
#include "cli/provision.h"
#include "cli/viewcfg.h"
#include "common/util.h"

#define GW_KEY_HEX (2 * GATEWAY_SK_LEN)
#define SPOOL_DEFAULT_BYTES UINT64_C(1073741824)
#define SEGMENT_TARGET_MS 2000

int
provision_gateway_id(const char *path, uint8_t id[GATEWAY_ID_LEN], char *err, size_t errlen)
{
	uint8_t *sk = NULL, seed_pk[GATEWAY_ID_LEN], sk2[GATEWAY_SK_LEN];
	struct buf b;
	int ret = -1;

	buf_init(&b, GW_KEY_HEX + 2);
	sk = sodium_malloc(GATEWAY_SK_LEN);
	if (sk == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (file_read(path, &b, GW_KEY_HEX + 2) != 0) {
		snprintf(err, errlen, "%s: cannot read the gateway key: %s", path, strerror(errno));
		goto out;
	}
	if (b.len == GW_KEY_HEX + 1 && b.data[GW_KEY_HEX] == '\n')
		b.len--;
	if (b.len != GW_KEY_HEX || buf_put_u8(&b, 0) != 0 ||
	    hex_decode((const char *)b.data, sk, GATEWAY_SK_LEN) != 0) {
		snprintf(err, errlen, "%s: not a gateway key (want %d hex characters, made by "
		    "vigil-gateway keygen)", path, GW_KEY_HEX);
		goto out;
	}
	/* An Ed25519 secret key is seed || public key: check the halves agree. */
	crypto_sign_seed_keypair(seed_pk, sk2, sk);
	if (sodium_memcmp(sk2, sk, GATEWAY_SK_LEN) != 0) {
		snprintf(err, errlen, "%s: damaged gateway key (public half does not match)", path);
		goto out;
	}
	memcpy(id, seed_pk, GATEWAY_ID_LEN);
	ret = 0;
out:
	sodium_memzero(sk2, sizeof(sk2));
	sodium_free(sk);
	buf_free(&b);	/* wipes */
	return ret;
}

/* cam1..camN: keep the ones keys.json already has, make the others. */
static int
cameras_make(struct keysfile *k, unsigned n, char *err, size_t errlen)
{
	uint8_t id[CAMERA_ID_LEN], pk[EPOCH_PK_LEN], sk[EPOCH_SK_LEN];
	char name[32];
	unsigned i;
	int ret = 0;

	for (i = 1; i <= n && ret == 0; i++) {
		snprintf(name, sizeof(name), "cam%u", i);
		if (keysfile_camera_by_name(k, name) != NULL)
			continue;
		randombytes_buf(id, sizeof(id));
		crypto_box_keypair(pk, sk);
		if (keysfile_add_camera(k, name, id, 1, pk, sk) != 0) {
			snprintf(err, errlen, "cannot add camera %s", name);
			ret = -1;
		}
	}
	sodium_memzero(sk, sizeof(sk));
	return ret;
}

/* The newest epoch of a camera (the one the gateway encrypts to). */
static const struct keys_epoch *
epoch_current(const struct keys_camera *c)
{
	const struct keys_epoch *e = &c->epochs[0];
	size_t i;

	for (i = 1; i < c->nepochs; i++)
		if (c->epochs[i].epoch > e->epoch)
			e = &c->epochs[i];
	return e;
}

/* The gateway configuration: only public keys. NULL when memory is short. */
static json_t *
gateway_json(const struct provision_opts *o, const struct keysfile *k, const char *key_abs,
    const char *spool_abs, const char *rtsp)
{
	json_t *root, *cams, *cam, *streams;
	char id[2 * CAMERA_ID_LEN + 1], pk[2 * EPOCH_PK_LEN + 1], url[1200];
	const struct keys_camera *c;
	const struct keys_epoch *e;
	unsigned i;

	root = json_pack("{s:s, s:s, s:s, s:I, s:i, s:[]}", "server", o->server, "key_file",
	    key_abs, "spool_dir", spool_abs, "spool_max_bytes", (json_int_t)SPOOL_DEFAULT_BYTES,
	    "segment_target_ms", SEGMENT_TARGET_MS, "cameras");
	if (root == NULL)
		return NULL;
	cams = json_object_get(root, "cameras");
	for (i = 1; i <= o->ncameras; i++) {
		char name[32];

		snprintf(name, sizeof(name), "cam%u", i);
		c = keysfile_camera_by_name(k, name);
		if (c == NULL)
			goto fail;
		e = epoch_current(c);
		hex_encode(c->id, CAMERA_ID_LEN, id);
		hex_encode(e->pk, EPOCH_PK_LEN, pk);
		snprintf(url, sizeof(url), "%s/%s/main", rtsp, name);
		streams = json_pack("[{s:i, s:s}]", "index", 0, "url", url);
		if (streams == NULL)
			goto fail;
		if (!o->main_only) {
			snprintf(url, sizeof(url), "%s/%s/sub", rtsp, name);
			if (json_array_append_new(streams, json_pack("{s:i, s:s}", "index", 1,
			    "url", url)) != 0) {
				json_decref(streams);
				goto fail;
			}
		}
		cam = json_pack("{s:s, s:s, s:I, s:s, s:o}", "name", name, "id", id, "epoch",
		    (json_int_t)e->epoch, "epoch_public_key", pk, "streams", streams);
		if (cam == NULL || json_array_append_new(cams, cam) != 0)
			goto fail;
	}
	return root;
fail:
	json_decref(root);
	return NULL;
}

static int
register_gateway(const struct provision_opts *o, const uint8_t gw[GATEWAY_ID_LEN], char *err,
    size_t errlen)
{
	char token[VIEWCFG_TOKEN_MAX], body[128], hex[2 * GATEWAY_ID_LEN + 1];
	struct httpc *h = NULL;
	struct buf ans;
	long status = 0;
	int e, ret = -1;

	buf_init(&ans, 64 * 1024);
	if (viewcfg_read_token(o->admin_token_file, token, sizeof(token), err, errlen) != 0)
		goto out;
	if ((e = httpc_new(&h, o->server, token)) != 0) {
		snprintf(err, errlen, "--server: %s", httpc_strerror(e));
		goto out;
	}
	hex_encode(gw, GATEWAY_ID_LEN, hex);
	snprintf(body, sizeof(body), "{\"gateway_id\":\"%s\"}", hex);
	e = httpc_post_json(h, "/api/v1/gateways", body, 64 * 1024, &ans, &status);
	if (e != 0) {
		snprintf(err, errlen, "registering the gateway with %s: %s", o->server,
		    httpc_strerror(e));
		goto out;
	}
	if (status != 200 && status != 201) {
		snprintf(err, errlen, "registering the gateway: server answered HTTP %ld%s", status,
		    status == 401 || status == 403 ? " (check the admin token)" : "");
		goto out;
	}
	ret = 0;
out:
	sodium_memzero(token, sizeof(token));
	httpc_free(h);
	buf_free(&ans);
	return ret;
}

int
provision_run(const struct provision_opts *o, char *err, size_t errlen)
{
	char keys_path[PATH_MAX], gw_path[PATH_MAX], key_abs[PATH_MAX], spool_abs[PATH_MAX];
	char rtsp[1024];
	uint8_t gw[GATEWAY_ID_LEN];
	struct keysfile *k = NULL;
	struct stat st;
	json_t *cfg = NULL;
	char *text = NULL;
	size_t n;
	int ret = -1;

	if (o->ncameras < 1 || o->ncameras > PROVISION_MAX_CAMERAS) {
		snprintf(err, errlen, "--cameras: want 1..%d", PROVISION_MAX_CAMERAS);
		return -1;
	}
	n = strlen(o->rtsp_base);
	if ((strncmp(o->rtsp_base, "rtsp://", 7) != 0 && strncmp(o->rtsp_base, "rtsps://", 8) != 0) ||
	    n >= sizeof(rtsp)) {
		snprintf(err, errlen, "--rtsp-base: want rtsp://HOST:PORT");
		return -1;
	}
	memcpy(rtsp, o->rtsp_base, n + 1);
	while (n > 0 && rtsp[n - 1] == '/')
		rtsp[--n] = '\0';
	if (strncmp(o->server, "http://", 7) != 0 && strncmp(o->server, "https://", 8) != 0) {
		snprintf(err, errlen, "--server: want an http:// or https:// URL");
		return -1;
	}
	if (mkdir_p(o->data_dir, 0700) != 0 || mkdir_p(o->spool_dir, 0700) != 0) {
		snprintf(err, errlen, "cannot create %s or %s: %s", o->data_dir, o->spool_dir,
		    strerror(errno));
		return -1;
	}
	if (realpath(o->gateway_key, key_abs) == NULL || realpath(o->spool_dir, spool_abs) == NULL) {
		snprintf(err, errlen, "cannot resolve the gateway key or spool path: %s",
		    strerror(errno));
		return -1;
	}
	if (provision_gateway_id(o->gateway_key, gw, err, errlen) != 0)
		return -1;
	if (snprintf(keys_path, sizeof(keys_path), "%s/keys.json", o->data_dir) >=
	    (int)sizeof(keys_path) ||
	    snprintf(gw_path, sizeof(gw_path), "%s/gateway.json", o->data_dir) >=
	    (int)sizeof(gw_path)) {
		snprintf(err, errlen, "--data: path too long");
		return -1;
	}
	if (stat(keys_path, &st) == 0) {
		if (keysfile_load(keys_path, &k, err, errlen) != 0)
			goto out;
	} else if ((k = keysfile_new()) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (keysfile_add_gateway(k, gw) != 0) {
		snprintf(err, errlen, "%s: cannot pin another gateway key", keys_path);
		goto out;
	}
	if (cameras_make(k, o->ncameras, err, errlen) != 0)
		goto out;
	if (keysfile_save(k, keys_path) != 0) {
		snprintf(err, errlen, "%s: cannot write: %s", keys_path, strerror(errno));
		goto out;
	}
	cfg = gateway_json(o, k, key_abs, spool_abs, rtsp);
	if (cfg == NULL || (text = json_dumps(cfg, JSON_INDENT(2))) == NULL) {
		snprintf(err, errlen, "cannot build gateway.json");
		goto out;
	}
	if (file_write_atomic(gw_path, text, strlen(text), 0600) != 0) {
		snprintf(err, errlen, "%s: cannot write: %s", gw_path, strerror(errno));
		goto out;
	}
	if (register_gateway(o, gw, err, errlen) != 0)
		goto out;
	ret = 0;
out:
	if (text != NULL) {
		json_free_t jfree;

		json_get_alloc_funcs(NULL, &jfree);
		jfree(text);
	}
	json_decref(cfg);
	keysfile_free(k);
	return ret;
}
