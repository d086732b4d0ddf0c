/* H4 framing: packets reassembled from arbitrary read boundaries. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "h4.h"

#define MAX_CAPTURED 16

struct capture {
	size_t n;
	size_t len[MAX_CAPTURED];
	uint8_t *pkt[MAX_CAPTURED];
};

static struct h4_parser *parser;
static struct capture cap;

static void on_packet(void *ctx, const uint8_t *pkt, size_t len)
{
	struct capture *c = ctx;

	ck_assert_ptr_eq(c, &cap);
	ck_assert_uint_lt(c->n, MAX_CAPTURED);
	ck_assert_uint_ge(len, 1);
	c->pkt[c->n] = malloc(len);
	ck_assert_ptr_nonnull(c->pkt[c->n]);
	memcpy(c->pkt[c->n], pkt, len);
	c->len[c->n] = len;
	c->n++;
}

static void cap_clear(void)
{
	for (size_t i = 0; i < cap.n; i++)
		free(cap.pkt[i]);
	memset(&cap, 0, sizeof(cap));
}

static void setup(void)
{
	parser = malloc(sizeof(*parser));
	ck_assert_ptr_nonnull(parser);
	memset(parser, 0xa5, sizeof(*parser)); /* h4_reset must be all the set-up needed */
	h4_reset(parser);
	memset(&cap, 0, sizeof(cap));
}

static void teardown(void)
{
	cap_clear();
	free(parser);
	parser = NULL;
}

static int feed(const uint8_t *data, size_t len)
{
	return h4_feed(parser, data, len, on_packet, &cap);
}

static void assert_packet(size_t i, const uint8_t *want, size_t len)
{
	ck_assert_uint_gt(cap.n, i);
	ck_assert_uint_eq(cap.len[i], len);
	ck_assert_mem_eq(cap.pkt[i], want, len);
}

/* Command Complete for HCI_Reset, ncmd 1, status 0. */
static const uint8_t evt_cc[] = { 0x04, 0x0e, 0x04, 0x01, 0x03, 0x0c, 0x00 };
/* LE Set Scan Enable (enable, no duplicate filtering). */
static const uint8_t cmd_scan[] = { 0x01, 0x0c, 0x20, 0x02, 0x01, 0x00 };
/* ACL: handle 0x0001, data length 5. */
static const uint8_t acl_small[] = { 0x02, 0x01, 0x20, 0x05, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55 };
/* SCO: handle 0x0002, 3 octets. */
static const uint8_t sco_small[] = { 0x03, 0x02, 0x00, 0x03, 0xaa, 0xbb, 0xcc };
/* ISO: handle 0x0003, 4 octets; the two RFU bits above the 14-bit length set. */
static const uint8_t iso_small[] = { 0x05, 0x03, 0x00, 0x04, 0xc0, 0x01, 0x02, 0x03, 0x04 };

START_TEST(test_event_one_read)
{
	ck_assert_int_eq(feed(evt_cc, sizeof(evt_cc)), 0);
	ck_assert_uint_eq(cap.n, 1);
	assert_packet(0, evt_cc, sizeof(evt_cc));
}
END_TEST

START_TEST(test_empty_feed)
{
	ck_assert_int_eq(feed(evt_cc, 0), 0);
	ck_assert_uint_eq(cap.n, 0);
	ck_assert_int_eq(feed(evt_cc, sizeof(evt_cc)), 0);
	ck_assert_uint_eq(cap.n, 1);
	assert_packet(0, evt_cc, sizeof(evt_cc));
}
END_TEST

/* Split one packet into two reads at every position, and feed it byte by byte. */
static void check_all_splits(const uint8_t *pkt, size_t len)
{
	for (size_t k = 1; k < len; k++) {
		cap_clear();
		h4_reset(parser);
		ck_assert_int_eq(feed(pkt, k), 0);
		ck_assert_msg(cap.n == 0, "split at %zu/%zu: delivered early", k, len);
		ck_assert_int_eq(feed(pkt + k, len - k), 0);
		ck_assert_msg(cap.n == 1, "split at %zu/%zu: %zu packets", k, len, cap.n);
		assert_packet(0, pkt, len);
	}

	cap_clear();
	h4_reset(parser);
	for (size_t i = 0; i < len; i++) {
		ck_assert_int_eq(feed(pkt + i, 1), 0);
		ck_assert_msg(cap.n == (i + 1 == len ? 1u : 0u), "1-byte feed: %zu packets after %zu octets",
			      cap.n, i + 1);
	}
	assert_packet(0, pkt, len);
}

