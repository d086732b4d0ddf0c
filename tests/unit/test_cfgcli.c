/* Configuration Client request engine (cfgcli.h): retransmission until the
 * matching status, matching rules, status codes, timeouts, the queue,
 * re-entrancy. Messages are the vectors of shared/vectors/mesh-network.md
 * §3 (Messages #6 and #16) and §5. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfgcli.h"
#include "check_main.h"
#include "testhex.h"
#include "util.h"

#define NODE 0x1201

#define MSG6_ACCESS "0056341263964771734fbd76e3b40519d1d94a48"
#define SAMPLE_APPKEY "63964771734fbd76e3b40519d1d94a48"
#define MSG16_ACCESS "800300563412"
#define COMP_STATUS "02 00 1110 2220 3330 4440 5550 bbaa 03 02 1011 2022 3033 a2a1a4a3 b2b1b4b3"
#define BIND_1201_123_1000 "803d011223010010"
#define BIND_STATUS_OK "803e00011223010010"
#define SUB_1201_C000_1000 "801b011200c00010"
#define SUB_STATUS_OK "801f00011200c00010"

/* ---- mock caller ---- */

#define MAX_SENT 256
#define MAX_DONE 256

struct done_rec {
	struct cfgcli_req req;
	int rc;
	uint8_t status;
	char status_str[48]; /* "" for NULL */
	bool has_params;
	uint8_t params[HX_MAX];
	size_t params_len;
	unsigned sent_before; /* sends so far when done was called */
};

struct mock {
	struct cfgcli cli;
	uint64_t now;
	uint8_t sent[MAX_SENT][CFG_MAX_REQ_PDU];
	size_t sent_len[MAX_SENT];
	uint64_t sent_at[MAX_SENT];
	uint16_t sent_dst[MAX_SENT];
	unsigned nsent;
	struct done_rec done[MAX_DONE];
	unsigned ndone;
	/* behaviour */
	int send_rc;                 /* returned by send */
	bool enqueue_from_done;      /* enqueue `next` from the first done */
	struct cfgcli_req next;
	bool cancel_from_done;       /* cfgcli_cancel_all from the first done */
	int nested_rc;               /* what enqueue returned inside done */
	unsigned nested_sent;        /* sends made by that enqueue, inside done */
};

static int mock_send(void *ctx, uint16_t dst, const uint8_t *pdu, size_t len)
{
	struct mock *m = ctx;

	ck_assert_uint_lt(m->nsent, MAX_SENT);
	ck_assert_uint_le(len, CFG_MAX_REQ_PDU);
	memcpy(m->sent[m->nsent], pdu, len);
	m->sent_len[m->nsent] = len;
	m->sent_at[m->nsent] = m->now;
	m->sent_dst[m->nsent] = dst;
	m->nsent++;
	return m->send_rc;
}

static void mock_done(void *ctx, const struct cfgcli_req *req, const struct cfgcli_result *res)
{
	struct mock *m = ctx;
	struct done_rec *d;

	ck_assert_uint_lt(m->ndone, MAX_DONE);
	d = &m->done[m->ndone++];
	d->req = *req;
	d->rc = res->rc;
	d->status = res->status;
	snprintf(d->status_str, sizeof(d->status_str), "%s", res->status_str ? res->status_str : "");
	d->has_params = res->params != NULL;
	d->params_len = res->params_len;
	if (res->params) {
		ck_assert_uint_le(res->params_len, sizeof(d->params));
		memcpy(d->params, res->params, res->params_len);
	}
	d->sent_before = m->nsent;
	if (m->ndone == 1 && m->enqueue_from_done) {
		unsigned before = m->nsent;

		m->nested_rc = cfgcli_enqueue(&m->cli, m->now, &m->next);
		m->nested_sent = m->nsent - before;
	}
	if (m->ndone == 1 && m->cancel_from_done)
		cfgcli_cancel_all(&m->cli, m->now);
}

static const struct cfgcli_ops mock_ops = { mock_send, mock_done };

static void mock_init(struct mock *m)
{
	memset(m, 0, sizeof(*m));
	cfgcli_init(&m->cli, NODE, &mock_ops, m);
}

/* Advance the clock to t, ticking at every deadline on the way. */
static void run_until(struct mock *m, uint64_t t)
{
	for (;;) {
		uint64_t d = cfgcli_next_deadline(&m->cli);

		if (d > t)
			break;
		ck_assert_uint_ge(d, m->now);
		m->now = d;
		cfgcli_tick(&m->cli, m->now);
	}
	m->now = t;
}

/* Feed a hex access payload from src (an exact heap copy, for ASan). */
static bool feed_from(struct mock *m, uint16_t src, const char *hex)
{
	struct bytes b = hx(hex);
	uint8_t *p = exact_copy(b.b, b.len);
	bool r = cfgcli_input(&m->cli, m->now, src, p, b.len);

	free(p);
	return r;
}

static bool feed(struct mock *m, const char *hex)
{
	return feed_from(m, NODE, hex);
}

static struct cfgcli_req appkey_add(uint16_t net, uint16_t app)
{
	struct cfgcli_req r = { .kind = CFGCLI_APPKEY_ADD, .net_idx = net, .app_idx = app };

	hx_to(SAMPLE_APPKEY, r.app_key, sizeof(r.app_key));
	return r;
}

static struct cfgcli_req bind(uint16_t elem, uint16_t app, struct cfg_model_id model)
{
	struct cfgcli_req r = { .kind = CFGCLI_MODEL_APP_BIND, .elem_addr = elem, .app_idx = app, .model = model };

	return r;
}

static struct cfgcli_req sub_add(uint16_t elem, uint16_t group, struct cfg_model_id model)
{
	struct cfgcli_req r = { .kind = CFGCLI_MODEL_SUB_ADD, .elem_addr = elem, .addr = group, .model = model };

	return r;
}

static struct cfgcli_req simple(enum cfgcli_kind kind)
{
	struct cfgcli_req r = { .kind = kind };

	return r;
}

/* ---- tests ---- */

