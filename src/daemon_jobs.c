/* The daemon's sessions: provisioning (struct slot, a provjob each) and
 * configuration (struct cfgslot, a cfgjob each), asked for on the control
 * socket or started automatically, and the automatic policy's decisions
 * (autoprov.h) acted on: provisioning a device heard, configuring a node
 * again, the back-off or giving up, in the log. See daemon.h. */
#include <errno.h>
#include <json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "daemon.h"
#include "log.h"
#include "util.h"

struct slot *find_slot(struct daemon *d, const uint8_t uuid[16])
{
	for (unsigned i = 0; i < CONF_MAX_SESSIONS; i++)
		if (d->slots[i].used && !memcmp(d->slots[i].req.job.uuid, uuid, 16))
			return &d->slots[i];
	return NULL;
}

/* A job of ours runs for uuid: its reservation is its own. */
bool job_running(void *ctx, const uint8_t uuid[16])
{
	struct slot *s = find_slot(ctx, uuid);

	return s && s->started;
}

struct cfgslot *find_cfg(struct daemon *d, const uint8_t uuid[16])
{
	for (unsigned i = 0; i < CONF_MAX_SESSIONS; i++)
		if (d->cfgs[i].used && !d->cfgs[i].reap && !memcmp(d->cfgs[i].job.node.uuid, uuid, 16))
			return &d->cfgs[i];
	return NULL;
}

struct cfgslot *free_cfg(struct daemon *d)
{
	for (unsigned i = 0; i < CONF_MAX_SESSIONS; i++)
		if (!d->cfgs[i].used)
			return &d->cfgs[i];
	return NULL;
}

unsigned active_slots(const struct daemon *d)
{
	unsigned n = 0;

	for (unsigned i = 0; i < CONF_MAX_SESSIONS; i++)
		n += d->slots[i].used;
	return n;
}

struct slot *free_slot(struct daemon *d)
{
	if (active_slots(d) >= d->conf.max_sessions)
		return NULL;
	for (unsigned i = 0; i < CONF_MAX_SESSIONS; i++)
		if (!d->slots[i].used)
			return &d->slots[i];
	return NULL;
}

void slot_event(struct slot *s, const char *text)
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

/* An automatic attempt failed (provisioning, or configuring the node): the
 * back-off, or giving up with one log line. */
