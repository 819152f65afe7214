/* cfgfetch.c - polls the server for the gateway's org-signed configuration and commands, applies them with sigconfig, and keeps the last good configuration on disk. */
#include "gateway/cfgfetch.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <curl/curl.h>
#include <jansson.h>
#include <sodium.h>

#include "common/buf.h"
#include "common/util.h"
#include "gateway/auth.h"

#define CF_URL_MAX 1024
#define CF_PATH_MAX 4096
#define CF_HASH_LEN 32
#define CF_LAST_MAX (2u * STMT_MAX_LEN * (CFGFETCH_CERTS_MAX + 1) + 4096u)

struct cfgfetch {
	pthread_mutex_t mu;          /* guards everything below but the thread fields */
	struct sigconfig *sc;
	const struct config *local;
	uint8_t root_pk[STMT_KEY_LEN];
	char url[CF_URL_MAX];
	char last_path[CF_PATH_MAX];
	char state_path[CF_PATH_MAX];
	uint8_t *sk;                 /* sodium_malloc'd copy */
	int interval_ms;

	/* What the last answers held, so an unchanged answer is not re-applied and a refused
	 * statement is logged once, not on every poll. */
	uint8_t certs_hash[CF_HASH_LEN];
	uint8_t cfg_hash[CF_HASH_LEN];
	uint8_t cmds_hash[CF_HASH_LEN];
	int has_certs_hash, has_cfg_hash, has_cmds_hash;
	struct buf good_cfg;         /* the last accepted gateway.config statement */

	struct config *pending;
	struct sigconfig_settings pending_st;

	/* Streams watched live, from the answers' "watched" lists: each with when it was
	 * last named. */
	struct cf_watch {
		uint8_t cam[CAMERA_ID_LEN];
		uint8_t stream;
		int64_t at;
	} watched[CFGFETCH_WATCHED_MAX];
	size_t nwatched;
	struct cfgfetch_stats stats;

	pthread_t thread;
	int started;
	atomic_int stop;
};

/* One statement of an answer, to be applied in seq order. */
struct cf_item {
	uint8_t type;
	uint64_t seq;
	struct buf b;
};

static void cf_hash_json(json_t *v, uint8_t out[CF_HASH_LEN])
{
	char *s = v != NULL ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;

	crypto_generichash(out, CF_HASH_LEN, (const uint8_t *)(s != NULL ? s : ""),
	    s != NULL ? strlen(s) : 0, NULL, 0);
	free(s);
}

/* A hex JSON string into b (bounded by STMT_MAX_LEN bytes). 0 or -1. */
static int cf_hex(json_t *v, struct buf *b)
{
	const char *s;
	size_t n;

	buf_reset(b);
	if (!json_is_string(v))
		return -1;
	s = json_string_value(v);
	n = json_string_length(v);
	if (n == 0 || n % 2 != 0 || n / 2 > STMT_MAX_LEN || strlen(s) != n)
		return -1;
	if (buf_reserve(b, n / 2) != 0 || hex_decode(s, b->data, n / 2) != 0)
		return -1;
	b->len = n / 2;
	return 0;
}

/* The seq a statement claims (not yet verified), for ordering only; 0 when unparsable. */
static uint64_t cf_claimed_seq(const struct buf *b)
{
	struct stmt *s = NULL;
	uint64_t seq = 0;

	if (statement_parse(b->data, b->len, &s) == STMT_OK)
		seq = s->seq;
	statement_free(s);
	return seq;
}

