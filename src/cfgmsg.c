#include "cfgmsg.h"

#include <errno.h>
#include <string.h>

#include "access.h"
#include "util.h"

static const char *const status_names[] = {
	[CFG_STATUS_SUCCESS] = "Success",
	[CFG_STATUS_INVALID_ADDRESS] = "Invalid Address",
	[CFG_STATUS_INVALID_MODEL] = "Invalid Model",
	[CFG_STATUS_INVALID_APPKEY] = "Invalid AppKey Index",
	[CFG_STATUS_INVALID_NETKEY] = "Invalid NetKey Index",
	[CFG_STATUS_INSUFFICIENT_RESOURCES] = "Insufficient Resources",
	[CFG_STATUS_KEY_INDEX_ALREADY_STORED] = "Key Index Already Stored",
	[CFG_STATUS_INVALID_PUBLISH_PARAMS] = "Invalid Publish Parameters",
	[CFG_STATUS_NOT_A_SUBSCRIBE_MODEL] = "Not a Subscribe Model",
	[CFG_STATUS_STORAGE_FAILURE] = "Storage Failure",
	[CFG_STATUS_FEATURE_NOT_SUPPORTED] = "Feature Not Supported",
	[CFG_STATUS_CANNOT_UPDATE] = "Cannot Update",
	[CFG_STATUS_CANNOT_REMOVE] = "Cannot Remove",
	[CFG_STATUS_CANNOT_BIND] = "Cannot Bind",
	[CFG_STATUS_TEMP_UNABLE] = "Temporarily Unable to Change State",
	[CFG_STATUS_CANNOT_SET] = "Cannot Set",
	[CFG_STATUS_UNSPECIFIED] = "Unspecified Error",
	[CFG_STATUS_INVALID_BINDING] = "Invalid Binding",
};

const char *cfg_status_str(uint8_t status)
{
	return status < ARRAY_SIZE(status_names) ? status_names[status] : "RFU";
}

/* ---- model identifiers ---- */

bool cfg_model_id_eq(struct cfg_model_id a, struct cfg_model_id b)
{
	if (a.vendor != b.vendor || a.id != b.id)
		return false;
	return !a.vendor || a.cid == b.cid;
}

uint32_t cfg_model_id_to_u32(struct cfg_model_id m)
{
	return m.vendor ? (uint32_t)m.cid << 16 | m.id : 0xffff0000u | m.id;
}

struct cfg_model_id cfg_model_id_from_u32(uint32_t v)
{
	if ((v >> 16) == 0xffff)
		return cfg_model_sig((uint16_t)v);
	return cfg_model_vendor((uint16_t)(v >> 16), (uint16_t)v);
}

int cfg_model_id_put(struct cfg_model_id m, uint8_t out[4])
{
	if (!m.vendor) {
		put_le16(out, m.id);
		return 2;
	}
	if (m.cid == 0xffff)
		return -EINVAL;
	put_le16(out, m.cid);
	put_le16(out + 2, m.id);
	return 4;
}

int cfg_model_id_get(const uint8_t *p, size_t len, struct cfg_model_id *m)
{
	if (len == 2)
		*m = cfg_model_sig(get_le16(p));
	else if (len == 4)
		*m = cfg_model_vendor(get_le16(p), get_le16(p + 2));
	else
		return -EBADMSG;
	return 0;
}

void cfg_model_id_str(struct cfg_model_id m, char out[9])
{
	uint8_t be[4];

	if (m.vendor) {
		put_be16(be, m.cid);
		put_be16(be + 2, m.id);
		hex_encode(be, 4, out);
	} else {
		put_be16(be, m.id);
		hex_encode(be, 2, out);
	}
}

/* ---- key indexes ---- */

int cfg_key_index_pack(uint16_t net_idx, uint16_t app_idx, uint8_t out[3])
{
	uint32_t v;

	if (net_idx > CFG_KEY_INDEX_MAX || app_idx > CFG_KEY_INDEX_MAX)
		return -EINVAL;
	v = (uint32_t)net_idx | (uint32_t)app_idx << 12;
	out[0] = (uint8_t)v;
	out[1] = (uint8_t)(v >> 8);
	out[2] = (uint8_t)(v >> 16);
	return 0;
}

