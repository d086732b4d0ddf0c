/* The control socket's server side: see ctlsrv.h. */
#include "ctlsrv.h"

#include <errno.h>
#include <grp.h>
#include <json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "cli.h"
#include "ctl.h"
#include "log.h"
#include "util.h"

#define CTLSRV_OUT_MAX (1u << 20) /* a client that reads nothing is dropped */

static void conn_close(struct ctlconn *c);
static void conn_read(struct ctlconn *c);

/* ---- output ---- */

static void conn_flush(struct ctlconn *c)
{
	if (c->fd < 0)
		return;
	while (c->out_len > 0) {
		ssize_t n = write(c->fd, c->out, c->out_len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			ev_io_start(c->srv->loop, &c->wio);
			return;
		}
		if (n <= 0) {
			conn_close(c);
			return;
		}
		memmove(c->out, c->out + n, c->out_len - (size_t)n);
		c->out_len -= (size_t)n;
	}
	ev_io_stop(c->srv->loop, &c->wio);
	if (c->closing)
		conn_close(c);
}

bool ctlconn_open(const struct ctlconn *c)
{
	return c->fd >= 0;
}

void ctlconn_send(struct ctlconn *c, struct json_object *o)
{
	const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	size_t len = strlen(text);

	if (c->fd < 0) {
		json_object_put(o);
		return;
	}
	if (c->out_len + len + 1 > CTLSRV_OUT_MAX) {
		log_warn("control client not reading: dropped");
		json_object_put(o);
		conn_close(c);
		return;
	}
	if (c->out_len + len + 1 > c->out_cap) {
		size_t cap = c->out_cap ? c->out_cap : 4096;
		char *n;

		while (cap < c->out_len + len + 1)
			cap *= 2;
		n = realloc(c->out, cap);
		if (!n) {
			json_object_put(o);
			conn_close(c);
			return;
		}
		c->out = n;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, text, len);
	c->out[c->out_len + len] = '\n';
	c->out_len += len + 1;
	OPENSSL_cleanse((char *)text, len);
	json_object_put(o);
	conn_flush(c);
}

struct json_object *ctlsrv_reply_ok(void)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "ok", json_object_new_boolean(1));
	return o;
}

void ctlconn_error(struct ctlconn *c, bool usage, const char *fmt, ...)
{
	struct json_object *o = json_object_new_object();
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_object_object_add(o, "ok", json_object_new_boolean(0));
	json_object_object_add(o, "error", json_object_new_string(msg));
	if (usage)
		json_object_object_add(o, "usage", json_object_new_boolean(1));
	ctlconn_send(c, o);
}

/* ---- input ---- */

void ctlconn_hold(struct ctlconn *c)
{
	c->held = true;
}

void ctlconn_done(struct ctlconn *c)
{
	c->held = false;
	if (!c->closing && c->fd >= 0) {
		ev_io_start(c->srv->loop, &c->rio);
		conn_read(c); /* requests that came meanwhile */
	}
}

static void conn_close(struct ctlconn *c)
{
	struct ctlsrv *s = c->srv;

	if (c->fd < 0)
		return;
	ev_io_stop(s->loop, &c->rio);
	ev_io_stop(s->loop, &c->wio);
	close(c->fd);
	c->fd = -1;
	s->ops->closed(s->ctx, c);
	/* freed by the reaper: callers up the stack may still hold c */
	ev_idle_start(s->loop, &s->reaper);
}

static void conn_free(struct ctlsrv *s, struct ctlconn *c)
{
	OPENSSL_cleanse(c->in, CTL_MAX_LINE + 1);
	free(c->in);
	if (c->out)
		OPENSSL_cleanse(c->out, c->out_cap);
	free(c->out);
	OPENSSL_cleanse(c, s->conn_size);
	free(c);
}

static void reap(struct ev_loop *loop, ev_idle *w, int revents)
{
	struct ctlsrv *s = w->data;
	struct ctlconn **pp = &s->conns;

	(void)revents;
	ev_idle_stop(loop, w);
	while (*pp) {
		struct ctlconn *c = *pp;

		if (c->fd >= 0) {
			pp = &c->next;
			continue;
		}
		*pp = c->next;
		s->nconns--;
		conn_free(s, c);
	}
}

/* Take the complete lines read so far, one request at a time. */
static void conn_take(struct ctlconn *c)
{
	char *nl;

	while (!c->held && !c->closing && c->fd >= 0 &&
	       (nl = memchr(c->in, '\n', c->in_len)) != NULL) {
		size_t used = (size_t)(nl - c->in) + 1;
		size_t len = used - 1;

		if (len > 0 && c->in[len - 1] == '\r')
			len--;
		if (len > 0)
			c->srv->ops->request(c->srv->ctx, c, c->in, len);
		if (c->fd < 0)
			return;
		memmove(c->in, c->in + used, c->in_len - used);
		c->in_len -= used;
	}
	if (c->held && c->fd >= 0)
		ev_io_stop(c->srv->loop, &c->rio);
}

