/* h_static.c - serves the browser console from a fixed file list with strict security headers, and publishes its hashes. */
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "common/buf.h"
#include "common/util.h"
#include "server/h_static.h"
#include "server/http.h"

/*
 * The fixed list is the whole manifest: a URL path is served only if it is one of these
 * route patterns, so no request path ever reaches the file system (no traversal). The
 * files are read once at start-up from the build's web tree (the Makefile copies web/
 * there, adds the libsodium build and writes the SRI hashes into index.html).
 */
struct console_file {
	const char *url;      /* the route pattern in routes.c */
	const char *name;     /* file name inside the web tree */
	const char *mime;
	struct buf data;
	char sha256[2 * crypto_hash_sha256_BYTES + 1];
	char sri[8 + 48];     /* "sha256-" + base64 of 32 bytes (44) + NUL */
	char etag[24];        /* "\"" + 16 hex + "\"" */
	int loaded;
};

#define JS "text/javascript; charset=utf-8"

static struct console_file files[] = {
	{ "/", "index.html", "text/html; charset=utf-8", { 0 }, "", "", "", 0 },
	{ "/style.css", "style.css", "text/css; charset=utf-8", { 0 }, "", "", "", 0 },
	{ "/app.js", "app.js", JS, { 0 }, "", "", "", 0 },
	{ "/api.js", "api.js", JS, { 0 }, "", "", "", 0 },
	{ "/login.js", "login.js", JS, { 0 }, "", "", "", 0 },
	{ "/kdf-worker.js", "kdf-worker.js", JS, { 0 }, "", "", "", 0 },
	{ "/sodium.js", "sodium.js", JS, { 0 }, "", "", "", 0 },
	{ "/keys.js", "keys.js", JS, { 0 }, "", "", "", 0 },
	{ "/records.js", "records.js", JS, { 0 }, "", "", "", 0 },
	{ "/segment.js", "segment.js", JS, { 0 }, "", "", "", 0 },
	{ "/mse.js", "mse.js", JS, { 0 }, "", "", "", 0 },
	{ "/grid.js", "grid.js", JS, { 0 }, "", "", "", 0 },
	{ "/gridpages.js", "gridpages.js", JS, { 0 }, "", "", "", 0 },
	{ "/statements.js", "statements.js", JS, { 0 }, "", "", "", 0 },
	{ "/orgs.js", "orgs.js", JS, { 0 }, "", "", "", 0 },
	{ "/livefeed.js", "livefeed.js", JS, { 0 }, "", "", "", 0 },
	{ "/archive.js", "archive.js", JS, { 0 }, "", "", "", 0 },
	{ "/timeline.js", "timeline.js", JS, { 0 }, "", "", "", 0 },
	{ "/events.js", "events.js", JS, { 0 }, "", "", "", 0 },
	{ "/eventlist.js", "eventlist.js", JS, { 0 }, "", "", "", 0 },
	{ "/pause.js", "pause.js", JS, { 0 }, "", "", "", 0 },
	{ "/player.js", "player.js", JS, { 0 }, "", "", "", 0 },
	{ "/export.js", "export.js", JS, { 0 }, "", "", "", 0 },
	{ "/share.js", "share.js", JS, { 0 }, "", "", "", 0 },
	{ "/shareview.js", "shareview.js", JS, { 0 }, "", "", "", 0 },
	{ "/admin.js", "admin.js", JS, { 0 }, "", "", "", 0 },
	{ "/adminops.js", "adminops.js", JS, { 0 }, "", "", "", 0 },
	{ "/recover.js", "recover.js", JS, { 0 }, "", "", "", 0 },
	{ "/totpsetup.js", "totpsetup.js", JS, { 0 }, "", "", "", 0 },
	/* A share link (/s/ID#K) opens the same page, which shows only the shared clip. */
	{ "/s/{id}", "index.html", "text/html; charset=utf-8", { 0 }, "", "", "", 0 },
	{ "/vendor/libsodium-wrappers.js", "vendor/libsodium-wrappers.js", JS, { 0 }, "", "", "", 0 },
	{ "/vendor/libsodium-sumo.js", "vendor/libsodium-sumo.js", JS, { 0 }, "", "", "", 0 },
};
#define NFILES (sizeof(files) / sizeof(files[0]))

size_t
console_nfiles(void)
{
	return NFILES;
}

int
console_lists(const char *url)
{
	size_t i;

	for (i = 0; url != NULL && i < NFILES; i++)
		if (strcmp(files[i].url, url) == 0)
			return 1;
	return 0;
}

