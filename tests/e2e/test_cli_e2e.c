/* The command line as a user meets it: usage errors and exit codes, one-line
 * transport errors, controllers that misbehave (silent, refusing, breaking
 * the H4 framing, hanging up), and man pages that document every option and
 * every configuration key, and that groff and mandoc find nothing wrong in. */
#include <check.h>
#include <errno.h>
#include <json.h>
#include <stdarg.h>
#include <stdbool.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "check_main.h"
#include "proc.h"

static const char *meshprov;
static char *dir;

static void setup(void)
{
	meshprov = env_or("MESHPROV_BIN", "./meshprov");
	dir = tmpdir_create("cli");
	ck_assert_ptr_nonnull(dir);
}

static void teardown(void)
{
	proc_cleanup_all();
	if (dir)
		tmpdir_remove(dir);
	free(dir);
	dir = NULL;
}

/* Run meshprov with args (NULL-terminated), return its exit code; its stdout
 * and stderr are returned in *out and *err (caller frees). */
static int run(char **out, char **err, int timeout_ms, const char *arg0, ...)
{
	const char *argv[32];
	char errpath[512];
	struct proc_opts o = { .capture_stdout = true, .stderr_path = errpath };
	struct proc p;
	va_list ap;
	int n = 1, code;

	argv[0] = meshprov;
	va_start(ap, arg0);
	for (const char *a = arg0; a && n < 31; a = va_arg(ap, const char *))
		argv[n++] = a;
	va_end(ap);
	argv[n] = NULL;
	snprintf(errpath, sizeof(errpath), "%s/stderr", dir);
	ck_assert_int_eq(proc_spawn(&p, argv, &o), 0);
	if (proc_wait(&p, timeout_ms) != 0) {
		proc_cleanup_all();
		ck_abort_msg("meshprov %s did not finish within %d ms", arg0, timeout_ms);
	}
	code = proc_exit_code(&p);
	if (out)
		*out = strdup(p.out);
	if (err) {
		*err = read_file_str(errpath, NULL);
		if (!*err)
			*err = strdup("");
	}
	proc_free(&p);
	return code;
}

static int count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* ---- usage ---- */

START_TEST(test_usage_errors)
{
	/* at most 6 arguments each; NULL ends each list */
	static const char *const cases[][7] = {
		{ NULL },
		{ "bogus", NULL },
		{ "--bogus", "scan", NULL },
		{ "scan", "--bogus", NULL },
		{ "scan", "--timeout", "-1", NULL },
		{ "scan", "--timeout", "soon", NULL },
		{ "scan", "extra", NULL },
		{ "provision", NULL },
		{ "provision", "--uuid", "xyz", NULL },
		{ "provision", "--uuid", "00112233445566778899aabbccddeeff", "--unicast", "0x8000", NULL },
		{ "provision", "--uuid", "00112233445566778899aabbccddeeff", "--unicast", "010x", NULL },
		{ "provision", "--uuid", "00112233445566778899aabbccddeeff", "--static-oob", "0011", NULL },
		{ "provision", "--uuid", "00112233445566778899aabbccddeeff", "--no-oob", "--input-oob", NULL },
		{ "provision", "--uuid", "00112233445566778899aabbccddeeff", "--secret", "00", NULL },
		{ "provision", "--uuid", "a801715a020000a81cc107da78021000", NULL }, /* AliGenie: no secret */
		{ "provision", "--uuid", "a801715a020000a81cc107da78021000", "--pid", "603", "--secret", "00" },
		{ "provision", "--uuid", "a801715a020000a81cc107da78021000", "--mac", "112233445566", "--secret", "00" },
		{ "nodes", "frobnicate", NULL },
		{ "nodes", "check", "extra", NULL },
		{ "config", NULL },
		{ "config", "0x0011", NULL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *err;
		int code;

		code = run(NULL, &err, 5000, cases[i][0], cases[i][1], cases[i][2], cases[i][3],
			   cases[i][4], cases[i][5], cases[i][6], (const char *)NULL);
		ck_assert_msg(code == 2, "case %zu (%s %s): exit %d, want 2; stderr: %s", i,
			      cases[i][0] ? cases[i][0] : "", cases[i][1] ? cases[i][1] : "", code, err);
		ck_assert_msg(strlen(err) > 0, "case %zu: no message on stderr", i);
		free(err);
	}
}
END_TEST

START_TEST(test_help_and_version)
{
	static const char *const cmds[] = { "scan", "provision", "nodes", "config" };
	char *out, *err;

	ck_assert_int_eq(run(&out, &err, 5000, "--help", NULL), 0);
	ck_assert_ptr_nonnull(strstr(out, "Usage: meshprov"));
	ck_assert_str_eq(err, "");
	free(out);
	free(err);
	ck_assert_int_eq(run(&out, &err, 5000, "--version", NULL), 0);
	ck_assert_int_eq(strncmp(out, "meshprov ", 9), 0);
	free(out);
	free(err);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		ck_assert_int_eq(run(&out, &err, 5000, cmds[i], "--help", NULL), 0);
		ck_assert_msg(strstr(out, "Usage: meshprov") && strstr(out, cmds[i]),
			      "%s --help: %s", cmds[i], out);
		free(out);
		free(err);
	}
}
END_TEST

