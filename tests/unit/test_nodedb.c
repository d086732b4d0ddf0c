/* Unit tests for the node database (CDB JSON file). Each test works in its
 * own fresh temporary directory. */
#include <errno.h>
#include <fcntl.h>
#include <json.h>
#include <openssl/crypto.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cfgmsg.h"
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

static char *tmp_path(const char *base)
{
	static char buf[1024];

	snprintf(buf, sizeof(buf), "%s.tmp", base);
	return buf;
}

static struct json_object *load_json(const char *path)
{
	char *text = read_file_str(path, NULL);
	struct json_object *o;

	ck_assert_ptr_nonnull(text);
	o = json_tokener_parse(text);
	free(text);
	ck_assert_ptr_nonnull(o);
	return o;
}

static struct json_object *jget(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	ck_assert_msg(json_object_object_get_ex(o, key, &v), "missing \"%s\"", key);
	return v;
}

static const char *jstr(struct json_object *o, const char *key)
{
	struct json_object *v = jget(o, key);

	ck_assert_msg(json_object_is_type(v, json_type_string), "\"%s\" is not a string", key);
	return json_object_get_string(v);
}

static int64_t jint(struct json_object *o, const char *key)
{
	struct json_object *v = jget(o, key);

	ck_assert_msg(json_object_is_type(v, json_type_int), "\"%s\" is not an integer", key);
	return json_object_get_int64(v);
}

static bool jbool(struct json_object *o, const char *key)
{
	struct json_object *v = jget(o, key);

	ck_assert_msg(json_object_is_type(v, json_type_boolean), "\"%s\" is not a boolean", key);
	return json_object_get_boolean(v);
}

static struct json_object *jarr(struct json_object *o, const char *key)
{
	struct json_object *v = jget(o, key);

	ck_assert_msg(json_object_is_type(v, json_type_array), "\"%s\" is not an array", key);
	return v;
}

static bool is_upper_hex(const char *s, size_t n)
{
	if (strlen(s) != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'A' && s[i] <= 'F')))
			return false;
	return true;
}

static bool is_uuid_form(const char *s)
{
	if (strlen(s) != 36)
		return false;
	for (size_t i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return false;
		} else if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'A' && s[i] <= 'F'))) {
			return false;
		}
	}
	return true;
}

static struct json_object *find_by(struct json_object *arr, const char *key, const char *val)
{
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		struct json_object *o = json_object_array_get_idx(arr, i), *v;

		if (json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string) &&
		    !strcasecmp(json_object_get_string(v), val))
			return o;
	}
	return NULL;
}

/* The "nodes" entry with this UUID (8-4-4-4-12 form) in a loaded file. */
static struct json_object *file_node(struct json_object *root, const char *uuid)
{
	struct json_object *n = find_by(jarr(root, "nodes"), "UUID", uuid);

	ck_assert_msg(n != NULL, "no node %s in the file", uuid);
	return n;
}

/* meshprov's own node in a loaded file: the node with our provisioner's UUID. */
static struct json_object *file_self(struct json_object *root)
{
	struct json_object *p = find_by(jarr(root, "provisioners"), "provisionerName", "meshprov");

	ck_assert_ptr_nonnull(p);
	return file_node(root, jstr(p, "UUID"));
}

static struct nodedb *open_ok(unsigned wait_ms)
{
	char err[512];
	struct nodedb *db = nodedb_open(dbpath, wait_ms, err, sizeof(err));

	ck_assert_msg(db != NULL, "nodedb_open: %s", err);
	return db;
}

static void commit_ok(struct nodedb *db)
{
	char err[512];
	int r = nodedb_commit(db, err, sizeof(err));

	ck_assert_msg(r == 0, "nodedb_commit: %d %s", r, err);
}

static struct nodedb_node mknode(uint8_t tag, uint16_t unicast, uint8_t elements, const char *name)
{
	struct nodedb_node n;

	memset(&n, 0, sizeof(n));
	for (int i = 0; i < 16; i++) {
		n.uuid[i] = (uint8_t)(tag * 16 + i);
		n.devkey[i] = (uint8_t)(0xA0 ^ tag ^ (i * 7));
	}
	n.uuid[15] = tag; /* unique per tag */
	n.unicast = unicast;
	n.elements = elements;
	n.net_key_index = 0;
	snprintf(n.name, sizeof(n.name), "%s", name ? name : "");
	return n;
}

static uint64_t now_ms(void)
{
	return mono_ms();
}

/* ---- create, commit, reopen ---- */

START_TEST(test_create_commit)
{
	struct nodedb *db = open_ok(0);
	struct json_object *root, *a, *k, *p, *r;
	struct stat st;
	char lockp[600];

	/* created in memory only */
	ck_assert(!test_file_exists(dbpath));
	commit_ok(db);
	ck_assert_int_eq(stat(dbpath, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	ck_assert(!test_file_exists(tmp_path(dbpath)));
	snprintf(lockp, sizeof(lockp), "%s.lock", dbpath);
	ck_assert_int_eq(stat(lockp, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);

	root = load_json(dbpath);
	ck_assert_str_eq(jstr(root, "$schema"), "http://json-schema.org/draft-04/schema#");
	ck_assert_str_eq(jstr(root, "id"),
			 "https://www.bluetooth.com/specifications/specs/mesh-cdb-1-0-1-schema.json#");
	ck_assert_str_eq(jstr(root, "version"), "1.0.1");
	ck_assert(is_uuid_form(jstr(root, "meshUUID")));
	ck_assert_uint_gt(strlen(jstr(root, "meshName")), 0);
	ck_assert_uint_eq(strlen(jstr(root, "timestamp")), 20); /* 2024-01-02T03:04:05Z */
	ck_assert_int_eq(jstr(root, "timestamp")[10], 'T');
	ck_assert(!jbool(root, "partial"));
	ck_assert_int_eq(jint(root, "ivIndex"), 0);
	ck_assert_int_eq(jint(root, "ivUpdate"), 0);

	a = jarr(root, "netKeys");
	ck_assert_uint_eq(json_object_array_length(a), 1);
	k = json_object_array_get_idx(a, 0);
	ck_assert_int_eq(jint(k, "index"), 0);
	ck_assert(is_upper_hex(jstr(k, "key"), 32));
	ck_assert_int_eq(jint(k, "phase"), 0);
	ck_assert_str_eq(jstr(k, "minSecurity"), "secure");
	jstr(k, "name");
	jstr(k, "timestamp");

	a = jarr(root, "appKeys");
	ck_assert_uint_eq(json_object_array_length(a), 1);
	k = json_object_array_get_idx(a, 0);
	ck_assert_int_eq(jint(k, "index"), 0);
	ck_assert_int_eq(jint(k, "boundNetKey"), 0);
	ck_assert(is_upper_hex(jstr(k, "key"), 32));
	jstr(k, "name");

	a = jarr(root, "provisioners");
	ck_assert_uint_eq(json_object_array_length(a), 1);
	p = json_object_array_get_idx(a, 0);
	ck_assert_str_eq(jstr(p, "provisionerName"), "meshprov");
	ck_assert(is_uuid_form(jstr(p, "UUID")));
	a = jarr(p, "allocatedUnicastRange");
	ck_assert_uint_eq(json_object_array_length(a), 1);
	r = json_object_array_get_idx(a, 0);
	ck_assert_str_eq(jstr(r, "lowAddress"), "0011");
	ck_assert_str_eq(jstr(r, "highAddress"), "7FFF");
	jarr(p, "allocatedGroupRange");
	jarr(p, "allocatedSceneRange");

	/* only meshprov's own node (test_self_node) */
	ck_assert_ptr_null(find_by(jarr(root, "nodes"), "UUID", "20212223-2425-2627-2829-2A2B2C2D2E02"));
	ck_assert_str_eq(jstr(json_object_array_get_idx(jarr(root, "nodes"), 0), "UUID"), jstr(p, "UUID"));
	jarr(root, "groups");
	jarr(root, "scenes");
	jarr(root, "networkExclusions");
	json_object_put(root);
	nodedb_close(db);
}
END_TEST

START_TEST(test_reopen_same_keys)
{
	struct nodedb *db = open_ok(0);
	uint8_t nk[16], ak[16], nk2[16], ak2[16], zero[16] = { 0 };
	uint16_t bound = 0xFFFF, lo, hi;

	ck_assert_int_eq(nodedb_net_key(db, 0, nk), 0);
	ck_assert_int_eq(nodedb_app_key(db, 0, &bound, ak), 0);
	ck_assert_int_eq(bound, 0);
	ck_assert(memcmp(nk, zero, 16) != 0);
	ck_assert(memcmp(ak, zero, 16) != 0);
	ck_assert(memcmp(nk, ak, 16) != 0);
	ck_assert_int_eq(nodedb_net_key(db, 1, nk2), -ENOENT);
	ck_assert_int_eq(nodedb_app_key(db, 1, NULL, ak2), -ENOENT);
	ck_assert_uint_eq(nodedb_iv_index(db), 0);
	commit_ok(db);
	nodedb_close(db);

	db = open_ok(0);
	ck_assert_int_eq(nodedb_net_key(db, 0, nk2), 0);
	bound = 0xFFFF;
	ck_assert_int_eq(nodedb_app_key(db, 0, &bound, ak2), 0);
	ck_assert_int_eq(bound, 0);
	ck_assert_mem_eq(nk, nk2, 16);
	ck_assert_mem_eq(ak, ak2, 16);
	ck_assert_uint_eq(nodedb_iv_index(db), 0);
	ck_assert(!nodedb_iv_update(db));
	nodedb_get_unicast_range(db, &lo, &hi);
	ck_assert_uint_eq(lo, 0x0011);
	ck_assert_uint_eq(hi, 0x7FFF);
	ck_assert_uint_eq(nodedb_count(db), 0);

	/* IV Index survives a commit */
	nodedb_set_iv_index(db, 0x12345678, true);
	commit_ok(db);
	nodedb_close(db);
	db = open_ok(0);
	ck_assert_uint_eq(nodedb_iv_index(db), 0x12345678);
	ck_assert(nodedb_iv_update(db));
	nodedb_close(db);
}
END_TEST

START_TEST(test_two_databases_differ)
{
	struct nodedb *db = open_ok(0);
	uint8_t a[16], b[16];
	char other[600], err[256];
	struct nodedb *db2;

	snprintf(other, sizeof(other), "%s/other.json", test_dir);
	db2 = nodedb_open(other, 0, err, sizeof(err));
	ck_assert_msg(db2 != NULL, "%s", err);
	ck_assert_int_eq(nodedb_net_key(db, 0, a), 0);
	ck_assert_int_eq(nodedb_net_key(db2, 0, b), 0);
	ck_assert(memcmp(a, b, 16) != 0);
	nodedb_close(db2);
	nodedb_close(db);
}
END_TEST

/* ---- nodes ---- */

START_TEST(test_add_find_reopen)
{
	struct nodedb *db = open_ok(0);
	struct nodedb_node n = mknode(1, 0, 3, "kitchen light"), got;
	struct json_object *root, *node, *a, *e;
	uint16_t addr;
	char *text;

	ck_assert_int_eq(nodedb_alloc_unicast(db, 3, &addr), 0);
	ck_assert_uint_eq(addr, 0x0011);
	n.unicast = addr;
	ck_assert_int_eq(nodedb_add_node(db, &n), 0);
	ck_assert_uint_eq(nodedb_count(db), 1);
	commit_ok(db);
	nodedb_close(db);

	db = open_ok(0);
	ck_assert_uint_eq(nodedb_count(db), 1);
	memset(&got, 0xEE, sizeof(got));
	ck_assert_int_eq(nodedb_find_uuid(db, n.uuid, &got), 0);
	ck_assert_mem_eq(got.uuid, n.uuid, 16);
	ck_assert_mem_eq(got.devkey, n.devkey, 16);
	ck_assert_uint_eq(got.unicast, 0x0011);
	ck_assert_uint_eq(got.elements, 3);
	ck_assert_uint_eq(got.net_key_index, 0);
	ck_assert_str_eq(got.name, "kitchen light");
	for (uint16_t a2 = 0x0011; a2 <= 0x0013; a2++) {
		memset(&got, 0, sizeof(got));
		ck_assert_int_eq(nodedb_find_addr(db, a2, &got), 0);
		ck_assert_mem_eq(got.uuid, n.uuid, 16);
	}
	ck_assert_int_eq(nodedb_find_addr(db, 0x0010, &got), -ENOENT);
	ck_assert_int_eq(nodedb_find_addr(db, 0x0014, &got), -ENOENT);
	ck_assert_int_eq(nodedb_node_at(db, 0, &got), 0);
	ck_assert_mem_eq(got.uuid, n.uuid, 16);
	ck_assert_int_eq(nodedb_node_at(db, 1, &got), -ENOENT);
	{
		uint8_t other[16] = { 9 };

		ck_assert_int_eq(nodedb_find_uuid(db, other, &got), -ENOENT);
	}
	nodedb_close(db);

	/* the CDB node entry */
	root = load_json(dbpath);
	a = jarr(root, "nodes");
	ck_assert_uint_eq(json_object_array_length(a), 2); /* and meshprov's own node */
	node = file_node(root, "10111213-1415-1617-1819-1A1B1C1D1E01");
	ck_assert_str_eq(jstr(node, "unicastAddress"), "0011");
	ck_assert(is_upper_hex(jstr(node, "deviceKey"), 32));
	ck_assert_str_eq(jstr(node, "security"), "secure");
	ck_assert_str_eq(jstr(node, "name"), "kitchen light");
	ck_assert(!jbool(node, "configComplete"));
	ck_assert(!jbool(node, "excluded"));
	ck_assert_uint_eq(json_object_array_length(jarr(node, "appKeys")), 0);
	a = jarr(node, "netKeys");
	ck_assert_uint_eq(json_object_array_length(a), 1);
	ck_assert_int_eq(jint(json_object_array_get_idx(a, 0), "index"), 0);
	ck_assert(!jbool(json_object_array_get_idx(a, 0), "updated"));
	a = jarr(node, "elements");
	ck_assert_uint_eq(json_object_array_length(a), 3);
	for (size_t i = 0; i < 3; i++) {
		e = json_object_array_get_idx(a, i);
		ck_assert_int_eq(jint(e, "index"), (int64_t)i);
		ck_assert_str_eq(jstr(e, "location"), "0000");
		jstr(e, "name");
		ck_assert_uint_eq(json_object_array_length(jarr(e, "models")), 0);
	}
	json_object_put(root);

	/* the device key is in the file, in upper-case hex */
	text = read_file_str(dbpath, NULL);
	{
		char hex[33];

		for (int i = 0; i < 16; i++)
			snprintf(hex + 2 * i, 3, "%02X", n.devkey[i]);
		ck_assert_ptr_nonnull(strstr(text, hex));
	}
	free(text);
}
END_TEST

START_TEST(test_alloc_sequence)
{
	struct nodedb *db = open_ok(0);
	struct nodedb_node n = mknode(1, 0x0011, 3, NULL);
	uint16_t a, b, c;

	ck_assert_int_eq(nodedb_alloc_unicast(db, 3, &a), 0);
	ck_assert_uint_eq(a, 0x0011);
	ck_assert_int_eq(nodedb_add_node(db, &n), 0);
	ck_assert_int_eq(nodedb_alloc_unicast(db, 1, &b), 0);
	ck_assert_uint_eq(b, 0x0014);
	/* never handed out twice, even without adding a node or committing */
	ck_assert_int_eq(nodedb_alloc_unicast(db, 1, &c), 0);
	ck_assert_uint_eq(c, 0x0015);
	ck_assert_int_eq(nodedb_alloc_unicast(db, 2, &c), 0);
	ck_assert_uint_eq(c, 0x0016);
	ck_assert(!nodedb_unicast_free(db, 0x0014, 1)); /* reserved */
	ck_assert(!nodedb_unicast_free(db, 0x0013, 1)); /* node */
	ck_assert(nodedb_unicast_free(db, 0x0018, 4));
	ck_assert(!nodedb_unicast_free(db, 0x0000, 1));
	ck_assert(!nodedb_unicast_free(db, 0x7FFF, 2));
	ck_assert(!nodedb_unicast_free(db, 0x0020, 0));
	ck_assert(nodedb_unicast_free(db, 0x0002, 1)); /* outside our range, but a user may choose it */
	ck_assert(!nodedb_unicast_free(db, 0x0001, 1)); /* meshprov's own node */
	ck_assert_int_eq(nodedb_alloc_unicast(db, 0, &c), -EINVAL);

	/* a user-given address, reserved */
	ck_assert_int_eq(nodedb_reserve_unicast(db, 0x0018, 2), 0);
	ck_assert_int_eq(nodedb_reserve_unicast(db, 0x0019, 1), -EEXIST);
	ck_assert_int_eq(nodedb_alloc_unicast(db, 1, &c), 0);
	ck_assert_uint_eq(c, 0x001A);
	nodedb_close(db);

	/* a new session forgets reservations, not nodes */
	db = open_ok(0);
	ck_assert_uint_eq(nodedb_count(db), 0); /* nothing committed */
	ck_assert_int_eq(nodedb_alloc_unicast(db, 1, &c), 0);
	ck_assert_uint_eq(c, 0x0011);
	nodedb_close(db);
}
END_TEST

START_TEST(test_alloc_holes)
{
	struct nodedb *db = open_ok(0);
	struct nodedb_node n1 = mknode(1, 0x0011, 1, NULL), n2 = mknode(2, 0x0013, 1, NULL),
			   n3 = mknode(3, 0x0016, 2, NULL), n4 = mknode(4, 0x001B, 1, NULL);
	uint16_t a;

	ck_assert_int_eq(nodedb_add_node(db, &n1), 0);
	ck_assert_int_eq(nodedb_add_node(db, &n2), 0);
	ck_assert_int_eq(nodedb_add_node(db, &n3), 0);
	ck_assert_int_eq(nodedb_add_node(db, &n4), 0);
	commit_ok(db);
	nodedb_close(db);

	/* used: 11, 13, 16-17, 1B */
	db = open_ok(0);
	ck_assert_uint_eq(nodedb_count(db), 4);
	ck_assert_int_eq(nodedb_alloc_unicast(db, 2, &a), 0); /* 12 is too small, 14-15 fits */
	ck_assert_uint_eq(a, 0x0014);
	ck_assert_int_eq(nodedb_alloc_unicast(db, 1, &a), 0);
	ck_assert_uint_eq(a, 0x0012);
	ck_assert_int_eq(nodedb_alloc_unicast(db, 4, &a), 0); /* 18-1A is 3, next is 1C */
	ck_assert_uint_eq(a, 0x001C);
	ck_assert_int_eq(nodedb_alloc_unicast(db, 3, &a), 0);
	ck_assert_uint_eq(a, 0x0018);
	ck_assert_int_eq(nodedb_alloc_unicast(db, 1, &a), 0);
	ck_assert_uint_eq(a, 0x0020);
	nodedb_close(db);
}
END_TEST

START_TEST(test_alloc_full)
{
	struct nodedb *db = open_ok(0);
	uint16_t a, lo, hi;
	struct json_object *root, *r;

	nodedb_set_unicast_range(db, 0x0100, 0x0104);
	nodedb_get_unicast_range(db, &lo, &hi);
	ck_assert_uint_eq(lo, 0x0100);
	ck_assert_uint_eq(hi, 0x0104);
	nodedb_set_unicast_range(db, 0x0000, 0x0010); /* invalid: ignored */
	nodedb_set_unicast_range(db, 0x0020, 0x0010);
	nodedb_set_unicast_range(db, 0x0020, 0x8000);
	nodedb_get_unicast_range(db, &lo, &hi);
	ck_assert_uint_eq(lo, 0x0100);
	ck_assert_uint_eq(hi, 0x0104);

	ck_assert_int_eq(nodedb_alloc_unicast(db, 3, &a), 0);
	ck_assert_uint_eq(a, 0x0100);
	ck_assert_int_eq(nodedb_alloc_unicast(db, 3, &a), -ENOSPC);
	ck_assert_int_eq(nodedb_alloc_unicast(db, 2, &a), 0);
	ck_assert_uint_eq(a, 0x0103);
	ck_assert_int_eq(nodedb_alloc_unicast(db, 1, &a), -ENOSPC);
	commit_ok(db);
	nodedb_close(db);

	root = load_json(dbpath);
	r = json_object_array_get_idx(jarr(json_object_array_get_idx(jarr(root, "provisioners"), 0),
					   "allocatedUnicastRange"), 0);
	ck_assert_str_eq(jstr(r, "lowAddress"), "0100");
	ck_assert_str_eq(jstr(r, "highAddress"), "0104");
	json_object_put(root);

	/* the whole unicast space but 0001 (meshprov's own node): 255-element
	 * nodes until it is full */
	db = open_ok(0);
	nodedb_set_unicast_range(db, 0x0001, 0x7FFF);
	for (unsigned i = 0;; i++) {
		int r2 = nodedb_alloc_unicast(db, 255, &a);

		if (r2 == -ENOSPC) {
			ck_assert_uint_eq(i, 0x7FFE / 255);
			break;
		}
		ck_assert_int_eq(r2, 0);
		ck_assert_uint_eq(a, 2 + 255 * i);
	}
	ck_assert_int_eq(nodedb_alloc_unicast(db, 0x7FFE % 255, &a), 0);
	ck_assert_int_eq(nodedb_alloc_unicast(db, 1, &a), -ENOSPC);
	nodedb_close(db);
}
END_TEST

START_TEST(test_add_overlap)
{
	struct nodedb *db = open_ok(0);
	struct nodedb_node a = mknode(1, 0x0020, 3, NULL), b = mknode(2, 0x0022, 1, NULL);

	ck_assert_int_eq(nodedb_add_node(db, &a), 0);
	ck_assert_int_eq(nodedb_add_node(db, &b), -EEXIST); /* inside a */
	b.unicast = 0x001F;
	b.elements = 2;
	ck_assert_int_eq(nodedb_add_node(db, &b), -EEXIST); /* 1F-20 */
	b.unicast = 0x0010;
	b.elements = 20;
	ck_assert_int_eq(nodedb_add_node(db, &b), -EEXIST); /* covers a */
	b.unicast = 0x0023;
	b.elements = 1;
	ck_assert_int_eq(nodedb_add_node(db, &b), 0); /* right after a */
	{
		struct nodedb_node c = mknode(1, 0x0030, 1, NULL); /* a's UUID */

		ck_assert_int_eq(nodedb_add_node(db, &c), -EEXIST);
		c = mknode(3, 0x0000, 1, NULL);
		ck_assert_int_eq(nodedb_add_node(db, &c), -EINVAL);
		c = mknode(3, 0x7FFF, 2, NULL);
		ck_assert_int_eq(nodedb_add_node(db, &c), -EINVAL);
		c = mknode(3, 0x0040, 0, NULL);
		ck_assert_int_eq(nodedb_add_node(db, &c), -EINVAL);
		c = mknode(3, 0x7FFF, 1, NULL);
		ck_assert_int_eq(nodedb_add_node(db, &c), 0);
	}
	ck_assert_uint_eq(nodedb_count(db), 3);
	nodedb_close(db);
}
END_TEST

START_TEST(test_remove)
{
	struct nodedb *db = open_ok(0);
	struct nodedb_node a = mknode(1, 0x0011, 2, "a"), b = mknode(2, 0x0013, 1, "b"), got;
	struct json_object *root, *ex;
	uint16_t addr;

	ck_assert_int_eq(nodedb_add_node(db, &a), 0);
	ck_assert_int_eq(nodedb_add_node(db, &b), 0);
	commit_ok(db);
	nodedb_close(db);

	db = open_ok(0);
	ck_assert_int_eq(nodedb_remove_node(db, a.uuid), 0);
	ck_assert_int_eq(nodedb_remove_node(db, a.uuid), -ENOENT);
	ck_assert_uint_eq(nodedb_count(db), 1);
	ck_assert_int_eq(nodedb_find_uuid(db, a.uuid, &got), -ENOENT);
	ck_assert_int_eq(nodedb_find_addr(db, 0x0011, &got), -ENOENT);
	ck_assert_int_eq(nodedb_find_addr(db, 0x0013, &got), 0);
	ck_assert_str_eq(got.name, "b");
	ck_assert_int_eq(nodedb_node_at(db, 0, &got), 0);
	ck_assert_mem_eq(got.uuid, b.uuid, 16);
	commit_ok(db);
	nodedb_close(db);

	db = open_ok(0);
	ck_assert_uint_eq(nodedb_count(db), 1);
	ck_assert_int_eq(nodedb_find_uuid(db, a.uuid, NULL), -ENOENT);
	ck_assert_int_eq(nodedb_find_uuid(db, b.uuid, NULL), 0);
	/* a's addresses wait in networkExclusions until IV Index + 2: not
	 * allocated, though a user may still choose them */
	ck_assert(nodedb_unicast_free(db, 0x0011, 2));
	ck_assert(!nodedb_unicast_free(db, 0x0013, 1));
	ck_assert_int_eq(nodedb_alloc_unicast(db, 1, &addr), 0);
	ck_assert_uint_eq(addr, 0x0014);
	nodedb_close(db);

	root = load_json(dbpath);
	ck_assert_uint_eq(json_object_array_length(jarr(root, "nodes")), 2); /* b and meshprov's own node */
	file_node(root, "20212223-2425-2627-2829-2A2B2C2D2E02");
	ex = jarr(root, "networkExclusions");
	ck_assert_uint_eq(json_object_array_length(ex), 1);
	ex = json_object_array_get_idx(ex, 0);
	ck_assert_int_eq(jint(ex, "ivIndex"), 0);
	ex = jarr(ex, "addresses");
	ck_assert_uint_eq(json_object_array_length(ex), 2);
	ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(ex, 0)), "0011");
	ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(ex, 1)), "0012");
	json_object_put(root);

	db = open_ok(0);
	nodedb_set_iv_index(db, 1, true);
	ck_assert_int_eq(nodedb_alloc_unicast(db, 1, &addr), 0);
	ck_assert_uint_eq(addr, 0x0014);
	nodedb_close(db);
	db = open_ok(0);
	nodedb_set_iv_index(db, 2, false);
	ck_assert_int_eq(nodedb_alloc_unicast(db, 2, &addr), 0);
	ck_assert_uint_eq(addr, 0x0011);
	nodedb_close(db);
}
END_TEST

