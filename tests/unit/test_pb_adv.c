/* PB-ADV link layer: sample frames of the Mesh Profile (§8.7, in
 * tests/lib/sample87.h from shared/vectors/mesh-provisioning.md §2a),
 * reassembly, timers, misuse. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "pb_adv.h"
#include "sample87.h"
#include "testhex.h"
#include "util.h"

/* ---- the sample's transactions (sample87.h: §8.7, LinkID 23af5850) ---- */

struct sample_xact {
	bool from_prov;
	const char *pdu;
	uint8_t fcs;
	const char *frames[3];
	const char *ack;
};

static const struct sample_xact samples[] = {
	{ true, PDU_INVITE, 0x14, { F_INVITE }, F_INVITE_ACK },
	{ false, PDU_CAPS, 0xd6, { F_CAPS }, F_CAPS_ACK },
	{ true, PDU_START, 0x64, { F_START }, F_START_ACK },
	{ true, PDU_PUBKEY_P, 0xd1, { F_PUBP0, F_PUBP1, F_PUBP2 }, F_PUBP_ACK },
	{ false, PDU_PUBKEY_D, 0x10, { F_PUBD0, F_PUBD1, F_PUBD2 }, F_PUBD_ACK },
	{ true, PDU_CONF_P, 0xd1, { F_CONFP }, F_CONFP_ACK },
	{ false, PDU_CONF_D, 0xec, { F_CONFD }, F_CONFD_ACK },
	{ true, PDU_RAND_P, 0xd3, { F_RANDP }, F_RANDP_ACK },
	{ false, PDU_RAND_D, 0x59, { F_RANDD }, F_RANDD_ACK },
	{ true, PDU_DATA, 0x8b, { F_DATA0, F_DATA1 }, F_DATA_ACK },
	{ false, PDU_COMPLETE, 0x3e, { F_COMPLETE }, F_COMPLETE_ACK },
};

/* ---- mock upper layer, one per link ---- */

#define MAX_FRAMES 512

struct side {
	struct pb_adv_link link;
	uint64_t now; /* the fake clock as this side last saw it */
	uint8_t frames[MAX_FRAMES][PB_ADV_MAX_PAYLOAD];
	size_t flen[MAX_FRAMES];
	uint64_t ftime[MAX_FRAMES];
	unsigned fflags[MAX_FRAMES];
	uint32_t fcookie[MAX_FRAMES];
	unsigned nframes;
	unsigned nread; /* frames already put on the air by pump() */
	uint8_t rx[PB_ADV_MAX_PDU];
	size_t rxlen;
	unsigned nrx;
	unsigned opened, acked, closed;
	uint8_t close_reason;
	bool close_by_peer;
	/* reactions from inside callbacks */
	struct bytes reply;       /* sent from receive when reply.len != 0 */
	int reply_rc;
	bool close_on_acked;
	bool relisten;            /* device: listen again from closed */
	uint8_t uuid[16];
};

static int m_send(void *ctx, const uint8_t *p, size_t len, unsigned flags, uint32_t cookie)
{
	struct side *s = ctx;

	ck_assert_uint_lt(s->nframes, MAX_FRAMES);
	s->fflags[s->nframes] = flags;
	s->fcookie[s->nframes] = cookie;
	ck_assert_uint_ge(len, 6);
	ck_assert_uint_le(len, PB_ADV_MAX_PAYLOAD);
	memcpy(s->frames[s->nframes], p, len);
	s->flen[s->nframes] = len;
	s->ftime[s->nframes] = s->now;
	s->nframes++;
	return 0;
}

static void m_opened(void *ctx)
{
	((struct side *)ctx)->opened++;
}

static void m_receive(void *ctx, const uint8_t *pdu, size_t len)
{
	struct side *s = ctx;

	ck_assert_uint_ge(len, 1);
	ck_assert_uint_le(len, PB_ADV_MAX_PDU);
	memcpy(s->rx, pdu, len);
	s->rxlen = len;
	s->nrx++;
	if (s->reply.len)
		s->reply_rc = pb_adv_send(&s->link, s->now, s->reply.b, s->reply.len);
}

static void m_acked(void *ctx)
{
	struct side *s = ctx;

	s->acked++;
	if (s->close_on_acked)
		pb_adv_close(&s->link, s->now, PB_ADV_CLOSE_FAIL);
}

static void m_closed(void *ctx, uint8_t reason, bool by_peer)
{
	struct side *s = ctx;

	s->closed++;
	s->close_reason = reason;
	s->close_by_peer = by_peer;
	ck_assert(!pb_adv_is_open(&s->link));
	if (s->relisten)
		ck_assert_int_eq(pb_adv_listen(&s->link, s->uuid), 0);
}

static const struct pb_adv_ops mock_ops = {
	.send = m_send,
	.opened = m_opened,
	.receive = m_receive,
	.acked = m_acked,
	.closed = m_closed,
};

/* The same with tx-done reports: the test is the bearer and says when. */
static const struct pb_adv_ops txdone_ops = {
	.send = m_send,
	.opened = m_opened,
	.receive = m_receive,
	.acked = m_acked,
	.closed = m_closed,
	.tx_done = true,
};

static struct side *side_new_txdone(enum pb_adv_role role)
{
	struct side *s = calloc(1, sizeof(*s));

	ck_assert_ptr_nonnull(s);
	pb_adv_init(&s->link, role, &txdone_ops, s);
	return s;
}

static struct side *side_new(enum pb_adv_role role)
{
	struct side *s = calloc(1, sizeof(*s));

	ck_assert_ptr_nonnull(s);
	pb_adv_init(&s->link, role, &mock_ops, s);
	return s;
}

static void clear_frames(struct side *s)
{
	s->nframes = 0;
	s->nread = 0;
}

static void assert_frame(const struct side *s, unsigned i, const char *hex)
{
	ck_assert_uint_lt(i, s->nframes);
	assert_hex_at("frame", i, s->frames[i], s->flen[i], hex);
}

static void assert_rx(const struct side *s, const char *hex)
{
	struct bytes want = hx(hex);

	ck_assert_uint_eq(s->rxlen, want.len);
	ck_assert_mem_eq(s->rx, want.b, want.len);
}

/* Feed exactly these bytes, from a heap block of exactly that size so that
 * AddressSanitizer sees any read past the end. */
static void feed_bytes(struct side *to, uint64_t now, const uint8_t *p, size_t len)
{
	uint8_t *copy = exact_copy(p, len);

	to->now = now;
	pb_adv_input(&to->link, now, copy, len);
	free(copy);
}

static void feed(struct side *to, uint64_t now, const char *hex)
{
	struct bytes b = hx(hex);

	feed_bytes(to, now, b.b, b.len);
}

/* Put frame i of from on the air to to. */
static void relay(struct side *from, unsigned i, struct side *to, uint64_t now)
{
	ck_assert_uint_lt(i, from->nframes);
	feed_bytes(to, now, from->frames[i], from->flen[i]);
}

static int send_hex(struct side *s, uint64_t now, const char *hex)
{
	struct bytes b = hx(hex);

	s->now = now;
	return pb_adv_send(&s->link, now, b.b, b.len);
}

static void tick(struct side *s, uint64_t now)
{
	s->now = now;
	pb_adv_tick(&s->link, now);
}

/* A shared air: every frame not yet relayed goes to every other side, until
 * nobody has anything new to say. */
static void pump(struct side **sides, unsigned n, uint64_t now)
{
	bool moved = true;

	while (moved) {
		moved = false;
		for (unsigned i = 0; i < n; i++) {
			while (sides[i]->nread < sides[i]->nframes) {
				unsigned f = sides[i]->nread++;

				for (unsigned j = 0; j < n; j++)
					if (j != i)
						relay(sides[i], f, sides[j], now);
				moved = true;
			}
		}
	}
}

/* Provisioner and device with the sample LinkID and UUID, link open, logs clear. */
static void open_pair(struct side *p, struct side *d, uint64_t now)
{
	struct bytes uuid = hx(UUID);

	ck_assert_int_eq(pb_adv_listen(&d->link, uuid.b), 0);
	p->now = now;
	ck_assert_int_eq(pb_adv_open(&p->link, now, LINK_ID, uuid.b), 0);
	relay(p, 0, d, now);
	relay(d, 0, p, now);
	ck_assert(pb_adv_is_open(&p->link));
	ck_assert(pb_adv_is_open(&d->link));
	clear_frames(p);
	clear_frames(d);
}

/* Run the sample's Invite, Capabilities and Start through an open pair, so
 * that the next transactions are 02 (provisioner) and 81 (device) as in the
 * sample's Public Key frames. Logs clear. */
