/* Lower transport: segmentation and reassembly with the Mesh Profile §8.3
 * sample messages #6-#9 and #24 (copied from shared/vectors/mesh-network.md
 * §3.2, §3.3, §3.4, §3.5 and §6), the SAR timers, acknowledgments, limits and
 * malformed input. Two lower layers talk through a fake network (pump/run)
 * on a fake clock. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "lower.h"
#include "testhex.h"
#include "util.h"

#define OK(expr) ck_assert_int_eq((expr), 0)

#define IV 0x12345678u

/* §3.2 Message #6: Config AppKey Add, 0003 -> 1201, TTL 4, SeqAuth 3129ab */
#define UPPER_6 "ee9dddfd2169326d23f3afdfcfdc18c52fdef772 e0e17308"
#define SEG_6_0 "8026ac01ee9dddfd2169326d23f3afdf"
#define SEG_6_1 "8026ac21cfdc18c52fdef772e0e17308"
/* #7 and #9: the Friend 2345 acks on behalf of 1201 (OBO) */
#define ACK_7 "00a6ac00000002"
#define ACK_9 "00a6ac00000003"
/* §3.5 Message #24: 1234 -> virtual 9736, TTL 3, SeqAuth 07080d, AKF 1 AID 26 SZMIC 1 */
#define UPPER_24 "c3c51d8e476b28e3 aa5001f31c01cea6"
#define SEG_24_0 "e6a03401c3c51d8e476b28e3aa5001f3"
#define SEG_24_1 "e6a034211c01cea6"
/* §3.3 Message #16 and §3.4 #18: unsegmented access */
#define LOWER_16 "0089511bf1d1a81c11dcef"
#define LOWER_18 "665a8bde6d9106ea078a"
/* §3.1 Message #1: unsegmented control, Friend Request */
#define LOWER_1 "034b50057e400000010000"

/* ---- a node: one lower layer and what it did ---- */

#define MAX_SENT 2048
#define MAX_RX (LOWER_PEERS + LOWER_RX_SLOTS + 8)
#define MAX_DONE 16

struct sent {
	bool ctl;
	uint8_t ttl;
	uint32_t seq;
	uint16_t src, dst;
	uint8_t pdu[LOWER_MAX_PDU];
	size_t len;
	uint64_t at;
};

struct got {
	struct lower_msg m;
	uint8_t data[LOWER_MAX_ACCESS];
};

struct node {
	struct lower l;
	uint64_t now;   /* the clock as this node last saw it, for the records */
	uint32_t seq;   /* next alloc_seq */
	bool seq_jump;  /* alloc_seq skips 0x2000 each time */
	uint16_t obo;   /* ops->addr: this address is OBO (0: none) */
	struct sent sent[MAX_SENT];
	unsigned nsent, npumped;
	struct got rx[MAX_RX];
	unsigned nrx;
	unsigned done_handle[MAX_DONE];
	int done_status[MAX_DONE];
	unsigned ndone;
	struct lower_msg resend; /* sent again from tx_done when resend.len */
	int resend_rc;
	unsigned resend_handle;
};

static struct node A, B, C;

static uint32_t m_alloc_seq(void *ctx)
{
	struct node *n = ctx;
	uint32_t s = n->seq;

	n->seq += n->seq_jump ? 0x1000 : 1;
	return s;
}

static void m_send(void *ctx, bool ctl, uint8_t ttl, uint32_t seq, uint16_t src, uint16_t dst, const uint8_t *pdu,
		   size_t len)
{
	struct node *n = ctx;
	struct sent *s;

	ck_assert_uint_lt(n->nsent, MAX_SENT);
	ck_assert_uint_ge(len, 1);
	ck_assert_uint_le(len, ctl ? 12 : 16);
	ck_assert_uint_le(seq, 0xffffff);
	s = &n->sent[n->nsent++];
	s->ctl = ctl;
	s->ttl = ttl;
	s->seq = seq;
	s->src = src;
	s->dst = dst;
	memcpy(s->pdu, pdu, len);
	s->len = len;
	s->at = n->now;
}

static void m_receive(void *ctx, const struct lower_msg *m)
{
	struct node *n = ctx;
	struct got *g;

	ck_assert_uint_lt(n->nrx, MAX_RX);
	ck_assert_uint_le(m->len, LOWER_MAX_ACCESS);
	g = &n->rx[n->nrx++];
	g->m = *m;
	memcpy(g->data, m->data, m->len);
	g->m.data = g->data;
}

static void m_tx_done(void *ctx, unsigned handle, int status)
{
	struct node *n = ctx;

	ck_assert_uint_lt(n->ndone, MAX_DONE);
	n->done_handle[n->ndone] = handle;
	n->done_status[n->ndone] = status;
	n->ndone++;
	if (n->resend.len) {
		n->resend.seq_auth = m_alloc_seq(n);
		n->resend_rc = lower_send(&n->l, n->now, &n->resend, false, &n->resend_handle);
		n->resend.len = 0;
	}
}

static enum lower_addr m_addr(void *ctx, uint16_t dst)
{
	struct node *n = ctx;

	if (n->obo && dst == n->obo)
		return LOWER_ADDR_OBO;
	if (dst & 0x8000)
		return LOWER_ADDR_OURS;
	return dst >= n->l.cfg.unicast && dst < n->l.cfg.unicast + n->l.cfg.elements ? LOWER_ADDR_OURS
										      : LOWER_ADDR_OTHER;
}

static const struct lower_ops ops = {
	.alloc_seq = m_alloc_seq,
	.send = m_send,
	.receive = m_receive,
	.tx_done = m_tx_done,
};

static const struct lower_ops ops_addr = {
	.alloc_seq = m_alloc_seq,
	.send = m_send,
	.receive = m_receive,
	.tx_done = m_tx_done,
	.addr = m_addr,
};

static void node_init(struct node *n, uint16_t unicast, uint8_t elements, uint8_t ack_ttl, uint32_t seq)
{
	struct lower_config cfg = { .unicast = unicast, .elements = elements, .ack_ttl = ack_ttl };

	memset(n, 0, sizeof(*n));
	n->seq = seq;
	lower_init(&n->l, &cfg, &ops, n);
}

static void setup(void)
{
	memset(&A, 0, sizeof(A));
	memset(&B, 0, sizeof(B));
	memset(&C, 0, sizeof(C));
}

/* ---- the fake network ---- */

static void input(struct node *n, uint64_t now, bool ctl, uint8_t ttl, uint32_t seq, uint16_t src, uint16_t dst,
		  const uint8_t *pdu, size_t len)
{
	n->now = now;
	lower_input(&n->l, now, ctl, ttl, seq, src, dst, IV, pdu, len);
}

/* A lower transport PDU from a literal, through an exact heap copy. */
static void input_hex(struct node *n, uint64_t now, bool ctl, uint8_t ttl, uint32_t seq, uint16_t src,
		      uint16_t dst, const char *hex)
{
	struct bytes b = hx(hex);
	uint8_t *p = exact_copy(b.b, b.len);

	input(n, now, ctl, ttl, seq, src, dst, p, b.len);
	free(p);
}

static void tick(struct node *n, uint64_t now)
{
	n->now = now;
	lower_tick(&n->l, now);
}

/* Which PDUs the network loses: by the sender and the index of the PDU in
 * its sent[] list. */
typedef bool (*drop_fn)(const struct node *from, unsigned idx);

/* Carry every PDU not yet carried from a to b and from b to a, until both are quiet. */
static void pump(struct node *a, struct node *b, uint64_t now, drop_fn drop)
{
	bool more = true;

	while (more) {
		more = false;
		for (int k = 0; k < 2; k++) {
			struct node *from = k ? b : a, *to = k ? a : b;

			while (from->npumped < from->nsent) {
				unsigned idx = from->npumped++;
				const struct sent *s = &from->sent[idx];
				uint8_t *p;

				more = true;
				if (drop && drop(from, idx))
					continue;
				p = exact_copy(s->pdu, s->len);
				input(to, now, s->ctl, s->ttl, s->seq, s->src, s->dst, p, s->len);
				free(p);
			}
		}
	}
}

/* Pump, then jump to each next deadline of either node and tick both, until
 * no timer is left before until. Returns the time reached. */
static uint64_t run(struct node *a, struct node *b, uint64_t now, uint64_t until, drop_fn drop)
{
	for (;;) {
		uint64_t d;

		pump(a, b, now, drop);
		d = min_deadline(lower_next_deadline(&a->l), lower_next_deadline(&b->l));
		if (d == NO_DEADLINE || d > until)
			return now;
		if (d > now)
			now = d;
		tick(a, now);
		tick(b, now);
	}
}

static void expect_sent(const struct node *n, unsigned i, bool ctl, uint8_t ttl, uint32_t seq, uint16_t src,
			uint16_t dst, const char *hex)
{
	const struct sent *s;

	ck_assert_uint_lt(i, n->nsent);
	s = &n->sent[i];
	ck_assert_msg(s->ctl == ctl, "PDU %u ctl %d", i, s->ctl);
	ck_assert_uint_eq(s->ttl, ttl);
	ck_assert_uint_eq(s->seq, seq);
	ck_assert_uint_eq(s->src, src);
	ck_assert_uint_eq(s->dst, dst);
	assert_hex_at("PDU", i, s->pdu, s->len, hex);
}

static void fill(uint8_t *p, size_t len, uint8_t seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(seed + i * 13);
}

static struct lower_msg access_msg(uint16_t src, uint16_t dst, uint8_t ttl, uint32_t seq_auth, const uint8_t *data,
				   size_t len)
{
	struct lower_msg m = { .akf = true, .aid = 0x26, .src = src, .dst = dst, .ttl = ttl, .seq_auth = seq_auth,
			       .data = data, .len = len };
	return m;
}

/* Message #6 from A (0003) to 1201 at time 0; its handle. */
static unsigned send_msg6(struct node *a, uint16_t dst)
{
	struct bytes up = hx(UPPER_6);
	struct lower_msg m = { .src = 0x0003, .dst = dst, .ttl = 4, .seq_auth = 0x3129ab, .data = up.b,
			       .len = up.len };
	unsigned h = 0;

	OK(lower_send(&a->l, 0, &m, false, &h));
	ck_assert_uint_ne(h, LOWER_NO_HANDLE);
	return h;
}

/* ---- sample messages ---- */

