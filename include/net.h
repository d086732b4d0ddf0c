/* Bluetooth Mesh network layer (Mesh Profile 1.0.1 §3.4), the Secure Network
 * Beacon (§3.9.3) and replay protection (§3.8.8).
 *
 * A pure core: bytes in, bytes out. No sockets, event loop, globals, logging
 * or allocation; the cryptography is crypto.h's. Every length from the air is
 * checked before the octets it covers are read.
 *
 * Errors are negative errno values:
 *   -EINVAL  bad argument from the caller (NULL pointer, field out of range)
 *   -EBADMSG a malformed PDU or beacon from the air
 *   -ENOKEY  no key authenticates it (not ours, or tampered with)
 *   -EIO     an OpenSSL failure (crypto.h)
 *
 * Network PDU layout (octets, on-air order, multi-octet fields big-endian):
 *   IVI(1 bit)|NID(7) | CTL(1 bit)|TTL(7) | SEQ(3) | SRC(2) | DST(2) |
 *   TransportPDU(1..16) | NetMIC(4, or 8 when CTL=1)
 * CTL..SRC are obfuscated; DST, TransportPDU and NetMIC are the AES-CCM output. */
#ifndef MESHPROV_NET_H
#define MESHPROV_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NET_MAX_PDU 29
/* The shortest Network PDU: 9 header octets, 1 transport octet, a 32-bit NetMIC. */
#define NET_MIN_PDU 14
/* The longest lower transport PDU: 16 octets when CTL=0, 12 when CTL=1. */
#define NET_MAX_TRANSPORT 16
#define NET_MAX_TRANSPORT_CTL 12
#define NET_NONCE_LEN 13
#define NET_MAX_TTL 0x7f
#define NET_MAX_SEQ 0xffffffu

struct net_keys {            /* one NetKey and what is derived from it */
	uint16_t index;
	uint8_t net_key[16];
	uint8_t nid;             /* k2 master credentials (P = 00) */
	uint8_t enc_key[16];
	uint8_t privacy_key[16];
	uint8_t network_id[8];   /* k3 */
	uint8_t beacon_key[16];  /* k1(NetKey, s1("nkbk"), "id128"||01) */
};

/* Fill out from a NetKey with the master credentials. Friendship credentials
 * (k2 with P = 01||LPNAddr||FrndAddr||LPNCounter||FrndCounter) are a
 * struct net_keys whose nid/enc_key/privacy_key the caller sets from crypto_k2().
 * 0, -EINVAL (NULL) or -EIO. */
int net_keys_derive(const uint8_t net_key[16], uint16_t index, struct net_keys *out);

struct net_hdr {
	bool ctl;          /* control message: 64-bit NetMIC */
	uint8_t ttl;       /* 0..127 */
	uint32_t seq;      /* 24 bits */
	uint16_t src;      /* a unicast address */
	uint16_t dst;      /* any address but unassigned */
	uint32_t iv_index; /* the full IV Index; its LSB is sent as IVI */
};

/* The network nonce (§3.8.5.1):
 * 00 || CTL<<7|TTL || SEQ(3) || SRC(2) || 0000 || IVIndex(4). Fields are
 * taken as they are (TTL masked to 7 bits, SEQ to 24). */
void net_nonce(const struct net_hdr *h, uint8_t nonce[NET_NONCE_LEN]);

/* Encrypt and obfuscate one Network PDU. transport: the lower transport PDU,
 * 1..16 octets when ctl=0 (NetMIC 32-bit), 1..12 when ctl=1 (NetMIC 64-bit).
 * out holds NET_MAX_PDU octets and may overlap transport. *out_len is set to
 * 9 + tlen + MIC size. 0, or -EINVAL (NULL, tlen out of range, TTL > 127,
 * SEQ > 24 bits, SRC not unicast, DST unassigned), or -EIO. */
int net_encrypt(const struct net_keys *k, const struct net_hdr *h, const uint8_t *transport, size_t tlen,
		uint8_t *out, size_t *out_len);

