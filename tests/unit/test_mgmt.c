/* The management-interface mesh core: byte-exact frames out, every event
 * length checked, bring-up, errors, receive and transmit pacing. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check_main.h"
#include "mgmt.h"
#include "util.h"

#define MAX_FRAMES 16

static struct {
	uint8_t frames[MAX_FRAMES][128];
	size_t lens[MAX_FRAMES];
	unsigned nframes;
	unsigned ready, stopped, fatal, rx;
	char msg[400];
	uint8_t rx_type;
	uint8_t rx_data[64];
	size_t rx_len;
	struct hci_adv_report rx_rep;
} cap;

static struct mgmt m;

static void c_send(void *ctx, const uint8_t *f, size_t len)
{
	(void)ctx;
	ck_assert_uint_lt(cap.nframes, MAX_FRAMES);
	ck_assert_uint_le(len, sizeof(cap.frames[0]));
	memcpy(cap.frames[cap.nframes], f, len);
	cap.lens[cap.nframes++] = len;
}

static void c_ready(void *ctx)
{
	(void)ctx;
	cap.ready++;
}

static void c_rx(void *ctx, uint8_t type, const uint8_t *data, size_t len,
		 const struct hci_adv_report *r)
{
	(void)ctx;
	cap.rx++;
	cap.rx_type = type;
	ck_assert_uint_le(len, sizeof(cap.rx_data));
	memcpy(cap.rx_data, data, len);
	cap.rx_len = len;
	cap.rx_rep = *r;
}

static void c_fatal(void *ctx, const char *msg)
{
	(void)ctx;
	cap.fatal++;
	snprintf(cap.msg, sizeof(cap.msg), "%s", msg);
}

static void c_stopped(void *ctx)
{
	(void)ctx;
	cap.stopped++;
}

static const struct mgmt_ops ops = {
	.send = c_send,
	.ready = c_ready,
	.rx = c_rx,
	.fatal = c_fatal,
	.stopped = c_stopped,
};

static void setup(void)
{
	memset(&cap, 0, sizeof(cap));
	mgmt_init(&m, 0, &ops, NULL);
}

static void teardown(void)
{
}

/* The last frame sent must be exactly want. */
static void expect_frame(const uint8_t *want, size_t len)
{
	ck_assert_uint_gt(cap.nframes, 0);
	ck_assert_uint_eq(cap.lens[cap.nframes - 1], len);
	ck_assert_mem_eq(cap.frames[cap.nframes - 1], want, len);
}

/* An event frame for controller index idx. */
static void feed(uint64_t now, uint16_t code, uint16_t idx, const uint8_t *p, size_t plen)
{
	uint8_t f[300];

	ck_assert_uint_le(plen, sizeof(f) - MGMT_HDR_LEN);
	put_le16(f, code);
	put_le16(f + 2, idx);
	put_le16(f + 4, (uint16_t)plen);
	if (plen)
		memcpy(f + MGMT_HDR_LEN, p, plen);
	mgmt_receive(&m, now, f, MGMT_HDR_LEN + plen);
}

/* Command Complete for opcode with status and return parameters. */
static void reply(uint64_t now, uint16_t opcode, uint8_t status, const uint8_t *rp, size_t rlen)
{
	uint8_t p[300];

	put_le16(p, opcode);
	p[2] = status;
	if (rlen)
		memcpy(p + 3, rp, rlen);
	feed(now, MGMT_EV_CMD_COMPLETE, 0, p, 3 + rlen);
}

static void cmd_status(uint64_t now, uint16_t opcode, uint8_t status)
{
	uint8_t p[3];

	put_le16(p, opcode);
	p[2] = status;
	feed(now, MGMT_EV_CMD_STATUS, 0, p, 3);
}

/* Read Controller Information reply with these current settings. */
static void reply_info(uint64_t now, uint32_t current)
{
	uint8_t rp[280];

	memset(rp, 0, sizeof(rp));
	memcpy(rp, "\x11\x22\x33\x44\x55\x66", 6);
	rp[6] = 0x09;
	put_le32(rp + 9, MGMT_SETTING_POWERED | MGMT_SETTING_LE | 0x80);
	put_le32(rp + 13, current);
	reply(now, MGMT_OP_READ_INFO, 0, rp, sizeof(rp));
}

