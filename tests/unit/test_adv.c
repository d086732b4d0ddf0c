/* AD structure parsing and the advertising bearer on top of the HCI core. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "adv.h"
#include "check_main.h"
#include "h4.h"
#include "hci.h"
#include "util.h"

/* ---- ad_iter ---- */

struct ad {
	uint8_t type;
	size_t len;
	const uint8_t *payload;
};

/* Walk data and collect up to max structures; returns the count. */
static size_t walk(const uint8_t *data, size_t len, struct ad *out, size_t max)
{
	struct ad_iter it;
	size_t n = 0;
	uint8_t type;
	const uint8_t *payload;
	size_t plen;

	ad_iter_init(&it, data, len);
	while (ad_iter_next(&it, &type, &payload, &plen)) {
		ck_assert_uint_lt(n, max);
		ck_assert_ptr_nonnull(payload);
		ck_assert(payload >= data + 2 && payload + plen <= data + len);
		out[n].type = type;
		out[n].len = plen;
		out[n].payload = payload;
		n++;
	}
	/* once finished, it stays finished */
	ck_assert(!ad_iter_next(&it, &type, &payload, &plen));
	return n;
}

/* A copy of src at the very end of a malloc'd block of exactly len octets. */
static uint8_t *exact_copy(const uint8_t *src, size_t len)
{
	uint8_t *p = malloc(len ? len : 1);

	ck_assert_ptr_nonnull(p);
	if (len)
		memcpy(p, src, len);
	return p;
}

START_TEST(test_ad_well_formed)
{
	static const uint8_t d[] = { 0x02, 0x01, 0x06,                         /* flags */
				     0x05, 0x29, 0xa1, 0xa2, 0xa3, 0xa4,       /* PB-ADV */
				     0x01, 0x2a,                               /* type only */
				     0x04, 0x2b, 0x00, 0xc1, 0xc2 };           /* beacon */
	uint8_t *buf = exact_copy(d, sizeof(d));
	struct ad ad[8];
	size_t n = walk(buf, sizeof(d), ad, 8);

	ck_assert_uint_eq(n, 4);
	ck_assert_uint_eq(ad[0].type, 0x01);
	ck_assert_uint_eq(ad[0].len, 1);
	ck_assert_uint_eq(ad[0].payload[0], 0x06);
	ck_assert_uint_eq(ad[1].type, 0x29);
	ck_assert_uint_eq(ad[1].len, 4);
	ck_assert_mem_eq(ad[1].payload, "\xa1\xa2\xa3\xa4", 4);
	ck_assert_ptr_eq(ad[1].payload, buf + 5);
	ck_assert_uint_eq(ad[2].type, 0x2a);
	ck_assert_uint_eq(ad[2].len, 0);
	ck_assert_uint_eq(ad[3].type, 0x2b);
	ck_assert_uint_eq(ad[3].len, 3);
	ck_assert_mem_eq(ad[3].payload, "\x00\xc1\xc2", 3);
	free(buf);
}
END_TEST

START_TEST(test_ad_zero_length_skipped)
{
	static const uint8_t d[] = { 0x00, 0x02, 0x01, 0x06, 0x00, 0x00, 0x03, 0x2a, 0x11, 0x22, 0x00 };
	uint8_t *buf = exact_copy(d, sizeof(d));
	struct ad ad[8];
	size_t n = walk(buf, sizeof(d), ad, 8);

	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(ad[0].type, 0x01);
	ck_assert_uint_eq(ad[0].len, 1);
	ck_assert_uint_eq(ad[1].type, 0x2a);
	ck_assert_uint_eq(ad[1].len, 2);
	ck_assert_mem_eq(ad[1].payload, "\x11\x22", 2);
	free(buf);

	/* nothing but padding */
	buf = exact_copy((const uint8_t *)"\0\0\0\0", 4);
	ck_assert_uint_eq(walk(buf, 4, ad, 8), 0);
	free(buf);
}
END_TEST

/* A structure whose length runs past the end stops the walk: under ASan any
 * read past the exact-size buffer aborts the test. */
START_TEST(test_ad_length_past_end)
{
	static const uint8_t good[] = { 0x02, 0x01, 0x06, 0x05, 0x29, 0xa1, 0xa2, 0xa3, 0xa4 };
	uint8_t d[sizeof(good) + 32];
	struct ad ad[8];

	/* every possible over-long last structure: length octet, then 0..l-1 octets */
	for (unsigned l = 1; l <= 255; l++) {
		for (unsigned have = 0; have < l && have <= 31; have++) {
			size_t len = sizeof(good) + 1 + have;
			uint8_t *buf;
			size_t n;

			memcpy(d, good, sizeof(good));
			d[sizeof(good)] = (uint8_t)l;
			memset(d + sizeof(good) + 1, 0x2b, have);
			buf = exact_copy(d, len);
			n = walk(buf, len, ad, 8);
			ck_assert_msg(n == 2, "length %u with %u octets: %zu structures", l, have, n);
			ck_assert_uint_eq(ad[1].type, 0x29);
			free(buf);
		}
	}

	/* an over-long first structure hides everything */
	{
		static const uint8_t bad[] = { 0x1f, 0x29, 0x00, 0x02, 0x01, 0x06 };
		uint8_t *buf = exact_copy(bad, sizeof(bad));

		ck_assert_uint_eq(walk(buf, sizeof(bad), ad, 8), 0);
		free(buf);
	}
	/* a length octet alone at the very end */
	{
		uint8_t *buf = exact_copy((const uint8_t *)"\x01", 1);

		ck_assert_uint_eq(walk(buf, 1, ad, 8), 0);
		free(buf);
	}
}
END_TEST

START_TEST(test_ad_empty)
{
	uint8_t *buf = calloc(1, 1);
	struct ad ad[1];

	ck_assert_ptr_nonnull(buf);

	ck_assert_uint_eq(walk(buf, 0, ad, 1), 0);
	ck_assert_uint_eq(walk(NULL, 0, ad, 1), 0);
	free(buf);
}
END_TEST

/* ---- the bearer: fakes ---- */

#define MAX_SENT 128
#define MAX_RX 16

struct sent_cmd {
	uint16_t opcode;
	uint8_t plen;
	uint8_t params[255];
};

struct rx_rec {
	uint8_t type;
	size_t len;
	uint8_t data[31];
	const struct hci_adv_report *r;
};

struct err_rec {
	uint16_t opcode;
	int status;
};

static struct hci hci;
static struct adv adv;
static struct sent_cmd sent[MAX_SENT];
static size_t nsent;
static struct rx_rec rxs[MAX_RX];
static size_t nrx;
static struct err_rec errs[8];
static size_t nerr;
static int adv_ctx_tag;
static bool wire_reports; /* hci reports go to adv_input */

static void fake_send(void *ctx, const uint8_t *pkt, size_t len)
{
	ck_assert_ptr_eq(ctx, &hci);
	ck_assert_uint_lt(nsent, MAX_SENT);
	ck_assert_uint_ge(len, 4);
	ck_assert_uint_eq(pkt[0], H4_CMD);
	ck_assert_uint_eq(pkt[3], len - 4);
	sent[nsent].opcode = get_le16(pkt + 1);
	sent[nsent].plen = pkt[3];
	memcpy(sent[nsent].params, pkt + 4, pkt[3]);
	nsent++;
}

static void fake_report(void *ctx, const struct hci_adv_report *r)
{
	ck_assert_ptr_eq(ctx, &hci);
	if (wire_reports)
		adv_input(&adv, r);
}

static void fake_terminated(void *ctx, uint8_t status, uint8_t handle, uint8_t events)
{
	ck_assert_ptr_eq(ctx, &hci);
	adv_set_terminated(&adv, status, handle, events);
}

static const struct hci_ops hops = {
	.send = fake_send,
	.adv_report = fake_report,
	.adv_set_terminated = fake_terminated,
};

static void fake_rx(void *ctx, uint8_t ad_type, const uint8_t *data, size_t len,
		    const struct hci_adv_report *r)
{
	struct rx_rec *x;

	ck_assert_ptr_eq(ctx, &adv_ctx_tag);
	ck_assert_uint_lt(nrx, MAX_RX);
	ck_assert_uint_le(len, sizeof(x->data));
	x = &rxs[nrx++];
	x->type = ad_type;
	x->len = len;
	memcpy(x->data, data, len);
	x->r = r;
}

static void fake_error(void *ctx, uint16_t opcode, int status)
{
	ck_assert_ptr_eq(ctx, &adv_ctx_tag);
	ck_assert_uint_lt(nerr, ARRAY_SIZE(errs));
	errs[nerr].opcode = opcode;
	errs[nerr].status = status;
	nerr++;
}

static const struct adv_ops aops = {
	.rx = fake_rx,
	.error = fake_error,
};

static void setup(void)
{
	hci_init(&hci, &hops, &hci);
	adv_init(&adv, &hci, &aops, &adv_ctx_tag);
	memset(sent, 0, sizeof(sent));
	nsent = 0;
	memset(rxs, 0, sizeof(rxs));
	nrx = 0;
	memset(errs, 0, sizeof(errs));
	nerr = 0;
	wire_reports = false;
}

static void teardown(void)
{
}

/* Command Complete for the oldest command in flight (which must be opcode). */
static void complete(uint64_t now, uint16_t opcode, uint8_t status)
{
	uint8_t pkt[] = { H4_EVT, HCI_EV_CMD_COMPLETE, 4, 1, (uint8_t)opcode, (uint8_t)(opcode >> 8),
			  status };

	ck_assert_uint_gt(nsent, 0);
	hci_receive(&hci, now, pkt, sizeof(pkt));
	ck_assert_uint_eq(hci.stats.unmatched, 0);
}

