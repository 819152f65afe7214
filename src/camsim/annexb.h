/* Annex-B elementary stream loader: splits an H.264/H.265 file into access units. */
#ifndef VIGIL_CAMSIM_ANNEXB_H
#define VIGIL_CAMSIM_ANNEXB_H

#include <stddef.h>
#include <stdint.h>

#include <glib.h>

enum annexb_codec {
	ANNEXB_UNKNOWN = 0,
	ANNEXB_H264,
	ANNEXB_H265,
};

/* One access unit: a byte range of the file, start codes included. */
struct annexb_au {
	size_t off;
	size_t len;
	int keyframe;		/* holds an IDR (H.264) or IRAP (H.265) slice */
};

/*
 * A loaded clip. Immutable after annexb_load(), so it may be shared by any number
 * of threads; reference-counted with annexb_clip_ref/unref.
 */
struct annexb_clip {
	enum annexb_codec codec;
	GBytes *data;			/* the whole file */
	struct annexb_au *aus;
	size_t n_aus;
	size_t n_keyframes;
};

/* Largest file accepted, so a wrong path cannot exhaust memory. */
#define ANNEXB_MAX_FILE (1024u * 1024u * 1024u)

/*
 * annexb_split parses data[0..len) into access units. The AUs partition the bytes
 * from the first start code to the end: concatenating them gives the input back.
 * codec may be ANNEXB_UNKNOWN to detect it from the NAL headers. On success
 * returns 0 and hands a g_malloc'd array to *aus (caller g_free's it); returns -1
 * if no start code or no slice is found. Never reads outside data[0..len).
 */
int annexb_split(const uint8_t *data, size_t len, enum annexb_codec *codec,
    struct annexb_au **aus, size_t *n_aus);

/* annexb_codec_from_name guesses the codec from a file name's extension. */
enum annexb_codec annexb_codec_from_name(const char *path);

/*
 * annexb_load reads and splits path. Returns a clip with one reference, or NULL
 * with a one-line reason in *err (g_free'd by the caller).
 */
struct annexb_clip *annexb_load(const char *path, char **err);

struct annexb_clip *annexb_clip_ref(struct annexb_clip *clip);
void annexb_clip_unref(struct annexb_clip *clip);	/* NULL-safe */

const char *annexb_codec_name(enum annexb_codec codec);

#endif