static const uint8_t read_info[] = { 0x04, 0x00, 0x00, 0x00, 0x00, 0x00 };
static const uint8_t set_exp_mesh[] = {
	0x4a, 0x00, 0x00, 0x00, 0x11, 0x00,
	0x76, 0x6e, 0xf3, 0xe8, 0x24, 0x5f, 0x05, 0xbf,
	0x8d, 0x4d, 0x03, 0x7a, 0xd7, 0x63, 0xe4, 0x2c,
	0x01,
};
static const uint8_t read_features[] = { 0x58, 0x00, 0x00, 0x00, 0x00, 0x00 };
static const uint8_t receiver_on[] = {
	0x57, 0x00, 0x00, 0x00, 0x09, 0x00,
	0x01, 0x30, 0x00, 0x30, 0x00, 0x03, 0x29, 0x2a, 0x2b,
};
static const uint8_t receiver_off[] = {
	0x57, 0x00, 0x00, 0x00, 0x09, 0x00,
	0x00, 0x30, 0x00, 0x30, 0x00, 0x03, 0x29, 0x2a, 0x2b,
};

static void exp_reply(uint64_t now, uint32_t flags)
{
	uint8_t rp[20];

	memcpy(rp, mgmt_mesh_uuid, 16);
	put_le32(rp + 16, flags);
	reply(now, MGMT_OP_SET_EXP_FEATURE, 0, rp, sizeof(rp));
}

static void features_reply(uint64_t now, uint8_t max)
{
	const uint8_t rp[4] = { 0x00, 0x00, max, 0x00 };

	reply(now, MGMT_OP_MESH_READ_FEATURES, 0, rp, sizeof(rp));
}

/* Run the bring-up to ready with max_handles handles. */
static void bring_up(uint8_t max)
{
	mgmt_start(&m, 0);
	reply_info(1, MGMT_SETTING_POWERED | MGMT_SETTING_LE);
	exp_reply(2, 1);
	features_reply(3, max);
	reply(4, MGMT_OP_SET_MESH_RECEIVER, 0, NULL, 0);
	ck_assert_uint_eq(cap.ready, 1);
	ck_assert_int_eq(m.state, MGMT_READY);
	cap.nframes = 0;
}

START_TEST(test_encode)
{
	static const uint8_t pb[] = { 0xea, 0x46, 0x4b, 0x59, 0x00, 0x03 };
	static const uint8_t want[] = {
		0x59, 0x00, 0x02, 0x00, 0x1b, 0x00,             /* Mesh Send, hci2, 27 */
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,       /* address, LE random */
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* instant */
		0x00, 0x00,                                     /* delay */
		0x01,                                           /* cnt */
		0x08,                                           /* AD length */
		0x07, 0x29, 0xea, 0x46, 0x4b, 0x59, 0x00, 0x03,
	};
	uint8_t out[64], big[ADV_MAX_PAYLOAD + 1];

	ck_assert_uint_eq(mgmt_encode(out, sizeof(out), MGMT_OP_READ_INFO, 0, NULL, 0), 6);
	ck_assert_mem_eq(out, read_info, 6);
	ck_assert_uint_eq(mgmt_encode_mesh_send(out, sizeof(out), 2, 1, AD_TYPE_PB_ADV, pb, sizeof(pb)),
			  sizeof(want));
	ck_assert_mem_eq(out, want, sizeof(want));
	/* too big a payload, too small a buffer, cnt 0 */
	memset(big, 0, sizeof(big));
	ck_assert_uint_eq(mgmt_encode_mesh_send(out, sizeof(out), 0, 1, 0x2a, big, sizeof(big)), 0);
	ck_assert_uint_eq(mgmt_encode_mesh_send(out, sizeof(want) - 1, 2, 1, 0x29, pb, sizeof(pb)), 0);
	ck_assert_uint_eq(mgmt_encode_mesh_send(out, sizeof(out), 2, 0, 0x29, pb, sizeof(pb)), 0);
	ck_assert_uint_eq(mgmt_encode(out, 5, MGMT_OP_READ_INFO, 0, NULL, 0), 0);
}
END_TEST

START_TEST(test_bring_up)
{
	mgmt_start(&m, 100);
	expect_frame(read_info, sizeof(read_info));
	ck_assert_uint_eq(mgmt_next_deadline(&m), 100 + MGMT_CMD_TIMEOUT_MS);
	reply_info(110, MGMT_SETTING_POWERED | MGMT_SETTING_LE);
	expect_frame(set_exp_mesh, sizeof(set_exp_mesh));
	ck_assert_mem_eq(m.bdaddr, "\x11\x22\x33\x44\x55\x66", 6);
	exp_reply(120, 1);
	expect_frame(read_features, sizeof(read_features));
	features_reply(130, 3);
	ck_assert_uint_eq(m.max_handles, 3);
	expect_frame(receiver_on, sizeof(receiver_on));
	ck_assert_uint_eq(cap.ready, 0);
	reply(140, MGMT_OP_SET_MESH_RECEIVER, 0, NULL, 0);
	ck_assert_uint_eq(cap.ready, 1);
	ck_assert_uint_eq(cap.fatal, 0);
	ck_assert_uint_eq(cap.nframes, 4);
	ck_assert_uint_eq(mgmt_next_deadline(&m), NO_DEADLINE);
}
END_TEST

