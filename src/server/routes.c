/* routes.c - the routing table, segment-wise path matching and authorize(), deny by default. */
#include <string.h>
#include <sodium.h>
#include "common/statement.h"
#include "common/util.h"
#include "server/accounts.h"
#include "server/auth.h"
#include "server/h_livemux.h"
#include "server/h_opquota.h"
#include "server/h_orgretention.h"
#include "server/h_share.h"
#include "server/http.h"
#include "server/identity.h"
#include "server/orgs.h"
#include "server/roles.h"
#include "server/routes.h"
#include "server/server.h"
#include "server/sessions.h"

/* `roles` matters only for POLICY_ORG routes; the others leave it out (zero). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
static const struct route table[] = {
	{ "GET", "/healthz", POLICY_PUBLIC, BODY_NONE, h_healthz },
	{ "GET", "/metrics", POLICY_METRICS, BODY_NONE, h_metrics, 0 },
	{ "POST", "/api/v1/gateways", POLICY_ADMIN, BODY_JSON, h_gateway_register },
	{ "GET", "/api/v1/gateway/challenge", POLICY_PUBLIC, BODY_NONE, h_gateway_challenge },
	{ "POST", "/api/v1/gateway/session", POLICY_PUBLIC, BODY_JSON, h_gateway_session },
	{ "POST", "/api/v1/ingest", POLICY_GATEWAY, BODY_STREAM, h_ingest },
	{ "GET", "/api/v1/cameras", POLICY_ADMIN, BODY_NONE, h_cameras_list },
	{ "GET", "/api/v1/cameras/{id}/streams/{s}/segments", POLICY_CAMERA_VIEW, BODY_NONE,
	    h_segments_list },
	{ "GET", "/api/v1/cameras/{id}/streams/{s}/segments/{seq}", POLICY_CAMERA_VIEW, BODY_NONE,
	    h_segment_get },
	{ "GET", "/api/v1/cameras/{id}/streams/{s}/live", POLICY_CAMERA_VIEW, BODY_NONE, h_live },
	/* Many cameras over one response (the grid): each camera authorized inside the stream. */
	{ "GET", "/api/v1/live", POLICY_SESSION, BODY_NONE, h_livemux },
	{ "GET", "/api/v1/cameras/{id}/streams/{s}/timeline", POLICY_CAMERA_VIEW, BODY_NONE,
	    h_timeline },
	{ "POST", "/api/v1/events", POLICY_GATEWAY, BODY_JSON, h_events_post },
	{ "GET", "/api/v1/cameras/{id}/events", POLICY_CAMERA_VIEW, BODY_NONE, h_events_list },
	{ "PUT", "/api/v1/cameras/{id}/retention", POLICY_ADMIN, BODY_JSON, h_retention_put },
	{ "POST", "/api/v1/signup-codes", POLICY_ADMIN, BODY_NONE, h_signup_code },
	{ "POST", "/api/v1/auth/prelogin", POLICY_PUBLIC, BODY_JSON, h_prelogin },
	{ "POST", "/api/v1/auth/register", POLICY_PUBLIC, BODY_JSON, h_register },
	{ "POST", "/api/v1/auth/login", POLICY_PUBLIC, BODY_JSON, h_login },
	{ "POST", "/api/v1/auth/recover/keys", POLICY_PUBLIC, BODY_JSON, h_recover_keys },
	{ "POST", "/api/v1/auth/recover", POLICY_PUBLIC, BODY_JSON, h_recover },
	{ "POST", "/api/v1/auth/logout", POLICY_SESSION, BODY_NONE, h_logout },
	{ "GET", "/api/v1/auth/me", POLICY_SESSION, BODY_NONE, h_me },
	{ "GET", "/api/v1/auth/sessions", POLICY_SESSION, BODY_NONE, h_sessions_list },
	{ "DELETE", "/api/v1/auth/sessions", POLICY_SESSION, BODY_NONE, h_sessions_revoke_all },
	{ "POST", "/api/v1/auth/totp/begin", POLICY_SESSION, BODY_NONE, h_totp_begin },
	{ "POST", "/api/v1/auth/totp/confirm", POLICY_SESSION, BODY_JSON, h_totp_confirm },
	{ "POST", "/api/v1/auth/password", POLICY_SESSION, BODY_JSON, h_password },
	{ "POST", "/api/v1/operator/sessions/revoke", POLICY_ADMIN, BODY_JSON, h_kill_switch },
	/* Organizations as the operator manages them (h_opquota.c): ids, counts, storage. */
	{ "GET", "/api/v1/operator/orgs", POLICY_OPERATOR, BODY_NONE, h_operator_orgs },
	{ "PUT", "/api/v1/operator/orgs/{org}/quota", POLICY_OPERATOR, BODY_JSON,
	    h_operator_quota_put, ORG_STEP_UP },
	{ "GET", "/api/v1/audit/key", POLICY_PUBLIC, BODY_NONE, h_audit_key },
	{ "GET", "/api/v1/audit/instance", POLICY_ADMIN, BODY_NONE, h_audit_instance },
	/* Organizations, keys and enrollment (docs/api/http.md); {org} is always the first
	 * parameter of a POLICY_ORG route. */
	{ "POST", "/api/v1/auth/step-up", POLICY_SESSION, BODY_JSON, h_step_up },
	{ "GET", "/api/v1/auth/keys", POLICY_SESSION, BODY_NONE, h_auth_keys },
	{ "GET", "/api/v1/users/lookup", POLICY_SESSION, BODY_NONE, h_users_lookup },
	{ "POST", "/api/v1/orgs", POLICY_SESSION, BODY_JSON, h_org_create },
	{ "GET", "/api/v1/orgs", POLICY_SESSION, BODY_NONE, h_orgs_list },
	{ "GET", "/api/v1/orgs/{org}", POLICY_ORG, BODY_NONE, h_org_get, ORG_ROLE_ANY },
	{ "GET", "/api/v1/orgs/{org}/keys", POLICY_ORG, BODY_NONE, h_org_keys,
	    ORG_ROLE_MANAGE | ORG_ROLE_VIEWER },
	{ "POST", "/api/v1/orgs/{org}/statements", POLICY_ORG, BODY_JSON, h_org_statements,
	    ORG_ROLE_MANAGE },
	{ "GET", "/api/v1/orgs/{org}/members", POLICY_ORG, BODY_NONE, h_org_members, ORG_ROLE_MANAGE },
	{ "POST", "/api/v1/orgs/{org}/sites", POLICY_ORG, BODY_JSON, h_site_add, ORG_ROLE_MANAGE },
	{ "GET", "/api/v1/orgs/{org}/sites", POLICY_ORG, BODY_NONE, h_sites_list, ORG_ROLE_ANY },
	{ "POST", "/api/v1/orgs/{org}/cameras", POLICY_ORG, BODY_JSON, h_org_camera_add,
	    ORG_ROLE_MANAGE },
	/* Removing a camera deletes its recordings: a fresh step-up (h_orgsite.c). */
	{ "DELETE", "/api/v1/orgs/{org}/cameras/{id}", POLICY_ORG, BODY_NONE, h_org_camera_remove,
	    ORG_ROLE_MANAGE | ORG_STEP_UP },
	{ "GET", "/api/v1/orgs/{org}/cameras", POLICY_ORG, BODY_NONE, h_org_cameras,
	    ORG_ROLE_MANAGE | ORG_ROLE_VIEWER | ORG_ROLE_SUPPORT },
	{ "GET", "/api/v1/orgs/{org}/gateways", POLICY_ORG, BODY_NONE, h_org_gateways,
	    ORG_ROLE_MANAGE | ORG_ROLE_SUPPORT },
	{ "PUT", "/api/v1/orgs/{org}/gateways/{gw}/config", POLICY_ORG, BODY_JSON, h_gwconfig_put,
	    ORG_ROLE_MANAGE },
	{ "GET", "/api/v1/orgs/{org}/gateways/{gw}/config", POLICY_ORG, BODY_NONE, h_gwconfig_get,
	    ORG_ROLE_MANAGE | ORG_ROLE_SUPPORT },
	{ "POST", "/api/v1/orgs/{org}/support", POLICY_ORG, BODY_JSON, h_support_grant,
	    ORG_ROLE_MANAGE | ORG_STEP_UP },
	{ "GET", "/api/v1/orgs/{org}/support", POLICY_ORG, BODY_NONE, h_support_list,
	    ORG_ROLE_MANAGE | ORG_ROLE_SUPPORT },
	{ "DELETE", "/api/v1/orgs/{org}/support/{user}", POLICY_ORG, BODY_NONE, h_support_revoke,
	    ORG_ROLE_MANAGE },
	{ "PUT", "/api/v1/orgs/{org}/webhook", POLICY_ORG, BODY_JSON, h_webhook_put,
	    ORG_ROLE_MANAGE | ORG_STEP_UP },
	{ "GET", "/api/v1/orgs/{org}/webhook", POLICY_ORG, BODY_NONE, h_webhook_get, ORG_ROLE_MANAGE },
	{ "DELETE", "/api/v1/orgs/{org}/webhook", POLICY_ORG, BODY_NONE, h_webhook_delete,
	    ORG_ROLE_MANAGE },
	/* Retention (h_orgretention.c): changing it may delete footage, so a fresh step-up. */
	{ "GET", "/api/v1/orgs/{org}/retention", POLICY_ORG, BODY_NONE, h_org_retention_list,
	    ORG_ROLE_MANAGE },
	{ "PUT", "/api/v1/orgs/{org}/cameras/{id}/retention", POLICY_ORG, BODY_JSON,
	    h_org_retention_put, ORG_ROLE_MANAGE | ORG_STEP_UP },
	{ "GET", "/api/v1/orgs/{org}/audit", POLICY_ORG, BODY_NONE, h_org_audit,
	    ORG_ROLE_OWNER | ORG_ROLE_AUDITOR },
	{ "POST", "/api/v1/orgs/{org}/invitations", POLICY_ORG, BODY_JSON, h_invite_add,
	    ORG_ROLE_MANAGE | ORG_STEP_UP },
	{ "GET", "/api/v1/orgs/{org}/invitations/{id}", POLICY_ORG, BODY_NONE, h_invite_get,
	    ORG_ROLE_MANAGE },
	{ "POST", "/api/v1/orgs/{org}/invitations/{id}/accept", POLICY_ORG, BODY_JSON,
	    h_invite_accept, ORG_ROLE_MANAGE },
	/* Share links (h_share.c, docs/design/shares.md): a viewer in scope may share; the
	 * recipient's two routes are public and checked by the handler (the open: a proof of
	 * the link's key in its small body; segments: the open's token; expiry). */
	{ "POST", "/api/v1/orgs/{org}/shares", POLICY_ORG, BODY_STREAM, h_share_create,
	    ORG_ROLE_MANAGE | ORG_ROLE_VIEWER | ORG_STEP_UP },
	{ "GET", "/api/v1/orgs/{org}/shares", POLICY_ORG, BODY_NONE, h_shares_list, ORG_ROLE_MANAGE },
	{ "DELETE", "/api/v1/orgs/{org}/shares/{id}", POLICY_ORG, BODY_NONE, h_share_revoke,
	    ORG_ROLE_MANAGE | ORG_ROLE_VIEWER },
	{ "POST", "/api/v1/shares/{id}/open", POLICY_PUBLIC, BODY_JSON, h_share_open },
	{ "GET", "/api/v1/shares/{id}/segments/{seq}", POLICY_PUBLIC, BODY_NONE, h_share_segment },
	{ "POST", "/api/v1/enroll", POLICY_ENROLL, BODY_JSON, h_enroll },
	{ "POST", "/api/v1/enroll/{id}/result", POLICY_ENROLL, BODY_JSON, h_enroll_result },
	{ "GET", "/api/v1/gateway/config", POLICY_GATEWAY, BODY_NONE, h_gateway_config },
	/* The browser console (h_static.c): a fixed file list, nothing else reaches the disk. */
	{ "GET", "/api/v1/console/hashes", POLICY_PUBLIC, BODY_NONE, h_console_hashes },
	{ "GET", "/", POLICY_PUBLIC, BODY_NONE, h_static },
	{ "GET", "/style.css", POLICY_PUBLIC, BODY_NONE, h_static },
	{ "GET", "/app.js", POLICY_PUBLIC, BODY_NONE, h_static },
	{ "GET", "/api.js", POLICY_PUBLIC, BODY_NONE, h_static },
	{ "GET", "/login.js", POLICY_PUBLIC, BODY_NONE, h_static },
	{ "GET", "/kdf-worker.js", POLICY_PUBLIC, BODY_NONE, h_static },
	{ "GET", "/sodium.js", POLICY_PUBLIC, BODY_NONE, h_static },
	{ "GET", "/keys.js", POLICY_PUBLIC, BODY_NONE, h_static },
	{ "GET", "/records.js", POLICY_PUBLIC, BODY_NONE, h_static },
	{ "GET", "/segment.js", POLICY_PUBLIC, BODY_NONE, h_static },
	{ "GET", "/mse.js", POLICY_PUBLIC, BODY_NONE, h_static },
	{ "GET", "/grid.js", POLICY_PUBLIC, BODY_NONE, h_static },
	{ "GET", "/gridpages.js", POLICY_PUBLIC, BODY_NONE, h_static },
	{ "GET", "/statements.js", POLICY_PUBLIC, BODY_NONE, h_static },
	{ "GET", "/orgs.js", POLICY_PUBLIC, BODY_NONE, h_static },
	{ "GET", "/livefeed.js", POLICY_PUBLIC, BODY_NONE, h_static },
	{ "GET", "/archive.js", POLICY_PUBLIC, BODY_NONE, h_static },
	{ "GET", "/timeline.js", POLICY_PUBLIC, BODY_NONE, h_static },
	{ "GET", "/events.js", POLICY_PUBLIC, BODY_NONE, h_static },
	{ "GET", "/eventlist.js", POLICY_PUBLIC, BODY_NONE, h_static },
	{ "GET", "/pause.js", POLICY_PUBLIC, BODY_NONE, h_static },
	{ "GET", "/player.js", POLICY_PUBLIC, BODY_NONE, h_static },
	{ "GET", "/export.js", POLICY_PUBLIC, BODY_NONE, h_static },
	{ "GET", "/share.js", POLICY_PUBLIC, BODY_NONE, h_static },
	{ "GET", "/shareview.js", POLICY_PUBLIC, BODY_NONE, h_static },
	{ "GET", "/admin.js", POLICY_PUBLIC, BODY_NONE, h_static },
	{ "GET", "/adminops.js", POLICY_PUBLIC, BODY_NONE, h_static },
	{ "GET", "/recover.js", POLICY_PUBLIC, BODY_NONE, h_static },
	{ "GET", "/totpsetup.js", POLICY_PUBLIC, BODY_NONE, h_static },
	{ "GET", "/s/{id}", POLICY_PUBLIC, BODY_NONE, h_static },
	{ "GET", "/vendor/libsodium-wrappers.js", POLICY_PUBLIC, BODY_NONE, h_static },
	{ "GET", "/vendor/libsodium-sumo.js", POLICY_PUBLIC, BODY_NONE, h_static },
};
#pragma GCC diagnostic pop

