/* Provisioner core (src/prov.c) driven PDU by PDU with a fake clock: the
 * Mesh Profile sample data (CMAC, shared/vectors/mesh-provisioning.md §2),
 * the Mesh 1.1 HMAC-SHA256 sample (§3), both in tests/lib/sample87.h,
 * AliGenie static OOB (§4), OOB AuthValues, and security and error handling. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "crypto.h"
#include "prov.h"
#include "sample87.h"
#include "testhex.h"
#include "util.h"

/* ---- sample data (§2 and §3 are in sample87.h) ---- */

/* §4: AliGenie triple A */
#define ALI_PID 602
#define ALI_MAC "78da07c11ca8"
#define ALI_SECRET "1565d0497400c999e984cffa4da4fdf9"
#define ALI_AUTH "0447f0739b32e97b2454aa43e479002e"

/* Static OOB capabilities: 1 element, CMAC, static OOB available; a Start choosing it. */
#define S_CAPS "0100010001000000000000"
#define S_START "0000010000"

/* ---- mock ops ---- */

#define MAX_SENT 16

struct mock {
	struct prov p;
	uint8_t sent[MAX_SENT][PROV_MAX_PDU];
	size_t sent_len[MAX_SENT];
	unsigned nsent;
	enum prov_step steps[16];
	unsigned nsteps;
	unsigned completes;
	struct prov_result result;
	unsigned fails;
	uint8_t error;
	bool by_device, timeout;
	char msg[200];
	unsigned auth_requests;
	enum prov_auth_method auth_method;
	uint8_t auth_action, auth_size;
	bool show_null;
	char show[16];
	int assign_rc;
	int data_ready_calls, data_ready_rc;
	size_t nsent_at_data_ready;
	struct prov_result data_ready_result;
	uint16_t assign_addr;
	unsigned assign_calls;
	uint8_t assign_elements;
};

static void m_send(void *ctx, const uint8_t *pdu, size_t len)
{
	struct mock *m = ctx;

	ck_assert_uint_lt(m->nsent, MAX_SENT);
	ck_assert_uint_ge(len, 1);
	ck_assert_uint_le(len, PROV_MAX_PDU);
	memcpy(m->sent[m->nsent], pdu, len);
	m->sent_len[m->nsent++] = len;
}

static void m_progress(void *ctx, enum prov_step step)
{
	struct mock *m = ctx;

	ck_assert_uint_lt(m->nsteps, ARRAY_SIZE(m->steps));
	m->steps[m->nsteps++] = step;
}

static void m_auth_request(void *ctx, enum prov_auth_method method, uint8_t action, uint8_t size,
			   const char *show)
{
	struct mock *m = ctx;

	m->auth_requests++;
	m->auth_method = method;
	m->auth_action = action;
	m->auth_size = size;
	m->show_null = show == NULL;
	if (show) {
		ck_assert_uint_lt(strlen(show), sizeof(m->show));
		strcpy(m->show, show);
	}
}

static int m_assign(void *ctx, uint8_t elements, uint16_t *addr)
{
	struct mock *m = ctx;

	m->assign_calls++;
	m->assign_elements = elements;
	if (m->assign_rc == 0)
		*addr = m->assign_addr;
	return m->assign_rc;
}

static int m_data_ready(void *ctx, const struct prov_result *r)
{
	struct mock *m = ctx;

	m->data_ready_calls++;
	m->nsent_at_data_ready = m->nsent;
	m->data_ready_result = *r;
	return m->data_ready_rc;
}

static void m_complete(void *ctx, const struct prov_result *r)
{
	struct mock *m = ctx;

	ck_assert(prov_done(&m->p));
	m->completes++;
	m->result = *r;
}

static void m_failed(void *ctx, uint8_t error, bool by_device, bool timeout, const char *msg)
{
	struct mock *m = ctx;

	ck_assert(prov_done(&m->p));
	ck_assert_ptr_nonnull(msg);
	m->fails++;
	m->error = error;
	m->by_device = by_device;
	m->timeout = timeout;
	snprintf(m->msg, sizeof(m->msg), "%s", msg);
}

static const struct prov_ops mock_ops = {
	.send = m_send,
	.progress = m_progress,
	.auth_request = m_auth_request,
	.assign_address = m_assign,
	.data_ready = m_data_ready,
	.complete = m_complete,
	.failed = m_failed,
};

/* The §2 sample's parameters: attention 0, no OOB, NetKey, index 0x0567, IV 0x01020304, 0x0b0c. */
static struct prov_params sample_params(void)
{
	struct prov_params pp;

	memset(&pp, 0, sizeof(pp));
	pp.attention = 0;
	pp.auth.kind = PROV_USE_NO_OOB;
	hx_to(NET_KEY, pp.net_key, 16);
	pp.net_key_index = 0x0567;
	pp.flags = 0;
	pp.iv_index = 0x01020304;
	pp.unicast = 0x0b0c;
	return pp;
}

static void aligenie_auth(struct prov_auth *a, bool random_bound)
{
	memset(a, 0, sizeof(*a));
	a->kind = PROV_USE_ALIGENIE;
	a->product_id = ALI_PID;
	hx_to(ALI_MAC, a->mac, 6);
	hx_to(ALI_SECRET, a->secret, 16);
	a->secret_len = 16;
	a->random_bound = random_bound;
}

/* A mock with the sample provisioner key and a fixed random (hex, 16 or 32 octets). */
static struct mock *mock_new(const struct prov_params *pp, const char *random_hex)
{
	struct mock *m = calloc(1, sizeof(*m));
	struct bytes priv = hx(PROV_PRIV), rnd = hx(random_hex);

	ck_assert_ptr_nonnull(m);
	prov_init(&m->p, pp, &mock_ops, m);
	ck_assert_int_eq(prov_test_fix(&m->p, priv.b, rnd.b, rnd.len), 0);
	return m;
}

/* A mock with the §2 sample parameters and RandomProvisioner. */
static struct mock *sample_mock(void)
{
	struct prov_params pp = sample_params();

	return mock_new(&pp, RAND_P);
}

/* A mock for the §3 sample: HMAC with its 32-octet static OOB value and RandomProvisioner. */
static struct mock *hmac_sample_mock(void)
{
	struct prov_params pp = sample_params();

	pp.auth.kind = PROV_USE_STATIC;
	hx_to(H_AUTH, pp.auth.static_value, 32);
	pp.auth.static_len = 32;
	return mock_new(&pp, H_RAND_P);
}

static void mock_free(struct mock *m)
{
	prov_free(&m->p);
	free(m);
}

/* Feed exactly these bytes from a heap block of that size (ASan sees overreads). */
static void feed_bytes(struct mock *m, uint64_t now, const uint8_t *p, size_t len)
{
	uint8_t *copy = exact_copy(p, len);

	prov_input(&m->p, now, copy, len);
	free(copy);
}

static void feed(struct mock *m, uint64_t now, const char *hex)
{
	struct bytes b = hx(hex);

	feed_bytes(m, now, b.b, b.len);
}

/* Feed the PDU type || params. */
static void feed_pdu(struct mock *m, uint64_t now, uint8_t type, const uint8_t *params, size_t len)
{
	uint8_t pdu[PROV_MAX_PDU];

	ck_assert_uint_lt(len, sizeof(pdu));
	pdu[0] = type;
	memcpy(pdu + 1, params, len);
	feed_bytes(m, now, pdu, len + 1);
}

static void assert_sent(const struct mock *m, unsigned i, const char *hex)
{
	ck_assert_msg(i < m->nsent, "PDU %u not sent (%u sent)", i, m->nsent);
	assert_hex_at("PDU", i, m->sent[i], m->sent_len[i], hex);
}

