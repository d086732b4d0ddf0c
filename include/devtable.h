/* The table of unprovisioned devices heard: bounded, least recently seen
 * evicted first, kept in first-seen order. Pure data, no I/O. */
#ifndef MESHPROV_DEVTABLE_H
#define MESHPROV_DEVTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aligenie.h"
#include "beacon.h"
#include "hci.h"

struct json_object;

#define DEVTABLE_DEFAULT_MAX 1024

struct dev_entry {
	struct unprov_beacon beacon;
	int8_t rssi;        /* latest; HCI_RSSI_UNKNOWN when unknown */
	uint8_t addr[6];    /* advertiser address, wire order */
	uint8_t addr_type;
	uint64_t first_seen;
	uint64_t last_seen;
	unsigned long beacons;
	bool is_aligenie;
	struct aligenie_info ali;
};

struct devtable {
	struct dev_entry *e;
	size_t n, max;
	unsigned long evicted;
};

int devtable_init(struct devtable *t, size_t max);
void devtable_free(struct devtable *t);

/* Record a beacon heard at now. Returns the entry; *is_new tells whether the
 * device was not in the table. NULL only when max is 0. */
struct dev_entry *devtable_update(struct devtable *t, const struct unprov_beacon *b,
				  const struct hci_adv_report *r, uint64_t now, bool *is_new);

struct dev_entry *devtable_find(struct devtable *t, const uint8_t uuid[16]);

/* Forget a device (it was provisioned). */
void devtable_remove(struct devtable *t, const uint8_t uuid[16]);

/* The JSON object `meshprov scan --json` prints for a device. */
struct json_object *dev_entry_json(const struct dev_entry *d);

/* The same with what the live table knows at now: "beacons", and
 * "first_seen_s" and "last_seen_s" (seconds ago). */
struct json_object *dev_entry_json_live(const struct dev_entry *d, uint64_t now);

/* An entry back from dev_entry_json_live()'s object, as seen at now.
 * 0, or -1 when it lacks a field or holds a bad one. */
int dev_entry_from_json(struct json_object *o, uint64_t now, struct dev_entry *d);

/* Put an entry made elsewhere (dev_entry_from_json) into the table. */
int devtable_put(struct devtable *t, const struct dev_entry *d);

#endif
