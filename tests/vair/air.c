/* The virtual air: LE controller emulation and the shared radio medium.
 *
 * Each connection is one controller. Commands are answered at once with
 * Command Complete (Num_HCI_Command_Packets 1). An enabled advertiser makes
 * one advertising event at once and then one every advertising interval plus
 * a random 0-10 ms advDelay; each event is scheduled for delivery to every
 * other controller that is scanning (loss, latency, jitter, airtime), and a
 * receiver reports what is due in LE Advertising Report events, several
 * reports per event when several are due together. Semantics follow BlueZ's
 * emulator (emulator/btdev.c): Command Disallowed for an enable that is
 * already in the requested state, for advertising parameters while
 * advertising and for scan parameters while scanning; a scan enable reports
 * the advertisers that are on the air at that moment.
 *
 * Airtime (Core 6.B.4.4.2): an advertising event sends its PDU once on each
 * channel of its channel map, ADV_PDU_GAP_S apart, each PDU taking 8 us an
 * octet (preamble, access address, header, AdvA, data, CRC) at LE 1M; a
 * scanner listens on one primary channel, the next one every scan interval,
 * and hears an event when that channel's PDU has ended. One controller has
 * one radio: an event of one set that falls due while another set's event is
 * on the air starts when that one ends (counted in deferred_events). The
 * events of the accepted connections' controllers (the hosts under test) are
 * counted apart: advertisements started (one a mesh PDU), events, airtime.
 * With btdev_legacy a legacy advertisement is heard once, when enabled, as
 * BlueZ's btvirt has it (its le_set_adv_enable_complete), so that timings
 * can be compared with btvirt's; the air time is counted all the same.
 *
 * Extended advertising and scanning (Core 5.0) are modelled for legacy PDUs:
 * up to cfg.adv_sets (AIR_DEFAULT_ADV_SETS, at most AIR_MAX_ADV_SETS)
 * advertising sets with legacy properties, each stopping
 * after its Max_Extended_Advertising_Events with LE Advertising Set
 * Terminated, and extended scanning, which reports in LE Extended
 * Advertising Report events. Like hardware (and unlike btvirt), a controller
 * refuses the legacy advertising/scanning commands once an extended one was
 * used and the other way round (Command Disallowed) until HCI_Reset; with
 * legacy_only it offers no extended commands at all. */
#include "air.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "h4.h"
#include "hci.h"
#include "rng.h"
#include "util.h"

#define OP_READ_LOCAL_COMMANDS HCI_OP(0x04, 0x0002)
#define OP_READ_LOCAL_FEATURES HCI_OP(0x04, 0x0003)
#define OP_LE_READ_BUFFER_SIZE HCI_OP(0x08, 0x0002)
#define OP_LE_READ_LOCAL_FEATURES HCI_OP(0x08, 0x0003)
#define OP_LE_READ_ADV_TX_POWER HCI_OP(0x08, 0x0007)
#define OP_LE_SET_SCAN_RSP_DATA HCI_OP(0x08, 0x0009)

#define ERR_UNSUPPORTED 0x11
#define ERR_INVALID_PARAMS 0x12

#define MAX_CTRLS 256
#define OUT_SOFT_LIMIT (256u * 1024u) /* reports are dropped beyond this backlog */
#define OUT_HARD_LIMIT (1024u * 1024u) /* a host this far behind is disconnected */
#define RXQ_MAX 4096                   /* pending deliveries per receiver */
#define SEEN_MAX 1024                  /* Filter_Duplicates memory */
#define ADV_DELAY_MAX_MS 10
#define MAX_REPORTS_PER_EVENT 25
#define AIR_OVERHEAD_OCTETS 16         /* preamble 1, access address 4, header 2, AdvA 6, CRC 3 */
#define ADV_PDU_GAP_S 0.00015          /* from the end of one channel's PDU to the next
					* one's start: the radio's channel change */
#define SCAN_RSP_EXTRA_S 0.0005        /* SCAN_REQ + two T_IFS before a SCAN_RSP */

struct report {
	struct report *next;
	double due;
	uint8_t evt_type;
	uint8_t addr_type;
	uint8_t addr[6];
	int8_t rssi;
	uint8_t data_len;
	uint8_t data[31];
};

struct seen {
	uint8_t evt_type;
	uint8_t addr_type;
	uint8_t addr[6];
	uint8_t data_len;
	uint8_t data[31];
};

/* One advertisement: the legacy one, or an extended advertising set. */
struct advset {
	struct ctrl *c;
	bool used;              /* extended: created; the legacy one: always */
	uint8_t handle;
	uint16_t int_min, int_max;
	uint8_t type;           /* legacy PDU type, 0x00-0x04 (ADV_IND...) */
	uint8_t own_addr_type;
	uint8_t direct_addr_type;
	uint8_t direct_addr[6];
	uint8_t chan_map;
	uint8_t filter;
	uint8_t data_len;
	uint8_t data[31];
	bool enable;
	unsigned max_events;    /* extended: stop after this many (0: no limit) */
	unsigned events;
	unsigned long wait_seq; /* its place in the queue for the radio (0: not waiting) */
	ev_timer timer;
};

enum cmd_kind { KIND_ANY, KIND_LEGACY, KIND_EXT };

struct ctrl {
	struct air *air;
	struct ctrl *next;
	unsigned id;
	int fd;
	bool dead;
	bool local;             /* a simulated device's, not an accepted connection */
	unsigned long wait_seq; /* sets that waited for the radio so far */
	unsigned long reports, report_events, multi_report_events;
	ev_io rio, wio;
	ev_timer rx_timer;
	uint8_t *out;
	size_t out_len, out_cap;

	uint8_t bdaddr[6];      /* wire order */
	uint8_t random_addr[6];
	uint8_t event_mask[8];
	uint8_t le_event_mask[8];

	/* advertising */
	struct advset adv;      /* the legacy commands' */
	struct advset sets[AIR_MAX_ADV_SETS];
	uint8_t scan_rsp_len;
	uint8_t scan_rsp[31];
	double radio_free;       /* the advertising event on the air ends then */
	enum cmd_kind kind_used; /* legacy or extended advertising/scanning, once used */
	uint8_t cmd_plen;        /* of the command being handled */

	/* scanning */
	uint8_t scan_type;
	uint16_t scan_interval, scan_window;
	uint8_t scan_own_addr_type;
	uint8_t scan_filter;
	bool scan_enable;
	bool filter_dup;
	bool scan_ext;          /* enabled with the extended command: extended reports */
	double scan_start;
	struct seen *seen;
	size_t nseen;
	struct report *rxq; /* sorted by due */
	size_t rxq_len;

	struct h4_parser parser; /* large: last */
};

struct air {
	struct ev_loop *loop;
	struct air_config cfg;
	struct rng rng;
	struct ctrl *ctrls;
	unsigned nctrls; /* live ones */
	unsigned next_id;
	int listen_fd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	ev_io accept_io;
	ev_prepare reaper;
	struct air_stats stats;
};

