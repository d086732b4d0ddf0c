/* Provisioning PDUs on the wire (Mesh Profile 1.0.1 §5.4.1), for both roles
 * (prov.c, the provisioner; prov_device.c, the device): the PDU types and
 * error codes, each type's parameter length, the one check every received
 * PDU passes, the layout of Capabilities (§5.4.1.2) and of
 * ConfirmationInputs (§5.4.2.4.1). Pure: no
 * state, no allocation, no logging. */
#ifndef MESHPROV_PROV_PDU_H
#define MESHPROV_PROV_PDU_H

#include <stddef.h>
#include <stdint.h>

/* PDU types */
enum {
	PROV_INVITE = 0x00,
	PROV_CAPABILITIES = 0x01,
	PROV_START = 0x02,
	PROV_PUBLIC_KEY = 0x03,
	PROV_INPUT_COMPLETE = 0x04,
	PROV_CONFIRMATION = 0x05,
	PROV_RANDOM = 0x06,
	PROV_DATA = 0x07,
	PROV_COMPLETE = 0x08,
	PROV_FAILED = 0x09,
};

/* Provisioning Failed error codes */
enum {
	PROV_ERR_NONE = 0x00,
	PROV_ERR_INVALID_PDU = 0x01,
	PROV_ERR_INVALID_FORMAT = 0x02,
	PROV_ERR_UNEXPECTED_PDU = 0x03,
	PROV_ERR_CONFIRMATION_FAILED = 0x04,
	PROV_ERR_OUT_OF_RESOURCES = 0x05,
	PROV_ERR_DECRYPTION_FAILED = 0x06,
	PROV_ERR_UNEXPECTED_ERROR = 0x07,
	PROV_ERR_CANNOT_ASSIGN_ADDRESSES = 0x08,
	PROV_ERR_INVALID_DATA = 0x09,
};

#define PROV_MAX_PDU 66 /* type octet and the longest parameters (Public Key) */

/* A set of PDU types, for prov_pdu_check's expect. */
#define PROV_PDU_BIT(type) (1u << (type))

/* Provisioning Capabilities, the parameters of the PDU: the device encodes
 * its own (prov_pdu_build_caps), the provisioner decodes the device's
 * (prov_pdu_parse_caps); both copy the octets into ConfirmationInputs. */
struct prov_caps {
	uint8_t elements;
	uint16_t algorithms;
	uint8_t pubkey_type;
	uint8_t static_oob;
	uint8_t output_size;
	uint16_t output_actions;
	uint8_t input_size;
	uint16_t input_actions;
};

#define PROV_CAPS_LEN 11

/* Decode and validate Capabilities parameters (PROV_CAPS_LEN octets): 0, or
 * PROV_ERR_INVALID_FORMAT for another length, no elements, an OOB size
 * over 8, or a size without actions (or the reverse). */
int prov_pdu_parse_caps(const uint8_t *params, size_t len, struct prov_caps *c);

/* Encode c as Capabilities parameters (no check: see prov_pdu_parse_caps). */
void prov_pdu_build_caps(const struct prov_caps *c, uint8_t out[PROV_CAPS_LEN]);

/* ConfirmationInputs: the parameters of Invite, Capabilities and Start, and
 * the two public keys, in this order; both roles fill it as the PDUs pass
 * and hash it whole (prov_confirmation_key). */
struct prov_conf_inputs {
	uint8_t invite[1];
	uint8_t capabilities[PROV_CAPS_LEN];
	uint8_t start[5];
	uint8_t provisioner_key[64];
	uint8_t device_key[64];
};

#define PROV_CONF_INPUTS_LEN 145
_Static_assert(sizeof(struct prov_conf_inputs) == PROV_CONF_INPUTS_LEN,
	       "ConfirmationInputs is 1 + 11 + 5 + 64 + 64 octets");

/* The parameter length of a PDU type (without the type octet), or -1 for a
 * type that does not exist. Confirmation and Random have rand_len octets
 * (16 with CMAC, 32 with HMAC-SHA256; 0 before Start chose: 16). */
int prov_pdu_param_len(uint8_t type, size_t rand_len);

/* Check one received PDU (type octet first) before anything of it is read:
 *   empty, padding bits set or an unknown type   PROV_ERR_INVALID_PDU
 *   a type not in expect (PROV_PDU_BIT set)      PROV_ERR_UNEXPECTED_PDU
 *   parameters not of the type's exact length    PROV_ERR_INVALID_FORMAT
 * in this order. 0: the PDU may be read. Otherwise the code to answer with,
 * and why says so in one line starting with peer ("device", "provisioner"). */
int prov_pdu_check(const uint8_t *pdu, size_t len, unsigned expect, size_t rand_len,
		   const char *peer, char *why, size_t whylen);

/* "Provisioning Start", ... by PDU type; "PDU type 0xNN" (in buf) for others */
const char *prov_pdu_name(uint8_t type, char buf[20]);

#endif
