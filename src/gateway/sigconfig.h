/* sigconfig.h - the gateway's side of org-signed configuration and commands: verify, refuse replays, open the sealed body into struct config. */
#ifndef VIGIL_GATEWAY_SIGCONFIG_H
#define VIGIL_GATEWAY_SIGCONFIG_H

#include <stddef.h>
#include <stdint.h>
#include "common/statement.h"
#include "gateway/config.h"

/*
 * The sealed body of a gateway.config statement is JSON:
 *   {"cameras":[...as in config.h, stream URLs may carry user:password; each camera may
 *               carry its own "detection" object (motion_config.h: zones, masks,
 *               sensitivity, min_duration_ms, end_hold_ms)...],
 *    "segment_target_ms":2000,            (optional, else the local value)
 *    "retention_days":30,                 (optional, 0..3650, 0 = until quota)
 *    "detection":{"enabled":true,"sensitivity":50}}   (optional, sensitivity 1..100)
 * The top-level "detection" is the default of cameras without their own object (which
 * replaces it whole for that camera); an invalid camera object refuses the configuration
 * (STMT_E_CONFIG). Each returned camera's detection field holds its effective parameters.
 * server, key_file, spool_dir and spool_max_bytes stay local: the org cannot redirect
 * a gateway's uploads or files with a configuration.
 * A gateway.command body is {"command":"name"[,"camera":"32 hex"]}.
 *
 * Configs and commands share one sequence per gateway: each accepted statement must
 * carry a seq above the last one accepted, whoever (root or certified admin) signed it.
 */
#define SIGCONFIG_STATE_LEN 48
#define SIGCONFIG_CMD_MAX 32
#define SIGCONFIG_RETENTION_MAX 3650

struct sigconfig;

/* Settings of a signed configuration that struct config does not carry. */
struct sigconfig_settings {
	uint32_t retention_days;        /* 0 = keep until the quota */
	int detection_given;            /* the top-level "detection" object was present */
	int detection_enabled;          /* 1 when not given */
	uint32_t detection_sensitivity; /* 1..100, 50 when not given */
};

struct sigconfig_command {
	char name[SIGCONFIG_CMD_MAX];   /* [a-z_]{1,31}; the caller decides which it runs */
	int has_camera;
	uint8_t camera_id[CAMERA_ID_LEN];
};

/* Open with the org root pinned at enrollment, the gateway's Ed25519 secret key (its
 * X25519 key is derived from it; both are copied into guarded memory) and the path of
 * the state file that keeps the last accepted seq (missing = nothing accepted yet; one
 * of another org or damaged = STMT_E_IO). *out is freed with sigconfig_close. */
int sigconfig_open(struct sigconfig **out, const uint8_t root_pk[STMT_KEY_LEN],
    const uint8_t gw_sk[GATEWAY_SK_LEN], const char *state_path);
void sigconfig_close(struct sigconfig *sc);

/* Trust an admin key: an admin.cert signed by the pinned root (statement_trust_add). The
 * admins and their highest cert seqs are saved beside the state file (STATE.admins) and
 * loaded by sigconfig_open, so a revocation outlives a restart; STMT_E_IO when they could
 * not be saved (the change holds in memory). */
int sigconfig_trust_admin(struct sigconfig *sc, const uint8_t *cert, size_t n, int64_t now_us);

/* Accept a gateway.config statement: signed by the org (root or certified admin), for
 * this org and this gateway, seq above the last accepted, unexpired; the sealed body
 * opens with this gateway's key and is a valid configuration. On success the seq is
 * persisted (before returning), *out receives the configuration merged with local's
 * server, key_file, spool_dir and spool_max_bytes (config_free), and settings (may be
 * NULL) is filled. On failure nothing changes; err gets a message that never echoes
 * the configuration. 0 or stmt_err. */
int sigconfig_apply_config(struct sigconfig *sc, const uint8_t *p, size_t n, int64_t now_us,
    const struct config *local, struct config **out, struct sigconfig_settings *settings,
    char *err, size_t errlen);

/* Accept a gateway.command statement under the same rules. 0 or stmt_err. */
int sigconfig_apply_command(struct sigconfig *sc, const uint8_t *p, size_t n, int64_t now_us,
    struct sigconfig_command *cmd, char *err, size_t errlen);

/* The last accepted seq; 0 when has is 0 (nothing accepted yet). */
uint64_t sigconfig_last_seq(const struct sigconfig *sc, int *has);

#endif
