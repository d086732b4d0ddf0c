/* meshprov config NODE SUBCOMMAND: one Configuration request to a node, or the
 * whole post-provisioning plan (setup) for a node left unconfigured. */
#include <errno.h>
#include <getopt.h>
#include <json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "aligenie.h"
#include "cfgcli.h"
#include "cli.h"
#include "client.h"
#include "node_setup.h"
#include "nodedb.h"
#include "radio.h"
#include "util.h"

#define CONFIG_RADIO_TIMEOUT_S 30.0

enum config_cmd { CMD_COMPOSITION, CMD_APPKEY_ADD, CMD_BIND, CMD_SUB_ADD, CMD_RESET, CMD_SETUP };

struct config {
	struct ev_loop *loop;
	struct radio radio;
	struct nodedb *db;
	struct client client;
	bool client_on;
	struct nodedb_node node;
	char uuid_hex[33];
	enum config_cmd cmd;
	const char *cmd_name;
	struct cfgcli_req req;
	uint8_t element;
	struct cfgcli cli;
	struct node_setup setup;
	bool json, force;
	ev_timer timeout;
	ev_signal sigint, sigterm;
	bool stopping;
	/* outcome */
	bool answered;
	int rc;          /* 0, a status code, or -errno */
	char msg[256];
	struct cfg_comp_page0 comp;
	bool have_comp;
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
		"  sub-add ELEMENT MODEL GROUP Config Model Subscription Add\n"
		"  reset                       Config Node Reset; the node leaves the database\n"
		"                              once it confirms (--force: even if it does not)\n"
		"  setup                       what provision does after provisioning: AppKey,\n"
		"                              composition and, for AliGenie UUID version 0\n"
		"                              devices, bindings and subscriptions\n"
		"\n"
		"Options:\n"
		"  -j, --json     print one JSON object with the outcome\n"
		"  -f, --force    reset: remove the node from the database whatever happens\n"
		"  -h, --help     show this help\n");
}

static void stop(struct config *c)
{
	if (c->stopping)
		return;
	c->stopping = true;
	ev_timer_stop(c->loop, &c->timeout);
	radio_stop(&c->radio);
}