static void vlog(const struct air *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void vlog(const struct air *a, const char *fmt, ...)
{
	va_list ap;

	if (!a->cfg.verbose)
		return;
	fprintf(stderr, "vair: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void addr_str(const uint8_t wire[6], char out[18])
{
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", wire[5], wire[4], wire[3], wire[2],
		 wire[1], wire[0]);
}

static bool addr_zero(const uint8_t a[6])
{
	static const uint8_t z[6];

	return !memcmp(a, z, 6);
}

/* ---- connections ---- */

static void ctrl_kill(struct ctrl *c, const char *why)
{
	struct air *a = c->air;
	char as[18];

	if (c->dead)
		return;
	addr_str(c->bdaddr, as);
	vlog(a, "controller %u (%s) disconnected: %s", c->id, as, why);
	/* what its host was sent: tests compare it with what the host counted */
	fprintf(stderr,
		"vair: controller %u %s %s closed: reports=%lu report_events=%lu "
		"multi_report_events=%lu\n",
		c->id, as, c->local ? "device" : "client", c->reports, c->report_events,
		c->multi_report_events);
	c->dead = true;
	ev_io_stop(a->loop, &c->rio);
	ev_io_stop(a->loop, &c->wio);
	ev_timer_stop(a->loop, &c->adv.timer);
	for (unsigned i = 0; i < AIR_MAX_ADV_SETS; i++)
		ev_timer_stop(a->loop, &c->sets[i].timer);
	ev_timer_stop(a->loop, &c->rx_timer);
	close(c->fd);
	c->fd = -1;
	a->nctrls--;
	/* freed before the loop next blocks, when no callback can still hold it */
	ev_prepare_start(a->loop, &a->reaper);
}

static void rxq_clear(struct ctrl *c)
{
	while (c->rxq) {
		struct report *r = c->rxq;

		c->rxq = r->next;
		free(r);
	}
	c->rxq_len = 0;
}

static void ctrl_free(struct ctrl *c)
{
	rxq_clear(c);
	free(c->seen);
	free(c->out);
	free(c);
}

static void on_reap(struct ev_loop *loop, ev_prepare *w, int revents)
{
	struct air *a = w->data;
	struct ctrl **pp = &a->ctrls;

	(void)revents;
	while (*pp) {
		struct ctrl *c = *pp;

		if (c->dead) {
			*pp = c->next;
			ctrl_free(c);
		} else {
			pp = &c->next;
		}
	}
	ev_prepare_stop(loop, w);
}

/* Queue or send bytes to the host. droppable: an advertising report, which a
 * controller drops when its host falls behind. False when not sent. */
static bool ctrl_write(struct ctrl *c, const uint8_t *pkt, size_t len, bool droppable)
{
	if (c->dead)
		return false;
	if (c->out_len == 0) {
		ssize_t n = send(c->fd, pkt, len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
				ctrl_kill(c, strerror(errno));
				return false;
			}
			n = 0;
		}
		if ((size_t)n == len)
			return true;
		/* a partial packet must be completed, whatever it is */
		pkt += n;
		len -= (size_t)n;
	} else if (droppable && c->out_len + len > OUT_SOFT_LIMIT) {
		return false;
	}
	if (c->out_len + len > OUT_HARD_LIMIT) {
		ctrl_kill(c, "host does not read its events");
		return false;
	}
	if (c->out_len + len > c->out_cap) {
		size_t cap = c->out_cap ? c->out_cap : 4096;
		uint8_t *nb;

		while (cap < c->out_len + len)
			cap *= 2;
		nb = realloc(c->out, cap);
		if (!nb) {
			ctrl_kill(c, "out of memory");
			return false;
		}
		c->out = nb;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, pkt, len);
	c->out_len += len;
	ev_io_start(c->air->loop, &c->wio);
	return true;
}

static void on_writable(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ctrl *c = w->data;
	ssize_t n;

	(void)revents;
	n = send(c->fd, c->out, c->out_len, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			ctrl_kill(c, strerror(errno));
		return;
	}
	memmove(c->out, c->out + n, c->out_len - (size_t)n);
	c->out_len -= (size_t)n;
	if (c->out_len == 0)
		ev_io_stop(loop, w);
}

static bool send_event(struct ctrl *c, uint8_t code, const uint8_t *p, size_t plen, bool droppable)
{
	uint8_t pkt[3 + 255];

	if (plen > 255)
		return false;
	pkt[0] = H4_EVT;
	pkt[1] = code;
	pkt[2] = (uint8_t)plen;
	memcpy(pkt + 3, p, plen);
	return ctrl_write(c, pkt, 3 + plen, droppable);
}

static void cmd_complete(struct ctrl *c, uint16_t op, const uint8_t *rp, size_t rlen)
{
	uint8_t p[255];

	p[0] = 1; /* Num_HCI_Command_Packets */
	put_le16(p + 1, op);
	memcpy(p + 3, rp, rlen);
	vlog(c->air, "controller %u: %s (0x%04x) -> status 0x%02x", c->id, hci_opcode_name(op), op,
	     rp[0]);
	send_event(c, HCI_EV_CMD_COMPLETE, p, 3 + rlen, false);
}

static void cmd_status(struct ctrl *c, uint16_t op, uint8_t status)
{
	cmd_complete(c, op, &status, 1);
}

static bool le_event_enabled(const struct ctrl *c, uint8_t subevent)
{
	unsigned bit = subevent - 1u;

	return (c->event_mask[7] & 0x20) && /* LE Meta event, bit 61 */
	       (c->le_event_mask[bit / 8] & (1u << (bit % 8)));
}

/* ---- reception ---- */

static void rx_arm(struct ctrl *c)
{
	struct air *a = c->air;
	double after;

	ev_timer_stop(a->loop, &c->rx_timer);
	if (!c->rxq)
		return;
	after = c->rxq->due + a->cfg.batch_ms / 1000.0 - ev_now(a->loop);
	ev_timer_set(&c->rx_timer, after > 0 ? after : 0.0, 0.0);
	ev_timer_start(a->loop, &c->rx_timer);
}

static bool seen_before(struct ctrl *c, const struct report *r)
{
	for (size_t i = 0; i < c->nseen; i++) {
		const struct seen *s = &c->seen[i];

		if (s->evt_type == r->evt_type && s->addr_type == r->addr_type &&
		    !memcmp(s->addr, r->addr, 6) && s->data_len == r->data_len &&
		    !memcmp(s->data, r->data, r->data_len))
			return true;
	}
	if (c->nseen < SEEN_MAX) {
		struct seen *s;

		if (!c->seen) {
			c->seen = calloc(SEEN_MAX, sizeof(*c->seen));
			if (!c->seen)
				return false;
		}
		s = &c->seen[c->nseen++];
		s->evt_type = r->evt_type;
		s->addr_type = r->addr_type;
		memcpy(s->addr, r->addr, 6);
		s->data_len = r->data_len;
		memcpy(s->data, r->data, r->data_len);
	}
	return false;
}

/* Send one LE (Extended) Advertising Report event with the n reports in ev[2..off). */
static void flush_reports(struct ctrl *c, uint8_t *ev, size_t off, unsigned n)
{
	struct air *a = c->air;

	if (n == 0)
		return;
	ev[0] = c->scan_ext ? HCI_LE_EXT_ADV_REPORT : HCI_LE_ADV_REPORT;
	ev[1] = (uint8_t)n;
	if (send_event(c, HCI_EV_LE_META, ev, off, true)) {
		a->stats.report_events++;
		a->stats.reports += n;
		c->report_events++;
		c->reports += n;
		if (n > 1) {
			a->stats.multi_report_events++;
			c->multi_report_events++;
		}
	} else {
		a->stats.overflow += n;
	}
}

/* One report of an LE Extended Advertising Report (7.7.65.13), a legacy PDU. */
static void put_ext_report(uint8_t *p, const struct report *r)
{
	static const uint16_t legacy[] = { 0x0013, 0x0015, 0x0012, 0x0010, 0x001b };

	put_le16(p, legacy[r->evt_type <= 4 ? r->evt_type : 3]);
	p[2] = r->addr_type;
	memcpy(p + 3, r->addr, 6);
	p[9] = 0x01;  /* primary PHY: LE 1M */
	p[10] = 0x00; /* no secondary PHY */
	p[11] = 0xff; /* no ADI */
	p[12] = 0x7f; /* TX power not available */
	p[13] = (uint8_t)r->rssi;
	put_le16(p + 14, 0); /* no periodic advertising */
	p[16] = 0x00;
	memset(p + 17, 0, 6);
	p[23] = r->data_len;
	memcpy(p + 24, r->data, r->data_len);
}

static void on_rx_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct ctrl *c = w->data;
	struct air *a = c->air;
	double now = ev_now(loop);
	uint8_t ev[255];
	size_t off = 2;
	unsigned n = 0;

	(void)revents;
	while (c->rxq && c->rxq->due <= now + 1e-9 && !c->dead) {
		struct report *r = c->rxq;
		size_t need = (c->scan_ext ? 24u : 10u) + r->data_len;

		c->rxq = r->next;
		c->rxq_len--;
		if (!c->scan_enable) {
			free(r);
			continue;
		}
		if (!le_event_enabled(c, c->scan_ext ? HCI_LE_EXT_ADV_REPORT : HCI_LE_ADV_REPORT)) {
			a->stats.masked++;
			free(r);
			continue;
		}
		if (c->filter_dup && seen_before(c, r)) {
			a->stats.dup_filtered++;
			free(r);
			continue;
		}
		if (n == MAX_REPORTS_PER_EVENT || off + need > sizeof(ev)) {
			flush_reports(c, ev, off, n);
			off = 2;
			n = 0;
		}
		if (c->scan_ext) {
			put_ext_report(ev + off, r);
		} else {
			/* per report: type, address type, address, length, data, RSSI */
			ev[off] = r->evt_type;
			ev[off + 1] = r->addr_type;
			memcpy(ev + off + 2, r->addr, 6);
			ev[off + 8] = r->data_len;
			memcpy(ev + off + 9, r->data, r->data_len);
			ev[off + 9 + r->data_len] = (uint8_t)r->rssi;
		}
		off += need;
		n++;
		free(r);
	}
	if (!c->dead)
		flush_reports(c, ev, off, n);
	if (!c->dead)
		rx_arm(c);
}

