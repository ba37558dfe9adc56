// SPDX-License-Identifier: GPL-2.0-or-later
/* Logging to stderr, one line per message, written with a single write(2) so lines
 * from several threads never interleave. */
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *log_prog = "wsid";
static int log_level = LOG_LEVEL_INFO;
static int log_prefix;

void
log_init(const char *progname, int level, int prefix_priority)
{
	log_prog = progname;
	log_level = level;
	log_prefix = prefix_priority;
}

void
log_set_level(int level)
{
	log_level = level;
}

int
log_get_level(void)
{
	return log_level;
}

static void log_vwrite(int pri, int with_errno, int saved_errno, const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));

static void
log_vwrite(int pri, int with_errno, int saved_errno, const char *fmt, va_list ap)
{
	char line[2048];
	size_t n = 0;
	int r;

	if (log_prefix)
		r = snprintf(line, sizeof(line), "<%d>", pri);
	else
		r = snprintf(line, sizeof(line), "%s: ", log_prog);
	if (r > 0)
		n = (size_t)r;
	r = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	if (r > 0)
		n += (size_t)r;
	if (n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	if (with_errno) {
		r = snprintf(line + n, sizeof(line) - n, ": %s", strerror(saved_errno));
		if (r > 0)
			n += (size_t)r;
		if (n > sizeof(line) - 2)
			n = sizeof(line) - 2;
	}
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, n) < 0) {
		/* nowhere left to report it */
	}
}

#define LOG_BODY(pri, witherr)                                          \
	do {                                                            \
		int saved = errno;                                      \
		va_list ap;                                             \
		if ((pri) > log_level)                                  \
			return;                                         \
		va_start(ap, fmt);                                      \
		log_vwrite((pri), (witherr), saved, fmt, ap);           \
		va_end(ap);                                             \
		errno = saved;                                          \
	} while (0)

void
log_warn(const char *fmt, ...)
{
	LOG_BODY(LOG_LEVEL_WARNING, 1);
}

void
log_warnx(const char *fmt, ...)
{
	LOG_BODY(LOG_LEVEL_WARNING, 0);
}

void
log_notice(const char *fmt, ...)
{
	LOG_BODY(LOG_LEVEL_NOTICE, 0);
}

void
log_info(const char *fmt, ...)
{
	LOG_BODY(LOG_LEVEL_INFO, 0);
}

void
log_debug(const char *fmt, ...)
{
	LOG_BODY(LOG_LEVEL_DEBUG, 0);
}

void
fatal(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_LEVEL_ERR, 1, saved, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_LEVEL_ERR, 0, 0, fmt, ap);
	va_end(ap);
	exit(1);
}
