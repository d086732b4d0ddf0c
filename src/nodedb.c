/* The node database: a Mesh Configuration Database (CDB) JSON file, kept as
 * the parsed json-c tree and edited in place. See nodedb.h. */
#include "nodedb.h"

#include <errno.h>
#include <fcntl.h>
#include <json.h>
#include <openssl/rand.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cfgmsg.h"
#include "nodedb_check.h"
#include "util.h"

#define CDB_SCHEMA "http://json-schema.org/draft-04/schema#"
#define CDB_ID "https://www.bluetooth.com/specifications/specs/mesh-cdb-1-0-1-schema.json#"
#define CDB_VERSION "1.0.1"

#define UNICAST_MAX 0x7FFF
#define SELF_DEFAULT_ADDR 0x0001
/* Members of our own node / of any node that only meshprov writes. */
#define SEQ_KEY "sequenceNumber"
#define SEQ_IV_KEY "meshprovSeqIvIndex"
#define CONFIG_ERROR_KEY "meshprovConfigError"
#define RESV_KEY "meshprovReservations"
#define LOCK_POLL_MS 10

/* Default group and scene ranges of a new provisioner: a part of each space,
 * leaving room for other provisioners (a phone running nRF Mesh). */
#define GROUP_LOW 0xC000
#define GROUP_HIGH 0xCFFF
#define SCENE_FIRST 0x0001
#define SCENE_LAST 0x0FFF

struct ent {
	struct nodedb_node n;
	struct json_object *j; /* the entry in "nodes" (borrowed from the tree) */
};

struct range {
	uint16_t lo, hi;
};

struct nodedb {
	char *path;
	char *lock_path;
	int lock_fd;
	struct json_object *root;
	struct json_object *prov; /* our entry in "provisioners" (borrowed) */
	struct ent *nodes;
	size_t n_nodes, cap_nodes;
	struct range *res; /* reserved in this session */
	size_t n_res, cap_res;
	uint8_t prov_uuid[16];   /* our provisioner's UUID = our own node's */
	struct json_object *self; /* our own node's entry in "nodes" (borrowed), or NULL */
	struct nodedb_node self_n;
};

/* ---- small helpers ---- */

static void seterr(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static void hex_upper(const uint8_t *in, size_t len, char *out)
{
	static const char digits[] = "0123456789ABCDEF";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0x0f];
	}
	out[2 * len] = '\0';
}

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Exactly 2*len hex digits, nothing else. */
static int parse_hex_exact(const char *s, uint8_t *out, size_t len)
{
	if (!s || strlen(s) != 2 * len)
		return -1;
	for (size_t i = 0; i < 2 * len; i++)
		if (!is_hex(s[i]))
			return -1;
	return hex_decode(s, out, len);
}

static int parse_hex4(const char *s, uint16_t *v)
{
	uint8_t b[2];

	if (parse_hex_exact(s, b, 2) < 0)
		return -1;
	*v = get_be16(b);
	return 0;
}

/* 32 hex digits, or the 8-4-4-4-12 form. */
static int parse_uuid(const char *s, uint8_t out[16])
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