/* Is a receiver listening at time t? (scan window within the scan interval) */
static bool in_scan_window(const struct ctrl *r, double t)
{
	uint64_t us, interval_us;

	if (r->scan_window >= r->scan_interval)
		return true;
	if (t < r->scan_start)
		return false;
	us = (uint64_t)((t - r->scan_start) * 1e6);
	interval_us = (uint64_t)r->scan_interval * 625u;
	return us % interval_us < (uint64_t)r->scan_window * 625u;
}

/* One legacy advertising PDU with data_len octets of data on the air, LE 1M. */
static double pdu_airtime(uint8_t data_len)
{
	return (AIR_OVERHEAD_OCTETS + data_len) * 8e-6;
}

/* Schedule one advertising PDU for reception by r, through the air model;
 * at: when, after now, the PDU that r hears has ended on the air. */
static void deliver(struct ctrl *r, double now, double at, uint8_t evt_type, uint8_t addr_type,
		    const uint8_t addr[6], const uint8_t *data, uint8_t data_len)
{
	struct air *a = r->air;
	struct report *rep, **pp;
	double delay;
	double loss = r->local && a->cfg.loss_dev_set ? a->cfg.loss_dev : a->cfg.loss;

	a->stats.deliveries++;
	if (loss > 0 && rng_unit(&a->rng) < loss) {
		a->stats.lost++;
		return;
	}
	delay = a->cfg.latency_ms / 1000.0;
	if (a->cfg.jitter_ms > 0)
		delay += (rng_unit(&a->rng) * 2.0 - 1.0) * a->cfg.jitter_ms / 1000.0;
	if (delay < 0)
		delay = 0;
	delay += at;
	if (!in_scan_window(r, now + delay)) {
		a->stats.lost++;
		return;
	}
	if (r->rxq_len >= RXQ_MAX) {
		a->stats.overflow++;
		return;
	}
	rep = calloc(1, sizeof(*rep));
	if (!rep) {
		a->stats.overflow++;
		return;
	}
	rep->due = now + delay;
	rep->evt_type = evt_type;
	rep->addr_type = addr_type;
	memcpy(rep->addr, addr, 6);
	rep->data_len = data_len;
	memcpy(rep->data, data, data_len);
	if (a->cfg.rssi_unknown) {
		rep->rssi = HCI_RSSI_UNKNOWN;
	} else {
		int v = a->cfg.rssi + rng_range(&a->rng, -5, 5);

		rep->rssi = (int8_t)(v < -127 ? -127 : v > 20 ? 20 : v);
	}
	for (pp = &r->rxq; *pp && (*pp)->due <= rep->due; pp = &(*pp)->next)
		;
	rep->next = *pp;
	*pp = rep;
	r->rxq_len++;
	if (r->rxq == rep)
		rx_arm(r);
}

static uint8_t report_type(uint8_t adv_type)
{
	/* ADV_DIRECT_IND, high or low duty cycle, both report as 0x01 */
	return adv_type == 0x04 ? 0x01 : adv_type;
}

static const uint8_t *scanner_addr(const struct ctrl *c)
{
	return (c->scan_own_addr_type & 1) ? c->random_addr : c->bdaddr;
}

/* The primary channel (0: 37, 1: 38, 2: 39) r listens on at time t: the
 * next one every scan interval. */
static unsigned scan_channel(const struct ctrl *r, double t)
{
	double interval = r->scan_interval * 0.000625;

	if (t <= r->scan_start)
		return 0;
	return (unsigned)((t - r->scan_start) / interval) % 3u;
}

/* How long an advertising event of s takes: its PDU on each channel of its
 * map, ADV_PDU_GAP_S between them. */
static double event_airtime(const struct advset *s)
{
	unsigned nch = (unsigned)__builtin_popcount(s->chan_map & 0x07);
	uint8_t len = s->type == 0x01 || s->type == 0x04 ? 6 : s->data_len; /* TargetA */

	if (nch == 0)
		nch = 3;
	return nch * pdu_airtime(len) + (nch - 1) * ADV_PDU_GAP_S;
}

