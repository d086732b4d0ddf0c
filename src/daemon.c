/* meshprov daemon: the service. Owns the controller and the node database,
 * keeps the live table of unprovisioned devices, provisions and configures
 * the devices it holds credentials for (provjob, several at once), answers
 * every node's AliGenie indications (one client), and serves the CLI on the
 * control socket (newline-delimited JSON, see ctl.h). The edge: libev,
 * sockets, signals and files live here; the protocol work is in the cores. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "autoprov.h"
#include "beacon.h"
#include "cfgjob.h"
#include "cli.h"
#include "client.h"
#include "conf.h"
#include "ctl.h"
#include "ctlsrv.h"
#include "devtable.h"
#include "log.h"
#include "nodedb.h"
#include "provjob.h"
#include "provreq.h"
#include "radio.h"
#include "sdnotify.h"
#include "util.h"

#ifndef MESHPROV_VERSION
#define MESHPROV_VERSION "0.1"
#endif

#define DAEMON_MAX_CONNS 32
#define DAEMON_STOP_MS 1800         /* SIGTERM to exit, at most */
#define DAEMON_TICK_S 0.25

struct daemon;
struct conn;

/* A provisioning session: automatic, or asked for on the control socket. */
struct slot {
	bool used;
	bool started;          /* the job runs; else waiting for the beacon */
	bool reap;             /* the job is over: free it outside its callbacks */
	struct daemon *d;
	struct conn *conn;     /* who asked, or NULL (automatic, or gone) */
	bool requested;        /* on the control socket, not automatic */
	bool starting;         /* inside provjob_start */
	bool cancel_started;   /* the client left meanwhile: cancel once started */
	struct provreq req;
	uint64_t wait_until, give_up_at;
	struct provjob job;
};

/* A config request from the control socket, or the automatic configuring
 * again of a node left unconfigured. */
struct cfgslot {
	struct daemon *d;
	bool used;
	bool reap;
	bool automatic;
	struct conn *conn;
	struct cfgjob job;
};

/* A control client: its connection (ctlsrv allocates the whole struct),
 * what it asked for. */
struct conn {
	struct ctlconn io;     /* first */
	struct slot *slot;     /* its provision request */
	struct cfgslot *cfg;   /* its config request */
	bool following;        /* scan follow */
	bool follow_aligenie;
	uint64_t follow_until; /* NO_DEADLINE: until the client hangs up */
};

struct daemon {
	const struct global_opts *g;
	const char *config_path;
	bool config_given;
	const char *creds_override;
	bool no_auto;
	unsigned sessions_override;
	struct conf conf;
	struct creds creds;
	struct ev_loop *loop;
	struct radio radio;
	struct nodedb *db;
	struct client client;
	bool client_on;
	struct devtable table;
	struct slot slots[CONF_MAX_SESSIONS];
	struct cfgslot cfgs[CONF_MAX_SESSIONS];
	struct autoprov ap;     /* the automatic attempts */
	struct ctlsrv ctl;
	ev_signal sigterm, sigint, sighup;
	ev_timer tick, stop_timer;
	ev_idle reaper;
	uint64_t started_at;
	int64_t listen_since;  /* Unix seconds: scanning since (pending reservations) */
	uint64_t next_settle;
	bool ready;
	bool stopping;
	int rc;
};

static void daemon_usage(FILE *f)
{
	fprintf(f,
		"Usage: meshprov [GLOBAL OPTIONS] daemon [--config FILE] [OPTIONS]\n"
		"\n"
		"Run as a service: own the controller, scan continuously, provision and\n"
		"configure every device listed in the credentials file, and serve the CLI on\n"
		"the control socket. SIGTERM or SIGINT stops it; SIGHUP reloads the\n"
		"configuration and credentials.\n"
		"\n"
		"  -c, --config FILE        configuration file (default " CONF_DEFAULT_PATH ";\n"
		"                           if the default does not exist, built-in defaults)\n"
		"      --credentials FILE   credentials file (default " CONF_DEFAULT_CREDENTIALS ")\n"
		"      --no-auto-provision  provision only on request from the control socket\n"
		"      --max-sessions N     provisioning sessions at once (1-8, default 2)\n"
		"      --check              check the configuration and credentials, then exit\n"
		"  -h, --help               show this help\n"
		"\n"
		"The global options --hci, --db, --control, --adv-interval, --adv-count and\n"
		"--verbose override the configuration file.\n");
}

static uint64_t now_ms(void)
{
	return mono_ms();
}

/* ---- configuration ---- */

/* Read the configuration and credentials into c and cr, with the command
 * line's overrides. -1 with one line in err (c then undefined). cr is
 * initialised first, whatever fails: the caller creds_free()s it. */
static int load_config(struct daemon *d, struct conf *c, struct creds *cr, char *err, size_t errlen)
{
	const struct global_opts *g = d->g;

	creds_init(cr);
	if (conf_load(c, d->config_path, !d->config_given, err, errlen) < 0)
		return -1;
	if (g->hci_set)
		snprintf(c->hci, sizeof(c->hci), "%s", g->hci);
	if (g->db_set)
		snprintf(c->db, sizeof(c->db), "%s", g->db);
	if (g->control_set) {
		if (strlen(g->control) >= sizeof(c->control)) {
			snprintf(err, errlen, "--control %s: the path is too long", g->control);
			return -1;
		}
		snprintf(c->control, sizeof(c->control), "%s", g->control);
	}
	if (g->adv_set) {
		c->adv_interval_ms = g->adv_interval_ms;
		c->adv_count = g->adv_count;
	}
	if (d->creds_override)
		snprintf(c->credentials, sizeof(c->credentials), "%s", d->creds_override);
	if (d->no_auto)
		c->auto_provision = false;
	if (d->sessions_override)
		c->max_sessions = d->sessions_override;
	if (g->verbosity)
		c->log_level = g->verbosity >= 2 ? LOG_LVL_DEBUG : LOG_LVL_INFO;
	return creds_load(cr, c->credentials, err, errlen);
}

static void apply_config(struct daemon *d)
{
	log_set_level(d->conf.log_level);
	adv_set_tx(&d->radio.adv, d->conf.adv_interval_ms, d->conf.adv_count);
	if (d->conf.has_unicast_range)
		nodedb_set_unicast_range(d->db, d->conf.unicast_low, d->conf.unicast_high);
}

static void schedule_unconfigured(struct daemon *d);

