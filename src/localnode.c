#include "localnode.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "cfgmsg.h"
#include "log.h"
#include "util.h"

static uint64_t c_deadline(void *ctx)
{
	struct localnode *c = ctx;
	uint64_t d;

	if (!c->on)
		return NO_DEADLINE;
	d = mesh_next_deadline(&c->mesh);
	if (c->lingering)
		d = min_deadline(d, min_deadline(c->linger_until, localnode_quiet_deadline(c)));
	return d;
}

static void linger_check(struct localnode *c, uint64_t now)
{
	uint64_t quiet = localnode_quiet_deadline(c);

	if (!c->lingering || (quiet > now && c->linger_until > now))
		return;
	c->lingering = false;
	if (quiet > now)
		log_info("stopped waiting for the nodes (the --linger bound)");
	c->linger_done(c->linger_ctx);
}

static void c_tick(void *ctx, uint64_t now)
{
	struct localnode *c = ctx;

	if (!c->on)
		return;
	mesh_tick(&c->mesh, now);
	linger_check(c, now);
}

/* Push what the queue refused before, in order, while it takes them. */
static void c_tx_room(void *ctx)
{
	struct localnode *c = ctx;

	while (c->nhold > 0) {
		unsigned i = c->hold_head;

		if (radio_send_src(c->radio, c->tx_src, AD_TYPE_MESH_MESSAGE, c->hold[i],
				   c->hold_len[i], TXSCHED_NOTIFY, 0) == -ENOBUFS)
			return; /* room() comes again */
		c->hold_head = (i + 1) % LOCALNODE_TX_HOLD;
		c->nhold--;
	}
}

/* One of our Network PDUs is off the air: the mesh stack's timers may run. */
static void c_tx_done(void *ctx, uint32_t cookie)
{
	struct localnode *c = ctx;

	(void)cookie;
	mesh_tx_sent(&c->mesh, radio_now(c->radio));
}

static const struct txsched_src_ops localnode_tx_ops = {
	.tx_done = c_tx_done,
	.room = c_tx_room,
};

static void c_send_adv(void *ctx, const uint8_t *pdu, size_t len)
{
	struct localnode *c = ctx;
	unsigned slot;

	if (len > TXSCHED_MAX_PAYLOAD) { /* (a Network PDU is at most 29 octets) */
		mesh_tx_sent(&c->mesh, radio_now(c->radio));
		return;
	}
	if (c->nhold == 0) {
		int err = radio_send_src(c->radio, c->tx_src, AD_TYPE_MESH_MESSAGE, pdu, len,
					 TXSCHED_NOTIFY, 0);

		if (err != -ENOBUFS) {
			if (err < 0) { /* the radio is gone or not ready: as lost on the air */
				log_debug("a Network PDU was not sent (%d)", err);
				mesh_tx_sent(&c->mesh, radio_now(c->radio));
			}
			return;
		}
	}
	/* back-pressure: keep it, behind those kept before */
	if (c->nhold == LOCALNODE_TX_HOLD) {
		c->tx_lost++;
		mesh_tx_sent(&c->mesh, radio_now(c->radio));
		log_warn("the local node's transmit queue and hold are full (%u + %u PDUs): a Network "
			 "PDU was dropped", LOCALNODE_TX_QUEUE, LOCALNODE_TX_HOLD);
		return;
	}
	slot = (c->hold_head + c->nhold) % LOCALNODE_TX_HOLD;
	memcpy(c->hold[slot], pdu, len);
	c->hold_len[slot] = (uint8_t)len;
	c->nhold++;
}

static int c_reserve_seq(void *ctx, uint32_t want, uint32_t *first)
{
	struct localnode *c = ctx;
	char err[256];

	if (nodedb_reserve_seq(c->db, want, first, err, sizeof(err)) != 0) {
		log_err("cannot reserve sequence numbers: %s", err);
		return -EIO;
	}
	return 0;
}

static int c_dev_key(void *ctx, uint16_t addr, uint8_t key[16])
{
	struct localnode *c = ctx;
	struct nodedb_node n;

	if (addr == c->self) {
		memcpy(key, c->self_devkey, 16);
		return 0;
	}
	if (nodedb_find_addr(c->db, addr, &n) != 0)
		return -ENOENT;
	memcpy(key, n.devkey, 16);
	OPENSSL_cleanse(&n, sizeof(n));
	return 0;
}

/* AliGenie devices repeat their Attr Indication until it is confirmed. */
static void answer_indication(struct localnode *c, const struct mesh_rx *rx)
{
	struct cfg_ali_indication ind;
	struct mesh_tx tx = { 0 };
	uint8_t pdu[8];
	int len;

	if (cfg_ali_indication_parse(rx->params, rx->params_len, &ind) != 0)
		return;
	len = cfg_ali_build_confirmation(ind.tid, pdu, sizeof(pdu));
	if (len < 0)
		return;
	tx.dst = rx->src;
	tx.ttl = MESH_TTL_DEFAULT;
	tx.app_index = rx->app_index;
	tx.access = pdu;
	tx.len = (size_t)len;
	c->ind_quiet_at = radio_now(c->radio) + LOCALNODE_IND_QUIET_MS;
	if (mesh_send(&c->mesh, radio_now(c->radio), &tx, NULL) == 0) {
		c->indications++;
		log_debug("answered the indication of 0x%04x (TID %u)", rx->src, ind.tid);
		for (struct localnode_reg *r = c->regs, *next; r; r = next) {
			next = r->next; /* the callback may unregister r */
			if (r->indication && rx->src >= r->addr &&
			    rx->src < (unsigned)r->addr + (r->elements ? r->elements : 1))
				r->indication(r->ctx, rx->src, ind.tid);
		}
	}
}

