/* BTSnoop capture: record encoding, files read back by the test reader, the
 * radio hook, and (when installed) btmon -r on a written file. */
#include <ev.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "btsnoop.h"
#include "btsnoop_read.h"
#include "check_main.h"
#include "h4.h"
#include "proc.h"
#include "radio.h"
#include "testhex.h"

static char *dir;
static char path[512];

static void setup(void)
{
	dir = tmpdir_create("btsnoop");
	ck_assert_ptr_nonnull(dir);
	ck_assert_int_lt(snprintf(path, sizeof(path), "%s/capture.snoop", dir), (int)sizeof(path));
}

static void teardown(void)
{
	proc_cleanup_all();
	if (dir)
		tmpdir_remove(dir);
	free(dir);
	dir = NULL;
}

/* HCI_Reset */
static const uint8_t cmd_reset[] = { 0x01, 0x03, 0x0c, 0x00 };
/* Command Complete for HCI_Reset, ncmd 1, status 0 */
static const uint8_t evt_cc[] = { 0x04, 0x0e, 0x04, 0x01, 0x03, 0x0c, 0x00 };
/* LE Set Scan Enable (enable, no duplicate filtering) */
static const uint8_t cmd_scan[] = { 0x01, 0x0c, 0x20, 0x02, 0x01, 0x00 };
/* ACL: handle 0x0001, 5 octets */
static const uint8_t acl[] = { 0x02, 0x01, 0x20, 0x05, 0x00, 0x01, 0x00, 0x04, 0x00, 0x09 };
/* SCO: handle 0x0002, 3 octets */
static const uint8_t sco[] = { 0x03, 0x02, 0x00, 0x03, 0xaa, 0xbb, 0xcc };
/* ISO: handle 0x0003, 4 octets */
static const uint8_t iso[] = { 0x05, 0x03, 0x00, 0x04, 0x00, 0x01, 0x02, 0x03, 0x04 };

#define T0 1700000000123456ULL /* 2023-11-14 22:13:20.123456 UTC */

static size_t file_size(const char *p)
{
	struct stat st;

	ck_assert_int_eq(stat(p, &st), 0);
	return (size_t)st.st_size;
}

static uint8_t *read_all(const char *p, size_t *len)
{
	char *s = read_file_str(p, len);

	ck_assert_ptr_nonnull(s);
	return (uint8_t *)s;
}

static void write_file(const char *p, const uint8_t *data, size_t len)
{
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
	ck_assert_int_eq(close(fd), 0);
}

/* A capture of a short exchange, both ways and every packet type. */
static void write_sample(const char *p)
{
	struct btsnoop b;
	char err[256] = "";

	ck_assert_msg(btsnoop_open(&b, p, err, sizeof(err)) == 0, "%s", err);
	btsnoop_write(&b, false, cmd_reset, sizeof(cmd_reset), T0);
	btsnoop_write(&b, true, evt_cc, sizeof(evt_cc), T0 + 1);
	btsnoop_write(&b, false, cmd_scan, sizeof(cmd_scan), T0 + 2);
	btsnoop_write(&b, true, acl, sizeof(acl), T0 + 3);
	btsnoop_write(&b, false, acl, sizeof(acl), T0 + 4);
	btsnoop_write(&b, false, sco, sizeof(sco), T0 + 5);
	btsnoop_write(&b, true, iso, sizeof(iso), T0 + 6);
	ck_assert(!b.failed);
	ck_assert_uint_eq(b.records, 7);
	btsnoop_close(&b);
	ck_assert_int_eq(b.fd, -1);
}

#define SAMPLE_SIZE                                                                          \
	(16 + 7 * 24 + sizeof(cmd_reset) + sizeof(evt_cc) + sizeof(cmd_scan) + 2 * sizeof(acl) + \
	 sizeof(sco) + sizeof(iso))