static void reload(struct daemon *d)
{
	struct conf c;
	struct creds cr;
	char err[512];

	log_info("reloading %s and the credentials", d->config_path);
	if (load_config(d, &c, &cr, err, sizeof(err)) < 0) {
		creds_free(&cr);
		log_err("reload failed, keeping the running configuration: %s", err);
		return;
	}
	if (strcmp(c.hci, d->conf.hci) || strcmp(c.db, d->conf.db) ||
	    strcmp(c.control, d->conf.control) || strcmp(c.control_group, d->conf.control_group))
		log_warn("hci, db, control and control_group take effect on restart");
	snprintf(c.hci, sizeof(c.hci), "%s", d->conf.hci);
	snprintf(c.db, sizeof(c.db), "%s", d->conf.db);
	snprintf(c.control, sizeof(c.control), "%s", d->conf.control);
	snprintf(c.control_group, sizeof(c.control_group), "%s", d->conf.control_group);
	d->conf = c;
	creds_swap(&d->creds, &cr);
	creds_free(&cr);
	/* devices given up on get another chance */
	autoprov_reset(&d->ap, d->conf.max_devices, d->conf.max_attempts, d->conf.retry_delay_s);
	schedule_unconfigured(d);
	apply_config(d);
	log_info("reloaded: %zu credential%s, automatic provisioning %s", d->creds.n,
		 d->creds.n == 1 ? "" : "s", d->conf.auto_provision ? "on" : "off");
}

/* ---- control clients ---- */

/* Its streaming request is over: read its next one. */
static void conn_request_done(struct conn *c)
{
	c->following = false;
	ctlconn_done(&c->io);
}

/* ---- provisioning sessions ---- */

static struct slot *find_slot(struct daemon *d, const uint8_t uuid[16])
{
	for (unsigned i = 0; i < CONF_MAX_SESSIONS; i++)
		if (d->slots[i].used && !memcmp(d->slots[i].req.job.uuid, uuid, 16))
			return &d->slots[i];
	return NULL;
}

/* A job of ours runs for uuid: its reservation is its own. */
static bool job_running(void *ctx, const uint8_t uuid[16])
{
	struct slot *s = find_slot(ctx, uuid);

	return s && s->started;
}

static struct cfgslot *find_cfg(struct daemon *d, const uint8_t uuid[16])
{
	for (unsigned i = 0; i < CONF_MAX_SESSIONS; i++)
		if (d->cfgs[i].used && !d->cfgs[i].reap && !memcmp(d->cfgs[i].job.node.uuid, uuid, 16))
			return &d->cfgs[i];
	return NULL;
}

static struct cfgslot *free_cfg(struct daemon *d)
{
	for (unsigned i = 0; i < CONF_MAX_SESSIONS; i++)
		if (!d->cfgs[i].used)
			return &d->cfgs[i];
	return NULL;
}

static unsigned active_slots(const struct daemon *d)
{
	unsigned n = 0;

	for (unsigned i = 0; i < CONF_MAX_SESSIONS; i++)
		n += d->slots[i].used;
	return n;
}

static struct slot *free_slot(struct daemon *d)
{
	if (active_slots(d) >= d->conf.max_sessions)
		return NULL;
	for (unsigned i = 0; i < CONF_MAX_SESSIONS; i++)
		if (!d->slots[i].used)
			return &d->slots[i];
	return NULL;
}

static void slot_event(struct slot *s, const char *text)
{
	struct json_object *o;

	if (!s->conn)
		return;
	o = json_object_new_object();
	json_object_object_add(o, "event", json_object_new_string("progress"));
	json_object_object_add(o, "text", json_object_new_string(text));
	ctlconn_send(&s->conn->io, o);
}

static void j_progress(void *ctx, const char *text)
{
	struct slot *s = ctx;

	log_debug("%s: %s", s->job.uuid_hex, text);
	slot_event(s, text);
}

static int j_auth_prompt(void *ctx, bool ask, const char *text)
{
	struct slot *s = ctx;

	if (ask)
		return -1; /* nobody to type it: --auth-value */
	/* the input OOB value goes to the client only, never to the log */
	log_info("%s: input OOB value shown to the client", s->job.uuid_hex);
	slot_event(s, text);
	return 0;
}

static struct client *j_client(void *ctx, char *err, size_t errlen)
{
	struct slot *s = ctx;

	if (!s->d->client_on) {
		snprintf(err, errlen, "meshprov's own node is not set up in the database");
		return NULL;
	}
	return &s->d->client;
}

/* An automatic attempt failed (provisioning, or configuring the node): the
 * back-off, or giving up with one log line. */
static void attempt_failed(struct daemon *d, const uint8_t uuid[16], const char *hex,
			   const char *msg)
{
	struct autoprov_failure f;

	if (d->stopping || !autoprov_failed(&d->ap, uuid, now_ms(), &f))
		return;
	if (f.given_up)
		log_err("giving up on %s after %u attempt%s: %s", hex, f.count,
			f.count == 1 ? "" : "s", msg);
	else
		log_warn("%s: attempt %u of %u failed: %s; next in %u s", hex, f.count,
			 d->conf.max_attempts, msg, f.delay_s);
}

/* The outcome of an automatic provisioning, in the log. A node left
 * unconfigured is configured again later (retry_configuration), or
 * provisioned again if it drops its provisioning (maybe_provision). */
static void auto_outcome(struct daemon *d, struct slot *s)
{
	const struct provjob *j = &s->job;

	if (j->ok && j->configured) {
		autoprov_forget(&d->ap, j->params.uuid);
		log_info("%s provisioned at 0x%04x and configured", j->uuid_hex, j->result.unicast);
	} else if (j->ok) {
		log_warn("%s provisioned at 0x%04x but not configured: %s", j->uuid_hex,
			 j->result.unicast, j->config_error);
		attempt_failed(d, j->params.uuid, j->uuid_hex, j->config_error);
	} else {
		attempt_failed(d, j->params.uuid, j->uuid_hex, j->msg);
	}
}

