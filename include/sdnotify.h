/* The systemd service notification protocol (sd_notify(3)) without
 * libsystemd: one datagram of "KEY=VALUE" lines, e.g. "READY=1\nSTATUS=...",
 * sent to the AF_UNIX SOCK_DGRAM address in $NOTIFY_SOCKET. An edge (a
 * socket and the environment).
 *
 * $NOTIFY_SOCKET is a file system path (starting with '/') or an abstract
 * address (starting with '@', which stands for the leading NUL byte). */
#ifndef MESHPROV_SDNOTIFY_H
#define MESHPROV_SDNOTIFY_H

#include <stddef.h>

/* Send state as one datagram to $NOTIFY_SOCKET. Returns 1 when
 * NOTIFY_SOCKET is unset or empty (not run by a service manager: nothing to
 * do), 0 when the whole datagram was sent, or -1 with one line in err (an
 * address that is neither a path nor abstract, one too long for sun_path, an
 * empty state, or the socket's error naming the address). */
int sd_notify_send(const char *state, char *err, size_t errlen);

#endif
