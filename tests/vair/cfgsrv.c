/* The simulated nodes' Configuration Server. See cfgsrv.h. */
#include "cfgsrv.h"

#include <errno.h>
#include <string.h>

#include "util.h"

/* ---- composition ---- */

static void comp_base(struct cfgsrv_comp *c, uint16_t cid, uint16_t pid, uint8_t elements)
{
	memset(c, 0, sizeof(*c));
	c->cid = cid;
	c->pid = pid;
	c->vid = 0x0001;
	c->crpl = 0x0064;
	c->features = 0;
	if (elements == 0)
		elements = 1;
	if (elements > CFGSRV_MAX_ELEMENTS)
		elements = CFGSRV_MAX_ELEMENTS;
	c->num_elements = elements;
	for (unsigned i = 1; i < elements; i++) {
		c->elements[i].num_sig = 1;
		c->elements[i].sig[0] = CFGSRV_MODEL_ONOFF_SERVER;
	}
}

static void comp_vendor(struct cfgsrv_comp *c, uint16_t vendor_cid)
{
	if (vendor_cid != 0xffff) {
		c->elements[0].vendor[0] = cfg_model_vendor(vendor_cid, 0x0000);
		c->elements[0].num_vendor = 1;
	}
}

void cfgsrv_comp_light(struct cfgsrv_comp *c, uint16_t cid, uint16_t pid, uint16_t vendor_cid,
		       uint8_t elements)
{
	struct cfgsrv_element *e = &c->elements[0];

	comp_base(c, cid, pid, elements);
	e->sig[0] = CFGSRV_MODEL_CFG_SERVER;
	e->sig[1] = CFGSRV_MODEL_ONOFF_SERVER;
	e->sig[2] = CFGSRV_MODEL_LIGHTNESS_SERVER;
	e->sig[3] = CFGSRV_MODEL_CTL_SERVER;
	e->num_sig = 4;
	comp_vendor(c, vendor_cid);
}

void cfgsrv_comp_plain(struct cfgsrv_comp *c, uint16_t cid, uint16_t pid, uint16_t vendor_cid,
		       uint8_t elements)
{
	struct cfgsrv_element *e = &c->elements[0];

	comp_base(c, cid, pid, elements);
	e->sig[0] = CFGSRV_MODEL_CFG_SERVER;
	e->sig[1] = CFGSRV_MODEL_ONOFF_SERVER;
	e->num_sig = 2;
	comp_vendor(c, vendor_cid);
}

int cfgsrv_comp_encode(const struct cfgsrv_comp *c, uint8_t *out, size_t outmax)
{
	size_t off = 10;

	if (outmax < off)
		return -ENOBUFS;
	put_le16(out, c->cid);
	put_le16(out + 2, c->pid);
	put_le16(out + 4, c->vid);
	put_le16(out + 6, c->crpl);
	put_le16(out + 8, c->features);
	for (unsigned i = 0; i < c->num_elements; i++) {
		const struct cfgsrv_element *e = &c->elements[i];

		if (outmax - off < 4u + 2u * e->num_sig + 4u * e->num_vendor)
			return -ENOBUFS;
		put_le16(out + off, e->loc);
		out[off + 2] = e->num_sig;
		out[off + 3] = e->num_vendor;
		off += 4;
		for (unsigned j = 0; j < e->num_sig; j++, off += 2)
			put_le16(out + off, e->sig[j]);
		for (unsigned j = 0; j < e->num_vendor; j++, off += 4) {
			put_le16(out + off, e->vendor[j].cid);
			put_le16(out + off + 2, e->vendor[j].id);
		}
	}
	return (int)off;
}

bool cfgsrv_comp_has_model(const struct cfgsrv_comp *c, unsigned elem, struct cfg_model_id model)
{
	const struct cfgsrv_element *e;

	if (elem >= c->num_elements)
		return false;
	e = &c->elements[elem];
	if (!model.vendor) {
		for (unsigned i = 0; i < e->num_sig; i++)
			if (e->sig[i] == model.id)
				return true;
		return false;
	}
	for (unsigned i = 0; i < e->num_vendor; i++)
		if (cfg_model_id_eq(e->vendor[i], model))
			return true;
	return false;
}

/* ---- set-up ---- */

