/* Robustness: random and mutated input from the air or a controller through
 * the whole receive path (H4 framing, HCI events, AD structures, beacons,
 * the device table, PB-ADV, the provisioning protocol). The assertions are
 * on the counters and states each layer must keep; crashes and out-of-bounds
 * reads are caught by the sanitizers of `make check-asan`. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "adv.h"
#include "beacon.h"
#include "check_main.h"
#include "devtable.h"
#include "h4.h"
#include "hci.h"
#include "pb_adv.h"
#include "prov.h"
#include "util.h"

#define ROUNDS 20000

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)rng_state;
}

/* ---- HCI + ADV + beacon + devtable, fed H4 bytes ---- */

struct stack {
	struct hci hci;
	struct adv adv;
	struct devtable table;
	struct h4_parser h4;
	unsigned long beacons_ok, beacons_bad, mesh_rx;
};

static void st_send(void *ctx, const uint8_t *pkt, size_t len)
{
	(void)ctx;
	(void)pkt;
	(void)len;
}

static void st_report(void *ctx, const struct hci_adv_report *r)
{
	struct stack *s = ctx;

	ck_assert_uint_le(r->data_len, 31);
	adv_input(&s->adv, r);
}

static const struct hci_ops st_hci_ops = { .send = st_send, .adv_report = st_report };

static void st_rx(void *ctx, uint8_t type, const uint8_t *data, size_t len,
		  const struct hci_adv_report *r)
{
	struct stack *s = ctx;
	struct unprov_beacon b;
	bool is_new;

	/* an AD payload always lies inside the report's data */
	ck_assert_ptr_nonnull(data);
	ck_assert(data >= r->data && data + len <= r->data + r->data_len);
	s->mesh_rx++;
	if (type != AD_TYPE_MESH_BEACON)
		return;
	if (beacon_parse_unprov(data, len, &b) == 0) {
		ck_assert(devtable_update(&s->table, &b, r, s->mesh_rx, &is_new) != NULL);
		s->beacons_ok++;
	} else {
		s->beacons_bad++;
	}
}

static const struct adv_ops st_adv_ops = { .rx = st_rx };

static void st_packet(void *ctx, const uint8_t *pkt, size_t len)
{
	struct stack *s = ctx;

	hci_receive(&s->hci, 0, pkt, len);
}

static void stack_init(struct stack *s)
{
	memset(s, 0, sizeof(*s));
	hci_init(&s->hci, &st_hci_ops, s);
	adv_init(&s->adv, &s->hci, &st_adv_ops, s);
	ck_assert_int_eq(devtable_init(&s->table, 8), 0);
	h4_reset(&s->h4);
}

/* A well-formed LE Advertising Report event with one mesh beacon, as H4. */
static size_t good_event(uint8_t *out)
{
	static const uint8_t uuid[16] = { 0xa8, 0x01, 0x71, 0x5a, 0x02, 0x00, 0x00, 0xa8,
					  0x1c, 0xc1, 0x07, 0xda, 0x78, 0x02, 0x10, 0x00 };
	uint8_t *p = out;

	*p++ = H4_EVT;
	*p++ = HCI_EV_LE_META;
	*p++ = 0; /* plen, below */
	*p++ = HCI_LE_ADV_REPORT;
	*p++ = 1;    /* reports */
	*p++ = 0x03; /* ADV_NONCONN_IND */
	*p++ = 0x00;
	memset(p, 0x11, 6);
	p += 6;
	*p++ = 21; /* data length */
	*p++ = 20;
	*p++ = AD_TYPE_MESH_BEACON;
	*p++ = BEACON_UNPROVISIONED;
	memcpy(p, uuid, 16);
	p += 16;
	*p++ = 0x00;
	*p++ = 0x00;
	*p++ = (uint8_t)-40; /* rssi */
	out[2] = (uint8_t)(p - out - 3);
	return (size_t)(p - out);
}

START_TEST(test_mutated_events)
{
	struct stack s;
	uint8_t good[64], pkt[300];
	size_t glen = good_event(good);
	unsigned long delivered_before;

	stack_init(&s);
	/* the unmutated event is accepted: one beacon */
	st_packet(&s, good, glen);
	ck_assert_uint_eq(s.beacons_ok, 1);

	for (int i = 0; i < ROUNDS; i++) {
		size_t len = glen;
		int flips = 1 + (int)(rnd() % 4);

		memcpy(pkt, good, glen);
		for (int f = 0; f < flips; f++)
			pkt[rnd() % glen] = (uint8_t)rnd();
		if (rnd() % 4 == 0)
			len = rnd() % (glen + 1); /* truncated */
		/* keep the H4 framing consistent so each mutation reaches the HCI layer */
		if (len >= 3) {
			pkt[0] = H4_EVT;
			pkt[2] = (uint8_t)(len - 3);
		}
		delivered_before = s.hci.stats.events;
		hci_receive(&s.hci, 0, pkt, len);
		if (len >= 1 && pkt[0] == H4_EVT)
			ck_assert_uint_eq(s.hci.stats.events, delivered_before + 1);
	}
	/* the stack still works after all that */
	delivered_before = s.beacons_ok;
	st_packet(&s, good, glen);
	ck_assert_uint_eq(s.beacons_ok, delivered_before + 1);
	ck_assert_uint_le(s.table.n, 8);
	devtable_free(&s.table);
}
END_TEST

