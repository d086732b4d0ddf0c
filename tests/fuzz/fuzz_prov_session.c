/* PB-ADV from the air into a provisioner's session (prov_session.c): the
 * PB-ADV link (provisioner role: Link ACK, transactions, acknowledgments,
 * Link Close) carrying the provisioning protocol.
 *
 * Input: a mode octet, then records. Mode % 4: No OOB, static OOB (16
 * octets), Output OOB (the user types "123456" when asked), AliGenie. The
 * provisioner's key and random are the §8.7 sample's (prov_test_fix), and
 * the link is 23af5850 to the sample's UUID, so the sample's device frames
 * (seeds) run it to completion. Records: 0xff N: N x 100 ms of the clock;
 * L BYTES (L < 0xff, taken % 32): one PB-ADV AD payload. At the end the
 * clock runs on until the session is over. */
#include <stdio.h>
#include <string.h>

#include "fuzz.h"
#include "log.h"
#include "prov_session.h"
#include "sample.h"

struct ctx {
	struct prov_session s;
	uint64_t now;
	bool want_value;
};

static struct ctx X;

/* The session's send takes a PB-ADV payload with transmit flags and a
 * tx-done cookie, not a PDU as fuzz_prov_send does. */
static int on_send(void *ctx, const uint8_t *payload, size_t len, unsigned flags, uint32_t cookie)
{
	(void)ctx;
	fuzz_sink += len + payload[0] + flags + cookie;
	return 0;
}

static void on_auth_request(void *ctx, enum prov_auth_method method, uint8_t action, uint8_t size,
			    const char *show)
{
	struct ctx *x = ctx;

	fuzz_sink += action + size + (show ? strlen(show) : 0);
	/* typed once the input that asked for it has been handled */
	x->want_value = method == PROV_AUTH_OUTPUT;
}

static int on_assign(void *ctx, uint8_t elements, uint16_t *addr)
{
	(void)ctx;
	*addr = (uint16_t)(0x0100 + elements);
	return 0;
}

static void on_complete(void *ctx, const struct prov_result *r)
{
	(void)ctx;
	fuzz_sink += r->unicast + r->elements;
}

static void on_finished(void *ctx, bool ok, uint8_t error, const char *msg)
{
	(void)ctx;
	fuzz_sink += ok + error + strlen(msg);
}

static const struct prov_session_ops ops = {
	.send = on_send,
	.progress = fuzz_prov_progress,
	.auth_request = on_auth_request,
	.assign_address = on_assign,
	.complete = on_complete,
	.finished = on_finished,
};

FUZZ_INITIALIZE(fuzz_sample_init())

static void run_timers(struct ctx *x)
{
	while (prov_session_next_deadline(&x->s) <= x->now)
		prov_session_tick(&x->s, x->now);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctx *x = &X;
	struct prov_params pp;
	struct fz f;
	uint8_t mode;

	fz_init(&f, data, size);
	mode = fz_u8(&f);
	fuzz_sample_params(&pp);
	switch (mode % 4) {
	case 1:
		pp.auth.kind = PROV_USE_STATIC;
		memset(pp.auth.static_value, 0x5a, 16);
		pp.auth.static_len = 16;
		break;
	case 2:
		pp.auth.kind = PROV_USE_OUTPUT;
		break;
	case 3:
		pp.auth.kind = PROV_USE_ALIGENIE;
		pp.auth.product_id = 602;
		memset(pp.auth.secret, 0x15, 16);
		pp.auth.secret_len = 16;
		break;
	}
	x->now = 0;
	x->want_value = false;
	if (prov_session_start(&x->s, x->now, LINK_ID, S.uuid, &pp, &ops, x) == 0 &&
	    prov_test_fix(&x->s.prov, S.prov_priv, S.rand_p, 16) == 0) {
		while (fz_more(&f) && !x->s.finished) {
			uint8_t h = fz_u8(&f);
			uint8_t *b;
			size_t len;

			if (h == 0xff) {
				x->now += 100u * fz_u8(&f);
				run_timers(x);
				continue;
			}
			b = fz_take(&f, h % 32, &len);
			if (!b)
				break;
			prov_session_input(&x->s, x->now, b, len);
			free(b);
			if (x->want_value) {
				x->want_value = false;
				fuzz_sink += (unsigned)prov_session_auth_value(&x->s, x->now, "123456");
			}
			run_timers(x);
		}
		/* the clock runs on: every timer fires until the session is over */
		for (unsigned i = 0; i < 1000 && !x->s.finished; i++) {
			uint64_t d = prov_session_next_deadline(&x->s);

			if (d == NO_DEADLINE)
				break;
			x->now = d > x->now ? d : x->now;
			prov_session_tick(&x->s, x->now);
		}
	}
	prov_session_free(&x->s);
	return 0;
}
