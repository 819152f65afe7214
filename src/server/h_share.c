/* h_share.c - share-link handlers: a member creates, lists and revokes links; a recipient with no account opens one with the proof derived from its key and fetches its segments with the token the open returned. */
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "common/util.h"
#include "server/archive.h"
#include "server/audit.h"
#include "server/authhttp.h"
#include "server/h_share.h"
#include "server/hexfield.h"
#include "server/http.h"
#include "server/identity.h"
#include "server/index.h"
#include "server/jsonbody.h"
#include "server/metrics.h"
#include "server/orgaudit.h"
#include "server/orgs.h"
#include "server/server.h"
#include "server/shares.h"
#include "server/throttle.h"

/* Most segments one open lists: 24 h of one-second segments, with room. */
#define SHARE_SEGMENTS_MAX 100000
/* Logs name a share by this many characters of its id: enough to follow, not to open. */
#define SHARE_LOG_ID 8

#define SHARE_BODY_ERR "body must be {\"camera\":hex32,\"stream\":\"main\"|\"sub\",\"from_us\":n," \
    "\"to_us\":n,\"expires_us\":n,\"max_views\":n,\"manifest\":hex,\"open_proof_hash\":hex64}"
#define SHARE_PROOF_HASH_ERR "open_proof_hash (64 hex) is required: reload the console"
#define SHARE_OPEN_BODY_ERR "body must be empty or {\"proof\":hex64}"
#define SHARE_PROOF_ERR "this link's key is missing or wrong"
#define SHARE_NOT_FOUND "no such share"
#define SHARE_LIMIT_ERR "this organization has 500 live links: revoke some first"
#define SHARE_MEMBER_LIMIT_ERR "you have 100 live links: revoke some of yours first"

/* 1 when the n bytes hold no JSON array and no object inside the outer one. */
static int
flat_object(const uint8_t *p, size_t n)
{
	int depth = 0, in_str = 0, esc = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		uint8_t c = p[i];

		if (in_str) {
			if (esc)
				esc = 0;
			else if (c == '\\')
				esc = 1;
			else if (c == '"')
				in_str = 0;
			continue;
		}
		if (c == '"')
			in_str = 1;
		else if (c == '[' || (c == '{' && ++depth > 1))
			return 0;
		else if (c == '}')
			depth--;
	}
	return 1;
}

static int
int_field(const json_t *j, const char *key, int64_t *out)
{
	const json_t *v = json_object_get(j, key);

	if (!json_is_integer(v))
		return -1;
	*out = (int64_t)json_integer_value(v);
	return 0;
}

int
share_body_parse(const uint8_t *p, size_t n, struct share_body *b)
{
	json_error_t err;
	json_t *j = NULL;
	const json_t *v;
	int stream, r = -1;

	memset(b, 0, sizeof(*b));
	if (p == NULL || n == 0 || n > SHARE_BODY_MAX || !flat_object(p, n))
		goto out;
	if ((j = json_loadb((const char *)p, n, JSON_REJECT_DUPLICATES, &err)) == NULL ||
	    !json_is_object(j))
		goto out;
	if (hexfield_id(j, "camera", 16, b->camera) != 0)
		goto out;
	v = json_object_get(j, "stream");
	if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v) ||
	    (stream = shares_stream_parse(json_string_value(v))) < 0)
		goto out;
	b->stream = (uint8_t)stream;
	if (int_field(j, "from_us", &b->from_us) != 0 || int_field(j, "to_us", &b->to_us) != 0 ||
	    int_field(j, "expires_us", &b->expires_us) != 0 ||
	    int_field(j, "max_views", &b->max_views) != 0)
		goto out;
	if (hexfield_get(j, "manifest", SHARES_MANIFEST_MAX, &b->manifest, &b->manifest_len) != 0)
		goto out;
	/* Optional in the shape, so that the handler can say what is missing. */
	if (json_object_get(j, "open_proof_hash") != NULL) {
		if (jsonbody_hex(j, "open_proof_hash", b->open_proof_hash, SHARES_PROOF_LEN) != 0)
			goto out;
		b->has_proof_hash = 1;
	}
	r = 0;
