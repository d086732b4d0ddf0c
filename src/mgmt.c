#include "mgmt.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

const uint8_t mgmt_mesh_uuid[16] = {
	0x76, 0x6e, 0xf3, 0xe8, 0x24, 0x5f, 0x05, 0xbf,
	0x8d, 0x4d, 0x03, 0x7a, 0xd7, 0x63, 0xe4, 0x2c,
};

/* Read Controller Information reply up to the current settings: address (6),
 * version (1), manufacturer (2), supported (4), current (4). */
#define READ_INFO_MIN 17
/* Set Experimental Feature reply: UUID (16), flags (4). */
#define EXP_FEATURE_RP 20
/* Mesh Device Found: address (6), address type, RSSI, instant (8), flags (4),
 * AD length (2), then the AD. */
#define MESH_FOUND_HDR 22

const char *mgmt_opcode_name(uint16_t opcode)
{
	switch (opcode) {
	case MGMT_OP_READ_INFO: return "Read Controller Information";
	case MGMT_OP_SET_LE: return "Set LE";
	case MGMT_OP_STOP_DISCOVERY: return "Stop Discovery";
	case MGMT_OP_SET_EXP_FEATURE: return "Set Experimental Feature (mesh)";
	case MGMT_OP_SET_MESH_RECEIVER: return "Set Mesh Receiver";
	case MGMT_OP_MESH_READ_FEATURES: return "Mesh Read Features";
	case MGMT_OP_MESH_SEND: return "Mesh Send";
	case MGMT_OP_MESH_SEND_CANCEL: return "Mesh Send Cancel";
	default: return "management command";
	}
}

const char *mgmt_status_reason(uint16_t opcode, uint8_t status)
{
	switch (status) {
	case MGMT_STATUS_PERMISSION_DENIED:
		return "permission denied: the management interface needs CAP_NET_ADMIN "
		       "(run as root or grant meshprov that capability)";
	case MGMT_STATUS_UNKNOWN_COMMAND:
		return "unknown command: the kernel is too old (needs Linux >= 6.0 with the "
		       "experimental mesh feature); use --hci hciN (raw HCI) instead";
	case MGMT_STATUS_NOT_SUPPORTED:
		if (opcode == MGMT_OP_READ_INFO)
			return "not supported";
		return "not supported: the kernel does not offer the experimental mesh feature "
		       "(needs Linux >= 6.0 and an LE controller); use --hci hciN (raw HCI) instead";
	case MGMT_STATUS_INVALID_INDEX:
		return "no such controller";
	case MGMT_STATUS_NOT_POWERED:
		return "the controller is powered off";
	case MGMT_STATUS_REJECTED:
		return "rejected (is LE switched on?)";
	case MGMT_STATUS_BUSY:
		return "busy";
	case MGMT_STATUS_INVALID_PARAMS:
		return "invalid parameters";
	default:
		return "failed";
	}
}

size_t mgmt_encode(uint8_t *out, size_t outlen, uint16_t opcode, uint16_t index,
		   const uint8_t *params, size_t plen)
{
	if (plen > UINT16_MAX || outlen < MGMT_HDR_LEN + plen)
		return 0;
	put_le16(out, opcode);
	put_le16(out + 2, index);
	put_le16(out + 4, (uint16_t)plen);
	if (plen)
		memcpy(out + MGMT_HDR_LEN, params, plen);
	return MGMT_HDR_LEN + plen;
}

size_t mgmt_encode_mesh_send(uint8_t *out, size_t outlen, uint16_t index, uint8_t cnt,
			     uint8_t ad_type, const uint8_t *data, size_t len)
{
	uint8_t p[MGMT_MESH_SEND_HDR + 2 + ADV_MAX_PAYLOAD];

	if (len > ADV_MAX_PAYLOAD || cnt == 0)
		return 0;
	memset(p, 0, MGMT_MESH_SEND_HDR);
	p[6] = 0x02;            /* address type LE random; address, instant, delay 0 */
	p[17] = cnt;
	p[18] = (uint8_t)(len + 2);
	p[19] = (uint8_t)(len + 1);
	p[20] = ad_type;
	if (len)
		memcpy(p + 21, data, len);
	return mgmt_encode(out, outlen, MGMT_OP_MESH_SEND, index, p, MGMT_MESH_SEND_HDR + 2 + len);
}

