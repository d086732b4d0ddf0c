/* The daemon's configuration file: a pure parser (a buffer in, a struct or
 * one error line out) and its loader. The credentials file is creds.h.
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
 *	max_sessions = N        1-32, 2 (a ceiling: admission control, autoprov.h)
 *	max_devices = N         16-65536, 1024
 *	max_attempts = N        1-100, 5
 *	retry_delay = SECONDS   1-3600, 10
 *	reservation_window = SECONDS  1-86400, 130 (PROVJOB_RESERVATION_WINDOW_S)
 *	unicast_range = LOW-HIGH  0x0001 <= LOW <= HIGH <= 0x7fff; unset: the database's range
 *	adv_interval = MS       20-10240, 20
 *	adv_count = N           1-20, 3
 *	adv_pack = BOOL         no (two mesh PDUs in one advertisement; --adv-pack)
 *	aligenie_groups = ADDR[,ADDR...]      0xc000,0xcfff; 1-4 distinct group
 *	                        addresses 0xc000-0xfeff, spaces allowed around the commas
 *	aligenie_groups.PID = ADDR[,ADDR...]  the groups for AliGenie ProductID PID
 *	                        (up to 0xffffffff); at most CONF_MAX_PRODUCT_GROUPS
 *	                        ProductIDs (the same one twice: the last wins)
 *	log_level = LEVEL       info; error, warning, info or debug
 *
 * At most CONF_MAX_FILE bytes, lines of at most CONF_MAX_LINE characters, no
 * NUL bytes. Every error is one line, "FILE:LINE: message" ("FILE: message"
 * for the file as a whole). */
#ifndef MESHPROV_CONF_H
#define MESHPROV_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "log.h"
#include "node_setup.h"
#include "textfile.h"

#define CONF_DEFAULT_PATH "/etc/meshprov/meshprov.conf"
#define CONF_DEFAULT_HCI "hci0"
#define CONF_DEFAULT_DB "/var/lib/meshprov/network.json"
#define CONF_DEFAULT_CREDENTIALS "/etc/meshprov/devices"
#define CONF_DEFAULT_CONTROL "/run/meshprov/control"
#define CONF_DEFAULT_CONTROL_GROUP "meshprov"

#define CONF_MAX_PRODUCT_GROUPS 64
#define CONF_MAX_SESSIONS 32
#define CONF_MAX_FILE TEXTFILE_MAX_FILE /* bytes */
#define CONF_MAX_LINE TEXTFILE_MAX_LINE /* characters, without the newline */

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
	bool hci_set;           /* given in the file (else chosen as without --hci) */
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
	bool adv_pack;
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

#endif
