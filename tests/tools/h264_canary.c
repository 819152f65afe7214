/* h264_canary.c - copies an H.264 Annex B stream, inserting before each IDR picture an SEI
 * (user data unregistered) that carries a canary string, so tests can look for it later. */
#include <stdio.h>
#include <string.h>
#include "common/buf.h"
#include "common/util.h"

int
main(int argc, char **argv)
{
	static const uint8_t uuid[16] = { 'v', 'i', 'g', 'i', 'l', '-', 'c', 'a', 'n', 'a', 'r',
	    'y', '-', 's', 'e', 'i' };
	struct buf in, out, sei;
	size_t i, clen, n;
	int prev_type = -1, ret = 1;
	FILE *f;

	if (argc != 4) {
		fprintf(stderr, "usage: h264_canary IN.h264 OUT.h264 CANARY\n");
		return 2;
	}
	clen = strlen(argv[3]);
	if (clen == 0 || clen > 200) {
		fprintf(stderr, "h264_canary: canary must be 1..200 bytes\n");
		return 2;
	}
	buf_init(&in, (size_t)1 << 30);
	buf_init(&out, (size_t)1 << 30);
	buf_init(&sei, 512);
	if (file_read(argv[1], &in, (size_t)1 << 30) != 0) {
		fprintf(stderr, "h264_canary: cannot read %s\n", argv[1]);
		goto out;
	}
	/* SEI NAL: start code, type 6, payload type 5, size, uuid, canary, rbsp trailing bits. */
	buf_put(&sei, "\0\0\0\1\6\5", 6);
	buf_put_u8(&sei, (uint8_t)(16 + clen));
	buf_put(&sei, uuid, 16);
	buf_put(&sei, argv[3], clen);
	buf_put_u8(&sei, 0x80);
	/* Walk the start codes (3 or 4 bytes); before the first slice of each IDR picture,
	 * copy the SEI in. */
	for (i = 0, n = 0; n + 3 <= in.len; n++) {
		size_t sc;
		int type;

		if (!(in.data[n] == 0 && in.data[n + 1] == 0 && in.data[n + 2] == 1) || n + 3 >= in.len)
			continue;
		sc = (n > 0 && in.data[n - 1] == 0) ? n - 1 : n;
		type = in.data[n + 3] & 0x1f;
		if (type == 5 && prev_type != 5) {
			buf_put(&out, in.data + i, sc - i);
			buf_put(&out, sei.data, sei.len);
			i = sc;
		}
		prev_type = type;
		n += 2;
	}
	buf_put(&out, in.data + i, in.len - i);
	f = fopen(argv[2], "wb");
	if (f == NULL || fwrite(out.data, 1, out.len, f) != out.len || fclose(f) != 0) {
		fprintf(stderr, "h264_canary: cannot write %s\n", argv[2]);
		goto out;
	}
	ret = 0;
out:
	buf_free(&in);
	buf_free(&out);
	buf_free(&sei);
	return ret;
}