int cfgsrv_init(struct cfgsrv *s, const struct cfgsrv_comp *comp, struct mesh *mesh,
		const struct cfgsrv_ops *ops, void *ctx)
{
	if (!s || !comp || !mesh || !ops || !ops->send || comp->num_elements == 0 ||
	    comp->num_elements > CFGSRV_MAX_ELEMENTS || comp->num_elements != mesh->cfg.elements)
		return -EINVAL;
	memset(s, 0, sizeof(*s));
	s->comp = comp;
	s->mesh = mesh;
	s->ops = ops;
	s->ctx = ctx;
	s->states[CFG_STATE_DEFAULT_TTL].value = mesh->cfg.default_ttl ? mesh->cfg.default_ttl : MESH_DEFAULT_TTL;
	s->states[CFG_STATE_RELAY].value = comp->features & CFG_FEAT_RELAY ? CFG_FEATURE_DISABLED : CFG_FEATURE_NOT_SUPPORTED;
	if (comp->features & CFG_FEAT_RELAY)
		s->states[CFG_STATE_RELAY].retransmit = cfg_transmit_pack(1, 1);
	s->states[CFG_STATE_BEACON].value = CFG_FEATURE_ENABLED;
	s->states[CFG_STATE_GATT_PROXY].value =
		comp->features & CFG_FEAT_PROXY ? CFG_FEATURE_DISABLED : CFG_FEATURE_NOT_SUPPORTED;
	s->states[CFG_STATE_FRIEND].value =
		comp->features & CFG_FEAT_FRIEND ? CFG_FEATURE_DISABLED : CFG_FEATURE_NOT_SUPPORTED;
	s->states[CFG_STATE_NET_TRANSMIT].value = cfg_transmit_pack(2, 1);
	return 0;
}

/* ---- the checks, shared by the messages and the node itself ---- */

/* The element index of an address, or -1 when it is not one of ours. */
static int elem_index(const struct cfgsrv *s, uint16_t addr)
{
	uint16_t first = s->mesh->cfg.unicast;

	if (!cfg_addr_is_unicast(addr) || addr < first || addr - first >= s->comp->num_elements)
		return -1;
	return addr - first;
}

static bool app_key_exists(const struct cfgsrv *s, uint16_t index)
{
	for (size_t i = 0; i < MESH_MAX_APP_KEYS; i++)
		if (s->mesh->app[i].used && s->mesh->app[i].index == index)
			return true;
	return false;
}

static bool is_cfg_model(struct cfg_model_id m)
{
	return !m.vendor && (m.id == CFGSRV_MODEL_CFG_SERVER || m.id == CFGSRV_MODEL_CFG_CLIENT);
}

/* The checks Model App Bind and Unbind share (§4.4.1, §4.3.2.46-47): Success
 * or the status that refuses the message. */
static uint8_t binding_checks(struct cfgsrv *s, uint16_t elem_addr, uint16_t app_index,
			      struct cfg_model_id model)
{
	int e = elem_index(s, elem_addr);

	if (e < 0)
		return CFG_STATUS_INVALID_ADDRESS;
	if (!cfgsrv_comp_has_model(s->comp, (unsigned)e, model))
		return CFG_STATUS_INVALID_MODEL;
	if (!app_key_exists(s, app_index))
		return CFG_STATUS_INVALID_APPKEY;
	if (is_cfg_model(model))
		return CFG_STATUS_CANNOT_BIND; /* device key only (§4.4.1) */
	return CFG_STATUS_SUCCESS;
}

uint8_t cfgsrv_bind(struct cfgsrv *s, uint16_t elem_addr, uint16_t app_index, struct cfg_model_id model)
{
	struct cfgsrv_binding *free_slot = NULL;
	uint8_t st = binding_checks(s, elem_addr, app_index, model);
	int e = elem_index(s, elem_addr);

	if (st != CFG_STATUS_SUCCESS)
		return st;
	for (size_t i = 0; i < CFGSRV_MAX_BINDINGS; i++) {
		struct cfgsrv_binding *b = &s->bindings[i];

		if (!b->used) {
			if (!free_slot)
				free_slot = b;
			continue;
		}
		if (b->elem == e && b->app_index == app_index && cfg_model_id_eq(b->model, model))
			return CFG_STATUS_SUCCESS;
	}
	if (!free_slot)
		return CFG_STATUS_INSUFFICIENT_RESOURCES;
	free_slot->used = true;
	free_slot->elem = (uint8_t)e;
	free_slot->model = model;
	free_slot->app_index = app_index;
	return CFG_STATUS_SUCCESS;
}

