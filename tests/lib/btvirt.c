/* Helpers for the end-to-end tests on BlueZ's btvirt: see btvirt.h. */
#include "btvirt.h"

#include <check.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "hci.h"
#include "util.h"

/* ---- BlueZ's btvirt ---- */

#define BTVIRT_START_MS 5000 /* for its LE socket to accept */
#define BTVIRT_STOP_GRACE_MS 3000

/* Does the btvirt listening at BTVIRT_LE create LE controllers? (The stock
 * one on a kernel without AF_ALG drops every connection.) A Reset must be
 * answered with a Command Complete, status 0, within 2 s. */
static bool btvirt_answers(void)
{
	int fd = hc_connect(BTVIRT_LE), st;

	if (fd < 0)
		return false;
	st = hc_cmd(fd, HCI_OP_RESET, NULL, 0, NULL, NULL);
	close(fd);
	return st == 0;
}

static void unlink_btvirt_sockets(void)
{
	static const char *const names[] = { "le", "bredrle", "bredr", "amp", "mon" };
	char path[64];

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		snprintf(path, sizeof(path), "/tmp/bt-server-%s", names[i]);
		unlink(path);
	}
}

/* The btvirt programs to try, in order; 0 when there are none, -1 when
 * $BTVIRT names no executable (then why says so). */
static int btvirt_candidates(struct exe cand[2], char *why, size_t whylen)
{
	const char *env = getenv("BTVIRT"), *xdg;
	char *found, cache[PATH_MAX];
	int n = 0;

	if (env && *env) {
		found = strchr(env, '/') ? strdup(env) : find_in_path(env);
		if (!found || !is_executable(found)) {
			snprintf(why, whylen, "BTVIRT=%s is not an executable", env);
			free(found);
			return -1;
		}
		exe_init(&cand[n++], found);
		free(found);
		return n;
	}
	if ((found = find_in_path("btvirt")) != NULL) {
		exe_init(&cand[n++], found);
		free(found);
	}
	xdg = getenv("XDG_CACHE_HOME");
	if (xdg && *xdg)
		snprintf(cache, sizeof(cache), "%s/btvirt/btvirt", xdg);
	else
		snprintf(cache, sizeof(cache), "%s/.cache/btvirt/btvirt", env_or("HOME", "/"));
	if (is_executable(cache))
		exe_init(&cand[n++], cache);
	return n;
}

/* btvirt's socket paths are fixed: a private /tmp, so parallel runs cannot
 * collide (not with CK_FORK=no, where the namespace would outlive this
 * test). The programs under /tmp are pinned before it is replaced. */
