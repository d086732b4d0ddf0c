/* Shared by the end-to-end tests that run meshprov against vair's simulated
 * devices (test_provision_e2e, test_node_e2e, test_configure_e2e): the
 * per-test state and fixtures, JSON accessors, the devices' report, meshprov
 * runs and the database. Every failure goes through PROC_REQUIRE, so no child
 * outlives a failed check. */
#ifndef MESHPROV_TEST_E2E_H
#define MESHPROV_TEST_E2E_H

#include <check.h>
#include <json.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include "vair_run.h"
#include "proc.h"

#define REQ PROC_REQUIRE

#define E2E_REPORT_MS 5000 /* a device event to reach the report file */

/* ---- per-test state ---- */

extern char *e2e_base;               /* made by the runner process, removed by it */
extern char e2e_dir[512];            /* this test's directory */
extern char e2e_db[PATH_MAX];        /* this test's database: e2e_dir/network.json */
extern const char *e2e_meshprov, *e2e_vair; /* the programs under test */
extern int e2e_runs;                 /* meshprov runs in this test: name their stderr files */
extern const struct vair *e2e_air;   /* the running air, for messages (NULL: none) */
extern int e2e_run_ms;               /* one meshprov run, at most */

/* Unchecked fixture: call from the suite's set-up with its directory tag and
 * its bound on one meshprov run. */
void e2e_suite_setup(const char *tag, int run_ms);
void e2e_suite_teardown(void);

/* Checked fixture: a fresh directory and database name, no air, and none of
 * MESHPROV_SECRET, MESHPROV_HCI, MESHPROV_DB (only what a test sets itself);
 * the teardown kills every child and removes the directory. */
void e2e_setup(void);
void e2e_teardown(void);

/* A test case named name with these fixtures (suite_setup: the file's own,
 * calling e2e_suite_setup) and timeout. */
TCase *e2e_tcase(const char *name, void (*suite_setup)(void), int timeout_s);

void sleep_ms(int ms);

/* ---- JSON ---- */

const char *jtext(struct json_object *o);
/* o's member key (dotted path), which must be of type t (borrowed). */
struct json_object *jget(struct json_object *o, const char *key, enum json_type t);
const char *jstr(struct json_object *o, const char *key);
int64_t jint(struct json_object *o, const char *key);
bool jbool(struct json_object *o, const char *key);

/* Hex (UUIDs, keys) compared however it is written: case, dashes. */
bool hex_eq(const char *a, const char *b);

/* ---- the devices' report (vair --report: JSON lines) ---- */

/* The report of air a (malloc'd; "" when a is NULL or it cannot be read). */
char *report_text(const struct vair *a);

/* Events of this device (uuid: 32 lower-case hex digits) and kind (NULL: any)
 * and, when op is not NULL, of this config op: how many, and the last one (a
 * new reference in *last when not NULL). */
int report_scan(const struct vair *a, const char *uuid, const char *event, const char *op,
		struct json_object **last);

/* Wait (at most ms) until the device has reported at least `count` such
 * events; the last one (a new reference). */
struct json_object *report_wait_ms(const struct vair *a, const char *uuid, const char *event,
				   const char *op, int count, int ms);

/* The same, at most E2E_REPORT_MS, any op. */
struct json_object *report_wait(const struct vair *a, const char *uuid, const char *event,
				int count);

/* ---- meshprov ---- */

struct run {
	struct proc p;
	char errpath[PATH_MAX];
	char *err;                /* its stderr (after run_collect) */
	struct json_object *json; /* stdout as one JSON value, when it is one */
};

/* Start meshprov (e; NULL: e2e_meshprov) with these arguments (after the
 * program name), its stderr in e2e_dir/meshprov.N.err. */
void run_spawn(struct run *r, const struct exe *e, const char *const *args);

/* Start meshprov [--hci HCI] --db e2e_db ARGS (hci NULL: no --hci). */
void run_start(struct run *r, const struct exe *e, const char *hci, const char *const *args);

/* After it has been reaped: its stderr (no sanitizer report) and its JSON. */
void run_collect(struct run *r);

/* Wait for it (at most e2e_run_ms, then SIGKILL and fail), collect it; it
 * must exit, not die of a signal. */
void run_wait(struct run *r);

/* run_spawn + run_wait */
void run_argv(struct run *r, const struct exe *e, const char *const *args);

/* run_start + run_wait */
void run_args(struct run *r, const struct exe *e, const char *hci, const char *const *args);

/* run_args with the arguments NULL-terminated */
void run_hci(struct run *r, const struct exe *e, const char *hci, ...) __attribute__((sentinel));

/* The running air's --hci (there must be one). */
const char *air_hci(void);

void run_free(struct run *r);

/* For messages: status, stdout, stderr, the devices' report (e2e_air). */
const char *run_desc(const struct run *r);

void expect_exit(const struct run *r, int code);

/* stdout must be one JSON object */
struct json_object *run_json(const struct run *r);

/* ---- the database (e2e_db) ---- */

struct json_object *db_load(void);

/* The node with this UUID, or NULL (borrowed from db). */
struct json_object *db_node(struct json_object *db, const char *uuid);

#endif
