/* keysfile.h - the viewer's keys.json: pinned gateway keys and per-camera epoch keypairs. */
#ifndef VIGIL_CLI_KEYSFILE_H
#define VIGIL_CLI_KEYSFILE_H

#include <stddef.h>
#include <stdint.h>
#include "common/segment.h"

#define KEYS_NAME_MAX 64       /* an org camera's name (STMT_NAME_MAX) */
#define KEYS_FILE_NAME_MAX 63  /* a keys.json camera's name: [A-Za-z0-9._-] */
#define KEYS_MAX_GATEWAYS 64
#define KEYS_MAX_CAMERAS 4096
#define KEYS_MAX_EPOCHS 1024
#define KEYS_FILE_MAX (16u * 1024u * 1024u)

struct keys_epoch {
	uint32_t epoch;
	uint8_t pk[EPOCH_PK_LEN];
	uint8_t sk[EPOCH_SK_LEN];
};

struct keys_camera {
	char name[KEYS_NAME_MAX + 1];
	uint8_t id[CAMERA_ID_LEN];
	size_t nepochs;
	struct keys_epoch *epochs;
	/* restricted: only these of the file's gateways may sign this camera's links (those
	 * certified for a site its signed camera.epoch statements name); else any of them.
	 * In memory only (orgkeysrc.c), never in a keys.json. */
	int restricted;
	size_t ngateways;
	uint8_t (*gateways)[GATEWAY_ID_LEN];
};

struct keysfile {
	size_t ngateways;
	uint8_t (*gateways)[GATEWAY_ID_LEN];
	size_t ncameras;
	struct keys_camera *cameras;
};

/* An empty key set (for building one); NULL when memory is short. */
struct keysfile *keysfile_new(void);
/* Free and wipe; NULL-safe. */
void keysfile_free(struct keysfile *k);

/* Load and validate path: every field present and well-formed, every secret key matching
 * its public key, names and ids unique. *kp receives the set. 0, or -1 with a reason in
 * err naming the file and the field. */
int keysfile_load(const char *path, struct keysfile **kp, char *err, size_t errlen);
/* The same from bytes in memory (what = the name used in error messages). */
int keysfile_parse(const char *json, size_t len, const char *what, struct keysfile **kp,
    char *err, size_t errlen);
/* Write k to path atomically with mode 0600. 0 or -1 (errno set). */
int keysfile_save(const struct keysfile *k, const char *path);

/* Add a gateway key / a camera with one epoch. 0 or -1. */
int keysfile_add_gateway(struct keysfile *k, const uint8_t id[GATEWAY_ID_LEN]);
int keysfile_add_camera(struct keysfile *k, const char *name, const uint8_t id[CAMERA_ID_LEN],
    uint32_t epoch, const uint8_t pk[EPOCH_PK_LEN], const uint8_t sk[EPOCH_SK_LEN]);

/* Lookups; NULL when absent. */
const struct keys_camera *keysfile_camera_by_name(const struct keysfile *k, const char *name);
const struct keys_camera *keysfile_camera_by_id(const struct keysfile *k,
    const uint8_t id[CAMERA_ID_LEN]);
/* 1 when id is one of the pinned gateway keys, else 0. */
int keysfile_has_gateway(const struct keysfile *k, const uint8_t id[GATEWAY_ID_LEN]);
/* Restrict camera c's signers to the gateways given so far with this call (the first call
 * restricts it to id alone). 0, or -1 when memory is short or there are too many. */
int keysfile_camera_allow(struct keys_camera *c, const uint8_t id[GATEWAY_ID_LEN]);
/* 1 when gateway id may sign camera c's links: pinned in k, and allowed for c when c is
 * restricted. */
int keysfile_camera_gateway_ok(const struct keysfile *k, const struct keys_camera *c,
    const uint8_t id[GATEWAY_ID_LEN]);

/* A seg_key_fn over a struct keysfile (ctx): the epoch keypair of any camera in the set. */
int keysfile_seg_key(void *ctx, const uint8_t camera_id[CAMERA_ID_LEN], uint32_t epoch,
    uint8_t pk[EPOCH_PK_LEN], uint8_t sk[EPOCH_SK_LEN]);

#endif
