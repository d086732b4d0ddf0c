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
	a->nsets = 1;
	txsched_init(&a->sched);
	a->default_src = txsched_open(&a->sched, ADV_TX_QUEUE, 1, NULL, NULL);
	for (unsigned i = 0; i < ADV_MAX_SETS; i++) {
		a->sets[i].adv = a;
		a->sets[i].tx_deadline = NO_DEADLINE;
	}
}

void adv_set_pack(struct adv *a, bool pack)
{
	a->pack = pack;
}

void adv_set_tx(struct adv *a, unsigned interval_ms, unsigned count)
{
	if (interval_ms < 20)
		interval_ms = 20;
	if (interval_ms > 10240)
		interval_ms = 10240;
	if (count < 1)
		count = 1;
	if (count > 255)
		count = 255; /* Max_Extended_Advertising_Events is one octet */
	if (interval_ms != a->interval_ms)
		for (unsigned i = 0; i < ADV_MAX_SETS; i++)
			a->sets[i].params_set = false;
	a->interval_ms = interval_ms;
	a->count = count;
}

void adv_use_ext(struct adv *a, bool ext_scan, unsigned adv_sets)
{
	a->ext_scan = ext_scan;
	a->ext_adv = adv_sets > 0;
	a->nsets = a->ext_adv ? (adv_sets < ADV_MAX_SETS ? adv_sets : ADV_MAX_SETS) : 1;
	/* from the top of the range down: the kernel counts up from 0 */
	for (unsigned i = 0; i < a->nsets; i++)
		a->sets[i].handle = a->ext_adv ? (uint8_t)(adv_sets - 1 - i) : 0;
}

void adv_limit_sets(struct adv *a, unsigned max)
{
	if (max < 1)
		max = 1;
	if (a->nsets > max)
		a->nsets = max; /* the highest handles stay ours */
}

bool adv_busy(const struct adv *a)
{
	if (txsched_queued(&a->sched) > 0)
		return true;
	for (unsigned i = 0; i < a->nsets; i++)
		if (a->sets[i].state != ADV_TX_IDLE)
			return true;
	return false;
}

/* ---- command parameters ---- */

static uint8_t ext_enable_params(uint8_t *p, bool enable, uint8_t handle, unsigned events)
{
	p[0] = enable ? 0x01 : 0x00;
	p[1] = 1;                     /* Num_Sets */
	p[2] = handle;
	put_le16(p + 3, 0);           /* Duration: none */
	p[5] = enable ? (uint8_t)events : 0; /* Max_Extended_Advertising_Events */
	return 6;
}

static uint8_t disable_params(const struct adv *a, const struct adv_set *set, uint8_t *p,
			      uint16_t *op)
{
	if (a->ext_adv) {
		*op = HCI_OP_LE_SET_EXT_ADV_ENABLE;
		return ext_enable_params(p, false, set->handle, 0);
	}
	*op = HCI_OP_LE_SET_ADV_ENABLE;
	p[0] = 0x00;
	return 1;
}

/* ---- transmit ---- */

static void start_next(struct adv *a, uint64_t now);
static bool start_set(struct adv *a, struct adv_set *set, uint64_t now);
static int issue(struct adv_set *set, uint64_t now, uint16_t op, const uint8_t *p, uint8_t plen);

/* The set is free: fill it (and any other idle one) from the scheduler,
 * then hand the PDU it carried back (its tx-done: the sender may send
 * again from there). */
static void set_idle(struct adv_set *set, uint64_t now)
{
	struct adv *a = set->adv;
	struct txsched_item done = set->cur, done2 = set->cur2;
	bool had = set->has_cur, had2 = set->has_cur2;

	set->state = ADV_TX_IDLE;
	set->enabled = false;
	set->terminated = false;
	set->step_status = 0;
	set->tx_deadline = NO_DEADLINE;
	set->has_cur = false;
	set->has_cur2 = false;
	start_next(a, now);
	if (had)
		txsched_done(&a->sched, &done);
	if (had2)
		txsched_done(&a->sched, &done2);
}

