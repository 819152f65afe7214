/* enrollc.c - vigil-gateway enroll: makes or loads the gateway key, sends the enrollment request, waits for the admin's certificate, checks it against the typed fingerprint and pins the org root. */
#include "gateway/enrollc.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <curl/curl.h>
#include <jansson.h>
#include <sodium.h>

#include "common/buf.h"
#include "common/util.h"
#include "gateway/sigconfig.h"

#define KEY_HEX_LEN (2 * GATEWAY_SK_LEN)
#define EC_URL_MAX 1024
#define EC_PATH_MAX (PATH_MAX + 64)
#define STATE_MAGIC "VGSIGC01"   /* sigconfig.c's state layout: magic | org id | seq */

int enrollc_key_load(const char *path, uint8_t sk[GATEWAY_SK_LEN])
{
	uint8_t pk[GATEWAY_ID_LEN], sk2[GATEWAY_SK_LEN];
	struct stat st;
	struct buf b;
	int ret = -1;

	buf_init(&b, KEY_HEX_LEN + 2);
	if (stat(path, &st) != 0) {
		log_err("gateway", "event=key_unreadable path=%s errno=%d", path, errno);
		goto out;
	}
	if ((st.st_mode & 077) != 0) {
		log_err("gateway", "event=key_mode path=%s msg=\"key file must be mode 0600\"", path);
		goto out;
	}
	if (file_read(path, &b, KEY_HEX_LEN + 2) != 0) {
		log_err("gateway", "event=key_unreadable path=%s", path);
		goto out;
	}
	if (b.len == KEY_HEX_LEN + 1 && b.data[KEY_HEX_LEN] == '\n')
		b.len--;
	if (b.len != KEY_HEX_LEN || buf_put_u8(&b, 0) != 0 ||
	    hex_decode((const char *)b.data, sk, GATEWAY_SK_LEN) != 0) {
		log_err("gateway", "event=key_invalid path=%s msg=\"expected 128 hex characters\"",
		    path);
		goto out;
	}
	/* The secret key is seed || public key: regenerate it from the seed to catch a
	 * damaged file before it signs anything. */
	crypto_sign_seed_keypair(pk, sk2, sk);
	if (sodium_memcmp(sk2, sk, GATEWAY_SK_LEN) != 0) {
		log_err("gateway", "event=key_invalid path=%s msg=\"public half does not match\"", path);
		goto out;
	}
	ret = 0;
out:
	sodium_memzero(sk2, sizeof(sk2));
	if (ret != 0)
		sodium_memzero(sk, GATEWAY_SK_LEN);
	sodium_memzero(b.data, b.cap);
	buf_free(&b);
	return ret;
}

int enrollc_key_create(const char *path, uint8_t sk[GATEWAY_SK_LEN])
{
	uint8_t pk[GATEWAY_ID_LEN];
	char *hex = sodium_malloc(KEY_HEX_LEN + 2);
	char *dir = NULL;
	int fd = -1, ret = -1;

	if (hex == NULL)
		goto out;
	crypto_sign_keypair(pk, sk);
	hex_encode(sk, GATEWAY_SK_LEN, hex);
	hex[KEY_HEX_LEN] = '\n';
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		log_err("gateway", "event=keygen_failed path=%s msg=\"%s\"", path,
		    errno == EEXIST ? "file exists, not overwriting" : strerror(errno));
		goto out;
	}
	if (write(fd, hex, KEY_HEX_LEN + 1) != KEY_HEX_LEN + 1 || fsync(fd) != 0) {
		log_err("gateway", "event=keygen_failed path=%s errno=%d", path, errno);
		close(fd);
		fd = -1;
		unlink(path);
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		unlink(path);
		goto out;
	}
	fd = -1;
	if ((dir = strdup(path)) != NULL)
		fsync_dir(dirname(dir));
	ret = 0;
out:
	if (ret != 0)
		sodium_memzero(sk, GATEWAY_SK_LEN);
	free(dir);
	sodium_free(hex);
	return ret;
}