static void cf_trust_certs(struct cfgfetch *cf, json_t *certs, int64_t now, int quiet)
{
	struct buf b;
	size_t i;
	int rc;

	buf_init(&b, STMT_MAX_LEN);
	for (i = 0; i < json_array_size(certs); i++) {
		if (cf_hex(json_array_get(certs, i), &b) != 0) {
			if (!quiet)
				log_warn("cfgfetch", "event=admin_cert_refused index=%zu error=\"not hex\"", i);
			continue;
		}
		rc = sigconfig_trust_admin(cf->sc, b.data, b.len, now);
		/* A cert already trusted comes back on every poll: REPLAY is the normal case. */
		if (rc != STMT_OK && rc != STMT_E_REPLAY && !quiet)
			log_warn("cfgfetch", "event=admin_cert_refused index=%zu error=\"%s\"", i,
			    statement_strerror(rc));
	}
	buf_free(&b);
}

/* Keep the accepted configuration and the certs that vouch for it, so a restart can
 * re-verify and run it before the server answers. */
static void cf_save_last(struct cfgfetch *cf, json_t *certs, const struct buf *cfg)
{
	json_t *doc = NULL, *arr = certs != NULL ? json_incref(certs) : json_array();
	char *hex = NULL, *text = NULL;

	if (arr == NULL || (hex = malloc(2 * cfg->len + 1)) == NULL) {
		json_decref(arr);
		goto out;
	}
	hex_encode(cfg->data, cfg->len, hex);
	/* "o" takes the reference to arr, also when packing fails. */
	doc = json_pack("{s:o, s:s}", "admin_certs", arr, "config", hex);
	if (doc == NULL || (text = json_dumps(doc, JSON_COMPACT)) == NULL)
		goto out;
	if (file_write_atomic(cf->last_path, text, strlen(text), 0600) != 0)
		log_warn("cfgfetch", "event=last_config_unsaved path=%s errno=%d", cf->last_path, errno);
out:
	free(text);
	free(hex);
	json_decref(doc);
}

/* Apply one statement; called with cf->mu held. 1 when a config was accepted. */
static int cf_apply_item(struct cfgfetch *cf, struct cf_item *it, json_t *certs, int64_t now)
{
	char err[256];
	struct config *c = NULL;
	struct sigconfig_settings st;
	struct sigconfig_command cmd;
	int rc;

	if (it->type == STMT_GATEWAY_CONFIG) {
		rc = sigconfig_apply_config(cf->sc, it->b.data, it->b.len, now, cf->local, &c, &st,
		    err, sizeof(err));
		if (rc != STMT_OK) {
			if (rc == STMT_E_REPLAY && cf->good_cfg.len == it->b.len &&
			    memcmp(cf->good_cfg.data, it->b.data, it->b.len) == 0) {
				log_info("cfgfetch", "event=config_current seq=%llu",
				    (unsigned long long)it->seq);
				return 0;
			}
			cf->stats.configs_refused++;
			/* err repeats the reason and, for an invalid body, names the field. */
			log_err("cfgfetch", "event=config_refused seq=%llu error=\"%s\" "
			    "action=\"keeping the last good configuration\"",
			    (unsigned long long)it->seq, err);
			return 0;
		}
		cf->stats.configs_applied++;
		log_info("cfgfetch", "event=config_applied seq=%llu cameras=%zu",
		    (unsigned long long)it->seq, c->ncameras);
		buf_reset(&cf->good_cfg);
		if (buf_put(&cf->good_cfg, it->b.data, it->b.len) != 0)
			buf_reset(&cf->good_cfg);
		cf_save_last(cf, certs, &it->b);
		config_free(cf->pending);
		cf->pending = c;
		cf->pending_st = st;
		return 1;
	}
	rc = sigconfig_apply_command(cf->sc, it->b.data, it->b.len, now, &cmd, err, sizeof(err));
	if (rc != STMT_OK) {
		cf->stats.commands_refused++;
		log_err("cfgfetch", "event=command_refused seq=%llu error=\"%s\"",
		    (unsigned long long)it->seq, statement_strerror(rc));
		return 0;
	}
	cf->stats.commands_applied++;
	if (cmd.has_camera) {
		char cam[2 * CAMERA_ID_LEN + 1];
		hex_encode(cmd.camera_id, CAMERA_ID_LEN, cam);
		log_info("cfgfetch", "event=command seq=%llu name=%s camera=%s result=\"no such "
		    "command on this gateway version, acknowledged\"", (unsigned long long)it->seq,
		    cmd.name, cam);
	} else {
		log_info("cfgfetch", "event=command seq=%llu name=%s result=\"no such command on "
		    "this gateway version, acknowledged\"", (unsigned long long)it->seq, cmd.name);
	}
	return 0;
}