/* One advertising event of the set s, started at now, as heard by the scanner r. */
static void transmit_to(struct advset *s, struct ctrl *r, double now)
{
	struct ctrl *adv = s->c;
	bool directed = s->type == 0x01 || s->type == 0x04;
	const uint8_t *addr = (s->own_addr_type & 1) ? adv->random_addr : adv->bdaddr;
	uint8_t addr_type = s->own_addr_type & 1;
	unsigned ch = scan_channel(r, now), pos = 0;
	uint8_t len = directed ? 6 : s->data_len;
	double at;

	/* the event sends on its channels in order: which one is r's? */
	if (!(s->chan_map & (1u << ch)))
		return; /* not on the channel r listens on */
	for (unsigned i = 0; i < ch; i++)
		if (s->chan_map & (1u << i))
			pos++;
	at = pos * (pdu_airtime(len) + ADV_PDU_GAP_S) + pdu_airtime(len);
	if (directed) {
		if ((r->scan_own_addr_type & 1) != s->direct_addr_type ||
		    memcmp(scanner_addr(r), s->direct_addr, 6))
			return;
		deliver(r, now, at, 0x01, addr_type, addr, NULL, 0);
		return;
	}
	deliver(r, now, at, report_type(s->type), addr_type, addr, s->data, s->data_len);
	/* an active scanner gets the scan response of a scannable advertiser */
	if (r->scan_type == 0x01 && s == &adv->adv && (s->type == 0x00 || s->type == 0x02))
		deliver(r, now, at + SCAN_RSP_EXTRA_S + pdu_airtime(adv->scan_rsp_len), 0x04,
			addr_type, addr, adv->scan_rsp, adv->scan_rsp_len);
}

static void adv_event(struct advset *s)
{
	struct air *a = s->c->air;
	double now = ev_now(a->loop), len = event_airtime(s);

	s->c->radio_free = now + len;
	a->stats.adv_events++;
	a->stats.airtime_s += len;
	if (!s->c->local) {
		a->stats.host_adv_events++;
		a->stats.host_airtime_s += len;
	}
	if (a->cfg.btdev_legacy && s == &s->c->adv && s->events++ > 0)
		return; /* btdev reports a legacy advertisement once, when enabled */
	for (struct ctrl *r = a->ctrls; r; r = r->next)
		if (r != s->c && !r->dead && r->scan_enable)
			transmit_to(s, r, now);
}

static void adv_schedule(struct advset *s)
{
	struct air *a = s->c->air;
	unsigned units = s->int_min < 0x20 ? 0x20 : s->int_min;
	double next = units * 0.000625 + rng_unit(&a->rng) * ADV_DELAY_MAX_MS / 1000.0;

	ev_timer_stop(a->loop, &s->timer);
	ev_timer_set(&s->timer, next, 0.0);
	ev_timer_start(a->loop, &s->timer);
}

/* An extended set that sent its Max_Extended_Advertising_Events stops and
 * says so (LE Advertising Set Terminated, status Limit Reached). */
static bool adv_limit(struct advset *s)
{
	uint8_t ev[6];

	if (s->max_events == 0 || ++s->events < s->max_events)
		return false;
	s->enable = false;
	ev_timer_stop(s->c->air->loop, &s->timer);
	if (!le_event_enabled(s->c, HCI_LE_ADV_SET_TERMINATED))
		return true;
	ev[0] = HCI_LE_ADV_SET_TERMINATED;
	ev[1] = 0x43; /* Limit Reached */
	ev[2] = s->handle;
	put_le16(ev + 3, 0x0000);
	ev[5] = (uint8_t)s->events;
	send_event(s->c, HCI_EV_LE_META, ev, sizeof(ev), false);
	return true;
}

static void adv_due(struct advset *s);

/* The set of c whose event has waited for the radio longest, if it waited
 * longer than s (or s did not wait). */
static struct advset *longest_waiting(struct ctrl *c, const struct advset *s)
{
	struct advset *oldest = NULL;

	for (unsigned i = 0; i < AIR_MAX_ADV_SETS; i++) {
		struct advset *t = &c->sets[i];

		if (t == s || !t->used || !t->enable || t->wait_seq == 0)
			continue;
		if (s->wait_seq != 0 && t->wait_seq >= s->wait_seq)
			continue;
		if (!oldest || t->wait_seq < oldest->wait_seq)
			oldest = t;
	}
	return oldest;
}

static void adv_defer(struct advset *s, double now)
{
	struct air *a = s->c->air;

	a->stats.deferred_events++;
	if (s->wait_seq == 0)
		s->wait_seq = ++s->c->wait_seq; /* an enable's sets in its order */
	ev_timer_stop(a->loop, &s->timer);
	ev_timer_set(&s->timer, s->c->radio_free - now, 0.0);
	ev_timer_start(a->loop, &s->timer);
}

/* An event of s is due: it goes out now, or when the radio is done with
 * another set's event; the next one an interval (and advDelay) later. Sets
 * that waited for the radio get it in the order they began to wait (timers
 * due at the same moment fire in no set order), so that a host's PDUs
 * enabled one after the other, a Transaction ACK and then a Link Close, are
 * heard in that order. */
static void adv_due(struct advset *s)
{
	struct air *a = s->c->air;
	double now = ev_now(a->loop);
	struct advset *first;

	if (s->c->radio_free > now + 1e-9) {
		adv_defer(s, now);
		return;
	}
	first = longest_waiting(s->c, s);
	if (first) {
		ev_timer_stop(a->loop, &first->timer);
		adv_due(first);
		if (s->c->dead)
			return;
		if (s->c->radio_free > now + 1e-9) {
			adv_defer(s, now);
			return;
		}
	}
	s->wait_seq = 0;
	adv_event(s);
	if (!s->c->dead && !adv_limit(s))
		adv_schedule(s);
}

/* The first event goes out at once (when the radio is free), the next after the interval. */
static void adv_start(struct advset *s)
{
	if (!s->c->local)
		s->c->air->stats.host_adv_enables++;
	s->wait_seq = 0; /* an enable restarts the set */
	adv_due(s);
}

static void on_adv_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct advset *s = w->data;

	(void)loop;
	(void)revents;
	if (s->c->dead || !s->enable)
		return;
	adv_due(s);
}

static void advset_reset(struct advset *s)
{
	ev_timer_stop(s->c->air->loop, &s->timer);
	s->used = false;
	s->wait_seq = 0;
	s->int_min = s->int_max = 0x0800;
	s->type = 0x00;
	s->own_addr_type = 0x00;
	s->direct_addr_type = 0x00;
	memset(s->direct_addr, 0, 6);
	s->chan_map = 0x07;
	s->filter = 0x00;
	s->data_len = 0;
	memset(s->data, 0, sizeof(s->data));
	s->enable = false;
	s->max_events = s->events = 0;
}

/* ---- commands ---- */

static void ctrl_reset(struct ctrl *c)
{
	static const uint8_t default_mask[8] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f, 0x00, 0x00 };
	static const uint8_t default_le_mask[8] = { 0x1f };

	ev_timer_stop(c->air->loop, &c->rx_timer);
	rxq_clear(c);
	c->nseen = 0;
	memcpy(c->event_mask, default_mask, 8);
	memcpy(c->le_event_mask, default_le_mask, 8);
	memset(c->random_addr, 0, 6);
	advset_reset(&c->adv);
	c->adv.used = true;
	for (unsigned i = 0; i < AIR_MAX_ADV_SETS; i++)
		advset_reset(&c->sets[i]);
	c->scan_rsp_len = 0;
	memset(c->scan_rsp, 0, sizeof(c->scan_rsp));
	c->kind_used = KIND_ANY;
	c->scan_ext = false;
	c->scan_type = 0x00;
	c->scan_interval = c->scan_window = 0x0010;
	c->scan_own_addr_type = 0x00;
	c->scan_filter = 0x00;
	c->scan_enable = false;
	c->filter_dup = false;
}

