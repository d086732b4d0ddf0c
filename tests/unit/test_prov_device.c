/* Device role of the provisioning protocol (src/prov_device.c): the Mesh
 * Profile sample data (shared/vectors/mesh-provisioning.md §2, §3, in
 * tests/lib/sample87.h), protocol and security errors, then the provisioner
 * core (src/prov.c) against the device core, PDU to PDU through an in-memory
 * queue, for every authentication method, and once through two PB-ADV links
 * back to back (§2a sample frames) with a fake clock. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "crypto.h"
#include "pb_adv.h"
#include "prov.h"
#include "prov_device.h"
#include "sample87.h"
#include "testhex.h"
#include "util.h"

/* ---- sample data (§2, §2a and §3 are in sample87.h) ---- */

/* §4: AliGenie triple A */
#define ALI_PID 602
#define ALI_MAC "78da07c11ca8"
#define ALI_SECRET "1565d0497400c999e984cffa4da4fdf9"

/* §2a: the sample's PB-ADV frames, per sender */
static const char *const sample_frames_prov[] = {
	F_LINK_OPEN, F_INVITE, F_CAPS_ACK, F_START, F_PUBP0, F_PUBP1, F_PUBP2, F_PUBD_ACK,
	F_CONFP, F_CONFD_ACK, F_RANDP, F_RANDD_ACK, F_DATA0, F_DATA1, F_COMPLETE_ACK, F_LINK_CLOSE,
};
static const char *const sample_frames_dev[] = {
	F_LINK_ACK, F_INVITE_ACK, F_CAPS, F_START_ACK, F_PUBP_ACK, F_PUBD0, F_PUBD1,
	F_PUBD2, F_CONFP_ACK, F_CONFD, F_RANDP_ACK, F_RANDD, F_DATA_ACK, F_COMPLETE,
};

static struct prov_caps caps_of(const char *hex)
{
	struct prov_caps c;
	struct bytes b = hx(hex);

	ck_assert_int_eq(prov_pdu_parse_caps(b.b, b.len, &c), 0);
	return c;
}

static void aligenie_auth(struct prov_auth *a, const char *secret_hex, bool random_bound)
{
	memset(a, 0, sizeof(*a));
	a->kind = PROV_USE_ALIGENIE;
	a->product_id = ALI_PID;
	hx_to(ALI_MAC, a->mac, 6);
	hx_to(secret_hex, a->secret, 16);
	a->secret_len = 16;
	a->random_bound = random_bound;
}

/* ================= the device alone, against scripted PDUs ================= */

#define MAX_SENT 16

struct dmock {
	struct prov_device d;
	uint8_t sent[MAX_SENT][PROV_MAX_PDU];
	size_t sent_len[MAX_SENT];
	unsigned nsent;
	unsigned attentions;
	uint8_t attention;
	unsigned outputs;
	uint8_t out_action;
	char output[16];
	unsigned input_requests;
	uint8_t in_action, in_size;
	unsigned completes;
	struct prov_device_result result;
	unsigned fails;
	uint8_t error;
	bool timeout;
	char msg[200];
};

static void d_send(void *ctx, const uint8_t *pdu, size_t len)
{
	struct dmock *m = ctx;

	ck_assert_uint_lt(m->nsent, MAX_SENT);
	ck_assert_uint_ge(len, 1);
	ck_assert_uint_le(len, PROV_MAX_PDU);
	memcpy(m->sent[m->nsent], pdu, len);
	m->sent_len[m->nsent++] = len;
}

static void d_attention(void *ctx, uint8_t seconds)
{
	struct dmock *m = ctx;

	m->attentions++;
	m->attention = seconds;
}

static void d_output(void *ctx, uint8_t action, const char *value)
{
	struct dmock *m = ctx;

	ck_assert_uint_lt(strlen(value), sizeof(m->output));
	m->outputs++;
	m->out_action = action;
	strcpy(m->output, value);
}

static void d_input_request(void *ctx, uint8_t action, uint8_t size)
{
	struct dmock *m = ctx;

	m->input_requests++;
	m->in_action = action;
	m->in_size = size;
}

static void d_complete(void *ctx, const struct prov_device_result *r)
{
	struct dmock *m = ctx;

	ck_assert(prov_device_done(&m->d));
	m->completes++;
	m->result = *r;
}

static void d_failed(void *ctx, uint8_t error, bool timeout, const char *msg)
{
	struct dmock *m = ctx;

	ck_assert(prov_device_done(&m->d));
	ck_assert_ptr_nonnull(msg);
	m->fails++;
	m->error = error;
	m->timeout = timeout;
	snprintf(m->msg, sizeof(m->msg), "%s", msg);
}

static const struct prov_device_ops dmock_ops = {
	.send = d_send,
	.attention = d_attention,
	.output = d_output,
	.input_request = d_input_request,
	.complete = d_complete,
	.failed = d_failed,
};

static struct prov_device_params dev_params(const char *caps_hex)
{
	struct prov_device_params dp;

	memset(&dp, 0, sizeof(dp));
	dp.caps = caps_of(caps_hex);
	dp.static_oob.kind = PROV_USE_NO_OOB;
	return dp;
}

/* The sample device key and a fixed random; prov_device_start at 0. */
static struct dmock *dmock_new(const struct prov_device_params *dp, const char *random_hex)
{
	struct dmock *m = calloc(1, sizeof(*m));
	struct bytes priv = hx(DEV_PRIV), rnd = hx(random_hex);

	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(prov_device_init(&m->d, dp, &dmock_ops, m), 0);
	ck_assert_int_eq(prov_device_test_fix(&m->d, priv.b, rnd.b, rnd.len), 0);
	prov_device_start(&m->d, 0);
	return m;
}

static void dmock_free(struct dmock *m)
{
	prov_device_free(&m->d);
	free(m);
}

static void dfeed_bytes(struct dmock *m, uint64_t now, const uint8_t *p, size_t len)
{
	uint8_t *copy = exact_copy(p, len);

	prov_device_receive(&m->d, now, copy, len);
	free(copy);
}

static void dfeed(struct dmock *m, uint64_t now, const char *hex)
{
	struct bytes b = hx(hex);

	dfeed_bytes(m, now, b.b, b.len);
}

/* Invite at 10 ms, then a Start with these parameters (hex) at 20 ms. */
static void dfeed_invite_start(struct dmock *m, const char *start_hex)
{
	char pdu[32];

	dfeed(m, 10, PDU_INVITE);
	ck_assert_int_lt(snprintf(pdu, sizeof(pdu), "02%s", start_hex), (int)sizeof(pdu));
	dfeed(m, 20, pdu);
}

static void dassert_sent(const struct dmock *m, unsigned i, const char *hex)
{
	ck_assert_msg(i < m->nsent, "PDU %u not sent (%u sent)", i, m->nsent);
	assert_hex_at("PDU", i, m->sent[i], m->sent_len[i], hex);
}

static bool dsent_type(const struct dmock *m, uint8_t type)
{
	for (unsigned i = 0; i < m->nsent; i++)
		if (m->sent[i][0] == type)
			return true;
	return false;
}

/* The device failed with this code and said so in its last PDU. */
static void dassert_failed(const struct dmock *m, uint8_t error)
{
	char want[8];

	ck_assert_msg(m->fails == 1, "not failed (%u)", m->fails);
	ck_assert_uint_eq(m->completes, 0);
	ck_assert_uint_eq(m->error, error);
	ck_assert(!m->timeout);
	snprintf(want, sizeof(want), "09%02x", error);
	dassert_sent(m, m->nsent - 1, want);
	ck_assert(prov_device_done(&m->d));
	ck_assert_uint_eq(prov_device_next_deadline(&m->d), NO_DEADLINE);
}

/* Up to the key exchange of the §2 sample. */
static void dsample_to_keys(struct dmock *m)
{
	dfeed_invite_start(m, START);
	dfeed(m, 30, PDU_PUBKEY_P);
	ck_assert_msg(m->fails == 0, "failed: %s", m->msg);
	ck_assert_uint_eq(m->nsent, 2);
	dassert_sent(m, 1, PDU_PUBKEY_D);
}

/* Up to the Provisioning Data of the §2 sample: the keys, then the
 * provisioner's Confirmation and Random. */
static void dsample_to_data(struct dmock *m)
{
	dsample_to_keys(m);
	dfeed(m, 40, PDU_CONF_P);
	dfeed(m, 50, PDU_RAND_P);
}

