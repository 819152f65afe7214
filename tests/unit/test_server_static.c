/* test_server_static.c - the console's fixed file list: loading from a web tree, missing trees and files. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <sodium.h>
#include "common/util.h"
#include "server/h_static.h"
#include "server/routes.h"

static void
put(const char *dir, const char *name, const char *text)
{
	char path[512];

	assert_true(snprintf(path, sizeof(path), "%s/%s", dir, name) < (int)sizeof(path));
	assert_int_equal(file_write_atomic(path, text, strlen(text), 0644), 0);
}

static void
test_no_tree(void **state)
{
	(void)state;
	assert_int_equal(console_open(NULL), 0);
	assert_int_equal(console_open("/nonexistent/vigil-web"), 0);
	assert_true(console_nfiles() >= 10);
	console_close();
	console_close();
}

static void
test_loads_listed_files_only(void **state)
{
	char dir[] = "/tmp/vigil-static.XXXXXX";
	char sub[600];

	(void)state;
	assert_non_null(mkdtemp(dir));
	put(dir, "index.html", "<!doctype html><title>t</title>");
	put(dir, "app.js", "export {};\n");
	/* Not in the list: never loaded, whatever its name. */
	put(dir, "secret.txt", "nope");
	put(dir, "build.sh", "#!/bin/sh\n");
	/* index.html is listed twice: the page at / and a share link /s/{id}. */
	assert_int_equal(console_open(dir), 3);
	/* A listed name that is a directory is skipped, not fatal. */
	assert_true(snprintf(sub, sizeof(sub), "%s/style.css", dir) < (int)sizeof(sub));
	assert_int_equal(mkdir_p(sub, 0700), 0);
	assert_int_equal(console_open(dir), 3);
	console_close();
	assert_int_equal(rmdir(sub), 0);
	for (size_t i = 0; i < 4; i++) {
		static const char *const names[] = { "index.html", "app.js", "secret.txt", "build.sh" };

		assert_true(snprintf(sub, sizeof(sub), "%s/%s", dir, names[i]) < (int)sizeof(sub));
		assert_int_equal(unlink(sub), 0);
	}
	assert_int_equal(rmdir(dir), 0);
}

/* The route table and the file list name the same URLs: a file without a route is never
 * served, a route without a file always answers 404. */
static void
test_routes_match_file_list(void **state)
{
	const struct route *t;
	size_t i, n, served = 0;

	(void)state;
	t = routes_table(&n);
	for (i = 0; i < n; i++) {
		if (t[i].handler != h_static)
			continue;
		assert_string_equal(t[i].method, "GET");
		assert_int_equal(t[i].policy, POLICY_PUBLIC);
		assert_true(console_lists(t[i].pattern));
		served++;
	}
	assert_int_equal(served, console_nfiles());
	assert_false(console_lists("/../etc/passwd"));
	assert_false(console_lists(NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_tree),
		cmocka_unit_test(test_loads_listed_files_only),
		cmocka_unit_test(test_routes_match_file_list),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
