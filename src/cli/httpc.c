/* httpc.c - libcurl GET/POST with capped response bodies and bearer authentication. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <curl/curl.h>
#include <sodium.h>
#include "cli/httpc.h"
#include "cli/setcookie.h"

#define HTTPC_URL_MAX 2048
#define HTTPC_TOKEN_MAX 512

struct httpc {
	CURL *curl;
	char base[HTTPC_URL_MAX];
	struct curl_slist *auth;   /* holds the bearer header */
	char cookie[SETCOOKIE_MAX]; /* the session cookie the last response set, or "" */
};

struct sink {
	struct buf *out;
	size_t max;
	size_t got;
	int toobig;
};

const char *
httpc_strerror(int err)
{
	switch (err) {
	case HTTPC_OK: return "ok";
	case HTTPC_E_ARG: return "bad URL or argument";
	case HTTPC_E_NET: return "network error";
	case HTTPC_E_TOOBIG: return "response too large";
	case HTTPC_E_PARTIAL: return "response truncated";
	case HTTPC_E_NOMEM: return "out of memory";
	default: return "unknown error";
	}
}

static size_t
on_body(char *p, size_t size, size_t n, void *ctx)
{
	struct sink *s = ctx;
	size_t len = size * n;

	if (len > s->max - s->got || buf_put(s->out, p, len) != 0) {
		s->toobig = 1;
		return 0;	/* makes curl fail with CURLE_WRITE_ERROR */
	}
	s->got += len;
	return len;
}

int
httpc_new(struct httpc **hp, const char *base, const char *token)
{
	struct httpc *h = NULL;
	char hdr[HTTPC_TOKEN_MAX + 32];
	size_t n;
	int ret = HTTPC_E_NOMEM;

	*hp = NULL;
	if (base == NULL || (strncmp(base, "http://", 7) != 0 && strncmp(base, "https://", 8) != 0))
		return HTTPC_E_ARG;
	if (token != NULL && (strlen(token) > HTTPC_TOKEN_MAX || strpbrk(token, "\r\n") != NULL))
		return HTTPC_E_ARG;
	n = strlen(base);
	while (n > 0 && base[n - 1] == '/')
		n--;
	if (n >= HTTPC_URL_MAX)
		return HTTPC_E_ARG;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return HTTPC_E_NOMEM;
	h = calloc(1, sizeof(*h));
	if (h == NULL)
		goto out;
	memcpy(h->base, base, n);
	h->base[n] = '\0';
	h->curl = curl_easy_init();
	if (h->curl == NULL)
		goto out;
	if (token != NULL) {
		snprintf(hdr, sizeof(hdr), "Authorization: Bearer %s", token);
		h->auth = curl_slist_append(NULL, hdr);
		sodium_memzero(hdr, sizeof(hdr));
		if (h->auth == NULL)
			goto out;
	}
	*hp = h;
	h = NULL;
	ret = HTTPC_OK;
out:
	httpc_free(h);
	return ret;
}

void
httpc_free(struct httpc *h)
{
	struct curl_slist *s;

	if (h == NULL)
		return;
	for (s = h->auth; s != NULL; s = s->next)
		sodium_memzero(s->data, strlen(s->data));
	curl_slist_free_all(h->auth);
	sodium_memzero(h->cookie, sizeof(h->cookie));
	if (h->curl != NULL)
		curl_easy_cleanup(h->curl);
	free(h);
}

/* Append a header line; on failure the list stays as it was. 0 or -1. */
static int
slist_add(struct curl_slist **l, const char *line)
{
	struct curl_slist *n = curl_slist_append(*l, line);

	if (n == NULL)
		return -1;
	*l = n;
	return 0;
}

/* Keep the session cookie of a "Set-Cookie:" response header line. */
static size_t
on_header(char *p, size_t size, size_t n, void *ctx)
{
	struct httpc *h = ctx;
	static const char name[] = "set-cookie:";
	size_t len = size * n;

	if (len > sizeof(name) - 1 && strncasecmp(p, name, sizeof(name) - 1) == 0)
		(void)setcookie_session(p + sizeof(name) - 1, len - (sizeof(name) - 1), h->cookie,
		    sizeof(h->cookie));
	return len;
}

const char *
httpc_session_cookie(const struct httpc *h)
{
	return h->cookie;
}

static int
httpc_do(struct httpc *h, const char *path, const char *json, size_t max, struct buf *out,
    long *status)
{
	char url[HTTPC_URL_MAX * 2];
	struct curl_slist *hdrs = NULL, *s;
	struct sink sk = { out, max, 0, 0 };
	CURLcode rc;
	int ret = HTTPC_E_NOMEM;

	*status = 0;
	if (path == NULL || path[0] != '/' ||
	    snprintf(url, sizeof(url), "%s%s", h->base, path) >= (int)sizeof(url))
		return HTTPC_E_ARG;
	/* Copy the auth header into a per-request list so Content-Type can be added. */
	for (s = h->auth; s != NULL; s = s->next)
		if (slist_add(&hdrs, s->data) != 0)
			goto out;
	if (json != NULL && slist_add(&hdrs, "Content-Type: application/json") != 0)
		goto out;
	curl_easy_reset(h->curl);
	sodium_memzero(h->cookie, sizeof(h->cookie));
	curl_easy_setopt(h->curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h->curl, CURLOPT_HEADERDATA, h);
	curl_easy_setopt(h->curl, CURLOPT_URL, url);
	curl_easy_setopt(h->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h->curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h->curl, CURLOPT_CONNECTTIMEOUT, 10L);
	/* A stalled transfer (under 1 byte/s for 30 s) fails rather than hanging. */
	curl_easy_setopt(h->curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h->curl, CURLOPT_LOW_SPEED_TIME, 30L);
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h->curl, CURLOPT_WRITEDATA, &sk);
	curl_easy_setopt(h->curl, CURLOPT_USERAGENT, "vigil-cli/1");
	if (max < (size_t)INT64_MAX)
		curl_easy_setopt(h->curl, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)max);
	if (json != NULL) {
		curl_easy_setopt(h->curl, CURLOPT_POST, 1L);
		curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, json);
		curl_easy_setopt(h->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(json));
	}
	rc = curl_easy_perform(h->curl);
	ret = HTTPC_E_NET;
	curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, status);
	if (sk.toobig || rc == CURLE_FILESIZE_EXCEEDED)
		ret = HTTPC_E_TOOBIG;
	else if (rc == CURLE_PARTIAL_FILE)
		ret = HTTPC_E_PARTIAL;
	else if (rc == CURLE_OUT_OF_MEMORY)
		ret = HTTPC_E_NOMEM;
	else if (rc == CURLE_URL_MALFORMAT || rc == CURLE_UNSUPPORTED_PROTOCOL)
		ret = HTTPC_E_ARG;
	else if (rc == CURLE_OK)
		ret = HTTPC_OK;
	/* Do not leave the bearer token in the handle's header list. */
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, NULL);
out:
	for (s = hdrs; s != NULL; s = s->next)
		sodium_memzero(s->data, strlen(s->data));
	curl_slist_free_all(hdrs);
	return ret;
}

int
httpc_get(struct httpc *h, const char *path, size_t max, struct buf *out, long *status)
{
	return httpc_do(h, path, NULL, max, out, status);
}

int
httpc_post_json(struct httpc *h, const char *path, const char *json, size_t max,
    struct buf *out, long *status)
{
	if (json == NULL)
		return HTTPC_E_ARG;
	return httpc_do(h, path, json, max, out, status);
}
