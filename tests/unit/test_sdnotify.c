/* sd_notify_send: one datagram, byte for byte, to the path or abstract
 * address in $NOTIFY_SOCKET; nothing to do without it; one-line errors for
 * addresses that cannot work. */
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "check_main.h"
#include "sdnotify.h"

#define STATE "READY=1\nSTATUS=Scanning on hci0"

static char dir[32];
static char sock_path[48];
static int rx = -1;

static void setup(void)
{
	/* /tmp, not $TMPDIR: sun_path holds 107 characters at most */
	snprintf(dir, sizeof(dir), "/tmp/sdnotify-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(sock_path, sizeof(sock_path), "%s/notify", dir);
	unsetenv("NOTIFY_SOCKET");
	rx = -1;
}

static void teardown(void)
{
	if (rx >= 0)
		close(rx);
	rx = -1;
	unlink(sock_path);
	rmdir(dir);
}

/* A SOCK_DGRAM socket bound at addr (path, or "@name": abstract). */
static int bind_dgram(const char *addr)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len = strlen(addr);
	socklen_t salen;
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	ck_assert_uint_le(len, sizeof(sa.sun_path));
	memcpy(sa.sun_path, addr, len);
	if (addr[0] == '@') {
		sa.sun_path[0] = '\0';
		salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
	} else {
		ck_assert_uint_lt(len, sizeof(sa.sun_path));
		salen = (socklen_t)sizeof(sa);
	}
	ck_assert_msg(bind(fd, (struct sockaddr *)&sa, salen) == 0, "bind %s: %s", addr,
		      strerror(errno));
	return fd;
}

/* The one datagram waiting on fd (within 2 s), which must be exactly want,
 * and nothing after it. */
static void expect_datagram(int fd, const char *want)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char buf[4096];
	ssize_t n;

	ck_assert_int_eq(poll(&pfd, 1, 2000), 1);
	n = recv(fd, buf, sizeof(buf), MSG_TRUNC | MSG_DONTWAIT);
	ck_assert_int_eq(n, (ssize_t)strlen(want));
	ck_assert_mem_eq(buf, want, strlen(want));
	n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
	ck_assert_msg(n < 0 && errno == EAGAIN, "a second datagram (%zd bytes)", n);
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static void expect_one_line(const char *err)
{
	ck_assert_msg(err[0] != '\0', "no message");
	ck_assert_msg(strchr(err, '\n') == NULL, "not one line: '%s'", err);
}

START_TEST(test_path)
{
	char err[256] = "";
	int fds;

	rx = bind_dgram(sock_path);
	ck_assert_int_eq(setenv("NOTIFY_SOCKET", sock_path, 1), 0);
	fds = count_fds();
	ck_assert_msg(sd_notify_send(STATE, err, sizeof(err)) == 0, "error: %s", err);
	ck_assert_int_eq(count_fds(), fds); /* its socket is closed again */
	expect_datagram(rx, STATE);
	/* and again: nothing is kept between calls */
	ck_assert_int_eq(sd_notify_send("STOPPING=1", err, sizeof(err)), 0);
	expect_datagram(rx, "STOPPING=1");
}
END_TEST

START_TEST(test_abstract)
{
	char addr[100], err[256] = "";

	snprintf(addr, sizeof(addr), "@meshprov-sdnotify-test/%ld/%s", (long)getpid(), dir + 5);
	rx = bind_dgram(addr);
	ck_assert_int_eq(setenv("NOTIFY_SOCKET", addr, 1), 0);
	/* the address length must be exact: padded with NULs it names another
	 * abstract address, and nobody listens there */
	ck_assert_msg(sd_notify_send(STATE, err, sizeof(err)) == 0, "error: %s", err);
	expect_datagram(rx, STATE);
}
END_TEST

/* An abstract address may fill sun_path (its NUL replaces the '@'); a path
 * needs room for its NUL. */
START_TEST(test_longest_addresses)
{
	char addr[sizeof(((struct sockaddr_un *)0)->sun_path) + 1], err[256] = "";
	size_t max = sizeof(addr) - 1;
	int n;

	n = snprintf(addr, sizeof(addr), "@meshprov-sdnotify-test/%ld/", (long)getpid());
	memset(addr + n, 'x', max - (size_t)n);
	addr[max] = '\0';
	rx = bind_dgram(addr);
	ck_assert_int_eq(setenv("NOTIFY_SOCKET", addr, 1), 0);
	ck_assert_msg(sd_notify_send(STATE, err, sizeof(err)) == 0, "error: %s", err);
	expect_datagram(rx, STATE);

	/* a path of 107 characters is tried (nobody listens), not refused */
	n = snprintf(addr, sizeof(addr), "%s/", dir);
	memset(addr + n, 'y', max - 1 - (size_t)n);
	addr[max - 1] = '\0';
	ck_assert_int_eq(setenv("NOTIFY_SOCKET", addr, 1), 0);
	ck_assert_int_eq(sd_notify_send(STATE, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "too long") == NULL, "refused: %s", err);
	ck_assert_msg(strstr(err, "No such file or directory") != NULL, "err: %s", err);
}
END_TEST

