/* struct mesh: the network, lower, upper and access layers joined. Meshes
 * talk through an in-memory air (send_adv of one is mesh_input of the others,
 * queued, with an optional drop pattern) on a fake clock; byte-exact checks
 * use the Mesh Profile §8.3 sample messages #6, #16, #18, #22 and #24, copied
 * from shared/vectors/mesh-network.md §3.2 - §3.5. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "cfgcli.h"
#include "cfgmsg.h"
#include "check_main.h"
#include "mesh.h"
#include "net.h"
#include "testhex.h"
#include "upper.h"
#include "util.h"

#define OK(expr) ck_assert_int_eq((expr), 0)

/* §8.2 sample keys */
#define NET_KEY "7dd7364cd842ad18c17c2b820c84c3d6"
#define APP_KEY "63964771734fbd76e3b40519d1d94a48" /* AID 26 */
#define DEV_KEY_1201 "9d6dd0e96eb25dc19a40ed9914f8f03f"
#define IV 0x12345678u

/* §3.2 Message #6: Config AppKey Add, 0003 -> 1201, TTL 4, SEQ 3129ab/3129ac, device key */
#define ACCESS_6 "0056341263964771734fbd76e3b40519d1d94a48"
#define NET_6_0 "68cab5c5348a230afba8c63d4e686364979deaf4fd40961145939cda0e"
#define NET_6_1 "681615b5dd4a846cae0c032bf0746f44f1b8cc8ce5edc57e55beed49c0"
/* §3.3 Message #16: Config AppKey Status, 1201 -> 0003, TTL 0b, SEQ 000006, device key */
#define ACCESS_16 "800300563412"
#define NET_16 "68e80e5da5af0e6b9be7f5a642f2f98680e61c3a8b47f228"
/* §3.4 Message #18: Health Current Status, 1201 -> ffff, TTL 03, SEQ 000007, AppKey (AID 26) */
#define ACCESS_18 "0400000000"
#define NET_18 "6848cba437860e5673728a627fb938535508e21a6baf57"
/* §3.5 Message #22 (virtual, IV 12345677): 1234 -> b529, TTL 03, SEQ 07080b, AID 26 */
#define IV_22 0x12345677u
#define LABEL_22 "0073e7e4d8b9440faf8415df4c56c0e1"
#define ACCESS_22 "d50a0048656c6c6f"
#define NET_22 "e8d85caecef1e3ed31f3fdcf88a411135fea55df730b6b28e255"
/* Message #24: segmented, SZMIC 1, 1234 -> 9736, SEQ 07080d/07080e */
#define LABEL_24 "f4a002c7fb1e4ca0a469a021de0db875"
#define ACCESS_24 "ea0a00576f726c64"
#define NET_24_0 "e8624e65bb8c1794e998b4081f47a35251fdd3896d99e4db489b918599"
#define NET_24_1 "e8a7d0f0a2ea42dc2f4dd6fb4db33a6c088d023b47"

/* Our own test network for the two-mesh exchanges. */
#define CLIENT 0x0001
#define NODE 0x0011
#define DEV_KEY_NODE "00112233445566778899aabbccddeeff"
#define NET_KEY_1 "f7a2a44f8e8a8029064f173ddc1e2b00"
#define APP_KEY_1 "3216d1509884b533248541792b877f98"

/* ---- a mesh and what it did ---- */

#define MAX_SENT 512
#define MAX_RX 32
#define MAX_DONE 16
#define MAX_DEV_KEYS 4

struct sent {
	uint8_t pdu[NET_MAX_PDU];
	size_t len;
};

struct got {
	struct mesh_rx rx;
	uint8_t data[ACCESS_MAX_PDU];
	uint8_t label[16];
};

struct node;
typedef void (*handler_fn)(struct node *n, const struct mesh_rx *rx);

struct node {
	struct mesh m;
	bool on_air;
	uint16_t dk_addr[MAX_DEV_KEYS];
	uint8_t dk[MAX_DEV_KEYS][16];
	unsigned ndk;
	uint16_t dk_asked[8]; /* the first addresses dev_key was asked for */
	unsigned nasked;
	uint32_t *disk;    /* the durable end of the last SEQ reservation */
	uint32_t own_disk;
	unsigned reserves;
	uint32_t last_want;
	int reserve_rc;    /* reserve_seq fails with this when set */
	bool reserve_back; /* grant from 0 (a broken store) */
	struct sent sent[MAX_SENT];
	unsigned nsent;
	struct got rx[MAX_RX];
	unsigned nrx;
	unsigned done_handle[MAX_DONE];
	int done_status[MAX_DONE];
	unsigned ndone;
	handler_fn handler;
};

static struct node A, B, C;
static uint64_t now;

/* ---- the air: a queue of PDUs, each heard by every other mesh on it ---- */

#define AIR_QUEUE 256

static struct {
	struct node *from;
	uint8_t pdu[NET_MAX_PDU];
	size_t len;
} air_q[AIR_QUEUE];
static unsigned air_head, air_count;
static unsigned air_sent;       /* PDUs put on the air so far */
static uint64_t drop_mask;      /* drop PDU i (i < 64) when bit i is set */
static unsigned drop_period;    /* and every drop_period-th one, from drop_phase */
static unsigned drop_phase;
static unsigned air_dropped;
static struct node *air_nodes[3];

static bool dropped(unsigned i)
{
	if (i < 64 && (drop_mask >> i & 1))
		return true;
	return drop_period && i % drop_period == drop_phase;
}

static void n_send_adv(void *ctx, const uint8_t *pdu, size_t len)
{
	struct node *n = ctx;
	unsigned i;

	ck_assert_uint_ge(len, NET_MIN_PDU);
	ck_assert_uint_le(len, NET_MAX_PDU);
	ck_assert_uint_lt(n->nsent, MAX_SENT);
	memcpy(n->sent[n->nsent].pdu, pdu, len);
	n->sent[n->nsent].len = len;
	n->nsent++;
	if (!n->on_air)
		return;
	i = air_sent++;
	if (dropped(i)) {
		air_dropped++;
		return;
	}
	ck_assert_uint_lt(air_count, AIR_QUEUE);
	{
		unsigned slot = (air_head + air_count++) % AIR_QUEUE;

		air_q[slot].from = n;
		memcpy(air_q[slot].pdu, pdu, len);
		air_q[slot].len = len;
	}
}

static int n_reserve_seq(void *ctx, uint32_t want, uint32_t *first)
{
	struct node *n = ctx;

	ck_assert_uint_gt(want, 0);
	if (n->reserve_rc)
		return n->reserve_rc;
	n->reserves++;
	n->last_want = want;
	*first = n->reserve_back ? 0 : *n->disk;
	*n->disk = *first + want; /* durable before we return */
	return 0;
}

static int n_dev_key(void *ctx, uint16_t addr, uint8_t key[16])
{
	struct node *n = ctx;

	if (n->nasked < ARRAY_SIZE(n->dk_asked))
		n->dk_asked[n->nasked++] = addr;
	for (unsigned i = 0; i < n->ndk; i++) {
		if (n->dk_addr[i] == addr) {
			memcpy(key, n->dk[i], 16);
			return 0;
		}
	}
	return -ENOENT;
}

static void n_access(void *ctx, const struct mesh_rx *rx)
{
	struct node *n = ctx;
	struct got *g;

	ck_assert_uint_lt(n->nrx, MAX_RX);
	ck_assert_uint_ge(rx->len, 1);
	ck_assert_uint_le(rx->len, ACCESS_MAX_PDU);
	ck_assert_ptr_eq(rx->params, rx->access + (rx->len - rx->params_len));
	g = &n->rx[n->nrx++];
	g->rx = *rx;
	memcpy(g->data, rx->access, rx->len);
	g->rx.access = g->data;
	if (rx->label) {
		memcpy(g->label, rx->label, 16);
		g->rx.label = g->label;
	}
	g->rx.params = g->data + (rx->len - rx->params_len);
	if (n->handler)
		n->handler(n, rx);
}

static void n_tx_done(void *ctx, unsigned handle, int status)
{
	struct node *n = ctx;

	ck_assert_uint_lt(n->ndone, MAX_DONE);
	n->done_handle[n->ndone] = handle;
	n->done_status[n->ndone] = status;
	n->ndone++;
}

static const struct mesh_ops ops = {
	.send_adv = n_send_adv,
	.reserve_seq = n_reserve_seq,
	.dev_key = n_dev_key,
	.access = n_access,
	.tx_done = n_tx_done,
};

static void add_dev_key(struct node *n, uint16_t addr, const char *hex)
{
	ck_assert_uint_lt(n->ndk, MAX_DEV_KEYS);
	n->dk_addr[n->ndk] = addr;
	hx_to(hex, n->dk[n->ndk], 16);
	n->ndk++;
}

