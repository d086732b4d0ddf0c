/* HCI core: command queue and credits, completions, timeouts, advertising
 * reports, controller set-up. Driven with byte arrays and a fake clock. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "h4.h"
#include "hci.h"
#include "util.h"

/* ---- fakes ---- */

#define MAX_SENT 64
#define MAX_CB 64
#define MAX_REPORTS 16

struct sent_pkt {
	size_t len;
	uint8_t b[4 + 255];
};

struct cb_rec {
	void *ctx;
	uint16_t opcode;
	int status;
	bool rp_null;
	size_t rlen;
	uint8_t rp[255];
};

struct report_rec {
	struct hci_adv_report r; /* data points into data[] below */
	uint8_t data[255];
};

static struct hci hci;
static struct sent_pkt sent[MAX_SENT];
static size_t nsent;
static struct cb_rec cbs[MAX_CB];
static size_t ncb;
static struct report_rec reports[MAX_REPORTS];
static size_t nreports;
static int hci_ctx_tag;
static int ctx_a, ctx_b, ctx_c;

static void fake_send(void *ctx, const uint8_t *pkt, size_t len)
{
	ck_assert_ptr_eq(ctx, &hci_ctx_tag);
	ck_assert_uint_lt(nsent, MAX_SENT);
	ck_assert_uint_le(len, sizeof(sent[0].b));
	memcpy(sent[nsent].b, pkt, len);
	sent[nsent].len = len;
	nsent++;
}

static void fake_report(void *ctx, const struct hci_adv_report *r)
{
	struct report_rec *rec;

	ck_assert_ptr_eq(ctx, &hci_ctx_tag);
	ck_assert_uint_lt(nreports, MAX_REPORTS);
	rec = &reports[nreports++];
	rec->r = *r;
	ck_assert_uint_le(r->data_len, sizeof(rec->data));
	memcpy(rec->data, r->data, r->data_len);
	rec->r.data = rec->data;
}

static struct {
	unsigned calls;
	uint8_t status, handle, events;
} term;

static void fake_terminated(void *ctx, uint8_t status, uint8_t handle, uint8_t events)
{
	ck_assert_ptr_eq(ctx, &hci_ctx_tag);
	term.calls++;
	term.status = status;
	term.handle = handle;
	term.events = events;
}

static struct {
	unsigned calls;
	uint16_t opcode;
	size_t plen;
	uint8_t p[255];
} foreign;

static void fake_foreign(void *ctx, uint16_t opcode, const uint8_t *p, size_t plen)
{
	ck_assert_ptr_eq(ctx, &hci_ctx_tag);
	foreign.calls++;
	foreign.opcode = opcode;
	foreign.plen = plen;
	memcpy(foreign.p, p, plen);
}

static const struct hci_ops ops = {
	.send = fake_send,
	.adv_report = fake_report,
	.adv_set_terminated = fake_terminated,
	.foreign_cmd = fake_foreign,
};

static void cmd_cb(void *ctx, uint16_t opcode, int status, const uint8_t *rp, size_t rlen)
{
	struct cb_rec *c;

	ck_assert_uint_lt(ncb, MAX_CB);
	c = &cbs[ncb++];
	c->ctx = ctx;
	c->opcode = opcode;
	c->status = status;
	c->rp_null = rp == NULL;
	c->rlen = rlen;
	ck_assert_uint_le(rlen, sizeof(c->rp));
	if (rlen)
		memcpy(c->rp, rp, rlen);
}

static void setup(void)
{
	hci_init(&hci, &ops, &hci_ctx_tag);
	nsent = 0;
	ncb = 0;
	nreports = 0;
	memset(sent, 0, sizeof(sent));
	memset(cbs, 0, sizeof(cbs));
	memset(reports, 0, sizeof(reports));
	memset(&term, 0, sizeof(term));
	memset(&foreign, 0, sizeof(foreign));
}

static void teardown(void)
{
}

/* ---- event builders ---- */

static void rx_event(uint64_t now, uint8_t code, const uint8_t *params, size_t plen)
{
	uint8_t pkt[3 + 255];

	ck_assert_uint_le(plen, 255);
	pkt[0] = H4_EVT;
	pkt[1] = code;
	pkt[2] = (uint8_t)plen;
	if (plen)
		memcpy(pkt + 3, params, plen);
	hci_receive(&hci, now, pkt, 3 + plen);
}

/* Command Complete: ncmd, opcode, then return parameters (status first). */
static void rx_cc(uint64_t now, uint8_t ncmd, uint16_t opcode, const uint8_t *ret, size_t rlen)
{
	uint8_t p[255];

	p[0] = ncmd;
	put_le16(p + 1, opcode);
	if (rlen)
		memcpy(p + 3, ret, rlen);
	rx_event(now, HCI_EV_CMD_COMPLETE, p, 3 + rlen);
}

static void rx_cc_status(uint64_t now, uint8_t ncmd, uint16_t opcode, uint8_t status)
{
	rx_cc(now, ncmd, opcode, &status, 1);
}

static void rx_cs(uint64_t now, uint8_t status, uint8_t ncmd, uint16_t opcode)
{
	uint8_t p[4] = { status, ncmd, (uint8_t)opcode, (uint8_t)(opcode >> 8) };

	rx_event(now, HCI_EV_CMD_STATUS, p, sizeof(p));
}

static void assert_sent(size_t i, const uint8_t *want, size_t len)
{
	ck_assert_msg(nsent > i, "packet %zu not sent (%zu sent)", i, nsent);
	ck_assert_uint_eq(sent[i].len, len);
	ck_assert_mem_eq(sent[i].b, want, len);
}

static uint16_t sent_opcode(size_t i)
{
	ck_assert_uint_gt(nsent, i);
	ck_assert_uint_ge(sent[i].len, 4);
	ck_assert_uint_eq(sent[i].b[0], H4_CMD);
	ck_assert_uint_eq(sent[i].b[3], sent[i].len - 4);
	return get_le16(sent[i].b + 1);
}

/* Opcodes used as plain test commands. */
#define OP_A HCI_OP_READ_BD_ADDR
#define OP_B HCI_OP_LE_SET_RANDOM_ADDR
#define OP_C HCI_OP_LE_SET_SCAN_ENABLE

/* ---- commands ---- */

START_TEST(test_opcode_values)
{
	ck_assert_uint_eq(HCI_OP_RESET, 0x0c03);
	ck_assert_uint_eq(HCI_OP_SET_EVENT_MASK, 0x0c01);
	ck_assert_uint_eq(HCI_OP_READ_LOCAL_VERSION, 0x1001);
	ck_assert_uint_eq(HCI_OP_READ_BD_ADDR, 0x1009);
	ck_assert_uint_eq(HCI_OP_LE_SET_EVENT_MASK, 0x2001);
	ck_assert_uint_eq(HCI_OP_LE_SET_RANDOM_ADDR, 0x2005);
	ck_assert_uint_eq(HCI_OP_LE_SET_ADV_PARAMS, 0x2006);
	ck_assert_uint_eq(HCI_OP_LE_SET_ADV_DATA, 0x2008);
	ck_assert_uint_eq(HCI_OP_LE_SET_ADV_ENABLE, 0x200a);
	ck_assert_uint_eq(HCI_OP_LE_SET_SCAN_PARAMS, 0x200b);
	ck_assert_uint_eq(HCI_OP_LE_SET_SCAN_ENABLE, 0x200c);
	ck_assert_uint_eq(HCI_OP_READ_LOCAL_COMMANDS, 0x1002);
	ck_assert_uint_eq(HCI_OP_LE_SET_EXT_ADV_PARAMS, 0x2036);
	ck_assert_uint_eq(HCI_OP_LE_SET_EXT_ADV_DATA, 0x2037);
	ck_assert_uint_eq(HCI_OP_LE_SET_EXT_ADV_ENABLE, 0x2039);
	ck_assert_uint_eq(HCI_OP_LE_READ_NUM_ADV_SETS, 0x203b);
	ck_assert_uint_eq(HCI_OP_LE_REMOVE_ADV_SET, 0x203c);
	ck_assert_uint_eq(HCI_OP_LE_SET_EXT_SCAN_PARAMS, 0x2041);
	ck_assert_uint_eq(HCI_OP_LE_SET_EXT_SCAN_ENABLE, 0x2042);
	ck_assert_str_eq(hci_opcode_name(HCI_OP_RESET), "HCI_Reset");
	ck_assert_str_eq(hci_opcode_name(HCI_OP_LE_SET_ADV_DATA), "HCI_LE_Set_Advertising_Data");
	ck_assert_ptr_nonnull(hci_opcode_name(0xfc01));
}
END_TEST

