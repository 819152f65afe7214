/* main.c - vigil-gateway's command line: keygen, id, and run (recorders and uploaders until a signal). */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <curl/curl.h>
#include <libavformat/avformat.h>
#include <libavutil/log.h>
#include <sodium.h>

#include "common/buf.h"
#include "common/segment.h"
#include "common/util.h"
#include "gateway/config.h"
#include "gateway/recorder.h"
#include "gateway/spool.h"
#include "gateway/uploader.h"

#define KEY_HEX_LEN (2 * GATEWAY_SK_LEN)

static void usage(void)
{
	fprintf(stderr,
	    "usage: vigil-gateway keygen --key PATH\n"
	    "       vigil-gateway id --key PATH\n"
	    "       vigil-gateway run --config PATH\n");
}

/* libav's own messages, as key=value lines; a line holding a URL is withheld because a
 * camera URL may carry credentials. */
static void av_log_cb(void *avcl, int level, const char *fmt, va_list vl)
{
	char line[512];
	int prefix = 1;
	size_t n;

	if (level > AV_LOG_WARNING)
		return;
	av_log_format_line2(avcl, level, fmt, vl, line, sizeof(line), &prefix);
	n = strlen(line);
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	if (strstr(line, "://") != NULL)
		log_msg(level <= AV_LOG_ERROR ? "error" : "warn", "libav", "msg=\"(withheld: names a URL)\"");
	else
		log_msg(level <= AV_LOG_ERROR ? "error" : "warn", "libav", "msg=\"%s\"", line);
}

/* Read and check a key file: 128 lowercase hex characters of an Ed25519 secret key and
 * an optional newline, readable by its owner only. sk must hold GATEWAY_SK_LEN bytes. */
static int key_load(const char *path, uint8_t *sk)
{
	uint8_t pk[GATEWAY_ID_LEN], sk2[GATEWAY_SK_LEN];
	struct stat st;
	struct buf b;
	int ret = -1;

	buf_init(&b, KEY_HEX_LEN + 2);
	if (stat(path, &st) != 0) {
		log_err("gateway", "event=key_unreadable path=%s errno=%d", path, errno);
		goto out;
	}
	if ((st.st_mode & 077) != 0) {
		log_err("gateway", "event=key_mode path=%s msg=\"key file must be mode 0600\"", path);
		goto out;
	}
	if (file_read(path, &b, KEY_HEX_LEN + 2) != 0) {
		log_err("gateway", "event=key_unreadable path=%s", path);
		goto out;
	}
	if (b.len == KEY_HEX_LEN + 1 && b.data[KEY_HEX_LEN] == '\n')
		b.len--;
	if (b.len != KEY_HEX_LEN || buf_put_u8(&b, 0) != 0 ||
	    hex_decode((const char *)b.data, sk, GATEWAY_SK_LEN) != 0) {
		log_err("gateway", "event=key_invalid path=%s msg=\"expected 128 hex characters\"",
		    path);
		goto out;
	}
	/* The secret key is seed || public key: regenerate it from the seed to catch a
	 * damaged file before it signs anything. */
	crypto_sign_seed_keypair(pk, sk2, sk);
	if (sodium_memcmp(sk2, sk, GATEWAY_SK_LEN) != 0) {
		log_err("gateway", "event=key_invalid path=%s msg=\"public half does not match\"", path);
		goto out;
	}
	ret = 0;
out:
	sodium_memzero(sk2, sizeof(sk2));
	if (ret != 0)
		sodium_memzero(sk, GATEWAY_SK_LEN);
	buf_free(&b);
	return ret;
}

static void print_id(const uint8_t *sk)
{
	char hex[2 * GATEWAY_ID_LEN + 1];

	/* The public key is the second half of the secret key. */
	hex_encode(sk + 32, GATEWAY_ID_LEN, hex);
	printf("gateway_id=%s\n", hex);
}

static int cmd_keygen(const char *path)
{
	uint8_t pk[GATEWAY_ID_LEN];
	uint8_t *sk = sodium_malloc(GATEWAY_SK_LEN);
	char *hex = sodium_malloc(KEY_HEX_LEN + 2);
	char *dir = NULL;
	int fd = -1, ret = 1;

	if (sk == NULL || hex == NULL)
		goto out;
	crypto_sign_keypair(pk, sk);
	hex_encode(sk, GATEWAY_SK_LEN, hex);
	hex[KEY_HEX_LEN] = '\n';
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		log_err("gateway", "event=keygen_failed path=%s msg=\"%s\"", path,
		    errno == EEXIST ? "file exists, not overwriting" : strerror(errno));
		goto out;
	}
	if (write(fd, hex, KEY_HEX_LEN + 1) != KEY_HEX_LEN + 1 || fsync(fd) != 0) {
		log_err("gateway", "event=keygen_failed path=%s errno=%d", path, errno);
		close(fd);
		fd = -1;
		unlink(path);
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		unlink(path);
		goto out;
	}
	fd = -1;
	if ((dir = strdup(path)) != NULL)
		fsync_dir(dirname(dir));
	print_id(sk);
	ret = 0;
