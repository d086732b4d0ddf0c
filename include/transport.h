/* HCI transports, chosen by a spec string:
 *   hciN        BlueZ raw HCI socket (HCI_CHANNEL_RAW), shared with the kernel
 *   hciN:user   HCI_CHANNEL_USER, exclusive (the controller must be down)
 *   hciN:mesh   the management socket (HCI_CHANNEL_CONTROL) and the kernel's
 *               mesh interface: management frames, not H4 (see mgmt.h)
 *   unix:PATH   H4 over a Unix stream socket (btvirt -s, the virtual air)
 *   tty:PATH[:BAUD]  H4 over a UART, raw mode, RTS/CTS (default 1000000 baud)
 *   fd:N        H4 over an already open descriptor (tests, the simulator)
 * Every other transport carries H4 framing; this is an edge (file descriptors). */
#ifndef MESHPROV_TRANSPORT_H
#define MESHPROV_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "h4.h"
#include "mgmt_probe.h"

enum transport_kind {
	TRANSPORT_HCI_RAW, TRANSPORT_HCI_USER, TRANSPORT_MGMT, TRANSPORT_UNIX, TRANSPORT_TTY, TRANSPORT_FD
};

struct transport {
	enum transport_kind kind;
	int fd;
	char name[128];         /* for messages: "hci0", "unix:/tmp/bt-server-le" */
	unsigned dev;           /* the controller index of hciN forms */
	struct h4_parser parser;
};

/* Without --hci: TRANSPORT_DEFAULT_MESH where mgmt_probe_choose() says so. */
#define TRANSPORT_DEFAULT "hci0"
#define TRANSPORT_DEFAULT_MESH "hci0:mesh"

/* Ask the kernel, over a management socket of its own, what
 * mgmt_probe_choose() needs to know about controller dev (a second at most
 * per question; what it cannot learn stays unset). */
void transport_probe_mesh(unsigned dev, struct mgmt_probe *p);

/* Open; on failure returns -1 and writes one line naming the device and the
 * cause into err. */
int transport_open(struct transport *t, const char *spec, char *err, size_t errlen);

/* True when a controller set-up may start with HCI_Reset (not on a raw
 * socket shared with the kernel). */
bool transport_exclusive(const struct transport *t);

/* One line for a failed write or read (errno e): "hci0 is down: bring it up
 * with ..." for a controller that went down, else "NAME: what failed: why". */
void transport_error_msg(const struct transport *t, const char *what, int e, char *msg,
			 size_t len);

/* Write one H4 packet. 0, or -1 (errno set). */
int transport_write(struct transport *t, const uint8_t *pkt, size_t len);

/* Read what is available and pass each complete packet to fn (on
 * TRANSPORT_MGMT: each management frame, as read). 0, or -1 on
 * end of stream (errno 0), a read error, or lost framing (errno EPROTO). */
int transport_read(struct transport *t, h4_packet_fn fn, void *ctx);

void transport_close(struct transport *t);

#endif
