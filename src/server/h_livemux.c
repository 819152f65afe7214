/* h_livemux.c - the multiplexed live handler: many cameras' relay streams framed into one endless response, each camera re-authorized as it plays. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "common/record.h"
#include "common/util.h"
#include "server/audit.h"
#include "server/authhttp.h"
#include "server/h_livemux.h"
#include "server/http.h"
#include "server/identity.h"
#include "server/orgaudit.h"
#include "server/relay.h"
#include "server/routes.h"
#include "server/server.h"

/* A slot reads at most this much per turn, so one busy camera cannot starve the others. */
#define LIVEMUX_SLOT_QUOTA (16u * 1024u)
/* Smallest room worth a read: a header and a few bytes. */
#define LIVEMUX_MIN_ROOM (LIVEMUX_HDR_LEN + 64u)
/* Longest Cookie header kept for re-checks. */
#define LIVEMUX_COOKIE_MAX 4096u

struct mux_slot {
	uint8_t cam[CAMERA_ID_LEN];
	uint8_t stream;
	char hex[2 * CAMERA_ID_LEN + 1];
	char org[65];
	struct relay_viewer *v;     /* NULL once denied */
	int state;                  /* LIVEMUX_ST_* */
	int state_sent;
	int audited;                /* live.start written: live.stop on close */
	struct livemux_scan scan;
};

struct livemux {
	struct server *srv;
	struct MHD_Connection *conn;
	pthread_mutex_t mu;         /* suspended, wake: taken inside the relay's lock, never around it */
	int suspended;
	int wake;
	char *cookie;               /* sodium_malloc'd copy of the Cookie header: the session */
	size_t cookie_len;
	char user[PRINCIPAL_ID_BUF];
	char addr[AUTHHTTP_ADDR_BUF];  /* the viewer's address and the request's id, for the audit */
	char rid[AUTHHTTP_RID_BUF];
	int64_t last_check;
	size_t n, next;
	struct mux_slot slot[];
};

int
livemux_parse_cameras(const char *s, struct livemux_cam *out, size_t max, size_t *n)
{
	const char *p = s, *colon, *end;
	char hex[2 * CAMERA_ID_LEN + 1], num[4];
	size_t k = 0, i, len;
	int64_t v;

	*n = 0;
	if (s == NULL || *s == '\0' || strnlen(s, LIVEMUX_QUERY_MAX + 1) > LIVEMUX_QUERY_MAX)
		return -1;
	for (;;) {
		if (k == max)
			return -1;
		if ((end = strchr(p, ',')) == NULL)
			end = p + strlen(p);
		colon = memchr(p, ':', (size_t)(end - p));
		if (colon == NULL || (size_t)(colon - p) != 2 * CAMERA_ID_LEN)
			return -1;
		memcpy(hex, p, 2 * CAMERA_ID_LEN);
		hex[2 * CAMERA_ID_LEN] = '\0';
		for (i = 0; i < 2 * CAMERA_ID_LEN; i++)
			if (hex[i] >= 'A' && hex[i] <= 'F')
				return -1;    /* one spelling per camera: lowercase */
		if (hex_decode(hex, out[k].cam, CAMERA_ID_LEN) != 0)
			return -1;
		len = (size_t)(end - colon - 1);
		if (len == 0 || len > 3)
			return -1;
		memcpy(num, colon + 1, len);
		num[len] = '\0';
		if (num[0] == '+' || num[0] == '-' || num[0] == ' ' ||
		    parse_i64(num, 0, 255, &v) != 0)
			return -1;
		out[k].stream = (uint8_t)v;
		for (i = 0; i < k; i++)
			if (out[i].stream == out[k].stream &&
			    memcmp(out[i].cam, out[k].cam, CAMERA_ID_LEN) == 0)
				return -1;
		k++;
		if (*end == '\0')
			break;
		p = end + 1;
	}
	*n = k;
	return 0;
}

void
livemux_hdr(uint8_t hdr[LIVEMUX_HDR_LEN], uint8_t type, uint8_t index, uint32_t plen)
{
	hdr[0] = (uint8_t)(plen >> 24);
	hdr[1] = (uint8_t)(plen >> 16);
	hdr[2] = (uint8_t)(plen >> 8);
	hdr[3] = (uint8_t)plen;
	hdr[4] = type;
	hdr[5] = index;
}