uint8_t cfgsrv_sub_add(struct cfgsrv *s, uint16_t elem_addr, uint16_t group, struct cfg_model_id model)
{
	struct cfgsrv_sub *free_slot = NULL;
	int e = elem_index(s, elem_addr);

	if (e < 0 || !cfg_addr_is_subscribable_group(group))
		return CFG_STATUS_INVALID_ADDRESS;
	if (!cfgsrv_comp_has_model(s->comp, (unsigned)e, model))
		return CFG_STATUS_INVALID_MODEL;
	if (is_cfg_model(model))
		return CFG_STATUS_NOT_A_SUBSCRIBE_MODEL;
	for (size_t i = 0; i < CFGSRV_MAX_SUBS; i++) {
		struct cfgsrv_sub *u = &s->subs[i];

		if (!u->used) {
			if (!free_slot)
				free_slot = u;
			continue;
		}
		if (u->elem == e && u->addr == group && cfg_model_id_eq(u->model, model))
			return CFG_STATUS_SUCCESS;
	}
	if (!free_slot)
		return CFG_STATUS_INSUFFICIENT_RESOURCES;
	if (mesh_subscribe(s->mesh, group) < 0)
		return CFG_STATUS_INSUFFICIENT_RESOURCES;
	free_slot->used = true;
	free_slot->elem = (uint8_t)e;
	free_slot->model = model;
	free_slot->addr = group;
	return CFG_STATUS_SUCCESS;
}

/* Config Model App Unbind: the checks of Bind; no such binding is Success
 * too (the binding is not there afterwards). *changed: one was removed. */
static uint8_t unbind(struct cfgsrv *s, uint16_t elem_addr, uint16_t app_index, struct cfg_model_id model,
		      bool *changed)
{
	uint8_t st = binding_checks(s, elem_addr, app_index, model);
	int e = elem_index(s, elem_addr);

	*changed = false;
	if (st != CFG_STATUS_SUCCESS)
		return st;
	for (size_t i = 0; i < CFGSRV_MAX_BINDINGS; i++) {
		struct cfgsrv_binding *b = &s->bindings[i];

		if (b->used && b->elem == e && b->app_index == app_index && cfg_model_id_eq(b->model, model)) {
			b->used = false;
			*changed = true;
		}
	}
	return CFG_STATUS_SUCCESS;
}

/* Config Model Subscription Delete: the checks of Subscription Add; an
 * address not in the list is Success too. The node stops listening to the
 * group once no model of it subscribes to it. */
static uint8_t sub_del(struct cfgsrv *s, uint16_t elem_addr, uint16_t group, struct cfg_model_id model,
		       bool *changed)
{
	int e = elem_index(s, elem_addr);
	bool still = false;

	*changed = false;
	if (e < 0 || !cfg_addr_is_subscribable_group(group))
		return CFG_STATUS_INVALID_ADDRESS;
	if (!cfgsrv_comp_has_model(s->comp, (unsigned)e, model))
		return CFG_STATUS_INVALID_MODEL;
	if (is_cfg_model(model))
		return CFG_STATUS_NOT_A_SUBSCRIBE_MODEL;
	for (size_t i = 0; i < CFGSRV_MAX_SUBS; i++) {
		struct cfgsrv_sub *u = &s->subs[i];

		if (!u->used || u->addr != group)
			continue;
		if (u->elem == e && cfg_model_id_eq(u->model, model)) {
			u->used = false;
			*changed = true;
		} else {
			still = true;
		}
	}
	if (*changed && !still)
		mesh_unsubscribe(s->mesh, group);
	return CFG_STATUS_SUCCESS;
}

/* The publication slot of (element e, model m), or NULL. */
static struct cfg_model_pub *pub_slot(struct cfgsrv *s, uint16_t elem_addr, struct cfg_model_id m)
{
	for (size_t i = 0; i < CFGSRV_MAX_PUBS; i++)
		if (s->pubs[i].addr && s->pubs[i].elem_addr == elem_addr && cfg_model_id_eq(s->pubs[i].model, m))
			return &s->pubs[i];
	return NULL;
}

/* Config Model Publication Set/Get: the element and model checks; for a
 * Set the AppKey's (unless publication is turned off) and the new state. */
