/* The edge that runs one controller connection on libev: transport reads and
 * writes, the HCI and ADV cores (or, on hciN:mesh, the management core), their
 * timers, and the timers of any other core attached with radio_add_timers().
 * Cores never see libev. */
#ifndef MESHPROV_RADIO_H
#define MESHPROV_RADIO_H

#include <ev.h>
#include <stdbool.h>
#include <stdint.h>

#include "adv.h"
#include "btsnoop.h"
#include "hci.h"
#include "mgmt.h"
#include "transport.h"
#include "txsched.h"

/* Cores driven by one radio: the daemon attaches its own node, a provisioning
 * job per session and a configuration job per session (2 x CONF_MAX_SESSIONS
 * + 1; daemon.h checks it). */
#define RADIO_MAX_TIMERS 96
#define RADIO_STOP_TIMEOUT_MS 3000
#define RADIO_MSG_MAX 400

struct radio_ops {
	/* the controller is set up and scanning */
	void (*ready)(void *ctx);
	/* a mesh AD structure arrived (PB-ADV, Mesh Message or Mesh Beacon) */
	void (*rx)(void *ctx, uint8_t ad_type, const uint8_t *data, size_t len,
		   const struct hci_adv_report *r);
	/* the controller failed or the connection was lost: one line of text
	 * (always from the loop, after what we did to the controller was undone) */
	void (*fatal)(void *ctx, const char *msg);
	/* radio_stop() finished: transmissions drained, our scanning off, our
	 * advertising sets removed */
	void (*stopped)(void *ctx);
};

/* The one core that consumes what the radio hears, when it is not the
 * owner (radio_set_receiver): it is told the radio is ready and gets each
 * mesh AD structure, besides the owner's ops (which may leave ready and rx
 * NULL). */
struct radio_receiver {
	void (*ready)(void *ctx);
	void (*rx)(void *ctx, uint8_t ad_type, const uint8_t *data, size_t len,
		   const struct hci_adv_report *r);
	void *ctx;
};

struct radio_timers {
	uint64_t (*next)(void *ctx);
	void (*tick)(void *ctx, uint64_t now);
	void *ctx;
};

struct radio {
	struct ev_loop *loop;
	ev_io io;
	ev_timer timer;
	struct transport tr;
	struct hci hci;
	struct adv adv;
	struct hci_setup setup;
	struct mgmt mgmt;       /* instead of hci, adv and setup on TRANSPORT_MGMT */
	const struct radio_ops *ops;
	void *ctx;
	struct radio_receiver recv; /* radio_set_receiver; ctx NULL: none */
	struct radio_timers timers[RADIO_MAX_TIMERS];
	unsigned ntimers;
	bool ready;
	bool stopping;
	bool release_sent;
	uint64_t stop_deadline;
	bool dead;
	bool write_failed;    /* the transport is broken: nothing more to write */
	bool scan_taken;      /* the kernel changed the scanning under us (said once) */
	struct transport mesh_tr; /* hciN:mesh to switch to once the read is over */
	bool switching;       /* mesh_tr is open: the kernel's scan refused ours */
	ev_idle fatal_idle;   /* reports fatal_msg from the loop */
	char fatal_msg[RADIO_MSG_MAX];
	struct btsnoop snoop;
	bool snooping;
};

/* Open the transport named by spec. -1 with one line in err on failure. */
int radio_open(struct radio *r, struct ev_loop *loop, const char *spec,
	       const struct radio_ops *ops, void *ctx, char *err, size_t errlen);

/* Set up the controller and start scanning; ops->ready or ops->fatal follows. */
void radio_start(struct radio *r);

/* Queue a mesh PDU for transmission (the bearer's default source; -ENOBUFS
 * when its queue is full: the PDU is dropped and counted in tx_dropped). */
int radio_send(struct radio *r, uint8_t ad_type, const uint8_t *data, size_t len);

/* A transmit source on this radio's scheduler (the advertising bearer's, or
 * on hciN:mesh the management core's): see txsched_open. Its callbacks come
 * from the radio's callbacks. Call after radio_open. */
int radio_tx_open(struct radio *r, unsigned limit, unsigned weight,
		  const struct txsched_src_ops *ops, void *ctx);
void radio_tx_close(struct radio *r, int src);

/* Queue a PDU of a source with txsched_push's flags and cookie: 0, or
 * -ENOBUFS (back-pressure: keep it, push it again at the source's room()),
 * -EMSGSIZE, -EIO (the radio is gone or not ready). */
int radio_send_src(struct radio *r, int src, uint8_t ad_type, const uint8_t *data, size_t len,
		   unsigned flags, uint32_t cookie);

/* Milliseconds of airtime of what waits for transmission or is on the air,
 * divided among the advertising sets in use: what a new link would wait
 * behind (for admission control). */
unsigned radio_tx_backlog_ms(struct radio *r);

/* Let transmissions drain, turn scanning off, then ops->stopped (also when the
 * controller does not answer within RADIO_STOP_TIMEOUT_MS). */
void radio_stop(struct radio *r);

void radio_close(struct radio *r);

/* Write every HCI packet, both ways, to path in BTSnoop format. Call after
 * radio_open (again: a new file replaces the old). -1 with one line in err,
 * also on hciN:mesh, which carries management frames, not HCI. */
int radio_snoop(struct radio *r, const char *path, char *err, size_t errlen);

/* Drive another core's timers from this radio's timer. */
int radio_add_timers(struct radio *r, uint64_t (*next)(void *), void (*tick)(void *, uint64_t),
		     void *ctx);
void radio_remove_timers(struct radio *r, void *ctx);

/* Hand the receive path to a core directly (provjob_wait: one job that is
 * the radio's only consumer): rx NULL detaches it. */
void radio_set_receiver(struct radio *r, void (*ready)(void *ctx),
			void (*rx)(void *ctx, uint8_t ad_type, const uint8_t *data, size_t len,
				   const struct hci_adv_report *rep),
			void *ctx);

/* Re-arm the timer after changing a core's deadlines outside a radio callback. */
void radio_kick(struct radio *r);

uint64_t radio_now(const struct radio *r);

#endif
