/* sigconfig.c - verifies org-signed gateway configuration and commands, keeps the replay counter, and opens sealed bodies. */
#include "gateway/sigconfig.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "common/buf.h"
#include "common/util.h"

#define STATE_MAGIC "VGSIGC01"
#define STATE_MAGIC_LEN 8
#define PATH_MAX_LEN 4096
/* The admins file (state path + ".admins"): magic | org id | u32 n | n x (sign key | user
 * id | u64 cert seq | u8 active). */
#define ADMINS_MAGIC "VGSIGA01"
#define ADMINS_SUFFIX ".admins"
#define ADMIN_REC_LEN (STMT_KEY_LEN + STMT_ID_LEN + 8 + 1)
#define ADMINS_MAX_LEN (STATE_MAGIC_LEN + STMT_ORG_ID_LEN + 4 + STMT_TRUST_MAX * ADMIN_REC_LEN)

struct sigconfig {
	struct stmt_trust trust;
	uint8_t gw_pk[STMT_KEY_LEN];
	uint8_t box_pk[crypto_box_PUBLICKEYBYTES];
	uint8_t box_sk[crypto_box_SECRETKEYBYTES];
	int has_seq;
	uint64_t last_seq;
	char state_path[PATH_MAX_LEN];
	char admins_path[PATH_MAX_LEN + sizeof(ADMINS_SUFFIX)];
};

/*
 * The admins the root certified or revoked, with each one's highest cert seq, outlive a
 * restart: kept only in memory, a revocation was forgotten when the gateway restarted,
 * and the server could serve the revoked admin's earlier, active cert again, after which
 * that admin's key signed configurations (an epoch key of its choosing) that the gateway
 * applied. The file is local, like the replay counter beside it.
 */
static int admins_load(struct sigconfig *sc)
{
	struct buf b;
	struct cur c;
	uint8_t magic[STATE_MAGIC_LEN], org[STMT_ORG_ID_LEN], active;
	uint32_t n, i;
	int ret = STMT_E_IO;

	buf_init(&b, ADMINS_MAX_LEN + 1);
	if (file_read(sc->admins_path, &b, ADMINS_MAX_LEN + 1) != 0) {
		if (errno == ENOENT)
			ret = STMT_OK;
		goto out;
	}
	cur_init(&c, b.data, b.len);
	cur_get(&c, magic, sizeof(magic));
	cur_get(&c, org, sizeof(org));
	cur_get_u32(&c, &n);
	if (cur_ok(&c) != 0 || memcmp(magic, ADMINS_MAGIC, STATE_MAGIC_LEN) != 0 ||
	    sodium_memcmp(org, sc->trust.org_id, STMT_ORG_ID_LEN) != 0 || n > STMT_TRUST_MAX ||
	    b.len != STATE_MAGIC_LEN + STMT_ORG_ID_LEN + 4 + (size_t)n * ADMIN_REC_LEN)
		goto out;
	for (i = 0; i < n; i++) {
		cur_get(&c, sc->trust.admins[i].pk, STMT_KEY_LEN);
		cur_get(&c, sc->trust.admins[i].user_id, STMT_ID_LEN);
		cur_get_u64(&c, &sc->trust.admins[i].seq);
		cur_get_u8(&c, &active);
		if (active > 1)
			goto out;
		sc->trust.admins[i].active = active;
	}
	if (cur_ok(&c) != 0)
		goto out;
	sc->trust.nadmins = n;
	ret = STMT_OK;
out:
	if (ret != STMT_OK)
		sc->trust.nadmins = 0;
	buf_free(&b);
	return ret;
}

