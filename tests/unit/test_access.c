/* Access layer opcodes (access.h) and Configuration messages (cfgmsg.h):
 * vectors from shared/vectors/mesh-network.md §3 (Messages #6, #16, #22),
 * §5 (Configuration messages) and §7 (computed access payloads). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "aligenie.h"
#include "cfgmsg.h"
#include "check_main.h"
#include "testhex.h"
#include "util.h"

/* ---- vectors ---- */

/* §3.2 Message #6: Config AppKey Add, NetKeyIndex 0x456, AppKeyIndex 0x123 */
#define MSG6_ACCESS "0056341263964771734fbd76e3b40519d1d94a48"
#define SAMPLE_APPKEY "63964771734fbd76e3b40519d1d94a48"
/* §3.3 Message #16: Config AppKey Status, Success, same indexes */
#define MSG16_ACCESS "800300563412"
/* §3.5 Message #22: vendor opcode d5 0a00 (CID 0x000a) | "Hello" */
#define MSG22_ACCESS "d50a0048656c6c6f"
/* §5 Composition Data Status page 0 (synthetic; [T] composition_data_valid_elements) */
#define COMP_STATUS "02 00 1110 2220 3330 4440 5550 bbaa 03 02 1011 2022 3033 a2a1a4a3 b2b1b4b3"
#define COMP_PAGE0 "1110 2220 3330 4440 5550 bbaa 03 02 1011 2022 3033 a2a1a4a3 b2b1b4b3"
/* §5 / §7 */
#define COMP_GET_P0 "800800"
#define BIND_1201_123_1000 "803d011223010010"
#define BIND_STATUS_OK "803e00011223010010"
#define SUB_1201_C000_1000 "801b0112 00c0 0010"
#define SUB_STATUS_OK "801f00011200c00010"
#define NODE_RESET "8049"

/* ---- opcodes ---- */

struct op_case {
	uint32_t op;
	const char *hex;
};

static const struct op_case valid_ops[] = {
	{ 0x00, "00" },           /* Config AppKey Add */
	{ 0x02, "02" },           /* Config Composition Data Status */
	{ 0x7e, "7e" },           /* the last 1-octet opcode */
	{ 0x8000, "8000" },
	{ 0x8003, "8003" },       /* Config AppKey Status */
	{ 0x8049, "8049" },       /* Config Node Reset */
	{ 0xbfff, "bfff" },
	{ 0xc00000, "c00000" },
	{ 0xd4a801, "d4a801" },   /* AliGenie Attr Indication */
	{ 0xd50a00, "d50a00" },   /* Message #22 */
	{ 0xffffff, "ffffff" },
};

START_TEST(test_opcode_encode_all_sizes)
{
	for (unsigned i = 0; i < ARRAY_SIZE(valid_ops); i++) {
		uint8_t out[3];
		int n = access_opcode_encode(valid_ops[i].op, out);

		ck_assert_int_gt(n, 0);
		ck_assert_int_eq(access_opcode_len(valid_ops[i].op), n);
		assert_hex_at("opcode", i, out, (size_t)n, valid_ops[i].hex);
	}
	ck_assert_uint_eq(ACCESS_VENDOR_OP(0x14, 0x01a8), 0xd4a801);
	ck_assert_uint_eq(ACCESS_VENDOR_OP(0x15, 0x01a8), 0xd5a801);
	ck_assert_uint_eq(ACCESS_VENDOR_OP(0x15, 0x000a), 0xd50a00);
	ck_assert_uint_eq(access_vendor_cid(0xd4a801), 0x01a8);
	ck_assert_uint_eq(access_vendor_cid(0xd50a00), 0x000a);
	ck_assert_uint_eq(CFG_OP_ALI_ATTR_INDICATION, ACCESS_VENDOR_OP(0x14, ALIGENIE_CID));
	ck_assert_uint_eq(CFG_OP_ALI_ATTR_CONFIRMATION, ACCESS_VENDOR_OP(0x15, ALIGENIE_CID));
}
END_TEST

START_TEST(test_opcode_encode_invalid)
{
	static const uint32_t bad[] = { 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0xc000, 0xffff, 0x10000,
					0xbfffff, 0x1000000, 0xc0000000, 0xffffffff };

	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
		uint8_t out[3] = { 0xee, 0xee, 0xee };
		size_t len = 99;
		uint8_t buf[8];

		ck_assert_msg(access_opcode_encode(bad[i], out) == -EINVAL, "0x%x accepted", (unsigned)bad[i]);
		ck_assert_int_eq(access_opcode_len(bad[i]), -EINVAL);
		ck_assert_int_eq(access_build(bad[i], NULL, 0, buf, sizeof(buf), &len), -EINVAL);
		ck_assert_uint_eq(len, 99);
	}
}
END_TEST

