/* clip.h - verifies a camera stream's chain links in order and writes the decrypted clip (export and verify). */
#ifndef VIGIL_CLI_CLIP_H
#define VIGIL_CLI_CLIP_H

#include <stdint.h>
#include <stdio.h>
#include "cli/keysfile.h"
#include "cli/mp4out.h"
#include "common/segment.h"

/* Errors of the clip beyond the seg_err codes (which it returns as they are). */
#define CLIP_E_IO (-100)   /* the output file could not be written */

/* Largest decrypted plaintext one link may hold in memory before it is verified. */
#define CLIP_MAX_PENDING (512u * 1024u * 1024u)

struct clip_opts {
	const struct keysfile *keys;     /* pinned gateway keys and epoch keys */
	const struct keys_camera *cam;   /* the camera exported (must be in keys) */
	uint8_t stream;
	int64_t from_us, to_us;          /* [from, to) */
	struct mp4out *out;              /* NULL: verify only */
	FILE *report;                    /* gap, truncation and new-file notices; NULL: quiet */
};

struct clip_stats {
	uint64_t links;       /* links verified (segments and gaps) */
	uint64_t segments;    /* segments that contributed frames */
	uint64_t frames;      /* media chunks in range */
	uint64_t gaps;        /* gap links */
	uint64_t truncated;   /* segments closed by a gateway restart */
	int64_t first_us, last_us;   /* wall time of the first and last frame in range (0: none) */
};

struct clip;

/* NULL when memory is short. o is copied; what it points to must outlive the clip. */
struct clip *clip_new(const struct clip_opts *o);
/* Verify one whole link (all its records, as downloaded), check that it continues the
 * chain (the first link only fixes the start), and only then write its frames. Returns
 * SEG_OK, a negative seg_err, or CLIP_E_IO. After an error the clip stays failed. */
int clip_link(struct clip *c, const uint8_t *data, size_t len);
/* Record an error found outside the link bytes (e.g. a truncated download, as
 * SEG_E_INCOMPLETE) for seq. Returns err. */
int clip_fail(struct clip *c, int err, uint64_t seq);
/* Finish the output files. SEG_OK or CLIP_E_IO. */
int clip_finish(struct clip *c);
/* The failing link's seq after an error (or the last link seen). */
uint64_t clip_err_seq(const struct clip *c);
const struct clip_stats *clip_stats(const struct clip *c);
/* seg_strerror, extended with CLIP_E_IO. */
const char *clip_strerror(int err);
/* Free; deletes the output files if the clip failed or was not finished. NULL-safe. */
void clip_free(struct clip *c);

#endif
