/* meshprov provision: provision one device over PB-ADV and record it. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "aligenie.h"
#include "beacon.h"
#include "cli.h"
#include "crypto.h"
#include "client.h"
#include "log.h"
#include "node_setup.h"
#include "nodedb.h"
#include "prov_session.h"
#include "radio.h"
#include "util.h"

#define DEFAULT_WAIT_S 10.0

struct provision {
	struct ev_loop *loop;
	struct radio radio;
	struct nodedb *db;
	struct prov_params params;
	struct prov_session session;
	bool session_started;
	uint8_t uuid[16];
	char uuid_hex[33];
	const char *auth_value; /* --auth-value for output OOB */
	bool json;
	bool progress;
	double wait_s, timeout_s;
	uint16_t want_unicast;
	ev_timer wait_timer, total_timer;
	ev_signal sigint, sigterm;
	ev_io stdin_io;
	char line[64];
	size_t line_len;
	uint64_t t0;
	/* configuring after provisioning */
	bool configure;
	uint16_t groups[NODE_SETUP_MAX_GROUPS];
	unsigned ngroups;
	struct aligenie_info ali;
	bool is_aligenie;
	struct client client;
	bool client_on;
	struct node_setup setup;
	bool setup_started;
	bool setup_finished;
	ev_timer linger;       /* after configuring: wait for the device's indication */
	bool configured;
	char config_error[200];
	/* outcome */
	bool ok;
	bool saved;
	struct prov_result result;
	uint8_t error;
	char msg[300];
	bool stopping;
};

static void provision_usage(FILE *f)
{
	fprintf(f,
		"Usage: meshprov [--hci SPEC] [--db PATH] provision --uuid UUID [AUTH] [OPTIONS]\n"
		"\n"
		"Provision one device over PB-ADV and record it in the node database.\n"
		"\n"
		"Authentication (one of; default: no OOB, or AliGenie for an AliGenie UUID):\n"
		"  -p, --pid N               AliGenie ProductID (default: from the UUID)\n"
		"  -s, --secret HEX          AliGenie secret (or --secret-file, or $MESHPROV_SECRET)\n"
		"      --secret-file FILE    read the AliGenie secret from FILE\n"
		"  -m, --mac HEX             AliGenie MAC, display order (default: from the UUID)\n"
		"      --static-oob HEX      static OOB value, 16 or 32 octets\n"
		"      --no-oob              no OOB authentication\n"
		"      --output-oob          the device shows a value; type it (or --auth-value)\n"
		"      --auth-value VALUE    the value the device shows (output OOB)\n"
		"      --input-oob           meshprov shows a value to enter on the device\n"
		"      --device-public-key HEX  the device's public key, known out of band (64 octets)\n"
		"\n"
		"Options:\n"
		"  -u, --uuid UUID           the device (32 hex digits)\n"
		"      --unicast ADDR        primary element address (default: next free)\n"
		"      --attention S         attention timer in the Invite (default 0)\n"
		"      --wait S              how long to wait for the device's beacon (default 10)\n"
		"      --no-configure        do not configure the node after provisioning\n"
		"      --group ADDR          AliGenie group for UUID version 0 devices (repeatable;\n"
		"                            default 0xc000 and 0xcfff)\n"
		"  -t, --timeout S           give up after S seconds in all\n"
		"  -j, --json                print one JSON object with the outcome\n"
		"  -h, --help                show this help\n");
}

/* ---- output ---- */