#define ROUTES_N (sizeof(table) / sizeof(table[0]))

const struct route *
routes_table(size_t *n)
{
	*n = sizeof(table) / sizeof(table[0]);
	return table;
}

static int
param_char_ok(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    c == '-' || c == '_';
}

/* Match one pattern against path; 0 on a match (params filled), -1 otherwise. */
static int
pattern_match(const char *pat, const char *path, struct route_match *m)
{
	const char *pe, *se;
	size_t plen, slen, i;

	m->nparams = 0;
	for (;;) {
		if (*pat != '/' || *path != '/')
			return -1;
		pat++;
		path++;
		pe = strchr(pat, '/');
		se = strchr(path, '/');
		plen = pe != NULL ? (size_t)(pe - pat) : strlen(pat);
		slen = se != NULL ? (size_t)(se - path) : strlen(path);
		if (plen >= 2 && pat[0] == '{' && pat[plen - 1] == '}') {
			if (slen == 0 || slen >= ROUTE_PARAM_MAX || m->nparams >= ROUTE_MAX_PARAMS)
				return -1;
			for (i = 0; i < slen; i++)
				if (!param_char_ok(path[i]))
					return -1;
			memcpy(m->params[m->nparams], path, slen);
			m->params[m->nparams][slen] = '\0';
			m->nparams++;
		} else if (plen != slen || memcmp(pat, path, plen) != 0) {
			return -1;
		}
		pat += plen;
		path += slen;
		if (*pat == '\0' && *path == '\0')
			return 0;
		if (*pat == '\0' || *path == '\0')
			return -1;
	}
}

