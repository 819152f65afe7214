/* test_server_audit.c - the server audit log on SQLite: append, checkpoint, export, and tampering caught by the verifier. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <sodium.h>
#include <sqlite3.h>
#include "common/auditlog.h"
#include "common/util.h"
#include "server/audit.h"

#define MAXLINES 256

/* A downloaded log as separate lines, to tamper with. */
struct dl {
	char *line[MAXLINES];
	size_t n;
};

struct fx {
	char dir[64];
	char key[128];
	char dbpath[128];
	sqlite3 *db;
	struct audit *a;
	uint8_t pk[32];
	struct dl orig;		/* the log build() made, copied for each tampering */
	int built;
};


static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (f == NULL || sodium_init() < 0)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/vigil-audit-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->key, sizeof(f->key), "%s/audit.key", f->dir);
	snprintf(f->dbpath, sizeof(f->dbpath), "%s/audit.db", f->dir);
	if (sqlite3_open_v2(f->dbpath, &f->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	    SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK)
		return -1;
	sqlite3_busy_timeout(f->db, 5000);
	/* Durability is not under test here; keep the run short. */
	if (sqlite3_exec(f->db, "PRAGMA synchronous=OFF", NULL, NULL, NULL) != SQLITE_OK)
		return -1;
	if (audit_open(&f->a, f->db, f->key) != 0)
		return -1;
	audit_public_key(f->a, f->pk);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	size_t i;

	for (i = 0; i < f->orig.n; i++)
		free(f->orig.line[i]);
	audit_close(f->a);
	sqlite3_close(f->db);
	unlink(f->key);
	unlink(f->dbpath);
	rmdir(f->dir);
	free(f);
	return 0;
}

static int
collect(void *arg, const char *line, size_t len)
{
	struct dl *d = arg;

	if (d->n >= MAXLINES)
		return -1;
	d->line[d->n] = strndup(line, len);
	return d->line[d->n++] == NULL ? -1 : 0;
}

static void
dl_free(struct dl *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		free(d->line[i]);
	d->n = 0;
}

static void
dl_remove(struct dl *d, size_t i)
{
	free(d->line[i]);
	memmove(&d->line[i], &d->line[i + 1], (d->n - i - 1) * sizeof(d->line[0]));
	d->n--;
}

static void
dl_insert(struct dl *d, size_t i, const char *s)
{
	assert_true(d->n < MAXLINES);
	memmove(&d->line[i + 1], &d->line[i], (d->n - i) * sizeof(d->line[0]));
	d->line[i] = strdup(s);
	d->n++;
}

static void
dl_swap(struct dl *d, size_t i, size_t j)
{
	char *t = d->line[i];

	d->line[i] = d->line[j];
	d->line[j] = t;
}

/* Replace the first occurrence of from by to in line i. */
static void
dl_edit(struct dl *d, size_t i, const char *from, const char *to)
{
	char *p = strstr(d->line[i], from), *n;
	size_t a, fl = strlen(from), tl = strlen(to), ll = strlen(d->line[i]);

	assert_non_null(p);
	a = (size_t)(p - d->line[i]);
	n = malloc(ll - fl + tl + 1);
	assert_non_null(n);
	memcpy(n, d->line[i], a);
	memcpy(n + a, to, tl);
	memcpy(n + a + tl, p + fl, ll - a - fl + 1);
	free(d->line[i]);
	d->line[i] = n;
}

/* Index of the line of entry seq (or of a checkpoint when ckpt). */
static size_t
dl_find(const struct dl *d, uint64_t seq, int ckpt)
{
	char pat[64];
	size_t i;

	snprintf(pat, sizeof(pat), ckpt ? "\"seq\":%llu,\"hash\"" : "\"seq\":%llu,\"time_us\"",
	    (unsigned long long)seq);
	for (i = 0; i < d->n; i++)
		if (strstr(d->line[i], pat) != NULL &&
		    (strstr(d->line[i], "\"kind\":\"checkpoint\"") != NULL) == (ckpt != 0))
			return i;
	fail_msg("seq %llu not found", (unsigned long long)seq);
	return 0;
}

struct feed {
	struct auditlog_verifier *v;
	int lines;
};

static int
feed_line(void *arg, const char *line, size_t len)
{
	struct feed *fd = arg;

	fd->lines++;
	if (len == 0 || memchr(line, '\n', len) != NULL)
		return -1;
	return auditlog_verifier_feed(fd->v, line, len) != 0 || auditlog_verifier_feed(fd->v, "\n", 1) != 0;
}

