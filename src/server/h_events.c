/* h_events.c - motion event routes: a gateway posts sealed events, a viewer lists them by camera and time. */
#include <libgen.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include "common/util.h"
#include "server/events.h"
#include "server/http.h"
#include "server/identity.h"
#include "server/index.h"
#include "server/jsonbody.h"
#include "server/orgs.h"
#include "server/webhook.h"
#include "server/server.h"

/*
 * The event store lives next to the accounts database (DATA/events.db). It is opened on
 * first use because struct server has no field for it yet; the lead may move the open to
 * main.c. Never closed before exit (SQLite's WAL makes that safe).
 */
static struct events *g_events;
static pthread_mutex_t g_events_mu = PTHREAD_MUTEX_INITIALIZER;

static struct events *events_for(struct server *srv)
{
	struct events *ev = NULL;
	const char *dbf;
	char dir[1024], path[1100];

	pthread_mutex_lock(&g_events_mu);
	if (g_events != NULL) {
		ev = g_events;
		goto out;
	}
	if (srv->idn == NULL || srv->idn->db == NULL ||
	    (dbf = sqlite3_db_filename(srv->idn->db, "main")) == NULL || dbf[0] == '\0' ||
	    strlen(dbf) >= sizeof(dir))
		goto out;
	memcpy(dir, dbf, strlen(dbf) + 1);
	if (snprintf(path, sizeof(path), "%s/events.db", dirname(dir)) >= (int)sizeof(path))
		goto out;
	if (events_open(&g_events, path) != 0)
		goto out;
	ev = g_events;
out:
	pthread_mutex_unlock(&g_events_mu);
	return ev;
}

int
h_events_forget_camera(struct server *srv, const uint8_t cam[CAMERA_ID_LEN])
{
	struct events *ev = events_for(srv);

	return ev == NULL ? -1 : events_delete_camera(ev, cam);
}

struct events *
h_events_store(struct server *srv)
{
	return events_for(srv);
}

/* 0 when gateway gw may post events for camera cam; else the HTTP status to answer. */
static unsigned camera_allowed(struct server *srv, const uint8_t gw[GATEWAY_ID_LEN],
    const uint8_t cam[CAMERA_ID_LEN])
{
	char gwh[2 * GATEWAY_ID_LEN + 1], camh[2 * CAMERA_ID_LEN + 1], org[ORGS_ID_BUF],
	    owner[ORGS_ID_BUF];
	int r;

	hex_encode(gw, GATEWAY_ID_LEN, gwh);
	hex_encode(cam, CAMERA_ID_LEN, camh);
	/* An enrolled gateway posts only for cameras an admin registered to it. */
	if (srv->idn != NULL && srv->idn->orgs != NULL &&
	    orgs_gateway_org(srv->idn->orgs, gwh, 0, org) == 0 &&
	    (orgs_camera_gateway(srv->idn->orgs, camh, owner) != 0 || strcmp(owner, gwh) != 0))
		return 403;
	/* Otherwise the camera belongs to the gateway that first recorded it. */
	r = index_camera_claim(srv->ix, cam, gw);
	if (r == INDEX_E_OWNER)
		return 403;
	return r == 0 ? 0 : 500;
}