static void say(struct provision *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct provision *p, const char *fmt, ...)
{
	va_list ap;

	if (!p->progress)
		return;
	fprintf(stderr, "[%5.2fs] ", (double)(mono_ms() - p->t0) / 1000.0);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void add_config_json(struct provision *p, struct json_object *o)
{
	const struct node_setup *st = &p->setup;

	if (!p->configure)
		return;
	json_object_object_add(o, "configured", json_object_new_boolean(p->configured));
	if (!p->configured)
		json_object_object_add(o, "config_error", json_object_new_string(p->config_error));
	if (p->setup_started) {
		struct json_object *keys = json_object_new_array();

		if (st->appkey_added)
			json_object_array_add(keys, json_object_new_int(0));
		json_object_object_add(o, "appkeys", keys);
	}
	if (p->setup_started && st->have_composition) {
		struct json_object *c = json_object_new_object();

		json_object_object_add(c, "cid", json_object_new_int(st->composition.cid));
		json_object_object_add(c, "pid", json_object_new_int(st->composition.pid));
		json_object_object_add(c, "vid", json_object_new_int(st->composition.vid));
		json_object_object_add(c, "elements", json_object_new_int(st->composition.num_elements));
		json_object_object_add(o, "composition", c);
	}
	if (p->is_aligenie)
		json_object_object_add(o, "indications", json_object_new_int((int)p->client.indications));
}

static void report(struct provision *p)
{
	if (p->json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "uuid", json_object_new_string(p->uuid_hex));
		if (p->ok) {
			char key[33];

			hex_encode(p->result.device_key, 16, key);
			json_object_object_add(o, "unicast", json_object_new_int(p->result.unicast));
			json_object_object_add(o, "elements", json_object_new_int(p->result.elements));
			json_object_object_add(o, "device_key", json_object_new_string(key));
			json_object_object_add(o, "net_key_index",
					       json_object_new_int(p->result.net_key_index));
			json_object_object_add(o, "algorithm",
					       json_object_new_string(prov_algorithm_name(p->result.algorithm)));
			json_object_object_add(o, "auth",
					       json_object_new_string(prov_auth_name(p->result.auth)));
			OPENSSL_cleanse(key, sizeof(key));
			add_config_json(p, o);
		} else {
			json_object_object_add(o, "error", json_object_new_string(p->msg));
			if (p->error)
				json_object_object_add(o, "error_code", json_object_new_int(p->error));
		}
		puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
		json_object_put(o);
	} else if (p->ok) {
		printf("provisioned %s: unicast 0x%04x, %u element%s", p->uuid_hex, p->result.unicast,
		       p->result.elements, p->result.elements == 1 ? "" : "s");
		if (p->configured)
			printf("; configured (AppKey 0%s)", p->setup.have_composition ? ", composition stored" : "");
		putchar('\n');
		if (p->configure && !p->configured)
			fprintf(stderr, "meshprov: the node was provisioned but not configured: %s "
					"(it is in the database marked unconfigured)\n", p->config_error);
	} else {
		fprintf(stderr, "meshprov: %s\n", p->msg);
	}
	fflush(stdout);
}

/* ---- ending ---- */

static void stop(struct provision *p)
{
	if (p->stopping)
		return;
	p->stopping = true;
	ev_timer_stop(p->loop, &p->wait_timer);
	ev_timer_stop(p->loop, &p->total_timer);
	ev_timer_stop(p->loop, &p->linger);
	ev_io_stop(p->loop, &p->stdin_io);
	radio_stop(&p->radio);
}

