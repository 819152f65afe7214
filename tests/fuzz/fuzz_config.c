/* fuzz_config.c - libFuzzer harness for the gateway configuration parser. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "gateway/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config *c = NULL;
	char err[256];

	if (config_parse(data, size, &c, err, sizeof(err)) == 0) {
		/* A config that parses must satisfy the validator's promises. */
		if (c->ncameras == 0 || c->cameras[0].nstreams == 0 || c->server == NULL ||
		    c->key_file[0] != '/' || c->spool_dir[0] != '/')
			__builtin_trap();
		/* Recording on motion only: bounded rolls, never with detection off. */
		for (size_t i = 0; i < c->ncameras; i++) {
			const struct config_camera *k = &c->cameras[i];
			if (k->recording.preroll_ms > RECGATE_PREROLL_MAX_S * 1000u ||
			    k->recording.postroll_ms > RECGATE_POSTROLL_MAX_S * 1000u ||
			    (k->recording.motion_only && !k->detection.enabled))
				__builtin_trap();
		}
		config_free(c);
	} else if (c != NULL || memchr(err, '\0', sizeof(err)) == NULL) {
		__builtin_trap();
	}
	return 0;
}
