/* test_server_blobfd.c - the blob descriptor cache: hits share one open file, LRU bound, unlink closes, and the store reads through it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "server/blobfd.h"
#include "server/store.h"

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* Number of descriptors this process has open on the file want describes. */
static int
open_count_st(const struct stat *want)
{
	struct stat st;
	char p[64];
	int n = 0;

	for (int fd = 0; fd < 1024; fd++) {
		snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
		if (stat(p, &st) == 0 && st.st_ino == want->st_ino && st.st_dev == want->st_dev)
			n++;
	}
	return n;
}

/* Number of descriptors this process has open on the file at path (0 when it is gone). */
static int
open_count(const char *path)
{
	struct stat want;

	return stat(path, &want) != 0 ? 0 : open_count_st(&want);
}

static void
test_get_unlink(void **state)
{
	static const uint8_t cam[CAMERA_ID_LEN] = { 1, 2, 3 };
	char dir[64], a[96], b[96], c3[96], got[8];
	struct blobfd *c;
	int fd1, fd2, fd3;

	snprintf(dir, sizeof(dir), "/tmp/vigil-bfd-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(a, sizeof(a), "%s/a", dir);
	snprintf(b, sizeof(b), "%s/b", dir);
	snprintf(c3, sizeof(c3), "%s/c", dir);
	write_file(a, "alpha");
	write_file(b, "bravo");
	write_file(c3, "charlie");
	assert_null(blobfd_new(0));
	assert_null(blobfd_new(BLOBFD_MAX + 1));
	assert_non_null(c = blobfd_new(2));

	/* A miss opens and caches; a hit hands out another descriptor of the same file. */
	assert_int_equal(blobfd_get(c, cam, 0, 1, a, &fd1), 0);
	assert_int_equal(blobfd_get(c, cam, 0, 1, a, &fd2), 0);
	assert_int_not_equal(fd1, fd2);
	assert_int_equal(blobfd_count(c), 1);
	assert_int_equal(open_count(a), 3);           /* cached + two handed out */
	assert_int_equal(pread(fd2, got, 5, 0), 5);
	assert_memory_equal(got, "alpha", 5);
	close(fd1);
	close(fd2);

	/* The key is (camera, stream, id): another stream is another entry. */
	assert_int_equal(blobfd_get(c, cam, 1, 1, b, &fd1), 0);
	close(fd1);
	assert_int_equal(blobfd_count(c), 2);
	/* Full: the least recently used (stream 0) is closed for the third. */
	assert_int_equal(blobfd_get(c, cam, 0, 3, c3, &fd1), 0);
	close(fd1);
	assert_int_equal(blobfd_count(c), 2);
	assert_int_equal(open_count(a), 0);           /* evicted and closed */
	assert_int_equal(open_count(b), 1);

	/* Unlink closes the cached descriptor with the file, and the next get finds nothing. */
	assert_int_equal(blobfd_unlink(c, cam, 1, 1, b), 0);
	assert_int_equal(blobfd_count(c), 1);
	assert_int_equal(access(b, F_OK), -1);
	assert_int_equal(blobfd_get(c, cam, 1, 1, b, &fd3), BLOBFD_E_NOTFOUND);
	assert_int_equal(fd3, -1);
	/* Unlinking what is gone (or was never cached) is fine. */
	assert_int_equal(blobfd_unlink(c, cam, 1, 1, b), 0);
	assert_int_equal(blobfd_unlink(c, cam, 0, 1, a), 0);
	assert_int_equal(blobfd_unlink(c, cam, 0, 3, c3), 0);
	assert_int_equal(blobfd_count(c), 0);
	blobfd_free(c);
	blobfd_free(NULL);
	assert_int_equal(rmdir(dir), 0);
}

/* Through the store: a download keeps reading a removed blob, whose cached descriptor is gone. */
static void
test_store_remove_closes(void **state)
{
	static const uint8_t cam[CAMERA_ID_LEN] = { 0xcc };
	char dir[64], path[160], cmd[96], hex[2 * CAMERA_ID_LEN + 1];
	struct store *s;
	struct store_blob *bl;
	struct stat st;
	uint8_t got[4];
	int fd, fd2;

	snprintf(dir, sizeof(dir), "/tmp/vigil-bfd-XXXXXX");
	assert_non_null(mkdtemp(dir));
	assert_int_equal(store_open(&s, dir), 0);
	assert_int_equal(store_blob_create(s, cam, 0, 9, &bl), 0);
	assert_int_equal(store_blob_append(bl, "abcd", 4), 0);
	assert_int_equal(store_blob_open_read(s, cam, 0, 9, &fd), 0);
	/* Appended after the descriptor was cached: still visible through it. */
	assert_int_equal(store_blob_append(bl, "efgh", 4), 0);
	store_blob_close(bl);
	assert_int_equal(store_blob_open_read(s, cam, 0, 9, &fd2), 0);
	assert_int_equal(pread(fd2, got, 4, 4), 4);
	assert_memory_equal(got, "efgh", 4);
	close(fd2);
	for (int i = 0; i < CAMERA_ID_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02x", cam[i]);
	snprintf(path, sizeof(path), "%s/blobs/%s/0/9.blob", dir, hex);
	assert_int_equal(open_count(path), 2);        /* cached + the download's */
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(store_blob_remove(s, cam, 0, 9), 0);
	assert_int_equal(open_count_st(&st), 1);      /* the cache let go of the deleted file */
	/* The download in progress still reads; the cache holds nothing more. */
	assert_int_equal(pread(fd, got, 4, 0), 4);
	assert_memory_equal(got, "abcd", 4);
	close(fd);
	assert_int_equal(store_blob_open_read(s, cam, 0, 9, &fd), STORE_E_NOTFOUND);
	store_close(s);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get_unlink),
		cmocka_unit_test(test_store_remove_closes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