static void too_long(struct ctlconn *c)
{
	ctlconn_error(c, true, "request longer than %d bytes", CTL_MAX_LINE);
	c->closing = true;
	c->in_len = 0;
	conn_flush(c);
}

static void conn_read(struct ctlconn *c)
{
	ssize_t n;

	conn_take(c);
	if (c->held || c->closing || c->fd < 0)
		return;
	if (c->in_len == CTL_MAX_LINE + 1) {
		too_long(c);
		return;
	}
	n = read(c->fd, c->in + c->in_len, CTL_MAX_LINE + 1 - c->in_len);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_close(c);
		return;
	}
	c->in_len += (size_t)n;
	conn_take(c);
	if (c->fd >= 0 && !c->held && !c->closing && c->in_len == CTL_MAX_LINE + 1)
		too_long(c);
}

static void on_read(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)revents;
	conn_read(w->data);
}

static void on_write(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)revents;
	conn_flush(w->data);
}

static void on_accept(struct ev_loop *loop, ev_io *w, int revents)
{
	static const char busy[] = "{\"ok\":false,\"error\":\"too many control connections\"}\n";
	struct ctlsrv *s = w->data;
	struct ctlconn *c;
	int fd;

	(void)revents;
	fd = accept4(s->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	c = s->nconns < s->max_conns ? calloc(1, s->conn_size) : NULL;
	if (c)
		c->in = malloc(CTL_MAX_LINE + 1);
	if (!c || !c->in) {
		if (write(fd, busy, sizeof(busy) - 1) < 0)
			log_debug("a refused control client did not take its reply");
		close(fd);
		if (c)
			free(c->in);
		free(c);
		return;
	}
	c->srv = s;
	c->fd = fd;
	ev_io_init(&c->rio, on_read, fd, EV_READ);
	c->rio.data = c;
	ev_io_init(&c->wio, on_write, fd, EV_WRITE);
	c->wio.data = c;
	ev_io_start(loop, &c->rio);
	c->next = s->conns;
	s->conns = c;
	s->nconns++;
}

/* ---- the socket ---- */

int ctlsrv_open(struct ctlsrv *s, struct ev_loop *loop, const char *path, const char *group,
		unsigned max_conns, size_t conn_size, const struct ctlsrv_ops *ops, void *ctx,
		char *err, size_t errlen)
{
	struct sockaddr_un sa;
	struct group *gr;
	mode_t old;
	int fd;

	memset(s, 0, sizeof(*s));
	s->fd = -1;
	if (unix_addr(&sa, path) < 0 || strlen(path) >= sizeof(s->path)) {
		snprintf(err, errlen, "control socket %s: the path is too long", path);
		return -1;
	}
	fd = ctl_connect(path);
	if (fd >= 0) {
		close(fd);
		snprintf(err, errlen, "another daemon answers on %s", path);
		return -1;
	}
	unlink(path); /* a stale socket of a daemon that died */
	cli_ensure_parent_dir(path, 0755);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "control socket: %s", strerror(errno));
		return -1;
	}
	old = umask(0117);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		umask(old);
		snprintf(err, errlen, "control socket %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	umask(old);
	if (chmod(path, 0660) < 0)
		log_warn("control socket %s: chmod: %s", path, strerror(errno));
	gr = getgrnam(group);
	if (gr && chown(path, (uid_t)-1, gr->gr_gid) < 0)
		log_warn("control socket %s: cannot give it to group %s: %s", path, group,
			 strerror(errno));
	else if (!gr)
		log_info("no group %s: the control socket keeps the daemon's group", group);
	if (listen(fd, SOMAXCONN) < 0) {
		snprintf(err, errlen, "control socket %s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	s->loop = loop;
	s->ops = ops;
	s->ctx = ctx;
	snprintf(s->path, sizeof(s->path), "%s", path);
	s->fd = fd;
	s->max_conns = max_conns;
	s->conn_size = conn_size < sizeof(struct ctlconn) ? sizeof(struct ctlconn) : conn_size;
	ev_io_init(&s->io, on_accept, fd, EV_READ);
	s->io.data = s;
	ev_io_start(loop, &s->io);
	ev_idle_init(&s->reaper, reap);
	s->reaper.data = s;
	return 0;
}

void ctlsrv_stop_listening(struct ctlsrv *s)
{
	if (!s->loop || s->fd < 0)
		return;
	ev_io_stop(s->loop, &s->io);
	close(s->fd);
	s->fd = -1;
	unlink(s->path);
}

void ctlsrv_close(struct ctlsrv *s)
{
	if (!s->loop)
		return;
	ctlsrv_stop_listening(s);
	ev_idle_stop(s->loop, &s->reaper);
	while (s->conns) {
		struct ctlconn *c = s->conns;

		s->conns = c->next;
		if (c->fd >= 0) {
			ev_io_stop(s->loop, &c->rio);
			ev_io_stop(s->loop, &c->wio);
			close(c->fd);
		}
		conn_free(s, c);
	}
	s->nconns = 0;
	s->loop = NULL;
}
