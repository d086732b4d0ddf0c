/* provreq: a provision request from the command line's options and from
 * the control socket's object is the same struct (the CLI's own request,
 * sent to the daemon, too); every bad option is refused with the exact line
 * meshprov has always given (tests/e2e/test_cli_e2e.c test_usage_errors
 * runs some of them end to end). */
#include <json.h>
#include <stdio.h>
#include <string.h>

#include "aligenie.h"
#include "check_main.h"
#include "provreq.h"
#include "util.h"

#define U "00112233445566778899aabbccddeeff"
#define ALI "a801715a020000a81cc107da78021000"

/* argv of `provision ARGS...`, NULL-terminated */
static int argv_of(const char *const *args, char **argv)
{
	int n = 0;

	argv[0] = (char *)"provision";
	while (args[n]) {
		argv[n + 1] = (char *)args[n];
		n++;
	}
	argv[n + 1] = NULL;
	return n + 1;
}

static int from_argv(const char *const *args, struct provreq *r, char *err, size_t errlen)
{
	struct provreq_words w;
	char *argv[24];
	int argc = argv_of(args, argv);
	int rc = provreq_words_from_argv(argc, argv, &w, err, errlen);

	return rc < 0 ? rc : provreq_from_words(&w, r, err, errlen);
}

static int from_json(const char *text, struct provreq *r, char *err, size_t errlen)
{
	struct json_object *o = json_tokener_parse(text);
	int rc;

	ck_assert_msg(o != NULL, "bad test JSON: %s", text);
	rc = provreq_from_json(o, r, err, errlen);
	json_object_put(o);
	return rc;
}

/* args and json ask the same: both accepted, the same struct; and what the
 * command line sends the daemon (provreq_words_json) is that request too. */
static void same(const char *const *args, const char *json, struct provreq *out)
{
	struct provreq b, c;
	struct provreq_words w;
	struct json_object *wire;
	char *argv[24];
	char err[300] = "";

	ck_assert_msg(from_argv(args, out, err, sizeof(err)) == 0, "argv %s: %s", args[0], err);
	ck_assert_msg(from_json(json, &b, err, sizeof(err)) == 0, "json %s: %s", json, err);
	ck_assert_msg(memcmp(out, &b, sizeof(b)) == 0, "argv and %s differ", json);
	ck_assert_int_eq(provreq_words_from_argv(argv_of(args, argv), argv, &w, err, sizeof(err)), 0);
	wire = provreq_words_json(&w);
	ck_assert_msg(provreq_from_json(wire, &c, err, sizeof(err)) == 0, "wire %s: %s",
		      json_object_to_json_string(wire), err);
	ck_assert_msg(memcmp(out, &c, sizeof(c)) == 0, "argv and its wire form %s differ",
		      json_object_to_json_string(wire));
	json_object_put(wire);
}