static void sample_prefix(struct side *p, struct side *d, uint64_t now)
{
	unsigned nrx_p = p->nrx, nrx_d = d->nrx;

	ck_assert_int_eq(send_hex(p, now, PDU_INVITE), 0);
	relay(p, p->nframes - 1, d, now);
	relay(d, d->nframes - 1, p, now);
	ck_assert_int_eq(send_hex(d, now, PDU_CAPS), 0);
	relay(d, d->nframes - 1, p, now);
	relay(p, p->nframes - 1, d, now);
	ck_assert_int_eq(send_hex(p, now, PDU_START), 0);
	relay(p, p->nframes - 1, d, now);
	relay(d, d->nframes - 1, p, now);
	ck_assert_uint_eq(p->nrx, nrx_p + 1);
	ck_assert_uint_eq(d->nrx, nrx_d + 2);
	ck_assert_uint_eq(pb_adv_next_deadline(&p->link), NO_DEADLINE);
	ck_assert_uint_eq(pb_adv_next_deadline(&d->link), NO_DEADLINE);
	ck_assert_uint_eq(p->link.tx_next, 0x02);
	ck_assert_uint_eq(d->link.tx_next, 0x81);
	clear_frames(p);
	clear_frames(d);
}

/* ---- the sample, byte for byte ---- */

START_TEST(test_fcs_samples)
{
	static const uint8_t check[] = "123456789";

	for (unsigned i = 0; i < ARRAY_SIZE(samples); i++) {
		struct bytes pdu = hx(samples[i].pdu);

		ck_assert_msg(pb_adv_fcs(pdu.b, pdu.len) == samples[i].fcs, "sample %u: fcs %02x, want %02x", i,
			      pb_adv_fcs(pdu.b, pdu.len), samples[i].fcs);
	}
	/* CRC-8/ROHC (reflected 0x07, init 0xff) has check value 0xd0; FCS = 0xff - crc */
	ck_assert_uint_eq(pb_adv_fcs(check, 9), 0xff - 0xd0);
	ck_assert_uint_eq(pb_adv_fcs(NULL, 0), 0xff - 0xff);
}
END_TEST

START_TEST(test_sample_session)
{
	struct side *p = side_new(PB_ADV_PROVISIONER);
	struct side *d = side_new(PB_ADV_DEVICE);
	struct bytes uuid = hx(UUID);
	uint64_t t = 1000;

	ck_assert_int_eq(pb_adv_listen(&d->link, uuid.b), 0);
	ck_assert(!pb_adv_is_open(&d->link));
	p->now = t;
	ck_assert_int_eq(pb_adv_open(&p->link, t, LINK_ID, uuid.b), 0);
	ck_assert_uint_eq(p->nframes, 1);
	assert_frame(p, 0, F_LINK_OPEN);
	ck_assert_uint_eq(pb_adv_next_deadline(&p->link), t + 500);

	relay(p, 0, d, t += 10);
	ck_assert_uint_eq(d->opened, 1);
	ck_assert(pb_adv_is_open(&d->link));
	ck_assert_uint_eq(d->link.link_id, LINK_ID);
	ck_assert_uint_eq(d->nframes, 1);
	assert_frame(d, 0, F_LINK_ACK);

	relay(d, 0, p, t += 10);
	ck_assert_uint_eq(p->opened, 1);
	ck_assert(pb_adv_is_open(&p->link));
	ck_assert_uint_eq(pb_adv_next_deadline(&p->link), NO_DEADLINE);

	for (unsigned i = 0; i < ARRAY_SIZE(samples); i++) {
		const struct sample_xact *x = &samples[i];
		struct side *tx = x->from_prov ? p : d;
		struct side *rx = x->from_prov ? d : p;
		unsigned nseg = 0, nrx = rx->nrx, acked = tx->acked;

		while (nseg < 3 && x->frames[nseg])
			nseg++;
		clear_frames(p);
		clear_frames(d);
		t += 100;
		ck_assert_int_eq(send_hex(tx, t, x->pdu), 0);
		ck_assert_msg(tx->nframes == nseg, "sample %u: %u frames", i, tx->nframes);
		for (unsigned s = 0; s < nseg; s++)
			assert_frame(tx, s, x->frames[s]);
		ck_assert_uint_eq(pb_adv_next_deadline(&tx->link), t + 500);

		for (unsigned s = 0; s < nseg; s++) {
			ck_assert_uint_eq(rx->nframes, 0);
			ck_assert_uint_eq(rx->nrx, nrx);
			relay(tx, s, rx, t += 5);
		}
		ck_assert_uint_eq(rx->nframes, 1);
		assert_frame(rx, 0, x->ack);
		ck_assert_uint_eq(rx->nrx, nrx + 1);
		assert_rx(rx, x->pdu);

		ck_assert_uint_eq(tx->acked, acked);
		relay(rx, 0, tx, t += 5);
		ck_assert_uint_eq(tx->acked, acked + 1);
		ck_assert_uint_eq(pb_adv_next_deadline(&tx->link), NO_DEADLINE);
	}
	ck_assert_uint_eq(p->nrx, 5);
	ck_assert_uint_eq(d->nrx, 6);

	/* Link Close (Success), three times, 100 ms apart */
	clear_frames(p);
	clear_frames(d);
	p->now = t += 100;
	pb_adv_close(&p->link, t, PB_ADV_CLOSE_SUCCESS);
	ck_assert_uint_eq(p->nframes, 1);
	assert_frame(p, 0, F_LINK_CLOSE);
	ck_assert(!pb_adv_is_open(&p->link));
	ck_assert_uint_eq(p->closed, 0);
	relay(p, 0, d, t);
	ck_assert_uint_eq(d->closed, 1);
	ck_assert(d->close_by_peer);
	ck_assert_uint_eq(d->close_reason, PB_ADV_CLOSE_SUCCESS);
	ck_assert_uint_eq(d->nframes, 0);

	ck_assert_uint_eq(pb_adv_next_deadline(&p->link), t + 100);
	tick(p, t + 99);
	ck_assert_uint_eq(p->nframes, 1);
	tick(p, t + 100);
	ck_assert_uint_eq(p->nframes, 2);
	assert_frame(p, 1, F_LINK_CLOSE);
	ck_assert_uint_eq(p->closed, 0);
	ck_assert_uint_eq(pb_adv_next_deadline(&p->link), t + 200);
	tick(p, t + 200);
	ck_assert_uint_eq(p->nframes, 3);
	assert_frame(p, 2, F_LINK_CLOSE);
	ck_assert_uint_eq(p->closed, 1);
	ck_assert(!p->close_by_peer);
	ck_assert_uint_eq(p->close_reason, PB_ADV_CLOSE_SUCCESS);
	ck_assert_uint_eq(pb_adv_next_deadline(&p->link), NO_DEADLINE);
	tick(p, t + 1000);
	ck_assert_uint_eq(p->nframes, 3);

	/* the repeated Link Close reaches a device that is idle now */
	relay(p, 1, d, t + 100);
	ck_assert_uint_eq(d->closed, 1);
	ck_assert_uint_eq(d->nframes, 0);

	/* nothing was malformed or lost on the way */
	ck_assert_uint_eq(p->link.stats.rx_short + p->link.stats.rx_invalid + p->link.stats.rx_fcs_errors, 0);
	ck_assert_uint_eq(d->link.stats.rx_short + d->link.stats.rx_invalid + d->link.stats.rx_fcs_errors, 0);
	ck_assert_uint_eq(p->link.stats.rx_delivered, 5);
	ck_assert_uint_eq(d->link.stats.rx_delivered, 6);
	free(p);
	free(d);
}
END_TEST

/* ---- reassembly ---- */

START_TEST(test_out_of_order_and_duplicates)
{
	struct side *p = side_new(PB_ADV_PROVISIONER);
	struct side *d = side_new(PB_ADV_DEVICE);
	uint64_t t = 0;
	unsigned long dups;

	open_pair(p, d, t);
	sample_prefix(p, d, t);
	d->nrx = p->nrx = 0;
	dups = d->link.stats.rx_duplicates;
	/* continuations first (kept until the start arrives), each twice */
	feed(d, t, F_PUBP2);
	feed(d, t, F_PUBP1);
	feed(d, t, F_PUBP1);
	feed(d, t, F_PUBP2);
	ck_assert_uint_eq(d->nframes, 0);
	ck_assert_uint_eq(d->nrx, 0);
	ck_assert_uint_eq(d->link.stats.rx_duplicates, dups + 2);
	feed(d, t, F_PUBP0);
	ck_assert_uint_eq(d->nrx, 1);
	assert_rx(d, PDU_PUBKEY_P);
	ck_assert_uint_eq(d->nframes, 1);
	assert_frame(d, 0, F_PUBP_ACK);

	/* another copy of the start right away (the sender's next
	 * advertising event): our ACK is on its way, none is added */
	feed(d, t + PB_ADV_ACK_HOLDOFF_MS - 1, F_PUBP0);
	ck_assert_uint_eq(d->nframes, 1);
	ck_assert_uint_eq(d->link.stats.tx_acks_held, 1);

	/* the retransmission of a delivered transaction: continuations are
	 * ignored, the start is acknowledged again, nothing is delivered again */
	t += PB_ADV_RETRANSMIT_MS;
	feed(d, t, F_PUBP1);
	feed(d, t, F_PUBP2);
	ck_assert_uint_eq(d->nframes, 1);
	feed(d, t, F_PUBP0);
	ck_assert_uint_eq(d->nframes, 2);
	assert_frame(d, 1, F_PUBP_ACK);
	ck_assert_uint_eq(d->nrx, 1);
	ck_assert_uint_eq(d->link.stats.rx_duplicates, dups + 6);

	/* the device's own transaction arrives 1, 0, 2 at the provisioner */
	clear_frames(d);
	ck_assert_int_eq(send_hex(d, t, PDU_PUBKEY_D), 0);
	ck_assert_uint_eq(d->nframes, 3);
	relay(d, 1, p, t);
	relay(d, 0, p, t);
	relay(d, 0, p, t);
	ck_assert_uint_eq(p->nrx, 0);
	ck_assert_uint_eq(p->nframes, 0);
	relay(d, 2, p, t);
	ck_assert_uint_eq(p->nrx, 1);
	assert_rx(p, PDU_PUBKEY_D);
	ck_assert_uint_eq(p->nframes, 1);
	assert_frame(p, 0, F_PUBD_ACK);
	free(p);
	free(d);
}
END_TEST

