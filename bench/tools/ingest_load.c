/* ingest_load.c - benchmark load generator: fsync'd disk write rate, sustained server ingest, bench keys. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <sodium.h>

#include "common/buf.h"
#include "common/record.h"
#include "common/segment.h"
#include "common/util.h"

#define EXIT_USAGE 2
#define SEG_PERIOD_US 2000000LL       /* one 2-second segment per camera every 2 s */
#define FPS 25
#define FRAMES_PER_SEG 50              /* 2 s at 25 fps */
#define RESP_MAX (64u * 1024u)         /* JSON answers are at most 64 KiB */
#define LINK_MAX (64u * 1024u * 1024u) /* one posted link, far above 2 s of 100 Mbit/s */
#define OVERRUN_US 10000000LL          /* a thread still behind 10 s after the end gives up */
#define DISK_BLOCK (1024u * 1024u)
#define URL_MAX 512
#define TOKEN_MAX 512

static const char COMP[] = "ingest_load";

/* ---- HTTP helpers (libcurl, one easy handle per thread) ---- */

static size_t
http_sink(char *p, size_t size, size_t nmemb, void *ctx)
{
	struct buf *b = ctx;
	size_t n = size * nmemb;

	if (buf_put(b, p, n) != 0)
		return 0; /* over RESP_MAX: curl aborts the transfer */
	return n;
}

/* One request; body may be NULL (GET). Fills *status and resp (reset first). 0 or -1. */
static int
http_do(CURL *c, const char *url, const char *bearer, const char *ctype, const void *body,
    size_t body_len, long *status, struct buf *resp)
{
	struct curl_slist *hdrs = NULL, *h;
	char line[TOKEN_MAX + 32];
	CURLcode rc;
	int ret = -1;

	buf_reset(resp);
	*status = 0;
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, http_sink);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, resp);
	if ((h = curl_slist_append(hdrs, "Expect:")) == NULL)
		goto out;
	hdrs = h;
	if (bearer != NULL) {
		if ((size_t)snprintf(line, sizeof(line), "Authorization: Bearer %s", bearer) >=
		    sizeof(line))
			goto out;
		if ((h = curl_slist_append(hdrs, line)) == NULL)
			goto out;
		hdrs = h;
	}
	if (body != NULL) {
		if ((size_t)snprintf(line, sizeof(line), "Content-Type: %s", ctype) >= sizeof(line))
			goto out;
		if ((h = curl_slist_append(hdrs, line)) == NULL)
			goto out;
		hdrs = h;
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	rc = curl_easy_perform(c);
	if (rc != CURLE_OK) {
		log_warn(COMP, "event=http_error url=%s err=\"%s\"", url, curl_easy_strerror(rc));
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	ret = 0;
out:
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(hdrs);
	return ret;
}

/* POST a JSON object; on a 2xx answer parse it into *out (caller decrefs). 0 or -1. */
static int
http_json(CURL *c, const char *url, const char *bearer, json_t *req, long *status, json_t **out)
{
	struct buf resp;
	char *body = NULL;
	json_error_t jerr;
	int ret = -1;

	*out = NULL;
	buf_init(&resp, RESP_MAX);
	if (req != NULL && (body = json_dumps(req, JSON_COMPACT)) == NULL)
		goto out;
	if (http_do(c, url, bearer, "application/json", body, body ? strlen(body) : 0, status,
	    &resp) != 0)
		goto out;
	if (*status < 200 || *status > 299) {
		log_warn(COMP, "event=http_status url=%s status=%ld", url, *status);
		goto out;
	}
	if ((*out = json_loadb((const char *)resp.data, resp.len, 0, &jerr)) == NULL) {
		log_warn(COMP, "event=bad_json url=%s", url);
		goto out;
	}
	ret = 0;
out:
	free(body);
	buf_free(&resp);
	return ret;
}

/* ---- disk: raw fsync'd sequential write rate ---- */

static int
cmd_disk(int argc, char **argv)
{
	const char *dir = NULL;
	int64_t mib = 512, t0, t1;
	char path[URL_MAX];
	uint8_t *block = NULL;
	int fd = -1, ch, ret = 1;
	static const struct option lo[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "mib", required_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 },
	};

	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 'd': dir = optarg; break;
		case 'm':
			if (parse_i64(optarg, 1, 1 << 20, &mib) != 0) {
				fprintf(stderr, "ingest_load disk: --mib must be 1..1048576\n");
				return EXIT_USAGE;
			}
			break;
		default: return EXIT_USAGE;
		}
	}
	if (dir == NULL) {
		fprintf(stderr, "usage: ingest_load disk --dir DIR [--mib N]\n");
		return EXIT_USAGE;
	}
	if ((size_t)snprintf(path, sizeof(path), "%s/ingest_load-disk.%ld", dir, (long)getpid()) >=
	    sizeof(path)) {
		fprintf(stderr, "ingest_load disk: directory name too long\n");
		return EXIT_USAGE;
	}
	if ((block = malloc(DISK_BLOCK)) == NULL)
		goto out;
	randombytes_buf(block, DISK_BLOCK);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0) {
		log_err(COMP, "event=open_failed path=%s err=\"%s\"", path, strerror(errno));
		goto out;
	}
	t0 = mono_us();
	for (int64_t i = 0; i < mib; i++) {
		size_t off = 0;
		block[0] = (uint8_t)i; /* not all blocks identical */
		while (off < DISK_BLOCK) {
			ssize_t w = write(fd, block + off, DISK_BLOCK - off);
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0) {
				log_err(COMP, "event=write_failed err=\"%s\"", strerror(errno));
				goto out;
			}
			off += (size_t)w;
		}
		if (fsync(fd) != 0) {
			log_err(COMP, "event=fsync_failed err=\"%s\"", strerror(errno));
			goto out;
		}
	}
	t1 = mono_us();
	printf("disk mib=%" PRId64 " seconds=%.3f mb_s=%.1f\n", mib, (double)(t1 - t0) / 1e6,
	    (double)mib * DISK_BLOCK / ((double)(t1 - t0) / 1e6) / 1e6);
	fflush(stdout);
	ret = 0;