START_TEST(test_node_keys_config)
{
	struct nodedb *db = open_ok(0);
	struct nodedb_node a = mknode(1, 0x0011, 1, NULL);
	struct json_object *root, *node, *keys;
	uint8_t other[16] = { 0x42 };

	ck_assert_int_eq(nodedb_add_node(db, &a), 0);
	ck_assert_int_eq(nodedb_node_add_app_key(db, a.uuid, 0), 0);
	ck_assert_int_eq(nodedb_node_add_app_key(db, a.uuid, 0), 0); /* once */
	ck_assert_int_eq(nodedb_node_add_app_key(db, a.uuid, 5), -ENOENT);
	ck_assert_int_eq(nodedb_node_add_app_key(db, other, 0), -ENOENT);
	ck_assert_int_eq(nodedb_node_set_config_complete(db, a.uuid, true), 0);
	ck_assert_int_eq(nodedb_node_set_config_complete(db, other, true), -ENOENT);
	commit_ok(db);
	nodedb_close(db);

	root = load_json(dbpath);
	node = file_node(root, "10111213-1415-1617-1819-1A1B1C1D1E01");
	ck_assert(jbool(node, "configComplete"));
	keys = jarr(node, "appKeys");
	ck_assert_uint_eq(json_object_array_length(keys), 1);
	ck_assert_int_eq(jint(json_object_array_get_idx(keys, 0), "index"), 0);
	ck_assert(!jbool(json_object_array_get_idx(keys, 0), "updated"));
	json_object_put(root);
}
END_TEST

START_TEST(test_nodes_json_no_devkey)
{
	struct nodedb *db = open_ok(0);
	struct nodedb_node a = mknode(1, 0x0011, 2, "lamp"), b = mknode(2, 0x0013, 1, NULL);
	struct json_object *arr, *o;
	const char *s;
	char hex[33], HEX[33];

	ck_assert_int_eq(nodedb_add_node(db, &a), 0);
	ck_assert_int_eq(nodedb_add_node(db, &b), 0);
	arr = nodedb_nodes_json(db);
	ck_assert_ptr_nonnull(arr);
	ck_assert(json_object_is_type(arr, json_type_array));
	ck_assert_uint_eq(json_object_array_length(arr), 2);
	o = json_object_array_get_idx(arr, 0);
	ck_assert_str_eq(jstr(o, "uuid"), "101112131415161718191a1b1c1d1e01");
	ck_assert_int_eq(jint(o, "unicast"), 0x0011);
	ck_assert_int_eq(jint(o, "elements"), 2);
	ck_assert_int_eq(jint(o, "net_key_index"), 0);
	ck_assert_str_eq(jstr(o, "name"), "lamp");
	o = json_object_array_get_idx(arr, 1);
	ck_assert_int_eq(jint(o, "unicast"), 0x0013);
	ck_assert_str_eq(jstr(o, "name"), "");

	s = json_object_to_json_string(arr);
	ck_assert_ptr_null(strstr(s, "devkey"));
	ck_assert_ptr_null(strstr(s, "deviceKey"));
	for (int n = 0; n < 2; n++) {
		const struct nodedb_node *x = n ? &b : &a;

		hex_encode(x->devkey, 16, hex);
		for (int i = 0; i < 16; i++)
			snprintf(HEX + 2 * i, 3, "%02X", x->devkey[i]);
		ck_assert_ptr_null(strstr(s, hex));
		ck_assert_ptr_null(strstr(s, HEX));
		/* not even a part of one */
		hex[16] = '\0';
		HEX[16] = '\0';
		ck_assert_ptr_null(strstr(s, hex));
		ck_assert_ptr_null(strstr(s, HEX));
	}
	json_object_put(arr);

	arr = nodedb_nodes_json(db); /* empty database works too */
	json_object_put(arr);
	nodedb_close(db);
}
END_TEST

/* ---- locking ---- */

START_TEST(test_lock_other_process)
{
	struct nodedb *db = open_ok(0);
	int status;
	pid_t pid;

	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		char err[600], want[600];
		uint64_t t0 = now_ms(), dt;
		struct nodedb *db2 = nodedb_open(dbpath, 300, err, sizeof(err));

		dt = now_ms() - t0;
		snprintf(want, sizeof(want), "database %s is in use by another meshprov process", dbpath);
		if (db2)
			_exit(1);
		if (strcmp(err, want))
			_exit(2);
		if (dt < 290 || dt > 5000)
			_exit(3);
		/* wait 0: fail at once */
		t0 = now_ms();
		db2 = nodedb_open(dbpath, 0, err, sizeof(err));
		if (db2 || strcmp(err, want) || now_ms() - t0 > 200)
			_exit(4);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	nodedb_close(db);
}
END_TEST

START_TEST(test_lock_same_process)
{
	struct nodedb *db = open_ok(0), *db2;
	char err[600], want[600];
	uint64_t t0 = now_ms();

	db2 = nodedb_open(dbpath, 100, err, sizeof(err));
	ck_assert_ptr_null(db2);
	ck_assert_uint_ge(now_ms() - t0, 95);
	snprintf(want, sizeof(want), "database %s is in use by another meshprov process", dbpath);
	ck_assert_str_eq(err, want);
	nodedb_close(db);
	db2 = open_ok(0); /* released by close */
	nodedb_close(db2);
}
END_TEST

START_TEST(test_lock_wait_then_succeed)
{
	int pfd[2], status;
	pid_t pid;
	char c;
	uint64_t t0;
	struct nodedb *db;

	ck_assert_int_eq(pipe(pfd), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		char err[600];
		struct nodedb *held = nodedb_open(dbpath, 0, err, sizeof(err));
		struct timespec ts = { 0, 300 * 1000000L };

		if (!held)
			_exit(1);
		if (write(pfd[1], "x", 1) != 1)
			_exit(2);
		nanosleep(&ts, NULL);
		nodedb_close(held);
		_exit(0);
	}
	close(pfd[1]);
	ck_assert_int_eq(read(pfd[0], &c, 1), 1);
	close(pfd[0]);
	t0 = now_ms();
	db = open_ok(10000);
	ck_assert_uint_ge(now_ms() - t0, 100);
	ck_assert_uint_lt(now_ms() - t0, 5000);
	nodedb_close(db);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
}
END_TEST

/* ---- broken files ---- */

static void expect_open_fails(const char *what)
{
	char err[1024];
	struct nodedb *db;
	size_t len0, len1;
	char *before = read_file_str(dbpath, &len0), *after;

	ck_assert_ptr_nonnull(before);
	db = nodedb_open(dbpath, 0, err, sizeof(err));
	ck_assert_msg(db == NULL, "%s: opened", what);
	ck_assert_msg(strstr(err, dbpath) != NULL, "%s: message does not name the file: %s", what, err);
	ck_assert_msg(strchr(err, '\n') == NULL, "%s: more than one line", what);
	after = read_file_str(dbpath, &len1);
	ck_assert_uint_eq(len0, len1);
	ck_assert_mem_eq(before, after, len0);
	ck_assert(!test_file_exists(tmp_path(dbpath)));
	free(before);
	free(after);
}

