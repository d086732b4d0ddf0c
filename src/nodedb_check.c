/* Checking a node database file as a whole (reading it: nodedb_io.c): see
 * nodedb_check.h. The members of each kind of record are described by a
 * table (struct member); what spans records (duplicate indexes and UUIDs,
 * overlapping addresses, meshprov's own node) is checked after them. */
#include "nodedb_check.h"
#include "nodedb_io.h"

#include <ctype.h>
#include <errno.h>
#include <json.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define UNICAST_LOW 0x0001
#define UNICAST_HIGH 0x7FFF
#define KEY_INDEX_MAX 0xFFF
#define MAX_ELEMENTS 255
#define PATH_LEN sizeof(((struct nodedb_problem *)0)->path)

void cdb_problem(struct cdb_problems *p, const char *path, const char *fmt, ...)
{
	struct nodedb_problem *e;
	va_list ap;

	if (p->n == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 8;
		struct nodedb_problem *v = realloc(p->v, cap * sizeof(*v));

		if (!v) {
			p->oom = true;
			return;
		}
		p->v = v;
		p->cap = cap;
	}
	e = &p->v[p->n++];
	snprintf(e->path, sizeof(e->path), "%s", path);
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
}

/* ---- paths ---- */

/* A path too long for PATH_LEN (never in a real file) ends in "...". */
static void path_end(char out[PATH_LEN], int r)
{
	if (r < 0 || (size_t)r >= PATH_LEN)
		memcpy(out + PATH_LEN - 4, "...", 4);
}

static void member_path(char out[PATH_LEN], const char *prefix, const char *key)
{
	path_end(out, snprintf(out, PATH_LEN, "%s%s%s", prefix, *prefix ? "." : "", key));
}

static void index_path(char out[PATH_LEN], const char *prefix, size_t i)
{
	path_end(out, snprintf(out, PATH_LEN, "%s[%zu]", prefix, i));
}

/* ---- values ---- */

enum kind {
	K_ARRAY,
	K_OBJECT,
	K_STRING,
	K_BOOL,
	K_FLAG,    /* true, false, 0 or 1 (ivUpdate: BlueZ writes an integer) */
	K_INT,     /* an integer in min..max */
	K_UUID,    /* 32 hex digits, or the 8-4-4-4-12 form */
	K_KEY,     /* 32 hex digits */
	K_UNICAST, /* 4 hex digits, 0001..7FFF */
};

struct member {
	const char *key;
	enum kind kind;
	bool required;
	int64_t min, max; /* K_INT */
};

static bool is_uuid(const char *s)
{
	static const size_t groups[] = { 8, 4, 4, 4, 12 };

	if (strlen(s) == 32)
		return hex_digits(s, 32);
	if (strlen(s) != 36)
		return false;
	for (size_t g = 0; g < ARRAY_SIZE(groups); s += groups[g++] + 1) {
		for (size_t i = 0; i < groups[g]; i++)
			if (!isxdigit((unsigned char)s[i]))
				return false;
		if (g + 1 < ARRAY_SIZE(groups) && s[groups[g]] != '-')
			return false;
	}
	return true;
}

/* Is v what m wants? When not, why (one short phrase; never the value of a
 * string, which may be a key). */
