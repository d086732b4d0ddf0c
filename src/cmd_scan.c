/* meshprov scan: list unprovisioned devices from their beacons. */
#include <getopt.h>
#include <json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "beacon.h"
#include "cli.h"
#include "ctl.h"
#include "devtable.h"
#include "log.h"
#include "radio.h"
#include "util.h"

struct scan {
	struct ev_loop *loop;
	struct radio radio;
	struct devtable table;
	bool json;
	bool aligenie_only;
	bool progress; /* stderr is a terminal */
	uint64_t started;
	ev_timer timeout;
	ev_signal sigint, sigterm;
	bool stopping;
	int rc;
	const char *control;
};

static void scan_usage(FILE *f)
{
	fprintf(f, "Usage: meshprov [--hci SPEC] scan [--timeout SECONDS] [--json] [--aligenie]\n"
		   "\n"
		   "Listen for Unprovisioned Device Beacons and list each device once, when first\n"
		   "heard; at the end (Ctrl-C or --timeout) print a table of every device.\n"
		   "\n"
		   "  -t, --timeout SECONDS  stop after this long (default: until Ctrl-C)\n"
		   "  -j, --json             one JSON object per device when first seen, no table\n"
		   "  -a, --aligenie         AliGenie (Tmall Genie) devices only\n"
		   "  -h, --help             show this help\n");
}

static bool wanted(const struct scan *s, const struct dev_entry *d)
{
	return !s->aligenie_only || d->is_aligenie;
}

static void print_new(const struct scan *s, const struct dev_entry *d)
{
	char uuid[33], mac[18];

	if (s->json) {
		struct json_object *o = dev_entry_json(d);

		puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
		json_object_put(o);
		fflush(stdout);
		return;
	}
	hex_encode(d->beacon.uuid, 16, uuid);
	printf("new device %s", uuid);
	if (d->rssi != HCI_RSSI_UNKNOWN)
		printf("  rssi %d", d->rssi);
	if (d->is_aligenie) {
		aligenie_mac_str(d->ali.mac, mac);
		printf("  AliGenie product %u mac %s", (unsigned)d->ali.product_id, mac);
	}
	putchar('\n');
	fflush(stdout);
}

static void print_table(const struct scan *s)
{
	uint64_t now = mono_ms();
	size_t shown = 0;

	for (size_t i = 0; i < s->table.n; i++)
		shown += wanted(s, &s->table.e[i]);
	printf("\n%zu unprovisioned device%s\n", shown, shown == 1 ? "" : "s");
	if (!shown)
		return;
	printf("%-32s  %4s  %-6s  %-16s  %7s  %5s  %10s  %-17s  %-6s  %s\n", "UUID", "RSSI", "OOB",
	       "OOB INFO", "BEACONS", "LAST", "PRODUCT", "MAC", "SILENT", "FLAGS");
	for (size_t i = 0; i < s->table.n; i++) {
		const struct dev_entry *d = &s->table.e[i];
		char uuid[33], rssi[8], oob[64], mac[18], flags[96], product[16], last[16];

		if (!wanted(s, d))
			continue;
		hex_encode(d->beacon.uuid, 16, uuid);
		if (d->rssi == HCI_RSSI_UNKNOWN)
			snprintf(rssi, sizeof(rssi), "?");
		else
			snprintf(rssi, sizeof(rssi), "%d", d->rssi);
		beacon_oob_str(d->beacon.oob, oob, sizeof(oob));
		snprintf(last, sizeof(last), "%.1fs", (double)(now - d->last_seen) / 1000.0);
		if (d->is_aligenie) {
			snprintf(product, sizeof(product), "%u", (unsigned)d->ali.product_id);
			aligenie_mac_str(d->ali.mac, mac);
			aligenie_flags_str(&d->ali, flags, sizeof(flags));
			snprintf(flags + strlen(flags), sizeof(flags) - strlen(flags), ", uuid v%u%s",
				 d->ali.uuid_version, d->ali.random_auth ? ", random auth" : "");
		} else {
			snprintf(product, sizeof(product), "-");
			snprintf(mac, sizeof(mac), "-");
			snprintf(flags, sizeof(flags), "-");
		}
		printf("%-32s  %4s  0x%04x  %-16s  %7lu  %5s  %10s  %-17s  %-6s  %s\n", uuid, rssi,
		       d->beacon.oob, oob, d->beacons, last, product, mac,
		       d->is_aligenie ? (d->ali.silent ? "yes" : "no") : "-", flags);
	}
}

/* ---- through the daemon ---- */

static void daemon_device(void *ctx, struct json_object *ev)
{
	struct scan *s = ctx;
	struct json_object *o;
	struct dev_entry d;
	bool is_new;

	if (!json_object_object_get_ex(ev, "device", &o) ||
	    dev_entry_from_json(o, mono_ms(), &d) < 0)
		return;
	is_new = devtable_find(&s->table, d.beacon.uuid) == NULL;
	if (devtable_put(&s->table, &d) == 0 && is_new && wanted(s, &d))
		print_new(s, &d);
}

