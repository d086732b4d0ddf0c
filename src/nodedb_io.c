/* The node database's file I/O, the only I/O of the database units (see
 * nodedb_internal.h): reading and parsing a JSON file, replacing a file
 * atomically (temp file, fsync, rename, directory fsync), and the lock
 * file. Everything else works on the parsed tree. */
#include <errno.h>
#include <fcntl.h>
#include <json.h>
#include <openssl/crypto.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "nodedb_internal.h"

#define MAX_FILE_SIZE (64u << 20)
#define LOCK_POLL_MS 10

/* ---- reading ---- */

/* Read the whole file. 1 = missing, 0 = read, -1 = error (err set). */
static int read_file(const char *path, const char *what, char **buf, size_t *len, char *err, size_t errlen)
{
	struct stat st;
	size_t got = 0;
	char *b;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		if (errno == ENOENT)
			return 1;
		seterr(err, errlen, "cannot read %s %s: %s", what, path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		seterr(err, errlen, "cannot read %s %s: %s", what, path, strerror(errno));
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		seterr(err, errlen, "%s %s is not a regular file", what, path);
		close(fd);
		return -1;
	}
	if ((uint64_t)st.st_size > MAX_FILE_SIZE) {
		seterr(err, errlen, "%s %s is too large (%lld bytes)", what, path, (long long)st.st_size);
		close(fd);
		return -1;
	}
	b = malloc((size_t)st.st_size + 1);
	if (!b) {
		seterr(err, errlen, "cannot read %s %s: out of memory", what, path);
		close(fd);
		return -1;
	}
	for (;;) {
		ssize_t r;

		if (got == (size_t)st.st_size) {
			/* the file may have grown: read to EOF within the cap */
			char *nb;

			if (got >= MAX_FILE_SIZE) {
				seterr(err, errlen, "%s %s is too large", what, path);
				goto fail;
			}
			nb = realloc(b, got + 4096 + 1);
			if (!nb) {
				seterr(err, errlen, "cannot read %s %s: out of memory", what, path);
				goto fail;
			}
			b = nb;
			st.st_size = (off_t)(got + 4096);
		}
		r = read(fd, b + got, (size_t)st.st_size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			seterr(err, errlen, "cannot read %s %s: %s", what, path, strerror(errno));
			goto fail;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	b[got] = '\0';
	*buf = b;
	*len = got;
	return 0;
fail:
	OPENSSL_cleanse(b, got);
	free(b);
	close(fd);
	return -1;
}

static void line_col(const char *buf, size_t off, unsigned *line, unsigned *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < off; i++) {
		if (buf[i] == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

static struct json_object *parse_json(const char *path, const char *what, const char *buf, size_t len, char *err, size_t errlen)
{
	struct json_tokener *tok;
	struct json_object *obj;
	enum json_tokener_error jerr;
	size_t end;
	unsigned line, col;

	if (len == 0) {
		seterr(err, errlen, "%s %s is empty%s", what, path,
		       strcmp(what, "database") ? "" : " (not a mesh configuration database)");
		return NULL;
	}
	if (len > INT_MAX || strlen(buf) != len) {
		seterr(err, errlen, "%s %s is not valid JSON (contains a NUL byte)", what, path);
		return NULL;
	}
	tok = json_tokener_new();
	if (!tok) {
		seterr(err, errlen, "cannot parse %s %s: out of memory", what, path);
		return NULL;
	}
	obj = json_tokener_parse_ex(tok, buf, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (!obj) {
		if (jerr == json_tokener_continue || jerr == json_tokener_success) {
			seterr(err, errlen, "%s %s is not valid JSON: unexpected end of file (truncated?)",
			       what, path);
		} else {
			line_col(buf, end > len ? len : end, &line, &col);
			seterr(err, errlen, "%s %s is not valid JSON: %s at line %u, column %u", what, path,
			       json_tokener_error_desc(jerr), line, col);
		}
		return NULL;
	}
	for (size_t i = end; i < len; i++) {
		if (buf[i] != ' ' && buf[i] != '\t' && buf[i] != '\n' && buf[i] != '\r') {
			line_col(buf, i, &line, &col);
			seterr(err, errlen,
			       "%s %s is not valid JSON: unexpected data after the end at line %u, column %u", what,
			       path,
			       line, col);
			json_object_put(obj);
			return NULL;
		}
	}
	return obj;
}

int ndb_io_load(const char *path, const char *what, struct json_object **root, char *err, size_t errlen)
{
	char *buf = NULL;
	size_t len = 0;
	int r = read_file(path, what, &buf, &len, err, errlen);

	*root = NULL;
	if (r != 0)
		return r;
	*root = parse_json(path, what, buf, len, err, errlen);
	OPENSSL_cleanse(buf, len);
	free(buf);
	return *root ? 0 : -1;
}

/* ---- the lock file ---- */

int ndb_io_lock(const char *db_path, const char *lock_path, unsigned wait_ms, char *err, size_t errlen)
{
	uint64_t deadline = mono_ms() + wait_ms;
	int fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);

	if (fd < 0) {
		seterr(err, errlen, "cannot lock database %s (lock file %s): %s", db_path, lock_path, strerror(errno));
		return -1;
	}
	for (;;) {
		uint64_t now;

		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return fd;
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK) {
			seterr(err, errlen, "cannot lock database %s (lock file %s): %s", db_path, lock_path,
			       strerror(errno));
			break;
		}
		now = mono_ms();
		if (now >= deadline) {
			seterr(err, errlen, "database %s is in use by another meshprov process", db_path);
			break;
		}
		{
			uint64_t left = deadline - now;
			unsigned ms = left < LOCK_POLL_MS ? (unsigned)left : LOCK_POLL_MS;
			struct timespec ts = { .tv_sec = 0, .tv_nsec = (long)ms * 1000000L };

			nanosleep(&ts, NULL);
		}
	}
	close(fd);
	return -1;
}

/* ---- the atomic write ---- */

static int write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		if (w == 0)
			return -EIO;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

int ndb_io_write(const char *path, const char *what, const char *data, size_t len, char *err, size_t errlen)
{
	char *tmp = NULL, *dir = NULL;
	int fd = -1, dfd, r;

	if (asprintf(&tmp, "%s.tmp", path) < 0) {
		seterr(err, errlen, "cannot write %s %s: out of memory", what, path);
		return -ENOMEM;
	}
	/* a temp file (or symlink) left by a crash is removed, never followed;
	 * the daemon commits often: no unlink when there is none */
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0 && errno == EEXIST) {
		if (unlink(tmp) < 0 && errno != ENOENT) {
			r = -errno;
			seterr(err, errlen, "cannot write %s %s: cannot remove stale %s: %s", what, path, tmp,
			       strerror(errno));
			free(tmp);
			return r;
		}
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, 0600);
	}
	if (fd < 0) {
		r = -errno;
		seterr(err, errlen, "cannot write %s %s: cannot create %s: %s", what, path, tmp, strerror(errno));
		free(tmp);
		return r;
	}
	/* the umask may have cleared bits of 0600 */
	if (fchmod(fd, 0600) < 0) {
		r = -errno;
		seterr(err, errlen, "cannot write %s %s: chmod %s: %s", what, path, tmp, strerror(errno));
		goto fail;
	}
	r = write_all(fd, data, len);
	if (r == 0)
		r = write_all(fd, "\n", 1);
	if (r < 0) {
		seterr(err, errlen, "cannot write %s %s: writing %s: %s", what, path, tmp, strerror(-r));
		goto fail;
	}
	if (fsync(fd) < 0) {
		r = -errno;
		seterr(err, errlen, "cannot write %s %s: fsync %s: %s", what, path, tmp, strerror(errno));
		goto fail;
	}
	if (close(fd) < 0) {
		fd = -1;
		r = -errno;
		seterr(err, errlen, "cannot write %s %s: closing %s: %s", what, path, tmp, strerror(errno));
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		r = -errno;
		seterr(err, errlen, "cannot write %s %s: rename from %s: %s", what, path, tmp, strerror(errno));
		goto fail;
	}
	free(tmp);
	tmp = NULL;

	/* make the rename durable */
	dir = dir_of(path);
	if (!dir) {
		seterr(err, errlen, "%s %s written, but not synced: out of memory", what, path);
		return -ENOMEM;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd) < 0) {
		r = -errno;
		seterr(err, errlen, "%s %s written, but syncing directory %s failed: %s", what, path, dir,
		       strerror(errno));
		if (dfd >= 0)
			close(dfd);
		free(dir);
		return r;
	}
	close(dfd);
	free(dir);
	if (err && errlen)
		err[0] = '\0';
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	free(tmp);
	return r;
}
