/* cfgreq: a config request built from the command line's words, from the
 * control socket's JSON and directly (the daemon's setup) is the same
 * struct; every bad word is kept with the exact line the CLI and the daemon
 * have always given, and which word it was (cfgjob_prepare names the node
 * first; tests/e2e/test_configure_e2e.c test_config_arguments shows the
 * same lines end to end). */
#include <json.h>
#include <stdio.h>
#include <string.h>

#include "cfgreq.h"
#include "check_main.h"

#define NODE "0x0100"
#define UUID "0102030405060708090a0b0c0d0e0f10"

/* The request object the CLI sends for the same words. */
static struct json_object *json_of(const char *node, bool force, const char *const *words)
{
	struct json_object *o = json_object_new_object();
	struct json_object *args = json_object_new_array();

	json_object_object_add(o, "cmd", json_object_new_string("config"));
	json_object_object_add(o, "node", json_object_new_string(node));
	for (unsigned i = 0; words[i]; i++)
		json_object_array_add(args, json_object_new_string(words[i]));
	json_object_object_add(o, "args", args);
	if (force)
		json_object_object_add(o, "force", json_object_new_boolean(1));
	return o;
}

/* Field by field (padding is not part of a request). */
static bool same_req(const struct cfgreq *a, const struct cfgreq *b)
{
	return !strcmp(a->node, b->node) && a->cmd == b->cmd && a->force == b->force &&
	       !strcmp(a->bad, b->bad) && a->bad_word == b->bad_word &&
	       a->element == b->element && !strcmp(a->element_text, b->element_text) &&
	       a->model.vendor == b->model.vendor && a->model.cid == b->model.cid &&
	       a->model.id == b->model.id && a->app_idx == b->app_idx && a->group == b->group &&
	       a->state == b->state && a->set == b->set && a->value.value == b->value.value &&
	       a->value.retransmit == b->value.retransmit && a->pub.addr == b->pub.addr &&
	       a->pub.ttl == b->pub.ttl && a->pub.period == b->pub.period &&
	       a->pub.retransmit == b->pub.retransmit;
}

/* words through argv and through JSON: both accepted, the same struct. */
static void same_both_ways(const char *node, bool force, const char *const *words,
			   struct cfgreq *out)
{
	struct cfgreq b;
	struct json_object *o = json_of(node, force, words);
	char *argv[CFGREQ_MAX_ARGS + 1];
	char err[300] = "";
	int n = 0;

	while (words[n]) {
		argv[n] = (char *)words[n];
		n++;
	}
	cfgreq_from_argv(out, node, n, argv, force);
	ck_assert_msg(out->bad[0] == '\0', "argv: %s", out->bad);
	ck_assert_msg(cfgreq_from_json(o, &b, err, sizeof(err)) == 0, "json: %s", err);
	ck_assert_msg(same_req(out, &b), "argv and JSON of '%s' differ", words[0]);
	json_object_put(o);
}

