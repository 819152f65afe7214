/* h_gateway.c - handlers for health, gateway registration and the gateway challenge/session login. */
#include <string.h>
#include <sodium.h>
#include "common/util.h"
#include "server/auth.h"
#include "server/http.h"
#include "server/metrics.h"
#include "server/index.h"
#include "server/jsonbody.h"
#include "server/server.h"

int
h_healthz(struct req *rq)
{
	return http_json(rq, 200, json_pack("{s:b}", "ok", 1));
}

int
h_gateway_register(struct req *rq)
{
	uint8_t gw[GATEWAY_ID_LEN];
	char hex[2 * GATEWAY_ID_LEN + 1];
	json_t *j = NULL;
	int r;

	if (jsonbody_parse(rq->body.data, rq->body.len, &j) != 0 ||
	    jsonbody_hex(j, "gateway_id", gw, sizeof(gw)) != 0) {
		json_decref(j);
		return http_error(rq, 400, "body must be {\"gateway_id\":hex64}", 0);
	}
	json_decref(j);
	r = index_gateway_add(rq->srv->ix, gw);
	if (r < 0)
		return http_error(rq, 500, "index error", 0);
	hex_encode(gw, sizeof(gw), hex);
	log_info("gateway", "op=register gateway=%s new=%d", hex, r);
	return http_json(rq, r == 1 ? 201 : 200, json_object());
}

int
h_gateway_challenge(struct req *rq)
{
	uint8_t nonce[AUTH_NONCE_LEN];
	char hex[2 * AUTH_NONCE_LEN + 1];

	auth_challenge_new(rq->srv->au, now_us(), nonce);
	hex_encode(nonce, sizeof(nonce), hex);
	return http_json(rq, 200, json_pack("{s:s}", "nonce", hex));
}

int
h_gateway_session(struct req *rq)
{
	uint8_t gw[GATEWAY_ID_LEN], nonce[AUTH_NONCE_LEN], sig[SIG_LEN];
	char token[AUTH_TOKEN_HEX], hex[2 * GATEWAY_ID_LEN + 1];
	json_t *j = NULL;
	int r;

	if (jsonbody_parse(rq->body.data, rq->body.len, &j) != 0 ||
	    jsonbody_hex(j, "gateway_id", gw, sizeof(gw)) != 0 ||
	    jsonbody_hex(j, "nonce", nonce, sizeof(nonce)) != 0 ||
	    jsonbody_hex(j, "signature", sig, sizeof(sig)) != 0) {
		json_decref(j);
		return http_error(rq, 400, "body must be {gateway_id,nonce,signature} in hex", 0);
	}
	json_decref(j);
	hex_encode(gw, sizeof(gw), hex);
	if ((r = index_gateway_exists(rq->srv->ix, gw)) < 0)
		return http_error(rq, 500, "index error", 0);
	if (r == 0) {
		log_warn("gateway", "op=session gateway=%s err=unregistered", hex);
		metrics_inc(MC_AUTH_FAIL_GATEWAY, 1);
		return http_error(rq, 401, "unknown gateway", 0);
	}
	if ((r = auth_session_open(rq->srv->au, now_us(), gw, nonce, sig, token)) == AUTH_E_FULL) {
		log_warn("gateway", "op=session gateway=%s err=session_table_full", hex);
		return http_error(rq, 503, "too many gateway sessions, retry later", 0);
	}
	if (r != 0) {
		log_warn("gateway", "op=session gateway=%s err=bad_signature_or_nonce", hex);
		metrics_inc(MC_AUTH_FAIL_GATEWAY, 1);
		return http_error(rq, 401, "bad signature or nonce", 0);
	}
	log_info("gateway", "op=session gateway=%s", hex);
	r = http_json(rq, 200, json_pack("{s:s,s:I}", "token", token, "expires_in",
	    (json_int_t)(AUTH_SESSION_TTL_US / 1000000)));
	sodium_memzero(token, sizeof(token));
	return r;
}