START_TEST(test_fcs_error)
{
	struct side *p = side_new(PB_ADV_PROVISIONER);
	struct side *d = side_new(PB_ADV_DEVICE);
	struct bytes bad = hx(F_INVITE);
	uint64_t t = 0;

	open_pair(p, d, t);
	ck_assert_int_eq(send_hex(p, t, PDU_INVITE), 0);
	assert_frame(p, 0, F_INVITE);
	bad.b[8] ^= 0x01; /* FCS 14 -> 15 */
	feed_bytes(d, t, bad.b, bad.len);
	ck_assert_uint_eq(d->nframes, 0);
	ck_assert_uint_eq(d->nrx, 0);
	ck_assert_uint_eq(d->link.stats.rx_fcs_errors, 1);
	relay(p, 0, d, t);
	ck_assert_uint_eq(d->nrx, 1);
	assert_rx(d, PDU_INVITE);
	ck_assert_uint_eq(d->nframes, 1);
	assert_frame(d, 0, F_INVITE_ACK);
	relay(d, 0, p, t);
	ck_assert_uint_eq(p->acked, 1);
	clear_frames(p);
	ck_assert_int_eq(send_hex(p, t, PDU_START), 0);
	relay(p, 0, d, t);
	relay(d, 1, p, t);
	ck_assert_uint_eq(p->acked, 2);
	ck_assert_uint_eq(d->nrx, 2);
	clear_frames(p);

	/* a corrupted octet in a continuation: the transaction is dropped
	 * whole, and the sender's retransmission 500 ms later gets through */
	clear_frames(d);
	ck_assert_int_eq(send_hex(p, t, PDU_PUBKEY_P), 0); /* transaction 02, as in the sample */
	ck_assert_uint_eq(p->nframes, 3);
	assert_frame(p, 0, F_PUBP0);
	p->frames[1][10] ^= 0x80;
	relay(p, 0, d, t);
	relay(p, 1, d, t);
	relay(p, 2, d, t);
	ck_assert_uint_eq(d->nframes, 0);
	ck_assert_uint_eq(d->nrx, 2);
	ck_assert_uint_eq(d->link.stats.rx_fcs_errors, 2);
	clear_frames(p);
	tick(p, t + 500);
	ck_assert_uint_eq(p->nframes, 3);
	assert_frame(p, 1, F_PUBP1);
	relay(p, 0, d, t + 500);
	relay(p, 1, d, t + 500);
	ck_assert_uint_eq(d->nrx, 2);
	relay(p, 2, d, t + 500);
	ck_assert_uint_eq(d->nrx, 3);
	assert_rx(d, PDU_PUBKEY_P);
	ck_assert_uint_eq(d->nframes, 1);
	assert_frame(d, 0, F_PUBP_ACK);
	free(p);
	free(d);
}
END_TEST

START_TEST(test_malformed_segments)
{
	static const char *const bad[] = {
		/* TotalLength 67 > PB_ADV_MAX_PDU (SegN 3 would fit it) */
		"23af5850 00 0c 0043 00 0102030405060708090a0b0c0d0e0f1011121314",
		/* TotalLength 0xffff */
		"23af5850 00 fc ffff 00 0102030405060708090a0b0c0d0e0f1011121314",
		/* TotalLength 0 */
		"23af5850 00 00 0000 ff",
		/* TotalLength 0x41 needs SegN 2, not 1 or 3 */
		"23af5850 00 04 0041 d1 032c31a47b5779809ef44cb5eaaf5c3e43d5f8fa",
		"23af5850 00 0c 0041 d1 032c31a47b5779809ef44cb5eaaf5c3e43d5f8fa",
		/* TotalLength 2 with SegN 1 */
		"23af5850 00 04 0002 14 0000",
		/* TotalLength 2 but 1 or 3 octets of data */
		"23af5850 00 00 0002 14 00",
		"23af5850 00 00 0002 14 000000",
		/* TotalLength 21 but only 19 octets in the start */
		"23af5850 00 04 0015 00 0102030405060708090a0b0c0d0e0f10111213",
		/* continuation with index 0, and beyond any PB_ADV_MAX_PDU PDU */
		"23af5850 00 02 00",
		"23af5850 00 0e 00",
		/* unknown bearer opcode 3, Link Close and Link ACK too long */
		"23af5850 00 0f",
		"23af5850 00 0b 00 00",
		"23af5850 00 07 00",
		/* transaction ack with a payload */
		"23af5850 00 01 00",
	};
	struct side *p = side_new(PB_ADV_PROVISIONER);
	struct side *d = side_new(PB_ADV_DEVICE);
	uint64_t t = 0;

	open_pair(p, d, t);
	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
		unsigned long before = d->link.stats.rx_invalid;

		feed(d, t, bad[i]);
		ck_assert_msg(d->link.stats.rx_invalid == before + 1, "frame %u not counted invalid", i);
	}
	ck_assert_uint_eq(d->nframes, 0);
	ck_assert_uint_eq(d->nrx, 0);
	ck_assert_uint_eq(d->closed, 0);
	ck_assert(pb_adv_is_open(&d->link));

	/* transactions 00 and 01 go through; 02 is the sample's Public Key */
	ck_assert_int_eq(send_hex(p, t, PDU_INVITE), 0);
	relay(p, 0, d, t);
	relay(d, 0, p, t);
	ck_assert_int_eq(send_hex(p, t, PDU_START), 0);
	relay(p, 1, d, t);
	relay(d, 1, p, t);
	ck_assert_uint_eq(d->nrx, 2);
	ck_assert_uint_eq(p->acked, 2);
	clear_frames(d);

	/* after the start: index past SegN, wrong continuation lengths */
	feed(d, t, F_PUBP0);
	feed(d, t, "23af5850 02 0e 00");                                            /* index 3 */
	feed(d, t, "23af5850 02 06 ad4a8794cb987e9b03745c78dd919512183898dfbecd");  /* 22 of 23 */
	feed(d, t, "23af5850 02 0a e2408e43871fd021109117bd3ed4eaf8437743715d4f00");/* 23 of 22 */
	feed(d, t, "23af5850 02 0a e2408e43871fd021109117bd3ed4eaf8437743715d");    /* 21 of 22 */
	ck_assert_uint_eq(d->link.stats.rx_invalid, ARRAY_SIZE(bad) + 4);
	/* a start that disagrees with the one received */
	feed(d, t, "23af5850 02 08 0041 d2 032c31a47b5779809ef44cb5eaaf5c3e43d5f8fa");
	ck_assert_uint_eq(d->link.stats.rx_invalid, ARRAY_SIZE(bad) + 5);
	ck_assert_uint_eq(d->nrx, 2);
	feed(d, t, F_PUBP1);
	feed(d, t, F_PUBP2);
	ck_assert_uint_eq(d->nrx, 3);
	assert_rx(d, PDU_PUBKEY_P);
	ck_assert_uint_eq(d->nframes, 1);

	/* a short continuation that came before the start is dropped when the
	 * start shows its length is wrong; the real one still gets in */
	/* (the sample's Provisioning Data, as transaction 03) */
	clear_frames(d);
	feed(d, t, "23af5850 03 06 23356f5cec29"); /* 6 of the 14 octets */
	ck_assert_uint_eq(d->link.stats.rx_invalid, ARRAY_SIZE(bad) + 5);
	feed(d, t, "23af5850 03 04 0022 8b 07d0bd7f4a89a2ff6222af59a90a60ad58acfe31");
	ck_assert_uint_eq(d->link.stats.rx_invalid, ARRAY_SIZE(bad) + 6);
	ck_assert_uint_eq(d->nrx, 3);
	ck_assert_uint_eq(d->nframes, 0);
	feed(d, t, "23af5850 03 06 23356f5cec2973e0ec50783b10c7");
	ck_assert_uint_eq(d->nrx, 4);
	assert_rx(d, PDU_DATA);
	ck_assert_uint_eq(d->nframes, 1);
	assert_frame(d, 0, "23af5850 03 01");
	free(p);
	free(d);
}
END_TEST

/* Every proper prefix of a frame is ignored and counted (short or invalid),
 * changes nothing, and the whole frame afterwards still works. */
