/* One `meshprov config` request to a node: a single Configuration message
 * (cfgcli) or the whole post-provisioning plan (node_setup), the outcome
 * recorded in the node database (cfgjob_record_setup and the single
 * commands' steps: the one place configuration outcomes are written). Runs
 * on a radio, a database and meshprov's own node (localnode) its owner
 * holds, registered there for the node's answers; no libev. The config
 * command runs one alone on its own radio (cfgjob_wait: the job makes its
 * own localnode); the daemon runs them for control-socket requests and
 * automatic setup on its shared localnode. */
#ifndef MESHPROV_CFGJOB_H
#define MESHPROV_CFGJOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cfgcli.h"
#include "cfgreq.h"
#include "localnode.h"
#include "node_setup.h"
#include "nodedb.h"
#include "radio.h"

struct json_object;

#define CFGJOB_TIMEOUT_MS 30000

struct cfgjob {
	struct radio *radio;
	struct nodedb *db;
	struct localnode *local;
	struct localnode *own_local; /* cfgjob_wait: the node it made, local then */
	bool alone;                  /* cfgjob_wait: the radio's receiver */
	struct localnode_reg reg; /* for the node's answers, while it runs */
	void (*done)(void *ctx);
	void *ctx;
	struct nodedb_node node;
	char uuid_hex[33];
	enum cfgreq_cmd cmd;
	char cmd_name[16];
	bool force;
	/* setup: the groups an AliGenie UUID version 0 node subscribes to
	 * (cfgjob_prepare sets 0xc000, 0xcfff; the owner may change them) */
	uint16_t groups[NODE_SETUP_MAX_GROUPS];
	unsigned ngroups;
	struct cfgcli_req req;
	uint8_t element;
	struct cfgcli cli;
	struct node_setup setup;
	bool started, finished;
	uint64_t give_up_at;
	/* outcome */
	bool answered;
	int rc;          /* 0, a status code, or -errno */
	char msg[256];
	struct cfg_comp_page0 comp;
	bool have_comp;
	struct cfg_node_state state; /* ttl ... net-transmit: what the node reported */
	bool have_state;
	struct cfg_model_pub pub; /* pub-set, pub-get: the publication the node reported */
	bool have_pub;
};

/* Find rq's node (UUID or address) in db and check the rest of the request
 * against it. 0; -1 usage error, naming the argument and what it should be
 * ("ELEMENT: node 0x0100 has 2 elements: expected ..."), -2 failure (no
 * such node, no such AppKey): one line in err. ELEMENT is an element index
 * or, as mesh-cfgclient takes it, the element's unicast address (an index
 * below the element count wins). */
int cfgjob_prepare(struct cfgjob *j, struct nodedb *db, const struct cfgreq *rq, char *err,
		   size_t errlen);

/* Send the request through meshprov's own node c, registered there for the
 * node's answers until it is over; done(ctx) follows then. */
int cfgjob_start(struct cfgjob *j, struct radio *r, struct localnode *c, void (*done)(void *ctx),
		 void *ctx);

/* Alone on radio r (meshprov config): the job is r's receiver (set before
 * radio_start). Once r is ready it makes its own localnode from the
 * database (a failure there is its outcome) and starts as cfgjob_start
 * does; what r hears goes to that node. done(ctx) once it is over. */
void cfgjob_wait(struct cfgjob *j, struct radio *r, void (*done)(void *ctx), void *ctx);

/* After done, on its own node (cfgjob_wait): stay while the node may still
 * need us, at most linger_s (localnode_linger), then done(ctx). -1 when
 * the job has no node of its own. */
int cfgjob_linger(struct cfgjob *j, double linger_s, void (*done)(void *ctx), void *ctx);

/* Give up now (interrupt, the client went away); done follows. */
void cfgjob_cancel(struct cfgjob *j, int rc, const char *msg);

/* The object `meshprov config --json` prints. */
struct json_object *cfgjob_json(const struct cfgjob *j);

bool cfgjob_ok(const struct cfgjob *j);

/* Record in db (without committing) what node_setup s confirmed for the
 * node uuid, and its outcome: configured, or unconfigured with msg. The
 * single commands record theirs through the same steps. */
void cfgjob_record_setup(struct nodedb *db, const uint8_t uuid[16], const struct node_setup *s,
			 int rc, const char *msg);

void cfgjob_free(struct cfgjob *j);

#endif
