/* orgs.h - organizations on the server: verified statements, memberships, sites, cameras, gateways, invitations, gateway configs and support grants. */
#ifndef VIGIL_SERVER_ORGS_H
#define VIGIL_SERVER_ORGS_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "common/statement.h"

/*
 * Every statement the module stores was verified first (statement_verify) against the
 * org's root and the admin certificates stored before it; memberships and roles are
 * derived only from member statements it accepted, plus support grants (server policy,
 * with an expiry checked on every call). Ids are lowercase hex strings: org 64, user,
 * site, camera and invitation 32, gateway 64. Every function is thread-safe (one mutex
 * around a connection of the module's own on accounts.db; writes are transactions).
 */

#define ORGS_ID_BUF 65                /* org and gateway ids: 64 hex and a NUL */
#define ORGS_SID_BUF 33               /* user, site, camera, invitation ids */
#define ORGS_SEALED_ROOT_LEN (48 + STMT_SK_LEN)   /* crypto_box_seal of the root sk */
#define ORGS_ADMIN_COPY_MAX (256u * 1024u)
#define ORGS_INVITE_MAX_US (INT64_C(7) * 24 * 3600 * 1000000)
#define ORGS_SUPPORT_MAX_S 86400

#define ORGS_E_IO (-1)
#define ORGS_E_NOTFOUND (-2)          /* missing or foreign: the caller answers 404 */
#define ORGS_E_EXISTS (-3)
#define ORGS_E_INVAL (-4)             /* malformed argument or refused by a rule */
#define ORGS_E_STMT (-5)              /* a statement was refused: see *serr */
#define ORGS_E_DENIED (-6)            /* enrollment: unknown, used, expired or bad token */
#define ORGS_E_PENDING (-7)           /* enrollment result not ready yet */
#define ORGS_E_STALE (-8)             /* gateway config: seq not above the stored one */

struct accounts;
struct orgs;

/* What a user is in one org. role is an enum stmt_role; expires_us only for support. */
struct orgs_member {
	uint8_t role;
	int64_t expires_us;
	uint16_t nscope;
	uint8_t scope[STMT_SCOPE_MAX][STMT_ID_LEN];
};

/* Open the tables on db_path (its own WAL connection). acc is used to check that member
 * keys equal the accounts' registered keys; it must outlive the module. 0 or ORGS_E_IO. */
int orgs_open(struct orgs **out, const char *db_path, struct accounts *acc);
void orgs_close(struct orgs *o);

/* The role name ("owner", ...) of an enum stmt_role, "none" for others. */
const char *orgs_role_name(uint8_t role);

/* Create an org from the founder's org.root, admin.cert and member.add (owner), all
 * verified and bound to user_id's registered keys, and the root secret sealed to them.
 * 0 and org_out, ORGS_E_EXISTS, ORGS_E_STMT (*serr), ORGS_E_INVAL, ORGS_E_IO. */
int orgs_create(struct orgs *o, const char *user_id, const uint8_t *root, size_t root_len,
    const uint8_t *cert, size_t cert_len, const uint8_t *member, size_t member_len,
    const uint8_t *sealed, size_t sealed_len, int64_t now, int *serr, char org_out[ORGS_ID_BUF]);

/* user_id's membership in org (support grants only while unexpired). 0 or ORGS_E_NOTFOUND. */
int orgs_membership(struct orgs *o, const char *org, const char *user_id, int64_t now,
    struct orgs_member *m);
/* 1 when user_id is owner or admin of some org, else 0. */
int orgs_is_admin_somewhere(struct orgs *o, const char *user_id);
/* May user_id view camera cam (owner/admin of its org, viewer in scope)? 0 and org_out,
 * or ORGS_E_NOTFOUND. */
int orgs_camera_view(struct orgs *o, const char *cam, const char *user_id, int64_t now,
    char org_out[ORGS_ID_BUF]);

/* JSON views (new references, NULL on failure). */
json_t *orgs_list_json(struct orgs *o, const char *user_id, int64_t now);
json_t *orgs_info_json(struct orgs *o, const char *org, uint8_t role);
json_t *orgs_keys_json(struct orgs *o, const char *org, const char *user_id, int with_sealed);
json_t *orgs_members_json(struct orgs *o, const char *org, int64_t now);

/* Apply statements in order, all or nothing. 0, or ORGS_E_STMT with *serr and *bad (the
 * failing index), or ORGS_E_IO. */
int orgs_apply(struct orgs *o, const char *org, const uint8_t *const *stmts, const size_t *lens,
    size_t n, int64_t now, int *serr, size_t *bad);

/* Sites, cameras, gateways (orgs_site.c). */
int orgs_site_add(struct orgs *o, const char *org, const char *site, const char *name);
json_t *orgs_sites_json(struct orgs *o, const char *org);
/* Register camera cam at site, recorded by gateway gw (enrolled in this org). 0,
 * ORGS_E_EXISTS, ORGS_E_NOTFOUND (site or gateway not in the org), ORGS_E_IO. */
int orgs_camera_add(struct orgs *o, const char *org, const char *cam, const char *name,
    const char *site, const char *gw);
/* Unregister camera cam of org: it is no longer listed, viewable or accepted from its
 * gateway (ingest checks the registration); *saved gets its row, for orgs_camera_restore
 * when a later step of the removal fails. 0, ORGS_E_NOTFOUND (missing or another org's),
 * ORGS_E_IO. */
struct orgs_camera_row {
	char name[ORGS_ID_BUF];
	char site[ORGS_SID_BUF];
	char gateway[ORGS_ID_BUF];
	int64_t epoch;
};
int orgs_camera_remove(struct orgs *o, const char *org, const char *cam,
    struct orgs_camera_row *saved);
