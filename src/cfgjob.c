#include "cfgjob.h"

#include <errno.h>
#include <json.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "aligenie.h"
#include "util.h"

static void finish(struct cfgjob *j, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void finish(struct cfgjob *j, int rc, const char *fmt, ...)
{
	char err[256];
	va_list ap;

	if (j->finished)
		return;
	if (j->msg[0] == '\0' && fmt) {
		j->rc = rc;
		va_start(ap, fmt);
		vsnprintf(j->msg, sizeof(j->msg), fmt, ap);
		va_end(ap);
	}
	if (j->cmd == CFGJOB_RESET && j->force && !(j->answered && j->rc == 0)) {
		/* the node did not confirm: remove it anyway, as asked */
		nodedb_remove_node(j->db, j->node.uuid);
		if (nodedb_commit(j->db, err, sizeof(err)) == 0) {
			char why[sizeof(j->msg)];

			snprintf(why, sizeof(why), "%s", j->msg[0] ? j->msg : "no answer");
			snprintf(j->msg, sizeof(j->msg),
				 "removed from the database (the node did not confirm: %.150s)", why);
			j->rc = 0;
		}
	}
	if (j->msg[0] == '\0') {
		j->rc = -EIO;
		snprintf(j->msg, sizeof(j->msg), "no outcome");
	}
	j->finished = true;
	radio_kick(j->radio);
	j->done(j->ctx);
}

/* ---- recording ---- */

static void commit(struct cfgjob *j)
{
	char err[256];

	if (nodedb_commit(j->db, err, sizeof(err)) != 0) {
		snprintf(j->msg, sizeof(j->msg), "the node answered, but the database was not written: %.200s",
			 err);
		j->rc = -EIO;
	}
}

static void record(struct cfgjob *j, const struct cfgcli_result *res)
{
	switch (j->cmd) {
	case CFGJOB_COMPOSITION:
		if (res->params_len < 1 ||
		    cfg_comp_page0_parse(res->params + 1, res->params_len - 1, &j->comp) == -EBADMSG) {
			j->rc = -EBADMSG;
			snprintf(j->msg, sizeof(j->msg), "the node sent malformed Composition Data");
			return;
		}
		j->have_comp = true;
		nodedb_node_set_composition(j->db, j->node.uuid, &j->comp);
		break;
	case CFGJOB_APPKEY_ADD:
		nodedb_node_add_app_key(j->db, j->node.uuid, j->req.app_idx);
		break;
	case CFGJOB_BIND:
		nodedb_node_model_bind(j->db, j->node.uuid, j->element, &j->req.model, j->req.app_idx);
		break;
	case CFGJOB_SUB_ADD:
		nodedb_node_model_subscribe(j->db, j->node.uuid, j->element, &j->req.model, j->req.addr);
		break;
	case CFGJOB_RESET:
		nodedb_remove_node(j->db, j->node.uuid);
		break;
	case CFGJOB_SETUP:
		break;
	}
	commit(j);
}

/* ---- one request ---- */

static int cli_send(void *ctx, uint16_t dst, const uint8_t *pdu, size_t len)
{
	struct cfgjob *j = ctx;

	return client_send_devkey(j->client, dst, pdu, len);
}

static void cli_done(void *ctx, const struct cfgcli_req *req, const struct cfgcli_result *res)
{
	struct cfgjob *j = ctx;

	(void)req;
	if (res->rc == -ETIMEDOUT) {
		finish(j, res->rc, "no answer from 0x%04x", j->node.unicast);
		return;
	}
	if (res->rc < 0) {
		finish(j, res->rc, "cannot send: %s", strerror(-res->rc));
		return;
	}
	j->answered = true;
	j->rc = res->rc;
	snprintf(j->msg, sizeof(j->msg), "%s", res->status_str ? res->status_str : "Success");
	if (res->rc == 0)
		record(j, res);
	finish(j, 0, NULL);
}

static const struct cfgcli_ops job_cli_ops = { .send = cli_send, .done = cli_done };

/* ---- setup: the whole plan ---- */

static void st_done(void *ctx, int rc, const char *msg)
{
	struct cfgjob *j = ctx;
	const struct node_setup *s = &j->setup;

	j->answered = s->appkey_added;
	if (s->have_composition) {
		j->comp = s->composition;
		j->have_comp = true;
	}
	client_record_setup(j->db, j->node.uuid, s, rc, msg);
	j->rc = rc;
	snprintf(j->msg, sizeof(j->msg), "%s", rc == 0 ? "configured" : msg);
	commit(j);
	finish(j, 0, NULL);
}

static const struct node_setup_ops job_setup_ops = { .send = cli_send, .done = st_done };

static uint64_t job_deadline(void *ctx)
{
	struct cfgjob *j = ctx;

	if (j->finished)
		return NO_DEADLINE;
	return min_deadline(j->give_up_at, j->cmd == CFGJOB_SETUP ?
					  node_setup_next_deadline(&j->setup) :
					  cfgcli_next_deadline(&j->cli));
}

static void job_tick(void *ctx, uint64_t now)
{
	struct cfgjob *j = ctx;

	if (j->finished)
		return;
	if (now >= j->give_up_at) {
		cfgjob_cancel(j, -ETIMEDOUT, "gave up after 30 s");
		return;
	}
	if (j->cmd == CFGJOB_SETUP)
		node_setup_tick(&j->setup, now);
	else
		cfgcli_tick(&j->cli, now);
}

/* ---- API ---- */

/* ELEMENT: an element index of the node, or, as mesh-cfgclient takes it, the
 * element's unicast address (an index below the element count wins). */
static int parse_element(const struct cfgjob *j, const char *s, unsigned *elem, char *err,
			 size_t errlen)
{
	unsigned n = j->node.elements;
	unsigned long v;

	if (parse_uint(s, 0x7fff, &v) < 0) {
		snprintf(err, errlen,
			 "ELEMENT: expected an element index 0-255 or the element's unicast address, got '%s'",
			 s);
		return -1;
	}
	if (v < n) {
		*elem = (unsigned)v;
		return 0;
	}
	if (v >= j->node.unicast && v < (unsigned long)j->node.unicast + n) {
		*elem = (unsigned)(v - j->node.unicast);
		return 0;
	}
	snprintf(err, errlen,
		 "ELEMENT: node 0x%04x has %u element%s: expected an index 0-%u or an address 0x%04x-0x%04x, got '%s'",
		 j->node.unicast, n, n == 1 ? "" : "s", n - 1, j->node.unicast,
		 (unsigned)(j->node.unicast + n - 1), s);
	return -1;
}

static int parse_model(const char *s, struct cfg_model_id *m, char *err, size_t errlen)
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
	snprintf(err, errlen,
		 "MODEL: expected a SIG model ID (4 hex digits, e.g. 1000) or a vendor model "
		 "(8 hex digits, CompanyID then model ID, e.g. 01a80000), got '%s'",
		 s);
	return -1;
}

