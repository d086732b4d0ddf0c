#include "h4.h"

#include <string.h>

#include "util.h"

void h4_reset(struct h4_parser *p)
{
	p->len = 0;
	p->need = 0;
}

/* Header length after the type octet, or 0 for an unknown type. */
static size_t header_len(uint8_t type)
{
	switch (type) {
	case H4_CMD: return 3; /* opcode(2) plen(1) */
	case H4_ACL: return 4; /* handle(2) dlen(2) */
	case H4_SCO: return 3; /* handle(2) dlen(1) */
	case H4_EVT: return 2; /* code(1) plen(1) */
	case H4_ISO: return 4; /* handle(2) dlen(2, 14 bits) */
	default: return 0;
	}
}

static size_t payload_len(const uint8_t *b)
{
	switch (b[0]) {
	case H4_CMD: return b[3];
	case H4_ACL: return get_le16(b + 3);
	case H4_SCO: return b[3];
	case H4_EVT: return b[2];
	case H4_ISO: return get_le16(b + 3) & 0x3fff;
	default: return 0;
	}
}

int h4_feed(struct h4_parser *p, const uint8_t *data, size_t len, h4_packet_fn fn, void *ctx)
{
	while (len > 0) {
		size_t hdr, want, take;

		if (p->len == 0) {
			if (header_len(data[0]) == 0) {
				h4_reset(p);
				return -1;
			}
		}
		hdr = 1 + header_len(p->len ? p->buf[0] : data[0]);
		want = p->need ? p->need : hdr;
		take = want - p->len;
		if (take > len)
			take = len;
		memcpy(p->buf + p->len, data, take);
		p->len += take;
		data += take;
		len -= take;
		if (p->len < want)
			break;
		if (!p->need) {
			p->need = hdr + payload_len(p->buf);
			if (p->need > p->len)
				continue;
		}
		fn(ctx, p->buf, p->len);
		h4_reset(p);
	}
	return 0;
}