static void finish(struct config *c, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void finish(struct config *c, int rc, const char *fmt, ...)
{
	va_list ap;

	if (c->msg[0] == '\0') {
		c->rc = rc;
		va_start(ap, fmt);
		vsnprintf(c->msg, sizeof(c->msg), fmt, ap);
		va_end(ap);
	}
	stop(c);
}

/* ---- recording ---- */

static void commit(struct config *c)
{
	char err[256];

	if (nodedb_commit(c->db, err, sizeof(err)) != 0) {
		snprintf(c->msg, sizeof(c->msg), "the node answered, but the database was not written: %.200s",
			 err);
		c->rc = -EIO;
	}
}

static void record(struct config *c, const struct cfgcli_result *res)
{
	switch (c->cmd) {
	case CMD_COMPOSITION:
		if (res->params_len < 1 ||
		    cfg_comp_page0_parse(res->params + 1, res->params_len - 1, &c->comp) == -EBADMSG) {
			c->rc = -EBADMSG;
			snprintf(c->msg, sizeof(c->msg), "the node sent malformed Composition Data");
			return;
		}
		c->have_comp = true;
		nodedb_node_set_composition(c->db, c->node.uuid, &c->comp);
		break;
	case CMD_APPKEY_ADD:
		nodedb_node_add_app_key(c->db, c->node.uuid, c->req.app_idx);
		break;
	case CMD_BIND:
		nodedb_node_model_bind(c->db, c->node.uuid, c->element, &c->req.model, c->req.app_idx);
		break;
	case CMD_SUB_ADD:
		nodedb_node_model_subscribe(c->db, c->node.uuid, c->element, &c->req.model, c->req.addr);
		break;
	case CMD_RESET:
		nodedb_remove_node(c->db, c->node.uuid);
		break;
	case CMD_SETUP:
		break;
	}
	commit(c);
}

/* ---- one request ---- */

static int cli_send(void *ctx, uint16_t dst, const uint8_t *pdu, size_t len)
{
	struct config *c = ctx;

	return client_send_devkey(&c->client, dst, pdu, len);
}

static void cli_done(void *ctx, const struct cfgcli_req *req, const struct cfgcli_result *res)
{
	struct config *c = ctx;

	(void)req;
	if (res->rc == -ETIMEDOUT) {
		finish(c, res->rc, "no answer from 0x%04x", c->node.unicast);
		return;
	}
	if (res->rc < 0) {
		finish(c, res->rc, "cannot send: %s", strerror(-res->rc));
		return;
	}
	c->answered = true;
	c->rc = res->rc;
	snprintf(c->msg, sizeof(c->msg), "%s", res->status_str ? res->status_str : "Success");
	if (res->rc == 0)
		record(c, res);
	stop(c);
}

static const struct cfgcli_ops config_cli_ops = { .send = cli_send, .done = cli_done };

/* ---- setup: the whole plan ---- */

static int st_send(void *ctx, uint16_t dst, const uint8_t *pdu, size_t len)
{
	return cli_send(ctx, dst, pdu, len);
}

static void st_done(void *ctx, int rc, const char *msg)
{
	struct config *c = ctx;
	const struct node_setup *s = &c->setup;

	c->answered = s->appkey_added;
	if (s->have_composition) {
		c->comp = s->composition;
		c->have_comp = true;
	}
	client_record_setup(c->db, c->node.uuid, s, rc, msg);
	c->rc = rc;
	snprintf(c->msg, sizeof(c->msg), "%s", rc == 0 ? "configured" : msg);
	commit(c);
	stop(c);
}

static const struct node_setup_ops config_setup_ops = { .send = st_send, .done = st_done };

static uint64_t cli_deadline(void *ctx)
{
	struct config *c = ctx;

	return c->cmd == CMD_SETUP ? node_setup_next_deadline(&c->setup) : cfgcli_next_deadline(&c->cli);
}

static void cli_tick(void *ctx, uint64_t now)
{
	struct config *c = ctx;

	if (c->cmd == CMD_SETUP)
		node_setup_tick(&c->setup, now);
	else
		cfgcli_tick(&c->cli, now);
}

static void c_access(void *ctx, const struct mesh_rx *rx)
{
	struct config *c = ctx;
	uint64_t now = radio_now(&c->radio);

	if (!rx->dev_key || rx->src != c->node.unicast)
		return;
	if (c->cmd == CMD_SETUP)
		node_setup_input(&c->setup, now, rx->src, rx->access, rx->len);
	else
		cfgcli_input(&c->cli, now, rx->src, rx->access, rx->len);
}

/* ---- radio ---- */

static void on_ready(void *ctx)
{
	struct config *c = ctx;
	char err[256];
	uint64_t now = radio_now(&c->radio);

	if (client_init(&c->client, &c->radio, c->db, c_access, c, err, sizeof(err)) != 0) {
		finish(c, -EINVAL, "%s", err);
		return;
	}
	c->client_on = true;
	if (radio_add_timers(&c->radio, cli_deadline, cli_tick, c) != 0) {
		finish(c, -ENOSPC, "internal error: no timer slot");
		return;
	}
	if (c->cmd == CMD_SETUP) {
		struct node_setup_params sp = { 0 };
		struct aligenie_info ali;
		uint16_t bound;

		sp.unicast = c->node.unicast;
		sp.bind_and_subscribe = aligenie_decode(c->node.uuid, &ali) && ali.uuid_version == 0;
		sp.groups[0] = ALIGENIE_GROUP_LIGHTS;
		sp.groups[1] = ALIGENIE_GROUP_ALL;
		sp.ngroups = 2;
		if (nodedb_app_key(c->db, 0, &bound, sp.app_key) != 0 ||
		    node_setup_start(&c->setup, now, &sp, &config_setup_ops, c) != 0)
			finish(c, -EINVAL, "cannot start: the database has no AppKey 0");
		OPENSSL_cleanse(sp.app_key, sizeof(sp.app_key));
	} else {
		cfgcli_init(&c->cli, c->node.unicast, &config_cli_ops, c);
		if (cfgcli_enqueue(&c->cli, now, &c->req) != 0)
			finish(c, -EINVAL, "invalid request");
	}
	radio_kick(&c->radio);
}

static void on_rx(void *ctx, uint8_t type, const uint8_t *data, size_t len,
		  const struct hci_adv_report *r)
{
	struct config *c = ctx;

	(void)r;
	if (type == AD_TYPE_MESH_MESSAGE && c->client_on && !c->stopping)
		client_input(&c->client, data, len);
}

static void on_fatal(void *ctx, const char *msg)
{
	struct config *c = ctx;

	if (c->msg[0] == '\0') {
		c->rc = -EIO;
		snprintf(c->msg, sizeof(c->msg), "%s", msg);
	}
	ev_break(c->loop, EVBREAK_ALL);
}

static void on_stopped(void *ctx)
{
	ev_break(((struct config *)ctx)->loop, EVBREAK_ALL);
}

static const struct radio_ops config_radio_ops = {
	.ready = on_ready, .rx = on_rx, .fatal = on_fatal, .stopped = on_stopped,
};

static void on_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	finish(w->data, -ETIMEDOUT, "gave up after %g s", CONFIG_RADIO_TIMEOUT_S);
}