out:
	json_decref(j);
	if (r != 0)
		share_body_free(b);
	return r;
}

int
share_open_body_parse(const uint8_t *p, size_t n, uint8_t proof[SHARES_PROOF_LEN], int *has)
{
	json_t *j = NULL;
	int r = -1;

	*has = 0;
	sodium_memzero(proof, SHARES_PROOF_LEN);
	if (n == 0) {
		r = 0;    /* no body: no proof (a legacy link opens so; a new one answers 403) */
		goto out;
	}
	if (p == NULL || n > SHARE_OPEN_BODY_MAX || !flat_object(p, n) ||
	    jsonbody_parse(p, n, &j) != 0)
		goto out;
	if (json_object_size(j) != 1 || jsonbody_hex(j, "proof", proof, SHARES_PROOF_LEN) != 0)
		goto out;
	*has = 1;
	r = 0;
out:
	json_decref(j);
	if (r != 0)
		sodium_memzero(proof, SHARES_PROOF_LEN);
	return r;
}

void
share_body_free(struct share_body *b)
{
	if (b == NULL)
		return;
	free(b->manifest);
	memset(b, 0, sizeof(*b));
}

int
share_auth_token(const char *authz, uint8_t token[SHARES_TOKEN_LEN])
{
	static const char pfx[] = "Share ";

	if (authz == NULL || strncmp(authz, pfx, sizeof(pfx) - 1) != 0 ||
	    strlen(authz + sizeof(pfx) - 1) != 2 * SHARES_TOKEN_LEN)
		return -1;
	return hex_decode(authz + sizeof(pfx) - 1, token, SHARES_TOKEN_LEN);
}

/* Why a body that parsed breaks a rule of the contract, or NULL. */
static const char *
rule_broken(const struct share_body *b, int64_t now)
{
	if (b->from_us < 0 || b->to_us <= b->from_us || b->to_us - b->from_us > SHARES_RANGE_MAX_US)
		return "to_us must be after from_us, at most 24 hours later";
	if (b->expires_us <= now || b->expires_us - now > SHARES_EXPIRY_MAX_US)
		return "expires_us must be in the next 30 days";
	if (b->max_views < 1 || b->max_views > SHARES_VIEWS_MAX)
		return "max_views must be 1 to 1000";
	return NULL;
}

/* index_links_range callback: stop at the first segment (gaps are not recordings). */
static int
first_segment(void *ctx, const struct index_link *l)
{
	if (l->kind != LINK_SEGMENT)
		return 0;
	*(int *)ctx = 1;
	return 1;
}

static void
body_buf_free(void *p)
{
	struct buf *b = p;

	if (b == NULL)
		return;
	buf_free(b);
	free(b);
}

