/* cmaf.h - remuxes one camera stream's access units into CMAF: an init chunk and one moof+mdat per frame. */
#ifndef VIGIL_GATEWAY_CMAF_H
#define VIGIL_GATEWAY_CMAF_H

#include <stddef.h>
#include <stdint.h>
#include <libavcodec/avcodec.h>

/* Media time inside the fMP4 is always on a 90 kHz clock (the RTP clock of video). */
#define CMAF_TIMESCALE 90000

enum {
	CMAF_E_INVAL = -1,    /* bad argument, unsupported codec */
	CMAF_E_NOMEM = -2,
	CMAF_E_MUX = -3,      /* libavformat refused the header or a packet */
	CMAF_E_NOINIT = -4,   /* no parameter sets yet: feed a keyframe that carries them */
	CMAF_E_TOOBIG = -5,   /* a fragment over the chunk size limit */
};

struct cmaf;

/* A remuxer for one codec configuration (one camera session). par is copied; tb is the
 * time base of the packets that will be fed; rate the stream's frame rate ({0,1} when
 * unknown), used for a first frame's duration. base is the 90 kHz decode time the first
 * frame is given (so that media time can continue across sessions). 0 or a CMAF_E_*. */
int cmaf_new(struct cmaf **out, const AVCodecParameters *par, AVRational tb, AVRational rate,
    int64_t base);
void cmaf_free(struct cmaf *c);

/* Mux one Annex-B access unit as exactly one moof+mdat. The muxer starts lazily on the
 * first call; when the stream had no out-of-band parameter sets they are taken from
 * this packet (which must then be a keyframe, else CMAF_E_NOINIT). *frag points into
 * storage owned by c, valid until the next call. 0 or a CMAF_E_*. */
int cmaf_frame(struct cmaf *c, const AVPacket *pkt, const uint8_t **frag, size_t *len);

/* The init chunk (ftyp+moov), once the muxer has started; with an empty moov it is the
 * same for every segment of the session. 0, or CMAF_E_NOINIT before the first frame. */
int cmaf_init(const struct cmaf *c, const uint8_t **init, size_t *len);
/* RFC 6381 codec string ("avc1.64001f", "hvc1.1.6.L93.B0"); "" before the first frame. */
const char *cmaf_codec(const struct cmaf *c);
/* The 90 kHz decode time just after the last frame muxed (base before any frame). */
int64_t cmaf_next_dts(const struct cmaf *c);
/* The 90 kHz decode time of the last frame muxed (base before any frame). */
int64_t cmaf_last_dts(const struct cmaf *c);
/* Duration of the last frame muxed, in microseconds (40000 before any). */
int64_t cmaf_last_duration_us(const struct cmaf *c);

/* Build a codec string from extradata (Annex-B or avcC/hvcC). 0 or -1. */
int cmaf_codec_string(enum AVCodecID id, const uint8_t *ed, size_t n, char *out, size_t outlen);

#endif
