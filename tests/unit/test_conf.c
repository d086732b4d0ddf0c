/* The configuration file and the credentials file (src/conf.c). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aligenie.h"
#include "check_main.h"
#include "conf.h"
#include "prov.h"
#include "testhex.h"
#include "util.h"

#define ERRLEN 512
#define S16 "00112233445566778899aabbccddeeff" /* 16 octets of hex */
#define UUID1 "0123456789abcdef0123456789abcdef"

/* Parse from an exact heap copy, so that ASan sees any read past the end. */
static int parse_conf_n(struct conf *c, const char *text, size_t len, char *err)
{
	uint8_t *copy = exact_copy((const uint8_t *)text, len);
	int ret = conf_parse(c, "test.conf", (const char *)copy, len, err, ERRLEN);

	free(copy);
	return ret;
}

static int parse_creds_n(struct creds *c, const char *text, size_t len, char *err)
{
	uint8_t *copy = exact_copy((const uint8_t *)text, len);
	int ret = creds_parse(c, "devices", (const char *)copy, len, err, ERRLEN);

	free(copy);
	return ret;
}

/* Defaults, then text: must succeed. */
static void conf_ok(struct conf *c, const char *text)
{
	char err[ERRLEN] = "";

	conf_defaults(c);
	ck_assert_msg(parse_conf_n(c, text, strlen(text), err) == 0, "%s: %s", text, err);
}

/* text must fail with exactly "NAME:LINE: msg" (line 0: "NAME: msg"). */
static void assert_err(const char *err, const char *name, unsigned line, const char *msg)
{
	char want[ERRLEN];

	if (line)
		snprintf(want, sizeof(want), "%s:%u: %s", name, line, msg);
	else
		snprintf(want, sizeof(want), "%s: %s", name, msg);
	ck_assert_str_eq(err, want);
}

/* A temporary file holding text, with mode; its path into path[32]. */
static void write_temp(char path[32], const char *text, mode_t mode)
{
	int fd;

	snprintf(path, 32, "/tmp/test_conf.XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (int)strlen(text));
	ck_assert_int_eq(fchmod(fd, mode), 0);
	close(fd);
}

static void assert_groups(const struct conf_groups *g, unsigned n, const uint16_t *want)
{
	ck_assert_uint_eq(g->n, n);
	for (unsigned i = 0; i < n; i++)
		ck_assert_uint_eq(g->addr[i], want[i]);
}

/* ---- configuration file ---- */

START_TEST(test_conf_defaults)
{
	static const uint16_t groups[] = { 0xc000, 0xcfff };
	struct conf c;

	memset(&c, 0xa5, sizeof(c));
	conf_defaults(&c);
	ck_assert_str_eq(c.hci, "hci0");
	ck_assert_str_eq(c.db, "/var/lib/meshprov/network.json");
	ck_assert_str_eq(c.credentials, "/etc/meshprov/devices");
	ck_assert_str_eq(c.control, "/run/meshprov/control");
	ck_assert_str_eq(c.control_group, "meshprov");
	ck_assert(c.auto_provision);
	ck_assert_uint_eq(c.max_sessions, 2);
	ck_assert_uint_eq(c.max_devices, 1024);
	ck_assert_uint_eq(c.max_attempts, 5);
	ck_assert_uint_eq(c.retry_delay_s, 10);
	ck_assert_uint_eq(c.reservation_window_s, 130);
	ck_assert(!c.has_unicast_range);
	ck_assert_uint_eq(c.adv_interval_ms, 20);
	ck_assert_uint_eq(c.adv_count, 3);
	assert_groups(&c.aligenie_groups, 2, groups);
	ck_assert_uint_eq(c.nproduct_groups, 0);
	ck_assert_int_eq(c.log_level, LOG_LVL_INFO);
}
END_TEST

START_TEST(test_conf_full)
{
	static const uint16_t dflt[] = { 0xc001, 0xfeff, 0xc000 };
	static const uint16_t p16[] = { 0xc002 };
	static const uint16_t pmax[] = { 0xc003, 0xc004, 0xc005, 0xc006 };
	struct conf c;

	conf_ok(&c, "hci = hci1\n"
		    "db = /tmp/net.json\n"
		    "credentials = devices.txt\n"
		    "control = /tmp/ctl\n"
		    "control_group = mesh_admins.2-x\n"
		    "auto_provision = off\n"
		    "max_sessions = 8\n"
		    "max_devices = 0x10000\n"
		    "max_attempts = 100\n"
		    "retry_delay = 3600\n"
		    "unicast_range = 0x0100 - 0x01ff\n"
		    "adv_interval = 10240\n"
		    "adv_count = 20\n"
		    "aligenie_groups = 0xc001, 0xfeff ,0xc000\n"
		    "aligenie_groups.0x10 = 0xc002\n"
		    "aligenie_groups.4294967295 = 0xc003,0xc004,0xc005,0xc006\n"
		    "log_level = DEBUG\n");
	ck_assert_str_eq(c.hci, "hci1");
	ck_assert_str_eq(c.db, "/tmp/net.json");
	ck_assert_str_eq(c.credentials, "devices.txt");
	ck_assert_str_eq(c.control, "/tmp/ctl");
	ck_assert_str_eq(c.control_group, "mesh_admins.2-x");
	ck_assert(!c.auto_provision);
	ck_assert_uint_eq(c.max_sessions, 8);
	ck_assert_uint_eq(c.max_devices, 65536);
	ck_assert_uint_eq(c.max_attempts, 100);
	ck_assert_uint_eq(c.retry_delay_s, 3600);
	ck_assert(c.has_unicast_range);
	ck_assert_uint_eq(c.unicast_low, 0x0100);
	ck_assert_uint_eq(c.unicast_high, 0x01ff);
	ck_assert_uint_eq(c.adv_interval_ms, 10240);
	ck_assert_uint_eq(c.adv_count, 20);
	assert_groups(&c.aligenie_groups, 3, dflt);
	ck_assert_uint_eq(c.nproduct_groups, 2);
	ck_assert_uint_eq(c.product_groups[0].pid, 16);
	assert_groups(&c.product_groups[0].groups, 1, p16);
	ck_assert_uint_eq(c.product_groups[1].pid, 0xffffffff);
	assert_groups(&c.product_groups[1].groups, 4, pmax);
	ck_assert_int_eq(c.log_level, LOG_LVL_DEBUG);
}
END_TEST

/* Every spelling of the booleans and log levels; the smallest values. */
START_TEST(test_conf_words)
{
	static const struct {
		const char *text;
		bool auto_provision;
		enum log_level level;
	} t[] = {
		{ "auto_provision = yes\nlog_level = error", true, LOG_LVL_ERROR },
		{ "auto_provision = no\nlog_level = warning", false, LOG_LVL_WARN },
		{ "auto_provision = true\nlog_level = info", true, LOG_LVL_INFO },
		{ "auto_provision = false\nlog_level = debug", false, LOG_LVL_DEBUG },
		{ "auto_provision = ON\nlog_level = Error", true, LOG_LVL_ERROR },
		{ "auto_provision = off", false, LOG_LVL_INFO },
		{ "auto_provision = 1", true, LOG_LVL_INFO },
		{ "auto_provision = 0", false, LOG_LVL_INFO },
	};
	struct conf c;

	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		conf_ok(&c, t[i].text);
		ck_assert_msg(c.auto_provision == t[i].auto_provision, "%s", t[i].text);
		ck_assert_msg(c.log_level == t[i].level, "%s", t[i].text);
	}
	conf_ok(&c, "max_sessions=1\nmax_devices=16\nmax_attempts=1\nretry_delay=1\n"
		    "unicast_range=1-1\nadv_interval=20\nadv_count=1\naligenie_groups=0xfeff");
	ck_assert_uint_eq(c.max_sessions, 1);
	ck_assert_uint_eq(c.max_devices, 16);
	ck_assert_uint_eq(c.max_attempts, 1);
	ck_assert_uint_eq(c.retry_delay_s, 1);
	ck_assert_uint_eq(c.unicast_low, 1);
	ck_assert_uint_eq(c.unicast_high, 1);
	ck_assert_uint_eq(c.adv_interval_ms, 20);
	ck_assert_uint_eq(c.adv_count, 1);
	ck_assert_uint_eq(c.aligenie_groups.n, 1);
	ck_assert_uint_eq(c.aligenie_groups.addr[0], 0xfeff);
}
END_TEST

