#include "provreq.h"

#include <getopt.h>
#include <json.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "aligenie.h"
#include "crypto.h"
#include "util.h"

/* A number the JSON gives as text, as a command line would: a string, or a
 * number written as one; "" (which no check accepts) for anything else. */
static const char *text_of(struct json_object *v, char *buf, size_t len)
{
	if (json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	if (json_object_is_type(v, json_type_int) && json_object_get_int64(v) >= 0)
		snprintf(buf, len, "%lld", (long long)json_object_get_int64(v));
	else if (json_object_is_type(v, json_type_double) && json_object_get_double(v) > 0)
		snprintf(buf, len, "%.17g", json_object_get_double(v));
	else
		buf[0] = '\0';
	return buf;
}

/* A word that must fit len (with its NUL) to be read at all. */
static const char *bounded(const char *s, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s", s);

	return n < 0 || (size_t)n >= len ? "" : buf;
}

static int uint_of(const char *s, unsigned long max, unsigned long *out)
{
	char buf[32];

	return parse_uint(bounded(s, buf, sizeof(buf)), max, out);
}

/* What the request asks for, before it is checked as a whole. */
struct fields {
	const char *uuid, *secret, *mac, *static_oob, *auth_value, *pubkey;
	const char *pid;
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
		return seterr(err, errlen, "choose one authentication method");
	if (!want_ali && f->kind_opts == 0 && is_ali)
		return seterr(err, errlen, "%s is an AliGenie device: give its --secret "
			   "(or --secret-file, or MESHPROV_SECRET)", hex);
	if (!want_ali) {
		a->kind = f->kind_opts ? f->kind : PROV_USE_NO_OOB;
		if (a->kind != PROV_USE_STATIC)
			return 0;
		n = hex_decode_var(f->static_oob, a->static_value, sizeof(a->static_value));
		if (n != 16 && n != 32)
			return seterr(err, errlen, "--static-oob needs 16 or 32 octets of hex");
		a->static_len = (uint8_t)n;
		return 0;
	}
	a->kind = PROV_USE_ALIGENIE;
	if (!f->secret)
		return seterr(err, errlen, "AliGenie authentication needs --secret "
			   "(or --secret-file, or MESHPROV_SECRET)");
	n = hex_decode_var(f->secret, a->secret, sizeof(a->secret));
	if (n <= 0)
		return seterr(err, errlen, "the secret must be hex digits");
	a->secret_len = (uint8_t)n;
	if (f->pid) {
		unsigned long v;

		if (uint_of(f->pid, 0xffffffffUL, &v) < 0)
			return seterr(err, errlen, "--pid needs a number");
		if (is_ali && v != ali.product_id)
			return seterr(err, errlen, "--pid %lu disagrees with the UUID's ProductID %u", v,
				   (unsigned)ali.product_id);
		a->product_id = (uint32_t)v;
	} else if (is_ali) {
		a->product_id = ali.product_id;
	} else {
		return seterr(err, errlen, "not an AliGenie UUID: give --pid and --mac");
	}
	if (f->mac) {
		if (hex_decode(f->mac, a->mac, 6) < 0)
			return seterr(err, errlen, "--mac needs 6 octets of hex");
		if (is_ali && memcmp(a->mac, ali.mac, 6))
			return seterr(err, errlen, "--mac disagrees with the UUID's MAC");
	} else if (is_ali) {
		memcpy(a->mac, ali.mac, 6);
	} else {
		return seterr(err, errlen, "not an AliGenie UUID: give --pid and --mac");
	}
	a->random_bound = is_ali && ali.random_auth;
	return 0;
}

static int seconds_of(const char *opt, const char *s, double *out, char *err, size_t errlen)
{
	char buf[40];

	if ((*out = parse_seconds(bounded(s, buf, sizeof(buf)))) < 0)
		return seterr(err, errlen, "--%s needs a positive number of seconds", opt);
	return 0;
}

/* the numbers, in the order they came (provreq_words.order) */
enum { N_UNICAST, N_ATTENTION, N_WAIT, N_TIMEOUT, N_GROUPS };

static void came(struct provreq_words *w, uint8_t which)
{
	for (unsigned i = 0; i < w->norder; i++)
		if (w->order[i] == which)
			return;
	if (w->norder < PROVREQ_NUM_WORDS)
		w->order[w->norder++] = which;
}

static int check_number(const struct provreq_words *w, uint8_t which, struct provreq *r, char *err,
			size_t errlen)
{
	unsigned long n;

	switch (which) {
	case N_UNICAST:
		if (uint_of(w->unicast, 0x7fff, &n) < 0 || n == 0)
			return seterr(err, errlen, "--unicast needs an address 0x0001-0x7fff");
		r->job.want_unicast = (uint16_t)n;
		return 0;
	case N_ATTENTION:
		if (uint_of(w->attention, 255, &n) < 0)
			return seterr(err, errlen, "--attention needs 0-255 seconds");
		r->job.prov.attention = (uint8_t)n;
		return 0;
	case N_WAIT:
		return seconds_of("wait", w->wait, &r->wait_s, err, errlen);
	case N_TIMEOUT:
		return seconds_of("timeout", w->timeout, &r->timeout_s, err, errlen);
	default:
		for (unsigned i = 0; i < w->ngroups; i++) {
			if (uint_of(w->groups[i], 0xffff, &n) < 0 || n < 0xc000 || n >= 0xff00 ||
			    i == NODE_SETUP_MAX_GROUPS)
				return seterr(err, errlen,
					   "--group needs a group address 0xc000-0xfeff (at most %d)",
					   NODE_SETUP_MAX_GROUPS);
			r->job.groups[r->job.ngroups++] = (uint16_t)n;
		}
		return 0;
	}
}

/* The one check of a request, whichever way its words came. */
static int check(const struct provreq_words *w, struct provreq *r, char *err, size_t errlen)
{
	struct fields f = { .kind = PROV_USE_NO_OOB };

	r->wait_s = PROVREQ_DEFAULT_WAIT_S;
	r->job.configure = !w->no_configure;
	f.uuid = w->uuid;
	f.pid = w->pid;
	f.secret = w->secret;
	f.mac = w->mac;
	f.auth_value = w->auth_value;
	f.pubkey = w->pubkey;
	if (w->static_oob) {
		f.static_oob = w->static_oob;
		f.kind = PROV_USE_STATIC;
		f.kind_opts++;
	}
	if (w->no_oob) {
		f.kind = PROV_USE_NO_OOB;
		f.kind_opts++;
	}
	if (w->output_oob) {
		f.kind = PROV_USE_OUTPUT;
		f.kind_opts++;
	}
	if (w->input_oob) {
		f.kind = PROV_USE_INPUT;
		f.kind_opts++;
	}
	for (unsigned i = 0; i < w->norder; i++)
		if (check_number(w, w->order[i], r, err, errlen) < 0)
			return -1;
	if (!f.uuid || hex_decode(f.uuid, r->job.uuid, 16) < 0)
		return seterr(err, errlen, "--uuid needs the device UUID (32 hex digits)");
	if (f.pubkey && (hex_decode(f.pubkey, r->job.prov.device_pubkey, 64) < 0 ||
			 crypto_ecdh_check_public(r->job.prov.device_pubkey) != 0))
		return seterr(err, errlen, "--device-public-key needs a valid P-256 public key "
			   "(64 octets of hex, X then Y)");
	r->job.prov.has_device_pubkey = f.pubkey != NULL;
	if (f.auth_value && snprintf(r->job.auth_value, sizeof(r->job.auth_value), "%s",
				     f.auth_value) >= (int)sizeof(r->job.auth_value))
		return seterr(err, errlen, "--auth-value is too long");
	if (set_auth(r, &f, err, errlen) < 0)
		return -1;
	if (r->job.ngroups == 0) {
		r->job.groups[r->job.ngroups++] = ALIGENIE_GROUP_LIGHTS;
		r->job.groups[r->job.ngroups++] = ALIGENIE_GROUP_ALL;
	}
	return 0;
}

int provreq_from_words(const struct provreq_words *w, struct provreq *r, char *err, size_t errlen)
{
	int rc;

	memset(r, 0, sizeof(*r));
	rc = check(w, r, err, errlen);
	if (rc < 0)
		OPENSSL_cleanse(r, sizeof(*r));
	return rc;
}

/* ---- the control socket's object ---- */

static int want_string(const char *key, struct json_object *v, const char **out, char *err,
		       size_t errlen)
{
	if (!json_object_is_type(v, json_type_string))
		return seterr(err, errlen, "'%s' must be a string", key);
	*out = json_object_get_string(v);
	return 0;
}

static int want_flag(const char *key, struct json_object *v, bool *out, char *err, size_t errlen)
{
	if (!json_object_is_type(v, json_type_boolean))
		return seterr(err, errlen, "'%s' must be true or false", key);
	*out = json_object_get_boolean(v);
	return 0;
}

static int groups_of(struct json_object *v, struct provreq_words *w, char *err, size_t errlen)
{
	size_t n;

	if (!json_object_is_type(v, json_type_array))
		return seterr(err, errlen, "'groups' must be an array");
	came(w, N_GROUPS);
	n = json_object_array_length(v);
	for (size_t i = 0; i < n && w->ngroups < PROVREQ_MAX_GROUP_WORDS; i++)
		w->groups[w->ngroups++] = text_of(json_object_array_get_idx(v, i),
						  w->buf[PROVREQ_NUM_WORDS + i], sizeof(w->buf[0]));
	return 0;
}

/* buf slots for the numbers given as JSON numbers */
enum { B_PID, B_UNICAST, B_ATTENTION, B_WAIT, B_TIMEOUT };

static int json_field(const char *key, struct json_object *v, struct provreq_words *w, char *err,
		      size_t errlen)
{
	bool on = false;

	if (!strcmp(key, "cmd"))
		return 0;
	if (!strcmp(key, "uuid"))
		return want_string(key, v, &w->uuid, err, errlen);
	if (!strcmp(key, "pid")) {
		w->pid = text_of(v, w->buf[B_PID], sizeof(w->buf[0]));
		return 0;
	}
	if (!strcmp(key, "secret"))
		return want_string(key, v, &w->secret, err, errlen);
	if (!strcmp(key, "mac"))
		return want_string(key, v, &w->mac, err, errlen);
	if (!strcmp(key, "static_oob"))
		return want_string(key, v, &w->static_oob, err, errlen);
	if (!strcmp(key, "no_oob"))
		return want_flag(key, v, &w->no_oob, err, errlen);
	if (!strcmp(key, "output_oob"))
		return want_flag(key, v, &w->output_oob, err, errlen);
	if (!strcmp(key, "input_oob"))
		return want_flag(key, v, &w->input_oob, err, errlen);
	if (!strcmp(key, "auth_value"))
		return want_string(key, v, &w->auth_value, err, errlen);
	if (!strcmp(key, "device_public_key"))
		return want_string(key, v, &w->pubkey, err, errlen);
	if (!strcmp(key, "unicast")) {
		w->unicast = text_of(v, w->buf[B_UNICAST], sizeof(w->buf[0]));
		came(w, N_UNICAST);
		return 0;
	}
	if (!strcmp(key, "attention")) {
		w->attention = text_of(v, w->buf[B_ATTENTION], sizeof(w->buf[0]));
		came(w, N_ATTENTION);
		return 0;
	}
	if (!strcmp(key, "wait")) {
		w->wait = text_of(v, w->buf[B_WAIT], sizeof(w->buf[0]));
		came(w, N_WAIT);
		return 0;
	}
	if (!strcmp(key, "timeout")) {
		w->timeout = text_of(v, w->buf[B_TIMEOUT], sizeof(w->buf[0]));
		came(w, N_TIMEOUT);
		return 0;
	}
	if (!strcmp(key, "configure")) {
		if (want_flag(key, v, &on, err, errlen) < 0)
			return -1;
		w->no_configure = !on;
		return 0;
	}
	if (!strcmp(key, "groups"))
		return groups_of(v, w, err, errlen);
	return seterr(err, errlen, "unknown field '%.40s'", key);
}

int provreq_words_from_json(struct json_object *req, struct provreq_words *w, char *err,
			    size_t errlen)
{
	memset(w, 0, sizeof(*w));
	if (!json_object_is_type(req, json_type_object))
		return seterr(err, errlen, "a provision request is a JSON object");
	json_object_object_foreach(req, key, val) {
		if (json_field(key, val, w, err, errlen) < 0)
			return -1;
	}
	return 0;
}

int provreq_from_json(struct json_object *req, struct provreq *r, char *err, size_t errlen)
{
	struct provreq_words w;
	int rc;

	memset(r, 0, sizeof(*r));
	rc = provreq_words_from_json(req, &w, err, errlen);
	if (rc == 0)
		rc = provreq_from_words(&w, r, err, errlen);
	OPENSSL_cleanse(&w, sizeof(w));
	return rc;
}

/* ---- the command line ---- */

enum {
	OPT_SECRET_FILE = 256,
	OPT_STATIC_OOB,
	OPT_NO_OOB,
	OPT_OUTPUT_OOB,
	OPT_INPUT_OOB,
	OPT_AUTH_VALUE,
	OPT_DEVICE_PUBKEY,
	OPT_UNICAST,
	OPT_ATTENTION,
	OPT_WAIT,
	OPT_NO_CONFIGURE,
	OPT_GROUP,
	OPT_LINGER,
};

int provreq_words_from_argv(int argc, char **argv, struct provreq_words *w, char *err,
			    size_t errlen)
{
	static const struct option opts[] = {
		{ "uuid", required_argument, NULL, 'u' },
		{ "pid", required_argument, NULL, 'p' },
		{ "secret", required_argument, NULL, 's' },
		{ "secret-file", required_argument, NULL, OPT_SECRET_FILE },
		{ "mac", required_argument, NULL, 'm' },
		{ "static-oob", required_argument, NULL, OPT_STATIC_OOB },
		{ "no-oob", no_argument, NULL, OPT_NO_OOB },
		{ "output-oob", no_argument, NULL, OPT_OUTPUT_OOB },
		{ "input-oob", no_argument, NULL, OPT_INPUT_OOB },
		{ "auth-value", required_argument, NULL, OPT_AUTH_VALUE },
		{ "device-public-key", required_argument, NULL, OPT_DEVICE_PUBKEY },
		{ "unicast", required_argument, NULL, OPT_UNICAST },
		{ "attention", required_argument, NULL, OPT_ATTENTION },
		{ "wait", required_argument, NULL, OPT_WAIT },
		{ "no-configure", no_argument, NULL, OPT_NO_CONFIGURE },
		{ "group", required_argument, NULL, OPT_GROUP },
		{ "linger", required_argument, NULL, OPT_LINGER },
		{ "timeout", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(w, 0, sizeof(*w));
	optind = 0; /* getopt starts afresh: argv[0] is the command word */
	while ((c = getopt_long(argc, argv, "u:p:s:m:t:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'u': w->uuid = optarg; break;
		case 'p': w->pid = optarg; w->ali_given = true; break;
		case 's': w->secret = optarg; w->secret_file = NULL; w->ali_given = true; break;
		case 'm': w->mac = optarg; w->ali_given = true; break;
		case OPT_SECRET_FILE: w->secret_file = optarg; w->secret = NULL; w->ali_given = true; break;
		case OPT_STATIC_OOB: w->static_oob = optarg; break;
		case OPT_NO_OOB: w->no_oob = true; break;
		case OPT_OUTPUT_OOB: w->output_oob = true; break;
		case OPT_INPUT_OOB: w->input_oob = true; break;
		case OPT_AUTH_VALUE: w->auth_value = optarg; break;
		case OPT_DEVICE_PUBKEY: w->pubkey = optarg; break;
		case OPT_UNICAST: w->unicast = optarg; came(w, N_UNICAST); break;
		case OPT_ATTENTION: w->attention = optarg; came(w, N_ATTENTION); break;
		case OPT_WAIT: w->wait = optarg; came(w, N_WAIT); break;
		case 't': w->timeout = optarg; came(w, N_TIMEOUT); break;
		case OPT_NO_CONFIGURE: w->no_configure = true; break;
		case OPT_GROUP:
			if (w->ngroups < PROVREQ_MAX_GROUP_WORDS)
				w->groups[w->ngroups++] = optarg;
			came(w, N_GROUPS);
			break;
		case OPT_LINGER: w->linger = optarg; break;
		case 'j': w->json = true; break;
		case 'h': w->help = true; return 0; /* at once, as given */
		default: return -1;
		}
	}
	if (optind < argc)
		return seterr(err, errlen, "unexpected argument '%.100s'", argv[optind]) - 1;
	return 0;
}

bool provreq_words_kind_given(const struct provreq_words *w)
{
	return w->static_oob || w->no_oob || w->output_oob || w->input_oob;
}

static void add_str(struct json_object *o, const char *key, const char *v)
{
	if (v)
		json_object_object_add(o, key, json_object_new_string(v));
}

static void add_true(struct json_object *o, const char *key, bool on)
{
	if (on)
		json_object_object_add(o, key, json_object_new_boolean(1));
}

struct json_object *provreq_words_json(const struct provreq_words *w)
{
	struct json_object *o = json_object_new_object();

	add_str(o, "cmd", "provision");
	add_str(o, "uuid", w->uuid);
	add_str(o, "pid", w->pid);
	add_str(o, "secret", w->secret);
	add_str(o, "mac", w->mac);
	add_str(o, "static_oob", w->static_oob);
	add_true(o, "no_oob", w->no_oob);
	add_true(o, "output_oob", w->output_oob);
	add_true(o, "input_oob", w->input_oob);
	add_str(o, "auth_value", w->auth_value);
	add_str(o, "device_public_key", w->pubkey);
	if (w->no_configure)
		json_object_object_add(o, "configure", json_object_new_boolean(0));
	/* the numbers in the order they came: the daemon checks them so */
	for (unsigned i = 0; i < w->norder; i++) {
		struct json_object *g;

		switch (w->order[i]) {
		case N_UNICAST: add_str(o, "unicast", w->unicast); break;
		case N_ATTENTION: add_str(o, "attention", w->attention); break;
		case N_WAIT: add_str(o, "wait", w->wait); break;
		case N_TIMEOUT: add_str(o, "timeout", w->timeout); break;
		default:
			g = json_object_new_array();
			for (unsigned k = 0; k < w->ngroups; k++)
				json_object_array_add(g, json_object_new_string(w->groups[k]));
			json_object_object_add(o, "groups", g);
			break;
		}
	}
	return o;
}
