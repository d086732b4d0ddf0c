/* The credentials file (src/creds.c). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aligenie.h"
#include "check_main.h"
#include "creds.h"
#include "prov.h"
#include "testhex.h"
#include "textfile_check.h"
#include "util.h"

#define ERRLEN 512
#define S16 "00112233445566778899aabbccddeeff" /* 16 octets of hex */
#define UUID1 "0123456789abcdef0123456789abcdef"

static int parse_creds_n(struct creds *c, const char *text, size_t len, char *err)
{
	uint8_t *copy = exact_copy((const uint8_t *)text, len);
	int ret = creds_parse(c, "devices", (const char *)copy, len, err, ERRLEN);

	free(copy);
	return ret;
}

/* ---- credentials ---- */

START_TEST(test_creds_kinds)
{
	char err[ERRLEN] = "";
	const char *text = "# devices\n"
			   "aligenie 5689 28:fa:7a:01:91:da " S16 "\n"
			   "\n"
			   "  aligenie\t0x1234 28FA7A0191DB 0a   # a one-octet secret\n"
			   "uuid 01234567-89ab-cdef-0123-456789abcdef static-oob " S16 "\n"
			   "uuid " UUID1 "  static-oob " S16 S16 "\r\n"
			   "\tuuid 00000000000000000000000000000001 no-oob # comment\n"
			   "aligenie 4294967295 000000000000 " S16 S16 S16 S16;
	const struct creds_entry *v;
	struct creds c;

	creds_init(&c);
	ck_assert_msg(parse_creds_n(&c, text, strlen(text), err) == -1, "duplicate not seen");
	assert_err(err, "devices", 6, "device listed twice, on lines 5 and 6 (same UUID)");
	ck_assert_uint_eq(c.n, 0);

	/* without the duplicate */
	text = "# devices\n"
	       "aligenie 5689 28:fa:7a:01:91:da " S16 "\n"
	       "\n"
	       "  aligenie\t0x1234 28FA7A0191DB 0a   # a one-octet secret\n"
	       "uuid 01234567-89ab-cdef-0123-456789abcdef static-oob " S16 "\n"
	       "uuid fedcba98765432100123456789abcdef  static-oob " S16 S16 "\r\n"
	       "\tuuid 00000000000000000000000000000001 no-oob # comment\n"
	       "aligenie 4294967295 000000000000 " S16 S16 S16 S16;
	ck_assert_msg(parse_creds_n(&c, text, strlen(text), err) == 0, "%s", err);
	ck_assert_uint_eq(c.n, 6);
	v = c.v;
	ck_assert_int_eq(v[0].kind, CREDS_ALIGENIE);
	ck_assert_uint_eq(v[0].line, 2);
	ck_assert_uint_eq(v[0].pid, 5689);
	EXPECT_HEX(v[0].mac, 6, "28fa7a0191da");
	ck_assert_uint_eq(v[0].secret_len, 16);
	EXPECT_HEX(v[0].secret, 16, S16);

	ck_assert_int_eq(v[1].kind, CREDS_ALIGENIE);
	ck_assert_uint_eq(v[1].line, 4);
	ck_assert_uint_eq(v[1].pid, 0x1234);
	EXPECT_HEX(v[1].mac, 6, "28fa7a0191db");
	ck_assert_uint_eq(v[1].secret_len, 1);
	ck_assert_uint_eq(v[1].secret[0], 0x0a);

	ck_assert_int_eq(v[2].kind, CREDS_STATIC_OOB);
	ck_assert_uint_eq(v[2].line, 5);
	EXPECT_HEX(v[2].uuid, 16, UUID1);
	ck_assert_uint_eq(v[2].static_len, 16);
	EXPECT_HEX(v[2].static_oob, 16, S16);

	ck_assert_int_eq(v[3].kind, CREDS_STATIC_OOB);
	EXPECT_HEX(v[3].uuid, 16, "fedcba98765432100123456789abcdef");
	ck_assert_uint_eq(v[3].static_len, 32);
	EXPECT_HEX(v[3].static_oob, 32, S16 S16);

	ck_assert_int_eq(v[4].kind, CREDS_NO_OOB);
	ck_assert_uint_eq(v[4].line, 7);
	EXPECT_HEX(v[4].uuid, 16, "00000000000000000000000000000001");

	ck_assert_int_eq(v[5].kind, CREDS_ALIGENIE);
	ck_assert_uint_eq(v[5].pid, 0xffffffff);
	ck_assert_uint_eq(v[5].secret_len, 64);
	EXPECT_HEX(v[5].secret, 64, S16 S16 S16 S16);
	creds_free(&c);
	ck_assert_ptr_null(c.v);
	ck_assert_uint_eq(c.n, 0);
}
END_TEST

