/* meshprov config NODE SUBCOMMAND: one Configuration request to a node, or the
 * whole post-provisioning plan (setup) for a node left unconfigured; through
 * the daemon when one answers (which parses the words it is sent into a
 * cfgreq), else on the controller directly (cfgreq_from_argv, then cfgjob). */
#include <errno.h>
#include <getopt.h>
#include <json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "cfgjob.h"
#include "cfgreq.h"
#include "cli.h"
#include "ctl.h"
#include "localnode.h"
#include "nodedb.h"
#include "radio.h"
#include "util.h"

#define CONFIG_RADIO_TIMEOUT_S 30.0

struct config {
	struct ev_loop *loop;
	struct radio radio;
	struct nodedb *db;
	struct cfgjob job;
	ev_timer timeout;
	ev_signal sigint, sigterm;
	bool stopping;
	bool giving_up;   /* interrupted or timed out: no lingering */
	double linger_s;  /* --linger */
	bool json;
	bool printed;     /* the outcome, once the job was done */
	int rc;           /* ... and the exit status it gave */
	char msg[256]; /* a failure before the job started */
};

static void config_usage(FILE *f)
{
	fprintf(f,
		"Usage: meshprov [--hci SPEC] [--db PATH] config NODE COMMAND [ARGS] [--json]\n"
		"\n"
		"Send a Configuration message to a provisioned node (NODE: its UUID or unicast\n"
		"address) and print the status it answers.\n"
		"\n"
		"Commands:\n"
		"  composition                 Config Composition Data Get (page 0), stored\n"
		"  appkey-add [INDEX]          Config AppKey Add of AppKey INDEX (default 0)\n"
		"  bind ELEMENT MODEL [APPKEY] Config Model App Bind (MODEL: 1000, or 01a80000\n"
		"                              for a vendor model: CompanyID then model ID)\n"
		"  unbind ELEMENT MODEL [APPKEY] Config Model App Unbind\n"
		"  sub-add ELEMENT MODEL GROUP Config Model Subscription Add\n"
		"  sub-del ELEMENT MODEL GROUP Config Model Subscription Delete\n"
		"  pub-set ELEMENT MODEL ADDRESS [APPKEY [TTL [PERIOD [COUNT STEPS]]]]\n"
		"                              Config Model Publication Set: to ADDRESS (0:\n"
		"                              none) with AppKey APPKEY (default 0), TTL\n"
		"                              0-127 or default (the default), PERIOD ms\n"
		"                              (default 0: none), COUNT retransmissions\n"
		"                              0-7 (STEPS + 1) x 50 ms apart (default 0 0)\n"
		"  pub-get ELEMENT MODEL       Config Model Publication Get\n"
		"  reset                       Config Node Reset; the node leaves the database\n"
		"                              once it confirms (--force: even if it does not)\n"
		"  setup                       what provision does after provisioning: AppKey,\n"
		"                              composition and, for AliGenie UUID version 0\n"
		"                              devices, bindings and subscriptions\n"
		"\n"
		"Node states (without a value the Get, with one the Set; recorded):\n"
		"  ttl [VALUE]                 Config Default TTL (0 or 2-127)\n"
		"  relay [on|off [COUNT STEPS]] Config Relay and Relay Retransmit: COUNT\n"
		"                              retransmissions 0-7, STEPS 0-31 for an\n"
		"                              interval of (STEPS + 1) x 10 ms (default 0 0)\n"
		"  beacon [on|off]             Config Beacon (Secure Network Beacon)\n"
		"  proxy [on|off]              Config GATT Proxy\n"
		"  friend [on|off]             Config Friend\n"
		"  net-transmit [COUNT STEPS]  Config Network Transmit: COUNT + 1\n"
		"                              transmissions, STEPS as for relay\n"
		"\n"
		"Options:\n"
		"  -j, --json     print one JSON object with the outcome\n"
		"  -f, --force    reset: remove the node from the database whatever happens\n"
		"      --linger S once done, stay up to S seconds (default %d; 0: not at all)\n"
		"                 while the node may still need us: acknowledging its\n"
		"                 retransmitted segments, our own segments acknowledged\n"
		"  -h, --help     show this help\n",
		LOCALNODE_LINGER_DEFAULT_S);
}

static const char *text_of(struct json_object *o, const char *key)
{
	const char *s = ctl_string(o, key);

	return s ? s : "";
}

