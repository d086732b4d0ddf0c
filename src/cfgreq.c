#include "cfgreq.h"

#include <json.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

static const char *const names[] = {
	[CFGREQ_COMPOSITION] = "composition", [CFGREQ_APPKEY_ADD] = "appkey-add",
	[CFGREQ_BIND] = "bind",               [CFGREQ_SUB_ADD] = "sub-add",
	[CFGREQ_RESET] = "reset",             [CFGREQ_SETUP] = "setup",
	[CFGREQ_TTL] = "ttl",                 [CFGREQ_RELAY] = "relay",
	[CFGREQ_BEACON] = "beacon",           [CFGREQ_PROXY] = "proxy",
	[CFGREQ_FRIEND] = "friend",           [CFGREQ_NET_TRANSMIT] = "net-transmit",
	[CFGREQ_UNBIND] = "unbind",           [CFGREQ_SUB_DEL] = "sub-del",
	[CFGREQ_PUB_SET] = "pub-set",         [CFGREQ_PUB_GET] = "pub-get",
};

/* The node states' words: the command, its state, the arguments of its Set. */
static const struct {
	enum cfgreq_cmd cmd;
	enum cfg_state state;
	const char *form;
} state_cmds[] = {
	{ CFGREQ_TTL, CFG_STATE_DEFAULT_TTL, "[VALUE]" },
	{ CFGREQ_RELAY, CFG_STATE_RELAY, "[on|off [COUNT STEPS]]" },
	{ CFGREQ_BEACON, CFG_STATE_BEACON, "[on|off]" },
	{ CFGREQ_PROXY, CFG_STATE_GATT_PROXY, "[on|off]" },
	{ CFGREQ_FRIEND, CFG_STATE_FRIEND, "[on|off]" },
	{ CFGREQ_NET_TRANSMIT, CFG_STATE_NET_TRANSMIT, "[COUNT STEPS]" },
};

const char *cfgreq_name(enum cfgreq_cmd cmd)
{
	return (unsigned)cmd < ARRAY_SIZE(names) ? names[cmd] : "?";
}

/* ELEMENT, before the node is known: a number an index or an address may be. */
static int parse_element(struct cfgreq *r, const char *s, char *err, size_t errlen)
{
	unsigned long v;

	if (parse_uint(s, 0x7fff, &v) < 0) {
		snprintf(err, errlen,
			 "ELEMENT: expected an element index 0-255 or the element's unicast address, got '%s'",
			 s);
		return -1;
	}
	r->element = (unsigned)v;
	snprintf(r->element_text, sizeof(r->element_text), "%s", s);
	return 0;
}

static int parse_model(const char *s, struct cfg_model_id *m, char *err, size_t errlen)
{
	uint8_t b[4];
	int n = hex_decode_var(s, b, sizeof(b));

	if (n == 2) {
		*m = cfg_model_sig(get_be16(b));
		return 0;
	}
	if (n == 4) {
		*m = cfg_model_vendor(get_be16(b), get_be16(b + 2));
		return 0;
	}
	snprintf(err, errlen,
		 "MODEL: expected a SIG model ID (4 hex digits, e.g. 1000) or a vendor model "
		 "(8 hex digits, CompanyID then model ID, e.g. 01a80000), got '%s'",
		 s);
	return -1;
}

/* ELEMENT MODEL, argv[1] and argv[2]: bad_word names the one that fails. */
static int parse_element_model(struct cfgreq *r, char *const *argv, char *err, size_t errlen)
{
	r->bad_word = 1;
	if (parse_element(r, argv[1], err, errlen) < 0)
		return -1;
	r->bad_word = 2;
	return parse_model(argv[2], &r->model, err, errlen);
}

static int parse_app_index(const char *what, const char *s, uint16_t *idx, char *err,
			   size_t errlen)
{
	unsigned long v;

	if (parse_uint(s, 0xfff, &v) == 0) {
		*idx = (uint16_t)v;
		return 0;
	}
	snprintf(err, errlen, "%s: expected an AppKey index 0-4095, got '%s'", what, s);
	return -1;
}

/* A command given too few or too many arguments. */
static int arg_count(const char *cmd, const char *form, int given, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s: expected %s, got %d argument%s", cmd, form, given,
		 given == 1 ? "" : "s");
	return -1;
}

/* COUNT (0-7) and STEPS (0-31) of a Relay Retransmit, Network Transmit or
 * Publish Retransmit octet (an interval of (STEPS + 1) x unit_ms);
 * r->bad_word follows the words. */
static int parse_transmit(struct cfgreq *r, char *const *words, unsigned unit_ms, uint8_t *out, char *err,
			  size_t errlen)
{
	unsigned long count, steps;

	if (parse_uint(words[0], 7, &count) < 0) {
		snprintf(err, errlen, "COUNT: expected a retransmission count 0-7, got '%s'", words[0]);
		return -1;
	}
	r->bad_word++;
	if (parse_uint(words[1], 31, &steps) < 0) {
		snprintf(err, errlen,
			 "STEPS: expected interval steps 0-31 (an interval of (STEPS + 1) x %u ms), got '%s'",
			 unit_ms, words[1]);
		return -1;
	}
	*out = cfg_transmit_pack((uint8_t)count, (uint8_t)steps);
	return 0;
}

