/* orgtool.c - an org admin's and newcomer's client for integration tests: makes real signed statements, invitations, enrollment requests and certificates from an org root kept in a directory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <jansson.h>
#include "common/buf.h"
#include "common/enroll.h"
#include "common/orgkeys.h"
#include "common/statement.h"
#include "common/util.h"

#define PATH_MAX_LEN 512
#define FILE_MAX (256u * 1024u)

static int
usage(void)
{
	fprintf(stderr,
	    "usage: orgtool create DIR NAME USER SIGN_PK BOX_PK      -> POST /orgs body\n"
	    "       orgtool admin-cert DIR USER SIGN_PK BOX_PK SEQ   -> hex\n"
	    "       orgtool member DIR add|role|remove USER SIGN_PK BOX_PK ROLE SEQ [SCOPE...] -> hex\n"
	    "       orgtool forged-member DIR USER SIGN_PK BOX_PK    -> member.add by an uncertified key\n"
	    "       orgtool invite DIR gateway|user                  -> ID VERIFIER CODE FINGERPRINT\n"
	    "       orgtool request gateway|user CODE FPR SIGN_PK [BOX_PK] -> REQUEST TOKEN\n"
	    "       orgtool accept DIR ID REQUEST SEQ gateway SITE | user USER ROLE -> cert hex\n"
	    "       orgtool finish gateway|user CODE FPR SIGN_PK BOX_PK|- RESULT.json -> root pk\n"
	    "       orgtool epoch DIR CAM EPOCH SEQ                  -> camera.epoch hex\n"
	    "       orgtool grant DIR CAM EPOCH USER BOX_PK SEQ      -> grant hex\n"
	    "       orgtool gwconfig DIR GW_PK SEQ                   -> PUT config body\n");
	return 2;
}

static void
print_hex(const uint8_t *p, size_t n)
{
	char *h = malloc(2 * n + 1);

	if (h == NULL)
		exit(1);
	hex_encode(p, n, h);
	printf("%s", h);
	free(h);
}

static int
hexarg(const char *s, uint8_t *out, size_t n)
{
	if (s == NULL || strlen(s) != 2 * n || hex_decode(s, out, n) != 0) {
		fprintf(stderr, "orgtool: bad hex argument\n");
		return -1;
	}
	return 0;
}

static int
path_of(char *out, const char *dir, const char *name)
{
	return snprintf(out, PATH_MAX_LEN, "%s/%s", dir, name) >= PATH_MAX_LEN ? -1 : 0;
}

/* The root signer kept in DIR/root.sk (64 raw bytes). */
static int
root_load(const char *dir, struct stmt_signer *s)
{
	uint8_t org[STMT_ORG_ID_LEN];
	char p[PATH_MAX_LEN];
	struct buf b;
	int r = -1;

	buf_init(&b, STMT_SK_LEN);
	if (path_of(p, dir, "root.sk") == 0 && file_read(p, &b, STMT_SK_LEN) == 0 &&
	    b.len == STMT_SK_LEN) {
		statement_org_id(b.data + 32, org);
		orgkeys_signer_init(s, b.data, org);
		r = 0;
	}
	buf_free(&b);
	if (r != 0)
		fprintf(stderr, "orgtool: no root key in %s\n", dir);
	return r;
}

static int
role_of(const char *s)
{
	static const char *const names[] = { "none", "owner", "admin", "viewer", "auditor", "support" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i]) == 0)
			return (int)i;
	return -1;
}

static int
member_sign(const struct stmt_signer *sg, uint8_t type, const char *user, const char *spk,
    const char *bpk, int role, uint64_t seq, char **scope, int nscope, struct buf *out)
{
	struct stmt_member m;
	uint8_t target[STMT_TARGET_LEN];
	struct buf body;
	int i, r = -1;

	memset(&m, 0, sizeof(m));
	buf_init(&body, 8192);
	if (role < 0 || nscope > STMT_SCOPE_MAX || hexarg(user, m.user_id, 16) != 0 ||
	    hexarg(spk, m.sign_pk, 32) != 0 || hexarg(bpk, m.box_pk, 32) != 0)
		goto out;
	m.role = (uint8_t)role;
	m.nscope = (uint16_t)nscope;
	for (i = 0; i < nscope; i++)
		if (hexarg(scope[i], m.scope[i], 16) != 0)
			goto out;
	statement_target_id(m.user_id, target);
	if (statement_body_member(&body, &m) != 0 ||
	    statement_sign(sg, type, target, seq, now_us(), 0, body.data, body.len, out) != 0)
		goto out;
	r = 0;
out:
	buf_free(&body);
	return r;
}