enum trunc_case {
	TR_LINK_OPEN,  /* to a listening device */
	TR_LINK_ACK,   /* to an opening provisioner */
	TR_LINK_CLOSE, /* to an open provisioner */
	TR_START,      /* one-segment transaction to the device */
	TR_SEG0,       /* start of a three-segment one */
	TR_SEG1,       /* its continuation after the start */
	TR_SEG2,       /* its last continuation */
	TR_ACK,        /* transaction ack to the provisioner */
	TR_COUNT,
};

START_TEST(test_truncated_inputs)
{
	static const char *const frame[TR_COUNT] = {
		F_LINK_OPEN, F_LINK_ACK, "23af5850000b02", F_INVITE, F_PUBP0, F_PUBP1, F_PUBP2, F_INVITE_ACK,
	};
	enum trunc_case c = (enum trunc_case)_i;
	struct bytes f = hx(frame[c]);
	struct bytes uuid = hx(UUID);

	for (size_t len = 0; len < f.len; len++) {
		struct side *p = side_new(PB_ADV_PROVISIONER);
		struct side *d = side_new(PB_ADV_DEVICE);
		struct side *to = d;
		unsigned long counted;

		switch (c) {
		case TR_LINK_OPEN:
			ck_assert_int_eq(pb_adv_listen(&d->link, uuid.b), 0);
			break;
		case TR_LINK_ACK:
			ck_assert_int_eq(pb_adv_open(&p->link, 0, LINK_ID, uuid.b), 0);
			clear_frames(p);
			to = p;
			break;
		case TR_LINK_CLOSE:
			open_pair(p, d, 0);
			to = p;
			break;
		case TR_START:
			open_pair(p, d, 0);
			break;
		case TR_SEG0:
			open_pair(p, d, 0);
			sample_prefix(p, d, 0);
			d->nrx = d->acked = 0;
			break;
		case TR_SEG1:
			open_pair(p, d, 0);
			sample_prefix(p, d, 0);
			d->nrx = d->acked = 0;
			feed(d, 0, F_PUBP0);
			break;
		case TR_SEG2:
			open_pair(p, d, 0);
			sample_prefix(p, d, 0);
			d->nrx = d->acked = 0;
			feed(d, 0, F_PUBP0);
			feed(d, 0, F_PUBP1);
			break;
		case TR_ACK:
			open_pair(p, d, 0);
			ck_assert_int_eq(send_hex(p, 0, PDU_INVITE), 0);
			clear_frames(p);
			to = p;
			break;
		case TR_COUNT:
			break;
		}
		counted = to->link.stats.rx_short + to->link.stats.rx_invalid;

		feed_bytes(to, 10, f.b, len);
		ck_assert_msg(to->link.stats.rx_short + to->link.stats.rx_invalid == counted + 1,
			      "case %d: %zu octets not counted", c, len);
		ck_assert_uint_eq(to->nframes, 0);
		ck_assert_uint_eq(to->nrx, 0);
		ck_assert_uint_eq(to->acked, 0);
		ck_assert_uint_eq(to->closed, 0);
		ck_assert_uint_eq(to->opened, c == TR_LINK_OPEN || c == TR_LINK_ACK ? 0 : 1);

		/* the whole frame (and the rest of its transaction) still works */
		feed_bytes(to, 20, f.b, f.len);
		switch (c) {
		case TR_LINK_OPEN:
			ck_assert_uint_eq(d->opened, 1);
			assert_frame(d, 0, F_LINK_ACK);
			break;
		case TR_LINK_ACK:
			ck_assert_uint_eq(p->opened, 1);
			ck_assert(pb_adv_is_open(&p->link));
			break;
		case TR_LINK_CLOSE:
			ck_assert_uint_eq(p->closed, 1);
			ck_assert(p->close_by_peer);
			ck_assert_uint_eq(p->close_reason, PB_ADV_CLOSE_FAIL);
			break;
		case TR_START:
			ck_assert_uint_eq(d->nrx, 1);
			assert_rx(d, PDU_INVITE);
			break;
		case TR_SEG0:
			feed(d, 20, F_PUBP1);
			/* fall through */
		case TR_SEG1:
			feed(d, 20, F_PUBP2);
			/* fall through */
		case TR_SEG2:
			ck_assert_uint_eq(d->nrx, 1);
			assert_rx(d, PDU_PUBKEY_P);
			assert_frame(d, 0, F_PUBP_ACK);
			break;
		case TR_ACK:
			ck_assert_uint_eq(p->acked, 1);
			break;
		case TR_COUNT:
			break;
		}
		free(p);
		free(d);
	}
}
END_TEST

/* ---- transactions ---- */

START_TEST(test_repeated_transaction)
{
	struct side *p = side_new(PB_ADV_PROVISIONER);
	struct side *d = side_new(PB_ADV_DEVICE);
	uint64_t t = 0;

	open_pair(p, d, t);
	ck_assert_int_eq(send_hex(p, t, PDU_INVITE), 0);
	relay(p, 0, d, t);
	ck_assert_uint_eq(d->nrx, 1);
	ck_assert_uint_eq(d->nframes, 1);
	/* the ack is lost; the provisioner repeats after 500 ms */
	tick(p, t + 500);
	ck_assert_uint_eq(p->nframes, 2);
	assert_frame(p, 1, F_INVITE);
	relay(p, 1, d, t + 500);
	ck_assert_uint_eq(d->nrx, 1);
	ck_assert_uint_eq(d->nframes, 2);
	assert_frame(d, 1, F_INVITE_ACK);
	ck_assert_uint_eq(d->link.stats.rx_duplicates, 1);
	relay(d, 1, p, t + 500);
	ck_assert_uint_eq(p->acked, 1);
	/* a late copy of the same ack changes nothing */
	relay(d, 0, p, t + 500);
	ck_assert_uint_eq(p->acked, 1);
	ck_assert_uint_eq(pb_adv_next_deadline(&p->link), NO_DEADLINE);
	free(p);
	free(d);
}
END_TEST

START_TEST(test_retransmit_every_500ms)
{
	struct side *p = side_new(PB_ADV_PROVISIONER);
	struct side *d = side_new(PB_ADV_DEVICE);
	uint64_t t = 1000;

	open_pair(p, d, t);
	ck_assert_int_eq(send_hex(p, t, PDU_PUBKEY_P), 0);
	ck_assert_uint_eq(p->nframes, 3);
	ck_assert_uint_eq(p->frames[0][4], 0x00);
	ck_assert_int_eq(send_hex(p, t, PDU_INVITE), -EBUSY);
	for (unsigned r = 1; r <= 4; r++) {
		ck_assert_uint_eq(pb_adv_next_deadline(&p->link), t + 500 * r);
		tick(p, t + 500 * r - 1);
		ck_assert_uint_eq(p->nframes, 3 * r);
		tick(p, t + 500 * r);
		ck_assert_uint_eq(p->nframes, 3 * (r + 1));
		for (unsigned s = 0; s < 3; s++) {
			ck_assert_uint_eq(p->flen[3 * r + s], p->flen[s]);
			ck_assert_mem_eq(p->frames[3 * r + s], p->frames[s], p->flen[s]);
			ck_assert_uint_eq(p->ftime[3 * r + s], t + 500 * r);
		}
	}
	ck_assert_uint_eq(p->link.stats.tx_repeats, 4);
	feed(p, t + 2100, F_PUBP_ACK); /* transaction 02: not ours */
	ck_assert_uint_eq(p->acked, 0);
	feed(p, t + 2100, "23af5850 00 01");
	ck_assert_uint_eq(p->acked, 1);
	ck_assert_uint_eq(pb_adv_next_deadline(&p->link), NO_DEADLINE);
	tick(p, t + 2500);
	tick(p, t + 40000);
	ck_assert_uint_eq(p->nframes, 15);
	ck_assert(pb_adv_is_open(&p->link));
	ck_assert_int_eq(send_hex(p, t + 40000, PDU_INVITE), 0);
	ck_assert_uint_eq(p->frames[15][4], 0x01); /* next transaction number */
	free(p);
	free(d);
}
END_TEST

START_TEST(test_transaction_timeout)
{
	struct side *p = side_new(PB_ADV_PROVISIONER);
	struct side *d = side_new(PB_ADV_DEVICE);
	uint64_t t0 = 5000, t;
	unsigned n;

	open_pair(p, d, 0);
	ck_assert_int_eq(send_hex(p, t0, PDU_INVITE), 0);
	while (!p->closed) {
		t = pb_adv_next_deadline(&p->link);
		ck_assert_uint_ne(t, NO_DEADLINE);
		ck_assert_uint_le(t, t0 + 30000 + 200);
		tick(p, t);
	}
	/* Invite at t0, t0+500, ..., t0+29500, then Link Close (Timeout) three times */
	ck_assert_uint_eq(p->nframes, 60 + 3);
	for (n = 0; n < 60; n++) {
		assert_frame(p, n, F_INVITE);
		ck_assert_uint_eq(p->ftime[n], t0 + 500 * n);
	}
	for (unsigned k = 0; k < 3; k++) {
		assert_frame(p, 60 + k, "23af5850 00 0b 01");
		ck_assert_uint_eq(p->ftime[60 + k], t0 + 30000 + 100 * k);
	}
	ck_assert_uint_eq(p->closed, 1);
	ck_assert_uint_eq(p->close_reason, PB_ADV_CLOSE_TIMEOUT);
	ck_assert(!p->close_by_peer);
	ck_assert_uint_eq(p->acked, 0);
	ck_assert(!pb_adv_is_open(&p->link));
	ck_assert_uint_eq(pb_adv_next_deadline(&p->link), NO_DEADLINE);
	ck_assert_int_eq(send_hex(p, t0 + 40000, PDU_INVITE), -ENOTCONN);

	/* the device hears the close */
	relay(p, 60, d, t0 + 30000);
	ck_assert_uint_eq(d->closed, 1);
	ck_assert(d->close_by_peer);
	ck_assert_uint_eq(d->close_reason, PB_ADV_CLOSE_TIMEOUT);
	free(p);
	free(d);
}
END_TEST