static uint8_t publication(struct cfgsrv *s, bool set, struct cfg_model_pub *p)
{
	struct cfg_model_pub *slot;
	int e = elem_index(s, p->elem_addr);

	if (e < 0)
		return CFG_STATUS_INVALID_ADDRESS;
	if (!cfgsrv_comp_has_model(s->comp, (unsigned)e, p->model))
		return CFG_STATUS_INVALID_MODEL;
	slot = pub_slot(s, p->elem_addr, p->model);
	if (!set) {
		if (slot)
			*p = *slot; /* the same element and model */
		return CFG_STATUS_SUCCESS; /* else the zeros the caller set */
	}
	if (is_cfg_model(p->model))
		return CFG_STATUS_INVALID_PUBLISH_PARAMS;
	if (p->addr == 0) {
		if (slot)
			slot->addr = 0;
		p->app_idx = 0;
		p->cred = false;
		p->ttl = p->period = p->retransmit = 0;
		return CFG_STATUS_SUCCESS;
	}
	if (!app_key_exists(s, p->app_idx))
		return CFG_STATUS_INVALID_APPKEY;
	for (size_t i = 0; !slot && i < CFGSRV_MAX_PUBS; i++)
		if (!s->pubs[i].addr)
			slot = &s->pubs[i];
	if (!slot)
		return CFG_STATUS_INSUFFICIENT_RESOURCES;
	*slot = *p;
	return CFG_STATUS_SUCCESS;
}

static uint8_t appkey_add(struct cfgsrv *s, uint16_t net_index, uint16_t app_index, const uint8_t key[16])
{
	const struct mesh_app_key *old = NULL;
	bool net_known = false;

	for (size_t i = 0; i < s->mesh->nnet; i++)
		if (s->mesh->net[i].index == net_index)
			net_known = true;
	if (!net_known)
		return CFG_STATUS_INVALID_NETKEY;
	for (size_t i = 0; i < MESH_MAX_APP_KEYS && !old; i++)
		if (s->mesh->app[i].used && s->mesh->app[i].index == app_index)
			old = &s->mesh->app[i];
	if (old) {
		/* as the Mesh Profile (and BlueZ): bound to another NetKey is
		 * Invalid NetKey Index, another key value Key Index Already
		 * Stored, the same key again Success */
		if (old->net_index != net_index)
			return CFG_STATUS_INVALID_NETKEY;
		if (memcmp(old->key, key, 16))
			return CFG_STATUS_KEY_INDEX_ALREADY_STORED;
		return CFG_STATUS_SUCCESS;
	}
	switch (mesh_add_app_key(s->mesh, app_index, net_index, key)) {
	case 0:
		return CFG_STATUS_SUCCESS;
	case -ENOSPC:
		return CFG_STATUS_INSUFFICIENT_RESOURCES;
	case -EEXIST:
		return CFG_STATUS_KEY_INDEX_ALREADY_STORED;
	case -ENOENT:
		return CFG_STATUS_INVALID_NETKEY;
	default:
		return CFG_STATUS_STORAGE_FAILURE;
	}
}

/* ---- messages ---- */

static int reply(struct cfgsrv *s, const struct mesh_rx *rx, uint32_t op, const uint8_t *params, size_t plen)
{
	uint8_t pdu[ACCESS_MAX_PDU];
	size_t len;
	int ret = access_build(op, params, plen, pdu, sizeof(pdu), &len);

	if (ret < 0)
		return ret;
	return s->ops->send(s->ctx, rx->src, rx->net_index, pdu, len);
}

static void event(struct cfgsrv *s, struct cfgsrv_event *ev, const struct mesh_rx *rx)
{
	s->stats.handled++;
	ev->src = rx->src;
	if (s->ops->event)
		s->ops->event(s->ctx, ev);
}

/* Element (2) || a 16-bit field (2) || model (2 or 4): Bind and Sub Add. */
static bool parse_elem_model(const uint8_t *p, size_t len, uint16_t *elem, uint16_t *field,
			     struct cfg_model_id *model)
{
	if ((len != 6 && len != 8) || cfg_model_id_get(p + 4, len - 4, model) < 0)
		return false;
	*elem = get_le16(p);
	*field = get_le16(p + 2);
	return true;
}

