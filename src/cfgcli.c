#include "cfgcli.h"

#include <errno.h>
#include <string.h>

#include "access.h"
#include "util.h"

void cfgcli_init(struct cfgcli *cli, uint16_t dst, const struct cfgcli_ops *ops, void *ctx)
{
	memset(cli, 0, sizeof(*cli));
	cli->dst = dst;
	cli->ops = ops;
	cli->ctx = ctx;
	cli->retransmit_ms = CFGCLI_RETRANSMIT_MS;
	cli->timeout_ms = CFGCLI_TIMEOUT_MS;
	cli->retx_at = NO_DEADLINE;
	cli->timeout_at = NO_DEADLINE;
}

int cfgcli_set_timing(struct cfgcli *cli, uint32_t retransmit_ms, uint32_t timeout_ms)
{
	if (retransmit_ms == 0 || timeout_ms == 0)
		return -EINVAL;
	cli->retransmit_ms = retransmit_ms;
	cli->timeout_ms = timeout_ms;
	return 0;
}

int cfgcli_build_req(const struct cfgcli_req *req, uint8_t *out, size_t outmax)
{
	switch (req->kind) {
	case CFGCLI_APPKEY_ADD:
		return cfg_build_appkey_add(req->net_idx, req->app_idx, req->app_key, out, outmax);
	case CFGCLI_COMP_DATA_GET:
		return cfg_build_comp_data_get(req->page, out, outmax);
	case CFGCLI_MODEL_APP_BIND:
		return cfg_build_model_app_bind(req->elem_addr, req->app_idx, req->model, out, outmax);
	case CFGCLI_MODEL_SUB_ADD:
		return cfg_build_model_sub_add(req->elem_addr, req->addr, req->model, out, outmax);
	case CFGCLI_MODEL_APP_UNBIND:
		return cfg_build_model_app_unbind(req->elem_addr, req->app_idx, req->model, out, outmax);
	case CFGCLI_MODEL_SUB_DEL:
		return cfg_build_model_sub_del(req->elem_addr, req->addr, req->model, out, outmax);
	case CFGCLI_MODEL_PUB_GET:
		return cfg_build_model_pub_get(req->pub.elem_addr, req->pub.model, out, outmax);
	case CFGCLI_MODEL_PUB_SET:
		return cfg_build_model_pub_set(&req->pub, out, outmax);
	case CFGCLI_NODE_RESET:
		return cfg_build_node_reset(out, outmax);
	case CFGCLI_STATE_GET:
		return cfg_build_state_get(req->state, out, outmax);
	case CFGCLI_STATE_SET:
		return cfg_build_state_set(req->state, &req->state_value, out, outmax);
	}
	return -EINVAL;
}

static uint32_t status_opcode(const struct cfgcli_req *req)
{
	switch (req->kind) {
	case CFGCLI_APPKEY_ADD:
		return CFG_OP_APPKEY_STATUS;
	case CFGCLI_COMP_DATA_GET:
		return CFG_OP_COMP_DATA_STATUS;
	case CFGCLI_MODEL_APP_BIND:
	case CFGCLI_MODEL_APP_UNBIND:
		return CFG_OP_MODEL_APP_STATUS;
	case CFGCLI_MODEL_SUB_ADD:
	case CFGCLI_MODEL_SUB_DEL:
		return CFG_OP_MODEL_SUB_STATUS;
	case CFGCLI_NODE_RESET:
		return CFG_OP_NODE_RESET_STATUS;
	case CFGCLI_STATE_GET:
	case CFGCLI_STATE_SET:
		return cfg_state_status_opcode(req->state);
	case CFGCLI_MODEL_PUB_GET:
	case CFGCLI_MODEL_PUB_SET:
		return CFG_OP_MODEL_PUB_STATUS;
	}
	return UINT32_MAX; /* not reached: enqueue accepts known kinds only */
}

unsigned cfgcli_pending(const struct cfgcli *cli)
{
	return cli->count;
}

