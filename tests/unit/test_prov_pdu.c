/* Provisioning PDUs on the wire (src/prov_pdu.c): the receive check both
 * roles use, for every PDU type at its length from the Mesh Profile's table
 * (§5.4.1) minus one, exact and plus one, for unknown types and padding
 * bits, and for a type the state does not expect; the Capabilities layout
 * both roles share, both ways; then the layout of ConfirmationInputs against the §8.7 sample (tests/lib/sample87.h,
 * shared/vectors/mesh-provisioning.md §2), alone and as each role fills it. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "prov.h"
#include "prov_device.h"
#include "prov_pdu.h"
#include "sample87.h"
#include "testhex.h"
#include "util.h"

#define ALL_TYPES 0xffffffffu

/* Parameter lengths as the specification tables them, written out here
 * rather than taken from the code under test; Confirmation and Random for
 * CMAC (16) and HMAC-SHA256 (32). */
static const struct {
	uint8_t type;
	size_t cmac, hmac;
} spec[] = {
	{ PROV_INVITE, 1, 1 },        { PROV_CAPABILITIES, 11, 11 }, { PROV_START, 5, 5 },
	{ PROV_PUBLIC_KEY, 64, 64 },  { PROV_INPUT_COMPLETE, 0, 0 }, { PROV_CONFIRMATION, 16, 32 },
	{ PROV_RANDOM, 16, 32 },      { PROV_DATA, 33, 33 },         { PROV_COMPLETE, 0, 0 },
	{ PROV_FAILED, 1, 1 },
};

/* Check a PDU of this type with plen parameter octets, in a heap block of
 * exactly its size (AddressSanitizer sees a read past the end). */
static int check_len(uint8_t type, size_t plen, unsigned expect, size_t rand_len, char *why,
		     size_t whylen)
{
	uint8_t buf[PROV_MAX_PDU + 2] = { 0 };
	uint8_t *pdu;
	int err;

	buf[0] = type;
	pdu = exact_copy(buf, plen + 1);
	err = prov_pdu_check(pdu, plen + 1, expect, rand_len, "peer", why, whylen);
	free(pdu);
	return err;
}

START_TEST(test_every_type_length)
{
	static const size_t rand_lens[] = { 0, 16, 32 };
	char why[128];

	for (unsigned r = 0; r < ARRAY_SIZE(rand_lens); r++) {
		for (unsigned i = 0; i < ARRAY_SIZE(spec); i++) {
			size_t want = rand_lens[r] == 32 ? spec[i].hmac : spec[i].cmac;
			uint8_t t = spec[i].type;

			ck_assert_int_eq(prov_pdu_param_len(t, rand_lens[r]), (int)want);
			why[0] = '\0';
			ck_assert_msg(check_len(t, want, ALL_TYPES, rand_lens[r], why, sizeof(why)) == 0,
				      "type 0x%02x with %zu octets refused: %s", t, want, why);
			ck_assert_int_eq(check_len(t, want + 1, ALL_TYPES, rand_lens[r], why, sizeof(why)),
					 PROV_ERR_INVALID_FORMAT);
			ck_assert_msg(strncmp(why, "peer sent ", 10) == 0, "why: %s", why);
			if (want) {
				ck_assert_int_eq(check_len(t, want - 1, ALL_TYPES, rand_lens[r], why,
							   sizeof(why)),
						 PROV_ERR_INVALID_FORMAT);
				ck_assert_msg(strncmp(why, "peer sent ", 10) == 0, "why: %s", why);
			}
		}
	}
}
END_TEST

START_TEST(test_unknown_type)
{
	static const uint8_t padded[] = { 0x40, 0x80, 0xc0, 0x41, 0x89, 0xc5 };
	char why[128];

	/* types past Provisioning Failed, at any length, even when "expected" */
	for (unsigned t = PROV_FAILED + 1; t <= 0x3f; t++) {
		for (size_t plen = 0; plen <= 2; plen++)
			ck_assert_int_eq(check_len((uint8_t)t, plen, ALL_TYPES, 0, why, sizeof(why)),
					 PROV_ERR_INVALID_PDU);
		ck_assert_int_eq(check_len((uint8_t)t, 1, 0, 0, why, sizeof(why)), PROV_ERR_INVALID_PDU);
	}
	ck_assert_int_eq(prov_pdu_param_len(PROV_FAILED + 1, 0), -1);
	ck_assert_int_eq(prov_pdu_param_len(0xff, 16), -1);
	/* the two top bits are padding: a known type with either set is unknown */
	for (unsigned i = 0; i < ARRAY_SIZE(padded); i++) {
		size_t plen = (size_t)prov_pdu_param_len(padded[i] & 0x3f, 0);

		ck_assert_int_eq(check_len(padded[i], plen, ALL_TYPES, 0, why, sizeof(why)),
				 PROV_ERR_INVALID_PDU);
	}
	/* an empty PDU has no type */
	ck_assert_int_eq(prov_pdu_check((const uint8_t *)"", 0, ALL_TYPES, 0, "device", why, sizeof(why)),
			 PROV_ERR_INVALID_PDU);
	ck_assert_str_eq(why, "device sent an empty PDU");
}
END_TEST