static const struct sent_cmd *last_sent(void)
{
	ck_assert_uint_gt(nsent, 0);
	return &sent[nsent - 1];
}

static void expect_sent(size_t i, uint16_t opcode)
{
	ck_assert_msg(nsent > i, "command %zu (0x%04x) not sent; %zu sent", i, opcode, nsent);
	ck_assert_msg(sent[i].opcode == opcode, "command %zu: 0x%04x, want 0x%04x", i,
		      sent[i].opcode, opcode);
}

static void expect_enable(size_t i, uint8_t on)
{
	expect_sent(i, HCI_OP_LE_SET_ADV_ENABLE);
	ck_assert_uint_eq(sent[i].plen, 1);
	ck_assert_uint_eq(sent[i].params[0], on);
}

static void expect_adv_params(size_t i, uint16_t units)
{
	static const uint8_t zero6[6];
	const uint8_t *p;

	expect_sent(i, HCI_OP_LE_SET_ADV_PARAMS);
	ck_assert_uint_eq(sent[i].plen, 15);
	p = sent[i].params;
	ck_assert_uint_eq(get_le16(p), units);     /* interval min */
	ck_assert_uint_eq(get_le16(p + 2), units); /* interval max */
	ck_assert_uint_eq(p[4], 0x03);             /* ADV_NONCONN_IND */
	ck_assert_uint_le(p[5], 0x03);             /* own address type */
	ck_assert_mem_eq(p + 7, zero6, 6);         /* no peer */
	ck_assert_uint_eq(p[13], 0x07);            /* channels 37, 38, 39 */
	ck_assert_uint_eq(p[14], 0x00);            /* no filter */
}

static void expect_adv_data(size_t i, uint8_t ad_type, const uint8_t *payload, size_t len)
{
	uint8_t want[32];

	memset(want, 0, sizeof(want));
	want[0] = (uint8_t)(len + 2);
	want[1] = (uint8_t)(len + 1);
	want[2] = ad_type;
	memcpy(want + 3, payload, len);
	expect_sent(i, HCI_OP_LE_SET_ADV_DATA);
	ck_assert_uint_eq(sent[i].plen, 32);
	ck_assert_mem_eq(sent[i].params, want, 32);
}

static uint8_t pdu25[25];
static uint8_t pdu_b[11];

static void fill_pdus(void)
{
	for (size_t i = 0; i < sizeof(pdu25); i++)
		pdu25[i] = (uint8_t)(0x80 + i);
	for (size_t i = 0; i < sizeof(pdu_b); i++)
		pdu_b[i] = (uint8_t)(0x40 + i);
}

/* Run the start of a PDU through: complete every command in flight until
 * Enable(1) has completed. Returns the time of the last completion. */
static uint64_t complete_start(uint64_t now, size_t first)
{
	size_t i = first;

	for (;;) {
		uint16_t op;

		ck_assert_uint_gt(nsent, i);
		op = sent[i].opcode;
		complete(now, op, 0);
		if (op == HCI_OP_LE_SET_ADV_ENABLE)
			break;
		now++;
		i++;
	}
	return now;
}

/* The same for an extended set: parameters (when sent), data, enable. */
static uint64_t complete_ext_start(uint64_t now)
{
	for (;;) {
		uint16_t op = last_sent()->opcode;

		ck_assert(op == HCI_OP_LE_SET_EXT_ADV_PARAMS || op == HCI_OP_LE_SET_EXT_ADV_DATA ||
			  op == HCI_OP_LE_SET_EXT_ADV_ENABLE);
		complete(now, op, 0);
		if (op == HCI_OP_LE_SET_EXT_ADV_ENABLE)
			return now;
		now++;
	}
}

static void release_cb(void *ctx)
{
	(*(int *)ctx)++;
}

/* ---- transmit ---- */

START_TEST(test_send_one_pdu)
{
	uint64_t t = 1000, d;

	fill_pdus();
	ck_assert(!adv_busy(&adv));
	ck_assert_int_eq(adv_send(&adv, t, AD_TYPE_PB_ADV, pdu25, sizeof(pdu25)), 0);
	ck_assert(adv_busy(&adv));
	/* parameters first; one command at a time */
	ck_assert_uint_eq(nsent, 1);
	expect_adv_params(0, 0x0020); /* 20 ms */
	ck_assert_uint_eq(adv_next_deadline(&adv), NO_DEADLINE);

	complete(t + 1, HCI_OP_LE_SET_ADV_PARAMS, 0);
	ck_assert_uint_eq(nsent, 2);
	expect_adv_data(1, AD_TYPE_PB_ADV, pdu25, sizeof(pdu25));
	ck_assert_uint_eq(sent[1].params[0], 27);
	ck_assert_uint_eq(sent[1].params[1], 26);
	ck_assert_uint_eq(sent[1].params[2], 0x29);
	ck_assert_uint_eq(adv_next_deadline(&adv), NO_DEADLINE);

	complete(t + 2, HCI_OP_LE_SET_ADV_DATA, 0);
	ck_assert_uint_eq(nsent, 3);
	expect_enable(2, 1);
	ck_assert_uint_eq(adv_next_deadline(&adv), NO_DEADLINE);

	t += 3;
	complete(t, HCI_OP_LE_SET_ADV_ENABLE, 0);
	ck_assert_uint_eq(nsent, 3);
	d = adv_next_deadline(&adv);
	ck_assert_uint_ge(d, t + ADV_DEFAULT_COUNT * ADV_DEFAULT_INTERVAL_MS);
	ck_assert_uint_le(d, t + ADV_DEFAULT_COUNT * ADV_DEFAULT_INTERVAL_MS + 10);
	ck_assert_uint_eq(adv.stats.tx_pdus, 1);

	adv_tick(&adv, d - 1);
	ck_assert_uint_eq(nsent, 3);
	adv_tick(&adv, d);
	ck_assert_uint_eq(nsent, 4);
	expect_enable(3, 0);
	ck_assert_uint_eq(adv_next_deadline(&adv), NO_DEADLINE);
	ck_assert(adv_busy(&adv));
	adv_tick(&adv, d + 100); /* no second disable */
	ck_assert_uint_eq(nsent, 4);

	complete(d + 1, HCI_OP_LE_SET_ADV_ENABLE, 0);
	ck_assert(!adv_busy(&adv));
	ck_assert_uint_eq(nsent, 4);
	ck_assert_uint_eq(adv_next_deadline(&adv), NO_DEADLINE);
	ck_assert_uint_eq(nerr, 0);
	ck_assert_uint_eq(hci_next_deadline(&hci), NO_DEADLINE);
}
END_TEST

/* With more controller credits the three commands go out back to back. */
START_TEST(test_send_with_credits)
{
	static const uint8_t nop[] = { H4_EVT, HCI_EV_CMD_COMPLETE, 3, 5, 0x00, 0x00 };

	fill_pdus();
	hci_receive(&hci, 0, nop, sizeof(nop));
	ck_assert_int_eq(adv_send(&adv, 10, AD_TYPE_MESH_MESSAGE, pdu_b, sizeof(pdu_b)), 0);
	ck_assert_uint_eq(nsent, 3);
	expect_adv_params(0, 0x0020);
	expect_adv_data(1, AD_TYPE_MESH_MESSAGE, pdu_b, sizeof(pdu_b));
	expect_enable(2, 1);
	complete(11, HCI_OP_LE_SET_ADV_PARAMS, 0);
	complete(12, HCI_OP_LE_SET_ADV_DATA, 0);
	ck_assert_uint_eq(adv_next_deadline(&adv), NO_DEADLINE);
	complete(13, HCI_OP_LE_SET_ADV_ENABLE, 0);
	ck_assert_uint_ge(adv_next_deadline(&adv), 13 + 60);
	ck_assert_uint_le(adv_next_deadline(&adv), 13 + 70);
}
END_TEST

/* The second PDU waits for the first to finish, and re-uses the parameters. */
START_TEST(test_queued_pdu)
{
	uint64_t t, d;

	fill_pdus();
	ck_assert_int_eq(adv_send(&adv, 0, AD_TYPE_PB_ADV, pdu25, sizeof(pdu25)), 0);
	ck_assert_int_eq(adv_send(&adv, 0, AD_TYPE_MESH_BEACON, pdu_b, sizeof(pdu_b)), 0);
	ck_assert_uint_eq(nsent, 1);
	t = complete_start(1, 0);
	ck_assert_uint_eq(nsent, 3);
	expect_adv_data(1, AD_TYPE_PB_ADV, pdu25, sizeof(pdu25));
	d = adv_next_deadline(&adv);
	ck_assert_uint_ge(d, t + 60);

	adv_tick(&adv, d);
	expect_enable(3, 0);
	ck_assert_uint_eq(nsent, 4);
	complete(d + 1, HCI_OP_LE_SET_ADV_ENABLE, 0);

	/* the second: data and enable only */
	ck_assert_uint_eq(nsent, 5);
	expect_adv_data(4, AD_TYPE_MESH_BEACON, pdu_b, sizeof(pdu_b));
	complete(d + 2, HCI_OP_LE_SET_ADV_DATA, 0);
	expect_enable(5, 1);
	complete(d + 3, HCI_OP_LE_SET_ADV_ENABLE, 0);
	ck_assert_uint_eq(nsent, 6);
	ck_assert_uint_ge(adv_next_deadline(&adv), d + 3 + 60);
	ck_assert_uint_le(adv_next_deadline(&adv), d + 3 + 70);
	for (size_t i = 1; i < nsent; i++)
		ck_assert_uint_ne(sent[i].opcode, HCI_OP_LE_SET_ADV_PARAMS);
	ck_assert_uint_eq(adv.stats.tx_pdus, 2);
	ck_assert_uint_eq(nerr, 0);
}
END_TEST