/* Print the outcome (cfgjob_json's object); the exit status. */
static int print_result(struct json_object *o, bool json)
{
	struct json_object *v, *comp;
	bool ok = json_object_object_get_ex(o, "ok", &v) && json_object_get_boolean(v);
	const char *cmd = text_of(o, "command");
	int unicast = ctl_int(o, "unicast");

	if (json) {
		struct json_object *copy = NULL;

		/* the element lists are for the text output */
		if (json_object_deep_copy(o, &copy, NULL) == 0 &&
		    json_object_object_get_ex(copy, "composition", &comp))
			json_object_object_del(comp, "models");
		puts(json_object_to_json_string_ext(copy ? copy : o, JSON_C_TO_STRING_PLAIN));
		json_object_put(copy);
		return ok ? 0 : 1;
	}
	if (!ok) {
		fprintf(stderr, "meshprov: %s 0x%04x: %s\n", cmd, unicast, text_of(o, "error"));
		return 1;
	}
	printf("%s 0x%04x: %s\n", cmd, unicast, text_of(o, "result"));
	if (json_object_object_get_ex(o, "composition", &comp)) {
		struct json_object *elems = NULL;

		printf("CID %04x PID %04x VID %04x CRPL %04x features %04x\n", ctl_int(comp, "cid"),
		       ctl_int(comp, "pid"), ctl_int(comp, "vid"), ctl_int(comp, "crpl"), ctl_int(comp, "features"));
		json_object_object_get_ex(comp, "models", &elems);
		for (size_t e = 0; elems && e < json_object_array_length(elems); e++) {
			struct json_object *models = json_object_array_get_idx(elems, e);

			printf("element %zu (0x%04zx):", e, (size_t)unicast + e);
			for (size_t i = 0; i < json_object_array_length(models); i++)
				printf(" %s", json_object_get_string(json_object_array_get_idx(models, i)));
			putchar('\n');
		}
	}
	return 0;
}

/* ---- on our own radio ---- */

static void stop(struct config *c)
{
	if (c->stopping)
		return;
	c->stopping = true;
	ev_timer_stop(c->loop, &c->timeout);
	radio_stop(&c->radio);
}

static void give_up(struct config *c, int rc, const char *msg)
{
	c->giving_up = true;
	if (c->job.started && !c->job.finished) {
		cfgjob_cancel(&c->job, rc, msg);
		return;
	}
	if (c->msg[0] == '\0')
		snprintf(c->msg, sizeof(c->msg), "%s", msg);
	stop(c);
}

static void linger_done(void *ctx)
{
	stop(ctx);
}

/* The outcome, printed once. */
static void print_outcome(struct config *c)
{
	struct json_object *res;

	if (c->printed)
		return;
	c->printed = true;
	if (!c->job.finished && c->msg[0]) {
		/* it never started (the controller failed): report that */
		snprintf(c->job.msg, sizeof(c->job.msg), "%s", c->msg);
		c->job.rc = -EIO;
	}
	res = cfgjob_json(&c->job);
	c->rc = print_result(res, c->json);
	json_object_put(res);
}

/* The outcome is known: say it, then stay while the node may still need
 * us (cfgjob_linger), unless we are giving up. */
static void job_done(void *ctx)
{
	struct config *c = ctx;

	print_outcome(c);
	if (c->giving_up || cfgjob_linger(&c->job, c->linger_s, linger_done, c) < 0)
		stop(c);
}

static void on_fatal(void *ctx, const char *msg)
{
	struct config *c = ctx;

	if (c->job.started && !c->job.finished) {
		c->job.rc = -EIO;
		snprintf(c->job.msg, sizeof(c->job.msg), "%s", msg);
	} else if (c->msg[0] == '\0') {
		snprintf(c->msg, sizeof(c->msg), "%s", msg);
	}
	ev_break(c->loop, EVBREAK_ALL);
}

static void on_stopped(void *ctx)
{
	ev_break(((struct config *)ctx)->loop, EVBREAK_ALL);
}

static const struct radio_ops config_radio_ops = {
	.fatal = on_fatal, .stopped = on_stopped,
};

static void on_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	give_up(w->data, -ETIMEDOUT, "gave up after 30 s");
}

static void on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
	(void)loop;
	(void)revents;
	give_up(w->data, -EINTR, "interrupted");
}

