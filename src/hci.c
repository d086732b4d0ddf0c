#include "hci.h"

#include <errno.h>
#include <string.h>

#include "h4.h"
#include "util.h"

void hci_init(struct hci *h, const struct hci_ops *ops, void *ctx)
{
	memset(h, 0, sizeof(*h));
	h->ops = ops;
	h->ctx = ctx;
	h->credits = 1; /* the Host assumes one until the controller says more */
	h->timeout_ms = HCI_CMD_TIMEOUT_MS;
}

size_t hci_build_cmd(uint8_t *pkt, uint16_t opcode, const void *params, uint8_t plen)
{
	pkt[0] = H4_CMD;
	put_le16(pkt + 1, opcode);
	pkt[3] = plen;
	if (plen)
		memcpy(pkt + 4, params, plen);
	return 4u + plen;
}

static void transmit(struct hci *h, uint64_t now)
{
	while (h->sent < h->count && h->credits > 0) {
		struct hci_cmd *c = &h->queue[h->sent];
		uint8_t pkt[4 + 255];
		size_t len = hci_build_cmd(pkt, c->opcode, c->params, c->plen);

		c->deadline = now + h->timeout_ms;
		h->credits--;
		h->sent++;
		h->ops->send(h->ctx, pkt, len);
	}
}

int hci_send_cmd(struct hci *h, uint64_t now, uint16_t opcode, const void *params, uint8_t plen,
		 hci_cmd_fn fn, void *fn_ctx)
{
	struct hci_cmd *c;

	h->now = now;
	if (h->count == HCI_CMD_QUEUE)
		return -ENOSPC;
	c = &h->queue[h->count++];
	c->opcode = opcode;
	c->plen = plen;
	if (plen)
		memcpy(c->params, params, plen);
	c->fn = fn;
	c->fn_ctx = fn_ctx;
	/* a command waiting for credits times out too: a controller that stops
	 * granting them must not hang us (transmit() restarts it when sent) */
	c->deadline = now + h->timeout_ms;
	transmit(h, now);
	return 0;
}

void hci_forget(struct hci *h, void *fn_ctx)
{
	for (unsigned i = 0; i < h->count; i++)
		if (h->queue[i].fn_ctx == fn_ctx)
			h->queue[i].fn = NULL;
}

/* Take command i (in flight or waiting) out of the queue and report its outcome. */
static void finish(struct hci *h, unsigned i, int status, const uint8_t *rp, size_t rlen)
{
	struct hci_cmd c = h->queue[i];

	memmove(&h->queue[i], &h->queue[i + 1], (h->count - i - 1) * sizeof(h->queue[0]));
	h->count--;
	if (i < h->sent)
		h->sent--;
	if (c.fn)
		c.fn(c.fn_ctx, c.opcode, status, rp, rlen);
}

static void command_done(struct hci *h, uint8_t ncmd, uint16_t opcode, int status,
			 const uint8_t *rp, size_t rlen)
{
	h->credits = ncmd;
	if (opcode != 0x0000) { /* 0x0000 only hands out credits */
		unsigned i;

		for (i = 0; i < h->sent; i++)
			if (h->queue[i].opcode == opcode)
				break;
		if (i < h->sent)
			finish(h, i, status, rp, rlen);
		else
			h->stats.unmatched++;
	}
	transmit(h, h->now);
}

int hci_parse_adv_reports(const uint8_t *p, size_t len,
			  void (*fn)(void *ctx, const struct hci_adv_report *r), void *ctx)
{
	size_t off;
	unsigned n, i;

	if (len < 1)
		return -1;
	n = p[0];
	/* first pass: every report must fit exactly */
	for (i = 0, off = 1; i < n; i++) {
		/* evt_type, addr_type, addr[6], data_len, data, rssi */
		if (len - off < 9)
			return -1;
		if (p[off + 8] > 31 || len - off - 9 < (size_t)p[off + 8] + 1)
			return -1;
		off += 9 + p[off + 8] + 1;
	}
	if (off != len)
		return -1;
	for (i = 0, off = 1; i < n; i++) {
		struct hci_adv_report r;

		r.evt_type = p[off];
		r.addr_type = p[off + 1];
		memcpy(r.addr, p + off + 2, 6);
		r.data_len = p[off + 8];
		r.data = p + off + 9;
		r.rssi = (int8_t)p[off + 9 + r.data_len];
		off += 9 + r.data_len + 1;
		if (fn)
			fn(ctx, &r);
	}
	return (int)n;
}