/* Deobfuscate and decrypt a Network PDU of len octets.
 *
 * Every key whose NID matches is tried, in order (several may share one),
 * with IV Index iv_index when the PDU's IVI bit equals its LSB, else
 * iv_index - 1 (none when iv_index is 0: -ENOKEY).
 *
 * Returns 0 with *h (h->iv_index the IV Index used), *key (the key that
 * worked; key may be NULL when not wanted), the lower transport PDU in
 * transport (room for NET_MAX_TRANSPORT octets) and its length in *tlen.
 * Returns -EBADMSG when the PDU is malformed: len outside 14..29; or too
 * short for the CTL a matching key deobfuscates (no room for DST and one
 * transport octet); or it authenticates but its SRC is not unicast or its
 * DST is unassigned. Returns -ENOKEY when no key authenticates it (no NID
 * matches, or every NetMIC check fails), -EINVAL for a NULL argument, -EIO.
 * On failure *h, *key, transport and *tlen are left untouched. */
int net_decrypt(const struct net_keys *keys, size_t nkeys, uint32_t iv_index, const uint8_t *pdu, size_t len,
		struct net_hdr *h, const struct net_keys **key, uint8_t *transport, size_t *tlen);

/* ---- Replay protection (§3.8.8) ----
 * Per source address the last (IV Index, SEQ) seen; a message is accepted
 * when its IV Index is newer, or equal with a higher SEQ. The list is bounded:
 * when it is full a new source evicts the least recently updated one (whose
 * old messages would then be accepted again: size it above the number of
 * nodes heard). */
#define REPLAY_MAX 256

struct replay_entry {
	uint16_t src;
	uint32_t iv_index;
	uint32_t seq;
	uint64_t used; /* replay_list.clock at the last update */
};

struct replay_list {
	struct replay_entry e[REPLAY_MAX];
	size_t n;       /* entries in use, e[0..n) */
	uint64_t clock; /* counts updates, for least-recently-used eviction */
};

void replay_init(struct replay_list *r);

/* Would a message from src with (iv_index, seq) be accepted? An unknown
 * source is. Does not change the list. */
bool replay_check(const struct replay_list *r, uint16_t src, uint32_t iv_index, uint32_t seq);

/* Record (iv_index, seq) for src, after the message has been authenticated at
 * the upper layers. The stored value only moves forward: an update that
 * replay_check() would reject leaves it as it is (but still counts as a use). */
void replay_update(struct replay_list *r, uint16_t src, uint32_t iv_index, uint32_t seq);

/* ---- Secure Network Beacon (§3.9.3) ----
 * 01 | Flags(1) | NetworkID(8) | IVIndex(4, BE) | Authentication(8), where
 * Authentication = AES-CMAC(BeaconKey, Flags || NetworkID || IVIndex)[0..7]. */
#define NET_BEACON_LEN 22
#define NET_BEACON_TYPE 0x01
#define NET_BEACON_FLAG_KEY_REFRESH 0x01
#define NET_BEACON_FLAG_IV_UPDATE 0x02

/* Build one with k. flags: NET_BEACON_FLAG_* only (-EINVAL otherwise). 0, -EINVAL, -EIO. */
int net_beacon_build(const struct net_keys *k, uint8_t flags, uint32_t iv_index, uint8_t out[NET_BEACON_LEN]);

/* Authenticate a beacon (data: the AD payload, beacon type first) against
 * every key whose Network ID matches. 0 with *key (may be NULL when not
 * wanted), *flags (as received, RFU bits included) and *iv_index; -EBADMSG
 * when len is not 22 or the type is not 01; -ENOKEY when no key's Network ID
 * matches or the authentication fails; -EINVAL (NULL), -EIO. */
int net_beacon_parse(const struct net_keys *keys, size_t nkeys, const uint8_t *data, size_t len,
		     const struct net_keys **key, uint8_t *flags, uint32_t *iv_index);

/* ---- Addresses (§3.4.2) ---- */
#define ADDR_UNASSIGNED 0x0000
#define ADDR_ALL_PROXIES 0xfffc
#define ADDR_ALL_FRIENDS 0xfffd
#define ADDR_ALL_RELAYS 0xfffe
#define ADDR_ALL_NODES 0xffff

static inline bool addr_is_unassigned(uint16_t a) { return a == ADDR_UNASSIGNED; }
static inline bool addr_is_unicast(uint16_t a) { return a && !(a & 0x8000); }      /* 0x0001-0x7fff */
static inline bool addr_is_virtual(uint16_t a) { return (a & 0xc000) == 0x8000; } /* 0x8000-0xbfff */
static inline bool addr_is_group(uint16_t a) { return (a & 0xc000) == 0xc000; }   /* 0xc000-0xffff */
/* The fixed group addresses 0xfffc-0xffff (0xff00-0xfffb are RFU). */
static inline bool addr_is_fixed_group(uint16_t a) { return a >= ADDR_ALL_PROXIES; }

#endif