/* Decode the 32-byte hex field name ("prev" or "hash") of a line. */
static void
field_hash(const char *line, const char *name, uint8_t out[32])
{
	char pat[32], hex[65];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\":\"", name);
	p = strstr(line, pat);
	assert_non_null(p);
	memcpy(hex, p + strlen(pat), 64);
	hex[64] = '\0';
	assert_int_equal(hex_decode(hex, out, 32), 0);
}

static void
dl_copy(struct dl *dst, const struct dl *src)
{
	size_t i;

	for (i = 0; i < src->n; i++)
		dst->line[i] = strdup(src->line[i]);
	dst->n = src->n;
}

static int
verify_dl(const struct dl *d, const uint8_t pk[32], struct auditlog_report *r)
{
	struct auditlog_verifier *v;
	size_t i;
	int rc;

	assert_int_equal(auditlog_verifier_new(&v, pk), 0);
	for (i = 0; i < d->n; i++) {
		(void)auditlog_verifier_feed(v, d->line[i], strlen(d->line[i]));
		(void)auditlog_verifier_feed(v, "\n", 1);
	}
	rc = auditlog_verifier_finish(v, r);
	auditlog_verifier_free(v);
	return rc;
}

static void
expect(const struct dl *d, const uint8_t pk[32], enum auditlog_problem p, const char *msg)
{
	struct auditlog_report r;
	int rc = verify_dl(d, pk, &r);

	if (p == AUDITLOG_P_NONE) {
		if (rc != 0)
			fail_msg("expected ok, got: %s", r.msg);
		return;
	}
	assert_int_equal(rc, AUDITLOG_E_TAMPERED);
	print_message("  caught: %s\n", r.msg);
	if (r.problem != p || strstr(r.msg, msg) == NULL)
		fail_msg("expected problem %d '%s', got %d '%s'", (int)p, msg, (int)r.problem, r.msg);
}

static void
add(struct fx *f, const char *org, uint64_t want_seq, const char *action, const char *target)
{
	struct auditlog_event ev = { 0 };
	json_t *detail = json_pack("{s:s,s:I}", "camera", "cam1", "count", (json_int_t)want_seq);
	uint64_t seq = 0;

	ev.actor = "u-alice";
	ev.actor_kind = AUDITLOG_ACTOR_USER;
	ev.action = action;
	ev.target = target;
	ev.address = "127.0.0.1";
	ev.request_id = "req-1";
	ev.detail = detail;
	assert_int_equal(audit_append(f->a, org, &ev, &seq), 0);
	assert_int_equal(seq, want_seq);
	json_decref(detail);
}

/* 30 entries of org "o1", a stored checkpoint after 10 and 20, with org "o2" interleaved;
 * built once per fixture, then each call hands out a fresh copy of the download. */
static void
build(struct fx *f, struct dl *d)
{
	uint64_t i;

	memset(d, 0, sizeof(*d));
	if (!f->built) {
		for (i = 1; i <= 30; i++) {
			add(f, "o1", i, i % 2 ? AUDITLOG_LIVE_START : AUDITLOG_ARCHIVE_READ, "cam1");
			if (i <= 5)
				add(f, "o2", i, AUDITLOG_LOGIN_SUCCESS, "");
			if (i % 10 == 0 && i < 30)
				assert_int_equal(audit_checkpoint(f->a, "o1"), 0);
		}
		assert_int_equal(audit_export(f->a, "o1", 1, collect, &f->orig), 0);
		/* 30 entries, 2 stored checkpoints, the closing one. */
		assert_int_equal(f->orig.n, 33);
		f->built = 1;
	}
	dl_copy(d, &f->orig);
}

static void
test_export_verifies(void **state)
{
	struct fx *f = *state;
	struct auditlog_report r;
	struct audit_head h;
	struct dl d;

	build(f, &d);
	assert_int_equal(verify_dl(&d, f->pk, &r), 0);
	assert_int_equal(r.entries, 30);
	assert_int_equal(r.checkpoints, 3);
	assert_int_equal(r.first_seq, 1);
	assert_int_equal(r.head_seq, 30);
	assert_string_equal(r.org, "o1");
	assert_non_null(strstr(d.line[0], "\"prev\":\"0000000000000000000000000000000000000000000000000000000000000000\""));
	assert_int_equal(audit_head(f->a, "o1", &h), 0);
	assert_int_equal(h.seq, 30);
	assert_int_equal(h.ckpt_seq, 20);
	assert_true(h.ckpt_time_us > 0);
	dl_free(&d);
	/* The other org's log is separate and verifies on its own. */
	assert_int_equal(audit_export(f->a, "o2", 1, collect, &d), 0);
	assert_int_equal(verify_dl(&d, f->pk, &r), 0);
	assert_int_equal(r.entries, 5);
	assert_string_equal(r.org, "o2");
	dl_free(&d);
}

