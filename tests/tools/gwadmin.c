/* gwadmin.c - a minimal org admin for tests: makes the org root, invitations, gateway certs, camera epochs and sealed gateway configurations as JSON bodies for curl, and reads epochs out of segment links. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sodium.h>

#include "common/buf.h"
#include "common/enroll.h"
#include "common/orgkeys.h"
#include "common/record.h"
#include "common/segment.h"
#include "common/statement.h"
#include "common/util.h"

/* Test tool: the org root's secret key sits in DIR/root.key in the clear. */

static void usage(void)
{
	fprintf(stderr,
	    "usage: gwadmin org-create DIR NAME USER_ID SIGN_PK BOX_PK   (prints POST /orgs body)\n"
	    "       gwadmin invite DIR SITE                 (prints POST invitations body; DIR/code, DIR/fingerprint)\n"
	    "       gwadmin accept DIR REQUEST_HEX SITE SEQ [SIGNER_DIR]  (prints accept body)\n"
	    "       gwadmin gwcert DIR GATEWAY_PK SITE SEQ  (a gateway.cert, hex, no invitation)\n"
	    "       gwadmin epoch DIR CAMERA EPOCH SEQ      (prints \"STMT_HEX EPOCH_PK_HEX\")\n"
	    "       gwadmin config DIR GATEWAY SEQ BODYFILE (prints PUT config body)\n"
	    "       gwadmin segepoch LINKFILE               (prints the epoch of a segment link)\n");
}

static int write_file(const char *dir, const char *name, const void *p, size_t n)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return file_write_atomic(path, p, n, 0600);
}

static int read_hex_file(const char *dir, const char *name, uint8_t *out, size_t n)
{
	char path[4096];
	struct buf b;
	int ret = -1;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	buf_init(&b, 2 * n + 2);
	if (file_read(path, &b, 2 * n + 2) == 0 && b.len >= 2 * n && buf_put_u8(&b, 0) == 0) {
		b.data[2 * n] = '\0';
		ret = hex_decode((const char *)b.data, out, n);
	}
	buf_free(&b);
	return ret;
}

static int load_signer(const char *dir, struct stmt_signer *s)
{
	uint8_t sk[STMT_SK_LEN], org[STMT_ORG_ID_LEN];

	if (read_hex_file(dir, "root.key", sk, sizeof(sk)) != 0) {
		fprintf(stderr, "gwadmin: cannot read %s/root.key\n", dir);
		return -1;
	}
	statement_org_id(sk + 32, org);
	orgkeys_signer_init(s, sk, org);
	sodium_memzero(sk, sizeof(sk));
	return 0;
}

static void print_hex(const uint8_t *p, size_t n)
{
	char *h = malloc(2 * n + 1);

	if (h == NULL)
		exit(1);
	hex_encode(p, n, h);
	fputs(h, stdout);
	free(h);
}

static int hexarg(const char *s, uint8_t *out, size_t n)
{
	if (hex_decode(s, out, n) != 0) {
		fprintf(stderr, "gwadmin: expected %zu hex bytes\n", n);
		return -1;
	}
	return 0;
}

static int cmd_org_create(char **av)
{
	struct stmt_signer root;
	struct stmt_admin_cert ac;
	struct stmt_member m;
	struct buf rs, acb, mb, body;
	uint8_t target[STMT_TARGET_LEN], sealed[crypto_box_SEALBYTES + STMT_SK_LEN];
	char hex[2 * STMT_SK_LEN + 1], fp[STMT_FINGERPRINT_LEN];
	int64_t now = now_us();

	memset(&ac, 0, sizeof(ac));
	memset(&m, 0, sizeof(m));
	if (hexarg(av[2], ac.user_id, STMT_ID_LEN) != 0 || hexarg(av[3], ac.sign_pk, 32) != 0 ||
	    hexarg(av[4], ac.box_pk, 32) != 0)
		return 1;
	buf_init(&rs, STMT_MAX_LEN);
	buf_init(&acb, STMT_MAX_LEN);
	buf_init(&mb, STMT_MAX_LEN);
	buf_init(&body, STMT_MAX_LEN);
	ac.active = 1;
	memcpy(m.user_id, ac.user_id, STMT_ID_LEN);
	memcpy(m.sign_pk, ac.sign_pk, 32);
	memcpy(m.box_pk, ac.box_pk, 32);
	m.role = STMT_ROLE_OWNER;
	statement_target_id(m.user_id, target);
	if (orgkeys_org_create(av[1], now, &root, &rs) != 0 ||
	    orgkeys_admin_certify(&root, &ac, 1, now, &acb) != 0 ||
	    statement_body_member(&body, &m) != 0 ||
	    statement_sign(&root, STMT_MEMBER_ADD, target, 1, now, 0, body.data, body.len, &mb) != 0 ||
	    crypto_box_seal(sealed, root.sk, STMT_SK_LEN, ac.box_pk) != 0) {
		fprintf(stderr, "gwadmin: cannot make the org statements\n");
		return 1;
	}
	hex_encode(root.sk, STMT_SK_LEN, hex);
	statement_fingerprint(root.pk, fp);
	if (write_file(av[0], "root.key", hex, strlen(hex)) != 0 ||
	    write_file(av[0], "fingerprint", fp, strlen(fp)) != 0 ||
	    write_file(av[0], "root.stmt", rs.data, rs.len) != 0)
		return 1;
	hex_encode(root.org_id, STMT_ORG_ID_LEN, hex);
	if (write_file(av[0], "org", hex, strlen(hex)) != 0)
		return 1;
	fputs("{\"org_root\":\"", stdout);
	print_hex(rs.data, rs.len);
	fputs("\",\"admin_cert\":\"", stdout);
	print_hex(acb.data, acb.len);
	fputs("\",\"member\":\"", stdout);
	print_hex(mb.data, mb.len);
	fputs("\",\"sealed_root\":\"", stdout);
	print_hex(sealed, sizeof(sealed));
	fputs("\"}\n", stdout);
	sodium_memzero(hex, sizeof(hex));
	statement_signer_wipe(&root);
	buf_free(&rs);
	buf_free(&acb);
	buf_free(&mb);
	buf_free(&body);
	return 0;
}