/* A bad line after (i % 3) good ones: the error names the line, never quotes
 * the secret or static OOB value (secret), and the set is left as it was. */
#define SECRET_ODD "0123456789abcdef0"
#define SECRET_NOT_HEX "0123456789abcdeg"
#define SECRET_LONG S16 S16 S16 S16 "ab"
#define OOB15 "00112233445566778899aabbccddee"
#define OOB24 S16 "0011223344556677"
#define OOB33 S16 S16 "ff"
#define MAC "28fa7a0191da"
#define SECRET_MSG(why) "the secret must be 1-64 octets of hex (" why ")"
#define OOB_MSG(why) "the static OOB value must be 16 or 32 octets of hex (" why ")"
#define MISSING_MSG(what) "missing " what " (aligenie PID MAC SECRET)"
static const struct {
	const char *line;
	const char *msg;
	const char *secret;
} bad_creds[] = {
	{ "aligeni 1 " MAC " 00", "unknown kind 'aligeni' (aligenie or uuid)" },
	{ "ALIGENIE 1 " MAC " 00", "unknown kind 'ALIGENIE' (aligenie or uuid)" },
	{ S16 S16, "unknown kind (aligenie or uuid)", S16 },
	{ "aligenie", MISSING_MSG("the ProductID, the MAC and the secret") },
	{ "aligenie 1", MISSING_MSG("the MAC and the secret") },
	{ "aligenie 1 " MAC, MISSING_MSG("the secret") },
	{ "aligenie 1 " MAC " # " S16, MISSING_MSG("the secret"), S16 },
	{ "aligenie 1 " MAC " " S16 " " S16, "extra field after the secret (aligenie PID MAC SECRET)", S16 },
	{ "aligenie x " MAC " 00", "the ProductID must be decimal or 0x hex, up to 0xffffffff" },
	{ "aligenie 0x100000000 " MAC " 00", "the ProductID must be decimal or 0x hex, up to 0xffffffff" },
	{ "aligenie 1 28fa7a0191 00", "the MAC must be 6 octets of hex (not 5 octets)" },
	{ "aligenie 1 28:fa:7a:01:91:da:00 00", "the MAC must be 6 octets of hex (not 7 octets)" },
	{ "aligenie 1 28:fa:7a:01:91:dz 00", "the MAC must be 6 octets of hex (found a character that is not hex)" },
	{ "aligenie 1 28:fa:7a:01:91:d 00", "the MAC must be 6 octets of hex (an odd number of hex digits)" },
	{ "aligenie 1 28::fa7a0191da 00", "the MAC must be 6 octets of hex (misplaced ':' or '-')" },
	{ "aligenie 1 " MAC " " SECRET_NOT_HEX, SECRET_MSG("found a character that is not hex"), SECRET_NOT_HEX },
	{ "aligenie 1 " MAC " " SECRET_ODD, SECRET_MSG("an odd number of hex digits"), SECRET_ODD },
	{ "aligenie 1 " MAC " " SECRET_LONG, SECRET_MSG("not 65 octets"), S16 },
	{ "aligenie 1 " MAC " -" S16, SECRET_MSG("misplaced ':' or '-'"), S16 },
	{ "aligenie 1 " MAC " 0x", SECRET_MSG("not 0 octets") },
	{ "uuid", "missing the UUID (uuid UUID static-oob HEX, or uuid UUID no-oob)" },
	{ "uuid 0123", "the UUID must be 16 octets of hex (not 2 octets)" },
	{ "uuid " UUID1 "00 no-oob", "the UUID must be 16 octets of hex (not 17 octets)" },
	{ "uuid " UUID1, "expected 'static-oob HEX' or 'no-oob' after the UUID" },
	{ "uuid " UUID1 " static " S16, "expected 'static-oob HEX' or 'no-oob' after the UUID", S16 },
	{ "uuid " UUID1 " no-oob extra", "extra field after 'no-oob'" },
	{ "uuid " UUID1 " static-oob", "missing the value after 'static-oob'" },
	{ "uuid " UUID1 " static-oob " S16 " 00", "extra field after the static OOB value", S16 },
	{ "uuid " UUID1 " static-oob " OOB15, OOB_MSG("not 15 octets"), OOB15 },
	{ "uuid " UUID1 " static-oob " OOB24, OOB_MSG("not 24 octets"), OOB24 },
	{ "uuid " UUID1 " static-oob " OOB33, OOB_MSG("not 33 octets"), S16 },
	{ "uuid " UUID1 " static-oob " S16 "f", OOB_MSG("an odd number of hex digits"), S16 },
};

