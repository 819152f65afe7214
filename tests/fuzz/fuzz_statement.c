/* fuzz_statement.c - libFuzzer harness for signed statements, enrollment requests and the gateway's sealed configuration body. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/enroll.h"
#include "common/orgkeys.h"
#include "common/statement.h"
#include "gateway/config.h"
#include "gateway/sigconfig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOW INT64_C(1700000000000000)

static struct stmt_signer root;
static struct stmt_trust trust;
static uint8_t gw_pk[32], gw_sk[64];
static struct sigconfig *sc;
static uint64_t next_seq = 1;
static char state_path[96];
static char server[] = "http://127.0.0.1:8080", key_file[] = "/k", spool[] = "/s";

static void remove_state(void)
{
	unlink(state_path);
}

static void init_once(void)
{
	static int done;
	uint8_t seed[32];

	if (done)
		return;
	done = 1;
	if (sodium_init() < 0)
		__builtin_trap();
	memset(seed, 1, sizeof(seed));
	crypto_sign_seed_keypair(root.pk, root.sk, seed);
	statement_org_id(root.pk, root.org_id);
	statement_trust_init(&trust, root.pk);
	memset(seed, 2, sizeof(seed));
	crypto_sign_seed_keypair(gw_pk, gw_sk, seed);
	snprintf(state_path, sizeof(state_path), "/tmp/vigil-fuzz-sigconfig-%ld.state",
	    (long)getpid());
	unlink(state_path);
	atexit(remove_state);
	if (sigconfig_open(&sc, root.pk, gw_sk, state_path) != 0)
		__builtin_trap();
}

/* Untrusted statement bytes: parse and verify must agree and never crash. */
static void raw_statement(const uint8_t *p, size_t n)
{
	struct stmt *s = NULL;
	int rp, rv;

	rp = statement_parse(p, n, &s);
	if ((rp == 0) != (s != NULL))
		__builtin_trap();
	if (s != NULL && (s->raw_len != n || s->body_len + STMT_HEADER_LEN + STMT_SIG_LEN != n))
		__builtin_trap();
	statement_free(s);
	s = NULL;
	rv = statement_verify(p, n, &trust, STMT_ANY, NOW, &s);
	if ((rv == 0) != (s != NULL) || (rp != 0 && rv == 0))
		__builtin_trap();
	statement_free(s);
}

/* Input as the body of a statement of a chosen type: whatever sign accepts, verify must. */
static void signed_body(const uint8_t *p, size_t n)
{
	uint8_t target[STMT_TARGET_LEN];
	struct stmt *s = NULL;
	struct buf out;
	int r;

	if (n < 1 + STMT_TARGET_LEN)
		return;
	memcpy(target, p + 1, STMT_TARGET_LEN);
	buf_init(&out, STMT_MAX_LEN);
	r = statement_sign(&root, p[0], target, 1, NOW, 0, p + 1 + STMT_TARGET_LEN,
	    n - 1 - STMT_TARGET_LEN, &out);
	if (r == 0 && statement_verify(out.data, out.len, &trust, p[0], NOW, &s) != 0)
		__builtin_trap();
	if (r != 0 && out.len != 0)
		__builtin_trap();
	statement_free(s);
	buf_free(&out);
}

/* Input as the sealed configuration body, through the gateway's real path. */
static void config_body(const uint8_t *p, size_t n)
{
	struct config local = { .server = server, .key_file = key_file, .spool_dir = spool,
		.spool_max_bytes = 1u << 30, .segment_target_ms = 2000 };
	struct sigconfig_settings st;
	struct sigconfig_command cmd;
	struct config *c = NULL;
	struct buf out;
	char err[256];
	int r;

	if (n == 0 || n > 64 * 1024)
		return;
	buf_init(&out, STMT_MAX_LEN);
	if (orgkeys_gateway_sealed(&root, STMT_GATEWAY_CONFIG, gw_pk, next_seq, NOW, 0, p, n,
	    &out) != 0)
		__builtin_trap();
	r = sigconfig_apply_config(sc, out.data, out.len, NOW, &local, &c, &st, err, sizeof(err));
	if ((r == 0) != (c != NULL) || memchr(err, '\0', sizeof(err)) == NULL)
		__builtin_trap();
	if (r == 0) {
		if (c->ncameras == 0 || strcmp(c->server, server) != 0)
			__builtin_trap();
		next_seq++;
	}
	config_free(c);
	buf_reset(&out);
	if (orgkeys_gateway_sealed(&root, STMT_GATEWAY_COMMAND, gw_pk, next_seq, NOW, 0, p, n,
	    &out) != 0)
		__builtin_trap();
	if (sigconfig_apply_command(sc, out.data, out.len, NOW, &cmd, err, sizeof(err)) == 0)
		next_seq++;
	buf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct enroll_request r;

	init_once();
	if (size == 0)
		return 0;
	switch (data[0] & 3) {
	case 0:
		raw_statement(data + 1, size - 1);
		break;
	case 1:
		if (enroll_request_parse(data + 1, size - 1, &r) == 0 && size - 1 != ENROLL_REQUEST_LEN)
			__builtin_trap();
		break;
	case 2:
		signed_body(data + 1, size - 1);
		break;
	default:
		config_body(data + 1, size - 1);
		break;
	}
	return 0;
}
