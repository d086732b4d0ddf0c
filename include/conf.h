/* The daemon's configuration file and credentials file: pure parsers (a
 * buffer in, a struct or one error line out) and their loaders.
 *
 * Configuration file (CONF_DEFAULT_PATH), one setting a line:
 *
 *	key = value
 *
 * Spaces around '=' are optional; leading and trailing whitespace is ignored.
 * A line whose first non-blank character is '#' is a comment; blank lines are
 * ignored. A '#' that begins a value or follows whitespace inside it ends the
 * value ("hci = hci1  # the USB dongle" sets "hci1"); any other '#' is part of
 * the value ("db = /srv/mesh#2/net.json"). A key given twice: the last one
 * wins. Unknown keys, a line without '=', an empty value and a bad value are
 * errors. Keys are case-sensitive; the words of boolean and log_level values
 * are not. Numbers are decimal or 0x hex (parse_uint()).
 *
 *	hci = SPEC              "hci0"; any text, at most 255 characters
 *	db = PATH               CONF_DEFAULT_DB; shorter than 4096 bytes
 *	credentials = PATH      CONF_DEFAULT_CREDENTIALS; shorter than 4096 bytes
 *	control = PATH          CONF_DEFAULT_CONTROL; shorter than 108 bytes (sun_path)
 *	control_group = NAME    "meshprov"; 1-32 characters of [A-Za-z0-9_.-]
 *	auto_provision = BOOL   yes; yes/no, true/false, on/off, 1/0
 *	max_sessions = N        1-8, 2
 *	max_devices = N         16-65536, 1024
 *	max_attempts = N        1-100, 5
 *	retry_delay = SECONDS   1-3600, 10
 *	reservation_window = SECONDS  1-86400, 130 (PROVJOB_RESERVATION_WINDOW_S)
 *	unicast_range = LOW-HIGH  0x0001 <= LOW <= HIGH <= 0x7fff; unset: the database's range
 *	adv_interval = MS       20-10240, 20
 *	adv_count = N           1-20, 3
 *	aligenie_groups = ADDR[,ADDR...]      0xc000,0xcfff; 1-4 distinct group
 *	                        addresses 0xc000-0xfeff, spaces allowed around the commas
 *	aligenie_groups.PID = ADDR[,ADDR...]  the groups for AliGenie ProductID PID
 *	                        (up to 0xffffffff); at most CONF_MAX_PRODUCT_GROUPS
 *	                        ProductIDs (the same one twice: the last wins)
 *	log_level = LEVEL       info; error, warning, info or debug
 *
 * Credentials file (CONF_DEFAULT_CREDENTIALS), one device a line of
 * whitespace-separated fields; a field starting with '#' begins a comment
 * that runs to the end of the line; blank lines are ignored:
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
 * Both files: at most CONF_MAX_FILE bytes, lines of at most CONF_MAX_LINE
 * characters, no NUL bytes. Every error is one line, "FILE:LINE: message"
 * ("FILE: message" for the file as a whole). No error message ever contains
 * a secret or a static OOB value. */
#ifndef MESHPROV_CONF_H
#define MESHPROV_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "log.h"
#include "node_setup.h"

#define CONF_DEFAULT_PATH "/etc/meshprov/meshprov.conf"
#define CONF_DEFAULT_HCI "hci0"
#define CONF_DEFAULT_DB "/var/lib/meshprov/network.json"
#define CONF_DEFAULT_CREDENTIALS "/etc/meshprov/devices"
#define CONF_DEFAULT_CONTROL "/run/meshprov/control"
#define CONF_DEFAULT_CONTROL_GROUP "meshprov"

#define CONF_MAX_PRODUCT_GROUPS 64
#define CONF_MAX_SESSIONS 8
#define CONF_MAX_FILE (1u << 20) /* bytes, either file */
#define CONF_MAX_LINE 4096       /* characters, without the newline */

/* 1 to NODE_SETUP_MAX_GROUPS group addresses. */
struct conf_groups {
	uint16_t addr[NODE_SETUP_MAX_GROUPS];
	unsigned n;
};

struct conf_product_groups {
	uint32_t pid;
	struct conf_groups groups;
};

struct conf {
	char hci[256];
	char db[4096];
	char credentials[4096];
	char control[108];
	char control_group[33];
	bool auto_provision;
	unsigned max_sessions, max_devices, max_attempts, retry_delay_s;
	unsigned reservation_window_s;
	bool has_unicast_range;
	uint16_t unicast_low, unicast_high;
	unsigned adv_interval_ms, adv_count;
	struct conf_groups aligenie_groups;
	struct conf_product_groups product_groups[CONF_MAX_PRODUCT_GROUPS];
	unsigned nproduct_groups;
	enum log_level log_level;
};

void conf_defaults(struct conf *c);

/* Parse buf (len bytes, need not be NUL-terminated) on top of what c holds;
 * name (the file's path) is used in messages. 0, or -1 with one line in err
 * (c may then be partly changed: callers parse into a copy). */
int conf_parse(struct conf *c, const char *name, const char *buf, size_t len, char *err,
	       size_t errlen);

/* conf_defaults, then read and parse path. When missing_ok and the file does
 * not exist: just the defaults. -1 with "PATH: strerror" or the parse error. */
int conf_load(struct conf *c, const char *path, bool missing_ok, char *err, size_t errlen);

/* The groups for an AliGenie ProductID: its own entry, else aligenie_groups. */
const struct conf_groups *conf_groups_for(const struct conf *c, uint32_t pid);

/* ---- credentials ---- */

enum cred_kind { CRED_ALIGENIE, CRED_STATIC_OOB, CRED_NO_OOB };

struct cred {
	enum cred_kind kind;
	unsigned line;               /* in the file, for messages */
	uint8_t uuid[16];            /* CRED_STATIC_OOB, CRED_NO_OOB */
	uint32_t pid;                /* CRED_ALIGENIE */
	uint8_t mac[6];              /* CRED_ALIGENIE: display order, as struct aligenie_info */
	uint8_t secret[64];          /* CRED_ALIGENIE */
	uint8_t secret_len;
	uint8_t static_oob[32];      /* CRED_STATIC_OOB */
	uint8_t static_len;          /* 16 or 32 */
};

struct creds {
	struct cred *v;
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
const struct cred *creds_match(const struct creds *c, const uint8_t uuid[16]);

/* The provisioning authentication for that device (uuid: the one cr was
 * matched with): CRED_ALIGENIE gives PROV_USE_ALIGENIE with the ProductID,
 * MAC and secret, random-bound when the UUID's AliGenie flags say so;
 * CRED_STATIC_OOB gives PROV_USE_STATIC; CRED_NO_OOB gives PROV_USE_NO_OOB.
 * *a holds secrets: OPENSSL_cleanse it after use. */
void creds_auth(const struct cred *cr, const uint8_t uuid[16], struct prov_auth *a);

/* Erase the secrets and free; c is then empty (as after creds_init). */
void creds_free(struct creds *c);

/* Exchange two sets (reload: parse into a new set, swap on success, free the old). */
void creds_swap(struct creds *a, struct creds *b);

#endif
