/* The transmit scheduler: round robin across sources, the priority class,
 * back-pressure instead of drops, tx-done and room notifications. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "check_main.h"
#include "txsched.h"

static struct txsched sched;

struct rec {
	unsigned done, room;
	uint32_t last_cookie;
	int close_on_done; /* close this source from tx_done (-1: no) */
};

static void rec_done(void *ctx, uint32_t cookie)
{
	struct rec *r = ctx;

	r->done++;
	r->last_cookie = cookie;
	if (r->close_on_done >= 0)
		txsched_close(&sched, (unsigned)r->close_on_done);
}

static void rec_room(void *ctx)
{
	struct rec *r = ctx;

	r->room++;
}

static const struct txsched_src_ops rec_ops = { .tx_done = rec_done, .room = rec_room };

/* A payload that names its source and its number within the source. */
static int push(unsigned src, uint8_t n, unsigned flags)
{
	uint8_t p[2] = { (uint8_t)src, n };

	return txsched_push(&sched, src, 0x29, p, sizeof(p), flags, n);
}

static void setup(void)
{
	txsched_init(&sched);
}

/* With K active sources each with a backlog, the service order is a strict
 * rotation: between two PDUs of a source come exactly the other K - 1. */
START_TEST(test_round_robin)
{
	enum { K = 5, N = 4 };
	int id[K];
	unsigned last[K], order = 0;
	struct txsched_item it;

	for (unsigned k = 0; k < K; k++) {
		id[k] = txsched_open(&sched, 8, 1, NULL, NULL);
		ck_assert_int_ge(id[k], 0);
	}
	/* source 0 queues its whole backlog first, as a 3-segment transaction
	 * plus more would: it must not go out in one burst */
	for (unsigned k = 0; k < K; k++)
		for (unsigned n = 0; n < N; n++)
			ck_assert_int_eq(push((unsigned)id[k], (uint8_t)n, 0), 0);
	memset(last, 0xff, sizeof(last));
	while (txsched_pop(&sched, &it)) {
		unsigned k = it.data[0];

		ck_assert_uint_eq(it.src, k);
		if (last[k] != 0xffffffffu)
			ck_assert_uint_eq(order - last[k], K); /* K - 1 others in between */
		last[k] = order++;
	}
	ck_assert_uint_eq(order, K * N);
	ck_assert_uint_eq(txsched_queued(&sched), 0);
}
END_TEST

/* A source that becomes active while others are busy waits at most one PDU
 * of each other active source, and the FIFO order within a source holds. */
START_TEST(test_late_source_waits_one_round)
{
	enum { K = 4 };
	int id[K];
	struct txsched_item it;
	unsigned waited = 0;
	uint8_t next[K] = { 0 };

	for (unsigned k = 0; k < K; k++)
		id[k] = txsched_open(&sched, 8, 1, NULL, NULL);
	for (unsigned k = 0; k < K - 1; k++)
		for (unsigned n = 0; n < 8; n++)
			ck_assert_int_eq(push((unsigned)id[k], (uint8_t)n, 0), 0);
	/* a few rounds go by */
	for (unsigned i = 0; i < 5; i++) {
		ck_assert(txsched_pop(&sched, &it));
		ck_assert_uint_eq(it.data[1], next[it.data[0]]++);
	}
	ck_assert_int_eq(push((unsigned)id[K - 1], 0, 0), 0);
	for (;;) {
		ck_assert(txsched_pop(&sched, &it));
		if (it.src == (unsigned)id[K - 1])
			break;
		ck_assert_uint_eq(it.data[1], next[it.data[0]]++);
		waited++;
	}
	ck_assert_uint_le(waited, K - 1);
}
END_TEST

/* A weight of w gives a source w PDUs per turn. */
START_TEST(test_weight)
{
	int a = txsched_open(&sched, 16, 3, NULL, NULL);
	int b = txsched_open(&sched, 16, 1, NULL, NULL);
	struct txsched_item it;
	char seq[13];

	for (uint8_t n = 0; n < 6; n++) {
		push((unsigned)a, n, 0);
		push((unsigned)b, n, 0);
	}
	for (unsigned i = 0; i < 12; i++) {
		ck_assert(txsched_pop(&sched, &it));
		seq[i] = it.src == (unsigned)a ? 'a' : 'b';
	}
	seq[12] = '\0';
	ck_assert_str_eq(seq, "aaabaaabbbbb");
}
END_TEST