static int
cmd_create(int argc, char **argv)
{
	struct stmt_signer root;
	struct stmt_admin_cert c;
	struct buf rs, cs, ms;
	uint8_t sealed[crypto_box_SEALBYTES + STMT_SK_LEN];
	char p[PATH_MAX_LEN];
	int r = 1;

	(void)argc;
	buf_init(&rs, 4096);
	buf_init(&cs, 4096);
	buf_init(&ms, 8192);
	memset(&c, 0, sizeof(c));
	if (orgkeys_org_create(argv[3], now_us(), &root, &rs) != 0 ||
	    hexarg(argv[4], c.user_id, 16) != 0 || hexarg(argv[5], c.sign_pk, 32) != 0 ||
	    hexarg(argv[6], c.box_pk, 32) != 0)
		goto out;
	c.active = 1;
	if (orgkeys_admin_certify(&root, &c, 1, now_us(), &cs) != 0 ||
	    member_sign(&root, STMT_MEMBER_ADD, argv[4], argv[5], argv[6], STMT_ROLE_OWNER, 1, NULL,
	    0, &ms) != 0 || crypto_box_seal(sealed, root.sk, STMT_SK_LEN, c.box_pk) != 0 ||
	    path_of(p, argv[2], "root.sk") != 0 || file_write_atomic(p, root.sk, STMT_SK_LEN, 0600) != 0)
		goto out;
	printf("{\"org_root\":\"");
	print_hex(rs.data, rs.len);
	printf("\",\"admin_cert\":\"");
	print_hex(cs.data, cs.len);
	printf("\",\"member\":\"");
	print_hex(ms.data, ms.len);
	printf("\",\"sealed_root\":\"");
	print_hex(sealed, sizeof(sealed));
	printf("\"}\n");
	r = 0;
out:
	statement_signer_wipe(&root);
	buf_free(&rs);
	buf_free(&cs);
	buf_free(&ms);
	return r;
}

/* An invitation kept as DIR/inv_ID: "kind code fingerprint". */
static int
cmd_invite(char **argv)
{
	struct stmt_signer root;
	struct enroll_invite inv;
	char p[PATH_MAX_LEN], id[33], line[256];
	uint8_t kind = strcmp(argv[3], "user") == 0 ? ENROLL_USER : ENROLL_GATEWAY;
	int r = 1, n;

	if (root_load(argv[2], &root) != 0 || enroll_invite_new(kind, root.pk, &inv) != 0)
		goto out;
	hex_encode(inv.id, sizeof(inv.id), id);
	n = snprintf(line, sizeof(line), "%u %s %s", (unsigned)kind, inv.code, inv.fingerprint);
	if (snprintf(p, sizeof(p), "%s/inv_%s", argv[2], id) >= (int)sizeof(p) || n < 0 ||
	    (size_t)n >= sizeof(line) || file_write_atomic(p, line, (size_t)n, 0600) != 0)
		goto out;
	printf("%s ", id);
	print_hex(inv.verifier, sizeof(inv.verifier));
	printf(" %s %s\n", inv.code, inv.fingerprint);
	r = 0;
out:
	enroll_invite_wipe(&inv);
	statement_signer_wipe(&root);
	return r;
}

static int
cmd_request(int argc, char **argv)
{
	struct enroll_code code;
	uint8_t kind = strcmp(argv[2], "user") == 0 ? ENROLL_USER : ENROLL_GATEWAY;
	uint8_t spk[32], bpk[32], req[ENROLL_REQUEST_LEN];

	if (enroll_code_parse(argv[3], argv[4], &code) != 0 || hexarg(argv[5], spk, 32) != 0)
		return 1;
	if (kind == ENROLL_GATEWAY) {
		if (crypto_sign_ed25519_pk_to_curve25519(bpk, spk) != 0)
			return 1;
	} else if (argc < 7 || hexarg(argv[6], bpk, 32) != 0) {
		return 1;
	}
	if (enroll_request_build(&code, kind, spk, bpk, req) != 0)
		return 1;
	enroll_code_wipe(&code);
	print_hex(req, sizeof(req));
	printf(" ");
	/* The token sits after version, kind, id and the two keys. */
	print_hex(req + 2 + ENROLL_ID_LEN + 64, ENROLL_TOKEN_LEN);
	printf("\n");
	return 0;
}