static void j_done(void *ctx)
{
	struct slot *s = ctx;
	struct daemon *d = s->d;

	if (s->job.ok)
		devtable_remove(&d->table, s->job.params.uuid);
	if (s->conn) {
		struct json_object *o = json_object_new_object();
		struct json_object *res = provjob_json(&s->job);

		json_object_object_add(o, "ok", json_object_new_boolean(s->job.ok));
		json_object_object_add(o, "result", res);
		ctlconn_send(&s->conn->io, o);
		if (s->conn) {
			s->conn->slot = NULL;
			conn_request_done(s->conn);
		}
		s->conn = NULL;
		if (s->job.ok)
			log_info("%s provisioned at 0x%04x on request", s->job.uuid_hex,
				 s->job.result.unicast);
		else
			log_warn("%s: provisioning on request failed: %s", s->job.uuid_hex, s->job.msg);
	} else if (!s->requested) {
		auto_outcome(d, s);
	}
	s->reap = true;
	ev_idle_start(d->loop, &d->reaper);
}

static const struct provjob_ops daemon_job_ops = {
	.progress = j_progress,
	.auth_prompt = j_auth_prompt,
	.client = j_client,
	.done = j_done,
};

static void slot_release(struct slot *s)
{
	if (s->started)
		provjob_free(&s->job);
	OPENSSL_cleanse(&s->req, sizeof(s->req));
	s->used = s->started = s->reap = false;
	s->conn = NULL;
}

/* The device's beacon was heard: open the link. */
static void slot_start(struct daemon *d, struct slot *s)
{
	char err[256];
	int rc;

	s->starting = true;
	rc = provjob_start(&s->job, &d->radio, d->db, &s->req.job, &daemon_job_ops, s, err,
			   sizeof(err));
	s->starting = false;
	if (rc < 0) {
		/* nothing started: report as a failed job would */
		provjob_fail_unstarted(&s->job, &s->req.job, err);
		j_done(s);
		return;
	}
	s->started = true;
	if (s->cancel_started)
		provjob_cancel(&s->job, "the client went away");
}

static void slot_fail_waiting(struct slot *s, const char *msg)
{
	provjob_fail_unstarted(&s->job, &s->req.job, msg);
	j_done(s);
}

static void reap(struct ev_loop *loop, ev_idle *w, int revents)
{
	struct daemon *d = w->data;

	(void)revents;
	ev_idle_stop(loop, w);
	for (unsigned i = 0; i < CONF_MAX_SESSIONS; i++) {
		if (d->slots[i].used && d->slots[i].reap)
			slot_release(&d->slots[i]);
		if (d->cfgs[i].used && d->cfgs[i].reap) {
			cfgjob_free(&d->cfgs[i].job);
			d->cfgs[i].used = d->cfgs[i].reap = false;
		}
	}
	if (d->stopping && active_slots(d) == 0)
		radio_stop(&d->radio);
}

/* What the database says of uuid, for the policy: a node that may not be
 * provisioned again (provjob_check_new) is a configured one. */
static enum autoprov_node node_state(struct daemon *d, const uint8_t uuid[16])
{
	struct nodedb_node n;
	char err[256];

	if (provjob_check_new(d->db, uuid, err, sizeof(err)) < 0)
		return AUTOPROV_CONFIGURED;
	if (nodedb_find_uuid(d->db, uuid, &n) != 0)
		return AUTOPROV_NOT_NODE;
	OPENSSL_cleanse(&n, sizeof(n));
	return AUTOPROV_UNCONFIGURED;
}

/* Automatic provisioning of a device just heard, when it is due. */
static void maybe_provision(struct daemon *d, const struct dev_entry *e)
{
	const uint8_t *uuid = e->beacon.uuid;
	const struct cred *cr;
	enum autoprov_beacon what;
	struct slot *s;
	unsigned attempt;
	char hex[33];

	if (!d->conf.auto_provision || d->stopping || !d->ready || find_slot(d, uuid) ||
	    find_cfg(d, uuid))
		return;
	cr = creds_match(&d->creds, uuid);
	if (!cr)
		return;
	what = autoprov_beacon(&d->ap, uuid, node_state(d, uuid), now_ms(), &attempt);
	if (what == AUTOPROV_WAIT)
		return;
	s = free_slot(d);
	if (!s)
		return;
	memset(s, 0, sizeof(*s));
	s->used = true;
	s->d = d;
	s->wait_until = s->give_up_at = NO_DEADLINE;
	memcpy(s->req.job.uuid, uuid, 16);
	creds_auth(cr, uuid, &s->req.job.prov.auth);
	s->req.job.configure = true;
	if (e->is_aligenie) {
		const struct conf_groups *gr = conf_groups_for(&d->conf, e->ali.product_id);

		memcpy(s->req.job.groups, gr->addr, sizeof(s->req.job.groups));
		s->req.job.ngroups = gr->n;
	}
	hex_encode(uuid, 16, hex);
	if (what == AUTOPROV_PROVISION_ANEW) {
		struct nodedb_node n;

		if (nodedb_find_uuid(d->db, uuid, &n) == 0)
			log_info("%s, unconfigured at 0x%04x, beacons as unprovisioned: it dropped "
				 "that provisioning", hex, n.unicast);
		OPENSSL_cleanse(&n, sizeof(n));
	}
	log_info("provisioning %s (%s, line %u of the credentials), attempt %u of %u", hex,
		 cr->kind == CRED_ALIGENIE ? "AliGenie" : cr->kind == CRED_STATIC_OOB ? "static OOB" :
										 "no OOB",
		 cr->line, attempt, d->conf.max_attempts);
	slot_start(d, s);
}

/* ---- radio ---- */

static void c_access(void *ctx, const struct mesh_rx *rx)
{
	struct daemon *d = ctx;

	for (unsigned i = 0; i < CONF_MAX_SESSIONS; i++) {
		if (d->slots[i].used && d->slots[i].started && !d->slots[i].reap &&
		    provjob_access(&d->slots[i].job, rx))
			return;
		if (d->cfgs[i].used && !d->cfgs[i].reap && cfgjob_access(&d->cfgs[i].job, rx))
			return;
	}
}

static void c_indication(void *ctx, uint16_t src, uint8_t tid)
{
	struct daemon *d = ctx;

	log_debug("answered the indication of 0x%04x (TID %u)", src, tid);
	for (unsigned i = 0; i < CONF_MAX_SESSIONS; i++)
		if (d->slots[i].used && d->slots[i].started && !d->slots[i].reap)
			provjob_indication(&d->slots[i].job, src);
}