START_TEST(test_open_timeout)
{
	struct side *p = side_new(PB_ADV_PROVISIONER);
	struct bytes uuid = hx(UUID);
	uint64_t t0 = 700;

	p->now = t0;
	ck_assert_int_eq(pb_adv_open(&p->link, t0, LINK_ID, uuid.b), 0);
	ck_assert_int_eq(pb_adv_open(&p->link, t0, LINK_ID, uuid.b), -EBUSY);
	ck_assert_int_eq(send_hex(p, t0, PDU_INVITE), -ENOTCONN);
	while (!p->closed) {
		uint64_t t = pb_adv_next_deadline(&p->link);

		ck_assert_uint_le(t, t0 + 60000);
		tick(p, t);
	}
	ck_assert_uint_eq(p->nframes, 120); /* t0, t0+500, ..., t0+59500 */
	for (unsigned n = 0; n < 120; n++) {
		assert_frame(p, n, F_LINK_OPEN);
		ck_assert_uint_eq(p->ftime[n], t0 + 500 * n);
	}
	ck_assert_uint_eq(p->now, t0 + 60000);
	ck_assert_uint_eq(p->opened, 0);
	ck_assert_uint_eq(p->close_reason, PB_ADV_CLOSE_TIMEOUT);
	ck_assert(!p->close_by_peer);
	ck_assert_uint_eq(pb_adv_next_deadline(&p->link), NO_DEADLINE);
	/* a late Link ACK does not revive it; a new open works */
	feed(p, t0 + 60001, F_LINK_ACK);
	ck_assert_uint_eq(p->opened, 0);
	ck_assert_int_eq(pb_adv_open(&p->link, t0 + 70000, LINK_ID + 1, uuid.b), 0);
	ck_assert_uint_eq(p->nframes, 121);
	ck_assert_uint_eq(get_be32(p->frames[120]), LINK_ID + 1);
	free(p);
}
END_TEST

START_TEST(test_link_close_received)
{
	struct side *p = side_new(PB_ADV_PROVISIONER);
	struct side *d = side_new(PB_ADV_DEVICE);
	struct bytes uuid = hx(UUID);
	uint64_t t = 0;

	open_pair(p, d, t);
	ck_assert_int_eq(send_hex(p, t, PDU_INVITE), 0);
	feed(p, t, "23af5851 00 0b 02"); /* another link */
	ck_assert_uint_eq(p->closed, 0);
	ck_assert_uint_eq(p->link.stats.rx_ignored, 1);
	feed(p, t, "23af5850 00 0b 02");
	ck_assert_uint_eq(p->closed, 1);
	ck_assert(p->close_by_peer);
	ck_assert_uint_eq(p->close_reason, PB_ADV_CLOSE_FAIL);
	ck_assert(!pb_adv_is_open(&p->link));
	ck_assert_uint_eq(pb_adv_next_deadline(&p->link), NO_DEADLINE);
	ck_assert_uint_eq(p->nframes, 1); /* nothing sent in answer */
	feed(p, t, F_INVITE_ACK);
	ck_assert_uint_eq(p->acked, 0);
	ck_assert_int_eq(send_hex(p, t, PDU_INVITE), -ENOTCONN);

	/* the device side, also while still opening for the provisioner */
	feed(d, t, "23af5850 00 0b 00");
	ck_assert_uint_eq(d->closed, 1);
	ck_assert_uint_eq(d->close_reason, 0);
	ck_assert(d->close_by_peer);

	clear_frames(p);
	ck_assert_int_eq(pb_adv_open(&p->link, t, LINK_ID, uuid.b), 0);
	feed(p, t, "23af5850 00 0b 01");
	ck_assert_uint_eq(p->closed, 2);
	ck_assert_uint_eq(p->close_reason, PB_ADV_CLOSE_TIMEOUT);
	ck_assert_uint_eq(pb_adv_next_deadline(&p->link), NO_DEADLINE);
	free(p);
	free(d);
}
END_TEST

START_TEST(test_close_while_opening_and_reuse)
{
	struct side *p = side_new(PB_ADV_PROVISIONER);
	struct side *d = side_new(PB_ADV_DEVICE);
	struct bytes uuid = hx(UUID);

	ck_assert_int_eq(pb_adv_open(&p->link, 0, LINK_ID, uuid.b), 0);
	p->now = 50;
	pb_adv_close(&p->link, 50, PB_ADV_CLOSE_FAIL);
	ck_assert_uint_eq(p->nframes, 2);
	assert_frame(p, 1, "23af5850 00 0b 02");
	/* closing: input ignored, no sending, no second close, no open */
	feed(p, 60, F_LINK_ACK);
	ck_assert_uint_eq(p->opened, 0);
	ck_assert_int_eq(send_hex(p, 60, PDU_INVITE), -ENOTCONN);
	pb_adv_close(&p->link, 60, PB_ADV_CLOSE_SUCCESS);
	ck_assert_uint_eq(p->nframes, 2);
	ck_assert_int_eq(pb_adv_open(&p->link, 60, LINK_ID, uuid.b), -EBUSY);
	tick(p, 150);
	tick(p, 250);
	ck_assert_uint_eq(p->nframes, 4);
	assert_frame(p, 3, "23af5850 00 0b 02");
	ck_assert_uint_eq(p->closed, 1);
	ck_assert_uint_eq(p->close_reason, PB_ADV_CLOSE_FAIL);
	ck_assert(!p->close_by_peer);

	/* a device that listens again from its closed callback takes a new link */
	memcpy(d->uuid, uuid.b, 16);
	d->relisten = true;
	clear_frames(p);
	open_pair(p, d, 300);
	feed(d, 300, "23af5850 00 0b 00");
	ck_assert_uint_eq(d->closed, 1);
	ck_assert_uint_eq(d->link.state, PB_ADV_LISTENING);
	feed(d, 400, "12345678 00 03 " UUID);
	ck_assert_uint_eq(d->opened, 2);
	ck_assert_uint_eq(d->link.link_id, 0x12345678);
	assert_frame(d, d->nframes - 1, "12345678 00 07");

	/* closing a listening device just stops it */
	d->relisten = false;
	feed(d, 500, "12345678 00 0b 00");
	ck_assert_uint_eq(d->closed, 2);
	ck_assert_int_eq(pb_adv_listen(&d->link, uuid.b), 0);
	pb_adv_close(&d->link, 600, PB_ADV_CLOSE_FAIL);
	ck_assert_uint_eq(d->closed, 2);
	ck_assert_uint_eq(d->link.state, PB_ADV_IDLE);
	clear_frames(d);
	feed(d, 700, F_LINK_OPEN);
	ck_assert_uint_eq(d->nframes, 0);
	ck_assert_uint_eq(d->opened, 2);
	free(p);
	free(d);
}
END_TEST

START_TEST(test_device_link_open)
{
	struct side *d = side_new(PB_ADV_DEVICE);
	struct bytes uuid = hx(UUID);

	feed(d, 0, F_LINK_OPEN); /* not listening yet */
	ck_assert_uint_eq(d->nframes, 0);
	ck_assert_int_eq(pb_adv_listen(&d->link, uuid.b), 0);
	ck_assert_int_eq(pb_adv_listen(&d->link, uuid.b), -EBUSY);
	feed(d, 0, "23af5850 00 03 70cf7c9732a345b691494810d2e9cbf5"); /* another UUID */
	feed(d, 0, F_INVITE);                                         /* not open yet */
	ck_assert_uint_eq(d->nframes, 0);
	ck_assert_uint_eq(d->opened, 0);
	ck_assert_uint_eq(d->link.stats.rx_ignored, 3);

	feed(d, 10, F_LINK_OPEN);
	ck_assert_uint_eq(d->opened, 1);
	ck_assert_uint_eq(d->nframes, 1);
	assert_frame(d, 0, F_LINK_ACK);
	/* the provisioner did not hear the ACK and repeats Link Open */
	feed(d, 510, F_LINK_OPEN);
	ck_assert_uint_eq(d->opened, 1);
	ck_assert_uint_eq(d->nframes, 2);
	assert_frame(d, 1, F_LINK_ACK);
	/* another provisioner's Link Open, and its traffic, are ignored */
	feed(d, 520, "11223344 00 03 " UUID);
	feed(d, 520, "11223344 00 00 0002 14 0000");
	ck_assert_uint_eq(d->nframes, 2);
	ck_assert_uint_eq(d->nrx, 0);
	ck_assert_uint_eq(d->link.link_id, LINK_ID);
	/* a device never sends Link Open, and ignores Link ACK */
	feed(d, 530, F_LINK_ACK);
	ck_assert_uint_eq(d->nframes, 2);
	ck_assert_int_eq(pb_adv_open(&d->link, 0, LINK_ID, uuid.b), -EINVAL);
	ck_assert_uint_eq(pb_adv_next_deadline(&d->link), NO_DEADLINE);
	/* our own numbers (0x80-0xff) are not the peer's */
	feed(d, 540, "23af5850 80 00 0002 14 0000");
	ck_assert_uint_eq(d->nrx, 0);
	feed(d, 550, F_INVITE);
	ck_assert_uint_eq(d->nrx, 1);
	free(d);
}
END_TEST

