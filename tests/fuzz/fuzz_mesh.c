/* Network PDUs from the air through the network layer, lower transport
 * (segmentation, reassembly, Segment Acks) and upper transport into the
 * access layer and meshprov's configuration engine (node_setup.c over
 * cfgcli.c), as meshprov's own node (mesh.c) receives them while it
 * configures a freshly provisioned node.
 *
 * Two meshes share an in-memory air: meshprov (0x0003) and the node
 * (0x1201, 2 elements) it configures, on the §8.2 sample NetKey, AppKey
 * (index 0x123) and device key, IV Index 12345678, so the §8.3 sample
 * messages (shared/vectors/mesh-network.md §3) are valid input. To get
 * past the NetMIC and TransMIC the fuzzer can also have the harness
 * encrypt what it chose. Input: records, the first octet % 4 saying what:
 *   0 L BYTES            a raw Network PDU (L % 32 octets) to meshprov
 *   1 C S3 SRC2 DST2 L BYTES  a lower transport PDU (L % 17 octets),
 *                        encrypted with the NetKey (C: CTL bit 7, TTL),
 *                        SEQ S3, to meshprov
 *   2 F L2 BYTES         an access payload (L2 % 381 octets) the node
 *                        sends meshprov: F bit 0 segmented, bit 1 with
 *                        the AppKey (else the device key), bit 2 to the
 *                        group 0xc000 (AppKey only)
 *   3 N                  N x 50 ms of the clock
 * After each record the air is emptied (each mesh hears the other's PDUs),
 * at most AIR_MAX PDUs a record. Deterministic: SEQs are granted from a
 * counter, the keys are fixed. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fuzz.h"
#include "log.h"
#include "mesh.h"
#include "net.h"
#include "node_setup.h"
#include "util.h"

#define PROVISIONER 0x0003
#define NODE 0x1201
#define IV 0x12345678u
#define APP_INDEX 0x123
#define AIR_MAX 64

struct side;

struct pdu {
	uint8_t b[NET_MAX_PDU];
	size_t len;
};

struct side {
	struct mesh m;
	uint32_t seq_next;
	struct pdu air[AIR_MAX]; /* what this side sent, for the other to hear */
	unsigned nair;
};

struct ctx {
	struct side prov, node;
	struct node_setup setup;
	uint64_t now;
	bool setup_done;
	unsigned long sink;
};

static struct ctx X;
static uint8_t net_key[16], app_key[16], dev_key[16];

static void send_adv(void *ctx, const uint8_t *pdu, size_t len)
{
	struct side *s = ctx;

	if (s->nair == AIR_MAX || len > NET_MAX_PDU)
		return; /* lost on the air */
	memcpy(s->air[s->nair].b, pdu, len);
	s->air[s->nair++].len = len;
}

static int reserve_seq(void *ctx, uint32_t want, uint32_t *first)
{
	struct side *s = ctx;

	if (want > MESH_SEQ_MAX + 1 - s->seq_next)
		return -EOVERFLOW;
	*first = s->seq_next;
	s->seq_next += want;
	return 0;
}

static int get_dev_key(void *ctx, uint16_t addr, uint8_t key[16])
{
	(void)ctx;
	if (addr != NODE)
		return -ENOENT;
	memcpy(key, dev_key, 16);
	return 0;
}

/* meshprov: access messages from the node go to the configuration engine */
static void prov_access(void *ctx, const struct mesh_rx *rx)
{
	struct ctx *x = &X;

	(void)ctx;
	if (rx->dev_key && rx->key_addr == NODE)
		node_setup_input(&x->setup, x->now, rx->src, rx->access, rx->len);
	else
		x->sink += rx->opcode + rx->params_len;
}

static void node_access(void *ctx, const struct mesh_rx *rx)
{
	(void)ctx;
	X.sink += rx->opcode + rx->len;
}

static void tx_done(void *ctx, unsigned handle, int status)
{
	(void)ctx;
	X.sink += handle + (unsigned)status;
}

static const struct mesh_ops prov_ops = { send_adv, reserve_seq, get_dev_key, prov_access, tx_done };
static const struct mesh_ops node_ops = { send_adv, reserve_seq, get_dev_key, node_access, tx_done };

/* the configuration engine's messages: to the node with its device key */
static int setup_send(void *ctx, uint16_t dst, const uint8_t *pdu, size_t len)
{
	struct ctx *x = ctx;
	struct mesh_tx tx = { .dst = dst, .ttl = MESH_TTL_DEFAULT, .dev_key = true, .access = pdu, .len = len };

	return mesh_send(&x->prov.m, x->now, &tx, NULL);
}

static void setup_progress(void *ctx, const char *what)
{
	struct ctx *x = ctx;

	x->sink += strlen(what);
}

static void setup_done(void *ctx, int rc, const char *msg)
{
	struct ctx *x = ctx;

	x->setup_done = true;
	x->sink += (unsigned)rc + strlen(msg);
}