/* One bad line, after (i % 4) good or ignored lines: the error names it. */
static const struct {
	const char *line;
	const char *msg;
} bad_conf[] = {
	{ "max_session = 2", "unknown key 'max_session'" },
	{ "MAX_SESSIONS = 2", "unknown key 'MAX_SESSIONS'" },
	{ "max_sessions 2", "missing '=' in 'max_sessions 2' (key = value)" },
	{ " = 2", "missing the key before '='" },
	{ "hci =", "no value for hci" },
	{ "hci = # the adapter", "no value for hci" },
	{ "hci =#x", "no value for hci" },
	{ "control_group = a b", "control_group must be 1-32 characters of A-Z a-z 0-9 _ . -, not 'a b'" },
	{ "control_group = a/b", "control_group must be 1-32 characters of A-Z a-z 0-9 _ . -, not 'a/b'" },
	{ "control_group = abcdefghijabcdefghijabcdefghijabc",
	  "control_group must be 1-32 characters of A-Z a-z 0-9 _ . -, not 'abcdefghijabcdefghijabcdefghijabc'" },
	{ "auto_provision = maybe", "auto_provision must be yes or no (true/false, on/off, 1/0), not 'maybe'" },
	{ "max_sessions = 0", "max_sessions must be 1-8, not '0'" },
	{ "max_sessions = 9", "max_sessions must be 1-8, not '9'" },
	{ "max_sessions = -1", "max_sessions must be 1-8, not '-1'" },
	{ "max_sessions = 2x", "max_sessions must be 1-8, not '2x'" },
	{ "max_sessions = 0x", "max_sessions must be 1-8, not '0x'" },
	{ "max_sessions = 1 2", "max_sessions must be 1-8, not '1 2'" },
	{ "max_devices = 15", "max_devices must be 16-65536, not '15'" },
	{ "max_devices = 65537", "max_devices must be 16-65536, not '65537'" },
	{ "max_attempts = 0", "max_attempts must be 1-100, not '0'" },
	{ "max_attempts = 101", "max_attempts must be 1-100, not '101'" },
	{ "retry_delay = 0", "retry_delay must be 1-3600, not '0'" },
	{ "retry_delay = 3601", "retry_delay must be 1-3600, not '3601'" },
	{ "retry_delay = 1.5", "retry_delay must be 1-3600, not '1.5'" },
	{ "reservation_window = 0", "reservation_window must be 1-86400, not '0'" },
	{ "reservation_window = 86401", "reservation_window must be 1-86400, not '86401'" },
	{ "adv_interval = 19", "adv_interval must be 20-10240, not '19'" },
	{ "adv_interval = 10241", "adv_interval must be 20-10240, not '10241'" },
	{ "adv_count = 0", "adv_count must be 1-20, not '0'" },
	{ "adv_count = 21", "adv_count must be 1-20, not '21'" },
#define RANGE_MSG(v) "unicast_range must be LOW-HIGH, 0x0001 <= LOW <= HIGH <= 0x7fff, not '" v "'"
	{ "unicast_range = 0x0000-0x7fff", RANGE_MSG("0x0000-0x7fff") },
	{ "unicast_range = 0x0002-0x8000", RANGE_MSG("0x0002-0x8000") },
	{ "unicast_range = 0x0100-0x00ff", RANGE_MSG("0x0100-0x00ff") },
	{ "unicast_range = 0x0002", RANGE_MSG("0x0002") },
	{ "unicast_range = 0x0002-", RANGE_MSG("0x0002-") },
	{ "unicast_range = -0x0010", RANGE_MSG("-0x0010") },
	{ "aligenie_groups = 0xbfff", "aligenie_groups: '0xbfff' is not a group address (0xc000-0xfeff)" },
	{ "aligenie_groups = 0xc000, 0xff00", "aligenie_groups: '0xff00' is not a group address (0xc000-0xfeff)" },
	{ "aligenie_groups = 0xc000,,0xc001", "aligenie_groups: '' is not a group address (0xc000-0xfeff)" },
	{ "aligenie_groups = 0xc000,", "aligenie_groups: '' is not a group address (0xc000-0xfeff)" },
	{ "aligenie_groups = 0xc000 0xc001", "aligenie_groups: '0xc000 0xc001' is not a group address (0xc000-0xfeff)" },
	{ "aligenie_groups = 0xc000,0xc001,0xc000", "aligenie_groups: group 0xc000 given twice" },
	{ "aligenie_groups = 0xc000,0xc001,0xc002,0xc003,0xc004", "aligenie_groups: at most 4 group addresses" },
	{ "aligenie_groups.7 = 0x0001", "aligenie_groups.7: '0x0001' is not a group address (0xc000-0xfeff)" },
#define PID_MSG(k) "bad ProductID in '" k "' (aligenie_groups.PID, PID decimal or 0x hex up to 0xffffffff)"
	{ "aligenie_groups.x = 0xc000", PID_MSG("aligenie_groups.x") },
	{ "aligenie_groups. = 0xc000", PID_MSG("aligenie_groups.") },
	{ "aligenie_groups.0x100000000 = 0xc000", PID_MSG("aligenie_groups.0x100000000") },
	{ "log_level = verbose", "log_level must be error, warning, info or debug, not 'verbose'" },
};

