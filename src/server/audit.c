/* audit.c - the per-organization audit log: append under a lock and a write transaction, checkpoint, export. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <sqlite3.h>
#include "common/util.h"
#include "server/audit.h"

#define KIND_ENTRY 0
#define KIND_CKPT 1
#define EXPORT_PAGE 256		/* rows read per lock hold during an export */
#define EXPORT_PAGE_MAX (EXPORT_PAGE * (AUDITLOG_LINE_MAX + 1))

struct audit {
	sqlite3 *db;		/* borrowed */
	pthread_mutex_t mu;
	uint8_t sk[crypto_sign_SECRETKEYBYTES];
	uint8_t pk[crypto_sign_PUBLICKEYBYTES];
	struct buf line;	/* formatting scratch, under mu */
};

static const char *const schema[] = {
	"CREATE TABLE IF NOT EXISTS audit (org VARCHAR(64) NOT NULL, seq BIGINT NOT NULL, "
	    "kind INTEGER NOT NULL, hash BLOB NOT NULL, time_us BIGINT NOT NULL, "
	    "line TEXT NOT NULL, PRIMARY KEY (org, seq, kind))",
	/* Append-only below the API too: a stray UPDATE or DELETE fails. */
	"CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit "
	    "BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END",
	"CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit "
	    "BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END",
};

static int
exec_sql(sqlite3 *db, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
		log_err("audit", "op=exec err=\"%s\"", err != NULL ? err : "?");
		sqlite3_free(err);
		return AUDIT_E_IO;
	}
	return 0;
}

static int
prep(sqlite3 *db, sqlite3_stmt **st, const char *sql)
{
	if (sqlite3_prepare_v2(db, sql, -1, st, NULL) != SQLITE_OK) {
		log_err("audit", "op=prepare err=\"%s\"", sqlite3_errmsg(db));
		*st = NULL;
		return AUDIT_E_IO;
	}
	return 0;
}

/* Load the 32-byte seed at path, creating it when missing; derive the keypair. */
static int
key_load(struct audit *a, const char *path)
{
	uint8_t seed[crypto_sign_SEEDBYTES];
	struct buf b;
	int rc = AUDIT_E_IO;

	buf_init(&b, 64);
	if (file_read(path, &b, 64) != 0) {
		if (errno != ENOENT) {
			log_err("audit", "op=key_read path=%s err=\"%s\"", path, strerror(errno));
			goto out;
		}
		randombytes_buf(seed, sizeof(seed));
		if (file_write_atomic(path, seed, sizeof(seed), 0600) != 0) {
			log_err("audit", "op=key_write path=%s err=\"%s\"", path, strerror(errno));
			goto out;
		}
		/* Another process may have won the race: use what is on disk. */
		buf_reset(&b);
		if (file_read(path, &b, 64) != 0)
			goto out;
		log_info("audit", "op=key_create path=%s", path);
	}
	if (b.len != sizeof(seed)) {
		log_err("audit", "op=key_read path=%s err=\"not a 32-byte key\"", path);
		goto out;
	}
	crypto_sign_seed_keypair(a->pk, a->sk, b.data);
	rc = 0;
out:
	sodium_memzero(seed, sizeof(seed));
	buf_free(&b);
	return rc;
}

int
audit_open(struct audit **ap, sqlite3 *db, const char *key_path)
{
	struct audit *a;
	size_t i;
	int rc = AUDIT_E_IO;

	*ap = NULL;
	if (db == NULL || key_path == NULL)
		return AUDIT_E_INVAL;
	a = calloc(1, sizeof(*a));
	if (a == NULL)
		return AUDIT_E_NOMEM;
	pthread_mutex_init(&a->mu, NULL);
	a->db = db;
	buf_init(&a->line, 2 * AUDITLOG_LINE_MAX);
	for (i = 0; i < sizeof(schema) / sizeof(schema[0]); i++)
		if ((rc = exec_sql(db, schema[i])) != 0)
			goto out;
	if ((rc = key_load(a, key_path)) != 0)
		goto out;
	*ap = a;
	a = NULL;
out:
	audit_close(a);
	return rc;
}

void
audit_close(struct audit *a)
{
	if (a == NULL)
		return;
	sodium_memzero(a->sk, sizeof(a->sk));
	buf_free(&a->line);
	pthread_mutex_destroy(&a->mu);
	free(a);
}

void
audit_public_key(const struct audit *a, uint8_t pk[32])
{
	memcpy(pk, a->pk, sizeof(a->pk));
}