/* ---- the man pages ---- */

/* MESHPROV_MAN names meshprov.8; meshprov.conf.5 is in the same directory. */
static const char *man8_path(void)
{
	return env_or("MESHPROV_MAN", "man/meshprov.8");
}

static void man5_path(char *out, size_t len)
{
	const char *m8 = man8_path(), *slash = strrchr(m8, '/');
	int dirlen = slash ? (int)(slash - m8 + 1) : 0;

	ck_assert_int_lt(snprintf(out, len, "%.*smeshprov.conf.5", dirlen, m8), (int)len);
}

/* Whether roff (an option as the man page writes it, "\-\-max\-sessions")
 * occurs in man as a whole word: not as the start of a longer option. */
static bool has_option(const char *man, const char *roff)
{
	size_t n = strlen(roff);

	for (const char *p = man; (p = strstr(p, roff)) != NULL; p += n) {
		const char *e = p + n;

		if (*e >= 'a' && *e <= 'z')
			continue;
		if (e[0] == '\\' && e[1] == '-' && e[2] >= 'a' && e[2] <= 'z')
			continue;
		return true;
	}
	return false;
}

/* Every --option in the help texts appears in the man page. */
START_TEST(test_man_page_covers_help)
{
	static const char *const cmds[] = { NULL, "scan", "provision", "nodes", "config", "daemon" };
	const char *man_path = man8_path();
	char *man = read_file_str(man_path, NULL);
	unsigned checked = 0;

	ck_assert_msg(man != NULL, "cannot read %s", man_path);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		char *out, *err;
		int code;

		if (cmds[i])
			code = run(&out, &err, 5000, cmds[i], "--help", NULL);
		else
			code = run(&out, &err, 5000, "--help", NULL);
		ck_assert_msg(code == 0, "meshprov %s%s--help: exit %d; stderr: %s",
			      cmds[i] ? cmds[i] : "", cmds[i] ? " " : "", code, err);
		for (char *p = out; (p = strstr(p, "--")) != NULL;) {
			char opt[64], roff[160];
			size_t n = 0, r = 0;

			p += 2;
			while (n + 1 < sizeof(opt) && ((p[n] >= 'a' && p[n] <= 'z') || p[n] == '-'))
				n++;
			if (n == 0)
				continue;
			memcpy(opt, p, n);
			opt[n] = '\0';
			/* in roff the dashes are escaped: \-\-static\-oob */
			r += (size_t)snprintf(roff, sizeof(roff), "\\-\\-");
			for (size_t k = 0; k < n && r + 3 < sizeof(roff); k++) {
				if (opt[k] == '-') {
					roff[r++] = '\\';
					roff[r++] = '-';
				} else {
					roff[r++] = opt[k];
				}
			}
			roff[r] = '\0';
			ck_assert_msg(has_option(man, roff), "--%s (from %s --help) is not in %s",
				      opt, cmds[i] ? cmds[i] : "meshprov", man_path);
			checked++;
		}
		free(out);
		free(err);
	}
	ck_assert_uint_gt(checked, 20);
	free(man);
}
END_TEST

/* Every --hci form the main --help lists (the indented lines under --hci,
 * "hciN:mesh  ...") is in the man page: the form up to the placeholder after
 * its colon ("unix:" of "unix:PATH"), in bold as the page writes it. */
START_TEST(test_man_page_covers_hci_forms)
{
	const char *man_path = man8_path();
	char *man = read_file_str(man_path, NULL);
	char *out, *err, *p, *end;
	unsigned forms = 0;

	ck_assert_msg(man != NULL, "cannot read %s", man_path);
	ck_assert_int_eq(run(&out, &err, 5000, "--help", NULL), 0);
	p = strstr(out, "--hci SPEC");
	end = strstr(out, "--db PATH");
	ck_assert(p && end && p < end);
	for (p = strchr(p, '\n'); p && p < end; p = strchr(p + 1, '\n')) {
		char form[64], want[80];
		size_t n = 0;
		const char *q = p + 1;

		while (*q == ' ')
			q++;
		if (strncmp(q, "hci", 3) && strncmp(q, "unix:", 5) && strncmp(q, "tty:", 4))
			continue;
		while (n + 1 < sizeof(form) && q[n] && q[n] != ' ' &&
		       !(n > 0 && q[n - 1] == ':' && q[n] >= 'A' && q[n] <= 'Z'))
			n++;
		memcpy(form, q, n);
		form[n] = '\0';
		snprintf(want, sizeof(want), "B%s %s", form[n - 1] == ':' ? "I" : "", form);
		ck_assert_msg(strstr(man, want) != NULL, "--hci form %s (from --help) is not in %s",
			      form, man_path);
		forms++;
	}
	ck_assert_uint_eq(forms, 5);
	free(out);
	free(err);
	free(man);
}
END_TEST