START_TEST(test_le_switched_on)
{
	static const uint8_t set_le[] = { 0x0d, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01 };
	uint8_t settings[4];

	mgmt_start(&m, 0);
	reply_info(1, MGMT_SETTING_POWERED);
	expect_frame(set_le, sizeof(set_le));
	put_le32(settings, MGMT_SETTING_POWERED | MGMT_SETTING_LE);
	reply(2, MGMT_OP_SET_LE, 0, settings, sizeof(settings));
	expect_frame(set_exp_mesh, sizeof(set_exp_mesh));
	ck_assert_uint_eq(cap.fatal, 0);
}
END_TEST

START_TEST(test_powered_off)
{
	mgmt_start(&m, 0);
	reply_info(1, MGMT_SETTING_LE);
	ck_assert_uint_eq(cap.fatal, 1);
	ck_assert_ptr_nonnull(strstr(cap.msg, "hci0: the controller is powered off"));
	ck_assert_ptr_nonnull(strstr(cap.msg, "btmgmt --index 0 power on"));
	ck_assert_uint_eq(cap.nframes, 1);
	ck_assert_int_eq(m.state, MGMT_FAILED);
}
END_TEST

START_TEST(test_permission_denied)
{
	mgmt_start(&m, 0);
	reply_info(1, MGMT_SETTING_POWERED | MGMT_SETTING_LE);
	cmd_status(2, MGMT_OP_SET_EXP_FEATURE, MGMT_STATUS_PERMISSION_DENIED);
	ck_assert_uint_eq(cap.fatal, 1);
	ck_assert_ptr_nonnull(strstr(cap.msg, "needs CAP_NET_ADMIN"));
	ck_assert_ptr_nonnull(strstr(cap.msg, "0x14"));
	ck_assert_uint_eq(cap.ready, 0);
}
END_TEST

START_TEST(test_kernel_too_old)
{
	/* before 6.0 the mesh UUID is unknown (not supported), and older kernels
	 * know no such command at all */
	mgmt_start(&m, 0);
	reply_info(1, MGMT_SETTING_POWERED | MGMT_SETTING_LE);
	cmd_status(2, MGMT_OP_SET_EXP_FEATURE, MGMT_STATUS_NOT_SUPPORTED);
	ck_assert_uint_eq(cap.fatal, 1);
	ck_assert_ptr_nonnull(strstr(cap.msg, "Linux >= 6.0"));
	ck_assert_ptr_nonnull(strstr(cap.msg, "--hci hciN"));

	setup();
	mgmt_start(&m, 0);
	reply_info(1, MGMT_SETTING_POWERED | MGMT_SETTING_LE);
	exp_reply(2, 1);
	cmd_status(3, MGMT_OP_MESH_READ_FEATURES, MGMT_STATUS_UNKNOWN_COMMAND);
	ck_assert_uint_eq(cap.fatal, 1);
	ck_assert_ptr_nonnull(strstr(cap.msg, "too old"));
	ck_assert_ptr_nonnull(strstr(cap.msg, "Mesh Read Features"));
}
END_TEST

START_TEST(test_no_such_controller)
{
	mgmt_init(&m, 7, &ops, NULL);
	mgmt_start(&m, 0);
	expect_frame((const uint8_t *)"\x04\x00\x07\x00\x00\x00", 6);
	/* a reply for another controller is not ours */
	cmd_status(1, MGMT_OP_READ_INFO, MGMT_STATUS_INVALID_INDEX);
	ck_assert_uint_eq(cap.fatal, 0);
	{
		uint8_t p[3] = { 0x04, 0x00, MGMT_STATUS_INVALID_INDEX };

		feed(2, MGMT_EV_CMD_STATUS, 7, p, 3);
	}
	ck_assert_uint_eq(cap.fatal, 1);
	ck_assert_ptr_nonnull(strstr(cap.msg, "hci7: Read Controller Information failed: no such controller"));
}
END_TEST

START_TEST(test_feature_not_enabled)
{
	mgmt_start(&m, 0);
	reply_info(1, MGMT_SETTING_POWERED | MGMT_SETTING_LE);
	exp_reply(2, 0);
	ck_assert_uint_eq(cap.fatal, 1);
	ck_assert_ptr_nonnull(strstr(cap.msg, "did not enable"));
}
END_TEST