/* Legacy PDU types from the Event_Type of an extended report (7.7.65.13,
 * Table 7.1); -1 for a combination that is not one. */
static int legacy_type(uint16_t t)
{
	switch (t & 0x1f) {
	case 0x13: return 0; /* ADV_IND */
	case 0x15: return 1; /* ADV_DIRECT_IND */
	case 0x12: return 2; /* ADV_SCAN_IND */
	case 0x10: return 3; /* ADV_NONCONN_IND */
	case 0x1b:           /* SCAN_RSP to an ADV_IND */
	case 0x1a: return 4; /* SCAN_RSP to an ADV_SCAN_IND */
	default: return -1;
	}
}

/* Event_Type(2) Address_Type Address(6) Primary_PHY Secondary_PHY SID
 * TX_Power RSSI Periodic_Advertising_Interval(2) Direct_Address_Type
 * Direct_Address(6) Data_Length, then Data */
#define EXT_REPORT_FIXED 24

int hci_parse_ext_adv_reports(const uint8_t *p, size_t len,
			      void (*fn)(void *ctx, const struct hci_adv_report *r), void *ctx)
{
	size_t off;
	unsigned n, i;

	if (len < 1)
		return -1;
	n = p[0];
	for (i = 0, off = 1; i < n; i++) {
		uint16_t t;
		uint8_t dl;

		if (len - off < EXT_REPORT_FIXED)
			return -1;
		t = get_le16(p + off);
		dl = p[off + EXT_REPORT_FIXED - 1];
		if (len - off - EXT_REPORT_FIXED < dl)
			return -1;
		if ((t & HCI_EXT_EVT_LEGACY) && dl > 31)
			return -1; /* a legacy PDU carries at most 31 octets */
		off += EXT_REPORT_FIXED + dl;
	}
	if (off != len)
		return -1;
	for (i = 0, off = 1; i < n; i++) {
		struct hci_adv_report r;
		uint16_t t = get_le16(p + off);
		int lt = legacy_type(t);

		r.addr_type = p[off + 2];
		memcpy(r.addr, p + off + 3, 6);
		r.rssi = (int8_t)p[off + 13];
		r.data_len = p[off + EXT_REPORT_FIXED - 1];
		r.data = p + off + EXT_REPORT_FIXED;
		off += EXT_REPORT_FIXED + r.data_len;
		if (t & HCI_EXT_EVT_LEGACY) {
			if (lt < 0)
				continue;
			r.evt_type = (uint8_t)lt;
		} else {
			if (HCI_EXT_EVT_DATA_STATUS(t) != 0)
				continue; /* a fragment: mesh never sends these */
			r.evt_type = HCI_ADV_EVT_EXTENDED;
		}
		if (fn)
			fn(ctx, &r);
	}
	return (int)n;
}

static void adv_report_fn(void *ctx, const struct hci_adv_report *r)
{
	struct hci *h = ctx;

	if (h->ops->adv_report)
		h->ops->adv_report(h->ctx, r);
}

static void handle_event(struct hci *h, uint8_t code, const uint8_t *p, size_t plen)
{
	switch (code) {
	case HCI_EV_CMD_COMPLETE:
		/* ncmd(1) opcode(2) return parameters (status first, for our commands) */
		if (plen < 3) {
			h->stats.malformed++;
			return;
		}
		command_done(h, p[0], get_le16(p + 1), plen > 3 ? p[3] : 0, p + 3, plen - 3);
		break;
	case HCI_EV_CMD_STATUS:
		/* status(1) ncmd(1) opcode(2) */
		if (plen < 4) {
			h->stats.malformed++;
			return;
		}
		command_done(h, p[1], get_le16(p + 2), p[0], NULL, 0);
		break;
	case HCI_EV_LE_META:
		if (plen < 1) {
			h->stats.malformed++;
			return;
		}
		if (p[0] == HCI_LE_ADV_REPORT) {
			if (hci_parse_adv_reports(p + 1, plen - 1, adv_report_fn, h) < 0)
				h->stats.malformed++;
		} else if (p[0] == HCI_LE_EXT_ADV_REPORT) {
			if (hci_parse_ext_adv_reports(p + 1, plen - 1, adv_report_fn, h) < 0)
				h->stats.malformed++;
		} else if (p[0] == HCI_LE_ADV_SET_TERMINATED) {
			/* Status, Advertising_Handle, Connection_Handle(2),
			 * Num_Completed_Extended_Advertising_Events */
			if (plen != 6)
				h->stats.malformed++;
			else if (h->ops->adv_set_terminated)
				h->ops->adv_set_terminated(h->ctx, p[1], p[2], p[5]);
		}
		break;
	default:
		break;
	}
}

