/* One local mesh participant (Mesh Profile 1.0.1 §3.4 - §3.7): the network,
 * lower transport, upper transport and access layers joined. It is
 * meshprov's provisioner (a node of its own network, e.g. unicast 0x0001) or
 * a simulated node in the test simulator.
 *
 * A pure core, as the layers it joins (net.h, lower.h, upper.h, access.h):
 * Network PDUs and time in (mesh_input, mesh_tick, mesh_send); Network PDUs,
 * access messages, SEQ reservations and a deadline out (struct mesh_ops,
 * mesh_next_deadline). No sockets, event loop, globals, logging or
 * allocation; every table is in struct mesh.
 *
 * Receiving (mesh_input, the payload of one AD type 0x2A "Mesh Message"):
 *   1. net_decrypt with every NetKey and the current IV Index (IVI decides
 *      between it and the one before);
 *   2. a PDU from one of our own addresses is dropped (no relay: we would
 *      only hear our own messages relayed back); so is one whose DST is not
 *      ours: a unicast address in [unicast, unicast + elements), a group
 *      address we subscribed to, a virtual address whose Label UUID we
 *      subscribed to, or all-nodes 0xffff;
 *   3. replay protection (per SRC: IV Index, SEQ): an old SEQ is dropped;
 *   4. the lower transport reassembles segmented messages and acknowledges
 *      them (Segment Acks go out on the subnet the segments came on);
 *   5. each complete access message is decrypted: AKF 0 (only to a unicast
 *      DST, else it is malformed) with the device key of its SRC (a node
 *      answering us, the client), then with our own device key (a
 *      Configuration Client talking to us, the node); AKF 1
 *      with every AppKey of that AID bound to the NetKey the PDU came with
 *      (for a virtual DST, with each subscribed Label UUID of that address);
 *   6. only then is the replay list updated, with the SEQ of the Network PDU
 *      that completed the message (a control PDU, authenticated by its
 *      64-bit NetMIC alone, updates it once the lower layer has taken it);
 *   7. the access payload must hold a valid opcode; ops->access gets it.
 * Nothing is ever answered for a PDU that fails: it is dropped silently and
 * counted (struct mesh_stats). Control messages other than Segment Acks
 * (Friendship, Heartbeat) are not handled: dropped after the replay update.
 *
 * Sending (mesh_send): the access payload is encrypted (upper_encrypt, a
 * 32-bit TransMIC, SZMIC 0) with the device key or an AppKey, segmented when
 * it does not fit 15 octets (or force_seg), and each Network PDU is encrypted
 * with the NetKey the AppKey is bound to (device key messages: the given
 * net_index) and handed to ops->send_adv. Segmented messages are
 * retransmitted from mesh_tick until acknowledged (unicast) or repeated
 * (group, virtual) as lower.h describes; ops->tx_done ends them.
 *
 * SEQ numbers. The core never sends one SEQ twice, also across a crash: it
 * uses SEQs only from blocks it got through ops->reserve_seq, which the caller
 * makes durable before granting (see struct mesh_ops). A block is asked for
 * lazily (before the first send, and when the current one is used up); a new
 * message whose first transmission does not fit in what is left of the block
 * takes a new block (the rest of the old one is skipped, never used), so that
 * mesh_send fails without sending anything when no SEQ can be had. SEQs are
 * 24 bits: past 0xffffff mesh_send fails with -EOVERFLOW until
 * mesh_set_iv_index moves to a new IV Index.
 *
 * Re-entrancy: ops->access and ops->tx_done may call mesh_send, mesh_cancel
 * and the key and subscription functions. No callback may call mesh_input or
 * mesh_tick (an in-memory "air" queues what ops->send_adv hands it), and
 * ops->send_adv, ops->reserve_seq and ops->dev_key must not call into the
 * mesh, except mesh_next_deadline, which only reads (an edge re-arming its
 * timer from inside send_adv sees a deadline that may still move before the
 * call returns, so it re-reads it afterwards).
 *
 * Errors are negative errno values (see each function).
 */
#ifndef MESHPROV_MESH_H
#define MESHPROV_MESH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lower.h"
#include "net.h"