static void assert_sent_bytes(const struct mock *m, unsigned i, uint8_t type, const uint8_t *params, size_t len)
{
	ck_assert_msg(i < m->nsent, "PDU %u not sent (%u sent)", i, m->nsent);
	ck_assert_uint_eq(m->sent_len[i], len + 1);
	ck_assert_uint_eq(m->sent[i][0], type);
	ck_assert_mem_eq(m->sent[i] + 1, params, len);
}

static bool sent_type(const struct mock *m, uint8_t type)
{
	for (unsigned i = 0; i < m->nsent; i++)
		if (m->sent[i][0] == type)
			return true;
	return false;
}

static void assert_failed(const struct mock *m, uint8_t error)
{
	ck_assert_uint_eq(m->fails, 1);
	ck_assert_uint_eq(m->completes, 0);
	ck_assert_uint_eq(m->error, error);
	ck_assert(!m->by_device);
	ck_assert(!m->timeout);
	ck_assert(prov_done(&m->p));
	ck_assert_uint_eq(prov_next_deadline(&m->p), NO_DEADLINE);
}

/* Independently computed Confirmation: ConfirmationInputs from the sample
 * keys, this Capabilities and Start, the sample ECDHSecret and the AuthValue
 * (16 octets CMAC, 32 HMAC); conf_of(random). */
static void expected_conf(uint8_t alg, const char *caps_hex, const char *start_hex, const uint8_t *auth,
			  const uint8_t *random, uint8_t *out)
{
	uint8_t inputs[PROV_CONF_INPUTS_LEN], secret[32], salt[32], key[32], av[32];

	memset(av, 0, sizeof(av));
	memcpy(av, auth, alg == PROV_ALG_HMAC ? 32 : 16);
	inputs[0] = 0x00;
	hx_to(caps_hex, inputs + 1, 11);
	hx_to(start_hex, inputs + 12, 5);
	hx_to(PROV_PUB, inputs + 17, 64);
	hx_to(DEV_PUB, inputs + 81, 64);
	hx_to(ECDH_SECRET, secret, 32);
	ck_assert_int_eq(prov_confirmation_key(alg, inputs, secret, av, salt, key), 0);
	ck_assert_int_eq(prov_confirmation(alg, key, random, av, out), 0);
}

/* Up to the device's Public Key, with these capabilities: Invite, Capabilities
 * (Start and Public Key follow), device Public Key. */
static void run_to_keys(struct mock *m, uint64_t t, const char *caps_hex, const char *start_hex)
{
	char pdu[64];

	prov_start(&m->p, t);
	assert_sent(m, 0, PDU_INVITE);
	snprintf(pdu, sizeof(pdu), "01%s", caps_hex);
	feed(m, t + 10, pdu);
	ck_assert_uint_eq(m->fails, 0);
	snprintf(pdu, sizeof(pdu), "02%s", start_hex);
	assert_sent(m, 1, pdu);
	assert_sent(m, 2, PDU_PUBKEY_P);
	feed(m, t + 20, PDU_PUBKEY_D);
	ck_assert_msg(m->fails == 0, "failed: %s", m->msg);
}

/* Our Confirmation (PDU 3, CMAC) is the one for this Capabilities, Start,
 * AuthValue and the sample RandomProvisioner. */
static void assert_our_confirmation(const struct mock *m, const char *caps_hex, const char *start_hex,
				    const uint8_t *auth)
{
	uint8_t rp[16], conf[16];

	hx_to(RAND_P, rp, 16);
	expected_conf(PROV_ALG_CMAC, caps_hex, start_hex, auth, rp, conf);
	assert_sent_bytes(m, 3, PROV_CONFIRMATION, conf, 16);
}

/* The device's turn with static OOB (S_CAPS, S_START): its Confirmation made
 * with this AuthValue and the sample RandomDevice at 100 ms, its Random at 200 ms. */
static void device_confirms(struct mock *m, const uint8_t *auth)
{
	uint8_t rd[16], conf[16];

	hx_to(RAND_D, rd, 16);
	expected_conf(PROV_ALG_CMAC, S_CAPS, S_START, auth, rd, conf);
	feed_pdu(m, 100, PROV_CONFIRMATION, conf, 16);
	feed_pdu(m, 200, PROV_RANDOM, rd, 16);
}

/* ---- §2: BTM_ECDH_P256_CMAC_AES128_AES_CCM ---- */

START_TEST(test_sample_cmac)
{
	struct mock *m = sample_mock();
	static const enum prov_step want_steps[] = {
		PROV_STEP_INVITE, PROV_STEP_CAPABILITIES, PROV_STEP_KEY_EXCHANGE, PROV_STEP_AUTH,
		PROV_STEP_CONFIRMED, PROV_STEP_DATA_SENT, PROV_STEP_COMPLETE,
	};
	struct bytes dk = hx(DEVICE_KEY);
	uint64_t t = 5000;

	ck_assert_uint_eq(prov_next_deadline(&m->p), NO_DEADLINE);
	ck_assert(!prov_done(&m->p));
	prov_start(&m->p, t);
	ck_assert_uint_eq(m->nsent, 1);
	assert_sent(m, 0, PDU_INVITE);
	ck_assert_uint_eq(prov_next_deadline(&m->p), t + PROV_TIMEOUT_MS);

	feed(m, t += 100, PDU_CAPS);
	ck_assert_uint_eq(m->nsent, 3);
	assert_sent(m, 1, PDU_START);
	assert_sent(m, 2, PDU_PUBKEY_P);
	ck_assert_uint_eq(prov_next_deadline(&m->p), t + PROV_TIMEOUT_MS);

	feed(m, t += 100, PDU_PUBKEY_D);
	ck_assert_uint_eq(m->nsent, 4);
	assert_sent(m, 3, PDU_CONF_P);

	feed(m, t += 100, PDU_CONF_D);
	ck_assert_uint_eq(m->nsent, 5);
	assert_sent(m, 4, PDU_RAND_P);

	feed(m, t += 100, PDU_RAND_D);
	ck_assert_uint_eq(m->nsent, 6);
	assert_sent(m, 5, PDU_DATA);
	ck_assert_uint_eq(m->completes, 0);
	ck_assert(!prov_done(&m->p));

	feed(m, t += 100, PDU_COMPLETE);
	ck_assert_uint_eq(m->fails, 0);
	ck_assert_uint_eq(m->completes, 1);
	ck_assert_uint_eq(m->nsent, 6);
	ck_assert(prov_done(&m->p));
	ck_assert_uint_eq(prov_next_deadline(&m->p), NO_DEADLINE);
	ck_assert_mem_eq(m->result.device_key, dk.b, 16);
	ck_assert_uint_eq(m->result.unicast, 0x0b0c);
	ck_assert_uint_eq(m->result.elements, 1);
	ck_assert_uint_eq(m->result.net_key_index, 0x0567);
	ck_assert_uint_eq(m->result.algorithm, PROV_ALG_CMAC);
	ck_assert_uint_eq(m->result.auth, PROV_AUTH_NO_OOB);
	ck_assert_uint_eq(m->result.caps.elements, 1);
	ck_assert_uint_eq(m->result.caps.algorithms, 0x0001);
	ck_assert_uint_eq(m->assign_calls, 0); /* the unicast address was given */
	ck_assert_uint_eq(m->auth_requests, 0);

	ck_assert_uint_eq(m->nsteps, ARRAY_SIZE(want_steps));
	for (unsigned i = 0; i < ARRAY_SIZE(want_steps); i++)
		ck_assert_msg(m->steps[i] == want_steps[i], "step %u is %d, want %d", i, m->steps[i],
			      want_steps[i]);

	/* done: further input and time do nothing */
	feed(m, t += 100, PDU_COMPLETE);
	prov_tick(&m->p, t + 10 * PROV_TIMEOUT_MS);
	ck_assert_uint_eq(m->completes, 1);
	ck_assert_uint_eq(m->fails, 0);
	ck_assert_uint_eq(m->nsent, 6);
	mock_free(m);
}
END_TEST

