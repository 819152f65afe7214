/* test_server_orgs.c - the server's organizations: verified statements, memberships, camera view scope, enrollment, gateway configs, support expiry and the guarded org routes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <sodium.h>
#include <sqlite3.h>
#include "common/enroll.h"
#include "common/orgkeys.h"
#include "common/statement.h"
#include "common/userkey.h"
#include "common/util.h"
#include "server/accounts.h"
#include "server/orgs.h"
#include "server/roles.h"
#include "server/routes.h"

static const struct accounts_limits lim = { 1, 4u << 20 };

struct user {
	char id[USERKEY_ID_BUF];
	uint8_t idb[16];
	struct userkey_bundle k;
};

struct fx {
	char dir[64], path[128];
	sqlite3 *db;
	struct accounts *acc;
	struct orgs *o;
	struct stmt_signer root;
	char org[ORGS_ID_BUF];
	struct user alice, bob, carol;
	int64_t now;
};

static void
user_new(struct fx *f, struct user *u, const char *name)
{
	uint8_t salt[16], auth[32], wrapped[USERKEY_WRAPPED_LEN];
	struct accounts_reg g;

	userkey_id_new(u->id);
	assert_int_equal(hex_decode(u->id, u->idb, 16), 0);
	assert_int_equal(userkey_generate(&u->k), 0);
	randombytes_buf(salt, sizeof(salt));
	randombytes_buf(auth, sizeof(auth));
	randombytes_buf(wrapped, sizeof(wrapped));
	memset(&g, 0, sizeof(g));
	g.id = u->id;
	g.username = name;
	g.salt = salt;
	g.auth_key = auth;
	g.box_pk = u->k.box_pk;
	g.sign_pk = u->k.sign_pk;
	g.wrapped = wrapped;
	g.wrapped_len = sizeof(wrapped);
	assert_int_equal(accounts_register(f->acc, &g), 0);
}

/* A member statement signed by the root. */
static void
member_stmt(struct fx *f, uint8_t type, const struct user *u, uint8_t role, const uint8_t *scope,
    uint16_t nscope, uint64_t seq, struct buf *out)
{
	struct stmt_member m;
	struct buf body;
	uint8_t target[STMT_TARGET_LEN];

	memset(&m, 0, sizeof(m));
	memcpy(m.user_id, u->idb, 16);
	memcpy(m.sign_pk, u->k.sign_pk, 32);
	memcpy(m.box_pk, u->k.box_pk, 32);
	m.role = role;
	m.nscope = nscope;
	if (nscope > 0)
		memcpy(m.scope, scope, (size_t)nscope * 16);
	buf_init(&body, 8192);
	assert_int_equal(statement_body_member(&body, &m), 0);
	statement_target_id(u->idb, target);
	assert_int_equal(statement_sign(&f->root, type, target, seq, f->now, 0, body.data, body.len,
	    out), 0);
	buf_free(&body);
}

static void
admin_cert(struct fx *f, const struct user *u, uint64_t seq, struct buf *out)
{
	struct stmt_admin_cert c;

	memset(&c, 0, sizeof(c));
	memcpy(c.user_id, u->idb, 16);
	memcpy(c.sign_pk, u->k.sign_pk, 32);
	memcpy(c.box_pk, u->k.box_pk, 32);
	c.active = 1;
	assert_int_equal(orgkeys_admin_certify(&f->root, &c, seq, f->now, out), 0);
}

