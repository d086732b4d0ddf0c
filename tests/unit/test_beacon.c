/* Unprovisioned Device Beacons and the AliGenie Device UUID layout. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aligenie.h"
#include "beacon.h"
#include "check_main.h"
#include "util.h"

static const uint8_t test_uuid[16] = {
	0xa8, 0x01, 0x71, 0x5a, 0x02, 0x00, 0x00, 0xa8, 0x1c, 0xc1, 0x07, 0xda, 0x78, 0x02, 0x10, 0x00,
};

/* Parse from a malloc'd copy of exactly len octets, so that ASan sees any
 * read past the end. */
static int parse_exact(const uint8_t *data, size_t len, struct unprov_beacon *b)
{
	uint8_t *p = malloc(len ? len : 1);
	int ret;

	ck_assert_ptr_nonnull(p);
	if (len)
		memcpy(p, data, len);
	ret = beacon_parse_unprov(len ? p : p + 1, len, b);
	free(p);
	return ret;
}

/* A beacon of len octets: type 0x00, the test UUID, OOB 0x4020, URI hash
 * 0x12345678, then filler. */
static void make_beacon(uint8_t *out, size_t len)
{
	static const uint8_t full[23] = {
		0x00, 0xa8, 0x01, 0x71, 0x5a, 0x02, 0x00, 0x00, 0xa8, 0x1c, 0xc1, 0x07,
		0xda, 0x78, 0x02, 0x10, 0x00, 0x40, 0x20, 0x12, 0x34, 0x56, 0x78,
	};

	for (size_t i = 0; i < len; i++)
		out[i] = i < sizeof(full) ? full[i] : (uint8_t)(0xe0 + i);
}

/* ---- beacons ---- */

START_TEST(test_beacon_19)
{
	uint8_t d[19];
	struct unprov_beacon b;

	make_beacon(d, sizeof(d));
	memset(&b, 0xcc, sizeof(b));
	ck_assert_int_eq(parse_exact(d, sizeof(d), &b), 0);
	ck_assert_mem_eq(b.uuid, test_uuid, 16);
	ck_assert_uint_eq(b.oob, 0x4020); /* big-endian on the wire */
	ck_assert_uint_eq(b.oob, OOB_INFO_INSIDE_MANUAL | OOB_INFO_NUMBER);
	ck_assert(!b.has_uri_hash);
	ck_assert_uint_eq(b.uri_hash, 0);
}
END_TEST

START_TEST(test_beacon_23)
{
	uint8_t d[23];
	struct unprov_beacon b;

	make_beacon(d, sizeof(d));
	d[17] = 0x00;
	d[18] = 0x02; /* OOB: URI */
	ck_assert_int_eq(parse_exact(d, sizeof(d), &b), 0);
	ck_assert_mem_eq(b.uuid, test_uuid, 16);
	ck_assert_uint_eq(b.oob, OOB_INFO_URI);
	ck_assert(b.has_uri_hash);
	ck_assert_uint_eq(b.uri_hash, 0x12345678); /* big-endian on the wire */
}
END_TEST

/* Every wrong length (with the right beacon type) is -EBADMSG. */
START_TEST(test_beacon_bad_lengths)
{
	uint8_t d[40];
	struct unprov_beacon b;

	make_beacon(d, sizeof(d));
	for (size_t len = 1; len < 19; len++)
		ck_assert_msg(parse_exact(d, len, &b) == -EBADMSG, "length %zu accepted", len);
	for (size_t len = 20; len < 23; len++)
		ck_assert_msg(parse_exact(d, len, &b) == -EBADMSG, "length %zu accepted", len);
	for (size_t len = 24; len <= sizeof(d); len++)
		ck_assert_msg(parse_exact(d, len, &b) == -EBADMSG, "length %zu accepted", len);
}
END_TEST

