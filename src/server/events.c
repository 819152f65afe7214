/* events.c - motion events on SQLite: id, camera, gateway, times, epoch and the sealed payload blob. */
#include "server/events.h"

#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#include "common/util.h"

struct events {
	sqlite3 *db;
};

static const char *const schema[] = {
	"PRAGMA journal_mode=WAL",
	"PRAGMA synchronous=FULL",
	"CREATE TABLE IF NOT EXISTS events (id BLOB PRIMARY KEY, camera BLOB NOT NULL, "
	    "gateway BLOB NOT NULL, start_us INTEGER NOT NULL, end_us INTEGER NOT NULL, "
	    "epoch INTEGER NOT NULL, payload BLOB NOT NULL, updated_us INTEGER NOT NULL)",
	"CREATE INDEX IF NOT EXISTS events_time ON events (camera, start_us)",
};

int events_open(struct events **out, const char *path)
{
	struct events *ev;
	size_t i;

	*out = NULL;
	if ((ev = calloc(1, sizeof(*ev))) == NULL)
		return EVENTS_E_IO;
	if (sqlite3_open_v2(path, &ev->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	    SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_busy_timeout(ev->db, 5000);
	for (i = 0; i < sizeof(schema) / sizeof(schema[0]); i++) {
		if (sqlite3_exec(ev->db, schema[i], NULL, NULL, NULL) != SQLITE_OK) {
			log_err("events", "op=open err=\"%s\"", sqlite3_errmsg(ev->db));
			goto fail;
		}
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
	free(ev);
}

int events_put(struct events *ev, const uint8_t gw[GATEWAY_ID_LEN], const struct events_row *r,
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

int events_range(struct events *ev, const uint8_t cam[CAMERA_ID_LEN], int64_t from, int64_t to,
    int max, events_fn cb, void *ctx)
{
	sqlite3_stmt *st = NULL;
	int rc, n = 0;

	if (sqlite3_prepare_v2(ev->db, "SELECT id, start_us, end_us, epoch, payload, updated_us "
	    "FROM events WHERE camera = ?1 AND start_us < ?2 AND (end_us = 0 OR end_us > ?3) "
	    "ORDER BY start_us, id LIMIT ?4", -1, &st, NULL) != SQLITE_OK)
		return EVENTS_E_IO;
	sqlite3_bind_blob(st, 1, cam, CAMERA_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, to);
	sqlite3_bind_int64(st, 3, from);
	sqlite3_bind_int(st, 4, max);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
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
		n++;
		if (cb(ctx, &r) != 0)
			break;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return EVENTS_E_IO;
	return n;
}
