/* The choice of transport without --hci: the kernel's answers (frames as it
 * sends them) in, hciN:mesh or hciN out, with the reason. */
#include <stdint.h>
#include <string.h>

#include "check_main.h"
#include "mgmt.h"
#include "mgmt_probe.h"
#include "util.h"

static struct mgmt_probe p;

static const uint8_t other_uuid[16] = { 0x01, 0x02, 0x03 };

/* A Command Complete (or Status: no reply) for index idx. */
static bool answer_at(uint16_t idx, uint16_t opcode, uint8_t status, const uint8_t *rp, size_t rlen)
{
	uint8_t f[MGMT_HDR_LEN + 3 + 256];
	bool cc = rp != NULL;

	put_le16(f, cc ? MGMT_EV_CMD_COMPLETE : MGMT_EV_CMD_STATUS);
	put_le16(f + 2, idx);
	put_le16(f + 4, (uint16_t)(3 + rlen));
	put_le16(f + 6, opcode);
	f[8] = status;
	if (rlen)
		memcpy(f + 9, rp, rlen);
	return mgmt_probe_receive(&p, f, MGMT_HDR_LEN + 3 + rlen);
}

static bool answer(uint16_t opcode, uint8_t status, const uint8_t *rp, size_t rlen)
{
	return answer_at(0, opcode, status, rp, rlen);
}

/* Read Experimental Features Information listing n features: another one,
 * then (with mesh) the mesh feature, its flags off. */
static void exp_features(bool mesh)
{
	uint8_t rp[2 + 2 * 20];
	size_t n = mesh ? 2 : 1;

	memset(rp, 0, sizeof(rp));
	put_le16(rp, (uint16_t)n);
	memcpy(rp + 2, other_uuid, 16);
	if (mesh)
		memcpy(rp + 22, mgmt_mesh_uuid, 16);
	ck_assert(answer(MGMT_OP_READ_EXP_FEATURES, 0, rp, 2 + n * 20));
}

static void info(uint32_t supported, uint32_t current)
{
	uint8_t rp[280];

	memset(rp, 0, sizeof(rp));
	put_le32(rp + 9, supported);
	put_le32(rp + 13, current);
	ck_assert(answer(MGMT_OP_READ_INFO, 0, rp, sizeof(rp) - 24)); /* up to the names */
}

static void adv_features(uint32_t flags)
{
	uint8_t rp[8] = { 0 };

	put_le32(rp, flags);
	rp[6] = 5; /* max instances */
	ck_assert(answer(MGMT_OP_READ_ADV_FEATURES, 0, rp, sizeof(rp)));
}

/* What Linux 6.1 answers for btvirt's Bluetooth 5 controller, powered by
 * bluetoothd, to root. */
static void all_good(void)
{
	exp_features(true);
	info(MGMT_SETTING_LE | MGMT_SETTING_POWERED | 0xfe, MGMT_SETTING_LE | MGMT_SETTING_POWERED);
	adv_features(0x3f | MGMT_ADV_FLAG_SEC_1M | (1u << 8));
}

static void setup(void)
{
	mgmt_probe_init(&p, 0);
	p.opened = true;
}

static void expect(bool mesh, const char *words)
{
	const char *why = NULL;

	ck_assert_int_eq(mgmt_probe_choose(&p, &why), mesh);
	ck_assert_ptr_nonnull(why);
	ck_assert_msg(strstr(why, words), "reason '%s' lacks '%s'", why, words);
}

START_TEST(test_commands)
{
	static const uint8_t want[MGMT_PROBE_NCMDS][6] = {
		{ 0x49, 0x00, 0x01, 0x00, 0x00, 0x00 },
		{ 0x04, 0x00, 0x01, 0x00, 0x00, 0x00 },
		{ 0x3d, 0x00, 0x01, 0x00, 0x00, 0x00 },
	};
	uint8_t f[MGMT_PROBE_FRAME_MAX];

	mgmt_probe_init(&p, 1);
	for (int i = 0; i < MGMT_PROBE_NCMDS; i++) {
		ck_assert_uint_eq(mgmt_probe_cmd(&p, i, f), 6);
		ck_assert_mem_eq(f, want[i], 6);
	}
}
END_TEST

START_TEST(test_mesh_when_it_works)
{
	all_good();
	expect(true, "offers the mesh interface");
}
END_TEST

START_TEST(test_no_socket)
{
	p.opened = false;
	expect(false, "cannot be opened");
}
END_TEST

START_TEST(test_no_answer)
{
	exp_features(true);
	expect(false, "did not answer");
}
END_TEST

START_TEST(test_kernel_too_old)
{
	/* before Linux 5.10 no experimental features at all; before 6.0 no mesh */
	ck_assert(answer(MGMT_OP_READ_EXP_FEATURES, MGMT_STATUS_UNKNOWN_COMMAND, NULL, 0));
	info(MGMT_SETTING_LE | MGMT_SETTING_POWERED, MGMT_SETTING_LE | MGMT_SETTING_POWERED);
	adv_features(MGMT_ADV_FLAG_SEC_1M);
	expect(false, "does not offer the mesh interface");

	setup();
	exp_features(false);
	info(MGMT_SETTING_LE | MGMT_SETTING_POWERED, MGMT_SETTING_LE | MGMT_SETTING_POWERED);
	adv_features(MGMT_ADV_FLAG_SEC_1M);
	expect(false, "does not offer the mesh interface");
}
END_TEST