/*
 * BUG (src/beacon.c:11, beacon_parse_unprov): an empty payload (len 0)
 * returns -EINVAL, because the beacon-type test comes before the length
 * test. An empty beacon AD structure is malformed (-EBADMSG), not "another
 * beacon type". This test asserts -EBADMSG and fails until that is fixed.
 */
START_TEST(test_beacon_empty)
{
	uint8_t d[1] = { BEACON_UNPROVISIONED };
	struct unprov_beacon b;
	int ret = parse_exact(d, 0, &b);

	ck_assert_msg(ret == -EBADMSG, "empty beacon: %d, want -EBADMSG (%d)", ret, -EBADMSG);
}
END_TEST

START_TEST(test_beacon_wrong_type)
{
	uint8_t d[23];
	struct unprov_beacon b;

	make_beacon(d, sizeof(d));
	d[0] = BEACON_SECURE_NETWORK;
	ck_assert_int_eq(parse_exact(d, 22, &b), -EINVAL); /* a real SNB is 22 octets */
	ck_assert_int_eq(parse_exact(d, 19, &b), -EINVAL);
	ck_assert_int_eq(parse_exact(d, 23, &b), -EINVAL);
	ck_assert_int_eq(parse_exact(d, 1, &b), -EINVAL);
	d[0] = 0x02;
	ck_assert_int_eq(parse_exact(d, 19, &b), -EINVAL);
	d[0] = 0xff;
	ck_assert_int_eq(parse_exact(d, 23, &b), -EINVAL);
}
END_TEST

START_TEST(test_beacon_build)
{
	struct unprov_beacon in, out;
	uint8_t buf[23], want[23];
	size_t len;

	memset(&in, 0, sizeof(in));
	memcpy(in.uuid, test_uuid, 16);
	in.oob = 0x4020;
	in.has_uri_hash = false;
	in.uri_hash = 0xdeadbeef; /* ignored without has_uri_hash */
	memset(buf, 0x77, sizeof(buf));
	len = beacon_build_unprov(&in, buf);
	ck_assert_uint_eq(len, 19);
	make_beacon(want, 19);
	ck_assert_mem_eq(buf, want, 19);
	ck_assert_uint_eq(buf[19], 0x77); /* nothing written past the beacon */
	ck_assert_int_eq(parse_exact(buf, len, &out), 0);
	ck_assert_mem_eq(out.uuid, in.uuid, 16);
	ck_assert_uint_eq(out.oob, in.oob);
	ck_assert(!out.has_uri_hash);

	in.has_uri_hash = true;
	in.uri_hash = 0x12345678;
	len = beacon_build_unprov(&in, buf);
	ck_assert_uint_eq(len, 23);
	make_beacon(want, 23);
	ck_assert_mem_eq(buf, want, 23);
	ck_assert_int_eq(parse_exact(buf, len, &out), 0);
	ck_assert_mem_eq(out.uuid, in.uuid, 16);
	ck_assert_uint_eq(out.oob, 0x4020);
	ck_assert(out.has_uri_hash);
	ck_assert_uint_eq(out.uri_hash, 0x12345678);

	/* extreme values */
	memset(in.uuid, 0xff, 16);
	in.oob = 0xffff;
	in.uri_hash = 0xfffffffe;
	len = beacon_build_unprov(&in, buf);
	ck_assert_int_eq(parse_exact(buf, len, &out), 0);
	ck_assert_uint_eq(out.oob, 0xffff);
	ck_assert_uint_eq(out.uri_hash, 0xfffffffe);
}
END_TEST

START_TEST(test_beacon_oob_str)
{
	char s[64];

	beacon_oob_str(0, s, sizeof(s));
	ck_assert_str_eq(s, "-");
	beacon_oob_str(OOB_INFO_URI | OOB_INFO_NUMBER | OOB_INFO_ON_BOX, s, sizeof(s));
	ck_assert_str_eq(s, "uri,number,on-box");
	beacon_oob_str(OOB_INFO_OTHER, s, sizeof(s));
	ck_assert_str_eq(s, "other");
	/* truncation stays inside the buffer and terminated */
	memset(s, 'x', sizeof(s));
	beacon_oob_str(0xffff, s, 8);
	ck_assert_uint_lt(strlen(s), 8);
	ck_assert_uint_eq(s[8], 'x');
}
END_TEST

