#include "prov_device.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "crypto.h"
#include "util.h"

/* An OOB value for an action: text of 0-9 A-Z (alphanumeric) or digits, 1..size characters. */
static bool oob_value_fits(bool alpha, const char *v, uint8_t size)
{
	size_t n = strlen(v);

	if (n == 0 || n > size || n > 8)
		return false;
	for (size_t i = 0; i < n; i++) {
		bool digit = v[i] >= '0' && v[i] <= '9';

		if (!digit && !(alpha && v[i] >= 'A' && v[i] <= 'Z'))
			return false;
	}
	return true;
}

int prov_device_init(struct prov_device *d, const struct prov_device_params *params,
		     const struct prov_device_ops *ops, void *ctx)
{
	const struct prov_auth *a = &params->static_oob;
	struct prov_caps check;
	uint8_t caps[PROV_CAPS_LEN];
	size_t n;

	memset(d, 0, sizeof(*d));
	d->deadline = NO_DEADLINE;
	if (!ops || !ops->send || !ops->complete || !ops->failed)
		return -EINVAL;
	prov_pdu_build_caps(&params->caps, caps);
	if (prov_pdu_parse_caps(caps, sizeof(caps), &check) != 0)
		return -EINVAL;
	switch (a->kind) {
	case PROV_USE_NO_OOB:
		if (params->caps.static_oob & 0x01)
			return -EINVAL;
		break;
	case PROV_USE_STATIC:
		if (a->static_len != 16 && a->static_len != 32)
			return -EINVAL;
		break;
	case PROV_USE_ALIGENIE:
		if (a->secret_len < 1 || a->secret_len > 64)
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	n = strnlen(params->output_value, sizeof(params->output_value));
	if (n == sizeof(params->output_value) || (n && !oob_value_fits(true, params->output_value, 8)))
		return -EINVAL;
	d->params = *params;
	d->ops = ops;
	d->ctx = ctx;
	return 0;
}

void prov_device_free(struct prov_device *d)
{
	if (d->key)
		crypto_ecdh_free(d->key);
	OPENSSL_cleanse(d, sizeof(*d));
	d->deadline = NO_DEADLINE;
}

int prov_device_test_fix(struct prov_device *d, const uint8_t priv[32], const uint8_t *random,
			 size_t random_len)
{
	int err;

	if (random_len != 16 && random_len != 32)
		return -EINVAL;
	if (d->key)
		crypto_ecdh_free(d->key);
	d->key = NULL;
	err = crypto_ecdh_from_private(priv, &d->key);
	if (err)
		return err;
	memcpy(d->my_random, random, random_len);
	d->test_random = true;
	d->test_random_len = random_len;
	return 0;
}

int prov_device_public_key(struct prov_device *d, uint8_t pub[64])
{
	int err;

	if (!d->key) {
		err = crypto_ecdh_generate(&d->key);
		if (err)
			return err;
	}
	return crypto_ecdh_public(d->key, pub);
}

bool prov_device_done(const struct prov_device *d)
{
	return d->state == PROV_DEV_S_DONE || d->state == PROV_DEV_S_FAILED;
}

static void send_pdu(struct prov_device *d, uint8_t type, const uint8_t *params, size_t len)
{
	uint8_t pdu[PROV_MAX_PDU];

	pdu[0] = type;
	if (len)
		memcpy(pdu + 1, params, len);
	d->ops->send(d->ctx, pdu, len + 1);
}

static void erase_secrets(struct prov_device *d)
{
	OPENSSL_cleanse(d->secret, sizeof(d->secret));
	OPENSSL_cleanse(d->auth_value, sizeof(d->auth_value));
	OPENSSL_cleanse(d->conf_key, sizeof(d->conf_key));
	OPENSSL_cleanse(d->session_key, sizeof(d->session_key));
	OPENSSL_cleanse(d->nonce, sizeof(d->nonce));
}

/* Stop; error != 0: tell the provisioner with Provisioning Failed. */
static void fail(struct prov_device *d, uint8_t error, bool timeout, const char *msg)
{
	if (prov_device_done(d))
		return;
	d->state = PROV_DEV_S_FAILED;
	d->deadline = NO_DEADLINE;
	erase_secrets(d);
	if (error)
		send_pdu(d, PROV_FAILED, &error, 1);
	d->ops->failed(d->ctx, error, timeout, msg);
}

void prov_device_cancel(struct prov_device *d, const char *msg)
{
	fail(d, 0, false, msg);
}

void prov_device_start(struct prov_device *d, uint64_t now)
{
	if (d->state != PROV_DEV_S_IDLE)
		return;
	d->state = PROV_DEV_S_WAIT_INVITE;
	d->deadline = now + PROV_TIMEOUT_MS;
}

/* The AuthValue for one random: only the AliGenie random-bound variant depends on it. */
static int auth_value_for(const struct prov_device *d, const uint8_t *random, uint8_t out[32])
{
	const struct prov_auth *a = &d->params.static_oob;

	if (d->method == PROV_AUTH_STATIC && a->kind == PROV_USE_ALIGENIE && a->random_bound) {
		memset(out, 0, 32);
		return crypto_aligenie_auth_value(a->product_id, a->mac, a->secret, a->secret_len, random, out);
	}
	memcpy(out, d->auth_value, 32);
	return 0;
}

static void handle_invite(struct prov_device *d, const uint8_t *params)
{
	uint8_t caps[PROV_CAPS_LEN];

	d->conf_inputs.invite[0] = params[0];
	prov_pdu_build_caps(&d->params.caps, caps);
	memcpy(d->conf_inputs.capabilities, caps, sizeof(caps));
	if (d->ops->attention)
		d->ops->attention(d->ctx, params[0]);
	send_pdu(d, PROV_CAPABILITIES, caps, sizeof(caps));
	d->state = PROV_DEV_S_WAIT_START;
}

/* NULL when this device can honour Start, else why not. */
static const char *check_start(struct prov_device *d, const uint8_t *s)
{
	const struct prov_caps *c = &d->params.caps;
	const struct prov_auth *a = &d->params.static_oob;
	uint8_t alg = s[0], pubkey = s[1], method = s[2], action = s[3], size = s[4];

	if ((alg != PROV_ALG_CMAC && alg != PROV_ALG_HMAC) || !(c->algorithms & (1u << alg)))
		return "Start selects an algorithm we do not offer";
	if (pubkey > 1 || (pubkey == 1 && !(c->pubkey_type & 0x01)))
		return "Start selects a public key type we do not offer";
	switch (method) {
	case PROV_AUTH_NO_OOB:
		if (action || size)
			return "Start: No OOB with a non-zero action or size";
		if (c->static_oob & 0x02)
			return "Start selects No OOB, but we accept only OOB authentication";
		break;
	case PROV_AUTH_STATIC:
		if (action || size)
			return "Start: Static OOB with a non-zero action or size";
		if (!(c->static_oob & 0x01))
			return "Start selects Static OOB, which we do not offer";
		if (alg == PROV_ALG_CMAC && a->kind == PROV_USE_STATIC && a->static_len != 16)
			return "Start selects CMAC, but our static OOB value has 32 octets";
		if (alg == PROV_ALG_HMAC && a->kind == PROV_USE_ALIGENIE && a->random_bound)
			return "Start selects HMAC-SHA256, but our random-bound AuthValue needs CMAC";
		break;
	case PROV_AUTH_OUTPUT:
		if (action > PROV_OUT_ALPHA || !(c->output_actions & (1u << action)))
			return "Start selects an output OOB action we do not offer";
		if (size < 1 || size > c->output_size)
			return "Start selects an output OOB size we do not offer";
		if (d->params.output_value[0] &&
		    !oob_value_fits(action == PROV_OUT_ALPHA, d->params.output_value, size))
			return "our configured output value does not fit the action and size of Start";
		break;
	case PROV_AUTH_INPUT:
		if (action > PROV_IN_ALPHA || !(c->input_actions & (1u << action)))
			return "Start selects an input OOB action we do not offer";
		if (size < 1 || size > c->input_size)
			return "Start selects an input OOB size we do not offer";
		break;
	default:
		return "Start selects an unknown authentication method";
	}
	return NULL;
}

static void handle_start(struct prov_device *d, const uint8_t *s)
{
	const struct prov_auth *a = &d->params.static_oob;
	const char *why = check_start(d, s);

	if (why) {
		fail(d, PROV_ERR_INVALID_FORMAT, false, why);
		return;
	}
	d->algorithm = s[0];
	d->oob_pubkey = s[1] == 1;
	d->method = (enum prov_auth_method)s[2];
	d->auth_action = s[3];
	d->auth_size = s[4];
	d->rand_len = d->algorithm == PROV_ALG_HMAC ? 32 : 16;
	memcpy(d->conf_inputs.start, s, sizeof(d->conf_inputs.start));

	if (prov_device_public_key(d, d->my_pub) != 0) {
		fail(d, PROV_ERR_UNEXPECTED_ERROR, false, "cannot generate an ECDH key pair");
		return;
	}
	if (d->test_random) {
		if (d->test_random_len < d->rand_len) {
			fail(d, PROV_ERR_UNEXPECTED_ERROR, false, "the fixed test random is too short");
			return;
		}
	} else if (crypto_random(d->my_random, d->rand_len) != 0) {
		fail(d, PROV_ERR_UNEXPECTED_ERROR, false, "no random numbers");
		return;
	}
	memset(d->auth_value, 0, sizeof(d->auth_value));
	if (d->method == PROV_AUTH_STATIC) {
		if (a->kind == PROV_USE_STATIC) {
			memcpy(d->auth_value, a->static_value, a->static_len);
		} else if (!a->random_bound &&
			   crypto_aligenie_auth_value(a->product_id, a->mac, a->secret, a->secret_len, NULL,
						      d->auth_value) != 0) {
			fail(d, PROV_ERR_UNEXPECTED_ERROR, false, "AliGenie AuthValue computation failed");
			return;
		}
	}
	d->state = PROV_DEV_S_WAIT_PUBKEY;
}

/* Output OOB: the value to show, fitting the action and size. */
static int make_output_value(const struct prov_device *d, char *out, size_t outlen)
{
	if (d->params.output_value[0]) {
		snprintf(out, outlen, "%s", d->params.output_value);
		return 0;
	}
	return prov_random_oob_value(d->auth_action == PROV_OUT_ALPHA,
				     d->auth_action != PROV_OUT_NUMERIC, d->auth_size, out, outlen);
}

static void handle_pubkey(struct prov_device *d, const uint8_t *pub)
{
	memcpy(d->prov_pub, pub, 64);
	if (!memcmp(pub, d->my_pub, 64)) {
		fail(d, PROV_ERR_UNEXPECTED_ERROR, false, "provisioner public key equals ours: rejected");
		return;
	}
	if (crypto_ecdh_check_public(pub) != 0 || crypto_ecdh_shared(d->key, pub, d->secret) != 0) {
		fail(d, PROV_ERR_UNEXPECTED_ERROR, false, "provisioner public key is not a valid P-256 point");
		return;
	}
	memcpy(d->conf_inputs.provisioner_key, pub, 64);
	memcpy(d->conf_inputs.device_key, d->my_pub, 64);
	if (!d->oob_pubkey)
		send_pdu(d, PROV_PUBLIC_KEY, d->my_pub, 64);
	switch (d->method) {
	case PROV_AUTH_OUTPUT: {
		char value[9];

		if (make_output_value(d, value, sizeof(value)) != 0 ||
		    prov_oob_auth_value(d->auth_action == PROV_OUT_ALPHA, value, d->rand_len, d->auth_value) != 0) {
			OPENSSL_cleanse(value, sizeof(value));
			fail(d, PROV_ERR_UNEXPECTED_ERROR, false, "output OOB value computation failed");
			return;
		}
		d->state = PROV_DEV_S_WAIT_CONFIRMATION;
		if (d->ops->output)
			d->ops->output(d->ctx, d->auth_action, value);
		OPENSSL_cleanse(value, sizeof(value));
		break;
	}
	case PROV_AUTH_INPUT:
		d->state = PROV_DEV_S_WAIT_INPUT;
		if (d->ops->input_request)
			d->ops->input_request(d->ctx, d->auth_action, d->auth_size);
		break;
	default:
		d->state = PROV_DEV_S_WAIT_CONFIRMATION;
		break;
	}
}

int prov_device_input(struct prov_device *d, uint64_t now, const char *value)
{
	if (d->state != PROV_DEV_S_WAIT_INPUT)
		return -EBUSY;
	if (!value || !oob_value_fits(d->auth_action == PROV_IN_ALPHA, value, d->auth_size) ||
	    prov_oob_auth_value(d->auth_action == PROV_IN_ALPHA, value, d->rand_len, d->auth_value) != 0)
		return -EINVAL;
	d->deadline = now + PROV_TIMEOUT_MS;
	d->state = PROV_DEV_S_WAIT_CONFIRMATION;
	send_pdu(d, PROV_INPUT_COMPLETE, NULL, 0);
	return 0;
}

/* The provisioner's Confirmation: answer with ours. */
static void handle_confirmation(struct prov_device *d, const uint8_t *conf)
{
	uint8_t auth[32];
	int err;

	memcpy(d->prov_conf, conf, d->rand_len);
	err = auth_value_for(d, d->my_random, auth);
	if (!err)
		err = prov_confirmation_key(d->algorithm, (const uint8_t *)&d->conf_inputs, d->secret,
					    auth, d->conf_salt, d->conf_key);
	if (!err)
		err = prov_confirmation(d->algorithm, d->conf_key, d->my_random, auth, d->my_conf);
	OPENSSL_cleanse(auth, sizeof(auth));
	if (err) {
		fail(d, PROV_ERR_UNEXPECTED_ERROR, false, "confirmation computation failed");
		return;
	}
	if (!memcmp(d->my_conf, conf, d->rand_len)) {
		fail(d, PROV_ERR_CONFIRMATION_FAILED, false, "provisioner confirmation equals ours: rejected");
		return;
	}
	send_pdu(d, PROV_CONFIRMATION, d->my_conf, d->rand_len);
	d->state = PROV_DEV_S_WAIT_RANDOM;
}

/* The provisioner's Random: check its Confirmation, answer with our Random. */
static void handle_random(struct prov_device *d, const uint8_t *rand_prov)
{
	uint8_t auth[32], expect[32];
	int err;

	if (!memcmp(rand_prov, d->my_random, d->rand_len)) {
		fail(d, PROV_ERR_CONFIRMATION_FAILED, false, "provisioner random equals ours: rejected");
		return;
	}
	err = auth_value_for(d, rand_prov, auth);
	if (!err)
		err = prov_confirmation(d->algorithm, d->conf_key, rand_prov, auth, expect);
	OPENSSL_cleanse(auth, sizeof(auth));
	if (err) {
		fail(d, PROV_ERR_UNEXPECTED_ERROR, false, "confirmation computation failed");
		return;
	}
	if (CRYPTO_memcmp(expect, d->prov_conf, d->rand_len) != 0) {
		fail(d, PROV_ERR_CONFIRMATION_FAILED, false,
		     "provisioner confirmation does not verify: wrong AuthValue");
		return;
	}
	if (prov_session_keys(d->algorithm, d->conf_salt, rand_prov, d->my_random, d->secret, d->session_key,
			      d->nonce, d->result.device_key) != 0) {
		fail(d, PROV_ERR_UNEXPECTED_ERROR, false, "session key derivation failed");
		return;
	}
	send_pdu(d, PROV_RANDOM, d->my_random, d->rand_len);
	d->state = PROV_DEV_S_WAIT_DATA;
}

static void handle_data(struct prov_device *d, const uint8_t *enc)
{
	struct prov_device_result *r = &d->result;
	uint8_t data[25];
	unsigned last;
	int err;

	err = crypto_aes_ccm_decrypt(d->session_key, d->nonce, NULL, 0, enc, 25, enc + 25, 8, data);
	if (err) {
		fail(d, err == -EBADMSG ? PROV_ERR_DECRYPTION_FAILED : PROV_ERR_UNEXPECTED_ERROR, false,
		     err == -EBADMSG ? "provisioning data does not authenticate (MIC)"
				     : "provisioning data decryption failed");
		return;
	}
	memcpy(r->net_key, data, 16);
	r->net_key_index = get_be16(data + 16);
	r->flags = data[18];
	r->iv_index = get_be32(data + 19);
	r->unicast = get_be16(data + 23);
	OPENSSL_cleanse(data, sizeof(data));
	last = (unsigned)r->unicast + d->params.caps.elements - 1;
	if (r->net_key_index > 0x0fff || r->unicast == 0 || last > 0x7fff) {
		OPENSSL_cleanse(r->net_key, sizeof(r->net_key));
		fail(d, PROV_ERR_INVALID_DATA, false,
		     "provisioning data: key index or unicast address out of range");
		return;
	}
	r->algorithm = d->algorithm;
	r->auth = d->method;
	erase_secrets(d);
	send_pdu(d, PROV_COMPLETE, NULL, 0);
	d->state = PROV_DEV_S_DONE;
	d->deadline = NO_DEADLINE;
	d->ops->complete(d->ctx, r);
}

/* The PDU types the state expects (a set of PROV_PDU_BIT). */
static unsigned expected_types(const struct prov_device *d)
{
	switch (d->state) {
	case PROV_DEV_S_WAIT_INVITE: return PROV_PDU_BIT(PROV_INVITE);
	case PROV_DEV_S_WAIT_START: return PROV_PDU_BIT(PROV_START);
	case PROV_DEV_S_WAIT_PUBKEY: return PROV_PDU_BIT(PROV_PUBLIC_KEY);
	case PROV_DEV_S_WAIT_CONFIRMATION: return PROV_PDU_BIT(PROV_CONFIRMATION);
	case PROV_DEV_S_WAIT_RANDOM: return PROV_PDU_BIT(PROV_RANDOM);
	case PROV_DEV_S_WAIT_DATA: return PROV_PDU_BIT(PROV_DATA);
	default: return 0;
	}
}

void prov_device_receive(struct prov_device *d, uint64_t now, const uint8_t *pdu, size_t len)
{
	char msg[128];
	int err;

	if (prov_device_done(d) || d->state == PROV_DEV_S_IDLE)
		return;
	err = prov_pdu_check(pdu, len, expected_types(d), d->rand_len, "provisioner", msg, sizeof(msg));
	if (err) {
		fail(d, (uint8_t)err, false, msg);
		return;
	}
	d->deadline = now + PROV_TIMEOUT_MS;
	switch (pdu[0]) {
	case PROV_INVITE: handle_invite(d, pdu + 1); break;
	case PROV_START: handle_start(d, pdu + 1); break;
	case PROV_PUBLIC_KEY: handle_pubkey(d, pdu + 1); break;
	case PROV_CONFIRMATION: handle_confirmation(d, pdu + 1); break;
	case PROV_RANDOM: handle_random(d, pdu + 1); break;
	case PROV_DATA: handle_data(d, pdu + 1); break;
	default: break;
	}
}

uint64_t prov_device_next_deadline(const struct prov_device *d)
{
	return prov_device_done(d) ? NO_DEADLINE : d->deadline;
}

void prov_device_tick(struct prov_device *d, uint64_t now)
{
	if (prov_device_done(d) || now < d->deadline)
		return;
	fail(d, 0, true, "provisioner stopped answering (provisioning timeout)");
}
