/* A Check fixture for unit tests that work with files: each test in a fresh
 * temporary directory of its own, test_dir (named after the test program),
 * removed with everything in it afterwards, also when the test took its
 * permissions away. A test case adds
 *   tcase_add_checked_fixture(tc, setup, test_dir_teardown);
 * with a setup that calls test_dir_setup() and names its files with
 * test_dir_path(). */
#ifndef MESHPROV_TESTDIR_H
#define MESHPROV_TESTDIR_H

#include <stdbool.h>
#include <stddef.h>

extern char test_dir[256];

void test_dir_setup(void);
void test_dir_teardown(void);

/* test_dir/name into buf (the test fails when it does not fit) */
void test_dir_path(char *buf, size_t len, const char *name);

/* Write text to path (replacing it); the test fails when it cannot. */
void test_file_write(const char *path, const char *text);

/* path names something (lstat: a dangling link too). */
bool test_file_exists(const char *path);

#endif
