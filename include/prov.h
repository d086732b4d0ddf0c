/* The provisioning protocol (Mesh Profile 1.0.1 §5.4, plus the Mesh 1.1
 * algorithm BTM_ECDH_P256_HMAC_SHA256_AES_CCM), provisioner role, as a pure
 * core: provisioning PDUs and time in; PDUs, a deadline and events out. It
 * knows nothing of the bearer: the caller carries PDUs over PB-ADV and closes
 * the link when the core reports failure (Link Close, reason Fail or Timeout).
 *
 * The derivations both roles share (confirmation, session keys) are exported
 * too, so the simulator's device role uses the same, vector-tested code; the
 * wire format both share (PDU types, lengths, the receive check, the
 * Capabilities layout,
 * ConfirmationInputs) is prov_pdu.h, included here. */
#ifndef MESHPROV_PROV_H
#define MESHPROV_PROV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "prov_pdu.h"

/* Algorithms (Start octet 0; Capabilities bitmask bit n = algorithm n) */
enum { PROV_ALG_CMAC = 0x00, PROV_ALG_HMAC = 0x01 };

/* Authentication methods (Start octet 2) */
enum prov_auth_method {
	PROV_AUTH_NO_OOB = 0x00,
	PROV_AUTH_STATIC = 0x01,
	PROV_AUTH_OUTPUT = 0x02,
	PROV_AUTH_INPUT = 0x03,
};

/* Output OOB actions (bit numbers) */
enum { PROV_OUT_BLINK, PROV_OUT_BEEP, PROV_OUT_VIBRATE, PROV_OUT_NUMERIC, PROV_OUT_ALPHA };
/* Input OOB actions (bit numbers) */
enum { PROV_IN_PUSH, PROV_IN_TWIST, PROV_IN_NUMERIC, PROV_IN_ALPHA };

#define PROV_TIMEOUT_MS 60000

/* How the user wants the device authenticated. */
enum prov_auth_kind {
	PROV_USE_NO_OOB,
	PROV_USE_STATIC,   /* static_value, 16 or 32 octets */
	PROV_USE_ALIGENIE, /* AuthValue from ProductID, MAC, secret (and, random-bound, the randoms) */
	PROV_USE_OUTPUT,   /* the device shows a value; the user enters it (prov_set_auth_value) */
	PROV_USE_INPUT,    /* meshprov shows a value; the user enters it on the device */
};

struct prov_auth {
	enum prov_auth_kind kind;
	uint8_t static_value[32];
	uint8_t static_len;
	uint32_t product_id;
	uint8_t mac[6];
	uint8_t secret[64];
	uint8_t secret_len;
	bool random_bound;
};

struct prov_params {
	uint8_t attention;      /* Invite: attention timer, seconds */
	struct prov_auth auth;
	bool has_device_pubkey; /* the device's public key is known out of band */
	uint8_t device_pubkey[64];
	uint8_t net_key[16];
	uint16_t net_key_index;
	uint8_t flags;
	uint32_t iv_index;
	uint16_t unicast;       /* 0: ask ops->assign_address once the device's confirmation
	                         * is verified, just before the Data */
};

enum prov_step {
	PROV_STEP_INVITE,       /* Invite sent */
	PROV_STEP_CAPABILITIES, /* Capabilities received and accepted */
	PROV_STEP_KEY_EXCHANGE, /* public keys exchanged */
	PROV_STEP_AUTH,         /* confirmation sent */
	PROV_STEP_CONFIRMED,    /* the device's confirmation verified */
	PROV_STEP_DATA_SENT,
	PROV_STEP_COMPLETE,
};

struct prov_result {
	uint16_t unicast;
	uint8_t elements;
	uint8_t device_key[16];
	uint16_t net_key_index;
	uint8_t algorithm;
	enum prov_auth_method auth;
	struct prov_caps caps;
};

struct prov_ops {
	/* queue one provisioning PDU for the device; the bearer delivers in order */
	void (*send)(void *ctx, const uint8_t *pdu, size_t len);
	void (*progress)(void *ctx, enum prov_step step);
	/* Output OOB: the device outputs a value (action, size): call prov_set_auth_value.
	 * Input OOB: show is the value for the user to enter on the device. */
	void (*auth_request)(void *ctx, enum prov_auth_method method, uint8_t action, uint8_t size,
			     const char *show);
	/* Pick `elements` consecutive unicast addresses: 0, or non-zero when none
	 * are free. Asked once the device's confirmation is verified, right
	 * before data_ready and the Data (never for a session that fails
	 * earlier). */
	int (*assign_address)(void *ctx, uint8_t elements, uint16_t *addr);
	/* Provisioning Data is about to be sent: r holds what complete will
	 * (unicast, elements, device_key, net_key_index, ...). The
	 * caller records the addresses durably now (once the data is out the
	 * device may hold them whatever happens to us). 0 sends it; non-zero
	 * fails the session with nothing sent. NULL: send. */
	int (*data_ready)(void *ctx, const struct prov_result *r);
	void (*complete)(void *ctx, const struct prov_result *r);
	/* Provisioning failed. error: a PROV_ERR_* code (the device's, when by_device), or 0
	 * when none applies. timeout: no answer in PROV_TIMEOUT_MS. msg: one line, no secrets,
	 * never empty (a device's Provisioning Failed: its code, name and the PDU it answers).
	 * The caller closes the link: reason Timeout when timeout, else Fail. */
	void (*failed)(void *ctx, uint8_t error, bool by_device, bool timeout, const char *msg);
};

