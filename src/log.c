#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static enum log_level current = LOG_LVL_WARN;

void log_set_level(enum log_level lvl) { current = lvl; }

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };
	va_list ap;

	static const int syslog_prio[] = { 3, 4, 6, 7 };
	static int journal = -1;

	if (lvl > current)
		return;
	/* under systemd, journald takes the level from a <N> prefix */
	if (journal < 0)
		journal = getenv("JOURNAL_STREAM") != NULL;
	if (journal)
		fprintf(stderr, "<%d>", syslog_prio[lvl]);
	fprintf(stderr, "meshprov: %s: ", names[lvl]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
