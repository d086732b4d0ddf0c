/* Reading the daemon's text files (conf.c, creds.c): the limits both obey,
 * lines one at a time, "FILE:LINE: message" errors, and the loaders' open
 * and read. Not for other callers. */
#ifndef MESHPROV_TEXTFILE_H
#define MESHPROV_TEXTFILE_H

#include <stddef.h>
#include <sys/types.h>

#define TEXTFILE_MAX_FILE (1u << 20) /* bytes */
#define TEXTFILE_MAX_LINE 4096       /* characters, without the newline */

struct stat;

/* "name:line: message" ("name: message" for line 0) into err (nothing when
 * err is NULL or errlen 0); errno is kept. Returns -1. */
int textfile_fail(char *err, size_t errlen, const char *name, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* The lines of a buffer, one at a time. */
struct textfile_lines {
	const char *name;
	const char *p, *end;
	unsigned no; /* of the line last returned */
};

/* Start on buf (len bytes, need not be NUL-terminated); name is used in
 * messages. 0, or -1 with "name: larger than ... bytes" in err. */
int textfile_lines_init(struct textfile_lines *l, const char *name, const char *buf, size_t len,
			char *err, size_t errlen);

/* The next line without its newline, NUL-terminated in out
 * (TEXTFILE_MAX_LINE + 1 bytes): 1, 0 at the end, or -1 with
 * "name:line: ..." in err (too long, or a NUL byte). */
int textfile_next_line(struct textfile_lines *l, char out[TEXTFILE_MAX_LINE + 1], char *err,
		       size_t errlen);

/* Open path for reading (flags: more open() flags, e.g. O_NOFOLLOW) and
 * check that it is a regular file: the fd, or -1 with "PATH: ..." in err and
 * errno set. */
int textfile_open(const char *path, int flags, struct stat *st, char *err, size_t errlen);

/* Read the rest of fd (st_size: the size fstat gave) into a fresh buffer of
 * at most TEXTFILE_MAX_FILE bytes: 0, or -1 with "PATH: ..." in err. The
 * buffer may hold secrets: OPENSSL_cleanse it before free(). */
int textfile_read_all(int fd, const char *path, off_t st_size, char **bufp, size_t *lenp,
		      char *err, size_t errlen);

#endif
