/* End-to-end: `meshprov daemon` on the virtual air (build/vair/vair) with
 * simulated AliGenie devices. The daemon provisions and configures the
 * devices of its credentials file by itself, serves the CLI and raw clients
 * on its control socket (newline-delimited JSON), stops on SIGTERM within
 * 2 s (closing its links), reloads on SIGHUP (keeping what it had when a new
 * file is bad), and writes BTSnoop files. Each test checks the daemon's view
 * (its log, its control socket), the devices' view (vair --report) and the
 * database against each other.
 *
 * Binaries: $MESHPROV_BIN (default ./meshprov), $VAIR_BIN (default
 * ./build/vair/vair). */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <json.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aligenie.h"
#include "btsnoop_read.h"
#include "btvirt.h"
#include "check_main.h"
#include "e2e.h"
#include "proc.h"
#include "util.h"

#define TEST_TIMEOUT_S 45
#define RUN_MS 20000       /* one meshprov CLI run, at most */
#define READY_MS 10000     /* the daemon's controller ready */
#define STOP_MS 2000       /* SIGTERM to exit: the requirement */
#define STOP_WAIT_MS 6000  /* how long we wait before calling it hung */
#define REPLY_MS 5000      /* one reply on the control socket */
#define AUTO_MS 30000      /* three devices provisioned and configured (~10 s) */

/* The three devices of tests/demo. AliGenie UUIDs worked out by hand (CID
 * a801, PID flags 71, ProductID LE, MAC reversed, feature flag: UUID version
 * 1 << 1 | silent, flags2 10, 00). */
#define ALI_A_SPEC "aligenie:602,78:da:07:c1:1c:a8,1565d0497400c999e984cffa4da4fdf9"
#define ALI_A_UUID "a801715a020000a81cc107da78021000"
#define ALI_A_SECRET "1565d0497400c999e984cffa4da4fdf9"

#define ALI_B_SPEC "aligenie:0x1234,28:fa:7a:01:91:da,00112233445566778899aabbccddeeff,random-auth"
#define ALI_B_UUID "a8017134120000da91017afa28021200"
#define ALI_B_SECRET "00112233445566778899aabbccddeeff"

#define ALI_C_SPEC "aligenie:5003,a4:c1:38:00:00:01,0f0e0d0c0b0a09080706050403020100,silent"
#define ALI_C_UUID "a801718b13000001000038c1a4031000"
#define ALI_C_SECRET "0f0e0d0c0b0a09080706050403020100"

/* Their credentials lines, the MACs written three ways, the ProductIDs two. */
#define CRED_A "aligenie 602 78:da:07:c1:1c:a8 " ALI_A_SECRET "\n"
#define CRED_B "aligenie 0x1234 28fa7a0191da " ALI_B_SECRET "   # random-bound\n"
#define CRED_C "aligenie 5003 A4:C1:38:00:00:01 " ALI_C_SECRET "\n"

/* A device that is not on any air. */
#define ABSENT_UUID "00112233445566778899aabbccddee01"

#define MESHPROV_ADDR 0x0001 /* meshprov's own node */
#define HCI_OP_RESET_CMD 0x0c03

static void base_setup(void)
{
	e2e_suite_setup("meshprov-daemon-e2e", RUN_MS);
}

/* e2e_setup, and no daemon of the environment's choosing. */
static void setup(void)
{
	e2e_setup();
	unsetenv("MESHPROV_CONTROL");
}

/* ---- files ---- */

static void write_file(const char *path, mode_t mode, const char *text)
{
	size_t len = strlen(text);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	REQ(fd >= 0, "cannot write %s: %s", path, strerror(errno));
	REQ(write(fd, text, len) == (ssize_t)len, "cannot write %s: %s", path, strerror(errno));
	REQ(fchmod(fd, mode) == 0, "chmod %s: %s", path, strerror(errno));
	close(fd);
}

static int count_of(const char *text, const char *what)
{
	int n = 0;

	for (const char *s = text; (s = strstr(s, what)) != NULL; s += strlen(what))
		n++;
	return n;
}

/* ---- the air ---- */

static void air_start(struct vair *a, const char *dir, const char *const *devices)
{
	vair_start(a, e2e_vair, dir, true, devices, NULL);
	e2e_air = a;
}

static void air_stop(struct vair *a)
{
	vair_stop(a);
	vair_free(a);
	if (e2e_air == a)
		e2e_air = NULL;
}

/* ---- the daemon ---- */

struct dmn {
	struct run r;
	const struct exe *exe; /* the meshprov to run; NULL: $MESHPROV_BIN */
	char conf[PATH_MAX], creds[PATH_MAX], ctl[PATH_MAX];
	uint64_t stop_ms; /* SIGTERM to exit, after dmn_stop */
};

/* The daemon's files in e2e_dir; a configuration file of just a comment. */
static void dmn_paths(struct dmn *d)
{
	memset(d, 0, sizeof(*d));
	snprintf(d->conf, sizeof(d->conf), "%s/meshprov.conf", e2e_dir);
	snprintf(d->creds, sizeof(d->creds), "%s/devices", e2e_dir);
	snprintf(d->ctl, sizeof(d->ctl), "%s/ctl", e2e_dir);
	write_file(d->conf, 0644, "# the defaults\n");
}

static char *dmn_log(const struct dmn *d)
{
	return file_or_empty(d->r.errpath);
}

static bool dmn_alive(struct dmn *d)
{
	return d->r.p.pid > 0 && proc_wait(&d->r.p, 0) < 0;
}

/* For a failure: the daemon's state (given a moment to finish dying) and log. */
static const char *dmn_desc(struct dmn *d)
{
	static char buf[24576];
	char st[64], *log, *rep;

	if (d->r.p.pid > 0)
		proc_wait(&d->r.p, 500);
	log = dmn_log(d);
	rep = report_text(e2e_air);
	snprintf(buf, sizeof(buf), "--- daemon (%s) log:\n%s--- device report:\n%s",
		 proc_status_str(&d->r.p, st, sizeof(st)), log, rep);
	free(log);
	free(rep);
	return buf;
}

/* Fail with the daemon's log (read before the daemon is killed). */
#define DREQ(d, cond, fmt, ...)                                       \
	do {                                                          \
		if (!(cond)) {                                        \
			const char *desc_ = dmn_desc(d);              \
			REQ(0, fmt "\n%s", ##__VA_ARGS__, desc_);     \
		}                                                     \
	} while (0)

/* Wait until the daemon's log holds text at least count times. */
static void log_wait(struct dmn *d, const char *text, int count, int ms)
{
	uint64_t end = mono_ms() + (uint64_t)ms;

	for (;;) {
		char *log = dmn_log(d);
		int n = count_of(log, text);

		free(log);
		if (n >= count)
			return;
		DREQ(d, dmn_alive(d), "the daemon exited before logging \"%s\"", text);
		DREQ(d, mono_ms() < end, "no %d \"%s\" in the daemon's log within %d ms", count, text,
		     ms);
		sleep_ms(20);
	}
}

static int log_count(const struct dmn *d, const char *text)
{
	char *log = dmn_log(d);
	int n = count_of(log, text);

	free(log);
	return n;
}

/* meshprov [--hci HCI] --db e2e_db --control CTL -v GLOBAL... daemon --config
 * CONF --credentials CREDS DAEMON... (both lists NULL-terminated, may be
 * NULL); wait for the controller and the control socket. */
static void dmn_start(struct dmn *d, const char *hci, const char *const *global,
		      const char *const *opts)
{
	const char *args[40];
	int n = 0;

	if (hci) {
		args[n++] = "--hci";
		args[n++] = hci;
	}
	args[n++] = "--db";
	args[n++] = e2e_db;
	args[n++] = "--control";
	args[n++] = d->ctl;
	args[n++] = "-v";
	for (int i = 0; global && global[i]; i++) {
		REQ(n < (int)ARRAY_SIZE(args) - 12, "too many daemon arguments");
		args[n++] = global[i];
	}
	args[n++] = "daemon";
	args[n++] = "--config";
	args[n++] = d->conf;
	args[n++] = "--credentials";
	args[n++] = d->creds;
	for (int i = 0; opts && opts[i]; i++) {
		REQ(n < (int)ARRAY_SIZE(args) - 1, "too many daemon arguments");
		args[n++] = opts[i];
	}
	args[n] = NULL;
	d->stop_ms = 0;
	run_spawn(&d->r, d->exe, args);
	log_wait(d, "controller ready on", 1, READY_MS);
	DREQ(d, wait_for_unix_socket(d->ctl, 2000, &d->r.p) == 0, "no control socket at %s",
	     d->ctl);
}

/* SIGTERM: the daemon must exit 0 within STOP_MS, without a sanitizer
 * report, saying so in its log. */
static void dmn_stop(struct dmn *d)
{
	uint64_t t0;
	char st[64];
	char *log;

	REQ(d->r.p.pid > 0, "no daemon to stop");
	t0 = mono_ms();
	kill(d->r.p.pid, SIGTERM);
	if (proc_wait(&d->r.p, STOP_WAIT_MS) < 0) {
		proc_stop(&d->r.p, SIGKILL, 1000);
		log = dmn_log(d);
		REQ(0, "the daemon did not exit within %d ms of SIGTERM; its log:\n%s", STOP_WAIT_MS,
		    log);
	}
	d->stop_ms = mono_ms() - t0;
	run_collect(&d->r); /* no sanitizer report */
	REQ(proc_exit_code(&d->r.p) == 0, "daemon after SIGTERM: %s, want exit 0; its log:\n%s",
	    proc_status_str(&d->r.p, st, sizeof(st)), d->r.err);
	REQ(d->stop_ms < STOP_MS, "the daemon took %llu ms from SIGTERM to exit (at most %d); log:\n%s",
	    (unsigned long long)d->stop_ms, STOP_MS, d->r.err);
	REQ(strstr(d->r.err, "SIGTERM: stopping") && strstr(d->r.err, "info: stopped"),
	    "the daemon's log does not say it stopped:\n%s", d->r.err);
}

static void dmn_free(struct dmn *d)
{
	run_free(&d->r);
}

/* ---- a raw control client ---- */

struct cc {
	int fd;
	char *buf;
	size_t len, cap;
};

static void cc_open(struct dmn *d, struct cc *c)
{
	memset(c, 0, sizeof(*c));
	c->fd = hc_connect(d->ctl);
	DREQ(d, c->fd >= 0, "cannot connect to the control socket %s: %s", d->ctl, strerror(errno));
}

static void cc_close(struct cc *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->buf);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

/* Send text (and a newline when nl); 0, or -1 when the daemon is gone. */
static int cc_send_raw(struct cc *c, const char *text, size_t len, bool nl)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = send(c->fd, text + off, len - off, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		off += (size_t)n;
	}
	return nl && send(c->fd, "\n", 1, MSG_NOSIGNAL) != 1 ? -1 : 0;
}

/* Send text and a newline: the daemon must take it. */
static void cc_send(struct dmn *d, struct cc *c, const char *text)
{
	DREQ(d, cc_send_raw(c, text, strlen(text), true) == 0, "cannot send %s", text);
}

/* One line (malloc'd, no newline) within ms: 1; 0 on a timeout; -1 when the
 * daemon closed the connection (or reset it). */
static int cc_line(struct cc *c, int ms, char **line)
{
	uint64_t end = mono_ms() + (uint64_t)ms;

	*line = NULL;
	for (;;) {
		char *nl = c->buf ? memchr(c->buf, '\n', c->len) : NULL;
		struct pollfd pfd = { c->fd, POLLIN, 0 };
		uint64_t t;
		ssize_t n;

		if (nl) {
			size_t used = (size_t)(nl - c->buf) + 1;

			*line = strndup(c->buf, used - 1);
			memmove(c->buf, c->buf + used, c->len - used);
			c->len -= used;
			return 1;
		}
		t = mono_ms();
		if (t >= end)
			return 0;
		if (poll(&pfd, 1, (int)(end - t)) <= 0)
			continue;
		if (c->len + 65536 > c->cap) {
			c->cap = c->len + 65536 * 2;
			c->buf = realloc(c->buf, c->cap);
			REQ(c->buf != NULL, "out of memory");
		}
		n = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		c->len += (size_t)n;
	}
}

/* The next line: it must come within ms and be one JSON object (a new
 * reference). */
static struct json_object *cc_reply(struct dmn *d, struct cc *c, int ms, const char *what)
{
	struct json_object *o;
	char *line;
	int rc = cc_line(c, ms, &line);

	DREQ(d, rc == 1, "%s: %s", what,
	     rc == 0 ? "no reply within the time" : "the daemon closed the connection");
	o = json_tokener_parse(line);
	DREQ(d, o && json_object_is_type(o, json_type_object), "%s: the reply is not a JSON object: %s",
	     what, line);
	free(line);
	return o;
}

/* Send req, read the final reply (events before it are skipped). */
static struct json_object *cc_call(struct dmn *d, struct cc *c, const char *req)
{
	cc_send(d, c, req);
	for (;;) {
		struct json_object *o = cc_reply(d, c, REPLY_MS, req);

		if (!jsonl_get(o, "event"))
			return o;
		json_object_put(o);
	}
}

/* {"cmd":"status"} on its own connection: ok. */
static struct json_object *dmn_status(struct dmn *d)
{
	struct json_object *o;
	struct cc c;

