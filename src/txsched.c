#include "txsched.h"

#include <errno.h>
#include <string.h>

void txsched_init(struct txsched *s)
{
	memset(s, 0, sizeof(*s));
	for (unsigned i = 0; i < TXSCHED_POOL; i++)
		s->pool[i].next = i + 1 < TXSCHED_POOL ? (int16_t)(i + 1) : -1;
	s->free_head = 0;
	s->rr = TXSCHED_MAX_SOURCES - 1; /* the first turn is source 0's */
	for (unsigned i = 0; i < TXSCHED_MAX_SOURCES; i++)
		s->src[i].head = s->src[i].tail = -1;
}

int txsched_open(struct txsched *s, unsigned limit, unsigned weight,
		 const struct txsched_src_ops *ops, void *ctx)
{
	if (limit == 0)
		return -EINVAL;
	if (limit > TXSCHED_POOL - s->reserved)
		return -ENOSPC;
	for (unsigned i = 0; i < TXSCHED_MAX_SOURCES; i++) {
		struct txsched_source *src = &s->src[i];

		if (src->open || src->draining)
			continue;
		src->open = true;
		src->refused = false;
		src->gen++;
		src->limit = limit;
		src->weight = weight ? weight : 1;
		src->queued = 0;
		src->nprio = 0;
		src->head = src->tail = -1;
		src->ops = ops;
		src->ctx = ctx;
		s->reserved += limit;
		return (int)i;
	}
	return -ENOSPC;
}

static void release(struct txsched *s, struct txsched_source *src)
{
	src->draining = false;
	s->reserved -= src->limit;
	src->limit = 0;
}

void txsched_close(struct txsched *s, unsigned id)
{
	struct txsched_source *src;

	if (id >= TXSCHED_MAX_SOURCES || !s->src[id].open)
		return;
	src = &s->src[id];
	src->open = false;
	src->gen++; /* in-flight PDUs raise nothing */
	src->ops = NULL;
	src->ctx = NULL;
	src->refused = false;
	if (src->queued > 0)
		src->draining = true;
	else
		release(s, src);
}

int txsched_push(struct txsched *s, unsigned id, uint8_t ad_type, const uint8_t *data,
		 size_t len, unsigned flags, uint32_t cookie)
{
	struct txsched_source *src;
	struct txsched_slot *slot;
	int16_t n;

	if (len > TXSCHED_MAX_PAYLOAD)
		return -EMSGSIZE;
	if (id >= TXSCHED_MAX_SOURCES || !s->src[id].open)
		return -EBADF;
	src = &s->src[id];
	if (src->queued >= src->limit || s->free_head < 0) {
		/* (the pool cannot run out: the limits are reserved in it) */
		src->refused = true;
		src->refusals++;
		s->refusals++;
		return -ENOBUFS;
	}
	n = s->free_head;
	slot = &s->pool[n];
	s->free_head = slot->next;
	slot->next = -1;
	slot->item.ad_type = ad_type;
	slot->item.len = (uint8_t)len;
	slot->item.flags = (uint8_t)(flags & (TXSCHED_PRIO | TXSCHED_NOTIFY));
	if (len)
		memcpy(slot->item.data, data, len);
	slot->item.src = (uint16_t)id;
	slot->item.gen = src->gen;
	slot->item.cookie = cookie;
	if (src->tail >= 0)
		s->pool[src->tail].next = n;
	else
		src->head = n;
	src->tail = n;
	src->queued++;
	src->pushed++;
	s->queued++;
	if (flags & TXSCHED_PRIO) {
		src->nprio++;
		s->nprio++;
	}
	return 0;
}

/* Take the first item of src's queue that matches (prio_only: a priority one). */
static void take(struct txsched *s, unsigned id, bool prio_only, struct txsched_item *out)
{
	struct txsched_source *src = &s->src[id];
	int16_t prev = -1, n = src->head;

	while (prio_only && !(s->pool[n].item.flags & TXSCHED_PRIO)) {
		prev = n;
		n = s->pool[n].next;
	}
	*out = s->pool[n].item;
	if (prev >= 0)
		s->pool[prev].next = s->pool[n].next;
	else
		src->head = s->pool[n].next;
	if (src->tail == n)
		src->tail = prev;
	s->pool[n].next = s->free_head;
	s->free_head = n;
	src->queued--;
	s->queued--;
	if (out->flags & TXSCHED_PRIO) {
		src->nprio--;
		s->nprio--;
	}
	s->popped++;
	if (src->draining && src->queued == 0)
		release(s, src);
}

