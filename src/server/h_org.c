/* h_org.c - organization routes: create, list, show, keys, signed statements, members and the org's audit log. */
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "common/statement.h"
#include "common/util.h"
#include "server/accounts.h"
#include "server/audit.h"
#include "server/hexfield.h"
#include "server/http.h"
#include "server/identity.h"
#include "server/jsonbody.h"
#include "server/orgaudit.h"
#include "server/orgs.h"
#include "server/server.h"

/* Most statements one POST applies, and the largest org audit download. */
#define ORG_BATCH_MAX 256
#define ORG_AUDIT_MAX (64u * 1024u * 1024u)

int
h_org_create(struct req *rq)
{
	struct identity *idn = rq->srv->idn;
	struct accounts_user *u = NULL;
	uint8_t *root = NULL, *cert = NULL, *mem = NULL, *sealed = NULL;
	size_t rl, cl, ml, sl;
	char org[ORGS_ID_BUF];
	json_t *j = NULL;
	int r, e, serr;

	if ((u = sodium_malloc(sizeof(*u))) == NULL ||
	    accounts_get(idn->acc, rq->who.user_id, u) != 0) {
		r = http_error(rq, 500, "internal error", 0);
		goto out;
	}
	if (!u->totp_enabled) {
		r = http_error(rq, 403, "enable a second factor (TOTP) for this role", 0);
		goto out;
	}
	if (jsonbody_parse(rq->body.data, rq->body.len, &j) != 0 ||
	    hexfield_get(j, "org_root", STMT_MAX_LEN, &root, &rl) != 0 ||
	    hexfield_get(j, "admin_cert", STMT_MAX_LEN, &cert, &cl) != 0 ||
	    hexfield_get(j, "member", STMT_MAX_LEN, &mem, &ml) != 0 ||
	    hexfield_get(j, "sealed_root", ORGS_SEALED_ROOT_LEN, &sealed, &sl) != 0) {
		r = http_error(rq, 400, "body must be {org_root,admin_cert,member,sealed_root} as hex", 0);
		goto out;
	}
	e = orgs_create(idn->orgs, rq->who.user_id, root, rl, cert, cl, mem, ml, sealed, sl,
	    now_us(), &serr, org);
	if (e == ORGS_E_EXISTS) {
		r = http_error(rq, 409, "organization exists", 0);
		goto out;
	}
	if (e == ORGS_E_STMT) {
		r = http_error(rq, 400, statement_strerror(serr), 0);
		goto out;
	}
	if (e != 0) {
		r = http_error(rq, e == ORGS_E_INVAL ? 400 : 500, e == ORGS_E_INVAL ?
		    "sealed_root must be a sealed 64-byte key" : "internal error", 0);
		goto out;
	}
	log_info("orgs", "op=create org=%s user=%s", org, rq->who.user_id);
	rq->who.org_role = STMT_ROLE_OWNER;
	orgaudit_event(rq, org, "org.create", rq->who.user_id);
	r = http_json(rq, 201, json_pack("{s:s}", "org", org));
out:
	json_decref(j);
	free(root);
	free(cert);
	free(mem);
	free(sealed);
	sodium_free(u);
	return r;
}

int
h_orgs_list(struct req *rq)
{
	json_t *j = orgs_list_json(rq->srv->idn->orgs, rq->who.user_id, now_us());

	return j != NULL ? http_json(rq, 200, j) : http_error(rq, 500, "internal error", 0);
}

int
h_org_get(struct req *rq)
{
	json_t *j;

	if (orgaudit_support_read(rq, "org", rq->who.org) != 0)
		return http_error(rq, 503, ORGAUDIT_UNAVAILABLE, 0);
	j = orgs_info_json(rq->srv->idn->orgs, rq->who.org, rq->who.org_role);
	return j != NULL ? http_json(rq, 200, j) : http_error(rq, 404, "not found", 0);
}

int
h_org_keys(struct req *rq)
{
	int manage = rq->who.org_role == STMT_ROLE_OWNER || rq->who.org_role == STMT_ROLE_ADMIN;
	json_t *j = orgs_keys_json(rq->srv->idn->orgs, rq->who.org, rq->who.user_id, manage);

	return j != NULL ? http_json(rq, 200, j) : http_error(rq, 500, "internal error", 0);
}

int
h_org_members(struct req *rq)
{
	json_t *j = orgs_members_json(rq->srv->idn->orgs, rq->who.org, now_us());

	return j != NULL ? http_json(rq, 200, j) : http_error(rq, 500, "internal error", 0);
}

