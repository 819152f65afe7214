/* routes.c - the routing table, segment-wise path matching and authorize(), deny by default. */
#include <string.h>
#include <sodium.h>
#include "server/auth.h"
#include "server/identity.h"
#include "server/routes.h"
#include "server/server.h"
#include "server/sessions.h"

static const struct route table[] = {
	{ "GET", "/healthz", POLICY_PUBLIC, BODY_NONE, h_healthz },
	{ "POST", "/api/v1/gateways", POLICY_ADMIN, BODY_JSON, h_gateway_register },
	{ "GET", "/api/v1/gateway/challenge", POLICY_PUBLIC, BODY_NONE, h_gateway_challenge },
	{ "POST", "/api/v1/gateway/session", POLICY_PUBLIC, BODY_JSON, h_gateway_session },
	{ "POST", "/api/v1/ingest", POLICY_GATEWAY, BODY_STREAM, h_ingest },
	{ "GET", "/api/v1/cameras", POLICY_ADMIN, BODY_NONE, h_cameras_list },
	{ "GET", "/api/v1/cameras/{id}/streams/{s}/segments", POLICY_ADMIN, BODY_NONE, h_segments_list },
	{ "GET", "/api/v1/cameras/{id}/streams/{s}/segments/{seq}", POLICY_ADMIN, BODY_NONE,
	    h_segment_get },
	{ "GET", "/api/v1/cameras/{id}/streams/{s}/live", POLICY_ADMIN, BODY_NONE, h_live },
	{ "PUT", "/api/v1/cameras/{id}/retention", POLICY_ADMIN, BODY_JSON, h_retention_put },
	{ "POST", "/api/v1/signup-codes", POLICY_ADMIN, BODY_NONE, h_signup_code },
	{ "POST", "/api/v1/auth/prelogin", POLICY_PUBLIC, BODY_JSON, h_prelogin },
	{ "POST", "/api/v1/auth/register", POLICY_PUBLIC, BODY_JSON, h_register },
	{ "POST", "/api/v1/auth/login", POLICY_PUBLIC, BODY_JSON, h_login },
	{ "POST", "/api/v1/auth/logout", POLICY_SESSION, BODY_NONE, h_logout },
	{ "GET", "/api/v1/auth/me", POLICY_SESSION, BODY_NONE, h_me },
	{ "GET", "/api/v1/auth/sessions", POLICY_SESSION, BODY_NONE, h_sessions_list },
	{ "DELETE", "/api/v1/auth/sessions", POLICY_SESSION, BODY_NONE, h_sessions_revoke_all },
	{ "POST", "/api/v1/auth/totp/begin", POLICY_SESSION, BODY_NONE, h_totp_begin },
	{ "POST", "/api/v1/auth/totp/confirm", POLICY_SESSION, BODY_JSON, h_totp_confirm },
	{ "POST", "/api/v1/auth/password", POLICY_SESSION, BODY_JSON, h_password },
	{ "POST", "/api/v1/operator/sessions/revoke", POLICY_ADMIN, BODY_JSON, h_kill_switch },
	{ "GET", "/api/v1/audit/key", POLICY_PUBLIC, BODY_NONE, h_audit_key },
	{ "GET", "/api/v1/audit/instance", POLICY_ADMIN, BODY_NONE, h_audit_instance },
};

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
	const char *tok;

	memset(who, 0, sizeof(*who));
	switch (policy) {
	case POLICY_PUBLIC:
		who->kind = POLICY_PUBLIC;
		return 0;
	case POLICY_ADMIN:
		if ((tok = bearer(authz)) == NULL || srv == NULL || srv->au == NULL)
			return -401;
		if (auth_admin_check(srv->au, tok) != 0)
			return -401;
		who->kind = POLICY_ADMIN;
		return 0;
	case POLICY_GATEWAY:
		if ((tok = bearer(authz)) == NULL || srv == NULL || srv->au == NULL)
			return -401;
		if (auth_session_check(srv->au, now, tok, who->gateway_id) != 0)
			return -401;
		who->kind = POLICY_GATEWAY;
		return 0;
	case POLICY_SESSION:
		return session_principal(srv, cookie, now, who);
	case POLICY_NONE:
	default:
		return -403;
	}
}