START_TEST(test_device_sample_cmac)
{
	struct prov_device_params dp = dev_params(CAPS);
	struct dmock *m = dmock_new(&dp, RAND_D);
	struct bytes nk = hx(NET_KEY), dk = hx(DEVICE_KEY);
	uint8_t pub[64];
	uint64_t t = 0;

	ck_assert_int_eq(prov_device_public_key(&m->d, pub), 0);
	ck_assert_mem_eq(pub, hx(DEV_PUB).b, 64);
	ck_assert_uint_eq(prov_device_next_deadline(&m->d), PROV_TIMEOUT_MS);

	dfeed(m, t += 100, PDU_INVITE);
	ck_assert_uint_eq(m->nsent, 1);
	dassert_sent(m, 0, PDU_CAPS);
	ck_assert_uint_eq(m->attentions, 1);
	ck_assert_uint_eq(m->attention, 0);
	ck_assert_uint_eq(prov_device_next_deadline(&m->d), t + PROV_TIMEOUT_MS);

	dfeed(m, t += 100, PDU_START);
	ck_assert_uint_eq(m->nsent, 1);
	dfeed(m, t += 100, PDU_PUBKEY_P);
	ck_assert_uint_eq(m->nsent, 2);
	dassert_sent(m, 1, PDU_PUBKEY_D);
	ck_assert_uint_eq(m->outputs + m->input_requests, 0);

	dfeed(m, t += 100, PDU_CONF_P);
	ck_assert_uint_eq(m->nsent, 3);
	dassert_sent(m, 2, PDU_CONF_D);
	dfeed(m, t += 100, PDU_RAND_P);
	ck_assert_uint_eq(m->nsent, 4);
	dassert_sent(m, 3, PDU_RAND_D);
	ck_assert_uint_eq(m->completes, 0);

	dfeed(m, t += 100, PDU_DATA);
	ck_assert_msg(m->fails == 0, "failed: %s", m->msg);
	ck_assert_uint_eq(m->nsent, 5);
	dassert_sent(m, 4, PDU_COMPLETE);
	ck_assert_uint_eq(m->completes, 1);
	ck_assert_mem_eq(m->result.net_key, nk.b, 16);
	ck_assert_uint_eq(m->result.net_key_index, 0x0567);
	ck_assert_uint_eq(m->result.flags, 0);
	ck_assert_uint_eq(m->result.iv_index, 0x01020304);
	ck_assert_uint_eq(m->result.unicast, 0x0b0c);
	ck_assert_mem_eq(m->result.device_key, dk.b, 16);
	ck_assert_uint_eq(m->result.algorithm, PROV_ALG_CMAC);
	ck_assert_uint_eq(m->result.auth, PROV_AUTH_NO_OOB);
	ck_assert(prov_device_done(&m->d));
	ck_assert_uint_eq(prov_device_next_deadline(&m->d), NO_DEADLINE);

	/* done: nothing more */
	dfeed(m, t += 100, PDU_DATA);
	dfeed(m, t += 100, "0a");
	prov_device_tick(&m->d, t + 10 * PROV_TIMEOUT_MS);
	ck_assert_uint_eq(m->nsent, 5);
	ck_assert_uint_eq(m->fails, 0);
	ck_assert_uint_eq(m->completes, 1);
	dmock_free(m);
}
END_TEST

START_TEST(test_device_sample_hmac)
{
	struct prov_device_params dp = dev_params(H_CAPS);
	struct dmock *m;
	struct bytes dk = hx(H_DEVICE_KEY), nk = hx(NET_KEY);

	dp.static_oob.kind = PROV_USE_STATIC;
	hx_to(H_AUTH, dp.static_oob.static_value, 32);
	dp.static_oob.static_len = 32;
	m = dmock_new(&dp, H_RAND_D);
	dfeed(m, 10, PDU_INVITE);
	dassert_sent(m, 0, "01" H_CAPS);
	dfeed(m, 20, "02" H_START);
	dfeed(m, 30, PDU_PUBKEY_P);
	dassert_sent(m, 1, PDU_PUBKEY_D);
	dfeed(m, 40, PDU_CONF_P); /* 16 octets: malformed with HMAC */
	dassert_failed(m, PROV_ERR_INVALID_FORMAT);
	dmock_free(m);

	m = dmock_new(&dp, H_RAND_D);
	dfeed_invite_start(m, H_START);
	dfeed(m, 30, PDU_PUBKEY_P);
	dfeed(m, 40, "05" H_CONF_P);
	dassert_sent(m, 2, "05" H_CONF_D);
	dfeed(m, 50, "06" H_RAND_P);
	dassert_sent(m, 3, "06" H_RAND_D);
	dfeed(m, 60, H_DATA);
	ck_assert_msg(m->fails == 0, "failed: %s", m->msg);
	dassert_sent(m, 4, PDU_COMPLETE);
	ck_assert_uint_eq(m->completes, 1);
	ck_assert_mem_eq(m->result.device_key, dk.b, 16);
	ck_assert_mem_eq(m->result.net_key, nk.b, 16);
	ck_assert_uint_eq(m->result.unicast, 0x0b0c);
	ck_assert_uint_eq(m->result.algorithm, PROV_ALG_HMAC);
	ck_assert_uint_eq(m->result.auth, PROV_AUTH_STATIC);
	dmock_free(m);
}
END_TEST

START_TEST(test_device_init_validation)
{
	struct prov_device d;
	struct prov_device_params dp = dev_params(CAPS);
	static const struct prov_device_ops no_send = { .complete = d_complete, .failed = d_failed };

	ck_assert_int_eq(prov_device_init(&d, &dp, &dmock_ops, NULL), 0);
	prov_device_free(&d);
	ck_assert_int_eq(prov_device_init(&d, &dp, &no_send, NULL), -EINVAL);

	dp.caps.elements = 0;
	ck_assert_int_eq(prov_device_init(&d, &dp, &dmock_ops, NULL), -EINVAL);
	dp = dev_params(CAPS);
	dp.caps.output_size = 4; /* without actions */
	ck_assert_int_eq(prov_device_init(&d, &dp, &dmock_ops, NULL), -EINVAL);

	dp = dev_params(CAPS);
	dp.caps.static_oob = 1; /* offered without a value */
	ck_assert_int_eq(prov_device_init(&d, &dp, &dmock_ops, NULL), -EINVAL);
	dp.static_oob.kind = PROV_USE_STATIC;
	dp.static_oob.static_len = 20;
	ck_assert_int_eq(prov_device_init(&d, &dp, &dmock_ops, NULL), -EINVAL);
	dp.static_oob.static_len = 16;
	ck_assert_int_eq(prov_device_init(&d, &dp, &dmock_ops, NULL), 0);
	prov_device_free(&d);
	aligenie_auth(&dp.static_oob, ALI_SECRET, false);
	dp.static_oob.secret_len = 0;
	ck_assert_int_eq(prov_device_init(&d, &dp, &dmock_ops, NULL), -EINVAL);
	dp.static_oob.kind = PROV_USE_OUTPUT;
	ck_assert_int_eq(prov_device_init(&d, &dp, &dmock_ops, NULL), -EINVAL);

	dp = dev_params(CAPS);
	strcpy(dp.output_value, "ab12");
	ck_assert_int_eq(prov_device_init(&d, &dp, &dmock_ops, NULL), -EINVAL);
	memset(dp.output_value, '1', sizeof(dp.output_value)); /* not terminated */
	ck_assert_int_eq(prov_device_init(&d, &dp, &dmock_ops, NULL), -EINVAL);
	strcpy(dp.output_value, "AB12");
	ck_assert_int_eq(prov_device_init(&d, &dp, &dmock_ops, NULL), 0);
	prov_device_free(&d);
}
END_TEST

START_TEST(test_device_start_validation)
{
	static const struct {
		const char *caps, *start;
		bool ok;
	} cases[] = {
		{ CAPS, START, true },
		{ CAPS, "0100000000", false },                     /* HMAC not offered */
		{ CAPS, "0200000000", false },                     /* unknown algorithm */
		{ CAPS, "0001000000", false },                     /* OOB public key not offered */
		{ "0100010100000000000000", "0001000000", true },
		{ "0100010100000000000000", "0002000000", false }, /* public key type 2 */
		{ CAPS, "0000040000", false },                     /* method 4 */
		{ CAPS, "0000000100", false },                     /* No OOB with an action */
		{ CAPS, "0000000001", false },                     /* No OOB with a size */
		{ CAPS, "0000010000", false },                     /* static OOB not offered */
		{ "0100010001000000000000", "0000010000", true },
		{ "0100010001000000000000", "0000010100", false }, /* static with an action */
		{ "0100010003000000000000", "0000000000", false }, /* only OOB-authenticated */
		{ "0100010003000000000000", "0000010000", true },
		{ CAPS, "0000020304", false },                     /* output not offered */
		{ "0100010000040008000000", "0000020304", true },
		{ "0100010000040008000000", "0000020302", true },  /* a smaller size */
		{ "0100010000040008000000", "0000020305", false }, /* a larger size */
		{ "0100010000040008000000", "0000020300", false }, /* size 0 */
		{ "0100010000040008000000", "0000020004", false }, /* blink not offered */
		{ "0100010000040008000000", "0000020504", false }, /* action 5 */
		{ "0100010000000000040004", "0000030204", true },
		{ "0100010000000000040004", "0000030304", false }, /* input alphanumeric not offered */
		{ "0100010000000000040004", "0000030209", false },
		{ "0100010000000000040004", "0000030404", false }, /* action 4 */
	};

	for (unsigned i = 0; i < ARRAY_SIZE(cases); i++) {
		struct prov_device_params dp = dev_params(cases[i].caps);
		struct dmock *m;

		if (dp.caps.static_oob & 1) {
			dp.static_oob.kind = PROV_USE_STATIC;
			dp.static_oob.static_len = 16;
		}
		m = dmock_new(&dp, RAND_D);
		dfeed_invite_start(m, cases[i].start);
		if (cases[i].ok) {
			ck_assert_msg(m->fails == 0, "case %u: %s", i, m->msg);
			ck_assert_uint_eq(m->nsent, 1);
			ck_assert_uint_eq(m->d.state, PROV_DEV_S_WAIT_PUBKEY);
		} else {
			ck_assert_msg(m->fails == 1, "case %u: Start %s accepted", i, cases[i].start);
			dassert_failed(m, PROV_ERR_INVALID_FORMAT);
			ck_assert_uint_eq(m->nsent, 2);
		}
		dmock_free(m);
	}
}
END_TEST