static void on_ready(void *ctx)
{
	struct daemon *d = ctx;
	char err[256], state[400];

	if (client_init(&d->client, &d->radio, d->db, c_access, d, err, sizeof(err)) == 0) {
		d->client_on = true;
		d->client.indication = c_indication;
	} else {
		log_err("cannot act as a node of the network (%s): devices will be provisioned "
			"but not configured", err);
	}
	d->ready = true;
	d->listen_since = (int64_t)time(NULL);
	schedule_unconfigured(d);
	log_info("controller ready on %s; %zu credential%s, automatic provisioning %s, control "
		 "socket %s", d->radio.tr.name, d->creds.n, d->creds.n == 1 ? "" : "s",
		 d->conf.auto_provision ? "on" : "off", d->conf.control);
	snprintf(state, sizeof(state), "READY=1\nSTATUS=Scanning on %.200s", d->radio.tr.name);
	if (sd_notify_send(state, err, sizeof(err)) < 0)
		log_warn("%s", err);
}

static void follow_event(struct daemon *d, const struct dev_entry *e)
{
	for (struct ctlconn *i = d->ctl.conns; i; i = i->next) {
		struct conn *c = (struct conn *)i;
		struct json_object *o;

		if (!c->following || (c->follow_aligenie && !e->is_aligenie))
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "event", json_object_new_string("device"));
		json_object_object_add(o, "device", dev_entry_json_live(e, now_ms()));
		ctlconn_send(&c->io, o);
	}
}

static void on_rx(void *ctx, uint8_t type, const uint8_t *data, size_t len,
		  const struct hci_adv_report *r)
{
	struct daemon *d = ctx;
	struct unprov_beacon b;
	struct dev_entry *e;
	struct slot *s;
	char err[256];
	bool is_new;

	if (type == AD_TYPE_PB_ADV) {
		for (unsigned i = 0; i < CONF_MAX_SESSIONS; i++)
			if (d->slots[i].used && d->slots[i].started && !d->slots[i].reap)
				provjob_pb_adv(&d->slots[i].job, data, len);
		return;
	}
	if (type == AD_TYPE_MESH_MESSAGE) {
		if (d->client_on)
			client_input(&d->client, data, len);
		return;
	}
	if (type != AD_TYPE_MESH_BEACON || beacon_parse_unprov(data, len, &b) < 0)
		return;
	s = find_slot(d, b.uuid);
	/* a pending reservation of a device that beacons did not take (unless
	 * our running job made it) */
	if ((!s || !s->started) && provjob_reservation_heard(d->db, b.uuid, (int64_t)time(NULL),
							     d->listen_since, err, sizeof(err)) < 0)
		log_warn("%s", err);
	e = devtable_update(&d->table, &b, r, now_ms(), &is_new);
	if (!e)
		return;
	if (is_new) {
		log_debug("new device %s", e->is_aligenie ? "(AliGenie)" : "");
		follow_event(d, e);
	}
	if (s && !s->started && !s->reap && !d->stopping)
		slot_start(d, s);
	else if (!s)
		maybe_provision(d, e);
}

static void on_fatal(void *ctx, const char *msg)
{
	struct daemon *d = ctx;

	log_err("%s", msg);
	d->rc = 1;
	ev_break(d->loop, EVBREAK_ALL);
}

static void on_stopped(void *ctx)
{
	struct daemon *d = ctx;

	ev_break(d->loop, EVBREAK_ALL);
}

static const struct radio_ops daemon_radio_ops = {
	.ready = on_ready,
	.rx = on_rx,
	.fatal = on_fatal,
	.stopped = on_stopped,
};

/* ---- control requests ---- */

/* Fields a request may carry, besides cmd. */
static int check_fields(struct conn *c, struct json_object *req, const char *const *allowed)
{
	json_object_object_foreach(req, key, val) {
		bool ok = !strcmp(key, "cmd");

		(void)val;
		for (unsigned i = 0; allowed[i] && !ok; i++)
			ok = !strcmp(key, allowed[i]);
		if (!ok) {
			ctlconn_error(&c->io, true, "unknown field '%.40s'", key);
			return -1;
		}
	}
	return 0;
}

static int get_bool(struct conn *c, struct json_object *req, const char *key, bool *out)
{
	struct json_object *v;

	if (!json_object_object_get_ex(req, key, &v))
		return 0;
	if (!json_object_is_type(v, json_type_boolean)) {
		ctlconn_error(&c->io, true, "'%s' must be true or false", key);
		return -1;
	}
	*out = json_object_get_boolean(v);
	return 0;
}

static void req_status(struct daemon *d, struct conn *c, struct json_object *req)
{
	static const char *const allowed[] = { NULL };
	struct json_object *o;

	if (check_fields(c, req, allowed) < 0)
		return;
	o = ctlsrv_reply_ok();

	json_object_object_add(o, "version", json_object_new_string(MESHPROV_VERSION));
	json_object_object_add(o, "hci", json_object_new_string(d->radio.tr.name));
	json_object_object_add(o, "ready", json_object_new_boolean(d->ready));
	json_object_object_add(o, "uptime_s",
			       json_object_new_int64((int64_t)(now_ms() - d->started_at) / 1000));
	json_object_object_add(o, "devices", json_object_new_int64((int64_t)d->table.n));
	json_object_object_add(o, "nodes", json_object_new_int64((int64_t)nodedb_count(d->db)));
	json_object_object_add(o, "sessions", json_object_new_int((int)active_slots(d)));
	json_object_object_add(o, "max_sessions", json_object_new_int((int)d->conf.max_sessions));
	json_object_object_add(o, "auto_provision", json_object_new_boolean(d->conf.auto_provision));
	json_object_object_add(o, "credentials", json_object_new_int64((int64_t)d->creds.n));
	json_object_object_add(o, "db", json_object_new_string(nodedb_path(d->db)));
	ctlconn_send(&c->io, o);
}

static void req_scan(struct daemon *d, struct conn *c, struct json_object *req)
{
	static const char *const allowed[] = { "follow", "timeout", "aligenie", NULL };
	bool follow = false, aligenie = false;
	struct json_object *v, *devs;
	double timeout = 0;

	if (check_fields(c, req, allowed) < 0 || get_bool(c, req, "follow", &follow) < 0 ||
	    get_bool(c, req, "aligenie", &aligenie) < 0)
		return;
	if (json_object_object_get_ex(req, "timeout", &v)) {
		if (!(json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double)) ||
		    (timeout = json_object_get_double(v)) <= 0 || timeout > 1e7) {
			ctlconn_error(&c->io, true, "'timeout' must be a positive number of seconds");
			return;
		}
	}
	if (follow) {
		c->following = true;
		c->follow_aligenie = aligenie;
		c->follow_until = timeout > 0 ? now_ms() + (uint64_t)(timeout * 1000) : NO_DEADLINE;
		ctlconn_hold(&c->io);
		for (size_t i = 0; i < d->table.n; i++)
			if (!aligenie || d->table.e[i].is_aligenie) {
				struct json_object *o = json_object_new_object();

				json_object_object_add(o, "event", json_object_new_string("device"));
				json_object_object_add(o, "device",
						       dev_entry_json_live(&d->table.e[i], now_ms()));
				ctlconn_send(&c->io, o);
			}
		return;
	}
	devs = json_object_new_array();
	for (size_t i = 0; i < d->table.n; i++)
		if (!aligenie || d->table.e[i].is_aligenie)
			json_object_array_add(devs, dev_entry_json_live(&d->table.e[i], now_ms()));
	v = ctlsrv_reply_ok();
	json_object_object_add(v, "devices", devs);
	ctlconn_send(&c->io, v);
}