/* ---- §3: BTM_ECDH_P256_HMAC_SHA256_AES_CCM with a 32-octet static OOB value ---- */

START_TEST(test_sample_hmac)
{
	struct mock *m = hmac_sample_mock();
	struct bytes dk = hx(H_DEVICE_KEY);
	uint64_t t = 0;

	prov_start(&m->p, t);
	assert_sent(m, 0, PDU_INVITE);
	feed(m, t += 10, "01" H_CAPS);
	ck_assert_uint_eq(m->nsent, 3);
	assert_sent(m, 1, "02" H_START); /* HMAC preferred with a 32-octet AuthValue */
	assert_sent(m, 2, PDU_PUBKEY_P);
	feed(m, t += 10, PDU_PUBKEY_D);
	ck_assert_uint_eq(m->nsent, 4);
	assert_sent(m, 3, "05" H_CONF_P);
	/* Confirmation and Random have 32 octets now: a 16-octet one is malformed */
	feed(m, t += 10, "05" H_CONF_D);
	ck_assert_uint_eq(m->fails, 0);
	ck_assert_uint_eq(m->nsent, 5);
	assert_sent(m, 4, "06" H_RAND_P);
	feed(m, t += 10, "06" H_RAND_D);
	ck_assert_msg(m->fails == 0, "failed: %s", m->msg);
	ck_assert_uint_eq(m->nsent, 6);
	assert_sent(m, 5, H_DATA);
	feed(m, t += 10, PDU_COMPLETE);
	ck_assert_uint_eq(m->completes, 1);
	ck_assert_mem_eq(m->result.device_key, dk.b, 16);
	ck_assert_uint_eq(m->result.algorithm, PROV_ALG_HMAC);
	ck_assert_uint_eq(m->result.auth, PROV_AUTH_STATIC);
	ck_assert_uint_eq(m->result.unicast, 0x0b0c);
	mock_free(m);
}
END_TEST

START_TEST(test_hmac_short_confirmation_rejected)
{
	struct mock *m = hmac_sample_mock();

	run_to_keys(m, 0, H_CAPS, H_START);
	feed(m, 100, PDU_CONF_D); /* 16 octets with HMAC */
	assert_failed(m, PROV_ERR_INVALID_FORMAT);
	ck_assert(!sent_type(m, PROV_RANDOM));
	mock_free(m);
}
END_TEST

/* ---- security ---- */

START_TEST(test_device_pubkey_equals_ours)
{
	struct mock *m = sample_mock();

	prov_start(&m->p, 0);
	feed(m, 10, PDU_CAPS);
	ck_assert_uint_eq(m->nsent, 3);
	feed(m, 20, PDU_PUBKEY_P); /* our own key reflected */
	ck_assert_uint_eq(m->fails, 1);
	ck_assert_uint_ne(m->error, PROV_ERR_NONE);
	ck_assert(!m->by_device);
	ck_assert_uint_eq(m->nsent, 3);
	ck_assert(!sent_type(m, PROV_CONFIRMATION));
	mock_free(m);
}
END_TEST

START_TEST(test_device_pubkey_not_on_curve)
{
	struct mock *m = sample_mock();
	uint8_t pdu[65];

	prov_start(&m->p, 0);
	feed(m, 10, PDU_CAPS);
	hx_to(PDU_PUBKEY_D, pdu, 65);
	pdu[64] ^= 0x01; /* Y no longer matches X */
	feed_bytes(m, 20, pdu, sizeof(pdu));
	ck_assert_uint_eq(m->fails, 1);
	ck_assert_uint_eq(m->nsent, 3);
	mock_free(m);
}
END_TEST

START_TEST(test_device_conf_equals_ours)
{
	struct mock *m = sample_mock();

	run_to_keys(m, 0, CAPS, START);
	assert_sent(m, 3, PDU_CONF_P);
	feed(m, 100, PDU_CONF_P); /* reflected */
	assert_failed(m, PROV_ERR_CONFIRMATION_FAILED);
	ck_assert_uint_eq(m->nsent, 4);
	ck_assert(!sent_type(m, PROV_RANDOM));
	mock_free(m);
}
END_TEST

START_TEST(test_device_random_equals_ours)
{
	struct mock *m = sample_mock();

	run_to_keys(m, 0, CAPS, START);
	feed(m, 100, PDU_CONF_D);
	assert_sent(m, 4, PDU_RAND_P);
	feed(m, 200, PDU_RAND_P); /* reflected */
	assert_failed(m, PROV_ERR_CONFIRMATION_FAILED);
	ck_assert_uint_eq(m->nsent, 5);
	ck_assert(!sent_type(m, PROV_DATA));
	mock_free(m);
}
END_TEST

/* The device used another static OOB value: its confirmation does not verify. */
START_TEST(test_wrong_auth_value)
{
	static const char *const dev_values[] = {
		"00112233445566778899aabbccddeeff", /* ours: succeeds */
		"00112233445566778899aabbccddeefe", /* one bit off: fails */
		"00000000000000000000000000000000",
	};

	for (unsigned i = 0; i < ARRAY_SIZE(dev_values); i++) {
		struct prov_params pp = sample_params();
		struct mock *m;
		uint8_t dev_auth[16], rd[16], conf[16];

		pp.auth.kind = PROV_USE_STATIC;
		hx_to("00112233445566778899aabbccddeeff", pp.auth.static_value, 16);
		pp.auth.static_len = 16;
		m = mock_new(&pp, RAND_P);
		run_to_keys(m, 0, S_CAPS, S_START);
		assert_our_confirmation(m, S_CAPS, S_START, pp.auth.static_value);

		hx_to(dev_values[i], dev_auth, 16);
		hx_to(RAND_D, rd, 16);
		expected_conf(PROV_ALG_CMAC, S_CAPS, S_START, dev_auth, rd, conf);
		feed_pdu(m, 100, PROV_CONFIRMATION, conf, 16);
		assert_sent(m, 4, PDU_RAND_P);
		feed_pdu(m, 200, PROV_RANDOM, rd, 16);
		if (i == 0) {
			ck_assert_msg(m->fails == 0, "failed: %s", m->msg);
			ck_assert(sent_type(m, PROV_DATA));
		} else {
			assert_failed(m, PROV_ERR_CONFIRMATION_FAILED);
			ck_assert_str_eq(m->msg, "device confirmation does not verify: wrong AuthValue");
			ck_assert(!sent_type(m, PROV_DATA));
			ck_assert_uint_eq(m->nsent, 5);
			/* and never later */
			feed(m, 300, PDU_RAND_D);
			feed(m, 300, PDU_COMPLETE);
			ck_assert(!sent_type(m, PROV_DATA));
			ck_assert_uint_eq(m->fails, 1);
		}
		mock_free(m);
	}
}
END_TEST

/* ---- errors ---- */