static bool value_ok(const struct member *m, struct json_object *v, char *why, size_t len)
{
	const char *s = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
	int64_t x;

	switch (m->kind) {
	case K_ARRAY:
		snprintf(why, len, "not an array");
		return json_object_is_type(v, json_type_array);
	case K_OBJECT:
		snprintf(why, len, "not an object");
		return json_object_is_type(v, json_type_object);
	case K_STRING:
		snprintf(why, len, "not a string");
		return s != NULL;
	case K_BOOL:
		snprintf(why, len, "not true or false");
		return json_object_is_type(v, json_type_boolean);
	case K_FLAG:
		snprintf(why, len, "not true, false, 0 or 1");
		if (json_object_is_type(v, json_type_boolean))
			return true;
		x = json_object_get_int64(v);
		return json_object_is_type(v, json_type_int) && (x == 0 || x == 1);
	case K_INT:
		if (!json_object_is_type(v, json_type_int)) {
			snprintf(why, len, "not an integer (%lld..%lld)", (long long)m->min, (long long)m->max);
			return false;
		}
		x = json_object_get_int64(v);
		/* json-c keeps integers past INT64_MAX as uint64 */
		if (x < m->min || x > m->max || (x == INT64_MAX && json_object_get_uint64(v) > INT64_MAX)) {
			snprintf(why, len, "%s is out of range (%lld..%lld)", json_object_to_json_string(v),
				 (long long)m->min, (long long)m->max);
			return false;
		}
		return true;
	case K_UUID:
		snprintf(why, len, "not a UUID (32 hex digits, dashes allowed)");
		return s && is_uuid(s);
	case K_KEY:
		snprintf(why, len, "not a key (32 hex digits)");
		return s && hex_digits(s, 32);
	case K_UNICAST:
		if (!s || !hex_digits(s, 4)) {
			snprintf(why, len, "not a unicast address (4 hex digits)");
			return false;
		}
		x = strtol(s, NULL, 16);
		snprintf(why, len, "%.4s is not a unicast address (0001-7FFF)", s);
		return x >= UNICAST_LOW && x <= UNICAST_HIGH;
	}
	return false;
}

/* o's member m: true when it is there and right. A problem (unless p is
 * NULL) when it is wrong, or missing and required. */
static bool check_member(struct cdb_problems *p, struct json_object *o, const char *prefix, const struct member *m)
{
	struct json_object *v = NULL;
	char path[PATH_LEN], why[96];

	member_path(path, prefix, m->key);
	if (!json_object_object_get_ex(o, m->key, &v)) {
		if (m->required && p)
			cdb_problem(p, path, "missing");
		return false;
	}
	if (!value_ok(m, v, why, sizeof(why))) {
		if (p)
			cdb_problem(p, path, "%s", why);
		return false;
	}
	return true;
}

static void check_members(struct cdb_problems *p, struct json_object *o, const char *prefix,
			  const struct member *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		check_member(p, o, prefix, &t[i]);
}

/* The array o[key] (checked by its table): its elements, which must be
 * objects; NULL and n 0 when it is missing or not an array. */
static struct json_object *array_member(struct json_object *o, const char *key, size_t *n)
{
	struct json_object *a = NULL;

	*n = 0;
	if (!json_object_object_get_ex(o, key, &a) || !json_object_is_type(a, json_type_array))
		return NULL;
	*n = json_object_array_length(a);
	return a;
}

/* Element i of a, when it is an object; else a problem and NULL. */
static struct json_object *object_at(struct cdb_problems *p, struct json_object *a, const char *prefix, size_t i,
				     char path[PATH_LEN])
{
	struct json_object *o = json_object_array_get_idx(a, i);

	index_path(path, prefix, i);
	if (!json_object_is_type(o, json_type_object)) {
		cdb_problem(p, path, "not an object");
		return NULL;
	}
	return o;
}

static int64_t int_of(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	json_object_object_get_ex(o, key, &v);
	return json_object_get_int64(v);
}

