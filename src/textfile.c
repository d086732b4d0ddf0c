/* Reading the daemon's text files. See textfile.h. */
#include "textfile.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int textfile_fail(char *err, size_t errlen, const char *name, unsigned line, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	int n;

	if (err && errlen) {
		if (line)
			n = snprintf(err, errlen, "%s:%u: ", name, line);
		else
			n = snprintf(err, errlen, "%s: ", name);
		if (n >= 0 && (size_t)n < errlen) {
			va_start(ap, fmt);
			vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
			va_end(ap);
		}
	}
	errno = saved;
	return -1;
}

int textfile_lines_init(struct textfile_lines *l, const char *name, const char *buf, size_t len,
			char *err, size_t errlen)
{
	if (len > TEXTFILE_MAX_FILE)
		return textfile_fail(err, errlen, name, 0, "larger than %u bytes",
				     TEXTFILE_MAX_FILE);
	l->name = name;
	l->p = len ? buf : NULL;
	l->end = len ? buf + len : NULL;
	l->no = 0;
	return 0;
}

int textfile_next_line(struct textfile_lines *l, char out[TEXTFILE_MAX_LINE + 1], char *err,
		       size_t errlen)
{
	const char *nl;
	size_t n;

	if (l->p == l->end)
		return 0;
	l->no++;
	nl = memchr(l->p, '\n', (size_t)(l->end - l->p));
	n = (size_t)((nl ? nl : l->end) - l->p);
	if (n > TEXTFILE_MAX_LINE)
		return textfile_fail(err, errlen, l->name, l->no, "line longer than %d characters",
				     TEXTFILE_MAX_LINE);
	if (memchr(l->p, '\0', n))
		return textfile_fail(err, errlen, l->name, l->no, "NUL byte in the line");
	memcpy(out, l->p, n);
	out[n] = '\0';
	l->p = nl ? nl + 1 : l->end;
	return 1;
}

int textfile_open(const char *path, int flags, struct stat *st, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | flags);

	if (fd < 0) {
		if (errno == ELOOP && (flags & O_NOFOLLOW))
			return textfile_fail(err, errlen, path, 0,
					     "%s (a symbolic link is refused)", strerror(errno));
		return textfile_fail(err, errlen, path, 0, "%s", strerror(errno));
	}
	if (fstat(fd, st) < 0) {
		textfile_fail(err, errlen, path, 0, "%s", strerror(errno));
		close(fd);
		return -1;
	}
	if (!S_ISREG(st->st_mode)) {
		textfile_fail(err, errlen, path, 0, "not a regular file");
		close(fd);
		errno = EINVAL;
		return -1;
	}
	return fd;
}

int textfile_read_all(int fd, const char *path, off_t st_size, char **bufp, size_t *lenp,
		      char *err, size_t errlen)
{
	size_t cap, len = 0;
	char *buf;

	if (st_size < 0 || (uint64_t)st_size > TEXTFILE_MAX_FILE)
		return textfile_fail(err, errlen, path, 0, "larger than %u bytes",
				     TEXTFILE_MAX_FILE);
	cap = (size_t)st_size + 1; /* room to notice growth */
	buf = malloc(cap);
	if (!buf)
		return textfile_fail(err, errlen, path, 0, "out of memory");
	for (;;) {
		ssize_t r;

		if (len == cap) {
			size_t ncap =
				cap * 2 < TEXTFILE_MAX_FILE + 1 ? cap * 2 : TEXTFILE_MAX_FILE + 1;
			char *nb;

			if (cap > TEXTFILE_MAX_FILE) {
				textfile_fail(err, errlen, path, 0, "larger than %u bytes",
					      TEXTFILE_MAX_FILE);
				goto fail;
			}
			nb = malloc(ncap);
			if (!nb) {
				textfile_fail(err, errlen, path, 0, "out of memory");
				goto fail;
			}
			memcpy(nb, buf, len);
			OPENSSL_cleanse(buf, len);
			free(buf);
			buf = nb;
			cap = ncap;
		}
		r = read(fd, buf + len, cap - len);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			textfile_fail(err, errlen, path, 0, "%s", strerror(errno));
			goto fail;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	*bufp = buf;
	*lenp = len;
	return 0;
fail:
	OPENSSL_cleanse(buf, len);
	free(buf);
	return -1;
}
