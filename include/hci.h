/* HCI commands and events: a pure core. Bytes in (hci_receive), bytes out
 * (ops->send), time in (now, hci_tick), a deadline out (hci_next_deadline). */
#ifndef MESHPROV_HCI_H
#define MESHPROV_HCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HCI_OP(ogf, ocf) ((uint16_t)((ogf) << 10 | (ocf)))
#define HCI_OP_RESET HCI_OP(0x03, 0x0003)
#define HCI_OP_SET_EVENT_MASK HCI_OP(0x03, 0x0001)
#define HCI_OP_READ_LOCAL_VERSION HCI_OP(0x04, 0x0001)
#define HCI_OP_READ_LOCAL_COMMANDS HCI_OP(0x04, 0x0002)
#define HCI_OP_READ_BD_ADDR HCI_OP(0x04, 0x0009)
#define HCI_OP_LE_SET_EVENT_MASK HCI_OP(0x08, 0x0001)
#define HCI_OP_LE_SET_RANDOM_ADDR HCI_OP(0x08, 0x0005)
#define HCI_OP_LE_SET_ADV_PARAMS HCI_OP(0x08, 0x0006)
#define HCI_OP_LE_SET_ADV_DATA HCI_OP(0x08, 0x0008)
#define HCI_OP_LE_SET_ADV_ENABLE HCI_OP(0x08, 0x000a)
#define HCI_OP_LE_SET_SCAN_PARAMS HCI_OP(0x08, 0x000b)
#define HCI_OP_LE_SET_SCAN_ENABLE HCI_OP(0x08, 0x000c)
/* extended advertising and scanning (Core 5.0+, Vol 4 Part E 7.8.53-7.8.65) */
#define HCI_OP_LE_SET_EXT_ADV_PARAMS HCI_OP(0x08, 0x0036)
#define HCI_OP_LE_SET_EXT_ADV_DATA HCI_OP(0x08, 0x0037)
#define HCI_OP_LE_SET_EXT_ADV_ENABLE HCI_OP(0x08, 0x0039)
#define HCI_OP_LE_READ_NUM_ADV_SETS HCI_OP(0x08, 0x003b)
#define HCI_OP_LE_REMOVE_ADV_SET HCI_OP(0x08, 0x003c)
#define HCI_OP_LE_CLEAR_ADV_SETS HCI_OP(0x08, 0x003d)
#define HCI_OP_LE_SET_EXT_SCAN_PARAMS HCI_OP(0x08, 0x0041)
#define HCI_OP_LE_SET_EXT_SCAN_ENABLE HCI_OP(0x08, 0x0042)

#define HCI_EV_CMD_COMPLETE 0x0e
#define HCI_EV_CMD_STATUS 0x0f
#define HCI_EV_LE_META 0x3e
#define HCI_LE_ADV_REPORT 0x02
#define HCI_LE_EXT_ADV_REPORT 0x0d
#define HCI_LE_ADV_SET_TERMINATED 0x12

/* Supported_Commands (7.4.2): octet and bit of the commands we may use */
#define HCI_CMD_BIT(octet, bit) ((octet) * 8 + (bit))
#define HCI_SUP_LE_SET_EXT_ADV_PARAMS HCI_CMD_BIT(36, 2)
#define HCI_SUP_LE_SET_EXT_ADV_DATA HCI_CMD_BIT(36, 3)
#define HCI_SUP_LE_SET_EXT_ADV_ENABLE HCI_CMD_BIT(36, 5)
#define HCI_SUP_LE_READ_NUM_ADV_SETS HCI_CMD_BIT(36, 7)
#define HCI_SUP_LE_REMOVE_ADV_SET HCI_CMD_BIT(37, 0)
#define HCI_SUP_LE_SET_EXT_SCAN_PARAMS HCI_CMD_BIT(37, 5)
#define HCI_SUP_LE_SET_EXT_SCAN_ENABLE HCI_CMD_BIT(37, 6)

/* Event_Type of an LE Extended Advertising Report (7.7.65.13) */
#define HCI_EXT_EVT_LEGACY 0x0010
#define HCI_EXT_EVT_DATA_STATUS(t) (((t) >> 5) & 0x03) /* 0: complete */

/* HCI error codes we name. */
#define HCI_ERR_UNKNOWN_COMMAND 0x01
#define HCI_ERR_MEMORY_EXCEEDED 0x07
#define HCI_ERR_COMMAND_DISALLOWED 0x0c
#define HCI_ERR_UNKNOWN_ADV_ID 0x42
#define HCI_ERR_LIMIT_REACHED 0x43

#define HCI_RSSI_UNKNOWN 127

#define HCI_CMD_TIMEOUT_MS 2000
#define HCI_CMD_QUEUE 32

/* One advertising report, from an LE Advertising Report or an LE Extended
 * Advertising Report. evt_type is the legacy PDU type (0 ADV_IND, 1
 * ADV_DIRECT_IND, 2 ADV_SCAN_IND, 3 ADV_NONCONN_IND, 4 SCAN_RSP), also for a
 * legacy PDU that came in an extended report; an extended (non-legacy) PDU
 * has HCI_ADV_EVT_EXTENDED and its data may be longer than 31 octets. */
#define HCI_ADV_EVT_EXTENDED 0xff

struct hci_adv_report {
	uint8_t evt_type;
	uint8_t addr_type;
	uint8_t addr[6];     /* as on the wire (little-endian) */
	int8_t rssi;         /* HCI_RSSI_UNKNOWN when the controller does not know */
	uint8_t data_len;
	const uint8_t *data; /* valid during the callback only */
};

