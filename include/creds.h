/* The daemon's credentials file: a pure parser (a buffer in, the devices or
 * one error line out), its loader, and the look-up of a device's
 * authentication.
 *
 * Credentials file (CONF_DEFAULT_CREDENTIALS, conf.h's "credentials" key),
 * one device a line of whitespace-separated fields; a field starting with
 * '#' begins a comment that runs to the end of the line; blank lines are
 * ignored:
 *
 *	aligenie PID MAC SECRET     PID: decimal or 0x hex (32 bits); MAC: 6 octets
 *	                            of hex in display order, colons allowed;
 *	                            SECRET: 1-64 octets of hex
 *	uuid UUID static-oob HEX    UUID: 16 octets of hex, '-' or ':' allowed
 *	                            between octets (8-4-4-4-12 form); HEX: 16 or 32 octets
 *	uuid UUID no-oob
 *
 * The same device twice (same UUID, or same ProductID and MAC) is an error.
 * The file must be a regular file that neither group nor others may access.
 *
 * At most CREDS_MAX_FILE bytes, lines of at most CREDS_MAX_LINE characters,
 * no NUL bytes. Every error is one line, "FILE:LINE: message" ("FILE:
 * message" for the file as a whole). No error message ever contains a secret
 * or a static OOB value. */
#ifndef MESHPROV_CREDS_H
#define MESHPROV_CREDS_H

#include <stddef.h>
#include <stdint.h>

#include "textfile.h"

#define CREDS_MAX_FILE TEXTFILE_MAX_FILE /* bytes */
#define CREDS_MAX_LINE TEXTFILE_MAX_LINE /* characters, without the newline */

enum creds_kind { CREDS_ALIGENIE, CREDS_STATIC_OOB, CREDS_NO_OOB };

struct creds_entry {
	enum creds_kind kind;
	unsigned line;               /* in the file, for messages */
	uint8_t uuid[16];            /* CREDS_STATIC_OOB, CREDS_NO_OOB */
	uint32_t pid;                /* CREDS_ALIGENIE */
	uint8_t mac[6];              /* CREDS_ALIGENIE: display order, as struct aligenie_info */
	uint8_t secret[64];          /* CREDS_ALIGENIE */
	uint8_t secret_len;
	uint8_t static_oob[32];      /* CREDS_STATIC_OOB */
	uint8_t static_len;          /* 16 or 32 */
};

struct creds {
	struct creds_entry *v;
	size_t n, cap;
};

struct prov_auth;

void creds_init(struct creds *c);

/* Parse buf (len bytes, need not be NUL-terminated) and add its devices to c;
 * name is used in messages. 0, or -1 with one line in err and none of buf's
 * devices added (c must still be creds_free()d). */
int creds_parse(struct creds *c, const char *name, const char *buf, size_t len, char *err,
		size_t errlen);

/* Open path (not following a symbolic link), refuse it unless it is a
 * regular file without group or other permissions, and parse it into c
 * (fresh from creds_init). 0, or -1 with one line in err. */
int creds_load(struct creds *c, const char *path, char *err, size_t errlen);

/* The credentials for a device UUID: a uuid line with exactly that UUID,
 * else, for an AliGenie UUID (aligenie_decode()), an aligenie line with its
 * ProductID and MAC. NULL when none. */
const struct creds_entry *creds_match(const struct creds *c, const uint8_t uuid[16]);

/* The provisioning authentication for that device (uuid: the one cr was
 * matched with): CREDS_ALIGENIE gives PROV_USE_ALIGENIE with the ProductID,
 * MAC and secret, random-bound when the UUID's AliGenie flags say so;
 * CREDS_STATIC_OOB gives PROV_USE_STATIC; CREDS_NO_OOB gives PROV_USE_NO_OOB.
 * *a holds secrets: OPENSSL_cleanse it after use. */
void creds_auth(const struct creds_entry *cr, const uint8_t uuid[16], struct prov_auth *a);

/* Erase the secrets and free; c is then empty (as after creds_init). */
void creds_free(struct creds *c);

/* Exchange two sets (reload: parse into a new set, swap on success, free the old). */
void creds_swap(struct creds *a, struct creds *b);

#endif