static int
cmd_accept(int argc, char **argv)
{
	struct stmt_signer root;
	struct enroll_invite inv;
	struct enroll_code code;
	struct enroll_request er;
	char p[PATH_MAX_LEN], kindbuf[8], codebuf[ENROLL_CODE_LEN], fpr[STMT_FINGERPRINT_LEN];
	uint8_t req[ENROLL_REQUEST_LEN], site[16], uid[16];
	struct buf b, cert;
	int64_t seq;
	int r = 1, role;
	char *sp1, *sp2;

	buf_init(&b, 256);
	buf_init(&cert, 8192);
	memset(&inv, 0, sizeof(inv));
	if (argc < 8 || root_load(argv[2], &root) != 0)
		goto out;
	if (snprintf(p, sizeof(p), "%s/inv_%s", argv[2], argv[3]) >= (int)sizeof(p) ||
	    file_read(p, &b, 255) != 0 || buf_put_u8(&b, 0) != 0)
		goto out;
	sp1 = strchr((char *)b.data, ' ');
	sp2 = sp1 != NULL ? strchr(sp1 + 1, ' ') : NULL;
	if (sp2 == NULL || (size_t)(sp1 - (char *)b.data) >= sizeof(kindbuf) ||
	    (size_t)(sp2 - sp1 - 1) >= sizeof(codebuf) || strlen(sp2 + 1) >= sizeof(fpr))
		goto out;
	memcpy(kindbuf, b.data, (size_t)(sp1 - (char *)b.data));
	kindbuf[sp1 - (char *)b.data] = '\0';
	memcpy(codebuf, sp1 + 1, (size_t)(sp2 - sp1 - 1));
	codebuf[sp2 - sp1 - 1] = '\0';
	memcpy(fpr, sp2 + 1, strlen(sp2 + 1) + 1);
	if (enroll_code_parse(codebuf, fpr, &code) != 0)
		goto out;
	inv.kind = kindbuf[0] == '2' ? ENROLL_USER : ENROLL_GATEWAY;
	memcpy(inv.id, code.id, sizeof(inv.id));
	memcpy(inv.secret, code.secret, sizeof(inv.secret));
	memcpy(inv.fingerprint, code.fingerprint, sizeof(inv.fingerprint));
	memcpy(inv.code, codebuf, sizeof(inv.code));
	enroll_code_wipe(&code);
	if (hexarg(argv[4], req, sizeof(req)) != 0 || parse_i64(argv[5], 1, INT64_MAX, &seq) != 0)
		goto out;
	if (strcmp(argv[6], "gateway") == 0) {
		if (hexarg(argv[7], site, 16) != 0 || enroll_accept_gateway(&inv, req, sizeof(req), &root,
		    site, (uint64_t)seq, now_us(), &er, &cert) != 0)
			goto out;
	} else {
		if (argc < 9 || hexarg(argv[7], uid, 16) != 0 || (role = role_of(argv[8])) < 1 ||
		    enroll_accept_user(&inv, req, sizeof(req), &root, uid, (uint8_t)role,
		    (uint64_t)seq, now_us(), &er, &cert) != 0)
			goto out;
	}
	print_hex(cert.data, cert.len);
	printf("\n");
	r = 0;
out:
	enroll_invite_wipe(&inv);
	statement_signer_wipe(&root);
	buf_free(&b);
	buf_free(&cert);
	return r;
}

/* Decode the hex string field key of j into b (reset first); a JSON null leaves b empty. */
static int
json_hexbuf(json_t *j, const char *key, struct buf *b)
{
	json_t *v = json_object_get(j, key);
	size_t n;

	buf_reset(b);
	if (json_is_null(v))
		return 0;
	if (!json_is_string(v) || (n = json_string_length(v)) % 2 != 0 || n / 2 > FILE_MAX)
		return -1;
	if (buf_reserve(b, n / 2) != 0 || hex_decode(json_string_value(v), b->data, n / 2) != 0)
		return -1;
	b->len = n / 2;
	return 0;
}