START_TEST(test_conf_bad)
{
	static const char *const before[] = { "# comment", "", "max_sessions = 3" };
	char text[1024], err[ERRLEN] = "";
	unsigned lines = (unsigned)_i % 4;
	size_t n = 0;
	struct conf c;

	for (unsigned k = 0; k < lines; k++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "%s\n", before[k]);
	snprintf(text + n, sizeof(text) - n, "%s\nadv_count = 4\n", bad_conf[_i].line);
	conf_defaults(&c);
	ck_assert_int_eq(parse_conf_n(&c, text, strlen(text), err), -1);
	assert_err(err, "test.conf", lines + 1, bad_conf[_i].msg);
}
END_TEST

/* The longest strings that fit, and one more; an over-long line. */
START_TEST(test_conf_lengths)
{
	static const struct {
		const char *key;
		size_t max;
	} t[] = { { "hci", 255 }, { "control", 107 } };
	char text[CONF_MAX_LINE + 16], err[ERRLEN], msg[128];
	struct conf c;

	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		size_t n = (size_t)snprintf(text, sizeof(text), "%s = ", t[i].key);

		memset(text + n, 'a', t[i].max);
		text[n + t[i].max] = '\0';
		conf_ok(&c, text);
		ck_assert_uint_eq(strlen(i ? c.control : c.hci), t[i].max);
		strcat(text, "a");
		ck_assert_int_eq(parse_conf_n(&c, text, strlen(text), err), -1);
		snprintf(msg, sizeof(msg), "%s must be at most %zu characters, not %zu", t[i].key,
			 t[i].max, t[i].max + 1);
		assert_err(err, "test.conf", 1, msg);
	}
	/* a line of CONF_MAX_LINE characters is fine; one more is not */
	memcpy(text, "db = /", 6);
	memset(text + 6, 'd', CONF_MAX_LINE - 6);
	strcpy(text + CONF_MAX_LINE, "\n");
	conf_ok(&c, text);
	ck_assert_uint_eq(strlen(c.db), CONF_MAX_LINE - 5);
	strcpy(text + CONF_MAX_LINE, "d\n");
	ck_assert_int_eq(parse_conf_n(&c, text, strlen(text), err), -1);
	assert_err(err, "test.conf", 1, "line longer than 4096 characters");
}
END_TEST

START_TEST(test_conf_comments)
{
	static const uint16_t groups[] = { 0xc001, 0xc002 };
	struct conf c;

	conf_ok(&c, "# meshprov.conf\n"
		    "\n"
		    "   # indented comment = with an equals sign\n"
		    "\t\n"
		    "  hci=hci1  # the USB dongle\n"
		    "db\t=\t/srv/mesh#2/net.json\r\n"
		    "control =/run/a#b\n"
		    "credentials = /etc/my devices\t# a path with a space\n"
		    "aligenie_groups = 0xc001,0xc002 # lights\n"
		    "max_sessions = 4"); /* no newline at the end */
	ck_assert_str_eq(c.hci, "hci1");
	ck_assert_str_eq(c.db, "/srv/mesh#2/net.json");
	ck_assert_str_eq(c.control, "/run/a#b");
	ck_assert_str_eq(c.credentials, "/etc/my devices");
	assert_groups(&c.aligenie_groups, 2, groups);
	ck_assert_uint_eq(c.max_sessions, 4);
	/* nothing but comments and blank lines: the defaults */
	conf_ok(&c, "# only\n\n#comments\n");
	ck_assert_str_eq(c.hci, "hci0");
	conf_ok(&c, "");
	ck_assert_uint_eq(c.max_sessions, 2);
}
END_TEST