static void
test_export_from_seq(void **state)
{
	struct fx *f = *state;
	struct auditlog_report r;
	struct dl d, all;

	build(f, &all);
	memset(&d, 0, sizeof(d));
	/* From 11: the checkpoint at 10 anchors the first entry. */
	assert_int_equal(audit_export(f->a, "o1", 11, collect, &d), 0);
	assert_non_null(strstr(d.line[0], "\"kind\":\"checkpoint\""));
	assert_int_equal(verify_dl(&d, f->pk, &r), 0);
	assert_int_equal(r.entries, 20);
	assert_int_equal(r.first_seq, 11);
	/* The first entry replaced by a self-consistent forgery. */
	{
		struct auditlog_event ev = { 0 };
		uint8_t prev[32] = { 7 }, h[32];
		struct buf b;

		ev.actor = "u-mallory";
		ev.actor_kind = AUDITLOG_ACTOR_USER;
		ev.action = AUDITLOG_EXPORT;
		buf_init(&b, 2 * AUDITLOG_LINE_MAX);
		assert_int_equal(auditlog_entry_format("o1", 11, 1000, &ev, prev, &b, h), 0);
		assert_int_equal(buf_put_u8(&b, 0), 0);
		free(d.line[1]);
		d.line[1] = strdup((char *)b.data);
		buf_free(&b);
	}
	expect(&d, f->pk, AUDITLOG_P_CHANGED, "entry seq 11 changed");
	dl_free(&d);
	dl_free(&all);
}

static void
test_empty_org(void **state)
{
	struct fx *f = *state;
	struct auditlog_report r;
	struct dl d = { 0 };

	assert_int_equal(audit_export(f->a, "nobody", 1, collect, &d), 0);
	assert_int_equal(d.n, 1);
	assert_int_equal(verify_dl(&d, f->pk, &r), 0);
	assert_int_equal(r.entries, 0);
	dl_free(&d);
}

static void
test_tamper_changed(void **state)
{
	struct fx *f = *state;
	struct dl d;

	build(f, &d);
	dl_edit(&d, dl_find(&d, 17, 0), "\"target\":\"cam1\"", "\"target\":\"cam9\"");
	expect(&d, f->pk, AUDITLOG_P_CHANGED, "entry seq 17 changed");
	dl_free(&d);
}

static void
test_tamper_changed_rehashed(void **state)
{
	struct fx *f = *state;
	struct auditlog_event ev = { 0 };
	struct buf b;
	uint8_t prev[32], h[32];
	struct dl d;
	size_t i17;

	build(f, &d);
	/* Rewrite entry 17 with a correct hash of its own: entry 18's prev gives it away. */
	i17 = dl_find(&d, 17, 0);
	field_hash(d.line[i17], "prev", prev);
	ev.actor = "u-alice";
	ev.actor_kind = AUDITLOG_ACTOR_USER;
	ev.action = AUDITLOG_LIVE_START;
	ev.target = "cam1";
	buf_init(&b, 2 * AUDITLOG_LINE_MAX);
	assert_int_equal(auditlog_entry_format("o1", 17, 1000, &ev, prev, &b, h), 0);
	assert_int_equal(buf_put_u8(&b, 0), 0);
	free(d.line[i17]);
	d.line[i17] = strdup((char *)b.data);
	expect(&d, f->pk, AUDITLOG_P_CHANGED, "entry seq 17 changed");
	buf_free(&b);
	dl_free(&d);
}

static void
test_tamper_deleted(void **state)
{
	struct fx *f = *state;
	struct dl d;

	build(f, &d);
	dl_remove(&d, dl_find(&d, 17, 0));
	expect(&d, f->pk, AUDITLOG_P_MISSING, "entry missing after seq 16");
	dl_free(&d);
	/* The last entry deleted, the closing checkpoint kept. */
	build(f, &d);
	dl_remove(&d, dl_find(&d, 30, 0));
	expect(&d, f->pk, AUDITLOG_P_MISSING, "entry missing after seq 29");
	dl_free(&d);
}