static void req_provision(struct daemon *d, struct conn *c, struct json_object *req)
{
	struct slot *s;
	char err[256], hex[33];

	s = free_slot(d);
	if (!s) {
		ctlconn_error(&c->io, false, "all %u provisioning sessions are busy: try again shortly",
			   d->conf.max_sessions);
		return;
	}
	memset(s, 0, sizeof(*s));
	if (provreq_parse(req, &s->req, err, sizeof(err)) < 0) {
		ctlconn_error(&c->io, true, "%s", err);
		return;
	}
	if (provjob_check_new(d->db, s->req.job.uuid, err, sizeof(err)) < 0) {
		OPENSSL_cleanse(&s->req, sizeof(s->req));
		ctlconn_error(&c->io, false, "%s", err);
		return;
	}
	if (find_slot(d, s->req.job.uuid) || find_cfg(d, s->req.job.uuid)) {
		OPENSSL_cleanse(&s->req, sizeof(s->req));
		ctlconn_error(&c->io, false, "the daemon is provisioning or configuring that device already");
		return;
	}
	s->used = true;
	s->d = d;
	s->conn = c;
	s->requested = true;
	s->wait_until = now_ms() + (uint64_t)(s->req.wait_s * 1000);
	s->give_up_at = s->req.timeout_s > 0 ? now_ms() + (uint64_t)(s->req.timeout_s * 1000) :
					       NO_DEADLINE;
	c->slot = s;
	ctlconn_hold(&c->io);
	autoprov_forget(&d->ap, s->req.job.uuid); /* an explicit request: a new chance */
	/* sending may find the client gone: on_closed then cancels the slot */
	hex_encode(s->req.job.uuid, 16, hex);
	snprintf(err, sizeof(err), "daemon on %.100s; waiting for the beacon of %s",
		 d->radio.tr.name, hex);
	slot_event(s, err);
}

static void req_nodes(struct daemon *d, struct conn *c, struct json_object *req)
{
	static const char *const allowed[] = { NULL };
	struct json_object *o;

	if (check_fields(c, req, allowed) < 0)
		return;
	o = ctlsrv_reply_ok();
	json_object_object_add(o, "nodes", nodedb_nodes_json(d->db));
	ctlconn_send(&c->io, o);
}

/* remove of a pending reservation (Provisioning Complete never seen): it is
 * released into networkExclusions. -1 when text names none (or a job of
 * ours holds it). */
static int remove_reservation(struct daemon *d, struct conn *c, const char *text)
{
	struct nodedb_reservation r;
	struct json_object *o;
	char err[256], hex[33];

	if (nodedb_reservation_lookup(d->db, text, &r) != 0 || job_running(d, r.uuid)) {
		OPENSSL_cleanse(&r, sizeof(r));
		return -1;
	}
	hex_encode(r.uuid, 16, hex);
	err[0] = '\0';
	if (nodedb_reservation_release(d->db, r.uuid) != 0 || nodedb_commit(d->db, err, sizeof(err)) != 0) {
		ctlconn_error(&c->io, false, "cannot release the reservation of %s: %s", hex, err);
	} else {
		log_info("released the reservation of %s (0x%04x) on request", hex, r.unicast);
		o = ctlsrv_reply_ok();
		json_object_object_add(o, "uuid", json_object_new_string(hex));
		json_object_object_add(o, "unicast", json_object_new_int(r.unicast));
		ctlconn_send(&c->io, o);
	}
	OPENSSL_cleanse(&r, sizeof(r));
	return 0;
}

static void req_remove(struct daemon *d, struct conn *c, struct json_object *req)
{
	static const char *const allowed[] = { "node", NULL };
	struct nodedb_node n;
	struct json_object *v, *o;
	char err[256], hex[33];
	int rc;

	if (check_fields(c, req, allowed) < 0)
		return;
	if (!json_object_object_get_ex(req, "node", &v) || !json_object_is_type(v, json_type_string)) {
		ctlconn_error(&c->io, true, "'node' must be a string: a UUID or a unicast address");
		return;
	}
	rc = nodedb_lookup(d->db, json_object_get_string(v), &n);
	if (rc == -EINVAL) {
		ctlconn_error(&c->io, true, "'%.60s' is neither a UUID nor a unicast address",
			   json_object_get_string(v));
		return;
	}
	if (rc != 0 && remove_reservation(d, c, json_object_get_string(v)) == 0)
		return;
	if (rc != 0) {
		ctlconn_error(&c->io, false, "no node %.60s in %s", json_object_get_string(v),
			   nodedb_path(d->db));
		return;
	}
	hex_encode(n.uuid, 16, hex);
	if (nodedb_remove_node(d->db, n.uuid) != 0 || nodedb_commit(d->db, err, sizeof(err)) != 0) {
		ctlconn_error(&c->io, false, "cannot remove %s: %s", hex, err);
	} else {
		log_info("removed node %s (0x%04x) on request", hex, n.unicast);
		o = ctlsrv_reply_ok();
		json_object_object_add(o, "uuid", json_object_new_string(hex));
		json_object_object_add(o, "unicast", json_object_new_int(n.unicast));
		ctlconn_send(&c->io, o);
	}
	OPENSSL_cleanse(&n, sizeof(n));
}

/* setup on an AliGenie node: the groups meshprov.conf gives its ProductID. */
static void setup_groups(struct daemon *d, struct cfgjob *j)
{
	struct aligenie_info ali;
	const struct conf_groups *gr;

	if (j->cmd != CFGJOB_SETUP || !aligenie_decode(j->node.uuid, &ali))
		return;
	gr = conf_groups_for(&d->conf, ali.product_id);
	memcpy(j->groups, gr->addr, sizeof(j->groups));
	j->ngroups = gr->n;
}