/* ---- AliGenie ---- */

START_TEST(test_aligenie_example)
{
	struct aligenie_info a;
	char mac[18], hex[13], flags[128];

	memset(&a, 0xcc, sizeof(a));
	ck_assert(aligenie_decode(test_uuid, &a));
	ck_assert_uint_eq(a.product_id, 602);
	ck_assert_uint_eq(a.pid_flags, 0x71);
	ck_assert_uint_eq(a.adv_version, 1);
	ck_assert(a.secret_per_device);
	ck_assert(a.ota);
	ck_assert_uint_eq(a.ble_version, 1);
	ck_assert_str_eq(aligenie_ble_version_str(a.ble_version), "4.2");
	ck_assert_mem_eq(a.mac, "\x78\xda\x07\xc1\x1c\xa8", 6);
	aligenie_mac_str(a.mac, mac);
	ck_assert_str_eq(mac, "78:da:07:c1:1c:a8");
	aligenie_mac_hex(a.mac, hex);
	ck_assert_str_eq(hex, "78da07c11ca8");
	ck_assert_uint_eq(a.feature_flag, 0x02);
	ck_assert_uint_eq(a.uuid_version, 1);
	ck_assert(!a.silent);
	ck_assert_uint_eq(a.flags2, 0x10);
	ck_assert_uint_eq(a.stack_version, 1);
	ck_assert(!a.ultra_prov);
	ck_assert(!a.random_auth);
	aligenie_flags_str(&a, flags, sizeof(flags));
	ck_assert_str_eq(flags, "adv v1, secret per device, OTA, BLE 4.2");
}
END_TEST

/* The header's example: display 28:fa:7a:01:91:da is stored da 91 01 7a fa 28. */
START_TEST(test_aligenie_mac_layout)
{
	static const uint8_t display[6] = { 0x28, 0xfa, 0x7a, 0x01, 0x91, 0xda };
	uint8_t uuid[16];
	struct aligenie_info a;
	char mac[18], hex[13];

	memcpy(uuid, test_uuid, 16);
	memcpy(uuid + 7, "\xda\x91\x01\x7a\xfa\x28", 6);
	ck_assert(aligenie_decode(uuid, &a));
	ck_assert_mem_eq(a.mac, display, 6);
	aligenie_mac_str(a.mac, mac);
	ck_assert_str_eq(mac, "28:fa:7a:01:91:da");
	aligenie_mac_hex(a.mac, hex);
	ck_assert_str_eq(hex, "28fa7a0191da");
	/* the neighbours are untouched by the MAC */
	ck_assert_uint_eq(a.product_id, 602);
	ck_assert_uint_eq(a.feature_flag, 0x02);

	memset(uuid, 0, sizeof(uuid));
	memcpy(a.mac, display, 6);
	aligenie_encode(&a, uuid);
	ck_assert_mem_eq(uuid + 7, "\xda\x91\x01\x7a\xfa\x28", 6);
}
END_TEST

