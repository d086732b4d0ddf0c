#include "btsnoop_read.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "btsnoop.h"
#include "h4.h"
#include "util.h"

/* Read the whole regular file; *buf is malloc'd (at least one octet). */
static int slurp(const char *path, uint8_t **buf, size_t *len, char *err, size_t errlen)
{
	struct stat st;
	uint8_t *p;
	size_t size, got = 0;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode) || st.st_size < 0) {
		snprintf(err, errlen, "%s: not a regular file", path);
		close(fd);
		return -1;
	}
	size = (size_t)st.st_size;
	p = malloc(size ? size : 1);
	if (!p) {
		snprintf(err, errlen, "%s: out of memory for %zu octets", path, size);
		close(fd);
		return -1;
	}
	while (got < size) {
		ssize_t n = read(fd, p + got, size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(err, errlen, "%s: %s", path,
				 n < 0 ? strerror(errno) : "file shrank while read");
			free(p);
			close(fd);
			return -1;
		}
		got += (size_t)n;
	}
	close(fd);
	*buf = p;
	*len = size;
	return 0;
}

/* The length the H4 packet's own header gives, or 0 when the packet is too
 * short to hold its header or the type is unknown. */
static size_t h4_len(const uint8_t *d, size_t len)
{
	switch (d[0]) {
	case H4_CMD:
		return len >= 4 ? 4 + (size_t)d[3] : 0;
	case H4_ACL:
		return len >= 5 ? 5 + (size_t)get_le16(d + 3) : 0;
	case H4_SCO:
		return len >= 4 ? 4 + (size_t)d[3] : 0;
	case H4_EVT:
		return len >= 3 ? 3 + (size_t)d[2] : 0;
	case H4_ISO:
		return len >= 5 ? 5 + (size_t)(get_le16(d + 3) & 0x3fff) : 0;
	default:
		return 0;
	}
}

struct opcodes {
	uint16_t *ops;
	size_t max, n;
};

