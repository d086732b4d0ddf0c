/* One device's whole job: provisioning over PB-ADV, recording the node in the
 * database, and configuring it (node_setup) through meshprov's own node
 * (localnode), registered there for the node's answers and indications.
 * Runs on a radio and a node database its owner holds; no libev (its timers
 * go through radio_add_timers).
 *
 * Two ways to run one. `meshprov provision` runs one job alone on its radio
 * (provjob_wait): the job is the radio's receiver, so it waits for the
 * device's beacon itself, takes the PB-ADV frames and the mesh messages
 * straight from the radio, and sets up meshprov's own node when it
 * configures. The daemon runs several at once, one struct each
 * (provjob_start once it heard the beacon): it dispatches the PB-ADV frames
 * (provjob_pb_adv) and hands every job its one shared localnode. */
#ifndef MESHPROV_PROVJOB_H
#define MESHPROV_PROVJOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aligenie.h"
#include "localnode.h"
#include "node_setup.h"
#include "nodedb.h"
#include "prov_session.h"
#include "radio.h"

struct json_object;

/* After configuring an AliGenie device: how long to wait for its indication. */
#define PROVJOB_LINGER_MS 3000
/* The link's transmit queue: PB-ADV has at most a transaction (3 segments),
 * a Transaction ACK and a Link Open or Close outstanding (pb_adv repeats
 * nothing before the last copy's tx-done). */
#define PROVJOB_TX_QUEUE 8

struct provjob_params {
	uint8_t uuid[16];
	/* attention, auth and device_pubkey; provjob_start fills in the network
	 * (NetKey 0, IV index, flags) from the database */
	struct prov_params prov;
	uint16_t want_unicast;   /* 0: the next free addresses */
	bool configure;
	uint16_t groups[NODE_SETUP_MAX_GROUPS]; /* AliGenie UUID version 0 devices */
	unsigned ngroups;
	char auth_value[64];     /* output OOB value given up front, or "" */
};

struct provjob_ops {
	/* a step, in words */
	void (*progress)(void *ctx, const char *text);
	/* Input OOB (ask false): text tells the user what to enter on the device;
	 * the return value is ignored. Output OOB without auth_value (ask true):
	 * return 0 when provjob_auth_value() will follow, -1 to give up. */
	int (*auth_prompt)(void *ctx, bool ask, const char *text);
	/* the job is over: see provjob_json() / the fields below */
	void (*done)(void *ctx);
};

enum provjob_state {
	PROVJOB_WAITING,         /* provjob_wait: for the device's beacon */
	PROVJOB_PROVISIONING,
	PROVJOB_CONFIGURING,
	PROVJOB_LINGERING,
	PROVJOB_DONE,
};

struct provjob {
	struct provjob_params params;
	const struct provjob_ops *ops;
	void *ctx;
	struct radio *radio;
	struct nodedb *db;
	struct localnode *local;  /* configuring through: shared_local or own_local */
	struct localnode *shared_local; /* provjob_start: the owner's */
	struct localnode *own_local; /* provjob_wait: its own, set up when configuring */
	bool alone;               /* provjob_wait: the radio's receiver */
	bool timers_on;
	double wait_s;            /* provjob_wait: for the beacon, from the radio being ready */
	uint64_t wait_until;
	int64_t listen_since;     /* Unix seconds: scanning since (pending reservations) */
	struct localnode_reg reg; /* for the node's answers, from configuring until freed */
	enum provjob_state state;
	char uuid_hex[33];
	struct aligenie_info ali;
	bool is_aligenie;
	struct prov_session session;
	int tx_src;              /* the link's transmit source on the radio ... */
	bool tx_open;            /* ... while open */
	struct node_setup setup;
	bool setup_started;
	uint64_t linger_until;
	bool cancelling;
	unsigned indications;    /* the node's indications answered */
	uint16_t res_lo;         /* the addresses this session reserved for it ... */
	uint8_t res_elements;    /* ... (0: none) */
	bool data_sent;          /* Provisioning Data went out: a durable reservation holds them */
	/* outcome */
	bool ok;                 /* provisioned and recorded */
	struct prov_result result;
	bool configured;
	char config_error[200];
	uint8_t error;           /* PROV_ERR_* when one applies */
	char msg[300];           /* why it failed: never empty once done and not ok */
};

/* 0 when uuid may be provisioned: it is not a node in db, or a node left
 * unconfigured (configComplete false). A device that is such a node and
 * beacons as unprovisioned has dropped its provisioning (an AliGenie device
 * falls back when no AppKey Add arrives, or it was reset): provisioning it
 * again replaces its record once the new provisioning completes, never
 * before. A configured node: -1 with one line in err. */
