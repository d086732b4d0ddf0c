#include "btsnoop.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "h4.h"
#include "log.h"
#include "util.h"

static void put_be64(uint8_t *p, uint64_t v)
{
	put_be32(p, (uint32_t)(v >> 32));
	put_be32(p + 4, (uint32_t)v);
}

void btsnoop_file_header(uint8_t out[BTSNOOP_HEADER_LEN])
{
	memcpy(out, "btsnoop\0", 8);
	put_be32(out + 8, BTSNOOP_VERSION);
	put_be32(out + 12, BTSNOOP_DATALINK_H4);
}

size_t btsnoop_record_header(uint8_t out[BTSNOOP_RECORD_HEADER_LEN], bool received,
			     const uint8_t *h4, size_t len, uint64_t unix_us)
{
	uint32_t flags = received ? BTSNOOP_FLAG_RECEIVED : 0;

	if (len == 0 || len > UINT32_MAX)
		return 0;
	if (h4[0] == H4_CMD || h4[0] == H4_EVT)
		flags |= BTSNOOP_FLAG_CMD_EVT;
	put_be32(out, (uint32_t)len);      /* original length */
	put_be32(out + 4, (uint32_t)len);  /* included length */
	put_be32(out + 8, flags);
	put_be32(out + 12, 0);             /* cumulative drops */
	put_be64(out + 16, unix_us + BTSNOOP_EPOCH_OFFSET_US);
	return BTSNOOP_RECORD_HEADER_LEN;
}

/* Write all of iov (modified on the way). 0, or -1 with errno set. */
static int write_all(int fd, struct iovec *iov, int iovcnt)
{
	while (iovcnt > 0) {
		ssize_t n = writev(fd, iov, iovcnt);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0) {
			errno = EIO;
			return -1;
		}
		while (iovcnt > 0 && (size_t)n >= iov->iov_len) {
			n -= (ssize_t)iov->iov_len;
			iov++;
			iovcnt--;
		}
		if (iovcnt > 0) {
			iov->iov_base = (uint8_t *)iov->iov_base + n;
			iov->iov_len -= (size_t)n;
		}
	}
	return 0;
}

int btsnoop_open(struct btsnoop *b, const char *path, char *err, size_t errlen)
{
	uint8_t hdr[BTSNOOP_HEADER_LEN];
	struct iovec iov;
	int fd;

	memset(b, 0, sizeof(*b));
	b->fd = -1;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	btsnoop_file_header(hdr);
	iov.iov_base = hdr;
	iov.iov_len = sizeof(hdr);
	if (write_all(fd, &iov, 1) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	b->fd = fd;
	return 0;
}

void btsnoop_write(struct btsnoop *b, bool received, const uint8_t *h4, size_t len,
		   uint64_t unix_us)
{
	uint8_t hdr[BTSNOOP_RECORD_HEADER_LEN];
	struct iovec iov[2];

	if (b->fd < 0 || b->failed)
		return;
	if (btsnoop_record_header(hdr, received, h4, len, unix_us) == 0)
		return; /* no H4 packet is empty or that long: nothing to record */
	iov[0].iov_base = hdr;
	iov[0].iov_len = sizeof(hdr);
	iov[1].iov_base = (void *)h4;
	iov[1].iov_len = len;
	if (write_all(b->fd, iov, 2) < 0) {
		b->failed = true;
		log_warn("BTSnoop capture: write failed after %llu records: %s; no more packets are "
			 "recorded", (unsigned long long)b->records, strerror(errno));
		return;
	}
	b->records++;
}

void btsnoop_close(struct btsnoop *b)
{
	if (b->fd >= 0)
		close(b->fd);
	b->fd = -1;
}

uint64_t btsnoop_wall_us(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) < 0 || ts.tv_sec < 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}
