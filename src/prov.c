#include "prov.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "crypto.h"
#include "util.h"

const char *prov_error_str(uint8_t code)
{
	switch (code) {
	case PROV_ERR_INVALID_PDU: return "Invalid PDU";
	case PROV_ERR_INVALID_FORMAT: return "Invalid Format";
	case PROV_ERR_UNEXPECTED_PDU: return "Unexpected PDU";
	case PROV_ERR_CONFIRMATION_FAILED: return "Confirmation Failed";
	case PROV_ERR_OUT_OF_RESOURCES: return "Out of Resources";
	case PROV_ERR_DECRYPTION_FAILED: return "Decryption Failed";
	case PROV_ERR_UNEXPECTED_ERROR: return "Unexpected Error";
	case PROV_ERR_CANNOT_ASSIGN_ADDRESSES: return "Cannot Assign Addresses";
	case PROV_ERR_INVALID_DATA: return "Invalid Data";
	default: return "unknown error";
	}
}

const char *prov_algorithm_name(uint8_t alg)
{
	return alg == PROV_ALG_HMAC ? "BTM_ECDH_P256_HMAC_SHA256_AES_CCM"
				    : "BTM_ECDH_P256_CMAC_AES128_AES_CCM";
}

const char *prov_auth_name(enum prov_auth_method m)
{
	switch (m) {
	case PROV_AUTH_STATIC: return "static-oob";
	case PROV_AUTH_OUTPUT: return "output-oob";
	case PROV_AUTH_INPUT: return "input-oob";
	default: return "no-oob";
	}
}

/* ---- shared derivations ---- */

int prov_confirmation_key(uint8_t alg, const uint8_t inputs[PROV_CONF_INPUTS_LEN],
			  const uint8_t secret[32], const uint8_t *auth_value, uint8_t *salt,
			  uint8_t *key)
{
	int err;

	if (alg == PROV_ALG_CMAC) {
		err = crypto_s1(inputs, PROV_CONF_INPUTS_LEN, salt);
		if (!err)
			err = crypto_k1(secret, 32, salt, (const uint8_t *)"prck", 4, key);
		return err;
	}
	if (alg == PROV_ALG_HMAC) {
		uint8_t n[64];

		err = crypto_s2(inputs, PROV_CONF_INPUTS_LEN, salt);
		memcpy(n, secret, 32);
		memcpy(n + 32, auth_value, 32);
		if (!err)
			err = crypto_k5(n, sizeof(n), salt, (const uint8_t *)"prck256", 7, key);
		OPENSSL_cleanse(n, sizeof(n));
		return err;
	}
	return -EINVAL;
}

int prov_confirmation(uint8_t alg, const uint8_t *key, const uint8_t *random,
		      const uint8_t *auth_value, uint8_t *out)
{
	if (alg == PROV_ALG_CMAC) {
		uint8_t m[32];
		int err;

		memcpy(m, random, 16);
		memcpy(m + 16, auth_value, 16);
		err = crypto_aes_cmac(key, m, sizeof(m), out);
		OPENSSL_cleanse(m, sizeof(m));
		return err;
	}
	if (alg == PROV_ALG_HMAC)
		return crypto_hmac_sha256(key, 32, random, 32, out);
	return -EINVAL;
}

int prov_session_keys(uint8_t alg, const uint8_t *conf_salt, const uint8_t *rand_prov,
		      const uint8_t *rand_dev, const uint8_t secret[32], uint8_t session_key[16],
		      uint8_t nonce[13], uint8_t device_key[16])
{
	size_t l = alg == PROV_ALG_HMAC ? 32 : 16;
	uint8_t inputs[96], salt[16], n16[16];
	int err;

	memcpy(inputs, conf_salt, l);
	memcpy(inputs + l, rand_prov, l);
	memcpy(inputs + 2 * l, rand_dev, l);
	err = crypto_s1(inputs, 3 * l, salt);
	if (!err)
		err = crypto_k1(secret, 32, salt, (const uint8_t *)"prsk", 4, session_key);
	if (!err)
		err = crypto_k1(secret, 32, salt, (const uint8_t *)"prsn", 4, n16);
	if (!err)
		err = crypto_k1(secret, 32, salt, (const uint8_t *)"prdk", 4, device_key);
	memcpy(nonce, n16 + 3, 13);
	OPENSSL_cleanse(n16, sizeof(n16));
	return err;
}

