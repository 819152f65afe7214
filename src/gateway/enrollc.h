/* enrollc.h - the gateway's side of enrollment (vigil-gateway enroll): its key, the request, the server's answer checked against the typed fingerprint, the files it leaves. */
#ifndef VIGIL_GATEWAY_ENROLLC_H
#define VIGIL_GATEWAY_ENROLLC_H

#include <stddef.h>
#include <stdint.h>
#include "common/enroll.h"
#include "common/segment.h"
#include "common/statement.h"

/*
 * Files in the enrollment directory DIR (all written 0600 and fsync'd):
 *   gateway.key      the Ed25519 secret key, 128 hex (made here when missing)
 *   org.pin          the pinned org root public key, 64 hex and a newline
 *   sigconfig.state  the replay counter of signed configuration (sigconfig.h), seq 0
 *   gateway.json     the local configuration: server, key_file, spool_dir,
 *                    spool_max_bytes, segment_target_ms, no cameras
 * `vigil-gateway run --config DIR/gateway.json` finds org.pin beside the file and runs
 * in signed mode.
 */
#define ENROLLC_KEY_FILE "gateway.key"
#define ENROLLC_PIN_FILE "org.pin"
#define ENROLLC_STATE_FILE "sigconfig.state"
#define ENROLLC_LAST_FILE "sigconfig.last"
#define ENROLLC_CONFIG_FILE "gateway.json"
#define ENROLLC_SPOOL_DIR "spool"
#define ENROLLC_SPOOL_BYTES (UINT64_C(1) << 30)
#define ENROLLC_RESULT_MAX (256u * 1024u)
#define ENROLLC_POLL_MS 1000
#define ENROLLC_WAIT_S 600

struct enrollc_params {
	const char *server;     /* http(s)://host:port */
	const char *code;       /* as typed */
	const char *org;        /* the safety number as typed */
	const char *dir;        /* made 0700 when missing */
	int wait_s;             /* how long to wait for the admin's approval; 0 = ENROLLC_WAIT_S */
	int poll_ms;            /* 0 = ENROLLC_POLL_MS */
};

/* Read a gateway key file (mode 0600, 128 hex, public half consistent). 0 or -1 (logged). */
int enrollc_key_load(const char *path, uint8_t sk[GATEWAY_SK_LEN]);
/* Make a new key file (O_EXCL, 0600, fsync'd). 0 or -1 (logged). */
int enrollc_key_create(const char *path, uint8_t sk[GATEWAY_SK_LEN]);

/* The whole enrollment. On success returns 0 and gw_id (65 bytes) gets the gateway id in
 * hex; on failure a negative value and msg a sentence for the person at the keyboard
 * (never the code or a secret). */
int enrollc_run(const struct enrollc_params *p, char gw_id[2 * GATEWAY_ID_LEN + 1], char *msg,
    size_t msglen);

/* Check the server's result answer {"org_root":hex,"admin_cert":hex|null,"cert":hex}
 * (untrusted bytes) with enroll_finish for this code and these keys. On success root_pk
 * gets the root to pin. 0 or stmt_err, with msg a sentence saying what to do. */
int enrollc_check_result(const struct enroll_code *c, const uint8_t *body, size_t n,
    const uint8_t sign_pk[STMT_KEY_LEN], const uint8_t box_pk[STMT_KEY_LEN], int64_t now_us,
    uint8_t root_pk[STMT_KEY_LEN], char *msg, size_t msglen);

/* Write org.pin, sigconfig.state and gateway.json into dir (absolute). 0 or -1 (msg). */
int enrollc_write_files(const char *dir, const char *server, const uint8_t root_pk[STMT_KEY_LEN],
    char *msg, size_t msglen);

/* Read DIR/org.pin. 0, 1 when there is no such file, -1 when it is damaged (logged). */
int enrollc_pin_load(const char *path, uint8_t root_pk[STMT_KEY_LEN]);

#endif