START_TEST(test_seq_auth)
{
	uint32_t sa = 0;

	/* §6: segment SEQ 3129ac, SeqZero 9ab -> 3129ab */
	ck_assert(lower_seq_auth(0x3129ac, 0x09ab, &sa));
	ck_assert_uint_eq(sa, 0x3129ab);
	ck_assert(lower_seq_auth(0x3129ab, 0x09ab, &sa));
	ck_assert_uint_eq(sa, 0x3129ab);
	/* 8191 past SeqAuth still names it */
	ck_assert(lower_seq_auth(0x3129ab + 0x1fff, 0x09ab, &sa));
	ck_assert_uint_eq(sa, 0x3129ab);
	/* SeqZero above the SEQ's low bits: the previous 8192 block */
	ck_assert(lower_seq_auth(0x2005, 0x1ffe, &sa));
	ck_assert_uint_eq(sa, 0x1ffe);
	/* before SEQ 0 */
	ck_assert(!lower_seq_auth(0x0005, 0x1ffe, &sa));
	ck_assert(lower_seq_auth(0xffffff, 0x1fff, &sa));
	ck_assert_uint_eq(sa, 0xffffff);
}
END_TEST

START_TEST(test_build_ack)
{
	uint8_t p[LOWER_ACK_LEN];

	lower_build_ack(p, true, 0x09ab, 2);
	EXPECT_HEX(p, LOWER_ACK_LEN, ACK_7);
	lower_build_ack(p, false, 0x29ab /* masked */, 0xffffffff);
	EXPECT_HEX(p, LOWER_ACK_LEN, "0026acffffffff");
}
END_TEST

/* Message #6 segmented byte for byte: SEQs 3129ab and 3129ac. */
START_TEST(test_msg6_segmentation)
{
	node_init(&A, 0x0003, 1, 7, 0x3129ac);
	send_msg6(&A, 0x1201);
	ck_assert_uint_eq(A.nsent, 2);
	expect_sent(&A, 0, false, 4, 0x3129ab, 0x0003, 0x1201, SEG_6_0);
	expect_sent(&A, 1, false, 4, 0x3129ac, 0x0003, 0x1201, SEG_6_1);
	/* segment transmission timer: 200 + 50 * TTL */
	ck_assert_uint_eq(lower_next_deadline(&A.l), 400);
	ck_assert_uint_eq(A.l.stats.tx_segments, 2);
}
END_TEST

/* #7 - #9: ack 00000002 -> only segment 0 again with the NEW SEQ 3129ad and
 * the same lower PDU; ack 00000003 -> done. The acks come from the Friend
 * 2345 with OBO set. */
START_TEST(test_msg7_to_9_flow)
{
	unsigned h;

	node_init(&A, 0x0003, 1, 7, 0x3129ac);
	h = send_msg6(&A, 0x1201);
	input_hex(&A, 100, true, 0x0b, 0x014835, 0x2345, 0x0003, ACK_7);
	ck_assert_uint_eq(A.l.stats.rx_acks, 1);
	ck_assert_uint_eq(A.nsent, 3);
	expect_sent(&A, 2, false, 4, 0x3129ad, 0x0003, 0x1201, SEG_6_0);
	ck_assert_uint_eq(A.ndone, 0);
	ck_assert_uint_eq(lower_next_deadline(&A.l), 100 + 400); /* restarted */

	input_hex(&A, 200, true, 0x0b, 0x014836, 0x2345, 0x0003, ACK_9);
	ck_assert_uint_eq(A.ndone, 1);
	ck_assert_uint_eq(A.done_handle[0], h);
	ck_assert_int_eq(A.done_status[0], 0);
	ck_assert_uint_eq(A.nsent, 3);
	ck_assert_uint_eq(lower_next_deadline(&A.l), NO_DEADLINE);
	ck_assert_uint_eq(A.l.stats.tx_retransmitted, 1);
	/* the same ack again matches nothing */
	input_hex(&A, 300, true, 0x0b, 0x014837, 0x2345, 0x0003, ACK_9);
	ck_assert_uint_eq(A.l.stats.rx_acks_ignored, 1);
	ck_assert_uint_eq(A.ndone, 1);
}
END_TEST

/* The receiving side of the same exchange: the Friend 2345 of Low Power node
 * 1201 receives segment 1 only, acks 00a6ac00000002 (TTL 0b, SEQ 014835)
 * when its acknowledgment timer (150 + 50 * 4 ms) expires, then segment 0
 * again with SEQ 3129ad completes the message: ack 00000003 at once, and the
 * upper transport PDU is delivered. */
START_TEST(test_msg7_receiver)
{
	struct bytes up = hx(UPPER_6);

	node_init(&B, 0x2345, 1, 0x0b, 0x014835);
	B.obo = 0x1201;
	lower_init(&B.l, &(struct lower_config){ .unicast = 0x2345, .elements = 1, .ack_ttl = 0x0b }, &ops_addr, &B);

	input_hex(&B, 0, false, 4, 0x3129ac, 0x0003, 0x1201, SEG_6_1);
	ck_assert_uint_eq(B.nsent, 0);
	ck_assert_uint_eq(lower_next_deadline(&B.l), 350);
	tick(&B, 349);
	ck_assert_uint_eq(B.nsent, 0);
	tick(&B, 350);
	ck_assert_uint_eq(B.nsent, 1);
	expect_sent(&B, 0, true, 0x0b, 0x014835, 0x2345, 0x0003, ACK_7);
	/* the incomplete timer is left */
	ck_assert_uint_eq(lower_next_deadline(&B.l), 10000);

	input_hex(&B, 600, false, 4, 0x3129ad, 0x0003, 0x1201, SEG_6_0);
	ck_assert_uint_eq(B.nsent, 2);
	expect_sent(&B, 1, true, 0x0b, 0x014836, 0x2345, 0x0003, ACK_9);
	ck_assert_uint_eq(B.nrx, 1);
	ck_assert(!B.rx[0].m.ctl);
	ck_assert(!B.rx[0].m.akf);
	ck_assert_uint_eq(B.rx[0].m.aid, 0);
	ck_assert(!B.rx[0].m.szmic);
	ck_assert_uint_eq(B.rx[0].m.src, 0x0003);
	ck_assert_uint_eq(B.rx[0].m.dst, 0x1201);
	ck_assert_uint_eq(B.rx[0].m.ttl, 4);
	ck_assert_uint_eq(B.rx[0].m.seq_auth, 0x3129ab);
	ck_assert_uint_eq(B.rx[0].m.iv_index, IV);
	ck_assert_uint_eq(B.rx[0].m.len, up.len);
	ck_assert_mem_eq(B.rx[0].data, up.b, up.len);
	ck_assert_uint_eq(lower_next_deadline(&B.l), NO_DEADLINE);
}
END_TEST

/* The same as the destination node itself (no OBO): acks come from 1201. */
START_TEST(test_msg6_receiver_plain)
{
	node_init(&B, 0x1201, 1, 0x0b, 0x000100);
	input_hex(&B, 0, false, 4, 0x3129ac, 0x0003, 0x1201, SEG_6_1);
	tick(&B, 350);
	expect_sent(&B, 0, true, 0x0b, 0x000100, 0x1201, 0x0003, "0026ac00000002");
	input_hex(&B, 600, false, 4, 0x3129ad, 0x0003, 0x1201, SEG_6_0);
	expect_sent(&B, 1, true, 0x0b, 0x000101, 0x1201, 0x0003, "0026ac00000003");
	ck_assert_uint_eq(B.nrx, 1);
}
END_TEST

/* The whole #6-#9 exchange between two lower layers: A loses nothing, the
 * first transmission of segment 0 is lost on the way to B. */
static bool drop_a_first(const struct node *from, unsigned idx)
{
	return from == &A && idx == 0;
}

START_TEST(test_msg6_exchange)
{
	struct bytes up = hx(UPPER_6);

	node_init(&A, 0x0003, 1, 7, 0x3129ac);
	node_init(&B, 0x1201, 1, 0x0b, 0x014835);
	send_msg6(&A, 0x1201);
	run(&A, &B, 0, 60000, drop_a_first);
	/* B acked 00000002 at 350; A sent segment 0 again with 3129ad; B acked 00000003 */
	ck_assert_uint_eq(A.nsent, 3);
	expect_sent(&A, 2, false, 4, 0x3129ad, 0x0003, 0x1201, SEG_6_0);
	ck_assert_uint_eq(A.sent[2].at, 350);
	ck_assert_uint_eq(B.nsent, 2);
	expect_sent(&B, 0, true, 0x0b, 0x014835, 0x1201, 0x0003, "0026ac00000002");
	expect_sent(&B, 1, true, 0x0b, 0x014836, 0x1201, 0x0003, "0026ac00000003");
	ck_assert_uint_eq(A.ndone, 1);
	ck_assert_int_eq(A.done_status[0], 0);
	ck_assert_uint_eq(B.nrx, 1);
	ck_assert_mem_eq(B.rx[0].data, up.b, up.len);
}
END_TEST

/* #24: segmented access with SZMIC 1 to a virtual address: no acks, the
 * segments are sent LOWER_GROUP_SENDS times (new SEQs), then tx_done(0). */
START_TEST(test_msg24_group)
{
	struct bytes up = hx(UPPER_24);
	struct lower_msg m = { .akf = true, .aid = 0x26, .szmic = true, .src = 0x1234, .dst = 0x9736, .ttl = 3,
			       .seq_auth = 0x07080d, .data = up.b, .len = up.len };
	unsigned h = 0;

	ck_assert_uint_eq(LOWER_GROUP_SENDS, 3);
	node_init(&A, 0x1234, 1, 7, 0x07080e);
	node_init(&B, 0x0100, 1, 7, 0x000001);
	OK(lower_send(&A.l, 0, &m, false, &h));
	ck_assert_uint_eq(A.nsent, 2);
	expect_sent(&A, 0, false, 3, 0x07080d, 0x1234, 0x9736, SEG_24_0);
	expect_sent(&A, 1, false, 3, 0x07080e, 0x1234, 0x9736, SEG_24_1);
	ck_assert_uint_eq(lower_next_deadline(&A.l), LOWER_GROUP_INTERVAL_MS);

	run(&A, &B, 0, 60000, NULL);
	ck_assert_uint_eq(A.nsent, 6);
	for (unsigned i = 2; i < 6; i++)
		expect_sent(&A, i, false, 3, 0x07080f + i - 2, 0x1234, 0x9736, i % 2 ? SEG_24_1 : SEG_24_0);
	ck_assert_uint_eq(A.sent[2].at, 50);
	ck_assert_uint_eq(A.sent[4].at, 100);
	ck_assert_uint_eq(A.ndone, 1);
	ck_assert_uint_eq(A.done_handle[0], h);
	ck_assert_int_eq(A.done_status[0], 0);
	ck_assert_uint_eq(A.l.stats.rx_pdus, 0);

	/* B took the virtual address: delivered once, never acked */
	ck_assert_uint_eq(B.nsent, 0);
	ck_assert_uint_eq(B.nrx, 1);
	ck_assert(B.rx[0].m.akf);
	ck_assert_uint_eq(B.rx[0].m.aid, 0x26);
	ck_assert(B.rx[0].m.szmic);
	ck_assert_uint_eq(B.rx[0].m.seq_auth, 0x07080d);
	ck_assert_uint_eq(B.rx[0].m.dst, 0x9736);
	ck_assert_uint_eq(B.rx[0].m.len, up.len);
	ck_assert_mem_eq(B.rx[0].data, up.b, up.len);
	ck_assert_uint_eq(B.l.stats.rx_duplicates, 4);
	ck_assert_uint_eq(lower_next_deadline(&B.l), NO_DEADLINE);
}
END_TEST