int orgs_camera_restore(struct orgs *o, const char *org, const char *cam,
    const struct orgs_camera_row *saved);
/* Cameras of org; m NULL or not a viewer = all, else only those in m's scope. */
json_t *orgs_cameras_json(struct orgs *o, const char *org, const struct orgs_member *m);
json_t *orgs_gateways_json(struct orgs *o, const char *org);
/* The org a gateway is enrolled in: 0 and org_out, or ORGS_E_NOTFOUND. now > 0 marks it
 * seen at now. */
int orgs_gateway_org(struct orgs *o, const char *gw, int64_t now, char org_out[ORGS_ID_BUF]);
/* The gateway camera cam is registered to: 0, ORGS_E_NOTFOUND (registered nowhere) or
 * ORGS_E_IO. */
int orgs_camera_gateway(struct orgs *o, const char *cam, char gw_out[ORGS_ID_BUF]);
/* The cameras registered to gateway gw, at most max into out: the count, or ORGS_E_IO. */
int orgs_gateway_cameras(struct orgs *o, const char *gw, uint8_t (*out)[16], size_t max);
/* The org a registered camera belongs to. 0, ORGS_E_NOTFOUND or ORGS_E_IO. */
int orgs_camera_org(struct orgs *o, const char *cam, char org_out[ORGS_ID_BUF]);

/* Gateway configuration (orgs_site.c). */
int orgs_gwconfig_put(struct orgs *o, const char *org, const char *gw, const uint8_t *stmt,
    size_t stmt_len, const uint8_t *copy, size_t copy_len, int64_t now, int *serr,
    uint64_t *seq);
json_t *orgs_gwconfig_json(struct orgs *o, const char *org, const char *gw);
/* What GET /api/v1/gateway/config serves to gateway gw. */
json_t *orgs_gateway_feed_json(struct orgs *o, const char *gw, uint64_t after);

/* Storage quotas and the operator's view (orgs_quota.c). */
struct orgs_quota {
	char org[ORGS_ID_BUF];
	uint64_t bytes;
	int64_t effective_us;         /* retention applies it from then on */
};
/* Set org's quota (0 removes it at once), applied from effective_us on; until then the
 * quota in force at now stays in force. *old gets the previous setting (bytes 0: none).
 * 0, ORGS_E_NOTFOUND, ORGS_E_INVAL (above INT64_MAX), ORGS_E_IO. */
int orgs_quota_set(struct orgs *o, const char *org, uint64_t bytes, int64_t now,
    int64_t effective_us, struct orgs_quota *old);
/* org's quota (bytes 0 when none). 0 or ORGS_E_IO. */
int orgs_quota_get(struct orgs *o, const char *org, struct orgs_quota *q);
/* Every org with a quota in force at now, with that quota in bytes (the new one from its
 * effective_us, the one it replaced before); a malloc'd array the caller frees. 0 or
 * ORGS_E_IO. */
int orgs_quota_list(struct orgs *o, int64_t now, struct orgs_quota **out, size_t *n);
/* The ids of org's registered cameras (a malloc'd array the caller frees). 0 or ORGS_E_IO. */
int orgs_camera_ids(struct orgs *o, const char *org, uint8_t (**ids)[STMT_ID_LEN], size_t *n);
/* Every org for the instance operator: id, created_us, counts of members, sites, cameras and
 * gateways, quota_bytes and quota_effective_us. No names, keys or statements. */
json_t *orgs_operator_json(struct orgs *o);

/* Support grants (orgs_site.c). */
int orgs_support_grant(struct orgs *o, const char *org, const char *user_id, int64_t expires_us,
    const char *by);
int orgs_support_revoke(struct orgs *o, const char *org, const char *user_id);
json_t *orgs_support_json(struct orgs *o, const char *org, int64_t now);
/* The kill switch for support: end every support grant of every org at once, calling
 * cb(ctx, org, user_id) for each live grant first (to revoke the holder's sessions and note
 * the org for its audit entry; cb must not call back into orgs, and runs under its lock).
 * Count of live grants, or an ORGS_E_ error. */
typedef void (*orgs_user_fn)(void *ctx, const char *org, const char *user_id);
int orgs_support_end_all(struct orgs *o, int64_t now, orgs_user_fn cb, void *ctx);

/* Invitations and enrollment (orgs_enroll.c). kind is an enum enroll_kind. */
int orgs_invite_add(struct orgs *o, const char *org, const char *id, uint8_t kind,
    const uint8_t verifier[32], const char *site, int64_t expires_us, int64_t now);
json_t *orgs_invite_json(struct orgs *o, const char *org, const char *id);
/* A newcomer's request (untrusted bytes). session_user: the caller's account (kind user
 * needs it and its keys must equal the request's) or NULL. 0 and org_out,
 * ORGS_E_DENIED (one answer), ORGS_E_EXISTS (already requested), ORGS_E_IO. */
int orgs_enroll_request(struct orgs *o, const uint8_t *req, size_t n, const char *session_user,
    int64_t now, char org_out[ORGS_ID_BUF]);
/* The admin's certificate for a requested invitation: verified, bound to the stored
 * request's keys, then applied (gateway registered, or member added). kind_out and
 * subject_out (gateway id or user id) say what was enrolled. */
int orgs_invite_accept(struct orgs *o, const char *org, const char *id, const uint8_t *cert,
    size_t cert_len, int64_t now, int *serr, uint8_t *kind_out, char subject_out[ORGS_ID_BUF]);
/* The newcomer's poll: 0 and *out ({org_root, admin_cert, cert}), ORGS_E_PENDING or
 * ORGS_E_DENIED. */
int orgs_enroll_result(struct orgs *o, const char *id, const uint8_t token[32], json_t **out);

#endif
