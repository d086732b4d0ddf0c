#include "pb_adv.h"

#include <errno.h>
#include <string.h>

#include "util.h"

/* Octets before the Generic Provisioning PDU: LinkID and Transaction Number. */
#define HDR_LEN 5
/* Transaction Start header: GPC octet, TotalLength, FCS. */
#define START_HDR_LEN (HDR_LEN + 4)
#define CONT_HDR_LEN (HDR_LEN + 1)
#define OPEN_LEN (HDR_LEN + 1 + 16)
#define ACK_LEN (HDR_LEN + 1)
#define CLOSE_LEN (HDR_LEN + 2)

/* What a cookie's payload was (its low 3 bits). */
enum { TX_OPEN = 1, TX_XACT, TX_ACK, TX_CLOSE };

uint8_t pb_adv_fcs(const uint8_t *data, size_t len)
{
	uint8_t fcs = 0xff;

	for (size_t i = 0; i < len; i++) {
		fcs ^= data[i];
		for (int b = 0; b < 8; b++)
			fcs = (fcs & 1) ? (uint8_t)(fcs >> 1 ^ 0xe0) : (uint8_t)(fcs >> 1);
	}
	return (uint8_t)(0xff - fcs);
}

bool pb_adv_peek_link_id(const uint8_t *data, size_t len, uint32_t *link_id)
{
	if (len < 4)
		return false;
	*link_id = get_be32(data);
	return true;
}

/* ---- segmentation arithmetic ---- */

static unsigned segn_for(size_t total)
{
	return total <= PB_ADV_START_MAX ? 0 : 1 + (unsigned)((total - PB_ADV_START_MAX - 1) / PB_ADV_CONT_MAX);
}

static size_t seg_off(unsigned idx)
{
	return idx == 0 ? 0 : PB_ADV_START_MAX + (size_t)(idx - 1) * PB_ADV_CONT_MAX;
}

/* PDU octets in segment idx of a total-octet PDU (idx <= segn_for(total)). */
static size_t seg_len(size_t total, unsigned idx)
{
	size_t rest = total - seg_off(idx);
	size_t max = idx == 0 ? PB_ADV_START_MAX : PB_ADV_CONT_MAX;

	return rest < max ? rest : max;
}

/* Next transaction number within the same half: 0x7f -> 0x00, 0xff -> 0x80. */
static uint8_t xact_next(uint8_t x)
{
	return (uint8_t)((x & 0x80) | ((x + 1) & 0x7f));
}

static uint8_t tx_first(enum pb_adv_role role)
{
	return role == PB_ADV_PROVISIONER ? 0x00 : 0x80;
}

/* ---- output ---- */

static bool tx_done_mode(const struct pb_adv_link *l)
{
	return l->ops && l->ops->tx_done;
}

static int emit(struct pb_adv_link *l, const uint8_t *p, size_t len, unsigned flags,
		uint32_t cookie)
{
	l->stats.tx_payloads++;
	if (l->ops && l->ops->send)
		return l->ops->send(l->ctx, p, len, flags, cookie);
	return 0;
}

static uint32_t next_cookie(struct pb_adv_link *l, unsigned kind)
{
	return ++l->tx_seq << 3 | kind;
}

static void tx_done(struct pb_adv_link *l, uint64_t now, uint32_t cookie);

/* A payload a timer counts from: without tx-done reports the timer starts
 * now, else when its tx-done comes (or at once when it was not queued). */
static void emit_timed(struct pb_adv_link *l, uint64_t now, const uint8_t *p, size_t len,
		       unsigned flags, unsigned kind)
{
	uint32_t cookie = next_cookie(l, kind);

	l->wait_tx = true;
	l->wait_cookie = cookie;
	l->wait_until = now + PB_ADV_TX_DONE_MAX_MS;
	if (emit(l, p, len, flags | PB_ADV_SEND_NOTIFY, cookie) < 0 || !tx_done_mode(l))
		tx_done(l, now, cookie);
}

static size_t put_hdr(const struct pb_adv_link *l, uint8_t *p, uint8_t xact)
{
	put_be32(p, l->link_id);
	p[4] = xact;
	return HDR_LEN;
}

