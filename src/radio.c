#include "radio.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "util.h"

uint64_t radio_now(const struct radio *r)
{
	(void)r;
	return mono_ms();
}

static void raw_write(struct radio *r, const uint8_t *pkt, size_t len)
{
	if (r->snooping)
		btsnoop_write(&r->snoop, false, pkt, len, btsnoop_wall_us());
	if (transport_write(&r->tr, pkt, len) < 0)
		r->write_failed = true;
}

/* The last resort, when there is no waiting for answers (a fatal error, or
 * the program leaves without radio_stop finishing): write the commands that
 * undo what we did to the controller (our advertising, our sets, our
 * scanning) and forget them. On a raw socket the kernel queues them and
 * sends them as the controller grants credits. */
static void undo_now(struct radio *r)
{
	struct hci_cmd cmds[ADV_CLEANUP_MAX];
	unsigned n = adv_cleanup(&r->adv, cmds, ADV_CLEANUP_MAX);
	uint8_t pkt[4 + 255];

	for (unsigned i = 0; i < n && !r->write_failed; i++) {
		log_debug("%s: %s on the way out", r->tr.name, hci_opcode_name(cmds[i].opcode));
		raw_write(r, pkt, hci_build_cmd(pkt, cmds[i].opcode, cmds[i].params, cmds[i].plen));
	}
	adv_released(&r->adv);
}

static void on_fatal_idle(struct ev_loop *loop, ev_idle *w, int revents)
{
	struct radio *r = w->data;

	(void)revents;
	ev_idle_stop(loop, w);
	if (r->ops->fatal)
		r->ops->fatal(r->ctx, r->fatal_msg);
}

/* Fatal: undo what we can, stop, and report from the loop (a callback that
 * stops the loop must not run before the loop does: ev_run would forget it). */
static void die(struct radio *r, const char *msg)
{
	if (r->dead)
		return;
	undo_now(r);
	r->dead = true;
	ev_io_stop(r->loop, &r->io);
	ev_timer_stop(r->loop, &r->timer);
	snprintf(r->fatal_msg, sizeof(r->fatal_msg), "%s", msg);
	ev_idle_start(r->loop, &r->fatal_idle);
}

/* hciN:mesh runs the management core in place of the HCI and ADV cores. */
static bool on_mgmt(const struct radio *r)
{
	return r->tr.kind == TRANSPORT_MGMT;
}

static void tr_out(void *ctx, const uint8_t *pkt, size_t len)
{
	struct radio *r = ctx;
	char msg[RADIO_MSG_MAX];

	if (r->dead)
		return;
	if (transport_write(&r->tr, pkt, len) < 0) {
		r->write_failed = true;
		transport_error_msg(&r->tr, "write", errno, msg, sizeof(msg));
		die(r, msg);
	}
}

static void hci_out(void *ctx, const uint8_t *pkt, size_t len)
{
	struct radio *r = ctx;

	if (r->snooping && !r->dead)
		btsnoop_write(&r->snoop, false, pkt, len, btsnoop_wall_us());
	tr_out(ctx, pkt, len);
}

/* One line for a command the controller refused. On a raw socket Command
 * Disallowed means the kernel scans or advertises itself (or drives the
 * controller with the other kind of command, legacy or extended): name it
 * and say what to do instead of a bare status code. */