/* Turn our advertising off (it is on, or may be) and go idle when answered. */
static void stop_set(struct adv_set *set, uint64_t now)
{
	uint8_t p[6];
	uint16_t op;
	uint8_t plen = disable_params(set->adv, set, p, &op);

	set->tx_deadline = NO_DEADLINE;
	set->state = ADV_TX_STOPPING;
	set->pending = 0;
	set->step_status = 0;
	if (issue(set, now, op, p, plen) < 0)
		set_idle(set, now);
}

static void step_done(void *ctx, uint16_t opcode, int status, const uint8_t *rp, size_t rlen)
{
	struct adv_set *set = ctx;
	struct adv *a = set->adv;
	uint64_t now = hci_now(a->hci);

	(void)rp;
	(void)rlen;
	if (opcode == HCI_OP_LE_SET_EXT_ADV_PARAMS && status == 0)
		set->created = true;
	if ((opcode == HCI_OP_LE_SET_ADV_ENABLE || opcode == HCI_OP_LE_SET_EXT_ADV_ENABLE) &&
	    set->state == ADV_TX_STARTING) {
		set->enable_sent = false;
		set->enabled = status == 0;
	}
	if (status != 0 && set->step_status == 0) {
		set->step_status = status;
		set->step_failed_op = opcode;
	}
	if (--set->pending > 0)
		return;
	if (set->state == ADV_TX_STARTING) {
		if (set->step_status != 0) {
			int st = set->step_status;
			uint16_t op = set->step_failed_op;

			/* drop the PDU; turn off only what we turned on */
			set->params_set = false;
			if (set->enabled && !set->terminated)
				stop_set(set, now);
			else
				set_idle(set, now);
			if (a->ops->error)
				a->ops->error(a->ctx, op, st);
			return;
		}
		a->stats.tx_pdus++;
		if (set->terminated) { /* the controller was quicker than its answer */
			set_idle(set, now);
			return;
		}
		set->state = ADV_TX_ON;
		/* the controller adds 0-10 ms of advDelay to each interval; an
		 * extended set ends itself, the timer only backs that up */
		set->tx_deadline = a->ext_adv ?
			now + (uint64_t)a->count * (a->interval_ms + 10) + ADV_TERMINATE_GRACE_MS :
			now + (uint64_t)a->count * a->interval_ms + 5;
	} else if (set->state == ADV_TX_STOPPING) {
		/* Command Disallowed: advertising was already off. Nothing to undo. */
		set_idle(set, now);
	}
}

static int issue(struct adv_set *set, uint64_t now, uint16_t op, const uint8_t *p, uint8_t plen)
{
	if (hci_send_cmd(set->adv->hci, now, op, p, plen, step_done, set) < 0)
		return -1;
	set->pending++;
	return 0;
}

/* The advertising data of a set: its PDU, and the packed one after it, each
 * an AD structure (length, type, payload). Returns its length (<= 31). */
static uint8_t set_ad(const struct adv_set *set, uint8_t *out)
{
	uint8_t n = 0;

	for (unsigned i = 0; i < 2; i++) {
		const struct txsched_item *pdu = i == 0 ? &set->cur : &set->cur2;

		if (i == 1 && !set->has_cur2)
			break;
		out[n] = (uint8_t)(pdu->len + 1);
		out[n + 1] = pdu->ad_type;
		memcpy(out + n + 2, pdu->data, pdu->len);
		n = (uint8_t)(n + 2 + pdu->len);
	}
	return n;
}