START_TEST(test_conf_last_wins)
{
	static const uint16_t dflt[] = { 0xc005 };
	static const uint16_t p16[] = { 0xc00a, 0xc00b };
	struct conf c;

	conf_ok(&c, "max_sessions = 3\n"
		    "aligenie_groups = 0xc001,0xc002,0xc003\n"
		    "aligenie_groups.16 = 0xc009\n"
		    "unicast_range = 2-10\n"
		    "max_sessions = 5\n"
		    "aligenie_groups = 0xc005\n"
		    "aligenie_groups.0x10 = 0xc00a,0xc00b\n"
		    "unicast_range = 0x20-0x30\n");
	ck_assert_uint_eq(c.max_sessions, 5);
	assert_groups(&c.aligenie_groups, 1, dflt);
	ck_assert_uint_eq(c.nproduct_groups, 1);
	ck_assert_uint_eq(c.product_groups[0].pid, 16);
	assert_groups(&c.product_groups[0].groups, 2, p16);
	ck_assert_uint_eq(c.unicast_low, 0x20);
	ck_assert_uint_eq(c.unicast_high, 0x30);
}
END_TEST

START_TEST(test_conf_groups_for)
{
	struct conf c;

	conf_defaults(&c);
	ck_assert_ptr_eq(conf_groups_for(&c, 5689), &c.aligenie_groups);
	conf_ok(&c, "aligenie_groups.5689 = 0xc007\naligenie_groups.0xdeadbeef = 0xc008,0xcfff\n");
	ck_assert_ptr_eq(conf_groups_for(&c, 5689), &c.product_groups[0].groups);
	ck_assert_uint_eq(conf_groups_for(&c, 5689)->addr[0], 0xc007);
	ck_assert_ptr_eq(conf_groups_for(&c, 0xdeadbeef), &c.product_groups[1].groups);
	ck_assert_uint_eq(conf_groups_for(&c, 0xdeadbeef)->addr[1], 0xcfff);
	ck_assert_ptr_eq(conf_groups_for(&c, 5690), &c.aligenie_groups);
	ck_assert_uint_eq(conf_groups_for(&c, 0)->addr[0], 0xc000);
}
END_TEST

/* 64 ProductIDs fit; a 65th is an error naming its line. */
START_TEST(test_conf_too_many_products)
{
	char text[64 * 40], err[ERRLEN] = "";
	size_t n = 0;
	struct conf c;

	for (unsigned i = 0; i < CONF_MAX_PRODUCT_GROUPS; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "aligenie_groups.%u = 0xc%03x\n",
				      1000 + i, i);
	conf_ok(&c, text);
	ck_assert_uint_eq(c.nproduct_groups, CONF_MAX_PRODUCT_GROUPS);
	ck_assert_uint_eq(conf_groups_for(&c, 1063)->addr[0], 0xc03f);
	/* the same PID again still fits */
	n += (size_t)snprintf(text + n, sizeof(text) - n, "aligenie_groups.1000 = 0xcfff\n");
	conf_ok(&c, text);
	ck_assert_uint_eq(conf_groups_for(&c, 1000)->addr[0], 0xcfff);
	snprintf(text + n, sizeof(text) - n, "aligenie_groups.999 = 0xcfff\n");
	conf_defaults(&c);
	ck_assert_int_eq(parse_conf_n(&c, text, strlen(text), err), -1);
	assert_err(err, "test.conf", 66, "too many aligenie_groups.PID keys (at most 64)");
}
END_TEST

/* ---- both files: NUL bytes, file size ---- */

static int parse_as_conf(const char *text, size_t len, char *err)
{
	struct conf c;

	conf_defaults(&c);
	return parse_conf_n(&c, text, len, err);
}

static int parse_as_creds(const char *text, size_t len, char *err)
{
	struct creds c;
	int ret;

	creds_init(&c);
	ret = parse_creds_n(&c, text, len, err);
	creds_free(&c);
	return ret;
}

static const struct {
	const char *name;
	int (*parse)(const char *text, size_t len, char *err);
	const char *good_line;
} parsers[] = {
	{ "test.conf", parse_as_conf, "max_sessions = 3\n" },
	{ "devices", parse_as_creds, "uuid " UUID1 " no-oob\n" },
};

START_TEST(test_limits)
{
	char text[128], err[ERRLEN] = "";
	size_t n = (size_t)snprintf(text, sizeof(text), "# x\n%s", parsers[_i].good_line);
	char *big;

	/* a NUL byte on line 2 */
	text[n - 2] = '\0';
	ck_assert_int_eq(parsers[_i].parse(text, n, err), -1);
	assert_err(err, parsers[_i].name, 2, "NUL byte in the line");
	/* at most 1 MiB: blank lines are fine up to the limit */
	big = malloc(CONF_MAX_FILE + 1);
	ck_assert_ptr_nonnull(big);
	memset(big, '\n', CONF_MAX_FILE + 1);
	ck_assert_int_eq(parsers[_i].parse(big, CONF_MAX_FILE, err), 0);
	ck_assert_int_eq(parsers[_i].parse(big, CONF_MAX_FILE + 1, err), -1);
	assert_err(err, parsers[_i].name, 0, "larger than 1048576 bytes");
	free(big);
}
END_TEST

