/* Bluetooth Mesh cryptography on OpenSSL 3 (EVP interfaces only).
 *
 * CMAC and HMAC go through EVP_MAC, AES-CCM and AES-ECB through EVP_CIPHER,
 * ECDH P-256 through EVP_PKEY and SHA-256 through EVP_Digest. The only EC_GROUP/EC_POINT
 * use is the scalar multiplication in the fixed-private-key test hook (those
 * calls are not deprecated in OpenSSL 3). No key, context or result is kept
 * between calls; only the algorithms (EVP_CIPHER, EVP_MAC, EVP_MD) are
 * fetched once and reused, as OpenSSL 3 recommends over an implicit fetch per
 * call: the daemon runs PECB and AES-CCM for every network PDU it hears. */
#include "crypto.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "util.h"

#define CCM_NONCE_LEN 13
#define CCM_MAX_LEN 0xffff /* 2-octet length field with a 13-octet nonce */

struct iov {
	const uint8_t *p;
	size_t len;
};

/* ---- the algorithms, fetched once ---- */

static CRYPTO_ONCE fetch_once = CRYPTO_ONCE_STATIC_INIT;
static EVP_CIPHER *aes_ecb, *aes_ccm;
static EVP_MAC *mac_cmac, *mac_hmac;
static EVP_MD *md_sha256;

/* Kept for the life of the process (nothing frees them: they hold no secret).
 * A fetch that fails leaves NULL: the calls needing it fail with -EIO. */
static void fetch_algs(void)
{
	ERR_set_mark();
	aes_ecb = EVP_CIPHER_fetch(NULL, "AES-128-ECB", NULL);
	aes_ccm = EVP_CIPHER_fetch(NULL, "AES-128-CCM", NULL);
	mac_cmac = EVP_MAC_fetch(NULL, "CMAC", NULL);
	mac_hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	md_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	ERR_pop_to_mark();
}

static bool algs_ready(void)
{
	return CRYPTO_THREAD_run_once(&fetch_once, fetch_algs) == 1;
}

/* One MAC (alg "CMAC" with cipher AES-128-CBC, or "HMAC" with digest SHA256)
 * over the concatenation of v[0..n-1]; exactly outlen octets to out. out may
 * alias any input: it is only written by the final step. */
static int mac_iov(bool cmac, const char *param_name, const char *param_value, const uint8_t *key,
		   size_t key_len, const struct iov *v, size_t n, uint8_t *out, size_t outlen)
{
	char name[16];
	OSSL_PARAM params[2];
	EVP_MAC *mac;
	EVP_MAC_CTX *ctx = NULL;
	uint8_t nokey = 0;
	size_t got = 0;
	int ret = -EIO;

	if (strlen(param_value) >= sizeof(name))
		return -EINVAL;
	strcpy(name, param_value);
	params[0] = OSSL_PARAM_construct_utf8_string(param_name, name, 0);
	params[1] = OSSL_PARAM_construct_end();

	if (!algs_ready())
		goto out;
	mac = cmac ? mac_cmac : mac_hmac;
	if (!mac)
		goto out;
	ctx = EVP_MAC_CTX_new(mac);
	if (!ctx)
		goto out;
	/* A NULL key means "keep the previous key" to EVP_MAC_init. */
	if (EVP_MAC_init(ctx, key_len ? key : &nokey, key_len, params) != 1)
		goto out;
	for (size_t i = 0; i < n; i++) {
		if (v[i].len && EVP_MAC_update(ctx, v[i].p, v[i].len) != 1)
			goto out;
	}
	if (EVP_MAC_final(ctx, out, &got, outlen) != 1 || got != outlen)
		goto out;
	ret = 0;
out:
	EVP_MAC_CTX_free(ctx); /* cleanses the key schedule */
	return ret;
}

static int cmac_iov(const uint8_t key[16], const struct iov *v, size_t n, uint8_t out[16])
{
	return mac_iov(true, OSSL_MAC_PARAM_CIPHER, "AES-128-CBC", key, 16, v, n, out, 16);
}