START_TEST(test_opcode_decode_all_sizes)
{
	for (unsigned i = 0; i < ARRAY_SIZE(valid_ops); i++) {
		struct bytes b = hx(valid_ops[i].hex);
		uint8_t *p = exact_copy(b.b, b.len);
		uint32_t op = 0;
		size_t oplen = 0;

		ck_assert_int_eq(access_opcode_decode(p, b.len, &op, &oplen), 0);
		ck_assert_uint_eq(op, valid_ops[i].op);
		ck_assert_uint_eq(oplen, b.len);
		/* truncated: every shorter length, read in place of an exact copy */
		for (size_t n = 0; n < b.len; n++) {
			uint8_t *q = exact_copy(b.b, n);

			op = 1234;
			oplen = 99;
			ck_assert_int_eq(access_opcode_decode(q, n, &op, &oplen), -EBADMSG);
			ck_assert_uint_eq(op, 1234);
			ck_assert_uint_eq(oplen, 99);
			free(q);
		}
		free(p);
	}
}
END_TEST

/* Every first octet: 0x7f is rejected, the rest decode and re-encode to the same octets. */
START_TEST(test_opcode_decode_every_first_octet)
{
	for (unsigned f = 0; f < 256; f++) {
		uint8_t in[3] = { (uint8_t)f, 0x5a, 0xa5 }, out[3];
		uint32_t op;
		size_t oplen;
		int ret = access_opcode_decode(in, sizeof(in), &op, &oplen);

		if (f == 0x7f) {
			ck_assert_int_eq(ret, -EBADMSG);
			continue;
		}
		ck_assert_int_eq(ret, 0);
		ck_assert_uint_eq(oplen, f < 0x80 ? 1 : f < 0xc0 ? 2 : 3);
		ck_assert_int_eq(access_opcode_encode(op, out), (int)oplen);
		ck_assert_mem_eq(out, in, oplen);
	}
}
END_TEST

START_TEST(test_opcode_7f_rejected)
{
	uint8_t p[3] = { 0x7f, 0x00, 0x00 };
	uint32_t op;
	size_t oplen;
	const uint8_t *params;
	size_t plen;

	for (size_t n = 0; n <= 3; n++)
		ck_assert_int_eq(access_opcode_decode(p, n, &op, &oplen), -EBADMSG);
	ck_assert_int_eq(access_parse(p, 3, &op, &params, &plen), -EBADMSG);
}
END_TEST

START_TEST(test_access_build_and_parse)
{
	struct bytes hello = hx("48656c6c6f");
	uint8_t out[ACCESS_MAX_PDU + 8];
	size_t len = 0;
	uint32_t op;
	const uint8_t *params;
	size_t plen;
	uint8_t *copy;

	/* Message #22's access payload */
	ck_assert_int_eq(access_build(0xd50a00, hello.b, hello.len, out, sizeof(out), &len), 0);
	EXPECT_HEX(out, len, MSG22_ACCESS);
	copy = exact_copy(out, len);
	ck_assert_int_eq(access_parse(copy, len, &op, &params, &plen), 0);
	ck_assert_uint_eq(op, 0xd50a00);
	ck_assert_ptr_eq(params, copy + 3);
	EXPECT_HEX(params, plen, "48656c6c6f");
	free(copy);

	/* no parameters */
	ck_assert_int_eq(access_build(0x8049, NULL, 0, out, sizeof(out), &len), 0);
	EXPECT_HEX(out, len, NODE_RESET);
	ck_assert_int_eq(access_parse(out, len, &op, &params, &plen), 0);
	ck_assert_uint_eq(op, 0x8049);
	ck_assert_uint_eq(plen, 0);

	/* in place: parameters already at out + oplen */
	memcpy(out + 3, hello.b, hello.len);
	ck_assert_int_eq(access_build(0xd50a00, out + 3, hello.len, out, sizeof(out), &len), 0);
	EXPECT_HEX(out, len, MSG22_ACCESS);

	/* NULL parameters with a length */
	ck_assert_int_eq(access_build(0x02, NULL, 1, out, sizeof(out), &len), -EINVAL);
}
END_TEST

START_TEST(test_access_build_sizes)
{
	static uint8_t params[ACCESS_MAX_PDU + 1];
	uint8_t out[ACCESS_MAX_PDU + 1];
	size_t len = 0;
	uint32_t op;
	const uint8_t *p;
	size_t plen;

	/* 380 octets in all is the most */
	ck_assert_int_eq(access_build(0x00, params, ACCESS_MAX_PDU - 1, out, sizeof(out), &len), 0);
	ck_assert_uint_eq(len, ACCESS_MAX_PDU);
	ck_assert_int_eq(access_build(0x00, params, ACCESS_MAX_PDU, out, sizeof(out), &len), -EMSGSIZE);
	ck_assert_int_eq(access_build(0xc00000, params, ACCESS_MAX_PDU - 3, out, sizeof(out), &len), 0);
	ck_assert_uint_eq(len, ACCESS_MAX_PDU);
	ck_assert_int_eq(access_build(0xc00000, params, ACCESS_MAX_PDU - 2, out, sizeof(out), &len), -EMSGSIZE);
	ck_assert_int_eq(access_build(0x8000, params, (size_t)-1, out, sizeof(out), &len), -EMSGSIZE);
	/* the output buffer */
	ck_assert_int_eq(access_build(0x8003, params, 4, out, 6, &len), 0);
	ck_assert_int_eq(access_build(0x8003, params, 4, out, 5, &len), -ENOBUFS);
	ck_assert_int_eq(access_build(0x8049, NULL, 0, out, 1, &len), -ENOBUFS);
	ck_assert_int_eq(access_build(0x8049, NULL, 0, out, 0, &len), -ENOBUFS);
	/* parse refuses what could not have come from the air */
	ck_assert_int_eq(access_parse(out, ACCESS_MAX_PDU, &op, &p, &plen), 0);
	ck_assert_int_eq(access_parse(out, ACCESS_MAX_PDU + 1, &op, &p, &plen), -EBADMSG);
}
END_TEST