int
route_match(const char *method, const char *path, struct route_match *m)
{
	size_t i, n = sizeof(table) / sizeof(table[0]);
	int path_seen = 0;

	memset(m, 0, sizeof(*m));
	if (method == NULL || path == NULL || strnlen(path, ROUTE_PATH_MAX) >= ROUTE_PATH_MAX)
		return -404;
	for (i = 0; i < n; i++) {
		if (pattern_match(table[i].pattern, path, m) != 0)
			continue;
		if (strcmp(table[i].method, method) != 0) {
			path_seen = 1;
			continue;
		}
		m->route = &table[i];
		return 0;
	}
	memset(m, 0, sizeof(*m));
	return path_seen ? -405 : -404;
}

/* The token of "Bearer <token>", or NULL. */
static const char *
bearer(const char *authz)
{
	static const char pfx[] = "Bearer ";

	if (authz == NULL || strncmp(authz, pfx, sizeof(pfx) - 1) != 0)
		return NULL;
	return authz + sizeof(pfx) - 1;
}

/* A live session from the Cookie header into who. 0 or -401. */
static int
session_principal(struct server *srv, const char *cookie, int64_t now, struct principal *who)
{
	struct sessions_info info;
	char token[SESSIONS_TOKEN_BUF];
	int r = -401;

	memset(&info, 0, sizeof(info));
	if (srv == NULL || srv->idn == NULL || cookie == NULL ||
	    sessions_cookie_token(cookie, srv->idn->cookie_secure, token) != 0)
		goto out;
	if (sessions_check(srv->idn->sess, token, now, &info) != 0)
		goto out;
	memcpy(who->user_id, info.user_id, sizeof(who->user_id));
	memcpy(who->sid, info.sid, sizeof(who->sid));
	who->roles = info.roles;
	who->step_up_fresh = sessions_step_up_fresh(&info, now);
	who->kind = POLICY_SESSION;
	r = 0;
out:
	sodium_memzero(token, sizeof(token));
	return r;
}

