/* Mesh cryptography: published sample data (copied from
 * shared/vectors/mesh-provisioning.md §1-§4 and mesh-network.md §1-§4; the
 * §2 and §3 provisioning sample values are in tests/lib/sample87.h),
 * standard AES/CMAC/SHA-256/HMAC vectors, and negative tests. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

#include "check_main.h"
#include "crypto.h"
#include "sample87.h"
#include "testhex.h"
#include "util.h"

#define OK(expr) ck_assert_int_eq((expr), 0)

static const uint8_t zero16[16];

static struct crypto_ecdh *key_from_hex(const char *priv_hex)
{
	uint8_t priv[32];
	struct crypto_ecdh *k = NULL;

	hx_to(priv_hex, priv, 32);
	OK(crypto_ecdh_from_private(priv, &k));
	ck_assert_ptr_nonnull(k);
	return k;
}

/* ---- standard primitives ---- */

START_TEST(test_aes_cmac_rfc4493)
{
	uint8_t key[16], msg[16], out[16];

	hx_to("2b7e151628aed2a6abf7158809cf4f3c", key, 16);
	OK(crypto_aes_cmac(key, NULL, 0, out));
	EXPECT_HEX(out, 16, "bb1d6929e95937287fa37d129b756746");
	hx_to("6bc1bee22e409f96e93d7e117393172a", msg, 16);
	OK(crypto_aes_cmac(key, msg, 16, out));
	EXPECT_HEX(out, 16, "070a16b46b4d4144f79bdd9dd04a287c");
	/* out may alias the message */
	OK(crypto_aes_cmac(key, msg, 16, msg));
	EXPECT_HEX(msg, 16, "070a16b46b4d4144f79bdd9dd04a287c");
}
END_TEST

START_TEST(test_aes_ecb)
{
	uint8_t key[16], in[16], out[16];

	/* FIPS-197 Appendix C.1 */
	hx_to("000102030405060708090a0b0c0d0e0f", key, 16);
	hx_to("00112233445566778899aabbccddeeff", in, 16);
	OK(crypto_aes_ecb(key, in, out));
	EXPECT_HEX(out, 16, "69c4e0d86a7b0430d8cdb78070b4c55a");

	/* mesh-network.md §3.1 Message #1: PECB = e(PrivacyKey, Privacy Plaintext) */
	hx_to("8b84eedec100067d670971dd2aa700cf", key, 16);
	hx_to("000000000012345678b5e5bfdacbaf6c", in, 16);
	OK(crypto_aes_ecb(key, in, out));
	EXPECT_HEX(out, 6, "6ca487507564");

	/* mesh-network.md §2 §8.6.2 Node Identity hash */
	hx_to("84396c435ac48560b5965385253e210c", key, 16);
	hx_to("00000000000034ae608fbbc1f2c61201", in, 16);
	OK(crypto_aes_ecb(key, in, in)); /* in place */
	EXPECT_HEX(in + 8, 8, "00861765aefcc57b");
}
END_TEST