/* Run one whole PDU through; returns the time when it is over. */
static uint64_t run_pdu(uint64_t t, uint8_t type, const uint8_t *data, size_t len)
{
	size_t first = nsent;
	uint64_t d;

	ck_assert_int_eq(adv_send(&adv, t, type, data, len), 0);
	t = complete_start(t + 1, first);
	d = adv_next_deadline(&adv);
	ck_assert_uint_ne(d, NO_DEADLINE);
	adv_tick(&adv, d);
	expect_enable(nsent - 1, 0);
	complete(d + 1, HCI_OP_LE_SET_ADV_ENABLE, 0);
	ck_assert(!adv_busy(&adv));
	return d + 2;
}

START_TEST(test_set_tx_interval)
{
	uint64_t t;
	size_t before;

	fill_pdus();
	t = run_pdu(0, AD_TYPE_PB_ADV, pdu_b, sizeof(pdu_b));
	ck_assert_uint_eq(sent[0].opcode, HCI_OP_LE_SET_ADV_PARAMS);

	/* a new count alone does not touch the parameters */
	adv_set_tx(&adv, ADV_DEFAULT_INTERVAL_MS, 5);
	before = nsent;
	ck_assert_int_eq(adv_send(&adv, t, AD_TYPE_PB_ADV, pdu_b, sizeof(pdu_b)), 0);
	expect_sent(before, HCI_OP_LE_SET_ADV_DATA);
	t = complete_start(t + 1, before);
	ck_assert_uint_ge(adv_next_deadline(&adv), t + 5 * 20);
	ck_assert_uint_le(adv_next_deadline(&adv), t + 5 * 20 + 10);
	adv_tick(&adv, adv_next_deadline(&adv));
	complete(t + 200, HCI_OP_LE_SET_ADV_ENABLE, 0);
	t += 201;

	/* a new interval does */
	adv_set_tx(&adv, 100, 2);
	before = nsent;
	ck_assert_int_eq(adv_send(&adv, t, AD_TYPE_PB_ADV, pdu25, sizeof(pdu25)), 0);
	expect_adv_params(before, 160); /* 100 ms / 0.625 ms */
	t = complete_start(t + 1, before);
	expect_adv_data(before + 1, AD_TYPE_PB_ADV, pdu25, sizeof(pdu25));
	expect_enable(before + 2, 1);
	ck_assert_uint_ge(adv_next_deadline(&adv), t + 2 * 100);
	ck_assert_uint_le(adv_next_deadline(&adv), t + 2 * 100 + 10);
	ck_assert_uint_eq(nerr, 0);
}
END_TEST

START_TEST(test_payload_sizes)
{
	uint8_t big[31];

	memset(big, 0x33, sizeof(big));
	ck_assert_int_eq(adv_send(&adv, 0, AD_TYPE_PB_ADV, big, 30), -EMSGSIZE);
	ck_assert_int_eq(adv_send(&adv, 0, AD_TYPE_PB_ADV, big, 31), -EMSGSIZE);
	ck_assert_uint_eq(nsent, 0);
	ck_assert(!adv_busy(&adv));

	/* 29 octets fill the 31 octets of advertising data exactly */
	ck_assert_int_eq(adv_send(&adv, 0, AD_TYPE_PB_ADV, big, ADV_MAX_PAYLOAD), 0);
	complete(1, HCI_OP_LE_SET_ADV_PARAMS, 0);
	expect_adv_data(1, AD_TYPE_PB_ADV, big, ADV_MAX_PAYLOAD);
	ck_assert_uint_eq(sent[1].params[0], 31);
	ck_assert_uint_eq(sent[1].params[1], 30);

	/* and an empty payload is an AD structure of type only */
	ck_assert_int_eq(adv_send(&adv, 2, AD_TYPE_MESH_BEACON, big, 0), 0);
	complete(3, HCI_OP_LE_SET_ADV_DATA, 0);
	complete(4, HCI_OP_LE_SET_ADV_ENABLE, 0);
	adv_tick(&adv, adv_next_deadline(&adv));
	complete(100, HCI_OP_LE_SET_ADV_ENABLE, 0);
	expect_adv_data(4, AD_TYPE_MESH_BEACON, big, 0);
	ck_assert_uint_eq(sent[4].params[0], 2);
	ck_assert_uint_eq(sent[4].params[1], 1);
}
END_TEST

START_TEST(test_queue_full)
{
	unsigned ok = 0;
	int ret = 0;

	fill_pdus();
	/* the controller never answers: one PDU starting, the rest queued */
	for (unsigned i = 0; i < ADV_TX_QUEUE + 5; i++) {
		ret = adv_send(&adv, 0, AD_TYPE_MESH_MESSAGE, pdu_b, sizeof(pdu_b));
		if (ret < 0)
			break;
		ok++;
	}
	ck_assert_int_eq(ret, -ENOBUFS);
	ck_assert_uint_eq(ok, ADV_TX_QUEUE + 1);
	ck_assert_uint_eq(adv.stats.tx_dropped, 1);
	ck_assert_int_eq(adv_send(&adv, 0, AD_TYPE_MESH_MESSAGE, pdu_b, sizeof(pdu_b)), -ENOBUFS);
	ck_assert_uint_eq(adv.stats.tx_dropped, 2);
	/* nothing more than the first PDU's parameters went to the controller */
	ck_assert_uint_eq(nsent, 1);
}
END_TEST

/* One PDU over frees one place in the queue. */
START_TEST(test_queue_full_frees)
{
	uint64_t t, d;

	fill_pdus();
	for (unsigned i = 0; i < ADV_TX_QUEUE + 1; i++)
		ck_assert_int_eq(adv_send(&adv, 0, AD_TYPE_MESH_MESSAGE, pdu_b, sizeof(pdu_b)), 0);
	ck_assert_int_eq(adv_send(&adv, 0, AD_TYPE_MESH_MESSAGE, pdu_b, sizeof(pdu_b)), -ENOBUFS);
	t = complete_start(1, 0);
	d = adv_next_deadline(&adv);
	ck_assert_uint_ge(d, t + 60);
	adv_tick(&adv, d);
	complete(d + 1, HCI_OP_LE_SET_ADV_ENABLE, 0);
	/* the next one has started: one place is free again */
	ck_assert_int_eq(adv_send(&adv, d + 2, AD_TYPE_MESH_BEACON, pdu25, 20), 0);
	ck_assert_int_eq(adv_send(&adv, d + 2, AD_TYPE_MESH_BEACON, pdu25, 20), -ENOBUFS);
}
END_TEST

START_TEST(test_set_data_fails)
{
	uint64_t t;
	size_t before;
	bool enabled_after = false;

	fill_pdus();
	ck_assert_int_eq(adv_send(&adv, 0, AD_TYPE_PB_ADV, pdu25, sizeof(pdu25)), 0);
	complete(1, HCI_OP_LE_SET_ADV_PARAMS, 0);
	expect_sent(1, HCI_OP_LE_SET_ADV_DATA);
	complete(2, HCI_OP_LE_SET_ADV_DATA, 0x12); /* Invalid HCI Command Parameters */
	/* whatever is still in flight completes */
	for (int guard = 0; guard < 4 && hci_next_deadline(&hci) != NO_DEADLINE; guard++)
		complete(3 + (uint64_t)guard, last_sent()->opcode, 0);
	ck_assert_uint_eq(hci_next_deadline(&hci), NO_DEADLINE);

	ck_assert_uint_eq(nerr, 1);
	ck_assert_uint_eq(errs[0].opcode, HCI_OP_LE_SET_ADV_DATA);
	ck_assert_int_eq(errs[0].status, 0x12);
	/* advertising is left disabled: the last Enable sent is Enable(0) */
	for (size_t i = 2; i < nsent; i++)
		if (sent[i].opcode == HCI_OP_LE_SET_ADV_ENABLE)
			enabled_after = sent[i].params[0] != 0;
	ck_assert(!enabled_after);
	ck_assert_uint_eq(last_sent()->opcode, HCI_OP_LE_SET_ADV_ENABLE);
	ck_assert(!adv_busy(&adv));
	ck_assert_uint_eq(adv_next_deadline(&adv), NO_DEADLINE);
	ck_assert_uint_eq(adv.stats.tx_pdus, 0);

	/* the bearer still works */
	before = nsent;
	ck_assert_int_eq(adv_send(&adv, 10, AD_TYPE_PB_ADV, pdu_b, sizeof(pdu_b)), 0);
	t = complete_start(11, before);
	{
		bool data_seen = false;

		for (size_t i = before; i < nsent; i++)
			if (sent[i].opcode == HCI_OP_LE_SET_ADV_DATA) {
				expect_adv_data(i, AD_TYPE_PB_ADV, pdu_b, sizeof(pdu_b));
				data_seen = true;
			}
		ck_assert(data_seen);
	}
	expect_enable(nsent - 1, 1);
	ck_assert_uint_ge(adv_next_deadline(&adv), t + 60);
	ck_assert_uint_eq(nerr, 1);
}
END_TEST

/* Enable(1) refused as well: one error (the first), and no Enable(0): the
 * advertising that is on (if any) is not ours (on a shared controller it
 * would be the kernel's). */
