/* Upper transport: nonces, access payload encryption and decryption, AID and
 * virtual addresses, with the sample messages of the Mesh Profile §8.3
 * (copied from shared/vectors/mesh-network.md §2, §3, §6 and §7). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "testhex.h"
#include "upper.h"
#include "util.h"

#define OK(expr) ck_assert_int_eq((expr), 0)

/* mesh-network.md §2 */
#define APP_KEY "63964771734fbd76e3b40519d1d94a48"
#define DEV_KEY "9d6dd0e96eb25dc19a40ed9914f8f03f"
#define LABEL_22 "0073e7e4d8b9440faf8415df4c56c0e1"
#define LABEL_24 "f4a002c7fb1e4ca0a469a021de0db875"

struct sample {
	const char *name;
	const char *key;
	bool akf;
	bool szmic;
	uint32_t seq;
	uint16_t src, dst;
	uint32_t iv;
	const char *label; /* NULL unless dst is virtual */
	const char *access;
	const char *nonce;
	const char *upper; /* EncAccessPayload || TransMIC */
};

static const struct sample samples[] = {
	/* §3.2 Message #6: Config AppKey Add, device key, segmented */
	{ "#6", DEV_KEY, false, false, 0x3129ab, 0x0003, 0x1201, 0x12345678, NULL,
	  "0056341263964771734fbd76e3b40519d1d94a48", "02003129ab0003120112345678",
	  "ee9dddfd2169326d23f3afdfcfdc18c52fdef772 e0e17308" },
	/* §3.3 Message #16: Config AppKey Status, device key */
	{ "#16", DEV_KEY, false, false, 0x000006, 0x1201, 0x0003, 0x12345678, NULL, "800300563412",
	  "02000000061201000312345678", "89511bf1d1a8 1c11dcef" },
	/* §3.4 Message #18: Health Current Status, application key, all-nodes */
	{ "#18", APP_KEY, true, false, 0x000007, 0x1201, 0xffff, 0x12345678, NULL, "0400000000",
	  "01000000071201ffff12345678", "5a8bde6d91 06ea078a" },
	/* §3.6 Message #19 (lower PDU 66 || upper) */
	{ "#19", APP_KEY, true, false, 0x000009, 0x1201, 0xffff, 0x12345678, NULL, "04000000010703",
	  "01000000091201ffff12345678", "ca6cd88e698d1265f43fc5" },
	/* §3.6 Message #21: group c105 */
	{ "#21", APP_KEY, true, false, 0x07080a, 0x1234, 0xc105, 0x12345677, NULL, "d50a0048656c6c6f",
	  "010007080a1234c10512345677", "4d92e9dfcf3ab85b6e8fcf03" },
	/* §3.5 Message #22: virtual address b529, Label UUID as AAD */
	{ "#22", APP_KEY, true, false, 0x07080b, 0x1234, 0xb529, 0x12345677, LABEL_22, "d50a0048656c6c6f",
	  "010007080b1234b52912345677", "3871b904d4315263 16ca48a0" },
	/* §3.5 Message #24: virtual address 9736, segmented, SZMIC 1 (64-bit TransMIC) */
	{ "#24", APP_KEY, true, true, 0x07080d, 0x1234, 0x9736, 0x12345677, LABEL_24, "ea0a00576f726c64",
	  "018007080d1234973612345677", "c3c51d8e476b28e3 aa5001f31c01cea6" },
	/* §7: Composition Data Get, Model App Bind, Node Reset (computed there, no published reference) */
	{ "§7 comp get", DEV_KEY, false, false, 0x3129b0, 0x0003, 0x1201, 0x12345678, NULL, "800800",
	  "02003129b00003120112345678", "fefb78dfe2ac6b" },
	{ "§7 app bind", DEV_KEY, false, false, 0x3129b1, 0x0003, 0x1201, 0x12345678, NULL, "803d011223010010",
	  "02003129b10003120112345678", "4631daa8381c2e6dfe6900a6" },
	{ "§7 node reset", DEV_KEY, false, false, 0x3129b2, 0x0003, 0x1201, 0x12345678, NULL, "8049",
	  "02003129b20003120112345678", "71cbce2e77c9" },
};

struct prepared {
	uint8_t key[16];
	uint8_t label[16];
	const uint8_t *labelp; /* label, or NULL */
	struct bytes access;
	struct bytes upper;
};

