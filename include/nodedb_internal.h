/* Internals shared by the units of the node database (nodedb.h is the one
 * public header). The database is split by seam:
 *   nodedb.c        opening and closing, the CDB mapping of keys and nodes,
 *                   commit, `meshprov nodes --json`
 *   nodedb_comp.c   a node's Composition Data, bindings and subscriptions
 *   nodedb_alloc.c  unicast ranges and allocation, networkExclusions, the
 *                   durable address reservations (meshprovReservations)
 *   nodedb_self.c   meshprov's own node and its sequence numbers
 *                   (PATH.seq)
 *   nodedb_io.c     the only file I/O: reading a file (cdb_load), the
 *                   atomic write, the lock file
 *   nodedb_check.c  checking a parsed file as a whole
 * Everything here works on the parsed json-c tree; only nodedb_io.c touches
 * files. Not for use outside these units. */
#ifndef MESHPROV_NODEDB_INTERNAL_H
#define MESHPROV_NODEDB_INTERNAL_H

#include <errno.h>
#include <json.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cfgmsg.h"
#include "nodedb.h"
#include "nodedb_io.h"
#include "util.h"

#define UNICAST_MAX 0x7FFF
/* Members of our own node / of any node that only meshprov writes. */
#define SEQ_KEY "sequenceNumber"
#define SEQ_IV_KEY "meshprovSeqIvIndex"
#define CONFIG_ERROR_KEY "meshprovConfigError"
#define RESV_KEY "meshprovReservations"

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
	char *seq_path; /* PATH.seq: see nodedb_self.c */
	int lock_fd;
	/* The tree may differ from the file: set at open and on entry to every
	 * public function that changes the tree (also when it then fails),
	 * cleared by a successful commit. nodedb_reserve_seq() commits the
	 * whole tree while set, else writes only PATH.seq. */
	bool dirty;
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

/* ---- small helpers on the json-c tree ---- */

/* Exactly 2*len hex digits, nothing else. */
static inline int parse_hex_exact(const char *s, uint8_t *out, size_t len)
{
	if (!s || !hex_digits(s, 2 * len))
		return -1;
	return hex_decode(s, out, len);
}

static inline int parse_hex4(const char *s, uint16_t *v)
{
	uint8_t b[2];

	if (parse_hex_exact(s, b, 2) < 0)
		return -1;
	*v = get_be16(b);
	return 0;
}