/* A Bearer Control PDU; kind 0: no timer counts from it. */
static void send_control(struct pb_adv_link *l, uint64_t now, uint8_t opcode, const uint8_t *param,
			 size_t plen, unsigned flags, unsigned kind)
{
	uint8_t p[PB_ADV_MAX_PAYLOAD];
	size_t n = put_hdr(l, p, 0);

	p[n++] = (uint8_t)(opcode << 2 | PB_ADV_GPCF_CONTROL);
	if (plen)
		memcpy(p + n, param, plen);
	if (kind)
		emit_timed(l, now, p, n + plen, flags, kind);
	else
		emit(l, p, n + plen, flags, 0);
}

static void send_link_open(struct pb_adv_link *l, uint64_t now)
{
	send_control(l, now, PB_ADV_LINK_OPEN, l->uuid, sizeof(l->uuid), 0, TX_OPEN);
}

static void send_ack(struct pb_adv_link *l, uint64_t now, uint8_t xact)
{
	uint8_t p[ACK_LEN];
	size_t n = put_hdr(l, p, xact);

	if (l->ack_sent && l->ack_xact == xact && now < l->ack_until) {
		/* a repeat of what our ACK, still on its way, answers */
		l->stats.tx_acks_held++;
		return;
	}
	p[n++] = PB_ADV_GPCF_ACK;
	l->ack_sent = true;
	l->ack_xact = xact;
	l->ack_cookie = next_cookie(l, TX_ACK);
	l->ack_on_air = tx_done_mode(l);
	if (emit(l, p, n, PB_ADV_SEND_PRIO | PB_ADV_SEND_NOTIFY, l->ack_cookie) < 0)
		l->ack_on_air = false;
	/* on the air: until its tx-done (then 100 ms more) */
	l->ack_until = now + (l->ack_on_air ? PB_ADV_ACK_HOLD_MAX_MS : PB_ADV_ACK_HOLDOFF_MS);
}

static void send_transaction(struct pb_adv_link *l, uint64_t now)
{
	unsigned segn = segn_for(l->tx_len);

	for (unsigned i = 0; i <= segn; i++) {
		uint8_t p[PB_ADV_MAX_PAYLOAD];
		size_t n = put_hdr(l, p, l->tx_xact);
		size_t dlen = seg_len(l->tx_len, i);

		if (i == 0) {
			p[n++] = (uint8_t)(segn << 2 | PB_ADV_GPCF_START);
			put_be16(p + n, (uint16_t)l->tx_len);
			n += 2;
			p[n++] = pb_adv_fcs(l->tx_pdu, l->tx_len);
		} else {
			p[n++] = (uint8_t)(i << 2 | PB_ADV_GPCF_CONT);
		}
		memcpy(p + n, l->tx_pdu + seg_off(i), dlen);
		if (i == segn) /* the timers count from the last segment */
			emit_timed(l, now, p, n + dlen, 0, TX_XACT);
		else
			emit(l, p, n + dlen, 0, 0);
	}
}

/* ---- state ---- */

static void rx_reset(struct pb_adv_link *l)
{
	l->rx_have_start = false;
	l->rx_total = 0;
	l->rx_segn = 0;
	l->rx_fcs = 0;
	l->rx_mask = 0;
	memset(l->rx_seg_len, 0, sizeof(l->rx_seg_len));
}

/* Fresh per-link state for a new link (statistics survive). */
static void link_reset(struct pb_adv_link *l)
{
	l->link_id = 0;
	l->link_deadline = NO_DEADLINE;
	l->retx_at = NO_DEADLINE;
	l->tx_next = tx_first(l->role);
	l->tx_xact = 0;
	l->tx_busy = false;
	l->tx_len = 0;
	l->tx_deadline = NO_DEADLINE;
	l->rx_expect = (uint8_t)(tx_first(l->role) ^ 0x80);
	l->rx_have_last = false;
	l->rx_last = 0;
	rx_reset(l);
	l->close_reason = 0;
	l->close_left = 0;
	l->close_at = NO_DEADLINE;
	l->wait_tx = false;
	l->wait_until = NO_DEADLINE;
	l->ack_on_air = false;
	l->ack_sent = false;
}

/* The link is gone: leave the state idle first, so that the callback may
 * reuse the link. Nothing may touch l after this. */
static void finish(struct pb_adv_link *l, uint8_t reason, bool by_peer)
{
	l->state = PB_ADV_IDLE;
	l->tx_busy = false;
	l->retx_at = NO_DEADLINE;
	l->link_deadline = NO_DEADLINE;
	l->tx_deadline = NO_DEADLINE;
	l->close_at = NO_DEADLINE;
	l->wait_tx = false;
	if (l->ops && l->ops->closed)
		l->ops->closed(l->ctx, reason, by_peer);
}