	cc_open(d, &c);
	o = cc_call(d, &c, "{\"cmd\":\"status\"}");
	cc_close(&c);
	DREQ(d, jbool(o, "ok"), "status: %s", jtext(o));
	return o;
}

static int64_t status_int(struct dmn *d, const char *key)
{
	struct json_object *o = dmn_status(d);
	int64_t v = jint(o, key);

	json_object_put(o);
	return v;
}

/* ---- the CLI ---- */

/* meshprov ARGS... (NULL-terminated), started, not waited for. */
static void cli_spawn(struct run *r, ...) __attribute__((sentinel));
static void cli_spawn(struct run *r, ...)
{
	const char *args[40];
	va_list ap;
	int n = 0;

	va_start(ap, r);
	for (const char *s; (s = va_arg(ap, const char *)) != NULL;) {
		if (n >= (int)ARRAY_SIZE(args) - 1) {
			va_end(ap);
			REQ(0, "too many meshprov arguments");
		}
		args[n++] = s;
	}
	va_end(ap);
	args[n] = NULL;
	run_spawn(r, NULL, args);
}

/* meshprov ARGS... (NULL-terminated), waited for. */
#define cli_run(r, ...)                      \
	do {                                 \
		cli_spawn((r), __VA_ARGS__); \
		run_wait(r);                 \
	} while (0)

/* scan --json output: JSON lines, one device each (an array of n). */
static int scan_lines(const struct run *r, struct json_object ***v)
{
	char err[300];
	int n = jsonl_parse(r->p.out, v, err, sizeof(err));

	REQ(n >= 0, "scan --json output is not JSON lines (%s): %s", err, run_desc(r));
	return n;
}

static struct json_object *find_uuid(struct json_object **v, int n, const char *uuid)
{
	for (int i = 0; i < n; i++) {
		struct json_object *u = jsonl_get(v[i], "uuid");

		if (u && json_object_is_type(u, json_type_string) &&
		    hex_eq(json_object_get_string(u), uuid))
			return v[i];
	}
	return NULL;
}

/* a and b have the same keys, with values of the same types. */
static void same_shape(struct json_object *a, struct json_object *b, const char *what)
{
	json_object_object_foreach(a, key, va) {
		struct json_object *vb;

		REQ(json_object_object_get_ex(b, key, &vb), "%s: \"%s\" in %s but not in %s", what,
		    key, jtext(a), jtext(b));
		REQ(json_object_get_type(va) == json_object_get_type(vb),
		    "%s: \"%s\" has different types in %s and %s", what, key, jtext(a), jtext(b));
	}
	json_object_object_foreach(b, key2, vb2) {
		(void)vb2;
		REQ(json_object_object_get_ex(a, key2, NULL), "%s: \"%s\" in %s but not in %s", what,
		    key2, jtext(b), jtext(a));
	}
}

/* ---- the database ---- */

/* The provisioned nodes in db (all but meshprov's own, at MESHPROV_ADDR). */
static int db_nodes(struct json_object *db)
{
	struct json_object *nodes = jget(db, "nodes", json_type_array);
	int n = 0;

	for (size_t i = 0; i < json_object_array_length(nodes); i++)
		if (strcmp(jstr(json_object_array_get_idx(nodes, i), "unicastAddress"), "0001"))
			n++;
	return n;
}

static const char *db_app_key(struct json_object *db)
{
	struct json_object *keys = jget(db, "appKeys", json_type_array);

	REQ(json_object_array_length(keys) > 0, "the database has no AppKey");
	return jstr(json_object_array_get_idx(keys, 0), "key");
}

/* ---- 1. automatic provisioning ---- */

/* The most links the devices had open at once, from their report. */
static int max_open_links(const struct vair *a)
{
	struct json_object **v;
	char *text = report_text(a), err[300];
	int n = jsonl_parse(text, &v, err, sizeof(err)), open = 0, most = 0;

	REQ(n >= 0, "the device report is not JSON lines (%s):\n%s", err, text);
	for (int i = 0; i < n; i++) {
		const char *e = jstr(v[i], "event");

		if (!strcmp(e, "link_open") && ++open > most)
			most = open;
		else if (!strcmp(e, "link_closed"))
			open--;
	}
	jsonl_free(v, n);
	free(text);
	return most;
}

/* What the device saw last: provisioned at the node's address with the
 * node's device key, then meshprov's node (0x0001) added the network's
 * AppKey, read its Composition Data and confirmed its indication (a UUID
 * version 1 device binds and subscribes its models itself). */
static void check_device_holds(const struct vair *a, const char *uuid, int unicast,
			       const char *devkey, const char *appkey)
{
	struct json_object *ev;

	ev = report_wait(a, uuid, "provisioned", 1);
	REQ(jint(ev, "unicast") == unicast, "device %s got unicast 0x%04llx, the daemon says 0x%04x",
	    uuid, (long long)jint(ev, "unicast"), unicast);
	REQ(hex_eq(jstr(ev, "device_key"), devkey), "device %s has device key %s, the database %s",
	    uuid, jstr(ev, "device_key"), devkey);
	json_object_put(ev);
	ev = report_wait_ms(a, uuid, "config", "appkey_add", 1, E2E_REPORT_MS);
	REQ(jint(ev, "status") == 0 && jint(ev, "src") == MESHPROV_ADDR && !jsonl_get(ev, "send_error"),
	    "AppKey Add on %s: %s", uuid, jtext(ev));
	REQ(hex_eq(jstr(ev, "app_key"), appkey) && jint(ev, "app_index") == 0,
	    "device %s stored AppKey %s, the database has %s", uuid, jstr(ev, "app_key"), appkey);
	json_object_put(ev);
	ev = report_wait_ms(a, uuid, "config", "composition_get", 1, E2E_REPORT_MS);
	REQ(jint(ev, "status") == 0 && jint(ev, "src") == MESHPROV_ADDR,
	    "Composition Data Get on %s: %s", uuid, jtext(ev));
	json_object_put(ev);
	ev = report_wait(a, uuid, "self_config", 1);
	REQ(jint(ev, "status") == 0, "self_config of %s: %s", uuid, jtext(ev));
	json_object_put(ev);
	ev = report_wait(a, uuid, "indication_confirmed", 1);
	REQ(jint(ev, "src") == MESHPROV_ADDR, "the indication of %s was confirmed by %lld", uuid,
	    (long long)jint(ev, "src"));
	json_object_put(ev);
}

/* The same, and all of it on one link, provisioned once, no failure, no
 * fallback. */
static void check_device_configured(const struct vair *a, const char *uuid, int unicast,
				    const char *devkey, const char *appkey)
{
	check_device_holds(a, uuid, unicast, devkey, appkey);
	REQ(report_scan(a, uuid, "link_open", NULL, NULL) == 1, "device %s took %d links", uuid,
	    report_scan(a, uuid, "link_open", NULL, NULL));
	REQ(report_scan(a, uuid, "provisioned", NULL, NULL) == 1, "device %s provisioned %d times",
	    uuid, report_scan(a, uuid, "provisioned", NULL, NULL));
	REQ(report_scan(a, uuid, "failed", NULL, NULL) == 0, "device %s reported a failure", uuid);
	REQ(report_scan(a, uuid, "fallback", NULL, NULL) == 0, "device %s fell back", uuid);
}

START_TEST(test_auto_provision)
{
	static const char *const devs[] = { ALI_A_SPEC, ALI_B_SPEC, ALI_C_SPEC, NULL };
	static const char *const uuids[] = { ALI_A_UUID, ALI_B_UUID, ALI_C_UUID };
	static const char *const opts[] = { "--max-sessions", "2", NULL };
	char devkeys[3][33], line[160], dir2[PATH_MAX];
	int unicast[3] = { 0 }, configured = 0;
	struct json_object *db;
	struct vair a, a2;
	struct dmn d;
	struct cc c;
	uint64_t end;

	air_start(&a, e2e_dir, devs);
	dmn_paths(&d);
	write_file(d.creds, 0600, "# the lights of the living room\n" CRED_A "\n" CRED_B CRED_C);
	/* in directories that do not exist yet, as /var/lib/meshprov and
	 * /run/meshprov on a machine where the daemon runs in the foreground */
	snprintf(e2e_db, sizeof(e2e_db), "%s/state/network.json", e2e_dir);
	snprintf(d.ctl, sizeof(d.ctl), "%s/run/ctl", e2e_dir);
	dmn_start(&d, a.hci, NULL, opts);
	{
		struct stat st;
		char dir[PATH_MAX];

		snprintf(dir, sizeof(dir), "%s/state", e2e_dir);
		REQ(stat(dir, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 0777) == 0700,
		    "the daemon did not make %s mode 0700", dir);
		snprintf(dir, sizeof(dir), "%s/run", e2e_dir);
		REQ(stat(dir, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 0777) == 0755,
		    "the daemon did not make %s mode 0755", dir);
	}

	/* until the three are nodes, configured; never more than 2 sessions */
	cc_open(&d, &c);
	end = mono_ms() + AUTO_MS;
	for (;;) {
		struct json_object *st = cc_call(&d, &c, "{\"cmd\":\"status\"}");
		struct json_object *o = cc_call(&d, &c, "{\"cmd\":\"nodes\"}"), *nodes;

		DREQ(&d, jbool(st, "ok") && jint(st, "max_sessions") == 2 && jint(st, "sessions") <= 2,
		     "status: %s", jtext(st));
		DREQ(&d, jbool(st, "auto_provision") && jint(st, "credentials") == 3, "status: %s",
		     jtext(st));
		json_object_put(st);
		DREQ(&d, jbool(o, "ok"), "nodes: %s", jtext(o));
		nodes = jget(o, "nodes", json_type_array);
		configured = 0;
		for (size_t i = 0; i < json_object_array_length(nodes); i++) {
			struct json_object *nd = json_object_array_get_idx(nodes, i);
			int k = 0;

			while (k < 3 && !hex_eq(jstr(nd, "uuid"), uuids[k]))
				k++;
			DREQ(&d, k < 3, "a node the daemon should not have: %s", jtext(nd));
			unicast[k] = (int)jint(nd, "unicast");
			configured += jbool(nd, "configured");
		}
		json_object_put(o);
		if (configured == 3)
			break;
		DREQ(&d, mono_ms() < end, "%d of 3 nodes configured after %d ms", configured, AUTO_MS);
		sleep_ms(200);
	}
	cc_close(&c);
	for (int k = 0; k < 3; k++) {
		snprintf(line, sizeof(line), "%s provisioned at 0x%04x and configured", uuids[k],
			 unicast[k]);
		log_wait(&d, line, 1, 2000);
		for (int j = 0; j < k; j++)
			REQ(unicast[j] != unicast[k], "two nodes at 0x%04x", unicast[k]);
		REQ(unicast[k] >= 0x0011 && unicast[k] <= 0x0013, "node %s at 0x%04x", uuids[k],
		    unicast[k]);
	}
	REQ(max_open_links(&a) <= 2, "%d links were open at once with --max-sessions 2:\n%s",
	    max_open_links(&a), report_text(&a));

	/* more beacons (none from a node): nothing happens twice */
	sleep_ms(1000);
	REQ(status_int(&d, "nodes") == 3, "status counts %lld nodes",
	    (long long)status_int(&d, "nodes"));
	REQ(status_int(&d, "sessions") == 0, "sessions still open");
	for (int k = 0; k < 3; k++) {
		snprintf(line, sizeof(line), "info: provisioning %s", uuids[k]);
		REQ(log_count(&d, line) == 1, "\"%s\" %d times in the log", line, log_count(&d, line));
	}
	dmn_stop(&d);
	REQ(!strstr(d.r.err, " failed: ") && !strstr(d.r.err, "giving up"),
	    "a failed attempt in the daemon's log:\n%s", d.r.err);

	/* the database, flushed: the three nodes with their keys */
	db = db_load();
	REQ(db_nodes(db) == 3, "%d nodes in the database, want 3", db_nodes(db));
	for (int k = 0; k < 3; k++) {
		struct json_object *nd = db_node(db, uuids[k]), *ak;
		char addr[8];

		REQ(nd != NULL, "node %s is not in the database", uuids[k]);
		snprintf(addr, sizeof(addr), "%04X", unicast[k]);
		REQ(!strcmp(jstr(nd, "unicastAddress"), addr), "database: %s at %s, want %s", uuids[k],
		    jstr(nd, "unicastAddress"), addr);
		snprintf(devkeys[k], sizeof(devkeys[k]), "%s", jstr(nd, "deviceKey"));
		REQ(strlen(devkeys[k]) == 32, "database deviceKey of %s: %s", uuids[k], devkeys[k]);
		REQ(jbool(nd, "configComplete"), "the database does not mark %s configured", uuids[k]);
		ak = jget(nd, "appKeys", json_type_array);
		REQ(json_object_array_length(ak) == 1 &&
			    jint(json_object_array_get_idx(ak, 0), "index") == 0,
		    "node %s appKeys: %s", uuids[k], jtext(ak));
		check_device_configured(&a, uuids[k], unicast[k], devkeys[k], db_app_key(db));
	}
	json_object_put(db);
	air_stop(&a);

	/* The same devices unprovisioned again (a new air: they beacon) and the
	 * same database: a node is never provisioned again. */
	snprintf(dir2, sizeof(dir2), "%s/air2", e2e_dir);
	REQ(mkdir(dir2, 0700) == 0, "mkdir %s: %s", dir2, strerror(errno));
	air_start(&a2, dir2, devs);
	dmn_free(&d);
	dmn_start(&d, a2.hci, NULL, opts);
	end = mono_ms() + 5000;
	while (status_int(&d, "devices") < 3) {
		DREQ(&d, mono_ms() < end, "the daemon does not hear the 3 beaconing devices");
		sleep_ms(50);
	}
	sleep_ms(1500); /* ~15 beacons each */
	DREQ(&d, log_count(&d, "info: provisioning ") == 0, "the daemon provisions a node again");
	for (int k = 0; k < 3; k++)
		REQ(report_scan(&a2, uuids[k], "link_open", NULL, NULL) == 0,
		    "a link to %s, which is a node:\n%s", uuids[k], report_text(&a2));
	REQ(status_int(&d, "sessions") == 0, "a session for a node");
	dmn_stop(&d);
	db = db_load();
	REQ(db_nodes(db) == 3, "%d nodes in the database after the restart", db_nodes(db));
	for (int k = 0; k < 3; k++) {
		struct json_object *nd = db_node(db, uuids[k]);

		REQ(nd && hex_eq(jstr(nd, "deviceKey"), devkeys[k]), "node %s changed after the restart",
		    uuids[k]);
	}
	json_object_put(db);
	dmn_free(&d);
	air_stop(&a2);
}
END_TEST

