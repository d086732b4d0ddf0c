/* Network layer (net.h): key derivation, Network PDU encryption and
 * decryption, replay protection, Secure Network Beacons.
 *
 * The vectors are copied from shared/vectors/mesh-network.md (Mesh Profile
 * 1.0.1 §8 sample data): §2 keys, §3 messages #1-#24, §4 beacons, §7 (computed
 * there only, no published reference). Malformed-but-authentic PDUs are made
 * with ref_encrypt() below, an independent implementation on crypto.h that
 * checks nothing; it is itself checked against the vectors first. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "crypto.h"
#include "net.h"
#include "testhex.h"
#include "util.h"

#define OK(expr) ck_assert_int_eq((expr), 0)

#define NETKEY "7dd7364cd842ad18c17c2b820c84c3d6"
#define IV_A 0x12345678u
#define IV_B 0x12345677u /* Messages #20-#24: IVI 1 */

enum cred { MASTER, FRIEND };

struct vec {
	const char *name;
	enum cred cred;
	bool ctl;
	uint8_t ttl;
	uint32_t seq;
	uint16_t src, dst;
	uint32_t iv;
	const char *transport; /* LowerTransportPDU */
	const char *nonce;     /* network nonce, when the source prints it */
	const char *pdu;       /* NetworkPDU */
};

/* mesh-network.md §3 (and §3.6's table), §8 erratum 1 (#16: NetworkPDU is the
 * oracle), §7 (the last three). */
static const struct vec vecs[] = {
	{ "#1 Friend Request (CTL, 64-bit NetMIC)", MASTER, true, 0x00, 0x000001, 0x1201, 0xfffd, IV_A,
	  "034b50057e400000010000", "00800000011201000012345678",
	  "68eca487516765b5e5bfdacbaf6cb7fb6bff871f035444ce83a670df" },
	{ "#2 Friend Offer", MASTER, true, 0x00, 0x014820, 0x2345, 0x1201, IV_A, "04320308ba072f", NULL,
	  "68d4c826296d7979d7dbc0c9b4d43eebec129d20a620d01e" },
	{ "#3 Friend Offer", MASTER, true, 0x00, 0x2b3832, 0x2fe3, 0x1201, IV_A, "04fa0205a6000a", NULL,
	  "68da062bc96df253273086b8c5ee00bdd9cfcc62a2ddf572" },
	{ "#4 Friend Poll", FRIEND, true, 0x00, 0x000002, 0x1201, 0x2345, IV_A, "0100", NULL,
	  "5e84eba092380fb0e5d0ad970d579a4e88051c" },
	{ "#5 Friend Update", FRIEND, true, 0x00, 0x014834, 0x2345, 0x1201, IV_A, "02001234567800", NULL,
	  "5eafd6f53c43db5c39da1792b1fee9ec74b786c56d3a9dee" },
	{ "#6 AppKey Add segment 0", MASTER, false, 0x04, 0x3129ab, 0x0003, 0x1201, IV_A,
	  "8026ac01ee9dddfd2169326d23f3afdf", "00043129ab0003000012345678",
	  "68cab5c5348a230afba8c63d4e686364979deaf4fd40961145939cda0e" },
	{ "#6 AppKey Add segment 1", MASTER, false, 0x04, 0x3129ac, 0x0003, 0x1201, IV_A,
	  "8026ac21cfdc18c52fdef772e0e17308", "00043129ac0003000012345678",
	  "681615b5dd4a846cae0c032bf0746f44f1b8cc8ce5edc57e55beed49c0" },
	{ "#7 Segment Ack", MASTER, true, 0x0b, 0x014835, 0x2345, 0x0003, IV_A, "00a6ac00000002",
	  "008b0148352345000012345678", "68e476b5579c980d0d730f94d7f3509df987bb417eb7c05f" },
	{ "#8 segment 0 resent", MASTER, false, 0x04, 0x3129ad, 0x0003, 0x1201, IV_A,
	  "8026ac01ee9dddfd2169326d23f3afdf", "00043129ad0003000012345678",
	  "684daa6267c2cf0e2f91add6f06e66006844cec97f973105ae2534f958" },
	{ "#9 Segment Ack", MASTER, true, 0x0b, 0x014836, 0x2345, 0x0003, IV_A, "00a6ac00000003", NULL,
	  "68aec467ed4901d85d806bbed248614f938067b0d983bb7b" },
	{ "#10 Friend Poll", FRIEND, true, 0x00, 0x000003, 0x1201, 0x2345, IV_A, "0101", NULL,
	  "5e7b786568759f7777ed355afaf66d899c1e3d" },
	{ "#11 segment 0 to the LPN", FRIEND, false, 0x03, 0x3129ad, 0x0003, 0x1201, IV_A,
	  "8026ac01ee9dddfd2169326d23f3afdf", NULL,
	  "5ee66b087cfb5fd5e708a20ecfd98ddfd32de80befb400213d98468322" },
	{ "#12 Friend Poll", FRIEND, true, 0x00, 0x000004, 0x1201, 0x2345, IV_A, "0101", NULL,
	  "5e8a18fc6e4d05ae21466087599c2426ce9a35" },
	{ "#14 Friend Poll", FRIEND, true, 0x00, 0x000005, 0x1201, 0x2345, IV_A, "0100", NULL,
	  "5e0bbaf92b5c8f7d3ae62a3c75dff683dce24e" },
	{ "#15 segment 1 to the LPN", FRIEND, false, 0x03, 0x3129ac, 0x0003, 0x1201, IV_A,
	  "8026ac21cfdc18c52fdef772e0e17308", NULL,
	  "5ea8dab50e7ee7f1d29805664d235eacd707217dedfe78497fefec7391" },
	{ "#16 AppKey Status", MASTER, false, 0x0b, 0x000006, 0x1201, 0x0003, IV_A, "0089511bf1d1a81c11dcef",
	  "000b0000061201000012345678", "68e80e5da5af0e6b9be7f5a642f2f98680e61c3a8b47f228" },
	{ "#17 AppKey Status relayed", MASTER, false, 0x0a, 0x000006, 0x1201, 0x0003, IV_A,
	  "0089511bf1d1a81c11dcef", "000a0000061201000012345678",
	  "68b2bd2c1e1b6f2a80d381b91f824dd4f0a3cd54cea23b7a" },
	{ "#18 Health Current Status", MASTER, false, 0x03, 0x000007, 0x1201, 0xffff, IV_A,
	  "665a8bde6d9106ea078a", "00030000071201000012345678",
	  "6848cba437860e5673728a627fb938535508e21a6baf57" },
	{ "#19", MASTER, false, 0x03, 0x000009, 0x1201, 0xffff, IV_A, "66ca6cd88e698d1265f43fc5", NULL,
	  "68110edeecd83c3010a05e1b23a926023da75d25ba91793736" },
	{ "#20", MASTER, false, 0x03, 0x070809, 0x1234, 0xffff, IV_B, "669c9803e110fea929e9542d", NULL,
	  "e85cca51e2e8998c3dc87344a16c787f6b08cc897c941a5368" },
	{ "#21 group c105", MASTER, false, 0x03, 0x07080a, 0x1234, 0xc105, IV_B, "664d92e9dfcf3ab85b6e8fcf03",
	  NULL, "e84e8fbe003f58a4d61157bb76352ea6307eebfe0f30b83500e9" },
	{ "#22 virtual b529", MASTER, false, 0x03, 0x07080b, 0x1234, 0xb529, IV_B, "663871b904d431526316ca48a0",
	  "000307080b1234000012345677", "e8d85caecef1e3ed31f3fdcf88a411135fea55df730b6b28e255" },
	{ "#23 virtual 9736", MASTER, false, 0x03, 0x07080c, 0x1234, 0x9736, IV_B, "662456db5e3100eef65daa7a38",
	  NULL, "e877a48dd5fe2d7a9d696d3dd16a75489696f0b70c711b881385" },
	{ "#24 segment 0", MASTER, false, 0x03, 0x07080d, 0x1234, 0x9736, IV_B, "e6a03401c3c51d8e476b28e3aa5001f3",
	  NULL, "e8624e65bb8c1794e998b4081f47a35251fdd3896d99e4db489b918599" },
	{ "#24 segment 1", MASTER, false, 0x03, 0x07080e, 0x1234, 0x9736, IV_B, "e6a034211c01cea6", NULL,
	  "e8a7d0f0a2ea42dc2f4dd6fb4db33a6c088d023b47" },
	{ "§7 Composition Data Get", MASTER, false, 0x04, 0x3129b0, 0x0003, 0x1201, IV_A, "00fefb78dfe2ac6b", NULL,
	  "68f30c11daa2160204a87ca90ee62c27654bf286e4" },
	{ "§7 Model App Bind", MASTER, false, 0x04, 0x3129b1, 0x0003, 0x1201, IV_A, "004631daa8381c2e6dfe6900a6",
	  NULL, "686352bb3e91af6d500d75d8bea4f8bb0da8e547de135260d7cb" },
	{ "§7 Node Reset", MASTER, false, 0x04, 0x3129b2, 0x0003, 0x1201, IV_A, "0071cbce2e77c9", NULL,
	  "6817181fd2cb0805025e33ba1566695878df000e" },
};

