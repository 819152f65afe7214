/* ingest.c - the ingest handler: streamed records validated, appended, relayed, group-committed, acked. */
#include <stdlib.h>
#include <string.h>
#include "common/record.h"
#include "common/util.h"
#include "server/blobpool.h"
#include "server/http.h"
#include "server/identity.h"
#include "server/index.h"
#include "server/linkcheck.h"
#include "server/metrics.h"
#include "server/orgs.h"
#include "server/relay.h"
#include "server/server.h"
#include "server/store.h"
#include "server/syncer.h"

/* Most links one request may carry (bounds the ack list). */
#define INGEST_MAX_LINKS 100000

struct ingest {
	struct server *srv;
	struct record_parser *rp;
	struct linkcheck lc;
	struct link_event cur;      /* the open link */
	int skip;                   /* already indexed: drop its bytes */
	int live;                   /* newest link: relay it */
	uint64_t ticket;            /* its name in the relay */
	int live_only;              /* SEG_HDR_LIVE_ONLY: relayed, never stored or acked */
	struct store_blob *blob;    /* held while a link is written */
	uint64_t link_off;
	struct sync_group *group;   /* this upload's links handed to the syncer */
	json_t *acked;              /* sent only once the group is done */
	size_t nacked;
};

/* Why an ingest request failed. */
struct ingest_err {
	unsigned status;
	const char *reason;
};

static void
ingest_free(void *p)
{
	struct ingest *in = p;

	if (in == NULL)
		return;
	metrics_gauge_add(MG_UPLOADS, -1);
	/* A link left unfinished is dead space in its blob; the index never names it. */
	blobpool_release(in->srv->bp, in->blob, 0, mono_us());
	/* Links still queued keep the group alive until the syncer settles them. */
	sync_group_release(in->group);
	record_parser_free(in->rp);
	json_decref(in->acked);
	free(in);
}

static int
ack(struct ingest *in, const struct link_event *ev)
{
	char hex[2 * CAMERA_ID_LEN + 1];

	hex_encode(ev->camera_id, CAMERA_ID_LEN, hex);
	if (++in->nacked > INGEST_MAX_LINKS)
		return -1;
	return json_array_append_new(in->acked, json_pack("{s:s,s:i,s:I}", "camera", hex, "stream",
	    (int)ev->stream, "seq", (json_int_t)ev->seq));
}

static int
write_record(struct ingest *in, const struct record *rec, struct ingest_err *e)
{
	uint8_t hdr[RECORD_HDR_LEN];

	if (in->live_only)
		goto relay;
	record_hdr(hdr, rec->type, rec->len);
	if (store_blob_append2(in->blob, hdr, sizeof(hdr), rec->payload, rec->len) != 0) {
		blobpool_release(in->srv->bp, in->blob, 1, mono_us());
		in->blob = NULL;
		*e = (struct ingest_err){ 500, "store error" };
		return -1;
	}
relay:
	if (in->live)
		relay_push(in->srv->rl, in->cur.camera_id, in->cur.stream, in->ticket, rec->type,
		    rec->payload, rec->len);
	return 0;
}

#define INGEST_NOT_REGISTERED "camera is not registered to this gateway"

/* 1 when gw may record cam: the gateway is in no org (the interim keys.json path; *in_org
 * 0), or an admin registered cam to it in its org (*in_org 1). */
static int
camera_registered(struct server *srv, const uint8_t gw[GATEWAY_ID_LEN],
    const uint8_t cam[CAMERA_ID_LEN], int *in_org)
{
	char gwh[ORGS_ID_BUF], camh[2 * CAMERA_ID_LEN + 1], org[ORGS_ID_BUF], owner[ORGS_ID_BUF];

	*in_org = 0;
	if (srv->idn == NULL || srv->idn->orgs == NULL)
		return 1;
	hex_encode(gw, GATEWAY_ID_LEN, gwh);
	hex_encode(cam, CAMERA_ID_LEN, camh);
	if (orgs_gateway_org(srv->idn->orgs, gwh, 0, org) != 0)
		return 1;
	*in_org = 1;
	return orgs_camera_gateway(srv->idn->orgs, camh, owner) == 0 && strcmp(owner, gwh) == 0;
}