static void on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
	(void)loop;
	(void)revents;
	finish(w->data, -EINTR, "interrupted");
}

/* ---- arguments ---- */

static int parse_model(const char *s, struct cfg_model_id *m)
{
	uint8_t b[4];
	int n = hex_decode_var(s, b, sizeof(b));

	if (n == 2) {
		*m = cfg_model_sig(get_be16(b));
		return 0;
	}
	if (n == 4) {
		*m = cfg_model_vendor(get_be16(b), get_be16(b + 2));
		return 0;
	}
	return -1;
}

static int parse_args(struct config *c, int argc, char **argv)
{
	unsigned long v, elem;
	int n = argc;

	c->cmd_name = argv[0];
	if (!strcmp(argv[0], "composition") && n == 1) {
		c->cmd = CMD_COMPOSITION;
		c->req.kind = CFGCLI_COMP_DATA_GET;
		return 0;
	}
	if (!strcmp(argv[0], "appkey-add") && n <= 2) {
		uint16_t bound;

		c->cmd = CMD_APPKEY_ADD;
		c->req.kind = CFGCLI_APPKEY_ADD;
		if (n == 2 && parse_uint(argv[1], 0xfff, &v) < 0)
			return -1;
		c->req.app_idx = n == 2 ? (uint16_t)v : 0;
		if (nodedb_app_key(c->db, c->req.app_idx, &bound, c->req.app_key) != 0) {
			fprintf(stderr, "meshprov config: no AppKey %u in the database\n", c->req.app_idx);
			return -2;
		}
		c->req.net_idx = bound;
		return 0;
	}
	if ((!strcmp(argv[0], "bind") && (n == 3 || n == 4)) || (!strcmp(argv[0], "sub-add") && n == 4)) {
		bool bind = argv[0][0] == 'b';

		if (parse_uint(argv[1], 0xff, &elem) < 0 || elem >= c->node.elements ||
		    parse_model(argv[2], &c->req.model) < 0)
			return -1;
		c->element = (uint8_t)elem;
		c->req.elem_addr = (uint16_t)(c->node.unicast + elem);
		if (bind) {
			c->cmd = CMD_BIND;
			c->req.kind = CFGCLI_MODEL_APP_BIND;
			if (n == 4 && parse_uint(argv[3], 0xfff, &v) < 0)
				return -1;
			c->req.app_idx = n == 4 ? (uint16_t)v : 0;
		} else {
			c->cmd = CMD_SUB_ADD;
			c->req.kind = CFGCLI_MODEL_SUB_ADD;
			if (parse_uint(argv[3], 0xffff, &v) < 0 || v < 0xc000 || v >= 0xff00)
				return -1;
			c->req.addr = (uint16_t)v;
		}
		return 0;
	}
	if (!strcmp(argv[0], "reset") && n == 1) {
		c->cmd = CMD_RESET;
		c->req.kind = CFGCLI_NODE_RESET;
		return 0;
	}
	if (!strcmp(argv[0], "setup") && n == 1) {
		c->cmd = CMD_SETUP;
		return 0;
	}
	return -1;
}

/* ---- output ---- */

static void report(struct config *c)
{
	bool ok = c->rc == 0 && c->msg[0];

	if (c->json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "uuid", json_object_new_string(c->uuid_hex));
		json_object_object_add(o, "unicast", json_object_new_int(c->node.unicast));
		json_object_object_add(o, "command", json_object_new_string(c->cmd_name));
		json_object_object_add(o, "ok", json_object_new_boolean(ok));
		if (c->answered && c->cmd != CMD_SETUP)
			json_object_object_add(o, "status", json_object_new_int(c->rc));
		json_object_object_add(o, ok ? "result" : "error", json_object_new_string(c->msg));
		if (c->have_comp) {
			struct json_object *comp = json_object_new_object();

			json_object_object_add(comp, "cid", json_object_new_int(c->comp.cid));
			json_object_object_add(comp, "pid", json_object_new_int(c->comp.pid));
			json_object_object_add(comp, "vid", json_object_new_int(c->comp.vid));
			json_object_object_add(comp, "crpl", json_object_new_int(c->comp.crpl));
			json_object_object_add(comp, "features", json_object_new_int(c->comp.features));
			json_object_object_add(comp, "elements", json_object_new_int(c->comp.num_elements));
			json_object_object_add(o, "composition", comp);
		}
		puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
		json_object_put(o);
		return;
	}
	if (!ok) {
		fprintf(stderr, "meshprov: %s 0x%04x: %s\n", c->cmd_name, c->node.unicast, c->msg);
		return;
	}
	printf("%s 0x%04x: %s\n", c->cmd_name, c->node.unicast, c->msg);
	if (c->have_comp) {
		printf("CID %04x PID %04x VID %04x CRPL %04x features %04x\n", c->comp.cid, c->comp.pid,
		       c->comp.vid, c->comp.crpl, c->comp.features);
		for (unsigned e = 0; e < c->comp.num_elements; e++) {
			const struct cfg_comp_element *el = &c->comp.elements[e];

			printf("element %u (0x%04x):", e, c->node.unicast + e);
			for (unsigned i = 0; i < el->num_sig; i++)
				printf(" %04x", el->sig[i]);
			for (unsigned i = 0; i < el->num_vendor; i++)
				printf(" %04x%04x", el->vendor[i].cid, el->vendor[i].id);
			putchar('\n');
		}
	}
}

