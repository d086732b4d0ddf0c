/* Simulated mesh devices for the virtual air. Each one is an in-process host
 * of its own controller, driven by the same radio/HCI/ADV stack meshprov
 * uses: over a socketpair to a controller of the air ("fd:N"), or as a
 * client of another H4 server such as btvirt ("unix:PATH"). They beacon as
 * unprovisioned devices, take PB-ADV provisioning, and then are mesh nodes
 * with a Configuration Server (cfgsrv.h) until reset.
 *
 * Device specs:
 *   aligenie:PID,MAC,SECRET[,silent][,random-auth][,v0][,elements=N][,comp=K][,deaf=MS]
 *            [,fail-at=STEP:CODE][,close-at=STEP:REASON][,complete-delay=MS]
 *       PID decimal or 0x-hex, MAC "78:da:07:c1:1c:a8" or 12 hex digits in
 *       display order, SECRET 32 hex digits. The UUID is an AliGenie one:
 *       PID flags 0x71, UUID version 1 (v0: 0), flags2 0x10 (random-auth
 *       adds 0x02), silent sets the silent-advertising bit. The MAC is also
 *       the controller's public address on the virtual air.
 *       Provisioning: 1 element (or N), algorithms 0x0001 (CMAC), no OOB
 *       public key, static OOB available (0x01) with the AliGenie AuthValue
 *       SHA-256("pid,mac,secret")[0:16]; with random-auth the random-bound
 *       variant (each side's AuthValue also hashes its own Random).
 *       Composition (comp=light, the default): CID 0x01a8, PID the
 *       ProductID's low 16 bits, the vendor model (0x01a8, 0x0000).
 *   uuid:HEX32[,oob=N][,uri=HEX8][,no-oob][,static=HEX][,algs=N]
 *             [,output=numeric:VALUE|output=alpha:VALUE][,elements=N][,pubkey-oob][,comp=K]
 *             [,deaf=MS][,fail-at=STEP:CODE][,close-at=STEP:REASON][,complete-delay=MS]
 *       a plain device with that UUID, OOB Information (beacon field) and
 *       URI hash. Provisioning: 1 element (or N), algorithms 0x0001 (or the
 *       bitmask N: 0x0003 adds HMAC-SHA256), no OOB (default; no-oob says
 *       so), static OOB with a 16 or 32 octet value (static=), output OOB
 *       showing the fixed VALUE (numeric: 1-8 digits, alpha: 1-8 of 0-9 A-Z;
 *       output size = its length), an OOB public key (pubkey-oob: the key
 *       pair is made at start and announced in the report).
 *       Composition (comp=plain, the default): CID 0x05f1, PID 0x0001, no
 *       vendor model.
 *   fail-at=STEP:CODE, close-at=STEP:REASON (both kinds): a device that
 *   misbehaves, for tests. STEP is the provisioner's PDU it acts on: invite,
 *   start, public-key, confirmation, random or data. fail-at answers it with
 *   Provisioning Failed carrying CODE (1-255, 0x-hex or decimal), as a device
 *   that rejects it; close-at closes the link with Link Close reason REASON
 *   (0 Success, 1 Timeout, 2 Fail; any 0-255). Otherwise the protocol as
 *   the specification says.
 *   deaf=MS (both kinds): for MS milliseconds after its first provisioning
 *   (not later ones, not scaled) the node ignores every Network PDU, as if
 *   out of range: its configuration fails, and an AliGenie device then
 *   falls back to unprovisioned.
 *   complete-delay=MS (both kinds, 1-60000): the device accepts Provisioning
 *   Data at once (it is provisioned: the report's "provisioned" event, no
 *   more beacons) but sends Provisioning Complete only MS ms later, as a
 *   device that writes its flash first may; that is the window in which a
 *   provisioner that dies leaves a device holding an address it never
 *   recorded ("complete_sent" in the report when it goes out).
 *   elements=N: 1..SIMDEV_MAX_ELEMENTS. comp=light: the primary element has
 *   Configuration Server 0x0000, Generic OnOff Server 0x1000, Light
 *   Lightness Server 0x1300, Light CTL Server 0x1303 (and the vendor
 *   model); comp=plain: Configuration Server and Generic OnOff Server (and
 *   the vendor model). Any further element has a Generic OnOff Server.
 *   VID 0x0001, CRPL 0x0064, no features unless features=BITS (both kinds,
 *   0-0xf: relay 1, proxy 2, friend 4, low power 8; the Configuration
 *   Server then has Relay, GATT Proxy and Friend states that may be set).
 *
 * Provisioning (device role): a PB-ADV link listening for a Link Open with
 * the device's UUID carries the provisioning protocol (prov_device). While a
 * link is open the device beacons at most once a second; after Provisioning
 * Complete it is provisioned: no more beacons, Link Open ignored. After a
 * failure it keeps the link until the provisioner closes it (or
 * SIMDEV_FAIL_LINGER_MS pass), then listens again.
 *
 * The node. After Provisioning Complete the device is a mesh participant
 * (struct mesh) with what it was given: unicast address and its element
 * count, the NetKey and its index, the IV Index, its device key; SEQ
 * reservations are kept in memory (and never go back, also across
 * provisionings). It takes AD type 0x2a (Mesh Message) payloads and sends
 * its Network PDUs the same way. Its Configuration Server (cfgsrv.h) answers
 * device key messages to its primary element. Config Node Reset: after
 * Node Reset Status (and SIMDEV_RESET_DELAY_MS, in which a repeated Node
 * Reset is answered again) it forgets its keys and state and is an
 * unprovisioned device again: it beacons and listens for a Link Open.
 *
 * AliGenie devices also behave as AliGenie's specification asks:
 *   - provisioning counts only when a Config AppKey Add is stored within
 *     SIMDEV_APPKEY_WAIT_MS of Provisioning Complete; otherwise the device
 *     falls back to unprovisioned (as after a Node Reset);
 *   - UUID version 1 (not v0): after the first AppKey Add the device binds
 *     that AppKey to all its models but the Configuration Server and
 *     subscribes them to the AliGenie default groups (0xc000 with
 *     comp=light, and 0xcfff) by itself; v0 devices wait for the
 *     provisioner to do it;
 *   - after the first AppKey Add it sends an Attr Indication (d4 a8 01, a
 *     TID from 0x80-0xbf, attribute OnOff 0x0100 = 01) to group 0xf000
 *     with that AppKey, and again every SIMDEV_IND_INTERVAL_MS until an
 *     Attr Confirmation (d5 a8 01) with that TID arrives (from anyone, with
 *     any of its AppKeys), at most SIMDEV_IND_TRIES times.
 * time_scale scales these behaviour timers (AppKey wait, indication
 * interval; not the protocol timers of the stack): 0.01 makes the AppKey
 * wait 0.6 s. The indication interval is never below SIMDEV_IND_MIN_MS.
 *
 * Report (--report PATH of vair): one JSON object per line, appended with
 * one write() each, for tests (it holds keys: test data only):
 *   {"event":"public_key","uuid","key"}            pubkey-oob: at start (128 hex)
 *   {"event":"link_open","uuid","link_id"}
 *   {"event":"output","uuid","action","value"}      output OOB: what it shows
 *   {"event":"provisioned","uuid","net_key","net_key_index","flags","iv_index",
 *    "unicast","elements","device_key","algorithm","auth"}
 *       keys 32 lower-case hex; algorithm and auth named as meshprov's JSON does
 *       ("BTM_ECDH_P256_CMAC_AES128_AES_CCM", "BTM_ECDH_P256_HMAC_SHA256_AES_CCM";
 *       "no-oob", "static-oob", "output-oob", "input-oob")
 *   {"event":"complete_sent","uuid"}   complete-delay: the held Complete goes out
 *   {"event":"failed","uuid","error","message"}    error: the Provisioning Failed
 *                                                  code sent, 0 when none
 *   {"event":"link_closed","uuid","reason","by_peer"}  reason: Link Close reason
 *                                                  (0 Success, 1 Timeout, 2 Fail)
 *   {"event":"config","uuid","op","status","src","net_index",...}
 *       one per Configuration message handled; status: the one sent (0 for
 *       messages without one); "send_error" (an errno) when the status could
 *       not be sent. By op:
 *         "appkey_add": "app_index", "app_key" (32 hex), net_index the
 *                       message's NetKeyIndex
 *         "composition_get": "page" (asked for; page 0 was sent)
 *         "bind": "element", "app_index", "model"
 *         "sub_add": "element", "address", "model"
 *         "node_reset"
 *       model: "1000" (SIG) or "01a80000" (vendor: CID then ID)
 *   {"event":"self_config","uuid","app_index","models":[{"element","model"}...],
 *    "groups":[...],"status"}   AliGenie v1: what it bound and subscribed;
 *                              status: the first failure, 0 when none
 *   {"event":"indication","uuid","tid","n","app_index"}   each send (n from 1)
 *   {"event":"indication_confirmed","uuid","tid","n","src"}
 *   {"event":"indication_timeout","uuid","tid","n"}      SIMDEV_IND_TRIES sent
 *   {"event":"indication_unconfirmed","uuid","tid","n","reason"}  still being
 *       repeated when the node stopped ("stopped": vair shuts down) or was
 *       unprovisioned ("node_reset", "fallback")
 *   {"event":"seg_unacked","uuid","dst","opcode","reason"}  a segmented message
 *       the node sent (its Composition Data Status) that the receiver never
 *       acknowledged in full: "timeout" (the lower transport gave up after its
 *       retransmissions), "refused" (BlockAck 0), "overflow" (no SEQ), or still
 *       being retransmitted when the node stopped or was unprovisioned
 *       ("stopped", "node_reset", "fallback"); opcode as 4 hex digits
 *   {"event":"fallback","uuid","unicast"}   AliGenie: no AppKey Add in time
 *   {"event":"unprovisioned","uuid","reason"}  "node_reset" or "fallback": it
 *                                            beacons and listens again
 * "uuid" is 32 lower-case hex digits. */