/* #16 and #18 go unsegmented, byte for byte, and are delivered as they are. */
START_TEST(test_unsegmented_access)
{
	struct bytes l16 = hx(LOWER_16), l18 = hx(LOWER_18);
	struct lower_msg m16 = { .src = 0x1201, .dst = 0x0003, .ttl = 0x0b, .seq_auth = 0x000006,
				 .data = l16.b + 1, .len = l16.len - 1 };
	struct lower_msg m18 = access_msg(0x1201, 0xffff, 3, 0x000007, l18.b + 1, l18.len - 1);
	unsigned h = 99;

	node_init(&A, 0x1201, 1, 7, 0x100);
	node_init(&B, 0x0003, 1, 7, 0x200);
	OK(lower_send(&A.l, 0, &m16, false, &h));
	ck_assert_uint_eq(h, LOWER_NO_HANDLE);
	OK(lower_send(&A.l, 0, &m18, false, NULL));
	ck_assert_uint_eq(A.nsent, 2);
	expect_sent(&A, 0, false, 0x0b, 0x000006, 0x1201, 0x0003, LOWER_16);
	expect_sent(&A, 1, false, 3, 0x000007, 0x1201, 0xffff, LOWER_18);
	ck_assert_uint_eq(lower_next_deadline(&A.l), NO_DEADLINE);
	pump(&A, &B, 0, NULL);
	ck_assert_uint_eq(B.nrx, 2);
	ck_assert(!B.rx[0].m.akf);
	ck_assert_uint_eq(B.rx[0].m.seq_auth, 6);
	ck_assert_uint_eq(B.rx[0].m.ttl, 0x0b);
	ck_assert_uint_eq(B.rx[0].m.len, 10);
	ck_assert_mem_eq(B.rx[0].data, l16.b + 1, 10);
	ck_assert(B.rx[1].m.akf);
	ck_assert_uint_eq(B.rx[1].m.aid, 0x26);
	ck_assert_uint_eq(B.rx[1].m.dst, 0xffff);
	ck_assert_uint_eq(B.rx[1].m.len, 9);
	ck_assert_uint_eq(A.ndone + B.nsent, 0);

	/* 15 octets fit, 16 do not; SZMIC and force_seg segment anything */
	{
		uint8_t d[16];

		fill(d, sizeof(d), 1);
		m16.data = d;
		m16.len = 15;
		m16.seq_auth = 0x10;
		OK(lower_send(&A.l, 0, &m16, false, &h));
		ck_assert_uint_eq(h, LOWER_NO_HANDLE);
		ck_assert_uint_eq(A.sent[2].len, 16);
		ck_assert_uint_eq(A.sent[2].pdu[0], 0x00);
		m16.len = 16;
		m16.seq_auth = 0x20;
		OK(lower_send(&A.l, 0, &m16, false, &h));
		ck_assert_uint_ne(h, LOWER_NO_HANDLE);
		ck_assert_uint_eq(A.nsent, 5);
		lower_cancel(&A.l, h);
		m16.len = 5;
		m16.seq_auth = 0x30;
		OK(lower_send(&A.l, 0, &m16, true, &h));
		ck_assert_uint_ne(h, LOWER_NO_HANDLE);
		expect_sent(&A, 5, false, 0x0b, 0x30, 0x1201, 0x0003, "8000c000 01 0e 1b 28 35");
		lower_cancel(&A.l, h);
		m16.len = 9;
		m16.szmic = true;
		m16.seq_auth = 0x40;
		OK(lower_send(&A.l, 0, &m16, false, &h));
		ck_assert_uint_ne(h, LOWER_NO_HANDLE);
		expect_sent(&A, 6, false, 0x0b, 0x40, 0x1201, 0x0003, "80810000 01 0e 1b 28 35 42 4f 5c 69");
	}
}
END_TEST

/* Control messages: 11 parameter octets go unsegmented, 12 and more in
 * segments of 8 with the opcode in the first octet and RFU 0. */
START_TEST(test_control)
{
	struct bytes l1 = hx(LOWER_1);
	struct lower_msg m = { .ctl = true, .opcode = 0x03, .src = 0x1201, .dst = 0xfffd, .ttl = 0, .seq_auth = 1,
			       .data = l1.b + 1, .len = l1.len - 1 };
	uint8_t d[20];
	unsigned h;

	node_init(&A, 0x1201, 1, 7, 0x2002);
	node_init(&B, 0x2345, 1, 7, 0x200);
	OK(lower_send(&A.l, 0, &m, false, &h));
	ck_assert_uint_eq(h, LOWER_NO_HANDLE);
	expect_sent(&A, 0, true, 0, 1, 0x1201, 0xfffd, LOWER_1);
	/* no parameters at all */
	m.len = 0;
	m.data = NULL;
	m.opcode = 0x01;
	m.dst = 0x2345;
	OK(lower_send(&A.l, 0, &m, false, &h));
	expect_sent(&A, 1, true, 0, 1, 0x1201, 0x2345, "01");
	ck_assert_int_eq(lower_send(&A.l, 0, &m, true, &h), -EINVAL);

	fill(d, sizeof(d), 0x50);
	m.data = d;
	m.len = 20;
	m.opcode = 0x0a;
	m.ttl = 5;
	m.seq_auth = 0x002001;
	OK(lower_send(&A.l, 0, &m, false, &h));
	ck_assert_uint_eq(A.nsent, 5);
	/* SeqZero 0001, SegN 2 */
	expect_sent(&A, 2, true, 5, 0x002001, 0x1201, 0x2345, "8a000402 505d6a7784919eab");
	expect_sent(&A, 3, true, 5, 0x2002, 0x1201, 0x2345, "8a000422 b8c5d2dfecf90613");
	expect_sent(&A, 4, true, 5, 0x2003, 0x1201, 0x2345, "8a000442 202d3a47");
	ck_assert_uint_eq(lower_next_deadline(&A.l), 200 + 50 * 5);
	pump(&A, &B, 0, NULL);
	ck_assert_uint_eq(B.nrx, 3);
	ck_assert(B.rx[0].m.ctl);
	ck_assert_uint_eq(B.rx[0].m.opcode, 0x03);
	ck_assert_uint_eq(B.rx[0].m.dst, 0xfffd);
	ck_assert_uint_eq(B.rx[0].m.len, 10);
	ck_assert_uint_eq(B.rx[1].m.opcode, 0x01);
	ck_assert_uint_eq(B.rx[1].m.len, 0);
	ck_assert(B.rx[2].m.ctl);
	ck_assert_uint_eq(B.rx[2].m.opcode, 0x0a);
	ck_assert_uint_eq(B.rx[2].m.seq_auth, 0x002001);
	ck_assert_uint_eq(B.rx[2].m.len, 20);
	ck_assert_mem_eq(B.rx[2].data, d, 20);
	/* completed: acked at once, and A is done */
	expect_sent(&B, 0, true, 7, 0x200, 0x2345, 0x1201, "00000400000007");
	ck_assert_uint_eq(A.ndone, 1);
	ck_assert_int_eq(A.done_status[0], 0);

	/* 11 octets unsegmented, 12 segmented */
	m.len = 11;
	m.seq_auth = 0x3000;
	OK(lower_send(&A.l, 0, &m, false, &h));
	ck_assert_uint_eq(h, LOWER_NO_HANDLE);
	m.len = 12;
	m.seq_auth = 0x3001;
	A.seq = 0x3002;
	OK(lower_send(&A.l, 0, &m, false, &h));
	ck_assert_uint_ne(h, LOWER_NO_HANDLE);
	ck_assert_uint_eq(A.nsent, 8);
	expect_sent(&A, 6, true, 5, 0x3001, 0x1201, 0x2345, "8a400401 505d6a7784919eab");
	expect_sent(&A, 7, true, 5, 0x3002, 0x1201, 0x2345, "8a400421 b8c5d2df");
}
END_TEST

/* ---- reassembly ---- */

/* A message of nseg segments from src to dst as sent by a sender: the
 * lower PDUs are taken from C's sent list. */
static unsigned make_segments(uint16_t src, uint16_t dst, uint32_t seq_auth, size_t len, uint8_t seed,
			      uint8_t *data)
{
	struct lower_msg m;
	unsigned h;

	node_init(&C, src, 1, 7, seq_auth + 1);
	fill(data, len, seed);
	m = access_msg(src, dst, 4, seq_auth, data, len);
	OK(lower_send(&C.l, 0, &m, true, &h));
	return C.nsent;
}

static void input_sent(struct node *n, uint64_t now, const struct sent *s)
{
	uint8_t *p = exact_copy(s->pdu, s->len);

	input(n, now, s->ctl, s->ttl, s->seq, s->src, s->dst, p, s->len);
	free(p);
}

/* Segments in reverse order, each twice, and some again: delivered once,
 * whole; one ack, when complete, with every bit. */
START_TEST(test_reassembly_out_of_order)
{
	uint8_t data[LOWER_MAX_ACCESS];
	unsigned n = make_segments(0x0003, 0x1201, 0x000500, 100, 7, data); /* 9 segments */

	ck_assert_uint_eq(n, 9);
	node_init(&B, 0x1201, 1, 5, 0x1000);
	for (unsigned i = n; i-- > 0;) {
		input_sent(&B, 10 * (n - i), &C.sent[i]);
		input_sent(&B, 10 * (n - i), &C.sent[i]);
		if (i == 4)
			input_sent(&B, 10 * (n - i), &C.sent[8]);
	}
	ck_assert_uint_eq(B.nrx, 1);
	ck_assert_uint_eq(B.rx[0].m.len, 100);
	ck_assert_mem_eq(B.rx[0].data, data, 100);
	ck_assert_uint_eq(B.rx[0].m.seq_auth, 0x000500);
	/* acked when complete, and again for the second copy of segment 0 */
	ck_assert_uint_eq(B.nsent, 2);
	expect_sent(&B, 0, true, 5, 0x1000, 0x1201, 0x0003, "00140000 0001ff");
	expect_sent(&B, 1, true, 5, 0x1001, 0x1201, 0x0003, "00140000 0001ff");
	ck_assert_uint_eq(B.l.stats.rx_duplicates, 10);
	ck_assert_uint_eq(lower_next_deadline(&B.l), NO_DEADLINE);
}
END_TEST