START_TEST(test_failed_from_device)
{
	static const struct {
		const char *pdu;
		uint8_t error;
		const char *text;
	} cases[] = {
		{ "0904", PROV_ERR_CONFIRMATION_FAILED, "Confirmation Failed" },
		{ "0906", PROV_ERR_DECRYPTION_FAILED, "Decryption Failed" },
		{ "0902", PROV_ERR_INVALID_FORMAT, "Invalid Format" },
	};

	for (unsigned i = 0; i < ARRAY_SIZE(cases); i++) {
		struct mock *m = sample_mock();

		run_to_keys(m, 0, CAPS, START);
		feed(m, 100, PDU_CONF_D);
		feed(m, 200, cases[i].pdu);
		ck_assert_uint_eq(m->fails, 1);
		ck_assert(m->by_device);
		ck_assert(!m->timeout);
		ck_assert_uint_eq(m->error, cases[i].error);
		ck_assert_msg(strstr(m->msg, cases[i].text) != NULL, "message \"%s\" lacks \"%s\"", m->msg,
			      cases[i].text);
		ck_assert(!sent_type(m, PROV_DATA));
		mock_free(m);
	}
}
END_TEST

/* A device's Provisioning Failed is reported with its code, name and number,
 * and the PDU it answers: the last one the bearer delivered. Only a
 * Confirmation Failed in answer to our Confirmation or Random says to check
 * the secret. */
START_TEST(test_failed_names_step)
{
	struct prov_params pp = sample_params();
	struct mock *m;

	aligenie_auth(&pp.auth, false);

	/* Start delivered (Public Key still in flight): Invalid Format */
	m = mock_new(&pp, RAND_P);
	prov_start(&m->p, 0);
	prov_delivered(&m->p);
	feed(m, 10, "01" S_CAPS);
	ck_assert_uint_eq(m->nsent, 3);
	prov_delivered(&m->p);
	feed(m, 20, "0902");
	ck_assert_uint_eq(m->fails, 1);
	ck_assert(m->by_device);
	ck_assert_uint_eq(m->error, PROV_ERR_INVALID_FORMAT);
	ck_assert_str_eq(m->msg, "device sent Provisioning Failed (Invalid Format, 0x02) in answer to "
				 "Provisioning Start");
	mock_free(m);

	/* a Confirmation Failed before any confirmation was sent: no --secret */
	m = mock_new(&pp, RAND_P);
	prov_start(&m->p, 0);
	prov_delivered(&m->p);
	feed(m, 10, "01" S_CAPS);
	prov_delivered(&m->p);
	feed(m, 20, "0904");
	ck_assert_uint_eq(m->error, PROV_ERR_CONFIRMATION_FAILED);
	ck_assert_str_eq(m->msg, "device sent Provisioning Failed (Confirmation Failed, 0x04) in "
				 "answer to Provisioning Start");
	mock_free(m);

	/* an unknown code, the bearer not telling: the last PDU sent */
	m = mock_new(&pp, RAND_P);
	prov_start(&m->p, 0);
	feed(m, 10, "093c");
	ck_assert_uint_eq(m->error, 0x3c);
	ck_assert_str_eq(m->msg, "device sent Provisioning Failed (unknown error, 0x3c) in answer to "
				 "Provisioning Invite");
	mock_free(m);

	/* after our Random: the device did not verify our confirmation */
	m = mock_new(&pp, RAND_P);
	run_to_keys(m, 0, S_CAPS, S_START);
	feed(m, 100, PDU_CONF_D);
	ck_assert_uint_eq(m->nsent, 5); /* Invite, Start, Public Key, Confirmation, Random */
	for (int i = 0; i < 5; i++)
		prov_delivered(&m->p);
	feed(m, 200, "0904");
	ck_assert_uint_eq(m->fails, 1);
	ck_assert_str_eq(m->msg, "device sent Provisioning Failed (Confirmation Failed, 0x04) in "
				 "answer to Provisioning Random: it rejected our confirmation, check "
				 "--secret");
	mock_free(m);

	/* the same with a static OOB value */
	pp.auth.kind = PROV_USE_STATIC;
	pp.auth.static_len = 16;
	m = mock_new(&pp, RAND_P);
	run_to_keys(m, 0, S_CAPS, S_START);
	for (int i = 0; i < 4; i++)
		prov_delivered(&m->p);
	feed(m, 100, "0904");
	ck_assert_str_eq(m->msg, "device sent Provisioning Failed (Confirmation Failed, 0x04) in "
				 "answer to Provisioning Confirmation: it rejected our confirmation, "
				 "check the OOB value");
	mock_free(m);
}
END_TEST

/* A failure without words (an empty cancel) still says something. */
START_TEST(test_failure_never_empty)
{
	struct mock *m = sample_mock();

	prov_start(&m->p, 0);
	prov_cancel(&m->p, "");
	ck_assert_uint_eq(m->fails, 1);
	ck_assert_str_eq(m->msg, "provisioning stopped");
	mock_free(m);
}
END_TEST

START_TEST(test_failed_malformed)
{
	struct mock *m = sample_mock();

	prov_start(&m->p, 0);
	feed(m, 10, "090401");
	assert_failed(m, PROV_ERR_INVALID_FORMAT);
	mock_free(m);
}
END_TEST

START_TEST(test_unknown_pdu_type)
{
	static const char *const pdus[] = { "0a", "0b00", "3f", "41" CAPS, "81" CAPS, "c1" CAPS };

	for (unsigned i = 0; i < ARRAY_SIZE(pdus); i++) {
		struct mock *m = sample_mock();

		prov_start(&m->p, 0);
		feed(m, 10, pdus[i]);
		assert_failed(m, PROV_ERR_INVALID_PDU);
		ck_assert_uint_eq(m->nsent, 1);
		mock_free(m);
	}
}
END_TEST

START_TEST(test_empty_pdu)
{
	struct mock *m = sample_mock();

	prov_start(&m->p, 0);
	feed_bytes(m, 10, NULL, 0);
	assert_failed(m, PROV_ERR_INVALID_PDU);
	mock_free(m);
}
END_TEST

START_TEST(test_wrong_size_caps)
{
	uint8_t pdu[21];
	struct bytes caps = hx(PDU_CAPS);

	memset(pdu, 0, sizeof(pdu));
	memcpy(pdu, caps.b, caps.len);
	for (size_t plen = 0; plen <= 20; plen++) {
		struct mock *m = sample_mock();

		prov_start(&m->p, 0);
		feed_bytes(m, 10, pdu, plen + 1);
		if (plen == 11) {
			ck_assert_uint_eq(m->fails, 0);
			ck_assert_uint_eq(m->nsent, 3);
		} else {
			assert_failed(m, PROV_ERR_INVALID_FORMAT);
			ck_assert_msg(m->nsent == 1, "size %zu: Start sent", plen);
		}
		mock_free(m);
	}
}
END_TEST

/* Wrong sizes in the later states, too. */
START_TEST(test_wrong_size_later)
{
	static const struct {
		unsigned stage; /* 0: waiting for the Public Key, 1: Confirmation, 2: Random, 3: Complete */
		size_t plen;
	} cases[] = {
		{ 0, 0 }, { 0, 63 }, { 0, 65 }, { 1, 15 }, { 1, 17 }, { 1, 32 }, { 2, 0 }, { 2, 32 }, { 3, 1 },
	};

	for (unsigned i = 0; i < ARRAY_SIZE(cases); i++) {
		static const uint8_t types[] = { PROV_PUBLIC_KEY, PROV_CONFIRMATION, PROV_RANDOM, PROV_COMPLETE };
		struct mock *m = sample_mock();
		uint8_t pdu[PROV_MAX_PDU];
		unsigned nsent;

		prov_start(&m->p, 0);
		feed(m, 10, PDU_CAPS);
		if (cases[i].stage >= 1)
			feed(m, 20, PDU_PUBKEY_D);
		if (cases[i].stage >= 2)
			feed(m, 30, PDU_CONF_D);
		if (cases[i].stage >= 3)
			feed(m, 40, PDU_RAND_D);
		ck_assert_uint_eq(m->fails, 0);
		nsent = m->nsent;
		memset(pdu, 0x5a, sizeof(pdu));
		pdu[0] = types[cases[i].stage];
		feed_bytes(m, 50, pdu, cases[i].plen + 1);
		assert_failed(m, PROV_ERR_INVALID_FORMAT);
		ck_assert_uint_eq(m->nsent, nsent);
		mock_free(m);
	}
}
END_TEST

