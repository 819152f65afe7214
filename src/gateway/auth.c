/* auth.c - obtains and caches the gateway's session token by signing the server's challenge. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <sodium.h>

#include "common/util.h"
#include "gateway/auth.h"

#define AUTH_URL_MAX 1024
#define AUTH_BODY_MAX (64 * 1024)
#define AUTH_CONTEXT "vigil-gw-auth-v1"
#define AUTH_CONTEXT_LEN 16
#define AUTH_NONCE_LEN 32
/* Renew a token this long before the server says it expires. */
#define AUTH_MARGIN_US (30 * 1000000LL)

struct auth {
	pthread_mutex_t mu;
	char url[AUTH_URL_MAX];
	uint8_t sk[GATEWAY_SK_LEN];
	uint8_t pk[GATEWAY_ID_LEN];
	char token[AUTH_TOKEN_MAX];
	int64_t expires_mono_us;
};

struct auth *
auth_new(const char *server_url, const uint8_t sk[GATEWAY_SK_LEN])
{
	struct auth *a;
	size_t n = strlen(server_url);

	while (n > 0 && server_url[n - 1] == '/')
		n--;
	if (n == 0 || n >= AUTH_URL_MAX - 64)
		return NULL;
	a = calloc(1, sizeof(*a));
	if (a == NULL)
		return NULL;
	pthread_mutex_init(&a->mu, NULL);
	memcpy(a->url, server_url, n);
	a->url[n] = '\0';
	memcpy(a->sk, sk, GATEWAY_SK_LEN);
	crypto_sign_ed25519_sk_to_pk(a->pk, a->sk);
	return a;
}

void
auth_free(struct auth *a)
{
	if (a == NULL)
		return;
	sodium_memzero(a->sk, sizeof(a->sk));
	sodium_memzero(a->token, sizeof(a->token));
	pthread_mutex_destroy(&a->mu);
	free(a);
}

static size_t
auth_sink(char *p, size_t size, size_t nmemb, void *ctx)
{
	struct buf *b = ctx;

	if (buf_put(b, p, size * nmemb) != 0)
		return 0;   /* too large: curl fails the transfer */
	return size * nmemb;
}

struct auth_cancel {
	auth_cancel_fn fn;
	void *ctx;
};

static int
auth_progress(void *ctx, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
    curl_off_t ulnow)
{
	const struct auth_cancel *c = ctx;

	return c->fn != NULL && c->fn(c->ctx) ? 1 : 0;
}

/* One request: GET when body is NULL, else POST of JSON body. Fills *code and resp. */
static int
auth_http(CURL *easy, const char *url, const char *body, long *code, struct buf *resp,
    long *retry_after_ms, struct auth_cancel *cancel)
{
	struct curl_slist *hdrs = NULL;
	curl_off_t ra = 0;
	CURLcode rc;

	curl_easy_reset(easy);
	curl_easy_setopt(easy, CURLOPT_URL, url);
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
	curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, 15000L);
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, auth_sink);
	curl_easy_setopt(easy, CURLOPT_WRITEDATA, resp);
	curl_easy_setopt(easy, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(easy, CURLOPT_XFERINFOFUNCTION, auth_progress);
	curl_easy_setopt(easy, CURLOPT_XFERINFODATA, cancel);
	if (body != NULL) {
		hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
		hdrs = curl_slist_append(hdrs, "Expect:");
		curl_easy_setopt(easy, CURLOPT_HTTPHEADER, hdrs);
		curl_easy_setopt(easy, CURLOPT_POSTFIELDS, body);
	}
	rc = curl_easy_perform(easy);
	curl_slist_free_all(hdrs);
	*code = 0;
	if (rc != CURLE_OK) {
		log_warn("auth", "event=request_failed reason=\"%s\"", curl_easy_strerror(rc));
		return AUTH_E_NET;
	}
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, code);
	if (curl_easy_getinfo(easy, CURLINFO_RETRY_AFTER, &ra) == CURLE_OK && ra > 0 &&
	    ra < 3600)
		*retry_after_ms = (long)ra * 1000;
	return 0;
}

/* The "error" field of an error body, for logs; never the body itself. */
static void
auth_log_refusal(const char *what, long code, const struct buf *resp)
{
	json_t *j = json_loadb((const char *)resp->data, resp->len, 0, NULL);
	const char *e = j != NULL ? json_string_value(json_object_get(j, "error")) : NULL;
	char safe[128];
	size_t i;

	safe[0] = '\0';
	if (e != NULL) {
		/* Keep printable characters other than quotes, so the log line stays key=value. */
		for (i = 0; e[i] != '\0' && i < sizeof(safe) - 1; i++)
			safe[i] = (e[i] >= 0x20 && e[i] < 0x7f && e[i] != '"') ? e[i] : '?';
		safe[i] = '\0';
	}
	log_warn("auth", "event=%s_refused status=%ld error=\"%s\"", what, code, safe);
	json_decref(j);
}

static int
status_class(long code)
{
	if (code >= 200 && code < 300)
		return 0;
	if (code == 429 || code >= 500)
		return AUTH_E_NET;
	return AUTH_E_REFUSED;
}

