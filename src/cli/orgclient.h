/* orgclient.h - the admin's and viewer's client session: sign in with a session file, unwrap my keys, pin and load an org's trust, open the sealed root. */
#ifndef VIGIL_CLI_ORGCLIENT_H
#define VIGIL_CLI_ORGCLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "cli/apic.h"
#include "cli/orgpin.h"
#include "common/orgkeys.h"
#include "common/statement.h"
#include "common/userkey.h"

struct orgc_opts {
	const char *server, *session, *pin_dir;
	const char *fingerprint;   /* --org-fingerprint, or NULL */
	int kdf_fast;              /* accept the minimum Argon2id cost (tests) */
};

/* A member whose signed member statement verified; keys come from the statement. */
struct orgc_member {
	char username[65];
	struct stmt_member m;
	uint64_t seq;
};

/* A verified camera.epoch (raw bytes kept to open grants). */
struct orgc_epoch {
	uint8_t camera_id[STMT_ID_LEN];
	uint32_t epoch;
	uint8_t pk[STMT_KEY_LEN];
	uint8_t has_site;                   /* the signed statement names the camera's site */
	uint8_t site_id[STMT_ID_LEN];
	uint8_t has_name;                   /* ... and the camera's name */
	char name[STMT_NAME_MAX + 1];
	uint8_t *raw;
	size_t len;
};

struct orgc {
	struct apic *api;
	char pin_dir[ORGPIN_PATH_MAX];
	const char *fingerprint;
	char user_hex[USERKEY_ID_BUF];
	uint8_t user_id[STMT_ID_LEN];
	struct userkey_bundle *me;          /* sodium_malloc'd */
	uint8_t *auth_key;                  /* sodium_malloc'd: for a step-up when asked */
	/* After orgc_org_load: */
	int have_org;
	char org_hex[2 * STMT_ORG_ID_LEN + 1];
	uint8_t org_id[STMT_ORG_ID_LEN];
	char safety[STMT_FINGERPRINT_LEN];
	struct orgpin *pin;
	struct stmt_trust trust;
	int can_sign;                       /* signer is set */
	int have_root;                      /* signer is the root (root_sk valid) */
	struct stmt_signer *signer;         /* sodium_malloc'd */
	uint8_t *root_sk;                   /* sodium_malloc'd, STMT_SK_LEN */
	struct orgc_epoch *epochs;
	size_t nepochs;
	struct orgkeys_epoch_key *keys;     /* my opened grants; sodium_malloc'd */
	size_t nkeys;
	uint8_t (*gateways)[STMT_KEY_LEN];  /* gateways the org root certified (gateway.cert) */
	uint8_t (*gateway_sites)[STMT_ID_LEN]; /* the site each certificate names */
	size_t ngateways;
};

/* Sign in: read the session cookie, GET /api/v1/auth/keys, read the password
 * ($VIGIL_PASSWORD or a prompt without echo) and unwrap my keys, checking they match the
 * public keys the server lists. Prints what went wrong. 0 or -1. */
int orgc_open(const struct orgc_opts *o, struct orgc **ocp);
/* Save the pin when it changed, wipe and free. NULL-safe. */
void orgc_close(struct orgc *oc);

/* Load org_hex: GET /orgs/{org}/keys; check the root against the pin (pin on first
 * contact; --org-fingerprint checked when given), admit admin certs, verify every epoch
 * and open every grant to me, open the sealed root when served. Any refusal prints
 * "refused: ..." and returns -1. */
int orgc_org_load(struct orgc *oc, const char *org_hex);
/* Pin a root met outside orgc_org_load (org create, join). Refuses a root other than an
 * existing pin. 0 or -1 (printed). */
int orgc_pin_root(struct orgc *oc, const uint8_t root_pk[STMT_KEY_LEN]);

/* A request with a JSON body (or NULL) whose answer status must be expect; on another
 * status prints "vigil: what: refused by the server (HTTP n: reason)". *ans (may be NULL
 * to drop) gets the answer. A 403 asking for a step-up is answered once with my auth key
 * (POST /api/v1/auth/step-up) and the request retried. 0 or -1. */
int orgc_call(struct orgc *oc, const char *method, const char *path, const json_t *body,
    long expect, json_t **ans, const char *what);
/* POST the statements (n buffers) to /orgs/{org}/statements. 0 or -1 (printed). */
int orgc_post_statements(struct orgc *oc, const struct buf *stmts, size_t n);

/* The org's members, each verified against the trust (a listing that disagrees with its
 * signed statement, or a rolled-back statement, is refused). 0 or -1 (printed). */
int orgc_members(struct orgc *oc, struct orgc_member **out, size_t *n);
/* Find a member by username or 32-hex user id; NULL when absent. */
const struct orgc_member *orgc_member_find(const struct orgc_member *ms, size_t n,
    const char *who);

/* The latest verified epoch of a camera, or NULL. */
const struct orgc_epoch *orgc_epoch_latest(const struct orgc *oc, const uint8_t cam[STMT_ID_LEN]);
/* A camera's site as its signed camera.epoch statements name it: 1 and site_out, or 0
 * when none does (a camera made before epochs named sites; no site scope covers it). Two
 * verified epochs naming different sites are refused when the org is loaded. */
int orgc_camera_site(const struct orgc *oc, const uint8_t cam[STMT_ID_LEN],
    uint8_t site_out[STMT_ID_LEN]);
/* A camera's name as the org signed it: 1 and name_out (NUL-terminated) from its newest
 * verified camera.epoch that carries a name, or 0 when none does (a camera made before
 * epochs named cameras: only the server's, unsigned, name is known). */
int orgc_camera_name(const struct orgc *oc, const uint8_t cam[STMT_ID_LEN],
    char name_out[STMT_NAME_MAX + 1]);
/* The site a certified gateway's gateway.cert names: 0 and site_out, or -1 when the org
 * root certified no such gateway. */
int orgc_gateway_site(const struct orgc *oc, const uint8_t gw[STMT_KEY_LEN],
    uint8_t site_out[STMT_ID_LEN]);
/* My opened key for (camera, epoch), or NULL. */
const struct orgkeys_epoch_key *orgc_key(const struct orgc *oc, const uint8_t cam[STMT_ID_LEN],
    uint32_t epoch);

/* A fresh statement seq (microseconds, strictly increasing within the process). */
uint64_t orgc_seq(void);
/* Print "refused: what: reason" for err (stmt_err or ORGV_E_*). Returns -1. */
int orgc_refuse(const char *what, int err);

/* Helpers for JSON answers: a hex field of exactly n bytes / of any length up to max
 * (allocated with malloc into *out). 0 or -1. */
int orgc_hex_field(const json_t *o, const char *key, uint8_t *out, size_t n);
int orgc_hex_alloc(const json_t *s, size_t max, uint8_t **out, size_t *len);
/* Hex-encode into a new jansson string; NULL when memory is short. */
json_t *orgc_hex_json(const uint8_t *p, size_t n);
/* Parse a 32-hex id. 0 or -1. */
int orgc_id_parse(const char *hex, uint8_t id[STMT_ID_LEN]);

#endif
