/* test_server_index_migrate.c - an index of the first schema (hex camera ids in every link) built with SQLite directly, opened, migrated to camera keys and every link still readable. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <sqlite3.h>
#include "common/util.h"
#include "server/index.h"

#define NLINKS 500
#define SEG_US 2000000LL

/* The schema index_sqlite.c and index_spans.c created before camera keys. */
static const char *const old_schema[] = {
	"PRAGMA journal_mode=WAL",
	"CREATE TABLE gateways (id VARCHAR(64) PRIMARY KEY, created_us BIGINT NOT NULL)",
	"CREATE TABLE cameras (id VARCHAR(32) PRIMARY KEY, "
	    "gateway VARCHAR(64) NOT NULL REFERENCES gateways(id), max_age_s BIGINT)",
	"CREATE TABLE blobs (id INTEGER PRIMARY KEY, camera VARCHAR(32) NOT NULL, "
	    "stream INTEGER NOT NULL, created_us BIGINT NOT NULL, sealed INTEGER NOT NULL DEFAULT 0, "
	    "size BIGINT NOT NULL DEFAULT 0)",
	"CREATE TABLE links (camera VARCHAR(32) NOT NULL, stream INTEGER NOT NULL, "
	    "seq BIGINT NOT NULL, last_seq BIGINT NOT NULL, kind INTEGER NOT NULL, "
	    "start_us BIGINT NOT NULL, end_us BIGINT NOT NULL, blob BIGINT NOT NULL REFERENCES blobs(id), "
	    "off BIGINT NOT NULL, length BIGINT NOT NULL, PRIMARY KEY (camera, stream, seq))",
	"CREATE INDEX links_time ON links (camera, stream, end_us)",
	"CREATE INDEX links_blob ON links (blob)",
	"CREATE INDEX links_end ON links (end_us)",
	"CREATE TABLE spans (id INTEGER PRIMARY KEY, camera VARCHAR(32) NOT NULL, "
	    "stream INTEGER NOT NULL, start_us BIGINT NOT NULL, end_us BIGINT NOT NULL)",
	"CREATE INDEX spans_start ON spans (camera, stream, start_us)",
	"CREATE INDEX spans_end ON spans (camera, stream, end_us)",
};

static const uint8_t cam_a[CAMERA_ID_LEN] = { 0xa1, 2, 3 };
static const uint8_t cam_b[CAMERA_ID_LEN] = { 0xb2, 7 };
static const uint8_t gw[GATEWAY_ID_LEN] = { 0x42 };

struct fx {
	char dir[64];
	char path[128];
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/vigil-ixm-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/index.db", f->dir);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char p[160];