START_TEST(test_split_every_boundary)
{
	check_all_splits(evt_cc, sizeof(evt_cc));
	check_all_splits(cmd_scan, sizeof(cmd_scan));
	check_all_splits(acl_small, sizeof(acl_small));
	check_all_splits(sco_small, sizeof(sco_small));
	check_all_splits(iso_small, sizeof(iso_small));
}
END_TEST

START_TEST(test_several_in_one_read)
{
	uint8_t all[sizeof(evt_cc) + sizeof(cmd_scan) + sizeof(acl_small) + sizeof(sco_small) +
		    sizeof(iso_small) + sizeof(evt_cc)];
	const uint8_t *parts[] = { evt_cc, cmd_scan, acl_small, sco_small, iso_small, evt_cc };
	const size_t lens[] = { sizeof(evt_cc), sizeof(cmd_scan), sizeof(acl_small),
				sizeof(sco_small), sizeof(iso_small), sizeof(evt_cc) };
	size_t off = 0;

	for (size_t i = 0; i < 6; i++) {
		memcpy(all + off, parts[i], lens[i]);
		off += lens[i];
	}
	ck_assert_uint_eq(off, sizeof(all));

	ck_assert_int_eq(feed(all, sizeof(all)), 0);
	ck_assert_uint_eq(cap.n, 6);
	for (size_t i = 0; i < 6; i++)
		assert_packet(i, parts[i], lens[i]);

	/* the same stream in two reads split anywhere, and in 3-octet reads */
	for (size_t k = 1; k < sizeof(all); k++) {
		cap_clear();
		h4_reset(parser);
		ck_assert_int_eq(feed(all, k), 0);
		ck_assert_int_eq(feed(all + k, sizeof(all) - k), 0);
		ck_assert_msg(cap.n == 6, "split at %zu: %zu packets", k, cap.n);
		for (size_t i = 0; i < 6; i++)
			assert_packet(i, parts[i], lens[i]);
	}
	cap_clear();
	h4_reset(parser);
	for (size_t i = 0; i < sizeof(all); i += 3)
		ck_assert_int_eq(feed(all + i, sizeof(all) - i < 3 ? sizeof(all) - i : 3), 0);
	ck_assert_uint_eq(cap.n, 6);
	for (size_t i = 0; i < 6; i++)
		assert_packet(i, parts[i], lens[i]);
}
END_TEST

START_TEST(test_cmd_header)
{
	uint8_t cmd[4 + 7] = { 0x01, 0x0b, 0x20, 0x07, 0x00, 0x30, 0x00, 0x30, 0x00, 0x00, 0x00 };

	ck_assert_int_eq(feed(cmd, sizeof(cmd)), 0);
	ck_assert_uint_eq(cap.n, 1);
	assert_packet(0, cmd, sizeof(cmd));
}
END_TEST

/* The ACL length is 16 bits: the high octet must count. */
START_TEST(test_acl_16bit_length)
{
	size_t dlen = 0x0102, len = 5 + dlen;
	uint8_t *pkt = malloc(len + 4);
	static const uint8_t next[] = { 0x04, 0x13, 0x00 };

	ck_assert_ptr_nonnull(pkt);
	pkt[0] = 0x02;
	pkt[1] = 0x40;
	pkt[2] = 0x00;
	pkt[3] = 0x02; /* dlen 0x0102, little-endian */
	pkt[4] = 0x01;
	for (size_t i = 5; i < len; i++)
		pkt[i] = (uint8_t)(i * 7);
	memcpy(pkt + len, next, sizeof(next));

	ck_assert_int_eq(feed(pkt, len - 1), 0);
	ck_assert_uint_eq(cap.n, 0);
	ck_assert_int_eq(feed(pkt + len - 1, 1 + sizeof(next)), 0);
	ck_assert_uint_eq(cap.n, 2);
	assert_packet(0, pkt, len);
	assert_packet(1, next, sizeof(next));
	free(pkt);
}
END_TEST

