/* routes.h - the one routing table, path matching and the one authorization function. */
#ifndef VIGIL_SERVER_ROUTES_H
#define VIGIL_SERVER_ROUTES_H

#include <stddef.h>
#include <stdint.h>
#include "common/segment.h"

struct req;
struct server;

/* Who may call a route. POLICY_NONE is never valid: authorize() denies it. POLICY_SESSION
 * is a signed-in account (session cookie). */
enum policy { POLICY_NONE = 0, POLICY_PUBLIC, POLICY_ADMIN, POLICY_GATEWAY, POLICY_SESSION };
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
};

/* The only authorization decision: 0 (who filled), -401 (no or bad credentials) or -403.
 * authz is the Authorization header or NULL. Deny unless the policy says otherwise. */
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
int h_retention_put(struct req *rq);
/* Accounts (h_auth.c, h_account.c, h_operator.c). */
int h_signup_code(struct req *rq);
int h_prelogin(struct req *rq);
int h_register(struct req *rq);
int h_login(struct req *rq);
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

#endif