static const char *str_of(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* ---- the tables ---- */

#define OPT(k, kind) { k, kind, false, 0, 0 }
#define REQ(k, kind) { k, kind, true, 0, 0 }
#define INT(k, req, lo, hi) { k, K_INT, req, lo, hi }

static const struct member top_members[] = {
	REQ("netKeys", K_ARRAY),
	OPT("appKeys", K_ARRAY),
	OPT("provisioners", K_ARRAY),
	OPT("nodes", K_ARRAY),
	OPT("groups", K_ARRAY),
	OPT("scenes", K_ARRAY),
	OPT("networkExclusions", K_ARRAY),
	OPT("meshUUID", K_UUID),
	INT("ivIndex", false, 0, UINT32_MAX),
	OPT("ivUpdate", K_FLAG),
};

static const struct member net_key_members[] = {
	INT("index", true, 0, KEY_INDEX_MAX),
	REQ("key", K_KEY),
	INT("phase", false, 0, 2),
};

static const struct member app_key_members[] = {
	INT("index", true, 0, KEY_INDEX_MAX),
	INT("boundNetKey", true, 0, KEY_INDEX_MAX),
	REQ("key", K_KEY),
};

static const struct member provisioner_members[] = {
	OPT("provisionerName", K_STRING),
	REQ("UUID", K_UUID),
	OPT("allocatedUnicastRange", K_ARRAY),
	OPT("allocatedGroupRange", K_ARRAY),
	OPT("allocatedSceneRange", K_ARRAY),
};

static const struct member range_members[] = {
	REQ("lowAddress", K_UNICAST),
	REQ("highAddress", K_UNICAST),
};

/* UUID and unicastAddress are checked by check_node() */
static const struct member node_members[] = {
	OPT("deviceKey", K_KEY), /* a partial export may leave it out */
	OPT("elements", K_ARRAY),
	OPT("netKeys", K_ARRAY),
	OPT("appKeys", K_ARRAY),
	OPT("name", K_STRING),
	OPT("configComplete", K_BOOL),
	OPT("excluded", K_BOOL),
	OPT("meshprovConfigError", K_STRING),
};

/* meshprov's own node only (nodedb.h) */
static const struct member self_members[] = {
	INT("sequenceNumber", false, 0, NODEDB_SEQ_MAX),
	INT("meshprovSeqIvIndex", false, 0, UINT32_MAX),
};

static const struct member node_key_members[] = {
	INT("index", true, 0, KEY_INDEX_MAX),
};

static const struct member exclusion_members[] = {
	INT("ivIndex", true, 0, UINT32_MAX),
	REQ("addresses", K_ARRAY),
};

static const struct member unicast_value = { "", K_UNICAST, true, 0, 0 };

/* The entry for key in table t (which has it). */
static const struct member *member_of(const struct member *t, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(t[i].key, key))
			return &t[i];
	abort();
}

/* ---- records ---- */

/* Keys (t: their members): first[] gets the position + 1 of the first key
 * with each index; AppKeys must be bound to a NetKey there is (net_first:
 * the NetKeys'; NULL when not every NetKey could be read, so as not to
 * report what follows from that). True when every key has a valid index. */
static bool check_keys(struct cdb_problems *p, struct json_object *root, const char *name,
		       const struct member *t, size_t nt, uint32_t *first, const uint32_t *net_first)
{
	size_t n;
	struct json_object *a = array_member(root, name, &n), *k;
	char path[PATH_LEN], mpath[PATH_LEN];
	bool all = a != NULL;

	if (!strcmp(name, "netKeys") && a && n == 0) {
		cdb_problem(p, name, "empty (a database needs its NetKey)");
		all = false;
	}
	for (size_t i = 0; i < n; i++) {
		int64_t idx;

		if (!(k = object_at(p, a, name, i, path)))
			continue;
		check_members(p, k, path, t, nt);
		if (!check_member(NULL, k, path, member_of(t, nt, "index"))) {
			all = false;
			continue;
		}
		idx = int_of(k, "index");
		member_path(mpath, path, "index");
		if (first[idx])
			cdb_problem(p, mpath, "%lld again (%s[%u])", (long long)idx, name, first[idx] - 1);
		else
			first[idx] = (uint32_t)i + 1;
		if (net_first && check_member(NULL, k, path, member_of(t, nt, "boundNetKey")) &&
		    !net_first[int_of(k, "boundNetKey")]) {
			member_path(mpath, path, "boundNetKey");
			cdb_problem(p, mpath, "no NetKey %lld in netKeys", (long long)int_of(k, "boundNetKey"));
		}
	}
	return all;
}