/* The whole create body is in: check, store, audit, answer. */
static int
create_final(struct req *rq, const struct buf *raw)
{
	struct shares_new n;
	struct share_body b;
	uint8_t cam[CAMERA_ID_LEN];
	char org[ORGS_ID_BUF], id[SHARES_ID_BUF];
	const char *why;
	int64_t now = now_us();
	json_t *detail = NULL;
	int r, e, found = 0;

	if (share_body_parse(raw->data, raw->len, &b) != 0)
		return http_error(rq, 400, SHARE_BODY_ERR, 0);
	/* A new link must be opened with a proof of its key: without the hash, its id alone
	 * would spend its views. */
	if (!b.has_proof_hash) {
		r = http_error(rq, 400, SHARE_PROOF_HASH_ERR, 0);
		goto out;
	}
	if ((why = rule_broken(&b, now)) != NULL) {
		r = http_error(rq, 400, why, 0);
		goto out;
	}
	/* The caller must be able to view the camera, in this org; otherwise it is missing. */
	if (orgs_camera_view(rq->srv->idn->orgs, b.camera, rq->who.user_id, now, org) != 0 ||
	    strcmp(org, rq->who.org) != 0) {
		r = http_error(rq, 404, "not found", 0);
		goto out;
	}
	if (hex_decode(b.camera, cam, sizeof(cam)) != 0 ||
	    index_links_range(rq->srv->ix, cam, b.stream, b.from_us, b.to_us, SHARE_SEGMENTS_MAX,
	    first_segment, &found) < 0) {
		r = http_error(rq, 500, "index error", 0);
		goto out;
	}
	if (!found) {
		r = http_error(rq, 400, "no recording in range", 0);
		goto out;
	}
	memset(&n, 0, sizeof(n));
	n.org = rq->who.org;
	n.camera = b.camera;
	n.stream = b.stream;
	n.from_us = b.from_us;
	n.to_us = b.to_us;
	n.expires_us = b.expires_us;
	n.max_views = b.max_views;
	n.created_by = rq->who.user_id;
	n.manifest = b.manifest;
	n.manifest_len = b.manifest_len;
	n.open_proof_hash = b.open_proof_hash;
	if ((e = shares_create(rq->srv->sh, &n, now, id)) != 0) {
		r = e == SHARES_E_INVAL ? http_error(rq, 400, SHARE_BODY_ERR, 0) :
		    e == SHARES_E_LIMIT ? http_error(rq, 409, SHARE_LIMIT_ERR, 0) :
		    e == SHARES_E_MEMBER_LIMIT ? http_error(rq, 409, SHARE_MEMBER_LIMIT_ERR, 0) :
		    http_error(rq, 500, "internal error", 0);
		goto out;
	}
	/* The audit says what was shared and for how long, never the manifest. */
	detail = json_pack("{s:s,s:s,s:I,s:I,s:I,s:I}", "id", id, "stream",
	    shares_stream_name(b.stream), "from_us", (json_int_t)b.from_us, "to_us",
	    (json_int_t)b.to_us, "expires_us", (json_int_t)b.expires_us, "max_views",
	    (json_int_t)b.max_views);
	/* Fail closed: a link the org's log does not name is not handed out (revoked at once,
	 * its sealed manifest deleted with it). */
	if (orgaudit_event_detail(rq, rq->who.org, "share.create", b.camera, detail) != 0) {
		if (shares_revoke(rq->srv->sh, rq->who.org, id, NULL, now) != 0)
			log_err("shares", "op=create_unaudited_revoke org=%s share=%.*s err=revoke_failed",
			    rq->who.org, SHARE_LOG_ID, id);
		r = http_error(rq, 503, ORGAUDIT_UNAVAILABLE, 0);
		goto out;
	}
	metrics_inc(MC_SHARE_CREATED, 1);
	log_info("shares", "op=create org=%s camera=%s share=%.*s views=%lld", rq->who.org,
	    b.camera, SHARE_LOG_ID, id, (long long)b.max_views);
	{
		char url[8 + SHARES_ID_BUF];

		snprintf(url, sizeof(url), "/s/%s", id);
		r = http_json(rq, 201, json_pack("{s:s,s:s,s:I,s:I}", "id", id, "url", url,
		    "expires_us", (json_int_t)b.expires_us, "max_views", (json_int_t)b.max_views));
	}
out:
	json_decref(detail);
	share_body_free(&b);
	return r;
}

int
h_share_create(struct req *rq)
{
	struct buf *b = rq->hstate;

	if (b == NULL) {
		if ((b = calloc(1, sizeof(*b))) == NULL)
			return http_fail(rq, 500, "out of memory");
		buf_init(b, SHARE_BODY_MAX);
		rq->hstate = b;
		rq->hstate_free = body_buf_free;
	}
	if (rq->upload_len > 0 && buf_put(b, rq->upload, rq->upload_len) != 0)
		return http_fail(rq, 413, "body too large");
	if (!rq->final)
		return MHD_YES;
	return create_final(rq, b);
}

int
h_shares_list(struct req *rq)
{
	json_t *arr = shares_list_json(rq->srv->sh, rq->who.org, now_us());

	if (arr == NULL)
		return http_error(rq, 500, "internal error", 0);
	return http_json(rq, 200, json_pack("{s:o}", "shares", arr));
}