/* Sender and receiver over a network losing some segments: recovered by
 * the ack and the sender's retransmissions. */
static unsigned drop_mask_a; /* drop A's PDU i (i < 32) when bit i set */

static bool drop_by_mask(const struct node *from, unsigned idx)
{
	return from == &A && idx < 32 && (drop_mask_a >> idx & 1);
}

START_TEST(test_lost_segments_recovered)
{
	uint8_t data[LOWER_MAX_ACCESS];
	struct lower_msg m;
	unsigned h;

	node_init(&A, 0x0003, 1, 7, 0x601);
	node_init(&B, 0x1201, 1, 7, 0x9000);
	fill(data, 60, 3); /* 5 segments */
	m = access_msg(0x0003, 0x1201, 2, 0x600, data, 60);
	OK(lower_send(&A.l, 0, &m, false, &h));
	ck_assert_uint_eq(A.nsent, 5);
	drop_mask_a = 1u << 1 | 1u << 3 | 1u << 5; /* segments 1 and 3, then the first resend of 1 */
	run(&A, &B, 0, 60000, drop_by_mask);
	/* ack 0x15 at 250 (150 + 50 * 2); resend 1 (lost) and 3; ack 0x1d at
	 * 250 + 250 (B's ack timer again); resend 1; complete */
	ck_assert_uint_eq(B.nrx, 1);
	ck_assert_mem_eq(B.rx[0].data, data, 60);
	ck_assert_uint_eq(A.ndone, 1);
	ck_assert_int_eq(A.done_status[0], 0);
	ck_assert_uint_eq(A.nsent, 8);
	ck_assert_uint_eq(A.l.stats.tx_retransmitted, 3);
	/* every network PDU has its own SEQ; segment 1 goes out three times */
	for (unsigned i = 0; i < A.nsent; i++)
		ck_assert_uint_eq(A.sent[i].seq, 0x600 + i);
	ck_assert_mem_eq(A.sent[5].pdu, A.sent[1].pdu, A.sent[1].len);
	ck_assert_mem_eq(A.sent[6].pdu, A.sent[3].pdu, A.sent[3].len);
	ck_assert_mem_eq(A.sent[7].pdu, A.sent[1].pdu, A.sent[1].len);
	ck_assert_uint_eq(B.nsent, 3);
	assert_hex_at("ack", 0, B.sent[0].pdu, B.sent[0].len, "00180000000015");
	assert_hex_at("ack", 1, B.sent[1].pdu, B.sent[1].len, "0018000000001d");
	assert_hex_at("ack", 2, B.sent[2].pdu, B.sent[2].len, "0018000000001f");
	ck_assert_uint_eq(lower_next_deadline(&A.l), NO_DEADLINE);
	ck_assert_uint_eq(lower_next_deadline(&B.l), NO_DEADLINE);
}
END_TEST

/* The largest messages, access and control, through a lossy network. */
static bool drop_every_third(const struct node *from, unsigned idx)
{
	return from == &A && idx % 3 == 1 && idx < 60;
}

START_TEST(test_largest_messages)
{
	uint8_t data[LOWER_MAX_ACCESS + 1];
	struct lower_msg m;
	unsigned h;

	node_init(&A, 0x0003, 1, 7, 0x701);
	node_init(&B, 0x1201, 1, 7, 0x9000);
	fill(data, sizeof(data), 9);
	m = access_msg(0x0003, 0x1201, 10, 0x700, data, LOWER_MAX_ACCESS + 1);
	ck_assert_int_eq(lower_send(&A.l, 0, &m, false, &h), -EMSGSIZE);
	m.len = LOWER_MAX_ACCESS;
	OK(lower_send(&A.l, 0, &m, false, &h));
	ck_assert_uint_eq(A.nsent, 32);
	ck_assert_uint_eq(A.sent[31].pdu[3], 0xff); /* SegO 31, SegN 31 */
	run(&A, &B, 0, 600000, drop_every_third);
	ck_assert_uint_eq(B.nrx, 1);
	ck_assert_uint_eq(B.rx[0].m.len, LOWER_MAX_ACCESS);
	ck_assert_mem_eq(B.rx[0].data, data, LOWER_MAX_ACCESS);
	ck_assert_uint_eq(A.ndone, 1);
	ck_assert_int_eq(A.done_status[0], 0);

	m = (struct lower_msg){ .ctl = true, .opcode = 0x7f, .src = 0x0003, .dst = 0x1201, .ttl = 0,
				.seq_auth = A.seq, .data = data, .len = LOWER_MAX_CONTROL + 1 };
	A.seq++;
	ck_assert_int_eq(lower_send(&A.l, 1000000, &m, false, &h), -EMSGSIZE);
	m.len = LOWER_MAX_CONTROL;
	OK(lower_send(&A.l, 1000000, &m, false, &h));
	run(&A, &B, 1000000, 2000000, NULL);
	ck_assert_uint_eq(B.nrx, 2);
	ck_assert(B.rx[1].m.ctl);
	ck_assert_uint_eq(B.rx[1].m.opcode, 0x7f);
	ck_assert_uint_eq(B.rx[1].m.len, LOWER_MAX_CONTROL);
	ck_assert_mem_eq(B.rx[1].data, data, LOWER_MAX_CONTROL);
	ck_assert_uint_eq(A.ndone, 2);
	ck_assert_int_eq(A.done_status[1], 0);
	/* TTL 0 segments: acked with TTL 0 */
	ck_assert_uint_eq(B.sent[B.nsent - 1].ttl, 0);
}
END_TEST

/* ---- acknowledgments for our messages ---- */

START_TEST(test_block_ack_zero_cancels)
{
	unsigned h;

	node_init(&A, 0x0003, 1, 7, 0x3129ac);
	h = send_msg6(&A, 0x1201);
	input_hex(&A, 10, true, 5, 0x100, 0x1201, 0x0003, "0026ac00000000");
	ck_assert_uint_eq(A.ndone, 1);
	ck_assert_uint_eq(A.done_handle[0], h);
	ck_assert_int_eq(A.done_status[0], -ECANCELED);
	ck_assert_uint_eq(lower_next_deadline(&A.l), NO_DEADLINE);
	tick(&A, 100000);
	ck_assert_uint_eq(A.nsent, 2);
	/* the slot is free for the next message to the same node */
	A.seq = 0x3129b0;
	h = send_msg6(&A, 0x1201);
	ck_assert_uint_eq(A.nsent, 4);
}
END_TEST

START_TEST(test_acks_ignored)
{
	node_init(&A, 0x0003, 1, 7, 0x3129ac);
	send_msg6(&A, 0x1201);
	/* another SeqZero */
	input_hex(&A, 10, true, 5, 0x100, 0x1201, 0x0003, "0026b000000003");
	input_hex(&A, 10, true, 5, 0x101, 0x1201, 0x0003, "0026b000000000");
	/* from a node that is not the destination, without OBO */
	input_hex(&A, 10, true, 5, 0x102, 0x2345, 0x0003, "0026ac00000003");
	/* to another address of ours? not the sender: A has only 0003 */
	input_hex(&A, 10, true, 5, 0x103, 0x1201, 0x0004, "0026ac00000003");
	ck_assert_uint_eq(A.l.stats.rx_not_ours, 1);
	ck_assert_uint_eq(A.l.stats.rx_acks_ignored, 3);
	/* bits past SegN 1 */
	input_hex(&A, 10, true, 5, 0x104, 0x1201, 0x0003, "0026ac00000007");
	ck_assert_uint_eq(A.l.stats.rx_invalid, 1);
	/* an access PDU, not an ack (CTL 0) */
	input_hex(&A, 10, false, 5, 0x105, 0x1201, 0x0003, "0026ac00000003");
	ck_assert_uint_eq(A.nrx, 1);
	/* wrong lengths */
	input_hex(&A, 10, true, 5, 0x106, 0x1201, 0x0003, "0026ac000000");
	input_hex(&A, 10, true, 5, 0x107, 0x1201, 0x0003, "0026ac0000000300");
	ck_assert_uint_eq(A.l.stats.rx_short, 1);
	ck_assert_uint_eq(A.l.stats.rx_invalid, 2);
	ck_assert_uint_eq(A.ndone, 0);
	ck_assert_uint_eq(A.nsent, 2);
	ck_assert_uint_eq(A.l.stats.rx_acks, 0);
	/* a duplicate ack with nothing new: nothing resent */
	input_hex(&A, 20, true, 5, 0x108, 0x1201, 0x0003, "0026ac00000001");
	ck_assert_uint_eq(A.nsent, 3);
	input_hex(&A, 30, true, 5, 0x109, 0x1201, 0x0003, "0026ac00000001");
	ck_assert_uint_eq(A.nsent, 3);
	ck_assert_uint_eq(A.l.stats.rx_acks, 2);
	/* the right one */
	input_hex(&A, 40, true, 5, 0x10a, 0x1201, 0x0003, "0026ac00000003");
	ck_assert_uint_eq(A.ndone, 1);
	ck_assert_int_eq(A.done_status[0], 0);
}
END_TEST

/* No ack at all: the unacknowledged segments go out again every 200 + 50 *
 * TTL ms, LOWER_TX_RETRIES times, each with new SEQs; then -ETIMEDOUT. */
START_TEST(test_retry_limit)
{
	unsigned h;
	uint64_t t = 0;

	ck_assert_uint_eq(LOWER_TX_RETRIES, 4);
	node_init(&A, 0x0003, 1, 7, 0x3129ac);
	h = send_msg6(&A, 0x1201);
	for (unsigned r = 1; r <= LOWER_TX_RETRIES; r++) {
		ck_assert_uint_eq(lower_next_deadline(&A.l), t + 400);
		tick(&A, t + 399);
		ck_assert_uint_eq(A.nsent, 2 * r);
		t += 400;
		tick(&A, t);
		ck_assert_uint_eq(A.nsent, 2 * r + 2);
		expect_sent(&A, 2 * r, false, 4, 0x3129ab + 2 * r, 0x0003, 0x1201, SEG_6_0);
		expect_sent(&A, 2 * r + 1, false, 4, 0x3129ac + 2 * r, 0x0003, 0x1201, SEG_6_1);
	}
	ck_assert_uint_eq(A.ndone, 0);
	tick(&A, t + 400);
	ck_assert_uint_eq(A.nsent, 2 + 2 * LOWER_TX_RETRIES);
	ck_assert_uint_eq(A.ndone, 1);
	ck_assert_uint_eq(A.done_handle[0], h);
	ck_assert_int_eq(A.done_status[0], -ETIMEDOUT);
	ck_assert_uint_eq(lower_next_deadline(&A.l), NO_DEADLINE);
}
END_TEST

