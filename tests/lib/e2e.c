/* Shared helpers of the end-to-end tests that run meshprov against vair: see
 * e2e.h. */
#include "e2e.h"

#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util.h"

char *e2e_base;
char e2e_dir[512];
char e2e_db[PATH_MAX];
const char *e2e_meshprov, *e2e_vair;
int e2e_runs;
const struct vair *e2e_air;
int e2e_run_ms = 20000;

/* ---- fixtures ---- */

void e2e_suite_setup(const char *tag, int run_ms)
{
	e2e_base = e2e_base_setup(tag);
	e2e_run_ms = run_ms;
}

void e2e_suite_teardown(void)
{
	e2e_base_teardown(&e2e_base);
}

void e2e_setup(void)
{
	e2e_test_setup(e2e_base, e2e_dir, sizeof(e2e_dir), &e2e_meshprov, &e2e_vair);
	snprintf(e2e_db, sizeof(e2e_db), "%s/network.json", e2e_dir);
	e2e_runs = 0;
	e2e_air = NULL;
	/* only what a test sets itself */
	unsetenv("MESHPROV_SECRET");
	unsetenv("MESHPROV_HCI");
	unsetenv("MESHPROV_DB");
}

void e2e_teardown(void)
{
	e2e_test_teardown(e2e_dir);
}

TCase *e2e_tcase(const char *name, void (*suite_setup)(void), int timeout_s)
{
	TCase *tc = tcase_create(name);

	tcase_add_unchecked_fixture(tc, suite_setup, e2e_suite_teardown);
	tcase_add_checked_fixture(tc, e2e_setup, e2e_teardown);
	tcase_set_timeout(tc, timeout_s);
	return tc;
}

void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* ---- JSON ---- */

const char *jtext(struct json_object *o)
{
	return json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
}

struct json_object *jget(struct json_object *o, const char *key, enum json_type t)
{
	struct json_object *x = jsonl_get(o, key);

	REQ(x && json_object_is_type(x, t), "\"%s\" missing or of the wrong type in %s", key,
	    jtext(o));
	return x;
}

const char *jstr(struct json_object *o, const char *key)
{
	return json_object_get_string(jget(o, key, json_type_string));
}

int64_t jint(struct json_object *o, const char *key)
{
	return json_object_get_int64(jget(o, key, json_type_int));
}

bool jbool(struct json_object *o, const char *key)
{
	return json_object_get_boolean(jget(o, key, json_type_boolean));
}

bool hex_eq(const char *a, const char *b)
{
	for (;; a++, b++) {
		while (*a == '-')
			a++;
		while (*b == '-')
			b++;
		if (!*a || !*b)
			return !*a && !*b;
		if ((*a | 0x20) != (*b | 0x20))
			return false;
	}
}

/* ---- the devices' report ---- */

char *report_text(const struct vair *a)
{
	return a ? file_or_empty(a->report) : strdup("");
}

int report_scan(const struct vair *a, const char *uuid, const char *event, const char *op,
		struct json_object **last)
{
	struct json_object **v;
	char *text = report_text(a), err[300];
	int n = jsonl_parse(text, &v, err, sizeof(err)), count = 0;

	REQ(n >= 0, "the device report is not JSON lines (%s):\n%s", err, text);
	if (last)
		*last = NULL;
	for (int i = 0; i < n; i++) {
		struct json_object *u = jsonl_get(v[i], "uuid"), *e = jsonl_get(v[i], "event");
		struct json_object *o = jsonl_get(v[i], "op");

		REQ(u && e && json_object_is_type(u, json_type_string) &&
			    json_object_is_type(e, json_type_string),
		    "report line without uuid and event: %s", jtext(v[i]));
		if (strcmp(json_object_get_string(u), uuid) ||
		    (event && strcmp(json_object_get_string(e), event)) ||
		    (op && (!o || strcmp(json_object_get_string(o), op))))
			continue;
		count++;
		if (last) {
			json_object_put(*last);
			*last = json_object_get(v[i]);
		}
	}
	jsonl_free(v, n);
	free(text);
	return count;
}

struct json_object *report_wait_ms(const struct vair *a, const char *uuid, const char *event,
				   const char *op, int count, int ms)
{
	struct json_object *last = NULL;
	uint64_t end = mono_ms() + (uint64_t)ms;

	for (;;) {
		if (report_scan(a, uuid, event, op, &last) >= count)
			return last;
		json_object_put(last);
		if (mono_ms() >= end) {
			char *text = report_text(a);

			REQ(0, "device %s: no %d \"%s%s%s\" event(s) in its report within %d ms:\n%s",
			    uuid, count, event, op ? " " : "", op ? op : "", ms, text);
		}
		sleep_ms(20);
	}
}

struct json_object *report_wait(const struct vair *a, const char *uuid, const char *event,
				int count)
{
	return report_wait_ms(a, uuid, event, NULL, count, E2E_REPORT_MS);
}

/* ---- meshprov ---- */