int provjob_check_new(struct nodedb *db, const uint8_t uuid[16], char *err, size_t errlen);

/* How long a pending reservation (meshprovReservations, see nodedb.h: the
 * device was sent Provisioning Data, its Complete never seen) must go
 * without an unprovisioned beacon from the device, while meshprov listens,
 * to be kept as a node: counted from the later of the reservation's time and
 * the start of listening. A device that did not take the data is back to
 * beaconing once its provisioning timeout (60 s after the last PDU, which
 * is at most 60 s after the reservation) has passed: 2 x 60 s, and 10 s
 * for its beacon to be heard. */
#define PROVJOB_RESERVATION_WINDOW_S 130

/* uuid beacons as unprovisioned (at now, Unix seconds; listening since
 * `since`): a pending reservation of it (no job of ours may be running for
 * uuid) did not take, and is released into networkExclusions and
 * committed, unless the beacon does not count (autoprov.h: within
 * AUTOPROV_BEACON_GRACE_S of its time or of since). 1 released, 0 none, -1
 * the commit failed (err; it stays pending in the file). */
int provjob_reservation_heard(struct nodedb *db, const uint8_t uuid[16], int64_t now, int64_t since,
			      char *err, size_t errlen);

/* Keep as nodes (unconfigured, "provisioned, not confirmed") the pending
 * reservations not heard of for window_s seconds while listening since
 * `since` (Unix seconds): those autoprov_reservation_settled() at now,
 * except those busy() says a job of ours is running for. Commits when one
 * was kept; returns how many (a failed commit is logged, and they stay
 * pending in the file). */
unsigned provjob_reservations_settle(struct nodedb *db, int64_t now, int64_t since, unsigned window_s,
				     bool (*busy)(void *ctx, const uint8_t uuid[16]), void *ctx);

/* The job alone on radio r (not started yet): it becomes r's receiver.
 * Once r is ready it waits up to wait_s seconds for p->uuid's unprovisioned
 * beacon (else it fails, "no beacon from ... within ..."), releases the
 * pending reservations of devices that beacon (provjob_reservation_heard),
 * then opens the link as provjob_start does; it feeds the mesh messages to
 * its own localnode once it configures. -1 with one line in err (nothing
 * attached, done will not be called). */
int provjob_wait(struct provjob *j, struct radio *r, struct nodedb *db,
		 const struct provjob_params *p, double wait_s, const struct provjob_ops *ops,
		 void *ctx, char *err, size_t errlen);

/* The device's beacon was heard: open a PB-ADV link to it and run the job,
 * configuring through local, the owner's node, which the owner feeds (when
 * it is not set up by then, local->on false, or NULL, the node is left
 * unconfigured). -1 with one line in err (nothing started, done will not
 * be called). */
int provjob_start(struct provjob *j, struct radio *r, struct nodedb *db, struct localnode *local,
		  const struct provjob_params *p, const struct provjob_ops *ops, void *ctx,
		  char *err, size_t errlen);

/* A PB-ADV AD payload from the air (provjob_start's owner dispatches them). */
void provjob_pb_adv(struct provjob *j, const uint8_t *data, size_t len);

/* After done, a provjob_wait job that configured through its own node and
 * was not cancelled: stay on the air while the node may still need us,
 * up to linger_s seconds (localnode_linger), then done(ctx). -1 when there
 * is nothing to linger for (done is not called). */
int provjob_linger(struct provjob *j, double linger_s, void (*done)(void *ctx), void *ctx);

/* The output OOB value the user typed: 0, or -1 when it does not fit. */
int provjob_auth_value(struct provjob *j, const char *value);

/* Give up (interrupt, shutdown): the link closes with reason Fail, or the
 * configuration stops; done follows. */
void provjob_cancel(struct provjob *j, const char *msg);

/* A job that never started (no beacon in time, provjob_start refused, the
 * client or the daemon gave up while waiting): its outcome is a failure
 * saying msg, for p's device, as a failed job's would be. Nothing to free. */
void provjob_fail_unstarted(struct provjob *j, const struct provjob_params *p, const char *msg);

/* The radio failed or was lost: unless the job provisioned the device, its
 * outcome is a failure saying msg (when it has no reason yet). */
void provjob_lost(struct provjob *j, const char *msg);

bool provjob_finished(const struct provjob *j);

/* The object `meshprov provision --json` prints (it holds the device key). */
struct json_object *provjob_json(const struct provjob *j);

/* Detach from the radio and erase keys. */
void provjob_free(struct provjob *j);

#endif
