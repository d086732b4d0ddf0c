/* The node database's file I/O (nodedb_io.c), the only I/O of the database
 * units (nodedb_internal.h). Internal: callers use nodedb.h. */
#ifndef MESHPROV_NODEDB_IO_H
#define MESHPROV_NODEDB_IO_H

#include <stddef.h>

struct json_object;

/* Read and parse the JSON file at path: 0 and *root (a new reference), 1
 * when there is no file, -1 with one line in err naming the file (what:
 * "database"; unreadable, not a regular file, too large, not JSON: with
 * line and column). The file's bytes are wiped from memory once parsed. */
int ndb_io_load(const char *path, const char *what, struct json_object **root, char *err, size_t errlen);

/* Replace the file at path with data and a newline, atomically: PATH.tmp
 * created mode 0600 (O_EXCL, after unlinking a stale one), written in
 * full, fsync, rename over path, fsync the directory. On any failure
 * before the rename path is untouched and the temp file removed. err (one
 * line, naming `what`, e.g. "database", and path) says why. */
int ndb_io_write(const char *path, const char *what, const char *data, size_t len, char *err, size_t errlen);

/* Take an exclusive flock() on lock_path (created mode 0600, never
 * removed), retrying for up to wait_ms. The descriptor (close() releases
 * it), or -1 with err set naming db_path. */
int ndb_io_lock(const char *db_path, const char *lock_path, unsigned wait_ms, char *err, size_t errlen);

#endif