/* A mesh at unicast with NetKey index 0 = NET_KEY; its SEQ store starts at seq. */
static void node_init(struct node *n, uint16_t unicast, uint32_t iv, uint8_t ttl, uint32_t seq)
{
	struct mesh_config cfg = { .unicast = unicast, .elements = 1, .iv_index = iv, .default_ttl = ttl };
	uint8_t k[16];

	memset(n, 0, sizeof(*n));
	n->own_disk = seq;
	n->disk = &n->own_disk;
	OK(mesh_init(&n->m, &cfg, &ops, n));
	hx_to(NET_KEY, k, 16);
	OK(mesh_add_net_key(&n->m, 0, k));
}

static void add_app_key(struct node *n, uint16_t index, uint16_t net_index, const char *hex)
{
	uint8_t k[16];

	hx_to(hex, k, 16);
	OK(mesh_add_app_key(&n->m, index, net_index, k));
}

static void setup(void)
{
	memset(&A, 0, sizeof(A));
	memset(&B, 0, sizeof(B));
	memset(&C, 0, sizeof(C));
	now = 1000;
	air_head = air_count = air_sent = air_dropped = 0;
	drop_mask = 0;
	drop_period = drop_phase = 0;
	memset(air_nodes, 0, sizeof(air_nodes));
}

static void on_air(struct node *n)
{
	for (size_t i = 0; i < ARRAY_SIZE(air_nodes); i++) {
		if (!air_nodes[i]) {
			air_nodes[i] = n;
			n->on_air = true;
			return;
		}
	}
	ck_abort_msg("air full");
}

/* Feed a PDU through an exact heap copy (AddressSanitizer sees any overread). */
static void feed(struct node *n, const uint8_t *pdu, size_t len)
{
	uint8_t *p = exact_copy(pdu, len);

	mesh_input(&n->m, now, p, len);
	free(p);
}

static void feed_hex(struct node *n, const char *hex)
{
	struct bytes b = hx(hex);

	feed(n, b.b, b.len);
}

/* Deliver everything queued on the air (and what that makes). */
static void pump(void)
{
	while (air_count) {
		unsigned slot = air_head;

		air_head = (air_head + 1) % AIR_QUEUE;
		air_count--;
		for (size_t i = 0; i < ARRAY_SIZE(air_nodes); i++)
			if (air_nodes[i] && air_nodes[i] != air_q[slot].from)
				feed(air_nodes[i], air_q[slot].pdu, air_q[slot].len);
	}
}

static struct cfgcli cli;
static bool cli_on;

/* Pump and run the timers of every mesh on the air (and the cfgcli) until
 * nothing is pending or the clock would pass until. */
static void run(uint64_t until)
{
	for (unsigned guard = 0; guard < 100000; guard++) {
		uint64_t d = NO_DEADLINE;

		pump();
		for (size_t i = 0; i < ARRAY_SIZE(air_nodes); i++)
			if (air_nodes[i])
				d = min_deadline(d, mesh_next_deadline(&air_nodes[i]->m));
		if (cli_on)
			d = min_deadline(d, cfgcli_next_deadline(&cli));
		if (d == NO_DEADLINE || d > until)
			return;
		if (d > now)
			now = d;
		for (size_t i = 0; i < ARRAY_SIZE(air_nodes); i++)
			if (air_nodes[i] && mesh_next_deadline(&air_nodes[i]->m) <= now)
				mesh_tick(&air_nodes[i]->m, now);
		if (cli_on && cfgcli_next_deadline(&cli) <= now)
			cfgcli_tick(&cli, now);
	}
	ck_abort_msg("run: no end");
}

/* Decrypt one of our PDUs with NetKey hex at IV Index iv. */
static void open_pdu(const struct sent *s, const char *net_key, uint32_t iv, struct net_hdr *h, uint8_t *t,
		     size_t *tlen)
{
	struct net_keys k;
	uint8_t key[16];

	hx_to(net_key, key, 16);
	OK(net_keys_derive(key, 0, &k));
	OK(net_decrypt(&k, 1, iv, s->pdu, s->len, h, NULL, t, tlen));
}

/* Send an access payload (hex) with the device key or an AppKey. */
static int send_hex(struct node *n, uint16_t dst, bool dev_key, uint16_t key_addr, uint16_t app_index,
		    uint8_t ttl, bool force_seg, const char *hex, unsigned *handle)
{
	struct bytes b = hx(hex);
	struct mesh_tx tx = {
		.dst = dst,
		.ttl = ttl,
		.dev_key = dev_key,
		.key_addr = key_addr,
		.net_index = 0,
		.app_index = app_index,
		.force_seg = force_seg,
		.access = b.b,
		.len = b.len,
	};

	return mesh_send(&n->m, now, &tx, handle);
}

/* A PDU built here: transport (hex) from src to dst under NET_KEY. */
static void craft(struct node *to, bool ctl, uint8_t ttl, uint32_t seq, uint16_t src, uint16_t dst,
		  const uint8_t *t, size_t tlen)
{
	struct net_hdr h = { .ctl = ctl, .ttl = ttl, .seq = seq, .src = src, .dst = dst, .iv_index = IV };
	struct net_keys k;
	uint8_t key[16], out[NET_MAX_PDU];
	size_t olen;

	hx_to(NET_KEY, key, 16);
	OK(net_keys_derive(key, 0, &k));
	OK(net_encrypt(&k, &h, t, tlen, out, &olen));
	feed(to, out, olen);
}

static void check_got(const struct got *g, const char *access_hex, uint16_t src, uint16_t dst, bool dev_key)
{
	struct bytes b = hx(access_hex);

	ck_assert_uint_eq(g->rx.len, b.len);
	ck_assert_mem_eq(g->data, b.b, b.len);
	ck_assert_uint_eq(g->rx.src, src);
	ck_assert_uint_eq(g->rx.dst, dst);
	ck_assert(g->rx.dev_key == dev_key);
}

/* ---- the node side of Configuration, just enough for the tests ---- */

static void node_reply(struct node *n, const struct mesh_rx *rx, const uint8_t *pdu, size_t len)
{
	struct mesh_tx tx = {
		.dst = rx->src,
		.ttl = MESH_TTL_DEFAULT,
		.dev_key = true,
		.key_addr = n->m.cfg.unicast, /* our own device key */
		.net_index = rx->net_index,
		.access = pdu,
		.len = len,
	};

	OK(mesh_send(&n->m, now, &tx, NULL));
}

/* Composition Data page 0: CID 0x01a8, PID 0x0001, VID 0x0002, CRPL 0x0010,
 * features Relay, one element with Config Server, Health Server and Generic
 * OnOff Server and the AliGenie vendor model 01a8:0000. */
#define COMP_PAGE0 "a801 0100 0200 1000 0100 0000 03 01 0000 0200 0010 a8010000"

static void config_server(struct node *n, const struct mesh_rx *rx)
{
	uint8_t out[64];
	size_t len;

	if (!rx->dev_key || rx->key_addr != n->m.cfg.unicast)
		return;
	if (rx->opcode == CFG_OP_APPKEY_ADD && rx->params_len == 19) {
		uint16_t net_idx, app_idx;
		int rc;

		cfg_key_index_unpack(rx->params, &net_idx, &app_idx);
		rc = mesh_add_app_key(&n->m, app_idx, net_idx, rx->params + 3);
		out[0] = 0x80;
		out[1] = 0x03;
		out[2] = rc == 0 ? CFG_STATUS_SUCCESS
			 : rc == -ENOENT ? CFG_STATUS_INVALID_NETKEY
			 : rc == -EEXIST ? CFG_STATUS_KEY_INDEX_ALREADY_STORED
					 : CFG_STATUS_INSUFFICIENT_RESOURCES;
		memcpy(out + 3, rx->params, 3);
		node_reply(n, rx, out, 6);
	} else if (rx->opcode == CFG_OP_COMP_DATA_GET && rx->params_len == 1) {
		struct bytes page = hx(COMP_PAGE0);

		out[0] = 0x02;
		out[1] = 0x00;
		memcpy(out + 2, page.b, page.len);
		len = 2 + page.len;
		node_reply(n, rx, out, len);
	}
}

/* ---- two meshes: Config AppKey Add and its Status ---- */

/* Client A (0x0001) and node B (0x0011) on the air; drop: 0 none, 1..3 the
 * first transmission of segment 0, segment 1, or the node's Segment Ack. */
static void two_meshes(void)
{
	node_init(&A, CLIENT, IV, 0, 0x100);
	node_init(&B, NODE, IV, 0, 0x500);
	add_dev_key(&A, NODE, DEV_KEY_NODE);
	add_dev_key(&B, NODE, DEV_KEY_NODE);
	on_air(&A);
	on_air(&B);
}