START_TEST(test_corrupt_file)
{
	struct nodedb *db = open_ok(0);
	struct nodedb_node a = mknode(1, 0x0011, 1, NULL);
	char err[1024];
	size_t len;
	char *full;

	ck_assert_int_eq(nodedb_add_node(db, &a), 0);
	commit_ok(db);
	nodedb_close(db);

	/* truncated JSON */
	full = read_file_str(dbpath, &len);
	full[len / 2] = '\0';
	test_file_write(dbpath, full);
	free(full);
	expect_open_fails("truncated");
	db = nodedb_open(dbpath, 0, err, sizeof(err));
	ck_assert_ptr_null(db);
	ck_assert_ptr_nonnull(strstr(err, "not valid JSON"));

	/* JSON, but not a database */
	test_file_write(dbpath, "{\"meshName\": \"x\", \"nodes\": []}\n");
	expect_open_fails("no netKeys");
	db = nodedb_open(dbpath, 0, err, sizeof(err));
	ck_assert_ptr_nonnull(strstr(err, "netKeys"));

	test_file_write(dbpath, "{\"netKeys\": [{\"index\": 0, \"key\": \"not a key\"}]}");
	expect_open_fails("bad key");
	test_file_write(dbpath, "{\"netKeys\": []}");
	expect_open_fails("empty netKeys");
	test_file_write(dbpath, "[1, 2, 3]");
	expect_open_fails("array");
	test_file_write(dbpath, "");
	expect_open_fails("empty file");
	test_file_write(dbpath, "{\"netKeys\": [{\"index\": 0, \"key\": \"00112233445566778899AABBCCDDEEFF\"}]} x");
	expect_open_fails("trailing garbage");
	test_file_write(dbpath, "{\"netKeys\": [{\"index\": 0, \"key\": \"00112233445566778899AABBCCDDEEFF\"}], \"nodes\": 5}");
	expect_open_fails("nodes not an array");
	test_file_write(dbpath, "{\"a\": [1, 2,, 3]}");
	expect_open_fails("syntax error");
	db = nodedb_open(dbpath, 0, err, sizeof(err));
	ck_assert_ptr_nonnull(strstr(err, "line 1"));

	/* the minimal database is accepted, and the arrays it lacks are added */
	test_file_write(dbpath, "{\"netKeys\": [{\"index\": 0, \"key\": \"00112233445566778899AABBCCDDEEFF\"}]}");
	db = open_ok(0);
	{
		uint8_t k[16];
		uint16_t addr;

		ck_assert_int_eq(nodedb_net_key(db, 0, k), 0);
		ck_assert_uint_eq(k[0], 0x00);
		ck_assert_uint_eq(k[15], 0xFF);
		ck_assert_int_eq(nodedb_app_key(db, 0, NULL, k), -ENOENT);
		ck_assert_int_eq(nodedb_alloc_unicast(db, 1, &addr), 0);
		ck_assert_uint_eq(addr, 0x0011);
		ck_assert_int_eq(nodedb_add_node(db, &a), 0);
	}
	commit_ok(db);
	nodedb_close(db);
	db = open_ok(0);
	ck_assert_uint_eq(nodedb_count(db), 1);
	nodedb_close(db);
}
END_TEST

START_TEST(test_missing_dir)
{
	char err[1024], p[600];
	struct nodedb *db;

	snprintf(p, sizeof(p), "%s/no/such/dir/mesh.json", test_dir);
	db = nodedb_open(p, 0, err, sizeof(err));
	ck_assert_ptr_null(db);
	ck_assert_ptr_nonnull(strstr(err, p));
	ck_assert_ptr_nonnull(strstr(err, strerror(ENOENT)));
	ck_assert(!test_file_exists(p));
}
END_TEST

/* ---- failed commits leave the old file ---- */

static void expect_commit_fails(struct nodedb *db, const char *path, const char *before, size_t len0)
{
	char err[1024];
	size_t len1;
	char *after;
	int r = nodedb_commit(db, err, sizeof(err));

	ck_assert_int_lt(r, 0);
	ck_assert_msg(strstr(err, path) != NULL, "message does not name the file: %s", err);
	after = read_file_str(path, &len1);
	ck_assert_ptr_nonnull(after);
	ck_assert_uint_eq(len0, len1);
	ck_assert_mem_eq(before, after, len0);
	ck_assert(!test_file_exists(tmp_path(path)));
	free(after);
}

START_TEST(test_commit_readonly_dir)
{
	struct nodedb *db;
	struct nodedb_node a = mknode(1, 0x0011, 1, NULL);
	char sub[600], moved[600], p[700], moved_p[700];
	size_t len0;
	char *before;

	/* a directory that disappears under us: works as root too */
	snprintf(sub, sizeof(sub), "%s/sub", test_dir);
	snprintf(moved, sizeof(moved), "%s/moved", test_dir);
	snprintf(p, sizeof(p), "%s/mesh.json", sub);
	snprintf(moved_p, sizeof(moved_p), "%s/mesh.json", moved);
	ck_assert_int_eq(mkdir(sub, 0700), 0);
	{
		char err[512];

		db = nodedb_open(p, 0, err, sizeof(err));
		ck_assert_msg(db != NULL, "%s", err);
	}
	commit_ok(db);
	before = read_file_str(p, &len0);
	ck_assert_int_eq(nodedb_add_node(db, &a), 0);
	ck_assert_int_eq(rename(sub, moved), 0);
	{
		char err[1024];

		ck_assert_int_lt(nodedb_commit(db, err, sizeof(err)), 0);
		ck_assert_ptr_nonnull(strstr(err, p));
		ck_assert_ptr_nonnull(strstr(err, strerror(ENOENT)));
	}
	ck_assert(!test_file_exists(p));
	ck_assert_int_eq(rename(moved, sub), 0);
	{
		size_t len1;
		char *after = read_file_str(p, &len1);

		ck_assert_uint_eq(len0, len1);
		ck_assert_mem_eq(before, after, len0);
		free(after);
	}
	ck_assert(!test_file_exists(tmp_path(p)));

	/* a read-only directory (root bypasses permission checks) */
	if (geteuid() != 0) {
		ck_assert_int_eq(chmod(sub, 0500), 0);
		expect_commit_fails(db, p, before, len0);
		ck_assert_int_eq(chmod(sub, 0700), 0);
	}
	/* the node is still there; now it commits */
	commit_ok(db);
	nodedb_close(db);
	free(before);
	{
		char err[512];

		db = nodedb_open(p, 0, err, sizeof(err));
		ck_assert_msg(db != NULL, "%s", err);
		ck_assert_uint_eq(nodedb_count(db), 1);
		nodedb_close(db);
	}
}
END_TEST