START_TEST(test_set_data_and_enable_fail)
{
	fill_pdus();
	ck_assert_int_eq(adv_send(&adv, 0, AD_TYPE_PB_ADV, pdu25, sizeof(pdu25)), 0);
	complete(1, HCI_OP_LE_SET_ADV_PARAMS, 0);
	complete(2, HCI_OP_LE_SET_ADV_DATA, 0x12);
	expect_enable(nsent - 1, 1);
	complete(3, HCI_OP_LE_SET_ADV_ENABLE, HCI_ERR_COMMAND_DISALLOWED);
	ck_assert_uint_eq(nerr, 1);
	ck_assert_uint_eq(errs[0].opcode, HCI_OP_LE_SET_ADV_DATA);
	ck_assert_int_eq(errs[0].status, 0x12);
	ck_assert_uint_eq(nsent, 3);
	ck_assert(!adv_busy(&adv));
	ck_assert_uint_eq(nerr, 1);
	ck_assert_uint_eq(adv_next_deadline(&adv), NO_DEADLINE);
	ck_assert_uint_eq(hci_next_deadline(&hci), NO_DEADLINE);
}
END_TEST

/* Refused parameters are sent again with the next PDU. */
START_TEST(test_params_fail)
{
	size_t before;

	fill_pdus();
	ck_assert_int_eq(adv_send(&adv, 0, AD_TYPE_PB_ADV, pdu25, sizeof(pdu25)), 0);
	complete(1, HCI_OP_LE_SET_ADV_PARAMS, 0x12);
	for (int guard = 0; guard < 4 && hci_next_deadline(&hci) != NO_DEADLINE; guard++)
		complete(2 + (uint64_t)guard, last_sent()->opcode, 0);
	ck_assert_uint_eq(nerr, 1);
	ck_assert_uint_eq(errs[0].opcode, HCI_OP_LE_SET_ADV_PARAMS);
	ck_assert_int_eq(errs[0].status, 0x12);
	ck_assert(!adv_busy(&adv));
	expect_enable(nsent - 1, 0);

	before = nsent;
	ck_assert_int_eq(adv_send(&adv, 10, AD_TYPE_PB_ADV, pdu_b, sizeof(pdu_b)), 0);
	expect_adv_params(before, 0x0020);
}
END_TEST

/* The controller stops answering while a PDU starts: the timeout is reported. */
START_TEST(test_start_timeout)
{
	fill_pdus();
	ck_assert_int_eq(adv_send(&adv, 0, AD_TYPE_PB_ADV, pdu25, sizeof(pdu25)), 0);
	hci_tick(&hci, HCI_CMD_TIMEOUT_MS);
	for (int guard = 0; guard < 4 && hci_next_deadline(&hci) != NO_DEADLINE; guard++)
		hci_tick(&hci, hci_next_deadline(&hci));
	ck_assert_uint_eq(nerr, 1);
	ck_assert_uint_eq(errs[0].opcode, HCI_OP_LE_SET_ADV_PARAMS);
	ck_assert_int_eq(errs[0].status, -ETIMEDOUT);
	ck_assert(!adv_busy(&adv));
	ck_assert_uint_eq(adv.stats.tx_pdus, 0);
	/* no Enable(0) for an enable that never succeeded */
	expect_enable(nsent - 1, 1);
}
END_TEST

/*
 * BUG (src/adv.c, start_next): when the HCI command queue has room for some
 * but not all of a PDU's commands, the refused ones are forgotten: `failed`
 * is only acted on when no command was issued (a->pending == 0). The
 * commands that did go out then complete with status 0, and step_done() puts
 * the bearer in ADV_TX_ON, counts the PDU as transmitted and never reports
 * an error, although Set Advertising Data / Enable were never sent.
 * This test asserts the correct behaviour and fails until that is fixed.
 */
START_TEST(test_partial_hci_queue_failure)
{
	unsigned fill = HCI_CMD_QUEUE - 1;
	uint64_t t = 1;

	fill_pdus();
	/* 31 unrelated commands: the first in flight, the others waiting */
	for (unsigned i = 0; i < fill; i++)
		ck_assert_int_eq(hci_send_cmd(&hci, 0, (uint16_t)(0xfc00 + i), NULL, 0, NULL, NULL), 0);
	/* room for Set Advertising Parameters only */
	ck_assert_int_eq(adv_send(&adv, 0, AD_TYPE_PB_ADV, pdu25, sizeof(pdu25)), 0);
	for (unsigned i = 0; i < fill; i++)
		complete(t++, (uint16_t)(0xfc00 + i), 0);
	/* complete whatever the bearer sent, until nothing is in flight */
	for (int guard = 0; guard < 8 && hci_next_deadline(&hci) != NO_DEADLINE; guard++)
		complete(t++, last_sent()->opcode, 0);

	ck_assert_msg(nerr == 1, "the refused commands were not reported (%zu errors)", nerr);
	ck_assert_int_eq(errs[0].status, -ENOSPC);
	ck_assert_msg(adv.stats.tx_pdus == 0, "a PDU whose data was never set counted as sent");
	ck_assert_uint_eq(adv_next_deadline(&adv), NO_DEADLINE);
}
END_TEST

/* ---- extended advertising ---- */

static void rx_terminated(uint64_t now, uint8_t status, uint8_t handle, uint8_t events)
{
	uint8_t pkt[] = { H4_EVT, HCI_EV_LE_META, 6, HCI_LE_ADV_SET_TERMINATED, status, handle,
			  0x00, 0x00, events };

	hci_receive(&hci, now, pkt, sizeof(pkt));
}

static void expect_bytes(size_t i, uint16_t opcode, const uint8_t *want, size_t len)
{
	expect_sent(i, opcode);
	ck_assert_uint_eq(sent[i].plen, len);
	ck_assert_mem_eq(sent[i].params, want, len);
}

/* 7.8.53 LE Set Extended Advertising Parameters for set 2 (the top handle of
 * 3): legacy ADV_NONCONN_IND, 20 ms, all channels, public address, no
 * filter, no TX power preference, LE 1M, SID 0, no scan request events */
static const uint8_t ext_params_h2[25] = {
	0x02, 0x10, 0x00, 0x20, 0x00, 0x00, 0x20, 0x00, 0x00, 0x07, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x7f, 0x01, 0x00, 0x01, 0x00, 0x00,
};
/* 7.8.56 LE Set Extended Advertising Enable: set 2, no duration, 3 events */
static const uint8_t ext_enable_h2[] = { 0x01, 0x01, 0x02, 0x00, 0x00, 0x03 };
static const uint8_t ext_disable_h2[] = { 0x00, 0x01, 0x02, 0x00, 0x00, 0x00 };

START_TEST(test_ext_send_one_pdu)
{
	uint8_t want_data[4 + 2 + sizeof(pdu_b)];
	uint64_t t = 100;
	size_t before;

	fill_pdus();
	adv_use_ext(&adv, true, 3);
	ck_assert_int_eq(adv_send(&adv, t, AD_TYPE_PB_ADV, pdu_b, sizeof(pdu_b)), 0);
	expect_bytes(0, HCI_OP_LE_SET_EXT_ADV_PARAMS, ext_params_h2, sizeof(ext_params_h2));
	complete(++t, HCI_OP_LE_SET_EXT_ADV_PARAMS, 0);
	/* 7.8.54: set 2, complete data, no fragmenting, one AD structure */
	want_data[0] = 0x02;
	want_data[1] = 0x03;
	want_data[2] = 0x01;
	want_data[3] = (uint8_t)(2 + sizeof(pdu_b));
	want_data[4] = (uint8_t)(1 + sizeof(pdu_b));
	want_data[5] = AD_TYPE_PB_ADV;
	memcpy(want_data + 6, pdu_b, sizeof(pdu_b));
	expect_bytes(1, HCI_OP_LE_SET_EXT_ADV_DATA, want_data, sizeof(want_data));
	complete(++t, HCI_OP_LE_SET_EXT_ADV_DATA, 0);
	expect_bytes(2, HCI_OP_LE_SET_EXT_ADV_ENABLE, ext_enable_h2, sizeof(ext_enable_h2));
	complete(++t, HCI_OP_LE_SET_EXT_ADV_ENABLE, 0);
	ck_assert(adv_busy(&adv));
	ck_assert_uint_eq(adv.stats.tx_pdus, 1);
	/* the back-up timer: after the transmissions and their advDelay */
	ck_assert_uint_eq(adv_next_deadline(&adv),
			  t + ADV_DEFAULT_COUNT * (ADV_DEFAULT_INTERVAL_MS + 10) + ADV_TERMINATE_GRACE_MS);

	/* the kernel's set ending is not ours */
	rx_terminated(t + 30, HCI_ERR_LIMIT_REACHED, 0x00, 1);
	ck_assert(adv_busy(&adv));
	/* ours: the controller stopped it, no disable from us */
	rx_terminated(t + 61, HCI_ERR_LIMIT_REACHED, 0x02, 3);
	ck_assert(!adv_busy(&adv));
	ck_assert_uint_eq(nsent, 3);
	ck_assert_uint_eq(adv_next_deadline(&adv), NO_DEADLINE);

	/* the next PDU: the set keeps its parameters */
	before = nsent;
	ck_assert_int_eq(adv_send(&adv, t + 70, AD_TYPE_PB_ADV, pdu25, sizeof(pdu25)), 0);
	expect_sent(before, HCI_OP_LE_SET_EXT_ADV_DATA);
	ck_assert_uint_eq(sent[before].plen, 4 + 2 + sizeof(pdu25));
	complete(t + 71, HCI_OP_LE_SET_EXT_ADV_DATA, 0);
	expect_bytes(before + 1, HCI_OP_LE_SET_EXT_ADV_ENABLE, ext_enable_h2, sizeof(ext_enable_h2));
	ck_assert_uint_eq(nerr, 0);
}
END_TEST