START_TEST(test_short_replies)
{
	uint8_t rp[16];

	/* a Read Controller Information reply without the settings */
	mgmt_start(&m, 0);
	memset(rp, 0, sizeof(rp));
	reply(1, MGMT_OP_READ_INFO, 0, rp, sizeof(rp));
	ck_assert_uint_eq(cap.fatal, 1);
	ck_assert_ptr_nonnull(strstr(cap.msg, "too short"));

	/* Mesh Read Features with 3 octets */
	setup();
	mgmt_start(&m, 0);
	reply_info(1, MGMT_SETTING_POWERED | MGMT_SETTING_LE);
	exp_reply(2, 1);
	reply(3, MGMT_OP_MESH_READ_FEATURES, 0, rp, 3);
	ck_assert_uint_eq(cap.fatal, 1);
	ck_assert_ptr_nonnull(strstr(cap.msg, "too short"));

	/* Command Complete without its status octet: dropped, still waiting */
	setup();
	mgmt_start(&m, 0);
	feed(1, MGMT_EV_CMD_COMPLETE, 0, (const uint8_t *)"\x04\x00", 2);
	ck_assert_uint_eq(m.stats.malformed, 1);
	ck_assert_uint_eq(cap.fatal, 0);
	ck_assert_int_eq(m.state, MGMT_READ_INFO);
}
END_TEST

START_TEST(test_bad_frames)
{
	uint8_t f[8] = { 0x01, 0x00, 0x00, 0x00, 0x03, 0x00, 0x04, 0x00 };

	mgmt_start(&m, 0);
	mgmt_receive(&m, 1, f, 5);                 /* shorter than a header */
	mgmt_receive(&m, 1, f, sizeof(f));         /* says 3, carries 2 */
	ck_assert_uint_eq(m.stats.malformed, 2);
	/* a completion for a command not in flight */
	cmd_status(1, MGMT_OP_MESH_SEND, MGMT_STATUS_BUSY);
	ck_assert_uint_eq(m.stats.malformed, 3);
	ck_assert_uint_eq(cap.fatal, 0);
	ck_assert_int_eq(m.state, MGMT_READ_INFO);
}
END_TEST

START_TEST(test_timeout)
{
	mgmt_start(&m, 1000);
	mgmt_tick(&m, 1000 + MGMT_CMD_TIMEOUT_MS - 1);
	ck_assert_uint_eq(cap.fatal, 0);
	mgmt_tick(&m, 1000 + MGMT_CMD_TIMEOUT_MS);
	ck_assert_uint_eq(cap.fatal, 1);
	ck_assert_ptr_nonnull(strstr(cap.msg, "did not answer Read Controller Information"));
	ck_assert_uint_eq(mgmt_next_deadline(&m), NO_DEADLINE);
}
END_TEST

/* Mesh Device Found: address, type, RSSI, instant, flags, AD length, AD. */
static size_t found(uint8_t *p, uint8_t addr_type, int8_t rssi, const uint8_t *ad, size_t adlen)
{
	memcpy(p, "\xa1\xa2\xa3\xa4\xa5\xa6", 6);
	p[6] = addr_type;
	p[7] = (uint8_t)rssi;
	memset(p + 8, 0x5a, 8);
	put_le32(p + 16, 4);
	put_le16(p + 20, (uint16_t)adlen);
	memcpy(p + 22, ad, adlen);
	return 22 + adlen;
}

START_TEST(test_device_found)
{
	static const uint8_t ad[] = {
		0x02, 0x01, 0x06,                         /* flags: not mesh */
		0x05, 0x2b, 0x00, 0xb1, 0xb2, 0xb3,       /* beacon */
	};
	uint8_t p[64];
	size_t n;

	bring_up(3);
	n = found(p, 2, -40, ad, sizeof(ad));
	feed(10, MGMT_EV_MESH_DEVICE_FOUND, 0, p, n);
	ck_assert_uint_eq(cap.rx, 1);
	ck_assert_uint_eq(cap.rx_type, AD_TYPE_MESH_BEACON);
	ck_assert_uint_eq(cap.rx_len, 4);
	ck_assert_mem_eq(cap.rx_data, "\x00\xb1\xb2\xb3", 4);
	ck_assert_mem_eq(cap.rx_rep.addr, "\xa1\xa2\xa3\xa4\xa5\xa6", 6);
	ck_assert_uint_eq(cap.rx_rep.addr_type, 0x01);
	ck_assert_int_eq(cap.rx_rep.rssi, -40);
	ck_assert_uint_eq(cap.rx_rep.data_len, sizeof(ad));

	/* public address */
	n = found(p, 1, 127, ad, sizeof(ad));
	feed(11, MGMT_EV_MESH_DEVICE_FOUND, 0, p, n);
	ck_assert_uint_eq(cap.rx, 2);
	ck_assert_uint_eq(cap.rx_rep.addr_type, 0x00);
	ck_assert_int_eq(cap.rx_rep.rssi, HCI_RSSI_UNKNOWN);

	/* BR/EDR address, another controller: not ours, not malformed */
	n = found(p, 0, -40, ad, sizeof(ad));
	feed(12, MGMT_EV_MESH_DEVICE_FOUND, 0, p, n);
	n = found(p, 2, -40, ad, sizeof(ad));
	feed(12, MGMT_EV_MESH_DEVICE_FOUND, 1, p, n);
	ck_assert_uint_eq(cap.rx, 2);
	ck_assert_uint_eq(m.stats.malformed, 0);

	/* AD length one more, one less than carried; header cut short */
	n = found(p, 2, -40, ad, sizeof(ad));
	put_le16(p + 20, sizeof(ad) + 1);
	feed(13, MGMT_EV_MESH_DEVICE_FOUND, 0, p, n);
	put_le16(p + 20, sizeof(ad) - 1);
	feed(13, MGMT_EV_MESH_DEVICE_FOUND, 0, p, n);
	feed(13, MGMT_EV_MESH_DEVICE_FOUND, 0, p, 21);
	ck_assert_uint_eq(cap.rx, 2);
	ck_assert_uint_eq(m.stats.malformed, 3);

	/* an AD structure running past the end stops the walk */
	{
		static const uint8_t bad[] = { 0x03, 0x29, 0x01, 0x02, 0x09, 0x2a, 0x01 };

		n = found(p, 2, -40, bad, sizeof(bad));
		feed(14, MGMT_EV_MESH_DEVICE_FOUND, 0, p, n);
		ck_assert_uint_eq(cap.rx, 3);
		ck_assert_uint_eq(cap.rx_type, AD_TYPE_PB_ADV);
		ck_assert_uint_eq(cap.rx_len, 2);
	}
}
END_TEST

