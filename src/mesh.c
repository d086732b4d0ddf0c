/* One local mesh participant: network, lower, upper and access layers. See mesh.h. */
#include "mesh.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <string.h>

#include "access.h"
#include "upper.h"
#include "util.h"

#define SEQ_SPACE (MESH_SEQ_MAX + 1u) /* 0x1000000: SEQs are 0..0xffffff */

/* ---- addresses ---- */

static bool is_own(const struct mesh *m, uint16_t a)
{
	return a >= m->cfg.unicast && (unsigned)(a - m->cfg.unicast) < m->cfg.elements;
}

static bool is_subscribed(const struct mesh *m, uint16_t group)
{
	for (size_t i = 0; i < m->nsubs; i++)
		if (m->subs[i] == group)
			return true;
	return false;
}

static bool has_label_for(const struct mesh *m, uint16_t va)
{
	for (size_t i = 0; i < MESH_MAX_LABELS; i++)
		if (m->labels[i].used && m->labels[i].addr == va)
			return true;
	return false;
}

static bool is_ours(const struct mesh *m, uint16_t dst)
{
	if (addr_is_unicast(dst))
		return is_own(m, dst);
	if (addr_is_virtual(dst))
		return has_label_for(m, dst);
	return dst == ADDR_ALL_NODES || is_subscribed(m, dst);
}

/* ---- keys ---- */

static const struct net_keys *find_net(const struct mesh *m, uint16_t index)
{
	for (size_t i = 0; i < m->nnet; i++)
		if (m->net[i].index == index)
			return &m->net[i];
	return NULL;
}

static struct mesh_app_key *find_app(struct mesh *m, uint16_t index)
{
	for (size_t i = 0; i < MESH_MAX_APP_KEYS; i++)
		if (m->app[i].used && m->app[i].index == index)
			return &m->app[i];
	return NULL;
}

/* ---- SEQ ---- */

/* Make sure n SEQs are reserved and unused, taking a new block when what is
 * left of the current one is too little. 0 or -errno; on error nothing changed
 * but the block (a grant that was refused is not used). */
static int seq_ensure(struct mesh *m, uint32_t n)
{
	uint32_t want, first = 0;
	int ret;

	if (m->seq_limit - m->seq_next >= n)
		return 0;
	if (m->seq_floor >= SEQ_SPACE || SEQ_SPACE - m->seq_floor < n)
		return -EOVERFLOW; /* nothing left in 24 bits: a new IV Index is needed */
	want = m->cfg.seq_block > n ? m->cfg.seq_block : n;
	if (want > SEQ_SPACE - m->seq_floor)
		want = SEQ_SPACE - m->seq_floor;
	ret = m->ops->reserve_seq(m->ctx, want, &first);
	if (ret)
		return ret < 0 ? ret : -EIO;
	if (first < m->seq_floor)
		return -ERANGE; /* would reuse SEQs: the caller's bug */
	if (first >= SEQ_SPACE || SEQ_SPACE - first < n)
		return -EOVERFLOW;
	m->stats.seq_reservations++;
	m->seq_next = first;
	m->seq_limit = SEQ_SPACE - first < want ? SEQ_SPACE : first + want;
	m->seq_floor = m->seq_limit;
	return 0;
}

/* ---- lower layer callbacks ---- */

static uint32_t l_alloc_seq(void *ctx)
{
	struct mesh *m = ctx;

	if (seq_ensure(m, 1))
		return UINT32_MAX; /* beyond 24 bits: the lower layer gives up */
	return m->seq_next++;
}

static int peer_net(const struct mesh *m, uint16_t addr)
{
	for (size_t i = 0; i < MESH_PEERS; i++)
		if (m->peers[i].used && m->peers[i].addr == addr)
			return m->peers[i].net_index;
	return -1;
}