out:
	free(dir);
	sodium_free(sk);
	sodium_free(hex);
	return ret;
}

static int cmd_id(const char *path)
{
	uint8_t *sk = sodium_malloc(GATEWAY_SK_LEN);
	int ret = 1;

	if (sk == NULL)
		return 1;
	if (key_load(path, sk) == 0) {
		print_id(sk);
		ret = 0;
	}
	sodium_free(sk);
	return ret;
}

struct stream_run {
	struct recorder *rec;
	struct uploader *up;
};

static int cmd_run(const char *cfgpath)
{
	struct config *cfg = NULL;
	struct spool *sp = NULL;
	struct stream_run *runs = NULL;
	size_t nruns = 0, i, j, total = 0;
	uint8_t *sk = sodium_malloc(GATEWAY_SK_LEN);
	char err[256];
	sigset_t set;
	int sig = 0, ret = 1;

	if (sk == NULL)
		goto out;
	if (config_load(cfgpath, &cfg, err, sizeof(err)) != 0) {
		log_err("gateway", "event=config_invalid path=%s msg=\"%s\"", cfgpath, err);
		goto out;
	}
	if (key_load(cfg->key_file, sk) != 0)
		goto out;
	if (mkdir_p(cfg->spool_dir, 0700) != 0 ||
	    (sp = spool_open(cfg->spool_dir, cfg->spool_max_bytes)) == NULL) {
		log_err("gateway", "event=spool_open_failed path=%s", cfg->spool_dir);
		goto out;
	}
	for (i = 0; i < cfg->ncameras; i++)
		total += cfg->cameras[i].nstreams;
	if ((runs = calloc(total, sizeof(*runs))) == NULL)
		goto out;

	/* Threads inherit this mask: only the main thread takes SIGINT and SIGTERM. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	for (i = 0; i < cfg->ncameras; i++) {
		const struct config_camera *cam = &cfg->cameras[i];
		for (j = 0; j < cam->nstreams; j++) {
			struct recorder_params p;
			struct stream_run *run = &runs[nruns];

			memset(&p, 0, sizeof(p));
			p.label = cam->name;
			p.url = cam->streams[j].url;
			p.sk = sk;
			memcpy(p.camera_id, cam->id, CAMERA_ID_LEN);
			p.stream = cam->streams[j].index;
			p.epoch = cam->epoch;
			memcpy(p.epoch_pk, cam->epoch_pk, EPOCH_PK_LEN);
			p.segment_target_ms = cfg->segment_target_ms;
			if (recorder_start(&run->rec, sp, &p) != 0) {
				log_err("gateway", "event=recorder_start_failed camera=%s stream=%u",
				    cam->name, p.stream);
				goto stop;
			}
			nruns++;
			run->up = uploader_start(cfg->server, sk, recorder_spool_stream(run->rec),
			    cam->id, p.stream);
			if (run->up == NULL)
				log_warn("gateway", "event=uploader_start_failed camera=%s stream=%u",
				    cam->name, p.stream);
		}
	}
	log_info("gateway", "event=running streams=%zu", nruns);
	while (sigwait(&set, &sig) != 0)
		;
	log_info("gateway", "event=stopping signal=%d", sig);
	ret = 0;
stop:
	/* Recorders first (each closes and signs its open segment), then the uploaders. */
	for (i = 0; i < nruns; i++)
		recorder_signal(runs[i].rec);
	for (i = 0; i < nruns; i++)
		recorder_stop(runs[i].rec);
	for (i = 0; i < nruns; i++)
		uploader_stop(runs[i].up);
out:
	free(runs);
	spool_close(sp);
	config_free(cfg);
	sodium_free(sk);
	return ret;
}

int main(int argc, char **argv)
{
	int ret;

	if (sodium_init() < 0) {
		fprintf(stderr, "vigil-gateway: libsodium failed to initialise\n");
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	if (argc != 4) {
		usage();
		return 2;
	}
	if (strcmp(argv[1], "keygen") == 0 && strcmp(argv[2], "--key") == 0)
		return cmd_keygen(argv[3]);
	if (strcmp(argv[1], "id") == 0 && strcmp(argv[2], "--key") == 0)
		return cmd_id(argv[3]);
	if (strcmp(argv[1], "run") != 0 || strcmp(argv[2], "--config") != 0) {
		usage();
		return 2;
	}
	av_log_set_callback(av_log_cb);
	avformat_network_init();
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
		fprintf(stderr, "vigil-gateway: libcurl failed to initialise\n");
		return 1;
	}
	ret = cmd_run(argv[3]);
	curl_global_cleanup();
	avformat_network_deinit();
	return ret;
}
