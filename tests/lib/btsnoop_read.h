/* A strict reader for the BTSnoop files meshprov writes (datalink HCI UART,
 * include/btsnoop.h), for the tests: checks every record and counts them. */
#ifndef MESHPROV_TEST_BTSNOOP_READ_H
#define MESHPROV_TEST_BTSNOOP_READ_H

#include <stddef.h>
#include <stdint.h>

/* Read the whole file at path and check it: the header (magic, version 1,
 * datalink 1002), then every record: original length equal to included
 * length, the record inside the file (no truncated record, no trailing
 * octets), no drops, a timestamp not before the Unix epoch, data starting
 * with a valid H4 type octet whose packet header gives exactly the record's
 * length, flag bit 1 set for commands and events only, and a direction that
 * fits the type (the host sends no events, the controller no commands).
 *
 * On success returns 0 with the number of records, of those sent (host to
 * controller) and received, and the opcode of the first packet the host
 * sent (0 when it sent nothing, or first sent data rather than a command);
 * any out pointer may be NULL. Otherwise -1 with one line
 * in err naming path (and the record, counting from 0). */
int btsnoop_check_file(const char *path, size_t *records, size_t *sent, size_t *received,
		       uint16_t *first_opcode, char *err, size_t errlen);

/* The same check; then the opcodes of the commands the host sent, in order
 * (the first max of them), in ops and their number in n. */
int btsnoop_sent_commands(const char *path, uint16_t *ops, size_t max, size_t *n, char *err,
			  size_t errlen);

#endif