out:
	if (fd >= 0) {
		close(fd);
		unlink(path);
	}
	free(block);
	return ret;
}

/* ---- camkey: a camera id and an epoch public key for a gateway config ---- */

static int
cmd_camkey(void)
{
	uint8_t id[CAMERA_ID_LEN], pk[EPOCH_PK_LEN], sk[EPOCH_SK_LEN];
	char idh[2 * CAMERA_ID_LEN + 1], pkh[2 * EPOCH_PK_LEN + 1];

	randombytes_buf(id, sizeof(id));
	crypto_box_keypair(pk, sk);
	sodium_memzero(sk, sizeof(sk)); /* a benchmark never decrypts what it records */
	hex_encode(id, sizeof(id), idh);
	hex_encode(pk, sizeof(pk), pkh);
	printf("camera_id=%s epoch_pk=%s\n", idh, pkh);
	return 0;
}

/* ---- ingest: sustained upload of signed 2-second segments by N cameras ---- */

struct load {
	const char *server;
	char token[TOKEN_MAX];
	int64_t bitrate;
	int64_t t0_us, t_end_us;   /* monotonic */
	int64_t warm_us;           /* links due before t0_us + warm_us are the warm-up */
	int cameras;
	size_t frame_len;
	uint8_t sk[GATEWAY_SK_LEN];
	uint8_t gw_id[GATEWAY_ID_LEN];
};

struct cam {
	pthread_t th;
	const struct load *ld;
	int index;
	uint8_t id[CAMERA_ID_LEN];
	uint8_t epoch_pk[EPOCH_PK_LEN];
	/* results */
	uint64_t due, posted, acked, errors;
	uint64_t bytes_posted, bytes_acked;
	size_t link_len;   /* every link of a run has this size */
	int64_t last_ack_us; /* monotonic time of the last acknowledgement */
	int64_t *lat_us;   /* one per acked link: from when it was due to its acknowledgement */
	size_t nlat, caplat;
	/* The warm-up's links (each camera's first contact with a fresh server among them):
	 * sent like the others and required to be acknowledged, timed apart. */
	uint64_t warm_due, warm_acked;
	int64_t warm_max_us;
};

