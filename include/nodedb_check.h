/* Reading a node database file (nodedb.h) and checking it as a whole:
 * everything meshprov relies on, every problem collected with its JSON path.
 * Internal to nodedb.c and nodedb_check.c; callers use nodedb_open() and
 * nodedb_check(). */
#ifndef MESHPROV_NODEDB_CHECK_H
#define MESHPROV_NODEDB_CHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "nodedb.h"

struct json_object;

struct cdb_problems {
	struct nodedb_problem *v; /* malloc'd */
	size_t n, cap;
	bool oom; /* a problem could not be recorded: report "out of memory" */
};

/* Read and parse the file at path: 0 and *root (a new reference), 1 when
 * there is no file, -1 with one line in err naming the file (unreadable,
 * not a regular file, too large, not JSON: with line and column). The
 * file's bytes are wiped from memory once parsed. */
int cdb_load(const char *path, struct json_object **root, char *err, size_t errlen);

/* Add every problem of root (the parsed file) to p, in file order for the
 * members, then the checks across records (duplicates, overlaps, the own
 * node). Members a foreign file may lack (appKeys, provisioners, nodes, ...)
 * may be absent; what is there must be right. */
void cdb_validate(struct json_object *root, struct cdb_problems *p); /* changes nothing in root */

/* Record a problem (path "" for the file as a whole). */
void cdb_problem(struct cdb_problems *p, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
