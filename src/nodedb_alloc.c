/* Unicast addresses of the node database (nodedb.h): our provisioner's
 * allocatedUnicastRange, allocation (nodedb_alloc_unicast) and the ranges
 * this session reserved, networkExclusions (removed nodes' and released
 * addresses, reusable once the IV Index has grown by 2), and the address
 * reservations that survive a crash (meshprovReservations). All on the
 * parsed tree; see nodedb_internal.h for the other units. */
#include <errno.h>
#include <json.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "nodedb_internal.h"

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

struct json_object *ndb_new_range_array(const char *lo_key, const char *hi_key, uint16_t lo, uint16_t hi)
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

static void map_set(struct addrmap *m, unsigned lo, unsigned hi)
{
	for (unsigned a = lo; a <= hi && a <= 0xFFFF; a++)
		m->bits[a >> 3] |= (uint8_t)(1u << (a & 7));
}

static void map_set_cb(uint16_t lo, uint16_t hi, void *ctx)
{
	map_set(ctx, lo, hi);
}

/* Addresses in networkExclusions that are still excluded: an entry's
 * addresses may be reused once the IV Index is at least its ivIndex + 2. */
static void map_exclusions(struct nodedb *db, struct addrmap *m)
{
	struct json_object *a = get_array(db->root, "networkExclusions");
	size_t n = a ? json_object_array_length(a) : 0;
	uint64_t cur = nodedb_iv_index(db);

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

void ndb_map_used(struct nodedb *db, struct addrmap *m, bool exclusions)
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

/* ---- our provisioner's unicast ranges ---- */

void nodedb_set_unicast_range(struct nodedb *db, uint16_t low, uint16_t high)
{
	db->dirty = true;
	if (low < 1 || low > high || high > UNICAST_MAX)
		return;
	set(db->prov, "allocatedUnicastRange", ndb_new_range_array("lowAddress", "highAddress", low, high));
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
	ndb_map_used(db, used, true);
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
	ndb_map_used(db, used, false);
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

/* Record the removed node's addresses in networkExclusions for the current
 * IV Index, as CDB provisioners do: other nodes' replay protection lists still
 * hold its sequence numbers, so the addresses wait for IV Index + 2. */
int ndb_add_exclusion(struct nodedb *db, const struct nodedb_node *n)
{
	struct json_object *a, *e = NULL, *addrs;
	uint32_t cur = nodedb_iv_index(db);
	size_t cnt;
	int r = get_or_add_array(db->root, "networkExclusions", &a);

	if (r < 0)
		return r;
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
	if (!j || !json_object_is_type(j, json_type_object) || ndb_parse_uuid(get_string(j, "UUID"), r->uuid) < 0 ||
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
	OPENSSL_cleanse(r, sizeof(*r));
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
		OPENSSL_cleanse(&r, sizeof(r));
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
		OPENSSL_cleanse(&r, sizeof(r));
	}
	return hit;
}

/* The index of uuid's reservation, or -1. Every unprovisioned beacon heard
 * asks (provjob_reservation_heard): the UUID is compared before the whole
 * entry, device key and all, is parsed. */
static ssize_t resv_index(struct nodedb *db, const uint8_t uuid[16], struct nodedb_reservation *out)
{
	struct json_object *a = get_array(db->root, RESV_KEY);
	size_t n = a ? json_object_array_length(a) : 0;
	struct nodedb_reservation r;

	for (size_t i = 0; i < n; i++) {
		struct json_object *j = json_object_array_get_idx(a, i);
		uint8_t u[16];

		if (!json_object_is_type(j, json_type_object) || ndb_parse_uuid(get_string(j, "UUID"), u) < 0 ||
		    memcmp(u, uuid, 16))
			continue;
		if (parse_resv(j, &r) == 0) {
			if (out)
				*out = r;
			OPENSSL_cleanse(&r, sizeof(r));
			return (ssize_t)i;
		}
		OPENSSL_cleanse(&r, sizeof(r));
	}
	return -1;
}

/* At open: every entry valid, one per UUID, overlapping no node and no other
 * reservation. Anything else is refused: ignoring an entry could hand its
 * addresses out twice. */
int ndb_check_reservations(struct nodedb *db, char *err, size_t errlen)
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
		OPENSSL_cleanse(&r, sizeof(r));
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

	db->dirty = true;
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
	ndb_format_uuid(r->uuid, uuid);
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
	/* a member that is not an array was refused above */
	rc = get_or_add_array(db->root, RESV_KEY, &a);
	if (rc < 0) {
		json_object_put(j);
		return rc;
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
	OPENSSL_cleanse(&r, sizeof(r));
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

	db->dirty = true;
	if (i < 0)
		return -ENOENT;
	resv_delete(db, (size_t)i);
	return 0;
}

/* uuid's reservation as the node record it stands for, and its index, or
 * -ENOENT. n holds the device key: the caller wipes it. */
static ssize_t resv_node(struct nodedb *db, const uint8_t uuid[16], struct nodedb_node *n)
{
	struct nodedb_reservation r;
	ssize_t i = resv_index(db, uuid, &r);

	db->dirty = true;
	memset(n, 0, sizeof(*n));
	if (i < 0)
		return -ENOENT;
	memcpy(n->uuid, r.uuid, 16);
	n->unicast = r.unicast;
	n->elements = r.elements;
	memcpy(n->devkey, r.devkey, 16);
	n->net_key_index = r.net_key_index;
	OPENSSL_cleanse(&r, sizeof(r));
	return i;
}

int nodedb_reservation_release(struct nodedb *db, const uint8_t uuid[16])
{
	struct nodedb_node n;
	ssize_t i = resv_node(db, uuid, &n);
	int rc;

	if (i < 0)
		return (int)i;
	rc = ndb_add_exclusion(db, &n);
	OPENSSL_cleanse(&n, sizeof(n));
	if (rc < 0)
		return rc;
	resv_delete(db, (size_t)i);
	return 0;
}

int nodedb_reservation_keep(struct nodedb *db, const uint8_t uuid[16], const char *reason)
{
	struct nodedb_node n, old;
	ssize_t i = resv_node(db, uuid, &n);
	int rc;

	if (i < 0)
		return (int)i;
	rc = nodedb_find_uuid(db, uuid, &old);
	if (rc == 0 && old.config_complete)
		rc = -EEXIST; /* cannot happen: a configured node is never provisioned again */
	else if (rc == 0)
		rc = nodedb_remove_node(db, uuid); /* the stale record it replaces */
	else
		rc = 0;
	OPENSSL_cleanse(&old, sizeof(old));
	if (rc == 0)
		rc = nodedb_add_node(db, &n);
	OPENSSL_cleanse(&n, sizeof(n));
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
int ndb_reservations_json(struct nodedb *db, struct json_object *a)
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
		OPENSSL_cleanse(&r, sizeof(r));
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
			OPENSSL_cleanse(&r, sizeof(r));
			return 0;
		}
		OPENSSL_cleanse(&r, sizeof(r));
	}
	return -ENOENT;
}