START_TEST(test_implicit_ack)
{
	struct side *p = side_new(PB_ADV_PROVISIONER);
	struct side *d = side_new(PB_ADV_DEVICE);
	uint64_t t = 0;

	open_pair(p, d, t);
	ck_assert_int_eq(send_hex(p, t, PDU_INVITE), 0);
	/* the device answers from its receive callback, before... */
	d->reply = hx(PDU_CAPS);
	relay(p, 0, d, t);
	ck_assert_uint_eq(d->nrx, 1);
	ck_assert_int_eq(d->reply_rc, 0);
	/* ...ack first, then the answer */
	ck_assert_uint_eq(d->nframes, 2);
	assert_frame(d, 0, F_INVITE_ACK);
	assert_frame(d, 1, F_CAPS);
	/* the ack is lost: Capabilities acknowledges the Invite */
	relay(d, 1, p, t + 20);
	ck_assert_uint_eq(p->acked, 1);
	ck_assert_uint_eq(p->nrx, 1);
	assert_rx(p, PDU_CAPS);
	assert_frame(p, 1, F_CAPS_ACK);
	ck_assert_uint_eq(pb_adv_next_deadline(&p->link), NO_DEADLINE);
	ck_assert_int_eq(send_hex(p, t + 30, PDU_START), 0);
	assert_frame(p, 2, F_START);
	/* the late ack of the Invite is no ack of the Start */
	relay(d, 0, p, t + 40);
	ck_assert_uint_eq(p->acked, 1);
	ck_assert_uint_eq(pb_adv_next_deadline(&p->link), t + 530);

	/* closing from the acked callback: the PDU is not delivered */
	d->reply.len = 0;
	relay(p, 2, d, t + 50);
	ck_assert_uint_eq(d->nrx, 2);
	ck_assert_int_eq(send_hex(d, t + 60, PDU_PUBKEY_D), 0);
	clear_frames(p);
	p->close_on_acked = true;
	relay(d, d->nframes - 3, p, t + 70);
	relay(d, d->nframes - 2, p, t + 70);
	relay(d, d->nframes - 1, p, t + 70);
	ck_assert_uint_eq(p->acked, 2);
	ck_assert_uint_eq(p->nrx, 1);
	ck_assert_uint_eq(p->nframes, 2);
	assert_frame(p, 0, F_PUBD_ACK);
	assert_frame(p, 1, "23af5850 00 0b 02");
	ck_assert_uint_eq(p->link.state, PB_ADV_CLOSING);
	free(p);
	free(d);
}
END_TEST

START_TEST(test_send_errors)
{
	struct side *p = side_new(PB_ADV_PROVISIONER);
	struct side *d = side_new(PB_ADV_DEVICE);
	uint8_t big[PB_ADV_MAX_PDU + 1];
	struct bytes uuid = hx(UUID);

	for (unsigned i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7 + 1);
	ck_assert_int_eq(pb_adv_send(&p->link, 0, big, 1), -ENOTCONN);
	ck_assert_int_eq(pb_adv_listen(&p->link, uuid.b), -EINVAL);
	open_pair(p, d, 0);
	ck_assert_int_eq(pb_adv_send(&p->link, 0, big, 0), -EINVAL);
	ck_assert_int_eq(pb_adv_send(&p->link, 0, big, PB_ADV_MAX_PDU + 1), -EMSGSIZE);
	ck_assert_uint_eq(p->nframes, 0);

	/* the largest PDU: 20 + 23 + 23 */
	ck_assert_int_eq(pb_adv_send(&p->link, 0, big, PB_ADV_MAX_PDU), 0);
	ck_assert_int_eq(pb_adv_send(&p->link, 0, big, 1), -EBUSY);
	ck_assert_uint_eq(p->nframes, 3);
	ck_assert_uint_eq(p->flen[0], 9 + 20);
	ck_assert_uint_eq(p->frames[0][5], 2 << 2);
	ck_assert_uint_eq(get_be16(p->frames[0] + 6), PB_ADV_MAX_PDU);
	ck_assert_uint_eq(p->frames[0][8], pb_adv_fcs(big, PB_ADV_MAX_PDU));
	ck_assert_uint_eq(p->flen[1], 6 + 23);
	ck_assert_uint_eq(p->frames[1][5], 1 << 2 | 2);
	ck_assert_uint_eq(p->flen[2], 6 + 23);
	ck_assert_uint_eq(p->frames[2][5], 2 << 2 | 2);
	for (unsigned i = 0; i < 3; i++)
		relay(p, i, d, 0);
	ck_assert_uint_eq(d->nrx, 1);
	ck_assert_uint_eq(d->rxlen, PB_ADV_MAX_PDU);
	ck_assert_mem_eq(d->rx, big, PB_ADV_MAX_PDU);
	relay(d, 0, p, 0);
	ck_assert_uint_eq(p->acked, 1);

	/* exactly 20 and 21 octets: one segment, then two (20 + 1) */
	clear_frames(p);
	ck_assert_int_eq(pb_adv_send(&p->link, 0, big, 20), 0);
	ck_assert_uint_eq(p->nframes, 1);
	relay(p, 0, d, 0);
	relay(d, d->nframes - 1, p, 0);
	ck_assert_int_eq(pb_adv_send(&p->link, 0, big, 21), 0);
	ck_assert_uint_eq(p->nframes, 3);
	ck_assert_uint_eq(p->frames[1][5], 1 << 2);
	ck_assert_uint_eq(p->flen[2], 7);
	relay(p, 1, d, 0);
	relay(p, 2, d, 0);
	ck_assert_uint_eq(d->nrx, 3);
	ck_assert_uint_eq(d->rxlen, 21);
	ck_assert_mem_eq(d->rx, big, 21);
	free(p);
	free(d);
}
END_TEST

START_TEST(test_transaction_number_wrap)
{
	struct side *p = side_new(PB_ADV_PROVISIONER);
	struct side *d = side_new(PB_ADV_DEVICE);
	uint64_t t = 0;

	open_pair(p, d, t);
	for (unsigned i = 0; i < 300; i++) {
		uint8_t pdu[2] = { 0x10, (uint8_t)i };

		clear_frames(p);
		clear_frames(d);
		t += 10;
		p->now = d->now = t;
		ck_assert_int_eq(pb_adv_send(&p->link, t, pdu, 2), 0);
		ck_assert_uint_eq(p->frames[0][4], i & 0x7f);
		relay(p, 0, d, t);
		ck_assert_uint_eq(d->nrx, i + 1);
		ck_assert_uint_eq(d->rx[1], (uint8_t)i);
		ck_assert_uint_eq(d->frames[0][4], i & 0x7f);
		relay(d, 0, p, t);
		ck_assert_uint_eq(p->acked, i + 1);

		pdu[0] = 0x20;
		ck_assert_int_eq(pb_adv_send(&d->link, t, pdu, 2), 0);
		ck_assert_uint_eq(d->frames[1][4], 0x80 | (i & 0x7f));
		relay(d, 1, p, t);
		ck_assert_uint_eq(p->nrx, i + 1);
		ck_assert_uint_eq(p->rx[1], (uint8_t)i);
		relay(p, 1, d, t);
		ck_assert_uint_eq(d->acked, i + 1);
	}
	/* an old number (not the last, not the next) is ignored, not delivered */
	clear_frames(d);
	feed(d, t, "23af5850 05 00 0002 14 0000");
	ck_assert_uint_eq(d->nrx, 300);
	ck_assert_uint_eq(d->nframes, 0);
	free(p);
	free(d);
}
END_TEST

