/* Annex-B elementary stream loader: splits an H.264/H.265 file into access units. */
#include "camsim/annexb.h"

#include <string.h>

/*
 * find_start_code returns the offset of the next "00 00 01" at or after from, or
 * len if none. *sc_begin gets where the start code begins, one byte earlier for a
 * four-byte "00 00 00 01".
 */
static size_t
find_start_code(const uint8_t *d, size_t len, size_t from, size_t *sc_begin)
{
	size_t i;

	for (i = from; i + 3 <= len; i++) {
		if (d[i] == 0 && d[i + 1] == 0 && d[i + 2] == 1) {
			*sc_begin = (i > from && d[i - 1] == 0) ? i - 1 : i;
			return i;
		}
	}
	*sc_begin = len;
	return len;
}

/* detect_codec looks at one NAL header and says which codec it must be, if any. */
static enum annexb_codec
detect_codec(const uint8_t *h, size_t n)
{
	unsigned t264, t265;

	if (n < 2 || (h[0] & 0x80) != 0)
		return ANNEXB_UNKNOWN;
	t265 = (h[0] >> 1) & 0x3f;
	if (t265 >= 32 && t265 <= 35 && h[1] == 0x01)
		return ANNEXB_H265;
	t264 = h[0] & 0x1f;
	if (t264 == 7 || t264 == 9)
		return ANNEXB_H264;
	return ANNEXB_UNKNOWN;
}

struct nal_class {
	int vcl;		/* a coded slice */
	int first_slice;	/* ...which is the first of its picture */
	int prefix;		/* a non-VCL NAL that can only precede a picture */
	int aud;
	int key;
};

/* classify reads what the AU splitter needs from NAL header bytes h[0..n). */
static struct nal_class
classify(enum annexb_codec codec, const uint8_t *h, size_t n)
{
	struct nal_class c = { 0, 0, 0, 0, 0 };
	unsigned t;

	if (n < 1)
		return c;
	if (codec == ANNEXB_H264) {
		t = h[0] & 0x1f;
		if (t >= 1 && t <= 5) {
			c.vcl = 1;
			/* first_mb_in_slice is ue(v): value 0 is the single bit '1'. */
			c.first_slice = n >= 2 && (h[1] & 0x80) != 0;
			c.key = t == 5;
		}
		c.aud = t == 9;
		c.prefix = t == 6 || t == 7 || t == 8 || t == 9 ||
		    (t >= 14 && t <= 18);
	} else {
		t = (h[0] >> 1) & 0x3f;
		if (t <= 31) {
			c.vcl = 1;
			c.first_slice = n >= 3 && (h[2] & 0x80) != 0;
			c.key = t >= 16 && t <= 21;
		}
		c.aud = t == 35;
		c.prefix = (t >= 32 && t <= 35) || t == 39 ||
		    (t >= 41 && t <= 44) || (t >= 48 && t <= 55);
	}
	return c;
}

int
annexb_split(const uint8_t *data, size_t len, enum annexb_codec *codec,
    struct annexb_au **aus, size_t *n_aus)
{
	GArray *arr = NULL;
	struct annexb_au au = { 0, 0, 0 };
	size_t sc, begin, first_begin, next_sc, next_begin, hdr, nal_end;
	int have_au = 0, seen_vcl = 0, n_vcl = 0, rc = -1;

	*aus = NULL;
	*n_aus = 0;
	arr = g_array_new(FALSE, FALSE, sizeof(struct annexb_au));
	sc = find_start_code(data, len, 0, &begin);
	if (sc == len)
		goto out;
	first_begin = begin;