/* Builds link seq of this camera into out: SEG_HEADER, init chunk, one chunk per frame,
 * end chunk and signed SEG_END, all real (sealed key, secretstream, signature). */
static int
link_build(struct cam *c, uint64_t seq, const uint8_t prev[CHAIN_HASH_LEN],
    const uint8_t *frame, struct buf *plain, struct buf *out, uint8_t next_prev[CHAIN_HASH_LEN])
{
	static const uint8_t init_body[] = { 11, 'a', 'v', 'c', '1', '.', '6', '4', '0', '0', '1',
		'F', 0, 0, 0, 16, 'f', 't', 'y', 'p', 'i', 's', 'o', 'm', 0, 0, 2, 0 };
	struct seg_writer *w = NULL;
	int64_t t = now_us();
	int ret = -1;

	buf_reset(out);
	if (seg_writer_begin(&w, c->ld->sk, c->id, 0, seq, t, 1, c->epoch_pk, prev, out) != 0)
		goto out;
	buf_reset(plain);
	if (chunk_plain_put(plain, CHUNK_INIT, 0, t, init_body, sizeof(init_body)) != 0 ||
	    seg_writer_chunk(w, plain->data, plain->len, out) != 0)
		goto out;
	for (int i = 0; i < FRAMES_PER_SEG; i++) {
		buf_reset(plain);
		if (chunk_plain_put(plain, CHUNK_MEDIA, i == 0 ? CHUNK_KEYFRAME : 0,
		    t + (int64_t)i * 1000000 / FPS, frame, c->ld->frame_len) != 0 ||
		    seg_writer_chunk(w, plain->data, plain->len, out) != 0)
			goto out;
	}
	if (seg_writer_end(w, t + SEG_PERIOD_US, out, next_prev) != 0)
		goto out;
	ret = 0;
out:
	seg_writer_free(w);
	return ret;
}

/* 1 when the answer's "acked" list names (camera, stream 0, seq), else 0. */
static int
acked_has(const struct buf *resp, const char *cam_hex, uint64_t seq)
{
	json_error_t jerr;
	json_t *root, *list, *it;
	size_t i;
	int found = 0;

	if ((root = json_loadb((const char *)resp->data, resp->len, 0, &jerr)) == NULL)
		return 0;
	list = json_object_get(root, "acked");
	json_array_foreach(list, i, it) {
		const char *cam = json_string_value(json_object_get(it, "camera"));
		json_t *s = json_object_get(it, "stream"), *q = json_object_get(it, "seq");
		if (cam != NULL && strcmp(cam, cam_hex) == 0 && json_is_integer(s) &&
		    json_integer_value(s) == 0 && json_is_integer(q) &&
		    (uint64_t)json_integer_value(q) == seq) {
			found = 1;
			break;
		}
	}
	json_decref(root);
	return found;
}

static void
sleep_until_mono(int64_t t)
{
	int64_t d;

	while ((d = t - mono_us()) > 0) {
		struct timespec ts = { (time_t)(d / 1000000), (long)(d % 1000000) * 1000 };
		nanosleep(&ts, NULL);
	}
}