/* ---- key indexes (§5 table) ---- */

START_TEST(test_key_index_packing)
{
	static const struct {
		uint16_t net, app;
		const char *hex;
	} table[] = {
		{ 0x456, 0x123, "563412" }, { 0x000, 0x000, "000000" }, { 0x000, 0x001, "001000" },
		{ 0x001, 0x002, "012000" }, { 0xfff, 0xfff, "ffffff" }, { 0xfff, 0x000, "ff0f00" },
		{ 0x000, 0xfff, "00f0ff" },
	};

	for (unsigned i = 0; i < ARRAY_SIZE(table); i++) {
		uint8_t out[3];
		uint16_t net = 0xffff, app = 0xffff;

		ck_assert_int_eq(cfg_key_index_pack(table[i].net, table[i].app, out), 0);
		assert_hex_at("packed", i, out, 3, table[i].hex);
		cfg_key_index_unpack(out, &net, &app);
		ck_assert_uint_eq(net, table[i].net);
		ck_assert_uint_eq(app, table[i].app);
	}
	{
		uint8_t out[3] = { 0xee, 0xee, 0xee };

		ck_assert_int_eq(cfg_key_index_pack(0x1000, 0, out), -EINVAL);
		ck_assert_int_eq(cfg_key_index_pack(0, 0x1000, out), -EINVAL);
		EXPECT_HEX(out, 3, "eeeeee");
	}
}
END_TEST

/* ---- requests ---- */

START_TEST(test_appkey_add_message6)
{
	uint8_t key[16], out[CFG_MAX_REQ_PDU];
	int n;

	hx_to(SAMPLE_APPKEY, key, sizeof(key));
	n = cfg_build_appkey_add(0x456, 0x123, key, out, sizeof(out));
	ck_assert_int_eq(n, 20);
	EXPECT_HEX(out, (size_t)n, MSG6_ACCESS);
	ck_assert_int_gt(n, ACCESS_MAX_UNSEG); /* always sent segmented */

	ck_assert_int_eq(cfg_build_appkey_add(0x456, 0x123, key, out, 19), -ENOBUFS);
	ck_assert_int_eq(cfg_build_appkey_add(0x1000, 0x123, key, out, sizeof(out)), -EINVAL);
	ck_assert_int_eq(cfg_build_appkey_add(0x456, 0x1000, key, out, sizeof(out)), -EINVAL);
	ck_assert_int_eq(cfg_build_appkey_add(0x456, 0x123, NULL, out, sizeof(out)), -EINVAL);
}
END_TEST

START_TEST(test_appkey_status_message16)
{
	struct bytes b = hx(MSG16_ACCESS);
	uint8_t *pdu = exact_copy(b.b, b.len);
	struct cfg_appkey_status st;
	uint32_t op;
	const uint8_t *p;
	size_t plen;

	ck_assert_int_eq(access_parse(pdu, b.len, &op, &p, &plen), 0);
	ck_assert_uint_eq(op, CFG_OP_APPKEY_STATUS);
	ck_assert_int_eq(cfg_parse_appkey_status(p, plen, &st), 0);
	ck_assert_uint_eq(st.status, CFG_STATUS_SUCCESS);
	ck_assert_uint_eq(st.net_idx, 0x456);
	ck_assert_uint_eq(st.app_idx, 0x123);
	free(pdu);

	/* exact length only */
	for (size_t n = 0; n < 8; n++) {
		uint8_t *q = exact_copy(hx("0456341200000000").b, n);

		if (n != 4)
			ck_assert_int_eq(cfg_parse_appkey_status(q, n, &st), -EBADMSG);
		free(q);
	}
	ck_assert_int_eq(cfg_parse_appkey_status(hx("04ffffff").b, 4, &st), 0);
	ck_assert_uint_eq(st.status, CFG_STATUS_INVALID_NETKEY);
	ck_assert_uint_eq(st.net_idx, 0xfff);
	ck_assert_uint_eq(st.app_idx, 0xfff);
}
END_TEST

START_TEST(test_comp_data_get)
{
	uint8_t out[8];
	int n = cfg_build_comp_data_get(0, out, sizeof(out));

	ck_assert_int_eq(n, 3);
	EXPECT_HEX(out, 3, COMP_GET_P0);
	n = cfg_build_comp_data_get(0xff, out, sizeof(out));
	EXPECT_HEX(out, (size_t)n, "8008ff");
	ck_assert_int_eq(cfg_build_comp_data_get(0, out, 2), -ENOBUFS);
}
END_TEST