/* keys[MASTER]: the §2 NetKey; keys[FRIEND]: its §8.2.3 friendship credentials. */
static struct net_keys keys[2];

static void setup_keys(void)
{
	static const uint8_t p_friend[9] = { 0x01, 0x12, 0x01, 0x23, 0x45, 0x00, 0x00, 0x07, 0x2f };
	uint8_t nk[16];

	hx_to(NETKEY, nk, 16);
	OK(net_keys_derive(nk, 0, &keys[MASTER]));
	keys[FRIEND] = keys[MASTER];
	OK(crypto_k2(nk, p_friend, sizeof(p_friend), &keys[FRIEND].nid, keys[FRIEND].enc_key,
		     keys[FRIEND].privacy_key));
}

static struct net_hdr vec_hdr(const struct vec *v)
{
	struct net_hdr h = { .ctl = v->ctl, .ttl = v->ttl, .seq = v->seq, .src = v->src, .dst = v->dst,
			     .iv_index = v->iv };
	return h;
}

static void assert_hdr_eq(const struct net_hdr *got, const struct net_hdr *want)
{
	ck_assert_int_eq(got->ctl, want->ctl);
	ck_assert_uint_eq(got->ttl, want->ttl);
	ck_assert_uint_eq(got->seq, want->seq);
	ck_assert_uint_eq(got->src, want->src);
	ck_assert_uint_eq(got->dst, want->dst);
	ck_assert_uint_eq(got->iv_index, want->iv_index);
}

/* An independent network-layer encryption (mesh-network.md §0) that accepts
 * any field values, for PDUs net_encrypt() refuses to make. Returns the length. */
static size_t ref_encrypt(const struct net_keys *k, bool ctl, uint8_t ttl, uint32_t seq, uint16_t src, uint16_t dst,
			  uint32_t iv, const uint8_t *transport, size_t tlen, uint8_t out[40])
{
	uint8_t nonce[13] = { 0x00, (uint8_t)((ctl ? 0x80 : 0) | ttl), (uint8_t)(seq >> 16), (uint8_t)(seq >> 8),
			      (uint8_t)seq, (uint8_t)(src >> 8), (uint8_t)src, 0, 0, (uint8_t)(iv >> 24),
			      (uint8_t)(iv >> 16), (uint8_t)(iv >> 8), (uint8_t)iv };
	uint8_t plain[32], block[16] = { 0 };
	size_t mic = ctl ? 8 : 4;

	ck_assert_uint_le(tlen, 20);
	plain[0] = (uint8_t)(dst >> 8);
	plain[1] = (uint8_t)dst;
	memcpy(plain + 2, transport, tlen);
	OK(crypto_aes_ccm_encrypt(k->enc_key, nonce, NULL, 0, plain, 2 + tlen, out + 7, out + 9 + tlen, mic));
	memcpy(block + 5, nonce + 9, 4);
	memcpy(block + 9, out + 7, 7);
	OK(crypto_aes_ecb(k->privacy_key, block, block));
	out[0] = (uint8_t)((iv & 1) << 7 | k->nid);
	for (int i = 0; i < 6; i++)
		out[1 + i] = nonce[1 + i] ^ block[i];
	return 9 + tlen + mic;
}

/* ---- keys ---- */