/* Run cmd (a shell command line; its output goes to outpath): its exit status
 * is 0 and it printed nothing. */
static void expect_silent(const char *cmd, const char *outpath, const char *what)
{
	char *out;
	int rc = system(cmd);

	out = read_file_str(outpath, NULL);
	ck_assert_msg(rc == 0 && out && out[0] == '\0', "%s (status %d): %s", what, rc,
		      out ? out : "(no output)");
	free(out);
}

/* groff and mandoc (each when installed) find nothing to warn about in either
 * man page. mandoc is the stricter: dates, macro use, escapes. */
START_TEST(test_man_page_lint)
{
	char man5[512], cmd[1400], outpath[512], what[600];
	const char *pages[2] = { man8_path(), man5 };
	bool groff = system("command -v groff >/dev/null 2>&1") == 0;
	bool mandoc = system("command -v mandoc >/dev/null 2>&1") == 0;

	man5_path(man5, sizeof(man5));
	if (!groff)
		printf("SKIP: man page lint with groff: groff is not installed\n");
	if (!mandoc)
		printf("SKIP: man page lint with mandoc: mandoc is not installed\n");
	snprintf(outpath, sizeof(outpath), "%s/lint.out", dir);
	for (size_t i = 0; i < 2; i++) {
		ck_assert_msg(access(pages[i], R_OK) == 0, "cannot read %s", pages[i]);
		if (groff) {
			snprintf(cmd, sizeof(cmd), "groff -man -ww -z '%s' >'%s' 2>&1", pages[i],
				 outpath);
			snprintf(what, sizeof(what), "groff warns about %s", pages[i]);
			expect_silent(cmd, outpath, what);
		}
		if (mandoc) {
			snprintf(cmd, sizeof(cmd), "mandoc -Tlint -W warning '%s' >'%s' 2>&1",
				 pages[i], outpath);
			snprintf(what, sizeof(what), "mandoc warns about %s", pages[i]);
			expect_silent(cmd, outpath, what);
		}
	}
}
END_TEST

/* Roff source as it reads, for comparing with plain text. */
struct text {
	char *s;
	size_t len, cap;
};

static void text_add(struct text *t, const char *p, size_t n)
{
	if (t->len + n + 1 > t->cap) {
		t->cap = (t->len + n + 1) * 2;
		t->s = realloc(t->s, t->cap);
		ck_assert_ptr_nonnull(t->s);
	}
	memcpy(t->s + t->len, p, n);
	t->len += n;
	t->s[t->len] = '\0';
}

/* Text p[0..n) with its escapes as they print: \fX font changes and \% \&
 * vanish, \- \(en \(em are '-', \(dq '"', \(aq '\'', \(<= "<=", \e '\'. */
static void text_add_roff(struct text *t, const char *p, size_t n)
{
	static const struct {
		const char *esc, *out;
	} named[] = {
		{ "en", "-" }, { "em", "-" }, { "dq", "\"" }, { "aq", "'" }, { "<=", "<=" },
		{ ">=", ">=" },
	};

	for (size_t i = 0; i < n; i++) {
		if (p[i] != '\\' || i + 1 >= n) {
			text_add(t, p + i, 1);
			continue;
		}
		switch (p[++i]) {
		case 'f':
			i++; /* and the font's letter */
			break;
		case '%':
		case '&':
			break;
		case '-':
			text_add(t, "-", 1);
			break;
		case 'e':
			text_add(t, "\\", 1);
			break;
		case '(': {
			const char *out = "?";

			for (size_t k = 0; i + 2 < n && k < sizeof(named) / sizeof(named[0]); k++)
				if (!strncmp(p + i + 1, named[k].esc, 2))
					out = named[k].out;
			text_add(t, out, strlen(out));
			i += 2;
			break;
		}
		default:
			text_add(t, p + i, 1);
		}
	}
}

/* One source line p[0..n) as it reads: text as is; a font macro's arguments
 * (quoted or not) joined, with spaces for .B and .I and without for the
 * alternating ones (.BI, .BR, ...); any other request: nothing. */
