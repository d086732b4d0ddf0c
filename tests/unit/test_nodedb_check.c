/* Unit tests for the whole-file check of the node database: each damaged
 * database is refused by nodedb_open() (the file untouched) with the JSON
 * path of the problem, and nodedb_check() lists every problem.
 *
 * Every case starts from a database meshprov wrote itself: nodes[0] is
 * meshprov's own node (0001), nodes[1] 0011-0012, nodes[2] 0013, nodes[3]
 * 0014; one NetKey and one AppKey (index 0); IV Index 0. */
#include <errno.h>
#include <json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_main.h"
#include "nodedb.h"
#include "util.h"
#include "proc.h"
#include "testdir.h"

static char dbpath[512];

static void setup(void)
{
	test_dir_setup();
	test_dir_path(dbpath, sizeof(dbpath), "mesh.json");
}

static char *slurp(size_t *len)
{
	char *buf = read_file_str(dbpath, len);

	ck_assert_ptr_nonnull(buf);
	return buf;
}

static void spit(const char *text)
{
	FILE *f = fopen(dbpath, "wb");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(text, 1, strlen(text), f), strlen(text));
	ck_assert_int_eq(fclose(f), 0);
}

static void add_node(struct nodedb *db, uint8_t tag, uint16_t unicast, uint8_t elements)
{
	struct nodedb_node n;

	memset(&n, 0, sizeof(n));
	for (int i = 0; i < 16; i++) {
		n.uuid[i] = (uint8_t)(0x50 + tag + i);
		n.devkey[i] = (uint8_t)(0xD0 ^ tag ^ i);
	}
	n.unicast = unicast;
	n.elements = elements;
	ck_assert_int_eq(nodedb_add_node(db, &n), 0);
}

/* The good database (see the top), parsed. */
static struct json_object *good_db(void)
{
	char err[512];
	struct nodedb *db = nodedb_open(dbpath, 0, err, sizeof(err));
	struct json_object *root;

	ck_assert_msg(db != NULL, "%s", err);
	ck_assert_int_eq(access(dbpath, F_OK), -1); /* a new one */
	add_node(db, 1, 0x0011, 2);
	add_node(db, 2, 0x0013, 1);
	add_node(db, 3, 0x0014, 1);
	ck_assert_msg(nodedb_commit(db, err, sizeof(err)) == 0, "%s", err);
	nodedb_close(db);
	root = json_object_from_file(dbpath);
	ck_assert_ptr_nonnull(root);
	return root;
}

/* The member at path ("nodes[3].UUID", "provisioners[0]", "ivIndex") of
 * root: its parent in *parent, the last key in key (NULL for an index) and
 * the index in *idx. */
static void resolve(struct json_object *root, const char *path, struct json_object **parent, char *key,
		    size_t *idx)
{
	struct json_object *o = root;
	const char *p = path;

	for (;;) {
		size_t n = strcspn(p, ".[");

		if (n) {
			memcpy(key, p, n);
			key[n] = '\0';
			p += n;
			if (!*p) {
				*parent = o;
				return;
			}
			ck_assert_msg(json_object_object_get_ex(o, key, &o), "no %s in %s", key, path);
		}
		if (*p == '.') {
			p++;
			continue;
		}
		/* [i] */
		*idx = strtoul(p + 1, (char **)&p, 10);
		ck_assert_int_eq(*p, ']');
		p++;
		if (!*p) {
			*parent = o;
			key[0] = '\0';
			return;
		}
		o = json_object_array_get_idx(o, *idx);
		ck_assert_msg(o != NULL, "no index %zu in %s", *idx, path);
	}
}

/* Set the member at path to the JSON value (NULL: remove it). */
static void jset(struct json_object *root, const char *path, const char *value)
{
	struct json_object *parent, *v = NULL;
	char key[64];
	size_t idx = 0;

	resolve(root, path, &parent, key, &idx);
	if (value) {
		v = json_tokener_parse(value);
		ck_assert_msg(v != NULL || !strcmp(value, "null"), "bad JSON %s", value);
	}
	if (key[0] && value)
		json_object_object_add(parent, key, v);
	else if (key[0])
		json_object_object_del(parent, key);
	else if (value)
		json_object_array_put_idx(parent, idx, v);
	else
		json_object_array_del_idx(parent, idx, 1);
}

