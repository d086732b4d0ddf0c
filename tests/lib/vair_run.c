/* Helpers for the end-to-end tests on vair: see vair_run.h. */
#include "vair_run.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "h4.h"
#include "hci.h"
#include "util.h"

/* ---- fixtures ---- */

char *e2e_base_setup(const char *tag)
{
	proc_become_subreaper();
	return tmpdir_create(tag);
}

void e2e_base_teardown(char **base)
{
	proc_reap_orphans(3000);
	if (*base)
		tmpdir_remove(*base);
	free(*base);
	*base = NULL;
}

void e2e_test_setup(const char *base, char *dir, size_t dirlen, const char **meshprov,
		    const char **vair)
{
	*meshprov = env_or("MESHPROV_BIN", "./meshprov");
	*vair = env_or("VAIR_BIN", "./build/vair/vair");
	ck_assert_msg(is_executable(*meshprov), "no meshprov at %s (set MESHPROV_BIN)", *meshprov);
	ck_assert_msg(is_executable(*vair), "no vair at %s (set VAIR_BIN)", *vair);
	ck_assert_msg(base != NULL, "cannot create a temporary directory");
	snprintf(dir, dirlen, "%s/t.XXXXXX", base);
	ck_assert_msg(mkdtemp(dir) != NULL, "mkdtemp: %s", strerror(errno));
}

void e2e_test_teardown(char *dir)
{
	proc_cleanup_all();
	if (dir[0])
		tmpdir_remove(dir);
	dir[0] = '\0';
}

/* ---- programs under test ---- */

void exe_init(struct exe *e, const char *path)
{
	if (!realpath(path, e->path))
		snprintf(e->path, sizeof(e->path), "%s", path);
	e->fd = -1;
}

void exe_pin(struct exe *e)
{
	/* not O_CLOEXEC, so that a script also runs through /proc/self/fd */
	if (!strncmp(e->path, "/tmp/", 5))
		e->fd = open(e->path, O_RDONLY);
}

void exe_unpin(struct exe *e)
{
	if (e->fd >= 0)
		close(e->fd);
	e->fd = -1;
}

struct proc_opts exe_opts(const struct exe *e)
{
	struct proc_opts o;

	memset(&o, 0, sizeof(o));
	if (e && e->fd >= 0) {
		o.use_exec_fd = true;
		o.exec_fd = e->fd;
	}
	return o;
}

/* ---- logs ---- */

char *file_or_empty(const char *path)
{
	char *s = read_file_str(path, NULL);

	return s ? s : strdup("");
}

const char *sanitizer_report(const char *text)
{
	static const char *const marks[] = { "runtime error:", "AddressSanitizer",
					     "LeakSanitizer", "UndefinedBehaviorSanitizer" };

	for (size_t i = 0; text && i < ARRAY_SIZE(marks); i++)
		if (strstr(text, marks[i]))
			return marks[i];
	return NULL;
}

/* ---- vair ---- */

void vair_paths(struct vair *a, const char *dir)
{
	memset(a, 0, sizeof(*a));
	snprintf(a->sock, sizeof(a->sock), "%s/air.sock", dir);
	snprintf(a->ready, sizeof(a->ready), "%s/air.ready", dir);
	snprintf(a->log, sizeof(a->log), "%s/vair.log", dir);
	snprintf(a->report, sizeof(a->report), "%s/report.jsonl", dir);
	snprintf(a->hci, sizeof(a->hci), "unix:%s", a->sock);
}

void vair_spawn(struct vair *a, const char *prog, const struct exe *e, const char *const *args)
{
	const char *argv[64];
	struct proc_opts o = exe_opts(e);
	int n = 0;

	argv[n++] = e ? e->path : prog;
	for (int i = 0; args[i]; i++) {
		PROC_REQUIRE(n < (int)ARRAY_SIZE(argv) - 1, "too many vair arguments");
		argv[n++] = args[i];
	}
	argv[n] = NULL;
	o.stderr_path = a->log;
	PROC_REQUIRE(proc_spawn(&a->p, argv, &o) == 0, "cannot start %s: %s", argv[0],
		     strerror(errno));
	if (wait_for_file(a->ready, VAIR_READY_MS, &a->p) < 0) {
		char st[64], *log;

		proc_stop(&a->p, SIGKILL, 1000);
		log = file_or_empty(a->log);
		proc_cleanup_all();
		ck_abort_msg("vair did not become ready within %d ms (%s); its stderr:\n%s",
			     VAIR_READY_MS, proc_status_str(&a->p, st, sizeof(st)), log);
	}
}

