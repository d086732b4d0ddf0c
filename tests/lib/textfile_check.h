/* For the unit tests of the daemon's text files (test_conf, test_creds):
 * their error lines and temporary files, checked with Check's assertions. */
#ifndef MESHPROV_TEXTFILE_CHECK_H
#define MESHPROV_TEXTFILE_CHECK_H

#include <stddef.h>
#include <sys/types.h>

/* err must be exactly "NAME:LINE: msg" (line 0: "NAME: msg"). */
void assert_err(const char *err, const char *name, unsigned line, const char *msg);

/* A temporary file holding text, with mode; its path into path[32]. */
void write_temp(char path[32], const char *text, mode_t mode);

/* The limits every text file keeps, checked on parse (0 or -1 with the
 * error line in err, of 512 bytes), whose messages name the file name:
 * a NUL byte in good_line (a line parse takes) is an error on line 2, and
 * blank lines are fine up to TEXTFILE_MAX_FILE bytes but not one more. */
void check_text_limits(int (*parse)(const char *text, size_t len, char *err), const char *name,
		       const char *good_line);

#endif