/* A copy of the member at path as JSON text (for "the same as ..."). */
static char *jtext_at(struct json_object *root, const char *path)
{
	struct json_object *parent, *v = NULL;
	char key[64];
	size_t idx = 0;

	resolve(root, path, &parent, key, &idx);
	if (key[0])
		json_object_object_get_ex(parent, key, &v);
	else
		v = json_object_array_get_idx(parent, idx);
	return strdup(json_object_to_json_string(v));
}

/* array[0].member when it is a string long enough to be a key, else NULL. */
static const char *key_of(struct json_object *root, const char *array, const char *member)
{
	struct json_object *a, *v;

	if (!json_object_object_get_ex(root, array, &a) || !json_object_is_type(a, json_type_array) ||
	    !json_object_object_get_ex(json_object_array_get_idx(a, 0), member, &v) ||
	    !json_object_is_type(v, json_type_string) || strlen(json_object_get_string(v)) < 16)
		return NULL;
	return json_object_get_string(v);
}

/* The database in the file is refused: one line naming the file, the JSON
 * path and the problem, no secret in it, and the file as it was. And
 * nodedb_check() finds exactly this one problem. */
static void expect_refused(struct json_object *root, const char *what, const char *want_path, const char *want_msg)
{
	char err[1024], want[1024];
	const char *secrets[3];
	struct nodedb_problem *probs;
	struct nodedb *db;
	size_t len0, len1;
	char *before, *after;
	int n;

	secrets[0] = key_of(root, "netKeys", "key");
	secrets[1] = key_of(root, "appKeys", "key");
	secrets[2] = key_of(root, "nodes", "deviceKey");
	spit(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY));
	before = slurp(&len0);
	db = nodedb_open(dbpath, 0, err, sizeof(err));
	ck_assert_msg(db == NULL, "%s: opened", what);
	snprintf(want, sizeof(want), "database %s: %s: %s", dbpath, want_path, want_msg);
	ck_assert_msg(!strncmp(err, want, strlen(want)), "%s:\n got  %s\n want %s...", what, err, want);
	ck_assert_msg(!strchr(err, '\n'), "%s: more than one line: %s", what, err);
	for (size_t i = 0; i < 3; i++)
		ck_assert_msg(!secrets[i] || !strcasestr(err, secrets[i]), "%s: a key in the message", what);
	after = slurp(&len1);
	ck_assert_msg(len0 == len1 && !memcmp(before, after, len0), "%s: the file changed", what);
	ck_assert_int_ne(access(dbpath, F_OK), -1);
	free(before);
	free(after);

	n = nodedb_check(dbpath, &probs);
	ck_assert_msg(n == 1, "%s: nodedb_check found %d problems, the first %s: %s", what, n,
		      n > 0 ? probs[0].path : "", n > 0 ? probs[0].msg : "");
	ck_assert_str_eq(probs[0].path, want_path);
	ck_assert_msg(!strncmp(probs[0].msg, want_msg, strlen(want_msg)), "%s: %s", what, probs[0].msg);
	free(probs);
}

/* One damage: set path to value (NULL: remove it); the first problem is
 * at want_path and its message starts with want_msg. */
struct damage {
	const char *path, *value;
	const char *want_path, *want_msg;
};