static bool start_legacy(struct adv *a, struct adv_set *set, uint64_t now)
{
	uint8_t data[32];
	uint16_t units = (uint16_t)(a->interval_ms * 8 / 5); /* 0.625 ms units */

	if (!set->params_set) {
		uint8_t p[15];

		put_le16(p, units);
		put_le16(p + 2, units);
		p[4] = 0x03; /* ADV_NONCONN_IND */
		p[5] = 0x00; /* own address: public */
		p[6] = 0x00;
		memset(p + 7, 0, 6);
		p[13] = 0x07; /* all three channels */
		p[14] = 0x00;
		if (issue(set, now, HCI_OP_LE_SET_ADV_PARAMS, p, sizeof(p)) < 0)
			return false;
		set->params_set = true;
	}
	memset(data, 0, sizeof(data));
	data[0] = set_ad(set, data + 1); /* significant part length */
	if (issue(set, now, HCI_OP_LE_SET_ADV_DATA, data, 32) < 0)
		return false;
	if (issue(set, now, HCI_OP_LE_SET_ADV_ENABLE, (const uint8_t *)"\x01", 1) < 0)
		return false;
	set->enable_sent = true;
	return true;
}

static bool start_ext(struct adv *a, struct adv_set *set, uint64_t now)
{
	uint8_t p[4 + 31];
	uint32_t units = a->interval_ms * 8u / 5u; /* 0.625 ms units */

	if (!set->params_set) {
		/* 7.8.53, version 1 of the command */
		p[0] = set->handle;
		put_le16(p + 1, 0x0010);  /* legacy PDUs, not connectable, not scannable:
					   * ADV_NONCONN_IND */
		p[3] = (uint8_t)units;    /* Primary_Advertising_Interval_Min (3 octets) */
		p[4] = (uint8_t)(units >> 8);
		p[5] = (uint8_t)(units >> 16);
		p[6] = (uint8_t)units;    /* ..._Max */
		p[7] = (uint8_t)(units >> 8);
		p[8] = (uint8_t)(units >> 16);
		p[9] = 0x07;              /* channels 37, 38, 39 */
		p[10] = 0x00;             /* own address: public */
		p[11] = 0x00;             /* peer address type */
		memset(p + 12, 0, 6);     /* peer address */
		p[18] = 0x00;             /* no filter */
		p[19] = 0x7f;             /* TX power: no preference */
		p[20] = 0x01;             /* primary PHY: LE 1M */
		p[21] = 0x00;             /* secondary max skip */
		p[22] = 0x01;             /* secondary PHY: LE 1M */
		p[23] = 0x00;             /* SID */
		p[24] = 0x00;             /* no scan request notifications */
		if (issue(set, now, HCI_OP_LE_SET_EXT_ADV_PARAMS, p, 25) < 0)
			return false;
		set->params_set = true;
	}
	/* 7.8.54: handle, Operation 0x03 (complete data), no fragmenting */
	p[0] = set->handle;
	p[1] = 0x03;
	p[2] = 0x01;
	p[3] = set_ad(set, p + 4);
	if (issue(set, now, HCI_OP_LE_SET_EXT_ADV_DATA, p, (uint8_t)(4 + p[3])) < 0)
		return false;
	if (issue(set, now, HCI_OP_LE_SET_EXT_ADV_ENABLE, p,
		  ext_enable_params(p, true, set->handle, a->count)) < 0)
		return false;
	set->enable_sent = true;
	return true;
}

/* Fill idle sets from the scheduler. */
static void start_next(struct adv *a, uint64_t now)
{
	for (unsigned i = 0; i < a->nsets && !a->releasing; i++)
		if (a->sets[i].state == ADV_TX_IDLE && txsched_queued(&a->sched) > 0 &&
		    !start_set(a, &a->sets[i], now))
			return; /* reported: the HCI queue is full */
}

/* Start the next PDU on an idle set. False when a command could not be
 * queued (reported through ops->error). */
