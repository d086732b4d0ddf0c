/* End-to-end: simulated devices become mesh nodes after provisioning, with a
 * Configuration Server and AliGenie's behaviours (tests/vair/simdev.h).
 *
 * meshprov provisions a device on the virtual air (--no-configure; its JSON
 * gives the unicast address and device key, the database the NetKey and
 * AppKey); then the test process itself joins the air as a third
 * controller: a Configuration Client at CLIENT_ADDR built from the
 * project's cores (radio.h, mesh.h, cfgcli.h) on an event loop of its own,
 * which also sends what meshprov never does (a wrong AppKey, binds that
 * fail, Node Reset). Each test checks what the client got from the node
 * against what the device reports (vair --report). One test lets meshprov
 * configure a device itself and checks the device's view of it.
 *
 * Binaries: $MESHPROV_BIN (default ./meshprov), $VAIR_BIN (default
 * ./build/vair/vair). */
#include <check.h>
#include <errno.h>
#include <ev.h>
#include <json.h>
#include <openssl/crypto.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "access.h"
#include "adv.h"
#include "btvirt.h"
#include "cfgcli.h"
#include "cfgmsg.h"
#include "check_main.h"
#include "e2e.h"
#include "mesh.h"
#include "proc.h"
#include "radio.h"
#include "util.h"

#define TEST_TIMEOUT_S 40
#define RUN_MS 20000       /* one meshprov run, at most */
#define REPORT_MS 5000     /* a device event to reach the report file */
#define READY_MS 5000      /* the client's controller set up */
#define REQ_RETX_MS 400    /* the client's retransmission interval */
#define REQ_TIMEOUT_MS 6000
/* Tmall Genie's range (0x0001-0x0010), not meshprov's own node (0x0001),
 * whose SEQs the device's replay protection may have seen */
#define CLIENT_ADDR 0x0002
#define MESHPROV_ADDR 0x0001

/* AliGenie devices: UUIDs worked out by hand (CID a801, PID flags 71,
 * ProductID LE, MAC reversed, feature flag (UUID version << 1), flags2 10, 00). */
#define ALI_V0_SPEC "aligenie:602,78:da:07:c1:1c:a8,1565d0497400c999e984cffa4da4fdf9,v0"
#define ALI_V0_UUID "a801715a020000a81cc107da78001000"
#define ALI_V0_SECRET "1565d0497400c999e984cffa4da4fdf9"
#define ALI_V0_PID 602

#define ALI_V1_SPEC "aligenie:603,78:da:07:c1:1c:a9,0123456789abcdef0123456789abcdef"
#define ALI_V1_UUID "a801715b020000a91cc107da78021000"
#define ALI_V1_SECRET "0123456789abcdef0123456789abcdef"
#define ALI_V1_PID 603

#define PLAIN_UUID "00112233445566778899aabbccddee51"
#define PLAIN_SPEC "uuid:" PLAIN_UUID

static void base_setup(void)
{
	e2e_suite_setup("meshprov-node-e2e", RUN_MS);
}

/* ---- the devices' report ---- */

/* The last "config" event of the device with this op (a new reference),
 * waiting for the count-th one. */
static struct json_object *config_event(const char *uuid, const char *op, int count)
{
	struct json_object **v, *found = NULL;
	char err[300];

	for (int waited = 0;; waited += 20) {
		char *text = file_or_empty(e2e_air->report);
		int n = jsonl_parse(text, &v, err, sizeof(err)), seen = 0;

		REQ(n >= 0, "the device report is not JSON lines (%s):\n%s", err, text);
		for (int i = 0; i < n; i++) {
			struct json_object *u = jsonl_get(v[i], "uuid"), *e = jsonl_get(v[i], "event");
			struct json_object *o = jsonl_get(v[i], "op");

			if (!u || !e || !o || strcmp(json_object_get_string(u), uuid) ||
			    strcmp(json_object_get_string(e), "config") ||
			    strcmp(json_object_get_string(o), op))
				continue;
			if (++seen == count)
				found = json_object_get(v[i]);
		}
		jsonl_free(v, n);
		if (found) {
			free(text);
			return found;
		}
		REQ(waited < REPORT_MS, "device %s: no %d config \"%s\" event(s) within %d ms:\n%s",
		    uuid, count, op, REPORT_MS, text);
		free(text);
		sleep_ms(20);
	}
}

/* ---- meshprov ---- */

/* meshprov --hci AIR --db DB ARGS (NULL-terminated) */
#define run_meshprov(r, args) run_args((r), NULL, e2e_air->hci, (args))

/* What provisioning gave a node, and the network's keys. */
struct node {
	const char *uuid;
	uint16_t unicast;
	uint8_t dev_key[16];
	uint8_t net_key[16];
	uint8_t app_key[16];
};

static void db_key(struct json_object *db, const char *array, uint8_t key[16])
{
	struct json_object *keys = jsonl_get(db, array), *k0;

	REQ(keys && json_object_is_type(keys, json_type_array) && json_object_array_length(keys) > 0,
	    "the database has no %s", array);
	k0 = json_object_array_get_idx(keys, 0);
	REQ(jint(k0, "index") == 0, "%s[0] has index %lld", array, (long long)jint(k0, "index"));
	REQ(hex_decode(jstr(k0, "key"), key, 16) == 0, "%s[0].key is not 16 octets", array);
}

/* meshprov provision --uuid UUID [--no-configure] [--secret S] --json:
 * must succeed (and, when it configures, report the node configured). */