enum prov_state {
	PROV_S_IDLE,
	PROV_S_WAIT_CAPS,
	PROV_S_WAIT_PUBKEY,
	PROV_S_WAIT_OUTPUT_VALUE, /* waiting for the user to enter what the device shows */
	PROV_S_WAIT_INPUT_COMPLETE,
	PROV_S_WAIT_CONFIRMATION,
	PROV_S_WAIT_RANDOM,
	PROV_S_WAIT_COMPLETE,
	PROV_S_DONE,
	PROV_S_FAILED,
};

struct crypto_ecdh;

struct prov {
	const struct prov_ops *ops;
	void *ctx;
	struct prov_params params;
	enum prov_state state;
	uint64_t deadline;
	struct crypto_ecdh *key;
	struct prov_conf_inputs conf_inputs;
	struct prov_caps caps;
	uint8_t algorithm;
	enum prov_auth_method method;
	uint8_t auth_action, auth_size;
	uint8_t my_pub[64];
	uint8_t dev_pub[64];
	uint8_t secret[32];
	uint8_t conf_salt[32];
	uint8_t conf_key[32];
	uint8_t auth_value[32]; /* AuthValue, except for the AliGenie random-bound variant */
	uint8_t my_random[32];
	uint8_t dev_conf[32];
	uint8_t my_conf[32];
	size_t rand_len;        /* 16 (CMAC) or 32 (HMAC) */
	uint16_t unicast;
	bool test_random;       /* my_random fixed by prov_test_fix() */
	/* the types of the PDUs sent, in order, and how many of them the
	 * bearer delivered (prov_delivered): what the device answers */
	uint8_t sent_types[8];
	unsigned nsent, ndelivered;
	struct prov_result result;
};

void prov_init(struct prov *p, const struct prov_params *params, const struct prov_ops *ops, void *ctx);
void prov_free(struct prov *p); /* erases keys */

/* Test hook: use this private key and random instead of fresh ones. */
int prov_test_fix(struct prov *p, const uint8_t priv[32], const uint8_t *random, size_t random_len);

/* The link is open: send Invite. */
void prov_start(struct prov *p, uint64_t now);

/* One provisioning PDU from the device. */
void prov_input(struct prov *p, uint64_t now, const uint8_t *pdu, size_t len);

/* The bearer delivered the oldest PDU sent and not yet delivered (PB-ADV:
 * its transaction was acknowledged; one the device's next PDU implies is
 * reported after that PDU). Only for messages: a Provisioning Failed names
 * the last PDU delivered as the one the device answers (the last one sent
 * when the caller never says). */
void prov_delivered(struct prov *p);

/* The type of the PDU the device answers now (see prov_delivered), or -1
 * before any was sent. */
int prov_answering(const struct prov *p);

/* Output OOB: the value the user read from the device (digits or text). 0, or
 * -EINVAL when it does not fit the announced action and size. */
int prov_set_auth_value(struct prov *p, uint64_t now, const char *value);

/* Stop a running session from outside (user cancel): reports failed with msg. */
void prov_cancel(struct prov *p, const char *msg);

uint64_t prov_next_deadline(const struct prov *p);
void prov_tick(struct prov *p, uint64_t now);

bool prov_done(const struct prov *p);

/* ---- shared derivations (both roles) ---- */

/* ConfirmationSalt (16 octets CMAC, 32 HMAC) and ConfirmationKey from the 145
 * octets of ConfirmationInputs (struct prov_conf_inputs), the ECDH secret and the AuthValue
 * (16 octets for CMAC, 32 for HMAC). */
int prov_confirmation_key(uint8_t alg, const uint8_t inputs[PROV_CONF_INPUTS_LEN],
			  const uint8_t secret[32], const uint8_t *auth_value, uint8_t *salt,
			  uint8_t *key);

/* Confirmation of random (16 CMAC / 32 HMAC octets); CMAC appends auth_value. */
int prov_confirmation(uint8_t alg, const uint8_t *key, const uint8_t *random,
		      const uint8_t *auth_value, uint8_t *out);

/* Session key, 13-octet session nonce and device key. */
int prov_session_keys(uint8_t alg, const uint8_t *conf_salt, const uint8_t *rand_prov,
		      const uint8_t *rand_dev, const uint8_t secret[32], uint8_t session_key[16],
		      uint8_t nonce[13], uint8_t device_key[16]);

/* AuthValue from an OOB value: numeric (right-aligned big-endian) or
 * alphanumeric (ASCII, left-aligned), zero padded to len (16 or 32). */
int prov_oob_auth_value(bool alphanumeric, const char *value, size_t len, uint8_t *out);

/* A random OOB value of size characters (1-8): digits, or [0-9A-Z] when
 * alphanumeric; count: a number of at least 1 (pushes, blinks...). */
int prov_random_oob_value(bool alphanumeric, bool count, uint8_t size, char *out, size_t outlen);

const char *prov_error_str(uint8_t code);
/* "BTM_ECDH_P256_CMAC_AES128_AES_CCM" / "BTM_ECDH_P256_HMAC_SHA256_AES_CCM" */
const char *prov_algorithm_name(uint8_t alg);
/* "no-oob", "static-oob", "output-oob", "input-oob" */
const char *prov_auth_name(enum prov_auth_method m);

#endif