/* ---- 2. the CLI through the control socket ---- */

#define BOGUS_HCI "unix:/nonexistent/air.sock"
#define BOGUS_DB "/nonexistent/network.json"

START_TEST(test_cli_through_daemon)
{
	static const char *const devs[] = { ALI_A_SPEC, ALI_B_SPEC, ALI_C_SPEC, NULL };
	static const char *const opts[] = { "--no-auto-provision", NULL };
	struct json_object **vd, **vn, *o, *e;
	char direct_db[PATH_MAX], want[200];
	struct run rd, rn, rp, rq;
	char *text_nodes, *json_nodes;
	struct vair a;
	struct dmn d;
	int nd, nn;

	snprintf(direct_db, sizeof(direct_db), "%s/direct.json", e2e_dir);
	air_start(&a, e2e_dir, devs);
	dmn_paths(&d);
	write_file(d.creds, 0600, CRED_A CRED_B CRED_C);
	dmn_start(&d, a.hci, NULL, opts);

	/* scan: through the daemon (a controller that does not exist: it must
	 * not be opened) and directly on the same air, at the same time */
	cli_spawn(&rd, "--control", d.ctl, "--hci", BOGUS_HCI, "scan", "--timeout", "2", "--json",
		  (const char *)NULL);
	cli_spawn(&rn, "--no-daemon", "--hci", a.hci, "scan", "--timeout", "2", "--json",
		  (const char *)NULL);
	run_wait(&rd);
	run_wait(&rn);
	expect_exit(&rd, 0);
	expect_exit(&rn, 0);
	nd = scan_lines(&rd, &vd);
	nn = scan_lines(&rn, &vn);
	REQ(nd == 3 && nn == 3, "scan through the daemon: %d devices, directly: %d; want 3:\n%s\n%s",
	    nd, nn, rd.p.out, rn.p.out);
	for (int i = 0; i < nn; i++) {
		struct json_object *x = find_uuid(vd, nd, jstr(vn[i], "uuid"));

		REQ(x != NULL, "scan through the daemon misses %s:\n%s", jstr(vn[i], "uuid"), rd.p.out);
		same_shape(x, vn[i], "scan --json through the daemon and directly");
		same_shape(jget(x, "aligenie", json_type_object), jget(vn[i], "aligenie", json_type_object),
			   "scan --json aligenie through the daemon and directly");
		/* all but the RSSI is the same */
		json_object_object_foreach(vn[i], key, val) {
			if (strcmp(key, "rssi"))
				REQ(json_object_equal(val, jsonl_get(x, key)),
				    "scan \"%s\": %s through the daemon, %s directly", key,
				    jtext(jsonl_get(x, key)), jtext(val));
		}
	}
	jsonl_free(vd, nd);
	jsonl_free(vn, nn);
	run_free(&rd);
	run_free(&rn);
	REQ(report_scan(&a, ALI_A_UUID, "link_open", NULL, NULL) == 0,
	    "the daemon opened a link with --no-auto-provision");

	/* provision: A through the daemon (neither its controller nor its
	 * database are the CLI's), B directly into a database of its own */
	cli_spawn(&rp, "--control", d.ctl, "--hci", BOGUS_HCI, "--db", BOGUS_DB, "provision",
		  "--uuid", ALI_A_UUID, "--secret", ALI_A_SECRET, "--json", (const char *)NULL);
	cli_spawn(&rq, "--no-daemon", "--hci", a.hci, "--db", direct_db, "provision", "--uuid",
		  ALI_B_UUID, "--secret", ALI_B_SECRET, "--json", (const char *)NULL);
	run_wait(&rp);
	run_wait(&rq);
	expect_exit(&rp, 0);
	expect_exit(&rq, 0);
	o = run_json(&rp);
	same_shape(o, run_json(&rq), "provision --json through the daemon and directly");
	REQ(hex_eq(jstr(o, "uuid"), ALI_A_UUID) && jint(o, "unicast") == 0x0011 &&
		    jint(o, "elements") == 1 && jbool(o, "configured") &&
		    !strcmp(jstr(o, "auth"), "static-oob"),
	    "provision --json through the daemon: %s", run_desc(&rp));
	e = report_wait(&a, ALI_A_UUID, "provisioned", 1);
	REQ(hex_eq(jstr(e, "device_key"), jstr(o, "device_key")),
	    "the device has device key %s, the CLI printed %s", jstr(e, "device_key"),
	    jstr(o, "device_key"));
	json_object_put(e);
	snprintf(want, sizeof(want), ALI_A_UUID " provisioned at 0x0011 on request");
	log_wait(&d, want, 1, 2000);
	run_free(&rp);
	run_free(&rq);
	REQ(access(BOGUS_DB, F_OK) != 0, "the CLI wrote " BOGUS_DB);

	/* a node state through the daemon: set, then the Get answers it */
	cli_run(&rp, "--control", d.ctl, "--db", BOGUS_DB, "config", "0x0011", "ttl", "7", "--json",
		(const char *)NULL);
	expect_exit(&rp, 0);
	REQ(rp.json && jbool(rp.json, "ok") && jint(rp.json, "ttl") == 7 &&
		    !strcmp(jstr(rp.json, "command"), "ttl"),
	    "config ttl 7 through the daemon: %s", run_desc(&rp));
	run_free(&rp);
	cli_run(&rp, "--control", d.ctl, "--db", BOGUS_DB, "config", "0x0011", "ttl", (const char *)NULL);
	expect_exit(&rp, 0);
	REQ(!strcmp(rp.p.out, "ttl 0x0011: default TTL 7\n"), "config ttl through the daemon: %s",
	    run_desc(&rp));
	run_free(&rp);
	e = report_wait_ms(&a, ALI_A_UUID, "config", "state_set", 1, E2E_REPORT_MS);
	REQ(jint(e, "value") == 7, "the device's state_set: %s", jtext(e));
	json_object_put(e);
	/* the light has no relay feature: the node's answer is the failure */
	cli_run(&rp, "--control", d.ctl, "--db", BOGUS_DB, "config", "0x0011", "relay", "on",
		(const char *)NULL);
	expect_exit(&rp, 1);
	REQ(!strcmp(rp.err, "meshprov: relay 0x0011: relay not supported\n"),
	    "config relay on through the daemon: %s", run_desc(&rp));
	run_free(&rp);
	cli_run(&rp, "--control", d.ctl, "--db", BOGUS_DB, "config", "0x0011", "ttl", "1",
		(const char *)NULL);
	expect_exit(&rp, 2);
	REQ(strstr(rp.err, "VALUE: expected a TTL 0 or 2-127, got '1'"), "config ttl 1 through the daemon: %s",
	    run_desc(&rp));
	run_free(&rp);

	/* nodes, nodes --json through the daemon */
	cli_run(&rp, "--control", d.ctl, "--db", BOGUS_DB, "nodes", (const char *)NULL);
	expect_exit(&rp, 0);
	REQ(strstr(rp.p.out, ALI_A_UUID) && strstr(rp.p.out, "0x0011"), "nodes: %s", run_desc(&rp));
	text_nodes = strdup(rp.p.out);
	run_free(&rp);
	cli_run(&rp, "--control", d.ctl, "--db", BOGUS_DB, "nodes", "--json",
		(const char *)NULL);
	expect_exit(&rp, 0);
	REQ(rp.json && json_object_is_type(rp.json, json_type_array) &&
		    json_object_array_length(rp.json) == 1,
	    "nodes --json through the daemon: %s", run_desc(&rp));
	o = json_object_array_get_idx(rp.json, 0);
	REQ(hex_eq(jstr(o, "uuid"), ALI_A_UUID) && jint(o, "unicast") == 0x0011 &&
		    jbool(o, "configured") && !jsonl_get(o, "device_key"),
	    "nodes --json through the daemon: %s", rp.p.out);
	json_nodes = strdup(rp.p.out);
	run_free(&rp);

	/* the same output as directly, once the daemon has let go of the database */
	dmn_stop(&d);
	dmn_free(&d);
	o = db_load();
	e = db_node(o, ALI_A_UUID);
	REQ(e && jint(e, "defaultTTL") == 7 && jint(e, "features.relay") == 2,
	    "the node's states through the daemon are not recorded: %s", jtext(e));
	json_object_put(o);
	cli_run(&rp, "--no-daemon", "--control", d.ctl, "--db", e2e_db, "nodes",
		(const char *)NULL);
	expect_exit(&rp, 0);
	REQ(!strcmp(rp.p.out, text_nodes), "nodes: through the daemon:\n%s\ndirectly:\n%s",
	    text_nodes, rp.p.out);
	run_free(&rp);
	cli_run(&rp, "--no-daemon", "--db", e2e_db, "nodes", "--json",
		(const char *)NULL);
	expect_exit(&rp, 0);
	REQ(!strcmp(rp.p.out, json_nodes), "nodes --json: through the daemon:\n%s\ndirectly:\n%s",
	    json_nodes, rp.p.out);
	run_free(&rp);
	free(text_nodes);
	free(json_nodes);

	/* nodes remove through the daemon, as directly */
	dmn_start(&d, a.hci, NULL, opts);
	cli_run(&rp, "--control", d.ctl, "--db", BOGUS_DB, "nodes", "remove", ALI_A_UUID,
		(const char *)NULL);
	cli_run(&rq, "--no-daemon", "--db", direct_db, "nodes", "remove", ALI_B_UUID,
		(const char *)NULL);
	expect_exit(&rp, 0);
	expect_exit(&rq, 0);
	snprintf(want, sizeof(want), "removed %s (0x0011)\n", ALI_A_UUID);
	REQ(!strcmp(rp.p.out, want), "nodes remove through the daemon: %s", run_desc(&rp));
	snprintf(want, sizeof(want), "removed %s (0x0011)\n", ALI_B_UUID);
	REQ(!strcmp(rq.p.out, want), "nodes remove directly: %s", run_desc(&rq));
	run_free(&rp);
	run_free(&rq);
	cli_run(&rp, "--control", d.ctl, "nodes", "--json", (const char *)NULL);
	expect_exit(&rp, 0);
	REQ(rp.json && json_object_is_type(rp.json, json_type_array) &&
		    json_object_array_length(rp.json) == 0,
	    "nodes --json after the removal: %s", run_desc(&rp));
	run_free(&rp);
	cli_run(&rp, "--control", d.ctl, "nodes", "remove", ALI_A_UUID,
		(const char *)NULL);
	expect_exit(&rp, 1);
	REQ(strstr(rp.err, "no node"), "removing a removed node: %s", run_desc(&rp));
	run_free(&rp);
	o = db_load();
	REQ(db_node(o, ALI_A_UUID) == NULL, "the removed node is still in the database");
	json_object_put(o);

	/* --no-daemon: the CLI's own controller, which does not exist */
	cli_run(&rp, "--control", d.ctl, "--no-daemon", "--hci", BOGUS_HCI, "scan",
		"--timeout", "1", (const char *)NULL);
	expect_exit(&rp, 1);
	REQ(strstr(rp.err, "/nonexistent/air.sock"), "--no-daemon scan: %s", run_desc(&rp));
	run_free(&rp);
	dmn_stop(&d);
	dmn_free(&d);
	air_stop(&a);
}
END_TEST

/* ---- 3. SIGTERM while provisioning ---- */

