/* http.c - the libmicrohttpd daemon (one epoll thread, suspend/resume) and request dispatch. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include "common/util.h"
#include "server/http.h"
#include "server/metrics.h"
#include "server/jsonbody.h"
#include "server/server.h"

#define TLS_FILE_MAX (64u * 1024u)

struct http {
	struct MHD_Daemon *d;
	struct buf cert, key;
};

int
http_json(struct req *rq, unsigned status, json_t *j)
{
	struct MHD_Response *resp;
	char *s;
	enum MHD_Result r;

	s = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (s == NULL)
		return http_error(rq, 500, "internal error", 1);
	resp = MHD_create_response_from_buffer(strlen(s), s, MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(s);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", "application/json");
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	r = MHD_queue_response(rq->conn, status, resp);
	MHD_destroy_response(resp);
	rq->responded = 1;
	return r;
}

int
http_error(struct req *rq, unsigned status, const char *reason, int close_conn)
{
	struct MHD_Response *resp;
	json_t *j;
	char *s;
	enum MHD_Result r;

	j = json_pack("{s:s}", "error", reason);
	s = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (s == NULL)
		return MHD_NO;
	resp = MHD_create_response_from_buffer(strlen(s), s, MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(s);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", "application/json");
	if (close_conn)
		MHD_add_response_header(resp, "Connection", "close");
	/* Every "try again" answer says when: gateways back off at least this long. */
	if (status == 503 || status == 429)
		MHD_add_response_header(resp, "Retry-After", HTTP_RETRY_AFTER_S);
	r = MHD_queue_response(rq->conn, status, resp);
	MHD_destroy_response(resp);
	rq->responded = 1;
	return r;
}

int
http_fail(struct req *rq, unsigned status, const char *reason)
{
	if (rq->final)
		return http_error(rq, status, reason, 1);
	rq->fail_status = status;
	rq->fail_reason = reason;
	return MHD_YES;
}

const char *
http_header(struct req *rq, const char *name)
{
	return MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, name);
}

const char *
http_query(struct req *rq, const char *name)
{
	return MHD_lookup_connection_value(rq->conn, MHD_GET_ARGUMENT_KIND, name);
}

/* The metrics class of a path: what kind of work it is, never which resource. */
static int
path_class(const char *url)
{
	size_t n = strlen(url);

	if (strncmp(url, "/api/", 5) != 0)
		return MR_STATIC;
	if (strcmp(url, "/api/v1/ingest") == 0)
		return MR_INGEST;
	if (n >= 5 && strcmp(url + n - 5, "/live") == 0)
		return MR_LIVE;
	if (strstr(url, "/segments") != NULL || strstr(url, "/timeline") != NULL)
		return MR_ARCHIVE;
	if (strncmp(url, "/api/v1/auth/", 13) == 0)
		return MR_AUTH;
	return MR_API;
}

static void
req_free(struct req *rq)
{
	if (rq == NULL)
		return;
	/* A live stream lasts as long as someone watches: its length is not a latency. */
	if (rq->mclass != MR_LIVE)
		metrics_observe(MH_REQUEST, (enum metrics_class)rq->mclass, mono_us() - rq->t0_us);
	if (rq->hstate_free != NULL)
		rq->hstate_free(rq->hstate);
	buf_free(&rq->body);
	free(rq);
}

/* 1 when the connection's peer is the IPv4 address addr ("" never matches). */
static int
peer_is(struct MHD_Connection *conn, const char *addr)
{
	const union MHD_ConnectionInfo *ci;
	char peer[INET_ADDRSTRLEN];
	const struct sockaddr_in *sin;

	if (addr == NULL || addr[0] == '\0' ||
	    (ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS)) == NULL ||
	    ci->client_addr == NULL || ci->client_addr->sa_family != AF_INET)
		return 0;
	sin = (const struct sockaddr_in *)(const void *)ci->client_addr;
	if (inet_ntop(AF_INET, &sin->sin_addr, peer, sizeof(peer)) == NULL)
		return 0;
	return strcmp(peer, addr) == 0;
}