int
h_share_revoke(struct req *rq)
{
	struct shares_info i;
	const char *creator;
	json_t *detail;
	int e;

	if (rq->m.nparams < 2 || shares_get(rq->srv->sh, rq->m.params[1], &i) != 0 ||
	    strcmp(i.org, rq->who.org) != 0)
		return http_error(rq, 404, SHARE_NOT_FOUND, 0);
	/* Owners and admins revoke any share of the org; a viewer only the ones they made. */
	creator = rq->who.org_role == STMT_ROLE_OWNER || rq->who.org_role == STMT_ROLE_ADMIN ?
	    NULL : rq->who.user_id;
	e = shares_revoke(rq->srv->sh, rq->who.org, i.id, creator, now_us());
	if (e == SHARES_E_NOTFOUND)
		return http_error(rq, 404, SHARE_NOT_FOUND, 0);
	if (e != 0)
		return http_error(rq, 500, "internal error", 0);
	detail = json_pack("{s:s}", "id", i.id);
	orgaudit_event_detail(rq, rq->who.org, "share.revoke", i.camera, detail);
	json_decref(detail);
	log_info("shares", "op=revoke org=%s camera=%s share=%.*s", rq->who.org, i.camera,
	    SHARE_LOG_ID, i.id);
	return http_json(rq, 200, json_object());
}

/* The throttle's name for public share requests from ri's address: each address is
 * limited on its own, so that no one can lock every recipient out at once. */
static void
throttle_name(const struct reqinfo *ri, char out[64])
{
	char key[48];

	throttle_addr_key(ri->sa, key);
	snprintf(out, 64, "share:%s", key);
}

/* 0 when the address may go on; otherwise the request is answered (429 or 500). */
static int
throttle_gate(struct req *rq, const struct reqinfo *ri, const char *name, int *answer)
{
	int64_t retry = 0;
	char ra[24];
	int e;

	if ((e = throttle_check(rq->srv->idn->thr, name, ri->sa, now_us(), &retry)) == 0)
		return 0;
	if (e == THROTTLE_ERR_IO) {
		*answer = http_error(rq, 500, "internal error", 0);
		return -1;
	}
	snprintf(ra, sizeof(ra), "%lld", (long long)(retry > 0 ? retry : 1));
	*answer = authhttp_json(rq, 429, json_pack("{s:s}", "error",
	    "too many attempts, retry later"), "Retry-After", ra, NULL, NULL);
	return -1;
}

static void
throttle_count(struct req *rq, const struct reqinfo *ri, const char *name)
{
	if (throttle_fail(rq->srv->idn->thr, name, ri->sa, now_us()) != 0)
		log_err("shares", "op=throttle rid=%s err=write_failed", ri->rid);
}

static int
add_segment(void *ctx, const struct index_link *l)
{
	if (l->kind != LINK_SEGMENT)
		return 0;
	return json_array_append_new(ctx, json_pack("{s:I,s:I,s:I,s:I}", "seq", (json_int_t)l->seq,
	    "start_us", (json_int_t)l->start_us, "duration_us",
	    (json_int_t)(l->end_us - l->start_us), "bytes", (json_int_t)l->length)) != 0;
}

/* A link lives only while its creator may view its camera in its org (removed from the
 * org, scope narrowed, camera gone: the link ends). 0 when they still may; otherwise the
 * share is revoked for good, with a share.revoke entry by the system in the org's log, and
 * -1. */
static int
creator_check(struct req *rq, const struct reqinfo *ri, const struct shares_info *i)
{
	struct auditlog_event ev;
	char org[ORGS_ID_BUF];
	json_t *detail;
	int64_t now = now_us();

	if (orgs_camera_view(rq->srv->idn->orgs, i->camera, i->created_by, now, org) == 0 &&
	    strcmp(org, i->org) == 0)
		return 0;
	if (shares_revoke(rq->srv->sh, i->org, i->id, NULL, now) != 0)
		return -1;    /* still refused: the caller answers as for an ended link */
	detail = json_pack("{s:s,s:s}", "id", i->id, "reason", "creator may no longer view the camera");
	memset(&ev, 0, sizeof(ev));
	ev.actor = "server";
	ev.actor_kind = AUDITLOG_ACTOR_SYSTEM;
	ev.action = "share.revoke";
	ev.target = i->camera;
	ev.address = ri->addr;
	ev.request_id = ri->rid;
	ev.detail = detail;
	if (audit_append(rq->srv->idn->aud, i->org, &ev, NULL) != 0)
		log_err("audit", "op=append org=%s action=share.revoke rid=%s err=failed", i->org, ri->rid);
	json_decref(detail);
	log_info("shares", "op=revoke org=%s camera=%s share=%.*s reason=creator_lost_view rid=%s",
	    i->org, i->camera, SHARE_LOG_ID, i->id, ri->rid);
	return -1;
}

