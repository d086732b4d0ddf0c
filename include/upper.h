/* Upper transport layer, access messages (Mesh Profile 1.0.1 §3.6.2 - §3.6.4,
 * §3.8.5.2 - §3.8.5.3): the application and device nonces, AES-CCM of an
 * access payload into EncAccessPayload || TransMIC and back, the AID of an
 * application key, and the virtual address of a Label UUID.
 *
 * Pure functions on top of crypto.h: no state, no allocation.
 *
 *   Application nonce = 01 || ASZMIC<<7 || SEQ (3) || SRC (2) || DST (2) || IV Index (4)   (AKF 1)
 *   Device nonce      = 02 || ASZMIC<<7 || SEQ (3) || SRC (2) || DST (2) || IV Index (4)   (AKF 0)
 *
 * ASZMIC is the message's SZMIC (always 0 for an unsegmented message, whose
 * TransMIC is 32-bit) and SEQ is the 24-bit SEQ of SeqAuth, i.e. the SEQ of
 * the first segment (or of the only network PDU) of the message, whichever
 * network PDU carries which part of it. A message to a virtual address is
 * authenticated with its Label UUID as additional data.
 *
 * Control messages (CTL 1) are not encrypted here: their upper transport PDU
 * is the plain parameters (the network layer's 64-bit NetMIC protects them).
 */
#ifndef MESHPROV_UPPER_H
#define MESHPROV_UPPER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UPPER_NONCE_LEN 13
#define UPPER_NONCE_APP 0x01
#define UPPER_NONCE_DEV 0x02

/* TransMIC sizes: SZMIC 0 and SZMIC 1. */
#define UPPER_MIC32 4
#define UPPER_MIC64 8

/* The largest access payload: 32 segments of 12 octets less the TransMIC. */
#define UPPER_MAX_PDU 384
#define UPPER_MAX_ACCESS_MIC32 (UPPER_MAX_PDU - UPPER_MIC32) /* 380 */
#define UPPER_MAX_ACCESS_MIC64 (UPPER_MAX_PDU - UPPER_MIC64) /* 376 */

static inline size_t upper_mic_len(bool szmic) { return szmic ? UPPER_MIC64 : UPPER_MIC32; }

static inline bool upper_addr_is_unicast(uint16_t a) { return a != 0 && a < 0x8000; }
static inline bool upper_addr_is_virtual(uint16_t a) { return (a & 0xc000) == 0x8000; }

/* The application (akf) or device (!akf) nonce. seq is SeqAuth's 24-bit SEQ
 * (higher bits are ignored). */
void upper_nonce(uint8_t nonce[UPPER_NONCE_LEN], bool akf, bool aszmic, uint32_t seq, uint16_t src,
		 uint16_t dst, uint32_t iv_index);

/* Encrypt an access payload of alen octets (1..380, or 1..376 when szmic)
 * with an application key (akf) or a device key (!akf). out receives
 * EncAccessPayload || TransMIC (4 octets, 8 when szmic): alen + mic octets,
 * at most UPPER_MAX_PDU, stored in *olen. out may be access itself when it
 * has room for the MIC. label_uuid is NULL unless dst is a virtual address;
 * then it is that address's Label UUID (it is not checked against dst, see
 * upper_virtual_address()).
 *
 * 0; -EINVAL (NULL argument, empty payload, seq_auth over 24 bits, a virtual
 * dst without a label or a label for a dst that is not virtual, unassigned
 * dst, src not unicast); -EMSGSIZE (too long); -EIO (crypto failure). */
int upper_encrypt(const uint8_t key[16], bool akf, bool szmic, uint32_t seq_auth, uint16_t src, uint16_t dst,
		  uint32_t iv_index, const uint8_t *label_uuid, const uint8_t *access, size_t alen, uint8_t *out,
		  size_t *olen);

/* Decrypt an upper transport access PDU of len octets (EncAccessPayload ||
 * TransMIC, the MIC size given by szmic). out receives the access payload:
 * len - mic octets (at most UPPER_MAX_ACCESS_MIC32), stored in *olen; out may
 * be pdu itself.
 *
 * 0; -EBADMSG (the TransMIC does not verify: wrong key, nonce field, label
 * or data; out is then zeroed); -EINVAL (as upper_encrypt, or len not more
 * than the MIC); -EMSGSIZE (len over UPPER_MAX_PDU); -EIO. */
int upper_decrypt(const uint8_t key[16], bool akf, bool szmic, uint32_t seq_auth, uint16_t src, uint16_t dst,
		  uint32_t iv_index, const uint8_t *label_uuid, const uint8_t *pdu, size_t len, uint8_t *out,
		  size_t *olen);

/* AID of an application key: k4(AppKey), 6 bits. 0, -EINVAL, -EIO. */
int upper_aid(const uint8_t app_key[16], uint8_t *aid);

/* The virtual address of a Label UUID: 0x8000 | (CMAC(s1("vtad"), label)[14..15] & 0x3fff).
 * 0, -EINVAL, -EIO. */
int upper_virtual_address(const uint8_t label_uuid[16], uint16_t *addr);

#endif