START_TEST(test_commands_same_both_ways)
{
	static const char *const comp[] = { "composition", NULL };
	static const char *const ak[] = { "appkey-add", "7", NULL };
	static const char *const ak0[] = { "appkey-add", NULL };
	static const char *const bind[] = { "bind", "1", "01a80000", "3", NULL };
	static const char *const bind0[] = { "bind", "0x0101", "1000", NULL };
	static const char *const sub[] = { "sub-add", "0", "1000", "0xc001", NULL };
	static const char *const reset[] = { "reset", NULL };
	static const char *const setup[] = { "setup", NULL };
	static const char *const unbind[] = { "unbind", "1", "1000", "5", NULL };
	static const char *const unbind0[] = { "unbind", "0", "1000", NULL };
	static const char *const subdel[] = { "sub-del", "0", "01a80000", "0xcfff", NULL };
	static const char *const pubset[] = { "pub-set", "0", "1000", "0xc000", NULL };
	static const char *const pubset_all[] = { "pub-set", "1", "1000", "0x0005", "3", "7", "20000", "2", "5",
						   NULL };
	static const char *const pubset_def[] = { "pub-set", "0", "1000", "0", "0", "default", "0", NULL };
	static const char *const pubget[] = { "pub-get", "0x0101", "01a80000", NULL };
	struct cfgreq r;

	same_both_ways(NODE, false, comp, &r);
	ck_assert_int_eq(r.cmd, CFGREQ_COMPOSITION);
	ck_assert_str_eq(r.node, NODE);
	ck_assert(!r.force);

	same_both_ways(UUID, false, ak, &r);
	ck_assert_int_eq(r.cmd, CFGREQ_APPKEY_ADD);
	ck_assert_int_eq(r.app_idx, 7);
	ck_assert_str_eq(r.node, UUID);
	same_both_ways(NODE, false, ak0, &r);
	ck_assert_int_eq(r.app_idx, 0);

	same_both_ways(NODE, false, bind, &r);
	ck_assert_int_eq(r.cmd, CFGREQ_BIND);
	ck_assert_uint_eq(r.element, 1);
	ck_assert_str_eq(r.element_text, "1");
	ck_assert(r.model.vendor);
	ck_assert_uint_eq(r.model.cid, 0x01a8);
	ck_assert_uint_eq(r.model.id, 0x0000);
	ck_assert_int_eq(r.app_idx, 3);
	/* an element's address is kept as given: cfgjob_prepare tells which */
	same_both_ways(NODE, false, bind0, &r);
	ck_assert_uint_eq(r.element, 0x0101);
	ck_assert_str_eq(r.element_text, "0x0101");
	ck_assert(!r.model.vendor);
	ck_assert_uint_eq(r.model.id, 0x1000);
	ck_assert_int_eq(r.app_idx, 0);

	same_both_ways(NODE, false, sub, &r);
	ck_assert_int_eq(r.cmd, CFGREQ_SUB_ADD);
	ck_assert_uint_eq(r.group, 0xc001);
	ck_assert_uint_eq(r.model.id, 0x1000);

	same_both_ways(NODE, false, unbind, &r);
	ck_assert_int_eq(r.cmd, CFGREQ_UNBIND);
	ck_assert_uint_eq(r.element, 1);
	ck_assert_uint_eq(r.model.id, 0x1000);
	ck_assert_int_eq(r.app_idx, 5);
	same_both_ways(NODE, false, unbind0, &r);
	ck_assert_int_eq(r.cmd, CFGREQ_UNBIND);
	ck_assert_int_eq(r.app_idx, 0);
	same_both_ways(NODE, false, subdel, &r);
	ck_assert_int_eq(r.cmd, CFGREQ_SUB_DEL);
	ck_assert_uint_eq(r.group, 0xcfff);
	ck_assert(r.model.vendor);

	same_both_ways(NODE, false, pubset, &r);
	ck_assert_int_eq(r.cmd, CFGREQ_PUB_SET);
	ck_assert_uint_eq(r.element, 0);
	ck_assert_uint_eq(r.model.id, 0x1000);
	ck_assert_uint_eq(r.pub.addr, 0xc000);
	ck_assert_uint_eq(r.app_idx, 0);
	ck_assert_uint_eq(r.pub.ttl, CFG_PUB_TTL_DEFAULT);
	ck_assert_uint_eq(r.pub.period, 0);
	ck_assert_uint_eq(r.pub.retransmit, 0);
	same_both_ways(NODE, false, pubset_all, &r);
	ck_assert_uint_eq(r.pub.addr, 0x0005);
	ck_assert_uint_eq(r.app_idx, 3);
	ck_assert_uint_eq(r.pub.ttl, 7);
	ck_assert_uint_eq(r.pub.period, 1 << 6 | 20); /* 20 steps of 1 s */
	ck_assert_uint_eq(r.pub.retransmit, 2 | 5 << 3);
	same_both_ways(NODE, false, pubset_def, &r);
	ck_assert_uint_eq(r.pub.addr, 0);
	ck_assert_uint_eq(r.pub.ttl, CFG_PUB_TTL_DEFAULT);
	same_both_ways(NODE, false, pubget, &r);
	ck_assert_int_eq(r.cmd, CFGREQ_PUB_GET);
	ck_assert_uint_eq(r.element, 0x0101);
	ck_assert(r.model.vendor);

	same_both_ways(NODE, true, reset, &r);
	ck_assert_int_eq(r.cmd, CFGREQ_RESET);
	ck_assert(r.force);

	same_both_ways(NODE, false, setup, &r);
	ck_assert_int_eq(r.cmd, CFGREQ_SETUP);
}
END_TEST

