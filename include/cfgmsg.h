/* Configuration messages (Mesh Profile 1.0.1 §4.3) used by a Configuration
 * Client, and the AliGenie vendor attribute messages. Pure functions: no
 * allocation, no globals. Parameters are little-endian (§4.3.1).
 *
 * Builders write a whole access payload (opcode and parameters, see
 * access.h) into out[0..outmax) and return its length, or -EINVAL (a field
 * out of range) or -ENOBUFS (outmax too small). The longest request is
 * CFG_MAX_REQ_PDU octets. They are sent with the node's device key to its
 * primary element address.
 *
 * Status parsers take the PARAMETERS of a message, i.e. what follows its
 * opcode (access_parse() in access.h splits a payload), check their length
 * exactly and return 0, or -EBADMSG for a wrong length. Fields that point
 * into the input stay valid as long as the input does.
 *
 * Model identifiers. struct cfg_model_id is { vendor, cid, id }: a SIG model
 * has vendor false, cid 0 and its 16-bit ID (Generic OnOff Server 0x1000);
 * a vendor model has vendor true, its Company ID and its 16-bit model ID. On
 * the air a SIG model ID is 2 octets LE, a vendor one is CID (2, LE) then
 * model ID (2, LE). Where one number is wanted (cfg_model_id_to_u32) the
 * convention is BlueZ's: vendor = CID << 16 | ID, SIG = 0xffff0000 | ID (CID
 * 0xffff is not a company, so no vendor model can use it).
 */
#ifndef MESHPROV_CFGMSG_H
#define MESHPROV_CFGMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Opcodes (access.h convention; BlueZ mesh/cfgmod.h). */
#define CFG_OP_APPKEY_ADD 0x00u
#define CFG_OP_COMP_DATA_STATUS 0x02u
#define CFG_OP_MODEL_PUB_SET 0x03u
#define CFG_OP_APPKEY_STATUS 0x8003u
#define CFG_OP_COMP_DATA_GET 0x8008u
#define CFG_OP_BEACON_GET 0x8009u
#define CFG_OP_BEACON_SET 0x800au
#define CFG_OP_BEACON_STATUS 0x800bu
#define CFG_OP_DEFAULT_TTL_GET 0x800cu
#define CFG_OP_DEFAULT_TTL_SET 0x800du
#define CFG_OP_DEFAULT_TTL_STATUS 0x800eu
#define CFG_OP_FRIEND_GET 0x800fu
#define CFG_OP_FRIEND_SET 0x8010u
#define CFG_OP_FRIEND_STATUS 0x8011u
#define CFG_OP_GATT_PROXY_GET 0x8012u
#define CFG_OP_GATT_PROXY_SET 0x8013u
#define CFG_OP_GATT_PROXY_STATUS 0x8014u
#define CFG_OP_MODEL_PUB_GET 0x8018u
#define CFG_OP_MODEL_PUB_STATUS 0x8019u
#define CFG_OP_MODEL_SUB_ADD 0x801bu
#define CFG_OP_MODEL_SUB_DELETE 0x801cu
#define CFG_OP_MODEL_SUB_STATUS 0x801fu
#define CFG_OP_NET_TRANSMIT_GET 0x8023u
#define CFG_OP_NET_TRANSMIT_SET 0x8024u
#define CFG_OP_NET_TRANSMIT_STATUS 0x8025u
#define CFG_OP_RELAY_GET 0x8026u
#define CFG_OP_RELAY_SET 0x8027u
#define CFG_OP_RELAY_STATUS 0x8028u
#define CFG_OP_MODEL_APP_BIND 0x803du
#define CFG_OP_MODEL_APP_STATUS 0x803eu
#define CFG_OP_MODEL_APP_UNBIND 0x803fu
#define CFG_OP_NODE_RESET 0x8049u
#define CFG_OP_NODE_RESET_STATUS 0x804au

/* AliGenie (Company ID ALIGENIE_CID, aligenie.h) vendor attribute messages. */
#define CFG_OP_ALI_ATTR_INDICATION 0xd4a801u   /* TID(1) || attributes */
#define CFG_OP_ALI_ATTR_CONFIRMATION 0xd5a801u /* TID(1) */