static void cmd_reset(struct ctrl *c, uint16_t op, const uint8_t *p)
{
	(void)p;
	ctrl_reset(c);
	cmd_status(c, op, 0);
}

static void cmd_set_event_mask(struct ctrl *c, uint16_t op, const uint8_t *p)
{
	memcpy(c->event_mask, p, 8);
	cmd_status(c, op, 0);
}

static void cmd_read_local_version(struct ctrl *c, uint16_t op, const uint8_t *p)
{
	uint8_t rp[9];

	(void)p;
	rp[0] = 0;
	rp[1] = 0x09;              /* HCI version: Core 5.0 */
	put_le16(rp + 2, 0x0000);  /* HCI revision */
	rp[4] = 0x09;              /* LMP/LL version: 5.0 */
	put_le16(rp + 5, 0x05f1);  /* manufacturer: The Linux Foundation */
	put_le16(rp + 7, 0x0000);  /* subversion */
	cmd_complete(c, op, rp, sizeof(rp));
}

static void cmd_read_local_commands(struct ctrl *c, uint16_t op, const uint8_t *p)
{
	uint8_t rp[1 + 64];

	(void)p;
	memset(rp, 0, sizeof(rp));
	/* octet n of the bit mask is rp[1 + n] */
	rp[1 + 5] = 0x40 | 0x80;        /* Set Event Mask, Reset */
	rp[1 + 14] = 0x08 | 0x10 | 0x20; /* Read Local Version, Supported Commands, Features */
	rp[1 + 15] = 0x02;              /* Read BD_ADDR */
	rp[1 + 25] = 0x01 | 0x02 | 0x04 | 0x10 | 0x20 | 0x40 | 0x80;
	/* LE Set Event Mask, Read Buffer Size, Read Local Features, Set Random Address,
	 * Set Adv Parameters, Read Adv TX Power, Set Adv Data */
	rp[1 + 26] = 0x01 | 0x02 | 0x04 | 0x08;
	/* LE Set Scan Response Data, Set Adv Enable, Set Scan Parameters, Set Scan Enable */
	if (!c->air->cfg.legacy_only) {
		rp[1 + 36] = 0x04 | 0x08 | 0x20 | 0x80;
		/* LE Set Ext Adv Parameters, Data, Enable; Read Number of Supported Adv Sets */
		rp[1 + 37] = 0x01 | 0x02 | 0x20 | 0x40;
		/* LE Remove Adv Set, Clear Adv Sets, Set Ext Scan Parameters, Enable */
	}
	cmd_complete(c, op, rp, sizeof(rp));
}

static void cmd_read_local_features(struct ctrl *c, uint16_t op, const uint8_t *p)
{
	uint8_t rp[1 + 8];

	(void)p;
	memset(rp, 0, sizeof(rp));
	rp[1 + 4] = 0x40 | 0x20; /* LE Supported (Controller), BR/EDR Not Supported */
	cmd_complete(c, op, rp, sizeof(rp));
}

static void cmd_read_bd_addr(struct ctrl *c, uint16_t op, const uint8_t *p)
{
	uint8_t rp[7];

	(void)p;
	rp[0] = 0;
	memcpy(rp + 1, c->bdaddr, 6);
	cmd_complete(c, op, rp, sizeof(rp));
}

static void cmd_le_set_event_mask(struct ctrl *c, uint16_t op, const uint8_t *p)
{
	memcpy(c->le_event_mask, p, 8);
	cmd_status(c, op, 0);
}

static void cmd_le_read_buffer_size(struct ctrl *c, uint16_t op, const uint8_t *p)
{
	uint8_t rp[4];

	(void)p;
	rp[0] = 0;
	put_le16(rp + 1, 27); /* LE ACL data packet length */
	rp[3] = 4;            /* total LE ACL data packets */
	cmd_complete(c, op, rp, sizeof(rp));
}

static void cmd_le_read_local_features(struct ctrl *c, uint16_t op, const uint8_t *p)
{
	uint8_t rp[1 + 8];

	(void)p;
	memset(rp, 0, sizeof(rp));
	cmd_complete(c, op, rp, sizeof(rp));
}

static void cmd_le_set_random_addr(struct ctrl *c, uint16_t op, const uint8_t *p)
{
	/* extended sets have their own random address: only legacy advertising counts */
	if (c->adv.enable || c->scan_enable) {
		cmd_status(c, op, HCI_ERR_COMMAND_DISALLOWED);
		return;
	}
	memcpy(c->random_addr, p, 6);
	cmd_status(c, op, 0);
}

static void cmd_le_set_adv_params(struct ctrl *c, uint16_t op, const uint8_t *p)
{
	uint16_t min = get_le16(p), max = get_le16(p + 2);
	uint8_t type = p[4];

	if (c->adv.enable) {
		cmd_status(c, op, HCI_ERR_COMMAND_DISALLOWED);
		return;
	}
	if (type > 0x04 || p[5] > 0x03 || p[6] > 0x01 || (p[13] & 0x07) == 0 || p[13] > 0x07 ||
	    p[14] > 0x03 ||
	    (type != 0x01 && (min < 0x0020 || max > 0x4000 || min > max))) {
		cmd_status(c, op, ERR_INVALID_PARAMS);
		return;
	}
	c->adv.int_min = min;
	c->adv.int_max = max;
	c->adv.type = type;
	c->adv.own_addr_type = p[5];
	c->adv.direct_addr_type = p[6];
	memcpy(c->adv.direct_addr, p + 7, 6);
	c->adv.chan_map = p[13];
	c->adv.filter = p[14];
	cmd_status(c, op, 0);
}

static void cmd_le_read_adv_tx_power(struct ctrl *c, uint16_t op, const uint8_t *p)
{
	uint8_t rp[2] = { 0, 0 };

	(void)p;
	cmd_complete(c, op, rp, sizeof(rp));
}

static void cmd_le_set_adv_data(struct ctrl *c, uint16_t op, const uint8_t *p)
{
	if (p[0] > 31) {
		cmd_status(c, op, ERR_INVALID_PARAMS);
		return;
	}
	c->adv.data_len = p[0];
	memcpy(c->adv.data, p + 1, 31);
	cmd_status(c, op, 0);
}

static void cmd_le_set_scan_rsp_data(struct ctrl *c, uint16_t op, const uint8_t *p)
{
	if (p[0] > 31) {
		cmd_status(c, op, ERR_INVALID_PARAMS);
		return;
	}
	c->scan_rsp_len = p[0];
	memcpy(c->scan_rsp, p + 1, 31);
	cmd_status(c, op, 0);
}

static void cmd_le_set_adv_enable(struct ctrl *c, uint16_t op, const uint8_t *p)
{
	uint8_t st = 0;

	if (p[0] > 0x01)
		st = ERR_INVALID_PARAMS;
	else if ((p[0] == 0x01) == c->adv.enable)
		st = HCI_ERR_COMMAND_DISALLOWED;
	else if (p[0] && (c->adv.own_addr_type & 1) && addr_zero(c->random_addr))
		st = ERR_INVALID_PARAMS;
	if (st == 0)
		c->adv.enable = p[0] == 0x01;
	cmd_status(c, op, st);
	if (st != 0 || c->dead)
		return;
	if (c->adv.enable) {
		c->adv.events = 0; /* counted for btdev_legacy only (no limit) */
		adv_start(&c->adv);
	}
	else
		ev_timer_stop(c->air->loop, &c->adv.timer);
}

