/* The daemon's control socket requests (ctl.h describes them): status,
 * scan (a list, or followed), provision and config (held until their
 * session is over: daemon_jobs.c), nodes and remove; and a client that
 * leaves cancelling its request. Every field is checked before use: a
 * malformed request gets a "usage" error. See daemon.h. */
#include <errno.h>
#include <json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "daemon.h"
#include "log.h"
#include "util.h"

#ifndef MESHPROV_VERSION
#define MESHPROV_VERSION "0.1"
#endif

/* Its streaming request is over: read its next one. */
void conn_request_done(struct conn *c)
{
	c->following = false;
	ctlconn_done(&c->io);
}

void follow_event(struct daemon *d, const struct dev_entry *e)
{
	for (struct ctlconn *i = d->ctl.conns; i; i = i->next) {
		struct conn *c = (struct conn *)i;
		struct json_object *o;

		if (!c->following || (c->follow_aligenie && !e->is_aligenie))
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "event", json_object_new_string("device"));
		json_object_object_add(o, "device", dev_entry_json_live(e, mono_ms()));
		ctlconn_send(&c->io, o);
	}
}

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
	unsigned due, for_airtime;

	if (check_fields(c, req, allowed) < 0)
		return;
	o = ctlsrv_reply_ok();

	json_object_object_add(o, "version", json_object_new_string(MESHPROV_VERSION));
	json_object_object_add(o, "hci", json_object_new_string(d->radio.tr.name));
	json_object_object_add(o, "ready", json_object_new_boolean(d->ready));
	json_object_object_add(o, "uptime_s",
			       json_object_new_int64((int64_t)(mono_ms() - d->started_at) / 1000));
	json_object_object_add(o, "devices", json_object_new_int64((int64_t)d->table.n));
	json_object_object_add(o, "nodes", json_object_new_int64((int64_t)nodedb_count(d->db)));
	json_object_object_add(o, "sessions", json_object_new_int((int)active_slots(d)));
	json_object_object_add(o, "max_sessions", json_object_new_int((int)d->conf.max_sessions));
	jobs_waiting(d, &due, &for_airtime);
	json_object_object_add(o, "waiting", json_object_new_int((int)due));
	json_object_object_add(o, "waiting_for_airtime", json_object_new_int((int)for_airtime));
	json_object_object_add(o, "tx_backlog_ms",
			       json_object_new_int((int)radio_tx_backlog_ms(&d->radio)));
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
		c->follow_until = timeout > 0 ? mono_ms() + (uint64_t)(timeout * 1000) : NO_DEADLINE;
		ctlconn_hold(&c->io);
		for (size_t i = 0; i < d->table.n; i++)
			if (!aligenie || d->table.e[i].is_aligenie) {
				struct json_object *o = json_object_new_object();

				json_object_object_add(o, "event", json_object_new_string("device"));
				json_object_object_add(o, "device",
						       dev_entry_json_live(&d->table.e[i], mono_ms()));
				ctlconn_send(&c->io, o);
			}
		return;
	}
	devs = json_object_new_array();
	for (size_t i = 0; i < d->table.n; i++)
		if (!aligenie || d->table.e[i].is_aligenie)
			json_object_array_add(devs, dev_entry_json_live(&d->table.e[i], mono_ms()));
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
	if (provreq_from_json(req, &s->req, err, sizeof(err)) < 0) {
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
	s->wait_until = mono_ms() + (uint64_t)(s->req.wait_s * 1000);
	s->give_up_at = s->req.timeout_s > 0 ? mono_ms() + (uint64_t)(s->req.timeout_s * 1000) :
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

static void req_config(struct daemon *d, struct conn *c, struct json_object *req)
{
	struct cfgslot *cs = NULL;
	struct cfgreq rq;
	char err[256];
	int rc;

	if (cfgreq_from_json(req, &rq, err, sizeof(err)) < 0) {
		ctlconn_error(&c->io, true, "%s", err);
		return;
	}
	cs = free_cfg(d);
	if (!cs) {
		ctlconn_error(&c->io, false, "too many config requests at once: try again shortly");
		return;
	}
	if (!d->local_on) {
		ctlconn_error(&c->io, false, "meshprov's own node is not set up in the database");
		return;
	}
	rc = cfgslot_prepare(d, cs, &rq, c, err, sizeof(err));
	if (rc < 0) {
		ctlconn_error(&c->io, rc == -1, "%s", err);
		return;
	}
	c->cfg = cs;
	ctlconn_hold(&c->io);
	if (cfgjob_start(&cs->job, &d->radio, &d->local, cfg_done, cs) != 0) {
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

const struct ctlsrv_ops ctlreq_ops = {
	.request = on_request,
	.closed = on_closed,
};

void ctlreq_tick(struct daemon *d, uint64_t now)
{
	for (struct ctlconn *i = d->ctl.conns; i; i = i->next) {
		struct conn *c = (struct conn *)i;

		if (c->following && now >= c->follow_until) {
			ctlconn_send(&c->io, ctlsrv_reply_ok());
			if (ctlconn_open(&c->io))
				conn_request_done(c);
		}
	}
}
