#include "devtable.h"

#include <errno.h>
#include <json.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

int devtable_init(struct devtable *t, size_t max)
{
	memset(t, 0, sizeof(*t));
	t->max = max;
	if (max == 0)
		return 0;
	t->e = calloc(max, sizeof(*t->e));
	return t->e ? 0 : -ENOMEM;
}

void devtable_free(struct devtable *t)
{
	free(t->e);
	memset(t, 0, sizeof(*t));
}

struct dev_entry *devtable_find(struct devtable *t, const uint8_t uuid[16])
{
	for (size_t i = 0; i < t->n; i++)
		if (!memcmp(t->e[i].beacon.uuid, uuid, 16))
			return &t->e[i];
	return NULL;
}

static void evict_least_recent(struct devtable *t)
{
	size_t victim = 0;

	for (size_t i = 1; i < t->n; i++)
		if (t->e[i].last_seen < t->e[victim].last_seen)
			victim = i;
	memmove(&t->e[victim], &t->e[victim + 1], (t->n - victim - 1) * sizeof(t->e[0]));
	t->n--;
	t->evicted++;
}

struct dev_entry *devtable_update(struct devtable *t, const struct unprov_beacon *b,
				  const struct hci_adv_report *r, uint64_t now, bool *is_new)
{
	struct dev_entry *d = devtable_find(t, b->uuid);

	*is_new = d == NULL;
	if (!d) {
		if (t->max == 0)
			return NULL;
		if (t->n == t->max)
			evict_least_recent(t);
		d = &t->e[t->n++];
		memset(d, 0, sizeof(*d));
		d->first_seen = now;
		d->is_aligenie = aligenie_decode(b->uuid, &d->ali);
	}
	d->beacon = *b;
	d->rssi = r->rssi;
	memcpy(d->addr, r->addr, 6);
	d->addr_type = r->addr_type;
	d->last_seen = now;
	d->beacons++;
	return d;
}

struct json_object *dev_entry_json(const struct dev_entry *d)
{
	struct json_object *o = json_object_new_object();
	char hex[33];

	hex_encode(d->beacon.uuid, 16, hex);
	json_object_object_add(o, "uuid", json_object_new_string(hex));
	json_object_object_add(o, "rssi",
			       d->rssi == HCI_RSSI_UNKNOWN ? NULL : json_object_new_int(d->rssi));
	json_object_object_add(o, "oob", json_object_new_int(d->beacon.oob));
	if (d->beacon.has_uri_hash)
		json_object_object_add(o, "uri_hash", json_object_new_int64(d->beacon.uri_hash));
	if (d->is_aligenie) {
		const struct aligenie_info *a = &d->ali;
		struct json_object *ao = json_object_new_object();
		char mac[13];

		aligenie_mac_hex(a->mac, mac);
		json_object_object_add(ao, "product_id", json_object_new_int64(a->product_id));
		json_object_object_add(ao, "mac", json_object_new_string(mac));
		json_object_object_add(ao, "pid_flags", json_object_new_int(a->pid_flags));
		json_object_object_add(ao, "adv_version", json_object_new_int(a->adv_version));
		json_object_object_add(ao, "secret_per_device",
				       json_object_new_boolean(a->secret_per_device));
		json_object_object_add(ao, "ota", json_object_new_boolean(a->ota));
		json_object_object_add(ao, "ble_version",
				       json_object_new_string(aligenie_ble_version_str(a->ble_version)));
		json_object_object_add(ao, "uuid_version", json_object_new_int(a->uuid_version));
		json_object_object_add(ao, "silent", json_object_new_boolean(a->silent));
		json_object_object_add(ao, "random_auth", json_object_new_boolean(a->random_auth));
		json_object_object_add(o, "aligenie", ao);
	}
	return o;
}

struct json_object *dev_entry_json_live(const struct dev_entry *d, uint64_t now)
{
	struct json_object *o = dev_entry_json(d);

	json_object_object_add(o, "beacons", json_object_new_int64((int64_t)d->beacons));
	json_object_object_add(o, "first_seen_s",
			       json_object_new_double((double)(now - d->first_seen) / 1000.0));
	json_object_object_add(o, "last_seen_s",
			       json_object_new_double((double)(now - d->last_seen) / 1000.0));
	return o;
}

static int64_t ms_ago(struct json_object *o, const char *key)
{
	struct json_object *v;
	double s;

	if (!json_object_object_get_ex(o, key, &v))
		return 0;
	s = json_object_get_double(v);
	return s > 0 && s < 1e9 ? (int64_t)(s * 1000.0) : 0;
}

int dev_entry_from_json(struct json_object *o, uint64_t now, struct dev_entry *d)
{
	struct json_object *v;
	int64_t first, last;

	memset(d, 0, sizeof(*d));
	if (!json_object_object_get_ex(o, "uuid", &v) || !json_object_is_type(v, json_type_string) ||
	    hex_decode(json_object_get_string(v), d->beacon.uuid, 16) < 0)
		return -1;
	d->rssi = HCI_RSSI_UNKNOWN;
	if (json_object_object_get_ex(o, "rssi", &v) && json_object_is_type(v, json_type_int)) {
		if (json_object_get_int(v) < -128 || json_object_get_int(v) > 127)
			return -1;
		d->rssi = (int8_t)json_object_get_int(v);
	}
	if (json_object_object_get_ex(o, "oob", &v)) {
		if (json_object_get_int(v) < 0 || json_object_get_int(v) > 0xffff)
			return -1;
		d->beacon.oob = (uint16_t)json_object_get_int(v);
	}
	if (json_object_object_get_ex(o, "uri_hash", &v)) {
		if (json_object_get_int64(v) < 0 || json_object_get_int64(v) > 0xffffffffLL)
			return -1;
		d->beacon.has_uri_hash = true;
		d->beacon.uri_hash = (uint32_t)json_object_get_int64(v);
	}
	d->beacons = 1;
	if (json_object_object_get_ex(o, "beacons", &v) && json_object_get_int64(v) > 0)
		d->beacons = (unsigned long)json_object_get_int64(v);
	first = ms_ago(o, "first_seen_s");
	last = ms_ago(o, "last_seen_s");
	d->first_seen = now > (uint64_t)first ? now - (uint64_t)first : 0;
	d->last_seen = now > (uint64_t)last ? now - (uint64_t)last : 0;
	d->is_aligenie = aligenie_decode(d->beacon.uuid, &d->ali);
	return 0;
}

int devtable_put(struct devtable *t, const struct dev_entry *d)
{
	struct hci_adv_report r = { .rssi = d->rssi };
	struct dev_entry *e;
	bool is_new;

	e = devtable_update(t, &d->beacon, &r, d->first_seen, &is_new);
	if (!e)
		return -1;
	*e = *d;
	return 0;
}

void devtable_remove(struct devtable *t, const uint8_t uuid[16])
{
	struct dev_entry *e = devtable_find(t, uuid);

	if (!e)
		return;
	memmove(e, e + 1, (size_t)(t->e + t->n - (e + 1)) * sizeof(*e));
	t->n--;
}
