/* Hex literals and byte buffers in unit tests, checked with Check's
 * assertions (a bad literal fails the test that uses it).
 *
 * A literal is hex digits, upper or lower case, optionally with spaces for
 * reading ("23af5850 00 07"); it is decoded by hex_decode() (include/util.h). */
#ifndef MESHPROV_TEST_HEX_H
#define MESHPROV_TEST_HEX_H

#include <check.h>
#include <stddef.h>
#include <stdint.h>

/* The longest literal, in octets. */
#define HX_MAX 160

struct bytes {
	uint8_t b[HX_MAX];
	size_t len;
};

/* Decode a literal: fails the test unless it is whole octets of hex, at most HX_MAX. */
struct bytes hx(const char *hex);

/* Decode a literal of exactly len octets straight into out (hex_decode()). */
void hx_to(const char *hex, uint8_t *out, size_t len);

/* Fail the test unless got[0..len) is the literal want, saying
 * "<what> <i> is <got>, want <want>". */
void assert_hex_at(const char *what, unsigned i, const uint8_t *got, size_t len, const char *want);

/* got[0..n) must equal the literal hex of exactly n octets (the failure
 * is reported at the caller's line). */
#define EXPECT_HEX(got, n, hex)                                    \
	do {                                                       \
		struct bytes want_ = hx(hex);                      \
		ck_assert_uint_eq(want_.len, (n));                 \
		ck_assert_mem_eq((got), want_.b, (n));             \
	} while (0)

/* A heap copy of exactly len octets of p (one octet allocated for len 0),
 * so that AddressSanitizer sees any read past the end; free() it. */
uint8_t *exact_copy(const uint8_t *p, size_t len);

#endif
