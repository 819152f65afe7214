/* test_server_linkcheck.c - the ingest state machine on real signed links and on malformed ones. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>
#include "common/record.h"
#include "common/segment.h"
#include "server/linkcheck.h"

static uint8_t pk[32], sk[64];
static const uint8_t cam[16] = { 0x42 };

/* Build segment seq with n chunks into out. */
static void
build_link(struct buf *out, uint64_t seq, int n)
{
	uint8_t epk[32], esk[32], prev[32] = { 0 }, next[32];
	struct seg_writer *w = NULL;
	struct buf plain;
	int i;

	crypto_box_keypair(epk, esk);
	buf_init(&plain, 1024);
	assert_int_equal(seg_writer_begin(&w, sk, cam, 0, seq, 1000, 1, epk, prev, out), 0);
	for (i = 0; i < n; i++) {
		buf_reset(&plain);
		assert_int_equal(chunk_plain_put(&plain, i == 0 ? CHUNK_INIT : CHUNK_MEDIA, 0, 1000 + i,
		    "abc", 3), 0);
		assert_int_equal(seg_writer_chunk(w, plain.data, plain.len, out), 0);
	}
	assert_int_equal(seg_writer_end(w, 5000, out, next), 0);
	seg_writer_free(w);
	buf_free(&plain);
}

/* Run all records of b through a checker for gateway gw; returns the last result and
 * counts the ends. */
static int
run(const struct buf *b, const uint8_t gw[32], int *ends)
{
	struct record_parser *p = record_parser_new(RECORD_MAX_PAYLOAD);
	struct linkcheck lc;
	struct link_event ev;
	struct record rec;
	int r = 0, x;

	*ends = 0;
	linkcheck_init(&lc, gw);
	assert_int_equal(record_parser_feed(p, b->data, b->len), 0);
	while ((x = record_parser_next(p, &rec)) == RECP_RECORD) {
		r = linkcheck_record(&lc, &rec, &ev);
		if (r < 0)
			break;
		if (r == LC_END || r == LC_GAP)
			(*ends)++;
	}
	record_parser_free(p);
	return r;
}

static void
test_valid_links(void **state)
{
	struct buf b;
	int ends;

	buf_init(&b, 1 << 20);
	build_link(&b, 0, 3);
	build_link(&b, 1, 2);
	assert_int_equal(run(&b, pk, &ends), LC_END);
	assert_int_equal(ends, 2);
	buf_free(&b);
}

static void
test_wrong_gateway(void **state)
{
	static const uint8_t other[32] = { 1 };
	struct buf b;
	int ends;

	buf_init(&b, 1 << 20);
	build_link(&b, 0, 1);
	assert_int_equal(run(&b, other, &ends), LC_E_GATEWAY);
	buf_free(&b);
}

static void
test_bad_order(void **state)
{
	struct buf b;
	uint8_t junk[SEG_END_LEN] = { 0 };
	int ends;

	buf_init(&b, 1 << 20);
	/* A CHUNK outside a link. */
	assert_int_equal(record_put(&b, REC_CHUNK, "x", 1), 0);
	assert_int_equal(run(&b, pk, &ends), LC_E_ORDER);
	buf_reset(&b);
	/* A SEG_END whose seq differs. */
	build_link(&b, 4, 1);
	b.len -= RECORD_HDR_LEN + SEG_END_LEN;
	be_put64(junk, 5);
	assert_int_equal(record_put(&b, REC_SEG_END, junk, sizeof(junk)), 0);
	assert_int_equal(run(&b, pk, &ends), LC_E_SEQ);
	buf_reset(&b);
	/* Two headers in a row. */
	build_link(&b, 4, 1);
	b.len -= RECORD_HDR_LEN + SEG_END_LEN;
	build_link(&b, 5, 1);
	assert_int_equal(run(&b, pk, &ends), LC_E_ORDER);
	buf_free(&b);
}

/* A gap passes its signed reason and times on: the index makes "no motion" spans of
 * GAP_MOTION_IDLE gaps only. */
static void
test_gap_reason(void **state)
{
	struct linkcheck lc;
	struct link_event ev;
	struct record rec;
	struct gap g;
	uint8_t raw[GAP_LEN];

	memset(&g, 0, sizeof(g));
	g.version = 1;
	g.stream = 1;
	g.reason = GAP_MOTION_IDLE;
	memcpy(g.camera_id, cam, sizeof(cam));
	g.seq = g.last_seq = 7;
	g.from_us = 1000;
	g.to_us = 31000;
	memcpy(g.gateway_id, pk, sizeof(pk));
	gap_encode(&g, raw);
	memset(&rec, 0, sizeof(rec));
	rec.type = REC_GAP;
	rec.payload = raw;
	rec.len = sizeof(raw);
	linkcheck_init(&lc, pk);
	assert_int_equal(linkcheck_record(&lc, &rec, &ev), LC_GAP);
	assert_true(ev.is_gap);
	assert_int_equal(ev.gap_reason, GAP_MOTION_IDLE);
	assert_int_equal(ev.stream, 1);
	assert_int_equal(ev.start_us, 1000);
	assert_int_equal(ev.end_us, 31000);
	g.reason = GAP_CAMERA_OFFLINE;
	gap_encode(&g, raw);
	assert_int_equal(linkcheck_record(&lc, &rec, &ev), LC_GAP);
	assert_int_equal(ev.gap_reason, GAP_CAMERA_OFFLINE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_links),
		cmocka_unit_test(test_wrong_gateway),
		cmocka_unit_test(test_bad_order),
		cmocka_unit_test(test_gap_reason),
	};
	if (sodium_init() < 0)
		return 1;
	crypto_sign_keypair(pk, sk);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
