#include "lower.h"

#include <errno.h>
#include <string.h>

#include "util.h"

#define SEQ_MAX 0xffffffu
#define SEQ_ZERO_MASK 0x1fffu
#define SEG_HDR_LEN 4 /* first octet and the 3-octet SZMIC/SeqZero/SegO/SegN field */
#define TTL_MAX 0x7f

static bool is_unicast(uint16_t a) { return a != 0 && a < 0x8000; }

static size_t seg_size(bool ctl) { return ctl ? LOWER_SEG_CONTROL : LOWER_SEG_ACCESS; }

static size_t mic_len(bool szmic) { return szmic ? 8 : 4; }

/* Bits 0..segn set. */
static uint32_t all_segs(unsigned segn)
{
	return segn >= 31 ? 0xffffffffu : (1u << (segn + 1)) - 1;
}

void lower_build_ack(uint8_t pdu[LOWER_ACK_LEN], bool obo, uint16_t seq_zero, uint32_t block_ack)
{
	pdu[0] = LOWER_OP_ACK;
	put_be16(pdu + 1, (uint16_t)((obo ? 0x8000u : 0) | (seq_zero & SEQ_ZERO_MASK) << 2));
	put_be32(pdu + 3, block_ack);
}

bool lower_seq_auth(uint32_t seq, uint16_t seq_zero, uint32_t *seq_auth)
{
	uint32_t delta;

	seq &= SEQ_MAX;
	delta = (seq - seq_zero) & SEQ_ZERO_MASK;
	if (delta > seq)
		return false;
	*seq_auth = seq - delta;
	return true;
}

static const struct lower_ops no_ops;

void lower_init(struct lower *l, const struct lower_config *cfg, const struct lower_ops *ops, void *ctx)
{
	memset(l, 0, sizeof(*l));
	if (cfg)
		l->cfg = *cfg;
	else
		l->cfg.ack_ttl = LOWER_DEFAULT_TTL;
	if (l->cfg.ack_ttl > TTL_MAX)
		l->cfg.ack_ttl = LOWER_DEFAULT_TTL;
	l->ops = ops ? ops : &no_ops;
	l->ctx = ctx;
	l->next_handle = 1;
}

static enum lower_addr addr_class(const struct lower *l, uint16_t dst)
{
	unsigned n = l->cfg.elements ? l->cfg.elements : 1;

	if (l->ops->addr) {
		enum lower_addr a = l->ops->addr(l->ctx, dst);

		if (a != LOWER_ADDR_OURS && a != LOWER_ADDR_OBO)
			return LOWER_ADDR_OTHER;
		return a == LOWER_ADDR_OBO && !is_unicast(dst) ? LOWER_ADDR_OURS : a;
	}
	if (!is_unicast(dst))
		return LOWER_ADDR_OURS;
	return dst >= l->cfg.unicast && (unsigned)(dst - l->cfg.unicast) < n ? LOWER_ADDR_OURS : LOWER_ADDR_OTHER;
}

static void emit(struct lower *l, bool ctl, uint8_t ttl, uint32_t seq, uint16_t src, uint16_t dst,
		 const uint8_t *pdu, size_t len)
{
	l->stats.tx_pdus++;
	l->emitted++;
	l->ops->send(l->ctx, ctl, ttl, seq, src, dst, pdu, len);
}

/* A Segment Ack from our address from_dst (or our primary address, obo) to
 * to_src. Skipped when no SEQ can be had. */
static void send_ack(struct lower *l, bool obo, uint16_t from_dst, uint16_t to_src, uint8_t ttl, uint16_t seq_zero,
		     uint32_t block)
{
	uint8_t p[LOWER_ACK_LEN];
	uint32_t seq;

	if (!l->ops->alloc_seq || !l->ops->send)
		return;
	seq = l->ops->alloc_seq(l->ctx);
	if (seq > SEQ_MAX)
		return;
	lower_build_ack(p, obo, seq_zero, block);
	l->stats.tx_acks++;
	emit(l, true, ttl, seq, obo ? l->cfg.unicast : from_dst, to_src, p, sizeof(p));
}

/* ---- sending ---- */

static uint64_t seg_tx_timeout(uint8_t ttl)
{
	return LOWER_SEG_TX_BASE_MS + (uint64_t)LOWER_SEG_TX_TTL_MS * ttl;
}

/* The round just handed over: its timer runs interval ms from now, or
 * (tx_reports) from when the round is off the air. */
