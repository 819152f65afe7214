/* routes.h - the one routing table, path matching and the one authorization function. */
#ifndef VIGIL_SERVER_ROUTES_H
#define VIGIL_SERVER_ROUTES_H

#include <stddef.h>
#include <stdint.h>
#include "common/segment.h"

struct req;
struct server;

/* Who may call a route. POLICY_NONE is never valid: authorize() denies it. POLICY_SESSION
 * is a signed-in account (session cookie). POLICY_OPERATOR: an operator account's session
 * or the admin token. POLICY_ORG: a session whose user holds, in the org named by the
 * route's first parameter {org}, a role in the route's `roles` mask (roles.h ORG_ROLE_*);
 * a non-member gets 404 exactly like a missing org. POLICY_CAMERA_VIEW: a session whose
 * user may view camera {id} (owner/admin of its org, viewer in scope), else 404.
 * POLICY_ENROLL: public, throttled per address by the handler. */
enum policy { POLICY_NONE = 0, POLICY_PUBLIC, POLICY_ADMIN, POLICY_GATEWAY, POLICY_SESSION,
	POLICY_OPERATOR, POLICY_ORG, POLICY_CAMERA_VIEW, POLICY_ENROLL, POLICY_METRICS };
/* How a route takes its request body. */
enum body_kind { BODY_NONE = 0, BODY_JSON, BODY_STREAM };

#define ROUTE_MAX_PARAMS 4
#define ROUTE_PARAM_MAX 65     /* longest {param} value plus NUL */
#define ROUTE_PATH_MAX 512

/* Returns an MHD_Result (int, so this header needs no MHD). */
typedef int (*route_handler)(struct req *rq);

struct route {
	const char *method;
	const char *pattern;   /* segments; "{name}" captures one segment */
	enum policy policy;
	enum body_kind body;
	route_handler handler;
	uint32_t roles;        /* POLICY_ORG: ORG_ROLE_* bits and ORG_STEP_UP (roles.h);
	                        * POLICY_OPERATOR: ORG_STEP_UP for an operator account's session */
};

struct route_match {
	const struct route *route;
	int nparams;
	char params[ROUTE_MAX_PARAMS][ROUTE_PARAM_MAX];
};

/* The table and its length. */
const struct route *routes_table(size_t *n);
/* Match a request: 0 (m filled), -404 when no pattern matches, -405 when only the method
 * differs. Never reads past path's NUL; rejects over-long paths and parameters. */
int route_match(const char *method, const char *path, struct route_match *m);

/* Who a request is, once authorized. */
#define PRINCIPAL_ID_BUF 33         /* user id and session id: 32 hex characters */
struct principal {
	enum policy kind;
	uint8_t gateway_id[GATEWAY_ID_LEN];
	char user_id[PRINCIPAL_ID_BUF];    /* POLICY_SESSION */
	char sid[PRINCIPAL_ID_BUF];        /* POLICY_SESSION: the public session id */
	uint32_t roles;                    /* POLICY_SESSION: roles.h bits */
	int step_up_fresh;                 /* POLICY_SESSION: fresh password/TOTP proof */
	char org[65];                      /* POLICY_ORG, POLICY_CAMERA_VIEW: the org (hex) */
	uint8_t org_role;                  /* POLICY_ORG: enum stmt_role held there */
	const char *deny;                  /* static reason for a 403, or NULL */
};

/* The only authorization decision for a matched route: 0 (who filled), -401 (no or bad
 * credentials), -403 (who->deny may say why) or -404 (foreign or missing org or camera).
 * authz and cookie are the Authorization and Cookie headers or NULL. Deny unless the
 * route's policy says otherwise. */
int authorize_route(struct server *srv, const struct route_match *m, const char *authz,
    const char *cookie, int64_t now, struct principal *who);
/* The camera-view rule again, for a response that outlives its request (the live routes):
 * 0 when the session in cookie (the request's Cookie header) is still user's and may still
 * view the camera cam_hex (org gets the camera's org), else -1: signed out, removed, scope
 * narrowed, second factor no longer met. */
