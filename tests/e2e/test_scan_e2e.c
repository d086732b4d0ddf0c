/* End-to-end: `meshprov scan` against simulated devices on the virtual air
 * (build/vair/vair), and on BlueZ's btvirt when a working one is available.
 * Binaries: $MESHPROV_BIN (default ./meshprov), $VAIR_BIN (default
 * ./build/vair/vair), $BTVIRT (default: btvirt in PATH, or the one
 * shared/tools/build-btvirt caches). */
#include <check.h>
#include <errno.h>
#include <json.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "btvirt.h"
#include "check_main.h"
#include "hci.h"
#include "proc.h"
#include "util.h"

#define TEST_TIMEOUT_S 90
#define SCAN_GRACE_MS 15000   /* on top of --timeout */

/* ---- the devices and what meshprov must say about them ---- */

struct want {
	const char *spec;
	const char *uuid;
	int oob;
	bool has_uri;
	int64_t uri_hash;
	bool aligenie;
	int64_t product_id;
	const char *mac;
	int pid_flags, adv_version;
	bool secret_per_device, ota;
	const char *ble_version;
	int uuid_version;
	bool silent, random_auth;
};

/* UUIDs worked out by hand from the AliGenie layout, not by the code under test */
static const struct want DEVS[] = {
	{ "aligenie:602,78:da:07:c1:1c:a8,1565d0497400c999e984cffa4da4fdf9",
	  "a801715a020000a81cc107da78021000", 0, false, 0, true,
	  602, "78da07c11ca8", 0x71, 1, true, true, "4.2", 1, false, false },
	{ "aligenie:0x1234,28fa7a0191da,00112233445566778899aabbccddeeff,random-auth",
	  "a8017134120000da91017afa28021200", 0, false, 0, true,
	  0x1234, "28fa7a0191da", 0x71, 1, true, true, "4.2", 1, false, true },
	{ "aligenie:5003,a4:c1:38:00:00:01,0f0e0d0c0b0a09080706050403020100,silent,v0",
	  "a801718b13000001000038c1a4011000", 0, false, 0, true,
	  5003, "a4c138000001", 0x71, 1, true, true, "4.2", 0, true, false },
	{ "uuid:0123456789abcdef0123456789abcdef,oob=0x4020,uri=deadbeef",
	  "0123456789abcdef0123456789abcdef", 0x4020, true, 0xdeadbeef, false },
};
#define NDEVS ((int)ARRAY_SIZE(DEVS))
#define NALIGENIE 3

/* ---- per-test state ---- */

static char *g_base;                   /* made by the runner process, removed by it */
static char g_dir[512];                /* this test's directory */
static const char *g_meshprov, *g_vair;

static void base_setup(void)
{
	g_base = e2e_base_setup("meshprov-e2e");
}

static void base_teardown(void)
{
	e2e_base_teardown(&g_base);
}

static void test_setup(void)
{
	e2e_test_setup(g_base, g_dir, sizeof(g_dir), &g_meshprov, &g_vair);
}

static void test_teardown(void)
{
	e2e_test_teardown(g_dir);
}

/* ---- programs under test ---- */

/* The devices' specs, NULL-terminated. */
static const char *const *dev_specs(void)
{
	static const char *specs[NDEVS + 1];

	for (int i = 0; i < NDEVS; i++)
		specs[i] = DEVS[i].spec;
	return specs;
}

/* vair --socket in this test's directory with the devices (when with_devices)
 * and extra arguments. */
static void air_start(struct vair *r, bool with_devices, const char *const *extra)
{
	vair_start(r, g_vair, g_dir, false, with_devices ? dev_specs() : NULL, extra);
}