/* A controller that never reports the set's end (BlueZ's emulator ignores
 * Max_Extended_Advertising_Events): the back-up timer disables the set. */
START_TEST(test_ext_no_terminated)
{
	uint64_t d;

	fill_pdus();
	adv_use_ext(&adv, true, 3);
	adv_set_tx(&adv, 20, 5);
	ck_assert_int_eq(adv_send(&adv, 0, AD_TYPE_MESH_MESSAGE, pdu_b, sizeof(pdu_b)), 0);
	complete_ext_start(1);
	ck_assert_uint_eq(last_sent()->params[5], 5); /* Max_Extended_Advertising_Events */
	d = adv_next_deadline(&adv);
	ck_assert_uint_eq(d, 3 + 5 * 30 + ADV_TERMINATE_GRACE_MS);
	adv_tick(&adv, d - 1);
	ck_assert_uint_eq(nsent, 3);
	adv_tick(&adv, d);
	expect_bytes(3, HCI_OP_LE_SET_EXT_ADV_ENABLE, ext_disable_h2, sizeof(ext_disable_h2));
	/* Set Terminated racing the disable changes nothing */
	rx_terminated(d + 1, 0x00, 0x02, 5);
	ck_assert(adv_busy(&adv));
	complete(d + 2, HCI_OP_LE_SET_EXT_ADV_ENABLE, HCI_ERR_COMMAND_DISALLOWED);
	ck_assert(!adv_busy(&adv));
	ck_assert_uint_eq(nerr, 0);
}
END_TEST

/* The set ends before the answer to its enable arrives. */
START_TEST(test_ext_terminated_early)
{
	fill_pdus();
	adv_use_ext(&adv, false, 1);
	adv_set_tx(&adv, 20, 1);
	ck_assert_int_eq(adv_send(&adv, 0, AD_TYPE_MESH_MESSAGE, pdu_b, sizeof(pdu_b)), 0);
	ck_assert_uint_eq(sent[0].params[0], 0x00); /* the only handle of one set */
	complete(1, HCI_OP_LE_SET_EXT_ADV_PARAMS, 0);
	complete(2, HCI_OP_LE_SET_EXT_ADV_DATA, 0);
	rx_terminated(3, HCI_ERR_LIMIT_REACHED, 0x00, 1);
	complete(4, HCI_OP_LE_SET_EXT_ADV_ENABLE, 0);
	ck_assert(!adv_busy(&adv));
	ck_assert_uint_eq(adv_next_deadline(&adv), NO_DEADLINE);
	ck_assert_uint_eq(nsent, 3);
	ck_assert_uint_eq(adv.stats.tx_pdus, 1);
}
END_TEST

/* A set whose parameters were refused (another host holds every set) is not
 * removed at the end: it is not ours. */
START_TEST(test_ext_params_refused)
{
	struct hci_cmd cmds[ADV_CLEANUP_MAX];

	fill_pdus();
	adv_use_ext(&adv, false, 2);
	ck_assert_int_eq(adv_send(&adv, 0, AD_TYPE_PB_ADV, pdu_b, sizeof(pdu_b)), 0);
	ck_assert_uint_eq(sent[0].params[0], 0x01);
	complete(1, HCI_OP_LE_SET_EXT_ADV_PARAMS, HCI_ERR_MEMORY_EXCEEDED);
	complete(2, HCI_OP_LE_SET_EXT_ADV_DATA, HCI_ERR_UNKNOWN_ADV_ID);
	complete(3, HCI_OP_LE_SET_EXT_ADV_ENABLE, HCI_ERR_UNKNOWN_ADV_ID);
	ck_assert_uint_eq(nerr, 1);
	ck_assert_uint_eq(errs[0].opcode, HCI_OP_LE_SET_EXT_ADV_PARAMS);
	ck_assert_int_eq(errs[0].status, HCI_ERR_MEMORY_EXCEEDED);
	ck_assert(!adv_busy(&adv));
	ck_assert_uint_eq(nsent, 3); /* no disable */
	ck_assert_uint_eq(adv_cleanup(&adv, cmds, ADV_CLEANUP_MAX), 0);
}
END_TEST

/* What the bearer leaves behind, and only that: its set and its scanning. */
START_TEST(test_cleanup_release)
{
	static const uint8_t want_scan_on[] = { 0x01, 0x00, 0x00, 0x00, 0x00, 0x00 };
	static const uint8_t want_scan_off[] = { 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 };
	struct hci_cmd cmds[ADV_CLEANUP_MAX];
	static int done_calls;
	size_t before;

	fill_pdus();
	adv_use_ext(&adv, true, 3);
	ck_assert_uint_eq(adv_cleanup(&adv, cmds, ADV_CLEANUP_MAX), 0);
	ck_assert_int_eq(adv_scan(&adv, 0, true, NULL, NULL), 0);
	expect_bytes(0, HCI_OP_LE_SET_EXT_SCAN_ENABLE, want_scan_on, sizeof(want_scan_on));
	/* in flight: it may go through, so it is undone */
	ck_assert_uint_eq(adv_cleanup(&adv, cmds, ADV_CLEANUP_MAX), 1);
	complete(1, HCI_OP_LE_SET_EXT_SCAN_ENABLE, 0);
	ck_assert_int_eq(adv_send(&adv, 2, AD_TYPE_PB_ADV, pdu_b, sizeof(pdu_b)), 0);
	complete_ext_start(3);
	/* on the air: disable, remove, scan off */
	ck_assert_uint_eq(adv_cleanup(&adv, cmds, ADV_CLEANUP_MAX), 3);
	ck_assert_uint_eq(cmds[0].opcode, HCI_OP_LE_SET_EXT_ADV_ENABLE);
	ck_assert_mem_eq(cmds[0].params, ext_disable_h2, sizeof(ext_disable_h2));
	ck_assert_uint_eq(cmds[1].opcode, HCI_OP_LE_REMOVE_ADV_SET);
	ck_assert_uint_eq(cmds[1].plen, 1);
	ck_assert_uint_eq(cmds[1].params[0], 0x02);
	ck_assert_uint_eq(cmds[2].opcode, HCI_OP_LE_SET_EXT_SCAN_ENABLE);
	ck_assert_mem_eq(cmds[2].params, want_scan_off, sizeof(want_scan_off));
	rx_terminated(100, HCI_ERR_LIMIT_REACHED, 0x02, 3);
	ck_assert(!adv_busy(&adv));

	before = nsent;
	done_calls = 0;
	adv_release(&adv, 101, release_cb, &done_calls);
	expect_bytes(before, HCI_OP_LE_REMOVE_ADV_SET, (const uint8_t *)"\x02", 1);
	/* until answered, a last resort would still send them */
	ck_assert_uint_eq(adv_cleanup(&adv, cmds, ADV_CLEANUP_MAX), 2);
	complete(102, HCI_OP_LE_REMOVE_ADV_SET, 0);
	expect_bytes(before + 1, HCI_OP_LE_SET_EXT_SCAN_ENABLE, want_scan_off, sizeof(want_scan_off));
	ck_assert_int_eq(done_calls, 0);
	complete(103, HCI_OP_LE_SET_EXT_SCAN_ENABLE, 0);
	ck_assert_int_eq(done_calls, 1);
	ck_assert_uint_eq(adv_cleanup(&adv, cmds, ADV_CLEANUP_MAX), 0);

	/* nothing to undo: done at once, nothing sent */
	before = nsent;
	adv_release(&adv, 104, release_cb, &done_calls);
	ck_assert_int_eq(done_calls, 2);
	ck_assert_uint_eq(nsent, before);
}
END_TEST

/* Another host's scanning and advertising are left alone. */
START_TEST(test_cleanup_not_ours)
{
	struct hci_cmd cmds[ADV_CLEANUP_MAX];

	fill_pdus();
	ck_assert_int_eq(adv_scan(&adv, 0, true, NULL, NULL), 0);
	complete(1, HCI_OP_LE_SET_SCAN_ENABLE, HCI_ERR_COMMAND_DISALLOWED);
	ck_assert_int_eq(adv_send(&adv, 2, AD_TYPE_PB_ADV, pdu_b, sizeof(pdu_b)), 0);
	complete(3, HCI_OP_LE_SET_ADV_PARAMS, HCI_ERR_COMMAND_DISALLOWED);
	complete(4, HCI_OP_LE_SET_ADV_DATA, 0);
	complete(5, HCI_OP_LE_SET_ADV_ENABLE, HCI_ERR_COMMAND_DISALLOWED);
	ck_assert(!adv_busy(&adv));
	ck_assert_uint_eq(adv_cleanup(&adv, cmds, ADV_CLEANUP_MAX), 0);
	ck_assert_uint_eq(nsent, 4);
}
END_TEST

/* The kernel's commands on a shared controller: it takes over the scanning
 * (ours is then not turned off at the end), or clears our set (it is then
 * made again, and not removed at the end). */