START_TEST(test_creds_bad)
{
	static const char *const good[] = {
		"aligenie 1 000000000001 01\n",
		"uuid 000000000000000000000000000000ff no-oob\n",
	};
	char text[1024], err[ERRLEN] = "";
	unsigned lines = (unsigned)_i % 3;
	size_t n = 0;
	struct creds c;

	for (unsigned k = 0; k < lines; k++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "%s", good[k]);
	snprintf(text + n, sizeof(text) - n, "%s\naligenie 2 000000000002 02\n", bad_creds[_i].line);
	creds_init(&c);
	ck_assert_int_eq(parse_creds_n(&c, text, strlen(text), err), -1);
	assert_err(err, "devices", lines + 1, bad_creds[_i].msg);
	if (bad_creds[_i].secret)
		ck_assert_msg(!strstr(err, bad_creds[_i].secret), "secret in '%s'", err);
	ck_assert_uint_eq(c.n, 0);
	creds_free(&c);
}
END_TEST

/* Which lines are the same device; the first repeat in file order is reported. */
START_TEST(test_creds_duplicates)
{
	static const struct {
		const char *text;
		const char *msg; /* NULL: no duplicate */
	} t[] = {
		{ "uuid " UUID1 " no-oob\n# x\nuuid 01234567-89AB-CDEF-0123-456789ABCDEF static-oob " S16 "\n",
		  "devices:3: device listed twice, on lines 1 and 3 (same UUID)" },
		{ "aligenie 16 28:fa:7a:01:91:da 00\naligenie 0x10 28fa7a0191da 01\n",
		  "devices:2: device listed twice, on lines 1 and 2 (same ProductID and MAC)" },
		{ "aligenie 1 " MAC " 00\n"
		  "uuid " UUID1 " no-oob\n"
		  "uuid fedcba98765432100123456789abcdef no-oob\n"
		  "uuid " UUID1 " no-oob\n"
		  "aligenie 1 " MAC " 00\n",
		  "devices:4: device listed twice, on lines 2 and 4 (same UUID)" },
		{ "aligenie 1 " MAC " 00\n"
		  "aligenie 2 " MAC " 00\n"
		  "aligenie 1 28fa7a0191db 00\n"
		  /* the AliGenie UUID of ProductID 1, MAC 28fa7a0191da: another key */
		  "uuid a8010001000000da91017afa28020000 no-oob\n"
		  "uuid " UUID1 " no-oob\n",
		  NULL },
	};
	char err[ERRLEN];
	struct creds c;

	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		int ret;

		creds_init(&c);
		err[0] = '\0';
		ret = parse_creds_n(&c, t[i].text, strlen(t[i].text), err);
		if (t[i].msg) {
			ck_assert_int_eq(ret, -1);
			ck_assert_str_eq(err, t[i].msg);
			ck_assert_uint_eq(c.n, 0);
		} else {
			ck_assert_msg(ret == 0, "%zu: %s", i, err);
			ck_assert_uint_eq(c.n, 5);
		}
		creds_free(&c);
	}
}
END_TEST

/* The parsed set for the match and auth tests. */
static const char match_text[] = "aligenie 5689 28:fa:7a:01:91:da " S16 "\n"
				 "uuid " UUID1 " static-oob " S16 S16 "\n"
				 "uuid fedcba98765432100123456789abcdef no-oob\n";

static void aligenie_uuid(uint32_t pid, const char *mac, bool random_auth, uint8_t uuid[16])
{
	struct aligenie_info a = { .pid_flags = 0x71, .product_id = pid, .feature_flag = 0x02 };

	hx_to(mac, a.mac, 6);
	a.flags2 = random_auth ? 0x02 : 0x00;
	aligenie_encode(&a, uuid);
}

