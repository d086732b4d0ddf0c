/* A node's Composition Data, model bindings and subscriptions in the node
 * database (nodedb.h): the CDB "cid", "pid", "vid", "crpl", "features" and
 * "elements" of a node entry, and each model's "bind" and "subscribe". All
 * on the parsed tree; see nodedb_internal.h for the other units. */
#include <errno.h>
#include <json.h>
#include <string.h>

#include "nodedb_internal.h"

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

struct json_object *ndb_new_model(struct cfg_model_id m)
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
	return ndb_find_index(node, "elements", 255, idx);
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
		return ndb_new_model(m);
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
	struct ent *e = ndb_find_uuid(db, uuid);
	struct json_object *els, *feats;
	unsigned lo, hi;
	int r = 0;

	db->dirty = true;
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
int ndb_comp_header(struct json_object *j, uint16_t *cid, uint16_t *pid, uint16_t *vid, uint16_t *crpl)
{
	if (parse_hex4(get_string(j, "cid"), cid) < 0 || parse_hex4(get_string(j, "pid"), pid) < 0 ||
	    parse_hex4(get_string(j, "vid"), vid) < 0 || parse_hex4(get_string(j, "crpl"), crpl) < 0)
		return -1;
	return 0;
}

int nodedb_node_get_composition(struct nodedb *db, const uint8_t uuid[16], struct cfg_comp_page0 *c)
{
	struct ent *e = ndb_find_uuid(db, uuid);
	struct json_object *f, *a;
	size_t n;
	int r = 0;

	memset(c, 0, sizeof(*c));
	if (!e || ndb_comp_header(e->j, &c->cid, &c->pid, &c->vid, &c->crpl) < 0)
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
	struct ent *e = ndb_find_uuid(db, uuid);
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

	db->dirty = true;
	if (app_index > 0xFFF || !ndb_find_key(db, "appKeys", app_index))
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

	db->dirty = true;
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

/* Remove the entries of the model's array key that match: 0 (also when
 * there was none), or find_model's error. */
static int model_array_remove(struct nodedb *db, const uint8_t uuid[16], uint8_t element_index,
			      const struct cfg_model_id *m, const char *key, bool (*same)(struct json_object *v, uint16_t x),
			      uint16_t x)
{
	struct json_object *model, *a;
	int r;

	db->dirty = true;
	r = find_model(db, uuid, element_index, m, &model);
	if (r < 0)
		return r;
	a = get_array(model, key);
	for (size_t i = a ? json_object_array_length(a) : 0; i-- > 0;)
		if (same(json_object_array_get_idx(a, i), x) && json_object_array_del_idx(a, i, 1) < 0)
			return -ENOMEM;
	return 0;
}

static bool same_index(struct json_object *v, uint16_t x)
{
	return v && json_object_is_type(v, json_type_int) && json_object_get_int64(v) == x;
}

static bool same_address(struct json_object *v, uint16_t x)
{
	uint16_t addr = 0;

	return v && json_object_is_type(v, json_type_string) &&
	       parse_hex4(json_object_get_string(v), &addr) == 0 && addr == x;
}

int nodedb_node_model_unbind(struct nodedb *db, const uint8_t uuid[16], uint8_t element_index,
			     const struct cfg_model_id *m, uint16_t app_index)
{
	if (app_index > 0xFFF)
		return -EINVAL;
	return model_array_remove(db, uuid, element_index, m, "bind", same_index, app_index);
}

int nodedb_node_model_unsubscribe(struct nodedb *db, const uint8_t uuid[16], uint8_t element_index,
				  const struct cfg_model_id *m, uint16_t group)
{
	if (!cfg_addr_is_subscribable_group(group))
		return -EINVAL;
	return model_array_remove(db, uuid, element_index, m, "subscribe", same_address, group);
}

/* CDB "publish" of a model: {"address" (4 hex), "index", "ttl", "period":
 * {"numberOfSteps", "resolution" (ms)}, "retransmit": {"count",
 * "interval" (ms)}, "credentials" (0 or 1)}; none for address 0. */
int nodedb_node_model_publish(struct nodedb *db, const uint8_t uuid[16], uint8_t element_index,
			      const struct cfg_model_id *m, const struct cfg_model_pub *pub)
{
	static const int64_t resolution[4] = { 100, 1000, 10000, 600000 };
	struct json_object *model, *o, *period, *retx;
	int r;

	db->dirty = true;
	if (pub->app_idx > 0xFFF || (pub->addr >= 0x8000 && pub->addr < 0xC000) ||
	    (pub->ttl > 0x7F && pub->ttl != CFG_PUB_TTL_DEFAULT))
		return -EINVAL;
	r = find_model(db, uuid, element_index, m, &model);
	if (r < 0)
		return r;
	if (pub->addr == 0) {
		json_object_object_del(model, "publish");
		return 0;
	}
	o = json_object_new_object();
	period = json_object_new_object();
	retx = json_object_new_object();
	if (!o || !period || !retx || set_int(period, "numberOfSteps", pub->period & 0x3F) < 0 ||
	    set_int(period, "resolution", resolution[pub->period >> 6]) < 0 ||
	    set_int(retx, "count", cfg_transmit_count(pub->retransmit)) < 0 ||
	    set_int(retx, "interval", (cfg_transmit_steps(pub->retransmit) + 1) * 50) < 0) {
		json_object_put(o);
		json_object_put(period);
		json_object_put(retx);
		return -ENOMEM;
	}
	r = set_hex4(o, "address", pub->addr);
	r |= set_int(o, "index", pub->app_idx);
	r |= set_int(o, "ttl", pub->ttl);
	r |= set(o, "period", period);
	r |= set(o, "retransmit", retx);
	r |= set_int(o, "credentials", pub->cred ? 1 : 0);
	if (r) {
		json_object_put(o);
		return -ENOMEM;
	}
	return set(model, "publish", o);
}

/* ---- node states ---- */

/* CDB "networkTransmit" / "relayRetransmit": {"count": transmissions 1-8,
 * "interval": ms 10-320} of a Count || Interval Steps octet. */
static struct json_object *transmit_obj(uint8_t v)
{
	struct json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	if (set_int(o, "count", cfg_transmit_count(v) + 1) < 0 ||
	    set_int(o, "interval", (cfg_transmit_steps(v) + 1) * 10) < 0) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

int nodedb_node_set_state(struct nodedb *db, const uint8_t uuid[16], enum cfg_state st,
			  const struct cfg_node_state *v)
{
	struct ent *e = ndb_find_uuid(db, uuid);
	struct json_object *f;
	const char *feat;
	int r;

	db->dirty = true;
	if (!e)
		return -ENOENT;
	switch (st) {
	case CFG_STATE_DEFAULT_TTL:
		if (v->value == 0x01 || v->value > 0x7f)
			return -EINVAL;
		return set_int(e->j, "defaultTTL", v->value);
	case CFG_STATE_BEACON:
		if (v->value > 1)
			return -EINVAL;
		return set_bool(e->j, "secureNetworkBeacon", v->value == 1);
	case CFG_STATE_NET_TRANSMIT:
		return set(e->j, "networkTransmit", transmit_obj(v->value));
	case CFG_STATE_RELAY:
		feat = "relay";
		break;
	case CFG_STATE_GATT_PROXY:
		feat = "proxy";
		break;
	case CFG_STATE_FRIEND:
		feat = "friend";
		break;
	default:
		return -EINVAL;
	}
	if (v->value > CFG_FEATURE_NOT_SUPPORTED)
		return -EINVAL;
	f = get(e->j, "features");
	if (!f) {
		f = json_object_new_object();
		if (set(e->j, "features", f) < 0)
			return -ENOMEM;
	}
	if (!json_object_is_type(f, json_type_object))
		return -EINVAL;
	r = set_int(f, feat, v->value);
	if (r == 0 && st == CFG_STATE_RELAY && v->value != CFG_FEATURE_NOT_SUPPORTED)
		r = set(e->j, "relayRetransmit", transmit_obj(v->retransmit));
	return r;
}