static void fail_now(struct provision *p, uint8_t error, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void fail_now(struct provision *p, uint8_t error, const char *fmt, ...)
{
	va_list ap;

	if (p->msg[0] == '\0') {
		va_start(ap, fmt);
		vsnprintf(p->msg, sizeof(p->msg), fmt, ap);
		va_end(ap);
		p->error = error;
	}
	if (p->session_started && !p->session.finished)
		prov_session_cancel(&p->session, radio_now(&p->radio), p->msg);
	else if (p->setup_started && !p->setup_finished)
		node_setup_cancel(&p->setup, radio_now(&p->radio), p->msg);
	else
		stop(p);
	radio_kick(&p->radio);
}

static void start_configure(struct provision *p);

/* ---- session events ---- */

static void s_send(void *ctx, const uint8_t *payload, size_t len)
{
	struct provision *p = ctx;

	if (radio_send(&p->radio, AD_TYPE_PB_ADV, payload, len) < 0)
		log_warn("transmit queue full: a PB-ADV payload was dropped");
}

static void s_progress(void *ctx, enum prov_step step)
{
	struct provision *p = ctx;

	switch (step) {
	case PROV_STEP_INVITE:
		say(p, "link open; invite sent");
		break;
	case PROV_STEP_CAPABILITIES:
		say(p, "capabilities: %u element%s, algorithms 0x%04x, static OOB %s",
		    p->session.prov.caps.elements, p->session.prov.caps.elements == 1 ? "" : "s",
		    p->session.prov.caps.algorithms,
		    p->session.prov.caps.static_oob & 1 ? "yes" : "no");
		break;
	case PROV_STEP_KEY_EXCHANGE:
		say(p, "public keys exchanged");
		break;
	case PROV_STEP_AUTH:
		say(p, "authenticating (%s, %s)", prov_auth_name(p->session.prov.method),
		    prov_algorithm_name(p->session.prov.algorithm));
		break;
	case PROV_STEP_CONFIRMED:
		say(p, "device confirmation verified");
		break;
	case PROV_STEP_DATA_SENT:
		say(p, "provisioning data sent");
		break;
	case PROV_STEP_COMPLETE:
		say(p, "complete");
		break;
	}
}

static void on_stdin(struct ev_loop *loop, ev_io *w, int revents)
{
	struct provision *p = w->data;
	char c;
	ssize_t n;

	(void)loop;
	(void)revents;
	while ((n = read(STDIN_FILENO, &c, 1)) == 1) {
		if (c == '\n')
			break;
		if (p->line_len + 1 < sizeof(p->line))
			p->line[p->line_len++] = c;
	}
	if (n == 0 && p->line_len == 0) {
		ev_io_stop(p->loop, w);
		fail_now(p, 0, "no output OOB value entered");
		return;
	}
	if (n < 0 && p->line_len == 0)
		return;
	p->line[p->line_len] = '\0';
	ev_io_stop(p->loop, w);
	if (prov_session_auth_value(&p->session, radio_now(&p->radio), p->line) < 0)
		fail_now(p, 0, "'%s' is not a value this device can show", p->line);
	OPENSSL_cleanse(p->line, sizeof(p->line));
	p->line_len = 0;
	radio_kick(&p->radio);
}

static void s_auth_request(void *ctx, enum prov_auth_method m, uint8_t action, uint8_t size,
			   const char *show)
{
	struct provision *p = ctx;
	static const char *const out_actions[] = { "blinks", "beeps", "vibrations", "number",
						   "text" };
	static const char *const in_actions[] = { "pushes", "twists", "number", "text" };

	if (m == PROV_AUTH_INPUT) {
		/* the value is a one-time code for the user, not a key: it must be shown */
		fprintf(stderr, "Enter this %s on the device: %s\n",
			in_actions[action < 4 ? action : 0], show);
		return;
	}
	if (p->auth_value) {
		if (prov_session_auth_value(&p->session, radio_now(&p->radio), p->auth_value) < 0)
			fail_now(p, 0, "--auth-value does not fit the device's output (%s, %u)",
				 out_actions[action < 5 ? action : 0], size);
		return;
	}
	if (!isatty(STDIN_FILENO)) {
		fail_now(p, 0, "the device outputs a value: give it with --auth-value");
		return;
	}
	fprintf(stderr, "Enter the %s the device outputs (up to %u characters): ",
		out_actions[action < 5 ? action : 0], size);
	ev_io_init(&p->stdin_io, on_stdin, STDIN_FILENO, EV_READ);
	p->stdin_io.data = p;
	ev_io_start(p->loop, &p->stdin_io);
}

static int s_assign(void *ctx, uint8_t elements, uint16_t *addr)
{
	struct provision *p = ctx;

	if (p->want_unicast) {
		if ((unsigned)p->want_unicast + elements - 1 > 0x7fff ||
		    !nodedb_unicast_free(p->db, p->want_unicast, elements)) {
			snprintf(p->msg, sizeof(p->msg),
				 "--unicast 0x%04x: %u addresses from there are not free",
				 p->want_unicast, elements);
			return -EADDRINUSE;
		}
		*addr = p->want_unicast;
		return nodedb_reserve_unicast(p->db, *addr, elements);
	}
	return nodedb_alloc_unicast(p->db, elements, addr);
}

static void s_complete(void *ctx, const struct prov_result *r)
{
	struct provision *p = ctx;
	struct nodedb_node n;
	char err[256];

	p->ok = true;
	p->result = *r;
	memset(&n, 0, sizeof(n));
	memcpy(n.uuid, p->uuid, 16);
	n.unicast = r->unicast;
	n.elements = r->elements;
	memcpy(n.devkey, r->device_key, 16);
	n.net_key_index = r->net_key_index;
	err[0] = '\0';
	if (nodedb_add_node(p->db, &n) != 0)
		snprintf(err, sizeof(err), "the node's UUID or addresses are already taken");
	else if (nodedb_commit(p->db, err, sizeof(err)) == 0)
		p->saved = true;
	if (!p->saved) {
		/* the device is provisioned but we could not record it: say so loudly */
		p->ok = false;
		p->error = 0;
		snprintf(p->msg, sizeof(p->msg),
			 "device provisioned at 0x%04x but the database was not written: %.200s",
			 r->unicast, err);
	}
	OPENSSL_cleanse(&n, sizeof(n));
}

static void s_finished(void *ctx, bool ok, uint8_t error, const char *msg)
{
	struct provision *p = ctx;

	if (!ok && p->msg[0] == '\0') {
		snprintf(p->msg, sizeof(p->msg), "%s", msg);
		p->error = error;
	}
	if (ok && p->ok && p->configure && !p->stopping)
		start_configure(p);
	else
		stop(p);
}

/* ---- configuring the node (after provisioning) ---- */

static uint64_t setup_deadline(void *ctx)
{
	return node_setup_next_deadline(ctx);
}

static void setup_timer(void *ctx, uint64_t now)
{
	node_setup_tick(ctx, now);
}

static void c_indication(void *ctx, uint16_t src, uint8_t tid)
{
	struct provision *p = ctx;

	say(p, "answered the indication of 0x%04x (TID %u)", src, tid);
	if (p->setup_finished)
		stop(p); /* nothing more to wait for */
}

static void c_access(void *ctx, const struct mesh_rx *rx)
{
	struct provision *p = ctx;

	if (rx->dev_key && rx->src == p->result.unicast && p->setup_started)
		node_setup_input(&p->setup, radio_now(&p->radio), rx->src, rx->access, rx->len);
}

static int st_send(void *ctx, uint16_t dst, const uint8_t *pdu, size_t len)
{
	struct provision *p = ctx;

	return client_send_devkey(&p->client, dst, pdu, len);
}

static void st_progress(void *ctx, const char *what)
{
	say(ctx, "%s", what);
}

/* Record what the node confirmed; commit. */
static void record_configuration(struct provision *p, int rc, const char *msg)
{
	char err[256];

	client_record_setup(p->db, p->uuid, &p->setup, rc, msg);
	if (nodedb_commit(p->db, err, sizeof(err)) != 0) {
		p->configured = false;
		snprintf(p->config_error, sizeof(p->config_error),
			 "the configuration was not written to the database: %.140s", err);
	}
}

static void on_linger(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	stop(w->data);
}

static void st_done(void *ctx, int rc, const char *msg)
{
	struct provision *p = ctx;

	p->setup_finished = true;
	p->configured = rc == 0;
	if (rc != 0)
		snprintf(p->config_error, sizeof(p->config_error), "%s", msg);
	record_configuration(p, rc, msg);
	if (p->configured)
		say(p, "configured");
	/* an AliGenie device repeats its indication until answered: give it a moment */
	if (p->configured && p->is_aligenie && p->client.indications == 0 && !p->stopping) {
		ev_timer_set(&p->linger, 3.0, 0.0);
		ev_timer_start(p->loop, &p->linger);
		return;
	}
	stop(p);
}

static const struct node_setup_ops provision_setup_ops = {
	.send = st_send,
	.progress = st_progress,
	.done = st_done,
};

static void start_configure(struct provision *p)
{
	struct node_setup_params sp = { 0 };
	char why[256];
	uint16_t bound = 0;

	why[0] = '\0';
	if (client_init(&p->client, &p->radio, p->db, c_access, p, why, sizeof(why)) == 0) {
		p->client_on = true;
		p->client.indication = c_indication;
		client_add_node_key(&p->client, p->result.unicast, p->result.elements,
				    p->result.device_key);
		sp.unicast = p->result.unicast;
		sp.net_index = 0;
		sp.app_index = 0;
		sp.bind_and_subscribe = p->is_aligenie && p->ali.uuid_version == 0;
		memcpy(sp.groups, p->groups, sizeof(sp.groups));
		sp.ngroups = p->ngroups;
		say(p, "configuring 0x%04x from 0x%04x", sp.unicast, p->client.self);
		if (nodedb_app_key(p->db, 0, &bound, sp.app_key) != 0 ||
		    radio_add_timers(&p->radio, setup_deadline, setup_timer, &p->setup) < 0 ||
		    node_setup_start(&p->setup, radio_now(&p->radio), &sp, &provision_setup_ops, p) != 0)
			snprintf(why, sizeof(why), "cannot start configuring");
		else
			p->setup_started = true;
	}
	OPENSSL_cleanse(sp.app_key, sizeof(sp.app_key));
	if (!p->setup_started) {
		snprintf(p->config_error, sizeof(p->config_error), "%.190s", why);
		nodedb_node_set_unconfigured(p->db, p->uuid, why);
		stop(p);
		return;
	}
	radio_kick(&p->radio);
}

static const struct prov_session_ops provision_session_ops = {
	.send = s_send,
	.progress = s_progress,
	.auth_request = s_auth_request,
	.assign_address = s_assign,
	.complete = s_complete,
	.finished = s_finished,
};

/* ---- radio events ---- */

static uint64_t session_deadline(void *ctx)
{
	return prov_session_next_deadline(ctx);
}

static void session_tick(void *ctx, uint64_t now)
{
	prov_session_tick(ctx, now);
}

static void start_session(struct provision *p)
{
	uint32_t link_id;

	ev_timer_stop(p->loop, &p->wait_timer);
	if (mesh_random((uint8_t *)&link_id, sizeof(link_id)) != 0) {
		fail_now(p, 0, "no random numbers");
		return;
	}
	say(p, "opening link 0x%08x", (unsigned)link_id);
	p->session_started = true;
	if (radio_add_timers(&p->radio, session_deadline, session_tick, &p->session) < 0 ||
	    prov_session_start(&p->session, radio_now(&p->radio), link_id, p->uuid, &p->params,
			       &provision_session_ops, p) < 0) {
		p->session_started = false;
		fail_now(p, 0, "cannot open a PB-ADV link");
	}
}

static void on_ready(void *ctx)
{
	struct provision *p = ctx;

	say(p, "controller ready on %s; waiting for the beacon of %s", p->radio.tr.name,
	    p->uuid_hex);
	ev_timer_set(&p->wait_timer, p->wait_s, 0.0);
	ev_timer_start(p->loop, &p->wait_timer);
}

static void on_rx(void *ctx, uint8_t type, const uint8_t *data, size_t len,
		  const struct hci_adv_report *r)
{
	struct provision *p = ctx;
	struct unprov_beacon b;

	(void)r;
	if (p->stopping)
		return;
	if (type == AD_TYPE_PB_ADV) {
		if (p->session_started)
			prov_session_input(&p->session, radio_now(&p->radio), data, len);
		return;
	}
	if (type == AD_TYPE_MESH_MESSAGE) {
		if (p->client_on)
			client_input(&p->client, data, len);
		return;
	}
	if (type != AD_TYPE_MESH_BEACON || p->session_started)
		return;
	if (beacon_parse_unprov(data, len, &b) == 0 && !memcmp(b.uuid, p->uuid, 16)) {
		if (r->rssi == HCI_RSSI_UNKNOWN)
			say(p, "beacon heard");
		else
			say(p, "beacon heard (rssi %d)", r->rssi);
		start_session(p);
	}
}

static void on_fatal(void *ctx, const char *msg)
{
	struct provision *p = ctx;

	if (p->msg[0] == '\0')
		snprintf(p->msg, sizeof(p->msg), "%s", msg);
	ev_break(p->loop, EVBREAK_ALL);
}

static void on_stopped(void *ctx)
{
	struct provision *p = ctx;

	ev_break(p->loop, EVBREAK_ALL);
}

static const struct radio_ops provision_radio_ops = {
	.ready = on_ready,
	.rx = on_rx,
	.fatal = on_fatal,
	.stopped = on_stopped,
};

static void on_wait_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct provision *p = w->data;

	(void)loop;
	(void)revents;
	fail_now(p, 0, "no beacon from %s within %g s", p->uuid_hex, p->wait_s);
}

