/* PB-ADV from the air into a device-side link (pb_adv.c, device role)
 * carrying the provisioning protocol's device role (prov_device.c), joined
 * as the simulator joins them (tests/vair/simdev.c): a Link Open for our
 * UUID opens the link and starts the protocol; its PDUs go out as PB-ADV
 * transactions; after the link closes the device listens again.
 *
 * Input: a mode octet, then records. Mode % 4 picks the capabilities: the
 * §8.7 sample's (1 element, CMAC, No OOB), static OOB (16 octets), Output
 * OOB (numeric "123456"), Input OOB (the user enters "1234" when asked);
 * mode & 4 offers HMAC-SHA256 too. The device's key and random are the
 * sample's (prov_device_test_fix), so the sample's provisioner frames
 * (seeds) provision it. Records: 0xff N: N x 100 ms of the clock; L BYTES
 * (L < 0xff, taken % 32): one PB-ADV AD payload. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fuzz.h"
#include "log.h"
#include "pb_adv.h"
#include "prov_device.h"
#include "sample.h"

#define QUEUE 4

struct ctx {
	struct pb_adv_link link;
	struct prov_device dev;
	struct prov_device_params params;
	bool active; /* dev initialized */
	bool want_input;
	uint64_t now;
	uint8_t q[QUEUE][PROV_MAX_PDU];
	size_t qlen[QUEUE];
	unsigned qhead, qcount;
	unsigned long sink;
};

static struct ctx X;

static void pump(struct ctx *x)
{
	while (x->qcount > 0 && pb_adv_is_open(&x->link)) {
		if (pb_adv_send(&x->link, x->now, x->q[x->qhead], x->qlen[x->qhead]) == -EBUSY)
			return;
		x->qhead = (x->qhead + 1) % QUEUE;
		x->qcount--;
	}
}

static void pd_send(void *ctx, const uint8_t *pdu, size_t len)
{
	struct ctx *x = ctx;
	unsigned slot;

	if (x->qcount == QUEUE || len > PROV_MAX_PDU)
		return;
	slot = (x->qhead + x->qcount) % QUEUE;
	memcpy(x->q[slot], pdu, len);
	x->qlen[slot] = len;
	x->qcount++;
	pump(x);
}

static void pd_output(void *ctx, uint8_t action, const char *value)
{
	struct ctx *x = ctx;

	x->sink += action + strlen(value);
}

static void pd_input_request(void *ctx, uint8_t action, uint8_t size)
{
	struct ctx *x = ctx;

	x->sink += action + size;
	x->want_input = true;
}

static void pd_complete(void *ctx, const struct prov_device_result *r)
{
	struct ctx *x = ctx;

	x->sink += r->unicast + r->net_key_index + r->device_key[0];
}

static void pd_failed(void *ctx, uint8_t error, bool timeout, const char *msg)
{
	struct ctx *x = ctx;

	x->sink += error + timeout + strlen(msg);
}

static const struct prov_device_ops dev_ops = {
	.send = pd_send,
	.output = pd_output,
	.input_request = pd_input_request,
	.complete = pd_complete,
	.failed = pd_failed,
};

static int link_send(void *ctx, const uint8_t *payload, size_t len, unsigned flags, uint32_t cookie)
{
	struct ctx *x = ctx;

	(void)flags;
	(void)cookie;
	x->sink += len + payload[0];
	return 0;
}

static void link_opened(void *ctx)
{
	struct ctx *x = ctx;
	bool hmac = x->params.caps.algorithms & 2;

	x->qhead = x->qcount = 0;
	if (prov_device_init(&x->dev, &x->params, &dev_ops, x) < 0) {
		pb_adv_close(&x->link, x->now, PB_ADV_CLOSE_FAIL);
		return;
	}
	x->active = true;
	if (prov_device_test_fix(&x->dev, S.dev_priv, hmac ? S.h_rand_d : S.rand_d, hmac ? 32 : 16) < 0) {
		prov_device_cancel(&x->dev, "no key");
		pb_adv_close(&x->link, x->now, PB_ADV_CLOSE_FAIL);
		return;
	}
	prov_device_start(&x->dev, x->now);
}

static void link_receive(void *ctx, const uint8_t *pdu, size_t len)
{
	struct ctx *x = ctx;

	if (x->active)
		prov_device_receive(&x->dev, x->now, pdu, len);
	pump(x);
}

static void link_acked(void *ctx)
{
	pump(ctx);
}

static void link_closed(void *ctx, uint8_t reason, bool by_peer)
{
	struct ctx *x = ctx;

	x->sink += reason + by_peer;
	if (x->active) {
		if (!prov_device_done(&x->dev))
			prov_device_cancel(&x->dev, "link closed");
		prov_device_free(&x->dev);
	}
	x->active = false;
	x->qhead = x->qcount = 0;
	pb_adv_listen(&x->link, S.uuid);
}

static const struct pb_adv_ops link_ops = {
	.send = link_send,
	.opened = link_opened,
	.receive = link_receive,
	.acked = link_acked,
	.closed = link_closed,
};

FUZZ_INITIALIZE(fuzz_sample_init())

static uint64_t next_deadline(const struct ctx *x)
{
	uint64_t d = pb_adv_next_deadline(&x->link);

	return x->active ? min_deadline(d, prov_device_next_deadline(&x->dev)) : d;
}

static void tick(struct ctx *x)
{
	pb_adv_tick(&x->link, x->now);
	if (x->active)
		prov_device_tick(&x->dev, x->now);
	pump(x);
}

static void set_params(struct prov_device_params *p, uint8_t mode)
{
	memset(p, 0, sizeof(*p));
	p->caps.elements = 1;
	p->caps.algorithms = mode & 4 ? 3 : 1;
	switch (mode % 4) {
	case 1:
		p->caps.static_oob = 1;
		p->static_oob.kind = PROV_USE_STATIC;
		memset(p->static_oob.static_value, 0x5a, 16);
		p->static_oob.static_len = 16;
		break;
	case 2:
		p->caps.output_size = 6;
		p->caps.output_actions = 1u << PROV_OUT_NUMERIC;
		snprintf(p->output_value, sizeof(p->output_value), "123456");
		break;
	case 3:
		p->caps.input_size = 4;
		p->caps.input_actions = 1u << PROV_IN_NUMERIC;
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctx *x = &X;
	struct fz f;

	fz_init(&f, data, size);
	set_params(&x->params, fz_u8(&f));
	x->now = 0;
	x->active = false;
	x->want_input = false;
	x->qhead = x->qcount = 0;
	pb_adv_init(&x->link, PB_ADV_DEVICE, &link_ops, x);
	pb_adv_listen(&x->link, S.uuid);
	while (fz_more(&f)) {
		uint8_t h = fz_u8(&f);
		uint8_t *b;
		size_t len;

		if (h == 0xff) {
			x->now += 100u * fz_u8(&f);
		} else {
			b = fz_take(&f, h % 32, &len);
			if (!b)
				break;
			pb_adv_input(&x->link, x->now, b, len);
			free(b);
			pump(x);
			if (x->want_input && x->active) {
				x->want_input = false;
				x->sink += (unsigned)prov_device_input(&x->dev, x->now, "1234");
			}
		}
		while (next_deadline(x) <= x->now)
			tick(x);
	}
	/* the clock runs on until every timer has fired */
	for (unsigned i = 0; i < 1000; i++) {
		uint64_t d = next_deadline(x);

		if (d == NO_DEADLINE)
			break;
		x->now = d > x->now ? d : x->now;
		tick(x);
	}
	if (x->active) {
		prov_device_free(&x->dev);
		x->active = false;
	}
	return 0;
}
