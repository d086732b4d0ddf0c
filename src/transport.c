#include "transport.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include <bluetooth/bluetooth.h>
#include <bluetooth/hci.h>
#include <bluetooth/hci_lib.h>

#include "util.h"

static void fail(char *err, size_t errlen, const char *name, int e)
{
	const char *why;

	switch (e) {
	case ENOENT:
	case ENODEV:
		why = "no such device";
		break;
	case EACCES:
	case EPERM:
		why = "permission denied (needs CAP_NET_RAW, or run as root)";
		break;
	case EAFNOSUPPORT:
		why = "address family not supported (no Bluetooth in this kernel)";
		break;
	case ECONNREFUSED:
		why = "connection refused (is the server running?)";
		break;
	case EBUSY:
		why = "device busy";
		break;
	default:
		why = strerror(e);
		break;
	}
	snprintf(err, errlen, "cannot open %s: %s", name, why);
}

static void down_msg(int dev, char *msg, size_t len)
{
	snprintf(msg, len, "hci%d is down: bring it up with `btmgmt --index %d power on` "
		 "(or `hciconfig hci%d up`)", dev, dev, dev);
}

void transport_error_msg(const struct transport *t, const char *what, int e, char *msg,
			 size_t len)
{
	if (e == ENETDOWN && (t->kind == TRANSPORT_HCI_RAW || t->kind == TRANSPORT_HCI_USER))
		down_msg((int)t->dev, msg, len);
	else
		snprintf(msg, len, "%s: %s failed: %s", t->name, what, strerror(e));
}

/* Is controller dev up? (false also when it cannot be asked) */
static bool dev_up(int fd, int dev)
{
	struct hci_dev_info di;

	memset(&di, 0, sizeof(di));
	di.dev_id = (uint16_t)dev;
	return ioctl(fd, HCIGETDEVINFO, &di) == 0 && hci_test_bit(HCI_UP, &di.flags);
}

static int open_hci(struct transport *t, int dev, bool user, char *err, size_t errlen)
{
	struct sockaddr_hci addr;
	int fd;

	fd = socket(AF_BLUETOOTH, SOCK_RAW | SOCK_CLOEXEC, BTPROTO_HCI);
	if (fd < 0) {
		fail(err, errlen, t->name, errno);
		return -1;
	}
	if (!user) {
		/* the raw socket binds to a controller that is down or even
		 * absent: look first, so that nothing waits for it */
		struct hci_dev_info di;

		memset(&di, 0, sizeof(di));
		di.dev_id = (uint16_t)dev;
		if (ioctl(fd, HCIGETDEVINFO, &di) < 0) {
			if (errno == ENODEV)
				snprintf(err, errlen, "no controller hci%d: no such device", dev);
			else
				fail(err, errlen, t->name, errno);
			close(fd);
			return -1;
		}
		if (!hci_test_bit(HCI_UP, &di.flags)) {
			down_msg(dev, err, errlen);
			close(fd);
			return -1;
		}
	}
	if (!user) {
		struct hci_filter flt;

		hci_filter_clear(&flt);
		hci_filter_set_ptype(HCI_EVENT_PKT, &flt);
		/* the kernel's own commands too: to see it take over the scanning
		 * or clear advertising sets (never our own: the kernel skips them) */
		hci_filter_set_ptype(HCI_COMMAND_PKT, &flt);
		hci_filter_set_event(EVT_CMD_COMPLETE, &flt);
		hci_filter_set_event(EVT_CMD_STATUS, &flt);
		hci_filter_set_event(EVT_LE_META_EVENT, &flt);
		if (setsockopt(fd, SOL_HCI, HCI_FILTER, &flt, sizeof(flt)) < 0) {
			fail(err, errlen, t->name, errno);
			close(fd);
			return -1;
		}
	}
	memset(&addr, 0, sizeof(addr));
	addr.hci_family = AF_BLUETOOTH;
	addr.hci_dev = (unsigned short)dev;
	addr.hci_channel = user ? HCI_CHANNEL_USER : HCI_CHANNEL_RAW;
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		int e = errno;

		if (e == ENODEV)
			snprintf(err, errlen, "no controller hci%d: no such device", dev);
		else if (user && e == EBUSY && !dev_up(fd, dev))
			/* down, but in the kernel's set-up (or init) still */
			snprintf(err, errlen, "hci%d is busy: the kernel is still setting it up; "
				 "try again in a moment", dev);
		else if (user && e == EBUSY)
			/* up: the kernel has it (bluetoothd powers controllers back on) */
			snprintf(err, errlen,
				 "hci%d is up (powered by the kernel or bluetoothd): "
				 "`btmgmt --index %d power off` first, or use hci%d or hci%d:mesh",
				 dev, dev, dev, dev);
		else if (user && e == EUSERS)
			snprintf(err, errlen, "hci%d: another program holds its user channel", dev);
		else
			fail(err, errlen, t->name, e);
		close(fd);
		return -1;
	}
	t->fd = fd;
	return 0;
}

