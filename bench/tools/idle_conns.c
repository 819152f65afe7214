/* idle_conns.c - benchmark tool: holds N connections to a server, each an authorized upload whose body has begun and then idles, like gateways with nothing to send. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "common/util.h"

#define EXIT_USAGE 2
#define REQ_MAX 1024

/* Write all of p; 0 or -1. */
static int
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sa;
	struct rlimit rl;
	char req[REQ_MAX];
	int64_t port, n, hold, i, open_n = 0, closed = 0;
	int *fds = NULL, rc = 1, len;
	char b;

	if (argc != 5 || parse_i64(argv[1], 1, 65535, &port) != 0 ||
	    parse_i64(argv[2], 1, 100000, &n) != 0 || parse_i64(argv[4], 0, 3600, &hold) != 0 ||
	    strlen(argv[3]) > 256) {
		fprintf(stderr, "usage: idle_conns PORT N TOKEN HOLD_S\n"
		    "  opens N connections to 127.0.0.1:PORT, each sending the head of a chunked\n"
		    "  POST /api/v1/ingest with the gateway session TOKEN, prints 'open n=N', holds\n"
		    "  them HOLD_S seconds, prints how many the server closed, and exits\n");
		return EXIT_USAGE;
	}
	/* One descriptor per connection: raise the soft limit as far as the hard one allows. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	len = snprintf(req, sizeof(req), "POST /api/v1/ingest HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	    "Authorization: Bearer %s\r\nContent-Type: application/octet-stream\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n", argv[3]);
	if (len < 0 || len >= (int)sizeof(req) || (fds = calloc((size_t)n, sizeof(int))) == NULL)
		goto out;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (i = 0; i < n; i++) {
		fds[i] = socket(AF_INET, SOCK_STREAM, 0);
		if (fds[i] < 0 || connect(fds[i], (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
		    write_all(fds[i], req, (size_t)len) != 0) {
			fprintf(stderr, "idle_conns: connection %lld failed: %s\n", (long long)i,
			    strerror(errno));
			if (fds[i] >= 0)
				close(fds[i]);
			fds[i] = -1;
			break;
		}
		open_n++;
	}
	printf("open n=%lld\n", (long long)open_n);
	fflush(stdout);
	sleep((unsigned)hold);
	/* A connection the server closed reads EOF (or an error) at once. */
	for (i = 0; i < open_n; i++) {
		ssize_t r = recv(fds[i], &b, 1, MSG_DONTWAIT);

		if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
			closed++;
	}
	printf("held n=%lld closed_by_server=%lld\n", (long long)open_n, (long long)closed);
	rc = open_n == n ? 0 : 1;
out:
	if (fds != NULL)
		for (i = 0; i < open_n; i++)
			close(fds[i]);
	free(fds);
	return rc;
}
