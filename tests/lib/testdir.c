#include "testdir.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "proc.h"

char test_dir[256];

void test_dir_setup(void)
{
	ck_assert_int_lt(snprintf(test_dir, sizeof(test_dir), "/tmp/%s.XXXXXX",
				  program_invocation_short_name), (int)sizeof(test_dir));
	ck_assert_ptr_nonnull(mkdtemp(test_dir));
}

void test_dir_teardown(void)
{
	chmod(test_dir, 0700);
	tmpdir_remove(test_dir);
}

void test_dir_path(char *buf, size_t len, const char *name)
{
	ck_assert_int_lt(snprintf(buf, len, "%s/%s", test_dir, name), (int)len);
}

void test_file_write(const char *path, const char *text)
{
	FILE *f = fopen(path, "wb");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(text, 1, strlen(text), f), strlen(text));
	ck_assert_int_eq(fclose(f), 0);
}

bool test_file_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}