START_TEST(test_retransmit_until_status)
{
	static struct mock m;
	struct cfgcli_req r = appkey_add(0x456, 0x123);
	int tag;

	mock_init(&m);
	r.user = &tag;
	ck_assert_uint_eq(cfgcli_next_deadline(&m.cli), NO_DEADLINE);
	ck_assert_int_eq(cfgcli_enqueue(&m.cli, 0, &r), 0);
	ck_assert_uint_eq(cfgcli_pending(&m.cli), 1);
	ck_assert_uint_eq(m.nsent, 1);
	ck_assert_uint_eq(m.sent_dst[0], NODE);
	EXPECT_HEX(m.sent[0], m.sent_len[0], MSG6_ACCESS);
	ck_assert_uint_eq(cfgcli_next_deadline(&m.cli), CFGCLI_RETRANSMIT_MS);

	/* nothing before the interval */
	cfgcli_tick(&m.cli, 1999);
	ck_assert_uint_eq(m.nsent, 1);
	run_until(&m, 4500);
	ck_assert_uint_eq(m.nsent, 3);
	ck_assert_uint_eq(m.sent_at[1], 2000);
	ck_assert_uint_eq(m.sent_at[2], 4000);
	for (unsigned i = 1; i < m.nsent; i++)
		assert_hex_at("repeat", i, m.sent[i], m.sent_len[i], MSG6_ACCESS);
	ck_assert_uint_eq(m.ndone, 0);

	/* Message #16 completes it */
	ck_assert(feed(&m, MSG16_ACCESS));
	ck_assert_uint_eq(m.ndone, 1);
	ck_assert_int_eq(m.done[0].rc, 0);
	ck_assert_uint_eq(m.done[0].status, 0);
	ck_assert_str_eq(m.done[0].status_str, "Success");
	ck_assert_ptr_eq(m.done[0].req.user, &tag);
	ck_assert(m.done[0].has_params);
	EXPECT_HEX(m.done[0].params, m.done[0].params_len, "00563412");
	ck_assert_uint_eq(cfgcli_pending(&m.cli), 0);
	ck_assert_uint_eq(cfgcli_next_deadline(&m.cli), NO_DEADLINE);

	/* and nothing more is sent; a duplicate status is ignored */
	run_until(&m, 60000);
	ck_assert_uint_eq(m.nsent, 3);
	ck_assert(!feed(&m, MSG16_ACCESS));
	ck_assert_uint_eq(m.ndone, 1);
	ck_assert_uint_eq(m.cli.stats.tx_sends, 3);
	ck_assert_uint_eq(m.cli.stats.tx_repeats, 2);
	ck_assert_uint_eq(m.cli.stats.rx_unexpected, 1);
	ck_assert_uint_eq(m.cli.stats.completed, 1);
}
END_TEST

START_TEST(test_appkey_matching)
{
	static struct mock m;
	struct cfgcli_req r = appkey_add(0x456, 0x123);

	mock_init(&m);
	ck_assert_int_eq(cfgcli_enqueue(&m.cli, 0, &r), 0);
	/* other indexes: (0x457, 0x123), (0x456, 0x124), swapped */
	ck_assert(!feed(&m, "800300573412"));
	ck_assert(!feed(&m, "800300564412"));
	ck_assert(!feed(&m, "800300231645"));
	ck_assert_uint_eq(m.cli.stats.rx_unmatched, 3);
	/* other opcodes with the same octets */
	ck_assert(!feed(&m, "803e00563412"));
	ck_assert(!feed(&m, "00563412"));
	ck_assert_uint_eq(m.cli.stats.rx_unexpected, 2);
	/* its opcode, wrong length */
	ck_assert(!feed(&m, "8003005634"));
	ck_assert(!feed(&m, "80030056341200"));
	ck_assert(!feed(&m, "8003"));
	ck_assert_uint_eq(m.cli.stats.rx_malformed, 3);
	ck_assert_uint_eq(m.ndone, 0);
	ck_assert_uint_eq(cfgcli_pending(&m.cli), 1);
	/* the right one */
	ck_assert(feed(&m, MSG16_ACCESS));
	ck_assert_uint_eq(m.ndone, 1);
	ck_assert_int_eq(m.done[0].rc, 0);
}
END_TEST

START_TEST(test_bind_matching)
{
	static struct mock m;
	struct cfgcli_req r = bind(0x1201, 0x123, cfg_model_sig(0x1000));

	mock_init(&m);
	ck_assert_int_eq(cfgcli_enqueue(&m.cli, 0, &r), 0);
	EXPECT_HEX(m.sent[0], m.sent_len[0], BIND_1201_123_1000);
	ck_assert(!feed(&m, "803e00021223010010"));    /* other element */
	ck_assert(!feed(&m, "803e00011224010010"));    /* other AppKeyIndex */
	ck_assert(!feed(&m, "803e00011223010110"));    /* other model */
	ck_assert(!feed(&m, "803e0001122301 0000 0010")); /* vendor CID 0, model 0x1000 */
	ck_assert_uint_eq(m.cli.stats.rx_unmatched, 4);
	ck_assert(!feed(&m, SUB_STATUS_OK));           /* a Subscription Status */
	ck_assert(!feed(&m, "803e000112230100"));      /* 6 octets */
	ck_assert_uint_eq(m.ndone, 0);
	/* RFU bits of the AppKeyIndex field are not part of the index */
	ck_assert(feed(&m, "803e0001122331 0010"));
	ck_assert_uint_eq(m.ndone, 1);
	ck_assert_int_eq(m.done[0].rc, 0);
}
END_TEST

START_TEST(test_vendor_bind_and_sub_matching)
{
	static struct mock m;
	struct cfgcli_req b = bind(0x1202, 0x000, cfg_model_vendor(0x01a8, 0x0000));
	struct cfgcli_req s = sub_add(0x1201, 0xc000, cfg_model_sig(0x1000));

	mock_init(&m);
	ck_assert_int_eq(cfgcli_enqueue(&m.cli, 0, &b), 0);
	ck_assert_int_eq(cfgcli_enqueue(&m.cli, 0, &s), 0);
	EXPECT_HEX(m.sent[0], m.sent_len[0], "803d 0212 0000 a801 0000");
	ck_assert(!feed(&m, "803e00 0212 0000 0000"));      /* SIG model 0x0000 */
	ck_assert(!feed(&m, "803e00 0212 0000 a901 0000")); /* other CID */
	ck_assert(feed(&m, "803e00 0212 0000 a801 0000"));
	ck_assert_uint_eq(m.nsent, 2);
	EXPECT_HEX(m.sent[1], m.sent_len[1], SUB_1201_C000_1000);
	ck_assert(!feed(&m, "801f00011201c00010"));        /* other group */
	ck_assert(!feed(&m, "801f00021200c00010"));        /* other element */
	ck_assert(!feed(&m, "801f00011200c00110"));        /* other model */
	ck_assert(!feed(&m, BIND_STATUS_OK));
	ck_assert_uint_eq(m.ndone, 1);
	ck_assert(feed(&m, SUB_STATUS_OK));
	ck_assert_uint_eq(m.ndone, 2);
	ck_assert_int_eq(m.done[1].rc, 0);
	ck_assert_uint_eq(m.done[1].req.kind, CFGCLI_MODEL_SUB_ADD);
}
END_TEST

