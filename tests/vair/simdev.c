/* Simulated unprovisioned devices: an Unprovisioned Device Beacon every
 * beacon interval through the radio stack, and the device side of
 * provisioning (PB-ADV link and protocol) on what comes back. */
#include "simdev.h"

#include <errno.h>
#include <json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "adv.h"
#include "crypto.h"
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

/* elements=N: 1..SIMDEV_MAX_ELEMENTS */
/* fail-at=STEP:CODE and close-at=STEP:REASON (opt names which): the
 * provisioner's PDU type for STEP and the value. */
static int parse_misbehave(const char *v, const char *opt, unsigned long min, uint8_t *type,
			   uint8_t *val, const char *what, char *err, size_t errlen)
{
	static const struct {
		const char *name;
		uint8_t type;
	} steps[] = {
		{ "invite", PROV_INVITE },	   { "start", PROV_START },
		{ "public-key", PROV_PUBLIC_KEY }, { "confirmation", PROV_CONFIRMATION },
		{ "random", PROV_RANDOM },	   { "data", PROV_DATA },
	};
	const char *colon = strchr(v, ':');
	unsigned long n;

	for (size_t i = 0; colon && i < ARRAY_SIZE(steps); i++) {
		if (strlen(steps[i].name) != (size_t)(colon - v) ||
		    strncmp(v, steps[i].name, (size_t)(colon - v)))
			continue;
		if (parse_num(colon + 1, 0xff, &n) < 0 || n < min)
			break;
		*type = steps[i].type;
		*val = (uint8_t)n;
		return 0;
	}
	snprintf(err, errlen,
		 "device %s: bad %s= '%s' (STEP:%s, STEP invite, start, public-key, confirmation, "
		 "random or data)",
		 what, opt, v, min ? "CODE 1-255" : "REASON 0-255");
	return -1;
}

static int parse_complete_delay(struct simdev *d, const char *v, const char *what, char *err,
				size_t errlen);

/* The options both kinds take: 1 when opt was one of them, 0 when not, -1
 * on an error. */

static int parse_common(struct simdev *d, const char *opt, const char *what, char *err,
			size_t errlen)
{
	if (!strncmp(opt, "complete-delay=", 15))
		return parse_complete_delay(d, opt + 15, what, err, errlen) < 0 ? -1 : 1;
	if (!strncmp(opt, "fail-at=", 8)) {
		d->fail_at_set = true;
		return parse_misbehave(opt + 8, "fail-at", 1, &d->fail_at_type, &d->fail_code, what,
				       err, errlen) < 0 ? -1 : 1;
	}
	if (!strncmp(opt, "features=", 9)) {
		unsigned long v;

		/* Composition Data Features: relay 1, proxy 2, friend 4, LPN 8 */
		if (parse_num(opt + 9, 0x000f, &v) < 0) {
			snprintf(err, errlen, "device %s: bad features= '%s' (0-0xf: relay 1, proxy 2, friend 4, low power 8)",
				 what, opt + 9);
			return -1;
		}
		d->features = (uint16_t)v;
		return 1;
	}
	if (!strncmp(opt, "close-at=", 9)) {
		d->close_at_set = true;
		return parse_misbehave(opt + 9, "close-at", 0, &d->close_at_type,
				       &d->close_at_reason, what, err, errlen) < 0 ? -1 : 1;
	}
	return 0;
}

/* deaf=MS: after its first provisioning the node ignores every Network PDU
 * for MS milliseconds (not scaled), as if out of range. */
static int parse_deaf(struct simdev *d, const char *v, const char *what, char *err, size_t errlen)
{
	unsigned long ms;

	if (parse_num(v, 600000, &ms) < 0 || ms == 0) {
		snprintf(err, errlen, "device %s: bad deaf= '%s' (1-600000 ms)", what, v);
		return -1;
	}
	d->deaf_ms = (uint32_t)ms;
	return 0;
}

/* complete-delay=MS: Provisioning Complete goes out MS ms after the
 * Provisioning Data was accepted (a device writing its flash first). */
static int parse_complete_delay(struct simdev *d, const char *v, const char *what, char *err,
				size_t errlen)
{
	unsigned long ms;

	if (parse_num(v, 60000, &ms) < 0 || ms == 0) {
		snprintf(err, errlen, "device %s: bad complete-delay= '%s' (1-60000 ms)", what, v);
		return -1;
	}
	d->complete_delay_ms = (uint32_t)ms;
	return 0;
}

static int parse_elements(const char *v, uint8_t *out, const char *what, char *err, size_t errlen)
{
	unsigned long e;

	if (parse_num(v, SIMDEV_MAX_ELEMENTS, &e) < 0 || e == 0) {
		snprintf(err, errlen, "device %s: elements must be 1-%d, not '%s'", what,
			 SIMDEV_MAX_ELEMENTS, v);
		return -1;
	}
	*out = (uint8_t)e;
	return 0;
}

/* comp=light or comp=plain */
static int parse_comp(const char *v, enum simdev_comp *out, const char *what, char *err, size_t errlen)
{
	if (!strcmp(v, "light"))
		*out = SIMDEV_COMP_LIGHT;
	else if (!strcmp(v, "plain"))
		*out = SIMDEV_COMP_PLAIN;
	else {
		snprintf(err, errlen, "device %s: comp must be light or plain, not '%s'", what, v);
		return -1;
	}
	return 0;
}

static void send_nothing(void *ctx, const uint8_t *pdu, size_t len)
{
	(void)ctx;
	(void)pdu;
	(void)len;
}

static void complete_nothing(void *ctx, const struct prov_device_result *r)
{
	(void)ctx;
	(void)r;
}

static void failed_nothing(void *ctx, uint8_t error, bool timeout, const char *msg)
{
	(void)ctx;
	(void)error;
	(void)timeout;
	(void)msg;
}

/* Would prov_device take these parameters? */
static int check_params(const struct simdev *d, char *err, size_t errlen)
{
	static const struct prov_device_ops ops = {
		.send = send_nothing,
		.complete = complete_nothing,
		.failed = failed_nothing,
	};
	struct prov_device pd;
	int rc = prov_device_init(&pd, &d->prov_params, &ops, NULL);

	prov_device_free(&pd);
	if (rc < 0) {
		snprintf(err, errlen, "device %s: inconsistent provisioning capabilities", d->spec);
		return -1;
	}
	return 0;
}

