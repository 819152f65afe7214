/* provision.h - interim key provisioning: camera ids and epoch keys, keys.json, gateway.json, gateway registration. */
#ifndef VIGIL_CLI_PROVISION_H
#define VIGIL_CLI_PROVISION_H

#include <stddef.h>
#include <stdint.h>
#include "common/segment.h"

#define PROVISION_MAX_CAMERAS 256

struct provision_opts {
	const char *data_dir;          /* keys.json and gateway.json go here */
	unsigned ncameras;             /* cam1..camN */
	const char *rtsp_base;         /* rtsp://127.0.0.1:P */
	const char *server;            /* the server URL the gateway uploads to */
	const char *admin_token_file;
	const char *gateway_key;       /* the gateway's key file (128 hex, Ed25519 secret key) */
	const char *spool_dir;
	int main_only;                 /* streams: index 0 only (camsim replay without /sub) */
};

/* Read the gateway id (Ed25519 public key) from a vigil-gateway key file: 128 hex
 * characters of the secret key and an optional newline. The secret is wiped at once.
 * 0, or -1 with a reason in err. */
int provision_gateway_id(const char *path, uint8_t id[GATEWAY_ID_LEN], char *err, size_t errlen);

/* Create (or extend) DATA/keys.json with cam1..camN, each a random 16-byte id and an
 * epoch-1 X25519 keypair (cameras already in keys.json keep their ids and keys, so a
 * second run keeps old footage readable), pin the gateway id, write DATA/gateway.json
 * with public keys only, and register the gateway with the server. 0, or -1 with a
 * reason in err. */
int provision_run(const struct provision_opts *o, char *err, size_t errlen);

#endif
