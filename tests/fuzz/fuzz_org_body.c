/* fuzz_org_body.c - libFuzzer target: organization route bodies through jsonbody_parse and hexfield, then the decoded statements and enrollment requests through their parsers. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include "common/enroll.h"
#include "common/statement.h"
#include "server/hexfield.h"
#include "server/jsonbody.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
statement_field(const json_t *j, const char *key)
{
	struct stmt *s = NULL;
	uint8_t *p = NULL;
	size_t n = 0;

	if (hexfield_get(j, key, STMT_MAX_LEN, &p, &n) == 0 && statement_parse(p, n, &s) == 0)
		statement_free(s);
	free(p);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const keys[] = { "org_root", "admin_cert", "member", "cert", "statement" };
	struct enroll_request r;
	char id[33], gw[65];
	const json_t *arr, *v;
	uint8_t *p = NULL;
	size_t n = 0, i;
	json_t *j;

	if (jsonbody_parse(data, size, &j) != 0)
		return 0;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		statement_field(j, keys[i]);
	if (hexfield_get(j, "request", ENROLL_REQUEST_LEN, &p, &n) == 0)
		(void)enroll_request_parse(p, n, &r);
	free(p);
	(void)hexfield_id(j, "id", 16, id);
	(void)hexfield_id(j, "gateway", 32, gw);
	arr = json_object_get(j, "statements");
	json_array_foreach(arr, i, v) {
		struct stmt *s = NULL;

		p = NULL;
		if (hexfield_value(v, STMT_MAX_LEN, &p, &n) == 0 && statement_parse(p, n, &s) == 0)
			statement_free(s);
		free(p);
	}
	json_decref(j);
	return 0;
}
