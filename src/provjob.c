#include "provjob.h"

#include <errno.h>
#include <json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "adv.h"
#include "autoprov.h"
#include "beacon.h"
#include "cfgjob.h"
#include "crypto.h"
#include "log.h"
#include "util.h"

static void say(struct provjob *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct provjob *j, const char *fmt, ...)
{
	char text[256];
	va_list ap;

	if (!j->ops->progress)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	j->ops->progress(j->ctx, text);
}

static void finish(struct provjob *j)
{
	if (j->state == PROVJOB_DONE)
		return;
	j->state = PROVJOB_DONE;
	/* every failure has a reason (the daemon logs it, --json prints it) */
	if (!j->ok && !j->msg[0])
		snprintf(j->msg, sizeof(j->msg), "provisioning stopped without completing");
	if (j->ok && j->params.configure && !j->configured && !j->config_error[0])
		snprintf(j->config_error, sizeof(j->config_error), "configuration stopped");
	/* before the data: nothing burned; after it the durable reservation
	 * (or the node) holds the addresses */
	if (j->res_elements)
		nodedb_unreserve_unicast(j->db, j->res_lo, j->res_elements);
	j->res_elements = 0;
	if (!j->ok && j->data_sent)
		say(j, "its addresses stay reserved until its beacon shows whether it took them");
	radio_kick(j->radio);
	j->ops->done(j->ctx);
}