static int cf_item_add(struct cf_item *items, size_t *n, uint8_t type, json_t *v)
{
	struct cf_item *it = &items[*n];

	it->type = type;
	buf_init(&it->b, STMT_MAX_LEN);
	(*n)++;
	if (cf_hex(v, &it->b) != 0)
		return -1;
	it->seq = cf_claimed_seq(&it->b);
	return 0;
}

/* Values a well-formed answer can hold: the object, its three members, the certs and the
 * commands, with room to spare. */
#define CF_JSON_VALUES_MAX (16 + CFGFETCH_CERTS_MAX + CFGFETCH_COMMANDS_MAX + \
	CFGFETCH_WATCHED_MAX)

/* At most max values in the JSON text p (objects, arrays and the commas between values,
 * counted outside strings), so that json_loadb never builds a large tree: 4 MiB of "[],"
 * from a hostile server became ~190 MB of jansson nodes, every poll. */
static int cf_json_small(const uint8_t *p, size_t n, size_t max)
{
	size_t i, count = 0;
	int in_str = 0, esc = 0;

	for (i = 0; i < n; i++) {
		if (in_str) {
			if (esc)
				esc = 0;
			else if (p[i] == '\\')
				esc = 1;
			else if (p[i] == '"')
				in_str = 0;
			continue;
		}
		if (p[i] == '"')
			in_str = 1;
		else if ((p[i] == '{' || p[i] == '[' || p[i] == ',') && ++count > max)
			return 0;
	}
	return 1;
}

/* Note the streams of a "watched" list ("CAMERAHEX:STREAM" each) as seen at now; entries
 * that do not parse are skipped, a full table keeps its newest. The mutex is held. */
static void cf_note_watched(struct cfgfetch *cf, json_t *list, int64_t now)
{
	uint8_t cam[CAMERA_ID_LEN];
	char hex[2 * CAMERA_ID_LEN + 1];
	const char *s;
	int64_t st;
	size_t i, k, oldest;

	for (i = 0; i < json_array_size(list); i++) {
		s = json_string_value(json_array_get(list, i));
		if (s == NULL || strlen(s) < 2 * CAMERA_ID_LEN + 2 || s[2 * CAMERA_ID_LEN] != ':')
			continue;
		memcpy(hex, s, 2 * CAMERA_ID_LEN);
		hex[2 * CAMERA_ID_LEN] = '\0';
		if (hex_decode(hex, cam, sizeof(cam)) != 0 ||
		    parse_i64(s + 2 * CAMERA_ID_LEN + 1, 0, 255, &st) != 0)
			continue;
		oldest = 0;
		for (k = 0; k < cf->nwatched; k++) {
			if (cf->watched[k].stream == (uint8_t)st &&
			    memcmp(cf->watched[k].cam, cam, CAMERA_ID_LEN) == 0)
				break;
			if (cf->watched[k].at < cf->watched[oldest].at)
				oldest = k;
		}
		if (k == cf->nwatched) {
			if (cf->nwatched < CFGFETCH_WATCHED_MAX)
				cf->nwatched++;
			else
				k = oldest;
			memcpy(cf->watched[k].cam, cam, CAMERA_ID_LEN);
			cf->watched[k].stream = (uint8_t)st;
		}
		cf->watched[k].at = now;
	}
}