START_TEST(test_non_success_status)
{
	static struct mock m;
	struct cfgcli_req b = bind(0x1201, 0x123, cfg_model_sig(0x1000));
	struct cfgcli_req a = appkey_add(0x456, 0x123);
	struct cfgcli_req s = sub_add(0x1201, 0xc000, cfg_model_sig(0x1000));

	mock_init(&m);
	ck_assert_int_eq(cfgcli_enqueue(&m.cli, 0, &b), 0);
	ck_assert_int_eq(cfgcli_enqueue(&m.cli, 0, &a), 0);
	ck_assert_int_eq(cfgcli_enqueue(&m.cli, 0, &s), 0);
	ck_assert(feed(&m, "803e02011223010010"));
	ck_assert(feed(&m, "800306563412"));
	ck_assert(feed(&m, "801f08011200c00010"));
	ck_assert_uint_eq(m.ndone, 3);
	ck_assert_int_eq(m.done[0].rc, CFG_STATUS_INVALID_MODEL);
	ck_assert_uint_eq(m.done[0].status, 0x02);
	ck_assert_str_eq(m.done[0].status_str, "Invalid Model");
	ck_assert_int_eq(m.done[1].rc, CFG_STATUS_KEY_INDEX_ALREADY_STORED);
	ck_assert_str_eq(m.done[1].status_str, "Key Index Already Stored");
	ck_assert_int_eq(m.done[2].rc, CFG_STATUS_NOT_A_SUBSCRIBE_MODEL);
	ck_assert_str_eq(m.done[2].status_str, "Not a Subscribe Model");
	/* an RFU status code is still the node's answer */
	ck_assert_int_eq(cfgcli_enqueue(&m.cli, m.now, &b), 0);
	ck_assert(feed(&m, "803e80011223010010"));
	ck_assert_int_eq(m.done[3].rc, 0x80);
	ck_assert_str_eq(m.done[3].status_str, "RFU");
}
END_TEST

START_TEST(test_timeout)
{
	static struct mock m;
	struct cfgcli_req r = simple(CFGCLI_NODE_RESET);

	mock_init(&m);
	m.now = 1000;
	ck_assert_int_eq(cfgcli_enqueue(&m.cli, 1000, &r), 0);
	run_until(&m, 10999);
	ck_assert_uint_eq(m.ndone, 0);
	ck_assert_uint_eq(m.nsent, 5); /* 1000, 3000, 5000, 7000, 9000 */
	for (unsigned i = 0; i < 5; i++) {
		ck_assert_uint_eq(m.sent_at[i], 1000 + 2000 * i);
		assert_hex_at("node reset", i, m.sent[i], m.sent_len[i], "8049");
	}
	ck_assert_uint_eq(cfgcli_next_deadline(&m.cli), 11000);
	run_until(&m, 11000);
	ck_assert_uint_eq(m.ndone, 1);
	ck_assert_int_eq(m.done[0].rc, -ETIMEDOUT);
	ck_assert_str_eq(m.done[0].status_str, "");
	ck_assert(!m.done[0].has_params);
	ck_assert_uint_eq(m.nsent, 5);
	ck_assert_uint_eq(cfgcli_next_deadline(&m.cli), NO_DEADLINE);
	/* a status after the timeout is ignored */
	ck_assert(!feed(&m, "804a"));
}
END_TEST

START_TEST(test_timing_configurable)
{
	static struct mock m;
	struct cfgcli_req r = simple(CFGCLI_COMP_DATA_GET);

	mock_init(&m);
	ck_assert_int_eq(cfgcli_set_timing(&m.cli, 0, 1000), -EINVAL);
	ck_assert_int_eq(cfgcli_set_timing(&m.cli, 500, 0), -EINVAL);
	ck_assert_int_eq(cfgcli_set_timing(&m.cli, 500, 1200), 0);
	ck_assert_int_eq(cfgcli_enqueue(&m.cli, 0, &r), 0);
	run_until(&m, 5000);
	ck_assert_uint_eq(m.nsent, 3);
	ck_assert_uint_eq(m.sent_at[1], 500);
	ck_assert_uint_eq(m.sent_at[2], 1000);
	ck_assert_uint_eq(m.ndone, 1);
	ck_assert_int_eq(m.done[0].rc, -ETIMEDOUT);

	/* a late tick sends once, and the next one is an interval after it */
	ck_assert_int_eq(cfgcli_enqueue(&m.cli, 5000, &r), 0);
	m.now = 5900;
	cfgcli_tick(&m.cli, 5900);
	ck_assert_uint_eq(m.nsent, 5);
	ck_assert_uint_eq(cfgcli_next_deadline(&m.cli), 6200); /* the timeout comes first */
}
END_TEST

START_TEST(test_queue_order)
{
	static struct mock m;
	struct cfgcli_req reqs[5] = {
		appkey_add(0x456, 0x123),
		simple(CFGCLI_COMP_DATA_GET),
		bind(0x1201, 0x123, cfg_model_sig(0x1000)),
		sub_add(0x1201, 0xc000, cfg_model_sig(0x1000)),
		simple(CFGCLI_NODE_RESET),
	};
	static const char *const sent[5] = { MSG6_ACCESS, "800800", BIND_1201_123_1000, SUB_1201_C000_1000, "8049" };
	static const char *const replies[5] = { MSG16_ACCESS, COMP_STATUS, BIND_STATUS_OK, SUB_STATUS_OK, "804a" };
	static struct cfg_comp_page0 comp;
	struct cfg_comp_data_status cs;

	mock_init(&m);
	for (unsigned i = 0; i < 5; i++)
		ck_assert_int_eq(cfgcli_enqueue(&m.cli, 0, &reqs[i]), 0);
	ck_assert_uint_eq(cfgcli_pending(&m.cli), 5);
	ck_assert_uint_eq(m.nsent, 1); /* one outstanding at a time */

	for (unsigned i = 0; i < 5; i++) {
		/* a reply for a later request does not complete this one */
		if (i + 1 < 5)
			ck_assert(!feed(&m, replies[i + 1]));
		ck_assert_uint_eq(m.nsent, i + 1);
		assert_hex_at("request", i, m.sent[i], m.sent_len[i], sent[i]);
		ck_assert_uint_eq(m.sent_at[i], 100 * i);
		m.now = 100 * (i + 1);
		ck_assert(feed(&m, replies[i]));
		ck_assert_uint_eq(m.ndone, i + 1);
		ck_assert_uint_eq(m.done[i].req.kind, reqs[i].kind);
		ck_assert_int_eq(m.done[i].rc, 0);
		ck_assert_uint_eq(m.done[i].sent_before, i + 1); /* reported before the next is sent */
		ck_assert_uint_eq(cfgcli_pending(&m.cli), 4 - i);
	}
	ck_assert_uint_eq(m.nsent, 5);

	/* the Composition Data came back in the result */
	ck_assert_int_eq(cfg_parse_comp_data_status(m.done[1].params, m.done[1].params_len, &cs), 0);
	ck_assert_uint_eq(cs.page, 0);
	ck_assert_int_eq(cfg_comp_page0_parse(cs.data, cs.len, &comp), 0);
	ck_assert_uint_eq(comp.cid, 0x1011);
	ck_assert_uint_eq(comp.elements[0].num_vendor, 2);
}
END_TEST

