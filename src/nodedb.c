/* The node database: a Mesh Configuration Database (CDB) JSON file, kept as
 * the parsed json-c tree and edited in place. See nodedb.h. This unit has
 * the public API's core: opening and closing, the CDB mapping of keys and
 * nodes, commit and `meshprov nodes --json`; nodedb_internal.h lists the
 * others (Composition Data, allocation and reservations, the own node and
 * its sequence numbers, file I/O). */
#include "nodedb.h"

#include <errno.h>
#include <json.h>
#include <openssl/crypto.h>
#include <printbuf.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cfgmsg.h"
#include "nodedb_check.h"
#include "nodedb_internal.h"
#include "util.h"

#define CDB_SCHEMA "http://json-schema.org/draft-04/schema#"
#define CDB_ID "https://www.bluetooth.com/specifications/specs/mesh-cdb-1-0-1-schema.json#"
#define CDB_VERSION "1.0.1"

/* Default group and scene ranges of a new provisioner: a part of each space,
 * leaving room for other provisioners (a phone running nRF Mesh). */
#define GROUP_LOW 0xC000
#define GROUP_HIGH 0xCFFF
#define SCENE_FIRST 0x0001
#define SCENE_LAST 0x0FFF

/* ---- small helpers (the others: nodedb_internal.h) ---- */

/* 32 hex digits, or the 8-4-4-4-12 form. */
int ndb_parse_uuid(const char *s, uint8_t out[16])
{
	char buf[33];
	size_t n = 0;

	if (!s)
		return -1;
	if (strlen(s) == 32)
		return parse_hex_exact(s, out, 16);
	if (strlen(s) != 36)
		return -1;
	for (size_t i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return -1;
			continue;
		}
		buf[n++] = s[i];
	}
	buf[n] = '\0';
	return parse_hex_exact(buf, out, 16);
}

void ndb_format_uuid(const uint8_t uuid[16], char out[37])
{
	char hex[33];
	size_t o = 0;

	hex_encode_upper(uuid, 16, hex);
	for (size_t i = 0; i < 32; i++) {
		if (i == 8 || i == 12 || i == 16 || i == 20)
			out[o++] = '-';
		out[o++] = hex[i];
	}
	out[o] = '\0';
}