START_TEST(test_found_before_ready)
{
	static const uint8_t ad[] = { 0x02, 0x2b, 0x00 };
	uint8_t p[64];
	size_t n = found(p, 2, -40, ad, sizeof(ad));

	mgmt_start(&m, 0);
	feed(1, MGMT_EV_MESH_DEVICE_FOUND, 0, p, n);
	ck_assert_uint_eq(cap.rx, 0);
}
END_TEST

static void expect_send(unsigned frame, uint8_t type, const uint8_t *data, size_t len)
{
	uint8_t want[64];
	size_t n = mgmt_encode_mesh_send(want, sizeof(want), 0, 1, type, data, len);

	ck_assert_uint_gt(cap.nframes, frame);
	ck_assert_uint_eq(cap.lens[frame], n);
	ck_assert_mem_eq(cap.frames[frame], want, n);
}

static void sent(uint64_t now, uint8_t handle)
{
	reply(now, MGMT_OP_MESH_SEND, 0, &handle, 1);
}

static void packet_complete(uint64_t now, uint16_t idx, uint8_t handle)
{
	feed(now, MGMT_EV_MESH_PACKET_CMPLT, idx, &handle, 1);
}

START_TEST(test_send_paced)
{
	static const uint8_t a[] = { 0xaa, 0x01 }, b[] = { 0xbb };

	mgmt_set_tx(&m, 100, 2);
	bring_up(1);
	ck_assert_int_eq(mgmt_send(&m, 100, AD_TYPE_PB_ADV, a, sizeof(a)), 0);
	ck_assert_int_eq(mgmt_send(&m, 100, AD_TYPE_MESH_MESSAGE, b, sizeof(b)), 0);
	/* one command at a time */
	ck_assert_uint_eq(cap.nframes, 1);
	expect_send(0, AD_TYPE_PB_ADV, a, sizeof(a));
	ck_assert(mgmt_busy(&m));
	sent(101, 5);
	/* the kernel holds max_handles (1) of ours: wait for its completion */
	ck_assert_uint_eq(cap.nframes, 1);
	packet_complete(110, 0, 6);      /* another program's packet */
	packet_complete(110, 1, 5);      /* another controller */
	ck_assert_uint_eq(cap.nframes, 1);
	packet_complete(126, 0, 5);
	/* b, though queued behind a's second transmission, which is not due */
	ck_assert_uint_eq(cap.nframes, 2);
	expect_send(1, AD_TYPE_MESH_MESSAGE, b, sizeof(b));
	sent(127, 6);
	packet_complete(152, 0, 6);
	/* a's second transmission is due at 100 + 100 */
	ck_assert_uint_eq(cap.nframes, 2);
	ck_assert_uint_eq(mgmt_next_deadline(&m), 200);
	mgmt_tick(&m, 199);
	ck_assert_uint_eq(cap.nframes, 2);
	mgmt_tick(&m, 200);
	ck_assert_uint_eq(cap.nframes, 3);
	expect_send(2, AD_TYPE_PB_ADV, a, sizeof(a));
	sent(201, 7);
	/* b's second is due at 126 + 100, but the kernel holds a */
	ck_assert_uint_eq(mgmt_next_deadline(&m), 201 + MGMT_TX_TIMEOUT_MS);
	packet_complete(226, 0, 7);
	expect_send(3, AD_TYPE_MESH_MESSAGE, b, sizeof(b));
	sent(227, 8);
	packet_complete(252, 0, 8);
	ck_assert(!mgmt_busy(&m));
	ck_assert_uint_eq(cap.nframes, 4);
	ck_assert_uint_eq(m.stats.tx_pdus, 4);
	ck_assert_uint_eq(mgmt_next_deadline(&m), NO_DEADLINE);
}
END_TEST

