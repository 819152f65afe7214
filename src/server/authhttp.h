/* authhttp.h - what the account handlers share: client address, request id, responses with headers, audit entries. */
#ifndef VIGIL_SERVER_AUTHHTTP_H
#define VIGIL_SERVER_AUTHHTTP_H

#include <sys/socket.h>
#include <jansson.h>
#include "common/auditlog.h"

struct req;

#define AUTHHTTP_ADDR_BUF 64
#define AUTHHTTP_RID_BUF 33

/* Who sent a request: the peer address (the TCP peer; behind a proxy, the proxy) and a
 * fresh random request id that ties the log line to the audit entry. */
struct reqinfo {
	char addr[AUTHHTTP_ADDR_BUF];
	const struct sockaddr *sa;        /* NULL when unknown */
	char rid[AUTHHTTP_RID_BUF];
};

void authhttp_info(struct req *rq, struct reqinfo *ri);

/* Queue a JSON response (takes j) with up to two extra headers (NULL names skipped). */
int authhttp_json(struct req *rq, unsigned status, json_t *j, const char *h1, const char *v1,
    const char *h2, const char *v2);

/* Append an entry to the instance audit log; failures are logged, never answered. target
 * may be NULL. */
void authhttp_audit(struct req *rq, const struct reqinfo *ri, const char *action,
    const char *actor_kind, const char *actor, const char *target);

#endif