START_TEST(test_conf_load)
{
	char path[32], err[ERRLEN], msg[ERRLEN];
	struct conf c;

	int ret;

	write_temp(path, "max_sessions = 4\n", 0644);
	memset(&c, 0, sizeof(c));
	ret = conf_load(&c, path, false, err, sizeof(err));
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_msg(ret == 0, "%s", err);
	ck_assert_uint_eq(c.max_sessions, 4);
	ck_assert_str_eq(c.hci, "hci0"); /* the defaults under it */

	write_temp(path, "hci = hci1\nmax_sessions = 40\n", 0644);
	ret = conf_load(&c, path, false, err, sizeof(err));
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(ret, -1);
	assert_err(err, path, 2, "max_sessions must be 1-8, not '40'");

	/* missing: the defaults when that is fine, else an error */
	c.max_sessions = 7;
	ck_assert_int_eq(conf_load(&c, path, true, err, sizeof(err)), 0);
	ck_assert_uint_eq(c.max_sessions, 2);
	ck_assert_int_eq(conf_load(&c, path, false, err, sizeof(err)), -1);
	snprintf(msg, sizeof(msg), "%s: %s", path, strerror(ENOENT));
	ck_assert_str_eq(err, msg);
	/* a directory is not a configuration file */
	ck_assert_int_eq(conf_load(&c, "/tmp", true, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "/tmp: not a regular file");
}
END_TEST

/* ---- credentials ---- */

START_TEST(test_creds_kinds)
{
	char err[ERRLEN] = "";
	const char *text = "# devices\n"
			   "aligenie 5689 28:fa:7a:01:91:da " S16 "\n"
			   "\n"
			   "  aligenie\t0x1234 28FA7A0191DB 0a   # a one-octet secret\n"
			   "uuid 01234567-89ab-cdef-0123-456789abcdef static-oob " S16 "\n"
			   "uuid " UUID1 "  static-oob " S16 S16 "\r\n"
			   "\tuuid 00000000000000000000000000000001 no-oob # comment\n"
			   "aligenie 4294967295 000000000000 " S16 S16 S16 S16;
	const struct cred *v;
	struct creds c;

	creds_init(&c);
	ck_assert_msg(parse_creds_n(&c, text, strlen(text), err) == -1, "duplicate not seen");
	assert_err(err, "devices", 6, "device listed twice, on lines 5 and 6 (same UUID)");
	ck_assert_uint_eq(c.n, 0);

	/* without the duplicate */
	text = "# devices\n"
	       "aligenie 5689 28:fa:7a:01:91:da " S16 "\n"
	       "\n"
	       "  aligenie\t0x1234 28FA7A0191DB 0a   # a one-octet secret\n"
	       "uuid 01234567-89ab-cdef-0123-456789abcdef static-oob " S16 "\n"
	       "uuid fedcba98765432100123456789abcdef  static-oob " S16 S16 "\r\n"
	       "\tuuid 00000000000000000000000000000001 no-oob # comment\n"
	       "aligenie 4294967295 000000000000 " S16 S16 S16 S16;
	ck_assert_msg(parse_creds_n(&c, text, strlen(text), err) == 0, "%s", err);
	ck_assert_uint_eq(c.n, 6);
	v = c.v;
	ck_assert_int_eq(v[0].kind, CRED_ALIGENIE);
	ck_assert_uint_eq(v[0].line, 2);
	ck_assert_uint_eq(v[0].pid, 5689);
	EXPECT_HEX(v[0].mac, 6, "28fa7a0191da");
	ck_assert_uint_eq(v[0].secret_len, 16);
	EXPECT_HEX(v[0].secret, 16, S16);

	ck_assert_int_eq(v[1].kind, CRED_ALIGENIE);
	ck_assert_uint_eq(v[1].line, 4);
	ck_assert_uint_eq(v[1].pid, 0x1234);
	EXPECT_HEX(v[1].mac, 6, "28fa7a0191db");
	ck_assert_uint_eq(v[1].secret_len, 1);
	ck_assert_uint_eq(v[1].secret[0], 0x0a);

	ck_assert_int_eq(v[2].kind, CRED_STATIC_OOB);
	ck_assert_uint_eq(v[2].line, 5);
	EXPECT_HEX(v[2].uuid, 16, UUID1);
	ck_assert_uint_eq(v[2].static_len, 16);
	EXPECT_HEX(v[2].static_oob, 16, S16);

	ck_assert_int_eq(v[3].kind, CRED_STATIC_OOB);
	EXPECT_HEX(v[3].uuid, 16, "fedcba98765432100123456789abcdef");
	ck_assert_uint_eq(v[3].static_len, 32);
	EXPECT_HEX(v[3].static_oob, 32, S16 S16);

	ck_assert_int_eq(v[4].kind, CRED_NO_OOB);
	ck_assert_uint_eq(v[4].line, 7);
	EXPECT_HEX(v[4].uuid, 16, "00000000000000000000000000000001");

	ck_assert_int_eq(v[5].kind, CRED_ALIGENIE);
	ck_assert_uint_eq(v[5].pid, 0xffffffff);
	ck_assert_uint_eq(v[5].secret_len, 64);
	EXPECT_HEX(v[5].secret, 64, S16 S16 S16 S16);
	creds_free(&c);
	ck_assert_ptr_null(c.v);
	ck_assert_uint_eq(c.n, 0);
}
END_TEST

/* A bad line after (i % 3) good ones: the error names the line, never quotes
 * the secret or static OOB value (secret), and the set is left as it was. */
#define SECRET_ODD "0123456789abcdef0"
#define SECRET_NOT_HEX "0123456789abcdeg"
#define SECRET_LONG S16 S16 S16 S16 "ab"
#define OOB15 "00112233445566778899aabbccddee"
#define OOB24 S16 "0011223344556677"
#define OOB33 S16 S16 "ff"
#define MAC "28fa7a0191da"
#define SECRET_MSG(why) "the secret must be 1-64 octets of hex (" why ")"
#define OOB_MSG(why) "the static OOB value must be 16 or 32 octets of hex (" why ")"
#define MISSING_MSG(what) "missing " what " (aligenie PID MAC SECRET)"
static const struct {
	const char *line;
	const char *msg;
	const char *secret;
} bad_creds[] = {
	{ "aligeni 1 " MAC " 00", "unknown kind 'aligeni' (aligenie or uuid)" },
	{ "ALIGENIE 1 " MAC " 00", "unknown kind 'ALIGENIE' (aligenie or uuid)" },
	{ S16 S16, "unknown kind (aligenie or uuid)", S16 },
	{ "aligenie", MISSING_MSG("the ProductID, the MAC and the secret") },
	{ "aligenie 1", MISSING_MSG("the MAC and the secret") },
	{ "aligenie 1 " MAC, MISSING_MSG("the secret") },
	{ "aligenie 1 " MAC " # " S16, MISSING_MSG("the secret"), S16 },
	{ "aligenie 1 " MAC " " S16 " " S16, "extra field after the secret (aligenie PID MAC SECRET)", S16 },
	{ "aligenie x " MAC " 00", "the ProductID must be decimal or 0x hex, up to 0xffffffff" },
	{ "aligenie 0x100000000 " MAC " 00", "the ProductID must be decimal or 0x hex, up to 0xffffffff" },
	{ "aligenie 1 28fa7a0191 00", "the MAC must be 6 octets of hex (not 5 octets)" },
	{ "aligenie 1 28:fa:7a:01:91:da:00 00", "the MAC must be 6 octets of hex (not 7 octets)" },
	{ "aligenie 1 28:fa:7a:01:91:dz 00", "the MAC must be 6 octets of hex (found a character that is not hex)" },
	{ "aligenie 1 28:fa:7a:01:91:d 00", "the MAC must be 6 octets of hex (an odd number of hex digits)" },
	{ "aligenie 1 28::fa7a0191da 00", "the MAC must be 6 octets of hex (misplaced ':' or '-')" },
	{ "aligenie 1 " MAC " " SECRET_NOT_HEX, SECRET_MSG("found a character that is not hex"), SECRET_NOT_HEX },
	{ "aligenie 1 " MAC " " SECRET_ODD, SECRET_MSG("an odd number of hex digits"), SECRET_ODD },
	{ "aligenie 1 " MAC " " SECRET_LONG, SECRET_MSG("not 65 octets"), S16 },
	{ "aligenie 1 " MAC " -" S16, SECRET_MSG("misplaced ':' or '-'"), S16 },
	{ "aligenie 1 " MAC " 0x", SECRET_MSG("not 0 octets") },
	{ "uuid", "missing the UUID (uuid UUID static-oob HEX, or uuid UUID no-oob)" },
	{ "uuid 0123", "the UUID must be 16 octets of hex (not 2 octets)" },
	{ "uuid " UUID1 "00 no-oob", "the UUID must be 16 octets of hex (not 17 octets)" },
	{ "uuid " UUID1, "expected 'static-oob HEX' or 'no-oob' after the UUID" },
	{ "uuid " UUID1 " static " S16, "expected 'static-oob HEX' or 'no-oob' after the UUID", S16 },
	{ "uuid " UUID1 " no-oob extra", "extra field after 'no-oob'" },
	{ "uuid " UUID1 " static-oob", "missing the value after 'static-oob'" },
	{ "uuid " UUID1 " static-oob " S16 " 00", "extra field after the static OOB value", S16 },
	{ "uuid " UUID1 " static-oob " OOB15, OOB_MSG("not 15 octets"), OOB15 },
	{ "uuid " UUID1 " static-oob " OOB24, OOB_MSG("not 24 octets"), OOB24 },
	{ "uuid " UUID1 " static-oob " OOB33, OOB_MSG("not 33 octets"), S16 },
	{ "uuid " UUID1 " static-oob " S16 "f", OOB_MSG("an odd number of hex digits"), S16 },
};

START_TEST(test_creds_bad)
{
	static const char *const good[] = {
		"aligenie 1 000000000001 01\n",
		"uuid 000000000000000000000000000000ff no-oob\n",
	};
	char text[1024], err[ERRLEN] = "";
	unsigned lines = (unsigned)_i % 3;
	size_t n = 0;
	struct creds c;

	for (unsigned k = 0; k < lines; k++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "%s", good[k]);
	snprintf(text + n, sizeof(text) - n, "%s\naligenie 2 000000000002 02\n", bad_creds[_i].line);
	creds_init(&c);
	ck_assert_int_eq(parse_creds_n(&c, text, strlen(text), err), -1);
	assert_err(err, "devices", lines + 1, bad_creds[_i].msg);
	if (bad_creds[_i].secret)
		ck_assert_msg(!strstr(err, bad_creds[_i].secret), "secret in '%s'", err);
	ck_assert_uint_eq(c.n, 0);
	creds_free(&c);
}
END_TEST

/* Which lines are the same device; the first repeat in file order is reported. */
START_TEST(test_creds_duplicates)
{
	static const struct {
		const char *text;
		const char *msg; /* NULL: no duplicate */
	} t[] = {
		{ "uuid " UUID1 " no-oob\n# x\nuuid 01234567-89AB-CDEF-0123-456789ABCDEF static-oob " S16 "\n",
		  "devices:3: device listed twice, on lines 1 and 3 (same UUID)" },
		{ "aligenie 16 28:fa:7a:01:91:da 00\naligenie 0x10 28fa7a0191da 01\n",
		  "devices:2: device listed twice, on lines 1 and 2 (same ProductID and MAC)" },
		{ "aligenie 1 " MAC " 00\n"
		  "uuid " UUID1 " no-oob\n"
		  "uuid fedcba98765432100123456789abcdef no-oob\n"
		  "uuid " UUID1 " no-oob\n"
		  "aligenie 1 " MAC " 00\n",
		  "devices:4: device listed twice, on lines 2 and 4 (same UUID)" },
		{ "aligenie 1 " MAC " 00\n"
		  "aligenie 2 " MAC " 00\n"
		  "aligenie 1 28fa7a0191db 00\n"
		  /* the AliGenie UUID of ProductID 1, MAC 28fa7a0191da: another key */
		  "uuid a8010001000000da91017afa28020000 no-oob\n"
		  "uuid " UUID1 " no-oob\n",
		  NULL },
	};
	char err[ERRLEN];
	struct creds c;

	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		int ret;

		creds_init(&c);
		err[0] = '\0';
		ret = parse_creds_n(&c, t[i].text, strlen(t[i].text), err);
		if (t[i].msg) {
			ck_assert_int_eq(ret, -1);
			ck_assert_str_eq(err, t[i].msg);
			ck_assert_uint_eq(c.n, 0);
		} else {
			ck_assert_msg(ret == 0, "%zu: %s", i, err);
			ck_assert_uint_eq(c.n, 5);
		}
		creds_free(&c);
	}
}
END_TEST