int enrollc_pin_load(const char *path, uint8_t root_pk[STMT_KEY_LEN])
{
	struct buf b;
	int ret = -1;

	buf_init(&b, 2 * STMT_KEY_LEN + 2);
	if (file_read(path, &b, 2 * STMT_KEY_LEN + 2) != 0) {
		ret = errno == ENOENT ? 1 : -1;
		if (ret < 0)
			log_err("gateway", "event=pin_unreadable path=%s errno=%d", path, errno);
		goto out;
	}
	if (b.len == 2 * STMT_KEY_LEN + 1 && b.data[2 * STMT_KEY_LEN] == '\n')
		b.len--;
	if (b.len != 2 * STMT_KEY_LEN || buf_put_u8(&b, 0) != 0 ||
	    hex_decode((const char *)b.data, root_pk, STMT_KEY_LEN) != 0) {
		log_err("gateway", "event=pin_invalid path=%s msg=\"expected 64 hex characters\"", path);
		goto out;
	}
	ret = 0;
out:
	buf_free(&b);
	return ret;
}

/* A hex JSON string (or null when may_null) into b. 0, 1 for null, -1 when malformed. */
static int ec_hex(json_t *v, struct buf *b, int may_null)
{
	size_t n;

	buf_reset(b);
	if (may_null && (v == NULL || json_is_null(v)))
		return 1;
	if (!json_is_string(v))
		return -1;
	n = json_string_length(v);
	if (n == 0 || n % 2 != 0 || n / 2 > STMT_MAX_LEN || strlen(json_string_value(v)) != n ||
	    buf_reserve(b, n / 2) != 0 || hex_decode(json_string_value(v), b->data, n / 2) != 0)
		return -1;
	b->len = n / 2;
	return 0;
}

int enrollc_check_result(const struct enroll_code *c, const uint8_t *body, size_t n,
    const uint8_t sign_pk[STMT_KEY_LEN], const uint8_t box_pk[STMT_KEY_LEN], int64_t now,
    uint8_t root_pk[STMT_KEY_LEN], char *msg, size_t msglen)
{
	struct buf root, admin, cert;
	json_t *doc = NULL;
	int has_admin, ret = STMT_E_FORMAT;

	buf_init(&root, STMT_MAX_LEN);
	buf_init(&admin, STMT_MAX_LEN);
	buf_init(&cert, STMT_MAX_LEN);
	if (n <= ENROLLC_RESULT_MAX)
		doc = json_loadb((const char *)body, n, JSON_REJECT_DUPLICATES, NULL);
	if (doc == NULL || !json_is_object(doc) ||
	    ec_hex(json_object_get(doc, "org_root"), &root, 0) != 0 ||
	    (has_admin = ec_hex(json_object_get(doc, "admin_cert"), &admin, 1)) < 0 ||
	    ec_hex(json_object_get(doc, "cert"), &cert, 0) != 0) {
		errf(msg, msglen, "refused: the server's enrollment answer is malformed — do not "
		    "continue; report it to your admin");
		goto out;
	}
	ret = enroll_finish(c, root.data, root.len, has_admin == 0 ? admin.data : NULL,
	    has_admin == 0 ? admin.len : 0, cert.data, cert.len, ENROLL_GATEWAY, sign_pk, box_pk,
	    now, root_pk);
	switch (ret) {
	case STMT_OK:
		errf(msg, msglen, "ok");
		break;
	case STMT_E_FINGERPRINT:
		errf(msg, msglen, "refused: the server's org key does not match the fingerprint you "
		    "typed — do not continue; check the fingerprint with your admin");
		break;
	case STMT_E_TARGET:
		errf(msg, msglen, "refused: the certificate the server returned is not for this "
		    "gateway's key — do not continue; report it to your admin");
		break;
	case STMT_E_ISSUER:
	case STMT_E_UNCERTIFIED:
	case STMT_E_SIGNATURE:
	case STMT_E_ORG:
		errf(msg, msglen, "refused: the certificate is not signed by the organization whose "
		    "fingerprint you typed (%s) — do not continue; report it to your admin",
		    statement_strerror(ret));
		break;
	default:
		errf(msg, msglen, "refused: the server's enrollment answer does not verify (%s) — "
		    "do not continue; report it to your admin", statement_strerror(ret));
		break;
	}
out:
	json_decref(doc);
	buf_free(&root);
	buf_free(&admin);
	buf_free(&cert);
	return ret;
}