static void cmd_le_set_scan_params(struct ctrl *c, uint16_t op, const uint8_t *p)
{
	uint16_t interval = get_le16(p + 1), window = get_le16(p + 3);

	if (c->scan_enable) {
		cmd_status(c, op, HCI_ERR_COMMAND_DISALLOWED);
		return;
	}
	if (p[0] > 0x01 || interval < 0x0004 || interval > 0x4000 || window < 0x0004 ||
	    window > interval || p[5] > 0x03 || p[6] > 0x03) {
		cmd_status(c, op, ERR_INVALID_PARAMS);
		return;
	}
	c->scan_type = p[0];
	c->scan_interval = interval;
	c->scan_window = window;
	c->scan_own_addr_type = p[5];
	c->scan_filter = p[6];
	cmd_status(c, op, 0);
}

static void cmd_le_set_scan_enable(struct ctrl *c, uint16_t op, const uint8_t *p)
{
	struct air *a = c->air;
	uint8_t st = 0;

	if (p[0] > 0x01 || p[1] > 0x01)
		st = ERR_INVALID_PARAMS;
	else if ((p[0] == 0x01) == c->scan_enable)
		st = HCI_ERR_COMMAND_DISALLOWED;
	else if (p[0] && (c->scan_own_addr_type & 1) && addr_zero(c->random_addr))
		st = ERR_INVALID_PARAMS;
	if (st == 0) {
		c->scan_enable = p[0] == 0x01;
		c->scan_ext = op == HCI_OP_LE_SET_EXT_SCAN_ENABLE;
		c->filter_dup = p[1] == 0x01;
		c->nseen = 0;
		if (c->scan_enable) {
			c->scan_start = ev_now(a->loop);
		} else {
			ev_timer_stop(a->loop, &c->rx_timer);
			rxq_clear(c);
		}
	}
	cmd_status(c, op, st);
	if (st != 0 || c->dead || !c->scan_enable)
		return;
	/* like btvirt: what is on the air now is heard at once */
	for (struct ctrl *adv = a->ctrls; adv; adv = adv->next) {
		if (adv == c || adv->dead)
			continue;
		if (adv->adv.enable)
			transmit_to(&adv->adv, c, ev_now(a->loop));
		for (unsigned i = 0; i < AIR_MAX_ADV_SETS; i++)
			if (adv->sets[i].used && adv->sets[i].enable)
				transmit_to(&adv->sets[i], c, ev_now(a->loop));
	}
}

/* ---- extended advertising and scanning (7.8.53-7.8.65) ---- */

static struct advset *find_set(struct ctrl *c, uint8_t handle)
{
	for (unsigned i = 0; i < AIR_MAX_ADV_SETS; i++)
		if (c->sets[i].used && c->sets[i].handle == handle)
			return &c->sets[i];
	return NULL;
}

static void cmd_le_read_num_adv_sets(struct ctrl *c, uint16_t op, const uint8_t *p)
{
	uint8_t rp[2] = { 0, (uint8_t)c->air->cfg.adv_sets };

	(void)p;
	cmd_complete(c, op, rp, sizeof(rp));
}

static void cmd_le_set_ext_adv_params(struct ctrl *c, uint16_t op, const uint8_t *p)
{
	struct advset *s = find_set(c, p[0]);
	uint8_t rp[2] = { 0, 0 }; /* status, selected TX power 0 dBm */
	uint16_t props = get_le16(p + 1);
	uint32_t min = p[3] | (uint32_t)p[4] << 8 | (uint32_t)p[5] << 16;
	uint32_t max = p[6] | (uint32_t)p[7] << 8 | (uint32_t)p[8] << 16;
	static const struct { uint16_t props; uint8_t type; } legacy[] = {
		{ 0x13, 0x00 }, { 0x15, 0x04 }, { 0x1d, 0x01 }, { 0x12, 0x02 }, { 0x10, 0x03 },
	};
	int type = -1;

	for (size_t i = 0; i < ARRAY_SIZE(legacy); i++)
		if (props == legacy[i].props)
			type = legacy[i].type;
	if (p[0] > 0xef || (p[9] & 0x07) == 0 || p[10] > 0x03 || p[18] > 0x03 ||
	    (type != 0x01 && (min < 0x20 || min > max)))
		rp[0] = ERR_INVALID_PARAMS;
	else if (type < 0)
		rp[0] = ERR_UNSUPPORTED; /* extended PDUs are not modelled */
	else if (s && s->enable)
		rp[0] = HCI_ERR_COMMAND_DISALLOWED;
	if (rp[0] == 0 && !s) {
		for (unsigned i = 0; i < c->air->cfg.adv_sets && !s; i++)
			if (!c->sets[i].used)
				s = &c->sets[i];
		if (!s)
			rp[0] = 0x07; /* Memory Capacity Exceeded */
		else {
			advset_reset(s);
			s->used = true;
			s->handle = p[0];
		}
	}
	if (rp[0] == 0) {
		s->int_min = (uint16_t)(min > 0xffff ? 0xffff : min);
		s->int_max = (uint16_t)(max > 0xffff ? 0xffff : max);
		s->type = (uint8_t)type;
		s->chan_map = p[9];
		s->own_addr_type = p[10];
		s->direct_addr_type = p[11];
		memcpy(s->direct_addr, p + 12, 6);
		s->filter = p[18];
	}
	cmd_complete(c, op, rp, sizeof(rp));
}

static void cmd_le_set_ext_adv_data(struct ctrl *c, uint16_t op, const uint8_t *p)
{
	struct advset *s;

	if (c->cmd_plen < 4 || c->cmd_plen != 4 + p[3]) {
		cmd_status(c, op, ERR_INVALID_PARAMS);
		return;
	}
	s = find_set(c, p[0]);
	if (!s)
		cmd_status(c, op, HCI_ERR_UNKNOWN_ADV_ID);
	else if (p[1] != 0x03 || p[3] > 31) /* legacy PDUs: complete data, 31 octets */
		cmd_status(c, op, ERR_INVALID_PARAMS);
	else {
		s->data_len = p[3];
		memset(s->data, 0, sizeof(s->data));
		memcpy(s->data, p + 4, p[3]);
		cmd_status(c, op, 0);
	}
}