START_TEST(test_section7_payloads)
{
	uint8_t out[CFG_MAX_REQ_PDU];
	int n;

	n = cfg_build_comp_data_get(0, out, sizeof(out));
	EXPECT_HEX(out, (size_t)n, "800800");
	n = cfg_build_model_app_bind(0x1201, 0x123, cfg_model_sig(0x1000), out, sizeof(out));
	EXPECT_HEX(out, (size_t)n, "803d011223010010");
	n = cfg_build_node_reset(out, sizeof(out));
	EXPECT_HEX(out, (size_t)n, "8049");
	ck_assert_int_eq(cfg_build_node_reset(out, 1), -ENOBUFS);
}
END_TEST

START_TEST(test_model_app_bind)
{
	uint8_t out[CFG_MAX_REQ_PDU];
	int n;

	n = cfg_build_model_app_bind(0x1201, 0x123, cfg_model_sig(0x1000), out, sizeof(out));
	ck_assert_int_eq(n, 8);
	EXPECT_HEX(out, 8, BIND_1201_123_1000);
	/* vendor model: CID then model ID, both LE */
	n = cfg_build_model_app_bind(0x1201, 0x123, cfg_model_vendor(0x01a8, 0x0000), out, sizeof(out));
	ck_assert_int_eq(n, 10);
	EXPECT_HEX(out, 10, "803d0112 2301 a801 0000");
	ck_assert_int_eq(cfg_build_model_app_bind(0x1201, 0x123, cfg_model_vendor(0x01a8, 0), out, 9), -ENOBUFS);

	/* fields out of range */
	ck_assert_int_eq(cfg_build_model_app_bind(0x0000, 0x123, cfg_model_sig(0x1000), out, sizeof(out)), -EINVAL);
	ck_assert_int_eq(cfg_build_model_app_bind(0x8000, 0x123, cfg_model_sig(0x1000), out, sizeof(out)), -EINVAL);
	ck_assert_int_eq(cfg_build_model_app_bind(0xc000, 0x123, cfg_model_sig(0x1000), out, sizeof(out)), -EINVAL);
	ck_assert_int_eq(cfg_build_model_app_bind(0x1201, 0x1000, cfg_model_sig(0x1000), out, sizeof(out)), -EINVAL);
	ck_assert_int_eq(cfg_build_model_app_bind(0x1201, 0x123, cfg_model_vendor(0xffff, 1), out, sizeof(out)),
			 -EINVAL);
	ck_assert_int_eq(cfg_build_model_app_bind(0x7fff, 0xfff, cfg_model_sig(0xffff), out, sizeof(out)), 8);
}
END_TEST

START_TEST(test_model_app_status)
{
	struct bytes b = hx(BIND_STATUS_OK);
	struct cfg_model_app_status st;
	uint32_t op;
	const uint8_t *p;
	size_t plen;

	ck_assert_int_eq(access_parse(b.b, b.len, &op, &p, &plen), 0);
	ck_assert_uint_eq(op, CFG_OP_MODEL_APP_STATUS);
	ck_assert_int_eq(cfg_parse_model_app_status(p, plen, &st), 0);
	ck_assert_uint_eq(st.status, 0);
	ck_assert_uint_eq(st.elem_addr, 0x1201);
	ck_assert_uint_eq(st.app_idx, 0x123);
	ck_assert(cfg_model_id_eq(st.model, cfg_model_sig(0x1000)));

	/* vendor, status Invalid Model */
	ck_assert_int_eq(cfg_parse_model_app_status(hx("02 0112 2301 a801 0400").b, 9, &st), 0);
	ck_assert_uint_eq(st.status, CFG_STATUS_INVALID_MODEL);
	ck_assert(st.model.vendor);
	ck_assert_uint_eq(st.model.cid, 0x01a8);
	ck_assert_uint_eq(st.model.id, 0x0004);

	/* every other length, read from an exact copy */
	for (size_t n = 0; n <= 12; n++) {
		uint8_t *q;

		if (n == 7 || n == 9)
			continue;
		q = exact_copy(hx("00011223010010a8010000aa").b, n);
		ck_assert_int_eq(cfg_parse_model_app_status(q, n, &st), -EBADMSG);
		free(q);
	}
}
END_TEST

START_TEST(test_model_sub_add)
{
	static const uint16_t bad[] = { 0x0000, 0x0001, 0x1201, 0x7fff, 0x8000, 0xb529, 0xbfff,
					0xff00, 0xfffb, 0xffff };
	static const uint16_t good[] = { 0xc000, 0xc105, 0xfeff, 0xfffc, 0xfffd, 0xfffe };
	uint8_t out[CFG_MAX_REQ_PDU];
	int n;

	n = cfg_build_model_sub_add(0x1201, 0xc000, cfg_model_sig(0x1000), out, sizeof(out));
	ck_assert_int_eq(n, 8);
	EXPECT_HEX(out, 8, SUB_1201_C000_1000);
	n = cfg_build_model_sub_add(0x1202, 0xc001, cfg_model_vendor(0x01a8, 0x0001), out, sizeof(out));
	ck_assert_int_eq(n, 10);
	EXPECT_HEX(out, 10, "801b 0212 01c0 a801 0100");

	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++)
		ck_assert_msg(cfg_build_model_sub_add(0x1201, bad[i], cfg_model_sig(0x1000), out, sizeof(out)) ==
				      -EINVAL,
			      "address %04x accepted", bad[i]);
	for (unsigned i = 0; i < ARRAY_SIZE(good); i++)
		ck_assert_int_eq(cfg_build_model_sub_add(0x1201, good[i], cfg_model_sig(0x1000), out, sizeof(out)), 8);
	ck_assert_int_eq(cfg_build_model_sub_add(0xc000, 0xc000, cfg_model_sig(0x1000), out, sizeof(out)), -EINVAL);
	ck_assert_int_eq(cfg_build_model_sub_add(0x1201, 0xc000, cfg_model_sig(0x1000), out, 7), -ENOBUFS);
}
END_TEST