START_TEST(test_send_errors)
{
	uint8_t big[ADV_MAX_PAYLOAD + 1] = { 0 };
	unsigned i;

	ck_assert_int_eq(mgmt_send(&m, 0, 0x2a, big, 1), -EIO);    /* not ready */
	bring_up(3);
	ck_assert_int_eq(mgmt_send(&m, 0, 0x2a, big, sizeof(big)), -EMSGSIZE);
	/* MGMT_ACTIVE taken from the scheduler (the first went to the
	 * kernel), a queue of MGMT_TX_QUEUE behind them */
	for (i = 0; i < MGMT_ACTIVE + MGMT_TX_QUEUE; i++)
		ck_assert_int_eq(mgmt_send(&m, 0, 0x2a, big, 1), 0);
	ck_assert_int_eq(mgmt_send(&m, 0, 0x2a, big, 1), -ENOBUFS);
	ck_assert_uint_eq(m.stats.tx_dropped, 1);
	/* a refused Mesh Send loses that transmission, not the link */
	cmd_status(1, MGMT_OP_MESH_SEND, MGMT_STATUS_BUSY);
	ck_assert_uint_eq(m.stats.tx_failed, 1);
	ck_assert_uint_eq(cap.fatal, 0);
	ck_assert_uint_eq(cap.nframes, 2);
	/* a completion that never comes frees the handle after MGMT_TX_TIMEOUT_MS */
	sent(2, 9);
	sent(3, 10);
	sent(4, 11);
	ck_assert_uint_eq(m.nhandles, 3);
	ck_assert_uint_eq(cap.nframes, 4);
	ck_assert_uint_eq(mgmt_next_deadline(&m), 2 + MGMT_TX_TIMEOUT_MS);
	mgmt_tick(&m, 2 + MGMT_TX_TIMEOUT_MS);
	ck_assert_uint_eq(m.nhandles, 2);  /* one expired, one more handed over */
	ck_assert_uint_eq(m.pending_op, MGMT_OP_MESH_SEND);
	ck_assert_uint_eq(m.stats.tx_failed, 2);
	ck_assert_uint_eq(cap.nframes, 5);
}
END_TEST

static unsigned ndone;
static uint32_t last_cookie;

static void src_done(void *ctx, uint32_t cookie)
{
	(void)ctx;
	ndone++;
	last_cookie = cookie;
}

static const struct txsched_src_ops src_ops = { .tx_done = src_done };

/* A PDU's tx-done comes when the kernel completed its last transmission,
 * not when it was queued or first handed over. */
START_TEST(test_send_tx_done)
{
	static const uint8_t a[] = { 0xaa };
	int src;

	ndone = 0;
	mgmt_set_tx(&m, 20, 2);
	bring_up(1);
	src = txsched_open(&m.sched, 4, 1, &src_ops, NULL);
	ck_assert_int_ge(src, 0);
	ck_assert_int_eq(mgmt_send_src(&m, 0, (unsigned)src, AD_TYPE_PB_ADV, a, 1,
				       TXSCHED_NOTIFY, 77), 0);
	ck_assert_uint_eq(mgmt_backlog_ms(&m), 2 * (20 + 5));
	sent(1, 5);
	packet_complete(20, 0, 5);
	ck_assert_uint_eq(ndone, 0);
	mgmt_tick(&m, 20);
	sent(21, 6);
	ck_assert_uint_eq(ndone, 0);
	packet_complete(45, 0, 6);
	ck_assert_uint_eq(ndone, 1);
	ck_assert_uint_eq(last_cookie, 77);
	ck_assert(!mgmt_busy(&m));
	ck_assert_uint_eq(mgmt_backlog_ms(&m), 0);
	ck_assert_uint_eq(m.stats.tx_dropped, 0);
}
END_TEST