START_TEST(test_sha256_hmac)
{
	static const char jefe_msg[] = "what do ya want for nothing?";
	uint8_t out[32];

	OK(crypto_sha256((const uint8_t *)"abc", 3, out));
	EXPECT_HEX(out, 32, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	OK(crypto_sha256(NULL, 0, out));
	EXPECT_HEX(out, 32, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	/* RFC 4231 test case 2 */
	OK(crypto_hmac_sha256((const uint8_t *)"Jefe", 4, (const uint8_t *)jefe_msg, strlen(jefe_msg), out));
	EXPECT_HEX(out, 32, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}
END_TEST

/* ---- mesh-provisioning.md §1: s1 / k1 ---- */

START_TEST(test_s1_k1)
{
	uint8_t n[16], salt[16], p[16], out[16];

	OK(crypto_s1((const uint8_t *)"test", 4, out));
	EXPECT_HEX(out, 16, "b73cefbd641ef2ea598c2b6efb62f79c");

	hx_to("3216d1509884b533248541792b877f98", n, 16);
	OK(crypto_s1((const uint8_t *)"salt", 4, salt));
	EXPECT_HEX(salt, 16, "2ba14ffa0df84a2831938d57d276cab4");
	OK(crypto_s1((const uint8_t *)"info", 4, p));
	EXPECT_HEX(p, 16, "5a09d60797eeb4478aada59db3352a0d");
	OK(crypto_aes_cmac(salt, n, 16, out)); /* k1 T */
	EXPECT_HEX(out, 16, "c764bea25cf9738b08956ea3c712d5af");
	OK(crypto_k1(n, 16, salt, p, 16, out));
	EXPECT_HEX(out, 16, "f6ed15a8934afbe7d83e8dcb57fcf5d7");
}
END_TEST

/* ---- mesh-network.md §1: k2 / k3 / k4 ---- */

START_TEST(test_k2_k3_k4)
{
	uint8_t n[16], salt[16], t[16], out[16], enc[16], priv[16], p[9], nid = 0xff, aid = 0xff;
	uint8_t k3out[8];

	hx_to("f7a2a44f8e8a8029064f173ddc1e2b00", n, 16);

	/* §8.1.3 k2 master, P = 00 */
	OK(crypto_s1((const uint8_t *)"smk2", 4, salt));
	EXPECT_HEX(salt, 16, "4f90480c1871bfbffd16971f4d8d10b1");
	OK(crypto_aes_cmac(salt, n, 16, t));
	EXPECT_HEX(t, 16, "2ea6467aa3378c4c545eda62935b9b86");
	p[0] = 0x00;
	p[1] = 0x01;
	OK(crypto_aes_cmac(t, p, 2, out)); /* T1 = CMAC(T, P || 01) */
	EXPECT_HEX(out, 16, "82bea685dc2f1deec255ac643741f5ff");
	OK(crypto_k2(n, p, 1, &nid, enc, priv));
	ck_assert_uint_eq(nid, 0x7f);
	EXPECT_HEX(enc, 16, "9f589181a0f50de73c8070c7a6d27f46");
	EXPECT_HEX(priv, 16, "4c715bd4a64b938f99b453351653124f");

	/* §8.1.4 k2 friendship */
	hx_to("010203040506070809", p, 9);
	OK(crypto_k2(n, p, 9, &nid, enc, priv));
	ck_assert_uint_eq(nid, 0x73);
	EXPECT_HEX(enc, 16, "11efec0642774992510fb5929646df49");
	EXPECT_HEX(priv, 16, "d4d7cc0dfa772d836a8df9df5510d7a7");

	/* §8.1.5 k3 */
	OK(crypto_s1((const uint8_t *)"smk3", 4, salt));
	EXPECT_HEX(salt, 16, "0036443503f195cc8a716e136291c302");
	OK(crypto_aes_cmac(salt, n, 16, t));
	EXPECT_HEX(t, 16, "6da9698c95f500e4edce3bb47f92754f");
	OK(crypto_aes_cmac(t, (const uint8_t *)"id64\x01", 5, out));
	EXPECT_HEX(out, 16, "3527c5985f0c05ccff046958233db014");
	OK(crypto_k3(n, k3out));
	EXPECT_HEX(k3out, 8, "ff046958233db014");

	/* §8.1.6 k4, different N */
	hx_to("3216d1509884b533248541792b877f98", n, 16);
	OK(crypto_s1((const uint8_t *)"smk4", 4, salt));
	EXPECT_HEX(salt, 16, "0e9ac1b7cefa66874c97ee54ac5f49be");
	OK(crypto_aes_cmac(salt, n, 16, t));
	EXPECT_HEX(t, 16, "62e5d9240cdb3bb0b2743207ea2d6276");
	OK(crypto_aes_cmac(t, (const uint8_t *)"id6\x01", 4, out));
	EXPECT_HEX(out, 16, "1431ea1afeb05224ab892a0217ccab38");
	OK(crypto_k4(n, &aid));
	ck_assert_uint_eq(aid, 0x38);
}
END_TEST

/* ---- mesh-network.md §2 and §4: keys derived from the sample NetKey/AppKey ---- */

START_TEST(test_network_keys)
{
	static const uint8_t id128[] = { 'i', 'd', '1', '2', '8', 0x01 };
	uint8_t netkey[16], appkey[16], p[9], enc[16], priv[16], salt[16], out[16], label[16], msg[13];
	uint8_t netid[8], nid = 0, aid = 0;

	hx_to("7dd7364cd842ad18c17c2b820c84c3d6", netkey, 16);
	hx_to("63964771734fbd76e3b40519d1d94a48", appkey, 16);

	OK(crypto_k4(appkey, &aid)); /* §8.2.1 */
	ck_assert_uint_eq(aid, 0x26);

	p[0] = 0x00; /* §8.2.2 master */
	OK(crypto_k2(netkey, p, 1, &nid, enc, priv));
	ck_assert_uint_eq(nid, 0x68);
	EXPECT_HEX(enc, 16, "0953fa93e7caac9638f58820220a398e");
	EXPECT_HEX(priv, 16, "8b84eedec100067d670971dd2aa700cf");

	hx_to("01120123450000072f", p, 9); /* §8.2.3 friendship */
	OK(crypto_k2(netkey, p, 9, &nid, enc, priv));
	ck_assert_uint_eq(nid, 0x5e);
	EXPECT_HEX(enc, 16, "be635105434859f484fc798e043ce40e");
	EXPECT_HEX(priv, 16, "5d396d4b54d3cbafe943e051fe9a4eb8");

	p[0] = 0x02; /* §8 item 6: Mesh 1.1 directed */
	OK(crypto_k2(netkey, p, 1, &nid, enc, priv));
	ck_assert_uint_eq(nid, 0x0d);
	EXPECT_HEX(enc, 16, "b47a02c6cc9b4ac4cb9b88e765c9ade4");

	OK(crypto_k3(netkey, netid)); /* §8.2.4 NetworkID */
	EXPECT_HEX(netid, 8, "3ecaff672f673370");

	OK(crypto_s1((const uint8_t *)"nkik", 4, salt)); /* §8.2.5 IdentityKey */
	EXPECT_HEX(salt, 16, "f8795a1aabf182e4f163d86e245e19f4");
	OK(crypto_k1(netkey, 16, salt, id128, sizeof(id128), out));
	EXPECT_HEX(out, 16, "84396c435ac48560b5965385253e210c");

	OK(crypto_s1((const uint8_t *)"nkbk", 4, salt)); /* §8.2.6 BeaconKey */
	EXPECT_HEX(salt, 16, "2c24619ab793c1233f6e226738393dec");
	OK(crypto_k1(netkey, 16, salt, id128, sizeof(id128), out));
	EXPECT_HEX(out, 16, "5423d967da639a99cb02231a83f7d254");

	/* §4 Secure Network beacon authentication (§8.4.3) */
	hx_to("003ecaff672f67337012345678", msg, 13);
	OK(crypto_aes_cmac(out, msg, 13, enc));
	EXPECT_HEX(enc, 16, "8ea261582f364f6f3c74ef80336ca17e");

	/* §0 / §3.5 virtual address hash */
	OK(crypto_s1((const uint8_t *)"vtad", 4, salt));
	EXPECT_HEX(salt, 16, "cef7fa9dc47baf5daaeed19406094f37");
	hx_to("0073e7e4d8b9440faf8415df4c56c0e1", label, 16);
	OK(crypto_aes_cmac(salt, label, 16, out));
	EXPECT_HEX(out, 16, "383229c844ced6f2bbb97df5c64ef529");
}
END_TEST

/* ---- mesh-network.md §3: upper-transport / network AES-CCM ---- */

START_TEST(test_ccm_network_vectors)
{
	uint8_t key[16], nonce[13], label[16], in[32], out[32], back[32], mic[8];

	/* #6 device key, 4-octet TransMIC, no AAD */
	hx_to("9d6dd0e96eb25dc19a40ed9914f8f03f", key, 16);
	hx_to("02003129ab0003120112345678", nonce, 13);
	hx_to("0056341263964771734fbd76e3b40519d1d94a48", in, 20);
	OK(crypto_aes_ccm_encrypt(key, nonce, NULL, 0, in, 20, out, mic, 4));
	EXPECT_HEX(out, 20, "ee9dddfd2169326d23f3afdfcfdc18c52fdef772");
	EXPECT_HEX(mic, 4, "e0e17308");
	OK(crypto_aes_ccm_decrypt(key, nonce, NULL, 0, out, 20, mic, 4, back));
	ck_assert_mem_eq(back, in, 20);

	/* #1 network layer, EncryptionKey, 8-octet NetMIC over DST || LowerTransportPDU */
	hx_to("0953fa93e7caac9638f58820220a398e", key, 16);
	hx_to("00800000011201000012345678", nonce, 13);
	hx_to("fffd034b50057e400000010000", in, 13);
	OK(crypto_aes_ccm_encrypt(key, nonce, NULL, 0, in, 13, out, mic, 8));
	EXPECT_HEX(out, 13, "b5e5bfdacbaf6cb7fb6bff871f");
	EXPECT_HEX(mic, 8, "035444ce83a670df");

	/* #22 application key, virtual DST: AAD = Label UUID, 4-octet MIC */
	hx_to("63964771734fbd76e3b40519d1d94a48", key, 16);
	hx_to("010007080b1234b52912345677", nonce, 13);
	hx_to("0073e7e4d8b9440faf8415df4c56c0e1", label, 16);
	hx_to("d50a0048656c6c6f", in, 8);
	OK(crypto_aes_ccm_encrypt(key, nonce, label, 16, in, 8, out, mic, 4));
	EXPECT_HEX(out, 8, "3871b904d4315263");
	EXPECT_HEX(mic, 4, "16ca48a0");
	OK(crypto_aes_ccm_decrypt(key, nonce, label, 16, out, 8, mic, 4, back));
	ck_assert_mem_eq(back, in, 8);
	/* Without the AAD the MIC must not verify. */
	ck_assert_int_eq(crypto_aes_ccm_decrypt(key, nonce, NULL, 0, out, 8, mic, 4, back), -EBADMSG);

	/* #24 virtual DST, SZMIC = 1: AAD + 8-octet MIC */
	hx_to("018007080d1234973612345677", nonce, 13);
	hx_to("f4a002c7fb1e4ca0a469a021de0db875", label, 16);
	hx_to("ea0a00576f726c64", in, 8);
	OK(crypto_aes_ccm_encrypt(key, nonce, label, 16, in, 8, out, mic, 8));
	EXPECT_HEX(out, 8, "c3c51d8e476b28e3");
	EXPECT_HEX(mic, 8, "aa5001f31c01cea6");
	OK(crypto_aes_ccm_decrypt(key, nonce, label, 16, out, 8, mic, 8, back));
	ck_assert_mem_eq(back, in, 8);
}
END_TEST

START_TEST(test_ccm_roundtrip_and_limits)
{
	uint8_t key[16], nonce[13], buf[40], orig[40], mic[16], mic2[16], dummy[1] = { 0 };
	static uint8_t big[65536];

	for (int i = 0; i < 16; i++)
		key[i] = (uint8_t)(0xa0 + i);
	for (int i = 0; i < 13; i++)
		nonce[i] = (uint8_t)i;
	for (int i = 0; i < 40; i++)
		orig[i] = buf[i] = (uint8_t)(i * 7);

	/* 16-octet MIC, in place */
	OK(crypto_aes_ccm_encrypt(key, nonce, NULL, 0, buf, 40, buf, mic, 16));
	ck_assert_int_ne(memcmp(buf, orig, 40), 0);
	OK(crypto_aes_ccm_decrypt(key, nonce, NULL, 0, buf, 40, mic, 16, buf));
	ck_assert_mem_eq(buf, orig, 40);
	/* The MIC length is bound into B0: a 4-octet MIC is not a prefix of the 16-octet one. */
	OK(crypto_aes_ccm_encrypt(key, nonce, NULL, 0, orig, 40, buf, mic2, 4));
	ck_assert_int_ne(memcmp(mic, mic2, 4), 0);

	/* Empty payload: the MIC still authenticates the AAD. */
	OK(crypto_aes_ccm_encrypt(key, nonce, orig, 5, NULL, 0, NULL, mic, 8));
	ck_assert_int_ne(memcmp(mic, zero16, 8), 0);
	OK(crypto_aes_ccm_decrypt(key, nonce, orig, 5, NULL, 0, mic, 8, NULL));
	mic[7] ^= 0x01;
	ck_assert_int_eq(crypto_aes_ccm_decrypt(key, nonce, orig, 5, NULL, 0, mic, 8, dummy), -EBADMSG);

	/* Tampered ciphertext: -EBADMSG and the output is zeroed. */
	OK(crypto_aes_ccm_encrypt(key, nonce, NULL, 0, orig, 40, buf, mic, 8));
	buf[3] ^= 0x80;
	memset(orig, 0x55, sizeof(orig));
	ERR_clear_error();
	ck_assert_int_eq(crypto_aes_ccm_decrypt(key, nonce, NULL, 0, buf, 40, mic, 8, orig), -EBADMSG);
	ck_assert_uint_eq(ERR_peek_error(), 0);
	ck_assert_mem_eq(orig, (uint8_t[40]){ 0 }, 40);

	/* Argument checks */
	ck_assert_int_eq(crypto_aes_ccm_encrypt(key, nonce, NULL, 0, buf, 8, buf, mic, 6), -EINVAL);
	ck_assert_int_eq(crypto_aes_ccm_encrypt(key, nonce, NULL, 0, buf, 8, buf, mic, 0), -EINVAL);
	ck_assert_int_eq(crypto_aes_ccm_decrypt(key, nonce, NULL, 0, buf, 8, mic, 12, buf), -EINVAL);
	ck_assert_int_eq(crypto_aes_ccm_encrypt(key, nonce, NULL, 4, buf, 8, buf, mic, 4), -EINVAL);
	ck_assert_int_eq(crypto_aes_ccm_encrypt(key, nonce, NULL, 0, NULL, 8, buf, mic, 4), -EINVAL);
	ck_assert_int_eq(crypto_aes_ccm_encrypt(NULL, nonce, NULL, 0, buf, 8, buf, mic, 4), -EINVAL);
	ck_assert_int_eq(crypto_aes_ccm_encrypt(key, nonce, NULL, 0, big, sizeof(big), big, mic, 4), -EINVAL);
	OK(crypto_aes_ccm_encrypt(key, nonce, NULL, 0, big, sizeof(big) - 1, big, mic, 4));
	OK(crypto_aes_ccm_decrypt(key, nonce, NULL, 0, big, sizeof(big) - 1, mic, 4, big));
	ck_assert_mem_eq(big, (uint8_t[64]){ 0 }, 64);
}
END_TEST

/* ---- mesh-provisioning.md §2: ECDH ---- */

START_TEST(test_ecdh_public_from_private)
{
	struct crypto_ecdh *prov = key_from_hex(PROV_PRIV);
	struct crypto_ecdh *dev = key_from_hex(DEV_PRIV);
	uint8_t pub[64];

	OK(crypto_ecdh_public(prov, pub));
	EXPECT_HEX(pub, 64, PROV_PUB);
	OK(crypto_ecdh_check_public(pub));
	OK(crypto_ecdh_public(dev, pub));
	EXPECT_HEX(pub, 64, DEV_PUB);
	OK(crypto_ecdh_check_public(pub));
	crypto_ecdh_free(prov);
	crypto_ecdh_free(dev);
}
END_TEST

START_TEST(test_ecdh_shared_both_sides)
{
	struct crypto_ecdh *prov = key_from_hex(PROV_PRIV);
	struct crypto_ecdh *dev = key_from_hex(DEV_PRIV);
	uint8_t prov_pub[64], dev_pub[64], s[32];

	hx_to(PROV_PUB, prov_pub, 64);
	hx_to(DEV_PUB, dev_pub, 64);
	OK(crypto_ecdh_shared(prov, dev_pub, s));
	EXPECT_HEX(s, 32, ECDH_SECRET);
	memset(s, 0, sizeof(s));
	OK(crypto_ecdh_shared(dev, prov_pub, s));
	EXPECT_HEX(s, 32, ECDH_SECRET);
	crypto_ecdh_free(prov);
	crypto_ecdh_free(dev);
}
END_TEST

START_TEST(test_ecdh_private_edge_cases)
{
	uint8_t priv[32], pub[64];
	struct crypto_ecdh *k = NULL;

	/* d = 1 gives the generator G */
	memset(priv, 0, 32);
	priv[31] = 1;
	OK(crypto_ecdh_from_private(priv, &k));
	OK(crypto_ecdh_public(k, pub));
	EXPECT_HEX(pub, 64,
		   "6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296"
		   "4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5");
	crypto_ecdh_free(k);
	k = NULL;

	/* d = n - 1 gives -G = (Gx, p - Gy) */
	hx_to("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632550", priv, 32);
	OK(crypto_ecdh_from_private(priv, &k));
	OK(crypto_ecdh_public(k, pub));
	EXPECT_HEX(pub, 64,
		   "6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296"
		   "b01cbd1c01e58065711814b583f061e9d431cca994cea1313449bf97c840ae0a");
	crypto_ecdh_free(k);
	k = NULL;

	/* d = 0, d = n and d > n are not private keys */
	memset(priv, 0, 32);
	ck_assert_int_eq(crypto_ecdh_from_private(priv, &k), -EINVAL);
	ck_assert_ptr_null(k);
	hx_to("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551", priv, 32);
	ck_assert_int_eq(crypto_ecdh_from_private(priv, &k), -EINVAL);
	memset(priv, 0xff, 32);
	ck_assert_int_eq(crypto_ecdh_from_private(priv, &k), -EINVAL);
	ck_assert_ptr_null(k);

	ck_assert_int_eq(crypto_ecdh_from_private(NULL, &k), -EINVAL);
	ck_assert_int_eq(crypto_ecdh_public(NULL, pub), -EINVAL);
	crypto_ecdh_free(NULL);
}
END_TEST

START_TEST(test_ecdh_generate)
{
	struct crypto_ecdh *a = NULL, *b = NULL;
	uint8_t apub[64], bpub[64], s1[32], s2[32];

	OK(crypto_ecdh_generate(&a));
	OK(crypto_ecdh_generate(&b));
	OK(crypto_ecdh_public(a, apub));
	OK(crypto_ecdh_public(b, bpub));
	ck_assert_int_ne(memcmp(apub, bpub, 64), 0);
	OK(crypto_ecdh_check_public(apub));
	OK(crypto_ecdh_check_public(bpub));
	OK(crypto_ecdh_shared(a, bpub, s1));
	OK(crypto_ecdh_shared(b, apub, s2));
	ck_assert_mem_eq(s1, s2, 32);
	ck_assert_int_ne(memcmp(s1, (uint8_t[32]){ 0 }, 32), 0);
	crypto_ecdh_free(a);
	crypto_ecdh_free(b);
}
END_TEST

/* (0, Y0) is a valid P-256 point (0^3 - 3*0 + b is a square mod p). */
#define P256_Y0 "66485c780e2f83d72433bd5d84a06bb6541c2af31dae871728bf856a174f93f4"

/* Invalid peer keys: all zero, Y with one byte flipped, coordinates >= p. */
static void bad_keys(uint8_t bad[4][64])
{
	memset(bad[0], 0, 64);
	hx_to(DEV_PUB, bad[1], 64);
	bad[1][63] ^= 0x01;
	memset(bad[2], 0xff, 64);
	/* (p, Y0): X = p is the non-canonical encoding of X = 0, and (0, Y0) is on the
	 * curve, so this is rejected only because the coordinate is not < p. */
	hx_to("ffffffff00000001000000000000000000000000ffffffffffffffffffffffff" P256_Y0, bad[3], 64);
}

START_TEST(test_ecdh_check_public_rejects)
{
	uint8_t bad[4][64], pub[64];

	bad_keys(bad);
	ERR_clear_error();
	for (int i = 0; i < 4; i++)
		ck_assert_msg(crypto_ecdh_check_public(bad[i]) == -EINVAL, "bad key %d accepted", i);
	/* An invalid peer key is an expected event: OpenSSL's error queue stays clean. */
	ck_assert_uint_eq(ERR_peek_error(), 0);
	/* X = 0 itself is fine: only the all-zero key is special. */
	hx_to("0000000000000000000000000000000000000000000000000000000000000000" P256_Y0, pub, 64);
	OK(crypto_ecdh_check_public(pub));
	/* A point with X flipped instead of Y is not on the curve either. */
	hx_to(PROV_PUB, pub, 64);
	pub[0] ^= 0x40;
	ck_assert_int_eq(crypto_ecdh_check_public(pub), -EINVAL);
	ck_assert_int_eq(crypto_ecdh_check_public(NULL), -EINVAL);
}
END_TEST

START_TEST(test_ecdh_shared_rejects_bad_peer)
{
	struct crypto_ecdh *prov = key_from_hex(PROV_PRIV);
	uint8_t bad[4][64], s[32];

	bad_keys(bad);
	for (int i = 0; i < 4; i++) {
		memset(s, 0xa5, sizeof(s));
		ck_assert_msg(crypto_ecdh_shared(prov, bad[i], s) == -EINVAL, "bad key %d accepted", i);
		for (int j = 0; j < 32; j++)
			ck_assert_uint_eq(s[j], 0xa5); /* secret untouched */
	}
	ck_assert_int_eq(crypto_ecdh_shared(NULL, bad[0], s), -EINVAL);
	/* The same point encoded canonically is accepted. */
	memset(bad[3], 0, 32);
	OK(crypto_ecdh_shared(prov, bad[3], s));
	crypto_ecdh_free(prov);
}
END_TEST

/* ---- mesh-provisioning.md §2: CMAC provisioning ---- */

/* Invite(1) || Capabilities(11) || Start(5) || PubKeyProv(64) || PubKeyDev(64), built
 * from the PDU parameters and the public keys derived from the private keys. */
static void build_conf_inputs(const char *caps, const char *start, uint8_t in[145])
{
	struct crypto_ecdh *prov = key_from_hex(PROV_PRIV);
	struct crypto_ecdh *dev = key_from_hex(DEV_PRIV);

	in[0] = 0x00;
	hx_to(caps, in + 1, 11);
	hx_to(start, in + 12, 5);
	OK(crypto_ecdh_public(prov, in + 17));
	OK(crypto_ecdh_public(dev, in + 81));
	crypto_ecdh_free(prov);
	crypto_ecdh_free(dev);
}

START_TEST(test_prov_cmac_confirmation)
{
	uint8_t inputs[145], secret[32], salt[16], t[16], ck[16], buf[32], out[16];

	build_conf_inputs(CAPS, START, inputs);
	EXPECT_HEX(inputs, 145,
		   "00010001000000000000000000000000002c31a47b5779809ef44cb5eaaf5c3e"
		   "43d5f8faad4a8794cb987e9b03745c78dd919512183898dfbecd52e2408e4387"
		   "1fd021109117bd3ed4eaf8437743715d4ff465e43ff23d3f1b9dc7dfc04da875"
		   "8184dbc966204796eccf0d6cf5e16500cc0201d048bcbbd899eeefc424164e33"
		   "c201c2b010ca6b4d43a8a155cad8ecb279");
	OK(crypto_s1(inputs, sizeof(inputs), salt));
	EXPECT_HEX(salt, 16, "5faabe187337c71cc6c973369dcaa79a");

	hx_to(ECDH_SECRET, secret, 32);
	OK(crypto_aes_cmac(salt, secret, 32, t));
	EXPECT_HEX(t, 16, "ace84c6f002e0b4c23467e75687bae8f");
	OK(crypto_k1(secret, 32, salt, (const uint8_t *)"prck", 4, ck));
	EXPECT_HEX(ck, 16, "e31fe046c68ec339c425fc6629f0336f");

	/* Confirmation = AES-CMAC(ConfKey, Random || AuthValue), AuthValue zero */
	hx_to(RAND_P, buf, 16);
	memset(buf + 16, 0, 16);
	OK(crypto_aes_cmac(ck, buf, 32, out));
	EXPECT_HEX(out, 16, CONF_P);
	hx_to(RAND_D, buf, 16);
	OK(crypto_aes_cmac(ck, buf, 32, out));
	EXPECT_HEX(out, 16, CONF_D);
}
END_TEST

START_TEST(test_prov_cmac_session)
{
	uint8_t pin[48], secret[32], psalt[16], skey[16], nonce16[16], dk[16];
	uint8_t data[25], enc[25], back[25], mic[8];

	hx_to("5faabe187337c71cc6c973369dcaa79a", pin, 16);
	hx_to(RAND_P, pin + 16, 16);
	hx_to(RAND_D, pin + 32, 16);
	EXPECT_HEX(pin, 48,
		   "5faabe187337c71cc6c973369dcaa79a8b19ac31d58b124c946209b5db1021b9"
		   "55a2a2bca04cd32ff6f346bd0a0c1a3a");
	OK(crypto_s1(pin, 48, psalt));
	EXPECT_HEX(psalt, 16, "a21c7d45f201cf9489a2fb57145015b4");

	hx_to(ECDH_SECRET, secret, 32);
	OK(crypto_k1(secret, 32, psalt, (const uint8_t *)"prsk", 4, skey));
	EXPECT_HEX(skey, 16, SESSION_KEY);
	OK(crypto_k1(secret, 32, psalt, (const uint8_t *)"prsn", 4, nonce16));
	EXPECT_HEX(nonce16 + 3, 13, SESSION_NONCE);
	OK(crypto_k1(secret, 32, psalt, (const uint8_t *)"prdk", 4, dk));
	EXPECT_HEX(dk, 16, DEVICE_KEY);

	hx_to(DATA_PLAIN, data, 25);
	OK(crypto_aes_ccm_encrypt(skey, nonce16 + 3, NULL, 0, data, 25, enc, mic, 8));
	EXPECT_HEX(enc, 25, DATA_ENC);
	EXPECT_HEX(mic, 8, DATA_MIC);

	OK(crypto_aes_ccm_decrypt(skey, nonce16 + 3, NULL, 0, enc, 25, mic, 8, back));
	EXPECT_HEX(back, 25, DATA_PLAIN);

	mic[0] ^= 0x01;
	memset(back, 0xee, sizeof(back));
	ck_assert_int_eq(crypto_aes_ccm_decrypt(skey, nonce16 + 3, NULL, 0, enc, 25, mic, 8, back), -EBADMSG);
	ck_assert_mem_eq(back, (uint8_t[25]){ 0 }, 25);
}
END_TEST

/* ---- mesh-provisioning.md §3: HMAC-SHA256 provisioning ---- */

#define H_CONF_SALT "a71141ba8cb6b40f4f52b622e1c091614c73fc308f871b78ca775e769bc3ae69"

START_TEST(test_prov_hmac)
{
	uint8_t inputs[145], n[64], salt[32], ck[32], rnd[32], out[32], pin[96];
	uint8_t psalt[16], skey[16], nonce16[16], dk[16], data[25], enc[25], back[25], mic[8];

	build_conf_inputs(H_CAPS, H_START, inputs);
	EXPECT_HEX(inputs, 145,
		   "00010003000100000000000001000100002c31a47b5779809ef44cb5eaaf5c3e43d5f8faad4a8794cb987e9b"
		   "03745c78dd919512183898dfbecd52e2408e43871fd021109117bd3ed4eaf8437743715d4ff465e43ff23d3f1b"
		   "9dc7dfc04da8758184dbc966204796eccf0d6cf5e16500cc0201d048bcbbd899eeefc424164e33c201c2b010ca"
		   "6b4d43a8a155cad8ecb279");
	OK(crypto_s2(inputs, sizeof(inputs), salt));
	EXPECT_HEX(salt, 32, H_CONF_SALT);

	/* k5(ECDHSecret || AuthValue, ConfSalt, "prck256") */
	hx_to(ECDH_SECRET, n, 32);
	hx_to(H_AUTH, n + 32, 32);
	OK(crypto_k5(n, 64, salt, (const uint8_t *)"prck256", 7, ck));
	EXPECT_HEX(ck, 32, "210c3c448152e8d59ef742aa7d22ee5ba59a38648bda6bf05c74f3e46fc2c0bb");

	hx_to(H_RAND_P, rnd, 32);
	OK(crypto_hmac_sha256(ck, 32, rnd, 32, out));
	EXPECT_HEX(out, 32, H_CONF_P);
	hx_to(H_RAND_D, rnd, 32);
	OK(crypto_hmac_sha256(ck, 32, rnd, 32, out));
	EXPECT_HEX(out, 32, H_CONF_D);

	hx_to(H_CONF_SALT, pin, 32);
	hx_to(H_RAND_P, pin + 32, 32);
	hx_to(H_RAND_D, pin + 64, 32);
	OK(crypto_s1(pin, 96, psalt));
	EXPECT_HEX(psalt, 16, "d1cb10ad8d51286067e348fc4b692122");
	OK(crypto_k1(n, 32, psalt, (const uint8_t *)"prsk", 4, skey));
	EXPECT_HEX(skey, 16, "df4a494da3d45405e402f1d6a6cea338");
	OK(crypto_k1(n, 32, psalt, (const uint8_t *)"prsn", 4, nonce16));
	EXPECT_HEX(nonce16, 16, "caee0611b987db2ae41fbb9e96b80446");
	EXPECT_HEX(nonce16 + 3, 13, "11b987db2ae41fbb9e96b80446");
	OK(crypto_k1(n, 32, psalt, (const uint8_t *)"prdk", 4, dk));
	EXPECT_HEX(dk, 16, H_DEVICE_KEY);

	hx_to(DATA_PLAIN, data, 25);
	OK(crypto_aes_ccm_encrypt(skey, nonce16 + 3, NULL, 0, data, 25, enc, mic, 8));
	EXPECT_HEX(enc, 25, H_DATA_ENC);
	EXPECT_HEX(mic, 8, H_DATA_MIC);
	OK(crypto_aes_ccm_decrypt(skey, nonce16 + 3, NULL, 0, enc, 25, mic, 8, back));
	EXPECT_HEX(back, 25, DATA_PLAIN);
}
END_TEST

START_TEST(test_s2_k5_definitions)
{
	static const uint8_t zero32[32];
	uint8_t a[32], b[32], t[32], salt[32];

	/* s2 is HMAC-SHA256 keyed with 32 zero octets */
	OK(crypto_s2((const uint8_t *)"abc", 3, a));
	OK(crypto_hmac_sha256(zero32, 32, (const uint8_t *)"abc", 3, b));
	ck_assert_mem_eq(a, b, 32);
	/* ... which is not SHA-256 alone */
	OK(crypto_sha256((const uint8_t *)"abc", 3, b));
	ck_assert_int_ne(memcmp(a, b, 32), 0);

	/* k5 = HMAC(HMAC(SALT, N), P), composed by hand */
	hx_to(H_CONF_SALT, salt, 32);
	OK(crypto_k5((const uint8_t *)"N", 1, salt, (const uint8_t *)"P", 1, a));
	OK(crypto_hmac_sha256(salt, 32, (const uint8_t *)"N", 1, t));
	OK(crypto_hmac_sha256(t, 32, (const uint8_t *)"P", 1, b));
	ck_assert_mem_eq(a, b, 32);
}
END_TEST

/* ---- mesh-provisioning.md §4: AliGenie ---- */

START_TEST(test_aligenie)
{
	static const char base[] = "0000025a,78da07c11ca8,1565d0497400c999e984cffa4da4fdf9";
	uint8_t mac[6], secret[16], rnd[16], out[16], out2[16], digest[32];
	char text[128];

	hx_to("78da07c11ca8", mac, 6);
	hx_to("1565d0497400c999e984cffa4da4fdf9", secret, 16);

	/* the documented string and its SHA-256 */
	OK(crypto_sha256((const uint8_t *)base, strlen(base), digest));
	EXPECT_HEX(digest, 32, "0447f0739b32e97b2454aa43e479002ebe588921446c28421ca62316627cb8e2");

	OK(crypto_aligenie_auth_value(602, mac, secret, 16, NULL, out));
	EXPECT_HEX(out, 16, "0447f0739b32e97b2454aa43e479002e");

	/* random-bound variant: SHA-256 of the string with ",<random hex>" appended */
	hx_to(RAND_P, rnd, 16);
	OK(crypto_aligenie_auth_value(602, mac, secret, 16, rnd, out2));
	snprintf(text, sizeof(text), "%s,%s", base, RAND_P);
	ck_assert_uint_eq(strlen(text), 54 + 1 + 32);
	OK(crypto_sha256((const uint8_t *)text, strlen(text), digest));
	ck_assert_mem_eq(out2, digest, 16);
	ck_assert_int_ne(memcmp(out, out2, 16), 0);

	/* upper-case hex would give a different value: the module must use lower case */
	snprintf(text, sizeof(text), "%s,%s", base, "8B19AC31D58B124C946209B5DB1021B9");
	OK(crypto_sha256((const uint8_t *)text, strlen(text), digest));
	ck_assert_int_ne(memcmp(out2, digest, 16), 0);

	/* the product id is zero-padded %08x */
	OK(crypto_aligenie_auth_value(0xabcdef12, mac, secret, 16, NULL, out));
	snprintf(text, sizeof(text), "abcdef12,78da07c11ca8,1565d0497400c999e984cffa4da4fdf9");
	OK(crypto_sha256((const uint8_t *)text, strlen(text), digest));
	ck_assert_mem_eq(out, digest, 16);

	ck_assert_int_eq(crypto_aligenie_auth_value(602, mac, secret, 0, NULL, out), -EINVAL);
	ck_assert_int_eq(crypto_aligenie_auth_value(602, mac, secret, 65, NULL, out), -EINVAL);
	ck_assert_int_eq(crypto_aligenie_auth_value(602, NULL, secret, 16, NULL, out), -EINVAL);
}
END_TEST

/* ---- misc ---- */

START_TEST(test_random)
{
	uint8_t a[32], b[32];

	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	OK(crypto_random(a, sizeof(a)));
	OK(crypto_random(b, sizeof(b)));
	ck_assert_int_ne(memcmp(a, b, 32), 0);
	ck_assert_int_ne(memcmp(a, (uint8_t[32]){ 0 }, 32), 0);
	OK(crypto_random(NULL, 0));
	ck_assert_int_eq(crypto_random(NULL, 4), -EINVAL);
}
END_TEST

START_TEST(test_invalid_args)
{
	uint8_t k[16] = { 1 }, out[32], nid, aid;

	ck_assert_int_eq(crypto_aes_cmac(NULL, k, 16, out), -EINVAL);
	ck_assert_int_eq(crypto_aes_cmac(k, NULL, 16, out), -EINVAL);
	ck_assert_int_eq(crypto_aes_cmac(k, k, 16, NULL), -EINVAL);
	ck_assert_int_eq(crypto_s1(NULL, 1, out), -EINVAL);
	ck_assert_int_eq(crypto_k1(k, 16, NULL, k, 4, out), -EINVAL);
	ck_assert_int_eq(crypto_k1(NULL, 16, k, k, 4, out), -EINVAL);
	ck_assert_int_eq(crypto_k2(k, k, 0, &nid, out, out + 16), -EINVAL);
	ck_assert_int_eq(crypto_k2(k, NULL, 1, &nid, out, out + 16), -EINVAL);
	ck_assert_int_eq(crypto_k2(NULL, k, 1, &nid, out, out + 16), -EINVAL);
	ck_assert_int_eq(crypto_k3(NULL, out), -EINVAL);
	ck_assert_int_eq(crypto_k4(k, NULL), -EINVAL);
	ck_assert_int_eq(crypto_k4(NULL, &aid), -EINVAL);
	ck_assert_int_eq(crypto_aes_ecb(k, NULL, out), -EINVAL);
	ck_assert_int_eq(crypto_sha256(NULL, 3, out), -EINVAL);
	ck_assert_int_eq(crypto_hmac_sha256(NULL, 3, k, 3, out), -EINVAL);
	ck_assert_int_eq(crypto_s2(k, 3, NULL), -EINVAL);
	ck_assert_int_eq(crypto_k5(k, 16, NULL, k, 3, out), -EINVAL);
	ck_assert_int_eq(crypto_ecdh_generate(NULL), -EINVAL);

	/* Empty inputs are valid: k1 with empty P is CMAC(T, "") */
	OK(crypto_k1(NULL, 0, k, NULL, 0, out));
	OK(crypto_hmac_sha256(NULL, 0, NULL, 0, out));
	EXPECT_HEX(out, 32, "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
	OK(crypto_s1(NULL, 0, out));
	ck_assert_int_ne(memcmp(out, zero16, 16), 0);
}
END_TEST

static Suite *crypto_suite(void)
{
	Suite *s = suite_create("crypto");
	TCase *tc;

	tc = tcase_create("primitives");
	tcase_add_test(tc, test_aes_cmac_rfc4493);
	tcase_add_test(tc, test_aes_ecb);
	tcase_add_test(tc, test_sha256_hmac);
	tcase_add_test(tc, test_random);
	tcase_add_test(tc, test_invalid_args);
	suite_add_tcase(s, tc);

	tc = tcase_create("kdf");
	tcase_add_test(tc, test_s1_k1);
	tcase_add_test(tc, test_k2_k3_k4);
	tcase_add_test(tc, test_network_keys);
	tcase_add_test(tc, test_s2_k5_definitions);
	suite_add_tcase(s, tc);

	tc = tcase_create("ccm");
	tcase_add_test(tc, test_ccm_network_vectors);
	tcase_add_test(tc, test_ccm_roundtrip_and_limits);
	suite_add_tcase(s, tc);

	tc = tcase_create("ecdh");
	tcase_add_test(tc, test_ecdh_public_from_private);
	tcase_add_test(tc, test_ecdh_shared_both_sides);
	tcase_add_test(tc, test_ecdh_private_edge_cases);
	tcase_add_test(tc, test_ecdh_generate);
	tcase_add_test(tc, test_ecdh_check_public_rejects);
	tcase_add_test(tc, test_ecdh_shared_rejects_bad_peer);
	suite_add_tcase(s, tc);

	tc = tcase_create("provisioning");
	tcase_add_test(tc, test_prov_cmac_confirmation);
	tcase_add_test(tc, test_prov_cmac_session);
	tcase_add_test(tc, test_prov_hmac);
	tcase_add_test(tc, test_aligenie);
	suite_add_tcase(s, tc);

	return s;
}

CHECK_MAIN(crypto_suite)
