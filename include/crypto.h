/* Bluetooth Mesh cryptography (Mesh Profile 1.0.1 §3.8, Mesh Protocol 1.1
 * §3.9) on OpenSSL 3 EVP interfaces.
 *
 * Every function returns 0 on success or a negative errno:
 *   -EINVAL  bad argument (NULL pointer, length out of range, invalid key)
 *   -EBADMSG authentication failure (AES-CCM MIC mismatch)
 *   -EIO     OpenSSL failure (allocation, provider error)
 * Output buffers may alias input buffers of the same length. No function
 * keeps state between calls. */
#ifndef MESHPROV_CRYPTO_H
#define MESHPROV_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

/* AES-CMAC (RFC 4493) with a 128-bit key. msg may be NULL when len is 0. */
int crypto_aes_cmac(const uint8_t key[16], const uint8_t *msg, size_t len, uint8_t out[16]);

/* s1(M) = AES-CMAC(zero key, M). */
int crypto_s1(const uint8_t *m, size_t len, uint8_t out[16]);

/* k1(N, SALT, P) = AES-CMAC(AES-CMAC(SALT, N), P). */
int crypto_k1(const uint8_t *n, size_t nlen, const uint8_t salt[16], const uint8_t *p, size_t plen,
	      uint8_t out[16]);

/* k2(N, P): NID (7 bits), EncryptionKey, PrivacyKey. P is at least 1 octet. */
int crypto_k2(const uint8_t n[16], const uint8_t *p, size_t plen, uint8_t *nid, uint8_t enc_key[16],
	      uint8_t priv_key[16]);

/* k3(N): 64-bit Network ID. */
int crypto_k3(const uint8_t n[16], uint8_t out[8]);

/* k4(N): 6-bit AID. */
int crypto_k4(const uint8_t n[16], uint8_t *aid);

/* e(key, plaintext): one AES-128 block (ECB). Used for the network-layer
 * privacy PECB and the Node Identity hash. Not in the original API list. */
int crypto_aes_ecb(const uint8_t key[16], const uint8_t in[16], uint8_t out[16]);

/* AES-CCM, 13-octet nonce, MIC of mic_len (4, 8 or 16) octets; aad may be
 * NULL/0. len is at most 65535 (the CCM limit for a 13-octet nonce). */
int crypto_aes_ccm_encrypt(const uint8_t key[16], const uint8_t nonce[13], const uint8_t *aad, size_t aad_len,
			   const uint8_t *in, size_t len, uint8_t *out, uint8_t *mic, size_t mic_len);

/* Returns -EBADMSG when the MIC does not verify (out is then zeroed). */
int crypto_aes_ccm_decrypt(const uint8_t key[16], const uint8_t nonce[13], const uint8_t *aad, size_t aad_len,
			   const uint8_t *in, size_t len, const uint8_t *mic, size_t mic_len, uint8_t *out);

int crypto_sha256(const uint8_t *m, size_t len, uint8_t out[32]);
int crypto_hmac_sha256(const uint8_t *key, size_t key_len, const uint8_t *m, size_t len, uint8_t out[32]);

/* s2(M) = HMAC-SHA256(32 zero octets, M). */
int crypto_s2(const uint8_t *m, size_t len, uint8_t out[32]);

/* k5(N, SALT, P) = HMAC-SHA256(HMAC-SHA256(SALT, N), P). */
int crypto_k5(const uint8_t *n, size_t nlen, const uint8_t salt[32], const uint8_t *p, size_t plen,
	      uint8_t out[32]);

/* Cryptographically secure random octets (RAND_bytes). */
int crypto_random(uint8_t *buf, size_t len);

/* ECDH P-256. Public keys are 64 octets X||Y big-endian (Mesh wire format). */
struct crypto_ecdh; /* opaque, wraps an EVP_PKEY */

int crypto_ecdh_generate(struct crypto_ecdh **out);

/* Test hook: a fixed private key (big-endian, 1 <= d < n). */
int crypto_ecdh_from_private(const uint8_t priv[32], struct crypto_ecdh **out);

int crypto_ecdh_public(const struct crypto_ecdh *k, uint8_t pub[64]);

/* 0 if pub is a valid point on P-256 (not infinity, coordinates < p), else -EINVAL. */
int crypto_ecdh_check_public(const uint8_t pub[64]);

/* ECDHSecret = X coordinate of d * peer. Validates peer_pub first (-EINVAL). */
int crypto_ecdh_shared(const struct crypto_ecdh *k, const uint8_t peer_pub[64], uint8_t secret[32]);

void crypto_ecdh_free(struct crypto_ecdh *k);

/* AliGenie static OOB AuthValue: first 16 octets of SHA-256 of the ASCII text
 * "%08x,%s,%s" of (product_id, MAC as 12 lowercase hex digits in display order,
 * secret as lowercase hex), and when random != NULL, ",<random as 32 lowercase
 * hex>" appended (the random-bound variant). secret_len is 1..64. */
int crypto_aligenie_auth_value(uint32_t product_id, const uint8_t mac[6], const uint8_t *secret, size_t secret_len,
			       const uint8_t random[16] /* or NULL */, uint8_t out[16]);

#endif