/* Fetch a new token into a->token. Called with a->mu held. */
static int
auth_fetch(struct auth *a, CURL *easy, long *retry_after_ms, struct auth_cancel *cancel)
{
	char url[AUTH_URL_MAX + 64], pkhex[2 * GATEWAY_ID_LEN + 1];
	char noncehex[2 * AUTH_NONCE_LEN + 1], sighex[2 * SIG_LEN + 1];
	uint8_t msg[AUTH_CONTEXT_LEN + AUTH_NONCE_LEN], sig[SIG_LEN];
	json_t *j = NULL, *req = NULL;
	char *body = NULL;
	const char *s;
	struct buf resp;
	json_int_t expires;
	long code;
	int ret = AUTH_E_NET;

	buf_init(&resp, AUTH_BODY_MAX);
	snprintf(url, sizeof(url), "%s/api/v1/gateway/challenge", a->url);
	if (auth_http(easy, url, NULL, &code, &resp, retry_after_ms, cancel) != 0)
		goto out;
	if ((ret = status_class(code)) != 0) {
		auth_log_refusal("challenge", code, &resp);
		goto out;
	}
	ret = AUTH_E_NET;
	j = json_loadb((const char *)resp.data, resp.len, 0, NULL);
	s = j != NULL ? json_string_value(json_object_get(j, "nonce")) : NULL;
	memcpy(msg, AUTH_CONTEXT, AUTH_CONTEXT_LEN);
	if (s == NULL || hex_decode(s, msg + AUTH_CONTEXT_LEN, AUTH_NONCE_LEN) != 0) {
		log_warn("auth", "event=challenge_malformed");
		goto out;
	}
	memcpy(noncehex, s, sizeof(noncehex) - 1);
	noncehex[sizeof(noncehex) - 1] = '\0';
	crypto_sign_detached(sig, NULL, msg, sizeof(msg), a->sk);
	hex_encode(sig, SIG_LEN, sighex);
	hex_encode(a->pk, GATEWAY_ID_LEN, pkhex);
	req = json_pack("{s:s, s:s, s:s}", "gateway_id", pkhex, "nonce", noncehex,
	    "signature", sighex);
	body = req != NULL ? json_dumps(req, JSON_COMPACT) : NULL;
	if (body == NULL)
		goto out;
	json_decref(j);
	j = NULL;
	buf_reset(&resp);
	snprintf(url, sizeof(url), "%s/api/v1/gateway/session", a->url);
	if (auth_http(easy, url, body, &code, &resp, retry_after_ms, cancel) != 0)
		goto out;
	if ((ret = status_class(code)) != 0) {
		auth_log_refusal("session", code, &resp);
		goto out;
	}
	ret = AUTH_E_NET;
	j = json_loadb((const char *)resp.data, resp.len, 0, NULL);
	s = j != NULL ? json_string_value(json_object_get(j, "token")) : NULL;
	if (s == NULL || s[0] == '\0' || strlen(s) >= sizeof(a->token) ||
	    strcspn(s, "\r\n") != strlen(s)) {
		log_warn("auth", "event=session_malformed");
		goto out;
	}
	expires = json_integer_value(json_object_get(j, "expires_in"));
	if (expires <= 0 || expires > 7 * 24 * 3600)
		expires = 300;
	sodium_memzero(a->token, sizeof(a->token));
	memcpy(a->token, s, strlen(s) + 1);
	a->expires_mono_us = mono_us() + (int64_t)expires * 1000000 - AUTH_MARGIN_US;
	log_info("auth", "event=session_ok gateway=%s expires_in=%lld", pkhex, (long long)expires);
	ret = 0;
out:
	if (j != NULL) {
		/* The session answer holds the token: do not leave it in freed memory. */
		s = json_string_value(json_object_get(j, "token"));
		if (s != NULL)
			sodium_memzero((void *)s, strlen(s));
	}
	json_decref(j);
	json_decref(req);
	free(body);
	buf_free(&resp);
	return ret;
}

int
auth_token(struct auth *a, CURL *easy, char *tok, size_t n, long *retry_after_ms,
    auth_cancel_fn cancel, void *cancel_ctx)
{
	struct auth_cancel c = { cancel, cancel_ctx };
	int ret = 0;

	*retry_after_ms = 0;
	pthread_mutex_lock(&a->mu);
	if (a->token[0] == '\0' || mono_us() >= a->expires_mono_us)
		ret = auth_fetch(a, easy, retry_after_ms, &c);
	if (ret == 0) {
		if (strlen(a->token) >= n)
			ret = AUTH_E_NET;
		else
			memcpy(tok, a->token, strlen(a->token) + 1);
	}
	pthread_mutex_unlock(&a->mu);
	return ret;
}

void
auth_invalidate(struct auth *a, const char *tok)
{
	size_t n = strlen(tok);

	pthread_mutex_lock(&a->mu);
	if (n == strlen(a->token) && sodium_memcmp(tok, a->token, n) == 0)
		sodium_memzero(a->token, sizeof(a->token));
	pthread_mutex_unlock(&a->mu);
}
