/* fuzz_cfgfetch.c - libFuzzer harness for the gateway's parser of the server's signed-configuration answer (GET /api/v1/gateway/config). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "common/statement.h"
#include "gateway/cfgfetch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct cfgfetch *cf;
static struct config local;
static char server[] = "http://127.0.0.1:1", key_file[] = "/nonexistent/gw.key",
    spool[] = "/nonexistent/spool";

static void fuzz_init(void)
{
	static char dir[] = "/tmp/vigil-fuzz-cfgfetch.XXXXXX";
	char state[128], last[128], err[256];
	uint8_t seed[32], gpk[32], gsk[64], rpk[32], rsk[64];
	struct cfgfetch_params p;

	if (sodium_init() < 0 || mkdtemp(dir) == NULL)
		abort();
	/* Fixed keys, so a corpus entry signed by this root keeps its meaning across runs. */
	memset(seed, 1, sizeof(seed));
	crypto_sign_seed_keypair(rpk, rsk, seed);
	memset(seed, 2, sizeof(seed));
	crypto_sign_seed_keypair(gpk, gsk, seed);
	memcpy(state, dir, sizeof(dir));
	memcpy(state + sizeof(dir) - 1, "/state", 7);
	memcpy(last, dir, sizeof(dir));
	memcpy(last + sizeof(dir) - 1, "/last", 6);
	local.server = server;
	local.key_file = key_file;
	local.spool_dir = spool;
	local.spool_max_bytes = 1u << 30;
	local.segment_target_ms = 2000;
	memset(&p, 0, sizeof(p));
	p.server_url = server;
	p.sk = gsk;
	p.root_pk = rpk;
	p.state_path = state;
	p.last_path = last;
	p.local = &local;
	if (cfgfetch_open(&cf, &p, err, sizeof(err)) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config *c = NULL;
	int rc;

	if (cf == NULL)
		fuzz_init();
	rc = cfgfetch_apply(cf, data, size, 1700000000000000LL);
	if (rc < -1 || rc > 1)
		__builtin_trap();
	/* Only a statement signed by the fixed root can yield a configuration. */
	if (cfgfetch_take(cf, &c, NULL) == 1) {
		if (rc != 1 || c->server == NULL || strcmp(c->server, server) != 0)
			__builtin_trap();
		config_free(c);
	}
	return 0;
}