START_TEST(test_send_cmd_bytes)
{
	static const uint8_t params[] = { 0x00, 0x30, 0x00, 0x30, 0x00, 0x00, 0x00 };
	static const uint8_t want[] = { 0x01, 0x0b, 0x20, 0x07, 0x00, 0x30, 0x00, 0x30, 0x00, 0x00, 0x00 };
	static const uint8_t want_reset[] = { 0x01, 0x03, 0x0c, 0x00 };
	uint8_t big[255];
	uint8_t want_big[4 + 255];

	ck_assert_uint_eq(hci_next_deadline(&hci), NO_DEADLINE);
	ck_assert_int_eq(hci_send_cmd(&hci, 100, HCI_OP_LE_SET_SCAN_PARAMS, params, sizeof(params),
				      cmd_cb, &ctx_a), 0);
	ck_assert_uint_eq(nsent, 1);
	assert_sent(0, want, sizeof(want));
	rx_cc_status(110, 1, HCI_OP_LE_SET_SCAN_PARAMS, 0);
	ck_assert_uint_eq(ncb, 1);

	ck_assert_int_eq(hci_send_cmd(&hci, 120, HCI_OP_RESET, NULL, 0, NULL, NULL), 0);
	ck_assert_uint_eq(nsent, 2);
	assert_sent(1, want_reset, sizeof(want_reset));
	rx_cc_status(130, 1, HCI_OP_RESET, 0);
	ck_assert_uint_eq(ncb, 1); /* fn NULL: nothing called */

	/* the largest parameter block */
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i + 1);
	want_big[0] = 0x01;
	want_big[1] = 0x20;
	want_big[2] = 0xfc;
	want_big[3] = 0xff;
	memcpy(want_big + 4, big, sizeof(big));
	ck_assert_int_eq(hci_send_cmd(&hci, 140, 0xfc20, big, 255, cmd_cb, &ctx_a), 0);
	assert_sent(2, want_big, sizeof(want_big));
}
END_TEST

START_TEST(test_credits_serialize)
{
	static const uint8_t ret_a[] = { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66 };

	ck_assert_int_eq(hci_send_cmd(&hci, 1000, OP_A, NULL, 0, cmd_cb, &ctx_a), 0);
	ck_assert_int_eq(hci_send_cmd(&hci, 1001, OP_B, "\x01\x02\x03\x04\x05\x06", 6, cmd_cb, &ctx_b), 0);
	ck_assert_uint_eq(nsent, 1);
	ck_assert_uint_eq(sent_opcode(0), OP_A);
	ck_assert_uint_eq(hci_next_deadline(&hci), 1000 + HCI_CMD_TIMEOUT_MS);

	/* an unrelated event gives nothing */
	rx_event(1002, 0x13, (const uint8_t *)"\x00", 1);
	ck_assert_uint_eq(nsent, 1);

	rx_cc(1005, 1, OP_A, ret_a, sizeof(ret_a));
	ck_assert_uint_eq(ncb, 1);
	ck_assert_ptr_eq(cbs[0].ctx, &ctx_a);
	ck_assert_uint_eq(cbs[0].opcode, OP_A);
	ck_assert_int_eq(cbs[0].status, 0);
	ck_assert_uint_eq(cbs[0].rlen, sizeof(ret_a));
	ck_assert_mem_eq(cbs[0].rp, ret_a, sizeof(ret_a));
	ck_assert_uint_eq(nsent, 2);
	ck_assert_uint_eq(sent_opcode(1), OP_B);
	ck_assert_uint_eq(hci_next_deadline(&hci), 1005 + HCI_CMD_TIMEOUT_MS);

	rx_cc_status(1010, 1, OP_B, 0);
	ck_assert_uint_eq(ncb, 2);
	ck_assert_uint_eq(cbs[1].opcode, OP_B);
	ck_assert_ptr_eq(cbs[1].ctx, &ctx_b);
	ck_assert_uint_eq(nsent, 2);
	ck_assert_uint_eq(hci_next_deadline(&hci), NO_DEADLINE);
}
END_TEST

START_TEST(test_ncmd_zero_blocks)
{
	ck_assert_int_eq(hci_send_cmd(&hci, 0, OP_A, NULL, 0, cmd_cb, &ctx_a), 0);
	ck_assert_uint_eq(nsent, 1);
	rx_cc_status(10, 0, OP_A, 0); /* completes, but the controller takes no more */
	ck_assert_uint_eq(ncb, 1);

	ck_assert_int_eq(hci_send_cmd(&hci, 20, OP_B, NULL, 0, cmd_cb, &ctx_b), 0);
	ck_assert_int_eq(hci_send_cmd(&hci, 21, OP_C, "\x01\x00", 2, cmd_cb, &ctx_c), 0);
	ck_assert_uint_eq(nsent, 1);
	/* nothing in flight: the waiting commands keep their own deadline, so a
	 * controller that never grants credits again cannot hang us */
	ck_assert_uint_eq(hci_next_deadline(&hci), 20 + HCI_CMD_TIMEOUT_MS);

	/* other events do not hand out credits */
	rx_event(30, 0x13, (const uint8_t *)"\x00", 1);
	ck_assert_uint_eq(nsent, 1);

	/* NOP: opcode 0x0000, ncmd 1 */
	rx_cc(40, 1, 0x0000, NULL, 0);
	ck_assert_uint_eq(nsent, 2);
	ck_assert_uint_eq(sent_opcode(1), OP_B);
	ck_assert_uint_eq(ncb, 1); /* no callback for the NOP */
	ck_assert_uint_eq(hci.stats.unmatched, 0);
	ck_assert_uint_eq(hci_next_deadline(&hci), 40 + HCI_CMD_TIMEOUT_MS);

	/* a Command Status with ncmd 0 for B keeps C waiting */
	rx_cs(50, 0x00, 0, OP_B);
	ck_assert_uint_eq(ncb, 2);
	ck_assert_uint_eq(cbs[1].opcode, OP_B);
	ck_assert_uint_eq(nsent, 2);
	rx_cs(60, 0x00, 1, 0x0000);
	ck_assert_uint_eq(nsent, 3);
	ck_assert_uint_eq(sent_opcode(2), OP_C);
	ck_assert_uint_eq(hci.stats.unmatched, 0);
}
END_TEST

/* ncmd 0 takes away credits the controller handed out before. */
START_TEST(test_ncmd_zero_revokes)
{
	rx_cc(0, 3, 0x0000, NULL, 0);
	ck_assert_int_eq(hci_send_cmd(&hci, 1, OP_A, NULL, 0, cmd_cb, &ctx_a), 0);
	ck_assert_uint_eq(nsent, 1);
	rx_cc_status(2, 0, OP_A, 0);
	ck_assert_uint_eq(ncb, 1);
	ck_assert_int_eq(hci_send_cmd(&hci, 3, OP_B, NULL, 0, cmd_cb, &ctx_b), 0);
	ck_assert_uint_eq(nsent, 1);
	rx_cs(4, 0x00, 2, 0x0000);
	ck_assert_uint_eq(nsent, 2);
	ck_assert_uint_eq(sent_opcode(1), OP_B);
}
END_TEST

/* With several credits, completions find their command by opcode, in any order. */
START_TEST(test_match_by_opcode)
{
	static const uint8_t ret_b[] = { 0x00, 0xde, 0xad };

	rx_cc(0, 3, 0x0000, NULL, 0);
	ck_assert_int_eq(hci_send_cmd(&hci, 1, OP_A, NULL, 0, cmd_cb, &ctx_a), 0);
	ck_assert_int_eq(hci_send_cmd(&hci, 2, OP_B, NULL, 0, cmd_cb, &ctx_b), 0);
	ck_assert_int_eq(hci_send_cmd(&hci, 3, OP_C, NULL, 0, cmd_cb, &ctx_c), 0);
	ck_assert_uint_eq(nsent, 3);
	ck_assert_uint_eq(sent_opcode(0), OP_A);
	ck_assert_uint_eq(sent_opcode(1), OP_B);
	ck_assert_uint_eq(sent_opcode(2), OP_C);
	ck_assert_uint_eq(hci_next_deadline(&hci), 1 + HCI_CMD_TIMEOUT_MS);

	rx_cc(10, 1, OP_B, ret_b, sizeof(ret_b));
	ck_assert_uint_eq(ncb, 1);
	ck_assert_ptr_eq(cbs[0].ctx, &ctx_b);
	ck_assert_uint_eq(cbs[0].opcode, OP_B);
	ck_assert_int_eq(cbs[0].status, 0);
	ck_assert_uint_eq(cbs[0].rlen, 3);
	ck_assert_mem_eq(cbs[0].rp, ret_b, 3);

	rx_cs(11, HCI_ERR_COMMAND_DISALLOWED, 1, OP_C);
	ck_assert_uint_eq(ncb, 2);
	ck_assert_ptr_eq(cbs[1].ctx, &ctx_c);
	ck_assert_uint_eq(cbs[1].opcode, OP_C);
	ck_assert_int_eq(cbs[1].status, HCI_ERR_COMMAND_DISALLOWED);
	ck_assert_uint_eq(cbs[1].rlen, 0);

	rx_cc_status(12, 1, OP_A, 0x12);
	ck_assert_uint_eq(ncb, 3);
	ck_assert_ptr_eq(cbs[2].ctx, &ctx_a);
	ck_assert_uint_eq(cbs[2].opcode, OP_A);
	ck_assert_int_eq(cbs[2].status, 0x12);
	ck_assert_uint_eq(cbs[2].rlen, 1);
	ck_assert_uint_eq(cbs[2].rp[0], 0x12);

	ck_assert_uint_eq(hci.stats.unmatched, 0);
	ck_assert_uint_eq(hci_next_deadline(&hci), NO_DEADLINE);
}
END_TEST