/* Provisioners; *ours: the index of the first named "meshprov" (-1: none). */
static void check_provisioners(struct cdb_problems *p, struct json_object *root, long *ours)
{
	size_t n;
	struct json_object *a = array_member(root, "provisioners", &n), *pv;
	char path[PATH_LEN], rpath[PATH_LEN], mpath[PATH_LEN];

	*ours = -1;
	if (a && n == 0)
		cdb_problem(p, "provisioners", "empty (meshprov's provisioner is missing)");
	for (size_t i = 0; i < n; i++) {
		const char *name;
		struct json_object *ranges;
		size_t nr;

		if (!(pv = object_at(p, a, "provisioners", i, path)))
			continue;
		check_members(p, pv, path, provisioner_members, ARRAY_SIZE(provisioner_members));
		name = str_of(pv, "provisionerName");
		if (name && !strcmp(name, NODEDB_PROVISIONER_NAME)) {
			member_path(mpath, path, "provisionerName");
			if (*ours >= 0)
				cdb_problem(p, mpath, "a second \"%s\" (provisioners[%ld])", NODEDB_PROVISIONER_NAME,
					    *ours);
			else
				*ours = (long)i;
		}
		member_path(mpath, path, "allocatedUnicastRange");
		ranges = array_member(pv, "allocatedUnicastRange", &nr);
		for (size_t r = 0; r < nr; r++) {
			struct json_object *rg = object_at(p, ranges, mpath, r, rpath);
			bool lo_ok, hi_ok;

			if (!rg)
				continue;
			lo_ok = check_member(p, rg, rpath, &range_members[0]);
			hi_ok = check_member(p, rg, rpath, &range_members[1]);
			if (lo_ok && hi_ok &&
			    strtol(str_of(rg, "lowAddress"), NULL, 16) > strtol(str_of(rg, "highAddress"), NULL, 16))
				cdb_problem(p, rpath, "lowAddress %s is above highAddress %s", str_of(rg, "lowAddress"),
					    str_of(rg, "highAddress"));
		}
	}
}

/* What the checks across nodes need of one node. */
struct node_rec {
	size_t i;       /* position in nodes */
	uint16_t lo, hi; /* addresses; lo 0: none */
	uint8_t uuid[16];
	bool has_uuid;
};

/* One node's members; fills rec. is_self: meshprov's own node, which may
 * lack an address (nodedb_open() gives it one) and has the sequence number
 * members. */
static void check_node(struct cdb_problems *p, struct json_object *node, const char *path, bool is_self,
		       struct node_rec *rec)
{
	static const struct member uuid_m = REQ("UUID", K_UUID), old_uuid_m = REQ("uuid", K_UUID);
	const struct member addr_m = { "unicastAddress", K_UNICAST, !is_self, 0, 0 };
	const struct member *um = json_object_object_get_ex(node, "UUID", NULL) ||
					  !json_object_object_get_ex(node, "uuid", NULL) ? &uuid_m : &old_uuid_m;
	char mpath[PATH_LEN], kpath[PATH_LEN];
	struct json_object *a;
	size_t n;

	if (check_member(p, node, path, um))
		rec->has_uuid = hex_decode(str_of(node, um->key), rec->uuid, 16) == 0;
	check_members(p, node, path, node_members, ARRAY_SIZE(node_members));
	if (is_self)
		check_members(p, node, path, self_members, ARRAY_SIZE(self_members));
	for (size_t k = 0; k < 2; k++) {
		const char *key = k ? "appKeys" : "netKeys";

		member_path(mpath, path, key);
		a = array_member(node, key, &n);
		for (size_t i = 0; i < n; i++) {
			struct json_object *e = object_at(p, a, mpath, i, kpath);

			if (e)
				check_members(p, e, kpath, node_key_members, ARRAY_SIZE(node_key_members));
		}
	}
	member_path(mpath, path, "elements");
	a = array_member(node, "elements", &n);
	for (size_t i = 0; i < n; i++)
		object_at(p, a, mpath, i, kpath);
	if (!check_member(p, node, path, &addr_m))
		return;
	rec->lo = (uint16_t)strtol(str_of(node, "unicastAddress"), NULL, 16);
	if (n > MAX_ELEMENTS) {
		cdb_problem(p, mpath, "%zu elements, more than %u", n, MAX_ELEMENTS);
		n = MAX_ELEMENTS;
	}
	if (n == 0)
		n = 1; /* elements not yet known: the primary one */
	if (rec->lo + n - 1 > UNICAST_HIGH) {
		cdb_problem(p, mpath, "%zu elements from %04X pass 7FFF", n, rec->lo);
		n = UNICAST_HIGH - rec->lo + 1u;
	}
	rec->hi = (uint16_t)(rec->lo + n - 1);
}

static int by_addr(const void *a, const void *b)
{
	const struct node_rec *x = a, *y = b;

	return x->lo != y->lo ? (x->lo < y->lo ? -1 : 1) : (x->i < y->i ? -1 : x->i > y->i);
}