static int admins_save(const struct sigconfig *sc)
{
	struct buf b;
	size_t i;
	int ret = STMT_E_IO;

	buf_init(&b, ADMINS_MAX_LEN);
	if (buf_put(&b, ADMINS_MAGIC, STATE_MAGIC_LEN) != 0 ||
	    buf_put(&b, sc->trust.org_id, STMT_ORG_ID_LEN) != 0 ||
	    buf_put_u32(&b, (uint32_t)sc->trust.nadmins) != 0)
		goto out;
	for (i = 0; i < sc->trust.nadmins; i++)
		if (buf_put(&b, sc->trust.admins[i].pk, STMT_KEY_LEN) != 0 ||
		    buf_put(&b, sc->trust.admins[i].user_id, STMT_ID_LEN) != 0 ||
		    buf_put_u64(&b, sc->trust.admins[i].seq) != 0 ||
		    buf_put_u8(&b, sc->trust.admins[i].active ? 1 : 0) != 0)
			goto out;
	if (file_write_atomic(sc->admins_path, b.data, b.len, 0600) == 0)
		ret = STMT_OK;
out:
	buf_free(&b);
	return ret;
}

static int state_load(struct sigconfig *sc)
{
	struct buf b;
	struct cur c;
	uint8_t magic[STATE_MAGIC_LEN], org[STMT_ORG_ID_LEN];
	uint64_t seq;
	int ret = STMT_E_IO;

	buf_init(&b, SIGCONFIG_STATE_LEN + 1);
	if (file_read(sc->state_path, &b, SIGCONFIG_STATE_LEN + 1) != 0) {
		if (errno == ENOENT)
			ret = STMT_OK;
		goto out;
	}
	if (b.len != SIGCONFIG_STATE_LEN)
		goto out;
	cur_init(&c, b.data, b.len);
	cur_get(&c, magic, sizeof(magic));
	cur_get(&c, org, sizeof(org));
	cur_get_u64(&c, &seq);
	if (cur_ok(&c) != 0 || memcmp(magic, STATE_MAGIC, STATE_MAGIC_LEN) != 0 ||
	    sodium_memcmp(org, sc->trust.org_id, STMT_ORG_ID_LEN) != 0)
		goto out;
	sc->has_seq = 1;
	sc->last_seq = seq;
	ret = STMT_OK;
out:
	buf_free(&b);
	return ret;
}

static int state_save(const struct sigconfig *sc, uint64_t seq)
{
	uint8_t s[SIGCONFIG_STATE_LEN];

	memcpy(s, STATE_MAGIC, STATE_MAGIC_LEN);
	memcpy(s + STATE_MAGIC_LEN, sc->trust.org_id, STMT_ORG_ID_LEN);
	be_put64(s + STATE_MAGIC_LEN + STMT_ORG_ID_LEN, seq);
	return file_write_atomic(sc->state_path, s, sizeof(s), 0600) == 0 ? STMT_OK : STMT_E_IO;
}

int sigconfig_open(struct sigconfig **out, const uint8_t root_pk[STMT_KEY_LEN],
    const uint8_t gw_sk[GATEWAY_SK_LEN], const char *state_path)
{
	struct sigconfig *sc = NULL;
	size_t n;
	int ret = STMT_E_ARG;

	*out = NULL;
	if (state_path == NULL || (n = strlen(state_path)) == 0 || n >= PATH_MAX_LEN)
		goto out;
	ret = STMT_E_NOMEM;
	if ((sc = sodium_malloc(sizeof(*sc))) == NULL)
		goto out;
	memset(sc, 0, sizeof(*sc));
	memcpy(sc->state_path, state_path, n + 1);
	snprintf(sc->admins_path, sizeof(sc->admins_path), "%s%s", state_path, ADMINS_SUFFIX);
	statement_trust_init(&sc->trust, root_pk);
	crypto_sign_ed25519_sk_to_pk(sc->gw_pk, gw_sk);
	ret = STMT_E_ARG;
	if (crypto_sign_ed25519_sk_to_curve25519(sc->box_sk, gw_sk) != 0 ||
	    crypto_sign_ed25519_pk_to_curve25519(sc->box_pk, sc->gw_pk) != 0)
		goto out;
	if ((ret = state_load(sc)) != STMT_OK || (ret = admins_load(sc)) != STMT_OK)
		goto out;
	*out = sc;
	sc = NULL;
out:
	sigconfig_close(sc);
	return ret;
}