START_TEST(test_two_links)
{
	struct side *pa = side_new(PB_ADV_PROVISIONER), *pb = side_new(PB_ADV_PROVISIONER);
	struct side *da = side_new(PB_ADV_DEVICE), *db = side_new(PB_ADV_DEVICE);
	struct side *air[] = { pa, pb, da, db };
	struct bytes ua = hx(UUID);
	struct bytes ub = hx("00112233445566778899aabbccddeeff");
	uint64_t t = 0;

	ck_assert_int_eq(pb_adv_listen(&da->link, ua.b), 0);
	ck_assert_int_eq(pb_adv_listen(&db->link, ub.b), 0);
	pa->now = pb->now = t;
	ck_assert_int_eq(pb_adv_open(&pa->link, t, 0x11111111, ua.b), 0);
	ck_assert_int_eq(pb_adv_open(&pb->link, t, 0x22222222, ub.b), 0);
	pump(air, 4, t);
	ck_assert_uint_eq(pa->opened + pb->opened + da->opened + db->opened, 4);
	ck_assert_uint_eq(da->link.link_id, 0x11111111);
	ck_assert_uint_eq(db->link.link_id, 0x22222222);

	/* both transactions at once; devices answer from their callbacks */
	da->reply = hx(PDU_CAPS);
	db->reply = hx("01 0200010000000000000000");
	t += 10;
	ck_assert_int_eq(send_hex(pa, t, PDU_INVITE), 0);
	ck_assert_int_eq(send_hex(pb, t, PDU_PUBKEY_P), 0);
	pump(air, 4, t);
	ck_assert_uint_eq(da->nrx, 1);
	assert_rx(da, PDU_INVITE);
	ck_assert_uint_eq(db->nrx, 1);
	assert_rx(db, PDU_PUBKEY_P);
	ck_assert_uint_eq(pa->acked, 1);
	ck_assert_uint_eq(pb->acked, 1);
	ck_assert_uint_eq(pa->nrx, 1);
	assert_rx(pa, PDU_CAPS);
	ck_assert_uint_eq(pb->nrx, 1);
	assert_rx(pb, "01 0200010000000000000000");
	ck_assert_uint_eq(da->acked + db->acked, 2);
	for (unsigned i = 0; i < 4; i++) {
		ck_assert_uint_gt(air[i]->link.stats.rx_ignored, 0); /* they heard each other */
		ck_assert_uint_eq(air[i]->link.stats.rx_invalid + air[i]->link.stats.rx_short, 0);
		ck_assert_uint_eq(pb_adv_next_deadline(&air[i]->link), NO_DEADLINE);
	}

	/* closing one leaves the other alone */
	pa->now = t += 10;
	pb_adv_close(&pa->link, t, PB_ADV_CLOSE_SUCCESS);
	pump(air, 4, t);
	ck_assert_uint_eq(da->closed, 1);
	ck_assert(da->close_by_peer);
	ck_assert_uint_eq(db->closed + pb->closed, 0);
	ck_assert(pb_adv_is_open(&pb->link));
	ck_assert(pb_adv_is_open(&db->link));
	db->reply.len = 0;
	ck_assert_int_eq(send_hex(pb, t, PDU_START), 0);
	pump(air, 4, t);
	ck_assert_uint_eq(db->nrx, 2);
	assert_rx(db, PDU_START);
	ck_assert_uint_eq(da->nrx, 1);
	ck_assert_uint_eq(pb->acked, 2);
	free(pa);
	free(pb);
	free(da);
	free(db);
}
END_TEST

/* Random and mutated sample frames, of every length up to 29, into links in
 * every state: nothing may read out of bounds (run under ASan), every
 * payload is accounted for, and the link stays usable. */
START_TEST(test_random_input)
{
	static const char *const seeds[] = {
		F_LINK_OPEN, F_LINK_ACK, F_LINK_CLOSE, F_INVITE, F_INVITE_ACK, F_PUBP0, F_PUBP1, F_PUBP2, F_CAPS,
	};
	uint32_t rnd = 12345;
	struct bytes uuid = hx(UUID);
	struct bytes seed[ARRAY_SIZE(seeds)];

	for (unsigned i = 0; i < ARRAY_SIZE(seeds); i++)
		seed[i] = hx(seeds[i]);

	for (unsigned round = 0; round < 100; round++) {
		struct side *p = side_new(PB_ADV_PROVISIONER);
		struct side *d = side_new(PB_ADV_DEVICE);
		unsigned long base[2];

		if (round % 2)
			open_pair(p, d, 0);
		else {
			ck_assert_int_eq(pb_adv_listen(&d->link, uuid.b), 0);
			ck_assert_int_eq(pb_adv_open(&p->link, 0, LINK_ID, uuid.b), 0);
		}
		base[0] = d->link.stats.rx_payloads;
		base[1] = p->link.stats.rx_payloads;
		for (unsigned n = 0; n < 500; n++) {
			struct bytes f;
			struct side *to;
			uint8_t *copy;
			size_t len;

			rnd = rnd * 1103515245u + 12345u;
			f = seed[(rnd >> 8) % ARRAY_SIZE(seeds)];
			rnd = rnd * 1103515245u + 12345u;
			len = (rnd >> 8) % (PB_ADV_MAX_PAYLOAD + 1);
			for (size_t i = f.len; i < len; i++)
				f.b[i] = (uint8_t)(rnd >> (i % 24));
			for (unsigned k = 0; k < 3; k++) { /* flip a few octets, never the LinkID */
				rnd = rnd * 1103515245u + 12345u;
				if ((rnd >> 28) & 1)
					f.b[4 + (rnd >> 8) % 25] ^= (uint8_t)(rnd >> 16);
			}
			/* (no ck_assert in this loop: each one costs a pipe write) */
			copy = malloc(len ? len : 1);
			if (!copy)
				abort();
			memcpy(copy, f.b, len);
			to = n % 2 ? p : d;
			to->now = n;
			pb_adv_input(&to->link, n, copy, len);
			free(copy);
			tick(p, n);
			tick(d, n);
		}
		for (unsigned i = 0; i < 2; i++) {
			const struct pb_adv_stats *st = &(i ? p : d)->link.stats;

			ck_assert_uint_eq(st->rx_payloads, base[i] + 250);
			ck_assert_uint_le(st->rx_short + st->rx_invalid + st->rx_ignored + st->rx_duplicates +
						  st->rx_fcs_errors + st->rx_delivered,
					  st->rx_payloads);
			ck_assert_uint_gt(st->rx_short + st->rx_invalid, 0);
		}
		/* whatever happened, a fresh link between the two still works */
		p->now = 100000;
		pb_adv_close(&p->link, 100000, PB_ADV_CLOSE_FAIL);
		pb_adv_close(&d->link, 100000, PB_ADV_CLOSE_FAIL);
		for (uint64_t t = 100000; t <= 100300; t += 100) {
			tick(p, t);
			tick(d, t);
		}
		ck_assert_uint_eq(p->link.state, PB_ADV_IDLE);
		ck_assert_uint_eq(d->link.state, PB_ADV_IDLE);
		clear_frames(p);
		clear_frames(d);
		open_pair(p, d, 200000);
		p->nrx = d->nrx = 0;
		ck_assert_int_eq(send_hex(p, 200000, PDU_PUBKEY_P), 0);
		for (unsigned i = 0; i < 3; i++)
			relay(p, i, d, 200000);
		ck_assert_uint_eq(d->nrx, 1);
		assert_rx(d, PDU_PUBKEY_P);
		free(p);
		free(d);
	}
}
END_TEST

START_TEST(test_peek_link_id)
{
	struct bytes f = hx(F_INVITE);
	uint32_t id = 0;

	ck_assert(!pb_adv_peek_link_id(f.b, 3, &id));
	ck_assert(pb_adv_peek_link_id(f.b, 4, &id));
	ck_assert_uint_eq(id, LINK_ID);
}
END_TEST

/* ---- timers from tx-done ---- */

/* The bearer holds a Link Open for 2 s (its queue is long): the link does
 * not repeat it meanwhile; the repeat follows 500 ms after the tx-done, and
 * the 60 s establishment timeout counts from the first tx-done. */
START_TEST(test_link_open_from_tx_done)
{
	struct side *p = side_new_txdone(PB_ADV_PROVISIONER);
	struct bytes uuid = hx(UUID);
	uint64_t t = 1000;

	ck_assert_int_eq(pb_adv_open(&p->link, t, LINK_ID, uuid.b), 0);
	ck_assert_uint_eq(p->nframes, 1);
	ck_assert_uint_eq(p->fflags[0], PB_ADV_SEND_NOTIFY);
	ck_assert_uint_gt(pb_adv_next_deadline(&p->link), t + 2000);
	tick(p, t + 2000);
	ck_assert_uint_eq(p->nframes, 1);
	pb_adv_tx_done(&p->link, t + 2000, p->fcookie[0]);
	ck_assert_uint_eq(pb_adv_next_deadline(&p->link), t + 2000 + PB_ADV_RETRANSMIT_MS);
	tick(p, t + 2000 + PB_ADV_RETRANSMIT_MS - 1);
	ck_assert_uint_eq(p->nframes, 1);
	tick(p, t + 2000 + PB_ADV_RETRANSMIT_MS);
	ck_assert_uint_eq(p->nframes, 2);
	ck_assert_uint_ne(p->fcookie[1], p->fcookie[0]);
	/* a stale report (the first Link Open's again) changes nothing */
	pb_adv_tx_done(&p->link, t + 2600, p->fcookie[0]);
	ck_assert_uint_gt(pb_adv_next_deadline(&p->link), t + 2600 + PB_ADV_RETRANSMIT_MS);
	/* the timeout: 60 s after the first tx-done, not after pb_adv_open */
	for (uint64_t now = t + 2600; now < t + 2000 + PB_ADV_LINK_TIMEOUT_MS; now += 100) {
		tick(p, now);
		if (p->nframes > 0 && (p->fflags[p->nframes - 1] & PB_ADV_SEND_NOTIFY))
			pb_adv_tx_done(&p->link, now, p->fcookie[p->nframes - 1]);
	}
	ck_assert_uint_eq(p->closed, 0);
	tick(p, t + 2000 + PB_ADV_LINK_TIMEOUT_MS);
	ck_assert_uint_eq(p->closed, 1);
	free(p);
}
END_TEST