START_TEST(test_commit_stale_tmp)
{
	struct nodedb *db = open_ok(0);
	struct stat st;

	test_file_write(tmp_path(dbpath), "stale garbage from a crash");
	chmod(tmp_path(dbpath), 0644);
	commit_ok(db);
	ck_assert(!test_file_exists(tmp_path(dbpath)));
	ck_assert_int_eq(stat(dbpath, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	nodedb_close(db);
	db = open_ok(0);
	nodedb_close(db);
}
END_TEST

START_TEST(test_commit_write_error)
{
	struct nodedb *db = open_ok(0);
	size_t len0;
	char *before;
	int status;
	pid_t pid;

	commit_ok(db);
	before = read_file_str(dbpath, &len0);
	ck_assert_uint_lt(len0, 4096);
	for (uint8_t i = 1; i <= 60; i++) {
		struct nodedb_node n = mknode(i, (uint16_t)(0x0100 + 4 * i), 4, "a node with a long name");

		ck_assert_int_eq(nodedb_add_node(db, &n), 0);
	}
	/* file size limit: the write fails half-way (EFBIG) */
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct rlimit rl = { 8192, 8192 };

		signal(SIGXFSZ, SIG_IGN);
		if (setrlimit(RLIMIT_FSIZE, &rl) < 0)
			_exit(9);
		expect_commit_fails(db, dbpath, before, len0);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	commit_ok(db);
	nodedb_close(db);
	free(before);
	db = open_ok(0);
	ck_assert_uint_eq(nodedb_count(db), 60);
	nodedb_close(db);
}
END_TEST

/* ---- importing a file made elsewhere ---- */

static const char nrf_export[] =
	"{\n"
	"  \"$schema\": \"http://json-schema.org/draft-04/schema#\",\n"
	"  \"id\": \"https://www.bluetooth.com/specifications/specs/mesh-cdb-1-0-1-schema.json#\",\n"
	"  \"version\": \"1.0.1\",\n"
	"  \"meshUUID\": \"89E18DEC-9846-4FA7-A252-7456B07FE928\",\n"
	"  \"meshName\": \"nRF Mesh Network\",\n"
	"  \"timestamp\": \"2025-03-23T15:08:39+00:00\",\n"
	"  \"partial\": false,\n"
	"  \"netKeys\": [ { \"name\": \"Network Key 1\", \"index\": 0,\n"
	"      \"key\": \"3EBD9050E1500BF4752888946409A398\", \"phase\": 0,\n"
	"      \"minSecurity\": \"insecure\", \"timestamp\": \"2025-03-23T15:08:39+00:00\",\n"
	"      \"vendorNote\": \"kept\" } ],\n"
	"  \"appKeys\": [ { \"name\": \"Application Key 1\", \"index\": 0, \"boundNetKey\": 0,\n"
	"      \"key\": \"8090BBC4A6443EB48C0C56FAB14FF036\" },\n"
	"    { \"name\": \"Application Key 2\", \"index\": 1, \"boundNetKey\": 0,\n"
	"      \"key\": \"00112233445566778899aabbccddeeff\" } ],\n"
	"  \"provisioners\": [ { \"provisionerName\": \"nRF Mesh Provisioner\",\n"
	"      \"UUID\": \"00BF3BF1-C603-498A-9B5B-E0E943810438\",\n"
	"      \"allocatedUnicastRange\": [ { \"lowAddress\": \"0001\", \"highAddress\": \"199A\" } ],\n"
	"      \"allocatedGroupRange\": [ { \"lowAddress\": \"C000\", \"highAddress\": \"CC9A\" } ],\n"
	"      \"allocatedSceneRange\": [ { \"firstScene\": \"0001\", \"lastScene\": \"3333\" } ] } ],\n"
	"  \"nodes\": [\n"
	"    { \"UUID\": \"00BF3BF1-C603-498A-9B5B-E0E943810438\", \"name\": \"nRF Mesh Provisioner\",\n"
	"      \"deviceKey\": \"8F5FAB6CD90D9F0DA3D6F6E81A7CCB61\", \"unicastAddress\": \"0001\",\n"
	"      \"security\": \"insecure\", \"configComplete\": false,\n"
	"      \"features\": { \"friend\": 2, \"lowPower\": 2, \"proxy\": 2, \"relay\": 2 },\n"
	"      \"defaultTTL\": 5, \"netKeys\": [ { \"index\": 0, \"updated\": false } ],\n"
	"      \"appKeys\": [ { \"index\": 0, \"updated\": false } ],\n"
	"      \"elements\": [ { \"name\": \"Primary Element\", \"index\": 0, \"location\": \"0000\",\n"
	"          \"models\": [ { \"modelId\": \"0001\", \"bind\": [], \"subscribe\": [] } ] } ],\n"
	"      \"excluded\": false },\n"
	"    { \"UUID\": \"13b28af517c8000000000000000000aa\", \"name\": \"lamp\",\n"
	"      \"deviceKey\": \"E577E2C365A3788A9875729831AF5402\", \"unicastAddress\": \"0002\",\n"
	"      \"security\": \"insecure\", \"configComplete\": true, \"cid\": \"07D7\", \"pid\": \"0000\",\n"
	"      \"vid\": \"0000\", \"crpl\": \"0014\",\n"
	"      \"netKeys\": [ { \"index\": 0, \"updated\": false } ],\n"
	"      \"appKeys\": [ { \"index\": 0, \"updated\": false } ],\n"
	"      \"elements\": [ { \"index\": 0, \"location\": \"0000\", \"models\": [\n"
	"          { \"modelId\": \"1000\", \"bind\": [0], \"subscribe\": [\"C001\"],\n"
	"            \"publish\": { \"address\": \"C001\", \"index\": 0, \"ttl\": 255, \"credentials\": 0,\n"
	"              \"period\": { \"numberOfSteps\": 0, \"resolution\": 100 },\n"
	"              \"retransmit\": { \"count\": 0, \"interval\": 50 } } } ] },\n"
	"        { \"index\": 1, \"location\": \"0001\", \"models\": [] } ],\n"
	"      \"excluded\": false, \"x-vendor\": { \"deep\": [1, 2.5, null, \"s\"] } }\n"
	"  ],\n"
	"  \"groups\": [ { \"name\": \"Lights\", \"address\": \"C001\", \"parentAddress\": \"0000\" } ],\n"
	"  \"scenes\": [ { \"name\": \"Evening\", \"number\": \"0001\", \"addresses\": [\"0002\"] } ],\n"
	"  \"networkExclusions\": [],\n"
	"  \"unknownTopLevel\": { \"answer\": 42, \"list\": [true, false] }\n"
	"}\n";

START_TEST(test_import_roundtrip)
{
	struct json_object *orig, *now, *a, *o;
	struct nodedb *db;
	struct nodedb_node got, n = mknode(7, 0, 2, "new one");
	uint8_t k[16];
	uint16_t addr, bound;
	size_t i;

	test_file_write(dbpath, nrf_export);
	orig = json_tokener_parse(nrf_export);
	ck_assert_ptr_nonnull(orig);

	db = open_ok(0);
	ck_assert_uint_eq(nodedb_count(db), 2);
	ck_assert_int_eq(nodedb_find_addr(db, 0x0002, &got), 0);
	ck_assert_str_eq(got.name, "lamp");
	ck_assert_uint_eq(got.elements, 2);
	ck_assert_uint_eq(got.uuid[0], 0x13);
	ck_assert_uint_eq(got.uuid[15], 0xAA);
	ck_assert_uint_eq(got.devkey[0], 0xE5);
	ck_assert_int_eq(nodedb_find_addr(db, 0x0003, &got), 0);
	ck_assert_int_eq(nodedb_find_addr(db, 0x0004, &got), -ENOENT);
	ck_assert_int_eq(nodedb_net_key(db, 0, k), 0);
	ck_assert_uint_eq(k[0], 0x3E);
	ck_assert_int_eq(nodedb_app_key(db, 1, &bound, k), 0);
	ck_assert_uint_eq(k[10], 0xAA);
	ck_assert_uint_eq(nodedb_iv_index(db), 0); /* nRF Mesh does not store it */

	/* our range is 0011-7FFF, but 0011-199A is nRF Mesh's to hand out */
	ck_assert_int_eq(nodedb_alloc_unicast(db, 2, &addr), 0);
	ck_assert_uint_eq(addr, 0x199B);
	n.unicast = addr;
	ck_assert_int_eq(nodedb_add_node(db, &n), 0);
	commit_ok(db);
	nodedb_close(db);

	now = load_json(dbpath);
	/* every top-level field we did not touch is as it was */
	json_object_object_foreach(orig, key, val)
	{
		struct json_object *v2;

		if (!strcmp(key, "timestamp") || !strcmp(key, "provisioners") || !strcmp(key, "nodes"))
			continue;
		ck_assert_msg(json_object_object_get_ex(now, key, &v2), "lost \"%s\"", key);
		ck_assert_msg(json_object_equal(val, v2), "\"%s\" changed", key);
	}
	/* the nRF provisioner as it was, ours added */
	a = jarr(now, "provisioners");
	ck_assert_uint_eq(json_object_array_length(a), 2);
	ck_assert(json_object_equal(json_object_array_get_idx(jarr(orig, "provisioners"), 0),
				    json_object_array_get_idx(a, 0)));
	o = find_by(a, "provisionerName", "meshprov");
	ck_assert_ptr_nonnull(o);
	/* the old nodes as they were; meshprov's own node (added when opened)
	 * and ours appended */
	a = jarr(now, "nodes");
	ck_assert_uint_eq(json_object_array_length(a), 4);
	for (i = 0; i < 2; i++)
		ck_assert_msg(json_object_equal(json_object_array_get_idx(jarr(orig, "nodes"), i),
						json_object_array_get_idx(a, i)),
			      "node %zu changed", i);
	ck_assert_ptr_eq(json_object_array_get_idx(a, 2), file_self(now));
	o = json_object_array_get_idx(a, 3);
	ck_assert_str_eq(jstr(o, "unicastAddress"), "199B");
	ck_assert_str_eq(jstr(o, "name"), "new one");
	ck_assert_str_eq(jstr(now, "meshUUID"), "89E18DEC-9846-4FA7-A252-7456B07FE928");
	json_object_put(now);

	/* and again: our provisioner is found, not added twice */
	db = open_ok(0);
	ck_assert_uint_eq(nodedb_count(db), 3);
	ck_assert_int_eq(nodedb_find_uuid(db, n.uuid, &got), 0);
	ck_assert_uint_eq(got.unicast, 0x199B);
	ck_assert_uint_eq(got.elements, 2);
	commit_ok(db);
	nodedb_close(db);
	now = load_json(dbpath);
	ck_assert_uint_eq(json_object_array_length(jarr(now, "provisioners")), 2);
	json_object_put(now);
	json_object_put(orig);
}
END_TEST

START_TEST(test_bluez_style_import)
{
	/* BlueZ mesh-cfgclient: lower-case hex, ivIndex, token, no partial */
	static const char bluez[] =
		"{\n"
		"  \"token\": \"0123456789abcdef\",\n"
		"  \"meshUUID\": \"3777a832-e315-4596-895d-39638c17ffc3\",\n"
		"  \"netKeys\": [ { \"name\": \"Subnet 0000\", \"index\": 0, \"phase\": 0,\n"
		"      \"minSecurity\": \"secure\", \"timestamp\": \"2022-11-25T15:04:41Z\",\n"
		"      \"key\": \"cd63d071913894aef748377fb5bc174a\" } ],\n"
		"  \"appKeys\": [ { \"name\": \"AppKey 0000\", \"boundNetKey\": 0, \"index\": 0,\n"
		"      \"key\": \"2aa1f9a11f7e21c1e40a2d97601b3ea2\" } ],\n"
		"  \"provisioners\": [ { \"provisionerName\": \"meshprov\",\n"
		"      \"UUID\": \"3777a832-e315-4596-895d-39638c17ffc4\",\n"
		"      \"allocatedUnicastRange\": [ { \"lowAddress\": \"00aa\", \"highAddress\": \"00af\" } ],\n"
		"      \"allocatedGroupRange\": [], \"allocatedSceneRange\": [] } ],\n"
		"  \"nodes\": [ { \"UUID\": \"3777a832-e315-4596-895d-39638c17ffc4\", \"unicastAddress\": \"0001\",\n"
		"      \"deviceKey\": \"8f5fab6cd90d9f0da3d6f6e81a7ccb61\" },\n"
		"    { \"UUID\": \"3777a832-e315-4596-895d-39638c17ff01\", \"security\": \"secure\",\n"
		"      \"excluded\": false, \"configComplete\": false,\n"
		"      \"elements\": [ { \"index\": 0, \"location\": \"0000\", \"models\": [] } ],\n"
		"      \"netKeys\": [ { \"index\": 0, \"updated\": false } ], \"appKeys\": [],\n"
		"      \"unicastAddress\": \"00ab\", \"deviceKey\": \"00112233445566778899aabbccddeeff\" } ],\n"
		"  \"networkExclusions\": [ { \"ivIndex\": 5, \"addresses\": [\"00aa\"] } ],\n"
		"  \"ivIndex\": 6\n"
		"}\n";
	struct nodedb *db;
	struct nodedb_node got;
	uint16_t addr, lo, hi;
	uint8_t k[16];

	test_file_write(dbpath, bluez);
	db = open_ok(0);
	ck_assert_uint_eq(nodedb_iv_index(db), 6);
	ck_assert(!nodedb_iv_update(db));
	nodedb_get_unicast_range(db, &lo, &hi);
	ck_assert_uint_eq(lo, 0x00AA);
	ck_assert_uint_eq(hi, 0x00AF);
	ck_assert_int_eq(nodedb_net_key(db, 0, k), 0);
	ck_assert_uint_eq(k[0], 0xCD);
	ck_assert_int_eq(nodedb_find_addr(db, 0x00AB, &got), 0);
	ck_assert_uint_eq(got.devkey[15], 0xFF);
	ck_assert_str_eq(got.name, "");
	/* 00aa excluded at IV 5: still excluded at IV 6 */
	ck_assert_int_eq(nodedb_alloc_unicast(db, 1, &addr), 0);
	ck_assert_uint_eq(addr, 0x00AC);
	nodedb_close(db);
}
END_TEST

/* ---- meshprov's own node ---- */

static const char *prov_uuid_str(struct json_object *root)
{
	struct json_object *p = find_by(jarr(root, "provisioners"), "provisionerName", "meshprov");

	ck_assert_ptr_nonnull(p);
	return jstr(p, "UUID");
}

static void uuid_from_str(const char *s, uint8_t out[16])
{
	char hex[33];
	size_t n = 0;

	for (; *s && n < 32; s++)
		if (*s != '-')
			hex[n++] = *s;
	hex[n] = '\0';
	ck_assert_int_eq(hex_decode(hex, out, 16), 0);
}

START_TEST(test_self_node)
{
	struct nodedb *db = open_ok(0);
	struct nodedb_node a = mknode(1, 0x0001, 1, NULL), got;
	struct json_object *root, *self, *arr, *el, *m;
	uint8_t devkey[16], devkey2[16], zero[16] = { 0 }, puuid[16];
	uint16_t addr = 0, lo, hi;
	char hex[33];

	ck_assert_int_eq(nodedb_self(db, &addr, devkey), 0);
	ck_assert_uint_eq(addr, 0x0001);
	ck_assert(memcmp(devkey, zero, 16) != 0);
	ck_assert_int_eq(nodedb_self(db, NULL, NULL), 0);
	/* not listed, not found, not removable, but taken */
	ck_assert_uint_eq(nodedb_count(db), 0);
	ck_assert_int_eq(nodedb_node_at(db, 0, &got), -ENOENT);
	arr = nodedb_nodes_json(db);
	ck_assert_uint_eq(json_object_array_length(arr), 0);
	json_object_put(arr);
	ck_assert_int_eq(nodedb_find_addr(db, 0x0001, &got), -ENOENT);
	ck_assert(!nodedb_unicast_free(db, 0x0001, 1));
	ck_assert(!nodedb_unicast_free(db, 0x0000, 2));
	ck_assert_int_eq(nodedb_reserve_unicast(db, 0x0001, 1), -EEXIST);
	ck_assert_int_eq(nodedb_add_node(db, &a), -EEXIST);
	a.unicast = 0x0002;
	ck_assert_int_eq(nodedb_add_node(db, &a), 0); /* 0002 is a user's choice */
	nodedb_get_unicast_range(db, &lo, &hi);
	ck_assert_uint_eq(lo, 0x0011); /* the range is the nodes' */
	ck_assert_int_eq(nodedb_alloc_unicast(db, 1, &addr), 0);
	ck_assert_uint_eq(addr, 0x0011);
	commit_ok(db);
	nodedb_close(db);

	root = load_json(dbpath);
	uuid_from_str(prov_uuid_str(root), puuid);
	self = file_self(root);
	ck_assert_str_eq(jstr(self, "unicastAddress"), "0001");
	ck_assert_str_eq(jstr(self, "name"), "meshprov");
	ck_assert(is_upper_hex(jstr(self, "deviceKey"), 32));
	for (int i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02X", devkey[i]);
	ck_assert_str_eq(jstr(self, "deviceKey"), hex);
	ck_assert(jbool(self, "configComplete"));
	ck_assert(!jbool(self, "excluded"));
	ck_assert_str_eq(jstr(self, "security"), "secure");
	arr = jarr(self, "netKeys");
	ck_assert_uint_eq(json_object_array_length(arr), 1);
	ck_assert_int_eq(jint(json_object_array_get_idx(arr, 0), "index"), 0);
	arr = jarr(self, "appKeys");
	ck_assert_uint_eq(json_object_array_length(arr), 1);
	ck_assert_int_eq(jint(json_object_array_get_idx(arr, 0), "index"), 0);
	arr = jarr(self, "elements");
	ck_assert_uint_eq(json_object_array_length(arr), 1);
	el = json_object_array_get_idx(arr, 0);
	ck_assert_int_eq(jint(el, "index"), 0);
	ck_assert_str_eq(jstr(el, "location"), "0000");
	m = json_object_array_get_idx(jarr(el, "models"), 0);
	ck_assert_str_eq(jstr(m, "modelId"), "0001"); /* Configuration Client */
	ck_assert_uint_eq(json_object_array_length(jarr(root, "nodes")), 2);
	json_object_put(root);

	/* reopened: the same node, not a second one, not a new key */
	db = open_ok(0);
	ck_assert_int_eq(nodedb_self(db, &addr, devkey2), 0);
	ck_assert_uint_eq(addr, 0x0001);
	ck_assert_mem_eq(devkey, devkey2, 16);
	ck_assert_uint_eq(nodedb_count(db), 1);
	ck_assert_int_eq(nodedb_find_uuid(db, puuid, &got), -ENOENT);
	ck_assert_int_eq(nodedb_remove_node(db, puuid), -ENOENT);
	ck_assert_int_eq(nodedb_node_set_config_complete(db, puuid, false), -ENOENT);
	{
		struct nodedb_node same = mknode(9, 0x0100, 1, NULL);

		memcpy(same.uuid, puuid, 16);
		ck_assert_int_eq(nodedb_add_node(db, &same), -EEXIST);
	}
	/* its key is in no listing */
	arr = nodedb_nodes_json(db);
	hex_encode(devkey, 16, hex);
	ck_assert_ptr_null(strstr(json_object_to_json_string(arr), hex));
	json_object_put(arr);
	commit_ok(db);
	nodedb_close(db);
	root = load_json(dbpath);
	ck_assert_uint_eq(json_object_array_length(jarr(root, "nodes")), 2);
	json_object_put(root);
	OPENSSL_cleanse(devkey, sizeof(devkey));
}
END_TEST

START_TEST(test_self_import)
{
	struct nodedb *db;
	struct json_object *root, *self;
	uint16_t addr;
	char text[4096];

	/* nRF Mesh's export: 0001 is nRF's provisioner, 0002-0003 the lamp */
	test_file_write(dbpath, nrf_export);
	db = open_ok(0);
	ck_assert_int_eq(nodedb_self(db, &addr, NULL), 0);
	ck_assert_uint_eq(addr, 0x0004);
	ck_assert_uint_eq(nodedb_count(db), 2); /* nRF's provisioner node is a node to us */
	commit_ok(db);
	nodedb_close(db);
	root = load_json(dbpath);
	self = file_self(root);
	ck_assert_str_eq(jstr(self, "unicastAddress"), "0004");
	ck_assert_str_eq(jstr(self, "UUID"), prov_uuid_str(root));
	json_object_put(root);

	/* 0001-0010 all taken: the first free address of our range */
	snprintf(text, sizeof(text),
		 "{\"netKeys\": [{\"index\": 3, \"key\": \"00112233445566778899AABBCCDDEEFF\"}],\n"
		 " \"nodes\": [{\"UUID\": \"0000000000000000000000000000AA01\", \"unicastAddress\": \"0001\",\n"
		 "   \"elements\": [%s]}]}",
		 "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}");
	test_file_write(dbpath, text);
	db = open_ok(0);
	ck_assert_int_eq(nodedb_self(db, &addr, NULL), 0);
	ck_assert_uint_eq(addr, 0x0011);
	ck_assert_int_eq(nodedb_alloc_unicast(db, 1, &addr), 0);
	ck_assert_uint_eq(addr, 0x0012);
	commit_ok(db);
	nodedb_close(db);
	root = load_json(dbpath);
	self = file_self(root);
	ck_assert_str_eq(jstr(self, "unicastAddress"), "0011");
	/* the first NetKey; no AppKey 0 in this file */
	ck_assert_int_eq(jint(json_object_array_get_idx(jarr(self, "netKeys"), 0), "index"), 3);
	ck_assert_uint_eq(json_object_array_length(jarr(self, "appKeys")), 0);
	json_object_put(root);

	/* our own node without an address or key (hand-edited): repaired in place */
	test_file_write(dbpath, "{\"netKeys\": [{\"index\": 0, \"key\": \"00112233445566778899AABBCCDDEEFF\"}],\n"
		     " \"provisioners\": [{\"provisionerName\": \"meshprov\",\n"
		     "   \"UUID\": \"3777A832-E315-4596-895D-39638C17FFC4\"}],\n"
		     " \"nodes\": [{\"UUID\": \"3777a832e3154596895d39638c17ffc4\", \"name\": \"me\", \"x\": 1}],\n"
		     " \"networkExclusions\": [{\"ivIndex\": 0, \"addresses\": [\"0001\"]}]}");
	db = open_ok(0);
	ck_assert_int_eq(nodedb_self(db, &addr, NULL), 0);
	ck_assert_uint_eq(addr, 0x0002); /* 0001 is still excluded */
	commit_ok(db);
	nodedb_close(db);
	root = load_json(dbpath);
	ck_assert_ptr_null(find_by(jarr(root, "nodes"), "UUID", "20212223-2425-2627-2829-2A2B2C2D2E02"));
	self = json_object_array_get_idx(jarr(root, "nodes"), 0);
	ck_assert_str_eq(jstr(self, "unicastAddress"), "0002");
	ck_assert(is_upper_hex(jstr(self, "deviceKey"), 32));
	ck_assert_str_eq(jstr(self, "name"), "me");
	ck_assert_int_eq(jint(self, "x"), 1);
	json_object_put(root);

	/* the minimal file: 0001 free */
	test_file_write(dbpath, "{\"netKeys\": [{\"index\": 0, \"key\": \"00112233445566778899AABBCCDDEEFF\"}]}");
	db = open_ok(0);
	ck_assert_int_eq(nodedb_self(db, &addr, NULL), 0);
	ck_assert_uint_eq(addr, 0x0001);
	nodedb_close(db);

	/* our provisioner is there, its node is not (lost: a new one would
	 * start its sequence numbers again): refused */
	snprintf(text, sizeof(text),
		 "{\"netKeys\": [{\"index\": 0, \"key\": \"00112233445566778899AABBCCDDEEFF\"}],\n"
		 " \"provisioners\": [{\"provisionerName\": \"meshprov\",\n"
		 "   \"UUID\": \"3777A832-E315-4596-895D-39638C17FFC4\",\n"
		 "   \"allocatedUnicastRange\": [{\"lowAddress\": \"0011\", \"highAddress\": \"0011\"}]}],\n"
		 " \"nodes\": [{\"UUID\": \"0000000000000000000000000000AA01\", \"unicastAddress\": \"0001\"}]}");
	test_file_write(dbpath, text);
	expect_open_fails("own node missing");
	{
		char err[512];

		ck_assert_ptr_null(nodedb_open(dbpath, 0, err, sizeof(err)));
		ck_assert_msg(strstr(err, ": nodes: meshprov's own node (UUID as in provisioners[0]) is missing"), "%s",
			      err);
	}

	/* an import without a free address at all: it opens, without own node */
	{
		struct json_object *full = json_tokener_parse(
			"{\"netKeys\": [{\"index\": 0, \"key\": \"00112233445566778899AABBCCDDEEFF\"}], \"nodes\": []}");
		struct json_object *nodes = jarr(full, "nodes");
		char err[512], uuid[33], a4[5];
		uint32_t first;

		for (unsigned lo = 1, k = 0; lo <= 0x7FFF; lo += 255, k++) {
			struct json_object *node = json_object_new_object(), *els = json_object_new_array();

			snprintf(uuid, sizeof(uuid), "00000000000000000000000000%06X", k);
			snprintf(a4, sizeof(a4), "%04X", lo);
			json_object_object_add(node, "UUID", json_object_new_string(uuid));
			json_object_object_add(node, "unicastAddress", json_object_new_string(a4));
			for (unsigned e = 0; e < 255 && lo + e <= 0x7FFF; e++)
				json_object_array_add(els, json_object_new_object());
			json_object_object_add(node, "elements", els);
			json_object_array_add(nodes, node);
		}
		test_file_write(dbpath, json_object_to_json_string(full));
		json_object_put(full);
		db = open_ok(0);
		ck_assert_int_eq(nodedb_self(db, &addr, NULL), -ENOENT);
		ck_assert_int_eq(nodedb_reserve_seq(db, 1, &first, err, sizeof(err)), -ENOENT);
		ck_assert_uint_eq(nodedb_count(db), 129);
		nodedb_close(db);
	}
}
END_TEST

/* ---- sequence numbers ---- */

static char *seq_path(void)
{
	static char buf[sizeof(dbpath) + 8];

	snprintf(buf, sizeof(buf), "%s.seq", dbpath);
	return buf;
}

/* meshprov's node's stored "sequenceNumber" and "meshprovSeqIvIndex", as
 * on disk: in the database file, or in the newer record in PATH.seq (a
 * newer IV Index, else a larger sequenceNumber) when there is one for the
 * same node. */
static void disk_seq(int64_t *seq, int64_t *iv)
{
	struct json_object *root = load_json(dbpath), *self = file_self(root);

	*seq = jint(self, "sequenceNumber");
	*iv = jint(self, "meshprovSeqIvIndex");
	if (test_file_exists(seq_path())) {
		struct json_object *rec = load_json(seq_path());
		int64_t s = jint(rec, "sequenceNumber"), i = jint(rec, "meshprovSeqIvIndex");

		ck_assert(!strcasecmp(jstr(rec, "UUID"), jstr(self, "UUID")));
		if (i > *iv || (i == *iv && s > *seq)) {
			*seq = s;
			*iv = i;
		}
		json_object_put(rec);
	}
	json_object_put(root);
}

static uint32_t reserve_ok(struct nodedb *db, uint32_t count)
{
	char err[512];
	uint32_t first = 0xdeadbeef;
	int r = nodedb_reserve_seq(db, count, &first, err, sizeof(err));

	ck_assert_msg(r == 0, "nodedb_reserve_seq: %d %s", r, err);
	return first;
}

START_TEST(test_seq_reserve)
{
	struct nodedb *db = open_ok(0);
	struct nodedb_node a = mknode(1, 0x0011, 1, NULL);
	int64_t seq, iv;
	uint32_t first;
	char err[512];

	ck_assert(!test_file_exists(dbpath));
	ck_assert_uint_eq(reserve_ok(db, 10), 0);
	/* on disk before it returned, with the IV Index it is for */
	disk_seq(&seq, &iv);
	ck_assert_int_eq(seq, 10);
	ck_assert_int_eq(iv, 0);
	ck_assert_uint_eq(reserve_ok(db, 5), 10);
	disk_seq(&seq, &iv);
	ck_assert_int_eq(seq, 15);
	/* it commits the whole database */
	ck_assert_int_eq(nodedb_add_node(db, &a), 0);
	ck_assert_uint_eq(reserve_ok(db, 1), 15);
	nodedb_close(db);

	db = open_ok(0);
	ck_assert_uint_eq(nodedb_count(db), 1);
	ck_assert_uint_eq(reserve_ok(db, 100), 16);
	ck_assert_int_eq(nodedb_reserve_seq(db, 0, &first, err, sizeof(err)), -EINVAL);
	disk_seq(&seq, &iv);
	ck_assert_int_eq(seq, 116);

	/* IV Index 7 in Normal operation: a new sequence */
	nodedb_set_iv_index(db, 7, false);
	ck_assert_uint_eq(reserve_ok(db, 3), 0);
	disk_seq(&seq, &iv);
	ck_assert_int_eq(seq, 3);
	ck_assert_int_eq(iv, 7);
	/* IV Update in Progress to 8: we still transmit with 7, the sequence goes on */
	nodedb_set_iv_index(db, 8, true);
	ck_assert_uint_eq(reserve_ok(db, 3), 3);
	disk_seq(&seq, &iv);
	ck_assert_int_eq(iv, 7);
	/* back to Normal: transmit with 8, SEQ from 0 */
	nodedb_set_iv_index(db, 8, false);
	ck_assert_uint_eq(reserve_ok(db, 3), 0);
	disk_seq(&seq, &iv);
	ck_assert_int_eq(seq, 3);
	ck_assert_int_eq(iv, 8);
	/* the IV Index going backwards could reuse SEQs: refused */
	nodedb_set_iv_index(db, 7, false);
	err[0] = '\0';
	ck_assert_int_eq(nodedb_reserve_seq(db, 1, &first, err, sizeof(err)), -ESTALE);
	ck_assert_uint_gt(strlen(err), 0);
	nodedb_close(db);
	disk_seq(&seq, &iv);
	ck_assert_int_eq(seq, 3);
	ck_assert_int_eq(iv, 8);
}
END_TEST

START_TEST(test_seq_foreign)
{
	struct nodedb *db;
	struct json_object *root, *self;
	uint32_t first;
	char err[512];

	db = open_ok(0);
	nodedb_set_iv_index(db, 9, false);
	commit_ok(db);
	nodedb_close(db);

	/* a "sequenceNumber" without our IV Index (BlueZ keeps one so): it
	 * is taken as the current IV Index's */
	root = load_json(dbpath);
	self = file_self(root);
	json_object_object_add(self, "sequenceNumber", json_object_new_int(500));
	test_file_write(dbpath, json_object_to_json_string(root));
	db = open_ok(0);
	ck_assert_uint_eq(reserve_ok(db, 1), 500);
	nodedb_close(db);

	/* not a number: the database is refused when opened, nothing written */
	json_object_object_add(self, "sequenceNumber", json_object_new_string("01F4"));
	test_file_write(dbpath, json_object_to_json_string(root));
	expect_open_fails("sequenceNumber a string");
	ck_assert_ptr_null(nodedb_open(dbpath, 0, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "nodes[0].sequenceNumber: not an integer"));
	json_object_object_add(self, "sequenceNumber", json_object_new_int(0x1000001)); /* past 2^24 */
	test_file_write(dbpath, json_object_to_json_string(root));
	expect_open_fails("sequenceNumber past 2^24");
	json_object_put(root);
	(void)first;
}
END_TEST

#define ANY_FIRST UINT32_MAX

/* A process that opens the database, reserves blocks of the sizes in
 * want[0..n-1] and dies without closing anything (a "crash": no close, no
 * commit); its first block must start at first0 (ANY_FIRST: anywhere).
 * Returns where its last block starts. */
static uint32_t crash_after_reserving(const uint32_t *want, unsigned n, uint32_t first0)
{
	int status, pfd[2];
	uint32_t child_first = 0;
	pid_t pid;

	ck_assert_int_eq(pipe(pfd), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		char err[512];
		uint32_t first = 0;
		struct nodedb *c = nodedb_open(dbpath, 0, err, sizeof(err));

		if (!c)
			_exit(1);
		for (unsigned i = 0; i < n; i++) {
			if (nodedb_reserve_seq(c, want[i], &first, err, sizeof(err)) != 0)
				_exit(2);
			if (i == 0 && first0 != ANY_FIRST && first != first0)
				_exit(3);
		}
		if (write(pfd[1], &first, sizeof(first)) != (ssize_t)sizeof(first))
			_exit(4);
		_exit(0); /* "crash": no close, no commit */
	}
	close(pfd[1]);
	ck_assert_int_eq(read(pfd[0], &child_first, sizeof(child_first)), (ssize_t)sizeof(child_first));
	close(pfd[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	return child_first;
}

START_TEST(test_seq_crash)
{
	static const uint32_t blocks[] = { 1000 };
	struct nodedb *db;

	db = open_ok(0);
	ck_assert_uint_eq(reserve_ok(db, 40), 0);
	nodedb_close(db);

	/* a process that reserves a block, uses part of it and dies without
	 * closing anything */
	ck_assert_uint_eq(crash_after_reserving(blocks, 1, ANY_FIRST), 40);

	/* the next process starts after the child's whole block */
	db = open_ok(1000);
	ck_assert_uint_eq(reserve_ok(db, 1), 1040);
	nodedb_close(db);
}
END_TEST

START_TEST(test_seq_overflow)
{
	struct nodedb *db = open_ok(0);
	uint32_t first = 0;
	int64_t seq, iv;
	char err[512];

	ck_assert_int_eq(nodedb_reserve_seq(db, NODEDB_SEQ_MAX + 1, &first, err, sizeof(err)), -EOVERFLOW);
	ck_assert(!test_file_exists(dbpath)); /* nothing written */
	ck_assert_uint_eq(reserve_ok(db, NODEDB_SEQ_MAX - 1), 0); /* 0 .. 0xfffffd */
	disk_seq(&seq, &iv);
	ck_assert_int_eq(seq, 0xFFFFFE);
	ck_assert_uint_eq(reserve_ok(db, 1), 0xFFFFFE); /* the last one handed out */
	err[0] = '\0';
	ck_assert_int_eq(nodedb_reserve_seq(db, 1, &first, err, sizeof(err)), -EOVERFLOW);
	ck_assert_ptr_nonnull(strstr(err, "IV Update"));
	disk_seq(&seq, &iv);
	ck_assert_int_eq(seq, 0xFFFFFF); /* used up, and still 24 bits */
	nodedb_close(db);

	/* after reopening too (the file is valid); a new IV Index frees them */
	db = open_ok(0);
	ck_assert_int_eq(nodedb_reserve_seq(db, 1, &first, err, sizeof(err)), -EOVERFLOW);
	nodedb_set_iv_index(db, 1, false);
	ck_assert_uint_eq(reserve_ok(db, NODEDB_SEQ_MAX), 0); /* all at once */
	ck_assert_int_eq(nodedb_reserve_seq(db, 1, &first, err, sizeof(err)), -EOVERFLOW);
	nodedb_close(db);
}
END_TEST

START_TEST(test_seq_commit_fails)
{
	char sub[600], moved[600], p[700], err[1024];
	struct nodedb *db;
	uint32_t first = 0;

	snprintf(sub, sizeof(sub), "%s/sub", test_dir);
	snprintf(moved, sizeof(moved), "%s/moved", test_dir);
	snprintf(p, sizeof(p), "%s/mesh.json", sub);
	ck_assert_int_eq(mkdir(sub, 0700), 0);
	db = nodedb_open(p, 0, err, sizeof(err));
	ck_assert_msg(db != NULL, "%s", err);
	ck_assert_int_eq(nodedb_reserve_seq(db, 10, &first, err, sizeof(err)), 0);
	ck_assert_uint_eq(first, 0);
	/* the file cannot be written: no SEQ handed out, memory as before */
	ck_assert_int_eq(rename(sub, moved), 0);
	first = 12345;
	ck_assert_int_lt(nodedb_reserve_seq(db, 10, &first, err, sizeof(err)), 0);
	ck_assert_uint_eq(first, 12345);
	ck_assert_ptr_nonnull(strstr(err, p));
	ck_assert_int_eq(rename(moved, sub), 0);
	ck_assert_int_eq(nodedb_reserve_seq(db, 10, &first, err, sizeof(err)), 0);
	ck_assert_uint_eq(first, 10);
	nodedb_close(db);
}
END_TEST

/* The database file as it is: its inode and modification time (a commit
 * renames a new file over it), and its bytes. */
struct file_state {
	ino_t ino;
	struct timespec mtime;
	char *text;
};

static void file_state(const char *path, struct file_state *fs)
{
	struct stat st;

	ck_assert_int_eq(stat(path, &st), 0);
	fs->ino = st.st_ino;
	fs->mtime = st.st_mtim;
	fs->text = read_file_str(path, NULL);
	ck_assert_ptr_nonnull(fs->text);
}

static bool file_unchanged(const char *path, struct file_state *before)
{
	struct file_state now;
	bool same;

	file_state(path, &now);
	same = now.ino == before->ino && now.mtime.tv_sec == before->mtime.tv_sec &&
	       now.mtime.tv_nsec == before->mtime.tv_nsec && !strcmp(now.text, before->text);
	free(now.text);
	return same;
}

/* The own node's "sequenceNumber" in the database file alone. */
static int64_t db_file_seq(void)
{
	struct json_object *root = load_json(dbpath);
	int64_t v = jint(file_self(root), "sequenceNumber");

	json_object_put(root);
	return v;
}

/* Reserving SEQs writes a small record (PATH.seq), not the database, while
 * nothing else is pending; the next open continues above it. */
START_TEST(test_seq_record)
{
	struct nodedb_node a = mknode(1, 0x0011, 1, NULL);
	struct json_object *rec, *root;
	struct file_state fs;
	struct nodedb *db;
	struct stat st;

	db = open_ok(0);
	/* the first reservation of a session commits the whole database */
	ck_assert_uint_eq(reserve_ok(db, 10), 0);
	ck_assert(test_file_exists(dbpath));
	file_state(dbpath, &fs);
	ck_assert_uint_eq(reserve_ok(db, 20), 10);
	ck_assert_uint_eq(reserve_ok(db, 5), 30);
	ck_assert_msg(file_unchanged(dbpath, &fs), "reserving SEQs rewrote the database");
	free(fs.text);
	ck_assert_int_eq(stat(seq_path(), &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	ck_assert(!test_file_exists(tmp_path(seq_path())));
	rec = load_json(seq_path());
	root = load_json(dbpath);
	ck_assert_str_eq(jstr(rec, "UUID"), jstr(file_self(root), "UUID"));
	ck_assert_int_eq(jint(rec, "sequenceNumber"), 35);
	ck_assert_int_eq(jint(rec, "meshprovSeqIvIndex"), 0);
	json_object_put(rec);
	json_object_put(root);

	/* a change pending in memory: the whole database is committed, with
	 * the own node's sequenceNumber; afterwards the record again */
	ck_assert_int_eq(nodedb_add_node(db, &a), 0);
	file_state(dbpath, &fs);
	ck_assert_uint_eq(reserve_ok(db, 1), 35);
	ck_assert(!file_unchanged(dbpath, &fs));
	free(fs.text);
	ck_assert_int_eq(db_file_seq(), 36);
	file_state(dbpath, &fs);
	ck_assert_uint_eq(reserve_ok(db, 4), 36);
	ck_assert(file_unchanged(dbpath, &fs));
	free(fs.text);
	ck_assert_int_eq(db_file_seq(), 36);
	nodedb_close(db);

	/* reopened: above the record, not the database's 36 */
	db = open_ok(0);
	ck_assert_uint_eq(nodedb_count(db), 1);
	ck_assert_uint_eq(reserve_ok(db, 1), 40);
	ck_assert_int_eq(db_file_seq(), 41); /* merged into the database */
	nodedb_close(db);
}
END_TEST

/* A process that dies between the small write and the next full commit:
 * the next one continues above what it reserved. */
START_TEST(test_seq_record_crash)
{
	static const uint32_t blocks[] = { 1, 1000 };
	struct nodedb *db;

	db = open_ok(0);
	ck_assert_uint_eq(reserve_ok(db, 40), 0);
	nodedb_close(db);

	ck_assert_uint_eq(crash_after_reserving(blocks, 2, 40), 41);
	/* the child's second block is only in the record */
	ck_assert_int_eq(db_file_seq(), 41);

	db = open_ok(0);
	ck_assert_uint_eq(reserve_ok(db, 1), 1041);
	nodedb_close(db);
}
END_TEST

/* The record of another database is ignored, an older IV Index's loses, a
 * record that cannot be read is refused. */
START_TEST(test_seq_record_merge)
{
	struct json_object *root, *rec;
	struct nodedb *db;
	char err[1024];

	db = open_ok(0);
	ck_assert_uint_eq(reserve_ok(db, 10), 0);
	ck_assert_uint_eq(reserve_ok(db, 100), 10); /* record: 110 */
	nodedb_set_iv_index(db, 1, false);
	ck_assert_uint_eq(reserve_ok(db, 2), 0); /* committed: IV Index 1, 2 */
	nodedb_close(db);
	rec = load_json(seq_path());
	ck_assert_int_eq(jint(rec, "sequenceNumber"), 110);
	ck_assert_int_eq(jint(rec, "meshprovSeqIvIndex"), 0);
	db = open_ok(0);
	ck_assert_uint_eq(reserve_ok(db, 1), 2); /* not 110: that was IV Index 0 */
	nodedb_close(db);

	/* another node's record, however large: ignored */
	root = load_json(dbpath);
	json_object_object_add(rec, "UUID", json_object_new_string("00112233-4455-6677-8899-AABBCCDDEEFF"));
	json_object_object_add(rec, "sequenceNumber", json_object_new_int(5000));
	json_object_object_add(rec, "meshprovSeqIvIndex", json_object_new_int(1));
	test_file_write(seq_path(), json_object_to_json_string(rec));
	db = open_ok(0);
	ck_assert_uint_eq(reserve_ok(db, 1), 3);
	nodedb_close(db);

	/* ours: used */
	json_object_object_add(rec, "UUID", json_object_new_string(jstr(file_self(root), "UUID")));
	test_file_write(seq_path(), json_object_to_json_string(rec));
	db = open_ok(0);
	ck_assert_uint_eq(reserve_ok(db, 1), 5000);
	nodedb_close(db);

	/* unreadable: refused, naming the record */
	json_object_object_add(rec, "sequenceNumber", json_object_new_int(0x1000000));
	test_file_write(seq_path(), json_object_to_json_string(rec));
	ck_assert_ptr_null(nodedb_open(dbpath, 0, err, sizeof(err)));
	ck_assert_msg(strstr(err, seq_path()) && strstr(err, "is not valid"), "%s", err);
	test_file_write(seq_path(), "{\"UUID\": ");
	ck_assert_ptr_null(nodedb_open(dbpath, 0, err, sizeof(err)));
	ck_assert_msg(strstr(err, seq_path()) && strstr(err, "not valid JSON"), "%s", err);
	json_object_put(rec);
	json_object_put(root);
}
END_TEST

/* ---- Composition Data, bindings, subscriptions ---- */

/* /work/shared/vectors/mesh-network.md §5: the Composition Data Status
 * example (synthetic, [T] composition_data_valid_elements), page 0 data
 * after the Page octet. */
static const uint8_t sample_comp[] = {
	0x11, 0x10, 0x22, 0x20, 0x33, 0x30, 0x44, 0x40, 0x55, 0x50, /* CID PID VID CRPL Features */
	0xbb, 0xaa, 0x03, 0x02,                                     /* Loc 0xaabb, NumS 3, NumV 2 */
	0x10, 0x11, 0x20, 0x22, 0x30, 0x33,                         /* 0x1110 0x2220 0x3330 */
	0xa2, 0xa1, 0xa4, 0xa3, 0xb2, 0xb1, 0xb4, 0xb3,             /* (a1a2, a3a4) (b1b2, b3b4) */
};

static void sample_page0(struct cfg_comp_page0 *c)
{
	ck_assert_int_eq(cfg_comp_page0_parse(sample_comp, sizeof(sample_comp), c), 0);
	ck_assert_uint_eq(c->cid, 0x1011);
	ck_assert_uint_eq(c->features, 0x5055);
}

static void check_sample_back(const struct cfg_comp_page0 *c)
{
	ck_assert_uint_eq(c->cid, 0x1011);
	ck_assert_uint_eq(c->pid, 0x2022);
	ck_assert_uint_eq(c->vid, 0x3033);
	ck_assert_uint_eq(c->crpl, 0x4044);
	ck_assert_uint_eq(c->features, 0x5055 & 0x000F); /* relay, friend; RFU bits not kept */
	ck_assert_uint_eq(c->num_elements, 1);
	ck_assert_uint_eq(c->elements[0].loc, 0xaabb);
	ck_assert_uint_eq(c->elements[0].num_sig, 3);
	ck_assert_uint_eq(c->elements[0].sig[0], 0x1110);
	ck_assert_uint_eq(c->elements[0].sig[1], 0x2220);
	ck_assert_uint_eq(c->elements[0].sig[2], 0x3330);
	ck_assert_uint_eq(c->elements[0].num_vendor, 2);
	ck_assert(cfg_model_id_eq(c->elements[0].vendor[0], cfg_model_vendor(0xa1a2, 0xa3a4)));
	ck_assert(cfg_model_id_eq(c->elements[0].vendor[1], cfg_model_vendor(0xb1b2, 0xb3b4)));
}

static bool has_member(struct json_object *o, const char *key)
{
	return json_object_object_get_ex(o, key, NULL);
}

START_TEST(test_composition_roundtrip)
{
	struct nodedb *db = open_ok(0);
	struct nodedb_node a = mknode(1, 0x0011, 1, NULL), b = mknode(2, 0x0012, 1, NULL);
	struct cfg_comp_page0 c, back;
	struct json_object *root, *node, *f, *els, *el, *models, *m;
	static const char *const ids[] = { "1110", "2220", "3330", "A1A2A3A4", "B1B2B3B4" };
	uint8_t other[16] = { 0x42 };

	ck_assert_int_eq(nodedb_add_node(db, &a), 0);
	ck_assert_int_eq(nodedb_node_get_composition(db, a.uuid, &back), -ENOENT); /* not known yet */
	sample_page0(&c);
	ck_assert_int_eq(nodedb_node_set_composition(db, other, &c), -ENOENT);
	ck_assert_int_eq(nodedb_node_set_composition(db, a.uuid, &c), 0);
	memset(&back, 0xEE, sizeof(back));
	ck_assert_int_eq(nodedb_node_get_composition(db, a.uuid, &back), 0);
	check_sample_back(&back);
	commit_ok(db);
	nodedb_close(db);

	db = open_ok(0);
	memset(&back, 0xEE, sizeof(back));
	ck_assert_int_eq(nodedb_node_get_composition(db, a.uuid, &back), 0);
	check_sample_back(&back);
	nodedb_close(db);

	/* as CDB writes it */
	root = load_json(dbpath);
	node = file_node(root, "10111213-1415-1617-1819-1A1B1C1D1E01");
	ck_assert_str_eq(jstr(node, "cid"), "1011");
	ck_assert_str_eq(jstr(node, "pid"), "2022");
	ck_assert_str_eq(jstr(node, "vid"), "3033");
	ck_assert_str_eq(jstr(node, "crpl"), "4044");
	f = jget(node, "features");
	ck_assert(!has_member(f, "relay"));    /* supported, state not known yet */
	ck_assert(!has_member(f, "friend"));
	ck_assert_int_eq(jint(f, "proxy"), 2); /* unsupported */
	ck_assert_int_eq(jint(f, "lowPower"), 2);
	els = jarr(node, "elements");
	ck_assert_uint_eq(json_object_array_length(els), 1);
	el = json_object_array_get_idx(els, 0);
	ck_assert_int_eq(jint(el, "index"), 0);
	ck_assert_str_eq(jstr(el, "location"), "AABB");
	ck_assert_str_eq(jstr(el, "name"), "Element 0x0011");
	models = jarr(el, "models");
	ck_assert_uint_eq(json_object_array_length(models), 5);
	for (size_t i = 0; i < 5; i++) {
		m = json_object_array_get_idx(models, i);
		ck_assert_str_eq(jstr(m, "modelId"), ids[i]);
		ck_assert_uint_eq(json_object_array_length(jarr(m, "bind")), 0);
		ck_assert_uint_eq(json_object_array_length(jarr(m, "subscribe")), 0);
	}
	/* a feature state already known is kept: relay 1 from a Config Relay Get */
	json_object_object_add(f, "relay", json_object_new_int(1));
	test_file_write(dbpath, json_object_to_json_string(root));
	json_object_put(root);

	/* an AliGenie light: 2 elements where provisioning said 1, vendor model
	 * 01A8:0000; the composition's count wins */
	db = open_ok(0);
	memset(&c, 0, sizeof(c));
	c.cid = 0x01A8;
	c.pid = 0x0001;
	c.crpl = 0x000A;
	c.features = CFG_FEAT_RELAY | CFG_FEAT_PROXY;
	c.num_elements = 2;
	c.elements[0].num_sig = 2;
	c.elements[0].sig[0] = 0x0000;
	c.elements[0].sig[1] = 0x1000;
	c.elements[0].num_vendor = 1;
	c.elements[0].vendor[0] = cfg_model_vendor(0x01A8, 0x0000);
	c.elements[1].loc = 0x0102;
	c.elements[1].num_sig = 1;
	c.elements[1].sig[0] = 0x1000;
	ck_assert_int_eq(nodedb_add_node(db, &b), 0); /* right after a */
	ck_assert_int_eq(nodedb_node_set_composition(db, a.uuid, &c), -EEXIST);
	ck_assert_int_eq(nodedb_remove_node(db, b.uuid), 0);
	ck_assert_int_eq(nodedb_node_set_composition(db, a.uuid, &c), 0);
	ck_assert_int_eq(nodedb_find_addr(db, 0x0012, &b), 0);
	ck_assert_mem_eq(b.uuid, a.uuid, 16);
	ck_assert_uint_eq(b.elements, 2);
	ck_assert(!nodedb_unicast_free(db, 0x0012, 1));
	ck_assert_int_eq(nodedb_node_get_composition(db, a.uuid, &back), 0);
	ck_assert_uint_eq(back.features, CFG_FEAT_RELAY | CFG_FEAT_PROXY);
	ck_assert_uint_eq(back.num_elements, 2);
	ck_assert_uint_eq(back.elements[1].loc, 0x0102);
	ck_assert(cfg_model_id_eq(back.elements[0].vendor[0], cfg_model_vendor(0x01A8, 0x0000)));
	/* invalid compositions change nothing */
	c.num_elements = 0;
	ck_assert_int_eq(nodedb_node_set_composition(db, a.uuid, &c), -EINVAL);
	c.num_elements = CFG_COMP_MAX_ELEMENTS + 1;
	ck_assert_int_eq(nodedb_node_set_composition(db, a.uuid, &c), -EINVAL);
	commit_ok(db);
	nodedb_close(db);

	root = load_json(dbpath);
	node = file_node(root, "10111213-1415-1617-1819-1A1B1C1D1E01");
	ck_assert_str_eq(jstr(node, "cid"), "01A8");
	f = jget(node, "features");
	ck_assert_int_eq(jint(f, "relay"), 1); /* kept */
	ck_assert(!has_member(f, "proxy"));    /* now supported, state unknown */
	ck_assert_int_eq(jint(f, "friend"), 2);
	els = jarr(node, "elements");
	ck_assert_uint_eq(json_object_array_length(els), 2);
	models = jarr(json_object_array_get_idx(els, 0), "models");
	ck_assert_str_eq(jstr(json_object_array_get_idx(models, 0), "modelId"), "0000");
	ck_assert_str_eq(jstr(json_object_array_get_idx(models, 2), "modelId"), "01A80000");
	el = json_object_array_get_idx(els, 1);
	ck_assert_int_eq(jint(el, "index"), 1);
	ck_assert_str_eq(jstr(el, "location"), "0102");
	ck_assert_str_eq(jstr(el, "name"), "Element 0x0012");
	json_object_put(root);
}
END_TEST

START_TEST(test_bind_subscribe)
{
	struct nodedb *db = open_ok(0);
	struct nodedb_node a = mknode(1, 0x0011, 1, NULL);
	struct cfg_comp_page0 c;
	struct cfg_model_id onoff = cfg_model_sig(0x1110), vnd = cfg_model_vendor(0xa1a2, 0xa3a4),
			    absent = cfg_model_sig(0x1000), vnd_other_cid = cfg_model_vendor(0xa1a3, 0xa3a4);
	struct json_object *root, *models, *m;
	uint8_t other[16] = { 0x42 };

	ck_assert_int_eq(nodedb_add_node(db, &a), 0);
	/* no composition yet: no models */
	ck_assert_int_eq(nodedb_node_model_bind(db, a.uuid, 0, &onoff, 0), -ENOENT);
	sample_page0(&c);
	ck_assert_int_eq(nodedb_node_set_composition(db, a.uuid, &c), 0);

	ck_assert_int_eq(nodedb_node_model_bind(db, a.uuid, 0, &onoff, 0), 0);
	ck_assert_int_eq(nodedb_node_model_bind(db, a.uuid, 0, &onoff, 0), 0); /* once */
	ck_assert_int_eq(nodedb_node_model_bind(db, a.uuid, 0, &vnd, 0), 0);
	ck_assert_int_eq(nodedb_node_model_bind(db, a.uuid, 0, &onoff, 5), -ENOENT);  /* no AppKey 5 */
	ck_assert_int_eq(nodedb_node_model_bind(db, a.uuid, 0, &absent, 0), -ENOENT); /* no such model */
	ck_assert_int_eq(nodedb_node_model_bind(db, a.uuid, 0, &vnd_other_cid, 0), -ENOENT);
	ck_assert_int_eq(nodedb_node_model_bind(db, a.uuid, 1, &onoff, 0), -ENOENT); /* no element 1 */
	ck_assert_int_eq(nodedb_node_model_bind(db, other, 0, &onoff, 0), -ENOENT);

	ck_assert_int_eq(nodedb_node_model_subscribe(db, a.uuid, 0, &onoff, 0xC000), 0);
	ck_assert_int_eq(nodedb_node_model_subscribe(db, a.uuid, 0, &onoff, 0xC000), 0); /* once */
	ck_assert_int_eq(nodedb_node_model_subscribe(db, a.uuid, 0, &onoff, 0xFFFC), 0);
	ck_assert_int_eq(nodedb_node_model_subscribe(db, a.uuid, 0, &vnd, 0xC00A), 0);
	ck_assert_int_eq(nodedb_node_model_subscribe(db, a.uuid, 0, &onoff, 0x0001), -EINVAL);
	ck_assert_int_eq(nodedb_node_model_subscribe(db, a.uuid, 0, &onoff, 0xFFFF), -EINVAL);
	ck_assert_int_eq(nodedb_node_model_subscribe(db, a.uuid, 0, &onoff, 0x8001), -EINVAL); /* virtual */
	ck_assert_int_eq(nodedb_node_model_subscribe(db, a.uuid, 0, &absent, 0xC000), -ENOENT);
	ck_assert_int_eq(nodedb_node_model_subscribe(db, other, 0, &onoff, 0xC000), -ENOENT);
	/* reading the composition again keeps them */
	ck_assert_int_eq(nodedb_node_set_composition(db, a.uuid, &c), 0);
	commit_ok(db);
	nodedb_close(db);

	db = open_ok(0);
	ck_assert_int_eq(nodedb_node_model_bind(db, a.uuid, 0, &onoff, 0), 0);
	ck_assert_int_eq(nodedb_node_model_subscribe(db, a.uuid, 0, &onoff, 0xc000), 0);
	commit_ok(db);
	nodedb_close(db);

	root = load_json(dbpath);
	models = jarr(json_object_array_get_idx(jarr(file_node(root, "10111213-1415-1617-1819-1A1B1C1D1E01"),
						     "elements"),
						0),
		      "models");
	m = json_object_array_get_idx(models, 0); /* 1110 */
	ck_assert_str_eq(jstr(m, "modelId"), "1110");
	ck_assert_uint_eq(json_object_array_length(jarr(m, "bind")), 1);
	ck_assert_int_eq(json_object_get_int64(json_object_array_get_idx(jarr(m, "bind"), 0)), 0);
	ck_assert_uint_eq(json_object_array_length(jarr(m, "subscribe")), 2);
	ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(jarr(m, "subscribe"), 0)), "C000");
	ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(jarr(m, "subscribe"), 1)), "FFFC");
	m = json_object_array_get_idx(models, 3); /* A1A2A3A4 */
	ck_assert_str_eq(jstr(m, "modelId"), "A1A2A3A4");
	ck_assert_uint_eq(json_object_array_length(jarr(m, "bind")), 1);
	ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(jarr(m, "subscribe"), 0)), "C00A");
	m = json_object_array_get_idx(models, 1); /* untouched */
	ck_assert_uint_eq(json_object_array_length(jarr(m, "bind")), 0);
	ck_assert_uint_eq(json_object_array_length(jarr(m, "subscribe")), 0);
	json_object_put(root);

	/* an imported node: existing entries (any case) count */
	test_file_write(dbpath, nrf_export);
	db = open_ok(0);
	{
		uint8_t lamp[16];
		struct nodedb_node got;

		ck_assert_int_eq(nodedb_find_addr(db, 0x0002, &got), 0);
		memcpy(lamp, got.uuid, 16);
		absent = cfg_model_sig(0x1000);
		ck_assert_int_eq(nodedb_node_model_bind(db, lamp, 0, &absent, 0), 0);
		ck_assert_int_eq(nodedb_node_model_bind(db, lamp, 0, &absent, 1), 0);
		ck_assert_int_eq(nodedb_node_model_subscribe(db, lamp, 0, &absent, 0xC001), 0);
		ck_assert_int_eq(nodedb_node_get_composition(db, lamp, &c), 0);
		ck_assert_uint_eq(c.cid, 0x07D7);
		ck_assert_uint_eq(c.features, 0); /* no "features" in the file */
		ck_assert_uint_eq(c.num_elements, 2);
		ck_assert_uint_eq(c.elements[0].num_sig, 1);
		ck_assert_uint_eq(c.elements[1].loc, 0x0001);
	}
	commit_ok(db);
	nodedb_close(db);
	root = load_json(dbpath);
	m = json_object_array_get_idx(
		jarr(json_object_array_get_idx(jarr(file_node(root, "13b28af517c8000000000000000000aa"), "elements"), 0),
		     "models"),
		0);
	ck_assert_uint_eq(json_object_array_length(jarr(m, "bind")), 2);
	ck_assert_uint_eq(json_object_array_length(jarr(m, "subscribe")), 1);
	jget(m, "publish"); /* kept */
	json_object_put(root);
}
END_TEST

/* ---- configuration state ---- */

START_TEST(test_unconfigured)
{
	struct nodedb *db = open_ok(0);
	struct nodedb_node a = mknode(1, 0x0011, 1, NULL), got;
	struct json_object *root, *node, *arr, *o;
	uint8_t other[16] = { 0x42 };
	char longr[300];

	a.config_complete = true; /* ignored by add */
	snprintf(a.config_error, sizeof(a.config_error), "ignored");
	ck_assert_int_eq(nodedb_add_node(db, &a), 0);
	ck_assert_int_eq(nodedb_find_uuid(db, a.uuid, &got), 0);
	ck_assert(!got.config_complete);
	ck_assert_str_eq(got.config_error, "");

	ck_assert_int_eq(nodedb_node_set_unconfigured(db, a.uuid, "AppKey Add: Invalid NetKey Index"), 0);
	ck_assert_int_eq(nodedb_node_set_unconfigured(db, other, "x"), -ENOENT);
	ck_assert_int_eq(nodedb_find_uuid(db, a.uuid, &got), 0);
	ck_assert(!got.config_complete);
	ck_assert_str_eq(got.config_error, "AppKey Add: Invalid NetKey Index");
	commit_ok(db);
	nodedb_close(db);

	db = open_ok(0);
	ck_assert_int_eq(nodedb_node_at(db, 0, &got), 0);
	ck_assert(!got.config_complete);
	ck_assert_str_eq(got.config_error, "AppKey Add: Invalid NetKey Index");
	arr = nodedb_nodes_json(db);
	o = json_object_array_get_idx(arr, 0);
	ck_assert(!jbool(o, "configured"));
	ck_assert_str_eq(jstr(o, "config_error"), "AppKey Add: Invalid NetKey Index");
	json_object_put(arr);
	nodedb_close(db);
	root = load_json(dbpath);
	node = file_node(root, "10111213-1415-1617-1819-1A1B1C1D1E01");
	ck_assert(!jbool(node, "configComplete"));
	ck_assert_str_eq(jstr(node, "meshprovConfigError"), "AppKey Add: Invalid NetKey Index");
	json_object_put(root);

	/* completed: the reason goes */
	db = open_ok(0);
	ck_assert_int_eq(nodedb_node_set_config_complete(db, a.uuid, true), 0);
	ck_assert_int_eq(nodedb_find_uuid(db, a.uuid, &got), 0);
	ck_assert(got.config_complete);
	ck_assert_str_eq(got.config_error, "");
	commit_ok(db);
	nodedb_close(db);
	root = load_json(dbpath);
	node = file_node(root, "10111213-1415-1617-1819-1A1B1C1D1E01");
	ck_assert(jbool(node, "configComplete"));
	ck_assert(!has_member(node, "meshprovConfigError"));
	json_object_put(root);

	/* a long reason: whole in the file and the JSON listing, truncated in the struct */
	db = open_ok(0);
	memset(longr, 'r', sizeof(longr) - 1);
	longr[sizeof(longr) - 1] = '\0';
	ck_assert_int_eq(nodedb_node_set_unconfigured(db, a.uuid, longr), 0);
	ck_assert_int_eq(nodedb_find_uuid(db, a.uuid, &got), 0);
	ck_assert_uint_eq(strlen(got.config_error), sizeof(got.config_error) - 1);
	arr = nodedb_nodes_json(db);
	ck_assert_str_eq(jstr(json_object_array_get_idx(arr, 0), "config_error"), longr);
	json_object_put(arr);
	/* false keeps the reason; no reason removes it */
	ck_assert_int_eq(nodedb_node_set_config_complete(db, a.uuid, false), 0);
	ck_assert_int_eq(nodedb_find_uuid(db, a.uuid, &got), 0);
	ck_assert_uint_gt(strlen(got.config_error), 0);
	ck_assert_int_eq(nodedb_node_set_unconfigured(db, a.uuid, NULL), 0);
	ck_assert_int_eq(nodedb_find_uuid(db, a.uuid, &got), 0);
	ck_assert(!got.config_complete);
	ck_assert_str_eq(got.config_error, "");
	arr = nodedb_nodes_json(db);
	ck_assert(!has_member(json_object_array_get_idx(arr, 0), "config_error"));
	json_object_put(arr);
	nodedb_close(db);
}
END_TEST

/* Several commits in one session, as the daemon makes them: each change of
 * a node reaches the file at the next commit (nodedb keeps each node's text
 * between commits: a stale one would lose it), and the file is exactly what
 * json-c prints of it (indentation and order as without that keeping). */
static void assert_file_as_json_c_prints_it(void)
{
	char *text = read_file_str(dbpath, NULL);
	struct json_object *o;
	const char *again;

	ck_assert_ptr_nonnull(text);
	o = json_tokener_parse(text);
	ck_assert_ptr_nonnull(o);
	again = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
							  JSON_C_TO_STRING_NOSLASHESCAPE);
	ck_assert_uint_eq(strlen(text), strlen(again) + 1);
	ck_assert(!strncmp(text, again, strlen(again)));
	ck_assert_int_eq(text[strlen(again)], '\n');
	json_object_put(o);
	free(text);
}