static void provision_as(struct node *nd, const char *uuid, const char *secret, bool configure)
{
	const char *args[8] = { "provision", "--uuid", uuid, "--json" };
	int n = 4;
	struct json_object *ev, *db;
	char *text;
	struct run r;
	char st[64];

	if (!configure)
		args[n++] = "--no-configure";
	if (secret) {
		args[n++] = "--secret";
		args[n++] = secret;
	}
	args[n] = NULL;
	memset(nd, 0, sizeof(*nd));
	nd->uuid = uuid;
	run_meshprov(&r, args);
	REQ(proc_exit_code(&r.p) == 0 && r.json && json_object_is_type(r.json, json_type_object),
	    "provisioning %s failed (%s):\nstdout:\n%s\nstderr:\n%s", uuid,
	    proc_status_str(&r.p, st, sizeof(st)), r.p.out, r.err);
	REQ(!strcmp(jstr(r.json, "uuid"), uuid), "provisioned %s, not %s", jstr(r.json, "uuid"), uuid);
	nd->unicast = (uint16_t)jint(r.json, "unicast");
	if (configure)
		REQ(json_object_get_boolean(jget(r.json, "configured", json_type_boolean)),
		    "meshprov did not configure %s: %s", uuid, r.p.out);
	REQ(hex_decode(jstr(r.json, "device_key"), nd->dev_key, 16) == 0, "bad device_key: %s",
	    r.p.out);
	run_free(&r);

	text = read_file_str(e2e_db, NULL);
	REQ(text != NULL, "cannot read %s", e2e_db);
	db = json_tokener_parse(text);
	REQ(db != NULL, "the database is not JSON:\n%s", text);
	free(text);
	db_key(db, "netKeys", nd->net_key);
	db_key(db, "appKeys", nd->app_key);
	json_object_put(db);

	/* the device agrees */
	ev = report_wait(e2e_air, uuid, "provisioned", 1);
	REQ(jint(ev, "unicast") == nd->unicast, "device got unicast %lld, meshprov says %u",
	    (long long)jint(ev, "unicast"), nd->unicast);
	json_object_put(ev);
}

/* Provisioned only: the test's client configures it. */
static void provision(struct node *nd, const char *uuid, const char *secret)
{
	provision_as(nd, uuid, secret, false);
}

/* meshprov nodes remove UUID: must succeed. */
static void nodes_remove(const char *uuid)
{
	const char *args[] = { "nodes", "remove", uuid, NULL };
	struct run r;
	char st[64];

	run_meshprov(&r, args);
	REQ(proc_exit_code(&r.p) == 0, "meshprov nodes remove %s: %s\n%s", uuid,
	    proc_status_str(&r.p, st, sizeof(st)), r.err);
	run_free(&r);
}

/* Is the UUID among the unprovisioned devices meshprov scan hears? */
static bool scan_sees(const char *uuid, const char *seconds)
{
	const char *args[] = { "scan", "--timeout", seconds, "--json", NULL };
	struct json_object **v;
	char err[300], st[64];
	struct run r;
	bool seen = false;
	int n;

	run_meshprov(&r, args);
	REQ(proc_exit_code(&r.p) == 0, "meshprov scan: %s\n%s", proc_status_str(&r.p, st, sizeof(st)),
	    r.err);
	n = jsonl_parse(r.p.out, &v, err, sizeof(err));
	REQ(n >= 0, "meshprov scan --json: %s\n%s", err, r.p.out);
	for (int i = 0; i < n; i++) {
		struct json_object *u = jsonl_get(v[i], "uuid");

		if (u && !strcmp(json_object_get_string(u), uuid))
			seen = true;
	}
	jsonl_free(v, n);
	run_free(&r);
	return seen;
}

/* ---- the Configuration Client: a third controller on the air ---- */

#define MAX_IND 64

struct client {
	struct ev_loop *loop;
	ev_timer wake;
	struct radio radio;
	bool radio_open, ready, stopped, dead, timers_added;
	char fatal[256];

	struct mesh mesh;
	bool in_mesh;
	uint32_t seq_next;
	uint16_t node;
	uint8_t node_dev_key[16];
	struct cfgcli cli;

	/* the last request's outcome */
	bool done;
	int rc;
	uint8_t status;
	uint8_t params[ACCESS_MAX_PDU];
	size_t params_len;

	/* Attr Indications heard */
	unsigned nind;
	struct {
		uint16_t src, dst, app_index;
		uint8_t tid;
		uint8_t attrs[8];
		size_t attrs_len;
	} ind[MAX_IND];
};

static void on_wake(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
}

static void c_ready(void *ctx)
{
	((struct client *)ctx)->ready = true;
}

static void c_rx(void *ctx, uint8_t ad_type, const uint8_t *data, size_t len,
		 const struct hci_adv_report *r)
{
	struct client *c = ctx;

	(void)r;
	if (ad_type != AD_TYPE_MESH_MESSAGE)
		return;
	c->in_mesh = true;
	mesh_input(&c->mesh, radio_now(&c->radio), data, len);
	c->in_mesh = false;
}

static void c_fatal(void *ctx, const char *msg)
{
	struct client *c = ctx;

	c->dead = true;
	snprintf(c->fatal, sizeof(c->fatal), "%s", msg);
}

static void c_stopped(void *ctx)
{
	((struct client *)ctx)->stopped = true;
}