/* status: the command's HCI status (0 = success), or -ETIMEDOUT when the
 * controller did not answer. rp/rlen: Command Complete return parameters
 * (status octet first), empty for Command Status and timeouts. */
typedef void (*hci_cmd_fn)(void *ctx, uint16_t opcode, int status, const uint8_t *rp, size_t rlen);

struct hci_ops {
	void (*send)(void *ctx, const uint8_t *pkt, size_t len); /* an H4 packet */
	void (*adv_report)(void *ctx, const struct hci_adv_report *r);
	/* LE Advertising Set Terminated: status 0 or HCI_ERR_LIMIT_REACHED when
	 * the set sent its Max_Extended_Advertising_Events (NULL: ignored) */
	void (*adv_set_terminated)(void *ctx, uint8_t status, uint8_t handle, uint8_t events);
	/* a command another host sent to the controller (the kernel's, seen on a
	 * shared raw socket); NULL: ignored */
	void (*foreign_cmd)(void *ctx, uint16_t opcode, const uint8_t *params, size_t plen);
};

struct hci_cmd {
	uint16_t opcode;
	uint8_t plen;
	uint8_t params[255];
	hci_cmd_fn fn;
	void *fn_ctx;
	uint64_t deadline; /* set when sent */
};

struct hci_stats {
	unsigned long events;
	unsigned long malformed; /* events too short or inconsistent: dropped */
	unsigned long unmatched; /* completions for commands we did not send */
	unsigned long timeouts;
};

struct hci {
	const struct hci_ops *ops;
	void *ctx;
	unsigned credits;     /* Num_HCI_Command_Packets the controller allows */
	unsigned timeout_ms;
	uint64_t now;         /* time of the latest call in: for callbacks that send */
	/* queue[0..sent) are in flight, queue[sent..count) wait for credits */
	struct hci_cmd queue[HCI_CMD_QUEUE];
	unsigned count;
	unsigned sent;
	struct hci_stats stats;
};

void hci_init(struct hci *h, const struct hci_ops *ops, void *ctx);

/* Queue a command; fn (may be NULL) is called with its outcome.
 * Returns 0, or -ENOSPC when the queue is full. */
int hci_send_cmd(struct hci *h, uint64_t now, uint16_t opcode, const void *params, uint8_t plen,
		 hci_cmd_fn fn, void *fn_ctx);

/* Forget pending callbacks that point at fn_ctx (its owner is going away). */
void hci_forget(struct hci *h, void *fn_ctx);

/* One H4 packet from the controller (or a command another host sent, which a
 * shared raw socket shows too). Malformed packets are counted and dropped. */
void hci_receive(struct hci *h, uint64_t now, const uint8_t *pkt, size_t len);

/* The time of the latest call in (receive, tick, send): callbacks that queue
 * further commands pass this as their now. */
static inline uint64_t hci_now(const struct hci *h) { return h->now; }

uint64_t hci_next_deadline(const struct hci *h);
void hci_tick(struct hci *h, uint64_t now);

/* Parse the parameters of an LE Advertising Report subevent (after the
 * subevent octet). The whole event is validated before any report is passed
 * on: returns the number of reports, or -1 when it is truncated or inconsistent. */
int hci_parse_adv_reports(const uint8_t *p, size_t len,
			  void (*fn)(void *ctx, const struct hci_adv_report *r), void *ctx);

/* The same for an LE Extended Advertising Report subevent (7.7.65.13).
 * Reports of extended PDUs whose data is incomplete or truncated (Data_Status
 * not 0) are validated but not passed on. */
int hci_parse_ext_adv_reports(const uint8_t *p, size_t len,
			      void (*fn)(void *ctx, const struct hci_adv_report *r), void *ctx);

/* An H4 command packet into pkt (4 + plen octets); returns its length. */
size_t hci_build_cmd(uint8_t *pkt, uint16_t opcode, const void *params, uint8_t plen);

/* Controller set-up. Exclusive (user channel, Unix socket, tty): Reset, Read
 * Local Version, Read Local Supported Commands, [LE Read Number of Supported
 * Advertising Sets], Set Event Mask, LE Set Event Mask, LE Set (Extended)
 * Scan Parameters. Shared with the kernel (raw socket): no Reset and no event
 * masks (see hci.c). Extended scanning and advertising are used when the
 * controller supports them. done is called once with 0, or with the failing
 * status (or -ETIMEDOUT) and that opcode. */
struct hci_setup {
	struct hci *hci;
	bool exclusive;
	unsigned step;
	uint16_t scan_interval; /* 0.625 ms units (30 ms) */
	void (*done)(void *ctx, int status, uint16_t failed_opcode);
	void *ctx;
	/* filled in as the set-up runs */
	uint8_t hci_version;
	uint16_t manufacturer;
	bool ext_scan;        /* LE Set Extended Scan Parameters/Enable */
	bool ext_adv;         /* LE Set Extended Advertising Parameters/Data/Enable */
	uint8_t num_adv_sets; /* LE Read Number of Supported Advertising Sets */
};

void hci_setup_start(struct hci_setup *s, struct hci *h, uint64_t now, bool exclusive,
		     void (*done)(void *ctx, int status, uint16_t failed_opcode), void *ctx);

/* The parameters of the commands the set-up and the bearer send: p must
 * hold 8 octets (scan parameters) or 6 (scan enable); returns the length. */
uint8_t hci_scan_params(uint8_t *p, bool ext, uint16_t interval);
uint8_t hci_scan_enable(uint8_t *p, bool ext, bool enable);

const char *hci_opcode_name(uint16_t opcode);

#endif