/* Status || element || field || model, the Model App and Subscription Status layout. */
static int reply_elem_model(struct cfgsrv *s, const struct mesh_rx *rx, uint32_t op, uint8_t status,
			    const uint8_t *req, size_t req_len)
{
	uint8_t p[9];

	p[0] = status;
	memcpy(p + 1, req, req_len); /* element, field and model as they came */
	return reply(s, rx, op, p, 1 + req_len);
}

/* The node state whose Get (get true) or Set has this opcode; -1 if none. */
static int state_of(uint32_t op, bool *get)
{
	for (int st = 0; st < CFG_STATE_COUNT; st++) {
		if (op == cfg_state_get_opcode((enum cfg_state)st) || op == cfg_state_set_opcode((enum cfg_state)st)) {
			*get = op == cfg_state_get_opcode((enum cfg_state)st);
			return st;
		}
	}
	return -1;
}

/* A node state's Set parameters (p, len; the Status layout, cfgmsg.h): false
 * for a wrong length or a prohibited value (ignored); else the state is set
 * as far as the node supports it. */
static bool state_set(struct cfgsrv *s, enum cfg_state st, const uint8_t *p, size_t len)
{
	struct cfg_node_state v;
	struct cfg_node_state *cur = &s->states[st];

	/* the Status parser checks the same layout and values; a Set may not
	 * carry Not Supported */
	if (cfg_parse_state_status(st, p, len, &v) < 0 || (st != CFG_STATE_DEFAULT_TTL &&
							    st != CFG_STATE_NET_TRANSMIT &&
							    v.value == CFG_FEATURE_NOT_SUPPORTED))
		return false;
	if ((st == CFG_STATE_RELAY || st == CFG_STATE_GATT_PROXY || st == CFG_STATE_FRIEND) &&
	    cur->value == CFG_FEATURE_NOT_SUPPORTED)
		return true; /* the status says Not Supported */
	*cur = v;
	if (st == CFG_STATE_DEFAULT_TTL && v.value >= 2)
		s->mesh->cfg.default_ttl = v.value;
	return true;
}