START_TEST(test_unexpected_pdu)
{
	static const struct {
		unsigned stage; /* 0: waiting for Capabilities, 1: Public Key, 2: Confirmation, 3: Random */
		const char *pdu;
	} cases[] = {
		{ 0, PDU_RAND_D }, { 0, PDU_PUBKEY_D }, { 0, PDU_INVITE }, { 0, PDU_COMPLETE },
		{ 1, PDU_CAPS },   { 1, PDU_CONF_D },   { 1, "04" },       { 2, PDU_RAND_D },
		{ 2, PDU_START },  { 3, PDU_CONF_D },   { 3, PDU_COMPLETE }, { 3, PDU_DATA },
	};

	for (unsigned i = 0; i < ARRAY_SIZE(cases); i++) {
		struct mock *m = sample_mock();
		unsigned nsent;

		prov_start(&m->p, 0);
		if (cases[i].stage >= 1)
			feed(m, 10, PDU_CAPS);
		if (cases[i].stage >= 2)
			feed(m, 20, PDU_PUBKEY_D);
		if (cases[i].stage >= 3)
			feed(m, 30, PDU_CONF_D);
		ck_assert_uint_eq(m->fails, 0);
		nsent = m->nsent;
		feed(m, 50, cases[i].pdu);
		assert_failed(m, PROV_ERR_UNEXPECTED_PDU);
		ck_assert_uint_eq(m->nsent, nsent);
		mock_free(m);
	}
}
END_TEST

START_TEST(test_input_before_start_ignored)
{
	struct mock *m = sample_mock();

	feed(m, 10, PDU_CAPS);
	ck_assert_uint_eq(m->nsent, 0);
	ck_assert_uint_eq(m->fails, 0);
	prov_start(&m->p, 20);
	feed(m, 30, PDU_CAPS);
	ck_assert_uint_eq(m->nsent, 3);
	mock_free(m);
}
END_TEST

START_TEST(test_bad_capabilities)
{
	static const char *const caps[] = {
		"0000010000000000000000", /* 0 elements */
		"0100000000000000000000", /* no algorithm */
		"0100040000000000000000", /* only an unknown algorithm */
		"01fffc0000000000000000",
		"0100010000090001000000", /* output size 9 */
		"0100010000000000010000", /* input size without actions */
	};

	for (unsigned i = 0; i < ARRAY_SIZE(caps); i++) {
		struct mock *m = sample_mock();
		char pdu[32];

		prov_start(&m->p, 0);
		snprintf(pdu, sizeof(pdu), "01%s", caps[i]);
		feed(m, 10, pdu);
		ck_assert_msg(m->fails == 1, "caps %s accepted", caps[i]);
		ck_assert(!m->by_device);
		ck_assert_uint_eq(m->nsent, 1);
		ck_assert(!sent_type(m, PROV_START));
		mock_free(m);
	}
}
END_TEST

START_TEST(test_algorithms_both)
{
	/* 0x0003 without a 32-octet AuthValue: CMAC */
	struct prov_params pp = sample_params();
	struct mock *m = mock_new(&pp, RAND_P);

	prov_start(&m->p, 0);
	feed(m, 10, "01" "0100030000000000000000");
	ck_assert_uint_eq(m->fails, 0);
	assert_sent(m, 1, "020000000000");
	mock_free(m);

	/* 16-octet static OOB: CMAC too */
	pp.auth.kind = PROV_USE_STATIC;
	memset(pp.auth.static_value, 0x11, 16);
	pp.auth.static_len = 16;
	m = mock_new(&pp, RAND_P);
	prov_start(&m->p, 0);
	feed(m, 10, "01" "0100030001000000000000");
	ck_assert_uint_eq(m->fails, 0);
	assert_sent(m, 1, "020000010000");
	mock_free(m);

	/* HMAC only, no OOB: HMAC with 32-octet Confirmation and Random */
	pp = sample_params();
	m = mock_new(&pp, H_RAND_P);
	prov_start(&m->p, 0);
	feed(m, 10, "01" "0100020000000000000000");
	ck_assert_uint_eq(m->fails, 0);
	assert_sent(m, 1, "020100000000");
	feed(m, 20, PDU_PUBKEY_D);
	ck_assert_uint_eq(m->sent_len[3], 33);
	mock_free(m);
}
END_TEST

START_TEST(test_timeout)
{
	struct mock *m = sample_mock();

	prov_start(&m->p, 1000);
	ck_assert_uint_eq(prov_next_deadline(&m->p), 1000 + PROV_TIMEOUT_MS);
	prov_tick(&m->p, 1000 + PROV_TIMEOUT_MS - 1);
	ck_assert_uint_eq(m->fails, 0);
	feed(m, 30000, PDU_CAPS); /* restarts the deadline */
	ck_assert_uint_eq(prov_next_deadline(&m->p), 30000 + PROV_TIMEOUT_MS);
	prov_tick(&m->p, 1000 + PROV_TIMEOUT_MS);
	ck_assert_uint_eq(m->fails, 0);
	feed(m, 50000, PDU_PUBKEY_D);
	ck_assert_uint_eq(prov_next_deadline(&m->p), 50000 + PROV_TIMEOUT_MS);
	prov_tick(&m->p, 50000 + PROV_TIMEOUT_MS - 1);
	ck_assert_uint_eq(m->fails, 0);
	prov_tick(&m->p, 50000 + PROV_TIMEOUT_MS);
	ck_assert_uint_eq(m->fails, 1);
	ck_assert(m->timeout);
	ck_assert(!m->by_device);
	ck_assert_uint_eq(m->error, 0);
	ck_assert(prov_done(&m->p));
	ck_assert_uint_eq(prov_next_deadline(&m->p), NO_DEADLINE);
	/* nothing after */
	feed(m, 50000 + PROV_TIMEOUT_MS + 1, PDU_CONF_D);
	prov_tick(&m->p, 10 * PROV_TIMEOUT_MS);
	ck_assert_uint_eq(m->fails, 1);
	ck_assert_uint_eq(m->nsent, 4);
	mock_free(m);
}
END_TEST