void run_spawn(struct run *r, const struct exe *e, const char *const *args)
{
	const char *argv[48];
	struct proc_opts o = exe_opts(e);
	int n = 0;

	memset(r, 0, sizeof(*r));
	argv[n++] = e ? e->path : e2e_meshprov;
	for (int i = 0; args[i]; i++) {
		REQ(n < (int)ARRAY_SIZE(argv) - 1, "too many meshprov arguments");
		argv[n++] = args[i];
	}
	argv[n] = NULL;
	snprintf(r->errpath, sizeof(r->errpath), "%s/meshprov.%d.err", e2e_dir, ++e2e_runs);
	o.capture_stdout = true;
	o.stderr_path = r->errpath;
	REQ(proc_spawn(&r->p, argv, &o) == 0, "cannot start %s: %s", argv[0], strerror(errno));
}

void run_start(struct run *r, const struct exe *e, const char *hci, const char *const *args)
{
	const char *argv[48];
	int n = 0;

	if (hci) {
		argv[n++] = "--hci";
		argv[n++] = hci;
	}
	argv[n++] = "--db";
	argv[n++] = e2e_db;
	for (int i = 0; args[i]; i++) {
		REQ(n < (int)ARRAY_SIZE(argv) - 1, "too many meshprov arguments");
		argv[n++] = args[i];
	}
	argv[n] = NULL;
	run_spawn(r, e, argv);
}

void run_collect(struct run *r)
{
	r->err = file_or_empty(r->errpath);
	REQ(!sanitizer_report(r->err), "meshprov: sanitizer report:\n%s", r->err);
	r->json = json_tokener_parse(r->p.out);
}

void run_wait(struct run *r)
{
	char st[64];

	if (proc_wait(&r->p, e2e_run_ms) < 0) {
		char *err;

		proc_stop(&r->p, SIGKILL, 1000);
		err = file_or_empty(r->errpath);
		REQ(0, "meshprov did not exit within %d ms (%s); stderr:\n%s\nstdout:\n%s", e2e_run_ms,
		    proc_status_str(&r->p, st, sizeof(st)), err, r->p.out);
	}
	run_collect(r);
	REQ(proc_exit_code(&r->p) >= 0, "meshprov: %s; stderr:\n%s",
	    proc_status_str(&r->p, st, sizeof(st)), r->err);
}

void run_argv(struct run *r, const struct exe *e, const char *const *args)
{
	run_spawn(r, e, args);
	run_wait(r);
}

void run_args(struct run *r, const struct exe *e, const char *hci, const char *const *args)
{
	run_start(r, e, hci, args);
	run_wait(r);
}

void run_hci(struct run *r, const struct exe *e, const char *hci, ...)
{
	const char *args[40];
	va_list ap;
	int n = 0;

	va_start(ap, hci);
	for (const char *s; (s = va_arg(ap, const char *)) != NULL;) {
		if (n >= (int)ARRAY_SIZE(args) - 1) {
			va_end(ap);
			REQ(0, "too many meshprov arguments");
		}
		args[n++] = s;
	}
	va_end(ap);
	args[n] = NULL;
	run_args(r, e, hci, args);
}

const char *air_hci(void)
{
	REQ(e2e_air != NULL, "no air to run meshprov on");
	return e2e_air->hci;
}

void run_free(struct run *r)
{
	proc_free(&r->p);
	free(r->err);
	json_object_put(r->json);
	memset(r, 0, sizeof(*r));
}

const char *run_desc(const struct run *r)
{
	static char buf[24576];
	char st[64], *rep = report_text(e2e_air);

	snprintf(buf, sizeof(buf), "%s\n--- stdout:\n%s--- stderr:\n%s--- device report:\n%s",
		 proc_status_str(&r->p, st, sizeof(st)), r->p.out, r->err ? r->err : "", rep);
	free(rep);
	return buf;
}

void expect_exit(const struct run *r, int code)
{
	REQ(proc_exit_code(&r->p) == code, "meshprov: want exit %d, got %s", code, run_desc(r));
}

struct json_object *run_json(const struct run *r)
{
	REQ(r->json && json_object_is_type(r->json, json_type_object),
	    "meshprov --json did not print one JSON object: %s", run_desc(r));
	return r->json;
}

/* ---- the database ---- */

struct json_object *db_load(void)
{
	char *text = read_file_str(e2e_db, NULL);
	struct json_object *o;

	REQ(text != NULL, "cannot read the database %s: %s", e2e_db, strerror(errno));
	o = json_tokener_parse(text);
	REQ(o && json_object_is_type(o, json_type_object), "the database is not a JSON object:\n%s",
	    text);
	free(text);
	return o;
}

struct json_object *db_node(struct json_object *db, const char *uuid)
{
	struct json_object *nodes = jsonl_get(db, "nodes");

	if (!nodes)
		return NULL;
	REQ(json_object_is_type(nodes, json_type_array), "the database's nodes is not an array");
	for (size_t i = 0; i < json_object_array_length(nodes); i++) {
		struct json_object *n = json_object_array_get_idx(nodes, i);
		struct json_object *u = jsonl_get(n, "UUID");

		if (u && json_object_is_type(u, json_type_string) &&
		    hex_eq(json_object_get_string(u), uuid))
			return n;
	}
	return NULL;
}
