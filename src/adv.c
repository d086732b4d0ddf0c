#include "adv.h"

#include <errno.h>
#include <string.h>

#include "util.h"

void ad_iter_init(struct ad_iter *it, const uint8_t *data, size_t len)
{
	it->data = data;
	it->len = len;
	it->off = 0;
}

bool ad_iter_next(struct ad_iter *it, uint8_t *type, const uint8_t **payload, size_t *plen)
{
	while (it->off < it->len) {
		size_t l = it->data[it->off];

		if (l == 0) { /* empty structure: skip its length octet */
			it->off++;
			continue;
		}
		if (l > it->len - it->off - 1) { /* runs past the end */
			it->off = it->len;
			return false;
		}
		*type = it->data[it->off + 1];
		*payload = it->data + it->off + 2;
		*plen = l - 1;
		it->off += 1 + l;
		return true;
	}
	return false;
}

void adv_init(struct adv *a, struct hci *h, const struct adv_ops *ops, void *ctx)
{
	memset(a, 0, sizeof(*a));
	a->hci = h;
	a->ops = ops;
	a->ctx = ctx;
	a->interval_ms = ADV_DEFAULT_INTERVAL_MS;
	a->count = ADV_DEFAULT_COUNT;
	a->tx_deadline = NO_DEADLINE;
}

void adv_set_tx(struct adv *a, unsigned interval_ms, unsigned count)
{
	if (interval_ms < 20)
		interval_ms = 20;
	if (interval_ms > 10240)
		interval_ms = 10240;
	if (count < 1)
		count = 1;
	if (interval_ms != a->interval_ms)
		a->params_set = false;
	a->interval_ms = interval_ms;
	a->count = count;
}

bool adv_busy(const struct adv *a)
{
	return a->qlen > 0 || a->state != ADV_TX_IDLE;
}

static void start_next(struct adv *a, uint64_t now);

static void step_done(void *ctx, uint16_t opcode, int status, const uint8_t *rp, size_t rlen)
{
	struct adv *a = ctx;
	uint64_t now = hci_now(a->hci);

	(void)rp;
	(void)rlen;
	if (status != 0 && a->step_status == 0) {
		a->step_status = status;
		a->step_failed_op = opcode;
	}
	if (--a->pending > 0)
		return;
	if (a->state == ADV_TX_STARTING) {
		if (a->step_status != 0) {
			int st = a->step_status;
			uint16_t op = a->step_failed_op;

			/* drop the PDU; make sure advertising is off before the next */
			a->params_set = false;
			a->state = ADV_TX_STOPPING;
			a->pending = 1;
			a->step_status = 0;
			if (hci_send_cmd(a->hci, now, HCI_OP_LE_SET_ADV_ENABLE, "\x00", 1, step_done, a) < 0) {
				a->pending = 0;
				a->state = ADV_TX_IDLE;
			}
			if (a->ops->error)
				a->ops->error(a->ctx, op, st);
			return;
		}
		a->state = ADV_TX_ON;
		/* the controller adds 0-10 ms of advDelay to each interval */
		a->tx_deadline = now + (uint64_t)a->count * a->interval_ms + 5;
		a->stats.tx_pdus++;
	} else if (a->state == ADV_TX_STOPPING) {
		/* Command Disallowed: advertising was already off. Nothing to undo. */
		a->state = ADV_TX_IDLE;
		a->step_status = 0;
		start_next(a, now);
	}
}

static int issue(struct adv *a, uint64_t now, uint16_t op, const uint8_t *p, uint8_t plen)
{
	if (hci_send_cmd(a->hci, now, op, p, plen, step_done, a) < 0)
		return -1;
	a->pending++;
	return 0;
}