static void text_add_line(struct text *t, const char *p, size_t n)
{
	bool spaced;
	size_t i;

	if (n == 0 || (p[0] != '.' && p[0] != '\'')) {
		text_add_roff(t, p, n);
		return;
	}
	for (i = 1; i < n && p[i] != ' '; i++)
		;
	if (i == 2 && (p[1] == 'B' || p[1] == 'I'))
		spaced = true;
	else if (i == 3 && strchr("BIR", p[1]) && strchr("BIR", p[2]) && p[1] != p[2])
		spaced = false;
	else
		return;
	for (bool first = true; i < n; first = false) {
		size_t a, e;

		while (i < n && p[i] == ' ')
			i++;
		if (i == n)
			break;
		if (p[i] == '"') {
			a = ++i;
			while (i < n && p[i] != '"')
				i++;
			e = i++;
		} else {
			a = i;
			while (i < n && p[i] != ' ')
				i++;
			e = i;
		}
		if (spaced && !first)
			text_add(t, " ", 1);
		text_add_roff(t, p + a, e - a);
	}
}

/* Every configuration key is documented in meshprov.conf(5), as a tagged
 * paragraph "KEY = VALUE" of its CONFIGURATION FILE section with its range
 * and default; and every key documented there is one of these. */
START_TEST(test_conf_man_page_covers_keys)
{
	static const struct {
		const char *key;
		const char *must[7]; /* in its paragraph; NULL-terminated */
	} keys[] = {
		{ "hci", { "hci0", "hciN:user", "hciN:mesh", "unix:PATH", "Default: as without --hci", "hci0:mesh where the kernel's mesh interface works, else hci0." } },
		{ "db", { "Default /var/lib/meshprov/network.json." } },
		{ "credentials", { "Default /etc/meshprov/devices." } },
		{ "control", { "Default /run/meshprov/control." } },
		{ "control_group", { "does not exist", "Default meshprov." } },
		{ "auto_provision", { "yes/no", "true/false", "on/off", "1/0", "Default yes." } },
		{ "max_sessions", { "1-32", "Default 2." } },
		{ "max_devices", { "16-65536", "least recently seen", "Default 1024." } },
		{ "max_attempts", { "1-100", "Default 5." } },
		{ "retry_delay", { "1-3600", "doubled", "at most 600", "Default 10." } },
		{ "reservation_window", { "1-86400", "provisioned, not confirmed", "Default 130" } },
		{ "unicast_range", { "0x0011-0x7fff", "Default: the provisioner's range" } },
		{ "adv_interval", { "20-10240", "Default 20." } },
		{ "adv_count", { "1-20", "Default 3." } },
		{ "adv_pack", { "every AD structure", "Default no" } },
		{ "aligenie_groups", { "1-4", "0xc000-0xfeff", "version 0", "Default 0xc000,0xcfff." } },
		{ "aligenie_groups.PID", { "ProductID PID" } },
		{ "log_level", { "error, warning, info or debug", "Default info." } },
	};
	unsigned found[sizeof(keys) / sizeof(keys[0])] = { 0 };
	char path[512];
	char *man, *line, *next;
	bool in_conf = false, tag = false;
	int cur = -1, line_no = 0;
	struct text para = { 0 };

	man5_path(path, sizeof(path));
	man = read_file_str(path, NULL);
	ck_assert_msg(man != NULL, "cannot read %s", path);
	for (line = man; *line; line = next) {
		size_t n = strcspn(line, "\n");

		next = line + n + (line[n] == '\n');
		line_no++;
		/* the end of a paragraph: check the key's */
		if (cur >= 0 && (!strncmp(line, ".TP", 3) || !strncmp(line, ".SH", 3) ||
				 !strncmp(line, ".SS", 3) || !strncmp(line, ".PP", 3))) {
			for (size_t k = 0; keys[cur].must[k]; k++)
				ck_assert_msg(strstr(para.s, keys[cur].must[k]) != NULL,
					      "%s: the paragraph of %s lacks \"%s\": %s", path,
					      keys[cur].key, keys[cur].must[k], para.s);
			cur = -1;
		}
		if (!strncmp(line, ".SH ", 4)) {
			static const char conf_sh[] = "CONFIGURATION FILE";
			const char *h = line + 4;
			size_t hn = n - 4;

			if (hn >= 2 && h[0] == '"' && h[hn - 1] == '"') {
				h++;
				hn -= 2;
			}
			in_conf = hn == strlen(conf_sh) && !strncmp(h, conf_sh, hn);
		}
		if (tag) {
			struct text t = { 0 };
			const char *eq;

			tag = false;
			text_add_line(&t, line, n);
			eq = t.s ? strstr(t.s, " = ") : NULL;
			if (in_conf && eq) {
				size_t klen = (size_t)(eq - t.s);
				size_t k;

				for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
					if (strlen(keys[k].key) == klen && !strncmp(t.s, keys[k].key, klen))
						break;
				ck_assert_msg(k < sizeof(keys) / sizeof(keys[0]),
					      "%s:%d: \"%s\" documents a key this test does not know",
					      path, line_no, t.s);
				found[k]++;
				cur = (int)k;
				para.len = 0;
				text_add(&para, "", 0);
			}
			free(t.s);
			continue;
		}
		tag = !strncmp(line, ".TP", 3) && n == 3;
		if (cur >= 0) {
			text_add(&para, " ", 1);
			text_add_line(&para, line, n);
		}
	}
	ck_assert_msg(cur < 0, "%s ends inside the paragraph of %s", path, keys[cur].key);
	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
		ck_assert_msg(found[k] == 1, "%s documents %s %u times, want once", path,
			      keys[k].key, found[k]);
	free(para.s);
	free(man);
}
END_TEST