static void cmd_le_set_ext_adv_enable(struct ctrl *c, uint16_t op, const uint8_t *p)
{
	unsigned n;

	if (c->cmd_plen < 2 || p[0] > 0x01 || c->cmd_plen != 2 + 4 * p[1] ||
	    (p[0] && p[1] == 0)) {
		cmd_status(c, op, ERR_INVALID_PARAMS);
		return;
	}
	n = p[1];
	if (n == 0) { /* disable all */
		for (unsigned i = 0; i < AIR_MAX_ADV_SETS; i++) {
			c->sets[i].enable = false;
			ev_timer_stop(c->air->loop, &c->sets[i].timer);
		}
		cmd_status(c, op, 0);
		return;
	}
	/* all or nothing: check every set first */
	for (unsigned i = 0; i < n; i++) {
		struct advset *s = find_set(c, p[2 + 4 * i]);

		if (!s) {
			cmd_status(c, op, HCI_ERR_UNKNOWN_ADV_ID);
			return;
		}
		/* disabling a disabled set "has no effect" (7.8.56) */
		if (p[0] && (s->own_addr_type & 1)) {
			cmd_status(c, op, ERR_INVALID_PARAMS); /* no set random address modelled */
			return;
		}
	}
	cmd_status(c, op, 0);
	for (unsigned i = 0; i < n && !c->dead; i++) {
		struct advset *s = find_set(c, p[2 + 4 * i]);

		if (!p[0]) {
			s->enable = false;
			ev_timer_stop(c->air->loop, &s->timer);
			continue;
		}
		/* enabling an enabled set restarts its count (7.8.56) */
		s->enable = true;
		s->events = 0;
		s->max_events = p[2 + 4 * i + 3];
		adv_start(s);
	}
}

static void cmd_le_remove_adv_set(struct ctrl *c, uint16_t op, const uint8_t *p)
{
	struct advset *s = find_set(c, p[0]);

	if (!s)
		cmd_status(c, op, HCI_ERR_UNKNOWN_ADV_ID);
	else if (s->enable)
		cmd_status(c, op, HCI_ERR_COMMAND_DISALLOWED);
	else {
		advset_reset(s);
		cmd_status(c, op, 0);
	}
}

static void cmd_le_clear_adv_sets(struct ctrl *c, uint16_t op, const uint8_t *p)
{
	(void)p;
	for (unsigned i = 0; i < AIR_MAX_ADV_SETS; i++) {
		if (c->sets[i].used && c->sets[i].enable) {
			cmd_status(c, op, HCI_ERR_COMMAND_DISALLOWED);
			return;
		}
	}
	for (unsigned i = 0; i < AIR_MAX_ADV_SETS; i++)
		advset_reset(&c->sets[i]);
	cmd_status(c, op, 0);
}

static void cmd_le_set_ext_scan_params(struct ctrl *c, uint16_t op, const uint8_t *p)
{
	uint16_t interval, window;

	if (c->cmd_plen < 3 || c->cmd_plen != 3 + 5 * __builtin_popcount(p[2])) {
		cmd_status(c, op, ERR_INVALID_PARAMS);
		return;
	}
	if (c->scan_enable) {
		cmd_status(c, op, HCI_ERR_COMMAND_DISALLOWED);
		return;
	}
	if (p[2] != 0x01) { /* LE 1M only */
		cmd_status(c, op, ERR_UNSUPPORTED);
		return;
	}
	interval = get_le16(p + 4);
	window = get_le16(p + 6);
	if (p[0] > 0x03 || p[1] > 0x03 || p[3] > 0x01 || interval < 0x0004 || window < 0x0004 ||
	    window > interval) {
		cmd_status(c, op, ERR_INVALID_PARAMS);
		return;
	}
	c->scan_own_addr_type = p[0];
	c->scan_filter = p[1];
	c->scan_type = p[3];
	c->scan_interval = interval;
	c->scan_window = window;
	cmd_status(c, op, 0);
}

static void cmd_le_set_ext_scan_enable(struct ctrl *c, uint16_t op, const uint8_t *p)
{
	/* Enable, Filter_Duplicates (0x02, per period, is not modelled), Duration, Period */
	if (p[1] > 0x01 || get_le16(p + 2) != 0 || get_le16(p + 4) != 0) {
		cmd_status(c, op, p[1] > 0x02 ? ERR_INVALID_PARAMS : ERR_UNSUPPORTED);
		return;
	}
	cmd_le_set_scan_enable(c, op, p);
}

#define VAR_PLEN 0xff /* variable: the handler checks c->cmd_plen */

struct cmd_def {
	uint16_t opcode;
	uint8_t plen;
	void (*fn)(struct ctrl *c, uint16_t op, const uint8_t *p);
	enum cmd_kind kind; /* legacy and extended advertising/scanning do not mix */
};

static const struct cmd_def cmd_defs[] = {
	{ HCI_OP_RESET, 0, cmd_reset },
	{ HCI_OP_SET_EVENT_MASK, 8, cmd_set_event_mask },
	{ HCI_OP_READ_LOCAL_VERSION, 0, cmd_read_local_version },
	{ OP_READ_LOCAL_COMMANDS, 0, cmd_read_local_commands },
	{ OP_READ_LOCAL_FEATURES, 0, cmd_read_local_features },
	{ HCI_OP_READ_BD_ADDR, 0, cmd_read_bd_addr },
	{ HCI_OP_LE_SET_EVENT_MASK, 8, cmd_le_set_event_mask },
	{ OP_LE_READ_BUFFER_SIZE, 0, cmd_le_read_buffer_size },
	{ OP_LE_READ_LOCAL_FEATURES, 0, cmd_le_read_local_features },
	{ HCI_OP_LE_SET_RANDOM_ADDR, 6, cmd_le_set_random_addr },
	{ HCI_OP_LE_SET_ADV_PARAMS, 15, cmd_le_set_adv_params, KIND_LEGACY },
	{ OP_LE_READ_ADV_TX_POWER, 0, cmd_le_read_adv_tx_power, KIND_LEGACY },
	{ HCI_OP_LE_SET_ADV_DATA, 32, cmd_le_set_adv_data, KIND_LEGACY },
	{ OP_LE_SET_SCAN_RSP_DATA, 32, cmd_le_set_scan_rsp_data, KIND_LEGACY },
	{ HCI_OP_LE_SET_ADV_ENABLE, 1, cmd_le_set_adv_enable, KIND_LEGACY },
	{ HCI_OP_LE_SET_SCAN_PARAMS, 7, cmd_le_set_scan_params, KIND_LEGACY },
	{ HCI_OP_LE_SET_SCAN_ENABLE, 2, cmd_le_set_scan_enable, KIND_LEGACY },
	{ HCI_OP_LE_SET_EXT_ADV_PARAMS, 25, cmd_le_set_ext_adv_params, KIND_EXT },
	{ HCI_OP_LE_SET_EXT_ADV_DATA, VAR_PLEN, cmd_le_set_ext_adv_data, KIND_EXT },
	{ HCI_OP_LE_SET_EXT_ADV_ENABLE, VAR_PLEN, cmd_le_set_ext_adv_enable, KIND_EXT },
	{ HCI_OP_LE_READ_NUM_ADV_SETS, 0, cmd_le_read_num_adv_sets, KIND_EXT },
	{ HCI_OP_LE_REMOVE_ADV_SET, 1, cmd_le_remove_adv_set, KIND_EXT },
	{ HCI_OP_LE_CLEAR_ADV_SETS, 0, cmd_le_clear_adv_sets, KIND_EXT },
	{ HCI_OP_LE_SET_EXT_SCAN_PARAMS, VAR_PLEN, cmd_le_set_ext_scan_params, KIND_EXT },
	{ HCI_OP_LE_SET_EXT_SCAN_ENABLE, 6, cmd_le_set_ext_scan_enable, KIND_EXT },
};

