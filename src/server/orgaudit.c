/* orgaudit.c - per-organization audit entries from handlers, with archive reads aggregated per session and camera. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include "common/auditlog.h"
#include "common/statement.h"
#include "common/util.h"
#include "server/audit.h"
#include "server/authhttp.h"
#include "server/http.h"
#include "server/identity.h"
#include "server/orgaudit.h"
#include "server/server.h"

/* Slots remembering recent reads (session, key, stream, band) written to the log; a full
 * table forgets the oldest, which only means one more entry. */
#define READ_SLOTS 256
/* A slot's key: a camera id (archive reads) or "ROUTE:TARGET" (support reads, a gateway id
 * of 64 hex being the longest target). */
#define READ_KEY_BUF 96

struct read_slot {
	char sid[PRINCIPAL_ID_BUF];
	char key[READ_KEY_BUF];
	int stream;
	int64_t band;
	int64_t at_us;
};

static struct read_slot slots[READ_SLOTS];
static pthread_mutex_t slots_mu = PTHREAD_MUTEX_INITIALIZER;

int
orgaudit_event(struct req *rq, const char *org, const char *action, const char *target)
{
	return orgaudit_event_detail(rq, org, action, target, NULL);
}

int
orgaudit_event_detail(struct req *rq, const char *org, const char *action, const char *target,
    const json_t *detail)
{
	struct auditlog_event ev;
	struct reqinfo ri;
	char gw[2 * GATEWAY_ID_LEN + 1];

	if (org == NULL || org[0] == '\0' || rq->srv->idn == NULL)
		return -1;
	authhttp_info(rq, &ri);
	memset(&ev, 0, sizeof(ev));
	if (rq->who.kind == POLICY_GATEWAY) {
		hex_encode(rq->who.gateway_id, GATEWAY_ID_LEN, gw);
		ev.actor = gw;
		ev.actor_kind = AUDITLOG_ACTOR_GATEWAY;
	} else if (rq->who.kind == POLICY_OPERATOR) {
		/* An operator acting on an org from outside it (its quota): named as such. */
		ev.actor = rq->who.user_id[0] != '\0' ? rq->who.user_id : "admin-token";
		ev.actor_kind = AUDITLOG_ACTOR_OPERATOR;
	} else if (rq->who.user_id[0] != '\0') {
		ev.actor = rq->who.user_id;
		ev.actor_kind = rq->who.org_role == STMT_ROLE_SUPPORT ? AUDITLOG_ACTOR_SUPPORT :
		    AUDITLOG_ACTOR_USER;
	} else if (rq->who.kind == POLICY_ADMIN) {
		ev.actor = "admin-token";
		ev.actor_kind = AUDITLOG_ACTOR_OPERATOR;
	} else {
		ev.actor = "anonymous";
		ev.actor_kind = AUDITLOG_ACTOR_ANONYMOUS;
	}
	ev.action = action;
	ev.target = target;
	ev.address = ri.addr;
	ev.request_id = ri.rid;
	ev.detail = detail;
	if (audit_append(rq->srv->idn->aud, org, &ev, NULL) != 0) {
		log_err("audit", "op=append org=%s action=%s rid=%s err=failed", org, action, ri.rid);
		return -1;
	}
	return 0;
}

/* 1 when (sid, key, stream, band) was logged within ORGAUDIT_READ_WINDOW_S of now. */
static int
slot_fresh(const char *sid, const char *key, int stream, int64_t band, int64_t now)
{
	size_t i;
	int fresh = 0;

	pthread_mutex_lock(&slots_mu);
	for (i = 0; i < READ_SLOTS; i++) {
		if (strcmp(slots[i].sid, sid) == 0 && strcmp(slots[i].key, key) == 0 &&
		    slots[i].stream == stream && slots[i].band == band) {
			fresh = now - slots[i].at_us < (int64_t)ORGAUDIT_READ_WINDOW_S * 1000000;
			break;
		}
	}
	pthread_mutex_unlock(&slots_mu);
	return fresh;
}

/* Remember that (sid, key, stream, band) was logged at now: only after its entry is
 * written, so a failed write leaves the next read to log again. Two reads racing past
 * slot_fresh both write: an entry too many, never one too few. */
static void
slot_mark(const char *sid, const char *key, int stream, int64_t band, int64_t now)
{
	int64_t oldest = INT64_MAX;
	size_t i, pick = 0;

	pthread_mutex_lock(&slots_mu);
	for (i = 0; i < READ_SLOTS; i++) {
		if (strcmp(slots[i].sid, sid) == 0 && strcmp(slots[i].key, key) == 0 &&
		    slots[i].stream == stream && slots[i].band == band) {
			pick = i;
			break;
		}
		if (slots[i].at_us < oldest) {
			oldest = slots[i].at_us;
			pick = i;
		}
	}
	snprintf(slots[pick].sid, sizeof(slots[pick].sid), "%s", sid);
	snprintf(slots[pick].key, sizeof(slots[pick].key), "%s", key);
	slots[pick].stream = stream;
	slots[pick].band = band;
	slots[pick].at_us = now;
	pthread_mutex_unlock(&slots_mu);
}

/* One band of footage read: an entry unless one for the same session, camera, stream and
 * band was written within ORGAUDIT_READ_WINDOW_S. 0 or -1 (not written). */
static int
read_band(struct req *rq, const char *org, const char *cam, int stream, int64_t band)
{
	const int64_t band_us = (int64_t)ORGAUDIT_FOOTAGE_BAND_S * 1000000;
	int64_t now = now_us();
	json_t *d;
	int r = 0;

	if (slot_fresh(rq->who.sid, cam, stream, band, now))
		return 0;
	d = json_pack("{s:i, s:I, s:I}", "stream", stream, "footage_from_us", (json_int_t)(band * band_us),
	    "footage_to_us", (json_int_t)((band + 1) * band_us));
	if (d == NULL || orgaudit_event_detail(rq, org, "archive.read", cam, d) != 0)
		r = -1;
	else
		slot_mark(rq->who.sid, cam, stream, band, now);
	json_decref(d);
	return r;
}

int
orgaudit_archive_read(struct req *rq, const char *org, const char *cam, int stream,
    int64_t from_us, int64_t to_us)
{
	const int64_t band_us = (int64_t)ORGAUDIT_FOOTAGE_BAND_S * 1000000;
	int64_t b, first = from_us / band_us, last = (to_us > from_us ? to_us - 1 : from_us) / band_us;
	int r = 0;

	/* A segment is seconds long: it touches one band, two at a boundary. The bound keeps
	 * a link with absurd times from writing many entries. */
	for (b = first; b <= last && b < first + 3 && r == 0; b++)
		r = read_band(rq, org, cam, stream, b);
	return r;
}

int
orgaudit_support_read(struct req *rq, const char *route, const char *target)
{
	char key[READ_KEY_BUF];
	int64_t now = now_us();
	json_t *d;
	int r = 0;

	if (rq->who.kind != POLICY_ORG || rq->who.org_role != STMT_ROLE_SUPPORT)
		return 0;
	snprintf(key, sizeof(key), "%s:%s", route, target);
	if (slot_fresh(rq->who.sid, key, -1, 0, now))
		return 0;
	d = json_pack("{s:s}", "route", route);
	if (d == NULL || orgaudit_event_detail(rq, rq->who.org, "support.read", target, d) != 0)
		r = -1;
	else
		slot_mark(rq->who.sid, key, -1, 0, now);
	json_decref(d);
	return r;
}