void cfg_key_index_unpack(const uint8_t in[3], uint16_t *net_idx, uint16_t *app_idx)
{
	uint32_t v = (uint32_t)in[0] | (uint32_t)in[1] << 8 | (uint32_t)in[2] << 16;

	*net_idx = (uint16_t)(v & 0xfff);
	*app_idx = (uint16_t)(v >> 12);
}

/* ---- requests ---- */

/* Build op || params into out; the length or a negative errno. */
static int build(uint32_t op, const uint8_t *params, size_t plen, uint8_t *out, size_t outmax)
{
	size_t len;
	int ret = access_build(op, params, plen, out, outmax, &len);

	return ret < 0 ? ret : (int)len;
}

int cfg_build_comp_data_get(uint8_t page, uint8_t *out, size_t outmax)
{
	return build(CFG_OP_COMP_DATA_GET, &page, 1, out, outmax);
}

int cfg_build_appkey_add(uint16_t net_idx, uint16_t app_idx, const uint8_t app_key[16], uint8_t *out,
			 size_t outmax)
{
	uint8_t p[19];

	if (!app_key || cfg_key_index_pack(net_idx, app_idx, p) < 0)
		return -EINVAL;
	memcpy(p + 3, app_key, 16);
	return build(CFG_OP_APPKEY_ADD, p, sizeof(p), out, outmax);
}

/* element (2) || a 16-bit field || model (2|4): the Bind, Unbind, Sub Add
 * and Sub Delete layout. */
static int build_elem_model(uint32_t op, uint16_t elem_addr, uint16_t field, struct cfg_model_id model,
			    uint8_t *out, size_t outmax)
{
	uint8_t p[8];
	int mlen;

	if (!cfg_addr_is_unicast(elem_addr))
		return -EINVAL;
	put_le16(p, elem_addr);
	put_le16(p + 2, field);
	mlen = cfg_model_id_put(model, p + 4);
	if (mlen < 0)
		return mlen;
	return build(op, p, 4 + (size_t)mlen, out, outmax);
}

int cfg_build_model_app_bind(uint16_t elem_addr, uint16_t app_idx, struct cfg_model_id model, uint8_t *out,
			     size_t outmax)
{
	if (app_idx > CFG_KEY_INDEX_MAX)
		return -EINVAL;
	return build_elem_model(CFG_OP_MODEL_APP_BIND, elem_addr, app_idx, model, out, outmax);
}

int cfg_build_model_sub_add(uint16_t elem_addr, uint16_t group, struct cfg_model_id model, uint8_t *out,
			    size_t outmax)
{
	if (!cfg_addr_is_subscribable_group(group))
		return -EINVAL;
	return build_elem_model(CFG_OP_MODEL_SUB_ADD, elem_addr, group, model, out, outmax);
}

int cfg_build_model_app_unbind(uint16_t elem_addr, uint16_t app_idx, struct cfg_model_id model, uint8_t *out,
			       size_t outmax)
{
	if (app_idx > CFG_KEY_INDEX_MAX)
		return -EINVAL;
	return build_elem_model(CFG_OP_MODEL_APP_UNBIND, elem_addr, app_idx, model, out, outmax);
}

int cfg_build_model_sub_del(uint16_t elem_addr, uint16_t group, struct cfg_model_id model, uint8_t *out,
			    size_t outmax)
{
	if (!cfg_addr_is_subscribable_group(group))
		return -EINVAL;
	return build_elem_model(CFG_OP_MODEL_SUB_DELETE, elem_addr, group, model, out, outmax);
}

int cfg_build_node_reset(uint8_t *out, size_t outmax)
{
	return build(CFG_OP_NODE_RESET, NULL, 0, out, outmax);
}

/* ---- node states ---- */