/* 1 when authz carries the admin token. */
static int
admin_token(struct server *srv, const char *authz)
{
	const char *tok = bearer(authz);

	return tok != NULL && srv != NULL && srv->au != NULL && auth_admin_check(srv->au, tok) == 0;
}

/* The org id of the path, canonical lowercase hex, or -1. */
static int
path_org(const struct route_match *m, char org[65])
{
	uint8_t id[STMT_ORG_ID_LEN];

	if (m == NULL || m->nparams < 1 || hex_decode(m->params[0], id, sizeof(id)) != 0)
		return -1;
	hex_encode(id, sizeof(id), org);
	return 0;
}

/* 0 when the session's account has a second factor (TOTP) on, else -1 with the reason in
 * who->deny. */
static int
second_factor(struct server *srv, struct principal *who)
{
	struct accounts_user *u;
	int totp;

	if ((u = sodium_malloc(sizeof(*u))) == NULL)
		return -1;
	totp = accounts_get(srv->idn->acc, who->user_id, u) == 0 && u->totp_enabled;
	sodium_free(u);
	if (totp)
		return 0;
	who->deny = "enable a second factor (TOTP) for this role";
	return -1;
}

/* Owners and admins act only with a second factor on their account: 0, or -1 with the
 * reason in who->deny. Other roles pass. */
