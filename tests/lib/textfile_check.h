/* For the unit tests of the daemon's text files (test_conf, test_creds):
 * their error lines and temporary files, checked with Check's assertions. */
#ifndef MESHPROV_TEXTFILE_CHECK_H
#define MESHPROV_TEXTFILE_CHECK_H

#include <sys/types.h>

/* err must be exactly "NAME:LINE: msg" (line 0: "NAME: msg"). */
void assert_err(const char *err, const char *name, unsigned line, const char *msg);

/* A temporary file holding text, with mode; its path into path[32]. */
void write_temp(char path[32], const char *text, mode_t mode);

#endif