/* The parsed set for the match and auth tests. */
static const char match_text[] = "aligenie 5689 28:fa:7a:01:91:da " S16 "\n"
				 "uuid " UUID1 " static-oob " S16 S16 "\n"
				 "uuid fedcba98765432100123456789abcdef no-oob\n";

static void aligenie_uuid(uint32_t pid, const char *mac, bool random_auth, uint8_t uuid[16])
{
	struct aligenie_info a = { .pid_flags = 0x71, .product_id = pid, .feature_flag = 0x02 };

	hx_to(mac, a.mac, 6);
	a.flags2 = random_auth ? 0x02 : 0x00;
	aligenie_encode(&a, uuid);
}

START_TEST(test_creds_match)
{
	char err[ERRLEN] = "", line[64], hex[33];
	const struct cred *cr;
	uint8_t uuid[16];
	struct creds c;

	creds_init(&c);
	ck_assert_msg(parse_creds_n(&c, match_text, strlen(match_text), err) == 0, "%s", err);
	aligenie_uuid(5689, "28fa7a0191da", false, uuid);
	ck_assert_ptr_eq(creds_match(&c, uuid), &c.v[0]);
	aligenie_uuid(5689, "28fa7a0191da", true, uuid);
	ck_assert_ptr_eq(creds_match(&c, uuid), &c.v[0]);
	aligenie_uuid(5689, "28fa7a0191db", false, uuid);
	ck_assert_ptr_null(creds_match(&c, uuid));
	aligenie_uuid(5690, "28fa7a0191da", false, uuid);
	ck_assert_ptr_null(creds_match(&c, uuid));
	hx_to(UUID1, uuid, 16);
	ck_assert_ptr_eq(creds_match(&c, uuid), &c.v[1]);
	hx_to("fedcba98765432100123456789abcdef", uuid, 16);
	ck_assert_ptr_eq(creds_match(&c, uuid), &c.v[2]);
	uuid[15] ^= 1;
	ck_assert_ptr_null(creds_match(&c, uuid));
	creds_free(&c);

	/* a uuid line for an AliGenie UUID wins over the aligenie line */
	aligenie_uuid(5689, "28fa7a0191da", false, uuid);
	hex_encode(uuid, 16, hex);
	snprintf(line, sizeof(line), "uuid %s no-oob\n", hex);
	ck_assert_msg(parse_creds_n(&c, match_text, strlen(match_text), err) == 0, "%s", err);
	ck_assert_msg(parse_creds_n(&c, line, strlen(line), err) == 0, "%s", err);
	cr = creds_match(&c, uuid);
	ck_assert_ptr_eq(cr, &c.v[3]);
	ck_assert_int_eq(cr->kind, CRED_NO_OOB);
	creds_free(&c);
}
END_TEST