START_TEST(test_aligenie_ble_versions)
{
	static const char *const want[4] = { "4.0", "4.2", "5.0", "5.0+" };
	uint8_t uuid[16];
	struct aligenie_info a;
	char flags[128], tail[16];

	for (uint8_t code = 0; code < 4; code++) {
		ck_assert_str_eq(aligenie_ble_version_str(code), want[code]);
		memcpy(uuid, test_uuid, 16);
		uuid[2] = (uint8_t)(code << 6 | 0x01);
		ck_assert(aligenie_decode(uuid, &a));
		ck_assert_uint_eq(a.ble_version, code);
		ck_assert_uint_eq(a.adv_version, 1);
		ck_assert(!a.secret_per_device);
		ck_assert(!a.ota);
		aligenie_flags_str(&a, flags, sizeof(flags));
		snprintf(tail, sizeof(tail), "BLE %s", want[code]);
		ck_assert_str_eq(flags + strlen(flags) - strlen(tail), tail);
		ck_assert_ptr_null(strstr(flags, "OTA"));
	}
	/* adv version: the low nibble, whatever the rest */
	memcpy(uuid, test_uuid, 16);
	uuid[2] = 0xff;
	ck_assert(aligenie_decode(uuid, &a));
	ck_assert_uint_eq(a.adv_version, 0x0f);
	ck_assert_uint_eq(a.ble_version, 3);
	ck_assert(a.secret_per_device && a.ota);
	uuid[2] = 0x20;
	ck_assert(aligenie_decode(uuid, &a));
	ck_assert_uint_eq(a.adv_version, 0);
	ck_assert(!a.secret_per_device);
	ck_assert(a.ota);
}
END_TEST

START_TEST(test_aligenie_silent)
{
	uint8_t uuid[16];
	struct aligenie_info a;

	memcpy(uuid, test_uuid, 16);
	uuid[13] = 0x03; /* silent, UUID version 1 */
	ck_assert(aligenie_decode(uuid, &a));
	ck_assert(a.silent);
	ck_assert_uint_eq(a.uuid_version, 1);
	ck_assert_uint_eq(a.feature_flag, 0x03);
	uuid[13] = 0x01;
	ck_assert(aligenie_decode(uuid, &a));
	ck_assert(a.silent);
	ck_assert_uint_eq(a.uuid_version, 0);
	uuid[13] = 0xfe;
	ck_assert(aligenie_decode(uuid, &a));
	ck_assert(!a.silent);
	ck_assert_uint_eq(a.uuid_version, 0x7f);
}
END_TEST

START_TEST(test_aligenie_flags2)
{
	uint8_t uuid[16];
	struct aligenie_info a;

	memcpy(uuid, test_uuid, 16);
	uuid[14] = 0x02; /* random-bound AuthValue */
	ck_assert(aligenie_decode(uuid, &a));
	ck_assert(a.random_auth);
	ck_assert(!a.ultra_prov);
	ck_assert_uint_eq(a.stack_version, 0);
	ck_assert_uint_eq(a.flags2, 0x02);

	uuid[14] = 0x01; /* ultra-prov */
	ck_assert(aligenie_decode(uuid, &a));
	ck_assert(a.ultra_prov);
	ck_assert(!a.random_auth);

	uuid[14] = 0x23;
	ck_assert(aligenie_decode(uuid, &a));
	ck_assert(a.ultra_prov);
	ck_assert(a.random_auth);
	ck_assert_uint_eq(a.stack_version, 2);

	uuid[14] = 0xfc; /* only the stack version and unnamed bits */
	ck_assert(aligenie_decode(uuid, &a));
	ck_assert(!a.ultra_prov);
	ck_assert(!a.random_auth);
	ck_assert_uint_eq(a.stack_version, 0x0f);
}
END_TEST

START_TEST(test_aligenie_not)
{
	uint8_t uuid[16];
	struct aligenie_info a;

	memcpy(uuid, test_uuid, 16);
	uuid[0] = 0x01; /* CID byte order swapped */
	uuid[1] = 0xa8;
	memset(&a, 0x5a, sizeof(a));
	ck_assert(!aligenie_decode(uuid, &a));
	uuid[0] = 0xa8;
	uuid[1] = 0x00;
	ck_assert(!aligenie_decode(uuid, &a));
	uuid[0] = 0x00;
	uuid[1] = 0x01;
	ck_assert(!aligenie_decode(uuid, &a));
	memset(uuid, 0, sizeof(uuid));
	ck_assert(!aligenie_decode(uuid, &a));
}
END_TEST

