/* main.c - vigil-server: command line, start-up, the READY line and clean shutdown on SIGTERM/SIGINT. */
#include <arpa/inet.h>
#include <getopt.h>
#include <signal.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <curl/curl.h>
#include <sodium.h>
#include "common/util.h"
#include "server/auth.h"
#include "server/blobpool.h"
#include "server/h_static.h"
#include "server/http.h"
#include "server/audit.h"
#include "server/identity.h"
#include "server/index.h"
#include "server/relay.h"
#include "server/retention.h"
#include "server/routes.h"
#include "server/server.h"
#include "server/shares.h"
#include "server/store.h"
#include "server/syncer.h"
#include "server/webhook.h"

#define ADMIN_TOKEN_MAX 4096
#define PATH_LEN 4096

struct opts {
	char addr[64];
	uint16_t port;
	const char *data;
	const char *token_file;
	int64_t retention_s;
	int64_t quota;
	int64_t quota_grace_s;  /* an org quota below its usage waits this long (default 1 day) */
	int behind_proxy;
	const char *tls_cert;
	const char *tls_key;
	int insecure_test_auth;
	const char *web;      /* the console's built web tree; NULL: next to the binary */
	int64_t fault_disk_bps; /* fault injection: a disk this slow, bytes/s (0: off) */
	const char *metrics_allow; /* a peer IPv4 address that may read /metrics */
	int webhook_private;  /* deliver webhooks to loopback/private addresses (tests) */
	int test_operator_footage; /* the admin token reads footage (tests, loopback only) */
};

/* One descriptor per connection (gateways keep theirs open): raise the soft limit to the
 * hard one, and say how many connections that allows. */
static void
raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur < (rlim_t)HTTP_MAX_CONNECTIONS + 256)
		log_warn("server", "op=fd_limit nofile=%llu connections_max=%u hint=\"raise the "
		    "hard limit (ulimit -Hn) to serve that many connections\"",
		    (unsigned long long)rl.rlim_cur, (unsigned)HTTP_MAX_CONNECTIONS);
}

static void
usage(void)
{
	fprintf(stderr, "usage: vigil-server --listen ADDR:PORT --data DIR --admin-token-file PATH\n"
	    "    [--retention-s N] [--quota-bytes N] [--behind-tls-proxy]\n"
	    "    [--quota-grace-s N (an organization quota below what it holds applies N s after\n"
	    "     it is set; default 86400)]\n"
	    "    [--tls-cert FILE --tls-key FILE] [--insecure-test-auth (tests, loopback only)]\n"
	    "    [--web DIR (the console's build tree; default BINDIR/../web)]\n"
	    "    [--metrics-allow IPV4 (a scraper that may read /metrics without a login)]\n"
	    "    [--webhook-allow-private (tests, loopback only: webhooks to local receivers)]\n"
	    "    [--test-operator-footage (tests of relay and storage, loopback only, not with\n"
	    "     --tls-cert or --behind-tls-proxy: the admin token may read footage routes;\n"
	    "     never in production)]\n"
	    "    [--fault-slow-disk BYTES_PER_S (tests, loopback only: make ingest that slow)]\n"
	    "       vigil-server --print-routes   (one line per route: METHOD PATTERN POLICY ROLES-HEX)\n");
}

/* The name of a route policy, for --print-routes. */
static const char *
policy_name(enum policy p)
{
	switch (p) {
	case POLICY_PUBLIC: return "public";
	case POLICY_ADMIN: return "admin";
	case POLICY_GATEWAY: return "gateway";
	case POLICY_SESSION: return "session";
	case POLICY_OPERATOR: return "operator";
	case POLICY_ORG: return "org";
	case POLICY_CAMERA_VIEW: return "camera_view";
	case POLICY_ENROLL: return "enroll";
	case POLICY_METRICS: return "metrics";
	case POLICY_NONE:
	default: return "none";
	}
}

/* --print-routes: the real route table, one "METHOD PATTERN POLICY ROLES-HEX" line each, so
 * tests/integration/test_authz_matrix.sh can walk every route. */
static int
print_routes(void)
{
	const struct route *t;
	size_t i, n;

	t = routes_table(&n);
	for (i = 0; i < n; i++)
		printf("%s %s %s %08x\n", t[i].method, t[i].pattern, policy_name(t[i].policy),
		    (unsigned)t[i].roles);
	return fflush(stdout) == 0 ? 0 : 1;
}

