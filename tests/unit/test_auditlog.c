/* test_auditlog.c - the audit line format: neutralizing, canonical entries, checkpoints, the verifier and `vigil audit verify`. */
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
#include "cli/cmd_audit.h"
#include "common/auditlog.h"
#include "common/util.h"

static uint8_t pk[32], sk[64];

static int
group_setup(void **state)
{
	if (sodium_init() < 0)
		return -1;
	crypto_sign_keypair(pk, sk);
	return 0;
}

static void
assert_string_prefix(const char *s, const char *prefix)
{
	if (strncmp(s, prefix, strlen(prefix)) != 0)
		fail_msg("'%s' does not start with '%s'", s, prefix);
}

static void
neutral(const char *in, size_t n, size_t cap, const char *want)
{
	char out[300], again[300];
	size_t len;

	len = auditlog_neutralize(in, n, cap, out);
	assert_true(len <= cap);
	assert_int_equal(len, strlen(out));
	assert_string_equal(out, want);
	/* Idempotent. */
	assert_int_equal(auditlog_neutralize(out, len, cap, again), len);
	assert_string_equal(again, out);
}

static void
test_neutralize(void **state)
{
	char big[400], want[300];

	neutral("alice", 5, 64, "alice");
	neutral("", 0, 64, "");
	/* Line breaks, escapes and other controls. */
	neutral("a\nb\rc\td\x1b[2J", 11, 64, "a\xef\xbf\xbd" "b\xef\xbf\xbd" "c\xef\xbf\xbd" "d\xef\xbf\xbd[2J");
	neutral("x\0y", 3, 64, "x\xef\xbf\xbdy");
	neutral("\x7f", 1, 64, "\xef\xbf\xbd");
	/* C1 controls, line/paragraph separators, bidi overrides. */
	neutral("\xc2\x85\xe2\x80\xa8\xe2\x80\xa9\xe2\x80\xae\xe2\x81\xa6", 14, 64,
	    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	/* Valid non-ASCII stays. */
	neutral("Zoë 日本 🎥", strlen("Zoë 日本 🎥"), 64, "Zoë 日本 🎥");
	/* Invalid UTF-8: stray continuation, overlong, surrogate, past U+10FFFF, cut sequence. */
	neutral("\x80", 1, 64, "\xef\xbf\xbd");
	neutral("\xc0\xaf", 2, 64, "\xef\xbf\xbd\xef\xbf\xbd");
	neutral("\xed\xa0\x80", 3, 64, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	neutral("\xf4\x90\x80\x80", 4, 64, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	neutral("ab\xe6\x97", 4, 64, "ab\xef\xbf\xbd\xef\xbf\xbd");
	/* Length cap: cut at a character boundary with an ellipsis. */
	memset(big, 'a', sizeof(big));
	memset(want, 'a', 61);
	memcpy(want + 61, "\xe2\x80\xa6", 4);
	neutral(big, sizeof(big), 64, want);
	neutral(big, 64, 64, (memcpy(want, big, 64), want[64] = '\0', want));
	/* A multibyte character straddling the cap is not split. */
	memset(big, 'a', 10);
	memcpy(big + 10, "日日", 6);
	neutral(big, 16, 14, "aaaaaaaaaa\xe2\x80\xa6");
}

static void
test_org_valid(void **state)
{
	char long_org[80];

	assert_int_equal(auditlog_org_valid("o1"), 0);
	assert_int_equal(auditlog_org_valid("0123456789abcdef0123456789abcdef"), 0);
	assert_int_equal(auditlog_org_valid("org:acme-1.x_y"), 0);
	assert_int_equal(auditlog_org_valid(""), -1);
	assert_int_equal(auditlog_org_valid(NULL), -1);
	assert_int_equal(auditlog_org_valid("a b"), -1);
	assert_int_equal(auditlog_org_valid("a\"b"), -1);
	memset(long_org, 'a', 65);
	long_org[65] = '\0';
	assert_int_equal(auditlog_org_valid(long_org), -1);
}

static void
test_entry_canonical(void **state)
{
	struct auditlog_event ev = { 0 };
	uint8_t prev[32] = { 0 }, h1[32], h2[32], h3[32];
	json_t *d1 = json_pack("{s:s,s:I,s:s}", "zeta", "z", "alpha", (json_int_t)-5, "mid", "q\"\\");
	json_t *d2 = json_pack("{s:s,s:s,s:I}", "mid", "q\"\\", "zeta", "z", "alpha", (json_int_t)-5);
	struct buf a, b;

	buf_init(&a, 2 * AUDITLOG_LINE_MAX);
	buf_init(&b, 2 * AUDITLOG_LINE_MAX);
	ev.actor = "u1";
	ev.actor_kind = AUDITLOG_ACTOR_SUPPORT;
	ev.action = AUDITLOG_SUPPORT_ACTION;
	ev.target = "cam\"1";
	ev.detail = d1;
	assert_int_equal(auditlog_entry_format("org1", 1, 42, &ev, prev, &a, h1), 0);
	assert_int_equal(buf_put_u8(&a, 0), 0);
	assert_string_prefix((char *)a.data,
	    "{\"kind\":\"entry\",\"seq\":1,\"time_us\":42,\"org\":\"org1\",\"actor\":\"u1\","
	    "\"actor_kind\":\"support\",\"action\":\"support.action\",\"target\":\"cam\\\"1\","
	    "\"address\":\"\",\"request_id\":\"\",\"detail\":{\"alpha\":-5,\"mid\":\"q\\\"\\\\\","
	    "\"zeta\":\"z\"},\"prev\":\"0000000000000000000000000000000000000000000000000000000000000000\","
	    "\"hash\":\"");
	/* The detail's key order as given does not matter. */
	ev.detail = d2;
	assert_int_equal(auditlog_entry_format("org1", 1, 42, &ev, prev, &b, h2), 0);
	assert_memory_equal(h1, h2, 32);
	assert_int_equal(a.len - 1, b.len);
	assert_memory_equal(a.data, b.data, b.len);
	/* The hash is BLAKE2b-256 of the line without its hash field. */
	{
		const char *hp = strstr((char *)a.data, ",\"hash\"");
		struct buf c;

		buf_init(&c, AUDITLOG_LINE_MAX);
		assert_int_equal(buf_put(&c, a.data, (size_t)(hp - (char *)a.data)), 0);
		assert_int_equal(buf_put_u8(&c, '}'), 0);
		crypto_generichash(h3, 32, c.data, c.len, NULL, 0);
		assert_memory_equal(h1, h3, 32);
		buf_free(&c);
	}
	/* Rejected: bad detail values and keys, too many keys, bad org, seq 0, time < 0. */
	json_decref(d2);
	d2 = json_pack("{s:b}", "flag", 1);
	ev.detail = d2;
	assert_int_equal(auditlog_entry_format("org1", 1, 42, &ev, prev, &b, h2), AUDITLOG_E_INVAL);
	json_decref(d2);
	d2 = json_pack("{s:s}", "Bad-Key", "x");
	ev.detail = d2;
	assert_int_equal(auditlog_entry_format("org1", 1, 42, &ev, prev, &b, h2), AUDITLOG_E_INVAL);
	json_decref(d2);
	d2 = json_object();
	for (int i = 0; i < AUDITLOG_DETAIL_KEYS + 1; i++) {
		char k[8];

		snprintf(k, sizeof(k), "k%d", i);
		json_object_set_new(d2, k, json_integer(i));
	}
	ev.detail = d2;
	assert_int_equal(auditlog_entry_format("org1", 1, 42, &ev, prev, &b, h2), AUDITLOG_E_INVAL);
	ev.detail = NULL;
	assert_int_equal(auditlog_entry_format("org 1", 1, 42, &ev, prev, &b, h2), AUDITLOG_E_INVAL);
	assert_int_equal(auditlog_entry_format("org1", 0, 42, &ev, prev, &b, h2), AUDITLOG_E_INVAL);
	assert_int_equal(auditlog_entry_format("org1", 1, -1, &ev, prev, &b, h2), AUDITLOG_E_INVAL);
	json_decref(d1);
	json_decref(d2);
	buf_free(&a);
	buf_free(&b);
}

/* A log of n entries of org "org1" plus a closing checkpoint, as one text. */
static void
make_log(struct buf *out, int n)
{
	struct auditlog_event ev = { 0 };
	uint8_t prev[32] = { 0 }, h[32];
	struct buf line;
	int i;

	buf_init(&line, 2 * AUDITLOG_LINE_MAX);
	ev.actor = "u1";
	ev.actor_kind = AUDITLOG_ACTOR_USER;
	ev.action = AUDITLOG_LOGIN_SUCCESS;
	ev.address = "192.0.2.1";
	for (i = 1; i <= n; i++) {
		assert_int_equal(auditlog_entry_format("org1", (uint64_t)i, 1000 * i, &ev, prev, &line, h), 0);
		assert_int_equal(buf_put(out, line.data, line.len), 0);
		assert_int_equal(buf_put_u8(out, '\n'), 0);
		memcpy(prev, h, 32);
	}
	assert_int_equal(auditlog_checkpoint_format("org1", (uint64_t)n, prev, 1795000000000000, sk, &line), 0);
	assert_int_equal(buf_put(out, line.data, line.len), 0);
	assert_int_equal(buf_put_u8(out, '\n'), 0);
	buf_free(&line);
}

static int
verify_text(const void *p, size_t n, size_t piece, struct auditlog_report *r)
{
	struct auditlog_verifier *v;
	const uint8_t *s = p;
	size_t off, k;
	int rc;

	assert_int_equal(auditlog_verifier_new(&v, pk), 0);
	for (off = 0; off < n; off += k) {
		k = n - off < piece ? n - off : piece;
		(void)auditlog_verifier_feed(v, s + off, k);
	}
	rc = auditlog_verifier_finish(v, r);
	auditlog_verifier_free(v);
	return rc;
}

static void
test_verify_ok_any_pieces(void **state)
{
	struct auditlog_report r;
	struct buf log;

	buf_init(&log, 1 << 20);
	make_log(&log, 12);
	assert_int_equal(verify_text(log.data, log.len, log.len, &r), 0);
	assert_int_equal(r.entries, 12);
	assert_int_equal(r.checkpoints, 1);
	assert_int_equal(r.head_seq, 12);
	assert_int_equal(r.head_time_us, 1795000000000000);
	assert_string_equal(r.org, "org1");
	assert_int_equal(verify_text(log.data, log.len, 1, &r), 0);
	assert_int_equal(verify_text(log.data, log.len, 7, &r), 0);
	/* Without the final newline it still verifies. */
	assert_int_equal(verify_text(log.data, log.len - 1, 4096, &r), 0);
	buf_free(&log);
}

/* Replace the first occurrence of from by to in the text and expect the problem. */
static void
tamper(const char *from, const char *to, enum auditlog_problem p, const char *msg)
{
	struct auditlog_report r;
	struct buf log, t;
	const char *hit;
	size_t a;

	buf_init(&log, 1 << 20);
	buf_init(&t, 1 << 20);
	make_log(&log, 5);
	assert_int_equal(buf_put_u8(&log, 0), 0);
	hit = strstr((char *)log.data, from);
	assert_non_null(hit);
	a = (size_t)(hit - (char *)log.data);
	assert_int_equal(buf_put(&t, log.data, a), 0);
	assert_int_equal(buf_put(&t, to, strlen(to)), 0);
	assert_int_equal(buf_put(&t, hit + strlen(from), log.len - 1 - a - strlen(from)), 0);
	assert_int_equal(verify_text(t.data, t.len, 4096, &r), AUDITLOG_E_TAMPERED);
	print_message("  caught: %s\n", r.msg);
	if (r.problem != p || strstr(r.msg, msg) == NULL)
		fail_msg("expected %d '%s', got %d '%s'", (int)p, msg, (int)r.problem, r.msg);
	buf_free(&log);
	buf_free(&t);
}

static void
test_verify_malformed(void **state)
{
	tamper("\"seq\":3,", "\"seq\":\"3\",", AUDITLOG_P_MALFORMED, "line 3: entry with a missing");
	tamper("{\"kind\":\"entry\",\"seq\":2", "[\"kind\",\"entry\",\"seq\":2", AUDITLOG_P_MALFORMED,
	    "line 2: not a JSON object");
	tamper("\"kind\":\"entry\",\"seq\":2", "\"kind\":\"other\",\"seq\":2", AUDITLOG_P_MALFORMED,
	    "line 2: unknown kind");
	tamper("\"seq\":2,", "\"seq\":2,\"seq\":2,", AUDITLOG_P_MALFORMED, "line 2: not a JSON object");
	tamper("\"actor_kind\":\"user\"", "\"actor_kind\":\"root\"", AUDITLOG_P_MALFORMED,
	    "invalid field");
	tamper("\"actor\":\"u1\"", "\"actor\":\"u\\u0031\"", AUDITLOG_P_CHANGED,
	    "not in canonical form");
	tamper("\"actor\":\"u1\"", "\"actor\":\"u\\n1\"", AUDITLOG_P_CHANGED, "not in canonical form");
	tamper("\"actor\":\"u1\"", "\"actor\": \"u1\"", AUDITLOG_P_CHANGED, "not in canonical form");
	tamper("\"actor\":\"u1\"", "\"actor\":\"u2\"", AUDITLOG_P_CHANGED, "entry seq 1 changed");
	tamper("\n", "\r\n", AUDITLOG_P_CHANGED, "entry seq 1 changed (line 1 is not in canonical");
	tamper("\n", "\n\n", AUDITLOG_P_MALFORMED, "line 2: not a JSON object");
	tamper("\"org\":\"org1\",\"seq\":5", "\"org\":\"org2\",\"seq\":5", AUDITLOG_P_INSERTED,
	    "belongs to org org2");
	tamper("\"kind\":\"checkpoint\",", "\"kind\":\"checkpoint\",\"extra\":1,", AUDITLOG_P_MALFORMED,
	    "checkpoint not in canonical form");
}

static void
test_verify_limits(void **state)
{
	struct auditlog_report r;
	char *big;

	/* A line longer than the maximum. */
	big = malloc(AUDITLOG_LINE_MAX + 10);
	assert_non_null(big);
	memset(big, ' ', AUDITLOG_LINE_MAX + 9);
	big[AUDITLOG_LINE_MAX + 9] = '\n';
	assert_int_equal(verify_text(big, AUDITLOG_LINE_MAX + 10, 100, &r), AUDITLOG_E_TAMPERED);
	assert_int_equal(r.problem, AUDITLOG_P_MALFORMED);
	assert_non_null(strstr(r.msg, "longer than"));
	assert_int_equal(verify_text(big, AUDITLOG_LINE_MAX + 9, 100, &r), AUDITLOG_E_TAMPERED);
	assert_int_equal(r.problem, AUDITLOG_P_MALFORMED);
	free(big);
	/* An empty file. */
	assert_int_equal(verify_text("", 0, 1, &r), AUDITLOG_E_TAMPERED);
	assert_int_equal(r.problem, AUDITLOG_P_TRUNCATED);
}

/* `vigil audit verify` exit codes. */
static int
run_cli(const char *file, const char *key)
{
	char *argv[6];
	int argc = 0;

	argv[argc++] = (char *)"audit";
	argv[argc++] = (char *)"verify";
	if (file != NULL)
		argv[argc++] = (char *)file;
	if (key != NULL) {
		argv[argc++] = (char *)"--server-key";
		argv[argc++] = (char *)key;
	}
	argv[argc] = NULL;
	return cmd_audit(argc, argv);
}

static void
test_cli(void **state)
{
	char path[64], keyhex[65], badkey[65];
	struct buf log;
	size_t cut;

	buf_init(&log, 1 << 20);
	make_log(&log, 8);
	snprintf(path, sizeof(path), "/tmp/vigil-auditlog-%d.jsonl", (int)getpid());
	assert_int_equal(file_write_atomic(path, log.data, log.len, 0600), 0);
	hex_encode(pk, 32, keyhex);
	assert_int_equal(run_cli(path, keyhex), 0);
	memcpy(badkey, keyhex, sizeof(badkey));
	badkey[0] = badkey[0] == '0' ? '1' : '0';
	assert_int_equal(run_cli(path, badkey), 3);
	/* Drop the closing checkpoint: tampering, exit 3. */
	cut = log.len - 1;
	while (cut > 0 && log.data[cut - 1] != '\n')
		cut--;
	assert_int_equal(file_write_atomic(path, log.data, cut, 0600), 0);
	assert_int_equal(run_cli(path, keyhex), 3);
	/* Usage errors: 2; unreadable file: 1. */
	assert_int_equal(run_cli(path, NULL), 2);
	assert_int_equal(run_cli(NULL, keyhex), 2);
	assert_int_equal(run_cli(path, "abcd"), 2);
	assert_int_equal(run_cli("/nonexistent/audit.jsonl", keyhex), 1);
	unlink(path);
	buf_free(&log);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_neutralize),
		cmocka_unit_test(test_org_valid),
		cmocka_unit_test(test_entry_canonical),
		cmocka_unit_test(test_verify_ok_any_pieces),
		cmocka_unit_test(test_verify_malformed),
		cmocka_unit_test(test_verify_limits),
		cmocka_unit_test(test_cli),
	};

	return cmocka_run_group_tests(tests, group_setup, NULL);
}