START_TEST(test_sigterm_mid_provisioning)
{
	static const char *const devs[] = { ALI_A_SPEC, ALI_B_SPEC, NULL };
	static const char *const uuids[] = { ALI_A_UUID, ALI_B_UUID };
	struct json_object *ev, *o;
	struct run rp, rn;
	struct vair a;
	struct dmn d;

	air_start(&a, e2e_dir, devs);
	dmn_paths(&d);
	/* A automatically, B on request */
	write_file(d.creds, 0600, CRED_A);
	dmn_start(&d, a.hci, NULL, NULL);
	cli_spawn(&rp, "--control", d.ctl, "provision", "--uuid", ALI_B_UUID, "--secret",
		  ALI_B_SECRET, "--json", (const char *)NULL);
	log_wait(&d, "info: provisioning " ALI_A_UUID, 1, 5000);
	json_object_put(report_wait(&a, ALI_A_UUID, "link_open", 1));
	json_object_put(report_wait(&a, ALI_B_UUID, "link_open", 1));
	REQ(report_scan(&a, ALI_A_UUID, "provisioned", NULL, NULL) == 0 &&
		    report_scan(&a, ALI_B_UUID, "provisioned", NULL, NULL) == 0,
	    "provisioning was over before SIGTERM: the test proves nothing");

	dmn_stop(&d);

	/* the request got its answer */
	run_wait(&rp);
	expect_exit(&rp, 1);
	o = run_json(&rp);
	REQ(hex_eq(jstr(o, "uuid"), ALI_B_UUID) && strstr(jstr(o, "error"), "stopping"),
	    "the CLI's provision through a stopping daemon: %s", run_desc(&rp));
	run_free(&rp);

	/* both links closed by the daemon (Link Close, reason Fail), nothing provisioned */
	for (int k = 0; k < 2; k++) {
		ev = report_wait(&a, uuids[k], "link_closed", 1);
		REQ(jbool(ev, "by_peer") && jint(ev, "reason") == 2,
		    "device %s: link closed %s, want by the daemon with reason 2 (Fail)", uuids[k],
		    jtext(ev));
		json_object_put(ev);
		REQ(report_scan(&a, uuids[k], "provisioned", NULL, NULL) == 0,
		    "device %s provisioned after SIGTERM", uuids[k]);
	}

	/* the database opens, without the unfinished nodes */
	cli_run(&rn, "--no-daemon", "--db", e2e_db, "nodes", "--json",
		(const char *)NULL);
	expect_exit(&rn, 0);
	REQ(rn.json && json_object_is_type(rn.json, json_type_array) &&
		    json_object_array_length(rn.json) == 0,
	    "nodes --json after the stop: %s", run_desc(&rn));
	run_free(&rn);
	o = db_load();
	REQ(db_nodes(o) == 0, "unfinished nodes in the database");
	json_object_put(o);
	dmn_free(&d);
	air_stop(&a);
}
END_TEST

/* ---- 4. SIGHUP ---- */

/* SIGHUP, then wait for the count-th line saying text. */
static void hup(struct dmn *d, const char *text, int count)
{
	kill(d->r.p.pid, SIGHUP);
	log_wait(d, text, count, 5000);
}

#define BAD_SECRET "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a"

START_TEST(test_sighup_reload)
{
	struct json_object *st;
	char want[PATH_MAX + 64];
	struct vair a;
	struct dmn d;
	char *log;

	air_start(&a, e2e_dir, NULL);
	dmn_paths(&d);
	write_file(d.creds, 0600, "uuid " ABSENT_UUID " no-oob\n");
	dmn_start(&d, a.hci, NULL, NULL);
	REQ(status_int(&d, "credentials") == 1, "status: not 1 credential");

	/* a bad line: rejected, naming FILE:LINE (and not the secret) */
	write_file(d.creds, 0600,
		   "uuid " ABSENT_UUID " no-oob\naligenie 602 zz:da:07:c1:1c:a8 " BAD_SECRET "\n");
	hup(&d, "reload failed, keeping the running configuration", 1);
	log = dmn_log(&d);
	snprintf(want, sizeof(want), "%s:2:", d.creds);
	DREQ(&d, strstr(strstr(log, "reload failed"), want), "the reload error does not name %s",
	     want);
	DREQ(&d, !strstr(log, BAD_SECRET), "the secret is in the log");
	free(log);
	st = dmn_status(&d);
	REQ(jint(st, "credentials") == 1 && jbool(st, "auto_provision") && jint(st, "max_sessions") == 2,
	    "status after a failed reload: %s", jtext(st));
	json_object_put(st);

	/* a good file of two */
	write_file(d.creds, 0600,
		   "uuid " ABSENT_UUID " no-oob\n"
		   "uuid 00112233-4455-6677-8899-aabbccddee02 static-oob 00112233445566778899aabbccddeeff\n");
	hup(&d, "reloaded:", 1);
	REQ(status_int(&d, "credentials") == 2, "status: not 2 credentials after the reload");

	/* readable by the group: rejected */
	write_file(d.creds, 0640, "uuid " ABSENT_UUID " no-oob\n");
	hup(&d, "reload failed, keeping the running configuration", 2);
	DREQ(&d, log_count(&d, "accessible by group or others") == 1,
	     "the reload error does not say the file is accessible by group or others");
	REQ(status_int(&d, "credentials") == 2, "status: the group-readable file was taken");

	/* the configuration file: a bad key is rejected, naming CONF:LINE */
	write_file(d.creds, 0600, "uuid " ABSENT_UUID " no-oob\n");
	write_file(d.conf, 0644, "# tuned\nmax_sessions = 3\nno_such_key = 1\n");
	hup(&d, "reload failed, keeping the running configuration", 3);
	snprintf(want, sizeof(want), "%s:3:", d.conf);
	DREQ(&d, log_count(&d, want) == 1, "the reload error does not name %s", want);
	st = dmn_status(&d);
	REQ(jint(st, "credentials") == 2 && jint(st, "max_sessions") == 2 && jbool(st, "auto_provision"),
	    "status after a failed reload: %s", jtext(st));
	json_object_put(st);
	/* and a good one takes effect */
	write_file(d.conf, 0644, "# tuned\nmax_sessions = 3\nauto_provision = no\n");
	hup(&d, "reloaded:", 2);
	st = dmn_status(&d);
	REQ(jint(st, "credentials") == 1 && jint(st, "max_sessions") == 3 && !jbool(st, "auto_provision"),
	    "status after the reload: %s", jtext(st));
	json_object_put(st);
	dmn_stop(&d);
	dmn_free(&d);
	air_stop(&a);
}
END_TEST

/* A broken configuration file as the daemon's very first reload (nothing
 * reloaded before it): rejected, naming CONF:LINE; the daemon keeps running
 * with what it had, answers status with the old settings and provisions. */
static const char *const broken_conf_lines[] = {
	"bogus_key = 1",
	"log_level = loud",
	"max_sessions = 99",
};

START_TEST(test_sighup_broken_conf_first)
{
	static const char *const devs[] = { ALI_A_SPEC, NULL };
	const char *line = broken_conf_lines[_i];
	char text[256], want[PATH_MAX + 16];
	struct json_object *st, *o;
	struct vair a;
	struct dmn d;
	struct run r;

	air_start(&a, e2e_dir, devs);
	dmn_paths(&d);
	write_file(d.conf, 0644, "# the running settings\nmax_sessions = 3\nauto_provision = no\n");
	write_file(d.creds, 0600, CRED_A);
	dmn_start(&d, a.hci, NULL, NULL);

	snprintf(text, sizeof(text), "# broken\nmax_sessions = 2\n%s\n", line);
	write_file(d.conf, 0644, text);
	hup(&d, "reload failed, keeping the running configuration", 1);
	DREQ(&d, dmn_alive(&d), "the daemon died on SIGHUP with '%s' in its configuration", line);
	snprintf(want, sizeof(want), "%s:3:", d.conf);
	DREQ(&d, log_count(&d, want) == 1, "the reload error (for '%s') does not name %s", line,
	     want);
	st = dmn_status(&d);
	DREQ(&d, jint(st, "max_sessions") == 3 && !jbool(st, "auto_provision") &&
		     jint(st, "credentials") == 1,
	     "status after the failed reload (%s): %s", line, jtext(st));
	json_object_put(st);
	DREQ(&d, log_count(&d, "info: provisioning ") == 0,
	     "the daemon provisions on its own with auto_provision = no");

	/* and it still provisions, on request */
	cli_run(&r, "--control", d.ctl, "--hci", BOGUS_HCI, "--db", BOGUS_DB, "provision", "--uuid",
		ALI_A_UUID, "--secret", ALI_A_SECRET, "--json", (const char *)NULL);
	expect_exit(&r, 0);
	o = run_json(&r);
	DREQ(&d, hex_eq(jstr(o, "uuid"), ALI_A_UUID) && jint(o, "unicast") == 0x0011 &&
		     jbool(o, "configured"),
	     "provision through the daemon after the failed reload: %s", run_desc(&r));
	run_free(&r);
	REQ(status_int(&d, "nodes") == 1, "status: not 1 node after provisioning");
	/* a refusal of the daemon is one JSON object too, with --json */
	cli_run(&r, "--control", d.ctl, "--hci", BOGUS_HCI, "--db", BOGUS_DB, "provision", "--uuid",
		ALI_A_UUID, "--secret", ALI_A_SECRET, "--json", (const char *)NULL);
	expect_exit(&r, 1);
	o = run_json(&r);
	DREQ(&d, o && hex_eq(jstr(o, "uuid"), ALI_A_UUID) && strstr(jstr(o, "error"), "already a node"),
	     "provision of a node through the daemon, --json: %s", run_desc(&r));
	run_free(&r);
	dmn_stop(&d);
	dmn_free(&d);
	air_stop(&a);
}
END_TEST

/* Every failed attempt is logged with its reason: a device that closes the
 * link (here with reason Success, before any data) and one that answers
 * Provisioning Start with Provisioning Failed. */
#define CLOSER_UUID "00112233445566778899aabbccddee0c"
#define FAILER_UUID "00112233445566778899aabbccddee0d"

START_TEST(test_attempt_reasons)
{
	static const char *const devs[] = {
		"uuid:" CLOSER_UUID ",close-at=start:0",
		"uuid:" FAILER_UUID ",fail-at=start:5",
		NULL,
	};
	struct vair a;
	struct dmn d;

	air_start(&a, e2e_dir, devs);
	dmn_paths(&d);
	write_file(d.conf, 0644, "max_attempts = 2\nretry_delay = 1\n");
	write_file(d.creds, 0600, "uuid " CLOSER_UUID " no-oob\nuuid " FAILER_UUID " no-oob\n");
	dmn_start(&d, a.hci, NULL, NULL);
	log_wait(&d, CLOSER_UUID ": attempt 1 of 2 failed: device closed the link (Success, 0x00) "
		     "after Provisioning Start; next in 1 s", 1, 10000);
	log_wait(&d, FAILER_UUID ": attempt 1 of 2 failed: device sent Provisioning Failed (Out of "
		     "Resources, 0x05) in answer to Provisioning Start; next in 1 s", 1, 10000);
	log_wait(&d, "giving up on " CLOSER_UUID " after 2 attempts: device closed the link "
		     "(Success, 0x00) after Provisioning Start", 1, 10000);
	DREQ(&d, log_count(&d, "failed: ;") == 0 && log_count(&d, "attempts: \n") == 0,
	     "a failure without a reason");
	dmn_stop(&d);
	dmn_free(&d);
	air_stop(&a);
}
END_TEST

/* ---- 5. malformed control requests ---- */

/* req gets {"ok":false,"error":...} and the connection still answers status. */
static void bad_request(struct dmn *d, struct cc *c, const char *req, const char *says)
{
	struct json_object *o = cc_call(d, c, req), *st;

	DREQ(d, !jbool(o, "ok") && strlen(jstr(o, "error")) > 0,
	     "request %s: want {\"ok\":false,\"error\":...}, got %s", req, jtext(o));
	if (says)
		DREQ(d, strstr(jstr(o, "error"), says), "request %s: the error does not say \"%s\": %s",
		     req, says, jtext(o));
	json_object_put(o);
	st = cc_call(d, c, "{\"cmd\":\"status\"}");
	DREQ(d, jbool(st, "ok"), "status after %s: %s", req, jtext(st));
	json_object_put(st);
}

/* Connect, send text and close before the daemon can answer (it is stopped
 * meanwhile): whatever it sends goes to a closed socket. */
static void send_and_vanish(struct dmn *d, const char *text)
{
	struct cc c;

	kill(d->r.p.pid, SIGSTOP);
	c.fd = hc_connect(d->ctl);
	if (c.fd >= 0) {
		cc_send_raw(&c, text, strlen(text), false);
		close(c.fd);
	}
	kill(d->r.p.pid, SIGCONT);
	REQ(c.fd >= 0, "cannot connect to the stopped daemon's socket");
	sleep_ms(200);
	DREQ(d, dmn_alive(d), "the daemon died after a client sent %s and vanished", text);
}