void sigconfig_close(struct sigconfig *sc)
{
	/* sodium_free wipes the whole allocation, the derived secret key with it. */
	sodium_free(sc);
}

int sigconfig_trust_admin(struct sigconfig *sc, const uint8_t *cert, size_t n, int64_t now_us)
{
	int ret = statement_trust_add(&sc->trust, cert, n, now_us);

	/* Kept in memory even when it cannot be saved: a revocation applies at once. */
	if (ret == STMT_OK && admins_save(sc) != STMT_OK)
		ret = STMT_E_IO;
	return ret;
}

uint64_t sigconfig_last_seq(const struct sigconfig *sc, int *has)
{
	if (has != NULL)
		*has = sc->has_seq;
	return sc->has_seq ? sc->last_seq : 0;
}

/* Verify a sealed statement of type for this gateway and open its body into *plain
 * (malloc'd, wiped and freed by the caller with plain_free). */
static int open_sealed(struct sigconfig *sc, const uint8_t *p, size_t n, int64_t now_us,
    uint8_t type, uint8_t **plain, size_t *plain_len, uint64_t *seq, char *err, size_t errlen)
{
	struct stmt *s = NULL;
	uint8_t *pl = NULL;
	size_t len;
	int ret;

	*plain = NULL;
	*plain_len = 0;
	if ((ret = statement_verify(p, n, &sc->trust, type, now_us, &s)) != STMT_OK)
		goto out;
	ret = STMT_E_TARGET;
	if (sodium_memcmp(s->target, sc->gw_pk, STMT_KEY_LEN) != 0)
		goto out;
	ret = STMT_E_REPLAY;
	if (sc->has_seq && s->seq <= sc->last_seq)
		goto out;
	ret = STMT_E_NOMEM;
	len = s->body_len - crypto_box_SEALBYTES;
	/* One extra byte keeps the plaintext NUL-terminated for the callers' benefit. */
	if ((pl = calloc(1, len + 1)) == NULL)
		goto out;
	ret = STMT_E_SEALED;
	if (crypto_box_seal_open(pl, s->body, s->body_len, sc->box_pk, sc->box_sk) != 0)
		goto out;
	*plain = pl;
	*plain_len = len;
	*seq = s->seq;
	pl = NULL;
	ret = STMT_OK;
out:
	if (ret != STMT_OK)
		errf(err, errlen, "%s statement refused: %s",
		    type == STMT_GATEWAY_CONFIG ? "gateway.config" : "gateway.command",
		    statement_strerror(ret));
	free(pl);
	statement_free(s);
	return ret;
}

static void plain_free(uint8_t *p, size_t n)
{
	if (p != NULL) {
		sodium_memzero(p, n);
		free(p);
	}
}

static int commit_seq(struct sigconfig *sc, uint64_t seq, char *err, size_t errlen)
{
	if (state_save(sc, seq) != STMT_OK) {
		errf(err, errlen, "cannot persist the last accepted statement number");
		return STMT_E_IO;
	}
	sc->has_seq = 1;
	sc->last_seq = seq;
	return STMT_OK;
}

static int only_keys(json_t *obj, const char *const *allowed)
{
	const char *k;
	json_t *v;
	size_t i;

	json_object_foreach(obj, k, v) {
		int ok = 0;
		for (i = 0; allowed[i] != NULL; i++)
			if (strcmp(k, allowed[i]) == 0)
				ok = 1;
		if (!ok)
			return -1;
	}
	return 0;
}