static int
cmd_finish(char **argv)
{
	struct enroll_code code;
	uint8_t kind = strcmp(argv[2], "user") == 0 ? ENROLL_USER : ENROLL_GATEWAY;
	uint8_t spk[32], bpk[32], root_pk[32];
	struct buf rt, ac, ce;
	json_t *j = NULL;
	int r = 1, e;

	buf_init(&rt, FILE_MAX);
	buf_init(&ac, FILE_MAX);
	buf_init(&ce, FILE_MAX);
	if (enroll_code_parse(argv[3], argv[4], &code) != 0 || hexarg(argv[5], spk, 32) != 0)
		goto out;
	if (strcmp(argv[6], "-") == 0) {
		if (crypto_sign_ed25519_pk_to_curve25519(bpk, spk) != 0)
			goto out;
	} else if (hexarg(argv[6], bpk, 32) != 0) {
		goto out;
	}
	if ((j = json_load_file(argv[7], 0, NULL)) == NULL || json_hexbuf(j, "org_root", &rt) != 0 ||
	    json_hexbuf(j, "admin_cert", &ac) != 0 || json_hexbuf(j, "cert", &ce) != 0)
		goto out;
	e = enroll_finish(&code, rt.data, rt.len, ac.len > 0 ? ac.data : NULL, ac.len, ce.data, ce.len,
	    kind, spk, bpk, now_us(), root_pk);
	if (e != 0) {
		fprintf(stderr, "orgtool: finish: %s\n", statement_strerror(e));
		goto out;
	}
	print_hex(root_pk, sizeof(root_pk));
	printf("\n");
	r = 0;
out:
	enroll_code_wipe(&code);
	json_decref(j);
	buf_free(&rt);
	buf_free(&ac);
	buf_free(&ce);
	return r;
}

static int
cmd_epoch_grant(int argc, char **argv, int grant)
{
	struct stmt_signer root;
	struct stmt_camera_epoch e;
	struct orgkeys_grantee to;
	uint8_t sk[ORGKEYS_EPOCH_SK_LEN];
	char p[PATH_MAX_LEN];
	struct buf out, skb;
	int64_t ep, seq;
	int r = 1;

	buf_init(&out, 8192);
	buf_init(&skb, 64);
	memset(&e, 0, sizeof(e));
	memset(&to, 0, sizeof(to));
	if (root_load(argv[2], &root) != 0 || hexarg(argv[3], e.camera_id, 16) != 0 ||
	    parse_i64(argv[4], 1, UINT32_MAX, &ep) != 0 ||
	    snprintf(p, sizeof(p), "%s/epoch_%s_%s", argv[2], argv[3], argv[4]) >= (int)sizeof(p))
		goto out;
	e.epoch = (uint32_t)ep;
	if (!grant) {
		if (parse_i64(argv[5], 1, INT64_MAX, &seq) != 0 ||
		    orgkeys_epoch_create(&root, e.camera_id, e.epoch, (uint64_t)seq, now_us(), e.epoch_pk,
		    sk, &out) != 0 || buf_put(&skb, sk, sizeof(sk)) != 0 ||
		    buf_put(&skb, e.epoch_pk, sizeof(e.epoch_pk)) != 0 ||
		    file_write_atomic(p, skb.data, skb.len, 0600) != 0)
			goto out;
	} else {
		if (argc < 8 || file_read(p, &skb, 64) != 0 || skb.len != 64 ||
		    hexarg(argv[5], to.user_id, 16) != 0 || hexarg(argv[6], to.box_pk, 32) != 0 ||
		    parse_i64(argv[7], 1, INT64_MAX, &seq) != 0)
			goto out;
		memcpy(sk, skb.data, sizeof(sk));
		memcpy(e.epoch_pk, skb.data + 32, sizeof(e.epoch_pk));
		to.seq = (uint64_t)seq;
		if (orgkeys_grant(&root, &e, sk, &to, now_us(), &out) != 0)
			goto out;
	}
	print_hex(out.data, out.len);
	printf("\n");
	r = 0;
out:
	sodium_memzero(sk, sizeof(sk));
	statement_signer_wipe(&root);
	buf_free(&out);
	buf_free(&skb);
	return r;
}

