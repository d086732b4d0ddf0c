/* PB-ADV: the Generic Provisioning layer over the advertising bearer (Mesh
 * Profile 1.0.1 §5.2, §5.3; AD type 0x29). A pure core, one struct per link:
 * AD payloads and time in (pb_adv_input, pb_adv_tick), AD payloads and
 * callbacks out (struct pb_adv_ops), a deadline out (pb_adv_next_deadline).
 * No allocation, no globals; several links may run side by side (each one
 * ignores payloads carrying another LinkID).
 *
 * One AD payload: LinkID (4, BE) || Transaction Number (1) || Generic
 * Provisioning PDU (GPCF in the low 2 bits of its first octet):
 *   0 Transaction Start         SegN<<2 | 0, TotalLength (2, BE), FCS, data
 *   1 Transaction Acknowledgment 0x01
 *   2 Transaction Continuation  SegIndex<<2 | 2, data
 *   3 Bearer Control            Opcode<<2 | 3: Link Open (+UUID 16),
 *                               Link ACK, Link Close (+Reason 1)
 *
 * Timing (all in milliseconds of the caller's clock):
 *   - Link Open is repeated every PB_ADV_RETRANSMIT_MS until Link ACK; after
 *     PB_ADV_LINK_TIMEOUT_MS without it the link closes (reason Timeout,
 *     by_peer false; no Link Close is sent since the device never answered).
 *   - A transaction is sent whole, then repeated whole every
 *     PB_ADV_RETRANSMIT_MS until acknowledged (explicitly, or implicitly by
 *     the peer's next transaction arriving complete). After
 *     PB_ADV_TRANSACTION_TIMEOUT_MS without acknowledgment the link is closed
 *     with reason Timeout as by pb_adv_close().
 *   - Closing sends Link Close PB_ADV_CLOSE_COUNT times: the first at once,
 *     the next ones PB_ADV_CLOSE_INTERVAL_MS apart from pb_adv_tick(); the
 *     closed callback fires right after the last one. While closing, the link
 *     ignores its input and refuses to send.
 *
 * Receiving: the peer's transactions must be numbered in sequence (its first
 * is 0x80 from a device, 0x00 from a provisioner; then +1 within its half).
 * The next one is reassembled (segments in any order, duplicates dropped,
 * Continuations before their Start kept and checked against it when it
 * comes), its FCS checked (mismatch: dropped whole, no ack), then it is
 * acknowledged and delivered once. A repeat of the last delivered one is
 * acknowledged again on its Start segment (its Continuations are ignored);
 * any other number is ignored. A delivered transaction also acknowledges our
 * outstanding one (ops->acked first, then ops->receive).
 *
 * Transmission times (ops->tx_done set): the owner's bearer queues the
 * payloads, and a queue can hold them for a while. Each payload that a timer
 * counts from (Link Open, a transaction's last segment, Link Close) and each
 * Transaction ACK goes to ops->send with PB_ADV_SEND_NOTIFY and a cookie;
 * the owner calls pb_adv_tx_done() with that cookie once its transmissions
 * are over. The timers then count from there, not from the queueing: the
 * next Link Open or transaction repeat PB_ADV_RETRANSMIT_MS after the last
 * one left, the link establishment and transaction timeouts from the first
 * one's tx-done, the next Link Close at the last one's tx-done but not
 * before PB_ADV_CLOSE_INTERVAL_MS after it was handed over. A tx-done that never comes is assumed after PB_ADV_TX_DONE_MAX_MS.
 * Without ops->tx_done the timers count from ops->send.
 * Transaction ACKs and Link Close go with PB_ADV_SEND_PRIO. A repeat of the
 * peer's last transaction is not acknowledged again while our ACK of it is
 * still queued or on the air (at most PB_ADV_ACK_HOLD_MAX_MS), nor within
 * PB_ADV_ACK_HOLDOFF_MS after.
 *
 * Callbacks may call back into the same link (send from receive or acked,
 * close from anywhere, open or listen again from closed). ops->send must not:
 * it is called while the link is between states; queue the payload instead.
 */
#ifndef MESHPROV_PB_ADV_H
#define MESHPROV_PB_ADV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest provisioning PDU accepted or sent (Public Key is 65 octets). */
#define PB_ADV_MAX_PDU 66
/* One PB-ADV AD payload fits in advertising data: 31 - length - type. */
#define PB_ADV_MAX_PAYLOAD 29
/* PDU octets in the Transaction Start segment and in each Continuation. */
#define PB_ADV_START_MAX 20
#define PB_ADV_CONT_MAX 23
/* Segments of a PB_ADV_MAX_PDU octet PDU (SegN + 1). */
#define PB_ADV_MAX_SEGS (1 + (PB_ADV_MAX_PDU - PB_ADV_START_MAX + PB_ADV_CONT_MAX - 1) / PB_ADV_CONT_MAX)

