/* audit.h - the server's per-organization, append-only, hash-chained audit log on SQLite. */
#ifndef VIGIL_SERVER_AUDIT_H
#define VIGIL_SERVER_AUDIT_H

#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>
#include "common/auditlog.h"

/*
 * Lines are formatted by common/auditlog (docs/design/audit.md) and kept in one table,
 * audit(org, seq, kind, hash, time_us, line), that this API only ever inserts into;
 * triggers refuse UPDATE and DELETE on it. Checkpoints are signed by the server's own
 * Ed25519 audit key (not an organization's), kept in a file in the data directory.
 *
 * Give the module a connection of its own (it may be on the same database file as the
 * index): appends run in BEGIN IMMEDIATE transactions, which must not interleave with
 * another module's transaction on the same connection. Those transactions also make
 * seq assignment safe across processes sharing the file; within the process a mutex
 * serializes callers. Every function is thread-safe.
 */

#define AUDIT_E_INVAL AUDITLOG_E_INVAL	/* bad org id or event field */
#define AUDIT_E_NOMEM AUDITLOG_E_NOMEM
#define AUDIT_E_IO (-4)			/* SQLite or key file failure (logged) */
#define AUDIT_E_ABORTED (-5)		/* the export callback asked to stop */

struct audit;

/* Create the table (if needed) on db, which stays the caller's and must outlive the
 * module, and load the signing key from key_path, creating it (32-byte seed, mode 0600)
 * if missing. 0 or a negative error; *ap is NULL on failure. */
int audit_open(struct audit **ap, sqlite3 *db, const char *key_path);
/* Wipe the key and free; NULL-safe. Does not close db. */
void audit_close(struct audit *a);

/* The server's audit public key, which `vigil audit verify --server-key` takes. */
void audit_public_key(const struct audit *a, uint8_t pk[32]);

/* Append one event to org's log: seq = head + 1, prev = head's hash, time = ev->time_us
 * or now. Neutralizes echoed input (see auditlog_neutralize). *seq_out (may be NULL)
 * receives the new seq. 0, AUDIT_E_INVAL, AUDIT_E_NOMEM or AUDIT_E_IO. */
int audit_append(struct audit *a, const char *org, const struct auditlog_event *ev,
    uint64_t *seq_out);

/* Store a signed checkpoint over org's current head (seq 0 with a zero hash when the log
 * is empty); a no-op when the head already has one. The caller decides when (e.g. every
 * N entries or T seconds, using audit_head). 0 or a negative error. */
int audit_checkpoint(struct audit *a, const char *org);

struct audit_head {
	uint64_t seq;		/* last entry's seq, 0 when empty */
	int64_t time_us;	/* last entry's time */
	uint64_t ckpt_seq;	/* seq covered by the latest stored checkpoint, 0 if none */
	int64_t ckpt_time_us;	/* its time, 0 if none */
};

/* The state of org's log. 0 or a negative error. */
int audit_head(struct audit *a, const char *org, struct audit_head *h);

/* A line of the download, without its newline (the caller writes one after each). A
 * non-zero return stops the export with AUDIT_E_ABORTED. */
typedef int (*audit_line_cb)(void *arg, const char *line, size_t len);

/* Download org's log from from_seq (1 for all): the stored checkpoint just before it (if
 * any), then every entry and stored checkpoint up to the head as it was at the call, then
 * a fresh checkpoint over that head, so that a truncated download does not verify. The
 * callback runs without the module's lock held. 0 or a negative error. */
int audit_export(struct audit *a, const char *org, uint64_t from_seq, audit_line_cb cb, void *arg);

#endif