#ifndef VAIR_SIMDEV_H
#define VAIR_SIMDEV_H

#include <ev.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aligenie.h"
#include "beacon.h"
#include "cfgsrv.h"
#include "mesh.h"
#include "pb_adv.h"
#include "prov.h"
#include "prov_device.h"
#include "radio.h"

#define SIMDEV_PDU_QUEUE 4          /* provisioning PDUs waiting for the link */
#define SIMDEV_LINK_BEACON_MS 1000  /* beacon interval while a link is open */
#define SIMDEV_FAIL_LINGER_MS 5000  /* after a failure: close the link ourselves */
#define SIMDEV_MAX_ELEMENTS CFGSRV_MAX_ELEMENTS
#define SIMDEV_RESET_DELAY_MS 300   /* Node Reset Status sent: reset after this */
#define SIMDEV_PLAIN_CID 0x05f1     /* uuid: devices' Composition Data: The Linux Foundation */
#define SIMDEV_PLAIN_PID 0x0001

/* AliGenie behaviour (scaled by time_scale) */
#define SIMDEV_APPKEY_WAIT_MS 60000 /* Provisioning Complete to AppKey Add, at most */
#define SIMDEV_IND_INTERVAL_MS 400  /* Attr Indication repeats */
#define SIMDEV_IND_MIN_MS 100       /* ... never more often than this */
#define SIMDEV_IND_TRIES 30
#define SIMDEV_ALI_GROUP_LIGHTS 0xc000u
#define SIMDEV_ALI_GROUP_ALL 0xcfffu
#define SIMDEV_ALI_GROUP_GATEWAY 0xf000u /* where indications go */