START_TEST(test_appkey_add_exchange)
{
	uint8_t key[16], req[CFG_MAX_REQ_PDU];
	struct mesh_tx tx;
	unsigned handle;
	int len;

	two_meshes();
	B.handler = config_server;
	if (_i > 0)
		drop_mask = 1u << (_i - 1);
	hx_to(APP_KEY, key, 16);
	len = cfg_build_appkey_add(0, 0, key, req, sizeof(req));
	ck_assert_int_eq(len, 20);
	memset(&tx, 0, sizeof(tx));
	tx.dst = NODE;
	tx.ttl = MESH_TTL_DEFAULT;
	tx.dev_key = true;
	tx.access = req;
	tx.len = (size_t)len;
	OK(mesh_send(&A.m, now, &tx, &handle));
	ck_assert_uint_ne(handle, MESH_NO_HANDLE);
	ck_assert_uint_eq(A.nsent, 2); /* 24 octets of upper PDU: two segments */
	run(now + 30000);

	/* the node got exactly the access payload, once */
	ck_assert_uint_eq(B.nrx, 1);
	ck_assert_uint_eq(B.rx[0].rx.len, 20);
	ck_assert_mem_eq(B.rx[0].data, req, 20);
	ck_assert_uint_eq(B.rx[0].rx.src, CLIENT);
	ck_assert_uint_eq(B.rx[0].rx.dst, NODE);
	ck_assert(B.rx[0].rx.dev_key);
	ck_assert_uint_eq(B.rx[0].rx.key_addr, NODE); /* its own device key */
	ck_assert_uint_eq(B.rx[0].rx.ttl, MESH_DEFAULT_TTL);
	ck_assert_uint_eq(B.rx[0].rx.opcode, CFG_OP_APPKEY_ADD);
	ck_assert_uint_eq(B.rx[0].rx.seq_auth, 0x100);
	ck_assert_uint_eq(B.m.stats.delivered, 1);
	/* ... and took the key: a second add of it is no change */
	OK(mesh_add_app_key(&B.m, 0, 0, key));

	/* the client got the AppKey Status, with the node's device key */
	ck_assert_uint_eq(A.nrx, 1);
	check_got(&A.rx[0], "8003 00 000000", NODE, CLIENT, true);
	ck_assert_uint_eq(A.rx[0].rx.key_addr, NODE);
	ck_assert_uint_eq(A.rx[0].rx.opcode, CFG_OP_APPKEY_STATUS);
	ck_assert_uint_eq(A.rx[0].rx.params_len, 4);

	/* the segmented send ended acknowledged, once */
	ck_assert_uint_eq(A.ndone, 1);
	ck_assert_uint_eq(A.done_handle[0], handle);
	ck_assert_int_eq(A.done_status[0], 0);
	ck_assert_uint_eq(mesh_next_deadline(&A.m), NO_DEADLINE);
	ck_assert_uint_eq(mesh_next_deadline(&B.m), NO_DEADLINE);
	if (_i > 0) {
		ck_assert_uint_eq(air_dropped, 1);
		ck_assert_uint_ge(A.m.lower.stats.tx_retransmitted, 1);
	} else {
		ck_assert_uint_eq(A.m.lower.stats.tx_retransmitted, 0);
		ck_assert_uint_eq(A.nsent, 2);
		ck_assert_uint_eq(B.nsent, 2); /* the Segment Ack and the Status */
	}
	if (_i == 3) /* the ack was lost: the node saw the segments again and acked again */
		ck_assert_uint_ge(B.m.lower.stats.rx_duplicates, 1);
	ck_assert_uint_eq(A.m.stats.unauthenticated + A.m.stats.malformed + A.m.stats.no_key, 0);
	ck_assert_uint_eq(B.m.stats.unauthenticated + B.m.stats.malformed + B.m.stats.no_key, 0);
}
END_TEST

/* ---- the §8.3 sample messages, byte for byte ---- */

START_TEST(test_vector_msg6_send)
{
	struct net_hdr h;
	uint8_t t[NET_MAX_TRANSPORT];
	size_t tlen;
	unsigned handle;

	node_init(&A, 0x0003, IV, 4, 0x3129ab);
	add_dev_key(&A, 0x1201, DEV_KEY_1201);
	ck_assert_uint_eq(A.reserves, 0); /* lazily */
	OK(send_hex(&A, 0x1201, true, 0, 0, MESH_TTL_DEFAULT, false, ACCESS_6, &handle));
	ck_assert_uint_eq(A.reserves, 1);
	ck_assert_uint_eq(A.last_want, MESH_SEQ_BLOCK);
	ck_assert_uint_ne(handle, MESH_NO_HANDLE);
	ck_assert_uint_eq(A.nsent, 2);
	assert_hex_at("PDU", 0, A.sent[0].pdu, A.sent[0].len, NET_6_0);
	assert_hex_at("PDU", 1, A.sent[1].pdu, A.sent[1].len, NET_6_1);
	ck_assert_uint_eq(A.m.stats.tx, 2);

	/* the node 1201 takes them with its own device key and acks both */
	node_init(&B, 0x1201, IV, 0, 0x000100);
	add_dev_key(&B, 0x1201, DEV_KEY_1201);
	feed(&B, A.sent[0].pdu, A.sent[0].len);
	ck_assert_uint_eq(B.nrx, 0);
	feed(&B, A.sent[1].pdu, A.sent[1].len);
	ck_assert_uint_eq(B.nrx, 1);
	check_got(&B.rx[0], ACCESS_6, 0x0003, 0x1201, true);
	ck_assert_uint_eq(B.rx[0].rx.key_addr, 0x1201);
	ck_assert_uint_eq(B.rx[0].rx.ttl, 4);
	ck_assert_uint_eq(B.rx[0].rx.seq_auth, 0x3129ab);
	ck_assert_uint_eq(B.rx[0].rx.iv_index, IV);
	ck_assert_uint_eq(B.rx[0].rx.net_index, 0);
	ck_assert(!B.rx[0].rx.szmic);
	ck_assert_uint_eq(B.rx[0].rx.opcode, CFG_OP_APPKEY_ADD);
	ck_assert_uint_eq(B.rx[0].rx.params_len, 19);
	/* the source's device key was looked for first, then our own */
	ck_assert_uint_eq(B.nasked, 2);
	ck_assert_uint_eq(B.dk_asked[0], 0x0003);
	ck_assert_uint_eq(B.dk_asked[1], 0x1201);
	ck_assert_uint_eq(B.nsent, 1);
	open_pdu(&B.sent[0], NET_KEY, IV, &h, t, &tlen);
	ck_assert(h.ctl);
	ck_assert_uint_eq(h.src, 0x1201);
	ck_assert_uint_eq(h.dst, 0x0003);
	ck_assert_uint_eq(h.seq, 0x000100);
	ck_assert_uint_eq(h.ttl, MESH_DEFAULT_TTL);
	EXPECT_HEX(t, tlen, "00 26ac 00000003"); /* SeqZero 09ab, both segments */

	/* the ack ends the client's message */
	feed(&A, B.sent[0].pdu, B.sent[0].len);
	ck_assert_uint_eq(A.ndone, 1);
	ck_assert_uint_eq(A.done_handle[0], handle);
	ck_assert_int_eq(A.done_status[0], 0);
	ck_assert_uint_eq(mesh_next_deadline(&A.m), NO_DEADLINE);
}
END_TEST

START_TEST(test_vector_msg16)
{
	struct bytes want = hx(NET_16);

	/* the node 1201 answers with its own device key, SEQ 6, TTL 0b */
	node_init(&B, 0x1201, IV, 0, 0x000006);
	add_dev_key(&B, 0x1201, DEV_KEY_1201);
	OK(send_hex(&B, 0x0003, true, 0x1201, 0, 0x0b, false, ACCESS_16, NULL));
	ck_assert_uint_eq(B.nsent, 1);
	assert_hex_at("PDU", 0, B.sent[0].pdu, B.sent[0].len, NET_16);

	/* the client 0003 takes it with the device key of its source */
	node_init(&A, 0x0003, IV, 0, 0x3129ab);
	add_dev_key(&A, 0x1201, DEV_KEY_1201);
	feed(&A, want.b, want.len);
	ck_assert_uint_eq(A.nrx, 1);
	check_got(&A.rx[0], ACCESS_16, 0x1201, 0x0003, true);
	ck_assert_uint_eq(A.rx[0].rx.key_addr, 0x1201);
	ck_assert_uint_eq(A.rx[0].rx.ttl, 0x0b);
	ck_assert_uint_eq(A.rx[0].rx.seq_auth, 6);
	ck_assert_uint_eq(A.rx[0].rx.opcode, CFG_OP_APPKEY_STATUS);
	ck_assert_uint_eq(A.nsent, 0); /* unsegmented: nothing to ack */
	ck_assert_uint_eq(A.m.stats.delivered, 1);
}
END_TEST