int h_events_post(struct req *rq)
{
	struct events_row row;
	struct events *ev;
	json_t *j = NULL, *pl;
	const char *phex;
	uint8_t *payload = NULL;
	char idh[2 * EVENT_ID_LEN + 1], camh[2 * CAMERA_ID_LEN + 1];
	int64_t start, end, epoch;
	size_t plen;
	unsigned st;
	int r, ret;

	memset(&row, 0, sizeof(row));
	if (jsonbody_parse(rq->body.data, rq->body.len, &j) != 0 ||
	    jsonbody_hex(j, "id", row.id, EVENT_ID_LEN) != 0 ||
	    jsonbody_hex(j, "camera", row.camera_id, CAMERA_ID_LEN) != 0 ||
	    jsonbody_int(j, "start_us", 1, INT64_MAX, &start) != 0 ||
	    jsonbody_int(j, "end_us", 0, INT64_MAX, &end) != 0 ||
	    jsonbody_int(j, "epoch", 0, UINT32_MAX, &epoch) != 0 ||
	    (end != 0 && end < start) ||
	    (pl = json_object_get(j, "payload")) == NULL || (phex = json_string_value(pl)) == NULL ||
	    json_string_length(pl) % 2 != 0 || json_string_length(pl) == 0 ||
	    json_string_length(pl) / 2 > EVENTS_PAYLOAD_MAX) {
		json_decref(j);
		return http_error(rq, 400,
		    "body must be {id:hex32,camera:hex32,start_us,end_us,epoch,payload:hex}", 0);
	}
	plen = json_string_length(pl) / 2;
	if ((payload = malloc(plen)) == NULL) {
		json_decref(j);
		return http_error(rq, 500, "out of memory", 0);
	}
	if (hex_decode(phex, payload, plen) != 0) {
		ret = http_error(rq, 400, "payload must be hex", 0);
		goto out;
	}
	if ((st = camera_allowed(rq->srv, rq->who.gateway_id, row.camera_id)) != 0) {
		ret = http_error(rq, st, st == 403 ? "camera is not registered to this gateway" :
		    "index error", 0);
		goto out;
	}
	if ((ev = events_for(rq->srv)) == NULL) {
		ret = http_error(rq, 500, "event store unavailable", 0);
		goto out;
	}
	row.start_us = start;
	row.end_us = end;
	row.epoch = (uint32_t)epoch;
	row.payload = payload;
	row.payload_len = plen;
	r = events_put(ev, rq->who.gateway_id, &row, now_us());
	if (r == EVENTS_E_CONFLICT) {
		ret = http_error(rq, 409, "event id taken", 0);
		goto out;
	}
	if (r < 0) {
		ret = http_error(rq, 500, "event store error", 0);
		goto out;
	}
	hex_encode(row.id, EVENT_ID_LEN, idh);
	hex_encode(row.camera_id, CAMERA_ID_LEN, camh);
	log_info("events", "op=put camera=%s event=%s start_us=%lld end_us=%lld new=%d", camh, idh,
	    (long long)start, (long long)end, r);
	/* A new event notifies the camera's organization once (metadata only, webhook.h). */
	if (r == 1 && rq->srv->wh != NULL && rq->srv->idn != NULL && rq->srv->idn->orgs != NULL) {
		char org[ORGS_ID_BUF];

		if (orgs_camera_org(rq->srv->idn->orgs, camh, org) == 0)
			webhook_notify_event(rq->srv->wh, org, camh, idh, start, end);
	}
	ret = http_json(rq, r == 1 ? 201 : 200, json_pack("{s:s}", "id", idh));
out:
	free(payload);
	json_decref(j);
	return ret;
}

static int add_event(void *ctx, const struct events_row *r)
{
	json_t *arr = ctx, *o;
	char idh[2 * EVENT_ID_LEN + 1], *ph;

	if ((ph = malloc(2 * r->payload_len + 1)) == NULL)
		return -1;
	hex_encode(r->id, EVENT_ID_LEN, idh);
	hex_encode(r->payload, r->payload_len, ph);
	o = json_pack("{s:s,s:I,s:I,s:I,s:s}", "id", idh, "start_us", (json_int_t)r->start_us,
	    "end_us", (json_int_t)r->end_us, "epoch", (json_int_t)r->epoch, "payload", ph);
	free(ph);
	if (o == NULL || json_array_append_new(arr, o) != 0)
		return -1;
	return 0;
}

static int query_i64(struct req *rq, const char *name, int64_t *v)
{
	const char *s = http_query(rq, name);

	if (s == NULL)
		return 0;
	return parse_i64(s, INT64_MIN, INT64_MAX, v);
}

int h_events_list(struct req *rq)
{
	uint8_t cam[CAMERA_ID_LEN];
	int64_t from = INT64_MIN, to = INT64_MAX;
	struct events *ev;
	json_t *arr;

	if (rq->m.nparams < 1 || strlen(rq->m.params[0]) != 2 * CAMERA_ID_LEN ||
	    hex_decode(rq->m.params[0], cam, sizeof(cam)) != 0)
		return http_error(rq, 404, "not found", 0);
	if (query_i64(rq, "from", &from) != 0 || query_i64(rq, "to", &to) != 0 || from >= to)
		return http_error(rq, 400, "bad from or to", 0);
	if ((ev = events_for(rq->srv)) == NULL)
		return http_error(rq, 500, "event store unavailable", 0);
	if ((arr = json_array()) == NULL)
		return http_error(rq, 500, "out of memory", 0);
	if (events_range(ev, cam, from, to, EVENTS_LIST_MAX, add_event, arr) < 0) {
		json_decref(arr);
		return http_error(rq, 500, "event store error", 0);
	}
	return http_json(rq, 200, json_pack("{s:o}", "events", arr));
}