static void refused_msg(const struct radio *r, uint16_t op, int status, char *msg, size_t len)
{
	const char *name = hci_opcode_name(op);
	bool scan = op == HCI_OP_LE_SET_SCAN_PARAMS || op == HCI_OP_LE_SET_SCAN_ENABLE ||
		    op == HCI_OP_LE_SET_EXT_SCAN_PARAMS || op == HCI_OP_LE_SET_EXT_SCAN_ENABLE;
	int i = (int)r->tr.dev;

	if (status == -ETIMEDOUT)
		snprintf(msg, len, "%s: controller did not answer %s within %u ms", r->tr.name, name,
			 r->hci.timeout_ms);
	else if (status == HCI_ERR_COMMAND_DISALLOWED && r->tr.kind == TRANSPORT_HCI_RAW && scan)
		snprintf(msg, len, "%s: %s: Command Disallowed: the kernel is scanning on hci%d "
			 "(bluetoothd's discovery, or its background scan); stop the discovery "
			 "(`bluetoothctl scan off`, the desktop's Bluetooth panel, or `btmgmt "
			 "--index %d stop-find` with the find's -l/-b) or use hci%d:mesh",
			 r->tr.name, name, i, i, i);
	else if (status == HCI_ERR_COMMAND_DISALLOWED && r->tr.kind == TRANSPORT_HCI_RAW)
		snprintf(msg, len, "%s: %s: Command Disallowed: the kernel is advertising on hci%d "
			 "(for bluetoothd) with the advertising commands we need; use hci%d:mesh, "
			 "or stop that advertising (`btmgmt --index %d advertising off`, "
			 "`btmgmt --index %d clr-adv`)", r->tr.name, name, i, i, i, i);
	else if (status == HCI_ERR_MEMORY_EXCEEDED && op == HCI_OP_LE_SET_EXT_ADV_PARAMS)
		snprintf(msg, len, "%s: %s: no free advertising set (another host uses them all)%s",
			 r->tr.name, name, r->tr.kind == TRANSPORT_HCI_RAW ? "; use the :mesh transport" : "");
	else
		snprintf(msg, len, "%s: %s failed with HCI status 0x%02x", r->tr.name, name,
			 (unsigned)status);
}

static void hci_adv_report(void *ctx, const struct hci_adv_report *rep)
{
	struct radio *r = ctx;

	adv_input(&r->adv, rep);
}

static void hci_set_terminated(void *ctx, uint8_t status, uint8_t handle, uint8_t events)
{
	struct radio *r = ctx;

	adv_set_terminated(&r->adv, status, handle, events);
}

static bool mesh_instead(struct radio *r, char *why, size_t len);

/* The kernel's own commands (a raw socket shows them): it may take over the
 * scanning (bluetoothd's discovery: it turns our scan off, scans with
 * duplicate filtering, which would drop a device's repeated PB-ADV PDUs, and
 * turns scanning off at the end) or clear our advertising set. Once running,
 * continue on hciN:mesh where it works (after this read, as kernel_scans
 * does), else say what is lost. */
static void hci_foreign_cmd(void *ctx, uint16_t opcode, const uint8_t *p, size_t plen)
{
	struct radio *r = ctx;
	char why[RADIO_MSG_MAX - 100];

	if (!adv_foreign_cmd(&r->adv, opcode, p, plen) || r->scan_taken || r->switching)
		return;
	if (r->ready && !r->stopping && r->tr.kind == TRANSPORT_HCI_RAW && mesh_instead(r, why, sizeof(why))) {
		log_warn("%s: the kernel %s the scanning (bluetoothd's discovery?): continuing on "
			 "%s, the kernel's mesh interface", r->tr.name,
			 plen >= 1 && p[0] ? "took over" : "turned off", r->mesh_tr.name);
		return;
	}
	r->scan_taken = true;
	log_warn("%s: the kernel %s the scanning (bluetoothd's discovery?): meshprov now "
		 "hears what the kernel's scan reports, and leaves that scan alone; for a "
		 "scan of its own use %s:mesh", r->tr.name,
		 plen >= 1 && p[0] ? "took over" : "turned off", r->tr.name);
}

static const struct hci_ops radio_hci_ops = {
	.send = hci_out,
	.adv_report = hci_adv_report,
	.adv_set_terminated = hci_set_terminated,
	.foreign_cmd = hci_foreign_cmd,
};

static void adv_rx(void *ctx, uint8_t type, const uint8_t *data, size_t len,
		   const struct hci_adv_report *rep)
{
	struct radio *r = ctx;

	/* nothing before the controller is ready: on a shared raw socket the
	 * kernel's scan reports arrive from the start, and a link opened then
	 * would be cut off by a switch to hciN:mesh (its transmit queue is the
	 * raw socket's) */
	if (r->dead || !r->ready)
		return;
	if (r->ops->rx)
		r->ops->rx(r->ctx, type, data, len, rep);
	if (r->recv.rx)
		r->recv.rx(r->recv.ctx, type, data, len, rep);
}

/* The controller is set up and scanning: the owner, then the receiver
 * (once: not again when the radio continued on hciN:mesh mid-run). */
static void tell_ready(struct radio *r)
{
	if (r->ready)
		return;
	r->ready = true;
	if (r->ops->ready)
		r->ops->ready(r->ctx);
	if (r->recv.ready)
		r->recv.ready(r->recv.ctx);
}