static void cfg_done(void *ctx);

/* A config job for node in the free slot cs: for the client c, or
 * automatic (c NULL). The caller starts it. 0; -1 usage error, -2 failure,
 * with one line in err (cfgjob_prepare). */
static int cfgslot_prepare(struct daemon *d, struct cfgslot *cs, const char *node, int argc,
			   char *const *argv, bool force, struct conn *c, char *err, size_t errlen)
{
	int rc = cfgjob_prepare(&cs->job, d->db, node, argc, argv, force, err, errlen);

	if (rc < 0) {
		cfgjob_free(&cs->job);
		return rc;
	}
	setup_groups(d, &cs->job);
	cs->used = true;
	cs->automatic = c == NULL;
	cs->reap = false;
	cs->d = d;
	cs->conn = c;
	return 0;
}

/* Configure again, automatically, a node left unconfigured. */
static void start_auto_config(struct daemon *d, struct cfgslot *cs, const struct autoprov_attempt *a)
{
	char hex[33], err[256];
	char setup[] = "setup";
	char *argv[] = { setup };

	hex_encode(a->uuid, 16, hex);
	if (cfgslot_prepare(d, cs, hex, 1, argv, false, NULL, err, sizeof(err)) < 0)
		return;
	log_info("configuring %s at 0x%04x again, attempt %u of %u", hex, cs->job.node.unicast,
		 a->count + 1, d->conf.max_attempts);
	if (cfgjob_start(&cs->job, &d->radio, &d->client, cfg_done, cs) != 0) {
		cfgjob_free(&cs->job);
		cs->used = false;
	}
}

/* The automatic attempts that are due on nodes left unconfigured: configure
 * them again. A node whose unprovisioned beacon is heard has dropped its
 * provisioning; maybe_provision provisions it again instead. */
static bool f_eligible(void *ctx, const uint8_t uuid[16])
{
	struct daemon *d = ctx;

	return !find_slot(d, uuid) && !find_cfg(d, uuid) && creds_match(&d->creds, uuid);
}

static enum autoprov_node f_node(void *ctx, const uint8_t uuid[16])
{
	return node_state(ctx, uuid);
}

static bool f_last_beacon(void *ctx, const uint8_t uuid[16], uint64_t *at)
{
	struct daemon *d = ctx;
	const struct dev_entry *e = devtable_find(&d->table, uuid);

	if (e)
		*at = e->last_seen;
	return e != NULL;
}

static const struct autoprov_facts daemon_facts = {
	.eligible = f_eligible,
	.node = f_node,
	.last_beacon = f_last_beacon,
};

static void retry_configuration(struct daemon *d, uint64_t now)
{
	struct autoprov_attempt a;
	size_t i = 0;

	if (!d->conf.auto_provision || d->stopping || !d->ready || !d->client_on)
		return;
	while (autoprov_next_config(&d->ap, now, &daemon_facts, d, &i, &a)) {
		struct cfgslot *cs = free_cfg(d);

		if (!cs)
			return;
		start_auto_config(d, cs, &a);
	}
}

/* Nodes in the database left unconfigured (by an earlier run, or given up
 * before a reload) whose credentials the daemon holds: due now. */
static void schedule_unconfigured(struct daemon *d)
{
	struct nodedb_node n;

	for (size_t i = 0; nodedb_node_at(d->db, i, &n) == 0; i++) {
		if (!n.config_complete && creds_match(&d->creds, n.uuid))
			autoprov_schedule(&d->ap, n.uuid, now_ms());
		OPENSSL_cleanse(&n, sizeof(n));
	}
}

static void cfg_done(void *ctx)
{
	struct cfgslot *cs = ctx;
	struct daemon *d = cs->d;

	if (cs->conn) {
		struct conn *c = cs->conn;
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "ok", json_object_new_boolean(cfgjob_ok(&cs->job)));
		json_object_object_add(o, "result", cfgjob_json(&cs->job));
		log_info("config %s %s: %s", cs->job.uuid_hex, cs->job.cmd_name, cs->job.msg);
		cs->conn = NULL;
		ctlconn_send(&c->io, o);
		if (ctlconn_open(&c->io)) {
			c->cfg = NULL;
			conn_request_done(c);
		}
	} else if (cs->automatic && cfgjob_ok(&cs->job)) {
		autoprov_forget(&d->ap, cs->job.node.uuid);
		log_info("%s at 0x%04x configured", cs->job.uuid_hex, cs->job.node.unicast);
	} else if (cs->automatic) {
		attempt_failed(d, cs->job.node.uuid, cs->job.uuid_hex, cs->job.msg);
	}
	cs->reap = true;
	ev_idle_start(d->loop, &d->reaper);
}

static void req_config(struct daemon *d, struct conn *c, struct json_object *req)
{
	static const char *const allowed[] = { "node", "args", "force", NULL };
	struct json_object *node, *args;
	struct cfgslot *cs = NULL;
	char *argv[6];
	bool force = false;
	size_t n;
	char err[256];
	int rc;

	if (check_fields(c, req, allowed) < 0 || get_bool(c, req, "force", &force) < 0)
		return;
	if (!json_object_object_get_ex(req, "node", &node) ||
	    !json_object_is_type(node, json_type_string)) {
		ctlconn_error(&c->io, true, "'node' must be a string: a UUID or a unicast address");
		return;
	}
	if (!json_object_object_get_ex(req, "args", &args) ||
	    !json_object_is_type(args, json_type_array) ||
	    (n = json_object_array_length(args)) < 1 || n > ARRAY_SIZE(argv)) {
		ctlconn_error(&c->io, true, "'args' must be an array of 1-%zu strings: the command and "
			   "its arguments", ARRAY_SIZE(argv));
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct json_object *a = json_object_array_get_idx(args, i);

		if (!json_object_is_type(a, json_type_string)) {
			ctlconn_error(&c->io, true, "'args' must be an array of strings");
			return;
		}
		argv[i] = (char *)json_object_get_string(a);
	}
	cs = free_cfg(d);
	if (!cs) {
		ctlconn_error(&c->io, false, "too many config requests at once: try again shortly");
		return;
	}
	if (!d->client_on) {
		ctlconn_error(&c->io, false, "meshprov's own node is not set up in the database");
		return;
	}
	rc = cfgslot_prepare(d, cs, json_object_get_string(node), (int)n, argv, force, c, err,
			     sizeof(err));
	if (rc < 0) {
		ctlconn_error(&c->io, rc == -1, "%s", err);
		return;
	}
	c->cfg = cs;
	ctlconn_hold(&c->io);
	if (cfgjob_start(&cs->job, &d->radio, &d->client, cfg_done, cs) != 0) {
		cs->conn = NULL;
		c->cfg = NULL;
		c->io.held = false; /* not started after all */
		cfgjob_free(&cs->job);
		cs->used = false;
		ctlconn_error(&c->io, false, "internal error: no timer slot");
	}
}

