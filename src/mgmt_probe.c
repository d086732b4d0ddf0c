#include "mgmt_probe.h"

#include <string.h>

#include "mgmt.h"
#include "util.h"

static const uint16_t cmds[MGMT_PROBE_NCMDS] = {
	MGMT_OP_READ_EXP_FEATURES,
	MGMT_OP_READ_INFO,
	MGMT_OP_READ_ADV_FEATURES,
};

enum { EXP, INFO, ADV };

/* Read Experimental Features Information: count (2), then UUID (16) and
 * flags (4) each. */
#define EXP_FEATURE_LEN 20
/* Read Controller Information up to the current settings. */
#define INFO_MIN 17

void mgmt_probe_init(struct mgmt_probe *p, uint16_t index)
{
	memset(p, 0, sizeof(*p));
	p->index = index;
}

size_t mgmt_probe_cmd(const struct mgmt_probe *p, int i, uint8_t *out)
{
	return mgmt_encode(out, MGMT_PROBE_FRAME_MAX, cmds[i], p->index, NULL, 0);
}

static void parse(struct mgmt_probe *p, int i, const uint8_t *rp, size_t rlen)
{
	size_t n;

	switch (i) {
	case EXP:
		if (rlen < 2)
			break;
		n = get_le16(rp);
		for (size_t k = 0; k < n && 2 + (k + 1) * EXP_FEATURE_LEN <= rlen; k++)
			if (!memcmp(rp + 2 + k * EXP_FEATURE_LEN, mgmt_mesh_uuid, 16))
				p->mesh_listed = true;
		return;
	case INFO:
		if (rlen < INFO_MIN)
			break;
		p->supported = get_le32(rp + 9);
		p->settings = get_le32(rp + 13);
		return;
	case ADV:
		if (rlen < 4)
			break;
		p->adv_flags = get_le32(rp);
		return;
	}
	/* a reply too short to read: as if the kernel had refused the command */
	p->status[i] = MGMT_STATUS_INVALID_PARAMS;
}

bool mgmt_probe_receive(struct mgmt_probe *p, const uint8_t *f, size_t len)
{
	uint16_t code, opcode;
	const uint8_t *rp;
	size_t rlen;

	if (len < MGMT_HDR_LEN + 3 || get_le16(f + 4) != len - MGMT_HDR_LEN)
		return false;
	code = get_le16(f);
	if ((code != MGMT_EV_CMD_COMPLETE && code != MGMT_EV_CMD_STATUS) ||
	    get_le16(f + 2) != p->index)
		return false;
	opcode = get_le16(f + MGMT_HDR_LEN);
	rp = f + MGMT_HDR_LEN + 3;
	rlen = len - MGMT_HDR_LEN - 3;
	for (int i = 0; i < MGMT_PROBE_NCMDS; i++) {
		if (cmds[i] != opcode || p->answered[i])
			continue;
		p->answered[i] = true;
		p->status[i] = f[MGMT_HDR_LEN + 2];
		if (p->status[i] == MGMT_STATUS_SUCCESS)
			parse(p, i, rp, rlen);
		return true;
	}
	return false;
}

static bool ok(const struct mgmt_probe *p, int i)
{
	return p->answered[i] && p->status[i] == MGMT_STATUS_SUCCESS;
}

bool mgmt_probe_choose(const struct mgmt_probe *p, const char **why)
{
	if (!p->opened)
		*why = "the management socket cannot be opened";
	else if (!p->answered[EXP] || !p->answered[INFO])
		*why = "the kernel did not answer on the management socket";
	else if (p->status[INFO] == MGMT_STATUS_INVALID_INDEX)
		*why = "the kernel has no such controller";
	else if (!ok(p, EXP) || !p->mesh_listed)
		*why = "the kernel does not offer the mesh interface (Linux >= 6.0 has it)";
	else if (!ok(p, INFO))
		*why = "the kernel did not say what the controller supports";
	else if (!(p->supported & MGMT_SETTING_LE))
		*why = "the controller does not support LE";
	else if (!(p->settings & MGMT_SETTING_POWERED))
		*why = "the controller is powered off";
	else if (p->answered[ADV] && p->status[ADV] == MGMT_STATUS_PERMISSION_DENIED)
		*why = "the mesh interface needs CAP_NET_ADMIN, which meshprov lacks";
	else if (!ok(p, ADV) || !(p->adv_flags & MGMT_ADV_FLAG_SEC_1M))
		*why = "the controller has legacy advertising only, where the kernel's mesh "
		       "interface sends nothing";
	else {
		*why = "the kernel offers the mesh interface";
		return true;
	}
	return false;
}