static void
test_tamper_inserted(void **state)
{
	struct fx *f = *state;
	struct auditlog_event ev = { 0 };
	struct buf b;
	uint8_t prev[32], h[32];
	struct dl d;
	size_t i17;
	char *copy;

	/* A copy of an existing line. */
	build(f, &d);
	copy = strdup(d.line[dl_find(&d, 5, 0)]);
	dl_insert(&d, dl_find(&d, 17, 0), copy);
	free(copy);
	expect(&d, f->pk, AUDITLOG_P_INSERTED, "inserted entry");
	dl_free(&d);
	/* A forged, self-consistent entry 17 linked to 16, before the real 17. */
	build(f, &d);
	i17 = dl_find(&d, 17, 0);
	field_hash(d.line[i17], "prev", prev);
	ev.actor = "u-alice";
	ev.actor_kind = AUDITLOG_ACTOR_USER;
	ev.action = AUDITLOG_LOGIN_SUCCESS;
	buf_init(&b, 2 * AUDITLOG_LINE_MAX);
	assert_int_equal(auditlog_entry_format("o1", 17, 1000, &ev, prev, &b, h), 0);
	assert_int_equal(buf_put_u8(&b, 0), 0);
	dl_insert(&d, i17, (char *)b.data);
	expect(&d, f->pk, AUDITLOG_P_INSERTED, "inserted entry (seq 17 appears twice");
	dl_free(&d);
	/* Another org's valid line. */
	build(f, &d);
	{
		struct dl o2 = { 0 };

		assert_int_equal(audit_export(f->a, "o2", 1, collect, &o2), 0);
		dl_insert(&d, 3, o2.line[2]);
		dl_free(&o2);
	}
	expect(&d, f->pk, AUDITLOG_P_INSERTED, "inserted entry");
	dl_free(&d);
	/* An entry past the final checkpoint, numbered on. */
	build(f, &d);
	{
		uint8_t h30[32];

		field_hash(d.line[dl_find(&d, 30, 0)], "hash", h30);
		assert_int_equal(auditlog_entry_format("o1", 31, 1000, &ev, h30, &b, h), 0);
		assert_int_equal(buf_put_u8(&b, 0), 0);
		dl_insert(&d, d.n - 1, (char *)b.data);
	}
	expect(&d, f->pk, AUDITLOG_P_INSERTED, "inserted entry (seq 31");
	buf_free(&b);
	dl_free(&d);
}

static void
test_tamper_reordered(void **state)
{
	struct fx *f = *state;
	struct dl d;

	build(f, &d);
	dl_swap(&d, dl_find(&d, 17, 0), dl_find(&d, 18, 0));
	expect(&d, f->pk, AUDITLOG_P_REORDERED, "reordered");
	dl_free(&d);
	build(f, &d);
	dl_swap(&d, 0, 1);
	expect(&d, f->pk, AUDITLOG_P_REORDERED, "reordered");
	dl_free(&d);
	/* A checkpoint moved before the entry it covers. */
	build(f, &d);
	dl_swap(&d, dl_find(&d, 10, 1), dl_find(&d, 10, 0));
	expect(&d, f->pk, AUDITLOG_P_REORDERED, "reordered");
	dl_free(&d);
}

static void
test_tamper_truncated(void **state)
{
	struct fx *f = *state;
	struct dl d;

	build(f, &d);
	/* Drop the closing checkpoint and the last five entries. */
	while (d.n > 28)
		dl_remove(&d, d.n - 1);
	expect(&d, f->pk, AUDITLOG_P_TRUNCATED, "tail truncated after seq 26");
	dl_free(&d);
	/* Only the closing checkpoint dropped. */
	build(f, &d);
	dl_remove(&d, d.n - 1);
	expect(&d, f->pk, AUDITLOG_P_TRUNCATED, "tail truncated after seq 30");
	dl_free(&d);
	/* A line cut in the middle (no newline at the end). */
	build(f, &d);
	{
		struct auditlog_verifier *v;
		struct auditlog_report r;
		size_t i;

		assert_int_equal(auditlog_verifier_new(&v, f->pk), 0);
		for (i = 0; i + 1 < d.n; i++) {
			assert_int_equal(auditlog_verifier_feed(v, d.line[i], strlen(d.line[i])), 0);
			assert_int_equal(auditlog_verifier_feed(v, "\n", 1), 0);
		}
		assert_int_equal(auditlog_verifier_feed(v, d.line[i], 40), 0);
		assert_int_equal(auditlog_verifier_finish(v, &r), AUDITLOG_E_TAMPERED);
		assert_int_equal(r.problem, AUDITLOG_P_TRUNCATED);
		assert_non_null(strstr(r.msg, "tail truncated after seq 30"));
		auditlog_verifier_free(v);
	}
	dl_free(&d);
}