static void prepare(const struct sample *s, struct prepared *p)
{
	hx_to(s->key, p->key, 16);
	p->labelp = NULL;
	if (s->label) {
		hx_to(s->label, p->label, 16);
		p->labelp = p->label;
	}
	p->access = hx(s->access);
	p->upper = hx(s->upper);
}

START_TEST(test_nonce)
{
	const struct sample *s = &samples[_i];
	uint8_t nonce[UPPER_NONCE_LEN];

	upper_nonce(nonce, s->akf, s->szmic, s->seq, s->src, s->dst, s->iv);
	assert_hex_at("nonce of sample", (unsigned)_i, nonce, sizeof(nonce), s->nonce);
}
END_TEST

START_TEST(test_encrypt_sample)
{
	const struct sample *s = &samples[_i];
	struct prepared p;
	uint8_t out[UPPER_MAX_PDU];
	size_t olen = 0;

	prepare(s, &p);
	OK(upper_encrypt(p.key, s->akf, s->szmic, s->seq, s->src, s->dst, s->iv, p.labelp, p.access.b, p.access.len,
			 out, &olen));
	ck_assert_uint_eq(olen, p.access.len + upper_mic_len(s->szmic));
	assert_hex_at("upper PDU of sample", (unsigned)_i, out, olen, s->upper);

	/* in place: out is the access buffer */
	memcpy(out, p.access.b, p.access.len);
	OK(upper_encrypt(p.key, s->akf, s->szmic, s->seq, s->src, s->dst, s->iv, p.labelp, out, p.access.len, out,
			 &olen));
	assert_hex_at("in-place upper PDU of sample", (unsigned)_i, out, olen, s->upper);
}
END_TEST

START_TEST(test_decrypt_sample)
{
	const struct sample *s = &samples[_i];
	struct prepared p;
	uint8_t out[UPPER_MAX_PDU];
	uint8_t *exact;
	size_t olen = 0;

	prepare(s, &p);
	exact = exact_copy(p.upper.b, p.upper.len);

	OK(upper_decrypt(p.key, s->akf, s->szmic, s->seq, s->src, s->dst, s->iv, p.labelp, exact, p.upper.len, out,
			 &olen));
	assert_hex_at("access payload of sample", (unsigned)_i, out, olen, s->access);

	/* in place */
	OK(upper_decrypt(p.key, s->akf, s->szmic, s->seq, s->src, s->dst, s->iv, p.labelp, exact, p.upper.len, exact,
			 &olen));
	assert_hex_at("in-place access payload of sample", (unsigned)_i, exact, olen, s->access);
	free(exact);
}
END_TEST

/* Any flipped bit of the MIC or payload, or any nonce field changed, fails. */
START_TEST(test_decrypt_tampered)
{
	const struct sample *s = &samples[_i];
	struct prepared p;
	uint8_t out[UPPER_MAX_PDU], buf[UPPER_MAX_PDU];
	uint8_t other_label[16];
	size_t olen = 12345;

	prepare(s, &p);
	for (size_t i = 0; i < p.upper.len; i++) {
		for (int bit = 0; bit < 8; bit += 7) {
			memcpy(buf, p.upper.b, p.upper.len);
			buf[i] ^= (uint8_t)(1u << bit);
			memset(out, 0xaa, sizeof(out));
			ck_assert_int_eq(upper_decrypt(p.key, s->akf, s->szmic, s->seq, s->src, s->dst, s->iv,
						       p.labelp, buf, p.upper.len, out, &olen),
					 -EBADMSG);
			ck_assert_uint_eq(olen, 12345); /* untouched */
			for (size_t j = 0; j < p.upper.len - upper_mic_len(s->szmic); j++)
				ck_assert_uint_eq(out[j], 0); /* zeroed, no plaintext leaks */
		}
	}

#define BAD(...) ck_assert_int_eq(upper_decrypt(__VA_ARGS__, p.upper.b, p.upper.len, out, &olen), -EBADMSG)
	BAD(p.key, !s->akf, s->szmic, s->seq, s->src, s->dst, s->iv, p.labelp);
	BAD(p.key, s->akf, s->szmic, (s->seq + 1) & 0xffffff, s->src, s->dst, s->iv, p.labelp);
	BAD(p.key, s->akf, s->szmic, s->seq, (uint16_t)(s->src ^ 0x0100), s->dst, s->iv, p.labelp);
	BAD(p.key, s->akf, s->szmic, s->seq, s->src, s->dst, s->iv + 1, p.labelp);
	if (!upper_addr_is_virtual(s->dst))
		BAD(p.key, s->akf, s->szmic, s->seq, s->src, (uint16_t)(s->dst ^ 0x0001), s->iv, p.labelp);
	if (p.labelp) {
		memcpy(other_label, p.label, 16);
		other_label[15] ^= 1;
		BAD(p.key, s->akf, s->szmic, s->seq, s->src, s->dst, s->iv, other_label);
	}
	/* the other MIC size reads the PDU differently */
	if (p.upper.len > 8)
		BAD(p.key, s->akf, !s->szmic, s->seq, s->src, s->dst, s->iv, p.labelp);
	p.key[0] ^= 0x80;
	BAD(p.key, s->akf, s->szmic, s->seq, s->src, s->dst, s->iv, p.labelp);
#undef BAD
}
END_TEST

