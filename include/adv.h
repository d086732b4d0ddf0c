/* The advertising bearer: AD structures in (dispatched by AD type), mesh PDUs
 * out (one ADV_NONCONN_IND advertisement per PDU, sent a number of times).
 * A pure core on top of struct hci.
 *
 * With the legacy commands a PDU is enabled and disabled again once its
 * transmissions should be over (a host timer). With extended advertising
 * (adv_use_ext) each PDU goes into an advertising set with legacy
 * ADV_NONCONN_IND properties and Max_Extended_Advertising_Events = count: the
 * controller stops after count events and says so (LE Advertising Set
 * Terminated); a host timer only backs that up. Sets use the handles at the
 * top of the controller's range (the kernel uses 0 and 1, 2, ...): up to
 * min(LE Read Number of Supported Advertising Sets, ADV_MAX_SETS) PDUs are on
 * the air at once, one per set.
 *
 * What goes out next is the transmit scheduler's choice (txsched.h, the
 * bearer's `sched`): every idle set is filled from it, and each PDU's tx-done
 * (Set Terminated, or the end of the legacy host timer, or a failure) is
 * handed back to it. Senders open a source there (txsched_open) and send
 * with adv_send_src(); adv_send() uses the default source. */
#ifndef MESHPROV_ADV_H
#define MESHPROV_ADV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hci.h"
#include "txsched.h"

#define AD_TYPE_PB_ADV 0x29
#define AD_TYPE_MESH_MESSAGE 0x2a
#define AD_TYPE_MESH_BEACON 0x2b

/* Advertising data holds 31 octets: length, type and at most 29 of payload. */
#define ADV_MAX_PAYLOAD 29
/* The queue of the default source (adv_send). */
#define ADV_TX_QUEUE 32

#define ADV_DEFAULT_INTERVAL_MS 20
#define ADV_DEFAULT_COUNT 3

/* Advertising sets used at once (at most the controller's number; legacy
 * advertising has one). */
#define ADV_MAX_SETS 8
/* An extended set that has not reported its end this long after its
 * transmissions (count x (interval + 10 ms advDelay)) is disabled by the host. */
#define ADV_TERMINATE_GRACE_MS 20
/* Commands adv_cleanup() may list: a disable and a removal per set, scan off. */
#define ADV_CLEANUP_MAX (2 * ADV_MAX_SETS + 1)

/* ---- AD structure iteration over untrusted data ---- */

struct ad_iter {
	const uint8_t *data;
	size_t len;
	size_t off;
};

void ad_iter_init(struct ad_iter *it, const uint8_t *data, size_t len);

/* Next AD structure: returns true with its type and payload. Zero-length
 * structures are skipped; one whose length runs past the end stops the walk.
 * Never reads outside data[0..len). */
bool ad_iter_next(struct ad_iter *it, uint8_t *type, const uint8_t **payload, size_t *plen);

/* ---- the bearer ---- */

struct adv_ops {
	/* one callback for every mesh AD structure received */
	void (*rx)(void *ctx, uint8_t ad_type, const uint8_t *data, size_t len,
		   const struct hci_adv_report *r);
	/* an HCI command of the transmit path failed (status, or -ETIMEDOUT) */
	void (*error)(void *ctx, uint16_t opcode, int status);
};

enum adv_tx_state {
	ADV_TX_IDLE,    /* nothing on the air */
	ADV_TX_STARTING,/* parameters, data and enable in flight */
	ADV_TX_ON,      /* advertising until tx_deadline (or Set Terminated) */
	ADV_TX_STOPPING,/* disable in flight */
};

struct adv;

/* One advertising set (with the legacy commands: the one advertisement). */
struct adv_set {
	struct adv *adv;
	uint8_t handle;       /* extended: Advertising_Handle */
	enum adv_tx_state state;
	bool params_set;      /* advertising parameters match interval_ms */
	bool created;         /* extended: the controller holds the set (remove it at the end) */
	bool enabled;         /* our enable succeeded and the set has not stopped since */
	bool enable_sent;     /* our enable is in flight */
	bool terminated;      /* Set Terminated came while the enable was in flight */
	uint64_t tx_deadline;
	unsigned pending;     /* HCI commands of the current step still in flight */
	int step_status;
	uint16_t step_failed_op;
	struct txsched_item cur; /* the PDU this set carries (has_cur) */
	bool has_cur;
	struct txsched_item cur2; /* packed beside it (adv_set_pack): has_cur2 */
	bool has_cur2;
};

struct adv_stats {
	unsigned long rx_reports;
	unsigned long rx_mesh;
	unsigned long tx_pdus;    /* advertisements started */
	unsigned long tx_packed;  /* of which with two mesh PDUs (adv_set_pack) */
	unsigned long tx_could_pack; /* of which, packing or not, with a PDU queued that
				      * fit beside the first when it started */
	unsigned long tx_dropped; /* adv_send refused: the default source's queue was full */
};

