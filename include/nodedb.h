/* The node database: every provisioned node (UUID, unicast address, element
 * count, device key, the keys it was given) kept in one JSON file in the
 * Bluetooth Mesh Configuration Database (CDB 1.0.1) format that nRF Mesh and
 * BlueZ's mesh-cfgclient export and import.
 *
 * The file is the parsed json_object tree, edited in place, so a database we
 * did not create (an nRF Mesh export, a mesh-cfgclient file) keeps every field
 * we do not know about. Nothing reaches the disk until nodedb_commit(), which
 * replaces the file atomically (write PATH.tmp, fsync, rename, fsync the
 * directory): a crash leaves either the old or the new file, never a torn one.
 *
 * Formats written (read leniently: either case; UUIDs with or without dashes):
 *   meshUUID, UUID        8-4-4-4-12 upper-case hex ("0A1B2C3D-...")
 *   key, deviceKey        32 upper-case hex digits
 *   unicastAddress, lowAddress, highAddress, location   4 upper-case hex digits
 *   index, boundNetKey, phase, ivIndex, ivUpdate        JSON integers
 *   timestamp             ISO 8601 UTC, "2024-05-01T12:00:00Z"
 * Top level also carries "ivIndex" and "ivUpdate" (integer 0/1) as BlueZ's
 * mesh-cfgclient keeps the IV Index there; nRF Mesh ignores both.
 *
 * Our own entry in "provisioners" is the one named "meshprov"; opening a file
 * without one (an import) adds it in memory with the default range (written by
 * the next commit). Unicast allocation uses only that provisioner's ranges and
 * also avoids other provisioners' allocatedUnicastRange.
 *
 * Secrets (NetKey, AppKey, DevKey) are never logged, never printed to stderr
 * and never in an error message; the file is written mode 0600.
 *
 * Not thread-safe: one struct nodedb per thread. Return values are 0 or a
 * negative errno unless said otherwise. */
#ifndef MESHPROV_NODEDB_H
#define MESHPROV_NODEDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct json_object;
struct nodedb; /* opaque */

#define NODEDB_DEFAULT_LOW 0x0011  /* Tmall Genie uses 0x0001-0x0010 */
#define NODEDB_DEFAULT_HIGH 0x7FFF
#define NODEDB_PROVISIONER_NAME "meshprov"

struct nodedb_node {
	uint8_t uuid[16];
	uint16_t unicast;       /* primary element; element i is unicast + i */
	uint8_t elements;       /* at least 1 */
	uint8_t devkey[16];     /* all zero when the file has none (partial export) */
	uint16_t net_key_index; /* the node's first NetKey */
	char name[64];          /* may be empty */
};

/* Open (and lock) the database at path.
 *
 * A missing file is created IN MEMORY: a fresh random NetKey (index 0), one
 * AppKey (index 0, bound to NetKey 0), IV Index 0, a random meshUUID, meshName
 * "meshprov", and one provisioner "meshprov" whose allocated unicast range is
 * NODEDB_DEFAULT_LOW..NODEDB_DEFAULT_HIGH (change with
 * nodedb_set_unicast_range()); the file is first written by nodedb_commit().
 *
 * Locking: an exclusive flock() on "PATH.lock" (created mode 0600, never
 * removed) held until nodedb_close(), so two meshprov processes cannot write
 * at once. If it is held, retry for up to wait_ms milliseconds, then fail with
 * "database PATH is in use by another meshprov process". The lock is per open
 * file description: a second nodedb_open() of the same path in the same
 * process also fails.
 *
 * A file that cannot be read, does not parse, or lacks a usable netKeys array
 * fails with one line in err naming the file and the problem, and is never
 * written. Returns NULL on failure (err always set; errlen may be 0). */
struct nodedb *nodedb_open(const char *path, unsigned wait_ms, char *err, size_t errlen);

/* Release the lock and free everything; uncommitted changes are dropped.
 * NULL is accepted. */
void nodedb_close(struct nodedb *db);

/* Set our provisioner's allocated unicast range to the single range
 * low..high (for a new database or from configuration). Ignored unless
 * 0x0001 <= low <= high <= 0x7FFF. */
void nodedb_set_unicast_range(struct nodedb *db, uint16_t low, uint16_t high);

/* Our provisioner's first allocated unicast range. */
void nodedb_get_unicast_range(struct nodedb *db, uint16_t *low, uint16_t *high);

/* The NetKey with this index ("key", the current key, even during a key
 * refresh). -ENOENT when there is none. */
int nodedb_net_key(struct nodedb *db, uint16_t index, uint8_t key[16]);

/* The AppKey with this index and the NetKey index it is bound to
 * (bound_net_index may be NULL). -ENOENT when there is none. */
