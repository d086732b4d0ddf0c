/* node_setup: the configuration plan after provisioning, driven by a fake
 * node that answers each request as the test decides. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cfgmsg.h"
#include "check_main.h"
#include "node_setup.h"
#include "util.h"

#define NODE 0x0011

static struct {
	uint8_t pdu[32][64];
	size_t len[32];
	unsigned n;
	int done_rc;
	bool done;
	char msg[160];
	unsigned progress;
} t;

static int f_send(void *ctx, uint16_t dst, const uint8_t *pdu, size_t len)
{
	(void)ctx;
	ck_assert_uint_eq(dst, NODE);
	ck_assert_uint_lt(t.n, 32);
	ck_assert_uint_le(len, sizeof(t.pdu[0]));
	memcpy(t.pdu[t.n], pdu, len);
	t.len[t.n++] = len;
	return 0;
}

static void f_progress(void *ctx, const char *what)
{
	(void)ctx;
	ck_assert_ptr_nonnull(what);
	t.progress++;
}

static void f_done(void *ctx, int rc, const char *msg)
{
	(void)ctx;
	ck_assert(!t.done);
	t.done = true;
	t.done_rc = rc;
	snprintf(t.msg, sizeof(t.msg), "%s", msg);
}

static const struct node_setup_ops ops = { .send = f_send, .progress = f_progress, .done = f_done };

static struct node_setup s;

static void start(bool bind, unsigned ngroups)
{
	struct node_setup_params p = { 0 };

	memset(&t, 0, sizeof(t));
	p.unicast = NODE;
	p.net_index = 0;
	p.app_index = 0;
	memset(p.app_key, 0x5a, 16);
	p.bind_and_subscribe = bind;
	p.groups[0] = ALIGENIE_GROUP_LIGHTS;
	p.groups[1] = ALIGENIE_GROUP_ALL;
	p.ngroups = ngroups;
	ck_assert_int_eq(node_setup_start(&s, 0, &p, &ops, NULL), 0);
}

static void answer(uint64_t now, const uint8_t *pdu, size_t len)
{
	node_setup_input(&s, now, NODE, pdu, len);
}

/* The last request sent must start with these octets. */
static void expect_last(const uint8_t *prefix, size_t n)
{
	ck_assert_uint_gt(t.n, 0);
	ck_assert_uint_ge(t.len[t.n - 1], n);
	ck_assert_mem_eq(t.pdu[t.n - 1], prefix, n);
}

static const uint8_t appkey_ok[] = { 0x80, 0x03, 0x00, 0x00, 0x00, 0x00 };

/* Composition Data Status page 0: CID 01a8 PID 025a VID 0001 CRPL 0064 features 0,
 * one element: SIG 0000 (Config Server) and 1000 (Generic OnOff Server), vendor 01a8:0000 */
static const uint8_t comp_status[] = { 0x02, 0x00, 0xa8, 0x01, 0x5a, 0x02, 0x01, 0x00, 0x64, 0x00,
				       0x00, 0x00, 0x00, 0x00, 0x02, 0x01, 0x00, 0x00, 0x00, 0x10,
				       0xa8, 0x01, 0x00, 0x00 };

START_TEST(test_appkey_then_composition)
{
	static const uint8_t appkey_add_hdr[] = { 0x00, 0x00, 0x00, 0x00 };

	start(false, 0);
	ck_assert_uint_eq(t.n, 1);
	ck_assert_uint_eq(t.len[0], 20);
	expect_last(appkey_add_hdr, sizeof(appkey_add_hdr));
	ck_assert_uint_eq(t.pdu[0][4], 0x5a); /* the AppKey follows the indexes */

	answer(10, appkey_ok, sizeof(appkey_ok));
	ck_assert(s.appkey_added);
	ck_assert_uint_eq(t.n, 2);
	expect_last((const uint8_t *)"\x80\x08\x00", 3);
	ck_assert(!t.done);

	answer(20, comp_status, sizeof(comp_status));
	ck_assert(t.done);
	ck_assert_int_eq(t.done_rc, 0);
	ck_assert(s.have_composition);
	ck_assert_uint_eq(s.composition.cid, 0x01a8);
	ck_assert_uint_eq(s.composition.pid, 0x025a);
	ck_assert_uint_eq(s.composition.num_elements, 1);
	ck_assert_uint_eq(s.nbinds, 0); /* UUID version 1: the device binds by itself */
	ck_assert_uint_eq(t.n, 2);
	ck_assert_uint_ge(t.progress, 2);
	ck_assert_uint_eq(node_setup_next_deadline(&s), NO_DEADLINE);
}
END_TEST

/* AliGenie UUID version 0: every model but the Configuration Server is bound
 * and subscribed to both groups. */
