#include "prov_session.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "util.h"

static void finish(struct prov_session *s)
{
	if (s->finished)
		return;
	s->finished = true;
	if (!s->completed && !s->msg[0]) /* every failure says something */
		snprintf(s->msg, sizeof(s->msg), "provisioning stopped");
	s->ops->finished(s->ctx, s->completed, s->error, s->msg);
}

/* Hand the next queued PDU to the link when it can take one. */
static void pump(struct prov_session *s)
{
	while (s->qcount > 0 && pb_adv_is_open(&s->link)) {
		int err = pb_adv_send(&s->link, s->now, s->queue[s->qhead], s->queue_len[s->qhead]);

		if (err == -EBUSY)
			return;
		s->qhead = (s->qhead + 1) % PROV_SESSION_QUEUE;
		s->qcount--;
		if (err)
			return;
	}
}

/* ---- provisioning protocol events ---- */

static void prov_send(void *ctx, const uint8_t *pdu, size_t len)
{
	struct prov_session *s = ctx;
	unsigned slot;

	if (s->qcount == PROV_SESSION_QUEUE || len > PROV_MAX_PDU) {
		prov_cancel(&s->prov, "internal error: provisioning queue overflow");
		return;
	}
	slot = (s->qhead + s->qcount) % PROV_SESSION_QUEUE;
	memcpy(s->queue[slot], pdu, len);
	s->queue_len[slot] = len;
	s->qcount++;
	pump(s);
}

static void prov_progress(void *ctx, enum prov_step step)
{
	struct prov_session *s = ctx;

	if (s->ops->progress)
		s->ops->progress(s->ctx, step);
}

static void prov_auth_request(void *ctx, enum prov_auth_method m, uint8_t action, uint8_t size,
			      const char *show)
{
	struct prov_session *s = ctx;

	if (s->ops->auth_request)
		s->ops->auth_request(s->ctx, m, action, size, show);
}

static int prov_assign(void *ctx, uint8_t elements, uint16_t *addr)
{
	struct prov_session *s = ctx;

	return s->ops->assign_address ? s->ops->assign_address(s->ctx, elements, addr) : -ENOSPC;
}

static int prov_data_ready(void *ctx, const struct prov_result *r)
{
	struct prov_session *s = ctx;

	return s->ops->data_ready ? s->ops->data_ready(s->ctx, r) : 0;
}

static void prov_complete(void *ctx, const struct prov_result *r)
{
	struct prov_session *s = ctx;

	s->completed = true;
	s->ops->complete(s->ctx, r);
	pb_adv_close(&s->link, s->now, PB_ADV_CLOSE_SUCCESS);
}

static void prov_failed(void *ctx, uint8_t error, bool by_device, bool timeout, const char *msg)
{
	struct prov_session *s = ctx;

	s->error = error;
	if (msg != s->msg)
		snprintf(s->msg, sizeof(s->msg), "%s", msg);
	(void)by_device;
	/* the provisioner cancels by closing the link (Mesh Profile 5.4.4) */
	if (pb_adv_is_open(&s->link) || s->link.state == PB_ADV_OPENING)
		pb_adv_close(&s->link, s->now, timeout ? PB_ADV_CLOSE_TIMEOUT : PB_ADV_CLOSE_FAIL);
	else
		finish(s);
}

static const struct prov_ops session_prov_ops = {
	.send = prov_send,
	.progress = prov_progress,
	.auth_request = prov_auth_request,
	.assign_address = prov_assign,
	.data_ready = prov_data_ready,
	.complete = prov_complete,
	.failed = prov_failed,
};

/* ---- link events ---- */

static int link_send(void *ctx, const uint8_t *payload, size_t len, unsigned flags, uint32_t cookie)
{
	struct prov_session *s = ctx;

	return s->ops->send(s->ctx, payload, len, flags, cookie);
}

static void link_opened(void *ctx)
{
	struct prov_session *s = ctx;

	prov_start(&s->prov, s->now);
}

/* The deliveries acknowledged in this input, for the protocol core. */
static void flush_delivered(struct prov_session *s)
{
	for (; s->acks_pending; s->acks_pending--)
		prov_delivered(&s->prov);
}