START_TEST(test_device_static_length_vs_algorithm)
{
	/* a 32-octet static value cannot be used with CMAC */
	struct prov_device_params dp = dev_params(H_CAPS);
	struct dmock *m;

	dp.static_oob.kind = PROV_USE_STATIC;
	dp.static_oob.static_len = 32;
	m = dmock_new(&dp, H_RAND_D);
	dfeed_invite_start(m, "0000010000");
	dassert_failed(m, PROV_ERR_INVALID_FORMAT);
	dmock_free(m);

	/* the AliGenie random-bound AuthValue needs CMAC */
	aligenie_auth(&dp.static_oob, ALI_SECRET, true);
	m = dmock_new(&dp, H_RAND_D);
	dfeed_invite_start(m, H_START);
	dassert_failed(m, PROV_ERR_INVALID_FORMAT);
	dmock_free(m);

	/* a 16-octet random cannot serve HMAC */
	dp.static_oob.kind = PROV_USE_STATIC;
	dp.static_oob.static_len = 32;
	m = dmock_new(&dp, RAND_D);
	dfeed_invite_start(m, H_START);
	dassert_failed(m, PROV_ERR_UNEXPECTED_ERROR);
	dmock_free(m);
}
END_TEST

START_TEST(test_device_protocol_errors)
{
	static const struct {
		unsigned stage; /* PDUs of the sample fed first: 0 none, 1 Invite, 2 +Start, 3 +Public Key */
		const char *pdu;
		uint8_t error;
	} cases[] = {
		{ 0, "0a", PROV_ERR_INVALID_PDU },
		{ 0, "3f00", PROV_ERR_INVALID_PDU },
		{ 0, "4000", PROV_ERR_INVALID_PDU }, /* padding bits */
		{ 0, "8000", PROV_ERR_INVALID_PDU },
		{ 0, "00", PROV_ERR_INVALID_FORMAT },
		{ 0, "000000", PROV_ERR_INVALID_FORMAT },
		{ 0, PDU_START, PROV_ERR_UNEXPECTED_PDU },
		{ 0, PDU_CAPS, PROV_ERR_UNEXPECTED_PDU },
		{ 1, PDU_INVITE, PROV_ERR_UNEXPECTED_PDU },
		{ 1, "0200000000", PROV_ERR_INVALID_FORMAT },
		{ 1, "020000000000ff", PROV_ERR_INVALID_FORMAT },
		{ 1, PDU_PUBKEY_P, PROV_ERR_UNEXPECTED_PDU },
		{ 2, "03" "00", PROV_ERR_INVALID_FORMAT },
		{ 2, PDU_CONF_P, PROV_ERR_UNEXPECTED_PDU },
		{ 2, "04", PROV_ERR_UNEXPECTED_PDU }, /* Input Complete comes from devices */
		{ 3, PDU_RAND_P, PROV_ERR_UNEXPECTED_PDU },
		{ 3, "05" "b38a114dfdca1fe153bd2c1e0dc46a", PROV_ERR_INVALID_FORMAT },
		{ 3, "0904", PROV_ERR_UNEXPECTED_PDU }, /* Provisioning Failed comes from devices */
		{ 3, PDU_COMPLETE, PROV_ERR_UNEXPECTED_PDU },
		{ 3, PDU_DATA, PROV_ERR_UNEXPECTED_PDU },
	};

	for (unsigned i = 0; i < ARRAY_SIZE(cases); i++) {
		struct prov_device_params dp = dev_params(CAPS);
		struct dmock *m = dmock_new(&dp, RAND_D);
		unsigned nsent;

		if (cases[i].stage >= 1)
			dfeed(m, 10, PDU_INVITE);
		if (cases[i].stage >= 2)
			dfeed(m, 20, PDU_START);
		if (cases[i].stage >= 3)
			dfeed(m, 30, PDU_PUBKEY_P);
		ck_assert_uint_eq(m->fails, 0);
		nsent = m->nsent;
		dfeed(m, 40, cases[i].pdu);
		ck_assert_msg(m->fails == 1 && m->error == cases[i].error, "case %u: error %u, want %u", i,
			      m->error, cases[i].error);
		dassert_failed(m, cases[i].error);
		ck_assert_uint_eq(m->nsent, nsent + 1);
		dmock_free(m);
	}
}
END_TEST

START_TEST(test_device_empty_pdu)
{
	struct prov_device_params dp = dev_params(CAPS);
	struct dmock *m = dmock_new(&dp, RAND_D);

	dfeed_bytes(m, 10, NULL, 0);
	dassert_failed(m, PROV_ERR_INVALID_PDU);
	dmock_free(m);
}
END_TEST

START_TEST(test_device_not_started)
{
	struct prov_device_params dp = dev_params(CAPS);
	struct dmock *m = calloc(1, sizeof(*m));

	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(prov_device_init(&m->d, &dp, &dmock_ops, m), 0);
	ck_assert_uint_eq(prov_device_next_deadline(&m->d), NO_DEADLINE);
	dfeed(m, 10, PDU_INVITE);
	prov_device_tick(&m->d, 10 * PROV_TIMEOUT_MS);
	ck_assert_uint_eq(m->nsent, 0);
	ck_assert_uint_eq(m->fails, 0);
	prov_device_start(&m->d, 20);
	dfeed(m, 30, PDU_INVITE);
	ck_assert_uint_eq(m->nsent, 1);
	dmock_free(m);
}
END_TEST

START_TEST(test_device_pubkey_checks)
{
	struct prov_device_params dp = dev_params(CAPS);
	struct dmock *m = dmock_new(&dp, RAND_D);
	uint8_t pdu[65];

	/* our own key reflected */
	dfeed_invite_start(m, START);
	dfeed(m, 30, PDU_PUBKEY_D);
	dassert_failed(m, PROV_ERR_UNEXPECTED_ERROR);
	ck_assert(!dsent_type(m, PROV_PUBLIC_KEY));
	dmock_free(m);

	/* not a point on the curve */
	m = dmock_new(&dp, RAND_D);
	dfeed_invite_start(m, START);
	hx_to(PDU_PUBKEY_P, pdu, 65);
	pdu[64] ^= 0x01;
	dfeed_bytes(m, 30, pdu, 65);
	dassert_failed(m, PROV_ERR_UNEXPECTED_ERROR);
	ck_assert(!dsent_type(m, PROV_PUBLIC_KEY));
	dmock_free(m);

	/* all zero */
	m = dmock_new(&dp, RAND_D);
	dfeed_invite_start(m, START);
	memset(pdu, 0, sizeof(pdu));
	pdu[0] = PROV_PUBLIC_KEY;
	dfeed_bytes(m, 30, pdu, 65);
	dassert_failed(m, PROV_ERR_UNEXPECTED_ERROR);
	dmock_free(m);
}
END_TEST

START_TEST(test_device_confirmation_checks)
{
	struct prov_device_params dp = dev_params(CAPS);
	struct dmock *m;
	uint8_t pdu[17];

	/* the provisioner's confirmation equals ours: rejected before we send ours */
	m = dmock_new(&dp, RAND_D);
	dsample_to_keys(m);
	dfeed(m, 40, PDU_CONF_D);
	dassert_failed(m, PROV_ERR_CONFIRMATION_FAILED);
	ck_assert(!dsent_type(m, PROV_CONFIRMATION));
	dmock_free(m);

	/* the provisioner's random equals ours */
	m = dmock_new(&dp, RAND_D);
	dsample_to_keys(m);
	dfeed(m, 40, PDU_CONF_P);
	dfeed(m, 50, PDU_RAND_D);
	dassert_failed(m, PROV_ERR_CONFIRMATION_FAILED);
	ck_assert(!dsent_type(m, PROV_RANDOM));
	dmock_free(m);

	/* a confirmation that does not match the random */
	m = dmock_new(&dp, RAND_D);
	dsample_to_keys(m);
	hx_to(PDU_CONF_P, pdu, 17);
	pdu[16] ^= 0x80;
	dfeed_bytes(m, 40, pdu, 17);
	dassert_sent(m, 2, PDU_CONF_D); /* we cannot know yet */
	dfeed(m, 50, PDU_RAND_P);
	dassert_failed(m, PROV_ERR_CONFIRMATION_FAILED);
	ck_assert_str_eq(m->msg, "provisioner confirmation does not verify: wrong AuthValue");
	ck_assert(!dsent_type(m, PROV_RANDOM));
	ck_assert_uint_eq(m->nsent, 4);
	/* and the Data is never accepted afterwards */
	dfeed(m, 60, PDU_DATA);
	ck_assert_uint_eq(m->completes, 0);
	ck_assert_uint_eq(m->nsent, 4);
	dmock_free(m);
}
END_TEST

