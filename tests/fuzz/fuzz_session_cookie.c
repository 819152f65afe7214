/* fuzz_session_cookie.c - libFuzzer target for reading the session token from a Cookie header. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "server/sessions.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char h[4096], tok[SESSIONS_TOKEN_BUF];
	int secure;

	if (size >= sizeof(h))
		size = sizeof(h) - 1;
	memcpy(h, data, size);
	h[size] = '\0';
	for (secure = 0; secure < 2; secure++) {
		if (sessions_cookie_token(h, secure, tok) == 0) {
			size_t i;

			if (strlen(tok) != SESSIONS_TOKEN_LEN)
				__builtin_trap();
			for (i = 0; i < SESSIONS_TOKEN_LEN; i++)
				if (strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
				    tok[i]) == NULL)
					__builtin_trap();
		} else if (tok[0] != '\0') {
			__builtin_trap();
		}
	}
	return 0;
}
