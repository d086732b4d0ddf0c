/* End-to-end: `meshprov provision` (and `nodes`) against simulated devices on
 * the virtual air (build/vair/vair), and on BlueZ's btvirt when a working one
 * is available. The devices report what they did (vair --report: JSON lines),
 * so each test checks the provisioner's view (its JSON), the device's view
 * (the report) and the database (the CDB file) against each other.
 *
 * Binaries: $MESHPROV_BIN (default ./meshprov), $VAIR_BIN (default
 * ./build/vair/vair), $BTVIRT (default: btvirt in PATH, or the one
 * shared/tools/build-btvirt caches). */
#include <check.h>
#include <errno.h>
#include <json.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "btsnoop_read.h"
#include "btvirt.h"
#include "check_main.h"
#include "e2e.h"
#include "hci.h"
#include "proc.h"
#include "util.h"

#define TEST_TIMEOUT_S 90
#define RUN_MS 45000          /* one meshprov run, at most */

/* The devices. AliGenie UUIDs worked out by hand from the layout (CID a801,
 * PID flags 71, ProductID LE, MAC reversed, feature flag, flags2, 0000), not
 * by the code under test. */
#define ALI_A_SPEC "aligenie:602,78:da:07:c1:1c:a8,1565d0497400c999e984cffa4da4fdf9"
#define ALI_A_UUID "a801715a020000a81cc107da78021000"
#define ALI_A_SECRET "1565d0497400c999e984cffa4da4fdf9"

#define ALI_B_SPEC "aligenie:603,78:da:07:c1:1c:a9,0123456789abcdef0123456789abcdef"
#define ALI_B_UUID "a801715b020000a91cc107da78021000"
#define ALI_B_SECRET "0123456789abcdef0123456789abcdef"
#define ALI_B_WRONG "0123456789abcdef0123456789abcdee"

#define ALI_RB_SPEC "aligenie:0x1234,28fa7a0191da,00112233445566778899aabbccddeeff,random-auth"
#define ALI_RB_UUID "a8017134120000da91017afa28021200"
#define ALI_RB_SECRET "00112233445566778899aabbccddeeff"

#define ALG_CMAC "BTM_ECDH_P256_CMAC_AES128_AES_CCM"
#define ALG_HMAC "BTM_ECDH_P256_HMAC_SHA256_AES_CCM"

#define CONF_FAILED_SECRET                                                                    \
	"device sent Provisioning Failed (Confirmation Failed, 0x04) in answer to Provisioning " \
	"Random: it rejected our confirmation, check --secret"

static void base_setup(void)
{
	e2e_suite_setup("meshprov-prov-e2e", RUN_MS);
}

/* ---- the air ---- */

/* vair --socket in this test's directory with --report, these devices
 * (NULL-terminated) and extra arguments (may be NULL). */
static void air_start(struct vair *a, const char *const *devices, const char *const *extra)
{
	vair_start(a, e2e_vair, e2e_dir, true, devices, extra);
	e2e_air = a;
}

static void air_free(struct vair *a)
{
	vair_free(a);
	if (e2e_air == a)
		e2e_air = NULL;
}

/* ---- meshprov ---- */

/* On the test's air: meshprov --hci ... --db ... ARGS... */
#define RUN(r, ...) run_hci((r), NULL, e2e_air->hci, __VA_ARGS__, (const char *)NULL)

/* ---- the database ---- */

/* netKeys[0].key */
static void db_netkey(struct json_object *db, char out[33])
{
	struct json_object *keys = jsonl_get(db, "netKeys"), *k0;

	REQ(keys && json_object_is_type(keys, json_type_array) && json_object_array_length(keys) > 0,
	    "the database has no netKeys");
	k0 = json_object_array_get_idx(keys, 0);
	snprintf(out, 33, "%s", jstr(k0, "key"));
}

/* The provisioned nodes: every node but meshprov's own, whose UUID is that of
 * the provisioner named "meshprov". */
static size_t db_node_count(struct json_object *db)
{
	struct json_object *nodes = jsonl_get(db, "nodes");
	struct json_object *provs = jsonl_get(db, "provisioners");
	const char *self = NULL;
	size_t n = 0;

	if (!nodes || !json_object_is_type(nodes, json_type_array))
		return 0;
	for (size_t i = 0; provs && i < json_object_array_length(provs); i++) {
		struct json_object *pv = json_object_array_get_idx(provs, i);
		struct json_object *name = jsonl_get(pv, "provisionerName");

		if (name && !strcmp(json_object_get_string(name), "meshprov"))
			self = json_object_get_string(jsonl_get(pv, "UUID"));
	}
	REQ(self != NULL, "the database has no provisioner named meshprov");
	for (size_t i = 0; i < json_object_array_length(nodes); i++) {
		struct json_object *u = jsonl_get(json_object_array_get_idx(nodes, i), "UUID");

		if (!u || !hex_eq(json_object_get_string(u), self))
			n++;
	}
	return n;
}

/* ---- checks ---- */

struct want {
	const char *uuid;
	int unicast;
	int elements;
	const char *algorithm;
	const char *auth;
};

/* A successful run: meshprov's JSON, the device's report and the database
 * agree on the node. */