START_TEST(test_model_sub_status)
{
	struct bytes b = hx(SUB_STATUS_OK);
	struct cfg_model_sub_status st;
	uint32_t op;
	const uint8_t *p;
	size_t plen;

	ck_assert_int_eq(access_parse(b.b, b.len, &op, &p, &plen), 0);
	ck_assert_uint_eq(op, CFG_OP_MODEL_SUB_STATUS);
	ck_assert_int_eq(cfg_parse_model_sub_status(p, plen, &st), 0);
	ck_assert_uint_eq(st.status, 0);
	ck_assert_uint_eq(st.elem_addr, 0x1201);
	ck_assert_uint_eq(st.addr, 0xc000);
	ck_assert(cfg_model_id_eq(st.model, cfg_model_sig(0x1000)));

	ck_assert_int_eq(cfg_parse_model_sub_status(hx("08 0212 01c0 a801 0100").b, 9, &st), 0);
	ck_assert_uint_eq(st.status, CFG_STATUS_NOT_A_SUBSCRIBE_MODEL);
	ck_assert_uint_eq(st.elem_addr, 0x1202);
	ck_assert_uint_eq(st.addr, 0xc001);
	ck_assert(cfg_model_id_eq(st.model, cfg_model_vendor(0x01a8, 0x0001)));

	for (size_t n = 0; n <= 12; n++) {
		uint8_t *q;

		if (n == 7 || n == 9)
			continue;
		q = exact_copy(hx("00011200c00010a8010000aa").b, n);
		ck_assert_int_eq(cfg_parse_model_sub_status(q, n, &st), -EBADMSG);
		free(q);
	}
}
END_TEST

START_TEST(test_node_reset)
{
	uint8_t out[4];
	uint32_t op;
	const uint8_t *p;
	size_t plen;

	ck_assert_int_eq(cfg_build_node_reset(out, sizeof(out)), 2);
	EXPECT_HEX(out, 2, NODE_RESET);
	ck_assert_int_eq(access_parse(hx("804a").b, 2, &op, &p, &plen), 0);
	ck_assert_uint_eq(op, CFG_OP_NODE_RESET_STATUS);
	ck_assert_int_eq(cfg_parse_node_reset_status(p, plen), 0);
	ck_assert_int_eq(cfg_parse_node_reset_status(hx("00").b, 1), -EBADMSG);
}
END_TEST

START_TEST(test_status_names)
{
	static const char *const names[] = {
		"Success", "Invalid Address", "Invalid Model", "Invalid AppKey Index", "Invalid NetKey Index",
		"Insufficient Resources", "Key Index Already Stored", "Invalid Publish Parameters",
		"Not a Subscribe Model", "Storage Failure", "Feature Not Supported", "Cannot Update",
		"Cannot Remove", "Cannot Bind", "Temporarily Unable to Change State", "Cannot Set",
		"Unspecified Error", "Invalid Binding",
	};

	ck_assert_uint_eq(ARRAY_SIZE(names), 0x12);
	for (unsigned i = 0; i < ARRAY_SIZE(names); i++)
		ck_assert_str_eq(cfg_status_str((uint8_t)i), names[i]);
	for (unsigned i = 0x12; i < 256; i++)
		ck_assert_str_eq(cfg_status_str((uint8_t)i), "RFU");
}
END_TEST

/* ---- model identifiers ---- */

START_TEST(test_model_ids)
{
	struct cfg_model_id sig = cfg_model_sig(0x1000), vnd = cfg_model_vendor(0x01a8, 0x0000), m;
	uint8_t out[4];
	char s[9];

	ck_assert(!sig.vendor);
	ck_assert_uint_eq(sig.cid, 0);
	ck_assert(vnd.vendor);
	ck_assert_uint_eq(cfg_model_id_to_u32(sig), 0xffff1000u);
	ck_assert_uint_eq(cfg_model_id_to_u32(vnd), 0x01a80000u);
	ck_assert(cfg_model_id_eq(cfg_model_id_from_u32(0xffff1000u), sig));
	ck_assert(cfg_model_id_eq(cfg_model_id_from_u32(0x01a80000u), vnd));
	/* a SIG model and a vendor model with the same 16-bit ID differ */
	ck_assert(!cfg_model_id_eq(cfg_model_sig(0x0000), cfg_model_vendor(0x0000, 0x0000)));
	ck_assert(!cfg_model_id_eq(cfg_model_vendor(0x01a8, 1), cfg_model_vendor(0x01a9, 1)));
	/* the CID of a SIG model does not matter */
	m = sig;
	m.cid = 0x1234;
	ck_assert(cfg_model_id_eq(m, sig));

	ck_assert_int_eq(cfg_model_id_put(sig, out), 2);
	EXPECT_HEX(out, 2, "0010");
	ck_assert_int_eq(cfg_model_id_put(vnd, out), 4);
	EXPECT_HEX(out, 4, "a8010000");
	ck_assert_int_eq(cfg_model_id_put(cfg_model_vendor(0xffff, 0), out), -EINVAL);
	ck_assert_int_eq(cfg_model_id_get(hx("a8010500").b, 4, &m), 0);
	ck_assert(cfg_model_id_eq(m, cfg_model_vendor(0x01a8, 0x0005)));
	ck_assert_int_eq(cfg_model_id_get(hx("0210").b, 2, &m), 0);
	ck_assert(cfg_model_id_eq(m, cfg_model_sig(0x1002)));
	ck_assert_int_eq(cfg_model_id_get(hx("021000").b, 3, &m), -EBADMSG);

	cfg_model_id_str(sig, s);
	ck_assert_str_eq(s, "1000");
	cfg_model_id_str(vnd, s);
	ck_assert_str_eq(s, "01a80000");
	cfg_model_id_str(cfg_model_vendor(0xabcd, 0xef01), s);
	ck_assert_str_eq(s, "abcdef01");
}
END_TEST