START_TEST(test_random_h4_stream)
{
	struct stack s;
	uint8_t buf[512], good[64];
	size_t glen = good_event(good);
	unsigned long desync = 0;

	stack_init(&s);
	for (int i = 0; i < ROUNDS / 4; i++) {
		size_t len = rnd() % sizeof(buf);

		for (size_t j = 0; j < len; j++)
			buf[j] = (uint8_t)rnd();
		if (rnd() % 2)
			buf[0] = H4_EVT;
		if (h4_feed(&s.h4, buf, len, st_packet, &s) < 0) {
			desync++;
			h4_reset(&s.h4); /* a real transport would reconnect */
		}
	}
	ck_assert_uint_gt(desync, 0);
	/* after a reset the stream carries good events again */
	h4_reset(&s.h4);
	{
		unsigned long before = s.beacons_ok;

		ck_assert_int_eq(h4_feed(&s.h4, good, glen, st_packet, &s), 0);
		ck_assert_uint_eq(s.beacons_ok, before + 1);
	}
	devtable_free(&s.table);
}
END_TEST

START_TEST(test_random_ad_data)
{
	struct stack s;
	struct hci_adv_report r;
	uint8_t data[31];

	stack_init(&s);
	memset(&r, 0, sizeof(r));
	for (int i = 0; i < ROUNDS; i++) {
		uint8_t *copy;

		r.data_len = (uint8_t)(rnd() % 32);
		for (size_t j = 0; j < r.data_len; j++)
			data[j] = (uint8_t)rnd();
		/* mesh AD types often, so the dispatch and beacon parser get work */
		if (r.data_len >= 2 && rnd() % 2)
			data[1] = (uint8_t)(AD_TYPE_PB_ADV + rnd() % 3);
		/* exact-size heap copy: any read past the end is an ASan error */
		copy = malloc(r.data_len ? r.data_len : 1);
		ck_assert_ptr_nonnull(copy);
		memcpy(copy, data, r.data_len);
		r.data = copy;
		adv_input(&s.adv, &r);
		free(copy);
	}
	ck_assert_uint_gt(s.mesh_rx, 0);
	ck_assert_uint_gt(s.beacons_bad, 0);
	devtable_free(&s.table);
}
END_TEST

/* ---- the provisioning protocol fed random PDUs in every state ---- */

struct sink {
	unsigned sent;
	bool failed;
	uint8_t error;
};

static void p_send(void *ctx, const uint8_t *pdu, size_t len)
{
	struct sink *k = ctx;

	ck_assert_uint_ge(len, 1);
	ck_assert_uint_le(pdu[0], PROV_FAILED);
	ck_assert_uint_le(len, PROV_MAX_PDU);
	k->sent++;
}

static int p_assign(void *ctx, uint8_t elements, uint16_t *addr)
{
	(void)ctx;
	(void)elements;
	*addr = 0x0011;
	return 0;
}

static void p_complete(void *ctx, const struct prov_result *r)
{
	(void)ctx;
	(void)r;
	ck_abort_msg("random input must never complete provisioning");
}

static void p_failed(void *ctx, uint8_t error, bool by_device, bool timeout, const char *msg)
{
	struct sink *k = ctx;

	(void)by_device;
	(void)timeout;
	ck_assert_ptr_nonnull(msg);
	ck_assert(!k->failed); /* reported once */
	k->failed = true;
	k->error = error;
}

static const struct prov_ops sink_ops = {
	.send = p_send, .assign_address = p_assign, .complete = p_complete, .failed = p_failed,
};

START_TEST(test_random_prov_pdus)
{
	static const uint8_t caps[] = { 0x01, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
					0x00, 0x00 };
	unsigned failures = 0;

	for (int i = 0; i < 2000; i++) {
		struct prov_params params;
		struct sink k = { 0 };
		struct prov p;
		uint8_t pdu[80];
		size_t len;

		memset(&params, 0, sizeof(params));
		params.auth.kind = PROV_USE_NO_OOB;
		prov_init(&p, &params, &sink_ops, &k);
		prov_start(&p, 0);
		/* half the runs get valid capabilities first, to reach the later states */
		if (i % 2)
			prov_input(&p, 1, caps, sizeof(caps));
		for (int j = 0; j < 6 && !prov_done(&p); j++) {
			len = rnd() % sizeof(pdu);
			for (size_t b = 0; b < len; b++)
				pdu[b] = (uint8_t)rnd();
			if (len && rnd() % 2)
				pdu[0] = (uint8_t)(rnd() % 10); /* a known type */
			prov_input(&p, 2, pdu, len);
		}
		failures += k.failed;
		if (k.failed)
			ck_assert(prov_done(&p));
		prov_free(&p);
	}
	ck_assert_uint_gt(failures, 1000);
}
END_TEST

static Suite *robust_suite(void)
{
	Suite *s = suite_create("robust");
	TCase *tc = tcase_create("random input");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_mutated_events);
	tcase_add_test(tc, test_random_h4_stream);
	tcase_add_test(tc, test_random_ad_data);
	tcase_add_test(tc, test_random_prov_pdus);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(robust_suite)
