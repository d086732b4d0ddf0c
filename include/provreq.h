/* A provision request: the options of `meshprov provision` as one JSON object,
 * the form the control socket carries. The CLI turns its options into one and
 * both it and the daemon check it here, so a request means the same thing
 * either way. Values typed on a command line may come as strings. */
#ifndef MESHPROV_PROVREQ_H
#define MESHPROV_PROVREQ_H

#include "provjob.h"

struct json_object;

#define PROVREQ_DEFAULT_WAIT_S 10.0

struct provreq {
	struct provjob_params job;
	double wait_s;    /* for the device's beacon */
	double timeout_s; /* in all; 0: none */
};

/* Check req ({"cmd":"provision","uuid":...}) and fill out. 0, or -1 with one
 * line in err naming the option at fault (a usage error). */
int provreq_parse(struct json_object *req, struct provreq *out, char *err, size_t errlen);

#endif
