/* config.h - the gateway's JSON configuration: parsed, validated, and handed out read-only. */
#ifndef VIGIL_GATEWAY_CONFIG_H
#define VIGIL_GATEWAY_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include "common/segment.h"
#include "gateway/motion.h"
#include "gateway/recgate.h"

#define CONFIG_MAX_BYTES (256u * 1024u)
#define CONFIG_MAX_CAMERAS 256
#define CONFIG_MAX_STREAMS 4
#define CONFIG_NAME_MAX 64
#define CONFIG_URL_MAX 1024
#define CONFIG_PATH_MAX 1024

struct config_stream {
	uint8_t index;
	char *url;               /* may hold camera credentials: never log it */
};

struct config_camera {
	char name[CONFIG_NAME_MAX + 1];   /* as signed: any UTF-8 text without control bytes */
	char label[CONFIG_NAME_MAX + 1];  /* the name for logs: other bytes than [A-Za-z0-9._-] as '_' */
	uint8_t id[CAMERA_ID_LEN];
	uint32_t epoch;
	uint8_t epoch_pk[EPOCH_PK_LEN];
	size_t nstreams;
	struct config_stream streams[CONFIG_MAX_STREAMS];
	/* The camera's "detection" object (motion_config.h), or motion_params_default()
	 * when it has none (has_detection 0). */
	int has_detection;
	struct motion_params detection;
	/* The camera's "recording" object (recgate.h): continuous unless it says "motion". */
	struct recgate_mode recording;
};

struct config {
	char *server;
	char *key_file;
	char *spool_dir;
	uint64_t spool_max_bytes;
	uint32_t segment_target_ms;
	size_t ncameras;
	struct config_camera *cameras;
};

/* Parse and validate a configuration document of n bytes (not NUL-terminated). On error
 * returns -1 and writes a message naming the offending field into err (never echoing
 * values). *out receives the config, freed with config_free. */
int config_parse(const void *p, size_t n, struct config **out, char *err, size_t errlen);
/* Read a file of at most CONFIG_MAX_BYTES and parse it. 0 or -1 (message in err). */
int config_load(const char *path, struct config **out, char *err, size_t errlen);

/* Options for config_parse_opts / config_load_opts. */
enum {
	/* An enrolled gateway's local file: "cameras" may be missing or empty (the cameras
	 * come from the org's signed configuration). */
	CONFIG_ALLOW_NO_CAMERAS = 1,
};
/* config_parse and config_load with options (a bitwise or of the values above). */
int config_parse_opts(const void *p, size_t n, unsigned opts, struct config **out, char *err,
    size_t errlen);
int config_load_opts(const char *path, unsigned opts, struct config **out, char *err,
    size_t errlen);
void config_free(struct config *c);
/* Recording on motion only with detection off would record nothing, ever: 0 when no camera
 * asks for it, else -1 naming the camera in err. config_parse checks it; sigconfig again
 * once the signed configuration's top-level detection default is applied. */
int config_check_recording(const struct config *c, char *err, size_t errlen);

#endif