START_TEST(test_unset)
{
	char err[32] = "untouched";

	ck_assert_int_eq(sd_notify_send(STATE, err, sizeof(err)), 1);
	ck_assert_str_eq(err, "untouched");
	ck_assert_int_eq(setenv("NOTIFY_SOCKET", "", 1), 0);
	ck_assert_int_eq(sd_notify_send(STATE, err, sizeof(err)), 1);
	ck_assert_str_eq(err, "untouched");
	/* nothing to do: no error even for an empty state */
	ck_assert_int_eq(sd_notify_send("", NULL, 0), 1);
}
END_TEST

START_TEST(test_too_long)
{
	char addr[300], err[512] = "";

	/* 108 characters: fits sun_path only without the path's NUL */
	memset(addr, 'z', 108);
	addr[0] = '/';
	addr[108] = '\0';
	ck_assert_int_eq(setenv("NOTIFY_SOCKET", addr, 1), 0);
	ck_assert_int_eq(sd_notify_send(STATE, err, sizeof(err)), -1);
	expect_one_line(err);
	ck_assert_msg(strstr(err, "too long") != NULL, "err: %s", err);

	/* an abstract address of 109 characters */
	memset(addr, 'z', 109);
	addr[0] = '@';
	addr[109] = '\0';
	ck_assert_int_eq(setenv("NOTIFY_SOCKET", addr, 1), 0);
	ck_assert_int_eq(sd_notify_send(STATE, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "too long") != NULL, "err: %s", err);

	/* far too long: the message is still one bounded line */
	memset(addr, 'z', sizeof(addr) - 1);
	addr[0] = '/';
	addr[sizeof(addr) - 1] = '\0';
	ck_assert_int_eq(setenv("NOTIFY_SOCKET", addr, 1), 0);
	ck_assert_int_eq(sd_notify_send(STATE, err, sizeof(err)), -1);
	expect_one_line(err);
	ck_assert_msg(strstr(err, "too long") != NULL, "err: %s", err);
}
END_TEST

START_TEST(test_no_listener)
{
	char err[256] = "";

	ck_assert_int_eq(setenv("NOTIFY_SOCKET", sock_path, 1), 0);
	ck_assert_int_eq(sd_notify_send(STATE, err, sizeof(err)), -1);
	expect_one_line(err);
	ck_assert_msg(strstr(err, sock_path) != NULL, "err lacks the path: %s", err);
	ck_assert_msg(strstr(err, "No such file or directory") != NULL, "err: %s", err);

	/* a stream socket there: a datagram cannot be sent to it */
	{
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

		ck_assert_int_ge(fd, 0);
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
		ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
		ck_assert_int_eq(listen(fd, 1), 0);
		ck_assert_int_eq(sd_notify_send(STATE, err, sizeof(err)), -1);
		expect_one_line(err);
		ck_assert_msg(strstr(err, sock_path) != NULL, "err lacks the path: %s", err);
		close(fd);
	}
}
END_TEST

START_TEST(test_bad_addresses)
{
	static const char *const bad[] = { "relative/notify", "@", "/", "vsock:2:1234" };
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		ck_assert_int_eq(setenv("NOTIFY_SOCKET", bad[i], 1), 0);
		ck_assert_msg(sd_notify_send(STATE, err, sizeof(err)) == -1, "%s accepted", bad[i]);
		expect_one_line(err);
		ck_assert_msg(strstr(err, bad[i]) != NULL, "err lacks '%s': %s", bad[i], err);
	}
	/* control characters in the address do not break the line */
	ck_assert_int_eq(setenv("NOTIFY_SOCKET", "/no/such\n/dir", 1), 0);
	ck_assert_int_eq(sd_notify_send(STATE, err, sizeof(err)), -1);
	expect_one_line(err);
	ck_assert_msg(strstr(err, "/no/such?/dir") != NULL, "err: %s", err);
}
END_TEST

START_TEST(test_empty_state)
{
	char err[256] = "";

	rx = bind_dgram(sock_path);
	ck_assert_int_eq(setenv("NOTIFY_SOCKET", sock_path, 1), 0);
	ck_assert_int_eq(sd_notify_send("", err, sizeof(err)), -1);
	expect_one_line(err);
	ck_assert_int_eq(sd_notify_send(NULL, err, sizeof(err)), -1);
	{
		char buf[16];

		ck_assert_int_lt(recv(rx, buf, sizeof(buf), MSG_DONTWAIT), 0);
	}
}
END_TEST

/* A short err buffer is filled, NUL-terminated, and not overrun; err may be
 * NULL when errlen is 0. */
START_TEST(test_short_err)
{
	char err[16];

	memset(err, 0x5a, sizeof(err));
	ck_assert_int_eq(setenv("NOTIFY_SOCKET", sock_path, 1), 0);
	ck_assert_int_eq(sd_notify_send(STATE, err, 8), -1);
	ck_assert_uint_eq(strlen(err), 7);
	for (size_t i = 8; i < sizeof(err); i++)
		ck_assert_int_eq(err[i], 0x5a);
	ck_assert_int_eq(sd_notify_send(STATE, NULL, 0), -1);
}
END_TEST

static Suite *sdnotify_suite(void)
{
	Suite *s = suite_create("sdnotify");
	TCase *tc = tcase_create("sdnotify");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_path);
	tcase_add_test(tc, test_abstract);
	tcase_add_test(tc, test_longest_addresses);
	tcase_add_test(tc, test_unset);
	tcase_add_test(tc, test_too_long);
	tcase_add_test(tc, test_no_listener);
	tcase_add_test(tc, test_bad_addresses);
	tcase_add_test(tc, test_empty_state);
	tcase_add_test(tc, test_short_err);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(sdnotify_suite)
