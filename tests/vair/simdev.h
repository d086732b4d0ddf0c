/* Simulated unprovisioned mesh devices for the virtual air. Each one is an
 * in-process host of its own controller, driven by the same radio/HCI/ADV
 * stack meshprov uses: over a socketpair to a controller of the air ("fd:N"),
 * or as a client of another H4 server such as btvirt ("unix:PATH").
 *
 * Device specs:
 *   aligenie:PID,MAC,SECRET[,silent][,random-auth][,v0][,elements=N]
 *       PID decimal or 0x-hex, MAC "78:da:07:c1:1c:a8" or 12 hex digits in
 *       display order, SECRET 32 hex digits. The UUID is an AliGenie one:
 *       PID flags 0x71, UUID version 1 (v0: 0), flags2 0x10 (random-auth
 *       adds 0x02), silent sets the silent-advertising bit. The MAC is also
 *       the controller's public address on the virtual air.
 *       Provisioning: 1 element (or N), algorithms 0x0001 (CMAC), no OOB
 *       public key, static OOB available (0x01) with the AliGenie AuthValue
 *       SHA-256("pid,mac,secret")[0:16]; with random-auth the random-bound
 *       variant (each side's AuthValue also hashes its own Random).
 *   uuid:HEX32[,oob=N][,uri=HEX8][,no-oob][,static=HEX][,algs=N]
 *             [,output=numeric:VALUE|output=alpha:VALUE][,elements=N][,pubkey-oob]
 *       a plain device with that UUID, OOB Information (beacon field) and
 *       URI hash. Provisioning: 1 element (or N), algorithms 0x0001 (or the
 *       bitmask N: 0x0003 adds HMAC-SHA256), no OOB (default; no-oob says
 *       so), static OOB with a 16 or 32 octet value (static=), output OOB
 *       showing the fixed VALUE (numeric: 1-8 digits, alpha: 1-8 of 0-9 A-Z;
 *       output size = its length), an OOB public key (pubkey-oob: the key
 *       pair is made at start and announced in the report).
 *
 * Provisioning (device role): a PB-ADV link listening for a Link Open with
 * the device's UUID carries the provisioning protocol (prov_device). While a
 * link is open the device beacons at most once a second; after Provisioning
 * Complete it is provisioned: no more beacons, Link Open ignored (for the
 * life of the process). After a failure it keeps the link until the
 * provisioner closes it (or SIMDEV_FAIL_LINGER_MS pass), then listens again.
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
 *   {"event":"failed","uuid","error","message"}    error: the Provisioning Failed
 *                                                  code sent, 0 when none
 *   {"event":"link_closed","uuid","reason","by_peer"}  reason: Link Close reason
 *                                                  (0 Success, 1 Timeout, 2 Fail)
 * "uuid" is 32 lower-case hex digits. */
#ifndef VAIR_SIMDEV_H
#define VAIR_SIMDEV_H

#include <ev.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aligenie.h"
#include "beacon.h"
#include "pb_adv.h"
#include "prov.h"
#include "prov_device.h"
#include "radio.h"

#define SIMDEV_PDU_QUEUE 4          /* provisioning PDUs waiting for the link */
#define SIMDEV_LINK_BEACON_MS 1000  /* beacon interval while a link is open */
#define SIMDEV_FAIL_LINGER_MS 5000  /* after a failure: close the link ourselves */

enum simdev_kind { SIMDEV_ALIGENIE, SIMDEV_UUID };

struct simdev;

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

	/* set by the caller before simdev_start: the report (JSON lines), or -1; not owned */
	int report_fd;

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