/* ---- transports ---- */

static void expect_open_error(const char *spec, const char *cause)
{
	char want[300], *out, *err;
	int code;

	code = run(&out, &err, 5000, "--hci", spec, "scan", "--timeout", "1", NULL);
	ck_assert_msg(code == 1, "--hci %s: exit %d, want 1", spec, code);
	snprintf(want, sizeof(want), "meshprov: cannot open %s: ", spec);
	ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "--hci %s: stderr '%s'", spec, err);
	ck_assert_msg(count_lines(err) == 1, "--hci %s: not one line: '%s'", spec, err);
	if (cause)
		ck_assert_msg(strstr(err, cause) != NULL, "--hci %s: '%s' lacks '%s'", spec, err,
			      cause);
	ck_assert_str_eq(out, "");
	free(out);
	free(err);
}

START_TEST(test_transport_errors)
{
	char path[600];

	/* hci0 here: no Bluetooth in this kernel, or no such device, or no permission */
	expect_open_error("hci0", NULL);
	expect_open_error("hci0:user", NULL);
	expect_open_error("hci0:mesh", NULL);
	expect_open_error("tty:/dev/meshprov-no-such-tty", "no such device");
	snprintf(path, sizeof(path), "unix:%s/nobody-listens", dir);
	expect_open_error(path, "no such socket");
	expect_open_error("carrier-pigeon", "unknown transport");
	expect_open_error("hci0:exclusive", "unknown transport");
	expect_open_error("tty:/dev/null:12345", "unsupported baud rate");
}
END_TEST

/* ---- misbehaving controllers ---- */

static int listen_unix(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(fd, 4), 0);
	return fd;
}

static int accept_within(int lfd, int timeout_ms)
{
	struct pollfd pfd = { .fd = lfd, .events = POLLIN };

	ck_assert_msg(poll(&pfd, 1, timeout_ms) == 1, "meshprov did not connect");
	return accept(lfd, NULL, NULL);
}

/* Spawn `meshprov --hci unix:PATH scan --timeout 5` against our fake controller. */
static void spawn_scan(struct proc *p, const char *sock, char *errpath, size_t errlen)
{
	char spec[600];
	const char *argv[] = { meshprov, "--hci", spec, "scan", "--timeout", "5", NULL };
	struct proc_opts o = { .capture_stdout = true, .stderr_path = errpath };

	snprintf(spec, sizeof(spec), "unix:%s", sock);
	snprintf(errpath, errlen, "%s/scan.err", dir);
	ck_assert_int_eq(proc_spawn(p, argv, &o), 0);
}

static char *finish_scan(struct proc *p, const char *errpath, int *code)
{
	char *err;

	ck_assert_msg(proc_wait(p, 8000) == 0, "meshprov hangs on a misbehaving controller");
	*code = proc_exit_code(p);
	err = read_file_str(errpath, NULL);
	proc_free(p);
	return err ? err : strdup("");
}

START_TEST(test_silent_controller)
{
	char sock[600], errpath[600], *err;
	struct proc p;
	int lfd, cfd, code;
	uint8_t buf[64];

	snprintf(sock, sizeof(sock), "%s/silent.sock", dir);
	lfd = listen_unix(sock);
	spawn_scan(&p, sock, errpath, sizeof(errpath));
	cfd = accept_within(lfd, 3000);
	/* it sends HCI_Reset (01 03 0c 00); we never answer */
	{
		struct pollfd pfd = { .fd = cfd, .events = POLLIN };

		ck_assert_int_eq(poll(&pfd, 1, 3000), 1);
		ck_assert_int_eq(read(cfd, buf, sizeof(buf)), 4);
		ck_assert_mem_eq(buf, "\x01\x03\x0c\x00", 4);
	}
	err = finish_scan(&p, errpath, &code);
	ck_assert_int_eq(code, 1);
	ck_assert_msg(strstr(err, "controller did not answer HCI_Reset") != NULL, "stderr: %s", err);
	free(err);
	close(cfd);
	close(lfd);
}
END_TEST

