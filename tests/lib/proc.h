/* Helpers for end-to-end tests: child processes (spawn with arguments,
 * capture stdout, bounded waits, kill and reap), temporary directories, ready
 * files, and JSON lines. Every wait takes a bound in milliseconds.
 *
 * Stray processes: every child is started with PR_SET_PDEATHSIG = SIGKILL,
 * so it dies with the test process even when that one is killed or _exits on
 * a failed assertion (Check's fork mode). Children still alive are listed in
 * a registry: proc_cleanup_all() kills and reaps them all; call it before
 * failing (PROC_REQUIRE does) and from a checked teardown. */
#ifndef MESHPROV_TEST_PROC_H
#define MESHPROV_TEST_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct json_object;

struct proc {
	pid_t pid;        /* 0 when not running (never started, or reaped) */
	char name[64];    /* for messages: the program's base name */
	int out_fd;       /* read end of its stdout pipe, -1 when not captured */
	char *out;        /* captured stdout so far, NUL-terminated (never NULL after spawn) */
	size_t out_len, out_cap;
	bool exited;      /* reaped: status is valid */
	int status;       /* wait status */
	struct proc *reg_next; /* registry of live children */
};

struct proc_opts {
	bool capture_stdout;     /* read its stdout into p->out */
	const char *stdout_path; /* else send stdout to this file (NULL: inherit) */
	const char *stderr_path; /* send stderr to this file (NULL: inherit) */
	bool ignore_sigpipe;     /* start it with SIGPIPE ignored */
	bool use_exec_fd;        /* exec the open executable exec_fd (fexecve), not argv[0]: */
	int exec_fd;             /* for a program opened before its path went out of sight */
};

/* Start argv[0] (searched in PATH when it has no '/') with argv. opts may be
 * NULL. 0, or -1 with errno set (also when the exec itself failed). */
int proc_spawn(struct proc *p, const char *const argv[], const struct proc_opts *opts);

/* Read what the child has written to stdout, waiting at most timeout_ms for
 * more. Returns 1 at end of file, 0 otherwise. */
int proc_read(struct proc *p, int timeout_ms);

/* Wait up to timeout_ms for the child to exit, reading its stdout meanwhile.
 * 0 when it exited (then reaped, stdout read to the end), -1 on timeout. */
int proc_wait(struct proc *p, int timeout_ms);

/* Stop it: sig (e.g. SIGTERM), up to grace_ms to exit, then SIGKILL; always
 * reaped on return. Returns 0 when it exited within the grace time. */
int proc_stop(struct proc *p, int sig, int grace_ms);

/* Its exit code, or -1 when it has not exited normally. */
int proc_exit_code(const struct proc *p);

/* Human-readable "exit 0", "killed by signal 9", "running". */
const char *proc_status_str(const struct proc *p, char *buf, size_t len);

/* Release the captured output (stops the process first when still running). */
void proc_free(struct proc *p);

/* Kill (SIGKILL) and reap every child still running. */
void proc_cleanup_all(void);

/* For the process that runs the tests (e.g. from an unchecked fixture): a
 * test process killed by Check's timeout leaves its children to die of
 * PDEATHSIG; become their reaper (PR_SET_CHILD_SUBREAPER), so that
 * proc_reap_orphans() (from the unchecked teardown, when no test process is
 * running) can collect them, waiting up to timeout_ms. */
void proc_become_subreaper(void);
void proc_reap_orphans(int timeout_ms);

/* Fail the test, after killing every child: never leaves stray processes. */
#define PROC_REQUIRE(cond, ...)                      \
	do {                                         \
		if (!(cond)) {                       \
			proc_cleanup_all();          \
			ck_abort_msg(__VA_ARGS__);   \
		}                                    \
	} while (0)

/* Wait up to timeout_ms for path to exist. When watch is given, give up at
 * once if that process exits. 0 when it exists, -1 otherwise. */
int wait_for_file(const char *path, int timeout_ms, struct proc *watch);

/* Wait up to timeout_ms until a Unix stream socket at path accepts a
 * connection. 0, or -1. */
int wait_for_unix_socket(const char *path, int timeout_ms, struct proc *watch);

/* A fresh directory under $TMPDIR (or /tmp), name starting with tag; the
 * path is malloc'd. NULL on failure. */
char *tmpdir_create(const char *tag);

/* Remove a directory tree (does not follow symlinks). 0, or -1. */
int tmpdir_remove(const char *path);

/* getenv(name) when set and non-empty, otherwise def. */
const char *env_or(const char *name, const char *def);

/* True when path names an executable regular file. */
bool is_executable(const char *path);

/* The first executable called name in $PATH, malloc'd; NULL if none. */
char *find_in_path(const char *name);

/* Read a whole file (NUL-terminated, malloc'd); NULL on failure. */
char *read_file_str(const char *path, size_t *len);

/* Parse text as JSON lines: one JSON object per non-empty line. Returns the
 * number of objects put in *out (an array to free with jsonl_free), or -1
 * with a message in err when a line is not a JSON object. */
int jsonl_parse(const char *text, struct json_object ***out, char *err, size_t errlen);
void jsonl_free(struct json_object **v, int n);

/* Look up a member of a JSON object by a dotted path ("aligenie.mac"). */
struct json_object *jsonl_get(struct json_object *o, const char *path);

#endif