	snprintf(p, sizeof(p), "%s-wal", f->path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", f->path);
	unlink(p);
	unlink(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

static void
exec_ok(sqlite3 *db, const char *sql)
{
	char *err = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &err);

	if (rc != SQLITE_OK)
		fprintf(stderr, "sql failed: %s: %s\n", sql, err != NULL ? err : "?");
	sqlite3_free(err);
	assert_int_equal(rc, SQLITE_OK);
}

static int64_t
t_of(int cam, int64_t seq)
{
	return 1700000000000000LL + (int64_t)cam * 1000 + seq * SEG_US;
}

/* Write an old-schema index: camera a with NLINKS segments in stream 0 (one hole after seq
 * 199) and a gap link, camera b with 3 segments in stream 1; spans as the old code kept them. */
static void
build_old(const char *path)
{
	char hexa[2 * CAMERA_ID_LEN + 1], hexb[2 * CAMERA_ID_LEN + 1], hexg[2 * GATEWAY_ID_LEN + 1];
	char sql[512];
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	size_t i;
	int64_t s;

	hex_encode(cam_a, CAMERA_ID_LEN, hexa);
	hex_encode(cam_b, CAMERA_ID_LEN, hexb);
	hex_encode(gw, GATEWAY_ID_LEN, hexg);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	for (i = 0; i < sizeof(old_schema) / sizeof(old_schema[0]); i++)
		exec_ok(db, old_schema[i]);
	snprintf(sql, sizeof(sql), "INSERT INTO gateways VALUES ('%s', 1)", hexg);
	exec_ok(db, sql);
	snprintf(sql, sizeof(sql), "INSERT INTO cameras VALUES ('%s', '%s', 3600)", hexa, hexg);
	exec_ok(db, sql);
	snprintf(sql, sizeof(sql), "INSERT INTO blobs VALUES (1, '%s', 0, 1, 1, 0), "
	    "(2, '%s', 1, 1, 1, 0), (3, '%s', 0, 1, 1, 0)", hexa, hexb, hexa);
	exec_ok(db, sql);
	exec_ok(db, "BEGIN");
	assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO links VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	    -1, &st, NULL), SQLITE_OK);
	for (s = 1; s <= NLINKS + 1; s++) {
		/* A hole of a minute after seq 199; the last link is a signed gap. */
		int64_t start = t_of(0, s) + (s >= 200 ? 60 * 1000000LL : 0);

		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, hexa, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int(st, 2, 0);
		sqlite3_bind_int64(st, 3, s);
		sqlite3_bind_int64(st, 4, s);
		sqlite3_bind_int(st, 5, s == NLINKS + 1 ? LINK_GAP : LINK_SEGMENT);
		sqlite3_bind_int64(st, 6, start);
		sqlite3_bind_int64(st, 7, start + SEG_US);
		sqlite3_bind_int64(st, 8, s <= 250 ? 1 : 3);
		sqlite3_bind_int64(st, 9, s * 1000);
		sqlite3_bind_int64(st, 10, 100 + s);
		assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	}
	for (s = 1; s <= 3; s++) {
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, hexb, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int(st, 2, 1);
		sqlite3_bind_int64(st, 3, s);
		sqlite3_bind_int64(st, 4, s);
		sqlite3_bind_int(st, 5, LINK_SEGMENT);
		sqlite3_bind_int64(st, 6, t_of(1, s));
		sqlite3_bind_int64(st, 7, t_of(1, s) + SEG_US);
		sqlite3_bind_int64(st, 8, 2);
		sqlite3_bind_int64(st, 9, 0);
		sqlite3_bind_int64(st, 10, 7);
		assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	}
	sqlite3_finalize(st);
	snprintf(sql, sizeof(sql), "INSERT INTO spans (camera, stream, start_us, end_us) VALUES "
	    "('%s', 0, %lld, %lld), ('%s', 0, %lld, %lld), ('%s', 1, %lld, %lld)",
	    hexa, (long long)t_of(0, 1), (long long)(t_of(0, 199) + SEG_US),
	    hexa, (long long)(t_of(0, 200) + 60 * 1000000LL), (long long)(t_of(0, NLINKS) + 60 * 1000000LL + SEG_US),
	    hexb, (long long)t_of(1, 1), (long long)(t_of(1, 3) + SEG_US));
	exec_ok(db, sql);
	exec_ok(db, "COMMIT");
	sqlite3_close(db);
}

struct seen {
	uint64_t next;
	int bad;
};

static int
seq_cb(void *ctx, const struct index_link *l)
{
	struct seen *s = ctx;
	int64_t start = t_of(0, (int64_t)l->seq) + (l->seq >= 200 ? 60 * 1000000LL : 0);

	/* A listing carries no storage location (index.h); check_index reads it per link. */
	if (l->seq != s->next || memcmp(l->camera_id, cam_a, CAMERA_ID_LEN) != 0 || l->stream != 0 ||
	    l->start_us != start || l->end_us != start + SEG_US || l->length != 100 + l->seq ||
	    l->blob_id != -1 || l->offset != 0)
		s->bad++;
	s->next++;
	return 0;
}

static int
span_cb(void *ctx, int64_t start, int64_t end)
{
	int *n = ctx;

	(*n)++;
	return 0;
}

static int
stream_cb(void *ctx, const struct index_stream_summary *s)
{
	int64_t *segs = ctx;

	segs[memcmp(s->camera_id, cam_a, CAMERA_ID_LEN) == 0 ? 0 : 1] = s->segments;
	return 0;
}