static bool start_set(struct adv *a, struct adv_set *set, uint64_t now)
{
	size_t room;
	bool ok;

	if (!txsched_pop(&a->sched, &set->cur))
		return true;
	set->has_cur = true;
	set->has_cur2 = false;
	/* octets left beside the first AD structure (its length, type and
	 * payload in 31): a second one takes its own length and type octets */
	room = ADV_MAX_PAYLOAD - set->cur.len;
	if (room > 2 && txsched_can_fit(&a->sched, room - 2)) {
		a->stats.tx_could_pack++;
		if (a->pack && txsched_pop_fit(&a->sched, room - 2, &set->cur2)) {
			set->has_cur2 = true;
			a->stats.tx_packed++;
		}
	}
	set->state = ADV_TX_STARTING;
	set->step_status = 0;
	set->pending = 0;
	set->terminated = false;
	set->enabled = false;
	ok = a->ext_adv ? start_ext(a, set, now) : start_legacy(a, set, now);
	if (ok)
		return true;
	/* the HCI queue refused a command: this PDU is lost (its tx-done says
	 * so to the sender, whose retransmission covers it) */
	set->enable_sent = false;
	if (set->pending == 0) {
		struct txsched_item done = set->cur, done2 = set->cur2;
		bool had2 = set->has_cur2;

		set->state = ADV_TX_IDLE;
		set->has_cur = false;
		set->has_cur2 = false;
		if (a->ops->error)
			a->ops->error(a->ctx, a->ext_adv ? HCI_OP_LE_SET_EXT_ADV_DATA :
					       HCI_OP_LE_SET_ADV_DATA, -ENOSPC);
		txsched_done(&a->sched, &done);
		if (had2)
			txsched_done(&a->sched, &done2);
		return false;
	}
	/* commands already queued complete first; step_done then undoes and reports */
	if (set->step_status == 0) {
		set->step_status = -ENOSPC;
		set->step_failed_op = a->ext_adv ? HCI_OP_LE_SET_EXT_ADV_DATA : HCI_OP_LE_SET_ADV_DATA;
	}
	return false;
}

void adv_set_terminated(struct adv *a, uint8_t status, uint8_t handle, uint8_t events)
{
	(void)status;
	(void)events;
	if (!a->ext_adv)
		return;
	for (unsigned i = 0; i < a->nsets; i++) {
		struct adv_set *set = &a->sets[i];

		if (set->handle != handle)
			continue;
		if (set->state == ADV_TX_ON)
			set_idle(set, hci_now(a->hci));
		else if (set->state == ADV_TX_STARTING && set->enable_sent)
			set->terminated = true;
		/* STOPPING: our disable is answered next (Command Disallowed) */
		set->enabled = false;
		return;
	}
	/* another host's set (the kernel's): not ours */
}

int adv_send_src(struct adv *a, uint64_t now, unsigned src, uint8_t ad_type, const uint8_t *data,
		 size_t len, unsigned flags, uint32_t cookie)
{
	int err = txsched_push(&a->sched, src, ad_type, data, len, flags, cookie);

	if (err == 0)
		start_next(a, now);
	return err;
}

int adv_send(struct adv *a, uint64_t now, uint8_t ad_type, const uint8_t *data, size_t len)
{
	int err;

	if (a->default_src < 0)
		return -EBADF;
	err = adv_send_src(a, now, (unsigned)a->default_src, ad_type, data, len, 0, 0);
	if (err == -ENOBUFS)
		a->stats.tx_dropped++;
	return err;
}

unsigned adv_backlog_ms(const struct adv *a)
{
	/* one PDU: count events, each interval plus 5 ms of advDelay on average */
	unsigned per_pdu = a->count * (a->interval_ms + 5);
	unsigned n = txsched_queued(&a->sched), sets = a->nsets ? a->nsets : 1;

	for (unsigned i = 0; i < a->nsets; i++)
		if (a->sets[i].state != ADV_TX_IDLE)
			n++;
	return (unsigned)(((uint64_t)n * per_pdu + sets - 1) / sets);
}

/* ---- scanning ---- */