static void *
cam_run(void *arg)
{
	struct cam *c = arg;
	const struct load *ld = c->ld;
	struct buf plain, link, resp;
	uint8_t prev[CHAIN_HASH_LEN] = { 0 }, next_prev[CHAIN_HASH_LEN];
	char url[URL_MAX], cam_hex[2 * CAMERA_ID_LEN + 1];
	uint8_t *frame = NULL;
	CURL *curl = NULL;
	/* Cameras start spread over one period so their uploads do not all land at once. */
	int64_t offset = SEG_PERIOD_US * c->index / ld->cameras;

	buf_init(&plain, ld->frame_len + 64);
	buf_init(&link, LINK_MAX);
	buf_init(&resp, RESP_MAX);
	hex_encode(c->id, sizeof(c->id), cam_hex);
	if ((size_t)snprintf(url, sizeof(url), "%s/api/v1/ingest", ld->server) >= sizeof(url))
		goto out;
	if ((frame = malloc(ld->frame_len)) == NULL || (curl = curl_easy_init()) == NULL)
		goto out;
	randombytes_buf(frame, ld->frame_len);
	for (uint64_t seq = 0;; seq++) {
		int64_t due = ld->t0_us + offset + (int64_t)seq * SEG_PERIOD_US, t2;
		long status = 0;

		int warm = due < ld->t0_us + ld->warm_us;

		if (due >= ld->t_end_us)
			break;
		if (warm)
			c->warm_due++;
		else
			c->due++;
		if (mono_us() > ld->t_end_us + OVERRUN_US)
			continue; /* hopelessly behind: counted due, never posted, so lost */
		sleep_until_mono(due);
		if (link_build(c, seq, prev, frame, &plain, &link, next_prev) != 0) {
			log_err(COMP, "event=link_build_failed camera=%s seq=%" PRIu64, cam_hex, seq);
			c->errors++;
			continue;
		}
		memcpy(prev, next_prev, sizeof(prev));
		c->link_len = link.len;
		if (!warm) {
			c->posted++;
			c->bytes_posted += link.len;
		}
		if (http_do(curl, url, ld->token, "application/octet-stream", link.data, link.len,
		    &status, &resp) != 0 || status != 200) {
			if (status != 0)
				log_warn(COMP, "event=ingest_refused camera=%s seq=%" PRIu64 " status=%ld",
				    cam_hex, seq, status);
			c->errors++;
			continue;
		}
		t2 = mono_us();
		if (!acked_has(&resp, cam_hex, seq)) {
			log_warn(COMP, "event=not_acked camera=%s seq=%" PRIu64, cam_hex, seq);
			continue;
		}
		c->last_ack_us = t2;
		if (warm) {
			c->warm_acked++;
			if (t2 - due > c->warm_max_us)
				c->warm_max_us = t2 - due;
			continue;
		}
		c->acked++;
		c->bytes_acked += link.len;
		/* Latency counts from the moment the segment closed (its due time), so a camera
		 * whose uploads queue up behind slow answers sees the wait too. */
		if (c->nlat < c->caplat)
			c->lat_us[c->nlat++] = t2 - due;
	}
out:
	if (curl != NULL)
		curl_easy_cleanup(curl);
	free(frame);
	buf_free(&plain);
	buf_free(&link);
	buf_free(&resp);
	return NULL;
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* Registers the load generator's gateway key with the admin token. 0 or -1. */
static int
load_register(CURL *c, struct load *ld, const char *admin)
{
	char url[URL_MAX], idh[2 * GATEWAY_ID_LEN + 1];
	json_t *req = NULL, *ans = NULL;
	long status;
	int ret = -1;

	hex_encode(ld->gw_id, sizeof(ld->gw_id), idh);
	if ((size_t)snprintf(url, sizeof(url), "%s/api/v1/gateways", ld->server) >= sizeof(url))
		goto out;
	if ((req = json_pack("{s:s}", "gateway_id", idh)) == NULL)
		goto out;
	if (http_json(c, url, admin, req, &status, &ans) != 0) {
		log_err(COMP, "event=register_failed status=%ld", status);
		goto out;
	}
	ret = 0;
out:
	json_decref(req);
	json_decref(ans);
	return ret;
}

/* Challenge, signature, session token into ld->token. 0 or -1. */
static int
load_session(CURL *c, struct load *ld)
{
	static const char ctx[] = "vigil-gw-auth-v1"; /* 16 bytes, NUL not signed */
	char url[URL_MAX], idh[2 * GATEWAY_ID_LEN + 1], sigh[2 * SIG_LEN + 1];
	uint8_t msg[16 + 32], sig[SIG_LEN];
	struct buf resp;
	json_error_t jerr;
	json_t *ch = NULL, *req = NULL, *ans = NULL;
	const char *nonce, *tok;
	long status;
	int ret = -1;

	buf_init(&resp, RESP_MAX);
	if ((size_t)snprintf(url, sizeof(url), "%s/api/v1/gateway/challenge", ld->server) >=
	    sizeof(url))
		goto out;
	if (http_do(c, url, NULL, NULL, NULL, 0, &status, &resp) != 0 || status != 200) {
		log_err(COMP, "event=challenge_failed status=%ld", status);
		goto out;
	}
	if ((ch = json_loadb((const char *)resp.data, resp.len, 0, &jerr)) == NULL ||
	    (nonce = json_string_value(json_object_get(ch, "nonce"))) == NULL ||
	    hex_decode(nonce, msg + 16, 32) != 0) {
		log_err(COMP, "event=bad_challenge");
		goto out;
	}
	memcpy(msg, ctx, 16);
	crypto_sign_detached(sig, NULL, msg, sizeof(msg), ld->sk);
	hex_encode(sig, sizeof(sig), sigh);
	hex_encode(ld->gw_id, sizeof(ld->gw_id), idh);
	if ((size_t)snprintf(url, sizeof(url), "%s/api/v1/gateway/session", ld->server) >=
	    sizeof(url))
		goto out;
	if ((req = json_pack("{s:s,s:s,s:s}", "gateway_id", idh, "nonce", nonce, "signature",
	    sigh)) == NULL)
		goto out;
	if (http_json(c, url, NULL, req, &status, &ans) != 0 ||
	    (tok = json_string_value(json_object_get(ans, "token"))) == NULL ||
	    strlen(tok) >= sizeof(ld->token)) {
		log_err(COMP, "event=session_failed status=%ld", status);
		goto out;
	}
	memcpy(ld->token, tok, strlen(tok) + 1);
	ret = 0;
out:
	json_decref(ch);
	json_decref(req);
	json_decref(ans);
	buf_free(&resp);
	return ret;
}

/* Reads the admin token (first line of the file) into out. 0 or -1. */
static int
token_read(const char *path, char *out, size_t n)
{
	struct buf b;
	size_t len;
	int ret = -1;

	buf_init(&b, 4096);
	if (file_read(path, &b, 4096) != 0) {
		log_err(COMP, "event=token_read_failed path=%s err=\"%s\"", path, strerror(errno));
		goto out;
	}
	for (len = 0; len < b.len && b.data[len] != '\n' && b.data[len] != '\r'; len++)
		;
	if (len == 0 || len >= n) {
		log_err(COMP, "event=bad_token_file path=%s", path);
		goto out;
	}
	memcpy(out, b.data, len);
	out[len] = '\0';
	ret = 0;
out:
	buf_free(&b);
	return ret;
}

static int
cmd_ingest(int argc, char **argv)
{
	struct load ld;
	struct cam *cams = NULL;
	const char *token_file = NULL;
	char admin[TOKEN_MAX];
	int64_t cameras = 8, duration = 30, bitrate = 3000000, warmup = 0, warm_max = 0;
	uint64_t warm_due = 0, warm_acked = 0;
	int64_t *lat = NULL;
	size_t nlat = 0, started = 0;
	uint64_t due = 0, posted = 0, acked = 0, errors = 0, boffered = 0, backed = 0;
	struct rusage ru;
	CURL *curl = NULL;
	double secs, cpu;
	int64_t last_ack;
	int ch, ret = 1;
	static const struct option lo[] = {
		{ "server", required_argument, NULL, 's' },
		{ "admin-token-file", required_argument, NULL, 'a' },
		{ "cameras", required_argument, NULL, 'n' },
		{ "duration", required_argument, NULL, 'd' },
		{ "bitrate", required_argument, NULL, 'b' },
		{ "warmup", required_argument, NULL, 'w' },
		{ NULL, 0, NULL, 0 },
	};

	memset(&ld, 0, sizeof(ld));
	admin[0] = '\0';
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 's': ld.server = optarg; break;
		case 'a': token_file = optarg; break;
		case 'n':
			if (parse_i64(optarg, 1, 4096, &cameras) != 0) {
				fprintf(stderr, "ingest_load ingest: --cameras must be 1..4096\n");
				return EXIT_USAGE;
			}
			break;
		case 'd':
			if (parse_i64(optarg, 2, 3600, &duration) != 0) {
				fprintf(stderr, "ingest_load ingest: --duration must be 2..3600 s\n");
				return EXIT_USAGE;
			}
			break;
		case 'b':
			if (parse_i64(optarg, 8 * FPS * 8, 100000000, &bitrate) != 0) {
				fprintf(stderr, "ingest_load ingest: --bitrate must be 1600..100000000\n");
				return EXIT_USAGE;
			}
			break;
		case 'w':
			if (parse_i64(optarg, 0, 600, &warmup) != 0) {
				fprintf(stderr, "ingest_load ingest: --warmup must be 0..600 s\n");
				return EXIT_USAGE;
			}
			break;
		default: return EXIT_USAGE;
		}
	}
	if (ld.server == NULL || token_file == NULL) {
		fprintf(stderr, "usage: ingest_load ingest --server URL --admin-token-file F "
		    "[--cameras N] [--duration S] [--bitrate BPS] [--warmup S]\n");
		return EXIT_USAGE;
	}
	if (token_read(token_file, admin, sizeof(admin)) != 0)
		goto out;
	ld.cameras = (int)cameras;
	ld.bitrate = bitrate;
	/* One frame's chunk body: bitrate/8 bytes per second spread over FPS frames. */
	ld.frame_len = (size_t)(bitrate / 8 / FPS);
	crypto_sign_keypair(ld.gw_id, ld.sk);
	if ((curl = curl_easy_init()) == NULL)
		goto out;
	if (load_register(curl, &ld, admin) != 0 || load_session(curl, &ld) != 0)
		goto out;
	/* Close this connection: the cameras' own connections may reach the server's limit. */
	curl_easy_cleanup(curl);
	curl = NULL;
	if ((cams = calloc((size_t)cameras, sizeof(*cams))) == NULL)
		goto out;
	/* The measured window starts after the warm-up: t0 + warm .. t_end. */
	ld.t0_us = mono_us() + 200000;
	ld.warm_us = warmup * 1000000;
	ld.t_end_us = ld.t0_us + ld.warm_us + duration * 1000000;
	for (int i = 0; i < cameras; i++) {
		struct cam *c = &cams[i];
		uint8_t esk[EPOCH_SK_LEN];

		c->ld = &ld;
		c->index = i;
		randombytes_buf(c->id, sizeof(c->id));
		crypto_box_keypair(c->epoch_pk, esk);
		sodium_memzero(esk, sizeof(esk));
		c->caplat = (size_t)(duration * 1000000 / SEG_PERIOD_US) + 2;
		if ((c->lat_us = calloc(c->caplat, sizeof(int64_t))) == NULL)
			goto join;
		if (pthread_create(&c->th, NULL, cam_run, c) != 0) {
			log_err(COMP, "event=thread_failed index=%d", i);
			goto join;
		}
		started++;
	}