static void on_total_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct provision *p = w->data;

	(void)loop;
	(void)revents;
	fail_now(p, 0, "gave up after %g s", p->timeout_s);
}

static void on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct provision *p = w->data;

	(void)loop;
	(void)revents;
	fail_now(p, 0, "interrupted");
}

/* ---- options ---- */

static int read_secret_file(const char *path, char *out, size_t outlen)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return -1;
	n = fread(out, 1, outlen - 1, f);
	fclose(f);
	out[n] = '\0';
	while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r' || out[n - 1] == ' '))
		out[--n] = '\0';
	return 0;
}

/* The default database lives in /var/lib/meshprov, which may not exist yet. */
static void ensure_parent_dir(const char *path)
{
	char dir[4096];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return;
	*slash = '\0';
	if (mkdir(dir, 0700) == 0)
		log_info("created %s", dir);
}

enum {
	OPT_SECRET_FILE = 256,
	OPT_STATIC_OOB,
	OPT_NO_OOB,
	OPT_OUTPUT_OOB,
	OPT_INPUT_OOB,
	OPT_AUTH_VALUE,
	OPT_DEVICE_PUBKEY,
	OPT_UNICAST,
	OPT_ATTENTION,
	OPT_WAIT,
	OPT_NO_CONFIGURE,
	OPT_GROUP,
};