static void handle_request(struct daemon *d, struct conn *c, const char *line, size_t len)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *req = NULL, *cmdv;
	const char *cmd;

	if (tok) {
		req = json_tokener_parse_ex(tok, line, (int)len);
		if (json_tokener_get_error(tok) != json_tokener_success ||
		    (size_t)json_tokener_get_parse_end(tok) != len) {
			json_object_put(req);
			req = NULL;
		}
		json_tokener_free(tok);
	}
	if (!req || !json_object_is_type(req, json_type_object)) {
		ctlconn_error(&c->io, true, "a request is one JSON object a line");
		json_object_put(req);
		return;
	}
	if (!json_object_object_get_ex(req, "cmd", &cmdv) ||
	    !json_object_is_type(cmdv, json_type_string)) {
		ctlconn_error(&c->io, true, "'cmd' must be a string");
		json_object_put(req);
		return;
	}
	cmd = json_object_get_string(cmdv);
	if (d->stopping)
		ctlconn_error(&c->io, false, "the daemon is stopping");
	else if (!strcmp(cmd, "status"))
		req_status(d, c, req);
	else if (!strcmp(cmd, "scan"))
		req_scan(d, c, req);
	else if (!strcmp(cmd, "provision"))
		req_provision(d, c, req);
	else if (!strcmp(cmd, "nodes"))
		req_nodes(d, c, req);
	else if (!strcmp(cmd, "remove"))
		req_remove(d, c, req);
	else if (!strcmp(cmd, "config"))
		req_config(d, c, req);
	else
		ctlconn_error(&c->io, true, "unknown command '%.40s'", cmd);
	json_object_put(req);
}

/* ---- control clients: requests and leaving ---- */

static void on_request(void *ctx, struct ctlconn *io, const char *line, size_t len)
{
	handle_request(ctx, (struct conn *)io, line, len);
}

/* A client left: its provision or config request is cancelled. */
static void on_closed(void *ctx, struct ctlconn *io)
{
	struct conn *c = (struct conn *)io;

	(void)ctx;
	c->following = false;
	if (c->slot) {
		struct slot *s = c->slot;
		char hex[33];

		s->conn = NULL;
		c->slot = NULL;
		hex_encode(s->req.job.uuid, 16, hex);
		log_info("%s: the client went away; cancelling", hex);
		if (s->starting)
			s->cancel_started = true; /* the job is being set up under us */
		else if (s->started && !s->reap)
			provjob_cancel(&s->job, "the client went away");
		else if (!s->started)
			slot_fail_waiting(s, "the client went away");
	}
	if (c->cfg) {
		struct cfgslot *cs = c->cfg;

		cs->conn = NULL;
		c->cfg = NULL;
		cfgjob_cancel(&cs->job, -EINTR, "the client went away");
	}
}

static const struct ctlsrv_ops daemon_ctl_ops = {
	.request = on_request,
	.closed = on_closed,
};

/* ---- timers and signals ---- */

static void on_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct daemon *d = w->data;
	uint64_t now = now_ms();
	char msg[200];

	(void)loop;
	(void)revents;
	if (d->ready && !d->stopping && now >= d->next_settle) {
		d->next_settle = now + 1000;
		if (provjob_reservations_settle(d->db, (int64_t)time(NULL), d->listen_since,
						d->conf.reservation_window_s, job_running, d) > 0)
			schedule_unconfigured(d); /* configure them: that confirms them */
	}
	retry_configuration(d, now);
	for (unsigned i = 0; i < CONF_MAX_SESSIONS; i++) {
		struct slot *s = &d->slots[i];

		if (!s->used || s->reap)
			continue;
		if (!s->started && now >= s->wait_until) {
			char hex[33];

			hex_encode(s->req.job.uuid, 16, hex);
			snprintf(msg, sizeof(msg), "no beacon from %s within %g s", hex, s->req.wait_s);
			slot_fail_waiting(s, msg);
		} else if (now >= s->give_up_at) {
			snprintf(msg, sizeof(msg), "gave up after %g s", s->req.timeout_s);
			if (s->started)
				provjob_cancel(&s->job, msg);
			else
				slot_fail_waiting(s, msg);
		}
	}
	for (struct ctlconn *i = d->ctl.conns; i; i = i->next) {
		struct conn *c = (struct conn *)i;

		if (c->following && now >= c->follow_until) {
			ctlconn_send(&c->io, ctlsrv_reply_ok());
			if (ctlconn_open(&c->io))
				conn_request_done(c);
		}
	}
}

static void stop_daemon(struct daemon *d, const char *why)
{
	if (d->stopping)
		return;
	d->stopping = true;
	log_info("%s: stopping", why);
	sd_notify_send("STOPPING=1", NULL, 0);
	ev_timer_set(&d->stop_timer, DAEMON_STOP_MS / 1000.0, 0.0);
	ev_timer_start(d->loop, &d->stop_timer);
	ctlsrv_stop_listening(&d->ctl);
	for (unsigned i = 0; i < CONF_MAX_SESSIONS; i++) {
		struct slot *s = &d->slots[i];

		if (!s->used || s->reap)
			continue;
		if (s->started)
			provjob_cancel(&s->job, "the daemon is stopping");
		else
			slot_fail_waiting(s, "the daemon is stopping");
	}
	for (unsigned i = 0; i < CONF_MAX_SESSIONS; i++)
		if (d->cfgs[i].used && !d->cfgs[i].reap)
			cfgjob_cancel(&d->cfgs[i].job, -EINTR, "the daemon is stopping");
	if (active_slots(d) == 0)
		radio_stop(&d->radio);
	/* else the reaper stops the radio once the links are closed */
}

static void on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct daemon *d = w->data;

	(void)loop;
	(void)revents;
	if (w->signum == SIGHUP)
		reload(d);
	else
		stop_daemon(d, w->signum == SIGTERM ? "SIGTERM" : "SIGINT");
}