static void attempt_failed(struct daemon *d, const uint8_t uuid[16], const char *hex,
			   const char *msg)
{
	struct autoprov_failure f;

	if (d->stopping || !autoprov_failed(&d->ap, uuid, mono_ms(), &f))
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
void slot_start(struct daemon *d, struct slot *s)
{
	char err[256];
	int rc;

	s->starting = true;
	rc = provjob_start(&s->job, &d->radio, d->db, &d->local, &s->req.job,
			   &daemon_job_ops, s, err, sizeof(err));
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

void slot_fail_waiting(struct slot *s, const char *msg)
{
	provjob_fail_unstarted(&s->job, &s->req.job, msg);
	j_done(s);
}

void jobs_reap(struct ev_loop *loop, ev_idle *w, int revents)
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

/* Is the device heard (e) due for automatic provisioning at now? Its
 * credentials in *cr, what to do and the attempt number; AUTOPROV_WAIT when
 * it is not (no credentials, a session of ours runs for it, its back-off). */
static enum autoprov_beacon provision_due(struct daemon *d, const struct dev_entry *e,
					  uint64_t now, const struct creds_entry **cr,
					  unsigned *attempt)
{
	const uint8_t *uuid = e->beacon.uuid;

	if (!d->conf.auto_provision || d->stopping || !d->ready || find_slot(d, uuid) ||
	    find_cfg(d, uuid))
		return AUTOPROV_WAIT;
	*cr = creds_match(&d->creds, uuid);
	if (!*cr)
		return AUTOPROV_WAIT;
	return autoprov_beacon(&d->ap, uuid, node_state(d, uuid), now, attempt);
}

static unsigned started_slots(const struct daemon *d)
{
	unsigned n = 0;

	for (unsigned i = 0; i < CONF_MAX_SESSIONS; i++)
		n += d->slots[i].used && d->slots[i].started;
	return n;
}

/* Admission control (autoprov_admit) for a new link, beside `sessions`
 * others: false while max_sessions run or the air is busy (said in the log
 * when the airtime starts holding links back). */
static bool link_admitted(struct daemon *d, unsigned sessions)
{
	unsigned backlog = radio_tx_backlog_ms(&d->radio);

	switch (autoprov_admit(sessions, d->conf.max_sessions, backlog)) {
	case AUTOPROV_ADMIT:
		d->airtime_held = false;
		return true;
	case AUTOPROV_NO_AIRTIME:
		if (!d->airtime_held)
			log_info("%u ms of transmissions queued with %u session%s running: new "
				 "links wait for airtime", backlog, sessions, sessions == 1 ? "" : "s");
		d->airtime_held = true;
		return false;
	case AUTOPROV_NO_SESSION:
		break;
	}
	return false;
}

/* A requested session's device was heard: open the link when the air has
 * room for it (else on a later beacon, within the request's wait). */
void slot_heard(struct daemon *d, struct slot *s)
{
	if (link_admitted(d, started_slots(d)))
		slot_start(d, s);
}

/* The devices due for automatic provisioning at now and heard within
 * AUTOPROV_BEACON_FRESH_MS (unprovisioned now): how many, and the one first
 * heard (the table keeps first-seen order), or NULL. */
static const struct dev_entry *first_due(struct daemon *d, uint64_t now, unsigned *count)
{
	const struct dev_entry *first = NULL;
	const struct creds_entry *cr;
	unsigned attempt;

	*count = 0;
	for (size_t i = 0; i < d->table.n; i++) {
		const struct dev_entry *e = &d->table.e[i];

		if (now - e->last_seen < AUTOPROV_BEACON_FRESH_MS &&
		    provision_due(d, e, now, &cr, &attempt) != AUTOPROV_WAIT) {
			(*count)++;
			if (!first)
				first = e;
		}
	}
	return first;
}

void jobs_waiting(struct daemon *d, unsigned *due, unsigned *for_airtime)
{
	first_due(d, mono_ms(), due);
	*for_airtime = d->airtime_held && active_slots(d) < d->conf.max_sessions ? *due : 0;
}

/* Automatic provisioning of a device just heard, when it is due: when a
 * link is admitted, the due device that waited longest gets it (it may be
 * another than the one just heard: while the airtime holds links back, the
 * next free moment is not won by whoever beacons then, and none starves). */
void maybe_provision(struct daemon *d, const struct dev_entry *heard)
{
	uint64_t now = mono_ms();
	const struct dev_entry *e;
	const struct creds_entry *cr;
	enum autoprov_beacon what;
	const uint8_t *uuid;
	struct slot *s;
	unsigned attempt, ndue;
	char hex[33];

	if (provision_due(d, heard, now, &cr, &attempt) == AUTOPROV_WAIT ||
	    !link_admitted(d, active_slots(d)))
		return;
	e = first_due(d, now, &ndue);
	if (!e)
		e = heard;
	uuid = e->beacon.uuid;
	what = provision_due(d, e, now, &cr, &attempt);
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
		 cr->kind == CREDS_ALIGENIE ? "AliGenie" : cr->kind == CREDS_STATIC_OOB ? "static OOB" :
										 "no OOB",
		 cr->line, attempt, d->conf.max_attempts);
	slot_start(d, s);
}

/* setup on an AliGenie node: the groups meshprov.conf gives its ProductID. */
static void setup_groups(struct daemon *d, struct cfgjob *j)
{
	struct aligenie_info ali;
	const struct conf_groups *gr;

	if (j->cmd != CFGREQ_SETUP || !aligenie_decode(j->node.uuid, &ali))
		return;
	gr = conf_groups_for(&d->conf, ali.product_id);
	memcpy(j->groups, gr->addr, sizeof(j->groups));
	j->ngroups = gr->n;
}

/* A config job for rq in the free slot cs: for the client c, or
 * automatic (c NULL). The caller starts it. 0; -1 usage error, -2 failure,
 * with one line in err (cfgjob_prepare). */
int cfgslot_prepare(struct daemon *d, struct cfgslot *cs, const struct cfgreq *rq, struct conn *c,
		    char *err, size_t errlen)
{
	int rc = cfgjob_prepare(&cs->job, d->db, rq, err, errlen);

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
static void start_auto_config(struct daemon *d, struct cfgslot *cs,
			      const struct autoprov_attempt *a)
{
	struct cfgreq rq;
	char hex[33], err[256];

	hex_encode(a->uuid, 16, hex);
	cfgreq_setup(&rq, hex);
	if (cfgslot_prepare(d, cs, &rq, NULL, err, sizeof(err)) < 0)
		return;
	log_info("configuring %s at 0x%04x again, attempt %u of %u", hex, cs->job.node.unicast,
		 a->count + 1, d->conf.max_attempts);
	if (cfgjob_start(&cs->job, &d->radio, &d->local, cfg_done, cs) != 0) {
		cfgjob_free(&cs->job);
		cs->used = false;
	}
}

/* What the policy asks of a recorded device. */
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

/* The automatic attempts that are due on nodes left unconfigured: configure
 * them again. A node whose unprovisioned beacon is heard has dropped its
 * provisioning; maybe_provision provisions it again instead. */
void retry_configuration(struct daemon *d, uint64_t now)
{
	struct autoprov_attempt a;
	size_t i = 0;

	if (!d->conf.auto_provision || d->stopping || !d->ready || !d->local_on)
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
void schedule_unconfigured(struct daemon *d)
{
	struct nodedb_node n;

	for (size_t i = 0; nodedb_node_at(d->db, i, &n) == 0; i++) {
		if (!n.config_complete && creds_match(&d->creds, n.uuid))
			autoprov_schedule(&d->ap, n.uuid, mono_ms());
		OPENSSL_cleanse(&n, sizeof(n));
	}
}

void cfg_done(void *ctx)
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


void jobs_tick(struct daemon *d, uint64_t now)
{
	char msg[200];

	for (unsigned i = 0; i < CONF_MAX_SESSIONS; i++) {
		struct slot *s = &d->slots[i];

		if (!s->used || s->reap)
			continue;
		if (!s->started && now >= s->wait_until) {
			const struct dev_entry *e = devtable_find(&d->table, s->req.job.uuid);
			char hex[33];

			hex_encode(s->req.job.uuid, 16, hex);
			if (e && d->airtime_held && now - e->last_seen < AUTOPROV_BEACON_FRESH_MS)
				snprintf(msg, sizeof(msg), "%s was heard, but the radio had no airtime "
					 "for another link within %g s", hex, s->req.wait_s);
			else
				snprintf(msg, sizeof(msg), "no beacon from %s within %g s", hex,
					 s->req.wait_s);
			slot_fail_waiting(s, msg);
		} else if (now >= s->give_up_at) {
			snprintf(msg, sizeof(msg), "gave up after %g s", s->req.timeout_s);
			if (s->started)
				provjob_cancel(&s->job, msg);
			else
				slot_fail_waiting(s, msg);
		}
	}
}

void jobs_cancel_all(struct daemon *d, const char *msg)
{
	for (unsigned i = 0; i < CONF_MAX_SESSIONS; i++) {
		struct slot *s = &d->slots[i];

		if (!s->used || s->reap)
			continue;
		if (s->started)
			provjob_cancel(&s->job, msg);
		else
			slot_fail_waiting(s, msg);
	}
	for (unsigned i = 0; i < CONF_MAX_SESSIONS; i++)
		if (d->cfgs[i].used && !d->cfgs[i].reap)
			cfgjob_cancel(&d->cfgs[i].job, -EINTR, msg);
}

void jobs_free(struct daemon *d)
{
	for (unsigned i = 0; i < CONF_MAX_SESSIONS; i++) {
		if (d->slots[i].used)
			slot_release(&d->slots[i]);
		if (d->cfgs[i].used)
			cfgjob_free(&d->cfgs[i].job);
	}
}
