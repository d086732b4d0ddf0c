/* Simulated unprovisioned devices: an Unprovisioned Device Beacon every
 * beacon interval through the radio stack, scanning for what comes back. */
#include "simdev.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "adv.h"
#include "util.h"

/* Decimal, or hex after 0x; no sign, no octal, nothing after. */
static int parse_num(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;
	int base = 10;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!*s || !((*s >= '0' && *s <= '9') || (base == 16 && strchr("abcdefABCDEF", *s))))
		return -1;
	errno = 0;
	v = strtoul(s, &end, base);
	if (errno || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

/* Split s at commas into at most max fields (in place). */
static int split(char *s, char **fields, int max)
{
	int n = 0;

	for (;;) {
		char *comma = strchr(s, ',');

		if (n == max)
			return -1;
		fields[n++] = s;
		if (!comma)
			return n;
		*comma = '\0';
		s = comma + 1;
	}
}

static int parse_aligenie(struct simdev *d, char **f, int n, char *err, size_t errlen)
{
	unsigned long pid;
	bool silent = false, random_auth = false, v0 = false;

	if (n < 3) {
		snprintf(err, errlen, "device aligenie:%s: want aligenie:PID,MAC,SECRET", f[0]);
		return -1;
	}
	if (parse_num(f[0], 0xffffffffu, &pid) < 0) {
		snprintf(err, errlen, "device aligenie: bad product id '%s'", f[0]);
		return -1;
	}
	if (hex_decode(f[1], d->ali.mac, 6) < 0) {
		snprintf(err, errlen, "device aligenie: bad MAC '%s' (want 78:da:07:c1:1c:a8)", f[1]);
		return -1;
	}
	if (strlen(f[2]) != 32 || hex_decode(f[2], d->secret, 16) < 0) {
		snprintf(err, errlen, "device aligenie: the secret must be 32 hex digits");
		return -1;
	}
	for (int i = 3; i < n; i++) {
		if (!strcmp(f[i], "silent"))
			silent = true;
		else if (!strcmp(f[i], "random-auth"))
			random_auth = true;
		else if (!strcmp(f[i], "v0"))
			v0 = true;
		else {
			snprintf(err, errlen, "device aligenie: unknown option '%s'", f[i]);
			return -1;
		}
	}
	d->kind = SIMDEV_ALIGENIE;
	d->ali.product_id = (uint32_t)pid;
	d->ali.pid_flags = 0x71; /* adv v1, secret per device, OTA, BLE 4.2 */
	d->ali.feature_flag = (uint8_t)((v0 ? 0 : 1) << 1 | (silent ? 1 : 0));
	d->ali.flags2 = (uint8_t)(0x10 | (random_auth ? 0x02 : 0));
	aligenie_encode(&d->ali, d->beacon.uuid);
	aligenie_decode(d->beacon.uuid, &d->ali); /* fill in the derived fields */
	d->beacon.oob = 0;
	d->has_bdaddr = true;
	for (int i = 0; i < 6; i++)
		d->bdaddr[i] = d->ali.mac[5 - i];
	return 0;
}

static int parse_uuid(struct simdev *d, char **f, int n, char *err, size_t errlen)
{
	if (hex_decode(f[0], d->beacon.uuid, 16) < 0) {
		snprintf(err, errlen, "device uuid: '%s' is not 16 octets of hex", f[0]);
		return -1;
	}
	for (int i = 1; i < n; i++) {
		unsigned long v;
		uint8_t h[4];

		if (!strncmp(f[i], "oob=", 4)) {
			if (parse_num(f[i] + 4, 0xffff, &v) < 0) {
				snprintf(err, errlen, "device uuid: bad OOB information '%s'", f[i] + 4);
				return -1;
			}
			d->beacon.oob = (uint16_t)v;
		} else if (!strncmp(f[i], "uri=", 4)) {
			if (strlen(f[i] + 4) != 8 || hex_decode(f[i] + 4, h, 4) < 0) {
				snprintf(err, errlen, "device uuid: the URI hash must be 8 hex digits");
				return -1;
			}
			d->beacon.has_uri_hash = true;
			d->beacon.uri_hash = get_be32(h);
		} else {
			snprintf(err, errlen, "device uuid: unknown option '%s'", f[i]);
			return -1;
		}
	}
	d->kind = SIMDEV_UUID;
	return 0;
}

int simdev_parse(struct simdev *d, const char *spec, char *err, size_t errlen)
{
	char buf[sizeof(d->spec)];
	char *f[8];
	int n;

	memset(d, 0, sizeof(*d));
	d->fd = -1;
	if (strlen(spec) >= sizeof(buf)) {
		snprintf(err, errlen, "device spec too long");
		return -1;
	}
	snprintf(d->spec, sizeof(d->spec), "%s", spec);
	snprintf(buf, sizeof(buf), "%s", spec);
	if (!strncmp(buf, "aligenie:", 9)) {
		n = split(buf + 9, f, (int)ARRAY_SIZE(f));
		if (n < 0) {
			snprintf(err, errlen, "device %s: too many fields", spec);
			return -1;
		}
		return parse_aligenie(d, f, n, err, errlen);
	}
	if (!strncmp(buf, "uuid:", 5)) {
		n = split(buf + 5, f, (int)ARRAY_SIZE(f));
		if (n < 0) {
			snprintf(err, errlen, "device %s: too many fields", spec);
			return -1;
		}
		return parse_uuid(d, f, n, err, errlen);
	}
	snprintf(err, errlen, "device '%s': want aligenie:PID,MAC,SECRET or uuid:HEX32", spec);
	return -1;
}

void simdev_describe(const struct simdev *d, char *out, size_t outlen)
{
	char uuid[33];

	hex_encode(d->beacon.uuid, 16, uuid);
	if (d->kind == SIMDEV_ALIGENIE) {
		char mac[18];

		aligenie_mac_str(d->ali.mac, mac);
		snprintf(out, outlen, "aligenie %u %s (uuid %s)", (unsigned)d->ali.product_id, mac,
			 uuid);
	} else {
		snprintf(out, outlen, "uuid %s", uuid);
	}
}

static void send_beacon(struct simdev *d)
{
	uint8_t pdu[23];
	size_t len;

	if (d->dead || d->stopping)
		return;
	/* one beacon on the air at a time: skip when the last is still queued */
	if (d->radio.adv.qlen > 0)
		return;
	len = beacon_build_unprov(&d->beacon, pdu);
	if (radio_send(&d->radio, AD_TYPE_MESH_BEACON, pdu, len) == 0)
		d->beacons_sent++;
}

static void on_beacon_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	send_beacon(w->data);
}

