/* What the commands share: opening the controller, reaching the daemon. */
#include "cli.h"

#include <errno.h>
#include <json.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl.h"
#include "transport.h"
#include "log.h"
#include "util.h"

/* No --hci (nor hci in the configuration): hci0:mesh where the kernel's
 * mesh interface works for us and the controller, else the raw hci0. */
static const char *default_hci(void)
{
	struct mgmt_probe p;
	const char *why;
	bool mesh;

	transport_probe_mesh(0, &p);
	mesh = mgmt_probe_choose(&p, &why);
	log_info("no --hci given: %s, as %s", mesh ? TRANSPORT_DEFAULT_MESH : TRANSPORT_DEFAULT,
		 why);
	return mesh ? TRANSPORT_DEFAULT_MESH : TRANSPORT_DEFAULT;
}

int cli_radio_open(const struct global_opts *g, struct radio *r, struct ev_loop *loop,
		   const struct radio_ops *ops, void *ctx, char *err, size_t errlen)
{
	if (radio_open(r, loop, g->hci_set ? g->hci : default_hci(), ops, ctx, err, errlen) < 0)
		return -1;
	adv_set_tx(&r->adv, g->adv_interval_ms, g->adv_count);
	adv_set_pack(&r->adv, g->adv_pack);
	if (g->btsnoop && radio_snoop(r, g->btsnoop, err, errlen) < 0) {
		radio_close(r);
		return -1;
	}
	return 0;
}

int cli_daemon(const struct global_opts *g)
{
	int fd;

	if (g->no_daemon || !g->control || !*g->control)
		return -1;
	fd = ctl_connect(g->control);
	if (fd < 0) {
		if (errno == EACCES)
			log_warn("the daemon's control socket %s: %s (it is for root and group "
				 "meshprov); working directly", g->control, strerror(errno));
		else if (g->control_set)
			log_info("no daemon at %s (%s): working directly", g->control, strerror(errno));
		return -1;
	}
	log_info("using the daemon at %s", g->control);
	return fd;
}

int cli_daemon_run(int fd, struct json_object *req, const char *cmd,
		   void (*fn)(void *ctx, struct json_object *event), void *ctx,
		   int (*print)(struct json_object *result, bool json), bool json)
{
	struct json_object *reply, *res;
	const char *error;
	char err[256];
	bool usage;
	int rc;

	cli_catch_interrupts();
	reply = ctl_call(fd, req, fn, ctx, err, sizeof(err));
	close(fd);
	if (!reply)
		return cli_fail(json, NULL, cli_fail_fields(req), 1, err);
	if (json_object_object_get_ex(reply, "result", &res)) {
		rc = print(res, json);
	} else {
		usage = json_object_object_get_ex(reply, "usage", NULL);
		error = ctl_string(reply, "error");
		rc = cli_fail(json, usage ? cmd : NULL, cli_fail_fields(req), usage ? EXIT_USAGE : 1,
			      error ? error : "the daemon failed");
	}
	json_object_put(reply);
	return rc;
}

int cli_fail(bool json, const char *cmd, struct json_object *fields, int rc, const char *msg)
{
	if (json) {
		if (!fields)
			fields = json_object_new_object();
		json_object_object_add(fields, "error", json_object_new_string(msg));
		puts(json_object_to_json_string_ext(fields, JSON_C_TO_STRING_PLAIN));
		fflush(stdout);
	} else {
		fprintf(stderr, "meshprov%s%s: %s\n", cmd ? " " : "", cmd ? cmd : "", msg);
	}
	json_object_put(fields);
	return rc;
}

struct json_object *cli_fail_fields(struct json_object *req)
{
	struct json_object *o = json_object_new_object(), *v;
	const char *cmd = ctl_string(req, "cmd");

	if (cmd && !strcmp(cmd, "provision") && json_object_object_get_ex(req, "uuid", &v))
		json_object_object_add(o, "uuid", json_object_get(v));
	if (cmd && !strcmp(cmd, "config")) {
		json_object_object_add(o, "ok", json_object_new_boolean(0));
		if (json_object_object_get_ex(req, "args", &v) &&
		    json_object_is_type(v, json_type_array) && json_object_array_length(v) > 0)
			json_object_object_add(o, "command",
					       json_object_get(json_object_array_get_idx(v, 0)));
	}
	return o;
}

static void on_interrupt(int sig)
{
	(void)sig;
}

void cli_catch_interrupts(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_interrupt; /* no SA_RESTART: the blocked read returns EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

int cli_parse_linger(const char *s, double *out)
{
	char *end;
	double v = parse_seconds(s);

	if (v < 0 && s && *s && strtod(s, &end) == 0 && *end == '\0')
		v = 0; /* "0": do not linger */
	if (v < 0 || v > CLI_LINGER_MAX_S)
		return -1;
	*out = v;
	return 0;
}

void cli_ensure_parent_dir(const char *path, unsigned mode)
{
	char dir[4096];
	char *slash;

	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
		return;
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return;
	*slash = '\0';
	if (mkdir(dir, (mode_t)mode) == 0 && chmod(dir, (mode_t)mode) == 0) /* umask aside */
		log_info("created %s", dir);
}