START_TEST(test_unrelated_ignored)
{
	static struct mock m;
	struct cfgcli_req r = appkey_add(0x456, 0x123);

	mock_init(&m);
	/* nothing outstanding */
	ck_assert(!feed(&m, MSG16_ACCESS));
	ck_assert_uint_eq(m.cli.stats.rx_unexpected, 1);
	ck_assert_int_eq(cfgcli_enqueue(&m.cli, 0, &r), 0);
	/* the right status from another node or element */
	ck_assert(!feed_from(&m, 0x1202, MSG16_ACCESS));
	ck_assert(!feed_from(&m, 0x0003, MSG16_ACCESS));
	ck_assert_uint_eq(m.cli.stats.rx_other_src, 2);
	/* malformed opcodes: empty, RFU 7f, cut short */
	ck_assert(!feed(&m, ""));
	ck_assert(!feed(&m, "7f00"));
	ck_assert(!feed(&m, "80"));
	ck_assert(!feed(&m, "d4a8"));
	ck_assert_uint_eq(m.cli.stats.rx_malformed, 4);
	/* other messages of the node: an AliGenie indication, Health Current Status */
	ck_assert(!feed(&m, "d4a8015a010001"));
	ck_assert(!feed(&m, "0400000000"));
	ck_assert_uint_eq(m.cli.stats.rx_unexpected, 3);
	ck_assert_uint_eq(m.ndone, 0);
	ck_assert_uint_eq(m.nsent, 1);
	ck_assert(feed(&m, MSG16_ACCESS));
	ck_assert_uint_eq(m.cli.stats.rx_msgs, 10);
}
END_TEST

/* The status cut at every length never completes (and is read within bounds). */
START_TEST(test_truncated_statuses)
{
	static struct mock m;
	struct cfgcli_req reqs[4] = {
		appkey_add(0x456, 0x123),
		bind(0x1201, 0x123, cfg_model_vendor(0x01a8, 0)),
		sub_add(0x1201, 0xc000, cfg_model_vendor(0x01a8, 0)),
		simple(CFGCLI_COMP_DATA_GET),
	};
	static const char *const statuses[4] = { MSG16_ACCESS, "803e00 0112 2301 a801 0000",
						 "801f00 0112 00c0 a801 0000", "0200" };

	for (unsigned i = 0; i < 4; i++) {
		struct bytes b = hx(statuses[i]);

		mock_init(&m);
		ck_assert_int_eq(cfgcli_enqueue(&m.cli, 0, &reqs[i]), 0);
		for (size_t n = 0; n < b.len; n++) {
			uint8_t *q = exact_copy(b.b, n);

			ck_assert_msg(!cfgcli_input(&m.cli, 0, NODE, q, n), "case %u length %zu completed", i, n);
			free(q);
		}
		/* and one octet too many */
		b.b[b.len] = 0;
		if (reqs[i].kind != CFGCLI_COMP_DATA_GET)
			ck_assert(!cfgcli_input(&m.cli, 0, NODE, b.b, b.len + 1));
		ck_assert_uint_eq(m.ndone, 0);
		ck_assert(cfgcli_input(&m.cli, 0, NODE, b.b, b.len));
		ck_assert_uint_eq(m.ndone, 1);
	}
}
END_TEST

START_TEST(test_comp_page_matching)
{
	static struct mock m;
	struct cfgcli_req r = simple(CFGCLI_COMP_DATA_GET);

	mock_init(&m);
	r.page = 0xff; /* the highest page the node has */
	ck_assert_int_eq(cfgcli_enqueue(&m.cli, 0, &r), 0);
	EXPECT_HEX(m.sent[0], m.sent_len[0], "8008ff");
	ck_assert(feed(&m, COMP_STATUS));
	ck_assert_int_eq(m.done[0].rc, 0);

	r.page = 0;
	ck_assert_int_eq(cfgcli_enqueue(&m.cli, 0, &r), 0);
	ck_assert(!feed(&m, "0201")); /* page 1 was not asked for */
	ck_assert(!feed(&m, "02"));   /* no page */
	ck_assert_uint_eq(m.ndone, 1);
	ck_assert(feed(&m, "0200"));
	ck_assert_uint_eq(m.ndone, 2);
	ck_assert_uint_eq(m.done[1].params_len, 1);
}
END_TEST

/* A late duplicate of an earlier status does not complete a later request. */
START_TEST(test_late_duplicate)
{
	static struct mock m;
	struct cfgcli_req a = bind(0x1201, 0x123, cfg_model_sig(0x1000));
	struct cfgcli_req b = bind(0x1201, 0x123, cfg_model_sig(0x1001));

	mock_init(&m);
	ck_assert_int_eq(cfgcli_enqueue(&m.cli, 0, &a), 0);
	ck_assert_int_eq(cfgcli_enqueue(&m.cli, 0, &b), 0);
	run_until(&m, 2500); /* a was sent twice: the node may answer twice */
	ck_assert(feed(&m, BIND_STATUS_OK));
	ck_assert(!feed(&m, BIND_STATUS_OK));
	ck_assert_uint_eq(m.ndone, 1);
	ck_assert_uint_eq(m.cli.stats.rx_unmatched, 1);
	ck_assert(feed(&m, "803e00011223010110"));
	ck_assert_uint_eq(m.ndone, 2);
	ck_assert(cfg_model_id_eq(m.done[1].req.model, cfg_model_sig(0x1001)));
}
END_TEST

/* A request the lower layers refuse (its segmented message slot is taken)
 * has not been sent: its answer's timeout starts when a send is taken, and
 * one refused for the whole timeout ends with -EBUSY, not "no answer". */
START_TEST(test_busy_not_timed_out)
{
	static struct mock m;
	struct cfgcli_req a = appkey_add(0x456, 0x123);
	uint64_t taken;

	mock_init(&m);
	m.send_rc = -EBUSY;
	ck_assert_int_eq(cfgcli_enqueue(&m.cli, 0, &a), 0);
	run_until(&m, CFGCLI_TIMEOUT_MS - CFGCLI_BUSY_RETRY_MS - 1);
	ck_assert_uint_eq(m.ndone, 0);
	ck_assert_uint_ge(m.nsent, CFGCLI_TIMEOUT_MS / CFGCLI_BUSY_RETRY_MS - 1);
	m.send_rc = 0; /* taken at the next try, just before the timeout */
	taken = CFGCLI_TIMEOUT_MS - CFGCLI_BUSY_RETRY_MS;
	run_until(&m, taken);
	ck_assert_uint_eq(m.ndone, 0);
	ck_assert_uint_eq(m.cli.stats.tx_sends - m.cli.stats.tx_errors, 1);
	/* retransmitted as usual, answered after more than the timeout since enqueue */
	run_until(&m, taken + CFGCLI_TIMEOUT_MS - 1);
	ck_assert_uint_eq(m.ndone, 0);
	ck_assert(feed(&m, MSG16_ACCESS));
	ck_assert_uint_eq(m.ndone, 1);
	ck_assert_int_eq(m.done[0].rc, 0);

	/* refused all along */
	m.send_rc = -EBUSY;
	ck_assert_int_eq(cfgcli_enqueue(&m.cli, m.now, &a), 0);
	taken = m.now;
	run_until(&m, taken + CFGCLI_TIMEOUT_MS);
	ck_assert_uint_eq(m.ndone, 2);
	ck_assert_int_eq(m.done[1].rc, -EBUSY);
}
END_TEST

