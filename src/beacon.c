#include "beacon.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

int beacon_parse_unprov(const uint8_t *data, size_t len, struct unprov_beacon *b)
{
	if (len < 1)
		return -EBADMSG;
	if (data[0] != BEACON_UNPROVISIONED)
		return -EINVAL;
	if (len != 19 && len != 23)
		return -EBADMSG;
	memcpy(b->uuid, data + 1, 16);
	b->oob = get_be16(data + 17);
	b->has_uri_hash = len == 23;
	b->uri_hash = b->has_uri_hash ? get_be32(data + 19) : 0;
	return 0;
}

size_t beacon_build_unprov(const struct unprov_beacon *b, uint8_t *out)
{
	out[0] = BEACON_UNPROVISIONED;
	memcpy(out + 1, b->uuid, 16);
	put_be16(out + 17, b->oob);
	if (!b->has_uri_hash)
		return 19;
	put_be32(out + 19, b->uri_hash);
	return 23;
}

void beacon_oob_str(uint16_t oob, char *out, size_t outlen)
{
	static const struct {
		uint16_t bit;
		const char *name;
	} names[] = {
		{ OOB_INFO_OTHER, "other" },       { OOB_INFO_URI, "uri" },
		{ OOB_INFO_QR, "qr-code" },        { OOB_INFO_BARCODE, "bar-code" },
		{ OOB_INFO_NFC, "nfc" },           { OOB_INFO_NUMBER, "number" },
		{ OOB_INFO_STRING, "string" },     { OOB_INFO_ON_BOX, "on-box" },
		{ OOB_INFO_INSIDE_BOX, "in-box" }, { OOB_INFO_ON_PAPER, "on-paper" },
		{ OOB_INFO_INSIDE_MANUAL, "in-manual" }, { OOB_INFO_ON_DEVICE, "on-device" },
	};
	size_t used = 0;

	if (outlen == 0)
		return;
	out[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		int n;

		if (!(oob & names[i].bit))
			continue;
		n = snprintf(out + used, outlen - used, "%s%s", used ? "," : "", names[i].name);
		if (n < 0 || (size_t)n >= outlen - used)
			return;
		used += (size_t)n;
	}
	if (used == 0)
		snprintf(out, outlen, "-");
}