START_TEST(test_assign_address)
{
	struct prov_params pp = sample_params();
	struct mock *m;
	uint8_t data_params[33];
	struct bytes dk = hx(DEVICE_KEY);

	/* given by the callback once the device's confirmation is verified (not
	 * before: a session that fails earlier holds no address): used in the
	 * Data and the result */
	pp.unicast = 0;
	m = mock_new(&pp, RAND_P);
	m->assign_addr = 0x0b0c;
	run_to_keys(m, 0, CAPS, START);
	feed(m, 100, PDU_CONF_D);
	ck_assert_uint_eq(m->assign_calls, 0);
	feed(m, 200, PDU_RAND_D);
	ck_assert_uint_eq(m->assign_calls, 1);
	ck_assert_uint_eq(m->assign_elements, 1);
	assert_sent(m, 5, PDU_DATA); /* the sample's 0x0b0c, so the sample Data */
	feed(m, 300, PDU_COMPLETE);
	ck_assert_uint_eq(m->result.unicast, 0x0b0c);
	ck_assert_mem_eq(m->result.device_key, dk.b, 16);
	mock_free(m);

	/* another address: the Data decrypts (sample SessionKey and nonce) to it */
	m = mock_new(&pp, RAND_P);
	m->assign_addr = 0x1234;
	run_to_keys(m, 0, CAPS, START);
	feed(m, 100, PDU_CONF_D);
	feed(m, 200, PDU_RAND_D);
	ck_assert_uint_eq(m->nsent, 6);
	ck_assert_uint_eq(m->sent[5][0], PROV_DATA);
	{
		uint8_t key[16], nonce[13], plain[25];

		hx_to(SESSION_KEY, key, 16);
		hx_to(SESSION_NONCE, nonce, 13);
		ck_assert_int_eq(crypto_aes_ccm_decrypt(key, nonce, NULL, 0, m->sent[5] + 1, 25, m->sent[5] + 26, 8,
						        plain), 0);
		memcpy(data_params, plain, 25);
		ck_assert_uint_eq(get_be16(data_params + 23), 0x1234);
		ck_assert_uint_eq(get_be16(data_params + 16), 0x0567);
		ck_assert_uint_eq(get_be32(data_params + 19), 0x01020304);
	}
	feed(m, 300, PDU_COMPLETE);
	ck_assert_uint_eq(m->result.unicast, 0x1234);
	mock_free(m);

	/* the element count is what the device announced */
	m = mock_new(&pp, RAND_P);
	m->assign_addr = 0x2000;
	run_to_keys(m, 0, "0300010000000000000000", START);
	{
		uint8_t rd[16], conf[16], no_oob[16] = { 0 };

		hx_to(RAND_D, rd, 16);
		expected_conf(PROV_ALG_CMAC, "0300010000000000000000", START, no_oob, rd, conf);
		feed_pdu(m, 100, PROV_CONFIRMATION, conf, 16);
		ck_assert_uint_eq(m->assign_calls, 0);
		feed_pdu(m, 200, PROV_RANDOM, rd, 16);
	}
	ck_assert_msg(m->fails == 0, "failed: %s", m->msg);
	ck_assert_uint_eq(m->assign_calls, 1);
	ck_assert_uint_eq(m->assign_elements, 3);
	ck_assert(sent_type(m, PROV_DATA));
	mock_free(m);

	/* a device whose confirmation does not verify: no address asked for */
	m = mock_new(&pp, RAND_P);
	m->assign_addr = 0x0b0c;
	run_to_keys(m, 0, CAPS, START);
	feed(m, 100, PDU_CONF_D);
	feed(m, 200, "06" "00000000000000000000000000000001");
	assert_failed(m, PROV_ERR_CONFIRMATION_FAILED);
	ck_assert_uint_eq(m->assign_calls, 0);
	mock_free(m);

	/* refused: nothing sent after our Random */
	m = mock_new(&pp, RAND_P);
	m->assign_rc = -1;
	run_to_keys(m, 0, CAPS, START);
	feed(m, 100, PDU_CONF_D);
	feed(m, 200, PDU_RAND_D);
	assert_failed(m, PROV_ERR_CANNOT_ASSIGN_ADDRESSES);
	ck_assert_uint_eq(m->nsent, 5);
	ck_assert(!sent_type(m, PROV_DATA));
	mock_free(m);
}
END_TEST

/* data_ready comes before the Data PDU with the address and device key it
 * carries; refused, nothing is sent. */
START_TEST(test_data_ready)
{
	struct prov_params pp = sample_params();
	struct bytes dk = hx(DEVICE_KEY);
	struct mock *m;

	pp.unicast = 0;
	m = mock_new(&pp, RAND_P);
	m->assign_addr = 0x0b0c;
	run_to_keys(m, 0, CAPS, START);
	feed(m, 100, PDU_CONF_D);
	ck_assert_int_eq(m->data_ready_calls, 0);
	feed(m, 200, PDU_RAND_D);
	ck_assert_int_eq(m->data_ready_calls, 1);
	ck_assert_uint_eq(m->nsent_at_data_ready, 5); /* the Data was not yet sent */
	ck_assert_uint_eq(m->data_ready_result.unicast, 0x0b0c);
	ck_assert_uint_eq(m->data_ready_result.elements, 1);
	ck_assert_uint_eq(m->data_ready_result.net_key_index, 0x0567);
	ck_assert_mem_eq(m->data_ready_result.device_key, dk.b, 16);
	assert_sent(m, 5, PDU_DATA);
	mock_free(m);

	m = mock_new(&pp, RAND_P);
	m->assign_addr = 0x0b0c;
	m->data_ready_rc = -1;
	run_to_keys(m, 0, CAPS, START);
	feed(m, 100, PDU_CONF_D);
	feed(m, 200, PDU_RAND_D);
	assert_failed(m, 0);
	ck_assert_uint_eq(m->nsent, 5);
	ck_assert(!sent_type(m, PROV_DATA));
	ck_assert(strstr(m->msg, "not sent"));
	mock_free(m);
}
END_TEST

START_TEST(test_assign_address_missing_callback)
{
	static const struct prov_ops no_assign = {
		.send = m_send, .progress = m_progress, .complete = m_complete, .failed = m_failed,
	};
	struct prov_params pp = sample_params();
	struct mock *m = calloc(1, sizeof(*m));
	struct bytes priv = hx(PROV_PRIV), rnd = hx(RAND_P);

	ck_assert_ptr_nonnull(m);
	pp.unicast = 0;
	prov_init(&m->p, &pp, &no_assign, m);
	ck_assert_int_eq(prov_test_fix(&m->p, priv.b, rnd.b, rnd.len), 0);
	run_to_keys(m, 0, CAPS, START);
	feed(m, 100, PDU_CONF_D);
	feed(m, 200, PDU_RAND_D);
	assert_failed(m, PROV_ERR_CANNOT_ASSIGN_ADDRESSES);
	ck_assert(!sent_type(m, PROV_DATA));
	mock_free(m);
}
END_TEST

START_TEST(test_ignored_after_failure)
{
	struct mock *m = sample_mock();

	prov_start(&m->p, 0);
	feed(m, 10, PDU_RAND_D);
	assert_failed(m, PROV_ERR_UNEXPECTED_PDU);
	feed(m, 20, PDU_CAPS);
	feed(m, 30, "0a");
	feed(m, 40, "0904");
	prov_tick(&m->p, 10 * PROV_TIMEOUT_MS);
	prov_cancel(&m->p, "user cancel");
	ck_assert_int_eq(prov_set_auth_value(&m->p, 50, "123"), -EINVAL);
	ck_assert_uint_eq(m->fails, 1);
	ck_assert_uint_eq(m->error, PROV_ERR_UNEXPECTED_PDU);
	ck_assert_uint_eq(m->nsent, 1);
	ck_assert_uint_eq(m->completes, 0);
	mock_free(m);
}
END_TEST

START_TEST(test_cancel)
{
	struct mock *m = sample_mock();

	prov_start(&m->p, 0);
	feed(m, 10, PDU_CAPS);
	prov_cancel(&m->p, "cancelled by the user");
	ck_assert_uint_eq(m->fails, 1);
	ck_assert_uint_eq(m->error, 0);
	ck_assert(!m->timeout);
	ck_assert_str_eq(m->msg, "cancelled by the user");
	feed(m, 20, PDU_PUBKEY_D);
	ck_assert_uint_eq(m->nsent, 3);
	mock_free(m);
}
END_TEST

/* ---- AliGenie static OOB ---- */