START_TEST(test_device_data_checks)
{
	struct prov_device_params dp = dev_params(CAPS);
	struct dmock *m;
	uint8_t pdu[34], plain[25], key[16], nonce[13];

	/* MIC failure */
	m = dmock_new(&dp, RAND_D);
	dsample_to_data(m);
	hx_to(PDU_DATA, pdu, 34);
	pdu[33] ^= 0x01;
	dfeed_bytes(m, 60, pdu, 34);
	dassert_failed(m, PROV_ERR_DECRYPTION_FAILED);
	ck_assert(!dsent_type(m, PROV_COMPLETE));
	dmock_free(m);

	/* ciphertext bit flipped */
	m = dmock_new(&dp, RAND_D);
	dsample_to_data(m);
	hx_to(PDU_DATA, pdu, 34);
	pdu[5] ^= 0x10;
	dfeed_bytes(m, 60, pdu, 34);
	dassert_failed(m, PROV_ERR_DECRYPTION_FAILED);
	dmock_free(m);

	/* authentic, but values no node can take: unicast 0, a group address, key index > 0xfff */
	hx_to(SESSION_KEY, key, 16);
	hx_to(SESSION_NONCE, nonce, 13);
	for (unsigned i = 0; i < 4; i++) {
		m = dmock_new(&dp, RAND_D);
		dsample_to_data(m);
		hx_to(DATA_PLAIN, plain, 25);
		if (i == 0)
			put_be16(plain + 23, 0x0000);
		else if (i == 1)
			put_be16(plain + 23, 0xc000);
		else if (i == 2)
			put_be16(plain + 16, 0x1000);
		else
			put_be16(plain + 23, 0x7fff); /* one element: the last unicast address is fine */
		pdu[0] = PROV_DATA;
		ck_assert_int_eq(crypto_aes_ccm_encrypt(key, nonce, NULL, 0, plain, 25, pdu + 1, pdu + 26, 8), 0);
		dfeed_bytes(m, 60, pdu, 34);
		if (i < 3) {
			dassert_failed(m, PROV_ERR_INVALID_DATA);
		} else {
			ck_assert_uint_eq(m->completes, 1);
			ck_assert_uint_eq(m->result.unicast, 0x7fff);
		}
		dmock_free(m);
	}
}
END_TEST

START_TEST(test_device_timeout)
{
	struct prov_device_params dp = dev_params(CAPS);
	struct dmock *m = dmock_new(&dp, RAND_D); /* started at 0 */

	prov_device_tick(&m->d, PROV_TIMEOUT_MS - 1);
	ck_assert_uint_eq(m->fails, 0);
	dfeed(m, 30000, PDU_INVITE);
	ck_assert_uint_eq(prov_device_next_deadline(&m->d), 30000 + PROV_TIMEOUT_MS);
	prov_device_tick(&m->d, PROV_TIMEOUT_MS);
	ck_assert_uint_eq(m->fails, 0);
	prov_device_tick(&m->d, 30000 + PROV_TIMEOUT_MS);
	ck_assert_uint_eq(m->fails, 1);
	ck_assert(m->timeout);
	ck_assert_uint_eq(m->error, 0);
	ck_assert_uint_eq(m->nsent, 1); /* no Provisioning Failed on a timeout */
	ck_assert_uint_eq(prov_device_next_deadline(&m->d), NO_DEADLINE);
	dfeed(m, 100000, PDU_START);
	ck_assert_uint_eq(m->nsent, 1);
	ck_assert_uint_eq(m->fails, 1);
	dmock_free(m);
}
END_TEST

START_TEST(test_device_cancel)
{
	struct prov_device_params dp = dev_params(CAPS);
	struct dmock *m = dmock_new(&dp, RAND_D);

	dfeed(m, 10, PDU_INVITE);
	prov_device_cancel(&m->d, "switched off");
	ck_assert_uint_eq(m->fails, 1);
	ck_assert_uint_eq(m->error, 0);
	ck_assert_str_eq(m->msg, "switched off");
	ck_assert_uint_eq(m->nsent, 1);
	dfeed(m, 20, PDU_START);
	ck_assert_uint_eq(m->nsent, 1);
	dmock_free(m);
}
END_TEST

START_TEST(test_device_output_values)
{
	static const struct {
		const char *caps, *start, *fixed;
		uint8_t action;
		size_t min_len, max_len;
		bool alpha;
	} cases[] = {
		{ "0100010000040008000000", "0000020304", "", PROV_OUT_NUMERIC, 1, 4, false },
		{ "0100010000080010000000", "0000020408", "", PROV_OUT_ALPHA, 8, 8, true },
		{ "0100010000010001000000", "0000020001", "", PROV_OUT_BLINK, 1, 1, false },
		{ "0100010000060008000000", "0000020306", "314159", PROV_OUT_NUMERIC, 6, 6, false },
		{ "0100010000060010000000", "0000020406", "MESH42", PROV_OUT_ALPHA, 6, 6, true },
	};

	for (unsigned i = 0; i < ARRAY_SIZE(cases); i++) {
		struct prov_device_params dp = dev_params(cases[i].caps);
		struct dmock *m;
		size_t n;

		strcpy(dp.output_value, cases[i].fixed);
		m = dmock_new(&dp, RAND_D);
		dfeed_invite_start(m, cases[i].start);
		ck_assert_uint_eq(m->outputs, 0);
		dfeed(m, 30, PDU_PUBKEY_P);
		ck_assert_msg(m->fails == 0, "case %u: %s", i, m->msg);
		dassert_sent(m, 1, PDU_PUBKEY_D); /* our key first, then the value is shown */
		ck_assert_uint_eq(m->outputs, 1);
		ck_assert_uint_eq(m->out_action, cases[i].action);
		n = strlen(m->output);
		ck_assert_uint_ge(n, cases[i].min_len);
		ck_assert_uint_le(n, cases[i].max_len);
		if (cases[i].fixed[0])
			ck_assert_str_eq(m->output, cases[i].fixed);
		for (size_t k = 0; k < n; k++) {
			char c = m->output[k];

			ck_assert((c >= '0' && c <= '9') || (cases[i].alpha && c >= 'A' && c <= 'Z'));
		}
		if (cases[i].action == PROV_OUT_BLINK)
			ck_assert_str_ne(m->output, "0"); /* a count of at least one */
		ck_assert_uint_eq(m->d.state, PROV_DEV_S_WAIT_CONFIRMATION);
		dmock_free(m);
	}

	/* a fixed value that does not fit the Start: Invalid Format */
	{
		struct prov_device_params dp = dev_params("0100010000080018000000");
		struct dmock *m;

		strcpy(dp.output_value, "MESH42");
		m = dmock_new(&dp, RAND_D);
		dfeed_invite_start(m, "0000020308"); /* numeric: letters do not fit */
		dassert_failed(m, PROV_ERR_INVALID_FORMAT);
		dmock_free(m);
		m = dmock_new(&dp, RAND_D);
		dfeed_invite_start(m, "0000020405"); /* 6 characters > size 5 */
		dassert_failed(m, PROV_ERR_INVALID_FORMAT);
		dmock_free(m);
	}
}
END_TEST