START_TEST(test_send_errors)
{
	static struct mock m;
	struct cfgcli_req a = appkey_add(0x456, 0x123);
	struct cfgcli_req c = simple(CFGCLI_COMP_DATA_GET);

	mock_init(&m);
	/* busy: tried again after CFGCLI_BUSY_RETRY_MS, not a whole interval */
	m.send_rc = -EBUSY;
	ck_assert_int_eq(cfgcli_enqueue(&m.cli, 0, &a), 0);
	ck_assert_uint_eq(m.nsent, 1);
	ck_assert_uint_eq(m.ndone, 0);
	m.send_rc = -EAGAIN;
	run_until(&m, CFGCLI_BUSY_RETRY_MS);
	ck_assert_uint_eq(m.nsent, 2);
	ck_assert_uint_eq(m.ndone, 0);
	ck_assert_uint_eq(m.cli.stats.tx_errors, 2);
	m.send_rc = 0;
	ck_assert(feed(&m, MSG16_ACCESS));

	/* any other error ends the request at once; the next one starts */
	m.send_rc = -ENOKEY;
	ck_assert_int_eq(cfgcli_enqueue(&m.cli, m.now, &a), 0);
	ck_assert_uint_eq(m.ndone, 2);
	ck_assert_int_eq(m.done[1].rc, -ENOKEY);
	ck_assert_str_eq(m.done[1].status_str, "");
	m.send_rc = 0;
	ck_assert_int_eq(cfgcli_enqueue(&m.cli, m.now, &a), 0);
	ck_assert_int_eq(cfgcli_enqueue(&m.cli, m.now, &c), 0);
	m.send_rc = -EIO; /* the retransmission fails */
	run_until(&m, m.now + 2000);
	ck_assert_uint_eq(m.ndone, 4);
	ck_assert_int_eq(m.done[2].rc, -EIO);
	ck_assert_int_eq(m.done[3].rc, -EIO); /* the Composition Get's first send too */
	ck_assert_uint_eq(cfgcli_pending(&m.cli), 0);
	ck_assert_uint_eq(cfgcli_next_deadline(&m.cli), NO_DEADLINE);
}
END_TEST

START_TEST(test_enqueue_errors)
{
	static struct mock m;
	struct cfgcli_req r;

	mock_init(&m);
	r = appkey_add(0x1000, 0);
	ck_assert_int_eq(cfgcli_enqueue(&m.cli, 0, &r), -EINVAL);
	r = bind(0x0000, 0, cfg_model_sig(0x1000));
	ck_assert_int_eq(cfgcli_enqueue(&m.cli, 0, &r), -EINVAL);
	r = bind(0x1201, 0x1000, cfg_model_sig(0x1000));
	ck_assert_int_eq(cfgcli_enqueue(&m.cli, 0, &r), -EINVAL);
	r = sub_add(0x1201, 0x1202, cfg_model_sig(0x1000)); /* not a group */
	ck_assert_int_eq(cfgcli_enqueue(&m.cli, 0, &r), -EINVAL);
	r = sub_add(0x1201, 0xffff, cfg_model_sig(0x1000)); /* all-nodes */
	ck_assert_int_eq(cfgcli_enqueue(&m.cli, 0, &r), -EINVAL);
	r = simple((enum cfgcli_kind)99);
	ck_assert_int_eq(cfgcli_enqueue(&m.cli, 0, &r), -EINVAL);
	ck_assert_uint_eq(m.nsent, 0);
	ck_assert_uint_eq(cfgcli_pending(&m.cli), 0);

	r = simple(CFGCLI_COMP_DATA_GET);
	for (unsigned i = 0; i < CFGCLI_QUEUE_LEN; i++)
		ck_assert_int_eq(cfgcli_enqueue(&m.cli, 0, &r), 0);
	ck_assert_int_eq(cfgcli_enqueue(&m.cli, 0, &r), -ENOSPC);
	ck_assert_uint_eq(cfgcli_pending(&m.cli), CFGCLI_QUEUE_LEN);
	/* the ring wraps */
	for (unsigned i = 0; i < 3 * CFGCLI_QUEUE_LEN; i++) {
		ck_assert(feed(&m, "0200"));
		ck_assert_int_eq(cfgcli_enqueue(&m.cli, 0, &r), 0);
	}
	ck_assert_uint_eq(m.ndone, 3 * CFGCLI_QUEUE_LEN);
	ck_assert_uint_eq(cfgcli_pending(&m.cli), CFGCLI_QUEUE_LEN);
}
END_TEST

START_TEST(test_enqueue_from_done)
{
	static struct mock m;
	struct cfgcli_req a = appkey_add(0x456, 0x123);

	mock_init(&m);
	m.enqueue_from_done = true;
	m.next = bind(0x1201, 0x123, cfg_model_sig(0x1000));
	ck_assert_int_eq(cfgcli_enqueue(&m.cli, 0, &a), 0);
	m.now = 700;
	ck_assert(feed(&m, MSG16_ACCESS));
	ck_assert_int_eq(m.nested_rc, 0);
	/* not sent from inside done, but right after it */
	ck_assert_uint_eq(m.done[0].sent_before, 1);
	ck_assert_uint_eq(m.nested_sent, 0);
	ck_assert_uint_eq(m.nsent, 2);
	EXPECT_HEX(m.sent[1], m.sent_len[1], BIND_1201_123_1000);
	ck_assert_uint_eq(m.sent_at[1], 700);
	ck_assert_uint_eq(cfgcli_next_deadline(&m.cli), 2700);
	ck_assert(feed(&m, BIND_STATUS_OK));
	ck_assert_uint_eq(m.ndone, 2);
}
END_TEST

