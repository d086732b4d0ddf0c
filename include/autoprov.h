/* The daemon's automatic provisioning policy: when a device whose
 * credentials the daemon holds is provisioned, provisioned anew, configured
 * again, retried or given up on, when a pending address reservation is
 * released or kept, and whether a new link may start (admission control).
 * Pure: times and facts in, decisions out; no I/O, no
 * libev, no log (daemon_jobs.c acts on the decisions and says them in the
 * log).
 *
 * It remembers the devices whose automatic attempt failed (provisioning, or
 * configuring the node: one count for both), at most `max` of them (the
 * oldest record is forgotten first). Times are milliseconds on the
 * daemon's monotonic clock, except a reservation's, in Unix seconds. */
#ifndef MESHPROV_AUTOPROV_H
#define MESHPROV_AUTOPROV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The back-off doubles from retry_delay_s up to this. */
#define AUTOPROV_RETRY_MAX_S 600

/* An unprovisioned beacon this recent: the device is unprovisioned now. */
#define AUTOPROV_BEACON_FRESH_MS 10000

/* A beacon heard this soon after a reservation was made, or after we began
 * listening, may have been sent before the device took the data (a
 * controller reports what is on the air when scanning starts, reports may
 * wait in queues): it does not count. A device that did not take them
 * beacons again. */
#define AUTOPROV_BEACON_GRACE_S 3

struct autoprov_attempt {
	uint8_t uuid[16];
	unsigned count;        /* failed attempts */
	uint64_t next_try;
	bool given_up;
};

struct autoprov {
	struct autoprov_attempt *a;
	size_t n, max;
	unsigned max_attempts; /* given up after this many failures */
	unsigned retry_delay_s;
};

/* What the node database says of a device. */
enum autoprov_node {
	AUTOPROV_NOT_NODE,
	AUTOPROV_UNCONFIGURED, /* a node whose configuration never completed */
	AUTOPROV_CONFIGURED,
};

void autoprov_init(struct autoprov *p, size_t max, unsigned max_attempts, unsigned retry_delay_s);
void autoprov_free(struct autoprov *p);

/* A reload (SIGHUP): forget every record (devices given up on get another
 * chance) and take the new limits. */
void autoprov_reset(struct autoprov *p, size_t max, unsigned max_attempts, unsigned retry_delay_s);

enum autoprov_beacon {
	AUTOPROV_WAIT,          /* not now: a configured node, given up, or its back-off */
	AUTOPROV_PROVISION,     /* provision it (attempt number in *attempt) */
	AUTOPROV_PROVISION_ANEW, /* an unconfigured node dropped its provisioning: again */
};

/* The unprovisioned beacon of uuid heard at now; the daemon holds its
 * credentials and runs no session for it. A configured node is never
 * provisioned twice (it was reset since, or the beacon is old); an
 * unconfigured one that beacons has dropped its provisioning. *attempt:
 * which attempt this would be (1 for the first). */
enum autoprov_beacon autoprov_beacon(const struct autoprov *p, const uint8_t uuid[16],
				     enum autoprov_node node, uint64_t now, unsigned *attempt);

/* What the daemon knows of a recorded device, for autoprov_next_config. */
struct autoprov_facts {
	/* ours to act on now: the credentials are held, no session runs for it */
	bool (*eligible)(void *ctx, const uint8_t uuid[16]);
	enum autoprov_node (*node)(void *ctx, const uint8_t uuid[16]);
	/* when its unprovisioned beacon was last heard; false: never */
	bool (*last_beacon)(void *ctx, const uint8_t uuid[16], uint64_t *at);
};

/* The next recorded node, from *i on, to configure again at now: due, not
 * given up, eligible, unconfigured, and no fresh unprovisioned beacon (a
 * node that beacons dropped its provisioning: autoprov_beacon provisions it
 * anew). The record in *out (attempt number: out->count + 1); *i moves
 * past it. false when there is none. */
bool autoprov_next_config(const struct autoprov *p, uint64_t now, const struct autoprov_facts *f,
			  void *ctx, size_t *i, struct autoprov_attempt *out);

/* Make uuid due at now (a node left unconfigured, by an earlier run or a
 * kept reservation): recorded when it was not. A device given up on stays
 * given up. false when it could not be recorded (out of memory). */
bool autoprov_schedule(struct autoprov *p, const uint8_t uuid[16], uint64_t now);

/* The outcome of a failed automatic attempt. */
struct autoprov_failure {
	unsigned count;        /* failures so far */
	bool given_up;         /* the count reached max_attempts: say so once */
	unsigned delay_s;      /* else: the next try is this much later */
};

/* An automatic attempt on uuid failed at now: the next try after
 * retry_delay_s doubled for each failure before (at most
 * AUTOPROV_RETRY_MAX_S), or given up after max_attempts. false when it
 * could not be recorded (out of memory; *out untouched). */
bool autoprov_failed(struct autoprov *p, const uint8_t uuid[16], uint64_t now,
		     struct autoprov_failure *out);

/* Forget uuid: provisioned and configured, or an explicit request (a new
 * chance). */
void autoprov_forget(struct autoprov *p, const uint8_t uuid[16]);

/* Admission control: a new PB-ADV link starts only while the radio has the
 * airtime to serve it, so that max_sessions is a ceiling and not a way to
 * overload the air. The measure is the radio's transmit backlog
 * (radio_tx_backlog_ms: the airtime of what is queued and on the air, per
 * advertising set in use): what a PDU queued now waits before it leaves.
 * A link sends ~16 PDUs of its own and every one of its transactions is
 * retransmitted after PB_ADV_RETRANSMIT_MS (500) without an answer: a new
 * link is admitted while a PDU waits at most half of that, the other half
 * left for the device's answer. A backlog over it means the air is busy
 * with the links that run: one more would only slow them all. */
#define AUTOPROV_ADMIT_BACKLOG_MS 250

enum autoprov_admit {
	AUTOPROV_ADMIT,          /* start the link now */
	AUTOPROV_NO_SESSION,     /* max_sessions links run */
	AUTOPROV_NO_AIRTIME,     /* the air is busy: on a later beacon */
};

/* May a new link start? sessions: the links (sessions) running or taken
 * (not counting the new one), backlog_ms: radio_tx_backlog_ms now. The
 * first link is always admitted (when max_sessions allows one): a backlog
 * without links of ours drains by itself, and nothing is gained by
 * waiting for it. */
enum autoprov_admit autoprov_admit(unsigned sessions, unsigned max_sessions, unsigned backlog_ms);

/* A pending reservation made at res_time (Unix seconds), meshprov
 * listening since `since`: its device's unprovisioned beacon heard at now
 * shows it did not take the data (release the reservation), unless now is
 * within AUTOPROV_BEACON_GRACE_S of the later of the two. */
bool autoprov_reservation_beacon_counts(int64_t res_time, int64_t since, int64_t now);

/* The same reservation not heard of: kept as a node at now once window_s
 * seconds passed since the later of res_time and since. */
bool autoprov_reservation_settled(int64_t res_time, int64_t since, unsigned window_s, int64_t now);

#endif