static const struct radio_ops client_radio_ops = {
	.ready = c_ready,
	.rx = c_rx,
	.fatal = c_fatal,
	.stopped = c_stopped,
};

static void c_send_adv(void *ctx, const uint8_t *pdu, size_t len)
{
	struct client *c = ctx;

	radio_send(&c->radio, AD_TYPE_MESH_MESSAGE, pdu, len);
}

static int c_reserve_seq(void *ctx, uint32_t want, uint32_t *first)
{
	struct client *c = ctx;

	*first = c->seq_next;
	c->seq_next += want;
	return 0;
}

static int c_dev_key(void *ctx, uint16_t addr, uint8_t key[16])
{
	struct client *c = ctx;

	if (!c->node || addr != c->node)
		return -ENOENT;
	memcpy(key, c->node_dev_key, 16);
	return 0;
}

static void c_access(void *ctx, const struct mesh_rx *rx)
{
	struct client *c = ctx;
	struct cfg_ali_indication ind;

	if (rx->dev_key) {
		cfgcli_input(&c->cli, radio_now(&c->radio), rx->src, rx->access, rx->len);
		return;
	}
	if (rx->opcode == CFG_OP_ALI_ATTR_INDICATION && c->nind < MAX_IND &&
	    cfg_ali_indication_parse(rx->params, rx->params_len, &ind) == 0) {
		c->ind[c->nind].src = rx->src;
		c->ind[c->nind].dst = rx->dst;
		c->ind[c->nind].app_index = rx->app_index;
		c->ind[c->nind].tid = ind.tid;
		c->ind[c->nind].attrs_len = ind.attrs_len < 8 ? ind.attrs_len : 8;
		memcpy(c->ind[c->nind].attrs, ind.attrs, c->ind[c->nind].attrs_len);
		c->nind++;
	}
}

static const struct mesh_ops client_mesh_ops = {
	.send_adv = c_send_adv,
	.reserve_seq = c_reserve_seq,
	.dev_key = c_dev_key,
	.access = c_access,
};

static int cli_send(void *ctx, uint16_t dst, const uint8_t *pdu, size_t len)
{
	struct client *c = ctx;
	struct mesh_tx tx = {
		.dst = dst,
		.ttl = MESH_TTL_DEFAULT,
		.dev_key = true,
		.net_index = 0,
		.access = pdu,
		.len = len,
	};
	bool in = c->in_mesh;
	int rc;

	c->in_mesh = true;
	rc = mesh_send(&c->mesh, radio_now(&c->radio), &tx, NULL);
	c->in_mesh = in;
	return rc;
}

static void cli_done(void *ctx, const struct cfgcli_req *req, const struct cfgcli_result *res)
{
	struct client *c = ctx;

	(void)req;
	c->done = true;
	c->rc = res->rc;
	c->status = res->status;
	c->params_len = res->params && res->params_len <= sizeof(c->params) ? res->params_len : 0;
	if (c->params_len)
		memcpy(c->params, res->params, c->params_len);
}

static const struct cfgcli_ops client_cli_ops = {
	.send = cli_send,
	.done = cli_done,
};

static uint64_t c_next(void *ctx)
{
	struct client *c = ctx;
	uint64_t t = cfgcli_next_deadline(&c->cli);

	/* not while the mesh is inside a call (its send_adv kicks the radio) */
	return c->in_mesh ? t : min_deadline(t, mesh_next_deadline(&c->mesh));
}

static void c_tick(void *ctx, uint64_t now)
{
	struct client *c = ctx;

	c->in_mesh = true;
	mesh_tick(&c->mesh, now);
	c->in_mesh = false;
	cfgcli_tick(&c->cli, now);
}

typedef bool (*client_pred)(struct client *c, const void *arg);

/* Run the loop until pred holds (true) or ms pass (false). */
static bool client_wait(struct client *c, client_pred pred, const void *arg, int ms)
{
	uint64_t end = mono_ms() + (uint64_t)ms;

	while (!pred(c, arg)) {
		if (c->dead || mono_ms() >= end)
			return false;
		ev_run(c->loop, EVRUN_ONCE);
	}
	return true;
}

static bool is_ready(struct client *c, const void *arg)
{
	(void)arg;
	return c->ready;
}

static bool is_stopped(struct client *c, const void *arg)
{
	(void)arg;
	return c->stopped || c->dead;
}

static bool is_done(struct client *c, const void *arg)
{
	(void)arg;
	return c->done;
}

static bool never(struct client *c, const void *arg)
{
	(void)c;
	(void)arg;
	return false;
}

/* Let the loop run for ms. */
static void client_run(struct client *c, int ms)
{
	client_wait(c, never, NULL, ms);
	REQ(!c->dead, "the client's controller failed: %s", c->fatal);
}

/* Talk to this node (its primary address and device key). */
static void client_set_node(struct client *c, const struct node *nd)
{
	c->node = nd->unicast;
	memcpy(c->node_dev_key, nd->dev_key, 16);
	cfgcli_init(&c->cli, nd->unicast, &client_cli_ops, c);
	REQ(cfgcli_set_timing(&c->cli, REQ_RETX_MS, REQ_TIMEOUT_MS) == 0, "cfgcli_set_timing");
}

