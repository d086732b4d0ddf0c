/* A Configuration Server (Mesh Profile 1.0.1 §4.4.1) for the simulated nodes
 * of the virtual air: the part of it a provisioner uses right after
 * provisioning. A pure core on top of a struct mesh (mesh.h), which holds
 * the node's keys and group subscriptions: access messages in (cfgsrv_input,
 * from the node's ops->access), status messages and events out (struct
 * cfgsrv_ops). No sockets, event loop, globals or allocation.
 *
 * It takes device key messages to the node's primary element that are
 * decrypted with the node's own device key (mesh_rx.dev_key, key_addr = the
 * node's unicast address), and answers each with its status, sent with the
 * node's device key to the client's address on the subnet the request came
 * on:
 *
 *   Config AppKey Add (00)           AppKey Status: Success (mesh_add_app_key;
 *                                    the same key at the same index again is
 *                                    Success too), Key Index Already Stored
 *                                    (0x06: another key at that index),
 *                                    Invalid NetKey Index (0x04: no such
 *                                    NetKey, or the index is bound to another
 *                                    NetKey), Insufficient Resources (0x05)
 *   Config Composition Data Get      Composition Data Status with page 0 for
 *     (80 08)                        any page asked for (the only page there
 *                                    is: the highest one below or at it)
 *   Config Model App Bind (80 3d)    Model App Status: Invalid Address (0x01:
 *                                    not one of our elements), Invalid Model
 *                                    (0x02: no such model on that element),
 *                                    Invalid AppKey Index (0x03), Cannot Bind
 *                                    (0x0d: the Configuration Server itself),
 *                                    Insufficient Resources; a binding that is
 *                                    there already is Success
 *   Config Model Subscription Add    Model Subscription Status: the address
 *     (80 1b)                        must be a group address a model may
 *                                    subscribe to (cfg_addr_is_subscribable_group,
 *                                    else Invalid Address); element and model
 *                                    as for Bind; the Configuration Server is
 *                                    Not a Subscribe Model (0x08). The node
 *                                    listens to the group (mesh_subscribe).
 *   Config Model App Unbind (80 3f)  Model App Status: the checks of Bind;
 *                                    the binding is gone afterwards (Success
 *                                    also when there was none)
 *   Config Model Subscription        Model Subscription Status: the checks of
 *     Delete (80 1c)                 Subscription Add; the address is gone from
 *                                    the model's list (Success also when it was
 *                                    not there); the node stops listening to
 *                                    the group once no model subscribes to it
 *   Config Model Publication Set     Model Publication Status: Invalid Address,
 *     (03) / Get (80 18)             Invalid Model as for Bind; a Set with an
 *                                    AppKey the node lacks is Invalid AppKey
 *                                    Index, on the Configuration Server (no
 *                                    publication) Invalid Publish Parameters
 *                                    (0x07, as BlueZ); a virtual publish
 *                                    address or a TTL of 0x80-0xfe is
 *                                    prohibited (ignored). Success carries
 *                                    the publication set; publish address 0
 *                                    clears it. A Get answers the model's
 *                                    publication (all zeros when none)
 *   Config Node Reset (80 49)        Node Reset Status; what the node does
 *                                    then (forget everything) is the caller's,
 *                                    told by the event.
 *   Config Default TTL, Relay,       X Status with the state the node has
 *     Beacon, GATT Proxy, Friend,    (after a Set, the new one). A Set with
 *     Network Transmit Get / Set     a prohibited value (cfgmsg.h) is
 *     (§4.3.2.4-§4.3.2.16,           ignored. Relay, GATT Proxy and Friend
 *     §4.3.2.69-71)                  are Not Supported (0x02; a Set changes
 *                                    nothing, Relay Retransmit stays 0) unless
 *                                    the composition's Features has them; then
 *                                    they start disabled. Default TTL starts
 *                                    at the mesh's (MESH_DEFAULT_TTL when 0)
 *                                    and a Set of 2-127 becomes the TTL of
 *                                    the node's own sends (mesh cfg.default_ttl;
 *                                    0 is kept as the state only); Beacon
 *                                    starts on, Network Transmit at count 2
 *                                    steps 1, Relay Retransmit at 1 and 1.
 *
 * A message of one of these opcodes with a wrong parameter length is
 * ignored (no answer), as the Mesh Profile says of malformed messages. Every
 * handled message gives one ops->event, after its status was sent.
 *
 * Composition. The node's Composition Data page 0 is struct cfgsrv_comp:
 * the Configuration Server (SIG 0x0000) is on the primary element.
 * cfgsrv_comp_light and cfgsrv_comp_plain fill in the two the simulator
 * offers. */
