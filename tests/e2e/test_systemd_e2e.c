/* The systemd integration as installed: the unit (its @BINDIR@ filled in
 * with the directory of the meshprov under test) passes systemd-analyze
 * verify, including its ExecStart= binary and its Documentation= man pages;
 * systemd-analyze security rates it "OK" or better; it keeps what the daemon
 * needs (Type=notify, CAP_NET_RAW and CAP_NET_ADMIN only, AF_BLUETOOTH in the
 * host's network namespace). The sysusers.d file creates the user and group
 * meshprov, and the example configuration shows every key, commented out,
 * with the parser's own defaults.
 *
 * Environment: MESHPROV_BIN (the program), MESHPROV_UNIT
 * (systemd/meshprov.service), MESHPROV_MAN (man/meshprov.8; meshprov.conf.5
 * beside it), MESHPROV_SYSUSERS (systemd/meshprov.sysusers),
 * MESHPROV_CONF_EXAMPLE (systemd/meshprov.conf.example). The parts that need
 * systemd-analyze, systemd-sysusers or man say "SKIP: ..." and pass when the
 * tool is not installed. */
#include <check.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_main.h"
#include "conf.h"
#include "proc.h"

#define TOOL_MS 60000 /* systemd-analyze security loads every unit it knows */

static char *dir;
static char unit_path[PATH_MAX]; /* dir/meshprov.service, @BINDIR@ filled in */
static char *unit;               /* the source unit, as shipped */

static void setup(void)
{
	const char *src = env_or("MESHPROV_UNIT", "systemd/meshprov.service");

	dir = tmpdir_create("systemd-e2e");
	ck_assert_ptr_nonnull(dir);
	unit = read_file_str(src, NULL);
	ck_assert_msg(unit != NULL, "cannot read %s", src);
	unit_path[0] = '\0';
	/* the child processes must not page or colour their output */
	setenv("SYSTEMD_PAGER", "", 1);
	setenv("SYSTEMD_COLORS", "0", 1);
	setenv("SYSTEMD_LOG_COLOR", "0", 1);
}

static void teardown(void)
{
	proc_cleanup_all();
	if (dir)
		tmpdir_remove(dir);
	free(dir);
	dir = NULL;
	free(unit);
	unit = NULL;
}

/* ---- helpers ---- */