START_TEST(test_device_input_api)
{
	struct prov_device_params dp = dev_params("0100010000000000040004");
	struct dmock *m = dmock_new(&dp, RAND_D);

	ck_assert_int_eq(prov_device_input(&m->d, 5, "1234"), -EBUSY);
	dfeed_invite_start(m, "0000030204");
	ck_assert_int_eq(prov_device_input(&m->d, 25, "1234"), -EBUSY);
	dfeed(m, 30, PDU_PUBKEY_P);
	dassert_sent(m, 1, PDU_PUBKEY_D);
	ck_assert_uint_eq(m->input_requests, 1);
	ck_assert_uint_eq(m->in_action, PROV_IN_NUMERIC);
	ck_assert_uint_eq(m->in_size, 4);
	ck_assert_uint_eq(m->nsent, 2);

	ck_assert_int_eq(prov_device_input(&m->d, 40, "12345"), -EINVAL); /* too long */
	ck_assert_int_eq(prov_device_input(&m->d, 40, "12A4"), -EINVAL);
	ck_assert_int_eq(prov_device_input(&m->d, 40, ""), -EINVAL);
	ck_assert_uint_eq(m->nsent, 2);
	ck_assert_uint_eq(m->fails, 0);
	ck_assert_int_eq(prov_device_input(&m->d, 50000, "1234"), 0);
	ck_assert_uint_eq(m->nsent, 3);
	dassert_sent(m, 2, "04");
	ck_assert_uint_eq(prov_device_next_deadline(&m->d), 50000 + PROV_TIMEOUT_MS);
	ck_assert_int_eq(prov_device_input(&m->d, 50001, "1234"), -EBUSY);
	ck_assert_uint_eq(m->d.state, PROV_DEV_S_WAIT_CONFIRMATION);
	dmock_free(m);

	/* a Confirmation before the user entered the value is unexpected */
	m = dmock_new(&dp, RAND_D);
	dfeed_invite_start(m, "0000030204");
	dfeed(m, 30, PDU_PUBKEY_P);
	dfeed(m, 40, PDU_CONF_P);
	dassert_failed(m, PROV_ERR_UNEXPECTED_PDU);
	dmock_free(m);
}
END_TEST

/* ================= provisioner core against device core ================= */

#define QMAX 64

struct msg {
	bool to_device;
	uint8_t b[PROV_MAX_PDU];
	size_t len;
};

struct e2e {
	struct prov p;
	struct prov_device d;
	struct msg q[QMAX];
	unsigned qhead, qtail;
	uint64_t now;
	uint8_t to_device[QMAX], to_prov[QMAX]; /* PDU types in delivery order */
	unsigned n_to_device, n_to_prov;
	/* provisioner events */
	unsigned p_completes, p_fails, p_auth_requests;
	struct prov_result p_result;
	uint8_t p_error;
	bool p_by_device, p_timeout;
	char p_msg[200];
	enum prov_auth_method p_auth_method;
	uint8_t p_auth_action, p_auth_size;
	char p_show[16];
	/* device events */
	unsigned d_completes, d_fails, d_outputs, d_input_requests;
	struct prov_device_result d_result;
	uint8_t d_error;
	bool d_timeout;
	char d_msg[200];
	uint8_t d_out_action, d_in_action, d_in_size;
	char d_output[16];
};

static void enqueue(struct e2e *e, bool to_device, const uint8_t *pdu, size_t len)
{
	struct msg *m;

	ck_assert_uint_lt(e->qtail, QMAX);
	ck_assert_uint_le(len, PROV_MAX_PDU);
	m = &e->q[e->qtail++];
	m->to_device = to_device;
	memcpy(m->b, pdu, len);
	m->len = len;
}

static void ep_send(void *ctx, const uint8_t *pdu, size_t len)
{
	enqueue(ctx, true, pdu, len);
}

static void ep_auth_request(void *ctx, enum prov_auth_method method, uint8_t action, uint8_t size,
			    const char *show)
{
	struct e2e *e = ctx;

	e->p_auth_requests++;
	e->p_auth_method = method;
	e->p_auth_action = action;
	e->p_auth_size = size;
	e->p_show[0] = '\0';
	if (show)
		snprintf(e->p_show, sizeof(e->p_show), "%s", show);
}

static void ep_complete(void *ctx, const struct prov_result *r)
{
	struct e2e *e = ctx;

	e->p_completes++;
	e->p_result = *r;
}

static void ep_failed(void *ctx, uint8_t error, bool by_device, bool timeout, const char *msg)
{
	struct e2e *e = ctx;

	e->p_fails++;
	e->p_error = error;
	e->p_by_device = by_device;
	e->p_timeout = timeout;
	snprintf(e->p_msg, sizeof(e->p_msg), "%s", msg);
}

static const struct prov_ops e2e_prov_ops = {
	.send = ep_send,
	.auth_request = ep_auth_request,
	.complete = ep_complete,
	.failed = ep_failed,
};

static void ed_send(void *ctx, const uint8_t *pdu, size_t len)
{
	enqueue(ctx, false, pdu, len);
}

static void ed_output(void *ctx, uint8_t action, const char *value)
{
	struct e2e *e = ctx;

	e->d_outputs++;
	e->d_out_action = action;
	snprintf(e->d_output, sizeof(e->d_output), "%s", value);
}

static void ed_input_request(void *ctx, uint8_t action, uint8_t size)
{
	struct e2e *e = ctx;

	e->d_input_requests++;
	e->d_in_action = action;
	e->d_in_size = size;
}

static void ed_complete(void *ctx, const struct prov_device_result *r)
{
	struct e2e *e = ctx;

	e->d_completes++;
	e->d_result = *r;
}

static void ed_failed(void *ctx, uint8_t error, bool timeout, const char *msg)
{
	struct e2e *e = ctx;

	e->d_fails++;
	e->d_error = error;
	e->d_timeout = timeout;
	snprintf(e->d_msg, sizeof(e->d_msg), "%s", msg);
}

static const struct prov_device_ops e2e_dev_ops = {
	.send = ed_send,
	.output = ed_output,
	.input_request = ed_input_request,
	.complete = ed_complete,
	.failed = ed_failed,
};

/* The provisioner's network parameters for the end-to-end runs. */
static struct prov_params e2e_params(void)
{
	struct prov_params pp;

	memset(&pp, 0, sizeof(pp));
	pp.attention = 5;
	pp.auth.kind = PROV_USE_NO_OOB;
	hx_to("7dd7364cd842ad18c17c2b820c84c3d6", pp.net_key, 16);
	pp.net_key_index = 0x0123;
	pp.flags = 0x02;
	pp.iv_index = 0x12345678;
	pp.unicast = 0x0042;
	return pp;
}

/* Both cores with fresh keys and randoms. */
static struct e2e *e2e_new(const struct prov_params *pp, const struct prov_device_params *dp)
{
	struct e2e *e = calloc(1, sizeof(*e));

	ck_assert_ptr_nonnull(e);
	e->now = 1000;
	prov_init(&e->p, pp, &e2e_prov_ops, e);
	ck_assert_int_eq(prov_device_init(&e->d, dp, &e2e_dev_ops, e), 0);
	return e;
}

static void e2e_free(struct e2e *e)
{
	prov_free(&e->p);
	prov_device_free(&e->d);
	free(e);
}

/* Deliver queued PDUs, in order, until nobody has anything to say. */
static void pump(struct e2e *e)
{
	while (e->qhead < e->qtail) {
		struct msg *m = &e->q[e->qhead++];
		uint8_t *copy = exact_copy(m->b, m->len);

		e->now += 7;
		if (m->to_device) {
			e->to_device[e->n_to_device++] = copy[0];
			prov_device_receive(&e->d, e->now, copy, m->len);
		} else {
			e->to_prov[e->n_to_prov++] = copy[0];
			prov_input(&e->p, e->now, copy, m->len);
		}
		free(copy);
	}
}

static void e2e_start(struct e2e *e)
{
	prov_device_start(&e->d, e->now);
	prov_start(&e->p, e->now);
	pump(e);
}

/* Both cores, started, the PDUs delivered until nobody has anything to say
 * (done, failed, or waiting for the user). */
static struct e2e *e2e_run(const struct prov_params *pp, const struct prov_device_params *dp)
{
	struct e2e *e = e2e_new(pp, dp);

	e2e_start(e);
	return e;
}

static bool delivered(const uint8_t *types, unsigned n, uint8_t type)
{
	for (unsigned i = 0; i < n; i++)
		if (types[i] == type)
			return true;
	return false;
}

static void assert_e2e_success(const struct e2e *e, const struct prov_params *pp, uint8_t alg,
			       enum prov_auth_method auth)
{
	ck_assert_msg(e->p_fails == 0, "provisioner failed: %s", e->p_msg);
	ck_assert_msg(e->d_fails == 0, "device failed: %s", e->d_msg);
	ck_assert_uint_eq(e->p_completes, 1);
	ck_assert_uint_eq(e->d_completes, 1);
	ck_assert(prov_done(&e->p));
	ck_assert(prov_device_done(&e->d));
	ck_assert_mem_eq(e->p_result.device_key, e->d_result.device_key, 16);
	ck_assert_mem_eq(e->d_result.net_key, pp->net_key, 16);
	ck_assert_uint_eq(e->d_result.net_key_index, pp->net_key_index);
	ck_assert_uint_eq(e->d_result.flags, pp->flags);
	ck_assert_uint_eq(e->d_result.iv_index, pp->iv_index);
	ck_assert_uint_eq(e->d_result.unicast, pp->unicast);
	ck_assert_uint_eq(e->p_result.unicast, pp->unicast);
	ck_assert_uint_eq(e->p_result.elements, e->d.params.caps.elements);
	ck_assert_uint_eq(e->p_result.algorithm, alg);
	ck_assert_uint_eq(e->d_result.algorithm, alg);
	ck_assert_uint_eq(e->p_result.auth, auth);
	ck_assert_uint_eq(e->d_result.auth, auth);
	ck_assert_uint_eq(e->qhead, e->qtail);
}