static int cmd_invite(char **av)
{
	struct stmt_signer root;
	struct enroll_invite inv;
	char id[2 * ENROLL_ID_LEN + 1], ver[2 * ENROLL_VERIFIER_LEN + 1];

	if (load_signer(av[0], &root) != 0 ||
	    enroll_invite_new(ENROLL_GATEWAY, root.pk, &inv) != 0)
		return 1;
	if (write_file(av[0], "invite.bin", &inv, sizeof(inv)) != 0 ||
	    write_file(av[0], "code", inv.code, strlen(inv.code)) != 0 ||
	    write_file(av[0], "fingerprint", inv.fingerprint, strlen(inv.fingerprint)) != 0)
		return 1;
	hex_encode(inv.id, ENROLL_ID_LEN, id);
	hex_encode(inv.verifier, ENROLL_VERIFIER_LEN, ver);
	printf("{\"id\":\"%s\",\"kind\":\"gateway\",\"verifier\":\"%s\",\"site\":\"%s\","
	    "\"expires_us\":%lld}\n", id, ver, av[1], (long long)(now_us() + 86400000000LL));
	enroll_invite_wipe(&inv);
	statement_signer_wipe(&root);
	return 0;
}

static int cmd_accept(char **av, int ac)
{
	struct stmt_signer signer;
	struct enroll_invite inv;
	struct enroll_request r;
	uint8_t req[ENROLL_REQUEST_LEN], site[STMT_ID_LEN];
	struct buf b, cert;
	char path[4096];
	int64_t seq;
	int ret = 1;

	buf_init(&b, sizeof(inv) + 1);
	buf_init(&cert, STMT_MAX_LEN);
	snprintf(path, sizeof(path), "%s/invite.bin", av[0]);
	if (file_read(path, &b, sizeof(inv) + 1) != 0 || b.len != sizeof(inv) ||
	    hexarg(av[1], req, sizeof(req)) != 0 || hexarg(av[2], site, sizeof(site)) != 0 ||
	    parse_i64(av[3], 1, INT64_MAX, &seq) != 0 ||
	    load_signer(ac > 4 ? av[4] : av[0], &signer) != 0)
		goto out;
	memcpy(&inv, b.data, sizeof(inv));
	if (enroll_accept_gateway(&inv, req, sizeof(req), &signer, site, (uint64_t)seq, now_us(), &r,
	    &cert) != 0) {
		fprintf(stderr, "gwadmin: the request does not verify against the invitation\n");
		goto out;
	}
	fputs("{\"cert\":\"", stdout);
	print_hex(cert.data, cert.len);
	fputs("\"}\n", stdout);
	ret = 0;
out:
	sodium_memzero(&inv, sizeof(inv));
	sodium_memzero(b.data, b.cap);
	buf_free(&b);
	buf_free(&cert);
	return ret;
}

static int cmd_gwcert(char **av)
{
	struct stmt_signer root;
	struct stmt_gateway_cert gc;
	uint8_t target[STMT_TARGET_LEN];
	struct buf body, out;
	int64_t seq;

	buf_init(&body, 256);
	buf_init(&out, STMT_MAX_LEN);
	if (load_signer(av[0], &root) != 0 || hexarg(av[1], gc.gateway_pk, 32) != 0 ||
	    hexarg(av[2], gc.site_id, STMT_ID_LEN) != 0 || parse_i64(av[3], 1, INT64_MAX, &seq) != 0)
		return 1;
	memcpy(target, gc.gateway_pk, 32);
	if (statement_body_gateway_cert(&body, &gc) != 0 ||
	    statement_sign(&root, STMT_GATEWAY_CERT, target, (uint64_t)seq, now_us(), 0, body.data,
	    body.len, &out) != 0)
		return 1;
	print_hex(out.data, out.len);
	fputs("\n", stdout);
	statement_signer_wipe(&root);
	buf_free(&body);
	buf_free(&out);
	return 0;
}

