/* Command-line front end: global options, the commands, and what they share:
 * opening the controller, and reaching a running daemon. */
#ifndef MESHPROV_CLI_H
#define MESHPROV_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include "radio.h"

#define EXIT_USAGE 2

struct global_opts {
	const char *hci; /* transport spec */
	const char *db;  /* node database path */
	const char *control;      /* daemon control socket */
	const char *btsnoop;      /* write HCI traffic here, or NULL */
	bool no_daemon;           /* never go through a daemon */
	unsigned adv_interval_ms; /* between transmissions of one PDU */
	unsigned adv_count;       /* transmissions per PDU */
	bool adv_pack;            /* --adv-pack: two mesh PDUs in one advertisement */
	int verbosity;
	/* given on the command line (or in the environment): they override the
	 * daemon's configuration file */
	bool hci_set, db_set, control_set, adv_set;
};

#define DEFAULT_DB_PATH "/var/lib/meshprov/network.json"

int cmd_scan(const struct global_opts *g, int argc, char **argv);
int cmd_provision(const struct global_opts *g, int argc, char **argv);
int cmd_nodes(const struct global_opts *g, int argc, char **argv);
int cmd_config(const struct global_opts *g, int argc, char **argv);
int cmd_daemon(const struct global_opts *g, int argc, char **argv);

/* Open the controller the global options name, with their advertising
 * parameters and --btsnoop. -1 with one line in err. */
int cli_radio_open(const struct global_opts *g, struct radio *r, struct ev_loop *loop,
		   const struct radio_ops *ops, void *ctx, char *err, size_t errlen);

/* A connection to the daemon when one answers on g->control (and
 * --no-daemon was not given), else -1: the command does the work itself. */
int cli_daemon(const struct global_opts *g);

struct json_object;

/* Run one request through the daemon on fd (closed after): events go to fn,
 * the final reply's "result" to print (its exit status). A reply without
 * one is a failure (cli_fail), "meshprov CMD: ..." and exit 2 for a usage
 * error. The exit status. */
int cli_daemon_run(int fd, struct json_object *req, const char *cmd,
		   void (*fn)(void *ctx, struct json_object *event), void *ctx,
		   int (*print)(struct json_object *result, bool json), bool json);

/* --linger SECONDS of provision and config (localnode_linger's bound): 0, or a
 * positive number of seconds up to CLI_LINGER_MAX_S. 0 or -1. */
#define CLI_LINGER_MAX_S 3600
int cli_parse_linger(const char *s, double *out);
/* A failure found outside a command's result (before the radio is opened,
 * in the database, in the arguments once parsed, or the daemon's refusal):
 * with json one object on stdout, fields (taken over; may be NULL) with
 * "error": msg added, the shape of the commands' --json failures; without,
 * "meshprov CMD: msg" (cmd NULL: "meshprov: msg") on stderr. Returns rc. */
int cli_fail(bool json, const char *cmd, struct json_object *fields, int rc, const char *msg);

/* The fields cli_fail adds for a request (provision: "uuid"; config: "ok"
 * false and "command"), from its fields; a new object. */
struct json_object *cli_fail_fields(struct json_object *req);

/* Let SIGINT and SIGTERM interrupt a ctl_call() instead of killing us. */
void cli_catch_interrupts(void);

/* The directory path is in (/var/lib/meshprov for the database,
 * /run/meshprov for the control socket): created with mode when missing,
 * one level, as systemd's StateDirectory and RuntimeDirectory would be for
 * the service; run in the foreground, nobody else makes them. Quiet when
 * it cannot: opening path then says why. */
void cli_ensure_parent_dir(const char *path, unsigned mode);

#endif