START_TEST(test_keys_derive)
{
	struct net_keys k;
	uint8_t nk[16];

	hx_to(NETKEY, nk, 16);
	memset(&k, 0xa5, sizeof(k));
	OK(net_keys_derive(nk, 0x123, &k));
	ck_assert_uint_eq(k.index, 0x123);
	ck_assert_mem_eq(k.net_key, nk, 16);
	ck_assert_uint_eq(k.nid, 0x68); /* §8.2.2 */
	EXPECT_HEX(k.enc_key, 16, "0953fa93e7caac9638f58820220a398e");
	EXPECT_HEX(k.privacy_key, 16, "8b84eedec100067d670971dd2aa700cf");
	EXPECT_HEX(k.network_id, 8, "3ecaff672f673370");   /* §8.2.4 */
	EXPECT_HEX(k.beacon_key, 16, "5423d967da639a99cb02231a83f7d254"); /* §8.2.6 */

	/* §1: k2 master and k3 of N = f7a2... */
	hx_to("f7a2a44f8e8a8029064f173ddc1e2b00", nk, 16);
	OK(net_keys_derive(nk, 0, &k));
	ck_assert_uint_eq(k.nid, 0x7f);
	EXPECT_HEX(k.enc_key, 16, "9f589181a0f50de73c8070c7a6d27f46");
	EXPECT_HEX(k.privacy_key, 16, "4c715bd4a64b938f99b453351653124f");
	EXPECT_HEX(k.network_id, 8, "ff046958233db014");

	ck_assert_int_eq(net_keys_derive(NULL, 0, &k), -EINVAL);
	ck_assert_int_eq(net_keys_derive(nk, 0, NULL), -EINVAL);
}
END_TEST

START_TEST(test_friend_keys)
{
	/* §8.2.3: LPN 1201, Friend 2345, LPNCounter 0000, FriendCounter 072f */
	ck_assert_uint_eq(keys[FRIEND].nid, 0x5e);
	EXPECT_HEX(keys[FRIEND].enc_key, 16, "be635105434859f484fc798e043ce40e");
	EXPECT_HEX(keys[FRIEND].privacy_key, 16, "5d396d4b54d3cbafe943e051fe9a4eb8");
}
END_TEST

/* ---- nonce ---- */

START_TEST(test_nonce)
{
	unsigned n = 0;

	for (size_t i = 0; i < ARRAY_SIZE(vecs); i++) {
		struct net_hdr h = vec_hdr(&vecs[i]);
		uint8_t nonce[NET_NONCE_LEN];

		if (!vecs[i].nonce)
			continue;
		net_nonce(&h, nonce);
		assert_hex_at("nonce of vector", (unsigned)i, nonce, sizeof(nonce), vecs[i].nonce);
		n++;
	}
	ck_assert_uint_eq(n, 9);
}
END_TEST

/* ---- one vector at a time (loop tests over vecs[]) ---- */

/* The reference encryption reproduces the vector (so it can be trusted below). */
START_TEST(test_ref_encrypt)
{
	const struct vec *v = &vecs[_i];
	struct bytes t = hx(v->transport);
	uint8_t out[40];
	size_t len = ref_encrypt(&keys[v->cred], v->ctl, v->ttl, v->seq, v->src, v->dst, v->iv, t.b, t.len, out);

	assert_hex_at("ref_encrypt vector", (unsigned)_i, out, len, v->pdu);
}
END_TEST

START_TEST(test_encrypt_vector)
{
	const struct vec *v = &vecs[_i];
	struct net_hdr h = vec_hdr(v);
	struct bytes t = hx(v->transport);
	uint8_t out[NET_MAX_PDU];
	size_t len = 0;

	memset(out, 0xee, sizeof(out));
	OK(net_encrypt(&keys[v->cred], &h, t.b, t.len, out, &len));
	assert_hex_at("net_encrypt vector", (unsigned)_i, out, len, v->pdu);
	ck_assert_uint_eq(len, 9 + t.len + (v->ctl ? 8 : 4));

	/* in place: out may be the transport buffer */
	memcpy(out, t.b, t.len);
	OK(net_encrypt(&keys[v->cred], &h, out, t.len, out, &len));
	assert_hex_at("net_encrypt in place, vector", (unsigned)_i, out, len, v->pdu);
}
END_TEST

START_TEST(test_decrypt_vector)
{
	const struct vec *v = &vecs[_i];
	struct net_hdr want = vec_hdr(v), h;
	struct bytes p = hx(v->pdu), t = hx(v->transport);
	const struct net_keys *used = NULL;
	uint8_t transport[NET_MAX_TRANSPORT];
	size_t tlen = 0;
	uint8_t *pdu = exact_copy(p.b, p.len);

	/* the IV Index itself */
	memset(&h, 0xa5, sizeof(h));
	OK(net_decrypt(keys, 2, v->iv, pdu, p.len, &h, &used, transport, &tlen));
	assert_hdr_eq(&h, &want);
	ck_assert_ptr_eq(used, &keys[v->cred]);
	assert_hex_at("transport of vector", (unsigned)_i, transport, tlen, v->transport);
	ck_assert_uint_eq(tlen, t.len);

	/* one higher: the IVI bit selects iv_index - 1 */
	memset(&h, 0xa5, sizeof(h));
	used = NULL;
	OK(net_decrypt(keys, 2, v->iv + 1, pdu, p.len, &h, &used, transport, &tlen));
	assert_hdr_eq(&h, &want);
	ck_assert_uint_eq(h.iv_index, v->iv);
	ck_assert_ptr_eq(used, &keys[v->cred]);
	assert_hex_at("transport (IV + 1) of vector", (unsigned)_i, transport, tlen, v->transport);

	/* the key pointer is optional */
	OK(net_decrypt(keys, 2, v->iv, pdu, p.len, &h, NULL, transport, &tlen));
	assert_hdr_eq(&h, &want);

	/* two higher: same IVI, wrong IV Index; and one lower */
	ck_assert_int_eq(net_decrypt(keys, 2, v->iv + 2, pdu, p.len, &h, &used, transport, &tlen), -ENOKEY);
	ck_assert_int_eq(net_decrypt(keys, 2, v->iv - 1, pdu, p.len, &h, &used, transport, &tlen), -ENOKEY);

	/* only the other credentials: no NID matches */
	ck_assert_int_eq(net_decrypt(&keys[v->cred == MASTER ? FRIEND : MASTER], 1, v->iv, pdu, p.len, &h, &used,
				     transport, &tlen),
			 -ENOKEY);
	ck_assert_int_eq(net_decrypt(keys, 0, v->iv, pdu, p.len, &h, &used, transport, &tlen), -ENOKEY);
	free(pdu);
}
END_TEST

