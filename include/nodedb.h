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
 * (nodedb_reserve_seq() also commits, or writes its small record PATH.seq
 * the same way.)
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
 * the next commit); a file with an empty "provisioners" array is refused. Unicast allocation uses only that provisioner's ranges and
 * also avoids other provisioners' allocatedUnicastRange.
 *
 * meshprov's own node. The provisioner is itself a node of the network (it
 * speaks to nodes as a Configuration Client), so, as nRF Mesh and BlueZ's
 * mesh-cfgclient do, "nodes" holds an entry for it: the node whose UUID is our
 * provisioner's "UUID". Opening a database without one (a new database, an
 * import) adds it in memory (written by the next commit): name "meshprov",
 * unicastAddress 0001 — outside the range nodes are allocated from — or, when
 * 0001 is taken (by a node or a still-excluded address in networkExclusions),
 * the lowest free address of 0002-0010, else the first free address
 * nodedb_alloc_unicast() gives (0011-7FFF by default); a random deviceKey,
 * 1 element (index 0, location 0000, model 0001 Configuration Client),
 * netKeys [first NetKey, normally 0], appKeys [0] (when AppKey 0 exists),
 * configComplete true, security "secure", excluded false. When no address is
 * free at all the database still opens, without own node (nodedb_self() and
 * nodedb_reserve_seq() then fail with -ENOENT). An own node entry lacking
 * unicastAddress or deviceKey is repaired the same way; one with a malformed
 * value is refused, as is a file whose provisioner "meshprov" has no node
 * (its sequence numbers would be lost, and nodes would ignore messages sent
 * again with old ones). Note: this
 * address may lie outside every allocatedUnicastRange of ours (by design:
 * 0011-7FFF stays for provisioned devices); nRF Mesh only insists that a
 * provisioner's address lies in its range when IT assigns one.
 *
 * The own node is NOT a "node" of this API: nodedb_count(), nodedb_node_at(),
 * nodedb_nodes_json(), nodedb_find_uuid(), nodedb_find_addr(),
 * nodedb_remove_node() and the nodedb_node_*() setters ignore it (so
 * `meshprov nodes` lists provisioned devices only and cannot remove it), but
 * its addresses count as taken: nodedb_alloc_unicast() and
 * nodedb_unicast_free() avoid them, and nodedb_add_node() refuses its UUID or
 * addresses with -EEXIST. Use nodedb_self() and nodedb_reserve_seq().
 *
 * meshprov-specific fields (other tools keep them as unknown fields):
 *   own node:  "sequenceNumber" (integer 0..NODEDB_SEQ_MAX, the next free
 *              SEQ, as BlueZ keeps it for its local node) and
 *              "meshprovSeqIvIndex" (integer, the IV Index that
 *              sequenceNumber applies to; not newer than the IV Index in use)
 *   any node:  "meshprovConfigError" (string, why configuration failed)
 *   top level: "meshprovReservations" (see the reservations below)
 *
 * Files beside PATH: PATH.lock (the lock, see nodedb_open), PATH.tmp
 * (during a commit), PATH.seq and PATH.seq.tmp (sequence numbers, see
 * nodedb_reserve_seq).
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

#include "cfgmsg.h"

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
	/* Read from the file; nodedb_add_node() ignores both (a new node is
	 * configComplete false without error). */
	bool config_complete;   /* "configComplete" (false when absent) */
	char config_error[128]; /* "meshprovConfigError", truncated; "" when none */
};

/* Sequence numbers are 24 bits: 0 .. NODEDB_SEQ_MAX. The last, NODEDB_SEQ_MAX
 * itself, is never handed out, so that the next free one stays within 24
 * bits too (NODEDB_SEQ_MAX meaning "used up"). */