/* First call for a request: route, authorize, allocate state. */
static enum MHD_Result
req_begin(struct server *srv, struct MHD_Connection *conn, const char *url, const char *method,
    void **con_cls)
{
	struct req *rq;
	int r;

	if ((rq = calloc(1, sizeof(*rq))) == NULL)
		return MHD_NO;
	rq->srv = srv;
	rq->conn = conn;
	rq->t0_us = mono_us();
	rq->mclass = path_class(url);
	buf_init(&rq->body, JSONBODY_MAX);
	*con_cls = rq;
	r = route_match(method, url, &rq->m);
	if (r == -405)
		return (enum MHD_Result)http_error(rq, 405, "method not allowed", 0);
	if (r != 0)
		return (enum MHD_Result)http_error(rq, 404, "not found", 0);
	/* A configured scraper may read /metrics by its address alone (a private network). */
	if (rq->m.route->policy == POLICY_METRICS && peer_is(conn, srv->metrics_allow)) {
		rq->who.kind = POLICY_METRICS;
		return MHD_YES;
	}
	r = authorize_route(srv, &rq->m,
	    MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION),
	    MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_COOKIE),
	    now_us(), &rq->who);
	if (r == -401)
		return (enum MHD_Result)http_error(rq, 401, "unauthorized", 0);
	/* Foreign organizations and cameras answer exactly like missing ones. */
	if (r == -404)
		return (enum MHD_Result)http_error(rq, 404, "not found", 0);
	if (r != 0)
		return (enum MHD_Result)http_error(rq, 403,
		    rq->who.deny != NULL ? rq->who.deny : "forbidden", 0);
	return MHD_YES;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
    const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct req *rq = *con_cls;
	size_t n = *upload_data_size;

	if (rq == NULL)
		return req_begin(cls, conn, url, method, con_cls);
	if (rq->responded) {
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (rq->fail_status != 0) {
		if (n == 0)
			return (enum MHD_Result)http_error(rq, rq->fail_status, rq->fail_reason, 1);
		*upload_data_size = 0;
		rq->discarded += n;
		return rq->discarded > HTTP_DISCARD_MAX ? MHD_NO : MHD_YES;
	}
	if (n > 0) {
		*upload_data_size = 0;
		switch (rq->m.route->body) {
		case BODY_JSON:
			if (buf_put(&rq->body, upload_data, n) != 0)
				return (enum MHD_Result)http_fail(rq, 413, "body too large");
			return MHD_YES;
		case BODY_STREAM:
			rq->upload = (const uint8_t *)upload_data;
			rq->upload_len = n;
			return (enum MHD_Result)rq->m.route->handler(rq);
		case BODY_NONE:
		default:
			return (enum MHD_Result)http_fail(rq, 400, "unexpected body");
		}
	}
	rq->upload = NULL;
	rq->upload_len = 0;
	rq->final = 1;
	return (enum MHD_Result)rq->m.route->handler(rq);
}

static void
on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	req_free(*con_cls);
	*con_cls = NULL;
}

static void
on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
    enum MHD_ConnectionNotificationCode toe)
{
	metrics_gauge_add(MG_CONNECTIONS, toe == MHD_CONNECTION_NOTIFY_STARTED ? 1 : -1);
}

static void on_log(void *cls, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

static void
on_log(void *cls, const char *fmt, va_list ap)
{
	char msg[256];
	size_t n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '"'))
		msg[--n] = '\0';
	for (size_t i = 0; i < n; i++)
		if (msg[i] == '"' || msg[i] == '\n')
			msg[i] = '\'';
	/* A client that goes away mid-response (a viewer closing a live view, a player seeking
	 * elsewhere) is routine, not a warning. */
	if (strstr(msg, "no longer available") != NULL || strstr(msg, "reset by peer") != NULL ||
	    strstr(msg, "closed by remote peer") != NULL)
		log_info("http", "mhd=\"%s\"", msg);
	else
		log_warn("http", "mhd=\"%s\"", msg);
}

int
http_start(struct http **hp, struct server *srv, const char *addr, uint16_t port,
    const char *tls_cert, const char *tls_key, uint16_t *bound_port)
{
	struct http *h = NULL;
	struct sockaddr_in sin;
	const union MHD_DaemonInfo *info;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
	    MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
	int r = -1;

	*hp = NULL;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1) {
		log_err("http", "op=start err=\"bad IPv4 listen address\"");
		return -1;
	}
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return -1;
	buf_init(&h->cert, TLS_FILE_MAX);
	buf_init(&h->key, TLS_FILE_MAX);
	if (tls_cert != NULL) {
		if (file_read(tls_cert, &h->cert, TLS_FILE_MAX - 1) != 0 ||
		    file_read(tls_key, &h->key, TLS_FILE_MAX - 1) != 0 ||
		    buf_put_u8(&h->cert, 0) != 0 || buf_put_u8(&h->key, 0) != 0) {
			log_err("http", "op=start err=\"cannot read TLS certificate or key\"");
			goto out;
		}
		flags |= MHD_USE_TLS;
	}
	if (tls_cert != NULL)
		h->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, srv,
		    MHD_OPTION_EXTERNAL_LOGGER, on_log, NULL,
		    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin,
		    MHD_OPTION_CONNECTION_LIMIT, (unsigned)HTTP_MAX_CONNECTIONS,
		    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HTTP_CONNECTION_TIMEOUT_S,
		    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_CONN_MEMORY,
		    MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
		    MHD_OPTION_NOTIFY_CONNECTION, on_connection, NULL,
		    MHD_OPTION_HTTPS_MEM_CERT, (const char *)h->cert.data,
		    MHD_OPTION_HTTPS_MEM_KEY, (const char *)h->key.data,
		    MHD_OPTION_END);
	else
		h->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, srv,
		    MHD_OPTION_EXTERNAL_LOGGER, on_log, NULL,
		    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin,
		    MHD_OPTION_CONNECTION_LIMIT, (unsigned)HTTP_MAX_CONNECTIONS,
		    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HTTP_CONNECTION_TIMEOUT_S,
		    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_CONN_MEMORY,
		    MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
		    MHD_OPTION_NOTIFY_CONNECTION, on_connection, NULL,
		    MHD_OPTION_END);
	if (h->d == NULL) {
		log_err("http", "op=start addr=%s port=%u err=\"cannot start daemon\"", addr,
		    (unsigned)port);
		goto out;
	}
	info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
	if (info == NULL || info->port == 0) {
		log_err("http", "op=start err=\"no bound port\"");
		goto out;
	}
	*bound_port = info->port;
	*hp = h;
	h = NULL;
	r = 0;
out:
	http_stop(h);
	return r;
}

void
http_stop(struct http *h)
{
	if (h == NULL)
		return;
	if (h->d != NULL)
		MHD_stop_daemon(h->d);
	buf_free(&h->cert);
	buf_free(&h->key);
	free(h);
}