static void close_step(struct pb_adv_link *l, uint64_t now)
{
	uint8_t reason = l->close_reason;

	l->close_at = NO_DEADLINE; /* the next one: after this one's tx-done */
	l->close_sent = now;
	if (--l->close_left == 0) {
		/* the last: it drains from the bearer's queue after we are gone */
		send_control(l, now, PB_ADV_LINK_CLOSE, &reason, 1, PB_ADV_SEND_PRIO, 0);
		finish(l, reason, false);
		return;
	}
	send_control(l, now, PB_ADV_LINK_CLOSE, &reason, 1, PB_ADV_SEND_PRIO, TX_CLOSE);
}

static void close_start(struct pb_adv_link *l, uint64_t now, uint8_t reason)
{
	l->state = PB_ADV_CLOSING;
	l->tx_busy = false;
	l->retx_at = NO_DEADLINE;
	l->link_deadline = NO_DEADLINE;
	l->tx_deadline = NO_DEADLINE;
	l->wait_tx = false;
	l->close_reason = reason;
	l->close_left = PB_ADV_CLOSE_COUNT;
	close_step(l, now);
}

void pb_adv_init(struct pb_adv_link *l, enum pb_adv_role role, const struct pb_adv_ops *ops, void *ctx)
{
	memset(l, 0, sizeof(*l));
	l->role = role;
	l->ops = ops;
	l->ctx = ctx;
	l->state = PB_ADV_IDLE;
	link_reset(l);
}

int pb_adv_open(struct pb_adv_link *l, uint64_t now, uint32_t link_id, const uint8_t uuid[16])
{
	if (l->role != PB_ADV_PROVISIONER)
		return -EINVAL;
	if (l->state != PB_ADV_IDLE)
		return -EBUSY;
	link_reset(l);
	l->link_id = link_id;
	memcpy(l->uuid, uuid, sizeof(l->uuid));
	l->state = PB_ADV_OPENING;
	/* both from the Link Open's tx-done */
	l->link_deadline = NO_DEADLINE;
	l->retx_at = NO_DEADLINE;
	send_link_open(l, now);
	return 0;
}

int pb_adv_listen(struct pb_adv_link *l, const uint8_t uuid[16])
{
	if (l->role != PB_ADV_DEVICE)
		return -EINVAL;
	if (l->state != PB_ADV_IDLE)
		return -EBUSY;
	link_reset(l);
	memcpy(l->uuid, uuid, sizeof(l->uuid));
	l->state = PB_ADV_LISTENING;
	return 0;
}

int pb_adv_send(struct pb_adv_link *l, uint64_t now, const uint8_t *pdu, size_t len)
{
	if (len == 0)
		return -EINVAL;
	if (len > PB_ADV_MAX_PDU)
		return -EMSGSIZE;
	if (l->state != PB_ADV_OPEN)
		return -ENOTCONN;
	if (l->tx_busy)
		return -EBUSY;
	memcpy(l->tx_pdu, pdu, len);
	l->tx_len = len;
	l->tx_xact = l->tx_next;
	l->tx_next = xact_next(l->tx_next);
	l->tx_busy = true;
	/* both from the last segment's tx-done */
	l->tx_deadline = NO_DEADLINE;
	l->retx_at = NO_DEADLINE;
	send_transaction(l, now);
	return 0;
}

void pb_adv_close(struct pb_adv_link *l, uint64_t now, uint8_t reason)
{
	switch (l->state) {
	case PB_ADV_OPENING:
	case PB_ADV_OPEN:
		close_start(l, now, reason);
		break;
	case PB_ADV_LISTENING:
		l->state = PB_ADV_IDLE;
		break;
	case PB_ADV_IDLE:
	case PB_ADV_CLOSING:
		break;
	}
}

bool pb_adv_is_open(const struct pb_adv_link *l)
{
	return l->state == PB_ADV_OPEN;
}