/* A link starts: ownership, duplicate check, blob and relay decisions. */
static int
link_begin(struct ingest *in, const struct record *rec, const struct link_event *ev,
    const uint8_t gw[GATEWAY_ID_LEN], struct ingest_err *e)
{
	struct server *srv = in->srv;
	uint64_t max;
	int r, in_org;

	in->cur = *ev;
	in->skip = in->live = 0;
	in->live_only = ev->live_only;
	/* A gateway enrolled in an org records only cameras an admin registered to it. 410:
	 * the camera is not (or no longer) registered, which a gateway whose signed config
	 * dropped the camera takes as "removed" (its spooled links go). Asked again after the
	 * claim: a removal between the two would otherwise leave a fresh binding behind it
	 * (the removal deletes the registration, then the binding). */
	if (!camera_registered(srv, gw, ev->camera_id, &in_org)) {
		*e = (struct ingest_err){ 410, INGEST_NOT_REGISTERED };
		return -1;
	}
	r = index_camera_claim(srv->ix, ev->camera_id, gw);
	if (r == INDEX_E_OWNER) {
		*e = (struct ingest_err){ 403, "camera belongs to another gateway" };
		return -1;
	}
	if (r == 0 && in_org && !camera_registered(srv, gw, ev->camera_id, &in_org)) {
		int64_t links = 0, bytes = 0;
		char camh[2 * CAMERA_ID_LEN + 1], owner[ORGS_ID_BUF];

		/* Removed meanwhile (registered nowhere, not a failed lookup): if this claim came
		 * after the removal's index step, the binding is ours, and links still in the
		 * syncer would be indexed under it. Undo it as the removal does (idempotent; what
		 * it finds goes to the purge). */
		hex_encode(ev->camera_id, CAMERA_ID_LEN, camh);
		if (orgs_camera_gateway(srv->idn->orgs, camh, owner) == ORGS_E_NOTFOUND &&
		    index_camera_remove(srv->ix, ev->camera_id, &links, &bytes) != 0)
			log_err("ingest", "op=unclaim_removed camera=%s err=index", camh);
		*e = (struct ingest_err){ 410, INGEST_NOT_REGISTERED };
		return -1;
	}
	if (r == 0 && ev->live_only) {
		/* Shown live and never stored: nothing to check against the index, nothing to
		 * make durable, no ack (the gateway keeps none of it in its spool). */
		in->live = relay_link_begin(srv->rl, ev->camera_id, ev->stream, ev->seq, 1,
		    ev->start_us, &in->ticket) == 1;
		return write_record(in, rec, e);
	}
	if (r != 0 || (r = index_link_exists(srv->ix, ev->camera_id, ev->stream, ev->seq)) < 0) {
		*e = (struct ingest_err){ 500, "index error" };
		return -1;
	}
	if (r == 1) {
		in->skip = 1;
		return 0;
	}
	if ((r = index_link_max_seq(srv->ix, ev->camera_id, ev->stream, &max)) < 0) {
		*e = (struct ingest_err){ 500, "index error" };
		return -1;
	}
	/* Over capacity: refuse new bytes before writing any (duplicates above are still
	 * acknowledged, which lets gateways free their spools). The gateway keeps the link in
	 * its spool and retries after Retry-After. */
	if (srv->sy != NULL && syncer_overloaded(srv->sy, mono_us())) {
		metrics_inc(MC_INGEST_SHED, 1);
		*e = (struct ingest_err){ 503, "over capacity, retry later" };
		return -1;
	}
	/* Gaps go live too: a viewer's chain continues across an outage, and a camera that
	 * records on motion only signs a "no motion" gap every RECGATE_IDLE_TICK_US while
	 * paused, which tells its viewers that the pause goes on. */
	if (r == 0 || ev->seq > max)
		in->live = relay_link_begin(srv->rl, ev->camera_id, ev->stream, ev->seq, 0,
		    ev->start_us, &in->ticket) == 1;
	if (blobpool_acquire(srv->bp, ev->camera_id, ev->stream, mono_us(), &in->blob) != 0) {
		*e = (struct ingest_err){ 503, "store unavailable" };
		return -1;
	}
	in->link_off = store_blob_size(in->blob);
	return write_record(in, rec, e);
}

/* A link is complete: hand it to the syncer (fdatasync and index row, in a batch) and
 * list it for the ack, which goes out only once the whole group is durable. */
static int
link_end(struct ingest *in, const struct record *rec, const struct link_event *ev,
    struct ingest_err *e)
{
	struct server *srv = in->srv;
	struct index_link l;
	const char *why;
	int r;

	if (in->skip)
		goto acked;
	if (!ev->is_gap && write_record(in, rec, e) != 0)
		return -1;
	if (in->live_only) {
		metrics_inc(MC_INGEST_LIVE_ONLY, 1);
		return 0;
	}
	if (sync_group_poll(in->group, &why) == SYNC_FAILED) {
		blobpool_release(srv->bp, in->blob, 0, mono_us());
		in->blob = NULL;
		*e = (struct ingest_err){ 500, why };
		return -1;
	}
	memset(&l, 0, sizeof(l));
	memcpy(l.camera_id, ev->camera_id, CAMERA_ID_LEN);
	l.stream = ev->stream;
	l.seq = ev->seq;
	l.last_seq = ev->last_seq;
	l.kind = ev->is_gap ? LINK_GAP : LINK_SEGMENT;
	l.gap_reason = ev->is_gap ? ev->gap_reason : 0;
	l.start_us = ev->start_us;
	l.end_us = ev->end_us;
	l.blob_id = store_blob_id(in->blob);
	l.offset = in->link_off;
	l.length = store_blob_size(in->blob) - in->link_off;
	/* The syncer pins the blob, so releasing it now lets the next link append while this
	 * one waits for its fdatasync. */
	r = sync_group_submit(in->group, in->blob, &l);
	blobpool_release(srv->bp, in->blob, 0, mono_us());
	in->blob = NULL;
	if (r != 0) {
		*e = (struct ingest_err){ 503, "shutting down" };
		return -1;
	}
acked:
	if (ack(in, ev) != 0) {
		*e = (struct ingest_err){ 400, "too many links in one request" };
		return -1;
	}
	return 0;
}