void hci_receive(struct hci *h, uint64_t now, const uint8_t *pkt, size_t len)
{
	h->now = now;
	if (len >= 1 && pkt[0] == H4_CMD) {
		/* opcode(2) plen(1) parameters */
		if (len < 4 || (size_t)pkt[3] != len - 4)
			h->stats.malformed++;
		else if (h->ops->foreign_cmd)
			h->ops->foreign_cmd(h->ctx, get_le16(pkt + 1), pkt + 4, pkt[3]);
		return;
	}
	if (len < 1 || pkt[0] != H4_EVT)
		return; /* ACL and others: not ours */
	h->stats.events++;
	if (len < 3 || (size_t)pkt[2] != len - 3) {
		h->stats.malformed++;
		return;
	}
	handle_event(h, pkt[1], pkt + 3, pkt[2]);
}

/* Commands in flight expire HCI_CMD_TIMEOUT_MS after they were sent. Commands
 * waiting for credits expire only while nothing is in flight: then nothing
 * will ever hand out a credit (Num_HCI_Command_Packets was 0). */
uint64_t hci_next_deadline(const struct hci *h)
{
	uint64_t d = NO_DEADLINE;
	unsigned n = h->sent ? h->sent : h->count;

	for (unsigned i = 0; i < n; i++)
		d = min_deadline(d, h->queue[i].deadline);
	return d;
}

static bool expire_one(struct hci *h, uint64_t now)
{
	unsigned n = h->sent ? h->sent : h->count;

	for (unsigned i = 0; i < n; i++) {
		if (h->queue[i].deadline <= now) {
			h->stats.timeouts++;
			if (i < h->sent)
				h->credits = 1; /* a silent controller gives no credits back */
			finish(h, i, -ETIMEDOUT, NULL, 0);
			return true;
		}
	}
	return false;
}

void hci_tick(struct hci *h, uint64_t now)
{
	h->now = now;
	while (expire_one(h, now))
		transmit(h, now);
	transmit(h, now);
}

/* ---- controller set-up ---- */

/* Why a shared raw socket gets no Set Event Mask and no LE Set Event Mask:
 * HCI has no command to read the masks back, so whatever we wrote would
 * replace the kernel's, and the kernel would stop getting the events it lives
 * on (Disconnection Complete, LE Connection Complete...) until the next power
 * cycle. Nor do we need to: the kernel's masks always include LE Meta and
 * the advertising report events of the scanning it does itself (LE
 * Advertising Report, or LE Extended Advertising Report and LE Advertising
 * Set Terminated once it uses the extended commands, which it does whenever
 * the controller has them, as we do), and the raw socket hears every event.
 * The exclusive transports (user channel, Unix socket, tty) have nobody to
 * share with: they reset the controller and set exactly the masks we need. */
enum setup_step {
	STEP_RESET,
	STEP_VERSION,
	STEP_COMMANDS,
	STEP_NUM_SETS,
	STEP_EVENT_MASK,
	STEP_LE_EVENT_MASK,
	STEP_SCAN_PARAMS,
	STEP_DONE,
};

static const uint16_t step_opcode[] = {
	[STEP_RESET] = HCI_OP_RESET,
	[STEP_VERSION] = HCI_OP_READ_LOCAL_VERSION,
	[STEP_COMMANDS] = HCI_OP_READ_LOCAL_COMMANDS,
	[STEP_NUM_SETS] = HCI_OP_LE_READ_NUM_ADV_SETS,
	[STEP_EVENT_MASK] = HCI_OP_SET_EVENT_MASK,
	[STEP_LE_EVENT_MASK] = HCI_OP_LE_SET_EVENT_MASK,
	[STEP_SCAN_PARAMS] = HCI_OP_LE_SET_SCAN_PARAMS, /* or the extended one */
};

