/* autoprov: the daemon's automatic provisioning policy, rule by rule, with
 * exact times: back-off doubling and its cap, giving up once, a reload's
 * new chance, never a configured node twice, an unconfigured node
 * configured again or (beaconing) provisioned anew, the table's bound,
 * when a pending reservation is released or kept, and when a new link is
 * admitted (the max_sessions ceiling, the airtime). */
#include <stdlib.h>
#include <string.h>

#include "autoprov.h"
#include "check_main.h"

static const uint8_t U1[16] = { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 };
static const uint8_t U2[16] = { 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2 };
static const uint8_t U3[16] = { 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3 };

static struct autoprov p;

static void setup(void)
{
	autoprov_init(&p, 16, 5, 10);
}

static void teardown(void)
{
	autoprov_free(&p);
}

/* The record of uuid, or NULL. */
static const struct autoprov_attempt *autoprov_find(const struct autoprov *ap,
						    const uint8_t uuid[16])
{
	for (size_t i = 0; i < ap->n; i++)
		if (!memcmp(ap->a[i].uuid, uuid, 16))
			return &ap->a[i];
	return NULL;
}

/* What the fake daemon knows of each device, by first byte. */
static struct world {
	bool ineligible[4];
	enum autoprov_node node[4];
	bool heard[4];
	uint64_t seen[4];
} w;

static bool f_eligible(void *ctx, const uint8_t uuid[16])
{
	return !((struct world *)ctx)->ineligible[uuid[0]];
}

static enum autoprov_node f_node(void *ctx, const uint8_t uuid[16])
{
	return ((struct world *)ctx)->node[uuid[0]];
}

static bool f_last_beacon(void *ctx, const uint8_t uuid[16], uint64_t *at)
{
	*at = ((struct world *)ctx)->seen[uuid[0]];
	return ((struct world *)ctx)->heard[uuid[0]];
}

static const struct autoprov_facts facts = {
	.eligible = f_eligible,
	.node = f_node,
	.last_beacon = f_last_beacon,
};

/* The first device to configure again at now: its first byte, or 0. */
static unsigned next_config(uint64_t now, unsigned *attempt)
{
	struct autoprov_attempt a;
	size_t i = 0;

	if (!autoprov_next_config(&p, now, &facts, &w, &i, &a))
		return 0;
	*attempt = a.count + 1;
	return a.uuid[0];
}

static enum autoprov_beacon beacon(const uint8_t *uuid, enum autoprov_node node, uint64_t now,
				   unsigned *attempt)
{
	*attempt = 0;
	return autoprov_beacon(&p, uuid, node, now, attempt);
}

START_TEST(test_first_beacon)
{
	unsigned n;

	ck_assert_int_eq(beacon(U1, AUTOPROV_NOT_NODE, 0, &n), AUTOPROV_PROVISION);
	ck_assert_uint_eq(n, 1);
	ck_assert_ptr_null(autoprov_find(&p, U1)); /* nothing recorded for a try */
}
END_TEST

/* retry_delay 10 s doubled after each failure, exact to the millisecond */
START_TEST(test_backoff_exact)
{
	static const unsigned delays[] = { 10, 20, 40, 80 };
	struct autoprov_failure f;
	uint64_t now = 5000;
	unsigned n;

	for (unsigned k = 0; k < 4; k++) {
		ck_assert(autoprov_failed(&p, U1, now, &f));
		ck_assert_uint_eq(f.count, k + 1);
		ck_assert(!f.given_up);
		ck_assert_uint_eq(f.delay_s, delays[k]);
		now += delays[k] * 1000;
		ck_assert_int_eq(beacon(U1, AUTOPROV_NOT_NODE, now - 1, &n), AUTOPROV_WAIT);
		ck_assert_int_eq(beacon(U1, AUTOPROV_NOT_NODE, now, &n), AUTOPROV_PROVISION);
		ck_assert_uint_eq(n, k + 2);
	}
}
END_TEST

START_TEST(test_backoff_cap)
{
	struct autoprov_failure f;
	unsigned n;

	autoprov_reset(&p, 16, 100, 7);
	for (unsigned k = 0; k < 20; k++) {
		uint64_t want = (uint64_t)7 << (k < 10 ? k : 10);

		ck_assert(autoprov_failed(&p, U1, 1000, &f));
		ck_assert_uint_eq(f.delay_s, want > AUTOPROV_RETRY_MAX_S ? AUTOPROV_RETRY_MAX_S : want);
	}
	ck_assert_uint_eq(f.delay_s, 600);
	ck_assert_int_eq(beacon(U1, AUTOPROV_NOT_NODE, 1000 + 599999, &n), AUTOPROV_WAIT);
	ck_assert_int_eq(beacon(U1, AUTOPROV_NOT_NODE, 1000 + 600000, &n), AUTOPROV_PROVISION);
}
END_TEST