static const char *
gone_reason(int e)
{
	switch (e) {
	case SHARES_E_REVOKED: return "this link has been revoked";
	case SHARES_E_EXHAUSTED: return "this link's view limit reached";
	default: return "this link has expired";
	}
}

int
h_share_open(struct req *rq)
{
	struct shares_info i;
	struct reqinfo ri;
	uint8_t token[SHARES_TOKEN_LEN], cam[CAMERA_ID_LEN], proof[SHARES_PROOF_LEN], *man = NULL;
	char name[64], tok[2 * SHARES_TOKEN_LEN + 1], sid[SHARES_ID_BUF], *mhex = NULL;
	size_t mlen = 0;
	int64_t texp = 0, now = now_us();
	json_t *segs = NULL, *detail = NULL;
	int r, e, has_proof = 0;

	sodium_memzero(token, sizeof(token));
	sodium_memzero(tok, sizeof(tok));
	sodium_memzero(proof, sizeof(proof));
	authhttp_info(rq, &ri);
	throttle_name(&ri, name);
	if (throttle_gate(rq, &ri, name, &r) != 0)
		goto out;
	if (share_open_body_parse(rq->body.data, rq->body.len, proof, &has_proof) != 0) {
		r = http_error(rq, 400, SHARE_OPEN_BODY_ERR, 0);
		goto out;
	}
	e = rq->m.nparams >= 1 ? shares_get(rq->srv->sh, rq->m.params[0], &i) : SHARES_E_NOTFOUND;
	/* The proof of the link's key comes first: a caller with only the id (it is in every
	 * proxy log) gets the same 403 from a live, ended or revoked link, spends no view,
	 * ends no link and writes nothing to the org's log. A link that ended is then
	 * answered from this read, without the write transaction (the 410s are not
	 * throttled); a live one whose creator lost the camera ends here, before a view is
	 * counted. shares_open_view decides again, atomically. */
	if (e == 0 && shares_proof_check(&i, has_proof ? proof : NULL) != 0)
		e = SHARES_E_PROOF;
	else if (e == 0 && shares_state(&i, now) != 0)
		e = shares_state(&i, now);
	else if (e == 0 && creator_check(rq, &ri, &i) != 0)
		e = SHARES_E_REVOKED;
	else if (e == 0) {
		/* The listing first: an index error answers 500 before a view is counted. */
		if ((segs = json_array()) == NULL || hex_decode(i.camera, cam, sizeof(cam)) != 0 ||
		    index_links_range(rq->srv->ix, cam, i.stream, i.from_us, i.to_us,
		    SHARE_SEGMENTS_MAX, add_segment, segs) < 0) {
			r = http_error(rq, 500, "internal error", 0);
			goto out;
		}
		/* Fail closed: the view is on the org's record before it is counted and before
		 * the token that fetches the footage is handed out. If shares_open_view then
		 * refuses (the link ended in between), the entry names a view that was refused:
		 * the log may hold a view too many, never one too few. */
		detail = json_pack("{s:s}", "id", i.id);
		if (detail == NULL || orgaudit_event_detail(rq, i.org, "share.view", i.camera,
		    detail) != 0) {
			r = http_error(rq, 503, ORGAUDIT_UNAVAILABLE, 0);
			goto out;
		}
		memcpy(sid, i.id, sizeof(sid));    /* shares_open_view refills i */
		e = shares_open_view(rq->srv->sh, sid, has_proof ? proof : NULL, now, &i, token, &texp,
		    &man, &mlen);
	}
	if (e == SHARES_E_PROOF) {
		/* Counted against the address like a wrong id: guessing proofs ends in 429. */
		throttle_count(rq, &ri, name);
		metrics_inc(MC_SHARE_REFUSED, 1);
		log_info("shares", "op=open_refused share=%.*s reason=proof given=%s addr=%s rid=%s",
		    SHARE_LOG_ID, rq->m.params[0], has_proof ? "yes" : "no", ri.addr, ri.rid);
		r = http_error(rq, 403, SHARE_PROOF_ERR, 0);
		goto out;
	}
	if (e == SHARES_E_NOTFOUND) {
		throttle_count(rq, &ri, name);
		metrics_inc(MC_SHARE_REFUSED, 1);
		r = http_error(rq, 404, SHARE_NOT_FOUND, 0);
		goto out;
	}
	if (e == SHARES_E_REVOKED || e == SHARES_E_EXPIRED || e == SHARES_E_EXHAUSTED) {
		metrics_inc(MC_SHARE_REFUSED, 1);
		r = http_error(rq, 410, gone_reason(e), 0);
		goto out;
	}
	if (e != 0) {
		r = http_error(rq, 500, "internal error", 0);
		goto out;
	}
	if ((mhex = malloc(2 * mlen + 1)) == NULL) {
		r = http_error(rq, 500, "internal error", 0);
		goto out;
	}
	hex_encode(man, mlen, mhex);
	hex_encode(token, sizeof(token), tok);
	metrics_inc(MC_SHARE_OPENED, 1);
	log_info("shares", "op=open org=%s camera=%s share=%.*s views=%lld addr=%s rid=%s", i.org,
	    i.camera, SHARE_LOG_ID, i.id, (long long)i.views, ri.addr, ri.rid);
	r = http_json(rq, 200, json_pack("{s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:s,s:s,s:I,s:O}",
	    "camera", i.camera, "stream", shares_stream_name(i.stream) != NULL ?
	    shares_stream_name(i.stream) : "main", "from_us", (json_int_t)i.from_us,
	    "to_us", (json_int_t)i.to_us, "expires_us", (json_int_t)i.expires_us,
	    "views", (json_int_t)i.views, "max_views", (json_int_t)i.max_views,
	    "manifest", mhex, "token", tok, "token_expires_us", (json_int_t)texp,
	    "segments", segs));
out:
	json_decref(segs);
	json_decref(detail);
	free(mhex);
	free(man);
	sodium_memzero(token, sizeof(token));
	sodium_memzero(tok, sizeof(tok));
	sodium_memzero(proof, sizeof(proof));
	return r;
}