static void check_provisioned(const struct vair *a, const struct run *r, const struct want *w)
{
	struct json_object *o = r->json, *ev, *db, *node;
	char netkey[33], addr[8];
	const char *devkey;

	expect_exit(r, 0);
	REQ(o && json_object_is_type(o, json_type_object), "stdout is not one JSON object: %s",
	    run_desc(r));
	REQ(!strcmp(jstr(o, "uuid"), w->uuid), "JSON uuid %s, want %s", jstr(o, "uuid"), w->uuid);
	REQ(jint(o, "unicast") == w->unicast, "JSON unicast %lld, want %d",
	    (long long)jint(o, "unicast"), w->unicast);
	REQ(jint(o, "elements") == w->elements, "JSON elements %lld, want %d",
	    (long long)jint(o, "elements"), w->elements);
	REQ(jint(o, "net_key_index") == 0, "JSON net_key_index %lld", (long long)jint(o, "net_key_index"));
	REQ(!strcmp(jstr(o, "algorithm"), w->algorithm), "JSON algorithm %s, want %s",
	    jstr(o, "algorithm"), w->algorithm);
	REQ(!strcmp(jstr(o, "auth"), w->auth), "JSON auth %s, want %s", jstr(o, "auth"), w->auth);
	devkey = jstr(o, "device_key");
	REQ(strlen(devkey) == 32, "JSON device_key '%s' is not 32 hex digits", devkey);
	REQ(!jsonl_get(o, "error"), "a successful run has an \"error\": %s", run_desc(r));

	/* the device's view */
	ev = report_wait(a, w->uuid, "provisioned", 1);
	db = db_load();
	db_netkey(db, netkey);
	REQ(hex_eq(jstr(ev, "net_key"), netkey), "device got NetKey %s, the database has %s",
	    jstr(ev, "net_key"), netkey);
	REQ(jint(ev, "net_key_index") == 0, "device got NetKey index %lld",
	    (long long)jint(ev, "net_key_index"));
	REQ(jint(ev, "iv_index") == 0, "device got IV Index %lld", (long long)jint(ev, "iv_index"));
	REQ(jint(ev, "flags") == 0, "device got flags %lld", (long long)jint(ev, "flags"));
	REQ(jint(ev, "unicast") == w->unicast, "device got unicast 0x%04llx, want 0x%04x",
	    (long long)jint(ev, "unicast"), w->unicast);
	REQ(hex_eq(jstr(ev, "device_key"), devkey), "device key: device %s, meshprov %s",
	    jstr(ev, "device_key"), devkey);
	REQ(!strcmp(jstr(ev, "algorithm"), w->algorithm), "device algorithm %s, want %s",
	    jstr(ev, "algorithm"), w->algorithm);
	REQ(!strcmp(jstr(ev, "auth"), w->auth), "device auth %s, want %s", jstr(ev, "auth"),
	    w->auth);

	/* the database's */
	node = db_node(db, w->uuid);
	REQ(node != NULL, "no node %s in the database", w->uuid);
	snprintf(addr, sizeof(addr), "%04X", w->unicast);
	REQ(!strcasecmp(jstr(node, "unicastAddress"), addr), "database unicastAddress %s, want %s",
	    jstr(node, "unicastAddress"), addr);
	REQ(hex_eq(jstr(node, "deviceKey"), devkey), "database deviceKey %s, meshprov said %s",
	    jstr(node, "deviceKey"), devkey);
	json_object_put(db);
	json_object_put(ev);
}

/* The database file: mode 0600. */
static void check_db_mode(void)
{
	struct stat st;

	REQ(stat(e2e_db, &st) == 0, "no database at %s", e2e_db);
	REQ((st.st_mode & 07777) == 0600, "database mode %04o, want 0600",
	    (unsigned)(st.st_mode & 07777));
}

/* A failed run: exit 1, and with --json an "error" (and error_code when code > 0). */
static void check_failed_json(const struct run *r, const char *uuid, const char *text, int code)
{
	struct json_object *o = r->json;

	expect_exit(r, 1);
	REQ(o && json_object_is_type(o, json_type_object), "stdout is not one JSON object: %s",
	    run_desc(r));
	REQ(!strcmp(jstr(o, "uuid"), uuid), "JSON uuid %s, want %s", jstr(o, "uuid"), uuid);
	REQ(strstr(jstr(o, "error"), text) != NULL, "JSON error \"%s\" does not say \"%s\"",
	    jstr(o, "error"), text);
	if (code > 0)
		REQ(jint(o, "error_code") == code, "JSON error_code %lld, want %d",
		    (long long)jint(o, "error_code"), code);
	REQ(!jsonl_get(o, "device_key") && !jsonl_get(o, "unicast"),
	    "a failed run reports a node: %s", run_desc(r));
}

/* stderr is exactly one line and says text. */
static void check_one_line(const struct run *r, const char *text)
{
	const char *nl = strchr(r->err, '\n');

	REQ(strstr(r->err, text) != NULL, "stderr does not say \"%s\": %s", text, run_desc(r));
	REQ(nl && nl[1] == '\0', "stderr is not one line: %s", run_desc(r));
}

static char *snapshot_db(size_t *len)
{
	char *s = read_file_str(e2e_db, len);

	REQ(s != NULL, "cannot read the database %s", e2e_db);
	return s;
}

static void check_db_unchanged(const char *before, size_t len)
{
	size_t now_len = 0;
	char *now = read_file_str(e2e_db, &now_len);

	REQ(now != NULL, "the database %s is gone", e2e_db);
	REQ(now_len == len && !memcmp(now, before, len),
	    "the database changed on a failed run:\nbefore:\n%s\nafter:\n%s", before, now);
	free(now);
}

static void provision_ok(const char *uuid, int unicast, int elements, const char *alg,
			 const char *auth, ...) __attribute__((sentinel));

/* provision --uuid UUID ARGS... --json, which must succeed as wanted. */
static void provision_ok(const char *uuid, int unicast, int elements, const char *alg,
			 const char *auth, ...)
{
	const char *args[40];
	struct want w = { uuid, unicast, elements, alg, auth };
	struct run r;
	va_list ap;
	int n = 0;

	args[n++] = "--hci";
	args[n++] = e2e_air->hci;
	args[n++] = "--db";
	args[n++] = e2e_db;
	args[n++] = "provision";
	args[n++] = "--uuid";
	args[n++] = uuid;
	va_start(ap, auth);
	for (const char *s; (s = va_arg(ap, const char *)) != NULL;) {
		REQ(n < (int)ARRAY_SIZE(args) - 2, "too many meshprov arguments");
		args[n++] = s;
	}
	va_end(ap);
	args[n++] = "--json";
	args[n] = NULL;
	run_argv(&r, NULL, args);
	check_provisioned(e2e_air, &r, &w);
	run_free(&r);
}

/* ---- AliGenie ---- */

