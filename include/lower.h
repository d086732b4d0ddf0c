/* Lower transport layer (Mesh Profile 1.0.1 §3.5): segmentation,
 * reassembly and Segment Acknowledgments. A pure core, one struct per local
 * node (or provisioner): whole upper transport PDUs and lower transport PDUs
 * in (lower_send, lower_input), lower transport PDUs and whole upper
 * transport PDUs out through callbacks (struct lower_ops), time in
 * (lower_tick), a deadline out (lower_next_deadline). No allocation, no
 * globals; every slot is in struct lower.
 *
 * Lower transport PDU formats (the first octet's top bit is SEG):
 *   unsegmented access   0|AKF|AID(6)        upper PDU, 5..15 octets
 *   segmented access     1|AKF|AID(6)        SZMIC|SeqZero(13)|SegO(5)|SegN(5) (3, BE)  1..12 octets
 *   unsegmented control  0|Opcode(7)         parameters, 0..11 octets
 *   segmented control    1|Opcode(7)         RFU|SeqZero|SegO|SegN (3, BE)              1..8 octets
 *   Segment Ack          0|0000000           OBO|SeqZero(13)|RFU(2) (2, BE) BlockAck (4, BE; bit n = segment n)
 * Segments other than the last carry exactly 12 (access) or 8 (control)
 * octets; at most 32 segments: 384 octets of upper access PDU, 256 of
 * control.
 *
 * Sending (lower_send): the first network PDU of a message carries
 * m->seq_auth as its SEQ; every further one, first transmissions and
 * retransmissions alike, a fresh SEQ from ops->alloc_seq. A message goes
 * unsegmented when it fits (access: len <= 15 and !szmic; control: len <= 11)
 * unless force_seg; it is then handed to ops->send at once and not tracked
 * (no handle, no tx_done). Otherwise it takes a TX slot and all its segments
 * are sent at once:
 *   - unicast DST: the segment transmission timer is LOWER_SEG_TX_BASE_MS +
 *     LOWER_SEG_TX_TTL_MS * TTL. On expiry the unacknowledged segments are
 *     sent again, up to LOWER_TX_RETRIES times; when the timer expires after
 *     the last of them, tx_done(-ETIMEDOUT). A Segment Ack from the DST (or,
 *     with OBO set, from any node: a Friend acking for its Low Power node)
 *     to our SRC with our SeqZero marks segments acknowledged. All of them:
 *     tx_done(0). Some new ones but not all: the rest are sent again at once,
 *     the timer restarts and the retry budget is full again (progress).
 *     Nothing new: ignored. BlockAck 0: the receiver refuses the message,
 *     tx_done(-ECANCELED). An ack with bits past SegN is ignored (counted).
 *   - group or virtual DST: no acknowledgments; all segments are sent
 *     LOWER_GROUP_SENDS times, LOWER_GROUP_INTERVAL_MS apart, then tx_done(0).
 *   - should alloc_seq run more than 8191 past SeqAuth (SeqZero could no
 *     longer name the message) or out of 24 bits, the message stops:
 *     tx_done(-EOVERFLOW), at the next lower_tick when lower_send met it.
 * Only one segmented message at a time between a SRC and a DST (Mesh Profile
 * §3.5.3.3): another one is refused with -EBUSY until tx_done.
 *
 * Receiving (lower_input, one lower transport PDU already authenticated and
 * de-duplicated by the network layer): messages to a unicast DST that is not
 * ours are ignored; group and virtual DSTs are accepted unless ops->addr says
 * otherwise. Unsegmented messages are delivered at once (Segment Acks for our
 * messages are consumed here). Segmented ones are reassembled in one of
 * LOWER_RX_SLOTS slots, one per source: SeqAuth = SEQ - ((SEQ - SeqZero) &
 * 0x1fff) (with the PDU's IV Index); segments in any order, duplicates
 * ignored; a segment that disagrees with its message (header octet, SZMIC,
 * SegN, DST, segment length) is dropped. Per source the newest SeqAuth is
 * remembered (LOWER_PEERS records, least recently used replaced): a segment
 * of an older SeqAuth is ignored; a newer one replaces an incomplete message
 * from that source. Timers:
 *   - acknowledgment timer (unicast DST only): started by a segment when not
 *     running, LOWER_ACK_BASE_MS + LOWER_ACK_TTL_MS * the segment's TTL; on
 *     expiry a Segment Ack with the segments received so far.
 *   - incomplete timer: LOWER_INCOMPLETE_MS, restarted by each new segment;
 *     on expiry the message is discarded and later segments of that SeqAuth
 *     are ignored.
 * A complete message is acknowledged at once (unicast DST), then delivered
 * once (ops->receive); its segments arriving again are acknowledged again
 * with every bit set (unicast; Mesh Profile §3.5.3.4: its SeqAuth is kept
 * for that, as long as it is the source's newest) but not delivered. A new message when all slots are busy is
 * dropped (counted) and, to a unicast DST, answered with BlockAck 0 so that
 * the sender gives up at once. Segment Acks go from the message's DST (from
 * our primary address when acking on behalf of a Low Power node, OBO 1) to
 * its SRC, with TTL 0 when the segment came with TTL 0, else cfg.ack_ttl.
 *
 * Callbacks: ops->receive and ops->tx_done may call lower_send and
 * lower_cancel; ops->send and ops->alloc_seq must not call into the lower
 * layer, and nothing may call lower_input or lower_tick from a callback (a
 * loopback network layer queues instead).
 */