/* meshprov --hci HCI scan --timeout T [extra...]; waits for it to exit. */
static void run_scan(struct proc *p, const struct exe *e, const char *hci, const char *timeout,
		     const char *const *extra, const char *errlog)
{
	const char *argv[16];
	struct proc_opts o = exe_opts(e);
	char st[64];
	int n = 0;

	argv[n++] = e ? e->path : g_meshprov;
	argv[n++] = "--hci";
	argv[n++] = hci;
	argv[n++] = "scan";
	argv[n++] = "--timeout";
	argv[n++] = timeout;
	for (int i = 0; extra && extra[i] && n < (int)ARRAY_SIZE(argv) - 1; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	o.capture_stdout = true;
	o.stderr_path = errlog;
	PROC_REQUIRE(proc_spawn(p, argv, &o) == 0, "cannot start %s: %s", argv[0], strerror(errno));
	if (proc_wait(p, atoi(timeout) * 1000 + SCAN_GRACE_MS) < 0) {
		proc_stop(p, SIGKILL, 1000);
		proc_cleanup_all();
		ck_abort_msg("meshprov scan --timeout %s did not exit within %d ms more (%s)", timeout,
			     SCAN_GRACE_MS, proc_status_str(p, st, sizeof(st)));
	}
}

/* The scan exited 0 (call after every process is stopped). */
static void check_exit0(struct proc *p, const char *errlog, const char *what)
{
	char st[64], *err = file_or_empty(errlog);

	ck_assert_msg(proc_exit_code(p) == 0, "%s: %s; stderr:\n%s\nstdout:\n%s", what,
		      proc_status_str(p, st, sizeof(st)), err, p->out);
	ck_assert_msg(!sanitizer_report(err), "%s: sanitizer report:\n%s", what, err);
	free(err);
}

/* ---- checking the JSON ---- */

static struct json_object *jfield(struct json_object *o, const char *path, json_type type,
				  const char *uuid)
{
	struct json_object *x = jsonl_get(o, path);

	ck_assert_msg(x != NULL && json_object_is_type(x, type), "device %s: \"%s\" missing or not %s in %s",
		      uuid, path, json_type_to_name(type),
		      json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	return x;
}

static void check_device(struct json_object *o, const struct want *w, bool rssi_unknown)
{
	const char *u = w->uuid;
	struct json_object *x, *ali;
	bool has;

	has = json_object_object_get_ex(o, "rssi", &x);
	ck_assert_msg(has, "device %s: no \"rssi\"", u);
	if (rssi_unknown) {
		ck_assert_msg(x == NULL, "device %s: rssi %s, want null (the controller reports 127)", u,
			      json_object_to_json_string(x));
	} else {
		int64_t rssi;

		ck_assert_msg(x != NULL && json_object_is_type(x, json_type_int),
			      "device %s: rssi is not an integer", u);
		rssi = json_object_get_int64(x);
		ck_assert_msg(rssi >= -55 && rssi <= -45, "device %s: rssi %lld outside -50+-5", u,
			      (long long)rssi);
	}
	ck_assert_int_eq(json_object_get_int64(jfield(o, "oob", json_type_int, u)), w->oob);
	has = json_object_object_get_ex(o, "uri_hash", &x);
	if (w->has_uri) {
		ck_assert_msg(has && x && json_object_is_type(x, json_type_int),
			      "device %s: uri_hash missing", u);
		ck_assert_int_eq(json_object_get_int64(x), w->uri_hash);
	} else {
		ck_assert_msg(!has, "device %s: uri_hash present, but it sends none", u);
	}
	has = json_object_object_get_ex(o, "aligenie", &ali);
	if (!w->aligenie) {
		ck_assert_msg(!has, "device %s is not an AliGenie one, but has \"aligenie\"", u);
		return;
	}
	ck_assert_msg(has && ali && json_object_is_type(ali, json_type_object),
		      "device %s: no \"aligenie\" object", u);
	ck_assert_int_eq(json_object_get_int64(jfield(o, "aligenie.product_id", json_type_int, u)),
			 w->product_id);
	ck_assert_str_eq(json_object_get_string(jfield(o, "aligenie.mac", json_type_string, u)),
			 w->mac);
	ck_assert_int_eq(json_object_get_int64(jfield(o, "aligenie.pid_flags", json_type_int, u)),
			 w->pid_flags);
	ck_assert_int_eq(json_object_get_int64(jfield(o, "aligenie.adv_version", json_type_int, u)),
			 w->adv_version);
	ck_assert_int_eq(json_object_get_boolean(
				 jfield(o, "aligenie.secret_per_device", json_type_boolean, u)),
			 w->secret_per_device);
	ck_assert_int_eq(json_object_get_boolean(jfield(o, "aligenie.ota", json_type_boolean, u)),
			 w->ota);
	ck_assert_str_eq(
		json_object_get_string(jfield(o, "aligenie.ble_version", json_type_string, u)),
		w->ble_version);
	ck_assert_int_eq(json_object_get_int64(jfield(o, "aligenie.uuid_version", json_type_int, u)),
			 w->uuid_version);
	ck_assert_int_eq(json_object_get_boolean(jfield(o, "aligenie.silent", json_type_boolean, u)),
			 w->silent);
	ck_assert_int_eq(
		json_object_get_boolean(jfield(o, "aligenie.random_auth", json_type_boolean, u)),
		w->random_auth);
}

/* stdout of `scan --json`: exactly the expected devices, each once, right fields. */
static void check_scan_json(const char *out, bool aligenie_only, bool rssi_unknown)
{
	struct json_object **v;
	bool seen[NDEVS];
	char err[300];
	int n, want = aligenie_only ? NALIGENIE : NDEVS;

	memset(seen, 0, sizeof(seen));
	n = jsonl_parse(out, &v, err, sizeof(err));
	ck_assert_msg(n >= 0, "stdout is not JSON lines (%s):\n%s", err, out);
	for (int i = 0; i < n; i++) {
		const char *uuid = json_object_get_string(jfield(v[i], "uuid", json_type_string, "?"));
		int j;

		for (j = 0; j < NDEVS; j++)
			if (!strcmp(DEVS[j].uuid, uuid))
				break;
		ck_assert_msg(j < NDEVS, "unexpected device %s in:\n%s", uuid, out);
		ck_assert_msg(!seen[j], "device %s printed more than once:\n%s", uuid, out);
		ck_assert_msg(!aligenie_only || DEVS[j].aligenie,
			      "--aligenie printed the non-AliGenie device %s", uuid);
		seen[j] = true;
		check_device(v[i], &DEVS[j], rssi_unknown);
	}
	for (int j = 0; j < NDEVS; j++)
		ck_assert_msg(seen[j] || (aligenie_only && !DEVS[j].aligenie),
			      "device %s (%s) not found; stdout:\n%s", DEVS[j].uuid, DEVS[j].spec, out);
	ck_assert_int_eq(n, want);
	jsonl_free(v, n);
}

/* ---- (a)-(d), (f): meshprov scan on the virtual air ---- */

static void scan_on_air(const char *const *vair_extra, const char *const *scan_extra,
			struct vair *air, struct proc *scan)
{
	char errlog[PATH_MAX];

	snprintf(errlog, sizeof(errlog), "%s/meshprov.err", g_dir);
	air_start(air, true, vair_extra);
	run_scan(scan, NULL, air->hci, "2", scan_extra, errlog);
	vair_stop(air);
	check_exit0(scan, errlog, "meshprov scan");
}

START_TEST(test_scan_json)
{
	static const char *const json[] = { "--json", NULL };
	struct vair air;
	struct proc scan;

	scan_on_air(NULL, json, &air, &scan);
	check_scan_json(scan.out, false, false);
	ck_assert_uint_gt(vair_stat(&air, "report_events"), 0);
	proc_free(&scan);
	vair_free(&air);
}
END_TEST

START_TEST(test_scan_aligenie_only)
{
	static const char *const args[] = { "--json", "--aligenie", NULL };
	struct vair air;
	struct proc scan;

	scan_on_air(NULL, args, &air, &scan);
	check_scan_json(scan.out, true, false);
	proc_free(&scan);
	vair_free(&air);
}
END_TEST

START_TEST(test_scan_lossy_air)
{
	static const char *const lossy[] = { "--loss", "0.3", "--latency", "5", "--jitter", "3", NULL };
	static const char *const json[] = { "--json", NULL };
	struct vair air;
	struct proc scan;

	scan_on_air(lossy, json, &air, &scan);
	check_scan_json(scan.out, false, false);
	/* the loss model did drop advertisements */
	ck_assert_uint_gt(vair_stat(&air, "lost"), 0);
	proc_free(&scan);
	vair_free(&air);
}
END_TEST

START_TEST(test_scan_text)
{
	struct vair air;
	struct proc scan;
	const char *table, *p;
	char count[64];

	scan_on_air(NULL, NULL, &air, &scan);
	/* the table comes after the last "new device" line */
	table = scan.out;
	for (p = scan.out; (p = strstr(p, "new device ")) != NULL; p++)
		table = p;
	table = strchr(table, '\n') ? strchr(table, '\n') + 1 : table;
	snprintf(count, sizeof(count), "%d unprovisioned devices", NDEVS);
	ck_assert_msg(strstr(table, count) != NULL, "no \"%s\" in:\n%s", count, scan.out);
	for (int i = 0; i < NDEVS; i++) {
		ck_assert_msg(strstr(scan.out, DEVS[i].uuid) != NULL, "%s not printed:\n%s",
			      DEVS[i].uuid, scan.out);
		ck_assert_msg(strstr(table, DEVS[i].uuid) != NULL, "the table does not name %s:\n%s",
			      DEVS[i].uuid, scan.out);
	}
	proc_free(&scan);
	vair_free(&air);
}
END_TEST

/* The BEACONS column of meshprov's table for uuid. */
static unsigned long table_beacons(const char *out, const char *uuid)
{
	const char *hdr = strstr(out, "BEACONS"), *p;
	char tok[5][64], *end;
	unsigned long v;

	ck_assert_msg(hdr != NULL, "no table with a BEACONS column:\n%s", out);
	for (p = hdr; (p = strstr(p, uuid)) != NULL; p++)
		if (p[-1] == '\n')
			break;
	ck_assert_msg(p != NULL, "no table row for %s:\n%s", uuid, out);
	/* UUID RSSI OOB OOB-INFO BEACONS ... (OOB INFO is one word in a row) */
	ck_assert_int_eq(sscanf(p, "%63s %63s %63s %63s %63s", tok[0], tok[1], tok[2], tok[3], tok[4]),
			 5);
	v = strtoul(tok[4], &end, 10);
	ck_assert_msg(*end == '\0', "table row for %s: BEACONS '%s' is not a number", uuid, tok[4]);
	return v;
}

/* From vair's stderr: what the one external client's controller sent. */
static void client_counts(const struct vair *r, unsigned long *reports, unsigned long *multi)
{
	const char *line = NULL, *p, *q;
	int n = 0;

	for (p = r->log_text; (p = strstr(p, " client closed: ")) != NULL; p++) {
		line = p;
		n++;
	}
	ck_assert_msg(n == 1, "%d client lines in vair's stderr, want 1:\n%s", n, r->log_text);
	p = strstr(line, " reports=");
	q = strstr(line, " multi_report_events=");
	ck_assert_msg(p && q, "bad client line in vair's stderr:\n%s", r->log_text);
	*reports = strtoul(p + strlen(" reports="), NULL, 10);
	*multi = strtoul(q + strlen(" multi_report_events="), NULL, 10);
}

/* Reports batched over 40 ms: most LE Advertising Report events carry several
 * reports, and meshprov must take every one of them: the beacons it counted
 * (its table) are exactly the reports its controller sent. */
START_TEST(test_scan_multi_report_events)
{
	static const char *const batch[] = { "--batch", "40", NULL };
	struct vair air;
	struct proc scan;
	unsigned long counted = 0, reports = 0, multi = 0;

	scan_on_air(batch, NULL, &air, &scan);
	for (int i = 0; i < NDEVS; i++) {
		unsigned long b = table_beacons(scan.out, DEVS[i].uuid);

		ck_assert_msg(b > 0, "no beacons counted for %s", DEVS[i].uuid);
		counted += b;
	}
	client_counts(&air, &reports, &multi);
	ck_assert_msg(multi > 0, "no multi-report event was sent: the test proves nothing");
	ck_assert_msg(counted == reports,
		      "meshprov counted %lu beacons; its controller sent %lu reports (%lu events "
		      "with several)\n%s",
		      counted, reports, multi, scan.out);
	proc_free(&scan);
	vair_free(&air);
}
END_TEST

/* ---- a raw HCI client, to check the air's controllers themselves ---- */

struct reports {
	unsigned n;           /* reports */
	unsigned from_addr;   /* from the address we look for */
	unsigned bad;         /* from it, with wrong type, data or RSSI */
	unsigned events;
	unsigned ext_events;  /* LE Extended Advertising Report events */
	uint8_t addr[6];
	const uint8_t *data;
	uint8_t data_len;
};

static void count_report(void *ctx, const struct hci_adv_report *r)
{
	struct reports *c = ctx;

	c->n++;
	if (memcmp(r->addr, c->addr, 6))
		return;
	c->from_addr++;
	if (r->evt_type != 0x03 || r->addr_type != 0x00 || r->data_len != c->data_len ||
	    memcmp(r->data, c->data, c->data_len) || r->rssi < -65 || r->rssi > -55)
		c->bad++;
}

/* Gather advertising reports for ms milliseconds. -1 when the stream broke. */
static int hc_collect(int fd, int ms, struct reports *c)
{
	uint64_t deadline = mono_ms() + (uint64_t)ms;
	uint8_t ev[257];

	for (;;) {
		int r = hc_event(fd, ev, deadline);

		if (r == 0)
			return 0;
		if (r < 0)
			return -1;
		if (ev[0] == HCI_EV_LE_META && ev[1] >= 1 && ev[2] == HCI_LE_ADV_REPORT) {
			c->events++;
			if (hci_parse_adv_reports(ev + 3, ev[1] - 1u, count_report, c) < 0)
				return -1;
		}
		if (ev[0] == HCI_EV_LE_META && ev[1] >= 1 && ev[2] == HCI_LE_EXT_ADV_REPORT) {
			c->ext_events++;
			if (hci_parse_ext_adv_reports(ev + 3, ev[1] - 1u, count_report, c) < 0)
				return -1;
		}
	}
}

static bool hc_closed_within(int fd, int ms)
{
	uint64_t deadline = mono_ms() + (uint64_t)ms;
	uint8_t ev[257];

	for (;;) {
		int r = hc_event(fd, ev, deadline);

		if (r < 0)
			return true;
		if (r == 0)
			return false;
	}
}

#define REQ_STATUS(expr, want, what)                                                         \
	do {                                                                                 \
		int st_ = (expr);                                                            \
		PROC_REQUIRE(st_ == (want), "%s: status %d, want 0x%02x", what, st_, want);  \
	} while (0)

/* Set Event Mask: the defaults and the LE Meta event. */
static const uint8_t ev_mask_le[8] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f, 0x00, 0x20 };

/* An extended advertising set with legacy ADV_NONCONN_IND properties, 20 ms,
 * all channels, public address, 1M, holding ad (at most 31 octets). */
static void ext_set_create(int fd, uint8_t handle, const uint8_t *ad, uint8_t len)
{
	uint8_t params[25] = {
		handle, 0x10, 0x00, 0x20, 0x00, 0x00, 0x20, 0x00, 0x00, 0x07, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x7f, 0x01, 0x00, 0x01, 0x00, 0x00,
	};
	uint8_t data[4 + 31] = { handle, 0x03, 0x01, len };

	memcpy(data + 4, ad, len);
	REQ_STATUS(hc_cmd(fd, HCI_OP_LE_SET_EXT_ADV_PARAMS, params, 25, NULL, NULL), 0,
		   "LE Set Extended Advertising Parameters");
	REQ_STATUS(hc_cmd(fd, HCI_OP_LE_SET_EXT_ADV_DATA, data, (uint8_t)(4 + len), NULL, NULL), 0,
		   "LE Set Extended Advertising Data");
}

/* The air's controllers: the command semantics meshprov and btvirt rely on. */
START_TEST(test_vair_controller)
{
	static const char *const rssi[] = { "--rssi", "-60", NULL };
	static const uint8_t le_mask_none[8] = { 0 };
	static const uint8_t le_mask_reports[8] = { 0x02 };
	static const uint8_t adv_data[] = { 0x05, 0x09, 'v', 'a', 'i', 'r' };
	uint8_t adv_params[15] = { 0x20, 0x00, 0x20, 0x00, 0x03 /* ADV_NONCONN_IND */, 0, 0 };
	uint8_t data_cmd[32] = { sizeof(adv_data) };
	uint8_t scan_params[7] = { 0x00, 0x30, 0x00, 0x30, 0x00, 0x00, 0x00 };
	uint8_t rp[256], addr_a[6], addr_b[6];
	size_t rl = 0;
	struct vair air;
	struct reports rep;
	int a, b, c;

	adv_params[13] = 0x07;
	memcpy(data_cmd + 1, adv_data, sizeof(adv_data));
	air_start(&air, false, rssi);
	a = hc_connect(air.sock);
	b = hc_connect(air.sock);
	PROC_REQUIRE(a >= 0 && b >= 0, "cannot connect to %s", air.sock);

	REQ_STATUS(hc_cmd(a, HCI_OP_RESET, NULL, 0, NULL, NULL), 0, "Reset");
	REQ_STATUS(hc_cmd(b, HCI_OP_RESET, NULL, 0, NULL, NULL), 0, "Reset");
	REQ_STATUS(hc_cmd(a, HCI_OP_READ_LOCAL_VERSION, NULL, 0, rp, &rl), 0, "Read Local Version");
	PROC_REQUIRE(rl == 9 && rp[1] == 0x09, "Read Local Version: HCI version 0x%02x, want 5.0",
		     rp[1]);
	REQ_STATUS(hc_cmd(a, HCI_OP_READ_BD_ADDR, NULL, 0, rp, &rl), 0, "Read BD_ADDR");
	PROC_REQUIRE(rl == 7, "Read BD_ADDR returned %zu octets", rl);
	memcpy(addr_a, rp + 1, 6);
	REQ_STATUS(hc_cmd(b, HCI_OP_READ_BD_ADDR, NULL, 0, rp, &rl), 0, "Read BD_ADDR");
	memcpy(addr_b, rp + 1, 6);
	PROC_REQUIRE(memcmp(addr_a, addr_b, 6) != 0, "two controllers share one address");
	REQ_STATUS(hc_cmd(a, HCI_OP(0x3f, 0x0123), NULL, 0, NULL, NULL), HCI_ERR_UNKNOWN_COMMAND,
		   "a vendor command");
	REQ_STATUS(hc_cmd(a, HCI_OP_SET_EVENT_MASK, ev_mask_le, 7, NULL, NULL), 0x12,
		   "Set Event Mask with 7 octets");

	/* a advertises */
	REQ_STATUS(hc_cmd(a, HCI_OP_LE_SET_ADV_PARAMS, adv_params, 15, NULL, NULL), 0,
		   "LE Set Advertising Parameters");
	REQ_STATUS(hc_cmd(a, HCI_OP_LE_SET_ADV_DATA, data_cmd, 32, NULL, NULL), 0,
		   "LE Set Advertising Data");
	REQ_STATUS(hc_cmd(a, HCI_OP_LE_SET_ADV_ENABLE, "\x01", 1, NULL, NULL), 0,
		   "LE Set Advertising Enable");
	REQ_STATUS(hc_cmd(a, HCI_OP_LE_SET_ADV_ENABLE, "\x01", 1, NULL, NULL),
		   HCI_ERR_COMMAND_DISALLOWED, "enable advertising twice");
	REQ_STATUS(hc_cmd(a, HCI_OP_LE_SET_ADV_PARAMS, adv_params, 15, NULL, NULL),
		   HCI_ERR_COMMAND_DISALLOWED, "advertising parameters while advertising");

	/* b scans: after a Reset the LE Meta event is masked off, so nothing */
	memset(&rep, 0, sizeof(rep));
	memcpy(rep.addr, addr_a, 6);
	rep.data = adv_data;
	rep.data_len = sizeof(adv_data);
	REQ_STATUS(hc_cmd(b, HCI_OP_LE_SET_SCAN_PARAMS, scan_params, 7, NULL, NULL), 0,
		   "LE Set Scan Parameters");
	REQ_STATUS(hc_cmd(b, HCI_OP_LE_SET_SCAN_ENABLE, "\x01\x00", 2, NULL, NULL), 0,
		   "LE Set Scan Enable");
	PROC_REQUIRE(hc_collect(b, 300, &rep) == 0 && rep.n == 0,
		     "%u reports with LE Meta masked off", rep.n);
	REQ_STATUS(hc_cmd(b, HCI_OP_LE_SET_SCAN_PARAMS, scan_params, 7, NULL, NULL),
		   HCI_ERR_COMMAND_DISALLOWED, "scan parameters while scanning");
	REQ_STATUS(hc_cmd(b, HCI_OP_LE_SET_SCAN_ENABLE, "\x00\x00", 2, NULL, NULL), 0,
		   "scan disable");

	/* with LE Meta on: a's advertising, every ~20-30 ms */
	REQ_STATUS(hc_cmd(b, HCI_OP_SET_EVENT_MASK, ev_mask_le, 8, NULL, NULL), 0, "Set Event Mask");
	REQ_STATUS(hc_cmd(b, HCI_OP_LE_SET_EVENT_MASK, le_mask_reports, 8, NULL, NULL), 0,
		   "LE Set Event Mask");
	REQ_STATUS(hc_cmd(b, HCI_OP_LE_SET_SCAN_ENABLE, "\x01\x00", 2, NULL, NULL), 0,
		   "LE Set Scan Enable");
	rep.n = rep.from_addr = rep.bad = rep.events = 0;
	PROC_REQUIRE(hc_collect(b, 500, &rep) == 0, "b's event stream broke");
	PROC_REQUIRE(rep.from_addr >= 10 && rep.bad == 0,
		     "in 500 ms: %u reports from a (%u wrong), want >= 10 right ones", rep.from_addr,
		     rep.bad);
	PROC_REQUIRE(rep.n == rep.from_addr, "%u reports from others on an air of two", rep.n - rep.from_addr);
	REQ_STATUS(hc_cmd(b, HCI_OP_LE_SET_SCAN_ENABLE, "\x01\x00", 2, NULL, NULL),
		   HCI_ERR_COMMAND_DISALLOWED, "enable scanning twice");

	/* Filter_Duplicates: one report while scanning stays on */
	REQ_STATUS(hc_cmd(b, HCI_OP_LE_SET_SCAN_ENABLE, "\x00\x00", 2, NULL, NULL), 0,
		   "scan disable");
	REQ_STATUS(hc_cmd(b, HCI_OP_LE_SET_SCAN_ENABLE, "\x01\x01", 2, NULL, NULL), 0,
		   "scan enable, filter duplicates");
	rep.n = rep.from_addr = rep.bad = rep.events = 0;
	PROC_REQUIRE(hc_collect(b, 500, &rep) == 0, "b's event stream broke");
	PROC_REQUIRE(rep.from_addr == 1 && rep.bad == 0,
		     "filter duplicates: %u reports from a in 500 ms, want 1", rep.from_addr);

	/* the LE event mask without LE Advertising Report: nothing */
	REQ_STATUS(hc_cmd(b, HCI_OP_LE_SET_SCAN_ENABLE, "\x00\x00", 2, NULL, NULL), 0,
		   "scan disable");
	REQ_STATUS(hc_cmd(b, HCI_OP_LE_SET_EVENT_MASK, le_mask_none, 8, NULL, NULL), 0,
		   "LE Set Event Mask");
	REQ_STATUS(hc_cmd(b, HCI_OP_LE_SET_SCAN_ENABLE, "\x01\x00", 2, NULL, NULL), 0,
		   "scan enable");
	rep.n = rep.from_addr = rep.bad = rep.events = 0;
	PROC_REQUIRE(hc_collect(b, 300, &rep) == 0 && rep.n == 0,
		     "%u reports with LE Advertising Report masked off", rep.n);

	/* an unknown H4 packet type: that client is disconnected */
	c = hc_connect(air.sock);
	PROC_REQUIRE(c >= 0, "cannot connect");
	PROC_REQUIRE(hc_send(c, (const uint8_t *)"\x07\x00\x00\x00", 4) == 0, "send failed");
	PROC_REQUIRE(hc_closed_within(c, 2000), "a client sending H4 type 0x07 was not disconnected");
	close(c);

	/* a client that goes away while scanning does not disturb the air */
	REQ_STATUS(hc_cmd(b, HCI_OP_LE_SET_EVENT_MASK, le_mask_reports, 8, NULL, NULL), 0,
		   "LE Set Event Mask");
	close(b);
	c = hc_connect(air.sock);
	PROC_REQUIRE(c >= 0, "vair stopped accepting after a client left");
	REQ_STATUS(hc_cmd(c, HCI_OP_RESET, NULL, 0, NULL, NULL), 0, "Reset on a new connection");
	REQ_STATUS(hc_cmd(a, HCI_OP_LE_SET_ADV_ENABLE, "\x00", 1, NULL, NULL), 0,
		   "advertising disable");
	close(c);
	close(a);
	vair_stop(&air);
	vair_free(&air);
}
END_TEST

/* The extended advertising and scanning of a Bluetooth 5 controller, as
 * meshprov uses them: a set with legacy ADV_NONCONN_IND properties stops by
 * itself after Max_Extended_Advertising_Events and says so; an extended
 * scanner hears it in LE Extended Advertising Reports; a controller refuses
 * the legacy commands after the extended ones (as hardware does). */
START_TEST(test_vair_extended)
{
	static const char *const rssi[] = { "--rssi", "-60", NULL };
	/* LE Advertising Report, LE Extended Advertising Report, LE Advertising Set Terminated */
	static const uint8_t le_mask[8] = { 0x02, 0x10, 0x02 };
	static const uint8_t adv_data[] = { 0x05, 0x09, 'v', 'a', 'i', 'r' };
	static const uint8_t ext_params[25] = {
		0x03, 0x10, 0x00, 0x20, 0x00, 0x00, 0x20, 0x00, 0x00, 0x07, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x7f, 0x01, 0x00, 0x01, 0x00, 0x00,
	};
	static const uint8_t scan_params[8] = { 0x00, 0x00, 0x01, 0x00, 0x30, 0x00, 0x30, 0x00 };
	static const uint8_t scan_on[6] = { 0x01, 0x00, 0x00, 0x00, 0x00, 0x00 };
	static const uint8_t enable_2[6] = { 0x01, 0x01, 0x03, 0x00, 0x00, 0x02 };
	uint8_t legacy_params[15] = { 0x20, 0x00, 0x20, 0x00, 0x03, 0, 0 };
	uint8_t data_cmd[4 + sizeof(adv_data)] = { 0x03, 0x03, 0x01, sizeof(adv_data) };
	uint8_t rp[256], ev[257], addr_a[6];
	size_t rl = 0;
	uint64_t deadline;
	unsigned terminated = 0;
	struct vair air;
	struct reports rep;
	int a, b;

	legacy_params[13] = 0x07;
	memcpy(data_cmd + 4, adv_data, sizeof(adv_data));
	air_start(&air, false, rssi);
	a = hc_connect(air.sock);
	b = hc_connect(air.sock);
	PROC_REQUIRE(a >= 0 && b >= 0, "cannot connect to %s", air.sock);
	REQ_STATUS(hc_cmd(a, HCI_OP_RESET, NULL, 0, NULL, NULL), 0, "Reset");
	REQ_STATUS(hc_cmd(b, HCI_OP_RESET, NULL, 0, NULL, NULL), 0, "Reset");
	REQ_STATUS(hc_cmd(a, HCI_OP_READ_BD_ADDR, NULL, 0, rp, &rl), 0, "Read BD_ADDR");
	memcpy(addr_a, rp + 1, 6);
	REQ_STATUS(hc_cmd(a, HCI_OP_READ_LOCAL_COMMANDS, NULL, 0, rp, &rl), 0, "Read Local Commands");
	PROC_REQUIRE(rl == 65 && (rp[1 + 36] & 0xac) == 0xac && (rp[1 + 37] & 0x61) == 0x61,
		     "the extended commands are not offered");
	REQ_STATUS(hc_cmd(a, HCI_OP_LE_READ_NUM_ADV_SETS, NULL, 0, rp, &rl), 0, "Read Number of Sets");
	PROC_REQUIRE(rl == 2 && rp[1] >= 1, "%u advertising sets", rl == 2 ? rp[1] : 0);
	for (int *c = (int[]){ a, b, -1 }; *c >= 0; c++) {
		REQ_STATUS(hc_cmd(*c, HCI_OP_SET_EVENT_MASK, ev_mask_le, 8, NULL, NULL), 0, "Set Event Mask");
		REQ_STATUS(hc_cmd(*c, HCI_OP_LE_SET_EVENT_MASK, le_mask, 8, NULL, NULL), 0,
			   "LE Set Event Mask");
	}

	/* b scans the extended way */
	REQ_STATUS(hc_cmd(b, HCI_OP_LE_SET_EXT_SCAN_PARAMS, scan_params, 8, NULL, NULL), 0,
		   "LE Set Extended Scan Parameters");
	REQ_STATUS(hc_cmd(b, HCI_OP_LE_SET_EXT_SCAN_ENABLE, scan_on, 6, NULL, NULL), 0,
		   "LE Set Extended Scan Enable");

	/* a sends one PDU twice from set 3 */
	REQ_STATUS(hc_cmd(a, HCI_OP_LE_SET_EXT_ADV_DATA, data_cmd, sizeof(data_cmd), NULL, NULL),
		   HCI_ERR_UNKNOWN_ADV_ID, "data for a set that does not exist");
	REQ_STATUS(hc_cmd(a, HCI_OP_LE_SET_EXT_ADV_PARAMS, ext_params, 25, rp, &rl), 0,
		   "LE Set Extended Advertising Parameters");
	PROC_REQUIRE(rl == 2, "Set Extended Advertising Parameters returned %zu octets", rl);
	REQ_STATUS(hc_cmd(a, HCI_OP_LE_SET_EXT_ADV_DATA, data_cmd, sizeof(data_cmd), NULL, NULL), 0,
		   "LE Set Extended Advertising Data");
	REQ_STATUS(hc_cmd(a, HCI_OP_LE_SET_EXT_ADV_ENABLE, enable_2, 6, NULL, NULL), 0,
		   "LE Set Extended Advertising Enable");
	deadline = mono_ms() + 1000;
	while (hc_event(a, ev, deadline) == 1) {
		if (ev[0] != HCI_EV_LE_META || ev[2] != HCI_LE_ADV_SET_TERMINATED)
			continue;
		PROC_REQUIRE(ev[1] == 6 && ev[3] == HCI_ERR_LIMIT_REACHED && ev[4] == 0x03 &&
			     ev[7] == 2, "LE Advertising Set Terminated: status 0x%02x, handle %u, "
			     "%u events", ev[3], ev[4], ev[7]);
		terminated++;
	}
	PROC_REQUIRE(terminated == 1, "%u LE Advertising Set Terminated events, want 1", terminated);
	memset(&rep, 0, sizeof(rep));
	memcpy(rep.addr, addr_a, 6);
	rep.data = adv_data;
	rep.data_len = sizeof(adv_data);
	PROC_REQUIRE(hc_collect(b, 300, &rep) == 0, "b's event stream broke");
	PROC_REQUIRE(rep.from_addr == 2 && rep.bad == 0 && rep.events == 0 && rep.ext_events >= 1,
		     "b heard %u reports from a (%u wrong) in %u legacy and %u extended events, "
		     "want 2 in extended ones", rep.from_addr, rep.bad, rep.events, rep.ext_events);

	/* legacy commands after extended ones: refused */
	REQ_STATUS(hc_cmd(a, HCI_OP_LE_SET_ADV_PARAMS, legacy_params, 15, NULL, NULL),
		   HCI_ERR_COMMAND_DISALLOWED, "legacy advertising after extended");
	REQ_STATUS(hc_cmd(b, HCI_OP_LE_SET_SCAN_ENABLE, "\x00\x00", 2, NULL, NULL),
		   HCI_ERR_COMMAND_DISALLOWED, "legacy scanning after extended");
	/* the set is gone once removed */
	REQ_STATUS(hc_cmd(a, HCI_OP_LE_REMOVE_ADV_SET, "\x03", 1, NULL, NULL), 0, "Remove Set");
	REQ_STATUS(hc_cmd(a, HCI_OP_LE_REMOVE_ADV_SET, "\x03", 1, NULL, NULL),
		   HCI_ERR_UNKNOWN_ADV_ID, "Remove Set twice");
	/* until a Reset */
	REQ_STATUS(hc_cmd(a, HCI_OP_RESET, NULL, 0, NULL, NULL), 0, "Reset");
	REQ_STATUS(hc_cmd(a, HCI_OP_LE_SET_ADV_PARAMS, legacy_params, 15, NULL, NULL), 0,
		   "legacy advertising after a Reset");
	close(a);
	close(b);
	vair_stop(&air);
	vair_free(&air);
}
END_TEST

/* vair --adv-sets N: a controller offers N extended advertising sets and no
 * more; an advertising event takes its airtime (its PDU on each of the three
 * channels, 8 us an octet, 150 us between channels), the sets of one
 * controller take turns on its one radio, events repeat at the interval
 * (20 ms here) at the earliest, and the stats line counts the host's
 * advertisements, events and airtime. */
START_TEST(test_vair_adv_sets)
{
	static const char *const two[] = { "--adv-sets", "2", NULL };
	static const uint8_t le_mask[8] = { 0x00, 0x00, 0x02 }; /* LE Advertising Set Terminated */
	static const uint8_t adv_data[] = { 0x05, 0x09, 'v', 'a', 'i', 'r' };
	/* handle, ADV_NONCONN_IND, 20 ms, all channels, public address, 1M */
	uint8_t params[25] = {
		0x00, 0x10, 0x00, 0x20, 0x00, 0x00, 0x20, 0x00, 0x00, 0x07, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x7f, 0x01, 0x00, 0x01, 0x00, 0x00,
	};
	/* both sets at once, 3 events each */
	static const uint8_t enable[10] = { 0x01, 0x02, 0x00, 0x00, 0x00, 0x03,
					    0x01, 0x00, 0x00, 0x03 };
	/* (preamble, access address, header, AdvA, CRC: 16 octets) + data, 3 channels */
	const unsigned long event_us = 3 * (16 + sizeof(adv_data)) * 8 + 2 * 150;
	uint8_t rp[256], ev[257];
	size_t rl = 0;
	uint64_t t0, deadline, last = 0;
	unsigned terminated = 0;
	struct vair air;
	int a;

	air_start(&air, false, two);
	a = hc_connect(air.sock);
	PROC_REQUIRE(a >= 0, "cannot connect to %s", air.sock);
	REQ_STATUS(hc_cmd(a, HCI_OP_RESET, NULL, 0, NULL, NULL), 0, "Reset");
	REQ_STATUS(hc_cmd(a, HCI_OP_SET_EVENT_MASK, ev_mask_le, 8, NULL, NULL), 0, "Set Event Mask");
	REQ_STATUS(hc_cmd(a, HCI_OP_LE_SET_EVENT_MASK, le_mask, 8, NULL, NULL), 0,
		   "LE Set Event Mask");
	REQ_STATUS(hc_cmd(a, HCI_OP_LE_READ_NUM_ADV_SETS, NULL, 0, rp, &rl), 0, "Read Number of Sets");
	PROC_REQUIRE(rl == 2 && rp[1] == 2, "%u advertising sets, want 2", rl == 2 ? rp[1] : 0);
	for (uint8_t h = 0; h < 2; h++)
		ext_set_create(a, h, adv_data, sizeof(adv_data));
	params[0] = 2;
	REQ_STATUS(hc_cmd(a, HCI_OP_LE_SET_EXT_ADV_PARAMS, params, 25, NULL, NULL), 0x07,
		   "a third set (Memory Capacity Exceeded)");
	t0 = mono_ms();
	REQ_STATUS(hc_cmd(a, HCI_OP_LE_SET_EXT_ADV_ENABLE, enable, sizeof(enable), NULL, NULL), 0,
		   "LE Set Extended Advertising Enable");
	deadline = mono_ms() + 2000;
	while (terminated < 2 && hc_event(a, ev, deadline) == 1) {
		if (ev[0] != HCI_EV_LE_META || ev[2] != HCI_LE_ADV_SET_TERMINATED)
			continue;
		PROC_REQUIRE(ev[3] == HCI_ERR_LIMIT_REACHED && ev[7] == 3,
			     "LE Advertising Set Terminated: status 0x%02x, %u events", ev[3], ev[7]);
		terminated++;
		last = mono_ms();
	}
	PROC_REQUIRE(terminated == 2, "%u LE Advertising Set Terminated events, want 2", terminated);
	/* three events: two intervals of at least 20 ms */
	PROC_REQUIRE(last - t0 >= 40, "3 events at a 20 ms interval took %llu ms",
		     (unsigned long long)(last - t0));
	close(a);
	vair_stop(&air);
	ck_assert_uint_eq(vair_stat(&air, "host_adv_enables"), 2);
	ck_assert_uint_eq(vair_stat(&air, "host_adv_events"), 6);
	ck_assert_uint_eq(vair_stat(&air, "host_airtime_us"), 6 * event_us);
	/* enabled together: the second set's first event waited for the first's */
	ck_assert_uint_ge(vair_stat(&air, "deferred_events"), 1);
	vair_free(&air);
}
END_TEST

/* Sets that wait for the radio get it in the order they began to wait: set 0
 * takes the radio, sets 1-7, enabled with it in one command, wait, and a
 * scanner hears their first events as 0, 1, ..., 7. (Timers due at one moment fire
 * in no set order; a device's Link Close was heard before its Transaction
 * ACK that way.) */
START_TEST(test_vair_adv_sets_order)
{
	static const char *const eight[] = { "--adv-sets", "8", NULL };
	static const uint8_t scan_params[7] = { 0x00, 0x10, 0x00, 0x10, 0x00, 0x00, 0x00 };
	static const uint8_t scan_on[2] = { 0x01, 0x00 };
	/* the eight sets in one command, one event each */
	uint8_t enable[2 + 8 * 4] = { 0x01, 8 };
	uint8_t ev[257];
	char heard[9] = "";
	size_t nheard = 0;
	uint64_t deadline;
	struct vair air;
	int a, b;

	for (uint8_t h = 0; h < 8; h++) {
		enable[2 + 4 * h] = h; /* handle, no duration, one event */
		enable[2 + 4 * h + 3] = 1;
	}
	air_start(&air, false, eight);
	a = hc_connect(air.sock);
	b = hc_connect(air.sock);
	PROC_REQUIRE(a >= 0 && b >= 0, "cannot connect to %s", air.sock);
	for (int *c = (int[]){ a, b, -1 }; *c >= 0; c++) {
		REQ_STATUS(hc_cmd(*c, HCI_OP_RESET, NULL, 0, NULL, NULL), 0, "Reset");
		REQ_STATUS(hc_cmd(*c, HCI_OP_SET_EVENT_MASK, ev_mask_le, 8, NULL, NULL), 0,
			   "Set Event Mask");
	}
	for (uint8_t h = 0; h < 8; h++) {
		const uint8_t ad[6] = { 0x05, 0x09, 's', 'e', 't', (uint8_t)('0' + h) };

		ext_set_create(a, h, ad, sizeof(ad));
	}
	REQ_STATUS(hc_cmd(b, HCI_OP_LE_SET_SCAN_PARAMS, scan_params, 7, NULL, NULL), 0,
		   "LE Set Scan Parameters");
	REQ_STATUS(hc_cmd(b, HCI_OP_LE_SET_SCAN_ENABLE, scan_on, 2, NULL, NULL), 0,
		   "LE Set Scan Enable");
	REQ_STATUS(hc_cmd(a, HCI_OP_LE_SET_EXT_ADV_ENABLE, enable, sizeof(enable), NULL, NULL), 0,
		   "LE Set Extended Advertising Enable");
	deadline = mono_ms() + 1000;
	while (nheard < 8 && hc_event(b, ev, deadline) == 1) {
		size_t off = 4;

		if (ev[0] != HCI_EV_LE_META || ev[2] != HCI_LE_ADV_REPORT)
			continue;
		/* Num_Reports, then each: type, address type, address, length, data, RSSI */
		for (unsigned i = 0; i < ev[3] && off + 9 <= 2u + ev[1]; i++) {
			uint8_t len = ev[off + 8];

			if (off + 9 + len + 1 > 2u + ev[1])
				break;
			if (len == 6 && memcmp(ev + off + 9, "\x05\x09set", 5) == 0 && nheard < 8)
				heard[nheard++] = (char)ev[off + 9 + 5];
			off += 9 + len + 1;
		}
	}
	close(a);
	close(b);
	vair_stop(&air);
	PROC_REQUIRE(nheard == 8, "heard %zu of the 8 sets' events", nheard);
	ck_assert_str_eq(heard, "01234567");
	ck_assert_uint_ge(vair_stat(&air, "deferred_events"), 7);
	vair_free(&air);
}
END_TEST

/* A controller that is gone before the first command (here: a connection
 * whose other end is closed, so the first write fails): meshprov says so and
 * exits at once. It used to report it before its event loop ran, where the
 * loop forgot it, and then waited for --timeout (issue 10, defect 6: a raw
 * socket on a controller that is down, "Network is down"). */
START_TEST(test_dead_controller_fails_at_once)
{
	char errlog[PATH_MAX], hci[32], st[64], *err;
	const char *argv[8];
	struct proc_opts o = { .capture_stdout = true, .ignore_sigpipe = false };
	struct proc p;
	int sv[2];

	PROC_REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair: %s", strerror(errno));
	close(sv[1]);
	snprintf(hci, sizeof(hci), "fd:%d", sv[0]);
	snprintf(errlog, sizeof(errlog), "%s/dead.err", g_dir);
	argv[0] = g_meshprov;
	argv[1] = "--hci";
	argv[2] = hci;
	argv[3] = "scan";
	argv[4] = "--timeout";
	argv[5] = "600"; /* far beyond the bound below: waiting for it is the bug */
	argv[6] = NULL;
	o.stderr_path = errlog;
	PROC_REQUIRE(proc_spawn(&p, argv, &o) == 0, "cannot start meshprov: %s", strerror(errno));
	close(sv[0]);
	if (proc_wait(&p, SCAN_GRACE_MS) < 0) {
		proc_stop(&p, SIGKILL, 1000);
		proc_cleanup_all();
		ck_abort_msg("meshprov waited on a dead controller (still %s after %d ms)",
			     proc_status_str(&p, st, sizeof(st)), SCAN_GRACE_MS);
	}
	err = file_or_empty(errlog);
	ck_assert_msg(proc_exit_code(&p) == 1, "%s; stderr:\n%s", proc_status_str(&p, st, sizeof(st)),
		      err);
	ck_assert_msg(strstr(err, "write failed") || strstr(err, "connection closed"),
		      "no reason given; stderr:\n%s", err);
	free(err);
	proc_free(&p);
}
END_TEST

/* ---- (e) the same scan over BlueZ's btvirt ---- */

START_TEST(test_scan_btvirt)
{
	struct btvirt_env bt;
	char errlog[PATH_MAX];
	struct vair air;
	struct proc scan;

	if (!btvirt_begin(&bt, "btvirt end-to-end", g_meshprov, g_vair, g_dir, sizeof(g_dir)))
		return;
	snprintf(errlog, sizeof(errlog), "%s/meshprov.err", g_dir);

	/* the devices as btvirt clients, then meshprov as one more */
	btvirt_vair_start(&bt, &air, g_dir, false, dev_specs());
	run_scan(&scan, btvirt_meshprov(&bt), air.hci, "3", (const char *const[]){ "--json", NULL },
		 errlog);
	PROC_REQUIRE(btvirt_alive(&bt, 0), "btvirt died during the scan; its log:\n%s",
		     file_or_empty(bt.log));
	btvirt_finish(&bt, &air);

	check_exit0(&scan, errlog, "meshprov scan over btvirt");
	check_scan_json(scan.out, false, true);
	proc_free(&scan);
	vair_free(&air);
}
END_TEST

static Suite *scan_e2e_suite(void)
{
	Suite *s = suite_create("scan_e2e");
	TCase *air = tcase_create("virtual_air");
	TCase *bt = tcase_create("btvirt");

	tcase_add_unchecked_fixture(air, base_setup, base_teardown);
	tcase_add_checked_fixture(air, test_setup, test_teardown);
	tcase_set_timeout(air, TEST_TIMEOUT_S);
	tcase_add_test(air, test_vair_controller);
	tcase_add_test(air, test_vair_extended);
	tcase_add_test(air, test_vair_adv_sets);
	tcase_add_test(air, test_vair_adv_sets_order);
	tcase_add_test(air, test_dead_controller_fails_at_once);
	tcase_add_test(air, test_scan_json);
	tcase_add_test(air, test_scan_aligenie_only);
	tcase_add_test(air, test_scan_lossy_air);
	tcase_add_test(air, test_scan_text);
	tcase_add_test(air, test_scan_multi_report_events);
	suite_add_tcase(s, air);

	tcase_add_unchecked_fixture(bt, base_setup, base_teardown);
	tcase_add_checked_fixture(bt, test_setup, test_teardown);
	tcase_set_timeout(bt, TEST_TIMEOUT_S);
	tcase_add_test(bt, test_scan_btvirt);
	suite_add_tcase(s, bt);
	return s;
}

CHECK_MAIN(scan_e2e_suite)