static const struct node_setup_ops setup_ops = { setup_send, setup_progress, setup_done };

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_set_level(LOG_LVL_ERROR);
	/* §8.2 sample keys */
	return hex_decode("7dd7364cd842ad18c17c2b820c84c3d6", net_key, 16) |
	       hex_decode("63964771734fbd76e3b40519d1d94a48", app_key, 16) |
	       hex_decode("9d6dd0e96eb25dc19a40ed9914f8f03f", dev_key, 16);
}

static int side_init(struct side *s, uint16_t unicast, uint8_t elements, const struct mesh_ops *ops)
{
	struct mesh_config cfg = { .unicast = unicast, .elements = elements, .iv_index = IV };

	s->seq_next = 0;
	s->nair = 0;
	if (mesh_init(&s->m, &cfg, ops, s) < 0 || mesh_add_net_key(&s->m, 0, net_key) < 0 ||
	    mesh_add_app_key(&s->m, APP_INDEX, 0, app_key) < 0)
		return -1;
	return 0;
}

/* Each side hears what the other sent, until the air is quiet. */
static void air(struct ctx *x)
{
	struct pdu q[AIR_MAX];

	for (unsigned round = 0; round < 8 && (x->prov.nair || x->node.nair); round++) {
		struct side *from[2] = { &x->prov, &x->node }, *to[2] = { &x->node, &x->prov };

		for (unsigned k = 0; k < 2; k++) {
			unsigned n = from[k]->nair;

			memcpy(q, from[k]->air, n * sizeof(q[0]));
			from[k]->nair = 0;
			for (unsigned i = 0; i < n; i++)
				mesh_input(&to[k]->m, x->now, q[i].b, q[i].len);
		}
	}
	x->prov.nair = x->node.nair = 0;
}

/* Each core's deadlines that came due; a deadline a tick leaves due would
 * spin the radio's event loop: abort. */
static void tick(struct ctx *x)
{
	if (mesh_next_deadline(&x->prov.m) <= x->now) {
		mesh_tick(&x->prov.m, x->now);
		if (mesh_next_deadline(&x->prov.m) <= x->now)
			abort();
	}
	if (mesh_next_deadline(&x->node.m) <= x->now) {
		mesh_tick(&x->node.m, x->now);
		if (mesh_next_deadline(&x->node.m) <= x->now)
			abort();
	}
	if (!x->setup_done && node_setup_next_deadline(&x->setup) <= x->now)
		node_setup_tick(&x->setup, x->now);
}

static void lower_pdu(struct ctx *x, struct fz *f)
{
	uint8_t c = fz_u8(f);
	struct net_hdr h = { .ctl = c >> 7, .ttl = c & 0x7f, .iv_index = IV };
	uint8_t out[NET_MAX_PDU], *b;
	size_t len, olen;

	h.seq = (uint32_t)fz_u8(f) << 16;
	h.seq |= fz_be16(f);
	h.src = fz_be16(f);
	h.dst = fz_be16(f);
	b = fz_record(f, 17, &len);
	if (!b)
		return;
	if (net_encrypt(&x->prov.m.net[0], &h, b, len, out, &olen) == 0)
		mesh_input(&x->prov.m, x->now, out, olen);
	free(b);
}

static void node_sends(struct ctx *x, struct fz *f)
{
	uint8_t flags = fz_u8(f);
	struct mesh_tx tx = {
		.dst = PROVISIONER,
		.ttl = MESH_TTL_DEFAULT,
		.dev_key = !(flags & 2),
		.key_addr = NODE,
		.app_index = APP_INDEX,
		.force_seg = flags & 1,
	};
	size_t len;
	uint8_t *b = fz_take(f, fz_be16(f) % 381, &len);

	if (!b)
		return;
	if ((flags & 6) == 6)
		tx.dst = 0xc000;
	tx.access = b;
	tx.len = len;
	x->sink += (unsigned)mesh_send(&x->node.m, x->now, &tx, NULL);
	free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctx *x = &X;
	struct node_setup_params sp = {
		.unicast = NODE,
		.net_index = 0x456,
		.app_index = APP_INDEX,
		.bind_and_subscribe = true,
		.groups = { 0xc000, 0xcfff },
		.ngroups = 2,
	};
	struct fz f;

	x->now = 0;
	x->setup_done = false;
	if (side_init(&x->prov, PROVISIONER, 1, &prov_ops) < 0 || side_init(&x->node, NODE, 2, &node_ops) < 0 ||
	    mesh_subscribe(&x->prov.m, 0xc000) < 0)
		return 0;
	memcpy(sp.app_key, app_key, 16);
	if (node_setup_start(&x->setup, x->now, &sp, &setup_ops, x) < 0)
		return 0;
	fz_init(&f, data, size);
	while (fz_more(&f)) {
		size_t len;
		uint8_t *b;

		switch (fz_u8(&f) % 4) {
		case 0:
			b = fz_record(&f, 32, &len);
			if (b)
				mesh_input(&x->prov.m, x->now, b, len);
			free(b);
			break;
		case 1:
			lower_pdu(x, &f);
			break;
		case 2:
			node_sends(x, &f);
			break;
		case 3:
			x->now += 50u * fz_u8(&f);
			break;
		}
		air(x);
		tick(x);
		air(x);
	}
	return 0;
}