static int hmac_iov(const uint8_t *key, size_t key_len, const struct iov *v, size_t n, uint8_t out[32])
{
	return mac_iov(false, OSSL_MAC_PARAM_DIGEST, "SHA256", key, key_len, v, n, out, 32);
}

/* A pointer/length pair is acceptable when the pointer is set or the length is 0. */
static bool buf_ok(const void *p, size_t len)
{
	return p || !len;
}

int crypto_aes_cmac(const uint8_t key[16], const uint8_t *msg, size_t len, uint8_t out[16])
{
	struct iov v = { msg, len };

	if (!key || !out || !buf_ok(msg, len))
		return -EINVAL;
	return cmac_iov(key, &v, 1, out);
}

int crypto_s1(const uint8_t *m, size_t len, uint8_t out[16])
{
	static const uint8_t zero[16];

	return crypto_aes_cmac(zero, m, len, out);
}

int crypto_k1(const uint8_t *n, size_t nlen, const uint8_t salt[16], const uint8_t *p, size_t plen,
	      uint8_t out[16])
{
	uint8_t t[16];
	int ret;

	if (!salt || !out || !buf_ok(n, nlen) || !buf_ok(p, plen))
		return -EINVAL;
	ret = crypto_aes_cmac(salt, n, nlen, t);
	if (!ret)
		ret = crypto_aes_cmac(t, p, plen, out);
	OPENSSL_cleanse(t, sizeof(t));
	return ret;
}

/* s1 of a short ASCII label. */
static int s1_str(const char *label, uint8_t out[16])
{
	return crypto_s1((const uint8_t *)label, strlen(label), out);
}

int crypto_k2(const uint8_t n[16], const uint8_t *p, size_t plen, uint8_t *nid, uint8_t enc_key[16],
	      uint8_t priv_key[16])
{
	uint8_t salt[16], t[16], t1[16], t2[16], t3[16];
	uint8_t ctr;
	struct iov v[3];
	int ret;

	if (!n || !p || plen < 1 || !nid || !enc_key || !priv_key)
		return -EINVAL;
	ret = s1_str("smk2", salt);
	if (!ret)
		ret = crypto_aes_cmac(salt, n, 16, t);
	/* Tk = CMAC(T, Tk-1 || P || k), T0 empty. */
	v[1] = (struct iov){ p, plen };
	v[2] = (struct iov){ &ctr, 1 };
	if (!ret) {
		ctr = 1;
		v[0] = (struct iov){ NULL, 0 };
		ret = cmac_iov(t, v, 3, t1);
	}
	if (!ret) {
		ctr = 2;
		v[0] = (struct iov){ t1, 16 };
		ret = cmac_iov(t, v, 3, t2);
	}
	if (!ret) {
		ctr = 3;
		v[0] = (struct iov){ t2, 16 };
		ret = cmac_iov(t, v, 3, t3);
	}
	if (!ret) {
		*nid = t1[15] & 0x7f;
		memcpy(enc_key, t2, 16);
		memcpy(priv_key, t3, 16);
	}
	OPENSSL_cleanse(t, sizeof(t));
	OPENSSL_cleanse(t1, sizeof(t1));
	OPENSSL_cleanse(t2, sizeof(t2));
	OPENSSL_cleanse(t3, sizeof(t3));
	return ret;
}

/* CMAC(CMAC(s1(salt_label), N), info || 0x01) */
static int k34(const uint8_t n[16], const char *salt_label, const char *info, uint8_t out[16])
{
	uint8_t salt[16], t[16];
	static const uint8_t one = 0x01;
	struct iov v[2] = { { (const uint8_t *)info, strlen(info) }, { &one, 1 } };
	int ret;

	ret = s1_str(salt_label, salt);
	if (!ret)
		ret = crypto_aes_cmac(salt, n, 16, t);
	if (!ret)
		ret = cmac_iov(t, v, 2, out);
	OPENSSL_cleanse(t, sizeof(t));
	return ret;
}

