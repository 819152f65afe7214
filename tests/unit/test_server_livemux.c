/* test_server_livemux.c - the multiplexed live route's pure parts: the cameras query, the mux header, and the record-boundary scanner that triggers re-authorization at each segment start. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "common/record.h"
#include "server/h_livemux.h"
#include "server/relay.h"

#define A "0123456789abcdef0123456789abcdef"
#define B "fedcba9876543210fedcba9876543210"

static void
t_parse_ok(void **state)
{
	struct livemux_cam c[LIVEMUX_MAX_CAMERAS];
	size_t n = 99;

	(void)state;
	assert_int_equal(livemux_parse_cameras(A ":0", c, LIVEMUX_MAX_CAMERAS, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(c[0].cam[0], 0x01);
	assert_int_equal(c[0].cam[15], 0xef);
	assert_int_equal(c[0].stream, 0);
	assert_int_equal(livemux_parse_cameras(A ":1," B ":255," A ":0", c, LIVEMUX_MAX_CAMERAS, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(c[0].stream, 1);
	assert_int_equal(c[1].cam[0], 0xfe);
	assert_int_equal(c[1].stream, 255);
	assert_int_equal(c[2].stream, 0);
}

static void
t_parse_bad(void **state)
{
	static const char *bad[] = {
		"", ",", A, A ":", A ":256", A ":-1", A ":+1", A ": 1", A ":1x", A ":1000",
		A ":1,", "," A ":1", A ":1,," B ":0", A ":1," A ":1",     /* duplicate */
		"0123456789ABCDEF0123456789ABCDEF:0",                    /* uppercase */
		"0123456789abcdef0123456789abcde:0", A "0:0", "zz23456789abcdef0123456789abcdef:0",
		A ":1;" B ":0", A ":0:1",
	};
	struct livemux_cam c[LIVEMUX_MAX_CAMERAS];
	size_t i, n = 7;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (livemux_parse_cameras(bad[i], c, LIVEMUX_MAX_CAMERAS, &n) != -1)
			fail_msg("accepted \"%s\"", bad[i]);
		assert_int_equal(n, 0);
	}
	assert_int_equal(livemux_parse_cameras(NULL, c, LIVEMUX_MAX_CAMERAS, &n), -1);
}

/* 64 cameras are accepted, 65 are not (and nothing is written past max). */
static void
t_parse_limit(void **state)
{
	static char q[LIVEMUX_QUERY_MAX + 64];
	struct livemux_cam c[LIVEMUX_MAX_CAMERAS + 1];
	size_t n, i, off = 0;

	(void)state;
	for (i = 0; i < LIVEMUX_MAX_CAMERAS + 1; i++)
		off += (size_t)snprintf(q + off, sizeof(q) - off, "%s%030zx%02x:0", i ? "," : "", i, 0xaa);
	memset(&c[LIVEMUX_MAX_CAMERAS], 0x5a, sizeof(c[0]));
	assert_int_equal(livemux_parse_cameras(q, c, LIVEMUX_MAX_CAMERAS, &n), -1);
	assert_int_equal(c[LIVEMUX_MAX_CAMERAS].cam[0], 0x5a);
	q[off - 35] = '\0';    /* drop the last ",hex32:0" */
	assert_int_equal(livemux_parse_cameras(q, c, LIVEMUX_MAX_CAMERAS, &n), 0);
	assert_int_equal(n, LIVEMUX_MAX_CAMERAS);
	assert_int_equal(c[63].cam[15], 0xaa);
	assert_int_equal(c[63].cam[14], 63);
}

static void
t_hdr(void **state)
{
	uint8_t h[LIVEMUX_HDR_LEN];

	(void)state;
	livemux_hdr(h, LIVEMUX_DATA, 63, 0x01020304);
	assert_int_equal(h[0], 1);
	assert_int_equal(h[1], 2);
	assert_int_equal(h[2], 3);
	assert_int_equal(h[3], 4);
	assert_int_equal(h[4], LIVEMUX_DATA);
	assert_int_equal(h[5], 63);
	/* Mux types never collide with record types. */
	assert_true(LIVEMUX_DATA > REC_KEEPALIVE && LIVEMUX_STATE > REC_KEEPALIVE);
}