START_TEST(test_foreign_commands)
{
	static const uint8_t kernel_scan_on[6] = { 0x01, 0x01, 0x00, 0x00, 0x00, 0x00 };
	static const uint8_t kernel_disable_all[2] = { 0x00, 0x00 };
	struct hci_cmd cmds[ADV_CLEANUP_MAX];
	size_t before;

	fill_pdus();
	adv_use_ext(&adv, true, 3);
	ck_assert_int_eq(adv_scan(&adv, 0, true, NULL, NULL), 0);
	complete(1, HCI_OP_LE_SET_EXT_SCAN_ENABLE, 0);
	ck_assert_int_eq(adv_send(&adv, 2, AD_TYPE_PB_ADV, pdu_b, sizeof(pdu_b)), 0);
	complete_ext_start(3);
	/* the kernel's own set 0 is none of ours */
	ck_assert(!adv_foreign_cmd(&adv, HCI_OP_LE_REMOVE_ADV_SET, (const uint8_t *)"\x00", 1));
	ck_assert(adv_busy(&adv));
	ck_assert_uint_eq(adv_cleanup(&adv, cmds, ADV_CLEANUP_MAX), 3);
	/* the kernel starts its discovery: the scanning is its own now */
	ck_assert(adv_foreign_cmd(&adv, HCI_OP_LE_SET_EXT_SCAN_ENABLE, kernel_scan_on, 6));
	ck_assert_uint_eq(adv_cleanup(&adv, cmds, ADV_CLEANUP_MAX), 2);
	ck_assert_uint_eq(cmds[1].opcode, HCI_OP_LE_REMOVE_ADV_SET);
	/* the kernel disables every set, then clears them (as at power off) */
	ck_assert(!adv_foreign_cmd(&adv, HCI_OP_LE_SET_EXT_ADV_ENABLE, kernel_disable_all, 2));
	ck_assert(!adv_busy(&adv));
	ck_assert(!adv_foreign_cmd(&adv, HCI_OP_LE_CLEAR_ADV_SETS, NULL, 0));
	ck_assert_uint_eq(adv_cleanup(&adv, cmds, ADV_CLEANUP_MAX), 0);
	/* the next PDU makes the set again */
	before = nsent;
	ck_assert_int_eq(adv_send(&adv, 100, AD_TYPE_PB_ADV, pdu_b, sizeof(pdu_b)), 0);
	expect_sent(before, HCI_OP_LE_SET_EXT_ADV_PARAMS);
}
END_TEST

START_TEST(test_scan)
{
	static int scan_ctx;
	size_t i;

	ck_assert_int_eq(adv_scan(&adv, 0, true, NULL, &scan_ctx), 0);
	ck_assert_uint_eq(nsent, 1);
	expect_sent(0, HCI_OP_LE_SET_SCAN_ENABLE);
	ck_assert_uint_eq(sent[0].plen, 2);
	ck_assert_uint_eq(sent[0].params[0], 0x01);
	ck_assert_uint_eq(sent[0].params[1], 0x00); /* Filter_Duplicates off */
	ck_assert(!adv.scanning); /* not before the controller says so */
	complete(1, HCI_OP_LE_SET_SCAN_ENABLE, 0);
	ck_assert(adv.scanning);

	i = nsent;
	ck_assert_int_eq(adv_scan(&adv, 2, false, NULL, NULL), 0);
	expect_sent(i, HCI_OP_LE_SET_SCAN_ENABLE);
	ck_assert_uint_eq(sent[i].params[0], 0x00);
	ck_assert_uint_eq(sent[i].params[1], 0x00);
	complete(3, HCI_OP_LE_SET_SCAN_ENABLE, 0);
	ck_assert(!adv.scanning);
}
END_TEST

static int scan_status = 1000;
static void scan_cb(void *ctx, uint16_t opcode, int status, const uint8_t *rp, size_t rlen)
{
	(void)rp;
	(void)rlen;
	ck_assert_ptr_eq(ctx, &scan_status);
	ck_assert_uint_eq(opcode, HCI_OP_LE_SET_SCAN_ENABLE);
	scan_status = status;
}

START_TEST(test_scan_callback)
{
	ck_assert_int_eq(adv_scan(&adv, 0, true, scan_cb, &scan_status), 0);
	complete(1, HCI_OP_LE_SET_SCAN_ENABLE, HCI_ERR_COMMAND_DISALLOWED);
	ck_assert_int_eq(scan_status, HCI_ERR_COMMAND_DISALLOWED);
	/* another host's scan: ours never started, so nothing to turn off */
	ck_assert(!adv.scanning);
}
END_TEST

/* ---- receive ---- */

START_TEST(test_input_dispatch)
{
	static const uint8_t d[] = {
		0x02, 0x01, 0x06,                   /* flags: ignored */
		0x04, 0x29, 0xa1, 0xa2, 0xa3,       /* PB-ADV */
		0x03, 0x2a, 0xb1, 0xb2,             /* Mesh Message */
		0x00,                               /* empty */
		0x03, 0x2b, 0xc1, 0xc2,             /* Mesh Beacon */
		0x03, 0xff, 0xa8, 0x01,             /* manufacturer data: ignored */
		0x02, 0x28, 0xd1,                   /* 0x28: ignored */
		0x02, 0x2c, 0xe1,                   /* 0x2c: ignored */
		0x01, 0x29,                         /* PB-ADV, empty */
	};
	struct hci_adv_report r = {
		.evt_type = 0x03, .addr_type = 0x01, .addr = { 1, 2, 3, 4, 5, 6 }, .rssi = -60,
	};
	uint8_t *buf = exact_copy(d, sizeof(d));

	ck_assert_uint_le(sizeof(d), 31);
	r.data = buf;
	r.data_len = sizeof(d);
	adv_input(&adv, &r);
	free(buf);

	ck_assert_uint_eq(nrx, 4);
	ck_assert_uint_eq(rxs[0].type, AD_TYPE_PB_ADV);
	ck_assert_uint_eq(rxs[0].len, 3);
	ck_assert_mem_eq(rxs[0].data, "\xa1\xa2\xa3", 3);
	ck_assert_uint_eq(rxs[1].type, AD_TYPE_MESH_MESSAGE);
	ck_assert_uint_eq(rxs[1].len, 2);
	ck_assert_mem_eq(rxs[1].data, "\xb1\xb2", 2);
	ck_assert_uint_eq(rxs[2].type, AD_TYPE_MESH_BEACON);
	ck_assert_uint_eq(rxs[2].len, 2);
	ck_assert_mem_eq(rxs[2].data, "\xc1\xc2", 2);
	ck_assert_uint_eq(rxs[3].type, AD_TYPE_PB_ADV);
	ck_assert_uint_eq(rxs[3].len, 0);
	for (size_t i = 0; i < nrx; i++)
		ck_assert_ptr_eq(rxs[i].r, &r);
	ck_assert_uint_eq(adv.stats.rx_reports, 1);
	ck_assert_uint_eq(adv.stats.rx_mesh, 4);
}
END_TEST

START_TEST(test_input_no_mesh)
{
	static const uint8_t d[] = { 0x02, 0x01, 0x06, 0x03, 0x03, 0x27, 0x18, 0x05, 0xff, 0x4c, 0x00,
				     0x01, 0x02 };
	struct hci_adv_report r = { .data = d, .data_len = sizeof(d) };

	adv_input(&adv, &r);
	r.data_len = 0;
	adv_input(&adv, &r);
	ck_assert_uint_eq(nrx, 0);
	ck_assert_uint_eq(adv.stats.rx_reports, 2);
	ck_assert_uint_eq(adv.stats.rx_mesh, 0);
}
END_TEST

/* An over-long structure inside a report: what came before it is still delivered. */
START_TEST(test_input_truncated)
{
	static const uint8_t d[] = { 0x03, 0x2b, 0x01, 0x02, 0x10, 0x29, 0x00 };
	struct hci_adv_report r = { .data_len = sizeof(d) };
	uint8_t *buf = exact_copy(d, sizeof(d));

	r.data = buf;
	adv_input(&adv, &r);
	free(buf);
	ck_assert_uint_eq(nrx, 1);
	ck_assert_uint_eq(rxs[0].type, AD_TYPE_MESH_BEACON);
	ck_assert_uint_eq(rxs[0].len, 2);
}
END_TEST

/* From an HCI LE Advertising Report event to ops->rx. */
START_TEST(test_input_via_hci)
{
	static const uint8_t pkt[] = {
		0x04, 0x3e, 0x22, 0x02, 0x01,             /* LE Meta, adv report, 1 report */
		0x03, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, /* ADV_NONCONN_IND, public */
		0x16,                                     /* 22 octets of data */
		0x15, 0x2b, 0x00, 0xa8, 0x01, 0x71, 0x5a, 0x02, 0x00, 0x00, 0xa8, 0x1c, 0xc1, 0x07,
		0xda, 0x78, 0x02, 0x10, 0x00, 0x00, 0x00, 0x00,
		0xc4,                                     /* RSSI -60 */
	};

	ck_assert_uint_eq(sizeof(pkt), 3u + pkt[2]);
	wire_reports = true;
	hci_receive(&hci, 0, pkt, sizeof(pkt));
	ck_assert_uint_eq(hci.stats.malformed, 0);
	ck_assert_uint_eq(nrx, 1);
	ck_assert_uint_eq(rxs[0].type, AD_TYPE_MESH_BEACON);
	ck_assert_uint_eq(rxs[0].len, 20);
	ck_assert_mem_eq(rxs[0].data, pkt + 16, 20);
}
END_TEST

/* ---- several sets, fed by the scheduler ---- */

static unsigned ndone;
static uint32_t done_cookies[16];

static void src_done(void *ctx, uint32_t cookie)
{
	(void)ctx;
	ck_assert_uint_lt(ndone, ARRAY_SIZE(done_cookies));
	done_cookies[ndone++] = cookie;
}

static const struct txsched_src_ops src_ops = { .tx_done = src_done };