START_TEST(test_vector_msg18)
{
	/* 1201 sends it with the AppKey (index 0x123 here) to all-nodes */
	node_init(&B, 0x1201, IV, 0, 0x000007);
	add_app_key(&B, 0x123, 0, APP_KEY);
	OK(send_hex(&B, ADDR_ALL_NODES, false, 0, 0x123, 3, false, ACCESS_18, NULL));
	ck_assert_uint_eq(B.nsent, 1);
	assert_hex_at("PDU", 0, B.sent[0].pdu, B.sent[0].len, NET_18);

	/* a mesh with that AppKey (AID 26) takes it */
	node_init(&A, 0x0003, IV, 0, 0x100);
	add_app_key(&A, 0x456, 0, "00000000000000000000000000000001"); /* another AID */
	add_app_key(&A, 0x123, 0, APP_KEY);
	feed_hex(&A, NET_18);
	ck_assert_uint_eq(A.nrx, 1);
	check_got(&A.rx[0], ACCESS_18, 0x1201, ADDR_ALL_NODES, false);
	ck_assert_uint_eq(A.rx[0].rx.app_index, 0x123);
	ck_assert_uint_eq(A.rx[0].rx.ttl, 3);
	ck_assert_uint_eq(A.rx[0].rx.seq_auth, 7);
	ck_assert_uint_eq(A.rx[0].rx.opcode, 0x04);

	/* one without it has no key for it */
	node_init(&C, 0x0004, IV, 0, 0x100);
	feed_hex(&C, NET_18);
	ck_assert_uint_eq(C.nrx, 0);
	ck_assert_uint_eq(C.m.stats.no_key, 1);
	/* one with another key of the same AID: it does not verify */
	node_init(&C, 0x0004, IV, 0, 0x100);
	{
		/* find a key whose AID is 26 too */
		uint8_t k[16] = { 0 }, aid = 0;

		for (unsigned i = 1;; i++) {
			put_be32(k + 12, i);
			OK(upper_aid(k, &aid));
			if (aid == 0x26)
				break;
		}
		OK(mesh_add_app_key(&C.m, 7, 0, k));
	}
	feed_hex(&C, NET_18);
	ck_assert_uint_eq(C.nrx, 0);
	ck_assert_uint_eq(C.m.stats.unauthenticated, 1);
	/* ... while the right key next to it does */
	add_app_key(&C, 8, 0, APP_KEY);
	feed_hex(&C, NET_18); /* not a replay: the failure did not update the list */
	ck_assert_uint_eq(C.nrx, 1);
	ck_assert_uint_eq(C.rx[0].rx.app_index, 8);

	/* the AppKey bound to another subnet is not tried */
	node_init(&C, 0x0004, IV, 0, 0x100);
	{
		uint8_t k[16];

		hx_to(NET_KEY_1, k, 16);
		OK(mesh_add_net_key(&C.m, 1, k));
	}
	add_app_key(&C, 0x123, 1, APP_KEY);
	feed_hex(&C, NET_18);
	ck_assert_uint_eq(C.nrx, 0);
	ck_assert_uint_eq(C.m.stats.no_key, 1);
}
END_TEST

START_TEST(test_vector_virtual)
{
	uint8_t label[16];
	uint16_t va;
	struct mesh_tx tx;
	struct bytes acc = hx(ACCESS_22);

	/* #22: 1234 sends to the Label UUID's virtual address b529 */
	node_init(&A, 0x1234, IV_22, 3, 0x07080b);
	add_app_key(&A, 0, 0, APP_KEY);
	hx_to(LABEL_22, label, 16);
	memset(&tx, 0, sizeof(tx));
	tx.label = label;
	tx.ttl = MESH_TTL_DEFAULT;
	tx.access = acc.b;
	tx.len = acc.len;
	OK(mesh_send(&A.m, now, &tx, NULL));
	ck_assert_uint_eq(A.nsent, 1);
	assert_hex_at("PDU", 0, A.sent[0].pdu, A.sent[0].len, NET_22);
	tx.dst = 0xb529; /* the address may be given too, when it agrees */
	OK(mesh_send(&A.m, now, &tx, NULL));
	tx.dst = 0xb52a;
	ck_assert_int_eq(mesh_send(&A.m, now, &tx, NULL), -EINVAL);
	tx.label = NULL;
	tx.dst = 0xb529; /* virtual without its label */
	ck_assert_int_eq(mesh_send(&A.m, now, &tx, NULL), -EINVAL);

	/* a mesh subscribed to the label takes it; one that is not ignores it */
	node_init(&B, 0x0005, IV_22, 0, 0x100);
	add_app_key(&B, 0, 0, APP_KEY);
	feed_hex(&B, NET_22);
	ck_assert_uint_eq(B.nrx, 0);
	ck_assert_uint_eq(B.m.stats.not_for_us, 1);
	OK(mesh_subscribe_virtual(&B.m, label, &va));
	ck_assert_uint_eq(va, 0xb529);
	feed_hex(&B, NET_22);
	ck_assert_uint_eq(B.nrx, 1);
	check_got(&B.rx[0], ACCESS_22, 0x1234, 0xb529, false);
	ck_assert_ptr_nonnull(B.rx[0].rx.label);
	ck_assert_mem_eq(B.rx[0].label, label, 16);
	ck_assert_uint_eq(B.rx[0].rx.opcode, 0xd50a00);

	/* #24: segmented, 64-bit TransMIC, to 9736 */
	hx_to(LABEL_24, label, 16);
	OK(mesh_subscribe_virtual(&B.m, label, &va));
	ck_assert_uint_eq(va, 0x9736);
	feed_hex(&B, NET_24_0);
	ck_assert_uint_eq(B.nrx, 1);
	feed_hex(&B, NET_24_1);
	ck_assert_uint_eq(B.nrx, 2);
	check_got(&B.rx[1], ACCESS_24, 0x1234, 0x9736, false);
	ck_assert(B.rx[1].rx.szmic);
	ck_assert_uint_eq(B.rx[1].rx.seq_auth, 0x07080d);
	ck_assert_mem_eq(B.rx[1].label, label, 16);
	ck_assert_uint_eq(B.nsent, 0); /* no Segment Acks to a virtual address */
}
END_TEST

/* ---- replay protection, bad input ---- */

START_TEST(test_replay)
{
	node_init(&A, 0x0003, IV, 0, 0x100);
	add_dev_key(&A, 0x1201, DEV_KEY_1201);
	add_app_key(&A, 0, 0, APP_KEY);

	/* the same PDU twice: delivered once */
	feed_hex(&A, NET_16);
	feed_hex(&A, NET_16);
	ck_assert_uint_eq(A.nrx, 1);
	ck_assert_uint_eq(A.m.stats.replayed, 1);

	/* newer (#18, SEQ 7) then older (#16 again would be SEQ 6): dropped */
	feed_hex(&A, NET_18);
	ck_assert_uint_eq(A.nrx, 2);
	feed_hex(&A, NET_16);
	ck_assert_uint_eq(A.nrx, 2);
	ck_assert_uint_eq(A.m.stats.replayed, 2);

	/* a segmented message fed twice: delivered and acked once */
	node_init(&B, 0x1201, IV, 0, 0x100);
	add_dev_key(&B, 0x1201, DEV_KEY_1201);
	for (int round = 0; round < 2; round++) {
		feed_hex(&B, NET_6_0);
		feed_hex(&B, NET_6_1);
	}
	ck_assert_uint_eq(B.nrx, 1);
	ck_assert_uint_eq(B.nsent, 1);
	ck_assert_uint_eq(B.m.stats.replayed, 2);

	/* the replay list moves only once a key verifies the message */
	node_init(&C, 0x0003, IV, 0, 0x100);
	feed_hex(&C, NET_16); /* no device key for 1201 yet */
	ck_assert_uint_eq(C.m.stats.no_key, 1);
	add_dev_key(&C, 0x1201, "000102030405060708090a0b0c0d0e0f");
	feed_hex(&C, NET_16); /* a wrong one */
	ck_assert_uint_eq(C.m.stats.unauthenticated, 1);
	/* our own device key is tried second: here it is the one that made it */
	add_dev_key(&C, 0x0003, DEV_KEY_1201);
	feed_hex(&C, NET_16);
	ck_assert_uint_eq(C.nrx, 1);
	ck_assert_uint_eq(C.rx[0].rx.key_addr, 0x0003);
	ck_assert_uint_eq(C.m.stats.replayed, 0);
	feed_hex(&C, NET_16);
	ck_assert_uint_eq(C.m.stats.replayed, 1);
}
END_TEST

static unsigned long dropped_total(const struct mesh_stats *s)
{
	return s->malformed + s->unauthenticated + s->replayed + s->not_for_us + s->own + s->no_key + s->errors;
}

static uint32_t rng_state = 0x2545f491u;

static uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