int cfgfetch_watched(struct cfgfetch *cf, const uint8_t camera_id[16], uint8_t stream,
    int64_t now_us)
{
	size_t k;
	int r = 0;

	pthread_mutex_lock(&cf->mu);
	for (k = 0; k < cf->nwatched && !r; k++)
		r = cf->watched[k].stream == stream &&
		    memcmp(cf->watched[k].cam, camera_id, CAMERA_ID_LEN) == 0 &&
		    now_us - cf->watched[k].at < CFGFETCH_WATCH_HOLD_US;
	pthread_mutex_unlock(&cf->mu);
	return r;
}

int cfgfetch_apply(struct cfgfetch *cf, const uint8_t *body, size_t n, int64_t now)
{
	struct cf_item items[CFGFETCH_COMMANDS_MAX + 1];
	uint8_t h_certs[CF_HASH_LEN], h_cfg[CF_HASH_LEN], h_cmds[CF_HASH_LEN];
	json_t *doc = NULL, *certs, *cfg, *cmds, *watched;
	size_t nitems = 0, i, j;
	int ret = -1, got = 0;

	pthread_mutex_lock(&cf->mu);
	if (n > CFGFETCH_BODY_MAX || !cf_json_small(body, n, CF_JSON_VALUES_MAX))
		goto out;
	doc = json_loadb((const char *)body, n, JSON_REJECT_DUPLICATES, NULL);
	if (doc == NULL || !json_is_object(doc))
		goto out;
	certs = json_object_get(doc, "admin_certs");
	cfg = json_object_get(doc, "config");
	cmds = json_object_get(doc, "commands");
	watched = json_object_get(doc, "watched");
	if ((certs != NULL && (!json_is_array(certs) ||
	    json_array_size(certs) > CFGFETCH_CERTS_MAX)) ||
	    (cfg != NULL && !json_is_null(cfg) && !json_is_string(cfg)) ||
	    (cmds != NULL && (!json_is_array(cmds) ||
	    json_array_size(cmds) > CFGFETCH_COMMANDS_MAX)) ||
	    (watched != NULL && (!json_is_array(watched) ||
	    json_array_size(watched) > CFGFETCH_WATCHED_MAX)))
		goto out;
	if (watched != NULL)
		cf_note_watched(cf, watched, now);
	if (json_is_null(cfg))
		cfg = NULL;

	/* Admin certs first: a config signed by a newly certified admin needs them. */
	cf_hash_json(certs, h_certs);
	if (certs != NULL && (!cf->has_certs_hash || memcmp(h_certs, cf->certs_hash, CF_HASH_LEN) != 0))
		cf_trust_certs(cf, certs, now, 0);
	memcpy(cf->certs_hash, h_certs, CF_HASH_LEN);
	cf->has_certs_hash = 1;

	cf_hash_json(cfg, h_cfg);
	if (cfg != NULL && (!cf->has_cfg_hash || memcmp(h_cfg, cf->cfg_hash, CF_HASH_LEN) != 0) &&
	    cf_item_add(items, &nitems, STMT_GATEWAY_CONFIG, cfg) != 0)
		goto out;
	cf_hash_json(cmds, h_cmds);
	if (cmds != NULL && (!cf->has_cmds_hash || memcmp(h_cmds, cf->cmds_hash, CF_HASH_LEN) != 0))
		for (i = 0; i < json_array_size(cmds); i++)
			if (cf_item_add(items, &nitems, STMT_GATEWAY_COMMAND, json_array_get(cmds, i)) != 0)
				goto out;
	memcpy(cf->cfg_hash, h_cfg, CF_HASH_LEN);
	memcpy(cf->cmds_hash, h_cmds, CF_HASH_LEN);
	cf->has_cfg_hash = cf->has_cmds_hash = 1;

	/* In seq order, or a config between two commands would be refused as a replay. */
	for (i = 1; i < nitems; i++)
		for (j = i; j > 0 && items[j - 1].seq > items[j].seq; j--) {
			struct cf_item t = items[j];
			items[j] = items[j - 1];
			items[j - 1] = t;
		}
	for (i = 0; i < nitems; i++)
		if (cf_apply_item(cf, &items[i], certs, now) == 1)
			got = 1;
	ret = got;
out:
	if (ret < 0) {
		cf->stats.answers_malformed++;
		log_warn("cfgfetch", "event=answer_malformed msg=\"the server's configuration answer "
		    "is not the documented JSON; ignored\"");
	}
	for (i = 0; i < nitems; i++)
		buf_free(&items[i].b);
	json_decref(doc);
	pthread_mutex_unlock(&cf->mu);
	return ret;
}