/* Status codes (§4.3.5; BlueZ mesh/mesh-defs.h). 0x12-0xff are RFU. */
enum {
	CFG_STATUS_SUCCESS = 0x00,
	CFG_STATUS_INVALID_ADDRESS = 0x01,
	CFG_STATUS_INVALID_MODEL = 0x02,
	CFG_STATUS_INVALID_APPKEY = 0x03,
	CFG_STATUS_INVALID_NETKEY = 0x04,
	CFG_STATUS_INSUFFICIENT_RESOURCES = 0x05,
	CFG_STATUS_KEY_INDEX_ALREADY_STORED = 0x06,
	CFG_STATUS_INVALID_PUBLISH_PARAMS = 0x07,
	CFG_STATUS_NOT_A_SUBSCRIBE_MODEL = 0x08,
	CFG_STATUS_STORAGE_FAILURE = 0x09,
	CFG_STATUS_FEATURE_NOT_SUPPORTED = 0x0a,
	CFG_STATUS_CANNOT_UPDATE = 0x0b,
	CFG_STATUS_CANNOT_REMOVE = 0x0c,
	CFG_STATUS_CANNOT_BIND = 0x0d,
	CFG_STATUS_TEMP_UNABLE = 0x0e,
	CFG_STATUS_CANNOT_SET = 0x0f,
	CFG_STATUS_UNSPECIFIED = 0x10,
	CFG_STATUS_INVALID_BINDING = 0x11,
};

/* Features bits of Composition Data page 0 (§4.2.1.1). */
#define CFG_FEAT_RELAY 0x0001u
#define CFG_FEAT_PROXY 0x0002u
#define CFG_FEAT_FRIEND 0x0004u
#define CFG_FEAT_LPN 0x0008u

/* The longest request built here (Config AppKey Add: 1 + 3 + 16). */
#define CFG_MAX_REQ_PDU 20
/* Key indexes are 12 bits. */
#define CFG_KEY_INDEX_MAX 0x0fffu

/* The name of a status code, e.g. "Invalid AppKey Index"; "RFU" for
 * 0x12-0xff. Never NULL. */
const char *cfg_status_str(uint8_t status);

/* ---- addresses ---- */

static inline bool cfg_addr_is_unicast(uint16_t a) { return a >= 0x0001 && a <= 0x7fff; }
/* A group address a model may subscribe to (§3.4.2.4, §4.3.2.19): 0xc000-
 * 0xfeff, or the fixed all-proxies, all-friends, all-relays (0xfffc-
 * 0xfffe). Not all-nodes 0xffff, nor the RFU fixed addresses 0xff00-0xfffb. */
static inline bool cfg_addr_is_subscribable_group(uint16_t a)
{
	return (a >= 0xc000 && a <= 0xfeff) || (a >= 0xfffc && a <= 0xfffe);
}

/* ---- model identifiers ---- */

struct cfg_model_id {
	bool vendor;
	uint16_t cid; /* vendor models only; 0 for SIG models */
	uint16_t id;
};

static inline struct cfg_model_id cfg_model_sig(uint16_t id)
{
	struct cfg_model_id m = { false, 0, id };
	return m;
}
static inline struct cfg_model_id cfg_model_vendor(uint16_t cid, uint16_t id)
{
	struct cfg_model_id m = { true, cid, id };
	return m;
}
bool cfg_model_id_eq(struct cfg_model_id a, struct cfg_model_id b);
/* BlueZ's one-number form (see the top of this file) and back. */
uint32_t cfg_model_id_to_u32(struct cfg_model_id m);
struct cfg_model_id cfg_model_id_from_u32(uint32_t v);
/* On-air form: 2 (SIG) or 4 (vendor) octets written; -EINVAL for a vendor
 * model with CID 0xffff. */
int cfg_model_id_put(struct cfg_model_id m, uint8_t out[4]);
/* Read a model ID of len 2 (SIG) or 4 (vendor) octets: 0 or -EBADMSG. */
int cfg_model_id_get(const uint8_t *p, size_t len, struct cfg_model_id *m);
/* "1000" for a SIG model, "01a80001" (CID then ID) for a vendor model:
 * the Mesh Configuration Database spelling, lower case. */