/* The payload a timer waits for is off the air: start it. */
static void tx_done(struct pb_adv_link *l, uint64_t now, uint32_t cookie)
{
	if (!l->wait_tx || cookie != l->wait_cookie)
		return;
	l->wait_tx = false;
	l->wait_until = NO_DEADLINE;
	switch (cookie & 7) {
	case TX_OPEN:
		if (l->state != PB_ADV_OPENING)
			return;
		if (l->link_deadline == NO_DEADLINE)
			l->link_deadline = now + PB_ADV_LINK_TIMEOUT_MS;
		l->retx_at = now + PB_ADV_RETRANSMIT_MS;
		return;
	case TX_XACT:
		if (l->state != PB_ADV_OPEN || !l->tx_busy)
			return;
		if (l->tx_deadline == NO_DEADLINE)
			l->tx_deadline = now + PB_ADV_TRANSACTION_TIMEOUT_MS;
		l->retx_at = now + PB_ADV_RETRANSMIT_MS;
		return;
	case TX_CLOSE:
		if (l->state == PB_ADV_CLOSING)
			l->close_at = now > l->close_sent + PB_ADV_CLOSE_INTERVAL_MS ?
				      now : l->close_sent + PB_ADV_CLOSE_INTERVAL_MS;
		return;
	default:
		return;
	}
}

void pb_adv_tx_done(struct pb_adv_link *l, uint64_t now, uint32_t cookie)
{
	if (l->ack_on_air && cookie == l->ack_cookie) {
		l->ack_on_air = false;
		l->ack_until = now + PB_ADV_ACK_HOLDOFF_MS;
		return;
	}
	tx_done(l, now, cookie);
}

uint64_t pb_adv_next_deadline(const struct pb_adv_link *l)
{
	uint64_t wait = l->wait_tx ? l->wait_until : NO_DEADLINE;

	switch (l->state) {
	case PB_ADV_OPENING:
		return min_deadline(wait, min_deadline(l->retx_at, l->link_deadline));
	case PB_ADV_OPEN:
		return l->tx_busy ? min_deadline(wait, min_deadline(l->retx_at, l->tx_deadline)) :
				    NO_DEADLINE;
	case PB_ADV_CLOSING:
		return min_deadline(wait, l->close_at);
	case PB_ADV_IDLE:
	case PB_ADV_LISTENING:
		break;
	}
	return NO_DEADLINE;
}

void pb_adv_tick(struct pb_adv_link *l, uint64_t now)
{
	if (l->wait_tx && now >= l->wait_until) /* the report was lost */
		tx_done(l, now, l->wait_cookie);
	switch (l->state) {
	case PB_ADV_OPENING:
		if (now >= l->link_deadline) {
			finish(l, PB_ADV_CLOSE_TIMEOUT, false);
		} else if (now >= l->retx_at) {
			l->stats.tx_repeats++;
			l->retx_at = NO_DEADLINE;
			send_link_open(l, now);
		}
		break;
	case PB_ADV_OPEN:
		if (!l->tx_busy)
			break;
		if (now >= l->tx_deadline) {
			close_start(l, now, PB_ADV_CLOSE_TIMEOUT);
		} else if (now >= l->retx_at) {
			l->stats.tx_repeats++;
			l->retx_at = NO_DEADLINE;
			send_transaction(l, now);
		}
		break;
	case PB_ADV_CLOSING:
		if (now >= l->close_at)
			close_step(l, now);
		break;
	case PB_ADV_IDLE:
	case PB_ADV_LISTENING:
		break;
	}
}

/* ---- input ---- */