join:
	for (size_t i = 0; i < started; i++)
		pthread_join(cams[i].th, NULL);
	if (started != (size_t)cameras)
		goto out;
	/* Acked MB/s is over the time until the last acknowledgement, which passes the
	 * window's end when the server falls behind. */
	last_ack = ld.t_end_us;
	for (int i = 0; i < cameras; i++)
		if (cams[i].last_ack_us > last_ack)
			last_ack = cams[i].last_ack_us;
	secs = (double)duration;
	for (int i = 0; i < cameras; i++) {
		due += cams[i].due;
		posted += cams[i].posted;
		acked += cams[i].acked;
		errors += cams[i].errors;
		/* Offered: every link due in the window, posted or not (all have one size). */
		boffered += cams[i].due * cams[i].link_len;
		backed += cams[i].bytes_acked;
		nlat += cams[i].nlat;
		warm_due += cams[i].warm_due;
		warm_acked += cams[i].warm_acked;
		if (cams[i].warm_max_us > warm_max)
			warm_max = cams[i].warm_max_us;
	}
	if ((lat = calloc(nlat + 1, sizeof(int64_t))) == NULL)
		goto out;
	nlat = 0;
	for (int i = 0; i < cameras; i++) {
		memcpy(lat + nlat, cams[i].lat_us, cams[i].nlat * sizeof(int64_t));
		nlat += cams[i].nlat;
	}
	qsort(lat, nlat, sizeof(int64_t), cmp_i64);
	getrusage(RUSAGE_SELF, &ru);
	cpu = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	    ru.ru_stime.tv_usec / 1e6;
	printf("result cameras=%d duration_s=%" PRId64 " bitrate=%" PRId64 " links_due=%" PRIu64
	    " posted=%" PRIu64 " acked=%" PRIu64 " lost=%" PRIu64 " errors=%" PRIu64
	    " offered_mb_s=%.2f acked_mb_s=%.2f p50_ms=%.1f p99_ms=%.1f max_ms=%.1f gen_cpu_s=%.2f"
	    " warmup_s=%" PRId64 " warm_due=%" PRIu64 " warm_lost=%" PRIu64 " warm_max_ms=%.1f\n",
	    ld.cameras, duration, bitrate, due, posted, acked, due - acked, errors,
	    (double)boffered / secs / 1e6,
	    (double)backed / ((double)(last_ack - ld.t0_us - ld.warm_us) / 1e6) / 1e6,
	    nlat ? (double)lat[(nlat - 1) * 50 / 100] / 1e3 : -1.0,
	    nlat ? (double)lat[(nlat - 1) * 99 / 100] / 1e3 : -1.0,
	    nlat ? (double)lat[nlat - 1] / 1e3 : -1.0, cpu, warmup, warm_due, warm_due - warm_acked,
	    (double)warm_max / 1e3);
	fflush(stdout);
	ret = 0;