/* tx_reports: a transmit queue held our segments for long. The segment
 * transmission timer (400 ms here) runs from when the round's last PDU is
 * reported off the air, not from ops->send; LOWER_TX_WAIT_MAX_MS bounds the
 * wait for reports that never come. */
START_TEST(test_timer_from_tx_report)
{
	struct lower_config cfg = { .unicast = 0x0003, .elements = 1, .ack_ttl = 7, .tx_reports = true };

	node_init(&A, 0x0003, 1, 7, 0x3129ac);
	lower_init(&A.l, &cfg, &ops, &A);
	send_msg6(&A, 0x1201);
	ck_assert_uint_eq(A.nsent, 2);
	/* both segments still queued at 400 and long after: nothing again */
	ck_assert_uint_eq(lower_next_deadline(&A.l), LOWER_TX_WAIT_MAX_MS);
	tick(&A, 400);
	tick(&A, 2000);
	ck_assert_uint_eq(A.nsent, 2);
	/* segment 0 leaves at 2500, segment 1 at 3000: the timer starts then */
	lower_tx_sent(&A.l, 2500);
	ck_assert_uint_eq(lower_next_deadline(&A.l), LOWER_TX_WAIT_MAX_MS);
	lower_tx_sent(&A.l, 3000);
	ck_assert_uint_eq(lower_next_deadline(&A.l), 3400);
	tick(&A, 3399);
	ck_assert_uint_eq(A.nsent, 2);
	tick(&A, 3400);
	ck_assert_uint_eq(A.nsent, 4);
	expect_sent(&A, 2, false, 4, 0x3129ad, 0x0003, 0x1201, SEG_6_0);
	/* this round is never reported: it is taken as sent after the bound */
	ck_assert_uint_eq(lower_next_deadline(&A.l), 3400 + LOWER_TX_WAIT_MAX_MS);
	tick(&A, 3400 + LOWER_TX_WAIT_MAX_MS);
	ck_assert_uint_eq(A.nsent, 6);
	ck_assert_uint_eq(A.ndone, 0);

	/* without tx_reports the timer runs from ops->send, as before */
	node_init(&B, 0x0003, 1, 7, 0x3129ac);
	send_msg6(&B, 0x1201);
	ck_assert_uint_eq(lower_next_deadline(&B.l), 400);
	tick(&B, 400);
	ck_assert_uint_eq(B.nsent, 4);
}
END_TEST

/* tx_reports: a segment of a message we completed, arriving again while our
 * ack to its sender is still queued, is not acked once more (each copy of
 * each segment would add an ack to the same queue); once that ack is
 * reported off the air, the next copy is acked again. */
START_TEST(test_reack_waits_for_tx_report)
{
	struct lower_config cfg = { .unicast = 0x1201, .elements = 1, .ack_ttl = 7, .tx_reports = true };

	node_init(&B, 0x1201, 1, 7, 0x100);
	lower_init(&B.l, &cfg, &ops, &B);
	input_hex(&B, 0, false, 4, 0x3129ab, 0x0003, 0x1201, SEG_6_0);
	input_hex(&B, 10, false, 4, 0x3129ac, 0x0003, 0x1201, SEG_6_1);
	ck_assert_uint_eq(B.nrx, 1);
	ck_assert_uint_eq(B.nsent, 1);
	/* the sender did not hear it yet: both segments again, twice */
	input_hex(&B, 460, false, 4, 0x3129ad, 0x0003, 0x1201, SEG_6_0);
	input_hex(&B, 470, false, 4, 0x3129ae, 0x0003, 0x1201, SEG_6_1);
	input_hex(&B, 920, false, 4, 0x3129af, 0x0003, 0x1201, SEG_6_0);
	ck_assert_uint_eq(B.nsent, 1);
	ck_assert_uint_eq(lower_quiet_deadline(&B.l), 920 + LOWER_REACK_BASE_MS + LOWER_REACK_TTL_MS * 4);
	/* our ack left: a copy after that is acked again, with every bit */
	lower_tx_sent(&B.l, 1000);
	input_hex(&B, 1380, false, 4, 0x3129b0, 0x0003, 0x1201, SEG_6_1);
	ck_assert_uint_eq(B.nsent, 2);
	expect_sent(&B, 1, true, 7, 0x101, 0x1201, 0x0003, "0026ac00000003");
	input_hex(&B, 1390, false, 4, 0x3129b1, 0x0003, 0x1201, SEG_6_0);
	ck_assert_uint_eq(B.nsent, 2);
	ck_assert_uint_eq(B.nrx, 1);
}
END_TEST

/* An ack with progress resends the rest at once and renews the retry budget. */
START_TEST(test_partial_ack_progress)
{
	uint8_t data[48];
	struct lower_msg m;
	unsigned h;

	node_init(&A, 0x0003, 1, 7, 0x801);
	fill(data, sizeof(data), 1);
	m = access_msg(0x0003, 0x1201, 0, 0x800, data, sizeof(data)); /* 4 segments, timer 200 */
	OK(lower_send(&A.l, 0, &m, false, &h));
	tick(&A, 200);
	tick(&A, 400);
	tick(&A, 600);
	ck_assert_uint_eq(A.nsent, 4 * 4);
	ck_assert_uint_eq(A.l.tx[0].left, 1);
	input_hex(&A, 650, true, 5, 0x100, 0x1201, 0x0003, "00200000000005");
	ck_assert_uint_eq(A.nsent, 4 * 4 + 2);
	ck_assert_uint_eq(A.sent[16].pdu[3], 0x23); /* SegO 1 */
	ck_assert_uint_eq(A.sent[17].pdu[3], 0x63); /* SegO 3 */
	ck_assert_uint_eq(lower_next_deadline(&A.l), 850);
	for (unsigned r = 0; r < LOWER_TX_RETRIES; r++)
		tick(&A, 850 + 200 * r);
	ck_assert_uint_eq(A.nsent, 18 + 2 * LOWER_TX_RETRIES);
	ck_assert_uint_eq(A.ndone, 0);
	tick(&A, 850 + 200 * LOWER_TX_RETRIES);
	ck_assert_uint_eq(A.ndone, 1);
	ck_assert_int_eq(A.done_status[0], -ETIMEDOUT);
}
END_TEST

/* SEQs that run more than 8191 past SeqAuth cannot be used: -EOVERFLOW. */
START_TEST(test_seq_window)
{
	uint8_t data[40];
	struct lower_msg m;
	unsigned h;

	node_init(&A, 0x0003, 1, 7, 0x901);
	A.seq_jump = true; /* 0x901, 0x1901, 0x2901 */
	fill(data, sizeof(data), 1);
	m = access_msg(0x0003, 0x1201, 0, 0x900, data, sizeof(data)); /* 4 segments */
	OK(lower_send(&A.l, 0, &m, false, &h));
	ck_assert_uint_eq(A.nsent, 3);
	ck_assert_uint_eq(lower_next_deadline(&A.l), 0);
	ck_assert_uint_eq(A.ndone, 0);
	tick(&A, 0);
	ck_assert_uint_eq(A.ndone, 1);
	ck_assert_int_eq(A.done_status[0], -EOVERFLOW);

	/* SEQ exhausted */
	node_init(&A, 0x0003, 1, 7, 0x1000000);
	m.seq_auth = 0xffffff;
	OK(lower_send(&A.l, 0, &m, false, &h));
	ck_assert_uint_eq(A.nsent, 1);
	tick(&A, 1);
	ck_assert_int_eq(A.done_status[0], -EOVERFLOW);
}
END_TEST

START_TEST(test_send_errors)
{
	uint8_t data[20] = { 0 };
	struct lower_msg m = access_msg(0x0003, 0x1201, 4, 0x100, data, 20);
	struct lower_msg bad;
	struct lower bare;
	unsigned h = 77, last = 0;

	node_init(&A, 0x0003, 1, 7, 0x1000);
	ck_assert_int_eq(lower_send(&A.l, 0, NULL, false, &h), -EINVAL);
	ck_assert_uint_eq(h, LOWER_NO_HANDLE);
	bad = m, bad.data = NULL;
	ck_assert_int_eq(lower_send(&A.l, 0, &bad, false, &h), -EINVAL);
	bad = m, bad.ttl = 128;
	ck_assert_int_eq(lower_send(&A.l, 0, &bad, false, &h), -EINVAL);
	bad = m, bad.seq_auth = 0x1000000;
	ck_assert_int_eq(lower_send(&A.l, 0, &bad, false, &h), -EINVAL);
	bad = m, bad.src = 0;
	ck_assert_int_eq(lower_send(&A.l, 0, &bad, false, &h), -EINVAL);
	bad = m, bad.src = 0xc000;
	ck_assert_int_eq(lower_send(&A.l, 0, &bad, false, &h), -EINVAL);
	bad = m, bad.dst = 0;
	ck_assert_int_eq(lower_send(&A.l, 0, &bad, false, &h), -EINVAL);
	bad = m, bad.aid = 0x40;
	ck_assert_int_eq(lower_send(&A.l, 0, &bad, false, &h), -EINVAL);
	bad = m, bad.akf = false;
	ck_assert_int_eq(lower_send(&A.l, 0, &bad, false, &h), -EINVAL); /* AID without AKF */
	bad = m, bad.len = 4;
	ck_assert_int_eq(lower_send(&A.l, 0, &bad, false, &h), -EINVAL); /* only a TransMIC */
	bad = m, bad.len = 8, bad.szmic = true;
	ck_assert_int_eq(lower_send(&A.l, 0, &bad, false, &h), -EINVAL);
	bad = m, bad.ctl = true, bad.opcode = 0;
	ck_assert_int_eq(lower_send(&A.l, 0, &bad, false, &h), -EINVAL); /* Segment Ack is ours */
	bad = m, bad.ctl = true, bad.opcode = 0x80;
	ck_assert_int_eq(lower_send(&A.l, 0, &bad, false, &h), -EINVAL);
	bad = m, bad.ctl = true, bad.opcode = 1, bad.szmic = true;
	ck_assert_int_eq(lower_send(&A.l, 0, &bad, false, &h), -EINVAL);
	ck_assert_uint_eq(A.nsent, 0);

	/* one segmented message at a time from a SRC to a DST */
	OK(lower_send(&A.l, 0, &m, false, &h));
	ck_assert_int_eq(lower_send(&A.l, 0, &m, false, &h), -EBUSY);
	ck_assert_uint_eq(h, LOWER_NO_HANDLE);
	/* but unsegmented ones go */
	bad = m, bad.len = 10;
	OK(lower_send(&A.l, 0, &bad, false, &h));
	/* every TX slot busy */
	for (uint16_t d = 0x1202; d < 0x1202 + LOWER_TX_SLOTS - 1; d++) {
		bad = m, bad.dst = d;
		OK(lower_send(&A.l, 0, &bad, false, &last));
	}
	bad = m, bad.dst = 0x1300;
	ck_assert_int_eq(lower_send(&A.l, 0, &bad, false, &h), -EBUSY);
	ck_assert_int_eq(lower_cancel(&A.l, last), 0);
	ck_assert_int_eq(lower_cancel(&A.l, last), -ENOENT);
	ck_assert_int_eq(lower_cancel(&A.l, LOWER_NO_HANDLE), -ENOENT);
	OK(lower_send(&A.l, 0, &bad, false, &h));

	/* no ops */
	lower_init(&bare, NULL, NULL, NULL);
	ck_assert_int_eq(lower_send(&bare, 0, &m, false, &h), -EINVAL);
	/* without callbacks: counted, nothing called */
	lower_input(&bare, 0, false, 4, 1, 0x0003, 0xc000, IV, data, 6);
	ck_assert_uint_eq(bare.stats.rx_delivered, 1);
	data[0] = 0x80;
	lower_input(&bare, 0, false, 4, 2, 0x0003, 0x0001, IV, data, 16);
	ck_assert_uint_eq(bare.stats.rx_not_ours, 1);
	lower_tick(&bare, 100000);
}
END_TEST