static int parse_app_index(const char *what, const char *s, unsigned long *v, char *err,
			   size_t errlen)
{
	if (parse_uint(s, 0xfff, v) == 0)
		return 0;
	snprintf(err, errlen, "%s: expected an AppKey index 0-4095, got '%s'", what, s);
	return -1;
}

/* A command given too few or too many arguments. */
static int arg_count(const char *cmd, const char *form, int given, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s: expected %s, got %d argument%s", cmd, form, given,
		 given == 1 ? "" : "s");
	return -1;
}

/* -1 (usage) or -2 (failure) with one line in err that names the argument
 * and what it should be. */
static int parse_args(struct cfgjob *j, int n, char *const *argv, char *err, size_t errlen)
{
	unsigned long v;
	unsigned elem;

	if (n < 1) {
		snprintf(err, errlen, "COMMAND: expected " CFGJOB_COMMANDS);
		return -1;
	}
	snprintf(j->cmd_name, sizeof(j->cmd_name), "%s", argv[0]);
	if (!strcmp(argv[0], "composition")) {
		if (n != 1)
			return arg_count(argv[0], "no arguments", n - 1, err, errlen);
		j->cmd = CFGJOB_COMPOSITION;
		j->req.kind = CFGCLI_COMP_DATA_GET;
		return 0;
	}
	if (!strcmp(argv[0], "appkey-add")) {
		uint16_t bound;

		if (n > 2)
			return arg_count(argv[0], "[INDEX]", n - 1, err, errlen);
		j->cmd = CFGJOB_APPKEY_ADD;
		j->req.kind = CFGCLI_APPKEY_ADD;
		if (n == 2 && parse_app_index("INDEX", argv[1], &v, err, errlen) < 0)
			return -1;
		j->req.app_idx = n == 2 ? (uint16_t)v : 0;
		if (nodedb_app_key(j->db, j->req.app_idx, &bound, j->req.app_key) != 0) {
			snprintf(err, errlen, "no AppKey %u in the database", j->req.app_idx);
			return -2;
		}
		j->req.net_idx = bound;
		return 0;
	}
	if (!strcmp(argv[0], "bind") || !strcmp(argv[0], "sub-add")) {
		bool bind = argv[0][0] == 'b';

		if (bind && n != 3 && n != 4)
			return arg_count(argv[0], "ELEMENT MODEL [APPKEY]", n - 1, err, errlen);
		if (!bind && n != 4)
			return arg_count(argv[0], "ELEMENT MODEL GROUP", n - 1, err, errlen);
		if (parse_element(j, argv[1], &elem, err, errlen) < 0 ||
		    parse_model(argv[2], &j->req.model, err, errlen) < 0)
			return -1;
		j->element = (uint8_t)elem;
		j->req.elem_addr = (uint16_t)(j->node.unicast + elem);
		if (bind) {
			j->cmd = CFGJOB_BIND;
			j->req.kind = CFGCLI_MODEL_APP_BIND;
			if (n == 4 && parse_app_index("APPKEY", argv[3], &v, err, errlen) < 0)
				return -1;
			j->req.app_idx = n == 4 ? (uint16_t)v : 0;
		} else {
			j->cmd = CFGJOB_SUB_ADD;
			j->req.kind = CFGCLI_MODEL_SUB_ADD;
			if (parse_uint(argv[3], 0xffff, &v) < 0 || v < 0xc000 || v >= 0xff00) {
				snprintf(err, errlen,
					 "GROUP: expected a group address 0xc000-0xfeff, got '%s'",
					 argv[3]);
				return -1;
			}
			j->req.addr = (uint16_t)v;
		}
		return 0;
	}
	if (!strcmp(argv[0], "reset") || !strcmp(argv[0], "setup")) {
		if (n != 1)
			return arg_count(argv[0], "no arguments", n - 1, err, errlen);
		if (argv[0][0] == 'r') {
			j->cmd = CFGJOB_RESET;
			j->req.kind = CFGCLI_NODE_RESET;
			return 0;
		}
		j->cmd = CFGJOB_SETUP;
		j->groups[0] = ALIGENIE_GROUP_LIGHTS;
		j->groups[1] = ALIGENIE_GROUP_ALL;
		j->ngroups = 2;
		return 0;
	}
	snprintf(err, errlen, "COMMAND: expected " CFGJOB_COMMANDS ", got '%s'", argv[0]);
	return -1;
}

