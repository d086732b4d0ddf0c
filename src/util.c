#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static void hex_with(const char digits[16], const uint8_t *in, size_t len, char *out)
{
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0x0f];
	}
	out[2 * len] = '\0';
}

void hex_encode(const uint8_t *in, size_t len, char *out)
{
	hex_with("0123456789abcdef", in, len, out);
}

void hex_encode_upper(const uint8_t *in, size_t len, char *out)
{
	hex_with("0123456789ABCDEF", in, len, out);
}

int seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

int unix_addr(struct sockaddr_un *sa, const char *path)
{
	size_t len = strlen(path);

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (len >= sizeof(sa->sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sa->sun_path, path, len + 1);
	return 0;
}

bool hex_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return s[n] == '\0';
}

int unix_connect(const char *path)
{
	struct sockaddr_un sa;
	int fd, e;

	if (unix_addr(&sa, path) < 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static int nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int hex_decode_var(const char *hex, uint8_t *out, size_t max)
{
	size_t n = 0;

	if (!hex)
		return -1;
	if (hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X'))
		hex += 2;
	while (*hex) {
		int hi, lo;

		if (n > 0 && (*hex == ':' || *hex == '-'))
			hex++;
		hi = nibble(hex[0]);
		if (hi < 0)
			return -1;
		lo = nibble(hex[1]);
		if (lo < 0)
			return -1;
		if (n == max)
			return -1;
		out[n++] = (uint8_t)(hi << 4 | lo);
		hex += 2;
	}
	return (int)n;
}

int hex_decode(const char *hex, uint8_t *out, size_t out_len)
{
	uint8_t tmp[256];
	int n;

	if (out_len > sizeof(tmp))
		return -1;
	n = hex_decode_var(hex, tmp, out_len);
	if (n < 0 || (size_t)n != out_len)
		return -1;
	for (size_t i = 0; i < out_len; i++)
		out[i] = tmp[i];
	return 0;
}

uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	bool hex;
	char *end;
	unsigned long v;

	if (!s)
		return -1;
	/* decimal, or hex after 0x: a leading zero is not octal */
	hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
	if (hex)
		s += 2;
	if (!(hex ? isxdigit((unsigned char)*s) : isdigit((unsigned char)*s)))
		return -1;
	errno = 0;
	v = strtoul(s, &end, hex ? 16 : 10);
	if (errno || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

double parse_seconds(const char *s)
{
	char *end;
	double v;

	if (!s || !*s)
		return -1;
	v = strtod(s, &end);
	if (*end || !isfinite(v) || v <= 0 || v > 1e7)
		return -1;
	return v;
}