static const struct damage damages[] = {
	/* as filed in issue 10 */
	{ "nodes[3].UUID", "\"0123456789abcdef0123456789abcdeX\"", "nodes[3].UUID", "not a UUID" },
	{ "nodes[3].UUID", "\"0123\"", "nodes[3].UUID", "not a UUID" },
	{ "nodes[3].unicastAddress", "\"0011\"", "nodes[3].unicastAddress", "0011 overlaps nodes[1] (0011-0012)" },
	{ "nodes[0].sequenceNumber", "-5", "nodes[0].sequenceNumber", "-5 is out of range (0..16777215)" },
	{ "nodes[0].sequenceNumber", "16777216", "nodes[0].sequenceNumber", "16777216 is out of range" },
	{ "nodes[0].sequenceNumber", "\"12\"", "nodes[0].sequenceNumber", "not an integer (0..16777215)" },
	{ "ivIndex", "-1", "ivIndex", "-1 is out of range (0..4294967295)" },
	{ "provisioners", "[]", "provisioners", "empty" },
	{ "nodes[0]", NULL, "nodes", "meshprov's own node (UUID as in provisioners[0]) is missing" },
	/* and the rest of the file */
	{ "ivIndex", "4294967296", "ivIndex", "4294967296 is out of range" },
	{ "ivIndex", "1.5", "ivIndex", "not an integer" },
	{ "ivUpdate", "2", "ivUpdate", "not true, false, 0 or 1" },
	{ "meshUUID", "\"mesh\"", "meshUUID", "not a UUID" },
	{ "nodes", "{}", "nodes", "not an array" },
	{ "netKeys", "[]", "netKeys", "empty" },
	{ "netKeys[0].index", "4096", "netKeys[0].index", "4096 is out of range (0..4095)" },
	{ "netKeys[0].index", NULL, "netKeys[0].index", "missing" },
	{ "netKeys[0].key", "\"00112233445566778899AABBCCDDEEF\"", "netKeys[0].key", "not a key (32 hex digits)" },
	{ "netKeys[0].phase", "3", "netKeys[0].phase", "3 is out of range (0..2)" },
	{ "netKeys[1]", "{\"index\": 0, \"key\": \"00112233445566778899AABBCCDDEEFF\"}", "netKeys[1].index",
	  "0 again (netKeys[0])" },
	{ "appKeys[0].boundNetKey", "7", "appKeys[0].boundNetKey", "no NetKey 7 in netKeys" },
	{ "appKeys[0].key", "5", "appKeys[0].key", "not a key" },
	{ "appKeys[0]", "[]", "appKeys[0]", "not an object" },
	{ "provisioners[0].UUID", "\"me\"", "provisioners[0].UUID", "not a UUID" },
	{ "provisioners[0].allocatedUnicastRange[0].lowAddress", "\"8000\"",
	  "provisioners[0].allocatedUnicastRange[0].lowAddress", "8000 is not a unicast address (0001-7FFF)" },
	{ "provisioners[0].allocatedUnicastRange[0].highAddress", NULL,
	  "provisioners[0].allocatedUnicastRange[0].highAddress", "missing" },
	{ "provisioners[0].allocatedUnicastRange[0].highAddress", "\"0010\"", "provisioners[0].allocatedUnicastRange[0]",
	  "lowAddress 0011 is above highAddress 0010" },
	{ "provisioners[1]", "{\"provisionerName\": \"meshprov\", \"UUID\": \"00000000000000000000000000000001\"}",
	  "provisioners[1].provisionerName", "a second \"meshprov\" (provisioners[0])" },
	{ "nodes[1]", "5", "nodes[1]", "not an object" },
	{ "nodes[2].UUID", NULL, "nodes[2].UUID", "missing" },
	{ "nodes[2].unicastAddress", NULL, "nodes[2].unicastAddress", "missing" },
	{ "nodes[2].unicastAddress", "\"0000\"", "nodes[2].unicastAddress", "0000 is not a unicast address" },
	{ "nodes[2].unicastAddress", "\"C000\"", "nodes[2].unicastAddress", "C000 is not a unicast address" },
	{ "nodes[2].unicastAddress", "\"13\"", "nodes[2].unicastAddress", "not a unicast address (4 hex digits)" },
	{ "nodes[2].unicastAddress", "19", "nodes[2].unicastAddress", "not a unicast address" },
	{ "nodes[2].unicastAddress", "\"0012\"", "nodes[2].unicastAddress", "0012 overlaps nodes[1] (0011-0012)" },
	{ "nodes[1].unicastAddress", "\"0014\"", "nodes[3].unicastAddress", "0014 overlaps nodes[1] (0014-0015)" },
	{ "nodes[1].unicastAddress", "\"7FFF\"", "nodes[1].elements", "2 elements from 7FFF pass 7FFF" },
	{ "nodes[2].unicastAddress", "\"0001\"", "nodes[2].unicastAddress", "0001 overlaps nodes[0] (0001)" },
	{ "nodes[2].deviceKey", "\"00\"", "nodes[2].deviceKey", "not a key" },
	{ "nodes[2].elements", "{}", "nodes[2].elements", "not an array" },
	{ "nodes[2].elements[0]", "7", "nodes[2].elements[0]", "not an object" },
	{ "nodes[2].netKeys[0].index", "\"0\"", "nodes[2].netKeys[0].index", "not an integer" },
	{ "nodes[2].appKeys", "[{\"index\": 5000}]", "nodes[2].appKeys[0].index", "5000 is out of range" },
	{ "nodes[2].configComplete", "\"yes\"", "nodes[2].configComplete", "not true or false" },
	{ "nodes[2].name", "5", "nodes[2].name", "not a string" },
	{ "nodes[2].meshprovConfigError", "[]", "nodes[2].meshprovConfigError", "not a string" },
	{ "nodes[0].unicastAddress", "\"x\"", "nodes[0].unicastAddress", "not a unicast address" },
	{ "nodes[0].deviceKey", "\"x\"", "nodes[0].deviceKey", "not a key" },
	{ "nodes[0].meshprovSeqIvIndex", "5", "nodes[0].meshprovSeqIvIndex",
	  "5 is newer than the IV Index in use (0)" },
	{ "nodes[0].meshprovSeqIvIndex", "-1", "nodes[0].meshprovSeqIvIndex", "-1 is out of range" },
	{ "networkExclusions", "[{\"ivIndex\": 0, \"addresses\": [\"0020\", \"8001\"]}]",
	  "networkExclusions[0].addresses[1]", "8001 is not a unicast address" },
	{ "networkExclusions", "[{\"addresses\": []}]", "networkExclusions[0].ivIndex", "missing" },
	{ "networkExclusions", "[{\"ivIndex\": 0, \"addresses\": 5}]", "networkExclusions[0].addresses",
	  "not an array" },
};