int cfgjob_prepare(struct cfgjob *j, struct nodedb *db, const char *node, int argc,
		   char *const *argv, bool force, char *err, size_t errlen)
{
	int rc;

	memset(j, 0, sizeof(*j));
	j->db = db;
	j->force = force;
	rc = nodedb_lookup(db, node, &j->node);
	if (rc == -EINVAL) {
		snprintf(err, errlen, "'%s' is neither a UUID nor a unicast address", node);
		return -1;
	}
	if (rc != 0) {
		snprintf(err, errlen, "no node %s in %s", node, nodedb_path(db));
		return -2;
	}
	hex_encode(j->node.uuid, 16, j->uuid_hex);
	return parse_args(j, argc, argv, err, errlen);
}

int cfgjob_start(struct cfgjob *j, struct radio *r, struct client *c, void (*done)(void *ctx),
		 void *ctx)
{
	uint64_t now = radio_now(r);

	j->radio = r;
	j->client = c;
	j->done = done;
	j->ctx = ctx;
	j->give_up_at = now + CFGJOB_TIMEOUT_MS;
	if (radio_add_timers(r, job_deadline, job_tick, j) != 0)
		return -ENOSPC;
	j->started = true;
	if (j->cmd == CFGJOB_SETUP) {
		struct node_setup_params sp = { 0 };
		struct aligenie_info ali;
		uint16_t bound;

		sp.unicast = j->node.unicast;
		sp.bind_and_subscribe = aligenie_decode(j->node.uuid, &ali) && ali.uuid_version == 0;
		memcpy(sp.groups, j->groups, sizeof(sp.groups));
		sp.ngroups = j->ngroups;
		if (nodedb_app_key(j->db, 0, &bound, sp.app_key) != 0 ||
		    node_setup_start(&j->setup, now, &sp, &job_setup_ops, j) != 0)
			finish(j, -EINVAL, "cannot start: the database has no AppKey 0");
		OPENSSL_cleanse(sp.app_key, sizeof(sp.app_key));
	} else {
		cfgcli_init(&j->cli, j->node.unicast, &job_cli_ops, j);
		if (cfgcli_enqueue(&j->cli, now, &j->req) != 0)
			finish(j, -EINVAL, "invalid request");
	}
	radio_kick(r);
	return 0;
}

