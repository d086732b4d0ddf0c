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

void client_free(struct client *c);

#endif