/* given up after max_attempts, said once; then never tried, until a reload
 * or an explicit request */
START_TEST(test_give_up)
{
	struct autoprov_failure f;
	unsigned n, given = 0;

	for (unsigned k = 0; k < 5; k++) {
		ck_assert(autoprov_failed(&p, U1, 0, &f));
		given += f.given_up;
	}
	ck_assert_uint_eq(given, 1);
	ck_assert(f.given_up);
	ck_assert_uint_eq(f.count, 5);
	ck_assert_int_eq(beacon(U1, AUTOPROV_NOT_NODE, UINT64_MAX, &n), AUTOPROV_WAIT);
	w = (struct world){ 0 };
	w.node[1] = AUTOPROV_UNCONFIGURED;
	ck_assert_uint_eq(next_config(UINT64_MAX, &n), 0);
	/* schedule (a kept reservation) does not undo it */
	ck_assert(autoprov_schedule(&p, U1, 0));
	ck_assert_int_eq(beacon(U1, AUTOPROV_NOT_NODE, UINT64_MAX, &n), AUTOPROV_WAIT);
	/* an explicit request */
	autoprov_forget(&p, U1);
	ck_assert_int_eq(beacon(U1, AUTOPROV_NOT_NODE, 0, &n), AUTOPROV_PROVISION);
	ck_assert_uint_eq(n, 1);
}
END_TEST

START_TEST(test_max_attempts_one)
{
	struct autoprov_failure f;

	autoprov_reset(&p, 16, 1, 10);
	ck_assert(autoprov_failed(&p, U1, 0, &f));
	ck_assert(f.given_up);
	ck_assert_uint_eq(f.count, 1);
}
END_TEST

START_TEST(test_reload_resets)
{
	struct autoprov_failure f;
	unsigned n;

	for (unsigned k = 0; k < 5; k++)
		autoprov_failed(&p, U1, 0, &f);
	autoprov_failed(&p, U2, 0, &f);
	autoprov_reset(&p, 16, 3, 30);
	ck_assert_ptr_null(autoprov_find(&p, U1));
	ck_assert_ptr_null(autoprov_find(&p, U2));
	ck_assert_int_eq(beacon(U1, AUTOPROV_NOT_NODE, 0, &n), AUTOPROV_PROVISION);
	ck_assert_uint_eq(n, 1);
	/* the new limits */
	ck_assert(autoprov_failed(&p, U1, 0, &f));
	ck_assert_uint_eq(f.delay_s, 30);
	autoprov_failed(&p, U1, 0, &f);
	autoprov_failed(&p, U1, 0, &f);
	ck_assert(f.given_up);
}
END_TEST

START_TEST(test_success_forgets)
{
	struct autoprov_failure f;
	unsigned n;

	autoprov_failed(&p, U1, 0, &f);
	autoprov_failed(&p, U2, 0, &f);
	autoprov_forget(&p, U1);
	ck_assert_ptr_null(autoprov_find(&p, U1));
	ck_assert_ptr_nonnull(autoprov_find(&p, U2));
	ck_assert_int_eq(beacon(U1, AUTOPROV_NOT_NODE, 0, &n), AUTOPROV_PROVISION);
	ck_assert_uint_eq(n, 1);
	autoprov_forget(&p, U3); /* not recorded: nothing */
	ck_assert_uint_eq(p.n, 1);
}
END_TEST

/* a configured node that beacons is never provisioned twice */
START_TEST(test_configured_never_twice)
{
	unsigned n;

	ck_assert_int_eq(beacon(U1, AUTOPROV_CONFIGURED, 0, &n), AUTOPROV_WAIT);
	ck_assert_int_eq(beacon(U1, AUTOPROV_CONFIGURED, UINT64_MAX, &n), AUTOPROV_WAIT);
	/* nor configured again: its configuration is complete */
	w = (struct world){ 0 };
	w.node[1] = AUTOPROV_CONFIGURED;
	ck_assert(autoprov_schedule(&p, U1, 0));
	ck_assert_uint_eq(next_config(1000000, &n), 0);
}
END_TEST

