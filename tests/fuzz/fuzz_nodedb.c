/* The node database loader (nodedb.c, nodedb_open): the file as written
 * by meshprov, nRF Mesh or BlueZ's mesh-cfgclient, or damaged, and the
 * read-only views of what it loaded (nodes, composition, keys, own node,
 * address allocation in memory). Nothing is committed.
 *
 * Input: the file. It is written to a private temporary directory and
 * opened by path (nodedb_open takes a path and a lock beside it), which the
 * target removes at exit. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <json.h>

#include "cfgmsg.h"
#include "fuzz.h"
#include "log.h"
#include "nodedb.h"

static char dir[64], path[96], lock[128];
static unsigned long sink;

static void cleanup(void)
{
	unlink(path);
	unlink(lock);
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_set_level(LOG_LVL_ERROR);
	snprintf(dir, sizeof(dir), "/tmp/meshprov-fuzz-nodedb.XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return -1;
	}
	snprintf(path, sizeof(path), "%s/network.json", dir);
	snprintf(lock, sizeof(lock), "%s.lock", path);
	atexit(cleanup);
	return 0;
}

static int write_file(const uint8_t *data, size_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	size_t off = 0;

	if (fd < 0)
		return -1;
	while (off < size) {
		ssize_t n = write(fd, data + off, size - off);

		if (n <= 0) {
			close(fd);
			return -1;
		}
		off += (size_t)n;
	}
	return close(fd);
}

static void look(struct nodedb *db)
{
	static struct cfg_comp_page0 comp;
	struct nodedb_node n;
	struct json_object *o;
	uint16_t low, high, addr, bound;
	uint8_t key[16];
	size_t count = nodedb_count(db);

	for (size_t i = 0; i < count && nodedb_node_at(db, i, &n) == 0; i++) {
		sink += n.unicast + n.elements + strlen(n.name) + strlen(n.config_error);
		if (nodedb_node_get_composition(db, n.uuid, &comp) != -ENOENT)
			sink += comp.num_elements;
		sink += (unsigned)nodedb_find_addr(db, n.unicast, NULL) + (unsigned)nodedb_find_uuid(db, n.uuid, NULL);
	}
	o = nodedb_nodes_json(db);
	if (o)
		sink += strlen(json_object_to_json_string(o));
	json_object_put(o);
	nodedb_get_unicast_range(db, &low, &high);
	sink += low + high + nodedb_iv_index(db) + nodedb_iv_update(db);
	sink += (unsigned)nodedb_net_key(db, 0, key) + (unsigned)nodedb_app_key(db, 0, &bound, key);
	sink += (unsigned)nodedb_self(db, &addr, NULL);
	sink += (unsigned)nodedb_lookup(db, "0x0011", &n);
	if (nodedb_alloc_unicast(db, 3, &addr) == 0)
		sink += addr + nodedb_unicast_free(db, addr, 3);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nodedb *db;
	char err[512];

	if (!dir[0] || write_file(data, size) < 0)
		return 0;
	db = nodedb_open(path, 0, err, sizeof(err));
	if (db) {
		look(db);
		nodedb_close(db);
	} else {
		sink += strlen(err);
	}
	return 0;
}