/* A known type the state does not expect is Unexpected PDU, whatever its
 * length; the length is checked only for an expected type. */
START_TEST(test_unexpected_type)
{
	char why[128];

	for (unsigned i = 0; i < ARRAY_SIZE(spec); i++) {
		uint8_t t = spec[i].type;
		unsigned others = ALL_TYPES & ~PROV_PDU_BIT(t);

		ck_assert_int_eq(check_len(t, spec[i].cmac, others, 0, why, sizeof(why)),
				 PROV_ERR_UNEXPECTED_PDU);
		ck_assert_int_eq(check_len(t, spec[i].cmac + 1, 0, 0, why, sizeof(why)),
				 PROV_ERR_UNEXPECTED_PDU);
		ck_assert_int_eq(check_len(t, spec[i].cmac + 1, PROV_PDU_BIT(t), 0, why, sizeof(why)),
				 PROV_ERR_INVALID_FORMAT);
		ck_assert_int_eq(check_len(t, spec[i].cmac, PROV_PDU_BIT(t), 0, why, sizeof(why)), 0);
	}
	ck_assert_int_eq(check_len(PROV_START, 5, PROV_PDU_BIT(PROV_INVITE), 0, why, sizeof(why)),
			 PROV_ERR_UNEXPECTED_PDU);
	ck_assert_str_eq(why, "peer sent an unexpected PDU (type 0x02)");
}
END_TEST

/* ---- ConfirmationInputs ---- */

START_TEST(test_conf_inputs_layout)
{
	struct prov_conf_inputs in;

	ck_assert_uint_eq(sizeof(in), 145);
	ck_assert_uint_eq(offsetof(struct prov_conf_inputs, invite), 0);
	ck_assert_uint_eq(offsetof(struct prov_conf_inputs, capabilities), 1);
	ck_assert_uint_eq(offsetof(struct prov_conf_inputs, start), 12);
	ck_assert_uint_eq(offsetof(struct prov_conf_inputs, provisioner_key), 17);
	ck_assert_uint_eq(offsetof(struct prov_conf_inputs, device_key), 81);

	memset(&in, 0xee, sizeof(in));
	hx_to("00", in.invite, sizeof(in.invite));
	hx_to(CAPS, in.capabilities, sizeof(in.capabilities));
	hx_to(START, in.start, sizeof(in.start));
	hx_to(PROV_PUB, in.provisioner_key, sizeof(in.provisioner_key));
	hx_to(DEV_PUB, in.device_key, sizeof(in.device_key));
	EXPECT_HEX((const uint8_t *)&in, sizeof(in), CONF_INPUTS);
}
END_TEST

static void ignore_send(void *ctx, const uint8_t *pdu, size_t len)
{
	(void)ctx;
	(void)pdu;
	(void)len;
}

static void prov_failed(void *ctx, uint8_t error, bool by_device, bool timeout, const char *msg)
{
	(void)ctx;
	(void)by_device;
	(void)timeout;
	ck_abort_msg("provisioner failed (0x%02x): %s", error, msg);
}

static void prov_complete(void *ctx, const struct prov_result *r)
{
	(void)ctx;
	(void)r;
}

static void feed_prov(struct prov *p, const char *hex)
{
	struct bytes b = hx(hex);

	prov_input(p, 0, b.b, b.len);
}

/* The provisioner fills ConfirmationInputs as the sample's PDUs pass. */
START_TEST(test_provisioner_conf_inputs)
{
	static const struct prov_ops ops = {
		.send = ignore_send, .complete = prov_complete, .failed = prov_failed,
	};
	struct prov_params params = { .unicast = 0x0b0c };
	uint8_t priv[32], rnd[16];
	struct prov p;

	params.auth.kind = PROV_USE_NO_OOB;
	prov_init(&p, &params, &ops, NULL);
	hx_to(PROV_PRIV, priv, 32);
	hx_to(RAND_P, rnd, 16);
	ck_assert_int_eq(prov_test_fix(&p, priv, rnd, 16), 0);
	prov_start(&p, 0);
	feed_prov(&p, PDU_CAPS);
	feed_prov(&p, PDU_PUBKEY_D);
	ck_assert_int_eq(p.state, PROV_S_WAIT_CONFIRMATION);
	EXPECT_HEX((const uint8_t *)&p.conf_inputs, sizeof(p.conf_inputs), CONF_INPUTS);
	prov_free(&p);
}
END_TEST