/* ttl, relay, beacon, proxy, friend, net-transmit: words[0] is the command. */
static int parse_state(struct cfgreq *r, size_t i, int n, char *const *argv, char *err, size_t errlen)
{
	enum cfgreq_cmd cmd = state_cmds[i].cmd;
	unsigned long v;
	int most = cmd == CFGREQ_RELAY ? 4 : cmd == CFGREQ_NET_TRANSMIT ? 3 : 2;

	if (n > most || (cmd == CFGREQ_RELAY && n == 3) || (cmd == CFGREQ_NET_TRANSMIT && n == 2))
		return arg_count(argv[0], state_cmds[i].form, n - 1, err, errlen);
	r->cmd = cmd;
	r->state = state_cmds[i].state;
	r->set = n > 1;
	if (!r->set)
		return 0;
	r->bad_word = 1;
	if (cmd == CFGREQ_TTL) {
		if (parse_uint(argv[1], 0x7f, &v) < 0 || v == 1) {
			snprintf(err, errlen, "VALUE: expected a TTL 0 or 2-127, got '%s'", argv[1]);
			return -1;
		}
		r->value.value = (uint8_t)v;
		return 0;
	}
	if (cmd == CFGREQ_NET_TRANSMIT)
		return parse_transmit(r, argv + 1, 10, &r->value.value, err, errlen);
	/* relay, beacon, proxy, friend */
	if (strcmp(argv[1], "on") && strcmp(argv[1], "off")) {
		snprintf(err, errlen, "on|off: expected on or off, got '%s'", argv[1]);
		return -1;
	}
	r->value.value = !strcmp(argv[1], "on") ? CFG_FEATURE_ENABLED : CFG_FEATURE_DISABLED;
	r->bad_word = 2;
	if (cmd == CFGREQ_RELAY && n == 4)
		return parse_transmit(r, argv + 2, 10, &r->value.retransmit, err, errlen);
	return 0;
}

/* pub-set ADDRESS [APPKEY [TTL [PERIOD [COUNT STEPS]]]] (words 3.., n words
 * in all), once ELEMENT and MODEL have parsed. */
static int parse_pub(struct cfgreq *r, int n, char *const *argv, char *err, size_t errlen)
{
	unsigned long v;

	r->pub.ttl = CFG_PUB_TTL_DEFAULT;
	r->bad_word = 3;
	if (parse_uint(argv[3], 0xffff, &v) < 0 || (v >= 0x8000 && v < 0xc000)) {
		snprintf(err, errlen,
			 "ADDRESS: expected 0 (no publishing), a unicast address 0x0001-0x7fff or a group "
			 "address 0xc000-0xffff, got '%s'",
			 argv[3]);
		return -1;
	}
	r->pub.addr = (uint16_t)v;
	r->bad_word = 4;
	if (n > 4 && parse_app_index("APPKEY", argv[4], &r->app_idx, err, errlen) < 0)
		return -1;
	r->bad_word = 5;
	if (n > 5 && strcmp(argv[5], "default")) {
		if (parse_uint(argv[5], 0x7f, &v) < 0) {
			snprintf(err, errlen, "TTL: expected 0-127 or default (the node's), got '%s'", argv[5]);
			return -1;
		}
		r->pub.ttl = (uint8_t)v;
	}
	r->bad_word = 6;
	if (n > 6 && (parse_uint(argv[6], CFG_PUB_PERIOD_MAX_MS, &v) < 0 ||
		      cfg_pub_period_pack((uint32_t)v, &r->pub.period) < 0)) {
		snprintf(err, errlen,
			 "PERIOD: expected 0 (none) or ms: up to 6300 in steps of 100, 63000 in steps of "
			 "1000, 630000 in steps of 10000, 37800000 in steps of 600000, got '%s'",
			 argv[6]);
		return -1;
	}
	r->bad_word = 7;
	if (n > 7)
		return parse_transmit(r, argv + 7, 50, &r->pub.retransmit, err, errlen);
	return 0;
}

