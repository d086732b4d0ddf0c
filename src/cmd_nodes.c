/* meshprov nodes: list the node database; nodes remove UUID|ADDR; nodes
 * check (every problem of the database file). */
#include <getopt.h>
#include <json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "cli.h"
#include "ctl.h"
#include "nodedb.h"
#include "util.h"

static void nodes_usage(FILE *f)
{
	fprintf(f, "Usage: meshprov [--db PATH] nodes [--json]\n"
		   "       meshprov [--db PATH] nodes remove UUID|ADDR\n"
		   "       meshprov [--db PATH] nodes check [--json]\n"
		   "\n"
		   "List the provisioned nodes, or remove one from the database (the device\n"
		   "itself is not reset), or check the database file: every problem that\n"
		   "would make meshprov refuse it, one per line (exit 1 when there is one).\n"
		   "\n"
		   "  -j, --json   print a JSON array (check: of {\"path\", \"problem\"})\n"
		   "  -h, --help   show this help\n");
}

/* Print the nodes (nodedb_nodes_json's array), from the database or the daemon. */
static int print_nodes(struct json_object *a, bool json)
{
	size_t n = json_object_array_length(a);

	if (json) {
		puts(json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN));
		return 0;
	}
	if (n == 0) {
		printf("no nodes\n");
		return 0;
	}
	printf("%-32s  %-7s  %8s  %s\n", "UUID", "UNICAST", "ELEMENTS", "NAME");
	for (size_t i = 0; i < n; i++) {
		struct json_object *o = json_object_array_get_idx(a, i), *v;
		const char *uuid = "?", *name = "";
		int unicast = 0, elements = 0;

		if (json_object_object_get_ex(o, "uuid", &v))
			uuid = json_object_get_string(v);
		if (json_object_object_get_ex(o, "name", &v))
			name = json_object_get_string(v);
		if (json_object_object_get_ex(o, "unicast", &v))
			unicast = json_object_get_int(v);
		if (json_object_object_get_ex(o, "elements", &v))
			elements = json_object_get_int(v);
		if (json_object_object_get_ex(o, "pending", &v) && json_object_get_boolean(v))
			name = "(reserved: Provisioning Complete not seen yet)";
		printf("%-32s  0x%04x   %8d  %s\n", uuid, unicast, elements, name[0] ? name : "-");
	}
	return 0;
}

static void print_removed(const char *uuid, int unicast)
{
	printf("removed %s (0x%04x)\n", uuid, unicast);
}

/* Not a node: a pending reservation (Provisioning Complete never seen) is
 * released by hand, its addresses into networkExclusions. */
static int release_reservation(struct nodedb *db, const char *path, const char *which, bool json)
{
	struct nodedb_reservation r;
	char err[256], msg[600], hex[33];

	if (nodedb_reservation_lookup(db, which, &r) != 0) {
		snprintf(msg, sizeof(msg), "no node %.100s in %.400s", which, path);
		return cli_fail(json, NULL, NULL, 1, msg);
	}
	hex_encode(r.uuid, 16, hex);
	err[0] = '\0';
	if (nodedb_reservation_release(db, r.uuid) != 0 || nodedb_commit(db, err, sizeof(err)) != 0) {
		snprintf(msg, sizeof(msg), "cannot release the reservation of %s: %s", hex, err);
		OPENSSL_cleanse(&r, sizeof(r));
		return cli_fail(json, NULL, NULL, 1, msg);
	}
	print_removed(hex, r.unicast);
	OPENSSL_cleanse(&r, sizeof(r));
	return 0;
}

static int remove_node(struct nodedb *db, const char *path, const char *which, bool json)
{
	struct nodedb_node node;
	char err[256], msg[600], hex[33];
	int found = nodedb_lookup(db, which, &node);

	if (found == -EINVAL) {
		snprintf(msg, sizeof(msg), "'%.100s' is neither a UUID nor a unicast address", which);
		return cli_fail(json, "nodes remove", NULL, EXIT_USAGE, msg);
	}
	if (found != 0)
		return release_reservation(db, path, which, json);
	hex_encode(node.uuid, 16, hex);
	if (nodedb_remove_node(db, node.uuid) != 0 || nodedb_commit(db, err, sizeof(err)) != 0) {
		snprintf(msg, sizeof(msg), "cannot remove %s: %s", hex, err);
		OPENSSL_cleanse(&node, sizeof(node));
		return cli_fail(json, NULL, NULL, 1, msg);
	}
	print_removed(hex, node.unicast);
	OPENSSL_cleanse(&node, sizeof(node));
	return 0;
}

/* Every problem of the file at path (the file itself, also while a daemon
 * holds it: nodedb_check() takes no lock). */