static int ec_path(char *out, size_t n, const char *dir, const char *name)
{
	int r = snprintf(out, n, "%s/%s", dir, name);

	return r < 0 || (size_t)r >= n ? -1 : 0;
}

int enrollc_write_files(const char *dir, const char *server, const uint8_t root_pk[STMT_KEY_LEN],
    char *msg, size_t msglen)
{
	char path[EC_PATH_MAX], keyp[EC_PATH_MAX], spool[EC_PATH_MAX];
	char hex[2 * STMT_KEY_LEN + 2];
	uint8_t state[SIGCONFIG_STATE_LEN];
	json_t *doc = NULL;
	char *text = NULL;
	int ret = -1;

	if (dir[0] != '/' || ec_path(keyp, sizeof(keyp), dir, ENROLLC_KEY_FILE) != 0 ||
	    ec_path(spool, sizeof(spool), dir, ENROLLC_SPOOL_DIR) != 0) {
		errf(msg, msglen, "the directory path is too long or not absolute");
		goto out;
	}
	/* The replay counter starts at seq 0 bound to this org: a counter of another org is
	 * refused by sigconfig rather than silently reset. */
	memcpy(state, STATE_MAGIC, 8);
	statement_org_id(root_pk, state + 8);
	be_put64(state + 8 + STMT_ORG_ID_LEN, 0);
	if (ec_path(path, sizeof(path), dir, ENROLLC_STATE_FILE) != 0 ||
	    file_write_atomic(path, state, sizeof(state), 0600) != 0) {
		errf(msg, msglen, "cannot write %s/%s", dir, ENROLLC_STATE_FILE);
		goto out;
	}
	doc = json_pack("{s:s, s:s, s:s, s:I, s:i}", "server", server, "key_file", keyp,
	    "spool_dir", spool, "spool_max_bytes", (json_int_t)ENROLLC_SPOOL_BYTES,
	    "segment_target_ms", 2000);
	if (doc == NULL || (text = json_dumps(doc, JSON_INDENT(2))) == NULL ||
	    ec_path(path, sizeof(path), dir, ENROLLC_CONFIG_FILE) != 0 ||
	    file_write_atomic(path, text, strlen(text), 0600) != 0) {
		errf(msg, msglen, "cannot write %s/%s", dir, ENROLLC_CONFIG_FILE);
		goto out;
	}
	/* The pin last: its presence means "enrolled", so it must not exist without the rest. */
	hex_encode(root_pk, STMT_KEY_LEN, hex);
	hex[2 * STMT_KEY_LEN] = '\n';
	if (ec_path(path, sizeof(path), dir, ENROLLC_PIN_FILE) != 0 ||
	    file_write_atomic(path, hex, 2 * STMT_KEY_LEN + 1, 0600) != 0) {
		errf(msg, msglen, "cannot write %s/%s", dir, ENROLLC_PIN_FILE);
		goto out;
	}
	ret = 0;
out:
	free(text);
	json_decref(doc);
	return ret;
}

static size_t ec_sink(char *p, size_t size, size_t nmemb, void *ctx)
{
	struct buf *b = ctx;

	if (buf_put(b, p, size * nmemb) != 0)
		return 0;
	return size * nmemb;
}