static void peer_note(struct mesh *m, uint16_t addr, uint16_t net_index)
{
	struct mesh_peer *p = NULL;

	for (size_t i = 0; i < MESH_PEERS && !p; i++)
		if (m->peers[i].used && m->peers[i].addr == addr)
			p = &m->peers[i];
	for (size_t i = 0; i < MESH_PEERS && !p; i++)
		if (!m->peers[i].used)
			p = &m->peers[i];
	if (!p) {
		p = &m->peers[0];
		for (size_t i = 1; i < MESH_PEERS; i++)
			if (m->peers[i].stamp < p->stamp)
				p = &m->peers[i];
	}
	p->used = true;
	p->addr = addr;
	p->net_index = net_index;
	p->stamp = ++m->stamp;
}

static struct mesh_txinfo *txinfo_find(struct mesh *m, unsigned handle)
{
	for (size_t i = 0; i < LOWER_TX_SLOTS; i++)
		if (m->txinfo[i].used && m->txinfo[i].handle == handle)
			return &m->txinfo[i];
	return NULL;
}

/* The subnet a lower transport PDU goes on: a Segment Ack on the one its
 * message came with, our own segments on their message's. */
static const struct net_keys *net_for(const struct mesh *m, bool ctl, uint16_t src, uint16_t dst,
				      const uint8_t *pdu, size_t len)
{
	const struct net_keys *k = NULL;
	int idx = -1;

	if (ctl && len == LOWER_ACK_LEN && pdu[0] == LOWER_OP_ACK) {
		if (m->cur.valid && m->cur.src == dst)
			idx = m->cur.net_index;
		else
			idx = peer_net(m, dst);
	} else if (m->sending.valid && m->sending.src == src && m->sending.dst == dst) {
		idx = m->sending.net_index;
	} else {
		/* at most one segmented message per SRC and DST (lower.h) */
		for (size_t i = 0; i < LOWER_TX_SLOTS && idx < 0; i++)
			if (m->txinfo[i].used && m->txinfo[i].src == src && m->txinfo[i].dst == dst)
				idx = m->txinfo[i].net_index;
	}
	if (idx >= 0)
		k = find_net(m, (uint16_t)idx);
	return k ? k : m->nnet ? &m->net[0] : NULL;
}

static void l_send(void *ctx, bool ctl, uint8_t ttl, uint32_t seq, uint16_t src, uint16_t dst, const uint8_t *pdu,
		   size_t len)
{
	struct mesh *m = ctx;
	const struct net_keys *k = net_for(m, ctl, src, dst, pdu, len);
	struct net_hdr h = {
		.ctl = ctl,
		.ttl = ttl,
		.seq = seq,
		.src = src,
		.dst = dst,
		.iv_index = m->iv_index,
	};
	uint8_t out[NET_MAX_PDU];
	size_t olen;

	if (!k || net_encrypt(k, &h, pdu, len, out, &olen)) {
		m->stats.errors++;
		if (m->cfg.tx_reports) /* never handed over: as gone */
			lower_tx_sent(&m->lower, m->now);
		return;
	}
	m->stats.tx++;
	m->ops->send_adv(m->ctx, out, olen);
}

static void l_tx_done(void *ctx, unsigned handle, int status)
{
	struct mesh *m = ctx;
	struct mesh_txinfo *t = txinfo_find(m, handle);

	if (t)
		t->used = false;
	if (m->ops->tx_done)
		m->ops->tx_done(m->ctx, handle, status);
}

static enum lower_addr l_addr(void *ctx, uint16_t dst)
{
	return is_ours(ctx, dst) ? LOWER_ADDR_OURS : LOWER_ADDR_OTHER;
}

/* Try one key (and label); true when it decrypted the message into out. */
static bool try_upper(struct mesh *m, const uint8_t key[16], const struct lower_msg *lm, const uint8_t *label,
		      uint8_t *out, size_t *olen)
{
	int ret = upper_decrypt(key, lm->akf, lm->szmic, lm->seq_auth, lm->src, lm->dst, lm->iv_index, label,
				lm->data, lm->len, out, olen);

	if (ret && ret != -EBADMSG)
		m->stats.errors++;
	return ret == 0;
}