void vair_launch(struct vair *a, const char *prog, const struct exe *e, const char *dir,
			const char *connect, bool report, const char *const *devices,
			const char *const *extra)
{
	const char *args[64];
	int n = 0;

	vair_paths(a, dir);
	if (connect) {
		snprintf(a->hci, sizeof(a->hci), "%s", connect);
		args[n++] = "--connect";
		args[n++] = connect;
	} else {
		args[n++] = "--socket";
		args[n++] = a->sock;
	}
	args[n++] = "--ready-file";
	args[n++] = a->ready;
	if (report) {
		args[n++] = "--report";
		args[n++] = a->report;
	}
	if (!connect) {
		args[n++] = "--seed";
		args[n++] = "1";
	}
	for (int i = 0; devices && devices[i]; i++) {
		PROC_REQUIRE(n < (int)ARRAY_SIZE(args) - 2, "too many vair arguments");
		args[n++] = "--device";
		args[n++] = devices[i];
	}
	for (int i = 0; extra && extra[i]; i++) {
		PROC_REQUIRE(n < (int)ARRAY_SIZE(args) - 1, "too many vair arguments");
		args[n++] = extra[i];
	}
	args[n] = NULL;
	vair_spawn(a, prog, e, args);
}

void vair_start(struct vair *a, const char *prog, const char *dir, bool report,
		const char *const *devices, const char *const *extra)
{
	vair_launch(a, prog, NULL, dir, NULL, report, devices, extra);
}

void vair_stop(struct vair *a)
{
	char st[64];
	int rc = proc_stop(&a->p, SIGTERM, VAIR_STOP_GRACE_MS);

	free(a->log_text);
	a->log_text = file_or_empty(a->log);
	PROC_REQUIRE(rc == 0 && proc_exit_code(&a->p) == 0,
		     "vair did not exit 0 within %d ms of SIGTERM (%s); its stderr:\n%s",
		     VAIR_STOP_GRACE_MS, proc_status_str(&a->p, st, sizeof(st)), a->log_text);
	PROC_REQUIRE(!sanitizer_report(a->log_text), "vair: sanitizer report:\n%s", a->log_text);
}

void vair_free(struct vair *a)
{
	proc_free(&a->p);
	free(a->log_text);
	a->log_text = NULL;
}

unsigned long vair_stat(const struct vair *a, const char *name)
{
	char key[64];
	const char *s;

	snprintf(key, sizeof(key), " %s=", name);
	s = a->log_text ? strstr(a->log_text, "vair: stats:") : NULL;
	PROC_REQUIRE(s != NULL, "no stats line in vair's stderr:\n%s", a->log_text);
	s = strstr(s, key);
	PROC_REQUIRE(s != NULL, "no %s in vair's stats", name);
	return strtoul(s + strlen(key), NULL, 10);
}

/* ---- a raw HCI client ---- */

int hc_connect(const char *path)
{
	return unix_connect(path);
}

int hc_send(int fd, const uint8_t *pkt, size_t len)
{
	return send(fd, pkt, len, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -1;
}

static int hc_send_cmd(int fd, uint16_t op, const void *params, uint8_t plen)
{
	uint8_t pkt[4 + 255];

	pkt[0] = H4_CMD;
	put_le16(pkt + 1, op);
	pkt[3] = plen;
	if (plen)
		memcpy(pkt + 4, params, plen);
	return hc_send(fd, pkt, 4u + plen);
}

/* 1 read, 0 timed out, -1 end of stream or error */
static int read_exact(int fd, uint8_t *buf, size_t n, uint64_t deadline)
{
	size_t got = 0;

	while (got < n) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		uint64_t t = mono_ms();
		ssize_t r;

		if (t >= deadline)
			return 0;
		if (poll(&pfd, 1, (int)(deadline - t)) <= 0)
			continue;
		r = recv(fd, buf + got, n - got, 0);
		if (r <= 0)
			return r < 0 && errno == EINTR ? 0 : -1;
		got += (size_t)r;
	}
	return 1;
}

int hc_event(int fd, uint8_t ev[257], uint64_t deadline)
{
	uint8_t t;
	int r = read_exact(fd, &t, 1, deadline);

	if (r <= 0)
		return r;
	if (t != H4_EVT)
		return -1;
	if ((r = read_exact(fd, ev, 2, deadline + 1000)) <= 0)
		return r;
	return read_exact(fd, ev + 2, ev[1], deadline + 1000) > 0 ? 1 : -1;
}

int hc_cmd(int fd, uint16_t op, const void *params, uint8_t plen, uint8_t *rp, size_t *rlen)
{
	uint64_t deadline = mono_ms() + 2000;
	uint8_t ev[257];

	if (hc_send_cmd(fd, op, params, plen) < 0)
		return -1;
	for (;;) {
		if (hc_event(fd, ev, deadline) <= 0)
			return -1;
		if (ev[0] == HCI_EV_CMD_COMPLETE && ev[1] >= 4 && get_le16(ev + 3) == op) {
			if (ev[2] != 1)
				return -1; /* we copy Num_HCI_Command_Packets 1 */
			if (rp) {
				memcpy(rp, ev + 5, ev[1] - 3u);
				*rlen = ev[1] - 3u;
			}
			return ev[5];
		}
		/* advertising reports in between: not for us */
	}
}