static int by_uuid(const void *a, const void *b)
{
	const struct node_rec *x = a, *y = b;
	int c = memcmp(x->uuid, y->uuid, 16);

	return c ? c : (x->i < y->i ? -1 : x->i > y->i);
}

static void fmt_range(char out[10], uint16_t lo, uint16_t hi)
{
	if (lo == hi)
		snprintf(out, 10, "%04X", lo);
	else
		snprintf(out, 10, "%04X-%04X", lo, hi);
}

/* Two nodes with one UUID, and nodes whose addresses overlap: each reported
 * at the later node, naming the earlier. */
static void check_across_nodes(struct cdb_problems *p, struct node_rec *r, size_t n)
{
	char path[PATH_LEN], ra[10], rb[10];
	size_t cover = SIZE_MAX;

	qsort(r, n, sizeof(*r), by_uuid);
	for (size_t k = 1; k < n; k++) {
		if (!r[k].has_uuid || !r[k - 1].has_uuid || memcmp(r[k].uuid, r[k - 1].uuid, 16))
			continue;
		snprintf(path, sizeof(path), "nodes[%zu].UUID", r[k].i);
		cdb_problem(p, path, "the same UUID as nodes[%zu]", r[k - 1].i);
	}
	qsort(r, n, sizeof(*r), by_addr);
	for (size_t k = 0; k < n; k++) {
		const struct node_rec *a, *b;

		if (!r[k].lo)
			continue;
		if (cover != SIZE_MAX && r[k].lo <= r[cover].hi) {
			a = r[k].i > r[cover].i ? &r[k] : &r[cover];
			b = a == &r[k] ? &r[cover] : &r[k];
			fmt_range(ra, a->lo, a->hi);
			fmt_range(rb, b->lo, b->hi);
			snprintf(path, sizeof(path), "nodes[%zu].unicastAddress", a->i);
			cdb_problem(p, path, "%s overlaps nodes[%zu] (%s)", ra, b->i, rb);
		}
		if (cover == SIZE_MAX || r[k].hi > r[cover].hi)
			cover = k;
	}
}

/* The IV Index meshprov transmits with (nodedb.h: nodedb_reserve_seq), or
 * -1 when ivIndex or ivUpdate is wrong (a problem of its own). */
static int64_t tx_iv_index(struct json_object *root)
{
	struct json_object *v = NULL;
	int64_t iv = 0;

	if (json_object_object_get_ex(root, "ivIndex", NULL)) {
		if (!check_member(NULL, root, "", member_of(top_members, ARRAY_SIZE(top_members), "ivIndex")))
			return -1;
		iv = int_of(root, "ivIndex");
	}
	if (json_object_object_get_ex(root, "ivUpdate", &v)) {
		if (!check_member(NULL, root, "", member_of(top_members, ARRAY_SIZE(top_members), "ivUpdate")))
			return -1;
		if (json_object_get_int64(v) && iv > 0)
			iv--;
	}
	return iv;
}

/* The nodes, and meshprov's own node: the node whose UUID is our
 * provisioner's (ours: its index in provisioners, -1: none yet). */
