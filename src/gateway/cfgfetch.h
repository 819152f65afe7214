/* cfgfetch.h - an enrolled gateway's signed configuration: fetch it from the server, verify and apply it with sigconfig, keep the last good one. */
#ifndef VIGIL_GATEWAY_CFGFETCH_H
#define VIGIL_GATEWAY_CFGFETCH_H

#include <stddef.h>
#include <stdint.h>
#include "common/segment.h"
#include "common/statement.h"
#include "gateway/config.h"
#include "gateway/sigconfig.h"

/* How often the server is asked (GET /api/v1/gateway/config?after=SEQ). */
#define CFGFETCH_INTERVAL_MS 3000
/* Largest answer read from the server. */
#define CFGFETCH_BODY_MAX (4u * 1024u * 1024u)
/* At most this many admin certs and commands in one answer. */
#define CFGFETCH_CERTS_MAX 128
#define CFGFETCH_COMMANDS_MAX 64
/* Streams an answer's "watched" list may name (live viewers of this gateway's cameras). */
#define CFGFETCH_WATCHED_MAX 512
/* A stream named in an answer counts as watched this long (a missed poll does not stop
 * its live video). */
#define CFGFETCH_WATCH_HOLD_US (10 * 1000000LL)

struct cfgfetch_params {
	const char *server_url;            /* copied */
	const uint8_t *sk;                 /* gateway Ed25519 secret key (copied, wiped) */
	const uint8_t *root_pk;            /* the org root pinned at enrollment */
	const char *state_path;            /* sigconfig's replay counter (copied) */
	const char *last_path;             /* the last accepted configuration (copied) */
	const struct config *local;        /* server, key_file, spool_dir...: must outlive cf */
	int interval_ms;                   /* 0 = CFGFETCH_INTERVAL_MS */
};

struct cfgfetch_stats {
	uint64_t configs_applied;
	uint64_t configs_refused;
	uint64_t commands_applied;
	uint64_t commands_refused;
	uint64_t answers_malformed;
};

struct cfgfetch;

/* Open the verifier (sigconfig) and restore the last good configuration from last_path,
 * re-verified against the pinned root, so a restarted gateway records at once even when
 * the server is unreachable; cfgfetch_take hands it out. Starts no thread. 0 or stmt_err
 * (err gets a message to show). *out is freed with cfgfetch_close. */
int cfgfetch_open(struct cfgfetch **out, const struct cfgfetch_params *p, char *err,
    size_t errlen);
/* Start the thread that polls the server (challenge auth, then the config route). 0/-1. */
int cfgfetch_start(struct cfgfetch *cf);
/* Stop the thread (if started), wipe the keys and free. NULL-safe. */
void cfgfetch_close(struct cfgfetch *cf);

/* Apply one answer of GET /api/v1/gateway/config (untrusted bytes): trust the admin
 * certs the pinned root signed, then apply the config and the commands in seq order
 * with sigconfig. A refused statement is logged (key=value, the reason, never its
 * content) and changes nothing: the last good configuration stays. Returns 1 when a new
 * configuration was accepted (cfgfetch_take hands it out), 0 when none, -1 when the
 * answer is malformed. Called by the polling thread; tests call it directly. */
int cfgfetch_apply(struct cfgfetch *cf, const uint8_t *body, size_t n, int64_t now_us);

/* The newest accepted configuration not yet taken: 1 and *cfg (config_free) and *st,
 * or 0 when there is none. Thread-safe. */
int cfgfetch_take(struct cfgfetch *cf, struct config **cfg, struct sigconfig_settings *st);
/* 1 when an answer received within CFGFETCH_WATCH_HOLD_US before now named (camera,
 * stream) in its "watched" list: someone watches it live, so a paused motion-only stream
 * sends live-only video (liveonly.h). The server's word, trusted for nothing but this: a
 * false "watched" costs upload, a false "not watched" only what the server could withhold
 * anyway. Thread-safe. */
int cfgfetch_watched(struct cfgfetch *cf, const uint8_t camera_id[16], uint8_t stream,
    int64_t now_us);
/* The last accepted seq (configs and commands share it); 0 when none. */
uint64_t cfgfetch_seq(struct cfgfetch *cf);
void cfgfetch_get_stats(struct cfgfetch *cf, struct cfgfetch_stats *st);

#endif
