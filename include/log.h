/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Logging after OpenSMTPD's log.c: level checked before formatting, stderr lines
 * carry a "<N>" syslog priority prefix when running under systemd (journald reads
 * them), file names must go through esc_name() before they reach a log line. */
#ifndef WSID_LOG_H
#define WSID_LOG_H

#include <stdarg.h>

enum log_level {
	LOG_LEVEL_ERR = 3,
	LOG_LEVEL_WARNING = 4,
	LOG_LEVEL_NOTICE = 5,
	LOG_LEVEL_INFO = 6,
	LOG_LEVEL_DEBUG = 7,
};

/* progname: "wsid" or "wsidctl"; prefix_priority: write "<N>" prefixes (journald) */
void log_init(const char *progname, int level, int prefix_priority);
void log_set_level(int level);
int log_get_level(void);

void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
