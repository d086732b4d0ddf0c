#include "node_setup.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "util.h"

bool node_setup_model_wanted(const struct cfg_model_id *m)
{
	return m->vendor || m->id > 0x0003;
}

static void finish(struct node_setup *s, int rc, const char *msg)
{
	if (s->finished)
		return;
	s->finished = true;
	s->rc = rc;
	if (rc != 0 && (!msg || !msg[0]))
		msg = "configuration stopped"; /* every failure says something */
	snprintf(s->msg, sizeof(s->msg), "%s", msg ? msg : "");
	OPENSSL_cleanse(s->params.app_key, sizeof(s->params.app_key));
	s->ops->done(s->ctx, rc, s->msg);
}

static int cli_send(void *ctx, uint16_t dst, const uint8_t *pdu, size_t len)
{
	struct node_setup *s = ctx;

	return s->ops->send(s->ctx, dst, pdu, len);
}

static void progress(struct node_setup *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void progress(struct node_setup *s, const char *fmt, ...)
{
	char buf[160];
	va_list ap;

	if (!s->ops->progress)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	s->ops->progress(s->ctx, buf);
}

/* Queue the binds and subscriptions of every wanted model of every element. */
static int queue_models(struct node_setup *s, uint64_t now)
{
	const struct cfg_comp_page0 *c = &s->composition;

	for (unsigned e = 0; e < c->num_elements; e++) {
		const struct cfg_comp_element *el = &c->elements[e];
		unsigned nmodels = (unsigned)el->num_sig + el->num_vendor;

		for (unsigned i = 0; i < nmodels; i++) {
			struct cfgcli_req r = { 0 };
			struct cfg_model_id m = i < el->num_sig ? cfg_model_sig(el->sig[i])
								: el->vendor[i - el->num_sig];

			if (!node_setup_model_wanted(&m))
				continue;
			r.kind = CFGCLI_MODEL_APP_BIND;
			r.elem_addr = (uint16_t)(s->params.unicast + e);
			r.app_idx = s->params.app_index;
			r.model = m;
			if (cfgcli_enqueue(&s->cli, now, &r) < 0)
				return -ENOSPC;
			for (unsigned g = 0; g < s->params.ngroups; g++) {
				r.kind = CFGCLI_MODEL_SUB_ADD;
				r.addr = s->params.groups[g];
				if (cfgcli_enqueue(&s->cli, now, &r) < 0)
					return -ENOSPC;
			}
		}
	}
	return 0;
}

static void record(struct node_setup_item *list, unsigned *n, const struct cfgcli_req *r,
		   uint16_t base, uint16_t value)
{
	if (*n == NODE_SETUP_MAX_ITEMS)
		return;
	list[*n].element = (uint8_t)(r->elem_addr - base);
	list[*n].model = r->model;
	list[*n].value = value;
	(*n)++;
}

static const char *req_name(enum cfgcli_kind k)
{
	switch (k) {
	case CFGCLI_APPKEY_ADD: return "Config AppKey Add";
	case CFGCLI_COMP_DATA_GET: return "Config Composition Data Get";
	case CFGCLI_MODEL_APP_BIND: return "Config Model App Bind";
	case CFGCLI_MODEL_SUB_ADD: return "Config Model Subscription Add";
	case CFGCLI_NODE_RESET: return "Config Node Reset";
	case CFGCLI_STATE_GET: return "Config state Get";
	case CFGCLI_STATE_SET: return "Config state Set";
	case CFGCLI_MODEL_APP_UNBIND: return "Config Model App Unbind";
	case CFGCLI_MODEL_SUB_DEL: return "Config Model Subscription Delete";
	case CFGCLI_MODEL_PUB_GET: return "Config Model Publication Get";
	case CFGCLI_MODEL_PUB_SET: return "Config Model Publication Set";
	}
	return "request";
}

static void cli_done(void *ctx, const struct cfgcli_req *req, const struct cfgcli_result *res)
{
	struct node_setup *s = ctx;
	char msg[160], model[16];
	uint64_t now = s->now;

	if (s->finished)
		return;
	if (res->rc != 0) {
		if (res->rc == -ETIMEDOUT)
			snprintf(msg, sizeof(msg), "%s: no answer from 0x%04x", req_name(req->kind),
				 s->params.unicast);
		else if (res->rc > 0)
			snprintf(msg, sizeof(msg), "%s: node answered %s (0x%02x)", req_name(req->kind),
				 res->status_str ? res->status_str : "an error", res->rc);
		else
			snprintf(msg, sizeof(msg), "%s: cannot send (%s)", req_name(req->kind),
				 strerror(-res->rc));
		/* report first: cancelling the rest calls back into here, now ignored */
		finish(s, res->rc > 0 ? -EPROTO : res->rc, msg);
		cfgcli_cancel_all(&s->cli, now);
		return;
	}
	switch (req->kind) {
	case CFGCLI_APPKEY_ADD:
		s->appkey_added = true;
		progress(s, "AppKey %u added", req->app_idx);
		break;
	case CFGCLI_COMP_DATA_GET:
		/* Page || Data */
		if (res->params_len < 1 ||
		    cfg_comp_page0_parse(res->params + 1, res->params_len - 1, &s->composition) == -EBADMSG) {
			finish(s, -EBADMSG, "the node sent malformed Composition Data");
			cfgcli_cancel_all(&s->cli, now);
			return;
		}
		s->have_composition = true;
		progress(s, "composition: CID %04x PID %04x VID %04x, %u element%s", s->composition.cid,
			 s->composition.pid, s->composition.vid, s->composition.num_elements,
			 s->composition.num_elements == 1 ? "" : "s");
		if (s->params.bind_and_subscribe && queue_models(s, now) < 0) {
			finish(s, -ENOSPC, "too many models to configure");
			cfgcli_cancel_all(&s->cli, now);
			return;
		}
		break;
	case CFGCLI_MODEL_APP_BIND:
		record(s->binds, &s->nbinds, req, s->params.unicast, req->app_idx);
		cfg_model_id_str(req->model, model);
		progress(s, "model %s of element %u bound to AppKey %u", model,
			 (unsigned)(req->elem_addr - s->params.unicast), req->app_idx);
		break;
	case CFGCLI_MODEL_SUB_ADD:
		record(s->subs, &s->nsubs, req, s->params.unicast, req->addr);
		cfg_model_id_str(req->model, model);
		progress(s, "model %s of element %u subscribed to 0x%04x", model,
			 (unsigned)(req->elem_addr - s->params.unicast), req->addr);
		break;
	case CFGCLI_NODE_RESET:
	case CFGCLI_STATE_GET:
	case CFGCLI_STATE_SET:
	case CFGCLI_MODEL_APP_UNBIND:
	case CFGCLI_MODEL_SUB_DEL:
	case CFGCLI_MODEL_PUB_GET:
	case CFGCLI_MODEL_PUB_SET:
		break;
	}
	if (cfgcli_pending(&s->cli) == 0)
		finish(s, 0, NULL);
}

static const struct cfgcli_ops setup_cli_ops = {
	.send = cli_send,
	.done = cli_done,
};

int node_setup_start(struct node_setup *s, uint64_t now, const struct node_setup_params *params,
		     const struct node_setup_ops *ops, void *ctx)
{
	struct cfgcli_req r = { 0 };
	int err;

	memset(s, 0, sizeof(*s));
	s->now = now;
	s->params = *params;
	s->ops = ops;
	s->ctx = ctx;
	cfgcli_init(&s->cli, params->unicast, &setup_cli_ops, s);
	r.kind = CFGCLI_APPKEY_ADD;
	r.net_idx = params->net_index;
	r.app_idx = params->app_index;
	memcpy(r.app_key, params->app_key, 16);
	err = cfgcli_enqueue(&s->cli, now, &r);
	OPENSSL_cleanse(r.app_key, sizeof(r.app_key));
	if (err)
		return err;
	memset(&r, 0, sizeof(r));
	r.kind = CFGCLI_COMP_DATA_GET;
	r.page = 0;
	return cfgcli_enqueue(&s->cli, now, &r);
}

void node_setup_input(struct node_setup *s, uint64_t now, uint16_t src, const uint8_t *pdu, size_t len)
{
	s->now = now;
	if (!s->finished)
		cfgcli_input(&s->cli, now, src, pdu, len);
}

void node_setup_cancel(struct node_setup *s, uint64_t now, const char *msg)
{
	if (s->finished)
		return;
	s->now = now;
	finish(s, -ECANCELED, msg);
	cfgcli_cancel_all(&s->cli, now);
}

uint64_t node_setup_next_deadline(const struct node_setup *s)
{
	return s->finished ? NO_DEADLINE : cfgcli_next_deadline(&s->cli);
}

void node_setup_tick(struct node_setup *s, uint64_t now)
{
	s->now = now;
	if (!s->finished)
		cfgcli_tick(&s->cli, now);
}