/* "a.b.c.d:port" into o->addr and o->port. 0 or -1. */
static int
parse_listen(const char *s, struct opts *o)
{
	const char *colon = strrchr(s, ':');
	struct in_addr ia;
	size_t n;
	int64_t port;

	if (colon == NULL || (n = (size_t)(colon - s)) == 0 || n >= sizeof(o->addr))
		return -1;
	memcpy(o->addr, s, n);
	o->addr[n] = '\0';
	if (inet_pton(AF_INET, o->addr, &ia) != 1)
		return -1;
	if (parse_i64(colon + 1, 0, 65535, &port) != 0)
		return -1;
	o->port = (uint16_t)port;
	return 0;
}

static int
is_loopback(const char *addr)
{
	struct in_addr ia;

	if (inet_pton(AF_INET, addr, &ia) != 1)
		return 0;
	return (ntohl(ia.s_addr) >> 24) == 127;
}

static int
parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "data", required_argument, NULL, 'd' },
		{ "admin-token-file", required_argument, NULL, 'a' },
		{ "retention-s", required_argument, NULL, 'r' },
		{ "quota-bytes", required_argument, NULL, 'q' },
		{ "quota-grace-s", required_argument, NULL, 'g' },
		{ "behind-tls-proxy", no_argument, NULL, 'p' },
		{ "tls-cert", required_argument, NULL, 'c' },
		{ "tls-key", required_argument, NULL, 'k' },
		{ "insecure-test-auth", no_argument, NULL, 'T' },
		{ "web", required_argument, NULL, 'w' },
		{ "fault-slow-disk", required_argument, NULL, 'F' },
		{ "metrics-allow", required_argument, NULL, 'M' },
		{ "webhook-allow-private", no_argument, NULL, 'W' },
		{ "test-operator-footage", no_argument, NULL, 'O' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, have_listen = 0;

	memset(o, 0, sizeof(*o));
	o->quota_grace_s = 86400;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'l':
			if (parse_listen(optarg, o) != 0) {
				fprintf(stderr, "vigil-server: --listen wants IPV4:PORT\n");
				return -1;
			}
			have_listen = 1;
			break;
		case 'd':
			o->data = optarg;
			break;
		case 'a':
			o->token_file = optarg;
			break;
		case 'r':
			if (parse_i64(optarg, 0, 100LL * 366 * 24 * 3600, &o->retention_s) != 0) {
				fprintf(stderr, "vigil-server: bad --retention-s\n");
				return -1;
			}
			break;
		case 'q':
			if (parse_i64(optarg, 0, INT64_MAX, &o->quota) != 0) {
				fprintf(stderr, "vigil-server: bad --quota-bytes\n");
				return -1;
			}
			break;
		case 'g':
			if (parse_i64(optarg, 0, 30LL * 86400, &o->quota_grace_s) != 0) {
				fprintf(stderr, "vigil-server: bad --quota-grace-s (0 to 2592000)\n");
				return -1;
			}
			break;
		case 'p':
			o->behind_proxy = 1;
			break;
		case 'c':
			o->tls_cert = optarg;
			break;
		case 'T':
			o->insecure_test_auth = 1;
			break;
		case 'w':
			o->web = optarg;
			break;
		case 'W':
			o->webhook_private = 1;
			break;
		case 'O':
			o->test_operator_footage = 1;
			break;
		case 'M': {
			struct in_addr ia;

			if (strlen(optarg) >= 64 || inet_pton(AF_INET, optarg, &ia) != 1) {
				fprintf(stderr, "vigil-server: --metrics-allow wants an IPv4 address\n");
				return -1;
			}
			o->metrics_allow = optarg;
			break;
		}
		case 'F':
			if (parse_i64(optarg, 1, INT64_MAX, &o->fault_disk_bps) != 0) {
				fprintf(stderr, "vigil-server: bad --fault-slow-disk\n");
				return -1;
			}
			break;
		case 'k':
			o->tls_key = optarg;
			break;
		default:
			return -1;
		}
	}
	if (optind != argc || !have_listen || o->data == NULL || o->token_file == NULL) {
		fprintf(stderr, "vigil-server: --listen, --data and --admin-token-file are required\n");
		return -1;
	}
	if ((o->tls_cert == NULL) != (o->tls_key == NULL)) {
		fprintf(stderr, "vigil-server: --tls-cert and --tls-key go together\n");
		return -1;
	}
	return 0;
}

