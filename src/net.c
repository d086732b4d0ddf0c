/* Mesh network layer, Secure Network Beacon and replay protection: see net.h. */
#include "net.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <string.h>

#include "crypto.h"
#include "util.h"

/* Octets before the encrypted part: IVI|NID, then the obfuscated CTL|TTL, SEQ, SRC. */
#define NET_HDR_LEN 7
#define PRIVACY_RANDOM_LEN 7
#define MIC_LEN(ctl) ((ctl) ? 8u : 4u)

int net_keys_derive(const uint8_t net_key[16], uint16_t index, struct net_keys *out)
{
	static const uint8_t p_master[1] = { 0x00 };
	static const uint8_t id128[6] = { 'i', 'd', '1', '2', '8', 0x01 };
	uint8_t salt[16];
	struct net_keys k;
	int ret;

	if (!net_key || !out)
		return -EINVAL;
	memset(&k, 0, sizeof(k));
	k.index = index;
	memcpy(k.net_key, net_key, 16);
	ret = crypto_k2(net_key, p_master, sizeof(p_master), &k.nid, k.enc_key, k.privacy_key);
	if (!ret)
		ret = crypto_k3(net_key, k.network_id);
	if (!ret)
		ret = crypto_s1((const uint8_t *)"nkbk", 4, salt);
	if (!ret)
		ret = crypto_k1(net_key, 16, salt, id128, sizeof(id128), k.beacon_key);
	if (!ret)
		*out = k;
	OPENSSL_cleanse(&k, sizeof(k));
	return ret;
}

void net_nonce(const struct net_hdr *h, uint8_t nonce[NET_NONCE_LEN])
{
	nonce[0] = 0x00; /* network nonce */
	nonce[1] = (uint8_t)((h->ctl ? 0x80 : 0) | (h->ttl & 0x7f));
	nonce[2] = (uint8_t)(h->seq >> 16);
	nonce[3] = (uint8_t)(h->seq >> 8);
	nonce[4] = (uint8_t)h->seq;
	put_be16(nonce + 5, h->src);
	nonce[7] = 0x00;
	nonce[8] = 0x00;
	put_be32(nonce + 9, h->iv_index);
}

/* PECB[0..5] = e(PrivacyKey, 0000000000 || IVIndex || PrivacyRandom)[0..5]. */
static int pecb(const uint8_t privacy_key[16], uint32_t iv_index, const uint8_t random[PRIVACY_RANDOM_LEN],
		uint8_t out[6])
{
	uint8_t block[16] = { 0 };
	int ret;

	put_be32(block + 5, iv_index);
	memcpy(block + 9, random, PRIVACY_RANDOM_LEN);
	ret = crypto_aes_ecb(privacy_key, block, block);
	if (!ret)
		memcpy(out, block, 6);
	return ret;
}

int net_encrypt(const struct net_keys *k, const struct net_hdr *h, const uint8_t *transport, size_t tlen,
		uint8_t *out, size_t *out_len)
{
	uint8_t plain[2 + NET_MAX_TRANSPORT]; /* DST || TransportPDU */
	uint8_t pdu[NET_MAX_PDU], nonce[NET_NONCE_LEN], mask[6];
	size_t mic_len, enc_len;
	int ret;

	if (!k || !h || !transport || !out || !out_len)
		return -EINVAL;
	if (tlen < 1 || tlen > (h->ctl ? NET_MAX_TRANSPORT_CTL : NET_MAX_TRANSPORT))
		return -EINVAL;
	if (h->ttl > NET_MAX_TTL || h->seq > NET_MAX_SEQ || !addr_is_unicast(h->src) ||
	    addr_is_unassigned(h->dst))
		return -EINVAL;

	mic_len = MIC_LEN(h->ctl);
	enc_len = 2 + tlen;
	put_be16(plain, h->dst);
	memcpy(plain + 2, transport, tlen); /* before out is written: they may overlap */

	net_nonce(h, nonce);
	ret = crypto_aes_ccm_encrypt(k->enc_key, nonce, NULL, 0, plain, enc_len, pdu + NET_HDR_LEN,
				     pdu + NET_HDR_LEN + enc_len, mic_len);
	OPENSSL_cleanse(plain, sizeof(plain));
	if (ret)
		return ret;

	ret = pecb(k->privacy_key, h->iv_index, pdu + NET_HDR_LEN, mask);
	if (ret)
		return ret;
	pdu[0] = (uint8_t)((h->iv_index & 1) << 7 | (k->nid & 0x7f));
	/* nonce[1..6] is CTL|TTL || SEQ || SRC, the part to obfuscate */
	for (size_t i = 0; i < 6; i++)
		pdu[1 + i] = nonce[1 + i] ^ mask[i];

	*out_len = NET_HDR_LEN + enc_len + mic_len;
	memcpy(out, pdu, *out_len);
	return 0;
}

