/* test_server_store.c - the disk blob store in a temp dir: append, size, read back, remove. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "server/store.h"

static void
test_blob_roundtrip(void **state)
{
	static const uint8_t cam[16] = { 0xaa, 0xbb };
	char dir[64], cmd[160];
	struct store *s;
	struct store_blob *b;
	uint8_t got[16];
	int fd;

	snprintf(dir, sizeof(dir), "/tmp/vigil-st-XXXXXX");
	assert_non_null(mkdtemp(dir));
	assert_int_equal(store_open(&s, dir), 0);
	assert_int_equal(store_blob_create(s, cam, 1, 7, &b), 0);
	/* Ids are never reused: creating the same blob again fails. */
	{
		struct store_blob *b2;
		assert_int_equal(store_blob_create(s, cam, 1, 7, &b2), STORE_E_IO);
	}
	assert_int_equal(store_blob_size(b), 0);
	assert_int_equal(store_blob_append(b, "hello ", 6), 0);
	assert_int_equal(store_blob_append(b, "world", 5), 0);
	assert_int_equal(store_blob_size(b), 11);
	/* Two buffers in one call, an empty second one, an empty first one. */
	assert_int_equal(store_blob_append2(b, "[hd]", 4, "body", 4), 0);
	assert_int_equal(store_blob_append2(b, "[h2]", 4, NULL, 0), 0);
	assert_int_equal(store_blob_append2(b, "", 0, "tail", 4), 0);
	assert_int_equal(store_blob_size(b), 27);
	assert_int_equal(store_blob_id(b), 7);
	assert_int_equal(store_blob_sync(b), 0);
	store_blob_close(b);
	assert_int_equal(store_blob_open_read(s, cam, 1, 7, &fd), 0);
	assert_int_equal(pread(fd, got, 5, 6), 5);
	assert_memory_equal(got, "world", 5);
	{
		char all[16];

		assert_int_equal(pread(fd, all, 16, 11), 16);
		assert_memory_equal(all, "[hd]body[h2]tail", 16);
	}
	close(fd);
	assert_int_equal(store_blob_open_read(s, cam, 2, 7, &fd), STORE_E_NOTFOUND);
	assert_int_equal(store_blob_remove(s, cam, 1, 7), 0);
	assert_int_equal(store_blob_remove(s, cam, 1, 7), 0);   /* already gone is fine */
	assert_int_equal(store_blob_open_read(s, cam, 1, 7, &fd), STORE_E_NOTFOUND);
	assert_int_equal(store_blob_create(s, cam, 1, -1, &b), STORE_E_IO);
	store_close(s);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blob_roundtrip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
