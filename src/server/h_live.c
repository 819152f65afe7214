/* h_live.c - the live handler: an endless record stream fed by the relay over a suspended connection. */
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "common/util.h"
#include "server/archive.h"
#include "server/http.h"
#include "server/identity.h"
#include "server/orgaudit.h"
#include "server/audit.h"
#include "server/authhttp.h"
#include "server/h_livemux.h"
#include "server/relay.h"
#include "server/routes.h"
#include "server/server.h"

/* Longest Cookie header kept for the re-checks. */
#define LIVE_COOKIE_MAX 4096u

struct live {
	struct MHD_Connection *conn;
	struct relay_viewer *v;
	struct audit *aud;                  /* non-NULL: log live.stop to org on close */
	char org[65];
	char user[PRINCIPAL_ID_BUF];
	char cam[2 * CAMERA_ID_LEN + 1];
	char addr[AUTHHTTP_ADDR_BUF];       /* the viewer's address and the request's id */
	char rid[AUTHHTTP_RID_BUF];
	/* A viewer's session, re-checked while the stream lasts (the rule of the route was
	 * met once, when it started): NULL for the test-only admin token. */
	struct server *srv;
	char *cookie;                       /* sodium_malloc'd copy of the Cookie header */
	size_t cookie_len;
	int64_t last_check;                 /* monotonic */
};

/* live.start / live.stop in the camera's org log (sessions only, not the admin token), with
 * the address and request id of the request that started the stream. 0 or -1 (logged). */
static int
live_audit(struct audit *aud, const struct live *lv, const char *action)
{
	struct auditlog_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.actor = lv->user;
	ev.actor_kind = AUDITLOG_ACTOR_USER;
	ev.action = action;
	ev.target = lv->cam;
	ev.address = lv->addr;
	ev.request_id = lv->rid;
	if (audit_append(aud, lv->org, &ev, NULL) != 0) {
		log_err("audit", "op=append org=%s action=%s rid=%s err=failed", lv->org, action,
		    lv->rid);
		return -1;
	}
	return 0;
}

/* Called by the relay with its lock held. */
static void
live_notify(void *arg, int op)
{
	struct live *lv = arg;

	if (op == RELAY_SUSPEND)
		MHD_suspend_connection(lv->conn);
	else
		MHD_resume_connection(lv->conn);
}

static ssize_t
live_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct live *lv = cls;
	int64_t now = mono_us();
	char org[65];
	ssize_t n;

	/* A member removed, a scope narrowed, a session signed out or ended by the support
	 * kill switch: the stream ends within LIVEMUX_RECHECK_US (or at the next keepalive
	 * while the camera is silent), as the grid's does. */
	if (lv->cookie != NULL && now - lv->last_check >= LIVEMUX_RECHECK_US) {
		lv->last_check = now;
		if (authorize_camera_view_again(lv->srv, lv->cookie, lv->cam, lv->user, now_us(),
		    org) != 0) {
			log_info("live", "op=deny user=%s camera=%s", lv->user, lv->cam);
			return MHD_CONTENT_READER_END_OF_STREAM;
		}
	}
	n = relay_viewer_read(lv->v, (uint8_t *)buf, max, now);
	if (n < 0)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	return n;
}

static void
live_free(void *cls)
{
	struct live *lv = cls;

	relay_viewer_remove(lv->v);
	if (lv->aud != NULL)
		(void)live_audit(lv->aud, lv, "live.stop");
	if (lv->cookie != NULL) {
		sodium_memzero(lv->cookie, lv->cookie_len);
		sodium_free(lv->cookie);
	}
	free(lv);
}

int
h_live(struct req *rq)
{
	uint8_t cam[CAMERA_ID_LEN], stream;
	char hex[2 * CAMERA_ID_LEN + 1];
	struct MHD_Response *resp;
	struct reqinfo ri;
	struct live *lv;
	int r;

	if (archive_params(rq, cam, &stream) != 0)
		return http_error(rq, 400, "bad camera id or stream", 0);
	if ((lv = calloc(1, sizeof(*lv))) == NULL)
		return http_error(rq, 503, "out of memory", 0);
	lv->conn = rq->conn;
	hex_encode(cam, sizeof(cam), hex);
	if (rq->who.kind == POLICY_CAMERA_VIEW) {
		const char *cookie = http_header(rq, MHD_HTTP_HEADER_COOKIE);

		if (cookie == NULL || strlen(cookie) > LIVE_COOKIE_MAX) {
			free(lv);
			return http_error(rq, 401, "unauthorized", 0);
		}
		lv->srv = rq->srv;
		lv->cookie_len = strlen(cookie) + 1;
		if ((lv->cookie = sodium_malloc(lv->cookie_len)) == NULL) {
			free(lv);
			return http_error(rq, 503, "out of memory", 0);
		}
		memcpy(lv->cookie, cookie, lv->cookie_len);
		memcpy(lv->user, rq->who.user_id, sizeof(lv->user));
		memcpy(lv->cam, hex, sizeof(lv->cam));
		memcpy(lv->org, rq->who.org, sizeof(lv->org));
		authhttp_info(rq, &ri);
		memcpy(lv->addr, ri.addr, sizeof(lv->addr));
		memcpy(lv->rid, ri.rid, sizeof(lv->rid));
		lv->last_check = mono_us();
		/* Fail closed: the view is on the org's record before the relay hands it a byte;
		 * from here on live_free writes its live.stop. */
		if (rq->srv->idn == NULL || live_audit(rq->srv->idn->aud, lv, "live.start") != 0) {
			live_free(lv);
			return http_error(rq, 503, ORGAUDIT_UNAVAILABLE, 0);
		}
		lv->aud = rq->srv->idn->aud;
	}
	lv->v = relay_viewer_add(rq->srv->rl, cam, stream, live_notify, lv, mono_us());
	if (lv->v == NULL) {
		live_free(lv);
		return http_error(rq, 503, "out of memory", 0);
	}
	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, HTTP_STREAM_BLOCK, live_read, lv,
	    live_free);
	if (resp == NULL) {
		live_free(lv);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", "application/octet-stream");
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	log_info("live", "op=view camera=%s stream=%u", hex, (unsigned)stream);
	r = MHD_queue_response(rq->conn, 200, resp);
	MHD_destroy_response(resp);
	rq->responded = 1;
	return r;
}