/* Answer every command in flight, and those that follow, with success. */
static void complete_all(uint64_t now, size_t *answered)
{
	while (*answered < nsent) {
		complete(now, sent[*answered].opcode, 0);
		(*answered)++;
	}
}

/* The payload carried by the Set Extended Advertising Data command i. */
static void expect_ext_data(size_t i, uint8_t handle, uint8_t tag)
{
	expect_sent(i, HCI_OP_LE_SET_EXT_ADV_DATA);
	ck_assert_uint_eq(sent[i].params[0], handle);
	ck_assert_uint_eq(sent[i].params[6], tag);
}

/* Every idle set is filled at once (one PDU per set); a set that ends takes
 * the next PDU in round robin order (another link's, not the busy link's
 * third segment), and its PDU's tx-done comes with Set Terminated, not
 * before. */
START_TEST(test_ext_sets_round_robin)
{
	int a, b;
	size_t answered = 0, before;
	uint8_t p[2];

	ndone = 0;
	adv_use_ext(&adv, true, 2);
	ck_assert_uint_eq(adv.nsets, 2);
	a = txsched_open(&adv.sched, 4, 1, &src_ops, NULL);
	b = txsched_open(&adv.sched, 4, 1, &src_ops, NULL);
	for (uint8_t n = 0; n < 3; n++) {
		p[0] = (uint8_t)(0xa0 + n);
		ck_assert_int_eq(adv_send_src(&adv, 0, (unsigned)a, AD_TYPE_PB_ADV, p, 2,
					      TXSCHED_NOTIFY, 0xa0 + n), 0);
	}
	p[0] = 0xb0;
	ck_assert_int_eq(adv_send_src(&adv, 0, (unsigned)b, AD_TYPE_PB_ADV, p, 2, TXSCHED_NOTIFY,
				      0xb0), 0);
	complete_all(1, &answered);
	/* both sets: parameters, data, enable each; a0 on handle 1, a1 on 0
	 * (there was nothing else yet); a2 and b0 wait */
	ck_assert_uint_eq(nsent, 6);
	expect_ext_data(1, 0x01, 0xa0);
	expect_ext_data(4, 0x00, 0xa1);
	ck_assert_uint_eq(adv.stats.tx_pdus, 2);
	ck_assert_uint_eq(txsched_queued(&adv.sched), 2);
	ck_assert_uint_eq(ndone, 0);
	ck_assert_uint_eq(adv_backlog_ms(&adv),
			  (4 * ADV_DEFAULT_COUNT * (ADV_DEFAULT_INTERVAL_MS + 5) + 1) / 2);

	before = nsent;
	rx_terminated(100, HCI_ERR_LIMIT_REACHED, 0x01, 3);
	ck_assert_uint_eq(ndone, 1);
	ck_assert_uint_eq(done_cookies[0], 0xa0);
	complete_all(101, &answered);
	/* b's PDU before a's third: round robin, not first come */
	expect_ext_data(before, 0x01, 0xb0);
	rx_terminated(110, HCI_ERR_LIMIT_REACHED, 0x00, 3);
	ck_assert_uint_eq(ndone, 2);
	ck_assert_uint_eq(done_cookies[1], 0xa1);
	complete_all(111, &answered);
	expect_ext_data(before + 2, 0x00, 0xa2);
	rx_terminated(200, HCI_ERR_LIMIT_REACHED, 0x00, 3);
	rx_terminated(201, HCI_ERR_LIMIT_REACHED, 0x01, 3);
	ck_assert_uint_eq(ndone, 4);
	ck_assert(!adv_busy(&adv));
	ck_assert_uint_eq(adv_backlog_ms(&adv), 0);
	ck_assert_uint_eq(adv.stats.tx_dropped, 0);
	ck_assert_uint_eq(nerr, 0);
}
END_TEST

/* Queue on source src a PDU of len octets whose first octet is tag. */
static void send_tagged(unsigned src, uint8_t tag, size_t len, unsigned flags)
{
	uint8_t p[ADV_MAX_PAYLOAD];

	memset(p, tag, sizeof(p));
	ck_assert_int_eq(adv_send_src(&adv, 0, src, AD_TYPE_PB_ADV, p, len,
				      flags | TXSCHED_NOTIFY, tag), 0);
}

/* With packing on, a Transaction ACK (6 octets) that waits beside another
 * link's 21-octet segment goes out in the same advertisement, each its own
 * AD structure (8 + 23 = 31 octets), and both get their tx-done when the set
 * ends; a PDU that does not fit in what is left (22 octets, though its
 * source's turn came first) waits for the next one. Off
 * (the default), each PDU is its own advertisement, and the chance is
 * counted. */
static void run_pack(bool pack)
{
	size_t answered = 0, before;
	uint8_t want[4 + 31];
	int a, b;

	ndone = 0;
	adv_use_ext(&adv, true, 1);
	if (pack)
		adv_set_pack(&adv, true);
	a = txsched_open(&adv.sched, 4, 1, &src_ops, NULL);
	b = txsched_open(&adv.sched, 4, 1, &src_ops, NULL);
	send_tagged((unsigned)a, 0xa0, 29, 0); /* takes the set */
	send_tagged((unsigned)a, 0xa1, 21, 0);
	send_tagged((unsigned)b, 0xb0, 6, TXSCHED_PRIO);
	send_tagged((unsigned)b, 0xb1, 22, 0); /* b's turn, but too long */
	complete_all(1, &answered);
	ck_assert_uint_eq(adv.stats.tx_could_pack, 0); /* nothing else was queued */
	before = nsent;
	rx_terminated(100, HCI_ERR_LIMIT_REACHED, 0x00, 3);
	ck_assert_uint_eq(ndone, 1);
	complete_all(101, &answered);
	expect_sent(before, HCI_OP_LE_SET_EXT_ADV_DATA);
	ck_assert_uint_eq(adv.stats.tx_could_pack, 1);
	want[0] = 0x00;
	want[1] = 0x03;
	want[2] = 0x01;
	want[4] = 7; /* the ACK first: the priority PDU */
	want[5] = AD_TYPE_PB_ADV;
	memset(want + 6, 0xb0, 6);
	if (!pack) {
		want[3] = 8;
		expect_bytes(before, HCI_OP_LE_SET_EXT_ADV_DATA, want, 4 + 8);
		ck_assert_uint_eq(adv.stats.tx_packed, 0);
		return;
	}
	want[3] = 31;
	want[12] = 22;
	want[13] = AD_TYPE_PB_ADV;
	memset(want + 14, 0xa1, 21);
	expect_bytes(before, HCI_OP_LE_SET_EXT_ADV_DATA, want, 4 + 31);
	ck_assert_uint_eq(adv.stats.tx_packed, 1);
	ck_assert_uint_eq(txsched_queued(&adv.sched), 1);
	/* both are done when the set is */
	rx_terminated(200, HCI_ERR_LIMIT_REACHED, 0x00, 3);
	ck_assert_uint_eq(ndone, 3);
	ck_assert_uint_eq(done_cookies[1], 0xb0);
	ck_assert_uint_eq(done_cookies[2], 0xa1);
	complete_all(201, &answered);
	rx_terminated(300, HCI_ERR_LIMIT_REACHED, 0x00, 3);
	ck_assert_uint_eq(ndone, 4);
	ck_assert_uint_eq(done_cookies[3], 0xb1);
	ck_assert_uint_eq(adv.stats.tx_pdus, 3);
	ck_assert_uint_eq(adv.stats.tx_packed, 1);
	ck_assert(!adv_busy(&adv));
	ck_assert_uint_eq(nerr, 0);
}

START_TEST(test_ext_pack)
{
	run_pack(true);
}
END_TEST

START_TEST(test_ext_pack_off)
{
	run_pack(false);
}
END_TEST

/* The legacy path packs the same way, and the receive path hands both AD
 * structures of such an advertisement on, in order. */
START_TEST(test_legacy_pack)
{
	uint8_t want[32];
	uint8_t rep[64];
	size_t before;
	uint64_t t;
	int a;

	ndone = 0;
	adv_set_pack(&adv, true);
	a = txsched_open(&adv.sched, 4, 1, &src_ops, NULL);
	send_tagged((unsigned)a, 0xa0, 29, 0);
	send_tagged((unsigned)a, 0xa1, 10, 0);
	send_tagged((unsigned)a, 0xa2, 15, 0);
	t = complete_start(1, 0);
	before = nsent;
	adv_tick(&adv, adv_next_deadline(&adv));
	complete(++t, HCI_OP_LE_SET_ADV_ENABLE, 0); /* the disable */
	ck_assert_uint_eq(ndone, 1);
	memset(want, 0, sizeof(want));
	want[0] = 12 + 17;
	want[1] = 11;
	want[2] = AD_TYPE_PB_ADV;
	memset(want + 3, 0xa1, 10);
	want[13] = 16;
	want[14] = AD_TYPE_PB_ADV;
	memset(want + 15, 0xa2, 15);
	expect_sent(before, HCI_OP_LE_SET_ADV_ENABLE); /* the disable */
	expect_sent(before + 1, HCI_OP_LE_SET_ADV_DATA);
	ck_assert_mem_eq(sent[before + 1].params, want, 32);
	ck_assert_uint_eq(adv.stats.tx_packed, 1);

	/* heard: an LE Advertising Report with that data */
	wire_reports = true;
	rep[0] = H4_EVT;
	rep[1] = HCI_EV_LE_META;
	rep[3] = HCI_LE_ADV_REPORT;
	rep[4] = 1;    /* Num_Reports */
	rep[5] = 0x03; /* ADV_NONCONN_IND */
	rep[6] = 0x00;
	memset(rep + 7, 0x11, 6);
	rep[13] = want[0];
	memcpy(rep + 14, want + 1, want[0]);
	rep[14 + want[0]] = 0xc0; /* RSSI */
	rep[2] = (uint8_t)(12 + want[0]);
	hci_receive(&hci, t, rep, 3u + rep[2]);
	ck_assert_uint_eq(nrx, 2);
	ck_assert_uint_eq(rxs[0].len, 10);
	ck_assert_uint_eq(rxs[0].data[0], 0xa1);
	ck_assert_uint_eq(rxs[1].len, 15);
	ck_assert_uint_eq(rxs[1].data[0], 0xa2);
}
END_TEST

