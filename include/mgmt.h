/* The kernel's mesh interface in the Bluetooth management API (Linux >= 6.0,
 * experimental feature "mesh"): a pure core. Frames in (mgmt_receive), frames
 * out (ops->send), time in (now, mgmt_tick), a deadline out.
 *
 * Bring-up: Read Controller Information (powered?) -> (Set LE on, as
 * bluetooth-meshd does, when it is off) -> Set Experimental
 * Feature mesh on -> Mesh Read Features (handles) -> Set Mesh Receiver for
 * AD types 0x29/0x2A/0x2B -> ready. The kernel then delivers Mesh Device
 * Found events alongside its own scanning, and schedules each Mesh Send among
 * its own advertising; Mesh Packet Complete paces our transmissions.
 *
 * Transmissions: the kernel advertises a Mesh Send for cnt * 25 ms at its own
 * advertising interval (1.28 s unless configured), so a larger cnt adds no
 * advertising events. Like bluetooth-meshd, each PDU is handed over count
 * times with cnt 1, at least interval_ms apart (--adv-count, --adv-interval).
 * What goes next is the transmit scheduler's choice (txsched.h, `sched`, as
 * on the advertising bearer): up to MGMT_ACTIVE PDUs are taken from it at a
 * time and their transmissions interleaved; a PDU's tx-done goes back to it
 * once the kernel completed its last transmission (or gave it up).
 *
 * Frame: opcode or event code (LE16), controller index (LE16), parameter
 * length (LE16), parameters. One frame per read on the control channel. */
#ifndef MESHPROV_MGMT_H
#define MESHPROV_MGMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "adv.h"
#include "hci.h"

#define MGMT_HDR_LEN 6
#define MGMT_INDEX_NONE 0xffff

#define MGMT_OP_READ_INFO 0x0004
#define MGMT_OP_SET_LE 0x000d
#define MGMT_OP_STOP_DISCOVERY 0x0024
#define MGMT_OP_SET_EXP_FEATURE 0x004a
#define MGMT_OP_SET_MESH_RECEIVER 0x0057
#define MGMT_OP_MESH_READ_FEATURES 0x0058
#define MGMT_OP_MESH_SEND 0x0059
#define MGMT_OP_MESH_SEND_CANCEL 0x005a

#define MGMT_EV_CMD_COMPLETE 0x0001
#define MGMT_EV_CMD_STATUS 0x0002
#define MGMT_EV_INDEX_REMOVED 0x0005
#define MGMT_EV_NEW_SETTINGS 0x0006
#define MGMT_EV_DISCOVERING 0x0013
#define MGMT_EV_MESH_DEVICE_FOUND 0x0031
#define MGMT_EV_MESH_PACKET_CMPLT 0x0032

#define MGMT_STATUS_SUCCESS 0x00
#define MGMT_STATUS_UNKNOWN_COMMAND 0x01
#define MGMT_STATUS_BUSY 0x0a
#define MGMT_STATUS_REJECTED 0x0b
#define MGMT_STATUS_NOT_SUPPORTED 0x0c
#define MGMT_STATUS_INVALID_PARAMS 0x0d
#define MGMT_STATUS_NOT_POWERED 0x0f
#define MGMT_STATUS_INVALID_INDEX 0x11
#define MGMT_STATUS_PERMISSION_DENIED 0x14

#define MGMT_SETTING_POWERED (1u << 0)
#define MGMT_SETTING_LE (1u << 9)

/* 2ce463d7-7a03-4d8d-bf05-5f24e8f36e76, as the kernel spells it (little-endian). */
extern const uint8_t mgmt_mesh_uuid[16];

#define MGMT_CMD_TIMEOUT_MS 2000
/* Linux 6.1 with the mesh receiver on: when another discovery ends the
 * kernel resumes the mesh scan and says "discovering" again (with that
 * discovery's type) within this many ms; that state is then ours to end. */
#define MGMT_RESCAN_MS 250
/* A Mesh Send whose completion never comes stops counting against the
 * kernel's handles after this long. */
#define MGMT_TX_TIMEOUT_MS 10000
/* The kernel's MESH_HANDLES_MAX: Mesh Sends outstanding per socket. */
#define MGMT_MAX_HANDLES 3
/* The queue of the default source (mgmt_send). */
#define MGMT_TX_QUEUE 32
/* PDUs taken from the scheduler whose transmissions are interleaved. */
#define MGMT_ACTIVE (MGMT_MAX_HANDLES + 1)
/* Receiver scan parameters, 0.625 ms units: 30 ms, window = period. */
#define MGMT_SCAN_PERIOD 0x0030

/* Mesh Send parameters: address (7), instant (8), delay (2), cnt, AD length. */
#define MGMT_MESH_SEND_HDR 19

enum mgmt_state {
	MGMT_IDLE,
	MGMT_READ_INFO,      /* Read Controller Information in flight */
	MGMT_SET_LE,         /* Set LE on */
	MGMT_EXP_FEATURE,    /* Set Experimental Feature mesh */
	MGMT_READ_FEATURES,  /* Mesh Read Features */
	MGMT_SET_RECEIVER,   /* Set Mesh Receiver on */
	MGMT_READY,
	MGMT_STOPPING,       /* draining, Set Mesh Receiver off, (Stop Discovery) */
	MGMT_STOPPED,
	MGMT_FAILED,
};

