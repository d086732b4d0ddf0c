#include "cfgjob.h"

#include <errno.h>
#include <json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
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
	if (j->cmd == CFGREQ_RESET && j->force && !(j->answered && j->rc == 0)) {
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
	if (j->local)
		localnode_unregister(j->local, &j->reg);
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

/* The one place a confirmed configuration step reaches the database (in
 * memory; the caller commits): what the node confirmed to command cmd.
 * comp for composition; element, model and value (AppKey index or group)
 * for bind, unbind, sub-add and sub-del; app_index for appkey-add; state and state_value
 * (what the node reported) for ttl ... net-transmit; element, model and
 * pub (what the node reported) for pub-set and pub-get. */
static void record_step(struct nodedb *db, const uint8_t uuid[16], enum cfgreq_cmd cmd,
			const struct cfg_comp_page0 *comp, uint16_t app_index, uint8_t element,
			const struct cfg_model_id *model, uint16_t value, enum cfg_state state,
			const struct cfg_node_state *state_value, const struct cfg_model_pub *pub)
{
	switch (cmd) {
	case CFGREQ_COMPOSITION:
		nodedb_node_set_composition(db, uuid, comp);
		break;
	case CFGREQ_APPKEY_ADD:
		nodedb_node_add_app_key(db, uuid, app_index);
		break;
	case CFGREQ_BIND:
		nodedb_node_model_bind(db, uuid, element, model, value);
		break;
	case CFGREQ_SUB_ADD:
		nodedb_node_model_subscribe(db, uuid, element, model, value);
		break;
	case CFGREQ_UNBIND:
		nodedb_node_model_unbind(db, uuid, element, model, value);
		break;
	case CFGREQ_SUB_DEL:
		nodedb_node_model_unsubscribe(db, uuid, element, model, value);
		break;
	case CFGREQ_PUB_SET:
	case CFGREQ_PUB_GET:
		nodedb_node_model_publish(db, uuid, element, model, pub);
		break;
	case CFGREQ_RESET:
		nodedb_remove_node(db, uuid);
		break;
	case CFGREQ_SETUP:
		break;
	case CFGREQ_TTL:
	case CFGREQ_RELAY:
	case CFGREQ_BEACON:
	case CFGREQ_PROXY:
	case CFGREQ_FRIEND:
	case CFGREQ_NET_TRANSMIT:
		nodedb_node_set_state(db, uuid, state, state_value);
		break;
	}
}

void cfgjob_record_setup(struct nodedb *db, const uint8_t uuid[16], const struct node_setup *s,
			 int rc, const char *msg)
{
	if (s->appkey_added)
		record_step(db, uuid, CFGREQ_APPKEY_ADD, NULL, s->params.app_index, 0, NULL, 0, 0, NULL, NULL);
	if (s->have_composition)
		record_step(db, uuid, CFGREQ_COMPOSITION, &s->composition, 0, 0, NULL, 0, 0, NULL, NULL);
	for (unsigned i = 0; i < s->nbinds; i++)
		record_step(db, uuid, CFGREQ_BIND, NULL, 0, s->binds[i].element, &s->binds[i].model,
			    s->binds[i].value, 0, NULL, NULL);
	for (unsigned i = 0; i < s->nsubs; i++)
		record_step(db, uuid, CFGREQ_SUB_ADD, NULL, 0, s->subs[i].element, &s->subs[i].model,
			    s->subs[i].value, 0, NULL, NULL);
	if (rc == 0)
		nodedb_node_set_config_complete(db, uuid, true);
	else
		nodedb_node_set_unconfigured(db, uuid, msg);
}

/* What a node state is, in words: "default TTL 5", "relay on (retransmit
 * count 2, steps 3)", "GATT proxy not supported", ... */
static void describe_state(enum cfg_state st, const struct cfg_node_state *v, char *out, size_t outmax)
{
	static const char *const onoff[] = { "off", "on", "not supported" };
	static const char *const what[CFG_STATE_COUNT] = {
		[CFG_STATE_DEFAULT_TTL] = "default TTL",    [CFG_STATE_RELAY] = "relay",
		[CFG_STATE_BEACON] = "secure network beacon", [CFG_STATE_GATT_PROXY] = "GATT proxy",
		[CFG_STATE_FRIEND] = "friend",              [CFG_STATE_NET_TRANSMIT] = "network transmit",
	};
	uint8_t tx = st == CFG_STATE_RELAY ? v->retransmit : v->value;

	if (st == CFG_STATE_DEFAULT_TTL)
		snprintf(out, outmax, "%s %u", what[st], v->value);
	else if (st == CFG_STATE_NET_TRANSMIT || (st == CFG_STATE_RELAY && v->value != CFG_FEATURE_NOT_SUPPORTED))
		snprintf(out, outmax, "%s%s%s count %u, steps %u (%u transmission%s, %u ms apart)", what[st],
			 st == CFG_STATE_RELAY ? " " : "", st == CFG_STATE_RELAY ? onoff[v->value] : "",
			 cfg_transmit_count(tx), cfg_transmit_steps(tx), cfg_transmit_count(tx) + 1u,
			 cfg_transmit_count(tx) ? "s" : "", (cfg_transmit_steps(tx) + 1u) * 10u);
	else
		snprintf(out, outmax, "%s %s", what[st], onoff[v->value < 3 ? v->value : 2]);
}

/* The outcome of a state's Get or Set: the state the node reported; a Set
 * it did not take fails (-ENOTSUP: not supported; -EPROTO: another value). */
static void state_outcome(struct cfgjob *j)
{
	const struct cfg_node_state *want = &j->req.state_value, *got = &j->state;
	char what[160];

	describe_state(j->req.state, got, what, sizeof(what));
	if (j->req.kind == CFGCLI_STATE_SET && got->value == CFG_FEATURE_NOT_SUPPORTED &&
	    j->req.state != CFG_STATE_DEFAULT_TTL && j->req.state != CFG_STATE_NET_TRANSMIT) {
		j->rc = -ENOTSUP;
		snprintf(j->msg, sizeof(j->msg), "%s", what);
	} else if (j->req.kind == CFGCLI_STATE_SET &&
		   (got->value != want->value ||
		    (j->req.state == CFG_STATE_RELAY && got->retransmit != want->retransmit))) {
		j->rc = -EPROTO;
		snprintf(j->msg, sizeof(j->msg), "the node kept %s", what);
	} else {
		snprintf(j->msg, sizeof(j->msg), "%s", what);
	}
}

/* A model's publication in words: "publishes to 0xc000 with AppKey 0, TTL
 * 5, every 10000 ms, retransmit count 2, steps 3 (150 ms apart)", or "does
 * not publish". */
static void describe_pub(const struct cfg_model_pub *p, char *out, size_t outmax)
{
	char ttl[16];

	if (p->addr == 0) {
		snprintf(out, outmax, "does not publish");
		return;
	}
	if (p->ttl == CFG_PUB_TTL_DEFAULT)
		snprintf(ttl, sizeof(ttl), "default");
	else
		snprintf(ttl, sizeof(ttl), "%u", p->ttl);
	snprintf(out, outmax,
		 "publishes to 0x%04x with AppKey %u%s, TTL %s, period %u ms, retransmit count %u, steps %u (%u ms apart)",
		 p->addr, p->app_idx, p->cred ? " (friendship credentials)" : "", ttl, cfg_pub_period_ms(p->period),
		 cfg_transmit_count(p->retransmit), cfg_transmit_steps(p->retransmit),
		 (cfg_transmit_steps(p->retransmit) + 1u) * 50u);
}

static void record(struct cfgjob *j, const struct cfgcli_result *res)
{
	uint16_t value = j->cmd == CFGREQ_SUB_ADD || j->cmd == CFGREQ_SUB_DEL ? j->req.addr : j->req.app_idx;

	if (j->cmd == CFGREQ_COMPOSITION) {
		if (res->params_len < 1 ||
		    cfg_comp_page0_parse(res->params + 1, res->params_len - 1, &j->comp) == -EBADMSG) {
			j->rc = -EBADMSG;
			snprintf(j->msg, sizeof(j->msg), "the node sent malformed Composition Data");
			return;
		}
		j->have_comp = true;
	}
	if (cfgreq_is_state(j->cmd)) {
		/* cfgcli matched it: a well-formed status */
		if (cfg_parse_state_status(j->req.state, res->params, res->params_len, &j->state) < 0) {
			j->rc = -EBADMSG;
			snprintf(j->msg, sizeof(j->msg), "the node sent a malformed status");
			return;
		}
		j->have_state = true;
		state_outcome(j);
	}
	if (j->cmd == CFGREQ_PUB_SET || j->cmd == CFGREQ_PUB_GET) {
		uint8_t status;

		/* cfgcli matched it: a well-formed status */
		if (cfg_parse_model_pub_status(res->params, res->params_len, &status, &j->pub) < 0) {
			j->rc = -EBADMSG;
			snprintf(j->msg, sizeof(j->msg), "the node sent a malformed status");
			return;
		}
		j->have_pub = true;
		describe_pub(&j->pub, j->msg, sizeof(j->msg));
	}
	record_step(j->db, j->node.uuid, j->cmd, &j->comp, j->req.app_idx, j->element, &j->req.model,
		    value, j->req.state, &j->state, &j->pub);
	commit(j);
}

/* ---- one request ---- */

static int cli_send(void *ctx, uint16_t dst, const uint8_t *pdu, size_t len)
{
	struct cfgjob *j = ctx;

	return localnode_send_devkey(j->local, dst, pdu, len);
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
	cfgjob_record_setup(j->db, j->node.uuid, s, rc, msg);
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
	return min_deadline(j->give_up_at, j->cmd == CFGREQ_SETUP ?
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
	if (j->cmd == CFGREQ_SETUP)
		node_setup_tick(&j->setup, now);
	else
		cfgcli_tick(&j->cli, now);
}

/* ---- API ---- */

/* ELEMENT: an element index of the node, or, as mesh-cfgclient takes it, the
 * element's unicast address (an index below the element count wins). */
static int resolve_element(struct cfgjob *j, const struct cfgreq *rq, char *err, size_t errlen)
{
	unsigned n = j->node.elements;
	unsigned v = rq->element;

	if (v < n) {
		j->element = (uint8_t)v;
		return 0;
	}
	if (v >= j->node.unicast && v < (unsigned)j->node.unicast + n) {
		j->element = (uint8_t)(v - j->node.unicast);
		return 0;
	}
	snprintf(err, errlen,
		 "ELEMENT: node 0x%04x has %u element%s: expected an index 0-%u or an address 0x%04x-0x%04x, got '%s'",
		 j->node.unicast, n, n == 1 ? "" : "s", n - 1, j->node.unicast,
		 (unsigned)(j->node.unicast + n - 1), rq->element_text);
	return -1;
}

int cfgjob_prepare(struct cfgjob *j, struct nodedb *db, const struct cfgreq *rq, char *err,
		   size_t errlen)
{
	uint16_t bound;
	int rc;

	memset(j, 0, sizeof(*j));
	j->db = db;
	j->force = rq->force;
	j->cmd = rq->cmd;
	snprintf(j->cmd_name, sizeof(j->cmd_name), "%s", cfgreq_name(rq->cmd));
	rc = nodedb_lookup(db, rq->node, &j->node);
	if (rc == -EINVAL) {
		snprintf(err, errlen, "'%s' is neither a UUID nor a unicast address", rq->node);
		return -1;
	}
	if (rc != 0) {
		snprintf(err, errlen, "no node %s in %s", rq->node, nodedb_path(db));
		return -2;
	}
	hex_encode(j->node.uuid, 16, j->uuid_hex);
	/* a word that does not parse, unless an ELEMENT before it is out of
	 * the node's range (the words are named in their order) */
	if (rq->bad[0] && (rq->bad_word < 2 || !cfgreq_has_element(rq->cmd))) {
		snprintf(err, errlen, "%s", rq->bad);
		return -1;
	}
	switch (rq->cmd) {
	case CFGREQ_COMPOSITION:
		j->req.kind = CFGCLI_COMP_DATA_GET;
		break;
	case CFGREQ_APPKEY_ADD:
		j->req.kind = CFGCLI_APPKEY_ADD;
		j->req.app_idx = rq->app_idx;
		if (nodedb_app_key(db, j->req.app_idx, &bound, j->req.app_key) != 0) {
			snprintf(err, errlen, "no AppKey %u in the database", j->req.app_idx);
			return -2;
		}
		j->req.net_idx = bound;
		break;
	case CFGREQ_BIND:
	case CFGREQ_UNBIND:
	case CFGREQ_SUB_ADD:
	case CFGREQ_SUB_DEL:
	case CFGREQ_PUB_SET:
	case CFGREQ_PUB_GET:
		if (resolve_element(j, rq, err, errlen) < 0)
			return -1;
		if (rq->bad[0]) {
			snprintf(err, errlen, "%s", rq->bad);
			return -1;
		}
		j->req.model = rq->model;
		j->req.elem_addr = (uint16_t)(j->node.unicast + j->element);
		if (rq->cmd == CFGREQ_PUB_SET || rq->cmd == CFGREQ_PUB_GET) {
			j->req.kind = rq->cmd == CFGREQ_PUB_SET ? CFGCLI_MODEL_PUB_SET : CFGCLI_MODEL_PUB_GET;
			j->req.pub = rq->pub;
			j->req.pub.elem_addr = j->req.elem_addr;
			j->req.pub.model = rq->model;
			j->req.pub.app_idx = rq->app_idx;
		} else if (rq->cmd == CFGREQ_BIND || rq->cmd == CFGREQ_UNBIND) {
			j->req.kind = rq->cmd == CFGREQ_BIND ? CFGCLI_MODEL_APP_BIND : CFGCLI_MODEL_APP_UNBIND;
			j->req.app_idx = rq->app_idx;
		} else {
			j->req.kind = rq->cmd == CFGREQ_SUB_ADD ? CFGCLI_MODEL_SUB_ADD : CFGCLI_MODEL_SUB_DEL;
			j->req.addr = rq->group;
		}
		break;
	case CFGREQ_RESET:
		j->req.kind = CFGCLI_NODE_RESET;
		break;
	case CFGREQ_TTL:
	case CFGREQ_RELAY:
	case CFGREQ_BEACON:
	case CFGREQ_PROXY:
	case CFGREQ_FRIEND:
	case CFGREQ_NET_TRANSMIT:
		j->req.kind = rq->set ? CFGCLI_STATE_SET : CFGCLI_STATE_GET;
		j->req.state = rq->state;
		j->req.state_value = rq->value;
		break;
	case CFGREQ_SETUP:
		j->groups[0] = ALIGENIE_GROUP_LIGHTS;
		j->groups[1] = ALIGENIE_GROUP_ALL;
		j->ngroups = 2;
		break;
	}
	return 0;
}

/* A device-key message from the node (localnode routes it here). */
static bool job_access(void *ctx, const struct mesh_rx *rx)
{
	struct cfgjob *j = ctx;
	uint64_t now;

	if (!j->started || j->finished || !rx->dev_key || rx->src != j->node.unicast)
		return false;
	now = radio_now(j->radio);
	if (j->cmd == CFGREQ_SETUP)
		node_setup_input(&j->setup, now, rx->src, rx->access, rx->len);
	else
		cfgcli_input(&j->cli, now, rx->src, rx->access, rx->len);
	return true;
}

int cfgjob_start(struct cfgjob *j, struct radio *r, struct localnode *c, void (*done)(void *ctx),
		 void *ctx)
{
	uint64_t now = radio_now(r);

	j->radio = r;
	j->local = c;
	j->done = done;
	j->ctx = ctx;
	j->give_up_at = now + CFGJOB_TIMEOUT_MS;
	if (radio_add_timers(r, job_deadline, job_tick, j) != 0)
		return -ENOSPC;
	j->started = true;
	j->reg.addr = j->node.unicast;
	j->reg.elements = j->node.elements;
	j->reg.access = job_access;
	j->reg.ctx = j;
	localnode_register(c, &j->reg);
	if (j->cmd == CFGREQ_SETUP) {
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

/* ---- alone on the radio (cfgjob_wait) ---- */

static void alone_ready(void *ctx)
{
	struct cfgjob *j = ctx;
	char why[256];

	if (j->started || j->finished)
		return;
	j->own_local = calloc(1, sizeof(*j->own_local));
	if (!j->own_local) {
		finish(j, -ENOMEM, "out of memory");
		return;
	}
	if (localnode_init(j->own_local, j->radio, j->db, why, sizeof(why)) != 0) {
		free(j->own_local);
		j->own_local = NULL;
		finish(j, -EINVAL, "%s", why);
		return;
	}
	if (cfgjob_start(j, j->radio, j->own_local, j->done, j->ctx) != 0)
		finish(j, -ENOSPC, "internal error: no timer slot");
}

static void alone_rx(void *ctx, uint8_t type, const uint8_t *data, size_t len,
		     const struct hci_adv_report *r)
{
	struct cfgjob *j = ctx;

	(void)r;
	if (!j->radio->stopping && type == AD_TYPE_MESH_MESSAGE && j->own_local)
		localnode_input(j->own_local, data, len);
}

void cfgjob_wait(struct cfgjob *j, struct radio *r, void (*done)(void *ctx), void *ctx)
{
	j->radio = r;
	j->done = done;
	j->ctx = ctx;
	j->alone = true;
	radio_set_receiver(r, alone_ready, alone_rx, j);
}

int cfgjob_linger(struct cfgjob *j, double linger_s, void (*done)(void *ctx), void *ctx)
{
	if (!j->own_local || linger_s <= 0)
		return -1;
	localnode_linger(j->own_local, (uint64_t)(linger_s * 1000.0), done, ctx);
	return 0;
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

/* A node state's members of cfgjob_json: "ttl" (integer), or "relay",
 * "beacon", "proxy", "friend" ("on", "off", "not supported"); and for relay
 * (unless not supported) and net-transmit "count" (0-7), "steps" (0-31),
 * "transmissions" (count + 1) and "interval_ms" ((steps + 1) x 10). */
static void state_json(struct json_object *o, enum cfg_state st, const struct cfg_node_state *v)
{
	static const char *const keys[CFG_STATE_COUNT] = {
		[CFG_STATE_RELAY] = "relay", [CFG_STATE_BEACON] = "beacon",
		[CFG_STATE_GATT_PROXY] = "proxy", [CFG_STATE_FRIEND] = "friend",
	};
	static const char *const onoff[] = { "off", "on", "not supported" };
	uint8_t tx = st == CFG_STATE_RELAY ? v->retransmit : v->value;

	if (st == CFG_STATE_DEFAULT_TTL)
		json_object_object_add(o, "ttl", json_object_new_int(v->value));
	else if (keys[st])
		json_object_object_add(o, keys[st], json_object_new_string(onoff[v->value < 3 ? v->value : 2]));
	if (st == CFG_STATE_NET_TRANSMIT || (st == CFG_STATE_RELAY && v->value != CFG_FEATURE_NOT_SUPPORTED)) {
		json_object_object_add(o, "count", json_object_new_int(cfg_transmit_count(tx)));
		json_object_object_add(o, "steps", json_object_new_int(cfg_transmit_steps(tx)));
		json_object_object_add(o, "transmissions", json_object_new_int(cfg_transmit_count(tx) + 1));
		json_object_object_add(o, "interval_ms", json_object_new_int((cfg_transmit_steps(tx) + 1) * 10));
	}
}

struct json_object *cfgjob_json(const struct cfgjob *j)
{
	struct json_object *o = json_object_new_object();
	bool ok = cfgjob_ok(j);

	json_object_object_add(o, "uuid", json_object_new_string(j->uuid_hex));
	json_object_object_add(o, "unicast", json_object_new_int(j->node.unicast));
	json_object_object_add(o, "command", json_object_new_string(j->cmd_name));
	json_object_object_add(o, "ok", json_object_new_boolean(ok));
	/* the node states' messages have no status code */
	if (j->answered && j->cmd != CFGREQ_SETUP && !cfgreq_is_state(j->cmd))
		json_object_object_add(o, "status", json_object_new_int(j->rc));
	if (j->have_state)
		state_json(o, j->req.state, &j->state);
	if (j->have_pub) {
		struct json_object *p = json_object_new_object();

		json_object_object_add(p, "address", json_object_new_int(j->pub.addr));
		json_object_object_add(p, "app_index", json_object_new_int(j->pub.app_idx));
		json_object_object_add(p, "credentials", json_object_new_boolean(j->pub.cred));
		json_object_object_add(p, "ttl", json_object_new_int(j->pub.ttl));
		json_object_object_add(p, "period_ms", json_object_new_int64(cfg_pub_period_ms(j->pub.period)));
		json_object_object_add(p, "count", json_object_new_int(cfg_transmit_count(j->pub.retransmit)));
		json_object_object_add(p, "steps", json_object_new_int(cfg_transmit_steps(j->pub.retransmit)));
		json_object_object_add(o, "publish", p);
	}
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
	if (j->local)
		localnode_unregister(j->local, &j->reg);
	if (j->alone)
		radio_set_receiver(j->radio, NULL, NULL, NULL);
	if (j->own_local) {
		localnode_free(j->own_local);
		free(j->own_local);
	}
	OPENSSL_cleanse(j, sizeof(*j));
}
