/* Configure one freshly provisioned node the way Tmall Genie does: Config
 * AppKey Add, Config Composition Data Get (page 0) and, for AliGenie UUID
 * version 0 devices, Config Model App Bind of every model and Config Model
 * Subscription Add to the AliGenie groups (UUID version 1 devices do that
 * themselves). A pure core on top of cfgcli: the caller carries the access
 * messages (device key) and records the results when it is done. */
#ifndef MESHPROV_NODE_SETUP_H
#define MESHPROV_NODE_SETUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cfgcli.h"
#include "cfgmsg.h"

#define NODE_SETUP_MAX_GROUPS 4
#define NODE_SETUP_MAX_ITEMS 64 /* binds or subscriptions recorded */

/* AliGenie default groups: lights, and all products */
#define ALIGENIE_GROUP_LIGHTS 0xc000
#define ALIGENIE_GROUP_ALL 0xcfff

struct node_setup_params {
	uint16_t unicast;       /* the node's primary element */
	uint16_t net_index;
	uint16_t app_index;
	uint8_t app_key[16];
	bool bind_and_subscribe; /* AliGenie UUID version 0: do the binds and subscriptions */
	uint16_t groups[NODE_SETUP_MAX_GROUPS];
	unsigned ngroups;
};

/* A bind or subscription the node confirmed. */
struct node_setup_item {
	uint8_t element;        /* index */
	struct cfg_model_id model;
	uint16_t value;         /* AppKey index (bind) or group address (subscription) */
};

struct node_setup_ops {
	/* one access message to the node with its device key: 0 or -errno */
	int (*send)(void *ctx, uint16_t dst, const uint8_t *pdu, size_t len);
	/* a step done, in words ("AppKey 0 added", "composition: CID 01a8 ...") */
	void (*progress)(void *ctx, const char *what);
	/* finished: rc 0, or the first failure with one line in msg */
	void (*done)(void *ctx, int rc, const char *msg);
};

struct node_setup {
	struct node_setup_params params;
	const struct node_setup_ops *ops;
	void *ctx;
	struct cfgcli cli;
	uint64_t now;           /* of the latest call in, for cfgcli's callbacks */
	bool finished;
	/* results */
	bool appkey_added;
	bool have_composition;
	struct cfg_comp_page0 composition;
	struct node_setup_item binds[NODE_SETUP_MAX_ITEMS];
	unsigned nbinds;
	struct node_setup_item subs[NODE_SETUP_MAX_ITEMS];
	unsigned nsubs;
	int rc;
	char msg[160];
};

/* Start: queues AppKey Add and Composition Data Get at once. */
int node_setup_start(struct node_setup *s, uint64_t now, const struct node_setup_params *params,
		     const struct node_setup_ops *ops, void *ctx);

/* Every access message from the node (device key) goes here. */
void node_setup_input(struct node_setup *s, uint64_t now, uint16_t src, const uint8_t *pdu, size_t len);

/* Give up (interrupt): done follows with -ECANCELED and msg. */
void node_setup_cancel(struct node_setup *s, uint64_t now, const char *msg);

uint64_t node_setup_next_deadline(const struct node_setup *s);
void node_setup_tick(struct node_setup *s, uint64_t now);

/* Whether a model takes AppKeys and subscriptions: not the Configuration
 * Server/Client or Health Server/Client foundation models. */
bool node_setup_model_wanted(const struct cfg_model_id *m);

#endif