/* Remove the scratch state of a restore and the admins it trusted (sigconfig.c saves
 * them beside its state file). */
static void cf_unlink_boot(const char *boot)
{
	char admins[CF_PATH_MAX + 16];

	unlink(boot);
	snprintf(admins, sizeof(admins), "%s.admins", boot);
	unlink(admins);
}

/* Re-verify the saved last configuration against the pinned root with a scratch replay
 * counter: the saved statement was already accepted once, so its seq is at or below the
 * real counter, which stays untouched. */
static void cf_restore(struct cfgfetch *cf)
{
	char boot[CF_PATH_MAX + 8], err[256];
	struct sigconfig *tmp = NULL;
	struct config *c = NULL;
	struct sigconfig_settings st;
	struct buf text, stmt;
	json_t *doc = NULL, *certs;
	uint64_t last;
	int has = 0, rc;

	buf_init(&text, CF_LAST_MAX);
	buf_init(&stmt, STMT_MAX_LEN);
	if (file_read(cf->last_path, &text, CF_LAST_MAX) != 0)
		goto out;   /* nothing saved yet */
	doc = json_loadb((const char *)text.data, text.len, JSON_REJECT_DUPLICATES, NULL);
	certs = doc != NULL ? json_object_get(doc, "admin_certs") : NULL;
	if (doc == NULL || !json_is_array(certs) || json_array_size(certs) > CFGFETCH_CERTS_MAX ||
	    cf_hex(json_object_get(doc, "config"), &stmt) != 0) {
		log_warn("cfgfetch", "event=last_config_unreadable path=%s", cf->last_path);
		goto out;
	}
	last = sigconfig_last_seq(cf->sc, &has);
	if (!has || cf_claimed_seq(&stmt) > last) {
		log_warn("cfgfetch", "event=last_config_ignored path=%s msg=\"newer than the replay "
		    "counter\"", cf->last_path);
		goto out;
	}
	snprintf(boot, sizeof(boot), "%s.boot", cf->state_path);
	cf_unlink_boot(boot);
	if (sigconfig_open(&tmp, cf->root_pk, cf->sk, boot) != STMT_OK)
		goto out;
	cf_trust_certs(cf, certs, now_us(), 1);
	{
		struct sigconfig *real = cf->sc;
		cf->sc = tmp;
		cf_trust_certs(cf, certs, now_us(), 1);
		cf->sc = real;
	}
	rc = sigconfig_apply_config(tmp, stmt.data, stmt.len, now_us(), cf->local, &c, &st, err,
	    sizeof(err));
	cf_unlink_boot(boot);
	if (rc != STMT_OK) {
		log_err("cfgfetch", "event=last_config_refused error=\"%s\" msg=\"%s\"",
		    statement_strerror(rc), err);
		goto out;
	}
	log_info("cfgfetch", "event=config_restored seq=%llu cameras=%zu",
	    (unsigned long long)cf_claimed_seq(&stmt), c->ncameras);
	buf_reset(&cf->good_cfg);
	if (buf_put(&cf->good_cfg, stmt.data, stmt.len) != 0)
		buf_reset(&cf->good_cfg);
	cf->pending = c;
	cf->pending_st = st;
	c = NULL;
out:
	config_free(c);
	sigconfig_close(tmp);
	json_decref(doc);
	buf_free(&text);
	buf_free(&stmt);
}

