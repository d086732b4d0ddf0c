/* meshprov's own node in the node database (nodedb.h): finding, repairing
 * or adding it at open, nodedb_self(), and its sequence numbers
 * (nodedb_reserve_seq) with their small record PATH.seq. See
 * nodedb_internal.h for the other units. */
#include <errno.h>
#include <json.h>
#include <stdlib.h>
#include <string.h>

#include "nodedb_internal.h"

#define SELF_DEFAULT_ADDR 0x0001

/* ---- meshprov's own node ---- */

/* A node entry's deviceKey, or a new random one when it has no usable one. */
static int ensure_devkey(struct json_object *j)
{
	uint8_t k[16];
	int r = 0;

	if (parse_hex_exact(get_string(j, "deviceKey"), k, 16) < 0) {
		r = ndb_random_bytes(k, sizeof(k));
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
	ndb_map_used(db, m, true);
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
	if (ndb_random_bytes(n.devkey, 16) < 0)
		return NULL;
	j = ndb_new_node_json(&n);
	explicit_bzero(&n, sizeof(n));
	if (!j)
		return NULL;
	r |= set_bool(j, "configComplete", true);
	keys = get_array(j, "appKeys");
	if (ndb_find_key(db, "appKeys", 0))
		r |= array_add(keys, ndb_new_node_key(0));
	els = get_array(j, "elements");
	r |= array_add(get_array(json_object_array_get_idx(els, 0), "models"),
		       ndb_new_model(cfg_model_sig(0x0001))); /* Configuration Client */
	if (r) {
		json_object_put(j);
		return NULL;
	}
	return j;
}

/* Find, repair or add our own node. 0, or -1 with err set; a database
 * without a free address opens without own node. */
int ndb_ensure_self(struct nodedb *db, struct json_object *found, char *err, size_t errlen)
{
	struct json_object *j = found;
	struct nodedb_node n;
	uint16_t addr;
	int r;

	if (!found || ndb_parse_node(found, &n) < 0) {
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
	if (r < 0 || ndb_parse_node(j, &n) < 0) {
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
	uint32_t iv = nodedb_iv_index(db);

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