/* A device key: 0 when got, 1 when there is none, -1 after an error. */
static int get_dev_key(struct mesh *m, uint16_t addr, uint8_t key[16])
{
	int ret;

	if (!m->ops->dev_key)
		return 1;
	ret = m->ops->dev_key(m->ctx, addr, key);
	if (ret == 0)
		return 0;
	if (ret != -ENOENT)
		m->stats.errors++;
	return ret == -ENOENT ? 1 : -1;
}

enum open_result { OPEN_OK, OPEN_FAILED, OPEN_NO_KEY, OPEN_MALFORMED };

/* Decrypt with the keys that may have made it (rx filled in when OPEN_OK). */
static enum open_result upper_open(struct mesh *m, const struct lower_msg *lm, struct mesh_rx *rx, uint8_t *out,
				   size_t *olen)
{
	bool tried = false;

	if (!lm->akf) {
		uint16_t addrs[2] = { lm->src, m->cfg.unicast };
		uint8_t keys[2][16];
		bool have[2] = { false, false };
		int found = -1;

		if (!addr_is_unicast(lm->dst))
			return OPEN_MALFORMED; /* device keys are for unicast messages only */
		for (int i = 0; i < 2 && found < 0; i++) {
			if (get_dev_key(m, addrs[i], keys[i]))
				continue;
			have[i] = true;
			if (i == 1 && have[0] && !memcmp(keys[0], keys[1], 16))
				continue; /* the same key: it failed already */
			tried = true;
			if (try_upper(m, keys[i], lm, NULL, out, olen))
				found = i;
		}
		OPENSSL_cleanse(keys, sizeof(keys));
		if (found < 0)
			return tried ? OPEN_FAILED : OPEN_NO_KEY;
		rx->dev_key = true;
		rx->key_addr = addrs[found];
		return OPEN_OK;
	}

	for (size_t i = 0; i < MESH_MAX_APP_KEYS; i++) {
		const struct mesh_app_key *a = &m->app[i];

		if (!a->used || a->aid != lm->aid || a->net_index != m->cur.net_index)
			continue;
		if (!addr_is_virtual(lm->dst)) {
			tried = true;
			if (try_upper(m, a->key, lm, NULL, out, olen)) {
				rx->app_index = a->index;
				return OPEN_OK;
			}
			continue;
		}
		for (size_t j = 0; j < MESH_MAX_LABELS; j++) {
			const struct mesh_label *l = &m->labels[j];

			if (!l->used || l->addr != lm->dst)
				continue;
			tried = true;
			if (try_upper(m, a->key, lm, l->uuid, out, olen)) {
				rx->app_index = a->index;
				rx->label = l->uuid;
				return OPEN_OK;
			}
		}
	}
	return tried ? OPEN_FAILED : OPEN_NO_KEY;
}

static void l_receive(void *ctx, const struct lower_msg *lm)
{
	struct mesh *m = ctx;
	uint8_t out[UPPER_MAX_PDU];
	size_t olen = 0;
	struct mesh_rx rx;

	/* control messages: only Segment Acks are ours, the lower layer's; the
	 * replay list is updated by mesh_input */
	if (lm->ctl || !m->cur.valid)
		return;

	memset(&rx, 0, sizeof(rx));
	switch (upper_open(m, lm, &rx, out, &olen)) {
	case OPEN_OK:
		break;
	case OPEN_FAILED:
		m->stats.unauthenticated++;
		return;
	case OPEN_NO_KEY:
		m->stats.no_key++;
		return;
	case OPEN_MALFORMED:
	default:
		m->stats.malformed++;
		return;
	}
	/* authenticated: from now on this SEQ and the ones before are old */
	replay_update(&m->replay, m->cur.src, m->cur.iv_index, m->cur.seq);

	if (access_parse(out, olen, &rx.opcode, &rx.params, &rx.params_len)) {
		m->stats.malformed++;
	} else {
		rx.src = lm->src;
		rx.dst = lm->dst;
		rx.ttl = lm->ttl;
		rx.net_index = m->cur.net_index;
		rx.iv_index = lm->iv_index;
		rx.seq_auth = lm->seq_auth;
		rx.szmic = lm->szmic;
		rx.access = out;
		rx.len = olen;
		m->stats.delivered++;
		if (m->ops->access)
			m->ops->access(m->ctx, &rx);
	}
	OPENSSL_cleanse(out, sizeof(out));
}