START_TEST(test_stop_drains)
{
	static const uint8_t a[] = { 0x01 };

	mgmt_set_tx(&m, 20, 1);
	bring_up(3);
	mgmt_send(&m, 10, 0x2a, a, 1);
	mgmt_stop(&m, 11);
	ck_assert_uint_eq(cap.stopped, 0);
	ck_assert_uint_eq(cap.nframes, 1);
	sent(12, 1);
	ck_assert_uint_eq(cap.nframes, 1);
	ck_assert_int_eq(mgmt_send(&m, 13, 0x2a, a, 1), -EIO);
	packet_complete(40, 0, 1);
	expect_frame(receiver_off, sizeof(receiver_off));
	reply(41, MGMT_OP_SET_MESH_RECEIVER, 0, NULL, 0);
	ck_assert_uint_eq(cap.stopped, 1);
	ck_assert_int_eq(m.state, MGMT_STOPPED);
	/* nothing more is looked at */
	packet_complete(42, 0, 1);
	ck_assert_uint_eq(cap.nframes, 2);

	/* stopped again while the kernel holds a transmission of ours (the
	 * owner's stop deadline came first): no deadline is left that a tick
	 * would not act on (the radio's timer would fire at once, again and
	 * again) -- found by fuzz_mgmt */
	setup();
	bring_up(3);
	mgmt_send(&m, 10, 0x2a, a, 1);
	sent(12, 1);
	mgmt_stop(&m, 13);
	mgmt_stop(&m, 14);
	ck_assert_int_eq(m.state, MGMT_STOPPED);
	ck_assert_uint_eq(mgmt_next_deadline(&m), NO_DEADLINE);
}
END_TEST

/* Linux 6.1 says "discovering" (type 0) once the mesh receiver scans and
 * forgets to stop: meshprov ends that state after turning the receiver off,
 * and only that one (bluetoothd's discovery has type 0x01, 0x06 or 0x07). */
START_TEST(test_stop_ends_mesh_discovery)
{
	static const uint8_t stop_discovery[] = { 0x24, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00 };
	static const uint8_t mesh_scan[] = { 0x00, 0x01 }, le_discovery[] = { 0x06, 0x01 };

	bring_up(3);
	feed(5, MGMT_EV_DISCOVERING, 0, mesh_scan, 2);
	feed(5, MGMT_EV_DISCOVERING, 0, mesh_scan, 1);   /* short: dropped */
	ck_assert_uint_eq(m.stats.malformed, 1);
	mgmt_stop(&m, 6);
	expect_frame(receiver_off, sizeof(receiver_off));
	reply(7, MGMT_OP_SET_MESH_RECEIVER, 0, NULL, 0);
	ck_assert_uint_eq(cap.stopped, 0);
	expect_frame(stop_discovery, sizeof(stop_discovery));
	cmd_status(8, MGMT_OP_STOP_DISCOVERY, MGMT_STATUS_REJECTED);
	ck_assert_uint_eq(cap.stopped, 1);
	ck_assert_uint_eq(cap.fatal, 0);
	ck_assert_uint_eq(cap.nframes, 2);

	/* bluetoothd's own discovery, or one that ended: left alone */
	setup();
	bring_up(3);
	feed(5, MGMT_EV_DISCOVERING, 0, le_discovery, 2);
	mgmt_stop(&m, 6);
	reply(7, MGMT_OP_SET_MESH_RECEIVER, 0, NULL, 0);
	ck_assert_uint_eq(cap.stopped, 1);
	ck_assert_uint_eq(cap.nframes, 1);

	setup();
	bring_up(3);
	feed(5, MGMT_EV_DISCOVERING, 0, mesh_scan, 2);
	feed(6, MGMT_EV_DISCOVERING, 0, (const uint8_t *)"\x00\x00", 2);
	mgmt_stop(&m, 7);
	reply(8, MGMT_OP_SET_MESH_RECEIVER, 0, NULL, 0);
	ck_assert_uint_eq(cap.stopped, 1);
	ck_assert_uint_eq(cap.nframes, 1);

	/* Linux 6.1 after bluetoothd's discovery: the mesh scan's Discovering
	 * event, sent while our Set Mesh Receiver is in flight, carries the old
	 * type 0x06; ours all the same, and Stop Discovery names 0x06 */
	setup();
	mgmt_start(&m, 0);
	reply_info(1, MGMT_SETTING_POWERED | MGMT_SETTING_LE);
	exp_reply(2, 1);
	features_reply(3, 3);
	feed(4, MGMT_EV_DISCOVERING, 0, le_discovery, 2);
	reply(4, MGMT_OP_SET_MESH_RECEIVER, 0, NULL, 0);
	ck_assert_int_eq(m.state, MGMT_READY);
	cap.nframes = 0;
	mgmt_stop(&m, 6);
	expect_frame(receiver_off, sizeof(receiver_off));
	reply(7, MGMT_OP_SET_MESH_RECEIVER, 0, NULL, 0);
	{
		static const uint8_t stop_le[] = { 0x24, 0x00, 0x00, 0x00, 0x01, 0x00, 0x06 };

		expect_frame(stop_le, sizeof(stop_le));
	}
	cmd_status(8, MGMT_OP_STOP_DISCOVERY, MGMT_STATUS_SUCCESS);
	ck_assert_uint_eq(cap.stopped, 1);
	ck_assert_uint_eq(cap.nframes, 2);

	/* Linux 6.1: bluetoothd's discovery, running when the receiver went
	 * on, ends; the kernel resumes the mesh scan and says "discovering"
	 * with the old type 0x06 at once: ours, and Stop Discovery names 0x06.
	 * A discovery that starts later is bluetoothd's: left alone. */
	{
		static const uint8_t stop_le[] = { 0x24, 0x00, 0x00, 0x00, 0x01, 0x00, 0x06 };
		static const uint8_t le_off[] = { 0x06, 0x00 };

		for (unsigned later = 0; later <= 1; later++) {
			setup();
			bring_up(3);
			feed(5000, MGMT_EV_DISCOVERING, 0, le_off, 2);
			feed(5000 + MGMT_RESCAN_MS + later, MGMT_EV_DISCOVERING, 0, le_discovery, 2);
			mgmt_stop(&m, 6000);
			reply(6001, MGMT_OP_SET_MESH_RECEIVER, 0, NULL, 0);
			if (!later) {
				expect_frame(stop_le, sizeof(stop_le));
				cmd_status(6002, MGMT_OP_STOP_DISCOVERY, MGMT_STATUS_SUCCESS);
			}
			ck_assert_uint_eq(cap.stopped, 1);
			ck_assert_uint_eq(cap.nframes, later ? 1 : 2);
		}
	}

	/* no answer to Stop Discovery: stopped all the same */
	setup();
	bring_up(3);
	feed(5, MGMT_EV_DISCOVERING, 0, mesh_scan, 2);
	mgmt_stop(&m, 6);
	reply(7, MGMT_OP_SET_MESH_RECEIVER, 0, NULL, 0);
	mgmt_tick(&m, 7 + MGMT_CMD_TIMEOUT_MS);
	ck_assert_uint_eq(cap.stopped, 1);
	ck_assert_uint_eq(cap.fatal, 0);
}
END_TEST

