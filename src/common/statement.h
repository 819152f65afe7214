/* statement.h - signed org statements: one fixed binary layout, signing, parsing and verification against a pinned org root. */
#ifndef VIGIL_STATEMENT_H
#define VIGIL_STATEMENT_H

#include <stddef.h>
#include <stdint.h>
#include <sodium.h>
#include "common/buf.h"

/*
 * Layout (big-endian, no padding), STMT_HEADER_LEN bytes then the body then the signature:
 *
 *   0  version u8 (1)        1  type u8            2  flags u16 (0)
 *   4  org_id[32]            36 issuer_pk[32]      68 target[32]
 *   100 seq u64              108 issued_at i64 (us) 116 expires_at i64 (us, 0 = never)
 *   124 body_len u32         128 body[body_len]    128+body_len sig[64]
 *
 * sig = Ed25519(issuer, "vigil-stmt-v1" || every byte before sig). org_id is BLAKE2b-256
 * of the org root public key. target names what seq counts for (see docs/design/keys.md):
 * a statement is only ever valid in one encoding, so its bytes are canonical.
 */
#define STMT_VERSION 1
#define STMT_KEY_LEN 32                      /* Ed25519 and X25519 public keys */
#define STMT_SK_LEN crypto_sign_SECRETKEYBYTES /* 64 */
#define STMT_ORG_ID_LEN 32
#define STMT_TARGET_LEN 32
#define STMT_ID_LEN 16                       /* user, camera and site ids */
#define STMT_SIG_LEN crypto_sign_BYTES       /* 64 */
#define STMT_HEADER_LEN 128
#define STMT_BODY_MAX (192u * 1024u)
#define STMT_MAX_LEN (STMT_HEADER_LEN + STMT_BODY_MAX + STMT_SIG_LEN)
#define STMT_SEALED_SK_LEN (crypto_box_SEALBYTES + crypto_box_SECRETKEYBYTES) /* 80 */
#define STMT_NAME_MAX 64
#define STMT_SCOPE_MAX 64
#define STMT_TRUST_MAX 64
/* Safety number: 8 groups of 5 digits joined by '-' (47 characters) and a NUL. */
#define STMT_FINGERPRINT_DIGITS 40
#define STMT_FINGERPRINT_LEN 48

enum stmt_type {
	STMT_ANY = 0,              /* statement_verify: accept any type */
	STMT_ORG_ROOT = 1,         /* self-signed by the org root: the org exists */
	STMT_ADMIN_CERT = 2,       /* root certifies (or revokes) an admin's keys */
	STMT_MEMBER_ADD = 3,
	STMT_MEMBER_REMOVE = 4,
	STMT_MEMBER_ROLE = 5,
	STMT_CAMERA_EPOCH = 6,     /* camera id, epoch, epoch X25519 public key[, site id[, name]] */
	STMT_GRANT = 7,            /* epoch secret sealed to a user */
	STMT_GATEWAY_CERT = 8,     /* gateway Ed25519 id enrolled in the org, at a site */
	STMT_GATEWAY_CONFIG = 9,   /* body sealed to the gateway */
	STMT_GATEWAY_COMMAND = 10, /* body sealed to the gateway */
	STMT_TYPE_MAX = 10
};

enum stmt_role {
	STMT_ROLE_NONE = 0, STMT_ROLE_OWNER = 1, STMT_ROLE_ADMIN = 2, STMT_ROLE_VIEWER = 3,
	STMT_ROLE_AUDITOR = 4, STMT_ROLE_SUPPORT = 5
};

/* One error space for statements and the modules built on them (orgkeys, enroll,
 * sigconfig). Every message is safe to show and log: none echoes input. */