bool cfgsrv_input(struct cfgsrv *s, const struct mesh_rx *rx)
{
	struct cfgsrv_event ev;
	const uint8_t *p = rx->params;
	size_t len = rx->params_len;
	uint8_t out[ACCESS_MAX_PDU];

	if (!rx->dev_key || rx->key_addr != s->mesh->cfg.unicast || rx->dst != s->mesh->cfg.unicast) {
		s->stats.ignored++;
		return false;
	}
	memset(&ev, 0, sizeof(ev));
	ev.net_index = rx->net_index;
	switch (rx->opcode) {
	case CFG_OP_APPKEY_ADD: {
		uint16_t net_index, app_index;

		if (len != 19)
			break;
		cfg_key_index_unpack(p, &net_index, &app_index);
		ev.op = CFGSRV_APPKEY_ADD;
		ev.status = appkey_add(s, net_index, app_index, p + 3);
		ev.net_index = net_index;
		ev.app_index = app_index;
		ev.app_key = p + 3;
		out[0] = ev.status;
		memcpy(out + 1, p, 3);
		ev.send_rc = reply(s, rx, CFG_OP_APPKEY_STATUS, out, 4);
		event(s, &ev, rx);
		return true;
	}
	case CFG_OP_COMP_DATA_GET: {
		int n;

		if (len != 1)
			break;
		ev.op = CFGSRV_COMP_GET;
		ev.page = p[0];
		out[0] = 0; /* page 0: the only one, the highest at or below any page */
		n = cfgsrv_comp_encode(s->comp, out + 1, CFGSRV_COMP_MAX);
		ev.send_rc = n < 0 ? n : reply(s, rx, CFG_OP_COMP_DATA_STATUS, out, 1 + (size_t)n);
		event(s, &ev, rx);
		return true;
	}
	case CFG_OP_MODEL_APP_BIND:
	case CFG_OP_MODEL_APP_UNBIND:
	case CFG_OP_MODEL_SUB_ADD:
	case CFG_OP_MODEL_SUB_DELETE: {
		bool bind = rx->opcode == CFG_OP_MODEL_APP_BIND || rx->opcode == CFG_OP_MODEL_APP_UNBIND;
		uint16_t elem, x;

		if (!parse_elem_model(p, len, &elem, &x, &ev.model))
			break;
		ev.elem_addr = elem;
		if (bind)
			ev.app_index = x & CFG_KEY_INDEX_MAX;
		else
			ev.addr = x;
		switch (rx->opcode) {
		case CFG_OP_MODEL_APP_BIND:
			ev.op = CFGSRV_BIND;
			ev.status = cfgsrv_bind(s, elem, ev.app_index, ev.model);
			break;
		case CFG_OP_MODEL_APP_UNBIND:
			ev.op = CFGSRV_UNBIND;
			ev.status = unbind(s, elem, ev.app_index, ev.model, &ev.changed);
			break;
		case CFG_OP_MODEL_SUB_ADD:
			ev.op = CFGSRV_SUB_ADD;
			ev.status = cfgsrv_sub_add(s, elem, x, ev.model);
			break;
		default:
			ev.op = CFGSRV_SUB_DEL;
			ev.status = sub_del(s, elem, x, ev.model, &ev.changed);
			break;
		}
		ev.send_rc = reply_elem_model(s, rx, bind ? CFG_OP_MODEL_APP_STATUS : CFG_OP_MODEL_SUB_STATUS,
					      ev.status, p, len);
		event(s, &ev, rx);
		return true;
	}
	case CFG_OP_MODEL_PUB_SET:
	case CFG_OP_MODEL_PUB_GET: {
		bool set = rx->opcode == CFG_OP_MODEL_PUB_SET;
		size_t mlen;
		uint16_t idx;

		if (set ? len != 11 && len != 13 : len != 4 && len != 6)
			break;
		mlen = len - (set ? 9 : 2);
		memset(&ev.pub, 0, sizeof(ev.pub));
		if (cfg_model_id_get(p + len - mlen, mlen, &ev.pub.model) < 0)
			break;
		ev.pub.elem_addr = get_le16(p);
		if (set) {
			ev.pub.addr = get_le16(p + 2);
			idx = get_le16(p + 4);
			ev.pub.app_idx = idx & CFG_KEY_INDEX_MAX;
			ev.pub.cred = (idx >> 12) & 1u;
			ev.pub.ttl = p[6];
			ev.pub.period = p[7];
			ev.pub.retransmit = p[8];
			/* prohibited: a virtual address (Virtual Address Set has its
			 * own message), TTL 0x80-0xfe */
			if ((ev.pub.addr >= 0x8000 && ev.pub.addr < 0xc000) ||
			    (ev.pub.ttl > 0x7f && ev.pub.ttl != CFG_PUB_TTL_DEFAULT))
				break;
		}
		ev.op = set ? CFGSRV_PUB_SET : CFGSRV_PUB_GET;
		ev.elem_addr = ev.pub.elem_addr;
		ev.model = ev.pub.model;
		ev.status = publication(s, set, &ev.pub);
		out[0] = ev.status;
		put_le16(out + 1, ev.pub.elem_addr);
		put_le16(out + 3, ev.pub.addr);
		put_le16(out + 5, (uint16_t)(ev.pub.app_idx | (ev.pub.cred ? 1u << 12 : 0)));
		out[7] = ev.pub.ttl;
		out[8] = ev.pub.period;
		out[9] = ev.pub.retransmit;
		memcpy(out + 10, p + len - mlen, mlen);
		ev.send_rc = reply(s, rx, CFG_OP_MODEL_PUB_STATUS, out, 10 + mlen);
		event(s, &ev, rx);
		return true;
	}
	case CFG_OP_NODE_RESET:
		if (len != 0)
			break;
		ev.op = CFGSRV_NODE_RESET;
		ev.send_rc = reply(s, rx, CFG_OP_NODE_RESET_STATUS, NULL, 0);
		event(s, &ev, rx);
		return true;
	default: {
		bool get;
		int st = state_of(rx->opcode, &get);

		if (st < 0) {
			s->stats.ignored++;
			return false;
		}
		if (get ? len != 0 : !state_set(s, (enum cfg_state)st, p, len))
			break;
		ev.op = get ? CFGSRV_STATE_GET : CFGSRV_STATE_SET;
		ev.state = (enum cfg_state)st;
		ev.state_value = s->states[st];
		out[0] = ev.state_value.value;
		out[1] = ev.state_value.retransmit;
		ev.send_rc = reply(s, rx, cfg_state_status_opcode(ev.state), out, st == CFG_STATE_RELAY ? 2 : 1);
		event(s, &ev, rx);
		return true;
	}
	}
	s->stats.malformed++;
	return false;
}