void radio_set_receiver(struct radio *r, void (*ready)(void *ctx),
			void (*rx)(void *ctx, uint8_t ad_type, const uint8_t *data, size_t len,
				   const struct hci_adv_report *rep),
			void *ctx)
{
	r->recv.ready = rx ? ready : NULL;
	r->recv.rx = rx;
	r->recv.ctx = rx ? ctx : NULL;
}

static void adv_error(void *ctx, uint16_t opcode, int status)
{
	struct radio *r = ctx;
	char msg[RADIO_MSG_MAX];

	/* another host's advertising will refuse every PDU: say so at once */
	if (status == -ETIMEDOUT || status == HCI_ERR_MEMORY_EXCEEDED ||
	    (status == HCI_ERR_COMMAND_DISALLOWED && r->tr.kind == TRANSPORT_HCI_RAW)) {
		refused_msg(r, opcode, status, msg, sizeof(msg));
		die(r, msg);
		return;
	}
	/* a refused transmission loses one PDU; the protocols above retransmit */
	log_debug("%s: %s failed (%d): one PDU lost", r->tr.name, hci_opcode_name(opcode), status);
}

static const struct adv_ops radio_adv_ops = {
	.rx = adv_rx,
	.error = adv_error,
};

static void mgmt_ready(void *ctx)
{
	struct radio *r = ctx;

	tell_ready(r);
}

static void mgmt_fatal(void *ctx, const char *msg)
{
	die(ctx, msg);
}

static void mgmt_stopped(void *ctx)
{
	struct radio *r = ctx;

	if (!r->stopping) /* radio_stop's deadline came first */
		return;
	r->stopping = false;
	r->ready = false;
	if (r->ops->stopped)
		r->ops->stopped(r->ctx);
}

static const struct mgmt_ops radio_mgmt_ops = {
	.send = tr_out,
	.ready = mgmt_ready,
	.rx = adv_rx,
	.fatal = mgmt_fatal,
	.stopped = mgmt_stopped,
};

void radio_kick(struct radio *r)
{
	uint64_t now, d;

	if (r->dead)
		return;
	if (on_mgmt(r))
		d = mgmt_next_deadline(&r->mgmt);
	else
		d = min_deadline(hci_next_deadline(&r->hci), adv_next_deadline(&r->adv));
	if (r->stopping)
		d = min_deadline(d, r->stop_deadline);
	for (unsigned i = 0; i < r->ntimers; i++)
		d = min_deadline(d, r->timers[i].next(r->timers[i].ctx));
	ev_timer_stop(r->loop, &r->timer);
	if (d == NO_DEADLINE)
		return;
	now = radio_now(r);
	ev_timer_set(&r->timer, d > now ? (double)(d - now) / 1000.0 : 0.0, 0.0);
	ev_timer_start(r->loop, &r->timer);
}

static void stop_progress(struct radio *r);
static void switch_to_mesh(struct radio *r);

static void on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct radio *r = w->data;
	uint64_t now = radio_now(r);

	(void)loop;
	(void)revents;
	if (on_mgmt(r)) {
		mgmt_tick(&r->mgmt, now);
	} else {
		hci_tick(&r->hci, now);
		adv_tick(&r->adv, now);
	}
	for (unsigned i = 0; i < r->ntimers && !r->dead; i++)
		if (r->timers[i].next(r->timers[i].ctx) <= now)
			r->timers[i].tick(r->timers[i].ctx, now);
	if (r->stopping)
		stop_progress(r);
	radio_kick(r);
}

static void on_packet(void *ctx, const uint8_t *pkt, size_t len)
{
	struct radio *r = ctx;

	if (on_mgmt(r)) {
		if (!r->dead)
			mgmt_receive(&r->mgmt, radio_now(r), pkt, len);
		return;
	}
	if (r->snooping)
		btsnoop_write(&r->snoop, true, pkt, len, btsnoop_wall_us());
	if (!r->dead)
		hci_receive(&r->hci, radio_now(r), pkt, len);
}

static void on_readable(struct ev_loop *loop, ev_io *w, int revents)
{
	struct radio *r = w->data;
	char msg[RADIO_MSG_MAX];

	(void)loop;
	(void)revents;
	if (transport_read(&r->tr, on_packet, r) < 0) {
		if (errno == 0)
			snprintf(msg, sizeof(msg), "%s: connection closed by the controller", r->tr.name);
		else if (errno == EPROTO)
			snprintf(msg, sizeof(msg), "%s: unknown H4 packet type: framing lost", r->tr.name);
		else
			transport_error_msg(&r->tr, "read", errno, msg, sizeof(msg));
		r->write_failed = true; /* nothing more to write on a broken connection */
		die(r, msg);
		return;
	}
	if (r->switching && !r->dead)
		switch_to_mesh(r);
	if (r->stopping)
		stop_progress(r);
	radio_kick(r);
}