/* Table sizes in struct mesh. */
#define MESH_MAX_NET_KEYS 4
#define MESH_MAX_APP_KEYS 16
#define MESH_MAX_SUBS 16   /* group addresses */
#define MESH_MAX_LABELS 4  /* Label UUIDs of virtual addresses */
#define MESH_PEERS 32      /* sources whose subnet is remembered, for the Segment Acks the timer sends */

#define MESH_DEFAULT_TTL 5      /* cfg.default_ttl 0 */
#define MESH_TTL_DEFAULT 0xff   /* mesh_tx.ttl: use cfg.default_ttl */
#define MESH_SEQ_BLOCK 256      /* cfg.seq_block 0 */
#define MESH_NO_HANDLE LOWER_NO_HANDLE
#define MESH_KEY_INDEX_MAX 0x0fff
#define MESH_SEQ_MAX NET_MAX_SEQ /* 0xffffff */

struct mesh_config {
	uint16_t unicast;    /* primary element address */
	uint8_t elements;    /* our unicast range [unicast, unicast + elements); 0 counts as 1 */
	uint32_t iv_index;
	uint8_t default_ttl; /* for sends (and our Segment Acks): 0 means MESH_DEFAULT_TTL; 1 is invalid */
	uint32_t seq_block;  /* SEQs asked for per reserve_seq call; 0 means MESH_SEQ_BLOCK */
	/* the caller calls mesh_tx_sent once for each ops->send_adv when that
	 * PDU is off the air (lower.h's tx_reports: timers and re-acks wait for
	 * the transmit queue instead of counting its delay as a loss) */
	bool tx_reports;
};

/* An authenticated access message for us (valid during ops->access only). */
struct mesh_rx {
	uint16_t src, dst;
	uint8_t ttl;           /* TTL it arrived with (of the first segment received) */
	bool dev_key;          /* AKF 0: decrypted with the device key of key_addr */
	uint16_t key_addr;     /* dev_key: src (a node answering us) or our primary address (to us, the node) */
	uint16_t app_index;    /* !dev_key: the AppKey that decrypted it */
	uint16_t net_index;    /* the NetKey it came with */
	uint32_t iv_index;
	uint32_t seq_auth;     /* SEQ of SeqAuth (the first segment's SEQ) */
	bool szmic;            /* it came with a 64-bit TransMIC */
	const uint8_t *label;  /* the Label UUID of a virtual dst, else NULL */
	const uint8_t *access; /* the whole access payload, opcode first */
	size_t len;
	uint32_t opcode;       /* as access.h, and the parameters after it (into access) */
	const uint8_t *params;
	size_t params_len;
};

/* An access message to send. */
struct mesh_tx {
	uint16_t dst;          /* unicast (not ours) or group; virtual: see label */
	const uint8_t *label;  /* Label UUID to send to its virtual address (dst 0, or that address) */
	uint8_t ttl;           /* 0..127, or MESH_TTL_DEFAULT */
	bool dev_key;          /* AKF 0 (unicast dst only), else the AppKey app_index */
	uint16_t key_addr;     /* dev_key: whose device key; 0 means dst's (a client sending to a node);
	                        * a node answering a client gives its own address */
	uint16_t net_index;    /* dev_key: the subnet to send on (AppKey messages: the AppKey's) */
	uint16_t app_index;
	uint16_t src;          /* 0: our primary element; else one of our element addresses */
	bool force_seg;        /* segmented even when it would fit unsegmented */
	const uint8_t *access; /* opcode and parameters, 1..ACCESS_MAX_PDU (380) octets */
	size_t len;
};

