/* HCI traffic capture in the BTSnoop file format, datalink HCI UART (H4):
 * readable by btmon -r and Wireshark. An edge (a file descriptor).
 *
 * File: "btsnoop\0", version (u32 BE, 1), datalink (u32 BE, 1002).
 * Record: original length, included length, flags, cumulative drops (each
 * u32 BE), timestamp (i64 BE, microseconds since 0000-01-01 AD), then the H4
 * packet, type octet first. Flags bit 0: received (controller to host); bit 1:
 * command or event (clear for ACL, SCO and ISO data). */
#ifndef MESHPROV_BTSNOOP_H
#define MESHPROV_BTSNOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BTSNOOP_HEADER_LEN 16
#define BTSNOOP_RECORD_HEADER_LEN 24
#define BTSNOOP_VERSION 1
#define BTSNOOP_DATALINK_H4 1002
#define BTSNOOP_FLAG_RECEIVED 0x01
#define BTSNOOP_FLAG_CMD_EVT 0x02
/* Microseconds from 0000-01-01 AD to the Unix epoch. */
#define BTSNOOP_EPOCH_OFFSET_US 0x00dcddb30f2f8000ULL

struct btsnoop {
	int fd;           /* -1 when closed */
	uint64_t records; /* records written whole */
	bool failed;      /* a write failed: nothing more is written */
};

/* The 16-octet file header. */
void btsnoop_file_header(uint8_t out[BTSNOOP_HEADER_LEN]);

/* Encode the record header for the H4 packet h4[0..len) (type octet first)
 * sent (received false: host to controller) or received at wall-clock time
 * unix_us (microseconds since the Unix epoch). Returns
 * BTSNOOP_RECORD_HEADER_LEN, or 0 when len is 0 or does not fit 32 bits. */
size_t btsnoop_record_header(uint8_t out[BTSNOOP_RECORD_HEADER_LEN], bool received,
			     const uint8_t *h4, size_t len, uint64_t unix_us);

/* Create or truncate path (mode 0600, close-on-exec) and write the file
 * header. 0, or -1 with "PATH: reason" in err. */
int btsnoop_open(struct btsnoop *b, const char *path, char *err, size_t errlen);

/* Append one H4 packet (type octet first) at wall-clock time unix_us.
 * received: controller to host. A failed write sets failed, logs one warning
 * and stops further writes. Does nothing on a closed capture. */
void btsnoop_write(struct btsnoop *b, bool received, const uint8_t *h4, size_t len,
		   uint64_t unix_us);

/* Close the file; safe to call again, and after a failed btsnoop_open. */
void btsnoop_close(struct btsnoop *b);

/* Microseconds since the Unix epoch on CLOCK_REALTIME. */
uint64_t btsnoop_wall_us(void);

#endif
