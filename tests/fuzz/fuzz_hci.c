/* The receive path from the controller: an H4 byte stream (as from a UART or
 * a Unix socket) through h4 framing, the HCI core (controller set-up,
 * command completions, advertising reports) and the ADV bearer, into the
 * decoders of what arrives: Unprovisioned Device Beacons (beacon.c),
 * AliGenie UUIDs (aligenie.c), the device table (devtable.c), Secure
 * Network Beacons (net.c) and PB-ADV LinkIDs.
 *
 * Input: one octet (the read size: 1 + octet % 32), then the stream, fed in
 * reads of that size with 50 ms of the clock between them. The core has
 * started the controller set-up, scanning and one transmission, so command
 * completions in the stream find commands to complete. */
#include <stdio.h>
#include <string.h>

#include <json.h>

#include "adv.h"
#include "aligenie.h"
#include "beacon.h"
#include "devtable.h"
#include "fuzz.h"
#include "h4.h"
#include "hci.h"
#include "log.h"
#include "net.h"
#include "pb_adv.h"
#include "util.h"

/* §8.2 sample NetKey (shared/vectors/mesh-network.md §2): the §4 beacons authenticate */
static const uint8_t sample_net_key[16] = { 0x7d, 0xd7, 0x36, 0x4c, 0xd8, 0x42, 0xad, 0x18,
					    0xc1, 0x7c, 0x2b, 0x82, 0x0c, 0x84, 0xc3, 0xd6 };

struct ctx {
	struct h4_parser h4;
	struct hci hci;
	struct adv adv;
	struct hci_setup setup;
	struct devtable table;
	struct net_keys keys;
	uint64_t now;
	unsigned long sink; /* so that nothing decoded is optimized away */
};

static struct ctx X;

static void on_send(void *ctx, const uint8_t *pkt, size_t len)
{
	struct ctx *x = ctx;

	x->sink += len + (len ? pkt[0] : 0);
}

static void on_report(void *ctx, const struct hci_adv_report *r)
{
	struct ctx *x = ctx;

	adv_input(&x->adv, r);
}

static const struct hci_ops hci_ops = { on_send, on_report };

static void beacon_rx(struct ctx *x, const uint8_t *data, size_t len, const struct hci_adv_report *r)
{
	struct unprov_beacon b;
	struct aligenie_info ali;
	struct dev_entry *e;
	const struct net_keys *key;
	uint8_t flags;
	uint32_t iv;
	char text[160];
	bool is_new;

	if (net_beacon_parse(&x->keys, 1, data, len, &key, &flags, &iv) == 0)
		x->sink += iv + flags;
	if (beacon_parse_unprov(data, len, &b) < 0)
		return;
	beacon_oob_str(b.oob, text, sizeof(text));
	x->sink += strlen(text);
	if (aligenie_decode(b.uuid, &ali)) {
		aligenie_flags_str(&ali, text, sizeof(text));
		x->sink += strlen(text) + strlen(aligenie_ble_version_str(ali.ble_version));
	}
	e = devtable_update(&x->table, &b, r, x->now, &is_new);
	if (e) {
		struct json_object *o = dev_entry_json_live(e, x->now);
		struct dev_entry back;

		/* what `meshprov scan --follow` sends and its client reads back */
		if (o && dev_entry_from_json(o, x->now, &back) == 0)
			x->sink += back.beacons;
		json_object_put(o);
	}
}

static void on_rx(void *ctx, uint8_t ad_type, const uint8_t *data, size_t len, const struct hci_adv_report *r)
{
	struct ctx *x = ctx;
	uint32_t link_id;

	if (ad_type == AD_TYPE_MESH_BEACON)
		beacon_rx(x, data, len, r);
	else if (ad_type == AD_TYPE_PB_ADV && pb_adv_peek_link_id(data, len, &link_id))
		x->sink += link_id;
}

static void on_error(void *ctx, uint16_t opcode, int status)
{
	struct ctx *x = ctx;

	x->sink += opcode + (unsigned)status;
}

static const struct adv_ops adv_ops = { on_rx, on_error };

static void on_setup(void *ctx, int status, uint16_t failed_opcode)
{
	struct ctx *x = ctx;

	x->sink += (unsigned)status + failed_opcode;
}

static void on_packet(void *ctx, const uint8_t *pkt, size_t len)
{
	struct ctx *x = ctx;

	hci_receive(&x->hci, x->now, pkt, len);
}

/* Each core's deadlines that came due; a deadline a tick leaves due would
 * spin the radio's event loop: abort. */
static void tick(struct ctx *x)
{
	if (hci_next_deadline(&x->hci) <= x->now) {
		hci_tick(&x->hci, x->now);
		if (hci_next_deadline(&x->hci) <= x->now)
			abort();
	}
	if (adv_next_deadline(&x->adv) <= x->now) {
		adv_tick(&x->adv, x->now);
		if (adv_next_deadline(&x->adv) <= x->now)
			abort();
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_set_level(LOG_LVL_ERROR);
	return net_keys_derive(sample_net_key, 0, &X.keys) == 0 ? 0 : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t pdu[] = { 0x00, 0x11, 0x22 };
	struct ctx *x = &X;
	struct fz f;
	size_t chunk;

	fz_init(&f, data, size);
	chunk = 1 + fz_u8(&f) % 32;
	h4_reset(&x->h4);
	x->now = 1000;
	hci_init(&x->hci, &hci_ops, x);
	adv_init(&x->adv, &x->hci, &adv_ops, x);
	if (devtable_init(&x->table, 4) < 0)
		return 0;
	hci_setup_start(&x->setup, &x->hci, x->now, false, on_setup, x);
	adv_scan(&x->adv, x->now, true, NULL, NULL);
	adv_send(&x->adv, x->now, AD_TYPE_MESH_MESSAGE, pdu, sizeof(pdu));

	while (fz_more(&f)) {
		size_t len;
		uint8_t *b = fz_take(&f, chunk, &len);
		int rc;

		if (!b)
			break;
		rc = h4_feed(&x->h4, b, len, on_packet, x);
		free(b);
		if (rc < 0)
			break; /* framing lost: the edge drops the connection */
		x->now += 50;
		tick(x);
	}
	x->now += 10000;
	tick(x);
	devtable_free(&x->table);
	return 0;
}
