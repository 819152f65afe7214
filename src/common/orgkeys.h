/* orgkeys.h - the org key hierarchy on the admin's and viewer's side: org root, admin certs, camera epoch keys, sealed grants, rotation, sealed gateway statements. */
#ifndef VIGIL_ORGKEYS_H
#define VIGIL_ORGKEYS_H

#include <stddef.h>
#include <stdint.h>
#include "common/buf.h"
#include "common/statement.h"

#define ORGKEYS_EPOCH_SK_LEN crypto_box_SECRETKEYBYTES  /* 32, = EPOCH_SK_LEN in segment.h */

/* Create an organization: a fresh Ed25519 root keypair in *root (org_id set; wipe with
 * statement_signer_wipe) and its self-signed org.root statement (seq 0) appended to out.
 * name: 1..64 printable bytes. 0 or stmt_err. */
int orgkeys_org_create(const char *name, int64_t now_us, struct stmt_signer *root,
    struct buf *out);

/* A signer from an Ed25519 secret key (64 bytes, public half at the end) for org_id. */
void orgkeys_signer_init(struct stmt_signer *s, const uint8_t sk[STMT_SK_LEN],
    const uint8_t org_id[STMT_ORG_ID_LEN]);

/* The root certifies (active 1) or revokes (active 0) an admin's keys: admin.cert with
 * target the admin's sign key and the given seq (above the previous one for that admin). */
int orgkeys_admin_certify(const struct stmt_signer *root, const struct stmt_admin_cert *cert,
    uint64_t seq, int64_t now_us, struct buf *out);

/* New camera epoch: a fresh X25519 keypair (epoch_pk, epoch_sk; the caller wipes sk) and
 * the signed camera.epoch statement (target the camera id) appended to out. */
int orgkeys_epoch_create(const struct stmt_signer *signer,
    const uint8_t camera_id[STMT_ID_LEN], uint32_t epoch, uint64_t seq, int64_t now_us,
    uint8_t epoch_pk[STMT_KEY_LEN], uint8_t epoch_sk[ORGKEYS_EPOCH_SK_LEN], struct buf *out);
/* The same naming the camera's site (site_id NULL: none, as orgkeys_epoch_create): the
 * admins' clients read a camera's site for scope decisions from this signed statement. */
int orgkeys_epoch_create_site(const struct stmt_signer *signer,
    const uint8_t camera_id[STMT_ID_LEN], const uint8_t *site_id, uint32_t epoch, uint64_t seq,
    int64_t now_us, uint8_t epoch_pk[STMT_KEY_LEN], uint8_t epoch_sk[ORGKEYS_EPOCH_SK_LEN],
    struct buf *out);
/* The same naming the camera too (name NULL: none, as orgkeys_epoch_create_site): viewers
 * show the camera under this signed name, never the server's. A name needs a site
 * (STMT_E_ARG without one); a name statement_camera_name_ok refuses is STMT_E_FORMAT. */
int orgkeys_epoch_create_named(const struct stmt_signer *signer,
    const uint8_t camera_id[STMT_ID_LEN], const uint8_t *site_id, const char *name,
    uint32_t epoch, uint64_t seq, int64_t now_us, uint8_t epoch_pk[STMT_KEY_LEN],
    uint8_t epoch_sk[ORGKEYS_EPOCH_SK_LEN], struct buf *out);

/* Someone who receives an epoch key: user id, X25519 box key, and the seq of the grant
 * statement (per granting admin and grantee). */
struct orgkeys_grantee {
	uint8_t user_id[STMT_ID_LEN];
	uint8_t box_pk[STMT_KEY_LEN];
	uint64_t seq;
};

/* Seal epoch_sk to the grantee and sign the grant (target the grantee id). Refuses
 * (STMT_E_ARG) an epoch_sk that is not the secret half of e->epoch_pk. */
int orgkeys_grant(const struct stmt_signer *signer, const struct stmt_camera_epoch *e,
    const uint8_t epoch_sk[ORGKEYS_EPOCH_SK_LEN], const struct orgkeys_grantee *to,
    int64_t now_us, struct buf *out);

/* An opened epoch key. Wipe with sodium_memzero after use. */
struct orgkeys_epoch_key {
	uint8_t camera_id[STMT_ID_LEN];
	uint32_t epoch;
	uint8_t pk[STMT_KEY_LEN];
	uint8_t sk[ORGKEYS_EPOCH_SK_LEN];
};

/* As the grantee: verify the camera.epoch and grant statements up to the pinned root
 * (trust), that the grant is to me (my_id, my_box_pk; else STMT_E_TARGET), that it names
 * the same camera, epoch and public key as the signed camera.epoch (else STMT_E_MISMATCH),
 * and that the sealed key opens and is the secret half of that public key (else
 * STMT_E_SEALED). Fills *out only on success. 0 or stmt_err. */
int orgkeys_grant_open(const struct stmt_trust *t, const uint8_t *epoch_stmt, size_t epoch_len,
    const uint8_t *grant_stmt, size_t grant_len, const uint8_t my_id[STMT_ID_LEN],
    const uint8_t my_box_pk[STMT_KEY_LEN], const uint8_t my_box_sk[ORGKEYS_EPOCH_SK_LEN],
    int64_t now_us, struct orgkeys_epoch_key *out);

/* Removal: start epoch new_epoch for camera_id (camera.epoch with epoch_seq, naming site_id
 * unless NULL, and the camera's signed name unless NULL: rotation carries both) and grant it
 * to the remaining members only. epoch_out gets the camera.epoch statement, grants_out[i]
 * (nkeep initialised buffers) the grant for keep[i]. epoch_pk receives the new public key
 * (for the gateway's next signed configuration); the new secret never leaves this call
 * except sealed. Footage before new_epoch stays under the old keys. 0 or stmt_err. */
int orgkeys_rotate(const struct stmt_signer *signer, const uint8_t camera_id[STMT_ID_LEN],
    const uint8_t *site_id, const char *name, uint32_t new_epoch, uint64_t epoch_seq,
    const struct orgkeys_grantee *keep, size_t nkeep, int64_t now_us, struct buf *epoch_out,
    struct buf *grants_out, uint8_t epoch_pk[STMT_KEY_LEN]);

/* A gateway.config or gateway.command statement: plain (JSON, may hold camera passwords)
 * is sealed to the X25519 key derived from the gateway's Ed25519 id, so the server never
 * sees it; target the gateway id. expires_us 0 = never. 0 or stmt_err. */
int orgkeys_gateway_sealed(const struct stmt_signer *signer, uint8_t type,
    const uint8_t gateway_pk[STMT_KEY_LEN], uint64_t seq, int64_t now_us, int64_t expires_us,
    const void *plain, size_t len, struct buf *out);

#endif
