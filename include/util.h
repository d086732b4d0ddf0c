/* Small helpers shared by every layer: byte order, hex, time. */
#ifndef MESHPROV_UTIL_H
#define MESHPROV_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Deadline value meaning "no timer wanted" in every core's next_deadline(). */
#define NO_DEADLINE UINT64_MAX

static inline uint16_t get_le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static inline uint16_t get_be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}
static inline void put_le16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline void put_be16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static inline void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}
static inline void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

static inline uint64_t min_deadline(uint64_t a, uint64_t b) { return a < b ? a : b; }

/* Lower-case hex of len bytes into out (2*len+1 bytes, NUL-terminated). */
void hex_encode(const uint8_t *in, size_t len, char *out);

/* The same in upper case (the Mesh Configuration Database's JSON form). */
void hex_encode_upper(const uint8_t *in, size_t len, char *out);

/* True when s is exactly n hex digits (either case), nothing else. */
bool hex_digits(const char *s, size_t n);

/* Decode exactly out_len bytes from hex (upper or lower case; ':' and '-'
 * separators between bytes are accepted). Returns 0, or -1 when the text is
 * not exactly out_len bytes of hex. */
int hex_decode(const char *hex, uint8_t *out, size_t out_len);

/* Decode up to max bytes; returns the byte count, or -1 on bad hex or overflow. */
int hex_decode_var(const char *hex, uint8_t *out, size_t max);

/* The one way to report an error into a caller's (err, errlen) buffer:
 * printf-formats fmt into err (nothing when err is NULL or errlen 0).
 * Returns -1, so that a parser can `return seterr(...)`. */
int seterr(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Fill sa with the AF_UNIX address of a filesystem path. 0, or -1 with
 * errno ENAMETOOLONG when the path does not fit sun_path with its NUL. */
struct sockaddr_un;
int unix_addr(struct sockaddr_un *sa, const char *path);

/* A blocking SOCK_STREAM connection (close-on-exec) to the socket at path:
 * the descriptor, or -1 with errno set. */
int unix_connect(const char *path);

/* Milliseconds on CLOCK_MONOTONIC. Used by the edges only: cores take time as input. */
uint64_t mono_ms(void);

/* Parse an unsigned integer (decimal, or 0x hex) that must fit max. 0 or -1. */
int parse_uint(const char *s, unsigned long max, unsigned long *out);

/* Parse a duration in seconds ("3", "0.5"); -1 when not a positive number. */
double parse_seconds(const char *s);


#endif