/* snprintf into a path buffer, which the result must fit. */
static void pathf(char *out, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void pathf(char *out, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(out, len, fmt, ap);
	va_end(ap);
	ck_assert_msg(n >= 0 && (size_t)n < len, "path too long: %s...", out);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_msg(f != NULL, "cannot create %s", path);
	ck_assert_int_eq(fputs(text, f) >= 0, 1);
	ck_assert_int_eq(fclose(f), 0);
}

/* s with every "from" replaced by "to" (malloc'd); *count: how many. */
static char *replace_all(const char *s, const char *from, const char *to, int *count)
{
	size_t fl = strlen(from), tl = strlen(to), n = 0, len = 0;
	char *out;

	for (const char *p = s; (p = strstr(p, from)) != NULL; p += fl)
		n++;
	out = malloc(strlen(s) + n * tl + 1);
	ck_assert_ptr_nonnull(out);
	for (const char *p = s;;) {
		const char *q = strstr(p, from);
		size_t k = q ? (size_t)(q - p) : strlen(p);

		memcpy(out + len, p, k);
		len += k;
		if (!q)
			break;
		memcpy(out + len, to, tl);
		len += tl;
		p = q + fl;
	}
	out[len] = '\0';
	*count = (int)n;
	return out;
}

/* The directory of the meshprov under test, absolute. */
static void bindir(char *out, size_t len)
{
	const char *bin = env_or("MESHPROV_BIN", "./meshprov");
	char real[PATH_MAX], *slash;

	ck_assert_msg(realpath(bin, real) != NULL, "no meshprov at %s", bin);
	ck_assert_msg(is_executable(real), "%s is not executable", real);
	slash = strrchr(real, '/');
	ck_assert_ptr_nonnull(slash);
	*slash = '\0';
	ck_assert_uint_lt(strlen(real), len);
	memcpy(out, real, strlen(real) + 1);
}

/* Install the unit as make install does: dir/meshprov.service. */
static void install_unit(void)
{
	char bin[PATH_MAX];
	char *text;
	int n;

	bindir(bin, sizeof(bin));
	text = replace_all(unit, "@BINDIR@", bin, &n);
	ck_assert_msg(n >= 1, "the unit has no @BINDIR@ to fill in");
	/* no other @PLACEHOLDER@ that make install would leave as it is */
	for (const char *p = text; (p = strchr(p, '@')) != NULL; p++) {
		size_t k = strspn(p + 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_");

		ck_assert_msg(k == 0 || p[1 + k] != '@', "a placeholder is left in the unit: %.*s",
			      (int)k + 2, p);
	}
	pathf(unit_path, sizeof(unit_path), "%s/meshprov.service", dir);
	write_file(unit_path, text);
	free(text);
}

/* Run argv (argv[0] searched in PATH); its exit code, or -1 when it did not
 * exit. *out: its stdout and stderr, stdout first (malloc'd). */
static int run_tool(const char *const *argv, char **out)
{
	char errpath[PATH_MAX], *err;
	struct proc_opts o = { .capture_stdout = true, .stderr_path = errpath };
	struct proc p;
	size_t len;
	int code;

	pathf(errpath, sizeof(errpath), "%s/tool.err", dir);
	ck_assert_msg(proc_spawn(&p, argv, &o) == 0, "cannot run %s", argv[0]);
	if (proc_wait(&p, TOOL_MS) != 0) {
		proc_cleanup_all();
		ck_abort_msg("%s did not finish within %d ms", argv[0], TOOL_MS);
	}
	code = proc_exit_code(&p);
	err = read_file_str(errpath, NULL);
	len = strlen(p.out) + (err ? strlen(err) : 0) + 1;
	*out = malloc(len);
	ck_assert_ptr_nonnull(*out);
	snprintf(*out, len, "%s%s", p.out, err ? err : "");
	free(err);
	proc_free(&p);
	return code;
}

static bool have(const char *tool)
{
	char *path = find_in_path(tool);

	free(path);
	return path != NULL;
}

/* The [Service] settings of the unit as shipped: how many lines set key, and
 * the value of the last one in *value (a pointer into a static buffer). */
static int service_setting(const char *key, const char **value)
{
	static char last[1024];
	size_t klen = strlen(key);
	bool in_service = false;
	int count = 0;

	last[0] = '\0';
	for (const char *line = unit; *line;) {
		size_t n = strcspn(line, "\n");

		if (line[0] == '[')
			in_service = n == 9 && !strncmp(line, "[Service]", 9);
		else if (in_service && n > klen && !strncmp(line, key, klen) && line[klen] == '=') {
			size_t vlen = n - klen - 1;

			ck_assert_uint_lt(vlen, sizeof(last));
			memcpy(last, line + klen + 1, vlen);
			last[vlen] = '\0';
			count++;
		}
		line += n + (line[n] == '\n');
	}
	if (value)
		*value = last;
	return count;
}

static void expect_setting(const char *key, const char *want)
{
	const char *v;
	int n = service_setting(key, &v);

	ck_assert_msg(n == 1, "%s= is set %d times in [Service], want once", key, n);
	ck_assert_msg(!strcmp(v, want), "%s=%s, want %s=%s", key, v, key, want);
}

/* ---- the unit as shipped ---- */

START_TEST(test_unit_settings)
{
	static const struct {
		const char *key, *value;
	} want[] = {
		{ "Type", "notify" },
		/* exactly these, in this order, nothing more */
		{ "CapabilityBoundingSet", "CAP_NET_RAW CAP_NET_ADMIN" },
		{ "AmbientCapabilities", "CAP_NET_RAW CAP_NET_ADMIN" },
		{ "ExecStart", "@BINDIR@/meshprov daemon" },
		{ "ExecReload", "/bin/kill -HUP $MAINPID" },
		{ "Restart", "on-failure" },
		{ "User", "meshprov" },
		{ "Group", "meshprov" },
		{ "StateDirectory", "meshprov" },
		{ "RuntimeDirectory", "meshprov" },
		{ "RuntimeDirectoryMode", "0750" },
		{ "ConfigurationDirectory", "meshprov" },
		{ "NoNewPrivileges", "yes" },
		{ "ProtectSystem", "strict" },
		{ "ProtectHome", "yes" },
		{ "PrivateTmp", "yes" },
		{ "RestrictAddressFamilies", "AF_BLUETOOTH AF_UNIX" },
		{ "MemoryDenyWriteExecute", "yes" },
		{ "UMask", "0077" },
	};
	/* Raw HCI sockets live in the host's network namespace and check the
	 * capabilities in the host's user namespace: either would cut the
	 * daemon off its controller. DynamicUser= would make the credentials
	 * file's owner a moving target. */
	static const char *const never[] = { "PrivateNetwork", "PrivateUsers", "DynamicUser" };
	const char *v;

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		expect_setting(want[i].key, want[i].value);
	for (size_t i = 0; i < sizeof(never) / sizeof(never[0]); i++)
		ck_assert_msg(service_setting(never[i], NULL) == 0, "%s= must not be set",
			      never[i]);
	ck_assert_msg(service_setting("SystemCallFilter", &v) >= 1, "no SystemCallFilter=");
	ck_assert_msg(strstr(unit, "\nSystemCallFilter=@system-service\n") != NULL,
		      "SystemCallFilter=@system-service is not set");
}
END_TEST

/* ---- systemd-analyze ---- */

/* Whether systemd-analyze is installed; else say why the test passes. */
static bool have_analyze(const char *what)
{
	if (have("systemd-analyze"))
		return true;
	printf("SKIP: %s: systemd-analyze is not installed\n", what);
	return false;
}

/* A man tree (dir/man) with both pages, for systemd-analyze verify to find
 * the unit's Documentation= in; false when there is no man to look. */
static bool man_tree(char *out, size_t len)
{
	const char *m8 = env_or("MESHPROV_MAN", "man/meshprov.8");
	const char *slash = strrchr(m8, '/');
	int dirlen = slash ? (int)(slash - m8 + 1) : 0;
	char src[PATH_MAX], dst[PATH_MAX];
	static const char *const pages[][2] = {
		{ "meshprov.8", "man8" },
		{ "meshprov.conf.5", "man5" },
	};

	if (!have("man"))
		return false;
	pathf(out, len, "%s/man", dir);
	ck_assert_int_eq(mkdir(out, 0755), 0);
	for (size_t i = 0; i < 2; i++) {
		char *text;

		pathf(src, sizeof(src), "%.*s%s", dirlen, m8, pages[i][0]);
		text = read_file_str(src, NULL);
		ck_assert_msg(text != NULL, "cannot read %s", src);
		pathf(dst, sizeof(dst), "%s/%s", out, pages[i][1]);
		ck_assert_int_eq(mkdir(dst, 0755), 0);
		pathf(dst, sizeof(dst), "%s/%s/%s", out, pages[i][1], pages[i][0]);
		write_file(dst, text);
		free(text);
	}
	return true;
}

START_TEST(test_analyze_verify)
{
	char man[PATH_MAX], *out;
	const char *argv[5] = { "systemd-analyze", "verify", NULL, NULL, NULL };
	bool check_man;
	int code;

	if (!have_analyze("systemd-analyze verify"))
		return;
	install_unit();
	check_man = man_tree(man, sizeof(man));
	if (check_man) {
		/* only the pages under test: a man page installed on this host
		 * must not stand in for a missing one */
		setenv("MANPATH", man, 1);
		argv[2] = unit_path;
	} else {
		printf("SKIP: the unit's Documentation=: man is not installed\n");
		argv[2] = "--man=no";
		argv[3] = unit_path;
	}
	code = run_tool(argv, &out);
	/* verify also loads the units ours depends on by default (sysinit.target,
	 * basic.target, shutdown.target, ...) from this host and reports their
	 * problems, which are the host's. Every message about ours names it:
	 * "meshprov.service: ...", its path ".../meshprov.service:LINE: ...",
	 * its binary or its man pages "meshprov(8)", "meshprov.conf(5)". So a
	 * line naming meshprov fails the test, and other lines are shown only. */
	for (const char *line = out; *line;) {
		size_t n = strcspn(line, "\n");
		char *l = strndup(line, n);

		ck_assert_ptr_nonnull(l);
		ck_assert_msg(strstr(l, "meshprov") == NULL, "systemd-analyze verify: %.2000s", l);
		if (n > 0) {
			printf("systemd-analyze verify (about another unit, ignored): %s\n", l);
			fflush(stdout);
		}
		free(l);
		line += n + (line[n] == '\n');
	}
	ck_assert_msg(code == 0, "systemd-analyze verify %s: exit %d: %.2000s", unit_path, code,
		      out);
	free(out);
}
END_TEST

/* systemd's bands (src/analyze/analyze-security.c, badness_table): exposure
 * in tenths at or above the first bound names the level. */
static const struct {
	int from; /* tenths */
	const char *name;
} levels[] = {
	{ 100, "DANGEROUS" }, { 90, "UNSAFE" }, { 75, "EXPOSED" }, { 50, "MEDIUM" },
	{ 10, "OK" },         { 1, "SAFE" },    { 0, "PERFECT" },
};

#define MEDIUM_FROM 50 /* tenths: "OK" and better are below */

START_TEST(test_analyze_security)
{
	static const char prefix[] = "Overall exposure level for meshprov.service: ";
	const char *argv[7] = { "systemd-analyze", "security", "--offline=yes", "--no-pager",
				NULL, NULL, NULL };
	char *out, *help, level[32], threshold[32];
	const char *at;
	unsigned whole, tenth;
	int code, exposure, band = -1;

	if (!have_analyze("systemd-analyze security"))
		return;
	{
		const char *hargv[] = { "systemd-analyze", "--help", NULL };

		run_tool(hargv, &help);
		if (!strstr(help, "--offline")) {
			printf("SKIP: systemd-analyze security: this systemd-analyze has no --offline\n");
			free(help);
			return;
		}
		free(help);
	}
	install_unit();
	argv[4] = unit_path;
	code = run_tool(argv, &out);
	ck_assert_msg(code == 0, "systemd-analyze security: exit %d: %.2000s", code, out);
	at = strstr(out, prefix);
	ck_assert_msg(at != NULL, "no \"%s\" in: %.2000s", prefix, out);
	ck_assert_msg(sscanf(at + strlen(prefix), "%u.%u %31s", &whole, &tenth, level) == 3 &&
			      tenth < 10 && whole <= 10,
		      "cannot read the exposure level: %.80s", at);
	exposure = (int)(whole * 10 + tenth);
	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		if (exposure >= levels[i].from) {
			band = (int)i;
			break;
		}
	}
	ck_assert_int_ge(band, 0);
	/* our reading of the number agrees with systemd's name for it */
	ck_assert_msg(!strcmp(level, levels[band].name), "exposure %u.%u is %s, systemd says %s",
		      whole, tenth, levels[band].name, level);
	if (exposure >= MEDIUM_FROM) {
		printf("%s", out); /* what counts against it, for the failure below */
		fflush(stdout);
	}
	ck_assert_msg(exposure < MEDIUM_FROM &&
			      (!strcmp(level, "OK") || !strcmp(level, "SAFE") ||
			       !strcmp(level, "PERFECT")),
		      "exposure %u.%u %s, want OK or better (below 5.0)", whole, tenth, level);
	printf("systemd-analyze security: %u.%u %s\n", whole, tenth, level);
	free(out);

	/* and systemd itself holds it to that: at most 4.9 */
	snprintf(threshold, sizeof(threshold), "--threshold=%d", MEDIUM_FROM - 1);
	argv[4] = threshold;
	argv[5] = unit_path;
	code = run_tool(argv, &out);
	ck_assert_msg(code == 0, "systemd-analyze security %s: exit %d: %.2000s", threshold,
		      code, out);
	free(out);
}
END_TEST

/* ---- sysusers.d ---- */

/* The line of name in an /etc/passwd or /etc/group text: its fields. */
static int colon_fields(const char *text, const char *name, char f[7][256])
{
	size_t nl = strlen(name);
	int found = 0;

	for (const char *line = text; *line;) {
		size_t n = strcspn(line, "\n");

		if (n > nl && !strncmp(line, name, nl) && line[nl] == ':') {
			const char *p = line;

			found++;
			for (int i = 0; i < 7; i++) {
				size_t k = strcspn(p, ":\n");

				ck_assert_uint_lt(k, 256);
				memcpy(f[i], p, k);
				f[i][k] = '\0';
				p += k + (p[k] == ':');
			}
		}
		line += n + (line[n] == '\n');
	}
	return found;
}

START_TEST(test_sysusers)
{
	const char *src = env_or("MESHPROV_SYSUSERS", "systemd/meshprov.sysusers");
	static const char *const dirs[] = { "", "/etc", "/usr", "/usr/lib", "/usr/lib/sysusers.d" };
	char root[PATH_MAX], etc[PATH_MAX], path[PATH_MAX], rootopt[PATH_MAX + 8];
	char pw[7][256], gr[7][256];
	const char *argv[] = { "systemd-sysusers", rootopt, NULL };
	char *text, *out, *passwd, *group;
	int code;

	text = read_file_str(src, NULL);
	ck_assert_msg(text != NULL, "cannot read %s", src);
	if (!have("systemd-sysusers")) {
		printf("SKIP: sysusers.d file: systemd-sysusers is not installed\n");
		free(text);
		return;
	}
	/* installed as make install PREFIX=/usr does, in a root of its own */
	pathf(root, sizeof(root), "%s/root", dir);
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		pathf(path, sizeof(path), "%s%s", root, dirs[i]);
		ck_assert_int_eq(mkdir(path, 0755), 0);
	}
	pathf(path, sizeof(path), "%s/usr/lib/sysusers.d/meshprov.conf", root);
	write_file(path, text);
	free(text);
	pathf(etc, sizeof(etc), "%s/etc", root);
	pathf(rootopt, sizeof(rootopt), "--root=%s", root);
	code = run_tool(argv, &out);
	ck_assert_msg(code == 0, "systemd-sysusers %s: exit %d: %.2000s", rootopt, code, out);
	free(out);
	pathf(path, sizeof(path), "%s/passwd", etc);
	passwd = read_file_str(path, NULL);
	ck_assert_msg(passwd != NULL, "systemd-sysusers wrote no %s", path);
	pathf(path, sizeof(path), "%s/group", etc);
	group = read_file_str(path, NULL);
	ck_assert_msg(group != NULL, "systemd-sysusers wrote no %s", path);
	ck_assert_msg(colon_fields(passwd, "meshprov", pw) == 1, "passwd: %.2000s", passwd);
	ck_assert_msg(colon_fields(group, "meshprov", gr) == 1, "group: %.2000s", group);
	/* a system user (not root) whose primary group is meshprov, at home in
	 * the state directory */
	ck_assert_msg(strcmp(pw[2], "0") != 0, "meshprov would be uid 0");
	ck_assert_str_eq(pw[3], gr[2]);
	ck_assert_str_eq(pw[5], "/var/lib/meshprov");
	free(passwd);
	free(group);
}
END_TEST