/* ---- the queue ---- */

/* Report the outstanding (or, not yet sent, head) request and drop it. */
static void finish(struct cfgcli *cli, int rc, bool answered, uint8_t status, const uint8_t *params, size_t plen)
{
	struct cfgcli_req req = cli->queue[cli->head].req;
	struct cfgcli_result res = {
		.rc = rc,
		.status = status,
		.status_str = answered ? cfg_status_str(status) : NULL,
		.params = answered ? params : NULL,
		.params_len = answered ? plen : 0,
	};

	cli->head = (cli->head + 1) % CFGCLI_QUEUE_LEN;
	cli->count--;
	cli->outstanding = false;
	cli->retx_at = NO_DEADLINE;
	cli->timeout_at = NO_DEADLINE;
	cli->stats.completed++;
	cli->depth++;
	if (cli->ops->done)
		cli->ops->done(cli->ctx, &req, &res);
	cli->depth--;
}

/* Send the head request; 0, or the send error that ends it. */
static int transmit(struct cfgcli *cli, uint64_t now, bool repeat)
{
	const struct cfgcli_entry *e = &cli->queue[cli->head];
	int rc;

	cli->stats.tx_sends++;
	if (repeat)
		cli->stats.tx_repeats++;
	rc = cli->ops->send(cli->ctx, cli->dst, e->pdu, e->len);
	if (rc >= 0) {
		if (!cli->sent) { /* the answer is awaited from the first send taken */
			cli->sent = true;
			cli->timeout_at = now + cli->timeout_ms;
		}
		cli->retx_at = now + cli->retransmit_ms;
		return 0;
	}
	cli->stats.tx_errors++;
	if (rc != -EAGAIN && rc != -EBUSY)
		return rc;
	cli->retx_at = now + (cli->retransmit_ms < CFGCLI_BUSY_RETRY_MS ? cli->retransmit_ms : CFGCLI_BUSY_RETRY_MS);
	return 0;
}

/* Start queued requests while nothing is outstanding (not from inside ops->done:
 * the outermost call does it once the callback has returned). */
static void pump(struct cfgcli *cli, uint64_t now)
{
	while (cli->depth == 0 && !cli->outstanding && cli->count) {
		int rc;

		cli->outstanding = true;
		cli->sent = false;
		cli->timeout_at = now + cli->timeout_ms; /* refused that long: given up */
		rc = transmit(cli, now, false);
		if (rc < 0)
			finish(cli, rc, false, 0, NULL, 0);
	}
}

int cfgcli_enqueue(struct cfgcli *cli, uint64_t now, const struct cfgcli_req *req)
{
	struct cfgcli_entry *e;
	int len;

	if (cli->count >= CFGCLI_QUEUE_LEN)
		return -ENOSPC;
	e = &cli->queue[(cli->head + cli->count) % CFGCLI_QUEUE_LEN];
	len = cfgcli_build_req(req, e->pdu, sizeof(e->pdu));
	if (len < 0)
		return -EINVAL;
	e->req = *req;
	e->len = (uint8_t)len;
	cli->count++;
	pump(cli, now);
	return 0;
}

void cfgcli_cancel_all(struct cfgcli *cli, uint64_t now)
{
	/* only those queued now: ops->done may enqueue new ones */
	for (unsigned n = cli->count; n > 0 && cli->count > 0; n--)
		finish(cli, -ECANCELED, false, 0, NULL, 0);
	pump(cli, now);
}

/* ---- time ---- */

uint64_t cfgcli_next_deadline(const struct cfgcli *cli)
{
	if (!cli->outstanding)
		return NO_DEADLINE;
	return min_deadline(cli->retx_at, cli->timeout_at);
}