/* Read the admin token (trailing whitespace trimmed) and keep only its hash. */
static struct auth *
load_admin(const char *path)
{
	struct buf b;
	struct auth *a = NULL;
	size_t n;

	buf_init(&b, ADMIN_TOKEN_MAX);
	if (file_read(path, &b, ADMIN_TOKEN_MAX) != 0) {
		fprintf(stderr, "vigil-server: cannot read the admin token file\n");
		goto out;
	}
	n = b.len;
	while (n > 0 && (b.data[n - 1] == '\n' || b.data[n - 1] == '\r' || b.data[n - 1] == ' ' ||
	    b.data[n - 1] == '\t'))
		n--;
	if (n < 16) {
		fprintf(stderr, "vigil-server: the admin token must be at least 16 characters\n");
		goto out;
	}
	if (memchr(b.data, '\0', n) != NULL) {
		fprintf(stderr, "vigil-server: the admin token must be text\n");
		goto out;
	}
	a = auth_new(b.data, n);
out:
	buf_free(&b);
	return a;
}

/* Accounts, sessions, throttle and the audit log; the audit public key goes to the log. */
static int
open_identity(struct server *srv, const struct opts *o)
{
	struct identity_cfg cfg;
	uint8_t pk[32];
	char hex[65];

	memset(&cfg, 0, sizeof(cfg));
	cfg.data_dir = o->data;
	/* Plain HTTP on loopback is the only case without Secure and the __Host- prefix. */
	cfg.cookie_secure = !(is_loopback(o->addr) && o->tls_cert == NULL && !o->behind_proxy);
	cfg.insecure_test_auth = o->insecure_test_auth;
	if (identity_open(&srv->idn, &cfg) != 0)
		return -1;
	audit_public_key(srv->idn->aud, pk);
	hex_encode(pk, sizeof(pk), hex);
	log_info("server", "op=audit_key key=%s cookie_secure=%d", hex, cfg.cookie_secure);
	return 0;
}

/* Load the console from --web, or from BINDIR/../web (build/bin/../web) when that exists.
 * 0, or -1 when a file is there but unreadable. */
static int
open_console(const char *web, const char *argv0)
{
	char dir[PATH_LEN];
	const char *slash;

	if (web == NULL) {
		slash = strrchr(argv0, '/');
		if (slash == NULL || (size_t)(slash - argv0) + sizeof("/../web") > sizeof(dir))
			return 0;
		memcpy(dir, argv0, (size_t)(slash - argv0));
		memcpy(dir + (slash - argv0), "/../web", sizeof("/../web"));
		if (access(dir, R_OK) != 0)
			return 0;
		web = dir;
	}
	return console_open(web) < 0 ? -1 : 0;
}