START_TEST(test_creds_auth)
{
	uint8_t uuid[16];
	char err[ERRLEN] = "";
	struct prov_auth a;
	struct creds c;

	creds_init(&c);
	ck_assert_msg(parse_creds_n(&c, match_text, strlen(match_text), err) == 0, "%s", err);
	for (int random = 0; random < 2; random++) {
		aligenie_uuid(5689, "28fa7a0191da", random, uuid);
		memset(&a, 0xcc, sizeof(a));
		creds_auth(creds_match(&c, uuid), uuid, &a);
		ck_assert_int_eq(a.kind, PROV_USE_ALIGENIE);
		ck_assert_uint_eq(a.product_id, 5689);
		EXPECT_HEX(a.mac, 6, "28fa7a0191da");
		ck_assert_uint_eq(a.secret_len, 16);
		EXPECT_HEX(a.secret, 16, S16);
		ck_assert_int_eq(a.random_bound, random);
	}
	hx_to(UUID1, uuid, 16);
	memset(&a, 0xcc, sizeof(a));
	creds_auth(creds_match(&c, uuid), uuid, &a);
	ck_assert_int_eq(a.kind, PROV_USE_STATIC);
	ck_assert_uint_eq(a.static_len, 32);
	EXPECT_HEX(a.static_value, 32, S16 S16);
	ck_assert(!a.random_bound);

	hx_to("fedcba98765432100123456789abcdef", uuid, 16);
	memset(&a, 0xcc, sizeof(a));
	creds_auth(creds_match(&c, uuid), uuid, &a);
	ck_assert_int_eq(a.kind, PROV_USE_NO_OOB);
	ck_assert_uint_eq(a.secret_len, 0);
	ck_assert_uint_eq(a.static_len, 0);
	creds_free(&c);
}
END_TEST

