/* The configuration file. See conf.h. */
#include "conf.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aligenie.h"
#include "textfile.h"
#include "util.h"

#define UNICAST_MIN 0x0001
#define UNICAST_MAX 0x7fff
#define GROUP_MIN 0xc000
#define GROUP_MAX 0xfeff
#define PRODUCT_PREFIX "aligenie_groups."
#define SHOW 64 /* at most this many characters of a quoted value in a message */

/* s without leading and trailing whitespace (s is changed in place). */
static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	*e = '\0';
	return s;
}

/* The n characters at *s without leading and trailing whitespace. */
static void span_trim(const char **s, size_t *n)
{
	while (*n && isspace((unsigned char)**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n && isspace((unsigned char)(*s)[*n - 1]))
		(*n)--;
}

/* Parse the n characters at s (whitespace around them allowed) as a number. */
static int parse_uint_n(const char *s, size_t n, unsigned long max, unsigned long *out)
{
	char tmp[32];

	span_trim(&s, &n);
	if (n >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	return parse_uint(tmp, max, out);
}



void conf_defaults(struct conf *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->hci, sizeof(c->hci), "%s", CONF_DEFAULT_HCI);
	snprintf(c->db, sizeof(c->db), "%s", CONF_DEFAULT_DB);
	snprintf(c->credentials, sizeof(c->credentials), "%s", CONF_DEFAULT_CREDENTIALS);
	snprintf(c->control, sizeof(c->control), "%s", CONF_DEFAULT_CONTROL);
	snprintf(c->control_group, sizeof(c->control_group), "%s", CONF_DEFAULT_CONTROL_GROUP);
	c->auto_provision = true;
	c->max_sessions = 2;
	c->max_devices = 1024;
	c->max_attempts = 5;
	c->retry_delay_s = 10;
	c->reservation_window_s = 130;
	c->has_unicast_range = false;
	c->adv_interval_ms = 20;
	c->adv_count = 3;
	c->aligenie_groups.addr[0] = ALIGENIE_GROUP_LIGHTS;
	c->aligenie_groups.addr[1] = ALIGENIE_GROUP_ALL;
	c->aligenie_groups.n = 2;
	c->log_level = LOG_LVL_INFO;
}

enum key_type { KEY_STRING, KEY_GROUP_NAME, KEY_BOOL, KEY_UINT, KEY_RANGE, KEY_GROUPS, KEY_LEVEL };

struct key_def {
	const char *name;
	enum key_type type;
	size_t off;             /* of the field in struct conf */
	size_t size;            /* of the field */
	unsigned long min, max; /* KEY_UINT */
};

#define FIELD_SIZE(f) sizeof(((struct conf *)0)->f)
#define KEY_NUM(n, f, lo, hi) { n, KEY_UINT, offsetof(struct conf, f), 0, lo, hi }
#define KEY_FIELD(n, f, t) { n, t, offsetof(struct conf, f), FIELD_SIZE(f), 0, 0 }
#define KEY_OTHER(n, t) { n, t, 0, 0, 0, 0 }

static const struct key_def keys[] = {
	KEY_FIELD("hci", hci, KEY_STRING),
	KEY_FIELD("db", db, KEY_STRING),
	KEY_FIELD("credentials", credentials, KEY_STRING),
	KEY_FIELD("control", control, KEY_STRING),
	KEY_FIELD("control_group", control_group, KEY_GROUP_NAME),
	KEY_FIELD("auto_provision", auto_provision, KEY_BOOL),
	KEY_NUM("max_sessions", max_sessions, 1, CONF_MAX_SESSIONS),
	KEY_NUM("max_devices", max_devices, 16, 65536),
	KEY_NUM("max_attempts", max_attempts, 1, 100),
	KEY_NUM("retry_delay", retry_delay_s, 1, 3600),
	KEY_NUM("reservation_window", reservation_window_s, 1, 86400),
	KEY_OTHER("unicast_range", KEY_RANGE),
	KEY_NUM("adv_interval", adv_interval_ms, 20, 10240),
	KEY_NUM("adv_count", adv_count, 1, 20),
	KEY_FIELD("adv_pack", adv_pack, KEY_BOOL),
	KEY_OTHER("aligenie_groups", KEY_GROUPS),
	KEY_FIELD("log_level", log_level, KEY_LEVEL),
};

static int parse_bool(const char *s, bool *out)
{
	static const char *const words[][2] = {
		{ "yes", "no" }, { "true", "false" }, { "on", "off" }, { "1", "0" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(words); i++) {
		for (int v = 0; v < 2; v++) {
			if (!strcasecmp(s, words[i][v])) {
				*out = v == 0;
				return 0;
			}
		}
	}
	return -1;
}

static int parse_level(const char *s, enum log_level *out)
{
	static const struct {
		const char *name;
		enum log_level level;
	} levels[] = {
		{ "error", LOG_LVL_ERROR },
		{ "warning", LOG_LVL_WARN },
		{ "info", LOG_LVL_INFO },
		{ "debug", LOG_LVL_DEBUG },
	};

	for (size_t i = 0; i < ARRAY_SIZE(levels); i++) {
		if (!strcasecmp(s, levels[i].name)) {
			*out = levels[i].level;
			return 0;
		}
	}
	return -1;
}

static bool group_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > 32)
		return false;
	for (; *s; s++) {
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '.' && *s != '-')
			return false;
	}
	return true;
}