/* A stream of records: H C C E H C K H (H = SEG_HEADER), payloads of various sizes. */
static size_t
make_stream(uint8_t *out, size_t cap)
{
	static const uint8_t types[] = { REC_SEG_HEADER, REC_CHUNK, REC_CHUNK, REC_SEG_END,
	    REC_SEG_HEADER, REC_CHUNK, REC_KEEPALIVE, REC_SEG_HEADER };
	static const uint32_t lens[] = { 208, 1000, 17, 120, 208, 70000, 0, 208 };
	size_t i, n = 0;

	for (i = 0; i < sizeof(types); i++) {
		assert_true(n + RECORD_HDR_LEN + lens[i] <= cap);
		record_hdr(out + n, types[i], lens[i]);
		/* Payload bytes that look like headers must not confuse the scanner. */
		memset(out + n + RECORD_HDR_LEN, REC_SEG_HEADER, lens[i]);
		n += RECORD_HDR_LEN + lens[i];
	}
	return n;
}

static void
t_scan_pieces(void **state)
{
	static uint8_t s[80000];
	struct livemux_scan sc;
	size_t n = make_stream(s, sizeof(s)), piece, off, found;

	(void)state;
	for (piece = 1; piece <= 300; piece += (piece < 12 ? 1 : 37)) {
		memset(&sc, 0, sizeof(sc));
		found = 0;
		for (off = 0; off < n; off += piece)
			found += livemux_scan_feed(&sc, s + off, n - off < piece ? n - off : piece);
		assert_int_equal(found, 3);
		assert_int_equal(sc.have, 0);
		assert_int_equal(sc.left, 0);
	}
	/* Exactly where: the second header is reported by the piece holding its 5th byte. */
	memset(&sc, 0, sizeof(sc));
	off = RECORD_HDR_LEN + 208 + RECORD_HDR_LEN + 1000 + RECORD_HDR_LEN + 17 + RECORD_HDR_LEN + 120;
	assert_int_equal(livemux_scan_feed(&sc, s, off + 4), 1);
	assert_int_equal(livemux_scan_feed(&sc, s + off + 4, 1), 1);
	assert_int_equal(livemux_scan_feed(&sc, s + off + 5, 0), 0);
}

static void
nop_notify(void *arg, int op)
{
	(void)arg;
	(void)op;
}

/* What the mux does: the relay's viewer stream read in arbitrary pieces, every segment start
 * seen by the scanner (so every segment is re-authorized before its chunks go out). */
static void
t_scan_relay(void **state)
{
	static const uint8_t cam[16] = { 9 };
	uint8_t p[300], buf[97];
	struct relay *r = relay_new(1u << 20);
	struct relay_viewer *v;
	struct livemux_scan sc;
	size_t found = 0;
	ssize_t got;
	uint64_t t = 0;
	int seg, k;

	(void)state;
	assert_non_null(r);
	memset(p, REC_SEG_HEADER, sizeof(p));
	assert_int_equal(relay_link_begin(r, cam, 1, 1, 0, 0, &t), 1);
	assert_int_equal(relay_push(r, cam, 1, t, REC_SEG_HEADER, p, 208), 0);
	v = relay_viewer_add(r, cam, 1, nop_notify, NULL, 0);
	assert_non_null(v);
	memset(&sc, 0, sizeof(sc));
	for (seg = 1; seg <= 5; seg++) {
		if (seg > 1) {
			assert_int_equal(relay_link_begin(r, cam, 1, (uint64_t)seg, 0, 0, &t), 1);
			assert_int_equal(relay_push(r, cam, 1, t, REC_SEG_HEADER, p, 208), 0);
		}
		for (k = 0; k < 7; k++)
			assert_int_equal(relay_push(r, cam, 1, t, REC_CHUNK, p,
			    (uint32_t)(17 + k * 40)), 0);
		assert_int_equal(relay_push(r, cam, 1, t, REC_SEG_END, p, 120), 0);
		while ((got = relay_viewer_read(v, buf, sizeof(buf) - (size_t)(seg * 13), 1)) > 0)
			found += livemux_scan_feed(&sc, buf, (size_t)got);
		assert_int_equal(found, (size_t)seg);
	}
	relay_viewer_remove(v);
	relay_free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_parse_ok),
		cmocka_unit_test(t_parse_bad),
		cmocka_unit_test(t_parse_limit),
		cmocka_unit_test(t_hdr),
		cmocka_unit_test(t_scan_pieces),
		cmocka_unit_test(t_scan_relay),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