bool cfgjob_access(struct cfgjob *j, const struct mesh_rx *rx)
{
	uint64_t now;

	if (!j->started || j->finished || !rx->dev_key || rx->src != j->node.unicast)
		return false;
	now = radio_now(j->radio);
	if (j->cmd == CFGJOB_SETUP)
		node_setup_input(&j->setup, now, rx->src, rx->access, rx->len);
	else
		cfgcli_input(&j->cli, now, rx->src, rx->access, rx->len);
	return true;
}

void cfgjob_cancel(struct cfgjob *j, int rc, const char *msg)
{
	if (j->started && !j->finished)
		finish(j, rc, "%s", msg);
}

bool cfgjob_ok(const struct cfgjob *j)
{
	return j->finished && j->rc == 0 && j->msg[0];
}

struct json_object *cfgjob_json(const struct cfgjob *j)
{
	struct json_object *o = json_object_new_object();
	bool ok = cfgjob_ok(j);

	json_object_object_add(o, "uuid", json_object_new_string(j->uuid_hex));
	json_object_object_add(o, "unicast", json_object_new_int(j->node.unicast));
	json_object_object_add(o, "command", json_object_new_string(j->cmd_name));
	json_object_object_add(o, "ok", json_object_new_boolean(ok));
	if (j->answered && j->cmd != CFGJOB_SETUP)
		json_object_object_add(o, "status", json_object_new_int(j->rc));
	json_object_object_add(o, ok ? "result" : "error", json_object_new_string(j->msg));
	if (j->have_comp) {
		struct json_object *comp = json_object_new_object();
		struct json_object *elems = json_object_new_array();

		json_object_object_add(comp, "cid", json_object_new_int(j->comp.cid));
		json_object_object_add(comp, "pid", json_object_new_int(j->comp.pid));
		json_object_object_add(comp, "vid", json_object_new_int(j->comp.vid));
		json_object_object_add(comp, "crpl", json_object_new_int(j->comp.crpl));
		json_object_object_add(comp, "features", json_object_new_int(j->comp.features));
		json_object_object_add(comp, "elements", json_object_new_int(j->comp.num_elements));
		for (unsigned e = 0; e < j->comp.num_elements; e++) {
			const struct cfg_comp_element *el = &j->comp.elements[e];
			struct json_object *models = json_object_new_array();
			char id[9];

			for (unsigned i = 0; i < el->num_sig; i++) {
				snprintf(id, sizeof(id), "%04x", el->sig[i]);
				json_object_array_add(models, json_object_new_string(id));
			}
			for (unsigned i = 0; i < el->num_vendor; i++) {
				snprintf(id, sizeof(id), "%04x%04x", el->vendor[i].cid, el->vendor[i].id);
				json_object_array_add(models, json_object_new_string(id));
			}
			json_object_array_add(elems, models);
		}
		json_object_object_add(comp, "models", elems);
		json_object_object_add(o, "composition", comp);
	}
	return o;
}

void cfgjob_free(struct cfgjob *j)
{
	if (j->radio)
		radio_remove_timers(j->radio, j);
	OPENSSL_cleanse(j, sizeof(*j));
}
