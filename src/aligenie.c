#include "aligenie.h"

#include <stdio.h>
#include <string.h>

#include "util.h"

bool aligenie_decode(const uint8_t uuid[16], struct aligenie_info *a)
{
	if (get_le16(uuid) != ALIGENIE_CID)
		return false;
	memset(a, 0, sizeof(*a));
	a->pid_flags = uuid[2];
	a->adv_version = uuid[2] & 0x0f;
	a->secret_per_device = uuid[2] & 0x10;
	a->ota = uuid[2] & 0x20;
	a->ble_version = uuid[2] >> 6;
	a->product_id = get_le32(uuid + 3);
	for (int i = 0; i < 6; i++)
		a->mac[i] = uuid[12 - i];
	a->feature_flag = uuid[13];
	a->silent = uuid[13] & 0x01;
	a->uuid_version = uuid[13] >> 1;
	a->flags2 = uuid[14];
	a->stack_version = uuid[14] >> 4;
	a->ultra_prov = uuid[14] & 0x01;
	a->random_auth = uuid[14] & 0x02;
	return true;
}

void aligenie_encode(const struct aligenie_info *a, uint8_t uuid[16])
{
	put_le16(uuid, ALIGENIE_CID);
	uuid[2] = a->pid_flags;
	put_le32(uuid + 3, a->product_id);
	for (int i = 0; i < 6; i++)
		uuid[12 - i] = a->mac[i];
	uuid[13] = a->feature_flag;
	uuid[14] = a->flags2;
	uuid[15] = 0;
}

const char *aligenie_ble_version_str(uint8_t code)
{
	static const char *const v[] = { "4.0", "4.2", "5.0", "5.0+" };

	return v[code & 3];
}

void aligenie_mac_str(const uint8_t mac[6], char out[18])
{
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
		 mac[5]);
}

void aligenie_mac_hex(const uint8_t mac[6], char out[13])
{
	hex_encode(mac, 6, out);
}

void aligenie_flags_str(const struct aligenie_info *a, char *out, size_t outlen)
{
	snprintf(out, outlen, "adv v%u%s%s, BLE %s", a->adv_version,
		 a->secret_per_device ? ", secret per device" : "", a->ota ? ", OTA" : "",
		 aligenie_ble_version_str(a->ble_version));
}