static void scan_done(void *ctx, uint16_t opcode, int status, const uint8_t *rp, size_t rlen)
{
	struct adv *a = ctx;
	hci_cmd_fn fn = a->scan_fn;

	a->scan_sent = false;
	if (status == 0)
		a->scanning = a->scan_want;
	if (fn)
		fn(a->scan_fn_ctx, opcode, status, rp, rlen);
}

int adv_scan(struct adv *a, uint64_t now, bool enable, hci_cmd_fn fn, void *fn_ctx)
{
	uint8_t p[6];
	uint8_t plen = hci_scan_enable(p, a->ext_scan, enable);

	a->scan_fn = fn;
	a->scan_fn_ctx = fn_ctx;
	a->scan_want = enable;
	a->scan_sent = true;
	return hci_send_cmd(a->hci, now, a->ext_scan ? HCI_OP_LE_SET_EXT_SCAN_ENABLE :
			    HCI_OP_LE_SET_SCAN_ENABLE, p, plen, scan_done, a);
}

/* ---- another host's commands ---- */

/* Our set is gone or stopped under us. */
static void set_lost(struct adv_set *set, bool removed, uint64_t now)
{
	if (removed) {
		set->created = false;
		set->params_set = false;
	}
	set->enabled = false;
	if (set->state == ADV_TX_ON)
		set_idle(set, now); /* our own disable would only be refused */
}

bool adv_foreign_cmd(struct adv *a, uint16_t op, const uint8_t *p, size_t plen)
{
	uint64_t now = hci_now(a->hci);

	switch (op) {
	case HCI_OP_LE_SET_SCAN_ENABLE:
	case HCI_OP_LE_SET_EXT_SCAN_ENABLE:
		/* on or off, what scans now is not ours to turn off */
		a->scanning = false;
		return true;
	case HCI_OP_LE_SET_ADV_PARAMS:
		if (!a->ext_adv)
			a->sets[0].params_set = false;
		break;
	case HCI_OP_LE_SET_ADV_ENABLE:
		if (!a->ext_adv && plen >= 1 && p[0] == 0x00)
			set_lost(&a->sets[0], false, now);
		break;
	case HCI_OP_LE_CLEAR_ADV_SETS:
		for (unsigned i = 0; a->ext_adv && i < a->nsets; i++)
			set_lost(&a->sets[i], true, now);
		break;
	case HCI_OP_LE_REMOVE_ADV_SET:
	case HCI_OP_LE_SET_EXT_ADV_ENABLE:
		if (!a->ext_adv || plen < 1)
			break;
		for (unsigned i = 0; i < a->nsets; i++) {
			struct adv_set *set = &a->sets[i];
			bool hit = false;

			if (op == HCI_OP_LE_REMOVE_ADV_SET) {
				hit = p[0] == set->handle;
			} else if (p[0] == 0x00 && plen >= 2) {
				/* disable: Num_Sets 0 means all of them */
				hit = p[1] == 0;
				for (unsigned k = 0; k < p[1] && 2 + 4 * (size_t)k < plen; k++)
					hit |= p[2 + 4 * k] == set->handle;
			}
			if (hit)
				set_lost(set, op == HCI_OP_LE_REMOVE_ADV_SET, now);
		}
		break;
	default:
		break;
	}
	return false;
}

/* ---- what we leave behind ---- */