static const struct {
	uint32_t get, set, status;
	uint8_t len; /* of the Set and Status parameters */
} states[CFG_STATE_COUNT] = {
	[CFG_STATE_DEFAULT_TTL] = { CFG_OP_DEFAULT_TTL_GET, CFG_OP_DEFAULT_TTL_SET, CFG_OP_DEFAULT_TTL_STATUS, 1 },
	[CFG_STATE_RELAY] = { CFG_OP_RELAY_GET, CFG_OP_RELAY_SET, CFG_OP_RELAY_STATUS, 2 },
	[CFG_STATE_BEACON] = { CFG_OP_BEACON_GET, CFG_OP_BEACON_SET, CFG_OP_BEACON_STATUS, 1 },
	[CFG_STATE_GATT_PROXY] = { CFG_OP_GATT_PROXY_GET, CFG_OP_GATT_PROXY_SET, CFG_OP_GATT_PROXY_STATUS, 1 },
	[CFG_STATE_FRIEND] = { CFG_OP_FRIEND_GET, CFG_OP_FRIEND_SET, CFG_OP_FRIEND_STATUS, 1 },
	[CFG_STATE_NET_TRANSMIT] = { CFG_OP_NET_TRANSMIT_GET, CFG_OP_NET_TRANSMIT_SET, CFG_OP_NET_TRANSMIT_STATUS, 1 },
};

uint32_t cfg_state_get_opcode(enum cfg_state st)
{
	return (unsigned)st < CFG_STATE_COUNT ? states[st].get : 0;
}

uint32_t cfg_state_set_opcode(enum cfg_state st)
{
	return (unsigned)st < CFG_STATE_COUNT ? states[st].set : 0;
}

uint32_t cfg_state_status_opcode(enum cfg_state st)
{
	return (unsigned)st < CFG_STATE_COUNT ? states[st].status : 0;
}

/* Whether value is allowed for st; in a Set (status false) "not supported"
 * is not. */
static bool state_value_ok(enum cfg_state st, uint8_t value, bool status)
{
	switch (st) {
	case CFG_STATE_DEFAULT_TTL:
		return value == 0x00 || (value >= 0x02 && value <= 0x7f);
	case CFG_STATE_BEACON:
		return value <= CFG_FEATURE_ENABLED;
	case CFG_STATE_RELAY:
	case CFG_STATE_GATT_PROXY:
	case CFG_STATE_FRIEND:
		return value <= (status ? CFG_FEATURE_NOT_SUPPORTED : CFG_FEATURE_ENABLED);
	case CFG_STATE_NET_TRANSMIT:
		return true;
	}
	return false;
}

int cfg_build_state_get(enum cfg_state st, uint8_t *out, size_t outmax)
{
	if ((unsigned)st >= CFG_STATE_COUNT)
		return -EINVAL;
	return build(states[st].get, NULL, 0, out, outmax);
}

int cfg_build_state_set(enum cfg_state st, const struct cfg_node_state *v, uint8_t *out, size_t outmax)
{
	uint8_t p[2];

	if ((unsigned)st >= CFG_STATE_COUNT || !v || !state_value_ok(st, v->value, false))
		return -EINVAL;
	p[0] = v->value;
	p[1] = v->retransmit;
	return build(states[st].set, p, states[st].len, out, outmax);
}

int cfg_parse_state_status(enum cfg_state st, const uint8_t *p, size_t len, struct cfg_node_state *out)
{
	if ((unsigned)st >= CFG_STATE_COUNT || len != states[st].len || !state_value_ok(st, p[0], true))
		return -EBADMSG;
	out->value = p[0];
	out->retransmit = len == 2 ? p[1] : 0;
	return 0;
}

/* ---- model publication ---- */

static const uint32_t pub_resolution_ms[4] = { 100, 1000, 10000, 600000 };

int cfg_pub_period_pack(uint32_t ms, uint8_t *out)
{
	for (unsigned r = 0; r < 4; r++) {
		if (ms % pub_resolution_ms[r] == 0 && ms / pub_resolution_ms[r] <= 63) {
			*out = (uint8_t)(r << 6 | ms / pub_resolution_ms[r]);
			return 0;
		}
	}
	return -EINVAL;
}

