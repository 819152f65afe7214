/* fuzz_motion_config.c - libFuzzer harness for the gateway's detection settings parser. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "gateway/motion.h"
#include "gateway/motion_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct motion_params p;
	struct motion_det *d = NULL;
	char err[256];

	err[0] = '\0';
	if (motion_config_parse(data, size, &p, err, sizeof(err)) == 0) {
		/* Whatever parses must be accepted by the detector. */
		if (motion_params_check(&p) != 0 || motion_det_new(&d, &p) != 0)
			__builtin_trap();
		motion_det_free(d);
	} else if (memchr(err, '\0', sizeof(err)) == NULL || err[0] == '\0') {
		__builtin_trap();
	}
	return 0;
}