/* Join the test's air as CLIENT_ADDR of the network nd was provisioned into. */
static void client_open(struct client *c, const struct node *nd)
{
	struct mesh_config mc = { .unicast = CLIENT_ADDR, .elements = 1, .iv_index = 0 };
	char err[256];

	memset(c, 0, sizeof(*c));
	c->loop = ev_loop_new(EVFLAG_AUTO);
	REQ(c->loop != NULL, "ev_loop_new");
	ev_timer_init(&c->wake, on_wake, 0.01, 0.01);
	ev_timer_start(c->loop, &c->wake);
	REQ(mesh_init(&c->mesh, &mc, &client_mesh_ops, c) == 0, "mesh_init");
	REQ(mesh_add_net_key(&c->mesh, 0, nd->net_key) == 0, "mesh_add_net_key");
	REQ(mesh_add_app_key(&c->mesh, 0, 0, nd->app_key) == 0, "mesh_add_app_key");
	REQ(mesh_subscribe(&c->mesh, 0xf000) == 0, "mesh_subscribe");
	client_set_node(c, nd);
	REQ(radio_open(&c->radio, c->loop, e2e_air->hci, &client_radio_ops, c, err, sizeof(err)) == 0,
	    "the client cannot open %s: %s", e2e_air->hci, err);
	c->radio_open = true;
	REQ(radio_add_timers(&c->radio, c_next, c_tick, c) == 0, "radio_add_timers");
	c->timers_added = true;
	radio_start(&c->radio);
	REQ(client_wait(c, is_ready, NULL, READY_MS), "the client's controller was not ready in %d ms%s%s",
	    READY_MS, c->dead ? ": " : "", c->fatal);
}

static void client_close(struct client *c)
{
	if (c->radio_open) {
		if (c->timers_added)
			radio_remove_timers(&c->radio, c);
		c->timers_added = false;
		if (!c->dead) {
			radio_stop(&c->radio);
			client_wait(c, is_stopped, NULL, RADIO_STOP_TIMEOUT_MS + 1000);
		}
		radio_close(&c->radio);
		c->radio_open = false;
	}
	ev_timer_stop(c->loop, &c->wake);
	ev_loop_destroy(c->loop);
	c->loop = NULL;
	OPENSSL_cleanse(&c->mesh, sizeof(c->mesh));
}

/* One request through cfgcli: its rc (0 Success, 1..255 the node's status,
 * < 0 no answer); the status parameters in c->params. */
static int client_req(struct client *c, const struct cfgcli_req *req)
{
	int rc;

	c->done = false;
	rc = cfgcli_enqueue(&c->cli, radio_now(&c->radio), req);
	REQ(rc == 0, "cfgcli_enqueue: %d", rc);
	radio_kick(&c->radio);
	REQ(client_wait(c, is_done, NULL, REQ_TIMEOUT_MS + 2000), "no result from cfgcli%s%s",
	    c->dead ? ": " : "", c->fatal);
	return c->rc;
}

static int appkey_add(struct client *c, uint16_t app_idx, const uint8_t key[16])
{
	struct cfgcli_req r = { .kind = CFGCLI_APPKEY_ADD, .net_idx = 0, .app_idx = app_idx };

	memcpy(r.app_key, key, 16);
	return client_req(c, &r);
}

static int comp_get(struct client *c, uint8_t page)
{
	struct cfgcli_req r = { .kind = CFGCLI_COMP_DATA_GET, .page = page };

	return client_req(c, &r);
}

static int model_bind(struct client *c, uint16_t elem, uint16_t app_idx, struct cfg_model_id m)
{
	struct cfgcli_req r = { .kind = CFGCLI_MODEL_APP_BIND, .elem_addr = elem, .app_idx = app_idx,
				.model = m };

	return client_req(c, &r);
}

static int sub_add(struct client *c, uint16_t elem, uint16_t group, struct cfg_model_id m)
{
	struct cfgcli_req r = { .kind = CFGCLI_MODEL_SUB_ADD, .elem_addr = elem, .addr = group,
				.model = m };

	return client_req(c, &r);
}

static int node_reset(struct client *c)
{
	struct cfgcli_req r = { .kind = CFGCLI_NODE_RESET };

	return client_req(c, &r);
}

/* An app key message (unsegmented) to dst. */
static void client_send_app(struct client *c, uint16_t dst, const uint8_t *pdu, size_t len)
{
	struct mesh_tx tx = {
		.dst = dst,
		.ttl = MESH_TTL_DEFAULT,
		.app_index = 0,
		.access = pdu,
		.len = len,
	};
	int rc;

	c->in_mesh = true;
	rc = mesh_send(&c->mesh, radio_now(&c->radio), &tx, NULL);
	c->in_mesh = false;
	REQ(rc == 0, "mesh_send: %d", rc);
	radio_kick(&c->radio);
}

/* ---- checks ---- */

/* The count-th config event of this op: its status, from src, answered. */
static struct json_object *check_config_from(const char *uuid, const char *op, int count, int status,
					     int src)
{
	struct json_object *ev = config_event(uuid, op, count);

	REQ(jint(ev, "status") == status, "config %s: status %lld, want %d: %s", op,
	    (long long)jint(ev, "status"), status, jtext(ev));
	REQ(jint(ev, "src") == src, "config %s from %lld, want %d: %s", op,
	    (long long)jint(ev, "src"), src, jtext(ev));
	REQ(!jsonl_get(ev, "send_error"), "the device could not send its status: %s", jtext(ev));
	return ev;
}