START_TEST(test_bind_and_subscribe)
{
	uint8_t st[16];
	uint64_t now = 30;

	start(true, 2);
	answer(10, appkey_ok, sizeof(appkey_ok));
	answer(20, comp_status, sizeof(comp_status));
	ck_assert(!t.done);
	/* answer each bind/sub with the status echoing its parameters */
	while (!t.done && now < 1000) {
		const uint8_t *q = t.pdu[t.n - 1];
		size_t ql = t.len[t.n - 1];

		ck_assert_uint_ge(ql, 8);
		ck_assert_uint_eq(q[0], 0x80);
		st[0] = 0x80;
		st[1] = q[1] == 0x3d ? 0x3e : 0x1f; /* Model App Status / Model Subscription Status */
		ck_assert(q[1] == 0x3d || q[1] == 0x1b);
		st[2] = 0x00;
		memcpy(st + 3, q + 2, ql - 2);
		answer(now, st, ql + 1);
		now += 10;
	}
	ck_assert(t.done);
	ck_assert_int_eq(t.done_rc, 0);
	/* 2 models (1000 and the vendor one) x (1 bind + 2 subscriptions) */
	ck_assert_uint_eq(s.nbinds, 2);
	ck_assert_uint_eq(s.nsubs, 4);
	ck_assert_uint_eq(t.n, 2 + 6);
	ck_assert(!s.binds[0].model.vendor);
	ck_assert_uint_eq(s.binds[0].model.id, 0x1000);
	ck_assert(s.binds[1].model.vendor);
	ck_assert_uint_eq(s.binds[1].model.cid, 0x01a8);
	ck_assert_uint_eq(s.subs[0].value, ALIGENIE_GROUP_LIGHTS);
	ck_assert_uint_eq(s.subs[1].value, ALIGENIE_GROUP_ALL);
}
END_TEST

START_TEST(test_error_status)
{
	static const uint8_t bad[] = { 0x80, 0x03, 0x04, 0x00, 0x00, 0x00 };

	start(false, 0);
	answer(10, bad, sizeof(bad));
	ck_assert(t.done);
	ck_assert_int_eq(t.done_rc, -EPROTO);
	ck_assert_ptr_nonnull(strstr(t.msg, "Invalid NetKey Index"));
	ck_assert(!s.appkey_added);
	ck_assert_uint_eq(t.n, 1); /* nothing else sent after the failure */
}
END_TEST

START_TEST(test_timeout)
{
	start(false, 0);
	for (uint64_t now = 0; now <= CFGCLI_TIMEOUT_MS && !t.done; now += 100)
		node_setup_tick(&s, now);
	ck_assert(t.done);
	ck_assert_int_eq(t.done_rc, -ETIMEDOUT);
	ck_assert_ptr_nonnull(strstr(t.msg, "no answer from 0x0011"));
	ck_assert_uint_gt(t.n, 1); /* retransmitted meanwhile */
}
END_TEST

START_TEST(test_malformed_composition)
{
	start(false, 0);
	answer(10, appkey_ok, sizeof(appkey_ok));
	answer(20, comp_status, sizeof(comp_status) - 1); /* cut inside the vendor model */
	ck_assert(t.done);
	ck_assert_int_eq(t.done_rc, -EBADMSG);
	ck_assert(!s.have_composition);
}
END_TEST

START_TEST(test_cancel)
{
	start(true, 2);
	answer(10, appkey_ok, sizeof(appkey_ok));
	node_setup_cancel(&s, 20, "interrupted");
	ck_assert(t.done);
	ck_assert_int_eq(t.done_rc, -ECANCELED);
	ck_assert_str_eq(t.msg, "interrupted");
	ck_assert(s.appkey_added);
	/* nothing more happens */
	node_setup_tick(&s, 100000);
	ck_assert_uint_eq(t.n, 2);
}
END_TEST

START_TEST(test_other_source_ignored)
{
	start(false, 0);
	node_setup_input(&s, 10, NODE + 1, appkey_ok, sizeof(appkey_ok));
	ck_assert(!s.appkey_added);
	ck_assert_uint_eq(t.n, 1);
}
END_TEST

static Suite *node_setup_suite(void)
{
	Suite *su = suite_create("node_setup");
	TCase *tc = tcase_create("plan");

	tcase_add_test(tc, test_appkey_then_composition);
	tcase_add_test(tc, test_bind_and_subscribe);
	tcase_add_test(tc, test_error_status);
	tcase_add_test(tc, test_timeout);
	tcase_add_test(tc, test_malformed_composition);
	tcase_add_test(tc, test_cancel);
	tcase_add_test(tc, test_other_source_ignored);
	suite_add_tcase(su, tc);
	return su;
}

CHECK_MAIN(node_setup_suite)