START_TEST(test_control_malformed)
{
	static const char *const devs[] = { ALI_A_SPEC, NULL };
	static const char *const opts[] = { "--no-auto-provision", NULL };
	char *big, *line;
	struct json_object *o;
	struct vair a;
	struct dmn d;
	struct cc c;
	int rc;

	air_start(&a, e2e_dir, devs);
	dmn_paths(&d);
	write_file(d.creds, 0600, CRED_A);
	dmn_start(&d, a.hci, NULL, opts);

	cc_open(&d, &c);
	bad_request(&d, &c, "this is not JSON", NULL);
	bad_request(&d, &c, "{\"cmd\":\"status\"", NULL);
	bad_request(&d, &c, "[]", NULL);
	bad_request(&d, &c, "\"status\"", NULL);
	bad_request(&d, &c, "{\"cmd\":\"status\"} {\"cmd\":\"status\"}", NULL);
	bad_request(&d, &c, "{}", NULL);
	bad_request(&d, &c, "{\"cmd\":5}", NULL);
	bad_request(&d, &c, "{\"cmd\":null}", NULL);
	bad_request(&d, &c, "{\"cmd\":\"nope\"}", "nope");
	bad_request(&d, &c, "{\"cmd\":\"status\",\"x\":1}", NULL);
	bad_request(&d, &c, "{\"cmd\":\"nodes\",\"all\":true}", NULL);
	bad_request(&d, &c, "{\"cmd\":\"scan\",\"follow\":\"yes\"}", NULL);
	bad_request(&d, &c, "{\"cmd\":\"scan\",\"timeout\":\"soon\"}", NULL);
	bad_request(&d, &c, "{\"cmd\":\"scan\",\"follow\":true,\"timeout\":-1}", NULL);
	bad_request(&d, &c, "{\"cmd\":\"provision\"}", NULL);
	bad_request(&d, &c, "{\"cmd\":\"provision\",\"uuid\":\"zz\"}", NULL);
	bad_request(&d, &c, "{\"cmd\":\"provision\",\"uuid\":5}", NULL);
	bad_request(&d, &c, "{\"cmd\":\"provision\",\"uuid\":\"" ALI_A_UUID "\",\"wait\":\"soon\"}",
		    NULL);
	bad_request(&d, &c, "{\"cmd\":\"provision\",\"uuid\":\"" ALI_A_UUID "\",\"bogus\":1}", NULL);
	bad_request(&d, &c, "{\"cmd\":\"remove\"}", NULL);
	bad_request(&d, &c, "{\"cmd\":\"remove\",\"node\":17}", NULL);
	bad_request(&d, &c, "{\"cmd\":\"remove\",\"node\":\"nothing\"}", NULL);
	bad_request(&d, &c, "{\"cmd\":\"remove\",\"node\":\"0x0042\"}", NULL);
	/* a streaming request, then the next one on the same connection */
	cc_send(&d, &c, "{\"cmd\":\"scan\",\"follow\":true,\"timeout\":0.3}\n{\"cmd\":\"status\"}");
	for (;;) {
		o = cc_reply(&d, &c, REPLY_MS, "scan follow");
		if (!jsonl_get(o, "event"))
			break;
		DREQ(&d, !strcmp(jstr(o, "event"), "device") && hex_eq(jstr(o, "device.uuid"), ALI_A_UUID),
		     "scan follow event: %s", jtext(o));
		json_object_put(o);
	}
	DREQ(&d, jbool(o, "ok") && !jsonl_get(o, "version"), "scan follow's final reply: %s", jtext(o));
	json_object_put(o);
	o = cc_reply(&d, &c, REPLY_MS, "status after scan follow");
	DREQ(&d, jbool(o, "ok") && jsonl_get(o, "version"), "status after scan follow: %s", jtext(o));
	json_object_put(o);
	cc_close(&c);

	/* a line over the limit: an error, then the connection is closed */
	big = malloc(70001);
	REQ(big != NULL, "out of memory");
	memset(big, 'x', 70000);
	big[70000] = '\0';
	cc_open(&d, &c);
	cc_send_raw(&c, big, 70000, true); /* the daemon may close before it has it all */
	free(big);
	o = cc_reply(&d, &c, REPLY_MS, "a 70000-byte line");
	DREQ(&d, !jbool(o, "ok") && strlen(jstr(o, "error")) > 0, "a 70000-byte line: %s", jtext(o));
	json_object_put(o);
	rc = cc_line(&c, 3000, &line);
	DREQ(&d, rc == -1, "the connection stays open after a line over the limit (%s)",
	     rc == 1 ? line : "nothing more within 3 s");
	cc_close(&c);

	DREQ(&d, dmn_alive(&d), "the daemon died");
	dmn_stop(&d);
	dmn_free(&d);
	air_stop(&a);
}
END_TEST

/* ---- 5b. clients that vanish ---- */

/* A daemon (no automatic provisioning) on an air with device A. */
static void vanish_setup(struct vair *a, struct dmn *d)
{
	static const char *const devs[] = { ALI_A_SPEC, NULL };
	static const char *const opts[] = { "--no-auto-provision", NULL };

	air_start(a, e2e_dir, devs);
	dmn_paths(d);
	write_file(d->creds, 0600, CRED_A);
	dmn_start(d, a->hci, NULL, opts);
}

/* The daemon still serves others: status answers, no session is left, the
 * vanished clients' device is not a node; then it stops cleanly. */
static void vanish_finish(struct vair *a, struct dmn *d)
{
	struct json_object *o;
	uint64_t end = mono_ms() + 5000;

	while (status_int(d, "sessions") != 0) {
		DREQ(d, mono_ms() < end, "sessions of vanished clients still open after 5 s");
		sleep_ms(100);
	}
	o = dmn_status(d);
	DREQ(d, jint(o, "nodes") == 0, "a vanished client's device became a node: %s", jtext(o));
	json_object_put(o);
	DREQ(d, dmn_alive(d), "the daemon died");
	dmn_stop(d);
	dmn_free(d);
	air_stop(a);
}

#define PROVISION_A "{\"cmd\":\"provision\",\"uuid\":\"" ALI_A_UUID "\",\"secret\":\"" ALI_A_SECRET "\"}"

/* Half a request, then gone; a whole request, gone before its reply. */
START_TEST(test_client_vanishes)
{
	struct vair a;
	struct dmn d;

	vanish_setup(&a, &d);
	send_and_vanish(&d, "{\"cmd\":\"sta");
	send_and_vanish(&d, "{\"cmd\":\"status\"}\n");
	vanish_finish(&a, &d);
}
END_TEST

/* A provision request, gone before its first progress event. */
START_TEST(test_client_vanishes_after_provision)
{
	struct vair a;
	struct dmn d;

	vanish_setup(&a, &d);
	send_and_vanish(&d, PROVISION_A "\n");
	vanish_finish(&a, &d);
}
END_TEST

/* A provision request whose client leaves after the first progress event,
 * while the daemon waits for the device's beacon. */
START_TEST(test_client_leaves_provisioning)
{
	struct json_object *o;
	struct vair a;
	struct dmn d;
	struct cc c;

	vanish_setup(&a, &d);
	cc_open(&d, &c);
	cc_send(&d, &c, PROVISION_A);
	o = cc_reply(&d, &c, REPLY_MS, "provision");
	DREQ(&d, !strcmp(jstr(o, "event"), "progress"), "provision: %s", jtext(o));
	json_object_put(o);
	cc_close(&c);
	sleep_ms(300);
	DREQ(&d, dmn_alive(&d), "the daemon died after a provisioning client left");
	vanish_finish(&a, &d);
}
END_TEST

/* A request of exactly CTL_MAX_LINE (65536) bytes is allowed ("at most 65536
 * bytes a line"); one byte more is not. */
START_TEST(test_control_line_limit)
{
	static const char *const opts[] = { "--no-auto-provision", NULL };
	static const size_t sizes[] = { 65535, 65536, 65537 };
	struct json_object *o;
	struct vair a;
	struct dmn d;
	struct cc c;
	char *req, *line;

	air_start(&a, e2e_dir, NULL);
	dmn_paths(&d);
	write_file(d.creds, 0600, "");
	dmn_start(&d, a.hci, NULL, opts);
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		size_t n = sizes[i];
		int rc;

		/* {"cmd":"status" then blanks then } */
		req = malloc(n + 1);
		REQ(req != NULL, "out of memory");
		memset(req, ' ', n);
		memcpy(req, "{\"cmd\":\"status\"", 15);
		req[n - 1] = '}';
		req[n] = '\0';
		cc_open(&d, &c);
		cc_send_raw(&c, req, n, true);
		free(req);
		o = cc_reply(&d, &c, REPLY_MS, "a long status request");
		if (n <= 65536) {
			DREQ(&d, jbool(o, "ok") && jsonl_get(o, "version"),
			     "a status request of %zu bytes (the limit is 65536): %s", n, jtext(o));
			json_object_put(o);
			o = cc_call(&d, &c, "{\"cmd\":\"status\"}");
			DREQ(&d, jbool(o, "ok"), "status after a %zu-byte request: %s", n, jtext(o));
		} else {
			DREQ(&d, !jbool(o, "ok"), "a request of %zu bytes: %s", n, jtext(o));
			rc = cc_line(&c, 3000, &line);
			DREQ(&d, rc == -1, "the connection stays open after a %zu-byte line", n);
		}
		json_object_put(o);
		cc_close(&c);
	}
	dmn_stop(&d);
	dmn_free(&d);
	air_stop(&a);
}
END_TEST

/* ---- 6. the files' checks at start ---- */

START_TEST(test_credentials_mode_and_check)
{
	struct run r;
	struct dmn d;
	char want[PATH_MAX + 16];

	dmn_paths(&d);
	/* readable by the group: refused before anything is opened */
	write_file(d.creds, 0640, CRED_A);
	cli_run(&r, "--hci", BOGUS_HCI, "--db", e2e_db, "--control", d.ctl, "daemon", "--config",
		d.conf, "--credentials", d.creds, (const char *)NULL);
	expect_exit(&r, 1);
	REQ(strstr(r.err, d.creds) && strstr(r.err, "accessible by group or others"),
	    "a group-readable credentials file: %s", run_desc(&r));
	REQ(access(d.ctl, F_OK) != 0 && access(e2e_db, F_OK) != 0,
	    "the refused daemon created its socket or database");
	run_free(&r);
	cli_run(&r, "daemon", "--config", d.conf, "--credentials", d.creds, "--check",
		(const char *)NULL);
	expect_exit(&r, 1);
	REQ(strstr(r.err, "accessible by group or others"), "--check: %s", run_desc(&r));
	run_free(&r);

	/* --check: good files */
	write_file(d.creds, 0600, "# the lights\n" CRED_A CRED_B CRED_C);
	write_file(d.conf, 0644, "# tuned\nmax_sessions = 3\nlog_level = warning\n");
	cli_run(&r, "--hci", BOGUS_HCI, "daemon", "--config", d.conf, "--credentials", d.creds,
		"--check", (const char *)NULL);
	expect_exit(&r, 0);
	REQ(strstr(r.p.out, "ok") && strstr(r.p.out, d.creds) && strstr(r.p.out, "3 devices"),
	    "--check with good files: %s", run_desc(&r));
	run_free(&r);

	/* an unknown key */
	write_file(d.conf, 0644, "# tuned\nmax_sessions = 3\nmax_session = 4\n");
	cli_run(&r, "daemon", "--config", d.conf, "--credentials", d.creds, "--check",
		(const char *)NULL);
	expect_exit(&r, 1);
	snprintf(want, sizeof(want), "%s:3:", d.conf);
	REQ(strstr(r.err, want) && strstr(r.err, "max_session"), "--check, unknown key: %s",
	    run_desc(&r));
	run_free(&r);
	/* and the daemon itself does not start with it */
	cli_run(&r, "--hci", BOGUS_HCI, "--db", e2e_db, "--control", d.ctl, "daemon", "--config",
		d.conf, "--credentials", d.creds, (const char *)NULL);
	expect_exit(&r, 1);
	REQ(strstr(r.err, want), "the daemon with an unknown key: %s", run_desc(&r));
	run_free(&r);
}
END_TEST

/* A damaged database: the daemon refuses it with the JSON path before it
 * opens the controller (BOGUS_HCI would fail otherwise, and the capture
 * would exist) or its control socket, and leaves the file as it was. */
START_TEST(test_damaged_database)
{
	static const char damaged[] =
		"{\"netKeys\": [{\"index\": 0, \"key\": \"00112233445566778899AABBCCDDEEFF\"}],\n"
		" \"nodes\": [{\"UUID\": \"0123456789ABCDEF0123456789ABCDEF\", \"unicastAddress\": \"0011\"},\n"
		"   {\"UUID\": \"0123456789ABCDEF0123456789ABCDEF\", \"unicastAddress\": \"0012\"}]}\n";
	char want[PATH_MAX + 100], snoop[PATH_MAX], *after;
	struct run r;
	struct dmn d;

	dmn_paths(&d);
	write_file(d.creds, 0600, CRED_A);
	write_file(e2e_db, 0600, damaged);
	snprintf(snoop, sizeof(snoop), "%s/daemon.btsnoop", e2e_dir);
	cli_run(&r, "--hci", BOGUS_HCI, "--btsnoop", snoop, "--db", e2e_db, "--control", d.ctl, "daemon",
		"--config", d.conf, "--credentials", d.creds, (const char *)NULL);
	expect_exit(&r, 1);
	snprintf(want, sizeof(want), "meshprov: database %s: nodes[1].UUID: the same UUID as nodes[0]\n", e2e_db);
	REQ(!strcmp(r.err, want), "stderr is not \"%s\": %s", want, run_desc(&r));
	REQ(access(d.ctl, F_OK) != 0 && access(snoop, F_OK) != 0,
	    "the refused daemon made its control socket or opened the controller");
	after = read_file_str(e2e_db, NULL);
	REQ(after && !strcmp(after, damaged), "the database changed:\n%s", after ? after : "(gone)");
	free(after);
	run_free(&r);
}
END_TEST

/* ---- 7. BTSnoop ---- */

static void check_snoop(const char *path, const char *what)
{
	size_t records, sent, received;
	uint16_t first;
	char err[512];

	REQ(btsnoop_check_file(path, &records, &sent, &received, &first, err, sizeof(err)) == 0,
	    "%s: %s", what, err);
	REQ(records > 0 && sent > 0 && received > 0,
	    "%s: %zu records, %zu sent, %zu received", what, records, sent, received);
	REQ(first == HCI_OP_RESET_CMD, "%s: the first command is 0x%04x, not HCI_Reset", what, first);
}