/* The daemon's automatic setup is what `config NODE setup` asks. */
START_TEST(test_setup_direct)
{
	static const char *const setup[] = { "setup", NULL };
	struct cfgreq a, b;

	same_both_ways(UUID, false, setup, &a);
	cfgreq_setup(&b, UUID);
	ck_assert(same_req(&a, &b));
	ck_assert_str_eq(cfgreq_name(b.cmd), "setup");
}
END_TEST

START_TEST(test_names)
{
	ck_assert_str_eq(cfgreq_name(CFGREQ_COMPOSITION), "composition");
	ck_assert_str_eq(cfgreq_name(CFGREQ_APPKEY_ADD), "appkey-add");
	ck_assert_str_eq(cfgreq_name(CFGREQ_BIND), "bind");
	ck_assert_str_eq(cfgreq_name(CFGREQ_SUB_ADD), "sub-add");
	ck_assert_str_eq(cfgreq_name(CFGREQ_RESET), "reset");
	ck_assert_str_eq(cfgreq_name(CFGREQ_TTL), "ttl");
	ck_assert_str_eq(cfgreq_name(CFGREQ_RELAY), "relay");
	ck_assert_str_eq(cfgreq_name(CFGREQ_BEACON), "beacon");
	ck_assert_str_eq(cfgreq_name(CFGREQ_PROXY), "proxy");
	ck_assert_str_eq(cfgreq_name(CFGREQ_FRIEND), "friend");
	ck_assert_str_eq(cfgreq_name(CFGREQ_NET_TRANSMIT), "net-transmit");
	ck_assert_str_eq(cfgreq_name(CFGREQ_UNBIND), "unbind");
	ck_assert_str_eq(cfgreq_name(CFGREQ_SUB_DEL), "sub-del");
	ck_assert_str_eq(cfgreq_name(CFGREQ_PUB_SET), "pub-set");
	ck_assert_str_eq(cfgreq_name(CFGREQ_PUB_GET), "pub-get");
}
END_TEST

/* The node states: the Get without a value, the Set with one, the same
 * from argv and from JSON. */
START_TEST(test_states)
{
	static const char *const ttl[] = { "ttl", NULL };
	static const char *const ttl0[] = { "ttl", "0", NULL };
	static const char *const ttl127[] = { "ttl", "127", NULL };
	static const char *const relay[] = { "relay", NULL };
	static const char *const relay_on[] = { "relay", "on", NULL };
	static const char *const relay_tx[] = { "relay", "on", "2", "3", NULL };
	static const char *const relay_off[] = { "relay", "off", "7", "31", NULL };
	static const char *const beacon[] = { "beacon", "off", NULL };
	static const char *const proxy[] = { "proxy", "on", NULL };
	static const char *const friend[] = { "friend", NULL };
	static const char *const nt[] = { "net-transmit", "4", "9", NULL };
	static const char *const nt_get[] = { "net-transmit", NULL };
	struct cfgreq r;

	same_both_ways(NODE, false, ttl, &r);
	ck_assert_int_eq(r.cmd, CFGREQ_TTL);
	ck_assert_int_eq(r.state, CFG_STATE_DEFAULT_TTL);
	ck_assert(!r.set);
	same_both_ways(NODE, false, ttl0, &r);
	ck_assert(r.set);
	ck_assert_uint_eq(r.value.value, 0);
	same_both_ways(NODE, false, ttl127, &r);
	ck_assert_uint_eq(r.value.value, 127);

	same_both_ways(NODE, false, relay, &r);
	ck_assert_int_eq(r.cmd, CFGREQ_RELAY);
	ck_assert_int_eq(r.state, CFG_STATE_RELAY);
	ck_assert(!r.set);
	same_both_ways(NODE, false, relay_on, &r);
	ck_assert(r.set);
	ck_assert_uint_eq(r.value.value, 1);
	ck_assert_uint_eq(r.value.retransmit, 0);
	same_both_ways(NODE, false, relay_tx, &r);
	ck_assert_uint_eq(r.value.value, 1);
	ck_assert_uint_eq(r.value.retransmit, 2 | 3 << 3);
	same_both_ways(NODE, false, relay_off, &r);
	ck_assert_uint_eq(r.value.value, 0);
	ck_assert_uint_eq(r.value.retransmit, 0xff);

	same_both_ways(NODE, false, beacon, &r);
	ck_assert_int_eq(r.cmd, CFGREQ_BEACON);
	ck_assert_int_eq(r.state, CFG_STATE_BEACON);
	ck_assert(r.set);
	ck_assert_uint_eq(r.value.value, 0);
	same_both_ways(NODE, false, proxy, &r);
	ck_assert_int_eq(r.cmd, CFGREQ_PROXY);
	ck_assert_int_eq(r.state, CFG_STATE_GATT_PROXY);
	ck_assert_uint_eq(r.value.value, 1);
	same_both_ways(NODE, false, friend, &r);
	ck_assert_int_eq(r.cmd, CFGREQ_FRIEND);
	ck_assert_int_eq(r.state, CFG_STATE_FRIEND);
	ck_assert(!r.set);

	same_both_ways(NODE, false, nt, &r);
	ck_assert_int_eq(r.cmd, CFGREQ_NET_TRANSMIT);
	ck_assert_int_eq(r.state, CFG_STATE_NET_TRANSMIT);
	ck_assert(r.set);
	ck_assert_uint_eq(r.value.value, 4 | 9 << 3);
	same_both_ways(NODE, false, nt_get, &r);
	ck_assert(!r.set);
}
END_TEST