struct adv {
	struct hci *hci;
	const struct adv_ops *ops;
	void *ctx;
	unsigned interval_ms; /* between transmissions of one PDU */
	unsigned count;       /* transmissions per PDU */
	bool ext_adv;         /* extended advertising commands */
	bool ext_scan;        /* extended scanning commands */
	bool pack;            /* two mesh PDUs in one advertisement when they fit */
	struct adv_set sets[ADV_MAX_SETS];
	unsigned nsets;
	struct txsched sched; /* what waits for a set */
	int default_src;      /* adv_send's source */
	bool scanning;        /* our scan enable succeeded (and no disable since) */
	bool scan_sent;       /* a scan enable or disable of ours is in flight */
	bool scan_want;       /* ... which one */
	hci_cmd_fn scan_fn;
	void *scan_fn_ctx;
	unsigned releasing;   /* adv_release() commands in flight */
	void (*release_done)(void *ctx);
	void *release_ctx;
	struct adv_stats stats;
};

void adv_init(struct adv *a, struct hci *h, const struct adv_ops *ops, void *ctx);

/* Pack: an advertisement carries a second mesh PDU, its own AD structure,
 * when one is queued that fits in the 31 octets beside the first (a
 * Transaction ACK beside a segment of another link); both get their
 * tx-done. Off by default: receivers must walk every AD structure. */
void adv_set_pack(struct adv *a, bool pack);

/* Transmissions per PDU (at most 255) and the interval between them (>= 20 ms). */
void adv_set_tx(struct adv *a, unsigned interval_ms, unsigned count);

/* Use the extended scanning commands (ext_scan) and extended advertising
 * with adv_sets sets supported by the controller (0: the legacy commands).
 * Call before the first adv_scan/adv_send. */
void adv_use_ext(struct adv *a, bool ext_scan, unsigned adv_sets);

/* Use at most max (at least 1) of the sets adv_use_ext() chose, keeping the
 * highest handles: on a raw socket shared with the kernel, whose own sets
 * count up from handle 0, meshprov leaves it the lower half of the range.
 * Call right after adv_use_ext(). */
void adv_limit_sets(struct adv *a, unsigned max);

/* Feed an LE Advertising Set Terminated event (from hci_ops). */
void adv_set_terminated(struct adv *a, uint8_t status, uint8_t handle, uint8_t events);

/* A command another host sent (the kernel's, on a shared raw socket): what
 * it did to our scanning and advertising. Returns true when it turned the
 * scanning on or off: the scanning is then the other host's (not turned off
 * at the end), and we hear what its scan reports. */
bool adv_foreign_cmd(struct adv *a, uint16_t opcode, const uint8_t *p, size_t plen);

/* The commands that undo what this bearer did to the controller: disable the
 * advertising it enabled, remove the sets it created, turn off the scanning
 * it turned on, nothing else. Returns how many were written to out. */
unsigned adv_cleanup(const struct adv *a, struct hci_cmd *out, unsigned max);

/* Send adv_cleanup()'s commands; done(ctx) once all have been answered (at
 * once when there are none). Afterwards the bearer holds nothing. */
void adv_release(struct adv *a, uint64_t now, void (*done)(void *ctx), void *ctx);

/* The cleanup commands were written some other way (a last resort at exit):
 * forget what they undid. */
void adv_released(struct adv *a);

/* Another bearer takes over from this one (the radio continues on hciN:mesh):
 * *to becomes this bearer's scheduler, with its open sources and what they
 * queued, and the PDUs our sets carry now are written to inflight (at most
 * max, ADV_MAX_INFLIGHT will do; the taker hands them back with txsched_done, their transmissions
 * ending with our sets) and forgotten here. Then adv_cleanup() as usual.
 * Returns how many PDUs were written. */
#define ADV_MAX_INFLIGHT (2 * ADV_MAX_SETS) /* a PDU per set, and one packed beside it */
unsigned adv_hand_over(struct adv *a, struct txsched *to, struct txsched_item *inflight,
		       unsigned max);

/* Queue a PDU of the default source: ad_type and its payload. Returns 0,
 * -EMSGSIZE (payload over 29 octets), or -ENOBUFS (queue full: the PDU is
 * dropped and counted in tx_dropped). */
int adv_send(struct adv *a, uint64_t now, uint8_t ad_type, const uint8_t *data, size_t len);

/* Queue a PDU of a source opened in a->sched, with txsched_push's flags and
 * cookie. As txsched_push: -ENOBUFS is back-pressure (push it again after the
 * source's room()), nothing is dropped. */
int adv_send_src(struct adv *a, uint64_t now, unsigned src, uint8_t ad_type, const uint8_t *data,
		 size_t len, unsigned flags, uint32_t cookie);

/* Milliseconds of airtime of what is queued and on the air, divided among
 * the sets in use: roughly how long a PDU queued now waits. */
unsigned adv_backlog_ms(const struct adv *a);

/* Start or stop passive scanning (duplicate filtering always off: mesh needs
 * every packet), with the extended command when adv_use_ext said so. fn
 * reports the outcome. */
int adv_scan(struct adv *a, uint64_t now, bool enable, hci_cmd_fn fn, void *fn_ctx);

/* True while PDUs are queued or on the air. */
bool adv_busy(const struct adv *a);

/* Feed an advertising report (from hci_ops.adv_report). */
void adv_input(struct adv *a, const struct hci_adv_report *r);

uint64_t adv_next_deadline(const struct adv *a);
void adv_tick(struct adv *a, uint64_t now);

#endif