#define PB_ADV_RETRANSMIT_MS 500
#define PB_ADV_TRANSACTION_TIMEOUT_MS 30000
#define PB_ADV_LINK_TIMEOUT_MS 60000
#define PB_ADV_CLOSE_COUNT 3
#define PB_ADV_CLOSE_INTERVAL_MS 100
/* a repeat of the peer's last transaction within this long after our ACK
 * of it left is not acknowledged again */
#define PB_ADV_ACK_HOLDOFF_MS 100
/* ... nor while it is queued or on the air, up to this long (its tx-done
 * may have been lost) */
#define PB_ADV_ACK_HOLD_MAX_MS 2000
/* a payload's tx-done not reported within this long is taken as done */
#define PB_ADV_TX_DONE_MAX_MS 30000

/* ops->send flags */
#define PB_ADV_SEND_PRIO 0x01   /* Transaction ACK, Link Close: before other PDUs */
#define PB_ADV_SEND_NOTIFY 0x02 /* report its end with pb_adv_tx_done(cookie) */

/* Generic Provisioning Control Format. */
#define PB_ADV_GPCF_START 0
#define PB_ADV_GPCF_ACK 1
#define PB_ADV_GPCF_CONT 2
#define PB_ADV_GPCF_CONTROL 3

/* Bearer opcodes. */
#define PB_ADV_LINK_OPEN 0
#define PB_ADV_LINK_ACK 1
#define PB_ADV_LINK_CLOSE 2

/* Link Close reasons. */
#define PB_ADV_CLOSE_SUCCESS 0
#define PB_ADV_CLOSE_TIMEOUT 1
#define PB_ADV_CLOSE_FAIL 2

enum pb_adv_role {
	PB_ADV_PROVISIONER, /* opens links; transaction numbers 0x00-0x7f */
	PB_ADV_DEVICE,      /* accepts one Link Open; transaction numbers 0x80-0xff */
};

enum pb_adv_state {
	PB_ADV_IDLE,      /* no link */
	PB_ADV_LISTENING, /* device: waiting for a Link Open with our UUID */
	PB_ADV_OPENING,   /* provisioner: Link Open sent, waiting for Link ACK */
	PB_ADV_OPEN,
	PB_ADV_CLOSING,   /* sending Link Close */
};

struct pb_adv_ops {
	/* one PB-ADV AD payload (without AD length and type), len <= 29, with
	 * PB_ADV_SEND_* flags and, for PB_ADV_SEND_NOTIFY, the cookie to give
	 * pb_adv_tx_done. 0, or negative when it could not be queued (the
	 * link's retransmission covers it) */
	int (*send)(void *ctx, const uint8_t *ad_payload, size_t len, unsigned flags,
		    uint32_t cookie);
	/* link established (provisioner: Link ACK received; device: Link Open accepted) */
	void (*opened)(void *ctx);
	/* one whole provisioning PDU from the peer, delivered once per transaction */
	void (*receive)(void *ctx, const uint8_t *pdu, size_t len);
	/* our outstanding transaction was acknowledged: pb_adv_send() may be called */
	void (*acked)(void *ctx);
	/* the link is gone: by_peer with the peer's Link Close reason, else our
	 * own close (pb_adv_close's reason, or PB_ADV_CLOSE_TIMEOUT) */
	void (*closed)(void *ctx, uint8_t reason, bool by_peer);
	/* the owner reports tx-done (see Transmission times above) */
	bool tx_done;
};

struct pb_adv_stats {
	unsigned long rx_payloads;   /* AD payloads given to pb_adv_input */
	unsigned long rx_short;      /* shorter than their format needs: ignored */
	unsigned long rx_invalid;    /* malformed (lengths, SegN, opcode, index): ignored */
	unsigned long rx_ignored;    /* not for this link: other LinkID or UUID,
	                              * wrong state or role, unexpected number */
	unsigned long rx_duplicates; /* segments or transactions seen before */
	unsigned long rx_fcs_errors; /* reassembled PDUs dropped for a bad FCS */
	unsigned long rx_delivered;  /* PDUs given to ops->receive */
	unsigned long tx_payloads;   /* ops->send calls */
	unsigned long tx_repeats;    /* Link Open or transaction retransmissions */
	unsigned long tx_acks_held;  /* Transaction ACKs not repeated (see above) */
};

