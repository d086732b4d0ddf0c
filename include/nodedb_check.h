/* Checking a node database file (nodedb.h) as a whole:
 * everything meshprov relies on, every problem collected with its JSON path.
 * Internal to the nodedb units (reading the file: nodedb_io.h); callers use
 * nodedb_open() and nodedb_check(). */
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

/* Add every problem of root (the parsed file) to p, in file order for the
 * members, then the checks across records (duplicates, overlaps, the own
 * node). Members a foreign file may lack (appKeys, provisioners, nodes, ...)
 * may be absent; what is there must be right. */
void cdb_validate(struct json_object *root, struct cdb_problems *p); /* changes nothing in root */

/* Record a problem (path "" for the file as a whole). */
void cdb_problem(struct cdb_problems *p, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
