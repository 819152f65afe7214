/* shares.h - share links on the server: opaque sealed manifests, expiry, view limits, revocation and the hashed segment tokens a recipient's open hands out. */
#ifndef VIGIL_SERVER_SHARES_H
#define VIGIL_SERVER_SHARES_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

/*
 * A share (docs/design/shares.md) is a row naming one camera stream and a time range of
 * an org, with an expiry, a view limit and the sharer's manifest sealed under a key K
 * the server never sees: the module stores those bytes and never reads them. Opening a
 * share counts one view and issues a random token whose BLAKE2b-256 hash alone is
 * stored; the token lets the segment route serve ciphertext without counting views.
 * Ids are lowercase hex: share 32, org 64, camera and user 32. Every function is
 * thread-safe (one mutex around a connection of the module's own).
 *
 * A share made since open proofs (docs/design/shares.md, "Open proof") also stores the
 * BLAKE2b-256 hash of a proof the sharer's page derived from K; an open must present
 * that proof, so the id alone (in every proxy log) can neither spend views nor get a
 * token. Rows made before have no hash and open without a proof (legacy).
 */

#define SHARES_ID_LEN 16                      /* random bytes of a share id */
#define SHARES_ID_BUF (2 * SHARES_ID_LEN + 1)
#define SHARES_TOKEN_LEN 32
#define SHARES_PROOF_LEN 32                   /* an open proof, and the hash stored of it */
#define SHARES_MANIFEST_MAX (512u * 1024u)    /* sealed bytes: 1 MiB of hex */
#define SHARES_RANGE_MAX_US (INT64_C(24) * 3600 * 1000000)
#define SHARES_EXPIRY_MAX_US (INT64_C(30) * 24 * 3600 * 1000000)
#define SHARES_VIEWS_MAX 1000
#define SHARES_TOKEN_TTL_US (INT64_C(3600) * 1000000)
#define SHARES_LIST_MAX 500
/* Most live (unrevoked, unexpired, not used up) shares an org may hold: a member cannot fill
 * the disk with manifests, and the owners' list (live ones first) always shows them all. */
#define SHARES_LIVE_MAX SHARES_LIST_MAX
/* ...and one member at most this many of them, so one account cannot use up the org's. */
#define SHARES_LIVE_PER_MEMBER 100

#define SHARES_E_IO (-1)
#define SHARES_E_NOTFOUND (-2)    /* unknown id (or foreign org, or not the creator) */
#define SHARES_E_INVAL (-3)       /* an argument breaks a rule (range, expiry, views, size) */
#define SHARES_E_EXPIRED (-4)     /* the link's expiry has passed */
#define SHARES_E_REVOKED (-5)
#define SHARES_E_EXHAUSTED (-6)   /* every allowed view was used */
#define SHARES_E_LIMIT (-7)       /* the org already holds SHARES_LIVE_MAX live shares */
#define SHARES_E_MEMBER_LIMIT (-8) /* the creator already holds SHARES_LIVE_PER_MEMBER */
#define SHARES_E_PROOF (-9)       /* the share needs an open proof: none given, or a wrong one */

struct shares;

/* What a new share holds; the strings are borrowed ids (see above). */
struct shares_new {
	const char *org;
	const char *camera;
	uint8_t stream;
	int64_t from_us, to_us, expires_us;
	int64_t max_views;
	const char *created_by;
	const uint8_t *manifest;          /* sealed, opaque */
	size_t manifest_len;
	/* SHARES_PROOF_LEN bytes: BLAKE2b-256 of the open proof the sharer's page derived
	 * from K (the proof itself comes only with each open); required for every new share. */
	const uint8_t *open_proof_hash;
};

/* One share as stored (no manifest). */
struct shares_info {
	char id[SHARES_ID_BUF];
	char org[65];
	char camera[33];
	uint8_t stream;
	int64_t from_us, to_us, expires_us;
	int64_t max_views, views;
	char created_by[33];
	int64_t created_us;
	int revoked;
	int has_proof;                    /* 0: a legacy row, opened without a proof */
	uint8_t open_proof_hash[SHARES_PROOF_LEN];
};

/* Open (creating the tables) on db_path with a WAL connection of the module's own. 0 or
 * SHARES_E_IO; *out owned by the caller. */