/* Two keys with the vector's NID: the first one (another NetKey) fails, the second works. */
START_TEST(test_decrypt_shared_nid)
{
	const struct vec *v = &vecs[_i];
	struct net_hdr want = vec_hdr(v), h;
	struct bytes p = hx(v->pdu);
	struct net_keys two[3];
	const struct net_keys *used = NULL;
	uint8_t transport[NET_MAX_TRANSPORT], other[16];
	size_t tlen;
	int ret;

	hx_to("00112233445566778899aabbccddeeff", other, 16);
	OK(net_keys_derive(other, 7, &two[0]));
	two[0].nid = keys[v->cred].nid; /* a NID collision */
	two[1] = keys[v->cred];
	two[2] = two[0];

	OK(net_decrypt(two, 3, v->iv, p.b, p.len, &h, &used, transport, &tlen));
	ck_assert_ptr_eq(used, &two[1]);
	assert_hdr_eq(&h, &want);
	assert_hex_at("transport (shared NID) of vector", (unsigned)_i, transport, tlen, v->transport);

	/* the impostor alone: never authenticates; a PDU of 18 octets or more has
	 * room for either CTL, so it cannot be malformed by length either */
	ret = net_decrypt(two, 1, v->iv, p.b, p.len, &h, &used, transport, &tlen);
	if (p.len >= 18)
		ck_assert_int_eq(ret, -ENOKEY);
	else
		ck_assert(ret == -ENOKEY || ret == -EBADMSG);
}
END_TEST