int prov_oob_auth_value(bool alphanumeric, const char *value, size_t len, uint8_t *out)
{
	size_t n = strlen(value);

	if (len != 16 && len != 32)
		return -EINVAL;
	memset(out, 0, len);
	if (n == 0 || n > 8)
		return -EINVAL;
	if (alphanumeric) {
		for (size_t i = 0; i < n; i++)
			if (!((value[i] >= '0' && value[i] <= '9') || (value[i] >= 'A' && value[i] <= 'Z')))
				return -EINVAL;
		memcpy(out, value, n);
		return 0;
	}
	{
		uint32_t v = 0;

		for (size_t i = 0; i < n; i++) {
			if (value[i] < '0' || value[i] > '9')
				return -EINVAL;
			v = v * 10 + (uint32_t)(value[i] - '0');
		}
		put_be32(out + len - 4, v);
	}
	return 0;
}

int prov_random_oob_value(bool alphanumeric, bool count, uint8_t size, char *out, size_t outlen)
{
	static const char alnum[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
	uint8_t rnd[8];

	if (size < 1 || size > 8 || outlen < (size_t)size + 1)
		return -EINVAL;
	if (crypto_random(rnd, sizeof(rnd)) != 0)
		return -EIO;
	if (alphanumeric) {
		for (size_t i = 0; i < size; i++)
			out[i] = alnum[rnd[i] % 36];
		out[size] = '\0';
	} else {
		uint32_t max = 1, v;

		for (size_t i = 0; i < size; i++)
			max *= 10;
		v = get_be32(rnd) % max;
		if (count) /* pushes, blinks...: at least one */
			v = v % (max - 1) + 1;
		snprintf(out, outlen, "%u", (unsigned)v);
	}
	OPENSSL_cleanse(rnd, sizeof(rnd));
	return 0;
}

/* ---- provisioner role ---- */

void prov_init(struct prov *p, const struct prov_params *params, const struct prov_ops *ops, void *ctx)
{
	memset(p, 0, sizeof(*p));
	p->params = *params;
	p->ops = ops;
	p->ctx = ctx;
	p->deadline = NO_DEADLINE;
}

void prov_free(struct prov *p)
{
	if (p->key)
		crypto_ecdh_free(p->key);
	OPENSSL_cleanse(p, sizeof(*p));
	p->deadline = NO_DEADLINE;
}

int prov_test_fix(struct prov *p, const uint8_t priv[32], const uint8_t *random, size_t random_len)
{
	int err;

	if (random_len != 16 && random_len != 32)
		return -EINVAL;
	if (p->key)
		crypto_ecdh_free(p->key);
	p->key = NULL;
	err = crypto_ecdh_from_private(priv, &p->key);
	if (err)
		return err;
	memcpy(p->my_random, random, random_len);
	p->test_random = true;
	return 0;
}

bool prov_done(const struct prov *p)
{
	return p->state == PROV_S_DONE || p->state == PROV_S_FAILED;
}

static void fail(struct prov *p, uint8_t error, bool by_device, bool timeout, const char *msg)
{
	char why[64];

	if (prov_done(p))
		return;
	if (!msg || !msg[0]) {
		/* every failure says something */
		if (error)
			snprintf(why, sizeof(why), "provisioning failed (%s, 0x%02x)",
				 prov_error_str(error), error);
		else
			snprintf(why, sizeof(why), "provisioning stopped");
		msg = why;
	}
	p->state = PROV_S_FAILED;
	p->deadline = NO_DEADLINE;
	OPENSSL_cleanse(p->secret, sizeof(p->secret));
	OPENSSL_cleanse(p->auth_value, sizeof(p->auth_value));
	p->ops->failed(p->ctx, error, by_device, timeout, msg);
}

void prov_cancel(struct prov *p, const char *msg)
{
	fail(p, 0, false, false, msg);
}

static void send_pdu(struct prov *p, uint8_t type, const uint8_t *params, size_t len)
{
	uint8_t pdu[PROV_MAX_PDU];

	pdu[0] = type;
	memcpy(pdu + 1, params, len);
	if (p->nsent < ARRAY_SIZE(p->sent_types))
		p->sent_types[p->nsent++] = type;
	p->ops->send(p->ctx, pdu, len + 1);
}

void prov_delivered(struct prov *p)
{
	if (p->ndelivered < p->nsent)
		p->ndelivered++;
}

int prov_answering(const struct prov *p)
{
	if (p->ndelivered)
		return p->sent_types[p->ndelivered - 1];
	return p->nsent ? p->sent_types[p->nsent - 1] : -1;
}

void prov_start(struct prov *p, uint64_t now)
{
	uint8_t attention = p->params.attention;

	p->conf_inputs.invite[0] = attention;
	p->state = PROV_S_WAIT_CAPS;
	p->deadline = now + PROV_TIMEOUT_MS;
	send_pdu(p, PROV_INVITE, &attention, 1);
	if (p->ops->progress)
		p->ops->progress(p->ctx, PROV_STEP_INVITE);
}

/* The AuthValue for a given random: only the AliGenie random-bound variant depends on it. */
static int auth_value_for(struct prov *p, const uint8_t *random, uint8_t *out)
{
	const struct prov_auth *a = &p->params.auth;

	if (a->kind == PROV_USE_ALIGENIE && a->random_bound) {
		memset(out, 0, 32);
		return crypto_aligenie_auth_value(a->product_id, a->mac, a->secret, a->secret_len,
						  random, out);
	}
	memcpy(out, p->auth_value, 32);
	return 0;
}

/* Choose the algorithm, public key type and authentication from the
 * capabilities and the user's options. Returns NULL, or why it cannot. */
static const char *choose_start(struct prov *p)
{
	const struct prov_caps *c = &p->caps;
	const struct prov_auth *a = &p->params.auth;
	bool cmac = c->algorithms & (1u << PROV_ALG_CMAC);
	bool hmac = c->algorithms & (1u << PROV_ALG_HMAC);

	if (!cmac && !hmac)
		return "device supports no provisioning algorithm we know";
	p->auth_action = 0;
	p->auth_size = 0;
	switch (a->kind) {
	case PROV_USE_NO_OOB:
		p->method = PROV_AUTH_NO_OOB;
		break;
	case PROV_USE_STATIC:
	case PROV_USE_ALIGENIE:
		if (!(c->static_oob & 0x01))
			return "device does not offer static OOB authentication";
		p->method = PROV_AUTH_STATIC;
		break;
	case PROV_USE_OUTPUT:
		if (c->output_actions & (1u << PROV_OUT_NUMERIC))
			p->auth_action = PROV_OUT_NUMERIC;
		else if (c->output_actions & (1u << PROV_OUT_ALPHA))
			p->auth_action = PROV_OUT_ALPHA;
		else if (c->output_actions & 0x07) /* blink, beep, vibrate: the user counts */
			p->auth_action = (uint8_t)__builtin_ctz(c->output_actions & 0x07);
		else
			return "device does not offer output OOB authentication";
		p->method = PROV_AUTH_OUTPUT;
		p->auth_size = c->output_size;
		break;
	case PROV_USE_INPUT:
		if (c->input_actions & (1u << PROV_IN_NUMERIC))
			p->auth_action = PROV_IN_NUMERIC;
		else if (c->input_actions & (1u << PROV_IN_ALPHA))
			p->auth_action = PROV_IN_ALPHA;
		else if (c->input_actions & 0x03) /* push, twist */
			p->auth_action = (uint8_t)__builtin_ctz(c->input_actions & 0x03);
		else
			return "device does not offer input OOB authentication";
		p->method = PROV_AUTH_INPUT;
		p->auth_size = c->input_size;
		break;
	}
	/* HMAC-SHA256 when the device offers it and a 32-octet AuthValue is at hand;
	 * otherwise CMAC; HMAC alone with a padded AuthValue as the last resort. */
	if (hmac && p->method == PROV_AUTH_STATIC && a->kind == PROV_USE_STATIC && a->static_len == 32)
		p->algorithm = PROV_ALG_HMAC;
	else if (cmac)
		p->algorithm = PROV_ALG_CMAC;
	else if (p->method == PROV_AUTH_STATIC)
		return "device offers only HMAC-SHA256, which needs a 32-octet static OOB value";
	else
		p->algorithm = PROV_ALG_HMAC;
	if (p->algorithm == PROV_ALG_CMAC && a->kind == PROV_USE_STATIC && a->static_len != 16)
		return "a 32-octet static OOB value needs a device that offers HMAC-SHA256";
	if (p->params.has_device_pubkey && !(c->pubkey_type & 0x01))
		return "device does not offer an OOB public key";
	p->rand_len = p->algorithm == PROV_ALG_HMAC ? 32 : 16;
	return NULL;
}

static int prepare_auth_value(struct prov *p)
{
	const struct prov_auth *a = &p->params.auth;

	memset(p->auth_value, 0, sizeof(p->auth_value));
	if (a->kind == PROV_USE_STATIC) {
		memcpy(p->auth_value, a->static_value, a->static_len);
		return 0;
	}
	if (a->kind == PROV_USE_ALIGENIE && !a->random_bound)
		return crypto_aligenie_auth_value(a->product_id, a->mac, a->secret, a->secret_len, NULL,
						  p->auth_value);
	return 0;
}

static void handle_caps(struct prov *p, const uint8_t *c, size_t len)
{
	uint8_t start[5];
	const char *why;

	if (prov_pdu_parse_caps(c, len, &p->caps) != 0) {
		fail(p, PROV_ERR_INVALID_FORMAT, false, false, "device sent invalid capabilities");
		return;
	}
	memcpy(p->conf_inputs.capabilities, c, sizeof(p->conf_inputs.capabilities));
	why = choose_start(p);
	if (why) {
		fail(p, 0, false, false, why);
		return;
	}
	if (p->ops->progress)
		p->ops->progress(p->ctx, PROV_STEP_CAPABILITIES);

	if (!p->key && crypto_ecdh_generate(&p->key) != 0) {
		fail(p, 0, false, false, "cannot generate an ECDH key pair");
		return;
	}
	if (crypto_ecdh_public(p->key, p->my_pub) != 0 || prepare_auth_value(p) != 0) {
		fail(p, 0, false, false, "key generation failed");
		return;
	}
	if (!p->test_random && crypto_random(p->my_random, p->rand_len) != 0) {
		fail(p, 0, false, false, "no random numbers");
		return;
	}
	start[0] = p->algorithm;
	start[1] = p->params.has_device_pubkey ? 0x01 : 0x00;
	start[2] = (uint8_t)p->method;
	start[3] = p->auth_action;
	start[4] = p->auth_size;
	memcpy(p->conf_inputs.start, start, sizeof(start));
	memcpy(p->conf_inputs.provisioner_key, p->my_pub, 64);
	send_pdu(p, PROV_START, start, 5);
	send_pdu(p, PROV_PUBLIC_KEY, p->my_pub, 64);
	p->state = PROV_S_WAIT_PUBKEY;
}

static void send_confirmation(struct prov *p)
{
	uint8_t auth[32];

	if (auth_value_for(p, p->my_random, auth) != 0 ||
	    prov_confirmation_key(p->algorithm, (const uint8_t *)&p->conf_inputs, p->secret, auth,
				  p->conf_salt, p->conf_key) != 0 ||
	    prov_confirmation(p->algorithm, p->conf_key, p->my_random, auth, p->my_conf) != 0) {
		OPENSSL_cleanse(auth, sizeof(auth));
		fail(p, 0, false, false, "confirmation computation failed");
		return;
	}
	OPENSSL_cleanse(auth, sizeof(auth));
	send_pdu(p, PROV_CONFIRMATION, p->my_conf, p->rand_len);
	p->state = PROV_S_WAIT_CONFIRMATION;
	if (p->ops->progress)
		p->ops->progress(p->ctx, PROV_STEP_AUTH);
}

/* Both public keys are known: compute the secret and go on to authentication. */
static void keys_exchanged(struct prov *p)
{
	if (!memcmp(p->dev_pub, p->my_pub, 64)) {
		fail(p, PROV_ERR_UNEXPECTED_ERROR, false, false,
		     "device public key equals ours: rejected");
		return;
	}
	if (crypto_ecdh_check_public(p->dev_pub) != 0 ||
	    crypto_ecdh_shared(p->key, p->dev_pub, p->secret) != 0) {
		fail(p, PROV_ERR_UNEXPECTED_ERROR, false, false,
		     "device public key is not a valid P-256 point");
		return;
	}
	memcpy(p->conf_inputs.device_key, p->dev_pub, 64);
	if (p->ops->progress)
		p->ops->progress(p->ctx, PROV_STEP_KEY_EXCHANGE);
	switch (p->method) {
	case PROV_AUTH_OUTPUT:
		p->state = PROV_S_WAIT_OUTPUT_VALUE;
		if (p->ops->auth_request)
			p->ops->auth_request(p->ctx, PROV_AUTH_OUTPUT, p->auth_action, p->auth_size, NULL);
		break;
	case PROV_AUTH_INPUT: {
		char value[16];

		if (prov_random_oob_value(p->auth_action == PROV_IN_ALPHA,
					  p->auth_action != PROV_IN_NUMERIC, p->auth_size, value,
					  sizeof(value)) != 0 ||
		    prov_oob_auth_value(p->auth_action == PROV_IN_ALPHA, value, p->rand_len,
					p->auth_value) != 0) {
			fail(p, 0, false, false, "cannot make an input OOB value");
			return;
		}
		p->state = PROV_S_WAIT_INPUT_COMPLETE;
		if (p->ops->auth_request)
			p->ops->auth_request(p->ctx, PROV_AUTH_INPUT, p->auth_action, p->auth_size, value);
		OPENSSL_cleanse(value, sizeof(value));
		break;
	}
	default:
		send_confirmation(p);
		break;
	}
}

int prov_set_auth_value(struct prov *p, uint64_t now, const char *value)
{
	if (p->state != PROV_S_WAIT_OUTPUT_VALUE)
		return -EINVAL;
	if (strlen(value) > p->auth_size ||
	    prov_oob_auth_value(p->auth_action == PROV_OUT_ALPHA, value, p->rand_len,
				p->auth_value) != 0)
		return -EINVAL;
	p->deadline = now + PROV_TIMEOUT_MS;
	send_confirmation(p);
	return 0;
}

/* What the device is given (the device key is derived into result already). */
static void fill_result(struct prov *p)
{
	p->result.unicast = p->unicast;
	p->result.elements = p->caps.elements;
	p->result.net_key_index = p->params.net_key_index;
	p->result.algorithm = p->algorithm;
	p->result.auth = p->method;
	p->result.caps = p->caps;
}

static void handle_random(struct prov *p, const uint8_t *dev_random)
{
	uint8_t auth[32], expect[32], session_key[16], nonce[13], data[25], pdu[33];
	int err;

	if (!memcmp(dev_random, p->my_random, p->rand_len)) {
		fail(p, PROV_ERR_CONFIRMATION_FAILED, false, false,
		     "device random equals ours: rejected");
		return;
	}
	err = auth_value_for(p, dev_random, auth);
	if (!err)
		err = prov_confirmation(p->algorithm, p->conf_key, dev_random, auth, expect);
	OPENSSL_cleanse(auth, sizeof(auth));
	if (err) {
		fail(p, 0, false, false, "confirmation computation failed");
		return;
	}
	if (CRYPTO_memcmp(expect, p->dev_conf, p->rand_len) != 0) {
		fail(p, PROV_ERR_CONFIRMATION_FAILED, false, false,
		     "device confirmation does not verify: wrong AuthValue");
		return;
	}
	if (p->ops->progress)
		p->ops->progress(p->ctx, PROV_STEP_CONFIRMED);
	/* the addresses are taken only now, with nothing more to wait for before
	 * the Data: a session that fails earlier (many may run at once) holds
	 * none, so a later device does not pass over a range that is given back */
	p->unicast = p->params.unicast;
	if (!p->unicast && (!p->ops->assign_address ||
			    p->ops->assign_address(p->ctx, p->caps.elements, &p->unicast) != 0)) {
		fail(p, PROV_ERR_CANNOT_ASSIGN_ADDRESSES, false, false,
		     "no free unicast addresses for the device's elements");
		return;
	}
	if (prov_session_keys(p->algorithm, p->conf_salt, p->my_random, dev_random, p->secret,
			      session_key, nonce, p->result.device_key) != 0) {
		fail(p, 0, false, false, "session key derivation failed");
		return;
	}
	memcpy(data, p->params.net_key, 16);
	put_be16(data + 16, p->params.net_key_index);
	data[18] = p->params.flags;
	put_be32(data + 19, p->params.iv_index);
	put_be16(data + 23, p->unicast);
	err = crypto_aes_ccm_encrypt(session_key, nonce, NULL, 0, data, 25, pdu, pdu + 25, 8);
	OPENSSL_cleanse(data, sizeof(data));
	OPENSSL_cleanse(session_key, sizeof(session_key));
	if (err) {
		fail(p, 0, false, false, "provisioning data encryption failed");
		return;
	}
	fill_result(p);
	if (p->ops->data_ready && p->ops->data_ready(p->ctx, &p->result) != 0) {
		fail(p, 0, false, false, "the addresses could not be reserved: provisioning data not sent");
		return;
	}
	send_pdu(p, PROV_DATA, pdu, 33);
	p->state = PROV_S_WAIT_COMPLETE;
	if (p->ops->progress)
		p->ops->progress(p->ctx, PROV_STEP_DATA_SENT);
}

/* The device's Provisioning Failed with code, in words: its code (name and
 * number) and the PDU it answers. Only a Confirmation Failed in answer to
 * our Confirmation or Random says that the AuthValue is to be checked. */
static void device_failed(const struct prov *p, uint8_t code, char *msg, size_t len)
{
	int answered = prov_answering(p);
	char name[20];
	int n;

	n = snprintf(msg, len, "device sent Provisioning Failed (%s, 0x%02x)", prov_error_str(code),
		     code);
	if (answered >= 0 && n >= 0 && (size_t)n < len)
		n += snprintf(msg + n, len - (size_t)n, " in answer to %s",
			      prov_pdu_name((uint8_t)answered, name));
	if (code == PROV_ERR_CONFIRMATION_FAILED &&
	    (answered == PROV_CONFIRMATION || answered == PROV_RANDOM) && n >= 0 && (size_t)n < len)
		snprintf(msg + n, len - (size_t)n, ": it rejected our confirmation, %s",
			 p->params.auth.kind == PROV_USE_ALIGENIE ? "check --secret"
								  : "check the OOB value");
}

/* The PDU types the state expects (a set of PROV_PDU_BIT). */
static unsigned expected_types(const struct prov *p)
{
	switch (p->state) {
	case PROV_S_WAIT_CAPS: return PROV_PDU_BIT(PROV_CAPABILITIES);
	case PROV_S_WAIT_PUBKEY: return PROV_PDU_BIT(PROV_PUBLIC_KEY);
	case PROV_S_WAIT_INPUT_COMPLETE: return PROV_PDU_BIT(PROV_INPUT_COMPLETE);
	case PROV_S_WAIT_CONFIRMATION: return PROV_PDU_BIT(PROV_CONFIRMATION);
	case PROV_S_WAIT_RANDOM: return PROV_PDU_BIT(PROV_RANDOM);
	case PROV_S_WAIT_COMPLETE: return PROV_PDU_BIT(PROV_COMPLETE);
	default: return 0;
	}
}

void prov_input(struct prov *p, uint64_t now, const uint8_t *pdu, size_t len)
{
	char msg[192];
	uint8_t type;
	size_t plen;
	int err;

	if (prov_done(p) || p->state == PROV_S_IDLE)
		return;
	/* a device may send Provisioning Failed at any time */
	err = prov_pdu_check(pdu, len, expected_types(p) | PROV_PDU_BIT(PROV_FAILED), p->rand_len,
			     "device", msg, sizeof(msg));
	if (err) {
		fail(p, (uint8_t)err, false, false, msg);
		return;
	}
	type = pdu[0];
	plen = len - 1;
	if (type == PROV_FAILED) {
		device_failed(p, pdu[1], msg, sizeof(msg));
		fail(p, pdu[1], true, false, msg);
		return;
	}
	p->deadline = now + PROV_TIMEOUT_MS;
	pdu++;
	switch (type) {
	case PROV_CAPABILITIES:
		handle_caps(p, pdu, plen);
		if (p->state == PROV_S_WAIT_PUBKEY && p->params.has_device_pubkey) {
			memcpy(p->dev_pub, p->params.device_pubkey, 64);
			keys_exchanged(p);
		}
		break;
	case PROV_PUBLIC_KEY:
		memcpy(p->dev_pub, pdu, 64);
		keys_exchanged(p);
		break;
	case PROV_INPUT_COMPLETE:
		send_confirmation(p);
		break;
	case PROV_CONFIRMATION:
		if (!memcmp(pdu, p->my_conf, p->rand_len)) {
			fail(p, PROV_ERR_CONFIRMATION_FAILED, false, false,
			     "device confirmation equals ours: rejected");
			return;
		}
		memcpy(p->dev_conf, pdu, p->rand_len);
		send_pdu(p, PROV_RANDOM, p->my_random, p->rand_len);
		p->state = PROV_S_WAIT_RANDOM;
		break;
	case PROV_RANDOM:
		handle_random(p, pdu);
		break;
	case PROV_COMPLETE:
		p->state = PROV_S_DONE;
		p->deadline = NO_DEADLINE;
		fill_result(p);
		OPENSSL_cleanse(p->secret, sizeof(p->secret));
		if (p->ops->progress)
			p->ops->progress(p->ctx, PROV_STEP_COMPLETE);
		p->ops->complete(p->ctx, &p->result);
		break;
	default:
		break;
	}
}

uint64_t prov_next_deadline(const struct prov *p)
{
	return prov_done(p) ? NO_DEADLINE : p->deadline;
}

void prov_tick(struct prov *p, uint64_t now)
{
	if (prov_done(p) || now < p->deadline)
		return;
	fail(p, 0, false, true, "device stopped answering (provisioning timeout)");
}
