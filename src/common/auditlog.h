/* auditlog.h - the audit log's line format (entries, signed checkpoints) and its offline verifier. */
#ifndef VIGIL_AUDITLOG_H
#define VIGIL_AUDITLOG_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "common/buf.h"

/*
 * One JSON object per line (JSON Lines), fields in a fixed order, compact, no escapes
 * other than \" and \\ (docs/design/audit.md). An entry:
 *   {"kind":"entry","seq":N,"time_us":T,"org":"..","actor":"..","actor_kind":"..",
 *    "action":"..","target":"..","address":"..","request_id":"..","detail":{..},
 *    "prev":"<64 hex>","hash":"<64 hex>"}
 * hash = BLAKE2b-256 of the line's bytes up to (not including) ',"hash"' followed by '}',
 * i.e. the canonical serialization of every other field; prev is the previous entry's
 * hash (all zeros for seq 1). A checkpoint:
 *   {"kind":"checkpoint","org":"..","seq":N,"hash":"<64 hex>","time_us":T,
 *    "key":"<64 hex>","sig":"<128 hex>"}
 * sig = Ed25519 over "vigil-audit-ckpt-v1" || u8 len(org) || org || u64be seq ||
 * hash[32] || i64be time_us, by the server's audit signing key (key = its public half).
 */

#define AUDITLOG_HASH_LEN 32
#define AUDITLOG_LINE_MAX 8192		/* a longer line is malformed */
#define AUDITLOG_ORG_MAX 64		/* org ids: 1..64 of [A-Za-z0-9_.:-] */
#define AUDITLOG_ACTOR_MAX 128		/* caps, in bytes, of neutralized strings */
#define AUDITLOG_TARGET_MAX 256
#define AUDITLOG_ADDRESS_MAX 64
#define AUDITLOG_REQUEST_ID_MAX 64
#define AUDITLOG_DETAIL_STR_MAX 256
#define AUDITLOG_DETAIL_KEYS 16		/* detail: at most 16 keys of [a-z0-9_]{1,32} */
#define AUDITLOG_DETAIL_KEY_MAX 32
#define AUDITLOG_ACTION_MAX 48		/* actions: [a-z][a-z0-9_.]{0,47} */
#define AUDITLOG_SEQ_MAX INT64_C(9007199254740991)	/* 2^53-1: exact in every JSON reader */

/* Errors (negative). */
#define AUDITLOG_E_INVAL (-1)		/* a field the caller gave is not acceptable */
#define AUDITLOG_E_NOMEM (-2)
#define AUDITLOG_E_TAMPERED (-3)	/* verification found a problem; see the report */

/* actor_kind values. */
#define AUDITLOG_ACTOR_USER "user"
#define AUDITLOG_ACTOR_GATEWAY "gateway"
#define AUDITLOG_ACTOR_OPERATOR "operator"
#define AUDITLOG_ACTOR_SUPPORT "support"
#define AUDITLOG_ACTOR_SYSTEM "system"
#define AUDITLOG_ACTOR_ANONYMOUS "anonymous"	/* e.g. a failed login of an unknown name */

/* Actions known today; any [a-z][a-z0-9_.]* name is accepted so new ones need no format change. */
#define AUDITLOG_LOGIN_SUCCESS "login.success"
#define AUDITLOG_LOGIN_FAILURE "login.failure"
#define AUDITLOG_LIVE_START "live.start"
#define AUDITLOG_LIVE_STOP "live.stop"
#define AUDITLOG_ARCHIVE_READ "archive.read"	/* detail: session, count, first_us, last_us */
#define AUDITLOG_EXPORT "export"
#define AUDITLOG_SHARE_CREATE "share.create"
#define AUDITLOG_GRANT_ADD "grant.add"
#define AUDITLOG_GRANT_REMOVE "grant.remove"
#define AUDITLOG_MEMBER_ADD "member.add"
#define AUDITLOG_MEMBER_REMOVE "member.remove"
#define AUDITLOG_ROLE_CHANGE "role.change"
#define AUDITLOG_SETTINGS_CHANGE "settings.change"
#define AUDITLOG_SUPPORT_GRANT "support.grant"
#define AUDITLOG_SUPPORT_REVOKE "support.revoke"
#define AUDITLOG_SUPPORT_ACTION "support.action"
#define AUDITLOG_GATEWAY_ENROLL "gateway.enroll"
#define AUDITLOG_GATEWAY_COMMAND "gateway.command"