/* Each bad word: kept with its line and its place (0 the command), from
 * argv and from JSON alike. */
static void refused_at(unsigned word, const char *want, const char *const *words)
{
	struct json_object *o = json_of(NODE, false, words);
	struct cfgreq r, b;
	char *argv[CFGREQ_MAX_ARGS + 1];
	char err[400] = "";
	int n = 0;

	while (words[n]) {
		argv[n] = (char *)words[n];
		n++;
	}
	cfgreq_from_argv(&r, NODE, n, argv, false);
	ck_assert_str_eq(r.bad, want);
	ck_assert_uint_eq(r.bad_word, word);
	if (n > 0) {
		ck_assert_int_eq(cfgreq_from_json(o, &b, err, sizeof(err)), 0);
		ck_assert(same_req(&r, &b));
	}
	json_object_put(o);
}

#define refused(want, words) refused_at(0, want, words)

START_TEST(test_bad_words)
{
	static const char *const none[] = { NULL };
	static const char *const el[] = { "bind", "x", "1000", NULL };
	static const char *const el_big[] = { "sub-add", "0x8000", "1000", "0xc000", NULL };
	static const char *const model[] = { "bind", "0", "10", NULL };
	static const char *const model6[] = { "sub-add", "0", "01a800", "0xc000", NULL };
	static const char *const appkey[] = { "bind", "0", "1000", "4096", NULL };
	static const char *const group[] = { "sub-add", "0", "1000", "0x0001", NULL };
	static const char *const group_ff[] = { "sub-add", "0", "1000", "0xff00", NULL };
	static const char *const index[] = { "appkey-add", "one", NULL };
	static const char *const bind1[] = { "bind", "0", NULL };
	static const char *const sub2[] = { "sub-add", "0", "1000", NULL };
	static const char *const ak2[] = { "appkey-add", "1", "2", NULL };
	static const char *const reset1[] = { "reset", "now", NULL };
	static const char *const comp2[] = { "composition", "a", "b", NULL };
	static const char *const setup1[] = { "setup", "x", NULL };
	static const char *const frob[] = { "frob", NULL };
	static const char *const ttl1[] = { "ttl", "1", NULL };
	static const char *const unbind_el[] = { "unbind", "x", "1000", NULL };
	static const char *const unbind_key[] = { "unbind", "0", "1000", "4096", NULL };
	static const char *const unbind4[] = { "unbind", "0", "1000", "1", "2", NULL };
	static const char *const subdel_group[] = { "sub-del", "0", "1000", "0xffff", NULL };
	static const char *const subdel2[] = { "sub-del", "0", "1000", NULL };
	static const char *const pub_virtual[] = { "pub-set", "0", "1000", "0x8000", NULL };
	static const char *const pub_ttl[] = { "pub-set", "0", "1000", "0xc000", "0", "128", NULL };
	static const char *const pub_period[] = { "pub-set", "0", "1000", "0xc000", "0", "5", "150", NULL };
	static const char *const pub_period_big[] = { "pub-set", "0", "1000", "0xc000", "0", "5", "37800001",
						       NULL };
	static const char *const pub_count[] = { "pub-set", "0", "1000", "0xc000", "0", "5", "0", "2", NULL };
	static const char *const pub_steps[] = { "pub-set", "0", "1000", "0xc000", "0", "5", "0", "2", "32", NULL };
	static const char *const pub_model[] = { "pub-get", "0", "100", NULL };
	static const char *const pubget3[] = { "pub-get", "0", "1000", "1", NULL };
	static const char *const ttl128[] = { "ttl", "128", NULL };
	static const char *const ttl2[] = { "ttl", "5", "6", NULL };
	static const char *const relay_x[] = { "relay", "yes", NULL };
	static const char *const relay1[] = { "relay", "on", "2", NULL };
	static const char *const relay_count[] = { "relay", "on", "8", "0", NULL };
	static const char *const relay_steps[] = { "relay", "off", "0", "32", NULL };
	static const char *const beacon2[] = { "beacon", "on", "1", NULL };
	static const char *const proxy_x[] = { "proxy", "1", NULL };
	static const char *const nt1[] = { "net-transmit", "4", NULL };
	static const char *const nt_steps[] = { "net-transmit", "4", "x", NULL };

	refused_at(1, "VALUE: expected a TTL 0 or 2-127, got '1'", ttl1);
	refused_at(1, "ELEMENT: expected an element index 0-255 or the element's unicast address, "
		   "got 'x'", unbind_el);
	refused_at(3, "APPKEY: expected an AppKey index 0-4095, got '4096'", unbind_key);
	refused("unbind: expected ELEMENT MODEL [APPKEY], got 4 arguments", unbind4);
	refused_at(3, "GROUP: expected a group address 0xc000-0xfeff, got '0xffff'", subdel_group);
	refused("sub-del: expected ELEMENT MODEL GROUP, got 2 arguments", subdel2);
	refused_at(3, "ADDRESS: expected 0 (no publishing), a unicast address 0x0001-0x7fff or a group "
		   "address 0xc000-0xffff, got '0x8000'", pub_virtual);
	refused_at(5, "TTL: expected 0-127 or default (the node's), got '128'", pub_ttl);
	refused_at(6, "PERIOD: expected 0 (none) or ms: up to 6300 in steps of 100, 63000 in steps of "
		   "1000, 630000 in steps of 10000, 37800000 in steps of 600000, got '150'", pub_period);
	refused_at(6, "PERIOD: expected 0 (none) or ms: up to 6300 in steps of 100, 63000 in steps of "
		   "1000, 630000 in steps of 10000, 37800000 in steps of 600000, got '37800001'",
		   pub_period_big);
	refused("pub-set: expected ELEMENT MODEL ADDRESS [APPKEY [TTL [PERIOD [COUNT STEPS]]]], got 7 "
		"arguments", pub_count);
	refused_at(8, "STEPS: expected interval steps 0-31 (an interval of (STEPS + 1) x 50 ms), got '32'",
		   pub_steps);
	refused_at(2, "MODEL: expected a SIG model ID (4 hex digits, e.g. 1000) or a vendor model "
		   "(8 hex digits, CompanyID then model ID, e.g. 01a80000), got '100'", pub_model);
	refused("pub-get: expected ELEMENT MODEL, got 3 arguments", pubget3);
	refused_at(1, "VALUE: expected a TTL 0 or 2-127, got '128'", ttl128);
	refused("ttl: expected [VALUE], got 2 arguments", ttl2);
	refused_at(1, "on|off: expected on or off, got 'yes'", relay_x);
	refused("relay: expected [on|off [COUNT STEPS]], got 2 arguments", relay1);
	refused_at(2, "COUNT: expected a retransmission count 0-7, got '8'", relay_count);
	refused_at(3, "STEPS: expected interval steps 0-31 (an interval of (STEPS + 1) x 10 ms), got '32'",
		   relay_steps);
	refused("beacon: expected [on|off], got 2 arguments", beacon2);
	refused_at(1, "on|off: expected on or off, got '1'", proxy_x);
	refused("net-transmit: expected [COUNT STEPS], got 1 argument", nt1);
	refused_at(2, "STEPS: expected interval steps 0-31 (an interval of (STEPS + 1) x 10 ms), got 'x'",
		   nt_steps);
	refused("COMMAND: expected " CFGREQ_COMMANDS, none);
	refused_at(1, "ELEMENT: expected an element index 0-255 or the element's unicast address, "
		   "got 'x'", el);
	refused_at(1, "ELEMENT: expected an element index 0-255 or the element's unicast address, "
		   "got '0x8000'", el_big);
	refused_at(2, "MODEL: expected a SIG model ID (4 hex digits, e.g. 1000) or a vendor model "
		   "(8 hex digits, CompanyID then model ID, e.g. 01a80000), got '10'", model);
	refused_at(2, "MODEL: expected a SIG model ID (4 hex digits, e.g. 1000) or a vendor model "
		   "(8 hex digits, CompanyID then model ID, e.g. 01a80000), got '01a800'", model6);
	refused_at(3, "APPKEY: expected an AppKey index 0-4095, got '4096'", appkey);
	refused_at(3, "GROUP: expected a group address 0xc000-0xfeff, got '0x0001'", group);
	refused_at(3, "GROUP: expected a group address 0xc000-0xfeff, got '0xff00'", group_ff);
	refused_at(1, "INDEX: expected an AppKey index 0-4095, got 'one'", index);
	refused("bind: expected ELEMENT MODEL [APPKEY], got 1 argument", bind1);
	refused("sub-add: expected ELEMENT MODEL GROUP, got 2 arguments", sub2);
	refused("appkey-add: expected [INDEX], got 2 arguments", ak2);
	refused("reset: expected no arguments, got 1 argument", reset1);
	refused("composition: expected no arguments, got 2 arguments", comp2);
	refused("setup: expected no arguments, got 1 argument", setup1);
	refused("COMMAND: expected " CFGREQ_COMMANDS ", got "
		"'frob'", frob);
}
END_TEST

