/* mp4out.h - writes an exported clip as fragmented MP4 files, starting a new file when the init changes. */
#ifndef VIGIL_CLI_MP4OUT_H
#define VIGIL_CLI_MP4OUT_H

#include <stddef.h>
#include <stdint.h>

#define MP4OUT_MAX_PARTS 1000

struct mp4out;

/* An output rooted at path ("clip.mp4"); later parts are "clip-2.mp4", "clip-3.mp4"...
 * Nothing is created before the first mp4out_init. NULL when memory is short or the
 * path is too long. */
struct mp4out *mp4out_new(const char *path);
/* Start (or continue) the current file with this init (codec + ftyp+moov). If it equals
 * the current file's init nothing is written; if it differs, the current file is
 * finished and the next part begins. *new_part (may be NULL) is set to 1 when a file was
 * started. 0 or -1 (errno set). */
int mp4out_init(struct mp4out *m, const char *codec, const uint8_t *init, size_t len,
    int *new_part);
/* Append one media chunk (moof+mdat) to the current file. 0 or -1. */
int mp4out_media(struct mp4out *m, const uint8_t *body, size_t len);
/* Flush and close the current file. 0 or -1. */
int mp4out_finish(struct mp4out *m);
/* Close and delete every file this output created (after a verification failure). */
void mp4out_abort(struct mp4out *m);
/* Files created so far and their paths. */
size_t mp4out_nparts(const struct mp4out *m);
const char *mp4out_part(const struct mp4out *m, size_t i);
void mp4out_free(struct mp4out *m);

#endif
