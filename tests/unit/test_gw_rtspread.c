/* test_gw_rtspread.c - unit tests of the RTSP socket read-ahead: same bytes in the same order, held bytes answer poll, other sockets and threads untouched. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <poll.h>
#include <unistd.h>
#include <sys/socket.h>
#include <cmocka.h>
#include "gateway/rtspread.h"

/* Small pieces come out in order, and bytes written after the read-ahead filled its
 * buffer are returned only once the held ones are used up (so they came from it). */
static void
test_pieces_in_order(void **state)
{
	struct rtspread *r = rtspread_new();
	struct pollfd p;
	uint8_t got[16];
	int sv[2];

	assert_non_null(r);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(write(sv[1], "$\001\000\004abcdef", 10), 10);
	rtspread_enter(r);
	assert_int_equal(recv(sv[0], got, 1, 0), 1);
	assert_int_equal(got[0], '$');
	assert_int_equal(write(sv[1], "XYZ", 3), 3);
	/* Held bytes answer a wait to read at once. */
	p.fd = sv[0];
	p.events = POLLIN;
	p.revents = 0;
	assert_int_equal(poll(&p, 1, 0), 1);
	assert_int_equal(p.revents, POLLIN);
	assert_int_equal(recv(sv[0], got, 3, 0), 3);
	assert_memory_equal(got, "\001\000\004", 3);
	assert_int_equal(recv(sv[0], got, sizeof(got), 0), 6);
	assert_memory_equal(got, "abcdef", 6);
	assert_int_equal(recv(sv[0], got, sizeof(got), 0), 3);
	assert_memory_equal(got, "XYZ", 3);
	/* Nothing held and nothing sent: poll really waits and times out. */
	p.revents = 0;
	assert_int_equal(poll(&p, 1, 20), 0);
	rtspread_leave();
	close(sv[0]);
	close(sv[1]);
	rtspread_free(r);
}

/* While bytes of one socket are held, another socket is read directly; outside
 * enter/leave nothing is buffered; flags other than 0 bypass the buffer. */
static void
test_other_sockets_direct(void **state)
{
	struct rtspread *r = rtspread_new();
	uint8_t got[16];
	int a[2], b[2];

	assert_non_null(r);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, a), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, b), 0);
	assert_int_equal(write(a[1], "0123", 4), 4);
	assert_int_equal(write(b[1], "wxyz", 4), 4);
	rtspread_enter(r);
	assert_int_equal(recv(a[0], got, 1, 0), 1);
	assert_int_equal(recv(b[0], got, 2, 0), 2);
	assert_memory_equal(got, "wx", 2);
	/* A peek is the C library's: it sees the socket, not the held bytes. */
	assert_int_equal(recv(b[0], got, 2, MSG_PEEK), 2);
	assert_memory_equal(got, "yz", 2);
	rtspread_leave();
	/* Outside enter/leave the socket is read directly: b's two bytes are still there. */
	assert_int_equal(recv(b[0], got, 1, 0), 1);
	assert_int_equal(got[0], 'y');
	rtspread_enter(r);
	assert_int_equal(recv(a[0], got, sizeof(got), 0), 3);
	assert_memory_equal(got, "123", 3);
	rtspread_leave();
	close(a[0]);
	close(a[1]);
	close(b[0]);
	close(b[1]);
	rtspread_free(r);
}

/* End of stream and errors pass through unchanged. */
static void
test_eof(void **state)
{
	struct rtspread *r = rtspread_new();
	uint8_t got[4];
	int sv[2];

	assert_non_null(r);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(write(sv[1], "ab", 2), 2);
	close(sv[1]);
	rtspread_enter(r);
	assert_int_equal(recv(sv[0], got, 1, 0), 1);
	assert_int_equal(recv(sv[0], got, 4, 0), 1);
	assert_int_equal(got[0], 'b');
	assert_int_equal(recv(sv[0], got, 4, 0), 0);
	assert_int_equal(recv(-1, got, 4, 0), -1);
	rtspread_leave();
	close(sv[0]);
	rtspread_free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pieces_in_order),
		cmocka_unit_test(test_other_sockets_direct),
		cmocka_unit_test(test_eof),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