START_TEST(test_no_controller)
{
	ck_assert(answer(MGMT_OP_READ_EXP_FEATURES, MGMT_STATUS_INVALID_INDEX, NULL, 0));
	ck_assert(answer(MGMT_OP_READ_INFO, MGMT_STATUS_INVALID_INDEX, NULL, 0));
	expect(false, "no such controller");
}
END_TEST

START_TEST(test_not_le)
{
	exp_features(true);
	info(MGMT_SETTING_POWERED, MGMT_SETTING_POWERED);
	adv_features(MGMT_ADV_FLAG_SEC_1M);
	expect(false, "does not support LE");
}
END_TEST

START_TEST(test_powered_off)
{
	exp_features(true);
	info(MGMT_SETTING_LE | MGMT_SETTING_POWERED, MGMT_SETTING_LE);
	adv_features(MGMT_ADV_FLAG_SEC_1M);
	expect(false, "powered off");
}
END_TEST

START_TEST(test_no_cap_net_admin)
{
	exp_features(true);
	info(MGMT_SETTING_LE | MGMT_SETTING_POWERED, MGMT_SETTING_LE | MGMT_SETTING_POWERED);
	ck_assert(answer(MGMT_OP_READ_ADV_FEATURES, MGMT_STATUS_PERMISSION_DENIED, NULL, 0));
	expect(false, "CAP_NET_ADMIN");
}
END_TEST

START_TEST(test_legacy_advertising_only)
{
	exp_features(true);
	info(MGMT_SETTING_LE | MGMT_SETTING_POWERED, MGMT_SETTING_LE | MGMT_SETTING_POWERED);
	adv_features(0x3f); /* no secondary PHYs: the kernel advertises with legacy commands */
	expect(false, "legacy advertising only");
}
END_TEST

START_TEST(test_other_frames_ignored)
{
	uint8_t ev[MGMT_HDR_LEN + 4] = { 0x06, 0x00, 0x00, 0x00, 0x04, 0x00, 0x01, 0x02, 0, 0 };
	uint8_t rp[2 + 20] = { 1, 0 };

	memcpy(rp + 2, mgmt_mesh_uuid, 16);
	/* New Settings, another controller's answer, a wrong length, a truncated
	 * header, an answer to a command the probe did not send */
	ck_assert(!mgmt_probe_receive(&p, ev, sizeof(ev)));
	ck_assert(!answer_at(1, MGMT_OP_READ_EXP_FEATURES, 0, rp, sizeof(rp)));
	ev[4] = 9;
	ck_assert(!mgmt_probe_receive(&p, ev, sizeof(ev)));
	ck_assert(!mgmt_probe_receive(&p, ev, 4));
	ck_assert(!answer(MGMT_OP_SET_LE, 0, rp, 4));
	ck_assert(!p.answered[0] && !p.mesh_listed);
	/* the first answer counts */
	all_good();
	ck_assert(!answer(MGMT_OP_READ_ADV_FEATURES, MGMT_STATUS_PERMISSION_DENIED, NULL, 0));
	expect(true, "offers");
}
END_TEST

START_TEST(test_short_replies)
{
	uint8_t rp[2 + 20] = { 2, 0 }; /* says two features, holds one */

	memcpy(rp + 2, other_uuid, 16);
	ck_assert(answer(MGMT_OP_READ_EXP_FEATURES, 0, rp, sizeof(rp)));
	info(MGMT_SETTING_LE | MGMT_SETTING_POWERED, MGMT_SETTING_LE | MGMT_SETTING_POWERED);
	adv_features(MGMT_ADV_FLAG_SEC_1M);
	expect(false, "does not offer");

	/* a Read Controller Information reply without the settings */
	setup();
	exp_features(true);
	ck_assert(answer(MGMT_OP_READ_INFO, 0, rp, 12));
	adv_features(MGMT_ADV_FLAG_SEC_1M);
	expect(false, "did not say what the controller supports");

	setup();
	exp_features(true);
	info(MGMT_SETTING_LE | MGMT_SETTING_POWERED, MGMT_SETTING_LE | MGMT_SETTING_POWERED);
	ck_assert(answer(MGMT_OP_READ_ADV_FEATURES, 0, rp, 3));
	expect(false, "legacy");
}
END_TEST

static Suite *probe_suite(void)
{
	Suite *s = suite_create("mgmt_probe");
	TCase *tc = tcase_create("choose");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_commands);
	tcase_add_test(tc, test_mesh_when_it_works);
	tcase_add_test(tc, test_no_socket);
	tcase_add_test(tc, test_no_answer);
	tcase_add_test(tc, test_kernel_too_old);
	tcase_add_test(tc, test_no_controller);
	tcase_add_test(tc, test_not_le);
	tcase_add_test(tc, test_powered_off);
	tcase_add_test(tc, test_no_cap_net_admin);
	tcase_add_test(tc, test_legacy_advertising_only);
	tcase_add_test(tc, test_other_frames_ignored);
	tcase_add_test(tc, test_short_replies);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(probe_suite)