/* req: the request as the daemon would get it (for cli_fail_fields). */
static int run_local(struct config *c, const struct global_opts *g, int argc, char **argv,
		     bool force, struct json_object *req, bool json)
{
	struct cfgreq rq;
	char err[512];
	int rc;

	c->db = nodedb_open(g->db, 2000, err, sizeof(err));
	if (!c->db)
		return cli_fail(json, NULL, cli_fail_fields(req), 1, err);
	cfgreq_from_argv(&rq, argv[0], argc - 1, argv + 1, force);
	rc = cfgjob_prepare(&c->job, c->db, &rq, err, sizeof(err));
	if (rc < 0) {
		nodedb_close(c->db);
		return cli_fail(json, rc == -1 ? "config" : NULL, cli_fail_fields(req),
				rc == -1 ? EXIT_USAGE : 1, err);
	}
	c->loop = ev_default_loop(EVFLAG_AUTO);
	if (cli_radio_open(g, &c->radio, c->loop, &config_radio_ops, c, err, sizeof(err)) < 0) {
		nodedb_close(c->db);
		return cli_fail(json, NULL, cli_fail_fields(req), 1, err);
	}
	cfgjob_wait(&c->job, &c->radio, job_done, c);
	ev_timer_init(&c->timeout, on_timeout, CONFIG_RADIO_TIMEOUT_S, 0.0);
	c->timeout.data = c;
	ev_timer_start(c->loop, &c->timeout);
	ev_signal_init(&c->sigint, on_signal, SIGINT);
	c->sigint.data = c;
	ev_signal_init(&c->sigterm, on_signal, SIGTERM);
	c->sigterm.data = c;
	ev_signal_start(c->loop, &c->sigint);
	ev_signal_start(c->loop, &c->sigterm);
	radio_start(&c->radio);
	ev_run(c->loop, 0);

	print_outcome(c);
	rc = c->rc;
	ev_signal_stop(c->loop, &c->sigint);
	ev_signal_stop(c->loop, &c->sigterm);
	ev_timer_stop(c->loop, &c->timeout);
	cfgjob_free(&c->job);
	radio_close(&c->radio);
	nodedb_close(c->db);
	return rc;
}

int cmd_config(const struct global_opts *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "force", no_argument, NULL, 'f' },
		{ "linger", required_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct config state;
	struct config *c = &state;
	struct json_object *req, *args;
	bool json = false, force = false;
	int ch, fd, rc;

	memset(c, 0, sizeof(*c));
	c->linger_s = LOCALNODE_LINGER_DEFAULT_S;
	while ((ch = getopt_long(argc, argv, "+jfh", opts, NULL)) != -1) {
		switch (ch) {
		case 'j': json = true; break;
		case 'f': force = true; break;
		case 'L':
			if (cli_parse_linger(optarg, &c->linger_s) < 0)
				goto bad_linger;
			break;
		case 'h': config_usage(stdout); return 0;
		default: config_usage(stderr); return EXIT_USAGE;
		}
	}
	/* options may also follow the command: NODE COMMAND [ARGS] [--json] [--force] */
	{
		int k = optind;

		for (int i = optind; i < argc; i++) {
			if (!strcmp(argv[i], "--json") || !strcmp(argv[i], "-j"))
				json = true;
			else if (!strcmp(argv[i], "--force") || !strcmp(argv[i], "-f"))
				force = true;
			else if (!strcmp(argv[i], "--linger") && i + 1 < argc) {
				if (cli_parse_linger(argv[++i], &c->linger_s) < 0)
					goto bad_linger;
			} else if (!strncmp(argv[i], "--linger=", 9)) {
				if (cli_parse_linger(argv[i] + 9, &c->linger_s) < 0)
					goto bad_linger;
			} else
				argv[k++] = argv[i];
		}
		argc = k;
	}
	c->json = json;
	req = json_object_new_object();
	json_object_object_add(req, "cmd", json_object_new_string("config"));
	if (argc > optind)
		json_object_object_add(req, "node", json_object_new_string(argv[optind]));
	args = json_object_new_array();
	for (int i = optind + 1; i < argc; i++)
		json_object_array_add(args, json_object_new_string(argv[i]));
	json_object_object_add(req, "args", args);
	if (force)
		json_object_object_add(req, "force", json_object_new_boolean(1));
	if (argc - optind < 2) {
		if (json)
			rc = cli_fail(json, "config", cli_fail_fields(req), EXIT_USAGE,
				      argc == optind ? "NODE: expected a UUID or unicast address"
						     : "COMMAND: expected " CFGREQ_COMMANDS);
		else
			config_usage(stderr);
		json_object_put(req);
		return EXIT_USAGE;
	}
	fd = cli_daemon(g);
	if (fd < 0) {
		rc = run_local(c, g, argc - optind, argv + optind, force, req, json);
		json_object_put(req);
		OPENSSL_cleanse(c, sizeof(*c));
		return rc;
	}
	rc = cli_daemon_run(fd, req, "config", NULL, NULL, print_result, json);
	json_object_put(req);
	return rc;

bad_linger:
	fprintf(stderr, "meshprov config: --linger needs 0 or a positive number of seconds\n");
	return EXIT_USAGE;
}