START_TEST(test_aligenie_plain)
{
	static const char *const devs[] = { ALI_A_SPEC, NULL };
	struct json_object *db;
	struct vair a;

	air_start(&a, devs, NULL);
	/* the brief's example, word for word */
	provision_ok(ALI_A_UUID, 0x0011, 1, ALG_CMAC, "static-oob", "--pid", "602", "--secret",
		     ALI_A_SECRET, NULL);
	check_db_mode();
	db = db_load();
	REQ(db_node_count(db) == 1, "%zu nodes in the database, want 1", db_node_count(db));
	json_object_put(db);
	json_object_put(report_wait(&a, ALI_A_UUID, "link_open", 1));
	json_object_put(report_wait(&a, ALI_A_UUID, "link_closed", 1));
	vair_stop(&a);
	/* exactly one link, one provisioning */
	REQ(report_scan(&a, ALI_A_UUID, "link_open", NULL, NULL) == 1, "more than one link");
	REQ(report_scan(&a, ALI_A_UUID, "provisioned", NULL, NULL) == 1, "provisioned more than once");
	REQ(report_scan(&a, ALI_A_UUID, "failed", NULL, NULL) == 0, "a failure was reported");
	air_free(&a);
}
END_TEST

/* random-auth in the UUID: the random-bound AuthValue; ProductID and MAC from the UUID */
START_TEST(test_aligenie_random_bound)
{
	static const char *const devs[] = { ALI_RB_SPEC, NULL };
	struct vair a;

	air_start(&a, devs, NULL);
	provision_ok(ALI_RB_UUID, 0x0011, 1, ALG_CMAC, "static-oob", "--secret", ALI_RB_SECRET, NULL);
	vair_stop(&a);
	air_free(&a);
}
END_TEST

static void check_no_secret(const struct run *r, const char *secret)
{
	REQ(!strcasestr(r->p.out, secret), "the secret appears on stdout: %s", run_desc(r));
	REQ(!strcasestr(r->err, secret), "the secret appears on stderr: %s", run_desc(r));
}

START_TEST(test_secret_file_and_env)
{
	static const char *const devs[] = { ALI_A_SPEC, ALI_B_SPEC, NULL };
	struct want wa = { ALI_A_UUID, 0x0011, 1, ALG_CMAC, "static-oob" };
	struct want wb = { ALI_B_UUID, 0x0012, 1, ALG_CMAC, "static-oob" };
	char path[PATH_MAX];
	struct run r;
	struct vair a;
	FILE *f;

	snprintf(path, sizeof(path), "%s/secret", e2e_dir);
	f = fopen(path, "w");
	ck_assert_msg(f != NULL, "cannot write %s", path);
	fprintf(f, "%s\n", ALI_A_SECRET);
	fclose(f);
	chmod(path, 0600);
	air_start(&a, devs, NULL);

	/* -vv: not even debug output may show it */
	run_hci(&r, NULL, a.hci, "-vv", "provision", "--uuid", ALI_A_UUID, "--secret-file", path,
		"--json", (const char *)NULL);
	check_provisioned(&a, &r, &wa);
	check_no_secret(&r, ALI_A_SECRET);
	run_free(&r);

	setenv("MESHPROV_SECRET", ALI_B_SECRET, 1);
	run_hci(&r, NULL, a.hci, "-vv", "provision", "--uuid", ALI_B_UUID, "--json",
		(const char *)NULL);
	unsetenv("MESHPROV_SECRET");
	check_provisioned(&a, &r, &wb);
	check_no_secret(&r, ALI_B_SECRET);
	run_free(&r);
	vair_stop(&a);
	air_free(&a);
}
END_TEST

/* A wrong secret: Confirmation Failed from the device, nothing written; the
 * device listens again and takes the right secret afterwards. */
START_TEST(test_wrong_secret)
{
	static const char *const devs[] = { ALI_A_SPEC, ALI_B_SPEC, NULL };
	struct json_object *ev;
	struct run r;
	struct vair a;
	size_t len;
	char *before;

	air_start(&a, devs, NULL);
	provision_ok(ALI_A_UUID, 0x0011, 1, ALG_CMAC, "static-oob", "--secret", ALI_A_SECRET, NULL);
	before = snapshot_db(&len);

	RUN(&r, "provision", "--uuid", ALI_B_UUID, "--secret", ALI_B_WRONG);
	expect_exit(&r, 1);
	check_one_line(&r, CONF_FAILED_SECRET);
	REQ(r.p.out[0] == '\0', "stdout on failure without --json: %s", run_desc(&r));
	check_no_secret(&r, ALI_B_WRONG);
	run_free(&r);
	check_db_unchanged(before, len);
	ev = report_wait(&a, ALI_B_UUID, "failed", 1);
	REQ(jint(ev, "error") == 4, "device failed with error %lld, want 4 (Confirmation Failed)",
	    (long long)jint(ev, "error"));
	json_object_put(ev);

	RUN(&r, "provision", "--uuid", ALI_B_UUID, "--secret", ALI_B_WRONG, "--json");
	check_failed_json(&r, ALI_B_UUID, CONF_FAILED_SECRET, 4);
	check_no_secret(&r, ALI_B_WRONG);
	run_free(&r);
	check_db_unchanged(before, len);
	json_object_put(report_wait(&a, ALI_B_UUID, "failed", 2));
	REQ(report_scan(&a, ALI_B_UUID, "provisioned", NULL, NULL) == 0,
	    "the device says it was provisioned with a wrong secret");
	free(before);

	/* the device is still unprovisioned and listening */
	provision_ok(ALI_B_UUID, 0x0012, 1, ALG_CMAC, "static-oob", "--secret", ALI_B_SECRET, NULL);
	vair_stop(&a);
	REQ(report_scan(&a, ALI_B_UUID, "link_open", NULL, NULL) == 3, "want 3 links to the device");
	air_free(&a);
}
END_TEST

/* ---- plain devices: the other methods ---- */

#define NOOOB_UUID "00112233445566778899aabbccddee01"
#define NOOOB2_UUID "00112233445566778899aabbccddee02"

START_TEST(test_no_oob)
{
	static const char *const devs[] = { "uuid:" NOOOB_UUID, "uuid:" NOOOB2_UUID ",no-oob", NULL };
	struct vair a;

	air_start(&a, devs, NULL);
	provision_ok(NOOOB_UUID, 0x0011, 1, ALG_CMAC, "no-oob", "--no-oob", NULL);
	/* no auth option, and an AliGenie secret in the environment that must not
	 * turn a plain device into an AliGenie one */
	setenv("MESHPROV_SECRET", "1565d0497400c999e984cffa4da4fdf9", 1);
	provision_ok(NOOOB2_UUID, 0x0012, 1, ALG_CMAC, "no-oob", NULL);
	unsetenv("MESHPROV_SECRET");
	vair_stop(&a);
	air_free(&a);
}
END_TEST