size_t
livemux_scan_feed(struct livemux_scan *s, const uint8_t *p, size_t n)
{
	size_t found = 0, k;

	while (n > 0) {
		if (s->left > 0) {
			k = s->left < n ? (size_t)s->left : n;
			s->left -= k;
			p += k;
			n -= k;
			continue;
		}
		s->hdr[s->have++] = *p++;
		n--;
		if (s->have < RECORD_HDR_LEN)
			continue;
		s->have = 0;
		s->left = (uint64_t)s->hdr[0] << 24 | (uint64_t)s->hdr[1] << 16 |
		    (uint64_t)s->hdr[2] << 8 | s->hdr[3];
		if (s->hdr[4] == REC_SEG_HEADER)
			found++;
	}
	return found;
}

/* live.start / live.stop in the camera's org log. 0, or -1 (logged) when it was not written,
 * an unknown org included. */
static int
mux_audit(struct livemux *mx, struct mux_slot *sl, const char *action)
{
	struct auditlog_event ev;

	if (mx->srv->idn == NULL || sl->org[0] == '\0')
		return -1;
	memset(&ev, 0, sizeof(ev));
	ev.actor = mx->user;
	ev.actor_kind = AUDITLOG_ACTOR_USER;
	ev.action = action;
	ev.target = sl->hex;
	ev.address = mx->addr;
	ev.request_id = mx->rid;
	if (audit_append(mx->srv->idn->aud, sl->org, &ev, NULL) != 0) {
		log_err("audit", "op=append org=%s action=%s rid=%s err=failed", sl->org, action,
		    mx->rid);
		return -1;
	}
	return 0;
}

/* The camera-view rule of the per-camera route, with the session this request came with:
 * 0 and the camera's org, or -1 (no session any more, unknown, foreign, out of scope). */
static int
mux_may_view(struct livemux *mx, struct mux_slot *sl)
{
	return authorize_camera_view_again(mx->srv, mx->cookie, sl->hex, mx->user, now_us(),
	    sl->org);
}

/* Stop a slot for good: no more records, a DENIED state message queued. */
static void
mux_deny(struct livemux *mx, struct mux_slot *sl)
{
	if (sl->v != NULL) {
		relay_viewer_remove(sl->v);
		sl->v = NULL;
	}
	if (sl->audited) {
		(void)mux_audit(mx, sl, "live.stop");
		sl->audited = 0;
	}
	if (sl->state != LIVEMUX_ST_DENIED) {
		sl->state = LIVEMUX_ST_DENIED;
		sl->state_sent = 0;
		log_info("live", "op=mux_deny user=%s camera=%s stream=%u", mx->user, sl->hex,
		    (unsigned)sl->stream);
	}
}

static void
mux_recheck(struct livemux *mx, int64_t now)
{
	size_t i;

	mx->last_check = now;
	for (i = 0; i < mx->n; i++)
		if (mx->slot[i].state == LIVEMUX_ST_OK && mux_may_view(mx, &mx->slot[i]) != 0)
			mux_deny(mx, &mx->slot[i]);
}

/* Called by the relay with its lock held: note the wake and resume a suspended response. */
static void
mux_notify(void *arg, int op)
{
	struct livemux *mx = arg;

	if (op != RELAY_RESUME)
		return;    /* the reader suspends the connection itself, once every slot is idle */
	pthread_mutex_lock(&mx->mu);
	mx->wake = 1;
	if (mx->suspended) {
		mx->suspended = 0;
		MHD_resume_connection(mx->conn);
	}
	pthread_mutex_unlock(&mx->mu);
}

/* Queue the state messages not sent yet; bytes written. */
static size_t
mux_states(struct livemux *mx, uint8_t *buf, size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < mx->n; i++) {
		struct mux_slot *sl = &mx->slot[i];

		if (sl->state_sent)
			continue;
		if (max - n < LIVEMUX_HDR_LEN + 1)
			break;
		livemux_hdr(buf + n, LIVEMUX_STATE, (uint8_t)i, 2);
		buf[n + LIVEMUX_HDR_LEN] = (uint8_t)sl->state;
		n += LIVEMUX_HDR_LEN + 1;
		sl->state_sent = 1;
	}
	return n;
}