/* Validate the org-controlled settings and move them out of doc. */
static int take_settings(json_t *doc, struct sigconfig_settings *st, char *err, size_t errlen)
{
	static const char *const det_keys[] = { "enabled", "sensitivity", NULL };
	json_t *v, *d;

	st->retention_days = 0;
	st->detection_given = 0;
	st->detection_enabled = 1;
	st->detection_sensitivity = MOTION_SENS_DEFAULT;
	if ((v = json_object_get(doc, "retention_days")) != NULL) {
		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) > SIGCONFIG_RETENTION_MAX) {
			errf(err, errlen, "retention_days: must be an integer from 0 to %d",
			    SIGCONFIG_RETENTION_MAX);
			return -1;
		}
		st->retention_days = (uint32_t)json_integer_value(v);
		json_object_del(doc, "retention_days");
	}
	if ((d = json_object_get(doc, "detection")) != NULL) {
		if (!json_is_object(d) || only_keys(d, det_keys) != 0) {
			errf(err, errlen, "detection: must be an object with enabled and sensitivity");
			return -1;
		}
		st->detection_given = 1;
		if ((v = json_object_get(d, "enabled")) != NULL) {
			if (!json_is_boolean(v)) {
				errf(err, errlen, "detection.enabled: must be true or false");
				return -1;
			}
			st->detection_enabled = json_is_true(v);
		}
		if ((v = json_object_get(d, "sensitivity")) != NULL) {
			if (!json_is_integer(v) || json_integer_value(v) < 1 ||
			    json_integer_value(v) > 100) {
				errf(err, errlen, "detection.sensitivity: must be an integer from 1 to 100");
				return -1;
			}
			st->detection_sensitivity = (uint32_t)json_integer_value(v);
		}
		json_object_del(doc, "detection");
	}
	return 0;
}

/* Cameras without a "detection" object of their own take the top-level one. */
static void detection_defaults(struct config *c, const struct sigconfig_settings *st)
{
	size_t i;

	if (!st->detection_given)
		return;
	for (i = 0; i < c->ncameras; i++) {
		if (c->cameras[i].has_detection)
			continue;
		c->cameras[i].detection.enabled = st->detection_enabled;
		c->cameras[i].detection.sensitivity = st->detection_sensitivity;
	}
}

/* Turn the opened body into a struct config through config_parse, so that a signed
 * configuration is validated exactly like a local one. */
static int body_to_config(const uint8_t *plain, size_t len, const struct config *local,
    struct config **out, struct sigconfig_settings *st, char *err, size_t errlen)
{
	static const char *const keys[] = { "cameras", "segment_target_ms", "retention_days",
		"detection", NULL };
	json_error_t je;
	json_t *doc = NULL;
	char *text = NULL;
	size_t tlen = 0;
	int ret = STMT_E_CONFIG;

	*out = NULL;
	doc = json_loadb((const char *)plain, len, JSON_REJECT_DUPLICATES, &je);
	if (doc == NULL || !json_is_object(doc)) {
		errf(err, errlen, "signed configuration: not a JSON object");
		goto out;
	}
	if (only_keys(doc, keys) != 0) {
		errf(err, errlen, "signed configuration: unknown or local-only field");
		goto out;
	}
	if (take_settings(doc, st, err, errlen) != 0)
		goto out;
	ret = STMT_E_NOMEM;
	if (json_object_set_new(doc, "server", json_string(local->server)) != 0 ||
	    json_object_set_new(doc, "key_file", json_string(local->key_file)) != 0 ||
	    json_object_set_new(doc, "spool_dir", json_string(local->spool_dir)) != 0 ||
	    json_object_set_new(doc, "spool_max_bytes",
	    json_integer((json_int_t)local->spool_max_bytes)) != 0)
		goto out;
	if (json_object_get(doc, "segment_target_ms") == NULL &&
	    json_object_set_new(doc, "segment_target_ms",
	    json_integer((json_int_t)local->segment_target_ms)) != 0)
		goto out;
	if ((text = json_dumps(doc, JSON_COMPACT)) == NULL)
		goto out;
	tlen = strlen(text);
	ret = STMT_E_CONFIG;
	if (config_parse(text, tlen, out, err, errlen) != 0)
		goto out;
	detection_defaults(*out, st);
	if (config_check_recording(*out, err, errlen) != 0) {
		config_free(*out);
		*out = NULL;
		goto out;
	}
	ret = STMT_OK;
out:
	if (text != NULL) {
		sodium_memzero(text, tlen);
		free(text);
	}
	json_decref(doc);
	return ret;
}