/* The largest ACL packet fits the parser's buffer. */
START_TEST(test_acl_max)
{
	size_t len = H4_MAX_PACKET;
	uint8_t *pkt = malloc(len);

	ck_assert_ptr_nonnull(pkt);
	pkt[0] = 0x02;
	pkt[1] = 0x01;
	pkt[2] = 0x00;
	pkt[3] = 0xff;
	pkt[4] = 0xff;
	for (size_t i = 5; i < len; i++)
		pkt[i] = (uint8_t)(i ^ (i >> 8));
	ck_assert_int_eq(feed(pkt, 1000), 0);
	ck_assert_int_eq(feed(pkt + 1000, len - 1000), 0);
	ck_assert_uint_eq(cap.n, 1);
	assert_packet(0, pkt, len);
	free(pkt);
}
END_TEST

START_TEST(test_sco_header)
{
	ck_assert_int_eq(feed(sco_small, sizeof(sco_small)), 0);
	ck_assert_uint_eq(cap.n, 1);
	assert_packet(0, sco_small, sizeof(sco_small));
}
END_TEST

/* ISO: 14-bit length; the two RFU bits must not count. */
START_TEST(test_iso_header)
{
	static const uint8_t iso_long[] = { 0x05, 0x03, 0x00, 0x01, 0x01, /* 0x0101 octets follow */ };
	size_t len = sizeof(iso_long) + 0x0101;
	uint8_t *pkt = calloc(1, len);

	ck_assert_int_eq(feed(iso_small, sizeof(iso_small)), 0);
	ck_assert_uint_eq(cap.n, 1);
	assert_packet(0, iso_small, sizeof(iso_small));

	ck_assert_ptr_nonnull(pkt);
	memcpy(pkt, iso_long, sizeof(iso_long));
	pkt[len - 1] = 0x77;
	ck_assert_int_eq(feed(pkt, len - 1), 0);
	ck_assert_uint_eq(cap.n, 1);
	ck_assert_int_eq(feed(pkt + len - 1, 1), 0);
	ck_assert_uint_eq(cap.n, 2);
	assert_packet(1, pkt, len);
	free(pkt);
}
END_TEST

START_TEST(test_zero_length_payload)
{
	static const uint8_t evt0[] = { 0x04, 0x1a, 0x00 };
	static const uint8_t cmd0[] = { 0x01, 0x03, 0x0c, 0x00 };
	static const uint8_t acl0[] = { 0x02, 0x01, 0x00, 0x00, 0x00 };
	static const uint8_t sco0[] = { 0x03, 0x01, 0x00, 0x00 };
	static const uint8_t iso0[] = { 0x05, 0x01, 0x00, 0x00, 0x00 };
	uint8_t all[sizeof(evt0) + sizeof(cmd0) + sizeof(acl0) + sizeof(sco0) + sizeof(iso0) +
		    sizeof(evt_cc)];
	size_t off = 0;

	memcpy(all + off, evt0, sizeof(evt0)), off += sizeof(evt0);
	memcpy(all + off, cmd0, sizeof(cmd0)), off += sizeof(cmd0);
	memcpy(all + off, acl0, sizeof(acl0)), off += sizeof(acl0);
	memcpy(all + off, sco0, sizeof(sco0)), off += sizeof(sco0);
	memcpy(all + off, iso0, sizeof(iso0)), off += sizeof(iso0);
	memcpy(all + off, evt_cc, sizeof(evt_cc)), off += sizeof(evt_cc);
	ck_assert_uint_eq(off, sizeof(all));

	/* a lone empty event is delivered as soon as its header is complete */
	ck_assert_int_eq(feed(evt0, sizeof(evt0)), 0);
	ck_assert_uint_eq(cap.n, 1);
	assert_packet(0, evt0, sizeof(evt0));
	cap_clear();

	ck_assert_int_eq(feed(all, sizeof(all)), 0);
	ck_assert_uint_eq(cap.n, 6);
	assert_packet(0, evt0, sizeof(evt0));
	assert_packet(1, cmd0, sizeof(cmd0));
	assert_packet(2, acl0, sizeof(acl0));
	assert_packet(3, sco0, sizeof(sco0));
	assert_packet(4, iso0, sizeof(iso0));
	assert_packet(5, evt_cc, sizeof(evt_cc));

	check_all_splits(evt0, sizeof(evt0));
	check_all_splits(acl0, sizeof(acl0));
}
END_TEST