START_TEST(test_commit_each_change)
{
	struct nodedb *db = open_ok(0);
	struct nodedb_node a = mknode(1, 0x0011, 1, NULL), b = mknode(2, 0x0012, 1, NULL);
	struct cfg_model_id onoff = cfg_model_sig(0x1110);
	struct cfg_comp_page0 c;
	struct json_object *root, *node, *m;

	ck_assert_int_eq(nodedb_add_node(db, &a), 0);
	ck_assert_int_eq(nodedb_add_node(db, &b), 0);
	commit_ok(db);
	assert_file_as_json_c_prints_it();

	ck_assert_int_eq(nodedb_node_add_app_key(db, a.uuid, 0), 0);
	commit_ok(db);
	root = load_json(dbpath);
	ck_assert_uint_eq(json_object_array_length(jarr(file_node(root, "10111213-1415-1617-1819-1A1B1C1D1E01"),
							 "appKeys")), 1);
	json_object_put(root);
	assert_file_as_json_c_prints_it();

	sample_page0(&c);
	ck_assert_int_eq(nodedb_node_set_composition(db, a.uuid, &c), 0);
	commit_ok(db);
	ck_assert_int_eq(nodedb_node_model_subscribe(db, a.uuid, 0, &onoff, 0xC000), 0);
	ck_assert_int_eq(nodedb_node_set_unconfigured(db, b.uuid, "no answer"), 0);
	commit_ok(db);
	root = load_json(dbpath);
	node = file_node(root, "10111213-1415-1617-1819-1A1B1C1D1E01");
	m = json_object_array_get_idx(jarr(json_object_array_get_idx(jarr(node, "elements"), 0), "models"), 0);
	ck_assert_str_eq(jstr(m, "modelId"), "1110");
	ck_assert_uint_eq(json_object_array_length(jarr(m, "subscribe")), 1);
	ck_assert_str_eq(jstr(file_node(root, "20212223-2425-2627-2829-2A2B2C2D2E02"), "meshprovConfigError"),
			 "no answer");
	json_object_put(root);
	assert_file_as_json_c_prints_it();

	ck_assert_int_eq(nodedb_node_set_config_complete(db, a.uuid, true), 0);
	ck_assert_int_eq(nodedb_remove_node(db, b.uuid), 0);
	commit_ok(db);
	root = load_json(dbpath);
	ck_assert(jbool(file_node(root, "10111213-1415-1617-1819-1A1B1C1D1E01"), "configComplete"));
	ck_assert_ptr_null(find_by(jarr(root, "nodes"), "UUID", "20212223-2425-2627-2829-2A2B2C2D2E02"));
	json_object_put(root);
	assert_file_as_json_c_prints_it();
	nodedb_close(db);
}
END_TEST