int cmd_config(const struct global_opts *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct config state;
	struct config *c = &state;
	uint8_t uuid[16];
	unsigned long addr;
	char err[256];
	int ch, found, rc;

	memset(c, 0, sizeof(*c));
	while ((ch = getopt_long(argc, argv, "+jfh", opts, NULL)) != -1) {
		switch (ch) {
		case 'j': c->json = true; break;
		case 'f': c->force = true; break;
		case 'h': config_usage(stdout); return 0;
		default: config_usage(stderr); return EXIT_USAGE;
		}
	}
	/* options may also follow the command: NODE COMMAND [ARGS] [--json] [--force] */
	{
		int k = optind;

		for (int i = optind; i < argc; i++) {
			if (!strcmp(argv[i], "--json") || !strcmp(argv[i], "-j"))
				c->json = true;
			else if (!strcmp(argv[i], "--force") || !strcmp(argv[i], "-f"))
				c->force = true;
			else
				argv[k++] = argv[i];
		}
		argc = k;
	}
	if (argc - optind < 2) {
		config_usage(stderr);
		return EXIT_USAGE;
	}
	c->db = nodedb_open(g->db, 2000, err, sizeof(err));
	if (!c->db) {
		fprintf(stderr, "meshprov: %s\n", err);
		return 1;
	}
	if (hex_decode(argv[optind], uuid, 16) == 0)
		found = nodedb_find_uuid(c->db, uuid, &c->node);
	else if (parse_uint(argv[optind], 0x7fff, &addr) == 0)
		found = nodedb_find_addr(c->db, (uint16_t)addr, &c->node);
	else {
		fprintf(stderr, "meshprov config: '%s' is neither a UUID nor a unicast address\n",
			argv[optind]);
		nodedb_close(c->db);
		return EXIT_USAGE;
	}
	if (found != 0) {
		fprintf(stderr, "meshprov: no node %s in %s\n", argv[optind], g->db);
		nodedb_close(c->db);
		return 1;
	}
	hex_encode(c->node.uuid, 16, c->uuid_hex);
	rc = parse_args(c, argc - optind - 1, argv + optind + 1);
	if (rc < 0) {
		if (rc == -1) {
			fprintf(stderr, "meshprov config: bad command or arguments\n\n");
			config_usage(stderr);
		}
		nodedb_close(c->db);
		OPENSSL_cleanse(c, sizeof(*c));
		return rc == -1 ? EXIT_USAGE : 1;
	}

	c->loop = ev_default_loop(EVFLAG_AUTO);
	if (radio_open(&c->radio, c->loop, g->hci, &config_radio_ops, c, err, sizeof(err)) < 0) {
		fprintf(stderr, "meshprov: %s\n", err);
		nodedb_close(c->db);
		OPENSSL_cleanse(c, sizeof(*c));
		return 1;
	}
	adv_set_tx(&c->radio.adv, g->adv_interval_ms, g->adv_count);
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

	if (c->cmd == CMD_RESET && c->force && !(c->answered && c->rc == 0)) {
		/* the node did not confirm: remove it anyway, as asked */
		nodedb_remove_node(c->db, c->node.uuid);
		if (nodedb_commit(c->db, err, sizeof(err)) == 0) {
			snprintf(c->msg, sizeof(c->msg), "removed from the database (the node did not confirm: %.150s)",
				 c->msg[0] ? c->msg : "no answer");
			c->rc = 0;
		}
	}
	if (c->msg[0] == '\0') {
		c->rc = -EIO;
		snprintf(c->msg, sizeof(c->msg), "no outcome");
	}
	report(c);
	ev_signal_stop(c->loop, &c->sigint);
	ev_signal_stop(c->loop, &c->sigterm);
	ev_timer_stop(c->loop, &c->timeout);
	radio_close(&c->radio);
	if (c->client_on)
		client_free(&c->client);
	nodedb_close(c->db);
	rc = c->rc == 0 ? 0 : 1;
	OPENSSL_cleanse(c, sizeof(*c));
	return rc;
}
