/* Helpers for the end-to-end tests that run on BlueZ's btvirt: find one,
 * run it (in a private /tmp when the system allows one), put vair's devices
 * on it as its client. The vair and fixture helpers are vair_run.h.
 *
 * Failures go through PROC_REQUIRE (proc.h): every child is killed first. */
#ifndef MESHPROV_TEST_BTVIRT_H
#define MESHPROV_TEST_BTVIRT_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "proc.h"
#include "vair_run.h"

/* ---- BlueZ's btvirt ---- */

#define BTVIRT_LE "/tmp/bt-server-le" /* its LE socket: a fixed path */

struct btvirt_env {
	struct exe btvirt;          /* the one that answered */
	struct exe meshprov, vair;  /* the programs under test, pinned */
	bool private_tmp;           /* in a tmpfs /tmp of our own mount namespace */
	struct proc p;              /* btvirt -s -l0 */
	char log[PATH_MAX];         /* its stdout and stderr */
};

/* Find a btvirt ($BTVIRT; else btvirt in PATH, then
 * ${XDG_CACHE_HOME:-$HOME/.cache}/btvirt/btvirt), enter a private /tmp when
 * possible (not with CK_FORK=no: the namespace would outlive the test; the
 * programs under test and the candidates are pinned first), and start the
 * first candidate (btvirt -s -l0, SIGPIPE ignored) that answers an HCI Reset
 * on BTVIRT_LE.
 *
 * dir: the test's directory; in a private /tmp it is replaced by a fresh one
 * there (dirlen: its size), which holds btvirt's log.
 *
 * 0: btvirt is running and answering. 1: the test cannot run here; why says
 * why (for a SKIP line), and nothing is left running. */
int btvirt_setup(struct btvirt_env *e, const char *meshprov, const char *vair, char *dir,
		 size_t dirlen, char *why, size_t whylen);

/* btvirt_setup for a test: prints "SKIP: <what>: <why>" when it cannot run
 * here, else "<what>: using <btvirt>" (and " in a private /tmp"). True when
 * btvirt is running. */
bool btvirt_begin(struct btvirt_env *e, const char *what, const char *meshprov, const char *vair,
		  char *dir, size_t dirlen);

/* The pinned vair as btvirt's client (--connect) with these devices
 * (NULL-terminated), its files in dir (vair_paths), with --report when
 * report; a->hci is btvirt's LE socket, for meshprov. */
void btvirt_vair_start(struct btvirt_env *e, struct vair *a, const char *dir, bool report,
		       const char *const *devices);

/* meshprov to run while btvirt runs (pinned when needed). */
const struct exe *btvirt_meshprov(const struct btvirt_env *e);

/* Is btvirt still running after up to ms milliseconds (0: now)? */
bool btvirt_alive(struct btvirt_env *e, int ms);

/* The end of a run on btvirt: stop the devices' vair (vair_stop: its
 * devices turn scanning off before they close), btvirt must survive their
 * leaving; then btvirt_teardown. */
void btvirt_finish(struct btvirt_env *e, struct vair *a);

/* Stop btvirt (SIGTERM, then SIGKILL), remove its sockets from a shared
 * /tmp, release the pinned programs. */
void btvirt_teardown(struct btvirt_env *e);

#endif
