/* Unit tests for the node database (CDB JSON file). Each test works in its
 * own fresh temporary directory. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check_main.h"
#include "nodedb.h"
#include "util.h"

static char tmpdir[256];
static char dbpath[512];

static int rm_cb(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static void setup(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_nodedb.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(dbpath, sizeof(dbpath), "%s/mesh.json", tmpdir);
}

static void teardown(void)
{
	chmod(tmpdir, 0700);
	nftw(tmpdir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	if (len)
		*len = (size_t)n;
	return buf;
}

static void spit(const char *path, const char *text)
{
	FILE *f = fopen(path, "wb");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(text, 1, strlen(text), f), strlen(text));
	ck_assert_int_eq(fclose(f), 0);
}

static bool exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

static char *tmp_path(const char *base)
{
	static char buf[1024];

	snprintf(buf, sizeof(buf), "%s.tmp", base);
	return buf;
}

static struct json_object *load_json(const char *path)
{
	char *text = slurp(path, NULL);
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
	ck_assert(!exists(dbpath));
	commit_ok(db);
	ck_assert_int_eq(stat(dbpath, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	ck_assert(!exists(tmp_path(dbpath)));
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

	ck_assert_uint_eq(json_object_array_length(jarr(root, "nodes")), 0);
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

	snprintf(other, sizeof(other), "%s/other.json", tmpdir);
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
	ck_assert_uint_eq(json_object_array_length(a), 1);
	node = json_object_array_get_idx(a, 0);
	ck_assert_str_eq(jstr(node, "UUID"), "10111213-1415-1617-1819-1A1B1C1D1E01");
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
	text = slurp(dbpath, NULL);
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
	ck_assert(nodedb_unicast_free(db, 0x0001, 1)); /* outside our range, but a user may choose it */
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

	/* the whole unicast space: 255-element nodes until it is full */
	db = open_ok(0);
	nodedb_set_unicast_range(db, 0x0001, 0x7FFF);
	for (unsigned i = 0;; i++) {
		int r2 = nodedb_alloc_unicast(db, 255, &a);

		if (r2 == -ENOSPC) {
			ck_assert_uint_eq(i, 0x7FFF / 255);
			break;
		}
		ck_assert_int_eq(r2, 0);
		ck_assert_uint_eq(a, 1 + 255 * i);
	}
	ck_assert_int_eq(nodedb_alloc_unicast(db, 0x7FFF % 255, &a), 0);
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
	ck_assert_uint_eq(json_object_array_length(jarr(root, "nodes")), 1);
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
	node = json_object_array_get_idx(jarr(root, "nodes"), 0);
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
	char *before = slurp(dbpath, &len0), *after;

	ck_assert_ptr_nonnull(before);
	db = nodedb_open(dbpath, 0, err, sizeof(err));
	ck_assert_msg(db == NULL, "%s: opened", what);
	ck_assert_msg(strstr(err, dbpath) != NULL, "%s: message does not name the file: %s", what, err);
	ck_assert_msg(strchr(err, '\n') == NULL, "%s: more than one line", what);
	after = slurp(dbpath, &len1);
	ck_assert_uint_eq(len0, len1);
	ck_assert_mem_eq(before, after, len0);
	ck_assert(!exists(tmp_path(dbpath)));
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
	full = slurp(dbpath, &len);
	full[len / 2] = '\0';
	spit(dbpath, full);
	free(full);
	expect_open_fails("truncated");
	db = nodedb_open(dbpath, 0, err, sizeof(err));
	ck_assert_ptr_null(db);
	ck_assert_ptr_nonnull(strstr(err, "not valid JSON"));

	/* JSON, but not a database */
	spit(dbpath, "{\"meshName\": \"x\", \"nodes\": []}\n");
	expect_open_fails("no netKeys");
	db = nodedb_open(dbpath, 0, err, sizeof(err));
	ck_assert_ptr_nonnull(strstr(err, "netKeys"));

	spit(dbpath, "{\"netKeys\": [{\"index\": 0, \"key\": \"not a key\"}]}");
	expect_open_fails("bad key");
	spit(dbpath, "{\"netKeys\": []}");
	expect_open_fails("empty netKeys");
	spit(dbpath, "[1, 2, 3]");
	expect_open_fails("array");
	spit(dbpath, "");
	expect_open_fails("empty file");
	spit(dbpath, "{\"netKeys\": [{\"index\": 0, \"key\": \"00112233445566778899AABBCCDDEEFF\"}]} x");
	expect_open_fails("trailing garbage");
	spit(dbpath, "{\"netKeys\": [{\"index\": 0, \"key\": \"00112233445566778899AABBCCDDEEFF\"}], \"nodes\": 5}");
	expect_open_fails("nodes not an array");
	spit(dbpath, "{\"a\": [1, 2,, 3]}");
	expect_open_fails("syntax error");
	db = nodedb_open(dbpath, 0, err, sizeof(err));
	ck_assert_ptr_nonnull(strstr(err, "line 1"));

	/* the minimal database is accepted, and the arrays it lacks are added */
	spit(dbpath, "{\"netKeys\": [{\"index\": 0, \"key\": \"00112233445566778899AABBCCDDEEFF\"}]}");
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

	snprintf(p, sizeof(p), "%s/no/such/dir/mesh.json", tmpdir);
	db = nodedb_open(p, 0, err, sizeof(err));
	ck_assert_ptr_null(db);
	ck_assert_ptr_nonnull(strstr(err, p));
	ck_assert_ptr_nonnull(strstr(err, strerror(ENOENT)));
	ck_assert(!exists(p));
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
	after = slurp(path, &len1);
	ck_assert_ptr_nonnull(after);
	ck_assert_uint_eq(len0, len1);
	ck_assert_mem_eq(before, after, len0);
	ck_assert(!exists(tmp_path(path)));
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
	snprintf(sub, sizeof(sub), "%s/sub", tmpdir);
	snprintf(moved, sizeof(moved), "%s/moved", tmpdir);
	snprintf(p, sizeof(p), "%s/mesh.json", sub);
	snprintf(moved_p, sizeof(moved_p), "%s/mesh.json", moved);
	ck_assert_int_eq(mkdir(sub, 0700), 0);
	{
		char err[512];

		db = nodedb_open(p, 0, err, sizeof(err));
		ck_assert_msg(db != NULL, "%s", err);
	}
	commit_ok(db);
	before = slurp(p, &len0);
	ck_assert_int_eq(nodedb_add_node(db, &a), 0);
	ck_assert_int_eq(rename(sub, moved), 0);
	{
		char err[1024];

		ck_assert_int_lt(nodedb_commit(db, err, sizeof(err)), 0);
		ck_assert_ptr_nonnull(strstr(err, p));
		ck_assert_ptr_nonnull(strstr(err, strerror(ENOENT)));
	}
	ck_assert(!exists(p));
	ck_assert_int_eq(rename(moved, sub), 0);
	{
		size_t len1;
		char *after = slurp(p, &len1);

		ck_assert_uint_eq(len0, len1);
		ck_assert_mem_eq(before, after, len0);
		free(after);
	}
	ck_assert(!exists(tmp_path(p)));

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

	spit(tmp_path(dbpath), "stale garbage from a crash");
	chmod(tmp_path(dbpath), 0644);
	commit_ok(db);
	ck_assert(!exists(tmp_path(dbpath)));
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
	before = slurp(dbpath, &len0);
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
	"      \"excluded\": false, \"x-vendor\": { \"deep\": [1, 2.5, null, \"s\"] } },\n"
	"    { \"name\": \"broken: no address\", \"UUID\": \"11111111-2222-3333-4444-555555555555\" }\n"
	"  ],\n"
	"  \"groups\": [ { \"name\": \"Lights\", \"address\": \"C001\", \"parentAddress\": \"0000\" } ],\n"
	"  \"scenes\": [ { \"name\": \"Evening\", \"number\": \"0001\", \"addresses\": [\"0002\"] } ],\n"
	"  \"networkExclusions\": [],\n"
	"  \"unknownTopLevel\": { \"answer\": 42, \"list\": [true, false] }\n"
	"}\n";

