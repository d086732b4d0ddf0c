/* Simulated unprovisioned mesh devices for the virtual air. Each one is an
 * in-process host of its own controller, driven by the same radio/HCI/ADV
 * stack meshprov uses: over a socketpair to a controller of the air ("fd:N"),
 * or as a client of another H4 server such as btvirt ("unix:PATH").
 *
 * Device specs:
 *   aligenie:PID,MAC,SECRET[,silent][,random-auth][,v0]
 *       PID decimal or 0x-hex, MAC "78:da:07:c1:1c:a8" or 12 hex digits in
 *       display order, SECRET 32 hex digits. The UUID is an AliGenie one:
 *       PID flags 0x71, UUID version 1 (v0: 0), flags2 0x10 (random-auth
 *       adds 0x02), silent sets the silent-advertising bit. The MAC is also
 *       the controller's public address on the virtual air.
 *   uuid:HEX32[,oob=N][,uri=HEX8]
 *       a plain device with that UUID, OOB Information and URI hash. */
#ifndef VAIR_SIMDEV_H
#define VAIR_SIMDEV_H

#include <ev.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aligenie.h"
#include "beacon.h"
#include "radio.h"

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
	char spec[160];
	struct unprov_beacon beacon;
	struct aligenie_info ali; /* SIMDEV_ALIGENIE */
	uint8_t secret[16];       /* SIMDEV_ALIGENIE: the per-device secret */
	bool has_bdaddr;
	uint8_t bdaddr[6];        /* wire order: the controller address to ask the air for */

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