START_TEST(test_btsnoop)
{
	static const char *const devs[] = { ALI_A_SPEC, NULL };
	char snoop_d[PATH_MAX], snoop_s[PATH_MAX];
	const char *global[] = { "--btsnoop", snoop_d, NULL };
	uint64_t end;
	struct vair a;
	struct dmn d;
	struct run r;

	snprintf(snoop_d, sizeof(snoop_d), "%s/daemon.snoop", e2e_dir);
	snprintf(snoop_s, sizeof(snoop_s), "%s/scan.snoop", e2e_dir);
	air_start(&a, e2e_dir, devs);
	dmn_paths(&d);
	write_file(d.creds, 0600, "");
	dmn_start(&d, a.hci, global, NULL);
	end = mono_ms() + 5000;
	while (status_int(&d, "devices") < 1) {
		DREQ(&d, mono_ms() < end, "the daemon hears no device");
		sleep_ms(50);
	}
	dmn_stop(&d);
	dmn_free(&d);
	check_snoop(snoop_d, "the daemon's BTSnoop file");

	run_hci(&r, NULL, a.hci, "--no-daemon", "--btsnoop", snoop_s, "scan", "--timeout", "1",
		"--json", (const char *)NULL);
	expect_exit(&r, 0);
	REQ(strstr(r.p.out, ALI_A_UUID), "scan with --btsnoop: %s", run_desc(&r));
	run_free(&r);
	check_snoop(snoop_s, "scan's BTSnoop file");
	air_stop(&a);
}
END_TEST

/* ---- 12. nodes left unconfigured are finished ---- */

/* Two devices that hear nothing for a while after their first provisioning
 * (vair deaf=), so the daemon's first configuring fails: the AliGenie one
 * then falls back to unprovisioned and beacons (the daemon provisions it
 * again, replacing its stale record), the plain one stays a node (the
 * daemon configures it again after retry_delay). A third was provisioned
 * by the CLI with --no-configure before the daemon started: the daemon
 * configures it at start. */
#define DEAF_ALI_SPEC ALI_A_SPEC ",deaf=4000"
#define DEAF_PLAIN_UUID "00112233445566778899aabbccddee02"
#define DEAF_PLAIN_SPEC "uuid:" DEAF_PLAIN_UUID ",deaf=12000"
#define LATE_UUID "00112233445566778899aabbccddee03"
#define UNCONF_MS 40000

START_TEST(test_unconfigured_finished)
{
	static const char *const devs[] = { DEAF_ALI_SPEC, DEAF_PLAIN_SPEC, "uuid:" LATE_UUID, NULL };
	static const char *const extra[] = { "--time-scale", "0.05", NULL };
	static const char *const uuids[] = { ALI_A_UUID, DEAF_PLAIN_UUID, LATE_UUID };
	struct json_object *db, *ev, *excl;
	int unicast[3] = { 0 }, first_ali = 0;
	char line[200];
	struct run r;
	struct vair a;
	struct dmn d;

	vair_start(&a, e2e_vair, e2e_dir, true, devs, extra);
	e2e_air = &a;

	/* the third: provisioned, not configured, before the daemon runs */
	cli_run(&r, "--no-daemon", "--hci", a.hci, "--db", e2e_db, "provision", "--uuid", LATE_UUID,
		"--no-configure", "--json", (const char *)NULL);
	expect_exit(&r, 0);
	unicast[2] = (int)jint(run_json(&r), "unicast");
	run_free(&r);

	dmn_paths(&d);
	write_file(d.conf, 0644, "retry_delay = 1\n");
	write_file(d.creds, 0600,
		   CRED_A "uuid " DEAF_PLAIN_UUID " no-oob\nuuid " LATE_UUID " no-oob\n");
	dmn_start(&d, a.hci, NULL, NULL);

	/* the third, configured at start */
	snprintf(line, sizeof(line), "configuring %s at 0x%04x again, attempt 1 of 5", LATE_UUID,
		 unicast[2]);
	log_wait(&d, line, 1, 5000);
	snprintf(line, sizeof(line), "%s at 0x%04x configured", LATE_UUID, unicast[2]);
	log_wait(&d, line, 1, UNCONF_MS);

	/* both deaf ones: the first configuring fails, then they are finished */
	ev = report_wait(&a, ALI_A_UUID, "provisioned", 1);
	first_ali = (int)jint(ev, "unicast");
	json_object_put(ev);
	ev = report_wait(&a, DEAF_PLAIN_UUID, "provisioned", 1);
	unicast[1] = (int)jint(ev, "unicast");
	json_object_put(ev);
	snprintf(line, sizeof(line), "%s provisioned at 0x%04x but not configured", ALI_A_UUID,
		 first_ali);
	log_wait(&d, line, 1, UNCONF_MS);
	snprintf(line, sizeof(line), "%s provisioned at 0x%04x but not configured", DEAF_PLAIN_UUID,
		 unicast[1]);
	log_wait(&d, line, 1, UNCONF_MS);
	snprintf(line, sizeof(line), "%s, unconfigured at 0x%04x, beacons as unprovisioned",
		 ALI_A_UUID, first_ali);
	log_wait(&d, line, 1, UNCONF_MS);
	snprintf(line, sizeof(line), "configuring %s at 0x%04x again, attempt 2 of 5",
		 DEAF_PLAIN_UUID, unicast[1]);
	log_wait(&d, line, 1, UNCONF_MS);
	snprintf(line, sizeof(line), "%s at 0x%04x configured", DEAF_PLAIN_UUID, unicast[1]);
	log_wait(&d, line, 1, UNCONF_MS);
	ev = report_wait_ms(&a, ALI_A_UUID, "provisioned", NULL, 2, UNCONF_MS);
	unicast[0] = (int)jint(ev, "unicast");
	json_object_put(ev);
	DREQ(&d, unicast[0] != first_ali, "provisioned again at the same address 0x%04x", first_ali);
	snprintf(line, sizeof(line), "%s provisioned at 0x%04x and configured", ALI_A_UUID,
		 unicast[0]);
	log_wait(&d, line, 1, UNCONF_MS);
	dmn_stop(&d);
	REQ(!strstr(d.r.err, "giving up"), "the daemon gave up:\n%s", d.r.err);

	/* the devices: the AliGenie one fell back once and took 2 provisionings;
	 * the plain ones 1 each; every one has its AppKey now */
	REQ(report_scan(&a, ALI_A_UUID, "fallback", NULL, NULL) == 1 &&
		    report_scan(&a, ALI_A_UUID, "provisioned", NULL, NULL) == 2,
	    "%s: %d fallbacks, %d provisionings; want 1, 2", ALI_A_UUID,
	    report_scan(&a, ALI_A_UUID, "fallback", NULL, NULL),
	    report_scan(&a, ALI_A_UUID, "provisioned", NULL, NULL));
	for (int k = 1; k < 3; k++)
		REQ(report_scan(&a, uuids[k], "provisioned", NULL, NULL) == 1,
		    "%s provisioned %d times", uuids[k],
		    report_scan(&a, uuids[k], "provisioned", NULL, NULL));

	/* the database: three configured nodes, the AliGenie one at its new
	 * address with its new device key, its old address held back */
	db = db_load();
	REQ(db_nodes(db) == 3, "%d nodes in the database, want 3", db_nodes(db));
	for (int k = 0; k < 3; k++) {
		struct json_object *nd = db_node(db, uuids[k]);
		char addr[8];

		REQ(nd != NULL, "node %s is not in the database", uuids[k]);
		snprintf(addr, sizeof(addr), "%04X", unicast[k]);
		REQ(!strcmp(jstr(nd, "unicastAddress"), addr), "database: %s at %s, want %s", uuids[k],
		    jstr(nd, "unicastAddress"), addr);
		REQ(jbool(nd, "configComplete") && !jsonl_get(nd, "meshprovConfigError"),
		    "the database does not mark %s configured: %s", uuids[k], jtext(nd));
		ev = report_wait(&a, uuids[k], "provisioned", k == 0 ? 2 : 1);
		REQ(hex_eq(jstr(ev, "device_key"), jstr(nd, "deviceKey")),
		    "%s: the device's key %s, the database's %s", uuids[k], jstr(ev, "device_key"),
		    jstr(nd, "deviceKey"));
		json_object_put(ev);
		REQ(report_scan(&a, uuids[k], "config", "appkey_add", NULL) >= 1,
		    "%s never took its AppKey", uuids[k]);
	}
	excl = jget(db, "networkExclusions", json_type_array);
	snprintf(line, sizeof(line), "\"%04X\"", first_ali);
	REQ(strstr(jtext(excl), line), "the old address 0x%04x is not held back: %s", first_ali,
	    jtext(excl));
	json_object_put(db);
	dmn_free(&d);
	air_stop(&a);
}
END_TEST

/* ---- 13. the same on BlueZ's btvirt ---- */

/* ---- a crash between Provisioning Data and Provisioning Complete ---- */

#define CRASH_DEVS 11        /* 5 for the CLI, 5 for the daemon, 1 provisioned to the end */
#define CRASH_DELAY "1500"   /* ms each device holds its Provisioning Complete */
#define CRASH_MS 15000       /* one device to take the data */
#define CRASH_SETTLE_MS 40000 /* the daemon to resolve and configure them all */

static void crash_uuid(int i, char out[33])
{
	snprintf(out, 33, "0011223344556677889900000000%04x", (unsigned)(0xc0 + i));
}

/* meshprov was SIGKILLed once the device had taken the data (its report's
 * "provisioned"), before its Provisioning Complete, held CRASH_DELAY ms,
 * could reach it. */
static void kill_in_window(struct proc *p, const struct vair *a, const char *uuid)
{
	json_object_put(report_wait_ms(a, uuid, "provisioned", NULL, 1, CRASH_MS));
	REQ(report_scan(a, uuid, "complete_sent", NULL, NULL) == 0,
	    "device %s sent its Complete before meshprov was killed", uuid);
	REQ(kill(p->pid, SIGKILL) == 0, "kill: %s", strerror(errno));
	proc_wait(p, 5000);
}

/* Is addr in the file's networkExclusions? */
static bool db_excluded(struct json_object *db, unsigned addr)
{
	struct json_object *ex;
	char want[5];

	if (!json_object_object_get_ex(db, "networkExclusions", &ex))
		return false;
	snprintf(want, sizeof(want), "%04X", addr);
	for (size_t i = 0; i < json_object_array_length(ex); i++) {
		struct json_object *a = jget(json_object_array_get_idx(ex, i), "addresses",
					     json_type_array);

		for (size_t k = 0; k < json_object_array_length(a); k++)
			if (!strcasecmp(json_object_get_string(json_object_array_get_idx(a, k)), want))
				return true;
	}
	return false;
}

/* Every device that took an address: no address held by two of them, and
 * (db not NULL) every one accounted for in the database, as the node of that
 * device with the device key the device holds, or in networkExclusions. */
static void check_addresses(const struct vair *a, struct json_object *db)
{
	int owner[0x8000];

	for (int i = 0; i < 0x8000; i++)
		owner[i] = -1;
	for (int i = 0; i < CRASH_DEVS; i++) {
		struct json_object *ev = NULL, *nd;
		char uuid[33], addr[5];
		int64_t u, els;

		crash_uuid(i, uuid);
		if (report_scan(a, uuid, "provisioned", NULL, &ev) == 0)
			continue;
		u = jint(ev, "unicast");
		els = jint(ev, "elements");
		for (int64_t k = u; k < u + els; k++) {
			REQ(owner[k] < 0, "0x%04x is held by device %d and by device %d (%s):\n%s",
			    (unsigned)k, owner[k], i, uuid, report_text(a));
			owner[k] = i;
		}
		snprintf(addr, sizeof(addr), "%04X", (unsigned)u);
		nd = db ? db_node(db, uuid) : NULL;
		if (!db) {
		} else if (nd) {
			REQ(!strcasecmp(jstr(nd, "unicastAddress"), addr) &&
				    hex_eq(jstr(nd, "deviceKey"), jstr(ev, "device_key")),
			    "device %s holds 0x%s and its key, the database says otherwise: %s", uuid,
			    addr, jtext(db));
		} else {
			REQ(db_excluded(db, (unsigned)u),
			    "device %s holds 0x%s: neither a node nor excluded in the database: %s",
			    uuid, addr, jtext(db));
		}
		json_object_put(ev);
	}
}

/* meshprov, CLI and daemon, SIGKILLed five times each while a device holds
 * Provisioning Data but its Complete has not arrived (issue 10): each next
 * run must give the next device another address; the daemon then resolves
 * every reservation (the devices no longer beacon: kept as nodes, and
 * configured when it holds their credentials) and every address a device
 * holds is in the database with its device key. */
