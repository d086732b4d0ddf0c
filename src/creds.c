/* The credentials file. See creds.h. */
#include "creds.h"

#include <ctype.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aligenie.h"
#include "prov.h"
#include "textfile.h"
#include "util.h"

#define CREDS_MAX_FIELDS 5 /* one more than the longest line, to notice extra fields */

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
			return seterr(msg, msglen,
				      "%s must be %s (found a character that is not hex)",
				      spec->what, spec->want);
	}
	if (digits % 2)
		return seterr(msg, msglen, "%s must be %s (an odd number of hex digits)",
			      spec->what, spec->want);
	if (digits / 2 > spec->max)
		return seterr(msg, msglen, "%s must be %s (not %zu octets)", spec->what, spec->want,
			      digits / 2);
	n = hex_decode_var(s, out, spec->max);
	if (n < 0)
		return seterr(msg, msglen, "%s must be %s (misplaced ':' or '-')", spec->what,
			      spec->want);
	if ((size_t)n < spec->min ||
	    (spec->ends_only && (size_t)n != spec->min && (size_t)n != spec->max))
		return seterr(msg, msglen, "%s must be %s (not %d octets)", spec->what, spec->want,
			      n);
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

static int parse_aligenie(struct creds_entry *cr, char **f, unsigned nf, char *msg, size_t msglen)
{
	static const char *const missing[] = {
		[1] = "the ProductID, the MAC and the secret",
		[2] = "the MAC and the secret",
		[3] = "the secret",
	};
	unsigned long pid;
	int n;

	if (nf < 4)
		return seterr(msg, msglen, "missing %s (aligenie PID MAC SECRET)", missing[nf]);
	if (nf > 4)
		return seterr(msg, msglen,
			      "extra field after the secret (aligenie PID MAC SECRET)");
	if (parse_uint(f[1], 0xffffffff, &pid) < 0)
		return seterr(msg, msglen,
			      "the ProductID must be decimal or 0x hex, up to 0xffffffff");
	if (hex_field(f[2], &mac_spec, cr->mac, msg, msglen) < 0)
		return -1;
	n = hex_field(f[3], &secret_spec, cr->secret, msg, msglen);
	if (n < 0)
		return -1;
	cr->kind = CREDS_ALIGENIE;
	cr->pid = (uint32_t)pid;
	cr->secret_len = (uint8_t)n;
	return 0;
}

static int parse_uuid(struct creds_entry *cr, char **f, unsigned nf, char *msg, size_t msglen)
{
	int n;

	if (nf < 2)
		return seterr(msg, msglen,
			      "missing the UUID (uuid UUID static-oob HEX, or uuid UUID no-oob)");
	if (hex_field(f[1], &uuid_spec, cr->uuid, msg, msglen) < 0)
		return -1;
	if (nf < 3 || (strcmp(f[2], "static-oob") && strcmp(f[2], "no-oob")))
		return seterr(msg, msglen, "expected 'static-oob HEX' or 'no-oob' after the UUID");
	if (!strcmp(f[2], "no-oob")) {
		if (nf > 3)
			return seterr(msg, msglen, "extra field after 'no-oob'");
		cr->kind = CREDS_NO_OOB;
		return 0;
	}
	if (nf < 4)
		return seterr(msg, msglen, "missing the value after 'static-oob'");
	if (nf > 4)
		return seterr(msg, msglen, "extra field after the static OOB value");
	n = hex_field(f[3], &oob_spec, cr->static_oob, msg, msglen);
	if (n < 0)
		return -1;
	cr->kind = CREDS_STATIC_OOB;
	cr->static_len = (uint8_t)n;
	return 0;
}

static int parse_cred(struct creds_entry *cr, char **f, unsigned nf, char *msg, size_t msglen)
{
	if (!strcmp(f[0], "aligenie"))
		return parse_aligenie(cr, f, nf, msg, msglen);
	if (!strcmp(f[0], "uuid"))
		return parse_uuid(cr, f, nf, msg, msglen);
	if (quotable(f[0]))
		return seterr(msg, msglen, "unknown kind '%s' (aligenie or uuid)", f[0]);
	return seterr(msg, msglen, "unknown kind (aligenie or uuid)");
}

void creds_init(struct creds *c)
{
	c->v = NULL;
	c->n = 0;
	c->cap = 0;
}

/* Append a copy of cr: 0 or -1 (out of memory). Grows by copying, so that
 * no secret is left behind in freed memory. */
