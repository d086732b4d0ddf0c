/* The receive path from the kernel's management socket (hciN:mesh): frames
 * through the management core (mgmt.c): command completions and statuses of
 * its bring-up, Mesh Device Found (the AD structures walked into mesh
 * PDUs), Mesh Packet Complete, Discovering, New Settings, Index Removed.
 *
 * Input: records, each an octet (the action) and what it takes:
 *   action % 8 < 6: a frame, its length a big-endian 16-bit word (% 400),
 *                   fed to mgmt_receive;
 *   6: the clock moves on by the next octet * 10 ms, deadlines due run;
 *   7: a PDU to send (its length the next octet % 32), or mgmt_stop the
 *      second time.
 * The core has started (Read Controller Information in flight) with one
 * PDU queued, so well-formed answers in the input take it to ready. */
#include <string.h>

#include "fuzz.h"
#include "mgmt.h"

static struct mgmt M;
static uint64_t now;
static unsigned sends;

static void on_send(void *ctx, const uint8_t *f, size_t len)
{
	(void)ctx;
	fuzz_sink += len + (len ? f[0] : 0);
}

static void on_ready(void *ctx)
{
	(void)ctx;
	fuzz_sink++;
}

static void on_rx(void *ctx, uint8_t type, const uint8_t *data, size_t len,
		  const struct hci_adv_report *r)
{
	(void)ctx;
	fuzz_sink += type + len + (len ? data[len - 1] : 0) + (unsigned)r->rssi + r->data_len;
}

static void on_fatal(void *ctx, const char *msg)
{
	(void)ctx;
	fuzz_sink += strlen(msg);
}

static void on_stopped(void *ctx)
{
	(void)ctx;
	fuzz_sink++;
}

static const struct mgmt_ops ops = {
	.send = on_send, .ready = on_ready, .rx = on_rx, .fatal = on_fatal, .stopped = on_stopped,
};

FUZZ_INITIALIZE(0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t pdu[] = { 0x11, 0x22, 0x33, 0x44, 0x00, 0x03 };
	struct fz f;

	fz_init(&f, data, size);
	now = 1000;
	sends = 0;
	mgmt_init(&M, 0, &ops, NULL);
	mgmt_start(&M, now);
	mgmt_send(&M, now, AD_TYPE_PB_ADV, pdu, sizeof(pdu));
	while (fz_more(&f)) {
		uint8_t action = fz_u8(&f) % 8;
		uint8_t *b;
		size_t len;

		if (action < 6) {
			b = fz_take(&f, fz_be16(&f) % 400, &len);
			if (!b)
				break;
			mgmt_receive(&M, now, b, len);
			free(b);
		} else if (action == 6) {
			now += 10u * fz_u8(&f);
			if (mgmt_next_deadline(&M) <= now) {
				mgmt_tick(&M, now);
				if (mgmt_next_deadline(&M) <= now)
					abort(); /* a deadline that stays due */
			}
		} else if (sends++ == 1) {
			mgmt_stop(&M, now);
		} else {
			b = fz_record(&f, 32, &len);
			if (!b)
				break;
			fuzz_sink += (unsigned)mgmt_send(&M, now, AD_TYPE_MESH_MESSAGE, b, len);
			free(b);
		}
	}
	/* the deadlines left run out; each tick must move the next one on (a
	 * deadline that stays due would spin the radio's event loop) */
	for (unsigned i = 0; i < 64 && mgmt_next_deadline(&M) <= now + 60000; i++) {
		uint64_t d = mgmt_next_deadline(&M);

		now = d > now ? d : now;
		mgmt_tick(&M, now);
		if (mgmt_next_deadline(&M) <= now)
			abort();
	}
	mgmt_stop(&M, now);
	return 0;
}
