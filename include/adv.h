/* The advertising bearer: AD structures in (dispatched by AD type), mesh PDUs
 * out (one ADV_NONCONN_IND advertising set per PDU, enabled for a number of
 * transmissions and disabled again). A pure core on top of struct hci. */
#ifndef MESHPROV_ADV_H
#define MESHPROV_ADV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hci.h"

#define AD_TYPE_PB_ADV 0x29
#define AD_TYPE_MESH_MESSAGE 0x2a
#define AD_TYPE_MESH_BEACON 0x2b

/* Advertising data holds 31 octets: length, type and at most 29 of payload. */
#define ADV_MAX_PAYLOAD 29
#define ADV_TX_QUEUE 32

#define ADV_DEFAULT_INTERVAL_MS 20
#define ADV_DEFAULT_COUNT 3

/* ---- AD structure iteration over untrusted data ---- */

struct ad_iter {
	const uint8_t *data;
	size_t len;
	size_t off;
};

void ad_iter_init(struct ad_iter *it, const uint8_t *data, size_t len);

/* Next AD structure: returns true with its type and payload. Zero-length
 * structures are skipped; one whose length runs past the end stops the walk.
 * Never reads outside data[0..len). */
bool ad_iter_next(struct ad_iter *it, uint8_t *type, const uint8_t **payload, size_t *plen);

/* ---- the bearer ---- */

struct adv_ops {
	/* one callback for every mesh AD structure received */
	void (*rx)(void *ctx, uint8_t ad_type, const uint8_t *data, size_t len,
		   const struct hci_adv_report *r);
	/* an HCI command of the transmit path failed (status, or -ETIMEDOUT) */
	void (*error)(void *ctx, uint16_t opcode, int status);
};

struct adv_pdu {
	uint8_t ad_type;
	uint8_t len;
	uint8_t data[ADV_MAX_PAYLOAD];
};

enum adv_tx_state {
	ADV_TX_IDLE,    /* nothing on the air */
	ADV_TX_STARTING,/* parameters, data and enable in flight */
	ADV_TX_ON,      /* advertising until tx_deadline */
	ADV_TX_STOPPING,/* disable in flight */
};

struct adv_stats {
	unsigned long rx_reports;
	unsigned long rx_mesh;
	unsigned long tx_pdus;
	unsigned long tx_dropped; /* queue full */
};

struct adv {
	struct hci *hci;
	const struct adv_ops *ops;
	void *ctx;
	unsigned interval_ms; /* between transmissions of one PDU */
	unsigned count;       /* transmissions per PDU */
	bool params_set;      /* advertising parameters match interval_ms */
	enum adv_tx_state state;
	uint64_t tx_deadline;
	unsigned pending;     /* HCI commands of the current step still in flight */
	int step_status;
	uint16_t step_failed_op;
	struct adv_pdu queue[ADV_TX_QUEUE];
	unsigned head, qlen;
	bool scanning;
	struct adv_stats stats;
};

void adv_init(struct adv *a, struct hci *h, const struct adv_ops *ops, void *ctx);

/* Transmissions per PDU and the interval between them (>= 20 ms). */
void adv_set_tx(struct adv *a, unsigned interval_ms, unsigned count);

/* Queue a PDU: ad_type and its payload. Returns 0, -EMSGSIZE (payload over 29
 * octets), or -ENOBUFS (queue full). */
int adv_send(struct adv *a, uint64_t now, uint8_t ad_type, const uint8_t *data, size_t len);

/* Start or stop passive scanning (duplicate filtering always off: mesh needs
 * every packet). fn reports the outcome. */
int adv_scan(struct adv *a, uint64_t now, bool enable, hci_cmd_fn fn, void *fn_ctx);

/* True while PDUs are queued or on the air. */
bool adv_busy(const struct adv *a);

/* Feed an advertising report (from hci_ops.adv_report). */
void adv_input(struct adv *a, const struct hci_adv_report *r);

uint64_t adv_next_deadline(const struct adv *a);
void adv_tick(struct adv *a, uint64_t now);

#endif
