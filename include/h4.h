/* H4 (UART transport) framing: a packet-type octet before each HCI packet.
 * Used on byte streams (Unix sockets, ttys) in both directions, and also on
 * BlueZ HCI sockets, which deliver one whole H4 packet per read. */
#ifndef MESHPROV_H4_H
#define MESHPROV_H4_H

#include <stddef.h>
#include <stdint.h>

enum h4_type {
	H4_CMD = 0x01,
	H4_ACL = 0x02,
	H4_SCO = 0x03,
	H4_EVT = 0x04,
	H4_ISO = 0x05,
};

/* Largest H4 packet: type + ACL header + 65535 octets of data. */
#define H4_MAX_PACKET (1 + 4 + 65535)

struct h4_parser {
	size_t len;  /* octets held in buf */
	size_t need; /* total length of the packet being assembled, 0 while unknown */
	uint8_t buf[H4_MAX_PACKET];
};

/* pkt starts with the packet-type octet. */
typedef void (*h4_packet_fn)(void *ctx, const uint8_t *pkt, size_t len);

void h4_reset(struct h4_parser *p);

/* Feed bytes as they arrive; calls fn once per complete packet, whatever the
 * read boundaries. Returns 0, or -1 on an unknown packet-type octet: the
 * stream has lost framing and the caller must drop the connection. */
int h4_feed(struct h4_parser *p, const uint8_t *data, size_t len, h4_packet_fn fn, void *ctx);

#endif