	for (; sc < len; sc = next_sc, begin = next_begin) {
		struct nal_class c;
		int new_au;

		hdr = sc + 3;
		next_sc = find_start_code(data, len, hdr, &next_begin);
		nal_end = next_begin;
		if (*codec == ANNEXB_UNKNOWN)
			*codec = detect_codec(data + hdr, nal_end - hdr);
		if (*codec == ANNEXB_UNKNOWN)
			continue;	/* skipped NALs stay inside the current AU */
		c = classify(*codec, data + hdr, nal_end - hdr);

		new_au = !have_au;
		if (have_au && seen_vcl &&
		    (c.aud || c.prefix || (c.vcl && c.first_slice)))
			new_au = 1;
		if (new_au) {
			if (have_au) {
				au.len = begin - au.off;
				g_array_append_val(arr, au);
			}
			/* The first AU also holds any bytes skipped above. */
			au.off = have_au ? begin : first_begin;
			au.len = 0;
			au.keyframe = 0;
			have_au = 1;
			seen_vcl = 0;
		}
		if (c.vcl) {
			seen_vcl = 1;
			n_vcl++;
			au.keyframe |= c.key;
		}
	}
	if (!have_au || n_vcl == 0)
		goto out;
	au.len = len - au.off;
	g_array_append_val(arr, au);

	*n_aus = arr->len;
	*aus = (struct annexb_au *)(void *)g_array_free(arr, FALSE);
	arr = NULL;
	rc = 0;
out:
	if (arr != NULL)
		g_array_free(arr, TRUE);
	return rc;
}

enum annexb_codec
annexb_codec_from_name(const char *path)
{
	const char *dot = strrchr(path, '.');

	if (dot == NULL)
		return ANNEXB_UNKNOWN;
	if (g_ascii_strcasecmp(dot, ".h264") == 0 ||
	    g_ascii_strcasecmp(dot, ".264") == 0 ||
	    g_ascii_strcasecmp(dot, ".avc") == 0)
		return ANNEXB_H264;
	if (g_ascii_strcasecmp(dot, ".h265") == 0 ||
	    g_ascii_strcasecmp(dot, ".265") == 0 ||
	    g_ascii_strcasecmp(dot, ".hevc") == 0)
		return ANNEXB_H265;
	return ANNEXB_UNKNOWN;
}

const char *
annexb_codec_name(enum annexb_codec codec)
{
	switch (codec) {
	case ANNEXB_H264:
		return "h264";
	case ANNEXB_H265:
		return "h265";
	default:
		return "unknown";
	}
}

struct annexb_clip *
annexb_load(const char *path, char **err)
{
	struct annexb_clip *clip = NULL, *ret = NULL;
	GError *gerr = NULL;
	gchar *contents = NULL;
	gsize size = 0;
	const uint8_t *d;
	size_t i;

	*err = NULL;
	if (!g_file_get_contents(path, &contents, &size, &gerr)) {
		*err = g_strdup_printf("cannot read %s: %s", path, gerr->message);
		goto out;
	}
	if (size > ANNEXB_MAX_FILE) {
		*err = g_strdup_printf("%s is larger than %u bytes", path,
		    ANNEXB_MAX_FILE);
		goto out;
	}
	clip = g_atomic_rc_box_new0(struct annexb_clip);
	clip->codec = annexb_codec_from_name(path);
	clip->data = g_bytes_new_take(contents, size);
	contents = NULL;
	d = g_bytes_get_data(clip->data, NULL);
	if (annexb_split(d, size, &clip->codec, &clip->aus, &clip->n_aus) != 0 ||
	    clip->codec == ANNEXB_UNKNOWN) {
		*err = g_strdup_printf("%s is not an H.264/H.265 Annex-B stream",
		    path);
		goto out;
	}
	for (i = 0; i < clip->n_aus; i++)
		clip->n_keyframes += clip->aus[i].keyframe != 0;
	if (!clip->aus[0].keyframe) {
		*err = g_strdup_printf("%s does not start with a keyframe", path);
		goto out;
	}
	ret = clip;
	clip = NULL;
out:
	if (gerr != NULL)
		g_error_free(gerr);
	g_free(contents);
	annexb_clip_unref(clip);
	return ret;
}

struct annexb_clip *
annexb_clip_ref(struct annexb_clip *clip)
{
	return g_atomic_rc_box_acquire(clip);
}

static void
clip_clear(gpointer p)
{
	struct annexb_clip *clip = p;

	if (clip->data != NULL)
		g_bytes_unref(clip->data);
	g_free(clip->aus);
}

void
annexb_clip_unref(struct annexb_clip *clip)
{
	if (clip != NULL)
		g_atomic_rc_box_release_full(clip, clip_clear);
}