static void handle_control(struct pb_adv_link *l, uint64_t now, uint32_t link_id, const uint8_t *data,
			   size_t len)
{
	uint8_t opcode = data[HDR_LEN] >> 2;

	switch (opcode) {
	case PB_ADV_LINK_OPEN:
		if (len < OPEN_LEN) {
			l->stats.rx_short++;
			return;
		}
		if (len > OPEN_LEN) {
			l->stats.rx_invalid++;
			return;
		}
		if (l->role != PB_ADV_DEVICE || memcmp(data + HDR_LEN + 1, l->uuid, sizeof(l->uuid)) != 0) {
			l->stats.rx_ignored++;
			return;
		}
		if (l->state == PB_ADV_LISTENING) {
			l->link_id = link_id;
			l->state = PB_ADV_OPEN;
			send_control(l, now, PB_ADV_LINK_ACK, NULL, 0, PB_ADV_SEND_PRIO, 0);
			if (l->ops && l->ops->opened)
				l->ops->opened(l->ctx);
		} else {
			/* open, and pb_adv_input matched the LinkID: our Link ACK was lost */
			l->stats.rx_duplicates++;
			send_control(l, now, PB_ADV_LINK_ACK, NULL, 0, PB_ADV_SEND_PRIO, 0);
		}
		return;
	case PB_ADV_LINK_ACK:
		if (len > ACK_LEN) {
			l->stats.rx_invalid++;
			return;
		}
		if (l->role != PB_ADV_PROVISIONER) {
			l->stats.rx_ignored++;
		} else if (l->state == PB_ADV_OPENING) {
			l->state = PB_ADV_OPEN;
			l->retx_at = NO_DEADLINE;
			l->link_deadline = NO_DEADLINE;
			l->wait_tx = false;
			if (l->ops && l->ops->opened)
				l->ops->opened(l->ctx);
		} else {
			l->stats.rx_duplicates++;
		}
		return;
	case PB_ADV_LINK_CLOSE:
		if (len < CLOSE_LEN) {
			l->stats.rx_short++;
			return;
		}
		if (len > CLOSE_LEN) {
			l->stats.rx_invalid++;
			return;
		}
		/* (only an opening or open link with this LinkID gets here) */
		finish(l, data[HDR_LEN + 1], true);
		return;
	default:
		l->stats.rx_invalid++;
		return;
	}
}

static void handle_ack(struct pb_adv_link *l, uint8_t xact, size_t len)
{
	if (len > ACK_LEN) {
		l->stats.rx_invalid++;
		return;
	}
	if (!l->tx_busy || xact != l->tx_xact) {
		l->stats.rx_ignored++;
		return;
	}
	l->tx_busy = false;
	l->retx_at = NO_DEADLINE;
	l->tx_deadline = NO_DEADLINE;
	l->wait_tx = false;
	if (l->ops && l->ops->acked)
		l->ops->acked(l->ctx);
}

/* All segments in: check the FCS, acknowledge, deliver. */
static void try_complete(struct pb_adv_link *l, uint64_t now)
{
	uint64_t all = (UINT64_C(2) << l->rx_segn) - 1;
	uint8_t pdu[PB_ADV_MAX_PDU];
	size_t len = l->rx_total;
	uint8_t xact = l->rx_expect;
	uint32_t link_id = l->link_id;

	if (!l->rx_have_start || (l->rx_mask & all) != all)
		return;
	if (pb_adv_fcs(l->rx_buf, len) != l->rx_fcs) {
		/* drop it all: the peer repeats the transaction */
		l->stats.rx_fcs_errors++;
		rx_reset(l);
		return;
	}
	memcpy(pdu, l->rx_buf, len);
	l->rx_have_last = true;
	l->rx_last = xact;
	l->rx_expect = xact_next(xact);
	rx_reset(l);
	send_ack(l, now, xact);
	if (l->tx_busy) {
		/* the peer's next transaction implies it got ours (its ack was lost) */
		l->tx_busy = false;
		l->retx_at = NO_DEADLINE;
		l->tx_deadline = NO_DEADLINE;
		l->wait_tx = false;
		if (l->ops && l->ops->acked)
			l->ops->acked(l->ctx);
		if (l->state != PB_ADV_OPEN || l->link_id != link_id)
			return; /* closed (or reused) from the callback */
	}
	l->stats.rx_delivered++;
	if (l->ops && l->ops->receive)
		l->ops->receive(l->ctx, pdu, len);
}