START_TEST(test_file_header)
{
	uint8_t h[BTSNOOP_HEADER_LEN];

	memset(h, 0xee, sizeof(h));
	btsnoop_file_header(h);
	EXPECT_HEX(h, sizeof(h), "6274736e6f6f7000 00000001 000003ea");
}
END_TEST

/* A record header for every type each way, against hand-computed octets:
 * T0 + 0x00dcddb30f2f8000 = 0x00e2e7d7274fa240. */
START_TEST(test_record_header)
{
	uint8_t h[BTSNOOP_RECORD_HEADER_LEN];

	/* command sent: flags 2 (command/event, host to controller) */
	memset(h, 0xee, sizeof(h));
	ck_assert_uint_eq(btsnoop_record_header(h, false, cmd_reset, sizeof(cmd_reset), 0), 24);
	EXPECT_HEX(h, sizeof(h), "00000004 00000004 00000002 00000000 00dcddb30f2f8000");
	/* event received: flags 3 */
	memset(h, 0xee, sizeof(h));
	ck_assert_uint_eq(btsnoop_record_header(h, true, evt_cc, sizeof(evt_cc), T0), 24);
	EXPECT_HEX(h, sizeof(h), "00000007 00000007 00000003 00000000 00e2e7d7274fa240");
	/* ACL both ways: flags 0 and 1 */
	ck_assert_uint_eq(btsnoop_record_header(h, false, acl, sizeof(acl), 1), 24);
	EXPECT_HEX(h, sizeof(h), "0000000a 0000000a 00000000 00000000 00dcddb30f2f8001");
	ck_assert_uint_eq(btsnoop_record_header(h, true, acl, sizeof(acl), 1), 24);
	EXPECT_HEX(h, sizeof(h), "0000000a 0000000a 00000001 00000000 00dcddb30f2f8001");
	/* SCO and ISO are data too */
	ck_assert_uint_eq(btsnoop_record_header(h, true, sco, sizeof(sco), 0), 24);
	EXPECT_HEX(h + 8, 4, "00000001");
	ck_assert_uint_eq(btsnoop_record_header(h, false, iso, sizeof(iso), 0), 24);
	EXPECT_HEX(h + 8, 4, "00000000");
	/* a command received or an event sent keep the command/event bit */
	ck_assert_uint_eq(btsnoop_record_header(h, true, cmd_scan, sizeof(cmd_scan), 0), 24);
	EXPECT_HEX(h, 12, "00000006 00000006 00000003");
	ck_assert_uint_eq(btsnoop_record_header(h, false, evt_cc, sizeof(evt_cc), 0), 24);
	EXPECT_HEX(h + 8, 4, "00000002");
	/* the largest H4 packet: lengths above 16 bits */
	ck_assert_uint_eq(btsnoop_record_header(h, false, acl, H4_MAX_PACKET, 0), 24);
	EXPECT_HEX(h, 8, "00010004 00010004");
	/* nothing to record */
	memset(h, 0xee, sizeof(h));
	ck_assert_uint_eq(btsnoop_record_header(h, false, acl, 0, 0), 0);
	EXPECT_HEX(h, 4, "eeeeeeee");
}
END_TEST