/* Two commands with the same opcode in flight complete in order. */
START_TEST(test_same_opcode_fifo)
{
	rx_cc(0, 2, 0x0000, NULL, 0);
	ck_assert_int_eq(hci_send_cmd(&hci, 1, OP_A, NULL, 0, cmd_cb, &ctx_a), 0);
	ck_assert_int_eq(hci_send_cmd(&hci, 2, OP_A, NULL, 0, cmd_cb, &ctx_b), 0);
	ck_assert_uint_eq(nsent, 2);
	rx_cc_status(3, 1, OP_A, 0);
	rx_cc_status(4, 1, OP_A, 0);
	ck_assert_uint_eq(ncb, 2);
	ck_assert_ptr_eq(cbs[0].ctx, &ctx_a);
	ck_assert_ptr_eq(cbs[1].ctx, &ctx_b);
}
END_TEST

START_TEST(test_unmatched_completion)
{
	ck_assert_int_eq(hci_send_cmd(&hci, 100, OP_A, NULL, 0, cmd_cb, &ctx_a), 0);
	ck_assert_int_eq(hci_send_cmd(&hci, 101, OP_B, NULL, 0, cmd_cb, &ctx_b), 0);
	ck_assert_uint_eq(nsent, 1);

	/* a completion for a command never sent (ncmd 0: no credit either) */
	rx_cc_status(150, 0, OP_C, 0);
	ck_assert_uint_eq(hci.stats.unmatched, 1);
	ck_assert_uint_eq(ncb, 0);
	ck_assert_uint_eq(nsent, 1);
	ck_assert_uint_eq(hci_next_deadline(&hci), 100 + HCI_CMD_TIMEOUT_MS);

	/* and a Command Status for one queued but not yet sent */
	rx_cs(160, 0x00, 0, OP_B);
	ck_assert_uint_eq(hci.stats.unmatched, 2);
	ck_assert_uint_eq(ncb, 0);

	/* the queue still works */
	rx_cc_status(200, 1, OP_A, 0);
	ck_assert_uint_eq(ncb, 1);
	ck_assert_uint_eq(cbs[0].opcode, OP_A);
	ck_assert_uint_eq(nsent, 2);
	ck_assert_uint_eq(sent_opcode(1), OP_B);
	rx_cc_status(210, 1, OP_B, 0);
	ck_assert_uint_eq(ncb, 2);
	ck_assert_uint_eq(cbs[1].opcode, OP_B);
	ck_assert_ptr_eq(cbs[1].ctx, &ctx_b);
	ck_assert_uint_eq(hci.stats.unmatched, 2);
	ck_assert_uint_eq(hci.stats.malformed, 0);
}
END_TEST

START_TEST(test_timeout)
{
	uint64_t d;

	ck_assert_int_eq(hci_send_cmd(&hci, 1000, OP_A, NULL, 0, cmd_cb, &ctx_a), 0);
	ck_assert_int_eq(hci_send_cmd(&hci, 1500, OP_B, NULL, 0, cmd_cb, &ctx_b), 0);
	ck_assert_uint_eq(nsent, 1);
	d = hci_next_deadline(&hci);
	ck_assert_uint_eq(d, 1000 + HCI_CMD_TIMEOUT_MS);

	hci_tick(&hci, d - 1);
	ck_assert_uint_eq(ncb, 0);
	ck_assert_uint_eq(nsent, 1);
	ck_assert_uint_eq(hci_next_deadline(&hci), d);

	hci_tick(&hci, d + 7);
	ck_assert_uint_eq(ncb, 1);
	ck_assert_ptr_eq(cbs[0].ctx, &ctx_a);
	ck_assert_uint_eq(cbs[0].opcode, OP_A);
	ck_assert_int_eq(cbs[0].status, -ETIMEDOUT);
	ck_assert_uint_eq(cbs[0].rlen, 0);
	ck_assert_uint_eq(hci.stats.timeouts, 1);
	/* the next command goes out at once, with its own deadline */
	ck_assert_uint_eq(nsent, 2);
	ck_assert_uint_eq(sent_opcode(1), OP_B);
	ck_assert_uint_eq(hci_next_deadline(&hci), d + 7 + HCI_CMD_TIMEOUT_MS);

	/* a late completion of A is unmatched and harmless */
	rx_cc_status(d + 8, 1, OP_A, 0);
	ck_assert_uint_eq(hci.stats.unmatched, 1);
	ck_assert_uint_eq(ncb, 1);

	rx_cc_status(d + 9, 1, OP_B, 0);
	ck_assert_uint_eq(ncb, 2);
	ck_assert_int_eq(cbs[1].status, 0);
	ck_assert_uint_eq(hci_next_deadline(&hci), NO_DEADLINE);
}
END_TEST

/* Num_HCI_Command_Packets 0 and never a credit again: the waiting commands
 * fail with -ETIMEDOUT instead of waiting forever. */
START_TEST(test_ncmd_zero_forever)
{
	ck_assert_int_eq(hci_send_cmd(&hci, 0, OP_A, NULL, 0, cmd_cb, &ctx_a), 0);
	rx_cc_status(10, 0, OP_A, 0);
	ck_assert_int_eq(hci_send_cmd(&hci, 20, OP_B, NULL, 0, cmd_cb, &ctx_b), 0);
	ck_assert_uint_eq(nsent, 1);
	hci_tick(&hci, 20 + HCI_CMD_TIMEOUT_MS - 1);
	ck_assert_uint_eq(ncb, 1);
	hci_tick(&hci, 20 + HCI_CMD_TIMEOUT_MS);
	ck_assert_uint_eq(ncb, 2);
	ck_assert_uint_eq(cbs[1].opcode, OP_B);
	ck_assert_int_eq(cbs[1].status, -ETIMEDOUT);
	ck_assert_uint_eq(nsent, 1); /* never sent */
	ck_assert_uint_eq(hci_next_deadline(&hci), NO_DEADLINE);
}
END_TEST

/* A command queued behind a timed-out one, while the controller holds no
 * credit, still gets out: the core assumes one credit after a timeout. */
START_TEST(test_timeout_restores_credit)
{
	ck_assert_int_eq(hci_send_cmd(&hci, 0, OP_A, NULL, 0, cmd_cb, &ctx_a), 0);
	ck_assert_int_eq(hci_send_cmd(&hci, 0, OP_B, NULL, 0, cmd_cb, &ctx_b), 0);
	hci_tick(&hci, HCI_CMD_TIMEOUT_MS);
	ck_assert_uint_eq(nsent, 2);
	hci_tick(&hci, 2 * HCI_CMD_TIMEOUT_MS);
	ck_assert_uint_eq(ncb, 2);
	ck_assert_int_eq(cbs[1].status, -ETIMEDOUT);
	ck_assert_uint_eq(hci.stats.timeouts, 2);
	ck_assert_uint_eq(hci_next_deadline(&hci), NO_DEADLINE);
}
END_TEST

/* Several commands in flight time out in the same tick, oldest first. */
START_TEST(test_timeout_several)
{
	rx_cc(0, 3, 0x0000, NULL, 0);
	ck_assert_int_eq(hci_send_cmd(&hci, 10, OP_A, NULL, 0, cmd_cb, &ctx_a), 0);
	ck_assert_int_eq(hci_send_cmd(&hci, 10, OP_B, NULL, 0, cmd_cb, &ctx_b), 0);
	ck_assert_int_eq(hci_send_cmd(&hci, 20, OP_C, NULL, 0, cmd_cb, &ctx_c), 0);
	ck_assert_uint_eq(nsent, 3);
	hci_tick(&hci, 15 + HCI_CMD_TIMEOUT_MS);
	ck_assert_uint_eq(ncb, 2);
	ck_assert_ptr_eq(cbs[0].ctx, &ctx_a);
	ck_assert_ptr_eq(cbs[1].ctx, &ctx_b);
	ck_assert_int_eq(cbs[1].status, -ETIMEDOUT);
	ck_assert_uint_eq(hci_next_deadline(&hci), 20 + HCI_CMD_TIMEOUT_MS);
	hci_tick(&hci, 20 + HCI_CMD_TIMEOUT_MS);
	ck_assert_uint_eq(ncb, 3);
	ck_assert_ptr_eq(cbs[2].ctx, &ctx_c);
	ck_assert_uint_eq(hci.stats.timeouts, 3);
	ck_assert_uint_eq(hci_next_deadline(&hci), NO_DEADLINE);
}
END_TEST

