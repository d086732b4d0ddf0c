#include "sdnotify.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "util.h"

/* How much of the address a message shows. */
#define SHOWN_ADDR_MAX 120

/* The address as a message shows it: control characters as '?', so that
 * the message stays one line; truncated to SHOWN_ADDR_MAX characters. */
static void shown_addr(const char *addr, char out[SHOWN_ADDR_MAX + 4])
{
	size_t n = 0;

	for (; addr[n] && n < SHOWN_ADDR_MAX; n++)
		out[n] = (unsigned char)addr[n] < 0x20 || addr[n] == 0x7f ? '?' : addr[n];
	if (addr[n]) {
		memcpy(out + n, "...", 3);
		n += 3;
	}
	out[n] = '\0';
}

int sd_notify_send(const char *state, char *err, size_t errlen)
{
	const char *addr = getenv("NOTIFY_SOCKET");
	char shown[SHOWN_ADDR_MAX + 4];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	socklen_t salen;
	size_t alen, slen;
	ssize_t n;
	int fd, saved;

	if (!addr || !addr[0])
		return 1;
	shown_addr(addr, shown);
	if ((addr[0] != '/' && addr[0] != '@') || !addr[1]) {
		seterr(err, errlen,
			"NOTIFY_SOCKET %s: neither an absolute path nor an abstract address", shown);
		return -1;
	}
	alen = strlen(addr);
	/* A path needs room for its NUL; an abstract address has none: its
	 * leading NUL byte stands in for the '@'. */
	if (alen > sizeof(sa.sun_path) - (addr[0] == '/')) {
		seterr(err, errlen, "NOTIFY_SOCKET %s: address too long (%zu bytes, at most %zu)",
			shown, alen, sizeof(sa.sun_path) - (addr[0] == '/'));
		return -1;
	}
	if (!state || !state[0]) {
		seterr(err, errlen, "NOTIFY_SOCKET %s: empty notification", shown);
		return -1;
	}
	memcpy(sa.sun_path, addr, alen);
	if (addr[0] == '@') {
		sa.sun_path[0] = '\0';
		salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + alen);
	} else {
		salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + alen + 1);
	}
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		seterr(err, errlen, "NOTIFY_SOCKET %s: socket: %s", shown, strerror(errno));
		return -1;
	}
	slen = strlen(state);
	do
		n = sendto(fd, state, slen, MSG_NOSIGNAL, (const struct sockaddr *)&sa, salen);
	while (n < 0 && errno == EINTR);
	saved = errno;
	close(fd);
	if (n < 0) {
		seterr(err, errlen, "NOTIFY_SOCKET %s: %s", shown, strerror(saved));
		return -1;
	}
	if ((size_t)n != slen) {
		/* cannot happen to a datagram; never report a partial one as sent */
		seterr(err, errlen, "NOTIFY_SOCKET %s: sent %zd of %zu bytes", shown, n, slen);
		return -1;
	}
	return 0;
}
