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
	       a->model.id == b->model.id && a->app_idx == b->app_idx && a->group == b->group;
}

/* words through argv and through JSON: both accepted, the same struct. */
static void same_both_ways(const char *node, bool force, const char *const *words,
			   struct cfgreq *out)
{
	struct cfgreq b;
	struct json_object *o = json_of(node, force, words);
	char *argv[8];
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
}
END_TEST

/* Each bad word: kept with its line and its place (0 the command), from
 * argv and from JSON alike. */
static void refused_at(unsigned word, const char *want, const char *const *words)
{
	struct json_object *o = json_of(NODE, false, words);
	struct cfgreq r, b;
	char *argv[8];
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

	refused("COMMAND: expected composition, appkey-add, bind, sub-add, reset or setup", none);
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
	refused("COMMAND: expected composition, appkey-add, bind, sub-add, reset or setup, got "
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
		     "'args' must be an array of 1-6 strings: the command and its arguments");
	json_refused("{\"cmd\":\"config\",\"node\":\"" NODE "\",\"args\":\"reset\"}",
		     "'args' must be an array of 1-6 strings: the command and its arguments");
	json_refused("{\"cmd\":\"config\",\"node\":\"" NODE
		     "\",\"args\":[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\"]}",
		     "'args' must be an array of 1-6 strings: the command and its arguments");
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
	tcase_add_test(tc, test_bad_words);
	tcase_add_test(tc, test_bad_json);
	tcase_add_test(tc, test_long_node);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(cfgreq_suite)