/* tx_done may send the next message at once. */
START_TEST(test_send_from_tx_done)
{
	uint8_t data[20];
	unsigned h;

	node_init(&A, 0x0003, 1, 7, 0x3129ac);
	node_init(&B, 0x1201, 1, 7, 0x100);
	fill(data, sizeof(data), 1);
	h = send_msg6(&A, 0x1201);
	A.resend = access_msg(0x0003, 0x1201, 4, 0, data, sizeof(data)); /* SeqAuth: the next SEQ */
	run(&A, &B, 0, 60000, NULL);
	ck_assert_uint_eq(A.ndone, 2);
	ck_assert_uint_eq(A.done_handle[0], h);
	ck_assert_int_eq(A.resend_rc, 0);
	ck_assert_uint_eq(A.done_handle[1], A.resend_handle);
	ck_assert_int_eq(A.done_status[1], 0);
	ck_assert_uint_eq(B.nrx, 2);
	ck_assert_uint_eq(B.rx[1].m.seq_auth, A.done_status[1] == 0 ? 0x3129ad : 0);
}
END_TEST

/* ---- receiver timers and limits ---- */

START_TEST(test_incomplete_timer)
{
	uint8_t data[LOWER_MAX_ACCESS];
	unsigned n = make_segments(0x0003, 0x1201, 0x000700, 30, 1, data); /* 3 segments */

	ck_assert_uint_eq(n, 3);
	node_init(&B, 0x1201, 1, 7, 0x100);
	input_sent(&B, 0, &C.sent[0]);
	ck_assert_uint_eq(lower_next_deadline(&B.l), 150 + 50 * 4);
	tick(&B, 350);
	expect_sent(&B, 0, true, 7, 0x100, 0x1201, 0x0003, "001c0000000001");
	ck_assert_uint_eq(lower_next_deadline(&B.l), 10000);
	/* a new segment restarts it; a duplicate does not */
	input_sent(&B, 5000, &C.sent[1]);
	input_sent(&B, 9000, &C.sent[1]);
	ck_assert_uint_eq(lower_next_deadline(&B.l), 5350); /* the ack timer again */
	tick(&B, 5350);
	expect_sent(&B, 1, true, 7, 0x101, 0x1201, 0x0003, "001c0000000003");
	ck_assert_uint_eq(lower_next_deadline(&B.l), 15000);
	tick(&B, 14999);
	ck_assert_uint_eq(B.l.stats.rx_incomplete, 0);
	tick(&B, 15000);
	ck_assert_uint_eq(B.l.stats.rx_incomplete, 1);
	ck_assert_uint_eq(lower_next_deadline(&B.l), NO_DEADLINE);
	/* the rest of that message is ignored now */
	input_sent(&B, 15001, &C.sent[2]);
	ck_assert_uint_eq(B.l.stats.rx_old, 1);
	ck_assert_uint_eq(B.nrx, 0);
	ck_assert_uint_eq(B.nsent, 2);
	ck_assert_uint_eq(lower_next_deadline(&B.l), NO_DEADLINE);
	/* a newer message from the same source is taken */
	make_segments(0x0003, 0x1201, 0x000710, 10, 1, data);
	input_sent(&B, 16000, &C.sent[0]);
	ck_assert_uint_eq(B.nrx, 1);
}
END_TEST

/* LOWER_RX_SLOTS messages in reassembly at once; one more is refused with
 * BlockAck 0 and taken once a slot is free. */
START_TEST(test_too_many_incoming)
{
	static struct sent first[LOWER_RX_SLOTS + 1], second[LOWER_RX_SLOTS + 1];
	uint8_t data[LOWER_MAX_ACCESS];
	char refusal[15]; /* Segment Ack, SeqZero of the refused message, BlockAck 0 */

	for (unsigned i = 0; i <= LOWER_RX_SLOTS; i++) {
		make_segments((uint16_t)(0x0100 + i), 0x0001, 0x1000 + i, 20, (uint8_t)i, data);
		first[i] = C.sent[0];
		second[i] = C.sent[1];
	}
	node_init(&B, 0x0001, 1, 7, 0x100);
	for (unsigned i = 0; i < LOWER_RX_SLOTS; i++)
		input_sent(&B, 0, &first[i]);
	ck_assert_uint_eq(B.l.stats.rx_no_slot, 0);
	input_sent(&B, 0, &first[LOWER_RX_SLOTS]);
	ck_assert_uint_eq(B.l.stats.rx_no_slot, 1);
	ck_assert_uint_eq(B.nsent, 1);
	snprintf(refusal, sizeof(refusal), "00%04x00000000", ((0x1000 + LOWER_RX_SLOTS) & 0x1fff) << 2);
	expect_sent(&B, 0, true, 7, 0x100, 0x0001, 0x0100 + LOWER_RX_SLOTS, refusal);
	/* its second segment is refused too */
	input_sent(&B, 0, &second[LOWER_RX_SLOTS]);
	ck_assert_uint_eq(B.l.stats.rx_no_slot, 2);
	/* complete message 0: a slot is free */
	input_sent(&B, 10, &second[0]);
	ck_assert_uint_eq(B.nrx, 1);
	input_sent(&B, 20, &first[LOWER_RX_SLOTS]);
	input_sent(&B, 20, &second[LOWER_RX_SLOTS]);
	ck_assert_uint_eq(B.nrx, 2);
	ck_assert_uint_eq(B.rx[1].m.src, 0x0100 + LOWER_RX_SLOTS);
	ck_assert_uint_eq(B.l.stats.rx_no_slot, 2);
	/* and the others still complete */
	for (unsigned i = 1; i < LOWER_RX_SLOTS; i++)
		input_sent(&B, 30, &second[i]);
	ck_assert_uint_eq(B.nrx, LOWER_RX_SLOTS + 1);
	ck_assert_uint_eq(lower_next_deadline(&B.l), NO_DEADLINE);
}
END_TEST

/* The receiver's ack is lost: the sender sends the segments again; the
 * receiver acks again but delivers once. */
static bool drop_b_first_ack(const struct node *from, unsigned idx)
{
	return from == &B && idx == 0;
}

START_TEST(test_completed_acked_again)
{
	struct bytes up = hx(UPPER_6);

	node_init(&A, 0x0003, 1, 7, 0x3129ac);
	node_init(&B, 0x1201, 1, 7, 0x100);
	send_msg6(&A, 0x1201);
	run(&A, &B, 0, 60000, drop_b_first_ack);
	ck_assert_uint_eq(B.nrx, 1);
	ck_assert_mem_eq(B.rx[0].data, up.b, up.len);
	ck_assert_uint_eq(A.nsent, 4); /* both segments again at 400 */
	ck_assert_uint_eq(A.sent[2].seq, 0x3129ad);
	ck_assert_uint_eq(A.sent[3].seq, 0x3129ae);
	/* an ack for each repeated segment, each with both bits */
	ck_assert_uint_eq(B.nsent, 3);
	for (unsigned i = 0; i < 3; i++)
		expect_sent(&B, i, true, 7, 0x100 + i, 0x1201, 0x0003, "0026ac00000003");
	ck_assert_uint_eq(A.ndone, 1);
	ck_assert_int_eq(A.done_status[0], 0);
	ck_assert_uint_eq(B.l.stats.rx_duplicates, 2);
	ck_assert_uint_eq(B.l.stats.rx_delivered, 1);
}
END_TEST

/* A sender that missed our ack retransmits a message we completed: each
 * segment of it is acked again with every bit set (Mesh Profile §3.5.3.4),
 * not delivered again, and lower_quiet_deadline() says until when such
 * retransmissions are expected (LOWER_REACK_BASE_MS + LOWER_REACK_TTL_MS *
 * TTL after the last one): bounded, needing no timer, moved on by each. */