/* What a caller records. Strings are raw (possibly attacker-influenced) and borrowed;
 * NULL means "". They are neutralized when formatted: see auditlog_neutralize. Never
 * put secrets (passwords, tokens, keys) in any field. */
struct auditlog_event {
	int64_t time_us;	/* 0: now */
	const char *actor;	/* user id, gateway id, "operator:<id>", "support:<id>" */
	const char *actor_kind;	/* one of AUDITLOG_ACTOR_*; required */
	const char *action;	/* AUDITLOG_* action or another [a-z][a-z0-9_.]* name; required */
	const char *target;
	const char *address;	/* the client's IP address as text */
	const char *request_id;
	const json_t *detail;	/* NULL or a flat object of string / integer values; borrowed */
};

/* Copy in[0..n) into out as valid UTF-8 with every C0/C1 control, DEL, U+2028/U+2029 and
 * bidi control (U+202A..E, U+2066..9) and each invalid byte sequence replaced by U+FFFD,
 * cut at a character boundary so that it fits in cap bytes ("..." U+2026 marks a cut).
 * out must hold cap + 1 bytes; it is NUL-terminated. Returns the length written.
 * Idempotent: neutralizing a neutral string returns it unchanged. cap >= 8. */
size_t auditlog_neutralize(const char *in, size_t n, size_t cap, char *out);

/* 0 when org is a valid org id (1..AUDITLOG_ORG_MAX of [A-Za-z0-9_.:-]), else -1. */
int auditlog_org_valid(const char *org);

/* Format one entry line (no trailing newline) into line (reset first), and its hash into
 * hash_out. seq in [1, AUDITLOG_SEQ_MAX]; time_us >= 0 (ev->time_us is ignored: the
 * caller resolves it). 0, AUDITLOG_E_INVAL or AUDITLOG_E_NOMEM. */
int auditlog_entry_format(const char *org, uint64_t seq, int64_t time_us,
    const struct auditlog_event *ev, const uint8_t prev[AUDITLOG_HASH_LEN],
    struct buf *line, uint8_t hash_out[AUDITLOG_HASH_LEN]);

/* Format a checkpoint over (org, seq, hash, time_us) signed with the 64-byte Ed25519
 * secret key sk into line (reset first; no trailing newline). seq 0 with an all-zero
 * hash stands for an empty log. 0 or a negative error. */
int auditlog_checkpoint_format(const char *org, uint64_t seq, const uint8_t hash[AUDITLOG_HASH_LEN],
    int64_t time_us, const uint8_t sk[64], struct buf *line);

/* What verification found. problem is one of the AUDITLOG_P_* below; msg says it
 * precisely, e.g. "entry seq 17 changed", "entry missing after seq 16", "inserted entry
 * (seq 5 appears twice)", "reordered (...)", "tail truncated after seq 30", "bad
 * checkpoint signature (line 12)". */
enum auditlog_problem {
	AUDITLOG_P_NONE = 0,
	AUDITLOG_P_MALFORMED,
	AUDITLOG_P_CHANGED,
	AUDITLOG_P_MISSING,
	AUDITLOG_P_INSERTED,
	AUDITLOG_P_REORDERED,
	AUDITLOG_P_TRUNCATED,
	AUDITLOG_P_BAD_SIGNATURE,
};

struct auditlog_report {
	enum auditlog_problem problem;
	char msg[256];
	uint64_t entries, checkpoints;
	uint64_t first_seq, head_seq;	/* seqs of the file's first and last entries */
	int64_t head_time_us;		/* time of the final checkpoint */
	char org[AUDITLOG_ORG_MAX + 1];
};

/* An offline verifier of a downloaded log, fed in pieces of any size. */
struct auditlog_verifier;

/* Make a verifier that checks checkpoints against the server's Ed25519 public key.
 * 0 or AUDITLOG_E_NOMEM; *vp is NULL on failure. */
int auditlog_verifier_new(struct auditlog_verifier **vp, const uint8_t server_pk[32]);
/* Feed the next n bytes. 0, or AUDITLOG_E_TAMPERED once a problem is found (further
 * input is then ignored), or AUDITLOG_E_NOMEM. */
int auditlog_verifier_feed(struct auditlog_verifier *v, const void *p, size_t n);
/* End of input: run the whole-file checks and fill r. 0 when the log verifies,
 * AUDITLOG_E_TAMPERED (r->problem, r->msg say why) or AUDITLOG_E_NOMEM. */
int auditlog_verifier_finish(struct auditlog_verifier *v, struct auditlog_report *r);
/* NULL-safe. */
void auditlog_verifier_free(struct auditlog_verifier *v);

#endif