/* Authentication failed: the device noticed when the provisioner's Random
 * arrived, said Confirmation Failed, and never saw the Provisioning Data. */
static void assert_e2e_confirmation_failed(const struct e2e *e)
{
	ck_assert_uint_eq(e->p_completes, 0);
	ck_assert_uint_eq(e->d_completes, 0);
	ck_assert_uint_eq(e->d_fails, 1);
	ck_assert_uint_eq(e->d_error, PROV_ERR_CONFIRMATION_FAILED);
	ck_assert_uint_eq(e->p_fails, 1);
	ck_assert(e->p_by_device);
	ck_assert_uint_eq(e->p_error, PROV_ERR_CONFIRMATION_FAILED);
	ck_assert_msg(strstr(e->p_msg, "Confirmation Failed") != NULL, "message: %s", e->p_msg);
	ck_assert(!delivered(e->to_device, e->n_to_device, PROV_DATA));
	ck_assert(!delivered(e->to_prov, e->n_to_prov, PROV_RANDOM));
	ck_assert(delivered(e->to_prov, e->n_to_prov, PROV_FAILED));
}

START_TEST(test_e2e_no_oob)
{
	struct prov_params pp = e2e_params();
	struct prov_device_params dp = dev_params("0200010000000000000000");
	struct e2e *e = e2e_run(&pp, &dp);
	static const uint8_t want_to_device[] = { PROV_INVITE, PROV_START, PROV_PUBLIC_KEY, PROV_CONFIRMATION,
						  PROV_RANDOM, PROV_DATA };
	static const uint8_t want_to_prov[] = { PROV_CAPABILITIES, PROV_PUBLIC_KEY, PROV_CONFIRMATION,
						PROV_RANDOM, PROV_COMPLETE };

	assert_e2e_success(e, &pp, PROV_ALG_CMAC, PROV_AUTH_NO_OOB);
	ck_assert_uint_eq(e->p_result.elements, 2);
	ck_assert_uint_eq(e->n_to_device, ARRAY_SIZE(want_to_device));
	ck_assert_mem_eq(e->to_device, want_to_device, sizeof(want_to_device));
	ck_assert_uint_eq(e->n_to_prov, ARRAY_SIZE(want_to_prov));
	ck_assert_mem_eq(e->to_prov, want_to_prov, sizeof(want_to_prov));
	ck_assert_uint_eq(e->p_auth_requests + e->d_outputs + e->d_input_requests, 0);
	e2e_free(e);
}
END_TEST

START_TEST(test_e2e_static16)
{
	struct prov_params pp = e2e_params();
	struct prov_device_params dp = dev_params("0100010001000000000000");
	struct e2e *e;

	pp.auth.kind = PROV_USE_STATIC;
	pp.auth.static_len = 16;
	hx_to("00112233445566778899aabbccddeeff", pp.auth.static_value, 16);
	dp.static_oob = pp.auth;
	e = e2e_run(&pp, &dp);
	assert_e2e_success(e, &pp, PROV_ALG_CMAC, PROV_AUTH_STATIC);
	e2e_free(e);

	/* one octet differs */
	dp.static_oob.static_value[15] ^= 0x01;
	e = e2e_run(&pp, &dp);
	assert_e2e_confirmation_failed(e);
	ck_assert_str_eq(e->d_msg, "provisioner confirmation does not verify: wrong AuthValue");
	e2e_free(e);
}
END_TEST

START_TEST(test_e2e_static32_hmac)
{
	struct prov_params pp = e2e_params();
	struct prov_device_params dp = dev_params("0100030001000000000000");
	struct e2e *e;

	pp.auth.kind = PROV_USE_STATIC;
	pp.auth.static_len = 32;
	hx_to(H_AUTH, pp.auth.static_value, 32);
	dp.static_oob = pp.auth;
	e = e2e_run(&pp, &dp);
	assert_e2e_success(e, &pp, PROV_ALG_HMAC, PROV_AUTH_STATIC);
	e2e_free(e);

	/* the last octet differs: only HMAC uses it, and it does */
	dp.static_oob.static_value[31] ^= 0x01;
	e = e2e_run(&pp, &dp);
	assert_e2e_confirmation_failed(e);
	e2e_free(e);
}
END_TEST

START_TEST(test_e2e_aligenie)
{
	for (int rb = 0; rb <= 1; rb++) {
		struct prov_params pp = e2e_params();
		struct prov_device_params dp = dev_params("0100010001000000000000");
		struct e2e *e;

		aligenie_auth(&pp.auth, ALI_SECRET, rb);
		dp.static_oob = pp.auth;
		e = e2e_run(&pp, &dp);
		assert_e2e_success(e, &pp, PROV_ALG_CMAC, PROV_AUTH_STATIC);
		e2e_free(e);
	}
}
END_TEST

START_TEST(test_e2e_aligenie_wrong_secret)
{
	for (int rb = 0; rb <= 1; rb++) {
		struct prov_params pp = e2e_params();
		struct prov_device_params dp = dev_params("0100010001000000000000");
		struct e2e *e;

		aligenie_auth(&pp.auth, "1565d0497400c999e984cffa4da4fdf8", rb); /* last digit off */
		aligenie_auth(&dp.static_oob, ALI_SECRET, rb);
		e = e2e_run(&pp, &dp);
		assert_e2e_confirmation_failed(e);
		ck_assert_msg(strstr(e->p_msg, "secret") != NULL, "message: %s", e->p_msg);
		e2e_free(e);
	}

	/* plain on one side, random-bound on the other: no match either */
	{
		struct prov_params pp = e2e_params();
		struct prov_device_params dp = dev_params("0100010001000000000000");
		struct e2e *e;

		aligenie_auth(&pp.auth, ALI_SECRET, false);
		aligenie_auth(&dp.static_oob, ALI_SECRET, true);
		e = e2e_run(&pp, &dp);
		assert_e2e_confirmation_failed(e);
		e2e_free(e);
	}
}
END_TEST

/* Output OOB: the device shows a value, the user types it into the provisioner. */
static void run_output(const char *caps_hex, const char *fixed, uint8_t want_action, bool wrong, uint8_t alg)
{
	struct prov_params pp = e2e_params();
	struct prov_device_params dp = dev_params(caps_hex);
	struct e2e *e;
	char typed[16];

	pp.auth.kind = PROV_USE_OUTPUT;
	strcpy(dp.output_value, fixed);
	e = e2e_run(&pp, &dp);
	ck_assert_msg(e->p_fails + e->d_fails == 0, "failed: %s / %s", e->p_msg, e->d_msg);
	ck_assert_uint_eq(e->d_outputs, 1);
	ck_assert_uint_eq(e->d_out_action, want_action);
	ck_assert_uint_eq(e->p_auth_requests, 1);
	ck_assert_uint_eq(e->p_auth_method, PROV_AUTH_OUTPUT);
	ck_assert_uint_eq(e->p_auth_action, want_action);
	ck_assert_uint_le(strlen(e->d_output), e->p_auth_size);
	if (fixed[0])
		ck_assert_str_eq(e->d_output, fixed);
	ck_assert(!delivered(e->to_device, e->n_to_device, PROV_CONFIRMATION)); /* waiting for the user */

	strcpy(typed, e->d_output);
	if (wrong) /* change the last character, staying in the alphabet */
		typed[strlen(typed) - 1] = typed[strlen(typed) - 1] == '1' ? '2' : '1';
	ck_assert_int_eq(prov_set_auth_value(&e->p, e->now, typed), 0);
	pump(e);
	if (wrong)
		assert_e2e_confirmation_failed(e);
	else
		assert_e2e_success(e, &pp, alg, PROV_AUTH_OUTPUT);
	e2e_free(e);
}

START_TEST(test_e2e_output_numeric)
{
	for (int i = 0; i < 4; i++) /* random values */
		run_output("0100010000060008000000", "", PROV_OUT_NUMERIC, false, PROV_ALG_CMAC);
	run_output("0100010000060008000000", "314159", PROV_OUT_NUMERIC, false, PROV_ALG_CMAC);
	run_output("0100010000060008000000", "314159", PROV_OUT_NUMERIC, true, PROV_ALG_CMAC);
	/* blink count */
	run_output("0100010000010001000000", "", PROV_OUT_BLINK, false, PROV_ALG_CMAC);
}
END_TEST

/* HMAC only: a 32-octet numeric AuthValue */
START_TEST(test_e2e_output_numeric_hmac)
{
	run_output("0100020000060008000000", "271828", PROV_OUT_NUMERIC, false, PROV_ALG_HMAC);
	run_output("0100020000060008000000", "", PROV_OUT_NUMERIC, false, PROV_ALG_HMAC);
	run_output("0100020000060008000000", "271828", PROV_OUT_NUMERIC, true, PROV_ALG_HMAC);
}
END_TEST