int crypto_k3(const uint8_t n[16], uint8_t out[8])
{
	uint8_t r[16];
	int ret;

	if (!n || !out)
		return -EINVAL;
	ret = k34(n, "smk3", "id64", r);
	if (!ret)
		memcpy(out, r + 8, 8);
	OPENSSL_cleanse(r, sizeof(r));
	return ret;
}

int crypto_k4(const uint8_t n[16], uint8_t *aid)
{
	uint8_t r[16];
	int ret;

	if (!n || !aid)
		return -EINVAL;
	ret = k34(n, "smk4", "id6", r);
	if (!ret)
		*aid = r[15] & 0x3f;
	OPENSSL_cleanse(r, sizeof(r));
	return ret;
}

int crypto_aes_ecb(const uint8_t key[16], const uint8_t in[16], uint8_t out[16])
{
	EVP_CIPHER_CTX *ctx = NULL;
	uint8_t block[16];
	int outl = 0, ret = -EIO;

	if (!key || !in || !out)
		return -EINVAL;
	if (!algs_ready() || !aes_ecb)
		goto out;
	ctx = EVP_CIPHER_CTX_new();
	if (!ctx)
		goto out;
	if (EVP_EncryptInit_ex2(ctx, aes_ecb, key, NULL, NULL) != 1 || EVP_CIPHER_CTX_set_padding(ctx, 0) != 1 ||
	    EVP_EncryptUpdate(ctx, block, &outl, in, 16) != 1 || outl != 16)
		goto out;
	memcpy(out, block, 16);
	ret = 0;
out:
	OPENSSL_cleanse(block, sizeof(block));
	EVP_CIPHER_CTX_free(ctx);
	return ret;
}

static bool ccm_args_ok(const uint8_t *key, const uint8_t *nonce, const uint8_t *aad, size_t aad_len,
			const uint8_t *in, size_t len, const uint8_t *out, const uint8_t *mic, size_t mic_len)
{
	if (!key || !nonce || !mic || !buf_ok(aad, aad_len) || !buf_ok(in, len) || !buf_ok(out, len))
		return false;
	if (mic_len != 4 && mic_len != 8 && mic_len != 16)
		return false;
	return len <= CCM_MAX_LEN && aad_len <= INT_MAX;
}

/* AES-128-CCM. enc: tag is written; !enc: tag is the expected MIC. */
static int ccm(int enc, const uint8_t key[16], const uint8_t nonce[13], const uint8_t *aad, size_t aad_len,
	       const uint8_t *in, size_t len, uint8_t *out, uint8_t *tag, size_t mic_len)
{
	EVP_CIPHER_CTX *ctx = NULL;
	uint8_t dummy[1] = { 0 };
	int outl, ret = -EIO;

	if (!algs_ready() || !aes_ccm)
		goto out;
	ctx = EVP_CIPHER_CTX_new();
	if (!ctx)
		goto out;
	if (EVP_CipherInit_ex2(ctx, aes_ccm, NULL, NULL, enc, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, CCM_NONCE_LEN, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, (int)mic_len, enc ? NULL : tag) != 1 ||
	    EVP_CipherInit_ex2(ctx, NULL, key, nonce, enc, NULL) != 1)
		goto out;
	/* CCM needs the total length before any AAD or data. */
	if (EVP_CipherUpdate(ctx, NULL, &outl, NULL, (int)len) != 1)
		goto out;
	if (aad_len && EVP_CipherUpdate(ctx, NULL, &outl, aad, (int)aad_len) != 1)
		goto out;
	/* Empty payload: the provider needs non-NULL pointers to run the MAC. */
	if (EVP_CipherUpdate(ctx, len ? out : dummy, &outl, len ? in : dummy, (int)len) != 1) {
		ret = enc ? -EIO : -EBADMSG;
		goto out;
	}
	if (enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, (int)mic_len, tag) != 1)
		goto out;
	ret = 0;
out:
	EVP_CIPHER_CTX_free(ctx); /* cleanses the key schedule */
	return ret;
}

