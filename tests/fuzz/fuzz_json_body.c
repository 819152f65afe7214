/* fuzz_json_body.c - libFuzzer target: JSON request bodies through jsonbody_parse and the field getters. */
#include <stddef.h>
#include <stdint.h>
#include "server/jsonbody.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t id[32], nonce[32], sig[64];
	json_t *j;
	int64_t v;

	if (jsonbody_parse(data, size, &j) != 0)
		return 0;
	(void)jsonbody_hex(j, "gateway_id", id, sizeof(id));
	(void)jsonbody_hex(j, "nonce", nonce, sizeof(nonce));
	(void)jsonbody_hex(j, "signature", sig, sizeof(sig));
	(void)jsonbody_int(j, "max_age_s", 1, INT64_MAX, &v);
	json_decref(j);
	return 0;
}
