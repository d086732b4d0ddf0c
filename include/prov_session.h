/* One provisioning session: a PB-ADV link (provisioner role) carrying the
 * provisioning protocol. A pure core like the two it joins: PB-ADV AD
 * payloads and time in; AD payloads, a deadline and events out. The daemon
 * runs several at once, one struct each.
 *
 * The owner's bearer reports when each payload sent with PB_ADV_SEND_NOTIFY
 * is off the air (prov_session_tx_done): the link's timers count from
 * there (pb_adv.h, Transmission times). */
#ifndef MESHPROV_PROV_SESSION_H
#define MESHPROV_PROV_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pb_adv.h"
#include "prov.h"

#define PROV_SESSION_QUEUE 4

struct prov_session_ops {
	/* one PB-ADV AD payload for the ADV bearer, with pb_adv's
	 * PB_ADV_SEND_* flags and cookie (as pb_adv_ops.send) */
	int (*send)(void *ctx, const uint8_t *ad_payload, size_t len, unsigned flags,
		    uint32_t cookie);
	void (*progress)(void *ctx, enum prov_step step);
	void (*auth_request)(void *ctx, enum prov_auth_method method, uint8_t action, uint8_t size,
			     const char *show);
	int (*assign_address)(void *ctx, uint8_t elements, uint16_t *addr);
	/* as prov_ops.data_ready: record the addresses before the data goes out */
	int (*data_ready)(void *ctx, const struct prov_result *r);
	/* Provisioning Complete received: the node exists. Called before the link
	 * is closed, so the caller can commit the node at once. */
	void (*complete)(void *ctx, const struct prov_result *r);
	/* The session is over, the link closed. ok: completed. Otherwise error
	 * (PROV_ERR_* or 0) and one line in msg, never empty. */
	void (*finished)(void *ctx, bool ok, uint8_t error, const char *msg);
};

struct prov_session {
	const struct prov_session_ops *ops;
	void *ctx;
	struct pb_adv_link link;
	struct prov prov;
	uint64_t now;
	/* provisioning PDUs waiting for the link's previous transaction */
	uint8_t queue[PROV_SESSION_QUEUE][PROV_MAX_PDU];
	size_t queue_len[PROV_SESSION_QUEUE];
	unsigned qhead, qcount;
	unsigned acks_pending;  /* transactions acknowledged in this input (prov_delivered) */
	bool completed;
	bool finished;
	uint8_t error;
	char msg[200];
};

/* Open a link to uuid and provision the device with params. */
int prov_session_start(struct prov_session *s, uint64_t now, uint32_t link_id,
		       const uint8_t uuid[16], const struct prov_params *params,
		       const struct prov_session_ops *ops, void *ctx);

/* The payload sent with this cookie is off the air (or was given up). */
void prov_session_tx_done(struct prov_session *s, uint64_t now, uint32_t cookie);

/* A PB-ADV AD payload from the air (those of other links are ignored). */
void prov_session_input(struct prov_session *s, uint64_t now, const uint8_t *data, size_t len);

/* Output OOB value typed by the user. */
int prov_session_auth_value(struct prov_session *s, uint64_t now, const char *value);

/* Give up (user interrupt, shutdown): Link Close with reason Fail. */
void prov_session_cancel(struct prov_session *s, uint64_t now, const char *msg);

uint64_t prov_session_next_deadline(const struct prov_session *s);
void prov_session_tick(struct prov_session *s, uint64_t now);

/* Erase keys. */
void prov_session_free(struct prov_session *s);

#endif