START_TEST(test_e2e_output_alpha)
{
	run_output("0100010000080010000000", "", PROV_OUT_ALPHA, false, PROV_ALG_CMAC);
	run_output("0100010000080010000000", "MESH42", PROV_OUT_ALPHA, false, PROV_ALG_CMAC);
	run_output("0100010000080010000000", "MESH42", PROV_OUT_ALPHA, true, PROV_ALG_CMAC);
}
END_TEST

/* Input OOB: the provisioner shows a value, the user enters it on the device. */
static void run_input(const char *caps_hex, uint8_t want_action, bool wrong, uint8_t alg)
{
	struct prov_params pp = e2e_params();
	struct prov_device_params dp = dev_params(caps_hex);
	struct e2e *e;
	char typed[16];

	pp.auth.kind = PROV_USE_INPUT;
	e = e2e_run(&pp, &dp);
	ck_assert_msg(e->p_fails + e->d_fails == 0, "failed: %s / %s", e->p_msg, e->d_msg);
	ck_assert_uint_eq(e->p_auth_requests, 1);
	ck_assert_uint_eq(e->p_auth_method, PROV_AUTH_INPUT);
	ck_assert_uint_eq(e->p_auth_action, want_action);
	ck_assert_uint_ge(strlen(e->p_show), 1);
	ck_assert_uint_le(strlen(e->p_show), e->p_auth_size);
	ck_assert_uint_eq(e->d_input_requests, 1);
	ck_assert_uint_eq(e->d_in_action, want_action);
	ck_assert_uint_eq(e->d_in_size, e->p_auth_size);
	ck_assert(!delivered(e->to_prov, e->n_to_prov, PROV_INPUT_COMPLETE));

	strcpy(typed, e->p_show);
	if (wrong)
		typed[strlen(typed) - 1] = typed[strlen(typed) - 1] == '1' ? '2' : '1';
	ck_assert_int_eq(prov_device_input(&e->d, e->now, typed), 0);
	pump(e);
	ck_assert(delivered(e->to_prov, e->n_to_prov, PROV_INPUT_COMPLETE));
	if (wrong)
		assert_e2e_confirmation_failed(e);
	else
		assert_e2e_success(e, &pp, alg, PROV_AUTH_INPUT);
	e2e_free(e);
}

START_TEST(test_e2e_input_numeric)
{
	for (int i = 0; i < 4; i++)
		run_input("0100010000000000040004", PROV_IN_NUMERIC, false, PROV_ALG_CMAC);
	run_input("0100010000000000040004", PROV_IN_NUMERIC, true, PROV_ALG_CMAC);
	run_input("0100010000000000010001", PROV_IN_PUSH, false, PROV_ALG_CMAC);
}
END_TEST

START_TEST(test_e2e_input_alpha)
{
	run_input("0100010000000000060008", PROV_IN_ALPHA, false, PROV_ALG_CMAC);
	run_input("0100010000000000060008", PROV_IN_ALPHA, true, PROV_ALG_CMAC);
}
END_TEST

START_TEST(test_e2e_input_hmac)
{
	run_input("0100020000000000040004", PROV_IN_NUMERIC, false, PROV_ALG_HMAC);
	run_input("0100020000000000060008", PROV_IN_ALPHA, false, PROV_ALG_HMAC);
	run_input("0100020000000000040004", PROV_IN_NUMERIC, true, PROV_ALG_HMAC);
}
END_TEST

START_TEST(test_e2e_oob_public_key)
{
	struct prov_params pp = e2e_params();
	struct prov_device_params dp = dev_params("0100010100000000000000");
	struct e2e *e;

	e = e2e_new(&pp, &dp);
	pp.has_device_pubkey = true;
	ck_assert_int_eq(prov_device_public_key(&e->d, pp.device_pubkey), 0);
	prov_init(&e->p, &pp, &e2e_prov_ops, e);
	e2e_start(e);
	assert_e2e_success(e, &pp, PROV_ALG_CMAC, PROV_AUTH_NO_OOB);
	ck_assert(!delivered(e->to_prov, e->n_to_prov, PROV_PUBLIC_KEY));
	ck_assert(delivered(e->to_device, e->n_to_device, PROV_PUBLIC_KEY));
	e2e_free(e);
}
END_TEST

START_TEST(test_e2e_device_timeout)
{
	struct prov_params pp = e2e_params();
	struct prov_device_params dp = dev_params("0100010000060008000000");
	struct e2e *e;

	pp.auth.kind = PROV_USE_OUTPUT;
	e = e2e_run(&pp, &dp);
	ck_assert_uint_eq(e->d_outputs, 1);
	/* the user never types the value: both sides give up after 60 s */
	prov_tick(&e->p, e->now + PROV_TIMEOUT_MS);
	prov_device_tick(&e->d, e->now + PROV_TIMEOUT_MS);
	ck_assert_uint_eq(e->p_fails, 1);
	ck_assert(e->p_timeout);
	ck_assert_uint_eq(e->d_fails, 1);
	ck_assert(e->d_timeout);
	ck_assert_uint_eq(e->qhead, e->qtail); /* nothing sent on a timeout */
	e2e_free(e);
}
END_TEST

/* ================= through two PB-ADV links ================= */

#define FMAX 512

struct bside {
	struct pb_adv_link link;
	struct prov *p;            /* one of these two */
	struct prov_device *d;
	uint64_t *now;
	uint8_t frames[FMAX][PB_ADV_MAX_PAYLOAD];
	size_t flen[FMAX];
	unsigned nframes, nread;
	uint8_t pdus[16][PROV_MAX_PDU]; /* waiting for the link */
	size_t plen[16];
	unsigned phead, ptail;
	unsigned opened, closed;
	uint8_t close_reason;
	bool close_by_peer;
	unsigned completes, fails;
	uint8_t dev_key[16];
	struct prov_device_result dres;
};

static void b_flush(struct bside *s)
{
	while (s->phead < s->ptail && pb_adv_is_open(&s->link) && !s->link.tx_busy) {
		int rc = pb_adv_send(&s->link, *s->now, s->pdus[s->phead], s->plen[s->phead]);

		ck_assert_int_eq(rc, 0);
		s->phead++;
	}
}

static void b_queue_pdu(struct bside *s, const uint8_t *pdu, size_t len)
{
	ck_assert_uint_lt(s->ptail, ARRAY_SIZE(s->pdus));
	memcpy(s->pdus[s->ptail], pdu, len);
	s->plen[s->ptail++] = len;
	b_flush(s);
}

/* link layer callbacks */
static int bl_send(void *ctx, const uint8_t *ad, size_t len, unsigned flags, uint32_t cookie)
{
	struct bside *s = ctx;

	(void)flags;
	(void)cookie;
	ck_assert_uint_lt(s->nframes, FMAX);
	ck_assert_uint_le(len, PB_ADV_MAX_PAYLOAD);
	memcpy(s->frames[s->nframes], ad, len);
	s->flen[s->nframes++] = len;
	return 0;
}

static void bl_opened(void *ctx)
{
	struct bside *s = ctx;

	s->opened++;
	if (s->p)
		prov_start(s->p, *s->now);
	else
		prov_device_start(s->d, *s->now);
}

static void bl_receive(void *ctx, const uint8_t *pdu, size_t len)
{
	struct bside *s = ctx;

	if (s->p)
		prov_input(s->p, *s->now, pdu, len);
	else
		prov_device_receive(s->d, *s->now, pdu, len);
}

static void bl_acked(void *ctx)
{
	b_flush(ctx);
}

static void bl_closed(void *ctx, uint8_t reason, bool by_peer)
{
	struct bside *s = ctx;

	s->closed++;
	s->close_reason = reason;
	s->close_by_peer = by_peer;
}

static const struct pb_adv_ops b_link_ops = {
	.send = bl_send, .opened = bl_opened, .receive = bl_receive, .acked = bl_acked, .closed = bl_closed,
};

/* provisioner core callbacks */
static void bp_send(void *ctx, const uint8_t *pdu, size_t len)
{
	b_queue_pdu(ctx, pdu, len);
}

static void bp_complete(void *ctx, const struct prov_result *r)
{
	struct bside *s = ctx;

	s->completes++;
	memcpy(s->dev_key, r->device_key, 16);
	pb_adv_close(&s->link, *s->now, PB_ADV_CLOSE_SUCCESS);
}

static void bp_failed(void *ctx, uint8_t error, bool by_device, bool timeout, const char *msg)
{
	struct bside *s = ctx;

	(void)error;
	(void)by_device;
	(void)msg;
	s->fails++;
	pb_adv_close(&s->link, *s->now, timeout ? PB_ADV_CLOSE_TIMEOUT : PB_ADV_CLOSE_FAIL);
}

static const struct prov_ops b_prov_ops = { .send = bp_send, .complete = bp_complete, .failed = bp_failed };