#ifndef VAIR_CFGSRV_H
#define VAIR_CFGSRV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "access.h"
#include "cfgmsg.h"
#include "mesh.h"

#define CFGSRV_MAX_ELEMENTS 32   /* elements of a simulated node */
#define CFGSRV_MAX_SIG 8         /* SIG models per element */
#define CFGSRV_MAX_VENDOR 4      /* vendor models per element */
#define CFGSRV_MAX_BINDINGS 128  /* (model, AppKey) pairs in all */
#define CFGSRV_MAX_SUBS 128      /* (model, group) pairs in all */
#define CFGSRV_MAX_PUBS 64       /* models with a publication */
/* The longest Composition Data page 0 (what follows the Page octet) there
 * is room for in one access message: opcode (1) and Page (1) come first. */
#define CFGSRV_COMP_MAX (ACCESS_MAX_PDU - 2)

/* Model IDs. */
#define CFGSRV_MODEL_CFG_SERVER 0x0000u
#define CFGSRV_MODEL_CFG_CLIENT 0x0001u
#define CFGSRV_MODEL_ONOFF_SERVER 0x1000u
#define CFGSRV_MODEL_LIGHTNESS_SERVER 0x1300u
#define CFGSRV_MODEL_CTL_SERVER 0x1303u

struct cfgsrv_element {
	uint16_t loc;
	uint8_t num_sig, num_vendor;
	uint16_t sig[CFGSRV_MAX_SIG];
	struct cfg_model_id vendor[CFGSRV_MAX_VENDOR];
};

struct cfgsrv_comp {
	uint16_t cid, pid, vid, crpl, features;
	uint8_t num_elements;
	struct cfgsrv_element elements[CFGSRV_MAX_ELEMENTS];
};

/* A light (as AliGenie lights): CID cid, PID pid, VID 0x0001, CRPL 0x0064,
 * no features; the primary element has Configuration Server, Generic OnOff
 * Server, Light Lightness Server, Light CTL Server and the vendor model
 * (vendor_cid, 0x0000) when vendor_cid is not 0xffff; each further element
 * (elements 1..CFGSRV_MAX_ELEMENTS) a Generic OnOff Server. */
void cfgsrv_comp_light(struct cfgsrv_comp *c, uint16_t cid, uint16_t pid, uint16_t vendor_cid,
		       uint8_t elements);
/* A plain node: as a light, but only Configuration Server and Generic OnOff
 * Server on the primary element (and the vendor model likewise). */
void cfgsrv_comp_plain(struct cfgsrv_comp *c, uint16_t cid, uint16_t pid, uint16_t vendor_cid,
		       uint8_t elements);

/* Page 0 as on the air (without the Page octet): its length, or -ENOBUFS. */
int cfgsrv_comp_encode(const struct cfgsrv_comp *c, uint8_t *out, size_t outmax);

/* Does element elem (0-based) have this model? */
bool cfgsrv_comp_has_model(const struct cfgsrv_comp *c, unsigned elem, struct cfg_model_id model);

enum cfgsrv_op {
	CFGSRV_APPKEY_ADD,
	CFGSRV_COMP_GET,
	CFGSRV_BIND,
	CFGSRV_SUB_ADD,
	CFGSRV_NODE_RESET,
	CFGSRV_STATE_GET,
	CFGSRV_STATE_SET,
	CFGSRV_UNBIND,
	CFGSRV_SUB_DEL,
	CFGSRV_PUB_SET,
	CFGSRV_PUB_GET,
};

