/* apic.c - libcurl requests of any method with a session cookie or bearer token and capped answers. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>
#include <sodium.h>
#include "cli/apic.h"
#include "cli/setcookie.h"
#include "common/util.h"

#define APIC_URL_MAX 2048
#define APIC_TOKEN_MAX 512
#define SESSION_FILE_MAX 1024

struct apic {
	CURL *curl;
	char base[APIC_URL_MAX];
	char cookie[APIC_COOKIE_MAX];   /* "name=value" or "" */
	char token[APIC_TOKEN_MAX + 1]; /* bearer or "" */
};

struct sink {
	struct buf *out;
	size_t max, got;
	int toobig;
};

const char *
apic_strerror(int err)
{
	switch (err) {
	case APIC_OK: return "ok";
	case APIC_E_ARG: return "bad URL or argument";
	case APIC_E_NET: return "network error";
	case APIC_E_TOOBIG: return "response too large";
	case APIC_E_PARTIAL: return "response truncated";
	case APIC_E_NOMEM: return "out of memory";
	case APIC_E_BODY: return "malformed answer";
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
		return 0;
	}
	s->got += len;
	return len;
}

/* Printable, no separators that could split a header. */
static int
header_safe(const char *s, size_t max)
{
	size_t i, n = strlen(s);

	if (n > max)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
			return 0;
	return 1;
}

int
apic_new(struct apic **ap, const char *base, const char *cookie, const char *token)
{
	struct apic *a = NULL;
	size_t n;
	int ret = APIC_E_ARG;

	*ap = NULL;
	if (base == NULL || (strncmp(base, "http://", 7) != 0 && strncmp(base, "https://", 8) != 0))
		goto out;
	if (cookie != NULL && (!header_safe(cookie, APIC_COOKIE_MAX - 1) || strchr(cookie, '=') == NULL))
		goto out;
	if (token != NULL && !header_safe(token, APIC_TOKEN_MAX))
		goto out;
	n = strlen(base);
	while (n > 0 && base[n - 1] == '/')
		n--;
	if (n >= APIC_URL_MAX || !header_safe(base, APIC_URL_MAX))
		goto out;
	ret = APIC_E_NOMEM;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		goto out;
	if ((a = calloc(1, sizeof(*a))) == NULL)
		goto out;
	memcpy(a->base, base, n);
	a->base[n] = '\0';
	if (cookie != NULL)
		memcpy(a->cookie, cookie, strlen(cookie) + 1);
	if (token != NULL)
		memcpy(a->token, token, strlen(token) + 1);
	if ((a->curl = curl_easy_init()) == NULL)
		goto out;
	*ap = a;
	a = NULL;
	ret = APIC_OK;
out:
	apic_free(a);
	return ret;
}

void
apic_free(struct apic *a)
{
	if (a == NULL)
		return;
	if (a->curl != NULL)
		curl_easy_cleanup(a->curl);
	sodium_memzero(a, sizeof(*a));
	free(a);
}

const char *
apic_base(const struct apic *a)
{
	return a->base;
}

static int
slist_add(struct curl_slist **l, const char *line)
{
	struct curl_slist *n = curl_slist_append(*l, line);

	if (n == NULL)
		return -1;
	*l = n;
	return 0;
}