static struct json_object *find_by(struct json_object *arr, const char *key, const char *val)
{
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		struct json_object *o = json_object_array_get_idx(arr, i), *v;

		if (json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string) &&
		    !strcmp(json_object_get_string(v), val))
			return o;
	}
	return NULL;
}

START_TEST(test_import_roundtrip)
{
	struct json_object *orig, *now, *a, *o;
	struct nodedb *db;
	struct nodedb_node got, n = mknode(7, 0, 2, "new one");
	uint8_t k[16];
	uint16_t addr, bound;
	size_t i;

	spit(dbpath, nrf_export);
	orig = json_tokener_parse(nrf_export);
	ck_assert_ptr_nonnull(orig);

	db = open_ok(0);
	ck_assert_uint_eq(nodedb_count(db), 2); /* the broken entry is skipped, not lost */
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
	/* the old nodes, broken one included, as they were; ours appended */
	a = jarr(now, "nodes");
	ck_assert_uint_eq(json_object_array_length(a), 4);
	for (i = 0; i < 3; i++)
		ck_assert_msg(json_object_equal(json_object_array_get_idx(jarr(orig, "nodes"), i),
						json_object_array_get_idx(a, i)),
			      "node %zu changed", i);
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
		"  \"nodes\": [ { \"UUID\": \"3777a832-e315-4596-895d-39638c17ff01\", \"security\": \"secure\",\n"
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

	spit(dbpath, bluez);
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

static Suite *nodedb_suite(void)
{
	Suite *s = suite_create("nodedb");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
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
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(nodedb_suite)
