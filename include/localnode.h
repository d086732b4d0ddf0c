/* meshprov's own node in its network, on a radio: the mesh stack set up
 * from the node database (own address and device key, NetKey 0, AppKey 0,
 * durable SEQ reservations, node device keys), subscribed to the AliGenie
 * indication group 0xF000 and answering every Attr Indication with its
 * Attr Confirmation. The edge the provision, config and daemon code share.
 *
 * Routing: a job (provjob, cfgjob) registers for the node it talks to
 * (localnode_register); a device-key access message from that node goes
 * straight to the registrant, and so does each indication of one of its
 * elements that was answered. The owner of the radio only feeds
 * localnode_input() and never sees an access message. */
#ifndef MESHPROV_LOCALNODE_H
#define MESHPROV_LOCALNODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mesh.h"
#include "nodedb.h"
#include "radio.h"

#define ALIGENIE_INDICATION_GROUP 0xf000

/* An AliGenie device repeats its indication until confirmed (every 400 ms or
 * so): one not heard again this long after our last confirmation got it. */
#define LOCALNODE_IND_QUIET_MS 1000
/* The local node's transmit source: the Network PDUs of every node being
 * configured (unsegmented requests, up to LOWER_TX_SLOTS segmented ones,
 * Segment Acks), served LOCALNODE_TX_WEIGHT per turn of the round robin
 * among the PB-ADV links. What the queue refuses waits in order in
 * LOCALNODE_TX_HOLD places until the scheduler has room again. */
#define LOCALNODE_TX_QUEUE 48
#define LOCALNODE_TX_WEIGHT 4
#define LOCALNODE_TX_HOLD 32
/* localnode_linger's bound for the command-line runs, unless --linger says */
#define LOCALNODE_LINGER_DEFAULT_S 5

/* A job's registration: what it awaits from one node. Owned by the job
 * (embedded in it), linked into the localnode while registered. */
struct localnode_reg {
	uint16_t addr;     /* the node's primary element: its device-key messages */
	uint8_t elements;  /* its indications come from addr .. addr + elements - 1 */
	/* a device-key access message from addr: true when it was taken (the
	 * first registrant for addr that takes it has it) */
	bool (*access)(void *ctx, const struct mesh_rx *rx);
	/* an indication from one of its elements was answered (may be NULL) */
	void (*indication)(void *ctx, uint16_t src, uint8_t tid);
	void *ctx;
	struct localnode_reg *next;
	bool linked;
};

struct localnode {
	struct radio *radio;
	struct nodedb *db;
	struct mesh mesh;
	uint16_t self;
	uint8_t self_devkey[16];
	struct localnode_reg *regs; /* registered jobs, in the order they came */
	unsigned indications; /* answered */
	uint64_t ind_quiet_at; /* the last indication answered may be repeated until then */
	/* localnode_linger */
	bool lingering;
	uint64_t linger_until;
	void (*linger_done)(void *ctx);
	void *linger_ctx;
	bool on;
	/* transmit: our source on the radio, and what it refused, in order */
	int tx_src;
	uint8_t hold[LOCALNODE_TX_HOLD][TXSCHED_MAX_PAYLOAD];
	uint8_t hold_len[LOCALNODE_TX_HOLD];
	unsigned hold_head, nhold;
	unsigned long tx_lost; /* the hold was full too (never expected) */
};

/* Set up from db and attach to radio's timers. -1 with one line in err. */
int localnode_init(struct localnode *c, struct radio *radio, struct nodedb *db, char *err,
		   size_t errlen);

/* Route what comes from reg->addr's node to reg (until unregistered). A
 * registration already linked is left as it is. */
void localnode_register(struct localnode *c, struct localnode_reg *reg);

/* Stop routing to reg; nothing when it is not registered. */
void localnode_unregister(struct localnode *c, struct localnode_reg *reg);

/* A Mesh Message AD payload from the radio. */
void localnode_input(struct localnode *c, const uint8_t *data, size_t len);

/* An access message to a node with its device key (Configuration messages). */
int localnode_send_devkey(struct localnode *c, uint16_t dst, const uint8_t *pdu, size_t len);

/* From when nothing is expected of us any more: mesh_quiet_deadline(), and
 * LOCALNODE_IND_QUIET_MS after the last indication answered. NO_DEADLINE while
 * a segmented message is going either way; may be in the past. */
uint64_t localnode_quiet_deadline(const struct localnode *c);

/* A command-line run's work is done, but the nodes may still need us: a
 * Segment Ack of ours lost (the node retransmits, and fails the message if
 * nobody acks), our Attr Confirmation lost (the node repeats its
 * indication), our own segmented message not acknowledged yet. Stay on the
 * air, answering, until localnode_quiet_deadline() has passed or bound_ms have,
 * then done(ctx) (from the radio's timer; at once when bound_ms is 0 or
 * nothing is pending). The daemon does not need this: it stays. */
void localnode_linger(struct localnode *c, uint64_t bound_ms, void (*done)(void *ctx), void *ctx);

void localnode_free(struct localnode *c);

#endif
