/* One `meshprov config` request to a node: a single Configuration message
 * (cfgcli) or the whole post-provisioning plan (node_setup), the outcome
 * recorded in the node database. Runs on a radio, a database and a client
 * its owner holds; no libev. The config command runs one on its own radio;
 * the daemon runs them for control-socket requests on its shared client. */
#ifndef MESHPROV_CFGJOB_H
#define MESHPROV_CFGJOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cfgcli.h"
#include "client.h"
#include "node_setup.h"
#include "nodedb.h"
#include "radio.h"

struct json_object;

#define CFGJOB_TIMEOUT_MS 30000

/* The commands, for messages. */
#define CFGJOB_COMMANDS "composition, appkey-add, bind, sub-add, reset or setup"

enum cfgjob_cmd { CFGJOB_COMPOSITION, CFGJOB_APPKEY_ADD, CFGJOB_BIND, CFGJOB_SUB_ADD,
		  CFGJOB_RESET, CFGJOB_SETUP };

struct cfgjob {
	struct radio *radio;
	struct nodedb *db;
	struct client *client;
	void (*done)(void *ctx);
	void *ctx;
	struct nodedb_node node;
	char uuid_hex[33];
	enum cfgjob_cmd cmd;
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
};

/* Find the node (UUID or address) and check the command words against db.
 * 0; -1 usage error, naming the argument and what it should be ("ELEMENT:
 * expected ..."), -2 failure (no such node, no such AppKey): one line in
 * err. ELEMENT is an element index or, as mesh-cfgclient takes it, the
 * element's unicast address (an index below the element count wins). */
int cfgjob_prepare(struct cfgjob *j, struct nodedb *db, const char *node, int argc,
		   char *const *argv, bool force, char *err, size_t errlen);

/* Send the request; done(ctx) follows once it is over. */
int cfgjob_start(struct cfgjob *j, struct radio *r, struct client *c, void (*done)(void *ctx),
		 void *ctx);

/* An access message from the client: true when it was for this job. */
bool cfgjob_access(struct cfgjob *j, const struct mesh_rx *rx);

/* Give up now (interrupt, the client went away); done follows. */
void cfgjob_cancel(struct cfgjob *j, int rc, const char *msg);

/* The object `meshprov config --json` prints. */
struct json_object *cfgjob_json(const struct cfgjob *j);

bool cfgjob_ok(const struct cfgjob *j);

void cfgjob_free(struct cfgjob *j);

#endif