/* Hash one loaded file into its hex digest, SRI string and ETag. */
static void
file_hash(struct console_file *f)
{
	uint8_t h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, f->data.data, f->data.len);
	sodium_bin2hex(f->sha256, sizeof(f->sha256), h, sizeof(h));
	memcpy(f->sri, "sha256-", 7);
	sodium_bin2base64(f->sri + 7, sizeof(f->sri) - 7, h, sizeof(h),
	    sodium_base64_VARIANT_ORIGINAL);
	f->etag[0] = '"';
	memcpy(f->etag + 1, f->sha256, 16);
	f->etag[17] = '"';
	f->etag[18] = '\0';
}

int
console_open(const char *dir)
{
	char path[4096];
	const char *missing = NULL;
	size_t i;
	int n = 0, ret = -1;

	console_close();
	if (dir == NULL)
		return 0;
	for (i = 0; i < NFILES; i++) {
		struct console_file *f = &files[i];

		if (snprintf(path, sizeof(path), "%s/%s", dir, f->name) >= (int)sizeof(path))
			goto out;
		buf_init(&f->data, CONSOLE_FILE_MAX);
		if (file_read(path, &f->data, CONSOLE_FILE_MAX) != 0) {
			/* A tree without the console (no npm ci, no build) is not an error: the
			 * routes answer 404 and the log says why. */
			if (missing == NULL)
				missing = f->name;
			buf_free(&f->data);
			continue;
		}
		file_hash(f);
		f->loaded = 1;
		n++;
	}
	if (missing != NULL)
		log_warn("console", "op=load dir=%s files=%d of=%zu first_missing=%s", dir, n, NFILES,
		    missing);
	else
		log_info("console", "op=load dir=%s files=%d of=%zu", dir, n, NFILES);
	ret = n;
out:
	if (ret < 0)
		console_close();
	return ret;
}

void
console_close(void)
{
	size_t i;

	for (i = 0; i < NFILES; i++) {
		buf_free(&files[i].data);
		files[i].loaded = 0;
	}
}

/* The headers every console response carries, errors included. */
static void
add_security_headers(struct MHD_Response *resp)
{
	MHD_add_response_header(resp, "Content-Security-Policy", CONSOLE_CSP);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	MHD_add_response_header(resp, "Cross-Origin-Opener-Policy", "same-origin");
	MHD_add_response_header(resp, "Cross-Origin-Resource-Policy", "same-origin");
	MHD_add_response_header(resp, "Permissions-Policy",
	    "camera=(), microphone=(), geolocation=(), interest-cohort=()");
}

static const struct console_file *
file_for(const char *pattern)
{
	size_t i;

	for (i = 0; pattern != NULL && i < NFILES; i++)
		if (strcmp(files[i].url, pattern) == 0)
			return files[i].loaded ? &files[i] : NULL;
	return NULL;
}

int
h_static(struct req *rq)
{
	const struct console_file *f = file_for(rq->m.route != NULL ? rq->m.route->pattern : NULL);
	const char *inm;
	struct MHD_Response *resp;
	unsigned status = 200;
	enum MHD_Result r;

	if (f == NULL)
		return http_error(rq, 404, "console not installed", 0);
	inm = http_header(rq, "If-None-Match");
	if (inm != NULL && strcmp(inm, f->etag) == 0) {
		status = 304;
		resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
	} else {
		/* The files stay loaded and unchanged while the daemon runs. */
		resp = MHD_create_response_from_buffer(f->data.len, f->data.data,
		    MHD_RESPMEM_PERSISTENT);
	}
	if (resp == NULL)
		return MHD_NO;
	add_security_headers(resp);
	MHD_add_response_header(resp, "Content-Type", f->mime);
	/* Names carry no hash, so the browser revalidates every time (a cheap 304): a
	 * console update is picked up at once and never mixed with stale modules. */
	MHD_add_response_header(resp, "Cache-Control", "no-cache");
	MHD_add_response_header(resp, "ETag", f->etag);
	r = MHD_queue_response(rq->conn, status, resp);
	MHD_destroy_response(resp);
	rq->responded = 1;
	return r;
}

int
h_console_hashes(struct req *rq)
{
	json_t *list = json_array(), *j;
	size_t i;

	if (list == NULL)
		return http_error(rq, 500, "internal error", 1);
	for (i = 0; i < NFILES; i++) {
		const struct console_file *f = &files[i];

		if (!f->loaded)
			continue;
		if (json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:I}", "path", f->url,
		    "sha256", f->sha256, "integrity", f->sri, "bytes", (json_int_t)f->data.len)) != 0) {
			json_decref(list);
			return http_error(rq, 500, "internal error", 1);
		}
	}
	j = json_pack("{s:o, s:s}", "files", list, "csp", CONSOLE_CSP);
	return http_json(rq, 200, j);
}
