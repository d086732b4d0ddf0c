/* Replays fuzz inputs through one target's LLVMFuzzerTestOneInput without
 * libFuzzer: built with the normal compiler against the normal library, it
 * makes every checked-in corpus a regression test of `make check` (and of
 * `make check-asan`, where the sanitizers watch it).
 *
 *   fuzz_replay_NAME              every file of tests/fuzz/corpus/NAME
 *   fuzz_replay_NAME PATH...      these files, or every file of these directories
 *
 * One line at the end: "fuzz_replay_NAME: N inputs replayed (DIR)". An input
 * that crashes the target fails the program with a line naming it (on a
 * signal, or, under a sanitizer, when it reports an error). No inputs at all
 * is a failure too: a corpus that went missing must not pass silently. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

#ifndef FUZZ_CORPUS_ROOT
#define FUZZ_CORPUS_ROOT "tests/fuzz/corpus"
#endif

/* Optional in a target; present in a sanitizer runtime. */
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));
void __sanitizer_set_death_callback(void (*fn)(void)) __attribute__((weak));

static const char *prog;
static char current[4096]; /* the input being replayed */
static unsigned long replayed;

static void say_crash(const char *how)
{
	char line[4300];
	int n = snprintf(line, sizeof(line), "%s: CRASH %s on input %s\n", prog, how,
			 current[0] ? current : "(none)");

	if (n > 0)
		(void)!write(STDERR_FILENO, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
}

static void on_signal(int sig)
{
	say_crash(sig == SIGSEGV ? "(SIGSEGV)" : sig == SIGABRT ? "(SIGABRT)" :
		  sig == SIGBUS ? "(SIGBUS)" : sig == SIGFPE ? "(SIGFPE)" : "(signal)");
	signal(sig, SIG_DFL);
	raise(sig);
}

static void on_sanitizer_death(void)
{
	say_crash("(sanitizer report above)");
}

static int replay_file(const char *path)
{
	FILE *fp = fopen(path, "rb");
	uint8_t *buf = NULL;
	long size;

	if (!fp || fseek(fp, 0, SEEK_END) < 0 || (size = ftell(fp)) < 0 || fseek(fp, 0, SEEK_SET) < 0) {
		fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
		if (fp)
			fclose(fp);
		return -1;
	}
	/* exactly size octets (one for an empty file), as libFuzzer gives them */
	buf = malloc(size ? (size_t)size : 1);
	if (!buf || (size && fread(buf, 1, (size_t)size, fp) != (size_t)size)) {
		fprintf(stderr, "%s: %s: cannot read\n", prog, path);
		free(buf);
		fclose(fp);
		return -1;
	}
	fclose(fp);
	snprintf(current, sizeof(current), "%s", path);
	LLVMFuzzerTestOneInput(buf, (size_t)size);
	current[0] = '\0';
	free(buf);
	replayed++;
	return 0;
}

static int skip_dot(const struct dirent *e)
{
	return e->d_name[0] != '.';
}

static int replay_path(const char *path)
{
	struct dirent **names;
	struct stat st;
	int n, rc = 0;

	if (stat(path, &st) < 0) {
		fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return replay_file(path);
	/* in name order, so that a run is repeatable */
	n = scandir(path, &names, skip_dot, alphasort);
	if (n < 0) {
		fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		char file[4096];

		snprintf(file, sizeof(file), "%s/%s", path, names[i]->d_name);
		if (rc == 0 && replay_file(file) < 0)
			rc = -1;
		free(names[i]);
	}
	free(names);
	return rc;
}

int main(int argc, char **argv)
{
	static const int sigs[] = { SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL };
	const char *base = strrchr(argv[0], '/');
	const char *name;
	char dir[4096];
	int rc = 0;

	prog = base ? base + 1 : argv[0];
	name = strncmp(prog, "fuzz_replay_", 12) ? prog : prog + 12;
	if (__sanitizer_set_death_callback) {
		/* the sanitizer's own handlers report the crash; we name the input */
		__sanitizer_set_death_callback(on_sanitizer_death);
	} else {
		for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
			signal(sigs[i], on_signal);
	}
	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	if (argc < 2) {
		snprintf(dir, sizeof(dir), "%s/%s", FUZZ_CORPUS_ROOT, name);
		rc = replay_path(dir);
	} else {
		snprintf(dir, sizeof(dir), "%d path%s", argc - 1, argc > 2 ? "s" : "");
		for (int i = 1; i < argc && rc == 0; i++)
			rc = replay_path(argv[i]);
	}
	if (rc == 0 && replayed == 0) {
		fprintf(stderr, "%s: no inputs in %s\n", prog, dir);
		rc = -1;
	}
	printf("%s: %lu inputs replayed (%s)%s\n", prog, replayed, dir, rc ? ", FAILED" : "");
	return rc ? 1 : 0;
}