#define NODEDB_SEQ_MAX 0xFFFFFFu

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
 * An existing file is checked as a whole first (nodedb_check(): types, key
 * indexes and keys, provisioners and their ranges, node UUIDs, addresses,
 * elements and overlaps, meshprov's own node and its sequence number,
 * networkExclusions); nothing in it is skipped. A file that cannot be read,
 * does not parse or has any problem fails with one line in err naming the
 * file, the JSON path and the problem ("database PATH: nodes[3].UUID: not a
 * UUID ..."; with more than one: "database PATH: 3 problems, the first:
 * ...; meshprov nodes check lists them"), and is never written. Members a
 * foreign file may lack (appKeys, provisioners, nodes, ...) are added in
 * memory. Returns NULL on failure (err always set; errlen may be 0). */
struct nodedb *nodedb_open(const char *path, unsigned wait_ms, char *err, size_t errlen);

/* One problem of a database file: where, as a JSON path ("nodes[3].UUID",
 * "provisioners", "" for the file as a whole), and what. Never a key. */
struct nodedb_problem {
	char path[80];
	char msg[160];
};

/* Check the file at path as nodedb_open() does, collecting every problem:
 * member problems in file order, then those across records (duplicate
 * indexes or UUIDs, overlapping addresses, meshprov's own node). The file
 * is read without the lock (nodedb_commit() replaces it atomically), so this
 * works while another process holds the database. A file that cannot be
 * read or parsed is one problem with path "". Returns the number of problems
 * (0: none) with *out a malloc'd array to free() (NULL when there are none),
 * or -ENOENT (no such file) or -ENOMEM. */
int nodedb_check(const char *path, struct nodedb_problem **out);

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
 * -EEXIST for the same UUID or addresses overlapping another node's (or
 * meshprov's own node's, or our provisioner's UUID);
 * -EINVAL for 0 elements, address 0 or a range past 0x7FFF. Adding at an
 * address this session reserved is the expected use. */
int nodedb_add_node(struct nodedb *db, const struct nodedb_node *n);

/* 0 and *out filled (out may be NULL), or -ENOENT. */
int nodedb_find_uuid(struct nodedb *db, const uint8_t uuid[16], struct nodedb_node *out);
/* By any of the node's element addresses. */
int nodedb_find_addr(struct nodedb *db, uint16_t addr, struct nodedb_node *out);

/* The node named by text: its UUID (32 hex digits) or a unicast address
 * (decimal or 0x hex) of one of its elements. 0, -ENOENT, or -EINVAL when
 * text is neither. */
int nodedb_lookup(struct nodedb *db, const char *text, struct nodedb_node *out);

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

/* Set the node's "configComplete". true also removes "meshprovConfigError"
 * (false leaves it as it is). -ENOENT. */
int nodedb_node_set_config_complete(struct nodedb *db, const uint8_t uuid[16], bool complete);

/* Configuration failed: "configComplete" false and "meshprovConfigError"
 * reason (reason NULL or "" removes the field). The reason goes into the
 * file and `meshprov nodes --json` as it is: no secrets in it. struct
 * nodedb_node shows the first 127 bytes. -ENOENT. */
int nodedb_node_set_unconfigured(struct nodedb *db, const uint8_t uuid[16], const char *reason);

/* Give back a range this session reserved (nodedb_alloc_unicast,
 * nodedb_reserve_unicast) that was never sent to a device: a provisioning
 * that failed before Provisioning Data burns no address. No-op when
 * [addr, addr+elements) is not such a range. */
void nodedb_unreserve_unicast(struct nodedb *db, uint16_t addr, uint8_t elements);

/* ---- address reservations that survive a crash ----
 *
 * Before Provisioning Data goes to a device, its addresses are recorded
 * durably together with its UUID and the device key both sides derived, so
 * a meshprov that dies before Provisioning Complete arrives hands them out
 * to no one else. They live in "meshprovReservations", a top-level array
 * only meshprov reads (nRF Mesh and mesh-cfgclient skip members they do not
 * know): a pending reservation is not a node, since the device may never
 * have received the data, and a node entry would have to make up
 * configuration and could repeat the UUID of the unconfigured record it is
 * to replace. Entries: {"UUID", "unicastAddress", "elements" (integer),
 * "deviceKey", "netKeyIndex" (integer), "time" (Unix seconds)}; the member
 * is removed when empty. nodedb_open() refuses a file whose entries are not
 * all valid, unique per UUID and clear of every node and other reservation
 * ("database PATH: meshprovReservations[I] ..."). Their addresses count as
 * taken for nodedb_alloc_unicast() and nodedb_unicast_free().
 *
 * A reservation ends one of three ways (the caller commits):
 *   drop     Provisioning Complete arrived: the node (nodedb_add_node,
 *            first) holds the addresses now;
 *   release  the device beacons as unprovisioned, so it did not take them:
 *            they go to networkExclusions, not reused before the IV Index
 *            has advanced by two;
 *   keep     the device was not heard beaconing long enough: it is taken to
 *            hold them, and becomes a node, configComplete false, with the
 *            reason in "meshprovConfigError" ("provisioned, not
 *            confirmed"). An unconfigured record of the same UUID is
 *            replaced (its addresses go to networkExclusions). */
struct nodedb_reservation {
	uint8_t uuid[16];
	uint16_t unicast;
	uint8_t elements;
	uint8_t devkey[16];
	uint16_t net_key_index;
	int64_t time;           /* when reserved, Unix seconds */
};

/* In memory; commit before sending the data. Addresses this session
 * reserved are the expected use. -EEXIST when the UUID has a reservation
 * already, is meshprov's own, or the addresses overlap a node, meshprov's
 * own node or another reservation; -EINVAL for a bad range. */
int nodedb_reservation_add(struct nodedb *db, const struct nodedb_reservation *r);
size_t nodedb_reservation_count(struct nodedb *db);
int nodedb_reservation_at(struct nodedb *db, size_t i, struct nodedb_reservation *out); /* -ENOENT */
int nodedb_reservation_find(struct nodedb *db, const uint8_t uuid[16], struct nodedb_reservation *out);
/* As nodedb_lookup(): by UUID, or by any of its addresses. */
int nodedb_reservation_lookup(struct nodedb *db, const char *text, struct nodedb_reservation *out);
int nodedb_reservation_drop(struct nodedb *db, const uint8_t uuid[16]);
int nodedb_reservation_release(struct nodedb *db, const uint8_t uuid[16]);
/* reason: as nodedb_node_set_unconfigured() */
int nodedb_reservation_keep(struct nodedb *db, const uint8_t uuid[16], const char *reason);

/* ---- meshprov's own node (see the top of this file) ---- */

/* Its unicast address and device key (either may be NULL). -ENOENT when the
 * database has no own node (no free address when it was opened). */
int nodedb_self(struct nodedb *db, uint16_t *unicast, uint8_t devkey[16]);

/* Reserve count sequence numbers for messages meshprov's own node sends, so
 * that no SEQ is ever used twice with the same IV Index, also across a crash.
 *
 * The own node's "sequenceNumber" is the next free SEQ for the IV Index in
 * its "meshprovSeqIvIndex". The IV Index that matters is the one we TRANSMIT
 * with: the top-level ivIndex, or ivIndex - 1 while ivUpdate is set (IV
 * Update in Progress, Mesh Profile 1.0.1 §3.10.5). So entering IV Update in
 * Progress continues the sequence, leaving it (ivUpdate cleared) starts
 * again at 0, as the spec wants. A stored IV Index older than the transmit
 * one resets the sequence to 0; a missing one (a foreign file) is taken as
 * the current one.
 *
 * *first = the next free SEQ; "sequenceNumber" becomes first + count, and
 * is durable before this returns 0: when the database in memory holds any
 * change not yet committed (or this is the session's first commit), the
 * WHOLE database is committed (nodedb_commit(), with those changes);
 * otherwise only the small record "PATH.seq" is replaced (atomically:
 * PATH.seq.tmp, fsync, rename, fsync the directory), leaving the database
 * file as it is. That record holds {"UUID" (the own node's),
 * "sequenceNumber", "meshprovSeqIvIndex"}; nodedb_open() merges it into
 * the own node (a newer IV Index wins, else the larger sequenceNumber; a
 * record with another UUID is ignored, one that cannot be read refuses the
 * open), and every commit writes the merged value into the database, so
 * nRF Mesh and mesh-cfgclient see it there. A process that dies having
 * used only part of the block restarts after the whole block. Reserve in
 * blocks (e.g. 64..1024) rather than one SEQ per message: every call is a
 * file write.
 *
 * -EINVAL count 0; -EOVERFLOW when first + count would pass
 * NODEDB_SEQ_MAX (the IV Index must be updated first); -ESTALE when the
 * stored "meshprovSeqIvIndex" is newer than the transmit IV Index (the IV
 * Index went backwards: reusing SEQs is possible, so we refuse); -EBADMSG
 * when a stored field is not a valid number; -ENOENT without own node; a
 * commit failure's error. On any failure the database in memory is as
 * before and err (one line) says why. */
int nodedb_reserve_seq(struct nodedb *db, uint32_t count, uint32_t *first, char *err, size_t errlen);

/* ---- Composition Data, bindings, subscriptions ---- */

/* Record Composition Data page 0 (in memory; commit to write it):
 *   "cid", "pid", "vid", "crpl"  4 upper-case hex digits each
 *   "features"  {"relay", "proxy", "friend", "lowPower"}: CDB's 0 disabled,
 *               1 enabled, 2 unsupported. Page 0 tells only SUPPORT, not
 *               state: a clear bit writes 2; for a set bit a 0 or 1 already
 *               in the file is kept, otherwise the member is left out
 *               ("supported, state unknown", as BlueZ's mesh-cfgclient does)
 *               until a Config Relay/Proxy/Friend Get tells. Other members
 *               of an existing "features" object are kept. RFU bits (4-15)
 *               are not stored.
 *   "elements"  one per composition element, replacing the placeholder
 *               elements of nodedb_add_node(): {"name", "index" i,
 *               "location" (4 hex), "models": [{"modelId", "bind": [],
 *               "subscribe": []}]}, SIG models first then vendor models, in
 *               composition order. modelId: "1000" for a SIG model, CID then
 *               model ID for a vendor model ("01A80000"), upper-case hex.
 *               An element's existing "name" is kept (else "Element
 *               0xADDR"); a model that was already recorded in the same
 *               element keeps its entry (bind, subscribe, publish), so
 *               reading the composition again loses no configuration.
 * When the composition has a different number of elements than the node
 * had (provisioning's Capabilities), the composition's count wins: the node
 * then spans unicast .. unicast + num_elements - 1 (-EEXIST when that would
 * overlap another node or meshprov's own node, -EINVAL past 0x7FFF; nothing
 * changed then).
 * -ENOENT unknown node; -EINVAL for 0 or more than CFG_COMP_MAX_ELEMENTS
 * elements or more than CFG_COMP_MAX_MODELS models in a list. */
int nodedb_node_set_composition(struct nodedb *db, const uint8_t uuid[16], const struct cfg_comp_page0 *c);

/* Read it back (also from a file written by nRF Mesh or BlueZ): cid, pid,
 * vid, crpl, features (bit set unless the member is 2; 0 when there is no
 * "features" object), elements in file order with location and models
 * (4-hex modelIds are SIG models, 8-hex vendor models; others skipped).
 * -ENOENT for an unknown node or when the composition is not known (no
 * valid "cid", "pid", "vid" and "crpl"); -E2BIG when more elements or models
 * than fit (*c then holds what fits). */
int nodedb_node_get_composition(struct nodedb *db, const uint8_t uuid[16], struct cfg_comp_page0 *c);

/* Add app_index to the "bind" array (integers) of model m of the node's
 * element with "index" element_index; no-op when it is there already.
 * -ENOENT for an unknown node, element, model (record the composition first)
 * or AppKey index (not in the top-level appKeys); -EINVAL when the model's
 * "bind" is not an array. In memory; commit to write. */
int nodedb_node_model_bind(struct nodedb *db, const uint8_t uuid[16], uint8_t element_index,
			   const struct cfg_model_id *m, uint16_t app_index);

/* Add the group address to the model's "subscribe" array (4 upper-case hex
 * digits; an existing entry in either case counts); no-op when it is there.
 * -EINVAL when group is not cfg_addr_is_subscribable_group(); else as
 * nodedb_node_model_bind(). */
int nodedb_node_model_subscribe(struct nodedb *db, const uint8_t uuid[16], uint8_t element_index,
				const struct cfg_model_id *m, uint16_t group);

/* Remove app_index from the model's "bind", or group from its "subscribe"
 * (every entry that names it; none is no error). -EINVAL for an index over
 * 0xFFF or not a subscribable group; -ENOENT for an unknown node, element
 * or model. In memory; commit to write. */
int nodedb_node_model_unbind(struct nodedb *db, const uint8_t uuid[16], uint8_t element_index,
			     const struct cfg_model_id *m, uint16_t app_index);
int nodedb_node_model_unsubscribe(struct nodedb *db, const uint8_t uuid[16], uint8_t element_index,
				  const struct cfg_model_id *m, uint16_t group);

/* The model's publication as the node reported it, as the Mesh
 * Configuration Database has it: "publish" {"address" (4 upper-case hex),
 * "index" (AppKey), "ttl" (0-127, 255 the node's default), "period"
 * {"numberOfSteps" 0-63, "resolution" 100, 1000, 10000 or 600000 ms},
 * "retransmit" {"count" 0-7, "interval" 50-1600 ms}, "credentials" 0 or 1};
 * publish address 0 (publication off) removes "publish". -EINVAL for a
 * virtual address, an index over 0xFFF or a prohibited TTL; else as
 * nodedb_node_model_bind(). In memory; commit to write. */
int nodedb_node_model_publish(struct nodedb *db, const uint8_t uuid[16], uint8_t element_index,
			      const struct cfg_model_id *m, const struct cfg_model_pub *pub);

/* A node state the node reported (cfgmsg.h cfg_state), as the Mesh
 * Configuration Database has it: Default TTL "defaultTTL" (integer),
 * Beacon "secureNetworkBeacon" (boolean), Network Transmit "networkTransmit"
 * and, unless Relay is not supported, Relay Retransmit "relayRetransmit"
 * ({"count": transmissions 1-8, "interval": ms 10-320}), Relay, GATT Proxy
 * and Friend the "relay", "proxy" and "friend" of "features" (0 off, 1 on,
 * 2 not supported; the object's other members kept). -ENOENT unknown node;
 * -EINVAL for a prohibited value or a "features" that is not an object. In
 * memory; commit to write. */
int nodedb_node_set_state(struct nodedb *db, const uint8_t uuid[16], enum cfg_state st,
			  const struct cfg_node_state *v);

/* The nodes in file order (every one: nodedb_open() refuses a file with a
 * node it cannot read); never meshprov's own node. */
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

/* The nodes as JSON for `meshprov nodes --json` (not meshprov's own node):
 * an array of {"uuid" (32 lower-case hex), "unicast" (integer), "elements",
 * "net_key_index", "name", "configured" (configComplete, boolean),
 * "config_error" (string; only when set), "appkeys" (array of the node's
 * AppKey indexes), "composition" ({"cid", "pid", "vid" (integers),
 * "elements" (count)}; only when known, see nodedb_node_get_composition)},
 * then the pending reservations: {"uuid", "unicast", "elements",
 * "net_key_index", "name" "", "configured" false, "appkeys" [], "pending"
 * true, "reserved_at" (Unix seconds)}; no device key (secrets stay in the
 * file). New reference: the caller puts
 * it. NULL on allocation failure. */
struct json_object *nodedb_nodes_json(struct nodedb *db);

/* The path given to nodedb_open(). */
const char *nodedb_path(struct nodedb *db);

#endif