START_TEST(test_max_event)
{
	uint8_t pkt[3 + 255 + 3];

	pkt[0] = 0x04;
	pkt[1] = 0xff; /* vendor event */
	pkt[2] = 255;
	for (size_t i = 0; i < 255; i++)
		pkt[3 + i] = (uint8_t)(255 - i);
	pkt[258] = 0x04; /* and an empty event right behind it */
	pkt[259] = 0x10;
	pkt[260] = 0x00;

	ck_assert_int_eq(feed(pkt, sizeof(pkt)), 0);
	ck_assert_uint_eq(cap.n, 2);
	assert_packet(0, pkt, 258);
	assert_packet(1, pkt + 258, 3);

	check_all_splits(pkt, 258);
}
END_TEST

START_TEST(test_unknown_type)
{
	static const uint8_t bad[] = { 0x00, 0x06, 0x07, 0x42, 0xff };

	for (size_t i = 0; i < sizeof(bad); i++) {
		uint8_t data[] = { bad[i], 0x0e, 0x04, 0x01, 0x03, 0x0c, 0x00 };

		cap_clear();
		ck_assert_msg(feed(data, sizeof(data)) == -1, "type 0x%02x accepted", bad[i]);
		ck_assert_uint_eq(cap.n, 0);
		h4_reset(parser);
		ck_assert_int_eq(feed(evt_cc, sizeof(evt_cc)), 0);
		ck_assert_uint_eq(cap.n, 1);
		assert_packet(0, evt_cc, sizeof(evt_cc));
	}
}
END_TEST

/* Packets before the bad octet are still delivered; the error is still reported. */
START_TEST(test_unknown_type_after_packet)
{
	uint8_t data[sizeof(evt_cc) + 2];

	memcpy(data, evt_cc, sizeof(evt_cc));
	data[sizeof(evt_cc)] = 0x09;
	data[sizeof(evt_cc) + 1] = 0x04;
	ck_assert_int_eq(feed(data, sizeof(data)), -1);
	ck_assert_uint_eq(cap.n, 1);
	assert_packet(0, evt_cc, sizeof(evt_cc));

	/* a bad type octet arriving on its own, after a complete packet */
	cap_clear();
	h4_reset(parser);
	ck_assert_int_eq(feed(evt_cc, sizeof(evt_cc)), 0);
	ck_assert_int_eq(feed(data + sizeof(evt_cc), 1), -1);
	ck_assert_uint_eq(cap.n, 1);

	h4_reset(parser);
	ck_assert_int_eq(feed(cmd_scan, sizeof(cmd_scan)), 0);
	ck_assert_uint_eq(cap.n, 2);
	assert_packet(1, cmd_scan, sizeof(cmd_scan));
}
END_TEST

/* h4_reset drops a half-assembled packet. */
START_TEST(test_reset_drops_partial)
{
	ck_assert_int_eq(feed(acl_small, 6), 0);
	h4_reset(parser);
	ck_assert_int_eq(feed(evt_cc, sizeof(evt_cc)), 0);
	ck_assert_uint_eq(cap.n, 1);
	assert_packet(0, evt_cc, sizeof(evt_cc));
}
END_TEST

static Suite *h4_suite(void)
{
	Suite *s = suite_create("h4");
	TCase *tc = tcase_create("framing");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_event_one_read);
	tcase_add_test(tc, test_empty_feed);
	tcase_add_test(tc, test_split_every_boundary);
	tcase_add_test(tc, test_several_in_one_read);
	tcase_add_test(tc, test_cmd_header);
	tcase_add_test(tc, test_acl_16bit_length);
	tcase_add_test(tc, test_acl_max);
	tcase_add_test(tc, test_sco_header);
	tcase_add_test(tc, test_iso_header);
	tcase_add_test(tc, test_zero_length_payload);
	tcase_add_test(tc, test_max_event);
	tcase_add_test(tc, test_unknown_type);
	tcase_add_test(tc, test_unknown_type_after_packet);
	tcase_add_test(tc, test_reset_drops_partial);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(h4_suite)