static int
cmd_gwconfig(char **argv)
{
	static const char cfg[] = "{\"cameras\":[]}";
	struct stmt_signer root;
	uint8_t gw[32], xpk[32], copy[crypto_box_SEALBYTES + sizeof(cfg) - 1];
	struct buf out;
	int64_t seq;
	int r = 1;

	buf_init(&out, 65536);
	if (root_load(argv[2], &root) != 0 || hexarg(argv[3], gw, 32) != 0 ||
	    parse_i64(argv[4], 1, INT64_MAX, &seq) != 0 ||
	    orgkeys_gateway_sealed(&root, STMT_GATEWAY_CONFIG, gw, (uint64_t)seq, now_us(), 0, cfg,
	    sizeof(cfg) - 1, &out) != 0 || crypto_sign_ed25519_pk_to_curve25519(xpk, root.pk) != 0 ||
	    crypto_box_seal(copy, (const uint8_t *)cfg, sizeof(cfg) - 1, xpk) != 0)
		goto out;
	printf("{\"statement\":\"");
	print_hex(out.data, out.len);
	printf("\",\"admin_copy\":\"");
	print_hex(copy, sizeof(copy));
	printf("\"}\n");
	r = 0;
out:
	statement_signer_wipe(&root);
	buf_free(&out);
	return r;
}

int
main(int argc, char **argv)
{
	struct stmt_signer sg, fake;
	struct buf out;
	int64_t seq;
	int r = 1, role;

	if (sodium_init() < 0 || argc < 3)
		return usage();
	buf_init(&out, 65536);
	if (strcmp(argv[1], "create") == 0 && argc == 7)
		r = cmd_create(argc, argv);
	else if (strcmp(argv[1], "invite") == 0 && argc == 4)
		r = cmd_invite(argv);
	else if (strcmp(argv[1], "request") == 0 && argc >= 6)
		r = cmd_request(argc, argv);
	else if (strcmp(argv[1], "accept") == 0 && argc >= 8)
		r = cmd_accept(argc, argv);
	else if (strcmp(argv[1], "finish") == 0 && argc == 8)
		r = cmd_finish(argv);
	else if (strcmp(argv[1], "epoch") == 0 && argc == 6)
		r = cmd_epoch_grant(argc, argv, 0);
	else if (strcmp(argv[1], "grant") == 0 && argc == 8)
		r = cmd_epoch_grant(argc, argv, 1);
	else if (strcmp(argv[1], "gwconfig") == 0 && argc == 5)
		r = cmd_gwconfig(argv);
	else if (strcmp(argv[1], "admin-cert") == 0 && argc == 7) {
		struct stmt_admin_cert c;

		memset(&c, 0, sizeof(c));
		c.active = 1;
		if (root_load(argv[2], &sg) == 0 && hexarg(argv[3], c.user_id, 16) == 0 &&
		    hexarg(argv[4], c.sign_pk, 32) == 0 && hexarg(argv[5], c.box_pk, 32) == 0 &&
		    parse_i64(argv[6], 1, INT64_MAX, &seq) == 0 &&
		    orgkeys_admin_certify(&sg, &c, (uint64_t)seq, now_us(), &out) == 0) {
			print_hex(out.data, out.len);
			printf("\n");
			r = 0;
		}
		statement_signer_wipe(&sg);
	} else if (strcmp(argv[1], "member") == 0 && argc >= 9) {
		uint8_t type = strcmp(argv[3], "remove") == 0 ? STMT_MEMBER_REMOVE :
		    strcmp(argv[3], "role") == 0 ? STMT_MEMBER_ROLE : STMT_MEMBER_ADD;

		if (root_load(argv[2], &sg) == 0 && (role = role_of(argv[7])) >= 0 &&
		    parse_i64(argv[8], 1, INT64_MAX, &seq) == 0 &&
		    member_sign(&sg, type, argv[4], argv[5], argv[6], role, (uint64_t)seq, argv + 9,
		    argc - 9, &out) == 0) {
			print_hex(out.data, out.len);
			printf("\n");
			r = 0;
		}
		statement_signer_wipe(&sg);
	} else if (strcmp(argv[1], "forged-member") == 0 && argc == 7) {
		/* A key the root never certified, claiming this org: the server must refuse. */
		struct buf tmp;

		buf_init(&tmp, 4096);
		if (root_load(argv[2], &sg) == 0 && orgkeys_org_create("Forger", now_us(), &fake,
		    &tmp) == 0) {
			memcpy(fake.org_id, sg.org_id, sizeof(fake.org_id));
			if (member_sign(&fake, STMT_MEMBER_ADD, argv[3], argv[4], argv[5],
			    STMT_ROLE_ADMIN, 9, NULL, 0, &out) == 0) {
				print_hex(out.data, out.len);
				printf("\n");
				r = 0;
			}
			statement_signer_wipe(&fake);
		}
		statement_signer_wipe(&sg);
		buf_free(&tmp);
	} else
		r = usage();
	buf_free(&out);
	return r;
}