int radio_open(struct radio *r, struct ev_loop *loop, const char *spec,
	       const struct radio_ops *ops, void *ctx, char *err, size_t errlen)
{
	memset(r, 0, sizeof(*r));
	if (transport_open(&r->tr, spec, err, errlen) < 0)
		return -1;
	r->loop = loop;
	r->ops = ops;
	r->ctx = ctx;
	hci_init(&r->hci, &radio_hci_ops, r);
	adv_init(&r->adv, &r->hci, &radio_adv_ops, r);
	if (on_mgmt(r))
		mgmt_init(&r->mgmt, (uint16_t)r->tr.dev, &radio_mgmt_ops, r);
	ev_io_init(&r->io, on_readable, r->tr.fd, EV_READ);
	/* what arrived is read before a timer that came due meanwhile acts (after
	 * a stall both are pending; libev would run the timer first): a deadline
	 * such as "the node is quiet" must not pass over a PDU already here */
	ev_set_priority(&r->io, 1);
	r->io.data = r;
	ev_init(&r->timer, on_timer);
	r->timer.data = r;
	ev_idle_init(&r->fatal_idle, on_fatal_idle);
	r->fatal_idle.data = r;
	ev_io_start(loop, &r->io);
	return 0;
}

/* The kernel scans (bluetoothd's discovery, or its background scan) and
 * refused our scan on the raw socket: where its mesh interface works, open
 * it, for on_readable to switch to once this read is over (the H4 parser
 * is in the middle of the raw socket's bytes). The kernel then delivers mesh
 * packets beside its own scanning. Hearing through the kernel's scan on the
 * raw socket instead would lose packets: a discovery filters duplicates, so
 * a device's repeated PB-ADV PDUs would be dropped. False with the reason
 * in why when hciN:mesh cannot be used. */
static bool mesh_instead(struct radio *r, char *why, size_t len)
{
	struct mgmt_probe p;
	const char *no;
	char spec[32];

	if (r->snooping) {
		snprintf(why, len, "not with --btsnoop");
		return false;
	}
	transport_probe_mesh(r->tr.dev, &p);
	if (!mgmt_probe_choose(&p, &no)) {
		snprintf(why, len, "%s", no);
		return false;
	}
	snprintf(spec, sizeof(spec), "hci%u:mesh", r->tr.dev);
	if (transport_open(&r->mesh_tr, spec, why, len) < 0)
		return false;
	r->switching = true;
	return true;
}

/* Continue on the kernel's mesh interface: the raw socket's part is over
 * (our scan never started, or the kernel took it; undo_now writes what else
 * we set). Mid-run the management core takes over the transmit scheduler:
 * the senders' sources and what they queued go on, and the PDUs our sets
 * carried count as sent (the protocols above retransmit what was lost). */
static void switch_to_mesh(struct radio *r)
{
	struct txsched_item inflight[ADV_MAX_INFLIGHT];
	unsigned n;

	r->switching = false;
	mgmt_init(&r->mgmt, (uint16_t)r->mesh_tr.dev, &radio_mgmt_ops, r);
	n = adv_hand_over(&r->adv, &r->mgmt.sched, inflight, ADV_MAX_INFLIGHT);
	r->mgmt.default_src = r->adv.default_src;
	undo_now(r);
	ev_io_stop(r->loop, &r->io);
	transport_close(&r->tr);
	r->tr = r->mesh_tr;
	ev_io_set(&r->io, r->tr.fd, EV_READ);
	ev_io_start(r->loop, &r->io);
	mgmt_start(&r->mgmt, radio_now(r));
	for (unsigned i = 0; i < n; i++)
		txsched_done(&r->mgmt.sched, &inflight[i]);
}

/* A scan command of ours refused with Command Disallowed on the raw socket:
 * the kernel scans. Continue on hciN:mesh where it works, else fail saying
 * why. False for any other answer. */
