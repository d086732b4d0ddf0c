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

static void die(struct radio *r, const char *msg)
{
	if (r->dead)
		return;
	r->dead = true;
	ev_io_stop(r->loop, &r->io);
	ev_timer_stop(r->loop, &r->timer);
	if (r->ops->fatal)
		r->ops->fatal(r->ctx, msg);
}

static void hci_out(void *ctx, const uint8_t *pkt, size_t len)
{
	struct radio *r = ctx;
	char msg[200];

	if (r->dead)
		return;
	if (r->snooping)
		btsnoop_write(&r->snoop, false, pkt, len, btsnoop_wall_us());
	if (transport_write(&r->tr, pkt, len) < 0) {
		snprintf(msg, sizeof(msg), "%s: write failed: %s", r->tr.name, strerror(errno));
		die(r, msg);
	}
}

static void hci_adv_report(void *ctx, const struct hci_adv_report *rep)
{
	struct radio *r = ctx;

	adv_input(&r->adv, rep);
}

static const struct hci_ops radio_hci_ops = {
	.send = hci_out,
	.adv_report = hci_adv_report,
};

static void adv_rx(void *ctx, uint8_t type, const uint8_t *data, size_t len,
		   const struct hci_adv_report *rep)
{
	struct radio *r = ctx;

	if (r->ops->rx && !r->dead)
		r->ops->rx(r->ctx, type, data, len, rep);
}

static void adv_error(void *ctx, uint16_t opcode, int status)
{
	struct radio *r = ctx;
	char msg[200];

	if (status == -ETIMEDOUT) {
		snprintf(msg, sizeof(msg), "%s: controller did not answer %s", r->tr.name,
			 hci_opcode_name(opcode));
		die(r, msg);
	}
	/* a refused transmission loses one PDU; the protocols above retransmit */
}

static const struct adv_ops radio_adv_ops = {
	.rx = adv_rx,
	.error = adv_error,
};

void radio_kick(struct radio *r)
{
	uint64_t now, d;

	if (r->dead)
		return;
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

static void on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct radio *r = w->data;
	uint64_t now = radio_now(r);

	(void)loop;
	(void)revents;
	hci_tick(&r->hci, now);
	adv_tick(&r->adv, now);
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

	if (r->snooping)
		btsnoop_write(&r->snoop, true, pkt, len, btsnoop_wall_us());
	if (!r->dead)
		hci_receive(&r->hci, radio_now(r), pkt, len);
}

static void on_readable(struct ev_loop *loop, ev_io *w, int revents)
{
	struct radio *r = w->data;
	char msg[200];

	(void)loop;
	(void)revents;
	if (transport_read(&r->tr, on_packet, r) < 0) {
		if (errno == 0)
			snprintf(msg, sizeof(msg), "%s: connection closed by the controller", r->tr.name);
		else if (errno == EPROTO)
			snprintf(msg, sizeof(msg), "%s: unknown H4 packet type: framing lost", r->tr.name);
		else
			snprintf(msg, sizeof(msg), "%s: read failed: %s", r->tr.name, strerror(errno));
		die(r, msg);
		return;
	}
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
	ev_io_init(&r->io, on_readable, r->tr.fd, EV_READ);
	/* what arrived is read before a timer that came due meanwhile acts (after
	 * a stall both are pending; libev would run the timer first): a deadline
	 * such as "the node is quiet" must not pass over a PDU already here */
	ev_set_priority(&r->io, 1);
	r->io.data = r;
	ev_init(&r->timer, on_timer);
	r->timer.data = r;
	ev_io_start(loop, &r->io);
	return 0;
}

static void scan_on_done(void *ctx, uint16_t opcode, int status, const uint8_t *rp, size_t rlen)
{
	struct radio *r = ctx;
	char msg[200];

	(void)rp;
	(void)rlen;
	if (status != 0) {
		snprintf(msg, sizeof(msg), "%s: %s failed: %s", r->tr.name, hci_opcode_name(opcode),
			 status == -ETIMEDOUT ? "controller did not answer" : "controller refused");
		die(r, msg);
		return;
	}
	r->ready = true;
	if (r->ops->ready)
		r->ops->ready(r->ctx);
}

static void setup_done(void *ctx, int status, uint16_t opcode)
{
	struct radio *r = ctx;
	char msg[200];

	if (status != 0) {
		if (status == -ETIMEDOUT)
			snprintf(msg, sizeof(msg), "%s: controller did not answer %s within %u ms",
				 r->tr.name, hci_opcode_name(opcode), r->hci.timeout_ms);
		else
			snprintf(msg, sizeof(msg), "%s: %s failed with HCI status 0x%02x", r->tr.name,
				 hci_opcode_name(opcode), (unsigned)status);
		die(r, msg);
		return;
	}
	log_info("%s: HCI version %u, manufacturer 0x%04x", r->tr.name, r->setup.hci_version,
		 r->setup.manufacturer);
	adv_scan(&r->adv, hci_now(&r->hci), true, scan_on_done, r);
}

void radio_start(struct radio *r)
{
	hci_setup_start(&r->setup, &r->hci, radio_now(r), transport_exclusive(&r->tr), setup_done, r);
	radio_kick(r);
}

int radio_send(struct radio *r, uint8_t ad_type, const uint8_t *data, size_t len)
{
	int err;

	if (r->dead)
		return -EIO;
	err = adv_send(&r->adv, radio_now(r), ad_type, data, len);
	radio_kick(r);
	return err;
}

static void scan_off_done(void *ctx, uint16_t opcode, int status, const uint8_t *rp, size_t rlen)
{
	struct radio *r = ctx;

	(void)opcode;
	(void)status;
	(void)rp;
	(void)rlen;
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
		hci_forget(&r->hci, r);
		if (r->ops->stopped)
			r->ops->stopped(r->ctx);
		return;
	}
	if (r->scan_off_sent || adv_busy(&r->adv))
		return;
	r->scan_off_sent = true;
	if (adv_scan(&r->adv, radio_now(r), false, scan_off_done, r) < 0)
		scan_off_done(r, HCI_OP_LE_SET_SCAN_ENABLE, -ENOSPC, NULL, 0);
}

void radio_stop(struct radio *r)
{
	if (r->dead) {
		if (r->ops->stopped)
			r->ops->stopped(r->ctx);
		return;
	}
	r->stopping = true;
	r->scan_off_sent = false;
	r->stop_deadline = radio_now(r) + RADIO_STOP_TIMEOUT_MS;
	stop_progress(r);
	radio_kick(r);
}

void radio_close(struct radio *r)
{
	ev_io_stop(r->loop, &r->io);
	ev_timer_stop(r->loop, &r->timer);
	transport_close(&r->tr);
	r->dead = true;
	if (r->snooping)
		btsnoop_close(&r->snoop);
	r->snooping = false;
}

int radio_snoop(struct radio *r, const char *path, char *err, size_t errlen)
{
	struct btsnoop b;

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