/* ---- the example configuration ---- */

START_TEST(test_example_config)
{
	/* each key as "#KEY = VALUE": the value is the default */
	static const char *const keys[] = {
		"hci",         "db",           "credentials", "control",       "control_group",
		"auto_provision", "max_sessions", "max_devices", "max_attempts", "retry_delay",
		"reservation_window",
		"unicast_range", "adv_interval", "adv_count", "adv_pack", "aligenie_groups",
		"aligenie_groups.602", "log_level",
	};
	const char *src = env_or("MESHPROV_CONF_EXAMPLE", "systemd/meshprov.conf.example");
	char *text = read_file_str(src, NULL), *settings, err[512];
	size_t len = 0;
	unsigned found[sizeof(keys) / sizeof(keys[0])] = { 0 };
	struct conf *defaults = malloc(sizeof(*defaults)), *parsed = malloc(sizeof(*parsed));
	int line_no = 0;

	ck_assert_msg(text != NULL, "cannot read %s", src);
	ck_assert_ptr_nonnull(defaults);
	ck_assert_ptr_nonnull(parsed);
	settings = malloc(strlen(text) + 1);
	ck_assert_ptr_nonnull(settings);
	/* every line is a comment or blank; the commented-out settings, made
	 * live, go to settings */
	for (const char *line = text; *line;) {
		size_t n = strcspn(line, "\n"), k;

		line_no++;
		ck_assert_msg(n == 0 || line[0] == '#', "%s:%d: not commented out: %.*s", src,
			      line_no, (int)n, line);
		k = strspn(line + 1, "abcdefghijklmnopqrstuvwxyz_.0123456789");
		if (n > 0 && k > 0 && k + 4 <= n && !strncmp(line + 1 + k, " = ", 3)) {
			size_t i;

			for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
				if (strlen(keys[i]) == k && !strncmp(line + 1, keys[i], k))
					break;
			ck_assert_msg(i < sizeof(keys) / sizeof(keys[0]),
				      "%s:%d: a key this test does not know: %.*s", src, line_no,
				      (int)n, line);
			found[i]++;
			memcpy(settings + len, line + 1, n - 1);
			len += n - 1;
			settings[len++] = '\n';
		}
		line += n + (line[n] == '\n');
	}
	settings[len] = '\0';
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		ck_assert_msg(found[i] == 1, "%s shows #%s %u times, want once", src, keys[i],
			      found[i]);

	/* the configuration parser takes them, and the values shown are its
	 * defaults (unicast_range and the per-ProductID groups have none: the
	 * example shows the form) */
	conf_defaults(defaults);
	conf_defaults(parsed);
	ck_assert_msg(conf_parse(parsed, src, settings, len, err, sizeof(err)) == 0,
		      "the example's settings do not parse: %s", err);
	ck_assert_str_eq(parsed->hci, defaults->hci);
	ck_assert_str_eq(parsed->db, defaults->db);
	ck_assert_str_eq(parsed->credentials, defaults->credentials);
	ck_assert_str_eq(parsed->control, defaults->control);
	ck_assert_str_eq(parsed->control_group, defaults->control_group);
	ck_assert_int_eq(parsed->auto_provision, defaults->auto_provision);
	ck_assert_uint_eq(parsed->max_sessions, defaults->max_sessions);
	ck_assert_uint_eq(parsed->max_devices, defaults->max_devices);
	ck_assert_uint_eq(parsed->max_attempts, defaults->max_attempts);
	ck_assert_uint_eq(parsed->retry_delay_s, defaults->retry_delay_s);
	ck_assert_uint_eq(parsed->reservation_window_s, defaults->reservation_window_s);
	ck_assert_uint_eq(parsed->adv_interval_ms, defaults->adv_interval_ms);
	ck_assert_uint_eq(parsed->adv_count, defaults->adv_count);
	ck_assert_uint_eq(parsed->aligenie_groups.n, defaults->aligenie_groups.n);
	for (unsigned i = 0; i < parsed->aligenie_groups.n; i++)
		ck_assert_uint_eq(parsed->aligenie_groups.addr[i], defaults->aligenie_groups.addr[i]);
	ck_assert_int_eq(parsed->log_level, defaults->log_level);
	ck_assert(parsed->has_unicast_range);
	ck_assert_uint_eq(parsed->nproduct_groups, 1);
	free(settings);
	free(text);
	free(defaults);
	free(parsed);
}
END_TEST

static Suite *systemd_e2e_suite(void)
{
	Suite *s = suite_create("systemd_e2e");
	TCase *tc = tcase_create("systemd");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_unit_settings);
	tcase_add_test(tc, test_analyze_verify);
	tcase_add_test(tc, test_analyze_security);
	tcase_add_test(tc, test_sysusers);
	tcase_add_test(tc, test_example_config);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(systemd_e2e_suite)