START_TEST(test_refusing_controller)
{
	/* Command Complete for HCI_Reset with status 0x03 (Hardware Failure) */
	static const uint8_t cc[] = { 0x04, 0x0e, 0x04, 0x01, 0x03, 0x0c, 0x03 };
	char sock[600], errpath[600], *err;
	struct proc p;
	int lfd, cfd, code;
	uint8_t buf[64];

	snprintf(sock, sizeof(sock), "%s/refusing.sock", dir);
	lfd = listen_unix(sock);
	spawn_scan(&p, sock, errpath, sizeof(errpath));
	cfd = accept_within(lfd, 3000);
	ck_assert_int_eq(read(cfd, buf, sizeof(buf)), 4);
	ck_assert_int_eq(write(cfd, cc, sizeof(cc)), (ssize_t)sizeof(cc));
	err = finish_scan(&p, errpath, &code);
	ck_assert_int_eq(code, 1);
	ck_assert_msg(strstr(err, "HCI_Reset failed with HCI status 0x03") != NULL, "stderr: %s", err);
	free(err);
	close(cfd);
	close(lfd);
}
END_TEST

START_TEST(test_garbage_controller)
{
	char sock[600], errpath[600], *err;
	struct proc p;
	int lfd, cfd, code;
	uint8_t buf[64];

	snprintf(sock, sizeof(sock), "%s/garbage.sock", dir);
	lfd = listen_unix(sock);
	spawn_scan(&p, sock, errpath, sizeof(errpath));
	cfd = accept_within(lfd, 3000);
	ck_assert_int_eq(read(cfd, buf, sizeof(buf)), 4);
	/* a truncated event, then an unknown H4 packet type */
	ck_assert_int_eq(write(cfd, "\x04\x0e\x01\x01\x09\xff\xff", 7), 7);
	err = finish_scan(&p, errpath, &code);
	ck_assert_int_eq(code, 1);
	ck_assert_msg(strstr(err, "framing lost") != NULL, "stderr: %s", err);
	free(err);
	close(cfd);
	close(lfd);
}
END_TEST

START_TEST(test_controller_hangs_up)
{
	char sock[600], errpath[600], *err;
	struct proc p;
	int lfd, cfd, code;
	uint8_t buf[64];

	snprintf(sock, sizeof(sock), "%s/hangup.sock", dir);
	lfd = listen_unix(sock);
	spawn_scan(&p, sock, errpath, sizeof(errpath));
	cfd = accept_within(lfd, 3000);
	ck_assert_int_eq(read(cfd, buf, sizeof(buf)), 4);
	close(cfd);
	err = finish_scan(&p, errpath, &code);
	ck_assert_int_eq(code, 1);
	ck_assert_msg(strstr(err, "connection closed by the controller") != NULL, "stderr: %s", err);
	free(err);
	close(lfd);
}
END_TEST

/* ---- nodes before anything was provisioned ---- */

/* No database yet (the directory neither): nodes lists nothing and succeeds,
 * nodes remove names the missing file, and neither makes a file or a
 * directory just to look. */
START_TEST(test_nodes_without_database)
{
	char db[600], parent[560], *out, *err;
	struct stat st;

	snprintf(parent, sizeof(parent), "%s/state", dir);
	snprintf(db, sizeof(db), "%s/network.json", parent);
	ck_assert_int_eq(run(&out, &err, 5000, "--no-daemon", "--db", db, "nodes", NULL), 0);
	ck_assert_msg(!strcmp(out, "no nodes\n"), "nodes: stdout %s, stderr %s", out, err);
	free(out);
	free(err);
	ck_assert_int_eq(run(&out, &err, 5000, "--no-daemon", "--db", db, "nodes", "--json", NULL),
			 0);
	ck_assert_msg(!strcmp(out, "[]\n"), "nodes --json: stdout %s, stderr %s", out, err);
	free(out);
	free(err);
	ck_assert_int_eq(run(&out, &err, 5000, "--no-daemon", "--db", db, "nodes", "remove",
			     "0x0011", NULL),
			 1);
	ck_assert_msg(strstr(err, "no node 0x0011 in") && strstr(err, db) && count_lines(err) == 1,
		      "nodes remove: stderr %s", err);
	ck_assert_str_eq(out, "");
	free(out);
	free(err);
	ck_assert_msg(stat(parent, &st) < 0 && errno == ENOENT, "%s was created", parent);
}
END_TEST

/* stdout is exactly one line, one JSON object: returned (caller puts). */
static struct json_object *one_json(const char *out)
{
	const char *nl = strchr(out, '\n');
	struct json_object *o;

	ck_assert_msg(nl && nl[1] == '\0', "stdout is not one line: %s", out);
	o = json_tokener_parse(out);
	ck_assert_msg(o && json_object_is_type(o, json_type_object), "stdout is not a JSON object: %s",
		      out);
	return o;
}