#ifndef MESHPROV_LOWER_H
#define MESHPROV_LOWER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Slots and records in struct lower. */
/* One segmented message at a time per SRC/DST pair: the daemon configures up
 * to 2 x CONF_MAX_SESSIONS nodes at once (each provisioning session's node,
 * each configuration session's), each with one outgoing and one incoming
 * segmented message in flight; fewer slots made Config AppKey Add wait for
 * a slot until its timeout when many nodes were configured at once. */
#define LOWER_TX_SLOTS 64
#define LOWER_RX_SLOTS 64
#define LOWER_PEERS 96 /* sources whose last SeqAuth is remembered (> LOWER_RX_SLOTS) */

/* PDU sizes. */
#define LOWER_MAX_SEGS 32
#define LOWER_SEG_ACCESS 12   /* upper PDU octets per access segment */
#define LOWER_SEG_CONTROL 8   /* per control segment */
#define LOWER_UNSEG_ACCESS 15 /* upper access PDU (with its 32-bit TransMIC) unsegmented */
#define LOWER_UNSEG_CONTROL 11
#define LOWER_MAX_ACCESS (LOWER_MAX_SEGS * LOWER_SEG_ACCESS)   /* 384 */
#define LOWER_MAX_CONTROL (LOWER_MAX_SEGS * LOWER_SEG_CONTROL) /* 256 */
#define LOWER_MAX_PDU 16  /* the longest lower transport PDU (segmented access) */
#define LOWER_ACK_LEN 7   /* a Segment Ack PDU */
#define LOWER_OP_ACK 0x00 /* control opcode of the Segment Ack */

/* Timing, in milliseconds of the caller's clock. */
#define LOWER_SEG_TX_BASE_MS 200
#define LOWER_SEG_TX_TTL_MS 50
#define LOWER_TX_RETRIES 4
#define LOWER_GROUP_SENDS 3
#define LOWER_GROUP_INTERVAL_MS 50
#define LOWER_ACK_BASE_MS 150
#define LOWER_ACK_TTL_MS 50
#define LOWER_INCOMPLETE_MS 10000
/* After a message to a unicast DST of ours completes, its sender may not
 * have heard our Segment Ack and retransmit (Mesh Profile §3.5.3.3: its
 * segment transmission timer is at least 200 + 50 * TTL ms, implementations
 * wait longer, e.g. 400 + 50 * TTL): each segment of it again is acked
 * again, and the sender is expected quiet LOWER_REACK_BASE_MS +
 * LOWER_REACK_TTL_MS * TTL after the last one (lower_quiet_deadline). */
#define LOWER_REACK_BASE_MS 500
#define LOWER_REACK_TTL_MS 100

/* Default cfg.ack_ttl. */
#define LOWER_DEFAULT_TTL 7

/* lower_send's *handle for an unsegmented message (not tracked). */
#define LOWER_NO_HANDLE 0u

/* Whether a DST is ours (ops->addr, or the configured unicast range). */
enum lower_addr {
	LOWER_ADDR_OTHER = 0, /* not for us: ignored */
	LOWER_ADDR_OURS,      /* an element of ours, or a group/virtual address we take */
	LOWER_ADDR_OBO,       /* a Low Power node we are Friend of: received and acked
	                       * on its behalf (OBO 1, from cfg.unicast) */
};

/* A whole upper transport PDU, in or out. */
struct lower_msg {
	bool ctl;
	uint8_t opcode; /* control: 1..0x7f (0 is the Segment Ack, this layer's own) */
	bool akf;       /* access: application key flag, AID (0 when !akf) and SZMIC */
	uint8_t aid;
	bool szmic;
	uint16_t src, dst;
	uint8_t ttl;       /* out: TTL to send with; in: TTL of the (first) segment received */
	uint32_t seq_auth; /* 24-bit SEQ of SeqAuth: the SEQ of the first network PDU */
	uint32_t iv_index; /* in: the IV Index the PDU came with; out: not used */
	const uint8_t *data;
	size_t len;
};

