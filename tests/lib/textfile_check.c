/* Helpers of the text-file unit tests. See textfile_check.h. */
#include "textfile_check.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void assert_err(const char *err, const char *name, unsigned line, const char *msg)
{
	char want[512];

	if (line)
		snprintf(want, sizeof(want), "%s:%u: %s", name, line, msg);
	else
		snprintf(want, sizeof(want), "%s: %s", name, msg);
	ck_assert_str_eq(err, want);
}

void write_temp(char path[32], const char *text, mode_t mode)
{
	int fd;

	snprintf(path, 32, "/tmp/test_textfile.XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (int)strlen(text));
	ck_assert_int_eq(fchmod(fd, mode), 0);
	close(fd);
}