/* POST a JSON body; returns the HTTP status (0 on a transport error), answer in resp. */
static long ec_post(CURL *easy, const char *url, const char *body, struct buf *resp)
{
	struct curl_slist *hdrs = NULL;
	long code = 0;

	buf_reset(resp);
	curl_easy_reset(easy);
	hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	hdrs = curl_slist_append(hdrs, "Expect:");
	curl_easy_setopt(easy, CURLOPT_URL, url);
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
	curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, 15000L);
	curl_easy_setopt(easy, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(easy, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, ec_sink);
	curl_easy_setopt(easy, CURLOPT_WRITEDATA, resp);
	if (curl_easy_perform(easy) == CURLE_OK)
		curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_setopt(easy, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(hdrs);
	return code;
}

static void ec_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Make DIR, resolve it to an absolute path, refuse one already enrolled. */
static int ec_dir(const char *dir, char *abs, char *msg, size_t msglen)
{
	char path[EC_PATH_MAX];
	struct stat st;

	if (mkdir_p(dir, 0700) != 0 || realpath(dir, abs) == NULL) {
		errf(msg, msglen, "cannot create the directory %s", dir);
		return -1;
	}
	if (ec_path(path, sizeof(path), abs, ENROLLC_PIN_FILE) != 0 ||
	    ec_path(path, sizeof(path), abs, ENROLLC_KEY_FILE) != 0) {
		errf(msg, msglen, "the directory path is too long");
		return -1;
	}
	ec_path(path, sizeof(path), abs, ENROLLC_PIN_FILE);
	if (stat(path, &st) == 0) {
		errf(msg, msglen, "%s is already enrolled (%s exists): use a new directory to "
		    "enroll again", abs, ENROLLC_PIN_FILE);
		return -1;
	}
	return 0;
}

int enrollc_run(const struct enrollc_params *p, char gw_id[2 * GATEWAY_ID_LEN + 1], char *msg,
    size_t msglen)
{
	struct enroll_code code;
	struct enroll_request r;
	uint8_t req[ENROLL_REQUEST_LEN], root_pk[STMT_KEY_LEN];
	uint8_t sign_pk[STMT_KEY_LEN], box_pk[STMT_KEY_LEN];
	uint8_t *sk = sodium_malloc(GATEWAY_SK_LEN);
	char absdir[PATH_MAX], keyp[EC_PATH_MAX], base[EC_URL_MAX], url[EC_URL_MAX + 128];
	char reqhex[2 * ENROLL_REQUEST_LEN + 1], idhex[2 * ENROLL_ID_LEN + 1];
	char tokhex[2 * ENROLL_TOKEN_LEN + 1];
	char *body = NULL;
	json_t *j = NULL;
	struct buf resp;
	CURL *easy = NULL;
	struct stat st;
	int64_t deadline;
	long status;
	size_t n;
	int ret = -1, wait_s, poll_ms, said = 0;

	memset(&code, 0, sizeof(code));
	buf_init(&resp, ENROLLC_RESULT_MAX);
	gw_id[0] = '\0';
	if (sk == NULL) {
		errf(msg, msglen, "out of memory");
		goto out;
	}
	n = strlen(p->server);
	while (n > 0 && p->server[n - 1] == '/')
		n--;
	if (n == 0 || n >= sizeof(base) || (strncmp(p->server, "http://", 7) != 0 &&
	    strncmp(p->server, "https://", 8) != 0)) {
		errf(msg, msglen, "--server must be an http:// or https:// URL");
		goto out;
	}
	memcpy(base, p->server, n);
	base[n] = '\0';
	if (enroll_code_parse(p->code, p->org, &code) != STMT_OK) {
		errf(msg, msglen, "the code or the org fingerprint is malformed: copy both again "
		    "from your admin's screen (the fingerprint is 40 digits in groups of 5)");
		goto out;
	}
	if (ec_dir(p->dir, absdir, msg, msglen) != 0)
		goto out;
	ec_path(keyp, sizeof(keyp), absdir, ENROLLC_KEY_FILE);
	if (stat(keyp, &st) == 0 ? enrollc_key_load(keyp, sk) != 0 : enrollc_key_create(keyp, sk) != 0) {
		errf(msg, msglen, "cannot use the gateway key %s", keyp);
		goto out;
	}
	crypto_sign_ed25519_sk_to_pk(sign_pk, sk);
	if (crypto_sign_ed25519_pk_to_curve25519(box_pk, sign_pk) != 0 ||
	    enroll_request_build(&code, ENROLL_GATEWAY, sign_pk, box_pk, req) != STMT_OK ||
	    enroll_request_parse(req, sizeof(req), &r) != STMT_OK) {
		errf(msg, msglen, "cannot build the enrollment request");
		goto out;
	}
	hex_encode(sign_pk, GATEWAY_ID_LEN, gw_id);
	hex_encode(req, sizeof(req), reqhex);
	hex_encode(r.id, ENROLL_ID_LEN, idhex);
	hex_encode(r.token, ENROLL_TOKEN_LEN, tokhex);
	if ((easy = curl_easy_init()) == NULL) {
		errf(msg, msglen, "cannot initialise libcurl");
		goto out;
	}

	if ((j = json_pack("{s:s}", "request", reqhex)) == NULL ||
	    (body = json_dumps(j, JSON_COMPACT)) == NULL)
		goto out;
	snprintf(url, sizeof(url), "%s/api/v1/enroll", base);
	status = ec_post(easy, url, body, &resp);
	switch (status) {
	case 202:
	case 200:
		break;
	case 409:
		/* Our own earlier request (a rerun after a timeout): the result decides. */
		log_info("enroll", "event=request_exists msg=\"already requested, waiting for the result\"");
		break;
	case 0:
		errf(msg, msglen, "cannot reach the server at %s", base);
		goto out;
	case 403:
	case 404:
		errf(msg, msglen, "refused: the server does not accept this code (unknown, used or "
		    "expired); ask your admin for a new one");
		goto out;
	case 429:
		errf(msg, msglen, "the server is throttling this address; wait a minute and retry");
		goto out;
	default:
		errf(msg, msglen, "the server refused the enrollment request (HTTP %ld)", status);
		goto out;
	}
	free(body);
	json_decref(j);
	if ((j = json_pack("{s:s}", "token", tokhex)) == NULL ||
	    (body = json_dumps(j, JSON_COMPACT)) == NULL)
		goto out;
	snprintf(url, sizeof(url), "%s/api/v1/enroll/%s/result", base, idhex);
	wait_s = p->wait_s > 0 ? p->wait_s : ENROLLC_WAIT_S;
	poll_ms = p->poll_ms > 0 ? p->poll_ms : ENROLLC_POLL_MS;
	deadline = mono_us() + (int64_t)wait_s * 1000000;
	for (;;) {
		status = ec_post(easy, url, body, &resp);
		if (status == 200)
			break;
		if (status == 403 || status == 404 || status == 410) {
			errf(msg, msglen, "refused: the server no longer accepts this code (expired or "
			    "withdrawn); ask your admin for a new one");
			goto out;
		}
		if (!said) {
			fprintf(stderr, "vigil-gateway: waiting for an admin to approve gateway %s\n",
			    gw_id);
			said = 1;
		}
		if (mono_us() >= deadline) {
			errf(msg, msglen, "no approval within %d s; run the same command again once "
			    "your admin has approved (it is safe to repeat)", wait_s);
			goto out;
		}
		ec_sleep_ms(poll_ms);
	}
	if ((ret = enrollc_check_result(&code, resp.data, resp.len, sign_pk, box_pk, now_us(),
	    root_pk, msg, msglen)) != STMT_OK)
		goto out;
	ret = -1;
	if (enrollc_write_files(absdir, base, root_pk, msg, msglen) != 0)
		goto out;
	errf(msg, msglen, "enrolled in organization %s", p->org);
	ret = 0;
out:
	if (ret == 0)
		log_info("enroll", "event=enrolled gateway=%s", gw_id);
	enroll_code_wipe(&code);
	sodium_memzero(tokhex, sizeof(tokhex));
	sodium_memzero(reqhex, sizeof(reqhex));
	if (body != NULL) {
		sodium_memzero(body, strlen(body));
		free(body);
	}
	json_decref(j);
	if (easy != NULL)
		curl_easy_cleanup(easy);
	buf_free(&resp);
	sodium_free(sk);
	return ret;
}