/* A transaction held in the bearer's queue for 2 s is not retransmitted,
 * nor is the link timed out while its last segment waits (even close to the
 * 30 s transaction timeout); the retransmission comes 500 ms after the last
 * segment's tx-done and the transaction timeout 30 s after it. */
START_TEST(test_transaction_from_tx_done)
{
	struct side *p = side_new_txdone(PB_ADV_PROVISIONER);
	struct side *d = side_new(PB_ADV_DEVICE);
	uint64_t t = 0;

	open_pair(p, d, t);
	ck_assert_int_eq(send_hex(p, t, PDU_PUBKEY_P), 0);
	ck_assert_uint_eq(p->nframes, 3);
	/* only the last segment is reported; none goes before others */
	ck_assert_uint_eq(p->fflags[0], 0);
	ck_assert_uint_eq(p->fflags[1], 0);
	ck_assert_uint_eq(p->fflags[2], PB_ADV_SEND_NOTIFY);
	for (t = 100; t <= 2000; t += 100)
		tick(p, t);
	ck_assert_uint_eq(p->nframes, 3);
	ck_assert_uint_eq(p->link.stats.tx_repeats, 0);
	/* still queued 29 s on: no timeout from the queueing */
	tick(p, PB_ADV_TRANSACTION_TIMEOUT_MS - 1000);
	ck_assert(pb_adv_is_open(&p->link));
	ck_assert_uint_eq(p->nframes, 3);
	t = PB_ADV_TRANSACTION_TIMEOUT_MS - 1000;
	pb_adv_tx_done(&p->link, t, p->fcookie[2]);
	tick(p, t + PB_ADV_RETRANSMIT_MS - 1);
	ck_assert_uint_eq(p->nframes, 3);
	tick(p, t + PB_ADV_RETRANSMIT_MS);
	ck_assert_uint_eq(p->nframes, 6);
	ck_assert_uint_eq(p->link.stats.tx_repeats, 1);
	/* the repeat is held for a while too: no repeat, no timeout */
	tick(p, t + 10000);
	ck_assert_uint_eq(p->nframes, 6);
	pb_adv_tx_done(&p->link, t + 10000, p->fcookie[5]);
	tick(p, t + 10000 + PB_ADV_RETRANSMIT_MS);
	ck_assert_uint_eq(p->nframes, 9);
	/* the transaction timeout counts from the first tx-done */
	pb_adv_tx_done(&p->link, t + 10500, p->fcookie[8]);
	tick(p, t + PB_ADV_TRANSACTION_TIMEOUT_MS - 1);
	ck_assert(pb_adv_is_open(&p->link));
	clear_frames(p);
	tick(p, t + PB_ADV_TRANSACTION_TIMEOUT_MS);
	ck_assert(!pb_adv_is_open(&p->link));
	/* Link Close, before other PDUs; the next one once it is off the air
	 * (held 1 s here: at once then), but not within 100 ms of the last */
	t += PB_ADV_TRANSACTION_TIMEOUT_MS;
	ck_assert_uint_eq(p->nframes, 1);
	ck_assert_uint_eq(p->fflags[0], PB_ADV_SEND_PRIO | PB_ADV_SEND_NOTIFY);
	tick(p, t + 1000);
	ck_assert_uint_eq(p->nframes, 1);
	pb_adv_tx_done(&p->link, t + 1000, p->fcookie[0]);
	tick(p, t + 1000);
	ck_assert_uint_eq(p->nframes, 2);
	pb_adv_tx_done(&p->link, t + 1030, p->fcookie[1]);
	tick(p, t + 1000 + PB_ADV_CLOSE_INTERVAL_MS - 1);
	ck_assert_uint_eq(p->nframes, 2);
	ck_assert_uint_eq(p->closed, 0);
	tick(p, t + 1000 + PB_ADV_CLOSE_INTERVAL_MS);
	ck_assert_uint_eq(p->nframes, 3); /* the last: closed at once */
	ck_assert_uint_eq(p->closed, 1);
	free(p);
	free(d);
}
END_TEST

/* A tx-done that never comes (the bearer was released) is assumed after
 * PB_ADV_TX_DONE_MAX_MS: the link neither hangs nor leaks. */
START_TEST(test_tx_done_lost)
{
	struct side *p = side_new_txdone(PB_ADV_PROVISIONER);
	struct bytes uuid = hx(UUID);

	ck_assert_int_eq(pb_adv_open(&p->link, 0, LINK_ID, uuid.b), 0);
	ck_assert_uint_eq(pb_adv_next_deadline(&p->link), PB_ADV_TX_DONE_MAX_MS);
	tick(p, PB_ADV_TX_DONE_MAX_MS);
	ck_assert_uint_eq(pb_adv_next_deadline(&p->link), PB_ADV_TX_DONE_MAX_MS + PB_ADV_RETRANSMIT_MS);
	free(p);
}
END_TEST

/* Copies of a transaction the device already acknowledged get no new ACK
 * while that ACK is queued or on the air, nor 100 ms after; a later
 * retransmission does. The ACK goes before other PDUs. */
START_TEST(test_ack_not_repeated_while_on_air)
{
	struct side *p = side_new(PB_ADV_PROVISIONER);
	struct side *d = side_new_txdone(PB_ADV_DEVICE);
	uint64_t t = 0;

	open_pair(p, d, t);
	ck_assert_int_eq(send_hex(p, t, PDU_INVITE), 0);
	relay(p, 0, d, t);
	ck_assert_uint_eq(d->nframes, 1);
	assert_frame(d, 0, F_INVITE_ACK);
	ck_assert_uint_eq(d->fflags[0], PB_ADV_SEND_PRIO | PB_ADV_SEND_NOTIFY);
	/* the provisioner's retransmission while our ACK still waits */
	relay(p, 0, d, t + 600);
	relay(p, 0, d, t + 1200);
	ck_assert_uint_eq(d->nframes, 1);
	ck_assert_uint_eq(d->link.stats.tx_acks_held, 2);
	pb_adv_tx_done(&d->link, t + 1300, d->fcookie[0]);
	relay(p, 0, d, t + 1300 + PB_ADV_ACK_HOLDOFF_MS - 1);
	ck_assert_uint_eq(d->nframes, 1);
	relay(p, 0, d, t + 1300 + PB_ADV_ACK_HOLDOFF_MS);
	ck_assert_uint_eq(d->nframes, 2);
	assert_frame(d, 1, F_INVITE_ACK);
	ck_assert_uint_eq(d->nrx, 1);
	/* a tx-done that never comes holds the next ACK no longer than
	 * PB_ADV_ACK_HOLD_MAX_MS */
	t = 1300 + PB_ADV_ACK_HOLDOFF_MS; /* the second ACK went out then */
	relay(p, 0, d, t + PB_ADV_ACK_HOLD_MAX_MS - 1);
	ck_assert_uint_eq(d->nframes, 2);
	relay(p, 0, d, t + PB_ADV_ACK_HOLD_MAX_MS);
	ck_assert_uint_eq(d->nframes, 3);
	free(p);
	free(d);
}
END_TEST

static Suite *pb_adv_suite(void)
{
	Suite *s = suite_create("pb_adv");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_fcs_samples);
	tcase_add_test(tc, test_sample_session);
	tcase_add_test(tc, test_out_of_order_and_duplicates);
	tcase_add_test(tc, test_link_open_from_tx_done);
	tcase_add_test(tc, test_transaction_from_tx_done);
	tcase_add_test(tc, test_tx_done_lost);
	tcase_add_test(tc, test_ack_not_repeated_while_on_air);
	tcase_add_test(tc, test_fcs_error);
	tcase_add_test(tc, test_malformed_segments);
	tcase_add_loop_test(tc, test_truncated_inputs, 0, TR_COUNT);
	tcase_add_test(tc, test_repeated_transaction);
	tcase_add_test(tc, test_retransmit_every_500ms);
	tcase_add_test(tc, test_transaction_timeout);
	tcase_add_test(tc, test_open_timeout);
	tcase_add_test(tc, test_link_close_received);
	tcase_add_test(tc, test_close_while_opening_and_reuse);
	tcase_add_test(tc, test_device_link_open);
	tcase_add_test(tc, test_implicit_ack);
	tcase_add_test(tc, test_send_errors);
	tcase_add_test(tc, test_transaction_number_wrap);
	tcase_add_test(tc, test_two_links);
	tcase_add_test(tc, test_random_input);
	tcase_add_test(tc, test_peek_link_id);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(pb_adv_suite)