/* "0x0002-0x7fff" (spaces allowed around the '-'). */
static int parse_range(const char *s, uint16_t *low, uint16_t *high)
{
	const char *dash = strchr(s, '-');
	unsigned long lo, hi;

	if (!dash || parse_uint_n(s, (size_t)(dash - s), UNICAST_MAX, &lo) < 0 ||
	    parse_uint_n(dash + 1, strlen(dash + 1), UNICAST_MAX, &hi) < 0 || lo < UNICAST_MIN ||
	    lo > hi)
		return -1;
	*low = (uint16_t)lo;
	*high = (uint16_t)hi;
	return 0;
}

/* A comma-separated list of group addresses for key into *g (unchanged on error). */
static int parse_groups(const char *key, const char *s, struct conf_groups *g, char *msg,
			size_t msglen)
{
	struct conf_groups out = { .n = 0 };

	for (;;) {
		const char *comma = strchr(s, ',');
		size_t n = comma ? (size_t)(comma - s) : strlen(s);
		unsigned long v;

		if (out.n == NODE_SETUP_MAX_GROUPS)
			return seterr(msg, msglen, "%s: at most %d group addresses", key,
				      NODE_SETUP_MAX_GROUPS);
		span_trim(&s, &n);
		if (parse_uint_n(s, n, 0xffff, &v) < 0 || v < GROUP_MIN || v > GROUP_MAX)
			return seterr(msg, msglen,
				      "%s: '%.*s' is not a group address (0x%04x-0x%04x)", key,
				      (int)(n < SHOW ? n : SHOW), s, GROUP_MIN, GROUP_MAX);
		for (unsigned i = 0; i < out.n; i++) {
			if (out.addr[i] == v)
				return seterr(msg, msglen, "%s: group 0x%04lx given twice", key, v);
		}
		out.addr[out.n++] = (uint16_t)v;
		if (!comma)
			break;
		s = comma + 1;
	}
	*g = out;
	return 0;
}

/* aligenie_groups.PID = ... */
static int set_product_groups(struct conf *c, const char *key, const char *val, char *msg,
			      size_t msglen)
{
	struct conf_product_groups *e = NULL;
	struct conf_groups g;
	unsigned long pid;

	if (parse_uint(key + strlen(PRODUCT_PREFIX), 0xffffffff, &pid) < 0)
		return seterr(msg, msglen,
			      "bad ProductID in '%.*s' (aligenie_groups.PID, PID decimal or 0x hex up to 0xffffffff)",
			      SHOW, key);
	if (parse_groups(key, val, &g, msg, msglen) < 0)
		return -1;
	for (unsigned i = 0; i < c->nproduct_groups; i++) {
		if (c->product_groups[i].pid == pid)
			e = &c->product_groups[i];
	}
	if (!e) {
		if (c->nproduct_groups == CONF_MAX_PRODUCT_GROUPS)
			return seterr(msg, msglen, "too many aligenie_groups.PID keys (at most %d)",
				      CONF_MAX_PRODUCT_GROUPS);
		e = &c->product_groups[c->nproduct_groups++];
		e->pid = (uint32_t)pid;
	}
	e->groups = g;
	return 0;
}