START_TEST(test_aligenie_round_trip)
{
	struct aligenie_info in, out;
	uint8_t uuid[16];

	/* decode, encode: the same UUID */
	ck_assert(aligenie_decode(test_uuid, &in));
	memset(uuid, 0xee, sizeof(uuid));
	aligenie_encode(&in, uuid);
	ck_assert_mem_eq(uuid, test_uuid, 16);

	/* encode, decode: the same fields */
	memset(&in, 0, sizeof(in));
	in.pid_flags = 0xa3; /* BLE 5.0, OTA, adv v3 */
	in.adv_version = 3;
	in.ota = true;
	in.ble_version = 2;
	in.product_id = 0xdeadbeef;
	memcpy(in.mac, "\x01\x23\x45\x67\x89\xab", 6);
	in.feature_flag = 0x05;
	in.silent = true;
	in.uuid_version = 2;
	in.flags2 = 0x32;
	in.stack_version = 3;
	in.random_auth = true;
	aligenie_encode(&in, uuid);
	ck_assert_uint_eq(uuid[0], 0xa8);
	ck_assert_uint_eq(uuid[1], 0x01);
	ck_assert_mem_eq(uuid + 3, "\xef\xbe\xad\xde", 4); /* little-endian */
	ck_assert_mem_eq(uuid + 7, "\xab\x89\x67\x45\x23\x01", 6);
	ck_assert_uint_eq(uuid[15], 0);
	ck_assert(aligenie_decode(uuid, &out));
	ck_assert_uint_eq(out.pid_flags, in.pid_flags);
	ck_assert_uint_eq(out.adv_version, in.adv_version);
	ck_assert(out.secret_per_device == in.secret_per_device);
	ck_assert(out.ota == in.ota);
	ck_assert_uint_eq(out.ble_version, in.ble_version);
	ck_assert_uint_eq(out.product_id, in.product_id);
	ck_assert_mem_eq(out.mac, in.mac, 6);
	ck_assert_uint_eq(out.feature_flag, in.feature_flag);
	ck_assert(out.silent == in.silent);
	ck_assert_uint_eq(out.uuid_version, in.uuid_version);
	ck_assert_uint_eq(out.flags2, in.flags2);
	ck_assert_uint_eq(out.stack_version, in.stack_version);
	ck_assert(out.ultra_prov == in.ultra_prov);
	ck_assert(out.random_auth == in.random_auth);

	/* through a beacon as well */
	{
		struct unprov_beacon b = { .oob = OOB_INFO_NUMBER }, pb;
		uint8_t buf[23];
		size_t len;

		memcpy(b.uuid, uuid, 16);
		len = beacon_build_unprov(&b, buf);
		ck_assert_int_eq(beacon_parse_unprov(buf, len, &pb), 0);
		ck_assert(aligenie_decode(pb.uuid, &out));
		ck_assert_uint_eq(out.product_id, 0xdeadbeef);
	}
}
END_TEST

static Suite *beacon_suite(void)
{
	Suite *s = suite_create("beacon");
	TCase *tb = tcase_create("unprovisioned");
	TCase *ta = tcase_create("aligenie");

	tcase_add_test(tb, test_beacon_19);
	tcase_add_test(tb, test_beacon_23);
	tcase_add_test(tb, test_beacon_bad_lengths);
	tcase_add_test(tb, test_beacon_empty);
	tcase_add_test(tb, test_beacon_wrong_type);
	tcase_add_test(tb, test_beacon_build);
	tcase_add_test(tb, test_beacon_oob_str);
	suite_add_tcase(s, tb);

	tcase_add_test(ta, test_aligenie_example);
	tcase_add_test(ta, test_aligenie_mac_layout);
	tcase_add_test(ta, test_aligenie_ble_versions);
	tcase_add_test(ta, test_aligenie_silent);
	tcase_add_test(ta, test_aligenie_flags2);
	tcase_add_test(ta, test_aligenie_not);
	tcase_add_test(ta, test_aligenie_round_trip);
	suite_add_tcase(s, ta);
	return s;
}

CHECK_MAIN(beacon_suite)