enum simdev_kind { SIMDEV_ALIGENIE, SIMDEV_UUID };
enum simdev_comp { SIMDEV_COMP_LIGHT, SIMDEV_COMP_PLAIN };

struct simdev;

/* A segmented message the node sent and the lower transport still
 * retransmits (handle 0: a free entry). */
struct simdev_segtx {
	unsigned handle;
	uint16_t dst;
	uint32_t opcode;
};

struct simdev_ops {
	void (*ready)(void *ctx, struct simdev *d);            /* set up and beaconing */
	void (*fatal)(void *ctx, struct simdev *d, const char *msg);
	void (*stopped)(void *ctx, struct simdev *d);          /* after simdev_stop() */
};

struct simdev {
	/* from the spec */
	enum simdev_kind kind;
	char spec[256];
	struct unprov_beacon beacon;
	struct aligenie_info ali; /* SIMDEV_ALIGENIE */
	uint8_t secret[16];       /* SIMDEV_ALIGENIE: the per-device secret */
	bool has_bdaddr;
	uint8_t bdaddr[6];        /* wire order: the controller address to ask the air for */
	struct prov_device_params prov_params; /* capabilities and OOB material */
	bool pubkey_oob;
	enum simdev_comp comp_kind;
	uint16_t features;        /* features=: Composition Data Features (0 none) */
	struct cfgsrv_comp comp;  /* the node's Composition Data page 0 */

