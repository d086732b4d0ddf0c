/* meshprov as a node of its own network, on a radio: the mesh stack set up
 * from the node database (own address and device key, NetKey 0, AppKey 0,
 * durable SEQ reservations, node device keys), subscribed to the AliGenie
 * indication group 0xF000 and answering every Attr Indication with its
 * Attr Confirmation. The edge the provision, config and daemon code share. */
#ifndef MESHPROV_CLIENT_H
#define MESHPROV_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mesh.h"
#include "node_setup.h"
#include "nodedb.h"
#include "radio.h"

#define ALIGENIE_INDICATION_GROUP 0xf000

/* An AliGenie device repeats its indication until confirmed (every 400 ms or
 * so): one not heard again this long after our last confirmation got it. */
#define CLIENT_IND_QUIET_MS 1000
/* client_linger's bound for the command-line runs, unless --linger says */
#define CLIENT_LINGER_DEFAULT_S 5

struct client {
	struct radio *radio;
	struct nodedb *db;
	struct mesh mesh;
	uint16_t self;
	uint8_t self_devkey[16];
	/* a node not in the database yet (just provisioned): its device key */
	uint16_t extra_addr;
	uint8_t extra_elements;
	uint8_t extra_devkey[16];
	/* access messages that are not AliGenie indications */
	void (*access)(void *ctx, const struct mesh_rx *rx);
	void *ctx;
	unsigned indications; /* answered */
	void (*indication)(void *ctx, uint16_t src, uint8_t tid);
	uint64_t ind_quiet_at; /* the last indication answered may be repeated until then */
	/* client_linger */
	bool lingering;
	uint64_t linger_until;
	void (*linger_done)(void *ctx);
	void *linger_ctx;
	bool on;
};

/* Set up from db and attach to radio's timers. -1 with one line in err. */
int client_init(struct client *c, struct radio *radio, struct nodedb *db,
		void (*access)(void *ctx, const struct mesh_rx *rx), void *ctx, char *err,
		size_t errlen);

/* Make a node's device key known before it is in the database. */
void client_add_node_key(struct client *c, uint16_t addr, uint8_t elements, const uint8_t key[16]);

/* A Mesh Message AD payload from the radio. */
void client_input(struct client *c, const uint8_t *data, size_t len);

/* An access message to a node with its device key (Configuration messages). */
int client_send_devkey(struct client *c, uint16_t dst, const uint8_t *pdu, size_t len);

/* Record in db (without committing) what node_setup s confirmed for the node
 * uuid, and its outcome: configured, or unconfigured with msg. */
void client_record_setup(struct nodedb *db, const uint8_t uuid[16], const struct node_setup *s,
			 int rc, const char *msg);

/* From when nothing is expected of us any more: mesh_quiet_deadline(), and
 * CLIENT_IND_QUIET_MS after the last indication answered. NO_DEADLINE while
 * a segmented message is going either way; may be in the past. */
uint64_t client_quiet_deadline(const struct client *c);

/* A command-line run's work is done, but the nodes may still need us: a
 * Segment Ack of ours lost (the node retransmits, and fails the message if
 * nobody acks), our Attr Confirmation lost (the node repeats its
 * indication), our own segmented message not acknowledged yet. Stay on the
 * air, answering, until client_quiet_deadline() has passed or bound_ms have,
 * then done(ctx) (from the radio's timer; at once when bound_ms is 0 or
 * nothing is pending). The daemon does not need this: it stays. */
void client_linger(struct client *c, uint64_t bound_ms, void (*done)(void *ctx), void *ctx);

void client_free(struct client *c);

#endif