/* One round over the slots from mx->next: DATA messages written into buf; -1 on shutdown. */
static ssize_t
mux_round(struct livemux *mx, uint8_t *buf, size_t max, int64_t now)
{
	size_t n = 0, k, i, room;
	ssize_t got;

	for (k = 0; k < mx->n; k++) {
		struct mux_slot *sl;

		i = (mx->next + k) % mx->n;
		sl = &mx->slot[i];
		if (sl->v == NULL)
			continue;
		if (max - n < LIVEMUX_MIN_ROOM)
			break;
		room = max - n - LIVEMUX_HDR_LEN;
		if (room > LIVEMUX_SLOT_QUOTA)
			room = LIVEMUX_SLOT_QUOTA;
		got = relay_viewer_read(sl->v, buf + n + LIVEMUX_HDR_LEN, room, now);
		if (got < 0)
			return -1;
		if (got == 0)
			continue;
		/* A new segment starts in these bytes: the viewer must still hold the camera
		 * before any of its frames go out. */
		if (livemux_scan_feed(&sl->scan, buf + n + LIVEMUX_HDR_LEN, (size_t)got) > 0 &&
		    mux_may_view(mx, sl) != 0) {
			mux_deny(mx, sl);
			continue;
		}
		livemux_hdr(buf + n, LIVEMUX_DATA, (uint8_t)i, (uint32_t)got + 1);
		n += LIVEMUX_HDR_LEN + (size_t)got;
	}
	mx->next = mx->n > 0 ? (mx->next + 1) % mx->n : 0;
	return (ssize_t)n;
}

/* 1 when a state message waits to be sent. */
static int
mux_states_pending(const struct livemux *mx)
{
	size_t i;

	for (i = 0; i < mx->n; i++)
		if (!mx->slot[i].state_sent)
			return 1;
	return 0;
}

static int
mux_all_denied(const struct livemux *mx)
{
	size_t i;

	for (i = 0; i < mx->n; i++)
		if (mx->slot[i].state != LIVEMUX_ST_DENIED || !mx->slot[i].state_sent)
			return 0;
	return 1;
}

static ssize_t
mux_read(void *cls, uint64_t pos, char *out, size_t max)
{
	struct livemux *mx = cls;
	uint8_t *buf = (uint8_t *)out;
	int64_t now;
	size_t n;
	ssize_t got;
	int tries;

	(void)pos;
	for (tries = 0; tries < 4; tries++) {
		now = mono_us();
		if (now - mx->last_check >= LIVEMUX_RECHECK_US)
			mux_recheck(mx, now);
		n = mux_states(mx, buf, max);
		if (n == 0 && mux_all_denied(mx))
			return MHD_CONTENT_READER_END_OF_STREAM;
		pthread_mutex_lock(&mx->mu);
		mx->wake = 0;
		pthread_mutex_unlock(&mx->mu);
		if ((got = mux_round(mx, buf + n, max - n, now)) < 0)
			return MHD_CONTENT_READER_END_WITH_ERROR;
		n += (size_t)got;
		if (n > 0)
			return (ssize_t)n;
		if (mux_states_pending(mx))
			continue;    /* a slot was denied in this round: say so now */
		/* Too little room to read any slot (not idle ones: they were not asked), so
		 * nothing may wake us: let MHD call again with a fresh buffer. */
		if (max < LIVEMUX_MIN_ROOM)
			return 0;
		/* Every slot was idle: sleep until the relay wakes one (a record, a keepalive
		 * tick), unless one woke while we were reading the others. */
		pthread_mutex_lock(&mx->mu);
		if (!mx->wake) {
			mx->suspended = 1;
			MHD_suspend_connection(mx->conn);
			pthread_mutex_unlock(&mx->mu);
			return 0;
		}
		pthread_mutex_unlock(&mx->mu);
	}
	return 0;
}