static const struct lower_ops mesh_lower_ops = {
	.alloc_seq = l_alloc_seq,
	.send = l_send,
	.receive = l_receive,
	.tx_done = l_tx_done,
	.addr = l_addr,
};

/* ---- set-up ---- */

int mesh_init(struct mesh *m, const struct mesh_config *cfg, const struct mesh_ops *ops, void *ctx)
{
	struct lower_config lc;
	unsigned elements;

	if (!m || !cfg || !ops || !ops->send_adv || !ops->reserve_seq)
		return -EINVAL;
	elements = cfg->elements ? cfg->elements : 1;
	if (!addr_is_unicast(cfg->unicast) || cfg->unicast + elements - 1 > 0x7fff)
		return -EINVAL;
	if (cfg->default_ttl == 1 || cfg->default_ttl > NET_MAX_TTL)
		return -EINVAL;

	memset(m, 0, sizeof(*m));
	m->cfg = *cfg;
	m->cfg.elements = (uint8_t)elements;
	if (!m->cfg.default_ttl)
		m->cfg.default_ttl = MESH_DEFAULT_TTL;
	if (!m->cfg.seq_block)
		m->cfg.seq_block = MESH_SEQ_BLOCK;
	m->ops = ops;
	m->ctx = ctx;
	m->iv_index = cfg->iv_index;
	replay_init(&m->replay);

	lc.unicast = m->cfg.unicast;
	lc.elements = m->cfg.elements;
	lc.ack_ttl = m->cfg.default_ttl;
	lc.tx_reports = m->cfg.tx_reports;
	lower_init(&m->lower, &lc, &mesh_lower_ops, m);
	return 0;
}

int mesh_add_net_key(struct mesh *m, uint16_t index, const uint8_t key[16])
{
	const struct net_keys *old;
	int ret;

	if (!m || !key || index > MESH_KEY_INDEX_MAX)
		return -EINVAL;
	old = find_net(m, index);
	if (old)
		return memcmp(old->net_key, key, 16) ? -EEXIST : 0;
	if (m->nnet >= MESH_MAX_NET_KEYS)
		return -ENOSPC;
	ret = net_keys_derive(key, index, &m->net[m->nnet]);
	if (ret)
		return ret;
	m->nnet++;
	return 0;
}

int mesh_add_app_key(struct mesh *m, uint16_t index, uint16_t net_index, const uint8_t key[16])
{
	struct mesh_app_key *a;
	uint8_t aid;
	int ret;

	if (!m || !key || index > MESH_KEY_INDEX_MAX || net_index > MESH_KEY_INDEX_MAX)
		return -EINVAL;
	if (!find_net(m, net_index))
		return -ENOENT;
	a = find_app(m, index);
	if (a)
		return memcmp(a->key, key, 16) || a->net_index != net_index ? -EEXIST : 0;
	for (size_t i = 0; i < MESH_MAX_APP_KEYS && !a; i++)
		if (!m->app[i].used)
			a = &m->app[i];
	if (!a)
		return -ENOSPC;
	ret = upper_aid(key, &aid);
	if (ret)
		return ret;
	a->used = true;
	a->index = index;
	a->net_index = net_index;
	a->aid = aid;
	memcpy(a->key, key, 16);
	return 0;
}

int mesh_del_app_key(struct mesh *m, uint16_t index)
{
	struct mesh_app_key *a = m ? find_app(m, index) : NULL;

	if (!a)
		return -ENOENT;
	OPENSSL_cleanse(a, sizeof(*a));
	return 0;
}

int mesh_subscribe(struct mesh *m, uint16_t group)
{
	if (!m || !addr_is_group(group) || group == ADDR_ALL_NODES)
		return -EINVAL;
	if (is_subscribed(m, group))
		return 0;
	if (m->nsubs >= MESH_MAX_SUBS)
		return -ENOSPC;
	m->subs[m->nsubs++] = group;
	return 0;
}