static int
role_second_factor(struct server *srv, uint8_t role, struct principal *who)
{
	if (role != STMT_ROLE_OWNER && role != STMT_ROLE_ADMIN)
		return 0;
	return second_factor(srv, who);
}

/* An operator account's session: the operator role, a second factor (an operator's password
 * alone must not reach every organization's quota), and a fresh step-up where the route
 * asks for one. 0, or a negative status with the reason in who->deny. */
static int
operator_decide(struct server *srv, const struct route_match *m, struct principal *who)
{
	if ((who->roles & ROLE_OPERATOR) == 0)
		return -403;
	if (second_factor(srv, who) != 0)
		return -403;
	if ((m->route->roles & ORG_STEP_UP) != 0 && !who->step_up_fresh) {
		who->deny = "step-up required: POST /api/v1/auth/step-up";
		return -403;
	}
	who->kind = POLICY_OPERATOR;
	return 0;
}

/* POLICY_ORG for an authenticated session: membership, role mask, TOTP, step-up. */
static int
org_decide(struct server *srv, const struct route_match *m, int64_t now, struct principal *who)
{
	struct orgs_member mem;
	char org[65];

	if (path_org(m, org) != 0 || srv->idn->orgs == NULL ||
	    orgs_membership(srv->idn->orgs, org, who->user_id, now, &mem) != 0)
		return -404;   /* foreign = missing */
	if ((m->route->roles & ORG_ROLE_BIT(mem.role)) == 0) {
		who->deny = "your role in this organization does not allow this";
		return -403;
	}
	if (role_second_factor(srv, mem.role, who) != 0)
		return -403;
	if ((m->route->roles & ORG_STEP_UP) != 0 && !who->step_up_fresh) {
		who->deny = "step-up required: POST /api/v1/auth/step-up";
		return -403;
	}
	memcpy(who->org, org, sizeof(who->org));
	who->org_role = mem.role;
	who->kind = POLICY_ORG;
	return 0;
}