static int set_key(struct conf *c, const char *key, const char *val, char *msg, size_t msglen)
{
	const struct key_def *k = NULL;
	char *field;
	unsigned long v;

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		if (!strcmp(key, keys[i].name))
			k = &keys[i];
	}
	if (!k) {
		if (!strncmp(key, PRODUCT_PREFIX, strlen(PRODUCT_PREFIX)))
			return set_product_groups(c, key, val, msg, msglen);
		return seterr(msg, msglen, "unknown key '%.*s'", SHOW, key);
	}
	field = (char *)c + k->off;
	switch (k->type) {
	case KEY_STRING:
		if (strlen(val) >= k->size)
			return seterr(msg, msglen, "%s must be at most %zu characters, not %zu",
				      key, k->size - 1, strlen(val));
		memcpy(field, val, strlen(val) + 1);
		if (field == c->hci)
			c->hci_set = true;
		return 0;
	case KEY_GROUP_NAME:
		if (strlen(val) >= k->size || !group_name_ok(val))
			return seterr(msg, msglen,
				      "%s must be 1-%zu characters of A-Z a-z 0-9 _ . -, not '%.*s'",
				      key, k->size - 1, SHOW, val);
		memcpy(field, val, strlen(val) + 1);
		return 0;
	case KEY_BOOL:
		if (parse_bool(val, (bool *)(void *)field) < 0)
			return seterr(msg, msglen,
				      "%s must be yes or no (true/false, on/off, 1/0), not '%.*s'",
				      key, SHOW, val);
		return 0;
	case KEY_UINT:
		if (parse_uint(val, k->max, &v) < 0 || v < k->min)
			return seterr(msg, msglen, "%s must be %lu-%lu, not '%.*s'", key, k->min,
				      k->max, SHOW, val);
		*(unsigned *)(void *)field = (unsigned)v;
		return 0;
	case KEY_RANGE:
		if (parse_range(val, &c->unicast_low, &c->unicast_high) < 0)
			return seterr(msg, msglen,
				      "%s must be LOW-HIGH, 0x%04x <= LOW <= HIGH <= 0x%04x, not '%.*s'",
				      key, UNICAST_MIN, UNICAST_MAX, SHOW, val);
		c->has_unicast_range = true;
		return 0;
	case KEY_GROUPS:
		return parse_groups(key, val, &c->aligenie_groups, msg, msglen);
	case KEY_LEVEL:
		if (parse_level(val, (enum log_level *)(void *)field) < 0)
			return seterr(msg, msglen,
				      "%s must be error, warning, info or debug, not '%.*s'", key,
				      SHOW, val);
		return 0;
	}
	return seterr(msg, msglen, "internal error: key %s", key);
}

/* Cut a comment off a value: a '#' at its start or after whitespace. */
static void cut_comment(char *val)
{
	for (char *p = val; *p; p++) {
		if (*p == '#' && (p == val || isspace((unsigned char)p[-1]))) {
			*p = '\0';
			return;
		}
	}
}

int conf_parse(struct conf *c, const char *name, const char *buf, size_t len, char *err,
	       size_t errlen)
{
	char line[CONF_MAX_LINE + 1];
	struct textfile_lines l;
	int ret;

	if (textfile_lines_init(&l, name, buf, len, err, errlen) < 0)
		return -1;
	while ((ret = textfile_next_line(&l, line, err, errlen)) > 0) {
		char msg[256];
		char *s = trim(line), *eq, *key, *val;

		if (!*s || *s == '#')
			continue;
		eq = strchr(s, '=');
		if (!eq)
			return textfile_fail(err, errlen, name, l.no,
					     "missing '=' in '%.*s' (key = value)", SHOW, s);
		*eq = '\0';
		key = trim(s);
		val = eq + 1;
		cut_comment(val);
		val = trim(val);
		if (!*key)
			return textfile_fail(err, errlen, name, l.no, "missing the key before '='");
		if (!*val)
			return textfile_fail(err, errlen, name, l.no, "no value for %.*s", SHOW,
					     key);
		if (set_key(c, key, val, msg, sizeof(msg)) < 0)
			return textfile_fail(err, errlen, name, l.no, "%s", msg);
	}
	return ret;
}

int conf_load(struct conf *c, const char *path, bool missing_ok, char *err, size_t errlen)
{
	struct stat st;
	char *buf;
	size_t len;
	int fd, ret;

	conf_defaults(c);
	fd = textfile_open(path, 0, &st, err, errlen);
	if (fd < 0) {
		if (missing_ok && errno == ENOENT) {
			if (err && errlen)
				err[0] = '\0';
			return 0;
		}
		return -1;
	}
	ret = textfile_read_all(fd, path, st.st_size, &buf, &len, err, errlen);
	close(fd);
	if (ret < 0)
		return -1;
	ret = conf_parse(c, path, buf, len, err, errlen);
	free(buf);
	return ret;
}

const struct conf_groups *conf_groups_for(const struct conf *c, uint32_t pid)
{
	for (unsigned i = 0; i < c->nproduct_groups && i < CONF_MAX_PRODUCT_GROUPS; i++) {
		if (c->product_groups[i].pid == pid)
			return &c->product_groups[i].groups;
	}
	return &c->aligenie_groups;
}