START_TEST(test_quiet_after_completed)
{
	const uint64_t window = LOWER_REACK_BASE_MS + LOWER_REACK_TTL_MS * 4; /* the segments' TTL */
	unsigned h;

	ck_assert_uint_eq(window, 900);
	node_init(&B, 0x1201, 1, 7, 0x100);
	ck_assert_uint_eq(lower_quiet_deadline(&B.l), 0); /* nothing ever */

	/* reassembling: not quiet, whatever the time */
	input_hex(&B, 0, false, 4, 0x3129ab, 0x0003, 0x1201, SEG_6_0);
	ck_assert_uint_eq(lower_quiet_deadline(&B.l), NO_DEADLINE);
	input_hex(&B, 10, false, 4, 0x3129ac, 0x0003, 0x1201, SEG_6_1);
	ck_assert_uint_eq(B.nrx, 1);
	ck_assert_uint_eq(B.nsent, 1);
	expect_sent(&B, 0, true, 7, 0x100, 0x1201, 0x0003, "0026ac00000003");
	ck_assert_uint_eq(lower_quiet_deadline(&B.l), 10 + window);
	ck_assert_uint_eq(lower_next_deadline(&B.l), NO_DEADLINE);

	/* our ack was lost: segment 1 again (a new SEQ), then segment 0 */
	input_hex(&B, 460, false, 4, 0x3129ad, 0x0003, 0x1201, SEG_6_1);
	ck_assert_uint_eq(B.nsent, 2);
	expect_sent(&B, 1, true, 7, 0x101, 0x1201, 0x0003, "0026ac00000003");
	ck_assert_uint_eq(lower_quiet_deadline(&B.l), 460 + window);
	input_hex(&B, 910, false, 4, 0x3129ae, 0x0003, 0x1201, SEG_6_0);
	ck_assert_uint_eq(B.nsent, 3);
	expect_sent(&B, 2, true, 7, 0x102, 0x1201, 0x0003, "0026ac00000003");
	ck_assert_uint_eq(lower_quiet_deadline(&B.l), 910 + window);
	ck_assert_uint_eq(B.nrx, 1); /* delivered once */
	ck_assert_uint_eq(lower_next_deadline(&B.l), NO_DEADLINE);

	/* past it the SeqAuth is still kept: a late segment is acked again too */
	tick(&B, 910 + window);
	ck_assert_uint_le(lower_quiet_deadline(&B.l), 910 + window);
	input_hex(&B, 5000, false, 4, 0x3129af, 0x0003, 0x1201, SEG_6_1);
	ck_assert_uint_eq(B.nsent, 4);
	expect_sent(&B, 3, true, 7, 0x103, 0x1201, 0x0003, "0026ac00000003");
	ck_assert_uint_eq(lower_quiet_deadline(&B.l), 5000 + window);
	ck_assert_uint_eq(B.nrx, 1);

	/* a message of our own going: not quiet until it is acknowledged */
	node_init(&A, 0x0003, 1, 7, 0x3129ac);
	h = send_msg6(&A, 0x1201);
	ck_assert_uint_eq(lower_quiet_deadline(&A.l), NO_DEADLINE);
	input_hex(&A, 40, true, 5, 0x200, 0x1201, 0x0003, "0026ac00000003");
	ck_assert_uint_eq(A.ndone, 1);
	ck_assert_uint_eq(A.done_handle[0], h);
	ck_assert_uint_eq(lower_quiet_deadline(&A.l), 0);

	/* a group message completed: nobody waits for an ack */
	node_init(&C, 0x0005, 1, 7, 0x300);
	input_hex(&C, 0, false, 3, 0x07080d, 0x1234, 0x9736, SEG_24_0);
	ck_assert_uint_eq(lower_quiet_deadline(&C.l), NO_DEADLINE);
	input_hex(&C, 5, false, 3, 0x07080e, 0x1234, 0x9736, SEG_24_1);
	ck_assert_uint_eq(C.nrx, 1);
	ck_assert_uint_eq(C.nsent, 0);
	ck_assert_uint_eq(lower_quiet_deadline(&C.l), 0);
}
END_TEST

/* Older SeqAuths from a source are ignored; a newer one replaces an
 * incomplete message; SeqAuths count with the IV Index. */
START_TEST(test_seq_auth_order)
{
	static struct sent m1[3], m2[3], m0[3];
	uint8_t data[LOWER_MAX_ACCESS];

	make_segments(0x0003, 0x0001, 0x5000, 30, 1, data);
	memcpy(m1, C.sent, sizeof(m1));
	make_segments(0x0003, 0x0001, 0x5010, 30, 2, data);
	memcpy(m2, C.sent, sizeof(m2));
	make_segments(0x0003, 0x0001, 0x4000, 30, 3, data);
	memcpy(m0, C.sent, sizeof(m0));
	node_init(&B, 0x0001, 1, 7, 0x100);

	input_sent(&B, 0, &m1[0]);
	input_sent(&B, 0, &m1[1]);
	input_sent(&B, 0, &m2[2]); /* newer: m1 is dropped */
	ck_assert_uint_eq(B.l.stats.rx_superseded, 1);
	input_sent(&B, 0, &m1[2]); /* old now */
	input_sent(&B, 0, &m0[0]); /* older still */
	ck_assert_uint_eq(B.l.stats.rx_old, 2);
	input_sent(&B, 0, &m2[0]);
	input_sent(&B, 0, &m2[1]);
	ck_assert_uint_eq(B.nrx, 1);
	ck_assert_uint_eq(B.rx[0].m.seq_auth, 0x5010);
	/* a smaller SEQ with a newer IV Index is newer */
	{
		const struct sent *s = &m0[0];
		uint8_t *p = exact_copy(s->pdu, s->len);

		lower_input(&B.l, 1, s->ctl, s->ttl, s->seq, s->src, s->dst, IV + 1, p, s->len);
		free(p);
		ck_assert_uint_eq(B.l.stats.rx_old, 2);
		ck_assert_uint_eq(B.l.rx[0].busy || B.l.rx[1].busy, true);
	}
}
END_TEST

/* Segments that disagree with their message are dropped. */
START_TEST(test_inconsistent_segments)
{
	uint8_t data[LOWER_MAX_ACCESS];
	struct sent s;

	make_segments(0x0003, 0x0001, 0x6000, 30, 1, data); /* 3 segments: 12, 12, 6 */
	node_init(&B, 0x0001, 2, 7, 0x100);
	input_sent(&B, 0, &C.sent[0]);

	s = C.sent[1];
	s.pdu[3] = (uint8_t)((s.pdu[3] & 0xe0) | 3); /* SegN 3 */
	input_sent(&B, 0, &s);
	s = C.sent[1];
	s.pdu[1] |= 0x80; /* SZMIC */
	input_sent(&B, 0, &s);
	s = C.sent[1];
	s.pdu[0] ^= 0x01; /* AID */
	input_sent(&B, 0, &s);
	s = C.sent[1];
	s.dst = 0x0002; /* another element of ours */
	input_sent(&B, 0, &s);
	s = C.sent[1];
	s.ctl = true; /* as a control segment (8 octets wide: also too long) */
	s.len = 12;
	input_sent(&B, 0, &s);
	ck_assert_uint_eq(B.l.stats.rx_inconsistent, 5);
	/* the last segment, then again shorter */
	input_sent(&B, 0, &C.sent[2]);
	s = C.sent[2];
	s.len--;
	input_sent(&B, 0, &s);
	ck_assert_uint_eq(B.l.stats.rx_inconsistent, 6);
	ck_assert_uint_eq(B.nrx, 0);
	input_sent(&B, 0, &C.sent[1]);
	ck_assert_uint_eq(B.nrx, 1);
	ck_assert_uint_eq(B.rx[0].m.len, 30);
	ck_assert_mem_eq(B.rx[0].data, data, 30);
}
END_TEST

/* Which destinations are ours: the configured range, or ops->addr. */
START_TEST(test_addresses)
{
	struct bytes l16 = hx(LOWER_16);

	node_init(&B, 0x0010, 3, 7, 0x100);
	input(&B, 0, false, 4, 1, 0x0003, 0x000f, l16.b, l16.len);
	input(&B, 0, false, 4, 2, 0x0003, 0x0013, l16.b, l16.len);
	ck_assert_uint_eq(B.l.stats.rx_not_ours, 2);
	input(&B, 0, false, 4, 3, 0x0003, 0x0010, l16.b, l16.len);
	input(&B, 0, false, 4, 4, 0x0003, 0x0012, l16.b, l16.len);
	input(&B, 0, false, 4, 5, 0x0003, 0xc000, l16.b, l16.len);
	input(&B, 0, false, 4, 6, 0x0003, 0x8123, l16.b, l16.len);
	ck_assert_uint_eq(B.nrx, 4);
	/* SRC must be unicast, DST not unassigned, SEQ 24 bits, TTL 7 bits */
	input(&B, 0, false, 4, 7, 0xc003, 0x0010, l16.b, l16.len);
	input(&B, 0, false, 4, 8, 0x0000, 0x0010, l16.b, l16.len);
	input(&B, 0, false, 4, 9, 0x0003, 0x0000, l16.b, l16.len);
	input(&B, 0, false, 4, 0x1000000, 0x0003, 0x0010, l16.b, l16.len);
	input(&B, 0, false, 0x80, 10, 0x0003, 0x0010, l16.b, l16.len);
	ck_assert_uint_eq(B.l.stats.rx_invalid, 5);
	ck_assert_uint_eq(B.nrx, 4);

	/* a callback: 0x0001 and every group or virtual address */
	node_init(&B, 0x0001, 1, 7, 0x100);
	lower_init(&B.l, &(struct lower_config){ .unicast = 0x0001, .elements = 1, .ack_ttl = 7 }, &ops_addr, &B);
	input(&B, 0, false, 4, 1, 0x0003, 0x0001, l16.b, l16.len);
	input(&B, 0, false, 4, 2, 0x0003, 0x0002, l16.b, l16.len);
	ck_assert_uint_eq(B.nrx, 1);
	ck_assert_uint_eq(B.l.stats.rx_not_ours, 1);
}
END_TEST

/* Sources reassembling keep their records however many other sources come
 * and go; the least recently used finished record is the one replaced. */
START_TEST(test_peer_records)
{
	static struct sent part[LOWER_RX_SLOTS][2], single[LOWER_PEERS + 4];
	uint8_t data[LOWER_MAX_ACCESS];
	const unsigned nsingle = LOWER_PEERS + 4;

	for (unsigned i = 0; i < LOWER_RX_SLOTS; i++) {
		make_segments((uint16_t)(0x0200 + i), 0x0001, 0x100, 20, (uint8_t)i, data);
		memcpy(part[i], C.sent, sizeof(part[i]));
	}
	for (unsigned i = 0; i < nsingle; i++) {
		make_segments((uint16_t)(0x0300 + i), 0x0001, 0x100, 10, (uint8_t)i, data);
		single[i] = C.sent[0];
	}
	node_init(&B, 0x0001, 1, 7, 0x100);
	/* one slot stays free for the single-segment messages */
	for (unsigned i = 0; i < LOWER_RX_SLOTS - 1; i++)
		input_sent(&B, 0, &part[i][0]);
	for (unsigned i = 0; i < nsingle; i++)
		input_sent(&B, 1, &single[i]);
	ck_assert_uint_eq(B.nrx, nsingle);
	for (unsigned i = 0; i < LOWER_RX_SLOTS - 1; i++)
		input_sent(&B, 2, &part[i][1]);
	ck_assert_uint_eq(B.nrx, nsingle + LOWER_RX_SLOTS - 1);
	ck_assert_uint_eq(B.l.stats.rx_old + B.l.stats.rx_no_slot + B.l.stats.rx_inconsistent, 0);
	/* the newest single-segment sources are remembered: acked, not delivered again */
	B.nsent = 0;
	input_sent(&B, 3, &single[nsingle - 1]);
	ck_assert_uint_eq(B.nrx, nsingle + LOWER_RX_SLOTS - 1);
	ck_assert_uint_eq(B.nsent, 1);
	ck_assert_uint_eq(B.l.stats.rx_duplicates, 1);
	/* the oldest was replaced: its message counts as new again (the
	 * upper transport's replay protection is the next line of defence) */
	input_sent(&B, 3, &single[0]);
	ck_assert_uint_eq(B.nrx, nsingle + LOWER_RX_SLOTS);
}
END_TEST