/* Priority PDUs (Transaction ACK, Link Close) go before every ordinary one,
 * also one queued behind its own source's ordinary PDUs; ordinary PDUs keep
 * their rotation. */
START_TEST(test_priority_first)
{
	int a = txsched_open(&sched, 8, 1, NULL, NULL);
	int b = txsched_open(&sched, 8, 1, NULL, NULL);
	struct txsched_item it;

	push((unsigned)a, 0, 0);
	push((unsigned)a, 1, 0);
	push((unsigned)b, 0, 0);
	ck_assert(txsched_pop(&sched, &it));
	ck_assert_uint_eq(it.src, (unsigned)a);
	ck_assert_uint_eq(it.data[1], 0);
	push((unsigned)a, 9, TXSCHED_PRIO); /* behind a's segment 1 */
	push((unsigned)b, 8, TXSCHED_PRIO);
	/* both priority PDUs first, round robin between them (after a: b) */
	ck_assert(txsched_pop(&sched, &it));
	ck_assert_uint_eq(it.src, (unsigned)b);
	ck_assert_uint_eq(it.data[1], 8);
	ck_assert(txsched_pop(&sched, &it));
	ck_assert_uint_eq(it.src, (unsigned)a);
	ck_assert_uint_eq(it.data[1], 9);
	ck_assert_uint_eq(it.flags & TXSCHED_PRIO, TXSCHED_PRIO);
	/* then the rotation goes on where it was: b, then a's segment 1 */
	ck_assert(txsched_pop(&sched, &it));
	ck_assert_uint_eq(it.src, (unsigned)b);
	ck_assert_uint_eq(it.data[1], 0);
	ck_assert(txsched_pop(&sched, &it));
	ck_assert_uint_eq(it.src, (unsigned)a);
	ck_assert_uint_eq(it.data[1], 1);
	ck_assert(!txsched_pop(&sched, &it));
}
END_TEST

/* A full queue refuses the push and keeps nothing; the PDUs already queued
 * all come out; room() comes with the next tx-done of the source, and the
 * PDU pushed again goes out. No PDU is lost. */
START_TEST(test_back_pressure)
{
	struct rec r = { .close_on_done = -1 };
	int a = txsched_open(&sched, 3, 1, &rec_ops, &r);
	struct txsched_item it, first;
	unsigned out = 0;

	for (uint8_t n = 0; n < 3; n++)
		ck_assert_int_eq(push((unsigned)a, n, TXSCHED_NOTIFY), 0);
	ck_assert_int_eq(push((unsigned)a, 3, TXSCHED_NOTIFY), -ENOBUFS);
	ck_assert_uint_eq(sched.src[a].refusals, 1);
	ck_assert_uint_eq(txsched_src_queued(&sched, (unsigned)a), 3);
	ck_assert(txsched_pop(&sched, &first));
	ck_assert_uint_eq(r.room, 0); /* not while the PDU is on the air */
	txsched_done(&sched, &first);
	ck_assert_uint_eq(r.done, 1);
	ck_assert_uint_eq(r.last_cookie, 0);
	ck_assert_uint_eq(r.room, 1);
	ck_assert_int_eq(push((unsigned)a, 3, TXSCHED_NOTIFY), 0);
	while (txsched_pop(&sched, &it)) {
		ck_assert_uint_eq(it.data[1], 1 + out++);
		txsched_done(&sched, &it);
	}
	ck_assert_uint_eq(out, 3);
	ck_assert_uint_eq(r.done, 4);
	ck_assert_uint_eq(r.room, 1); /* once per refusal */
}
END_TEST

/* Only PDUs pushed with TXSCHED_NOTIFY raise tx_done, with their cookie. */
START_TEST(test_notify_cookie)
{
	struct rec r = { .close_on_done = -1 };
	int a = txsched_open(&sched, 4, 1, &rec_ops, &r);
	struct txsched_item it;
	uint8_t p[1] = { 0 };

	ck_assert_int_eq(txsched_push(&sched, (unsigned)a, 0x29, p, 1, 0, 5), 0);
	ck_assert_int_eq(txsched_push(&sched, (unsigned)a, 0x29, p, 1, TXSCHED_NOTIFY, 0xabcdef), 0);
	ck_assert(txsched_pop(&sched, &it));
	txsched_done(&sched, &it);
	ck_assert_uint_eq(r.done, 0);
	ck_assert(txsched_pop(&sched, &it));
	txsched_done(&sched, &it);
	ck_assert_uint_eq(r.done, 1);
	ck_assert_uint_eq(r.last_cookie, 0xabcdef);
}
END_TEST

