/* Access messages and Configuration messages as they arrive decrypted:
 * the access layer's opcode split (access.c), every status and AliGenie
 * parser (cfgmsg.c), Composition Data page 0, and the configuration engine
 * (node_setup.c over cfgcli.c) configuring an AliGenie UUID version 0 node
 * (AppKey Add, Composition Data Get, then a bind and two subscriptions per
 * model the composition lists). fuzz_mesh reaches the same engine through
 * the whole stack; this one is faster and goes deeper into it.
 *
 * Input: records, each a 2-octet big-endian header H: H >= 0xff00 moves
 * the clock by (H & 0xff) x 500 ms; otherwise H % 381 octets follow: one
 * access payload from the node (0x1201). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "access.h"
#include "cfgmsg.h"
#include "fuzz.h"
#include "log.h"
#include "node_setup.h"
#include "util.h"

#define NODE 0x1201

struct ctx {
	struct node_setup setup;
	uint64_t now;
	bool done;
	unsigned long sink;
};

static struct ctx X;

static int on_send(void *ctx, uint16_t dst, const uint8_t *pdu, size_t len)
{
	struct ctx *x = ctx;

	x->sink += dst + len + pdu[0];
	return 0;
}

static void on_progress(void *ctx, const char *what)
{
	struct ctx *x = ctx;

	x->sink += strlen(what);
}

static void on_done(void *ctx, int rc, const char *msg)
{
	struct ctx *x = ctx;

	x->done = true;
	x->sink += (unsigned)rc + strlen(msg);
}

static const struct node_setup_ops ops = { on_send, on_progress, on_done };

/* Every parser that could take these parameters, whatever the opcode. */
static void parse_all(struct ctx *x, const uint8_t *p, size_t len)
{
	static struct cfg_comp_page0 comp;
	struct cfg_comp_data_status cd;
	struct cfg_appkey_status ak;
	struct cfg_model_app_status ma;
	struct cfg_model_sub_status ms;
	struct cfg_ali_indication ind;
	struct cfg_model_id m;
	uint8_t tid;
	char text[9];

	if (cfg_parse_comp_data_status(p, len, &cd) == 0 && cd.page == 0 &&
	    cfg_comp_page0_parse(cd.data, cd.len, &comp) != -EBADMSG)
		x->sink += comp.num_elements + comp.elements[0].num_sig;
	if (cfg_parse_appkey_status(p, len, &ak) == 0)
		x->sink += ak.status + strlen(cfg_status_str(ak.status));
	if (cfg_parse_model_app_status(p, len, &ma) == 0)
		x->sink += cfg_model_id_to_u32(ma.model);
	if (cfg_parse_model_sub_status(p, len, &ms) == 0)
		x->sink += ms.addr + cfg_addr_is_subscribable_group(ms.addr);
	x->sink += (unsigned)cfg_parse_node_reset_status(p, len);
	{
		struct cfg_model_pub pub;
		uint8_t status;

		if (cfg_parse_model_pub_status(p, len, &status, &pub) == 0)
			x->sink += status + pub.addr + cfg_pub_period_ms(pub.period) + cfg_model_id_to_u32(pub.model);
	}
	for (int st = 0; st < CFG_STATE_COUNT; st++) {
		struct cfg_node_state v;

		if (cfg_parse_state_status((enum cfg_state)st, p, len, &v) == 0)
			x->sink += v.value + cfg_transmit_count(v.retransmit) + cfg_transmit_steps(v.retransmit);
	}
	if (cfg_ali_indication_parse(p, len, &ind) == 0)
		x->sink += ind.tid + ind.attrs_len;
	if (cfg_ali_confirmation_parse(p, len, &tid) == 0)
		x->sink += tid;
	if (cfg_model_id_get(p, len, &m) == 0) {
		cfg_model_id_str(m, text);
		x->sink += strlen(text) + node_setup_model_wanted(&m);
	}
}

FUZZ_INITIALIZE(0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctx *x = &X;
	struct node_setup_params sp = {
		.unicast = NODE,
		.net_index = 0x456,
		.app_index = 0x123,
		.bind_and_subscribe = true,
		.groups = { 0xc000, 0xcfff },
		.ngroups = 2,
	};
	struct fz f;

	x->now = 0;
	x->done = false;
	if (hex_decode("63964771734fbd76e3b40519d1d94a48", sp.app_key, 16) < 0 ||
	    node_setup_start(&x->setup, x->now, &sp, &ops, x) < 0)
		return 0;
	fz_init(&f, data, size);
	while (fz_more(&f)) {
		uint16_t h = fz_be16(&f);
		const uint8_t *params;
		size_t len, plen;
		uint32_t op;
		uint8_t *b;

		if (h >= 0xff00) {
			x->now += 500u * (h & 0xff);
		} else {
			b = fz_take(&f, h % 381, &len);
			if (!b)
				break;
			if (access_parse(b, len, &op, &params, &plen) == 0) {
				x->sink += op + (unsigned)access_opcode_len(op);
				parse_all(x, params, plen);
			}
			if (!x->done)
				node_setup_input(&x->setup, x->now, NODE, b, len);
			free(b);
		}
		while (!x->done && node_setup_next_deadline(&x->setup) <= x->now)
			node_setup_tick(&x->setup, x->now);
	}
	if (!x->done)
		node_setup_cancel(&x->setup, x->now, "end of input");
	return 0;
}
