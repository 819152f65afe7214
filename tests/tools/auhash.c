/* auhash.c - prints one line per video access unit of a media file: index, keyframe flag and a
 * hash of its VCL NAL units, so that tests can compare recorded video with its source. */
#include <stdio.h>
#include <string.h>
#include <sodium.h>
#include <libavformat/avformat.h>

/* Hash the VCL NAL units of one packet, given either Annex B start codes or 4-byte length
 * prefixes (as in MP4). H.264 types 1..5 and H.265 types 0..31 are slices. */
static int
hash_vcl(const uint8_t *p, size_t n, int hevc, int annexb, uint8_t out[16], int *nvcl)
{
	crypto_generichash_state st;
	size_t i = 0, start, end;
	int type;

	crypto_generichash_init(&st, NULL, 0, 16);
	*nvcl = 0;
	while (i < n) {
		if (annexb) {
			while (i + 3 <= n && !(p[i] == 0 && p[i + 1] == 0 && p[i + 2] == 1))
				i++;
			if (i + 3 > n)
				break;
			start = i + 3;
			end = start;
			while (end + 3 <= n && !(p[end] == 0 && p[end + 1] == 0 &&
			    (p[end + 2] == 1 || (p[end + 2] == 0 && end + 3 < n && p[end + 3] == 1))))
				end++;
			if (end + 3 > n)
				end = n;
			i = end;
		} else {
			size_t len;

			if (i + 4 > n)
				return -1;
			len = (size_t)p[i] << 24 | (size_t)p[i + 1] << 16 | (size_t)p[i + 2] << 8 | p[i + 3];
			start = i + 4;
			if (len > n - start)
				return -1;
			end = start + len;
			i = end;
		}
		/* Trailing zero bytes belong to the next start code, not to the NAL. */
		while (end > start && p[end - 1] == 0)
			end--;
		if (end <= start)
			continue;
		type = hevc ? (p[start] >> 1) & 0x3f : p[start] & 0x1f;
		if ((!hevc && type >= 1 && type <= 5) || (hevc && type <= 31)) {
			crypto_generichash_update(&st, p + start, end - start);
			(*nvcl)++;
		}
	}
	crypto_generichash_final(&st, out, 16);
	return 0;
}

int
main(int argc, char **argv)
{
	AVFormatContext *fmt = NULL;
	AVPacket *pkt = NULL;
	uint8_t h[16];
	char hex[33];
	int vi, hevc, annexb, nvcl, ret = 1;
	long idx = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: auhash FILE\n");
		return 2;
	}
	av_log_set_level(AV_LOG_ERROR);
	if (sodium_init() < 0 || avformat_open_input(&fmt, argv[1], NULL, NULL) < 0 ||
	    avformat_find_stream_info(fmt, NULL) < 0) {
		fprintf(stderr, "auhash: cannot open %s\n", argv[1]);
		goto out;
	}
	vi = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
	if (vi < 0)
		goto out;
	hevc = fmt->streams[vi]->codecpar->codec_id == AV_CODEC_ID_HEVC;
	annexb = strcmp(fmt->iformat->name, "h264") == 0 || strcmp(fmt->iformat->name, "hevc") == 0;
	pkt = av_packet_alloc();
	while (av_read_frame(fmt, pkt) >= 0) {
		if (pkt->stream_index == vi) {
			if (hash_vcl(pkt->data, (size_t)pkt->size, hevc, annexb, h, &nvcl) != 0) {
				fprintf(stderr, "auhash: malformed packet %ld\n", idx);
				goto out;
			}
			if (nvcl > 0) {
				for (int i = 0; i < 16; i++)
					snprintf(hex + 2 * i, 3, "%02x", h[i]);
				printf("%ld %d %s\n", idx, (pkt->flags & AV_PKT_FLAG_KEY) != 0, hex);
				idx++;
			}
		}
		av_packet_unref(pkt);
	}
	ret = 0;
out:
	av_packet_free(&pkt);
	avformat_close_input(&fmt);
	return ret;
}