/* At most ADV_MAX_SETS of a controller's sets are used, from the top. */
START_TEST(test_ext_sets_capped)
{
	struct hci_cmd cmds[ADV_CLEANUP_MAX];
	size_t answered = 0;

	fill_pdus();
	adv_use_ext(&adv, true, 16);
	ck_assert_uint_eq(adv.nsets, ADV_MAX_SETS);
	ck_assert_uint_eq(adv.sets[0].handle, 15);
	ck_assert_uint_eq(adv.sets[ADV_MAX_SETS - 1].handle, 16 - ADV_MAX_SETS);
	for (unsigned i = 0; i < ADV_MAX_SETS + 2; i++)
		ck_assert_int_eq(adv_send(&adv, 0, AD_TYPE_MESH_MESSAGE, pdu_b, sizeof(pdu_b)), 0);
	complete_all(1, &answered);
	ck_assert_uint_eq(adv.stats.tx_pdus, ADV_MAX_SETS);
	/* everything is undone: a disable and a removal per set, no scan */
	ck_assert_uint_eq(adv_cleanup(&adv, cmds, ADV_CLEANUP_MAX), 2 * ADV_MAX_SETS);
	adv_use_ext(&adv, false, 0);
	ck_assert_uint_eq(adv.nsets, 1);
}
END_TEST

/* On a raw socket shared with the kernel the bearer keeps to the top half of
 * the handles: of 4 sets it uses handles 3 and 2, has at most two PDUs on the
 * air, and its cleanup touches nothing else. */
START_TEST(test_ext_sets_limited)
{
	struct hci_cmd cmds[ADV_CLEANUP_MAX];
	size_t answered = 0;
	unsigned n;

	fill_pdus();
	adv_use_ext(&adv, true, 4);
	adv_limit_sets(&adv, 4 / 2);
	ck_assert_uint_eq(adv.nsets, 2);
	ck_assert_uint_eq(adv.sets[0].handle, 3);
	ck_assert_uint_eq(adv.sets[1].handle, 2);
	for (unsigned i = 0; i < 4; i++)
		ck_assert_int_eq(adv_send(&adv, 0, AD_TYPE_MESH_MESSAGE, pdu_b, sizeof(pdu_b)), 0);
	complete_all(1, &answered);
	ck_assert_uint_eq(adv.stats.tx_pdus, 2);
	n = adv_cleanup(&adv, cmds, ADV_CLEANUP_MAX);
	ck_assert_uint_eq(n, 4);
	for (unsigned i = 0; i < n; i++)
		if (cmds[i].opcode == HCI_OP_LE_REMOVE_ADV_SET)
			ck_assert_uint_ge(cmds[i].params[0], 2);
	/* a limit of 0 still leaves one set */
	adv_use_ext(&adv, true, 1);
	adv_limit_sets(&adv, 1 / 2);
	ck_assert_uint_eq(adv.nsets, 1);
	ck_assert_uint_eq(adv.sets[0].handle, 0);
}
END_TEST

/* The radio continues on hciN:mesh mid-run: the taker gets the scheduler
 * (the sources and what they queued) and the PDUs on the air, whose tx-done
 * it raises; what adv_released() forgets afterwards is no longer the
 * taker's. */
START_TEST(test_hand_over)
{
	static struct txsched to;
	struct txsched_item inflight[ADV_MAX_INFLIGHT], next;
	size_t answered = 0;
	uint8_t p[2] = { 0, 0 };
	unsigned n;
	int a;

	ndone = 0;
	adv_use_ext(&adv, true, 2);
	a = txsched_open(&adv.sched, 4, 1, &src_ops, NULL);
	for (uint8_t k = 0; k < 3; k++) {
		p[0] = (uint8_t)(0xa0 + k);
		ck_assert_int_eq(adv_send_src(&adv, 0, (unsigned)a, AD_TYPE_PB_ADV, p, 2,
					      TXSCHED_NOTIFY, 0xa0 + k), 0);
	}
	complete_all(1, &answered);
	ck_assert_uint_eq(adv.stats.tx_pdus, 2);

	n = adv_hand_over(&adv, &to, inflight, ADV_MAX_INFLIGHT);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(inflight[0].cookie + inflight[1].cookie, 0xa0 + 0xa1);
	adv_released(&adv);
	ck_assert_uint_eq(txsched_queued(&adv.sched), 0);
	ck_assert_uint_eq(txsched_src_queued(&to, (unsigned)a), 1);
	txsched_done(&to, &inflight[0]);
	txsched_done(&to, &inflight[1]);
	ck_assert_uint_eq(ndone, 2);
	ck_assert(txsched_pop(&to, &next));
	ck_assert_uint_eq(next.cookie, 0xa2);
	ck_assert_uint_eq(next.data[0], 0xa2);
	/* the source is still open on the taker's scheduler */
	ck_assert_int_eq(txsched_push(&to, (unsigned)a, AD_TYPE_PB_ADV, p, 2, 0, 0), 0);
	/* nothing is handed over twice */
	ck_assert_uint_eq(adv_hand_over(&adv, &to, inflight, ADV_MAX_INFLIGHT), 0);

	/* with packing, a PDU packed beside another goes over too */
	adv_released(&adv);
	ndone = 0;
	adv_use_ext(&adv, true, 1);
	adv_set_pack(&adv, true);
	send_tagged((unsigned)a, 0xc0, 10, TXSCHED_NOTIFY);
	send_tagged((unsigned)a, 0xc1, 10, TXSCHED_NOTIFY);
	send_tagged((unsigned)a, 0xc2, 10, TXSCHED_NOTIFY);
	complete_all(2, &answered);
	rx_terminated(100, HCI_ERR_LIMIT_REACHED, adv.sets[0].handle, 3);
	ck_assert_uint_eq(ndone, 1);
	complete_all(101, &answered);
	ck_assert(adv.sets[0].has_cur2); /* c1 and c2 in one advertisement */
	n = adv_hand_over(&adv, &to, inflight, ADV_MAX_INFLIGHT);
	ck_assert_uint_eq(n, 2);
	for (unsigned i = 0; i < n; i++)
		txsched_done(&to, &inflight[i]);
	ck_assert_uint_eq(ndone, 3);
	ck_assert_uint_eq(done_cookies[1] + done_cookies[2], 0xc1 + 0xc2);
}
END_TEST

static Suite *adv_suite(void)
{
	Suite *s = suite_create("adv");
	TCase *ta = tcase_create("ad_iter");
	TCase *tt = tcase_create("transmit");
	TCase *tr = tcase_create("receive");

	tcase_add_test(ta, test_ad_well_formed);
	tcase_add_test(ta, test_ad_zero_length_skipped);
	tcase_add_test(ta, test_ad_length_past_end);
	tcase_add_test(ta, test_ad_empty);
	suite_add_tcase(s, ta);

	tcase_add_checked_fixture(tt, setup, teardown);
	tcase_add_test(tt, test_send_one_pdu);
	tcase_add_test(tt, test_send_with_credits);
	tcase_add_test(tt, test_queued_pdu);
	tcase_add_test(tt, test_set_tx_interval);
	tcase_add_test(tt, test_payload_sizes);
	tcase_add_test(tt, test_queue_full);
	tcase_add_test(tt, test_queue_full_frees);
	tcase_add_test(tt, test_set_data_fails);
	tcase_add_test(tt, test_set_data_and_enable_fail);
	tcase_add_test(tt, test_params_fail);
	tcase_add_test(tt, test_start_timeout);
	tcase_add_test(tt, test_partial_hci_queue_failure);
	tcase_add_test(tt, test_ext_send_one_pdu);
	tcase_add_test(tt, test_ext_no_terminated);
	tcase_add_test(tt, test_ext_terminated_early);
	tcase_add_test(tt, test_ext_params_refused);
	tcase_add_test(tt, test_ext_sets_round_robin);
	tcase_add_test(tt, test_hand_over);
	tcase_add_test(tt, test_ext_pack);
	tcase_add_test(tt, test_ext_pack_off);
	tcase_add_test(tt, test_legacy_pack);
	tcase_add_test(tt, test_ext_sets_capped);
	tcase_add_test(tt, test_ext_sets_limited);
	tcase_add_test(tt, test_cleanup_release);
	tcase_add_test(tt, test_cleanup_not_ours);
	tcase_add_test(tt, test_foreign_commands);
	tcase_add_test(tt, test_scan);
	tcase_add_test(tt, test_scan_callback);
	suite_add_tcase(s, tt);

	tcase_add_checked_fixture(tr, setup, teardown);
	tcase_add_test(tr, test_input_dispatch);
	tcase_add_test(tr, test_input_no_mesh);
	tcase_add_test(tr, test_input_truncated);
	tcase_add_test(tr, test_input_via_hci);
	suite_add_tcase(s, tr);
	return s;
}

CHECK_MAIN(adv_suite)