static void
test_tamper_signature(void **state)
{
	struct fx *f = *state;
	uint8_t other[32];
	struct dl d;
	size_t i;

	build(f, &d);
	/* The closing checkpoint moved to another head: the signature no longer matches. */
	i = d.n - 1;
	dl_edit(&d, i, "\"time_us\":", "\"time_us\":1");
	expect(&d, f->pk, AUDITLOG_P_BAD_SIGNATURE, "bad checkpoint signature");
	dl_free(&d);
	/* Checked against another server key. */
	build(f, &d);
	memcpy(other, f->pk, 32);
	other[0] ^= 1;
	expect(&d, other, AUDITLOG_P_BAD_SIGNATURE, "bad checkpoint signature");
	dl_free(&d);
}

static void
test_log_injection(void **state)
{
	struct fx *f = *state;
	struct auditlog_event ev = { 0 };
	struct auditlog_report r;
	struct dl d = { 0 };
	static const char evil[] = "bob\n{\"kind\":\"entry\",\"seq\":2,\"actor\":\"root\"}\r\x1b[2J\xff\xe2\x80\xae";

	ev.actor = evil;
	ev.actor_kind = AUDITLOG_ACTOR_ANONYMOUS;
	ev.action = AUDITLOG_LOGIN_FAILURE;
	ev.target = evil;
	ev.address = "::1";
	ev.request_id = evil;
	assert_int_equal(audit_append(f->a, "o3", &ev, NULL), 0);
	assert_int_equal(audit_export(f->a, "o3", 1, collect, &d), 0);
	/* One entry line plus the closing checkpoint: the newline did not split it. */
	assert_int_equal(d.n, 2);
	assert_null(strchr(d.line[0], '\n'));
	assert_null(strchr(d.line[0], '\r'));
	assert_null(strchr(d.line[0], '\x1b'));
	assert_null(strstr(d.line[0], "\xe2\x80\xae"));
	assert_non_null(strstr(d.line[0], "\"actor\":\"bob\xef\xbf\xbd{\\\"kind\\\":\\\"entry\\\""));
	assert_int_equal(verify_dl(&d, f->pk, &r), 0);
	assert_int_equal(r.entries, 1);
	dl_free(&d);
}

static void
test_invalid_events(void **state)
{
	struct fx *f = *state;
	struct auditlog_event ev = { 0 };
	json_t *bad = json_pack("{s:f}", "x", 1.5);

	ev.actor_kind = AUDITLOG_ACTOR_USER;
	ev.action = AUDITLOG_EXPORT;
	assert_int_equal(audit_append(f->a, "bad org", &ev, NULL), AUDIT_E_INVAL);
	assert_int_equal(audit_append(f->a, "", &ev, NULL), AUDIT_E_INVAL);
	ev.action = "Export!";
	assert_int_equal(audit_append(f->a, "o1", &ev, NULL), AUDIT_E_INVAL);
	ev.action = AUDITLOG_EXPORT;
	ev.actor_kind = "god";
	assert_int_equal(audit_append(f->a, "o1", &ev, NULL), AUDIT_E_INVAL);
	ev.actor_kind = AUDITLOG_ACTOR_USER;
	ev.detail = bad;
	assert_int_equal(audit_append(f->a, "o1", &ev, NULL), AUDIT_E_INVAL);
	json_decref(bad);
	/* Nothing was appended. */
	{
		struct audit_head h;

		assert_int_equal(audit_head(f->a, "o1", &h), 0);
		assert_int_equal(h.seq, 0);
	}
}

static void
test_append_only_in_sql(void **state)
{
	struct fx *f = *state;

	add(f, "o1", 1, AUDITLOG_EXPORT, "cam1");
	assert_int_not_equal(sqlite3_exec(f->db, "UPDATE audit SET line = 'x'", NULL, NULL, NULL),
	    SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(f->db, "DELETE FROM audit", NULL, NULL, NULL), SQLITE_OK);
}

static void
test_key_persists(void **state)
{
	struct fx *f = *state;
	struct audit *b = NULL;
	uint8_t pk2[32];

	assert_int_equal(audit_open(&b, f->db, f->key), 0);
	audit_public_key(b, pk2);
	assert_memory_equal(f->pk, pk2, 32);
	audit_close(b);
	assert_int_equal(access(f->key, R_OK), 0);
}