START_TEST(test_nodes_json_config)
{
	struct nodedb *db = open_ok(0);
	struct nodedb_node a = mknode(1, 0x0011, 1, "lamp"), b = mknode(2, 0x0012, 1, NULL);
	struct cfg_comp_page0 c;
	struct json_object *arr, *o, *comp, *keys;

	ck_assert_int_eq(nodedb_add_node(db, &a), 0);
	ck_assert_int_eq(nodedb_add_node(db, &b), 0);
	ck_assert_int_eq(nodedb_node_add_app_key(db, a.uuid, 0), 0);
	sample_page0(&c);
	ck_assert_int_eq(nodedb_node_set_composition(db, a.uuid, &c), 0);
	ck_assert_int_eq(nodedb_node_set_config_complete(db, a.uuid, true), 0);

	arr = nodedb_nodes_json(db);
	ck_assert_uint_eq(json_object_array_length(arr), 2); /* not meshprov's own node */
	o = json_object_array_get_idx(arr, 0);
	ck_assert_str_eq(jstr(o, "name"), "lamp");
	ck_assert(jbool(o, "configured"));
	ck_assert(!has_member(o, "config_error"));
	keys = jarr(o, "appkeys");
	ck_assert_uint_eq(json_object_array_length(keys), 1);
	ck_assert_int_eq(json_object_get_int64(json_object_array_get_idx(keys, 0)), 0);
	comp = jget(o, "composition");
	ck_assert_int_eq(jint(comp, "cid"), 0x1011);
	ck_assert_int_eq(jint(comp, "pid"), 0x2022);
	ck_assert_int_eq(jint(comp, "vid"), 0x3033);
	ck_assert_int_eq(jint(comp, "elements"), 1);

	o = json_object_array_get_idx(arr, 1);
	ck_assert(!jbool(o, "configured"));
	ck_assert(!has_member(o, "config_error"));
	ck_assert_uint_eq(json_object_array_length(jarr(o, "appkeys")), 0);
	ck_assert(!has_member(o, "composition"));
	json_object_put(arr);
	nodedb_close(db);
}
END_TEST