static void start_next(struct adv *a, uint64_t now)
{
	struct adv_pdu *pdu;
	uint8_t data[32];
	uint16_t units;
	bool failed = false;

	if (a->state != ADV_TX_IDLE || a->qlen == 0)
		return;
	pdu = &a->queue[a->head];
	a->head = (a->head + 1) % ADV_TX_QUEUE;
	a->qlen--;

	a->state = ADV_TX_STARTING;
	a->step_status = 0;
	a->pending = 0;
	if (!a->params_set) {
		uint8_t p[15];

		units = (uint16_t)(a->interval_ms * 8 / 5); /* 0.625 ms units */
		put_le16(p, units);
		put_le16(p + 2, units);
		p[4] = 0x03; /* ADV_NONCONN_IND */
		p[5] = 0x00; /* own address: public */
		p[6] = 0x00;
		memset(p + 7, 0, 6);
		p[13] = 0x07; /* all three channels */
		p[14] = 0x00;
		failed |= issue(a, now, HCI_OP_LE_SET_ADV_PARAMS, p, sizeof(p)) < 0;
		a->params_set = true;
	}
	memset(data, 0, sizeof(data));
	data[0] = (uint8_t)(pdu->len + 2); /* significant part length */
	data[1] = (uint8_t)(pdu->len + 1);
	data[2] = pdu->ad_type;
	memcpy(data + 3, pdu->data, pdu->len);
	if (!failed && issue(a, now, HCI_OP_LE_SET_ADV_DATA, data, 32) < 0)
		failed = true;
	if (!failed && issue(a, now, HCI_OP_LE_SET_ADV_ENABLE, (const uint8_t *)"\x01", 1) < 0)
		failed = true;
	if (!failed)
		return;
	/* the HCI queue refused a command: this PDU is lost */
	if (a->pending == 0) {
		a->state = ADV_TX_IDLE;
		if (a->ops->error)
			a->ops->error(a->ctx, HCI_OP_LE_SET_ADV_DATA, -ENOSPC);
		return;
	}
	/* commands already queued complete first; step_done then undoes and reports */
	if (a->step_status == 0) {
		a->step_status = -ENOSPC;
		a->step_failed_op = HCI_OP_LE_SET_ADV_DATA;
	}
}

int adv_send(struct adv *a, uint64_t now, uint8_t ad_type, const uint8_t *data, size_t len)
{
	struct adv_pdu *pdu;

	if (len > ADV_MAX_PAYLOAD)
		return -EMSGSIZE;
	if (a->qlen == ADV_TX_QUEUE) {
		a->stats.tx_dropped++;
		return -ENOBUFS;
	}
	pdu = &a->queue[(a->head + a->qlen) % ADV_TX_QUEUE];
	pdu->ad_type = ad_type;
	pdu->len = (uint8_t)len;
	memcpy(pdu->data, data, len);
	a->qlen++;
	start_next(a, now);
	return 0;
}

int adv_scan(struct adv *a, uint64_t now, bool enable, hci_cmd_fn fn, void *fn_ctx)
{
	uint8_t p[2] = { enable ? 0x01 : 0x00, 0x00 /* no duplicate filtering */ };

	a->scanning = enable;
	return hci_send_cmd(a->hci, now, HCI_OP_LE_SET_SCAN_ENABLE, p, 2, fn, fn_ctx);
}

void adv_input(struct adv *a, const struct hci_adv_report *r)
{
	struct ad_iter it;
	uint8_t type;
	const uint8_t *payload;
	size_t plen;

	a->stats.rx_reports++;
	ad_iter_init(&it, r->data, r->data_len);
	while (ad_iter_next(&it, &type, &payload, &plen)) {
		if (type != AD_TYPE_PB_ADV && type != AD_TYPE_MESH_MESSAGE && type != AD_TYPE_MESH_BEACON)
			continue;
		a->stats.rx_mesh++;
		if (a->ops->rx)
			a->ops->rx(a->ctx, type, payload, plen, r);
	}
}

uint64_t adv_next_deadline(const struct adv *a)
{
	return a->state == ADV_TX_ON ? a->tx_deadline : NO_DEADLINE;
}

void adv_tick(struct adv *a, uint64_t now)
{
	if (a->state != ADV_TX_ON || now < a->tx_deadline)
		return;
	a->tx_deadline = NO_DEADLINE;
	a->state = ADV_TX_STOPPING;
	a->pending = 0;
	if (issue(a, now, HCI_OP_LE_SET_ADV_ENABLE, (const uint8_t *)"\x00", 1) < 0)
		a->state = ADV_TX_IDLE;
}