static bool enter_private_tmp(struct btvirt_env *e, struct exe *cand, int ncand)
{
	if (!strcmp(env_or("CK_FORK", "yes"), "no") || unshare(CLONE_NEWNS) != 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
		return false;
	for (int i = 0; i < ncand; i++)
		exe_pin(&cand[i]);
	exe_pin(&e->meshprov);
	exe_pin(&e->vair);
	return mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") == 0;
}

/* Start cand as btvirt -s -l0; true when it answers on BTVIRT_LE, else it
 * is stopped again and tried says why. */
static bool btvirt_try(struct btvirt_env *e, const struct exe *cand, char *tried, size_t len)
{
	const char *argv[] = { cand->path, "-s", "-l0", NULL };
	struct proc_opts o = exe_opts(cand);
	size_t used = strlen(tried);

	o.ignore_sigpipe = true; /* it writes without MSG_NOSIGNAL */
	o.stdout_path = e->log;
	o.stderr_path = e->log;
	if (proc_spawn(&e->p, argv, &o) < 0) {
		snprintf(tried + used, len - used, " %.200s: %s;", cand->path, strerror(errno));
		return false;
	}
	if (wait_for_unix_socket(BTVIRT_LE, BTVIRT_START_MS, &e->p) == 0 && btvirt_answers())
		return true;
	snprintf(tried + used, len - used, " %.200s: no LE controller on " BTVIRT_LE ";",
		 cand->path);
	proc_stop(&e->p, SIGKILL, 1000);
	proc_free(&e->p);
	if (!e->private_tmp)
		unlink_btvirt_sockets();
	return false;
}

/* In the /tmp we have: a directory for the log, then the first candidate
 * that answers. Its index, or -1 (why says why). */
static int btvirt_start(struct btvirt_env *e, const struct exe *cand, int ncand, char *dir,
			size_t dirlen, char *why, size_t whylen)
{
	char tried[512];

	if (!e->private_tmp && access(BTVIRT_LE, F_OK) == 0) {
		snprintf(why, whylen, "no private /tmp here (unshare/mount not permitted, or "
				      "CK_FORK=no) and " BTVIRT_LE " exists: another btvirt may be running");
		return -1;
	}
	if (e->private_tmp) {
		snprintf(dir, dirlen, "/tmp/e2e.XXXXXX");
		PROC_REQUIRE(mkdtemp(dir) != NULL, "mkdtemp in the private /tmp: %s", strerror(errno));
	}
	snprintf(e->log, sizeof(e->log), "%s/btvirt.log", dir);
	tried[0] = '\0';
	for (int i = 0; i < ncand; i++)
		if (btvirt_try(e, &cand[i], tried, sizeof(tried)))
			return i;
	snprintf(why, whylen, "no btvirt that can create LE controllers (set BTVIRT=...; tried:%s)",
		 tried);
	return -1;
}

int btvirt_setup(struct btvirt_env *e, const char *meshprov, const char *vair, char *dir,
		 size_t dirlen, char *why, size_t whylen)
{
	struct exe cand[2];
	int ncand, chosen;

	memset(e, 0, sizeof(*e));
	e->btvirt.fd = e->meshprov.fd = e->vair.fd = -1;
	ncand = btvirt_candidates(cand, why, whylen);
	if (ncand < 0)
		return 1;
	if (ncand == 0) {
		snprintf(why, whylen, "no btvirt that can create LE controllers (set BTVIRT=..., "
				      "e.g. the one shared/tools/build-btvirt prints)");
		return 1;
	}
	exe_init(&e->meshprov, meshprov);
	exe_init(&e->vair, vair);
	e->private_tmp = enter_private_tmp(e, cand, ncand);
	chosen = btvirt_start(e, cand, ncand, dir, dirlen, why, whylen);
	for (int i = 0; i < ncand; i++) {
		if (i == chosen)
			e->btvirt = cand[i];
		else
			exe_unpin(&cand[i]);
	}
	if (chosen < 0) {
		exe_unpin(&e->meshprov);
		exe_unpin(&e->vair);
		return 1;
	}
	return 0;
}

bool btvirt_begin(struct btvirt_env *e, const char *what, const char *meshprov, const char *vair,
		  char *dir, size_t dirlen)
{
	char why[700];

	if (btvirt_setup(e, meshprov, vair, dir, dirlen, why, sizeof(why)) != 0) {
		printf("SKIP: %s: %s\n", what, why);
		fflush(stdout);
		return false;
	}
	printf("%s: using %s%s\n", what, e->btvirt.path, e->private_tmp ? " in a private /tmp" : "");
	fflush(stdout);
	return true;
}

void btvirt_vair_start(struct btvirt_env *e, struct vair *a, const char *dir, bool report,
		       const char *const *devices)
{
	vair_launch(a, NULL, &e->vair, dir, "unix:" BTVIRT_LE, report, devices, NULL);
}

const struct exe *btvirt_meshprov(const struct btvirt_env *e)
{
	return &e->meshprov;
}

bool btvirt_alive(struct btvirt_env *e, int ms)
{
	return proc_wait(&e->p, ms) < 0;
}

void btvirt_teardown(struct btvirt_env *e)
{
	proc_stop(&e->p, SIGTERM, BTVIRT_STOP_GRACE_MS);
	proc_free(&e->p);
	if (!e->private_tmp)
		unlink_btvirt_sockets();
	exe_unpin(&e->btvirt);
	exe_unpin(&e->meshprov);
	exe_unpin(&e->vair);
}

void btvirt_finish(struct btvirt_env *e, struct vair *a)
{
	vair_stop(a);
	PROC_REQUIRE(btvirt_alive(e, 200), "btvirt died when the devices left");
	btvirt_teardown(e);
}