/* ---- reservations across a crash ---- */

static struct nodedb_reservation mkres(uint8_t tag, uint16_t unicast, uint8_t elements)
{
	struct nodedb_node n = mknode(tag, unicast, elements, NULL);
	struct nodedb_reservation r;

	memset(&r, 0, sizeof(r));
	memcpy(r.uuid, n.uuid, 16);
	memcpy(r.devkey, n.devkey, 16);
	r.unicast = unicast;
	r.elements = elements;
	r.time = 1700000000;
	return r;
}

/* The address of a device that was sent Provisioning Data, then the
 * process died: reserved in the file, never handed out again. */
static struct nodedb *reserve_and_crash(const struct nodedb_reservation *r)
{
	struct nodedb *db = open_ok(0);
	uint16_t addr;

	ck_assert_int_eq(nodedb_alloc_unicast(db, r->elements, &addr), 0);
	ck_assert_uint_eq(addr, r->unicast);
	ck_assert_int_eq(nodedb_reservation_add(db, r), 0);
	ck_assert_int_eq(nodedb_reservation_add(db, r), -EEXIST);
	commit_ok(db);
	nodedb_close(db); /* nothing else written: as after SIGKILL */
	return open_ok(0);
}

static const char *exclusion_at(struct json_object *root, size_t i)
{
	struct json_object *ex = json_object_array_get_idx(jarr(root, "networkExclusions"), 0);

	return json_object_get_string(json_object_array_get_idx(jarr(ex, "addresses"), i));
}

START_TEST(test_reservation_keep)
{
	struct nodedb_reservation r = mkres(1, 0x0011, 2), got;
	struct nodedb *db = reserve_and_crash(&r);
	struct nodedb_node n;
	struct json_object *a, *o, *root;
	uint16_t addr;

	ck_assert_uint_eq(nodedb_reservation_count(db), 1);
	ck_assert_int_eq(nodedb_reservation_find(db, r.uuid, &got), 0);
	ck_assert_uint_eq(got.unicast, 0x0011);
	ck_assert_uint_eq(got.elements, 2);
	ck_assert_mem_eq(got.devkey, r.devkey, 16);
	ck_assert_int_eq(got.time, 1700000000);
	/* not a node yet, but its addresses are taken */
	ck_assert_uint_eq(nodedb_count(db), 0);
	ck_assert(!nodedb_unicast_free(db, 0x0012, 1));
	ck_assert_int_eq(nodedb_alloc_unicast(db, 1, &addr), 0);
	ck_assert_uint_eq(addr, 0x0013);
	ck_assert_int_eq(nodedb_reserve_unicast(db, 0x0011, 1), -EEXIST);
	/* listed as pending */
	a = nodedb_nodes_json(db);
	ck_assert_uint_eq(json_object_array_length(a), 1);
	o = json_object_array_get_idx(a, 0);
	ck_assert(jbool(o, "pending"));
	ck_assert(!jbool(o, "configured"));
	ck_assert_int_eq(jint(o, "unicast"), 0x0011);
	ck_assert(!json_object_object_get_ex(o, "device_key", NULL));
	json_object_put(a);

	ck_assert_int_eq(nodedb_reservation_keep(db, r.uuid, "provisioned, not confirmed"), 0);
	ck_assert_int_eq(nodedb_reservation_find(db, r.uuid, NULL), -ENOENT);
	ck_assert_int_eq(nodedb_reservation_keep(db, r.uuid, "x"), -ENOENT);
	commit_ok(db);
	nodedb_close(db);

	db = open_ok(0);
	ck_assert_uint_eq(nodedb_reservation_count(db), 0);
	ck_assert_int_eq(nodedb_find_uuid(db, r.uuid, &n), 0);
	ck_assert_uint_eq(n.unicast, 0x0011);
	ck_assert_uint_eq(n.elements, 2);
	ck_assert_mem_eq(n.devkey, r.devkey, 16);
	ck_assert(!n.config_complete);
	ck_assert_str_eq(n.config_error, "provisioned, not confirmed");
	ck_assert_int_eq(nodedb_alloc_unicast(db, 1, &addr), 0);
	ck_assert_uint_eq(addr, 0x0013);
	nodedb_close(db);
	/* other tools see a plain node and no meshprov member */
	root = load_json(dbpath);
	ck_assert(!json_object_object_get_ex(root, "meshprovReservations", NULL));
	ck_assert(!jbool(file_node(root, "10111213-1415-1617-1819-1A1B1C1D1E01"), "configComplete"));
	json_object_put(root);
}
END_TEST

START_TEST(test_reservation_release)
{
	struct nodedb_reservation r = mkres(1, 0x0011, 2);
	struct nodedb *db = reserve_and_crash(&r);
	struct json_object *root;
	uint16_t addr;

	ck_assert_int_eq(nodedb_reservation_release(db, r.uuid), 0);
	ck_assert_int_eq(nodedb_reservation_release(db, r.uuid), -ENOENT);
	ck_assert_uint_eq(nodedb_count(db), 0);
	commit_ok(db);
	nodedb_close(db);

	root = load_json(dbpath);
	ck_assert(!json_object_object_get_ex(root, "meshprovReservations", NULL));
	ck_assert_str_eq(exclusion_at(root, 0), "0011");
	ck_assert_str_eq(exclusion_at(root, 1), "0012");
	json_object_put(root);
	/* not handed out before the IV Index has advanced by two */
	db = open_ok(0);
	ck_assert_uint_eq(nodedb_reservation_count(db), 0);
	ck_assert_int_eq(nodedb_alloc_unicast(db, 1, &addr), 0);
	ck_assert_uint_eq(addr, 0x0013);
	nodedb_close(db);
	db = open_ok(0);
	nodedb_set_iv_index(db, 2, false);
	ck_assert_int_eq(nodedb_alloc_unicast(db, 1, &addr), 0);
	ck_assert_uint_eq(addr, 0x0011);
	nodedb_close(db);
}
END_TEST

/* Provisioning Complete: the node replaces the reservation in one commit. */
START_TEST(test_reservation_drop)
{
	struct nodedb_reservation r = mkres(1, 0x0011, 1);
	struct nodedb_node n = mknode(1, 0x0011, 1, NULL);
	struct nodedb *db = reserve_and_crash(&r);
	struct json_object *root;

	ck_assert_int_eq(nodedb_add_node(db, &n), 0);
	ck_assert_int_eq(nodedb_reservation_drop(db, r.uuid), 0);
	ck_assert_int_eq(nodedb_reservation_drop(db, r.uuid), -ENOENT);
	commit_ok(db);
	nodedb_close(db);
	root = load_json(dbpath);
	ck_assert(!json_object_object_get_ex(root, "meshprovReservations", NULL));
	ck_assert(!json_object_object_get_ex(root, "networkExclusions", NULL) ||
		  json_object_array_length(jarr(root, "networkExclusions")) == 0);
	json_object_put(root);
	db = open_ok(0);
	ck_assert_int_eq(nodedb_find_addr(db, 0x0011, NULL), 0);
	nodedb_close(db);
}
END_TEST

/* A device left unconfigured at 0x0011 took a new provisioning at 0x0012
 * and then we died: kept, the new record replaces the old. */
START_TEST(test_reservation_keep_replaces)
{
	struct nodedb_node old = mknode(1, 0x0011, 1, NULL), n;
	struct nodedb_reservation r = mkres(1, 0x0012, 1);
	struct nodedb *db = open_ok(0);
	struct json_object *root;

	ck_assert_int_eq(nodedb_add_node(db, &old), 0);
	r.devkey[0] ^= 0xff;
	ck_assert_int_eq(nodedb_reservation_add(db, &r), 0);
	/* the reservation may not sit on a node's addresses */
	{
		struct nodedb_reservation bad = mkres(2, 0x0011, 1);

		ck_assert_int_eq(nodedb_reservation_add(db, &bad), -EEXIST);
		bad.unicast = 0x0012;
		ck_assert_int_eq(nodedb_reservation_add(db, &bad), -EEXIST);
		bad.unicast = 0x7fff;
		bad.elements = 2;
		ck_assert_int_eq(nodedb_reservation_add(db, &bad), -EINVAL);
	}
	commit_ok(db);
	nodedb_close(db);
	db = open_ok(0);
	ck_assert_int_eq(nodedb_reservation_keep(db, r.uuid, "not confirmed"), 0);
	ck_assert_uint_eq(nodedb_count(db), 1);
	ck_assert_int_eq(nodedb_find_uuid(db, r.uuid, &n), 0);
	ck_assert_uint_eq(n.unicast, 0x0012);
	ck_assert_mem_eq(n.devkey, r.devkey, 16);
	commit_ok(db);
	nodedb_close(db);
	root = load_json(dbpath);
	ck_assert_str_eq(exclusion_at(root, 0), "0011");
	json_object_put(root);
}
END_TEST

/* A failed attempt before the data gives its address back. */
START_TEST(test_unreserve)
{
	struct nodedb *db = open_ok(0);
	uint16_t addr;

	ck_assert_int_eq(nodedb_alloc_unicast(db, 2, &addr), 0);
	ck_assert_uint_eq(addr, 0x0011);
	nodedb_unreserve_unicast(db, 0x0011, 1); /* not that range: nothing */
	ck_assert(!nodedb_unicast_free(db, 0x0011, 1));
	nodedb_unreserve_unicast(db, 0x0011, 2);
	ck_assert(nodedb_unicast_free(db, 0x0011, 2));
	ck_assert_int_eq(nodedb_alloc_unicast(db, 1, &addr), 0);
	ck_assert_uint_eq(addr, 0x0011);
	nodedb_close(db);
}
END_TEST

/* Every reservation in the file is checked at open: ignoring a bad one
 * could hand its addresses out twice. */