static void handle_start(struct pb_adv_link *l, uint64_t now, uint8_t xact, const uint8_t *data,
			 size_t len)
{
	unsigned segn;
	size_t total, dlen;
	uint8_t fcs;

	if (len < START_HDR_LEN) {
		l->stats.rx_short++;
		return;
	}
	segn = data[HDR_LEN] >> 2;
	total = get_be16(data + HDR_LEN + 1);
	fcs = data[HDR_LEN + 3];
	dlen = len - START_HDR_LEN;
	if (total == 0 || total > PB_ADV_MAX_PDU || segn != segn_for(total) || dlen != seg_len(total, 0)) {
		l->stats.rx_invalid++;
		return;
	}
	if (l->rx_have_last && xact == l->rx_last) {
		/* delivered before: our ack was lost */
		l->stats.rx_duplicates++;
		send_ack(l, now, xact);
		return;
	}
	if (xact != l->rx_expect) {
		/* not the peer's next transaction (nor the last one): stale,
		 * skipped, or in our own half of the number space */
		l->stats.rx_ignored++;
		return;
	}
	if (l->rx_have_start) {
		if (total != l->rx_total || fcs != l->rx_fcs)
			l->stats.rx_invalid++;
		else
			l->stats.rx_duplicates++;
		return;
	}
	/* continuations that came first must fit this start */
	for (unsigned i = 1; i < PB_ADV_MAX_SEGS; i++) {
		if (!(l->rx_mask & UINT64_C(1) << i))
			continue;
		if (i > segn || l->rx_seg_len[i] != seg_len(total, i)) {
			l->rx_mask &= ~(UINT64_C(1) << i);
			l->rx_seg_len[i] = 0;
			l->stats.rx_invalid++;
		}
	}
	l->rx_have_start = true;
	l->rx_total = (uint16_t)total;
	l->rx_segn = (uint8_t)segn;
	l->rx_fcs = fcs;
	memcpy(l->rx_buf, data + START_HDR_LEN, dlen);
	l->rx_seg_len[0] = (uint8_t)dlen;
	l->rx_mask |= 1;
	try_complete(l, now);
}

static void handle_cont(struct pb_adv_link *l, uint64_t now, uint8_t xact, const uint8_t *data,
			size_t len)
{
	unsigned idx;
	size_t dlen;

	if (len < CONT_HDR_LEN + 1) {
		l->stats.rx_short++;
		return;
	}
	idx = data[HDR_LEN] >> 2;
	dlen = len - CONT_HDR_LEN;
	if (idx == 0 || idx >= PB_ADV_MAX_SEGS || dlen > PB_ADV_CONT_MAX ||
	    seg_off(idx) + dlen > PB_ADV_MAX_PDU) {
		l->stats.rx_invalid++;
		return;
	}
	if (l->rx_have_last && xact == l->rx_last) {
		/* acknowledged again on its start segment only */
		l->stats.rx_duplicates++;
		return;
	}
	if (xact != l->rx_expect) {
		l->stats.rx_ignored++;
		return;
	}
	if (l->rx_have_start && (idx > l->rx_segn || dlen != seg_len(l->rx_total, idx))) {
		l->stats.rx_invalid++;
		return;
	}
	if (l->rx_mask & UINT64_C(1) << idx) {
		l->stats.rx_duplicates++;
		return;
	}
	/* before the start it is kept and checked when the start arrives */
	memcpy(l->rx_buf + seg_off(idx), data + CONT_HDR_LEN, dlen);
	l->rx_seg_len[idx] = (uint8_t)dlen;
	l->rx_mask |= UINT64_C(1) << idx;
	try_complete(l, now);
}

void pb_adv_input(struct pb_adv_link *l, uint64_t now, const uint8_t *data, size_t len)
{
	uint32_t link_id;
	uint8_t xact;

	l->stats.rx_payloads++;
	if (len < HDR_LEN + 1) {
		l->stats.rx_short++;
		return;
	}
	link_id = get_be32(data);
	xact = data[4];
	switch (l->state) {
	case PB_ADV_LISTENING:
		if ((data[HDR_LEN] & 3) != PB_ADV_GPCF_CONTROL || data[HDR_LEN] >> 2 != PB_ADV_LINK_OPEN) {
			l->stats.rx_ignored++;
			return;
		}
		break;
	case PB_ADV_OPENING:
	case PB_ADV_OPEN:
		if (link_id != l->link_id) {
			l->stats.rx_ignored++;
			return;
		}
		break;
	case PB_ADV_IDLE:
	case PB_ADV_CLOSING:
		l->stats.rx_ignored++;
		return;
	}

	if ((data[HDR_LEN] & 3) == PB_ADV_GPCF_CONTROL) {
		handle_control(l, now, link_id, data, len);
		return;
	}
	if (l->state != PB_ADV_OPEN) { /* a provisioner still waiting for Link ACK */
		l->stats.rx_ignored++;
		return;
	}
	switch (data[HDR_LEN] & 3) {
	case PB_ADV_GPCF_ACK:
		handle_ack(l, xact, len);
		break;
	case PB_ADV_GPCF_START:
		handle_start(l, now, xact, data, len);
		break;
	case PB_ADV_GPCF_CONT:
		handle_cont(l, now, xact, data, len);
		break;
	}
}
