#include "upper.h"

#include <errno.h>
#include <string.h>

#include "crypto.h"
#include "util.h"

#define LABEL_LEN 16

void upper_nonce(uint8_t nonce[UPPER_NONCE_LEN], bool akf, bool aszmic, uint32_t seq, uint16_t src,
		 uint16_t dst, uint32_t iv_index)
{
	nonce[0] = akf ? UPPER_NONCE_APP : UPPER_NONCE_DEV;
	nonce[1] = aszmic ? 0x80 : 0x00;
	nonce[2] = (uint8_t)(seq >> 16);
	nonce[3] = (uint8_t)(seq >> 8);
	nonce[4] = (uint8_t)seq;
	put_be16(nonce + 5, src);
	put_be16(nonce + 7, dst);
	put_be32(nonce + 9, iv_index);
}

/* Both directions: the same argument checks and nonce; encrypt turns in
 * (alen bytes of access payload) into in + MIC, decrypt turns in (len bytes
 * of PDU, MIC last) into the payload. */
static int upper_ccm(bool encrypt, const uint8_t *key, bool akf, bool szmic, uint32_t seq_auth, uint16_t src,
		     uint16_t dst, uint32_t iv_index, const uint8_t *label_uuid, const uint8_t *in, size_t len,
		     uint8_t *out, size_t *olen)
{
	size_t mic = upper_mic_len(szmic);
	size_t ad_len = label_uuid ? LABEL_LEN : 0;
	uint8_t nonce[UPPER_NONCE_LEN];
	int ret;

	if (!key || !out || !olen)
		return -EINVAL;
	if (seq_auth > 0xffffff || !upper_addr_is_unicast(src) || dst == 0)
		return -EINVAL;
	if (upper_addr_is_virtual(dst) != (label_uuid != NULL))
		return -EINVAL;
	if (!in || len <= (encrypt ? 0 : mic))
		return -EINVAL;
	if (len > UPPER_MAX_PDU - (encrypt ? mic : 0))
		return -EMSGSIZE;
	upper_nonce(nonce, akf, szmic, seq_auth, src, dst, iv_index);
	if (encrypt)
		ret = crypto_aes_ccm_encrypt(key, nonce, label_uuid, ad_len, in, len, out, out + len, mic);
	else
		ret = crypto_aes_ccm_decrypt(key, nonce, label_uuid, ad_len, in, len - mic, in + len - mic, mic,
					     out);
	if (ret)
		return ret;
	*olen = encrypt ? len + mic : len - mic;
	return 0;
}

int upper_encrypt(const uint8_t key[16], bool akf, bool szmic, uint32_t seq_auth, uint16_t src, uint16_t dst,
		  uint32_t iv_index, const uint8_t *label_uuid, const uint8_t *access, size_t alen, uint8_t *out,
		  size_t *olen)
{
	return upper_ccm(true, key, akf, szmic, seq_auth, src, dst, iv_index, label_uuid, access, alen, out,
			 olen);
}

int upper_decrypt(const uint8_t key[16], bool akf, bool szmic, uint32_t seq_auth, uint16_t src, uint16_t dst,
		  uint32_t iv_index, const uint8_t *label_uuid, const uint8_t *pdu, size_t len, uint8_t *out,
		  size_t *olen)
{
	return upper_ccm(false, key, akf, szmic, seq_auth, src, dst, iv_index, label_uuid, pdu, len, out, olen);
}

int upper_aid(const uint8_t app_key[16], uint8_t *aid)
{
	if (!app_key || !aid)
		return -EINVAL;
	return crypto_k4(app_key, aid);
}

int upper_virtual_address(const uint8_t label_uuid[16], uint16_t *addr)
{
	uint8_t salt[16], t[16];
	int ret;

	if (!label_uuid || !addr)
		return -EINVAL;
	ret = crypto_s1((const uint8_t *)"vtad", 4, salt);
	if (!ret)
		ret = crypto_aes_cmac(salt, label_uuid, LABEL_LEN, t);
	if (ret)
		return ret;
	*addr = (uint16_t)(0x8000 | (get_be16(t + 14) & 0x3fff));
	return 0;
}