/* A status from a node goes to the job that registered for it. */
static void c_access(void *ctx, const struct mesh_rx *rx)
{
	struct localnode *c = ctx;

	if (!rx->dev_key) {
		if (rx->opcode == CFG_OP_ALI_ATTR_INDICATION)
			answer_indication(c, rx);
		return;
	}
	for (struct localnode_reg *r = c->regs; r; r = r->next)
		if (r->addr == rx->src && r->access && r->access(r->ctx, rx))
			return;
}

static const struct mesh_ops localnode_mesh_ops = {
	.send_adv = c_send_adv,
	.reserve_seq = c_reserve_seq,
	.dev_key = c_dev_key,
	.access = c_access,
};

int localnode_init(struct localnode *c, struct radio *radio, struct nodedb *db, char *err,
		   size_t errlen)
{
	struct mesh_config cfg = { 0 };
	uint8_t netkey[16], appkey[16];
	uint16_t bound = 0;
	const char *why = NULL;

	memset(c, 0, sizeof(*c));
	c->radio = radio;
	c->db = db;
	c->tx_src = radio_tx_open(radio, LOCALNODE_TX_QUEUE, LOCALNODE_TX_WEIGHT, &localnode_tx_ops, c);
	if (c->tx_src < 0)
		why = "no transmit source free on the radio";
	if (nodedb_self(db, &c->self, c->self_devkey) != 0)
		why = "the database has no address for meshprov itself";
	else if (nodedb_net_key(db, 0, netkey) != 0 || nodedb_app_key(db, 0, &bound, appkey) != 0 ||
		 bound != 0)
		why = "the database has no AppKey 0 bound to NetKey 0";
	if (!why) {
		cfg.unicast = c->self;
		cfg.elements = 1;
		cfg.iv_index = nodedb_iv_index(db);
		cfg.tx_reports = true;
		if (mesh_init(&c->mesh, &cfg, &localnode_mesh_ops, c) != 0 ||
		    mesh_add_net_key(&c->mesh, 0, netkey) != 0 ||
		    mesh_add_app_key(&c->mesh, 0, 0, appkey) != 0 ||
		    mesh_subscribe(&c->mesh, ALIGENIE_INDICATION_GROUP) != 0 ||
		    radio_add_timers(radio, c_deadline, c_tick, c) != 0)
			why = "cannot set up the mesh stack";
	}
	OPENSSL_cleanse(netkey, sizeof(netkey));
	OPENSSL_cleanse(appkey, sizeof(appkey));
	if (why) {
		snprintf(err, errlen, "%s", why);
		radio_tx_close(radio, c->tx_src);
		c->tx_src = -1;
		OPENSSL_cleanse(c->self_devkey, sizeof(c->self_devkey));
		return -1;
	}
	c->on = true;
	return 0;
}

void localnode_register(struct localnode *c, struct localnode_reg *reg)
{
	struct localnode_reg **p = &c->regs;

	if (reg->linked)
		return;
	while (*p)
		p = &(*p)->next;
	reg->next = NULL;
	reg->linked = true;
	*p = reg;
}

void localnode_unregister(struct localnode *c, struct localnode_reg *reg)
{
	for (struct localnode_reg **p = &c->regs; *p; p = &(*p)->next) {
		if (*p == reg) {
			*p = reg->next;
			break;
		}
	}
	reg->next = NULL;
	reg->linked = false;
}

void localnode_input(struct localnode *c, const uint8_t *data, size_t len)
{
	if (c->on)
		mesh_input(&c->mesh, radio_now(c->radio), data, len);
}

int localnode_send_devkey(struct localnode *c, uint16_t dst, const uint8_t *pdu, size_t len)
{
	struct mesh_tx tx = { 0 };
	int err;

	if (!c->on)
		return -ENOTCONN;
	tx.dst = dst;
	tx.ttl = MESH_TTL_DEFAULT;
	tx.dev_key = true;
	tx.net_index = 0;
	tx.access = pdu;
	tx.len = len;
	err = mesh_send(&c->mesh, radio_now(c->radio), &tx, NULL);
	radio_kick(c->radio);
	return err;
}

uint64_t localnode_quiet_deadline(const struct localnode *c)
{
	uint64_t q = mesh_quiet_deadline(&c->mesh);

	return q == NO_DEADLINE || q >= c->ind_quiet_at ? q : c->ind_quiet_at;
}

void localnode_linger(struct localnode *c, uint64_t bound_ms, void (*done)(void *ctx), void *ctx)
{
	uint64_t now = radio_now(c->radio);

	c->linger_done = done;
	c->linger_ctx = ctx;
	c->linger_until = now + bound_ms;
	c->lingering = c->on;
	if (!c->on) {
		done(ctx);
		return;
	}
	linger_check(c, now);
	radio_kick(c->radio);
}

void localnode_free(struct localnode *c)
{
	if (c->on) {
		const struct lower_stats *ls = &c->mesh.lower.stats;

		log_debug("local node: %lu Network PDUs sent (%lu segments, %lu of them again, "
			  "%lu Segment Acks), %u indications answered, %lu dropped",
			  c->mesh.stats.tx, ls->tx_segments, ls->tx_retransmitted, ls->tx_acks,
			  c->indications, c->tx_lost);
	}
	if (c->radio)
		radio_remove_timers(c->radio, c);
	if (c->radio && c->on)
		radio_tx_close(c->radio, c->tx_src);
	c->tx_src = -1;
	c->nhold = 0;
	c->on = false;
	while (c->regs)
		localnode_unregister(c, c->regs);
	OPENSSL_cleanse(c->self_devkey, sizeof(c->self_devkey));
	OPENSSL_cleanse(&c->mesh, sizeof(c->mesh));
}
