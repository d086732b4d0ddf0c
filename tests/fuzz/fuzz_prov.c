/* Provisioning PDUs from a device into the provisioner's state machine
 * (prov.c), with every authentication method.
 *
 * Input: a mode octet, then records. Mode % 8 picks the authentication and
 * fixed key material (deterministic: prov_test_fix with the §8.7 sample's
 * private key and random, so the seeds replay the sample to the end):
 *   0 No OOB (CMAC sample)        4 AliGenie, random-bound
 *   1 static OOB, 16 octets       5 Output OOB (value from a 0xfe record)
 *   2 static OOB, 32 (HMAC sample) 6 Input OOB
 *   3 AliGenie                    7 No OOB, device public key known OOB
 * mode & 8: no unicast given, ask assign_address (mode & 16: it fails).
 * Records: 0xff N: N x 1 s of the clock; 0xfe L BYTES: the Output OOB value
 * typed; L BYTES (L < 0xfe, taken % 70): one PDU for prov_input. */
#include <stdio.h>
#include <string.h>

#include "fuzz.h"
#include "log.h"
#include "prov.h"
#include "sample.h"

struct ctx {
	struct prov p;
	uint64_t now;
	bool fail_assign;
};

static struct ctx X;

static void on_auth_request(void *ctx, enum prov_auth_method method, uint8_t action, uint8_t size,
			    const char *show)
{
	(void)ctx;
	fuzz_sink += method + action + size + (show ? strlen(show) : 0);
}

static int on_assign(void *ctx, uint8_t elements, uint16_t *addr)
{
	struct ctx *x = ctx;

	if (x->fail_assign)
		return -1;
	*addr = (uint16_t)(0x0100 + elements);
	return 0;
}

static void on_complete(void *ctx, const struct prov_result *r)
{
	(void)ctx;
	fuzz_sink += r->unicast + r->elements + r->device_key[0];
}

static void on_failed(void *ctx, uint8_t error, bool by_device, bool timeout, const char *msg)
{
	(void)ctx;
	fuzz_sink += error + by_device + timeout + strlen(msg) + strlen(prov_error_str(error));
}

static const struct prov_ops ops = {
	.send = fuzz_prov_send,
	.progress = fuzz_prov_progress,
	.auth_request = on_auth_request,
	.assign_address = on_assign,
	.complete = on_complete,
	.failed = on_failed,
};

FUZZ_INITIALIZE(fuzz_sample_init())

static void set_auth(struct prov_params *pp, unsigned kind)
{
	struct prov_auth *a = &pp->auth;

	switch (kind) {
	case 1:
		a->kind = PROV_USE_STATIC;
		for (unsigned i = 0; i < 16; i++)
			a->static_value[i] = (uint8_t)i;
		a->static_len = 16;
		break;
	case 2:
		a->kind = PROV_USE_STATIC;
		memcpy(a->static_value, S.h_auth, 32);
		a->static_len = 32;
		break;
	case 3:
	case 4:
		a->kind = PROV_USE_ALIGENIE;
		a->product_id = 602;
		memcpy(a->mac, "\x78\xda\x07\xc1\x1c\xa8", 6);
		memcpy(a->secret, "\x15\x65\xd0\x49\x74\x00\xc9\x99\xe9\x84\xcf\xfa\x4d\xa4\xfd\xf9", 16);
		a->secret_len = 16;
		a->random_bound = kind == 4;
		break;
	case 5:
		a->kind = PROV_USE_OUTPUT;
		break;
	case 6:
		a->kind = PROV_USE_INPUT;
		break;
	case 7:
		pp->has_device_pubkey = true;
		memcpy(pp->device_pubkey, S.dev_pub, 64);
		break;
	default:
		a->kind = PROV_USE_NO_OOB;
	}
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
	set_auth(&pp, mode % 8);
	if (mode & 8)
		pp.unicast = 0;
	x->fail_assign = mode & 16;
	x->now = 0;
	prov_init(&x->p, &pp, &ops, x);
	if ((mode % 8 == 2 ? prov_test_fix(&x->p, S.prov_priv, S.h_rand_p, 32)
			   : prov_test_fix(&x->p, S.prov_priv, S.rand_p, 16)) == 0) {
		prov_start(&x->p, x->now);
		while (fz_more(&f)) {
			uint8_t h = fz_u8(&f);
			uint8_t *b;
			size_t len;

			if (h == 0xff) {
				x->now += 1000u * fz_u8(&f);
				if (prov_next_deadline(&x->p) <= x->now)
					prov_tick(&x->p, x->now);
				continue;
			}
			b = h == 0xfe ? fz_record(&f, 16, &len) : fz_take(&f, h % 70, &len);
			if (!b)
				break;
			if (h == 0xfe) {
				char value[17];

				memcpy(value, b, len);
				value[len] = '\0';
				fuzz_sink += (unsigned)prov_set_auth_value(&x->p, x->now, value);
			} else {
				prov_input(&x->p, x->now, b, len);
			}
			free(b);
		}
		x->now += PROV_TIMEOUT_MS;
		prov_tick(&x->p, x->now);
	}
	prov_free(&x->p);
	return 0;
}
