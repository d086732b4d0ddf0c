/* The daemon's credentials file (creds.c, creds_parse: the parser
 * creds_load feeds the file to), and the look-up of each device it lists
 * as the daemon does it when the device's beacon is heard (creds_match,
 * creds_auth). Input: the file. */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "aligenie.h"
#include "creds.h"
#include "fuzz.h"
#include "log.h"
#include "prov.h"

static unsigned long sink;

FUZZ_INITIALIZE(0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct creds c;
	char err[512];

	creds_init(&c);
	if (creds_parse(&c, "fuzz-devices", (const char *)data, size, err, sizeof(err)) == 0) {
		for (size_t i = 0; i < c.n; i++) {
			const struct creds_entry *cr = &c.v[i];
			uint8_t uuid[16];
			const struct creds_entry *m;
			struct prov_auth a;

			if (cr->kind == CREDS_ALIGENIE) {
				/* a UUID version 0 device with random-bound AuthValue */
				struct aligenie_info ali = { .adv_version = 1, .product_id = cr->pid,
							     .random_auth = true };

				memcpy(ali.mac, cr->mac, 6);
				aligenie_encode(&ali, uuid);
			} else {
				memcpy(uuid, cr->uuid, 16);
			}
			m = creds_match(&c, uuid);
			if (m) {
				creds_auth(m, uuid, &a);
				sink += a.kind + a.static_len + a.secret_len;
				OPENSSL_cleanse(&a, sizeof(a));
			}
		}
	} else {
		sink += strlen(err);
	}
	creds_free(&c);
	return 0;
}