#define STATIC16_UUID "00112233445566778899aabbccddee16"
#define STATIC16 "00112233445566778899aabbccddeeff"

START_TEST(test_static_oob_16)
{
	static const char *const devs[] = { "uuid:" STATIC16_UUID ",static=" STATIC16, NULL };
	struct vair a;

	air_start(&a, devs, NULL);
	provision_ok(STATIC16_UUID, 0x0011, 1, ALG_CMAC, "static-oob", "--static-oob", STATIC16,
		     NULL);
	vair_stop(&a);
	air_free(&a);
}
END_TEST

#define STATIC32_UUID "00112233445566778899aabbccddee32"
#define STATIC32 "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

START_TEST(test_static_oob_32_hmac)
{
	static const char *const devs[] = {
		"uuid:" STATIC32_UUID ",static=" STATIC32 ",algs=0x0003", NULL
	};
	struct vair a;

	air_start(&a, devs, NULL);
	provision_ok(STATIC32_UUID, 0x0011, 1, ALG_HMAC, "static-oob", "--static-oob", STATIC32,
		     NULL);
	vair_stop(&a);
	air_free(&a);
}
END_TEST

#define OUTPUT_UUID "00112233445566778899aabbccddee0a"
#define OUTPUT_VALUE "4096"

/* Output OOB: a wrong value fails (Confirmation Failed), the right one works. */
START_TEST(test_output_oob)
{
	static const char *const devs[] = { "uuid:" OUTPUT_UUID ",output=numeric:" OUTPUT_VALUE,
					    NULL };
	struct json_object *ev;
	struct run r;
	struct vair a;

	air_start(&a, devs, NULL);
	RUN(&r, "provision", "--uuid", OUTPUT_UUID, "--output-oob", "--auth-value", "4095", "--json");
	check_failed_json(&r, OUTPUT_UUID, "Confirmation Failed", 4);
	run_free(&r);
	ev = report_wait(&a, OUTPUT_UUID, "output", 1);
	REQ(!strcmp(jstr(ev, "value"), OUTPUT_VALUE), "device showed %s, want " OUTPUT_VALUE,
	    jstr(ev, "value"));
	json_object_put(ev);
	REQ(access(e2e_db, F_OK) != 0, "a failed first run wrote the database");

	provision_ok(OUTPUT_UUID, 0x0011, 1, ALG_CMAC, "output-oob", "--output-oob", "--auth-value",
		     OUTPUT_VALUE, NULL);
	vair_stop(&a);
	air_free(&a);
}
END_TEST

#define PUBKEY_UUID "00112233445566778899aabbccddee0b"

/* The device's public key known out of band (from its report). */
START_TEST(test_pubkey_oob)
{
	static const char *const devs[] = { "uuid:" PUBKEY_UUID ",pubkey-oob", NULL };
	struct json_object *ev;
	char key[160];
	struct vair a;

	air_start(&a, devs, NULL);
	ev = report_wait(&a, PUBKEY_UUID, "public_key", 1);
	snprintf(key, sizeof(key), "%s", jstr(ev, "key"));
	json_object_put(ev);
	REQ(strlen(key) == 128, "public key '%s' is not 64 octets", key);
	provision_ok(PUBKEY_UUID, 0x0011, 1, ALG_CMAC, "no-oob", "--device-public-key", key, NULL);
	vair_stop(&a);
	air_free(&a);
}
END_TEST

/* ---- addresses and the node list ---- */

#define ROW1_UUID "00112233445566778899aabbccdd0001"
#define ROW2_UUID "00112233445566778899aabbccdd0002"

/* nodes --json: the array; check it holds exactly these (uuid, unicast) pairs. */
static void check_nodes(const struct vair *a, const char *const *uuids, const int *unicasts, int n)
{
	struct json_object *arr;
	struct run r;

	run_hci(&r, NULL, a->hci, "nodes", "--json", (const char *)NULL);
	expect_exit(&r, 0);
	arr = r.json;
	REQ(arr && json_object_is_type(arr, json_type_array), "nodes --json: not an array: %s",
	    run_desc(&r));
	REQ((int)json_object_array_length(arr) == n, "nodes --json lists %zu nodes, want %d: %s",
	    json_object_array_length(arr), n, r.p.out);
	for (int i = 0; i < n; i++) {
		bool found = false;

		for (size_t j = 0; j < json_object_array_length(arr); j++) {
			struct json_object *o = json_object_array_get_idx(arr, j);

			if (hex_eq(jstr(o, "uuid"), uuids[i])) {
				REQ(jint(o, "unicast") == unicasts[i], "node %s at %lld, want %d",
				    uuids[i], (long long)jint(o, "unicast"), unicasts[i]);
				REQ(!jsonl_get(o, "device_key") && !jsonl_get(o, "deviceKey"),
				    "nodes --json shows a device key");
				found = true;
			}
		}
		REQ(found, "nodes --json does not list %s: %s", uuids[i], r.p.out);
	}
	run_free(&r);
}

START_TEST(test_two_in_a_row)
{
	static const char *const devs[] = { "uuid:" ROW1_UUID, "uuid:" ROW2_UUID, NULL };
	static const char *const both[] = { ROW1_UUID, ROW2_UUID };
	static const int both_addr[] = { 0x0011, 0x0012 };
	struct json_object *db;
	struct run r;
	struct vair a;

	air_start(&a, devs, NULL);
	provision_ok(ROW1_UUID, 0x0011, 1, ALG_CMAC, "no-oob", NULL);
	provision_ok(ROW2_UUID, 0x0012, 1, ALG_CMAC, "no-oob", NULL);
	check_nodes(&a, both, both_addr, 2);

	run_hci(&r, NULL, a.hci, "nodes", "remove", ROW1_UUID, (const char *)NULL);
	expect_exit(&r, 0);
	run_free(&r);
	check_nodes(&a, both + 1, both_addr + 1, 1);
	db = db_load();
	REQ(db_node(db, ROW1_UUID) == NULL, "the removed node is still in the database");
	REQ(db_node(db, ROW2_UUID) != NULL, "the other node went too");
	json_object_put(db);
	check_db_mode();

	/* the device itself is still provisioned: it no longer beacons */
	RUN(&r, "provision", "--uuid", ROW1_UUID, "--wait", "1", "--json");
	check_failed_json(&r, ROW1_UUID, "no beacon from " ROW1_UUID, 0);
	run_free(&r);
	vair_stop(&a);
	REQ(report_scan(&a, ROW1_UUID, "link_open", NULL, NULL) == 1, "a provisioned device took a link");
	air_free(&a);
}
END_TEST