static void tx_arm(struct lower *l, struct lower_tx *t, uint64_t now, uint64_t interval)
{
	t->interval = interval;
	t->waiting = l->cfg.tx_reports && l->reported < l->emitted;
	t->wait_pdu = l->emitted;
	t->deadline = now + (t->waiting ? LOWER_TX_WAIT_MAX_MS : interval);
}

void lower_tx_sent(struct lower *l, uint64_t now)
{
	l->reported++;
	for (size_t i = 0; i < LOWER_TX_SLOTS; i++) {
		struct lower_tx *t = &l->tx[i];

		if (t->busy && t->waiting && l->reported >= t->wait_pdu) {
			t->waiting = false;
			t->deadline = now + t->interval;
		}
	}
}

static void tx_send_seg(struct lower *l, struct lower_tx *t, unsigned i, uint32_t seq)
{
	uint8_t p[LOWER_MAX_PDU];
	size_t ss = seg_size(t->ctl), off = (size_t)i * ss;
	size_t n = t->len - off < ss ? t->len - off : ss;
	uint32_t h = (t->szmic ? 1u << 23 : 0) | (t->seq_auth & SEQ_ZERO_MASK) << 10 | (uint32_t)i << 5 | t->segn;

	p[0] = t->hdr;
	p[1] = (uint8_t)(h >> 16);
	p[2] = (uint8_t)(h >> 8);
	p[3] = (uint8_t)h;
	memcpy(p + SEG_HDR_LEN, t->pdu + off, n);
	l->stats.tx_segments++;
	emit(l, t->ctl, t->ttl, seq, t->src, t->dst, p, SEG_HDR_LEN + n);
}

/* Send every segment not acknowledged. The first transmission's segment 0
 * carries SeqAuth's SEQ; every other one a fresh SEQ, which must stay within
 * 8191 of SeqAuth for the receiver to find SeqAuth from SeqZero. False (and
 * t->failed) when that runs out. */
static bool tx_send_round(struct lower *l, struct lower_tx *t, bool first)
{
	for (unsigned i = 0; i <= t->segn; i++) {
		uint32_t seq = t->seq_auth;

		if (t->acked & 1u << i)
			continue;
		if (!first || i != 0) {
			seq = l->ops->alloc_seq(l->ctx);
			if (seq > SEQ_MAX || seq <= t->seq_auth || seq - t->seq_auth > SEQ_ZERO_MASK) {
				t->failed = true;
				return false;
			}
		}
		if (!first)
			l->stats.tx_retransmitted++;
		tx_send_seg(l, t, i, seq);
	}
	return true;
}

/* The slot is free before the callback, which may send again. */
static void tx_finish(struct lower *l, struct lower_tx *t, int status)
{
	unsigned handle = t->handle;

	t->busy = false;
	if (l->ops->tx_done)
		l->ops->tx_done(l->ctx, handle, status);
}

static unsigned new_handle(struct lower *l)
{
	for (;;) {
		unsigned h = l->next_handle++;
		bool used = false;

		if (h == LOWER_NO_HANDLE)
			continue;
		for (size_t i = 0; i < LOWER_TX_SLOTS; i++)
			used |= l->tx[i].busy && l->tx[i].handle == h;
		if (!used)
			return h;
	}
}