static int parse_aligenie(struct simdev *d, char **f, int n, char *err, size_t errlen)
{
	unsigned long pid;
	bool silent = false, random_auth = false, v0 = false;
	int rc;
	uint8_t elements = 1;

	d->comp_kind = SIMDEV_COMP_LIGHT;

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
		else if (!strncmp(f[i], "elements=", 9)) {
			if (parse_elements(f[i] + 9, &elements, "aligenie", err, errlen) < 0)
				return -1;
		} else if (!strncmp(f[i], "comp=", 5)) {
			if (parse_comp(f[i] + 5, &d->comp_kind, "aligenie", err, errlen) < 0)
				return -1;
		} else if (!strncmp(f[i], "deaf=", 5)) {
			if (parse_deaf(d, f[i] + 5, "aligenie", err, errlen) < 0)
				return -1;
		} else if ((rc = parse_common(d, f[i], "aligenie", err, errlen)) != 0) {
			if (rc < 0)
				return -1;
		} else {
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

	d->prov_params.caps.elements = elements;
	d->prov_params.caps.algorithms = 1u << PROV_ALG_CMAC;
	d->prov_params.caps.static_oob = 0x01;
	d->prov_params.static_oob.kind = PROV_USE_ALIGENIE;
	d->prov_params.static_oob.product_id = d->ali.product_id;
	memcpy(d->prov_params.static_oob.mac, d->ali.mac, 6);
	memcpy(d->prov_params.static_oob.secret, d->secret, sizeof(d->secret));
	d->prov_params.static_oob.secret_len = sizeof(d->secret);
	d->prov_params.static_oob.random_bound = random_auth;
	return check_params(d, err, errlen);
}

/* output=numeric:VALUE or output=alpha:VALUE */
static int parse_output(struct simdev *d, const char *v, char *err, size_t errlen)
{
	struct prov_caps *c = &d->prov_params.caps;
	const char *value;
	bool alpha;
	size_t len;

	if (!strncmp(v, "numeric:", 8)) {
		alpha = false;
		value = v + 8;
	} else if (!strncmp(v, "alpha:", 6)) {
		alpha = true;
		value = v + 6;
	} else {
		snprintf(err, errlen, "device uuid: want output=numeric:VALUE or output=alpha:VALUE");
		return -1;
	}
	len = strlen(value);
	if (len < 1 || len > 8) {
		snprintf(err, errlen, "device uuid: the output value must have 1-8 characters");
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		bool digit = value[i] >= '0' && value[i] <= '9';

		if (!digit && !(alpha && value[i] >= 'A' && value[i] <= 'Z')) {
			snprintf(err, errlen, "device uuid: output value '%s': %s", value,
				 alpha ? "only 0-9 and A-Z" : "only digits");
			return -1;
		}
	}
	c->output_actions = (uint16_t)(1u << (alpha ? PROV_OUT_ALPHA : PROV_OUT_NUMERIC));
	c->output_size = (uint8_t)len;
	memcpy(d->prov_params.output_value, value, len + 1);
	return 0;
}

static int parse_uuid(struct simdev *d, char **f, int n, char *err, size_t errlen)
{
	struct prov_device_params *pp = &d->prov_params;
	bool no_oob = false;
	int rc;

	if (hex_decode(f[0], d->beacon.uuid, 16) < 0) {
		snprintf(err, errlen, "device uuid: '%s' is not 16 octets of hex", f[0]);
		return -1;
	}
	pp->caps.elements = 1;
	pp->caps.algorithms = 1u << PROV_ALG_CMAC;
	pp->static_oob.kind = PROV_USE_NO_OOB;
	d->comp_kind = SIMDEV_COMP_PLAIN;
	for (int i = 1; i < n; i++) {
		unsigned long v;
		uint8_t h[4];

		if (!strcmp(f[i], "no-oob")) {
			no_oob = true;
		} else if (!strncmp(f[i], "static=", 7)) {
			int len = hex_decode_var(f[i] + 7, pp->static_oob.static_value,
						 sizeof(pp->static_oob.static_value));

			if (len != 16 && len != 32) {
				snprintf(err, errlen, "device uuid: static= needs 16 or 32 octets of hex");
				return -1;
			}
			pp->static_oob.kind = PROV_USE_STATIC;
			pp->static_oob.static_len = (uint8_t)len;
			pp->caps.static_oob = 0x01;
		} else if (!strncmp(f[i], "algs=", 5)) {
			if (parse_num(f[i] + 5, 0xffff, &v) < 0 || v == 0) {
				snprintf(err, errlen, "device uuid: bad algorithms bitmask '%s'", f[i] + 5);
				return -1;
			}
			pp->caps.algorithms = (uint16_t)v;
		} else if (!strncmp(f[i], "output=", 7)) {
			if (parse_output(d, f[i] + 7, err, errlen) < 0)
				return -1;
		} else if (!strncmp(f[i], "elements=", 9)) {
			if (parse_elements(f[i] + 9, &pp->caps.elements, "uuid", err, errlen) < 0)
				return -1;
		} else if (!strncmp(f[i], "comp=", 5)) {
			if (parse_comp(f[i] + 5, &d->comp_kind, "uuid", err, errlen) < 0)
				return -1;
		} else if (!strncmp(f[i], "deaf=", 5)) {
			if (parse_deaf(d, f[i] + 5, "uuid", err, errlen) < 0)
				return -1;
		} else if ((rc = parse_common(d, f[i], "uuid", err, errlen)) != 0) {
			if (rc < 0)
				return -1;
		} else if (!strcmp(f[i], "pubkey-oob")) {
			d->pubkey_oob = true;
			pp->caps.pubkey_type = 0x01;
		} else if (!strncmp(f[i], "oob=", 4)) {
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
	if (no_oob && pp->static_oob.kind != PROV_USE_NO_OOB) {
		snprintf(err, errlen, "device uuid: no-oob and static= contradict each other");
		return -1;
	}
	d->kind = SIMDEV_UUID;
	return check_params(d, err, errlen);
}

/* The node's Composition Data page 0, from the parsed spec. */
static void make_comp(struct simdev *d)
{
	uint16_t cid = SIMDEV_PLAIN_CID, pid = SIMDEV_PLAIN_PID, vendor = 0xffff;
	uint8_t elements = d->prov_params.caps.elements;

	if (d->kind == SIMDEV_ALIGENIE) {
		cid = vendor = ALIGENIE_CID;
		pid = (uint16_t)(d->ali.product_id & 0xffff);
	}
	if (d->comp_kind == SIMDEV_COMP_LIGHT)
		cfgsrv_comp_light(&d->comp, cid, pid, vendor, elements);
	else
		cfgsrv_comp_plain(&d->comp, cid, pid, vendor, elements);
	d->comp.features = d->features;
}

int simdev_parse(struct simdev *d, const char *spec, char *err, size_t errlen)
{
	char buf[sizeof(d->spec)];
	char *f[16];
	int n, rc;

	memset(d, 0, sizeof(*d));
	d->fd = -1;
	d->report_fd = -1;
	d->time_scale = 1.0;
	d->complete_at = NO_DEADLINE;
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
		rc = parse_aligenie(d, f, n, err, errlen);
		if (rc == 0)
			make_comp(d);
		return rc;
	}
	if (!strncmp(buf, "uuid:", 5)) {
		n = split(buf + 5, f, (int)ARRAY_SIZE(f));
		if (n < 0) {
			snprintf(err, errlen, "device %s: too many fields", spec);
			return -1;
		}
		rc = parse_uuid(d, f, n, err, errlen);
		if (rc == 0)
			make_comp(d);
		return rc;
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

/* ---- the report ---- */

/* A new report object with "event" and "uuid". */
static struct json_object *report_new(const struct simdev *d, const char *event)
{
	struct json_object *o;
	char uuid[33];

	if (d->report_fd < 0)
		return NULL;
	o = json_object_new_object();
	if (!o)
		return NULL;
	hex_encode(d->beacon.uuid, 16, uuid);
	json_object_object_add(o, "event", json_object_new_string(event));
	json_object_object_add(o, "uuid", json_object_new_string(uuid));
	return o;
}

static void report_add_hex(struct json_object *o, const char *key, const uint8_t *v, size_t len)
{
	char hex[129];

	if (len > 64)
		return;
	hex_encode(v, len, hex);
	json_object_object_add(o, key, json_object_new_string(hex));
	OPENSSL_cleanse(hex, sizeof(hex));
}

static void report_add_int(struct json_object *o, const char *key, int64_t v)
{
	json_object_object_add(o, key, json_object_new_int64(v));
}

/* Write the line with one write() (lines of several devices do not mix), free o. */
static void report_put(struct simdev *d, struct json_object *o)
{
	const char *text;
	char *line;
	size_t len;

	if (!o)
		return;
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	len = strlen(text);
	line = malloc(len + 2);
	if (line) {
		memcpy(line, text, len);
		line[len] = '\n';
		line[len + 1] = '\0';
		if (write(d->report_fd, line, len + 1) != (ssize_t)(len + 1))
			fprintf(stderr, "vair: cannot write the report: %s\n", strerror(errno));
		OPENSSL_cleanse(line, len + 1);
		free(line);
	}
	json_object_put(o);
}

/* the node (below) */
static void node_begin(struct simdev *d, const struct prov_device_result *r);
static uint64_t node_next_deadline(const struct simdev *d);
static void node_tick(struct simdev *d, uint64_t now);
static void node_clear(struct simdev *d);

/* ---- beacons ---- */

static void send_beacon(struct simdev *d)
{
	uint8_t pdu[23];
	uint64_t now;
	size_t len;

	if (d->dead || d->stopping || d->provisioned)
		return;
	/* one beacon on the air at a time: skip when the last is still queued */
	if (txsched_queued(&d->radio.adv.sched) > 0)
		return;
	now = radio_now(&d->radio);
	/* during a link, now and then only: the link's PDUs come first */
	if ((d->link.state == PB_ADV_OPEN || d->link.state == PB_ADV_CLOSING) &&
	    now < d->last_beacon + SIMDEV_LINK_BEACON_MS)
		return;
	len = beacon_build_unprov(&d->beacon, pdu);
	if (radio_send(&d->radio, AD_TYPE_MESH_BEACON, pdu, len) == 0) {
		d->beacons_sent++;
		d->last_beacon = now;
	}
}

static void on_beacon_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	send_beacon(w->data);
}

/* Beacon now and every beacon interval. */
static void beacon_restart(struct simdev *d)
{
	if (!d->ready)
		return; /* on_ready starts it */
	send_beacon(d);
	ev_timer_stop(d->loop, &d->beacon_timer);
	ev_timer_set(&d->beacon_timer, d->beacon_interval_ms / 1000.0, d->beacon_interval_ms / 1000.0);
	ev_timer_start(d->loop, &d->beacon_timer);
}

/* ---- provisioning: the protocol over the link ---- */

/* Hand queued provisioning PDUs to the link while it takes them. */
static void pump(struct simdev *d)
{
	uint64_t now = radio_now(&d->radio);

	while (d->qcount > 0 && pb_adv_is_open(&d->link)) {
		int err = pb_adv_send(&d->link, now, d->q[d->qhead], d->qlen[d->qhead]);

		if (err == -EBUSY)
			return;
		OPENSSL_cleanse(d->q[d->qhead], sizeof(d->q[d->qhead]));
		d->qhead = (d->qhead + 1) % SIMDEV_PDU_QUEUE;
		d->qcount--;
	}
}

static void queue_clear(struct simdev *d)
{
	OPENSSL_cleanse(d->q, sizeof(d->q));
	d->qhead = d->qcount = 0;
	d->complete_at = NO_DEADLINE;
}

static void pd_send(void *ctx, const uint8_t *pdu, size_t len)
{
	struct simdev *d = ctx;
	unsigned slot;

	/* complete-delay: Provisioning Complete waits (dev_tick sends it) */
	if (d->complete_delay_ms && len == 1 && pdu[0] == PROV_COMPLETE &&
	    d->complete_at == NO_DEADLINE) {
		d->complete_at = radio_now(&d->radio) + d->complete_delay_ms;
		return;
	}
	if (d->qcount == SIMDEV_PDU_QUEUE || len > PROV_MAX_PDU) {
		fprintf(stderr, "vair: device %s: provisioning queue full: a PDU was dropped\n",
			d->spec);
		return;
	}
	slot = (d->qhead + d->qcount) % SIMDEV_PDU_QUEUE;
	memcpy(d->q[slot], pdu, len);
	d->qlen[slot] = len;
	d->qcount++;
	pump(d);
}

static void pd_output(void *ctx, uint8_t action, const char *value)
{
	struct simdev *d = ctx;
	struct json_object *o = report_new(d, "output");

	if (o) {
		report_add_int(o, "action", action);
		json_object_object_add(o, "value", json_object_new_string(value));
		report_put(d, o);
	}
}

static void pd_complete(void *ctx, const struct prov_device_result *r)
{
	struct simdev *d = ctx;
	struct json_object *o = report_new(d, "provisioned");

	d->provisioned = true;
	d->provisions++;
	if (d->deaf_ms && d->provisions == 1)
		d->deaf_until = radio_now(&d->radio) + d->deaf_ms;
	ev_timer_stop(d->loop, &d->beacon_timer);
	if (o) {
		report_add_hex(o, "net_key", r->net_key, 16);
		report_add_int(o, "net_key_index", r->net_key_index);
		report_add_int(o, "flags", r->flags);
		report_add_int(o, "iv_index", r->iv_index);
		report_add_int(o, "unicast", r->unicast);
		report_add_int(o, "elements", d->prov_params.caps.elements);
		report_add_hex(o, "device_key", r->device_key, 16);
		json_object_object_add(o, "algorithm", json_object_new_string(prov_algorithm_name(r->algorithm)));
		json_object_object_add(o, "auth", json_object_new_string(prov_auth_name(r->auth)));
		report_put(d, o);
	}
	node_begin(d, r);
}

static void pd_failed(void *ctx, uint8_t error, bool timeout, const char *msg)
{
	struct simdev *d = ctx;
	struct json_object *o = report_new(d, "failed");

	d->failures++;
	if (d->forced_failure) /* fail-at: the code it sent */
		error = d->fail_code;
	d->forced_failure = false;
	if (o) {
		report_add_int(o, "error", error);
		json_object_object_add(o, "message", json_object_new_string(msg));
		report_put(d, o);
	}
	/* the provisioner closes the link (it may want our Failed first); if it
	 * does not, we do after a while. Our own timeout: close now. */
	if (timeout) {
		d->close_pending = true;
		d->close_reason = PB_ADV_CLOSE_TIMEOUT;
	} else {
		d->linger_until = radio_now(&d->radio) + SIMDEV_FAIL_LINGER_MS;
	}
}

static const struct prov_device_ops simdev_prov_ops = {
	.send = pd_send,
	.output = pd_output,
	.complete = pd_complete,
	.failed = pd_failed,
};

/* Close the link ourselves if asked to from inside a callback. */
static void run_pending_close(struct simdev *d)
{
	if (!d->close_pending)
		return;
	d->close_pending = false;
	pb_adv_close(&d->link, radio_now(&d->radio), d->close_reason);
}

/* ---- provisioning: the link ---- */

static int link_send(void *ctx, const uint8_t *payload, size_t len, unsigned flags,
		     uint32_t cookie)
{
	struct simdev *d = ctx;
	int err;

	(void)flags;
	(void)cookie;
	/* a lost one is repeated by PB-ADV */
	err = radio_send(&d->radio, AD_TYPE_PB_ADV, payload, len);
	if (err < 0 && !d->dead)
		fprintf(stderr, "vair: device %s: transmit queue full: a PB-ADV payload was dropped\n",
			d->spec);
	return err;
}

static void link_opened(void *ctx)
{
	struct simdev *d = ctx;
	struct json_object *o = report_new(d, "link_open");
	uint64_t now = radio_now(&d->radio);

	d->links++;
	if (o) {
		report_add_int(o, "link_id", d->link.link_id);
		report_put(d, o);
	}
	queue_clear(d);
	d->linger_until = NO_DEADLINE;
	d->close_pending = false;
	if (prov_device_init(&d->prov, &d->prov_params, &simdev_prov_ops, d) < 0) {
		/* checked by simdev_parse: cannot happen */
		pb_adv_close(&d->link, now, PB_ADV_CLOSE_FAIL);
		return;
	}
	d->prov_active = true;
	if (d->pubkey_oob && crypto_ecdh_from_private(d->oob_priv, &d->prov.key) != 0) {
		prov_device_cancel(&d->prov, "cannot load our OOB key pair");
		pb_adv_close(&d->link, now, PB_ADV_CLOSE_FAIL);
		return;
	}
	prov_device_start(&d->prov, now);
}

/* fail-at= and close-at=: true when this PDU from the provisioner is the
 * one to misbehave at (the protocol then ends here). */
static bool misbehave(struct simdev *d, const uint8_t *pdu, size_t len)
{
	uint8_t failed[2] = { PROV_FAILED, d->fail_code };

	if (len < 1 || prov_device_done(&d->prov))
		return false;
	if (d->fail_at_set && pdu[0] == d->fail_at_type) {
		pd_send(d, failed, sizeof(failed));
		d->forced_failure = true;
		prov_device_cancel(&d->prov, "fail-at: answered with Provisioning Failed");
		return true;
	}
	if (d->close_at_set && pdu[0] == d->close_at_type) {
		prov_device_cancel(&d->prov, "close-at: closing the link");
		d->close_pending = true;
		d->close_reason = d->close_at_reason;
		return true;
	}
	return false;
}

static void link_receive(void *ctx, const uint8_t *pdu, size_t len)
{
	struct simdev *d = ctx;

	if (d->prov_active && !misbehave(d, pdu, len))
		prov_device_receive(&d->prov, radio_now(&d->radio), pdu, len);
	pump(d);
}

static void link_acked(void *ctx)
{
	pump(ctx);
}

static void link_closed(void *ctx, uint8_t reason, bool by_peer)
{
	struct simdev *d = ctx;
	struct json_object *o;

	if (d->prov_active && !prov_device_done(&d->prov))
		prov_device_cancel(&d->prov, by_peer ? "the provisioner closed the link"
						     : "link closed (timeout)");
	o = report_new(d, "link_closed");
	if (o) {
		report_add_int(o, "reason", reason);
		json_object_object_add(o, "by_peer", json_object_new_boolean(by_peer));
		report_put(d, o);
	}
	if (d->prov_active)
		prov_device_free(&d->prov);
	d->prov_active = false;
	d->close_pending = false;
	d->linger_until = NO_DEADLINE;
	queue_clear(d);
	/* provisioned: no more links; otherwise a new one may start */
	if (!d->provisioned && !d->stopping && !d->dead)
		pb_adv_listen(&d->link, d->beacon.uuid);
}

static const struct pb_adv_ops simdev_link_ops = {
	.send = link_send,
	.opened = link_opened,
	.receive = link_receive,
	.acked = link_acked,
	.closed = link_closed,
};

static uint64_t dev_next_deadline(void *ctx)
{
	struct simdev *d = ctx;
	uint64_t t = pb_adv_next_deadline(&d->link);

	if (d->prov_active) {
		t = min_deadline(t, prov_device_next_deadline(&d->prov));
		if (d->link.state == PB_ADV_OPEN)
			t = min_deadline(t, d->linger_until);
	}
	t = min_deadline(t, d->complete_at);
	return min_deadline(t, node_next_deadline(d));
}

static void dev_tick(void *ctx, uint64_t now)
{
	struct simdev *d = ctx;

	if (d->stopping || d->dead)
		return;
	pb_adv_tick(&d->link, now);
	if (d->prov_active)
		prov_device_tick(&d->prov, now);
	run_pending_close(d);
	if (now >= d->complete_at) {
		static const uint8_t complete[1] = { PROV_COMPLETE };
		struct json_object *o = report_new(d, "complete_sent");

		report_put(d, o);
		pd_send(d, complete, 1); /* complete_at is set: it is queued now */
		d->complete_at = NO_DEADLINE;
	}
	if (d->prov_active && d->link.state == PB_ADV_OPEN && now >= d->linger_until) {
		d->linger_until = NO_DEADLINE;
		pb_adv_close(&d->link, now, PB_ADV_CLOSE_FAIL);
	}
	pump(d);
	node_tick(d, now);
}

/* ---- the node ---- */

/* A behaviour timer scaled by time_scale (at least 1 ms). */
static uint64_t scaled_ms(const struct simdev *d, unsigned ms)
{
	double scale = d->time_scale > 0 ? d->time_scale : 1.0;
	double v = ms * scale;

	return v < 1.0 ? 1 : (uint64_t)(v + 0.5);
}

static void report_add_model(struct json_object *o, const char *key, struct cfg_model_id m)
{
	char id[9];

	cfg_model_id_str(m, id);
	json_object_object_add(o, key, json_object_new_string(id));
}

static void node_send_adv(void *ctx, const uint8_t *pdu, size_t len)
{
	struct simdev *d = ctx;

	if (radio_send(&d->radio, AD_TYPE_MESH_MESSAGE, pdu, len) < 0 && !d->dead)
		fprintf(stderr, "vair: device %s: transmit queue full: a Network PDU was dropped\n",
			d->spec);
}

/* SEQs from memory: a simulated node does not outlive its process. */
static int node_reserve_seq(void *ctx, uint32_t want, uint32_t *first)
{
	struct simdev *d = ctx;

	if (d->seq_next > MESH_SEQ_MAX)
		return -EOVERFLOW;
	*first = d->seq_next;
	d->seq_next = MESH_SEQ_MAX + 1 - d->seq_next < want ? MESH_SEQ_MAX + 1 : d->seq_next + want;
	return 0;
}

static int node_dev_key(void *ctx, uint16_t addr, uint8_t key[16])
{
	struct simdev *d = ctx;

	if (!d->node || addr != d->mesh.cfg.unicast)
		return -ENOENT;
	memcpy(key, d->dev_key, 16);
	return 0;
}

static void ind_send(struct simdev *d, uint64_t now)
{
	static const uint8_t attrs[] = { 0x00, 0x01, 0x01 }; /* OnOff (0x0100, LE): on */
	uint8_t pdu[16];
	int len = cfg_ali_build_indication(d->ind_tid, attrs, sizeof(attrs), pdu, sizeof(pdu));
	struct mesh_tx tx = {
		.dst = SIMDEV_ALI_GROUP_GATEWAY,
		.ttl = MESH_TTL_DEFAULT,
		.app_index = d->ind_app_index,
		.access = pdu,
		.len = len > 0 ? (size_t)len : 0,
	};
	struct json_object *o;
	bool in = d->in_mesh;
	int rc = -EINVAL;

	if (len > 0) {
		d->in_mesh = true;
		rc = mesh_send(&d->mesh, now, &tx, NULL);
		d->in_mesh = in;
	}
	d->ind_sent++;
	o = report_new(d, "indication");
	if (o) {
		report_add_int(o, "tid", d->ind_tid);
		report_add_int(o, "n", d->ind_sent);
		report_add_int(o, "app_index", d->ind_app_index);
		if (rc < 0)
			report_add_int(o, "send_error", -rc);
		report_put(d, o);
	}
	if (d->ind_sent < SIMDEV_IND_TRIES) {
		uint64_t iv = scaled_ms(d, SIMDEV_IND_INTERVAL_MS);

		d->ind_next = now + (iv < SIMDEV_IND_MIN_MS ? SIMDEV_IND_MIN_MS : iv);
		return;
	}
	d->ind_active = false;
	d->ind_next = NO_DEADLINE;
	o = report_new(d, "indication_timeout");
	if (o) {
		report_add_int(o, "tid", d->ind_tid);
		report_add_int(o, "n", d->ind_sent);
		report_put(d, o);
	}
}

static void ind_start(struct simdev *d, uint16_t app_index, uint64_t now)
{
	/* device-initiated TIDs are 0x80-0xbf in AliGenie's specification */
	d->ind_tid = (uint8_t)(0x80 | (d->next_tid++ & 0x3f));
	d->ind_app_index = app_index;
	d->ind_sent = 0;
	d->ind_active = true;
	ind_send(d, now);
}

static void ind_confirmation(struct simdev *d, const struct mesh_rx *rx)
{
	struct json_object *o;
	uint8_t tid;

	if (cfg_ali_confirmation_parse(rx->params, rx->params_len, &tid) < 0 || !d->ind_active ||
	    tid != d->ind_tid)
		return;
	d->ind_active = false;
	d->ind_next = NO_DEADLINE;
	o = report_new(d, "indication_confirmed");
	if (o) {
		report_add_int(o, "tid", tid);
		report_add_int(o, "n", d->ind_sent);
		report_add_int(o, "src", rx->src);
		report_put(d, o);
	}
}

/* AliGenie UUID version 1: bind the AppKey to every model (but the
 * Configuration Server) and subscribe them to the default groups. */
static void self_config(struct simdev *d, uint16_t app_index)
{
	const struct cfgsrv_comp *c = &d->comp;
	uint16_t groups[2];
	unsigned ngroups = 0;
	struct json_object *o = report_new(d, "self_config"), *models = NULL, *gs = NULL;
	uint8_t first_fail = CFG_STATUS_SUCCESS;

	if (d->comp_kind == SIMDEV_COMP_LIGHT)
		groups[ngroups++] = SIMDEV_ALI_GROUP_LIGHTS;
	groups[ngroups++] = SIMDEV_ALI_GROUP_ALL;
	if (o) {
		models = json_object_new_array();
		gs = json_object_new_array();
		for (unsigned g = 0; g < ngroups; g++)
			json_object_array_add(gs, json_object_new_int(groups[g]));
	}
	for (unsigned e = 0; e < c->num_elements; e++) {
		const struct cfgsrv_element *el = &c->elements[e];
		uint16_t addr = (uint16_t)(d->mesh.cfg.unicast + e);

		for (unsigned i = 0; i < (unsigned)el->num_sig + el->num_vendor; i++) {
			struct cfg_model_id m = i < el->num_sig ? cfg_model_sig(el->sig[i])
								: el->vendor[i - el->num_sig];
			uint8_t st;

			if (!m.vendor && m.id == CFGSRV_MODEL_CFG_SERVER)
				continue;
			st = cfgsrv_bind(&d->cfg, addr, app_index, m);
			for (unsigned g = 0; g < ngroups && st == CFG_STATUS_SUCCESS; g++)
				st = cfgsrv_sub_add(&d->cfg, addr, groups[g], m);
			if (st != CFG_STATUS_SUCCESS && first_fail == CFG_STATUS_SUCCESS)
				first_fail = st;
			if (models && st == CFG_STATUS_SUCCESS) {
				struct json_object *mo = json_object_new_object();

				report_add_int(mo, "element", addr);
				report_add_model(mo, "model", m);
				json_object_array_add(models, mo);
			}
		}
	}
	if (o) {
		report_add_int(o, "app_index", app_index);
		json_object_object_add(o, "models", models);
		json_object_object_add(o, "groups", gs);
		report_add_int(o, "status", first_fail);
		report_put(d, o);
	}
}

static const char *cfg_op_name(enum cfgsrv_op op)
{
	switch (op) {
	case CFGSRV_APPKEY_ADD:
		return "appkey_add";
	case CFGSRV_COMP_GET:
		return "composition_get";
	case CFGSRV_BIND:
		return "bind";
	case CFGSRV_SUB_ADD:
		return "sub_add";
	case CFGSRV_NODE_RESET:
		return "node_reset";
	case CFGSRV_STATE_GET:
		return "state_get";
	case CFGSRV_STATE_SET:
		return "state_set";
	case CFGSRV_UNBIND:
		return "unbind";
	case CFGSRV_SUB_DEL:
		return "sub_del";
	case CFGSRV_PUB_SET:
		return "pub_set";
	case CFGSRV_PUB_GET:
		return "pub_get";
	}
	return "?";
}

/* ---- the node's segmented sends: the report says which were never acknowledged ---- */

static void segtx_add(struct simdev *d, unsigned handle, uint16_t dst, const uint8_t *access, size_t len)
{
	uint32_t op = 0;
	size_t oplen;

	if (handle == MESH_NO_HANDLE)
		return;
	if (access_opcode_decode(access, len, &op, &oplen) != 0)
		op = 0;
	for (size_t i = 0; i < LOWER_TX_SLOTS; i++) {
		if (d->segtx[i].handle == MESH_NO_HANDLE) {
			d->segtx[i] = (struct simdev_segtx){ handle, dst, op };
			return;
		}
	}
}

static void report_seg_unacked(struct simdev *d, const struct simdev_segtx *t, const char *reason)
{
	struct json_object *o = report_new(d, "seg_unacked");
	char op[16];

	if (!o)
		return;
	snprintf(op, sizeof(op), "%04x", (unsigned)t->opcode);
	report_add_int(o, "dst", t->dst);
	json_object_object_add(o, "opcode", json_object_new_string(op));
	json_object_object_add(o, "reason", json_object_new_string(reason));
	report_put(d, o);
}

static void node_tx_done(void *ctx, unsigned handle, int status)
{
	struct simdev *d = ctx;

	for (size_t i = 0; i < LOWER_TX_SLOTS; i++) {
		struct simdev_segtx *t = &d->segtx[i];

		if (handle == MESH_NO_HANDLE || t->handle != handle)
			continue;
		if (status != 0)
			report_seg_unacked(d, t, status == -ETIMEDOUT ? "timeout" :
						 status == -ECANCELED ? "refused" : "overflow");
		t->handle = MESH_NO_HANDLE;
	}
}

/* The node goes (stopped, unprovisioned): what it was still sending or
 * repeating is reported as never acknowledged or confirmed. */
static void node_report_pending(struct simdev *d, const char *reason)
{
	struct json_object *o;

	if (!d->node)
		return;
	for (size_t i = 0; i < LOWER_TX_SLOTS; i++) {
		if (d->segtx[i].handle != MESH_NO_HANDLE)
			report_seg_unacked(d, &d->segtx[i], reason);
		d->segtx[i].handle = MESH_NO_HANDLE;
	}
	if (!d->ind_active)
		return;
	o = report_new(d, "indication_unconfirmed");
	if (o) {
		report_add_int(o, "tid", d->ind_tid);
		report_add_int(o, "n", d->ind_sent);
		json_object_object_add(o, "reason", json_object_new_string(reason));
		report_put(d, o);
	}
	d->ind_active = false;
	d->ind_next = NO_DEADLINE;
}

static int cfg_send(void *ctx, uint16_t dst, uint16_t net_index, const uint8_t *access, size_t len)
{
	struct simdev *d = ctx;
	unsigned handle = MESH_NO_HANDLE;
	int rc;
	struct mesh_tx tx = {
		.dst = dst,
		.ttl = MESH_TTL_DEFAULT,
		.dev_key = true,
		.key_addr = d->mesh.cfg.unicast, /* our own: a node answering a client */
		.net_index = net_index,
		.access = access,
		.len = len,
	};

	rc = mesh_send(&d->mesh, radio_now(&d->radio), &tx, &handle);
	if (rc == 0)
		segtx_add(d, handle, dst, access, len);
	return rc;
}

static void cfg_event(void *ctx, const struct cfgsrv_event *ev)
{
	struct simdev *d = ctx;
	struct json_object *o = report_new(d, "config");
	uint64_t now = radio_now(&d->radio);

	if (o) {
		json_object_object_add(o, "op", json_object_new_string(cfg_op_name(ev->op)));
		report_add_int(o, "status", ev->status);
		report_add_int(o, "src", ev->src);
		report_add_int(o, "net_index", ev->net_index);
		switch (ev->op) {
		case CFGSRV_APPKEY_ADD:
			report_add_int(o, "app_index", ev->app_index);
			report_add_hex(o, "app_key", ev->app_key, 16);
			break;
		case CFGSRV_COMP_GET:
			report_add_int(o, "page", ev->page);
			break;
		case CFGSRV_BIND:
			report_add_int(o, "element", ev->elem_addr);
			report_add_int(o, "app_index", ev->app_index);
			report_add_model(o, "model", ev->model);
			break;
		case CFGSRV_SUB_ADD:
			report_add_int(o, "element", ev->elem_addr);
			report_add_int(o, "address", ev->addr);
			report_add_model(o, "model", ev->model);
			break;
		case CFGSRV_NODE_RESET:
			break;
		case CFGSRV_UNBIND:
			report_add_int(o, "element", ev->elem_addr);
			report_add_int(o, "app_index", ev->app_index);
			report_add_model(o, "model", ev->model);
			json_object_object_add(o, "changed", json_object_new_boolean(ev->changed));
			break;
		case CFGSRV_SUB_DEL:
			report_add_int(o, "element", ev->elem_addr);
			report_add_int(o, "address", ev->addr);
			report_add_model(o, "model", ev->model);
			json_object_object_add(o, "changed", json_object_new_boolean(ev->changed));
			break;
		case CFGSRV_PUB_SET:
		case CFGSRV_PUB_GET:
			report_add_int(o, "element", ev->elem_addr);
			report_add_model(o, "model", ev->model);
			report_add_int(o, "address", ev->pub.addr);
			report_add_int(o, "app_index", ev->pub.app_idx);
			report_add_int(o, "ttl", ev->pub.ttl);
			report_add_int(o, "period", ev->pub.period);
			report_add_int(o, "retransmit", ev->pub.retransmit);
			break;
		case CFGSRV_STATE_GET:
		case CFGSRV_STATE_SET:
			report_add_int(o, "state", ev->state);
			report_add_int(o, "value", ev->state_value.value);
			report_add_int(o, "retransmit", ev->state_value.retransmit);
			break;
		}
		if (ev->send_rc < 0)
			report_add_int(o, "send_error", -ev->send_rc);
		report_put(d, o);
	}

	switch (ev->op) {
	case CFGSRV_APPKEY_ADD:
		if (ev->status != CFG_STATUS_SUCCESS || d->kind != SIMDEV_ALIGENIE || d->ali_ready)
			break;
		/* provisioned in AliGenie's sense */
		d->ali_ready = true;
		d->appkey_deadline = NO_DEADLINE;
		if (d->ali.uuid_version >= 1)
			self_config(d, ev->app_index);
		ind_start(d, ev->app_index, now);
		break;
	case CFGSRV_NODE_RESET:
		if (d->reset_at == NO_DEADLINE)
			d->reset_at = now + SIMDEV_RESET_DELAY_MS;
		break;
	default:
		break;
	}
}

static const struct cfgsrv_ops node_cfg_ops = {
	.send = cfg_send,
	.event = cfg_event,
};

static void node_access(void *ctx, const struct mesh_rx *rx)
{
	struct simdev *d = ctx;

	if (!d->node)
		return;
	if (d->reset_at != NO_DEADLINE) {
		/* resetting: a repeated Node Reset is answered again, nothing else */
		if (rx->dev_key && rx->opcode == CFG_OP_NODE_RESET)
			cfgsrv_input(&d->cfg, rx);
		return;
	}
	if (rx->dev_key) {
		cfgsrv_input(&d->cfg, rx);
		return;
	}
	if (rx->opcode == CFG_OP_ALI_ATTR_CONFIRMATION)
		ind_confirmation(d, rx);
}

static const struct mesh_ops node_mesh_ops = {
	.send_adv = node_send_adv,
	.reserve_seq = node_reserve_seq,
	.dev_key = node_dev_key,
	.access = node_access,
	.tx_done = node_tx_done,
};

/* Provisioning Complete: become a node with what we were given. */
static void node_begin(struct simdev *d, const struct prov_device_result *r)
{
	struct mesh_config mc = {
		.unicast = r->unicast,
		.elements = d->prov_params.caps.elements,
		.iv_index = r->iv_index,
	};
	uint64_t now = radio_now(&d->radio);
	int rc;

	rc = mesh_init(&d->mesh, &mc, &node_mesh_ops, d);
	if (rc == 0)
		rc = mesh_add_net_key(&d->mesh, r->net_key_index, r->net_key);
	if (rc == 0)
		rc = cfgsrv_init(&d->cfg, &d->comp, &d->mesh, &node_cfg_ops, d);
	if (rc < 0) {
		fprintf(stderr, "vair: device %s: cannot become a node (unicast 0x%04x): %s\n", d->spec,
			r->unicast, strerror(-rc));
		OPENSSL_cleanse(&d->mesh, sizeof(d->mesh));
		return;
	}
	memcpy(d->dev_key, r->device_key, 16);
	d->node = true;
	d->reset_at = NO_DEADLINE;
	d->ali_ready = false;
	d->ind_active = false;
	d->ind_next = NO_DEADLINE;
	d->appkey_deadline = d->kind == SIMDEV_ALIGENIE ? now + scaled_ms(d, SIMDEV_APPKEY_WAIT_MS)
							 : NO_DEADLINE;
}

/* Forget the node: keys, bindings, subscriptions; no longer provisioned. */
static void node_clear(struct simdev *d)
{
	OPENSSL_cleanse(&d->mesh, sizeof(d->mesh));
	OPENSSL_cleanse(&d->cfg, sizeof(d->cfg));
	OPENSSL_cleanse(d->dev_key, sizeof(d->dev_key));
	d->node = false;
	d->reset_at = NO_DEADLINE;
	d->appkey_deadline = NO_DEADLINE;
	d->ali_ready = false;
	d->ind_active = false;
	d->ind_next = NO_DEADLINE;
	memset(d->segtx, 0, sizeof(d->segtx));
}

/* Unprovisioned again (Node Reset, AliGenie fallback): beacon and listen. */
static void node_unprovision(struct simdev *d, const char *reason)
{
	struct json_object *o;

	node_report_pending(d, reason);
	o = report_new(d, "unprovisioned");
	node_clear(d);
	d->provisioned = false;
	if (o) {
		json_object_object_add(o, "reason", json_object_new_string(reason));
		report_put(d, o);
	}
	if (d->stopping || d->dead)
		return;
	/* a Complete still held is never sent; the link of that provisioning
	 * (its provisioner may be gone without closing it) is closed: a device
	 * that starts over takes a new Link Open */
	d->complete_at = NO_DEADLINE;
	if (d->link.state == PB_ADV_OPEN)
		pb_adv_close(&d->link, radio_now(&d->radio), PB_ADV_CLOSE_FAIL);
	/* a link still open (or closing) listens again when it closes */
	if (d->link.state == PB_ADV_IDLE)
		pb_adv_listen(&d->link, d->beacon.uuid);
	beacon_restart(d);
}

static uint64_t node_next_deadline(const struct simdev *d)
{
	uint64_t t;

	if (!d->node)
		return NO_DEADLINE;
	t = min_deadline(d->reset_at, d->appkey_deadline);
	t = min_deadline(t, d->ind_next);
	/* while the mesh is in a call (its send_adv queues a PDU, the radio
	 * reads our deadline) it is not asked: the radio asks again after */
	if (!d->in_mesh)
		t = min_deadline(t, mesh_next_deadline(&d->mesh));
	return t;
}

static void node_tick(struct simdev *d, uint64_t now)
{
	if (!d->node)
		return;
	if (d->deaf_until && radio_now(&d->radio) < d->deaf_until) {
		d->deaf_dropped++;
		return;
	}
	d->in_mesh = true;
	mesh_tick(&d->mesh, now);
	d->in_mesh = false;
	if (now >= d->reset_at) {
		d->resets++;
		node_unprovision(d, "node_reset");
		return;
	}
	if (now >= d->appkey_deadline) {
		struct json_object *o = report_new(d, "fallback");

		d->fallbacks++;
		if (o) {
			report_add_int(o, "unicast", d->mesh.cfg.unicast);
			report_put(d, o);
		}
		node_unprovision(d, "fallback");
		return;
	}
	if (d->ind_active && now >= d->ind_next)
		ind_send(d, now);
}

static void node_input(struct simdev *d, const uint8_t *pdu, size_t len)
{
	if (!d->node)
		return;
	if (d->deaf_until && radio_now(&d->radio) < d->deaf_until) {
		d->deaf_dropped++;
		return;
	}
	d->in_mesh = true;
	mesh_input(&d->mesh, radio_now(&d->radio), pdu, len);
	d->in_mesh = false;
}

/* ---- the radio ---- */

static void on_ready(void *ctx)
{
	struct simdev *d = ctx;

	d->ready = true;
	if (!d->timers_added && radio_add_timers(&d->radio, dev_next_deadline, dev_tick, d) == 0)
		d->timers_added = true;
	if (!d->provisioned && d->link.state == PB_ADV_IDLE)
		pb_adv_listen(&d->link, d->beacon.uuid);
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

	(void)r;
	d->rx_pdus++;
	if (d->stopping || d->dead)
		return;
	if (ad_type == AD_TYPE_MESH_MESSAGE) {
		node_input(d, data, len);
		return;
	}
	if (ad_type != AD_TYPE_PB_ADV)
		return;
	pb_adv_input(&d->link, radio_now(&d->radio), data, len);
	run_pending_close(d);
	pump(d);
	/* the radio re-arms its timer after a read */
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

/* pubkey-oob: a key pair for the life of the device, announced in the report. */
static int make_oob_key(struct simdev *d, char *err, size_t errlen)
{
	struct crypto_ecdh *k = NULL;
	struct json_object *o;

	for (int tries = 0; tries < 8 && !k; tries++) {
		if (crypto_random(d->oob_priv, sizeof(d->oob_priv)) != 0)
			break;
		if (crypto_ecdh_from_private(d->oob_priv, &k) != 0)
			k = NULL;
	}
	if (!k || crypto_ecdh_public(k, d->oob_pub) != 0) {
		if (k)
			crypto_ecdh_free(k);
		snprintf(err, errlen, "cannot make an OOB key pair");
		return -1;
	}
	crypto_ecdh_free(k);
	o = report_new(d, "public_key");
	if (o) {
		report_add_hex(o, "key", d->oob_pub, 64);
		report_put(d, o);
	}
	return 0;
}

int simdev_start(struct simdev *d, struct ev_loop *loop, const char *transport, int owned_fd,
		 unsigned beacon_interval_ms, const struct simdev_ops *ops, void *ctx, char *err,
		 size_t errlen)
{
	d->loop = loop;
	d->ops = ops;
	d->ctx = ctx;
	d->fd = owned_fd;
	d->beacon_interval_ms = beacon_interval_ms ? beacon_interval_ms : 100;
	d->linger_until = NO_DEADLINE;
	ev_init(&d->beacon_timer, on_beacon_timer);
	d->beacon_timer.data = d;
	pb_adv_init(&d->link, PB_ADV_DEVICE, &simdev_link_ops, d);
	if ((d->pubkey_oob && make_oob_key(d, err, errlen) < 0) ||
	    radio_open(&d->radio, loop, transport, &simdev_radio_ops, d, err, errlen) < 0) {
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
	node_report_pending(d, "stopped");
	if (!d->open) {
		on_stopped(d);
		return;
	}
	/* powering off: the link just goes (no Link Close), nothing more to send */
	if (d->timers_added) {
		radio_remove_timers(&d->radio, d);
		d->timers_added = false;
	}
	radio_stop(&d->radio);
}

void simdev_close(struct simdev *d)
{
	if (d->loop)
		ev_timer_stop(d->loop, &d->beacon_timer);
	if (d->open) {
		if (d->timers_added)
			radio_remove_timers(&d->radio, d);
		d->timers_added = false;
		radio_close(&d->radio);
		d->open = false;
	}
	if (d->fd >= 0) {
		close(d->fd);
		d->fd = -1;
	}
	if (d->prov_active)
		prov_device_free(&d->prov);
	d->prov_active = false;
	queue_clear(d);
	OPENSSL_cleanse(d->oob_priv, sizeof(d->oob_priv));
	node_report_pending(d, "stopped");
	node_clear(d);
}
