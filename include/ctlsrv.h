/* The control socket's server side (the client side is ctl.h): a listening
 * Unix stream socket (mode 0660, a group), connections that read
 * newline-delimited requests of at most CTL_MAX_LINE bytes, one at a time,
 * and queue their replies, one JSON object a line. The edge: libev and
 * sockets; what a request means is the owner's (ops->request).
 *
 * Lifetime: a connection that closes (the client left, a write failed, a
 * client that reads nothing is dropped) is reported once through
 * ops->closed and freed later from an idle callback, never under a caller
 * that may still hold it; until then ctlconn_open() is false and sending to
 * it does nothing. */
#ifndef MESHPROV_CTLSRV_H
#define MESHPROV_CTLSRV_H

#include <ev.h>
#include <stdbool.h>
#include <stddef.h>

struct json_object;
struct ctlconn;

struct ctlsrv_ops {
	/* One request line, without its newline (len > 0; not NUL-terminated).
	 * Reading goes on after it unless ctlconn_hold() was called. */
	void (*request)(void *ctx, struct ctlconn *c, const char *line, size_t len);
	/* c has closed: forget it (it is freed later) */
	void (*closed)(void *ctx, struct ctlconn *c);
};

/* One client. The owner's state may follow it: ctlsrv_open's conn_size
 * (at least sizeof(struct ctlconn)) is allocated, zeroed, per connection,
 * so struct owner { struct ctlconn io; ... } can be used with a cast. */
struct ctlconn {
	struct ctlsrv *srv;
	struct ctlconn *next;  /* ctlsrv.conns */
	int fd;                /* -1 once closed */
	ev_io rio, wio;
	char *in;              /* CTL_MAX_LINE + 1: a line and its newline */
	size_t in_len;
	char *out;
	size_t out_len, out_cap;
	bool closing;          /* close once the output is written */
	bool held;             /* a request is running: read no more */
};

struct ctlsrv {
	struct ev_loop *loop;
	const struct ctlsrv_ops *ops;
	void *ctx;
	char path[108];
	int fd;
	ev_io io;
	ev_idle reaper;
	size_t conn_size;
	unsigned max_conns, nconns;
	struct ctlconn *conns;
};

/* Listen on path: refused when another server answers there; a stale socket
 * is replaced; its directory is made (mode 0755) when missing. Mode 0660,
 * the group named group when it exists (else the process's own, said in the
 * log). 0, or -1 with one line in err. */
int ctlsrv_open(struct ctlsrv *s, struct ev_loop *loop, const char *path, const char *group,
		unsigned max_conns, size_t conn_size, const struct ctlsrv_ops *ops, void *ctx,
		char *err, size_t errlen);

/* Stop listening and remove the socket; connections stay open. */
void ctlsrv_stop_listening(struct ctlsrv *s);

/* Close and free everything (ops->closed is not called). */
void ctlsrv_close(struct ctlsrv *s);

bool ctlconn_open(const struct ctlconn *c);

/* Queue one JSON line and free o. A client that has more than 1 MiB
 * unread is dropped. A secret in the text (a provision result has the
 * device key) is wiped from memory once copied. */
void ctlconn_send(struct ctlconn *c, struct json_object *o);

/* {"ok": true} */
struct json_object *ctlsrv_reply_ok(void);

/* {"ok": false, "error": MESSAGE} and, for a malformed request,
 * "usage": true. */
void ctlconn_error(struct ctlconn *c, bool usage, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A request goes on after ops->request returns (streaming): read no more
 * requests until ctlconn_done(). */
void ctlconn_hold(struct ctlconn *c);

/* That request is over: take the requests that came meanwhile. */
void ctlconn_done(struct ctlconn *c);

#endif