START_TEST(test_queue_full)
{
	for (unsigned i = 0; i < HCI_CMD_QUEUE; i++)
		ck_assert_int_eq(hci_send_cmd(&hci, i, (uint16_t)(0xfc00 + i), NULL, 0, cmd_cb, &ctx_a), 0);
	ck_assert_int_eq(hci_send_cmd(&hci, 100, OP_A, NULL, 0, cmd_cb, &ctx_a), -ENOSPC);
	ck_assert_int_eq(hci_send_cmd(&hci, 101, OP_A, NULL, 0, cmd_cb, &ctx_a), -ENOSPC);
	ck_assert_uint_eq(nsent, 1);

	rx_cc_status(200, 1, 0xfc00, 0);
	ck_assert_uint_eq(ncb, 1);
	ck_assert_uint_eq(nsent, 2);
	ck_assert_uint_eq(sent_opcode(1), 0xfc01);
	ck_assert_int_eq(hci_send_cmd(&hci, 201, OP_A, NULL, 0, cmd_cb, &ctx_b), 0);
	ck_assert_int_eq(hci_send_cmd(&hci, 202, OP_A, NULL, 0, cmd_cb, &ctx_b), -ENOSPC);

	/* drain: every command goes out, in order, and the refused ones never */
	for (unsigned i = 1; i < HCI_CMD_QUEUE; i++) {
		ck_assert_uint_eq(sent_opcode(i), 0xfc00 + i);
		rx_cc_status(300 + i, 1, (uint16_t)(0xfc00 + i), 0);
	}
	ck_assert_uint_eq(sent_opcode(HCI_CMD_QUEUE), OP_A);
	rx_cc_status(400, 1, OP_A, 0);
	ck_assert_uint_eq(nsent, HCI_CMD_QUEUE + 1);
	ck_assert_uint_eq(ncb, HCI_CMD_QUEUE + 1);
	ck_assert_ptr_eq(cbs[HCI_CMD_QUEUE].ctx, &ctx_b);
	ck_assert_uint_eq(hci.stats.unmatched, 0);
}
END_TEST

START_TEST(test_forget)
{
	ck_assert_int_eq(hci_send_cmd(&hci, 0, OP_A, NULL, 0, cmd_cb, &ctx_a), 0);
	ck_assert_int_eq(hci_send_cmd(&hci, 0, OP_B, NULL, 0, cmd_cb, &ctx_b), 0);
	ck_assert_int_eq(hci_send_cmd(&hci, 0, OP_C, NULL, 0, cmd_cb, &ctx_a), 0);
	hci_forget(&hci, &ctx_a);

	/* in flight: completes silently, the queue moves on */
	rx_cc_status(10, 1, OP_A, 0);
	ck_assert_uint_eq(ncb, 0);
	ck_assert_uint_eq(nsent, 2);
	ck_assert_uint_eq(sent_opcode(1), OP_B);
	rx_cc_status(20, 1, OP_B, 0);
	ck_assert_uint_eq(ncb, 1);
	ck_assert_ptr_eq(cbs[0].ctx, &ctx_b);
	/* queued when forgotten: still sent, never reported, not even on timeout */
	ck_assert_uint_eq(nsent, 3);
	ck_assert_uint_eq(sent_opcode(2), OP_C);
	hci_tick(&hci, 20 + HCI_CMD_TIMEOUT_MS);
	ck_assert_uint_eq(ncb, 1);
	ck_assert_uint_eq(hci.stats.timeouts, 1);
	ck_assert_uint_eq(hci_next_deadline(&hci), NO_DEADLINE);
}
END_TEST

/* A callback may queue the next command from inside the completion. */
static void chain_cb(void *ctx, uint16_t opcode, int status, const uint8_t *rp, size_t rlen)
{
	cmd_cb(ctx, opcode, status, rp, rlen);
	if (opcode == OP_A)
		ck_assert_int_eq(hci_send_cmd(&hci, hci_now(&hci), OP_B, NULL, 0, chain_cb, ctx), 0);
}

START_TEST(test_send_from_callback)
{
	ck_assert_int_eq(hci_send_cmd(&hci, 5, OP_A, NULL, 0, chain_cb, &ctx_a), 0);
	rx_cc_status(50, 1, OP_A, 0);
	ck_assert_uint_eq(nsent, 2);
	ck_assert_uint_eq(sent_opcode(1), OP_B);
	ck_assert_uint_eq(hci_next_deadline(&hci), 50 + HCI_CMD_TIMEOUT_MS);
	hci_tick(&hci, 50 + HCI_CMD_TIMEOUT_MS);
	ck_assert_uint_eq(ncb, 2);
	ck_assert_uint_eq(cbs[1].opcode, OP_B);
	ck_assert_int_eq(cbs[1].status, -ETIMEDOUT);
}
END_TEST

/* Short Command Complete / Command Status events are malformed and match nothing. */
START_TEST(test_short_completions)
{
	ck_assert_int_eq(hci_send_cmd(&hci, 0, HCI_OP_RESET, NULL, 0, cmd_cb, &ctx_a), 0);
	rx_event(1, HCI_EV_CMD_COMPLETE, (const uint8_t *)"\x01\x03", 2);
	rx_event(2, HCI_EV_CMD_STATUS, (const uint8_t *)"\x00\x01\x03", 3);
	ck_assert_uint_eq(hci.stats.malformed, 2);
	ck_assert_uint_eq(ncb, 0);
	ck_assert_uint_eq(hci_next_deadline(&hci), HCI_CMD_TIMEOUT_MS);
	/* Command Complete without return parameters: status 0 */
	rx_event(3, HCI_EV_CMD_COMPLETE, (const uint8_t *)"\x01\x03\x0c", 3);
	ck_assert_uint_eq(ncb, 1);
	ck_assert_int_eq(cbs[0].status, 0);
	ck_assert_uint_eq(cbs[0].rlen, 0);
	ck_assert_uint_eq(hci.stats.events, 3);
}
END_TEST

/* ---- advertising reports ---- */

struct rep {
	uint8_t evt_type, addr_type;
	uint8_t addr[6];
	uint8_t data_len;
	uint8_t data[40];
	int8_t rssi;
};

/* An H4 LE Meta / LE Advertising Report event; returns its length. */
static size_t build_reports(uint8_t *pkt, const struct rep *r, unsigned n)
{
	size_t off = 5;

	pkt[0] = H4_EVT;
	pkt[1] = HCI_EV_LE_META;
	pkt[3] = HCI_LE_ADV_REPORT;
	pkt[4] = (uint8_t)n;
	for (unsigned i = 0; i < n; i++) {
		pkt[off++] = r[i].evt_type;
		pkt[off++] = r[i].addr_type;
		memcpy(pkt + off, r[i].addr, 6);
		off += 6;
		pkt[off++] = r[i].data_len;
		memcpy(pkt + off, r[i].data, r[i].data_len);
		off += r[i].data_len;
		pkt[off++] = (uint8_t)r[i].rssi;
	}
	pkt[2] = (uint8_t)(off - 3);
	return off;
}

static void assert_report(size_t i, const struct rep *want)
{
	const struct hci_adv_report *r;

	ck_assert_uint_gt(nreports, i);
	r = &reports[i].r;
	ck_assert_uint_eq(r->evt_type, want->evt_type);
	ck_assert_uint_eq(r->addr_type, want->addr_type);
	ck_assert_mem_eq(r->addr, want->addr, 6);
	ck_assert_int_eq(r->rssi, want->rssi);
	ck_assert_uint_eq(r->data_len, want->data_len);
	if (want->data_len)
		ck_assert_mem_eq(r->data, want->data, want->data_len);
}

static const struct rep rep_beacon = {
	.evt_type = 0x03,
	.addr_type = 0x01,
	.addr = { 0xa8, 0x1c, 0xc1, 0x07, 0xda, 0x78 },
	.data_len = 22,
	.data = { 0x15, 0x2b, 0x00, 0xa8, 0x01, 0x71, 0x5a, 0x02, 0x00, 0x00, 0xa8,
		  0x1c, 0xc1, 0x07, 0xda, 0x78, 0x02, 0x10, 0x00, 0x00, 0x00, 0x00 },
	.rssi = -57,
};

static const struct rep reps3[3] = {
	{ .evt_type = 0x00, .addr_type = 0x00, .addr = { 1, 2, 3, 4, 5, 6 }, .data_len = 0,
	  .rssi = -40 },
	{ .evt_type = 0x03, .addr_type = 0x01, .addr = { 0x11, 0x22, 0x33, 0x44, 0x55, 0xc6 },
	  .data_len = 5, .data = { 0x04, 0x29, 0xaa, 0xbb, 0xcc }, .rssi = HCI_RSSI_UNKNOWN },
	{ .evt_type = 0x02, .addr_type = 0x00, .addr = { 0xff, 0xee, 0xdd, 0xcc, 0xbb, 0xaa },
	  .data_len = 31,
	  .data = { 0x1e, 0x2a, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20,
		    21, 22, 23, 24, 25, 26, 27, 28, 29 },
	  .rssi = -127 },
};

START_TEST(test_one_report)
{
	uint8_t pkt[300];
	size_t len = build_reports(pkt, &rep_beacon, 1);

	hci_receive(&hci, 0, pkt, len);
	ck_assert_uint_eq(nreports, 1);
	assert_report(0, &rep_beacon);
	ck_assert_uint_eq(hci.stats.events, 1);
	ck_assert_uint_eq(hci.stats.malformed, 0);
}
END_TEST

START_TEST(test_three_reports)
{
	uint8_t pkt[300];
	size_t len = build_reports(pkt, reps3, 3);

	hci_receive(&hci, 0, pkt, len);
	ck_assert_uint_eq(nreports, 3);
	for (size_t i = 0; i < 3; i++)
		assert_report(i, &reps3[i]);
	ck_assert_int_eq(reports[1].r.rssi, 127);
	ck_assert_uint_eq(hci.stats.malformed, 0);

	/* the parser on its own agrees, and takes a NULL callback */
	ck_assert_int_eq(hci_parse_adv_reports(pkt + 4, len - 4, NULL, NULL), 3);
}
END_TEST