int lower_send(struct lower *l, uint64_t now, const struct lower_msg *m, bool force_seg, unsigned *handle)
{
	struct lower_tx *t = NULL;
	uint8_t hdr;
	bool seg;

	if (handle)
		*handle = LOWER_NO_HANDLE;
	if (!l || !m || (m->len && !m->data) || !l->ops->send)
		return -EINVAL;
	if (m->ttl > TTL_MAX || m->seq_auth > SEQ_MAX || !is_unicast(m->src) || m->dst == 0)
		return -EINVAL;
	if (m->ctl) {
		if (m->opcode == LOWER_OP_ACK || m->opcode > 0x7f || m->szmic)
			return -EINVAL;
		if (m->len > LOWER_MAX_CONTROL)
			return -EMSGSIZE;
		seg = force_seg || m->len > LOWER_UNSEG_CONTROL;
		if (seg && m->len == 0)
			return -EINVAL;
		hdr = m->opcode;
	} else {
		if (m->aid > 0x3f || (!m->akf && m->aid))
			return -EINVAL;
		if (m->len <= mic_len(m->szmic))
			return -EINVAL;
		if (m->len > LOWER_MAX_ACCESS)
			return -EMSGSIZE;
		seg = force_seg || m->szmic || m->len > LOWER_UNSEG_ACCESS;
		hdr = (uint8_t)((m->akf ? 0x40 : 0) | m->aid);
	}

	if (!seg) {
		uint8_t p[1 + LOWER_UNSEG_ACCESS];

		p[0] = hdr;
		if (m->len)
			memcpy(p + 1, m->data, m->len);
		emit(l, m->ctl, m->ttl, m->seq_auth, m->src, m->dst, p, 1 + m->len);
		return 0;
	}

	if (!l->ops->alloc_seq)
		return -EINVAL;
	for (size_t i = 0; i < LOWER_TX_SLOTS; i++) {
		if (l->tx[i].busy && l->tx[i].src == m->src && l->tx[i].dst == m->dst)
			return -EBUSY;
		if (!l->tx[i].busy && !t)
			t = &l->tx[i];
	}
	if (!t)
		return -EBUSY;

	memset(t, 0, sizeof(*t));
	t->busy = true;
	t->group = !is_unicast(m->dst);
	t->handle = new_handle(l);
	t->ctl = m->ctl;
	t->hdr = (uint8_t)(0x80 | hdr);
	t->szmic = !m->ctl && m->szmic;
	t->src = m->src;
	t->dst = m->dst;
	t->ttl = m->ttl;
	t->seq_auth = m->seq_auth;
	t->len = m->len;
	memcpy(t->pdu, m->data, m->len);
	t->segn = (uint8_t)((m->len - 1) / seg_size(m->ctl));
	t->left = t->group ? LOWER_GROUP_SENDS - 1 : LOWER_TX_RETRIES;
	if (handle)
		*handle = t->handle;

	if (!tx_send_round(l, t, true))
		t->deadline = now; /* tx_done(-EOVERFLOW) at the next tick */
	else
		tx_arm(l, t, now, t->group ? LOWER_GROUP_INTERVAL_MS : seg_tx_timeout(t->ttl));
	return 0;
}

int lower_cancel(struct lower *l, unsigned handle)
{
	for (size_t i = 0; handle != LOWER_NO_HANDLE && i < LOWER_TX_SLOTS; i++) {
		if (l->tx[i].busy && l->tx[i].handle == handle) {
			l->tx[i].busy = false;
			return 0;
		}
	}
	return -ENOENT;
}

static void tx_tick(struct lower *l, struct lower_tx *t, uint64_t now)
{
	if (t->failed) {
		tx_finish(l, t, -EOVERFLOW);
		return;
	}
	if (t->group) {
		if (t->left > 0) {
			if (!tx_send_round(l, t, false)) {
				tx_finish(l, t, -EOVERFLOW);
				return;
			}
			t->left--;
		}
		if (t->left == 0)
			tx_finish(l, t, 0);
		else
			tx_arm(l, t, now, LOWER_GROUP_INTERVAL_MS);
		return;
	}
	if (t->left == 0) {
		tx_finish(l, t, -ETIMEDOUT);
		return;
	}
	t->left--;
	if (!tx_send_round(l, t, false)) {
		tx_finish(l, t, -EOVERFLOW);
		return;
	}
	tx_arm(l, t, now, seg_tx_timeout(t->ttl));
}

/* A Segment Ack (7 octets, checked) from src to dst. */
static void rx_ack(struct lower *l, uint64_t now, uint16_t src, uint16_t dst, const uint8_t *pdu)
{
	bool obo = pdu[1] & 0x80;
	uint16_t seq_zero = (uint16_t)(get_be16(pdu + 1) >> 2 & SEQ_ZERO_MASK);
	uint32_t block = get_be32(pdu + 3), all, fresh;
	struct lower_tx *t = NULL;

	for (size_t i = 0; i < LOWER_TX_SLOTS && !t; i++) {
		struct lower_tx *c = &l->tx[i];

		if (c->busy && !c->group && !c->failed && c->src == dst && (c->dst == src || obo) &&
		    (c->seq_auth & SEQ_ZERO_MASK) == seq_zero)
			t = c;
	}
	if (!t) {
		l->stats.rx_acks_ignored++;
		return;
	}
	all = all_segs(t->segn);
	if (block & ~all) {
		l->stats.rx_invalid++;
		return;
	}
	l->stats.rx_acks++;
	if (block == 0) {
		tx_finish(l, t, -ECANCELED);
		return;
	}
	fresh = block & ~t->acked;
	t->acked |= block;
	if (t->acked == all) {
		tx_finish(l, t, 0);
		return;
	}
	if (!fresh)
		return;
	/* progress: resend the rest now, with a full retry budget */
	t->left = LOWER_TX_RETRIES;
	if (!tx_send_round(l, t, false)) {
		tx_finish(l, t, -EOVERFLOW);
		return;
	}
	tx_arm(l, t, now, seg_tx_timeout(t->ttl));
}

