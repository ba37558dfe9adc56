/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Client side of the control socket (control.h): connect, send one request
 * line, read response lines (each a JSON object). */
#ifndef WSID_CTLCLIENT_H
#define WSID_CTLCLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

/* Connects; returns an fd or a negative errno. */
int ctlclient_connect(const char *path);
/* Sends "verb arg\n" (arg may be NULL). */
int ctlclient_send(int fd, const char *verb, const char *arg);
/* Reads one line into out (without the newline), waiting at most timeout_ms
 * (-1: forever). 0 on success, -ETIMEDOUT, -EPIPE at end of stream. */
int ctlclient_readline(int fd, struct buf *acc, struct buf *out, int timeout_ms);
/* One request, one response line (malloc'ed, caller frees) */
int ctlclient_call(const char *path, const char *verb, const char *arg, int timeout_ms, char **ret);

/* A top-level field of a reply (a JSON object, parsed by jsonparse): the text
 * of the value of "key" (string values unquoted, escapes left as they are;
 * true, false, null, numbers as written), truncated to outsz. False when the
 * reply is not a JSON object, has no such key, or its value is an object or
 * an array. */
bool json_field(const char *json, const char *key, char *out, size_t outsz);

#endif