START_TEST(test_aligenie_plain)
{
	struct prov_params pp = sample_params();
	struct mock *m;
	uint8_t av[16], computed[16];

	aligenie_auth(&pp.auth, false);
	m = mock_new(&pp, RAND_P);
	run_to_keys(m, 0, S_CAPS, S_START);

	/* the §4 AuthValue, also recomputed by the crypto module */
	hx_to(ALI_AUTH, av, 16);
	ck_assert_int_eq(crypto_aligenie_auth_value(ALI_PID, pp.auth.mac, pp.auth.secret, 16, NULL, computed), 0);
	ck_assert_mem_eq(computed, av, 16);
	assert_our_confirmation(m, S_CAPS, S_START, av);

	/* a device with the same AuthValue is accepted */
	device_confirms(m, av);
	ck_assert_msg(m->fails == 0, "failed: %s", m->msg);
	ck_assert(sent_type(m, PROV_DATA));
	feed(m, 300, PDU_COMPLETE);
	ck_assert_uint_eq(m->completes, 1);
	ck_assert_uint_eq(m->result.auth, PROV_AUTH_STATIC);
	mock_free(m);
}
END_TEST

START_TEST(test_aligenie_random_bound)
{
	struct prov_params pp = sample_params();
	struct mock *m;
	uint8_t av_p[16], av_d[16], av_plain[16], rp[16], rd[16];

	aligenie_auth(&pp.auth, true);
	m = mock_new(&pp, RAND_P);
	run_to_keys(m, 0, S_CAPS, S_START);

	hx_to(RAND_P, rp, 16);
	hx_to(RAND_D, rd, 16);
	ck_assert_int_eq(crypto_aligenie_auth_value(ALI_PID, pp.auth.mac, pp.auth.secret, 16, rp, av_p), 0);
	ck_assert_int_eq(crypto_aligenie_auth_value(ALI_PID, pp.auth.mac, pp.auth.secret, 16, rd, av_d), 0);
	hx_to(ALI_AUTH, av_plain, 16);
	ck_assert(memcmp(av_p, av_plain, 16) != 0);
	ck_assert(memcmp(av_p, av_d, 16) != 0);
	/* our Confirmation uses AuthValue(RandomProvisioner) */
	assert_our_confirmation(m, S_CAPS, S_START, av_p);

	/* the device's is checked with AuthValue(RandomDevice) */
	device_confirms(m, av_d);
	ck_assert_msg(m->fails == 0, "failed: %s", m->msg);
	ck_assert(sent_type(m, PROV_DATA));
	mock_free(m);

	/* a device using the plain AuthValue does not verify */
	m = mock_new(&pp, RAND_P);
	run_to_keys(m, 0, S_CAPS, S_START);
	device_confirms(m, av_plain);
	assert_failed(m, PROV_ERR_CONFIRMATION_FAILED);
	ck_assert(!sent_type(m, PROV_DATA));
	mock_free(m);
}
END_TEST

START_TEST(test_static_not_offered)
{
	struct prov_params pp = sample_params();
	struct mock *m;

	aligenie_auth(&pp.auth, false);
	m = mock_new(&pp, RAND_P);
	prov_start(&m->p, 0);
	feed(m, 10, PDU_CAPS); /* static OOB type 0 */
	ck_assert_uint_eq(m->fails, 1);
	ck_assert(strstr(m->msg, "static OOB") != NULL);
	ck_assert(!sent_type(m, PROV_START));
	mock_free(m);
}
END_TEST

/* ---- output and input OOB: the AuthValue ---- */

/* Numeric OOB AuthValue: the number, big-endian, right-aligned in 16 octets (CMAC). */
START_TEST(test_output_numeric_auth_value)
{
	struct prov_params pp = sample_params();
	struct mock *m;
	uint8_t av[16], rp[16], conf[16];
	const char *caps = "0100010000060008000000"; /* output numeric, size 6 */

	pp.auth.kind = PROV_USE_OUTPUT;
	m = mock_new(&pp, RAND_P);
	run_to_keys(m, 0, caps, "0000020306");
	ck_assert_uint_eq(m->nsent, 3); /* no Confirmation before the user enters the value */
	ck_assert_uint_eq(m->auth_requests, 1);
	ck_assert_uint_eq(m->auth_method, PROV_AUTH_OUTPUT);
	ck_assert_uint_eq(m->auth_action, PROV_OUT_NUMERIC);
	ck_assert_uint_eq(m->auth_size, 6);
	ck_assert(m->show_null);

	ck_assert_int_eq(prov_set_auth_value(&m->p, 100, "1234567"), -EINVAL); /* 7 digits > 6 */
	ck_assert_int_eq(prov_set_auth_value(&m->p, 100, "12a"), -EINVAL);
	ck_assert_int_eq(prov_set_auth_value(&m->p, 100, ""), -EINVAL);
	ck_assert_uint_eq(m->nsent, 3);
	ck_assert_uint_eq(m->fails, 0);
	ck_assert_int_eq(prov_set_auth_value(&m->p, 100, "123456"), 0);
	ck_assert_uint_eq(prov_next_deadline(&m->p), 100 + PROV_TIMEOUT_MS);
	ck_assert_uint_eq(m->nsent, 4);

	hx_to(RAND_P, rp, 16);
	memset(av, 0, sizeof(av));
	expected_conf(PROV_ALG_CMAC, caps, "0000020306", av, rp, conf);
	ck_assert_msg(memcmp(m->sent[3] + 1, conf, 16) != 0,
		      "Confirmation made with an all-zero AuthValue: the numeric value was put at octets "
		      "28..31 of a 32-octet AuthValue, CMAC uses octets 0..15");
	put_be32(av + 12, 123456);
	assert_our_confirmation(m, caps, "0000020306", av);
	ck_assert_int_eq(prov_set_auth_value(&m->p, 100, "123456"), -EINVAL); /* not awaited any more */
	mock_free(m);
}
END_TEST

/* Alphanumeric: ASCII, left-aligned, zero padded. */
START_TEST(test_output_alpha_auth_value)
{
	struct prov_params pp = sample_params();
	struct mock *m;
	uint8_t av[16];
	const char *caps = "0100010000080010000000"; /* output alphanumeric, size 8 */

	pp.auth.kind = PROV_USE_OUTPUT;
	m = mock_new(&pp, RAND_P);
	run_to_keys(m, 0, caps, "0000020408");
	ck_assert_uint_eq(m->auth_action, PROV_OUT_ALPHA);
	ck_assert_int_eq(prov_set_auth_value(&m->p, 100, "abc"), -EINVAL); /* lower case is not allowed */
	ck_assert_int_eq(prov_set_auth_value(&m->p, 100, "A1B2C3"), 0);
	memset(av, 0, sizeof(av));
	memcpy(av, "A1B2C3", 6);
	assert_our_confirmation(m, caps, "0000020408", av);
	mock_free(m);
}
END_TEST

START_TEST(test_input_numeric_auth_value)
{
	struct prov_params pp = sample_params();
	struct mock *m;
	uint8_t av[16], rp[16], conf[16];
	const char *caps = "0100010000000000040004"; /* input numeric, size 4 */
	unsigned long v;

	pp.auth.kind = PROV_USE_INPUT;
	m = mock_new(&pp, RAND_P);
	run_to_keys(m, 0, caps, "0000030204");
	ck_assert_uint_eq(m->auth_requests, 1);
	ck_assert_uint_eq(m->auth_method, PROV_AUTH_INPUT);
	ck_assert_uint_eq(m->auth_action, PROV_IN_NUMERIC);
	ck_assert_uint_eq(m->auth_size, 4);
	ck_assert(!m->show_null);
	ck_assert_uint_ge(strlen(m->show), 1);
	ck_assert_uint_le(strlen(m->show), 4);
	ck_assert_int_eq(parse_uint(m->show, 9999, &v), 0);
	ck_assert_uint_eq(m->nsent, 3); /* waits for Input Complete */
	feed(m, 100, PDU_CONF_D);       /* not now */
	assert_failed(m, PROV_ERR_UNEXPECTED_PDU);
	mock_free(m);

	m = mock_new(&pp, RAND_P);
	run_to_keys(m, 0, caps, "0000030204");
	ck_assert_int_eq(parse_uint(m->show, 9999, &v), 0);
	feed(m, 100, "04");
	ck_assert_uint_eq(m->fails, 0);
	ck_assert_uint_eq(m->nsent, 4);
	hx_to(RAND_P, rp, 16);
	memset(av, 0, sizeof(av));
	expected_conf(PROV_ALG_CMAC, caps, "0000030204", av, rp, conf);
	ck_assert_msg(v == 0 || memcmp(m->sent[3] + 1, conf, 16) != 0,
		      "Confirmation made with an all-zero AuthValue: the numeric value was put at octets "
		      "28..31 of a 32-octet AuthValue, CMAC uses octets 0..15");
	put_be32(av + 12, (uint32_t)v);
	assert_our_confirmation(m, caps, "0000030204", av);
	mock_free(m);
}
END_TEST