static bool kernel_scans(struct radio *r, uint16_t opcode, int status)
{
	char msg[RADIO_MSG_MAX], why[RADIO_MSG_MAX - 100];
	size_t n;

	if (status != HCI_ERR_COMMAND_DISALLOWED || r->tr.kind != TRANSPORT_HCI_RAW ||
	    (opcode != HCI_OP_LE_SET_SCAN_PARAMS && opcode != HCI_OP_LE_SET_EXT_SCAN_PARAMS &&
	     opcode != HCI_OP_LE_SET_SCAN_ENABLE && opcode != HCI_OP_LE_SET_EXT_SCAN_ENABLE))
		return false;
	if (r->switching) /* the kernel's own command said so first */
		return true;
	if (mesh_instead(r, why, sizeof(why))) {
		log_warn("%s: the kernel is scanning (bluetoothd's discovery, or its background "
			 "scan) and refused %s: using %s, the kernel's mesh interface, for this run",
			 r->tr.name, hci_opcode_name(opcode), r->mesh_tr.name);
		return true;
	}
	refused_msg(r, opcode, status, msg, sizeof(msg));
	n = strlen(msg);
	snprintf(msg + n, sizeof(msg) - n, " (hci%u:mesh here: %s)", r->tr.dev, why);
	die(r, msg);
	return true;
}

/* The set-up or the scan start failed: the kernel's scan (see kernel_scans)
 * or a refusal that ends the run. False when status is 0. */
static bool start_failed(struct radio *r, uint16_t opcode, int status)
{
	char msg[RADIO_MSG_MAX];

	if (kernel_scans(r, opcode, status))
		return true;
	if (status == 0)
		return false;
	refused_msg(r, opcode, status, msg, sizeof(msg));
	die(r, msg);
	return true;
}

static void scan_on_done(void *ctx, uint16_t opcode, int status, const uint8_t *rp, size_t rlen)
{
	struct radio *r = ctx;

	(void)rp;
	(void)rlen;
	if (!start_failed(r, opcode, status))
		tell_ready(r);
}

static void setup_done(void *ctx, int status, uint16_t opcode)
{
	struct radio *r = ctx;

	if (start_failed(r, opcode, status))
		return;
	log_info("%s: HCI version %u, manufacturer 0x%04x, %s scanning, %s advertising",
		 r->tr.name, r->setup.hci_version, r->setup.manufacturer,
		 r->setup.ext_scan ? "extended" : "legacy",
		 r->setup.ext_adv ? "extended" : "legacy");
	adv_use_ext(&r->adv, r->setup.ext_scan, r->setup.ext_adv ? r->setup.num_adv_sets : 0);
	if (r->adv.ext_adv && !transport_exclusive(&r->tr))
		adv_limit_sets(&r->adv, r->setup.num_adv_sets / 2);
	if (adv_scan(&r->adv, hci_now(&r->hci), true, scan_on_done, r) < 0)
		scan_on_done(r, HCI_OP_LE_SET_SCAN_ENABLE, -ENOSPC, NULL, 0);
}

void radio_start(struct radio *r)
{
	if (on_mgmt(r))
		mgmt_start(&r->mgmt, radio_now(r));
	else
		hci_setup_start(&r->setup, &r->hci, radio_now(r), transport_exclusive(&r->tr),
				setup_done, r);
	radio_kick(r);
}

int radio_send(struct radio *r, uint8_t ad_type, const uint8_t *data, size_t len)
{
	int err;

	if (r->dead)
		return -EIO;
	if (on_mgmt(r)) {
		/* adv_set_tx holds the transmit settings for both paths */
		mgmt_set_tx(&r->mgmt, r->adv.interval_ms, r->adv.count);
		err = mgmt_send(&r->mgmt, radio_now(r), ad_type, data, len);
	} else {
		err = adv_send(&r->adv, radio_now(r), ad_type, data, len);
	}
	radio_kick(r);
	return err;
}

static struct txsched *radio_sched(struct radio *r)
{
	return on_mgmt(r) ? &r->mgmt.sched : &r->adv.sched;
}

int radio_tx_open(struct radio *r, unsigned limit, unsigned weight,
		  const struct txsched_src_ops *ops, void *ctx)
{
	return txsched_open(radio_sched(r), limit, weight, ops, ctx);
}

void radio_tx_close(struct radio *r, int src)
{
	if (src >= 0)
		txsched_close(radio_sched(r), (unsigned)src);
}

