/* Helpers for end-to-end tests: see proc.h. */
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <json.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

extern char **environ;

static struct proc *registry;

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void reg_add(struct proc *p)
{
	p->reg_next = registry;
	registry = p;
}

static void reg_remove(struct proc *p)
{
	for (struct proc **pp = &registry; *pp; pp = &(*pp)->reg_next) {
		if (*pp == p) {
			*pp = p->reg_next;
			p->reg_next = NULL;
			return;
		}
	}
}

static void mark_exited(struct proc *p, int status)
{
	p->exited = true;
	p->status = status;
	p->pid = 0;
	reg_remove(p);
}

/* Reap without waiting; true when it has exited (now or before). */
static bool poll_exit(struct proc *p)
{
	int st;
	pid_t r;

	if (p->exited || p->pid <= 0)
		return true;
	do
		r = waitpid(p->pid, &st, WNOHANG);
	while (r < 0 && errno == EINTR);
	if (r == p->pid || (r < 0 && errno == ECHILD)) {
		mark_exited(p, r == p->pid ? st : 0);
		return true;
	}
	return false;
}

static void child_redirect(int target, const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0)
		_exit(126);
	if (fd != target) {
		dup2(fd, target);
		close(fd);
	}
}

int proc_spawn(struct proc *p, const char *const argv[], const struct proc_opts *opts)
{
	static const struct proc_opts none;
	int outp[2] = { -1, -1 }, errp[2];
	const char *base;
	pid_t parent = getpid(), pid;
	int e = 0;
	ssize_t n;

	if (!opts)
		opts = &none;
	memset(p, 0, sizeof(*p));
	p->out_fd = -1;
	p->out_cap = 256;
	p->out = calloc(1, p->out_cap);
	if (!p->out)
		return -1;
	base = strrchr(argv[0], '/');
	snprintf(p->name, sizeof(p->name), "%s", base ? base + 1 : argv[0]);
	if (pipe2(errp, O_CLOEXEC) < 0)
		return -1;
	if (opts->capture_stdout && pipe2(outp, O_CLOEXEC) < 0) {
		close(errp[0]);
		close(errp[1]);
		return -1;
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		e = errno;
		close(errp[0]);
		close(errp[1]);
		if (outp[0] >= 0) {
			close(outp[0]);
			close(outp[1]);
		}
		errno = e;
		return -1;
	}
	if (pid == 0) {
		sigset_t all;
		int devnull;

		/* die with the test, whatever way it ends */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		signal(SIGPIPE, opts->ignore_sigpipe ? SIG_IGN : SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		devnull = open("/dev/null", O_RDONLY);
		if (devnull >= 0 && devnull != 0) {
			dup2(devnull, 0);
			close(devnull);
		}
		if (opts->capture_stdout)
			dup2(outp[1], 1);
		else if (opts->stdout_path)
			child_redirect(1, opts->stdout_path);
		if (opts->stderr_path)
			child_redirect(2, opts->stderr_path);
		if (opts->use_exec_fd)
			fexecve(opts->exec_fd, (char *const *)argv, environ);
		else
			execvp(argv[0], (char *const *)argv);
		e = errno;
		if (write(errp[1], &e, sizeof(e)) < 0)
			_exit(127);
		_exit(127);
	}
	close(errp[1]);
	do
		n = read(errp[0], &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	close(errp[0]);
	if (outp[1] >= 0)
		close(outp[1]);
	if (n == (ssize_t)sizeof(e)) {
		/* the exec failed */
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		if (outp[0] >= 0)
			close(outp[0]);
		errno = e;
		return -1;
	}
	p->pid = pid;
	if (outp[0] >= 0) {
		p->out_fd = outp[0];
		fcntl(p->out_fd, F_SETFL, fcntl(p->out_fd, F_GETFL) | O_NONBLOCK);
	}
	reg_add(p);
	return 0;
}

int proc_read(struct proc *p, int timeout_ms)
{
	struct pollfd pfd;

	if (p->out_fd < 0)
		return 1;
	pfd.fd = p->out_fd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, timeout_ms < 0 ? 0 : timeout_ms) <= 0)
		return 0;
	for (;;) {
		char buf[4096];
		ssize_t n = read(p->out_fd, buf, sizeof(buf));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			n = 0; /* treat errors as the end */
		}
		if (n == 0) {
			close(p->out_fd);
			p->out_fd = -1;
			return 1;
		}
		if (p->out_len + (size_t)n + 1 > p->out_cap) {
			size_t cap = p->out_cap;
			char *nb;

			while (cap < p->out_len + (size_t)n + 1)
				cap *= 2;
			nb = realloc(p->out, cap);
			if (!nb)
				return 0;
			p->out = nb;
			p->out_cap = cap;
		}
		memcpy(p->out + p->out_len, buf, (size_t)n);
		p->out_len += (size_t)n;
		p->out[p->out_len] = '\0';
	}
}