START_TEST(test_crash_before_complete)
{
	const char *specs[CRASH_DEVS + 1];
	char uuids[CRASH_DEVS][33], specbuf[CRASH_DEVS][512], creds[2048], *c;
	struct json_object *db = NULL;
	uint64_t end;
	struct vair a;
	struct dmn d;
	struct run r;

	for (int i = 0; i < CRASH_DEVS; i++) {
		crash_uuid(i, uuids[i]);
		snprintf(specbuf[i], sizeof(specbuf[i]), "uuid:%s,complete-delay=" CRASH_DELAY,
			 uuids[i]);
		specs[i] = specbuf[i];
	}
	specs[CRASH_DEVS] = NULL;
	air_start(&a, e2e_dir, specs);

	for (int i = 0; i < 5; i++) {
		const char *args[] = { "--no-daemon", "provision", "--uuid", uuids[i], "--no-configure",
				       NULL };

		run_start(&r, NULL, a.hci, args);
		kill_in_window(&r.p, &a, uuids[i]);
		run_free(&r);
	}
	dmn_paths(&d);
	write_file(d.conf, 0644, "max_sessions = 1\nretry_delay = 1\nreservation_window = 3\n");
	for (int i = 5; i < 10; i++) {
		snprintf(creds, sizeof(creds), "uuid %s no-oob\n", uuids[i]);
		write_file(d.creds, 0600, creds);
		dmn_start(&d, a.hci, NULL, NULL);
		kill_in_window(&d.r.p, &a, uuids[i]);
		dmn_free(&d);
		dmn_paths(&d);
		write_file(d.conf, 0644, "max_sessions = 1\nretry_delay = 1\nreservation_window = 3\n");
	}
	/* one provisioned to the end, among the pending reservations */
	{
		const char *args[] = { "--no-daemon", "provision", "--uuid", uuids[10], "--no-configure",
				       "--json", NULL };

		run_args(&r, NULL, a.hci, args);
		expect_exit(&r, 0);
		run_free(&r);
	}
	check_addresses(&a, NULL);
	/* the daemon resolves them: the devices do not beacon */
	c = creds;
	for (int i = 5; i < 10; i++)
		c += sprintf(c, "uuid %s no-oob\n", uuids[i]);
	write_file(d.creds, 0600, creds);
	dmn_start(&d, a.hci, NULL, NULL);
	end = mono_ms() + CRASH_SETTLE_MS;
	for (;;) {
		int configured = 0;

		db = db_load();
		for (int i = 5; i < 10; i++) {
			struct json_object *nd = db_node(db, uuids[i]);

			configured += nd && jbool(nd, "configComplete");
		}
		if (!json_object_object_get_ex(db, "meshprovReservations", NULL) &&
		    db_nodes(db) == CRASH_DEVS && configured == 5)
			break;
		DREQ(&d, mono_ms() < end, "the reservations were not resolved in %d ms: %s",
		     CRASH_SETTLE_MS, jtext(db));
		json_object_put(db);
		sleep_ms(100);
	}
	dmn_stop(&d);
	json_object_put(db);
	db = db_load();
	check_addresses(&a, db);
	json_object_put(db);
	dmn_free(&d);
	air_stop(&a);
}
END_TEST

#define REL_PLAIN_UUID "00112233445566778899000000000d01"
#define REL_BAD_UUID "00112233445566778899000000000d02"
#define REL_GOOD_UUID "00112233445566778899000000000d03"
#define REL_STATIC "000102030405060708090a0b0c0d0e0f"

/* The other ways a reservation ends, and an attempt that fails before the
 * data: an AliGenie device that took the data of a killed meshprov drops
 * it without its AppKey and beacons again: the next run releases the
 * reservation into networkExclusions and gives the device another address;
 * nodes lists a pending reservation and nodes remove releases it by hand; a
 * daemon attempt that fails at the confirmation takes no address. */
START_TEST(test_reservation_release)
{
	static const char *const devs[] = {
		ALI_A_SPEC ",complete-delay=" CRASH_DELAY,
		"uuid:" REL_PLAIN_UUID ",complete-delay=" CRASH_DELAY,
		"uuid:" REL_BAD_UUID ",static=" REL_STATIC,
		"uuid:" REL_GOOD_UUID,
		NULL,
	};
	static const char *const extra[] = { "--time-scale", "0.05", NULL }; /* fallback after 3 s */
	const char *ali[] = { "--no-daemon", "-v", "provision", "--uuid", ALI_A_UUID, "--secret", ALI_A_SECRET,
			      "--no-configure", "--json", NULL };
	const char *plain[] = { "--no-daemon", "provision", "--uuid", REL_PLAIN_UUID, "--no-configure",
				NULL };
	const char *list[] = { "--no-daemon", "nodes", "--json", NULL };
	const char *rm[] = { "--no-daemon", "nodes", "remove", REL_PLAIN_UUID, NULL };
	struct json_object *db, *o, *ev;
	char line[200];
	struct vair a;
	struct dmn d;
	struct run r;

	vair_start(&a, e2e_vair, e2e_dir, true, devs, extra);
	e2e_air = &a;

	/* killed after the AliGenie device took 0x0011 */
	run_start(&r, NULL, a.hci, ali);
	kill_in_window(&r.p, &a, ALI_A_UUID);
	run_free(&r);
	run_args(&r, NULL, a.hci, list);
	expect_exit(&r, 0);
	REQ(r.json && json_object_array_length(r.json) == 1, "nodes --json: %s", run_desc(&r));
	o = json_object_array_get_idx(r.json, 0);
	REQ(hex_eq(jstr(o, "uuid"), ALI_A_UUID) && jint(o, "unicast") == 0x0011 &&
		    jbool(o, "pending") && !jbool(o, "configured"),
	    "nodes --json does not list the pending reservation: %s", r.p.out);
	run_free(&r);
	/* it gets no AppKey: it falls back and beacons; the next run releases
	 * 0x0011 and provisions it at 0x0012 */
	json_object_put(report_wait_ms(&a, ALI_A_UUID, "unprovisioned", NULL, 1, CRASH_MS));
	run_args(&r, NULL, a.hci, ali);
	expect_exit(&r, 0);
	REQ(jint(run_json(&r), "unicast") == 0x0012, "provisioned again: %s", run_desc(&r));
	REQ(strstr(r.err, "did not take 0x0011"), "no release in the log: %s", run_desc(&r));
	run_free(&r);
	db = db_load();
	REQ(!json_object_object_get_ex(db, "meshprovReservations", NULL) &&
		    db_node(db, ALI_A_UUID) && db_excluded(db, 0x0011),
	    "0x0011 not released into networkExclusions: %s", jtext(db));
	json_object_put(db);

	/* released by hand */
	run_start(&r, NULL, a.hci, plain);
	kill_in_window(&r.p, &a, REL_PLAIN_UUID);
	run_free(&r);
	run_args(&r, NULL, NULL, rm);
	expect_exit(&r, 0);
	REQ(strstr(r.p.out, "removed " REL_PLAIN_UUID " (0x0013)"), "nodes remove: %s", run_desc(&r));
	run_free(&r);
	db = db_load();
	REQ(!json_object_object_get_ex(db, "meshprovReservations", NULL) && db_excluded(db, 0x0013) &&
		    !db_node(db, REL_PLAIN_UUID),
	    "0x0013 not released into networkExclusions: %s", jtext(db));
	json_object_put(db);

	/* a daemon attempt that fails at the confirmation burns nothing: the
	 * next device gets the next free address, 0x0014 */
	dmn_paths(&d);
	write_file(d.conf, 0644, "max_sessions = 1\n"); /* one after the other */
	write_file(d.creds, 0600, "uuid " REL_BAD_UUID " static-oob " BAD_SECRET "\n");
	dmn_start(&d, a.hci, NULL, NULL);
	snprintf(line, sizeof(line), "%s: attempt 1 of", REL_BAD_UUID);
	log_wait(&d, line, 1, CRASH_MS);
	write_file(d.creds, 0600, "uuid " REL_BAD_UUID " static-oob " BAD_SECRET "\n"
				  "uuid " REL_GOOD_UUID " no-oob\n");
	hup(&d, "reloaded:", 1);
	snprintf(line, sizeof(line), "%s provisioned at 0x0014 and configured", REL_GOOD_UUID);
	log_wait(&d, line, 1, AUTO_MS);
	dmn_stop(&d);
	ev = report_wait(&a, REL_GOOD_UUID, "provisioned", 1);
	REQ(jint(ev, "unicast") == 0x0014, "the good device: %s", jtext(ev));
	json_object_put(ev);
	dmn_free(&d);
	air_stop(&a);
}
END_TEST

/* ---- many devices at once through one controller (issue 12) ---- */

#define SCALE_DEVS 15
#define SCALE_LOSS "0.1"
#define SCALE_MS 300000    /* all configured: not a timing test (~30 s expected) */
#define SCALE_FIRST 0x0011 /* the first unicast address the daemon assigns */
#define SCALE_BAD 5        /* devices whose credentials are wrong: every attempt fails */
#define SCALE_STATIC "000102030405060708090a0b0c0d0e0f"

/* How many of the daemon's nodes are configured (the nodes request). */
static int nodes_configured(struct dmn *d, struct cc *c)
{
	struct json_object *o = cc_call(d, c, "{\"cmd\":\"nodes\"}"), *nodes;
	int n = 0;

	DREQ(d, jbool(o, "ok"), "nodes: %s", jtext(o));
	nodes = jget(o, "nodes", json_type_array);
	for (size_t i = 0; i < json_object_array_length(nodes); i++)
		n += jbool(json_object_array_get_idx(nodes, i), "configured");
	json_object_put(o);
	return n;
}

/* n AliGenie lights (ProductID 602), each of its own MAC and secret: their
 * vair specs (specs[i] points at spec[i]), their credentials lines appended
 * to creds, their UUIDs. */
static void scale_devices(int n, char spec[][160], const char **specs, char *creds, char uuid[][33])
{
	for (int i = 0; i < n; i++) {
		struct aligenie_info ali = { .pid_flags = 0x71, .product_id = 602, .feature_flag = 0x02,
					     .flags2 = 0x10 };
		uint8_t u[16];
		char mac[18], secret[33], cred[120];

		memcpy(ali.mac, (const uint8_t[6]){ 0xa4, 0xc1, 0x38, 0x00, 0x12, (uint8_t)i }, 6);
		aligenie_mac_str(ali.mac, mac);
		snprintf(secret, sizeof(secret), "5ca1ab1e00000000000000000000%04x", (unsigned)i & 0xffff);
		snprintf(spec[i], 160, "aligenie:602,%s,%s", mac, secret);
		specs[i] = spec[i];
		snprintf(cred, sizeof(cred), "aligenie 602 %s %s\n", mac, secret);
		strcat(creds, cred);
		aligenie_encode(&ali, u);
		hex_encode(u, 16, uuid[i]);
	}
}

/* The daemon with max_sessions 32 and 15 AliGenie devices on an air that
 * loses 10 % of the deliveries: every device is provisioned and configured,
 * no PDU is dropped for a full transmit queue, and no address is skipped
 * (attempts that failed before Provisioning Data gave theirs back, among
 * them those of 5 more devices whose static OOB in the credentials is
 * wrong, failing at the confirmation again and again meanwhile; heard
 * first, they are served first, and every one of them is tried): the 15
 * nodes hold the 15 address ranges from the first unicast on, with nothing
 * excluded or reserved. Admission control keeps the links the airtime can
 * serve; the 32 allowed are a ceiling. */