enum stmt_err {
	STMT_OK = 0,
	STMT_E_FORMAT = -1,      /* malformed, truncated, trailing bytes, bad body layout */
	STMT_E_VERSION = -2,     /* unknown version */
	STMT_E_SIGNATURE = -3,   /* the signature does not verify */
	STMT_E_ISSUER = -4,      /* signed by a key that is neither the root nor a certified admin */
	STMT_E_UNCERTIFIED = -5, /* needs the pinned org root itself (admin certs, org.root) */
	STMT_E_ORG = -6,         /* statement of another organization */
	STMT_E_TYPE = -7,        /* not the expected statement type */
	STMT_E_EXPIRED = -8,
	STMT_E_NOMEM = -9,
	STMT_E_TARGET = -10,     /* addressed to another gateway, user or camera */
	STMT_E_REPLAY = -11,     /* sequence number not above the last one applied */
	STMT_E_SEALED = -12,     /* the sealed part does not open, or opens to the wrong key */
	STMT_E_MISMATCH = -13,   /* grant and camera.epoch disagree (injected key) */
	STMT_E_FINGERPRINT = -14, /* org root does not match the pinned fingerprint */
	STMT_E_MAC = -15,        /* enrollment MAC does not verify (keys swapped) */
	STMT_E_CONFIG = -16,     /* the opened configuration is invalid */
	STMT_E_IO = -17,         /* state file unreadable or unwritable */
	STMT_E_FULL = -18,       /* trust set full */
	STMT_E_ARG = -19,        /* caller error: bad argument */
};
const char *statement_strerror(int err);

struct stmt_org_root { char name[STMT_NAME_MAX + 1]; };
struct stmt_admin_cert {
	uint8_t user_id[STMT_ID_LEN];
	uint8_t sign_pk[STMT_KEY_LEN];
	uint8_t box_pk[STMT_KEY_LEN];
	uint8_t active;                    /* 1 certify, 0 revoke */
};
/* member.add, member.remove (role NONE, no scope) and member.role. nscope 0 = whole org. */
struct stmt_member {
	uint8_t user_id[STMT_ID_LEN];
	uint8_t sign_pk[STMT_KEY_LEN];
	uint8_t box_pk[STMT_KEY_LEN];
	uint8_t role;
	uint16_t nscope;
	uint8_t scope[STMT_SCOPE_MAX][STMT_ID_LEN]; /* site or camera ids */
};
/* has_site: the body also names the camera's site (68 bytes rather than 52), so that the
 * admins' clients take a camera's site for scope decisions from a signed statement rather
 * than from the server's camera list. has_name (only with has_site): the body then ends
 * with name_len u8 | name, the camera's display name (1..STMT_NAME_MAX bytes of UTF-8
 * without control bytes, NUL-terminated here), so that viewers show the name the org
 * signed rather than the server's. Zero-initialise when unused. */
struct stmt_camera_epoch {
	uint8_t camera_id[STMT_ID_LEN];
	uint32_t epoch;
	uint8_t epoch_pk[STMT_KEY_LEN];
	uint8_t has_site;
	uint8_t site_id[STMT_ID_LEN];
	uint8_t has_name;
	char name[STMT_NAME_MAX + 1];
};
struct stmt_grant {
	uint8_t camera_id[STMT_ID_LEN];
	uint32_t epoch;
	uint8_t epoch_pk[STMT_KEY_LEN];
	uint8_t grantee_id[STMT_ID_LEN];
	uint8_t grantee_box_pk[STMT_KEY_LEN];
	uint8_t sealed_sk[STMT_SEALED_SK_LEN]; /* crypto_box_seal(epoch sk, grantee_box_pk) */
};
struct stmt_gateway_cert {
	uint8_t gateway_pk[STMT_KEY_LEN];  /* Ed25519; its X25519 key is derived from it */
	uint8_t site_id[STMT_ID_LEN];
};

/* A parsed statement. Owns a copy of its bytes; body points into that copy. For
 * gateway.config and gateway.command the body is the sealed blob. */
struct stmt {
	uint8_t version;
	uint8_t type;
	uint8_t org_id[STMT_ORG_ID_LEN];
	uint8_t issuer[STMT_KEY_LEN];
	uint8_t target[STMT_TARGET_LEN];
	uint64_t seq;
	int64_t issued_at;
	int64_t expires_at;
	const uint8_t *body;
	size_t body_len;
	uint8_t sig[STMT_SIG_LEN];
	union {
		struct stmt_org_root org_root;
		struct stmt_admin_cert admin_cert;
		struct stmt_member member;
		struct stmt_camera_epoch camera_epoch;
		struct stmt_grant grant;
		struct stmt_gateway_cert gateway_cert;
	} u;
	uint8_t *raw;
	size_t raw_len;
};