void cfg_model_id_str(struct cfg_model_id m, char out[9]);

/* ---- key indexes (§4.3.1.1) ---- */

/* Two 12-bit key indexes in 3 octets: v = net | app << 12, v LE. -EINVAL
 * when either is over 0xfff; else 0. */
int cfg_key_index_pack(uint16_t net_idx, uint16_t app_idx, uint8_t out[3]);
void cfg_key_index_unpack(const uint8_t in[3], uint16_t *net_idx, uint16_t *app_idx);

/* ---- requests ---- */

/* Config Composition Data Get (80 08): Page. */
int cfg_build_comp_data_get(uint8_t page, uint8_t *out, size_t outmax);
/* Config AppKey Add (00): key indexes (<= 0xfff) || AppKey. */
int cfg_build_appkey_add(uint16_t net_idx, uint16_t app_idx, const uint8_t app_key[16], uint8_t *out,
			 size_t outmax);
/* Config Model App Bind (80 3d): element address (unicast) || AppKeyIndex
 * (<= 0xfff) || model ID. */
int cfg_build_model_app_bind(uint16_t elem_addr, uint16_t app_idx, struct cfg_model_id model, uint8_t *out,
			     size_t outmax);
/* Config Model Subscription Add (80 1b): element address (unicast) ||
 * group address (cfg_addr_is_subscribable_group) || model ID. */
int cfg_build_model_sub_add(uint16_t elem_addr, uint16_t group, struct cfg_model_id model, uint8_t *out,
			    size_t outmax);
/* Config Model App Unbind (80 3f): as Bind. Answered with Model App Status. */
int cfg_build_model_app_unbind(uint16_t elem_addr, uint16_t app_idx, struct cfg_model_id model, uint8_t *out,
			       size_t outmax);
/* Config Model Subscription Delete (80 1c): as Subscription Add. Answered
 * with Model Subscription Status. */
int cfg_build_model_sub_del(uint16_t elem_addr, uint16_t group, struct cfg_model_id model, uint8_t *out,
			    size_t outmax);
/* Config Node Reset (80 49): no parameters. */
int cfg_build_node_reset(uint8_t *out, size_t outmax);

/* ---- node states (§4.2.6-§4.2.11, §4.2.19; messages §4.3.2.4-§4.3.2.16,
 * §4.3.2.69-§4.3.2.71) ----
 *
 * Each state has a Get (no parameters), a Set and a Status that carry the
 * same fields, the Status answering both with the state the node now has:
 *
 *   state         Set / Status parameters           values
 *   Default TTL   TTL (1)                           0x00, 0x02-0x7f
 *   Relay         Relay (1) || Relay Retransmit (1) Relay 0 off, 1 on, 2 not
 *                                                   supported (Status only)
 *   Beacon        Secure Network Beacon (1)         0 off, 1 on
 *   GATT Proxy    GATT Proxy (1)                    0 off, 1 on, 2 not supported
 *                                                   (Status only)
 *   Friend        Friend (1)                        as GATT Proxy
 *   Net Transmit  Network Transmit (1)              any
 *
 * Relay Retransmit and Network Transmit are one octet: Count (bits 0-2: the
 * retransmissions, 0-7, i.e. 1-8 transmissions for Network Transmit) and
 * Interval Steps (bits 3-7: 0-31, an interval of (steps + 1) x 10 ms).
 * Other values are prohibited: builders refuse them (-EINVAL), parsers
 * (-EBADMSG) as a receiver ignores such a message. */
enum cfg_state {
	CFG_STATE_DEFAULT_TTL,
	CFG_STATE_RELAY,
	CFG_STATE_BEACON,
	CFG_STATE_GATT_PROXY,
	CFG_STATE_FRIEND,
	CFG_STATE_NET_TRANSMIT,
};
#define CFG_STATE_COUNT 6

/* Relay, GATT Proxy, Friend (and Beacon's 0/1). */
#define CFG_FEATURE_DISABLED 0x00u
#define CFG_FEATURE_ENABLED 0x01u
#define CFG_FEATURE_NOT_SUPPORTED 0x02u

