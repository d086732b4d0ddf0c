/* Command-line front end: global options and the commands. */
#ifndef MESHPROV_CLI_H
#define MESHPROV_CLI_H

#define EXIT_USAGE 2

struct global_opts {
	const char *hci; /* transport spec */
	const char *db;  /* node database path */
	unsigned adv_interval_ms; /* between transmissions of one PDU */
	unsigned adv_count;       /* transmissions per PDU */
};

#define DEFAULT_DB_PATH "/var/lib/meshprov/network.json"


int cmd_scan(const struct global_opts *g, int argc, char **argv);
int cmd_provision(const struct global_opts *g, int argc, char **argv);
int cmd_nodes(const struct global_opts *g, int argc, char **argv);
int cmd_config(const struct global_opts *g, int argc, char **argv);

/* Parse a duration in seconds ("3", "0.5"); -1 when not a positive number. */
double parse_seconds(const char *s);

#endif
