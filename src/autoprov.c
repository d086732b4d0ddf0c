/* The daemon's automatic provisioning policy (see autoprov.h): a table of
 * failed attempts and the rules on it. Pure: no I/O, no log. */
#include "autoprov.h"

#include <stdlib.h>
#include <string.h>

void autoprov_init(struct autoprov *p, size_t max, unsigned max_attempts, unsigned retry_delay_s)
{
	memset(p, 0, sizeof(*p));
	p->max = max;
	p->max_attempts = max_attempts;
	p->retry_delay_s = retry_delay_s;
}

void autoprov_free(struct autoprov *p)
{
	free(p->a);
	p->a = NULL;
	p->n = 0;
}

void autoprov_reset(struct autoprov *p, size_t max, unsigned max_attempts, unsigned retry_delay_s)
{
	p->n = 0;
	p->max = max;
	p->max_attempts = max_attempts;
	p->retry_delay_s = retry_delay_s;
}

static struct autoprov_attempt *find(const struct autoprov *p, const uint8_t uuid[16])
{
	for (size_t i = 0; i < p->n; i++)
		if (!memcmp(p->a[i].uuid, uuid, 16))
			return &p->a[i];
	return NULL;
}

/* The record of uuid, made when there is none. NULL: out of memory. */
static struct autoprov_attempt *record(struct autoprov *p, const uint8_t uuid[16])
{
	struct autoprov_attempt *a = find(p, uuid);

	if (a)
		return a;
	if (p->max == 0)
		return NULL;
	if (p->n >= p->max) {
		/* forget the oldest record */
		memmove(p->a, p->a + 1, (p->n - 1) * sizeof(*p->a));
		p->n--;
	}
	a = realloc(p->a, (p->n + 1) * sizeof(*a));
	if (!a)
		return NULL;
	p->a = a;
	a = &p->a[p->n++];
	memset(a, 0, sizeof(*a));
	memcpy(a->uuid, uuid, 16);
	return a;
}

enum autoprov_beacon autoprov_beacon(const struct autoprov *p, const uint8_t uuid[16],
				     enum autoprov_node node, uint64_t now, unsigned *attempt)
{
	const struct autoprov_attempt *a;

	if (node == AUTOPROV_CONFIGURED)
		return AUTOPROV_WAIT;
	a = find(p, uuid);
	if (a && (a->given_up || now < a->next_try))
		return AUTOPROV_WAIT;
	*attempt = a ? a->count + 1 : 1;
	return node == AUTOPROV_UNCONFIGURED ? AUTOPROV_PROVISION_ANEW : AUTOPROV_PROVISION;
}

bool autoprov_next_config(const struct autoprov *p, uint64_t now, const struct autoprov_facts *f,
			  void *ctx, size_t *i, struct autoprov_attempt *out)
{
	for (; *i < p->n; (*i)++) {
		const struct autoprov_attempt *a = &p->a[*i];
		uint64_t seen;

		if (a->given_up || now < a->next_try || !f->eligible(ctx, a->uuid) ||
		    f->node(ctx, a->uuid) != AUTOPROV_UNCONFIGURED)
			continue;
		if (f->last_beacon(ctx, a->uuid, &seen) && now - seen < AUTOPROV_BEACON_FRESH_MS)
			continue;
		*out = *a;
		(*i)++;
		return true;
	}
	return false;
}

bool autoprov_schedule(struct autoprov *p, const uint8_t uuid[16], uint64_t now)
{
	struct autoprov_attempt *a = record(p, uuid);

	if (!a)
		return false;
	a->next_try = now;
	return true;
}

bool autoprov_failed(struct autoprov *p, const uint8_t uuid[16], uint64_t now,
		     struct autoprov_failure *out)
{
	struct autoprov_attempt *a = record(p, uuid);
	uint64_t delay;

	if (!a)
		return false;
	a->count++;
	out->count = a->count;
	out->delay_s = 0;
	out->given_up = a->count >= p->max_attempts;
	if (out->given_up) {
		a->given_up = true;
		return true;
	}
	delay = (uint64_t)p->retry_delay_s << (a->count - 1 < 10 ? a->count - 1 : 10);
	if (delay > AUTOPROV_RETRY_MAX_S)
		delay = AUTOPROV_RETRY_MAX_S;
	a->next_try = now + delay * 1000;
	out->delay_s = (unsigned)delay;
	return true;
}

void autoprov_forget(struct autoprov *p, const uint8_t uuid[16])
{
	struct autoprov_attempt *a = find(p, uuid);

	if (a) {
		*a = p->a[p->n - 1];
		p->n--;
	}
}

enum autoprov_admit autoprov_admit(unsigned sessions, unsigned max_sessions, unsigned backlog_ms)
{
	if (sessions >= max_sessions)
		return AUTOPROV_NO_SESSION;
	if (sessions > 0 && backlog_ms >= AUTOPROV_ADMIT_BACKLOG_MS)
		return AUTOPROV_NO_AIRTIME;
	return AUTOPROV_ADMIT;
}

bool autoprov_reservation_beacon_counts(int64_t res_time, int64_t since, int64_t now)
{
	int64_t from = res_time > since ? res_time : since;

	return now >= from + AUTOPROV_BEACON_GRACE_S;
}

bool autoprov_reservation_settled(int64_t res_time, int64_t since, unsigned window_s, int64_t now)
{
	int64_t from = res_time > since ? res_time : since;

	return from + (int64_t)window_s <= now;
}