/* What a handled message did (valid during ops->event only). */
struct cfgsrv_event {
	enum cfgsrv_op op;
	uint8_t status;        /* the status sent (0 for the messages without one) */
	int send_rc;           /* the status message: 0 sent, else mesh_send's error */
	uint16_t src;          /* the client */
	uint16_t net_index;    /* the subnet the request came on; APPKEY_ADD: its NetKeyIndex */
	uint16_t app_index;    /* APPKEY_ADD, BIND, UNBIND */
	const uint8_t *app_key; /* APPKEY_ADD: the key received (16) */
	uint8_t page;          /* COMP_GET: the page asked for (page 0 was sent) */
	uint16_t elem_addr;    /* BIND, SUB_ADD, UNBIND, SUB_DEL */
	uint16_t addr;         /* SUB_ADD, SUB_DEL: the group */
	struct cfg_model_id model; /* BIND, SUB_ADD, UNBIND, SUB_DEL */
	bool changed;          /* UNBIND, SUB_DEL: a binding or subscription was removed */
	struct cfg_model_pub pub; /* PUB_SET, PUB_GET: the publication in the status sent */
	enum cfg_state state;      /* STATE_GET, STATE_SET: which one */
	struct cfg_node_state state_value; /* STATE_GET, STATE_SET: the state sent */
};

struct cfgsrv_ops {
	/* Send an access payload with the node's own device key to dst on
	 * subnet net_index: mesh_send's result. Required. */
	int (*send)(void *ctx, uint16_t dst, uint16_t net_index, const uint8_t *access, size_t len);
	/* A message was handled (after its status was sent). Optional. */
	void (*event)(void *ctx, const struct cfgsrv_event *ev);
};

struct cfgsrv_binding {
	bool used;
	uint8_t elem;
	struct cfg_model_id model;
	uint16_t app_index;
};

struct cfgsrv_sub {
	bool used;
	uint8_t elem;
	struct cfg_model_id model;
	uint16_t addr;
};

struct cfgsrv_stats {
	unsigned long handled;   /* messages answered */
	unsigned long malformed; /* a known opcode with a wrong length: ignored */
	unsigned long ignored;   /* not a Configuration message for us */
};

struct cfgsrv {
	const struct cfgsrv_comp *comp; /* not owned */
	struct mesh *mesh;              /* not owned: the node's keys and subscriptions */
	const struct cfgsrv_ops *ops;
	void *ctx;
	struct cfgsrv_binding bindings[CFGSRV_MAX_BINDINGS];
	struct cfgsrv_sub subs[CFGSRV_MAX_SUBS];
	struct cfg_node_state states[CFG_STATE_COUNT]; /* the node states */
	struct cfg_model_pub pubs[CFGSRV_MAX_PUBS];    /* addr 0: a free slot */
	struct cfgsrv_stats stats;
};

/* comp and mesh must outlive s; comp must have as many elements as the
 * mesh's unicast range (mesh->cfg.elements), at most CFGSRV_MAX_ELEMENTS.
 * 0 or -EINVAL. */
int cfgsrv_init(struct cfgsrv *s, const struct cfgsrv_comp *comp, struct mesh *mesh,
		const struct cfgsrv_ops *ops, void *ctx);

/* One access message the node received: true when it was one of the
 * Configuration messages above for us and was handled (answered). */
bool cfgsrv_input(struct cfgsrv *s, const struct mesh_rx *rx);

/* The node configuring itself (AliGenie UUID version 1 devices): the same
 * checks and changes as the messages, no status sent, no event. The
 * status code. */
uint8_t cfgsrv_bind(struct cfgsrv *s, uint16_t elem_addr, uint16_t app_index, struct cfg_model_id model);
uint8_t cfgsrv_sub_add(struct cfgsrv *s, uint16_t elem_addr, uint16_t group, struct cfg_model_id model);

#endif