/* ---- receiving ---- */

static struct lower_peer *peer_find(struct lower *l, uint16_t src)
{
	for (size_t i = 0; i < LOWER_PEERS; i++)
		if (l->peers[i].used && l->peers[i].src == src)
			return &l->peers[i];
	return NULL;
}

/* A record for src: a free one, else the least recently used one that is
 * not reassembling (there are more records than RX slots). */
static struct lower_peer *peer_alloc(struct lower *l, uint16_t src)
{
	struct lower_peer *victim = NULL;

	for (size_t i = 0; i < LOWER_PEERS; i++) {
		struct lower_peer *p = &l->peers[i];

		if (!p->used) {
			victim = p;
			break;
		}
		if (p->state != LOWER_PEER_RX && (!victim || p->stamp < victim->stamp))
			victim = p;
	}
	if (victim) {
		memset(victim, 0, sizeof(*victim));
		victim->used = true;
		victim->src = src;
	}
	return victim;
}

static struct lower_rx *rx_find(struct lower *l, uint16_t src)
{
	for (size_t i = 0; i < LOWER_RX_SLOTS; i++)
		if (l->rx[i].busy && l->rx[i].src == src)
			return &l->rx[i];
	return NULL;
}

static struct lower_rx *rx_free_slot(struct lower *l)
{
	for (size_t i = 0; i < LOWER_RX_SLOTS; i++)
		if (!l->rx[i].busy)
			return &l->rx[i];
	return NULL;
}

static uint8_t ack_ttl_for(const struct lower *l, uint8_t seg_ttl)
{
	return seg_ttl == 0 ? 0 : l->cfg.ack_ttl;
}

static void deliver(struct lower *l, const struct lower_msg *m)
{
	l->stats.rx_delivered++;
	if (l->ops->receive)
		l->ops->receive(l->ctx, m);
}

/* Until when the sender of a message we acked may retransmit it. */
static uint64_t reack_until(uint64_t now, uint8_t ttl)
{
	return now + LOWER_REACK_BASE_MS + (uint64_t)LOWER_REACK_TTL_MS * ttl;
}

static void rx_complete(struct lower *l, uint64_t now, struct lower_rx *r, struct lower_peer *p)
{
	uint32_t all = all_segs(r->segn);
	struct lower_msg m = {
		.ctl = r->ctl,
		.opcode = r->ctl ? (uint8_t)(r->hdr & 0x7f) : 0,
		.akf = !r->ctl && (r->hdr & 0x40),
		.aid = r->ctl ? 0 : (uint8_t)(r->hdr & 0x3f),
		.szmic = r->szmic,
		.src = r->src,
		.dst = r->dst,
		.ttl = r->ttl,
		.seq_auth = r->seq_auth,
		.iv_index = r->iv_index,
		.data = r->buf,
		.len = (size_t)r->segn * seg_size(r->ctl) + r->last_len,
	};

	p->state = LOWER_PEER_DONE;
	p->unicast = r->unicast;
	p->obo = r->obo;
	p->dst = r->dst;
	p->block = all;
	p->quiet_at = r->unicast ? reack_until(now, r->ttl) : 0;
	r->ack_at = NO_DEADLINE;
	r->discard_at = NO_DEADLINE;
	if (r->unicast) {
		send_ack(l, r->obo, r->dst, r->src, r->ack_ttl, (uint16_t)(r->seq_auth & SEQ_ZERO_MASK), all);
		p->ack_pdu = l->emitted;
	}
	deliver(l, &m); /* from the slot, still busy */
	r->busy = false;
}