START_TEST(test_aid)
{
	uint8_t key[16], aid = 0xff;

	/* §2 §8.2.1: the sample AppKey */
	hx_to(APP_KEY, key, 16);
	OK(upper_aid(key, &aid));
	ck_assert_uint_eq(aid, 0x26);
	/* §1 §8.1.6: k4 of 3216d150... */
	hx_to("3216d1509884b533248541792b877f98", key, 16);
	OK(upper_aid(key, &aid));
	ck_assert_uint_eq(aid, 0x38);
	ck_assert_int_eq(upper_aid(NULL, &aid), -EINVAL);
	ck_assert_int_eq(upper_aid(key, NULL), -EINVAL);
}
END_TEST

START_TEST(test_virtual_address)
{
	uint8_t label[16];
	uint16_t va = 0;

	hx_to(LABEL_22, label, 16);
	OK(upper_virtual_address(label, &va));
	ck_assert_uint_eq(va, 0xb529);
	hx_to(LABEL_24, label, 16);
	OK(upper_virtual_address(label, &va));
	ck_assert_uint_eq(va, 0x9736);
	ck_assert_int_eq(upper_virtual_address(NULL, &va), -EINVAL);
	ck_assert_int_eq(upper_virtual_address(label, NULL), -EINVAL);
}
END_TEST

/* The largest payloads: 380 octets with a 32-bit MIC, 376 with a 64-bit one;
 * one more is refused. Round trip at every boundary. */
START_TEST(test_lengths)
{
	uint8_t key[16], access[UPPER_MAX_PDU + 1], out[UPPER_MAX_PDU + 16], back[UPPER_MAX_PDU];
	size_t olen, blen;

	hx_to(APP_KEY, key, 16);
	for (size_t i = 0; i < sizeof(access); i++)
		access[i] = (uint8_t)(i * 7 + 1);

	for (int szmic = 0; szmic <= 1; szmic++) {
		size_t max = szmic ? UPPER_MAX_ACCESS_MIC64 : UPPER_MAX_ACCESS_MIC32;
		const size_t lens[] = { 1, 11, 12, 15, max - 1, max };

		for (size_t k = 0; k < ARRAY_SIZE(lens); k++) {
			OK(upper_encrypt(key, true, szmic, 0x123456, 0x0001, 0x0002, 0, NULL, access, lens[k], out,
					 &olen));
			ck_assert_uint_eq(olen, lens[k] + (szmic ? 8 : 4));
			ck_assert_uint_le(olen, UPPER_MAX_PDU);
			OK(upper_decrypt(key, true, szmic, 0x123456, 0x0001, 0x0002, 0, NULL, out, olen, back, &blen));
			ck_assert_uint_eq(blen, lens[k]);
			ck_assert_mem_eq(back, access, blen);
		}
		ck_assert_int_eq(upper_encrypt(key, true, szmic, 0x123456, 0x0001, 0x0002, 0, NULL, access, max + 1,
					       out, &olen),
				 -EMSGSIZE);
	}
	ck_assert_uint_eq(UPPER_MAX_ACCESS_MIC32, 380);
	ck_assert_uint_eq(UPPER_MAX_ACCESS_MIC64, 376);
}
END_TEST