struct thr {
	struct fx *f;
	int n;
};

static void *
appender(void *arg)
{
	struct thr *t = arg;
	struct auditlog_event ev = { 0 };
	int i;

	ev.actor = "u-bob";
	ev.actor_kind = AUDITLOG_ACTOR_USER;
	ev.action = AUDITLOG_LIVE_STOP;
	for (i = 0; i < t->n; i++)
		if (audit_append(t->f->a, "oc", &ev, NULL) != 0)
			return (void *)1;
	return NULL;
}

static void
test_concurrent_appends(void **state)
{
	struct fx *f = *state;
	pthread_t th[4];
	struct thr t = { f, 50 };
	struct auditlog_report r;
	struct dl d = { 0 };
	void *ret;
	int i;

	for (i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&th[i], NULL, appender, &t), 0);
	for (i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(th[i], &ret), 0);
		assert_null(ret);
	}
	assert_int_equal(audit_export(f->a, "oc", 1, collect, &d), 0);
	assert_int_equal(verify_dl(&d, f->pk, &r), 0);
	assert_int_equal(r.entries, 200);
	assert_int_equal(r.head_seq, 200);
	dl_free(&d);
}

/* More rows than one export page (256), with checkpoints on page boundaries. */
static void
test_export_pages(void **state)
{
	struct fx *f = *state;
	struct auditlog_event ev = { 0 };
	struct auditlog_report r;
	struct dl d = { 0 };
	uint64_t i;

	ev.actor = "gw-1";
	ev.actor_kind = AUDITLOG_ACTOR_GATEWAY;
	ev.action = AUDITLOG_GATEWAY_COMMAND;
	for (i = 1; i <= 600; i++) {
		assert_int_equal(audit_append(f->a, "op", &ev, NULL), 0);
		if (i % 100 == 0 || i == 255 || i == 256)
			assert_int_equal(audit_checkpoint(f->a, "op"), 0);
	}
	/* Repeating a checkpoint over the same head adds nothing. */
	assert_int_equal(audit_checkpoint(f->a, "op"), 0);
	/* The whole log, streamed straight into a verifier. */
	{
		struct feed fd = { NULL, 0 };

		assert_int_equal(auditlog_verifier_new(&fd.v, f->pk), 0);
		assert_int_equal(audit_export(f->a, "op", 1, feed_line, &fd), 0);
		/* 600 entries, stored checkpoints at 100..600 and 255, 256, the closing one. */
		assert_int_equal(fd.lines, 600 + 8 + 1);
		assert_int_equal(auditlog_verifier_finish(fd.v, &r), 0);
		assert_int_equal(r.entries, 600);
		assert_int_equal(r.checkpoints, 9);
		auditlog_verifier_free(fd.v);
	}
	/* The tail from 401: anchor checkpoint at 400, 200 entries, stored 500 and 600, closing. */
	assert_int_equal(audit_export(f->a, "op", 401, collect, &d), 0);
	assert_int_equal(d.n, 1 + 200 + 2 + 1);
	assert_int_equal(verify_dl(&d, f->pk, &r), 0);
	assert_int_equal(r.first_seq, 401);
	assert_int_equal(r.head_seq, 600);
	dl_free(&d);
}

static int
stop_after_one(void *arg, const char *line, size_t len)
{
	int *n = arg;

	return ++*n > 1;
}

static void
test_export_abort(void **state)
{
	struct fx *f = *state;
	int n = 0;

	add(f, "o1", 1, AUDITLOG_EXPORT, "cam1");
	add(f, "o1", 2, AUDITLOG_EXPORT, "cam1");
	assert_int_equal(audit_export(f->a, "o1", 1, stop_after_one, &n), AUDIT_E_ABORTED);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_export_verifies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_export_from_seq, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_org, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tamper_changed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tamper_changed_rehashed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tamper_deleted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tamper_inserted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tamper_reordered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tamper_truncated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tamper_signature, setup, teardown),
		cmocka_unit_test_setup_teardown(test_log_injection, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invalid_events, setup, teardown),
		cmocka_unit_test_setup_teardown(test_append_only_in_sql, setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_persists, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_appends, setup, teardown),
		cmocka_unit_test_setup_teardown(test_export_abort, setup, teardown),
		cmocka_unit_test_setup_teardown(test_export_pages, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