/* ---- LE Extended Advertising Report (7.7.65.13) ---- */

/* A mesh beacon as a legacy ADV_NONCONN_IND PDU, byte for byte as a
 * Bluetooth 5 controller reports it to a host that scans the extended way. */
static const uint8_t ext_beacon_evt[] = {
	0x04, 0x3e, 0x2f,   /* LE Meta, 47 octets */
	0x0d, 0x01,         /* LE Extended Advertising Report, 1 report */
	0x10, 0x00,         /* Event_Type: legacy, ADV_NONCONN_IND */
	0x00,               /* public address */
	0x66, 0x55, 0x44, 0x33, 0x22, 0x11,
	0x01, 0x00,         /* primary PHY LE 1M, no secondary */
	0xff,               /* no ADI */
	0x7f,               /* TX power unknown */
	0xc4,               /* RSSI -60 */
	0x00, 0x00,         /* no periodic advertising */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* no direct address */
	0x15,               /* 21 octets of data */
	0x14, 0x2b, 0x00,   /* Mesh Beacon: Unprovisioned Device, UUID, OOB information */
	0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10,
	0x00, 0x00,
};

START_TEST(test_ext_report_legacy)
{
	static const uint8_t addr[6] = { 0x66, 0x55, 0x44, 0x33, 0x22, 0x11 };

	ck_assert_uint_eq(sizeof(ext_beacon_evt), 3 + 0x2f);
	hci_receive(&hci, 0, ext_beacon_evt, sizeof(ext_beacon_evt));
	ck_assert_uint_eq(hci.stats.malformed, 0);
	ck_assert_uint_eq(nreports, 1);
	ck_assert_uint_eq(reports[0].r.evt_type, 0x03); /* as in a legacy report */
	ck_assert_uint_eq(reports[0].r.addr_type, 0x00);
	ck_assert_mem_eq(reports[0].r.addr, addr, 6);
	ck_assert_int_eq(reports[0].r.rssi, -60);
	ck_assert_uint_eq(reports[0].r.data_len, 21);
	ck_assert_mem_eq(reports[0].data, ext_beacon_evt + 3 + 2 + 24, 21);
	ck_assert_int_eq(hci_parse_ext_adv_reports(ext_beacon_evt + 4, sizeof(ext_beacon_evt) - 4,
						   NULL, NULL), 1);
}
END_TEST

/* Several reports in one event: legacy PDU types map to the legacy codes,
 * a complete extended PDU is passed on as extended, a fragment is not. */
START_TEST(test_ext_report_types)
{
	static const struct {
		uint16_t type;
		int want; /* -1: not passed on */
	} cases[] = {
		{ 0x0013, 0 }, { 0x0015, 1 }, { 0x0012, 2 }, { 0x0010, 3 }, { 0x001b, 4 },
		{ 0x001a, 4 }, { 0x0000, HCI_ADV_EVT_EXTENDED }, { 0x0020, -1 }, { 0x0040, -1 },
		{ 0x0011, -1 },
	};
	uint8_t pkt[3 + 255];
	size_t off = 5;
	unsigned want_n = 0;

	memset(pkt, 0, sizeof(pkt));
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		put_le16(pkt + off, cases[i].type);
		pkt[off + 13] = (uint8_t)(-40 - (int)i); /* RSSI tells them apart */
		pkt[off + 23] = 1;                      /* one octet of data */
		pkt[off + 24] = (uint8_t)i;
		off += 25;
		want_n += cases[i].want >= 0;
	}
	pkt[0] = H4_EVT;
	pkt[1] = HCI_EV_LE_META;
	pkt[2] = (uint8_t)(off - 3);
	pkt[3] = HCI_LE_EXT_ADV_REPORT;
	pkt[4] = (uint8_t)ARRAY_SIZE(cases);
	hci_receive(&hci, 0, pkt, off);
	ck_assert_uint_eq(hci.stats.malformed, 0);
	ck_assert_uint_eq(nreports, want_n);
	for (size_t i = 0, j = 0; i < ARRAY_SIZE(cases); i++) {
		if (cases[i].want < 0)
			continue;
		ck_assert_uint_eq(reports[j].r.evt_type, (unsigned)cases[i].want);
		ck_assert_int_eq(reports[j].r.rssi, -40 - (int)i);
		ck_assert_uint_eq(reports[j].data[0], i);
		j++;
	}
}
END_TEST

/* Truncated or inconsistent: nothing is passed on, the event is counted. */
START_TEST(test_ext_report_malformed)
{
	uint8_t pkt[sizeof(ext_beacon_evt) + 40];

	/* data length one past the end */
	memcpy(pkt, ext_beacon_evt, sizeof(ext_beacon_evt));
	pkt[3 + 2 + 23] = 22;
	hci_receive(&hci, 0, pkt, sizeof(ext_beacon_evt));
	/* a trailing octet */
	memcpy(pkt, ext_beacon_evt, sizeof(ext_beacon_evt));
	pkt[2]++;
	pkt[sizeof(ext_beacon_evt)] = 0;
	hci_receive(&hci, 0, pkt, sizeof(ext_beacon_evt) + 1);
	/* two reports announced, one there */
	memcpy(pkt, ext_beacon_evt, sizeof(ext_beacon_evt));
	pkt[4] = 2;
	hci_receive(&hci, 0, pkt, sizeof(ext_beacon_evt));
	/* shorter than the fixed part */
	memcpy(pkt, ext_beacon_evt, 3 + 2 + 20);
	pkt[2] = 2 + 20;
	hci_receive(&hci, 0, pkt, 3 + 2 + 20);
	/* a legacy PDU with 32 octets of data */
	memset(pkt, 0, sizeof(pkt));
	memcpy(pkt, ext_beacon_evt, 3 + 2 + 24);
	pkt[3 + 2 + 23] = 32;
	pkt[2] = 2 + 24 + 32;
	hci_receive(&hci, 0, pkt, 3 + 2 + 24 + 32);
	ck_assert_uint_eq(nreports, 0);
	ck_assert_uint_eq(hci.stats.malformed, 5);
	ck_assert_int_eq(hci_parse_ext_adv_reports(pkt, 0, NULL, NULL), -1);
}
END_TEST

/* LE Advertising Set Terminated (7.7.65.18) */
START_TEST(test_adv_set_terminated)
{
	/* Limit Reached, handle 2, no connection, 3 events */
	static const uint8_t ev[] = { 0x04, 0x3e, 0x06, 0x12, 0x43, 0x02, 0x00, 0x00, 0x03 };
	static const uint8_t short_ev[] = { 0x04, 0x3e, 0x05, 0x12, 0x43, 0x02, 0x00, 0x00 };

	hci_receive(&hci, 0, ev, sizeof(ev));
	ck_assert_uint_eq(term.calls, 1);
	ck_assert_uint_eq(term.status, HCI_ERR_LIMIT_REACHED);
	ck_assert_uint_eq(term.handle, 2);
	ck_assert_uint_eq(term.events, 3);
	hci_receive(&hci, 0, short_ev, sizeof(short_ev));
	ck_assert_uint_eq(term.calls, 1);
	ck_assert_uint_eq(hci.stats.malformed, 1);
}
END_TEST

START_TEST(test_zero_reports)
{
	static const uint8_t pkt[] = { 0x04, 0x3e, 0x02, 0x02, 0x00 };
	static const uint8_t trailing[] = { 0x04, 0x3e, 0x03, 0x02, 0x00, 0x00 };

	hci_receive(&hci, 0, pkt, sizeof(pkt));
	ck_assert_uint_eq(nreports, 0);
	ck_assert_uint_eq(hci.stats.malformed, 0);
	hci_receive(&hci, 0, trailing, sizeof(trailing));
	ck_assert_uint_eq(nreports, 0);
	ck_assert_uint_eq(hci.stats.malformed, 1);
}
END_TEST

/* Every truncation, with the event length field made consistent (so the
 * report parser must catch it) and left as it was (event level). Each
 * truncated event is copied into a buffer of its exact size for ASan. */
START_TEST(test_truncated_reports)
{
	uint8_t full[300];
	size_t len = build_reports(full, reps3, 3);
	unsigned long malformed = 0;

	for (size_t t = 0; t < len; t++) {
		for (int fix = 0; fix < 2; fix++) {
			uint8_t *p = malloc(t ? t : 1);

			ck_assert_ptr_nonnull(p);
			memcpy(p, full, t);
			if (fix && t >= 3)
				p[2] = (uint8_t)(t - 3);
			hci_receive(&hci, 0, p, t);
			free(p);
			if (t >= 1)
				malformed++;
			ck_assert_msg(nreports == 0, "truncated to %zu (fix %d): %zu reports", t, fix,
				      nreports);
			ck_assert_msg(hci.stats.malformed == malformed,
				      "truncated to %zu (fix %d): malformed %lu, want %lu", t, fix,
				      hci.stats.malformed, malformed);
		}
	}
	/* the parser alone, at every length short of the whole */
	for (size_t t = 0; t < len - 4; t++) {
		uint8_t *p = malloc(t ? t : 1);

		memcpy(p, full + 4, t);
		ck_assert_int_eq(hci_parse_adv_reports(p, t, fake_report, &hci_ctx_tag), -1);
		free(p);
	}
	ck_assert_uint_eq(nreports, 0);
}
END_TEST

