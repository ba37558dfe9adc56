/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Web server access log lines in the common and combined formats (nginx's and
 * Apache's defaults):
 *   ADDR IDENT USER [DD/Mon/YYYY:HH:MM:SS +ZZZZ] "METHOD URI PROTO" STATUS BYTES ["REF" "UA"]
 * Pure module (fuzzed); the file itself is read by reqattr.c, newest line
 * first, from its last ACCESSLOG_TAIL bytes. */
#ifndef WSID_ACCESSLOG_H
#define WSID_ACCESSLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ACCESSLOG_TAIL (4u << 20)

struct alog_line {
	char addr[64];
	int64_t time;       /* unix seconds (the line's time, its zone applied) */
	char method[16];
	const char *uri;    /* into the line */
	size_t urilen;
	int status;
};

/* 0, or -1 when the line is in neither format */
int alog_parse(const char *line, size_t n, struct alog_line *out);
/* the same request: method, and URI (or the URI's path when one of them has
 * no query string), time within [from, to] */
bool alog_match(const struct alog_line *l, const char *method, const char *uri, int64_t from, int64_t to);

#endif