START_TEST(test_many_devices)
{
	static const char *const extra[] = { "--loss", SCALE_LOSS, NULL };
	char specbuf[SCALE_DEVS + SCALE_BAD][160], uuids[SCALE_DEVS][33];
	char creds[(SCALE_DEVS + SCALE_BAD) * 120] = "";
	const char *specs[SCALE_DEVS + SCALE_BAD + 1];
	int most_sessions = 0, most_waiting = 0, configured = 0, unicast[SCALE_DEVS];
	int64_t most_backlog = 0;
	struct json_object *db, *ex;
	uint64_t t0, end;
	struct vair a;
	struct dmn d;
	struct cc c;

	scale_devices(SCALE_DEVS, specbuf, specs + SCALE_BAD, creds, uuids);
	for (int i = SCALE_DEVS; i < SCALE_DEVS + SCALE_BAD; i++) {
		char uuid[33];

		snprintf(uuid, sizeof(uuid), "0011223344556677889900000000e%03x", (unsigned)i);
		snprintf(specbuf[i], sizeof(specbuf[i]), "uuid:%s,static=" SCALE_STATIC, uuid);
		specs[i - SCALE_DEVS] = specbuf[i]; /* heard first: served first, from the start */
		sprintf(creds + strlen(creds), "uuid %s static-oob " BAD_SECRET "\n", uuid);
	}
	specs[SCALE_DEVS + SCALE_BAD] = NULL;
	vair_start(&a, e2e_vair, e2e_dir, true, specs, extra);
	e2e_air = &a;
	dmn_paths(&d);
	/* the wrong ones keep failing until the end (a range held by a failing
	 * attempt while the last devices take theirs would leave a hole) */
	write_file(d.conf, 0644, "max_sessions = 32\nretry_delay = 1\nmax_attempts = 100\n");
	write_file(d.creds, 0600, creds);
	t0 = mono_ms();
	dmn_start(&d, a.hci, NULL, NULL);

	cc_open(&d, &c);
	end = mono_ms() + SCALE_MS;
	while (configured < SCALE_DEVS) {
		struct json_object *st = cc_call(&d, &c, "{\"cmd\":\"status\"}");

		DREQ(&d, jbool(st, "ok") && jint(st, "max_sessions") == 32 &&
			     jint(st, "sessions") <= 32 && jint(st, "waiting_for_airtime") <= SCALE_DEVS + SCALE_BAD &&
			     jint(st, "waiting_for_airtime") <= jint(st, "waiting"),
		     "status: %s", jtext(st));
		if (jint(st, "sessions") > most_sessions)
			most_sessions = (int)jint(st, "sessions");
		if (jint(st, "waiting_for_airtime") > most_waiting)
			most_waiting = (int)jint(st, "waiting_for_airtime");
		if (jint(st, "tx_backlog_ms") > most_backlog)
			most_backlog = jint(st, "tx_backlog_ms");
		json_object_put(st);
		configured = nodes_configured(&d, &c);
		DREQ(&d, mono_ms() < end, "%d of %d nodes configured after %d ms; %d \"queue full\" "
		     "lines", configured, SCALE_DEVS, SCALE_MS, log_count(&d, "queue full"));
		DREQ(&d, log_count(&d, "queue full") == 0, "a PDU dropped for a full transmit queue");
		sleep_ms(500);
	}
	cc_close(&c);
	dmn_stop(&d);
	fprintf(stderr, "test_many_devices: %d devices configured in %.1f s; at most %d sessions, "
		"%d waiting for airtime, %lld ms queued; %d failed attempts, %d \"queue full\"\n",
		SCALE_DEVS, (double)(mono_ms() - t0) / 1000.0, most_sessions, most_waiting,
		(long long)most_backlog, count_of(d.r.err, " failed: "),
		count_of(d.r.err, "queue full"));
	REQ(count_of(d.r.err, "queue full") == 0, "%d \"queue full\" lines in the daemon's log:\n%s",
	    count_of(d.r.err, "queue full"), d.r.err);

	/* the wrong credentials failed, in parallel with the others */
	for (int i = SCALE_DEVS; i < SCALE_DEVS + SCALE_BAD; i++) {
		char line[80];

		snprintf(line, sizeof(line), "0011223344556677889900000000e%03x: attempt 1 of",
			 (unsigned)i);
		REQ(count_of(d.r.err, line) == 1, "no failed attempt on a wrong static OOB: \"%s\"",
		    line);
	}

	/* the database: the 15 nodes, configured, in the 15 ranges from the
	 * first unicast on, nothing excluded or reserved */
	db = db_load();
	REQ(db_nodes(db) == SCALE_DEVS, "%d nodes in the database, want %d", db_nodes(db),
	    SCALE_DEVS);
	REQ(!json_object_object_get_ex(db, "meshprovReservations", NULL),
	    "reservations left in the database: %s", jtext(db));
	REQ(!json_object_object_get_ex(db, "networkExclusions", &ex) ||
		    json_object_array_length(ex) == 0,
	    "addresses excluded: %s", jtext(ex));
	{
		bool held[SCALE_DEVS] = { false };
		int next = SCALE_FIRST;

		for (int i = 0; i < SCALE_DEVS; i++) {
			struct json_object *nd = db_node(db, uuids[i]);

			REQ(nd && jbool(nd, "configComplete"), "device %s: not a configured node: %s",
			    uuids[i], nd ? jtext(nd) : "(none)");
			unicast[i] = (int)strtol(jstr(nd, "unicastAddress"), NULL, 16);
			REQ(unicast[i] >= SCALE_FIRST && unicast[i] < SCALE_FIRST + SCALE_DEVS &&
				    !held[unicast[i] - SCALE_FIRST] &&
				    json_object_array_length(jget(nd, "elements", json_type_array)) == 1,
			    "device %s at 0x%04x (one element each, from 0x%04x on): %s", uuids[i],
			    unicast[i], SCALE_FIRST, jtext(db));
			held[unicast[i] - SCALE_FIRST] = true;
		}
		for (int i = 0; i < SCALE_DEVS; i++, next++)
			REQ(held[i], "0x%04x skipped: %s", next, jtext(db));
	}
	/* what each device holds is what the database says */
	for (int i = 0; i < SCALE_DEVS; i++)
		check_device_holds(&a, uuids[i], unicast[i], jstr(db_node(db, uuids[i]), "deviceKey"),
				   db_app_key(db));
	json_object_put(db);
	dmn_free(&d);
	vair_stop(&a);
	REQ(vair_stat(&a, "lost") > 0, "the air lost nothing: the test proves nothing:\n%s",
	    a.log_text);
	vair_free(&a);
	e2e_air = NULL;
}
END_TEST

#define PACK_DEVS 8

/* adv_pack = yes: the daemon puts a second mesh PDU into advertisements
 * where it fits (Transaction ACKs beside other links' segments), and the
 * virtual air's devices, which read every AD structure of an advertisement
 * as the Core Specification lays them out, take them: every device is
 * provisioned and configured, holding what the database says, without a
 * failed attempt on an air that loses nothing. */
START_TEST(test_adv_pack)
{
	char specbuf[PACK_DEVS][160], uuids[PACK_DEVS][33], creds[PACK_DEVS * 120] = "";
	const char *specs[PACK_DEVS + 1];
	const char *line;
	unsigned long ads = 0, packed = 0;
	struct json_object *db;
	int configured = 0;
	uint64_t end;
	struct vair a;
	struct dmn d;
	struct cc c;

	scale_devices(PACK_DEVS, specbuf, specs, creds, uuids);
	specs[PACK_DEVS] = NULL;
	vair_start(&a, e2e_vair, e2e_dir, true, specs, NULL);
	e2e_air = &a;
	dmn_paths(&d);
	write_file(d.conf, 0644, "max_sessions = 32\nadv_pack = yes\n");
	write_file(d.creds, 0600, creds);
	dmn_start(&d, a.hci, (const char *const[]){ "-v", NULL }, NULL); /* -vv: debug */
	cc_open(&d, &c);
	end = mono_ms() + SCALE_MS;
	while (configured < PACK_DEVS) {
		configured = nodes_configured(&d, &c);
		DREQ(&d, mono_ms() < end, "%d of %d nodes configured after %d ms", configured,
		     PACK_DEVS, SCALE_MS);
		sleep_ms(300);
	}
	cc_close(&c);
	dmn_stop(&d);
	line = strstr(d.r.err, "radio: ");
	REQ(line && sscanf(line, "radio: %lu advertisements, %lu with two", &ads, &packed) == 2,
	    "no transmit counts in the daemon's log:\n%s", d.r.err);
	REQ(packed > 0 && packed < ads, "%lu of %lu advertisements with two PDUs:\n%s", packed,
	    ads, d.r.err);
	REQ(count_of(d.r.err, " failed: ") == 0, "failed attempts:\n%s", d.r.err);
	/* nothing lost, nothing sent again: a device that missed the second
	 * PDU of an advertisement leaves transactions unacknowledged (with
	 * devices that read only the first AD structure, 6 or 7 of the 8 links
	 * sent one again); one link is allowed a late answer on a loaded machine
	 * (the retransmission timer is 500 ms) */
	line = strstr(d.r.err, "PB-ADV link: ");
	REQ(count_of(d.r.err, "PB-ADV link: ") == PACK_DEVS &&
		    count_of(d.r.err, " PDUs sent, 0 of them again") >= PACK_DEVS - 1,
	    "%d PB-ADV links, %d without a transaction sent again; the first: %.120s",
	    count_of(d.r.err, "PB-ADV link: "), count_of(d.r.err, " PDUs sent, 0 of them again"),
	    line ? line : "(none)");
	db = db_load();
	REQ(db_nodes(db) == PACK_DEVS, "%d nodes in the database", db_nodes(db));
	for (int i = 0; i < PACK_DEVS; i++) {
		struct json_object *nd = db_node(db, uuids[i]);

		REQ(nd && jbool(nd, "configComplete"), "device %s: not a configured node: %s",
		    uuids[i], nd ? jtext(nd) : "(none)");
		check_device_holds(&a, uuids[i], (int)strtol(jstr(nd, "unicastAddress"), NULL, 16),
				   jstr(nd, "deviceKey"), db_app_key(db));
	}
	json_object_put(db);
	dmn_free(&d);
	vair_stop(&a);
	/* the air's count: one advertisement a PDU or two */
	REQ(vair_stat(&a, "host_adv_enables") == ads, "vair counted %lu advertisements, the "
	    "daemon %lu", vair_stat(&a, "host_adv_enables"), ads);
	vair_free(&a);
	e2e_air = NULL;
}
END_TEST

/* The newcomer's case on an independent controller: one credentials line,
 * the daemon in the foreground, the device provisioned and configured
 * without another command, then `meshprov nodes` lists it through the
 * daemon (a controller and database it cannot open itself). */
START_TEST(test_daemon_btvirt)
{
	static const char *const devs[] = { ALI_A_SPEC, NULL };
	const char *nodes_args[] = { "--control", NULL, "--hci", BOGUS_HCI, "--db", BOGUS_DB,
				     "nodes", "--json", NULL };
	struct btvirt_env bt;
	struct json_object *db, *nd, *o;
	char line[160], devkey[33];
	struct vair a;
	struct dmn d;
	struct run r;

	if (!btvirt_begin(&bt, "daemon on btvirt", e2e_meshprov, e2e_vair, e2e_dir,
			  sizeof(e2e_dir)))
		return;
	snprintf(e2e_db, sizeof(e2e_db), "%s/network.json", e2e_dir);
	btvirt_vair_start(&bt, &a, e2e_dir, true, devs);
	e2e_air = &a;

	dmn_paths(&d);
	d.exe = btvirt_meshprov(&bt);
	write_file(d.creds, 0600, CRED_A);
	dmn_start(&d, a.hci, NULL, NULL);
	snprintf(line, sizeof(line), "%s provisioned at 0x0011 and configured", ALI_A_UUID);
	log_wait(&d, line, 1, AUTO_MS);

	nodes_args[1] = d.ctl;
	run_argv(&r, btvirt_meshprov(&bt), nodes_args);
	expect_exit(&r, 0);
	REQ(r.json && json_object_is_type(r.json, json_type_array) &&
		    json_object_array_length(r.json) == 1,
	    "nodes --json through the daemon on btvirt: %s", run_desc(&r));
	o = json_object_array_get_idx(r.json, 0);
	REQ(hex_eq(jstr(o, "uuid"), ALI_A_UUID) && jint(o, "unicast") == 0x0011 &&
		    jbool(o, "configured"),
	    "nodes --json through the daemon on btvirt: %s", r.p.out);
	run_free(&r);
	dmn_stop(&d);
	REQ(btvirt_alive(&bt, 0), "btvirt died under the daemon; its log:\n%s",
	    file_or_empty(bt.log));

	db = db_load();
	nd = db_node(db, ALI_A_UUID);
	REQ(nd && jbool(nd, "configComplete") && !strcmp(jstr(nd, "unicastAddress"), "0011"),
	    "the database on btvirt: %s", jtext(db));
	snprintf(devkey, sizeof(devkey), "%s", jstr(nd, "deviceKey"));
	check_device_configured(&a, ALI_A_UUID, 0x0011, devkey, db_app_key(db));
	json_object_put(db);
	dmn_free(&d);
	btvirt_finish(&bt, &a);
	vair_free(&a);
	e2e_air = NULL;
}
END_TEST

static Suite *daemon_e2e_suite(void)
{
	Suite *s = suite_create("daemon_e2e");
	TCase *tc = tcase_create("virtual_air"), *bt;

	/* a failure carries the daemon's log, a sanitizer report with it */
	check_set_max_msg_size(65536);

	tcase_add_unchecked_fixture(tc, base_setup, e2e_suite_teardown);
	tcase_add_checked_fixture(tc, setup, e2e_teardown);
	tcase_set_timeout(tc, TEST_TIMEOUT_S);
	tcase_add_test(tc, test_auto_provision);
	tcase_add_test(tc, test_cli_through_daemon);
	tcase_add_test(tc, test_sigterm_mid_provisioning);
	tcase_add_test(tc, test_sighup_reload);
	tcase_add_loop_test(tc, test_sighup_broken_conf_first, 0, (int)ARRAY_SIZE(broken_conf_lines));
	tcase_add_test(tc, test_attempt_reasons);
	tcase_add_test(tc, test_control_malformed);
	tcase_add_test(tc, test_client_vanishes);
	tcase_add_test(tc, test_client_vanishes_after_provision);
	tcase_add_test(tc, test_client_leaves_provisioning);
	tcase_add_test(tc, test_control_line_limit);
	tcase_add_test(tc, test_credentials_mode_and_check);
	tcase_add_test(tc, test_damaged_database);
	tcase_add_test(tc, test_btsnoop);
	tcase_add_test(tc, test_unconfigured_finished);
	suite_add_tcase(s, tc);

	tc = tcase_create("crash");
	tcase_add_unchecked_fixture(tc, base_setup, e2e_suite_teardown);
	tcase_add_checked_fixture(tc, setup, e2e_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_crash_before_complete);
	tcase_add_test(tc, test_reservation_release);
	suite_add_tcase(s, tc);

	tc = tcase_create("scale");
	tcase_add_unchecked_fixture(tc, base_setup, e2e_suite_teardown);
	tcase_add_checked_fixture(tc, setup, e2e_teardown);
	tcase_set_timeout(tc, SCALE_MS / 1000 + 60);
	tcase_add_test(tc, test_many_devices);
	tcase_add_test(tc, test_adv_pack);
	suite_add_tcase(s, tc);

	bt = tcase_create("btvirt");
	tcase_add_unchecked_fixture(bt, base_setup, e2e_suite_teardown);
	tcase_add_checked_fixture(bt, setup, e2e_teardown);
	tcase_set_timeout(bt, TEST_TIMEOUT_S);
	tcase_add_test(bt, test_daemon_btvirt);
	suite_add_tcase(s, bt);
	return s;
}

CHECK_MAIN(daemon_e2e_suite)
