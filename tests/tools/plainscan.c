/* plainscan.c - scans files for signs of plaintext video (MP4 boxes, H.264/H.265 parameter
 * sets and IDR slices, JPEG markers), for given canary strings, for given secret keys in
 * binary or hex form and for any stretch of a known plaintext file (the camera's source
 * bitstream); prints each hit. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "common/buf.h"
#include "common/util.h"

struct pattern {
	const char *name;
	const uint8_t *bytes;
	size_t len;
};

/* Each pattern is at least 6 fixed bytes, so ciphertext matches one by chance with
 * probability about 2^-48 per position. */
static const uint8_t P_FTYP[] = { 'f', 't', 'y', 'p', 'i', 's', 'o' };
static const uint8_t P_MOOV[] = { 'm', 'v', 'h', 'd', 0, 0, 0 };
static const uint8_t P_MOOF[] = { 'm', 'f', 'h', 'd', 0, 0, 0, 0 };
static const uint8_t P_MDAT[] = { 'm', 'd', 'a', 't', 0, 0 };
static const uint8_t P_AVC1[] = { 'a', 'v', 'c', '1', 0, 0, 0, 0, 0, 0, 0, 1 };
static const uint8_t P_AVCC[] = { 'a', 'v', 'c', 'C', 1 };
static const uint8_t P_HVC1[] = { 'h', 'v', 'c', '1', 0, 0, 0, 0, 0, 0, 0, 1 };
/*
 * The four-byte start code 00 00 00 01 is common in a process's memory (an int 1 stored
 * big-end-first, or a small int's zeros before a 1), and two bytes after it were too few:
 * a server core dump held a struct array "00 00 00 01, a hex digit, a heap pointer", so
 * the digit 'e' (0x65) before a pointer ending in 0x88 matched IDR "65 88" in about one
 * run in three. So those patterns carry a third byte of the NAL: SPS profile 100's
 * constraint byte 00; an IDR slice's second header byte, 84 or 82 (x264 alternates
 * idr_pic_id 0 and 1). A pointer's second-lowest byte must then match too (~1/2000 runs).
 */
static const uint8_t P_SPS[] = { 0, 0, 0, 1, 0x67, 0x64, 0 };
static const uint8_t P_SPS3[] = { 0, 0, 1, 0x67, 0x64, 0 };
static const uint8_t P_IDR[] = { 0, 0, 0, 1, 0x65, 0x88, 0x84 };
static const uint8_t P_IDR_B[] = { 0, 0, 0, 1, 0x65, 0x88, 0x82 };
static const uint8_t P_IDR3[] = { 0, 0, 1, 0x65, 0x88, 0x84 };
static const uint8_t P_IDR3_B[] = { 0, 0, 1, 0x65, 0x88, 0x82 };
static const uint8_t P_HEVC_VPS[] = { 0, 0, 0, 1, 0x40, 0x01, 0x0c };
static const uint8_t P_JPEG[] = { 0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 'J', 'F', 'I', 'F' };

#define MAXPAT 64
static struct pattern pats[MAXPAT];
static int npats;
static long hits;

/*
 * Known plaintext (--known FILE): every KW-byte window of the file that starts at a multiple
 * of KSTRIDE, so any shared stretch of KW + KSTRIDE - 1 bytes (47) contains a whole window.
 * A window needs KDISTINCT different byte values: runs of zeros and other structure that
 * any memory holds are not evidence. The haystack is hashed at every offset with a rolling
 * hash; a bitmap of the windows' hashes rejects almost every offset before the table is
 * looked at, and a table hit is confirmed with memcmp.
 */
#define KW 32
#define KSTRIDE 16
#define KDISTINCT 16
#define KBITS 23
#define KB 0x100000001b3ULL
static struct buf known;
static uint64_t *kslot;  /* hash of each window (0 = empty), open addressing */
static uint32_t *koff;   /* its offset in known */
static size_t kmask;     /* table size - 1 */
static uint8_t *kbits;   /* 2^KBITS-bit prefilter */
static uint64_t kpow;    /* KB^(KW-1) */

static uint64_t
whash(const uint8_t *p)
{
	uint64_t h = 0;
	int i;

	for (i = 0; i < KW; i++)
		h = h * KB + p[i];
	return h | 1;
}

static int
distinct_enough(const uint8_t *p)
{
	uint8_t seen[256] = { 0 };
	int i, n = 0;

	for (i = 0; i < KW; i++)
		if (!seen[p[i]]++)
			n++;
	return n >= KDISTINCT;
}

/* 0, or -1 when the file cannot be read or holds no usable window. */
static int
known_load(const char *path)
{
	size_t off, n = 0, size = 1, i;

	buf_init(&known, (size_t)1 << 30);
	if (file_read(path, &known, (size_t)1 << 30) != 0 || known.len < KW)
		return -1;
	while (size < 2 * (known.len / KSTRIDE + 1))
		size <<= 1;
	kslot = calloc(size, sizeof(*kslot));
	koff = calloc(size, sizeof(*koff));
	kbits = calloc((size_t)1 << (KBITS - 3), 1);
	if (kslot == NULL || koff == NULL || kbits == NULL)
		return -1;
	kmask = size - 1;
	for (kpow = 1, i = 1; i < KW; i++)
		kpow *= KB;
	for (off = 0; off + KW <= known.len; off += KSTRIDE) {
		uint64_t h;

		if (!distinct_enough(known.data + off))
			continue;
		h = whash(known.data + off);
		for (i = (size_t)(h * 0x9e3779b97f4a7c15ULL) & kmask; kslot[i] != 0; i = (i + 1) & kmask)
			;
		kslot[i] = h;
		koff[i] = (uint32_t)off;
		kbits[(h >> (64 - KBITS)) >> 3] |= (uint8_t)(1u << ((h >> (64 - KBITS)) & 7));
		n++;
	}
	return n > 0 ? 0 : -1;
}

