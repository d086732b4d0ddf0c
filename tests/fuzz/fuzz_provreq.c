/* A request line from the control socket as the daemon takes it
 * (ctlreq.c: one JSON object, exactly the line, with a
 * string "cmd"), and, for "provision", provreq_from_json() turning it into a
 * provisioning job's parameters (provreq.c, also what the CLI's options
 * become); for "config", cfgreq_from_json() turning it into a configuration
 * request (cfgreq.c: the same word parser as the CLI's).
 * Input: the line, without its newline. */
#include <stdio.h>
#include <string.h>

#include <json.h>
#include <openssl/crypto.h>

#include "cfgreq.h"
#include "ctl.h"
#include "fuzz.h"
#include "log.h"
#include "provreq.h"

static unsigned long sink;

FUZZ_INITIALIZE(0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_tokener *tok;
	struct json_object *req, *cmd;
	struct provreq r;
	char err[256];

	/* the control socket's limit on a line */
	if (size > CTL_MAX_LINE)
		return 0;
	tok = json_tokener_new();
	if (!tok)
		return 0;
	req = json_tokener_parse_ex(tok, (const char *)data, (int)size);
	if (json_tokener_get_error(tok) != json_tokener_success || (size_t)json_tokener_get_parse_end(tok) != size) {
		json_object_put(req);
		req = NULL;
	}
	json_tokener_free(tok);
	if (req && json_object_is_type(req, json_type_object) && json_object_object_get_ex(req, "cmd", &cmd) &&
	    json_object_is_type(cmd, json_type_string) && !strcmp(json_object_get_string(cmd), "config")) {
		struct cfgreq c;

		memset(&c, 0, sizeof(c));
		if (cfgreq_from_json(req, &c, err, sizeof(err)) == 0)
			sink += c.cmd + c.element + c.app_idx + c.bad_word + strlen(c.bad);
		else
			sink += strlen(err);
	} else if (req && json_object_is_type(req, json_type_object) && json_object_object_get_ex(req, "cmd", &cmd) &&
	    json_object_is_type(cmd, json_type_string) && !strcmp(json_object_get_string(cmd), "provision")) {
		memset(&r, 0, sizeof(r));
		if (provreq_from_json(req, &r, err, sizeof(err)) == 0)
			sink += r.job.prov.auth.kind + r.job.want_unicast + r.job.ngroups;
		else
			sink += strlen(err);
		OPENSSL_cleanse(&r, sizeof(r));
	}
	json_object_put(req);
	return 0;
}