/* One audit entry per applied statement: its type as the action, its subject as target. */
static void
audit_applied(struct req *rq, const uint8_t *p, size_t n)
{
	static const char *const names[STMT_TYPE_MAX + 1] = { "statement", "org.root",
	    "admin.cert", "member.add", "member.remove", "member.role", "camera.epoch", "grant",
	    "gateway.cert", "gateway.config", "gateway.command" };
	struct stmt *s = NULL;
	char target[2 * STMT_TARGET_LEN + 1];

	if (statement_parse(p, n, &s) != STMT_OK)
		return;
	switch (s->type) {
	case STMT_ADMIN_CERT:
		hex_encode(s->u.admin_cert.user_id, STMT_ID_LEN, target);
		break;
	case STMT_MEMBER_ADD:
	case STMT_MEMBER_REMOVE:
	case STMT_MEMBER_ROLE:
		hex_encode(s->u.member.user_id, STMT_ID_LEN, target);
		break;
	case STMT_GRANT:
		hex_encode(s->u.grant.grantee_id, STMT_ID_LEN, target);
		break;
	case STMT_CAMERA_EPOCH:
		hex_encode(s->u.camera_epoch.camera_id, STMT_ID_LEN, target);
		break;
	default:
		hex_encode(s->target, STMT_TARGET_LEN, target);
		break;
	}
	orgaudit_event(rq, rq->who.org, names[s->type <= STMT_TYPE_MAX ? s->type : 0], target);
	statement_free(s);
}

int
h_org_statements(struct req *rq)
{
	uint8_t *bufs[ORG_BATCH_MAX];
	size_t lens[ORG_BATCH_MAX], n = 0, i, bad = 0;
	json_t *j = NULL, *arr;
	int r, e, serr;

	memset(bufs, 0, sizeof(bufs));
	if (jsonbody_parse(rq->body.data, rq->body.len, &j) != 0 ||
	    !json_is_array(arr = json_object_get(j, "statements")) || json_array_size(arr) == 0 ||
	    json_array_size(arr) > ORG_BATCH_MAX) {
		r = http_error(rq, 400, "body must be {\"statements\":[hex,...]} (1..256)", 0);
		goto out;
	}
	for (n = 0; n < json_array_size(arr); n++)
		if (hexfield_value(json_array_get(arr, n), STMT_MAX_LEN, &bufs[n], &lens[n]) != 0) {
			r = http_json(rq, 400, json_pack("{s:s,s:I}", "error", "statement is not hex",
			    "index", (json_int_t)n));
			goto out;
		}
	e = orgs_apply(rq->srv->idn->orgs, rq->who.org, (const uint8_t *const *)bufs, lens, n,
	    now_us(), &serr, &bad);
	if (e == ORGS_E_STMT) {
		r = http_json(rq, 400, json_pack("{s:s,s:I}", "error", statement_strerror(serr),
		    "index", (json_int_t)bad));
		goto out;
	}
	if (e != 0) {
		r = http_error(rq, 500, "internal error", 0);
		goto out;
	}
	for (i = 0; i < n; i++)
		audit_applied(rq, bufs[i], lens[i]);
	log_info("orgs", "op=statements org=%s user=%s applied=%zu", rq->who.org, rq->who.user_id, n);
	r = http_json(rq, 200, json_pack("{s:I}", "applied", (json_int_t)n));
out:
	for (i = 0; i < ORG_BATCH_MAX; i++)
		free(bufs[i]);
	json_decref(j);
	return r;
}

static int
collect_line(void *arg, const char *line, size_t len)
{
	struct buf *b = arg;

	return buf_put(b, line, len) != 0 || buf_put_u8(b, '\n') != 0;
}

int
h_org_audit(struct req *rq)
{
	struct MHD_Response *resp;
	struct buf b;
	const char *from_s = http_query(rq, "from");
	int64_t from = 1;
	int e, r;

	buf_init(&b, ORG_AUDIT_MAX);
	if (from_s != NULL && parse_i64(from_s, 1, AUDITLOG_SEQ_MAX, &from) != 0) {
		r = http_error(rq, 400, "from must be a seq >= 1", 0);
		goto out;
	}
	e = audit_export(rq->srv->idn->aud, rq->who.org, (uint64_t)from, collect_line, &b);
	if (e != 0) {
		r = e == AUDIT_E_ABORTED ? http_error(rq, 507, "audit log too large for one download: "
		    "use ?from=SEQ", 0) : http_error(rq, 500, "internal error", 0);
		goto out;
	}
	if ((resp = MHD_create_response_from_buffer(b.len, b.data, MHD_RESPMEM_MUST_COPY)) == NULL) {
		r = MHD_NO;
		goto out;
	}
	MHD_add_response_header(resp, "Content-Type", "application/x-ndjson");
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	r = MHD_queue_response(rq->conn, 200, resp);
	MHD_destroy_response(resp);
	rq->responded = 1;
	log_info("audit", "op=download org=%s from=%lld bytes=%zu", rq->who.org, (long long)from,
	    b.len);
out:
	buf_free(&b);
	return r;
}