/* an unconfigured node that beacons dropped its provisioning: anew */
START_TEST(test_unconfigured_beacon_anew)
{
	struct autoprov_failure f;
	unsigned n;

	ck_assert_int_eq(beacon(U1, AUTOPROV_UNCONFIGURED, 0, &n), AUTOPROV_PROVISION_ANEW);
	ck_assert_uint_eq(n, 1);
	/* within its back-off: not yet */
	autoprov_failed(&p, U1, 0, &f);
	ck_assert_int_eq(beacon(U1, AUTOPROV_UNCONFIGURED, 9999, &n), AUTOPROV_WAIT);
	ck_assert_int_eq(beacon(U1, AUTOPROV_UNCONFIGURED, 10000, &n), AUTOPROV_PROVISION_ANEW);
	ck_assert_uint_eq(n, 2);
}
END_TEST

/* a node left unconfigured is configured again when due, unless its
 * unprovisioned beacon was heard in the last 10 s */
START_TEST(test_unconfigured_configured_again)
{
	struct autoprov_failure f;
	unsigned n;

	w = (struct world){ 0 };
	w.node[1] = AUTOPROV_UNCONFIGURED;
	ck_assert(autoprov_failed(&p, U1, 1000, &f)); /* next at 11000 */
	ck_assert_uint_eq(next_config(10999, &n), 0);
	ck_assert_uint_eq(next_config(11000, &n), 1);
	ck_assert_uint_eq(n, 2);
	/* a fresh beacon: it dropped its provisioning, not configured */
	w.heard[1] = true;
	w.seen[1] = 11000 - AUTOPROV_BEACON_FRESH_MS + 1;
	ck_assert_uint_eq(next_config(11000, &n), 0);
	w.seen[1] = 11000 - AUTOPROV_BEACON_FRESH_MS;
	ck_assert_uint_eq(next_config(11000, &n), 1);
	/* not ours now (a session runs for it, no credentials) */
	w.ineligible[1] = true;
	ck_assert_uint_eq(next_config(11000, &n), 0);
	w.ineligible[1] = false;
	/* not a node (any more) */
	w.node[1] = AUTOPROV_NOT_NODE;
	ck_assert_uint_eq(next_config(11000, &n), 0);
}
END_TEST

/* schedule makes an unrecorded node due at once; the iterator walks them all */
START_TEST(test_schedule_and_iterate)
{
	struct autoprov_attempt a;
	size_t i = 0;
	unsigned got = 0;

	w = (struct world){ 0 };
	w.node[1] = w.node[2] = w.node[3] = AUTOPROV_UNCONFIGURED;
	w.ineligible[2] = true;
	ck_assert(autoprov_schedule(&p, U1, 500));
	ck_assert(autoprov_schedule(&p, U2, 500));
	ck_assert(autoprov_schedule(&p, U3, 500));
	ck_assert_uint_eq(autoprov_find(&p, U1)->count, 0);
	while (autoprov_next_config(&p, 500, &facts, &w, &i, &a)) {
		ck_assert_uint_eq(a.count, 0);
		got |= 1u << a.uuid[0];
	}
	ck_assert_uint_eq(got, (1u << 1) | (1u << 3));
	ck_assert_uint_eq(i, 3);
	ck_assert(!autoprov_next_config(&p, 499, &facts, &w, &(size_t){ 0 }, &a));
}
END_TEST

/* at most max records: the oldest is forgotten */
START_TEST(test_bound)
{
	struct autoprov_failure f;
	uint8_t u[16];

	autoprov_reset(&p, 3, 5, 10);
	memset(u, 0, sizeof(u));
	for (unsigned k = 0; k < 5; k++) {
		u[0] = (uint8_t)k;
		ck_assert(autoprov_failed(&p, u, 0, &f));
		ck_assert_uint_le(p.n, 3);
	}
	u[0] = 0;
	ck_assert_ptr_null(autoprov_find(&p, u));
	u[0] = 1;
	ck_assert_ptr_null(autoprov_find(&p, u));
	for (u[0] = 2; u[0] < 5; u[0]++)
		ck_assert_ptr_nonnull(autoprov_find(&p, u));
}
END_TEST

/* a pending reservation: a beacon within 3 s of the later of its time and
 * the start of listening does not count; one after it releases it */
START_TEST(test_reservation_beacon)
{
	ck_assert(!autoprov_reservation_beacon_counts(1000, 500, 1002));
	ck_assert(autoprov_reservation_beacon_counts(1000, 500, 1003));
	ck_assert(!autoprov_reservation_beacon_counts(500, 1000, 1002));
	ck_assert(autoprov_reservation_beacon_counts(500, 1000, 1003));
	ck_assert(!autoprov_reservation_beacon_counts(1000, 1000, 999));
}
END_TEST

