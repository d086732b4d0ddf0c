#include "provreq.h"

#include <json.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "aligenie.h"
#include "crypto.h"
#include "util.h"

static int bad(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int bad(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* A value typed on a command line: a string, or a number written as one. */
static int text_of(struct json_object *v, char *buf, size_t len)
{
	int n;

	if (json_object_is_type(v, json_type_string))
		n = snprintf(buf, len, "%s", json_object_get_string(v));
	else if (json_object_is_type(v, json_type_int) && json_object_get_int64(v) >= 0)
		n = snprintf(buf, len, "%lld", (long long)json_object_get_int64(v));
	else if (json_object_is_type(v, json_type_double) && json_object_get_double(v) > 0)
		n = snprintf(buf, len, "%.17g", json_object_get_double(v));
	else
		return -1;
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

static int uint_of(struct json_object *v, unsigned long max, unsigned long *out)
{
	char buf[32];

	return text_of(v, buf, sizeof(buf)) < 0 ? -1 : parse_uint(buf, max, out);
}

/* What the request asks for, before it is checked as a whole. */
struct fields {
	const char *uuid, *secret, *mac, *static_oob, *auth_value, *pubkey;
	struct json_object *pid;
	int kind_opts;
	enum prov_auth_kind kind;
};

static int set_auth(struct provreq *r, const struct fields *f, char *err, size_t errlen)
{
	struct prov_auth *a = &r->job.prov.auth;
	struct aligenie_info ali;
	bool is_ali = aligenie_decode(r->job.uuid, &ali);
	bool want_ali = f->pid || f->secret || f->mac;
	char hex[33];
	int n;

	hex_encode(r->job.uuid, 16, hex);
	if (f->kind_opts + (want_ali ? 1 : 0) > 1)
		return bad(err, errlen, "choose one authentication method");
	if (!want_ali && f->kind_opts == 0 && is_ali)
		return bad(err, errlen, "%s is an AliGenie device: give its --secret "
			   "(or --secret-file, or MESHPROV_SECRET)", hex);
	if (!want_ali) {
		a->kind = f->kind_opts ? f->kind : PROV_USE_NO_OOB;
		if (a->kind != PROV_USE_STATIC)
			return 0;
		n = hex_decode_var(f->static_oob, a->static_value, sizeof(a->static_value));
		if (n != 16 && n != 32)
			return bad(err, errlen, "--static-oob needs 16 or 32 octets of hex");
		a->static_len = (uint8_t)n;
		return 0;
	}
	a->kind = PROV_USE_ALIGENIE;
	if (!f->secret)
		return bad(err, errlen, "AliGenie authentication needs --secret "
			   "(or --secret-file, or MESHPROV_SECRET)");
	n = hex_decode_var(f->secret, a->secret, sizeof(a->secret));
	if (n <= 0)
		return bad(err, errlen, "the secret must be hex digits");
	a->secret_len = (uint8_t)n;
	if (f->pid) {
		unsigned long v;

		if (uint_of(f->pid, 0xffffffffUL, &v) < 0)
			return bad(err, errlen, "--pid needs a number");
		if (is_ali && v != ali.product_id)
			return bad(err, errlen, "--pid %lu disagrees with the UUID's ProductID %u", v,
				   (unsigned)ali.product_id);
		a->product_id = (uint32_t)v;
	} else if (is_ali) {
		a->product_id = ali.product_id;
	} else {
		return bad(err, errlen, "not an AliGenie UUID: give --pid and --mac");
	}
	if (f->mac) {
		if (hex_decode(f->mac, a->mac, 6) < 0)
			return bad(err, errlen, "--mac needs 6 octets of hex");
		if (is_ali && memcmp(a->mac, ali.mac, 6))
			return bad(err, errlen, "--mac disagrees with the UUID's MAC");
	} else if (is_ali) {
		memcpy(a->mac, ali.mac, 6);
	} else {
		return bad(err, errlen, "not an AliGenie UUID: give --pid and --mac");
	}
	a->random_bound = is_ali && ali.random_auth;
	return 0;
}

static int want_string(const char *key, struct json_object *v, const char **out, char *err,
		       size_t errlen)
{
	if (!json_object_is_type(v, json_type_string))
		return bad(err, errlen, "'%s' must be a string", key);
	*out = json_object_get_string(v);
	return 0;
}

static int want_flag(const char *key, struct json_object *v, bool *out, char *err, size_t errlen)
{
	if (!json_object_is_type(v, json_type_boolean))
		return bad(err, errlen, "'%s' must be true or false", key);
	*out = json_object_get_boolean(v);
	return 0;
}

static int kind_flag(const char *key, struct json_object *v, enum prov_auth_kind kind,
		     struct fields *f, char *err, size_t errlen)
{
	bool on = false;

	if (want_flag(key, v, &on, err, errlen) < 0)
		return -1;
	if (on) {
		f->kind = kind;
		f->kind_opts++;
	}
	return 0;
}

static int seconds_of(const char *opt, struct json_object *v, double *out, char *err, size_t errlen)
{
	char buf[40];

	if (text_of(v, buf, sizeof(buf)) < 0 || (*out = parse_seconds(buf)) < 0)
		return bad(err, errlen, "--%s needs a positive number of seconds", opt);
	return 0;
}

static int groups_of(struct json_object *v, struct provreq *r, char *err, size_t errlen)
{
	size_t n;

	if (!json_object_is_type(v, json_type_array))
		return bad(err, errlen, "'groups' must be an array");
	n = json_object_array_length(v);
	for (size_t i = 0; i < n; i++) {
		unsigned long g;

		if (uint_of(json_object_array_get_idx(v, i), 0xffff, &g) < 0 || g < 0xc000 ||
		    g >= 0xff00 || r->job.ngroups == NODE_SETUP_MAX_GROUPS)
			return bad(err, errlen, "--group needs a group address 0xc000-0xfeff (at most %d)",
				   NODE_SETUP_MAX_GROUPS);
		r->job.groups[r->job.ngroups++] = (uint16_t)g;
	}
	return 0;
}

static int field(const char *key, struct json_object *v, struct provreq *r, struct fields *f,
		 char *err, size_t errlen)
{
	unsigned long n;

	if (!strcmp(key, "cmd"))
		return 0;
	if (!strcmp(key, "uuid"))
		return want_string(key, v, &f->uuid, err, errlen);
	if (!strcmp(key, "pid")) {
		f->pid = v;
		return 0;
	}
	if (!strcmp(key, "secret"))
		return want_string(key, v, &f->secret, err, errlen);
	if (!strcmp(key, "mac"))
		return want_string(key, v, &f->mac, err, errlen);
	if (!strcmp(key, "static_oob")) {
		f->kind = PROV_USE_STATIC;
		f->kind_opts++;
		return want_string(key, v, &f->static_oob, err, errlen);
	}
	if (!strcmp(key, "no_oob"))
		return kind_flag(key, v, PROV_USE_NO_OOB, f, err, errlen);
	if (!strcmp(key, "output_oob"))
		return kind_flag(key, v, PROV_USE_OUTPUT, f, err, errlen);
	if (!strcmp(key, "input_oob"))
		return kind_flag(key, v, PROV_USE_INPUT, f, err, errlen);
	if (!strcmp(key, "auth_value"))
		return want_string(key, v, &f->auth_value, err, errlen);
	if (!strcmp(key, "device_public_key"))
		return want_string(key, v, &f->pubkey, err, errlen);
	if (!strcmp(key, "unicast")) {
		if (uint_of(v, 0x7fff, &n) < 0 || n == 0)
			return bad(err, errlen, "--unicast needs an address 0x0001-0x7fff");
		r->job.want_unicast = (uint16_t)n;
		return 0;
	}
	if (!strcmp(key, "attention")) {
		if (uint_of(v, 255, &n) < 0)
			return bad(err, errlen, "--attention needs 0-255 seconds");
		r->job.prov.attention = (uint8_t)n;
		return 0;
	}
	if (!strcmp(key, "wait"))
		return seconds_of("wait", v, &r->wait_s, err, errlen);
	if (!strcmp(key, "timeout"))
		return seconds_of("timeout", v, &r->timeout_s, err, errlen);
	if (!strcmp(key, "configure"))
		return want_flag(key, v, &r->job.configure, err, errlen);
	if (!strcmp(key, "groups"))
		return groups_of(v, r, err, errlen);
	return bad(err, errlen, "unknown field '%.40s'", key);
}

int provreq_parse(struct json_object *req, struct provreq *r, char *err, size_t errlen)
{
	struct fields f = { .kind = PROV_USE_NO_OOB };
	int rc = 0;

	memset(r, 0, sizeof(*r));
	r->wait_s = PROVREQ_DEFAULT_WAIT_S;
	r->job.configure = true;
	if (!json_object_is_type(req, json_type_object))
		return bad(err, errlen, "a provision request is a JSON object");
	json_object_object_foreach(req, key, val) {
		if ((rc = field(key, val, r, &f, err, errlen)) < 0)
			break;
	}
	if (rc == 0 && (!f.uuid || hex_decode(f.uuid, r->job.uuid, 16) < 0))
		rc = bad(err, errlen, "--uuid needs the device UUID (32 hex digits)");
	if (rc == 0 && f.pubkey &&
	    (hex_decode(f.pubkey, r->job.prov.device_pubkey, 64) < 0 ||
	     crypto_ecdh_check_public(r->job.prov.device_pubkey) != 0))
		rc = bad(err, errlen, "--device-public-key needs a valid P-256 public key "
			 "(64 octets of hex, X then Y)");
	r->job.prov.has_device_pubkey = f.pubkey != NULL;
	if (rc == 0 && f.auth_value &&
	    snprintf(r->job.auth_value, sizeof(r->job.auth_value), "%s", f.auth_value) >=
		    (int)sizeof(r->job.auth_value))
		rc = bad(err, errlen, "--auth-value is too long");
	if (rc == 0)
		rc = set_auth(r, &f, err, errlen);
	if (rc == 0 && r->job.ngroups == 0) {
		r->job.groups[r->job.ngroups++] = ALIGENIE_GROUP_LIGHTS;
		r->job.groups[r->job.ngroups++] = ALIGENIE_GROUP_ALL;
	}
	if (rc < 0)
		OPENSSL_cleanse(r, sizeof(*r));
	return rc;
}
