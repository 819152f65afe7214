/* fuzz_http_ingest.c - libFuzzer target: an ingest body through the record parser and link checker. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "common/record.h"
#include "server/linkcheck.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t gw[GATEWAY_ID_LEN] = { 0 };
	struct record_parser *p;
	struct linkcheck lc;
	struct link_event ev;
	struct record rec;
	size_t off = 0, n;
	int r;

	/* Small payload cap keeps iterations fast; the logic is the same. */
	if ((p = record_parser_new(64 * 1024)) == NULL)
		return 0;
	linkcheck_init(&lc, gw);
	/* Feed in uneven pieces, as HTTP delivers them. */
	while (off < size) {
		n = (size_t)(data[off] % 97) + 1;
		if (n > size - off)
			n = size - off;
		if (record_parser_feed(p, data + off, n) != 0)
			break;
		off += n;
		while ((r = record_parser_next(p, &rec)) == RECP_RECORD)
			if (linkcheck_record(&lc, &rec, &ev) < 0)
				goto out;
		if (r < 0)
			goto out;
	}
	(void)linkcheck_open(&lc);
out:
	record_parser_free(p);
	return 0;
}
