/* test_gw_upload.c - the gateway uploader against a small fake ingest server: order, live latency, acks, outage and backfill. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>
#include <ftw.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <cmocka.h>
#include <jansson.h>
#include <microhttpd.h>
#include "common/record.h"
#include "common/segment.h"
#include "common/util.h"
#include "gateway/spool.h"
#include "gateway/uploader.h"

#define MAXSEQ 64

struct keys {
	uint8_t cam[CAMERA_ID_LEN];
	uint8_t epk[EPOCH_PK_LEN], esk[EPOCH_SK_LEN];
	uint8_t gpk[GATEWAY_ID_LEN], gsk[GATEWAY_SK_LEN];
};

/* The fake server: accepts the gateway's signed challenge and stores whole links by seq. */
struct fake {
	struct MHD_Daemon *d;
	uint16_t port;
	pthread_mutex_t mu;
	uint8_t gw_pk[GATEWAY_ID_LEN];
	uint8_t nonce[32];
	int nonce_valid;
	char token[80];
	int token_gen;
	_Atomic int down;              /* answer 503 to everything */
	_Atomic int refuse;            /* answer 403 to ingest */
	int ingests;                   /* ingest requests seen */
	struct buf link[MAXSEQ];       /* stored links */
	int stored[MAXSEQ];
	uint64_t partial[MAXSEQ];      /* bytes of the link seen so far, stored or not */
	uint64_t order[4 * MAXSEQ];    /* seqs in the order they were first stored */
	int order_chunked[4 * MAXSEQ];
	int norder;
	int dups;                      /* whole links received again after being stored */
	int unauth;                    /* 401s sent */
	int sessions;
};

struct conn {
	int route;                     /* 1 challenge, 2 session, 3 ingest */
	int authorized, chunked;
	struct record_parser *rp;
	struct buf json;
	struct buf cur;
	int in_link;
	uint64_t cur_seq;
	uint64_t acked[MAXSEQ];
	int nacked;
	int bad;
};

static struct fake F;

static enum MHD_Result
reply(struct MHD_Connection *c, unsigned code, const char *body)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), (void *)body,
	    MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	MHD_add_response_header(r, "Content-Type", "application/json");
	if (code == 503)
		MHD_add_response_header(r, "Retry-After", "1");
	ret = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return ret;
}

/* A whole link arrived in c->cur: store it unless it is already there. */
static void
link_done(struct conn *c)
{
	pthread_mutex_lock(&F.mu);
	if (c->cur_seq < MAXSEQ) {
		if (!F.stored[c->cur_seq]) {
			buf_init(&F.link[c->cur_seq], 1 << 24);
			buf_put(&F.link[c->cur_seq], c->cur.data, c->cur.len);
			F.stored[c->cur_seq] = 1;
			F.order_chunked[F.norder] = c->chunked;
			F.order[F.norder++] = c->cur_seq;
		} else {
			F.dups++;
		}
		if (c->nacked < MAXSEQ)
			c->acked[c->nacked++] = c->cur_seq;
	}
	pthread_mutex_unlock(&F.mu);
	c->in_link = 0;
	buf_reset(&c->cur);
}

static void
ingest_feed(struct conn *c, const char *data, size_t n)
{
	struct record rec;
	struct seg_header h;
	struct gap g;
	uint8_t hdr[RECORD_HDR_LEN];
	int r;

	if (c->bad || record_parser_feed(c->rp, data, n) != 0) {
		c->bad = 1;
		return;
	}
	while ((r = record_parser_next(c->rp, &rec)) == RECP_RECORD) {
		if (rec.type == REC_SEG_HEADER) {
			if (seg_header_decode(&h, rec.payload, rec.len) != 0) {
				c->bad = 1;
				return;
			}
			buf_reset(&c->cur);
			c->in_link = 1;
			c->cur_seq = h.seq;
		} else if (rec.type == REC_GAP) {
			if (gap_decode(&g, rec.payload, rec.len) != 0) {
				c->bad = 1;
				return;
			}
			buf_reset(&c->cur);
			c->in_link = 1;
			c->cur_seq = g.seq;
		} else if (!c->in_link) {
			c->bad = 1;
			return;
		}
		record_hdr(hdr, rec.type, rec.len);
		buf_put(&c->cur, hdr, sizeof(hdr));
		buf_put(&c->cur, rec.payload, rec.len);
		pthread_mutex_lock(&F.mu);
		if (c->cur_seq < MAXSEQ && c->cur.len > F.partial[c->cur_seq])
			F.partial[c->cur_seq] = c->cur.len;
		pthread_mutex_unlock(&F.mu);
		if (rec.type == REC_SEG_END || rec.type == REC_GAP)
			link_done(c);
	}
	if (r < 0)
		c->bad = 1;
}

