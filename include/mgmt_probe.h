/* Which transport to take for hciN when none is named: the kernel's mesh
 * interface (hciN:mesh) where it works, else the raw socket (hciN). A pure
 * core: the answers to three management commands in (mgmt_probe_receive),
 * a choice and its reason out (mgmt_probe_choose). The edge that asks the
 * kernel is transport_probe_mesh().
 *
 * The questions, each for controller index dev:
 *   Read Experimental Features Information: is the mesh feature listed? The
 *     kernel lists it (Linux >= 6.0) only for an LE-capable controller.
 *   Read Controller Information: LE supported, powered.
 *   Read Advertising Features: a command that needs CAP_NET_ADMIN, as the
 *     mesh interface does (Permission Denied: we may not use it), and its
 *     supported flags say whether the kernel advertises with the extended
 *     commands (the secondary-PHY flag 1M is set only then). Linux 6.1 sends
 *     no mesh packet on a controller with legacy advertising only: it tries
 *     to change the random address while its mesh scan runs, which the
 *     controller refuses (seen with btvirt -L). */
#ifndef MESHPROV_MGMT_PROBE_H
#define MESHPROV_MGMT_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MGMT_OP_READ_ADV_FEATURES 0x003d
#define MGMT_OP_READ_EXP_FEATURES 0x0049
/* Read Advertising Features' supported flag "secondary channel 1M". */
#define MGMT_ADV_FLAG_SEC_1M (1u << 7)

#define MGMT_PROBE_TIMEOUT_MS 1000

/* The commands, in the order the edge sends them. */
#define MGMT_PROBE_NCMDS 3
/* Room for any frame the kernel answers with. */
#define MGMT_PROBE_FRAME_MAX 1024

struct mgmt_probe {
	uint16_t index;
	bool opened;            /* the management socket could be opened */
	/* per command of mgmt_probe_cmds: answered, and its status */
	bool answered[MGMT_PROBE_NCMDS];
	uint8_t status[MGMT_PROBE_NCMDS];
	bool mesh_listed;       /* the mesh UUID in the experimental features */
	uint32_t supported, settings; /* Read Controller Information */
	uint32_t adv_flags;     /* Read Advertising Features' supported flags */
};

void mgmt_probe_init(struct mgmt_probe *p, uint16_t index);

/* Command i (0 .. MGMT_PROBE_NCMDS - 1) into out, its length (at most
 * MGMT_PROBE_FRAME_MAX). */
size_t mgmt_probe_cmd(const struct mgmt_probe *p, int i, uint8_t *out);

/* One management frame from the kernel. True when it answers one of the
 * probe's commands for p->index (other frames are ignored). */
bool mgmt_probe_receive(struct mgmt_probe *p, const uint8_t *f, size_t len);

/* True for hciN:mesh, false for the raw socket; *why is one phrase saying
 * why ("the kernel offers the mesh interface", "no CAP_NET_ADMIN ..."). */
bool mgmt_probe_choose(const struct mgmt_probe *p, const char **why);

#endif