int mesh_unsubscribe(struct mesh *m, uint16_t group)
{
	for (size_t i = 0; m && i < m->nsubs; i++) {
		if (m->subs[i] == group) {
			m->subs[i] = m->subs[--m->nsubs];
			return 0;
		}
	}
	return -ENOENT;
}

int mesh_subscribe_virtual(struct mesh *m, const uint8_t label[16], uint16_t *addr)
{
	struct mesh_label *l = NULL;
	uint16_t va;
	int ret;

	if (!m || !label)
		return -EINVAL;
	ret = upper_virtual_address(label, &va);
	if (ret)
		return ret;
	for (size_t i = 0; i < MESH_MAX_LABELS; i++) {
		if (m->labels[i].used && !memcmp(m->labels[i].uuid, label, 16)) {
			if (addr)
				*addr = va;
			return 0;
		}
		if (!m->labels[i].used && !l)
			l = &m->labels[i];
	}
	if (!l)
		return -ENOSPC;
	l->used = true;
	l->addr = va;
	memcpy(l->uuid, label, 16);
	if (addr)
		*addr = va;
	return 0;
}

int mesh_set_iv_index(struct mesh *m, uint32_t iv_index)
{
	if (!m || iv_index < m->iv_index)
		return -EINVAL;
	if (iv_index != m->iv_index) {
		m->iv_index = iv_index;
		m->seq_next = m->seq_limit = m->seq_floor = 0;
	}
	return 0;
}

/* ---- sending ---- */

int mesh_send(struct mesh *m, uint64_t now, const struct mesh_tx *tx, unsigned *handle)
{
	uint8_t key[16], upper[UPPER_MAX_PDU];
	const struct mesh_app_key *a = NULL;
	struct mesh_sending saved;
	struct lower_msg lm;
	uint16_t src, dst, net_index;
	size_t ulen, nseg;
	uint8_t ttl;
	unsigned h = MESH_NO_HANDLE;
	int ret;

	if (handle)
		*handle = MESH_NO_HANDLE;
	if (!m || !tx || !tx->access || tx->len == 0)
		return -EINVAL;
	if (tx->len > ACCESS_MAX_PDU)
		return -EMSGSIZE;
	ttl = tx->ttl == MESH_TTL_DEFAULT ? m->cfg.default_ttl : tx->ttl;
	if (ttl > NET_MAX_TTL)
		return -EINVAL;
	src = tx->src ? tx->src : m->cfg.unicast;
	if (!is_own(m, src))
		return -EINVAL;
	dst = tx->dst;
	if (tx->label) {
		uint16_t va;

		ret = upper_virtual_address(tx->label, &va);
		if (ret)
			return ret;
		if (dst && dst != va)
			return -EINVAL;
		dst = va;
	} else if (addr_is_unassigned(dst) || addr_is_virtual(dst)) {
		return -EINVAL;
	}
	if (is_own(m, dst))
		return -EINVAL; /* no local loopback */

	if (tx->dev_key) {
		if (!addr_is_unicast(dst))
			return -EINVAL;
		if (!m->ops->dev_key)
			return -ENOENT;
		net_index = tx->net_index;
		if (!find_net(m, net_index))
			return -ENOENT;
		ret = m->ops->dev_key(m->ctx, tx->key_addr ? tx->key_addr : dst, key);
		if (ret)
			return ret < 0 ? ret : -EIO;
	} else {
		a = find_app(m, tx->app_index);
		if (!a)
			return -ENOENT;
		net_index = a->net_index;
		if (!find_net(m, net_index))
			return -ENOENT;
		memcpy(key, a->key, 16);
	}

	/* the first transmission's SEQs, all from one block */
	ulen = tx->len + UPPER_MIC32;
	nseg = tx->force_seg || ulen > LOWER_UNSEG_ACCESS ? (ulen + LOWER_SEG_ACCESS - 1) / LOWER_SEG_ACCESS : 1;
	ret = seq_ensure(m, (uint32_t)nseg);
	if (ret)
		goto out;

	ret = upper_encrypt(key, !tx->dev_key, false, m->seq_next, src, dst, m->iv_index, tx->label, tx->access,
			    tx->len, upper, &ulen);
	if (ret)
		goto out;

	memset(&lm, 0, sizeof(lm));
	lm.akf = !tx->dev_key;
	lm.aid = a ? a->aid : 0;
	lm.src = src;
	lm.dst = dst;
	lm.ttl = ttl;
	lm.seq_auth = m->seq_next++;
	lm.iv_index = m->iv_index;
	lm.data = upper;
	lm.len = ulen;

	saved = m->sending;
	m->sending.valid = true;
	m->sending.src = src;
	m->sending.dst = dst;
	m->sending.net_index = net_index;
	m->now = now;
	ret = lower_send(&m->lower, now, &lm, tx->force_seg, &h);
	m->sending = saved;
	if (ret)
		goto out;
	if (h != MESH_NO_HANDLE) {
		for (size_t i = 0; i < LOWER_TX_SLOTS; i++) {
			struct mesh_txinfo *t = &m->txinfo[i];

			if (!t->used) {
				t->used = true;
				t->handle = h;
				t->src = src;
				t->dst = dst;
				t->net_index = net_index;
				break;
			}
		}
	}
	if (handle)
		*handle = h;
out:
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(upper, sizeof(upper));
	return ret;
}

