/* events.c - motion events on SQLite: id, camera, gateway, times, epoch and the sealed payload blob. */
#include "server/events.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#include "common/util.h"

/*
 * One connection, shared by the handler and retention threads. mu is held across each
 * public call: SQLite's own lock covers one API call at a time, so without it a statement
 * stepped in several calls (a listing, events_put's BEGIN ... COMMIT) would interleave with
 * another thread's, and a COMMIT could fail on a statement still in progress.
 */
struct events {
	sqlite3 *db;
	pthread_mutex_t mu;
};

static const char *const schema[] = {
	"PRAGMA journal_mode=WAL",
	"PRAGMA synchronous=FULL",
	"CREATE TABLE IF NOT EXISTS events (id BLOB PRIMARY KEY, camera BLOB NOT NULL, "
	    "gateway BLOB NOT NULL, start_us INTEGER NOT NULL, end_us INTEGER NOT NULL, "
	    "epoch INTEGER NOT NULL, payload BLOB NOT NULL, updated_us INTEGER NOT NULL)",
	"CREATE INDEX IF NOT EXISTS events_time ON events (camera, start_us)",
	/* The open events (end 0) of a camera, and the longest closed event each camera had:
	 * with both, a time window reads only the events that can overlap it (events_range). */
	"CREATE INDEX IF NOT EXISTS events_open ON events (camera, start_us) WHERE end_us = 0",
	("CREATE TABLE IF NOT EXISTS event_durations (camera BLOB PRIMARY KEY, "
	    "max_us INTEGER NOT NULL)"),
};

/* An events file from before event_durations gets it filled from its events, once. */
static const char fill_durations[] =
	"INSERT OR REPLACE INTO event_durations (camera, max_us) SELECT camera, "
	"MAX(end_us - start_us) FROM events WHERE end_us > start_us GROUP BY camera";