void mgmt_init(struct mgmt *m, uint16_t index, const struct mgmt_ops *ops, void *ctx)
{
	memset(m, 0, sizeof(*m));
	m->ops = ops;
	m->ctx = ctx;
	m->index = index;
	snprintf(m->name, sizeof(m->name), "hci%u", (unsigned)index);
	m->state = MGMT_IDLE;
	m->cmd_deadline = NO_DEADLINE;
	m->discovery_off_at = NO_DEADLINE;
	m->max_handles = 1;
	m->sending = -1;
	txsched_init(&m->sched);
	m->default_src = txsched_open(&m->sched, MGMT_TX_QUEUE, 1, NULL, NULL);
	mgmt_set_tx(m, ADV_DEFAULT_INTERVAL_MS, ADV_DEFAULT_COUNT);
}

void mgmt_set_tx(struct mgmt *m, unsigned interval_ms, unsigned count)
{
	m->interval_ms = interval_ms;
	m->count = count < 1 ? 1 : count > 255 ? 255 : count;
}

static void send_cmd(struct mgmt *m, uint64_t now, uint16_t opcode, const uint8_t *params,
		     size_t plen)
{
	uint8_t frame[MGMT_HDR_LEN + 64];
	size_t n = mgmt_encode(frame, sizeof(frame), opcode, m->index, params, plen);

	m->pending_op = opcode;
	m->cmd_deadline = now + MGMT_CMD_TIMEOUT_MS;
	m->ops->send(m->ctx, frame, n);
}

