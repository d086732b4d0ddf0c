/* Shared by the fuzz targets (tests/fuzz/fuzz_*.c): the libFuzzer entry
 * points (FUZZ_INITIALIZE), the sink a target folds its core's outputs
 * into, and a reader that splits one input into the records a target feeds
 * its core one at a time (a payload, a tick of the clock, a choice).
 *
 * Reading past the end yields zeros and empty records, never an error, so
 * every input is a valid sequence of records. Each record is copied into a
 * heap buffer of exactly its length, so that AddressSanitizer sees a core
 * that reads past the end of what it was given. */
#ifndef MESHPROV_FUZZ_H
#define MESHPROV_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* LLVMFuzzerInitialize for a target: the log quiet (errors only), then
 * setup, an expression that is 0 when the target may run. */
#define FUZZ_INITIALIZE(setup)                                  \
	int LLVMFuzzerInitialize(int *argc, char ***argv)       \
	{                                                       \
		(void)argc;                                     \
		(void)argv;                                     \
		log_set_level(LOG_LVL_ERROR);                   \
		return (setup);                                 \
	}

/* What a target's core told it, folded together, so that nothing it
 * computed is optimised away. */
static unsigned long fuzz_sink __attribute__((unused));

struct fz {
	const uint8_t *p;
	size_t n;
};

static inline void fz_init(struct fz *f, const uint8_t *data, size_t size)
{
	f->p = data;
	f->n = size;
}

static inline bool fz_more(const struct fz *f) { return f->n > 0; }

static inline uint8_t fz_u8(struct fz *f)
{
	if (!f->n)
		return 0;
	f->n--;
	return *f->p++;
}

static inline uint16_t fz_be16(struct fz *f)
{
	uint16_t hi = fz_u8(f);

	return (uint16_t)(hi << 8 | fz_u8(f));
}

/* The next want octets (fewer at the end of the input) as an exact heap
 * copy (malloc(1) for none): free() it. NULL only when out of memory. */
static inline uint8_t *fz_take(struct fz *f, size_t want, size_t *len)
{
	size_t n = want < f->n ? want : f->n;
	uint8_t *b = malloc(n ? n : 1);

	*len = n;
	if (!b)
		return NULL;
	if (n)
		memcpy(b, f->p, n);
	f->p += n;
	f->n -= n;
	return b;
}

/* A record whose length is the next octet, modulo mod. */
static inline uint8_t *fz_record(struct fz *f, unsigned mod, size_t *len)
{
	return fz_take(f, fz_u8(f) % mod, len);
}

#endif