void cfgcli_tick(struct cfgcli *cli, uint64_t now)
{
	if (cli->outstanding) {
		if (now >= cli->timeout_at) {
			finish(cli, cli->sent ? -ETIMEDOUT : -EBUSY, false, 0, NULL, 0);
		} else if (now >= cli->retx_at) {
			int rc = transmit(cli, now, true);

			if (rc < 0)
				finish(cli, rc, false, 0, NULL, 0);
		}
	}
	pump(cli, now);
}

/* ---- input ---- */

/* Whether a status message (its parameters p[0..len)) answers req: 1 yes,
 * 0 other parameters, -EBADMSG malformed. *status is its status code. */
static int match(const struct cfgcli_req *req, const uint8_t *p, size_t len, uint8_t *status)
{
	*status = CFG_STATUS_SUCCESS;
	switch (req->kind) {
	case CFGCLI_APPKEY_ADD: {
		struct cfg_appkey_status st;

		if (cfg_parse_appkey_status(p, len, &st) < 0)
			return -EBADMSG;
		*status = st.status;
		return st.net_idx == req->net_idx && st.app_idx == req->app_idx;
	}
	case CFGCLI_COMP_DATA_GET: {
		struct cfg_comp_data_status st;

		if (cfg_parse_comp_data_status(p, len, &st) < 0)
			return -EBADMSG;
		return st.page <= req->page;
	}
	case CFGCLI_MODEL_APP_BIND:
	case CFGCLI_MODEL_APP_UNBIND: {
		struct cfg_model_app_status st;

		if (cfg_parse_model_app_status(p, len, &st) < 0)
			return -EBADMSG;
		*status = st.status;
		return st.elem_addr == req->elem_addr && st.app_idx == req->app_idx &&
		       cfg_model_id_eq(st.model, req->model);
	}
	case CFGCLI_MODEL_SUB_ADD:
	case CFGCLI_MODEL_SUB_DEL: {
		struct cfg_model_sub_status st;

		if (cfg_parse_model_sub_status(p, len, &st) < 0)
			return -EBADMSG;
		*status = st.status;
		return st.elem_addr == req->elem_addr && st.addr == req->addr &&
		       cfg_model_id_eq(st.model, req->model);
	}
	case CFGCLI_NODE_RESET:
		return cfg_parse_node_reset_status(p, len) < 0 ? -EBADMSG : 1;
	case CFGCLI_STATE_GET:
	case CFGCLI_STATE_SET: {
		struct cfg_node_state st;

		/* no status code: the state it now has answers either */
		return cfg_parse_state_status(req->state, p, len, &st) < 0 ? -EBADMSG : 1;
	}
	case CFGCLI_MODEL_PUB_GET:
	case CFGCLI_MODEL_PUB_SET: {
		struct cfg_model_pub st;

		if (cfg_parse_model_pub_status(p, len, status, &st) < 0)
			return -EBADMSG;
		return st.elem_addr == req->pub.elem_addr && cfg_model_id_eq(st.model, req->pub.model);
	}
	}
	return 0;
}

bool cfgcli_input(struct cfgcli *cli, uint64_t now, uint16_t src, const uint8_t *access_pdu, size_t len)
{
	const struct cfgcli_req *req;
	const uint8_t *params;
	size_t plen;
	uint32_t op;
	uint8_t status;
	int m;

	cli->stats.rx_msgs++;
	if (src != cli->dst) {
		cli->stats.rx_other_src++;
		return false;
	}
	if (access_parse(access_pdu, len, &op, &params, &plen) < 0) {
		cli->stats.rx_malformed++;
		return false;
	}
	if (!cli->outstanding) {
		cli->stats.rx_unexpected++;
		return false;
	}
	req = &cli->queue[cli->head].req;
	if (op != status_opcode(req)) {
		cli->stats.rx_unexpected++;
		return false;
	}
	m = match(req, params, plen, &status);
	if (m < 0) {
		cli->stats.rx_malformed++;
		return false;
	}
	if (m == 0) {
		cli->stats.rx_unmatched++;
		return false;
	}
	finish(cli, status, true, status, params, plen);
	pump(cli, now);
	return true;
}