START_TEST(test_bad_arguments)
{
	uint8_t key[16], label[16], access[8] = { 1, 2, 3 }, out[UPPER_MAX_PDU + 1];
	size_t olen = 0;

	hx_to(DEV_KEY, key, 16);
	hx_to(LABEL_22, label, 16);
#define ENC(...) upper_encrypt(__VA_ARGS__)
	ck_assert_int_eq(ENC(NULL, false, false, 1, 1, 2, 0, NULL, access, 3, out, &olen), -EINVAL);
	ck_assert_int_eq(ENC(key, false, false, 1, 1, 2, 0, NULL, NULL, 3, out, &olen), -EINVAL);
	ck_assert_int_eq(ENC(key, false, false, 1, 1, 2, 0, NULL, access, 0, out, &olen), -EINVAL);
	ck_assert_int_eq(ENC(key, false, false, 1, 1, 2, 0, NULL, access, 3, NULL, &olen), -EINVAL);
	ck_assert_int_eq(ENC(key, false, false, 1, 1, 2, 0, NULL, access, 3, out, NULL), -EINVAL);
	ck_assert_int_eq(ENC(key, false, false, 0x1000000, 1, 2, 0, NULL, access, 3, out, &olen), -EINVAL);
	ck_assert_int_eq(ENC(key, false, false, 1, 0, 2, 0, NULL, access, 3, out, &olen), -EINVAL);      /* src 0 */
	ck_assert_int_eq(ENC(key, false, false, 1, 0xc000, 2, 0, NULL, access, 3, out, &olen), -EINVAL); /* src group */
	ck_assert_int_eq(ENC(key, false, false, 1, 1, 0, 0, NULL, access, 3, out, &olen), -EINVAL);      /* dst 0 */
	ck_assert_int_eq(ENC(key, true, false, 1, 1, 0xb529, 0, NULL, access, 3, out, &olen), -EINVAL);  /* no label */
	ck_assert_int_eq(ENC(key, true, false, 1, 1, 0xc000, 0, label, access, 3, out, &olen), -EINVAL); /* label, group */
	OK(ENC(key, true, false, 1, 1, 0xb529, 0, label, access, 3, out, &olen));
	ck_assert_uint_eq(olen, 7);
#undef ENC
	/* decrypt: no room for a payload before the MIC, too long, NULL */
	ck_assert_int_eq(upper_decrypt(key, false, false, 1, 1, 2, 0, NULL, out, 4, out, &olen), -EINVAL);
	ck_assert_int_eq(upper_decrypt(key, false, true, 1, 1, 2, 0, NULL, out, 8, out, &olen), -EINVAL);
	ck_assert_int_eq(upper_decrypt(key, false, false, 1, 1, 2, 0, NULL, out, 0, out, &olen), -EINVAL);
	ck_assert_int_eq(upper_decrypt(key, false, false, 1, 1, 2, 0, NULL, NULL, 7, out, &olen), -EINVAL);
	ck_assert_int_eq(upper_decrypt(key, false, false, 1, 1, 2, 0, NULL, out, UPPER_MAX_PDU + 1, out, &olen),
			 -EMSGSIZE);
	ck_assert_int_eq(upper_decrypt(key, true, false, 1, 1, 0xb529, 0, NULL, out, 7, out, &olen), -EINVAL);
	/* the smallest PDUs decrypt: 1 octet + MIC */
	OK(upper_encrypt(key, false, true, 1, 1, 2, 0, NULL, access, 1, out, &olen));
	ck_assert_uint_eq(olen, 9);
	OK(upper_decrypt(key, false, true, 1, 1, 2, 0, NULL, out, 9, out, &olen));
	ck_assert_uint_eq(olen, 1);
	ck_assert_uint_eq(out[0], 1);
}
END_TEST

static Suite *upper_suite(void)
{
	Suite *s = suite_create("upper");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_nonce, 0, (int)ARRAY_SIZE(samples));
	tcase_add_loop_test(tc, test_encrypt_sample, 0, (int)ARRAY_SIZE(samples));
	tcase_add_loop_test(tc, test_decrypt_sample, 0, (int)ARRAY_SIZE(samples));
	tcase_add_loop_test(tc, test_decrypt_tampered, 0, (int)ARRAY_SIZE(samples));
	tcase_add_test(tc, test_aid);
	tcase_add_test(tc, test_virtual_address);
	tcase_add_test(tc, test_lengths);
	tcase_add_test(tc, test_bad_arguments);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(upper_suite)