static enum MHD_Result
handler(void *cls, struct MHD_Connection *mc, const char *url, const char *method,
    const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct conn *c = *con_cls;
	char tmp[256];
	const char *v;

	if (c == NULL) {
		c = calloc(1, sizeof(*c));
		buf_init(&c->json, 65536);
		buf_init(&c->cur, 1 << 24);
		if (strcmp(url, "/api/v1/gateway/challenge") == 0 && strcmp(method, "GET") == 0)
			c->route = 1;
		else if (strcmp(url, "/api/v1/gateway/session") == 0 && strcmp(method, "POST") == 0)
			c->route = 2;
		else if (strcmp(url, "/api/v1/ingest") == 0 && strcmp(method, "POST") == 0)
			c->route = 3;
		v = MHD_lookup_connection_value(mc, MHD_HEADER_KIND, "Authorization");
		pthread_mutex_lock(&F.mu);
		snprintf(tmp, sizeof(tmp), "Bearer %s", F.token);
		c->authorized = F.token[0] != '\0' && v != NULL && strcmp(v, tmp) == 0;
		pthread_mutex_unlock(&F.mu);
		v = MHD_lookup_connection_value(mc, MHD_HEADER_KIND, "Transfer-Encoding");
		c->chunked = v != NULL && strcmp(v, "chunked") == 0;
		c->rp = record_parser_new(RECORD_MAX_PAYLOAD);
		if (c->route == 3) {
			pthread_mutex_lock(&F.mu);
			F.ingests++;
			pthread_mutex_unlock(&F.mu);
		}
		*con_cls = c;
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		if (c->route == 3 && c->authorized && !F.down && !F.refuse)
			ingest_feed(c, upload_data, *upload_data_size);
		else if (c->route == 2)
			buf_put(&c->json, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (F.down)
		return reply(mc, 503, "{\"error\":\"down\"}");
	if (c->route == 1) {
		char hex[65];

		pthread_mutex_lock(&F.mu);
		randombytes_buf(F.nonce, sizeof(F.nonce));
		F.nonce_valid = 1;
		hex_encode(F.nonce, sizeof(F.nonce), hex);
		pthread_mutex_unlock(&F.mu);
		snprintf(tmp, sizeof(tmp), "{\"nonce\":\"%s\"}", hex);
		return reply(mc, 200, tmp);
	}
	if (c->route == 2) {
		json_t *j = json_loadb((const char *)c->json.data, c->json.len, 0, NULL);
		const char *gid = json_string_value(json_object_get(j, "gateway_id"));
		const char *nonce = json_string_value(json_object_get(j, "nonce"));
		const char *sig = json_string_value(json_object_get(j, "signature"));
		uint8_t pk[32], n[32], s[64], msg[48];
		int ok = 0;

		pthread_mutex_lock(&F.mu);
		if (gid && nonce && sig && hex_decode(gid, pk, 32) == 0 && hex_decode(nonce, n, 32) == 0 &&
		    hex_decode(sig, s, 64) == 0 && memcmp(pk, F.gw_pk, 32) == 0 && F.nonce_valid &&
		    memcmp(n, F.nonce, 32) == 0) {
			memcpy(msg, "vigil-gw-auth-v1", 16);
			memcpy(msg + 16, n, 32);
			ok = crypto_sign_verify_detached(s, msg, sizeof(msg), pk) == 0;
		}
		F.nonce_valid = 0;
		if (ok) {
			snprintf(F.token, sizeof(F.token), "tok-%d-%u", ++F.token_gen, randombytes_random());
			snprintf(tmp, sizeof(tmp), "{\"token\":\"%s\",\"expires_in\":600}", F.token);
			F.sessions++;
		}
		pthread_mutex_unlock(&F.mu);
		json_decref(j);
		return ok ? reply(mc, 200, tmp) : reply(mc, 403, "{\"error\":\"bad signature\"}");
	}
	if (c->route == 3) {
		json_t *arr, *o;
		char *s;
		char hex[2 * CAMERA_ID_LEN + 1];
		enum MHD_Result ret;
		int i;

		if (!c->authorized) {
			pthread_mutex_lock(&F.mu);
			F.unauth++;
			pthread_mutex_unlock(&F.mu);
			return reply(mc, 401, "{\"error\":\"unauthorized\"}");
		}
		if (F.refuse)
			return reply(mc, 403, "{\"error\":\"camera belongs to another gateway\"}");
		if (c->bad)
			return reply(mc, 400, "{\"error\":\"bad records\"}");
		arr = json_array();
		for (i = 0; i < c->nacked; i++) {
			hex_encode(F.link[c->acked[i]].data + RECORD_HDR_LEN + 4, CAMERA_ID_LEN, hex);
			json_array_append_new(arr, json_pack("{s:s,s:i,s:I}", "camera", hex,
			    "stream", 0, "seq", (json_int_t)c->acked[i]));
		}
		o = json_pack("{s:o}", "acked", arr);
		s = json_dumps(o, JSON_COMPACT);
		ret = reply(mc, 200, s);
		free(s);
		json_decref(o);
		return ret;
	}
	return reply(mc, 404, "{\"error\":\"not found\"}");
}

static void
completed(void *cls, struct MHD_Connection *mc, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct conn *c = *con_cls;

	if (c == NULL)
		return;
	record_parser_free(c->rp);
	buf_free(&c->json);
	buf_free(&c->cur);
	free(c);
	*con_cls = NULL;
}

/* Start (or restart, on the same port) the fake server; port 0 picks one. */
static void
fake_start(uint16_t port)
{
	const union MHD_DaemonInfo *di;
	struct sockaddr_in sa;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	F.d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
	    MHD_USE_ERROR_LOG, port, NULL, NULL, handler, NULL,
	    MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
	    MHD_OPTION_LISTENING_ADDRESS_REUSE, 1,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_END);
	assert_non_null(F.d);
	di = MHD_get_daemon_info(F.d, MHD_DAEMON_INFO_BIND_PORT);
	F.port = di->port;
}

static void
fake_init(const struct keys *k)
{
	memset(&F, 0, sizeof(F));
	pthread_mutex_init(&F.mu, NULL);
	memcpy(F.gw_pk, k->gpk, GATEWAY_ID_LEN);
}

static void
fake_free(void)
{
	int i;

	if (F.d != NULL)
		MHD_stop_daemon(F.d);
	F.d = NULL;
	for (i = 0; i < MAXSEQ; i++)
		if (F.stored[i])
			buf_free(&F.link[i]);
}

static int
key_fn(void *ctx, const uint8_t cam[CAMERA_ID_LEN], uint32_t epoch, uint8_t pk[EPOCH_PK_LEN],
    uint8_t sk[EPOCH_SK_LEN])
{
	const struct keys *k = ctx;

	if (memcmp(cam, k->cam, CAMERA_ID_LEN) != 0 || epoch != 1)
		return -1;
	memcpy(pk, k->epk, EPOCH_PK_LEN);
	memcpy(sk, k->esk, EPOCH_SK_LEN);
	return 0;
}

/* The producer: a recorder's view of the spool, one segment at a time. */
struct producer {
	const struct keys *k;
	struct spool_stream *ss;
	uint64_t seq;
	uint8_t prev[CHAIN_HASH_LEN];
};

static void
append_out(struct producer *p, struct buf *out)
{
	assert_int_equal(spool_link_append(p->ss, out->data, out->len), 0);
	buf_reset(out);
}

/* Write one segment of nframes frames, sleeping frame_us between frames. When probe is
 * set, after the frames are spooled but before the segment closes, wait for the server to
 * have received them; returns how long that took (us), else 0. */
static int64_t
produce_segment(struct producer *p, int nframes, int frame_us, int probe)
{
	struct seg_writer *w = NULL;
	struct buf out, plain;
	uint8_t body[2000], next[CHAIN_HASH_LEN];
	int64_t t = 1000000 * (int64_t)p->seq, waited = 0, t0;
	uint64_t spooled;
	int i;

	buf_init(&out, 1 << 20);
	buf_init(&plain, 1 << 20);
	assert_int_equal(spool_link_begin(p->ss, p->seq), 0);
	assert_int_equal(seg_writer_begin(&w, p->k->gsk, p->k->cam, 0, p->seq, t, 1, p->k->epk,
	    p->prev, &out), 0);
	append_out(p, &out);
	chunk_plain_put(&plain, CHUNK_INIT, 0, t, "\x0b" "avc1.64001fftypmoov", 20);
	assert_int_equal(seg_writer_chunk(w, plain.data, plain.len, &out), 0);
	append_out(p, &out);
	spooled = 0;
	for (i = 0; i < nframes; i++) {
		buf_reset(&plain);
		memset(body, 'a' + i % 26, sizeof(body));
		chunk_plain_put(&plain, CHUNK_MEDIA, i == 0, t + i, body, sizeof(body));
		if (frame_us > 0 && i > 0)
			usleep((useconds_t)frame_us);
		assert_int_equal(seg_writer_chunk(w, plain.data, plain.len, &out), 0);
		append_out(p, &out);
	}
	if (probe) {
		assert_int_equal(spool_link_id(p->ss, p->seq, NULL, &spooled), 0);
		t0 = mono_us();
		for (;;) {
			uint64_t got;

			pthread_mutex_lock(&F.mu);
			got = F.partial[p->seq];
			pthread_mutex_unlock(&F.mu);
			if (got >= spooled)
				break;
			assert_true(mono_us() - t0 < 3000000);
			usleep(2000);
		}
		waited = mono_us() - t0;
	}
	assert_int_equal(seg_writer_end(w, t + 999999, &out, next), 0);
	append_out(p, &out);
	assert_int_equal(spool_link_commit(p->ss, p->seq + 1, next, t + 999999), 0);
	memcpy(p->prev, next, CHAIN_HASH_LEN);
	p->seq++;
	seg_writer_free(w);
	buf_free(&out);
	buf_free(&plain);
	return waited;
}

/* Wait until the spool is empty; 0, or -1 after timeout_ms. */
static int
wait_drained(struct spool *s, struct spool_stream *ss, int timeout_ms)
{
	int64_t t0 = mono_us();
	uint64_t seq;
	int open;

	while (mono_us() - t0 < (int64_t)timeout_ms * 1000) {
		if (spool_next(ss, 0, &seq, &open) == 1 && spool_bytes(s) == 0)
			return 0;
		usleep(20000);
	}
	return -1;
}

/* Everything 0..n-1 is stored once, verifies, and chains; backfilled (non-chunked)
 * bodies stored links in increasing order. */
static void
check_server(const struct keys *k, uint64_t n)
{
	struct chain c;
	struct link_info li;
	uint64_t seq, last_back = 0;
	int i, any_back = 0;

	chain_init(&c, k->cam, 0);
	for (seq = 0; seq < n; seq++) {
		assert_true(F.stored[seq]);
		assert_int_equal(seg_open_link(F.link[seq].data, F.link[seq].len, k->gpk, key_fn,
		    (void *)k, NULL, NULL, &li), SEG_OK);
		assert_int_equal(chain_check(&c, &li), SEG_OK);
	}
	assert_int_equal(F.norder, (int)n);
	for (i = 0; i < F.norder; i++) {
		if (F.order_chunked[i])
			continue;
		if (any_back)
			assert_true(F.order[i] > last_back);
		last_back = F.order[i];
		any_back = 1;
	}
}

struct fixture {
	char dir[64];
	struct keys k;
	struct spool *s;
	struct spool_stream *ss;
	struct producer p;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	uint64_t nseq;
	int64_t end;

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/vigil-upload-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	randombytes_buf(f->k.cam, sizeof(f->k.cam));
	crypto_box_keypair(f->k.epk, f->k.esk);
	crypto_sign_keypair(f->k.gpk, f->k.gsk);
	f->s = spool_open(f->dir, 1 << 30);
	if (f->s == NULL || spool_stream_open(f->s, f->k.cam, 0, f->k.gsk, &f->ss, &nseq,
	    f->p.prev, &end) != 0)
		return -1;
	f->p.k = &f->k;
	f->p.ss = f->ss;
	f->p.seq = nseq;
	fake_init(&f->k);
	*state = f;
	return 0;
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	fake_free();
	spool_close(f->s);
	if (nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
		return -1;
	free(f);
	return 0;
}

static void
test_live_and_acks(void **state)
{
	struct fixture *f = *state;
	struct uploader *u;
	char url[64];
	int64_t waited, worst = 0;
	int i;

	fake_start(0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u", (unsigned)F.port);
	u = uploader_start(url, f->k.gsk, f->ss, f->k.cam, 0);
	assert_non_null(u);
	/* Five segments of 10 frames at ~30 fps; each probe checks the frames reached the
	 * server before their segment closed. */
	for (i = 0; i < 5; i++) {
		waited = produce_segment(&f->p, 10, 33000, 1);
		if (i > 0 && waited > worst)
			worst = waited;
	}
	assert_int_equal(wait_drained(f->s, f->ss, 8000), 0);
	uploader_stop(u);
	fprintf(stderr, "# live: worst wait for spooled frames to reach the server %lld us\n",
	    (long long)worst);
	assert_true(worst < 500000);
	check_server(&f->k, 5);
	assert_int_equal(F.dups, 0);
}

static void
test_outage_backfill(void **state)
{
	struct fixture *f = *state;
	struct uploader *u;
	char url[64];
	uint16_t port;
	int i;

	fake_start(0);
	port = F.port;
	snprintf(url, sizeof(url), "http://127.0.0.1:%u", (unsigned)port);
	u = uploader_start(url, f->k.gsk, f->ss, f->k.cam, 0);
	assert_non_null(u);
	for (i = 0; i < 2; i++)
		produce_segment(&f->p, 5, 20000, 0);
	assert_int_equal(wait_drained(f->s, f->ss, 8000), 0);
	/* The server answers 503 for a while, then is not there at all. */
	F.down = 1;
	for (i = 0; i < 3; i++)
		produce_segment(&f->p, 5, 20000, 0);
	MHD_stop_daemon(F.d);
	F.d = NULL;
	for (i = 0; i < 3; i++)
		produce_segment(&f->p, 5, 20000, 0);
	/* Nothing was acked during the outage, so nothing left the spool. */
	assert_true(spool_bytes(f->s) > 0);
	/* Back, with no memory of the old session token (a 401, then a new session). */
	F.down = 0;
	F.token[0] = '\0';
	fake_start(port);
	for (i = 0; i < 2; i++)
		produce_segment(&f->p, 5, 20000, 0);
	assert_int_equal(wait_drained(f->s, f->ss, 15000), 0);
	uploader_stop(u);
	check_server(&f->k, 10);
	fprintf(stderr, "# outage: sessions=%d unauth=%d dups=%d ingests=%d\n", F.sessions,
	    F.unauth, F.dups, F.ingests);
	assert_true(F.sessions >= 2);
	assert_true(F.unauth >= 1);
}

static void
test_refused_backs_off(void **state)
{
	struct fixture *f = *state;
	struct uploader *u;
	char url[64];
	uint64_t seq;
	int i, n, open;

	fake_start(0);
	F.refuse = 1;
	snprintf(url, sizeof(url), "http://127.0.0.1:%u", (unsigned)F.port);
	u = uploader_start(url, f->k.gsk, f->ss, f->k.cam, 0);
	assert_non_null(u);
	for (i = 0; i < 3; i++)
		produce_segment(&f->p, 3, 0, 0);
	usleep(2000000);
	pthread_mutex_lock(&F.mu);
	n = F.ingests;
	pthread_mutex_unlock(&F.mu);
	fprintf(stderr, "# refused: %d ingest requests in 2 s\n", n);
	/* 0.5 + 1 + 2 s of backoff: a handful of attempts, not a hot loop. */
	assert_true(n >= 1 && n <= 8);
	/* Refused links stay in the spool. */
	assert_int_equal(spool_next(f->ss, 0, &seq, &open), 0);
	assert_int_equal(seq, 0);
	F.refuse = 0;
	assert_int_equal(wait_drained(f->s, f->ss, 15000), 0);
	uploader_stop(u);
	check_server(&f->k, 3);
}

static void
test_stop_is_prompt(void **state)
{
	struct fixture *f = *state;
	struct uploader *u;
	char url[64];
	int64_t t0;

	fake_start(0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u", (unsigned)F.port);
	u = uploader_start(url, f->k.gsk, f->ss, f->k.cam, 0);
	assert_non_null(u);
	/* A link stays open (camera stalled): the live body is waiting in the read callback. */
	assert_int_equal(spool_link_begin(f->ss, 0), 0);
	usleep(300000);
	t0 = mono_us();
	uploader_stop(u);
	fprintf(stderr, "# stop took %lld us\n", (long long)(mono_us() - t0));
	assert_true(mono_us() - t0 < 1500000);
	assert_null(uploader_start("", f->k.gsk, f->ss, f->k.cam, 0));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_live_and_acks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outage_backfill, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_backs_off, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_is_prompt, setup, teardown),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