/* The outcome of trying one key on a PDU. */
enum try_result { TRY_OK, TRY_NO_AUTH, TRY_MALFORMED };

static int try_key(const struct net_keys *k, uint32_t iv_index, const uint8_t *pdu, size_t len,
		   struct net_hdr *h, uint8_t *transport, size_t *tlen, enum try_result *res)
{
	uint8_t mask[6], hdr[6], nonce[NET_NONCE_LEN], plain[NET_MAX_PDU];
	size_t mic_len, enc_len;
	struct net_hdr got;
	int ret;

	/* len is NET_MIN_PDU..NET_MAX_PDU: PrivacyRandom pdu[7..13] is there */
	ret = pecb(k->privacy_key, iv_index, pdu + NET_HDR_LEN, mask);
	if (ret)
		return ret;
	for (size_t i = 0; i < 6; i++)
		hdr[i] = pdu[1 + i] ^ mask[i];

	got.ctl = hdr[0] >> 7;
	got.ttl = hdr[0] & 0x7f;
	got.seq = (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
	got.src = get_be16(hdr + 4);
	got.iv_index = iv_index;

	mic_len = MIC_LEN(got.ctl);
	if (len < NET_HDR_LEN + 2 + 1 + mic_len) { /* no room for DST and one transport octet */
		*res = TRY_MALFORMED;
		return 0;
	}
	/* len <= NET_MAX_PDU keeps the transport PDU within 16 (CTL=0) or 12 (CTL=1) octets */
	enc_len = len - NET_HDR_LEN - mic_len;

	net_nonce(&got, nonce);
	ret = crypto_aes_ccm_decrypt(k->enc_key, nonce, NULL, 0, pdu + NET_HDR_LEN, enc_len, pdu + len - mic_len,
				     mic_len, plain);
	if (ret == -EBADMSG) {
		*res = TRY_NO_AUTH;
		return 0;
	}
	if (ret)
		return ret;

	got.dst = get_be16(plain);
	if (!addr_is_unicast(got.src) || addr_is_unassigned(got.dst)) {
		OPENSSL_cleanse(plain, sizeof(plain));
		*res = TRY_MALFORMED;
		return 0;
	}
	*h = got;
	memcpy(transport, plain + 2, enc_len - 2);
	*tlen = enc_len - 2;
	OPENSSL_cleanse(plain, sizeof(plain));
	*res = TRY_OK;
	return 0;
}

int net_decrypt(const struct net_keys *keys, size_t nkeys, uint32_t iv_index, const uint8_t *pdu, size_t len,
		struct net_hdr *h, const struct net_keys **key, uint8_t *transport, size_t *tlen)
{
	bool malformed = false;
	uint8_t nid, ivi;
	uint32_t iv;

	if ((!keys && nkeys) || !pdu || !h || !transport || !tlen)
		return -EINVAL;
	if (len < NET_MIN_PDU || len > NET_MAX_PDU)
		return -EBADMSG;

	ivi = pdu[0] >> 7;
	nid = pdu[0] & 0x7f;
	if ((iv_index & 1) == ivi)
		iv = iv_index;
	else if (iv_index)
		iv = iv_index - 1;
	else
		return -ENOKEY; /* IVI 1 with IV Index 0: no IV Index to try */