/* ---- Composition Data page 0 ---- */

START_TEST(test_comp_sample)
{
	struct bytes b = hx(COMP_STATUS);
	uint8_t *pdu = exact_copy(b.b, b.len);
	struct cfg_comp_data_status cs;
	static struct cfg_comp_page0 c;
	const struct cfg_comp_element *e;
	uint32_t op;
	const uint8_t *p;
	size_t plen;

	ck_assert_int_eq(access_parse(pdu, b.len, &op, &p, &plen), 0);
	ck_assert_uint_eq(op, CFG_OP_COMP_DATA_STATUS);
	ck_assert_int_eq(cfg_parse_comp_data_status(p, plen, &cs), 0);
	ck_assert_uint_eq(cs.page, 0);
	ck_assert_ptr_eq(cs.data, pdu + 2);
	ck_assert_uint_eq(cs.len, b.len - 2);
	ck_assert_int_eq(cfg_comp_page0_parse(cs.data, cs.len, &c), 0);
	ck_assert_uint_eq(c.cid, 0x1011);
	ck_assert_uint_eq(c.pid, 0x2022);
	ck_assert_uint_eq(c.vid, 0x3033);
	ck_assert_uint_eq(c.crpl, 0x4044);
	ck_assert_uint_eq(c.features, 0x5055);
	ck_assert_uint_eq(c.num_elements, 1);
	e = &c.elements[0];
	ck_assert_uint_eq(e->loc, 0xaabb);
	ck_assert_uint_eq(e->num_sig, 3);
	ck_assert_uint_eq(e->sig[0], 0x1110);
	ck_assert_uint_eq(e->sig[1], 0x2220);
	ck_assert_uint_eq(e->sig[2], 0x3330);
	ck_assert_uint_eq(e->num_vendor, 2);
	ck_assert(cfg_model_id_eq(e->vendor[0], cfg_model_vendor(0xa1a2, 0xa3a4)));
	ck_assert(cfg_model_id_eq(e->vendor[1], cfg_model_vendor(0xb1b2, 0xb3b4)));
	free(pdu);

	/* the status needs its Page octet */
	ck_assert_int_eq(cfg_parse_comp_data_status(p, 0, &cs), -EBADMSG);
}
END_TEST

START_TEST(test_comp_truncated_every_length)
{
	struct bytes b = hx(COMP_PAGE0);
	static struct cfg_comp_page0 c;

	for (size_t n = 0; n < b.len; n++) {
		uint8_t *q = exact_copy(b.b, n);

		ck_assert_msg(cfg_comp_page0_parse(q, n, &c) == -EBADMSG, "length %zu accepted", n);
		free(q);
	}
	/* trailing octets that are not a whole element */
	for (size_t extra = 1; extra < 4; extra++) {
		uint8_t buf[HX_MAX];
		uint8_t *q;

		memcpy(buf, b.b, b.len);
		memset(buf + b.len, 0, extra);
		q = exact_copy(buf, b.len + extra);
		ck_assert_int_eq(cfg_comp_page0_parse(q, b.len + extra, &c), -EBADMSG);
		free(q);
	}
	/* a second element announcing models it does not carry */
	{
		struct bytes b2 = hx(COMP_PAGE0 "0100 01 00");
		struct bytes b3 = hx(COMP_PAGE0 "0100 00 01 a801");
		struct bytes ok = hx(COMP_PAGE0 "0100 01 01 0010 a8010000");

		ck_assert_int_eq(cfg_comp_page0_parse(b2.b, b2.len, &c), -EBADMSG);
		ck_assert_int_eq(cfg_comp_page0_parse(b3.b, b3.len, &c), -EBADMSG);
		ck_assert_int_eq(cfg_comp_page0_parse(ok.b, ok.len, &c), 0);
		ck_assert_uint_eq(c.num_elements, 2);
		ck_assert_uint_eq(c.elements[1].loc, 0x0001);
		ck_assert_uint_eq(c.elements[1].num_sig, 1);
		ck_assert_uint_eq(c.elements[1].sig[0], 0x1000);
		ck_assert_uint_eq(c.elements[1].num_vendor, 1);
		ck_assert(cfg_model_id_eq(c.elements[1].vendor[0], cfg_model_vendor(0x01a8, 0)));
	}
	/* header only: no element */
	ck_assert_int_eq(cfg_comp_page0_parse(b.b, 10, &c), -EBADMSG);
	/* an element without models is fine */
	{
		struct bytes e0 = hx("a801 0100 0200 0800 0300 0000 0000");

		ck_assert_int_eq(cfg_comp_page0_parse(e0.b, e0.len, &c), 0);
		ck_assert_uint_eq(c.cid, 0x01a8);
		ck_assert_uint_eq(c.features, CFG_FEAT_RELAY | CFG_FEAT_PROXY);
		ck_assert_uint_eq(c.num_elements, 1);
		ck_assert_uint_eq(c.elements[0].num_sig, 0);
		ck_assert_uint_eq(c.elements[0].num_vendor, 0);
	}
}
END_TEST