/* The control socket's object itself. */
static void json_refused(const char *text, const char *want)
{
	struct json_object *o = json_tokener_parse(text);
	struct cfgreq r;
	char err[300] = "";

	ck_assert_msg(o != NULL, "bad test JSON %s", text);
	ck_assert_int_eq(cfgreq_from_json(o, &r, err, sizeof(err)), -1);
	ck_assert_str_eq(err, want);
	json_object_put(o);
}

START_TEST(test_bad_json)
{
	json_refused("{\"cmd\":\"config\",\"node\":\"" NODE "\",\"args\":[\"reset\"],\"x\":1}",
		     "unknown field 'x'");
	json_refused("{\"cmd\":\"config\",\"node\":\"" NODE "\",\"args\":[\"reset\"],\"force\":1}",
		     "'force' must be true or false");
	json_refused("{\"cmd\":\"config\",\"node\":256,\"args\":[\"reset\"]}",
		     "'node' must be a string: a UUID or a unicast address");
	json_refused("{\"cmd\":\"config\",\"args\":[\"reset\"]}",
		     "'node' must be a string: a UUID or a unicast address");
	json_refused("{\"cmd\":\"config\",\"node\":\"" NODE "\",\"args\":[]}",
		     "'args' must be an array of 1-9 strings: the command and its arguments");
	json_refused("{\"cmd\":\"config\",\"node\":\"" NODE "\",\"args\":\"reset\"}",
		     "'args' must be an array of 1-9 strings: the command and its arguments");
	json_refused("{\"cmd\":\"config\",\"node\":\"" NODE
		     "\",\"args\":[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\",\"i\",\"j\"]}",
		     "'args' must be an array of 1-9 strings: the command and its arguments");
	json_refused("{\"cmd\":\"config\",\"node\":\"" NODE "\",\"args\":[\"bind\",0,\"1000\"]}",
		     "'args' must be an array of strings");
}
END_TEST

/* A node is kept as given, however long (the lookup names it whole when it
 * is neither a UUID nor an address), and words that parse leave no bad. */
START_TEST(test_long_node)
{
	char node[500];
	char *argv[] = { (char *)"reset" };
	struct cfgreq r;

	memset(node, 'a', sizeof(node) - 1);
	node[sizeof(node) - 1] = '\0';
	cfgreq_from_argv(&r, node, 1, argv, false);
	ck_assert_str_eq(r.node, node);
	ck_assert_str_eq(r.bad, "");
	ck_assert_uint_eq(r.bad_word, 0);
}
END_TEST

static Suite *cfgreq_suite(void)
{
	Suite *s = suite_create("cfgreq");
	TCase *tc = tcase_create("cfgreq");

	tcase_add_test(tc, test_commands_same_both_ways);
	tcase_add_test(tc, test_setup_direct);
	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_states);
	tcase_add_test(tc, test_bad_words);
	tcase_add_test(tc, test_bad_json);
	tcase_add_test(tc, test_long_node);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(cfgreq_suite)
