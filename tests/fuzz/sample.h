/* The Mesh Profile §8.7 provisioning sample (tests/lib/sample87.h) as
 * octets, for the provisioning fuzz targets: decoded once by
 * fuzz_sample_init(), so that the seeds (which replay that sample) reach
 * every step of the protocol. */
#ifndef MESHPROV_FUZZ_SAMPLE_H
#define MESHPROV_FUZZ_SAMPLE_H

#include <stdint.h>

#include "fuzz.h"
#include "prov.h"
#include "sample87.h"
#include "util.h"

struct fuzz_sample {
	uint8_t prov_priv[32], dev_priv[32], dev_pub[64];
	uint8_t rand_p[16], rand_d[16], h_rand_p[32], h_rand_d[32], h_auth[32];
	uint8_t uuid[16], net_key[16];
};

static struct fuzz_sample S;

/* 0, or -1 should a literal not decode (then the target must not run). */
static inline int fuzz_sample_init(void)
{
	return hex_decode(PROV_PRIV, S.prov_priv, 32) | hex_decode(DEV_PRIV, S.dev_priv, 32) |
	       hex_decode(DEV_PUB, S.dev_pub, 64) | hex_decode(RAND_P, S.rand_p, 16) |
	       hex_decode(RAND_D, S.rand_d, 16) | hex_decode(H_RAND_P, S.h_rand_p, 32) |
	       hex_decode(H_RAND_D, S.h_rand_d, 32) | hex_decode(H_AUTH, S.h_auth, 32) |
	       hex_decode(UUID, S.uuid, 16) | hex_decode(NET_KEY, S.net_key, 16);
}

/* The sample's Provisioning Data: NetKey, index 0567, flags 00, IV Index
 * 01020304, unicast 0b0c. */
static inline void fuzz_sample_params(struct prov_params *p)
{
	memset(p, 0, sizeof(*p));
	memcpy(p->net_key, S.net_key, 16);
	p->net_key_index = 0x0567;
	p->iv_index = 0x01020304;
	p->unicast = 0x0b0c;
}

/* The provisioner's observers that the provisioner targets (fuzz_prov,
 * fuzz_prov_session) share: into fuzz_sink. */
static inline void fuzz_prov_send(void *ctx, const uint8_t *pdu, size_t len)
{
	(void)ctx;
	fuzz_sink += len + pdu[0];
}

static inline void fuzz_prov_progress(void *ctx, enum prov_step step)
{
	(void)ctx;
	fuzz_sink += step;
}

#endif
