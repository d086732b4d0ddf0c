/* The control socket: newline-delimited JSON between the CLI and the daemon.
 * One request object a line; replies are objects a line: events
 * ({"event": ...}) and then one final reply ({"ok": true|false, ...}). */
#ifndef MESHPROV_CTL_H
#define MESHPROV_CTL_H

#include <stddef.h>

struct json_object;

#define CTL_DEFAULT_PATH "/run/meshprov/control"
#define CTL_MAX_LINE 65536

/* Connect to the daemon at path: the socket, or -1 (errno set). */
int ctl_connect(const char *path);

/* Send req and read until the final reply, passing each event to fn (may be
 * NULL). Returns the final reply (json_object_put it), or NULL with one line
 * in err when the daemon hangs up or answers something that is not JSON, or
 * "interrupted" when a signal with a handler arrives (cli_catch_interrupts). */
struct json_object *ctl_call(int fd, struct json_object *req,
			     void (*fn)(void *ctx, struct json_object *event), void *ctx, char *err,
			     size_t errlen);

/* A string field of a reply, or NULL; an integer field, or 0. */
const char *ctl_string(struct json_object *o, const char *key);
int ctl_int(struct json_object *o, const char *key);

#endif