/* ... from the test's client. */
static struct json_object *check_config(const char *uuid, const char *op, int count, int status)
{
	return check_config_from(uuid, op, count, status, CLIENT_ADDR);
}

/* The Composition Data Status in c->params: page 0, and its parse. */
static void comp_parse(struct client *c, struct cfg_comp_page0 *p0)
{
	struct cfg_comp_data_status st;
	int rc;

	REQ(cfg_parse_comp_data_status(c->params, c->params_len, &st) == 0,
	    "bad Composition Data Status (%zu octets)", c->params_len);
	REQ(st.page == 0, "Composition Data page %u, want 0", st.page);
	rc = cfg_comp_page0_parse(st.data, st.len, p0);
	REQ(rc == 0, "Composition Data page 0 does not parse: %d", rc);
}

static void check_comp_header(const struct cfg_comp_page0 *p0, uint16_t cid, uint16_t pid)
{
	REQ(p0->cid == cid && p0->pid == pid && p0->vid == 0x0001 && p0->crpl == 0x0064 &&
		    p0->features == 0,
	    "composition header: CID %04x PID %04x VID %04x CRPL %04x features %04x; want CID %04x PID %04x VID 0001 CRPL 0064 features 0000",
	    p0->cid, p0->pid, p0->vid, p0->crpl, p0->features, cid, pid);
	REQ(p0->num_elements == 1, "%u elements, want 1", p0->num_elements);
}

/* The AliGenie light: Config Server, Generic OnOff, Light Lightness, Light
 * CTL Servers and the vendor model 01a8:0000. */
static void check_comp_light(const struct cfg_comp_page0 *p0, uint16_t pid)
{
	const struct cfg_comp_element *e = &p0->elements[0];
	static const uint16_t sig[] = { 0x0000, 0x1000, 0x1300, 0x1303 };

	check_comp_header(p0, 0x01a8, pid);
	REQ(e->num_sig == ARRAY_SIZE(sig) && e->num_vendor == 1, "%u SIG and %u vendor models",
	    e->num_sig, e->num_vendor);
	for (size_t i = 0; i < ARRAY_SIZE(sig); i++)
		REQ(e->sig[i] == sig[i], "SIG model %zu is %04x, want %04x", i, e->sig[i], sig[i]);
	REQ(cfg_model_id_eq(e->vendor[0], cfg_model_vendor(0x01a8, 0x0000)),
	    "vendor model %04x:%04x, want 01a8:0000", e->vendor[0].cid, e->vendor[0].id);
}

/* What meshprov did to a v0 AliGenie light, as the device saw it: AppKey
 * Add, Composition Data Get, every model but the Configuration Server bound
 * to AppKey 0 and subscribed to 0xc000 and 0xcfff, all Success, all from
 * meshprov's node (in whatever order, repeats allowed). */
static void check_configured_v0(const char *uuid, uint16_t unicast)
{
	static const char *const models[] = { "1000", "1300", "1303", "01a80000" };
	static const int groups[] = { 0xc000, 0xcfff };
	bool appkey = false, comp = false, bound[4] = { false }, subbed[4][2] = { { false } };
	struct json_object **v;
	char *text = file_or_empty(e2e_air->report), err[300];
	int n = jsonl_parse(text, &v, err, sizeof(err));

	REQ(n >= 0, "the device report is not JSON lines (%s):\n%s", err, text);
	for (int i = 0; i < n; i++) {
		struct json_object *e = v[i], *u = jsonl_get(e, "uuid"), *k = jsonl_get(e, "event");
		const char *op;
		size_t m = 0;

		if (!u || !k || strcmp(json_object_get_string(u), uuid) ||
		    strcmp(json_object_get_string(k), "config"))
			continue;
		op = jstr(e, "op");
		REQ(jint(e, "status") == 0 && jint(e, "src") == MESHPROV_ADDR && !jsonl_get(e, "send_error"),
		    "config event: %s", jtext(e));
		if (!strcmp(op, "appkey_add")) {
			appkey = true;
			continue;
		}
		if (!strcmp(op, "composition_get")) {
			comp = true;
			continue;
		}
		REQ(!strcmp(op, "bind") || !strcmp(op, "sub_add"), "unexpected config event %s", jtext(e));
		REQ(jint(e, "element") == unicast, "not the primary element: %s", jtext(e));
		while (m < ARRAY_SIZE(models) && strcmp(jstr(e, "model"), models[m]))
			m++;
		REQ(m < ARRAY_SIZE(models), "config of model %s", jtext(e));
		if (!strcmp(op, "bind")) {
			bound[m] = true;
			continue;
		}
		for (size_t g = 0; g < ARRAY_SIZE(groups); g++)
			if (jint(e, "address") == groups[g])
				subbed[m][g] = true;
	}
	jsonl_free(v, n);
	REQ(appkey && comp, "no AppKey Add or Composition Data Get from meshprov:\n%s", text);
	for (size_t m = 0; m < ARRAY_SIZE(models); m++)
		REQ(bound[m] && subbed[m][0] && subbed[m][1],
		    "model %s: bound %d, in c000 %d, in cfff %d:\n%s", models[m], bound[m],
		    subbed[m][0], subbed[m][1], text);
	free(text);
}

/* ---- the tests ---- */