struct mesh_ops {
	/* One Network PDU for AD type 0x2A (the caller advertises it). Required. */
	void (*send_adv)(void *ctx, const uint8_t *net_pdu, size_t len);
	/* SEQ numbers [*first, *first + want): the core never reuses one, also
	 * across a crash. When its reserved block is used up it asks for the
	 * next: the caller must make the reservation durable (write it to disk)
	 * BEFORE returning 0 with *first; on restart the caller starts from the
	 * end of the last reservation. A grant must not start below the end of
	 * the previous one (-ERANGE otherwise; after an IV Index change it may
	 * start at 0 again); the core stops at 0xffffff. -errno: no SEQ, the
	 * send fails with it. Required. */
	int (*reserve_seq)(void *ctx, uint32_t want, uint32_t *first);
	/* The device key of a node (or our own, at our primary address): 0 or -ENOENT. Optional. */
	int (*dev_key)(void *ctx, uint16_t addr, uint8_t key[16]);
	/* An authenticated access message for us. Optional. */
	void (*access)(void *ctx, const struct mesh_rx *rx);
	/* A segmented message is over: 0 acknowledged (unicast) or sent its
	 * LOWER_GROUP_SENDS times (group, virtual); -ETIMEDOUT; -ECANCELED (the
	 * receiver refused it: BlockAck 0); -EOVERFLOW (no SEQ for a
	 * retransmission). Optional. */
	void (*tx_done)(void *ctx, unsigned handle, int status);
};

/* A PDU that is dropped is counted once, in the bucket of the first check
 * it fails; the upper layer's buckets (unauthenticated, no_key, malformed)
 * count the Network PDU that completed the message. */
struct mesh_stats {
	unsigned long rx;              /* mesh_input calls */
	unsigned long malformed;       /* bad length or format: network, lower transport or access layer */
	unsigned long unauthenticated; /* no NetKey (NID or NetMIC), or no key verifies the TransMIC */
	unsigned long replayed;        /* SEQ not newer than the last one from that SRC */
	unsigned long not_for_us;      /* DST not ours */
	unsigned long own;             /* SRC is one of our addresses */
	unsigned long no_key;          /* no device key (SRC's or ours) or no AppKey with that AID on that subnet */
	unsigned long errors;          /* a crypto failure or a dev_key error other than -ENOENT
	                                * (on receipt; or a PDU that could not be encrypted) */
	unsigned long delivered;       /* ops->access calls */
	unsigned long tx;              /* ops->send_adv calls */
	unsigned long seq_reservations; /* ops->reserve_seq calls that succeeded */
};

struct mesh_app_key {
	bool used;
	uint16_t index, net_index;
	uint8_t aid;
	uint8_t key[16];
};

struct mesh_label {
	bool used;
	uint16_t addr;
	uint8_t uuid[16];
};

/* A segmented message of ours in the lower layer: the subnet it goes on. */
struct mesh_txinfo {
	bool used;
	unsigned handle;
	uint16_t src, dst, net_index;
};

/* A source we heard and the subnet it used (Segment Acks go back on it). */
struct mesh_peer {
	bool used;
	uint16_t addr, net_index;
	unsigned long stamp;
};

struct mesh_current {
	bool valid;
	uint16_t src, net_index;
	uint32_t seq, iv_index;
};

struct mesh_sending {
	bool valid;
	uint16_t src, dst, net_index;
};

struct mesh {
	struct mesh_config cfg;
	const struct mesh_ops *ops;
	void *ctx;
	uint32_t iv_index;

	struct net_keys net[MESH_MAX_NET_KEYS]; /* net[0..nnet) */
	size_t nnet;
	struct mesh_app_key app[MESH_MAX_APP_KEYS];
	uint16_t subs[MESH_MAX_SUBS]; /* subs[0..nsubs) */
	size_t nsubs;
	struct mesh_label labels[MESH_MAX_LABELS];

	/* SEQs [seq_next, seq_limit) are reserved and unused; a new grant must
	 * start at seq_floor or later (the end of the last one) */
	uint32_t seq_next, seq_limit, seq_floor;

	struct replay_list replay;
	struct lower lower;
	struct mesh_txinfo txinfo[LOWER_TX_SLOTS];
	struct mesh_peer peers[MESH_PEERS];
	unsigned long stamp;
	uint64_t now;             /* of the call into the lower layer going on */

	struct mesh_current cur;  /* the Network PDU mesh_input is handing to the lower layer */
	struct mesh_sending sending; /* the message mesh_send is handing to the lower layer */

	struct mesh_stats stats;
};