static int check(const char *path, const uint8_t *f, size_t flen, size_t *records, size_t *sent,
		 size_t *received, uint16_t *first_opcode, struct opcodes *cmds, char *err,
		 size_t errlen)
{
	size_t off = BTSNOOP_HEADER_LEN, n = 0, ns = 0, nr = 0;
	uint16_t opcode = 0;
	uint32_t v;

	if (flen < BTSNOOP_HEADER_LEN) {
		snprintf(err, errlen, "%s: %zu octets, too short for the file header", path, flen);
		return -1;
	}
	if (memcmp(f, "btsnoop\0", 8)) {
		snprintf(err, errlen, "%s: not a BTSnoop file (bad magic)", path);
		return -1;
	}
	v = get_be32(f + 8);
	if (v != BTSNOOP_VERSION) {
		snprintf(err, errlen, "%s: version %u, want %u", path, (unsigned)v, BTSNOOP_VERSION);
		return -1;
	}
	v = get_be32(f + 12);
	if (v != BTSNOOP_DATALINK_H4) {
		snprintf(err, errlen, "%s: datalink %u, want %u (HCI UART)", path, (unsigned)v,
			 BTSNOOP_DATALINK_H4);
		return -1;
	}
	while (off < flen) {
		const uint8_t *h = f + off, *d;
		uint32_t orig, incl, flags, drops;
		uint64_t ts;
		bool rx, cmd_evt;
		size_t want;

		if (flen - off < BTSNOOP_RECORD_HEADER_LEN) {
			snprintf(err, errlen, "%s: record %zu: truncated header (%zu octets left)", path,
				 n, flen - off);
			return -1;
		}
		orig = get_be32(h);
		incl = get_be32(h + 4);
		flags = get_be32(h + 8);
		drops = get_be32(h + 12);
		ts = (uint64_t)get_be32(h + 16) << 32 | get_be32(h + 20);
		if (orig != incl) {
			snprintf(err, errlen, "%s: record %zu: original length %u, included %u", path, n,
				 (unsigned)orig, (unsigned)incl);
			return -1;
		}
		if (incl == 0) {
			snprintf(err, errlen, "%s: record %zu: empty", path, n);
			return -1;
		}
		if (incl > flen - off - BTSNOOP_RECORD_HEADER_LEN) {
			snprintf(err, errlen, "%s: record %zu: truncated: %u octets of data, %zu in the file",
				 path, n, (unsigned)incl, flen - off - BTSNOOP_RECORD_HEADER_LEN);
			return -1;
		}
		if (flags & ~(uint32_t)(BTSNOOP_FLAG_RECEIVED | BTSNOOP_FLAG_CMD_EVT)) {
			snprintf(err, errlen, "%s: record %zu: unknown flags 0x%08x", path, n,
				 (unsigned)flags);
			return -1;
		}
		if (drops != 0) {
			snprintf(err, errlen, "%s: record %zu: %u dropped packets", path, n,
				 (unsigned)drops);
			return -1;
		}
		if (ts < BTSNOOP_EPOCH_OFFSET_US) {
			snprintf(err, errlen, "%s: record %zu: timestamp before 1970", path, n);
			return -1;
		}
		d = h + BTSNOOP_RECORD_HEADER_LEN;
		if (d[0] < H4_CMD || d[0] > H4_ISO) {
			snprintf(err, errlen, "%s: record %zu: unknown H4 type 0x%02x", path, n, d[0]);
			return -1;
		}
		want = h4_len(d, incl);
		if (want != incl) {
			snprintf(err, errlen, "%s: record %zu: %u octets, the H4 type 0x%02x header says %zu",
				 path, n, (unsigned)incl, d[0], want);
			return -1;
		}
		rx = flags & BTSNOOP_FLAG_RECEIVED;
		cmd_evt = flags & BTSNOOP_FLAG_CMD_EVT;
		if (cmd_evt != (d[0] == H4_CMD || d[0] == H4_EVT)) {
			snprintf(err, errlen, "%s: record %zu: flags 0x%x disagree with H4 type 0x%02x",
				 path, n, (unsigned)flags, d[0]);
			return -1;
		}
		if ((d[0] == H4_CMD && rx) || (d[0] == H4_EVT && !rx)) {
			snprintf(err, errlen, "%s: record %zu: %s %s", path, n,
				 d[0] == H4_CMD ? "command" : "event",
				 rx ? "received from the controller" : "sent by the host");
			return -1;
		}
		if (rx) {
			nr++;
		} else {
			if (ns == 0 && d[0] == H4_CMD)
				opcode = get_le16(d + 1);
			if (cmds && d[0] == H4_CMD && cmds->n < cmds->max)
				cmds->ops[cmds->n++] = get_le16(d + 1);
			ns++;
		}
		n++;
		off += BTSNOOP_RECORD_HEADER_LEN + incl;
	}
	if (records)
		*records = n;
	if (sent)
		*sent = ns;
	if (received)
		*received = nr;
	if (first_opcode)
		*first_opcode = opcode;
	return 0;
}

int btsnoop_check_file(const char *path, size_t *records, size_t *sent, size_t *received,
		       uint16_t *first_opcode, char *err, size_t errlen)
{
	uint8_t *f;
	size_t flen;
	int ret;

	if (slurp(path, &f, &flen, err, errlen) < 0)
		return -1;
	ret = check(path, f, flen, records, sent, received, first_opcode, NULL, err, errlen);
	free(f);
	return ret;
}

int btsnoop_sent_commands(const char *path, uint16_t *ops, size_t max, size_t *n, char *err,
			  size_t errlen)
{
	struct opcodes c = { ops, max, 0 };
	uint8_t *f;
	size_t flen;
	int ret;

	if (slurp(path, &f, &flen, err, errlen) < 0)
		return -1;
	ret = check(path, f, flen, NULL, NULL, NULL, NULL, &c, err, errlen);
	free(f);
	*n = c.n;
	return ret;
}