struct lower_ops {
	/* a fresh SEQ (24 bits) for each network PDU after the first of a message,
	 * and for each Segment Ack */
	uint32_t (*alloc_seq)(void *ctx);
	/* one lower transport PDU for the network layer: ctl, ttl, seq, src, dst as given */
	void (*send)(void *ctx, bool ctl, uint8_t ttl, uint32_t seq, uint16_t src, uint16_t dst, const uint8_t *pdu,
		     size_t len);
	/* a complete incoming upper transport PDU (m->data valid during the call only) */
	void (*receive)(void *ctx, const struct lower_msg *m);
	/* a segmented message is finished: 0 acknowledged (unicast) or sent
	 * (group), -ETIMEDOUT, -ECANCELED (BlockAck 0), -EOVERFLOW (SEQ) */
	void (*tx_done)(void *ctx, unsigned handle, int status);
	/* optional: whether dst is ours (enum lower_addr). NULL: unicast
	 * addresses in [cfg.unicast, cfg.unicast + cfg.elements) are ours, every
	 * group and virtual address is taken. */
	enum lower_addr (*addr)(void *ctx, uint16_t dst);
};

struct lower_config {
	uint16_t unicast; /* primary element address (OBO acks come from it) */
	uint8_t elements; /* our unicast range; 0 counts as 1 */
	uint8_t ack_ttl;  /* TTL of our Segment Acks (0..127), e.g. LOWER_DEFAULT_TTL */
	/* the caller reports each PDU handed to ops->send once it is off the air
	 * (lower_tx_sent): see there */
	bool tx_reports;
};

struct lower_stats {
	unsigned long rx_pdus;          /* lower_input calls */
	unsigned long rx_short;         /* shorter than their format: ignored */
	unsigned long rx_invalid;       /* malformed: too long, SegO > SegN, SRC not unicast, DST 0,
	                                 * a single segment shorter than its TransMIC, SeqAuth before 0,
	                                 * Segment Ack bits past SegN */
	unsigned long rx_not_ours;      /* DST not ours */
	unsigned long rx_old;           /* segments of a SeqAuth older than the source's last, or discarded */
	unsigned long rx_inconsistent;  /* segments that disagree with their message */
	unsigned long rx_duplicates;    /* segments received before (also of completed messages) */
	unsigned long rx_no_slot;       /* segments of new messages dropped: every RX slot busy */
	unsigned long rx_superseded;    /* incomplete messages dropped for a newer SeqAuth from the source */
	unsigned long rx_incomplete;    /* incomplete messages discarded by the incomplete timer */
	unsigned long rx_delivered;     /* ops->receive calls */
	unsigned long rx_acks;          /* Segment Acks that matched one of our messages */
	unsigned long rx_acks_ignored;  /* Segment Acks for no message of ours */
	unsigned long tx_pdus;          /* ops->send calls */
	unsigned long tx_segments;      /* segments sent, retransmissions included */
	unsigned long tx_retransmitted; /* segments sent again */
	unsigned long tx_acks;          /* Segment Acks sent */
};

struct lower_tx {
	bool busy;
	bool group;        /* DST not unicast: repeated, never acked */
	bool failed;       /* SEQ ran out: tx_done(-EOVERFLOW) at the next tick */
	unsigned handle;
	bool ctl;
	uint8_t hdr;       /* first octet: SEG|AKF|AID or SEG|opcode */
	bool szmic;
	uint16_t src, dst;
	uint8_t ttl;
	uint32_t seq_auth;
	uint8_t segn;
	uint32_t acked;    /* bit n: segment n acknowledged */
	unsigned left;     /* unicast: retransmissions left; group: sends left */
	uint64_t deadline;
	/* tx_reports: the round's timer starts when PDU number wait_pdu is off the air */
	bool waiting;
	unsigned long wait_pdu;
	uint64_t interval;
	size_t len;
	uint8_t pdu[LOWER_MAX_ACCESS];
};

struct lower_rx {
	bool busy;
	bool unicast;      /* DST unicast: acknowledged */
	bool obo;
	bool ctl;
	uint8_t hdr;
	bool szmic;
	uint16_t src, dst;
	uint8_t ttl;       /* of the first segment received */
	uint8_t ack_ttl;   /* TTL of our acks */
	uint32_t iv_index;
	uint32_t seq_auth;
	uint8_t segn;
	uint32_t received; /* bit n: segment n */
	size_t last_len;   /* octets in segment SegN, once received */
	uint64_t ack_at;   /* acknowledgment timer, or NO_DEADLINE */
	uint64_t discard_at;
	uint8_t buf[LOWER_MAX_ACCESS];
};