uint32_t cfg_pub_period_ms(uint8_t period)
{
	return (period & 0x3fu) * pub_resolution_ms[period >> 6];
}

static bool pub_addr_ok(uint16_t a)
{
	return a < 0x8000 || a >= 0xc000; /* unassigned, unicast or group */
}

int cfg_build_model_pub_set(const struct cfg_model_pub *pub, uint8_t *out, size_t outmax)
{
	uint8_t p[13];
	int mlen;

	if (!pub || !cfg_addr_is_unicast(pub->elem_addr) || !pub_addr_ok(pub->addr) ||
	    pub->app_idx > CFG_KEY_INDEX_MAX || (pub->ttl > 0x7f && pub->ttl != CFG_PUB_TTL_DEFAULT))
		return -EINVAL;
	put_le16(p, pub->elem_addr);
	put_le16(p + 2, pub->addr);
	put_le16(p + 4, (uint16_t)(pub->app_idx | (pub->cred ? 1u << 12 : 0)));
	p[6] = pub->ttl;
	p[7] = pub->period;
	p[8] = pub->retransmit;
	mlen = cfg_model_id_put(pub->model, p + 9);
	if (mlen < 0)
		return mlen;
	return build(CFG_OP_MODEL_PUB_SET, p, 9 + (size_t)mlen, out, outmax);
}

int cfg_build_model_pub_get(uint16_t elem_addr, struct cfg_model_id model, uint8_t *out, size_t outmax)
{
	uint8_t p[6];
	int mlen;

	if (!cfg_addr_is_unicast(elem_addr))
		return -EINVAL;
	put_le16(p, elem_addr);
	mlen = cfg_model_id_put(model, p + 2);
	if (mlen < 0)
		return mlen;
	return build(CFG_OP_MODEL_PUB_GET, p, 2 + (size_t)mlen, out, outmax);
}

int cfg_parse_model_pub_status(const uint8_t *p, size_t len, uint8_t *status, struct cfg_model_pub *out)
{
	uint16_t idx;

	if ((len != 12 && len != 14) || cfg_model_id_get(p + 10, len - 10, &out->model) < 0)
		return -EBADMSG;
	*status = p[0];
	out->elem_addr = get_le16(p + 1);
	out->addr = get_le16(p + 3);
	idx = get_le16(p + 5);
	out->app_idx = idx & CFG_KEY_INDEX_MAX;
	out->cred = (idx >> 12) & 1u;
	out->ttl = p[7];
	out->period = p[8];
	out->retransmit = p[9];
	return 0;
}

/* ---- statuses ---- */

int cfg_parse_comp_data_status(const uint8_t *p, size_t len, struct cfg_comp_data_status *out)
{
	if (len < 1)
		return -EBADMSG;
	out->page = p[0];
	out->data = p + 1;
	out->len = len - 1;
	return 0;
}

int cfg_parse_appkey_status(const uint8_t *p, size_t len, struct cfg_appkey_status *out)
{
	if (len != 4)
		return -EBADMSG;
	out->status = p[0];
	cfg_key_index_unpack(p + 1, &out->net_idx, &out->app_idx);
	return 0;
}

/* Status(1) || element(2) || field(2) || model(2|4) */
static int parse_elem_model(const uint8_t *p, size_t len, uint8_t *status, uint16_t *elem, uint16_t *field,
			    struct cfg_model_id *model)
{
	if (len != 7 && len != 9)
		return -EBADMSG;
	if (cfg_model_id_get(p + 5, len - 5, model) < 0)
		return -EBADMSG;
	*status = p[0];
	*elem = get_le16(p + 1);
	*field = get_le16(p + 3);
	return 0;
}

int cfg_parse_model_app_status(const uint8_t *p, size_t len, struct cfg_model_app_status *out)
{
	int ret = parse_elem_model(p, len, &out->status, &out->elem_addr, &out->app_idx, &out->model);

	if (ret == 0)
		out->app_idx &= CFG_KEY_INDEX_MAX;
	return ret;
}