int events_open(struct events **out, const char *path)
{
	struct events *ev;
	sqlite3_stmt *st = NULL;
	size_t i;
	int had_durations;

	*out = NULL;
	if ((ev = calloc(1, sizeof(*ev))) == NULL)
		return EVENTS_E_IO;
	pthread_mutex_init(&ev->mu, NULL);
	if (sqlite3_open_v2(path, &ev->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	    SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_busy_timeout(ev->db, 5000);
	had_durations = sqlite3_prepare_v2(ev->db, "SELECT 1 FROM event_durations", -1, &st,
	    NULL) == SQLITE_OK;
	sqlite3_finalize(st);
	for (i = 0; i < sizeof(schema) / sizeof(schema[0]); i++) {
		if (sqlite3_exec(ev->db, schema[i], NULL, NULL, NULL) != SQLITE_OK) {
			log_err("events", "op=open err=\"%s\"", sqlite3_errmsg(ev->db));
			goto fail;
		}
	}
	if (!had_durations && sqlite3_exec(ev->db, fill_durations, NULL, NULL, NULL) != SQLITE_OK) {
		log_err("events", "op=open err=\"%s\"", sqlite3_errmsg(ev->db));
		goto fail;
	}
	*out = ev;
	return 0;
fail:
	events_close(ev);
	return EVENTS_E_IO;
}

void events_close(struct events *ev)
{
	if (ev == NULL)
		return;
	sqlite3_close(ev->db);
	pthread_mutex_destroy(&ev->mu);
	free(ev);
}

static int put_locked(struct events *ev, const uint8_t gw[GATEWAY_ID_LEN], const struct events_row *r,
    int64_t now)
{
	sqlite3_stmt *st = NULL;
	int rc, ret = EVENTS_E_IO, exists = 0;

	if (r->payload_len == 0 || r->payload_len > EVENTS_PAYLOAD_MAX)
		return EVENTS_E_IO;
	if (sqlite3_exec(ev->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return EVENTS_E_IO;
	if (sqlite3_prepare_v2(ev->db, "SELECT camera, gateway FROM events WHERE id = ?", -1, &st,
	    NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_blob(st, 1, r->id, EVENT_ID_LEN, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const void *c = sqlite3_column_blob(st, 0), *g = sqlite3_column_blob(st, 1);
		if (c == NULL || g == NULL || sqlite3_column_bytes(st, 0) != CAMERA_ID_LEN ||
		    sqlite3_column_bytes(st, 1) != GATEWAY_ID_LEN ||
		    memcmp(c, r->camera_id, CAMERA_ID_LEN) != 0 || memcmp(g, gw, GATEWAY_ID_LEN) != 0) {
			ret = EVENTS_E_CONFLICT;
			goto out;
		}
		exists = 1;
	} else if (rc != SQLITE_DONE) {
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_prepare_v2(ev->db, exists ?
	    "UPDATE events SET start_us = ?3, end_us = ?4, epoch = ?5, payload = ?6, updated_us = ?7 "
	    "WHERE id = ?1" :
	    "INSERT INTO events (id, camera, start_us, end_us, epoch, payload, updated_us, gateway) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)", -1, &st, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_blob(st, 1, r->id, EVENT_ID_LEN, SQLITE_STATIC);
	if (!exists) {
		sqlite3_bind_blob(st, 2, r->camera_id, CAMERA_ID_LEN, SQLITE_STATIC);
		sqlite3_bind_blob(st, 8, gw, GATEWAY_ID_LEN, SQLITE_STATIC);
	}
	sqlite3_bind_int64(st, 3, r->start_us);
	sqlite3_bind_int64(st, 4, r->end_us);
	sqlite3_bind_int64(st, 5, r->epoch);
	sqlite3_bind_blob(st, 6, r->payload, (int)r->payload_len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, now);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto out;
	if (r->end_us > r->start_us) {
		sqlite3_finalize(st);
		if (sqlite3_prepare_v2(ev->db, "INSERT INTO event_durations (camera, max_us) "
		    "VALUES (?1, ?2) ON CONFLICT (camera) DO UPDATE SET "
		    "max_us = MAX(max_us, excluded.max_us)", -1, &st, NULL) != SQLITE_OK)
			goto out;
		sqlite3_bind_blob(st, 1, r->camera_id, CAMERA_ID_LEN, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, r->end_us - r->start_us);
		if (sqlite3_step(st) != SQLITE_DONE)
			goto out;
	}
	ret = exists ? 0 : 1;
out:
	sqlite3_finalize(st);
	if (ret >= 0) {
		if (sqlite3_exec(ev->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
			sqlite3_exec(ev->db, "ROLLBACK", NULL, NULL, NULL);
			ret = EVENTS_E_IO;
		}
	} else {
		sqlite3_exec(ev->db, "ROLLBACK", NULL, NULL, NULL);
	}
	if (ret == EVENTS_E_IO)
		log_err("events", "op=put err=\"%s\"", sqlite3_errmsg(ev->db));
	return ret;
}

/* Step st, passing each row to cb while *n < max. 0, 1 (cb stopped) or EVENTS_E_IO. */
static int
emit_rows(sqlite3_stmt *st, const uint8_t cam[CAMERA_ID_LEN], int max, int *n, events_fn cb,
    void *ctx)
{
	int rc = SQLITE_DONE;

	while (*n < max && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct events_row r;

		memset(&r, 0, sizeof(r));
		if (sqlite3_column_bytes(st, 0) != EVENT_ID_LEN)
			continue;
		memcpy(r.id, sqlite3_column_blob(st, 0), EVENT_ID_LEN);
		memcpy(r.camera_id, cam, CAMERA_ID_LEN);
		r.start_us = sqlite3_column_int64(st, 1);
		r.end_us = sqlite3_column_int64(st, 2);
		r.epoch = (uint32_t)sqlite3_column_int64(st, 3);
		r.payload = sqlite3_column_blob(st, 4);
		r.payload_len = (size_t)sqlite3_column_bytes(st, 4);
		r.updated_us = sqlite3_column_int64(st, 5);
		(*n)++;
		if (cb(ctx, &r) != 0)
			return 1;
	}
	return *n >= max || rc == SQLITE_DONE ? 0 : EVENTS_E_IO;
}

/*
 * An event overlaps [from, to) when it starts before `to` and is open or ends after `from`.
 * Filtering that on the start index alone read every earlier event of the camera (a year of
 * them for the last hour). A closed event lasted at most the camera's longest (kept in
 * event_durations), so one that overlaps started at or after from minus that: the start
 * index is read from there. Open events that started earlier come from their own partial
 * index, first, since they start before all the others.
 */
static int range_locked(struct events *ev, const uint8_t cam[CAMERA_ID_LEN], int64_t from, int64_t to,
    int max, events_fn cb, void *ctx)
{
	sqlite3_stmt *st = NULL;
	int64_t longest = 0, lo;
	int r = EVENTS_E_IO, n = 0;

	if (sqlite3_prepare_v2(ev->db, "SELECT max_us FROM event_durations WHERE camera = ?1", -1,
	    &st, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_blob(st, 1, cam, CAMERA_ID_LEN, SQLITE_STATIC);
	if ((r = sqlite3_step(st)) == SQLITE_ROW)
		longest = sqlite3_column_int64(st, 0);
	else if (r != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(st);
	st = NULL;
	lo = longest > 0 && from < INT64_MIN + longest ? INT64_MIN : from - (longest > 0 ? longest : 0);
	if (sqlite3_prepare_v2(ev->db, "SELECT id, start_us, end_us, epoch, payload, updated_us "
	    "FROM events WHERE camera = ?1 AND end_us = 0 AND start_us < ?2 AND start_us < ?3 "
	    "ORDER BY start_us, id", -1, &st, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_blob(st, 1, cam, CAMERA_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, lo);
	sqlite3_bind_int64(st, 3, to);
	if ((r = emit_rows(st, cam, max, &n, cb, ctx)) != 0)
		goto done;
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_prepare_v2(ev->db, "SELECT id, start_us, end_us, epoch, payload, updated_us "
	    "FROM events WHERE camera = ?1 AND start_us >= ?2 AND start_us < ?3 AND "
	    "(end_us = 0 OR end_us > ?4) ORDER BY start_us, id", -1, &st, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_blob(st, 1, cam, CAMERA_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, lo);
	sqlite3_bind_int64(st, 3, to);
	sqlite3_bind_int64(st, 4, from);
	r = emit_rows(st, cam, max, &n, cb, ctx);
done:
	r = r < 0 ? EVENTS_E_IO : n;
	goto out;
fail:
	r = EVENTS_E_IO;
out:
	sqlite3_finalize(st);
	return r;
}

static int
delete_camera_locked(struct events *ev, const uint8_t cam[CAMERA_ID_LEN])
{
	/* Two statements, each its own transaction; a durations row left behind is only an
	 * upper bound. */
	static const char *const sql[] = { "DELETE FROM events WHERE camera = ?",
		"DELETE FROM event_durations WHERE camera = ?" };
	sqlite3_stmt *st = NULL;
	int r = 0, n = 0;
	size_t i;

	for (i = 0; i < sizeof(sql) / sizeof(sql[0]) && r == 0; i++) {
		if (sqlite3_prepare_v2(ev->db, sql[i], -1, &st, NULL) != SQLITE_OK)
			return EVENTS_E_IO;
		sqlite3_bind_blob(st, 1, cam, CAMERA_ID_LEN, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			r = EVENTS_E_IO;
		else if (i == 0)
			n = sqlite3_changes(ev->db);
		sqlite3_finalize(st);
		st = NULL;
	}
	return r == 0 ? n : r;
}

static int
expire_before_locked(struct events *ev, const uint8_t cam[CAMERA_ID_LEN], int64_t before_us)
{
	/* start_us < before bounds the read to the events_time index's range of the camera.
	 * sqlite3_changes() is this statement's: ev->mu is held. */
	sqlite3_stmt *st = NULL;
	int r;

	if (sqlite3_prepare_v2(ev->db, "DELETE FROM events WHERE camera = ? AND start_us < ? AND "
	    "(end_us = 0 OR end_us < ?)", -1, &st, NULL) != SQLITE_OK)
		return EVENTS_E_IO;
	sqlite3_bind_blob(st, 1, cam, CAMERA_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, before_us);
	sqlite3_bind_int64(st, 3, before_us);
	r = sqlite3_step(st) == SQLITE_DONE ? sqlite3_changes(ev->db) : EVENTS_E_IO;
	sqlite3_finalize(st);
	return r;
}

static int
camera_next_locked(struct events *ev, const uint8_t after[CAMERA_ID_LEN],
    uint8_t next[CAMERA_ID_LEN])
{
	static const uint8_t none[CAMERA_ID_LEN];
	sqlite3_stmt *st = NULL;
	const void *b;
	int r, rc;

	if (sqlite3_prepare_v2(ev->db, after != NULL ? "SELECT camera FROM events WHERE camera > ? "
	    "ORDER BY camera LIMIT 1" : "SELECT camera FROM events WHERE camera >= ? ORDER BY camera "
	    "LIMIT 1", -1, &st, NULL) != SQLITE_OK)
		return EVENTS_E_IO;
	sqlite3_bind_blob(st, 1, after != NULL ? after : none, CAMERA_ID_LEN, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && (b = sqlite3_column_blob(st, 0)) != NULL &&
	    sqlite3_column_bytes(st, 0) == CAMERA_ID_LEN) {
		memcpy(next, b, CAMERA_ID_LEN);
		r = 1;
	} else {
		r = rc == SQLITE_DONE ? 0 : EVENTS_E_IO;
	}
	sqlite3_finalize(st);
	return r;
}

/* The public calls: each holds ev->mu for its whole use of the connection. */
int
events_put(struct events *ev, const uint8_t gw[GATEWAY_ID_LEN], const struct events_row *r,
    int64_t now)
{
	int ret;

	pthread_mutex_lock(&ev->mu);
	ret = put_locked(ev, gw, r, now);
	pthread_mutex_unlock(&ev->mu);
	return ret;
}

int
events_range(struct events *ev, const uint8_t cam[CAMERA_ID_LEN], int64_t from, int64_t to,
    int max, events_fn cb, void *ctx)
{
	int ret;

	pthread_mutex_lock(&ev->mu);
	ret = range_locked(ev, cam, from, to, max, cb, ctx);
	pthread_mutex_unlock(&ev->mu);
	return ret;
}

int
events_delete_camera(struct events *ev, const uint8_t cam[CAMERA_ID_LEN])
{
	int ret;

	pthread_mutex_lock(&ev->mu);
	ret = delete_camera_locked(ev, cam);
	pthread_mutex_unlock(&ev->mu);
	return ret;
}

int
events_expire_before(struct events *ev, const uint8_t cam[CAMERA_ID_LEN], int64_t before_us)
{
	int ret;

	pthread_mutex_lock(&ev->mu);
	ret = expire_before_locked(ev, cam, before_us);
	pthread_mutex_unlock(&ev->mu);
	return ret;
}

int
events_camera_next(struct events *ev, const uint8_t after[CAMERA_ID_LEN],
    uint8_t next[CAMERA_ID_LEN])
{
	int ret;

	pthread_mutex_lock(&ev->mu);
	ret = camera_next_locked(ev, after, next);
	pthread_mutex_unlock(&ev->mu);
	return ret;
}