/* Every single-bit flip is refused, and leaves the outputs untouched. */
START_TEST(test_decrypt_tampered)
{
	const struct vec *v = &vecs[_i];
	struct bytes p = hx(v->pdu);

	for (size_t bit = 0; bit < p.len * 8; bit++) {
		struct net_hdr h, h0;
		const struct net_keys *used = NULL;
		uint8_t transport[NET_MAX_TRANSPORT], t0[NET_MAX_TRANSPORT];
		size_t tlen = 99;
		uint8_t *pdu = exact_copy(p.b, p.len);
		int ret;

		pdu[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		memset(&h, 0x5a, sizeof(h));
		h0 = h;
		memset(transport, 0x5a, sizeof(transport));
		memcpy(t0, transport, sizeof(t0));
		ret = net_decrypt(keys, 2, v->iv, pdu, p.len, &h, &used, transport, &tlen);
		ck_assert_msg(ret == -ENOKEY || ret == -EBADMSG, "vector %d bit %zu: %d", _i, bit, ret);
		if (p.len >= 18)
			ck_assert_msg(ret == -ENOKEY, "vector %d bit %zu: %d", _i, bit, ret);
		ck_assert_mem_eq(&h, &h0, sizeof(h));
		ck_assert_mem_eq(transport, t0, sizeof(t0));
		ck_assert_uint_eq(tlen, 99);
		ck_assert_ptr_null(used);
		free(pdu);
	}
}
END_TEST

/* Every truncation, and one octet more, is refused (ASan sees any overread). */
START_TEST(test_decrypt_truncated)
{
	const struct vec *v = &vecs[_i];
	struct bytes p = hx(v->pdu);
	struct net_hdr h;
	uint8_t transport[NET_MAX_TRANSPORT];
	size_t tlen;

	for (size_t n = 0; n <= p.len + 1; n++) {
		uint8_t *pdu = exact_copy(p.b, n <= p.len ? n : p.len);
		uint8_t *longer = NULL;
		int ret;

		if (n > p.len) {
			longer = malloc(n);
			ck_assert_ptr_nonnull(longer);
			memcpy(longer, p.b, p.len);
			longer[p.len] = 0x00;
			free(pdu);
			pdu = longer;
		}
		ret = net_decrypt(keys, 2, v->iv, pdu, n, &h, NULL, transport, &tlen);
		if (n == p.len)
			ck_assert_int_eq(ret, 0);
		else if (n < NET_MIN_PDU || n > NET_MAX_PDU)
			ck_assert_msg(ret == -EBADMSG, "vector %d length %zu: %d", _i, n, ret);
		else
			ck_assert_msg(ret == -ENOKEY || ret == -EBADMSG, "vector %d length %zu: %d", _i, n, ret);
		free(pdu);
	}
}
END_TEST

/* ---- malformed but authentic PDUs ---- */

START_TEST(test_decrypt_bad_addresses)
{
	static const uint16_t bad_src[] = { 0x0000, 0x8000, 0xb529, 0xc000, 0xc105, 0xfffd, 0xffff };
	const uint8_t transport_in[4] = { 0x00, 0x01, 0x02, 0x03 };
	uint8_t pdu[40], transport[NET_MAX_TRANSPORT];
	struct net_hdr h;
	size_t len, tlen;

	for (size_t i = 0; i < ARRAY_SIZE(bad_src); i++) {
		for (int ctl = 0; ctl <= 1; ctl++) {
			len = ref_encrypt(&keys[MASTER], ctl, 5, 0x10 + i, bad_src[i], 0x1201, IV_A, transport_in, 4,
					  pdu);
			ck_assert_int_eq(net_decrypt(keys, 2, IV_A, pdu, len, &h, NULL, transport, &tlen), -EBADMSG);
		}
	}
	/* DST unassigned */
	len = ref_encrypt(&keys[MASTER], false, 5, 0x20, 0x1201, 0x0000, IV_A, transport_in, 4, pdu);
	ck_assert_int_eq(net_decrypt(keys, 2, IV_A, pdu, len, &h, NULL, transport, &tlen), -EBADMSG);

	/* the same fields made valid do decrypt (the PDUs above differ only there) */
	len = ref_encrypt(&keys[MASTER], false, 5, 0x20, 0x1201, 0x0001, IV_A, transport_in, 4, pdu);
	OK(net_decrypt(keys, 2, IV_A, pdu, len, &h, NULL, transport, &tlen));
	ck_assert_uint_eq(h.src, 0x1201);
	ck_assert_uint_eq(h.dst, 0x0001);
	ck_assert_uint_eq(tlen, 4);
	ck_assert_mem_eq(transport, transport_in, 4);
}
END_TEST

START_TEST(test_decrypt_bad_lengths)
{
	uint8_t big[20], pdu[40], transport[NET_MAX_TRANSPORT];
	struct net_hdr h;
	size_t len, tlen;

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(0x30 + i);
	/* an empty transport PDU: 13 octets (CTL=0), 17 (CTL=1, authentic but no room) */
	len = ref_encrypt(&keys[MASTER], false, 1, 1, 0x1201, 0x0003, IV_A, big, 0, pdu);
	ck_assert_uint_eq(len, 13);
	ck_assert_int_eq(net_decrypt(keys, 2, IV_A, pdu, len, &h, NULL, transport, &tlen), -EBADMSG);
	len = ref_encrypt(&keys[MASTER], true, 1, 2, 0x1201, 0x0003, IV_A, big, 0, pdu);
	ck_assert_uint_eq(len, 17);
	ck_assert_int_eq(net_decrypt(keys, 2, IV_A, pdu, len, &h, NULL, transport, &tlen), -EBADMSG);
	/* one octet over the limit: 17 octets with CTL=0, 13 with CTL=1: 30 octets */
	len = ref_encrypt(&keys[MASTER], false, 1, 3, 0x1201, 0x0003, IV_A, big, 17, pdu);
	ck_assert_uint_eq(len, 30);
	ck_assert_int_eq(net_decrypt(keys, 2, IV_A, pdu, len, &h, NULL, transport, &tlen), -EBADMSG);
	len = ref_encrypt(&keys[MASTER], true, 1, 4, 0x1201, 0x0003, IV_A, big, 13, pdu);
	ck_assert_uint_eq(len, 30);
	ck_assert_int_eq(net_decrypt(keys, 2, IV_A, pdu, len, &h, NULL, transport, &tlen), -EBADMSG);
	/* the limits themselves: 1 and 16 (CTL=0), 1 and 12 (CTL=1) */
	len = ref_encrypt(&keys[MASTER], false, 1, 5, 0x1201, 0x0003, IV_A, big, 1, pdu);
	ck_assert_uint_eq(len, NET_MIN_PDU);
	OK(net_decrypt(keys, 2, IV_A, pdu, len, &h, NULL, transport, &tlen));
	ck_assert_uint_eq(tlen, 1);
	len = ref_encrypt(&keys[MASTER], false, 1, 6, 0x1201, 0x0003, IV_A, big, 16, pdu);
	OK(net_decrypt(keys, 2, IV_A, pdu, len, &h, NULL, transport, &tlen));
	ck_assert_uint_eq(tlen, 16);
	ck_assert_mem_eq(transport, big, 16);
	len = ref_encrypt(&keys[MASTER], true, 1, 7, 0x1201, 0x0003, IV_A, big, 1, pdu);
	ck_assert_uint_eq(len, 18);
	OK(net_decrypt(keys, 2, IV_A, pdu, len, &h, NULL, transport, &tlen));
	ck_assert(h.ctl);
	ck_assert_uint_eq(tlen, 1);
	len = ref_encrypt(&keys[MASTER], true, 1, 8, 0x1201, 0x0003, IV_A, big, 12, pdu);
	ck_assert_uint_eq(len, NET_MAX_PDU);
	OK(net_decrypt(keys, 2, IV_A, pdu, len, &h, NULL, transport, &tlen));
	ck_assert_uint_eq(tlen, 12);
	ck_assert_mem_eq(transport, big, 12);
}
END_TEST

START_TEST(test_decrypt_args)
{
	struct bytes p = hx(vecs[0].pdu);
	uint8_t transport[NET_MAX_TRANSPORT];
	struct net_hdr h;
	size_t tlen;

	ck_assert_int_eq(net_decrypt(NULL, 1, IV_A, p.b, p.len, &h, NULL, transport, &tlen), -EINVAL);
	ck_assert_int_eq(net_decrypt(keys, 2, IV_A, NULL, p.len, &h, NULL, transport, &tlen), -EINVAL);
	ck_assert_int_eq(net_decrypt(keys, 2, IV_A, p.b, p.len, NULL, NULL, transport, &tlen), -EINVAL);
	ck_assert_int_eq(net_decrypt(keys, 2, IV_A, p.b, p.len, &h, NULL, NULL, &tlen), -EINVAL);
	ck_assert_int_eq(net_decrypt(keys, 2, IV_A, p.b, p.len, &h, NULL, transport, NULL), -EINVAL);
	ck_assert_int_eq(net_decrypt(NULL, 0, IV_A, p.b, p.len, &h, NULL, transport, &tlen), -ENOKEY);
}
END_TEST

/* IVI 1 with IV Index 0: there is no IV Index -1 to try. */
START_TEST(test_decrypt_iv_zero)
{
	const uint8_t t[2] = { 0x01, 0x00 };
	struct net_hdr h = { .ctl = true, .ttl = 0, .seq = 1, .src = 0x1201, .dst = 0x2345, .iv_index = 1 };
	uint8_t pdu[NET_MAX_PDU], transport[NET_MAX_TRANSPORT];
	size_t len, tlen;

	OK(net_encrypt(&keys[MASTER], &h, t, 2, pdu, &len));
	ck_assert_uint_eq(pdu[0], 0x80 | 0x68);
	ck_assert_int_eq(net_decrypt(keys, 2, 0, pdu, len, &h, NULL, transport, &tlen), -ENOKEY);
	OK(net_decrypt(keys, 2, 1, pdu, len, &h, NULL, transport, &tlen));
	OK(net_decrypt(keys, 2, 2, pdu, len, &h, NULL, transport, &tlen));
	ck_assert_uint_eq(h.iv_index, 1);
	/* and IVI 0 at IV Index 0 */
	h.iv_index = 0;
	OK(net_encrypt(&keys[MASTER], &h, t, 2, pdu, &len));
	ck_assert_uint_eq(pdu[0], 0x68);
	OK(net_decrypt(keys, 2, 0, pdu, len, &h, NULL, transport, &tlen));
	ck_assert_uint_eq(h.iv_index, 0);
	OK(net_decrypt(keys, 2, 1, pdu, len, &h, NULL, transport, &tlen));
	ck_assert_uint_eq(h.iv_index, 0);
}
END_TEST

/* ---- net_encrypt arguments and round trips ---- */

START_TEST(test_encrypt_args)
{
	const struct net_hdr good = { .ctl = false, .ttl = 4, .seq = 1, .src = 0x0003, .dst = 0x1201,
				      .iv_index = IV_A };
	uint8_t t[20] = { 0 }, out[NET_MAX_PDU];
	struct net_hdr h;
	size_t len = 77;

	OK(net_encrypt(&keys[MASTER], &good, t, 16, out, &len));
	ck_assert_uint_eq(len, NET_MAX_PDU);
	ck_assert_int_eq(net_encrypt(&keys[MASTER], &good, t, 0, out, &len), -EINVAL);
	ck_assert_int_eq(net_encrypt(&keys[MASTER], &good, t, 17, out, &len), -EINVAL);
	h = good;
	h.ctl = true;
	OK(net_encrypt(&keys[MASTER], &h, t, 12, out, &len));
	ck_assert_uint_eq(len, NET_MAX_PDU);
	ck_assert_int_eq(net_encrypt(&keys[MASTER], &h, t, 13, out, &len), -EINVAL);
	h = good;
	h.ttl = 128;
	ck_assert_int_eq(net_encrypt(&keys[MASTER], &h, t, 4, out, &len), -EINVAL);
	h = good;
	h.seq = 0x1000000;
	ck_assert_int_eq(net_encrypt(&keys[MASTER], &h, t, 4, out, &len), -EINVAL);
	h = good;
	h.src = 0x0000;
	ck_assert_int_eq(net_encrypt(&keys[MASTER], &h, t, 4, out, &len), -EINVAL);
	h.src = 0x8000;
	ck_assert_int_eq(net_encrypt(&keys[MASTER], &h, t, 4, out, &len), -EINVAL);
	h.src = 0xc000;
	ck_assert_int_eq(net_encrypt(&keys[MASTER], &h, t, 4, out, &len), -EINVAL);
	h = good;
	h.dst = 0x0000;
	ck_assert_int_eq(net_encrypt(&keys[MASTER], &h, t, 4, out, &len), -EINVAL);
	ck_assert_int_eq(net_encrypt(NULL, &good, t, 4, out, &len), -EINVAL);
	ck_assert_int_eq(net_encrypt(&keys[MASTER], NULL, t, 4, out, &len), -EINVAL);
	ck_assert_int_eq(net_encrypt(&keys[MASTER], &good, NULL, 4, out, &len), -EINVAL);
	ck_assert_int_eq(net_encrypt(&keys[MASTER], &good, t, 4, NULL, &len), -EINVAL);
	ck_assert_int_eq(net_encrypt(&keys[MASTER], &good, t, 4, out, NULL), -EINVAL);
	ck_assert_uint_eq(len, NET_MAX_PDU); /* untouched by the failures */
}
END_TEST

START_TEST(test_round_trip)
{
	static const uint16_t dsts[] = { 0x0001, 0x7fff, 0x8000, 0xbfff, 0xc000, 0xfffc, 0xffff };
	unsigned n = 0;

	for (int ctl = 0; ctl <= 1; ctl++) {
		size_t max = ctl ? NET_MAX_TRANSPORT_CTL : NET_MAX_TRANSPORT;

		for (size_t tl = 1; tl <= max; tl++) {
			struct net_hdr h = { .ctl = ctl, .ttl = (uint8_t)(tl * 9 % 128), .seq = 0xffffff - tl,
					     .src = tl & 1 ? 0x7fff : 0x0001, .dst = dsts[tl % ARRAY_SIZE(dsts)],
					     .iv_index = 0xfffffff0u + (uint32_t)tl };
			struct net_hdr got;
			uint8_t t[NET_MAX_TRANSPORT], out[NET_MAX_PDU], back[NET_MAX_TRANSPORT];
			const struct net_keys *used;
			size_t len, blen;

			for (size_t i = 0; i < tl && i < sizeof(t); i++)
				t[i] = (uint8_t)(i * 37 + tl);
			OK(net_encrypt(&keys[FRIEND], &h, t, tl, out, &len));
			ck_assert_uint_eq(len, 9 + tl + (ctl ? 8 : 4));
			ck_assert_uint_eq(out[0], (h.iv_index & 1) << 7 | 0x5e);
			OK(net_decrypt(keys, 2, h.iv_index | 1, out, len, &got, &used, back, &blen));
			assert_hdr_eq(&got, &h);
			ck_assert_ptr_eq(used, &keys[FRIEND]);
			ck_assert_uint_eq(blen, tl);
			ck_assert_mem_eq(back, t, tl);
			n++;
		}
	}
	ck_assert_uint_eq(n, 28);
	/* TTL 127 and SEQ 0xffffff, the field maxima */
	{
		struct net_hdr h = { .ctl = true, .ttl = 127, .seq = 0xffffff, .src = 0x0001, .dst = 0xffff,
				     .iv_index = 0 }, got;
		uint8_t t[1] = { 0x42 }, out[NET_MAX_PDU], back[NET_MAX_TRANSPORT];
		size_t len, blen;

		OK(net_encrypt(&keys[MASTER], &h, t, 1, out, &len));
		OK(net_decrypt(keys, 2, 0, out, len, &got, NULL, back, &blen));
		assert_hdr_eq(&got, &h);
	}
}
END_TEST

/* ---- addresses ---- */

START_TEST(test_addresses)
{
	ck_assert(addr_is_unassigned(0x0000));
	ck_assert(!addr_is_unicast(0x0000));
	ck_assert(addr_is_unicast(0x0001) && addr_is_unicast(0x7fff));
	ck_assert(!addr_is_unicast(0x8000) && !addr_is_unicast(0xc000) && !addr_is_unicast(0xffff));
	ck_assert(addr_is_virtual(0x8000) && addr_is_virtual(0xbfff) && addr_is_virtual(0xb529));
	ck_assert(!addr_is_virtual(0x7fff) && !addr_is_virtual(0xc000) && !addr_is_virtual(0));
	ck_assert(addr_is_group(0xc000) && addr_is_group(0xffff) && addr_is_group(0xc105));
	ck_assert(!addr_is_group(0xbfff) && !addr_is_group(0x0001) && !addr_is_group(0));
	ck_assert(addr_is_fixed_group(ADDR_ALL_PROXIES) && addr_is_fixed_group(ADDR_ALL_FRIENDS) &&
		  addr_is_fixed_group(ADDR_ALL_RELAYS) && addr_is_fixed_group(ADDR_ALL_NODES));
	ck_assert(!addr_is_fixed_group(0xfffb) && !addr_is_fixed_group(0xc000));
	/* every address is exactly one kind */
	for (uint32_t a = 0; a <= 0xffff; a++) {
		int kinds = addr_is_unassigned((uint16_t)a) + addr_is_unicast((uint16_t)a) +
			    addr_is_virtual((uint16_t)a) + addr_is_group((uint16_t)a);

		ck_assert_int_eq(kinds, 1);
	}
}
END_TEST

/* ---- replay protection ---- */

START_TEST(test_replay_basic)
{
	static struct replay_list r;

	replay_init(&r);
	ck_assert(replay_check(&r, 0x1201, 0, 0));
	ck_assert(replay_check(&r, 0x1201, IV_A, 5));
	replay_update(&r, 0x1201, IV_A, 5);
	ck_assert(!replay_check(&r, 0x1201, IV_A, 5)); /* the same message again */
	ck_assert(!replay_check(&r, 0x1201, IV_A, 4));
	ck_assert(!replay_check(&r, 0x1201, IV_A, 0));
	ck_assert(replay_check(&r, 0x1201, IV_A, 6));
	ck_assert(replay_check(&r, 0x1201, IV_A, 0xffffff));
	ck_assert(!replay_check(&r, 0x1201, IV_A - 1, 1000)); /* an older IV Index */
	ck_assert(replay_check(&r, 0x2345, IV_A, 5));          /* another source */

	/* accepted messages in order, each then refused */
	for (uint32_t s = 6; s < 40; s += 3) {
		ck_assert(replay_check(&r, 0x1201, IV_A, s));
		replay_update(&r, 0x1201, IV_A, s);
		ck_assert(!replay_check(&r, 0x1201, IV_A, s));
		ck_assert(!replay_check(&r, 0x1201, IV_A, s - 1));
		ck_assert(replay_check(&r, 0x1201, IV_A, s + 1));
	}

	/* an IV Index increase resets the SEQ */
	ck_assert(replay_check(&r, 0x1201, IV_A + 1, 0));
	replay_update(&r, 0x1201, IV_A + 1, 0);
	ck_assert(!replay_check(&r, 0x1201, IV_A + 1, 0));
	ck_assert(replay_check(&r, 0x1201, IV_A + 1, 1));
	ck_assert(!replay_check(&r, 0x1201, IV_A, 1000)); /* the old IV Index is now refused */
	ck_assert(replay_check(&r, 0x1201, IV_A + 2, 0));

	/* an update never moves back */
	replay_update(&r, 0x1201, IV_A + 1, 50);
	replay_update(&r, 0x1201, IV_A + 1, 10);
	replay_update(&r, 0x1201, IV_A, 100);
	ck_assert(!replay_check(&r, 0x1201, IV_A + 1, 50));
	ck_assert(!replay_check(&r, 0x1201, IV_A + 1, 20));
	ck_assert(replay_check(&r, 0x1201, IV_A + 1, 51));

	/* the other source was never recorded */
	ck_assert(replay_check(&r, 0x2345, 0, 0));
	ck_assert_uint_eq(r.n, 1);

	replay_init(&r);
	ck_assert(replay_check(&r, 0x1201, IV_A + 1, 50));
}
END_TEST

START_TEST(test_replay_eviction)
{
	static struct replay_list r;
	const uint32_t iv = 7;

	replay_init(&r);
	for (uint16_t s = 1; s <= REPLAY_MAX; s++)
		replay_update(&r, s, iv, 100);
	ck_assert_uint_eq(r.n, REPLAY_MAX);
	for (uint16_t s = 1; s <= REPLAY_MAX; s++)
		ck_assert(!replay_check(&r, s, iv, 100));

	/* source 1 used again: source 2 is now the least recently used */
	replay_update(&r, 1, iv, 101);
	replay_update(&r, 1000, iv, 5); /* a new source when full */
	ck_assert_uint_eq(r.n, REPLAY_MAX);
	ck_assert(!replay_check(&r, 1000, iv, 5));
	ck_assert(replay_check(&r, 2, iv, 100)); /* forgotten */
	ck_assert(!replay_check(&r, 1, iv, 101));
	ck_assert(!replay_check(&r, 3, iv, 100));
	ck_assert(!replay_check(&r, REPLAY_MAX, iv, 100));

	/* an update even with an old SEQ counts as a use: 3 survives, 4 goes */
	replay_update(&r, 3, iv, 1);
	replay_update(&r, 1001, iv, 5);
	ck_assert(!replay_check(&r, 3, iv, 100));
	ck_assert(replay_check(&r, 4, iv, 100));
	ck_assert(!replay_check(&r, 1001, iv, 5));
	ck_assert(!replay_check(&r, 1000, iv, 5));

	/* updating a known source when full evicts nobody */
	replay_update(&r, 5, iv, 200);
	for (uint16_t s = 5; s <= REPLAY_MAX; s++)
		ck_assert(!replay_check(&r, s, iv, 100));
	ck_assert(!replay_check(&r, 5, iv, 200));

	/* a long run of new sources cycles through the list, oldest first */
	for (uint16_t s = 0x2000; s < 0x2000 + 2 * REPLAY_MAX; s++) {
		replay_update(&r, s, iv, 1);
		ck_assert(!replay_check(&r, s, iv, 1));
		if (s >= 0x2000 + REPLAY_MAX) /* the one added REPLAY_MAX updates ago is gone */
			ck_assert(replay_check(&r, (uint16_t)(s - REPLAY_MAX), iv, 1));
		if (s > 0x2000)
			ck_assert(!replay_check(&r, (uint16_t)(s - 1), iv, 1));
	}
	ck_assert_uint_eq(r.n, REPLAY_MAX);
}
END_TEST

/* ---- Secure Network Beacon (§4) ---- */

struct beacon_vec {
	uint8_t flags;
	uint32_t iv;
	const char *beacon;
};

static const struct beacon_vec beacons[] = {
	{ 0x00, 0x12345678, "01003ecaff672f673370123456788ea261582f364f6f" }, /* §8.4.3 */
	{ 0x02, 0x12345679, "01023ecaff672f67337012345679c2af80ad072a135c" }, /* §8.4.4 */
	{ 0x00, 0x12345679, "01003ecaff672f67337012345679c62f09e4c957f59d" }, /* §8.4.5 */
};

START_TEST(test_beacon_vector)
{
	const struct beacon_vec *v = &beacons[_i];
	struct bytes want = hx(v->beacon);
	struct net_keys two[2];
	const struct net_keys *used = NULL;
	uint8_t out[NET_BEACON_LEN], flags = 0xee, other[16];
	uint32_t iv = 0;

	OK(net_beacon_build(&keys[MASTER], v->flags, v->iv, out));
	assert_hex_at("beacon", (unsigned)_i, out, sizeof(out), v->beacon);

	uint8_t *b = exact_copy(want.b, want.len);
	OK(net_beacon_parse(keys, 1, b, want.len, &used, &flags, &iv));
	ck_assert_ptr_eq(used, &keys[MASTER]);
	ck_assert_uint_eq(flags, v->flags);
	ck_assert_uint_eq(iv, v->iv);
	OK(net_beacon_parse(keys, 1, b, want.len, NULL, &flags, &iv));

	/* an impostor with the same Network ID but another BeaconKey comes first */
	hx_to("00112233445566778899aabbccddeeff", other, 16);
	OK(net_keys_derive(other, 1, &two[0]));
	memcpy(two[0].network_id, keys[MASTER].network_id, 8);
	two[1] = keys[MASTER];
	used = NULL;
	OK(net_beacon_parse(two, 2, b, want.len, &used, &flags, &iv));
	ck_assert_ptr_eq(used, &two[1]);
	ck_assert_int_eq(net_beacon_parse(two, 1, b, want.len, &used, &flags, &iv), -ENOKEY);
	/* another network altogether */
	OK(net_keys_derive(other, 1, &two[0]));
	ck_assert_int_eq(net_beacon_parse(two, 1, b, want.len, &used, &flags, &iv), -ENOKEY);
	ck_assert_int_eq(net_beacon_parse(two, 0, b, want.len, &used, &flags, &iv), -ENOKEY);
	free(b);
}
END_TEST

START_TEST(test_beacon_tampered)
{
	const struct beacon_vec *v = &beacons[_i];
	struct bytes want = hx(v->beacon);

	for (size_t bit = 0; bit < NET_BEACON_LEN * 8; bit++) {
		const struct net_keys *used = NULL;
		uint8_t flags = 0xee;
		uint32_t iv = 0xeeeeeeee;
		uint8_t *b = exact_copy(want.b, want.len);
		int ret;

		b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		ret = net_beacon_parse(keys, 2, b, want.len, &used, &flags, &iv);
		ck_assert_msg(ret == (bit < 8 ? -EBADMSG : -ENOKEY), "beacon %d bit %zu: %d", _i, bit, ret);
		ck_assert_ptr_null(used);
		ck_assert_uint_eq(flags, 0xee);
		ck_assert_uint_eq(iv, 0xeeeeeeee);
		free(b);
	}
	for (size_t n = 0; n <= NET_BEACON_LEN + 1; n++) {
		uint8_t flags, *b;
		uint32_t iv;

		if (n == NET_BEACON_LEN)
			continue;
		b = malloc(n ? n : 1);
		ck_assert_ptr_nonnull(b);
		memcpy(b, want.b, n < want.len ? n : want.len);
		if (n > want.len)
			b[want.len] = 0;
		ck_assert_int_eq(net_beacon_parse(keys, 2, b, n, NULL, &flags, &iv), -EBADMSG);
		free(b);
	}
}
END_TEST

START_TEST(test_beacon_args_rfu)
{
	uint8_t out[NET_BEACON_LEN], msg[13], mac[16], flags;
	uint32_t iv;

	OK(net_beacon_build(&keys[MASTER], NET_BEACON_FLAG_KEY_REFRESH | NET_BEACON_FLAG_IV_UPDATE, 1, out));
	OK(net_beacon_parse(keys, 1, out, sizeof(out), NULL, &flags, &iv));
	ck_assert_uint_eq(flags, 0x03);
	ck_assert_uint_eq(iv, 1);
	ck_assert_int_eq(net_beacon_build(&keys[MASTER], 0x04, 1, out), -EINVAL);
	ck_assert_int_eq(net_beacon_build(NULL, 0, 1, out), -EINVAL);
	ck_assert_int_eq(net_beacon_build(&keys[MASTER], 0, 1, NULL), -EINVAL);
	ck_assert_int_eq(net_beacon_parse(NULL, 1, out, sizeof(out), NULL, &flags, &iv), -EINVAL);
	ck_assert_int_eq(net_beacon_parse(keys, 1, NULL, sizeof(out), NULL, &flags, &iv), -EINVAL);
	ck_assert_int_eq(net_beacon_parse(keys, 1, out, sizeof(out), NULL, NULL, &iv), -EINVAL);
	ck_assert_int_eq(net_beacon_parse(keys, 1, out, sizeof(out), NULL, &flags, NULL), -EINVAL);

	/* a beacon from a newer node with an RFU flag set is authentic: flags as received */
	msg[0] = 0x84;
	memcpy(msg + 1, keys[MASTER].network_id, 8);
	put_be32(msg + 9, 0x0a0b0c0d);
	OK(crypto_aes_cmac(keys[MASTER].beacon_key, msg, sizeof(msg), mac));
	out[0] = 0x01;
	memcpy(out + 1, msg, sizeof(msg));
	memcpy(out + 14, mac, 8);
	OK(net_beacon_parse(keys, 1, out, sizeof(out), NULL, &flags, &iv));
	ck_assert_uint_eq(flags, 0x84);
	ck_assert_uint_eq(iv, 0x0a0b0c0d);
	/* an Unprovisioned Device Beacon type is not ours */
	out[0] = 0x00;
	ck_assert_int_eq(net_beacon_parse(keys, 1, out, sizeof(out), NULL, &flags, &iv), -EBADMSG);
}
END_TEST

static Suite *net_suite(void)
{
	Suite *s = suite_create("net");
	TCase *tc = tcase_create("keys");

	tcase_add_checked_fixture(tc, setup_keys, NULL);
	tcase_add_test(tc, test_keys_derive);
	tcase_add_test(tc, test_friend_keys);
	tcase_add_test(tc, test_nonce);
	tcase_add_test(tc, test_addresses);
	suite_add_tcase(s, tc);

	tc = tcase_create("vectors");
	tcase_add_checked_fixture(tc, setup_keys, NULL);
	tcase_add_loop_test(tc, test_ref_encrypt, 0, (int)ARRAY_SIZE(vecs));
	tcase_add_loop_test(tc, test_encrypt_vector, 0, (int)ARRAY_SIZE(vecs));
	tcase_add_loop_test(tc, test_decrypt_vector, 0, (int)ARRAY_SIZE(vecs));
	tcase_add_loop_test(tc, test_decrypt_shared_nid, 0, (int)ARRAY_SIZE(vecs));
	tcase_add_loop_test(tc, test_decrypt_tampered, 0, (int)ARRAY_SIZE(vecs));
	tcase_add_loop_test(tc, test_decrypt_truncated, 0, (int)ARRAY_SIZE(vecs));
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);

	tc = tcase_create("malformed");
	tcase_add_checked_fixture(tc, setup_keys, NULL);
	tcase_add_test(tc, test_decrypt_bad_addresses);
	tcase_add_test(tc, test_decrypt_bad_lengths);
	tcase_add_test(tc, test_decrypt_args);
	tcase_add_test(tc, test_decrypt_iv_zero);
	tcase_add_test(tc, test_encrypt_args);
	tcase_add_test(tc, test_round_trip);
	suite_add_tcase(s, tc);

	tc = tcase_create("replay");
	tcase_add_test(tc, test_replay_basic);
	tcase_add_test(tc, test_replay_eviction);
	suite_add_tcase(s, tc);

	tc = tcase_create("beacon");
	tcase_add_checked_fixture(tc, setup_keys, NULL);
	tcase_add_loop_test(tc, test_beacon_vector, 0, (int)ARRAY_SIZE(beacons));
	tcase_add_loop_test(tc, test_beacon_tampered, 0, (int)ARRAY_SIZE(beacons));
	tcase_add_test(tc, test_beacon_args_rfu);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(net_suite)