/* Who signs: an org root or a certified admin. org_id is the org's (not BLAKE2b(pk)
 * for an admin). Wipe with statement_signer_wipe. */
struct stmt_signer {
	uint8_t pk[STMT_KEY_LEN];
	uint8_t sk[STMT_SK_LEN];
	uint8_t org_id[STMT_ORG_ID_LEN];
};
void statement_signer_wipe(struct stmt_signer *s);

/* org_id = BLAKE2b-256(root_pk). */
void statement_org_id(const uint8_t root_pk[STMT_KEY_LEN], uint8_t org_id[STMT_ORG_ID_LEN]);
/* The org's safety number from its root key: "ddddd-ddddd-..." (8 groups). */
void statement_fingerprint(const uint8_t root_pk[STMT_KEY_LEN], char out[STMT_FINGERPRINT_LEN]);
/* Canonicalise a typed fingerprint (digits; spaces and '-' ignored; exactly 40 digits).
 * 0, or STMT_E_FORMAT. */
int statement_fingerprint_normalize(const char *in, char out[STMT_FINGERPRINT_LEN]);
/* A target field from a 16-byte id (zero-padded). */
void statement_target_id(const uint8_t id[STMT_ID_LEN], uint8_t target[STMT_TARGET_LEN]);

/* 1 when name (NUL-terminated) may be a camera's signed name: 1..STMT_NAME_MAX bytes of
 * well-formed UTF-8 without control bytes (< 0x20, 0x7f); else 0. */
int statement_camera_name_ok(const char *name);

/* Body encoders (append to b; 0 or STMT_E_FORMAT / STMT_E_NOMEM). */
int statement_body_org_root(struct buf *b, const char *name);
int statement_body_admin_cert(struct buf *b, const struct stmt_admin_cert *c);
int statement_body_member(struct buf *b, const struct stmt_member *m);
int statement_body_camera_epoch(struct buf *b, const struct stmt_camera_epoch *e);
int statement_body_grant(struct buf *b, const struct stmt_grant *g);
int statement_body_gateway_cert(struct buf *b, const struct stmt_gateway_cert *c);

/* Sign a statement and append its bytes to out. expires_at 0 = never. The body must
 * already be in the type's layout; it is parsed back before signing so that no
 * statement a verifier would reject as malformed is ever produced. 0 or stmt_err. */
int statement_sign(const struct stmt_signer *signer, uint8_t type,
    const uint8_t target[STMT_TARGET_LEN], uint64_t seq, int64_t issued_at,
    int64_t expires_at, const void *body, size_t body_len, struct buf *out);

/* Parse only (no signature check): layout, version, body layout and target consistency.
 * *out receives a statement freed with statement_free. 0 or stmt_err. */
int statement_parse(const uint8_t *p, size_t n, struct stmt **out);
void statement_free(struct stmt *s);

/* The keys a verifier trusts: the pinned root and admins it certified. */
struct stmt_trust {
	uint8_t root_pk[STMT_KEY_LEN];
	uint8_t org_id[STMT_ORG_ID_LEN];
	size_t nadmins;
	struct {
		uint8_t pk[STMT_KEY_LEN];
		uint8_t user_id[STMT_ID_LEN];
		uint64_t seq;
		int active;
	} admins[STMT_TRUST_MAX];
};
void statement_trust_init(struct stmt_trust *t, const uint8_t root_pk[STMT_KEY_LEN]);
/* Verify an admin.cert against the pinned root and add (or, active 0, revoke) that admin.
 * A cert with a seq not above the last one seen for that admin is STMT_E_REPLAY. */
int statement_trust_add(struct stmt_trust *t, const uint8_t *p, size_t n, int64_t now_us);
/* 1 when pk is the root or an active certified admin. */
int statement_trust_has(const struct stmt_trust *t, const uint8_t pk[STMT_KEY_LEN]);

/* Parse and verify: org is the pinned root's, type is expect_type (or STMT_ANY), the
 * issuer is the root or an active certified admin (root only for org.root and
 * admin.cert), the signature verifies, and it has not expired at now_us. On success
 * *out receives the statement (statement_free); on error *out is NULL and the return
 * value names the first check that failed. */
int statement_verify(const uint8_t *p, size_t n, const struct stmt_trust *t,
    uint8_t expect_type, int64_t now_us, struct stmt **out);

#endif