static void format_uuid(const uint8_t uuid[16], char out[37])
{
	char hex[33];
	size_t o = 0;

	hex_upper(uuid, 16, hex);
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

static struct json_object *get(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	if (!o || !json_object_is_type(o, json_type_object))
		return NULL;
	if (!json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

static struct json_object *get_array(struct json_object *o, const char *key)
{
	struct json_object *v = get(o, key);

	return v && json_object_is_type(v, json_type_array) ? v : NULL;
}

static const char *get_string(struct json_object *o, const char *key)
{
	struct json_object *v = get(o, key);

	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

/* An integer member in [min, max]. */
static int get_int(struct json_object *o, const char *key, int64_t min, int64_t max, int64_t *out)
{
	struct json_object *v = get(o, key);
	int64_t x;

	if (!v || !json_object_is_type(v, json_type_int))
		return -1;
	errno = 0;
	x = json_object_get_int64(v);
	if (errno || x < min || x > max)
		return -1;
	*out = x;
	return 0;
}

/* Set (add or replace in place) a member; takes the reference to val. */
static int set(struct json_object *o, const char *key, struct json_object *val)
{
	if (!val)
		return -ENOMEM;
	if (json_object_object_add(o, key, val) < 0) {
		json_object_put(val);
		return -ENOMEM;
	}
	return 0;
}

static int set_str(struct json_object *o, const char *key, const char *s)
{
	return set(o, key, json_object_new_string(s));
}

static int set_int(struct json_object *o, const char *key, int64_t v)
{
	return set(o, key, json_object_new_int64(v));
}

static int set_bool(struct json_object *o, const char *key, bool v)
{
	return set(o, key, json_object_new_boolean(v));
}

static int set_hex4(struct json_object *o, const char *key, uint16_t v)
{
	char buf[5];

	snprintf(buf, sizeof(buf), "%04X", v);
	return set_str(o, key, buf);
}

static int set_key(struct json_object *o, const char *key, const uint8_t k[16])
{
	char buf[33];
	int r;

	hex_upper(k, 16, buf);
	r = set_str(o, key, buf);
	explicit_bzero(buf, sizeof(buf));
	return r;
}

static int array_add(struct json_object *a, struct json_object *val)
{
	if (!val)
		return -ENOMEM;
	if (json_object_array_add(a, val) < 0) {
		json_object_put(val);
		return -ENOMEM;
	}
	return 0;
}

static int random_bytes(uint8_t *buf, size_t len)
{
	return RAND_bytes(buf, (int)len) == 1 ? 0 : -EIO;
}

static int random_uuid(char out[37])
{
	uint8_t u[16];

	if (random_bytes(u, sizeof(u)) < 0)
		return -EIO;
	u[6] = (uint8_t)((u[6] & 0x0f) | 0x40); /* version 4 */
	u[8] = (uint8_t)((u[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	format_uuid(u, out);
	return 0;
}

/* ---- ranges ---- */

static struct json_object *new_range(const char *lo_key, const char *hi_key, uint16_t lo, uint16_t hi)
{
	struct json_object *r = json_object_new_object();

	if (!r)
		return NULL;
	if (set_hex4(r, lo_key, lo) < 0 || set_hex4(r, hi_key, hi) < 0) {
		json_object_put(r);
		return NULL;
	}
	return r;
}

static struct json_object *new_range_array(const char *lo_key, const char *hi_key, uint16_t lo, uint16_t hi)
{
	struct json_object *a = json_object_new_array();

	if (!a)
		return NULL;
	if (array_add(a, new_range(lo_key, hi_key, lo, hi)) < 0) {
		json_object_put(a);
		return NULL;
	}
	return a;
}

/* Call fn for each well-formed unicast range of a provisioner entry. */
static void for_each_unicast_range(struct json_object *prov, void (*fn)(uint16_t lo, uint16_t hi, void *ctx),
				   void *ctx)
{
	struct json_object *a = get_array(prov, "allocatedUnicastRange");
	size_t n = a ? json_object_array_length(a) : 0;

	for (size_t i = 0; i < n; i++) {
		struct json_object *r = json_object_array_get_idx(a, i);
		uint16_t lo, hi;

		if (parse_hex4(get_string(r, "lowAddress"), &lo) < 0 ||
		    parse_hex4(get_string(r, "highAddress"), &hi) < 0)
			continue;
		if (lo < 1 || lo > hi)
			continue;
		if (hi > UNICAST_MAX)
			hi = UNICAST_MAX;
		if (lo > hi)
			continue;
		fn(lo, hi, ctx);
	}
}

/* ---- the address map used by allocation ---- */

struct addrmap {
	uint8_t bits[0x10000 / 8];
};

static void map_set(struct addrmap *m, unsigned lo, unsigned hi)
{
	for (unsigned a = lo; a <= hi && a <= 0xFFFF; a++)
		m->bits[a >> 3] |= (uint8_t)(1u << (a & 7));
}

static bool map_test(const struct addrmap *m, unsigned a)
{
	return m->bits[a >> 3] & (1u << (a & 7));
}

static void map_set_cb(uint16_t lo, uint16_t hi, void *ctx)
{
	map_set(ctx, lo, hi);
}

static uint32_t iv_index(struct nodedb *db)
{
	int64_t v;

	if (get_int(db->root, "ivIndex", 0, UINT32_MAX, &v) < 0)
		return 0;
	return (uint32_t)v;
}

/* Addresses in networkExclusions that are still excluded: an entry's
 * addresses may be reused once the IV Index is at least its ivIndex + 2. */
static void map_exclusions(struct nodedb *db, struct addrmap *m)
{
	struct json_object *a = get_array(db->root, "networkExclusions");
	size_t n = a ? json_object_array_length(a) : 0;
	uint64_t cur = iv_index(db);

	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(a, i);
		struct json_object *addrs = get_array(e, "addresses");
		size_t na = addrs ? json_object_array_length(addrs) : 0;
		int64_t iv;

		if (get_int(e, "ivIndex", 0, UINT32_MAX, &iv) < 0)
			iv = cur; /* unreadable: stay on the safe side */
		if (cur >= (uint64_t)iv + 2)
			continue;
		for (size_t k = 0; k < na; k++) {
			struct json_object *s = json_object_array_get_idx(addrs, k);
			uint16_t addr;

			if (s && json_object_is_type(s, json_type_string) &&
			    parse_hex4(json_object_get_string(s), &addr) == 0)
				map_set(m, addr, addr);
		}
	}
}

static void map_reservations(struct nodedb *db, struct addrmap *m);

/* Addresses taken by nodes and reservations (this session's and the durable
 * ones in meshprovReservations), and (for allocation) those still in
 * networkExclusions. */
static void map_used(struct nodedb *db, struct addrmap *m, bool exclusions)
{
	memset(m, 0, sizeof(*m));
	m->bits[0] |= 1; /* the unassigned address */
	for (size_t i = 0; i < db->n_nodes; i++)
		map_set(m, db->nodes[i].n.unicast, db->nodes[i].n.unicast + db->nodes[i].n.elements - 1u);
	for (size_t i = 0; i < db->n_res; i++)
		map_set(m, db->res[i].lo, db->res[i].hi);
	if (db->self)
		map_set(m, db->self_n.unicast, db->self_n.unicast + db->self_n.elements - 1u);
	map_reservations(db, m);
	if (exclusions)
		map_exclusions(db, m);
}

/* ---- nodes ---- */

static bool ranges_overlap(unsigned a_lo, unsigned a_hi, unsigned b_lo, unsigned b_hi)
{
	return a_lo <= b_hi && b_lo <= a_hi;
}

/* Read one CDB node entry. -1 when it lacks a usable UUID or address. */
static int parse_node(struct json_object *j, struct nodedb_node *n)
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
	if (parse_uuid(s, n->uuid) < 0)
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
			explicit_bzero(db->nodes, db->cap_nodes * sizeof(*db->nodes));
			free(db->nodes);
		}
		db->nodes = e;
		db->cap_nodes = cap;
	}
	db->nodes[db->n_nodes].n = *n;
	db->nodes[db->n_nodes].j = j;
	db->n_nodes++;
	return 0;
}

/* The UUID of a node entry, whatever else it holds. */
static int node_uuid(struct json_object *j, uint8_t uuid[16])
{
	const char *s = get_string(j, "UUID");

	if (!s)
		s = get_string(j, "uuid");
	return parse_uuid(s, uuid);
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
		if (parse_node(j, &node) == 0)
			cache_add(db, &node, j);
		explicit_bzero(&node, sizeof(node));
	}
}

static struct ent *find_uuid(struct nodedb *db, const uint8_t uuid[16])
{
	for (size_t i = 0; i < db->n_nodes; i++)
		if (!memcmp(db->nodes[i].n.uuid, uuid, 16))
			return &db->nodes[i];
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
	    set(p, "allocatedUnicastRange", new_range_array("lowAddress", "highAddress", lo, hi)) < 0 ||
	    set(p, "allocatedGroupRange", new_range_array("lowAddress", "highAddress", GROUP_LOW, GROUP_HIGH)) < 0 ||
	    set(p, "allocatedSceneRange", new_range_array("firstScene", "lastScene", SCENE_FIRST, SCENE_LAST)) < 0) {
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
	if (random_bytes(netkey, 16) < 0 || random_bytes(appkey, 16) < 0 || random_uuid(uuid) < 0) {
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
	explicit_bzero(netkey, sizeof(netkey));
	explicit_bzero(appkey, sizeof(appkey));
	if (r) {
		json_object_put(root);
		return NULL;
	}
	return root;
}

/* ---- opening ---- */

static int take_lock(struct nodedb *db, unsigned wait_ms, char *err, size_t errlen)
{
	uint64_t deadline = mono_ms() + wait_ms;

	db->lock_fd = open(db->lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
	if (db->lock_fd < 0) {
		seterr(err, errlen, "cannot lock database %s (lock file %s): %s", db->path, db->lock_path,
		       strerror(errno));
		return -1;
	}
	for (;;) {
		uint64_t now;

		if (flock(db->lock_fd, LOCK_EX | LOCK_NB) == 0)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK) {
			seterr(err, errlen, "cannot lock database %s (lock file %s): %s", db->path, db->lock_path,
		       strerror(errno));
			return -1;
		}
		now = mono_ms();
		if (now >= deadline) {
			seterr(err, errlen, "database %s is in use by another meshprov process", db->path);
			return -1;
		}
		{
			uint64_t left = deadline - now;
			unsigned ms = left < LOCK_POLL_MS ? (unsigned)left : LOCK_POLL_MS;
			struct timespec ts = { .tv_sec = 0, .tv_nsec = (long)ms * 1000000L };

			nanosleep(&ts, NULL);
		}
	}
}

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
	if (parse_uuid(get_string(db->prov, "UUID"), db->prov_uuid) < 0) {
		char uuid[37];

		if (random_uuid(uuid) < 0 || set_str(db->prov, "UUID", uuid) < 0 ||
		    parse_uuid(uuid, db->prov_uuid) < 0) {
			seterr(err, errlen, "cannot load database %s: no random numbers or out of memory", db->path);
			return -1;
		}
	}
	return 0;
}

static int ensure_self(struct nodedb *db, struct json_object *found, char *err, size_t errlen);
static int check_reservations(struct nodedb *db, char *err, size_t errlen);

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
	if (!db->path || asprintf(&db->lock_path, "%s.lock", path) < 0) {
		db->lock_path = NULL;
		seterr(err, errlen, "cannot open database %s: out of memory", path);
		goto fail;
	}
	if (take_lock(db, wait_ms, err, errlen) < 0)
		goto fail;

	r = cdb_load(path, &db->root, err, errlen);
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
		if (ensure_self(db, self, err, errlen) < 0)
			goto fail;
	}
	if (check_reservations(db, err, errlen) < 0)
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
		explicit_bzero(db->nodes, db->cap_nodes * sizeof(*db->nodes));
		free(db->nodes);
	}
	explicit_bzero(&db->self_n, sizeof(db->self_n));
	free(db->res);
	free(db->path);
	free(db->lock_path);
	free(db);
}