START_TEST(test_input_alpha_shown)
{
	struct prov_params pp = sample_params();
	struct mock *m;
	uint8_t av[16];
	const char *caps = "0100010000000000060008"; /* input alphanumeric, size 6 */

	pp.auth.kind = PROV_USE_INPUT;
	m = mock_new(&pp, RAND_P);
	run_to_keys(m, 0, caps, "0000030306");
	ck_assert_uint_eq(m->auth_action, PROV_IN_ALPHA);
	ck_assert_uint_eq(strlen(m->show), 6);
	for (size_t i = 0; i < 6; i++)
		ck_assert((m->show[i] >= '0' && m->show[i] <= '9') || (m->show[i] >= 'A' && m->show[i] <= 'Z'));
	feed(m, 100, "04");
	memset(av, 0, sizeof(av));
	memcpy(av, m->show, 6);
	assert_our_confirmation(m, caps, "0000030306", av);
	mock_free(m);
}
END_TEST

/* The device's public key known out of band: Start says so, no Public Key is awaited. */
START_TEST(test_oob_public_key)
{
	struct prov_params pp = sample_params();
	struct mock *m;
	uint8_t av[16];
	const char *caps = "0100010100000000000000";

	pp.has_device_pubkey = true;
	hx_to(DEV_PUB, pp.device_pubkey, 64);
	m = mock_new(&pp, RAND_P);
	prov_start(&m->p, 0);
	feed(m, 10, "01" "0100010100000000000000");
	ck_assert_msg(m->fails == 0, "failed: %s", m->msg);
	ck_assert_uint_eq(m->nsent, 4);
	assert_sent(m, 1, "020001000000");
	assert_sent(m, 2, PDU_PUBKEY_P);
	memset(av, 0, sizeof(av));
	assert_our_confirmation(m, caps, "0001000000", av);
	mock_free(m);

	/* a device without an OOB public key cannot be provisioned that way */
	m = mock_new(&pp, RAND_P);
	prov_start(&m->p, 0);
	feed(m, 10, PDU_CAPS);
	ck_assert_uint_eq(m->fails, 1);
	ck_assert_uint_eq(m->nsent, 1);
	mock_free(m);
}
END_TEST

/* ---- shared derivations ---- */

START_TEST(test_oob_auth_value_encoding)
{
	uint8_t out[32], want[32];

	ck_assert_int_eq(prov_oob_auth_value(false, "123456", 16, out), 0);
	memset(want, 0, 32);
	put_be32(want + 12, 123456);
	ck_assert_mem_eq(out, want, 16);
	ck_assert_int_eq(prov_oob_auth_value(false, "99999999", 32, out), 0);
	memset(want, 0, 32);
	put_be32(want + 28, 99999999);
	ck_assert_mem_eq(out, want, 32);
	ck_assert_int_eq(prov_oob_auth_value(true, "AB12", 16, out), 0);
	memset(want, 0, 32);
	memcpy(want, "AB12", 4);
	ck_assert_mem_eq(out, want, 16);
	ck_assert_int_eq(prov_oob_auth_value(true, "ab", 16, out), -EINVAL);
	ck_assert_int_eq(prov_oob_auth_value(false, "12a", 16, out), -EINVAL);
	ck_assert_int_eq(prov_oob_auth_value(false, "123456789", 16, out), -EINVAL);
	ck_assert_int_eq(prov_oob_auth_value(false, "1", 24, out), -EINVAL);
}
END_TEST

START_TEST(test_parse_caps)
{
	struct prov_caps c;
	struct bytes b = hx("0200030103050018040009");

	ck_assert_int_eq(prov_pdu_parse_caps(b.b, 11, &c), 0);
	ck_assert_uint_eq(c.elements, 2);
	ck_assert_uint_eq(c.algorithms, 0x0003);
	ck_assert_uint_eq(c.pubkey_type, 1);
	ck_assert_uint_eq(c.static_oob, 3);
	ck_assert_uint_eq(c.output_size, 5);
	ck_assert_uint_eq(c.output_actions, 0x0018);
	ck_assert_uint_eq(c.input_size, 4);
	ck_assert_uint_eq(c.input_actions, 0x0009);
	ck_assert_int_eq(prov_pdu_parse_caps(b.b, 10, &c), PROV_ERR_INVALID_FORMAT);
	ck_assert_int_eq(prov_pdu_parse_caps(b.b, 12, &c), PROV_ERR_INVALID_FORMAT);
	ck_assert_str_eq(prov_error_str(PROV_ERR_CONFIRMATION_FAILED), "Confirmation Failed");
}
END_TEST

static Suite *prov_suite(void)
{
	Suite *s = suite_create("prov");
	TCase *tc = tcase_create("provisioner");

	tcase_add_test(tc, test_sample_cmac);
	tcase_add_test(tc, test_sample_hmac);
	tcase_add_test(tc, test_hmac_short_confirmation_rejected);
	tcase_add_test(tc, test_device_pubkey_equals_ours);
	tcase_add_test(tc, test_device_pubkey_not_on_curve);
	tcase_add_test(tc, test_device_conf_equals_ours);
	tcase_add_test(tc, test_device_random_equals_ours);
	tcase_add_test(tc, test_wrong_auth_value);
	tcase_add_test(tc, test_failed_from_device);
	tcase_add_test(tc, test_failed_names_step);
	tcase_add_test(tc, test_failure_never_empty);
	tcase_add_test(tc, test_failed_malformed);
	tcase_add_test(tc, test_unknown_pdu_type);
	tcase_add_test(tc, test_empty_pdu);
	tcase_add_test(tc, test_wrong_size_caps);
	tcase_add_test(tc, test_wrong_size_later);
	tcase_add_test(tc, test_unexpected_pdu);
	tcase_add_test(tc, test_input_before_start_ignored);
	tcase_add_test(tc, test_bad_capabilities);
	tcase_add_test(tc, test_algorithms_both);
	tcase_add_test(tc, test_timeout);
	tcase_add_test(tc, test_assign_address);
	tcase_add_test(tc, test_assign_address_missing_callback);
	tcase_add_test(tc, test_data_ready);
	tcase_add_test(tc, test_ignored_after_failure);
	tcase_add_test(tc, test_cancel);
	tcase_add_test(tc, test_aligenie_plain);
	tcase_add_test(tc, test_aligenie_random_bound);
	tcase_add_test(tc, test_static_not_offered);
	tcase_add_test(tc, test_output_numeric_auth_value);
	tcase_add_test(tc, test_output_alpha_auth_value);
	tcase_add_test(tc, test_input_numeric_auth_value);
	tcase_add_test(tc, test_input_alpha_shown);
	tcase_add_test(tc, test_oob_public_key);
	tcase_add_test(tc, test_oob_auth_value_encoding);
	tcase_add_test(tc, test_parse_caps);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(prov_suite)