static int via_daemon(struct scan *s, int fd, double timeout)
{
	struct json_object *req = json_object_new_object(), *reply, *v;
	char err[256];
	int rc = 0;

	json_object_object_add(req, "cmd", json_object_new_string("scan"));
	json_object_object_add(req, "follow", json_object_new_boolean(1));
	if (timeout > 0)
		json_object_object_add(req, "timeout", json_object_new_double(timeout));
	if (s->aligenie_only)
		json_object_object_add(req, "aligenie", json_object_new_boolean(1));
	if (s->progress && !s->json)
		fprintf(stderr, "Scanning through the daemon at %s%s\n", s->control,
			timeout > 0 ? "" : " (Ctrl-C to stop)");
	cli_catch_interrupts();
	reply = ctl_call(fd, req, daemon_device, s, err, sizeof(err));
	json_object_put(req);
	close(fd);
	if (!reply && strcmp(err, "interrupted")) {
		fprintf(stderr, "meshprov: %s\n", err);
		rc = 1;
	} else if (reply && (!json_object_object_get_ex(reply, "ok", &v) ||
			     !json_object_get_boolean(v))) {
		json_object_object_get_ex(reply, "error", &v);
		fprintf(stderr, "meshprov: %s\n", v ? json_object_get_string(v) : "the daemon failed");
		rc = 1;
	}
	json_object_put(reply);
	if (rc == 0 && !s->json)
		print_table(s);
	devtable_free(&s->table);
	return rc;
}

static void stop(struct scan *s)
{
	if (s->stopping)
		return;
	s->stopping = true;
	ev_timer_stop(s->loop, &s->timeout);
	radio_stop(&s->radio);
}

static void on_ready(void *ctx)
{
	struct scan *s = ctx;

	log_info("scanning on %s", s->radio.tr.name);
	if (s->progress && !s->json)
		fprintf(stderr, "Scanning on %s%s\n", s->radio.tr.name,
			ev_is_active(&s->timeout) ? "" : " (Ctrl-C to stop)");
}

static void on_rx(void *ctx, uint8_t type, const uint8_t *data, size_t len,
		  const struct hci_adv_report *r)
{
	struct scan *s = ctx;
	struct unprov_beacon b;
	struct dev_entry *d;
	bool is_new;

	if (type != AD_TYPE_MESH_BEACON || beacon_parse_unprov(data, len, &b) < 0)
		return;
	d = devtable_update(&s->table, &b, r, mono_ms(), &is_new);
	if (d && is_new && wanted(s, d))
		print_new(s, d);
}

static void on_fatal(void *ctx, const char *msg)
{
	struct scan *s = ctx;

	fprintf(stderr, "meshprov: %s\n", msg);
	s->rc = 1;
	ev_break(s->loop, EVBREAK_ALL);
}

static void on_stopped(void *ctx)
{
	struct scan *s = ctx;

	ev_break(s->loop, EVBREAK_ALL);
}

static const struct radio_ops scan_radio_ops = {
	.ready = on_ready,
	.rx = on_rx,
	.fatal = on_fatal,
	.stopped = on_stopped,
};

static void on_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	stop(w->data);
}

static void on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
	(void)loop;
	(void)revents;
	stop(w->data);
}

int cmd_scan(const struct global_opts *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "timeout", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "aligenie", no_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct scan s;
	double timeout = 0;
	char err[256];
	int c, fd;

	memset(&s, 0, sizeof(s));
	while ((c = getopt_long(argc, argv, "t:jah", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			timeout = parse_seconds(optarg);
			if (timeout < 0) {
				fprintf(stderr, "meshprov scan: --timeout needs a positive number of seconds\n");
				return EXIT_USAGE;
			}
			break;
		case 'j':
			s.json = true;
			break;
		case 'a':
			s.aligenie_only = true;
			break;
		case 'h':
			scan_usage(stdout);
			return 0;
		default:
			scan_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "meshprov scan: unexpected argument '%s'\n", argv[optind]);
		return EXIT_USAGE;
	}
	s.progress = isatty(STDERR_FILENO);
	s.control = g->control;
	if (devtable_init(&s.table, DEVTABLE_DEFAULT_MAX) < 0) {
		fprintf(stderr, "meshprov: out of memory\n");
		return 1;
	}
	fd = cli_daemon(g);
	if (fd >= 0)
		return via_daemon(&s, fd, timeout);
	s.loop = ev_default_loop(EVFLAG_AUTO);
	if (cli_radio_open(g, &s.radio, s.loop, &scan_radio_ops, &s, err, sizeof(err)) < 0) {
		fprintf(stderr, "meshprov: %s\n", err);
		devtable_free(&s.table);
		return 1;
	}
	ev_init(&s.timeout, on_timeout);
	s.timeout.data = &s;
	if (timeout > 0) {
		ev_timer_set(&s.timeout, timeout, 0.0);
		ev_timer_start(s.loop, &s.timeout);
	}
	ev_signal_init(&s.sigint, on_signal, SIGINT);
	s.sigint.data = &s;
	ev_signal_init(&s.sigterm, on_signal, SIGTERM);
	s.sigterm.data = &s;
	ev_signal_start(s.loop, &s.sigint);
	ev_signal_start(s.loop, &s.sigterm);
	radio_start(&s.radio);
	ev_run(s.loop, 0);

	if (!s.json)
		print_table(&s);
	ev_signal_stop(s.loop, &s.sigint);
	ev_signal_stop(s.loop, &s.sigterm);
	ev_timer_stop(s.loop, &s.timeout);
	radio_close(&s.radio);
	devtable_free(&s.table);
	return s.rc;
}
