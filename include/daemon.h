/* The daemon's own shared state, for its three files only (not an API):
 * daemon.c (the service's life cycle, reload, signals, timers, and the
 * radio's dispatch), daemon_jobs.c (the provisioning and configuration
 * sessions, and acting on the automatic policy, autoprov.h) and ctlreq.c
 * (the control socket's requests). The edge: libev lives here. */
#ifndef MESHPROV_DAEMON_H
#define MESHPROV_DAEMON_H

#include <ev.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "autoprov.h"
#include "cfgjob.h"
#include "cli.h"
#include "conf.h"
#include "creds.h"
#include "ctlsrv.h"
#include "devtable.h"
#include "localnode.h"
#include "nodedb.h"
#include "provjob.h"
#include "provreq.h"
#include "radio.h"

struct daemon;
struct conn;

/* Every session attaches its timers to the radio: its own node, the
 * provisioning and the configuration slots must all fit. */
_Static_assert(RADIO_MAX_TIMERS >= 2 * CONF_MAX_SESSIONS + 1,
	       "RADIO_MAX_TIMERS too small for CONF_MAX_SESSIONS sessions");
/* Each node being configured (a provisioning and a configuration session
 * each) has its own segmented message in each direction. */
_Static_assert(LOWER_TX_SLOTS >= 2 * CONF_MAX_SESSIONS && LOWER_RX_SLOTS >= 2 * CONF_MAX_SESSIONS,
	       "lower transport slots too few for CONF_MAX_SESSIONS sessions");

/* A provisioning session: automatic, or asked for on the control socket. */
struct slot {
	bool used;
	bool started;          /* the job runs; else waiting for the beacon */
	bool reap;             /* the job is over: free it outside its callbacks */
	struct daemon *d;
	struct conn *conn;     /* who asked, or NULL (automatic, or gone) */
	bool requested;        /* on the control socket, not automatic */
	bool starting;         /* inside provjob_start */
	bool cancel_started;   /* the client left meanwhile: cancel once started */
	struct provreq req;
	uint64_t wait_until, give_up_at;
	struct provjob job;
};

/* A config request from the control socket, or the automatic configuring
 * again of a node left unconfigured. */
struct cfgslot {
	struct daemon *d;
	bool used;
	bool reap;
	bool automatic;
	struct conn *conn;
	struct cfgjob job;
};

/* A control client: its connection (ctlsrv allocates the whole struct),
 * what it asked for. */
struct conn {
	struct ctlconn io;     /* first */
	struct slot *slot;     /* its provision request */
	struct cfgslot *cfg;   /* its config request */
	bool following;        /* scan follow */
	bool follow_aligenie;
	uint64_t follow_until; /* NO_DEADLINE: until the client hangs up */
};

struct daemon {
	const struct global_opts *g;
	const char *config_path;
	bool config_given;
	const char *creds_override;
	bool no_auto;
	unsigned sessions_override;
	struct conf conf;
	struct creds creds;
	struct ev_loop *loop;
	struct radio radio;
	struct nodedb *db;
	struct localnode local;
	bool local_on;
	struct devtable table;
	struct slot slots[CONF_MAX_SESSIONS];
	struct cfgslot cfgs[CONF_MAX_SESSIONS];
	struct autoprov ap;     /* the automatic attempts */
	struct ctlsrv ctl;
	ev_signal sigterm, sigint, sighup;
	ev_timer tick, stop_timer;
	ev_idle reaper;
	uint64_t started_at;
	int64_t listen_since;  /* Unix seconds: scanning since (pending reservations) */
	uint64_t next_settle;
	bool airtime_held;     /* admission control holds new links back (said once) */
	bool ready;
	bool stopping;
	int rc;
};

/* ---- daemon_jobs.c: sessions ---- */

struct slot *find_slot(struct daemon *d, const uint8_t uuid[16]);
/* A job of ours runs for uuid (ctx: the daemon): its reservation is its own. */
bool job_running(void *ctx, const uint8_t uuid[16]);
struct cfgslot *find_cfg(struct daemon *d, const uint8_t uuid[16]);
struct cfgslot *free_cfg(struct daemon *d);
unsigned active_slots(const struct daemon *d);
/* A free provisioning slot within max_sessions, or NULL. Automatic
 * provisioning also asks admission control (autoprov_admit) first. */
struct slot *free_slot(struct daemon *d);
/* A progress line to the client that asked, if any. */
void slot_event(struct slot *s, const char *text);
/* The device's beacon was heard: open the link. */
void slot_start(struct daemon *d, struct slot *s);
/* The same for a requested session, once the airtime allows
 * (autoprov_admit; else on a later beacon). */
void slot_heard(struct daemon *d, struct slot *s);
/* For status: the devices heard that are due for automatic provisioning
 * and not started, and how many of them only the airtime holds back (a
 * session is free). */
void jobs_waiting(struct daemon *d, unsigned *due, unsigned *for_airtime);
/* A slot still waiting for its beacon fails with msg. */
void slot_fail_waiting(struct slot *s, const char *msg);
/* A config job for rq in the free slot cs: for the client c, or
 * automatic (c NULL). The caller starts it (cfgjob_start with cfg_done).
 * 0; -1 usage error, -2 failure, with one line in err (cfgjob_prepare). */
int cfgslot_prepare(struct daemon *d, struct cfgslot *cs, const struct cfgreq *rq, struct conn *c,
		    char *err, size_t errlen);
void cfg_done(void *ctx);
/* Free the sessions that are over (the reaper, an idle watcher). */
void jobs_reap(struct ev_loop *loop, ev_idle *w, int revents);
/* A device was heard: automatic provisioning when it is due and a link is
 * admitted, for the due device that waited longest. */
void maybe_provision(struct daemon *d, const struct dev_entry *heard);
/* Configure again the nodes left unconfigured that are due at now. */
void retry_configuration(struct daemon *d, uint64_t now);
/* Nodes in the database left unconfigured whose credentials the daemon
 * holds: due now. */
void schedule_unconfigured(struct daemon *d);
/* The sessions' deadlines at now: no beacon in time, a request's timeout. */
void jobs_tick(struct daemon *d, uint64_t now);
/* Stop every session (the daemon is stopping). */
void jobs_cancel_all(struct daemon *d, const char *msg);
/* Free every session (exit). */
void jobs_free(struct daemon *d);

/* ---- ctlreq.c: the control socket's requests ---- */

extern const struct ctlsrv_ops ctlreq_ops;
/* A streaming request is over: read the client's next one. */
void conn_request_done(struct conn *c);
/* A device new in the table: to the clients following the scan. */
void follow_event(struct daemon *d, const struct dev_entry *e);
/* Scans followed with a timeout that ran out at now end. */
void ctlreq_tick(struct daemon *d, uint64_t now);

#endif