int crypto_aes_ccm_encrypt(const uint8_t key[16], const uint8_t nonce[13], const uint8_t *aad, size_t aad_len,
			   const uint8_t *in, size_t len, uint8_t *out, uint8_t *mic, size_t mic_len)
{
	uint8_t tag[16];
	int ret;

	if (!ccm_args_ok(key, nonce, aad, aad_len, in, len, out, mic, mic_len))
		return -EINVAL;
	ret = ccm(1, key, nonce, aad, aad_len, in, len, out, tag, mic_len);
	if (!ret)
		memcpy(mic, tag, mic_len);
	OPENSSL_cleanse(tag, sizeof(tag));
	return ret;
}

int crypto_aes_ccm_decrypt(const uint8_t key[16], const uint8_t nonce[13], const uint8_t *aad, size_t aad_len,
			   const uint8_t *in, size_t len, const uint8_t *mic, size_t mic_len, uint8_t *out)
{
	uint8_t tag[16];
	int ret;

	if (!ccm_args_ok(key, nonce, aad, aad_len, in, len, out, mic, mic_len))
		return -EINVAL;
	memcpy(tag, mic, mic_len);
	ERR_set_mark();
	ret = ccm(0, key, nonce, aad, aad_len, in, len, out, tag, mic_len);
	if (ret == -EBADMSG)
		ERR_pop_to_mark(); /* an expected outcome, not an OpenSSL error */
	else
		ERR_clear_last_mark();
	if (ret && len)
		memset(out, 0, len);
	OPENSSL_cleanse(tag, sizeof(tag));
	return ret;
}

int crypto_sha256(const uint8_t *m, size_t len, uint8_t out[32])
{
	unsigned int got = 0;

	if (!out || !buf_ok(m, len))
		return -EINVAL;
	if (!algs_ready() || !md_sha256 || EVP_Digest(m, len, out, &got, md_sha256, NULL) != 1 || got != 32)
		return -EIO;
	return 0;
}

int crypto_hmac_sha256(const uint8_t *key, size_t key_len, const uint8_t *m, size_t len, uint8_t out[32])
{
	struct iov v = { m, len };

	if (!out || !buf_ok(key, key_len) || !buf_ok(m, len))
		return -EINVAL;
	return hmac_iov(key, key_len, &v, 1, out);
}

int crypto_s2(const uint8_t *m, size_t len, uint8_t out[32])
{
	static const uint8_t zero[32];

	return crypto_hmac_sha256(zero, sizeof(zero), m, len, out);
}

int crypto_k5(const uint8_t *n, size_t nlen, const uint8_t salt[32], const uint8_t *p, size_t plen,
	      uint8_t out[32])
{
	uint8_t t[32];
	int ret;

	if (!salt || !out || !buf_ok(n, nlen) || !buf_ok(p, plen))
		return -EINVAL;
	ret = crypto_hmac_sha256(salt, 32, n, nlen, t);
	if (!ret)
		ret = crypto_hmac_sha256(t, sizeof(t), p, plen, out);
	OPENSSL_cleanse(t, sizeof(t));
	return ret;
}

int crypto_random(uint8_t *buf, size_t len)
{
	if (!buf_ok(buf, len) || len > INT_MAX)
		return -EINVAL;
	if (!len)
		return 0;
	return RAND_bytes(buf, (int)len) == 1 ? 0 : -EIO;
}

/* ---- ECDH P-256 ---- */

struct crypto_ecdh {
	EVP_PKEY *pkey;
};

/* The P-256 field prime p, big-endian. */
static const uint8_t p256_p[32] = {
	0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
};

#define P256_GROUP "prime256v1"

static EVP_PKEY *pkey_fromdata(OSSL_PARAM *params, int selection)
{
	EVP_PKEY_CTX *pctx;
	EVP_PKEY *pkey = NULL;

	pctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (!pctx)
		return NULL;
	if (EVP_PKEY_fromdata_init(pctx) != 1 || EVP_PKEY_fromdata(pctx, &pkey, selection, params) != 1)
		pkey = NULL;
	EVP_PKEY_CTX_free(pctx);
	return pkey;
}