int
apic_do(struct apic *a, const char *method, const char *path, const char *json,
    size_t max, struct buf *out, long *status)
{
	char url[APIC_URL_MAX * 2], hdr[APIC_TOKEN_MAX + APIC_COOKIE_MAX + 32];
	struct curl_slist *hdrs = NULL, *s;
	struct sink sk = { out, max, 0, 0 };
	CURLcode rc;
	int ret = APIC_E_ARG;

	*status = 0;
	if (a == NULL || method == NULL || path == NULL || path[0] != '/' ||
	    !header_safe(path, APIC_URL_MAX) ||
	    snprintf(url, sizeof(url), "%s%s", a->base, path) >= (int)sizeof(url))
		goto out;
	ret = APIC_E_NOMEM;
	if (a->cookie[0] != '\0') {
		snprintf(hdr, sizeof(hdr), "Cookie: %s", a->cookie);
		if (slist_add(&hdrs, hdr) != 0)
			goto out;
	}
	if (a->token[0] != '\0') {
		snprintf(hdr, sizeof(hdr), "Authorization: Bearer %s", a->token);
		if (slist_add(&hdrs, hdr) != 0)
			goto out;
	}
	if (json != NULL && slist_add(&hdrs, "Content-Type: application/json") != 0)
		goto out;
	curl_easy_reset(a->curl);
	curl_easy_setopt(a->curl, CURLOPT_URL, url);
	curl_easy_setopt(a->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(a->curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(a->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(a->curl, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(a->curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(a->curl, CURLOPT_LOW_SPEED_TIME, 30L);
	curl_easy_setopt(a->curl, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(a->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(a->curl, CURLOPT_WRITEDATA, &sk);
	curl_easy_setopt(a->curl, CURLOPT_USERAGENT, "vigil-cli/1");
	if (max < (size_t)INT64_MAX)
		curl_easy_setopt(a->curl, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)max);
	if (strcmp(method, "GET") != 0)
		curl_easy_setopt(a->curl, CURLOPT_CUSTOMREQUEST, method);
	if (json != NULL) {
		curl_easy_setopt(a->curl, CURLOPT_POSTFIELDS, json);
		curl_easy_setopt(a->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(json));
	} else if (strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0) {
		curl_easy_setopt(a->curl, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(a->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)0);
	}
	rc = curl_easy_perform(a->curl);
	ret = APIC_E_NET;
	curl_easy_getinfo(a->curl, CURLINFO_RESPONSE_CODE, status);
	if (sk.toobig || rc == CURLE_FILESIZE_EXCEEDED)
		ret = APIC_E_TOOBIG;
	else if (rc == CURLE_PARTIAL_FILE)
		ret = APIC_E_PARTIAL;
	else if (rc == CURLE_OUT_OF_MEMORY)
		ret = APIC_E_NOMEM;
	else if (rc == CURLE_URL_MALFORMAT || rc == CURLE_UNSUPPORTED_PROTOCOL)
		ret = APIC_E_ARG;
	else if (rc == CURLE_OK)
		ret = APIC_OK;
	curl_easy_setopt(a->curl, CURLOPT_HTTPHEADER, NULL);
out:
	sodium_memzero(hdr, sizeof(hdr));
	for (s = hdrs; s != NULL; s = s->next)
		sodium_memzero(s->data, strlen(s->data));
	curl_slist_free_all(hdrs);
	return ret;
}

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
apic_json(struct apic *a, const char *method, const char *path, const json_t *body,
    json_t **ans, long *status)
{
	struct buf b;
	char *text = NULL;
	json_t *j;
	int ret = APIC_E_NOMEM;

	*ans = NULL;
	buf_init(&b, APIC_MAX_JSON);
	if (body != NULL && (text = json_dumps(body, JSON_COMPACT)) == NULL)
		goto out;
	if ((ret = apic_do(a, method, path, text, APIC_MAX_JSON, &b, status)) != APIC_OK)
		goto out;
	if (b.len > 0) {
		j = json_loadb((const char *)b.data, b.len, 0, NULL);
		if (j != NULL && !json_is_object(j)) {
			json_decref(j);
			j = NULL;
		}
		*ans = j;
	}
out:
	text_free(text);
	buf_free(&b);
	return ret;
}

const char *
apic_answer_error(const json_t *ans, char *out, size_t outsz)
{
	const json_t *e = ans != NULL ? json_object_get(ans, "error") : NULL;
	size_t i, n;

	snprintf(out, outsz, "no reason given");
	if (!json_is_string(e))
		return out;
	snprintf(out, outsz, "%s", json_string_value(e));
	/* Keep the terminal safe: the text comes from the server. */
	n = strlen(out);
	for (i = 0; i < n; i++)
		if ((unsigned char)out[i] < 0x20 || (unsigned char)out[i] == 0x7f)
			out[i] = '?';
	return out;
}

int
apic_read_session(const char *path, char cookie[APIC_COOKIE_MAX])
{
	struct buf b;
	size_t n;
	int r = -1;

	cookie[0] = '\0';
	buf_init(&b, SESSION_FILE_MAX);
	if (path == NULL || file_read(path, &b, SESSION_FILE_MAX) != 0)
		goto out;
	n = b.len;
	while (n > 0 && (b.data[n - 1] == '\n' || b.data[n - 1] == '\r'))
		n--;
	if (n == 0 || n >= APIC_COOKIE_MAX || memchr(b.data, '=', n) == NULL)
		goto out;
	memcpy(cookie, b.data, n);
	cookie[n] = '\0';
	if (!header_safe(cookie, APIC_COOKIE_MAX - 1)) {
		sodium_memzero(cookie, APIC_COOKIE_MAX);
		goto out;
	}
	r = 0;
out:
	if (b.data != NULL)
		sodium_memzero(b.data, b.len);
	buf_free(&b);
	return r;
}