int cfgfetch_open(struct cfgfetch **out, const struct cfgfetch_params *p, char *err,
    size_t errlen)
{
	struct cfgfetch *cf = NULL;
	size_t n;
	int ret = STMT_E_ARG;

	*out = NULL;
	if (p == NULL || p->server_url == NULL || p->sk == NULL || p->root_pk == NULL ||
	    p->state_path == NULL || p->last_path == NULL || p->local == NULL ||
	    strlen(p->state_path) >= CF_PATH_MAX || strlen(p->last_path) >= CF_PATH_MAX) {
		errf(err, errlen, "signed configuration: bad arguments");
		goto out;
	}
	n = strlen(p->server_url);
	while (n > 0 && p->server_url[n - 1] == '/')
		n--;
	if (n == 0 || n >= CF_URL_MAX - 64) {
		errf(err, errlen, "server: URL too long");
		goto out;
	}
	ret = STMT_E_NOMEM;
	if ((cf = calloc(1, sizeof(*cf))) == NULL)
		goto out;
	pthread_mutex_init(&cf->mu, NULL);
	atomic_init(&cf->stop, 0);
	buf_init(&cf->good_cfg, STMT_MAX_LEN);
	if ((cf->sk = sodium_malloc(GATEWAY_SK_LEN)) == NULL)
		goto out;
	memcpy(cf->sk, p->sk, GATEWAY_SK_LEN);
	memcpy(cf->root_pk, p->root_pk, STMT_KEY_LEN);
	memcpy(cf->url, p->server_url, n);
	cf->url[n] = '\0';
	memcpy(cf->state_path, p->state_path, strlen(p->state_path) + 1);
	memcpy(cf->last_path, p->last_path, strlen(p->last_path) + 1);
	cf->local = p->local;
	cf->interval_ms = p->interval_ms > 0 ? p->interval_ms : CFGFETCH_INTERVAL_MS;
	if ((ret = sigconfig_open(&cf->sc, p->root_pk, p->sk, p->state_path)) != STMT_OK) {
		errf(err, errlen, "%s: %s (the replay counter is damaged or belongs to another "
		    "organization)", p->state_path, statement_strerror(ret));
		goto out;
	}
	cf_restore(cf);
	*out = cf;
	cf = NULL;
	ret = STMT_OK;
out:
	cfgfetch_close(cf);
	return ret;
}

static size_t cf_sink(char *p, size_t size, size_t nmemb, void *ctx)
{
	struct buf *b = ctx;

	if (buf_put(b, p, size * nmemb) != 0)
		return 0;
	return size * nmemb;
}

static int cf_cancel(void *ctx)
{
	struct cfgfetch *cf = ctx;

	return atomic_load(&cf->stop);
}

static int cf_progress(void *ctx, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	return cf_cancel(ctx);
}

static void cf_sleep(struct cfgfetch *cf, int ms)
{
	struct timespec ts = { 0, 50 * 1000000L };

	while (ms > 0 && !atomic_load(&cf->stop)) {
		nanosleep(&ts, NULL);
		ms -= 50;
	}
}

/* One GET of the config route. Returns the HTTP status, or 0 on a transport error. */
static long cf_get(struct cfgfetch *cf, CURL *easy, const char *tok, struct buf *resp)
{
	char url[CF_URL_MAX + 64], hdr[AUTH_TOKEN_MAX + 32];
	struct curl_slist *hdrs = NULL;
	long code = 0;
	CURLcode rc;

	snprintf(url, sizeof(url), "%s/api/v1/gateway/config?after=%llu", cf->url,
	    (unsigned long long)cfgfetch_seq(cf));
	snprintf(hdr, sizeof(hdr), "Authorization: Bearer %s", tok);
	hdrs = curl_slist_append(hdrs, hdr);
	sodium_memzero(hdr, sizeof(hdr));
	buf_reset(resp);
	curl_easy_reset(easy);
	curl_easy_setopt(easy, CURLOPT_URL, url);
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
	curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, 15000L);
	curl_easy_setopt(easy, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, cf_sink);
	curl_easy_setopt(easy, CURLOPT_WRITEDATA, resp);
	curl_easy_setopt(easy, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(easy, CURLOPT_XFERINFOFUNCTION, cf_progress);
	curl_easy_setopt(easy, CURLOPT_XFERINFODATA, cf);
	rc = curl_easy_perform(easy);
	curl_easy_setopt(easy, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(hdrs);
	if (rc == CURLE_OK)
		curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);
	return code;
}