static void rx_segment(struct lower *l, uint64_t now, bool ctl, uint8_t ttl, uint32_t seq, uint16_t src,
		       uint16_t dst, uint32_t iv_index, const uint8_t *pdu, size_t len, enum lower_addr cls)
{
	size_t ss = seg_size(ctl), dlen;
	uint32_t h, sa24, bit;
	uint16_t seq_zero;
	unsigned sego, segn;
	bool szmic, unicast = is_unicast(dst);
	uint64_t sa;
	struct lower_peer *p;
	struct lower_rx *r;

	if (len < SEG_HDR_LEN + 1) {
		l->stats.rx_short++;
		return;
	}
	dlen = len - SEG_HDR_LEN;
	h = (uint32_t)pdu[1] << 16 | (uint32_t)pdu[2] << 8 | pdu[3];
	szmic = !ctl && (h >> 23);
	seq_zero = (uint16_t)(h >> 10 & SEQ_ZERO_MASK);
	sego = h >> 5 & 0x1f;
	segn = h & 0x1f;
	if (dlen > ss || sego > segn || (sego < segn && dlen != ss) ||
	    (!ctl && segn == 0 && dlen <= mic_len(szmic)) || !lower_seq_auth(seq, seq_zero, &sa24)) {
		l->stats.rx_invalid++;
		return;
	}
	sa = (uint64_t)iv_index << 24 | sa24;
	bit = 1u << sego;

	p = peer_find(l, src);
	if (p && sa < p->seq_auth) {
		l->stats.rx_old++;
		return;
	}
	if (p && sa == p->seq_auth) {
		if (p->state == LOWER_PEER_DONE) {
			/* again: the sender missed our ack */
			l->stats.rx_duplicates++;
			p->stamp = ++l->stamp;
			if (p->unicast) {
				p->quiet_at = reack_until(now, ttl);
				/* our last ack is still waiting to go out: it answers this too */
				if (l->cfg.tx_reports && l->reported < p->ack_pdu)
					return;
				send_ack(l, p->obo, p->dst, src, ack_ttl_for(l, ttl), seq_zero, p->block);
				p->ack_pdu = l->emitted;
			}
			return;
		}
		if (p->state == LOWER_PEER_DISCARDED) {
			l->stats.rx_old++;
			return;
		}
		r = rx_find(l, src);
		if (!r) { /* cannot happen: a reassembling record has its slot */
			p->state = LOWER_PEER_DISCARDED;
			l->stats.rx_old++;
			return;
		}
	} else {
		/* a new message from src */
		if (p && p->state == LOWER_PEER_RX) {
			r = rx_find(l, src);
			if (r)
				r->busy = false;
			p->state = LOWER_PEER_DISCARDED;
			l->stats.rx_superseded++;
		}
		r = rx_free_slot(l);
		if (!r) {
			l->stats.rx_no_slot++;
			if (unicast) /* busy: the sender should give up */
				send_ack(l, cls == LOWER_ADDR_OBO, dst, src, ack_ttl_for(l, ttl), seq_zero, 0);
			return;
		}
		if (!p)
			p = peer_alloc(l, src);
		if (!p) { /* cannot happen: more records than slots */
			l->stats.rx_no_slot++;
			return;
		}
		memset(r, 0, offsetof(struct lower_rx, buf));
		r->busy = true;
		r->unicast = unicast;
		r->obo = cls == LOWER_ADDR_OBO;
		r->ctl = ctl;
		r->hdr = pdu[0];
		r->szmic = szmic;
		r->src = src;
		r->dst = dst;
		r->ttl = ttl;
		r->ack_ttl = ack_ttl_for(l, ttl);
		r->iv_index = iv_index;
		r->seq_auth = sa24;
		r->segn = (uint8_t)segn;
		r->ack_at = NO_DEADLINE;
		r->discard_at = NO_DEADLINE;
		p->seq_auth = sa;
		p->state = LOWER_PEER_RX;
	}
	p->stamp = ++l->stamp;

	if (pdu[0] != r->hdr || r->ctl != ctl || szmic != r->szmic || segn != r->segn || dst != r->dst ||
	    (sego == segn && r->last_len && dlen != r->last_len)) {
		l->stats.rx_inconsistent++;
		return;
	}
	if (r->received & bit) {
		l->stats.rx_duplicates++;
	} else {
		memcpy(r->buf + (size_t)sego * ss, pdu + SEG_HDR_LEN, dlen);
		r->received |= bit;
		if (sego == segn)
			r->last_len = dlen;
		r->discard_at = now + LOWER_INCOMPLETE_MS;
	}
	if (r->received == all_segs(r->segn)) {
		rx_complete(l, now, r, p);
		return;
	}
	if (r->unicast && r->ack_at == NO_DEADLINE)
		r->ack_at = now + LOWER_ACK_BASE_MS + (uint64_t)LOWER_ACK_TTL_MS * ttl;
}