/* Import a 64-octet X||Y public key, fully validated. -EINVAL when not a valid point. */
static int import_public(const uint8_t pub[64], EVP_PKEY **out)
{
	char group[] = P256_GROUP;
	uint8_t point[65];
	OSSL_PARAM params[3];
	EVP_PKEY *pkey = NULL;
	EVP_PKEY_CTX *vctx = NULL;
	uint8_t any = 0;
	int ret = -EINVAL;

	*out = NULL;
	for (size_t i = 0; i < 64; i++)
		any |= pub[i];
	if (!any)
		return -EINVAL;
	if (memcmp(pub, p256_p, 32) >= 0 || memcmp(pub + 32, p256_p, 32) >= 0)
		return -EINVAL;

	point[0] = 0x04; /* uncompressed */
	memcpy(point + 1, pub, 64);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point));
	params[2] = OSSL_PARAM_construct_end();

	ERR_set_mark();
	pkey = pkey_fromdata(params, EVP_PKEY_PUBLIC_KEY);
	if (!pkey)
		goto out; /* the import itself rejects points off the curve */
	vctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
	if (!vctx) {
		ret = -EIO;
		goto out;
	}
	/* P-256 has cofactor 1: a point on the curve that is not the point at
	 * infinity has order n, so the quick check (on the curve, coordinates
	 * in range, not infinity) is the whole validation; EVP_PKEY_public_check
	 * adds an n*Q multiplication that cannot fail for such a point. */
	if (EVP_PKEY_public_check_quick(vctx) != 1)
		goto out;
	*out = pkey;
	pkey = NULL;
	ret = 0;
out:
	/* A rejected peer key is an expected outcome: drop OpenSSL's errors. */
	ERR_pop_to_mark();
	EVP_PKEY_CTX_free(vctx);
	EVP_PKEY_free(pkey);
	return ret;
}

static int wrap_pkey(EVP_PKEY *pkey, struct crypto_ecdh **out)
{
	struct crypto_ecdh *k = OPENSSL_zalloc(sizeof(*k));

	if (!k) {
		EVP_PKEY_free(pkey);
		return -EIO;
	}
	k->pkey = pkey;
	*out = k;
	return 0;
}

int crypto_ecdh_generate(struct crypto_ecdh **out)
{
	EVP_PKEY_CTX *pctx;
	EVP_PKEY *pkey = NULL;

	if (!out)
		return -EINVAL;
	*out = NULL;
	pctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (!pctx)
		return -EIO;
	if (EVP_PKEY_keygen_init(pctx) != 1 || EVP_PKEY_CTX_set_group_name(pctx, P256_GROUP) != 1 ||
	    EVP_PKEY_generate(pctx, &pkey) != 1)
		pkey = NULL;
	EVP_PKEY_CTX_free(pctx);
	if (!pkey)
		return -EIO;
	return wrap_pkey(pkey, out);
}

int crypto_ecdh_from_private(const uint8_t priv[32], struct crypto_ecdh **out)
{
	EC_GROUP *group = NULL;
	EC_POINT *pt = NULL;
	BN_CTX *bnctx = NULL;
	BIGNUM *d = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL, *pp;
	EVP_PKEY *pkey = NULL;
	uint8_t point[65];
	int ret = -EIO;

	if (!priv || !out)
		return -EINVAL;
	*out = NULL;
	group = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
	bnctx = BN_CTX_secure_new();
	d = BN_secure_new();
	pt = group ? EC_POINT_new(group) : NULL;
	if (!group || !bnctx || !d || !pt)
		goto out;
	if (!BN_bin2bn(priv, 32, d))
		goto out;
	if (BN_is_zero(d) || BN_cmp(d, EC_GROUP_get0_order(group)) >= 0) {
		ret = -EINVAL;
		goto out;
	}
	if (EC_POINT_mul(group, pt, d, NULL, NULL, bnctx) != 1 ||
	    EC_POINT_point2oct(group, pt, POINT_CONVERSION_UNCOMPRESSED, point, sizeof(point), bnctx) !=
		    sizeof(point))
		goto out;

	bld = OSSL_PARAM_BLD_new();
	if (!bld || OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, P256_GROUP, 0) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d) != 1 ||
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point)) != 1)
		goto out;
	params = OSSL_PARAM_BLD_to_param(bld);
	if (!params)
		goto out;
	pkey = pkey_fromdata(params, EVP_PKEY_KEYPAIR);
	if (!pkey)
		goto out;
	ret = wrap_pkey(pkey, out);