/* A group destination: reassembled and delivered, never acknowledged. */
START_TEST(test_group_rx_no_ack)
{
	uint8_t data[LOWER_MAX_ACCESS];

	make_segments(0x0003, 0xc000, 0x7000, 30, 1, data);
	node_init(&B, 0x0001, 1, 7, 0x100);
	input_sent(&B, 0, &C.sent[0]);
	ck_assert_uint_eq(lower_next_deadline(&B.l), 10000); /* the incomplete timer only */
	input_sent(&B, 100, &C.sent[2]);
	tick(&B, 5000);
	ck_assert_uint_eq(B.nsent, 0);
	input_sent(&B, 6000, &C.sent[1]);
	ck_assert_uint_eq(B.nrx, 1);
	ck_assert_uint_eq(B.rx[0].m.dst, 0xc000);
	input_sent(&B, 6001, &C.sent[1]);
	ck_assert_uint_eq(B.nrx, 1);
	ck_assert_uint_eq(B.nsent, 0);
	/* a refused group message gets no BlockAck 0 either */
}
END_TEST

/* ---- malformed input at every length ---- */

enum outcome { SHORT, INVALID, DELIVERED, HELD, ACKED };

/* Feed pdu[0..n) (n may exceed the literal: zero padded) to a fresh node
 * 0001 that has message #6's twin outstanding (for acks). */
static enum outcome feed(bool ctl, const struct bytes *b, size_t n, uint32_t seq)
{
	uint8_t buf[32] = { 0 };
	uint8_t *p;
	struct bytes up = hx(UPPER_6);
	struct lower_msg m = { .src = 0x0001, .dst = 0x0003, .ttl = 4, .seq_auth = 0x3129ab, .data = up.b,
			       .len = up.len };
	unsigned h;

	node_init(&B, 0x0001, 1, 7, 0x3129ac);
	OK(lower_send(&B.l, 0, &m, false, &h));
	memcpy(buf, b->b, b->len < n ? b->len : n);
	p = exact_copy(buf, n);
	input(&B, 0, ctl, 4, seq, 0x0003, 0x0001, n ? p : NULL, n);
	free(p);
	if (B.l.stats.rx_short)
		return SHORT;
	if (B.l.stats.rx_invalid)
		return INVALID;
	if (B.nrx)
		return DELIVERED;
	if (B.ndone)
		return ACKED;
	ck_assert_msg(lower_next_deadline(&B.l) != NO_DEADLINE, "length %zu: nothing happened", n);
	return HELD;
}

START_TEST(test_truncations)
{
	struct bytes l16 = hx(LOWER_16), seg0 = hx(SEG_6_0), seg1 = hx(SEG_6_1), ack = hx("0026ac00000003"),
		     ctl = hx(LOWER_1), cseg = hx("8a00040050");
	struct bytes one = hx("8000000001020304 0506070809");

	for (size_t n = 0; n <= 20; n++) {
		enum outcome o;

		/* unsegmented access: 6..16 octets */
		o = feed(false, &l16, n, 0x10);
		ck_assert_int_eq(o, n < 6 ? SHORT : n <= 16 ? DELIVERED : INVALID);
		/* segment 0 of 2: exactly 16 octets */
		o = feed(false, &seg0, n, 0x3129ab);
		ck_assert_int_eq(o, n < 5 ? SHORT : n == 16 ? HELD : INVALID);
		/* segment 1 of 2 (the last): 5..16 octets */
		o = feed(false, &seg1, n, 0x3129ac);
		ck_assert_int_eq(o, n < 5 ? SHORT : n <= 16 ? HELD : INVALID);
		/* a single-segment message: more than the TransMIC */
		o = feed(false, &one, n, 0x20);
		ck_assert_int_eq(o, n < 5 ? SHORT : n <= 8 ? INVALID : n <= 16 ? DELIVERED : INVALID);
		/* Segment Ack: exactly 7 */
		o = feed(true, &ack, n, 0x10);
		ck_assert_int_eq(o, n < 7 ? SHORT : n == 7 ? ACKED : INVALID);
		/* unsegmented control: 1..12 octets */
		o = feed(true, &ctl, n, 0x10);
		ck_assert_int_eq(o, n < 1 ? SHORT : n <= 12 ? DELIVERED : INVALID);
		/* a single control segment: 5..12 octets */
		o = feed(true, &cseg, n, 0x2001);
		ck_assert_int_eq(o, n < 5 ? SHORT : n <= 12 ? DELIVERED : INVALID);
	}
}
END_TEST

/* Bad header fields one at a time. */
START_TEST(test_bad_fields)
{
	struct bytes b;

	/* SegO > SegN */
	b = hx("8026ac41cfdc18c52fdef772e0e17308");
	ck_assert_int_eq(feed(false, &b, b.len, 0x3129ac), INVALID);
	/* SZMIC single segment, 8 octets: only a TransMIC */
	b = hx("80800000 0102030405060708");
	ck_assert_int_eq(feed(false, &b, b.len, 0x20), INVALID);
	b = hx("80800000 010203040506070809");
	ck_assert_int_eq(feed(false, &b, b.len, 0x20), DELIVERED);
	/* SeqZero naming a SeqAuth before SEQ 0 */
	b = hx("807ff800 0102030405"); /* SeqZero 1ffe */
	ck_assert_int_eq(feed(false, &b, b.len, 0x000005), INVALID);
	ck_assert_int_eq(feed(false, &b, b.len, 0x002005), DELIVERED);
	/* the control RFU bit is ignored */
	b = hx("8a800000 01");
	ck_assert_int_eq(feed(true, &b, b.len, 0x20), DELIVERED);
	ck_assert(!B.rx[0].m.szmic);
	ck_assert_uint_eq(B.rx[0].m.opcode, 0x0a);
}
END_TEST

/* Random lower transport PDUs, mostly near-valid segments from a few
 * sources, with ticks in between: nothing is read out of bounds (the
 * sanitizer build), deliveries stay within the limits, timers move on. */
static uint32_t rng_state = 12345;

static uint32_t rnd(void)
{
	rng_state = rng_state * 1103515245u + 12345u;
	return rng_state >> 8;
}

START_TEST(test_random_input)
{
	uint8_t data[LOWER_MAX_ACCESS];
	uint64_t now = 0;
	unsigned h;

	node_init(&B, 0x0001, 2, 7, 0x100);
	fill(data, sizeof(data), 3);
	for (unsigned iter = 0; iter < 30000; iter++) {
		uint8_t buf[24];
		size_t len = rnd() % 21;
		bool ctl = rnd() & 1;
		uint16_t src = (uint16_t)(rnd() % 6), dst = (uint16_t)(rnd() % 4);
		uint32_t seq = 0x1000 + rnd() % 0x40;
		uint8_t *p;

		for (size_t i = 0; i < len; i++)
			buf[i] = (uint8_t)rnd();
		if (len && rnd() % 4) { /* a plausible segment header */
			buf[0] |= 0x80;
			buf[1] = (uint8_t)(rnd() & 0x80);
			buf[2] = (uint8_t)(0x40 + (rnd() & 0x0c)); /* SeqZero 0x1000..0x1003 */
			buf[3] = (uint8_t)(rnd() % 3 << 5 | rnd() % 3);
		}
		if (dst == 3)
			dst = 0xc000;
		p = exact_copy(buf, len);
		input(&B, now, ctl, (uint8_t)(rnd() % 8), seq, src, dst, len ? p : NULL, len);
		free(p);
		if (B.nrx > MAX_RX - 2)
			B.nrx = 0;
		if (B.nsent > MAX_SENT - 64)
			B.nsent = 0;
		for (unsigned i = 0; i < B.nrx; i++)
			ck_assert_uint_le(B.rx[i].m.len, B.rx[i].m.ctl ? LOWER_MAX_CONTROL : LOWER_MAX_ACCESS);
		if (rnd() % 16 == 0) {
			struct lower_msg m = access_msg(0x0001, (uint16_t)(1 + rnd() % 5), 0, B.seq++, data,
							16 + rnd() % 100);

			lower_send(&B.l, now, &m, false, &h);
		}
		if (rnd() % 8 == 0) {
			now += rnd() % 3000;
			tick(&B, now);
			ck_assert_uint_gt(lower_next_deadline(&B.l), now);
		}
		B.ndone = 0;
	}
	ck_assert_uint_gt(B.l.stats.rx_delivered, 0);
	ck_assert_uint_gt(B.l.stats.rx_inconsistent, 0);
	ck_assert_uint_gt(B.l.stats.rx_invalid, 0);
}
END_TEST

static Suite *lower_suite(void)
{
	Suite *s = suite_create("lower");
	TCase *tc = tcase_create("core"), *rnd;

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_seq_auth);
	tcase_add_test(tc, test_build_ack);
	tcase_add_test(tc, test_msg6_segmentation);
	tcase_add_test(tc, test_msg7_to_9_flow);
	tcase_add_test(tc, test_msg7_receiver);
	tcase_add_test(tc, test_msg6_receiver_plain);
	tcase_add_test(tc, test_msg6_exchange);
	tcase_add_test(tc, test_msg24_group);
	tcase_add_test(tc, test_unsegmented_access);
	tcase_add_test(tc, test_control);
	tcase_add_test(tc, test_reassembly_out_of_order);
	tcase_add_test(tc, test_lost_segments_recovered);
	tcase_add_test(tc, test_largest_messages);
	tcase_add_test(tc, test_block_ack_zero_cancels);
	tcase_add_test(tc, test_acks_ignored);
	tcase_add_test(tc, test_retry_limit);
	tcase_add_test(tc, test_partial_ack_progress);
	tcase_add_test(tc, test_seq_window);
	tcase_add_test(tc, test_send_errors);
	tcase_add_test(tc, test_send_from_tx_done);
	tcase_add_test(tc, test_incomplete_timer);
	tcase_add_test(tc, test_too_many_incoming);
	tcase_add_test(tc, test_completed_acked_again);
	tcase_add_test(tc, test_timer_from_tx_report);
	tcase_add_test(tc, test_reack_waits_for_tx_report);
	tcase_add_test(tc, test_quiet_after_completed);
	tcase_add_test(tc, test_seq_auth_order);
	tcase_add_test(tc, test_inconsistent_segments);
	tcase_add_test(tc, test_addresses);
	tcase_add_test(tc, test_peer_records);
	tcase_add_test(tc, test_group_rx_no_ack);
	tcase_add_test(tc, test_truncations);
	tcase_add_test(tc, test_bad_fields);
	suite_add_tcase(s, tc);
	/* a bounded loop of random frames: ~1 s of CPU, more under ASan or on a
	 * loaded machine; Check's default 4 s would make that a timed test */
	rnd = tcase_create("random");
	tcase_set_timeout(rnd, 120);
	tcase_add_test(rnd, test_random_input);
	suite_add_tcase(s, rnd);
	return s;
}

CHECK_MAIN(lower_suite)