static bool supported(const uint8_t *cmds, size_t len, unsigned bit)
{
	return bit / 8 < len && (cmds[bit / 8] & (1u << (bit % 8)));
}

static bool step_skipped(const struct hci_setup *s, unsigned step)
{
	switch (step) {
	case STEP_RESET:
	case STEP_EVENT_MASK:
	case STEP_LE_EVENT_MASK:
		return !s->exclusive;
	case STEP_NUM_SETS:
		return !s->ext_adv;
	default:
		return false;
	}
}

uint8_t hci_scan_params(uint8_t *p, bool ext, uint16_t interval)
{
	/* passive; interval = window, so the radio listens all the time */
	if (ext) {
		p[0] = 0x00; /* own address public */
		p[1] = 0x00; /* accept all */
		p[2] = 0x01; /* Scanning_PHYs: LE 1M */
		p[3] = 0x00; /* passive */
		put_le16(p + 4, interval);
		put_le16(p + 6, interval);
		return 8;
	}
	p[0] = 0x00; /* passive */
	put_le16(p + 1, interval);
	put_le16(p + 3, interval);
	p[5] = 0x00; /* own address public */
	p[6] = 0x00; /* accept all */
	return 7;
}

uint8_t hci_scan_enable(uint8_t *p, bool ext, bool enable)
{
	p[0] = enable ? 0x01 : 0x00;
	p[1] = 0x00; /* no duplicate filtering: mesh needs every packet */
	if (!ext)
		return 2;
	put_le16(p + 2, 0); /* Duration: until disabled */
	put_le16(p + 4, 0); /* Period */
	return 6;
}

static void setup_next(struct hci_setup *s);

static void setup_cmd_done(void *ctx, uint16_t opcode, int status, const uint8_t *rp, size_t rlen)
{
	struct hci_setup *s = ctx;

	if (opcode == HCI_OP_READ_LOCAL_COMMANDS && status > 0) {
		status = 0; /* a 1.1 controller: the legacy commands then */
		rlen = 0;
	}
	if (status != 0) {
		s->done(s->ctx, status, opcode);
		return;
	}
	if (opcode == HCI_OP_READ_LOCAL_VERSION && rlen >= 9) {
		/* status, hci_ver, hci_rev(2), lmp_ver, manufacturer(2), lmp_subver(2) */
		s->hci_version = rp[1];
		s->manufacturer = get_le16(rp + 5);
	} else if (opcode == HCI_OP_READ_LOCAL_COMMANDS) {
		const uint8_t *c = rlen > 1 ? rp + 1 : NULL;
		size_t n = rlen > 1 ? rlen - 1 : 0;

		s->ext_scan = supported(c, n, HCI_SUP_LE_SET_EXT_SCAN_PARAMS) &&
			      supported(c, n, HCI_SUP_LE_SET_EXT_SCAN_ENABLE);
		s->ext_adv = supported(c, n, HCI_SUP_LE_SET_EXT_ADV_PARAMS) &&
			     supported(c, n, HCI_SUP_LE_SET_EXT_ADV_DATA) &&
			     supported(c, n, HCI_SUP_LE_SET_EXT_ADV_ENABLE) &&
			     supported(c, n, HCI_SUP_LE_READ_NUM_ADV_SETS) &&
			     supported(c, n, HCI_SUP_LE_REMOVE_ADV_SET);
	} else if (opcode == HCI_OP_LE_READ_NUM_ADV_SETS) {
		s->num_adv_sets = rlen >= 2 ? rp[1] : 0;
		if (s->num_adv_sets == 0)
			s->ext_adv = false;
	}
	s->step++;
	setup_next(s);
}

