/* fuzz_auth_body.c - libFuzzer target: the account routes' JSON bodies through authbody_*. */
#include <stddef.h>
#include <stdint.h>
#include <sodium.h>
#include "server/authbody.h"
#include "server/jsonbody.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct authbody_register reg;
	static struct authbody_login login;
	static struct authbody_password pw;
	static struct authbody_recover rec;
	char s[64];
	uint8_t b[16];
	size_t n;
	json_t *j;

	if (jsonbody_parse(data, size, &j) != 0)
		return 0;
	(void)authbody_login(j, &login);
	(void)authbody_register(j, &reg);
	(void)authbody_password(j, &pw);
	(void)authbody_recover(j, 0, &rec);
	(void)authbody_recover(j, 1, &rec);
	(void)authbody_str(j, "role", s, sizeof(s) - 1);
	(void)authbody_hexv(j, "wrapped", b, sizeof(b), &n);
	json_decref(j);
	return 0;
}