struct cfg_node_state {
	uint8_t value;      /* TTL, Relay, Beacon, GATT Proxy, Friend, or Network Transmit */
	uint8_t retransmit; /* Relay only: Relay Retransmit */
};

/* Count || Interval Steps in one octet, and back. */
static inline uint8_t cfg_transmit_pack(uint8_t count, uint8_t steps)
{
	return (uint8_t)((count & 0x07u) | (uint8_t)(steps << 3));
}
static inline uint8_t cfg_transmit_count(uint8_t v) { return v & 0x07u; }
static inline uint8_t cfg_transmit_steps(uint8_t v) { return v >> 3; }

/* The opcodes of a state's Get, Set and Status; 0 for no such state. */
uint32_t cfg_state_get_opcode(enum cfg_state st);
uint32_t cfg_state_set_opcode(enum cfg_state st);
uint32_t cfg_state_status_opcode(enum cfg_state st);
/* Config X Get: no parameters. -EINVAL for no such state. */
int cfg_build_state_get(enum cfg_state st, uint8_t *out, size_t outmax);
/* Config X Set with v (the table above; 2 "not supported" is not sent):
 * -EINVAL for a prohibited value. */
int cfg_build_state_set(enum cfg_state st, const struct cfg_node_state *v, uint8_t *out, size_t outmax);
/* Config X Status: exactly 2 octets for Relay, 1 for the others; a
 * prohibited value is -EBADMSG. out->retransmit is 0 but for Relay. */
int cfg_parse_state_status(enum cfg_state st, const uint8_t *p, size_t len, struct cfg_node_state *out);

/* ---- model publication (§4.2.2, §4.3.2.15-§4.3.2.18) ---- */

/* Publish Period: Number of Steps (bits 0-5) || Step Resolution (bits 6-7:
 * 100 ms, 1 s, 10 s, 10 min). */
#define CFG_PUB_PERIOD_MAX_MS (63u * 600000u)
/* The octet for a period of ms milliseconds (0: no periodic publishing):
 * 0 and the octet, or -EINVAL when no resolution makes it whole steps (at
 * most 63 of them). The finest resolution that does is taken. */
int cfg_pub_period_pack(uint32_t ms, uint8_t *out);
uint32_t cfg_pub_period_ms(uint8_t period);

/* Publish TTL 0xff: the node's Default TTL. 0x80-0xfe are prohibited. */
#define CFG_PUB_TTL_DEFAULT 0xffu

struct cfg_model_pub {
	uint16_t elem_addr;
	uint16_t addr;       /* the publish address: 0 (publication off), unicast or group */
	uint16_t app_idx;    /* 12 bits */
	bool cred;           /* Credential Flag: friendship credentials */
	uint8_t ttl;         /* 0-0x7f or CFG_PUB_TTL_DEFAULT */
	uint8_t period;      /* cfg_pub_period_pack */
	uint8_t retransmit;  /* Count (bits 0-2) || Interval Steps (bits 3-7: (steps + 1) x 50 ms) */
	struct cfg_model_id model;
};

/* Config Model Publication Set (03): element (unicast) || publish address
 * (not virtual: 0x8000-0xbfff) || AppKeyIndex (12 bits) | CredentialFlag
 * << 12 (2) || TTL || Period || Retransmit || model ID: 11 or 13 octets.
 * -EINVAL for a field out of range or a prohibited TTL. */
int cfg_build_model_pub_set(const struct cfg_model_pub *pub, uint8_t *out, size_t outmax);
/* Config Model Publication Get (80 18): element (unicast) || model ID. */
int cfg_build_model_pub_get(uint16_t elem_addr, struct cfg_model_id model, uint8_t *out, size_t outmax);
/* Config Model Publication Status (80 19): Status || the Set's fields
 * (12 or 14 octets); the 3 RFU bits are dropped. *status its status code.
 * A virtual publish address (the status of a Virtual Address Set) is taken
 * as it is. */
int cfg_parse_model_pub_status(const uint8_t *p, size_t len, uint8_t *status, struct cfg_model_pub *out);

/* ---- statuses (parameters only; exact lengths) ---- */