/* One statement through orgs_apply: its result, *serr set. */
static int
apply1(struct fx *f, const struct buf *b, int *serr)
{
	const uint8_t *p = b->data;
	size_t n = b->len, bad;

	return orgs_apply(f->o, f->org, &p, &n, 1, f->now, serr, &bad);
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct buf rootst, cert, mem;
	uint8_t sealed[ORGS_SEALED_ROOT_LEN];
	char again[ORGS_ID_BUF];
	int serr;

	if (f == NULL || sodium_init() < 0)
		return -1;
	f->now = now_us();
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_orgs.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/accounts.db", f->dir);
	if (sqlite3_open(f->path, &f->db) != SQLITE_OK)
		return -1;
	randombytes_buf(sealed, sizeof(sealed));
	if (accounts_open(f->db, sealed, &lim, NULL, &f->acc) != 0 ||
	    orgs_open(&f->o, f->path, f->acc) != 0)
		return -1;
	user_new(f, &f->alice, "alice");
	user_new(f, &f->bob, "bob");
	user_new(f, &f->carol, "carol");
	buf_init(&rootst, 4096);
	buf_init(&cert, 4096);
	buf_init(&mem, 4096);
	assert_int_equal(orgkeys_org_create("Acme Works", f->now, &f->root, &rootst), 0);
	admin_cert(f, &f->alice, 1, &cert);
	member_stmt(f, STMT_MEMBER_ADD, &f->alice, STMT_ROLE_OWNER, NULL, 0, 1, &mem);
	assert_int_equal(orgs_create(f->o, f->alice.id, rootst.data, rootst.len, cert.data, cert.len,
	    mem.data, mem.len, sealed, sizeof(sealed), f->now, &serr, f->org), 0);
	/* The same org again is a conflict, not a second copy. */
	assert_int_equal(orgs_create(f->o, f->alice.id, rootst.data, rootst.len, cert.data, cert.len,
	    mem.data, mem.len, sealed, sizeof(sealed), f->now, &serr, again), ORGS_E_EXISTS);
	buf_free(&rootst);
	buf_free(&cert);
	buf_free(&mem);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char cmd[160];

	orgs_close(f->o);
	accounts_close(f->acc);
	sqlite3_close(f->db);
	statement_signer_wipe(&f->root);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static void
test_create_and_membership(void **state)
{
	struct fx *f = *state;
	struct orgs_member m;
	json_t *j;

	assert_int_equal(orgs_membership(f->o, f->org, f->alice.id, f->now, &m), 0);
	assert_int_equal(m.role, STMT_ROLE_OWNER);
	assert_int_equal(orgs_membership(f->o, f->org, f->bob.id, f->now, &m), ORGS_E_NOTFOUND);
	assert_int_equal(orgs_is_admin_somewhere(f->o, f->alice.id), 1);
	assert_int_equal(orgs_is_admin_somewhere(f->o, f->bob.id), 0);
	j = orgs_list_json(f->o, f->alice.id, f->now);
	assert_non_null(j);
	assert_int_equal(json_array_size(json_object_get(j, "orgs")), 1);
	json_decref(j);
	/* Only the owner's own sealed root comes back. */
	j = orgs_keys_json(f->o, f->org, f->alice.id, 1);
	assert_true(json_is_string(json_object_get(j, "sealed_root")));
	assert_int_equal(json_array_size(json_object_get(j, "admin_certs")), 1);
	json_decref(j);
	j = orgs_keys_json(f->o, f->org, f->bob.id, 1);
	assert_true(json_is_null(json_object_get(j, "sealed_root")));
	json_decref(j);
}

static void
test_statements_verified(void **state)
{
	struct fx *f = *state;
	struct stmt_signer stranger, other_root;
	struct buf b, other;
	struct orgs_member m;
	const uint8_t *pp[2];
	size_t nn[2], bad;
	int serr;

	buf_init(&b, 8192);
	buf_init(&other, 8192);
	/* Signed by a key the root never certified. */
	assert_int_equal(orgkeys_org_create("Stranger", f->now, &stranger, &other), 0);
	memcpy(stranger.org_id, f->root.org_id, STMT_ORG_ID_LEN);
	{
		struct stmt_signer keep = f->root;

		f->root = stranger;
		member_stmt(f, STMT_MEMBER_ADD, &f->bob, STMT_ROLE_VIEWER, NULL, 0, 1, &b);
		f->root = keep;
	}
	assert_int_equal(apply1(f, &b, &serr), ORGS_E_STMT);
	assert_int_equal(serr, STMT_E_ISSUER);
	/* Another org's validly signed statement. */
	buf_reset(&b);
	buf_reset(&other);
	assert_int_equal(orgkeys_org_create("Other", f->now, &other_root, &other), 0);
	{
		struct stmt_signer keep = f->root;

		f->root = other_root;
		member_stmt(f, STMT_MEMBER_ADD, &f->bob, STMT_ROLE_VIEWER, NULL, 0, 1, &b);
		f->root = keep;
	}
	assert_int_equal(apply1(f, &b, &serr), ORGS_E_STMT);
	assert_int_equal(serr, STMT_E_ORG);
	/* Keys that are not the account's. */
	buf_reset(&b);
	{
		struct user fake = f->bob;

		randombytes_buf(fake.k.box_pk, 32);
		member_stmt(f, STMT_MEMBER_ADD, &fake, STMT_ROLE_VIEWER, NULL, 0, 1, &b);
	}
	assert_int_equal(apply1(f, &b, &serr), ORGS_E_STMT);
	assert_int_equal(serr, STMT_E_TARGET);
	/* An admin without an admin.cert is refused. */
	buf_reset(&b);
	member_stmt(f, STMT_MEMBER_ADD, &f->bob, STMT_ROLE_ADMIN, NULL, 0, 1, &b);
	assert_int_equal(apply1(f, &b, &serr), ORGS_E_STMT);
	assert_int_equal(serr, STMT_E_UNCERTIFIED);
	/* All or nothing: a good member.add followed by a bad statement changes nothing. */
	buf_reset(&b);
	member_stmt(f, STMT_MEMBER_ADD, &f->bob, STMT_ROLE_VIEWER, NULL, 0, 1, &b);
	pp[0] = b.data;
	nn[0] = b.len;
	pp[1] = other.data;
	nn[1] = other.len;
	assert_int_equal(orgs_apply(f->o, f->org, pp, nn, 2, f->now, &serr, &bad), ORGS_E_STMT);
	assert_int_equal(bad, 1);
	assert_int_equal(orgs_membership(f->o, f->org, f->bob.id, f->now, &m), ORGS_E_NOTFOUND);
	/* Alone, it applies; replayed, it is refused. */
	assert_int_equal(apply1(f, &b, &serr), 0);
	assert_int_equal(orgs_membership(f->o, f->org, f->bob.id, f->now, &m), 0);
	assert_int_equal(m.role, STMT_ROLE_VIEWER);
	assert_int_equal(apply1(f, &b, &serr), ORGS_E_STMT);
	assert_int_equal(serr, STMT_E_REPLAY);
	statement_signer_wipe(&stranger);
	statement_signer_wipe(&other_root);
	buf_free(&b);
	buf_free(&other);
}

/* Enroll a gateway at site through the real request/accept flow; gw_pk receives its id. */
static void
enroll_gateway(struct fx *f, const char *site_hex, uint8_t gw_pk[32], char gw_hex[ORGS_ID_BUF])
{
	struct enroll_invite inv;
	struct enroll_code code;
	struct enroll_request r;
	uint8_t gw_sk[64], gw_box[32], req[ENROLL_REQUEST_LEN], site[16], bad[ENROLL_REQUEST_LEN];
	char id[ORGS_SID_BUF], org[ORGS_ID_BUF], subject[ORGS_ID_BUF];
	struct buf cert;
	json_t *j = NULL;
	uint8_t kind;
	int serr;

	buf_init(&cert, 4096);
	assert_int_equal(hex_decode(site_hex, site, 16), 0);
	assert_int_equal(enroll_invite_new(ENROLL_GATEWAY, f->root.pk, &inv), 0);
	hex_encode(inv.id, 16, id);
	assert_int_equal(orgs_invite_add(f->o, f->org, id, ENROLL_GATEWAY, inv.verifier, site_hex,
	    f->now + 3600000000LL, f->now), 0);
	assert_int_equal(enroll_code_parse(inv.code, inv.fingerprint, &code), 0);
	crypto_sign_keypair(gw_pk, gw_sk);
	assert_int_equal(crypto_sign_ed25519_pk_to_curve25519(gw_box, gw_pk), 0);
	assert_int_equal(enroll_request_build(&code, ENROLL_GATEWAY, gw_pk, gw_box, req), 0);
	/* A request with a wrong token: the one "invalid or used code" answer. */
	memcpy(bad, req, sizeof(bad));
	bad[2 + 16 + 64] ^= 1;
	assert_int_equal(orgs_enroll_request(f->o, bad, sizeof(bad), NULL, f->now, org), ORGS_E_DENIED);
	assert_int_equal(orgs_enroll_result(f->o, id, code.secret, &j), ORGS_E_DENIED);
	assert_int_equal(orgs_enroll_request(f->o, req, sizeof(req), NULL, f->now, org), 0);
	assert_string_equal(org, f->org);
	assert_int_equal(orgs_enroll_request(f->o, req, sizeof(req), NULL, f->now, org), ORGS_E_EXISTS);
	assert_int_equal(enroll_accept_gateway(&inv, req, sizeof(req), &f->root, site, 1, f->now, &r,
	    &cert), 0);
	assert_int_equal(orgs_invite_accept(f->o, f->org, id, cert.data, cert.len, f->now, &serr,
	    &kind, subject), 0);
	assert_int_equal(kind, ENROLL_GATEWAY);
	hex_encode(gw_pk, 32, gw_hex);
	assert_string_equal(subject, gw_hex);
	/* Accepting twice is refused: the invitation is used. */
	assert_int_equal(orgs_invite_accept(f->o, f->org, id, cert.data, cert.len, f->now, &serr,
	    &kind, subject), ORGS_E_INVAL);
	assert_int_equal(orgs_gateway_org(f->o, gw_hex, f->now, org), 0);
	assert_string_equal(org, f->org);
	enroll_invite_wipe(&inv);
	enroll_code_wipe(&code);
	sodium_memzero(gw_sk, sizeof(gw_sk));
	buf_free(&cert);
}

static void
test_enroll_cameras_scope(void **state)
{
	struct fx *f = *state;
	static const char site1[] = "11111111111111111111111111111111";
	static const char site2[] = "22222222222222222222222222222222";
	static const char cam1[] = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
	static const char cam2[] = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
	uint8_t gw_pk[32], scope[16];
	char gw[ORGS_ID_BUF], org[ORGS_ID_BUF], owner[ORGS_ID_BUF];
	struct orgs_member m;
	struct buf b;
	json_t *j;
	int serr;

	buf_init(&b, 8192);
	assert_int_equal(orgs_site_add(f->o, f->org, site1, "Plant"), 0);
	assert_int_equal(orgs_site_add(f->o, f->org, site2, "Depot"), 0);
	assert_int_equal(orgs_site_add(f->o, f->org, site1, "Again"), ORGS_E_EXISTS);
	enroll_gateway(f, site1, gw_pk, gw);
	/* A camera on a gateway that is not the org's is refused. */
	assert_int_equal(orgs_camera_add(f->o, f->org, cam1, "Gate", site1,
	    "0000000000000000000000000000000000000000000000000000000000000000"), ORGS_E_NOTFOUND);
	assert_int_equal(orgs_camera_add(f->o, f->org, cam1, "Gate", site1, gw), 0);
	assert_int_equal(orgs_camera_add(f->o, f->org, cam2, "Dock", site2, gw), 0);
	assert_int_equal(orgs_camera_gateway(f->o, cam1, owner), 0);
	assert_string_equal(owner, gw);
	/* Bob views only site 2 (scope by site id); carol is nobody here. */
	assert_int_equal(hex_decode(site2, scope, 16), 0);
	member_stmt(f, STMT_MEMBER_ADD, &f->bob, STMT_ROLE_VIEWER, scope, 1, 1, &b);
	assert_int_equal(apply1(f, &b, &serr), 0);
	assert_int_equal(orgs_camera_view(f->o, cam2, f->bob.id, f->now, org), 0);
	assert_string_equal(org, f->org);
	assert_int_equal(orgs_camera_view(f->o, cam1, f->bob.id, f->now, org), ORGS_E_NOTFOUND);
	assert_int_equal(orgs_camera_view(f->o, cam1, f->carol.id, f->now, org), ORGS_E_NOTFOUND);
	assert_int_equal(orgs_camera_view(f->o, cam1, f->alice.id, f->now, org), 0);
	assert_int_equal(orgs_membership(f->o, f->org, f->bob.id, f->now, &m), 0);
	j = orgs_cameras_json(f->o, f->org, &m);
	assert_int_equal(json_array_size(json_object_get(j, "cameras")), 1);
	json_decref(j);
	/* Removal ends the view at once; the old member.add cannot bring it back. */
	buf_reset(&b);
	member_stmt(f, STMT_MEMBER_REMOVE, &f->bob, STMT_ROLE_NONE, NULL, 0, 2, &b);
	assert_int_equal(apply1(f, &b, &serr), 0);
	assert_int_equal(orgs_camera_view(f->o, cam2, f->bob.id, f->now, org), ORGS_E_NOTFOUND);
	buf_reset(&b);
	member_stmt(f, STMT_MEMBER_ADD, &f->bob, STMT_ROLE_VIEWER, scope, 1, 1, &b);
	assert_int_equal(apply1(f, &b, &serr), ORGS_E_STMT);
	assert_int_equal(serr, STMT_E_REPLAY);
	buf_free(&b);
}

static void
test_gwconfig_and_support(void **state)
{
	struct fx *f = *state;
	static const char site1[] = "33333333333333333333333333333333";
	uint8_t gw_pk[32], copy[40], other[32];
	char gw[ORGS_ID_BUF];
	struct orgs_member m;
	struct buf b;
	uint64_t seq;
	json_t *j;
	int serr;

	buf_init(&b, 65536);
	randombytes_buf(copy, sizeof(copy));
	assert_int_equal(orgs_site_add(f->o, f->org, site1, "Yard"), 0);
	enroll_gateway(f, site1, gw_pk, gw);
	assert_int_equal(orgkeys_gateway_sealed(&f->root, STMT_GATEWAY_CONFIG, gw_pk, 5, f->now, 0,
	    "{\"cameras\":[]}", 14, &b), 0);
	assert_int_equal(orgs_gwconfig_put(f->o, f->org, gw, b.data, b.len, copy, sizeof(copy),
	    f->now, &serr, &seq), 0);
	assert_int_equal(seq, 5);
	assert_int_equal(orgs_gwconfig_put(f->o, f->org, gw, b.data, b.len, copy, sizeof(copy),
	    f->now, &serr, &seq), ORGS_E_STALE);
	assert_int_equal(seq, 5);
	/* A config addressed to another gateway is refused. */
	buf_reset(&b);
	{
		uint8_t osk[64];

		crypto_sign_keypair(other, osk);
		sodium_memzero(osk, sizeof(osk));
	}
	assert_int_equal(orgkeys_gateway_sealed(&f->root, STMT_GATEWAY_CONFIG, other, 6, f->now, 0,
	    "{\"cameras\":[]}", 14, &b), 0);
	assert_int_equal(orgs_gwconfig_put(f->o, f->org, gw, b.data, b.len, copy, sizeof(copy),
	    f->now, &serr, &seq), ORGS_E_STMT);
	assert_int_equal(serr, STMT_E_TARGET);
	j = orgs_gateway_feed_json(f->o, gw, 0);
	assert_true(json_is_string(json_object_get(j, "config")));
	assert_true(json_is_string(json_object_get(j, "org_root")));
	json_decref(j);
	/* Support: valid until its expiry, checked at each call; revocable; never for members. */
	assert_int_equal(orgs_support_grant(f->o, f->org, f->carol.id, f->now + 1000000, f->alice.id), 0);
	assert_int_equal(orgs_membership(f->o, f->org, f->carol.id, f->now, &m), 0);
	assert_int_equal(m.role, STMT_ROLE_SUPPORT);
	assert_int_equal(orgs_membership(f->o, f->org, f->carol.id, f->now + 1000001, &m),
	    ORGS_E_NOTFOUND);
	assert_int_equal(orgs_support_revoke(f->o, f->org, f->carol.id), 0);
	assert_int_equal(orgs_membership(f->o, f->org, f->carol.id, f->now, &m), ORGS_E_NOTFOUND);
	assert_int_equal(orgs_support_revoke(f->o, f->org, f->carol.id), ORGS_E_NOTFOUND);
	assert_int_equal(orgs_support_grant(f->o, f->org, f->alice.id, f->now + 1000000, f->alice.id),
	    ORGS_E_EXISTS);
	buf_free(&b);
}

/* Every org and camera route is reached only through the guard that checks the path. */
static void
test_routes_guarded(void **state)
{
	const struct route *t;
	struct route_match m;
	char path[ROUTE_PATH_MAX];
	size_t n, i, k;
	int norg = 0;

	(void)state;
	t = routes_table(&n);
	for (i = 0; i < n; i++) {
		assert_true(t[i].policy >= POLICY_PUBLIC && t[i].policy <= POLICY_METRICS);
		if (t[i].policy == POLICY_ORG) {
			norg++;
			assert_int_equal(strncmp(t[i].pattern, "/api/v1/orgs/{org}", 18), 0);
			assert_true((t[i].roles & ORG_ROLE_ANY) != 0);
		}
		if (t[i].policy != POLICY_ORG && t[i].policy != POLICY_CAMERA_VIEW)
			continue;
		/* Build a concrete path from the pattern. */
		for (k = 0; t[i].pattern[k] != '\0' && k < sizeof(path) - 1; k++)
			path[k] = t[i].pattern[k];
		path[k] = '\0';
		{
			char out[ROUTE_PATH_MAX];
			size_t o = 0;
			const char *p = path;

			while (*p != '\0' && o < sizeof(out) - 2) {
				if (*p == '{') {
					while (*p != '\0' && *p != '}')
						p++;
					if (*p == '}')
						p++;
					out[o++] = 'a';
				} else
					out[o++] = *p++;
			}
			out[o] = '\0';
			assert_int_equal(route_match(t[i].method, out, &m), 0);
		}
		/* The HTTP layer authorizes with the match (authorize_route), path included. */
		assert_ptr_equal(m.route, &t[i]);
	}
	assert_true(norg >= 15);
	/* The footage routes are camera-view routes. */
	assert_int_equal(route_match("GET", "/api/v1/cameras/ab/streams/0/live", &m), 0);
	assert_int_equal(m.route->policy, POLICY_CAMERA_VIEW);
	assert_int_equal(route_match("GET", "/api/v1/cameras/ab/streams/0/segments/3", &m), 0);
	assert_int_equal(m.route->policy, POLICY_CAMERA_VIEW);
	/* Without a path, an org policy only authenticates, and without a session it denies. */
	{
		struct principal who;

		assert_int_equal(authorize(NULL, POLICY_ORG, NULL, 0, &who), -401);
		assert_int_equal(authorize(NULL, POLICY_CAMERA_VIEW, NULL, 0, &who), -401);
		assert_int_equal(authorize(NULL, POLICY_NONE, NULL, 0, &who), -403);
	}
}

/* An org's storage quota: one set below what the org holds waits its grace period while
 * the quota it replaces stays in force; removing applies at once; the operator's list has
 * counts and the quota, never a name. */
static void
test_quota_grace(void **state)
{
	struct fx *f = *state;
	struct orgs_quota old, *q = NULL;
	size_t n = 9;
	json_t *j;
	char *text;

	assert_int_equal(orgs_quota_set(f->o, f->org, 1000, 100, 100, &old), 0);
	assert_int_equal(old.bytes, 0);
	assert_int_equal(orgs_quota_list(f->o, 150, &q, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(q[0].bytes, 1000);
	free(q);
	/* Lowered at 200, effective at 300: 1000 until then, 10 from then on. */
	assert_int_equal(orgs_quota_set(f->o, f->org, 10, 200, 300, &old), 0);
	assert_int_equal(old.bytes, 1000);
	assert_int_equal(orgs_quota_list(f->o, 299, &q, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(q[0].bytes, 1000);
	free(q);
	assert_int_equal(orgs_quota_list(f->o, 300, &q, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(q[0].bytes, 10);
	free(q);
	/* Replaced again while pending (at 250, effective 400): 1000 is still what is in force. */
	assert_int_equal(orgs_quota_set(f->o, f->org, 5, 250, 400, &old), 0);
	assert_int_equal(orgs_quota_list(f->o, 399, &q, &n), 0);
	assert_int_equal(q[0].bytes, 1000);
	free(q);
	/* A first quota that must wait: nothing in force before it. */
	assert_int_equal(orgs_quota_set(f->o, f->org, 0, 500, 500, &old), 0);
	assert_int_equal(orgs_quota_set(f->o, f->org, 7, 600, 700, &old), 0);
	assert_int_equal(orgs_quota_list(f->o, 650, &q, &n), 0);
	assert_int_equal(n, 0);
	free(q);
	assert_int_equal(orgs_quota_list(f->o, 700, &q, &n), 0);
	assert_int_equal(n, 1);
	free(q);
	assert_int_equal(orgs_quota_set(f->o, "00", 7, 600, 600, &old), ORGS_E_NOTFOUND);
	j = orgs_operator_json(f->o);
	assert_non_null(j);
	text = json_dumps(j, 0);
	assert_non_null(strstr(text, "\"quota_bytes\": 7"));
	assert_null(strstr(text, "Acme"));
	free(text);
	json_decref(j);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_and_membership, setup, teardown),
		cmocka_unit_test_setup_teardown(test_statements_verified, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enroll_cameras_scope, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gwconfig_and_support, setup, teardown),
		cmocka_unit_test_setup_teardown(test_quota_grace, setup, teardown),
		cmocka_unit_test(test_routes_guarded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