/* Fill p->params.auth from the options. 0, or EXIT_USAGE after a message. */
static int setup_auth(struct provision *p, const char *pid, const char *secret_hex, const char *mac,
		      const char *static_oob, int kind_opts, enum prov_auth_kind kind)
{
	struct prov_auth *a = &p->params.auth;
	const struct aligenie_info ali = p->ali;
	bool is_ali = p->is_aligenie;
	bool want_ali = pid || secret_hex || mac;

	if (kind_opts + (want_ali ? 1 : 0) > 1) {
		fprintf(stderr, "meshprov provision: choose one authentication method\n");
		return EXIT_USAGE;
	}
	if (!want_ali && kind_opts == 0 && is_ali) {
		fprintf(stderr, "meshprov provision: %s is an AliGenie device: give its --secret "
				"(or --secret-file, or MESHPROV_SECRET)\n", p->uuid_hex);
		return EXIT_USAGE;
	}
	if (!want_ali) {
		a->kind = kind_opts ? kind : PROV_USE_NO_OOB;
		if (a->kind == PROV_USE_STATIC) {
			int n = hex_decode_var(static_oob, a->static_value, sizeof(a->static_value));

			if (n != 16 && n != 32) {
				fprintf(stderr, "meshprov provision: --static-oob needs 16 or 32 octets of hex\n");
				return EXIT_USAGE;
			}
			a->static_len = (uint8_t)n;
		}
		return 0;
	}
	a->kind = PROV_USE_ALIGENIE;
	if (!secret_hex) {
		fprintf(stderr, "meshprov provision: AliGenie authentication needs --secret "
				"(or --secret-file, or MESHPROV_SECRET)\n");
		return EXIT_USAGE;
	}
	{
		int n = hex_decode_var(secret_hex, a->secret, sizeof(a->secret));

		if (n <= 0) {
			fprintf(stderr, "meshprov provision: the secret must be hex digits\n");
			return EXIT_USAGE;
		}
		a->secret_len = (uint8_t)n;
	}
	if (pid) {
		unsigned long v;

		if (parse_uint(pid, 0xffffffffUL, &v) < 0) {
			fprintf(stderr, "meshprov provision: --pid needs a number\n");
			return EXIT_USAGE;
		}
		if (is_ali && v != ali.product_id) {
			fprintf(stderr, "meshprov provision: --pid %lu disagrees with the UUID's ProductID %u\n",
				v, (unsigned)ali.product_id);
			return EXIT_USAGE;
		}
		a->product_id = (uint32_t)v;
	} else if (is_ali) {
		a->product_id = ali.product_id;
	} else {
		fprintf(stderr, "meshprov provision: not an AliGenie UUID: give --pid and --mac\n");
		return EXIT_USAGE;
	}
	if (mac) {
		if (hex_decode(mac, a->mac, 6) < 0) {
			fprintf(stderr, "meshprov provision: --mac needs 6 octets of hex\n");
			return EXIT_USAGE;
		}
		if (is_ali && memcmp(a->mac, ali.mac, 6)) {
			fprintf(stderr, "meshprov provision: --mac disagrees with the UUID's MAC\n");
			return EXIT_USAGE;
		}
	} else if (is_ali) {
		memcpy(a->mac, ali.mac, 6);
	} else {
		fprintf(stderr, "meshprov provision: not an AliGenie UUID: give --pid and --mac\n");
		return EXIT_USAGE;
	}
	a->random_bound = is_ali && ali.random_auth;
	return 0;
}