int radio_send_src(struct radio *r, int src, uint8_t ad_type, const uint8_t *data, size_t len,
		   unsigned flags, uint32_t cookie)
{
	int err;

	if (r->dead)
		return -EIO;
	if (src < 0)
		return -EBADF;
	if (on_mgmt(r)) {
		mgmt_set_tx(&r->mgmt, r->adv.interval_ms, r->adv.count);
		err = mgmt_send_src(&r->mgmt, radio_now(r), (unsigned)src, ad_type, data, len, flags,
				    cookie);
	} else {
		err = adv_send_src(&r->adv, radio_now(r), (unsigned)src, ad_type, data, len, flags,
				   cookie);
	}
	radio_kick(r);
	return err;
}

unsigned radio_tx_backlog_ms(struct radio *r)
{
	if (r->dead)
		return 0;
	if (on_mgmt(r))
		return mgmt_backlog_ms(&r->mgmt);
	return adv_backlog_ms(&r->adv);
}

static void released(void *ctx)
{
	struct radio *r = ctx;

	r->stopping = false;
	r->ready = false;
	if (r->ops->stopped)
		r->ops->stopped(r->ctx);
}

static void stop_progress(struct radio *r)
{
	if (r->dead || !r->stopping)
		return;
	if (radio_now(r) >= r->stop_deadline) {
		r->stopping = false;
		if (!on_mgmt(r)) {
			hci_forget(&r->hci, r);
			/* no late "released" after this "stopped"; what the release
			 * would have undone is written again by radio_close */
			hci_forget(&r->hci, &r->adv);
		}
		if (r->ops->stopped)
			r->ops->stopped(r->ctx);
		return;
	}
	if (on_mgmt(r) || r->release_sent || adv_busy(&r->adv))
		return;
	/* turn off our scanning, remove our advertising sets */
	r->release_sent = true;
	adv_release(&r->adv, radio_now(r), released, r);
}

void radio_stop(struct radio *r)
{
	if (r->dead) {
		if (r->ops->stopped)
			r->ops->stopped(r->ctx);
		return;
	}
	r->stopping = true;
	r->release_sent = false;
	r->stop_deadline = radio_now(r) + RADIO_STOP_TIMEOUT_MS;
	if (on_mgmt(r))
		mgmt_stop(&r->mgmt, radio_now(r));
	else
		stop_progress(r);
	radio_kick(r);
}

void radio_close(struct radio *r)
{
	const struct adv_stats *st = &r->adv.stats;

	if (st->tx_pdus > 0)
		log_debug("radio: %lu advertisements, %lu with two mesh PDUs; %lu started with "
			  "a PDU queued that fit beside the first", st->tx_pdus, st->tx_packed,
			  st->tx_could_pack);
	if (!r->dead)
		undo_now(r); /* left without radio_stop finishing */
	ev_io_stop(r->loop, &r->io);
	ev_timer_stop(r->loop, &r->timer);
	ev_idle_stop(r->loop, &r->fatal_idle);
	transport_close(&r->tr);
	if (r->switching)
		transport_close(&r->mesh_tr);
	r->switching = false;
	r->dead = true;
	if (r->snooping)
		btsnoop_close(&r->snoop);
	r->snooping = false;
}

int radio_snoop(struct radio *r, const char *path, char *err, size_t errlen)
{
	struct btsnoop b;

	if (on_mgmt(r)) {
		snprintf(err, errlen, "--btsnoop: %s carries management frames, not HCI packets: "
			 "not supported (btmon shows this traffic)", r->tr.name);
		return -1;
	}
	if (btsnoop_open(&b, path, err, errlen) < 0)
		return -1;
	if (r->snooping)
		btsnoop_close(&r->snoop);
	r->snoop = b;
	r->snooping = true;
	return 0;
}

int radio_add_timers(struct radio *r, uint64_t (*next)(void *), void (*tick)(void *, uint64_t),
		     void *ctx)
{
	if (r->ntimers == RADIO_MAX_TIMERS)
		return -ENOSPC;
	r->timers[r->ntimers++] = (struct radio_timers){ next, tick, ctx };
	radio_kick(r);
	return 0;
}

void radio_remove_timers(struct radio *r, void *ctx)
{
	unsigned i = 0;

	while (i < r->ntimers) {
		if (r->timers[i].ctx == ctx)
			r->timers[i] = r->timers[--r->ntimers]; /* look at the moved one next */
		else
			i++;
	}
}
