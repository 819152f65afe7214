/* h_webhook.c - an organization's webhook receiver: set (the signing secret is shown once), read and remove. */
#include <string.h>
#include <sodium.h>
#include "common/util.h"
#include "server/http.h"
#include "server/jsonbody.h"
#include "server/orgaudit.h"
#include "server/server.h"
#include "server/webhook.h"

int
h_webhook_put(struct req *rq)
{
	uint8_t secret[WEBHOOK_SECRET_LEN];
	char hex[2 * WEBHOOK_SECRET_LEN + 1];
	const char *url;
	json_t *j = NULL, *out;
	int r;

	if (rq->srv->wh == NULL)
		return http_error(rq, 503, "webhooks are not available", 0);
	if (jsonbody_parse(rq->body.data, rq->body.len, &j) != 0 ||
	    (url = json_string_value(json_object_get(j, "url"))) == NULL) {
		json_decref(j);
		return http_error(rq, 400, "body must be {\"url\":\"https://...\"}", 0);
	}
	r = webhook_set(rq->srv->wh, rq->who.org, url, secret);
	json_decref(j);
	if (r == WEBHOOK_E_URL)
		return http_error(rq, 400, "url must be http(s), at most 512 bytes, no spaces", 0);
	if (r != 0)
		return http_error(rq, 500, "storage error", 0);
	orgaudit_event(rq, rq->who.org, "webhook.set", "");
	hex_encode(secret, sizeof(secret), hex);
	/* Shown once: the receiver checks X-Vigil-Signature with it (docs/design/webhooks.md). */
	out = json_pack("{s:s}", "secret", hex);
	sodium_memzero(secret, sizeof(secret));
	sodium_memzero(hex, sizeof(hex));
	return http_json(rq, 200, out);
}

int
h_webhook_get(struct req *rq)
{
	char url[WEBHOOK_URL_MAX + 1];
	int r;

	if (rq->srv->wh == NULL)
		return http_error(rq, 503, "webhooks are not available", 0);
	r = webhook_get(rq->srv->wh, rq->who.org, url);
	if (r == WEBHOOK_E_NONE)
		return http_json(rq, 200, json_pack("{s:n}", "url"));
	if (r != 0)
		return http_error(rq, 500, "storage error", 0);
	return http_json(rq, 200, json_pack("{s:s}", "url", url));
}

int
h_webhook_delete(struct req *rq)
{
	if (rq->srv->wh == NULL)
		return http_error(rq, 503, "webhooks are not available", 0);
	if (webhook_delete(rq->srv->wh, rq->who.org) != 0)
		return http_error(rq, 500, "storage error", 0);
	orgaudit_event(rq, rq->who.org, "webhook.delete", "");
	return http_json(rq, 200, json_object());
}