/* After the child exited: read what is left, bounded (a grandchild could
 * still hold the pipe open). */
static void drain(struct proc *p)
{
	uint64_t end = now_ms() + 2000;

	while (p->out_fd >= 0 && now_ms() < end)
		if (proc_read(p, 50) == 1)
			break;
	if (p->out_fd >= 0) {
		close(p->out_fd);
		p->out_fd = -1;
	}
}

int proc_wait(struct proc *p, int timeout_ms)
{
	uint64_t end = now_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);

	for (;;) {
		uint64_t t;

		if (poll_exit(p)) {
			drain(p);
			return 0;
		}
		t = now_ms();
		if (t >= end)
			return -1;
		if (p->out_fd >= 0) {
			int slice = (int)(end - t < 20 ? end - t : 20);

			if (proc_read(p, slice) == 1)
				sleep_ms(slice); /* stdout closed: the exit follows */
		} else {
			sleep_ms(10);
		}
	}
}

int proc_stop(struct proc *p, int sig, int grace_ms)
{
	int st;

	if (poll_exit(p)) {
		drain(p);
		return 0;
	}
	kill(p->pid, sig);
	if (proc_wait(p, grace_ms) == 0)
		return 0;
	kill(p->pid, SIGKILL);
	while (waitpid(p->pid, &st, 0) < 0 && errno == EINTR)
		;
	mark_exited(p, st);
	drain(p);
	return -1;
}

int proc_exit_code(const struct proc *p)
{
	if (!p->exited || !WIFEXITED(p->status))
		return -1;
	return WEXITSTATUS(p->status);
}

const char *proc_status_str(const struct proc *p, char *buf, size_t len)
{
	if (!p->exited)
		snprintf(buf, len, "running");
	else if (WIFEXITED(p->status))
		snprintf(buf, len, "exit %d", WEXITSTATUS(p->status));
	else if (WIFSIGNALED(p->status))
		snprintf(buf, len, "killed by signal %d", WTERMSIG(p->status));
	else
		snprintf(buf, len, "status 0x%x", (unsigned)p->status);
	return buf;
}

void proc_free(struct proc *p)
{
	if (p->pid > 0 && !p->exited)
		proc_stop(p, SIGKILL, 1000);
	reg_remove(p);
	if (p->out_fd >= 0) {
		close(p->out_fd);
		p->out_fd = -1;
	}
	free(p->out);
	p->out = NULL;
	p->out_len = p->out_cap = 0;
}

void proc_cleanup_all(void)
{
	while (registry) {
		struct proc *p = registry;
		int st = 0;

		if (p->pid > 0) {
			kill(p->pid, SIGKILL);
			while (waitpid(p->pid, &st, 0) < 0 && errno == EINTR)
				;
		}
		mark_exited(p, st); /* also takes it off the registry */
		if (p->out_fd >= 0) {
			close(p->out_fd);
			p->out_fd = -1;
		}
	}
}

void proc_become_subreaper(void)
{
	prctl(PR_SET_CHILD_SUBREAPER, 1);
}

void proc_reap_orphans(int timeout_ms)
{
	uint64_t end = now_ms() + (uint64_t)timeout_ms;

	for (;;) {
		pid_t r = waitpid(-1, NULL, WNOHANG);

		if (r > 0)
			continue;
		if ((r < 0 && errno == ECHILD) || now_ms() >= end)
			return;
		sleep_ms(10);
	}
}

int wait_for_file(const char *path, int timeout_ms, struct proc *watch)
{
	uint64_t end = now_ms() + (uint64_t)timeout_ms;

	for (;;) {
		if (access(path, F_OK) == 0)
			return 0;
		if (watch && poll_exit(watch))
			return -1;
		if (now_ms() >= end)
			return -1;
		if (watch && watch->out_fd >= 0)
			proc_read(watch, 10);
		else
			sleep_ms(10);
	}
}