static int creds_add(struct creds *c, const struct creds_entry *cr)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 16;
		struct creds_entry *v;

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
static int cred_key_cmp(const struct creds_entry *a, const struct creds_entry *b)
{
	bool ua = a->kind != CREDS_ALIGENIE, ub = b->kind != CREDS_ALIGENIE;

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
	const struct creds_entry *a = *(const struct creds_entry *const *)pa;
	const struct creds_entry *b = *(const struct creds_entry *const *)pb;
	int r = cred_key_cmp(a, b);

	if (r)
		return r;
	return a < b ? -1 : a > b;
}

/* The first device (in file order) listed a second time is an error naming
 * both lines. */
static int check_duplicates(const struct creds *c, const char *name, char *err, size_t errlen)
{
	const struct creds_entry **s, *first = NULL, *second = NULL;

	if (c->n < 2)
		return 0;
	s = malloc(c->n * sizeof(*s));
	if (!s)
		return textfile_fail(err, errlen, name, 0, "out of memory");
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
	return textfile_fail(err, errlen, name, second->line,
			     "device listed twice, on lines %u and %u (%s)", first->line, second->line,
			     second->kind == CREDS_ALIGENIE ? "same ProductID and MAC" : "same UUID");
}

int creds_parse(struct creds *c, const char *name, const char *buf, size_t len, char *err,
		size_t errlen)
{
	char line[CREDS_MAX_LINE + 1];
	size_t n0 = c->n;
	struct textfile_lines l;
	struct creds_entry cr;
	int ret;

	if (textfile_lines_init(&l, name, buf, len, err, errlen) < 0)
		return -1;
	while ((ret = textfile_next_line(&l, line, err, errlen)) > 0) {
		char *f[CREDS_MAX_FIELDS], msg[160];
		unsigned nf = split(line, f, CREDS_MAX_FIELDS);

		if (!nf)
			continue;
		memset(&cr, 0, sizeof(cr));
		cr.line = l.no;
		if (parse_cred(&cr, f, nf, msg, sizeof(msg)) < 0) {
			ret = textfile_fail(err, errlen, name, l.no, "%s", msg);
			break;
		}
		if (creds_add(c, &cr) < 0) {
			ret = textfile_fail(err, errlen, name, l.no, "out of memory");
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

	fd = textfile_open(path, O_NOFOLLOW, &st, err, errlen);
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
	ret = textfile_read_all(fd, path, st.st_size, &buf, &len, err, errlen);
	close(fd);
	if (ret < 0)
		return -1;
	ret = creds_parse(c, path, buf, len, err, errlen);
	OPENSSL_cleanse(buf, len);
	free(buf);
	return ret;
}

const struct creds_entry *creds_match(const struct creds *c, const uint8_t uuid[16])
{
	struct aligenie_info ali;

	for (size_t i = 0; i < c->n; i++) {
		if (c->v[i].kind != CREDS_ALIGENIE && !memcmp(c->v[i].uuid, uuid, 16))
			return &c->v[i];
	}
	if (!aligenie_decode(uuid, &ali))
		return NULL;
	for (size_t i = 0; i < c->n; i++) {
		if (c->v[i].kind == CREDS_ALIGENIE && c->v[i].pid == ali.product_id &&
		    !memcmp(c->v[i].mac, ali.mac, sizeof(ali.mac)))
			return &c->v[i];
	}
	return NULL;
}

void creds_auth(const struct creds_entry *cr, const uint8_t uuid[16], struct prov_auth *a)
{
	struct aligenie_info ali;

	_Static_assert(sizeof(a->secret) == sizeof(cr->secret), "secret sizes");
	_Static_assert(sizeof(a->static_value) == sizeof(cr->static_oob), "static OOB sizes");
	memset(a, 0, sizeof(*a));
	switch (cr->kind) {
	case CREDS_ALIGENIE:
		a->kind = PROV_USE_ALIGENIE;
		a->product_id = cr->pid;
		memcpy(a->mac, cr->mac, sizeof(a->mac));
		memcpy(a->secret, cr->secret, sizeof(a->secret));
		a->secret_len = cr->secret_len;
		a->random_bound = aligenie_decode(uuid, &ali) && ali.random_auth;
		break;
	case CREDS_STATIC_OOB:
		a->kind = PROV_USE_STATIC;
		memcpy(a->static_value, cr->static_oob, sizeof(a->static_value));
		a->static_len = cr->static_len;
		break;
	case CREDS_NO_OOB:
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