static void handle_cmd(struct ctrl *c, const uint8_t *pkt, size_t len)
{
	uint16_t op;
	uint8_t plen;

	/* the H4 parser guarantees a whole command; check anyway */
	if (len < 4 || len != 4u + pkt[3])
		return;
	op = get_le16(pkt + 1);
	plen = pkt[3];
	c->air->stats.commands++;
	for (size_t i = 0; i < ARRAY_SIZE(cmd_defs); i++) {
		if (cmd_defs[i].opcode != op)
			continue;
		if (cmd_defs[i].kind == KIND_EXT && c->air->cfg.legacy_only)
			break;
		if (cmd_defs[i].plen != VAR_PLEN && plen != cmd_defs[i].plen) {
			vlog(c->air, "controller %u: opcode 0x%04x with %u parameter octets, want %u",
			     c->id, op, plen, cmd_defs[i].plen);
			cmd_status(c, op, ERR_INVALID_PARAMS);
			return;
		}
		if (cmd_defs[i].kind != KIND_ANY) {
			/* a controller refuses the other kind once one was used (4.E.3.1.1) */
			if (c->kind_used != KIND_ANY && c->kind_used != cmd_defs[i].kind) {
				vlog(c->air, "controller %u: %s after the %s commands: Command Disallowed",
				     c->id, hci_opcode_name(op),
				     c->kind_used == KIND_EXT ? "extended" : "legacy");
				cmd_status(c, op, HCI_ERR_COMMAND_DISALLOWED);
				return;
			}
			c->kind_used = cmd_defs[i].kind;
		}
		c->cmd_plen = plen;
		cmd_defs[i].fn(c, op, pkt + 4);
		return;
	}
	cmd_status(c, op, HCI_ERR_UNKNOWN_COMMAND);
}

static void on_packet(void *ctx, const uint8_t *pkt, size_t len)
{
	struct ctrl *c = ctx;

	if (c->dead || len < 1)
		return;
	if (pkt[0] == H4_CMD)
		handle_cmd(c, pkt, len);
	/* ACL and the rest: no connections here, ignored */
}

static void on_readable(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ctrl *c = w->data;
	uint8_t buf[4096];
	ssize_t n;

	(void)loop;
	(void)revents;
	n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			ctrl_kill(c, strerror(errno));
		return;
	}
	if (n == 0) {
		ctrl_kill(c, "connection closed by the host");
		return;
	}
	if (h4_feed(&c->parser, buf, (size_t)n, on_packet, c) < 0) {
		fprintf(stderr, "vair: controller %u: unknown H4 packet type: disconnected\n", c->id);
		ctrl_kill(c, "unknown H4 packet type");
	}
}

/* ---- the air ---- */

static int attach(struct air *a, int fd, const uint8_t bdaddr[6], bool local)
{
	struct ctrl *c, **pp;
	char as[18];
	int fl;

	if (a->nctrls >= MAX_CTRLS)
		return -1;
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -1;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -1;
	c->air = a;
	c->fd = fd;
	c->local = local;
	c->id = ++a->next_id;
	if (bdaddr) {
		memcpy(c->bdaddr, bdaddr, 6);
	} else {
		/* 52:41:49:56:xx:xx ("RAIV" reversed: the air's own range) */
		c->bdaddr[0] = (uint8_t)c->id;
		c->bdaddr[1] = (uint8_t)(c->id >> 8);
		c->bdaddr[2] = 0x56;
		c->bdaddr[3] = 0x49;
		c->bdaddr[4] = 0x41;
		c->bdaddr[5] = 0x52;
	}
	h4_reset(&c->parser);
	ev_io_init(&c->rio, on_readable, fd, EV_READ);
	ev_io_init(&c->wio, on_writable, fd, EV_WRITE);
	ev_init(&c->rx_timer, on_rx_timer);
	c->rio.data = c->wio.data = c->rx_timer.data = c;
	c->adv.c = c;
	ev_init(&c->adv.timer, on_adv_timer);
	c->adv.timer.data = &c->adv;
	for (unsigned i = 0; i < AIR_MAX_ADV_SETS; i++) {
		c->sets[i].c = c;
		ev_init(&c->sets[i].timer, on_adv_timer);
		c->sets[i].timer.data = &c->sets[i];
	}
	ctrl_reset(c);
	for (pp = &a->ctrls; *pp; pp = &(*pp)->next)
		;
	*pp = c;
	a->nctrls++;
	a->stats.clients++;
	ev_io_start(a->loop, &c->rio);
	addr_str(c->bdaddr, as);
	vlog(a, "controller %u (%s) connected", c->id, as);
	return 0;
}

int air_attach(struct air *a, int fd, const uint8_t bdaddr[6])
{
	return attach(a, fd, bdaddr, true);
}

static void on_accept(struct ev_loop *loop, ev_io *w, int revents)
{
	struct air *a = w->data;
	int fd;

	(void)loop;
	(void)revents;
	fd = accept4(a->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	if (attach(a, fd, NULL, false) < 0) {
		fprintf(stderr, "vair: too many controllers: connection refused\n");
		close(fd);
	}
}

struct air *air_new(struct ev_loop *loop, const struct air_config *cfg)
{
	struct air *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->loop = loop;
	a->cfg = *cfg;
	if (a->cfg.adv_sets == 0)
		a->cfg.adv_sets = AIR_DEFAULT_ADV_SETS;
	if (a->cfg.adv_sets > AIR_MAX_ADV_SETS)
		a->cfg.adv_sets = AIR_MAX_ADV_SETS;
	rng_seed(&a->rng, cfg->seed);
	a->listen_fd = -1;
	ev_prepare_init(&a->reaper, on_reap);
	a->reaper.data = a;
	return a;
}

int air_listen(struct air *a, const char *path, char *err, size_t errlen)
{
	struct sockaddr_un addr;
	struct stat st;
	int fd;

	if (unix_addr(&addr, path) < 0) {
		snprintf(err, errlen, "socket path too long: %s", path);
		return -1;
	}
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "%s exists and is not a socket", path);
			return -1;
		}
		/* replace a stale socket, never a live one */
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0 && connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0) {
			close(fd);
			snprintf(err, errlen, "%s is in use by another server", path);
			return -1;
		}
		if (fd >= 0)
			close(fd);
		unlink(path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(fd, 16) < 0) {
		snprintf(err, errlen, "cannot listen on %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	a->listen_fd = fd;
	snprintf(a->path, sizeof(a->path), "%s", path);
	ev_io_init(&a->accept_io, on_accept, fd, EV_READ);
	a->accept_io.data = a;
	ev_io_start(a->loop, &a->accept_io);
	return 0;
}

void air_stop_listening(struct air *a)
{
	if (a->listen_fd < 0)
		return;
	ev_io_stop(a->loop, &a->accept_io);
	close(a->listen_fd);
	a->listen_fd = -1;
	unlink(a->path);
}

const struct air_stats *air_get_stats(const struct air *a)
{
	return &a->stats;
}

void air_free(struct air *a)
{
	if (!a)
		return;
	air_stop_listening(a);
	for (struct ctrl *c = a->ctrls; c; c = c->next)
		ctrl_kill(c, "shutting down");
	while (a->ctrls) {
		struct ctrl *c = a->ctrls;

		a->ctrls = c->next;
		ctrl_free(c);
	}
	ev_prepare_stop(a->loop, &a->reaper);
	free(a);
}