const char *nodedb_path(struct nodedb *db)
{
	return db->path;
}

/* ---- keys, IV Index, ranges ---- */

void nodedb_set_unicast_range(struct nodedb *db, uint16_t low, uint16_t high)
{
	if (low < 1 || low > high || high > UNICAST_MAX)
		return;
	set(db->prov, "allocatedUnicastRange", new_range_array("lowAddress", "highAddress", low, high));
}

struct first_range {
	bool found;
	uint16_t lo, hi;
};

static void first_range_cb(uint16_t lo, uint16_t hi, void *ctx)
{
	struct first_range *f = ctx;

	if (!f->found) {
		f->found = true;
		f->lo = lo;
		f->hi = hi;
	}
}

void nodedb_get_unicast_range(struct nodedb *db, uint16_t *low, uint16_t *high)
{
	struct first_range f = { 0 };

	for_each_unicast_range(db->prov, first_range_cb, &f);
	*low = f.found ? f.lo : 0;
	*high = f.found ? f.hi : 0;
}

static struct json_object *find_key(struct nodedb *db, const char *array, uint16_t index)
{
	struct json_object *a = get_array(db->root, array);
	size_t n = a ? json_object_array_length(a) : 0;

	for (size_t i = 0; i < n; i++) {
		struct json_object *k = json_object_array_get_idx(a, i);
		int64_t idx;

		if (get_int(k, "index", 0, 0xFFF, &idx) == 0 && idx == index)
			return k;
	}
	return NULL;
}

int nodedb_net_key(struct nodedb *db, uint16_t index, uint8_t key[16])
{
	struct json_object *k = find_key(db, "netKeys", index);

	if (!k || parse_hex_exact(get_string(k, "key"), key, 16) < 0)
		return -ENOENT;
	return 0;
}

int nodedb_app_key(struct nodedb *db, uint16_t index, uint16_t *bound_net_index, uint8_t key[16])
{
	struct json_object *k = find_key(db, "appKeys", index);
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
	return iv_index(db);
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
	set_int(db->root, "ivIndex", iv);
	set_int(db->root, "ivUpdate", update ? 1 : 0);
}

/* ---- unicast allocation ---- */

static int reserve(struct nodedb *db, uint16_t lo, uint16_t hi)
{
	if (db->n_res == db->cap_res) {
		size_t cap = db->cap_res ? 2 * db->cap_res : 16;
		struct range *r = realloc(db->res, cap * sizeof(*r));

		if (!r)
			return -ENOMEM;
		db->res = r;
		db->cap_res = cap;
	}
	db->res[db->n_res].lo = lo;
	db->res[db->n_res].hi = hi;
	db->n_res++;
	return 0;
}

int nodedb_alloc_unicast(struct nodedb *db, uint8_t elements, uint16_t *addr)
{
	struct addrmap *used, *ours;
	struct json_object *provs;
	unsigned run = 0;
	int ret = -ENOSPC;

	if (!elements)
		return -EINVAL;
	used = malloc(sizeof(*used));
	ours = calloc(1, sizeof(*ours));
	if (!used || !ours) {
		free(used);
		free(ours);
		return -ENOMEM;
	}
	map_used(db, used, true);
	/* other provisioners' ranges are theirs to hand out */
	provs = get_array(db->root, "provisioners");
	for (size_t i = 0, n = provs ? json_object_array_length(provs) : 0; i < n; i++) {
		struct json_object *p = json_object_array_get_idx(provs, i);

		if (p != db->prov)
			for_each_unicast_range(p, map_set_cb, used);
	}
	for_each_unicast_range(db->prov, map_set_cb, ours);

	for (unsigned a = 1; a <= UNICAST_MAX; a++) {
		if (!map_test(ours, a) || map_test(used, a)) {
			run = 0;
			continue;
		}
		if (++run == elements) {
			uint16_t lo = (uint16_t)(a - elements + 1);

			ret = reserve(db, lo, (uint16_t)a);
			if (ret == 0)
				*addr = lo;
			break;
		}
	}
	free(used);
	free(ours);
	return ret;
}

bool nodedb_unicast_free(struct nodedb *db, uint16_t addr, uint8_t elements)
{
	struct addrmap *used;
	bool ok = true;

	if (!elements || addr < 1 || (unsigned)addr + elements - 1 > UNICAST_MAX)
		return false;
	used = malloc(sizeof(*used));
	if (!used)
		return false;
	map_used(db, used, false);
	for (unsigned a = addr; a < (unsigned)addr + elements; a++)
		if (map_test(used, a))
			ok = false;
	free(used);
	return ok;
}

int nodedb_reserve_unicast(struct nodedb *db, uint16_t addr, uint8_t elements)
{
	if (!nodedb_unicast_free(db, addr, elements))
		return -EEXIST;
	return reserve(db, addr, (uint16_t)(addr + elements - 1));
}

/* ---- adding and removing nodes ---- */

static struct json_object *new_node_key(uint16_t index)
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

static struct json_object *new_node_json(const struct nodedb_node *n)
{
	struct json_object *j = json_object_new_object();
	char uuid[37];
	int r = 0;

	if (!j)
		return NULL;
	format_uuid(n->uuid, uuid);
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
	r |= set(j, "netKeys", array_of(new_node_key(n->net_key_index)));
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

	if (!n->elements || n->unicast < 1 || (unsigned)n->unicast + n->elements - 1 > UNICAST_MAX ||
	    n->net_key_index > 0xFFF)
		return -EINVAL;
	lo = n->unicast;
	hi = lo + n->elements - 1u;
	if (find_uuid(db, n->uuid) || !memcmp(n->uuid, db->prov_uuid, 16))
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
	j = new_node_json(n);
	if (!j)
		return -ENOMEM;
	copy = *n;
	copy.name[sizeof(copy.name) - 1] = '\0';
	copy.config_complete = false;
	copy.config_error[0] = '\0';
	r = cache_add(db, &copy, j);
	explicit_bzero(&copy, sizeof(copy));
	if (r < 0) {
		json_object_put(j);
		return r;
	}
	r = array_add(nodes, j);
	if (r < 0) {
		db->n_nodes--;
		explicit_bzero(&db->nodes[db->n_nodes], sizeof(db->nodes[0]));
		return r;
	}
	return 0;
}

/* ---- models ---- */

/* CDB "modelId": "1000" for a SIG model, CID then model ID ("01A80000") for
 * a vendor model, upper-case hex. */
static void model_id_hex(struct cfg_model_id m, char out[9])
{
	if (m.vendor)
		snprintf(out, 9, "%04X%04X", m.cid, m.id);
	else
		snprintf(out, 9, "%04X", m.id);
}

static int parse_model_id(const char *s, struct cfg_model_id *m)
{
	uint8_t b[4];

	if (parse_hex_exact(s, b, 2) == 0) {
		*m = cfg_model_sig(get_be16(b));
		return 0;
	}
	if (parse_hex_exact(s, b, 4) == 0) {
		*m = cfg_model_vendor(get_be16(b), get_be16(b + 2));
		return 0;
	}
	return -1;
}

static struct json_object *new_model(struct cfg_model_id m)
{
	struct json_object *o = json_object_new_object();
	char id[9];

	if (!o)
		return NULL;
	model_id_hex(m, id);
	if (set_str(o, "modelId", id) < 0 || set(o, "bind", json_object_new_array()) < 0 ||
	    set(o, "subscribe", json_object_new_array()) < 0) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* The model m in an element entry, or NULL. */
static struct json_object *element_model(struct json_object *el, struct cfg_model_id m)
{
	struct json_object *a = get_array(el, "models");
	size_t n = a ? json_object_array_length(a) : 0;

