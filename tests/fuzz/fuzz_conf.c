/* The daemon's configuration file (conf.c, conf_parse: the parser
 * conf_load feeds the file to) and what is looked up in it.
 * Input: the file. */
#include <stdio.h>
#include <string.h>

#include "conf.h"
#include "fuzz.h"
#include "log.h"

static struct conf C;
static unsigned long sink;

FUZZ_INITIALIZE(0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512];

	conf_defaults(&C);
	if (conf_parse(&C, "fuzz.conf", (const char *)data, size, err, sizeof(err)) == 0) {
		sink += conf_groups_for(&C, 602)->n + strlen(C.hci) + C.max_sessions;
		for (unsigned i = 0; i < C.nproduct_groups; i++)
			sink += conf_groups_for(&C, C.product_groups[i].pid)->addr[0];
	} else {
		sink += strlen(err);
	}
	return 0;
}