/* Stop the job for a reason found on our side. */
static void fail(struct provjob *j, uint8_t error, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void fail(struct provjob *j, uint8_t error, const char *fmt, ...)
{
	va_list ap;

	if (j->msg[0] == '\0') {
		va_start(ap, fmt);
		vsnprintf(j->msg, sizeof(j->msg), fmt, ap);
		va_end(ap);
		j->error = error;
	}
	provjob_cancel(j, j->msg);
}

/* ---- timers ---- */

static uint64_t job_deadline(void *ctx)
{
	struct provjob *j = ctx;

	switch (j->state) {
	case PROVJOB_WAITING:
		return j->wait_until ? j->wait_until : NO_DEADLINE;
	case PROVJOB_PROVISIONING:
		return prov_session_next_deadline(&j->session);
	case PROVJOB_CONFIGURING:
		return node_setup_next_deadline(&j->setup);
	case PROVJOB_LINGERING:
		return j->linger_until;
	default:
		return NO_DEADLINE;
	}
}

static void job_tick(void *ctx, uint64_t now)
{
	struct provjob *j = ctx;

	switch (j->state) {
	case PROVJOB_WAITING:
		if (j->wait_until && now >= j->wait_until)
			fail(j, 0, "no beacon from %s within %g s", j->uuid_hex, j->wait_s);
		break;
	case PROVJOB_PROVISIONING:
		prov_session_tick(&j->session, now);
		break;
	case PROVJOB_CONFIGURING:
		node_setup_tick(&j->setup, now);
		break;
	case PROVJOB_LINGERING:
		if (now >= j->linger_until)
			finish(j);
		break;
	default:
		break;
	}
}

/* ---- configuring ---- */

static int st_send(void *ctx, uint16_t dst, const uint8_t *pdu, size_t len)
{
	struct provjob *j = ctx;

	return localnode_send_devkey(j->local, dst, pdu, len);
}

static void st_progress(void *ctx, const char *what)
{
	say(ctx, "%s", what);
}

static void st_done(void *ctx, int rc, const char *msg)
{
	struct provjob *j = ctx;
	char err[256];

	j->configured = rc == 0;
	if (rc != 0)
		snprintf(j->config_error, sizeof(j->config_error), "%s", msg);
	cfgjob_record_setup(j->db, j->params.uuid, &j->setup, rc, msg);
	if (nodedb_commit(j->db, err, sizeof(err)) != 0) {
		j->configured = false;
		snprintf(j->config_error, sizeof(j->config_error),
			 "the configuration was not written to the database: %.140s", err);
	}
	if (j->configured)
		say(j, "configured");
	/* an AliGenie device repeats its indication until answered: give it a moment */
	if (j->configured && j->is_aligenie && j->indications == 0 && !j->cancelling) {
		j->state = PROVJOB_LINGERING;
		j->linger_until = radio_now(j->radio) + PROVJOB_LINGER_MS;
		radio_kick(j->radio);
		return;
	}
	finish(j);
}

static const struct node_setup_ops job_setup_ops = {
	.send = st_send,
	.progress = st_progress,
	.done = st_done,
};

static bool reg_access(void *ctx, const struct mesh_rx *rx);
static void reg_indication(void *ctx, uint16_t src, uint8_t tid);

static void start_configure(struct provjob *j)
{
	struct node_setup_params sp = { 0 };
	char why[256];
	uint16_t bound = 0;

	why[0] = '\0';
	if (j->alone) {
		/* alone on the radio: meshprov's own node is this job's */
		j->own_local = calloc(1, sizeof(*j->own_local));
		if (!j->own_local) {
			snprintf(why, sizeof(why), "out of memory");
		} else if (localnode_init(j->own_local, j->radio, j->db, why, sizeof(why)) != 0) {
			free(j->own_local);
			j->own_local = NULL;
		} else {
			j->local = j->own_local;
		}
	} else if (j->shared_local && j->shared_local->on) {
		j->local = j->shared_local;
	} else {
		snprintf(why, sizeof(why), "meshprov's own node is not set up in the database");
	}
	if (j->local) {
		/* the node's answers and indications come to this job */
		j->reg.addr = j->result.unicast;
		j->reg.elements = j->result.elements;
		j->reg.access = reg_access;
		j->reg.indication = reg_indication;
		j->reg.ctx = j;
		localnode_register(j->local, &j->reg);
		sp.unicast = j->result.unicast;
		sp.net_index = 0;
		sp.app_index = 0;
		sp.bind_and_subscribe = j->is_aligenie && j->ali.uuid_version == 0;
		memcpy(sp.groups, j->params.groups, sizeof(sp.groups));
		sp.ngroups = j->params.ngroups;
		say(j, "configuring 0x%04x from 0x%04x", sp.unicast, j->local->self);
		j->state = PROVJOB_CONFIGURING;
		if (nodedb_app_key(j->db, 0, &bound, sp.app_key) != 0 ||
		    node_setup_start(&j->setup, radio_now(j->radio), &sp, &job_setup_ops, j) != 0)
			snprintf(why, sizeof(why), "cannot start configuring");
		else
			j->setup_started = true;
	}
	OPENSSL_cleanse(sp.app_key, sizeof(sp.app_key));
	if (!j->setup_started) {
		snprintf(j->config_error, sizeof(j->config_error), "%.190s", why);
		nodedb_node_set_unconfigured(j->db, j->params.uuid, why);
		if (nodedb_commit(j->db, why, sizeof(why)) != 0)
			log_warn("%s", why);
		finish(j);
		return;
	}
	radio_kick(j->radio);
}

/* ---- provisioning ---- */

/* The link's own transmit source holds what PB-ADV can have outstanding (a
 * transaction, an ACK, a Link Close or Open): it is never full. Should it
 * be, the link's retransmission covers the payload (pb_adv counts it as
 * sent). */
static int s_send(void *ctx, const uint8_t *payload, size_t len, unsigned flags, uint32_t cookie)
{
	struct provjob *j = ctx;
	unsigned tf = (flags & PB_ADV_SEND_PRIO ? TXSCHED_PRIO : 0) |
		      (flags & PB_ADV_SEND_NOTIFY ? TXSCHED_NOTIFY : 0);
	int err = radio_send_src(j->radio, j->tx_open ? j->tx_src : -1, AD_TYPE_PB_ADV, payload,
				 len, tf, cookie);

	if (err == -ENOBUFS)
		log_warn("%s: the link's transmit queue is full (%u PDUs): a PB-ADV payload waits for "
			 "its retransmission", j->uuid_hex, PROVJOB_TX_QUEUE);
	return err;
}

static void s_tx_done(void *ctx, uint32_t cookie)
{
	struct provjob *j = ctx;

	if (j->state == PROVJOB_PROVISIONING)
		prov_session_tx_done(&j->session, radio_now(j->radio), cookie);
}

static const struct txsched_src_ops job_tx_ops = {
	.tx_done = s_tx_done,
};

static void s_progress(void *ctx, enum prov_step step)
{
	struct provjob *j = ctx;
	const struct prov *p = &j->session.prov;

	switch (step) {
	case PROV_STEP_INVITE:
		say(j, "link open; invite sent");
		break;
	case PROV_STEP_CAPABILITIES:
		say(j, "capabilities: %u element%s, algorithms 0x%04x, static OOB %s",
		    p->caps.elements, p->caps.elements == 1 ? "" : "s", p->caps.algorithms,
		    p->caps.static_oob & 1 ? "yes" : "no");
		break;
	case PROV_STEP_KEY_EXCHANGE:
		say(j, "public keys exchanged");
		break;
	case PROV_STEP_AUTH:
		say(j, "authenticating (%s, %s)", prov_auth_name(p->method),
		    prov_algorithm_name(p->algorithm));
		break;
	case PROV_STEP_CONFIRMED:
		say(j, "device confirmation verified");
		break;
	case PROV_STEP_DATA_SENT:
		say(j, "provisioning data sent");
		break;
	case PROV_STEP_COMPLETE:
		say(j, "complete");
		break;
	}
}

static void s_auth_request(void *ctx, enum prov_auth_method m, uint8_t action, uint8_t size,
			   const char *show)
{
	static const char *const out_actions[] = { "blinks", "beeps", "vibrations", "number", "text" };
	static const char *const in_actions[] = { "pushes", "twists", "number", "text" };
	const char *out_action = out_actions[action < 5 ? action : 0];
	struct provjob *j = ctx;
	char text[160];

	if (m == PROV_AUTH_INPUT) {
		/* the value is a one-time code for the user, not a key: it must be shown */
		snprintf(text, sizeof(text), "Enter this %s on the device: %s",
			 in_actions[action < 4 ? action : 0], show);
		j->ops->auth_prompt(j->ctx, false, text);
		return;
	}
	if (j->params.auth_value[0]) {
		if (prov_session_auth_value(&j->session, radio_now(j->radio), j->params.auth_value) < 0)
			fail(j, 0, "--auth-value does not fit the device's output (%s, %u)", out_action,
			     size);
		return;
	}
	snprintf(text, sizeof(text), "Enter the %s the device outputs (up to %u characters): ",
		 out_action, size);
	if (j->ops->auth_prompt(j->ctx, true, text) < 0)
		fail(j, 0, "the device outputs a value: give it with --auth-value");
}

static int s_assign(void *ctx, uint8_t elements, uint16_t *addr)
{
	struct provjob *j = ctx;
	uint16_t want = j->params.want_unicast;

	int rc;

	if (!want) {
		rc = nodedb_alloc_unicast(j->db, elements, addr);
	} else if ((unsigned)want + elements - 1 > 0x7fff || !nodedb_unicast_free(j->db, want, elements)) {
		snprintf(j->msg, sizeof(j->msg), "--unicast 0x%04x: %u addresses from there are not free",
			 want, elements);
		return -EADDRINUSE;
	} else {
		*addr = want;
		rc = nodedb_reserve_unicast(j->db, want, elements);
	}
	if (rc == 0) {
		j->res_lo = *addr;
		j->res_elements = elements;
	}
	return rc;
}

/* In memory, with a log line; the caller commits. */
static int release_reservation(struct nodedb *db, const uint8_t uuid[16])
{
	struct nodedb_reservation r;
	char hex[33];
	int rc;

	if (nodedb_reservation_find(db, uuid, &r) != 0)
		return 0;
	hex_encode(uuid, 16, hex);
	rc = nodedb_reservation_release(db, uuid);
	if (rc == 0)
		log_info("%s beacons as unprovisioned: it did not take 0x%04x; released to "
			 "networkExclusions", hex, r.unicast);
	OPENSSL_cleanse(&r, sizeof(r));
	return rc;
}

/* Provisioning Data is about to go out: reserve its addresses durably, with
 * the UUID and device key, so that a crash before Provisioning Complete
 * hands them to no one else. */
static int s_data_ready(void *ctx, const struct prov_result *r)
{
	struct provjob *j = ctx;
	struct nodedb_reservation res;
	char err[256];
	int rc;

	/* a pending one of this device is stale: it took this provisioning */
	release_reservation(j->db, j->params.uuid);
	memset(&res, 0, sizeof(res));
	memcpy(res.uuid, j->params.uuid, 16);
	res.unicast = r->unicast;
	res.elements = r->elements;
	memcpy(res.devkey, r->device_key, 16);
	res.net_key_index = r->net_key_index;
	res.time = (int64_t)time(NULL);
	rc = nodedb_reservation_add(j->db, &res);
	OPENSSL_cleanse(&res, sizeof(res));
	if (rc < 0) {
		snprintf(j->msg, sizeof(j->msg), "cannot reserve 0x%04x for the device: %s", r->unicast,
			 strerror(-rc));
		return -1;
	}
	if (nodedb_commit(j->db, err, sizeof(err)) != 0) {
		nodedb_reservation_drop(j->db, j->params.uuid);
		snprintf(j->msg, sizeof(j->msg), "the address reservation was not written: %.200s", err);
		return -1;
	}
	j->data_sent = true;
	return 0;
}

static void s_complete(void *ctx, const struct prov_result *r)
{
	struct provjob *j = ctx;
	struct nodedb_node n, old;
	char err[256];
	bool saved = false, replacing;

	j->result = *r;
	memset(&old, 0, sizeof(old));
	/* an unconfigured record of this UUID (provjob_check_new): the device
	 * has just taken a new provisioning, so that record is stale */
	replacing = nodedb_find_uuid(j->db, j->params.uuid, &old) == 0 && !old.config_complete;
	if (replacing) {
		say(j, "replacing its unconfigured record at 0x%04x", old.unicast);
		nodedb_remove_node(j->db, j->params.uuid);
	}
	memset(&n, 0, sizeof(n));
	memcpy(n.uuid, j->params.uuid, 16);
	n.unicast = r->unicast;
	n.elements = r->elements;
	memcpy(n.devkey, r->device_key, 16);
	n.net_key_index = r->net_key_index;
	err[0] = '\0';
	if (nodedb_add_node(j->db, &n) != 0) {
		snprintf(err, sizeof(err), "the node's UUID or addresses are already taken");
		if (replacing)
			nodedb_add_node(j->db, &old); /* as it was, in memory */
	} else {
		/* the node holds the addresses now: one commit for both */
		nodedb_reservation_drop(j->db, j->params.uuid);
		if (nodedb_commit(j->db, err, sizeof(err)) == 0)
			saved = true;
	}
	OPENSSL_cleanse(&n, sizeof(n));
	OPENSSL_cleanse(&old, sizeof(old));
	if (saved) {
		j->ok = true;
		return;
	}
	/* the device is provisioned but we could not record it: say so loudly */
	j->error = 0;
	snprintf(j->msg, sizeof(j->msg),
		 "device provisioned at 0x%04x but the database was not written: %.200s", r->unicast,
		 err);
}

static void s_finished(void *ctx, bool ok, uint8_t error, const char *msg)
{
	struct provjob *j = ctx;

	if (!ok && j->msg[0] == '\0') {
		snprintf(j->msg, sizeof(j->msg), "%s", msg);
		j->error = error;
	}
	if (ok && j->ok && j->params.configure && !j->cancelling)
		start_configure(j);
	else
		finish(j);
}

static const struct prov_session_ops job_session_ops = {
	.send = s_send,
	.progress = s_progress,
	.auth_request = s_auth_request,
	.assign_address = s_assign,
	.data_ready = s_data_ready,
	.complete = s_complete,
	.finished = s_finished,
};

/* ---- API ---- */

int provjob_check_new(struct nodedb *db, const uint8_t uuid[16], char *err, size_t errlen)
{
	struct nodedb_node n;
	char hex[33];

	if (nodedb_find_uuid(db, uuid, &n) != 0)
		return 0;
	if (!n.config_complete) {
		OPENSSL_cleanse(&n, sizeof(n));
		return 0; /* replaced once provisioned anew */
	}
	hex_encode(uuid, 16, hex);
	snprintf(err, errlen, "%s is already a node at 0x%04x in %s (meshprov nodes remove %s)", hex,
		 n.unicast, nodedb_path(db), hex);
	OPENSSL_cleanse(&n, sizeof(n));
	return -1;
}

int provjob_reservation_heard(struct nodedb *db, const uint8_t uuid[16], int64_t now, int64_t since,
			      char *err, size_t errlen)
{
	struct nodedb_reservation r;
	bool counts;

	if (nodedb_reservation_find(db, uuid, &r) != 0)
		return 0;
	counts = autoprov_reservation_beacon_counts(r.time, since, now);
	OPENSSL_cleanse(&r, sizeof(r));
	if (!counts)
		return 0;
	if (release_reservation(db, uuid) != 0 || nodedb_commit(db, err, errlen) != 0)
		return -1;
	return 1;
}

unsigned provjob_reservations_settle(struct nodedb *db, int64_t now, int64_t since, unsigned window_s,
				     bool (*busy)(void *ctx, const uint8_t uuid[16]), void *ctx)
{
	struct nodedb_reservation r;
	unsigned kept = 0;
	char err[256], hex[33];
	size_t i = 0;

	while (nodedb_reservation_at(db, i, &r) == 0) {
		if (!autoprov_reservation_settled(r.time, since, window_s, now) ||
		    (busy && busy(ctx, r.uuid)) ||
		    nodedb_reservation_keep(db, r.uuid, "provisioned, not confirmed: Provisioning Complete "
						"was not received, and the device no longer beacons") != 0) {
			i++; /* a failed keep changed nothing: it stays pending */
		} else {
			hex_encode(r.uuid, 16, hex);
			log_info("%s did not beacon for %u s: taken to hold 0x%04x (provisioned, not "
				 "confirmed)", hex, window_s, r.unicast);
			kept++;
		}
		OPENSSL_cleanse(&r, sizeof(r));
	}
	if (kept && nodedb_commit(db, err, sizeof(err)) != 0)
		log_err("%s", err);
	return kept;
}

static void job_init(struct provjob *j, struct radio *r, struct nodedb *db,
		     const struct provjob_params *p, const struct provjob_ops *ops, void *ctx)
{
	memset(j, 0, sizeof(*j));
	j->tx_src = -1;
	j->params = *p;
	j->ops = ops;
	j->ctx = ctx;
	j->radio = r;
	j->db = db;
	hex_encode(p->uuid, 16, j->uuid_hex);
	j->is_aligenie = aligenie_decode(p->uuid, &j->ali);
}

/* The beacon was heard: the network from the database, then the link. -1
 * with one line in err, nothing started. */
static int open_link(struct provjob *j, char *err, size_t errlen)
{
	struct radio *r = j->radio;
	uint32_t link_id;

	if (nodedb_net_key(j->db, 0, j->params.prov.net_key) != 0) {
		snprintf(err, errlen, "%s has no NetKey with index 0", nodedb_path(j->db));
		return -1;
	}
	j->params.prov.net_key_index = 0;
	j->params.prov.iv_index = nodedb_iv_index(j->db);
	j->params.prov.flags = nodedb_iv_update(j->db) ? 0x02 : 0x00;
	j->params.prov.unicast = 0;
	if (crypto_random((uint8_t *)&link_id, sizeof(link_id)) != 0) {
		snprintf(err, errlen, "no random numbers");
		return -1;
	}
	if (!j->timers_on && radio_add_timers(r, job_deadline, job_tick, j) < 0) {
		snprintf(err, errlen, "too many sessions on the radio");
		return -1;
	}
	j->timers_on = true;
	if (!j->tx_open) {
		j->tx_src = radio_tx_open(r, PROVJOB_TX_QUEUE, 1, &job_tx_ops, j);
		if (j->tx_src < 0) {
			snprintf(err, errlen, "too many links on the radio");
			return -1;
		}
		j->tx_open = true;
	}
	say(j, "opening link 0x%08x", (unsigned)link_id);
	j->state = PROVJOB_PROVISIONING;
	if (prov_session_start(&j->session, radio_now(r), link_id, j->params.uuid, &j->params.prov,
			       &job_session_ops, j) < 0) {
		snprintf(err, errlen, "cannot open a PB-ADV link");
		j->state = PROVJOB_WAITING; /* never provisioning */
		return -1;
	}
	radio_kick(r);
	return 0;
}

int provjob_start(struct provjob *j, struct radio *r, struct nodedb *db, struct localnode *local,
		  const struct provjob_params *p, const struct provjob_ops *ops, void *ctx,
		  char *err, size_t errlen)
{
	job_init(j, r, db, p, ops, ctx);
	j->shared_local = local;
	if (open_link(j, err, errlen) < 0) {
		provjob_free(j);
		return -1;
	}
	return 0;
}

/* ---- alone on the radio (provjob_wait): its receiver ---- */

static void job_ready(void *ctx)
{
	struct provjob *j = ctx;
	char text[300];

	j->listen_since = (int64_t)time(NULL);
	if (j->state != PROVJOB_WAITING)
		return;
	if (j->ops->progress) {
		snprintf(text, sizeof(text), "controller ready on %.200s; waiting for the beacon of %s",
			 j->radio->tr.name, j->uuid_hex);
		j->ops->progress(j->ctx, text);
	}
	j->wait_until = radio_now(j->radio) + (uint64_t)(j->wait_s * 1000.0);
	radio_kick(j->radio);
}

/* An unprovisioned beacon: a stale pending reservation released (not one
 * this job made), and this job's device starts it. */
static void job_beacon(struct provjob *j, const uint8_t *data, size_t len,
		       const struct hci_adv_report *r)
{
	struct unprov_beacon b;
	char err[256];

	if (beacon_parse_unprov(data, len, &b) != 0)
		return;
	if ((j->state == PROVJOB_WAITING || memcmp(b.uuid, j->params.uuid, 16)) &&
	    provjob_reservation_heard(j->db, b.uuid, (int64_t)time(NULL), j->listen_since, err,
				      sizeof(err)) < 0)
		log_warn("%s", err);
	if (j->state != PROVJOB_WAITING || memcmp(b.uuid, j->params.uuid, 16))
		return;
	if (r->rssi == HCI_RSSI_UNKNOWN)
		say(j, "beacon heard");
	else
		say(j, "beacon heard (rssi %d)", r->rssi);
	j->wait_until = 0;
	if (open_link(j, err, sizeof(err)) < 0)
		fail(j, 0, "%s", err);
}

static void job_rx(void *ctx, uint8_t type, const uint8_t *data, size_t len,
		   const struct hci_adv_report *r)
{
	struct provjob *j = ctx;

	if (j->radio->stopping) /* the owner is done with us */
		return;
	if (type == AD_TYPE_PB_ADV)
		provjob_pb_adv(j, data, len);
	else if (type == AD_TYPE_MESH_MESSAGE && j->own_local)
		localnode_input(j->own_local, data, len);
	else if (type == AD_TYPE_MESH_BEACON)
		job_beacon(j, data, len, r);
}

int provjob_wait(struct provjob *j, struct radio *r, struct nodedb *db,
		 const struct provjob_params *p, double wait_s, const struct provjob_ops *ops,
		 void *ctx, char *err, size_t errlen)
{
	job_init(j, r, db, p, ops, ctx);
	j->alone = true;
	j->wait_s = wait_s;
	j->state = PROVJOB_WAITING;
	if (radio_add_timers(r, job_deadline, job_tick, j) < 0) {
		snprintf(err, errlen, "too many sessions on the radio");
		j->radio = NULL;
		return -1;
	}
	j->timers_on = true;
	radio_set_receiver(r, job_ready, job_rx, j);
	return 0;
}

int provjob_linger(struct provjob *j, double linger_s, void (*done)(void *ctx), void *ctx)
{
	if (!j->own_local || j->cancelling || linger_s <= 0)
		return -1;
	say(j, "waiting until the node has all it needs from us (at most %g s)", linger_s);
	localnode_linger(j->own_local, (uint64_t)(linger_s * 1000.0), done, ctx);
	return 0;
}

void provjob_pb_adv(struct provjob *j, const uint8_t *data, size_t len)
{
	if (j->state == PROVJOB_PROVISIONING)
		prov_session_input(&j->session, radio_now(j->radio), data, len);
}

/* From the node, routed here by localnode. */
static bool reg_access(void *ctx, const struct mesh_rx *rx)
{
	struct provjob *j = ctx;

	if (j->state != PROVJOB_CONFIGURING || !rx->dev_key || rx->src != j->result.unicast)
		return false;
	node_setup_input(&j->setup, radio_now(j->radio), rx->src, rx->access, rx->len);
	return true;
}

static void reg_indication(void *ctx, uint16_t src, uint8_t tid)
{
	struct provjob *j = ctx;

	(void)tid;
	if (!j->ok || src < j->result.unicast || src >= j->result.unicast + j->result.elements)
		return;
	j->indications++;
	say(j, "answered the indication of 0x%04x", src);
	if (j->state == PROVJOB_LINGERING)
		finish(j); /* nothing more to wait for */
}

int provjob_auth_value(struct provjob *j, const char *value)
{
	int rc;

	if (j->state != PROVJOB_PROVISIONING)
		return -1;
	rc = prov_session_auth_value(&j->session, radio_now(j->radio), value);
	if (rc < 0)
		fail(j, 0, "the value entered is not one this device can show");
	radio_kick(j->radio);
	return rc;
}

void provjob_cancel(struct provjob *j, const char *msg)
{
	if (j->msg[0] == '\0' && !j->ok)
		snprintf(j->msg, sizeof(j->msg), "%s", msg);
	j->cancelling = true;
	switch (j->state) {
	case PROVJOB_WAITING:
		finish(j);
		break;
	case PROVJOB_PROVISIONING:
		if (!j->session.finished)
			prov_session_cancel(&j->session, radio_now(j->radio), msg);
		break;
	case PROVJOB_CONFIGURING:
		node_setup_cancel(&j->setup, radio_now(j->radio), msg);
		break;
	case PROVJOB_LINGERING:
		finish(j);
		break;
	case PROVJOB_DONE:
		break;
	}
	radio_kick(j->radio);
}

void provjob_fail_unstarted(struct provjob *j, const struct provjob_params *p, const char *msg)
{
	memset(j, 0, sizeof(*j));
	memcpy(j->params.uuid, p->uuid, 16);
	j->params.configure = p->configure;
	hex_encode(p->uuid, 16, j->uuid_hex);
	j->state = PROVJOB_DONE;
	snprintf(j->msg, sizeof(j->msg), "%s", msg);
}

void provjob_lost(struct provjob *j, const char *msg)
{
	if (j->msg[0] == '\0' && !j->ok)
		snprintf(j->msg, sizeof(j->msg), "%s", msg);
}

bool provjob_finished(const struct provjob *j)
{
	return j->state == PROVJOB_DONE;
}

static void add_config_json(const struct provjob *j, struct json_object *o)
{
	const struct node_setup *st = &j->setup;

	if (!j->params.configure)
		return;
	json_object_object_add(o, "configured", json_object_new_boolean(j->configured));
	if (!j->configured)
		json_object_object_add(o, "config_error", json_object_new_string(j->config_error));
	if (j->setup_started) {
		struct json_object *keys = json_object_new_array();

		if (st->appkey_added)
			json_object_array_add(keys, json_object_new_int(0));
		json_object_object_add(o, "appkeys", keys);
	}
	if (j->setup_started && st->have_composition) {
		struct json_object *c = json_object_new_object();

		json_object_object_add(c, "cid", json_object_new_int(st->composition.cid));
		json_object_object_add(c, "pid", json_object_new_int(st->composition.pid));
		json_object_object_add(c, "vid", json_object_new_int(st->composition.vid));
		json_object_object_add(c, "elements", json_object_new_int(st->composition.num_elements));
		json_object_object_add(o, "composition", c);
	}
	if (j->is_aligenie)
		json_object_object_add(o, "indications", json_object_new_int((int)j->indications));
}

struct json_object *provjob_json(const struct provjob *j)
{
	struct json_object *o = json_object_new_object();
	char key[33];

	json_object_object_add(o, "uuid", json_object_new_string(j->uuid_hex));
	if (!j->ok) {
		json_object_object_add(o, "error", json_object_new_string(j->msg[0] ? j->msg :
					       "provisioning did not complete"));
		if (j->error)
			json_object_object_add(o, "error_code", json_object_new_int(j->error));
		return o;
	}
	hex_encode(j->result.device_key, 16, key);
	json_object_object_add(o, "unicast", json_object_new_int(j->result.unicast));
	json_object_object_add(o, "elements", json_object_new_int(j->result.elements));
	json_object_object_add(o, "device_key", json_object_new_string(key));
	json_object_object_add(o, "net_key_index", json_object_new_int(j->result.net_key_index));
	json_object_object_add(o, "algorithm",
			       json_object_new_string(prov_algorithm_name(j->result.algorithm)));
	json_object_object_add(o, "auth", json_object_new_string(prov_auth_name(j->result.auth)));
	OPENSSL_cleanse(key, sizeof(key));
	add_config_json(j, o);
	return o;
}

void provjob_free(struct provjob *j)
{
	const struct pb_adv_stats *ls = &j->session.link.stats;

	if (ls->tx_payloads > 0)
		log_debug("%s: PB-ADV link: %lu PDUs sent, %lu of them again (Link Open or a "
			  "transaction unacknowledged)", j->uuid_hex, ls->tx_payloads,
			  ls->tx_repeats);
	if (j->radio)
		radio_remove_timers(j->radio, j);
	if (j->radio && j->alone)
		radio_set_receiver(j->radio, NULL, NULL, NULL);
	if (j->radio && j->tx_open)
		radio_tx_close(j->radio, j->tx_src); /* a last Link Close still goes out */
	j->tx_open = false;
	if (j->local)
		localnode_unregister(j->local, &j->reg);
	j->local = NULL;
	if (j->own_local) {
		localnode_free(j->own_local);
		free(j->own_local);
		j->own_local = NULL;
	}
	prov_session_free(&j->session);
	OPENSSL_cleanse(&j->params, sizeof(j->params));
	OPENSSL_cleanse(&j->result, sizeof(j->result));
	OPENSSL_cleanse(&j->setup, sizeof(j->setup));
	j->radio = NULL;
}
