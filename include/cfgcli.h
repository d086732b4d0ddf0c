/* Configuration Client request engine (Mesh Profile 1.0.1 §4.3, §4.4.2) as a
 * pure core, one struct per target node: access payloads and time in
 * (cfgcli_input, cfgcli_tick); access payloads, callbacks and a deadline out
 * (struct cfgcli_ops, cfgcli_next_deadline). No allocation, no globals.
 *
 * Requests are queued (cfgcli_enqueue, up to CFGCLI_QUEUE_LEN) and run in
 * order, one outstanding at a time. The outstanding one is sent at once,
 * then again every retransmit_ms (default CFGCLI_RETRANSMIT_MS) until its
 * status arrives or timeout_ms (default CFGCLI_TIMEOUT_MS) have passed since
 * ops->send first took it; then ops->done reports it and the next one starts.
 * A send refused with -EBUSY or -EAGAIN (the lower transport's segmented
 * message slot is taken, the transmit queue is full) did not send anything:
 * it is tried again after CFGCLI_BUSY_RETRY_MS (or retransmit_ms, if
 * shorter), and its time does not count against the answer's timeout; a
 * request refused for timeout_ms ends with -EBUSY.
 * A repeated request is the same access payload (the Configuration Server
 * answers a repeated AppKey Add, Bind or Subscription Add with Success again).
 *
 * Every access message from the node goes to cfgcli_input (src is its
 * primary element address, where the Configuration Server lives; messages
 * from any other source are ignored). It completes the outstanding request
 * only when it is that request's status message with matching parameters:
 *
 *   request                 status                   must match
 *   AppKey Add              AppKey Status            NetKeyIndex, AppKeyIndex
 *   Composition Data Get    Composition Data Status  Page <= the requested one
 *   Model App Bind/Unbind   Model App Status         element, AppKeyIndex, model
 *   Model Subscription      Model Subscription St.   element, address, model
 *     Add/Delete
 *   Node Reset              Node Reset Status        (no parameters)
 *   Model Publication       Model Publication St.    element, model
 *     Get / Set
 *   X Get / X Set           X Status (a node state,  (none: it reports the
 *                           cfgmsg.h cfg_state)      state; a Set's outcome is
 *                                                    the state it reports)
 *
 * Anything else (another opcode, other parameters, a wrong length, nothing
 * outstanding) is ignored and counted in the stats, so a late duplicate status
 * of an earlier request does not complete a different later one.
 *
 * Results (struct cfgcli_result, rc):
 *   0            the status came with Success (or has no status field)
 *   1..255       the node answered with this non-success status code
 *                (status_str names it, e.g. "Invalid AppKey Index")
 *   -ETIMEDOUT   no matching status within timeout_ms
 *   -EBUSY       ops->send refused it (busy) for timeout_ms
 *   -ECANCELED   cfgcli_cancel_all()
 *   other < 0    ops->send failed with it (see ops->send)
 * No request stops the queue: the ones after a failure still run, unless
 * ops->done calls cfgcli_cancel_all().
 *
 * Re-entrancy: ops->done may call cfgcli_enqueue and cfgcli_cancel_all on
 * the same client (requests enqueued from it are sent once it returns).
 * ops->send must not call into the same client.
 */
#ifndef MESHPROV_CFGCLI_H
#define MESHPROV_CFGCLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cfgmsg.h"

#define CFGCLI_RETRANSMIT_MS 2000
#define CFGCLI_TIMEOUT_MS 10000
#define CFGCLI_BUSY_RETRY_MS 250
#define CFGCLI_QUEUE_LEN 32

enum cfgcli_kind {
	CFGCLI_APPKEY_ADD,
	CFGCLI_COMP_DATA_GET,
	CFGCLI_MODEL_APP_BIND,
	CFGCLI_MODEL_SUB_ADD,
	CFGCLI_NODE_RESET,
	CFGCLI_STATE_GET,
	CFGCLI_STATE_SET,
	CFGCLI_MODEL_APP_UNBIND,
	CFGCLI_MODEL_SUB_DEL,
	CFGCLI_MODEL_PUB_GET,
	CFGCLI_MODEL_PUB_SET,
};