/* kept once window_s passed, counted from the later of the two */
START_TEST(test_reservation_settled)
{
	ck_assert(!autoprov_reservation_settled(1000, 500, 130, 1129));
	ck_assert(autoprov_reservation_settled(1000, 500, 130, 1130));
	ck_assert(!autoprov_reservation_settled(500, 1000, 130, 1129));
	ck_assert(autoprov_reservation_settled(500, 1000, 130, 1130));
	ck_assert(autoprov_reservation_settled(500, 1000, 1, 1001));
}
END_TEST

/* max_sessions is the ceiling: at it, no link, however idle the air */
START_TEST(test_admit_ceiling)
{
	ck_assert_int_eq(autoprov_admit(0, 1, 0), AUTOPROV_ADMIT);
	ck_assert_int_eq(autoprov_admit(1, 1, 0), AUTOPROV_NO_SESSION);
	ck_assert_int_eq(autoprov_admit(31, 32, 0), AUTOPROV_ADMIT);
	ck_assert_int_eq(autoprov_admit(32, 32, 0), AUTOPROV_NO_SESSION);
	ck_assert_int_eq(autoprov_admit(33, 32, 0), AUTOPROV_NO_SESSION);
	/* the ceiling is said first: a later beacon would not help either */
	ck_assert_int_eq(autoprov_admit(32, 32, 10000), AUTOPROV_NO_SESSION);
}
END_TEST

/* below the ceiling, a new link waits while a PDU queued now would wait
 * half the PB-ADV retransmission interval or more */
START_TEST(test_admit_airtime)
{
	ck_assert_uint_eq(AUTOPROV_ADMIT_BACKLOG_MS, 250);
	ck_assert_int_eq(autoprov_admit(1, 32, 0), AUTOPROV_ADMIT);
	ck_assert_int_eq(autoprov_admit(1, 32, 249), AUTOPROV_ADMIT);
	ck_assert_int_eq(autoprov_admit(1, 32, 250), AUTOPROV_NO_AIRTIME);
	ck_assert_int_eq(autoprov_admit(5, 32, 251), AUTOPROV_NO_AIRTIME);
	ck_assert_int_eq(autoprov_admit(31, 32, 100000), AUTOPROV_NO_AIRTIME);
	/* the first link always: a backlog without links drains by itself */
	ck_assert_int_eq(autoprov_admit(0, 32, 100000), AUTOPROV_ADMIT);
	ck_assert_int_eq(autoprov_admit(0, 1, 100000), AUTOPROV_ADMIT);
}
END_TEST

/* 32 allowed on an air whose backlog grows with the links that run (one
 * set, 75 ms a PDU, each link keeping one PDU queued): the links admitted
 * stop where the backlog reaches the bound, not at max_sessions; as the
 * backlog drains, more are admitted again */
START_TEST(test_admit_follows_airtime)
{
	unsigned links = 0;

	while (autoprov_admit(links, 32, links * 75) == AUTOPROV_ADMIT)
		links++;
	ck_assert_uint_eq(links, 4); /* 4 x 75 = 300 >= 250 */
	ck_assert_int_eq(autoprov_admit(links, 32, links * 75), AUTOPROV_NO_AIRTIME);
	/* four sets: a quarter of the backlog per set */
	links = 0;
	while (autoprov_admit(links, 32, links * 75 / 4) == AUTOPROV_ADMIT)
		links++;
	ck_assert_uint_eq(links, 14); /* 14 x 75 / 4 = 262 >= 250 */
	/* the air drained: one more */
	ck_assert_int_eq(autoprov_admit(links, 32, 0), AUTOPROV_ADMIT);
}
END_TEST

static Suite *autoprov_suite(void)
{
	Suite *s = suite_create("autoprov");
	TCase *tc = tcase_create("autoprov");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_first_beacon);
	tcase_add_test(tc, test_backoff_exact);
	tcase_add_test(tc, test_backoff_cap);
	tcase_add_test(tc, test_give_up);
	tcase_add_test(tc, test_max_attempts_one);
	tcase_add_test(tc, test_reload_resets);
	tcase_add_test(tc, test_success_forgets);
	tcase_add_test(tc, test_configured_never_twice);
	tcase_add_test(tc, test_unconfigured_beacon_anew);
	tcase_add_test(tc, test_unconfigured_configured_again);
	tcase_add_test(tc, test_schedule_and_iterate);
	tcase_add_test(tc, test_bound);
	tcase_add_test(tc, test_reservation_beacon);
	tcase_add_test(tc, test_reservation_settled);
	tcase_add_test(tc, test_admit_ceiling);
	tcase_add_test(tc, test_admit_airtime);
	tcase_add_test(tc, test_admit_follows_airtime);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(autoprov_suite)