#define MULTI_UUID "00112233445566778899aabbccdd0003"
#define AFTER_UUID "00112233445566778899aabbccdd0004"

START_TEST(test_multi_element)
{
	static const char *const devs[] = { "uuid:" MULTI_UUID ",elements=3", "uuid:" AFTER_UUID,
					    NULL };
	struct json_object *ev;
	struct vair a;

	air_start(&a, devs, NULL);
	provision_ok(MULTI_UUID, 0x0011, 3, ALG_CMAC, "no-oob", NULL);
	ev = report_wait(&a, MULTI_UUID, "provisioned", 1);
	REQ(jint(ev, "elements") == 3, "the device has %lld elements", (long long)jint(ev, "elements"));
	json_object_put(ev);
	provision_ok(AFTER_UUID, 0x0014, 1, ALG_CMAC, "no-oob", NULL);
	vair_stop(&a);
	air_free(&a);
}
END_TEST

/* ---- failures before any link ---- */

#define NOBODY_UUID "0badc0de0badc0de0badc0de0badc0de"

START_TEST(test_no_beacon)
{
	static const char *const devs[] = { "uuid:" ROW1_UUID, NULL };
	struct run r;
	struct vair a;
	size_t len;
	char *before;

	air_start(&a, devs, NULL);
	provision_ok(ROW1_UUID, 0x0011, 1, ALG_CMAC, "no-oob", NULL);
	before = snapshot_db(&len);
	RUN(&r, "provision", "--uuid", NOBODY_UUID, "--wait", "1");
	expect_exit(&r, 1);
	check_one_line(&r, "no beacon from " NOBODY_UUID " within 1 s");
	run_free(&r);
	RUN(&r, "provision", "--uuid", NOBODY_UUID, "--wait", "1", "--json");
	check_failed_json(&r, NOBODY_UUID, "no beacon from " NOBODY_UUID " within 1 s", 0);
	run_free(&r);
	check_db_unchanged(before, len);
	free(before);
	vair_stop(&a);
	air_free(&a);
}
END_TEST

START_TEST(test_already_a_node)
{
	static const char *const devs[] = { ALI_A_SPEC, NULL };
	struct run r;
	struct vair a;
	size_t len;
	char *before;

	air_start(&a, devs, NULL);
	provision_ok(ALI_A_UUID, 0x0011, 1, ALG_CMAC, "static-oob", "--secret", ALI_A_SECRET, NULL);
	before = snapshot_db(&len);
	RUN(&r, "provision", "--uuid", ALI_A_UUID, "--secret", ALI_A_SECRET);
	REQ(proc_exit_code(&r.p) != 0, "provisioning a node twice succeeded: %s", run_desc(&r));
	REQ(strstr(r.err, "already a node") != NULL, "stderr does not say \"already a node\": %s",
	    run_desc(&r));
	run_free(&r);
	/* --json: the same as one JSON object */
	RUN(&r, "provision", "--uuid", ALI_A_UUID, "--secret", ALI_A_SECRET, "--json");
	check_failed_json(&r, ALI_A_UUID, ALI_A_UUID " is already a node at 0x0011 in ", 0);
	REQ(!jsonl_get(r.json, "error_code"), "an error_code: %s", run_desc(&r));
	run_free(&r);
	check_db_unchanged(before, len);
	free(before);
	vair_stop(&a);
	REQ(report_scan(&a, ALI_A_UUID, "link_open", NULL, NULL) == 1, "a second link was opened");
	air_free(&a);
}
END_TEST

/* ---- devices that stop the protocol ---- */

#define STOP_START_UUID "00112233445566778899aabbccddee0a"
#define STOP_KEY_UUID "00112233445566778899aabbccddee0b"
#define STOP_CLOSE_UUID "00112233445566778899aabbccddee0c"
#define ALI_STOP_SPEC ALI_A_SPEC ",fail-at=start:4"

/* provision --uuid uuid ARGS (at most 2): stderr is exactly "meshprov:
 * text", and with --json the error is exactly text (error_code code, or none
 * when 0). Nothing is written. */
static void check_stops(const char *uuid, const char *a1, const char *a2, const char *text,
			int code)
{
	char line[300];
	struct run r;

	snprintf(line, sizeof(line), "meshprov: %s\n", text);
	RUN(&r, "provision", "--uuid", uuid, a1 ? a1 : "--no-configure", a2);
	expect_exit(&r, 1);
	REQ(!strcmp(r.err, line), "stderr is not exactly \"%s\": %s", text, run_desc(&r));
	run_free(&r);
	RUN(&r, "provision", "--uuid", uuid, "--json", a1 ? a1 : "--no-configure", a2);
	check_failed_json(&r, uuid, text, code);
	REQ(!strcmp(jstr(r.json, "error"), text), "JSON error \"%s\", want \"%s\"",
	    jstr(r.json, "error"), text);
	REQ(code || !jsonl_get(r.json, "error_code"), "an error_code for a closed link: %s",
	    run_desc(&r));
	run_free(&r);
	if (access(e2e_db, F_OK) == 0) {
		struct json_object *db = db_load();

		REQ(db_node_count(db) == 0, "a node was recorded");
		json_object_put(db);
	}
}

/* A device that answers Provisioning Start with Provisioning Failed is
 * reported with its error code and the step; only a Confirmation Failed in
 * answer to our confirmation speaks of the secret. A device that closes the
 * link is reported so, with its reason and the step. */