	/* set by the caller before simdev_start: the report (JSON lines), or -1; not owned */
	int report_fd;
	/* ... and the scale of the behaviour timers (1.0 after simdev_parse) */
	double time_scale;

	/* running */
	struct ev_loop *loop;
	struct radio radio;
	bool open;
	int fd;                   /* our end of a socketpair (closed by us), or -1 */
	unsigned beacon_interval_ms;
	ev_timer beacon_timer;
	bool ready;
	bool stopping;
	bool stopped;
	bool dead;
	const struct simdev_ops *ops;
	void *ctx;
	unsigned long beacons_sent;
	unsigned long rx_pdus;
	uint64_t last_beacon;

	/* provisioning */
	uint8_t oob_priv[32];     /* pubkey-oob: our fixed key pair */
	uint8_t oob_pub[64];
	bool timers_added;
	struct pb_adv_link link;
	struct prov_device prov;
	bool prov_active;         /* prov is set up for the open link */
	bool provisioned;
	uint64_t linger_until;    /* failed: close the link at this time */
	bool close_pending;       /* close the link after the current callback */
	uint8_t close_reason;
	uint8_t q[SIMDEV_PDU_QUEUE][PROV_MAX_PDU];
	size_t qlen[SIMDEV_PDU_QUEUE];
	unsigned qhead, qcount;
	unsigned long links, provisions, failures;

	/* the node (provisioned) */
	bool node;                /* mesh and cfg are set up */
	struct mesh mesh;
	struct cfgsrv cfg;
	uint8_t dev_key[16];
	uint32_t seq_next;        /* the next SEQ to grant (in memory: a simulation) */
	bool in_mesh;             /* inside a mesh call: its deadline is not read then */
	uint64_t reset_at;        /* Node Reset: forget everything at this time */
	uint64_t appkey_deadline; /* AliGenie: fall back unless an AppKey Add is stored by then */
	bool ali_ready;           /* AliGenie: the AppKey Add came */
	bool ind_active;          /* AliGenie: the Attr Indication is being repeated */
	uint8_t ind_tid;
	uint8_t next_tid;
	uint16_t ind_app_index;
	unsigned ind_sent;
	uint64_t ind_next;
	struct simdev_segtx segtx[LOWER_TX_SLOTS]; /* its segmented sends still going */
	unsigned long resets, fallbacks;
	/* fail-at=, close-at=: on receiving the provisioner's PDU of this type,
	 * answer Provisioning Failed with fail_code / close the link with
	 * close_at_reason, instead of going on */
	bool fail_at_set, close_at_set;
	uint8_t fail_at_type, fail_code, close_at_type, close_at_reason;
	bool forced_failure;      /* the failure being reported is fail-at's */
	uint32_t deaf_ms;         /* deaf=: after the first provisioning, hear nothing this long */
	uint64_t deaf_until;
	unsigned long deaf_dropped;
	uint32_t complete_delay_ms; /* complete-delay=: hold Provisioning Complete this long */
	uint64_t complete_at;       /* when the held one goes out, or NO_DEADLINE */
};

/* Parse a device spec into d (zeroed first). 0, or -1 with one line in err. */
int simdev_parse(struct simdev *d, const char *spec, char *err, size_t errlen);

/* Start the device on transport spec ("fd:N", "unix:PATH", ...). owned_fd: a
 * descriptor closed together with the device (the fd:N one), or -1.
 * 0, or -1 with one line in err (owned_fd is closed then too). */
int simdev_start(struct simdev *d, struct ev_loop *loop, const char *transport, int owned_fd,
		 unsigned beacon_interval_ms, const struct simdev_ops *ops, void *ctx, char *err,
		 size_t errlen);

/* Stop beaconing, turn scanning off, close; ops->stopped follows (at once
 * when the device is dead). */
void simdev_stop(struct simdev *d);

/* Release everything at once (no ops callback). Safe to call twice. */
void simdev_close(struct simdev *d);

/* "aligenie 602 78:da:07:c1:1c:a8" or "uuid 0123..." for messages. */
void simdev_describe(const struct simdev *d, char *out, size_t outlen);

#endif