START_TEST(test_num_reports_too_large)
{
	uint8_t pkt[300];
	size_t len = build_reports(pkt, reps3, 3);

	for (unsigned n = 4; n <= 255; n += 251 / 4) {
		pkt[4] = (uint8_t)n;
		hci_receive(&hci, 0, pkt, len);
	}
	pkt[4] = 2; /* too small leaves octets over */
	hci_receive(&hci, 0, pkt, len);
	ck_assert_uint_eq(nreports, 0);
	ck_assert_uint_eq(hci.stats.malformed, hci.stats.events);
	ck_assert_uint_ge(hci.stats.malformed, 2);
}
END_TEST

START_TEST(test_data_len_over_31)
{
	struct rep r = rep_beacon;
	uint8_t pkt[300];
	size_t len;

	r.data_len = 32;
	memset(r.data, 0x5a, 32);
	len = build_reports(pkt, &r, 1);
	hci_receive(&hci, 0, pkt, len);
	ck_assert_uint_eq(nreports, 0);
	ck_assert_uint_eq(hci.stats.malformed, 1);

	/* an over-long report behind a good one: neither is delivered */
	{
		struct rep two[2] = { rep_beacon, r };

		len = build_reports(pkt, two, 2);
		hci_receive(&hci, 0, pkt, len);
		ck_assert_uint_eq(nreports, 0);
		ck_assert_uint_eq(hci.stats.malformed, 2);
	}
	/* exactly 31 is fine */
	r.data_len = 31;
	len = build_reports(pkt, &r, 1);
	hci_receive(&hci, 0, pkt, len);
	ck_assert_uint_eq(nreports, 1);
	ck_assert_uint_eq(reports[0].r.data_len, 31);
}
END_TEST

START_TEST(test_plen_mismatch)
{
	uint8_t pkt[301];
	size_t len = build_reports(pkt, &rep_beacon, 1);

	pkt[len] = 0x00;
	pkt[2]++; /* says one more than there is */
	hci_receive(&hci, 0, pkt, len);
	ck_assert_uint_eq(hci.stats.malformed, 1);
	pkt[2] -= 2; /* says one fewer */
	hci_receive(&hci, 0, pkt, len);
	ck_assert_uint_eq(hci.stats.malformed, 2);
	/* the packet one octet longer than the field says */
	pkt[2]++;
	hci_receive(&hci, 0, pkt, len + 1);
	ck_assert_uint_eq(hci.stats.malformed, 3);
	ck_assert_uint_eq(nreports, 0);

	/* a Command Complete with a wrong length does not complete anything */
	ck_assert_int_eq(hci_send_cmd(&hci, 0, HCI_OP_RESET, NULL, 0, cmd_cb, &ctx_a), 0);
	{
		static const uint8_t cc[] = { 0x04, 0x0e, 0x05, 0x01, 0x03, 0x0c, 0x00 };

		hci_receive(&hci, 1, cc, sizeof(cc));
	}
	ck_assert_uint_eq(ncb, 0);
	ck_assert_uint_eq(hci.stats.malformed, 4);
	ck_assert_uint_eq(hci_next_deadline(&hci), HCI_CMD_TIMEOUT_MS);
}
END_TEST

START_TEST(test_zero_length_events)
{
	static const uint8_t meta0[] = { 0x04, 0x3e, 0x00 };
	static const uint8_t cc0[] = { 0x04, 0x0e, 0x00 };
	static const uint8_t cs0[] = { 0x04, 0x0f, 0x00 };
	static const uint8_t other0[] = { 0x04, 0x1a, 0x00 };
	static const uint8_t meta_other[] = { 0x04, 0x3e, 0x01, 0x01 }; /* another LE subevent */

	ck_assert_int_eq(hci_send_cmd(&hci, 0, HCI_OP_RESET, NULL, 0, cmd_cb, &ctx_a), 0);
	hci_receive(&hci, 1, meta0, sizeof(meta0));
	hci_receive(&hci, 1, cc0, sizeof(cc0));
	hci_receive(&hci, 1, cs0, sizeof(cs0));
	ck_assert_uint_eq(hci.stats.malformed, 3);
	hci_receive(&hci, 1, other0, sizeof(other0));
	hci_receive(&hci, 1, meta_other, sizeof(meta_other));
	ck_assert_uint_eq(hci.stats.malformed, 3);
	ck_assert_uint_eq(hci.stats.events, 5);
	ck_assert_uint_eq(ncb, 0);
	ck_assert_uint_eq(nreports, 0);
	ck_assert_uint_eq(hci_next_deadline(&hci), HCI_CMD_TIMEOUT_MS);
}
END_TEST

START_TEST(test_non_event_ignored)
{
	/* Command-Complete-looking octets in ACL, SCO, ISO and CMD packets */
	static const uint8_t acl[] = { 0x02, 0x0e, 0x04, 0x01, 0x03, 0x0c, 0x00 };
	static const uint8_t sco[] = { 0x03, 0x0e, 0x04, 0x01, 0x03, 0x0c, 0x00 };
	static const uint8_t iso[] = { 0x05, 0x0e, 0x04, 0x01, 0x03, 0x0c, 0x00 };
	/* a command (another host's, on a shared socket) with those octets as parameters */
	static const uint8_t cmd[] = { 0x01, 0x0e, 0x04, 0x03, 0x01, 0x03, 0x0c };
	uint8_t rep[300];
	size_t len = build_reports(rep, &rep_beacon, 1);

	ck_assert_int_eq(hci_send_cmd(&hci, 0, HCI_OP_RESET, NULL, 0, cmd_cb, &ctx_a), 0);
	hci_receive(&hci, 1, acl, sizeof(acl));
	hci_receive(&hci, 1, sco, sizeof(sco));
	hci_receive(&hci, 1, iso, sizeof(iso));
	hci_receive(&hci, 1, cmd, sizeof(cmd));
	hci_receive(&hci, 1, acl, 0);
	rep[0] = H4_ACL;
	hci_receive(&hci, 1, rep, len);
	ck_assert_uint_eq(ncb, 0);
	ck_assert_uint_eq(nreports, 0);
	ck_assert_uint_eq(hci.stats.events, 0);
	ck_assert_uint_eq(hci.stats.malformed, 0);
	ck_assert_uint_eq(hci.stats.unmatched, 0);
	ck_assert_uint_eq(hci_next_deadline(&hci), HCI_CMD_TIMEOUT_MS);
	ck_assert_uint_eq(foreign.calls, 1);
}
END_TEST

/* Another host's commands (the kernel's, which a shared raw socket shows):
 * passed on as they are, never taken for completions of ours. */
START_TEST(test_foreign_cmd)
{
	/* the kernel turns scanning off: LE Set Extended Scan Enable(0) */
	static const uint8_t scan_off[] = { 0x01, 0x42, 0x20, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 };
	static const uint8_t bad_len[] = { 0x01, 0x42, 0x20, 0x06, 0x00, 0x00 };
	static const uint8_t short_hdr[] = { 0x01, 0x42, 0x20 };

	ck_assert_int_eq(hci_send_cmd(&hci, 0, HCI_OP_LE_SET_EXT_SCAN_ENABLE, scan_off + 4, 6, cmd_cb,
				      &ctx_a), 0);
	hci_receive(&hci, 1, scan_off, sizeof(scan_off));
	ck_assert_uint_eq(foreign.calls, 1);
	ck_assert_uint_eq(foreign.opcode, HCI_OP_LE_SET_EXT_SCAN_ENABLE);
	ck_assert_uint_eq(foreign.plen, 6);
	ck_assert_mem_eq(foreign.p, scan_off + 4, 6);
	ck_assert_uint_eq(ncb, 0); /* ours still waits for its completion */
	hci_receive(&hci, 1, bad_len, sizeof(bad_len));
	hci_receive(&hci, 1, short_hdr, sizeof(short_hdr));
	ck_assert_uint_eq(foreign.calls, 1);
	ck_assert_uint_eq(hci.stats.malformed, 2);
}
END_TEST

/* ---- controller set-up ---- */

struct setup_result {
	int calls;
	int status;
	uint16_t opcode;
};

static struct setup_result setup_res;
static struct hci_setup hs;

static void setup_done(void *ctx, int status, uint16_t failed_opcode)
{
	ck_assert_ptr_eq(ctx, &setup_res);
	setup_res.calls++;
	setup_res.status = status;
	setup_res.opcode = failed_opcode;
}

static const uint8_t local_version_rp[] = {
	0x00,       /* status */
	0x09,       /* HCI version 5.0 */
	0x34, 0x12, /* HCI revision */
	0x09,       /* LMP version */
	0x5d, 0x00, /* manufacturer 93 (Realtek) */
	0x78, 0x56, /* LMP subversion */
};

/* Expect exactly one new command since `before`, with this opcode; return it. */
static const struct sent_pkt *expect_one(size_t before, uint16_t opcode)
{
	ck_assert_msg(nsent == before + 1, "expected command %zu (0x%04x), %zu sent", before, opcode,
		      nsent);
	ck_assert_uint_eq(sent_opcode(before), opcode);
	return &sent[before];
}