out:
	if (cams != NULL) {
		for (int i = 0; i < cameras; i++)
			free(cams[i].lat_us);
		free(cams);
	}
	free(lat);
	if (curl != NULL)
		curl_easy_cleanup(curl);
	sodium_memzero(ld.sk, sizeof(ld.sk));
	sodium_memzero(ld.token, sizeof(ld.token));
	sodium_memzero(admin, sizeof(admin));
	return ret;
}

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: ingest_load disk --dir DIR [--mib 512]\n"
	    "         write MiB blocks with fsync after each into DIR; prints 'disk ... mb_s=X'\n"
	    "       ingest_load ingest --server URL --admin-token-file F [--cameras 8]\n"
	    "           [--duration 30] [--bitrate 3000000]\n"
	    "         register a fresh gateway key, open a session, then per camera post one\n"
	    "         signed, encrypted 2-second segment every 2 s; prints 'result ...'\n"
	    "       ingest_load camkey\n"
	    "         print 'camera_id=<32 hex> epoch_pk=<64 hex>' for a gateway config\n");
}

int
main(int argc, char **argv)
{
	int ret;

	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(stdout);
		return 0;
	}
	if (sodium_init() < 0) {
		fprintf(stderr, "ingest_load: sodium_init failed\n");
		return 1;
	}
	if (strcmp(argv[1], "disk") == 0)
		return cmd_disk(argc - 1, argv + 1);
	if (strcmp(argv[1], "camkey") == 0)
		return cmd_camkey();
	if (strcmp(argv[1], "ingest") == 0) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
			fprintf(stderr, "ingest_load: curl_global_init failed\n");
			return 1;
		}
		ret = cmd_ingest(argc - 1, argv + 1);
		curl_global_cleanup();
		return ret;
	}
	usage(stderr);
	return EXIT_USAGE;
}