/* Config Composition Data Status (02): Page || Data (len >= 1). */
struct cfg_comp_data_status {
	uint8_t page;
	const uint8_t *data; /* into the input */
	size_t len;
};
int cfg_parse_comp_data_status(const uint8_t *p, size_t len, struct cfg_comp_data_status *out);

/* Config AppKey Status (80 03): Status || key indexes (4). */
struct cfg_appkey_status {
	uint8_t status;
	uint16_t net_idx, app_idx;
};
int cfg_parse_appkey_status(const uint8_t *p, size_t len, struct cfg_appkey_status *out);

/* Config Model App Status (80 3e): Status || element || AppKeyIndex || model (7 or 9). */
struct cfg_model_app_status {
	uint8_t status;
	uint16_t elem_addr;
	uint16_t app_idx; /* the 12-bit index (the 4 RFU bits are dropped) */
	struct cfg_model_id model;
};
int cfg_parse_model_app_status(const uint8_t *p, size_t len, struct cfg_model_app_status *out);

/* Config Model Subscription Status (80 1f): Status || element || address || model (7 or 9). */
struct cfg_model_sub_status {
	uint8_t status;
	uint16_t elem_addr;
	uint16_t addr;
	struct cfg_model_id model;
};
int cfg_parse_model_sub_status(const uint8_t *p, size_t len, struct cfg_model_sub_status *out);

/* Config Node Reset Status (80 4a): no parameters (len must be 0). */
int cfg_parse_node_reset_status(const uint8_t *p, size_t len);

/* ---- Composition Data page 0 (§4.2.1.1) ---- */

#define CFG_COMP_MAX_ELEMENTS 16
/* Per element, for each of the SIG and vendor lists. */
#define CFG_COMP_MAX_MODELS 32

struct cfg_comp_element {
	uint16_t loc;
	uint8_t num_sig, num_vendor;
	uint16_t sig[CFG_COMP_MAX_MODELS];
	struct cfg_model_id vendor[CFG_COMP_MAX_MODELS]; /* vendor true */
};

struct cfg_comp_page0 {
	uint16_t cid, pid, vid, crpl, features;
	uint8_t num_elements;
	struct cfg_comp_element elements[CFG_COMP_MAX_ELEMENTS];
};

/* Parse page 0's data (what follows the Page octet): CID PID VID CRPL
 * Features (2 each), then one or more elements, each Loc(2) NumS(1) NumV(1)
 * SIG[NumS x 2] Vendor[NumV x 4], ending exactly at len. 0; -EBADMSG when
 * malformed (shorter than the header, no element, an element cut short or
 * trailing octets); -E2BIG when well formed but more than
 * CFG_COMP_MAX_ELEMENTS elements or more than CFG_COMP_MAX_MODELS SIG or
 * vendor models in an element: *out then holds what fits (the first
 * elements, the first models of each list). Malformation wins over size. */
int cfg_comp_page0_parse(const uint8_t *data, size_t len, struct cfg_comp_page0 *out);

/* ---- AliGenie attribute messages ---- */

/* Attr Indication (d4 a8 01) parameters: TID (1) then the attributes (each
 * a 2-octet type and its value; kept raw). len >= 1, else -EBADMSG. */
struct cfg_ali_indication {
	uint8_t tid;
	const uint8_t *attrs; /* into the input */
	size_t attrs_len;
};
int cfg_ali_indication_parse(const uint8_t *p, size_t len, struct cfg_ali_indication *out);
/* An Attr Indication with this TID and attrs_len octets of attributes (attrs
 * may overlap out): its length, -EINVAL (NULL attrs with attrs_len > 0),
 * -EMSGSIZE (over ACCESS_MAX_PDU) or -ENOBUFS. */
int cfg_ali_build_indication(uint8_t tid, const uint8_t *attrs, size_t attrs_len, uint8_t *out, size_t outmax);
/* Attr Confirmation (d5 a8 01) with the indication's TID: 4 octets. */
int cfg_ali_build_confirmation(uint8_t tid, uint8_t *out, size_t outmax);
/* Attr Confirmation parameters: exactly the TID. 0 or -EBADMSG. */
int cfg_ali_confirmation_parse(const uint8_t *p, size_t len, uint8_t *tid);

#endif
