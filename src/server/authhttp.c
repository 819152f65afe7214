/* authhttp.c - request facts, header-carrying JSON responses and audit appends for the account routes. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "common/util.h"
#include "server/audit.h"
#include "server/authhttp.h"
#include "server/http.h"
#include "server/identity.h"
#include "server/server.h"

void
authhttp_info(struct req *rq, struct reqinfo *ri)
{
	const union MHD_ConnectionInfo *ci;
	const struct sockaddr *sa = NULL;
	uint8_t rid[16];

	memset(ri, 0, sizeof(*ri));
	memcpy(ri->addr, "-", 2);
	ci = MHD_get_connection_info(rq->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci != NULL)
		sa = ci->client_addr;
	if (sa != NULL && sa->sa_family == AF_INET) {
		if (inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr,
		    ri->addr, sizeof(ri->addr)) != NULL)
			ri->sa = sa;
	} else if (sa != NULL && sa->sa_family == AF_INET6) {
		if (inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
		    ri->addr, sizeof(ri->addr)) != NULL)
			ri->sa = sa;
	}
	if (ri->sa == NULL)
		memcpy(ri->addr, "-", 2);
	randombytes_buf(rid, sizeof(rid));
	hex_encode(rid, sizeof(rid), ri->rid);
}

int
authhttp_json(struct req *rq, unsigned status, json_t *j, const char *h1, const char *v1,
    const char *h2, const char *v2)
{
	struct MHD_Response *resp;
	char *s;
	enum MHD_Result r;

	s = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (s == NULL)
		return http_error(rq, 500, "internal error", 1);
	resp = MHD_create_response_from_buffer(strlen(s), s, MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(s);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", "application/json");
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	if (h1 != NULL)
		MHD_add_response_header(resp, h1, v1);
	if (h2 != NULL)
		MHD_add_response_header(resp, h2, v2);
	r = MHD_queue_response(rq->conn, status, resp);
	MHD_destroy_response(resp);
	rq->responded = 1;
	return r;
}

void
authhttp_audit(struct req *rq, const struct reqinfo *ri, const char *action,
    const char *actor_kind, const char *actor, const char *target)
{
	struct auditlog_event ev;
	uint64_t seq = 0;

	memset(&ev, 0, sizeof(ev));
	ev.actor = actor;
	ev.actor_kind = actor_kind;
	ev.action = action;
	ev.target = target;
	ev.address = ri->addr;
	ev.request_id = ri->rid;
	if (audit_append(rq->srv->idn->aud, IDENTITY_AUDIT_ORG, &ev, &seq) != 0)
		log_err("audit", "op=append org=%s action=%s rid=%s err=failed", IDENTITY_AUDIT_ORG,
		    action, ri->rid);
}