START_TEST(test_same_both_ways)
{
	static const char *const plain[] = { "--uuid", U, NULL };
	static const char *const full[] = { "-u", U, "--static-oob", "00112233445566778899aabbccddeeff",
		"--unicast", "0x0200", "--attention", "5", "--wait", "2.5", "-t", "30", "--group",
		"0xc001", "--group", "0xc002", "--no-configure", NULL };
	static const char *const out_oob[] = { "--uuid", U, "--output-oob", "--auth-value", "1234",
		NULL };
	static const char *const ali[] = { "--uuid", ALI, "--secret", "00112233", NULL };
	static const char *const ali_own[] = { "--uuid", U, "--pid", "603", "--mac", "112233445566",
		"-s", "0a0b", NULL };
	static const char *const twice[] = { "--uuid", "xyz", "--uuid", U, "--wait", "1", "--wait",
		"3", NULL };
	struct provreq r;
	struct aligenie_info info;
	uint8_t uuid[16];

	same(plain, "{\"cmd\":\"provision\",\"uuid\":\"" U "\"}", &r);
	ck_assert_int_eq(r.job.prov.auth.kind, PROV_USE_NO_OOB);
	ck_assert(r.job.configure);
	ck_assert(r.wait_s == PROVREQ_DEFAULT_WAIT_S);
	ck_assert_uint_eq(r.job.ngroups, 2); /* the default AliGenie groups */

	same(full, "{\"uuid\":\"" U "\",\"static_oob\":\"00112233445566778899aabbccddeeff\","
		   "\"unicast\":512,\"attention\":\"5\",\"wait\":2.5,\"timeout\":30,"
		   "\"groups\":[\"0xc001\",49154],\"configure\":false}", &r);
	ck_assert_int_eq(r.job.prov.auth.kind, PROV_USE_STATIC);
	ck_assert_uint_eq(r.job.prov.auth.static_len, 16);
	ck_assert_uint_eq(r.job.want_unicast, 0x0200);
	ck_assert_uint_eq(r.job.prov.attention, 5);
	ck_assert(r.wait_s == 2.5 && r.timeout_s == 30);
	ck_assert_uint_eq(r.job.ngroups, 2);
	ck_assert_uint_eq(r.job.groups[0], 0xc001);
	ck_assert_uint_eq(r.job.groups[1], 0xc002);
	ck_assert(!r.job.configure);

	same(out_oob, "{\"uuid\":\"" U "\",\"output_oob\":true,\"auth_value\":\"1234\"}", &r);
	ck_assert_int_eq(r.job.prov.auth.kind, PROV_USE_OUTPUT);
	ck_assert_str_eq(r.job.auth_value, "1234");

	same(ali, "{\"uuid\":\"" ALI "\",\"secret\":\"00112233\"}", &r);
	ck_assert_int_eq(r.job.prov.auth.kind, PROV_USE_ALIGENIE);
	ck_assert(hex_decode(ALI, uuid, 16) == 0 && aligenie_decode(uuid, &info));
	ck_assert_uint_eq(r.job.prov.auth.product_id, info.product_id);
	ck_assert(!memcmp(r.job.prov.auth.mac, info.mac, 6));

	same(ali_own, "{\"uuid\":\"" U "\",\"pid\":603,\"mac\":\"112233445566\",\"secret\":\"0a0b\"}",
	     &r);
	ck_assert_uint_eq(r.job.prov.auth.product_id, 603);
	ck_assert_uint_eq(r.job.prov.auth.secret_len, 2);

	/* an option given twice: the last one counts, as a JSON key does */
	same(twice, "{\"uuid\":\"" U "\",\"wait\":\"3\"}", &r);
	ck_assert(r.wait_s == 3);
}
END_TEST

/* Refused from argv and from JSON with the same line. */
static void refused(const char *want, const char *const *args, const char *json)
{
	struct provreq r;
	char err[300] = "";

	ck_assert_int_eq(from_argv(args, &r, err, sizeof(err)), -1);
	ck_assert_str_eq(err, want);
	if (json) {
		err[0] = '\0';
		ck_assert_int_eq(from_json(json, &r, err, sizeof(err)), -1);
		ck_assert_str_eq(err, want);
	}
}

#define A(...) ((const char *const[]){ __VA_ARGS__, NULL })

