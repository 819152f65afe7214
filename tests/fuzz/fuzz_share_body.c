/* fuzz_share_body.c - libFuzzer target: share-link create bodies through share_body_parse, open bodies through share_open_body_parse, and the input as an "Authorization: Share" header through share_auth_token. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "server/h_share.h"
#include "server/shares.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t zero[SHARES_PROOF_LEN];
	struct share_body b;
	uint8_t tok[SHARES_TOKEN_LEN], proof[SHARES_PROOF_LEN];
	char *s;
	int has = -1, r;

	if (share_body_parse(data, size, &b) == 0) {
		/* What parsed must hold what the parser promises. */
		if (strlen(b.camera) != 32 || b.manifest == NULL || b.manifest_len == 0 ||
		    b.manifest_len > SHARES_MANIFEST_MAX || shares_stream_name(b.stream) == NULL ||
		    (b.has_proof_hash != 0 && b.has_proof_hash != 1))
			abort();
		share_body_free(&b);
	}
	/* The open body: a proof only from a small body that parsed; none left on refusal. */
	r = share_open_body_parse(data, size, proof, &has);
	if ((r == 0 && has == 1 && (size == 0 || size > SHARE_OPEN_BODY_MAX)) ||
	    (r == 0 && has == 0 && size != 0) ||
	    (r != 0 && (has != 0 || memcmp(proof, zero, sizeof(zero)) != 0)))
		abort();
	if (size < 256 && (s = malloc(size + 1)) != NULL) {
		memcpy(s, data, size);
		s[size] = '\0';
		(void)share_auth_token(s, tok);
		(void)shares_stream_parse(s);
		free(s);
	}
	return 0;
}