int shares_open(struct shares **out, const char *db_path);
/* Close; NULL-safe. */
void shares_close(struct shares *s);

/* 0 when n obeys the rules at time now (0 < to-from <= 24 h, now < expires <= now + 30 d,
 * 1 <= max_views <= 1000, 1..SHARES_MANIFEST_MAX manifest bytes, well-formed ids, an open
 * proof hash), else SHARES_E_INVAL. */
int shares_check_new(const struct shares_new *n, int64_t now);
/* Store a new share (shares_check_new first) with a fresh random id into id_out. 0,
 * SHARES_E_INVAL, SHARES_E_LIMIT (n->org holds SHARES_LIVE_MAX live shares at now),
 * SHARES_E_MEMBER_LIMIT (n->created_by holds SHARES_LIVE_PER_MEMBER of them) or
 * SHARES_E_IO. The sealed manifests of the org's shares that ended by now (revoked, expired,
 * used up) are deleted on the way: a dead link's manifest is kept nowhere. */
int shares_create(struct shares *s, const struct shares_new *n, int64_t now,
    char id_out[SHARES_ID_BUF]);
/* One share by id (any org): 0, SHARES_E_NOTFOUND, SHARES_E_IO. */
int shares_get(struct shares *s, const char *id, struct shares_info *out);
/* org's shares, the ones live at now first, then newest first, at most SHARES_LIST_MAX, as
 * the JSON array of GET /api/v1/orgs/{org}/shares (new reference, NULL on failure). */
json_t *shares_list_json(struct shares *s, const char *org, int64_t now);
/* Revoke share id of org (and end its tokens; its sealed manifest is deleted). creator
 * NULL: any share of org; else only one that creator made. 0 (also when already
 * revoked), SHARES_E_NOTFOUND, SHARES_E_IO. */
int shares_revoke(struct shares *s, const char *org, const char *id, const char *creator,
    int64_t now);

/* Revoke every share of camera (32 hex) in org, a removed camera. Count newly revoked,
 * or SHARES_E_IO. */
int shares_revoke_camera(struct shares *s, const char *org, const char *camera);

/* 0 when proof (SHARES_PROOF_LEN bytes, NULL: none given) may open share i: i has no
 * stored hash (legacy), or the proof's BLAKE2b-256 equals it (compared in constant time).
 * Else SHARES_E_PROOF. */
int shares_proof_check(const struct shares_info *i, const uint8_t *proof);

/* A recipient opens share id with proof (as shares_proof_check; NULL: none): in one
 * transaction, refuse a missing or wrong proof (SHARES_E_PROOF, before anything else, so
 * that the id alone learns nothing of the share's state), then a revoked
 * (SHARES_E_REVOKED), expired (SHARES_E_EXPIRED) or used-up (SHARES_E_EXHAUSTED) share, else
 * count a view,
 * draw a token into token (its hash is stored, valid until *token_exp = min(expiry, now +
 * 1 h)), fill info (views after this one) and hand the sealed manifest over in *manifest
 * (malloc'd, the caller frees) and *manifest_len. SHARES_E_NOTFOUND, SHARES_E_IO. The
 * token is wiped on failure. */
int shares_open_view(struct shares *s, const char *id, const uint8_t *proof, int64_t now,
    struct shares_info *info, uint8_t token[SHARES_TOKEN_LEN], int64_t *token_exp,
    uint8_t **manifest, size_t *manifest_len);
/* May token fetch segments of share id at now? 0 (info filled) when the share exists, is
 * neither revoked nor expired, and token is one it issued and unexpired (hashes compared
 * in constant time); SHARES_E_NOTFOUND for every other case; SHARES_E_IO. */
int shares_token_check(struct shares *s, const char *id, const uint8_t token[SHARES_TOKEN_LEN],
    int64_t now, struct shares_info *info);
/* Why share i cannot be opened at now (SHARES_E_REVOKED, SHARES_E_EXPIRED, SHARES_E_EXHAUSTED,
 * in that order of precedence, so a recipient is told the strongest reason), or 0. */
int shares_state(const struct shares_info *i, int64_t now);

/* "main" (0) and "sub" (1): the stream number of a name, or -1; the name of a number, or
 * NULL. */
int shares_stream_parse(const char *name);
const char *shares_stream_name(uint8_t stream);

#endif
