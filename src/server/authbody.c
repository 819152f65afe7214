/* authbody.c - field-by-field validation of the account routes' bodies; nothing is trusted. */
#include <string.h>
#include <sodium.h>
#include "common/util.h"
#include "server/authbody.h"
#include "server/jsonbody.h"

int
authbody_str(const json_t *j, const char *key, char *out, size_t max)
{
	const json_t *v = json_object_get(j, key);
	size_t n;

	out[0] = '\0';
	if (!json_is_string(v))
		return -1;
	n = json_string_length(v);
	/* A NUL inside the string would make the C string shorter than the JSON one. */
	if (n == 0 || n > max || strlen(json_string_value(v)) != n)
		return -1;
	memcpy(out, json_string_value(v), n + 1);
	return 0;
}

int
authbody_hexv(const json_t *j, const char *key, uint8_t *out, size_t max, size_t *n)
{
	const json_t *v = json_object_get(j, key);
	size_t len;

	*n = 0;
	if (!json_is_string(v))
		return -1;
	len = json_string_length(v);
	if (len == 0 || len % 2 != 0 || len / 2 > max || strlen(json_string_value(v)) != len)
		return -1;
	if (hex_decode(json_string_value(v), out, len / 2) != 0)
		return -1;
	*n = len / 2;
	return 0;
}

/* The client's Argon2id cost: "kdf_ops" and "kdf_mem" as integers (range checked later). */
static int
kdf_fields(const json_t *j, struct userkdf_params *p)
{
	int64_t ops, mem;

	if (jsonbody_int(j, "kdf_ops", 1, (int64_t)USERKDF_OPS_MAX, &ops) != 0 ||
	    jsonbody_int(j, "kdf_mem", 1, (int64_t)USERKDF_MEM_MAX, &mem) != 0)
		return -1;
	p->ops = (unsigned long long)ops;
	p->mem = (size_t)mem;
	return 0;
}

/* A user id: exactly 32 lowercase hex characters. */
static int
id_field(const json_t *j, const char *key, char out[ACCOUNTS_ID_BUF])
{
	size_t i;

	if (authbody_str(j, key, out, ACCOUNTS_ID_LEN) != 0 || strlen(out) != ACCOUNTS_ID_LEN)
		return -1;
	for (i = 0; i < ACCOUNTS_ID_LEN; i++)
		if (!((out[i] >= '0' && out[i] <= '9') || (out[i] >= 'a' && out[i] <= 'f')))
			return -1;
	return 0;
}

/* username (as typed), a 32-byte key named key into out_key, and an optional "totp"
 * (login and recovery bodies). 0 or -1. */
static int
name_key_totp(const json_t *j, const char *key, char username[AUTHBODY_TYPED_NAME_MAX + 1],
    uint8_t out_key[ACCOUNTS_KEY_LEN], char totp[AUTHBODY_TOTP_MAX + 1])
{
	const json_t *t = json_object_get(j, "totp");

	if (authbody_str(j, "username", username, AUTHBODY_TYPED_NAME_MAX) != 0 ||
	    jsonbody_hex(j, key, out_key, ACCOUNTS_KEY_LEN) != 0)
		return -1;
	if (t != NULL && !json_is_null(t) && authbody_str(j, "totp", totp, AUTHBODY_TOTP_MAX) != 0)
		return -1;
	return 0;
}

int
authbody_login(const json_t *j, struct authbody_login *out)
{
	memset(out, 0, sizeof(*out));
	if (name_key_totp(j, "auth_key", out->username, out->auth_key, out->totp) != 0) {
		sodium_memzero(out, sizeof(*out));
		return -1;
	}
	return 0;
}

int
authbody_register(const json_t *j, struct authbody_register *out)
{
	int r = -1;

	memset(out, 0, sizeof(*out));
	if (authbody_str(j, "code", out->code, SIGNUP_CODE_HEX) != 0 ||
	    id_field(j, "id", out->id) != 0 ||
	    authbody_str(j, "username", out->username, ACCOUNTS_NAME_MAX) != 0 ||
	    jsonbody_hex(j, "salt", out->salt, sizeof(out->salt)) != 0 ||
	    jsonbody_hex(j, "auth_key", out->auth_key, sizeof(out->auth_key)) != 0 ||
	    jsonbody_hex(j, "box_pk", out->box_pk, sizeof(out->box_pk)) != 0 ||
	    jsonbody_hex(j, "sign_pk", out->sign_pk, sizeof(out->sign_pk)) != 0 ||
	    authbody_hexv(j, "wrapped", out->wrapped, sizeof(out->wrapped), &out->wrapped_len) != 0 ||
	    kdf_fields(j, &out->kdf) != 0)
		goto out;
	/* The recovery key is optional, but its two halves come together. */
	if (json_object_get(j, "recovery_wrapped") != NULL ||
	    json_object_get(j, "recovery_auth") != NULL) {
		if (jsonbody_hex(j, "recovery_auth", out->recovery_auth,
		    sizeof(out->recovery_auth)) != 0 ||
		    authbody_hexv(j, "recovery_wrapped", out->recovery_wrapped,
		    sizeof(out->recovery_wrapped), &out->recovery_wrapped_len) != 0)
			goto out;
		out->has_recovery = 1;
	}
	r = 0;
out:
	if (r != 0)
		sodium_memzero(out, sizeof(*out));
	return r;
}

int
authbody_password(const json_t *j, struct authbody_password *out)
{
	int r = -1;

	memset(out, 0, sizeof(*out));
	if (jsonbody_hex(j, "old_auth_key", out->old_auth_key, sizeof(out->old_auth_key)) != 0 ||
	    jsonbody_hex(j, "salt", out->salt, sizeof(out->salt)) != 0 ||
	    jsonbody_hex(j, "auth_key", out->auth_key, sizeof(out->auth_key)) != 0 ||
	    authbody_hexv(j, "wrapped", out->wrapped, sizeof(out->wrapped), &out->wrapped_len) != 0 ||
	    kdf_fields(j, &out->kdf) != 0)
		goto out;
	r = 0;
out:
	if (r != 0)
		sodium_memzero(out, sizeof(*out));
	return r;
}

int
authbody_recover(const json_t *j, int with_new, struct authbody_recover *out)
{
	int r = -1;

	memset(out, 0, sizeof(*out));
	if (name_key_totp(j, "recovery_auth", out->username, out->recovery_auth, out->totp) != 0)
		goto out;
	if (with_new && (jsonbody_hex(j, "salt", out->salt, sizeof(out->salt)) != 0 ||
	    jsonbody_hex(j, "auth_key", out->auth_key, sizeof(out->auth_key)) != 0 ||
	    authbody_hexv(j, "wrapped", out->wrapped, sizeof(out->wrapped), &out->wrapped_len) != 0 ||
	    kdf_fields(j, &out->kdf) != 0))
		goto out;
	r = 0;
out:
	if (r != 0)
		sodium_memzero(out, sizeof(*out));
	return r;
}