	for (size_t i = 0; i < n; i++) {
		struct json_object *o = json_object_array_get_idx(a, i);
		struct cfg_model_id x;

		if (parse_model_id(get_string(o, "modelId"), &x) == 0 && cfg_model_id_eq(x, m))
			return o;
	}
	return NULL;
}

/* The element entry with "index" idx, or NULL. */
static struct json_object *node_element(struct json_object *node, unsigned idx)
{
	struct json_object *a = get_array(node, "elements");
	size_t n = a ? json_object_array_length(a) : 0;

	for (size_t i = 0; i < n; i++) {
		struct json_object *el = json_object_array_get_idx(a, i);
		int64_t x;

		if (get_int(el, "index", 0, 255, &x) == 0 && x == idx)
			return el;
	}
	return NULL;
}

/* ---- meshprov's own node ---- */

/* A node entry's deviceKey, or a new random one when it has no usable one. */
static int ensure_devkey(struct json_object *j)
{
	uint8_t k[16];
	int r = 0;

	if (parse_hex_exact(get_string(j, "deviceKey"), k, 16) < 0) {
		r = random_bytes(k, sizeof(k));
		if (r == 0)
			r = set_key(j, "deviceKey", k);
	}
	explicit_bzero(k, sizeof(k));
	return r;
}

/* Our own node's address: 0001, else the lowest free one below 0011, else
 * what allocation gives. */
static int self_addr(struct nodedb *db, uint16_t *addr)
{
	struct addrmap *m = malloc(sizeof(*m));

	if (!m)
		return -ENOMEM;
	map_used(db, m, true);
	for (unsigned a = SELF_DEFAULT_ADDR; a < NODEDB_DEFAULT_LOW; a++) {
		if (!map_test(m, a)) {
			free(m);
			*addr = (uint16_t)a;
			return 0;
		}
	}
	free(m);
	return nodedb_alloc_unicast(db, 1, addr);
}

static uint16_t first_net_key_index(struct nodedb *db)
{
	struct json_object *a = get_array(db->root, "netKeys");
	int64_t idx;

	if (a && json_object_array_length(a) > 0 &&
	    get_int(json_object_array_get_idx(a, 0), "index", 0, 0xFFF, &idx) == 0)
		return (uint16_t)idx;
	return 0;
}

static struct json_object *new_self_json(struct nodedb *db, uint16_t addr)
{
	struct json_object *j, *els, *keys;
	struct nodedb_node n;
	int r = 0;