static void format_timestamp(char out[32])
{
	time_t now = time(NULL);
	struct tm tm;

	if (!gmtime_r(&now, &tm) || !strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(out, 32, "1970-01-01T00:00:00Z");
}

int ndb_random_bytes(uint8_t *buf, size_t len)
{
	return RAND_bytes(buf, (int)len) == 1 ? 0 : -EIO;
}

static int random_uuid(char out[37])
{
	uint8_t u[16];

	if (ndb_random_bytes(u, sizeof(u)) < 0)
		return -EIO;
	u[6] = (uint8_t)((u[6] & 0x0f) | 0x40); /* version 4 */
	u[8] = (uint8_t)((u[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	ndb_format_uuid(u, out);
	return 0;
}

/* ---- nodes ---- */

/* Read one CDB node entry. -1 when it lacks a usable UUID or address. */
int ndb_parse_node(struct json_object *j, struct nodedb_node *n)
{
	struct json_object *a;
	const char *s;
	uint16_t addr;
	size_t els;
	int64_t idx;

	memset(n, 0, sizeof(*n));
	if (!j || !json_object_is_type(j, json_type_object))
		return -1;
	s = get_string(j, "UUID");
	if (!s)
		s = get_string(j, "uuid"); /* BlueZ before 5.57 */
	if (ndb_parse_uuid(s, n->uuid) < 0)
		return -1;
	if (parse_hex4(get_string(j, "unicastAddress"), &addr) < 0 || addr < 1 || addr > UNICAST_MAX)
		return -1;
	n->unicast = addr;

	a = get_array(j, "elements");
	els = a ? json_object_array_length(a) : 0;
	if (els < 1)
		els = 1;
	if (els > 255)
		els = 255;
	if (addr + els - 1 > UNICAST_MAX)
		els = UNICAST_MAX - addr + 1u;
	n->elements = (uint8_t)els;

	if (parse_hex_exact(get_string(j, "deviceKey"), n->devkey, 16) < 0)
		memset(n->devkey, 0, sizeof(n->devkey));

	a = get_array(j, "netKeys");
	if (a && json_object_array_length(a) > 0 &&
	    get_int(json_object_array_get_idx(a, 0), "index", 0, 0xFFF, &idx) == 0)
		n->net_key_index = (uint16_t)idx;

	s = get_string(j, "name");
	if (s)
		snprintf(n->name, sizeof(n->name), "%s", s);

	a = get(j, "configComplete");
	n->config_complete = a && json_object_is_type(a, json_type_boolean) && json_object_get_boolean(a);
	s = get_string(j, CONFIG_ERROR_KEY);
	if (s)
		snprintf(n->config_error, sizeof(n->config_error), "%s", s);
	return 0;
}

/* ---- the nodes' text, kept between commits ----
 *
 * nodedb_commit writes the whole tree for every change, and with many nodes
 * most of its time went into json-c printing nodes that had not changed since
 * the last commit (three commits a device: O(N^2) over a run). Each cached
 * node entry therefore prints through node_text_print, which keeps the text
 * it printed last and gives it again until ndb_find_uuid, the one way to a
 * node entry for changing it, hands the entry out. The text is the one json-c
 * prints (same members, order and indentation): a node in the file looks as
 * before. It holds the device key: it is cleansed when dropped. */
struct node_text {
	char *text; /* NULL: print it again */
	size_t len;
	int level, flags;
};

static void node_text_drop(struct node_text *t)
{
	if (t->text) {
		OPENSSL_cleanse(t->text, t->len);
		free(t->text);
	}
	t->text = NULL;
	t->len = 0;
}

static void node_text_free(struct json_object *j, void *userdata)
{
	(void)j;
	node_text_drop(userdata);
	free(userdata);
}

/* Print j as json-c would at this level: print a shallow copy (json-c's own
 * object printer) at level 0, then indent its lines for the level. */
static int node_text_make(struct json_object *j, struct node_text *t, int level, int flags)
{
	struct json_object *copy = json_object_new_object();
	const char *s = NULL;
	size_t len = 0, lines = 0, ind = 0, o = 0;
	char *out;
	int r = -1;

	if (!copy)
		return -1;
	json_object_object_foreach(j, key, val) {
		if (json_object_object_add(copy, key, json_object_get(val)) < 0) {
			json_object_put(val);
			goto out;
		}
	}
	s = json_object_to_json_string_length(copy, flags, &len);
	if (!s)
		goto out;
	if (flags & JSON_C_TO_STRING_PRETTY)
		ind = (flags & JSON_C_TO_STRING_PRETTY_TAB) ? (size_t)level : 2 * (size_t)level;
	for (size_t i = 0; i < len; i++)
		lines += s[i] == '\n';
	out = malloc(len + lines * ind + 1);
	if (!out)
		goto out;
	for (size_t i = 0; i < len; i++) {
		out[o++] = s[i];
		if (s[i] == '\n') {
			memset(out + o, (flags & JSON_C_TO_STRING_PRETTY_TAB) ? '\t' : ' ', ind);
			o += ind;
		}
	}
	out[o] = '\0';
	node_text_drop(t);
	t->text = out;
	t->len = o;
	t->level = level;
	t->flags = flags;
	r = 0;
out:
	/* the copy's print buffer holds the device key too */
	if (s && len)
		OPENSSL_cleanse((char *)s, len);
	json_object_put(copy);
	return r;
}

static int node_text_print(struct json_object *j, struct printbuf *pb, int level, int flags)
{
	struct node_text *t = json_object_get_userdata(j);

#ifdef NODEDB_VERIFY_KEPT_TEXT
	/* test builds (check-asan, fuzz): the kept text must be what printing
	 * the node gives now; a change that did not come through ndb_find_uuid
	 * would leave it stale, and the file would lose that change */
	if (t->text && t->level == level && t->flags == flags) {
		struct node_text fresh = { 0 };

		if (node_text_make(j, &fresh, level, flags) == 0 &&
		    (fresh.len != t->len || memcmp(fresh.text, t->text, t->len)))
			abort();
		node_text_drop(&fresh);
	}
#endif

	if ((!t->text || t->level != level || t->flags != flags) && node_text_make(j, t, level, flags) < 0)
		return -1;
	return printbuf_memappend(pb, t->text, (int)t->len) < 0 ? -1 : 0;
}

/* Give node entry j its kept text (best effort: without it, json-c prints it). */
static void node_text_attach(struct json_object *j)
{
	struct node_text *t;

	if (!json_object_is_type(j, json_type_object) || json_object_get_userdata(j))
		return;
	t = calloc(1, sizeof(*t));
	if (t)
		json_object_set_serializer(j, node_text_print, t, node_text_free);
}

/* Node entry j may change: print it again at the next commit. */
static void node_text_stale(struct json_object *j)
{
	struct node_text *t = j ? json_object_get_userdata(j) : NULL;

	if (t)
		node_text_drop(t);
}

static int cache_add(struct nodedb *db, const struct nodedb_node *n, struct json_object *j)
{
	if (db->n_nodes == db->cap_nodes) {
		size_t cap = db->cap_nodes ? 2 * db->cap_nodes : 16;
		struct ent *e = calloc(cap, sizeof(*e));

		if (!e)
			return -ENOMEM;
		if (db->n_nodes)
			memcpy(e, db->nodes, db->n_nodes * sizeof(*e));
		if (db->nodes) {
			OPENSSL_cleanse(db->nodes, db->cap_nodes * sizeof(*db->nodes));
			free(db->nodes);
		}
		db->nodes = e;
		db->cap_nodes = cap;
	}
	db->nodes[db->n_nodes].n = *n;
	db->nodes[db->n_nodes].j = j;
	db->n_nodes++;
	node_text_attach(j);
	return 0;
}

/* The UUID of a node entry, whatever else it holds. */
static int node_uuid(struct json_object *j, uint8_t uuid[16])
{
	const char *s = get_string(j, "UUID");

	if (!s)
		s = get_string(j, "uuid");
	return ndb_parse_uuid(s, uuid);
}

/* Cache the nodes; the first entry with our provisioner's UUID is our own
 * node: not cached, returned in *self (NULL when there is none). */
static void load_nodes(struct nodedb *db, struct json_object **self)
{
	struct json_object *a = get_array(db->root, "nodes");
	size_t n = a ? json_object_array_length(a) : 0;

	*self = NULL;
	for (size_t i = 0; i < n; i++) {
		struct json_object *j = json_object_array_get_idx(a, i);
		struct nodedb_node node;
		uint8_t u[16];

		if (!*self && j && json_object_is_type(j, json_type_object) && node_uuid(j, u) == 0 &&
		    !memcmp(u, db->prov_uuid, 16)) {
			*self = j;
			continue;
		}
		if (ndb_parse_node(j, &node) == 0)
			cache_add(db, &node, j);
		OPENSSL_cleanse(&node, sizeof(node));
	}
}

/* Every change of a node entry finds it here: its kept text goes. */
struct ent *ndb_find_uuid(struct nodedb *db, const uint8_t uuid[16])
{
	for (size_t i = 0; i < db->n_nodes; i++)
		if (!memcmp(db->nodes[i].n.uuid, uuid, 16)) {
			node_text_stale(db->nodes[i].j);
			return &db->nodes[i];
		}
	return NULL;
}

/* ---- creating a database ---- */

static struct json_object *new_provisioner(uint16_t lo, uint16_t hi)
{
	struct json_object *p = json_object_new_object();
	char uuid[37];

	if (!p)
		return NULL;
	if (random_uuid(uuid) < 0 || set_str(p, "provisionerName", NODEDB_PROVISIONER_NAME) < 0 ||
	    set_str(p, "UUID", uuid) < 0 ||
	    set(p, "allocatedUnicastRange", ndb_new_range_array("lowAddress", "highAddress", lo, hi)) < 0 ||
	    set(p, "allocatedGroupRange", ndb_new_range_array("lowAddress", "highAddress", GROUP_LOW, GROUP_HIGH)) < 0 ||
	    set(p, "allocatedSceneRange", ndb_new_range_array("firstScene", "lastScene", SCENE_FIRST, SCENE_LAST)) < 0) {
		json_object_put(p);
		return NULL;
	}
	return p;
}

static struct json_object *new_net_key(const uint8_t key[16], const char *ts)
{
	struct json_object *k = json_object_new_object();

	if (!k)
		return NULL;
	if (set_str(k, "name", "Network Key 0") < 0 || set_int(k, "index", 0) < 0 || set_key(k, "key", key) < 0 ||
	    set_int(k, "phase", 0) < 0 || set_str(k, "minSecurity", "secure") < 0 ||
	    set_str(k, "timestamp", ts) < 0) {
		json_object_put(k);
		return NULL;
	}
	return k;
}

static struct json_object *new_app_key(const uint8_t key[16])
{
	struct json_object *k = json_object_new_object();

	if (!k)
		return NULL;
	if (set_str(k, "name", "Application Key 0") < 0 || set_int(k, "index", 0) < 0 ||
	    set_int(k, "boundNetKey", 0) < 0 || set_key(k, "key", key) < 0) {
		json_object_put(k);
		return NULL;
	}
	return k;
}

/* A new array holding one element (taken); NULL when either is NULL. */
static struct json_object *array_of(struct json_object *elem)
{
	struct json_object *a;

	if (!elem)
		return NULL;
	a = json_object_new_array();
	if (!a || array_add(a, elem) < 0) {
		if (a)
			json_object_put(a);
		else
			json_object_put(elem);
		return NULL;
	}
	return a;
}

static struct json_object *new_database(void)
{
	struct json_object *root = json_object_new_object();
	uint8_t netkey[16], appkey[16];
	char uuid[37], ts[32];
	int r = 0;

	if (!root)
		return NULL;
	if (ndb_random_bytes(netkey, 16) < 0 || ndb_random_bytes(appkey, 16) < 0 || random_uuid(uuid) < 0) {
		r = -EIO;
		goto out;
	}
	format_timestamp(ts);

	r |= set_str(root, "$schema", CDB_SCHEMA);
	r |= set_str(root, "id", CDB_ID);
	r |= set_str(root, "version", CDB_VERSION);
	r |= set_str(root, "meshUUID", uuid);
	r |= set_str(root, "meshName", NODEDB_PROVISIONER_NAME);
	r |= set_str(root, "timestamp", ts);
	r |= set_bool(root, "partial", false);
	r |= set(root, "netKeys", array_of(new_net_key(netkey, ts)));
	r |= set(root, "appKeys", array_of(new_app_key(appkey)));
	r |= set(root, "provisioners", array_of(new_provisioner(NODEDB_DEFAULT_LOW, NODEDB_DEFAULT_HIGH)));
	r |= set(root, "nodes", json_object_new_array());
	r |= set(root, "groups", json_object_new_array());
	r |= set(root, "scenes", json_object_new_array());
	r |= set(root, "networkExclusions", json_object_new_array());
	r |= set_int(root, "ivIndex", 0);
	r |= set_int(root, "ivUpdate", 0);
out:
	OPENSSL_cleanse(netkey, sizeof(netkey));
	OPENSSL_cleanse(appkey, sizeof(appkey));
	if (r) {
		json_object_put(root);
		return NULL;
	}
	return root;
}

/* ---- opening ---- */

/* Refuse a file with any problem (nodedb_check.c); add the arrays a
 * foreign file may lack. */
static int validate(struct nodedb *db, char *err, size_t errlen)
{
	static const char *const arrays[] = { "appKeys", "provisioners", "nodes" };
	struct cdb_problems p = { 0 };
	const struct nodedb_problem *first;

	cdb_validate(db->root, &p);
	first = p.v;
	if (p.oom)
		seterr(err, errlen, "cannot load database %s: out of memory", db->path);
	else if (p.n == 1)
		seterr(err, errlen, "database %s: %s%s%s", db->path, first->path, *first->path ? ": " : "",
		       first->msg);
	else if (p.n > 1)
		seterr(err, errlen, "database %s: %zu problems, the first: %s%s%s; meshprov nodes check lists them",
		       db->path, p.n, first->path, *first->path ? ": " : "", first->msg);
	free(p.v);
	if (p.oom || p.n)
		return -1;
	for (size_t i = 0; i < ARRAY_SIZE(arrays); i++) {
		if (!get(db->root, arrays[i]) && set(db->root, arrays[i], json_object_new_array()) < 0) {
			seterr(err, errlen, "cannot load database %s: out of memory", db->path);
			return -1;
		}
	}
	return 0;
}

/* Find our provisioner entry, adding one to a foreign database. */
static int find_provisioner(struct nodedb *db, char *err, size_t errlen)
{
	struct json_object *a = get_array(db->root, "provisioners"), *p;
	size_t n = json_object_array_length(a);

	for (size_t i = 0; i < n; i++) {
		const char *name;

		p = json_object_array_get_idx(a, i);
		name = get_string(p, "provisionerName");
		if (name && !strcmp(name, NODEDB_PROVISIONER_NAME)) {
			db->prov = p;
			break;
		}
	}
	if (!db->prov) {
		p = new_provisioner(NODEDB_DEFAULT_LOW, NODEDB_DEFAULT_HIGH);
		if (!p || array_add(a, p) < 0) {
			seterr(err, errlen, "cannot load database %s: out of memory", db->path);
			return -1;
		}
		db->prov = p;
	}
	/* our own node is found by this UUID: a provisioner without a usable
	 * one gets a new one */
	if (ndb_parse_uuid(get_string(db->prov, "UUID"), db->prov_uuid) < 0) {
		char uuid[37];

		if (random_uuid(uuid) < 0 || set_str(db->prov, "UUID", uuid) < 0 ||
		    ndb_parse_uuid(uuid, db->prov_uuid) < 0) {
			seterr(err, errlen, "cannot load database %s: no random numbers or out of memory", db->path);
			return -1;
		}
	}
	return 0;
}


struct nodedb *nodedb_open(const char *path, unsigned wait_ms, char *err, size_t errlen)
{
	struct nodedb *db;
	int r;

	seterr(err, errlen, "cannot open database: unknown error");
	if (!path || !*path) {
		seterr(err, errlen, "no database path given");
		return NULL;
	}
	db = calloc(1, sizeof(*db));
	if (!db) {
		seterr(err, errlen, "cannot open database %s: out of memory", path);
		return NULL;
	}
	db->lock_fd = -1;
	db->path = strdup(path);
	db->dirty = true; /* until the first commit: see nodedb_reserve_seq() */
	if (asprintf(&db->lock_path, "%s.lock", path) < 0)
		db->lock_path = NULL;
	if (asprintf(&db->seq_path, "%s.seq", path) < 0)
		db->seq_path = NULL;
	if (!db->path || !db->lock_path || !db->seq_path) {
		seterr(err, errlen, "cannot open database %s: out of memory", path);
		goto fail;
	}
	db->lock_fd = ndb_io_lock(path, db->lock_path, wait_ms, err, errlen);
	if (db->lock_fd < 0)
		goto fail;

	r = ndb_io_load(path, "database", &db->root, err, errlen);
	if (r < 0)
		goto fail;
	if (r == 1) {
		db->root = new_database();
		if (!db->root) {
			seterr(err, errlen, "cannot create database %s: no random numbers or out of memory", path);
			goto fail;
		}
	} else if (validate(db, err, errlen) < 0) {
		goto fail;
	}
	if (find_provisioner(db, err, errlen) < 0)
		goto fail;
	{
		struct json_object *self;

		load_nodes(db, &self);
		if (ndb_ensure_self(db, self, err, errlen) < 0)
			goto fail;
	}
	if (ndb_check_reservations(db, err, errlen) < 0)
		goto fail;
	if (err && errlen)
		err[0] = '\0';
	return db;
fail:
	nodedb_close(db);
	return NULL;
}

void nodedb_close(struct nodedb *db)
{
	if (!db)
		return;
	if (db->lock_fd >= 0)
		close(db->lock_fd); /* releases the flock */
	if (db->root)
		json_object_put(db->root);
	if (db->nodes) {
		OPENSSL_cleanse(db->nodes, db->cap_nodes * sizeof(*db->nodes));
		free(db->nodes);
	}
	OPENSSL_cleanse(&db->self_n, sizeof(db->self_n));
	free(db->res);
	free(db->path);
	free(db->lock_path);
	free(db->seq_path);
	free(db);
}

const char *nodedb_path(struct nodedb *db)
{
	return db->path;
}

/* ---- keys, IV Index ---- */

struct json_object *ndb_find_index(struct json_object *parent, const char *array, int64_t max, int64_t index)
{
	struct json_object *a = get_array(parent, array);
	size_t n = a ? json_object_array_length(a) : 0;

	for (size_t i = 0; i < n; i++) {
		struct json_object *k = json_object_array_get_idx(a, i);
		int64_t idx;

		if (get_int(k, "index", 0, max, &idx) == 0 && idx == index)
			return k;
	}
	return NULL;
}

struct json_object *ndb_find_key(struct nodedb *db, const char *array, uint16_t index)
{
	return ndb_find_index(db->root, array, 0xFFF, index);
}

int nodedb_net_key(struct nodedb *db, uint16_t index, uint8_t key[16])
{
	struct json_object *k = ndb_find_key(db, "netKeys", index);

	if (!k || parse_hex_exact(get_string(k, "key"), key, 16) < 0)
		return -ENOENT;
	return 0;
}

int nodedb_app_key(struct nodedb *db, uint16_t index, uint16_t *bound_net_index, uint8_t key[16])
{
	struct json_object *k = ndb_find_key(db, "appKeys", index);
	int64_t bound;

	if (!k || get_int(k, "boundNetKey", 0, 0xFFF, &bound) < 0 ||
	    parse_hex_exact(get_string(k, "key"), key, 16) < 0)
		return -ENOENT;
	if (bound_net_index)
		*bound_net_index = (uint16_t)bound;
	return 0;
}

uint32_t nodedb_iv_index(struct nodedb *db)
{
	int64_t v;

	if (get_int(db->root, "ivIndex", 0, UINT32_MAX, &v) < 0)
		return 0;
	return (uint32_t)v;
}

bool nodedb_iv_update(struct nodedb *db)
{
	struct json_object *v = get(db->root, "ivUpdate");

	if (!v)
		return false;
	if (json_object_is_type(v, json_type_boolean))
		return json_object_get_boolean(v);
	if (json_object_is_type(v, json_type_int))
		return json_object_get_int64(v) != 0;
	return false;
}

void nodedb_set_iv_index(struct nodedb *db, uint32_t iv, bool update)
{
	db->dirty = true;
	set_int(db->root, "ivIndex", iv);
	set_int(db->root, "ivUpdate", update ? 1 : 0);
}

/* ---- adding and removing nodes ---- */

struct json_object *ndb_new_node_key(uint16_t index)
{
	struct json_object *k = json_object_new_object();

	if (!k)
		return NULL;
	if (set_int(k, "index", index) < 0 || set_bool(k, "updated", false) < 0) {
		json_object_put(k);
		return NULL;
	}
	return k;
}

static struct json_object *new_elements(uint16_t unicast, uint8_t count)
{
	struct json_object *a = json_object_new_array();
	char name[32];

	if (!a)
		return NULL;
	for (unsigned i = 0; i < count; i++) {
		struct json_object *e = json_object_new_object();

		snprintf(name, sizeof(name), "Element 0x%04X", (unsigned)(uint16_t)(unicast + i));
		if (!e || set_str(e, "name", name) < 0 || set_int(e, "index", i) < 0 ||
		    set_hex4(e, "location", 0x0000) < 0 || set(e, "models", json_object_new_array()) < 0) {
			if (e)
				json_object_put(e);
			json_object_put(a);
			return NULL;
		}
		if (array_add(a, e) < 0) {
			json_object_put(a);
			return NULL;
		}
	}
	return a;
}

struct json_object *ndb_new_node_json(const struct nodedb_node *n)
{
	struct json_object *j = json_object_new_object();
	char uuid[37];
	int r = 0;

	if (!j)
		return NULL;
	ndb_format_uuid(n->uuid, uuid);
	r |= set_str(j, "UUID", uuid);
	if (n->name[0]) {
		char nm[sizeof(n->name)];

		memcpy(nm, n->name, sizeof(nm));
		nm[sizeof(nm) - 1] = '\0';
		r |= set_str(j, "name", nm);
	}
	r |= set_hex4(j, "unicastAddress", n->unicast);
	r |= set_key(j, "deviceKey", n->devkey);
	r |= set_str(j, "security", "secure");
	r |= set(j, "netKeys", array_of(ndb_new_node_key(n->net_key_index)));
	r |= set(j, "appKeys", json_object_new_array());
	r |= set_bool(j, "configComplete", false);
	r |= set(j, "elements", new_elements(n->unicast, n->elements));
	r |= set_bool(j, "excluded", false);
	if (r) {
		json_object_put(j);
		return NULL;
	}
	return j;
}

int nodedb_add_node(struct nodedb *db, const struct nodedb_node *n)
{
	struct json_object *nodes, *j;
	struct nodedb_node copy;
	unsigned lo, hi;
	int r;

	db->dirty = true;
	if (!n->elements || n->unicast < 1 || (unsigned)n->unicast + n->elements - 1 > UNICAST_MAX ||
	    n->net_key_index > 0xFFF)
		return -EINVAL;
	lo = n->unicast;
	hi = lo + n->elements - 1u;
	if (ndb_find_uuid(db, n->uuid) || !memcmp(n->uuid, db->prov_uuid, 16))
		return -EEXIST;
	for (size_t i = 0; i < db->n_nodes; i++) {
		const struct nodedb_node *o = &db->nodes[i].n;

		if (ranges_overlap(lo, hi, o->unicast, o->unicast + o->elements - 1u))
			return -EEXIST;
	}
	if (db->self && ranges_overlap(lo, hi, db->self_n.unicast, db->self_n.unicast + db->self_n.elements - 1u))
		return -EEXIST;
	nodes = get_array(db->root, "nodes");
	if (!nodes)
		return -EIO;
	j = ndb_new_node_json(n);
	if (!j)
		return -ENOMEM;
	copy = *n;
	copy.name[sizeof(copy.name) - 1] = '\0';
	copy.config_complete = false;
	copy.config_error[0] = '\0';
	r = cache_add(db, &copy, j);
	OPENSSL_cleanse(&copy, sizeof(copy));
	if (r < 0) {
		json_object_put(j);
		return r;
	}
	r = array_add(nodes, j);
	if (r < 0) {
		db->n_nodes--;
		OPENSSL_cleanse(&db->nodes[db->n_nodes], sizeof(db->nodes[0]));
		return r;
	}
	return 0;
}

int nodedb_find_uuid(struct nodedb *db, const uint8_t uuid[16], struct nodedb_node *out)
{
	struct ent *e = ndb_find_uuid(db, uuid);

	if (!e)
		return -ENOENT;
	if (out)
		*out = e->n;
	return 0;
}

int nodedb_find_addr(struct nodedb *db, uint16_t addr, struct nodedb_node *out)
{
	for (size_t i = 0; i < db->n_nodes; i++) {
		const struct nodedb_node *n = &db->nodes[i].n;

		if (addr >= n->unicast && addr <= n->unicast + n->elements - 1u) {
			if (out)
				*out = *n;
			return 0;
		}
	}
	return -ENOENT;
}

int nodedb_remove_node(struct nodedb *db, const uint8_t uuid[16])
{
	struct json_object *nodes = get_array(db->root, "nodes");
	struct ent *e = ndb_find_uuid(db, uuid);
	size_t n, pos;

	db->dirty = true;
	if (!e || !nodes)
		return -ENOENT;
	n = json_object_array_length(nodes);
	for (size_t i = 0; i < n; i++) {
		if (json_object_array_get_idx(nodes, i) == e->j) {
			ndb_add_exclusion(db, &e->n);
			json_object_array_del_idx(nodes, i, 1);
			break;
		}
	}
	pos = (size_t)(e - db->nodes);
	memmove(&db->nodes[pos], &db->nodes[pos + 1], (db->n_nodes - pos - 1) * sizeof(*db->nodes));
	db->n_nodes--;
	OPENSSL_cleanse(&db->nodes[db->n_nodes], sizeof(db->nodes[0]));
	return 0;
}

int nodedb_node_add_app_key(struct nodedb *db, const uint8_t uuid[16], uint16_t app_index)
{
	struct ent *e = ndb_find_uuid(db, uuid);
	struct json_object *a, *k;
	int rc;

	db->dirty = true;
	if (!e || !ndb_find_key(db, "appKeys", app_index))
		return -ENOENT;
	rc = get_or_add_array(e->j, "appKeys", &a);
	if (rc < 0)
		return rc;
	if (ndb_find_index(e->j, "appKeys", 0xFFF, app_index))
		return 0;
	k = ndb_new_node_key(app_index);
	if (!k)
		return -ENOMEM;
	return array_add(a, k);
}

int nodedb_node_set_config_complete(struct nodedb *db, const uint8_t uuid[16], bool complete)
{
	struct ent *e = ndb_find_uuid(db, uuid);
	int r;

	db->dirty = true;
	if (!e)
		return -ENOENT;
	r = set_bool(e->j, "configComplete", complete);
	if (r < 0)
		return r;
	e->n.config_complete = complete;
	if (complete) {
		json_object_object_del(e->j, CONFIG_ERROR_KEY);
		e->n.config_error[0] = '\0';
	}
	return 0;
}

int nodedb_node_set_unconfigured(struct nodedb *db, const uint8_t uuid[16], const char *reason)
{
	struct ent *e = ndb_find_uuid(db, uuid);
	int r;

	db->dirty = true;
	if (!e)
		return -ENOENT;
	if (reason && *reason) {
		r = set_str(e->j, CONFIG_ERROR_KEY, reason);
		if (r < 0)
			return r;
		snprintf(e->n.config_error, sizeof(e->n.config_error), "%s", reason);
	} else {
		json_object_object_del(e->j, CONFIG_ERROR_KEY);
		e->n.config_error[0] = '\0';
	}
	r = set_bool(e->j, "configComplete", false);
	if (r < 0)
		return r;
	e->n.config_complete = false;
	return 0;
}

size_t nodedb_count(struct nodedb *db)
{
	return db->n_nodes;
}

int nodedb_node_at(struct nodedb *db, size_t i, struct nodedb_node *out)
{
	if (i >= db->n_nodes)
		return -ENOENT;
	if (out)
		*out = db->nodes[i].n;
	return 0;
}

/* "configured", "config_error", "appkeys", "composition" of one node. */
static int node_json_config(struct json_object *j, const struct nodedb_node *n, struct json_object *o)
{
	struct json_object *keys = get_array(j, "appKeys"), *idx;
	size_t nk = keys ? json_object_array_length(keys) : 0;
	uint16_t cid, pid, vid, crpl;
	int r = 0;

	r |= set_bool(o, "configured", n->config_complete);
	if (n->config_error[0]) {
		const char *full = get_string(j, CONFIG_ERROR_KEY);

		r |= set_str(o, "config_error", full ? full : n->config_error);
	}
	idx = json_object_new_array();
	r |= set(o, "appkeys", idx);
	if (r)
		return -ENOMEM;
	for (size_t i = 0; i < nk; i++) {
		int64_t k;

		if (get_int(json_object_array_get_idx(keys, i), "index", 0, 0xFFF, &k) == 0)
			r |= array_add(idx, json_object_new_int64(k));
	}
	if (ndb_comp_header(j, &cid, &pid, &vid, &crpl) == 0) {
		struct json_object *c = json_object_new_object();
		struct json_object *els = get_array(j, "elements");

		r |= set(o, "composition", c);
		if (r)
			return -ENOMEM;
		r |= set_int(c, "cid", cid);
		r |= set_int(c, "pid", pid);
		r |= set_int(c, "vid", vid);
		r |= set_int(c, "elements", els ? (int64_t)json_object_array_length(els) : 0);
	}
	return r ? -ENOMEM : 0;
}


struct json_object *nodedb_nodes_json(struct nodedb *db)
{
	struct json_object *a = json_object_new_array();

	if (!a)
		return NULL;
	for (size_t i = 0; i < db->n_nodes; i++) {
		const struct nodedb_node *n = &db->nodes[i].n;
		struct json_object *o = json_object_new_object();
		char uuid[33];
		int r = 0;

		if (!o)
			goto fail;
		hex_encode(n->uuid, 16, uuid);
		r |= set_str(o, "uuid", uuid);
		r |= set_int(o, "unicast", n->unicast);
		r |= set_int(o, "elements", n->elements);
		r |= set_int(o, "net_key_index", n->net_key_index);
		r |= set_str(o, "name", n->name);
		r |= node_json_config(db->nodes[i].j, n, o);
		if (r) {
			json_object_put(o);
			goto fail;
		}
		if (array_add(a, o) < 0)
			goto fail;
	}
	if (ndb_reservations_json(db, a) < 0)
		goto fail;
	return a;
fail:
	json_object_put(a);
	return NULL;
}

int nodedb_commit(struct nodedb *db, char *err, size_t errlen)
{
	const char *str;
	char ts[32];
	int r;

	format_timestamp(ts);
	if (set_str(db->root, "timestamp", ts) < 0) {
		seterr(err, errlen, "cannot write database %s: out of memory", db->path);
		return -ENOMEM;
	}
	str = json_object_to_json_string_ext(db->root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
							       JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!str) {
		seterr(err, errlen, "cannot write database %s: out of memory", db->path);
		return -ENOMEM;
	}
	r = ndb_io_write(db->path, "database", str, strlen(str), err, errlen);
	/* written, even when only the directory sync failed: the tree no
	 * longer differs from the file; a retry writes it again anyway */
	if (r == 0)
		db->dirty = false;
	return r;
}

int nodedb_lookup(struct nodedb *db, const char *text, struct nodedb_node *out)
{
	uint8_t uuid[16];
	unsigned long addr;

	if (hex_decode(text, uuid, 16) == 0)
		return nodedb_find_uuid(db, uuid, out) == 0 ? 0 : -ENOENT;
	if (parse_uint(text, 0x7fff, &addr) == 0 && addr > 0)
		return nodedb_find_addr(db, (uint16_t)addr, out) == 0 ? 0 : -ENOENT;
	return -EINVAL;
}
