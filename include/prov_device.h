/* The provisioning protocol (Mesh Profile 1.0.1 §5.4, plus the Mesh 1.1
 * algorithm BTM_ECDH_P256_HMAC_SHA256_AES_CCM), device role, as a pure core
 * like prov.h: provisioning PDUs and time in (prov_device_receive,
 * prov_device_tick), PDUs out (ops->send), events out (ops callbacks), a
 * deadline out (prov_device_next_deadline). No sockets, no event loop, no
 * globals, no logging. Used by the simulator and by the tests; the
 * derivations are the provisioner's (prov_confirmation_key, ...).
 *
 * Flow: prov_device_start() when the link opens (arms the 60 s timer);
 * Invite -> Capabilities; Start (validated against the capabilities:
 * Invalid Format for a Start this device cannot honour); the provisioner's
 * Public Key -> our Public Key (unless Start chose an OOB public key); then
 *   Output OOB: ops->output shows the value;
 *   Input OOB:  ops->input_request; prov_device_input() then sends Input Complete;
 * the provisioner's Confirmation -> ours; the provisioner's Random is checked
 * against its Confirmation (Confirmation Failed on mismatch) -> our Random;
 * Provisioning Data is decrypted (Decryption Failed on a bad MIC) -> Complete
 * and ops->complete.
 *
 * Errors, each sent in Provisioning Failed: Invalid PDU (unknown type or
 * padding bits set), Unexpected PDU (a type the state does not expect,
 * including Capabilities, Input Complete, Complete and Failed, which only
 * devices send), Invalid Format (wrong length) -- these three from
 * prov_pdu_check, the check the provisioner uses too; Invalid Format (a
 * Start we cannot honour), Unexpected Error (the provisioner's public key is
 * invalid or equals ours),
 * Confirmation Failed (the provisioner's Confirmation equals ours, its Random
 * equals ours, or its Confirmation does not verify), Decryption Failed (MIC),
 * Invalid Data (NetKeyIndex > 0xfff, unicast range outside 0x0001-0x7fff).
 * The device then reports ops->failed and ignores every further PDU. The
 * caller keeps the link until the provisioner closes it (PB-ADV: the device
 * never closes the link itself, except on its own timeout). */
#ifndef MESHPROV_PROV_DEVICE_H
#define MESHPROV_PROV_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "prov.h"

struct prov_device_params {
	/* Sent in Capabilities as given; Start is validated against them.
	 * static_oob bit 0: static OOB available (needs static_oob below);
	 * bit 1 (Mesh 1.1): only OOB-authenticated provisioning (No OOB refused).
	 * pubkey_type bit 0: our public key is known out of band
	 * (prov_device_public_key() gives it). */
	struct prov_caps caps;
	/* Static OOB material, used when Start selects Static OOB:
	 *   kind PROV_USE_NO_OOB   none
	 *   kind PROV_USE_STATIC   static_value, static_len 16 or 32 octets (a 16-octet
	 *                          value is zero padded for HMAC-SHA256; a 32-octet
	 *                          value cannot be used with CMAC)
	 *   kind PROV_USE_ALIGENIE product_id, mac, secret (1..64 octets); random_bound:
	 *                          our Confirmation uses AuthValue(RandomDevice) and the
	 *                          provisioner's is checked with AuthValue(RandomProvisioner)
	 *                          (CMAC only). Other kinds are refused by prov_device_init. */
	struct prov_auth static_oob;
	/* Output OOB: the value to show (digits; for Output Alphanumeric, 0-9 A-Z).
	 * Empty: a fresh random one fitting the action and size Start chose. */
	char output_value[9];
};

struct prov_device_result {
	uint8_t net_key[16];
	uint16_t net_key_index;
	uint8_t flags;
	uint32_t iv_index;
	uint16_t unicast;       /* primary element; the node has caps.elements of them */
	uint8_t device_key[16];
	uint8_t algorithm;      /* PROV_ALG_* */
	enum prov_auth_method auth;
};

