/* fuzz_auditlog.c - libFuzzer target: the audit log verifier on arbitrary bytes, and neutralizing's guarantees. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "common/auditlog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Neutralized text must be within its cap, free of line breaks, and a fixed point. */
static void
check_neutralize(const uint8_t *data, size_t size)
{
	char out[AUDITLOG_DETAIL_STR_MAX + 1], again[AUDITLOG_DETAIL_STR_MAX + 1];
	size_t len, len2;

	len = auditlog_neutralize((const char *)data, size, AUDITLOG_DETAIL_STR_MAX, out);
	if (len > AUDITLOG_DETAIL_STR_MAX || memchr(out, '\n', len) != NULL ||
	    memchr(out, '\r', len) != NULL || memchr(out, '\0', len) != NULL)
		abort();
	len2 = auditlog_neutralize(out, len, AUDITLOG_DETAIL_STR_MAX, again);
	if (len2 != len || memcmp(out, again, len) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t pk[32] = { 1 };
	struct auditlog_verifier *v;
	struct auditlog_report r;
	size_t piece, off, k;

	check_neutralize(data, size);
	if (auditlog_verifier_new(&v, pk) != 0)
		return 0;
	/* The first byte picks the piece size, so line splitting across feeds is exercised. */
	piece = size > 0 ? (size_t)data[0] + 1 : 1;
	for (off = 0; off < size; off += k) {
		k = size - off < piece ? size - off : piece;
		if (auditlog_verifier_feed(v, data + off, k) != 0)
			break;
	}
	(void)auditlog_verifier_finish(v, &r);
	auditlog_verifier_free(v);
	return 0;
}
