/* A config request: `meshprov config NODE COMMAND [ARGS] [--force]` as one
 * struct, the command parsed. Built once, in one of three ways: from the
 * command line's words (cfgreq_from_argv), from the control socket's JSON
 * (cfgreq_from_json: {"cmd":"config","node":NODE,"args":[COMMAND, ARGS...],
 * "force":BOOL}, the form the CLI sends the daemon), or directly
 * (cfgreq_setup: the daemon configuring a node left unconfigured). Only the
 * words are checked here, each with the one line that names it; what needs
 * the node database (the node, its element count, the AppKey) cfgjob_prepare
 * checks. meshprov names the node first: a word that does not parse is
 * kept (bad, bad_word) and cfgjob_prepare reports it once the node is
 * found, in the order of the words (an ELEMENT out of the node's range
 * before a bad MODEL after it). No I/O. */
#ifndef MESHPROV_CFGREQ_H
#define MESHPROV_CFGREQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cfgmsg.h"

struct json_object;

/* The commands, for messages. */
#define CFGREQ_COMMANDS                                                                      \
	"composition, appkey-add, bind, unbind, sub-add, sub-del, pub-set, pub-get, reset, "      \
	"setup, ttl, relay, beacon, proxy, friend or net-transmit"

/* the most words 'args' may hold: the command and its arguments */
#define CFGREQ_MAX_ARGS 9 /* pub-set ELEMENT MODEL ADDRESS APPKEY TTL PERIOD COUNT STEPS */

enum cfgreq_cmd { CFGREQ_COMPOSITION, CFGREQ_APPKEY_ADD, CFGREQ_BIND, CFGREQ_SUB_ADD,
		  CFGREQ_RESET, CFGREQ_SETUP,
		  /* a node state: its Get without a value, else its Set */
		  CFGREQ_TTL, CFGREQ_RELAY, CFGREQ_BEACON, CFGREQ_PROXY, CFGREQ_FRIEND,
		  CFGREQ_NET_TRANSMIT,
		  CFGREQ_UNBIND, CFGREQ_SUB_DEL, CFGREQ_PUB_SET, CFGREQ_PUB_GET };

/* Whether cmd takes ELEMENT MODEL (bind, unbind, sub-add, sub-del,
 * pub-set, pub-get). */
static inline bool cfgreq_has_element(enum cfgreq_cmd cmd)
{
	return cmd == CFGREQ_BIND || cmd == CFGREQ_UNBIND || cmd == CFGREQ_SUB_ADD || cmd == CFGREQ_SUB_DEL ||
	       cmd == CFGREQ_PUB_SET || cmd == CFGREQ_PUB_GET;
}

/* Whether cmd is one of the node states (ttl ... net-transmit). */
static inline bool cfgreq_is_state(enum cfgreq_cmd cmd)
{
	return cmd >= CFGREQ_TTL && cmd <= CFGREQ_NET_TRANSMIT;
}

struct cfgreq {
	char node[512];           /* a UUID or a unicast address, as given */
	enum cfgreq_cmd cmd;
	bool force;               /* reset: remove the node whatever happens */
	/* bind, unbind, sub-add, sub-del: ELEMENT, an element index or, as mesh-cfgclient takes
	 * it, the element's unicast address (cfgjob_prepare tells which) */
	unsigned element;
	char element_text[64];    /* as given, for the message when it is neither */
	struct cfg_model_id model; /* bind, unbind, sub-add, sub-del */
	uint16_t app_idx;         /* appkey-add INDEX, (un)bind APPKEY (default 0) */
	uint16_t group;           /* sub-add, sub-del GROUP */
	/* ttl ... net-transmit: which state, and the value to set (set false:
	 * the Get). ttl VALUE; relay on|off [COUNT STEPS] (default 0 0);
	 * beacon, proxy, friend on|off; net-transmit COUNT STEPS */
	enum cfg_state state;
	bool set;
	struct cfg_node_state value;
	/* pub-set ELEMENT MODEL ADDRESS [APPKEY [TTL [PERIOD [COUNT STEPS]]]]:
	 * addr, ttl (default CFG_PUB_TTL_DEFAULT), period (from PERIOD ms,
	 * default 0), retransmit (COUNT STEPS, default 0 0); the AppKey is
	 * app_idx, element and model the fields above (cfgjob fills them in) */
	struct cfg_model_pub pub;
	/* the first word that does not parse: its index among COMMAND ARGS
	 * (0 the command) and the line that says so; "" when all parse */
	unsigned bad_word;
	char bad[512];
};

/* node and the words COMMAND [ARGS] (argc of them). r->bad says what does
 * not parse, naming the word and what it should be ("ELEMENT: expected
 * ..."); cfgjob_prepare reports it. */
void cfgreq_from_argv(struct cfgreq *r, const char *node, int argc, char *const *argv, bool force);

/* The control socket's request object: the same words, and the object's
 * own checks ('node' a string, 'args' 1-CFGREQ_MAX_ARGS strings, 'force' a
 * boolean, no other field but 'cmd'). 0, or -1 (usage) with one line in err
 * when the object is at fault. */
int cfgreq_from_json(struct json_object *req, struct cfgreq *r, char *err, size_t errlen);

/* The setup request for node (what provision does after provisioning). */
void cfgreq_setup(struct cfgreq *r, const char *node);

/* The command's word: "composition", "appkey-add", ... */
const char *cfgreq_name(enum cfgreq_cmd cmd);

#endif