int mesh_cancel(struct mesh *m, unsigned handle)
{
	struct mesh_txinfo *t;
	int ret;

	if (!m)
		return -ENOENT;
	ret = lower_cancel(&m->lower, handle);
	if (ret)
		return ret;
	t = txinfo_find(m, handle);
	if (t)
		t->used = false;
	return 0;
}

/* ---- receiving ---- */

void mesh_input(struct mesh *m, uint64_t now, const uint8_t *net_pdu, size_t len)
{
	uint8_t transport[NET_MAX_TRANSPORT];
	const struct net_keys *k = NULL;
	unsigned long bad_before;
	struct net_hdr h;
	size_t tlen = 0;
	int ret;

	if (!m)
		return;
	m->stats.rx++;
	if (!net_pdu) {
		m->stats.malformed++;
		return;
	}
	ret = net_decrypt(m->net, m->nnet, m->iv_index, net_pdu, len, &h, &k, transport, &tlen);
	if (ret == -EBADMSG) {
		m->stats.malformed++;
		return;
	}
	if (ret == -ENOKEY) {
		m->stats.unauthenticated++;
		return;
	}
	if (ret) {
		m->stats.errors++;
		return;
	}
	if (is_own(m, h.src)) {
		m->stats.own++;
		return;
	}
	if (!is_ours(m, h.dst)) {
		m->stats.not_for_us++;
		return;
	}
	if (!replay_check(&m->replay, h.src, h.iv_index, h.seq)) {
		m->stats.replayed++;
		return;
	}
	peer_note(m, h.src, k->index);

	bad_before = m->lower.stats.rx_short + m->lower.stats.rx_invalid;
	m->cur.valid = true;
	m->cur.src = h.src;
	m->cur.net_index = k->index;
	m->cur.seq = h.seq;
	m->cur.iv_index = h.iv_index;
	m->now = now;
	lower_input(&m->lower, now, h.ctl, h.ttl, h.seq, h.src, h.dst, h.iv_index, transport, tlen);
	m->cur.valid = false;
	OPENSSL_cleanse(transport, sizeof(transport));

	if (m->lower.stats.rx_short + m->lower.stats.rx_invalid != bad_before)
		m->stats.malformed++;
	else if (h.ctl)
		replay_update(&m->replay, h.src, h.iv_index, h.seq);
}

uint64_t mesh_next_deadline(const struct mesh *m)
{
	return m ? lower_next_deadline(&m->lower) : NO_DEADLINE;
}

uint64_t mesh_quiet_deadline(const struct mesh *m)
{
	return m ? lower_quiet_deadline(&m->lower) : 0;
}

void mesh_tick(struct mesh *m, uint64_t now)
{
	if (!m)
		return;
	m->now = now;
	lower_tick(&m->lower, now);
}

void mesh_tx_sent(struct mesh *m, uint64_t now)
{
	if (m && m->cfg.tx_reports)
		lower_tx_sent(&m->lower, now);
}