START_TEST(test_damaged)
{
	const struct damage *d = &damages[_i];
	struct json_object *root = good_db();
	char what[256];

	snprintf(what, sizeof(what), "%s = %s", d->path, d->value ? d->value : "(removed)");
	jset(root, d->path, d->value);
	expect_refused(root, what, d->want_path, d->want_msg);
	json_object_put(root);
}
END_TEST

START_TEST(test_duplicate_uuid)
{
	struct json_object *root = good_db();
	char *u = jtext_at(root, "nodes[1].UUID");

	jset(root, "nodes[3].UUID", u);
	expect_refused(root, "duplicate UUID", "nodes[3].UUID", "the same UUID as nodes[1]");
	free(u);
	/* the own node's UUID on another node */
	json_object_put(root);
	unlink(dbpath);
	root = good_db();
	u = jtext_at(root, "nodes[0].UUID");
	jset(root, "nodes[2].UUID", u);
	expect_refused(root, "own UUID", "nodes[2].UUID", "the same UUID as nodes[0]");
	free(u);
	json_object_put(root);
}
END_TEST

/* The good database, and files other tools write, are accepted. */
START_TEST(test_good)
{
	struct json_object *root = good_db();
	struct nodedb_problem *probs = (void *)1;
	struct nodedb *db;
	char err[512];

	ck_assert_int_eq(nodedb_check(dbpath, &probs), 0);
	ck_assert_ptr_null(probs);
	/* BlueZ: lower-case hex, ivUpdate an integer, the old "uuid" member,
	 * a node without deviceKey or elements (partial), an exclusion */
	jset(root, "ivUpdate", "1");
	jset(root, "ivIndex", "3");
	jset(root, "nodes[2].uuid", "\"0123456789abcdef0123456789abcdef\"");
	jset(root, "nodes[2].UUID", NULL);
	jset(root, "nodes[2].deviceKey", NULL);
	jset(root, "nodes[2].elements", "[]");
	jset(root, "nodes[0].sequenceNumber", "16777215");
	jset(root, "nodes[0].meshprovSeqIvIndex", "2");
	jset(root, "networkExclusions", "[{\"ivIndex\": 2, \"addresses\": [\"0015\"]}]");
	spit(json_object_to_json_string(root));
	ck_assert_int_eq(nodedb_check(dbpath, &probs), 0);
	db = nodedb_open(dbpath, 0, err, sizeof(err));
	ck_assert_msg(db != NULL, "%s", err);
	ck_assert_uint_eq(nodedb_count(db), 3); /* nothing skipped */
	nodedb_close(db);
	/* a foreign file without provisioners or nodes: ours are added */
	spit("{\"netKeys\": [{\"index\": 0, \"key\": \"00112233445566778899AABBCCDDEEFF\"}]}");
	ck_assert_int_eq(nodedb_check(dbpath, &probs), 0);
	json_object_put(root);
}
END_TEST