static void setup_next(struct hci_setup *s)
{
	uint8_t p[8];
	uint8_t plen = 0;
	uint16_t op;

	while (s->step < STEP_DONE && step_skipped(s, s->step))
		s->step++;
	if (s->step >= STEP_DONE) {
		s->done(s->ctx, 0, 0);
		return;
	}
	op = step_opcode[s->step];
	switch (s->step) {
	case STEP_EVENT_MASK:
		/* Hardware Error (bit 15), Data Buffer Overflow (bit 25), LE Meta (bit 61);
		 * Command Complete/Status are always delivered */
		memset(p, 0, 8);
		p[1] = 0x80;
		p[3] = 0x02;
		p[7] = 0x20;
		plen = 8;
		break;
	case STEP_LE_EVENT_MASK:
		memset(p, 0, 8);
		p[0] = 0x02;     /* LE Advertising Report (bit 1) */
		if (s->ext_scan)
			p[1] |= 0x10; /* LE Extended Advertising Report (bit 12) */
		if (s->ext_adv)
			p[2] |= 0x02; /* LE Advertising Set Terminated (bit 17) */
		plen = 8;
		break;
	case STEP_SCAN_PARAMS:
		if (s->ext_scan)
			op = HCI_OP_LE_SET_EXT_SCAN_PARAMS;
		plen = hci_scan_params(p, s->ext_scan, s->scan_interval);
		break;
	default:
		break;
	}
	if (hci_send_cmd(s->hci, hci_now(s->hci), op, p, plen, setup_cmd_done, s) < 0)
		s->done(s->ctx, -ENOSPC, op);
}

void hci_setup_start(struct hci_setup *s, struct hci *h, uint64_t now, bool exclusive,
		     void (*done)(void *ctx, int status, uint16_t failed_opcode), void *ctx)
{
	memset(s, 0, sizeof(*s));
	s->hci = h;
	s->exclusive = exclusive;
	s->scan_interval = 0x0030; /* 30 ms, window the same */
	s->done = done;
	s->ctx = ctx;
	h->now = now;
	setup_next(s);
}

const char *hci_opcode_name(uint16_t opcode)
{
	switch (opcode) {
	case HCI_OP_RESET: return "HCI_Reset";
	case HCI_OP_SET_EVENT_MASK: return "HCI_Set_Event_Mask";
	case HCI_OP_READ_LOCAL_VERSION: return "HCI_Read_Local_Version_Information";
	case HCI_OP_READ_LOCAL_COMMANDS: return "HCI_Read_Local_Supported_Commands";
	case HCI_OP_READ_BD_ADDR: return "HCI_Read_BD_ADDR";
	case HCI_OP_LE_SET_EVENT_MASK: return "HCI_LE_Set_Event_Mask";
	case HCI_OP_LE_SET_RANDOM_ADDR: return "HCI_LE_Set_Random_Address";
	case HCI_OP_LE_SET_ADV_PARAMS: return "HCI_LE_Set_Advertising_Parameters";
	case HCI_OP_LE_SET_ADV_DATA: return "HCI_LE_Set_Advertising_Data";
	case HCI_OP_LE_SET_ADV_ENABLE: return "HCI_LE_Set_Advertising_Enable";
	case HCI_OP_LE_SET_SCAN_PARAMS: return "HCI_LE_Set_Scan_Parameters";
	case HCI_OP_LE_SET_SCAN_ENABLE: return "HCI_LE_Set_Scan_Enable";
	case HCI_OP_LE_SET_EXT_ADV_PARAMS: return "HCI_LE_Set_Extended_Advertising_Parameters";
	case HCI_OP_LE_SET_EXT_ADV_DATA: return "HCI_LE_Set_Extended_Advertising_Data";
	case HCI_OP_LE_SET_EXT_ADV_ENABLE: return "HCI_LE_Set_Extended_Advertising_Enable";
	case HCI_OP_LE_READ_NUM_ADV_SETS: return "HCI_LE_Read_Number_of_Supported_Advertising_Sets";
	case HCI_OP_LE_REMOVE_ADV_SET: return "HCI_LE_Remove_Advertising_Set";
	case HCI_OP_LE_SET_EXT_SCAN_PARAMS: return "HCI_LE_Set_Extended_Scan_Parameters";
	case HCI_OP_LE_SET_EXT_SCAN_ENABLE: return "HCI_LE_Set_Extended_Scan_Enable";
	default: return "HCI command";
	}
}