int cmd_provision(const struct global_opts *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "uuid", required_argument, NULL, 'u' },
		{ "pid", required_argument, NULL, 'p' },
		{ "secret", required_argument, NULL, 's' },
		{ "secret-file", required_argument, NULL, OPT_SECRET_FILE },
		{ "mac", required_argument, NULL, 'm' },
		{ "static-oob", required_argument, NULL, OPT_STATIC_OOB },
		{ "no-oob", no_argument, NULL, OPT_NO_OOB },
		{ "output-oob", no_argument, NULL, OPT_OUTPUT_OOB },
		{ "input-oob", no_argument, NULL, OPT_INPUT_OOB },
		{ "auth-value", required_argument, NULL, OPT_AUTH_VALUE },
		{ "device-public-key", required_argument, NULL, OPT_DEVICE_PUBKEY },
		{ "unicast", required_argument, NULL, OPT_UNICAST },
		{ "attention", required_argument, NULL, OPT_ATTENTION },
		{ "wait", required_argument, NULL, OPT_WAIT },
		{ "no-configure", no_argument, NULL, OPT_NO_CONFIGURE },
		{ "group", required_argument, NULL, OPT_GROUP },
		{ "timeout", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct provision prov_state; /* large; one per process */
	struct provision *p = &prov_state;
	const char *uuid = NULL, *pid = NULL, *secret = NULL, *mac = NULL, *static_oob = NULL;
	char secret_buf[160];
	enum prov_auth_kind kind = PROV_USE_NO_OOB;
	int kind_opts = 0, c, rc;
	unsigned long v;
	char err[256];
	uint8_t netkey[16];

	memset(p, 0, sizeof(*p));
	p->wait_s = DEFAULT_WAIT_S;
	p->configure = true;
	while ((c = getopt_long(argc, argv, "u:p:s:m:t:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'u': uuid = optarg; break;
		case 'p': pid = optarg; break;
		case 's': secret = optarg; break;
		case 'm': mac = optarg; break;
		case OPT_SECRET_FILE:
			if (read_secret_file(optarg, secret_buf, sizeof(secret_buf)) < 0) {
				fprintf(stderr, "meshprov provision: cannot read %s: %s\n", optarg,
					strerror(errno));
				return 1;
			}
			secret = secret_buf;
			break;
		case OPT_STATIC_OOB: static_oob = optarg; kind = PROV_USE_STATIC; kind_opts++; break;
		case OPT_NO_OOB: kind = PROV_USE_NO_OOB; kind_opts++; break;
		case OPT_OUTPUT_OOB: kind = PROV_USE_OUTPUT; kind_opts++; break;
		case OPT_INPUT_OOB: kind = PROV_USE_INPUT; kind_opts++; break;
		case OPT_AUTH_VALUE: p->auth_value = optarg; break;
		case OPT_DEVICE_PUBKEY:
			if (hex_decode(optarg, p->params.device_pubkey, 64) < 0 ||
			    mesh_ecdh_check_public(p->params.device_pubkey) != 0) {
				fprintf(stderr, "meshprov provision: --device-public-key needs a valid "
						"P-256 public key (64 octets of hex, X then Y)\n");
				return EXIT_USAGE;
			}
			p->params.has_device_pubkey = true;
			break;
		case OPT_UNICAST:
			if (parse_uint(optarg, 0x7fff, &v) < 0 || v == 0) {
				fprintf(stderr, "meshprov provision: --unicast needs an address 0x0001-0x7fff\n");
				return EXIT_USAGE;
			}
			p->want_unicast = (uint16_t)v;
			break;
		case OPT_ATTENTION:
			if (parse_uint(optarg, 255, &v) < 0) {
				fprintf(stderr, "meshprov provision: --attention needs 0-255 seconds\n");
				return EXIT_USAGE;
			}
			p->params.attention = (uint8_t)v;
			break;
		case OPT_WAIT:
			if ((p->wait_s = parse_seconds(optarg)) < 0) {
				fprintf(stderr, "meshprov provision: --wait needs a positive number of seconds\n");
				return EXIT_USAGE;
			}
			break;
		case 't':
			if ((p->timeout_s = parse_seconds(optarg)) < 0) {
				fprintf(stderr, "meshprov provision: --timeout needs a positive number of seconds\n");
				return EXIT_USAGE;
			}
			break;
		case OPT_NO_CONFIGURE: p->configure = false; break;
		case OPT_GROUP:
			if (parse_uint(optarg, 0xffff, &v) < 0 || v < 0xc000 || v >= 0xff00 ||
			    p->ngroups == NODE_SETUP_MAX_GROUPS) {
				fprintf(stderr, "meshprov provision: --group needs a group address "
						"0xc000-0xfeff (at most %d)\n", NODE_SETUP_MAX_GROUPS);
				return EXIT_USAGE;
			}
			p->groups[p->ngroups++] = (uint16_t)v;
			break;
		case 'j': p->json = true; break;
		case 'h': provision_usage(stdout); return 0;
		default: provision_usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "meshprov provision: unexpected argument '%s'\n", argv[optind]);
		return EXIT_USAGE;
	}
	if (!uuid || hex_decode(uuid, p->uuid, 16) < 0) {
		fprintf(stderr, "meshprov provision: --uuid needs the device UUID (32 hex digits)\n");
		return EXIT_USAGE;
	}
	hex_encode(p->uuid, 16, p->uuid_hex);
	p->is_aligenie = aligenie_decode(p->uuid, &p->ali);
	if (p->ngroups == 0) {
		p->groups[p->ngroups++] = ALIGENIE_GROUP_LIGHTS;
		p->groups[p->ngroups++] = ALIGENIE_GROUP_ALL;
	}
	/* the environment's secret applies where AliGenie authentication does */
	if (!secret && (pid || mac || (kind_opts == 0 && p->is_aligenie)))
		secret = getenv("MESHPROV_SECRET");
	rc = setup_auth(p, pid, secret, mac, static_oob, kind_opts, kind);
	OPENSSL_cleanse(secret_buf, sizeof(secret_buf));
	if (rc)
		return rc;

	p->progress = isatty(STDERR_FILENO) && !p->json;
	p->t0 = mono_ms();
	ensure_parent_dir(g->db);
	p->db = nodedb_open(g->db, 2000, err, sizeof(err));
	if (!p->db) {
		fprintf(stderr, "meshprov: %s\n", err);
		return 1;
	}
	{
		struct nodedb_node existing;

		if (nodedb_find_uuid(p->db, p->uuid, &existing) == 0) {
			fprintf(stderr, "meshprov: %s is already a node at 0x%04x in %s "
					"(meshprov nodes remove %s)\n",
				p->uuid_hex, existing.unicast, g->db, p->uuid_hex);
			OPENSSL_cleanse(&existing, sizeof(existing));
			nodedb_close(p->db);
			return 1;
		}
	}
	if (nodedb_net_key(p->db, 0, netkey) != 0) {
		fprintf(stderr, "meshprov: %s has no NetKey with index 0\n", g->db);
		nodedb_close(p->db);
		return 1;
	}
	memcpy(p->params.net_key, netkey, 16);
	OPENSSL_cleanse(netkey, sizeof(netkey));
	p->params.net_key_index = 0;
	p->params.iv_index = nodedb_iv_index(p->db);
	p->params.flags = nodedb_iv_update(p->db) ? 0x02 : 0x00;

	p->loop = ev_default_loop(EVFLAG_AUTO);
	if (radio_open(&p->radio, p->loop, g->hci, &provision_radio_ops, p, err, sizeof(err)) < 0) {
		fprintf(stderr, "meshprov: %s\n", err);
		nodedb_close(p->db);
		OPENSSL_cleanse(&p->params, sizeof(p->params));
		return 1;
	}
	adv_set_tx(&p->radio.adv, g->adv_interval_ms, g->adv_count);
	ev_init(&p->wait_timer, on_wait_timeout);
	p->wait_timer.data = p;
	ev_init(&p->total_timer, on_total_timeout);
	p->total_timer.data = p;
	ev_init(&p->linger, on_linger);
	p->linger.data = p;
	if (p->timeout_s > 0) {
		ev_timer_set(&p->total_timer, p->timeout_s, 0.0);
		ev_timer_start(p->loop, &p->total_timer);
	}
	ev_signal_init(&p->sigint, on_signal, SIGINT);
	p->sigint.data = p;
	ev_signal_init(&p->sigterm, on_signal, SIGTERM);
	p->sigterm.data = p;
	ev_signal_start(p->loop, &p->sigint);
	ev_signal_start(p->loop, &p->sigterm);
	radio_start(&p->radio);
	ev_run(p->loop, 0);

	if (!p->ok && p->msg[0] == '\0')
		snprintf(p->msg, sizeof(p->msg), "provisioning did not complete");
	report(p);
	ev_signal_stop(p->loop, &p->sigint);
	ev_signal_stop(p->loop, &p->sigterm);
	ev_timer_stop(p->loop, &p->wait_timer);
	ev_timer_stop(p->loop, &p->total_timer);
	ev_timer_stop(p->loop, &p->linger);
	radio_close(&p->radio);
	if (p->session_started)
		prov_session_free(&p->session);
	if (p->client_on)
		client_free(&p->client);
	nodedb_close(p->db);
	rc = p->ok && (!p->configure || p->configured) ? 0 : 1;
	OPENSSL_cleanse(p, sizeof(*p));
	return rc;
}
