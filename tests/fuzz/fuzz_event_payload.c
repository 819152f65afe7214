/* fuzz_event_payload.c - libFuzzer harness for the event payload framing a viewer opens (length | metadata JSON | JPEG). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "common/buf.h"
#include "gateway/events.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input is the plaintext; sealing it to a fixed key first lets the fuzzer reach the
 * framing parser behind the authenticated decryption. Raw input is also tried as a
 * sealed payload (it must be refused). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t pk[32], sk[32];
	static int init;
	struct buf json, jpeg;
	uint8_t *sealed;

	if (!init) {
		if (sodium_init() < 0)
			__builtin_trap();
		crypto_box_keypair(pk, sk);
		init = 1;
	}
	buf_init(&json, EVENTS_META_MAX + 1);
	buf_init(&jpeg, EVENTS_PLAIN_MAX);
	if (events_unseal(data, size, pk, sk, &json, &jpeg) == 0)
		__builtin_trap();   /* forging a sealed box by chance */
	if (size <= EVENTS_PLAIN_MAX && (sealed = malloc(size + crypto_box_SEALBYTES)) != NULL) {
		crypto_box_seal(sealed, data, size, pk);
		if (events_unseal(sealed, size + crypto_box_SEALBYTES, pk, sk, &json, &jpeg) == 0) {
			/* what opens must be consistent with the framing */
			if (json.len == 0 || json.len > EVENTS_META_MAX || 4 + json.len + jpeg.len != size ||
			    memcmp(data + 4, json.data, json.len) != 0)
				__builtin_trap();
		}
		free(sealed);
	}
	buf_free(&json);
	buf_free(&jpeg);
	return 0;
}