int
h_share_segment(struct req *rq)
{
	struct shares_info i;
	struct index_link l;
	struct reqinfo ri;
	uint8_t token[SHARES_TOKEN_LEN], cam[CAMERA_ID_LEN];
	char name[64];
	int64_t seq, now = now_us();
	int r, sent = 0;

	sodium_memzero(token, sizeof(token));
	authhttp_info(rq, &ri);
	throttle_name(&ri, name);
	if (throttle_gate(rq, &ri, name, &r) != 0)
		goto out;
	/* Every refusal is the same 404: no token, a wrong or expired one, a revoked or
	 * expired share, a segment outside it. */
	if (rq->m.nparams < 2 ||
	    share_auth_token(http_header(rq, MHD_HTTP_HEADER_AUTHORIZATION), token) != 0 ||
	    shares_token_check(rq->srv->sh, rq->m.params[0], token, now, &i) != 0) {
		throttle_count(rq, &ri, name);
		r = http_error(rq, 404, "not found", 0);
		goto out;
	}
	if (creator_check(rq, &ri, &i) != 0) {
		r = http_error(rq, 404, "not found", 0);
		goto out;
	}
	if (parse_i64(rq->m.params[1], 0, INT64_MAX, &seq) != 0 ||
	    hex_decode(i.camera, cam, sizeof(cam)) != 0 ||
	    index_link_get(rq->srv->ix, cam, i.stream, (uint64_t)seq, &l) != 0 ||
	    l.kind != LINK_SEGMENT || l.start_us >= i.to_us || l.end_us <= i.from_us) {
		r = http_error(rq, 404, "not found", 0);
		goto out;
	}
	r = archive_serve_link(rq, cam, i.stream, &l, NULL, &sent);
out:
	sodium_memzero(token, sizeof(token));
	return r;
}