START_TEST(test_cancel)
{
	static struct mock m;
	struct cfgcli_req a = appkey_add(0x456, 0x123);
	struct cfgcli_req c = simple(CFGCLI_COMP_DATA_GET);
	struct cfgcli_req n = simple(CFGCLI_NODE_RESET);

	/* from outside: the outstanding one first, then the rest in order */
	mock_init(&m);
	ck_assert_int_eq(cfgcli_enqueue(&m.cli, 0, &a), 0);
	ck_assert_int_eq(cfgcli_enqueue(&m.cli, 0, &c), 0);
	ck_assert_int_eq(cfgcli_enqueue(&m.cli, 0, &n), 0);
	cfgcli_cancel_all(&m.cli, 0);
	ck_assert_uint_eq(m.ndone, 3);
	ck_assert_uint_eq(m.done[0].req.kind, CFGCLI_APPKEY_ADD);
	ck_assert_uint_eq(m.done[1].req.kind, CFGCLI_COMP_DATA_GET);
	ck_assert_uint_eq(m.done[2].req.kind, CFGCLI_NODE_RESET);
	for (unsigned i = 0; i < 3; i++)
		ck_assert_int_eq(m.done[i].rc, -ECANCELED);
	ck_assert_uint_eq(m.nsent, 1);
	ck_assert_uint_eq(cfgcli_next_deadline(&m.cli), NO_DEADLINE);
	ck_assert(!feed(&m, MSG16_ACCESS));

	/* from done: a failure stops the rest */
	mock_init(&m);
	m.cancel_from_done = true;
	ck_assert_int_eq(cfgcli_enqueue(&m.cli, 0, &a), 0);
	ck_assert_int_eq(cfgcli_enqueue(&m.cli, 0, &c), 0);
	ck_assert_int_eq(cfgcli_enqueue(&m.cli, 0, &n), 0);
	ck_assert(feed(&m, "800304563412"));
	ck_assert_uint_eq(m.ndone, 3);
	ck_assert_int_eq(m.done[0].rc, CFG_STATUS_INVALID_NETKEY);
	ck_assert_str_eq(m.done[0].status_str, "Invalid NetKey Index");
	ck_assert_int_eq(m.done[1].rc, -ECANCELED);
	ck_assert_int_eq(m.done[2].rc, -ECANCELED);
	ck_assert_uint_eq(m.nsent, 1);
	ck_assert_uint_eq(cfgcli_pending(&m.cli), 0);
	/* the client is usable afterwards */
	m.cancel_from_done = false;
	ck_assert_int_eq(cfgcli_enqueue(&m.cli, 0, &c), 0);
	ck_assert_uint_eq(m.nsent, 2);
}
END_TEST

/* ---- node states (cfgmsg.h: Default TTL, Relay, Beacon, GATT Proxy,
 * Friend, Network Transmit) ---- */

static struct cfgcli_req state_get(enum cfg_state st)
{
	struct cfgcli_req r = { .kind = CFGCLI_STATE_GET, .state = st };

	return r;
}

static struct cfgcli_req state_set(enum cfg_state st, uint8_t value, uint8_t retransmit)
{
	struct cfgcli_req r = { .kind = CFGCLI_STATE_SET, .state = st,
				.state_value = { .value = value, .retransmit = retransmit } };

	return r;
}

/* Get and Set as on the air (Mesh Profile §4.3.2): opcodes and layouts. */
START_TEST(test_state_builders)
{
	static const struct {
		enum cfg_state st;
		const char *get;
		uint8_t value, retransmit;
		const char *set;
	} v[] = {
		{ CFG_STATE_DEFAULT_TTL, "800c", 0x05, 0, "800d05" },
		{ CFG_STATE_DEFAULT_TTL, "800c", 0x00, 0, "800d00" },
		{ CFG_STATE_RELAY, "8026", 0x01, 2 | 3 << 3, "8027011a" },
		{ CFG_STATE_BEACON, "8009", 0x00, 0, "800a00" },
		{ CFG_STATE_GATT_PROXY, "8012", 0x01, 0, "801301" },
		{ CFG_STATE_FRIEND, "800f", 0x00, 0, "801000" },
		{ CFG_STATE_NET_TRANSMIT, "8023", 4 | 9 << 3, 0, "80244c" },
	};
	/* prohibited in a Set */
	static const struct {
		enum cfg_state st;
		uint8_t value;
	} bad[] = {
		{ CFG_STATE_DEFAULT_TTL, 0x01 }, { CFG_STATE_DEFAULT_TTL, 0x80 }, { CFG_STATE_DEFAULT_TTL, 0xff },
		{ CFG_STATE_RELAY, 0x02 },       { CFG_STATE_RELAY, 0x03 },       { CFG_STATE_BEACON, 0x02 },
		{ CFG_STATE_GATT_PROXY, 0x02 },  { CFG_STATE_FRIEND, 0x02 },      { CFG_STATE_FRIEND, 0xff },
	};
	uint8_t out[CFG_MAX_REQ_PDU];

	for (unsigned i = 0; i < ARRAY_SIZE(v); i++) {
		struct cfgcli_req g = state_get(v[i].st), s = state_set(v[i].st, v[i].value, v[i].retransmit);
		int n = cfgcli_build_req(&g, out, sizeof(out));

		ck_assert_int_gt(n, 0);
		assert_hex_at("get", i, out, (size_t)n, v[i].get);
		n = cfgcli_build_req(&s, out, sizeof(out));
		ck_assert_int_gt(n, 0);
		assert_hex_at("set", i, out, (size_t)n, v[i].set);
		/* no room */
		ck_assert_int_eq(cfg_build_state_set(v[i].st, &s.state_value, out, (size_t)n - 1), -ENOBUFS);
	}
	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
		struct cfg_node_state sv = { bad[i].value, 0 };
		struct cfgcli_req s = state_set(bad[i].st, bad[i].value, 0);
		static struct mock m;

		ck_assert_msg(cfg_build_state_set(bad[i].st, &sv, out, sizeof(out)) == -EINVAL, "bad %u", i);
		mock_init(&m);
		ck_assert_int_eq(cfgcli_enqueue(&m.cli, 0, &s), -EINVAL);
		ck_assert_uint_eq(m.nsent, 0);
	}
	ck_assert_int_eq(cfg_build_state_get((enum cfg_state)CFG_STATE_COUNT, out, sizeof(out)), -EINVAL);
	ck_assert_uint_eq(cfg_state_status_opcode((enum cfg_state)CFG_STATE_COUNT), 0);
}
END_TEST

/* Status parsers: exact lengths (2 for Relay, 1 for the others), prohibited
 * values refused, "not supported" taken where there is one. */