void lower_input(struct lower *l, uint64_t now, bool ctl, uint8_t ttl, uint32_t seq, uint16_t src, uint16_t dst,
		 uint32_t iv_index, const uint8_t *pdu, size_t len)
{
	enum lower_addr cls;

	l->stats.rx_pdus++;
	if (!pdu || len < 1) {
		l->stats.rx_short++;
		return;
	}
	if (!is_unicast(src) || dst == 0 || seq > SEQ_MAX || ttl > TTL_MAX) {
		l->stats.rx_invalid++;
		return;
	}
	cls = addr_class(l, dst);
	if (cls == LOWER_ADDR_OTHER) {
		l->stats.rx_not_ours++;
		return;
	}
	if (pdu[0] & 0x80) {
		rx_segment(l, now, ctl, ttl, seq, src, dst, iv_index, pdu, len, cls);
		return;
	}

	if (ctl && (pdu[0] & 0x7f) == LOWER_OP_ACK) {
		if (len != LOWER_ACK_LEN) {
			if (len < LOWER_ACK_LEN)
				l->stats.rx_short++;
			else
				l->stats.rx_invalid++;
			return;
		}
		rx_ack(l, now, src, dst, pdu);
		return;
	}
	/* unsegmented access (at least 1 octet and the TransMIC) or control */
	if (!ctl && len < 1 + 1 + mic_len(false)) {
		l->stats.rx_short++;
		return;
	}
	if (len > 1 + (ctl ? LOWER_UNSEG_CONTROL : LOWER_UNSEG_ACCESS)) {
		l->stats.rx_invalid++;
		return;
	}
	{
		struct lower_msg m = {
			.ctl = ctl,
			.opcode = ctl ? (uint8_t)(pdu[0] & 0x7f) : 0,
			.akf = !ctl && (pdu[0] & 0x40),
			.aid = ctl ? 0 : (uint8_t)(pdu[0] & 0x3f),
			.szmic = false,
			.src = src,
			.dst = dst,
			.ttl = ttl,
			.seq_auth = seq,
			.iv_index = iv_index,
			.data = pdu + 1,
			.len = len - 1,
		};

		deliver(l, &m);
	}
}

uint64_t lower_next_deadline(const struct lower *l)
{
	uint64_t d = NO_DEADLINE;

	for (size_t i = 0; i < LOWER_TX_SLOTS; i++)
		if (l->tx[i].busy)
			d = min_deadline(d, l->tx[i].deadline);
	for (size_t i = 0; i < LOWER_RX_SLOTS; i++) {
		if (l->rx[i].busy) {
			d = min_deadline(d, l->rx[i].ack_at);
			d = min_deadline(d, l->rx[i].discard_at);
		}
	}
	return d;
}

uint64_t lower_quiet_deadline(const struct lower *l)
{
	uint64_t q = 0;

	for (size_t i = 0; i < LOWER_TX_SLOTS; i++)
		if (l->tx[i].busy)
			return NO_DEADLINE;
	for (size_t i = 0; i < LOWER_RX_SLOTS; i++)
		if (l->rx[i].busy)
			return NO_DEADLINE;
	for (size_t i = 0; i < LOWER_PEERS; i++) {
		const struct lower_peer *p = &l->peers[i];

		if (p->used && p->state == LOWER_PEER_DONE && p->unicast && p->quiet_at > q)
			q = p->quiet_at;
	}
	return q;
}

void lower_tick(struct lower *l, uint64_t now)
{
	for (size_t i = 0; i < LOWER_RX_SLOTS; i++) {
		struct lower_rx *r = &l->rx[i];

		if (!r->busy)
			continue;
		if (r->discard_at <= now) {
			struct lower_peer *p = peer_find(l, r->src);

			r->busy = false;
			if (p && p->state == LOWER_PEER_RX)
				p->state = LOWER_PEER_DISCARDED;
			l->stats.rx_incomplete++;
			continue;
		}
		if (r->ack_at <= now) {
			r->ack_at = NO_DEADLINE;
			send_ack(l, r->obo, r->dst, r->src, r->ack_ttl, (uint16_t)(r->seq_auth & SEQ_ZERO_MASK),
				 r->received);
		}
	}
	/* a slot freed by tx_done and taken again from it has a later deadline */
	for (size_t i = 0; i < LOWER_TX_SLOTS; i++)
		if (l->tx[i].busy && l->tx[i].deadline <= now)
			tx_tick(l, &l->tx[i], now);
}