static const char *field(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : NULL;
}

/* The JSON object a failing --json run prints: exit code, "error" exactly
 * error (or, error NULL, containing has), and uuid's "uuid" when given. */
static void check_json_failure(const char *what, int code, int want_code, const char *out,
			       const char *err, const char *uuid, const char *error, const char *has)
{
	struct json_object *o;
	const char *e;

	ck_assert_msg(code == want_code, "%s: exit %d, want %d; stdout %s stderr %s", what, code,
		      want_code, out, err);
	o = one_json(out);
	e = field(o, "error");
	ck_assert_msg(e && (error ? !strcmp(e, error) : strstr(e, has) != NULL),
		      "%s: error \"%s\", want %s \"%s\"", what, e ? e : "(none)",
		      error ? "exactly" : "something with", error ? error : has);
	if (uuid)
		ck_assert_msg(field(o, "uuid") && !strcmp(field(o, "uuid"), uuid), "%s: uuid %s", what,
			      out);
	json_object_put(o);
}

/* With --json every failure is one JSON object on stdout, also those found
 * before the radio is opened: database errors, no such node, usage problems
 * found once the options are parsed. */
START_TEST(test_json_failures)
{
	static const char uuid[] = "00112233445566778899aabbccddee01";
	char db[600], bad[600], want[700], *out, *err;
	int code;

	snprintf(db, sizeof(db), "%s/network.json", dir);
	snprintf(bad, sizeof(bad), "%s/garbage.json", dir);

	/* a controller that is not there: the database is made, then the radio fails */
	code = run(&out, &err, 5000, "--no-daemon", "--db", db, "--hci", "unix:/nonexistent/air.sock",
		   "provision", "--uuid", uuid, "--json", NULL);
	check_json_failure("provision, no controller", code, 1, out, err, uuid, NULL,
			   "/nonexistent/air.sock");
	free(out);
	free(err);

	/* usage problems found after parsing: exit 2 */
	code = run(&out, &err, 5000, "--no-daemon", "--db", db, "provision", "--uuid", "xyz", "--json",
		   NULL);
	check_json_failure("provision --uuid xyz", code, 2, out, err, "xyz",
			   "--uuid needs the device UUID (32 hex digits)", NULL);
	free(out);
	free(err);
	code = run(&out, &err, 5000, "--no-daemon", "--db", db, "nodes", "remove", "0x0099", "0x9",
		   "--json", NULL);
	check_json_failure("nodes remove with two", code, 2, out, err, NULL,
			   "give one UUID or unicast address", NULL);
	free(out);
	free(err);

	/* no such node (no database yet either) */
	snprintf(want, sizeof(want), "no node 0x0099 in %s (no such file)", db);
	code = run(&out, &err, 5000, "--no-daemon", "--db", db, "nodes", "remove", "0x0099", "--json",
		   NULL);
	check_json_failure("nodes remove 0x0099", code, 1, out, err, NULL, want, NULL);
	free(out);
	free(err);
	snprintf(want, sizeof(want), "no node 0x0099 in %s", db);
	code = run(&out, &err, 5000, "--no-daemon", "--db", db, "config", "0x0099", "composition",
		   "--json", NULL);
	check_json_failure("config 0x0099", code, 1, out, err, NULL, want, NULL);
	{
		/* the shape of config's --json failures */
		struct json_object *o = one_json(out), *ok;

		ck_assert_msg(json_object_object_get_ex(o, "ok", &ok) && !json_object_get_boolean(ok) &&
				      field(o, "command") && !strcmp(field(o, "command"), "composition"),
			      "config 0x0099 --json: %s", out);
		json_object_put(o);
	}
	free(out);
	free(err);

	/* a database that is not one */
	{
		FILE *f = fopen(bad, "w");

		ck_assert_ptr_nonnull(f);
		fputs("{ not json", f);
		fclose(f);
	}
	code = run(&out, &err, 5000, "--no-daemon", "--db", bad, "nodes", "--json", NULL);
	check_json_failure("nodes, bad database", code, 1, out, err, NULL, NULL, bad);
	free(out);
	free(err);
	code = run(&out, &err, 5000, "--no-daemon", "--db", bad, "provision", "--uuid", uuid, "--json",
		   NULL);
	check_json_failure("provision, bad database", code, 1, out, err, uuid, NULL, bad);
	free(out);
	free(err);
	code = run(&out, &err, 5000, "--no-daemon", "--db", bad, "config", "0x0011", "composition",
		   "--json", NULL);
	check_json_failure("config, bad database", code, 1, out, err, NULL, NULL, bad);
	free(out);
	free(err);
}
END_TEST