static void fail(struct mgmt *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void fail(struct mgmt *m, const char *fmt, ...)
{
	char msg[400];
	int n;
	va_list ap;

	if (m->state == MGMT_FAILED)
		return;
	n = snprintf(msg, sizeof(msg), "%s: ", m->name);
	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
	va_end(ap);
	m->state = MGMT_FAILED;
	m->pending_op = 0;
	m->cmd_deadline = NO_DEADLINE;
	m->nhandles = 0;
	m->sending = -1;
	memset(m->active, 0, sizeof(m->active));
	txsched_flush(&m->sched);
	if (m->ops->fatal)
		m->ops->fatal(m->ctx, msg);
}

static void fail_status(struct mgmt *m, uint16_t opcode, uint8_t status)
{
	fail(m, "%s failed: %s (management status 0x%02x)", mgmt_opcode_name(opcode),
	     mgmt_status_reason(opcode, status), status);
}

static void set_receiver(struct mgmt *m, uint64_t now, bool enable)
{
	uint8_t p[9];

	p[0] = enable;
	put_le16(p + 1, MGMT_SCAN_PERIOD); /* window */
	put_le16(p + 3, MGMT_SCAN_PERIOD); /* period */
	p[5] = 3;
	p[6] = AD_TYPE_PB_ADV;
	p[7] = AD_TYPE_MESH_MESSAGE;
	p[8] = AD_TYPE_MESH_BEACON;
	send_cmd(m, now, MGMT_OP_SET_MESH_RECEIVER, p, sizeof(p));
}

static unsigned nactive(const struct mgmt *m)
{
	unsigned n = 0;

	for (unsigned i = 0; i < MGMT_ACTIVE; i++)
		n += m->active[i].used;
	return n;
}

bool mgmt_busy(const struct mgmt *m)
{
	return txsched_queued(&m->sched) > 0 || nactive(m) > 0 || m->nhandles > 0 ||
	       m->pending_op == MGMT_OP_MESH_SEND;
}

unsigned mgmt_backlog_ms(const struct mgmt *m)
{
	unsigned n = txsched_queued(&m->sched) + nactive(m);

	return n * m->count * (m->interval_ms + 5);
}

/* The active PDU whose next transmission is due soonest (by now), or -1. */
static int first_due(const struct mgmt *m, uint64_t now)
{
	int best = -1;

	for (unsigned i = 0; i < MGMT_ACTIVE; i++) {
		const struct mgmt_tx *tx = &m->active[i];

		if (tx->used && tx->left > 0 && tx->due <= now &&
		    (best < 0 || tx->due < m->active[best].due))
			best = (int)i;
	}
	return best;
}

static void pump(struct mgmt *m, uint64_t now);

/* A transmission of active[i] is over (completed, refused or expired): once
 * its last one is, the PDU is done and its tx-done goes back. */
static void tx_over(struct mgmt *m, uint64_t now, unsigned i)
{
	struct mgmt_tx *tx = &m->active[i];
	struct txsched_item done;

	if (tx->held > 0)
		tx->held--;
	if (tx->left > 0 || tx->held > 0 || m->sending == (int)i)
		return;
	done = tx->item;
	tx->used = false;
	pump(m, now);
	txsched_done(&m->sched, &done);
}

/* Take PDUs from the scheduler into free active places; hand the kernel the
 * first due transmission while it holds fewer than max_handles of ours.
 * Once stopping and drained, turn the receiver off. */
static void pump(struct mgmt *m, uint64_t now)
{
	uint8_t frame[MGMT_HDR_LEN + MGMT_MESH_SEND_HDR + 2 + ADV_MAX_PAYLOAD];
	struct mgmt_tx *tx;
	size_t n;
	int i;

	if (m->state != MGMT_READY && m->state != MGMT_STOPPING)
		return;
	for (unsigned k = 0; k < MGMT_ACTIVE && txsched_queued(&m->sched) > 0; k++) {
		tx = &m->active[k];
		if (tx->used || !txsched_pop(&m->sched, &tx->item))
			continue;
		tx->used = true;
		tx->left = m->count;
		tx->held = 0;
		tx->due = now;
	}
	if (m->pending_op)
		return;
	if (m->nhandles < m->max_handles && (i = first_due(m, now)) >= 0) {
		tx = &m->active[i];
		n = mgmt_encode_mesh_send(frame, sizeof(frame), m->index, 1, tx->item.ad_type,
					  tx->item.data, tx->item.len);
		tx->left--;
		tx->due = now + m->interval_ms;
		m->sending = i;
		m->pending_op = MGMT_OP_MESH_SEND;
		m->cmd_deadline = now + MGMT_CMD_TIMEOUT_MS;
		m->ops->send(m->ctx, frame, n);
		return;
	}
	if (m->state == MGMT_STOPPING && !mgmt_busy(m))
		set_receiver(m, now, false);
}

void mgmt_start(struct mgmt *m, uint64_t now)
{
	m->state = MGMT_READ_INFO;
	send_cmd(m, now, MGMT_OP_READ_INFO, NULL, 0);
}

int mgmt_send_src(struct mgmt *m, uint64_t now, unsigned src, uint8_t ad_type,
		  const uint8_t *data, size_t len, unsigned flags, uint32_t cookie)
{
	int err;

	if (len > ADV_MAX_PAYLOAD)
		return -EMSGSIZE;
	if (m->state != MGMT_READY)
		return -EIO;
	err = txsched_push(&m->sched, src, ad_type, data, len, flags, cookie);
	if (err == 0)
		pump(m, now);
	return err;
}

int mgmt_send(struct mgmt *m, uint64_t now, uint8_t ad_type, const uint8_t *data, size_t len)
{
	int err;

	if (m->default_src < 0)
		return -EBADF;
	err = mgmt_send_src(m, now, (unsigned)m->default_src, ad_type, data, len, 0, 0);
	if (err == -ENOBUFS)
		m->stats.tx_dropped++;
	return err;
}

void mgmt_stop(struct mgmt *m, uint64_t now)
{
	if (m->state != MGMT_READY) {
		/* nothing of ours is on in the kernel yet (or any more) */
		if (m->state != MGMT_FAILED)
			m->state = MGMT_STOPPED;
		m->pending_op = 0;
		m->cmd_deadline = NO_DEADLINE;
		if (m->ops->stopped)
			m->ops->stopped(m->ctx);
		return;
	}
	m->state = MGMT_STOPPING;
	pump(m, now);
}

static void stopped(struct mgmt *m)
{
	m->state = MGMT_STOPPED;
	m->pending_op = 0;
	m->cmd_deadline = NO_DEADLINE;
	if (m->ops->stopped)
		m->ops->stopped(m->ctx);
}

/* The kernel is done with handle i: its transmission is over. */
static void drop_handle(struct mgmt *m, uint64_t now, unsigned i)
{
	unsigned tx = m->handle_tx[i];

	m->nhandles--;
	m->handles[i] = m->handles[m->nhandles];
	m->handle_tx[i] = m->handle_tx[m->nhandles];
	m->handle_deadline[i] = m->handle_deadline[m->nhandles];
	tx_over(m, now, tx);
}

static void enable_mesh(struct mgmt *m, uint64_t now)
{
	uint8_t p[17];

	memcpy(p, mgmt_mesh_uuid, 16);
	p[16] = 0x01;
	m->state = MGMT_EXP_FEATURE;
	send_cmd(m, now, MGMT_OP_SET_EXP_FEATURE, p, sizeof(p));
}

static void complete(struct mgmt *m, uint64_t now, uint16_t opcode, uint8_t status,
		     const uint8_t *rp, size_t rlen)
{
	uint32_t supported;

	if (opcode != m->pending_op) {
		m->stats.malformed++;
		return;
	}
	m->pending_op = 0;
	m->cmd_deadline = NO_DEADLINE;
	if (opcode == MGMT_OP_MESH_SEND) {
		int i = m->sending;

		m->sending = -1;
		if (status != MGMT_STATUS_SUCCESS || rlen < 1 || m->nhandles == MGMT_MAX_HANDLES ||
		    i < 0) {
			/* one transmission lost; the protocols above retransmit */
			m->stats.tx_failed++;
			if (i >= 0) {
				m->active[i].held++; /* (tx_over takes it back) */
				tx_over(m, now, (unsigned)i);
			}
		} else {
			m->handles[m->nhandles] = rp[0];
			m->handle_tx[m->nhandles] = (uint8_t)i;
			m->handle_deadline[m->nhandles] = now + MGMT_TX_TIMEOUT_MS;
			m->nhandles++;
			m->active[i].held++;
			m->stats.tx_pdus++;
		}
		pump(m, now);
		return;
	}
	if (m->state == MGMT_STOPPING && opcode == MGMT_OP_SET_MESH_RECEIVER && m->our_discovery) {
		uint8_t type = m->our_discovery_type;

		m->our_discovery = false;
		send_cmd(m, now, MGMT_OP_STOP_DISCOVERY, &type, 1);
		return;
	}
	if (m->state == MGMT_STOPPING) {
		stopped(m);
		return;
	}
	if (status != MGMT_STATUS_SUCCESS) {
		fail_status(m, opcode, status);
		return;
	}
	switch (m->state) {
	case MGMT_READ_INFO:
		if (rlen < READ_INFO_MIN) {
			fail(m, "%s: reply too short (%zu octets)", mgmt_opcode_name(opcode), rlen);
			return;
		}
		memcpy(m->bdaddr, rp, 6);
		supported = get_le32(rp + 9);
		m->settings = get_le32(rp + 13);
		if (!(supported & MGMT_SETTING_LE)) {
			fail(m, "the controller does not support LE");
			return;
		}
		if (!(m->settings & MGMT_SETTING_POWERED)) {
			fail(m, "the controller is powered off (btmgmt --index %u power on)",
			     (unsigned)m->index);
			return;
		}
		if (!(m->settings & MGMT_SETTING_LE)) {
			static const uint8_t on = 0x01;

			m->state = MGMT_SET_LE;
			send_cmd(m, now, MGMT_OP_SET_LE, &on, 1);
			return;
		}
		enable_mesh(m, now);
		return;
	case MGMT_SET_LE:
		if (rlen < 4 || !(get_le32(rp) & MGMT_SETTING_LE)) {
			fail(m, "the kernel did not switch LE on");
			return;
		}
		enable_mesh(m, now);
		return;
	case MGMT_EXP_FEATURE:
		if (rlen < EXP_FEATURE_RP || memcmp(rp, mgmt_mesh_uuid, 16) ||
		    !(get_le32(rp + 16) & 1)) {
			fail(m, "the kernel did not enable the experimental mesh feature");
			return;
		}
		m->state = MGMT_READ_FEATURES;
		send_cmd(m, now, MGMT_OP_MESH_READ_FEATURES, NULL, 0);
		return;
	case MGMT_READ_FEATURES:
		if (rlen < 4) {
			fail(m, "%s: reply too short (%zu octets)", mgmt_opcode_name(opcode), rlen);
			return;
		}
		if (rp[2] == 0) {
			fail(m, "the kernel offers no mesh transmit handles (is LE switched on?)");
			return;
		}
		m->max_handles = rp[2] < MGMT_MAX_HANDLES ? rp[2] : MGMT_MAX_HANDLES;
		m->state = MGMT_SET_RECEIVER;
		set_receiver(m, now, true);
		return;
	case MGMT_SET_RECEIVER:
		m->state = MGMT_READY;
		if (m->ops->ready)
			m->ops->ready(m->ctx);
		pump(m, now);
		return;
	default:
		return;
	}
}

static void mesh_found(struct mgmt *m, const uint8_t *p, size_t plen)
{
	struct hci_adv_report r;
	struct ad_iter it;
	const uint8_t *payload;
	size_t eir_len, n;
	uint8_t type;

	if (plen < MESH_FOUND_HDR) {
		m->stats.malformed++;
		return;
	}
	eir_len = get_le16(p + 20);
	if (eir_len != plen - MESH_FOUND_HDR) {
		m->stats.malformed++;
		return;
	}
	if (m->state != MGMT_READY && m->state != MGMT_STOPPING)
		return;
	if (p[6] != 1 && p[6] != 2) /* LE public or LE random only */
		return;
	memset(&r, 0, sizeof(r));
	r.evt_type = 0x03; /* the kernel does not say; mesh uses ADV_NONCONN_IND */
	r.addr_type = p[6] == 1 ? 0x00 : 0x01;
	memcpy(r.addr, p, 6);
	r.rssi = (int8_t)p[7];
	r.data = p + MESH_FOUND_HDR;
	r.data_len = (uint8_t)(eir_len > 255 ? 255 : eir_len);
	ad_iter_init(&it, p + MESH_FOUND_HDR, eir_len);
	while (ad_iter_next(&it, &type, &payload, &n)) {
		if (type != AD_TYPE_PB_ADV && type != AD_TYPE_MESH_MESSAGE && type != AD_TYPE_MESH_BEACON)
			continue;
		m->stats.rx_mesh++;
		if (m->ops->rx)
			m->ops->rx(m->ctx, type, payload, n, &r);
		if (m->state != MGMT_READY && m->state != MGMT_STOPPING)
			return;
	}
}

void mgmt_receive(struct mgmt *m, uint64_t now, const uint8_t *f, size_t len)
{
	uint16_t code, index;
	const uint8_t *p;
	size_t plen;
	unsigned i;

	if (len < MGMT_HDR_LEN || get_le16(f + 4) != len - MGMT_HDR_LEN) {
		m->stats.malformed++;
		return;
	}
	m->stats.events++;
	code = get_le16(f);
	index = get_le16(f + 2);
	p = f + MGMT_HDR_LEN;
	plen = len - MGMT_HDR_LEN;
	if (index != m->index || m->state == MGMT_FAILED || m->state == MGMT_STOPPED)
		return;
	switch (code) {
	case MGMT_EV_CMD_COMPLETE:
	case MGMT_EV_CMD_STATUS:
		if (plen < 3) {
			m->stats.malformed++;
			return;
		}
		complete(m, now, get_le16(p), p[2], p + 3, plen - 3);
		return;
	case MGMT_EV_MESH_DEVICE_FOUND:
		mesh_found(m, p, plen);
		return;
	case MGMT_EV_MESH_PACKET_CMPLT:
		if (plen < 1) {
			m->stats.malformed++;
			return;
		}
		for (i = 0; i < m->nhandles; i++) {
			if (m->handles[i] == p[0]) {
				drop_handle(m, now, i);
				pump(m, now);
				return;
			}
		}
		return; /* another program's packet */
	case MGMT_EV_INDEX_REMOVED:
		fail(m, "the controller was removed");
		return;
	case MGMT_EV_DISCOVERING:
		if (plen < 2) {
			m->stats.malformed++;
			return;
		}
		/* discovery types are 0x01, 0x06, 0x07: type 0 is the mesh scan.
		 * One that starts while our Set Mesh Receiver is in flight is
		 * ours whatever its type: Linux 6.1 reports the type of the last
		 * discovery there was (bluetoothd's 0x06), and Stop Discovery
		 * must name the type the kernel holds. So is one that starts
		 * right after another discovery ended while our receiver is on
		 * (MGMT_RESCAN_MS): the kernel resumed the mesh scan. */
		if (p[1] && (m->state == MGMT_SET_RECEIVER ||
			     (m->state == MGMT_READY &&
			      (p[0] == 0x00 || (m->discovery_off_at != NO_DEADLINE &&
						now - m->discovery_off_at <= MGMT_RESCAN_MS))))) {
			m->our_discovery = true;
			m->our_discovery_type = p[0];
		} else if (!p[1]) {
			m->our_discovery = false;
			m->discovery_off_at = now;
		}
		return;
	case MGMT_EV_NEW_SETTINGS:
		if (plen < 4) {
			m->stats.malformed++;
			return;
		}
		m->settings = get_le32(p);
		if (m->state != MGMT_IDLE && !(m->settings & MGMT_SETTING_POWERED))
			fail(m, "the controller was powered off");
		return;
	default:
		return;
	}
}

uint64_t mgmt_next_deadline(const struct mgmt *m)
{
	uint64_t d = m->cmd_deadline;

	if (m->state == MGMT_FAILED || m->state == MGMT_STOPPED)
		return NO_DEADLINE; /* mgmt_tick does nothing there */

	for (unsigned i = 0; i < m->nhandles; i++)
		d = min_deadline(d, m->handle_deadline[i]);
	/* a transmission waiting for its interval (not for a handle or a reply) */
	if (!m->pending_op && m->nhandles < m->max_handles &&
	    (m->state == MGMT_READY || m->state == MGMT_STOPPING))
		for (unsigned i = 0; i < MGMT_ACTIVE; i++)
			if (m->active[i].used && m->active[i].left > 0)
				d = min_deadline(d, m->active[i].due);
	return d;
}

void mgmt_tick(struct mgmt *m, uint64_t now)
{
	unsigned i = 0;

	if (m->state == MGMT_FAILED || m->state == MGMT_STOPPED)
		return;
	if (m->pending_op && now >= m->cmd_deadline) {
		if (m->state == MGMT_STOPPING) {
			stopped(m);
			return;
		}
		fail(m, "the kernel did not answer %s within %u ms", mgmt_opcode_name(m->pending_op),
		     MGMT_CMD_TIMEOUT_MS);
		return;
	}
	while (i < m->nhandles) {
		if (now >= m->handle_deadline[i]) {
			m->stats.tx_failed++;
			drop_handle(m, now, i); /* look at the moved one next */
		} else {
			i++;
		}
	}
	pump(m, now);
}