START_TEST(test_reservation_invalid)
{
	static const struct {
		const char *json; /* the meshprovReservations member */
		const char *why;
	} t[] = {
		{ "{}", "meshprovReservations is not an array" },
		{ "[ 1 ]", "meshprovReservations[0] is not a valid reservation" },
		{ "[ { \"UUID\": \"00112233445566778899AABBCCDDEEFF\", \"unicastAddress\": \"0011\", "
		  "\"elements\": 1, \"deviceKey\": \"00\", \"netKeyIndex\": 0, \"time\": 1 } ]",
		  "meshprovReservations[0] is not a valid reservation" },
		{ "[ { \"UUID\": \"00112233445566778899AABBCCDDEEFF\", \"unicastAddress\": \"0011\", "
		  "\"elements\": 0, \"deviceKey\": \"00112233445566778899AABBCCDDEEFF\", "
		  "\"netKeyIndex\": 0, \"time\": 1 } ]",
		  "meshprovReservations[0] is not a valid reservation" },
		{ "[ { \"UUID\": \"00112233445566778899AABBCCDDEEFF\", \"unicastAddress\": \"0011\", "
		  "\"elements\": 1, \"deviceKey\": \"00112233445566778899AABBCCDDEEFF\", "
		  "\"netKeyIndex\": 0, \"time\": 1 }, "
		  "{ \"UUID\": \"00112233445566778899AABBCCDDEEFF\", \"unicastAddress\": \"0012\", "
		  "\"elements\": 1, \"deviceKey\": \"00112233445566778899AABBCCDDEEFF\", "
		  "\"netKeyIndex\": 0, \"time\": 1 } ]",
		  "meshprovReservations[1] repeats the UUID" },
		{ "[ { \"UUID\": \"00112233445566778899AABBCCDDEEFF\", \"unicastAddress\": \"0011\", "
		  "\"elements\": 2, \"deviceKey\": \"00112233445566778899AABBCCDDEEFF\", "
		  "\"netKeyIndex\": 0, \"time\": 1 }, "
		  "{ \"UUID\": \"FF112233445566778899AABBCCDDEEFF\", \"unicastAddress\": \"0012\", "
		  "\"elements\": 1, \"deviceKey\": \"00112233445566778899AABBCCDDEEFF\", "
		  "\"netKeyIndex\": 0, \"time\": 1 } ]",
		  "meshprovReservations[0] overlaps" },
		{ "[ { \"UUID\": \"00112233445566778899AABBCCDDEEFF\", \"unicastAddress\": \"0020\", "
		  "\"elements\": 1, \"deviceKey\": \"00112233445566778899AABBCCDDEEFF\", "
		  "\"netKeyIndex\": 0, \"time\": 1 } ]",
		  "meshprovReservations[0] overlaps" },
	};
	struct nodedb_node n = mknode(7, 0x0020, 1, NULL);
	struct nodedb *db;
	char err[512], *base;

	db = open_ok(0);
	ck_assert_int_eq(nodedb_add_node(db, &n), 0);
	commit_ok(db);
	nodedb_close(db);
	base = read_file_str(dbpath, NULL);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct json_object *root = json_tokener_parse(base);

		ck_assert_ptr_nonnull(root);
		json_object_object_add(root, "meshprovReservations", json_tokener_parse(t[i].json));
		test_file_write(dbpath, json_object_to_json_string(root));
		json_object_put(root);
		err[0] = '\0';
		db = nodedb_open(dbpath, 0, err, sizeof(err));
		ck_assert_msg(db == NULL, "case %zu opened", i);
		ck_assert_msg(strstr(err, t[i].why) && strstr(err, dbpath), "case %zu: %s", i, err);
	}
	free(base);
}
END_TEST

/* Unbind and unsubscribe: what the node confirmed leaves the model's lists
 * (an entry written in lower case by another tool too); nothing to remove
 * is no error; the other models keep theirs. */
START_TEST(test_unbind_unsubscribe)
{
	struct nodedb *db = open_ok(0);
	struct nodedb_node a = mknode(1, 0x0011, 1, NULL);
	struct cfg_comp_page0 c;
	struct cfg_model_id onoff = cfg_model_sig(0x1110), vnd = cfg_model_vendor(0xa1a2, 0xa3a4),
			    absent = cfg_model_sig(0x1000);
	struct json_object *root, *models, *m;
	uint8_t other[16] = { 0x42 };

	ck_assert_int_eq(nodedb_add_node(db, &a), 0);
	sample_page0(&c);
	ck_assert_int_eq(nodedb_node_set_composition(db, a.uuid, &c), 0);
	ck_assert_int_eq(nodedb_node_model_bind(db, a.uuid, 0, &onoff, 0), 0);
	ck_assert_int_eq(nodedb_node_model_bind(db, a.uuid, 0, &vnd, 0), 0);
	ck_assert_int_eq(nodedb_node_model_subscribe(db, a.uuid, 0, &onoff, 0xC000), 0);
	ck_assert_int_eq(nodedb_node_model_subscribe(db, a.uuid, 0, &onoff, 0xFFFC), 0);
	ck_assert_int_eq(nodedb_node_model_subscribe(db, a.uuid, 0, &vnd, 0xC000), 0);

	ck_assert_int_eq(nodedb_node_model_unbind(db, a.uuid, 0, &onoff, 0), 0);
	ck_assert_int_eq(nodedb_node_model_unbind(db, a.uuid, 0, &onoff, 0), 0); /* gone already */
	ck_assert_int_eq(nodedb_node_model_unsubscribe(db, a.uuid, 0, &onoff, 0xC000), 0);
	ck_assert_int_eq(nodedb_node_model_unsubscribe(db, a.uuid, 0, &onoff, 0xC001), 0);
	ck_assert_int_eq(nodedb_node_model_unbind(db, a.uuid, 0, &onoff, 0x1000), -EINVAL);
	ck_assert_int_eq(nodedb_node_model_unsubscribe(db, a.uuid, 0, &onoff, 0x0001), -EINVAL);
	ck_assert_int_eq(nodedb_node_model_unbind(db, a.uuid, 0, &absent, 0), -ENOENT);
	ck_assert_int_eq(nodedb_node_model_unsubscribe(db, a.uuid, 1, &onoff, 0xC000), -ENOENT);
	ck_assert_int_eq(nodedb_node_model_unsubscribe(db, other, 0, &onoff, 0xC000), -ENOENT);
	commit_ok(db);
	nodedb_close(db);

	root = load_json(dbpath);
	models = jarr(json_object_array_get_idx(jarr(file_node(root, "10111213-1415-1617-1819-1A1B1C1D1E01"),
						     "elements"),
						0),
		      "models");
	m = json_object_array_get_idx(models, 0); /* 1110 */
	ck_assert_str_eq(jstr(m, "modelId"), "1110");
	ck_assert_uint_eq(json_object_array_length(jarr(m, "bind")), 0);
	ck_assert_uint_eq(json_object_array_length(jarr(m, "subscribe")), 1);
	ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(jarr(m, "subscribe"), 0)), "FFFC");
	m = json_object_array_get_idx(models, 3); /* A1A2A3A4 keeps its own */
	ck_assert_str_eq(jstr(m, "modelId"), "A1A2A3A4");
	ck_assert_uint_eq(json_object_array_length(jarr(m, "bind")), 1);
	ck_assert_uint_eq(json_object_array_length(jarr(m, "subscribe")), 1);
	/* an entry another tool wrote in lower case counts */
	json_object_array_put_idx(jarr(m, "subscribe"), 0, json_object_new_string("c000"));
	ck_assert_int_eq(json_object_to_file(dbpath, root), 0);
	json_object_put(root);
	db = open_ok(0);
	ck_assert_int_eq(nodedb_node_model_unsubscribe(db, a.uuid, 0, &vnd, 0xC000), 0);
	commit_ok(db);
	nodedb_close(db);
	root = load_json(dbpath);
	models = jarr(json_object_array_get_idx(jarr(file_node(root, "10111213-1415-1617-1819-1A1B1C1D1E01"),
						     "elements"),
						0),
		      "models");
	ck_assert_uint_eq(json_object_array_length(jarr(json_object_array_get_idx(models, 3), "subscribe")), 0);
	json_object_put(root);
}
END_TEST

/* A model's publication as the CDB "publish"; address 0 removes it. */
START_TEST(test_model_publish)
{
	struct nodedb *db = open_ok(0);
	struct nodedb_node a = mknode(1, 0x0011, 1, NULL);
	struct cfg_comp_page0 c;
	struct cfg_model_id onoff = cfg_model_sig(0x1110), absent = cfg_model_sig(0x1000);
	struct cfg_model_pub pub = { .addr = 0xC001, .app_idx = 0, .cred = true, .ttl = 7,
				     .period = 2 << 6 | 3, .retransmit = 2 | 5 << 3 };
	struct cfg_model_pub virt = pub, off = { 0 };
	struct json_object *root, *m, *p, *o;

	ck_assert_int_eq(nodedb_add_node(db, &a), 0);
	sample_page0(&c);
	ck_assert_int_eq(nodedb_node_set_composition(db, a.uuid, &c), 0);
	ck_assert_int_eq(nodedb_node_model_publish(db, a.uuid, 0, &onoff, &pub), 0);
	ck_assert_int_eq(nodedb_node_model_publish(db, a.uuid, 0, &absent, &pub), -ENOENT);
	virt.addr = 0x8001;
	ck_assert_int_eq(nodedb_node_model_publish(db, a.uuid, 0, &onoff, &virt), -EINVAL);
	virt = pub;
	virt.ttl = 0x80;
	ck_assert_int_eq(nodedb_node_model_publish(db, a.uuid, 0, &onoff, &virt), -EINVAL);
	commit_ok(db);
	nodedb_close(db);

	root = load_json(dbpath);
	m = json_object_array_get_idx(jarr(json_object_array_get_idx(jarr(file_node(root,
				"10111213-1415-1617-1819-1A1B1C1D1E01"), "elements"), 0), "models"), 0);
	ck_assert_str_eq(jstr(m, "modelId"), "1110");
	p = jget(m, "publish");
	ck_assert_str_eq(jstr(p, "address"), "C001");
	ck_assert_int_eq(jint(p, "index"), 0);
	ck_assert_int_eq(jint(p, "ttl"), 7);
	ck_assert_int_eq(jint(p, "credentials"), 1);
	o = jget(p, "period");
	ck_assert_int_eq(jint(o, "numberOfSteps"), 3);
	ck_assert_int_eq(jint(o, "resolution"), 10000);
	o = jget(p, "retransmit");
	ck_assert_int_eq(jint(o, "count"), 2);
	ck_assert_int_eq(jint(o, "interval"), 300);
	json_object_put(root);

	/* the file opens again; publication off removes it */
	db = open_ok(0);
	ck_assert_int_eq(nodedb_node_model_publish(db, a.uuid, 0, &onoff, &off), 0);
	commit_ok(db);
	nodedb_close(db);
	root = load_json(dbpath);
	m = json_object_array_get_idx(jarr(json_object_array_get_idx(jarr(file_node(root,
				"10111213-1415-1617-1819-1A1B1C1D1E01"), "elements"), 0), "models"), 0);
	ck_assert(!json_object_object_get_ex(m, "publish", NULL));
	json_object_put(root);
}
END_TEST

/* The node states a node reported, as the Mesh Configuration Database
 * has them; the file opens again with them; prohibited values refused. */
START_TEST(test_node_states)
{
	struct nodedb *db = open_ok(0);
	struct nodedb_node a = mknode(1, 0x0011, 1, NULL);
	struct json_object *root, *node, *f, *t;
	uint8_t other[16] = { 0x42 };
	struct cfg_node_state ttl = { 9, 0 }, relay = { 1, 2 | 3 << 3 }, beacon = { 0, 0 },
			      proxy = { 2, 0 }, friend = { 0, 0 }, nt = { 4 | 9 << 3, 0 };
	struct cfg_node_state bad_ttl = { 1, 0 }, bad_relay = { 3, 0 }, bad_beacon = { 2, 0 };

	ck_assert_int_eq(nodedb_add_node(db, &a), 0);
	ck_assert_int_eq(nodedb_node_set_state(db, a.uuid, CFG_STATE_DEFAULT_TTL, &ttl), 0);
	ck_assert_int_eq(nodedb_node_set_state(db, a.uuid, CFG_STATE_RELAY, &relay), 0);
	ck_assert_int_eq(nodedb_node_set_state(db, a.uuid, CFG_STATE_BEACON, &beacon), 0);
	ck_assert_int_eq(nodedb_node_set_state(db, a.uuid, CFG_STATE_GATT_PROXY, &proxy), 0);
	ck_assert_int_eq(nodedb_node_set_state(db, a.uuid, CFG_STATE_FRIEND, &friend), 0);
	ck_assert_int_eq(nodedb_node_set_state(db, a.uuid, CFG_STATE_NET_TRANSMIT, &nt), 0);
	ck_assert_int_eq(nodedb_node_set_state(db, other, CFG_STATE_DEFAULT_TTL, &ttl), -ENOENT);
	ck_assert_int_eq(nodedb_node_set_state(db, a.uuid, CFG_STATE_DEFAULT_TTL, &bad_ttl), -EINVAL);
	ck_assert_int_eq(nodedb_node_set_state(db, a.uuid, CFG_STATE_RELAY, &bad_relay), -EINVAL);
	ck_assert_int_eq(nodedb_node_set_state(db, a.uuid, CFG_STATE_BEACON, &bad_beacon), -EINVAL);
	commit_ok(db);
	nodedb_close(db);

	root = load_json(dbpath);
	node = file_node(root, "10111213-1415-1617-1819-1A1B1C1D1E01");
	ck_assert_int_eq(jint(node, "defaultTTL"), 9);
	ck_assert(!jbool(node, "secureNetworkBeacon"));
	f = jget(node, "features");
	ck_assert_int_eq(jint(f, "relay"), 1);
	ck_assert_int_eq(jint(f, "proxy"), 2);
	ck_assert_int_eq(jint(f, "friend"), 0);
	t = jget(node, "relayRetransmit");
	ck_assert_int_eq(jint(t, "count"), 3);     /* 2 retransmissions: 3 transmissions */
	ck_assert_int_eq(jint(t, "interval"), 40); /* (3 + 1) x 10 ms */
	t = jget(node, "networkTransmit");
	ck_assert_int_eq(jint(t, "count"), 5);
	ck_assert_int_eq(jint(t, "interval"), 100);
	json_object_put(root);

	/* it opens again; a later report replaces the earlier one */
	db = open_ok(0);
	ttl.value = 0;
	beacon.value = 1;
	relay.value = 2;
	ck_assert_int_eq(nodedb_node_set_state(db, a.uuid, CFG_STATE_DEFAULT_TTL, &ttl), 0);
	ck_assert_int_eq(nodedb_node_set_state(db, a.uuid, CFG_STATE_BEACON, &beacon), 0);
	ck_assert_int_eq(nodedb_node_set_state(db, a.uuid, CFG_STATE_RELAY, &relay), 0);
	commit_ok(db);
	nodedb_close(db);
	root = load_json(dbpath);
	node = file_node(root, "10111213-1415-1617-1819-1A1B1C1D1E01");
	ck_assert_int_eq(jint(node, "defaultTTL"), 0);
	ck_assert(jbool(node, "secureNetworkBeacon"));
	ck_assert_int_eq(jint(jget(node, "features"), "relay"), 2);
	ck_assert_int_eq(jint(jget(node, "features"), "proxy"), 2);
	json_object_put(root);
}
END_TEST

static Suite *nodedb_suite(void)
{
	Suite *s = suite_create("nodedb");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, test_dir_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_create_commit);
	tcase_add_test(tc, test_reopen_same_keys);
	tcase_add_test(tc, test_two_databases_differ);
	tcase_add_test(tc, test_add_find_reopen);
	tcase_add_test(tc, test_alloc_sequence);
	tcase_add_test(tc, test_alloc_holes);
	tcase_add_test(tc, test_alloc_full);
	tcase_add_test(tc, test_add_overlap);
	tcase_add_test(tc, test_remove);
	tcase_add_test(tc, test_node_keys_config);
	tcase_add_test(tc, test_commit_each_change);
	tcase_add_test(tc, test_nodes_json_no_devkey);
	tcase_add_test(tc, test_lock_other_process);
	tcase_add_test(tc, test_lock_same_process);
	tcase_add_test(tc, test_lock_wait_then_succeed);
	tcase_add_test(tc, test_corrupt_file);
	tcase_add_test(tc, test_missing_dir);
	tcase_add_test(tc, test_commit_readonly_dir);
	tcase_add_test(tc, test_commit_stale_tmp);
	tcase_add_test(tc, test_commit_write_error);
	tcase_add_test(tc, test_import_roundtrip);
	tcase_add_test(tc, test_bluez_style_import);
	tcase_add_test(tc, test_self_node);
	tcase_add_test(tc, test_self_import);
	tcase_add_test(tc, test_seq_reserve);
	tcase_add_test(tc, test_seq_foreign);
	tcase_add_test(tc, test_seq_crash);
	tcase_add_test(tc, test_seq_overflow);
	tcase_add_test(tc, test_seq_commit_fails);
	tcase_add_test(tc, test_seq_record);
	tcase_add_test(tc, test_seq_record_crash);
	tcase_add_test(tc, test_seq_record_merge);
	tcase_add_test(tc, test_composition_roundtrip);
	tcase_add_test(tc, test_bind_subscribe);
	tcase_add_test(tc, test_unconfigured);
	tcase_add_test(tc, test_nodes_json_config);
	tcase_add_test(tc, test_reservation_keep);
	tcase_add_test(tc, test_reservation_release);
	tcase_add_test(tc, test_reservation_drop);
	tcase_add_test(tc, test_reservation_keep_replaces);
	tcase_add_test(tc, test_unreserve);
	tcase_add_test(tc, test_reservation_invalid);
	tcase_add_test(tc, test_node_states);
	tcase_add_test(tc, test_unbind_unsubscribe);
	tcase_add_test(tc, test_model_publish);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(nodedb_suite)