START_TEST(test_state_status_parse)
{
	static const struct {
		enum cfg_state st;
		const char *params;
		int rc;
		uint8_t value, retransmit;
	} v[] = {
		{ CFG_STATE_DEFAULT_TTL, "07", 0, 7, 0 },     { CFG_STATE_DEFAULT_TTL, "00", 0, 0, 0 },
		{ CFG_STATE_DEFAULT_TTL, "01", -EBADMSG },    { CFG_STATE_DEFAULT_TTL, "80", -EBADMSG },
		{ CFG_STATE_DEFAULT_TTL, "", -EBADMSG },      { CFG_STATE_DEFAULT_TTL, "0700", -EBADMSG },
		{ CFG_STATE_RELAY, "011a", 0, 1, 0x1a },      { CFG_STATE_RELAY, "0200", 0, 2, 0 },
		{ CFG_STATE_RELAY, "01", -EBADMSG },          { CFG_STATE_RELAY, "011a00", -EBADMSG },
		{ CFG_STATE_RELAY, "031a", -EBADMSG },        { CFG_STATE_RELAY, "", -EBADMSG },
		{ CFG_STATE_BEACON, "01", 0, 1, 0 },          { CFG_STATE_BEACON, "02", -EBADMSG },
		{ CFG_STATE_BEACON, "0100", -EBADMSG },       { CFG_STATE_GATT_PROXY, "02", 0, 2, 0 },
		{ CFG_STATE_GATT_PROXY, "03", -EBADMSG },     { CFG_STATE_GATT_PROXY, "", -EBADMSG },
		{ CFG_STATE_FRIEND, "00", 0, 0, 0 },          { CFG_STATE_FRIEND, "0001", -EBADMSG },
		{ CFG_STATE_NET_TRANSMIT, "ff", 0, 0xff, 0 }, { CFG_STATE_NET_TRANSMIT, "", -EBADMSG },
		{ CFG_STATE_NET_TRANSMIT, "4c4c", -EBADMSG },
	};

	for (unsigned i = 0; i < ARRAY_SIZE(v); i++) {
		struct bytes b = hx(v[i].params);
		uint8_t *p = exact_copy(b.b, b.len);
		struct cfg_node_state out = { 0xee, 0xee };
		int rc = cfg_parse_state_status(v[i].st, p, b.len, &out);

		free(p);
		ck_assert_msg(rc == v[i].rc, "case %u: %d", i, rc);
		if (rc == 0) {
			ck_assert_uint_eq(out.value, v[i].value);
			ck_assert_uint_eq(out.retransmit, v[i].retransmit);
		}
	}
	ck_assert_uint_eq(cfg_transmit_count(0x4c), 4);
	ck_assert_uint_eq(cfg_transmit_steps(0x4c), 9);
	ck_assert_uint_eq(cfg_transmit_pack(7, 31), 0xff);
}
END_TEST

/* A Get or Set completes with its state's Status only: another state's
 * Status is unexpected, a wrong length or prohibited value malformed. */
START_TEST(test_state_matching)
{
	static struct mock m;
	struct cfgcli_req r = state_set(CFG_STATE_RELAY, 1, 0x1a);
	struct cfgcli_req g = state_get(CFG_STATE_DEFAULT_TTL);

	mock_init(&m);
	ck_assert_int_eq(cfgcli_enqueue(&m.cli, 0, &r), 0);
	ck_assert_uint_eq(m.nsent, 1);
	assert_hex_at("sent", 0, m.sent[0], m.sent_len[0], "8027011a");
	ck_assert(!feed(&m, "800e05"));   /* Default TTL Status */
	ck_assert(!feed(&m, "8025011a")); /* Network Transmit Status */
	ck_assert_uint_eq(m.cli.stats.rx_unexpected, 2);
	ck_assert(!feed(&m, "802801"));
	ck_assert(!feed(&m, "8028011a00"));
	ck_assert(!feed(&m, "8028031a"));
	ck_assert_uint_eq(m.cli.stats.rx_malformed, 3);
	ck_assert_uint_eq(m.ndone, 0);
	/* the node's answer: whatever state it reports (a Set it did not take
	 * is the caller's to judge) */
	ck_assert(feed(&m, "80280200")); /* Relay Not Supported */
	ck_assert_uint_eq(m.ndone, 1);
	ck_assert_int_eq(m.done[0].rc, 0);
	ck_assert(m.done[0].has_params);
	assert_hex_at("params", 0, m.done[0].params, m.done[0].params_len, "0200");

	ck_assert_int_eq(cfgcli_enqueue(&m.cli, 0, &g), 0);
	ck_assert_uint_eq(m.nsent, 2);
	assert_hex_at("sent", 1, m.sent[1], m.sent_len[1], "800c");
	ck_assert(!feed(&m, "800e01"));
	ck_assert(feed(&m, "800e7f"));
	ck_assert_uint_eq(m.ndone, 2);
	assert_hex_at("params", 1, m.done[1].params, m.done[1].params_len, "7f");
}
END_TEST

/* ---- Model App Unbind, Model Subscription Delete ---- */

START_TEST(test_unbind_sub_del)
{
	static struct mock m;
	struct cfgcli_req u = bind(0x1201, 0x123, cfg_model_sig(0x1000));
	struct cfgcli_req d = sub_add(0x1201, 0xc000, cfg_model_sig(0x1000));
	struct cfgcli_req bad;
	static const char *const u_statuses_short[] = { "803e00", "803e0001122301", "803e000112230100" };

	u.kind = CFGCLI_MODEL_APP_UNBIND;
	d.kind = CFGCLI_MODEL_SUB_DEL;
	mock_init(&m);
	ck_assert_int_eq(cfgcli_enqueue(&m.cli, 0, &u), 0);
	ck_assert_int_eq(cfgcli_enqueue(&m.cli, 0, &d), 0);
	ck_assert_uint_eq(m.nsent, 1);
	assert_hex_at("unbind", 0, m.sent[0], m.sent_len[0], "803f011223010010");
	/* the Subscription Status does not answer it; nor another AppKey */
	ck_assert(!feed(&m, SUB_STATUS_OK));
	ck_assert_uint_eq(m.cli.stats.rx_unexpected, 1);
	ck_assert(!feed(&m, "803e00011224010010"));
	ck_assert_uint_eq(m.cli.stats.rx_unmatched, 1);
	for (unsigned i = 0; i < ARRAY_SIZE(u_statuses_short); i++)
		ck_assert(!feed(&m, u_statuses_short[i]));
	ck_assert(!feed(&m, "803e0001122301001000"));
	ck_assert_uint_eq(m.cli.stats.rx_malformed, ARRAY_SIZE(u_statuses_short) + 1);
	ck_assert_uint_eq(m.ndone, 0);
	ck_assert(feed(&m, BIND_STATUS_OK));
	ck_assert_uint_eq(m.ndone, 1);
	ck_assert_int_eq(m.done[0].req.kind, CFGCLI_MODEL_APP_UNBIND);
	ck_assert_int_eq(m.done[0].rc, 0);

	/* then the Subscription Delete */
	ck_assert_uint_eq(m.nsent, 2);
	assert_hex_at("sub-del", 1, m.sent[1], m.sent_len[1], "801c011200c00010");
	ck_assert(!feed(&m, "801f00011201c00010")); /* another group */
	ck_assert(!feed(&m, "801f00011200c000"));   /* cut short */
	ck_assert(feed(&m, "801f02011200c00010"));  /* Invalid Model */
	ck_assert_uint_eq(m.ndone, 2);
	ck_assert_int_eq(m.done[1].rc, CFG_STATUS_INVALID_MODEL);
	ck_assert_str_eq(m.done[1].status_str, "Invalid Model");

	/* out of range: not sent */
	bad = d;
	bad.addr = 0x0001;
	ck_assert_int_eq(cfgcli_enqueue(&m.cli, 0, &bad), -EINVAL);
	bad = u;
	bad.app_idx = 0x1000;
	ck_assert_int_eq(cfgcli_enqueue(&m.cli, 0, &bad), -EINVAL);
	bad = u;
	bad.elem_addr = 0xc000;
	ck_assert_int_eq(cfgcli_enqueue(&m.cli, 0, &bad), -EINVAL);
	ck_assert_uint_eq(m.nsent, 2);
}
END_TEST