/* device core callbacks */
static void bd_send(void *ctx, const uint8_t *pdu, size_t len)
{
	b_queue_pdu(ctx, pdu, len);
}

static void bd_complete(void *ctx, const struct prov_device_result *r)
{
	struct bside *s = ctx;

	s->completes++;
	s->dres = *r;
	memcpy(s->dev_key, r->device_key, 16);
}

static void bd_failed(void *ctx, uint8_t error, bool timeout, const char *msg)
{
	(void)error;
	(void)timeout;
	(void)msg;
	((struct bside *)ctx)->fails++;
}

static const struct prov_device_ops b_dev_ops = { .send = bd_send, .complete = bd_complete, .failed = bd_failed };

static bool frame_sent(const struct bside *s, const char *hex)
{
	struct bytes want = hx(hex);

	for (unsigned i = 0; i < s->nframes; i++)
		if (s->flen[i] == want.len && !memcmp(s->frames[i], want.b, want.len))
			return true;
	return false;
}

/* The §2 sample over PB-ADV; drop_every: lose every n-th frame on the air (0: none). */
static void run_pb_adv(unsigned drop_every)
{
	struct prov_params pp;
	struct prov_device_params dp = dev_params(CAPS);
	struct prov *p = calloc(1, sizeof(*p));
	struct prov_device *d = calloc(1, sizeof(*d));
	struct bside *ps = calloc(1, sizeof(*ps)), *ds = calloc(1, sizeof(*ds));
	struct bytes uuid = hx(UUID), ppriv = hx(PROV_PRIV), dpriv = hx(DEV_PRIV), rp = hx(RAND_P),
		     rd = hx(RAND_D), dk = hx(DEVICE_KEY), nk = hx(NET_KEY);
	uint64_t now = 10000, start;
	unsigned on_air = 0, dropped = 0, rounds = 0;

	ck_assert(p && d && ps && ds);
	memset(&pp, 0, sizeof(pp));
	memcpy(pp.net_key, nk.b, 16);
	pp.net_key_index = 0x0567;
	pp.iv_index = 0x01020304;
	pp.unicast = 0x0b0c;
	prov_init(p, &pp, &b_prov_ops, ps);
	ck_assert_int_eq(prov_test_fix(p, ppriv.b, rp.b, 16), 0);
	ck_assert_int_eq(prov_device_init(d, &dp, &b_dev_ops, ds), 0);
	ck_assert_int_eq(prov_device_test_fix(d, dpriv.b, rd.b, 16), 0);
	ps->p = p;
	ps->now = &now;
	ds->d = d;
	ds->now = &now;
	pb_adv_init(&ps->link, PB_ADV_PROVISIONER, &b_link_ops, ps);
	pb_adv_init(&ds->link, PB_ADV_DEVICE, &b_link_ops, ds);
	ck_assert_int_eq(pb_adv_listen(&ds->link, uuid.b), 0);
	ck_assert_int_eq(pb_adv_open(&ps->link, now, LINK_ID, uuid.b), 0);
	start = now;

	for (;;) {
		bool moved = false;

		ck_assert_uint_lt(++rounds, 100000);
		/* the air: every frame not yet sent goes to the other side, 3 ms later */
		for (int k = 0; k < 2; k++) {
			struct bside *from = k ? ds : ps, *to = k ? ps : ds;

			while (from->nread < from->nframes) {
				unsigned f = from->nread++;

				moved = true;
				now += 3;
				if (drop_every && ++on_air % drop_every == 0) {
					dropped++;
					continue;
				}
				pb_adv_input(&to->link, now, from->frames[f], from->flen[f]);
			}
		}
		if (!moved) {
			uint64_t next = min_deadline(min_deadline(pb_adv_next_deadline(&ps->link),
								  pb_adv_next_deadline(&ds->link)),
						     min_deadline(prov_next_deadline(p), prov_device_next_deadline(d)));

			if (next == NO_DEADLINE)
				break;
			if (next > now)
				now = next;
			pb_adv_tick(&ps->link, now);
			pb_adv_tick(&ds->link, now);
			prov_tick(p, now);
			prov_device_tick(d, now);
		}
	}

	ck_assert_uint_eq(ps->fails, 0);
	ck_assert_uint_eq(ds->fails, 0);
	ck_assert_uint_eq(ps->completes, 1);
	ck_assert_uint_eq(ds->completes, 1);
	ck_assert_mem_eq(ps->dev_key, dk.b, 16);
	ck_assert_mem_eq(ds->dev_key, dk.b, 16);
	ck_assert_mem_eq(ds->dres.net_key, nk.b, 16);
	ck_assert_uint_eq(ds->dres.net_key_index, 0x0567);
	ck_assert_uint_eq(ds->dres.iv_index, 0x01020304);
	ck_assert_uint_eq(ds->dres.unicast, 0x0b0c);
	ck_assert_uint_eq(ps->opened, 1);
	ck_assert_uint_eq(ds->opened, 1);
	ck_assert_uint_eq(ps->closed, 1);
	ck_assert_uint_eq(ps->close_reason, PB_ADV_CLOSE_SUCCESS);
	ck_assert(!ps->close_by_peer);
	ck_assert_uint_eq(ds->closed, 1);
	ck_assert_uint_eq(ds->close_reason, PB_ADV_CLOSE_SUCCESS);
	ck_assert(ds->close_by_peer);
	ck_assert_uint_eq(ps->phead, ps->ptail);
	ck_assert_uint_eq(ds->phead, ds->ptail);
	if (drop_every == 0) {
		/* every frame of the sample, byte for byte */
		for (unsigned i = 0; i < ARRAY_SIZE(sample_frames_prov); i++)
			ck_assert_msg(frame_sent(ps, sample_frames_prov[i]), "provisioner never sent %s",
				      sample_frames_prov[i]);
		for (unsigned i = 0; i < ARRAY_SIZE(sample_frames_dev); i++)
			ck_assert_msg(frame_sent(ds, sample_frames_dev[i]), "device never sent %s",
				      sample_frames_dev[i]);
		ck_assert_uint_eq(ps->link.stats.tx_repeats + ds->link.stats.tx_repeats, 0);
		ck_assert_uint_lt(now - start, 2000);
	} else {
		ck_assert_uint_gt(dropped, 0);
		ck_assert_uint_gt(ps->link.stats.tx_repeats + ds->link.stats.tx_repeats, 0);
	}
	prov_free(p);
	prov_device_free(d);
	free(p);
	free(d);
	free(ps);
	free(ds);
}

START_TEST(test_pb_adv_back_to_back)
{
	run_pb_adv(0);
}
END_TEST

START_TEST(test_pb_adv_lossy)
{
	run_pb_adv(7);
	run_pb_adv(4);
}
END_TEST

static Suite *prov_device_suite(void)
{
	Suite *s = suite_create("prov_device");
	TCase *tc = tcase_create("device");
	TCase *e2e = tcase_create("end_to_end");

	tcase_add_test(tc, test_device_sample_cmac);
	tcase_add_test(tc, test_device_sample_hmac);
	tcase_add_test(tc, test_device_init_validation);
	tcase_add_test(tc, test_device_start_validation);
	tcase_add_test(tc, test_device_static_length_vs_algorithm);
	tcase_add_test(tc, test_device_protocol_errors);
	tcase_add_test(tc, test_device_empty_pdu);
	tcase_add_test(tc, test_device_not_started);
	tcase_add_test(tc, test_device_pubkey_checks);
	tcase_add_test(tc, test_device_confirmation_checks);
	tcase_add_test(tc, test_device_data_checks);
	tcase_add_test(tc, test_device_timeout);
	tcase_add_test(tc, test_device_cancel);
	tcase_add_test(tc, test_device_output_values);
	tcase_add_test(tc, test_device_input_api);
	suite_add_tcase(s, tc);

	tcase_add_test(e2e, test_e2e_no_oob);
	tcase_add_test(e2e, test_e2e_static16);
	tcase_add_test(e2e, test_e2e_static32_hmac);
	tcase_add_test(e2e, test_e2e_aligenie);
	tcase_add_test(e2e, test_e2e_aligenie_wrong_secret);
	tcase_add_test(e2e, test_e2e_output_numeric);
	tcase_add_test(e2e, test_e2e_output_numeric_hmac);
	tcase_add_test(e2e, test_e2e_output_alpha);
	tcase_add_test(e2e, test_e2e_input_numeric);
	tcase_add_test(e2e, test_e2e_input_alpha);
	tcase_add_test(e2e, test_e2e_input_hmac);
	tcase_add_test(e2e, test_e2e_oob_public_key);
	tcase_add_test(e2e, test_e2e_device_timeout);
	tcase_add_test(e2e, test_pb_adv_back_to_back);
	tcase_add_test(e2e, test_pb_adv_lossy);
	tcase_set_timeout(e2e, 30);
	suite_add_tcase(s, e2e);
	return s;
}

CHECK_MAIN(prov_device_suite)