	for (size_t i = 0; i < nkeys; i++) {
		enum try_result res;
		int ret;

		if ((keys[i].nid & 0x7f) != nid)
			continue;
		ret = try_key(&keys[i], iv, pdu, len, h, transport, tlen, &res);
		if (ret)
			return ret;
		if (res == TRY_OK) {
			if (key)
				*key = &keys[i];
			return 0;
		}
		if (res == TRY_MALFORMED)
			malformed = true;
	}
	return malformed ? -EBADMSG : -ENOKEY;
}

/* ---- replay protection ---- */

void replay_init(struct replay_list *r)
{
	memset(r, 0, sizeof(*r));
}

/* The index of src's entry, or r->n when it has none. */
static size_t replay_find(const struct replay_list *r, uint16_t src)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (r->e[i].src == src)
			break;
	return i;
}

static bool newer(const struct replay_entry *e, uint32_t iv_index, uint32_t seq)
{
	return iv_index > e->iv_index || (iv_index == e->iv_index && seq > e->seq);
}

bool replay_check(const struct replay_list *r, uint16_t src, uint32_t iv_index, uint32_t seq)
{
	size_t i = replay_find(r, src);

	return i == r->n || newer(&r->e[i], iv_index, seq);
}

void replay_update(struct replay_list *r, uint16_t src, uint32_t iv_index, uint32_t seq)
{
	size_t i = replay_find(r, src);
	struct replay_entry *e;

	if (i < r->n) {
		e = &r->e[i];
		if (newer(e, iv_index, seq)) {
			e->iv_index = iv_index;
			e->seq = seq;
		}
	} else {
		if (r->n < REPLAY_MAX) {
			e = &r->e[r->n++];
		} else {
			e = &r->e[0];
			for (size_t j = 1; j < r->n; j++) /* evict the least recently used */
				if (r->e[j].used < e->used)
					e = &r->e[j];
		}
		e->src = src;
		e->iv_index = iv_index;
		e->seq = seq;
	}
	e->used = ++r->clock;
}

/* ---- Secure Network Beacon ---- */

static int beacon_auth(const struct net_keys *k, uint8_t flags, uint32_t iv_index, uint8_t auth[8])
{
	uint8_t msg[1 + 8 + 4], mac[16];
	int ret;

	msg[0] = flags;
	memcpy(msg + 1, k->network_id, 8);
	put_be32(msg + 9, iv_index);
	ret = crypto_aes_cmac(k->beacon_key, msg, sizeof(msg), mac);
	if (!ret)
		memcpy(auth, mac, 8);
	return ret;
}

/* Constant-time comparison of n octets: 0 when equal. */
static unsigned diff_ct(const uint8_t *a, const uint8_t *b, size_t n)
{
	unsigned d = 0;

	for (size_t i = 0; i < n; i++)
		d |= (unsigned)(a[i] ^ b[i]);
	return d;
}

int net_beacon_build(const struct net_keys *k, uint8_t flags, uint32_t iv_index, uint8_t out[NET_BEACON_LEN])
{
	uint8_t b[NET_BEACON_LEN];
	int ret;

	if (!k || !out || (flags & ~(NET_BEACON_FLAG_KEY_REFRESH | NET_BEACON_FLAG_IV_UPDATE)))
		return -EINVAL;
	b[0] = NET_BEACON_TYPE;
	b[1] = flags;
	memcpy(b + 2, k->network_id, 8);
	put_be32(b + 10, iv_index);
	ret = beacon_auth(k, flags, iv_index, b + 14);
	if (!ret)
		memcpy(out, b, sizeof(b));
	return ret;
}

int net_beacon_parse(const struct net_keys *keys, size_t nkeys, const uint8_t *data, size_t len,
		     const struct net_keys **key, uint8_t *flags, uint32_t *iv_index)
{
	if ((!keys && nkeys) || !data || !flags || !iv_index)
		return -EINVAL;
	if (len != NET_BEACON_LEN || data[0] != NET_BEACON_TYPE)
		return -EBADMSG;

	for (size_t i = 0; i < nkeys; i++) {
		uint8_t auth[8];
		uint32_t iv = get_be32(data + 10);
		int ret;

		if (memcmp(keys[i].network_id, data + 2, 8))
			continue;
		ret = beacon_auth(&keys[i], data[1], iv, auth);
		if (ret)
			return ret;
		if (diff_ct(auth, data + 14, 8))
			continue;
		if (key)
			*key = &keys[i];
		*flags = data[1];
		*iv_index = iv;
		return 0;
	}
	return -ENOKEY;
}