/* An AliGenie UUID version 0 light: the provisioner configures it. */
START_TEST(test_configure_v0)
{
	static const char *const devs[] = { ALI_V0_SPEC, NULL };
	uint8_t other[16];
	struct cfg_comp_page0 p0;
	struct cfg_model_app_status mas;
	struct cfg_model_sub_status mss;
	struct json_object *ev;
	struct client c;
	struct node nd;
	struct vair a;
	char hex[33];

	vair_start(&a, e2e_vair, e2e_dir, true, devs, NULL);
	e2e_air = &a;
	provision(&nd, ALI_V0_UUID, ALI_V0_SECRET);
	client_open(&c, &nd);

	/* AppKey Add: Success, and the device stored what the database holds */
	REQ(appkey_add(&c, 0, nd.app_key) == 0, "AppKey Add: rc %d", c.rc);
	ev = check_config(ALI_V0_UUID, "appkey_add", 1, 0);
	hex_encode(nd.app_key, 16, hex);
	REQ(!strcmp(jstr(ev, "app_key"), hex), "device stored AppKey %s, the database has %s",
	    jstr(ev, "app_key"), hex);
	REQ(jint(ev, "app_index") == 0 && jint(ev, "net_index") == 0, "indexes: %s", jtext(ev));
	json_object_put(ev);
	/* the same again: Success; another key at that index: Key Index Already Stored */
	REQ(appkey_add(&c, 0, nd.app_key) == 0, "AppKey Add again: rc %d", c.rc);
	memcpy(other, nd.app_key, 16);
	other[0] ^= 0x5a;
	REQ(appkey_add(&c, 0, other) == CFG_STATUS_KEY_INDEX_ALREADY_STORED,
	    "AppKey Add with another key: rc %d, want 6", c.rc);
	json_object_put(check_config(ALI_V0_UUID, "appkey_add", 3, CFG_STATUS_KEY_INDEX_ALREADY_STORED));

	/* Composition Data: the AliGenie light; an unknown page gives page 0 */
	REQ(comp_get(&c, 0) == 0, "Composition Data Get: rc %d", c.rc);
	comp_parse(&c, &p0);
	check_comp_light(&p0, ALI_V0_PID);
	REQ(comp_get(&c, 0xff) == 0, "Composition Data Get page 255: rc %d", c.rc);
	comp_parse(&c, &p0);
	check_comp_light(&p0, ALI_V0_PID);
	ev = check_config(ALI_V0_UUID, "composition_get", 2, 0);
	REQ(jint(ev, "page") == 0xff, "composition_get page: %s", jtext(ev));
	json_object_put(ev);

	/* Model App Bind */
	REQ(model_bind(&c, nd.unicast, 0, cfg_model_sig(0x1000)) == 0, "Bind OnOff: rc %d", c.rc);
	REQ(cfg_parse_model_app_status(c.params, c.params_len, &mas) == 0 &&
		    mas.elem_addr == nd.unicast && mas.app_idx == 0 &&
		    cfg_model_id_eq(mas.model, cfg_model_sig(0x1000)),
	    "Model App Status does not echo the request");
	ev = check_config(ALI_V0_UUID, "bind", 1, 0);
	REQ(!strcmp(jstr(ev, "model"), "1000") && jint(ev, "element") == nd.unicast &&
		    jint(ev, "app_index") == 0,
	    "bind event: %s", jtext(ev));
	json_object_put(ev);
	REQ(model_bind(&c, nd.unicast, 0, cfg_model_vendor(0x01a8, 0x0000)) == 0, "Bind vendor: rc %d",
	    c.rc);
	REQ(model_bind(&c, nd.unicast, 0, cfg_model_sig(0x1307)) == CFG_STATUS_INVALID_MODEL,
	    "Bind a model it does not have: rc %d, want 2", c.rc);
	REQ(model_bind(&c, nd.unicast, 5, cfg_model_sig(0x1300)) == CFG_STATUS_INVALID_APPKEY,
	    "Bind an AppKey it does not have: rc %d, want 3", c.rc);
	json_object_put(check_config(ALI_V0_UUID, "bind", 4, CFG_STATUS_INVALID_APPKEY));

	/* Model Subscription Add: the AliGenie lights' group */
	REQ(sub_add(&c, nd.unicast, 0xc000, cfg_model_sig(0x1000)) == 0, "Sub Add: rc %d", c.rc);
	REQ(cfg_parse_model_sub_status(c.params, c.params_len, &mss) == 0 && mss.addr == 0xc000 &&
		    mss.elem_addr == nd.unicast,
	    "Model Subscription Status does not echo the request");
	ev = check_config(ALI_V0_UUID, "sub_add", 1, 0);
	REQ(jint(ev, "address") == 0xc000 && !strcmp(jstr(ev, "model"), "1000"), "sub_add event: %s",
	    jtext(ev));
	json_object_put(ev);

	/* version 0: the device did not configure itself */
	REQ(report_scan(e2e_air, ALI_V0_UUID, "self_config", NULL, NULL) == 0, "a v0 device configured itself:\n%s",
	    file_or_empty(a.report));
	client_close(&c);
	vair_stop(&a);
	REQ(report_scan(e2e_air, ALI_V0_UUID, "fallback", NULL, NULL) == 0, "the device fell back");
	vair_free(&a);
}
END_TEST

/* An AliGenie UUID version 1 light: binds and subscribes itself after the
 * AppKey Add, and indicates to 0xf000 until confirmed. */