/* Every check that a migrated (or reopened) index answers as the old one did. */
static void
check_index(struct index *ix)
{
	struct index_link l;
	struct seen s = { 1, 0 };
	int64_t segs[2] = { 0, 0 };
	uint64_t max = 0, q;
	int64_t age = 0;
	int spans = 0;

	assert_int_equal(index_links_range(ix, cam_a, 0, 0, INT64_MAX, 1 << 20, seq_cb, &s), NLINKS + 1);
	assert_int_equal(s.bad, 0);
	assert_int_equal(s.next, NLINKS + 2);
	for (q = 1; q <= NLINKS + 1; q++) {
		assert_int_equal(index_link_get(ix, cam_a, 0, q, &l), 0);
		assert_int_equal(l.offset, q * 1000);
		assert_int_equal(l.blob_id, q <= 250 ? 1 : 3);
	}
	assert_int_equal(index_link_get(ix, cam_a, 0, 250, &l), 0);
	assert_int_equal(l.blob_id, 1);
	assert_int_equal(l.offset, 250000);
	assert_int_equal(index_link_get(ix, cam_a, 0, NLINKS + 1, &l), 0);
	assert_int_equal(l.kind, LINK_GAP);
	assert_int_equal(index_link_get(ix, cam_b, 1, 2, &l), 0);
	assert_memory_equal(l.camera_id, cam_b, CAMERA_ID_LEN);
	assert_int_equal(l.length, 7);
	assert_int_equal(index_link_get(ix, cam_b, 0, 2, &l), INDEX_E_NOTFOUND);
	assert_int_equal(index_link_exists(ix, cam_a, 0, 7), 1);
	assert_int_equal(index_link_exists(ix, cam_a, 0, NLINKS + 2), 0);
	assert_int_equal(index_link_max_seq(ix, cam_a, 0, &max), 1);
	assert_int_equal(max, NLINKS + 1);
	assert_int_equal(index_spans_range(ix, cam_a, 0, SPAN_RECORDED, 0, INT64_MAX, 100, span_cb, &spans), 2);
	assert_int_equal(index_streams_list(ix, 10, stream_cb, segs), 2);
	assert_int_equal(segs[0], NLINKS + 1);
	assert_int_equal(segs[1], 3);
	assert_int_equal(index_camera_retention(ix, cam_a, &age), 1);
	assert_int_equal(age, 3600);
	assert_int_equal(index_camera_claim(ix, cam_a, gw), 0);
}

static void
test_migrate(void **state)
{
	struct fx *f = *state;
	struct index *ix = NULL;
	struct index_link l;
	struct index_blob orphans[4];
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int64_t deleted = -1;

	build_old(f->path);
	assert_int_equal(index_open(&ix, f->path), 0);
	check_index(ix);
	/* New links go in beside the migrated ones, duplicates are still refused. */
	memset(&l, 0, sizeof(l));
	memcpy(l.camera_id, cam_a, CAMERA_ID_LEN);
	l.seq = l.last_seq = NLINKS + 2;
	l.start_us = t_of(0, NLINKS + 2) + 60 * 1000000LL;
	l.end_us = l.start_us + SEG_US;
	l.blob_id = 3;
	l.length = 1;
	assert_int_equal(index_link_add(ix, &l), 0);
	assert_int_equal(index_link_add(ix, &l), INDEX_E_DUP);
	assert_int_equal(index_link_exists(ix, cam_a, 0, NLINKS + 2), 1);
	assert_int_equal(index_blob_orphans(ix, orphans, 4), 0);
	index_close(ix);
	ix = NULL;

	/* The file now has the new schema: no hex camera column left in links or spans. */
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_not_equal(sqlite3_prepare_v2(db, "SELECT camera FROM links", -1, &st, NULL), SQLITE_OK);
	sqlite3_finalize(st);
	assert_int_not_equal(sqlite3_prepare_v2(db, "SELECT camera FROM spans", -1, &st, NULL), SQLITE_OK);
	sqlite3_finalize(st);
	sqlite3_close(db);

	/* Reopening does not migrate again, and retention still finds the camera's max age. */
	assert_int_equal(index_open(&ix, f->path), 0);
	assert_int_equal(index_link_get(ix, cam_a, 0, NLINKS + 2, &l), 0);
	assert_int_equal(l.blob_id, 3);
	assert_int_equal(index_expire(ix, t_of(0, NLINKS) + 86400LL * 1000000LL, 0, 0, &deleted), 0);
	assert_int_equal(deleted, NLINKS + 2);
	assert_int_equal(index_link_exists(ix, cam_a, 0, 1), 0);
	assert_int_equal(index_link_exists(ix, cam_b, 1, 1), 1);
	assert_int_equal(index_blob_orphans(ix, orphans, 4), 2);
	index_close(ix);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_migrate, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
