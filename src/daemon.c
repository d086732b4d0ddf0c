/* meshprov daemon: the service. Owns the controller and the node database,
 * keeps the live table of unprovisioned devices, provisions and configures
 * the devices it holds credentials for (provjob, several at once), answers
 * every node's AliGenie indications (its one localnode, which routes each
 * node's answers to the job registered for it), and serves the CLI on the
 * control socket (newline-delimited JSON, see ctl.h). This file is its life
 * cycle (options, configuration, reload on SIGHUP, stopping), its timers
 * and the radio's dispatch; the sessions are daemon_jobs.c, the control
 * requests ctlreq.c, and the automatic provisioning policy the pure
 * autoprov.c (daemon.h joins them). The edge: libev, sockets, signals and
 * files live here; the protocol work is in the cores. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "beacon.h"
#include "daemon.h"
#include "log.h"
#include "sdnotify.h"
#include "util.h"

#define DAEMON_MAX_CONNS 32
#define DAEMON_STOP_MS 1800         /* SIGTERM to exit, at most */
#define DAEMON_TICK_S 0.25

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
		"      --max-sessions N     provisioning sessions at once (1-32, default 2)\n"
		"      --check              check the configuration and credentials, then exit\n"
		"  -h, --help               show this help\n"
		"\n"
		"The global options --hci, --db, --control, --adv-interval, --adv-count and\n"
		"--verbose override the configuration file.\n");
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
	if (g->adv_pack)
		c->adv_pack = true;
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
	adv_set_pack(&d->radio.adv, d->conf.adv_pack);
	if (d->conf.has_unicast_range)
		nodedb_set_unicast_range(d->db, d->conf.unicast_low, d->conf.unicast_high);
}

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

/* ---- radio ---- */

static void on_ready(void *ctx)
{
	struct daemon *d = ctx;
	char err[256], state[400];

	if (localnode_init(&d->local, &d->radio, d->db, err, sizeof(err)) == 0) {
		d->local_on = true;
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
		if (d->local_on)
			localnode_input(&d->local, data, len);
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
	e = devtable_update(&d->table, &b, r, mono_ms(), &is_new);
	if (!e)
		return;
	if (is_new) {
		log_debug("new device %s", e->is_aligenie ? "(AliGenie)" : "");
		follow_event(d, e);
	}
	if (s && !s->started && !s->reap && !d->stopping)
		slot_heard(d, s);
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


/* ---- timers and signals ---- */

static void on_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct daemon *d = w->data;
	uint64_t now = mono_ms();

	(void)loop;
	(void)revents;
	if (d->ready && !d->stopping && now >= d->next_settle) {
		d->next_settle = now + 1000;
		if (provjob_reservations_settle(d->db, (int64_t)time(NULL), d->listen_since,
						d->conf.reservation_window_s, job_running, d) > 0)
			schedule_unconfigured(d); /* configure them: that confirms them */
	}
	retry_configuration(d, now);
	jobs_tick(d, now);
	ctlreq_tick(d, now);
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
	jobs_cancel_all(d, "the daemon is stopping");
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
	jobs_free(d);
	if (d->local_on)
		localnode_free(&d->local);
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
	d->started_at = mono_ms();
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
		rg.hci_set = g->hci_set || d->conf.hci_set;
		rg.adv_interval_ms = d->conf.adv_interval_ms;
		rg.adv_count = d->conf.adv_count;
		rg.adv_pack = d->conf.adv_pack;
		if (cli_radio_open(&rg, &d->radio, d->loop, &daemon_radio_ops, d, err, sizeof(err)) < 0) {
			fprintf(stderr, "meshprov: %s\n", err);
			devtable_free(&d->table);
			nodedb_close(d->db);
			creds_free(&d->creds);
			return 1;
		}
	}
	if (ctlsrv_open(&d->ctl, d->loop, d->conf.control, d->conf.control_group, DAEMON_MAX_CONNS,
			sizeof(struct conn), &ctlreq_ops, d, err, sizeof(err)) < 0) {
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
	ev_idle_init(&d->reaper, jobs_reap);
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