unsigned adv_cleanup(const struct adv *a, struct hci_cmd *out, unsigned max)
{
	unsigned n = 0;

	for (unsigned i = 0; i < a->nsets && n < max; i++) {
		const struct adv_set *set = &a->sets[i];

		if (!set->enabled && !set->enable_sent && set->state != ADV_TX_STOPPING)
			continue;
		memset(&out[n], 0, sizeof(out[n]));
		out[n].plen = disable_params(a, set, out[n].params, &out[n].opcode);
		n++;
	}
	for (unsigned i = 0; i < a->nsets && n < max; i++) {
		if (!a->sets[i].created)
			continue;
		memset(&out[n], 0, sizeof(out[n]));
		out[n].opcode = HCI_OP_LE_REMOVE_ADV_SET;
		out[n].params[0] = a->sets[i].handle;
		out[n].plen = 1;
		n++;
	}
	if ((a->scanning || a->scan_sent) && n < max) {
		memset(&out[n], 0, sizeof(out[n]));
		out[n].opcode = a->ext_scan ? HCI_OP_LE_SET_EXT_SCAN_ENABLE : HCI_OP_LE_SET_SCAN_ENABLE;
		out[n].plen = hci_scan_enable(out[n].params, a->ext_scan, false);
		n++;
	}
	return n;
}

void adv_released(struct adv *a)
{
	txsched_flush(&a->sched);
	a->releasing = 0;
	a->scanning = false;
	a->scan_sent = false;
	for (unsigned i = 0; i < a->nsets; i++) {
		struct adv_set *set = &a->sets[i];

		set->created = false;
		set->params_set = false;
		set->enabled = false;
		set->enable_sent = false;
		set->state = ADV_TX_IDLE;
		set->tx_deadline = NO_DEADLINE;
		set->has_cur = false;
		set->has_cur2 = false;
	}
}

unsigned adv_hand_over(struct adv *a, struct txsched *to, struct txsched_item *inflight,
		       unsigned max)
{
	unsigned n = 0;

	*to = a->sched;
	for (unsigned i = 0; i < a->nsets; i++) {
		struct adv_set *set = &a->sets[i];

		if (set->has_cur && n < max)
			inflight[n++] = set->cur;
		if (set->has_cur2 && n < max)
			inflight[n++] = set->cur2;
		set->has_cur = false;
		set->has_cur2 = false;
	}
	return n;
}

static void release_step(void *ctx, uint16_t opcode, int status, const uint8_t *rp, size_t rlen)
{
	struct adv *a = ctx;

	(void)opcode;
	(void)status; /* Unknown Advertising Identifier, Command Disallowed: gone already */
	(void)rp;
	(void)rlen;
	if (a->releasing == 0 || --a->releasing > 0)
		return;
	adv_released(a);
	if (a->release_done)
		a->release_done(a->release_ctx);
}

void adv_release(struct adv *a, uint64_t now, void (*done)(void *ctx), void *ctx)
{
	struct hci_cmd cmds[ADV_CLEANUP_MAX];
	unsigned n = adv_cleanup(a, cmds, ADV_CLEANUP_MAX);

	hci_forget(a->hci, a); /* a scan command's answer no longer matters */
	for (unsigned i = 0; i < a->nsets; i++)
		hci_forget(a->hci, &a->sets[i]);
	txsched_flush(&a->sched);
	a->release_done = done;
	a->release_ctx = ctx;
	/* what they undo is forgotten once all are answered: until then
	 * adv_cleanup() still lists them (for a last resort at exit) */
	a->releasing = n;
	for (unsigned i = 0; i < n; i++)
		if (hci_send_cmd(a->hci, now, cmds[i].opcode, cmds[i].params, cmds[i].plen,
				 release_step, a) < 0)
			a->releasing--;
	if (a->releasing == 0) {
		adv_released(a);
		if (done)
			done(ctx);
	}
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
	uint64_t d = NO_DEADLINE;

	for (unsigned i = 0; i < a->nsets; i++)
		if (a->sets[i].state == ADV_TX_ON)
			d = min_deadline(d, a->sets[i].tx_deadline);
	return d;
}

void adv_tick(struct adv *a, uint64_t now)
{
	for (unsigned i = 0; i < a->nsets; i++) {
		struct adv_set *set = &a->sets[i];

		if (set->state == ADV_TX_ON && now >= set->tx_deadline)
			stop_set(set, now); /* legacy: the end; extended: no Set Terminated came */
	}
}