static int
ingest_record(struct ingest *in, const struct record *rec, const uint8_t gw[GATEWAY_ID_LEN],
    struct ingest_err *e)
{
	struct link_event ev;
	int r;

	r = linkcheck_record(&in->lc, rec, &ev);
	switch (r) {
	case LC_SKIP:
		return 0;
	case LC_BEGIN:
		return link_begin(in, rec, &ev, gw, e);
	case LC_CHUNK:
		return in->skip ? 0 : write_record(in, rec, e);
	case LC_END:
		return link_end(in, rec, &ev, e);
	case LC_GAP:
		if (link_begin(in, rec, &ev, gw, e) != 0)
			return -1;
		return link_end(in, rec, &ev, e);
	default:
		*e = (struct ingest_err){ 400, linkcheck_strerror(r) };
		return -1;
	}
}

/* Feed this call's bytes and store every whole record. 0 or -1 with *e set. */
static int
ingest_feed(struct ingest *in, const uint8_t *p, size_t n, const uint8_t gw[GATEWAY_ID_LEN],
    struct ingest_err *e)
{
	struct record rec;
	int r;

	metrics_inc(MC_INGEST_BYTES, n);
	if (record_parser_feed(in->rp, p, n) != 0) {
		*e = (struct ingest_err){ 503, "out of memory" };
		return -1;
	}
	while ((r = record_parser_next(in->rp, &rec)) == RECP_RECORD)
		if (ingest_record(in, &rec, gw, e) != 0)
			return -1;
	if (r != RECP_NEED_MORE) {
		*e = (struct ingest_err){ 400, record_strerror(r) };
		return -1;
	}
	return 0;
}

static int
ingest_fail(struct req *rq, const struct ingest_err *e)
{
	char gw[2 * GATEWAY_ID_LEN + 1];

	hex_encode(rq->who.gateway_id, GATEWAY_ID_LEN, gw);
	log_warn("ingest", "op=reject gateway=%s status=%u reason=\"%s\"", gw, e->status, e->reason);
	if (e->status >= 400 && e->status < 500)
		metrics_inc(MC_INGEST_REFUSED, 1);
	return http_fail(rq, e->status, e->reason);
}

/* Runs on the syncer thread with its mutex held once the group settles. */
static void
ingest_wake(void *conn)
{
	MHD_resume_connection(conn);
}

int
h_ingest(struct req *rq)
{
	struct ingest *in = rq->hstate;
	struct ingest_err e;
	json_t *acked;
	const char *why;
	int r;

	if (in == NULL) {
		if ((in = calloc(1, sizeof(*in))) == NULL)
			return http_fail(rq, 503, "out of memory");
		in->srv = rq->srv;
		metrics_gauge_add(MG_UPLOADS, 1);
		in->rp = record_parser_new(RECORD_MAX_PAYLOAD);
		in->acked = json_array();
		in->group = sync_group_new(rq->srv->sy);
		rq->hstate = in;
		rq->hstate_free = ingest_free;
		if (in->rp == NULL || in->acked == NULL || in->group == NULL)
			return http_fail(rq, 503, "out of memory");
		linkcheck_init(&in->lc, rq->who.gateway_id);
	}
	if (!rq->final) {
		if (ingest_feed(in, rq->upload, rq->upload_len, rq->who.gateway_id, &e) != 0)
			return ingest_fail(rq, &e);
		return MHD_YES;
	}
	if (linkcheck_open(&in->lc) || record_parser_pending(in->rp) > 0) {
		e = (struct ingest_err){ 400, "body ended inside a link" };
		return ingest_fail(rq, &e);
	}
	/* The body is in; the ack waits for the syncer. Suspend first, then arm, so that the
	 * syncer's resume can never come before the suspend (MHD would drop it). Resumed, MHD
	 * calls this handler again and the group is settled. */
	r = sync_group_poll(in->group, &why);
	if (r == SYNC_PENDING) {
		MHD_suspend_connection(rq->conn);
		if (sync_group_arm(in->group, ingest_wake, rq->conn) != SYNC_PENDING)
			MHD_resume_connection(rq->conn);
		return MHD_YES;
	}
	if (r == SYNC_FAILED) {
		e = (struct ingest_err){ 500, why };
		return ingest_fail(rq, &e);
	}
	acked = in->acked;
	in->acked = NULL;
	return http_json(rq, 200, json_pack("{s:o}", "acked", acked));
}
