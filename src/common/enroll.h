/* enroll.h - kubeadm-join style enrollment of gateways and invited users with a one-time secret and the org root fingerprint. */
#ifndef VIGIL_ENROLL_H
#define VIGIL_ENROLL_H

#include <stddef.h>
#include <stdint.h>
#include "common/buf.h"
#include "common/statement.h"

/*
 * 1. Admin's client: enroll_invite_new() -> a code (base64url of id || secret) shown with
 *    the org fingerprint (enroll_command). The server gets inv.id and inv.verifier only.
 * 2. Newcomer: enroll_code_parse(code, fingerprint), makes its keys, enroll_request_build()
 *    -> a request with its public keys, a server token (proves the code to the server
 *    without revealing the secret) and a MAC over (fingerprint || keys) under a key only
 *    the secret gives. The server checks the token (enroll_server_check) and relays.
 * 3. Admin's client: enroll_accept_gateway()/enroll_accept_user() check the MAC and sign
 *    the gateway.cert / member.add for exactly those keys.
 * 4. Newcomer: enroll_finish() checks the served org.root against the fingerprint from the
 *    code, then the certificate against that root, and returns the root to pin.
 */
#define ENROLL_ID_LEN 16
#define ENROLL_SECRET_LEN 32
#define ENROLL_CODE_LEN 65              /* 64 base64url characters and a NUL */
#define ENROLL_VERIFIER_LEN 32
#define ENROLL_TOKEN_LEN 32
#define ENROLL_MAC_LEN 32
#define ENROLL_REQUEST_LEN (2 + ENROLL_ID_LEN + 2 * STMT_KEY_LEN + ENROLL_TOKEN_LEN + ENROLL_MAC_LEN)
#define ENROLL_REQUEST_VERSION 1

enum enroll_kind { ENROLL_GATEWAY = 1, ENROLL_USER = 2 };

/* The admin's side of one invitation. Holds the secret: wipe with enroll_invite_wipe. */
struct enroll_invite {
	uint8_t kind;
	uint8_t id[ENROLL_ID_LEN];
	uint8_t secret[ENROLL_SECRET_LEN];
	char fingerprint[STMT_FINGERPRINT_LEN];
	char code[ENROLL_CODE_LEN];
	uint8_t verifier[ENROLL_VERIFIER_LEN]; /* for the server: BLAKE2b of the server token */
};

/* The newcomer's parsed code. Holds the secret: wipe with enroll_code_wipe. */
struct enroll_code {
	uint8_t id[ENROLL_ID_LEN];
	uint8_t secret[ENROLL_SECRET_LEN];
	char fingerprint[STMT_FINGERPRINT_LEN];
};

/* A request as sent (fixed layout: version u8 | kind u8 | id | sign_pk | box_pk | token | mac). */
struct enroll_request {
	uint8_t kind;
	uint8_t id[ENROLL_ID_LEN];
	uint8_t sign_pk[STMT_KEY_LEN];
	uint8_t box_pk[STMT_KEY_LEN];          /* gateways: the X25519 key derived from sign_pk */
	uint8_t token[ENROLL_TOKEN_LEN];
	uint8_t mac[ENROLL_MAC_LEN];
};

/* New invitation of kind for the org whose root is root_pk. 0 or STMT_E_ARG. */
int enroll_invite_new(uint8_t kind, const uint8_t root_pk[STMT_KEY_LEN], struct enroll_invite *inv);
void enroll_invite_wipe(struct enroll_invite *inv);
/* The line to show: "vigil-gateway enroll --server URL --code C --org F" for a gateway,
 * "vigil join --server URL --code C --org F" for a user. 0, or STMT_E_ARG when it does
 * not fit or the URL has a space or control character. */
int enroll_command(const struct enroll_invite *inv, const char *server_url, char *out,
    size_t outlen);

/* Parse a code and a typed fingerprint. 0 or STMT_E_FORMAT. */
int enroll_code_parse(const char *code, const char *fingerprint, struct enroll_code *out);
void enroll_code_wipe(struct enroll_code *c);

/* Server side: 0 when token hashes to the stored verifier, else STMT_E_MAC. */
int enroll_server_check(const uint8_t verifier[ENROLL_VERIFIER_LEN],
    const uint8_t token[ENROLL_TOKEN_LEN]);

/* Newcomer: build the request for its public keys. 0 or STMT_E_ARG. */
int enroll_request_build(const struct enroll_code *c, uint8_t kind,
    const uint8_t sign_pk[STMT_KEY_LEN], const uint8_t box_pk[STMT_KEY_LEN],
    uint8_t out[ENROLL_REQUEST_LEN]);
/* Parse a request (untrusted bytes; no MAC check). 0 or STMT_E_FORMAT. */
int enroll_request_parse(const uint8_t *p, size_t n, struct enroll_request *r);

/* Admin's client: check the request's MAC under the invitation (STMT_E_MAC when the keys,
 * id or fingerprint were changed on the way), then sign the certificate for those keys. */
int enroll_accept_gateway(const struct enroll_invite *inv, const uint8_t *req, size_t n,
    const struct stmt_signer *signer, const uint8_t site_id[STMT_ID_LEN], uint64_t seq,
    int64_t now_us, struct enroll_request *r, struct buf *cert_out);
int enroll_accept_user(const struct enroll_invite *inv, const uint8_t *req, size_t n,
    const struct stmt_signer *signer, const uint8_t user_id[STMT_ID_LEN], uint8_t role,
    uint64_t seq, int64_t now_us, struct enroll_request *r, struct buf *cert_out);

/* Newcomer: the server serves the org.root statement, the admin.cert of the signing admin
 * (NULL when the root signed) and the certificate. Checks the root's fingerprint against
 * the code's (STMT_E_FINGERPRINT), its self-signature, the admin cert, and that the
 * certificate (gateway.cert or member.add) names my keys (STMT_E_TARGET). On success
 * root_pk receives the root to pin. 0 or stmt_err. */
int enroll_finish(const struct enroll_code *c, const uint8_t *org_root, size_t org_root_len,
    const uint8_t *admin_cert, size_t admin_cert_len, const uint8_t *cert, size_t cert_len,
    uint8_t kind, const uint8_t my_sign_pk[STMT_KEY_LEN], const uint8_t my_box_pk[STMT_KEY_LEN],
    int64_t now_us, uint8_t root_pk[STMT_KEY_LEN]);

#endif