int sigconfig_apply_config(struct sigconfig *sc, const uint8_t *p, size_t n, int64_t now_us,
    const struct config *local, struct config **out, struct sigconfig_settings *settings,
    char *err, size_t errlen)
{
	struct sigconfig_settings st;
	struct config *c = NULL;
	uint8_t *plain = NULL;
	size_t plain_len = 0;
	uint64_t seq = 0;
	int ret;

	*out = NULL;
	if (local == NULL || local->server == NULL || local->key_file == NULL ||
	    local->spool_dir == NULL) {
		errf(err, errlen, "local configuration missing");
		return STMT_E_ARG;
	}
	if ((ret = open_sealed(sc, p, n, now_us, STMT_GATEWAY_CONFIG, &plain, &plain_len, &seq,
	    err, errlen)) != STMT_OK)
		goto out;
	if ((ret = body_to_config(plain, plain_len, local, &c, &st, err, errlen)) != STMT_OK)
		goto out;
	if ((ret = commit_seq(sc, seq, err, errlen)) != STMT_OK)
		goto out;
	if (settings != NULL)
		*settings = st;
	*out = c;
	c = NULL;
	errf(err, errlen, "ok");
out:
	config_free(c);
	plain_free(plain, plain_len);
	return ret;
}

static int parse_command(const uint8_t *plain, size_t len, struct sigconfig_command *cmd,
    char *err, size_t errlen)
{
	static const char *const keys[] = { "command", "camera", NULL };
	json_error_t je;
	json_t *doc, *v;
	const char *s;
	size_t i, sl;
	int ret = STMT_E_CONFIG;

	memset(cmd, 0, sizeof(*cmd));
	doc = json_loadb((const char *)plain, len, JSON_REJECT_DUPLICATES, &je);
	if (doc == NULL || !json_is_object(doc) || only_keys(doc, keys) != 0) {
		errf(err, errlen, "signed command: must be an object with command and camera");
		goto out;
	}
	v = json_object_get(doc, "command");
	if (v == NULL || !json_is_string(v) || (sl = json_string_length(v)) == 0 ||
	    sl >= SIGCONFIG_CMD_MAX) {
		errf(err, errlen, "command: must be a name of 1 to %d characters", SIGCONFIG_CMD_MAX - 1);
		goto out;
	}
	s = json_string_value(v);
	for (i = 0; i < sl; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || s[i] == '_')) {
			errf(err, errlen, "command: only lowercase letters and '_'");
			goto out;
		}
	memcpy(cmd->name, s, sl + 1);
	if ((v = json_object_get(doc, "camera")) != NULL) {
		if (!json_is_string(v) || json_string_length(v) != 2 * CAMERA_ID_LEN ||
		    hex_decode(json_string_value(v), cmd->camera_id, CAMERA_ID_LEN) != 0) {
			errf(err, errlen, "camera: must be %d hex characters", 2 * CAMERA_ID_LEN);
			goto out;
		}
		cmd->has_camera = 1;
	}
	ret = STMT_OK;
out:
	if (ret != STMT_OK)
		memset(cmd, 0, sizeof(*cmd));
	json_decref(doc);
	return ret;
}

int sigconfig_apply_command(struct sigconfig *sc, const uint8_t *p, size_t n, int64_t now_us,
    struct sigconfig_command *cmd, char *err, size_t errlen)
{
	struct sigconfig_command c;
	uint8_t *plain = NULL;
	size_t plain_len = 0;
	uint64_t seq = 0;
	int ret;

	memset(cmd, 0, sizeof(*cmd));
	if ((ret = open_sealed(sc, p, n, now_us, STMT_GATEWAY_COMMAND, &plain, &plain_len, &seq,
	    err, errlen)) != STMT_OK)
		goto out;
	if ((ret = parse_command(plain, plain_len, &c, err, errlen)) != STMT_OK)
		goto out;
	if ((ret = commit_seq(sc, seq, err, errlen)) != STMT_OK)
		goto out;
	*cmd = c;
	errf(err, errlen, "ok");
out:
	plain_free(plain, plain_len);
	return ret;
}
