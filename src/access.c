#include "access.h"

#include <errno.h>
#include <string.h>

int access_opcode_len(uint32_t op)
{
	if (op <= 0x7e)
		return 1;
	if (op >= 0x8000 && op <= 0xbfff)
		return 2;
	if (op >= 0xc00000 && op <= 0xffffff)
		return 3;
	return -EINVAL;
}

int access_opcode_encode(uint32_t op, uint8_t out[3])
{
	int n = access_opcode_len(op);

	switch (n) {
	case 1:
		out[0] = (uint8_t)op;
		break;
	case 2:
		out[0] = (uint8_t)(op >> 8);
		out[1] = (uint8_t)op;
		break;
	case 3:
		out[0] = (uint8_t)(op >> 16);
		out[1] = (uint8_t)(op >> 8);
		out[2] = (uint8_t)op;
		break;
	default:
		break;
	}
	return n;
}

int access_opcode_decode(const uint8_t *p, size_t len, uint32_t *op, size_t *oplen)
{
	size_t n;
	uint32_t v = 0;

	if (len < 1 || p[0] == 0x7f)
		return -EBADMSG;
	n = p[0] < 0x80 ? 1 : p[0] < 0xc0 ? 2 : 3;
	if (len < n)
		return -EBADMSG;
	for (size_t i = 0; i < n; i++)
		v = v << 8 | p[i];
	*op = v;
	*oplen = n;
	return 0;
}

int access_build(uint32_t op, const uint8_t *params, size_t plen, uint8_t *out, size_t outmax, size_t *len)
{
	uint8_t opb[3];
	int n = access_opcode_encode(op, opb);

	if (n < 0 || (plen && !params))
		return -EINVAL;
	if (plen > ACCESS_MAX_PDU - (size_t)n)
		return -EMSGSIZE;
	if ((size_t)n + plen > outmax)
		return -ENOBUFS;
	if (plen)
		memmove(out + n, params, plen);
	memcpy(out, opb, (size_t)n);
	*len = (size_t)n + plen;
	return 0;
}

int access_parse(const uint8_t *pdu, size_t len, uint32_t *op, const uint8_t **params, size_t *plen)
{
	uint32_t v;
	size_t n;

	if (len > ACCESS_MAX_PDU || access_opcode_decode(pdu, len, &v, &n) < 0)
		return -EBADMSG;
	*op = v;
	*params = pdu + n;
	*plen = len - n;
	return 0;
}