START_TEST(test_bad_input)
{
	const char *pdus[] = { NET_6_0, NET_6_1, NET_16, NET_18 };
	struct bytes b;
	unsigned long fed = 0;

	node_init(&A, 0x0003, IV, 0, 0x100);
	add_dev_key(&A, 0x1201, DEV_KEY_1201);
	add_app_key(&A, 0, 0, APP_KEY);

	/* every truncation and every single-bit change */
	for (size_t p = 0; p < ARRAY_SIZE(pdus); p++) {
		b = hx(pdus[p]);
		for (size_t len = 0; len < b.len; len++, fed++)
			feed(&A, b.b, len);
		for (size_t bit = 0; bit < b.len * 8; bit++, fed++) {
			struct bytes c = b;

			c.b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			feed(&A, c.b, c.len);
		}
		b.b[b.len++] = 0; /* one octet too many */
		feed(&A, b.b, b.len);
		fed++;
	}
	/* random octets, also with our NID */
	for (unsigned i = 0; i < 3000; i++, fed++) {
		uint8_t r[40];
		size_t len = rng() % sizeof(r);

		for (size_t j = 0; j < len; j++)
			r[j] = (uint8_t)rng();
		if (len && (i & 1))
			r[0] = 0x68;
		feed(&A, r, len);
	}
	mesh_input(&A.m, now, NULL, 0);
	fed++;
	ck_assert_uint_eq(A.m.stats.rx, fed);
	ck_assert_uint_eq(A.m.stats.delivered, 0);
	ck_assert_uint_eq(A.nrx, 0);
	ck_assert_uint_eq(dropped_total(&A.m.stats), fed);
	ck_assert_uint_gt(A.m.stats.malformed, 0);
	ck_assert_uint_gt(A.m.stats.unauthenticated, 0);
	ck_assert_uint_eq(A.m.stats.errors, 0);

	/* a mesh with another NetKey: unauthenticated */
	{
		struct mesh_config cfg = { .unicast = 0x0003, .iv_index = IV };
		uint8_t k[16];

		memset(&B, 0, sizeof(B));
		B.disk = &B.own_disk;
		OK(mesh_init(&B.m, &cfg, &ops, &B));
		hx_to(NET_KEY_1, k, 16);
		OK(mesh_add_net_key(&B.m, 0, k));
		add_dev_key(&B, 0x1201, DEV_KEY_1201);
		feed_hex(&B, NET_16);
		ck_assert_uint_eq(B.m.stats.unauthenticated, 1);
		ck_assert_uint_eq(B.nrx, 0);
		/* ... or the right key at another IV Index */
		node_init(&B, 0x0003, IV + 2, 0, 0x100);
		add_dev_key(&B, 0x1201, DEV_KEY_1201);
		feed_hex(&B, NET_16);
		ck_assert_uint_eq(B.m.stats.unauthenticated, 1);
		ck_assert_uint_eq(B.nrx, 0);
	}
}
END_TEST

/* Authenticated by the network layer but malformed above it. */
START_TEST(test_malformed_above)
{
	uint8_t t[NET_MAX_TRANSPORT], key[16], upper[32];
	size_t ulen;
	unsigned long bad = 0;

	node_init(&A, 0x0003, IV, 0, 0x100);
	add_dev_key(&A, 0x1201, DEV_KEY_1201);
	hx_to(DEV_KEY_1201, key, 16);

	/* an unsegmented access PDU too short for its TransMIC */
	hx_to("00 01020304", t, 5);
	craft(&A, false, 5, 1, 0x1201, 0x0003, t, 5);
	ck_assert_uint_eq(A.m.stats.malformed, ++bad);
	/* a segment with SegO > SegN */
	hx_to("80 000041 0102030405", t, 9); /* SeqZero 0, SegO 2, SegN 1 */
	craft(&A, false, 5, 2, 0x1201, 0x0003, t, 9);
	ck_assert_uint_eq(A.m.stats.malformed, ++bad);
	/* a Segment Ack one octet short */
	hx_to("00 0000 000001", t, 6);
	craft(&A, true, 5, 3, 0x1201, 0x0003, t, 6);
	ck_assert_uint_eq(A.m.stats.malformed, ++bad);
	/* an authenticated access payload whose opcode is RFU 0x7f */
	OK(upper_encrypt(key, false, false, 4, 0x1201, 0x0003, IV, NULL, (const uint8_t *)"\x7f\x01", 2, upper,
			 &ulen));
	t[0] = 0x00;
	memcpy(t + 1, upper, ulen);
	craft(&A, false, 5, 4, 0x1201, 0x0003, t, 1 + ulen);
	ck_assert_uint_eq(A.m.stats.malformed, ++bad);
	/* ... a 2-octet opcode cut short */
	OK(upper_encrypt(key, false, false, 5, 0x1201, 0x0003, IV, NULL, (const uint8_t *)"\x80", 1, upper, &ulen));
	memcpy(t + 1, upper, ulen);
	craft(&A, false, 5, 5, 0x1201, 0x0003, t, 1 + ulen);
	ck_assert_uint_eq(A.m.stats.malformed, ++bad);
	/* a device key message to a group address */
	OK(mesh_subscribe(&A.m, 0xc000));
	OK(upper_encrypt(key, false, false, 8, 0x1201, 0xc000, IV, NULL, (const uint8_t *)"\x80\x08\x00", 3, upper,
			 &ulen));
	{
		uint8_t g[NET_MAX_TRANSPORT];

		g[0] = 0x00;
		memcpy(g + 1, upper, ulen);
		craft(&A, false, 5, 8, 0x1201, 0xc000, g, 1 + ulen);
	}
	ck_assert_uint_eq(A.m.stats.malformed, ++bad);
	ck_assert_uint_eq(A.m.stats.delivered, 0);
	/* the authenticated ones still moved the replay list: SEQ 5 again is old */
	craft(&A, false, 5, 5, 0x1201, 0x0003, t, 1 + ulen);
	ck_assert_uint_eq(A.m.stats.replayed, 1);
	/* while a good one goes through */
	OK(upper_encrypt(key, false, false, 6, 0x1201, 0x0003, IV, NULL, (const uint8_t *)"\x80\x03\x00\x00\x00\x00",
			 6, upper, &ulen));
	memcpy(t + 1, upper, ulen);
	craft(&A, false, 5, 6, 0x1201, 0x0003, t, 1 + ulen);
	ck_assert_uint_eq(A.m.stats.delivered, 1);
	/* an unknown control message (Heartbeat) is taken without a word */
	hx_to("0a 05 0000", t, 4);
	craft(&A, true, 5, 7, 0x1201, 0x0003, t, 4);
	ck_assert_uint_eq(A.m.stats.delivered, 1);
	ck_assert_uint_eq(A.m.stats.malformed, bad);
	craft(&A, true, 5, 7, 0x1201, 0x0003, t, 4);
	ck_assert_uint_eq(A.m.stats.replayed, 2);
}
END_TEST

START_TEST(test_not_ours)
{
	node_init(&A, 0x0004, IV, 0, 0x100); /* not 0003: #16 is not ours */
	add_dev_key(&A, 0x1201, DEV_KEY_1201);
	feed_hex(&A, NET_16);
	ck_assert_uint_eq(A.m.stats.not_for_us, 1);
	/* our own SRC heard back (a relay): dropped */
	node_init(&B, 0x1201, IV, 0, 0x100);
	add_dev_key(&B, 0x1201, DEV_KEY_1201);
	feed_hex(&B, NET_16);
	ck_assert_uint_eq(B.m.stats.own, 1);
	/* a range of elements: 0x0001-0x0003 takes #16 to 0003 */
	{
		struct mesh_config cfg = { .unicast = 0x0001, .elements = 3, .iv_index = IV };
		uint8_t k[16];

		memset(&C, 0, sizeof(C));
		C.disk = &C.own_disk;
		OK(mesh_init(&C.m, &cfg, &ops, &C));
		hx_to(NET_KEY, k, 16);
		OK(mesh_add_net_key(&C.m, 0, k));
		add_dev_key(&C, 0x1201, DEV_KEY_1201);
		feed_hex(&C, NET_16);
		ck_assert_uint_eq(C.nrx, 1);
		ck_assert_uint_eq(C.rx[0].rx.dst, 0x0003);
	}
}
END_TEST

/* ---- SEQ ---- */