/* nodes check: every problem of the file, one per line on stdout, exit 1;
 * --json an array; the file as it was; no file, or a good one: exit 0. The
 * other commands refuse the file with the first problem. */
START_TEST(test_nodes_check)
{
	static const char damaged[] =
		"{\"netKeys\": [{\"index\": 0, \"key\": \"00112233445566778899AABBCCDDEEFF\"}],\n"
		" \"ivIndex\": -1,\n"
		" \"nodes\": [{\"UUID\": \"not a uuid\", \"unicastAddress\": \"0011\"},\n"
		"   {\"UUID\": \"0123456789ABCDEF0123456789ABCDEF\", \"unicastAddress\": \"0011\"}]}\n";
	static const char *const want[] = {
		"ivIndex: -1 is out of range (0..4294967295)",
		"nodes[0].UUID: not a UUID (32 hex digits, dashes allowed)",
		"nodes[1].unicastAddress: 0011 overlaps nodes[0] (0011)",
	};
	char db[600], lines[600], msg[1300], *out, *err, *after;
	struct json_object *a;
	FILE *f;

	snprintf(db, sizeof(db), "%s/network.json", dir);
	ck_assert_int_eq(run(&out, &err, 5000, "--no-daemon", "--db", db, "nodes", "check", NULL), 0);
	ck_assert_msg(strstr(out, "no database yet") != NULL, "stdout %s", out);
	free(out);
	free(err);

	f = fopen(db, "w");
	ck_assert_ptr_nonnull(f);
	fputs(damaged, f);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(run(&out, &err, 5000, "--no-daemon", "--db", db, "nodes", "check", NULL), 1);
	snprintf(lines, sizeof(lines), "%s\n%s\n%s\n", want[0], want[1], want[2]);
	ck_assert_str_eq(out, lines);
	snprintf(msg, sizeof(msg), "meshprov: %s: 3 problems\n", db);
	ck_assert_str_eq(err, msg);
	free(out);
	free(err);

	ck_assert_int_eq(run(&out, &err, 5000, "--no-daemon", "--db", db, "nodes", "check", "--json", NULL), 1);
	a = json_tokener_parse(out);
	ck_assert_msg(a && json_object_is_type(a, json_type_array), "not a JSON array: %s", out);
	ck_assert_uint_eq(json_object_array_length(a), 3);
	for (size_t i = 0; i < 3; i++) {
		struct json_object *o = json_object_array_get_idx(a, i), *path, *problem;
		char line[300];

		ck_assert(json_object_object_get_ex(o, "path", &path));
		ck_assert(json_object_object_get_ex(o, "problem", &problem));
		snprintf(line, sizeof(line), "%s: %s", json_object_get_string(path), json_object_get_string(problem));
		ck_assert_str_eq(line, want[i]);
	}
	json_object_put(a);
	free(out);
	free(err);

	/* listing refuses it with the first problem and how many */
	ck_assert_int_eq(run(&out, &err, 5000, "--no-daemon", "--db", db, "nodes", NULL), 1);
	snprintf(msg, sizeof(msg), "meshprov: database %s: 3 problems, the first: %s; meshprov nodes check lists them\n",
		 db, want[0]);
	ck_assert_str_eq(err, msg);
	ck_assert_str_eq(out, "");
	free(out);
	free(err);
	after = read_file_str(db, NULL);
	ck_assert_str_eq(after, damaged);
	free(after);

	f = fopen(db, "w");
	ck_assert_ptr_nonnull(f);
	fputs("{\"netKeys\": [{\"index\": 0, \"key\": \"00112233445566778899AABBCCDDEEFF\"}]}", f);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(run(&out, &err, 5000, "--no-daemon", "--db", db, "nodes", "check", NULL), 0);
	snprintf(msg, sizeof(msg), "%s: no problems\n", db);
	ck_assert_str_eq(out, msg);
	free(out);
	free(err);
}
END_TEST

static Suite *cli_e2e_suite(void)
{
	Suite *s = suite_create("cli_e2e");
	TCase *tc = tcase_create("cli");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_usage_errors);
	tcase_add_test(tc, test_help_and_version);
	tcase_add_test(tc, test_nodes_without_database);
	tcase_add_test(tc, test_json_failures);
	tcase_add_test(tc, test_nodes_check);
	tcase_add_test(tc, test_man_page_covers_help);
	tcase_add_test(tc, test_man_page_covers_hci_forms);
	tcase_add_test(tc, test_man_page_lint);
	tcase_add_test(tc, test_conf_man_page_covers_keys);
	tcase_add_test(tc, test_transport_errors);
	tcase_add_test(tc, test_silent_controller);
	tcase_add_test(tc, test_refusing_controller);
	tcase_add_test(tc, test_garbage_controller);
	tcase_add_test(tc, test_controller_hangs_up);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(cli_e2e_suite)
