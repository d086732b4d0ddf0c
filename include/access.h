/* Access layer message format (Mesh Profile 1.0.1 §3.7.3): an access
 * payload is an opcode of 1, 2 or 3 octets followed by the parameters.
 * Pure functions: no allocation, no globals.
 *
 * An opcode is held as a uint32_t made of its octets in on-air order,
 * big-endian, so the number reads like the octets on the air:
 *
 *   0x00-0x7e         1 octet   0xxxxxxx            (0x7f is RFU)
 *   0x8000-0xbfff     2 octets  10xxxxxx xxxxxxxx   (SIG)
 *   0xc00000-0xffffff 3 octets  11xxxxxx, then the 16-bit Company ID
 *                                little-endian      (vendor)
 *
 * e.g. Config AppKey Add 0x00, Config AppKey Status 0x8003 (80 03), the
 * AliGenie Attr Indication 0xd4a801 (d4 a8 01: opcode 0x14, CID 0x01a8).
 * Any other value is not an opcode (-EINVAL from the builders).
 */
#ifndef MESHPROV_ACCESS_H
#define MESHPROV_ACCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The longest access payload: 32 segments of 12 octets (384) less a 32-bit
 * TransMIC (§3.5.2, §3.7.3). */
#define ACCESS_MAX_PDU 380
/* The longest unsegmented one: 15 octets less a 32-bit TransMIC. */
#define ACCESS_MAX_UNSEG 11

/* The vendor opcode for a 6-bit vendor opcode number and a Company ID, e.g.
 * ACCESS_VENDOR_OP(0x14, 0x01a8) == 0xd4a801. */
#define ACCESS_VENDOR_OP(num, cid)                                                        \
	((uint32_t)(0xc0u | ((num) & 0x3fu)) << 16 | (uint32_t)((cid) & 0xffu) << 8 |      \
	 (uint32_t)(((cid) >> 8) & 0xffu))

/* The Company ID of a vendor opcode (see ACCESS_VENDOR_OP). */
static inline uint16_t access_vendor_cid(uint32_t op) { return (uint16_t)((op & 0xff) << 8 | (op >> 8 & 0xff)); }

/* Octets of opcode op on the air: 1, 2 or 3; -EINVAL when op is not an
 * opcode (0x7f, 0x80-0x7fff, 0xc000-0xbfffff, or above 0xffffff). */
int access_opcode_len(uint32_t op);

/* Write op in its on-air form; returns its length (1-3) or -EINVAL. */
int access_opcode_encode(uint32_t op, uint8_t out[3]);

/* Read the opcode at the start of an access payload of len octets: 0 with
 * *op and *oplen (1-3) set; -EBADMSG when len is 0, the first octet is 0x7f
 * (RFU) or the payload is shorter than the opcode its first octet announces.
 * *op and *oplen are left alone on error. */
int access_opcode_decode(const uint8_t *p, size_t len, uint32_t *op, size_t *oplen);

/* Build an access payload: the opcode then plen octets of params (params may
 * be NULL when plen is 0; it may overlap out). 0 with *len set; -EINVAL (not
 * an opcode, or NULL params with plen > 0), -EMSGSIZE (longer than
 * ACCESS_MAX_PDU), -ENOBUFS (longer than outmax). */
int access_build(uint32_t op, const uint8_t *params, size_t plen, uint8_t *out, size_t outmax, size_t *len);

/* Split an access payload into opcode and parameters (pointing into pdu):
 * 0, or -EBADMSG as access_opcode_decode, or when len is over ACCESS_MAX_PDU. */
int access_parse(const uint8_t *pdu, size_t len, uint32_t *op, const uint8_t **params, size_t *plen);

#endif