int nodedb_app_key(struct nodedb *db, uint16_t index, uint16_t *bound_net_index, uint8_t key[16]);

/* Top-level "ivIndex" / "ivUpdate"; 0 / false when the file has none. */
uint32_t nodedb_iv_index(struct nodedb *db);
bool nodedb_iv_update(struct nodedb *db);
/* Record a new IV Index and IV Update flag (written by the next commit). */
void nodedb_set_iv_index(struct nodedb *db, uint32_t iv_index, bool iv_update);

/* Lowest free range of `elements` consecutive addresses inside our
 * provisioner's ranges that overlaps no node's addresses (unicast ..
 * unicast+elements-1), no other provisioner's unicast range, no address still
 * in networkExclusions (ivIndex + 2 > current IV Index) and no address
 * reserved in this session; the range is then reserved for this session.
 * Reserved addresses are never handed out twice (even if the node is never
 * added, or removed again). -EINVAL when elements is 0, -ENOSPC when full. */
int nodedb_alloc_unicast(struct nodedb *db, uint8_t elements, uint16_t *addr);

/* Is [addr, addr+elements) free (for a user-given --unicast)? True when it is
 * inside 0x0001..0x7FFF, overlaps no node and nothing reserved in this session.
 * It need not be inside our provisioner's range, and may hold addresses of a
 * removed node still in networkExclusions (the user's choice; allocation
 * avoids them). Reserves nothing. */
bool nodedb_unicast_free(struct nodedb *db, uint16_t addr, uint8_t elements);

/* Reserve a user-given range for this session, so nodedb_alloc_unicast()
 * never hands it out. -EEXIST when not nodedb_unicast_free(). */
int nodedb_reserve_unicast(struct nodedb *db, uint16_t addr, uint8_t elements);

/* Add a node (in memory; commit to write it): a CDB node entry with UUID,
 * unicastAddress, deviceKey, security "secure", netKeys [{index
 * net_key_index, updated false}], appKeys [], configComplete false, name (when
 * not empty), one element entry per element (index i, location "0000", no
 * models) and excluded false.
 * -EEXIST for the same UUID or addresses overlapping another node's;
 * -EINVAL for 0 elements, address 0 or a range past 0x7FFF. Adding at an
 * address this session reserved is the expected use. */
int nodedb_add_node(struct nodedb *db, const struct nodedb_node *n);

/* 0 and *out filled (out may be NULL), or -ENOENT. */
int nodedb_find_uuid(struct nodedb *db, const uint8_t uuid[16], struct nodedb_node *out);
/* By any of the node's element addresses. */
int nodedb_find_addr(struct nodedb *db, uint16_t addr, struct nodedb_node *out);

/* Remove the node and its JSON entry. Its addresses are added to
 * networkExclusions for the current IV Index (as nRF Mesh does: other nodes'
 * replay protection lists still hold its sequence numbers), so
 * nodedb_alloc_unicast() does not hand them out again until the IV Index has
 * grown by 2. -ENOENT. */
int nodedb_remove_node(struct nodedb *db, const uint8_t uuid[16]);

/* Record that the node now has the AppKey app_index (appKeys entry {index,
 * updated false}); no-op when it already has it. -ENOENT for an unknown node
 * or AppKey. */
int nodedb_node_add_app_key(struct nodedb *db, const uint8_t uuid[16], uint16_t app_index);

/* Set the node's "configComplete". -ENOENT. */
int nodedb_node_set_config_complete(struct nodedb *db, const uint8_t uuid[16], bool complete);

/* Nodes we understand (a node entry without a UUID or a unicast address we
 * can parse is kept in the file but not listed), in file order. */
size_t nodedb_count(struct nodedb *db);
int nodedb_node_at(struct nodedb *db, size_t i, struct nodedb_node *out); /* -ENOENT past the end */

/* Atomic write: set the top-level timestamp, serialize, PATH.tmp created mode
 * 0600 (O_EXCL, after unlinking a stale one), written in full, fsync, rename
 * over PATH, fsync the directory. On any failure before the rename PATH is
 * untouched, the temp file is removed, and err (one line) says why. A missing
 * parent directory is not created: that fails with the reason. PATH becomes a
 * regular file mode 0600 (a symlink there is replaced, not followed). After a
 * failure the database in memory is unchanged and commit may be retried. */
int nodedb_commit(struct nodedb *db, char *err, size_t errlen);

/* The nodes as JSON for `meshprov nodes --json`: an array of {"uuid" (32
 * lower-case hex), "unicast" (integer), "elements", "net_key_index", "name"};
 * no device key (secrets stay in the file). New reference: the caller puts
 * it. NULL on allocation failure. */
struct json_object *nodedb_nodes_json(struct nodedb *db);

/* The path given to nodedb_open(). */
const char *nodedb_path(struct nodedb *db);

#endif