START_TEST(test_bad_options)
{
	char text[200];
	struct aligenie_info info;
	uint8_t uuid[16];

	refused("--uuid needs the device UUID (32 hex digits)", A("--wait", "1"), "{\"wait\":1}");
	refused("--uuid needs the device UUID (32 hex digits)", A("--uuid", "xyz"),
		"{\"uuid\":\"xyz\"}");
	refused("--unicast needs an address 0x0001-0x7fff", A("--uuid", U, "--unicast", "0x8000"),
		"{\"uuid\":\"" U "\",\"unicast\":32768}");
	refused("--unicast needs an address 0x0001-0x7fff", A("--uuid", U, "--unicast", "010x"),
		"{\"uuid\":\"" U "\",\"unicast\":\"010x\"}");
	refused("--unicast needs an address 0x0001-0x7fff", A("--uuid", U, "--unicast", "0"),
		"{\"uuid\":\"" U "\",\"unicast\":-1}");
	refused("--attention needs 0-255 seconds", A("--uuid", U, "--attention", "256"),
		"{\"uuid\":\"" U "\",\"attention\":256}");
	refused("--wait needs a positive number of seconds", A("--uuid", U, "--wait", "soon"),
		"{\"uuid\":\"" U "\",\"wait\":true}");
	refused("--timeout needs a positive number of seconds", A("--uuid", U, "-t", "-1"),
		"{\"uuid\":\"" U "\",\"timeout\":\"-1\"}");
	refused("--group needs a group address 0xc000-0xfeff (at most 4)",
		A("--uuid", U, "--group", "0x0001"), "{\"uuid\":\"" U "\",\"groups\":[1]}");
	refused("--group needs a group address 0xc000-0xfeff (at most 4)",
		A("--uuid", U, "--group", "0xc000", "--group", "0xc001", "--group", "0xc002",
		  "--group", "0xc003", "--group", "0xc004"),
		"{\"uuid\":\"" U "\",\"groups\":[\"0xc000\",\"0xc001\",\"0xc002\",\"0xc003\",\"0xc004\"]}");
	refused("--static-oob needs 16 or 32 octets of hex", A("--uuid", U, "--static-oob", "0011"),
		"{\"uuid\":\"" U "\",\"static_oob\":\"0011\"}");
	refused("choose one authentication method", A("--uuid", U, "--no-oob", "--input-oob"),
		"{\"uuid\":\"" U "\",\"no_oob\":true,\"input_oob\":true}");
	refused("choose one authentication method", A("--uuid", U, "--static-oob", U, "--secret", "00"),
		"{\"uuid\":\"" U "\",\"static_oob\":\"" U "\",\"secret\":\"00\"}");
	refused("not an AliGenie UUID: give --pid and --mac", A("--uuid", U, "--secret", "00"),
		"{\"uuid\":\"" U "\",\"secret\":\"00\"}");
	refused("not an AliGenie UUID: give --pid and --mac",
		A("--uuid", U, "--pid", "1", "--secret", "00"),
		"{\"uuid\":\"" U "\",\"pid\":1,\"secret\":\"00\"}");
	refused(ALI " is an AliGenie device: give its --secret (or --secret-file, or MESHPROV_SECRET)",
		A("--uuid", ALI), "{\"uuid\":\"" ALI "\"}");
	refused("AliGenie authentication needs --secret (or --secret-file, or MESHPROV_SECRET)",
		A("--uuid", ALI, "--pid", "1"), "{\"uuid\":\"" ALI "\",\"pid\":\"1\"}");
	refused("the secret must be hex digits", A("--uuid", ALI, "--secret", "zz"),
		"{\"uuid\":\"" ALI "\",\"secret\":\"zz\"}");
	refused("--pid needs a number", A("--uuid", ALI, "--pid", "x", "--secret", "00"),
		"{\"uuid\":\"" ALI "\",\"pid\":false,\"secret\":\"00\"}");
	ck_assert(hex_decode(ALI, uuid, 16) == 0 && aligenie_decode(uuid, &info));
	snprintf(text, sizeof(text), "--pid 603 disagrees with the UUID's ProductID %u",
		 (unsigned)info.product_id);
	refused(text, A("--uuid", ALI, "--pid", "603", "--secret", "00"),
		"{\"uuid\":\"" ALI "\",\"pid\":603,\"secret\":\"00\"}");
	refused("--mac needs 6 octets of hex", A("--uuid", ALI, "--mac", "11", "--secret", "00"),
		"{\"uuid\":\"" ALI "\",\"mac\":\"11\",\"secret\":\"00\"}");
	refused("--mac disagrees with the UUID's MAC",
		A("--uuid", ALI, "--mac", "112233445566", "--secret", "00"),
		"{\"uuid\":\"" ALI "\",\"mac\":\"112233445566\",\"secret\":\"00\"}");
	refused("--device-public-key needs a valid P-256 public key (64 octets of hex, X then Y)",
		A("--uuid", U, "--device-public-key", "00"),
		"{\"uuid\":\"" U "\",\"device_public_key\":\"00\"}");
	refused("--auth-value is too long",
		A("--uuid", U, "--output-oob", "--auth-value",
		  "0123456789012345678901234567890123456789012345678901234567890123456789"),
		"{\"uuid\":\"" U "\",\"output_oob\":true,\"auth_value\":"
		"\"0123456789012345678901234567890123456789012345678901234567890123456789\"}");
}
END_TEST