START_TEST(test_device_stops)
{
	static const char *const devs[] = {
		"uuid:" STOP_START_UUID ",fail-at=start:2",
		"uuid:" STOP_KEY_UUID ",close-at=public-key:2",
		"uuid:" STOP_CLOSE_UUID ",close-at=start:1",
		ALI_STOP_SPEC,
		NULL,
	};
	struct json_object *ev;
	struct vair a;

	air_start(&a, devs, NULL);
	check_stops(STOP_START_UUID, NULL, NULL,
		    "device sent Provisioning Failed (Invalid Format, 0x02) in answer to "
		    "Provisioning Start",
		    2);
	ev = report_wait(&a, STOP_START_UUID, "failed", 1);
	REQ(jint(ev, "error") == 2, "the device sent error %lld, want 2: %s", (long long)jint(ev, "error"), jtext(ev));
	json_object_put(ev);
	check_stops(ALI_A_UUID, "--secret", ALI_A_SECRET,
		    "device sent Provisioning Failed (Confirmation Failed, 0x04) in answer to "
		    "Provisioning Start",
		    4);
	check_stops(STOP_KEY_UUID, NULL, NULL,
		    "device closed the link (Fail, 0x02) after Provisioning Public Key", 0);
	check_stops(STOP_CLOSE_UUID, NULL, NULL,
		    "device closed the link (Timeout, 0x01) after Provisioning Start", 0);
	ev = report_wait(&a, STOP_CLOSE_UUID, "link_closed", 1);
	REQ(jint(ev, "reason") == 1 && !jbool(ev, "by_peer"), "the device's link_closed: %s",
	    jtext(ev));
	json_object_put(ev);
	vair_stop(&a);
	air_free(&a);
}
END_TEST

/* ---- a damaged database: refused before the controller is touched ---- */

/* A database as meshprov writes it: nodes[0] meshprov's own node (0001),
 * nodes[1] at 0011, nodes[2] at 0012; one damage each (issue 10). */
#define DB_SELF_UUID "3777A832-E315-4596-895D-39638C17FFC4"
#define DB_TEMPLATE                                                                                     \
	"{\n \"netKeys\": [{\"index\": 0, \"key\": \"3EBD9050E1500BF4752888946409A398\"}],\n"             \
	" \"appKeys\": [{\"index\": 0, \"boundNetKey\": 0, \"key\": \"8090BBC4A6443EB48C0C56FAB14FF036\"}],\n" \
	" \"provisioners\": %s,\n"                                                                        \
	" \"nodes\": [\n"                                                                                 \
	"  {\"UUID\": \"%s\", \"unicastAddress\": \"0001\", \"sequenceNumber\": %s,\n"                    \
	"   \"deviceKey\": \"8F5FAB6CD90D9F0DA3D6F6E81A7CCB61\", \"elements\": [{}]},\n"                   \
	"  {\"UUID\": \"13B28AF517C8000000000000000000AA\", \"unicastAddress\": \"0011\",\n"             \
	"   \"deviceKey\": \"E577E2C365A3788A9875729831AF5402\", \"elements\": [{}]},\n"                   \
	"  {\"UUID\": \"%s\", \"unicastAddress\": \"%s\",\n"                                           \
	"   \"deviceKey\": \"00112233445566778899AABBCCDDEEFF\", \"elements\": [{}]}],\n"                  \
	" \"ivIndex\": %s\n}\n"
#define DB_PROVS "[{\"provisionerName\": \"meshprov\", \"UUID\": \"" DB_SELF_UUID "\",\n" \
	"   \"allocatedUnicastRange\": [{\"lowAddress\": \"0011\", \"highAddress\": \"7FFF\"}]}]"
#define DB_N2_UUID "13B28AF517C8000000000000000000BB"

START_TEST(test_damaged_database)
{
	static const struct {
		const char *provs, *self_uuid, *seq, *n2_uuid, *n2_addr, *iv;
		const char *want; /* "JSONPATH: problem" */
	} cases[] = {
		{ DB_PROVS, DB_SELF_UUID, "100", "13B28AF5-17C8-0000", "0012", "0",
		  "nodes[2].UUID: not a UUID" },
		{ DB_PROVS, DB_SELF_UUID, "100", DB_N2_UUID, "0011", "0",
		  "nodes[2].unicastAddress: 0011 overlaps nodes[1] (0011)" },
		{ DB_PROVS, DB_SELF_UUID, "-5", DB_N2_UUID, "0012", "0",
		  "nodes[0].sequenceNumber: -5 is out of range" },
		{ DB_PROVS, DB_SELF_UUID, "16777216", DB_N2_UUID, "0012", "0",
		  "nodes[0].sequenceNumber: 16777216 is out of range" },
		{ DB_PROVS, DB_SELF_UUID, "\"100\"", DB_N2_UUID, "0012", "0",
		  "nodes[0].sequenceNumber: not an integer" },
		{ DB_PROVS, DB_SELF_UUID, "100", DB_N2_UUID, "0012", "-1", "ivIndex: -1 is out of range" },
		{ "[]", DB_SELF_UUID, "100", DB_N2_UUID, "0012", "0", "provisioners: empty" },
		{ DB_PROVS, "0BADC0DE0BADC0DE0BADC0DE0BADC0DE", "100", DB_N2_UUID, "0012", "0",
		  "nodes: meshprov's own node (UUID as in provisioners[0]) is missing" },
	};
	static const char *const devs[] = { "uuid:" ROW1_UUID, NULL };
	char text[4096], want[PATH_MAX + 200], snoop[PATH_MAX];
	struct vair a;
	struct run r;

	snprintf(snoop, sizeof(snoop), "%s/hci.btsnoop", e2e_dir);
	air_start(&a, devs, NULL);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		FILE *f = fopen(e2e_db, "w");
		size_t len;
		char *before;

		snprintf(text, sizeof(text), DB_TEMPLATE, cases[i].provs, cases[i].self_uuid, cases[i].seq,
			 cases[i].n2_uuid, cases[i].n2_addr, cases[i].iv);
		REQ(f && fputs(text, f) >= 0 && fclose(f) == 0, "cannot write %s", e2e_db);
		before = snapshot_db(&len);
		snprintf(want, sizeof(want), "meshprov: database %s: %s", e2e_db, cases[i].want);
		RUN(&r, "--btsnoop", snoop, "provision", "--uuid", ROW1_UUID, "--wait", "2");
		expect_exit(&r, 1);
		check_one_line(&r, want);
		REQ(!strncmp(r.err, want, strlen(want)), "stderr does not start with \"%s\": %s", want,
		    run_desc(&r));
		run_free(&r);
		RUN(&r, "--btsnoop", snoop, "provision", "--uuid", ROW1_UUID, "--wait", "2", "--json");
		check_failed_json(&r, ROW1_UUID, cases[i].want, 0);
		run_free(&r);
		check_db_unchanged(before, len);
		free(before);
		/* the capture starts when the controller is opened: never */
		REQ(access(snoop, F_OK) != 0, "%s: meshprov opened the controller (%s exists)", cases[i].want,
		    snoop);
	}
	vair_stop(&a);
	/* the device's own controller is the only one that ever joined the air */
	REQ(vair_stat(&a, "controllers") == 1, "meshprov joined the air for a damaged database:\n%s",
	    a.log_text);
	REQ(report_scan(&a, ROW1_UUID, "link_open", NULL, NULL) == 0, "a link was opened");
	air_free(&a);
}
END_TEST

