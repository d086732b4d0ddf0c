/* Hex literals and byte buffers in unit tests: see testhex.h. */
#include "testhex.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

/* The literal without its spaces, in clean (2 * HX_MAX + 1 chars); its length. */
static size_t strip_spaces(const char *hex, char *clean)
{
	size_t n = 0;

	for (const char *s = hex; *s; s++) {
		if (*s == ' ')
			continue;
		ck_assert_uint_lt(n, 2 * HX_MAX);
		clean[n++] = *s;
	}
	clean[n] = '\0';
	return n;
}

struct bytes hx(const char *hex)
{
	char clean[2 * HX_MAX + 1];
	size_t n = strip_spaces(hex, clean);
	struct bytes out;

	ck_assert_uint_eq(n % 2, 0);
	out.len = n / 2;
	ck_assert_uint_le(out.len, sizeof(out.b));
	ck_assert_msg(hex_decode(clean, out.b, out.len) == 0, "bad hex literal %s", hex);
	return out;
}

void hx_to(const char *hex, uint8_t *out, size_t len)
{
	char clean[2 * HX_MAX + 1];

	strip_spaces(hex, clean);
	/* straight into out: exactly len octets, or the test fails */
	ck_assert_msg(hex_decode(clean, out, len) == 0, "bad hex literal %s for %zu octets", hex, len);
}

void assert_hex_at(const char *what, unsigned i, const uint8_t *got, size_t len, const char *want)
{
	struct bytes w = hx(want);
	char got_hex[2 * HX_MAX + 1];

	hex_encode(got, len < HX_MAX ? len : HX_MAX, got_hex); /* for the message only */
	ck_assert_msg(len == w.len && memcmp(got, w.b, w.len) == 0, "%s %u is %s, want %s", what, i, got_hex,
		      want);
}

uint8_t *exact_copy(const uint8_t *p, size_t len)
{
	uint8_t *copy = malloc(len ? len : 1);

	ck_assert_ptr_nonnull(copy);
	if (len)
		memcpy(copy, p, len);
	return copy;
}