int
main(int argc, char **argv)
{
	struct opts o;
	struct server srv;
	struct http *http = NULL;
	struct retention *ret = NULL;
	char path[PATH_LEN];
	sigset_t set;
	uint16_t port = 0;
	int sig, rc = 1;

	memset(&srv, 0, sizeof(srv));
	if (argc == 2 && strcmp(argv[1], "--print-routes") == 0)
		return print_routes();
	if (parse_opts(argc, argv, &o) != 0) {
		usage();
		return 2;
	}
	if (!is_loopback(o.addr) && o.tls_cert == NULL && !o.behind_proxy) {
		fprintf(stderr, "vigil-server: refusing to listen on %s without TLS: pass --tls-cert "
		    "and --tls-key, or --behind-tls-proxy when a TLS proxy fronts this server\n", o.addr);
		return 2;
	}
	if (o.insecure_test_auth && !is_loopback(o.addr)) {
		fprintf(stderr, "vigil-server: --insecure-test-auth is for tests on loopback only\n");
		return 2;
	}
	if (o.test_operator_footage && !is_loopback(o.addr)) {
		fprintf(stderr, "vigil-server: --test-operator-footage is for tests on loopback only\n");
		return 2;
	}
	/* Loopback is also where a production server sits behind its TLS proxy: there the test
	 * mode would let the admin token read every org's footage with no org audit entry. */
	if (o.test_operator_footage && (o.behind_proxy || o.tls_cert != NULL)) {
		fprintf(stderr, "vigil-server: --test-operator-footage is for tests only: refused with "
		    "--behind-tls-proxy or --tls-cert (a server that clients reach)\n");
		return 2;
	}
	if (o.webhook_private && !is_loopback(o.addr)) {
		fprintf(stderr, "vigil-server: --webhook-allow-private is for tests on loopback only\n");
		return 2;
	}
	if (o.fault_disk_bps > 0 && !is_loopback(o.addr)) {
		fprintf(stderr, "vigil-server: --fault-slow-disk is for tests on loopback only\n");
		return 2;
	}
	if (sodium_init() < 0) {
		fprintf(stderr, "vigil-server: libsodium failed to initialise\n");
		return 1;
	}
	/* Before any thread: libcurl (webhook deliveries) initialises its globals here. */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "vigil-server: libcurl failed to initialise\n");
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	raise_fd_limit();
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	srv.retention_s = o.retention_s;
	srv.data_dir = o.data;
	srv.test_operator_footage = o.test_operator_footage;
	if (o.test_operator_footage)
		log_warn("server", "op=test_mode msg=\"the admin token may read footage routes (tests only)\"");
	if (o.metrics_allow != NULL)
		snprintf(srv.metrics_allow, sizeof(srv.metrics_allow), "%s", o.metrics_allow);
	srv.quota_bytes = (uint64_t)o.quota;
	srv.quota_grace_s = o.quota_grace_s;
	if ((srv.au = load_admin(o.token_file)) == NULL)
		return 2;
	if (mkdir_p(o.data, 0700) != 0) {
		fprintf(stderr, "vigil-server: cannot create the data directory\n");
		goto out;
	}
	if (snprintf(path, sizeof(path), "%s/index.db", o.data) >= (int)sizeof(path))
		goto out;
	if (index_open(&srv.ix, path) != 0 || index_blob_seal_all(srv.ix) != 0)
		goto out;
	if (store_open(&srv.st, o.data) != 0)
		goto out;
	if (open_identity(&srv, &o) != 0)
		goto out;
	if ((srv.rl = relay_new(RELAY_WINDOW_BYTES)) == NULL ||
	    (srv.bp = blobpool_new(srv.ix, srv.st)) == NULL)
		goto out;
	if ((srv.sy = syncer_new(srv.ix, srv.bp)) == NULL || syncer_start(srv.sy) != 0)
		goto out;
	if (o.fault_disk_bps > 0) {
		syncer_fault_slow_disk(srv.sy, (uint64_t)o.fault_disk_bps);
		log_warn("server", "op=fault_injection slow_disk_bytes_per_s=%lld",
		    (long long)o.fault_disk_bps);
	}
	/* Finish whatever retention pass a crash interrupted before taking traffic. */
	if (retention_pass(&srv, now_us()) != 0)
		log_warn("server", "op=startup_retention err=failed");
	if (snprintf(path, sizeof(path), "%s/webhooks.db", o.data) >= (int)sizeof(path))
		goto out;
	{
		struct webhook_cfg wc = { path, o.webhook_private, 0, 0 };

		if (webhook_open(&srv.wh, &wc) != 0 || webhook_start(srv.wh) != 0)
			goto out;
	}
	/* Share links live beside the organizations they belong to (accounts.db). */
	if (snprintf(path, sizeof(path), "%s/accounts.db", o.data) >= (int)sizeof(path) ||
	    shares_open(&srv.sh, path) != 0)
		goto out;
	if (open_console(o.web, argv[0]) != 0)
		goto out;
	if (http_start(&http, &srv, o.addr, o.port, o.tls_cert, o.tls_key, &port) != 0)
		goto out;
	if (retention_start(&ret, &srv) != 0)
		goto out;
	log_info("server", "op=listen addr=%s port=%u tls=%d", o.addr, (unsigned)port,
	    o.tls_cert != NULL);
	printf("READY url=%s://%s:%u\n", o.tls_cert != NULL ? "https" : "http", o.addr,
	    (unsigned)port);
	fflush(stdout);

	if (sigwait(&set, &sig) == 0)
		log_info("server", "op=shutdown signal=%d", sig);
	rc = 0;
out:
	if (srv.rl != NULL)
		relay_shutdown(srv.rl);
	/* Settle every queued link (waking its upload) before MHD stops; no upload stays
	 * suspended, and links submitted from now on fail without an ack. */
	syncer_stop(srv.sy);
	if (http != NULL) {
		usleep(100000);
		http_stop(http);
	}
	retention_stop(ret);
	webhook_close(srv.wh);
	shares_close(srv.sh);
	identity_close(srv.idn);
	syncer_free(srv.sy);
	blobpool_free(srv.bp);
	relay_free(srv.rl);
	store_close(srv.st);
	index_close(srv.ix);
	auth_free(srv.au);
	console_close();
	return rc;
}