/* A written file, read back whole and by the checker. */
START_TEST(test_write_read_back)
{
	static const char *const want =
		"6274736e6f6f7000 00000001 000003ea"
		"00000004 00000004 00000002 00000000 00e2e7d7274fa240 01030c00"
		"00000007 00000007 00000003 00000000 00e2e7d7274fa241 040e0401030c00";
	size_t records = 99, sent = 99, received = 99, len;
	uint16_t opcode = 0xffff;
	char err[512] = "";
	uint8_t *f;

	write_sample(path);
	ck_assert_uint_eq(file_size(path), SAMPLE_SIZE);
	f = read_all(path, &len);
	ck_assert_uint_eq(len, SAMPLE_SIZE);
	EXPECT_HEX(f, 16 + 24 + 4 + 24 + 7, want);
	/* the last record: ISO received at T0 + 6 */
	EXPECT_HEX(f + len - sizeof(iso) - 24, 24,
		   "00000009 00000009 00000001 00000000 00e2e7d7274fa246");
	ck_assert_mem_eq(f + len - sizeof(iso), iso, sizeof(iso));
	free(f);

	ck_assert_msg(btsnoop_check_file(path, &records, &sent, &received, &opcode, err,
					 sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(records, 7);
	ck_assert_uint_eq(sent, 4);
	ck_assert_uint_eq(received, 3);
	ck_assert_uint_eq(opcode, 0x0c03);
}
END_TEST

/* An empty capture is valid; the first opcode is 0 when the host sent no
 * command first. */
START_TEST(test_empty_and_first_opcode)
{
	size_t records = 99, sent = 99, received = 99;
	uint16_t opcode = 0xffff;
	struct btsnoop b;
	char err[512] = "";

	ck_assert_msg(btsnoop_open(&b, path, err, sizeof(err)) == 0, "%s", err);
	btsnoop_close(&b);
	ck_assert_uint_eq(file_size(path), 16);
	ck_assert_msg(btsnoop_check_file(path, &records, &sent, &received, &opcode, err,
					 sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(records, 0);
	ck_assert_uint_eq(sent, 0);
	ck_assert_uint_eq(received, 0);
	ck_assert_uint_eq(opcode, 0);

	ck_assert_msg(btsnoop_open(&b, path, err, sizeof(err)) == 0, "%s", err);
	btsnoop_write(&b, true, evt_cc, sizeof(evt_cc), T0);
	btsnoop_write(&b, false, acl, sizeof(acl), T0);
	btsnoop_write(&b, false, cmd_scan, sizeof(cmd_scan), T0);
	btsnoop_close(&b);
	opcode = 0xffff;
	ck_assert_msg(btsnoop_check_file(path, &records, &sent, &received, &opcode, err,
					 sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(records, 3);
	ck_assert_uint_eq(sent, 2);
	ck_assert_uint_eq(received, 1);
	ck_assert_uint_eq(opcode, 0);

	ck_assert_msg(btsnoop_open(&b, path, err, sizeof(err)) == 0, "%s", err);
	btsnoop_write(&b, true, evt_cc, sizeof(evt_cc), T0);
	btsnoop_write(&b, false, cmd_scan, sizeof(cmd_scan), T0);
	btsnoop_write(&b, false, cmd_reset, sizeof(cmd_reset), T0);
	btsnoop_close(&b);
	ck_assert_msg(btsnoop_check_file(path, NULL, NULL, NULL, &opcode, err, sizeof(err)) == 0,
		      "%s", err);
	ck_assert_uint_eq(opcode, 0x200c);
}
END_TEST

/* Create or truncate, mode 0600, close-on-exec. */
START_TEST(test_open_truncates)
{
	static const uint8_t junk[100] = { 1, 2, 3 };
	char other[600];
	struct btsnoop b;
	struct stat st;
	char err[512] = "";
	mode_t old;

	write_file(path, junk, sizeof(junk));
	ck_assert_int_eq(chmod(path, 0644), 0);
	ck_assert_msg(btsnoop_open(&b, path, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_ge(b.fd, 0);
	ck_assert_uint_eq(b.records, 0);
	ck_assert(!b.failed);
	ck_assert_int_ne(fcntl(b.fd, F_GETFD) & FD_CLOEXEC, 0);
	btsnoop_close(&b);
	ck_assert_uint_eq(file_size(path), 16);

	snprintf(other, sizeof(other), "%s/new.snoop", dir);
	old = umask(0);
	ck_assert_msg(btsnoop_open(&b, other, err, sizeof(err)) == 0, "%s", err);
	umask(old);
	btsnoop_close(&b);
	btsnoop_close(&b); /* harmless */
	ck_assert_int_eq(stat(other, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
}
END_TEST

START_TEST(test_open_fails)
{
	char bad[600], err[512];
	struct btsnoop b;

	snprintf(bad, sizeof(bad), "%s/no-such-dir/capture.snoop", dir);
	memset(err, 0, sizeof(err));
	ck_assert_int_eq(btsnoop_open(&b, bad, err, sizeof(err)), -1);
	ck_assert_int_eq(b.fd, -1);
	ck_assert_msg(strstr(err, bad) == err, "error '%s' does not start with the path", err);
	ck_assert_msg(strstr(err, "No such file or directory"), "error '%s'", err);
	btsnoop_close(&b); /* harmless after a failed open */

	/* a directory */
	memset(err, 0, sizeof(err));
	ck_assert_int_eq(btsnoop_open(&b, dir, err, sizeof(err)), -1);
	ck_assert_msg(strncmp(err, dir, strlen(dir)) == 0 && strstr(err, "directory"), "error '%s'",
		      err);

	/* the header cannot be written */
	if (access("/dev/full", W_OK) == 0) {
		memset(err, 0, sizeof(err));
		ck_assert_int_eq(btsnoop_open(&b, "/dev/full", err, sizeof(err)), -1);
		ck_assert_int_eq(b.fd, -1);
		ck_assert_msg(strncmp(err, "/dev/full: ", 11) == 0, "error '%s'", err);
	}

	/* a short error buffer is cut, still terminated */
	memset(err, 'x', sizeof(err));
	ck_assert_int_eq(btsnoop_open(&b, bad, err, 8), -1);
	ck_assert_uint_eq(strlen(err), 7);
}
END_TEST

/* A failed write stops the capture, with one warning, and keeps what was
 * written before readable. */
START_TEST(test_write_failure_stops)
{
	char errpath[600], err[512] = "";
	size_t records = 0, len;
	struct btsnoop b;
	int full, saved, errfd, keep;
	char *log;

	if (access("/dev/full", W_OK) != 0)
		return;
	snprintf(errpath, sizeof(errpath), "%s/stderr", dir);
	ck_assert_msg(btsnoop_open(&b, path, err, sizeof(err)) == 0, "%s", err);
	btsnoop_write(&b, false, cmd_reset, sizeof(cmd_reset), T0);
	ck_assert_uint_eq(b.records, 1);

	/* stderr to a file, the capture's descriptor onto /dev/full */
	fflush(stderr);
	saved = dup(2);
	ck_assert_int_ge(saved, 0);
	errfd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ck_assert_int_ge(errfd, 0);
	ck_assert_int_eq(dup2(errfd, 2), 2);
	close(errfd);
	keep = dup(b.fd);
	ck_assert_int_ge(keep, 0);
	full = open("/dev/full", O_WRONLY | O_CLOEXEC);
	ck_assert_int_ge(full, 0);
	ck_assert_int_eq(dup2(full, b.fd), b.fd);
	close(full);

	btsnoop_write(&b, true, evt_cc, sizeof(evt_cc), T0 + 1);
	ck_assert(b.failed);
	/* back to the real file: nothing more may be written */
	ck_assert_int_eq(dup2(keep, b.fd), b.fd);
	close(keep);
	btsnoop_write(&b, true, evt_cc, sizeof(evt_cc), T0 + 2);
	btsnoop_write(&b, false, cmd_scan, sizeof(cmd_scan), T0 + 3);
	ck_assert(b.failed);
	ck_assert_uint_eq(b.records, 1);
	btsnoop_close(&b);

	fflush(stderr);
	ck_assert_int_eq(dup2(saved, 2), 2);
	close(saved);
	log = read_file_str(errpath, &len);
	ck_assert_ptr_nonnull(log);
	ck_assert_msg(strstr(log, "No space left on device"), "log: '%s'", log);
	ck_assert_msg(strchr(log, '\n') == log + len - 1, "not one line: '%s'", log);
	free(log);

	ck_assert_uint_eq(file_size(path), 16 + 24 + sizeof(cmd_reset));
	ck_assert_msg(btsnoop_check_file(path, &records, NULL, NULL, NULL, err, sizeof(err)) == 0,
		      "%s", err);
	ck_assert_uint_eq(records, 1);
}
END_TEST

/* Change the sample file at off, or cut it to len, and expect the checker
 * to reject it with a message containing what. */
static void expect_rejected(const char *what, size_t off, const uint8_t *bytes, size_t n,
			    size_t cut, const uint8_t *append, size_t alen)
{
	uint8_t *f, *g;
	size_t len, glen;
	char err[512] = "";

	write_sample(path);
	f = read_all(path, &len);
	ck_assert_uint_le(cut, len);
	glen = cut + alen;
	g = malloc(glen);
	ck_assert_ptr_nonnull(g);
	memcpy(g, f, cut);
	if (alen)
		memcpy(g + cut, append, alen);
	if (n) {
		ck_assert_uint_le(off + n, glen);
		memcpy(g + off, bytes, n);
	}
	write_file(path, g, glen);
	free(g);
	free(f);
	ck_assert_msg(btsnoop_check_file(path, NULL, NULL, NULL, NULL, err, sizeof(err)) == -1,
		      "%s: accepted", what);
	ck_assert_msg(strncmp(err, path, strlen(path)) == 0, "%s: error '%s' does not name the file",
		      what, err);
	ck_assert_msg(strstr(err, what), "error '%s', want '%s'", err, what);
}

START_TEST(test_check_rejects)
{
	static const uint8_t zero4[4] = { 0 }, one[] = { 0x01 }, two[] = { 0x02 },
		big[] = { 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x10, 0x00 }, junk[30] = { 0 };
	size_t r1 = 16 + 24 + sizeof(cmd_reset); /* the second record */
	char err[512] = "";

	/* the untouched sample passes: every rejection below is the change's doing */
	write_sample(path);
	ck_assert_msg(btsnoop_check_file(path, NULL, NULL, NULL, NULL, err, sizeof(err)) == 0, "%s",
		      err);

	expect_rejected("magic", 0, (const uint8_t *)"btsnoup", 7, SAMPLE_SIZE, NULL, 0);
	expect_rejected("version 2", 11, two, 1, SAMPLE_SIZE, NULL, 0);
	expect_rejected("datalink 1001", 14, (const uint8_t *)"\x03\xe9", 2, SAMPLE_SIZE, NULL, 0);
	expect_rejected("too short", 0, NULL, 0, 15, NULL, 0);
	/* truncated: one octet short, and inside the last record's header */
	expect_rejected("truncated", 0, NULL, 0, SAMPLE_SIZE - 1, NULL, 0);
	expect_rejected("truncated header", 0, NULL, 0, SAMPLE_SIZE - sizeof(iso) - 10, NULL, 0);
	/* trailing octets: too few for a record header, and a whole empty one */
	expect_rejected("record 7: truncated header", 0, NULL, 0, SAMPLE_SIZE, junk, 3);
	expect_rejected("record 7: empty", 0, NULL, 0, SAMPLE_SIZE, junk, 24);
	expect_rejected("record 7", 0, NULL, 0, SAMPLE_SIZE, junk, sizeof(junk));
	/* lengths */
	expect_rejected("original length 8, included 7", r1 + 3, (const uint8_t *)"\x08", 1,
			SAMPLE_SIZE, NULL, 0);
	expect_rejected("record 0: truncated", 16, big, 8, SAMPLE_SIZE, NULL, 0);
	/* drops, flags, timestamp */
	expect_rejected("record 1: 4 dropped", r1 + 15, (const uint8_t *)"\x04", 1, SAMPLE_SIZE,
			NULL, 0);
	expect_rejected("record 1: unknown flags", r1 + 10, one, 1, SAMPLE_SIZE, NULL, 0);
	expect_rejected("record 1: flags 0x1 disagree", r1 + 11, one, 1, SAMPLE_SIZE, NULL, 0);
	expect_rejected("record 0: flags 0x0 disagree", 16 + 11, zero4, 1, SAMPLE_SIZE, NULL, 0);
	expect_rejected("record 0: command received", 16 + 11, (const uint8_t *)"\x03", 1,
			SAMPLE_SIZE, NULL, 0);
	expect_rejected("record 1: event sent", r1 + 11, two, 1, SAMPLE_SIZE, NULL, 0);
	expect_rejected("record 1: timestamp before 1970", r1 + 16, zero4, 4, SAMPLE_SIZE, NULL, 0);
	/* the data */
	expect_rejected("record 0: unknown H4 type 0x06", 16 + 24, (const uint8_t *)"\x06", 1,
			SAMPLE_SIZE, NULL, 0);
	expect_rejected("record 0: unknown H4 type 0x00", 16 + 24, zero4, 1, SAMPLE_SIZE, NULL, 0);
	expect_rejected("record 1: 7 octets, the H4 type 0x04 header says 8", r1 + 24 + 2,
			(const uint8_t *)"\x05", 1, SAMPLE_SIZE, NULL, 0);
	expect_rejected("record 0: 4 octets, the H4 type 0x01 header says 5", 16 + 24 + 3, one, 1,
			SAMPLE_SIZE, NULL, 0);

	/* not there, not a file */
	memset(err, 0, sizeof(err));
	unlink(path);
	ck_assert_int_eq(btsnoop_check_file(path, NULL, NULL, NULL, NULL, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "No such file"), "error '%s'", err);
	ck_assert_int_eq(btsnoop_check_file(dir, NULL, NULL, NULL, NULL, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "not a regular file"), "error '%s'", err);
}
END_TEST

/* The radio hook: a fake controller on a socket pair. */
static void run_until_records(struct ev_loop *loop, struct radio *r, uint64_t n)
{
	for (int i = 0; i < 50 && r->snoop.records < n; i++)
		ev_run(loop, EVRUN_ONCE);
	ck_assert_uint_eq(r->snoop.records, n);
}

static size_t read_peer(int fd, uint8_t *buf, size_t max)
{
	ssize_t n = recv(fd, buf, max, MSG_DONTWAIT);

	ck_assert_int_gt(n, 0);
	return (size_t)n;
}

START_TEST(test_radio_snoop)
{
	static const struct radio_ops ops = { 0 };
	static const uint8_t sent_want[] = { 0x01, 0x03, 0x0c, 0x00, 0x01, 0x01, 0x10, 0x00 };
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	size_t records = 0, sent = 0, received = 0, n;
	uint16_t opcode = 0;
	struct radio *r = calloc(1, sizeof(*r));
	char spec[32], err[512] = "", bad[600];
	uint8_t buf[64];
	int sv[2];

	ck_assert_ptr_nonnull(loop);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	snprintf(spec, sizeof(spec), "fd:%d", sv[0]);
	ck_assert_msg(radio_open(r, loop, spec, &ops, NULL, err, sizeof(err)) == 0, "%s", err);
	ck_assert(!r->snooping);

	snprintf(bad, sizeof(bad), "%s/no-such-dir/x.snoop", dir);
	ck_assert_int_eq(radio_snoop(r, bad, err, sizeof(err)), -1);
	ck_assert_msg(strncmp(err, bad, strlen(bad)) == 0, "error '%s'", err);
	ck_assert(!r->snooping);
	ck_assert_msg(radio_snoop(r, path, err, sizeof(err)) == 0, "%s", err);
	ck_assert(r->snooping);

	/* HCI_Reset goes out and is recorded */
	radio_start(r);
	ck_assert_uint_eq(r->snoop.records, 1);
	n = read_peer(sv[1], buf, sizeof(buf));
	ck_assert_uint_eq(n, sizeof(cmd_reset));
	ck_assert_mem_eq(buf, cmd_reset, n);

	/* its Command Complete in two pieces: recorded once, whole; the next
	 * set-up command (Read Local Version) follows */
	ck_assert_int_eq(write(sv[1], evt_cc, 3), 3);
	for (int i = 0; i < 3; i++)
		ev_run(loop, EVRUN_NOWAIT);
	ck_assert_uint_eq(r->snoop.records, 1);
	ck_assert_int_eq(write(sv[1], evt_cc + 3, sizeof(evt_cc) - 3), (ssize_t)sizeof(evt_cc) - 3);
	run_until_records(loop, r, 3);
	n = read_peer(sv[1], buf, sizeof(buf));
	ck_assert_uint_eq(n, 4);
	ck_assert_mem_eq(buf, sent_want + 4, 4);

	/* data the cores ignore is recorded all the same */
	ck_assert_int_eq(write(sv[1], acl, sizeof(acl)), (ssize_t)sizeof(acl));
	run_until_records(loop, r, 4);

	radio_close(r);
	ck_assert(!r->snooping);
	ck_assert_int_eq(r->snoop.fd, -1);

	ck_assert_msg(btsnoop_check_file(path, &records, &sent, &received, &opcode, err,
					 sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(records, 4);
	ck_assert_uint_eq(sent, 2);
	ck_assert_uint_eq(received, 2);
	ck_assert_uint_eq(opcode, 0x0c03);
	ck_assert_uint_eq(file_size(path),
			  16 + 4 * 24 + sizeof(sent_want) + sizeof(evt_cc) + sizeof(acl));

	close(sv[0]);
	close(sv[1]);
	free(r);
	ev_loop_destroy(loop);
}
END_TEST

/* btmon reads what we write (skipped when it is not installed). */
START_TEST(test_btmon_reads_it)
{
	const char *argv[] = { NULL, "-r", path, NULL };
	struct proc_opts opts = { .capture_stdout = true };
	char *btmon = NULL, st[64];
	struct proc p;

	if (is_executable("/usr/bin/btmon"))
		btmon = strdup("/usr/bin/btmon");
	else
		btmon = find_in_path("btmon");
	if (!btmon)
		return;
	write_sample(path);
	argv[0] = btmon;
	PROC_REQUIRE(proc_spawn(&p, argv, &opts) == 0, "cannot start %s", btmon);
	PROC_REQUIRE(proc_wait(&p, 10000) == 0, "btmon -r did not finish");
	ck_assert_msg(proc_exit_code(&p) == 0, "btmon -r: %s",
		      proc_status_str(&p, st, sizeof(st)));
	ck_assert_msg(strstr(p.out, "HCI Command: Reset"), "btmon -r output:\n%s", p.out);
	ck_assert_msg(strstr(p.out, "HCI Event: Command Complete"), "btmon -r output:\n%s", p.out);
	ck_assert_msg(strstr(p.out, "LE Set Scan Enable"), "btmon -r output:\n%s", p.out);
	ck_assert_msg(strstr(p.out, "ACL Data RX"), "btmon -r output:\n%s", p.out);
	ck_assert_msg(strstr(p.out, "ACL Data TX"), "btmon -r output:\n%s", p.out);
	proc_free(&p);
	free(btmon);
}
END_TEST

static Suite *btsnoop_suite(void)
{
	Suite *s = suite_create("btsnoop");
	TCase *tc = tcase_create("btsnoop");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_file_header);
	tcase_add_test(tc, test_record_header);
	tcase_add_test(tc, test_write_read_back);
	tcase_add_test(tc, test_empty_and_first_opcode);
	tcase_add_test(tc, test_open_truncates);
	tcase_add_test(tc, test_open_fails);
	tcase_add_test(tc, test_write_failure_stops);
	tcase_add_test(tc, test_check_rejects);
	tcase_add_test(tc, test_radio_snoop);
	tcase_add_test(tc, test_btmon_reads_it);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(btsnoop_suite)