struct mgmt_ops {
	void (*send)(void *ctx, const uint8_t *frame, size_t len);
	/* the mesh receiver is on */
	void (*ready)(void *ctx);
	/* one mesh AD structure from a Mesh Device Found event */
	void (*rx)(void *ctx, uint8_t ad_type, const uint8_t *data, size_t len,
		   const struct hci_adv_report *r);
	/* bring-up failed, the kernel stopped answering, or the controller went
	 * away: one line of text; the core is in MGMT_FAILED */
	void (*fatal)(void *ctx, const char *msg);
	/* mgmt_stop finished */
	void (*stopped)(void *ctx);
};

struct mgmt_stats {
	unsigned long events;
	unsigned long malformed;  /* frames too short or inconsistent: dropped */
	unsigned long rx_mesh;
	unsigned long tx_pdus;    /* Mesh Sends accepted by the kernel */
	unsigned long tx_failed;  /* refused, or completion never came */
	unsigned long tx_dropped; /* mgmt_send refused: the default source's queue was full */
};

struct mgmt {
	const struct mgmt_ops *ops;
	void *ctx;
	uint16_t index;
	char name[32];            /* "hci0", for messages */
	enum mgmt_state state;
	uint16_t pending_op;      /* the one command in flight, 0 when none */
	uint64_t cmd_deadline;
	unsigned max_handles;     /* from Mesh Read Features, at most MGMT_MAX_HANDLES */
	uint8_t handles[MGMT_MAX_HANDLES]; /* our Mesh Sends the kernel holds */
	uint8_t handle_tx[MGMT_MAX_HANDLES]; /* ... of active[this] */
	uint64_t handle_deadline[MGMT_MAX_HANDLES];
	unsigned nhandles;
	unsigned interval_ms;     /* between transmissions of one PDU */
	unsigned count;           /* transmissions per PDU */
	struct txsched sched;     /* what waits */
	int default_src;          /* mgmt_send's source */
	struct mgmt_tx {
		struct txsched_item item;
		bool used;
		unsigned left;    /* transmissions still to hand over */
		unsigned held;    /* ... handed over and not completed yet */
		uint64_t due;     /* the next not before */
	} active[MGMT_ACTIVE];
	int sending;              /* active[] of the Mesh Send in flight, or -1 */
	uint32_t settings;        /* current settings from Read Controller Information */
	/* Linux 6.1 marks itself discovering (type 0) when the mesh receiver
	 * scans, and stays so after it is off: bluetoothd's Start Discovery is
	 * then refused. Seen after our receiver went on: stopped when we stop. */
	bool our_discovery;
	uint8_t our_discovery_type; /* what Stop Discovery must name */
	uint64_t discovery_off_at;  /* the last Discovering off, or NO_DEADLINE */
	uint8_t bdaddr[6];
	struct mgmt_stats stats;
};

void mgmt_init(struct mgmt *m, uint16_t index, const struct mgmt_ops *ops, void *ctx);

/* Transmissions per PDU (1..255) and the least time between them. */
void mgmt_set_tx(struct mgmt *m, unsigned interval_ms, unsigned count);

/* Start the bring-up; ops->ready or ops->fatal follows. */
void mgmt_start(struct mgmt *m, uint64_t now);

/* Queue a PDU of the default source. 0, -EMSGSIZE (over 29 octets),
 * -ENOBUFS (queue full: dropped, counted in tx_dropped), or -EIO when not
 * ready. */
int mgmt_send(struct mgmt *m, uint64_t now, uint8_t ad_type, const uint8_t *data, size_t len);

/* Queue a PDU of a source opened in m->sched (as adv_send_src): -ENOBUFS is
 * back-pressure, nothing is dropped; -EIO when not ready. */
int mgmt_send_src(struct mgmt *m, uint64_t now, unsigned src, uint8_t ad_type,
		  const uint8_t *data, size_t len, unsigned flags, uint32_t cookie);

/* Milliseconds of airtime of what is queued and in the kernel (as
 * adv_backlog_ms, with one transmission at a time). */
unsigned mgmt_backlog_ms(const struct mgmt *m);

/* True while PDUs are queued or held by the kernel. */
bool mgmt_busy(const struct mgmt *m);

/* Let the queue drain, turn the mesh receiver off (and end the discovery state
 * it left in the kernel), then ops->stopped. */
void mgmt_stop(struct mgmt *m, uint64_t now);

/* One frame from the control socket. Malformed frames are counted and dropped. */
void mgmt_receive(struct mgmt *m, uint64_t now, const uint8_t *frame, size_t len);

uint64_t mgmt_next_deadline(const struct mgmt *m);
void mgmt_tick(struct mgmt *m, uint64_t now);

/* Encoders, exposed for the tests. Each writes a whole frame into out and
 * returns its length (0 when out is too small or the input is invalid). */
size_t mgmt_encode(uint8_t *out, size_t outlen, uint16_t opcode, uint16_t index,
		   const uint8_t *params, size_t plen);
size_t mgmt_encode_mesh_send(uint8_t *out, size_t outlen, uint16_t index, uint8_t cnt,
			     uint8_t ad_type, const uint8_t *data, size_t len);

/* "needs CAP_NET_ADMIN", "kernel too old ...", ...: why opcode failed with status. */
const char *mgmt_status_reason(uint16_t opcode, uint8_t status);
const char *mgmt_opcode_name(uint16_t opcode);

#endif
