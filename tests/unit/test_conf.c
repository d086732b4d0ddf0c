/* The configuration file (src/conf.c). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_main.h"
#include "conf.h"
#include "testhex.h"
#include "textfile_check.h"
#include "util.h"

#define ERRLEN 512

/* Parse from an exact heap copy, so that ASan sees any read past the end. */
static int parse_conf_n(struct conf *c, const char *text, size_t len, char *err)
{
	uint8_t *copy = exact_copy((const uint8_t *)text, len);
	int ret = conf_parse(c, "test.conf", (const char *)copy, len, err, ERRLEN);

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
	ck_assert(!c.adv_pack);
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
		    "adv_pack = on\n"
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
	ck_assert(c.adv_pack);
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
	{ "max_sessions = 0", "max_sessions must be 1-32, not '0'" },
	{ "max_sessions = 33", "max_sessions must be 1-32, not '33'" },
	{ "max_sessions = -1", "max_sessions must be 1-32, not '-1'" },
	{ "max_sessions = 2x", "max_sessions must be 1-32, not '2x'" },
	{ "max_sessions = 0x", "max_sessions must be 1-32, not '0x'" },
	{ "max_sessions = 1 2", "max_sessions must be 1-32, not '1 2'" },
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

/* ---- the file as a whole: NUL bytes, file size ---- */

static int parse_as_conf(const char *text, size_t len, char *err)
{
	struct conf c;

	conf_defaults(&c);
	return parse_conf_n(&c, text, len, err);
}

START_TEST(test_conf_limits)
{
	check_text_limits(parse_as_conf, "test.conf", "max_sessions = 3\n");
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
	assert_err(err, path, 2, "max_sessions must be 1-32, not '40'");

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


static Suite *conf_suite(void)
{
	Suite *s = suite_create("conf");
	TCase *tc = tcase_create("conf");
	TCase *tl = tcase_create("limits");

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

	tcase_add_test(tl, test_conf_limits);
	suite_add_tcase(s, tl);
	return s;
}

CHECK_MAIN(conf_suite)
