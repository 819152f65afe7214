/* orgverify.h - the CLI's checks of what the server serves about an org: root, member statements, epochs, grants, scope, and the signed admin copy of a gateway config. */
#ifndef VIGIL_CLI_ORGVERIFY_H
#define VIGIL_CLI_ORGVERIFY_H

#include <stddef.h>
#include <stdint.h>
#include "common/buf.h"
#include "common/orgkeys.h"
#include "common/statement.h"

/* Errors beyond the stmt_err codes (which are returned as they are). */
enum {
	ORGV_E_LISTED = -50,   /* the server's listing disagrees with the signed statement */
	ORGV_E_ROLLBACK = -51, /* older than one this client already saw (replay or withholding) */
	ORGV_E_PIN = -52,      /* org root differs from the pinned one */
	ORGV_E_COPY = -53,     /* admin copy does not open or is not signed by a trusted key */
};
/* statement_strerror extended with ORGV_E_*. */
const char *orgverify_strerror(int err);

/* The served org.root: well-formed, self-signed, BLAKE2b(issuer) == org_id. root_pk gets
 * the root. 0 or an error. */
int orgverify_root(const uint8_t *raw, size_t n, const uint8_t org_id[STMT_ORG_ID_LEN],
    int64_t now, uint8_t root_pk[STMT_KEY_LEN]);

/* A member's latest member.add / member.role verified against trust, naming user_id and
 * the keys the server lists for that user (listed_sign/listed_box; NULL to skip). On
 * success *m receives the signed body and *seq the statement's seq. 0 or an error. */
int orgverify_member(const struct stmt_trust *t, const uint8_t *raw, size_t n,
    const uint8_t user_id[STMT_ID_LEN], const uint8_t *listed_sign, const uint8_t *listed_box,
    int64_t now, struct stmt_member *m, uint64_t *seq);

/* 1 when a member's signed scope covers the camera (empty scope = whole org, or the
 * camera id, or its site id listed). */
int orgverify_scope_covers(const struct stmt_member *m, const uint8_t camera_id[STMT_ID_LEN],
    const uint8_t site_id[STMT_ID_LEN]);

/* The gateway config's admin copy: signer_pk | Ed25519 sig | JSON, sealed to the root's
 * X25519 key. The signature covers "vigil-admin-copy-v1" | gateway id | seq | JSON so a
 * server cannot slip its own JSON (say, a camera URL of its choosing) into the next
 * config an admin signs. */
int orgverify_copy_seal(const struct stmt_signer *signer, const uint8_t root_pk[STMT_KEY_LEN],
    const uint8_t gateway[STMT_KEY_LEN], uint64_t seq, const char *json, struct buf *out);
/* Open with the root's secret key, check the signature by the root or a trusted admin and
 * the gateway. json (appended, NUL-terminated) and *seq. 0 or ORGV_E_COPY. */
int orgverify_copy_open(const struct stmt_trust *t, const uint8_t root_sk[STMT_SK_LEN],
    const uint8_t gateway[STMT_KEY_LEN], uint64_t seq, const uint8_t *sealed, size_t n,
    struct buf *json);

#endif