/* ---- a lossy air: PB-ADV retransmissions carry it through ---- */

START_TEST(test_lossy_air)
{
	static const char *const devs[] = { ALI_A_SPEC, NULL };
	static const char *const lossy[] = { "--loss", "0.2", "--latency", "5", "--jitter", "3", NULL };
	struct vair a;

	air_start(&a, devs, lossy);
	provision_ok(ALI_A_UUID, 0x0011, 1, ALG_CMAC, "static-oob", "--secret", ALI_A_SECRET, NULL);
	vair_stop(&a);
	REQ(vair_stat(&a, "lost") > 0, "the loss model dropped nothing: the test proves nothing");
	air_free(&a);
}
END_TEST

/* ---- Bluetooth 5 controllers, and older ones ---- */

static bool has_op(const uint16_t *ops, size_t n, uint16_t op)
{
	for (size_t i = 0; i < n; i++)
		if (ops[i] == op)
			return true;
	return false;
}

/* Provision on an air whose controllers offer the extended advertising and
 * scanning commands (ext) or only the legacy ones, with a BTSnoop record of
 * what meshprov sent. Like hardware, vair refuses the legacy commands after
 * an extended one and the other way round, so one kind only may be used. */
static void provision_kind(bool ext)
{
	static const char *const devs[] = { ALI_A_SPEC, NULL };
	static const char *const legacy[] = { "--legacy-only", NULL };
	static const uint16_t ext_ops[] = {
		HCI_OP_LE_SET_EXT_SCAN_PARAMS, HCI_OP_LE_SET_EXT_SCAN_ENABLE,
		HCI_OP_LE_READ_NUM_ADV_SETS, HCI_OP_LE_SET_EXT_ADV_PARAMS,
		HCI_OP_LE_SET_EXT_ADV_DATA, HCI_OP_LE_SET_EXT_ADV_ENABLE, HCI_OP_LE_REMOVE_ADV_SET,
	};
	static const uint16_t legacy_ops[] = {
		HCI_OP_LE_SET_SCAN_PARAMS, HCI_OP_LE_SET_SCAN_ENABLE, HCI_OP_LE_SET_ADV_PARAMS,
		HCI_OP_LE_SET_ADV_DATA, HCI_OP_LE_SET_ADV_ENABLE,
	};
	struct want w = { ALI_A_UUID, 0x0011, 1, ALG_CMAC, "static-oob" };
	char snoop[PATH_MAX], err[300];
	uint16_t ops[4096];
	size_t n;
	struct vair a;
	struct run r;

	snprintf(snoop, sizeof(snoop), "%s/hci.snoop", e2e_dir);
	air_start(&a, devs, ext ? NULL : legacy);
	{
		const char *args[] = { "--hci", a.hci, "--db", e2e_db, "--btsnoop", snoop, "-v",
				       "provision", "--uuid", ALI_A_UUID, "--secret", ALI_A_SECRET,
				       "--json", NULL };

		run_argv(&r, NULL, args);
	}
	check_provisioned(&a, &r, &w);
	REQ(strstr(r.err, ext ? "extended scanning, extended advertising" :
			      "legacy scanning, legacy advertising"),
	    "meshprov did not say which commands it uses: %s", run_desc(&r));
	run_free(&r);
	vair_stop(&a);
	REQ(btsnoop_sent_commands(snoop, ops, ARRAY_SIZE(ops), &n, err, sizeof(err)) == 0, "%s", err);
	REQ(n > 10 && n < ARRAY_SIZE(ops), "%zu commands in %s", n, snoop);
	for (size_t i = 0; i < ARRAY_SIZE(ext_ops); i++)
		REQ(has_op(ops, n, ext_ops[i]) == ext, "%s %s", hci_opcode_name(ext_ops[i]),
		    ext ? "not sent to a Bluetooth 5 controller" : "sent to a legacy controller");
	for (size_t i = 0; i < ARRAY_SIZE(legacy_ops); i++)
		REQ(has_op(ops, n, legacy_ops[i]) == !ext, "%s %s", hci_opcode_name(legacy_ops[i]),
		    ext ? "sent to a Bluetooth 5 controller" : "not sent to a legacy controller");
	/* the set ends itself: no disable per PDU, only at the end */
	if (ext) {
		size_t enables = 0;

		for (size_t i = 0; i < n; i++)
			enables += ops[i] == HCI_OP_LE_SET_EXT_ADV_ENABLE;
		REQ(enables > 10, "%zu Set Extended Advertising Enable commands", enables);
	}
	/* at the end: our set removed, our scanning off, in that order, last */
	if (ext)
		REQ(ops[n - 2] == HCI_OP_LE_REMOVE_ADV_SET && ops[n - 1] == HCI_OP_LE_SET_EXT_SCAN_ENABLE,
		    "the last commands are %s, %s", hci_opcode_name(ops[n - 2]),
		    hci_opcode_name(ops[n - 1]));
	else
		REQ(ops[n - 1] == HCI_OP_LE_SET_SCAN_ENABLE, "the last command is %s",
		    hci_opcode_name(ops[n - 1]));
	REQ(vair_stat(&a, "commands") > 0, "vair counted no commands");
	air_free(&a);
}

START_TEST(test_bluetooth5_controller)
{
	provision_kind(true);
}
END_TEST

START_TEST(test_legacy_controller)
{
	provision_kind(false);
}
END_TEST

/* SIGTERM while the link is open: meshprov closes the link, then removes its
 * advertising set and turns its scanning off, nothing after that. */
