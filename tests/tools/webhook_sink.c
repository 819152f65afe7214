/* webhook_sink.c - a webhook receiver for the tests: one line per delivery (X-Vigil-* headers, status answered, body) appended to a file, 503 for the first N requests, exits on SIGTERM. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <microhttpd.h>

#include "common/util.h"

/*
 * usage: webhook_sink --port PORT --out FILE [--fail-first N]
 * Listens on 127.0.0.1:PORT (0: any free port), prints "READY port=N" on stdout, and for
 * each POST appends to FILE:
 *   n=K status=S delivery=D ts=T sig=SIG body=BODY
 * K counts requests from 1; S is what it answered (503 for the first N, then 200). Header
 * values and the body are written as received when they are printable ASCII without
 * spaces (the body may hold spaces); other bytes become '?', so a mangled body fails the
 * test's signature check rather than passing silently.
 */

#define BODY_MAX 4096
#define HDR_MAX 160

struct sink {
	FILE *out;
	long fail_first;
	long count;
};

struct conn {
	size_t len;
	int too_big;
	char body[BODY_MAX + 1];
};

/* Copy s (may be NULL: "-") into out, printable non-space ASCII only. */
static void clean(const char *s, char *out, size_t n)
{
	size_t i;

	if (s == NULL)
		s = "-";
	for (i = 0; s[i] != '\0' && i + 1 < n; i++)
		out[i] = s[i] > ' ' && s[i] < 127 ? s[i] : '?';
	out[i] = '\0';
}

static enum MHD_Result answer(struct MHD_Connection *c, unsigned status)
{
	static char ok[] = "{}";
	struct MHD_Response *r = MHD_create_response_from_buffer(2, ok, MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;

	if (r == NULL)
		return MHD_NO;
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *data, size_t *data_size,
    void **con_cls)
{
	struct sink *s = cls;
	struct conn *k = *con_cls;
	char dl[HDR_MAX], ts[HDR_MAX], sig[HDR_MAX];
	unsigned status;
	size_t i;

	(void)url;
	(void)version;
	if (k == NULL) {
		if ((k = calloc(1, sizeof(*k))) == NULL)
			return MHD_NO;
		*con_cls = k;
		return MHD_YES;
	}
	if (*data_size > 0) {
		if (k->len + *data_size > BODY_MAX)
			k->too_big = 1;
		else {
			memcpy(k->body + k->len, data, *data_size);
			k->len += *data_size;
		}
		*data_size = 0;
		return MHD_YES;
	}
	if (strcmp(method, "POST") != 0)
		return answer(c, 405);
	if (k->too_big)
		return answer(c, 413);
	k->body[k->len] = '\0';
	for (i = 0; i < k->len; i++)
		if (k->body[i] < ' ' || k->body[i] > 126)
			k->body[i] = '?';
	clean(MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Vigil-Delivery"), dl, sizeof(dl));
	clean(MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Vigil-Timestamp"), ts, sizeof(ts));
	clean(MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Vigil-Signature"), sig, sizeof(sig));
	s->count++;
	status = s->count <= s->fail_first ? 503 : 200;
	fprintf(s->out, "n=%ld status=%u delivery=%s ts=%s sig=%s body=%s\n", s->count, status, dl,
	    ts, sig, k->body);
	fflush(s->out);
	return answer(c, status);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)c;
	(void)toe;
	free(*con_cls);
	*con_cls = NULL;
}

int main(int argc, char **argv)
{
	struct sink s = { NULL, 0, 0 };
	struct MHD_Daemon *d = NULL;
	struct sockaddr_in sin;
	const union MHD_DaemonInfo *info;
	const char *out = NULL;
	int64_t port = -1, v;
	sigset_t set;
	int i, sig, ret = 1;

	for (i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--port") == 0 && parse_i64(argv[i + 1], 0, 65535, &v) == 0)
			port = v;
		else if (strcmp(argv[i], "--out") == 0)
			out = argv[i + 1];
		else if (strcmp(argv[i], "--fail-first") == 0 &&
		    parse_i64(argv[i + 1], 0, 1000000, &v) == 0)
			s.fail_first = (long)v;
		else
			break;
	}
	if (i != argc || port < 0 || out == NULL) {
		fprintf(stderr, "usage: webhook_sink --port PORT --out FILE [--fail-first N]\n");
		return 2;
	}
	if ((s.out = fopen(out, "a")) == NULL) {
		fprintf(stderr, "webhook_sink: cannot open the output file\n");
		return 1;
	}
	/* The daemon's thread inherits the mask: only sigwait below takes the signals. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, (uint16_t)port, NULL, NULL,
	    on_request, &s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_END);
	if (d == NULL || (info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)) == NULL) {
		fprintf(stderr, "webhook_sink: cannot listen on 127.0.0.1:%lld\n", (long long)port);
		goto out;
	}
	printf("READY port=%u\n", (unsigned)info->port);
	fflush(stdout);
	while (sigwait(&set, &sig) != 0)
		;
	ret = 0;
out:
	if (d != NULL)
		MHD_stop_daemon(d);
	fclose(s.out);
	return ret;
}