static void on_stop_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)revents;
	(void)w;
	log_warn("the controller did not finish in time; exiting anyway");
	ev_break(loop, EVBREAK_ALL);
}

/* ---- main ---- */

static int parse_daemon_options(struct daemon *d, int argc, char **argv, bool *check)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "credentials", required_argument, NULL, 'C' },
		{ "no-auto-provision", no_argument, NULL, 'n' },
		{ "max-sessions", required_argument, NULL, 'm' },
		{ "check", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long v;
	int c;

	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': d->config_path = optarg; d->config_given = true; break;
		case 'C': d->creds_override = optarg; break;
		case 'n': d->no_auto = true; break;
		case 'm':
			if (parse_uint(optarg, CONF_MAX_SESSIONS, &v) < 0 || v == 0) {
				fprintf(stderr, "meshprov daemon: --max-sessions needs 1-%d\n",
					CONF_MAX_SESSIONS);
				return EXIT_USAGE;
			}
			d->sessions_override = (unsigned)v;
			break;
		case 'k': *check = true; break;
		case 'h': daemon_usage(stdout); return -1;
		default: daemon_usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "meshprov daemon: unexpected argument '%s'\n", argv[optind]);
		return EXIT_USAGE;
	}
	return 0;
}

static void daemon_free(struct daemon *d)
{
	ctlsrv_close(&d->ctl);
	for (unsigned i = 0; i < CONF_MAX_SESSIONS; i++) {
		if (d->slots[i].used)
			slot_release(&d->slots[i]);
		if (d->cfgs[i].used)
			cfgjob_free(&d->cfgs[i].job);
	}
	if (d->client_on)
		client_free(&d->client);
	radio_close(&d->radio);
	devtable_free(&d->table);
	autoprov_free(&d->ap);
	creds_free(&d->creds);
}

int cmd_daemon(const struct global_opts *g, int argc, char **argv)
{
	static struct daemon daemon_state; /* large; one per process */
	struct daemon *d = &daemon_state;
	bool check = false;
	char err[512];
	int rc;

	memset(d, 0, sizeof(*d));
	d->g = g;
	d->config_path = CONF_DEFAULT_PATH;
	d->ctl.fd = -1;
	rc = parse_daemon_options(d, argc, argv, &check);
	if (rc)
		return rc < 0 ? 0 : rc;
	if (load_config(d, &d->conf, &d->creds, err, sizeof(err)) < 0) {
		fprintf(stderr, "meshprov: %s\n", err);
		creds_free(&d->creds);
		return 1;
	}
	if (check) {
		printf("%s: ok; %s: %zu device%s\n", d->config_given ? d->config_path : "configuration",
		       d->conf.credentials, d->creds.n, d->creds.n == 1 ? "" : "s");
		creds_free(&d->creds);
		return 0;
	}
	log_set_level(d->conf.log_level);
	autoprov_init(&d->ap, d->conf.max_devices, d->conf.max_attempts, d->conf.retry_delay_s);
	d->started_at = now_ms();
	cli_ensure_parent_dir(d->conf.db, 0700);
	d->db = nodedb_open(d->conf.db, 2000, err, sizeof(err));
	if (!d->db) {
		fprintf(stderr, "meshprov: %s\n", err);
		creds_free(&d->creds);
		return 1;
	}
	if (d->conf.has_unicast_range)
		nodedb_set_unicast_range(d->db, d->conf.unicast_low, d->conf.unicast_high);
	/* a new database is written at once, so its keys survive whatever follows */
	if (nodedb_commit(d->db, err, sizeof(err)) != 0 ||
	    devtable_init(&d->table, d->conf.max_devices) < 0) {
		fprintf(stderr, "meshprov: %s\n", err);
		nodedb_close(d->db);
		creds_free(&d->creds);
		return 1;
	}
	d->loop = ev_default_loop(EVFLAG_AUTO);
	{
		struct global_opts rg = *g;

		rg.hci = d->conf.hci;
		rg.adv_interval_ms = d->conf.adv_interval_ms;
		rg.adv_count = d->conf.adv_count;
		if (cli_radio_open(&rg, &d->radio, d->loop, &daemon_radio_ops, d, err, sizeof(err)) < 0) {
			fprintf(stderr, "meshprov: %s\n", err);
			devtable_free(&d->table);
			nodedb_close(d->db);
			creds_free(&d->creds);
			return 1;
		}
	}
	if (ctlsrv_open(&d->ctl, d->loop, d->conf.control, d->conf.control_group, DAEMON_MAX_CONNS,
			sizeof(struct conn), &daemon_ctl_ops, d, err, sizeof(err)) < 0) {
		fprintf(stderr, "meshprov: %s\n", err);
		daemon_free(d);
		nodedb_close(d->db);
		return 1;
	}
	ev_signal_init(&d->sigterm, on_signal, SIGTERM);
	ev_signal_init(&d->sigint, on_signal, SIGINT);
	ev_signal_init(&d->sighup, on_signal, SIGHUP);
	d->sigterm.data = d->sigint.data = d->sighup.data = d;
	ev_signal_start(d->loop, &d->sigterm);
	ev_signal_start(d->loop, &d->sigint);
	ev_signal_start(d->loop, &d->sighup);
	ev_timer_init(&d->tick, on_tick, DAEMON_TICK_S, DAEMON_TICK_S);
	d->tick.data = d;
	ev_timer_start(d->loop, &d->tick);
	ev_init(&d->stop_timer, on_stop_timer);
	d->stop_timer.data = d;
	ev_idle_init(&d->reaper, reap);
	d->reaper.data = d;
	radio_start(&d->radio);
	ev_run(d->loop, 0);

	if (nodedb_commit(d->db, err, sizeof(err)) != 0) {
		log_err("%s", err);
		d->rc = 1;
	}
	ev_signal_stop(d->loop, &d->sigterm);
	ev_signal_stop(d->loop, &d->sigint);
	ev_signal_stop(d->loop, &d->sighup);
	ev_timer_stop(d->loop, &d->tick);
	ev_timer_stop(d->loop, &d->stop_timer);
	ev_idle_stop(d->loop, &d->reaper);
	daemon_free(d);
	nodedb_close(d->db);
	if (d->rc == 0)
		log_info("stopped");
	rc = d->rc;
	OPENSSL_cleanse(d, sizeof(*d));
	return rc;
}