static void dev_failed(void *ctx, uint8_t error, bool timeout, const char *msg)
{
	(void)ctx;
	(void)timeout;
	ck_abort_msg("device failed (0x%02x): %s", error, msg);
}

static void dev_complete(void *ctx, const struct prov_device_result *r)
{
	(void)ctx;
	(void)r;
}

static void feed_dev(struct prov_device *d, const char *hex)
{
	struct bytes b = hx(hex);

	prov_device_receive(d, 0, b.b, b.len);
}

/* The device fills it the same way. */
START_TEST(test_device_conf_inputs)
{
	static const struct prov_device_ops ops = {
		.send = ignore_send, .complete = dev_complete, .failed = dev_failed,
	};
	struct prov_device_params params = { 0 };
	struct prov_device d;
	struct bytes caps = hx(CAPS);
	uint8_t priv[32], rnd[16];

	ck_assert_int_eq(prov_pdu_parse_caps(caps.b, caps.len, &params.caps), 0);
	params.static_oob.kind = PROV_USE_NO_OOB;
	ck_assert_int_eq(prov_device_init(&d, &params, &ops, NULL), 0);
	hx_to(DEV_PRIV, priv, 32);
	hx_to(RAND_D, rnd, 16);
	ck_assert_int_eq(prov_device_test_fix(&d, priv, rnd, 16), 0);
	prov_device_start(&d, 0);
	feed_dev(&d, PDU_INVITE);
	feed_dev(&d, PDU_START);
	feed_dev(&d, PDU_PUBKEY_P);
	ck_assert_int_eq(d.state, PROV_DEV_S_WAIT_CONFIRMATION);
	EXPECT_HEX((const uint8_t *)&d.conf_inputs, sizeof(d.conf_inputs), CONF_INPUTS);
	prov_device_free(&d);
}
END_TEST

/* Capabilities: every field at its own offset (values chosen so that no two
 * fields look alike, each 16-bit field big-endian), written out here from
 * §5.4.1.2; the device's encoding decodes to what it was, and the §8.7
 * sample's octets decode and encode back unchanged. */
START_TEST(test_caps_round_trip)
{
	const struct prov_caps c = {
		.elements = 0x03, .algorithms = 0x0102, .pubkey_type = 0x01, .static_oob = 0x01,
		.output_size = 0x08, .output_actions = 0x0418, .input_size = 0x04,
		.input_actions = 0x000c,
	};
	struct prov_caps back;
	uint8_t out[PROV_CAPS_LEN], sample[PROV_CAPS_LEN];

	prov_pdu_build_caps(&c, out);
	EXPECT_HEX(out, sizeof(out), "03 0102 01 01 08 0418 04 000c");
	memset(&back, 0xa5, sizeof(back));
	ck_assert_int_eq(prov_pdu_parse_caps(out, sizeof(out), &back), 0);
	ck_assert_int_eq(back.elements, c.elements);
	ck_assert_int_eq(back.algorithms, c.algorithms);
	ck_assert_int_eq(back.pubkey_type, c.pubkey_type);
	ck_assert_int_eq(back.static_oob, c.static_oob);
	ck_assert_int_eq(back.output_size, c.output_size);
	ck_assert_int_eq(back.output_actions, c.output_actions);
	ck_assert_int_eq(back.input_size, c.input_size);
	ck_assert_int_eq(back.input_actions, c.input_actions);

	hx_to(CAPS, sample, sizeof(sample));
	ck_assert_int_eq(prov_pdu_parse_caps(sample, sizeof(sample), &back), 0);
	ck_assert_int_eq(back.elements, 1);
	ck_assert_int_eq(back.algorithms, 1);
	prov_pdu_build_caps(&back, out);
	EXPECT_HEX(out, sizeof(out), CAPS);

	/* what the provisioner refuses, the same PDU check's error */
	ck_assert_int_eq(prov_pdu_parse_caps(out, PROV_CAPS_LEN - 1, &back), PROV_ERR_INVALID_FORMAT);
	out[0] = 0; /* no elements */
	ck_assert_int_eq(prov_pdu_parse_caps(out, sizeof(out), &back), PROV_ERR_INVALID_FORMAT);
}
END_TEST

static Suite *prov_pdu_suite(void)
{
	Suite *s = suite_create("prov_pdu");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_every_type_length);
	tcase_add_test(tc, test_unknown_type);
	tcase_add_test(tc, test_unexpected_type);
	tcase_add_test(tc, test_conf_inputs_layout);
	tcase_add_test(tc, test_provisioner_conf_inputs);
	tcase_add_test(tc, test_device_conf_inputs);
	tcase_add_test(tc, test_caps_round_trip);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(prov_pdu_suite)
