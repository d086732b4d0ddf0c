/* make bench: the memory meshprov's daemon sets aside per session, printed
 * as JSON for tests/bench. The daemon allocates every session slot with
 * itself (struct daemon holds CONF_MAX_SESSIONS provisioning slots, each
 * with its struct provjob: the PB-ADV link, the provisioning session, the
 * node's Configuration Client; and as many configuration slots), so an open
 * link costs no allocation beyond what OpenSSL takes for its ECDH key. */
#include <stdio.h>

#include "daemon.h"

int main(void)
{
	printf("{\"provisioning_slot_bytes\": %zu, \"provjob_bytes\": %zu, \"config_slot_bytes\": %zu, "
	       "\"sessions\": %d, \"daemon_bytes\": %zu, \"localnode_bytes\": %zu, \"radio_bytes\": %zu}\n",
	       sizeof(struct slot), sizeof(struct provjob), sizeof(struct cfgslot), CONF_MAX_SESSIONS,
	       sizeof(struct daemon), sizeof(struct localnode), sizeof(struct radio));
	return 0;
}