out:
	if (params) {
		pp = OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_PRIV_KEY);
		if (pp && pp->data)
			OPENSSL_cleanse(pp->data, pp->data_size);
	}
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_clear_free(d);
	BN_CTX_free(bnctx);
	EC_POINT_clear_free(pt);
	EC_GROUP_free(group);
	return ret;
}

int crypto_ecdh_public(const struct crypto_ecdh *k, uint8_t pub[64])
{
	uint8_t point[65];
	size_t got = 0;

	if (!k || !k->pkey || !pub)
		return -EINVAL;
	if (EVP_PKEY_get_octet_string_param(k->pkey, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point), &got) != 1 ||
	    got != sizeof(point) || point[0] != 0x04)
		return -EIO;
	memcpy(pub, point + 1, 64);
	return 0;
}

int crypto_ecdh_check_public(const uint8_t pub[64])
{
	EVP_PKEY *pkey;
	int ret;

	if (!pub)
		return -EINVAL;
	ret = import_public(pub, &pkey);
	EVP_PKEY_free(pkey);
	return ret;
}

int crypto_ecdh_shared(const struct crypto_ecdh *k, const uint8_t peer_pub[64], uint8_t secret[32])
{
	EVP_PKEY *peer = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	uint8_t s[32];
	size_t slen = sizeof(s);
	int ret;

	if (!k || !k->pkey || !peer_pub || !secret)
		return -EINVAL;
	ret = import_public(peer_pub, &peer);
	if (ret)
		return ret;
	ret = -EIO;
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, k->pkey, NULL);
	if (!ctx)
		goto out;
	/* peer was validated by import_public: no second check */
	if (EVP_PKEY_derive_init(ctx) != 1 || EVP_PKEY_derive_set_peer_ex(ctx, peer, 0) != 1 ||
	    EVP_PKEY_derive(ctx, s, &slen) != 1 || slen != sizeof(s))
		goto out;
	memcpy(secret, s, sizeof(s));
	ret = 0;
out:
	OPENSSL_cleanse(s, sizeof(s));
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(peer);
	return ret;
}

void crypto_ecdh_free(struct crypto_ecdh *k)
{
	if (!k)
		return;
	EVP_PKEY_free(k->pkey);
	OPENSSL_free(k);
}

/* ---- AliGenie ---- */

#define ALIGENIE_SECRET_MAX 64

int crypto_aligenie_auth_value(uint32_t product_id, const uint8_t mac[6], const uint8_t *secret, size_t secret_len,
			       const uint8_t random[16], uint8_t out[16])
{
	/* "%08x" "," mac(12) "," secret(2*len) ["," random(32)] NUL */
	char text[8 + 1 + 12 + 1 + 2 * ALIGENIE_SECRET_MAX + 1 + 32 + 1];
	uint8_t digest[32];
	size_t n;
	int ret;

	if (!mac || !secret || !out || secret_len < 1 || secret_len > ALIGENIE_SECRET_MAX)
		return -EINVAL;
	snprintf(text, sizeof(text), "%08" PRIx32 ",", product_id);
	n = 9;
	hex_encode(mac, 6, text + n);
	n += 12;
	text[n++] = ',';
	hex_encode(secret, secret_len, text + n);
	n += 2 * secret_len;
	if (random) {
		text[n++] = ',';
		hex_encode(random, 16, text + n);
		n += 32;
	}
	ret = crypto_sha256((const uint8_t *)text, n, digest);
	if (!ret)
		memcpy(out, digest, 16);
	OPENSSL_cleanse(text, sizeof(text));
	OPENSSL_cleanse(digest, sizeof(digest));
	return ret;
}