static int parse_args(struct cfgreq *r, int n, char *const *argv, char *err, size_t errlen)
{
	if (n < 1) {
		snprintf(err, errlen, "COMMAND: expected " CFGREQ_COMMANDS);
		return -1;
	}
	if (!strcmp(argv[0], "composition")) {
		if (n != 1)
			return arg_count(argv[0], "no arguments", n - 1, err, errlen);
		r->cmd = CFGREQ_COMPOSITION;
		return 0;
	}
	if (!strcmp(argv[0], "appkey-add")) {
		if (n > 2)
			return arg_count(argv[0], "[INDEX]", n - 1, err, errlen);
		r->cmd = CFGREQ_APPKEY_ADD;
		r->bad_word = 1;
		return n == 2 ? parse_app_index("INDEX", argv[1], &r->app_idx, err, errlen) : 0;
	}
	if (!strcmp(argv[0], "pub-set") || !strcmp(argv[0], "pub-get")) {
		bool set = argv[0][4] == 's';

		if (set && (n < 4 || n == 8 || n > 9))
			return arg_count(argv[0], "ELEMENT MODEL ADDRESS [APPKEY [TTL [PERIOD [COUNT STEPS]]]]",
					 n - 1, err, errlen);
		if (!set && n != 3)
			return arg_count(argv[0], "ELEMENT MODEL", n - 1, err, errlen);
		r->cmd = set ? CFGREQ_PUB_SET : CFGREQ_PUB_GET;
		if (parse_element_model(r, argv, err, errlen) < 0)
			return -1;
		return set ? parse_pub(r, n, argv, err, errlen) : 0;
	}
	if (!strcmp(argv[0], "bind") || !strcmp(argv[0], "unbind") || !strcmp(argv[0], "sub-add") ||
	    !strcmp(argv[0], "sub-del")) {
		bool bind = strstr(argv[0], "bind") != NULL;
		unsigned long v;

		if (bind && n != 3 && n != 4)
			return arg_count(argv[0], "ELEMENT MODEL [APPKEY]", n - 1, err, errlen);
		if (!bind && n != 4)
			return arg_count(argv[0], "ELEMENT MODEL GROUP", n - 1, err, errlen);
		if (bind)
			r->cmd = argv[0][0] == 'b' ? CFGREQ_BIND : CFGREQ_UNBIND;
		else
			r->cmd = !strcmp(argv[0], "sub-add") ? CFGREQ_SUB_ADD : CFGREQ_SUB_DEL;
		if (parse_element_model(r, argv, err, errlen) < 0)
			return -1;
		r->bad_word = 3;
		if (bind)
			return n == 4 ? parse_app_index("APPKEY", argv[3], &r->app_idx, err, errlen) : 0;
		if (parse_uint(argv[3], 0xffff, &v) < 0 || v < 0xc000 || v >= 0xff00) {
			snprintf(err, errlen, "GROUP: expected a group address 0xc000-0xfeff, got '%s'",
				 argv[3]);
			return -1;
		}
		r->group = (uint16_t)v;
		return 0;
	}
	if (!strcmp(argv[0], "reset") || !strcmp(argv[0], "setup")) {
		if (n != 1)
			return arg_count(argv[0], "no arguments", n - 1, err, errlen);
		r->cmd = argv[0][0] == 'r' ? CFGREQ_RESET : CFGREQ_SETUP;
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(state_cmds); i++)
		if (!strcmp(argv[0], names[state_cmds[i].cmd]))
			return parse_state(r, i, n, argv, err, errlen);
	snprintf(err, errlen, "COMMAND: expected " CFGREQ_COMMANDS ", got '%s'", argv[0]);
	return -1;
}

void cfgreq_from_argv(struct cfgreq *r, const char *node, int argc, char *const *argv, bool force)
{
	memset(r, 0, sizeof(*r));
	r->force = force;
	/* longer is neither a UUID nor an address either: the lookup says so */
	snprintf(r->node, sizeof(r->node), "%s", node);
	if (parse_args(r, argc, argv, r->bad, sizeof(r->bad)) == 0)
		r->bad_word = 0;
}

int cfgreq_from_json(struct json_object *req, struct cfgreq *r, char *err, size_t errlen)
{
	struct json_object *node, *args, *v;
	char *argv[CFGREQ_MAX_ARGS];
	bool force = false;
	size_t n;

	memset(r, 0, sizeof(*r));
	json_object_object_foreach(req, key, val) {
		(void)val;
		if (strcmp(key, "cmd") && strcmp(key, "node") && strcmp(key, "args") &&
		    strcmp(key, "force")) {
			snprintf(err, errlen, "unknown field '%.40s'", key);
			return -1;
		}
	}
	if (json_object_object_get_ex(req, "force", &v)) {
		if (!json_object_is_type(v, json_type_boolean)) {
			snprintf(err, errlen, "'force' must be true or false");
			return -1;
		}
		force = json_object_get_boolean(v);
	}
	if (!json_object_object_get_ex(req, "node", &node) ||
	    !json_object_is_type(node, json_type_string)) {
		snprintf(err, errlen, "'node' must be a string: a UUID or a unicast address");
		return -1;
	}
	if (!json_object_object_get_ex(req, "args", &args) ||
	    !json_object_is_type(args, json_type_array) ||
	    (n = json_object_array_length(args)) < 1 || n > ARRAY_SIZE(argv)) {
		snprintf(err, errlen, "'args' must be an array of 1-%zu strings: the command and "
			 "its arguments", ARRAY_SIZE(argv));
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		struct json_object *a = json_object_array_get_idx(args, i);

		if (!json_object_is_type(a, json_type_string)) {
			snprintf(err, errlen, "'args' must be an array of strings");
			return -1;
		}
		argv[i] = (char *)json_object_get_string(a);
	}
	cfgreq_from_argv(r, json_object_get_string(node), (int)n, argv, force);
	return 0;
}

void cfgreq_setup(struct cfgreq *r, const char *node)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->node, sizeof(r->node), "%s", node);
	r->cmd = CFGREQ_SETUP;
}