static void on_ready(void *ctx)
{
	struct simdev *d = ctx;

	d->ready = true;
	send_beacon(d);
	ev_timer_set(&d->beacon_timer, d->beacon_interval_ms / 1000.0,
		     d->beacon_interval_ms / 1000.0);
	ev_timer_start(d->loop, &d->beacon_timer);
	if (d->ops->ready)
		d->ops->ready(d->ctx, d);
}

static void on_rx(void *ctx, uint8_t ad_type, const uint8_t *data, size_t len,
		  const struct hci_adv_report *r)
{
	struct simdev *d = ctx;

	/* PB-ADV (0x29) for this device arrives here once provisioning exists */
	(void)ad_type;
	(void)data;
	(void)len;
	(void)r;
	d->rx_pdus++;
}

static void on_stopped(void *ctx);

static void on_fatal(void *ctx, const char *msg)
{
	struct simdev *d = ctx;

	d->dead = true;
	ev_timer_stop(d->loop, &d->beacon_timer);
	if (d->stopping) {
		/* lost while stopping: the radio will not report stopped */
		on_stopped(d);
		return;
	}
	if (d->ops->fatal)
		d->ops->fatal(d->ctx, d, msg);
}

static void on_stopped(void *ctx)
{
	struct simdev *d = ctx;

	if (d->stopped)
		return;
	simdev_close(d);
	d->stopped = true;
	if (d->ops->stopped)
		d->ops->stopped(d->ctx, d);
}

static const struct radio_ops simdev_radio_ops = {
	.ready = on_ready,
	.rx = on_rx,
	.fatal = on_fatal,
	.stopped = on_stopped,
};

int simdev_start(struct simdev *d, struct ev_loop *loop, const char *transport, int owned_fd,
		 unsigned beacon_interval_ms, const struct simdev_ops *ops, void *ctx, char *err,
		 size_t errlen)
{
	d->loop = loop;
	d->ops = ops;
	d->ctx = ctx;
	d->fd = owned_fd;
	d->beacon_interval_ms = beacon_interval_ms ? beacon_interval_ms : 100;
	ev_init(&d->beacon_timer, on_beacon_timer);
	d->beacon_timer.data = d;
	if (radio_open(&d->radio, loop, transport, &simdev_radio_ops, d, err, errlen) < 0) {
		if (d->fd >= 0)
			close(d->fd);
		d->fd = -1;
		d->dead = true;
		return -1;
	}
	d->open = true;
	radio_start(&d->radio);
	return 0;
}

void simdev_stop(struct simdev *d)
{
	if (d->stopping || d->stopped)
		return;
	d->stopping = true;
	ev_timer_stop(d->loop, &d->beacon_timer);
	if (!d->open) {
		on_stopped(d);
		return;
	}
	radio_stop(&d->radio);
}

void simdev_close(struct simdev *d)
{
	if (d->loop)
		ev_timer_stop(d->loop, &d->beacon_timer);
	if (d->open) {
		radio_close(&d->radio);
		d->open = false;
	}
	if (d->fd >= 0) {
		close(d->fd);
		d->fd = -1;
	}
}