struct pb_adv_link {
	enum pb_adv_role role;
	const struct pb_adv_ops *ops;
	void *ctx;
	enum pb_adv_state state;
	uint32_t link_id;
	uint8_t uuid[16];
	uint64_t link_deadline; /* OPENING: link establishment timeout */
	uint64_t retx_at;       /* OPENING: next Link Open; OPEN: next repeat */

	/* our transactions */
	uint8_t tx_next;        /* number of the next new transaction */
	uint8_t tx_xact;        /* number of the outstanding one */
	bool tx_busy;
	uint8_t tx_pdu[PB_ADV_MAX_PDU];
	size_t tx_len;
	uint64_t tx_deadline;   /* transaction timeout */

	/* the peer's transactions */
	uint8_t rx_expect;      /* number of the next new transaction */
	bool rx_have_last;
	uint8_t rx_last;        /* number of the last delivered one */
	bool rx_have_start;
	uint16_t rx_total;
	uint8_t rx_segn;
	uint8_t rx_fcs;
	uint64_t rx_mask;       /* segments received (bit = segment index) */
	uint8_t rx_seg_len[PB_ADV_MAX_SEGS];
	uint8_t rx_buf[PB_ADV_MAX_PDU];

	/* tx-done: the payload the running timer waits for */
	uint32_t tx_seq;        /* cookies: sequence << 3 | kind */
	bool wait_tx;
	uint32_t wait_cookie;
	uint64_t wait_until;    /* assumed done then */
	bool ack_on_air;        /* our last ACK is queued or on the air */
	bool ack_sent;
	uint8_t ack_xact;       /* ... of the peer's transaction */
	uint32_t ack_cookie;
	uint64_t ack_until;     /* no repeat before */

	/* closing */
	uint8_t close_reason;
	unsigned close_left;
	uint64_t close_at;
	uint64_t close_sent;    /* when the last Link Close was handed over */

	struct pb_adv_stats stats;
};

/* 3GPP TS 27.010 FCS (reflected CRC-8, polynomial 0x07 reflected = 0xe0,
 * init 0xff, result 0xff - crc) over a whole provisioning PDU. */
uint8_t pb_adv_fcs(const uint8_t *data, size_t len);

/* The LinkID of a PB-ADV AD payload, for dispatching among links. False when
 * the payload is too short to carry one. */
bool pb_adv_peek_link_id(const uint8_t *data, size_t len, uint32_t *link_id);

void pb_adv_init(struct pb_adv_link *l, enum pb_adv_role role, const struct pb_adv_ops *ops, void *ctx);

/* Provisioner: open a link to the device with this UUID. Sends Link Open at
 * once. 0, -EINVAL (not a provisioner link), -EBUSY (link not idle). */
int pb_adv_open(struct pb_adv_link *l, uint64_t now, uint32_t link_id, const uint8_t uuid[16]);

/* Device: accept the next Link Open carrying this UUID (any LinkID). 0,
 * -EINVAL (not a device link), -EBUSY (link not idle). After the link closes
 * the device does not listen again unless told to (e.g. from ops->closed). */
int pb_adv_listen(struct pb_adv_link *l, const uint8_t uuid[16]);

/* Send one provisioning PDU as a new transaction. 0, -EINVAL (empty),
 * -EMSGSIZE (over PB_ADV_MAX_PDU), -ENOTCONN (link not open), -EBUSY (the
 * previous transaction is not acknowledged yet). */
int pb_adv_send(struct pb_adv_link *l, uint64_t now, const uint8_t *pdu, size_t len);

/* Close the link with this Link Close reason (see the timing above); the
 * closed callback follows with by_peer false. A listening device just stops
 * listening (no callback); on an idle or closing link this does nothing. */
void pb_adv_close(struct pb_adv_link *l, uint64_t now, uint8_t reason);

/* The payload sent with PB_ADV_SEND_NOTIFY and this cookie is off the air
 * (or was given up). Cookies of other links or of the past are ignored. */
void pb_adv_tx_done(struct pb_adv_link *l, uint64_t now, uint32_t cookie);

/* One PB-ADV AD payload from the air (AD type 0x29, without length and type). */
void pb_adv_input(struct pb_adv_link *l, uint64_t now, const uint8_t *data, size_t len);

uint64_t pb_adv_next_deadline(const struct pb_adv_link *l);
void pb_adv_tick(struct pb_adv_link *l, uint64_t now);

bool pb_adv_is_open(const struct pb_adv_link *l);

#endif