int authorize_camera_view_again(struct server *srv, const char *cookie, const char *cam_hex,
    const char *user, int64_t now, char org[65]);
/* The same knowing only a policy (no path): for POLICY_ORG and POLICY_CAMERA_VIEW this
 * only authenticates; route_match() hands such routes out behind a guard handler that
 * runs authorize_route() with the path before the route's own handler. authz is the
 * Authorization header or NULL. */
int authorize(struct server *srv, enum policy policy, const char *authz, int64_t now,
    struct principal *who);
/* The same for a request that may carry a session cookie (cookie: the Cookie header or
 * NULL); authorize() is this with no cookie. */
int authorize_req(struct server *srv, enum policy policy, const char *authz, const char *cookie,
    int64_t now, struct principal *who);

/* Handlers (h_*.c). */
int h_healthz(struct req *rq);
int h_gateway_register(struct req *rq);
int h_gateway_challenge(struct req *rq);
int h_gateway_session(struct req *rq);
int h_ingest(struct req *rq);
int h_cameras_list(struct req *rq);
int h_segments_list(struct req *rq);
int h_segment_get(struct req *rq);
int h_live(struct req *rq);
int h_events_post(struct req *rq);    /* h_events.c: motion events */
int h_events_list(struct req *rq);
/* A removed camera's events go (h_org_camera_remove). Count deleted, or < 0. */
struct server;
int h_events_forget_camera(struct server *srv, const uint8_t cam[16]);
/* The event store (opened on first use, next to the accounts database), for retention;
 * NULL when it cannot be opened. */
struct events;
struct events *h_events_store(struct server *srv);
int h_retention_put(struct req *rq);
int h_timeline(struct req *rq);
int h_metrics(struct req *rq);
int h_webhook_put(struct req *rq);
int h_webhook_get(struct req *rq);
int h_webhook_delete(struct req *rq);
/* Accounts (h_auth.c, h_account.c, h_operator.c). */
int h_signup_code(struct req *rq);
int h_prelogin(struct req *rq);
int h_register(struct req *rq);
int h_login(struct req *rq);
int h_recover_keys(struct req *rq);
int h_recover(struct req *rq);
int h_logout(struct req *rq);
int h_me(struct req *rq);
int h_sessions_list(struct req *rq);
int h_sessions_revoke_all(struct req *rq);
int h_totp_begin(struct req *rq);
int h_totp_confirm(struct req *rq);
int h_password(struct req *rq);
int h_kill_switch(struct req *rq);
int h_audit_key(struct req *rq);
int h_audit_instance(struct req *rq);
/* Organizations, keys, enrollment (h_org.c, h_orgsite.c, h_enroll.c, h_gwconfig.c, h_auth.c). */
int h_step_up(struct req *rq);
int h_auth_keys(struct req *rq);
int h_users_lookup(struct req *rq);
int h_org_create(struct req *rq);
int h_orgs_list(struct req *rq);
int h_org_get(struct req *rq);
int h_org_keys(struct req *rq);
int h_org_statements(struct req *rq);
int h_org_members(struct req *rq);
int h_org_audit(struct req *rq);
int h_site_add(struct req *rq);
int h_sites_list(struct req *rq);
int h_org_camera_add(struct req *rq);
int h_org_camera_remove(struct req *rq);
int h_org_cameras(struct req *rq);
int h_org_gateways(struct req *rq);
int h_support_grant(struct req *rq);
int h_support_list(struct req *rq);
int h_support_revoke(struct req *rq);
int h_invite_add(struct req *rq);
int h_invite_get(struct req *rq);
int h_invite_accept(struct req *rq);
int h_enroll(struct req *rq);
int h_enroll_result(struct req *rq);
int h_gwconfig_put(struct req *rq);
int h_gwconfig_get(struct req *rq);
int h_gateway_config(struct req *rq);
/* The browser console (h_static.c). */
int h_static(struct req *rq);
int h_console_hashes(struct req *rq);

#endif
