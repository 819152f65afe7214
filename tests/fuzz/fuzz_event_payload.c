/* fuzz_event_payload.c - libFuzzer harness for the event payload a viewer opens: magic | gateway key | signature | length | metadata JSON | JPEG. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "common/buf.h"
#include "gateway/events.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Three ways in. Raw input as a sealed payload must be refused (forging a sealed box by
 * chance). Raw input as the plaintext, sealed to a fixed epoch key, must be refused unless
 * it carries a valid signature (which random bytes do not). And the input as the signed
 * body (length | JSON | JPEG), signed with a fixed gateway key and sealed, reaches the
 * framing parser: what opens must be consistent with it.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t pk[32], sk[32], gpk[GATEWAY_ID_LEN], gsk[GATEWAY_SK_LEN];
	static int init;
	uint8_t got[GATEWAY_ID_LEN];
	struct buf json, jpeg, plain, msg;
	uint8_t *sealed;

	if (!init) {
		if (sodium_init() < 0)
			__builtin_trap();
		crypto_box_keypair(pk, sk);
		crypto_sign_keypair(gpk, gsk);
		init = 1;
	}
	buf_init(&json, EVENTS_META_MAX + 1);
	buf_init(&jpeg, EVENTS_PLAIN_MAX);
	buf_init(&plain, EVENTS_PLAIN_MAX + EVENTS_HEAD_LEN);
	buf_init(&msg, EVENTS_PLAIN_MAX + 32);
	if (events_unseal(data, size, pk, sk, got, &json, &jpeg) == 0)
		__builtin_trap();
	if (size <= EVENTS_PLAIN_MAX && (sealed = malloc(size + EVENTS_HEAD_LEN + crypto_box_SEALBYTES)) != NULL) {
		crypto_box_seal(sealed, data, size, pk);
		if (events_unseal(sealed, size + crypto_box_SEALBYTES, pk, sk, got, &json, &jpeg) == 0)
			__builtin_trap();   /* an unsigned plaintext opened */
		if (size + EVENTS_HEAD_LEN <= EVENTS_PLAIN_MAX &&
		    buf_put(&plain, EVENTS_MAGIC, 4) == 0 && buf_put(&plain, gpk, sizeof(gpk)) == 0 &&
		    buf_reserve(&plain, SIG_LEN) == 0 && (plain.len += SIG_LEN) > 0 &&
		    buf_put(&plain, data, size) == 0 &&
		    buf_put(&msg, EVENTS_SIG_DOMAIN, strlen(EVENTS_SIG_DOMAIN)) == 0 &&
		    buf_put(&msg, data, size) == 0) {
			crypto_sign_detached(plain.data + 4 + GATEWAY_ID_LEN, NULL, msg.data, msg.len, gsk);
			crypto_box_seal(sealed, plain.data, plain.len, pk);
			if (events_unseal(sealed, plain.len + crypto_box_SEALBYTES, pk, sk, got, &json,
			    &jpeg) == 0 &&
			    (json.len == 0 || json.len > EVENTS_META_MAX || 4 + json.len + jpeg.len != size ||
			    memcmp(data + 4, json.data, json.len) != 0 || memcmp(got, gpk, sizeof(gpk)) != 0))
				__builtin_trap();
		}
		free(sealed);
	}
	buf_free(&json);
	buf_free(&jpeg);
	buf_free(&plain);
	buf_free(&msg);
	return 0;
}