int cfg_parse_model_sub_status(const uint8_t *p, size_t len, struct cfg_model_sub_status *out)
{
	return parse_elem_model(p, len, &out->status, &out->elem_addr, &out->addr, &out->model);
}

int cfg_parse_node_reset_status(const uint8_t *p, size_t len)
{
	(void)p;
	return len == 0 ? 0 : -EBADMSG;
}

/* ---- Composition Data page 0 ---- */

#define COMP_HDR_LEN 10
#define ELEM_HDR_LEN 4

int cfg_comp_page0_parse(const uint8_t *data, size_t len, struct cfg_comp_page0 *out)
{
	size_t off = COMP_HDR_LEN;
	unsigned nelem = 0;
	bool too_big = false;

	if (len < COMP_HDR_LEN)
		return -EBADMSG;
	out->cid = get_le16(data);
	out->pid = get_le16(data + 2);
	out->vid = get_le16(data + 4);
	out->crpl = get_le16(data + 6);
	out->features = get_le16(data + 8);
	out->num_elements = 0;

	while (off < len) {
		size_t nsig, nvnd, body;
		const uint8_t *e;

		if (len - off < ELEM_HDR_LEN)
			return -EBADMSG;
		e = data + off;
		nsig = e[2];
		nvnd = e[3];
		body = nsig * 2 + nvnd * 4;
		if (len - off - ELEM_HDR_LEN < body)
			return -EBADMSG;

		if (nelem < CFG_COMP_MAX_ELEMENTS) {
			struct cfg_comp_element *el = &out->elements[nelem];
			const uint8_t *m = e + ELEM_HDR_LEN;
			size_t ks = nsig < CFG_COMP_MAX_MODELS ? nsig : CFG_COMP_MAX_MODELS;
			size_t kv = nvnd < CFG_COMP_MAX_MODELS ? nvnd : CFG_COMP_MAX_MODELS;

			el->loc = get_le16(e);
			for (size_t i = 0; i < ks; i++)
				el->sig[i] = get_le16(m + 2 * i);
			m += 2 * nsig;
			for (size_t i = 0; i < kv; i++)
				el->vendor[i] = cfg_model_vendor(get_le16(m + 4 * i), get_le16(m + 4 * i + 2));
			el->num_sig = (uint8_t)ks;
			el->num_vendor = (uint8_t)kv;
			if (ks < nsig || kv < nvnd)
				too_big = true;
			out->num_elements = (uint8_t)(nelem + 1);
		} else {
			too_big = true;
		}
		nelem++;
		off += ELEM_HDR_LEN + body;
	}
	if (nelem == 0)
		return -EBADMSG;
	return too_big ? -E2BIG : 0;
}

/* ---- AliGenie ---- */

int cfg_ali_indication_parse(const uint8_t *p, size_t len, struct cfg_ali_indication *out)
{
	if (len < 1)
		return -EBADMSG;
	out->tid = p[0];
	out->attrs = p + 1;
	out->attrs_len = len - 1;
	return 0;
}

int cfg_ali_build_indication(uint8_t tid, const uint8_t *attrs, size_t attrs_len, uint8_t *out, size_t outmax)
{
	if (attrs_len && !attrs)
		return -EINVAL;
	if (attrs_len > ACCESS_MAX_PDU - 4)
		return -EMSGSIZE;
	if (4 + attrs_len > outmax)
		return -ENOBUFS;
	if (attrs_len)
		memmove(out + 4, attrs, attrs_len);
	access_opcode_encode(CFG_OP_ALI_ATTR_INDICATION, out);
	out[3] = tid;
	return (int)(4 + attrs_len);
}

int cfg_ali_build_confirmation(uint8_t tid, uint8_t *out, size_t outmax)
{
	return build(CFG_OP_ALI_ATTR_CONFIRMATION, &tid, 1, out, outmax);
}

int cfg_ali_confirmation_parse(const uint8_t *p, size_t len, uint8_t *tid)
{
	if (len != 1)
		return -EBADMSG;
	*tid = p[0];
	return 0;
}
