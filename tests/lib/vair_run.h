/* Helpers for the end-to-end tests that run meshprov against vair's
 * simulated devices:
 *
 *   - the fixtures: a base directory, a directory and the programs per test;
 *   - programs to run by path, or pinned by an open descriptor when their
 *     path is about to be hidden (a tmpfs mounted on /tmp);
 *   - stderr logs: read them, look for sanitizer reports;
 *   - vair runs: start, wait for the ready file, stop, its stats line;
 *   - a raw H4 client over a Unix socket (vair's or btvirt's controllers).
 *
 * BlueZ's btvirt is btvirt.h. Failures go through PROC_REQUIRE (proc.h):
 * every child is killed first. */
#ifndef MESHPROV_TEST_VAIR_RUN_H
#define MESHPROV_TEST_VAIR_RUN_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proc.h"

/* ---- fixtures ---- */

/* An unchecked fixture's set-up: become the reaper of orphaned children
 * (proc.h) and make a base directory for the tests (name starting with tag).
 * The directory, malloc'd, or NULL (then every test fails in e2e_test_setup). */
char *e2e_base_setup(const char *tag);

/* Its teardown: reap the orphans, remove *base and free it. */
void e2e_base_teardown(char **base);

/* A checked fixture's set-up: the programs under test ($MESHPROV_BIN,
 * default ./meshprov; $VAIR_BIN, default ./build/vair/vair: both must be
 * executables) and a fresh directory for this test in base. */
void e2e_test_setup(const char *base, char *dir, size_t dirlen, const char **meshprov,
		    const char **vair);

/* Its teardown: kill every child, remove dir (when set) and clear it. */
void e2e_test_teardown(char *dir);

/* ---- programs under test ---- */

/* A program to run: by path, or through an open descriptor when its path
 * will be hidden (under /tmp once a tmpfs is mounted there). */
struct exe {
	char path[PATH_MAX];
	int fd; /* -1: run by path */
};

/* The program at path (made absolute when it exists), not pinned. */
void exe_init(struct exe *e, const char *path);

/* Open it (when its path is under /tmp/), so that it still runs once /tmp
 * is replaced. Not O_CLOEXEC: a script also runs through /proc/self/fd. */
void exe_pin(struct exe *e);

/* Close its descriptor, if pinned. */
void exe_unpin(struct exe *e);

/* Options that run e (by its descriptor when pinned); e may be NULL. */
struct proc_opts exe_opts(const struct exe *e);

/* ---- logs ---- */

/* The whole file, or "" when it cannot be read (malloc'd either way). */
char *file_or_empty(const char *path);

/* A sanitizer build reports to stderr; UBSan may not even change the exit
 * code. The first mark of a report found in text (may be NULL), or NULL. */
const char *sanitizer_report(const char *text);

/* ---- vair ---- */

#define VAIR_READY_MS 10000     /* vair set-up bound */
#define VAIR_STOP_GRACE_MS 8000 /* SIGTERM to exit */

struct vair {
	char sock[PATH_MAX];    /* --socket */
	char ready[PATH_MAX];   /* --ready-file */
	char log[PATH_MAX];     /* its stderr */
	char report[PATH_MAX];  /* --report, for the tests that ask for one */
	char hci[PATH_MAX + 8]; /* meshprov's --hci for this air */
	struct proc p;
	char *log_text; /* its stderr, after vair_stop */
};

/* Zero a and name its files in dir: air.sock, air.ready, vair.log,
 * report.jsonl; hci is "unix:" and the socket. */
void vair_paths(struct vair *a, const char *dir);

/* Start vair (prog, or e when not NULL) with args (after the program name,
 * NULL-terminated), stderr to a->log; wait for a->ready. Fails the test,
 * with vair's stderr, when it is not ready within VAIR_READY_MS. */
void vair_spawn(struct vair *a, const char *prog, const struct exe *e, const char *const *args);

/* vair (prog) on an air of its own, its files in dir (vair_paths): --socket,
 * --ready-file, --report when report, --seed 1, a --device for each of
 * devices (NULL-terminated; may be NULL), then extra (may be NULL). */
void vair_start(struct vair *a, const char *prog, const char *dir, bool report,
		const char *const *devices, const char *const *extra);

/* vair_paths in dir, then vair (prog, or e) on its own air (connect NULL)
 * or as a client of the controller at connect (an --hci value). */
void vair_launch(struct vair *a, const char *prog, const struct exe *e, const char *dir,
		 const char *connect, bool report, const char *const *devices,
		 const char *const *extra);

/* SIGTERM: vair must stop its devices and exit 0 within VAIR_STOP_GRACE_MS,
 * without a sanitizer report. Reads its stderr into a->log_text. */
void vair_stop(struct vair *a);

void vair_free(struct vair *a);

/* A counter from vair's "vair: stats: ..." line (after vair_stop). */
unsigned long vair_stat(const struct vair *a, const char *name);

/* ---- a raw HCI client over a Unix socket (H4 framing) ---- */

/* Connect to the socket at path: the descriptor, or -1. */
int hc_connect(const char *path);

/* Send a whole packet: 0, or -1. */
int hc_send(int fd, const uint8_t *pkt, size_t len);

/* One event (deadline: mono_ms()): ev[0] code, ev[1] parameter length, then
 * the parameters. 1, 0 on a timeout, -1 on a closed stream or a packet that
 * is not an event. */
int hc_event(int fd, uint8_t ev[257], uint64_t deadline);

/* Send a command and wait (2 s) for its Command Complete; returns the status,
 * -1 on a timeout or a closed connection. rp (may be NULL): its return
 * parameters, *rlen octets. Other events meanwhile are dropped. */
int hc_cmd(int fd, uint16_t op, const void *params, uint8_t plen, uint8_t *rp, size_t *rlen);

#endif