static void
mux_free(void *cls)
{
	struct livemux *mx = cls;
	size_t i;

	if (mx == NULL)
		return;
	for (i = 0; i < mx->n; i++) {
		relay_viewer_remove(mx->slot[i].v);
		if (mx->slot[i].audited)
			(void)mux_audit(mx, &mx->slot[i], "live.stop");
	}
	if (mx->cookie != NULL) {
		sodium_memzero(mx->cookie, mx->cookie_len);
		sodium_free(mx->cookie);
	}
	pthread_mutex_destroy(&mx->mu);
	free(mx);
}

int
h_livemux(struct req *rq)
{
	struct livemux_cam cams[LIVEMUX_MAX_CAMERAS];
	struct reqinfo ri;
	struct MHD_Response *resp = NULL;
	struct livemux *mx = NULL;
	const char *cookie;
	size_t n, i, allowed = 0;
	const char *why = "out of memory";    /* the 503's reason when r stays -1 */
	int r = -1;

	if (livemux_parse_cameras(http_query(rq, "cameras"), cams, LIVEMUX_MAX_CAMERAS, &n) != 0)
		return http_error(rq, 400, "cameras: 1 to 64 distinct ID:STREAM pairs", 0);
	cookie = http_header(rq, MHD_HTTP_HEADER_COOKIE);
	if (cookie == NULL || strlen(cookie) > LIVEMUX_COOKIE_MAX)
		return http_error(rq, 401, "unauthorized", 0);
	if ((mx = calloc(1, sizeof(*mx) + n * sizeof(mx->slot[0]))) == NULL)
		goto out;
	pthread_mutex_init(&mx->mu, NULL);
	mx->srv = rq->srv;
	mx->conn = rq->conn;
	mx->n = n;
	mx->cookie_len = strlen(cookie) + 1;
	if ((mx->cookie = sodium_malloc(mx->cookie_len)) == NULL)
		goto out;
	memcpy(mx->cookie, cookie, mx->cookie_len);
	memcpy(mx->user, rq->who.user_id, sizeof(mx->user));
	authhttp_info(rq, &ri);
	memcpy(mx->addr, ri.addr, sizeof(mx->addr));
	memcpy(mx->rid, ri.rid, sizeof(mx->rid));
	mx->last_check = mono_us();
	for (i = 0; i < n; i++) {
		struct mux_slot *sl = &mx->slot[i];

		memcpy(sl->cam, cams[i].cam, CAMERA_ID_LEN);
		sl->stream = cams[i].stream;
		hex_encode(sl->cam, CAMERA_ID_LEN, sl->hex);
		/* Unknown, foreign and out-of-scope cameras are alike: a DENIED state message. */
		if (mux_may_view(mx, sl) != 0) {
			sl->state = LIVEMUX_ST_DENIED;
			continue;
		}
		/* Fail closed: a camera whose live.start cannot be written is not relayed, and
		 * neither is the rest of the grid: the whole request answers 503 (the log being
		 * unwritable for one camera is for all), those already written get their live.stop
		 * in mux_free, and the console retries after Retry-After. */
		if (mux_audit(mx, sl, "live.start") != 0) {
			why = ORGAUDIT_UNAVAILABLE;
			goto out;
		}
		sl->audited = 1;
		sl->state = LIVEMUX_ST_OK;
		sl->v = relay_viewer_add(rq->srv->rl, sl->cam, sl->stream, mux_notify, mx, mono_us());
		if (sl->v == NULL)
			goto out;
		allowed++;
	}
	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, HTTP_STREAM_BLOCK, mux_read, mx,
	    mux_free);
	if (resp == NULL)
		goto out;
	mx = NULL;    /* the response frees it (mux_free) */
	MHD_add_response_header(resp, "Content-Type", "application/octet-stream");
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	log_info("live", "op=mux_view user=%s cameras=%zu allowed=%zu", rq->who.user_id, n, allowed);
	r = MHD_queue_response(rq->conn, 200, resp);
	rq->responded = 1;
out:
	if (resp != NULL)
		MHD_destroy_response(resp);
	if (r < 0) {
		mux_free(mx);
		r = http_error(rq, 503, why, 0);
	}
	return r;
}