	memset(&n, 0, sizeof(n));
	memcpy(n.uuid, db->prov_uuid, 16);
	n.unicast = addr;
	n.elements = 1;
	n.net_key_index = first_net_key_index(db);
	snprintf(n.name, sizeof(n.name), "%s", NODEDB_PROVISIONER_NAME);
	if (random_bytes(n.devkey, 16) < 0)
		return NULL;
	j = new_node_json(&n);
	explicit_bzero(&n, sizeof(n));
	if (!j)
		return NULL;
	r |= set_bool(j, "configComplete", true);
	keys = get_array(j, "appKeys");
	if (find_key(db, "appKeys", 0))
		r |= array_add(keys, new_node_key(0));
	els = get_array(j, "elements");
	r |= array_add(get_array(json_object_array_get_idx(els, 0), "models"),
		       new_model(cfg_model_sig(0x0001))); /* Configuration Client */
	if (r) {
		json_object_put(j);
		return NULL;
	}
	return j;
}

/* Find, repair or add our own node. 0, or -1 with err set; a database
 * without a free address opens without own node. */
static int ensure_self(struct nodedb *db, struct json_object *found, char *err, size_t errlen)
{
	struct json_object *j = found;
	struct nodedb_node n;
	uint16_t addr;
	int r;

	if (!found || parse_node(found, &n) < 0) {
		r = self_addr(db, &addr);
		if (r == -ENOSPC)
			return 0;
		if (r < 0)
			goto fail;
		if (found) {
			r = set_hex4(found, "unicastAddress", addr);
		} else {
			r = -ENOMEM;
			j = new_self_json(db, addr);
			if (j)
				r = array_add(get_array(db->root, "nodes"), j);
		}
		if (r < 0)
			goto fail;
	}
	r = ensure_devkey(j);
	if (r < 0 || parse_node(j, &n) < 0) {
		r = r < 0 ? r : -EIO;
		goto fail;
	}
	db->self = j;
	db->self_n = n;
	explicit_bzero(&n, sizeof(n));
	return 0;
fail:
	seterr(err, errlen, "cannot load database %s: adding meshprov's own node: %s", db->path, strerror(-r));
	return -1;
}

int nodedb_find_uuid(struct nodedb *db, const uint8_t uuid[16], struct nodedb_node *out)
{
	struct ent *e = find_uuid(db, uuid);

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

/* Record the removed node's addresses in networkExclusions for the current
 * IV Index, as CDB provisioners do: other nodes' replay protection lists still
 * hold its sequence numbers, so the addresses wait for IV Index + 2. */
static int add_exclusion(struct nodedb *db, const struct nodedb_node *n)
{
	struct json_object *a = get(db->root, "networkExclusions"), *e = NULL, *addrs;
	uint32_t cur = iv_index(db);
	size_t cnt;
	int r = 0;

	if (!a) {
		a = json_object_new_array();
		if (set(db->root, "networkExclusions", a) < 0)
			return -ENOMEM;
	}
	if (!json_object_is_type(a, json_type_array))
		return -EINVAL;
	cnt = json_object_array_length(a);
	for (size_t i = 0; i < cnt; i++) {
		struct json_object *x = json_object_array_get_idx(a, i);
		int64_t iv;

		if (get_int(x, "ivIndex", 0, UINT32_MAX, &iv) == 0 && iv == cur && get_array(x, "addresses")) {
			e = x;
			break;
		}
	}
	if (!e) {
		e = json_object_new_object();
		if (!e)
			return -ENOMEM;
		if (set_int(e, "ivIndex", cur) < 0 || set(e, "addresses", json_object_new_array()) < 0 ||
		    array_add(a, e) < 0) {
			json_object_put(e);
			return -ENOMEM;
		}
	}
	addrs = get_array(e, "addresses");
	for (unsigned i = 0; i < n->elements; i++) {
		char buf[5];

		snprintf(buf, sizeof(buf), "%04X", (unsigned)(uint16_t)(n->unicast + i));
		r |= array_add(addrs, json_object_new_string(buf));
	}
	return r ? -ENOMEM : 0;
}

int nodedb_remove_node(struct nodedb *db, const uint8_t uuid[16])
{
	struct json_object *nodes = get_array(db->root, "nodes");
	struct ent *e = find_uuid(db, uuid);
	size_t n, pos;

	if (!e || !nodes)
		return -ENOENT;
	n = json_object_array_length(nodes);
	for (size_t i = 0; i < n; i++) {
		if (json_object_array_get_idx(nodes, i) == e->j) {
			add_exclusion(db, &e->n);
			json_object_array_del_idx(nodes, i, 1);
			break;
		}
	}
	pos = (size_t)(e - db->nodes);
	memmove(&db->nodes[pos], &db->nodes[pos + 1], (db->n_nodes - pos - 1) * sizeof(*db->nodes));
	db->n_nodes--;
	explicit_bzero(&db->nodes[db->n_nodes], sizeof(db->nodes[0]));
	return 0;
}

int nodedb_node_add_app_key(struct nodedb *db, const uint8_t uuid[16], uint16_t app_index)
{
	struct ent *e = find_uuid(db, uuid);
	struct json_object *a, *k;
	size_t n;

	if (!e || !find_key(db, "appKeys", app_index))
		return -ENOENT;
	a = get(e->j, "appKeys");
	if (!a) {
		a = json_object_new_array();
		if (set(e->j, "appKeys", a) < 0)
			return -ENOMEM;
	}
	if (!json_object_is_type(a, json_type_array))
		return -EINVAL;
	n = json_object_array_length(a);
	for (size_t i = 0; i < n; i++) {
		int64_t idx;

		if (get_int(json_object_array_get_idx(a, i), "index", 0, 0xFFF, &idx) == 0 && idx == app_index)
			return 0;
	}
	k = new_node_key(app_index);
	if (!k)
		return -ENOMEM;
	return array_add(a, k);
}

int nodedb_node_set_config_complete(struct nodedb *db, const uint8_t uuid[16], bool complete)
{
	struct ent *e = find_uuid(db, uuid);
	int r;

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
	struct ent *e = find_uuid(db, uuid);
	int r;

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

/* ---- Composition Data ---- */

static const struct {
	const char *key;
	uint16_t bit;
} features[] = {
	{ "relay", CFG_FEAT_RELAY },
	{ "proxy", CFG_FEAT_PROXY },
	{ "friend", CFG_FEAT_FRIEND },
	{ "lowPower", CFG_FEAT_LPN },
};

/* The new "features" object: a copy of the old one's other members; 2 for
 * an unsupported feature; for a supported one a known 0/1 kept, else none. */
static struct json_object *new_features(struct json_object *old, uint16_t bits)
{
	struct json_object *f = json_object_new_object();

	if (!f)
		return NULL;
	if (old && json_object_is_type(old, json_type_object)) {
		json_object_object_foreach(old, key, val)
		{
			if (set(f, key, json_object_get(val)) < 0)
				goto fail;
		}
	}
	for (size_t i = 0; i < ARRAY_SIZE(features); i++) {
		int64_t v;

		if (!(bits & features[i].bit)) {
			if (set_int(f, features[i].key, 2) < 0)
				goto fail;
		} else if (get_int(f, features[i].key, 0, 1, &v) < 0) {
			json_object_object_del(f, features[i].key);
		}
	}
	return f;
fail:
	json_object_put(f);
	return NULL;
}

/* A model entry for the new element: the old element's entry for it when
 * there is one (its bind, subscribe and publish stay), else a new one. */
static struct json_object *comp_model(struct json_object *old_el, struct cfg_model_id m)
{
	struct json_object *o = old_el ? element_model(old_el, m) : NULL;

	if (!o)
		return new_model(m);
	json_object_get(o);
	if ((!get(o, "bind") && set(o, "bind", json_object_new_array()) < 0) ||
	    (!get(o, "subscribe") && set(o, "subscribe", json_object_new_array()) < 0)) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static struct json_object *comp_elements(struct json_object *node, uint16_t unicast, const struct cfg_comp_page0 *c)
{
	struct json_object *a = json_object_new_array();

	if (!a)
		return NULL;
	for (unsigned i = 0; i < c->num_elements; i++) {
		const struct cfg_comp_element *ce = &c->elements[i];
		struct json_object *old = node_element(node, i), *el = json_object_new_object(), *models;
		const char *oname = get_string(old, "name");
		char name[32];
		int r = 0;

		if (!el || array_add(a, el) < 0)
			goto fail;
		snprintf(name, sizeof(name), "Element 0x%04X", (unsigned)(uint16_t)(unicast + i));
		r |= set_str(el, "name", oname ? oname : name);
		r |= set_int(el, "index", i);
		r |= set_hex4(el, "location", ce->loc);
		r |= set(el, "models", json_object_new_array());
		if (r)
			goto fail;
		models = get_array(el, "models");
		for (unsigned k = 0; k < ce->num_sig; k++)
			if (array_add(models, comp_model(old, cfg_model_sig(ce->sig[k]))) < 0)
				goto fail;
		for (unsigned k = 0; k < ce->num_vendor; k++)
			if (array_add(models, comp_model(old, cfg_model_vendor(ce->vendor[k].cid, ce->vendor[k].id))) <
			    0)
				goto fail;
	}
	return a;
fail:
	json_object_put(a);
	return NULL;
}

int nodedb_node_set_composition(struct nodedb *db, const uint8_t uuid[16], const struct cfg_comp_page0 *c)
{
	struct ent *e = find_uuid(db, uuid);
	struct json_object *els, *feats;
	unsigned lo, hi;
	int r = 0;

	if (!e)
		return -ENOENT;
	if (!c->num_elements || c->num_elements > CFG_COMP_MAX_ELEMENTS)
		return -EINVAL;
	for (unsigned i = 0; i < c->num_elements; i++)
		if (c->elements[i].num_sig > CFG_COMP_MAX_MODELS || c->elements[i].num_vendor > CFG_COMP_MAX_MODELS)
			return -EINVAL;
	lo = e->n.unicast;
	hi = lo + c->num_elements - 1u;
	if (hi > UNICAST_MAX)
		return -EINVAL;
	if (c->num_elements > e->n.elements) {
		for (size_t i = 0; i < db->n_nodes; i++) {
			const struct nodedb_node *o = &db->nodes[i].n;

			if (&db->nodes[i] != e && ranges_overlap(lo, hi, o->unicast, o->unicast + o->elements - 1u))
				return -EEXIST;
		}
		if (db->self &&
		    ranges_overlap(lo, hi, db->self_n.unicast, db->self_n.unicast + db->self_n.elements - 1u))
			return -EEXIST;
	}
	els = comp_elements(e->j, e->n.unicast, c);
	if (!els)
		return -ENOMEM;
	feats = new_features(get(e->j, "features"), c->features);
	if (!feats) {
		json_object_put(els);
		return -ENOMEM;
	}
	r |= set_hex4(e->j, "cid", c->cid);
	r |= set_hex4(e->j, "pid", c->pid);
	r |= set_hex4(e->j, "vid", c->vid);
	r |= set_hex4(e->j, "crpl", c->crpl);
	r |= set(e->j, "features", feats);
	r |= set(e->j, "elements", els);
	if (r)
		return -ENOMEM;
	e->n.elements = c->num_elements;
	return 0;
}

/* cid, pid, vid, crpl of a node entry: 0, or -1 when any is missing. */
static int comp_header(struct json_object *j, uint16_t *cid, uint16_t *pid, uint16_t *vid, uint16_t *crpl)
{
	if (parse_hex4(get_string(j, "cid"), cid) < 0 || parse_hex4(get_string(j, "pid"), pid) < 0 ||
	    parse_hex4(get_string(j, "vid"), vid) < 0 || parse_hex4(get_string(j, "crpl"), crpl) < 0)
		return -1;
	return 0;
}

int nodedb_node_get_composition(struct nodedb *db, const uint8_t uuid[16], struct cfg_comp_page0 *c)
{
	struct ent *e = find_uuid(db, uuid);
	struct json_object *f, *a;
	size_t n;
	int r = 0;

	memset(c, 0, sizeof(*c));
	if (!e || comp_header(e->j, &c->cid, &c->pid, &c->vid, &c->crpl) < 0)
		return -ENOENT;
	f = get(e->j, "features");
	if (f && json_object_is_type(f, json_type_object)) {
		for (size_t i = 0; i < ARRAY_SIZE(features); i++) {
			int64_t v;

			if (get_int(f, features[i].key, 0, 2, &v) < 0 || v != 2)
				c->features |= features[i].bit;
		}
	}
	a = get_array(e->j, "elements");
	n = a ? json_object_array_length(a) : 0;
	for (size_t i = 0; i < n; i++) {
		struct json_object *el = json_object_array_get_idx(a, i), *models;
		struct cfg_comp_element *ce;
		size_t nm;

		if (c->num_elements == CFG_COMP_MAX_ELEMENTS) {
			r = -E2BIG;
			break;
		}
		ce = &c->elements[c->num_elements++];
		if (parse_hex4(get_string(el, "location"), &ce->loc) < 0)
			ce->loc = 0;
		models = get_array(el, "models");
		nm = models ? json_object_array_length(models) : 0;
		for (size_t k = 0; k < nm; k++) {
			struct cfg_model_id m;

			if (parse_model_id(get_string(json_object_array_get_idx(models, k), "modelId"), &m) < 0)
				continue;
			if (!m.vendor && ce->num_sig < CFG_COMP_MAX_MODELS)
				ce->sig[ce->num_sig++] = m.id;
			else if (m.vendor && ce->num_vendor < CFG_COMP_MAX_MODELS)
				ce->vendor[ce->num_vendor++] = m;
			else
				r = -E2BIG;
		}
	}
	return r;
}

/* ---- bindings and subscriptions ---- */

static int find_model(struct nodedb *db, const uint8_t uuid[16], uint8_t element_index, const struct cfg_model_id *m,
		      struct json_object **out)
{
	struct ent *e = find_uuid(db, uuid);
	struct json_object *el;

	if (!e)
		return -ENOENT;
	el = node_element(e->j, element_index);
	*out = el ? element_model(el, *m) : NULL;
	return *out ? 0 : -ENOENT;
}

/* The array member key of o, created when missing. */
static struct json_object *member_array(struct json_object *o, const char *key, int *r)
{
	struct json_object *a = get(o, key);

	*r = 0;
	if (!a) {
		a = json_object_new_array();
		*r = set(o, key, a);
		return *r < 0 ? NULL : a;
	}
	if (!json_object_is_type(a, json_type_array)) {
		*r = -EINVAL;
		return NULL;
	}
	return a;
}

int nodedb_node_model_bind(struct nodedb *db, const uint8_t uuid[16], uint8_t element_index,
			   const struct cfg_model_id *m, uint16_t app_index)
{
	struct json_object *model, *a;
	size_t n;
	int r;

	if (app_index > 0xFFF || !find_key(db, "appKeys", app_index))
		return -ENOENT;
	r = find_model(db, uuid, element_index, m, &model);
	if (r < 0)
		return r;
	a = member_array(model, "bind", &r);
	if (!a)
		return r;
	n = json_object_array_length(a);
	for (size_t i = 0; i < n; i++) {
		struct json_object *v = json_object_array_get_idx(a, i);

		if (v && json_object_is_type(v, json_type_int) && json_object_get_int64(v) == app_index)
			return 0;
	}
	return array_add(a, json_object_new_int64(app_index));
}

int nodedb_node_model_subscribe(struct nodedb *db, const uint8_t uuid[16], uint8_t element_index,
				const struct cfg_model_id *m, uint16_t group)
{
	struct json_object *model, *a;
	char buf[5];
	size_t n;
	int r;

	if (!cfg_addr_is_subscribable_group(group))
		return -EINVAL;
	r = find_model(db, uuid, element_index, m, &model);
	if (r < 0)
		return r;
	a = member_array(model, "subscribe", &r);
	if (!a)
		return r;
	n = json_object_array_length(a);
	for (size_t i = 0; i < n; i++) {
		struct json_object *v = json_object_array_get_idx(a, i);
		uint16_t addr;

		if (v && json_object_is_type(v, json_type_string) &&
		    parse_hex4(json_object_get_string(v), &addr) == 0 && addr == group)
			return 0;
	}
	snprintf(buf, sizeof(buf), "%04X", group);
	return array_add(a, json_object_new_string(buf));
}

/* ---- meshprov's own node: API ---- */

int nodedb_self(struct nodedb *db, uint16_t *unicast, uint8_t devkey[16])
{
	if (!db->self)
		return -ENOENT;
	if (unicast)
		*unicast = db->self_n.unicast;
	if (devkey)
		memcpy(devkey, db->self_n.devkey, 16);
	return 0;
}

/* The IV Index we transmit with: IV Index - 1 during IV Update in Progress. */
static uint32_t tx_iv_index(struct nodedb *db)
{
	uint32_t iv = iv_index(db);

	return nodedb_iv_update(db) && iv > 0 ? iv - 1 : iv;
}

/* Put back a member saved with json_object_get() (NULL: it was absent). */
static void restore_member(struct json_object *o, const char *key, struct json_object *old)
{
	if (old)
		set(o, key, old);
	else
		json_object_object_del(o, key);
}

int nodedb_reserve_seq(struct nodedb *db, uint32_t count, uint32_t *first, char *err, size_t errlen)
{
	const uint64_t limit = NODEDB_SEQ_MAX; /* the next free one stays in 24 bits */
	struct json_object *old_seq, *old_iv;
	uint32_t tx_iv = tx_iv_index(db);
	int64_t seq = 0, iv = tx_iv;
	int r;

	if (!db->self) {
		seterr(err, errlen, "database %s has no node for meshprov itself", db->path);
		return -ENOENT;
	}
	if (!count) {
		seterr(err, errlen, "cannot reserve 0 sequence numbers");
		return -EINVAL;
	}
	old_seq = get(db->self, SEQ_KEY);
	old_iv = get(db->self, SEQ_IV_KEY);
	if ((old_seq && get_int(db->self, SEQ_KEY, 0, (int64_t)limit, &seq) < 0) ||
	    (old_iv && get_int(db->self, SEQ_IV_KEY, 0, UINT32_MAX, &iv) < 0)) {
		seterr(err, errlen, "database %s: meshprov's node has an invalid %s or %s", db->path, SEQ_KEY,
		       SEQ_IV_KEY);
		return -EBADMSG;
	}
	if (iv > tx_iv) {
		seterr(err, errlen,
		       "database %s: sequence numbers were used with IV Index %lld, newer than the current %u",
		       db->path, (long long)iv, tx_iv);
		return -ESTALE;
	}
	if (iv < tx_iv)
		seq = 0;
	if ((uint64_t)seq + count > limit) {
		seterr(err, errlen,
		       "sequence numbers for IV Index %u are used up (next %lld, %u wanted): an IV Update is needed",
		       tx_iv, (long long)seq, count);
		return -EOVERFLOW;
	}
	if (old_seq)
		json_object_get(old_seq);
	if (old_iv)
		json_object_get(old_iv);
	r = set_int(db->self, SEQ_KEY, seq + count);
	if (r == 0)
		r = set_int(db->self, SEQ_IV_KEY, tx_iv);
	if (r < 0)
		seterr(err, errlen, "cannot reserve sequence numbers: out of memory");
	else
		r = nodedb_commit(db, err, errlen);
	if (r < 0) {
		restore_member(db->self, SEQ_KEY, old_seq);
		restore_member(db->self, SEQ_IV_KEY, old_iv);
		return r;
	}
	if (old_seq)
		json_object_put(old_seq);
	if (old_iv)
		json_object_put(old_iv);
	*first = (uint32_t)seq;
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
	if (comp_header(j, &cid, &pid, &vid, &crpl) == 0) {
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

static int reservations_json(struct nodedb *db, struct json_object *a);

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
	if (reservations_json(db, a) < 0)
		goto fail;
	return a;
fail:
	json_object_put(a);
	return NULL;
}

/* ---- commit ---- */

static int write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		if (w == 0)
			return -EIO;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

int nodedb_commit(struct nodedb *db, char *err, size_t errlen)
{
	char ts[32], *tmp = NULL, *dir = NULL;
	const char *str;
	size_t len;
	int fd = -1, dfd, r;

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
	len = strlen(str);
	if (asprintf(&tmp, "%s.tmp", db->path) < 0) {
		seterr(err, errlen, "cannot write database %s: out of memory", db->path);
		return -ENOMEM;
	}
	if (unlink(tmp) < 0 && errno != ENOENT) {
		r = -errno;
		seterr(err, errlen, "cannot write database %s: cannot remove stale %s: %s", db->path, tmp,
		       strerror(errno));
		free(tmp);
		return r;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0) {
		r = -errno;
		seterr(err, errlen, "cannot write database %s: cannot create %s: %s", db->path, tmp, strerror(errno));
		free(tmp);
		return r;
	}
	/* the umask may have cleared bits of 0600 */
	if (fchmod(fd, 0600) < 0) {
		r = -errno;
		seterr(err, errlen, "cannot write database %s: chmod %s: %s", db->path, tmp, strerror(errno));
		goto fail;
	}
	r = write_all(fd, str, len);
	if (r == 0)
		r = write_all(fd, "\n", 1);
	if (r < 0) {
		seterr(err, errlen, "cannot write database %s: writing %s: %s", db->path, tmp, strerror(-r));
		goto fail;
	}
	if (fsync(fd) < 0) {
		r = -errno;
		seterr(err, errlen, "cannot write database %s: fsync %s: %s", db->path, tmp, strerror(errno));
		goto fail;
	}
	if (close(fd) < 0) {
		fd = -1;
		r = -errno;
		seterr(err, errlen, "cannot write database %s: closing %s: %s", db->path, tmp, strerror(errno));
		goto fail;
	}
	fd = -1;
	if (rename(tmp, db->path) < 0) {
		r = -errno;
		seterr(err, errlen, "cannot write database %s: rename from %s: %s", db->path, tmp, strerror(errno));
		goto fail;
	}
	free(tmp);
	tmp = NULL;

	/* make the rename durable */
	dir = dir_of(db->path);
	if (!dir) {
		seterr(err, errlen, "database %s written, but not synced: out of memory", db->path);
		return -ENOMEM;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd) < 0) {
		r = -errno;
		seterr(err, errlen, "database %s written, but syncing directory %s failed: %s", db->path, dir,
		       strerror(errno));
		if (dfd >= 0)
			close(dfd);
		free(dir);
		return r;
	}
	close(dfd);
	free(dir);
	if (err && errlen)
		err[0] = '\0';
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	free(tmp);
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

/* ---- address reservations that survive a crash ----
 *
 * meshprovReservations, a meshprov-only top-level array (nRF Mesh and
 * mesh-cfgclient skip members they do not know), holds the addresses of a
 * device that was sent Provisioning Data but whose Provisioning Complete has
 * not been seen: {"UUID", "unicastAddress", "elements" (integer),
 * "deviceKey", "netKeyIndex" (integer), "time" (integer, Unix seconds)}. */

static int parse_resv(struct json_object *j, struct nodedb_reservation *r)
{
	int64_t v;

	memset(r, 0, sizeof(*r));
	if (!j || !json_object_is_type(j, json_type_object) || parse_uuid(get_string(j, "UUID"), r->uuid) < 0 ||
	    parse_hex4(get_string(j, "unicastAddress"), &r->unicast) < 0 || r->unicast < 1 ||
	    r->unicast > UNICAST_MAX || get_int(j, "elements", 1, 255, &v) < 0 ||
	    (unsigned)r->unicast + (unsigned)v - 1 > UNICAST_MAX)
		goto bad;
	r->elements = (uint8_t)v;
	if (parse_hex_exact(get_string(j, "deviceKey"), r->devkey, 16) < 0 ||
	    get_int(j, "netKeyIndex", 0, 0xFFF, &v) < 0)
		goto bad;
	r->net_key_index = (uint16_t)v;
	if (get_int(j, "time", 0, INT64_MAX, &v) < 0)
		goto bad;
	r->time = v;
	return 0;
bad:
	explicit_bzero(r, sizeof(*r));
	return -1;
}

static void map_reservations(struct nodedb *db, struct addrmap *m)
{
	struct json_object *a = get_array(db->root, RESV_KEY);
	size_t n = a ? json_object_array_length(a) : 0;
	struct nodedb_reservation r;

	for (size_t i = 0; i < n; i++) {
		if (parse_resv(json_object_array_get_idx(a, i), &r) == 0)
			map_set(m, r.unicast, r.unicast + r.elements - 1u);
		explicit_bzero(&r, sizeof(r));
	}
}

/* Does [lo, hi] overlap a node, our own node, or a reservation other than
 * the one at index skip? */
static bool resv_overlaps(struct nodedb *db, unsigned lo, unsigned hi, size_t skip)
{
	struct json_object *a = get_array(db->root, RESV_KEY);
	size_t n = a ? json_object_array_length(a) : 0;
	struct nodedb_reservation r;
	bool hit = false;

	for (size_t i = 0; i < db->n_nodes; i++) {
		const struct nodedb_node *o = &db->nodes[i].n;

		if (ranges_overlap(lo, hi, o->unicast, o->unicast + o->elements - 1u))
			return true;
	}
	if (db->self && ranges_overlap(lo, hi, db->self_n.unicast, db->self_n.unicast + db->self_n.elements - 1u))
		return true;
	for (size_t i = 0; i < n && !hit; i++) {
		if (i != skip && parse_resv(json_object_array_get_idx(a, i), &r) == 0 &&
		    ranges_overlap(lo, hi, r.unicast, r.unicast + r.elements - 1u))
			hit = true;
		explicit_bzero(&r, sizeof(r));
	}
	return hit;
}

/* The index of uuid's reservation, or -1. */
static ssize_t resv_index(struct nodedb *db, const uint8_t uuid[16], struct nodedb_reservation *out)
{
	struct json_object *a = get_array(db->root, RESV_KEY);
	size_t n = a ? json_object_array_length(a) : 0;
	struct nodedb_reservation r;

	for (size_t i = 0; i < n; i++) {
		if (parse_resv(json_object_array_get_idx(a, i), &r) == 0 && !memcmp(r.uuid, uuid, 16)) {
			if (out)
				*out = r;
			explicit_bzero(&r, sizeof(r));
			return (ssize_t)i;
		}
		explicit_bzero(&r, sizeof(r));
	}
	return -1;
}

/* At open: every entry valid, one per UUID, overlapping no node and no other
 * reservation. Anything else is refused: ignoring an entry could hand its
 * addresses out twice. */
static int check_reservations(struct nodedb *db, char *err, size_t errlen)
{
	struct json_object *a = get(db->root, RESV_KEY);
	struct nodedb_reservation r;
	size_t n;

	if (!a)
		return 0;
	if (!json_object_is_type(a, json_type_array)) {
		seterr(err, errlen, "database %s: %s is not an array", db->path, RESV_KEY);
		return -1;
	}
	n = json_object_array_length(a);
	for (size_t i = 0; i < n; i++) {
		const char *why = NULL;

		if (parse_resv(json_object_array_get_idx(a, i), &r) < 0)
			why = "is not a valid reservation (UUID, unicastAddress, elements, deviceKey, "
			      "netKeyIndex, time)";
		else if (resv_index(db, r.uuid, NULL) != (ssize_t)i)
			why = "repeats the UUID of an earlier reservation";
		else if (!memcmp(r.uuid, db->prov_uuid, 16))
			why = "has meshprov's own UUID";
		else if (resv_overlaps(db, r.unicast, r.unicast + r.elements - 1u, i))
			why = "overlaps the addresses of a node or of another reservation";
		explicit_bzero(&r, sizeof(r));
		if (why) {
			seterr(err, errlen, "database %s: %s[%zu] %s", db->path, RESV_KEY, i, why);
			return -1;
		}
	}
	return 0;
}

int nodedb_reservation_add(struct nodedb *db, const struct nodedb_reservation *r)
{
	struct json_object *a = get(db->root, RESV_KEY), *j;
	char uuid[37];
	int rc = 0;

	if (!r->elements || r->unicast < 1 || (unsigned)r->unicast + r->elements - 1 > UNICAST_MAX ||
	    r->net_key_index > 0xFFF || r->time < 0)
		return -EINVAL;
	if (resv_index(db, r->uuid, NULL) >= 0 || !memcmp(r->uuid, db->prov_uuid, 16) ||
	    resv_overlaps(db, r->unicast, r->unicast + r->elements - 1u, SIZE_MAX))
		return -EEXIST;
	if (a && !json_object_is_type(a, json_type_array))
		return -EIO;
	j = json_object_new_object();
	if (!j)
		return -ENOMEM;
	format_uuid(r->uuid, uuid);
	rc |= set_str(j, "UUID", uuid);
	rc |= set_hex4(j, "unicastAddress", r->unicast);
	rc |= set_int(j, "elements", r->elements);
	rc |= set_key(j, "deviceKey", r->devkey);
	rc |= set_int(j, "netKeyIndex", r->net_key_index);
	rc |= set_int(j, "time", r->time);
	if (rc) {
		json_object_put(j);
		return -ENOMEM;
	}
	if (!a) {
		a = json_object_new_array();
		if (set(db->root, RESV_KEY, a) < 0) {
			json_object_put(j);
			return -ENOMEM;
		}
	}
	return array_add(a, j);
}

size_t nodedb_reservation_count(struct nodedb *db)
{
	struct json_object *a = get_array(db->root, RESV_KEY);

	return a ? json_object_array_length(a) : 0;
}

int nodedb_reservation_at(struct nodedb *db, size_t i, struct nodedb_reservation *out)
{
	struct json_object *a = get_array(db->root, RESV_KEY);
	struct nodedb_reservation r;

	if (!a || i >= json_object_array_length(a))
		return -ENOENT;
	if (parse_resv(json_object_array_get_idx(a, i), &r) < 0)
		return -EIO; /* not after a successful open: only valid ones are written */
	if (out)
		*out = r;
	explicit_bzero(&r, sizeof(r));
	return 0;
}

int nodedb_reservation_find(struct nodedb *db, const uint8_t uuid[16], struct nodedb_reservation *out)
{
	return resv_index(db, uuid, out) >= 0 ? 0 : -ENOENT;
}

/* Delete entry i; the member goes when it is empty, so the file looks as
 * before to any tool. */
static void resv_delete(struct nodedb *db, size_t i)
{
	struct json_object *a = get_array(db->root, RESV_KEY);

	json_object_array_del_idx(a, i, 1);
	if (json_object_array_length(a) == 0)
		json_object_object_del(db->root, RESV_KEY);
}

int nodedb_reservation_drop(struct nodedb *db, const uint8_t uuid[16])
{
	ssize_t i = resv_index(db, uuid, NULL);

	if (i < 0)
		return -ENOENT;
	resv_delete(db, (size_t)i);
	return 0;
}

int nodedb_reservation_release(struct nodedb *db, const uint8_t uuid[16])
{
	struct nodedb_reservation r;
	struct nodedb_node n;
	ssize_t i = resv_index(db, uuid, &r);
	int rc;

	if (i < 0)
		return -ENOENT;
	memset(&n, 0, sizeof(n));
	n.unicast = r.unicast;
	n.elements = r.elements;
	explicit_bzero(&r, sizeof(r));
	rc = add_exclusion(db, &n);
	if (rc < 0)
		return rc;
	resv_delete(db, (size_t)i);
	return 0;
}

int nodedb_reservation_keep(struct nodedb *db, const uint8_t uuid[16], const char *reason)
{
	struct nodedb_reservation r;
	struct nodedb_node n, old;
	ssize_t i = resv_index(db, uuid, &r);
	int rc;

	if (i < 0)
		return -ENOENT;
	memset(&n, 0, sizeof(n));
	memcpy(n.uuid, r.uuid, 16);
	n.unicast = r.unicast;
	n.elements = r.elements;
	memcpy(n.devkey, r.devkey, 16);
	n.net_key_index = r.net_key_index;
	explicit_bzero(&r, sizeof(r));
	rc = nodedb_find_uuid(db, uuid, &old);
	if (rc == 0 && old.config_complete)
		rc = -EEXIST; /* cannot happen: a configured node is never provisioned again */
	else if (rc == 0)
		rc = nodedb_remove_node(db, uuid); /* the stale record it replaces */
	else
		rc = 0;
	explicit_bzero(&old, sizeof(old));
	if (rc == 0)
		rc = nodedb_add_node(db, &n);
	explicit_bzero(&n, sizeof(n));
	if (rc < 0)
		return rc;
	resv_delete(db, (size_t)i);
	return nodedb_node_set_unconfigured(db, uuid, reason);
}

void nodedb_unreserve_unicast(struct nodedb *db, uint16_t addr, uint8_t elements)
{
	uint16_t hi = (uint16_t)(addr + elements - 1);

	for (size_t i = 0; i < db->n_res; i++) {
		if (db->res[i].lo == addr && db->res[i].hi == hi) {
			memmove(&db->res[i], &db->res[i + 1], (db->n_res - i - 1) * sizeof(*db->res));
			db->n_res--;
			return;
		}
	}
}

/* Pending reservations in nodedb_nodes_json()'s array. */
static int reservations_json(struct nodedb *db, struct json_object *a)
{
	struct nodedb_reservation r;
	int rc = 0;

	for (size_t i = 0; nodedb_reservation_at(db, i, &r) == 0 && !rc; i++) {
		struct json_object *o = json_object_new_object();
		char uuid[33];

		if (!o) {
			rc = -ENOMEM;
			break;
		}
		hex_encode(r.uuid, 16, uuid);
		rc |= set_str(o, "uuid", uuid);
		rc |= set_int(o, "unicast", r.unicast);
		rc |= set_int(o, "elements", r.elements);
		rc |= set_int(o, "net_key_index", r.net_key_index);
		rc |= set_str(o, "name", "");
		rc |= set_bool(o, "configured", false);
		rc |= set(o, "appkeys", json_object_new_array());
		rc |= set_bool(o, "pending", true);
		rc |= set_int(o, "reserved_at", r.time);
		explicit_bzero(&r, sizeof(r));
		if (rc)
			json_object_put(o);
		else
			rc = array_add(a, o);
	}
	return rc ? -ENOMEM : 0;
}

int nodedb_reservation_lookup(struct nodedb *db, const char *text, struct nodedb_reservation *out)
{
	struct nodedb_reservation r;
	uint8_t uuid[16];
	unsigned long addr;

	if (hex_decode(text, uuid, 16) == 0)
		return nodedb_reservation_find(db, uuid, out) == 0 ? 0 : -ENOENT;
	if (parse_uint(text, 0x7fff, &addr) != 0 || addr == 0)
		return -EINVAL;
	for (size_t i = 0; nodedb_reservation_at(db, i, &r) == 0; i++) {
		if (addr >= r.unicast && addr < (unsigned long)r.unicast + r.elements) {
			if (out)
				*out = r;
			explicit_bzero(&r, sizeof(r));
			return 0;
		}
		explicit_bzero(&r, sizeof(r));
	}
	return -ENOENT;
}