/* Read Local Supported Commands answered: the legacy LE commands, plus the
 * extended scanning and/or advertising ones (7.4.2, octets 36 and 37). */
static void rx_commands(uint64_t now, bool ext_scan, bool ext_adv)
{
	uint8_t rp[1 + 64];

	memset(rp, 0, sizeof(rp));
	rp[1 + 25] = 0xf7;
	rp[1 + 26] = 0x0f;
	if (ext_adv) {
		rp[1 + 36] |= 0x04 | 0x08 | 0x20 | 0x80; /* Ext Adv Params, Data, Enable; Num Sets */
		rp[1 + 37] |= 0x01;                      /* Remove Advertising Set */
	}
	if (ext_scan)
		rp[1 + 37] |= 0x20 | 0x40;               /* Ext Scan Params, Enable */
	rx_cc(now, 1, HCI_OP_READ_LOCAL_COMMANDS, rp, sizeof(rp));
}

static void assert_mask_bit(const uint8_t *mask, unsigned bit)
{
	ck_assert_msg(mask[bit / 8] & (1u << (bit % 8)), "event mask bit %u not set", bit);
}

START_TEST(test_setup_with_reset)
{
	const struct sent_pkt *p;
	uint64_t t = 1000;

	memset(&setup_res, 0, sizeof(setup_res));
	hci_setup_start(&hs, &hci, t, true, setup_done, &setup_res);
	p = expect_one(0, HCI_OP_RESET);
	ck_assert_uint_eq(p->len, 4);
	ck_assert_uint_eq(hci_next_deadline(&hci), t + HCI_CMD_TIMEOUT_MS);
	/* nothing more until Reset completes, whatever the credits */
	rx_cc(t + 1, 5, 0x0000, NULL, 0);
	ck_assert_uint_eq(nsent, 1);

	rx_cc_status(t += 10, 1, HCI_OP_RESET, 0);
	p = expect_one(1, HCI_OP_READ_LOCAL_VERSION);
	ck_assert_uint_eq(p->len, 4);
	ck_assert_uint_eq(hci_next_deadline(&hci), t + HCI_CMD_TIMEOUT_MS);

	rx_cc(t += 10, 1, HCI_OP_READ_LOCAL_VERSION, local_version_rp, sizeof(local_version_rp));
	p = expect_one(2, HCI_OP_READ_LOCAL_COMMANDS);
	ck_assert_uint_eq(p->len, 4);
	ck_assert_uint_eq(hs.hci_version, 0x09);
	ck_assert_uint_eq(hs.manufacturer, 0x005d);

	rx_commands(t += 10, false, false);
	p = expect_one(3, HCI_OP_SET_EVENT_MASK);
	ck_assert_uint_eq(p->len, 4 + 8);
	assert_mask_bit(p->b + 4, 61); /* LE Meta */

	rx_cc_status(t += 10, 1, HCI_OP_SET_EVENT_MASK, 0);
	p = expect_one(4, HCI_OP_LE_SET_EVENT_MASK);
	ck_assert_uint_eq(p->len, 4 + 8);
	{
		/* LE Advertising Report (bit 1) only: no extended events asked for */
		static const uint8_t want[8] = { 0x02 };

		ck_assert_mem_eq(p->b + 4, want, 8);
	}

	rx_cc_status(t += 10, 1, HCI_OP_LE_SET_EVENT_MASK, 0);
	p = expect_one(5, HCI_OP_LE_SET_SCAN_PARAMS);
	ck_assert_uint_eq(p->len, 4 + 7);
	ck_assert_uint_eq(p->b[4], 0x00);                          /* passive */
	ck_assert_uint_eq(get_le16(p->b + 5), get_le16(p->b + 7)); /* interval == window */
	ck_assert_uint_ge(get_le16(p->b + 5), 0x0004);
	ck_assert_uint_le(get_le16(p->b + 5), 0x4000);
	ck_assert_uint_le(p->b[9], 0x03); /* own address type */
	ck_assert_uint_eq(p->b[10], 0x00); /* no filter accept list */
	ck_assert_int_eq(setup_res.calls, 0);

	rx_cc_status(t += 10, 1, HCI_OP_LE_SET_SCAN_PARAMS, 0);
	ck_assert_int_eq(setup_res.calls, 1);
	ck_assert_int_eq(setup_res.status, 0);
	ck_assert_uint_eq(nsent, 6);
	ck_assert(!hs.ext_scan);
	ck_assert(!hs.ext_adv);
	ck_assert_uint_eq(hci_next_deadline(&hci), NO_DEADLINE);
	ck_assert_uint_eq(hs.hci_version, 0x09);
	ck_assert_uint_eq(hs.manufacturer, 0x005d);
}
END_TEST

/* A raw socket shared with the kernel: no Reset, and no Set Event Mask nor
 * LE Set Event Mask (they cannot be read back; writing them would replace
 * the kernel's). */
START_TEST(test_setup_shared_legacy)
{
	uint8_t rp[9];

	memset(&setup_res, 0, sizeof(setup_res));
	hci_setup_start(&hs, &hci, 50, false, setup_done, &setup_res);
	expect_one(0, HCI_OP_READ_LOCAL_VERSION);
	memcpy(rp, local_version_rp, sizeof(rp));
	rp[1] = 0x0c;  /* 5.3 */
	rp[5] = 0x02;  /* Intel */
	rp[6] = 0x01;  /* manufacturer 0x0102 */
	rx_cc(60, 1, HCI_OP_READ_LOCAL_VERSION, rp, sizeof(rp));
	expect_one(1, HCI_OP_READ_LOCAL_COMMANDS);
	rx_commands(61, false, false);
	expect_one(2, HCI_OP_LE_SET_SCAN_PARAMS);
	rx_cc_status(62, 1, HCI_OP_LE_SET_SCAN_PARAMS, 0);
	ck_assert_uint_eq(nsent, 3);
	ck_assert_int_eq(setup_res.calls, 1);
	ck_assert_int_eq(setup_res.status, 0);
	ck_assert_uint_eq(hs.hci_version, 0x0c);
	ck_assert_uint_eq(hs.manufacturer, 0x0102);
	for (size_t i = 0; i < nsent; i++) {
		ck_assert_uint_ne(sent_opcode(i), HCI_OP_RESET);
		ck_assert_uint_ne(sent_opcode(i), HCI_OP_SET_EVENT_MASK);
		ck_assert_uint_ne(sent_opcode(i), HCI_OP_LE_SET_EVENT_MASK);
	}
}
END_TEST

/* A Bluetooth 5 controller shared with the kernel: the extended commands
 * (the kernel uses them too; a controller refuses legacy ones after them). */
START_TEST(test_setup_shared_ext)
{
	/* 7.8.64: Own_Address_Type public, Scanning_Filter_Policy 0,
	 * Scanning_PHYs LE 1M, then for it: passive, interval 30 ms, window 30 ms */
	static const uint8_t want_scan[] = { 0x01, 0x41, 0x20, 0x08, 0x00, 0x00, 0x01, 0x00,
					     0x30, 0x00, 0x30, 0x00 };
	static const uint8_t want_num_sets[] = { 0x01, 0x3b, 0x20, 0x00 };

	memset(&setup_res, 0, sizeof(setup_res));
	hci_setup_start(&hs, &hci, 0, false, setup_done, &setup_res);
	rx_cc(1, 1, HCI_OP_READ_LOCAL_VERSION, local_version_rp, sizeof(local_version_rp));
	rx_commands(2, true, true);
	assert_sent(2, want_num_sets, sizeof(want_num_sets));
	rx_cc(3, 1, HCI_OP_LE_READ_NUM_ADV_SETS, (const uint8_t *)"\x00\x03", 2);
	assert_sent(3, want_scan, sizeof(want_scan));
	rx_cc_status(4, 1, HCI_OP_LE_SET_EXT_SCAN_PARAMS, 0);
	ck_assert_uint_eq(nsent, 4);
	ck_assert_int_eq(setup_res.calls, 1);
	ck_assert_int_eq(setup_res.status, 0);
	ck_assert(hs.ext_scan);
	ck_assert(hs.ext_adv);
	ck_assert_uint_eq(hs.num_adv_sets, 3);
}
END_TEST

/* Exclusive and extended: the LE event mask asks for the extended events. */
START_TEST(test_setup_exclusive_ext)
{
	/* LE Advertising Report (1), LE Extended Advertising Report (12),
	 * LE Advertising Set Terminated (17) */
	static const uint8_t want_le_mask[] = { 0x01, 0x01, 0x20, 0x08,
						0x02, 0x10, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00 };

	memset(&setup_res, 0, sizeof(setup_res));
	hci_setup_start(&hs, &hci, 0, true, setup_done, &setup_res);
	rx_cc_status(1, 1, HCI_OP_RESET, 0);
	rx_cc(2, 1, HCI_OP_READ_LOCAL_VERSION, local_version_rp, sizeof(local_version_rp));
	rx_commands(3, true, true);
	expect_one(3, HCI_OP_LE_READ_NUM_ADV_SETS);
	rx_cc(4, 1, HCI_OP_LE_READ_NUM_ADV_SETS, (const uint8_t *)"\x00\x10", 2);
	expect_one(4, HCI_OP_SET_EVENT_MASK);
	rx_cc_status(5, 1, HCI_OP_SET_EVENT_MASK, 0);
	assert_sent(5, want_le_mask, sizeof(want_le_mask));
	rx_cc_status(6, 1, HCI_OP_LE_SET_EVENT_MASK, 0);
	expect_one(6, HCI_OP_LE_SET_EXT_SCAN_PARAMS);
	rx_cc_status(7, 1, HCI_OP_LE_SET_EXT_SCAN_PARAMS, 0);
	ck_assert_int_eq(setup_res.calls, 1);
	ck_assert_int_eq(setup_res.status, 0);
	ck_assert_uint_eq(hs.num_adv_sets, 16);
}
END_TEST

