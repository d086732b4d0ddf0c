/* A provision request: what `meshprov provision` asks, as one struct
 * (struct provreq), built once by one check (provreq_from_words) from the
 * request's words, whichever way they came: the command line's options
 * (provreq_words_from_argv) or the control socket's object
 * (provreq_words_from_json; provreq_from_json does both steps). The daemon's
 * automatic provisioning fills a provreq directly. A request means the
 * same thing either way; values typed on a command line may come as
 * strings in the JSON, and numbers as numbers. No I/O: the command line's
 * --secret-file and MESHPROV_SECRET are read by the command. */
#ifndef MESHPROV_PROVREQ_H
#define MESHPROV_PROVREQ_H

#include "provjob.h"

#include <stdbool.h>

struct json_object;

#define PROVREQ_DEFAULT_WAIT_S 10.0

struct provreq {
	struct provjob_params job;
	double wait_s;    /* for the device's beacon */
	double timeout_s; /* in all; 0: none */
};

/* the --group words kept: one more than a request may have, to refuse it */
#define PROVREQ_MAX_GROUP_WORDS (NODE_SETUP_MAX_GROUPS + 1)
#define PROVREQ_NUM_WORDS 5 /* pid, unicast, attention, wait, timeout */

/* A request's words, before they are checked: text as typed (pointing into
 * argv, the JSON object, or buf for numbers the JSON gave as numbers). A
 * word given twice: the last one counts. */
struct provreq_words {
	const char *uuid, *pid, *secret, *mac, *static_oob, *auth_value, *pubkey;
	const char *unicast, *attention, *wait, *timeout;
	bool no_oob, output_oob, input_oob, no_configure;
	const char *groups[PROVREQ_MAX_GROUP_WORDS];
	unsigned ngroups;
	/* the order the numbers came in (unicast, attention, wait, timeout,
	 * groups: first given, first checked) */
	uint8_t order[PROVREQ_NUM_WORDS];
	unsigned norder;
	/* the command line's own */
	bool ali_given;          /* --pid, --secret, --secret-file or --mac */
	const char *secret_file; /* when it came after any --secret */
	const char *linger;      /* --linger, for the command's own run */
	bool json, help;
	char buf[PROVREQ_NUM_WORDS + PROVREQ_MAX_GROUP_WORDS][48];
};

/* The options after `provision` (argv[0] is the command word). 0; -1 an
 * option getopt refused (it said so: print the usage); -2 with one line in
 * err (an argument that is not an option). */
int provreq_words_from_argv(int argc, char **argv, struct provreq_words *w, char *err,
			    size_t errlen);

/* The control socket's object ({"cmd":"provision","uuid":...}). 0, or -1
 * with one line in err (a field of the wrong type, an unknown field). */
int provreq_words_from_json(struct json_object *req, struct provreq_words *w, char *err,
			    size_t errlen);

/* One of --static-oob, --no-oob, --output-oob, --input-oob was given. */
bool provreq_words_kind_given(const struct provreq_words *w);

/* The words as the control socket carries them (what the CLI sends the
 * daemon); a new object. */
struct json_object *provreq_words_json(const struct provreq_words *w);

/* Check the words and fill out. 0, or -1 with one line in err naming the
 * option at fault (a usage error). */
int provreq_from_words(const struct provreq_words *w, struct provreq *out, char *err,
		       size_t errlen);

/* provreq_words_from_json, then provreq_from_words. */
int provreq_from_json(struct json_object *req, struct provreq *out, char *err, size_t errlen);

#endif