/* The first priority PDU of a source that has one. */
static int16_t first_prio(const struct txsched *s, unsigned id)
{
	int16_t n = s->src[id].head;

	while (!(s->pool[n].item.flags & TXSCHED_PRIO))
		n = s->pool[n].next;
	return n;
}

/* The source whose PDU goes next among those of at most max_len octets, in
 * the order of txsched_pop (a source's later PDUs never pass the one that
 * does not fit): -1 when none fits. *prio: its first priority PDU is meant;
 * *new_turn: the round robin moves on to it. */
static int choose(const struct txsched *s, size_t max_len, bool *prio, bool *new_turn)
{
	*prio = false;
	*new_turn = false;
	if (s->nprio > 0) {
		/* round robin among the sources with a priority PDU, from the
		 * one after the current turn; the turns themselves stay */
		for (unsigned k = 1; k <= TXSCHED_MAX_SOURCES; k++) {
			unsigned id = (s->rr + k) % TXSCHED_MAX_SOURCES;

			if (s->src[id].nprio > 0 &&
			    s->pool[first_prio(s, id)].item.len <= max_len) {
				*prio = true;
				return (int)id;
			}
		}
	}
	if (s->turn_left > 0 && s->src[s->rr].queued > 0 &&
	    s->pool[s->src[s->rr].head].item.len <= max_len)
		return (int)s->rr;
	for (unsigned k = 1; k <= TXSCHED_MAX_SOURCES; k++) {
		unsigned id = (s->rr + k) % TXSCHED_MAX_SOURCES;
		const struct txsched_source *src = &s->src[id];

		if (src->queued == 0 || s->pool[src->head].item.len > max_len)
			continue;
		*new_turn = true;
		return (int)id;
	}
	return -1;
}

bool txsched_pop_fit(struct txsched *s, size_t max_len, struct txsched_item *out)
{
	bool prio, new_turn;
	int id;

	if (s->queued == 0 || (id = choose(s, max_len, &prio, &new_turn)) < 0)
		return false;
	if (new_turn) {
		struct txsched_source *src = &s->src[id];

		s->rr = (unsigned)id;
		s->turn_left = (src->open ? src->weight : 1) - 1;
	} else if (!prio) {
		s->turn_left--;
	}
	take(s, (unsigned)id, prio, out);
	return true;
}

bool txsched_pop(struct txsched *s, struct txsched_item *out)
{
	return txsched_pop_fit(s, TXSCHED_MAX_PAYLOAD, out);
}

bool txsched_can_fit(const struct txsched *s, size_t max_len)
{
	bool prio, new_turn;

	return s->queued > 0 && choose(s, max_len, &prio, &new_turn) >= 0;
}

void txsched_done(struct txsched *s, const struct txsched_item *it)
{
	struct txsched_source *src;

	if (it->src >= TXSCHED_MAX_SOURCES)
		return;
	src = &s->src[it->src];
	if (!src->open || src->gen != it->gen)
		return;
	if ((it->flags & TXSCHED_NOTIFY) && src->ops && src->ops->tx_done)
		src->ops->tx_done(src->ctx, it->cookie);
	/* the callback may have closed the source (and another opened it) */
	if (src->open && src->gen == it->gen && src->refused && src->queued < src->limit) {
		src->refused = false;
		if (src->ops && src->ops->room)
			src->ops->room(src->ctx);
	}
}

void txsched_flush(struct txsched *s)
{
	struct txsched_item dummy;

	while (s->queued > 0)
		txsched_pop(s, &dummy);
}

unsigned txsched_queued(const struct txsched *s)
{
	return s->queued;
}

unsigned txsched_src_queued(const struct txsched *s, unsigned id)
{
	return id < TXSCHED_MAX_SOURCES ? s->src[id].queued : 0;
}