START_TEST(test_creds_match)
{
	char err[ERRLEN] = "", line[64], hex[33];
	const struct creds_entry *cr;
	uint8_t uuid[16];
	struct creds c;

	creds_init(&c);
	ck_assert_msg(parse_creds_n(&c, match_text, strlen(match_text), err) == 0, "%s", err);
	aligenie_uuid(5689, "28fa7a0191da", false, uuid);
	ck_assert_ptr_eq(creds_match(&c, uuid), &c.v[0]);
	aligenie_uuid(5689, "28fa7a0191da", true, uuid);
	ck_assert_ptr_eq(creds_match(&c, uuid), &c.v[0]);
	aligenie_uuid(5689, "28fa7a0191db", false, uuid);
	ck_assert_ptr_null(creds_match(&c, uuid));
	aligenie_uuid(5690, "28fa7a0191da", false, uuid);
	ck_assert_ptr_null(creds_match(&c, uuid));
	hx_to(UUID1, uuid, 16);
	ck_assert_ptr_eq(creds_match(&c, uuid), &c.v[1]);
	hx_to("fedcba98765432100123456789abcdef", uuid, 16);
	ck_assert_ptr_eq(creds_match(&c, uuid), &c.v[2]);
	uuid[15] ^= 1;
	ck_assert_ptr_null(creds_match(&c, uuid));
	creds_free(&c);

	/* a uuid line for an AliGenie UUID wins over the aligenie line */
	aligenie_uuid(5689, "28fa7a0191da", false, uuid);
	hex_encode(uuid, 16, hex);
	snprintf(line, sizeof(line), "uuid %s no-oob\n", hex);
	ck_assert_msg(parse_creds_n(&c, match_text, strlen(match_text), err) == 0, "%s", err);
	ck_assert_msg(parse_creds_n(&c, line, strlen(line), err) == 0, "%s", err);
	cr = creds_match(&c, uuid);
	ck_assert_ptr_eq(cr, &c.v[3]);
	ck_assert_int_eq(cr->kind, CREDS_NO_OOB);
	creds_free(&c);
}
END_TEST

START_TEST(test_creds_auth)
{
	uint8_t uuid[16];
	char err[ERRLEN] = "";
	struct prov_auth a;
	struct creds c;

	creds_init(&c);
	ck_assert_msg(parse_creds_n(&c, match_text, strlen(match_text), err) == 0, "%s", err);
	for (int random = 0; random < 2; random++) {
		aligenie_uuid(5689, "28fa7a0191da", random, uuid);
		memset(&a, 0xcc, sizeof(a));
		creds_auth(creds_match(&c, uuid), uuid, &a);
		ck_assert_int_eq(a.kind, PROV_USE_ALIGENIE);
		ck_assert_uint_eq(a.product_id, 5689);
		EXPECT_HEX(a.mac, 6, "28fa7a0191da");
		ck_assert_uint_eq(a.secret_len, 16);
		EXPECT_HEX(a.secret, 16, S16);
		ck_assert_int_eq(a.random_bound, random);
	}
	hx_to(UUID1, uuid, 16);
	memset(&a, 0xcc, sizeof(a));
	creds_auth(creds_match(&c, uuid), uuid, &a);
	ck_assert_int_eq(a.kind, PROV_USE_STATIC);
	ck_assert_uint_eq(a.static_len, 32);
	EXPECT_HEX(a.static_value, 32, S16 S16);
	ck_assert(!a.random_bound);

	hx_to("fedcba98765432100123456789abcdef", uuid, 16);
	memset(&a, 0xcc, sizeof(a));
	creds_auth(creds_match(&c, uuid), uuid, &a);
	ck_assert_int_eq(a.kind, PROV_USE_NO_OOB);
	ck_assert_uint_eq(a.secret_len, 0);
	ck_assert_uint_eq(a.static_len, 0);
	creds_free(&c);
}
END_TEST

/* Only the owner may have any permission on the credentials file. */
static const struct {
	mode_t mode;
	bool ok;
} load_modes[] = {
	{ 0600, true }, { 0400, true }, { 0640, false }, { 0604, false }, { 0700, true }, { 0610, false },
};