/* A page 0 with nelem elements, each with nsig SIG and nvnd vendor models. */
static size_t make_page(uint8_t *buf, size_t max, unsigned nelem, unsigned nsig, unsigned nvnd)
{
	size_t off = 10;

	memset(buf, 0, 10);
	put_le16(buf, 0x01a8);
	for (unsigned e = 0; e < nelem; e++) {
		ck_assert_uint_le(off + 4 + 2 * nsig + 4 * nvnd, max);
		put_le16(buf + off, (uint16_t)e);
		buf[off + 2] = (uint8_t)nsig;
		buf[off + 3] = (uint8_t)nvnd;
		off += 4;
		for (unsigned i = 0; i < nsig; i++, off += 2)
			put_le16(buf + off, (uint16_t)(0x1000 + i));
		for (unsigned i = 0; i < nvnd; i++, off += 4) {
			put_le16(buf + off, 0x01a8);
			put_le16(buf + off + 2, (uint16_t)i);
		}
	}
	return off;
}

START_TEST(test_comp_too_big)
{
	static uint8_t buf[4096];
	static struct cfg_comp_page0 c;
	size_t len;

	/* the limits themselves */
	len = make_page(buf, sizeof(buf), CFG_COMP_MAX_ELEMENTS, CFG_COMP_MAX_MODELS, CFG_COMP_MAX_MODELS);
	ck_assert_int_eq(cfg_comp_page0_parse(buf, len, &c), 0);
	ck_assert_uint_eq(c.num_elements, CFG_COMP_MAX_ELEMENTS);
	ck_assert_uint_eq(c.elements[15].loc, 15);
	ck_assert_uint_eq(c.elements[15].num_sig, CFG_COMP_MAX_MODELS);
	ck_assert_uint_eq(c.elements[15].sig[31], 0x1000 + 31);
	ck_assert_uint_eq(c.elements[15].num_vendor, CFG_COMP_MAX_MODELS);
	ck_assert_uint_eq(c.elements[15].vendor[31].id, 31);

	/* one element too many: the first 16 kept */
	len = make_page(buf, sizeof(buf), CFG_COMP_MAX_ELEMENTS + 1, 1, 0);
	ck_assert_int_eq(cfg_comp_page0_parse(buf, len, &c), -E2BIG);
	ck_assert_uint_eq(c.num_elements, CFG_COMP_MAX_ELEMENTS);
	ck_assert_uint_eq(c.elements[15].loc, 15);
	/* far too many (255 empty elements) */
	len = make_page(buf, sizeof(buf), 255, 0, 0);
	ck_assert_int_eq(cfg_comp_page0_parse(buf, len, &c), -E2BIG);
	/* too many elements AND cut short: malformed wins */
	len = make_page(buf, sizeof(buf), CFG_COMP_MAX_ELEMENTS + 1, 1, 0);
	for (size_t n = 0; n < len; n++) {
		uint8_t *q = exact_copy(buf, n);
		int ret = cfg_comp_page0_parse(q, n, &c);

		/* whole elements only end well */
		if (n >= 16 && (n - 10) % 6 == 0)
			ck_assert_int_eq(ret, (n - 10) / 6 > CFG_COMP_MAX_ELEMENTS ? -E2BIG : 0);
		else
			ck_assert_msg(ret == -EBADMSG, "length %zu: %d", n, ret);
		free(q);
	}

	/* too many SIG models in one element, then too many vendor models */
	len = make_page(buf, sizeof(buf), 2, CFG_COMP_MAX_MODELS + 1, 1);
	ck_assert_int_eq(cfg_comp_page0_parse(buf, len, &c), -E2BIG);
	ck_assert_uint_eq(c.num_elements, 2);
	ck_assert_uint_eq(c.elements[0].num_sig, CFG_COMP_MAX_MODELS);
	ck_assert_uint_eq(c.elements[0].num_vendor, 1);
	ck_assert_uint_eq(c.elements[1].loc, 1);
	len = make_page(buf, sizeof(buf), 1, 0, CFG_COMP_MAX_MODELS + 1);
	ck_assert_int_eq(cfg_comp_page0_parse(buf, len, &c), -E2BIG);
	ck_assert_uint_eq(c.elements[0].num_vendor, CFG_COMP_MAX_MODELS);
	/* 255 + 255 models: well formed, too big; cut by one octet, malformed */
	len = make_page(buf, sizeof(buf), 1, 255, 255);
	ck_assert_int_eq(cfg_comp_page0_parse(buf, len, &c), -E2BIG);
	ck_assert_int_eq(cfg_comp_page0_parse(buf, len - 1, &c), -EBADMSG);
}
END_TEST