static void *cf_main(void *arg)
{
	struct cfgfetch *cf = arg;
	struct auth *a = auth_new(cf->url, cf->sk);
	CURL *easy = curl_easy_init();
	char tok[AUTH_TOKEN_MAX];
	struct buf resp;
	long code, last_code = 200, ra;

	buf_init(&resp, CFGFETCH_BODY_MAX);
	if (a == NULL || easy == NULL) {
		log_err("cfgfetch", "event=fetch_stopped reason=\"out of memory\"");
		goto out;
	}
	while (!atomic_load(&cf->stop)) {
		if (auth_token(a, easy, tok, sizeof(tok), &ra, cf_cancel, cf) != 0) {
			cf_sleep(cf, ra > cf->interval_ms ? (int)ra : cf->interval_ms);
			continue;
		}
		code = cf_get(cf, easy, tok, &resp);
		if (code == 200) {
			cfgfetch_apply(cf, resp.data, resp.len, now_us());
		} else if (code == 401) {
			auth_invalidate(a, tok);
		} else if (code != last_code) {
			log_warn("cfgfetch", "event=fetch_failed status=%ld msg=\"%s\"", code,
			    code == 0 ? "server unreachable" : "server refused the request");
		}
		if (code == 200 && last_code != 200)
			log_info("cfgfetch", "event=fetch_ok");
		last_code = code;
		sodium_memzero(tok, sizeof(tok));
		cf_sleep(cf, cf->interval_ms);
	}
out:
	sodium_memzero(tok, sizeof(tok));
	buf_free(&resp);
	if (easy != NULL)
		curl_easy_cleanup(easy);
	auth_free(a);
	return NULL;
}

int cfgfetch_start(struct cfgfetch *cf)
{
	if (cf == NULL || cf->started)
		return -1;
	if (pthread_create(&cf->thread, NULL, cf_main, cf) != 0)
		return -1;
	cf->started = 1;
	return 0;
}

void cfgfetch_close(struct cfgfetch *cf)
{
	if (cf == NULL)
		return;
	atomic_store(&cf->stop, 1);
	if (cf->started)
		pthread_join(cf->thread, NULL);
	sigconfig_close(cf->sc);
	config_free(cf->pending);
	buf_free(&cf->good_cfg);
	sodium_free(cf->sk);
	pthread_mutex_destroy(&cf->mu);
	free(cf);
}

int cfgfetch_take(struct cfgfetch *cf, struct config **cfg, struct sigconfig_settings *st)
{
	int ret = 0;

	pthread_mutex_lock(&cf->mu);
	if (cf->pending != NULL) {
		*cfg = cf->pending;
		cf->pending = NULL;
		if (st != NULL)
			*st = cf->pending_st;
		ret = 1;
	}
	pthread_mutex_unlock(&cf->mu);
	return ret;
}

uint64_t cfgfetch_seq(struct cfgfetch *cf)
{
	uint64_t s;

	pthread_mutex_lock(&cf->mu);
	s = sigconfig_last_seq(cf->sc, NULL);
	pthread_mutex_unlock(&cf->mu);
	return s;
}

void cfgfetch_get_stats(struct cfgfetch *cf, struct cfgfetch_stats *st)
{
	pthread_mutex_lock(&cf->mu);
	*st = cf->stats;
	pthread_mutex_unlock(&cf->mu);
}