struct prov_device_ops {
	/* queue one provisioning PDU for the provisioner; the bearer delivers in order */
	void (*send)(void *ctx, const uint8_t *pdu, size_t len);
	/* optional: Invite asked for the attention timer (seconds, 0: off) */
	void (*attention)(void *ctx, uint8_t seconds);
	/* Output OOB: show value (a count for blink/beep/vibrate, digits for
	 * numeric, text for alphanumeric). Optional. */
	void (*output)(void *ctx, uint8_t action, const char *value);
	/* Input OOB: the user should enter the value the provisioner shows; answer
	 * with prov_device_input(). Optional. */
	void (*input_request)(void *ctx, uint8_t action, uint8_t size);
	void (*complete)(void *ctx, const struct prov_device_result *r);
	/* error: the code sent in Provisioning Failed, or 0 when none was sent
	 * (timeout: no PDU in PROV_TIMEOUT_MS; prov_device_cancel). msg: one line, no secrets. */
	void (*failed)(void *ctx, uint8_t error, bool timeout, const char *msg);
};

enum prov_device_state {
	PROV_DEV_S_IDLE,
	PROV_DEV_S_WAIT_INVITE,
	PROV_DEV_S_WAIT_START,
	PROV_DEV_S_WAIT_PUBKEY,
	PROV_DEV_S_WAIT_INPUT,  /* Input OOB: waiting for prov_device_input() */
	PROV_DEV_S_WAIT_CONFIRMATION,
	PROV_DEV_S_WAIT_RANDOM,
	PROV_DEV_S_WAIT_DATA,
	PROV_DEV_S_DONE,
	PROV_DEV_S_FAILED,
};

struct crypto_ecdh;

struct prov_device {
	const struct prov_device_ops *ops;
	void *ctx;
	struct prov_device_params params;
	enum prov_device_state state;
	uint64_t deadline;
	struct crypto_ecdh *key;
	struct prov_conf_inputs conf_inputs;
	uint8_t algorithm;
	enum prov_auth_method method;
	uint8_t auth_action, auth_size;
	bool oob_pubkey;        /* Start chose our OOB public key */
	size_t rand_len;        /* 16 (CMAC) or 32 (HMAC) */
	uint8_t my_pub[64];
	uint8_t prov_pub[64];
	uint8_t secret[32];
	uint8_t conf_salt[32];
	uint8_t conf_key[32];
	uint8_t auth_value[32]; /* except for the AliGenie random-bound variant */
	uint8_t my_random[32];
	uint8_t my_conf[32];
	uint8_t prov_conf[32];
	uint8_t session_key[16];
	uint8_t nonce[13];
	bool test_random;       /* my_random fixed by prov_device_test_fix() */
	size_t test_random_len;
	struct prov_device_result result;
};

/* 0, or -EINVAL when the parameters are inconsistent (capabilities that
 * prov_pdu_parse_caps rejects, static OOB offered without material or material
 * of a bad length, an output value that is not digits or 0-9 A-Z). */
int prov_device_init(struct prov_device *d, const struct prov_device_params *params,
		     const struct prov_device_ops *ops, void *ctx);
void prov_device_free(struct prov_device *d); /* erases keys */

/* Test hook: this private key and random (16 or 32 octets; 32 are needed for
 * HMAC-SHA256) instead of fresh ones. */
int prov_device_test_fix(struct prov_device *d, const uint8_t priv[32], const uint8_t *random,
			 size_t random_len);

/* Our public key (generated now if needed), for an OOB public key setup. */
int prov_device_public_key(struct prov_device *d, uint8_t pub[64]);

/* The link is open: wait for Invite (the timer runs from now). */
void prov_device_start(struct prov_device *d, uint64_t now);

/* One provisioning PDU from the provisioner (prov_input's counterpart). */
void prov_device_receive(struct prov_device *d, uint64_t now, const uint8_t *pdu, size_t len);

/* Input OOB: the value the user entered on the device (digits: the number,
 * or the count for push/twist; 0-9 A-Z for Input Alphanumeric; at most the
 * size Start chose). Sends Input Complete. 0, -EINVAL (does not fit), -EBUSY
 * (no input is awaited). */
int prov_device_input(struct prov_device *d, uint64_t now, const char *value);

/* Stop from outside: ops->failed with error 0, no PDU sent. */
void prov_device_cancel(struct prov_device *d, const char *msg);

uint64_t prov_device_next_deadline(const struct prov_device *d);
void prov_device_tick(struct prov_device *d, uint64_t now);

bool prov_device_done(const struct prov_device *d);

#endif