START_TEST(test_stop_before_ready)
{
	mgmt_start(&m, 0);
	mgmt_stop(&m, 1);
	ck_assert_uint_eq(cap.stopped, 1);
	ck_assert_uint_eq(cap.nframes, 1);
	ck_assert_uint_eq(mgmt_next_deadline(&m), NO_DEADLINE);
}
END_TEST

START_TEST(test_controller_goes_away)
{
	uint8_t settings[4];

	bring_up(3);
	put_le32(settings, MGMT_SETTING_LE);
	feed(5, MGMT_EV_NEW_SETTINGS, 1, settings, 4);   /* another controller */
	ck_assert_uint_eq(cap.fatal, 0);
	feed(5, MGMT_EV_NEW_SETTINGS, 0, settings, 3);   /* short */
	ck_assert_uint_eq(cap.fatal, 0);
	ck_assert_uint_eq(m.stats.malformed, 1);
	feed(6, MGMT_EV_NEW_SETTINGS, 0, settings, 4);
	ck_assert_uint_eq(cap.fatal, 1);
	ck_assert_ptr_nonnull(strstr(cap.msg, "powered off"));

	setup();
	bring_up(3);
	feed(6, MGMT_EV_INDEX_REMOVED, 0, NULL, 0);
	ck_assert_uint_eq(cap.fatal, 1);
	ck_assert_ptr_nonnull(strstr(cap.msg, "removed"));
}
END_TEST

static Suite *mgmt_suite(void)
{
	Suite *s = suite_create("mgmt");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_encode);
	tcase_add_test(tc, test_bring_up);
	tcase_add_test(tc, test_le_switched_on);
	tcase_add_test(tc, test_powered_off);
	tcase_add_test(tc, test_permission_denied);
	tcase_add_test(tc, test_kernel_too_old);
	tcase_add_test(tc, test_no_such_controller);
	tcase_add_test(tc, test_feature_not_enabled);
	tcase_add_test(tc, test_short_replies);
	tcase_add_test(tc, test_bad_frames);
	tcase_add_test(tc, test_timeout);
	tcase_add_test(tc, test_device_found);
	tcase_add_test(tc, test_found_before_ready);
	tcase_add_test(tc, test_send_paced);
	tcase_add_test(tc, test_send_errors);
	tcase_add_test(tc, test_send_tx_done);
	tcase_add_test(tc, test_stop_drains);
	tcase_add_test(tc, test_stop_ends_mesh_discovery);
	tcase_add_test(tc, test_stop_before_ready);
	tcase_add_test(tc, test_controller_goes_away);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(mgmt_suite)