/* The last row of a kind for org: seq, hash (zero when none) and time. Under mu. */
static int
last_row(struct audit *a, const char *org, int kind, uint64_t *seq, uint8_t hash[AUDITLOG_HASH_LEN],
    int64_t *time_us)
{
	sqlite3_stmt *st = NULL;
	int rc, s;

	*seq = 0;
	*time_us = 0;
	if (hash != NULL)
		memset(hash, 0, AUDITLOG_HASH_LEN);
	if ((rc = prep(a->db, &st, "SELECT seq, hash, time_us FROM audit WHERE org = ?1 AND "
	    "kind = ?2 ORDER BY seq DESC LIMIT 1")) != 0)
		return rc;
	sqlite3_bind_text(st, 1, org, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, kind);
	s = sqlite3_step(st);
	if (s == SQLITE_ROW) {
		if (sqlite3_column_int64(st, 0) < 0 ||
		    sqlite3_column_bytes(st, 1) != AUDITLOG_HASH_LEN) {
			log_err("audit", "op=head org=%s err=\"corrupt row\"", org);
			rc = AUDIT_E_IO;
			goto out;
		}
		*seq = (uint64_t)sqlite3_column_int64(st, 0);
		if (hash != NULL)
			memcpy(hash, sqlite3_column_blob(st, 1), AUDITLOG_HASH_LEN);
		*time_us = sqlite3_column_int64(st, 2);
	} else if (s != SQLITE_DONE) {
		log_err("audit", "op=head org=%s err=\"%s\"", org, sqlite3_errmsg(a->db));
		rc = AUDIT_E_IO;
	}
out:
	sqlite3_finalize(st);
	return rc;
}

static int
insert_row(struct audit *a, const char *org, uint64_t seq, int kind,
    const uint8_t hash[AUDITLOG_HASH_LEN], int64_t time_us, const struct buf *line)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = prep(a->db, &st, kind == KIND_CKPT ?
	    "INSERT OR IGNORE INTO audit (org, seq, kind, hash, time_us, line) VALUES (?1,?2,?3,?4,?5,?6)" :
	    "INSERT INTO audit (org, seq, kind, hash, time_us, line) VALUES (?1,?2,?3,?4,?5,?6)")) != 0)
		return rc;
	sqlite3_bind_text(st, 1, org, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)seq);
	sqlite3_bind_int(st, 3, kind);
	sqlite3_bind_blob(st, 4, hash, AUDITLOG_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, time_us);
	sqlite3_bind_text(st, 6, (const char *)line->data, (int)line->len, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		log_err("audit", "op=insert org=%s seq=%llu err=\"%s\"", org, (unsigned long long)seq,
		    sqlite3_errmsg(a->db));
		rc = AUDIT_E_IO;
	}
	sqlite3_finalize(st);
	return rc;
}

/* Run one write transaction body under mu; commit on 0, roll back otherwise. */
static int
begin(struct audit *a)
{
	pthread_mutex_lock(&a->mu);
	if (exec_sql(a->db, "BEGIN IMMEDIATE") != 0) {
		pthread_mutex_unlock(&a->mu);
		return AUDIT_E_IO;
	}
	return 0;
}

static int
end(struct audit *a, int rc)
{
	if (rc == 0)
		rc = exec_sql(a->db, "COMMIT");
	if (rc != 0)
		(void)exec_sql(a->db, "ROLLBACK");
	pthread_mutex_unlock(&a->mu);
	return rc;
}

int
audit_append(struct audit *a, const char *org, const struct auditlog_event *ev, uint64_t *seq_out)
{
	uint8_t prev[AUDITLOG_HASH_LEN], hash[AUDITLOG_HASH_LEN];
	uint64_t head;
	int64_t t, last_t;
	int rc;

	if (auditlog_org_valid(org) != 0 || ev == NULL)
		return AUDIT_E_INVAL;
	t = ev->time_us != 0 ? ev->time_us : now_us();
	if ((rc = begin(a)) != 0)
		return rc;
	if ((rc = last_row(a, org, KIND_ENTRY, &head, prev, &last_t)) != 0)
		goto out;
	if (head >= (uint64_t)AUDITLOG_SEQ_MAX) {
		rc = AUDIT_E_INVAL;
		goto out;
	}
	if ((rc = auditlog_entry_format(org, head + 1, t, ev, prev, &a->line, hash)) != 0)
		goto out;
	if ((rc = insert_row(a, org, head + 1, KIND_ENTRY, hash, t, &a->line)) != 0)
		goto out;
	if (seq_out != NULL)
		*seq_out = head + 1;
out:
	return end(a, rc);
}

int
audit_checkpoint(struct audit *a, const char *org)
{
	uint8_t hash[AUDITLOG_HASH_LEN];
	uint64_t head;
	int64_t t, last_t;
	int rc;

	if (auditlog_org_valid(org) != 0)
		return AUDIT_E_INVAL;
	if ((rc = begin(a)) != 0)
		return rc;
	if ((rc = last_row(a, org, KIND_ENTRY, &head, hash, &last_t)) != 0)
		goto out;
	t = now_us();
	if ((rc = auditlog_checkpoint_format(org, head, hash, t, a->sk, &a->line)) != 0)
		goto out;
	rc = insert_row(a, org, head, KIND_CKPT, hash, t, &a->line);
out:
	return end(a, rc);
}