/* 1 when s is a camera id as the server writes it: 32 lower-case hex digits. */
static int
camera_hex_canonical(const char *s)
{
	size_t i;

	for (i = 0; i < 2 * CAMERA_ID_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[i] == '\0';
}

int
authorize_route(struct server *srv, const struct route_match *m, const char *authz,
    const char *cookie, int64_t now, struct principal *who)
{
	enum policy policy = m != NULL && m->route != NULL ? m->route->policy : POLICY_NONE;
	int r;

	memset(who, 0, sizeof(*who));
	switch (policy) {
	case POLICY_PUBLIC:
	case POLICY_ENROLL:
		who->kind = policy;
		return 0;
	case POLICY_ADMIN:
		if (!admin_token(srv, authz))
			return -401;
		who->kind = POLICY_ADMIN;
		return 0;
	case POLICY_METRICS:    /* or the --metrics-allow peer, checked by http.c */
	case POLICY_OPERATOR:
		if (admin_token(srv, authz)) {
			who->kind = POLICY_OPERATOR;
			return 0;
		}
		if ((r = session_principal(srv, cookie, now, who)) != 0)
			return r;
		return operator_decide(srv, m, who);
	case POLICY_GATEWAY: {
		const char *tok = bearer(authz);

		if (tok == NULL || srv == NULL || srv->au == NULL ||
		    auth_session_check(srv->au, now, tok, who->gateway_id) != 0)
			return -401;
		who->kind = POLICY_GATEWAY;
		return 0;
	}
	case POLICY_SESSION:
		return session_principal(srv, cookie, now, who);
	case POLICY_ORG:
		if ((r = session_principal(srv, cookie, now, who)) != 0)
			return r;
		return org_decide(srv, m, now, who);
	case POLICY_CAMERA_VIEW:
		/* Tests of server mechanics (relay, ingest, archive serving) on loopback only:
		 * --test-operator-footage lets the admin token read ciphertext. Never on a
		 * production listener (main.c refuses it off loopback); access tests run
		 * without it. */
		if (srv != NULL && srv->test_operator_footage && admin_token(srv, authz)) {
			who->kind = POLICY_ADMIN;
			return 0;
		}
		if ((r = session_principal(srv, cookie, now, who)) != 0)
			return r;
		/* One spelling of a camera id (lower-case hex, as every listing and audit entry
		 * writes it): an upper-case one would reach the same camera under a name the
		 * audit log and its per-session dedup do not know. */
		if (m->nparams < 1 || !camera_hex_canonical(m->params[0]) || srv->idn->orgs == NULL ||
		    orgs_camera_view(srv->idn->orgs, m->params[0], who->user_id, now, who->org) != 0)
			return -404;
		/* Footage is an owner's or admin's role too: the same second factor applies. */
		{
			struct orgs_member mem;

			if (orgs_membership(srv->idn->orgs, who->org, who->user_id, now, &mem) != 0)
				return -404;
			if (role_second_factor(srv, mem.role, who) != 0)
				return -403;
		}
		who->kind = POLICY_CAMERA_VIEW;
		return 0;
	case POLICY_NONE:
	default:
		return -403;
	}
}

int
authorize_camera_view_again(struct server *srv, const char *cookie, const char *cam_hex,
    const char *user, int64_t now, char org[65])
{
	static const struct route view = { "GET", "/api/v1/live", POLICY_CAMERA_VIEW, BODY_NONE,
	    NULL, 0 };
	struct route_match m;
	struct principal who;

	memset(&m, 0, sizeof(m));
	m.route = &view;
	m.nparams = 1;
	if (strlen(cam_hex) >= sizeof(m.params[0]))
		return -1;
	memcpy(m.params[0], cam_hex, strlen(cam_hex) + 1);
	if (authorize_route(srv, &m, NULL, cookie, now, &who) != 0 ||
	    who.kind != POLICY_CAMERA_VIEW || strcmp(who.user_id, user) != 0)
		return -1;
	memcpy(org, who.org, sizeof(who.org));
	return 0;
}

int
authorize(struct server *srv, enum policy policy, const char *authz, int64_t now,
    struct principal *who)
{
	return authorize_req(srv, policy, authz, NULL, now, who);
}

int
authorize_req(struct server *srv, enum policy policy, const char *authz, const char *cookie,
    int64_t now, struct principal *who)
{
	struct route fake;
	struct route_match m;

	memset(&fake, 0, sizeof(fake));
	memset(&m, 0, sizeof(m));
	fake.policy = policy;
	m.route = &fake;
	/* Org and camera decisions need the path: without it they are denied (no params). */
	return authorize_route(srv, &m, authz, cookie, now, who);
}