/* cfg: unicast a unicast address with the whole range unicast; default_ttl
 * 0 or 2..127. ops->send_adv and ops->reserve_seq are required. No keys, no
 * subscriptions. 0 or -EINVAL. */
int mesh_init(struct mesh *m, const struct mesh_config *cfg, const struct mesh_ops *ops, void *ctx);

/* A NetKey (index <= 0xfff). 0; -EINVAL; -EEXIST (that index is there, with
 * another key; the same key again is 0); -ENOSPC; -EIO. */
int mesh_add_net_key(struct mesh *m, uint16_t index, const uint8_t key[16]);

/* An AppKey bound to NetKey net_index. 0; -EINVAL (index over 0xfff);
 * -ENOENT (no such NetKey); -EEXIST (that index is there with another key or
 * NetKey; the same again is 0); -ENOSPC; -EIO. */
int mesh_add_app_key(struct mesh *m, uint16_t index, uint16_t net_index, const uint8_t key[16]);
/* 0 or -ENOENT. */
int mesh_del_app_key(struct mesh *m, uint16_t index);

/* Groups we listen to (e.g. AliGenie 0xf000): a group address 0xc000-0xfffe
 * (all-nodes 0xffff is always ours). 0 (also when subscribed already),
 * -EINVAL, -ENOSPC. */
int mesh_subscribe(struct mesh *m, uint16_t group);
/* 0 or -ENOENT. */
int mesh_unsubscribe(struct mesh *m, uint16_t group);
/* Listen to a Label UUID's virtual address (*addr, may be NULL). 0, -EINVAL, -ENOSPC, -EIO. */
int mesh_subscribe_virtual(struct mesh *m, const uint8_t label[16], uint16_t *addr);

/* From now on send with, and accept, this IV Index (and, on receipt, the one
 * before it). It must not go back (-EINVAL). A new IV Index starts a new SEQ
 * space: the current block is dropped and the next grant may start at 0.
 * Segmented messages still going were encrypted with the old IV Index: their
 * receivers will not verify what is retransmitted (cancel them first). */
int mesh_set_iv_index(struct mesh *m, uint32_t iv_index);

/* Send an access message (see the top of this file and struct mesh_tx).
 * *handle (may be NULL): the segmented message's handle for ops->tx_done,
 * MESH_NO_HANDLE when it went out unsegmented (nothing more to come).
 * 0; -EINVAL (NULL, empty payload, TTL over 127, src not ours, dst
 * unassigned or ours or virtual without its label, device key to a
 * non-unicast dst); -EMSGSIZE (over ACCESS_MAX_PDU); -ENOENT (no such AppKey
 * or NetKey, or ops->dev_key has no device key: its error); -EOVERFLOW (SEQ
 * space used up) or -ERANGE (a bad grant) or reserve_seq's error; -EBUSY (a
 * segmented message to dst is still going, or LOWER_TX_SLOTS are); -EIO.
 * On any error nothing has been sent. */
int mesh_send(struct mesh *m, uint64_t now, const struct mesh_tx *tx, unsigned *handle);

/* Stop a segmented message without ops->tx_done. 0 or -ENOENT. */
int mesh_cancel(struct mesh *m, unsigned handle);

/* One Network PDU from the air (the AD type 0x2A payload). */
void mesh_input(struct mesh *m, uint64_t now, const uint8_t *net_pdu, size_t len);

/* The earliest timer (retransmissions, acknowledgments, reassembly), or NO_DEADLINE. */
/* With cfg.tx_reports: one PDU of ops->send_adv is off the air (or was
 * dropped on the way), each exactly once, in any order. */
void mesh_tx_sent(struct mesh *m, uint64_t now);

uint64_t mesh_next_deadline(const struct mesh *m);

/* For a participant about to go away: from when nobody is expected to need
 * it any more, as lower_quiet_deadline() says (NO_DEADLINE: a segmented
 * message of ours is still going, or one to us is being reassembled; else
 * the time the senders of the messages it completed are expected quiet, no
 * longer waiting for a Segment Ack that was lost; may be in the past). */
uint64_t mesh_quiet_deadline(const struct mesh *m);
void mesh_tick(struct mesh *m, uint64_t now);

#endif