int
audit_head(struct audit *a, const char *org, struct audit_head *h)
{
	int rc;

	memset(h, 0, sizeof(*h));
	if (auditlog_org_valid(org) != 0)
		return AUDIT_E_INVAL;
	pthread_mutex_lock(&a->mu);
	rc = last_row(a, org, KIND_ENTRY, &h->seq, NULL, &h->time_us);
	if (rc == 0)
		rc = last_row(a, org, KIND_CKPT, &h->ckpt_seq, NULL, &h->ckpt_time_us);
	pthread_mutex_unlock(&a->mu);
	return rc;
}

/* Read the next page of rows after (seq, kind) up to head into page, one line per '\n'.
 * Advances *seq and *kind; *n gets the number of rows. Takes mu. */
static int
read_page(struct audit *a, const char *org, uint64_t from, uint64_t head, int64_t *seq, int *kind,
    struct buf *page, size_t *n)
{
	sqlite3_stmt *st = NULL;
	const unsigned char *txt;
	int rc, s, len;

	*n = 0;
	buf_reset(page);
	pthread_mutex_lock(&a->mu);
	if ((rc = prep(a->db, &st, "SELECT seq, kind, line FROM audit WHERE org = ?1 AND "
	    "(seq > ?2 OR (seq = ?2 AND kind > ?3)) AND seq <= ?4 AND (kind = 1 OR seq >= ?5) "
	    "ORDER BY seq, kind LIMIT ?6")) != 0)
		goto out;
	sqlite3_bind_text(st, 1, org, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, *seq);
	sqlite3_bind_int(st, 3, *kind);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)head);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)from);
	sqlite3_bind_int(st, 6, EXPORT_PAGE);
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		*seq = sqlite3_column_int64(st, 0);
		*kind = sqlite3_column_int(st, 1);
		txt = sqlite3_column_text(st, 2);
		len = sqlite3_column_bytes(st, 2);
		if (txt == NULL || len <= 0 || len > AUDITLOG_LINE_MAX ||
		    memchr(txt, '\n', (size_t)len) != NULL) {
			log_err("audit", "op=export org=%s seq=%lld err=\"corrupt row\"", org,
			    (long long)*seq);
			rc = AUDIT_E_IO;
			goto out;
		}
		if (buf_put(page, txt, (size_t)len) != 0 || buf_put_u8(page, '\n') != 0) {
			rc = AUDIT_E_NOMEM;
			goto out;
		}
		(*n)++;
	}
	if (s != SQLITE_DONE) {
		log_err("audit", "op=export org=%s err=\"%s\"", org, sqlite3_errmsg(a->db));
		rc = AUDIT_E_IO;
	}
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&a->mu);
	return rc;
}

int
audit_export(struct audit *a, const char *org, uint64_t from_seq, audit_line_cb cb, void *arg)
{
	uint8_t hash[AUDITLOG_HASH_LEN];
	struct buf fin, page;
	uint64_t head;
	int64_t last_t, cur_seq;
	size_t n, off;
	int rc, cur_kind;
	uint8_t *nl;

	if (auditlog_org_valid(org) != 0 || cb == NULL)
		return AUDIT_E_INVAL;
	buf_init(&fin, 2 * AUDITLOG_LINE_MAX);
	buf_init(&page, EXPORT_PAGE_MAX);
	if (from_seq == 0)
		from_seq = 1;
	/* Fix the head and sign the closing checkpoint first: appends may go on meanwhile. */
	pthread_mutex_lock(&a->mu);
	rc = last_row(a, org, KIND_ENTRY, &head, hash, &last_t);
	if (rc == 0)
		rc = auditlog_checkpoint_format(org, head, hash, now_us(), a->sk, &fin);
	pthread_mutex_unlock(&a->mu);
	if (rc != 0)
		goto out;
	/* Start just before the checkpoint at from_seq - 1, which anchors the first entry. */
	cur_seq = (int64_t)from_seq - 1;
	cur_kind = KIND_ENTRY;
	for (;;) {
		if ((rc = read_page(a, org, from_seq, head, &cur_seq, &cur_kind, &page, &n)) != 0)
			goto out;
		for (off = 0; off < page.len; off = (size_t)(nl - page.data) + 1) {
			nl = memchr(page.data + off, '\n', page.len - off);
			if (cb(arg, (const char *)page.data + off, (size_t)(nl - page.data) - off) != 0) {
				rc = AUDIT_E_ABORTED;
				goto out;
			}
		}
		if (n < EXPORT_PAGE)
			break;
	}
	if (cb(arg, (const char *)fin.data, fin.len) != 0)
		rc = AUDIT_E_ABORTED;
out:
	buf_free(&fin);
	buf_free(&page);
	return rc;
}