static void check_nodes(struct cdb_problems *p, struct json_object *root, long ours)
{
	struct json_object *provs = NULL, *a, *node;
	uint8_t self_uuid[16];
	bool have_self_uuid = false;
	long self = -1;
	struct node_rec *recs;
	size_t n, nrec = 0;
	char path[PATH_LEN];

	if (ours >= 0) {
		const char *u;

		json_object_object_get_ex(root, "provisioners", &provs);
		u = str_of(json_object_array_get_idx(provs, (size_t)ours), "UUID");
		have_self_uuid = u && is_uuid(u) && hex_decode(u, self_uuid, 16) == 0;
	}
	a = array_member(root, "nodes", &n);
	recs = calloc(n ? n : 1, sizeof(*recs));
	if (!recs) {
		p->oom = true;
		return;
	}
	for (size_t i = 0; i < n; i++) {
		uint8_t u[16];
		const char *s;
		bool is_self = false;

		if (!(node = object_at(p, a, "nodes", i, path)))
			continue;
		s = str_of(node, "UUID");
		if (!s)
			s = str_of(node, "uuid");
		if (self < 0 && have_self_uuid && s && is_uuid(s) && hex_decode(s, u, 16) == 0 &&
		    !memcmp(u, self_uuid, 16)) {
			self = (long)i;
			is_self = true;
		}
		recs[nrec].i = i;
		check_node(p, node, path, is_self, &recs[nrec++]);
	}
	if (have_self_uuid && self < 0 && a) {
		cdb_problem(p, "nodes", "meshprov's own node (UUID as in provisioners[%ld]) is missing: its sequence numbers are lost",
			    ours);
	}
	if (self >= 0) {
		int64_t tx_iv = tx_iv_index(root);

		node = json_object_array_get_idx(a, (size_t)self);
		if (tx_iv >= 0 && check_member(NULL, node, "", member_of(self_members, ARRAY_SIZE(self_members), "meshprovSeqIvIndex")) &&
		    int_of(node, "meshprovSeqIvIndex") > tx_iv) {
			snprintf(path, sizeof(path), "nodes[%ld].meshprovSeqIvIndex", self);
			cdb_problem(p, path, "%lld is newer than the IV Index in use (%lld): sequence numbers could repeat",
				    (long long)int_of(node, "meshprovSeqIvIndex"), (long long)tx_iv);
		}
	}
	check_across_nodes(p, recs, nrec);
	free(recs);
}

static void check_exclusions(struct cdb_problems *p, struct json_object *root)
{
	size_t n, na;
	struct json_object *a = array_member(root, "networkExclusions", &n), *e, *addrs;
	char path[PATH_LEN], apath[PATH_LEN], vpath[PATH_LEN];

	for (size_t i = 0; i < n; i++) {
		if (!(e = object_at(p, a, "networkExclusions", i, path)))
			continue;
		check_members(p, e, path, exclusion_members, ARRAY_SIZE(exclusion_members));
		member_path(apath, path, "addresses");
		addrs = array_member(e, "addresses", &na);
		for (size_t k = 0; k < na; k++) {
			struct json_object *v = json_object_array_get_idx(addrs, k);
			char why[96];

			index_path(vpath, apath, k);
			if (!value_ok(&unicast_value, v, why, sizeof(why)))
				cdb_problem(p, vpath, "%s", why);
		}
	}
}

void cdb_validate(struct json_object *root, struct cdb_problems *p)
{
	uint32_t *firsts, *net_first, *app_first;
	long ours;

	if (!json_object_is_type(root, json_type_object)) {
		cdb_problem(p, "", "not a mesh configuration database (not a JSON object)");
		return;
	}
	if (!json_object_object_get_ex(root, "netKeys", NULL)) {
		cdb_problem(p, "netKeys", "missing (not a mesh configuration database)");
		return;
	}
	check_members(p, root, "", top_members, ARRAY_SIZE(top_members));
	net_first = calloc(2 * (KEY_INDEX_MAX + 1), sizeof(*net_first));
	if (!net_first) {
		p->oom = true;
		return;
	}
	firsts = net_first;
	app_first = net_first + KEY_INDEX_MAX + 1;
	if (!check_keys(p, root, "netKeys", net_key_members, ARRAY_SIZE(net_key_members), net_first, NULL))
		net_first = NULL;
	check_keys(p, root, "appKeys", app_key_members, ARRAY_SIZE(app_key_members), app_first, net_first);
	free(firsts);
	check_provisioners(p, root, &ours);
	check_nodes(p, root, ours);
	check_exclusions(p, root);
}

int nodedb_check(const char *path, struct nodedb_problem **out)
{
	struct cdb_problems p = { 0 };
	struct json_object *root;
	char err[512];
	int r = ndb_io_load(path, "database", &root, err, sizeof(err));

	*out = NULL;
	if (r == 1)
		return -ENOENT;
	if (r == 0)
		cdb_validate(root, &p);
	else
		cdb_problem(&p, "", "%s", err);
	json_object_put(root);
	if (p.oom) {
		free(p.v);
		return -ENOMEM;
	}
	*out = p.v;
	return (int)p.n;
}
