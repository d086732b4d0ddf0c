/* meshprov's own node in the node database (nodedb.h): finding, repairing
 * or adding it at open, nodedb_self(), and its sequence numbers
 * (nodedb_reserve_seq) with their small record PATH.seq. See
 * nodedb_internal.h for the other units. */
#include <errno.h>
#include <json.h>
#include <openssl/crypto.h>
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
	OPENSSL_cleanse(k, sizeof(k));
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
	OPENSSL_cleanse(&n, sizeof(n));
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

/* The IV Index we transmit with: IV Index - 1 during IV Update in Progress. */
static uint32_t tx_iv_index(struct nodedb *db)
{
	uint32_t iv = nodedb_iv_index(db);

	return nodedb_iv_update(db) && iv > 0 ? iv - 1 : iv;
}

/* ---- the sequence number record, PATH.seq ----
 *
 * A reservation of sequence numbers must be durable before they are used,
 * but it need not rewrite the whole database: while the tree in memory is
 * what the file holds (db->dirty clear), nodedb_reserve_seq() writes only
 * this small file, atomically (nodedb_io.h):
 *   {"UUID": our own node's UUID, "sequenceNumber": the next free SEQ,
 *    "meshprovSeqIvIndex": the IV Index it applies to}
 * The own node's members in the tree always hold the newest reservation, so
 * every full commit writes it into the database too. At open the record is
 * merged into the own node: the newer one wins (a newer IV Index, else the
 * larger sequenceNumber). A record with another UUID (left by a database
 * that was replaced) is ignored; one that cannot be read is refused, as
 * the SEQs it reserved are unknown. */

#define SEQ_FILE "sequence number file"

/* The own node's next free SEQ and its IV Index as the tree holds them: a
 * missing sequenceNumber is 0, a missing IV Index the transmit one. -1
 * when either is not a valid number. */
static int stored_seq(struct nodedb *db, int64_t *seq, int64_t *iv)
{
	*seq = 0;
	*iv = tx_iv_index(db);
	if ((get(db->self, SEQ_KEY) && get_int(db->self, SEQ_KEY, 0, NODEDB_SEQ_MAX, seq) < 0) ||
	    (get(db->self, SEQ_IV_KEY) && get_int(db->self, SEQ_IV_KEY, 0, UINT32_MAX, iv) < 0))
		return -1;
	return 0;
}

static int seq_merge(struct nodedb *db, char *err, size_t errlen)
{
	struct json_object *o;
	int64_t seq, iv, fseq, fiv;
	uint8_t uuid[16];
	int r = ndb_io_load(db->seq_path, SEQ_FILE, &o, err, errlen);

	if (r == 1)
		return 0;
	if (r < 0)
		return -1;
	if (ndb_parse_uuid(get_string(o, "UUID"), uuid) < 0 || get_int(o, SEQ_KEY, 0, NODEDB_SEQ_MAX, &fseq) < 0 ||
	    get_int(o, SEQ_IV_KEY, 0, UINT32_MAX, &fiv) < 0) {
		seterr(err, errlen, "%s %s is not valid: it needs UUID, %s (0-%u) and %s", SEQ_FILE, db->seq_path,
		       SEQ_KEY, NODEDB_SEQ_MAX, SEQ_IV_KEY);
		r = -1;
	} else if (memcmp(uuid, db->prov_uuid, 16) != 0) {
		r = 0; /* another database's */
	} else if (stored_seq(db, &seq, &iv) < 0) {
		r = 0; /* nodedb_check() refused the file already */
	} else if (fiv > iv || (fiv == iv && fseq > seq)) {
		if (set_int(db->self, SEQ_KEY, fseq) < 0 || set_int(db->self, SEQ_IV_KEY, fiv) < 0) {
			seterr(err, errlen, "cannot load database %s: out of memory", db->path);
			r = -1;
		}
	}
	json_object_put(o);
	return r;
}

/* Write PATH.seq: the own node's members as the tree now holds them. */
static int seq_write(struct nodedb *db, char *err, size_t errlen)
{
	struct json_object *o = json_object_new_object();
	const char *str;
	char uuid[37];
	int r = -ENOMEM;

	ndb_format_uuid(db->prov_uuid, uuid);
	if (o && set_str(o, "UUID", uuid) == 0 && set(o, SEQ_KEY, json_object_get(get(db->self, SEQ_KEY))) == 0 &&
	    set(o, SEQ_IV_KEY, json_object_get(get(db->self, SEQ_IV_KEY))) == 0) {
		str = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
		if (str)
			r = ndb_io_write(db->seq_path, SEQ_FILE, str, strlen(str), err, errlen);
	}
	if (r == -ENOMEM)
		seterr(err, errlen, "cannot write %s %s: out of memory", SEQ_FILE, db->seq_path);
	json_object_put(o);
	return r;
}

/* ---- finding, repairing or adding the own node ---- */

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
	OPENSSL_cleanse(&n, sizeof(n));
	return seq_merge(db, err, errlen);
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
	int64_t seq, iv;
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
	if (stored_seq(db, &seq, &iv) < 0) {
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
	else if (db->dirty)
		r = nodedb_commit(db, err, errlen); /* the whole tree, with the other changes */
	else
		r = seq_write(db, err, errlen);
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
