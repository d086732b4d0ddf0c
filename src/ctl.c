#include "ctl.h"

#include <errno.h>
#include <json.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

int ctl_connect(const char *path)
{
	return unix_connect(path);
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Handle one complete line: 1 when it was the final reply (in *final). */
static int take_line(char *line, void (*fn)(void *, struct json_object *), void *ctx,
		     struct json_object **final, char *err, size_t errlen)
{
	struct json_object *o = json_tokener_parse(line);

	if (!o || !json_object_is_type(o, json_type_object)) {
		snprintf(err, errlen, "the daemon answered something that is not a JSON object");
		json_object_put(o);
		return -1;
	}
	if (json_object_object_get_ex(o, "ok", NULL)) {
		*final = o;
		return 1;
	}
	if (fn)
		fn(ctx, o);
	json_object_put(o);
	return 0;
}

struct json_object *ctl_call(int fd, struct json_object *req,
			     void (*fn)(void *ctx, struct json_object *event), void *ctx, char *err,
			     size_t errlen)
{
	const char *text = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
	struct json_object *final = NULL;
	char *buf = malloc(CTL_MAX_LINE + 1);
	size_t len = 0;

	if (!buf) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (write_all(fd, text, strlen(text)) < 0 || write_all(fd, "\n", 1) < 0) {
		snprintf(err, errlen, "cannot send to the daemon: %s", strerror(errno));
		free(buf);
		return NULL;
	}
	for (;;) {
		char *nl;
		ssize_t n;

		while ((nl = memchr(buf, '\n', len)) != NULL) {
			size_t used = (size_t)(nl - buf) + 1;
			int rc;

			*nl = '\0';
			rc = take_line(buf, fn, ctx, &final, err, errlen);
			memmove(buf, buf + used, len - used);
			len -= used;
			if (rc != 0)
				goto out;
		}
		if (len == CTL_MAX_LINE) {
			snprintf(err, errlen, "the daemon sent a line longer than %d bytes", CTL_MAX_LINE);
			goto out;
		}
		n = read(fd, buf + len, CTL_MAX_LINE - len);
		if (n < 0 && errno == EINTR) {
			snprintf(err, errlen, "interrupted");
			goto out;
		}
		if (n <= 0) {
			snprintf(err, errlen, "the daemon closed the connection");
			goto out;
		}
		len += (size_t)n;
	}
out:
	free(buf);
	return final;
}

const char *ctl_string(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string) ?
		       json_object_get_string(v) : NULL;
}

int ctl_int(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_int(v) : 0;
}