static int cmd_epoch(char **av)
{
	struct stmt_signer root;
	uint8_t cam[STMT_ID_LEN], pk[32], sk[32];
	struct buf out;
	int64_t epoch, seq;

	buf_init(&out, STMT_MAX_LEN);
	if (load_signer(av[0], &root) != 0 || hexarg(av[1], cam, sizeof(cam)) != 0 ||
	    parse_i64(av[2], 0, UINT32_MAX, &epoch) != 0 || parse_i64(av[3], 1, INT64_MAX, &seq) != 0 ||
	    orgkeys_epoch_create(&root, cam, (uint32_t)epoch, (uint64_t)seq, now_us(), pk, sk,
	    &out) != 0)
		return 1;
	print_hex(out.data, out.len);
	fputs(" ", stdout);
	print_hex(pk, sizeof(pk));
	fputs("\n", stdout);
	sodium_memzero(sk, sizeof(sk));
	statement_signer_wipe(&root);
	buf_free(&out);
	return 0;
}

static int cmd_config(char **av)
{
	struct stmt_signer root;
	uint8_t gw[32], xpk[32];
	struct buf plain, out;
	uint8_t *copy = NULL;
	int64_t seq;
	int ret = 1;

	buf_init(&plain, 256 * 1024);
	buf_init(&out, STMT_MAX_LEN);
	if (load_signer(av[0], &root) != 0 || hexarg(av[1], gw, sizeof(gw)) != 0 ||
	    parse_i64(av[2], 1, INT64_MAX, &seq) != 0 || file_read(av[3], &plain, 256 * 1024) != 0)
		goto out;
	if (orgkeys_gateway_sealed(&root, STMT_GATEWAY_CONFIG, gw, (uint64_t)seq, now_us(), 0,
	    plain.data, plain.len, &out) != 0 ||
	    crypto_sign_ed25519_pk_to_curve25519(xpk, root.pk) != 0 ||
	    (copy = malloc(plain.len + crypto_box_SEALBYTES)) == NULL ||
	    crypto_box_seal(copy, plain.data, plain.len, xpk) != 0)
		goto out;
	fputs("{\"statement\":\"", stdout);
	print_hex(out.data, out.len);
	fputs("\",\"admin_copy\":\"", stdout);
	print_hex(copy, plain.len + crypto_box_SEALBYTES);
	fputs("\"}\n", stdout);
	ret = 0;
out:
	free(copy);
	statement_signer_wipe(&root);
	buf_free(&plain);
	buf_free(&out);
	return ret;
}

static int cmd_segepoch(const char *path)
{
	struct record_parser *p = record_parser_new(RECORD_MAX_PAYLOAD);
	struct seg_header h;
	struct record rec;
	struct buf b;
	int ret = 1;

	buf_init(&b, 64u << 20);
	if (p == NULL || file_read(path, &b, 64u << 20) != 0 ||
	    record_parser_feed(p, b.data, b.len) != 0)
		goto out;
	if (record_parser_next(p, &rec) != RECP_RECORD)
		goto out;
	if (rec.type == REC_GAP) {
		printf("gap\n");
		ret = 0;
	} else if (rec.type == REC_SEG_HEADER && seg_header_decode(&h, rec.payload, rec.len) == 0) {
		printf("%u\n", h.epoch);
		ret = 0;
	}
out:
	record_parser_free(p);
	buf_free(&b);
	return ret;
}

int main(int argc, char **argv)
{
	if (sodium_init() < 0)
		return 1;
	if (argc == 7 && strcmp(argv[1], "org-create") == 0)
		return cmd_org_create(argv + 2);
	if (argc == 4 && strcmp(argv[1], "invite") == 0)
		return cmd_invite(argv + 2);
	if ((argc == 6 || argc == 7) && strcmp(argv[1], "accept") == 0)
		return cmd_accept(argv + 2, argc - 2);
	if (argc == 6 && strcmp(argv[1], "gwcert") == 0)
		return cmd_gwcert(argv + 2);
	if (argc == 6 && strcmp(argv[1], "epoch") == 0)
		return cmd_epoch(argv + 2);
	if (argc == 6 && strcmp(argv[1], "config") == 0)
		return cmd_config(argv + 2);
	if (argc == 3 && strcmp(argv[1], "segepoch") == 0)
		return cmd_segepoch(argv[2]);
	usage();
	return 2;
}