/* One request; the fields its kind uses (others are ignored). */
struct cfgcli_req {
	enum cfgcli_kind kind;
	uint16_t net_idx;          /* APPKEY_ADD */
	uint16_t app_idx;          /* APPKEY_ADD, MODEL_APP_BIND, MODEL_APP_UNBIND */
	uint8_t app_key[16];       /* APPKEY_ADD */
	uint8_t page;              /* COMP_DATA_GET */
	uint16_t elem_addr;        /* MODEL_APP_(UN)BIND, MODEL_SUB_ADD/DEL */
	uint16_t addr;             /* MODEL_SUB_ADD/DEL: the group address */
	struct cfg_model_id model; /* MODEL_APP_(UN)BIND, MODEL_SUB_ADD/DEL */
	enum cfg_state state;      /* STATE_GET, STATE_SET: which one */
	struct cfg_node_state state_value; /* STATE_SET */
	struct cfg_model_pub pub;  /* MODEL_PUB_SET; MODEL_PUB_GET: elem_addr and model */
	void *user;                /* the caller's, handed back in the result */
};

struct cfgcli_result {
	int rc;                 /* see the top of this file */
	uint8_t status;         /* the node's status code when it answered (0 if none in the message) */
	const char *status_str; /* cfg_status_str(status) when it answered, else NULL */
	/* the status message's parameters when it answered (e.g. Page || Data
	 * of a Composition Data Status), else NULL and 0; valid during ops->done only */
	const uint8_t *params;
	size_t params_len;
};

struct cfgcli_ops {
	/* Send one access payload to dst with the node's device key. Return 0
	 * when sent; -EAGAIN or -EBUSY when it could not be sent now (retried
	 * after CFGCLI_BUSY_RETRY_MS); any other negative errno ends the
	 * request with that rc. */
	int (*send)(void *ctx, uint16_t dst, const uint8_t *access_pdu, size_t len);
	/* A request is over: req is a copy of what was enqueued. */
	void (*done)(void *ctx, const struct cfgcli_req *req, const struct cfgcli_result *res);
};

struct cfgcli_stats {
	unsigned long tx_sends;      /* ops->send calls */
	unsigned long tx_repeats;    /* of which retransmissions */
	unsigned long tx_errors;     /* ops->send calls that failed */
	unsigned long rx_msgs;       /* cfgcli_input calls */
	unsigned long rx_other_src;  /* from another address: ignored */
	unsigned long rx_malformed;  /* bad opcode, or the status opcode with a wrong length */
	unsigned long rx_unexpected; /* not the outstanding request's status opcode, or nothing outstanding */
	unsigned long rx_unmatched;  /* its status opcode but other parameters */
	unsigned long completed;     /* requests reported through ops->done */
};

struct cfgcli_entry {
	struct cfgcli_req req;
	uint8_t pdu[CFG_MAX_REQ_PDU];
	uint8_t len;
};

struct cfgcli {
	uint16_t dst; /* the node's primary element address */
	const struct cfgcli_ops *ops;
	void *ctx;
	uint32_t retransmit_ms;
	uint32_t timeout_ms;

	struct cfgcli_entry queue[CFGCLI_QUEUE_LEN]; /* a ring; queue[head] is the oldest */
	unsigned head, count;
	bool outstanding; /* queue[head] is being sent */
	bool sent;        /* ... and ops->send has taken it */
	uint64_t retx_at, timeout_at;
	unsigned depth;   /* nesting of ops->done calls */

	struct cfgcli_stats stats;
};

/* dst: the node's primary element address (unicast). */
void cfgcli_init(struct cfgcli *cli, uint16_t dst, const struct cfgcli_ops *ops, void *ctx);

/* Retransmission interval and timeout in ms. Requests started from now on
 * use both; an outstanding one keeps its timeout and its next retransmission
 * time. 0, or -EINVAL when either is 0. */
int cfgcli_set_timing(struct cfgcli *cli, uint32_t retransmit_ms, uint32_t timeout_ms);

/* Queue a request (sent at once when nothing is outstanding). 0; -EINVAL
 * when its fields are out of range (cfgmsg.h builders: key indexes over
 * 0xfff, element not unicast, not a group address, vendor CID 0xffff,
 * unknown kind); -ENOSPC when CFGCLI_QUEUE_LEN requests are waiting. */
int cfgcli_enqueue(struct cfgcli *cli, uint64_t now, const struct cfgcli_req *req);

/* Every access payload from the node (already decrypted with its device
 * key). True when it completed the outstanding request. */
bool cfgcli_input(struct cfgcli *cli, uint64_t now, uint16_t src, const uint8_t *access_pdu, size_t len);

uint64_t cfgcli_next_deadline(const struct cfgcli *cli);
void cfgcli_tick(struct cfgcli *cli, uint64_t now);

/* End every request queued now, the outstanding one first, with -ECANCELED. */
void cfgcli_cancel_all(struct cfgcli *cli, uint64_t now);

/* Requests queued, the outstanding one included. */
unsigned cfgcli_pending(const struct cfgcli *cli);

/* The access payload a request is sent as: its length, or -EINVAL. */
int cfgcli_build_req(const struct cfgcli_req *req, uint8_t *out, size_t outmax);

#endif