/* Only the owner may have any permission on the credentials file. */
static const struct {
	mode_t mode;
	bool ok;
} load_modes[] = {
	{ 0600, true }, { 0400, true }, { 0640, false }, { 0604, false }, { 0700, true }, { 0610, false },
};

START_TEST(test_creds_load_mode)
{
	char path[32], err[ERRLEN] = "", want[ERRLEN];
	struct creds c;
	int ret;

	write_temp(path, match_text, load_modes[_i].mode);
	creds_init(&c);
	ret = creds_load(&c, path, err, sizeof(err));
	ck_assert_int_eq(unlink(path), 0);
	if (load_modes[_i].ok) {
		ck_assert_msg(ret == 0, "%s", err);
		ck_assert_uint_eq(c.n, 3);
		ck_assert_uint_eq(c.v[2].line, 3);
	} else {
		ck_assert_int_eq(ret, -1);
		snprintf(want, sizeof(want),
			 "%s is accessible by group or others (mode %04o): make it 0600 (chmod 600 %s)",
			 path, (unsigned)load_modes[_i].mode, path);
		ck_assert_str_eq(err, want);
		ck_assert_uint_eq(c.n, 0);
	}
	creds_free(&c);
}
END_TEST

START_TEST(test_creds_load_other)
{
	char dir[] = "/tmp/test_conf.XXXXXX", path[32], link[64], err[ERRLEN], want[ERRLEN];
	struct creds c;

	creds_init(&c);
	/* a directory */
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(creds_load(&c, dir, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: not a regular file", dir);
	ck_assert_str_eq(err, want);
	/* a symbolic link to a good file */
	write_temp(path, match_text, 0600);
	snprintf(link, sizeof(link), "%s/devices", dir);
	ck_assert_int_eq(symlink(path, link), 0);
	ck_assert_int_eq(creds_load(&c, link, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: %s (a symbolic link is refused)", link, strerror(ELOOP));
	ck_assert_str_eq(err, want);
	/* missing */
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(unlink(link), 0);
	ck_assert_int_eq(creds_load(&c, link, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: %s", link, strerror(ENOENT));
	ck_assert_str_eq(err, want);
	/* a parse error names the path */
	write_temp(path, "uuid " UUID1 " no-oob\nuuid x\n", 0600);
	ck_assert_int_eq(creds_load(&c, path, err, sizeof(err)), -1);
	assert_err(err, path, 2, "the UUID must be 16 octets of hex (found a character that is not hex)");
	ck_assert_uint_eq(c.n, 0);
	creds_free(&c);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

START_TEST(test_creds_swap)
{
	char err[ERRLEN] = "";
	struct creds a, b;

	creds_init(&a);
	creds_init(&b);
	ck_assert_msg(parse_creds_n(&a, match_text, strlen(match_text), err) == 0, "%s", err);
	creds_swap(&a, &b);
	ck_assert_uint_eq(a.n, 0);
	ck_assert_ptr_null(a.v);
	ck_assert_uint_eq(b.n, 3);
	ck_assert_uint_eq(b.v[0].pid, 5689);
	creds_free(&a);
	creds_free(&b);
	ck_assert_ptr_null(b.v);
	ck_assert_uint_eq(b.n, 0);
	ck_assert_uint_eq(b.cap, 0);
	/* freeing an empty set (as after a failed load) is harmless */
	creds_free(&b);
	ck_assert_ptr_null(b.v);
}
END_TEST

static Suite *conf_suite(void)
{
	Suite *s = suite_create("conf");
	TCase *tc = tcase_create("conf");
	TCase *tl = tcase_create("limits");
	TCase *td = tcase_create("creds");

	tcase_add_test(tc, test_conf_defaults);
	tcase_add_test(tc, test_conf_full);
	tcase_add_test(tc, test_conf_words);
	tcase_add_loop_test(tc, test_conf_bad, 0, (int)ARRAY_SIZE(bad_conf));
	tcase_add_test(tc, test_conf_lengths);
	tcase_add_test(tc, test_conf_comments);
	tcase_add_test(tc, test_conf_last_wins);
	tcase_add_test(tc, test_conf_groups_for);
	tcase_add_test(tc, test_conf_too_many_products);
	tcase_add_test(tc, test_conf_load);
	suite_add_tcase(s, tc);

	tcase_add_loop_test(tl, test_limits, 0, (int)ARRAY_SIZE(parsers));
	suite_add_tcase(s, tl);

	tcase_add_test(td, test_creds_kinds);
	tcase_add_loop_test(td, test_creds_bad, 0, (int)ARRAY_SIZE(bad_creds));
	tcase_add_test(td, test_creds_duplicates);
	tcase_add_test(td, test_creds_match);
	tcase_add_test(td, test_creds_auth);
	tcase_add_loop_test(td, test_creds_load_mode, 0, (int)ARRAY_SIZE(load_modes));
	tcase_add_test(td, test_creds_load_other);
	tcase_add_test(td, test_creds_swap);
	suite_add_tcase(s, td);
	return s;
}

CHECK_MAIN(conf_suite)