START_TEST(test_v1_self_config_and_indication)
{
	static const char *const devs[] = { ALI_V1_SPEC, NULL };
	struct json_object *ev, *models, *groups;
	uint8_t conf[8];
	unsigned heard;
	struct client c;
	struct node nd;
	struct vair a;
	int len, tid, n_confirmed;

	vair_start(&a, e2e_vair, e2e_dir, true, devs, NULL);
	e2e_air = &a;
	provision(&nd, ALI_V1_UUID, ALI_V1_SECRET);
	client_open(&c, &nd);
	REQ(appkey_add(&c, 0, nd.app_key) == 0, "AppKey Add: rc %d", c.rc);

	/* self configuration: every model but the Configuration Server, groups c000 and cfff */
	ev = report_wait(e2e_air, ALI_V1_UUID, "self_config", 1);
	REQ(jint(ev, "status") == 0 && jint(ev, "app_index") == 0, "self_config: %s", jtext(ev));
	models = jget(ev, "models", json_type_array);
	groups = jget(ev, "groups", json_type_array);
	REQ(json_object_array_length(models) == 4, "self_config bound %zu models, want 4: %s",
	    json_object_array_length(models), jtext(ev));
	REQ(json_object_array_length(groups) == 2 &&
		    json_object_get_int(json_object_array_get_idx(groups, 0)) == 0xc000 &&
		    json_object_get_int(json_object_array_get_idx(groups, 1)) == 0xcfff,
	    "self_config groups: %s", jtext(ev));
	json_object_put(ev);
	/* a bind that is there already is Success again */
	REQ(model_bind(&c, nd.unicast, 0, cfg_model_sig(0x1303)) == 0, "Bind CTL again: rc %d", c.rc);

	/* the indication, repeated (~400 ms) to 0xf000 with the AppKey, one TID */
	client_run(&c, 1500);
	heard = c.nind;
	REQ(heard >= 2, "heard %u Attr Indications in 1.5 s, want 2 or more", heard);
	tid = c.ind[0].tid;
	for (unsigned i = 0; i < heard; i++) {
		REQ(c.ind[i].src == nd.unicast && c.ind[i].dst == 0xf000 && c.ind[i].app_index == 0,
		    "indication %u: %04x -> %04x, AppKey %u", i, c.ind[i].src, c.ind[i].dst,
		    c.ind[i].app_index);
		REQ(c.ind[i].tid == tid, "indication %u has TID %02x, the first %02x", i, c.ind[i].tid,
		    tid);
		REQ(c.ind[i].attrs_len >= 3, "indication %u has %zu attribute octets", i,
		    c.ind[i].attrs_len);
	}
	REQ(tid >= 0x80 && tid <= 0xbf, "device TID %02x not in 80-bf", tid);
	ev = report_wait(e2e_air, ALI_V1_UUID, "indication", (int)heard);
	REQ(jint(ev, "tid") == tid, "report TID %lld, heard %02x", (long long)jint(ev, "tid"), tid);
	json_object_put(ev);

	/* confirm: it stops */
	len = cfg_ali_build_confirmation((uint8_t)tid, conf, sizeof(conf));
	REQ(len == 4, "cfg_ali_build_confirmation: %d", len);
	client_send_app(&c, nd.unicast, conf, (size_t)len);
	client_run(&c, 200);
	ev = report_wait(e2e_air, ALI_V1_UUID, "indication_confirmed", 1);
	REQ(jint(ev, "tid") == tid && jint(ev, "src") == CLIENT_ADDR, "indication_confirmed: %s",
	    jtext(ev));
	n_confirmed = (int)jint(ev, "n");
	json_object_put(ev);
	heard = c.nind;
	client_run(&c, 1200);
	REQ(report_scan(e2e_air, ALI_V1_UUID, "indication", NULL, NULL) == n_confirmed,
	    "the device went on indicating after the confirmation (%d sent by then):\n%s",
	    n_confirmed, file_or_empty(a.report));
	REQ(c.nind <= heard + 1 && c.nind <= (unsigned)n_confirmed,
	    "heard %u indications after the confirmation (%u before, %d sent)", c.nind, heard,
	    n_confirmed);
	client_close(&c);
	vair_stop(&a);
	vair_free(&a);
}
END_TEST

/* No AppKey Add in time: the AliGenie device falls back to unprovisioned,
 * beacons and can be provisioned again. One that meshprov configures (a v0
 * device: meshprov binds and subscribes it, and answers its indication)
 * stays a node. */