/* ---- AliGenie ---- */

START_TEST(test_aligenie_round_trip)
{
	/* an indication of attribute 0x0100 (on/off) = 01, TID 0x5a */
	struct bytes attrs = hx("010001");
	uint8_t ind[16], conf[8];
	struct cfg_ali_indication in;
	const uint8_t *p;
	size_t plen;
	uint32_t op;
	uint8_t tid = 0;
	uint8_t *copy;
	int n;

	n = cfg_ali_build_indication(0x5a, attrs.b, attrs.len, ind, sizeof(ind));
	ck_assert_int_eq(n, 7);
	EXPECT_HEX(ind, 7, "d4a801 5a 010001");

	/* the provisioner's side: parse the indication, confirm its TID */
	copy = exact_copy(ind, (size_t)n);
	ck_assert_int_eq(access_parse(copy, (size_t)n, &op, &p, &plen), 0);
	ck_assert_uint_eq(op, CFG_OP_ALI_ATTR_INDICATION);
	ck_assert_uint_eq(access_vendor_cid(op), ALIGENIE_CID);
	ck_assert_int_eq(cfg_ali_indication_parse(p, plen, &in), 0);
	ck_assert_uint_eq(in.tid, 0x5a);
	EXPECT_HEX(in.attrs, in.attrs_len, "010001");
	n = cfg_ali_build_confirmation(in.tid, conf, sizeof(conf));
	ck_assert_int_eq(n, 4);
	EXPECT_HEX(conf, 4, "d5a8015a");
	free(copy);

	/* and back */
	ck_assert_int_eq(access_parse(conf, 4, &op, &p, &plen), 0);
	ck_assert_uint_eq(op, CFG_OP_ALI_ATTR_CONFIRMATION);
	ck_assert_int_eq(cfg_ali_confirmation_parse(p, plen, &tid), 0);
	ck_assert_uint_eq(tid, 0x5a);

	/* lengths */
	ck_assert_int_eq(cfg_ali_indication_parse(p, 0, &in), -EBADMSG);
	ck_assert_int_eq(cfg_ali_indication_parse(hx("07").b, 1, &in), 0);
	ck_assert_uint_eq(in.tid, 7);
	ck_assert_uint_eq(in.attrs_len, 0);
	ck_assert_int_eq(cfg_ali_confirmation_parse(p, 0, &tid), -EBADMSG);
	ck_assert_int_eq(cfg_ali_confirmation_parse(hx("5a00").b, 2, &tid), -EBADMSG);
	ck_assert_int_eq(cfg_ali_build_confirmation(1, conf, 3), -ENOBUFS);
	ck_assert_int_eq(cfg_ali_build_indication(1, attrs.b, attrs.len, ind, 6), -ENOBUFS);
	ck_assert_int_eq(cfg_ali_build_indication(1, NULL, 1, ind, sizeof(ind)), -EINVAL);
	ck_assert_int_eq(cfg_ali_build_indication(1, NULL, 0, ind, sizeof(ind)), 4);
	EXPECT_HEX(ind, 4, "d4a80101");
}
END_TEST

static Suite *access_suite(void)
{
	Suite *s = suite_create("access");
	TCase *tc = tcase_create("opcodes");

	tcase_add_test(tc, test_opcode_encode_all_sizes);
	tcase_add_test(tc, test_opcode_encode_invalid);
	tcase_add_test(tc, test_opcode_decode_all_sizes);
	tcase_add_test(tc, test_opcode_decode_every_first_octet);
	tcase_add_test(tc, test_opcode_7f_rejected);
	tcase_add_test(tc, test_access_build_and_parse);
	tcase_add_test(tc, test_access_build_sizes);
	suite_add_tcase(s, tc);

	tc = tcase_create("config messages");
	tcase_add_test(tc, test_key_index_packing);
	tcase_add_test(tc, test_appkey_add_message6);
	tcase_add_test(tc, test_appkey_status_message16);
	tcase_add_test(tc, test_comp_data_get);
	tcase_add_test(tc, test_section7_payloads);
	tcase_add_test(tc, test_model_app_bind);
	tcase_add_test(tc, test_model_app_status);
	tcase_add_test(tc, test_model_sub_add);
	tcase_add_test(tc, test_model_sub_status);
	tcase_add_test(tc, test_node_reset);
	tcase_add_test(tc, test_status_names);
	tcase_add_test(tc, test_model_ids);
	suite_add_tcase(s, tc);

	tc = tcase_create("composition data");
	tcase_add_test(tc, test_comp_sample);
	tcase_add_test(tc, test_comp_truncated_every_length);
	tcase_add_test(tc, test_comp_too_big);
	suite_add_tcase(s, tc);

	tc = tcase_create("aligenie");
	tcase_add_test(tc, test_aligenie_round_trip);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(access_suite)