enum lower_peer_state {
	LOWER_PEER_RX,        /* its last SeqAuth is being reassembled */
	LOWER_PEER_DONE,      /* ... was delivered */
	LOWER_PEER_DISCARDED, /* ... was given up (incomplete timer, or superseded) */
};

struct lower_peer {
	bool used;
	uint16_t src;
	uint64_t seq_auth;  /* IV Index << 24 | SEQ */
	enum lower_peer_state state;
	/* DONE: to acknowledge its segments again */
	bool unicast, obo;
	uint16_t dst;
	uint32_t block;
	uint64_t quiet_at;   /* DONE, unicast: the sender may retransmit until then */
	unsigned long ack_pdu; /* DONE, tx_reports: the number of our last ack to it */
	unsigned long stamp; /* last use, for replacement */
};

struct lower {
	struct lower_config cfg;
	const struct lower_ops *ops;
	void *ctx;
	unsigned next_handle;
	unsigned long stamp;
	unsigned long emitted;  /* ops->send calls */
	unsigned long reported; /* lower_tx_sent calls */
	struct lower_tx tx[LOWER_TX_SLOTS];
	struct lower_rx rx[LOWER_RX_SLOTS];
	struct lower_peer peers[LOWER_PEERS];
	struct lower_stats stats;
};

void lower_init(struct lower *l, const struct lower_config *cfg, const struct lower_ops *ops, void *ctx);

/* Send a whole upper transport PDU (see above). *handle (may be NULL) gets
 * the message's handle for tx_done, or LOWER_NO_HANDLE when it went out
 * unsegmented. 0; -EINVAL (NULL m or data with len, opcode 0 or over 0x7f,
 * AID over 0x3f or set without AKF, SZMIC on a control message, an access PDU
 * no longer than its TransMIC, an empty segmented control message, TTL over
 * 127, seq_auth over 24 bits, SRC not unicast, DST 0); -EMSGSIZE (over 384
 * octets access, 256 control); -EBUSY (no free TX slot, or a segmented
 * message from this SRC to this DST is still going). */
int lower_send(struct lower *l, uint64_t now, const struct lower_msg *m, bool force_seg, unsigned *handle);

/* Stop a segmented message without a tx_done callback. 0, or -ENOENT. */
int lower_cancel(struct lower *l, unsigned handle);

/* One lower transport PDU from the network layer (already authenticated). */
void lower_input(struct lower *l, uint64_t now, bool ctl, uint8_t ttl, uint32_t seq, uint16_t src, uint16_t dst,
		 uint32_t iv_index, const uint8_t *pdu, size_t len);

/* With cfg.tx_reports: one PDU handed to ops->send is off the air (or was
 * dropped before it), each exactly once, in any order. A transmitting queue
 * may hold our PDUs for long; so that queueing delay is not taken for a lost
 * PDU, (1) a segmented message's segment transmission timer (and a group
 * message's interval) starts only when as many PDUs are reported as were
 * handed over up to the end of its round, or after LOWER_TX_WAIT_MAX_MS at
 * the latest, and (2) a segment of a completed message arriving again is
 * acked again only once our previous ack to its sender has been reported.
 * Without it, timers start at ops->send and every such segment is acked. */
#define LOWER_TX_WAIT_MAX_MS 10000
void lower_tx_sent(struct lower *l, uint64_t now);

/* The earliest timer, or NO_DEADLINE (util.h). */
uint64_t lower_next_deadline(const struct lower *l);

/* When the layer has nothing more to do for anyone, for a participant about
 * to go away (a command-line run): NO_DEADLINE while a segmented message of
 * ours is still going (acknowledged or given up at a timer of
 * lower_next_deadline) or one is being reassembled; otherwise the time
 * from which no sender of a message we completed is expected to retransmit
 * it for want of our Segment Ack (the last segment of it acked, plus
 * LOWER_REACK_BASE_MS + LOWER_REACK_TTL_MS * its TTL), which may be in the
 * past (0: none ever). A segment arriving again moves it on. */
uint64_t lower_quiet_deadline(const struct lower *l);
void lower_tick(struct lower *l, uint64_t now);

/* Helpers: the Segment Ack PDU (7 octets) and the SeqAuth a segment's SEQ
 * and SeqZero name (false when it would lie before SEQ 0). */
void lower_build_ack(uint8_t pdu[LOWER_ACK_LEN], bool obo, uint16_t seq_zero, uint32_t block_ack);
bool lower_seq_auth(uint32_t seq, uint16_t seq_zero, uint32_t *seq_auth);

#endif
