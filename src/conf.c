/* The configuration file and the credentials file. See conf.h. */
#include "conf.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aligenie.h"
#include "prov.h"
#include "util.h"

#define UNICAST_MIN 0x0001
#define UNICAST_MAX 0x7fff
#define GROUP_MIN 0xc000
#define GROUP_MAX 0xfeff
#define PRODUCT_PREFIX "aligenie_groups."
#define SHOW 64 /* at most this many characters of a quoted value in a message */

/* ---- errors and lines (both files) ---- */

/* "name:line: message" ("name: message" for line 0) into err; returns -1. */
static int fail(char *err, size_t errlen, const char *name, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static int fail(char *err, size_t errlen, const char *name, unsigned line, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	int n;

	if (err && errlen) {
		if (line)
			n = snprintf(err, errlen, "%s:%u: ", name, line);
		else
			n = snprintf(err, errlen, "%s: ", name);
		if (n >= 0 && (size_t)n < errlen) {
			va_start(ap, fmt);
			vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
			va_end(ap);
		}
	}
	errno = saved;
	return -1;
}

/* A message without the "name:line: " prefix, for the per-line parsers. */
static int say(char *msg, size_t msglen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int say(char *msg, size_t msglen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, msglen, fmt, ap);
	va_end(ap);
	return -1;
}

struct lines {
	const char *name;
	const char *p, *end;
	unsigned no; /* of the line last returned */
};

static int lines_init(struct lines *l, const char *name, const char *buf, size_t len, char *err,
		      size_t errlen)
{
	if (len > CONF_MAX_FILE)
		return fail(err, errlen, name, 0, "larger than %u bytes", CONF_MAX_FILE);
	l->name = name;
	l->p = len ? buf : NULL;
	l->end = len ? buf + len : NULL;
	l->no = 0;
	return 0;
}

/* The next line without its newline, NUL-terminated in out (CONF_MAX_LINE + 1
 * bytes): 1, 0 at the end, or -1 with err. */
static int next_line(struct lines *l, char out[CONF_MAX_LINE + 1], char *err, size_t errlen)
{
	const char *nl;
	size_t n;

	if (l->p == l->end)
		return 0;
	l->no++;
	nl = memchr(l->p, '\n', (size_t)(l->end - l->p));
	n = (size_t)((nl ? nl : l->end) - l->p);
	if (n > CONF_MAX_LINE)
		return fail(err, errlen, l->name, l->no, "line longer than %d characters",
			    CONF_MAX_LINE);
	if (memchr(l->p, '\0', n))
		return fail(err, errlen, l->name, l->no, "NUL byte in the line");
	memcpy(out, l->p, n);
	out[n] = '\0';
	l->p = nl ? nl + 1 : l->end;
	return 1;
}

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

/* ---- configuration file ---- */

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
			return say(msg, msglen, "%s: at most %d group addresses", key,
				   NODE_SETUP_MAX_GROUPS);
		span_trim(&s, &n);
		if (parse_uint_n(s, n, 0xffff, &v) < 0 || v < GROUP_MIN || v > GROUP_MAX)
			return say(msg, msglen,
				   "%s: '%.*s' is not a group address (0x%04x-0x%04x)", key,
				   (int)(n < SHOW ? n : SHOW), s, GROUP_MIN, GROUP_MAX);
		for (unsigned i = 0; i < out.n; i++) {
			if (out.addr[i] == v)
				return say(msg, msglen, "%s: group 0x%04lx given twice", key, v);
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
		return say(msg, msglen,
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
			return say(msg, msglen, "too many aligenie_groups.PID keys (at most %d)",
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
		return say(msg, msglen, "unknown key '%.*s'", SHOW, key);
	}
	field = (char *)c + k->off;
	switch (k->type) {
	case KEY_STRING:
		if (strlen(val) >= k->size)
			return say(msg, msglen, "%s must be at most %zu characters, not %zu", key,
				   k->size - 1, strlen(val));
		memcpy(field, val, strlen(val) + 1);
		return 0;
	case KEY_GROUP_NAME:
		if (strlen(val) >= k->size || !group_name_ok(val))
			return say(msg, msglen,
				   "%s must be 1-%zu characters of A-Z a-z 0-9 _ . -, not '%.*s'", key,
				   k->size - 1, SHOW, val);
		memcpy(field, val, strlen(val) + 1);
		return 0;
	case KEY_BOOL:
		if (parse_bool(val, (bool *)(void *)field) < 0)
			return say(msg, msglen,
				   "%s must be yes or no (true/false, on/off, 1/0), not '%.*s'", key,
				   SHOW, val);
		return 0;
	case KEY_UINT:
		if (parse_uint(val, k->max, &v) < 0 || v < k->min)
			return say(msg, msglen, "%s must be %lu-%lu, not '%.*s'", key, k->min, k->max,
				   SHOW, val);
		*(unsigned *)(void *)field = (unsigned)v;
		return 0;
	case KEY_RANGE:
		if (parse_range(val, &c->unicast_low, &c->unicast_high) < 0)
			return say(msg, msglen,
				   "%s must be LOW-HIGH, 0x%04x <= LOW <= HIGH <= 0x%04x, not '%.*s'", key,
				   UNICAST_MIN, UNICAST_MAX, SHOW, val);
		c->has_unicast_range = true;
		return 0;
	case KEY_GROUPS:
		return parse_groups(key, val, &c->aligenie_groups, msg, msglen);
	case KEY_LEVEL:
		if (parse_level(val, (enum log_level *)(void *)field) < 0)
			return say(msg, msglen, "%s must be error, warning, info or debug, not '%.*s'",
				   key, SHOW, val);
		return 0;
	}
	return say(msg, msglen, "internal error: key %s", key);
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
	struct lines l;
	int ret;

	if (lines_init(&l, name, buf, len, err, errlen) < 0)
		return -1;
	while ((ret = next_line(&l, line, err, errlen)) > 0) {
		char msg[256];
		char *s = trim(line), *eq, *key, *val;

		if (!*s || *s == '#')
			continue;
		eq = strchr(s, '=');
		if (!eq)
			return fail(err, errlen, name, l.no, "missing '=' in '%.*s' (key = value)",
				    SHOW, s);
		*eq = '\0';
		key = trim(s);
		val = eq + 1;
		cut_comment(val);
		val = trim(val);
		if (!*key)
			return fail(err, errlen, name, l.no, "missing the key before '='");
		if (!*val)
			return fail(err, errlen, name, l.no, "no value for %.*s", SHOW, key);
		if (set_key(c, key, val, msg, sizeof(msg)) < 0)
			return fail(err, errlen, name, l.no, "%s", msg);
	}
	return ret;
}

/* Open path for reading and check that it is a regular file: the fd, or -1
 * with "PATH: ..." in err and errno set. */
static int open_file(const char *path, int flags, struct stat *st, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | flags);

	if (fd < 0) {
		if (errno == ELOOP && (flags & O_NOFOLLOW))
			return fail(err, errlen, path, 0, "%s (a symbolic link is refused)",
				    strerror(errno));
		return fail(err, errlen, path, 0, "%s", strerror(errno));
	}
	if (fstat(fd, st) < 0) {
		fail(err, errlen, path, 0, "%s", strerror(errno));
		close(fd);
		return -1;
	}
	if (!S_ISREG(st->st_mode)) {
		fail(err, errlen, path, 0, "not a regular file");
		close(fd);
		errno = EINVAL;
		return -1;
	}
	return fd;
}

/* Read the rest of fd (st_size: the size fstat gave) into a fresh buffer of
 * at most CONF_MAX_FILE bytes: 0, or -1 with "PATH: ..." in err. The buffer
 * may hold secrets: OPENSSL_cleanse it before free(). */
static int read_all(int fd, const char *path, off_t st_size, char **bufp, size_t *lenp, char *err,
		    size_t errlen)
{
	size_t cap, len = 0;
	char *buf;

	if (st_size < 0 || (uint64_t)st_size > CONF_MAX_FILE)
		return fail(err, errlen, path, 0, "larger than %u bytes", CONF_MAX_FILE);
	cap = (size_t)st_size + 1; /* room to notice growth */
	buf = malloc(cap);
	if (!buf)
		return fail(err, errlen, path, 0, "out of memory");
	for (;;) {
		ssize_t r;

		if (len == cap) {
			size_t ncap = cap * 2 < CONF_MAX_FILE + 1 ? cap * 2 : CONF_MAX_FILE + 1;
			char *nb;

			if (cap > CONF_MAX_FILE) {
				fail(err, errlen, path, 0, "larger than %u bytes", CONF_MAX_FILE);
				goto fail;
			}
			nb = malloc(ncap);
			if (!nb) {
				fail(err, errlen, path, 0, "out of memory");
				goto fail;
			}
			memcpy(nb, buf, len);
			OPENSSL_cleanse(buf, len);
			free(buf);
			buf = nb;
			cap = ncap;
		}
		r = read(fd, buf + len, cap - len);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			fail(err, errlen, path, 0, "%s", strerror(errno));
			goto fail;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	*bufp = buf;
	*lenp = len;
	return 0;
fail:
	OPENSSL_cleanse(buf, len);
	free(buf);
	return -1;
}

int conf_load(struct conf *c, const char *path, bool missing_ok, char *err, size_t errlen)
{
	struct stat st;
	char *buf;
	size_t len;
	int fd, ret;

	conf_defaults(c);
	fd = open_file(path, 0, &st, err, errlen);
	if (fd < 0) {
		if (missing_ok && errno == ENOENT) {
			if (err && errlen)
				err[0] = '\0';
			return 0;
		}
		return -1;
	}
	ret = read_all(fd, path, st.st_size, &buf, &len, err, errlen);
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

/* ---- credentials file ---- */

#define CRED_MAX_FIELDS 5 /* one more than the longest line, to notice extra fields */

struct hex_spec {
	const char *what; /* "the MAC" */
	const char *want; /* "6 octets of hex" */
	size_t min, max;  /* octets */
	bool ends_only;   /* min or max octets, nothing between */
};

static const struct hex_spec mac_spec = { "the MAC", "6 octets of hex", 6, 6, false };
static const struct hex_spec uuid_spec = { "the UUID", "16 octets of hex", 16, 16, false };
static const struct hex_spec secret_spec = { "the secret", "1-64 octets of hex", 1, 64, false };
static const struct hex_spec oob_spec = { "the static OOB value", "16 or 32 octets of hex", 16, 32,
					  true };

/* Decode a hex field into out (spec->max octets): the octet count, or -1 with
 * a message naming the field and why, never quoting it (it may be a secret). */
static int hex_field(const char *s, const struct hex_spec *spec, uint8_t *out, char *msg,
		     size_t msglen)
{
	const char *p = s;
	size_t digits = 0;
	int n;

	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		p += 2;
	for (; *p; p++) {
		if (isxdigit((unsigned char)*p))
			digits++;
		else if (*p != ':' && *p != '-')
			return say(msg, msglen, "%s must be %s (found a character that is not hex)",
				   spec->what, spec->want);
	}
	if (digits % 2)
		return say(msg, msglen, "%s must be %s (an odd number of hex digits)", spec->what,
			   spec->want);
	if (digits / 2 > spec->max)
		return say(msg, msglen, "%s must be %s (not %zu octets)", spec->what, spec->want,
			   digits / 2);
	n = hex_decode_var(s, out, spec->max);
	if (n < 0)
		return say(msg, msglen, "%s must be %s (misplaced ':' or '-')", spec->what,
			   spec->want);
	if ((size_t)n < spec->min ||
	    (spec->ends_only && (size_t)n != spec->min && (size_t)n != spec->max))
		return say(msg, msglen, "%s must be %s (not %d octets)", spec->what, spec->want, n);
	return n;
}

/* Split line into whitespace-separated fields up to a '#' field; stores at
 * most max of them, returns how many there are. */
static unsigned split(char *line, char **f, unsigned max)
{
	unsigned n = 0;
	char *p = line;

	for (;;) {
		while (isspace((unsigned char)*p))
			p++;
		if (!*p || *p == '#')
			return n;
		if (n < max)
			f[n] = p;
		n++;
		while (*p && !isspace((unsigned char)*p))
			p++;
		if (*p)
			*p++ = '\0';
	}
}

/* Whether an unknown kind may be quoted: a short word that is not all hex (a
 * stray line of a secret must not end up in a message). */
static bool quotable(const char *s)
{
	bool hex = true;
	size_t n = 0;

	for (; *s; s++, n++) {
		if (!isgraph((unsigned char)*s))
			return false;
		if (!isxdigit((unsigned char)*s))
			hex = false;
	}
	return n <= 20 && !hex;
}

static int parse_aligenie(struct cred *cr, char **f, unsigned nf, char *msg, size_t msglen)
{
	static const char *const missing[] = {
		[1] = "the ProductID, the MAC and the secret",
		[2] = "the MAC and the secret",
		[3] = "the secret",
	};
	unsigned long pid;
	int n;

	if (nf < 4)
		return say(msg, msglen, "missing %s (aligenie PID MAC SECRET)", missing[nf]);
	if (nf > 4)
		return say(msg, msglen, "extra field after the secret (aligenie PID MAC SECRET)");
	if (parse_uint(f[1], 0xffffffff, &pid) < 0)
		return say(msg, msglen, "the ProductID must be decimal or 0x hex, up to 0xffffffff");
	if (hex_field(f[2], &mac_spec, cr->mac, msg, msglen) < 0)
		return -1;
	n = hex_field(f[3], &secret_spec, cr->secret, msg, msglen);
	if (n < 0)
		return -1;
	cr->kind = CRED_ALIGENIE;
	cr->pid = (uint32_t)pid;
	cr->secret_len = (uint8_t)n;
	return 0;
}

static int parse_uuid(struct cred *cr, char **f, unsigned nf, char *msg, size_t msglen)
{
	int n;

	if (nf < 2)
		return say(msg, msglen,
			   "missing the UUID (uuid UUID static-oob HEX, or uuid UUID no-oob)");
	if (hex_field(f[1], &uuid_spec, cr->uuid, msg, msglen) < 0)
		return -1;
	if (nf < 3 || (strcmp(f[2], "static-oob") && strcmp(f[2], "no-oob")))
		return say(msg, msglen, "expected 'static-oob HEX' or 'no-oob' after the UUID");
	if (!strcmp(f[2], "no-oob")) {
		if (nf > 3)
			return say(msg, msglen, "extra field after 'no-oob'");
		cr->kind = CRED_NO_OOB;
		return 0;
	}
	if (nf < 4)
		return say(msg, msglen, "missing the value after 'static-oob'");
	if (nf > 4)
		return say(msg, msglen, "extra field after the static OOB value");
	n = hex_field(f[3], &oob_spec, cr->static_oob, msg, msglen);
	if (n < 0)
		return -1;
	cr->kind = CRED_STATIC_OOB;
	cr->static_len = (uint8_t)n;
	return 0;
}

static int parse_cred(struct cred *cr, char **f, unsigned nf, char *msg, size_t msglen)
{
	if (!strcmp(f[0], "aligenie"))
		return parse_aligenie(cr, f, nf, msg, msglen);
	if (!strcmp(f[0], "uuid"))
		return parse_uuid(cr, f, nf, msg, msglen);
	if (quotable(f[0]))
		return say(msg, msglen, "unknown kind '%s' (aligenie or uuid)", f[0]);
	return say(msg, msglen, "unknown kind (aligenie or uuid)");
}

void creds_init(struct creds *c)
{
	c->v = NULL;
	c->n = 0;
	c->cap = 0;
}

/* Append a copy of cr: 0 or -1 (out of memory). Grows by copying, so that
 * no secret is left behind in freed memory. */
static int creds_add(struct creds *c, const struct cred *cr)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 16;
		struct cred *v;

		if (cap > SIZE_MAX / sizeof(*v))
			return -1;
		v = malloc(cap * sizeof(*v));
		if (!v)
			return -1;
		if (c->n) {
			memcpy(v, c->v, c->n * sizeof(*v));
			OPENSSL_cleanse(c->v, c->n * sizeof(*v));
		}
		free(c->v);
		c->v = v;
		c->cap = cap;
	}
	c->v[c->n++] = *cr;
	return 0;
}

/* Devices are the same when they have the same UUID (uuid lines) or the same
 * ProductID and MAC (aligenie lines). */
static int cred_key_cmp(const struct cred *a, const struct cred *b)
{
	bool ua = a->kind != CRED_ALIGENIE, ub = b->kind != CRED_ALIGENIE;

	if (ua != ub)
		return ua ? 1 : -1;
	if (ua)
		return memcmp(a->uuid, b->uuid, sizeof(a->uuid));
	if (a->pid != b->pid)
		return a->pid < b->pid ? -1 : 1;
	return memcmp(a->mac, b->mac, sizeof(a->mac));
}

/* By device, then by position in the array (file order). */
static int cred_sort_cmp(const void *pa, const void *pb)
{
	const struct cred *a = *(const struct cred *const *)pa;
	const struct cred *b = *(const struct cred *const *)pb;
	int r = cred_key_cmp(a, b);

	if (r)
		return r;
	return a < b ? -1 : a > b;
}

/* The first device (in file order) listed a second time is an error naming
 * both lines. */
static int check_duplicates(const struct creds *c, const char *name, char *err, size_t errlen)
{
	const struct cred **s, *first = NULL, *second = NULL;

	if (c->n < 2)
		return 0;
	s = malloc(c->n * sizeof(*s));
	if (!s)
		return fail(err, errlen, name, 0, "out of memory");
	for (size_t i = 0; i < c->n; i++)
		s[i] = &c->v[i];
	qsort(s, c->n, sizeof(*s), cred_sort_cmp);
	for (size_t i = 1; i < c->n; i++) {
		if (!cred_key_cmp(s[i - 1], s[i]) && (!second || s[i] < second)) {
			first = s[i - 1];
			second = s[i];
		}
	}
	free(s);
	if (!second)
		return 0;
	return fail(err, errlen, name, second->line, "device listed twice, on lines %u and %u (%s)",
		    first->line, second->line,
		    second->kind == CRED_ALIGENIE ? "same ProductID and MAC" : "same UUID");
}

int creds_parse(struct creds *c, const char *name, const char *buf, size_t len, char *err,
		size_t errlen)
{
	char line[CONF_MAX_LINE + 1];
	size_t n0 = c->n;
	struct lines l;
	struct cred cr;
	int ret;

	if (lines_init(&l, name, buf, len, err, errlen) < 0)
		return -1;
	while ((ret = next_line(&l, line, err, errlen)) > 0) {
		char *f[CRED_MAX_FIELDS], msg[160];
		unsigned nf = split(line, f, CRED_MAX_FIELDS);

		if (!nf)
			continue;
		memset(&cr, 0, sizeof(cr));
		cr.line = l.no;
		if (parse_cred(&cr, f, nf, msg, sizeof(msg)) < 0) {
			ret = fail(err, errlen, name, l.no, "%s", msg);
			break;
		}
		if (creds_add(c, &cr) < 0) {
			ret = fail(err, errlen, name, l.no, "out of memory");
			break;
		}
	}
	if (ret == 0)
		ret = check_duplicates(c, name, err, errlen);
	OPENSSL_cleanse(line, sizeof(line));
	OPENSSL_cleanse(&cr, sizeof(cr));
	if (ret < 0 && c->n > n0) {
		OPENSSL_cleanse(&c->v[n0], (c->n - n0) * sizeof(*c->v));
		c->n = n0;
	}
	return ret < 0 ? -1 : 0;
}

int creds_load(struct creds *c, const char *path, char *err, size_t errlen)
{
	struct stat st;
	char *buf;
	size_t len;
	int fd, ret;

	fd = open_file(path, O_NOFOLLOW, &st, err, errlen);
	if (fd < 0)
		return -1;
	if (st.st_mode & 0077) {
		close(fd);
		if (err && errlen)
			snprintf(err, errlen,
				 "%s is accessible by group or others (mode %04o): make it 0600 (chmod 600 %s)",
				 path, (unsigned)(st.st_mode & 07777), path);
		return -1;
	}
	ret = read_all(fd, path, st.st_size, &buf, &len, err, errlen);
	close(fd);
	if (ret < 0)
		return -1;
	ret = creds_parse(c, path, buf, len, err, errlen);
	OPENSSL_cleanse(buf, len);
	free(buf);
	return ret;
}

const struct cred *creds_match(const struct creds *c, const uint8_t uuid[16])
{
	struct aligenie_info ali;

	for (size_t i = 0; i < c->n; i++) {
		if (c->v[i].kind != CRED_ALIGENIE && !memcmp(c->v[i].uuid, uuid, 16))
			return &c->v[i];
	}
	if (!aligenie_decode(uuid, &ali))
		return NULL;
	for (size_t i = 0; i < c->n; i++) {
		if (c->v[i].kind == CRED_ALIGENIE && c->v[i].pid == ali.product_id &&
		    !memcmp(c->v[i].mac, ali.mac, sizeof(ali.mac)))
			return &c->v[i];
	}
	return NULL;
}

void creds_auth(const struct cred *cr, const uint8_t uuid[16], struct prov_auth *a)
{
	struct aligenie_info ali;

	_Static_assert(sizeof(a->secret) == sizeof(cr->secret), "secret sizes");
	_Static_assert(sizeof(a->static_value) == sizeof(cr->static_oob), "static OOB sizes");
	memset(a, 0, sizeof(*a));
	switch (cr->kind) {
	case CRED_ALIGENIE:
		a->kind = PROV_USE_ALIGENIE;
		a->product_id = cr->pid;
		memcpy(a->mac, cr->mac, sizeof(a->mac));
		memcpy(a->secret, cr->secret, sizeof(a->secret));
		a->secret_len = cr->secret_len;
		a->random_bound = aligenie_decode(uuid, &ali) && ali.random_auth;
		break;
	case CRED_STATIC_OOB:
		a->kind = PROV_USE_STATIC;
		memcpy(a->static_value, cr->static_oob, sizeof(a->static_value));
		a->static_len = cr->static_len;
		break;
	case CRED_NO_OOB:
		a->kind = PROV_USE_NO_OOB;
		break;
	}
}

void creds_free(struct creds *c)
{
	if (c->n)
		OPENSSL_cleanse(c->v, c->n * sizeof(*c->v));
	free(c->v);
	creds_init(c);
}

void creds_swap(struct creds *a, struct creds *b)
{
	struct creds t = *a;

	*a = *b;
	*b = t;
}
