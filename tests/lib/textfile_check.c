/* Helpers of the text-file unit tests. See textfile_check.h. */
#include "textfile_check.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "textfile.h"

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

void check_text_limits(int (*parse)(const char *text, size_t len, char *err), const char *name,
		       const char *good_line)
{
	char text[128], err[512] = "";
	size_t n = (size_t)snprintf(text, sizeof(text), "# x\n%s", good_line);
	char *big;

	/* a NUL byte on line 2 */
	text[n - 2] = '\0';
	ck_assert_int_eq(parse(text, n, err), -1);
	assert_err(err, name, 2, "NUL byte in the line");
	/* at most 1 MiB: blank lines are fine up to the limit */
	big = malloc(TEXTFILE_MAX_FILE + 1);
	ck_assert_ptr_nonnull(big);
	memset(big, '\n', TEXTFILE_MAX_FILE + 1);
	ck_assert_int_eq(parse(big, TEXTFILE_MAX_FILE, err), 0);
	ck_assert_int_eq(parse(big, TEXTFILE_MAX_FILE + 1, err), -1);
	assert_err(err, name, 0, "larger than 1048576 bytes");
	free(big);
}