START_TEST(test_creds_load_mode)
{
	char path[32], err[ERRLEN] = "", want[ERRLEN];
	struct creds c;
	int ret;

	write_temp(path, match_text, load_modes[_i].mode);
	creds_init(&c);
	ret = creds_load(&c, path, err, sizeof(err));
	ck_assert_int_eq(unlink(path), 0);
	if (load_modes[_i].ok) {
		ck_assert_msg(ret == 0, "%s", err);
		ck_assert_uint_eq(c.n, 3);
		ck_assert_uint_eq(c.v[2].line, 3);
	} else {
		ck_assert_int_eq(ret, -1);
		snprintf(want, sizeof(want),
			 "%s is accessible by group or others (mode %04o): make it 0600 (chmod 600 %s)",
			 path, (unsigned)load_modes[_i].mode, path);
		ck_assert_str_eq(err, want);
		ck_assert_uint_eq(c.n, 0);
	}
	creds_free(&c);
}
END_TEST

START_TEST(test_creds_load_other)
{
	char dir[] = "/tmp/test_conf.XXXXXX", path[32], link[64], err[ERRLEN], want[ERRLEN];
	struct creds c;

	creds_init(&c);
	/* a directory */
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(creds_load(&c, dir, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: not a regular file", dir);
	ck_assert_str_eq(err, want);
	/* a symbolic link to a good file */
	write_temp(path, match_text, 0600);
	snprintf(link, sizeof(link), "%s/devices", dir);
	ck_assert_int_eq(symlink(path, link), 0);
	ck_assert_int_eq(creds_load(&c, link, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: %s (a symbolic link is refused)", link, strerror(ELOOP));
	ck_assert_str_eq(err, want);
	/* missing */
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(unlink(link), 0);
	ck_assert_int_eq(creds_load(&c, link, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: %s", link, strerror(ENOENT));
	ck_assert_str_eq(err, want);
	/* a parse error names the path */
	write_temp(path, "uuid " UUID1 " no-oob\nuuid x\n", 0600);
	ck_assert_int_eq(creds_load(&c, path, err, sizeof(err)), -1);
	assert_err(err, path, 2, "the UUID must be 16 octets of hex (found a character that is not hex)");
	ck_assert_uint_eq(c.n, 0);
	creds_free(&c);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

START_TEST(test_creds_swap)
{
	char err[ERRLEN] = "";
	struct creds a, b;

	creds_init(&a);
	creds_init(&b);
	ck_assert_msg(parse_creds_n(&a, match_text, strlen(match_text), err) == 0, "%s", err);
	creds_swap(&a, &b);
	ck_assert_uint_eq(a.n, 0);
	ck_assert_ptr_null(a.v);
	ck_assert_uint_eq(b.n, 3);
	ck_assert_uint_eq(b.v[0].pid, 5689);
	creds_free(&a);
	creds_free(&b);
	ck_assert_ptr_null(b.v);
	ck_assert_uint_eq(b.n, 0);
	ck_assert_uint_eq(b.cap, 0);
	/* freeing an empty set (as after a failed load) is harmless */
	creds_free(&b);
	ck_assert_ptr_null(b.v);
}
END_TEST

/* ---- the file as a whole: NUL bytes, file size ---- */

static int parse_as_creds(const char *text, size_t len, char *err)
{
	struct creds c;
	int ret;

	creds_init(&c);
	ret = parse_creds_n(&c, text, len, err);
	creds_free(&c);
	return ret;
}

START_TEST(test_creds_limits)
{
	check_text_limits(parse_as_creds, "devices", "uuid " UUID1 " no-oob\n");
}
END_TEST

static Suite *creds_suite(void)
{
	Suite *s = suite_create("creds");
	TCase *td = tcase_create("creds");
	TCase *tl = tcase_create("limits");

	tcase_add_test(td, test_creds_kinds);
	tcase_add_loop_test(td, test_creds_bad, 0, (int)ARRAY_SIZE(bad_creds));
	tcase_add_test(td, test_creds_duplicates);
	tcase_add_test(td, test_creds_match);
	tcase_add_test(td, test_creds_auth);
	tcase_add_loop_test(td, test_creds_load_mode, 0, (int)ARRAY_SIZE(load_modes));
	tcase_add_test(td, test_creds_load_other);
	tcase_add_test(td, test_creds_swap);
	suite_add_tcase(s, td);

	tcase_add_test(tl, test_creds_limits);
	suite_add_tcase(s, tl);
	return s;
}

CHECK_MAIN(creds_suite)