static void link_receive(void *ctx, const uint8_t *pdu, size_t len)
{
	struct prov_session *s = ctx;

	/* an acknowledgment in the same input was implied by this PDU: the
	 * device answers what it had before (a Provisioning Failed names that) */
	unsigned implied = s->acks_pending;

	s->acks_pending = 0;
	prov_input(&s->prov, s->now, pdu, len);
	s->acks_pending = implied;
	flush_delivered(s);
	pump(s);
}

static void link_acked(void *ctx)
{
	struct prov_session *s = ctx;

	s->acks_pending++; /* counted once the input is read (link_receive) */
	pump(s);
}

static const char *close_reason_name(uint8_t reason)
{
	switch (reason) {
	case PB_ADV_CLOSE_SUCCESS: return "Success";
	case PB_ADV_CLOSE_TIMEOUT: return "Timeout";
	case PB_ADV_CLOSE_FAIL: return "Fail";
	default: return "unknown reason";
	}
}

static void link_closed(void *ctx, uint8_t reason, bool by_peer)
{
	struct prov_session *s = ctx;

	if (!s->completed && !prov_done(&s->prov)) {
		/* the link ended under a running protocol */
		char msg[sizeof(s->msg)], name[20];
		int answered = prov_answering(&s->prov);

		if (by_peer && answered >= 0)
			snprintf(msg, sizeof(msg), "device closed the link (%s, 0x%02x) after %s",
				 close_reason_name(reason), reason,
				 prov_pdu_name((uint8_t)answered, name));
		else if (by_peer)
			snprintf(msg, sizeof(msg), "device closed the link (%s, 0x%02x)",
				 close_reason_name(reason), reason);
		else if (s->prov.state == PROV_S_IDLE)
			snprintf(msg, sizeof(msg), "link open not acknowledged");
		else
			snprintf(msg, sizeof(msg), "device stopped acknowledging (link timeout)");
		prov_cancel(&s->prov, msg);
	}
	finish(s);
}

static const struct pb_adv_ops session_link_ops = {
	.send = link_send,
	.opened = link_opened,
	.receive = link_receive,
	.acked = link_acked,
	.closed = link_closed,
	.tx_done = true,
};

int prov_session_start(struct prov_session *s, uint64_t now, uint32_t link_id,
		       const uint8_t uuid[16], const struct prov_params *params,
		       const struct prov_session_ops *ops, void *ctx)
{
	memset(s, 0, sizeof(*s));
	s->ops = ops;
	s->ctx = ctx;
	s->now = now;
	prov_init(&s->prov, params, &session_prov_ops, s);
	pb_adv_init(&s->link, PB_ADV_PROVISIONER, &session_link_ops, s);
	return pb_adv_open(&s->link, now, link_id, uuid);
}

void prov_session_input(struct prov_session *s, uint64_t now, const uint8_t *data, size_t len)
{
	s->now = now;
	pb_adv_input(&s->link, now, data, len);
	flush_delivered(s);
	pump(s);
}

void prov_session_tx_done(struct prov_session *s, uint64_t now, uint32_t cookie)
{
	s->now = now;
	if (!s->finished)
		pb_adv_tx_done(&s->link, now, cookie);
}

int prov_session_auth_value(struct prov_session *s, uint64_t now, const char *value)
{
	int err;

	s->now = now;
	err = prov_set_auth_value(&s->prov, now, value);
	pump(s);
	return err;
}

void prov_session_cancel(struct prov_session *s, uint64_t now, const char *msg)
{
	s->now = now;
	/* once the protocol is over (complete or failed) the link is closing anyway */
	if (!s->finished && !prov_done(&s->prov))
		prov_cancel(&s->prov, msg);
}

uint64_t prov_session_next_deadline(const struct prov_session *s)
{
	if (s->finished)
		return NO_DEADLINE;
	return min_deadline(pb_adv_next_deadline(&s->link), prov_next_deadline(&s->prov));
}

void prov_session_tick(struct prov_session *s, uint64_t now)
{
	s->now = now;
	if (s->finished)
		return;
	pb_adv_tick(&s->link, now);
	if (!s->finished)
		prov_tick(&s->prov, now);
	pump(s);
}

void prov_session_free(struct prov_session *s)
{
	prov_free(&s->prov);
	OPENSSL_cleanse(s->queue, sizeof(s->queue));
}