/* Several bad numbers: the first given is the one named, either way. */
START_TEST(test_first_bad_named)
{
	refused("--wait needs a positive number of seconds",
		A("--wait", "soon", "--unicast", "0x8000", "--uuid", U),
		"{\"wait\":\"soon\",\"unicast\":\"0x8000\",\"uuid\":\"" U "\"}");
	refused("--unicast needs an address 0x0001-0x7fff",
		A("--unicast", "0x8000", "--wait", "soon", "--uuid", U),
		"{\"unicast\":\"0x8000\",\"wait\":\"soon\",\"uuid\":\"" U "\"}");
	refused("--group needs a group address 0xc000-0xfeff (at most 4)",
		A("--group", "1", "-t", "0", "--group", "0xc000", "--uuid", "x"),
		"{\"groups\":[1,\"0xc000\"],\"timeout\":0,\"uuid\":\"x\"}");
}
END_TEST

/* What only one way can get wrong. */
START_TEST(test_bad_argv_and_json)
{
	struct provreq_words w;
	struct provreq r;
	char *argv[] = { (char *)"provision", (char *)"--uuid", (char *)U, (char *)"extra", NULL };
	char err[300] = "";

	ck_assert_int_eq(provreq_words_from_argv(4, argv, &w, err, sizeof(err)), -2);
	ck_assert_str_eq(err, "unexpected argument 'extra'");
	ck_assert_int_eq(from_json("{\"uuid\":7}", &r, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "'uuid' must be a string");
	ck_assert_int_eq(from_json("{\"uuid\":\"" U "\",\"no_oob\":\"yes\"}", &r, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "'no_oob' must be true or false");
	ck_assert_int_eq(from_json("{\"uuid\":\"" U "\",\"groups\":\"0xc000\"}", &r, err, sizeof(err)),
			 -1);
	ck_assert_str_eq(err, "'groups' must be an array");
	ck_assert_int_eq(from_json("{\"uuid\":\"" U "\",\"frob\":1}", &r, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "unknown field 'frob'");
	ck_assert_int_eq(from_json("[1]", &r, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "a provision request is a JSON object");
}
END_TEST

/* The command line's own options stay in the words, out of the request. */
START_TEST(test_cli_words)
{
	struct provreq_words w;
	char err[100];
	char *argv[] = { (char *)"provision", (char *)"--uuid", (char *)U, (char *)"--secret-file",
			 (char *)"/x", (char *)"--linger", (char *)"2", (char *)"-j", NULL };
	char *later[] = { (char *)"provision", (char *)"--secret-file", (char *)"/x",
			  (char *)"--secret", (char *)"00", NULL };

	ck_assert_int_eq(provreq_words_from_argv(8, argv, &w, err, sizeof(err)), 0);
	ck_assert_str_eq(w.secret_file, "/x");
	ck_assert_ptr_null(w.secret);
	ck_assert(w.ali_given && w.json);
	ck_assert_str_eq(w.linger, "2");
	/* the last of --secret and --secret-file counts */
	ck_assert_int_eq(provreq_words_from_argv(5, later, &w, err, sizeof(err)), 0);
	ck_assert_ptr_null(w.secret_file);
	ck_assert_str_eq(w.secret, "00");
}
END_TEST

static Suite *provreq_suite(void)
{
	Suite *s = suite_create("provreq");
	TCase *tc = tcase_create("provreq");

	tcase_add_test(tc, test_same_both_ways);
	tcase_add_test(tc, test_bad_options);
	tcase_add_test(tc, test_first_bad_named);
	tcase_add_test(tc, test_bad_argv_and_json);
	tcase_add_test(tc, test_cli_words);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(provreq_suite)