static int check_db(const char *path, bool json)
{
	struct nodedb_problem *probs = NULL;
	struct json_object *a;
	int n = nodedb_check(path, &probs);

	if (n == -ENOENT) {
		if (json)
			puts("[]");
		else
			printf("%s: no database yet (nothing to check)\n", path);
		return 0;
	}
	if (n < 0) {
		fprintf(stderr, "meshprov: cannot check %s: %s\n", path, strerror(-n));
		return 1;
	}
	if (json) {
		a = json_object_new_array();
		for (int i = 0; i < n; i++) {
			struct json_object *o = json_object_new_object();

			json_object_object_add(o, "path", json_object_new_string(probs[i].path));
			json_object_object_add(o, "problem", json_object_new_string(probs[i].msg));
			json_object_array_add(a, o);
		}
		puts(json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN));
		json_object_put(a);
	} else if (n == 0) {
		printf("%s: no problems\n", path);
	} else {
		for (int i = 0; i < n; i++)
			printf("%s%s%s\n", probs[i].path, probs[i].path[0] ? ": " : "", probs[i].msg);
		fprintf(stderr, "meshprov: %s: %d problem%s\n", path, n, n == 1 ? "" : "s");
	}
	free(probs);
	return n ? 1 : 0;
}

/* The same through the daemon. */
static int via_daemon(int fd, const char *which, bool json)
{
	struct json_object *req = json_object_new_object(), *reply, *v;
	char err[256];
	int rc = 1;

	json_object_object_add(req, "cmd", json_object_new_string(which ? "remove" : "nodes"));
	if (which)
		json_object_object_add(req, "node", json_object_new_string(which));
	reply = ctl_call(fd, req, NULL, NULL, err, sizeof(err));
	json_object_put(req);
	close(fd);
	if (!reply)
		return cli_fail(json, NULL, NULL, 1, err);
	if (!json_object_object_get_ex(reply, "ok", &v) || !json_object_get_boolean(v)) {
		bool usage = json_object_object_get_ex(reply, "usage", NULL);
		const char *error = ctl_string(reply, "error");

		rc = cli_fail(json, usage ? "nodes remove" : NULL, NULL, usage ? EXIT_USAGE : 1,
			      error ? error : "the daemon failed");
	} else if (which) {
		struct json_object *u = NULL, *a = NULL;

		json_object_object_get_ex(reply, "uuid", &u);
		json_object_object_get_ex(reply, "unicast", &a);
		print_removed(u ? json_object_get_string(u) : which, a ? json_object_get_int(a) : 0);
		rc = 0;
	} else if (json_object_object_get_ex(reply, "nodes", &v) &&
		   json_object_is_type(v, json_type_array)) {
		rc = print_nodes(v, json);
	} else {
		rc = cli_fail(json, NULL, NULL, 1, "the daemon's answer has no nodes");
	}
	json_object_put(reply);
	return rc;
}

int cmd_nodes(const struct global_opts *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool json = false;
	struct json_object *db_missing;
	struct nodedb *db;
	char err[512];
	int c, fd, rc;

	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'h': nodes_usage(stdout); return 0;
		default: nodes_usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind < argc && strcmp(argv[optind], "remove") && strcmp(argv[optind], "check")) {
		snprintf(err, sizeof(err), "unknown subcommand '%.100s'", argv[optind]);
		return cli_fail(json, "nodes", NULL, EXIT_USAGE, err);
	}
	if (optind < argc && !strcmp(argv[optind], "check")) {
		if (argc - optind != 1)
			return cli_fail(json, "nodes check", NULL, EXIT_USAGE, "takes no arguments");
		return check_db(g->db, json);
	}
	if (optind < argc && argc - optind != 2)
		return cli_fail(json, "nodes remove", NULL, EXIT_USAGE,
				"give one UUID or unicast address");
	fd = cli_daemon(g);
	if (fd >= 0)
		return via_daemon(fd, optind < argc ? argv[optind + 1] : NULL, json);
	if (access(g->db, F_OK) != 0 && errno == ENOENT) {
		/* no database yet (nothing provisioned): no nodes, and no file
		 * or directory is made just to look */
		if (optind < argc) {
			char msg[600];

			snprintf(msg, sizeof(msg), "no node %.100s in %.400s (no such file)",
				 argv[optind + 1], g->db);
			return cli_fail(json, NULL, NULL, 1, msg);
		}
		db_missing = json_object_new_array();
		rc = print_nodes(db_missing, json);
		json_object_put(db_missing);
		return rc;
	}
	db = nodedb_open(g->db, 2000, err, sizeof(err));
	if (!db)
		return cli_fail(json, NULL, NULL, 1, err);
	if (optind < argc) {
		rc = remove_node(db, g->db, argv[optind + 1], json);
	} else {
		struct json_object *a = nodedb_nodes_json(db);

		rc = a ? print_nodes(a, json) : cli_fail(json, NULL, NULL, 1, "out of memory");
		json_object_put(a);
	}
	nodedb_close(db);
	return rc;
}