START_TEST(test_aligenie_fallback)
{
	static const char *const devs[] = { ALI_V1_SPEC, ALI_V0_SPEC, NULL };
	/* 60 s of AliGenie time are 3 s */
	static const char *const extra[] = { "--time-scale", "0.05", NULL };
	struct json_object *ev;
	struct node lost, kept, again;
	struct client c;
	struct vair a;
	uint64_t kept_at;

	vair_start(&a, e2e_vair, e2e_dir, true, devs, extra);
	e2e_air = &a;
	provision(&lost, ALI_V1_UUID, ALI_V1_SECRET);
	provision_as(&kept, ALI_V0_UUID, ALI_V0_SECRET, true);
	kept_at = mono_ms();

	/* meshprov configured the v0 device: AppKey, composition, every model
	 * but the Configuration Server bound and in both groups, indication answered */
	check_configured_v0(ALI_V0_UUID, kept.unicast);
	ev = report_wait(e2e_air, ALI_V0_UUID, "indication_confirmed", 1);
	REQ(jint(ev, "src") == MESHPROV_ADDR, "indication confirmed by %lld", (long long)jint(ev, "src"));
	json_object_put(ev);

	/* the one without an AppKey Add: fallback, unprovisioned */
	ev = report_wait_ms(e2e_air, ALI_V1_UUID, "fallback", NULL, 1, 8000);
	REQ(jint(ev, "unicast") == lost.unicast, "fallback: %s", jtext(ev));
	json_object_put(ev);
	ev = report_wait(e2e_air, ALI_V1_UUID, "unprovisioned", 1);
	REQ(!strcmp(jstr(ev, "reason"), "fallback"), "unprovisioned: %s", jtext(ev));
	json_object_put(ev);
	REQ(report_scan(e2e_air, ALI_V1_UUID, "self_config", NULL, NULL) == 0, "configured itself without an AppKey");

	/* past the configured one's deadline too (3 s after its provisioning) */
	client_open(&c, &kept);
	while (mono_ms() < kept_at + 3300)
		client_run(&c, 100);
	/* it is still a node: it answers */
	REQ(comp_get(&c, 0) == 0, "Composition Data Get after the deadline: rc %d", c.rc);
	client_close(&c);
	REQ(report_scan(e2e_air, ALI_V0_UUID, "fallback", NULL, NULL) == 0,
	    "the configured device fell back:\n%s", file_or_empty(a.report));

	/* the lost one beacons again (the kept one does not) and takes provisioning */
	REQ(scan_sees(ALI_V1_UUID, "1.5"), "meshprov scan does not see the fallen-back device");
	REQ(!scan_sees(ALI_V0_UUID, "0.5"), "meshprov scan sees the configured node");
	nodes_remove(ALI_V1_UUID);
	provision(&again, ALI_V1_UUID, ALI_V1_SECRET);
	REQ(again.unicast != lost.unicast, "the same unicast address again");
	REQ(report_scan(e2e_air, ALI_V1_UUID, "provisioned", NULL, NULL) == 2, "want two provisionings");
	vair_stop(&a);
	vair_free(&a);
}
END_TEST

/* A plain device: configured, then reset: unprovisioned again. */
START_TEST(test_node_reset)
{
	static const char *const devs[] = { PLAIN_SPEC, NULL };
	const struct cfg_comp_element *e;
	struct cfg_comp_page0 p0;
	struct json_object *ev;
	struct node nd, again;
	struct client c;
	struct vair a;

	vair_start(&a, e2e_vair, e2e_dir, true, devs, NULL);
	e2e_air = &a;
	provision(&nd, PLAIN_UUID, NULL);
	client_open(&c, &nd);
	REQ(appkey_add(&c, 0, nd.app_key) == 0, "AppKey Add: rc %d", c.rc);
	REQ(comp_get(&c, 0) == 0, "Composition Data Get: rc %d", c.rc);
	comp_parse(&c, &p0);
	check_comp_header(&p0, 0x05f1, 0x0001);
	e = &p0.elements[0];
	REQ(e->num_sig == 2 && e->sig[0] == 0x0000 && e->sig[1] == 0x1000 && e->num_vendor == 0,
	    "plain composition: %u SIG (%04x %04x), %u vendor models", e->num_sig, e->sig[0],
	    e->sig[1], e->num_vendor);
	/* the Configuration Server cannot be bound to an AppKey */
	REQ(model_bind(&c, nd.unicast, 0, cfg_model_sig(0x0000)) == CFG_STATUS_CANNOT_BIND,
	    "Bind the Configuration Server: rc %d, want 0x0d", c.rc);
	/* plain devices do not indicate */
	REQ(report_scan(e2e_air, PLAIN_UUID, "indication", NULL, NULL) == 0, "a plain device indicated");

	REQ(node_reset(&c) == 0, "Node Reset: rc %d", c.rc);
	json_object_put(check_config(PLAIN_UUID, "node_reset", 1, 0));
	ev = report_wait(e2e_air, PLAIN_UUID, "unprovisioned", 1);
	REQ(!strcmp(jstr(ev, "reason"), "node_reset"), "unprovisioned: %s", jtext(ev));
	json_object_put(ev);
	/* it no longer answers */
	REQ(cfgcli_set_timing(&c.cli, REQ_RETX_MS, 1500) == 0, "cfgcli_set_timing");
	REQ(comp_get(&c, 0) == -ETIMEDOUT, "a reset node answered: rc %d", c.rc);

	REQ(scan_sees(PLAIN_UUID, "1.5"), "meshprov scan does not see the reset device");
	nodes_remove(PLAIN_UUID);
	provision(&again, PLAIN_UUID, NULL);
	REQ(again.unicast != nd.unicast, "the same unicast address again");
	/* a new node with new keys */
	client_set_node(&c, &again);
	REQ(appkey_add(&c, 0, again.app_key) == 0, "AppKey Add after the reset: rc %d", c.rc);
	json_object_put(check_config(PLAIN_UUID, "appkey_add", 2, 0));
	client_close(&c);
	vair_stop(&a);
	vair_free(&a);
}
END_TEST

static Suite *node_e2e_suite(void)
{
	Suite *s = suite_create("node_e2e");
	TCase *tc = e2e_tcase("virtual_air", base_setup, TEST_TIMEOUT_S);

	tcase_add_test(tc, test_configure_v0);
	tcase_add_test(tc, test_v1_self_config_and_indication);
	tcase_add_test(tc, test_aligenie_fallback);
	tcase_add_test(tc, test_node_reset);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(node_e2e_suite)
