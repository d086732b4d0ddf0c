/* Unit tests for the node database's file I/O (nodedb_io.h): reading a
 * JSON file, the atomic write and the lock file. Each test works in its own
 * fresh temporary directory. */
#include <errno.h>
#include <fcntl.h>
#include <json.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_main.h"
#include "nodedb_io.h"
#include "testdir.h"

static char path[512];
static char tmp[520];

static void setup(void)
{
	test_dir_setup();
	test_dir_path(path, sizeof(path), "f.json");
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
}

static char *slurp(const char *p)
{
	static char buf[4096];
	FILE *f = fopen(p, "rb");
	size_t n;

	ck_assert_ptr_nonnull(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

START_TEST(test_write_atomic)
{
	char err[512];
	struct stat st;
	mode_t old = umask(0277); /* would create it 0400 */

	/* a stale temp file and a symlink at the path: replaced, not followed */
	test_file_write(tmp, "stale");
	ck_assert_int_eq(symlink("/nonexistent/target", path), 0);
	ck_assert_int_eq(ndb_io_write(path, "thing", "{\"a\": 1}", 8, err, sizeof(err)), 0);
	umask(old);
	ck_assert_str_eq(err, "");
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	ck_assert_str_eq(slurp(path), "{\"a\": 1}\n");
	ck_assert(!test_file_exists(tmp));

	/* replaced whole */
	ck_assert_int_eq(ndb_io_write(path, "thing", "{}", 2, err, sizeof(err)), 0);
	ck_assert_str_eq(slurp(path), "{}\n");
}
END_TEST

START_TEST(test_write_fails)
{
	char p[600], err[1024];

	/* no such directory: the reason, naming what and the path */
	snprintf(p, sizeof(p), "%s/missing/f.json", test_dir);
	ck_assert_int_eq(ndb_io_write(p, "thing", "{}", 2, err, sizeof(err)), -ENOENT);
	ck_assert_msg(strstr(err, "cannot write thing ") && strstr(err, p), "%s", err);
	ck_assert(!strchr(err, '\n'));

	/* a directory at the path: the rename fails, the old one stays, the
	 * temp file is gone */
	ck_assert_int_eq(mkdir(path, 0700), 0);
	ck_assert_int_lt(ndb_io_write(path, "thing", "{}", 2, err, sizeof(err)), 0);
	ck_assert_msg(strstr(err, "rename"), "%s", err);
	ck_assert(!test_file_exists(tmp));
}
END_TEST

START_TEST(test_load)
{
	struct json_object *o = (struct json_object *)1;
	char err[1024];

	ck_assert_int_eq(ndb_io_load(path, "thing", &o, err, sizeof(err)), 1);
	ck_assert_ptr_null(o);

	test_file_write(path, "{\"a\": [1, 2]}\n");
	ck_assert_int_eq(ndb_io_load(path, "thing", &o, err, sizeof(err)), 0);
	ck_assert(json_object_is_type(o, json_type_object));
	json_object_put(o);

	test_file_write(path, "{\"a\":\n  [1 2]}");
	ck_assert_int_eq(ndb_io_load(path, "thing", &o, err, sizeof(err)), -1);
	ck_assert_ptr_null(o);
	ck_assert_msg(strstr(err, "thing ") && strstr(err, path) && strstr(err, "not valid JSON") &&
			      strstr(err, "line 2"),
		      "%s", err);

	test_file_write(path, "");
	ck_assert_int_eq(ndb_io_load(path, "thing", &o, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "is empty") && !strstr(err, "mesh configuration"), "%s", err);
	ck_assert_int_eq(ndb_io_load(path, "database", &o, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "not a mesh configuration database"), "%s", err);

	unlink(path);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	ck_assert_int_eq(ndb_io_load(path, "thing", &o, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "is not a regular file"), "%s", err);
}
END_TEST

START_TEST(test_lock)
{
	char lock[600], err[1024];
	struct stat st;
	int a, b;

	snprintf(lock, sizeof(lock), "%s.lock", path);
	a = ndb_io_lock(path, lock, 0, err, sizeof(err));
	ck_assert_int_ge(a, 0);
	ck_assert_int_eq(stat(lock, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	/* held: a second lock waits, then fails naming the database */
	b = ndb_io_lock(path, lock, 50, err, sizeof(err));
	ck_assert_int_eq(b, -1);
	ck_assert_msg(strstr(err, path) && strstr(err, "in use by another meshprov process"), "%s", err);
	close(a);
	b = ndb_io_lock(path, lock, 0, err, sizeof(err));
	ck_assert_int_ge(b, 0);
	close(b);
	ck_assert(test_file_exists(lock)); /* never removed */
}
END_TEST

static Suite *nodedb_io_suite(void)
{
	Suite *s = suite_create("nodedb_io");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, test_dir_teardown);
	tcase_add_test(tc, test_write_atomic);
	tcase_add_test(tc, test_write_fails);
	tcase_add_test(tc, test_load);
	tcase_add_test(tc, test_lock);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(nodedb_io_suite)
