/* Mesh beacons (AD type 0x2B). */
#ifndef MESHPROV_BEACON_H
#define MESHPROV_BEACON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BEACON_UNPROVISIONED 0x00
#define BEACON_SECURE_NETWORK 0x01

/* OOB Information bits (Mesh Profile 1.0.1 Table 3.54) */
#define OOB_INFO_OTHER (1u << 0)
#define OOB_INFO_URI (1u << 1)
#define OOB_INFO_QR (1u << 2)
#define OOB_INFO_BARCODE (1u << 3)
#define OOB_INFO_NFC (1u << 4)
#define OOB_INFO_NUMBER (1u << 5)
#define OOB_INFO_STRING (1u << 6)
#define OOB_INFO_ON_BOX (1u << 11)
#define OOB_INFO_INSIDE_BOX (1u << 12)
#define OOB_INFO_ON_PAPER (1u << 13)
#define OOB_INFO_INSIDE_MANUAL (1u << 14)
#define OOB_INFO_ON_DEVICE (1u << 15)

struct unprov_beacon {
	uint8_t uuid[16];
	uint16_t oob;
	bool has_uri_hash;
	uint32_t uri_hash;
};

/* data: the AD payload (beacon type first). 0 on success; -EINVAL when it is
 * not an Unprovisioned Device Beacon; -EBADMSG when its length is wrong (only
 * 19 and 23 octets are valid). */
int beacon_parse_unprov(const uint8_t *data, size_t len, struct unprov_beacon *b);

/* Build one: returns its length (19 or 23). out holds at least 23 octets. */
size_t beacon_build_unprov(const struct unprov_beacon *b, uint8_t *out);

/* "uri,number,on-box" style list of the OOB Information bits set, into out. */
void beacon_oob_str(uint16_t oob, char *out, size_t outlen);

#endif
