#include "prov_pdu.h"

#include <stdio.h>

#include "util.h"

/* Parameter lengths by type (Mesh Profile 1.0.1 §5.4.1);
 * Confirmation and Random as with CMAC. */
static const uint8_t param_len[] = {
	[PROV_INVITE] = 1,        [PROV_CAPABILITIES] = 11, [PROV_START] = 5,
	[PROV_PUBLIC_KEY] = 64,   [PROV_INPUT_COMPLETE] = 0, [PROV_CONFIRMATION] = 16,
	[PROV_RANDOM] = 16,       [PROV_DATA] = 33,         [PROV_COMPLETE] = 0,
	[PROV_FAILED] = 1,
};

int prov_pdu_param_len(uint8_t type, size_t rand_len)
{
	if (type >= ARRAY_SIZE(param_len))
		return -1;
	if ((type == PROV_CONFIRMATION || type == PROV_RANDOM) && rand_len)
		return (int)rand_len;
	return param_len[type];
}

int prov_pdu_check(const uint8_t *pdu, size_t len, unsigned expect, size_t rand_len,
		   const char *peer, char *why, size_t whylen)
{
	uint8_t type;
	size_t plen;
	int want;

	if (len < 1) {
		snprintf(why, whylen, "%s sent an empty PDU", peer);
		return PROV_ERR_INVALID_PDU;
	}
	type = pdu[0] & 0x3f; /* the two top bits are padding, 0 */
	plen = len - 1;
	want = prov_pdu_param_len(type, rand_len);
	if ((pdu[0] & 0xc0) || want < 0) {
		snprintf(why, whylen, "%s sent an unknown PDU type 0x%02x", peer, pdu[0]);
		return PROV_ERR_INVALID_PDU;
	}
	if (!(expect & PROV_PDU_BIT(type))) {
		snprintf(why, whylen, "%s sent an unexpected PDU (type 0x%02x)", peer, type);
		return PROV_ERR_UNEXPECTED_PDU;
	}
	if (plen != (size_t)want) {
		snprintf(why, whylen, "%s sent a PDU of type 0x%02x with %zu octets, not %d", peer,
			 type, plen, want);
		return PROV_ERR_INVALID_FORMAT;
	}
	return 0;
}

const char *prov_pdu_name(uint8_t type, char buf[20])
{
	static const char *const names[] = {
		[PROV_INVITE] = "Provisioning Invite",
		[PROV_CAPABILITIES] = "Provisioning Capabilities",
		[PROV_START] = "Provisioning Start",
		[PROV_PUBLIC_KEY] = "Provisioning Public Key",
		[PROV_INPUT_COMPLETE] = "Provisioning Input Complete",
		[PROV_CONFIRMATION] = "Provisioning Confirmation",
		[PROV_RANDOM] = "Provisioning Random",
		[PROV_DATA] = "Provisioning Data",
		[PROV_COMPLETE] = "Provisioning Complete",
		[PROV_FAILED] = "Provisioning Failed",
	};

	if (type < ARRAY_SIZE(names))
		return names[type];
	snprintf(buf, 20, "PDU type 0x%02x", type);
	return buf;
}