/* A closed source raises nothing more, its queued PDUs still go out (a last
 * Link Close), and its slot is reused only once they are drained. */
START_TEST(test_close_drains)
{
	struct rec r = { .close_on_done = -1 };
	int a = txsched_open(&sched, 4, 1, &rec_ops, &r);
	int b;
	struct txsched_item inflight, it;

	push((unsigned)a, 0, TXSCHED_NOTIFY);
	push((unsigned)a, 1, TXSCHED_NOTIFY | TXSCHED_PRIO);
	ck_assert(txsched_pop(&sched, &inflight)); /* the priority one */
	ck_assert_uint_eq(inflight.data[1], 1);
	txsched_close(&sched, (unsigned)a);
	ck_assert_int_eq(push((unsigned)a, 2, 0), -EBADF);
	b = txsched_open(&sched, 4, 1, &rec_ops, &r);
	ck_assert_int_ne(b, a); /* a still drains */
	txsched_done(&sched, &inflight);
	ck_assert_uint_eq(r.done, 0);
	ck_assert(txsched_pop(&sched, &it));
	ck_assert_uint_eq(it.src, (unsigned)a);
	ck_assert_uint_eq(it.data[1], 0);
	txsched_done(&sched, &it);
	ck_assert_uint_eq(r.done, 0);
	ck_assert_int_eq(txsched_open(&sched, 4, 1, NULL, NULL), a);
}
END_TEST

/* A source may close itself from its tx_done callback. */
START_TEST(test_close_from_callback)
{
	struct rec r = { .close_on_done = 0 };
	int a = txsched_open(&sched, 2, 1, &rec_ops, &r);
	struct txsched_item it;

	ck_assert_int_eq(a, 0);
	push(0, 0, TXSCHED_NOTIFY);
	push(0, 1, TXSCHED_NOTIFY);
	ck_assert_int_eq(push(0, 2, TXSCHED_NOTIFY), -ENOBUFS);
	ck_assert(txsched_pop(&sched, &it));
	txsched_done(&sched, &it);
	ck_assert_uint_eq(r.done, 1);
	ck_assert_uint_eq(r.room, 0); /* closed: no room() */
	ck_assert(txsched_pop(&sched, &it)); /* drained all the same */
	ck_assert(!txsched_pop(&sched, &it));
}
END_TEST

/* The limits are reserved in the shared pool: opening refuses what would
 * not fit; closing gives it back. */
START_TEST(test_limits)
{
	int ids[TXSCHED_MAX_SOURCES];
	uint8_t big[TXSCHED_MAX_PAYLOAD + 1] = { 0 };

	ck_assert_int_eq(txsched_open(&sched, 0, 1, NULL, NULL), -EINVAL);
	ck_assert_int_eq(txsched_open(&sched, TXSCHED_POOL + 1, 1, NULL, NULL), -ENOSPC);
	ids[0] = txsched_open(&sched, TXSCHED_POOL, 1, NULL, NULL);
	ck_assert_int_ge(ids[0], 0);
	ck_assert_int_eq(txsched_open(&sched, 1, 1, NULL, NULL), -ENOSPC);
	txsched_close(&sched, (unsigned)ids[0]);
	for (unsigned i = 0; i < TXSCHED_MAX_SOURCES; i++)
		ck_assert_int_eq(txsched_open(&sched, 1, 1, NULL, NULL), (int)i);
	ck_assert_int_eq(txsched_open(&sched, 1, 1, NULL, NULL), -ENOSPC);
	ck_assert_int_eq(txsched_push(&sched, 0, 0x2a, big, sizeof(big), 0, 0), -EMSGSIZE);
	ck_assert_int_eq(txsched_push(&sched, TXSCHED_MAX_SOURCES, 0x2a, big, 1, 0, 0), -EBADF);
	ck_assert_int_eq(txsched_push(&sched, 0, 0x2a, big, TXSCHED_MAX_PAYLOAD, 0, 0), 0);
	txsched_flush(&sched);
	ck_assert_uint_eq(txsched_queued(&sched), 0);
	ck_assert_int_eq(txsched_push(&sched, 0, 0x2a, big, 1, 0, 0), 0);
}
END_TEST

/* A payload of len octets that names its source and number. */
static int push_len(unsigned src, uint8_t n, size_t len, unsigned flags)
{
	uint8_t p[TXSCHED_MAX_PAYLOAD] = { (uint8_t)src, n };

	return txsched_push(&sched, src, 0x29, p, len, flags, n);
}

