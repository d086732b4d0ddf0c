/* meshprov nodes: list the node database; nodes remove UUID|ADDR. */
#include <getopt.h>
#include <json.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "cli.h"
#include "nodedb.h"
#include "util.h"

static void nodes_usage(FILE *f)
{
	fprintf(f, "Usage: meshprov [--db PATH] nodes [--json]\n"
		   "       meshprov [--db PATH] nodes remove UUID|ADDR\n"
		   "\n"
		   "List the provisioned nodes, or remove one from the database (the device\n"
		   "itself is not reset).\n"
		   "\n"
		   "  -j, --json   print a JSON array\n"
		   "  -h, --help   show this help\n");
}

static int list(struct nodedb *db, bool json)
{
	size_t n = nodedb_count(db);

	if (json) {
		struct json_object *a = nodedb_nodes_json(db);

		puts(json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN));
		json_object_put(a);
		return 0;
	}
	if (n == 0) {
		printf("no nodes\n");
		return 0;
	}
	printf("%-32s  %-7s  %8s  %s\n", "UUID", "UNICAST", "ELEMENTS", "NAME");
	for (size_t i = 0; i < n; i++) {
		struct nodedb_node node;
		char uuid[33];

		if (nodedb_node_at(db, i, &node) != 0)
			break;
		hex_encode(node.uuid, 16, uuid);
		printf("%-32s  0x%04x   %8u  %s\n", uuid, node.unicast, node.elements,
		       node.name[0] ? node.name : "-");
		OPENSSL_cleanse(&node, sizeof(node));
	}
	return 0;
}

static int remove_node(struct nodedb *db, const char *path, const char *which)
{
	struct nodedb_node node;
	uint8_t uuid[16];
	unsigned long addr;
	char err[256], hex[33];
	int found;

	if (hex_decode(which, uuid, 16) == 0)
		found = nodedb_find_uuid(db, uuid, &node);
	else if (parse_uint(which, 0x7fff, &addr) == 0)
		found = nodedb_find_addr(db, (uint16_t)addr, &node);
	else {
		fprintf(stderr, "meshprov nodes remove: '%s' is neither a UUID nor a unicast address\n",
			which);
		return EXIT_USAGE;
	}
	if (found != 0) {
		fprintf(stderr, "meshprov: no node %s in %s\n", which, path);
		return 1;
	}
	hex_encode(node.uuid, 16, hex);
	if (nodedb_remove_node(db, node.uuid) != 0 || nodedb_commit(db, err, sizeof(err)) != 0) {
		fprintf(stderr, "meshprov: cannot remove %s: %s\n", hex, err);
		OPENSSL_cleanse(&node, sizeof(node));
		return 1;
	}
	printf("removed %s (0x%04x)\n", hex, node.unicast);
	OPENSSL_cleanse(&node, sizeof(node));
	return 0;
}

int cmd_nodes(const struct global_opts *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool json = false;
	struct nodedb *db;
	char err[256];
	int c, rc;

	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'h': nodes_usage(stdout); return 0;
		default: nodes_usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind < argc && strcmp(argv[optind], "remove")) {
		fprintf(stderr, "meshprov nodes: unknown subcommand '%s'\n", argv[optind]);
		return EXIT_USAGE;
	}
	if (optind < argc && argc - optind != 2) {
		fprintf(stderr, "meshprov nodes remove: give one UUID or unicast address\n");
		return EXIT_USAGE;
	}
	db = nodedb_open(g->db, 2000, err, sizeof(err));
	if (!db) {
		fprintf(stderr, "meshprov: %s\n", err);
		return 1;
	}
	rc = optind < argc ? remove_node(db, g->db, argv[optind + 1]) : list(db, json);
	nodedb_close(db);
	return rc;
}