/* The management socket: not bound to a controller; frames carry the index. */
static int open_mgmt(struct transport *t, char *err, size_t errlen)
{
	struct sockaddr_hci addr;
	int fd;

	fd = socket(AF_BLUETOOTH, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, BTPROTO_HCI);
	if (fd < 0) {
		fail(err, errlen, t->name, errno);
		return -1;
	}
	memset(&addr, 0, sizeof(addr));
	addr.hci_family = AF_BLUETOOTH;
	addr.hci_dev = HCI_DEV_NONE;
	addr.hci_channel = HCI_CHANNEL_CONTROL;
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		fail(err, errlen, t->name, errno);
		close(fd);
		return -1;
	}
	t->fd = fd;
	return 0;
}

void transport_probe_mesh(unsigned dev, struct mgmt_probe *p)
{
	struct sockaddr_hci addr;
	uint8_t frame[MGMT_PROBE_FRAME_MAX];
	int fd;

	mgmt_probe_init(p, (uint16_t)dev);
	fd = socket(AF_BLUETOOTH, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, BTPROTO_HCI);
	if (fd < 0)
		return;
	memset(&addr, 0, sizeof(addr));
	addr.hci_family = AF_BLUETOOTH;
	addr.hci_dev = HCI_DEV_NONE;
	addr.hci_channel = HCI_CHANNEL_CONTROL;
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		close(fd);
		return;
	}
	p->opened = true;
	for (int i = 0; i < MGMT_PROBE_NCMDS; i++) {
		uint64_t deadline = mono_ms() + MGMT_PROBE_TIMEOUT_MS, now;
		size_t n = mgmt_probe_cmd(p, i, frame);

		if (write(fd, frame, n) < 0)
			break;
		/* until its answer (events and other answers pass by) */
		while (!p->answered[i] && (now = mono_ms()) < deadline) {
			struct pollfd pfd = { .fd = fd, .events = POLLIN };
			ssize_t r;

			if (poll(&pfd, 1, (int)(deadline - now)) < 0 && errno != EINTR)
				break;
			r = read(fd, frame, sizeof(frame));
			if (r > 0)
				mgmt_probe_receive(p, frame, (size_t)r);
			else if (r < 0 && errno != EAGAIN && errno != EINTR)
				break;
		}
		if (!p->answered[i])
			break;
	}
	close(fd);
}

static int open_unix(struct transport *t, const char *path, char *err, size_t errlen)
{
	struct sockaddr_un addr;
	int fd;

	if (strlen(path) >= sizeof(addr.sun_path)) {
		snprintf(err, errlen, "cannot open %s: path too long", t->name);
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fail(err, errlen, t->name, errno);
		return -1;
	}
	memset(&addr, 0, sizeof(addr));
	addr.sun_family = AF_UNIX;
	strcpy(addr.sun_path, path);
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		if (errno == ENOENT)
			snprintf(err, errlen, "cannot open %s: no such socket (is the server running?)",
				 t->name);
		else
			fail(err, errlen, t->name, errno);
		close(fd);
		return -1;
	}
	t->fd = fd;
	return 0;
}

static speed_t baud_const(unsigned long baud)
{
	switch (baud) {
	case 9600: return B9600;
	case 19200: return B19200;
	case 38400: return B38400;
	case 57600: return B57600;
	case 115200: return B115200;
	case 230400: return B230400;
	case 460800: return B460800;
	case 921600: return B921600;
	case 1000000: return B1000000;
	case 2000000: return B2000000;
	case 3000000: return B3000000;
	default: return 0;
	}
}