/* The PDU to pack beside another: the next one in the scheduler's order that
 * fits. A source whose next PDU does not fit is passed over whole (its short
 * later PDU does not jump the long one); a priority PDU that fits (a
 * Transaction ACK) goes before ordinary ones; one that does not is passed. */
START_TEST(test_pop_fit)
{
	int a = txsched_open(&sched, 8, 1, NULL, NULL);
	int b = txsched_open(&sched, 8, 1, NULL, NULL);
	int c = txsched_open(&sched, 8, 1, NULL, NULL);
	struct txsched_item it;

	ck_assert_int_eq(push_len((unsigned)a, 0, 29, 0), 0); /* a segment */
	ck_assert_int_eq(push_len((unsigned)a, 1, 6, 0), 0);
	ck_assert_int_eq(push_len((unsigned)b, 0, 20, 0), 0);
	ck_assert_int_eq(push_len((unsigned)c, 0, 6, TXSCHED_PRIO), 0); /* an ACK */
	ck_assert_int_eq(push_len((unsigned)c, 1, 27, TXSCHED_PRIO), 0); /* a long one */
	ck_assert(!txsched_can_fit(&sched, 5));
	ck_assert(!txsched_pop_fit(&sched, 5, &it));
	ck_assert_uint_eq(txsched_queued(&sched), 5);
	/* the ACK first, whatever the turn */
	ck_assert(txsched_can_fit(&sched, 6));
	ck_assert_uint_eq(txsched_queued(&sched), 5); /* can_fit takes nothing */
	ck_assert(txsched_pop_fit(&sched, 6, &it));
	ck_assert_uint_eq(it.src, (unsigned)c);
	ck_assert_uint_eq(it.data[1], 0);
	ck_assert_uint_eq(it.len, 6);
	/* c's long priority PDU does not fit, a's 29 does not either: b's 20 */
	ck_assert(txsched_pop_fit(&sched, 21, &it));
	ck_assert_uint_eq(it.src, (unsigned)b);
	/* a's 6 never passes a's 29 */
	ck_assert(!txsched_pop_fit(&sched, 21, &it));
	/* what is left goes out in order: c's priority PDU, then a's two */
	ck_assert(txsched_pop(&sched, &it));
	ck_assert_uint_eq(it.src, (unsigned)c);
	ck_assert(txsched_pop(&sched, &it));
	ck_assert_uint_eq(it.src, (unsigned)a);
	ck_assert_uint_eq(it.data[1], 0);
	ck_assert(txsched_pop(&sched, &it));
	ck_assert_uint_eq(it.data[1], 1);
	ck_assert(!txsched_can_fit(&sched, TXSCHED_MAX_PAYLOAD));
}
END_TEST

/* A PDU packed beside another counts as its source's turn: the round robin
 * goes on from there, it does not serve that source again next. */
START_TEST(test_pop_fit_takes_the_turn)
{
	int a = txsched_open(&sched, 8, 1, NULL, NULL);
	int b = txsched_open(&sched, 8, 1, NULL, NULL);
	struct txsched_item it;

	for (uint8_t n = 0; n < 2; n++) {
		ck_assert_int_eq(push_len((unsigned)a, n, 10, 0), 0);
		ck_assert_int_eq(push_len((unsigned)b, n, 10, 0), 0);
	}
	ck_assert(txsched_pop(&sched, &it));
	ck_assert_uint_eq(it.src, (unsigned)a);
	ck_assert(txsched_pop_fit(&sched, 17, &it));
	ck_assert_uint_eq(it.src, (unsigned)b);
	ck_assert(txsched_pop(&sched, &it));
	ck_assert_uint_eq(it.src, (unsigned)a);
	ck_assert(txsched_pop_fit(&sched, 17, &it));
	ck_assert_uint_eq(it.src, (unsigned)b);
}
END_TEST

static Suite *txsched_suite(void)
{
	Suite *s = suite_create("txsched");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_round_robin);
	tcase_add_test(tc, test_late_source_waits_one_round);
	tcase_add_test(tc, test_weight);
	tcase_add_test(tc, test_priority_first);
	tcase_add_test(tc, test_back_pressure);
	tcase_add_test(tc, test_notify_cookie);
	tcase_add_test(tc, test_close_drains);
	tcase_add_test(tc, test_close_from_callback);
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_pop_fit);
	tcase_add_test(tc, test_pop_fit_takes_the_turn);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(txsched_suite)
