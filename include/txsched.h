/* The transmit scheduler: which mesh PDU goes on the air next. A pure core
 * (no I/O, no clock, no globals) that a bearer (adv.c, mgmt.c) pops from
 * whenever it has room for a PDU (an idle advertising set, a free kernel
 * handle).
 *
 * Sources: each sender (one PB-ADV link, the local node's network messages,
 * the default source of adv_send) opens a source with its own queue of at
 * most `limit` PDUs. Sources with something queued are served round robin,
 * `weight` PDUs per turn (1 unless said), so that with K active sources of
 * weight 1 none waits more than K - 1 other PDUs between two of its own.
 * PDUs pushed with TXSCHED_PRIO (PB-ADV Transaction ACK, Link Close) go
 * before every ordinary PDU, round robin among the sources that have one.
 *
 * No silent drops: a push to a full queue returns -ENOBUFS and keeps
 * nothing; the source keeps its payload and tries again when its room
 * callback says so (raised at the next tx-done of one of its PDUs). A
 * source's limit need only cover what its protocol can have outstanding.
 *
 * tx-done: a PDU pushed with TXSCHED_NOTIFY carries a cookie; the bearer
 * hands the popped item back with txsched_done() once its transmissions are
 * over (extended advertising: LE Advertising Set Terminated; legacy: the
 * host's end timer; mgmt: the last Mesh Packet Complete; also when the
 * bearer gave up on it), and the source's tx_done(ctx, cookie) follows.
 *
 * Closing a source stops its callbacks at once; what it still has queued
 * is sent (a last Link Close must not be lost) and its slot is reused once
 * that is drained. */
#ifndef MESHPROV_TXSCHED_H
#define MESHPROV_TXSCHED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Advertising data holds 31 octets: length, type and at most 29 of payload. */
#define TXSCHED_MAX_PAYLOAD 29
/* Sources open at once: up to 32 links, the local node, the default one. */
#define TXSCHED_MAX_SOURCES 40
/* PDU slots shared by all queues; the limits of open sources never add up
 * to more, so a push is refused only by its own source's limit. */
#define TXSCHED_POOL 512

/* txsched_push flags */
#define TXSCHED_PRIO 0x01   /* before every ordinary PDU */
#define TXSCHED_NOTIFY 0x02 /* raise tx_done(cookie) when its transmissions are over */

struct txsched_src_ops {
	/* a PDU pushed with TXSCHED_NOTIFY is off the air */
	void (*tx_done)(void *ctx, uint32_t cookie);
	/* a push was refused (-ENOBUFS) and the queue has room again */
	void (*room)(void *ctx);
};

/* A PDU as the bearer pops it (and hands it back to txsched_done). */
struct txsched_item {
	uint8_t ad_type;
	uint8_t len;
	uint8_t flags;
	uint8_t data[TXSCHED_MAX_PAYLOAD];
	uint16_t src;
	uint32_t gen;   /* the source's generation when pushed */
	uint32_t cookie;
};

struct txsched_slot {
	struct txsched_item item;
	int16_t next;
};

struct txsched_source {
	bool open;
	bool draining;   /* closed, with PDUs still queued */
	bool refused;    /* a push was refused: room() is owed */
	uint32_t gen;
	unsigned limit;
	unsigned weight;
	unsigned queued;
	unsigned nprio;  /* of which TXSCHED_PRIO */
	int16_t head, tail;
	const struct txsched_src_ops *ops;
	void *ctx;
	unsigned long pushed;
	unsigned long refusals;
};

struct txsched {
	struct txsched_source src[TXSCHED_MAX_SOURCES];
	struct txsched_slot pool[TXSCHED_POOL];
	int16_t free_head;
	unsigned reserved;   /* sum of the limits of open and draining sources */
	unsigned queued;     /* PDUs in all queues */
	unsigned nprio;      /* of which TXSCHED_PRIO */
	unsigned rr;         /* the source whose turn it is or was last */
	unsigned turn_left;  /* PDUs left in rr's turn */
	unsigned long popped;
	unsigned long refusals;
};

void txsched_init(struct txsched *s);

/* Open a source whose queue holds up to limit PDUs (weight: PDUs per turn,
 * 0 taken as 1; ops may be NULL). Returns its id, or -ENOSPC (no free source
 * or the limit does not fit in the pool), -EINVAL (limit 0). */
int txsched_open(struct txsched *s, unsigned limit, unsigned weight,
		 const struct txsched_src_ops *ops, void *ctx);

/* Close a source: no callbacks any more; what is queued still goes out. */
void txsched_close(struct txsched *s, unsigned src);

/* Queue a PDU. 0; -EMSGSIZE (over 29 octets), -EBADF (no such open source),
 * -ENOBUFS (the source's queue is full: back-pressure, keep the PDU and push
 * it again after room()). */
int txsched_push(struct txsched *s, unsigned src, uint8_t ad_type, const uint8_t *data,
		 size_t len, unsigned flags, uint32_t cookie);

/* The next PDU to transmit, taken out of its queue: false when none. */
bool txsched_pop(struct txsched *s, struct txsched_item *out);

/* The next PDU of at most max_len octets, in txsched_pop's order: the one
 * that fits beside another in one advertisement. A source whose next PDU
 * is longer is passed over (its later PDUs never go before that one), a
 * priority PDU that fits still goes first. False when none fits. */
bool txsched_pop_fit(struct txsched *s, size_t max_len, struct txsched_item *out);

/* Whether txsched_pop_fit(s, max_len) would find a PDU (takes nothing). */
bool txsched_can_fit(const struct txsched *s, size_t max_len);

/* The bearer is done with a popped PDU: its tx_done (when pushed with
 * TXSCHED_NOTIFY) and a room() owed follow, unless the source closed since. */
void txsched_done(struct txsched *s, const struct txsched_item *it);

/* Forget every queued PDU (the bearer is released); sources stay open. */
void txsched_flush(struct txsched *s);

/* PDUs queued in all sources, or in one. */
unsigned txsched_queued(const struct txsched *s);
unsigned txsched_src_queued(const struct txsched *s, unsigned src);

#endif
