/* AliGenie (Tmall Genie) Device UUID layout. Multi-octet fields little-endian.
 *  0-1  CID a8 01 (0x01A8)
 *  2    PID flags: bits 0-3 adv version, bit 4 secret per device, bit 5 OTA,
 *       bits 6-7 BLE version (00 4.0, 01 4.2, 10 5.0, 11 above 5.0)
 *  3-6  ProductID (uint32)
 *  7-12 MAC, reversed (display 28:fa:7a:01:91:da is stored da 91 01 7a fa 28)
 *  13   FeatureFlag: bit 0 silent advertising, bits 1-7 UUID version
 *  14   feature flags 2: bits 4-7 stack version, bit 0 ultra-prov,
 *       bit 1 random-bound AuthValue
 *  15   reserved */
#ifndef MESHPROV_ALIGENIE_H
#define MESHPROV_ALIGENIE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ALIGENIE_CID 0x01A8

struct aligenie_info {
	uint8_t pid_flags;
	uint8_t adv_version;
	bool secret_per_device;
	bool ota;
	uint8_t ble_version; /* the two-bit code */
	uint32_t product_id;
	uint8_t mac[6];      /* display order */
	uint8_t feature_flag;
	bool silent;
	uint8_t uuid_version;
	uint8_t flags2;
	uint8_t stack_version;
	bool ultra_prov;
	bool random_auth;
};

/* True (and *out filled) when uuid carries the AliGenie CID. */
bool aligenie_decode(const uint8_t uuid[16], struct aligenie_info *out);

/* Build an AliGenie UUID (for the simulator and tests). */
void aligenie_encode(const struct aligenie_info *in, uint8_t uuid[16]);

/* "4.0", "4.2", "5.0", "5.0+" */
const char *aligenie_ble_version_str(uint8_t code);

/* "78:da:07:c1:1c:a8" (18 octets with NUL) and "78da07c11ca8" (13 octets). */
void aligenie_mac_str(const uint8_t mac[6], char out[18]);
void aligenie_mac_hex(const uint8_t mac[6], char out[13]);

/* Human-readable PID flags, e.g. "adv v1, secret per device, OTA, BLE 4.2". */
void aligenie_flags_str(const struct aligenie_info *a, char *out, size_t outlen);

#endif