START_TEST(test_sigterm_undoes)
{
	static const char *const devs[] = { ALI_A_SPEC, NULL };
	char snoop[PATH_MAX], err[300];
	uint16_t ops[4096];
	size_t n;
	struct vair a;
	struct run r;

	snprintf(snoop, sizeof(snoop), "%s/hci.snoop", e2e_dir);
	air_start(&a, devs, NULL);
	{
		const char *args[] = { "--hci", a.hci, "--db", e2e_db, "--btsnoop", snoop, "provision",
				       "--uuid", ALI_A_UUID, "--secret", ALI_A_SECRET, "--json", NULL };

		run_spawn(&r, NULL, args);
	}
	json_object_put(report_wait(&a, ALI_A_UUID, "link_open", 1));
	REQ(r.p.pid > 0, "meshprov is not running"); /* never kill(0): the test's own group */
	REQ(kill(r.p.pid, SIGTERM) == 0, "kill: %s", strerror(errno));
	run_wait(&r);
	expect_exit(&r, 1);
	run_free(&r);
	vair_stop(&a);
	REQ(btsnoop_sent_commands(snoop, ops, ARRAY_SIZE(ops), &n, err, sizeof(err)) == 0, "%s", err);
	REQ(n >= 2 && ops[n - 2] == HCI_OP_LE_REMOVE_ADV_SET &&
	    ops[n - 1] == HCI_OP_LE_SET_EXT_SCAN_ENABLE,
	    "after SIGTERM the last commands are %s, %s", hci_opcode_name(ops[n - 2]),
	    hci_opcode_name(ops[n - 1]));
	air_free(&a);
}
END_TEST

/* ---- the same over BlueZ's btvirt ---- */

START_TEST(test_provision_btvirt)
{
	static const char *const devs[] = { ALI_A_SPEC, ALI_B_SPEC, NULL };
	struct btvirt_env bt;
	struct vair a;
	struct run r;
	struct want wa = { ALI_A_UUID, 0x0011, 1, ALG_CMAC, "static-oob" };
	size_t len;
	char *before;

	if (!btvirt_begin(&bt, "btvirt provisioning end-to-end", e2e_meshprov, e2e_vair, e2e_dir,
			  sizeof(e2e_dir)))
		return;
	snprintf(e2e_db, sizeof(e2e_db), "%s/network.json", e2e_dir);

	/* the devices as btvirt clients */
	btvirt_vair_start(&bt, &a, e2e_dir, true, devs);
	e2e_air = &a;

	/* provisioning works (normally ~1 s; RUN_MS is the bound) */
	run_hci(&r, btvirt_meshprov(&bt), a.hci, "provision", "--uuid", ALI_A_UUID, "--secret",
		ALI_A_SECRET, "--json", (const char *)NULL);
	check_provisioned(&a, &r, &wa);
	/* and configured over btvirt too: AppKey, composition, the indication answered */
	{
		struct json_object *v, *comp, *db, *node;

		REQ(json_object_object_get_ex(r.json, "configured", &v) && json_object_get_boolean(v),
		    "not configured over btvirt: %s", json_object_to_json_string(r.json));
		REQ(json_object_object_get_ex(r.json, "composition", &comp) && jint(comp, "cid") == 0x01a8,
		    "no composition over btvirt: %s", json_object_to_json_string(r.json));
		REQ(jint(r.json, "indications") >= 1, "the indication was not answered over btvirt");
		json_object_put(report_wait(&a, ALI_A_UUID, "indication_confirmed", 1));
		db = db_load();
		node = db_node(db, ALI_A_UUID);
		REQ(node && json_object_object_get_ex(node, "configComplete", &v) &&
			    json_object_get_boolean(v),
		    "the database does not mark the node configured");
		REQ(json_object_object_get_ex(node, "cid", &v), "no Composition Data in the database");
		json_object_put(db);
	}
	run_free(&r);
	check_db_mode();
	REQ(btvirt_alive(&bt, 0), "btvirt died during provisioning; its log:\n%s",
	    file_or_empty(bt.log));

	/* a wrong secret fails and writes nothing */
	before = snapshot_db(&len);
	run_hci(&r, btvirt_meshprov(&bt), a.hci, "provision", "--uuid", ALI_B_UUID, "--secret",
		ALI_B_WRONG, "--json", (const char *)NULL);
	check_failed_json(&r, ALI_B_UUID, CONF_FAILED_SECRET, 4);
	run_free(&r);
	check_db_unchanged(before, len);
	free(before);
	json_object_put(report_wait(&a, ALI_B_UUID, "failed", 1));
	REQ(report_scan(&a, ALI_B_UUID, "provisioned", NULL, NULL) == 0,
	    "the device says it was provisioned with a wrong secret");

	REQ(btvirt_alive(&bt, 0), "btvirt died; its log:\n%s", file_or_empty(bt.log));
	btvirt_finish(&bt, &a);
	air_free(&a);
}
END_TEST

static Suite *provision_e2e_suite(void)
{
	Suite *s = suite_create("provision_e2e");
	TCase *air = e2e_tcase("virtual_air", base_setup, TEST_TIMEOUT_S);
	TCase *bt = e2e_tcase("btvirt", base_setup, TEST_TIMEOUT_S);

	tcase_add_test(air, test_aligenie_plain);
	tcase_add_test(air, test_aligenie_random_bound);
	tcase_add_test(air, test_secret_file_and_env);
	tcase_add_test(air, test_wrong_secret);
	tcase_add_test(air, test_no_oob);
	tcase_add_test(air, test_static_oob_16);
	tcase_add_test(air, test_static_oob_32_hmac);
	tcase_add_test(air, test_output_oob);
	tcase_add_test(air, test_pubkey_oob);
	tcase_add_test(air, test_two_in_a_row);
	tcase_add_test(air, test_multi_element);
	tcase_add_test(air, test_no_beacon);
	tcase_add_test(air, test_already_a_node);
	tcase_add_test(air, test_device_stops);
	tcase_add_test(air, test_damaged_database);
	tcase_add_test(air, test_lossy_air);
	tcase_add_test(air, test_bluetooth5_controller);
	tcase_add_test(air, test_legacy_controller);
	tcase_add_test(air, test_sigterm_undoes);
	suite_add_tcase(s, air);

	tcase_add_test(bt, test_provision_btvirt);
	suite_add_tcase(s, bt);
	return s;
}

CHECK_MAIN(provision_e2e_suite)
