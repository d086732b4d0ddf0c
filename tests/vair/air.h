/* The virtual air: emulated LE controllers, one per H4 stream connection,
 * that all share one radio medium. An advertisement enabled on one controller
 * is reported to every other controller that is scanning (BlueZ btvirt's
 * semantics), through a model of loss, latency, jitter and airtime. */
#ifndef VAIR_AIR_H
#define VAIR_AIR_H

#include <ev.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AIR_MAX_ADV_SETS 16
#define AIR_DEFAULT_ADV_SETS 4

struct air_config {
	double loss;        /* probability that one delivery to one receiver is lost */
	bool loss_dev_set;  /* deliveries to the simulated devices' controllers (air_attach)
			     * are lost with loss_dev instead */
	double loss_dev;
	double latency_ms;  /* added to every delivery */
	double jitter_ms;   /* uniform in [-jitter, +jitter] on top of latency (never below 0) */
	double batch_ms;    /* a receiver's reporting granularity: reports due within this
			     * window of the first one go into one LE Advertising Report event */
	bool rssi_unknown;  /* report RSSI 127 */
	bool legacy_only;   /* offer no extended advertising/scanning commands */
	bool btdev_legacy;  /* legacy advertising as BlueZ's emulator (btdev) has it: heard
			     * once when enabled, not at every advertising event */
	unsigned adv_sets;  /* extended advertising sets offered, 1..AIR_MAX_ADV_SETS
			     * (0: AIR_DEFAULT_ADV_SETS) */
	int rssi;           /* base RSSI in dBm; each report adds uniform noise of +-5 dB */
	uint64_t seed;
	bool verbose;
};

struct air_stats {
	unsigned long clients;             /* controller connections ever attached */
	unsigned long commands;
	unsigned long adv_events;          /* advertising events on the air */
	unsigned long deferred_events;     /* started late: the controller's radio was busy
					    * with another set's event */
	double airtime_s;                  /* of all advertising events */
	/* of the accepted connections' controllers (the hosts under test), not the
	 * simulated devices': */
	unsigned long host_adv_enables;    /* advertisements started: one a mesh PDU */
	unsigned long host_adv_events;
	double host_airtime_s;
	unsigned long deliveries;          /* (event, receiver) pairs scheduled */
	unsigned long lost;                /* dropped by the loss model */
	unsigned long reports;             /* advertising reports sent to hosts */
	unsigned long report_events;       /* LE Advertising Report events sent */
	unsigned long multi_report_events; /* of which with Num_Reports > 1 */
	unsigned long dup_filtered;        /* suppressed by Filter_Duplicates */
	unsigned long masked;              /* suppressed by the event masks */
	unsigned long overflow;            /* reports dropped: host not reading */
};

struct air;

struct air *air_new(struct ev_loop *loop, const struct air_config *cfg);

/* Serve H4 on a Unix stream socket at path (a stale socket there is
 * replaced). 0, or -1 with one line in err. */
int air_listen(struct air *a, const char *path, char *err, size_t errlen);

/* Take one end of a connected stream (made non-blocking here; the air closes
 * it) as a new controller connection. bdaddr: its public address in wire order
 * (little-endian), or NULL for one assigned by the air. 0, or -1. */
int air_attach(struct air *a, int fd, const uint8_t bdaddr[6]);

/* Stop accepting connections and remove the socket file. */
void air_stop_listening(struct air *a);

const struct air_stats *air_get_stats(const struct air *a);

/* Disconnect every controller and free everything. */
void air_free(struct air *a);

#endif