static int open_tty(struct transport *t, const char *arg, char *err, size_t errlen)
{
	char path[256];
	const char *colon = strrchr(arg, ':');
	unsigned long baud = 1000000;
	struct termios tio;
	speed_t speed;
	int fd;

	snprintf(path, sizeof(path), "%s", arg);
	if (colon && colon != arg) {
		if (parse_uint(colon + 1, 4000000, &baud) < 0 || !baud_const(baud)) {
			snprintf(err, errlen, "cannot open %s: unsupported baud rate '%s'", t->name, colon + 1);
			return -1;
		}
		path[colon - arg] = '\0';
	}
	speed = baud_const(baud);
	fd = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		fail(err, errlen, t->name, errno);
		return -1;
	}
	if (tcgetattr(fd, &tio) < 0) {
		snprintf(err, errlen, "cannot open %s: not a terminal", t->name);
		close(fd);
		return -1;
	}
	cfmakeraw(&tio);
	tio.c_cflag |= CRTSCTS | CLOCAL | CREAD;
	tio.c_cc[VMIN] = 1;
	tio.c_cc[VTIME] = 0;
	cfsetispeed(&tio, speed);
	cfsetospeed(&tio, speed);
	if (tcsetattr(fd, TCSANOW, &tio) < 0) {
		fail(err, errlen, t->name, errno);
		close(fd);
		return -1;
	}
	tcflush(fd, TCIOFLUSH);
	t->fd = fd;
	return 0;
}

int transport_open(struct transport *t, const char *spec, char *err, size_t errlen)
{
	unsigned long n;

	memset(t, 0, sizeof(*t));
	t->fd = -1;
	h4_reset(&t->parser);
	snprintf(t->name, sizeof(t->name), "%s", spec);
	if (!strncmp(spec, "unix:", 5)) {
		t->kind = TRANSPORT_UNIX;
		return open_unix(t, spec + 5, err, errlen);
	}
	if (!strncmp(spec, "tty:", 4)) {
		t->kind = TRANSPORT_TTY;
		return open_tty(t, spec + 4, err, errlen);
	}
	if (!strncmp(spec, "fd:", 3)) {
		t->kind = TRANSPORT_FD;
		if (parse_uint(spec + 3, 65535, &n) < 0 || fcntl((int)n, F_GETFD) < 0) {
			snprintf(err, errlen, "cannot open %s: not an open descriptor", spec);
			return -1;
		}
		t->fd = (int)n;
		return 0;
	}
	if (!strncmp(spec, "hci", 3)) {
		char num[16];
		const char *suffix = strchr(spec, ':');
		size_t l = suffix ? (size_t)(suffix - spec - 3) : strlen(spec + 3);

		if (l == 0 || l >= sizeof(num))
			goto bad;
		memcpy(num, spec + 3, l);
		num[l] = '\0';
		if (parse_uint(num, HCI_MAX_DEV - 1, &n) < 0)
			goto bad;
		t->dev = (unsigned)n;
		if (suffix && !strcmp(suffix, ":mesh")) {
			t->kind = TRANSPORT_MGMT;
			return open_mgmt(t, err, errlen);
		}
		if (suffix && strcmp(suffix, ":user"))
			goto bad;
		t->kind = suffix ? TRANSPORT_HCI_USER : TRANSPORT_HCI_RAW;
		return open_hci(t, (int)n, suffix != NULL, err, errlen);
	}
bad:
	snprintf(err, errlen,
		 "cannot open %s: unknown transport (use hciN, hciN:user, hciN:mesh, unix:PATH or "
		 "tty:PATH[:BAUD])",
		 spec);
	return -1;
}

bool transport_exclusive(const struct transport *t)
{
	return t->kind != TRANSPORT_HCI_RAW && t->kind != TRANSPORT_MGMT;
}

int transport_write(struct transport *t, const uint8_t *pkt, size_t len)
{
	if (t->kind == TRANSPORT_MGMT) {
		/* One frame per write. The kernel returns 0, not the length, when it
		 * answered a command with a status at once (unknown controller,
		 * permission denied): the frame was taken all the same. */
		ssize_t n;

		do
			n = write(t->fd, pkt, len);
		while (n < 0 && errno == EINTR);
		return n < 0 ? -1 : 0;
	}
	while (len > 0) {
		ssize_t n = write(t->fd, pkt, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		pkt += n;
		len -= (size_t)n;
	}
	return 0;
}

int transport_read(struct transport *t, h4_packet_fn fn, void *ctx)
{
	uint8_t buf[4096];
	ssize_t n;

	do
		n = read(t->fd, buf, sizeof(buf));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EAGAIN ? 0 : -1;
	if (n == 0) {
		errno = 0;
		return -1;
	}
	if (t->kind == TRANSPORT_MGMT) {
		fn(ctx, buf, (size_t)n);
		return 0;
	}
	if (h4_feed(&t->parser, buf, (size_t)n, fn, ctx) < 0) {
		errno = EPROTO;
		return -1;
	}
	return 0;
}

void transport_close(struct transport *t)
{
	if (t->fd >= 0 && t->kind != TRANSPORT_FD)
		close(t->fd);
	t->fd = -1;
}