int wait_for_unix_socket(const char *path, int timeout_ms, struct proc *watch)
{
	struct sockaddr_un addr;
	uint64_t end = now_ms() + (uint64_t)timeout_ms;

	if (unix_addr(&addr, path) < 0)
		return -1;
	for (;;) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (fd >= 0) {
			int r = connect(fd, (struct sockaddr *)&addr, sizeof(addr));

			close(fd);
			if (r == 0)
				return 0;
		}
		if (watch && poll_exit(watch))
			return -1;
		if (now_ms() >= end)
			return -1;
		sleep_ms(20);
	}
}

char *tmpdir_create(const char *tag)
{
	const char *base = env_or("TMPDIR", "/tmp");
	char path[PATH_MAX];

	if (snprintf(path, sizeof(path), "%s/%s.XXXXXX", base, tag) >= (int)sizeof(path))
		return NULL;
	if (!mkdtemp(path))
		return NULL;
	return strdup(path);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

int tmpdir_remove(const char *path)
{
	if (!path || !*path || !strcmp(path, "/"))
		return -1;
	return nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

const char *env_or(const char *name, const char *def)
{
	const char *v = getenv(name);

	return v && *v ? v : def;
}

bool is_executable(const char *path)
{
	struct stat st;

	return path && stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

char *find_in_path(const char *name)
{
	const char *path = env_or("PATH", "/usr/local/bin:/usr/bin:/bin");
	char buf[PATH_MAX];

	while (*path) {
		const char *colon = strchr(path, ':');
		size_t len = colon ? (size_t)(colon - path) : strlen(path);

		if (len > 0 && len + 1 + strlen(name) < sizeof(buf)) {
			memcpy(buf, path, len);
			buf[len] = '/';
			strcpy(buf + len + 1, name);
			if (is_executable(buf))
				return strdup(buf);
		}
		if (!colon)
			break;
		path = colon + 1;
	}
	return NULL;
}

char *read_file_str(const char *path, size_t *lenp)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0;

	if (!f)
		return NULL;
	for (;;) {
		size_t n;

		if (len + 4096 + 1 > cap) {
			char *nb;

			cap = cap ? cap * 2 : 8192;
			nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, 4096, f);
		len += n;
		if (n < 4096)
			break;
	}
	fclose(f);
	buf[len] = '\0';
	if (lenp)
		*lenp = len;
	return buf;
}

int jsonl_parse(const char *text, struct json_object ***out, char *err, size_t errlen)
{
	struct json_object **v = NULL;
	int n = 0, lineno = 0;
	const char *line = text;

	*out = NULL;
	while (line && *line) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		size_t a = 0, b = len;

		lineno++;
		while (a < b && (line[a] == ' ' || line[a] == '\t' || line[a] == '\r'))
			a++;
		while (b > a && (line[b - 1] == ' ' || line[b - 1] == '\t' || line[b - 1] == '\r'))
			b--;
		if (b > a) {
			struct json_tokener *tok = json_tokener_new();
			struct json_object *o, **nv;

			if (!tok)
				goto fail_msg;
			o = json_tokener_parse_ex(tok, line + a, (int)(b - a));
			if (!o || json_tokener_get_error(tok) != json_tokener_success ||
			    json_tokener_get_parse_end(tok) != b - a ||
			    !json_object_is_type(o, json_type_object)) {
				json_tokener_free(tok);
				json_object_put(o);
				snprintf(err, errlen, "line %d is not one JSON object: %.*s", lineno,
					 (int)(b - a > 200 ? 200 : b - a), line + a);
				goto fail;
			}
			json_tokener_free(tok);
			nv = realloc(v, sizeof(*v) * (size_t)(n + 1));
			if (!nv) {
				json_object_put(o);
				goto fail_msg;
			}
			v = nv;
			v[n++] = o;
		}
		line = nl ? nl + 1 : NULL;
	}
	*out = v;
	return n;
fail_msg:
	snprintf(err, errlen, "out of memory");
fail:
	jsonl_free(v, n);
	return -1;
}

void jsonl_free(struct json_object **v, int n)
{
	for (int i = 0; i < n; i++)
		json_object_put(v[i]);
	free(v);
}

struct json_object *jsonl_get(struct json_object *o, const char *path)
{
	char key[128];

	while (o && *path) {
		const char *dot = strchr(path, '.');
		size_t len = dot ? (size_t)(dot - path) : strlen(path);
		struct json_object *next = NULL;

		if (len >= sizeof(key) || !json_object_is_type(o, json_type_object))
			return NULL;
		memcpy(key, path, len);
		key[len] = '\0';
		if (!json_object_object_get_ex(o, key, &next))
			return NULL;
		o = next;
		path = dot ? dot + 1 : path + len;
	}
	return o;
}