static inline struct json_object *get(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	if (!o || !json_object_is_type(o, json_type_object))
		return NULL;
	if (!json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

static inline struct json_object *get_array(struct json_object *o, const char *key)
{
	struct json_object *v = get(o, key);

	return v && json_object_is_type(v, json_type_array) ? v : NULL;
}

static inline const char *get_string(struct json_object *o, const char *key)
{
	struct json_object *v = get(o, key);

	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

/* An integer member in [min, max]. */
static inline int get_int(struct json_object *o, const char *key, int64_t min, int64_t max, int64_t *out)
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
static inline int set(struct json_object *o, const char *key, struct json_object *val)
{
	if (!val)
		return -ENOMEM;
	if (json_object_object_add(o, key, val) < 0) {
		json_object_put(val);
		return -ENOMEM;
	}
	return 0;
}

static inline int set_str(struct json_object *o, const char *key, const char *s)
{
	return set(o, key, json_object_new_string(s));
}

static inline int set_int(struct json_object *o, const char *key, int64_t v)
{
	return set(o, key, json_object_new_int64(v));
}

static inline int set_bool(struct json_object *o, const char *key, bool v)
{
	return set(o, key, json_object_new_boolean(v));
}

static inline int set_hex4(struct json_object *o, const char *key, uint16_t v)
{
	char buf[5];

	snprintf(buf, sizeof(buf), "%04X", v);
	return set_str(o, key, buf);
}

static inline int set_key(struct json_object *o, const char *key, const uint8_t k[16])
{
	char buf[33];
	int r;

	hex_encode_upper(k, 16, buf);
	r = set_str(o, key, buf);
	OPENSSL_cleanse(buf, sizeof(buf));
	return r;
}

static inline int array_add(struct json_object *a, struct json_object *val)
{
	if (!val)
		return -ENOMEM;
	if (json_object_array_add(a, val) < 0) {
		json_object_put(val);
		return -ENOMEM;
	}
	return 0;
}

/* The array member key of o, added empty when it is missing: 0 and *out,
 * -ENOMEM, or -EINVAL when key holds something else. */
static inline int get_or_add_array(struct json_object *o, const char *key, struct json_object **out)
{
	struct json_object *a = get(o, key);

	if (!a) {
		a = json_object_new_array();
		if (set(o, key, a) < 0)
			return -ENOMEM;
	}
	if (!json_object_is_type(a, json_type_array))
		return -EINVAL;
	*out = a;
	return 0;
}

static inline bool ranges_overlap(unsigned a_lo, unsigned a_hi, unsigned b_lo, unsigned b_hi)
{
	return a_lo <= b_hi && b_lo <= a_hi;
}

/* ---- nodedb.c ---- */

/* 32 hex digits, or the 8-4-4-4-12 form. */
int ndb_parse_uuid(const char *s, uint8_t out[16]);
void ndb_format_uuid(const uint8_t uuid[16], char out[37]);
int ndb_random_bytes(uint8_t *buf, size_t len);
/* Read one CDB node entry. -1 when it lacks a usable UUID or address. */
int ndb_parse_node(struct json_object *j, struct nodedb_node *n);
/* A CDB node entry as nodedb_add_node() writes it. */
struct json_object *ndb_new_node_json(const struct nodedb_node *n);
/* {"index", "updated": false} for a node's netKeys / appKeys. */
struct json_object *ndb_new_node_key(uint16_t index);
/* The entry of parent's array whose "index" (0..max) is index, or NULL. */
struct json_object *ndb_find_index(struct json_object *parent, const char *array, int64_t max, int64_t index);
/* The entry of "netKeys" / "appKeys" with this index, or NULL. */
struct json_object *ndb_find_key(struct nodedb *db, const char *array, uint16_t index);
/* The cached node of uuid, or NULL. The way to a node entry for changing
 * it: its text kept for nodedb_commit is dropped (nodedb.c). */
struct ent *ndb_find_uuid(struct nodedb *db, const uint8_t uuid[16]);

/* ---- nodedb_comp.c ---- */

/* A model entry {"modelId", "bind": [], "subscribe": []}. */
struct json_object *ndb_new_model(struct cfg_model_id m);
/* cid, pid, vid, crpl of a node entry: 0, or -1 when any is missing. */
int ndb_comp_header(struct json_object *j, uint16_t *cid, uint16_t *pid, uint16_t *vid, uint16_t *crpl);

/* ---- nodedb_alloc.c ---- */

struct addrmap {
	uint8_t bits[0x10000 / 8];
};

static inline bool map_test(const struct addrmap *m, unsigned a)
{
	return m->bits[a >> 3] & (1u << (a & 7));
}

/* Addresses taken by nodes and reservations (this session's and the durable
 * ones in meshprovReservations), and (for allocation) those still in
 * networkExclusions. */
void ndb_map_used(struct nodedb *db, struct addrmap *m, bool exclusions);
/* A new [{lo_key: lo, hi_key: hi}] (4 hex digits each), or NULL. */
struct json_object *ndb_new_range_array(const char *lo_key, const char *hi_key, uint16_t lo, uint16_t hi);
/* Add the node's addresses to networkExclusions for the current IV Index. */
int ndb_add_exclusion(struct nodedb *db, const struct nodedb_node *n);
/* At open: refuse meshprovReservations unless every entry is valid, unique
 * and clear of nodes and other reservations. 0, or -1 with err set. */
int ndb_check_reservations(struct nodedb *db, char *err, size_t errlen);
/* Append the pending reservations as nodedb_nodes_json() shows them. */
int ndb_reservations_json(struct nodedb *db, struct json_object *a);

/* ---- nodedb_self.c ---- */

/* At open: find, repair or add our own node (found: its entry, or NULL),
 * then merge PATH.seq into it. 0, or -1 with err set; a database without a
 * free address opens without own node. */
int ndb_ensure_self(struct nodedb *db, struct json_object *found, char *err, size_t errlen);

#endif