/* ---- Model Publication ---- */

/* Set and Get as on the air (§4.3.2.15, .16), the Status's lengths, the
 * period octet, and matching on element and model. */
START_TEST(test_publication)
{
	static struct mock m;
	struct cfgcli_req set = { .kind = CFGCLI_MODEL_PUB_SET,
				  .pub = { .elem_addr = 0x1201, .addr = 0xc000, .app_idx = 0x123, .cred = true,
					   .ttl = 5, .period = 1 << 6 | 10, .retransmit = 2 | 3 << 3,
					   .model = cfg_model_sig(0x1000) } };
	struct cfgcli_req get = { .kind = CFGCLI_MODEL_PUB_GET,
				  .pub = { .elem_addr = 0x1202, .model = cfg_model_vendor(0x01a8, 0x0001) } };
	struct cfgcli_req bad;
	struct cfg_model_pub st;
	uint8_t status, period;
	/* the status of the Set: 10 octets, then one octet short and long */
	static const char *const status_set = "8019 00 0112 00c0 2311 05 4a 1a 0010";
	struct bytes b = hx(status_set);

	mock_init(&m);
	ck_assert_int_eq(cfgcli_enqueue(&m.cli, 0, &set), 0);
	ck_assert_int_eq(cfgcli_enqueue(&m.cli, 0, &get), 0);
	assert_hex_at("pub set", 0, m.sent[0], m.sent_len[0], "03 0112 00c0 2311 05 4a 1a 0010");
	for (size_t n = 2; n < b.len; n++) {
		uint8_t *q = exact_copy(b.b, n);

		ck_assert_msg(!cfgcli_input(&m.cli, 0, NODE, q, n), "length %zu completed", n);
		free(q);
	}
	b.b[b.len] = 0;
	ck_assert(!cfgcli_input(&m.cli, 0, NODE, b.b, b.len + 1));
	/* another element or model */
	ck_assert(!feed(&m, "8019 00 0212 00c0 2311 05 4a 1a 0010"));
	ck_assert(!feed(&m, "8019 00 0112 00c0 2311 05 4a 1a 0110"));
	ck_assert_uint_eq(m.cli.stats.rx_unmatched, 2);
	ck_assert_uint_eq(m.ndone, 0);
	ck_assert(feed(&m, status_set));
	ck_assert_uint_eq(m.ndone, 1);
	ck_assert_int_eq(m.done[0].rc, 0);
	ck_assert_int_eq(cfg_parse_model_pub_status(m.done[0].params, m.done[0].params_len, &status, &st), 0);
	ck_assert_uint_eq(st.addr, 0xc000);
	ck_assert_uint_eq(st.app_idx, 0x123);
	ck_assert(st.cred);
	ck_assert_uint_eq(st.ttl, 5);
	ck_assert_uint_eq(cfg_pub_period_ms(st.period), 10000);
	ck_assert_uint_eq(st.retransmit, 0x1a);

	/* the Get: a vendor model, answered with Invalid AppKey-free status 0x02 */
	assert_hex_at("pub get", 1, m.sent[1], m.sent_len[1], "8018 0212 a801 0100");
	ck_assert(!feed(&m, "8019 02 0212 0000 0000 00 00 00 a801"));   /* short */
	ck_assert(feed(&m, "8019 02 0212 0000 0000 00 00 00 a801 0100")); /* Invalid Model */
	ck_assert_uint_eq(m.ndone, 2);
	ck_assert_int_eq(m.done[1].rc, CFG_STATUS_INVALID_MODEL);

	/* out of range: not sent */
	bad = set;
	bad.pub.addr = 0x8000; /* virtual */
	ck_assert_int_eq(cfgcli_enqueue(&m.cli, 0, &bad), -EINVAL);
	bad = set;
	bad.pub.ttl = 0x80;
	ck_assert_int_eq(cfgcli_enqueue(&m.cli, 0, &bad), -EINVAL);
	bad.pub.ttl = CFG_PUB_TTL_DEFAULT;
	ck_assert_int_eq(cfgcli_enqueue(&m.cli, 0, &bad), 0);
	bad = get;
	bad.pub.elem_addr = 0;
	ck_assert_int_eq(cfgcli_enqueue(&m.cli, 0, &bad), -EINVAL);

	/* periods: the finest resolution that is whole steps */
	ck_assert_int_eq(cfg_pub_period_pack(0, &period), 0);
	ck_assert_uint_eq(period, 0);
	ck_assert_int_eq(cfg_pub_period_pack(6300, &period), 0);
	ck_assert_uint_eq(period, 63);
	ck_assert_int_eq(cfg_pub_period_pack(6400, &period), -EINVAL);
	ck_assert_int_eq(cfg_pub_period_pack(7000, &period), 0);
	ck_assert_uint_eq(period, 1 << 6 | 7);
	ck_assert_int_eq(cfg_pub_period_pack(640000, &period), -EINVAL);
	ck_assert_int_eq(cfg_pub_period_pack(37800000, &period), 0);
	ck_assert_uint_eq(period, 3 << 6 | 63);
	ck_assert_uint_eq(cfg_pub_period_ms(period), 37800000);
	ck_assert_int_eq(cfg_pub_period_pack(150, &period), -EINVAL);
}
END_TEST

static Suite *cfgcli_suite(void)
{
	Suite *s = suite_create("cfgcli");
	TCase *tc = tcase_create("requests");

	tcase_add_test(tc, test_retransmit_until_status);
	tcase_add_test(tc, test_appkey_matching);
	tcase_add_test(tc, test_bind_matching);
	tcase_add_test(tc, test_vendor_bind_and_sub_matching);
	tcase_add_test(tc, test_non_success_status);
	tcase_add_test(tc, test_timeout);
	tcase_add_test(tc, test_timing_configurable);
	tcase_add_test(tc, test_comp_page_matching);
	tcase_add_test(tc, test_late_duplicate);
	tcase_add_test(tc, test_unrelated_ignored);
	tcase_add_test(tc, test_truncated_statuses);
	tcase_add_test(tc, test_state_builders);
	tcase_add_test(tc, test_state_status_parse);
	tcase_add_test(tc, test_state_matching);
	tcase_add_test(tc, test_unbind_sub_del);
	tcase_add_test(tc, test_publication);
	suite_add_tcase(s, tc);

	tc = tcase_create("queue");
	tcase_add_test(tc, test_queue_order);
	tcase_add_test(tc, test_send_errors);
	tcase_add_test(tc, test_busy_not_timed_out);
	tcase_add_test(tc, test_enqueue_errors);
	tcase_add_test(tc, test_enqueue_from_done);
	tcase_add_test(tc, test_cancel);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(cfgcli_suite)