/* Every SEQ of src in n's PDUs, appended to seqs. */
static unsigned collect_seqs(const struct node *n, uint16_t src, uint32_t *seqs, unsigned count)
{
	for (unsigned i = 0; i < n->nsent; i++) {
		struct net_hdr h;
		uint8_t t[NET_MAX_TRANSPORT];
		size_t tlen;

		open_pdu(&n->sent[i], NET_KEY, IV, &h, t, &tlen);
		ck_assert_uint_eq(h.src, src);
		seqs[count++] = h.seq;
	}
	return count;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

START_TEST(test_seq_blocks)
{
	struct mesh_config cfg = { .unicast = CLIENT, .iv_index = IV, .seq_block = 4 };
	uint8_t k[16];

	memset(&A, 0, sizeof(A));
	A.own_disk = 10;
	A.disk = &A.own_disk;
	OK(mesh_init(&A.m, &cfg, &ops, &A));
	hx_to(NET_KEY, k, 16);
	OK(mesh_add_net_key(&A.m, 0, k));
	add_app_key(&A, 0, 0, APP_KEY);
	ck_assert_uint_eq(A.reserves, 0);
	for (unsigned i = 0; i < 4; i++)
		OK(send_hex(&A, 0xc000, false, 0, 0, 5, false, "8201", NULL));
	ck_assert_uint_eq(A.reserves, 1);
	ck_assert_uint_eq(A.own_disk, 14);
	OK(send_hex(&A, 0xc000, false, 0, 0, 5, false, "8201", NULL));
	ck_assert_uint_eq(A.reserves, 2);
	ck_assert_uint_eq(A.own_disk, 18);

	/* 15..17 left: a 2-segment message fits; then 17 is too little for another */
	OK(send_hex(&A, 0xc000, false, 0, 0, 5, false, ACCESS_6, NULL));
	ck_assert_uint_eq(A.reserves, 2);
	A.reserve_rc = -EIO;
	{
		unsigned before = A.nsent;
		unsigned h = 77;

		ck_assert_int_eq(send_hex(&A, 0xc001, false, 0, 0, 5, false, ACCESS_6, &h), -EIO);
		ck_assert_uint_eq(A.nsent, before); /* nothing sent */
		ck_assert_uint_eq(h, MESH_NO_HANDLE);
		A.reserve_rc = 0;
		OK(send_hex(&A, 0xc001, false, 0, 0, 5, false, ACCESS_6, NULL));
		ck_assert_uint_eq(A.reserves, 3);
		ck_assert_uint_eq(A.nsent, before + 2);
	}
	/* force_seg: one segment */
	OK(send_hex(&A, 0xc002, false, 0, 0, 5, true, "8201", NULL));
	OK(send_hex(&A, 0xc000, false, 0, 0, 5, false, "8201", NULL));
	ck_assert_uint_eq(A.reserves, 3);
	{
		uint32_t seqs[64];
		struct net_hdr h;
		uint8_t t[NET_MAX_TRANSPORT];
		size_t tlen;
		unsigned n = collect_seqs(&A, CLIENT, seqs, 0);

		/* 10..13, 14..16, then 17 skipped: 18, 19, 20, 21 from the new block */
		ck_assert_uint_eq(n, 11);
		for (unsigned i = 0; i < 7; i++)
			ck_assert_uint_eq(seqs[i], 10 + i);
		for (unsigned i = 7; i < 11; i++)
			ck_assert_uint_eq(seqs[i], 11 + i);
		open_pdu(&A.sent[9], NET_KEY, IV, &h, t, &tlen);
		ck_assert_uint_eq(tlen, 4 + 6);
		ck_assert_uint_eq(t[0] & 0x80, 0x80); /* SEG */
		ck_assert_uint_eq(t[3] & 0x1f, 0);    /* SegN 0 */
	}

	/* a store that grants SEQs already granted is refused */
	A.reserve_back = true;
	{
		unsigned before = A.nsent;

		ck_assert_int_eq(send_hex(&A, 0xc000, false, 0, 0, 5, false, "8201", NULL), -ERANGE);
		ck_assert_uint_eq(A.nsent, before);
	}
}
END_TEST

START_TEST(test_seq_24bit)
{
	unsigned before;

	node_init(&A, CLIENT, IV, 0, 0xfffffe);
	add_app_key(&A, 0, 0, APP_KEY);
	OK(send_hex(&A, 0xc000, false, 0, 0, 5, false, "8201", NULL));
	/* a 2-segment message needs two: only one is left */
	before = A.nsent;
	ck_assert_int_eq(send_hex(&A, 0xc000, false, 0, 0, 5, false, ACCESS_6, NULL), -EOVERFLOW);
	ck_assert_uint_eq(A.nsent, before);
	OK(send_hex(&A, 0xc000, false, 0, 0, 5, false, "8201", NULL));
	ck_assert_uint_eq(A.reserves, 1);
	before = A.nsent;
	ck_assert_int_eq(send_hex(&A, 0xc000, false, 0, 0, 5, false, "8201", NULL), -EOVERFLOW);
	ck_assert_uint_eq(A.nsent, before);
	ck_assert_uint_eq(A.reserves, 1); /* not even asked */
	{
		uint32_t seqs[4];

		ck_assert_uint_eq(collect_seqs(&A, CLIENT, seqs, 0), 2);
		ck_assert_uint_eq(seqs[0], 0xfffffe);
		ck_assert_uint_eq(seqs[1], 0xffffff);
	}

	/* a new IV Index: a new SEQ space */
	ck_assert_int_eq(mesh_set_iv_index(&A.m, IV - 1), -EINVAL);
	OK(mesh_set_iv_index(&A.m, IV + 1));
	A.own_disk = 0;
	OK(send_hex(&A, 0xc000, false, 0, 0, 5, false, "8201", NULL));
	{
		struct net_hdr h;
		uint8_t t[NET_MAX_TRANSPORT];
		size_t tlen;

		open_pdu(&A.sent[A.nsent - 1], NET_KEY, IV + 1, &h, t, &tlen);
		ck_assert_uint_eq(h.seq, 0);
		ck_assert_uint_eq(h.iv_index, IV + 1);
	}
}
END_TEST

/* A crash: a new mesh starts from the end of the last reservation and never
 * sends a SEQ the old one sent (segments, retransmissions and acks included). */
START_TEST(test_seq_crash)
{
	static uint32_t seqs[2 * MAX_SENT];
	struct mesh_config cfg = { .unicast = CLIENT, .iv_index = IV, .seq_block = 8 };
	uint32_t disk = 0x40;
	unsigned n = 0, handle;
	uint8_t k[16];

	hx_to(NET_KEY, k, 16);
	two_meshes();
	/* A again, with small blocks on the shared store */
	memset(&A, 0, sizeof(A));
	A.disk = &disk;
	OK(mesh_init(&A.m, &cfg, &ops, &A));
	OK(mesh_add_net_key(&A.m, 0, k));
	add_dev_key(&A, NODE, DEV_KEY_NODE);
	add_app_key(&A, 0, 0, APP_KEY);
	A.on_air = true;
	B.handler = config_server;
	drop_period = 3; /* a lossy air: retransmissions */

	for (unsigned i = 0; i < 6; i++) {
		OK(send_hex(&A, NODE, true, 0, 0, MESH_TTL_DEFAULT, false, ACCESS_6, &handle));
		run(now + 500);
		OK(send_hex(&A, 0xc000, false, 0, 0, MESH_TTL_DEFAULT, false, "8201", NULL));
		run(now + 60000); /* until quiet */
	}
	/* crash in the middle of a segmented message */
	OK(send_hex(&A, NODE, true, 0, 0, MESH_TTL_DEFAULT, false, ACCESS_6, &handle));
	run(now + 300);
	n = collect_seqs(&A, CLIENT, seqs, n);
	ck_assert_uint_gt(n, 20);
	ck_assert_uint_gt(A.reserves, 2);

	memset(&C, 0, sizeof(C));
	C.disk = &disk; /* what survived: the end of the last reservation */
	OK(mesh_init(&C.m, &cfg, &ops, &C));
	OK(mesh_add_net_key(&C.m, 0, k));
	add_dev_key(&C, NODE, DEV_KEY_NODE);
	add_app_key(&C, 0, 0, APP_KEY);
	air_nodes[0] = &C;
	C.on_air = true;
	for (unsigned i = 0; i < 6; i++) {
		OK(send_hex(&C, NODE, true, 0, 0, MESH_TTL_DEFAULT, false, ACCESS_6, NULL));
		run(now + 60000);
		OK(send_hex(&C, 0xc000, false, 0, 0, MESH_TTL_DEFAULT, false, "8201", NULL));
	}
	run(now + 20000);
	n = collect_seqs(&C, CLIENT, seqs, n);
	ck_assert_uint_gt(C.reserves, 2);
	qsort(seqs, n, sizeof(seqs[0]), cmp_u32);
	for (unsigned i = 1; i < n; i++)
		ck_assert_msg(seqs[i] != seqs[i - 1], "SEQ %06x sent twice", (unsigned)seqs[i]);
	ck_assert_uint_ge(seqs[0], 0x40);
	ck_assert_uint_lt(seqs[n - 1], disk);
	ck_assert_uint_gt(B.nrx, 6); /* the node heard them */
}
END_TEST

/* ---- groups ---- */

START_TEST(test_group)
{
	unsigned handle;

	two_meshes();
	add_app_key(&A, 0, 0, APP_KEY);
	add_app_key(&B, 0, 0, APP_KEY);
	OK(mesh_subscribe(&B.m, 0xf000));
	OK(mesh_subscribe(&B.m, 0xf000)); /* again: no change */
	ck_assert_uint_eq(B.m.nsubs, 1);

	OK(send_hex(&A, 0xf000, false, 0, 0, MESH_TTL_DEFAULT, false, "8201", NULL));
	run(now + 1000);
	ck_assert_uint_eq(B.nrx, 1);
	check_got(&B.rx[0], "8201", CLIENT, 0xf000, false);
	ck_assert_uint_eq(B.rx[0].rx.app_index, 0);

	OK(send_hex(&A, 0xf001, false, 0, 0, MESH_TTL_DEFAULT, false, "8201", NULL));
	run(now + 1000);
	ck_assert_uint_eq(B.nrx, 1);
	ck_assert_uint_eq(B.m.stats.not_for_us, 1);

	/* all-nodes is always ours */
	OK(send_hex(&A, ADDR_ALL_NODES, false, 0, 0, MESH_TTL_DEFAULT, false, "8201", NULL));
	run(now + 1000);
	ck_assert_uint_eq(B.nrx, 2);

	/* segmented to a group: repeated, never acked, delivered once */
	OK(send_hex(&A, 0xf000, false, 0, 0, MESH_TTL_DEFAULT, false, ACCESS_6, &handle));
	ck_assert_uint_ne(handle, MESH_NO_HANDLE);
	run(now + 5000);
	ck_assert_uint_eq(B.nrx, 3);
	check_got(&B.rx[2], ACCESS_6, CLIENT, 0xf000, false);
	ck_assert_uint_eq(A.ndone, 1);
	ck_assert_int_eq(A.done_status[0], 0);
	ck_assert_uint_eq(B.m.lower.stats.tx_acks, 0);
	ck_assert_uint_eq(A.m.lower.stats.tx_segments, 2 * LOWER_GROUP_SENDS);

	OK(mesh_unsubscribe(&B.m, 0xf000));
	ck_assert_int_eq(mesh_unsubscribe(&B.m, 0xf000), -ENOENT);
	OK(send_hex(&A, 0xf000, false, 0, 0, MESH_TTL_DEFAULT, false, "8201", NULL));
	run(now + 1000);
	ck_assert_uint_eq(B.nrx, 3);
}
END_TEST

/* ---- two subnets: each message and its acks on the right one ---- */

START_TEST(test_subnets)
{
	uint8_t k[16];
	unsigned handle;

	two_meshes();
	hx_to(NET_KEY_1, k, 16);
	OK(mesh_add_net_key(&A.m, 1, k));
	OK(mesh_add_net_key(&B.m, 1, k));
	ck_assert_int_eq(mesh_add_net_key(&B.m, 1, k), 0);
	hx_to(NET_KEY, k, 16);
	ck_assert_int_eq(mesh_add_net_key(&B.m, 1, k), -EEXIST);
	add_app_key(&A, 1, 1, APP_KEY_1);
	add_app_key(&B, 1, 1, APP_KEY_1);

	/* segment 1's first transmission lost: the node's ack timer acks segment 0 */
	drop_mask = 1u << 1;
	OK(send_hex(&A, NODE, false, 0, 1, MESH_TTL_DEFAULT, false, ACCESS_6, &handle));
	run(now + 10000);
	ck_assert_uint_eq(B.nrx, 1);
	ck_assert_uint_eq(B.rx[0].rx.net_index, 1);
	ck_assert_uint_eq(B.rx[0].rx.app_index, 1);
	ck_assert_uint_eq(A.ndone, 1);
	ck_assert_int_eq(A.done_status[0], 0);
	ck_assert_uint_ge(B.m.lower.stats.tx_acks, 2);
	/* everything either sent went on subnet 1 */
	for (unsigned i = 0; i < A.nsent; i++) {
		struct net_hdr h;
		uint8_t t[NET_MAX_TRANSPORT];
		size_t tlen;

		open_pdu(&A.sent[i], NET_KEY_1, IV, &h, t, &tlen);
	}
	for (unsigned i = 0; i < B.nsent; i++) {
		struct net_hdr h;
		uint8_t t[NET_MAX_TRANSPORT];
		size_t tlen;

		open_pdu(&B.sent[i], NET_KEY_1, IV, &h, t, &tlen);
		ck_assert(h.ctl);
	}

	/* a device key message goes on the subnet asked for */
	{
		struct bytes b = hx("8008 00");
		struct mesh_tx tx = { .dst = NODE, .ttl = 5, .dev_key = true, .net_index = 1, .access = b.b,
				      .len = b.len };
		struct net_hdr h;
		uint8_t t[NET_MAX_TRANSPORT];
		size_t tlen;

		OK(mesh_send(&A.m, now, &tx, NULL));
		open_pdu(&A.sent[A.nsent - 1], NET_KEY_1, IV, &h, t, &tlen);
		tx.net_index = 2;
		ck_assert_int_eq(mesh_send(&A.m, now, &tx, NULL), -ENOENT);
		run(now + 1000);
		ck_assert_uint_eq(B.nrx, 2);
		ck_assert_uint_eq(B.rx[1].rx.net_index, 1);
	}
}
END_TEST

/* ---- the API's edges ---- */

START_TEST(test_api)
{
	struct mesh_config cfg = { .unicast = CLIENT };
	struct mesh_ops no_seq = ops;
	uint8_t k[16] = { 0 };
	struct bytes b = hx("8201");
	struct mesh_tx tx;
	unsigned handle;

	no_seq.reserve_seq = NULL;
	ck_assert_int_eq(mesh_init(&A.m, NULL, &ops, &A), -EINVAL);
	ck_assert_int_eq(mesh_init(&A.m, &cfg, NULL, &A), -EINVAL);
	ck_assert_int_eq(mesh_init(&A.m, &cfg, &no_seq, &A), -EINVAL);
	cfg.unicast = 0;
	ck_assert_int_eq(mesh_init(&A.m, &cfg, &ops, &A), -EINVAL);
	cfg.unicast = 0xc000;
	ck_assert_int_eq(mesh_init(&A.m, &cfg, &ops, &A), -EINVAL);
	cfg.unicast = 0x7fff;
	cfg.elements = 2;
	ck_assert_int_eq(mesh_init(&A.m, &cfg, &ops, &A), -EINVAL);
	cfg.unicast = CLIENT;
	cfg.default_ttl = 1;
	ck_assert_int_eq(mesh_init(&A.m, &cfg, &ops, &A), -EINVAL);
	cfg.default_ttl = 128;
	ck_assert_int_eq(mesh_init(&A.m, &cfg, &ops, &A), -EINVAL);

	node_init(&A, CLIENT, IV, 0, 0x100);
	ck_assert_uint_eq(A.m.cfg.default_ttl, MESH_DEFAULT_TTL);
	ck_assert_int_eq(mesh_add_net_key(&A.m, 0x1000, k), -EINVAL);
	for (uint16_t i = 1; i < MESH_MAX_NET_KEYS; i++) {
		k[0] = (uint8_t)i;
		OK(mesh_add_net_key(&A.m, i, k));
	}
	ck_assert_int_eq(mesh_add_net_key(&A.m, 9, k), -ENOSPC);
	ck_assert_int_eq(mesh_add_app_key(&A.m, 0, 9, k), -ENOENT);
	ck_assert_int_eq(mesh_add_app_key(&A.m, 0x1000, 0, k), -EINVAL);
	for (uint16_t i = 0; i < MESH_MAX_APP_KEYS; i++)
		OK(mesh_add_app_key(&A.m, i, 0, k));
	ck_assert_int_eq(mesh_add_app_key(&A.m, 99, 0, k), -ENOSPC);
	ck_assert_int_eq(mesh_add_app_key(&A.m, 3, 1, k), -EEXIST);
	OK(mesh_del_app_key(&A.m, 3));
	ck_assert_int_eq(mesh_del_app_key(&A.m, 3), -ENOENT);
	OK(mesh_add_app_key(&A.m, 3, 1, k));
	ck_assert_int_eq(mesh_subscribe(&A.m, 0x0005), -EINVAL);
	ck_assert_int_eq(mesh_subscribe(&A.m, 0x8005), -EINVAL);
	ck_assert_int_eq(mesh_subscribe(&A.m, ADDR_ALL_NODES), -EINVAL);
	for (uint16_t i = 0; i < MESH_MAX_SUBS; i++)
		OK(mesh_subscribe(&A.m, (uint16_t)(0xc000 + i)));
	ck_assert_int_eq(mesh_subscribe(&A.m, 0xd000), -ENOSPC);

	memset(&tx, 0, sizeof(tx));
	tx.dst = NODE;
	tx.ttl = MESH_TTL_DEFAULT;
	tx.app_index = 0;
	tx.access = b.b;
	tx.len = b.len;
	ck_assert_int_eq(mesh_send(&A.m, now, NULL, NULL), -EINVAL);
	tx.len = 0;
	ck_assert_int_eq(mesh_send(&A.m, now, &tx, NULL), -EINVAL);
	tx.len = ACCESS_MAX_PDU + 1;
	ck_assert_int_eq(mesh_send(&A.m, now, &tx, NULL), -EMSGSIZE);
	tx.len = b.len;
	tx.ttl = 128;
	ck_assert_int_eq(mesh_send(&A.m, now, &tx, NULL), -EINVAL);
	tx.ttl = MESH_TTL_DEFAULT;
	tx.dst = 0;
	ck_assert_int_eq(mesh_send(&A.m, now, &tx, NULL), -EINVAL);
	tx.dst = CLIENT; /* ourselves */
	ck_assert_int_eq(mesh_send(&A.m, now, &tx, NULL), -EINVAL);
	tx.dst = NODE;
	tx.src = 0x0002; /* not ours */
	ck_assert_int_eq(mesh_send(&A.m, now, &tx, NULL), -EINVAL);
	tx.src = 0;
	tx.app_index = 200;
	ck_assert_int_eq(mesh_send(&A.m, now, &tx, NULL), -ENOENT);
	tx.dev_key = true; /* no device key for NODE */
	ck_assert_int_eq(mesh_send(&A.m, now, &tx, NULL), -ENOENT);
	tx.dst = 0xc000; /* device key to a group */
	ck_assert_int_eq(mesh_send(&A.m, now, &tx, NULL), -EINVAL);
	ck_assert_uint_eq(A.nsent, 0);
	ck_assert_uint_eq(A.reserves, 0);

	/* TTL 0 and the maximum */
	tx.dev_key = false;
	tx.app_index = 0;
	tx.dst = NODE;
	tx.ttl = 0;
	OK(mesh_send(&A.m, now, &tx, &handle));
	ck_assert_uint_eq(handle, MESH_NO_HANDLE);
	tx.ttl = 127;
	tx.len = ACCESS_MAX_PDU; /* the longest: 32 segments */
	{
		static uint8_t big[ACCESS_MAX_PDU];

		big[0] = 0x01;
		tx.access = big;
		OK(mesh_send(&A.m, now, &tx, &handle));
		ck_assert_uint_ne(handle, MESH_NO_HANDLE);
		ck_assert_uint_eq(A.nsent, 1 + 32);
		/* one segmented message to a DST at a time */
		ck_assert_int_eq(mesh_send(&A.m, now, &tx, NULL), -EBUSY);
		OK(mesh_cancel(&A.m, handle));
		ck_assert_int_eq(mesh_cancel(&A.m, handle), -ENOENT);
		OK(mesh_send(&A.m, now, &tx, &handle));
	}
	/* nobody answers: it times out */
	for (unsigned i = 0; i < 100 && mesh_next_deadline(&A.m) != NO_DEADLINE; i++) {
		now = mesh_next_deadline(&A.m);
		mesh_tick(&A.m, now);
	}
	ck_assert_uint_eq(A.ndone, 1);
	ck_assert_uint_eq(A.done_handle[0], handle);
	ck_assert_int_eq(A.done_status[0], -ETIMEDOUT);
	{
		struct net_hdr h;
		uint8_t t[NET_MAX_TRANSPORT];
		size_t tlen;

		open_pdu(&A.sent[0], NET_KEY, IV, &h, t, &tlen);
		ck_assert_uint_eq(h.ttl, 0);
		open_pdu(&A.sent[1], NET_KEY, IV, &h, t, &tlen);
		ck_assert_uint_eq(h.ttl, 127);
	}
}
END_TEST

/* ---- a Configuration Client over two meshes ---- */

static struct {
	unsigned n;
	int rc[4];
	enum cfgcli_kind kind[4];
	struct cfg_comp_page0 page0;
	int page0_rc;
} cli_done;

static int cli_send(void *ctx, uint16_t dst, const uint8_t *pdu, size_t len)
{
	struct node *n = ctx;
	struct mesh_tx tx = {
		.dst = dst,
		.ttl = MESH_TTL_DEFAULT,
		.dev_key = true,
		.net_index = 0,
		.access = pdu,
		.len = len,
	};

	return mesh_send(&n->m, now, &tx, NULL);
}

static void cli_result(void *ctx, const struct cfgcli_req *req, const struct cfgcli_result *res)
{
	(void)ctx;
	ck_assert_uint_lt(cli_done.n, 4);
	cli_done.rc[cli_done.n] = res->rc;
	cli_done.kind[cli_done.n] = req->kind;
	cli_done.n++;
	if (req->kind == CFGCLI_COMP_DATA_GET && res->rc == 0) {
		ck_assert_uint_ge(res->params_len, 1);
		ck_assert_uint_eq(res->params[0], 0);
		cli_done.page0_rc = cfg_comp_page0_parse(res->params + 1, res->params_len - 1, &cli_done.page0);
	}
}

static const struct cfgcli_ops cli_ops = {
	.send = cli_send,
	.done = cli_result,
};

static void client_access(struct node *n, const struct mesh_rx *rx)
{
	(void)n;
	if (rx->dev_key && rx->key_addr == rx->src)
		cfgcli_input(&cli, now, rx->src, rx->access, rx->len);
}

START_TEST(test_cfgcli_e2e)
{
	struct cfgcli_req req;

	two_meshes();
	if (_i == 1)
		drop_period = 3; /* every third PDU on the air is lost */
	A.handler = client_access;
	B.handler = config_server;
	memset(&cli_done, 0, sizeof(cli_done));
	cfgcli_init(&cli, NODE, &cli_ops, &A);
	cli_on = true;

	memset(&req, 0, sizeof(req));
	req.kind = CFGCLI_APPKEY_ADD;
	req.net_idx = 0;
	req.app_idx = 0;
	hx_to(APP_KEY, req.app_key, 16);
	OK(cfgcli_enqueue(&cli, now, &req));
	memset(&req, 0, sizeof(req));
	req.kind = CFGCLI_COMP_DATA_GET;
	req.page = 0;
	OK(cfgcli_enqueue(&cli, now, &req));
	run(now + 60000);
	cli_on = false;

	ck_assert_uint_eq(cli_done.n, 2);
	ck_assert_int_eq(cli_done.kind[0], CFGCLI_APPKEY_ADD);
	ck_assert_int_eq(cli_done.rc[0], 0);
	ck_assert_int_eq(cli_done.kind[1], CFGCLI_COMP_DATA_GET);
	ck_assert_int_eq(cli_done.rc[1], 0);
	OK(cli_done.page0_rc);
	ck_assert_uint_eq(cli_done.page0.cid, 0x01a8);
	ck_assert_uint_eq(cli_done.page0.pid, 0x0001);
	ck_assert_uint_eq(cli_done.page0.features, CFG_FEAT_RELAY);
	ck_assert_uint_eq(cli_done.page0.num_elements, 1);
	ck_assert_uint_eq(cli_done.page0.elements[0].num_sig, 3);
	ck_assert_uint_eq(cli_done.page0.elements[0].sig[2], 0x1000);
	ck_assert_uint_eq(cli_done.page0.elements[0].num_vendor, 1);
	if (_i == 1)
		ck_assert_uint_gt(air_dropped, 0);

	/* the key the node took works: an AppKey message */
	add_app_key(&A, 0, 0, APP_KEY);
	{
		unsigned before = B.nrx;

		OK(send_hex(&A, NODE, false, 0, 0, MESH_TTL_DEFAULT, false, "8201", NULL));
		run(now + 1000);
		if (_i == 0) {
			ck_assert_uint_eq(B.nrx, before + 1);
			check_got(&B.rx[before], "8201", CLIENT, NODE, false);
		}
	}
	ck_assert_uint_eq(A.m.stats.unauthenticated + A.m.stats.malformed + A.m.stats.no_key, 0);
	ck_assert_uint_eq(B.m.stats.unauthenticated + B.m.stats.malformed + B.m.stats.no_key, 0);
}
END_TEST

static Suite *mesh_suite(void)
{
	Suite *s = suite_create("mesh");
	TCase *tc = tcase_create("mesh");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_appkey_add_exchange, 0, 4);
	tcase_add_test(tc, test_vector_msg6_send);
	tcase_add_test(tc, test_vector_msg16);
	tcase_add_test(tc, test_vector_msg18);
	tcase_add_test(tc, test_vector_virtual);
	tcase_add_test(tc, test_replay);
	tcase_add_test(tc, test_bad_input);
	tcase_add_test(tc, test_malformed_above);
	tcase_add_test(tc, test_not_ours);
	tcase_add_test(tc, test_seq_blocks);
	tcase_add_test(tc, test_seq_24bit);
	tcase_add_test(tc, test_seq_crash);
	tcase_add_test(tc, test_group);
	tcase_add_test(tc, test_subnets);
	tcase_add_test(tc, test_api);
	tcase_add_loop_test(tc, test_cfgcli_e2e, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(mesh_suite)
