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

int prov_pdu_parse_caps(const uint8_t *c, size_t len, struct prov_caps *caps)
{
	if (len != PROV_CAPS_LEN)
		return PROV_ERR_INVALID_FORMAT;
	caps->elements = c[0];
	caps->algorithms = get_be16(c + 1);
	caps->pubkey_type = c[3];
	caps->static_oob = c[4];
	caps->output_size = c[5];
	caps->output_actions = get_be16(c + 6);
	caps->input_size = c[8];
	caps->input_actions = get_be16(c + 9);
	/* sizes 0x09-0xFF are prohibited; a size with no actions (or the reverse) is nonsense */
	if (caps->elements == 0 || caps->output_size > 8 || caps->input_size > 8)
		return PROV_ERR_INVALID_FORMAT;
	if ((caps->output_size == 0) != (caps->output_actions == 0) ||
	    (caps->input_size == 0) != (caps->input_actions == 0))
		return PROV_ERR_INVALID_FORMAT;
	return 0;
}

void prov_pdu_build_caps(const struct prov_caps *c, uint8_t out[PROV_CAPS_LEN])
{
	out[0] = c->elements;
	put_be16(out + 1, c->algorithms);
	out[3] = c->pubkey_type;
	out[4] = c->static_oob;
	out[5] = c->output_size;
	put_be16(out + 6, c->output_actions);
	out[8] = c->input_size;
	put_be16(out + 9, c->input_actions);
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