/* 1 when the window at p is one of the known file's windows. */
static int
known_has(const uint8_t *p, uint64_t h)
{
	size_t i;

	if (!(kbits[(h >> (64 - KBITS)) >> 3] & (1u << ((h >> (64 - KBITS)) & 7))))
		return 0;
	for (i = (size_t)(h * 0x9e3779b97f4a7c15ULL) & kmask; kslot[i] != 0; i = (i + 1) & kmask)
		if (kslot[i] == h && memcmp(known.data + koff[i], p, KW) == 0)
			return 1;
	return 0;
}

/* One line per file: how many offsets hold a window of the known file, and the first. */
static void
known_scan(const char *path, const uint8_t *d, size_t len)
{
	size_t i, first = 0, count = 0;
	uint64_t h = 0;

	if (kslot == NULL || len < KW)
		return;
	for (i = 0; i < KW; i++)
		h = h * KB + d[i];
	for (i = 0;; i++) {
		if (known_has(d + i, h | 1) && count++ == 0)
			first = i;
		if (i + KW >= len)
			break;
		h = (h - d[i] * kpow) * KB + d[i + KW];
	}
	if (count > 0) {
		printf("HIT known %s offset=%zu windows=%zu\n", path, first, count);
		hits++;
	}
}

static void
scan_file(const char *path)
{
	struct buf b;
	size_t i;
	int k;

	buf_init(&b, (size_t)4 << 30);
	if (file_read(path, &b, (size_t)4 << 30) != 0) {
		fprintf(stderr, "plainscan: cannot read %s\n", path);
		hits++;
		goto out;
	}
	/* An empty file has no buffer at all: nothing to scan (and no pointer arithmetic on
	 * NULL). */
	for (k = 0; b.data != NULL && k < npats; k++) {
		const uint8_t *p = b.data, *end = b.data + b.len;

		while (p != NULL && (size_t)(end - p) >= pats[k].len) {
			p = memmem(p, (size_t)(end - p), pats[k].bytes, pats[k].len);
			if (p == NULL)
				break;
			i = (size_t)(p - b.data);
			printf("HIT %s %s offset=%zu\n", pats[k].name, path, i);
			hits++;
			p++;
		}
	}
	if (b.data != NULL)
		known_scan(path, b.data, b.len);
out:
	buf_free(&b);
}

static void
scan_path(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *e;
	char sub[4096];

	if (lstat(path, &st) != 0)
		return;
	if (S_ISREG(st.st_mode)) {
		scan_file(path);
		return;
	}
	if (!S_ISDIR(st.st_mode))
		return;
	d = opendir(path);
	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name) < (int)sizeof(sub))
			scan_path(sub);
	}
	closedir(d);
}

static void
add(const char *name, const uint8_t *b, size_t n)
{
	if (npats < MAXPAT)
		pats[npats++] = (struct pattern){ name, b, n };
}

int
main(int argc, char **argv)
{
	int i;

	if (argc < 2) {
		fprintf(stderr, "usage: plainscan [--canary STRING]... [--key HEX]... [--known FILE] "
		    "PATH...\n");
		return 2;
	}
	add("ftyp", P_FTYP, sizeof(P_FTYP));
	add("moov/mvhd", P_MOOV, sizeof(P_MOOV));
	add("moof/mfhd", P_MOOF, sizeof(P_MOOF));
	add("mdat", P_MDAT, sizeof(P_MDAT));
	add("avc1", P_AVC1, sizeof(P_AVC1));
	add("avcC", P_AVCC, sizeof(P_AVCC));
	add("hvc1", P_HVC1, sizeof(P_HVC1));
	add("h264-sps", P_SPS, sizeof(P_SPS));
	add("h264-sps3", P_SPS3, sizeof(P_SPS3));
	add("h264-idr", P_IDR, sizeof(P_IDR));
	add("h264-idr", P_IDR_B, sizeof(P_IDR_B));
	add("h264-idr3", P_IDR3, sizeof(P_IDR3));
	add("h264-idr3", P_IDR3_B, sizeof(P_IDR3_B));
	add("hevc-vps", P_HEVC_VPS, sizeof(P_HEVC_VPS));
	add("jpeg", P_JPEG, sizeof(P_JPEG));
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--key") == 0 && i + 1 < argc) {
			/* A secret key: look for its bytes and for its hex spelling. */
			size_t n = strlen(argv[i + 1]) / 2;
			uint8_t *k = n >= 16 && n <= 64 ? malloc(n) : NULL;

			if (k == NULL || hex_decode(argv[i + 1], k, n) != 0) {
				fprintf(stderr, "plainscan: --key wants 32 to 128 hex digits\n");
				free(k);
				return 2;
			}
			add("key", k, n);
			add("key-hex", (const uint8_t *)argv[i + 1], 2 * n);
			i++;
			continue;
		}
		if (strcmp(argv[i], "--known") == 0 && i + 1 < argc) {
			if (kslot != NULL || known_load(argv[i + 1]) != 0) {
				fprintf(stderr, "plainscan: --known wants one readable file with "
				    "varied bytes: %s\n", argv[i + 1]);
				return 2;
			}
			i++;
			continue;
		}
		if (strcmp(argv[i], "--canary") == 0 && i + 1 < argc) {
			add("canary", (const uint8_t *)argv[i + 1], strlen(argv[i + 1]));
			i++;
			continue;
		}
		scan_path(argv[i]);
	}
	printf("plainscan hits=%ld\n", hits);
	return hits == 0 ? 0 : 1;
}