/* Every problem at once, members in file order, then across records; the
 * open names the first and how many. */
START_TEST(test_all_problems)
{
	static const char *const want[][2] = {
		{ "ivIndex", "-1 is out of range" },
		{ "netKeys[0].key", "not a key" },
		{ "nodes[0].sequenceNumber", "-5 is out of range" },
		{ "nodes[2].UUID", "not a UUID" },
		{ "nodes[3].unicastAddress", "0011 overlaps nodes[1] (0011-0012)" },
	};
	struct json_object *root = good_db();
	struct nodedb_problem *probs;
	char err[1024], first[1024];
	int n;

	jset(root, "ivIndex", "-1");
	jset(root, "netKeys[0].key", "\"\"");
	jset(root, "nodes[0].sequenceNumber", "-5");
	jset(root, "nodes[2].UUID", "\"\"");
	jset(root, "nodes[3].unicastAddress", "\"0011\"");
	spit(json_object_to_json_string(root));
	n = nodedb_check(dbpath, &probs);
	ck_assert_int_eq(n, (int)ARRAY_SIZE(want));
	for (int i = 0; i < n; i++) {
		ck_assert_str_eq(probs[i].path, want[i][0]);
		ck_assert_msg(!strncmp(probs[i].msg, want[i][1], strlen(want[i][1])), "%s", probs[i].msg);
	}
	free(probs);
	ck_assert_ptr_null(nodedb_open(dbpath, 0, err, sizeof(err)));
	snprintf(first, sizeof(first), "database %s: 5 problems, the first: ivIndex: -1 is out of range", dbpath);
	ck_assert_msg(!strncmp(err, first, strlen(first)), "%s", err);
	ck_assert_ptr_nonnull(strstr(err, "; meshprov nodes check lists them"));
	json_object_put(root);
}
END_TEST

/* Not JSON, or no file: one problem without path, or -ENOENT. */
START_TEST(test_unreadable)
{
	struct nodedb_problem *probs;

	ck_assert_int_eq(nodedb_check(dbpath, &probs), -ENOENT);
	spit("{\"netKeys\": [1,, 2]}");
	ck_assert_int_eq(nodedb_check(dbpath, &probs), 1);
	ck_assert_str_eq(probs[0].path, "");
	ck_assert_ptr_nonnull(strstr(probs[0].msg, "not valid JSON"));
	ck_assert_ptr_nonnull(strstr(probs[0].msg, "line 1"));
	free(probs);
	spit("[]");
	ck_assert_int_eq(nodedb_check(dbpath, &probs), 1);
	ck_assert_str_eq(probs[0].path, "");
	free(probs);
	spit("{\"nodes\": []}");
	ck_assert_int_eq(nodedb_check(dbpath, &probs), 1);
	ck_assert_str_eq(probs[0].path, "netKeys");
	ck_assert_str_eq(probs[0].msg, "missing (not a mesh configuration database)");
	free(probs);
}
END_TEST

/* The check reads without the lock: it works while the database is open. */
START_TEST(test_check_while_locked)
{
	struct json_object *root = good_db();
	struct nodedb_problem *probs;
	char err[512];
	struct nodedb *db = nodedb_open(dbpath, 0, err, sizeof(err));

	ck_assert_msg(db != NULL, "%s", err);
	ck_assert_int_eq(nodedb_check(dbpath, &probs), 0);
	nodedb_close(db);
	json_object_put(root);
}
END_TEST

static Suite *nodedb_check_suite(void)
{
	Suite *s = suite_create("nodedb_check");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, test_dir_teardown);
	tcase_add_loop_test(tc, test_damaged, 0, (int)ARRAY_SIZE(damages));
	tcase_add_test(tc, test_duplicate_uuid);
	tcase_add_test(tc, test_good);
	tcase_add_test(tc, test_all_problems);
	tcase_add_test(tc, test_unreadable);
	tcase_add_test(tc, test_check_while_locked);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(nodedb_check_suite)