/* Extended scanning without extended advertising (and the other way round);
 * a controller with no advertising sets to spare advertises the legacy way. */
START_TEST(test_setup_ext_partial)
{
	memset(&setup_res, 0, sizeof(setup_res));
	hci_setup_start(&hs, &hci, 0, true, setup_done, &setup_res);
	rx_cc_status(1, 1, HCI_OP_RESET, 0);
	rx_cc(2, 1, HCI_OP_READ_LOCAL_VERSION, local_version_rp, sizeof(local_version_rp));
	rx_commands(3, true, false);
	expect_one(3, HCI_OP_SET_EVENT_MASK); /* no Read Number of Supported Advertising Sets */
	rx_cc_status(4, 1, HCI_OP_SET_EVENT_MASK, 0);
	expect_one(4, HCI_OP_LE_SET_EVENT_MASK);
	ck_assert_uint_eq(sent[4].b[4 + 1], 0x10);
	ck_assert_uint_eq(sent[4].b[4 + 2], 0x00);
	ck_assert(hs.ext_scan && !hs.ext_adv);

	setup();
	memset(&setup_res, 0, sizeof(setup_res));
	hci_setup_start(&hs, &hci, 0, false, setup_done, &setup_res);
	rx_cc(1, 1, HCI_OP_READ_LOCAL_VERSION, local_version_rp, sizeof(local_version_rp));
	rx_commands(2, false, true);
	rx_cc(3, 1, HCI_OP_LE_READ_NUM_ADV_SETS, (const uint8_t *)"\x00\x00", 2);
	expect_one(3, HCI_OP_LE_SET_SCAN_PARAMS);
	ck_assert(!hs.ext_scan && !hs.ext_adv);
}
END_TEST

/* A controller without Read Local Supported Commands (Bluetooth 1.1) gets
 * the legacy commands; a timeout still fails the set-up. */
START_TEST(test_setup_commands_unknown)
{
	memset(&setup_res, 0, sizeof(setup_res));
	hci_setup_start(&hs, &hci, 0, false, setup_done, &setup_res);
	rx_cc(1, 1, HCI_OP_READ_LOCAL_VERSION, local_version_rp, sizeof(local_version_rp));
	rx_cc_status(2, 1, HCI_OP_READ_LOCAL_COMMANDS, HCI_ERR_UNKNOWN_COMMAND);
	expect_one(2, HCI_OP_LE_SET_SCAN_PARAMS);
	ck_assert_int_eq(setup_res.calls, 0);

	setup();
	memset(&setup_res, 0, sizeof(setup_res));
	hci_setup_start(&hs, &hci, 0, false, setup_done, &setup_res);
	rx_cc(1, 1, HCI_OP_READ_LOCAL_VERSION, local_version_rp, sizeof(local_version_rp));
	hci_tick(&hci, 1 + HCI_CMD_TIMEOUT_MS);
	ck_assert_int_eq(setup_res.calls, 1);
	ck_assert_int_eq(setup_res.status, -ETIMEDOUT);
	ck_assert_uint_eq(setup_res.opcode, HCI_OP_READ_LOCAL_COMMANDS);
}
END_TEST

START_TEST(test_setup_failure)
{
	memset(&setup_res, 0, sizeof(setup_res));
	hci_setup_start(&hs, &hci, 0, true, setup_done, &setup_res);
	rx_cc_status(1, 1, HCI_OP_RESET, 0);
	rx_cc(2, 1, HCI_OP_READ_LOCAL_VERSION, local_version_rp, sizeof(local_version_rp));
	rx_commands(3, false, false);
	rx_cc_status(3, 1, HCI_OP_SET_EVENT_MASK, 0);
	expect_one(4, HCI_OP_LE_SET_EVENT_MASK);
	rx_cc_status(4, 1, HCI_OP_LE_SET_EVENT_MASK, HCI_ERR_UNKNOWN_COMMAND);
	ck_assert_int_eq(setup_res.calls, 1);
	ck_assert_int_eq(setup_res.status, HCI_ERR_UNKNOWN_COMMAND);
	ck_assert_uint_eq(setup_res.opcode, HCI_OP_LE_SET_EVENT_MASK);
	/* stops there */
	ck_assert_uint_eq(nsent, 5);
	ck_assert_uint_eq(hci_next_deadline(&hci), NO_DEADLINE);
	hci_tick(&hci, 100000);
	ck_assert_uint_eq(nsent, 5);
	ck_assert_int_eq(setup_res.calls, 1);
}
END_TEST

START_TEST(test_setup_reset_fails)
{
	memset(&setup_res, 0, sizeof(setup_res));
	hci_setup_start(&hs, &hci, 0, true, setup_done, &setup_res);
	rx_cc_status(1, 1, HCI_OP_RESET, 0x03); /* Hardware Failure */
	ck_assert_int_eq(setup_res.calls, 1);
	ck_assert_int_eq(setup_res.status, 0x03);
	ck_assert_uint_eq(setup_res.opcode, HCI_OP_RESET);
	ck_assert_uint_eq(nsent, 1);
}
END_TEST

START_TEST(test_setup_timeout)
{
	memset(&setup_res, 0, sizeof(setup_res));
	hci_setup_start(&hs, &hci, 500, false, setup_done, &setup_res);
	expect_one(0, HCI_OP_READ_LOCAL_VERSION);
	ck_assert_uint_eq(hci_next_deadline(&hci), 500 + HCI_CMD_TIMEOUT_MS);
	hci_tick(&hci, 500 + HCI_CMD_TIMEOUT_MS);
	ck_assert_int_eq(setup_res.calls, 1);
	ck_assert_int_eq(setup_res.status, -ETIMEDOUT);
	ck_assert_uint_eq(setup_res.opcode, HCI_OP_READ_LOCAL_VERSION);
	ck_assert_uint_eq(nsent, 1);
	ck_assert_uint_eq(hs.hci_version, 0);
	ck_assert_uint_eq(hs.manufacturer, 0);
}
END_TEST

static Suite *hci_suite(void)
{
	Suite *s = suite_create("hci");
	TCase *tc = tcase_create("commands");
	TCase *tr = tcase_create("reports");
	TCase *ts = tcase_create("setup");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_opcode_values);
	tcase_add_test(tc, test_send_cmd_bytes);
	tcase_add_test(tc, test_credits_serialize);
	tcase_add_test(tc, test_ncmd_zero_blocks);
	tcase_add_test(tc, test_ncmd_zero_revokes);
	tcase_add_test(tc, test_match_by_opcode);
	tcase_add_test(tc, test_same_opcode_fifo);
	tcase_add_test(tc, test_unmatched_completion);
	tcase_add_test(tc, test_timeout);
	tcase_add_test(tc, test_timeout_restores_credit);
	tcase_add_test(tc, test_ncmd_zero_forever);
	tcase_add_test(tc, test_timeout_several);
	tcase_add_test(tc, test_queue_full);
	tcase_add_test(tc, test_forget);
	tcase_add_test(tc, test_send_from_callback);
	tcase_add_test(tc, test_short_completions);
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(tr, setup, teardown);
	tcase_add_test(tr, test_one_report);
	tcase_add_test(tr, test_three_reports);
	tcase_add_test(tr, test_zero_reports);
	tcase_add_test(tr, test_ext_report_legacy);
	tcase_add_test(tr, test_ext_report_types);
	tcase_add_test(tr, test_ext_report_malformed);
	tcase_add_test(tr, test_adv_set_terminated);
	tcase_add_test(tr, test_foreign_cmd);
	tcase_add_test(tr, test_truncated_reports);
	tcase_add_test(tr, test_num_reports_too_large);
	tcase_add_test(tr, test_data_len_over_31);
	tcase_add_test(tr, test_plen_mismatch);
	tcase_add_test(tr, test_zero_length_events);
	tcase_add_test(tr, test_non_event_ignored);
	suite_add_tcase(s, tr);

	tcase_add_checked_fixture(ts, setup, teardown);
	tcase_add_test(ts, test_setup_with_reset);
	tcase_add_test(ts, test_setup_shared_legacy);
	tcase_add_test(ts, test_setup_shared_ext);
	tcase_add_test(ts, test_setup_exclusive_ext);
	tcase_add_test(ts, test_setup_ext_partial);
	tcase_add_test(ts, test_setup_commands_unknown);
	tcase_add_test(ts, test_setup_failure);
	tcase_add_test(ts, test_setup_reset_fails);
	tcase_add_test(ts, test_setup_timeout);
	suite_add_tcase(s, ts);
	return s;
}

CHECK_MAIN(hci_suite)
